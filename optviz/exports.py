"""Text exports of the current view: data (CSV, JSON) and PyTorch code.

Every function is pure: arrays in, ``str`` or ``bytes`` out, nothing written to
disk. A run to export is an :class:`ExportRun` (one optimizer's trajectory with its label,
gradient noise, seed and colour; a mini-batch run's batches are its trajectory's).
"""

from __future__ import annotations

import csv
import io
import json
import math
import platform
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .catalog import SPEC, SPECS
from .descent import Trajectory
from .equations import NAMES
from .optimizers import Optimizer

STEP_COLUMNS = ("path", "step", "x", "y", "loss", "gx", "gy", "diverged", "batch")
"""What each step of a path records: its point, the loss there, the gradient the optimizer
saw there (``gx``, ``gy``), whether the path has diverged, and ``batch``, the data points
that gradient was taken on (a mini-batch run; None for the exact gradient)."""
RUN_COLUMNS = ("noise", "seed", "batch_size", "batch_seed")
"""What a run records besides its optimizer to be run again: the gradient noise and its
seed, the mini-batch size and the seed of the batches' order (None for the full batch)."""
CSV_COLUMNS = ("run", "optimizer", *STEP_COLUMNS, *RUN_COLUMNS)
"""Columns of :func:`trajectories_csv`, one row per (run, path, step)."""


@dataclass(frozen=True)
class ExportRun:
    """One run as shown on the page.

    Attributes:
        label: the legend label ("Adam lr=0.05").
        optimizer: the :class:`optviz.optimizers.Optimizer` (its ``name`` is the registry
            key, ``hyperparams`` the torch keyword values).
        trajectory: the :class:`optviz.descent.Trajectory` it produced.
        noise: the gradient-noise standard deviation passed to ``run``.
        seed: the noise seed passed to ``run``.
        color: a CSS colour (``"#1f77b4"``, ``"rgb(31, 119, 180)"`` or a name).
    """

    label: str
    optimizer: Optimizer
    trajectory: Trajectory
    noise: float = 0.0
    seed: int | None = None
    color: str = "#1f77b4"


# ---------------------------------------------------------------------------------------
# CSV and JSON


def _jsonable(value):
    """Hyperparameter values as JSON: schedules via ``to_dict``, arrays as lists, NaN None."""
    if hasattr(value, "to_dict"):
        return _jsonable(value.to_dict())
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def _diverged_flags(trajectory: Trajectory) -> np.ndarray:
    """``(T+1, N)`` bool: True from each path's divergence step on."""
    steps = np.arange(trajectory.points.shape[0])[:, None]
    at = np.asarray(trajectory.diverged_at)[None, :]
    return (at >= 0) & (steps >= at)


def _run_values(run: ExportRun) -> tuple:
    """The values of :data:`RUN_COLUMNS` for ``run`` (the batches from its trajectory)."""
    batches = run.trajectory.batches
    if batches is None:
        return (float(run.noise), run.seed, None, None)
    return (float(run.noise), run.seed, int(batches.size), int(batches.seed))


def _rows(run: ExportRun):
    """The values of :data:`STEP_COLUMNS` for every path and step: ``(path, step, x, y,
    loss, gx, gy, diverged, batch)``, ``batch`` a tuple of point indices or None."""
    traj = run.trajectory
    flags = _diverged_flags(traj)
    n_steps, n_paths = traj.values.shape
    batches = traj.batches
    for path in range(n_paths):
        for step in range(n_steps):
            x, y = traj.points[step, path]
            gx, gy = traj.grads[step, path]
            batch = None if batches is None else tuple(int(i) for i in batches.indices(step))
            yield (
                path,
                step,
                float(x),
                float(y),
                float(traj.values[step, path]),
                float(gx),
                float(gy),
                bool(flags[step, path]),
                batch,
            )


