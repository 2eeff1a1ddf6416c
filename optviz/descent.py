"""Step an optimizer over a surface from a batch of starts: one loop, three recorders.

:func:`step_paths` is the only stepping loop. Per step k = 0..T−1 it asks a gradient
source (:mod:`optviz.gradients`: exact, mini-batch, with noise) for ``g_k`` at θ_k, calls
the optimizer's ``update`` and hands the new point and state to a recorder, which keeps
what its caller needs:

* :class:`History` -> :class:`Trajectory`, the full history (points, values, gradients,
  optimizer state per step) for the main view and the step inspector (:func:`run`);
* :class:`Final` -> :class:`Outcome`, the final point and loss, the step of divergence and
  the first step within tolerance of a target (:func:`run_final`): O(N) memory whatever T
  is, so a 201×201 basin map holds no ``(T+1, N, 2)`` array;
* :class:`Marks` -> :class:`Checkpoints`, the same marks with f at several step counts
  (:func:`run_checkpoints`, what every many-run study steps through).

All N paths advance together, one array operation per step, under
``np.errstate(all="ignore")``: a path that overflows produces inf/NaN silently, and is then
marked as diverged from the first step whose point is non-finite or has a coordinate
beyond ``max_abs``. From that step on the path is NaN (it simply ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple, Protocol

import numpy as np

from .gradients import GradientSource, MiniBatches, gradient_source


@dataclass(frozen=True)
class Trajectory:
    """Full history of N paths over T steps (time-major).

    points: (T+1, N, 2) positions; row 0 is the starts; NaN from divergence on.
    values: (T+1, N) f along each path (NaN from divergence on).
    grads: (T+1, N, 2) the gradient the optimizer saw at each point (noise and mini-batch
        included); step k+1 used ``grads[k]``; the last row is the gradient the next step
        would use at the final point.
    states: the optimizer's state NamedTuple with every field stacked on a leading
        time axis: field shape (T+1, *field_shape); row k is the state after step k
        (row 0 is the initial state). Array fields are NaN from divergence on.
    diverged_at: (N,) int, the first step whose point was non-finite or beyond max_abs,
        -1 if never.
    batches: for a mini-batch run, its :class:`~optviz.gradients.MiniBatches`:
        ``batches.indices(k)`` are the data points ``grads[k]`` was taken on; else None.
    """

    points: np.ndarray
    values: np.ndarray
    grads: np.ndarray
    states: Any
    diverged_at: np.ndarray
    batches: MiniBatches | None = None

    @property
    def steps(self) -> int:
        """T, the number of steps taken."""
        return self.points.shape[0] - 1


@dataclass(frozen=True)
class Outcome:
    """What a lean run keeps for each of N paths.

    final_points: (N, 2), NaN for diverged paths.
    final_values: (N,), NaN for diverged paths.
    diverged_at: (N,) int, first diverged step or -1.
    reached_at: (N,) int, first step k whose point lies within ``tol`` (Euclidean) of
        one of the ``targets``, or -1 (always -1 without targets).
    """

    final_points: np.ndarray
    final_values: np.ndarray
    diverged_at: np.ndarray
    reached_at: np.ndarray


class Checkpoints(NamedTuple):
    """What a lean run keeps for N paths, with f recorded at C step counts.

    values: (C, N) f after ``checkpoints[c]`` steps; NaN once the path has diverged.
    final_points: (N, 2) after the last checkpoint; NaN for diverged paths.
    diverged_at: (N,) int, first step beyond ``max_abs`` (or non-finite), −1 never.
    reached_at: (N,) int, first step within ``tol`` of a target (while not diverged), −1.
    (For starts of shape ``(..., 2)``, read N as the leading shape ``...``.)
    """

    values: np.ndarray
    final_points: np.ndarray
    diverged_at: np.ndarray
    reached_at: np.ndarray


def as_starts(starts) -> np.ndarray:
    """``(2,)`` or ``(N, 2)`` -> a fresh float64 ``(N, 2)`` array; ValueError otherwise."""
    arr = np.array(starts, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(f"starts must have shape (2,) or (N, 2), got {np.shape(starts)}")
    return arr


def as_points(starts) -> np.ndarray:
    """``(2,)`` -> ``(1, 2)``; ``(..., 2)`` kept; a fresh float64 array; ValueError else."""
    arr = np.array(starts, dtype=np.float64)
    if arr.ndim == 1:
        return as_starts(arr)
    if arr.ndim == 0 or arr.shape[-1] != 2 or arr.size == 0:
        raise ValueError(f"starts must have shape (2,) or (..., 2), got {arr.shape}")
    return arr


def as_steps(steps) -> int:
    """A whole number of steps ≥ 0; ValueError otherwise."""
    if isinstance(steps, bool) or not np.isfinite(steps) or int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a whole number ≥ 0, got {steps}")
    return int(steps)


def _out_of_range(points: np.ndarray, max_abs: float) -> np.ndarray:
    """``(..., 2) -> (...)``: True where a point is non-finite or beyond ``max_abs``."""
    return ~np.all(np.abs(points) <= max_abs, axis=-1)


def _first_true(flags: np.ndarray) -> np.ndarray:
    """``(T+1, N) bool -> (N,)``: index of the first True along time, -1 if none."""
    first = np.argmax(flags, axis=0)
    return np.where(flags.any(axis=0), first, -1)


def _history(state, steps: int) -> tuple:
    """One preallocated ``(T+1, *shape)`` array per state field, row 0 filled."""
    rows = []
    for field in state:
        field = np.asarray(field)
        row = np.empty((steps + 1, *field.shape), dtype=field.dtype)
        row[0] = field
        rows.append(row)
    return tuple(rows)


def _fill(rows: np.ndarray, values) -> None:
    """``rows[i] = values[i]`` for every i: one assignment when the values stack to the
    rows' shape (each number cast as a row assignment casts it), else row by row (values
    that broadcast)."""
    try:
        stacked = np.asarray(values)
    except ValueError:  # ragged
        stacked = None
    if stacked is not None and stacked.dtype != object and stacked.shape == rows.shape:
        rows[...] = stacked
    else:
        for i, value in enumerate(values):
            rows[i] = value


def _anything_out_of_range(points: np.ndarray, max_abs: float) -> bool:
    """Cheap whole-array check (two reductions, no temporaries); NaN counts as out."""
    return not (points.size == 0 or (points.max() <= max_abs and points.min() >= -max_abs))


def newly_out_of_range(points: np.ndarray, max_abs: float, alive: np.ndarray):
    """``(..., 2) -> (...)`` mask of ``alive`` paths whose point is non-finite or has a
    coordinate beyond ``max_abs``, or None when nothing is (two whole-array reductions
    first; NaN anywhere takes the full check). Column-wise: no small-axis reductions."""
    if not _anything_out_of_range(points, max_abs):
        return None
    inside = (np.abs(points[..., 0]) <= max_abs) & (np.abs(points[..., 1]) <= max_abs)
    return alive & ~inside


def min_sq_distance(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """``(..., 2), (M ≥ 1, 2) -> (...)``: ``min_j (x − x_j)² + (y − y_j)²``, a loop over the
    few targets instead of ``(..., M, 2)`` temporaries."""
    x, y = points[..., 0], points[..., 1]
    best = None
    for tx, ty in targets:
        dx, dy = x - tx, y - ty
        d2 = dx * dx + dy * dy
        best = d2 if best is None else np.minimum(best, d2)
    return best


def _blank_in_place(array: np.ndarray, dead: np.ndarray) -> None:
    """Set rows of a time-major float array to NaN where ``dead`` (T+1, N) is True."""
    if array.ndim >= 2 and array.shape[:2] == dead.shape and array.dtype.kind == "f":
        array[dead] = np.nan


# ---------------------------------------------------------------------------------------
# the loop


class Recorder(Protocol):
    """What :func:`step_paths` hands each point to; ``finish`` returns the run's result."""

    def begin(self, params: np.ndarray, state) -> None:
        """θ_0 and the initial state."""

    def record(self, k: int, grad: np.ndarray, params: np.ndarray, state) -> None:
        """After step k (k = 1..T): ``grad`` = g_{k−1} the step used, θ_k, state s_k."""

    def finish(self, params: np.ndarray, state, gradient: GradientSource):
        """θ_T, s_T and the gradient source (for what the next step would see)."""


