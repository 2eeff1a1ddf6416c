"""Generate the Keras 3 and 「ゼロから作るDeep Learning」 reference trajectories.

Writes ``tests/data/conventions/keras.json`` and ``tests/data/conventions/textbook.json``:
paths of ``keras.optimizers.*`` (Keras 3, torch backend, float64) and of the book's own
``common/optimizer.py`` classes on Rosenbrock, the quadratic bowl and the saddle, which
``tests/test_conventions.py`` reproduces with ``optviz.CONVENTIONS``. The tests read only the
JSON; neither Keras nor the book is needed to run them.

Gradients come from torch autograd on the formula of each surface (float64), independently
of the ``surfaces`` package. Numbers are stored with 13 significant digits. A path that
leaves ``|x|, |y| ≤ 1e6`` (the default ``max_abs`` of ``optviz.run``) is cut before the
first point outside, its ``steps`` is the number of steps kept and ``left_at`` the step of
that first point (``None`` when the path stays inside for all its steps).

Command used (Keras kept out of the project's requirements: a separate virtualenv that sees
the system torch)::

    python3 -m venv --system-site-packages /tmp/kerasenv
    /tmp/kerasenv/bin/pip install keras          # Keras 3.15.1 at the time
    git clone https://github.com/oreilly-japan/deep-learning-from-scratch /tmp/dlfs
    KERAS_BACKEND=torch /tmp/kerasenv/bin/python tests/data/make_convention_refs.py /tmp/dlfs

``BOOK`` may also be a bare git directory of that repository (its ``HEAD`` is read). The
versions of Python, NumPy, torch and Keras and the book's commit are written into the JSON.
"""

from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import os
import platform
import subprocess
import sys
import tempfile
from functools import partial
from pathlib import Path

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

MAX_ABS = 1e6
DIGITS = 13
STEPS = 200
OUT = Path(__file__).parent / "conventions"

SURFACES = {
    # name -> (f(x, y) on torch scalars, its formula, optviz surface key, surface parameters)
    "rosenbrock": (
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        "(1 - x)**2 + 100*(y - x**2)**2",
        "rosenbrock",
        {},
    ),
    "bowl": (lambda x, y: 0.5 * (x**2 + 10 * y**2), "0.5*(x**2 + 10*y**2)", "bowl", {}),
    "saddle": (lambda x, y: x**2 - y**2, "x**2 - y**2", "saddle", {}),
    # the book's ch06/optimizer_compare_naive.py: f = x²/20 + y², i.e. the bowl with
    # Hessian eigenvalues 0.1 and 2 (condition 20, scale 0.1)
    "book_bowl": (
        lambda x, y: x**2 / 20.0 + y**2,
        "x**2/20 + y**2",
        "bowl",
        {"condition": 20.0, "scale": 0.1},
    ),
}
START = {
    "rosenbrock": [-1.5, 2.0],
    "bowl": [-4.0, 2.0],
    "saddle": [-2.0, 1e-3],
    "book_bowl": [-7.0, 2.0],
}

KERAS_CLASSES = {
    "sgd": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "Nadam",
    "adamax": "Adamax",
    "lion": "Lion",
}
BOOK_CLASSES = {
    "sgd": "SGD",
    "momentum": "Momentum",
    "nesterov": "Nesterov",
    "adagrad": "AdaGrad",
    "rmsprop": "RMSprop",
    "adam": "Adam",
}

