"""Speed of the optimizer core next to a minimal NumPy loop and torch.optim. Prints figures.

    python benchmarks/bench_core.py [--repeat 3]

Two regimes on Rosenbrock: one path × 1000 steps (µs per step) and 10,000 starts × 200
steps (µs per point-step). The "minimal loop" is a hand-written NumPy loop per optimizer
that produces the same points (checked) and keeps only them; `run` also keeps values,
gradients, the optimizer state at every step and divergence marks.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optviz import OPTIMIZERS, run, run_final
from surfaces import SURFACES

SURFACE = SURFACES["rosenbrock"]
LR = {"sgd": 2e-4, "momentum": 2e-4, "nesterov": 2e-4, "adadelta": 1.0, "lion": 1e-3}


def _lr(key):
    return LR.get(key, 1e-3)


def minimal_steps(key, starts, steps):
    """Hand-written float64 loop for optimizer ``key`` at default settings.

    Yields ``(g, p, a, b)`` after each step: the gradient used, the new point and the
    optimizer's two moment buffers (whatever it has).
    """
    grad = SURFACE.grad
    lr = _lr(key)
    p = np.array(starts, dtype=np.float64)
    a = np.zeros_like(p)
    b = np.zeros_like(p)
    mu_prod = 1.0
    for k in range(steps):
        g = grad(p)
        t = k + 1
        if key == "sgd":
            p = p - lr * g
        elif key in ("momentum", "nesterov"):
            a = g if k == 0 else 0.9 * a + g
            p = p - lr * (g + 0.9 * a if key == "nesterov" else a)
        elif key == "adagrad":
            a = a + g * g
            p = p - lr * g / (np.sqrt(a) + 1e-10)
        elif key == "rmsprop":
            a = 0.99 * a + (1 - 0.99) * g * g
            p = p - lr * g / (np.sqrt(a) + 1e-8)
        elif key == "adadelta":
            a = 0.9 * a + (1 - 0.9) * g * g
            d = np.sqrt(b + 1e-6) / np.sqrt(a + 1e-6) * g
            b = 0.9 * b + (1 - 0.9) * d * d
            p = p - lr * d
        elif key in ("adam", "adamw"):
            if key == "adamw":
                p = p * (1 - lr * 1e-2)
            a = a + (1 - 0.9) * (g - a)
            b = 0.999 * b + (1 - 0.999) * g * g
            p = p - lr / (1 - 0.9**t) * a / (np.sqrt(b) / np.sqrt(1 - 0.999**t) + 1e-8)
        elif key == "adamax":
            a = a + (1 - 0.9) * (g - a)
            b = np.maximum(0.999 * b, np.abs(g) + 1e-8)
            p = p - lr / (1 - 0.9**t) * a / b
        elif key == "nadam":
            mu = 0.9 * (1 - 0.5 * 0.96 ** (t * 4e-3))
            mu_next = 0.9 * (1 - 0.5 * 0.96 ** ((t + 1) * 4e-3))
            mu_prod *= mu
            a = a + (1 - 0.9) * (g - a)
            b = 0.999 * b + (1 - 0.999) * g * g
            den = np.sqrt(b / (1 - 0.999**t)) + 1e-8
            p = p - lr * (1 - mu) / (1 - mu_prod) * g / den
            p = p - lr * mu_next / (1 - mu_prod * mu_next) * a / den
        elif key == "radam":
            a = a + (1 - 0.9) * (g - a)
            b = 0.999 * b + (1 - 0.999) * g * g
            rho_inf = 2 / (1 - 0.999) - 1
            rho = rho_inf - 2 * t * 0.999**t / (1 - 0.999**t)
            m_hat = a / (1 - 0.9**t)
            if rho > 5:
                r = ((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho)) ** 0.5
                p = p - lr * m_hat * np.sqrt(1 - 0.999**t) / (np.sqrt(b) + 1e-8) * r
            else:
                p = p - lr * m_hat
        elif key == "lion":
            p = p - lr * np.sign(0.9 * a + (1 - 0.9) * g)
            a = 0.99 * a + (1 - 0.99) * g
        elif key == "rprop":  # a: the kept gradient, b: the step sizes
            b = np.full_like(p, lr) if k == 0 else b
            q = np.sign(g * a)
            b = np.clip(b * np.where(q > 0, 1.2, np.where(q < 0, 0.5, 1.0)), 1e-6, 50.0)
            a = np.where(q < 0, 0.0, g)
            p = p - np.sign(a) * b
        elif key == "adafactor":  # a: the second moment; each start is its own vector
            rms_p = np.sqrt(np.sum(p * p, axis=-1, keepdims=True)) / 2**0.5
            alpha = np.fmax(1e-3, rms_p) * min(lr, 1 / t**0.5)
            w = float(t) ** -0.8
            a = a + w * (g * g - a) if w < 0.5 else g * g - (g * g - a) * (1 - w)
            u = g / np.sqrt(np.maximum(a, np.finfo(float).eps ** 2))
            rms_u = np.sqrt(np.sum(u * u, axis=-1, keepdims=True)) / 2**0.5
            p = p - alpha / np.fmax(1.0, rms_u) * u
        yield g, p, a, b


def minimal_points(key, starts, steps):
    """The minimal loop keeping only the points ``(T+1, N, 2)``."""
    out = np.empty((steps + 1, *np.shape(starts)))
    out[0] = starts
    for k, (_, p, _, _) in enumerate(minimal_steps(key, starts, steps)):
        out[k + 1] = p
    return out


def minimal_full(key, starts, steps, max_abs=1e6):
    """The minimal loop keeping what ``run`` keeps: points, values, gradients, both
    buffers at every step, and a divergence mark."""
    shape = (steps + 1, *np.shape(starts))
    points, grads, first, second = (np.zeros(shape) for _ in range(4))
    points[0] = starts
    for k, (g, p, a, b) in enumerate(minimal_steps(key, starts, steps)):
        grads[k] = g
        points[k + 1], first[k + 1], second[k + 1] = p, a, b
    grads[steps] = SURFACE.grad(points[steps])
    values = SURFACE.f(points)
    out = ~np.all(np.abs(points) <= max_abs, axis=-1)
    return points, values, grads, first, second, out.any(axis=0)


def minimal_final(key, starts, steps, max_abs=1e6):
    """The minimal loop keeping what ``run_final`` keeps: final point and value, and the
    step of divergence."""
    diverged_at = np.full(len(starts), -1)
    p = np.asarray(starts)
    for k, (_, p, _, _) in enumerate(minimal_steps(key, starts, steps)):
        bad = ~np.all(np.abs(p) <= max_abs, axis=-1) & (diverged_at < 0)
        diverged_at[bad] = k + 1
    return p, SURFACE.f(p), diverged_at


def torch_loop(key, starts, steps):
    """torch.optim in float64 on the same surface; returns the final points."""
    import torch

    names = {"momentum": "SGD", "nesterov": "SGD", "sgd": "SGD", "adagrad": "Adagrad"}
    names |= {"rmsprop": "RMSprop", "adadelta": "Adadelta", "adam": "Adam", "adamw": "AdamW"}
    names |= {"nadam": "NAdam", "radam": "RAdam", "adamax": "Adamax", "rprop": "Rprop"}
    if key not in names:
        return None
    extra = {"momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9, "nesterov": True}}
    p = torch.tensor(np.asarray(starts), dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, names[key])([p], lr=_lr(key), **extra.get(key, {}))
    for _ in range(steps):
        opt.zero_grad()
        x, y = p[..., 0], p[..., 1]
        ((1 - x) ** 2 + 100 * (y - x**2) ** 2).sum().backward()
        opt.step()
    return p.detach().numpy()


def best_time(repeat, fn, *args):
    """Best wall time of ``fn(*args)`` over ``repeat`` calls, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(*args)
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    try:
        import torch  # noqa: F401

        have_torch = True
    except ImportError:
        have_torch = False

    rng = np.random.default_rng(0)
    one = np.array([[-1.5, 2.0]])
    many = rng.uniform([-2, -1], [2, 3], size=(10_000, 2))
    regimes = [
        ("1 path × 1000 steps", one, 1000, "µs/step"),
        ("10k × 200", many, 200, "µs/pt-step"),
    ]
    print(f"numpy {np.__version__}; torch {'yes' if have_torch else 'not installed'}")
    print("run: full history (points, values, grads, optimizer state per step, divergence);")
    print("  'same' = a minimal NumPy loop keeping those same outputs; run_final vs 'lean' =")
    print("  a minimal loop keeping final point/value + divergence step; 'pts' = points only.")
    for title, starts, steps, unit in regimes:
        scale = 1e6 / (steps * len(starts))
        print(f"\n{title} ({unit}; best of {args.repeat})")
        head = f"{'optimizer':10s} {'run':>7s} {'same':>7s} {'ratio':>5s}"
        head += f" {'final':>7s} {'lean':>7s} {'ratio':>5s} {'pts':>7s}"
        print(head + (f" {'torch':>8s}" if have_torch else ""))
        for key in OPTIMIZERS:
            opt = OPTIMIZERS[key](lr=_lr(key))
            ours = run(SURFACE, opt, starts, steps).points
            ref = minimal_points(key, starts, steps)
            gap = np.nanmax(np.abs(ours - ref) / np.maximum(np.abs(ref), 1))
            t_run = best_time(args.repeat, run, SURFACE, opt, starts, steps) * scale
            t_same = best_time(args.repeat, minimal_full, key, starts, steps) * scale
            t_final = best_time(args.repeat, run_final, SURFACE, opt, starts, steps) * scale
            t_lean = best_time(args.repeat, minimal_final, key, starts, steps) * scale
            t_pts = best_time(args.repeat, minimal_points, key, starts, steps) * scale
            line = f"{key:10s} {t_run:7.3f} {t_same:7.3f} {t_run / t_same:5.2f}"
            line += f" {t_final:7.3f} {t_lean:7.3f} {t_final / t_lean:5.2f} {t_pts:7.3f}"
            if have_torch:
                if torch_loop(key, one, 1) is None:
                    line += f" {'-':>8s}"
                else:
                    line += f" {best_time(1, torch_loop, key, starts, steps) * scale:8.3f}"
            flag = "" if gap < 1e-9 else f"  (minimal loop differs by {gap:.1e}: chaotic path)"
            print(line + flag)


if __name__ == "__main__":
    main()