def step_paths(optimizer, params: np.ndarray, steps: int, gradient: GradientSource, recorder):
    """The stepping loop every run goes through; returns ``recorder.finish(...)``.

    Per step k = 0..T−1: ``g_k = gradient(θ_k, k)``, ``Δ_k, s_{k+1} = update(g_k, s_k, θ_k)``,
    ``θ_{k+1} = θ_k + Δ_k``, then ``recorder.record(k + 1, g_k, θ_{k+1}, s_{k+1})``.
    ``params`` is θ_0 ``(..., 2)`` float64 (not modified). Under
    ``np.errstate(all="ignore")``: overflow becomes inf/NaN silently, for the recorder to
    mark as divergence.
    """
    update, record = optimizer.update, recorder.record
    with np.errstate(all="ignore"):
        state = optimizer.init(params)
        recorder.begin(params, state)
        for k in range(steps):
            g = gradient(params, k)
            step, state = update(g, state, params)
            params = params + step
            record(k + 1, g, params, state)
        return recorder.finish(params, state, gradient)


def step_together(optimizers, params: np.ndarray, steps: int, grad, recorders) -> list:
    """:func:`step_paths` for several optimizers from the same θ_0 ``(..., 2)``, in lock
    step, with the exact gradient ``grad``: one call per step on all their points at once
    ``(R, ..., 2)``, instead of one per optimizer. Returns each recorder's ``finish``.

    Run r sees ``grad(stacked)[r]``, the same numbers as ``grad(θ_k of run r)``: a
    surface's gradient is elementwise over the leading axes (each point's f and ∇f are
    its own), so the runs stay exactly what :func:`step_paths` gives each alone. The
    points are copied into a fresh stack every step (a gradient may return a view of it).
    """
    count = len(optimizers)
    updates = [o.update for o in optimizers]
    records = [r.record for r in recorders]
    with np.errstate(all="ignore"):
        states = [o.init(params) for o in optimizers]
        for recorder, state in zip(recorders, states, strict=True):
            recorder.begin(params, state)
        current = [params] * count
        for k in range(steps):
            stacked = np.empty((count, *params.shape))
            for r in range(count):
                stacked[r] = current[r]
            g_all = grad(stacked)
            for r in range(count):
                g = g_all[r]
                step, states[r] = updates[r](g, states[r], current[r])
                current[r] = current[r] + step
                records[r](k + 1, g, current[r], states[r])

        def source(p, k):
            return grad(p)

        return [
            recorder.finish(p, state, source)
            for recorder, p, state in zip(recorders, current, states, strict=True)
        ]