# (surface, registry key, keyword arguments, steps); every key on every main surface, the
# library defaults on the bowl, and the settings that switch on other branches.
KERAS_CASES = [
    *[("bowl", key, {}, STEPS) for key in KERAS_CLASSES],
    ("bowl", "sgd", {"learning_rate": 0.15}, STEPS),
    ("bowl", "sgd", {"learning_rate": 0.05, "momentum": 0.9}, STEPS),
    ("bowl", "sgd", {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True}, STEPS),
    ("bowl", "adagrad", {"learning_rate": 0.5, "initial_accumulator_value": 0.0}, STEPS),
    ("bowl", "rmsprop", {"learning_rate": 0.05}, STEPS),
    ("bowl", "rmsprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5}, STEPS),
    ("bowl", "adadelta", {"learning_rate": 1.0}, STEPS),
    ("bowl", "adam", {"learning_rate": 0.1}, STEPS),
    ("bowl", "adam", {"learning_rate": 0.1, "amsgrad": True}, STEPS),
    ("bowl", "adamw", {"learning_rate": 0.1, "weight_decay": 0.1}, STEPS),
    ("bowl", "nadam", {"learning_rate": 0.1}, STEPS),
    ("bowl", "adamax", {"learning_rate": 0.1}, STEPS),
    ("bowl", "lion", {"learning_rate": 0.02}, STEPS),
    ("rosenbrock", "sgd", {"learning_rate": 5e-4}, STEPS),
    ("rosenbrock", "sgd", {"learning_rate": 5e-4, "weight_decay": 0.1}, STEPS),
    ("rosenbrock", "sgd", {"learning_rate": 2e-4, "momentum": 0.9}, STEPS),
    ("rosenbrock", "sgd", {"learning_rate": 2e-4, "momentum": 0.9, "nesterov": True}, STEPS),
    ("rosenbrock", "adagrad", {"learning_rate": 0.3}, STEPS),
    ("rosenbrock", "rmsprop", {"learning_rate": 3e-4}, STEPS),
    ("rosenbrock", "rmsprop", {"learning_rate": 3e-3, "rho": 0.99}, STEPS),
    # RMSprop on Rosenbrock amplifies rounding (sensitivity ≥ 1e-5) at larger learning rates
    ("rosenbrock", "rmsprop", {"learning_rate": 1e-4, "centered": True}, STEPS),
    ("rosenbrock", "rmsprop", {"learning_rate": 1e-4, "momentum": 0.5, "rho": 0.8}, STEPS),
    ("rosenbrock", "adadelta", {"learning_rate": 1.0, "rho": 0.9}, STEPS),
    ("rosenbrock", "adam", {"learning_rate": 0.05}, STEPS),
    ("rosenbrock", "adam", {"learning_rate": 0.05, "amsgrad": True, "epsilon": 1e-3}, STEPS),
    ("rosenbrock", "adam", {"learning_rate": 0.05, "weight_decay": 0.05}, STEPS),
    ("rosenbrock", "adamw", {"learning_rate": 0.05}, STEPS),
    ("rosenbrock", "adamw", {"learning_rate": 0.05, "amsgrad": True, "beta_1": 0.8}, STEPS),
    ("rosenbrock", "nadam", {"learning_rate": 0.03}, STEPS),
    ("rosenbrock", "nadam", {"learning_rate": 0.03, "weight_decay": 0.05}, STEPS),
    ("rosenbrock", "adamax", {"learning_rate": 0.05}, STEPS),
    ("rosenbrock", "adamax", {"learning_rate": 0.02, "beta_2": 0.9}, STEPS),
    ("rosenbrock", "lion", {"learning_rate": 0.01}, STEPS),
    ("rosenbrock", "lion", {"learning_rate": 0.01, "weight_decay": 0.5, "beta_2": 0.9}, STEPS),
    ("saddle", "sgd", {"learning_rate": 0.05}, STEPS),
    ("saddle", "sgd", {"learning_rate": 0.1}, STEPS),  # |y| passes 1e6 at step 114
    ("saddle", "sgd", {"learning_rate": 0.02, "momentum": 0.9, "nesterov": True}, STEPS),
    ("saddle", "adagrad", {"learning_rate": 0.5}, STEPS),
    ("saddle", "rmsprop", {"learning_rate": 0.05}, STEPS),
    ("saddle", "adadelta", {"learning_rate": 1.0}, STEPS),
    ("saddle", "adam", {"learning_rate": 0.05}, STEPS),
    ("saddle", "adamw", {"learning_rate": 0.05}, STEPS),
    ("saddle", "nadam", {"learning_rate": 0.05}, STEPS),
    ("saddle", "adamax", {"learning_rate": 0.05}, STEPS),
    ("saddle", "lion", {"learning_rate": 0.05}, STEPS),
]

TEXTBOOK_CASES = [
    *[("bowl", key, {}, STEPS) for key in BOOK_CLASSES],
    ("bowl", "sgd", {"lr": 0.15}, STEPS),
    ("bowl", "momentum", {"lr": 0.05}, STEPS),
    ("bowl", "momentum", {"lr": 0.05, "momentum": 0.5}, STEPS),
    ("bowl", "nesterov", {"lr": 0.05}, STEPS),
    ("bowl", "adagrad", {"lr": 0.5}, STEPS),
    ("bowl", "rmsprop", {"lr": 0.05}, STEPS),
    ("bowl", "rmsprop", {"lr": 0.05, "decay_rate": 0.9}, STEPS),
    ("bowl", "adam", {"lr": 0.1}, STEPS),
    ("bowl", "adam", {"lr": 0.1, "beta1": 0.8, "beta2": 0.99}, STEPS),
    ("rosenbrock", "sgd", {"lr": 5e-4}, STEPS),
    ("rosenbrock", "momentum", {"lr": 2e-4}, STEPS),
    ("rosenbrock", "nesterov", {"lr": 2e-4}, STEPS),
    ("rosenbrock", "adagrad", {"lr": 0.3}, STEPS),
    ("rosenbrock", "rmsprop", {"lr": 3e-3}, STEPS),
    ("rosenbrock", "adam", {"lr": 0.05}, STEPS),
    ("saddle", "sgd", {"lr": 0.05}, STEPS),
    ("saddle", "sgd", {"lr": 0.1}, STEPS),  # |y| passes 1e6 at step 114
    ("saddle", "momentum", {"lr": 0.02}, STEPS),
    ("saddle", "nesterov", {"lr": 0.02}, STEPS),
    ("saddle", "adagrad", {"lr": 0.5}, STEPS),
    ("saddle", "rmsprop", {"lr": 0.05}, STEPS),
    ("saddle", "adam", {"lr": 0.05}, STEPS),
    # the book's figure (ch06/optimizer_compare_naive.py): 30 steps from (-7, 2)
    ("book_bowl", "sgd", {"lr": 0.95}, 30),
    ("book_bowl", "momentum", {"lr": 0.1}, 30),
    ("book_bowl", "adagrad", {"lr": 1.5}, 30),
    ("book_bowl", "adam", {"lr": 0.3}, 30),
]


def gradient(surface: str, point: np.ndarray) -> np.ndarray:
    """∇f at ``point`` (2,) by torch autograd in float64."""
    import torch

    p = torch.tensor(point, dtype=torch.float64, requires_grad=True)
    x, y = p[0], p[1]
    loss = SURFACES[surface][0](x, y)
    loss.backward()
    return p.grad.detach().numpy().copy()


def keras_path(key: str, kwargs: dict, surface: str, steps: int, start=None) -> np.ndarray:
    """``(steps + 1, 2)`` positions of ``keras.optimizers.<class>(**kwargs)``."""
    import keras

    keras.config.set_floatx("float64")
    start = np.array(START[surface] if start is None else start, dtype=np.float64)
    variable = keras.Variable(start.copy(), dtype="float64")
    optimizer = getattr(keras.optimizers, KERAS_CLASSES[key])(**kwargs)
    path = [start.copy()]
    for _ in range(steps):
        point = keras.ops.convert_to_numpy(variable.value).copy()
        grad = keras.ops.convert_to_tensor(gradient(surface, point), dtype="float64")
        optimizer.apply_gradients([(grad, variable)])
        path.append(keras.ops.convert_to_numpy(variable.value).copy())
    return np.array(path)


def load_book(book: Path) -> tuple[object, str]:
    """The book's ``common/optimizer.py`` as a module, and the repository's commit."""
    source = book / "common" / "optimizer.py"
    commit = _git(book, "rev-parse", "HEAD")
    if not source.is_file():  # a bare git directory: read the file from HEAD
        text = _git(book, "show", "HEAD:common/optimizer.py")
        folder = Path(tempfile.mkdtemp())
        source = folder / "optimizer.py"
        source.write_text(text)
    spec = importlib.util.spec_from_file_location("book_optimizer", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, commit


def _git(book: Path, *args: str) -> str:
    git_dir = book if (book / "HEAD").is_file() else book / ".git"
    out = subprocess.run(
        ["git", f"--git-dir={git_dir}", *args], capture_output=True, text=True, check=True
    )
    return out.stdout.strip() if args[0] == "rev-parse" else out.stdout


def book_path(module, key: str, kwargs: dict, surface: str, steps: int, start=None):
    """``(steps + 1, 2)`` positions of the book's ``<class>(**kwargs).update`` loop."""
    optimizer = getattr(module, BOOK_CLASSES[key])(**kwargs)
    start = START[surface] if start is None else start
    params = {"W": np.array(start, dtype=np.float64)}
    path = [params["W"].copy()]
    for _ in range(steps):
        grads = {"W": gradient(surface, params["W"].copy())}
        optimizer.update(params, grads)
        path.append(params["W"].copy())
    return np.array(path)


# Keras's keywords that are not about the update rule (clipping, EMA, loss scaling, ...)
KERAS_MACHINERY = {
    "clipnorm",
    "clipvalue",
    "global_clipnorm",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
    "name",
    "kwargs",
}


def signatures(classes: dict, module) -> dict:
    """Registry key -> {keyword: default} of each class's ``__init__`` (update-rule keywords)."""
    out = {}
    for key, name in classes.items():
        params = inspect.signature(getattr(module, name).__init__).parameters
        out[key] = {
            n: p.default for n, p in params.items() if n != "self" and n not in KERAS_MACHINERY
        }
    return out


def _cut(path: np.ndarray) -> tuple[np.ndarray, int | None]:
    """The path up to its last point inside ``|x|, |y| ≤ MAX_ABS`` and the step leaving it."""
    inside = np.all(np.abs(path) <= MAX_ABS, axis=1)
    if inside.all():
        return path, None
    left = int(np.argmin(inside))
    return path[:left], left


def _round(value: float) -> float:
    return float(f"{value:.{DIGITS}g}")


def case_record(key, kwargs, surface, steps, path_of) -> dict:
    """One case; ``path_of(start)`` runs the library from ``start``.

    ``sensitivity`` is the largest change of the kept path when the start is moved by a
    relative 1e-14, each coordinate divided by max(|coordinate|, 1) (the tests' scaled
    difference): how much rounding the case amplifies. A faithful port agrees to about
    this plus the 13-digit rounding.
    """
    path = path_of(START[surface])
    kept, left = _cut(path)
    nudged = path_of(np.array(START[surface]) * (1 + 1e-14))[: len(kept)]
    sensitivity = float(np.max(np.abs(nudged - kept) / np.maximum(np.abs(kept), 1.0)))
    if not sensitivity <= 1e-12:
        print(f"warning: {key} {kwargs} on {surface} amplifies rounding ({sensitivity:.1e})")
    tag = "_".join(f"{k}={v}" for k, v in kwargs.items()) or "defaults"
    return {
        "id": f"{surface}__{key}__{tag}",
        "key": key,
        "kwargs": kwargs,
        "surface": SURFACES[surface][2],
        "surface_params": SURFACES[surface][3],
        "formula": SURFACES[surface][1],
        "start": START[surface],
        "steps": len(kept) - 1,
        "requested_steps": steps,
        "left_at": left,
        "sensitivity": float(f"{sensitivity:.2g}"),
        "positions": [[_round(x), _round(y)] for x, y in kept.tolist()],
    }


def versions() -> dict:
    import torch

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__,
    }


def write(name: str, doc: dict) -> None:
    OUT.mkdir(exist_ok=True)
    text = json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
    (OUT / f"{name}.json").write_text(text + "\n")
    print(f"wrote {OUT / name}.json: {len(doc['cases'])} cases, {len(text)} bytes")


NOTE = (
    "positions[k] = theta_k (k = 0 is start); step k+1 uses the gradient at theta_k "
    "(torch autograd of `formula`, float64). Paths are cut before the first point with "
    f"|x| or |y| > {MAX_ABS:g} (`left_at`, the default max_abs of optviz.run)."
)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("book", type=Path, help="the deep-learning-from-scratch repository")
    args = parser.parse_args(argv)

    import keras

    module, commit = load_book(args.book)
    keras_cases = [
        case_record(key, kw, surf, n, partial(keras_path, key, kw, surf, n))
        for surf, key, kw, n in KERAS_CASES
    ]
    meta = {"generator": "make_convention_refs.py", "significant_digits": DIGITS, "note": NOTE}
    write(
        "keras",
        {
            "schema": "convention-trajectories/v1",
            "convention": "keras",
            "library": f"keras {keras.__version__} (backend {keras.backend.backend()}, float64)",
            "versions": {**versions(), "keras": keras.__version__},
            **meta,
            "signatures": signatures(KERAS_CLASSES, keras.optimizers),
            "cases": keras_cases,
        },
    )
    book_cases = [
        case_record(key, kw, surf, n, partial(book_path, module, key, kw, surf, n))
        for surf, key, kw, n in TEXTBOOK_CASES
    ]
    write(
        "textbook",
        {
            "schema": "convention-trajectories/v1",
            "convention": "textbook",
            "library": (
                "common/optimizer.py of github.com/oreilly-japan/deep-learning-from-scratch "
                f"at {commit}"
            ),
            "versions": {**versions(), "deep-learning-from-scratch": commit},
            **meta,
            "signatures": signatures(BOOK_CLASSES, module),
            "cases": book_cases,
        },
    )


if __name__ == "__main__":
    sys.exit(main())
