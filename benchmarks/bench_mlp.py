"""Speed of optviz.mlp on the course's experiment, next to torch.optim. Prints figures.

    python benchmarks/bench_mlp.py [--epochs 100] [--threads N] [--repeat 1] [--no-torch]

The experiment: the 8×8 digits (1,797 images, full batch), a 64 → 100 → 100 → 10 ReLU
network from one initialisation, and six optimizers — SGD, Momentum, AdaGrad, RMSprop,
Adam at lr 0.01 and AdaDelta at its default lr 1.0 — for ``--epochs`` epochs each.

optviz trains the six networks together (one batched product per layer), with the matrix
products in float32 and in float64. torch.optim trains the same network from the same
weights, one optimizer after the other, in float32 and float64. Each line gives the wall
time (best of ``--repeat``) and the CPU time of this process (all threads), and the
training loss after 10 and after the last epoch for each optimizer, so the two sides can be
seen to compute the same thing. On a busy machine the wall time is inflated; the CPU time
is the better guide to what an idle machine would take with one thread.

``--threads`` sets the BLAS and torch thread counts (before NumPy is imported); on a machine
whose cores are busy with other work, one thread is often much faster than several.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

COURSE = ["sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam"]
SETTINGS = {key: ({} if key == "adadelta" else {"lr": 0.01}) for key in COURSE}
TORCH = {
    "sgd": ("SGD", {}),
    "momentum": ("SGD", {"momentum": 0.9}),
    "adagrad": ("Adagrad", {}),
    "rmsprop": ("RMSprop", {}),
    "adadelta": ("Adadelta", {}),
    "adam": ("Adam", {}),
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=100)
    parser.add_argument("--threads", type=int, default=None, help="BLAS and torch threads")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--no-torch", action="store_true", help="skip torch.optim")
    return parser.parse_args()


def timed(function, repeat):
    """``(result, best wall seconds, CPU seconds of that run)`` over ``repeat`` calls."""
    best = None
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        if best is None or wall < best[1]:
            best = (result, wall, cpu)
    return best


def optviz_runs(epochs, dtype):
    """The six networks trained together; final losses per optimizer key."""
    from optviz import OPTIMIZERS
    from optviz.mlp import train_many

    optimizers = [OPTIMIZERS[key](**SETTINGS[key]) for key in COURSE]
    histories = train_many(optimizers, epochs, dtype=dtype)
    return {key: history.loss for key, history in zip(COURSE, histories, strict=True)}


def torch_runs(torch, epochs, dtype):
    """torch.optim on the same network from the same weights, one optimizer at a time."""
    import numpy as np

    from optviz.mlp import initial_weights, layer_sizes, load_digits, unpack

    data = load_digits()
    sizes = layer_sizes(data, (100, 100))
    weights = initial_weights(sizes, 0)[None]
    x = torch.tensor(np.array(data.x), dtype=dtype)
    y = torch.tensor(np.array(data.y))
    losses = {}
    for key in COURSE:
        layers = []
        for (w, b), fan_in, fan_out in zip(
            unpack(sizes, weights), sizes[:-1], sizes[1:], strict=True
        ):
            linear = torch.nn.Linear(fan_in, fan_out, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(torch.tensor(w[0].T))
                linear.bias.copy_(torch.tensor(b[0, 0]))
            layers += [linear, torch.nn.ReLU()]
        net = torch.nn.Sequential(*layers[:-1])
        name, preset = TORCH[key]
        optimizer = getattr(torch.optim, name)(net.parameters(), **preset, **SETTINGS[key])
        history = []
        for _ in range(epochs):
            optimizer.zero_grad()
            loss = torch.nn.functional.cross_entropy(net(x), y)
            history.append(loss.item())
            loss.backward()
            optimizer.step()
        with torch.no_grad():
            history.append(torch.nn.functional.cross_entropy(net(x), y).item())
        losses[key] = np.array(history)
    return losses


def report(label, result, epochs):
    losses, wall, cpu = result
    finals = "  ".join(
        f"{key} {losses[key][min(10, epochs)]:.3f}/{losses[key][epochs]:.3f}" for key in COURSE
    )
    print(f"{label:<34} {wall:7.2f} s wall {cpu:7.2f} s CPU   {finals}")


def main():
    args = parse_args()
    if args.threads is not None:
        for variable in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            os.environ[variable] = str(args.threads)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import numpy as np

    print(
        f"six optimizers × {args.epochs} full-batch epochs, digits 8×8, 64-100-100-10; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, "
        f"threads {args.threads or 'default'}; losses after 10/{args.epochs} epochs"
    )
    optviz_runs(1, np.float32)  # load the data and warm up BLAS
    for dtype in (np.float32, np.float64):
        result = timed(lambda dtype=dtype: optviz_runs(args.epochs, dtype), args.repeat)
        report(f"optviz, six together, {dtype.__name__}", result, args.epochs)
    if args.no_torch:
        return
    try:
        import torch
    except ImportError:
        print("torch is not importable: no torch.optim figures")
        return
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    for dtype in (torch.float32, torch.float64):
        result = timed(lambda dtype=dtype: torch_runs(torch, args.epochs, dtype), args.repeat)
        report(f"torch.optim, one by one, {str(dtype).split('.')[-1]}", result, args.epochs)


if __name__ == "__main__":
    main()
