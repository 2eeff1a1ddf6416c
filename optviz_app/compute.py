"""Computations behind the page: optimizers, runs, summaries (no Streamlit here; a
typed formula's surface comes cached from :mod:`optviz_app.surface_builder`).

Every function takes plain hashable values (surface key, parameter tuples, a
:class:`RunSpec`, a start tuple, a step count), so :mod:`optviz_app.session` can cache
them per run and a change of one run recomputes only that run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from optviz import CONVENTIONS, Trajectory, run, schedules
from optviz.descent import min_sq_distance, run_together
from optviz.minima import reference_minima

from .state import RunSpec, factory_kwargs
from .surface_builder import build_surface

MAX_ABS = 1e6


def build_lr(spec: RunSpec):
    """The learning rate (a float, or a schedule from ``optviz.schedules``)."""
    if spec.schedule == "constant":
        return spec.lr
    return schedules.SCHEDULES[spec.schedule](spec.lr, **spec.schedule_values())


def build_optimizer(spec: RunSpec):
    """``CONVENTIONS[spec.convention][spec.optimizer](<lr keyword>=..., **hyper)``; a
    ValueError names the bad value."""
    kwargs = factory_kwargs(spec.optimizer, spec.convention, build_lr(spec), dict(spec.hyper))
    return CONVENTIONS[spec.convention][spec.optimizer](**kwargs)


@dataclass(frozen=True)
class RunResult:
    """One run's trajectory (single start) or the error that prevented it.

    trajectory: :class:`optviz.Trajectory` with N = 1, or None; error: message or "".
    """

    trajectory: Trajectory | None
    error: str = ""

    @property
    def points(self) -> np.ndarray:
        """(T+1, 2)."""
        return self.trajectory.points[:, 0]

    @property
    def values(self) -> np.ndarray:
        """(T+1,)."""
        return self.trajectory.values[:, 0]

    @property
    def diverged_at(self) -> int:
        return int(self.trajectory.diverged_at[0])


def compute_run(
    surface_key: str,
    surface_params: tuple[tuple[str, float], ...],
    spec: RunSpec,
    start: tuple[float, float],
    steps: int,
) -> RunResult:
    """Run ``spec`` from ``start`` for ``steps`` steps; a ValueError becomes ``error``.

    A mini-batch size (``spec.batch_size``) draws each step's gradient from that many of
    the surface's data points in the order of ``spec.seed``; on a surface without data it
    is ignored (the full gradient)."""
    surface, _ = build_surface(surface_key, surface_params)
    batch_size = spec.batch_size if surface.data is not None else None
    try:
        optimizer = build_optimizer(spec)
        traj = run(
            surface,
            optimizer,
            np.asarray(start, dtype=np.float64),
            steps,
            noise=spec.noise,
            seed=spec.seed,
            max_abs=MAX_ABS,
            batch_size=batch_size,
            batch_seed=spec.seed,
        )
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as error:
        return RunResult(None, str(error) or type(error).__name__)
    return RunResult(traj)


def steps_alone(spec: RunSpec, surface) -> bool:
    """Whether run ``spec`` needs a gradient source of its own (gradient noise, or a
    mini-batch size on a surface with data) rather than the surface's exact gradient."""
    return bool(spec.noise) or (spec.batch_size is not None and surface.data is not None)