# ---------------------------------------------------------------------------------------
# recorders


class History:
    """Recorder of everything, for :class:`Trajectory`: each step's point, gradient and
    state kept as they come (a list append), written into ``(T+1, ...)`` rows at the end
    (the optimizers and gradient sources return new arrays each step, never changing one
    they returned), then f over all points at once and the divergence mask applied."""

    def __init__(self, surface, steps: int, max_abs: float, batches: MiniBatches | None = None):
        self.surface, self.steps, self.max_abs, self.batches = surface, steps, max_abs, batches

    def begin(self, params, state) -> None:
        self.first = (params, state)
        self.taken: list[tuple] = []  # (g_{k−1}, θ_k, s_k) for k = 1..T

    def record(self, k, grad, params, state) -> None:
        self.taken.append((grad, params, state))

    def _rows(self, params, state):
        """The points, gradients (last row unset) and state rows of every step."""
        params0, state0 = self.first
        points = np.empty((self.steps + 1, *params0.shape))
        grads = np.empty_like(points)
        history = _history(state0, self.steps)
        points[0] = params0
        if self.taken:
            g, p, s = zip(*self.taken, strict=True)
            _fill(grads[:-1], g)
            _fill(points[1:], p)
            for row, values in zip(history, zip(*s, strict=True), strict=True):
                _fill(row[1:], values)
        return points, grads, history

    def finish(self, params, state, gradient) -> Trajectory:
        points, grads, history = self._rows(params, state)
        max_abs = self.max_abs
        grads[self.steps] = gradient(params, self.steps)
        values = np.array(self.surface.f(points), dtype=np.float64)  # a writable copy
        diverged_at = np.full(params.shape[0], -1)
        if _anything_out_of_range(points, max_abs):
            dead = np.logical_or.accumulate(_out_of_range(points, max_abs), axis=0)
            diverged_at = _first_true(dead)
            for array in (points, values, grads, *history):
                _blank_in_place(array, dead)
        return Trajectory(
            points=points,
            values=values,
            grads=grads,
            states=type(state)(*history),
            diverged_at=diverged_at,
            batches=self.batches,
        )


