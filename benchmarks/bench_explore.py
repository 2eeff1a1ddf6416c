"""Speed of the many-run studies next to one plain batched run of the same size. Prints.

    python benchmarks/bench_explore.py [--repeat 3]

Basin maps: 101×101 starts × 300 steps on Himmelblau (four minima) for four optimizers.
Sweeps: 40×40 hyperparameter cells × 300 steps on Rosenbrock. Next to each study, the
time of a single ``run_final`` over the same number of paths and steps with scalar
hyperparameters and no targets ("plain"), and the ratio. Goal: each study under
2 s on the 2-core machine and within 1.5× of the plain run. Best of ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from optviz import OPTIMIZERS, run_final
from optviz.explore import basin_map, best_learning_rate, start_grid, sweep, sweep_values
from surfaces import SURFACES

STEPS = 300
BASIN_RUNS = [
    ("sgd", {"lr": 0.01}),
    ("momentum", {"lr": 0.002}),
    ("rmsprop", {"lr": 0.05}),
    ("adam", {"lr": 0.05}),
]


def best_time(fn, repeat: int) -> float:
    """Fastest wall time of ``repeat`` calls of ``fn()``, in seconds."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def row(label: str, study: float, plain: float) -> None:
    print(f"  {label:<34} {study:7.3f} s   plain run_final {plain:7.3f} s   ×{study / plain:5.2f}")


def bench_basins(repeat: int) -> None:
    surface = SURFACES["himmelblau"]
    _, _, starts = start_grid(surface.bounds, 101)
    print(f"Basin maps: {len(starts)} starts × {STEPS} steps on himmelblau")
    for key, kwargs in BASIN_RUNS:
        opt = OPTIMIZERS[key](**kwargs)
        study = best_time(lambda o=opt: basin_map(surface, o, resolution=101, steps=STEPS), repeat)
        plain = best_time(lambda o=opt: run_final(surface, o, starts, STEPS), repeat)
        row(f"{key} {kwargs}", study, plain)


def bench_sweeps(repeat: int) -> None:
    surface = SURFACES["rosenbrock"]
    start = surface.start
    n = 40
    cases = [
        ("momentum", {}, "lr", sweep_values("lr", n, 1e-5, 1e-2), "momentum", None),
        ("adam", {"lr": 0.05}, "beta1", None, "beta2", None),
        ("rmsprop", {}, "lr", sweep_values("lr", n, 1e-4, 1.0), "alpha", None),
        ("adam", {}, "lr", sweep_values("lr", n, 1e-4, 1.0), "eps", None),
        ("nesterov", {"lr": 1e-3}, "momentum", None, "dampening", None),  # mostly invalid
        ("adam", {}, "lr", None, "steps", np.linspace(STEPS / n, STEPS, n).round()),
    ]
    print(f"Sweeps: {n}×{n} cells × {STEPS} steps on rosenbrock from {start}")
    for key, base, xp, xv, yp, yv in cases:
        xv = sweep_values(xp, n) if xv is None else xv
        yv = sweep_values(yp, n) if yv is None else yv

        def study(key=key, base=base, xp=xp, xv=xv, yp=yp, yv=yv):
            return sweep(surface, key, base, xp, xv, yp, yv, start=start, steps=STEPS)

        cells = len(xv) * (1 if yp == "steps" else len(yv))
        opt = OPTIMIZERS[key](**base)
        starts = np.broadcast_to(start, (cells, 2))
        plain = best_time(lambda o=opt, s=starts: run_final(surface, o, s, STEPS), repeat)
        result = study()
        note = f"{int(result.invalid.sum())} invalid" if result.invalid.any() else ""
        row(f"{key} {xp}×{yp} {note}", best_time(study, repeat), plain)


def bench_fair(repeat: int) -> None:
    surface = SURFACES["rosenbrock"]
    print(f"Best learning rate: 40 lrs × {STEPS} steps on rosenbrock")
    for key in ("sgd", "adam", "lion"):
        found = best_learning_rate(surface, key, {}, steps=STEPS)[0]
        opt = OPTIMIZERS[key]()
        starts = np.broadcast_to(surface.start, (40, 2))
        study = best_time(lambda k=key: best_learning_rate(surface, k, {}, steps=STEPS), repeat)
        plain = best_time(lambda o=opt, s=starts: run_final(surface, o, s, STEPS), repeat)
        row(f"{key} (best lr {found:.3g})", study, plain)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    bench_basins(args.repeat)
    bench_sweeps(args.repeat)
    bench_fair(args.repeat)


if __name__ == "__main__":
    main()