def compute_runs(
    surface_key: str,
    surface_params: tuple[tuple[str, float], ...],
    specs: tuple[RunSpec, ...],
    start: tuple[float, float],
    steps: int,
) -> list[RunResult]:
    """:func:`compute_run` of each of ``specs`` (same results, same errors), faster: the
    runs on the exact gradient step together, one gradient call per step for all of
    them (:func:`optviz.descent.run_together`); the others, a run whose optimizer cannot
    be built, or all of them when stepping together fails, are computed one by one."""
    surface, _ = build_surface(surface_key, surface_params)
    together: list[tuple[int, object]] = []
    for i, spec in enumerate(specs):
        if steps_alone(spec, surface):
            continue
        try:
            together.append((i, build_optimizer(spec)))
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            continue  # compute_run below says why
    done: dict[int, RunResult] = {}
    if len(together) > 1:
        try:
            trajectories = run_together(
                surface,
                [optimizer for _, optimizer in together],
                np.asarray(start, dtype=np.float64),
                steps,
                max_abs=MAX_ABS,
            )
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            trajectories = None  # one by one, so each run gets its own message
        if trajectories is not None:
            done = {i: RunResult(t) for (i, _), t in zip(together, trajectories, strict=True)}
    return [
        done[i] if i in done else compute_run(surface_key, surface_params, spec, start, steps)
        for i, spec in enumerate(specs)
    ]


@dataclass(frozen=True)
class Summary:
    """The results-table row of one run.

    final_loss: f(θ_T) (NaN if the run diverged or left the domain); gap: f(θ_T) − f*
    (None if f* unknown); distance: from θ_T to the nearest minimum of
    :func:`optviz.minima.reference_minima` (None if there is none; NaN if the run diverged
    or left the domain); reached: the first step within ``tol`` of such a minimum or with
    f − f* ≤ ``tol`` (-1 never; None when there is neither a minimum nor f*);
    diverged_at: first diverged step (-1 never); left_domain_at: first step whose point is
    finite but f or ∇f is not (-1 never); final_point: the last point before the run
    diverged or left the domain; moved: whether θ changed at all before then.
    """

    final_loss: float
    gap: float | None
    distance: float | None
    reached: int | None
    diverged_at: int
    final_point: tuple[float, float]
    moved: bool
    left_domain_at: int = -1


def first_undefined_step(points: np.ndarray, values: np.ndarray, grads: np.ndarray) -> int:
    """``(T+1, 2), (T+1,), (T+1, 2) -> int``: the first step whose point is finite but f or
    the gradient is not (the path left the function's domain, e.g. log x at x < 0), −1 if
    none. A non-finite point is a divergence, not counted here."""
    finite_point = np.all(np.isfinite(points), axis=-1)
    undefined = finite_point & ~(np.isfinite(values) & np.all(np.isfinite(grads), axis=-1))
    hits = np.flatnonzero(undefined)
    return int(hits[0]) if hits.size else -1


def summarize(result: RunResult, surface, tol: float) -> Summary:
    """Summary of a successful :class:`RunResult` on ``surface`` (pure but for a cache of
    found minima).

    The run counts up to the step before it left the domain or diverged, whichever came
    first; only a run that did neither has a final loss and a distance.
    """
    pts, vals = result.points, result.values
    div = result.diverged_at
    left = first_undefined_step(pts, vals, result.trajectory.grads[:, 0])
    ends = [k for k in (div, left) if k >= 0]
    end = min(ends) if ends else len(pts)  # steps 0 .. end-1 count
    last = max(end - 1, 0)
    final = pts[last]
    complete = not ends
    minima = reference_minima(surface, final)
    f_star = None if surface.f_min is None else float(surface.f_min)
    near = np.zeros(end, dtype=bool)
    distance = None
    if minima.size:
        d = np.sqrt(min_sq_distance(pts[:end], minima)) if end else np.empty(0)
        near = d <= tol
        distance = float(d[last]) if complete else math.nan
    if f_star is not None:
        with np.errstate(invalid="ignore"):
            near = near | (vals[:end] - f_star <= tol)
    hits = np.flatnonzero(near)
    reached = (int(hits[0]) if hits.size else -1) if minima.size or f_star is not None else None
    final_loss = float(vals[-1]) if complete else math.nan
    gap = None if f_star is None else final_loss - f_star
    moved = bool(np.any(pts[1 : last + 1] != pts[0])) if last > 0 else False
    return Summary(
        final_loss,
        gap,
        distance,
        reached,
        div,
        (float(final[0]), float(final[1])),
        moved,
        left,
    )