def _csv_cell(value) -> str | int:
    """One CSV cell: floats with ``repr`` (they parse back to the same float64), booleans
    ``0``/``1``, None empty, a batch its point indices separated by spaces."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple):
        return " ".join(str(i) for i in value)
    return value


def trajectories_csv(runs: Sequence[ExportRun]) -> str:
    """All runs as CSV with the header :data:`CSV_COLUMNS`.

    Numbers are written with ``repr`` (they parse back to the same float64); undefined
    values after divergence are ``nan``; ``diverged`` is ``0``/``1``; ``batch`` lists the
    step's data points separated by spaces. A value that does not apply (the batch, batch
    size and batch seed of a full-batch run; the seed of a run without one) is empty.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for run in runs:
        head = (run.label, run.optimizer.name)
        tail = _run_values(run)
        for row in _rows(run):
            writer.writerow([_csv_cell(v) for v in (*head, *row, *tail)])
    return buffer.getvalue()


def _versions() -> dict:
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    try:
        from importlib.metadata import version

        versions["optviz"] = version("optviz")
    except Exception:  # not installed as a package: the source tree is used directly
        versions["optviz"] = "source"
    return versions


def trajectories_json(runs: Sequence[ExportRun], meta: dict | None = None) -> str:
    """All runs as a JSON document.

    ``{"meta": {...caller's meta (surface, surface params, start, steps...),
    "versions": {...}}, "runs": [{"label", "optimizer", "name", "hyperparams", "noise",
    "seed", "batch_size", "batch_seed", "color", "diverged_at": [per path, null if never],
    "steps": [{"path", "step", "x", "y", "loss", "gx", "gy", "diverged", "batch"},
    ...]}]}`` (:data:`STEP_COLUMNS`, :data:`RUN_COLUMNS`; ``batch_size``, ``batch_seed``
    and each step's ``batch`` are ``null`` for a full-batch run). NaN is written as
    ``null``.
    """
    doc_runs = []
    for run in runs:
        steps = [dict(zip(STEP_COLUMNS, _jsonable(list(row)), strict=True)) for row in _rows(run)]
        doc_runs.append(
            {
                "label": run.label,
                "optimizer": run.optimizer.name,
                "name": NAMES.get(run.optimizer.name, run.optimizer.name),
                "hyperparams": _jsonable(dict(run.optimizer.hyperparams or {})),
                **dict(zip(RUN_COLUMNS, _jsonable(list(_run_values(run))), strict=True)),
                "color": run.color,
                "diverged_at": [
                    int(a) if a >= 0 else None for a in np.asarray(run.trajectory.diverged_at)
                ],
                "steps": steps,
            }
        )
    doc = {"meta": {**_jsonable(dict(meta or {})), "versions": _versions()}, "runs": doc_runs}
    return json.dumps(doc, ensure_ascii=False, allow_nan=False)


# ---------------------------------------------------------------------------------------
# "copy as PyTorch code"

_CATALOG_TORCH = {
    "rosenbrock": "(1 - x) ** 2 + 100 * (y - x**2) ** 2",
    "saddle": "x**2 - y**2",
    "monkey_saddle": "x**3 - 3 * x * y**2",
    "himmelblau": "(x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2",
    "beale": "(1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2",
    "booth": "(x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2",
    "rastrigin": (
        "20 + (x**2 - 10 * torch.cos(2 * math.pi * x)) + (y**2 - 10 * torch.cos(2 * math.pi * y))"
    ),
    "ackley": (
        "-20 * torch.exp(-0.2 * torch.sqrt(0.5 * (x**2 + y**2)))"
        " - torch.exp(0.5 * (torch.cos(2 * math.pi * x) + torch.cos(2 * math.pi * y)))"
        " + math.e + 20"
    ),
    "styblinski_tang": "0.5 * ((x**4 - 16 * x**2 + 5 * x) + (y**4 - 16 * y**2 + 5 * y))",
    "six_hump_camel": "(4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2",
    "goldstein_price": (
        "(1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2))"
        " * (30 + (2 * x - 3 * y) ** 2"
        " * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2))"
    ),
}
"""``SURFACES`` key -> f(x, y) as a torch expression (x, y tensors of any shape)."""