class Marks:
    """Recorder of the lean marks, for :class:`Checkpoints`: the first step beyond
    ``max_abs`` (or non-finite), the first step within ``tol`` of a target while not
    diverged, and f at the ``checkpoints`` (increasing step counts; NaN once diverged).

    Column-wise marks, O(N) per step: no ``(N, M, 2)`` temporaries, no small-axis
    reductions. Memory O(C·N).
    """

    def __init__(self, surface, checkpoints, max_abs: float, targets=None, tol: float = 1e-3):
        self.surface, self.max_abs = surface, max_abs
        self.slots = {s: c for c, s in enumerate(checkpoints)}
        self.targets = None if targets is None or len(targets) == 0 else np.asarray(targets, float)
        self.tol2 = float(tol) * float(tol)

    def begin(self, params, state) -> None:
        n = params.shape[:-1]
        self.values = np.full((len(self.slots), *n), np.nan)
        self.diverged_at = np.full(n, -1)
        self.reached_at = np.full(n, -1)
        self.alive = np.ones(n, dtype=bool)
        self.pending = np.ones(n, dtype=bool)  # alive and not yet within tol of a target
        self.record(0, None, params, state)

    def record(self, k, grad, params, state) -> None:
        bad = newly_out_of_range(params, self.max_abs, self.alive)
        if bad is not None:
            self.diverged_at[bad] = k
            self.alive &= ~bad
            self.pending &= ~bad
        if self.targets is not None and self.pending.any():
            hit = (min_sq_distance(params, self.targets) <= self.tol2) & self.pending
            self.reached_at[hit] = k
            self.pending &= ~hit
        if k in self.slots:
            self.values[self.slots[k]] = np.where(self.alive, self.surface.f(params), np.nan)

    def finish(self, params, state, gradient) -> Checkpoints:
        final_points = np.where(self.alive[..., None], params, np.nan)
        return Checkpoints(self.values, final_points, self.diverged_at, self.reached_at)


class Final(Marks):
    """Recorder of the final point only, for :class:`Outcome` (the marks of :class:`Marks`
    with f at the last step)."""

    def __init__(self, surface, steps: int, max_abs: float, targets=None, tol: float = 1e-3):
        super().__init__(surface, [steps], max_abs, targets, tol)

    def finish(self, params, state, gradient) -> Outcome:
        values, final_points, diverged_at, reached_at = super().finish(params, state, gradient)
        return Outcome(final_points, values[0], diverged_at, reached_at)


# ---------------------------------------------------------------------------------------
# the runs


def run(
    surface,
    optimizer,
    starts,
    steps,
    *,
    noise=0.0,
    seed=None,
    max_abs=1e6,
    batch_size=None,
    batch_seed=0,
) -> Trajectory:
    """Run ``optimizer`` for ``steps`` steps from every start at once, keeping everything.

    Per step k = 0..T-1: ``g_k = ∇f(θ_k) + noise·ξ_k`` (ξ standard normal, independent per
    path and coordinate, from ``np.random.default_rng(seed)``), ``Δ_k, s_{k+1} =
    update(g_k, s_k, θ_k)``, ``θ_{k+1} = θ_k + Δ_k``. With ``batch_size`` b, ∇f(θ_k) is
    replaced by the gradient of the mean over step k's mini-batch of ``surface.data``
    (:class:`~optviz.gradients.MiniBatches`: a fresh permutation per epoch from
    ``batch_seed``); ``values`` stay the full-data loss f. b = n is the full-batch path.

    Args:
        surface: anything with ``f((..., 2)) -> (...)`` and ``grad((..., 2)) -> (..., 2)``
            (and ``data``, a :class:`surfaces.base.DataTerms`, for mini-batches).
        optimizer: an :class:`optviz.optimizers.Optimizer`.
        starts: ``(2,)`` or ``(N, 2)``.
        steps: T ≥ 0.
        noise: standard deviation of additive Gaussian gradient noise (scalar or
            broadcasting against ``(N, 2)``).
        seed: seed of the noise generator.
        max_abs: a coordinate beyond this counts as divergence.
        batch_size: None (full batch) or a whole number 1 ≤ b ≤ n of data points per step.
        batch_seed: whole number ≥ 0 fixing the order of the mini-batches.

    Returns:
        A :class:`Trajectory` with ``points (T+1, N, 2)``, ``values (T+1, N)``,
        ``grads (T+1, N, 2)``, time-stacked ``states``, ``diverged_at (N,)`` and
        ``batches`` (which points each step's gradient saw, or None).

    Raises:
        ValueError: bad starts, steps, noise, batch size or batch seed; a batch size on a
            surface without data.
    """
    params = as_starts(starts)
    steps = as_steps(steps)
    gradient, batches = gradient_source(
        surface, params.shape, noise=noise, seed=seed, batch_size=batch_size, batch_seed=batch_seed
    )
    return step_paths(optimizer, params, steps, gradient, History(surface, steps, max_abs, batches))


