"""Many-run studies: basin-of-attraction maps, hyperparameter sweeps, fair learning rates.

Every study is ONE batched computation (all starts or all hyperparameter cells advance
together, one array operation per step) and keeps only what it is coloured by, so memory
is O(grid), never ``(T+1, N, 2)`` (201² starts × 300 steps would be 194 MB). Pure NumPy,
float64, deterministic; no Streamlit. Results are frozen dataclasses of NumPy arrays and
plain values (picklable, so a caller can cache them keyed on plain arguments: surface key and
parameters, optimizer key and a tuple of keyword pairs).

Grids follow the contour convention: ``xs (nx,)``, ``ys (ny,)`` and every
colour array ``(ny, nx)`` with ``a[j, i]`` belonging to ``(xs[i], ys[j])`` — Plotly's
``z[y][x]``.

Codes used in :attr:`BasinMap.minimum_index`: ``k ≥ 0`` the final point is within
``radius`` of ``surface.minima[k]`` (the nearest one); :data:`NO_MINIMUM` (−1) it is near
none of them; :data:`DIVERGED` (−2) the path diverged. In every study ``steps_to_tol`` is
the first step whose point lies within ``tol`` (Euclidean) of one of ``surface.minima``,
−1 if never, and ``diverged_at`` the first step beyond ``max_abs`` (or non-finite), −1 if
never — both exactly as :func:`optviz.descent.run_final` reports them.

All studies step through :func:`optviz.descent.run_checkpoints` (the one stepping loop
with a recorder that keeps the marks above and f at several step counts, for a ``steps``
sweep axis). Studies are noise-free.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np

from .catalog import OPTIMIZERS, sweep_entries, sweep_ranges, sweepable_names
from .conventions import factory, lr_keyword
from .descent import as_steps, run, run_checkpoints
from .optimizers import Optimizer

NO_MINIMUM = -1
"""``BasinMap.minimum_index`` code: the final point is near none of the surface's minima."""
DIVERGED = -2
"""``BasinMap.minimum_index`` code: the path diverged (left ``max_abs`` or became NaN/inf)."""
MAX_RESOLUTION = 201
"""Largest basin-map grid side (201² starts keep a study within the memory/time budget)."""
CRITERIA = ("final_loss", "steps_to_tol")
"""What a best cell or best learning rate minimises (ties: the other one, then order)."""


# ---------------------------------------------------------------------------------------
# basin-of-attraction map


@dataclass(frozen=True, eq=False)
class BasinMap:
    """Where each start of a grid ends up, for one optimizer.

    xs: (nx,) start abscissas; ys: (ny,) start ordinates.
    minimum_index: (ny, nx) int, index into ``minima`` of the nearest minimum within
        ``radius`` of the final point; ``NO_MINIMUM`` (−1) none; ``DIVERGED`` (−2) diverged.
    final_loss: (ny, nx) f at the final point, NaN where diverged.
    steps_to_tol: (ny, nx) int, first step within ``tol`` of a minimum, −1 never.
    diverged_at: (ny, nx) int, first diverged step, −1 never.
    minima: (M, 2) the surface's minima the indices refer to (M may be 0).
    radius: capture radius used for ``minimum_index``; tol, steps: as requested.
    optimizer: the optimizer's registry name.
    """

    xs: np.ndarray
    ys: np.ndarray
    minimum_index: np.ndarray
    final_loss: np.ndarray
    steps_to_tol: np.ndarray
    diverged_at: np.ndarray
    minima: np.ndarray
    radius: float
    tol: float
    steps: int
    optimizer: str = ""

    def start(self, ix: int, iy: int) -> tuple[float, float]:
        """The start point of cell ``[iy, ix]`` (e.g. a clicked cell), as plain floats."""
        return float(self.xs[ix]), float(self.ys[iy])


@dataclass(frozen=True, eq=False)
class BasinMaps:
    """Small multiples: several runs' maps over the same grid, with shared colour ranges.

    maps: one :class:`BasinMap` per run, in the order given.
    loss_min, loss_max: the global finite min/max of ``final_loss`` over all maps (NaN if
        no map has a finite value), for one shared colour scale.
    """

    maps: tuple[BasinMap, ...]
    loss_min: float
    loss_max: float