_TORCH_CLASSES = {
    spec.key: (spec.torch.path, tuple(kw.name for kw in spec.keywords if kw.name != "maximize"))
    for spec in SPECS
}
"""Registry key -> (torch class, keyword names passed besides ``maximize``/``foreach``),
from the records of :mod:`optviz.catalog`."""


def _py(value) -> str:
    """A Python literal for a hyperparameter (floats with repr precision)."""
    if isinstance(value, bool | np.bool_):
        return repr(bool(value))
    if isinstance(value, int | float | np.integer | np.floating):
        return repr(float(value)) if isinstance(value, float | np.floating) else repr(int(value))
    if isinstance(value, tuple | list):
        return "(" + ", ".join(_py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    raise ValueError(f"cannot write {value!r} as a PyTorch argument (a batched sweep?)")


def _scheduler(lr) -> tuple[float, str | None]:
    """``(base lr, scheduler constructor text or None)`` for a number or a schedule."""
    if not callable(lr):
        return lr, None
    spec = lr.to_dict()
    kind, base = spec["kind"], spec["lr"]
    if kind == "constant":
        return base, None
    sched = "torch.optim.lr_scheduler"
    if kind == "step":
        text = f"{sched}.StepLR(opt, step_size={spec['step_size']!r}, gamma={_py(spec['gamma'])})"
    elif kind == "exponential":
        text = f"{sched}.ExponentialLR(opt, gamma={_py(spec['gamma'])})"
    elif kind == "cosine":
        text = (
            f"{sched}.CosineAnnealingLR(opt, T_max={spec['T_max']!r}, "
            f"eta_min={_py(spec['eta_min'])})"
        )
    elif kind == "warmup":
        text = (
            f"{sched}.LinearLR(opt, start_factor={_py(spec['start_factor'])}, "
            f"end_factor=1.0, total_iters={spec['warmup_steps']!r})"
        )
    else:
        raise ValueError(f"no torch.optim.lr_scheduler equivalent for the {kind!r} schedule")
    return base, text


def _optimizer_text(optimizer: Optimizer) -> tuple[str, str | None]:
    """``(constructor text taking `params`, scheduler text taking `opt` or None)``."""
    key = optimizer.name
    if optimizer.convention != "pytorch":
        raise ValueError(
            f"a {optimizer.convention} run has no torch.optim equivalent: its update rule "
            "differs from PyTorch's (copy it as NumPy instead)"
        )
    if key not in _TORCH_CLASSES:
        raise ValueError(f"Unknown optimizer: {key!r}")
    cls, names = _TORCH_CLASSES[key]
    hp = dict(optimizer.hyperparams or {})
    base_lr, sched = _scheduler(hp["lr"])
    args = [f"lr={_py(base_lr)}"]
    args += [f"{name}={_py(hp[name])}" for name in names[1:] if name in hp]
    args += [f"maximize={_py(hp.get('maximize', False))}", "foreach=False"]
    return f"{cls}(params, {', '.join(args)})", sched


def _formula_expr(surface):
    """The SymPy expression of a typed-formula surface (symbols named x and y)."""
    import sympy as sp

    params = dict(surface.params or {})
    for name in ("sympy", "sympy_expr", "expr"):
        if isinstance(params.get(name), sp.Basic):
            return params[name]
    text = params.get("expression")
    if text is not None:
        try:
            from surfaces import expression as module
        except ImportError:
            module = None
        for name in ("parse_formula", "to_sympy", "parse_expression", "parse"):
            parse = getattr(module, name, None)
            if parse is not None:  # the safe AST allow-list parser, never eval
                parsed = parse(text)
                return parsed if isinstance(parsed, sp.Basic) else parsed.expr
    raise ValueError(
        "cannot write this formula surface as PyTorch code: it carries no SymPy expression "
        "(surface.params['sympy'])"
    )


def _formula_torch(expr) -> str:
    """A SymPy expression in x, y as torch code (numpy function names -> torch)."""
    from sympy.printing.numpy import NumPyPrinter

    names = {s.name for s in expr.free_symbols}
    if not names <= {"x", "y"}:
        raise ValueError(f"a formula may use only x and y, got {sorted(names)}")
    import sympy as sp

    constants = {  # e.g. log(10) from log10(u): torch functions need tensors, use floats
        a: sp.Float(a.evalf(20), 17) for a in expr.atoms(sp.Function) if not a.free_symbols
    }
    code = NumPyPrinter({"fully_qualified_modules": True}).doprint(expr.xreplace(constants))
    if "functools" in code:
        raise ValueError("max/min in a formula cannot be exported as PyTorch code")
    return code.replace("numpy.", "torch.")


def surface_torch(surface) -> list[str]:
    """Lines of Python defining ``f(p)`` (``p`` a ``(..., 2)`` tensor -> ``(...)``).

    A loss over data points (the line fit) is ``f(p, batch=None)``: ``batch``, a tensor of
    point indices, restricts the mean to those points (a mini-batch).
    """
    name = surface.name
    params = dict(surface.params or {})
    head = ["def f(p):", "    x, y = p[..., 0], p[..., 1]"]
    if name in _CATALOG_TORCH:
        return [*head, f"    return {_CATALOG_TORCH[name]}"]
    if name == "bowl":
        from surfaces.quadratic import bowl_hessian

        h11, h12, h22 = bowl_hessian(params["condition"], params["angle_deg"], params["scale"])
        return [
            f"H11, H12, H22 = {h11!r}, {h12!r}, {h22!r}  # Hessian of the bowl",
            "",
            "",
            *head,
            "    return 0.5 * (H11 * x * x + 2.0 * H12 * x * y + H22 * y * y)",
        ]
    if name == "linear_regression":
        xs = ", ".join(repr(float(v)) for v in params["x"])
        ys = ", ".join(repr(float(v)) for v in params["y"])
        return [
            f"X = torch.tensor([{xs}], dtype=torch.float64)",
            f"Y = torch.tensor([{ys}], dtype=torch.float64)",
            "",
            "",
            "def f(p, batch=None):",
            "    # mean squared error of the line Y ≈ w·X + b, as a function of p = (w, b),",
            "    # over all the points or over the points `batch` (a mini-batch) only",
            "    x, y = (X, Y) if batch is None else (X[batch], Y[batch])",
            "    w, b = p[..., 0:1], p[..., 1:2]",
            "    return ((w * x + b - y) ** 2).mean(dim=-1)",
        ]
    if name == "formula" or "expression" in params:
        expr = _formula_expr(surface)
        text = params.get("expression")
        comment = [f"    # {text}"] if text else []
        return [*head, *comment, f"    return {_formula_torch(expr)}"]
    raise ValueError(f"no PyTorch version of the surface {name!r}")


_DESCEND = """
def batch_at(k, n, batch_size, batch_seed):
    \"\"\"The data points step k takes its gradient on, as optviz.gradients.MiniBatches:
    epoch e = k // per_epoch is the permutation np.random.default_rng((batch_seed, e)),
    cut into batches of batch_size (the last one of an epoch may be smaller).\"\"\"
    per_epoch = -(-n // batch_size)
    epoch, j = divmod(k, per_epoch)
    order = np.random.default_rng((batch_seed, epoch)).permutation(n)
    return torch.from_numpy(order[j * batch_size : (j + 1) * batch_size])


def descend(make_optimizer, make_scheduler=None, noise=0.0, seed=None, batch_size=None,
            batch_seed=0):
    \"\"\"STEPS steps from START; gradient noise drawn like optviz (numpy default_rng);
    with batch_size, each step's gradient is that of the mean over its mini-batch.

    Each start is its own parameter, a 2-vector, as each path is in optviz.\"\"\"
    starts = [torch.tensor(row, requires_grad=True) for row in START]
    opt = make_optimizer(starts)
    scheduler = make_scheduler(opt) if make_scheduler else None
    rng = np.random.default_rng(seed)
    for k in range(STEPS):
        opt.zero_grad()
        if batch_size is None:
            loss = f(torch.stack(starts))
        else:
            loss = f(torch.stack(starts), batch_at(k, len(X), batch_size, batch_seed))
        loss.sum().backward()
        if noise:
            draws = torch.from_numpy(noise * rng.standard_normal((len(starts), 2)))
            for p, draw in zip(starts, draws):
                p.grad += draw
        opt.step()
        if scheduler is not None:
            scheduler.step()
    return torch.stack(starts).detach()
"""


def pytorch_script(surface, start, steps: int, runs: Sequence[ExportRun]) -> str:
    """A short runnable script with ``torch.optim`` that reproduces ``runs``.

    Same surface (catalog formula, the bowl's Hessian, the regression data, or a typed
    formula printed from SymPy), the same start (``(2,)`` or ``(N, 2)``), steps,
    hyperparameters, schedules (``torch.optim.lr_scheduler``) and gradient noise (numpy
    ``default_rng(seed)`` draws added to ``.grad`` in optviz's order) and mini-batches
    (a run whose ``trajectory.batches`` is set takes each step's gradient on the same
    batch as :class:`optviz.gradients.MiniBatches`, the permutations drawn the same way).
    float64 throughout.
    Prints one line per run: ``final[i] <label>: [[x, y], ...]`` (repr precision).

    Raises:
        ValueError: a surface, optimizer or schedule without a PyTorch equivalent,
            array-valued hyperparameters (batched sweeps), or mini-batches on a surface
            other than the line fit.
    """
    if surface.name != "linear_regression" and any(r.trajectory.batches for r in runs):
        raise ValueError(f"no PyTorch version of mini-batches on the surface {surface.name!r}")
    start = np.asarray(start, dtype=float)
    start = start[None] if start.ndim == 1 else start
    start_text = "[" + ", ".join(f"[{x!r}, {y!r}]" for x, y in start.tolist()) + "]"
    title = getattr(surface, "title_en", "") or surface.name
    lines = [
        f'"""Reproduces an optviz view with torch.optim ({title}). Run: python this_file.py"""',
        "",
        "import math",
        "",
        "import numpy as np",
        "import torch",
        "",
        "torch.set_default_dtype(torch.float64)  # optviz computes in float64",
        "",
        *surface_torch(surface),
        "",
    ]
    for source in dict.fromkeys(SPEC[run.optimizer.name].torch.source for run in runs):
        if source:  # a class torch does not ship (Lion)
            lines += [source.rstrip(), ""]
    lines += ["", f"START = {start_text}", f"STEPS = {int(steps)}", "", _DESCEND.rstrip(), "", ""]
    for index, run in enumerate(runs):
        make, sched = _optimizer_text(run.optimizer)
        noise = float(np.max(np.asarray(run.noise, dtype=float)))
        call = [f"lambda params: {make}"]
        if sched is not None:
            call.append(f"make_scheduler=lambda opt: {sched}")
        if noise > 0:
            call += [f"noise={noise!r}", f"seed={run.seed!r}"]
        if (batches := run.trajectory.batches) is not None:
            call += [f"batch_size={batches.size!r}", f"batch_seed={batches.seed!r}"]
        label = f"final[{index}] {run.label}:"
        lines += [
            f"# {' '.join(str(run.label).split())}",  # one line: a label is never code
            f"final = descend({', '.join(call)})",
            f"print({label!r}, final.tolist())",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"
