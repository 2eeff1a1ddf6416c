"""Step an optimizer over a surface from a batch of starts.

``run`` keeps the full history (for the main view and the step inspector);
``run_final`` keeps only what many-run studies colour by (final point and loss, the step
of divergence, the first step within tolerance of a target), so a 201×201 basin map does
not hold ``(T+1, N, 2)`` arrays.

Both advance all N paths together, one array operation per step, and compute under
``np.errstate(all="ignore")``: a path that overflows produces inf/NaN silently, and is then
marked as diverged from the first step whose point is non-finite or has a coordinate
beyond ``max_abs``. From that step on the path is NaN (it simply ends).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Trajectory:
    """Full history of N paths over T steps (time-major).

    points: (T+1, N, 2) positions; row 0 is the starts; NaN from divergence on.
    values: (T+1, N) f along each path (NaN from divergence on).
    grads: (T+1, N, 2) the gradient the optimizer saw at each point (noise included);
        step k+1 used ``grads[k]``; the last row is the gradient at the final point.
    states: the optimizer's state NamedTuple with every field stacked on a leading
        time axis: field shape (T+1, *field_shape); row k is the state after step k
        (row 0 is the initial state). Array fields are NaN from divergence on.
    diverged_at: (N,) int, the first step whose point was non-finite or beyond max_abs,
        -1 if never.
    """

    points: np.ndarray
    values: np.ndarray
    grads: np.ndarray
    states: Any
    diverged_at: np.ndarray

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


def as_starts(starts) -> np.ndarray:
    """``(2,)`` or ``(N, 2)`` -> a fresh float64 ``(N, 2)`` array; ValueError otherwise."""
    arr = np.array(starts, dtype=np.float64)
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise ValueError(f"starts must have shape (2,) or (N, 2), got {np.shape(starts)}")
    return arr


def as_steps(steps) -> int:
    """A whole number of steps ≥ 0; ValueError otherwise."""
    if isinstance(steps, bool) or not np.isfinite(steps) or int(steps) != steps or steps < 0:
        raise ValueError(f"steps must be a whole number ≥ 0, got {steps}")
    return int(steps)


def _noise_source(noise, seed, shape):
    """Function of nothing returning one draw of gradient noise of ``shape`` (or None)."""
    noise = np.asarray(noise, dtype=np.float64)
    if not np.all(np.isfinite(noise) & (noise >= 0)):
        raise ValueError(f"noise must be a finite standard deviation ≥ 0, got {noise}")
    if not np.any(noise > 0):
        return None
    rng = np.random.default_rng(seed)
    return lambda: noise * rng.standard_normal(shape)


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


def run(surface, optimizer, starts, steps, *, noise=0.0, seed=None, max_abs=1e6) -> Trajectory:
    """Run ``optimizer`` for ``steps`` steps from every start at once.

    Per step k = 0..T-1: ``g_k = ∇f(θ_k) + noise·ξ_k`` (ξ standard normal, independent per
    path and coordinate, from ``np.random.default_rng(seed)``), ``Δ_k, s_{k+1} =
    update(g_k, s_k, θ_k)``, ``θ_{k+1} = θ_k + Δ_k``.

    Args:
        surface: anything with ``f((..., 2)) -> (...)`` and ``grad((..., 2)) -> (..., 2)``.
        optimizer: an :class:`optviz.optimizers.Optimizer`.
        starts: ``(2,)`` or ``(N, 2)``.
        steps: T ≥ 0.
        noise: standard deviation of additive Gaussian gradient noise (scalar or
            broadcasting against ``(N, 2)``).
        seed: seed of the noise generator.
        max_abs: a coordinate beyond this counts as divergence.

    Returns:
        A :class:`Trajectory` with ``points (T+1, N, 2)``, ``values (T+1, N)``,
        ``grads (T+1, N, 2)``, time-stacked ``states`` and ``diverged_at (N,)``.
    """
    params = as_starts(starts)
    steps = as_steps(steps)
    draw = _noise_source(noise, seed, params.shape)
    points = np.empty((steps + 1, *params.shape))
    grads = np.empty_like(points)
    grad_fn, update = surface.grad, optimizer.update
    with np.errstate(all="ignore"):
        state = optimizer.init(params)
        history = _history(state, steps)
        points[0] = params
        for k in range(steps):
            g = grad_fn(params)
            if draw is not None:
                g = g + draw()
            grads[k] = g
            step, state = update(g, state, params)
            params = params + step
            points[k + 1] = params
            for row, field in zip(history, state, strict=True):
                row[k + 1] = field
        g = grad_fn(params)
        grads[steps] = g + draw() if draw is not None else g
        values = np.array(surface.f(points), dtype=np.float64)  # a writable copy
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
    )


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
) -> Outcome:
    """Like :func:`run` but keeps only the :class:`Outcome` of each path (lean memory).

    Memory is O(N) whatever T is. ``targets`` is ``(M, 2)`` (e.g. the surface's minima);
    ``reached_at`` is the first step k with ``min_j ‖θ_k − target_j‖ ≤ tol``.
    The same arithmetic as :func:`run`, so the final points agree exactly.
    """
    params = as_starts(starts)
    steps = as_steps(steps)
    n = params.shape[0]
    draw = _noise_source(noise, seed, params.shape)
    targets = None if targets is None or len(targets) == 0 else np.asarray(targets, float)
    diverged_at = np.full(n, -1)
    reached_at = np.full(n, -1)
    grad_fn, update = surface.grad, optimizer.update

    def mark(k, params):
        bad = newly_out_of_range(params, max_abs, diverged_at < 0)
        if bad is not None:
            diverged_at[bad] = k
        if targets is not None:
            hit = (min_sq_distance(params, targets) <= tol * tol) & (reached_at < 0)
            reached_at[hit & (diverged_at < 0)] = k

    with np.errstate(all="ignore"):
        state = optimizer.init(params)
        mark(0, params)
        for k in range(steps):
            g = grad_fn(params)
            if draw is not None:
                g = g + draw()
            step, state = update(g, state, params)
            params = params + step
            mark(k + 1, params)
        values = np.asarray(surface.f(params), dtype=np.float64)
    dead = diverged_at >= 0
    return Outcome(
        final_points=np.where(dead[:, None], np.nan, params),
        final_values=np.where(dead, np.nan, values),
        diverged_at=diverged_at,
        reached_at=reached_at,
    )