def start_grid(bounds, resolution: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``xs (n,)``, ``ys (n,)`` and the starts ``(n*n, 2)`` in row-major ``[iy, ix]`` order.

    ``bounds`` is ``((xmin, xmax), (ymin, ymax))``; ``resolution`` n with 2 ≤ n ≤ 201.
    """
    if isinstance(resolution, bool) or int(resolution) != resolution:
        raise ValueError(f"resolution must be a whole number, got {resolution}")
    n = int(resolution)
    if not 2 <= n <= MAX_RESOLUTION:
        raise ValueError(f"resolution must be between 2 and {MAX_RESOLUTION}, got {n}")
    (x0, x1), (y0, y1) = _check_bounds(bounds)
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    starts = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)
    return xs, ys, starts


def _check_bounds(bounds):
    try:
        (x0, x1), (y0, y1) = bounds
        x0, x1, y0, y1 = (float(v) for v in (x0, x1, y0, y1))
    except (TypeError, ValueError):
        raise ValueError(f"bounds must be ((xmin, xmax), (ymin, ymax)), got {bounds}") from None
    if not (np.isfinite([x0, x1, y0, y1]).all() and x0 < x1 and y0 < y1):
        raise ValueError(f"bounds must be finite with min < max, got {bounds}")
    return (x0, x1), (y0, y1)


def _minima(surface) -> np.ndarray:
    """The surface's minima as an ``(M, 2)`` float array (M may be 0)."""
    minima = np.asarray(getattr(surface, "minima", ()) or (), dtype=np.float64)
    return minima.reshape(-1, 2)


def default_radius(bounds) -> float:
    """Default capture radius of a basin map: 5 % of the diagonal of ``bounds``."""
    (x0, x1), (y0, y1) = _check_bounds(bounds)
    return 0.05 * math.hypot(x1 - x0, y1 - y0)


def nearest_minimum(points: np.ndarray, minima: np.ndarray, radius: float) -> np.ndarray:
    """``(N, 2), (M, 2) -> (N,)`` int: index of the nearest minimum within ``radius``.

    ``NO_MINIMUM`` where none is within ``radius`` (or M = 0), ``DIVERGED`` where the point
    is not finite. Memory O(N·M).
    """
    points = np.asarray(points, dtype=np.float64)
    finite = np.isfinite(points).all(axis=-1)
    codes = np.full(points.shape[0], NO_MINIMUM, dtype=np.int64)
    if len(minima):
        with np.errstate(all="ignore"):
            d2 = np.sum((points[:, None, :] - minima[None, :, :]) ** 2, axis=-1)
        d2 = np.where(finite[:, None], d2, np.inf)
        nearest = np.argmin(d2, axis=1)
        close = np.take_along_axis(d2, nearest[:, None], axis=1)[:, 0] <= radius * radius
        codes = np.where(close, nearest, NO_MINIMUM)
    return np.where(finite, codes, DIVERGED)


def basin_map(
    surface,
    optimizer: Optimizer,
    *,
    resolution: int = 101,
    bounds=None,
    steps: int = 300,
    tol: float = 1e-3,
    radius: float | None = None,
    max_abs: float = 1e6,
) -> BasinMap:
    """Run ``optimizer`` from every start of a ``resolution²`` grid, in one batched run.

    Args:
        surface: a Surface (``.f``, ``.grad``, ``.bounds``, ``.minima``).
        optimizer: an :class:`Optimizer` with scalar (or broadcastable) hyperparameters.
        resolution: grid side n (2 ≤ n ≤ 201); the grid has n² starts.
        bounds: ``((xmin, xmax), (ymin, ymax))``, default ``surface.bounds``.
        steps: step budget T of every run.
        tol: distance to a minimum that counts as reached (``steps_to_tol``).
        radius: capture radius of ``minimum_index``; default 5 % of the bounds diagonal.
        max_abs: a coordinate beyond this counts as divergence.

    Returns:
        A :class:`BasinMap` with ``(n, n)`` colour arrays, from one batched run over the
        ``(n², 2)`` starts (:func:`run_checkpoints`, equal to ``run_final``): memory O(n²·M).
    """
    bounds = surface.bounds if bounds is None else bounds
    xs, ys, starts = start_grid(bounds, resolution)
    radius = default_radius(bounds) if radius is None else float(radius)
    minima = _minima(surface)
    outcome = run_checkpoints(
        surface, optimizer, starts, [as_steps(steps)], max_abs=max_abs, targets=minima, tol=tol
    )
    shape = (ys.size, xs.size)
    codes = nearest_minimum(outcome.final_points, minima, radius)
    codes = np.where(outcome.diverged_at >= 0, DIVERGED, codes)
    return BasinMap(
        xs=xs,
        ys=ys,
        minimum_index=codes.reshape(shape),
        final_loss=outcome.values[0].reshape(shape),
        steps_to_tol=outcome.reached_at.reshape(shape),
        diverged_at=outcome.diverged_at.reshape(shape),
        minima=minima,
        radius=radius,
        tol=float(tol),
        steps=int(steps),
        optimizer=getattr(optimizer, "name", ""),
    )


def loss_range(arrays: Iterable[np.ndarray]) -> tuple[float, float]:
    """Global finite ``(min, max)`` over several arrays; ``(nan, nan)`` if none is finite."""
    lo, hi = math.inf, -math.inf
    for array in arrays:
        finite = np.asarray(array, dtype=np.float64)
        finite = finite[np.isfinite(finite)]
        if finite.size:
            lo, hi = min(lo, float(finite.min())), max(hi, float(finite.max()))
    return (lo, hi) if lo <= hi else (math.nan, math.nan)


def basin_maps(surface, optimizers: Sequence[Optimizer], **options) -> BasinMaps:
    """One :func:`basin_map` per optimizer over the same grid, plus the shared loss range.

    ``options`` are those of :func:`basin_map`. (A page that caches each map separately
    can call :func:`basin_map` per run and :func:`loss_range` on their ``final_loss``.)
    """
    maps = tuple(basin_map(surface, optimizer, **options) for optimizer in optimizers)
    lo, hi = loss_range(m.final_loss for m in maps)
    return BasinMaps(maps=maps, loss_min=lo, loss_max=hi)


# ---------------------------------------------------------------------------------------
# sweepable hyperparameters


class ParamRange(NamedTuple):
    """Suggested sweep range of a hyperparameter; ``log``: space the values geometrically."""

    low: float
    high: float
    log: bool


SWEEP_PARAMS: Mapping[str, ParamRange] = MappingProxyType(
    {
        **{name: ParamRange(*spec) for name, spec in sweep_ranges().items()},
        "steps": ParamRange(10, 1000, True),
    }
)
"""Sweepable hyperparameter -> suggested range, from the keyword records of
:mod:`optviz.catalog`. An entry of a pair has its own name (``beta1``/``beta2`` for
``betas``); ``steps`` is the step budget (accepted by every optimizer)."""

_ENTRIES = sweep_entries()
"""Sweep name of a pair's entry -> ``(keyword, index)`` (``beta1`` -> ``("betas", 0)``)."""


def _signature(key: str, convention: str = "pytorch") -> Mapping[str, inspect.Parameter]:
    return inspect.signature(factory(key, convention)).parameters


def sweepable(optimizer_key: str) -> tuple[str, ...]:
    """The names of :data:`SWEEP_PARAMS` that optimizer ``optimizer_key`` accepts."""
    _signature(optimizer_key)
    accepted = sweepable_names(optimizer_key) | {"steps"}
    return tuple(name for name in SWEEP_PARAMS if name in accepted)


def sweep_values(name: str, n: int = 40, low=None, high=None) -> np.ndarray:
    """``(n,)`` values over the suggested (or given) range of ``name``: geometric for log
    parameters, linear otherwise; ``steps`` values are distinct whole numbers (maybe < n).
    """
    if name not in SWEEP_PARAMS:
        raise ValueError(f"unknown sweep parameter {name!r}; known: {', '.join(SWEEP_PARAMS)}")
    spec = SWEEP_PARAMS[name]
    low = spec.low if low is None else float(low)
    high = spec.high if high is None else float(high)
    values = np.geomspace(low, high, n) if spec.log else np.linspace(low, high, n)
    if name == "steps":
        return np.unique(np.round(values).astype(np.int64))
    return values


def _check_names(key: str, names: Iterable[str]) -> None:
    allowed = sweepable(key)
    for name in names:
        if name not in allowed:
            raise ValueError(f"{key} cannot sweep {name!r}; sweepable: {', '.join(allowed)}")


def _kwargs(key: str, base: Mapping, columns: Mapping[str, Any], convention="pytorch") -> dict:
    """``base`` keyword arguments with the swept ``columns`` put in (an entry of a pair
    into its pair: beta1/beta2 -> betas)."""
    kwargs = dict(base)
    for name, value in columns.items():
        if name in _ENTRIES:
            pair, index = _ENTRIES[name]
            old = list(kwargs.get(pair, _signature(key, convention)[pair].default))
            old[index] = value
            kwargs[pair] = tuple(old)
        else:
            kwargs[name] = value
    return kwargs


def _is_valid(key: str, base: Mapping, columns: Mapping[str, Any], convention="pytorch") -> bool:
    try:
        factory(key, convention)(**_kwargs(key, base, columns, convention))
    except ValueError:
        return False
    return True


def valid_cells(
    key: str, base: Mapping, columns: Mapping[str, np.ndarray], convention: str = "pytorch"
) -> np.ndarray:
    """``(N,)`` bool: which cells' hyperparameters the factory
    ``CONVENTIONS[convention][key]`` accepts.

    ``columns`` maps names to ``(N,)`` values. Non-finite values are invalid. The factory
    is first tried once on the whole batch (its checks are element-wise); only if that
    raises is each cell tried alone, so the factory's own rules decide (β ≥ 1, negative
    lr, Nesterov with dampening or zero momentum, ...).
    """
    n = len(next(iter(columns.values())))
    valid = np.ones(n, dtype=bool)
    for values in columns.values():
        valid &= np.isfinite(values)
    if valid.all() and _is_valid(key, base, columns, convention):
        return valid
    for i in np.flatnonzero(valid):
        cell = {k: float(v[i]) for k, v in columns.items()}
        valid[i] = _is_valid(key, base, cell, convention)
    return valid


# ---------------------------------------------------------------------------------------
# batched runs over hyperparameter cells


class _Cells(NamedTuple):
    """Flat per-cell results of a batched study; leading axes as the caller asked."""

    final_loss: np.ndarray
    steps_to_tol: np.ndarray
    diverged: np.ndarray
    invalid: np.ndarray


def _batched_optimizer(key, base, columns, valid, convention="pytorch") -> Optimizer:
    """The optimizer with every swept parameter as an ``(N, 1)`` array; invalid cells get
    the first valid cell's values (their results are discarded)."""
    first = int(np.flatnonzero(valid)[0])
    filled = {k: np.where(valid, v, v[first])[:, None] for k, v in columns.items()}
    return factory(key, convention)(**_kwargs(key, base, filled, convention))


def _run_cells(
    surface, key, base, columns, start, steps, tol, max_abs, valid=None, convention="pytorch"
) -> _Cells:
    """One batched run over N hyperparameter cells (``(N,)`` columns) from ``start``."""
    n = len(next(iter(columns.values())))
    valid = valid_cells(key, base, columns, convention) if valid is None else valid
    loss = np.full(n, np.nan)
    reached = np.full(n, -1, dtype=np.int64)
    diverged = np.zeros(n, dtype=bool)
    if valid.any():
        outcome = run_checkpoints(
            surface,
            _batched_optimizer(key, base, columns, valid, convention),
            np.broadcast_to(start, (n, 2)),
            [steps],
            max_abs=max_abs,
            targets=_minima(surface),
            tol=tol,
        )
        loss = np.where(valid, outcome.values[0], np.nan)
        reached = np.where(valid, outcome.reached_at, -1)
        diverged = valid & (outcome.diverged_at >= 0)
    return _Cells(loss, reached, diverged, ~valid)


def _run_grid(surface, key, base, x_axis, y_axis, start, steps, tol, max_abs) -> _Cells:
    """Cells over two hyperparameters: ``(ny, nx)`` arrays from one batched run.

    The batch is laid out as ``(ny, nx, 2)`` with the x values as a ``(1, nx, 1)`` and the
    y values as a ``(ny, 1, 1)`` array, so the optimizer's per-hyperparameter arithmetic
    (``β₁ᵗ``, ``1 − β₂ᵗ``, ...) costs O(nx + ny) per step instead of O(nx·ny). This needs
    the valid cells to be a product (valid x values × valid y values), which holds for
    torch's element-wise checks; otherwise the flat ``(ny·nx, 1)`` layout is used.
    """
    (x_param, xv), (y_param, yv) = x_axis, y_axis
    gx, gy = np.meshgrid(xv, yv)
    columns = {x_param: gx.ravel(), y_param: gy.ravel()}
    valid = valid_cells(key, base, columns).reshape(gy.shape)
    col_ok, row_ok = valid.any(axis=0), valid.any(axis=1)
    if not valid.any() or not np.array_equal(valid, row_ok[:, None] & col_ok[None, :]):
        flat = _run_cells(surface, key, base, columns, start, steps, tol, max_abs, valid.ravel())
        return _Cells(*(a.reshape(gy.shape) for a in flat))
    x_fill = np.where(col_ok, xv, xv[np.argmax(col_ok)])[None, :, None]
    y_fill = np.where(row_ok, yv, yv[np.argmax(row_ok)])[:, None, None]
    optimizer = OPTIMIZERS[key](**_kwargs(key, base, {x_param: x_fill, y_param: y_fill}))
    outcome = run_checkpoints(
        surface,
        optimizer,
        np.broadcast_to(start, (*gy.shape, 2)),
        [steps],
        max_abs=max_abs,
        targets=_minima(surface),
        tol=tol,
    )
    return _Cells(
        np.where(valid, outcome.values[0], np.nan),
        np.where(valid, outcome.reached_at, -1),
        valid & (outcome.diverged_at >= 0),
        ~valid,
    )


def _run_steps_axis(surface, key, base, name, values, steps_values, start, tol, max_abs):
    """Cells over (step count × one hyperparameter): ``(C, n)`` arrays, one batched run."""
    n, c = len(values), len(steps_values)
    columns = {name: values}
    valid = valid_cells(key, base, columns)
    steps_ok = np.array([_whole(s) for s in steps_values], dtype=bool)
    loss = np.full((c, n), np.nan)
    reached = np.full((c, n), -1, dtype=np.int64)
    diverged = np.zeros((c, n), dtype=bool)
    cells_ok = steps_ok[:, None] & valid[None, :]
    if cells_ok.any():
        wanted = np.unique(np.asarray(steps_values, dtype=np.float64)[steps_ok]).astype(int)
        table, _, diverged_at, reached_at = run_checkpoints(
            surface,
            _batched_optimizer(key, base, columns, valid),
            np.broadcast_to(start, (n, 2)),
            wanted,
            max_abs=max_abs,
            targets=_minima(surface),
            tol=tol,
        )
        for row, s in enumerate(steps_values):
            if steps_ok[row]:
                s = int(s)
                loss[row] = table[int(np.searchsorted(wanted, s))]
                reached[row] = np.where((reached_at >= 0) & (reached_at <= s), reached_at, -1)
                diverged[row] = (diverged_at >= 0) & (diverged_at <= s)
    loss = np.where(cells_ok, loss, np.nan)
    reached = np.where(cells_ok, reached, -1)
    return _Cells(loss, reached, diverged & cells_ok, ~cells_ok)


def _whole(value) -> bool:
    try:
        as_steps(value)
    except (ValueError, TypeError, OverflowError):
        return False
    return True


# ---------------------------------------------------------------------------------------
# choosing the best cell


def best_index(final_loss, steps_to_tol, usable, criterion: str = "final_loss") -> int | None:
    """Flat index of the best usable cell, or None if no usable cell has a finite loss.

    ``criterion="final_loss"``: lowest final loss, ties broken by fewer steps to tolerance
    (never = last), then by position. ``"steps_to_tol"``: fewest steps to tolerance, ties by
    lower loss; falls back to ``"final_loss"`` when no usable cell reached tolerance.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    loss = np.asarray(final_loss, dtype=np.float64).ravel()
    steps = np.asarray(steps_to_tol).ravel()
    usable = np.asarray(usable, dtype=bool).ravel() & np.isfinite(loss)
    if not usable.any():
        return None
    loss_key = np.where(usable, loss, np.inf)
    steps_key = np.where(usable & (steps >= 0), steps, np.iinfo(np.int64).max)
    order = np.arange(loss.size)
    if criterion == "steps_to_tol" and (usable & (steps >= 0)).any():
        keys = (order, loss_key, steps_key)
    else:
        keys = (order, steps_key, loss_key)
    return int(np.lexsort(keys)[0])


def stable_index(
    final_loss, steps_to_tol, usable, neighbours: int = 0, criterion: str = "final_loss"
) -> int | None:
    """Index of the best cell of a 1-D grid judged by its worst neighbourhood, or None.

    A cell is eligible when it and its ``neighbours`` grid neighbours on EACH side are all
    usable with a finite loss (so a cell closer than that to an end of the grid is not);
    it is then scored by the worst of them: the highest final loss and the most steps to
    tolerance (never, if one of them never got there). The best score wins as in
    :func:`best_index` (ties: the other worst value, then the cell's own loss, then
    position).
    ``neighbours=0`` is :func:`best_index` itself.
    """
    if isinstance(neighbours, bool) or int(neighbours) != neighbours or neighbours < 0:
        raise ValueError(f"neighbours must be a whole number ≥ 0, got {neighbours}")
    w = int(neighbours)
    loss = np.asarray(final_loss, dtype=np.float64).ravel()
    steps = np.asarray(steps_to_tol).ravel()
    usable = np.asarray(usable, dtype=bool).ravel() & np.isfinite(loss)
    if w == 0:
        return best_index(loss, steps, usable, criterion)
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    worst_loss, worst_steps, eligible = neighbourhood_worst(loss, steps, usable, w)
    if not eligible.any():
        return None
    never = np.iinfo(np.int64).max
    loss_key = np.where(eligible, worst_loss, np.inf)
    steps_key = np.where(eligible & (worst_steps >= 0), worst_steps, never)
    own_key = np.where(eligible, loss, np.inf)
    order = np.arange(loss.size)
    if criterion == "steps_to_tol" and (steps_key < never).any():
        keys = (order, own_key, loss_key, steps_key)
    else:
        keys = (order, own_key, steps_key, loss_key)
    return int(np.lexsort(keys)[0])


def neighbourhood_worst(loss, steps, usable, neighbours: int):
    """``(n,) × 3 -> (worst_loss (n,), worst_steps (n,), eligible (n,))`` over windows of
    ``2·neighbours + 1`` grid points centred on each cell (see :func:`stable_index`);
    NaN and −1 where a cell is not eligible."""
    n, w = loss.size, int(neighbours)
    worst_loss = np.full(n, np.nan)
    worst_steps = np.full(n, -1, dtype=np.int64)
    eligible = np.zeros(n, dtype=bool)
    for i in range(w, n - w):
        window = slice(i - w, i + w + 1)
        if usable[window].all():
            eligible[i] = True
            worst_loss[i] = loss[window].max()
            reached = steps[window]
            worst_steps[i] = reached.max() if (reached >= 0).all() else -1
    return worst_loss, worst_steps, eligible


# ---------------------------------------------------------------------------------------
# two-parameter sweep


@dataclass(frozen=True, eq=False)
class Sweep:
    """A heatmap over two hyperparameters of one optimizer, same surface and start.

    x_param, y_param: swept names (keys of :data:`SWEEP_PARAMS`).
    x_values: (nx,); y_values: (ny,) (int64 for ``steps``, float64 otherwise).
    final_loss: (ny, nx) f after the run; NaN where diverged or invalid.
    steps_to_tol: (ny, nx) int, first step within ``tol`` of a minimum, −1 never/invalid.
    diverged: (ny, nx) bool; invalid: (ny, nx) bool (hyperparameters the optimizer refuses,
        e.g. β ≥ 1 or Nesterov with dampening; not run).
    optimizer: registry key; steps: the step budget (the largest value of a steps axis).
    """

    x_param: str
    x_values: np.ndarray
    y_param: str
    y_values: np.ndarray
    final_loss: np.ndarray
    steps_to_tol: np.ndarray
    diverged: np.ndarray
    invalid: np.ndarray
    optimizer: str = ""
    steps: int = 0

    def best_cell(self, criterion: str = "final_loss") -> tuple[int, int] | None:
        """``(iy, ix)`` of the best valid, non-diverged cell (see :func:`best_index`)."""
        index = best_index(
            self.final_loss, self.steps_to_tol, ~(self.diverged | self.invalid), criterion
        )
        return None if index is None else divmod(index, self.x_values.size)

    def best(self, criterion: str = "final_loss") -> tuple[float, float] | None:
        """``(x, y)`` hyperparameter values of the best cell: lowest final loss among valid,
        non-diverged cells, ties broken by fewer steps to tolerance; None if there is none.
        """
        cell = self.best_cell(criterion)
        if cell is None:
            return None
        iy, ix = cell
        return self.x_values[ix].item(), self.y_values[iy].item()


def _axis(name: str, values) -> np.ndarray:
    values = np.asarray(values, dtype=np.float64).ravel()
    if values.size == 0:
        raise ValueError(f"no values given for {name!r}")
    if name == "steps" and all(_whole(v) for v in values):
        return values.astype(np.int64)
    return values


def _start(surface, start) -> np.ndarray:
    start = np.asarray(surface.start if start is None else start, dtype=np.float64)
    if start.shape != (2,) or not np.isfinite(start).all():
        raise ValueError(f"start must be a finite point (x, y), got {start}")
    return start


def sweep(
    surface,
    optimizer_key: str,
    base_kwargs=(),
    x_param: str = "lr",
    x_values=None,
    y_param: str = "momentum",
    y_values=None,
    *,
    start=None,
    steps: int = 300,
    tol: float = 1e-3,
    max_abs: float = 1e6,
) -> Sweep:
    """Heatmap of one optimizer over two hyperparameters, as ONE batched run.

    Every cell starts at ``start`` (default ``surface.start``) and runs ``steps`` steps;
    the hyperparameters are ``(1, nx, 1)`` and ``(ny, 1, 1)`` arrays broadcast against an
    ``(ny, nx, 2)`` batch (or ``(ny·nx, 1)`` against ``(ny·nx, 2)`` when the valid cells
    are not a product of valid x and y values). ``beta1``/``beta2`` set one entry of
    ``betas`` (the other from ``base_kwargs`` or the default). A ``steps`` axis replaces
    ``steps``: one batched run of the largest value over the other parameter, recording f
    at each requested step count.

    Args:
        surface: a Surface.
        optimizer_key: key of ``OPTIMIZERS``.
        base_kwargs: the fixed keyword arguments (a mapping or ``(name, value)`` pairs).
        x_param, y_param: names from :func:`sweepable` (distinct).
        x_values, y_values: the values (default: 40 from :func:`sweep_values`).

    Returns:
        A :class:`Sweep`. Cells the optimizer refuses are ``invalid`` (NaN), not errors.

    Raises:
        ValueError: unknown optimizer, a parameter this optimizer does not accept, the same
            parameter twice, no values.
    """
    base = dict(base_kwargs)
    if x_param == y_param:
        raise ValueError(f"sweep two different parameters, got {x_param!r} twice")
    _check_names(optimizer_key, (x_param, y_param))
    for name in (x_param, y_param):
        base.pop(name, None)
    xv = _axis(x_param, sweep_values(x_param) if x_values is None else x_values)
    yv = _axis(y_param, sweep_values(y_param) if y_values is None else y_values)
    start = _start(surface, start)
    if "steps" in (x_param, y_param):
        other, other_values, steps_values = (
            (y_param, yv, xv) if x_param == "steps" else (x_param, xv, yv)
        )
        cells = _run_steps_axis(
            surface, optimizer_key, base, other, other_values, steps_values, start, tol, max_abs
        )
        if x_param == "steps":  # (C, n) -> (ny=n, nx=C)
            cells = _Cells(*(a.T for a in cells))
        budget = int(max((int(s) for s in steps_values if _whole(s)), default=0))
    else:
        budget = as_steps(steps)
        cells = _run_grid(
            surface,
            optimizer_key,
            base,
            (x_param, xv),
            (y_param, yv),
            start,
            budget,
            tol,
            max_abs,
        )
    return Sweep(
        x_param=x_param,
        x_values=xv,
        y_param=y_param,
        y_values=yv,
        **cells._asdict(),
        optimizer=optimizer_key,
        steps=budget,
    )


# ---------------------------------------------------------------------------------------
# fair comparison: each optimizer at its best learning rate


@dataclass(frozen=True, eq=False)
class LrSweep:
    """A 1-D learning-rate sweep of one optimizer (same surface, start and step budget).

    lrs: (n,); final_loss: (n,) NaN where diverged/invalid; steps_to_tol: (n,) int, −1
    never; diverged, invalid: (n,) bool; best: index of the chosen lr or None;
    criterion: what was minimised.
    off_map: (n,) bool, the path left ``within`` (or had an undefined f) at some step
        (all False when no window was given); neighbours: the grid neighbours on each
        side that had to be good too (see :func:`stable_index`); within: the window.
    """

    lrs: np.ndarray
    final_loss: np.ndarray
    steps_to_tol: np.ndarray
    diverged: np.ndarray
    invalid: np.ndarray
    best: int | None
    criterion: str
    optimizer: str = ""
    steps: int = 0
    off_map: np.ndarray | None = None
    neighbours: int = 0
    within: Any = None

    @property
    def usable(self) -> np.ndarray:
        """(n,) bool: valid, not diverged, finite loss and (with a window) on the map."""
        ok = ~(self.diverged | self.invalid) & np.isfinite(self.final_loss)
        return ok if self.off_map is None else ok & ~self.off_map

    @property
    def best_lr(self) -> float | None:
        """The chosen learning rate (None if every lr diverged or was invalid)."""
        return None if self.best is None else float(self.lrs[self.best])


def lr_grid(n: int = 40, low: float = 1e-5, high: float = 10.0) -> np.ndarray:
    """``(n,)`` learning rates spaced geometrically from ``low`` to ``high``."""
    return np.geomspace(low, high, n)


def best_learning_rate(
    surface,
    optimizer_key: str,
    base_kwargs=(),
    *,
    start=None,
    steps: int = 300,
    lrs=None,
    criterion: str = "final_loss",
    tol: float = 1e-3,
    max_abs: float = 1e6,
    neighbours: int = 0,
    within=None,
    convention: str = "pytorch",
) -> tuple[float | None, LrSweep]:
    """The learning rate that does best within the step budget, from one batched run.

    Sweeps ``lrs`` (default :func:`lr_grid`: 40 values 1e-5 … 10, in the order given) with
    the other hyperparameters from ``base_kwargs`` (its ``lr`` is ignored), every run from
    ``start`` for ``steps`` steps, and picks by ``criterion`` among usable runs: not
    diverged and, with ``within = ((xmin, xmax), (ymin, ymax))``, whose path stays inside
    that window with a finite f at every step. With ``neighbours = w > 0`` the pick is
    stable rather than lucky: the lr whose worst result over itself and its ``w`` grid
    neighbours on each side is best, all of them usable (:func:`stable_index`).

    ``convention`` picks the registry (``optviz.CONVENTIONS``): ``optimizer_key`` and the
    keyword names of ``base_kwargs`` are that convention's, and its learning-rate keyword
    (``optviz.conventions.lr_keyword``: ``lr`` or Keras's ``learning_rate``) is the one
    swept and ignored.

    Returns:
        ``(best_lr, sweep)``; ``best_lr`` is None if no lr qualifies.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"criterion must be one of {CRITERIA}, got {criterion!r}")
    lr_name = lr_keyword(optimizer_key, convention)
    base = {k: v for k, v in dict(base_kwargs).items() if k != lr_name}
    lrs = _axis("lr", lr_grid() if lrs is None else lrs)
    budget = as_steps(steps)
    begin = _start(surface, start)
    columns = {lr_name: lrs}
    valid = valid_cells(optimizer_key, base, columns, convention)
    cells = _run_cells(
        surface, optimizer_key, base, columns, begin, budget, tol, max_abs, valid, convention
    )
    off_map = None
    if within is not None:
        off_map = _off_map(
            surface, optimizer_key, base, columns, valid, begin, budget, within, convention
        )
    usable = ~(cells.diverged | cells.invalid)
    if off_map is not None:
        usable &= ~off_map
    best = stable_index(cells.final_loss, cells.steps_to_tol, usable, neighbours, criterion)
    result = LrSweep(
        lrs=lrs,
        **cells._asdict(),
        best=best,
        criterion=criterion,
        optimizer=optimizer_key,
        steps=budget,
        off_map=off_map,
        neighbours=int(neighbours),
        within=None if within is None else _check_bounds(within),
    )
    return result.best_lr, result


def _off_map(surface, key, base, columns, valid, start, steps, within, convention) -> np.ndarray:
    """``(n,)`` bool: the run of each cell (``(n,)`` columns, e.g. the learning rates)
    leaves ``within`` or meets an undefined f (or is invalid) at some step; one batched
    full-history run (:func:`optviz.descent.run`)."""
    (x0, x1), (y0, y1) = _check_bounds(within)
    if not valid.any():
        return np.ones(valid.size, dtype=bool)
    optimizer = _batched_optimizer(key, base, columns, valid, convention)
    trajectory = run(surface, optimizer, np.broadcast_to(start, (valid.size, 2)), steps)
    x, y = trajectory.points[..., 0], trajectory.points[..., 1]
    with np.errstate(invalid="ignore"):
        inside = (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)
    inside &= np.isfinite(trajectory.values)
    return ~(inside.all(axis=0) & valid)


def fair_lrs(surface, runs: Sequence[tuple], **options) -> tuple[float | None, ...]:
    """Each run's best learning rate over the same step budget (one batched sweep per run).

    ``runs`` is a sequence of ``(optimizer_key, kwargs)`` or ``(optimizer_key, kwargs,
    convention)`` (kwargs a mapping or pairs under that convention's names, default
    PyTorch's; its learning rate is ignored). ``options`` are those of
    :func:`best_learning_rate` (``start``, ``steps``, ``lrs``, ``criterion``, ``tol``,
    ``max_abs``, ``neighbours``, ``within``), the same for every run. Returns one lr (or
    None: none qualifies) per run, in order, so the page can show "each optimizer at its
    best learning rate" instead of one shared lr.
    """
    return tuple(
        best_learning_rate(surface, key, kwargs, convention=convention, **options)[0]
        for key, kwargs, convention in (_with_convention(r) for r in runs)
    )


def _with_convention(run_args: Sequence) -> tuple[str, Any, str]:
    """``(key, kwargs)`` or ``(key, kwargs, convention)`` -> the three, PyTorch's default."""
    key, kwargs, *rest = run_args
    return key, kwargs, rest[0] if rest else "pytorch"