def run_together(surface, optimizers, starts, steps, *, max_abs=1e6) -> list[Trajectory]:
    """:func:`run` of each of ``optimizers`` from the same ``starts`` with the exact
    gradient (no noise, full batch), stepped together (:func:`step_together`: one gradient
    call per step for all of them). Each trajectory is exactly what
    ``run(surface, optimizer, starts, steps, max_abs=max_abs)`` returns.
    """
    params = as_starts(starts)
    steps = as_steps(steps)
    recorders = [History(surface, steps, max_abs) for _ in optimizers]
    return step_together(optimizers, params, steps, surface.grad, recorders)


def run_final(
    surface,
    optimizer,
    starts,
    steps,
    *,
    noise=0.0,
    seed=None,
    max_abs=1e6,
    targets=None,
    tol=1e-3,
    batch_size=None,
    batch_seed=0,
) -> Outcome:
    """Like :func:`run` but keeps only the :class:`Outcome` of each path (lean memory).

    Memory is O(N) whatever T is. ``targets`` is ``(M, 2)`` (e.g. the surface's minima);
    ``reached_at`` is the first step k with ``min_j ‖θ_k − target_j‖ ≤ tol``.
    The same loop and gradients as :func:`run`, so the final points agree exactly.
    """
    params = as_starts(starts)
    steps = as_steps(steps)
    gradient, _ = gradient_source(
        surface, params.shape, noise=noise, seed=seed, batch_size=batch_size, batch_seed=batch_seed
    )
    recorder = Final(surface, steps, max_abs, targets, tol)
    return step_paths(optimizer, params, steps, gradient, recorder)


def run_checkpoints(
    surface, optimizer, starts, checkpoints, *, max_abs=1e6, targets=None, tol=1e-3
) -> Checkpoints:
    """Lean batched run recording f at several step counts; what every study runs.

    The loop of :func:`run_final` with zero noise (``g = ∇f(θ_k)``) and the same
    divergence and tolerance marks, on any batch shape. Memory O(C·N + N·M).

    Args:
        starts: ``(2,)``, ``(N, 2)`` or any ``(..., 2)`` (e.g. ``(ny, nx, 2)``, so that
            hyperparameters of shape ``(1, nx, 1)`` and ``(ny, 1, 1)`` broadcast over it).
        checkpoints: increasing whole numbers ≥ 0 (at least one).
        targets: ``(M, 2)`` points for ``reached_at`` (e.g. the minima), or None.

    Returns:
        :class:`Checkpoints`. ``run_final(..., steps=s)`` for a checkpoint s is: final
        value ``values[c]``; ``diverged_at`` where ``≤ s``, else −1; ``reached_at`` where
        ``≤ s``, else −1 (and ``final_points`` when s is the last checkpoint).
    """
    params = as_points(starts)
    checkpoints = [as_steps(s) for s in np.atleast_1d(checkpoints)]
    if not checkpoints or any(b <= a for a, b in pairwise(checkpoints)):
        raise ValueError(f"checkpoints must be increasing step counts, got {checkpoints}")
    gradient, _ = gradient_source(surface, params.shape)
    recorder = Marks(surface, checkpoints, max_abs, targets, tol)
    return step_paths(optimizer, params, checkpoints[-1], gradient, recorder)
