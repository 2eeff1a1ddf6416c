"""Streamlit sections of the many-run studies: basin maps, sweeps, fair comparison, fitting.

Each section is one self-contained call with plain arguments (surface key, parameter
tuples, run tuples, start, steps, language), so the page wires it in with one line:

``basin_section(surface_key, surface_params, runs, steps, lang, key="basin", on_pick=None)``
    ``runs``: tuple of ``(label, optimizer_key, kwargs_pairs, color[, convention])``: each
    run with ``CONVENTIONS[convention][optimizer_key](**kwargs)`` (default PyTorch's;
    the keyword names are that convention's). Returns the start
    ``(x, y)`` clicked on the map — once, on the run right after the click — else None.
``sweep_section(surface_key, surface_params, run, start, steps, lang, key="sweep",
on_pick=None)``
    ``run``: ``(label, optimizer_key, kwargs_pairs)``, a PyTorch run (the swept names are
    PyTorch's keywords). Returns the clicked (or "use best")
    hyperparameters ``{name: value}`` once, else None; :func:`merge_hyperparams` puts
    them into the run's keyword pairs (``beta1``/``beta2`` -> ``betas``; ``steps`` apart).
``fair_section(surface_key, surface_params, runs, start, steps, lang, key="fair")``
    ``runs``: tuple of ``(label, optimizer_key, kwargs_pairs[, convention])``, each run's
    best lr searched in its own convention. Returns
    :class:`FairChoice` ``(lrs, caption, mode)``: one lr per run and the sentence that
    says which comparison is shown (the section also shows it).
``fit_section(surface, trajectories, labels, colors, frame_steps, lang, key="fit")``
    The data-fitting view for ``linear_regression``; returns None.

Clicks: the map and the sweep are drawn in ``st.fragment``s (changing their controls
reruns only the section). A click runs the chart's ``on_select`` callback, which stores
the pick in ``st.session_state[f"{key}_picked"]`` (kept: the last pick) and calls
``on_pick`` — a callback may set the page's widget values, a return value arrives too
late for widgets already drawn above — then the section asks for a full rerun
(``st.rerun(scope="app")``) so that the page sees the pick; on that run the section
returns it. Other session-state keys: ``f"{key}_resolution"``, ``f"{key}_mode"``,
``f"{key}_steps"``, ``f"{key}_chart"`` (widgets) and ``f"{key}_new"``,
``f"{key}_rerun"`` (one-shot flags).

Computation is cached with ``st.cache_data(max_entries=16)`` on plain arguments; the
surface and optimizers are rebuilt inside. Bad input (ranges, hyperparameters a factory
refuses, a surface without minima) gives ``st.info``/``st.warning``, never an exception.
Every visible string comes from the page's one table, :mod:`optviz_app.i18n`
(keys ``studies.*``, English and Japanese).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
import streamlit as st

from optviz import CONVENTIONS
from optviz.conventions import lr_keyword
from optviz.drawing.figures import Style, plotly_locale
from optviz.drawing.studies import (
    basin_figure,
    basin_pick,
    effective_mode,
    fit_spec,
    merge_hyperparams,
    param_name,
    sweep_figure,
    sweep_pick,
)
from optviz.equations import NAMES
from optviz.explore import (
    SWEEP_PARAMS,
    BasinMap,
    Sweep,
    basin_map,
    fair_lrs,
    lr_grid,
    sweep,
    sweep_values,
    sweepable,
)

from . import plot
from .i18n import t
from .state import FAIR_CHOICES, MAX_STEPS
from .surface_builder import make_surface as build_surface

__all__ = [
    "FairChoice",
    "basin_section",
    "build_surface",
    "fair_section",
    "fit_section",
    "merge_hyperparams",
    "sweep_section",
]

RESOLUTIONS = (51, 101, 151, 201)
SWEEP_RESOLUTIONS = (10, 20, 30, 40, 60)
BASIN_MODES = ("minimum", "final_loss", "steps")
SWEEP_MODES = ("final_loss", "steps")
WORK_BUDGET = 50_000_000
"""Largest starts × steps × runs of one basin computation (≈ 2 s on a 2-core machine)."""
SWEEP_WORK_BUDGET = 20_000_000
"""Largest cells × steps of one sweep."""
FAIR_LRS = 40
FAIR_NEIGHBOURS = 2
"""A fair comparison's lr must be good with its 2 grid neighbours on each side too: on
the 40-value grid from 1e-5 to 10 (a factor of about 1.43 per step) that is about η/2 to
2η, so the pick is not a lucky cell on the edge of divergence."""


def _t(key: str, lang: str, **kwargs) -> str:
    """String ``studies.<key>`` of the page's one table (:mod:`optviz_app.i18n`)."""
    return t(f"studies.{key}", lang, **kwargs)


# ---------------------------------------------------------------------------------------
# pure helpers


def capped_steps(steps: int, starts: int, runs: int, budget: int = WORK_BUDGET) -> int:
    """``steps`` reduced so that ``starts · steps · runs ≤ budget`` (at least 1)."""
    per = max(1, starts * max(1, runs))
    return max(1, min(int(steps), budget // per))


def format_values(values: dict, lang: str) -> str:
    """``{"lr": 0.01, "momentum": 0.9}`` -> ``"learning rate lr = 0.01, momentum μ = 0.9"``."""
    return ", ".join(f"{param_name(k, lang)} = {v:.4g}" for k, v in values.items())


def check_range(name: str, low, high) -> bool:
    """Whether ``[low, high]`` is a usable sweep range for ``name``."""
    try:
        low, high = float(low), float(high)
    except (TypeError, ValueError):
        return False
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        return False
    spec = SWEEP_PARAMS.get(name)
    if spec is not None and spec.log and low <= 0:
        return False
    return not (name == "steps" and low < 1)


class FairChoice(NamedTuple):
    """What :func:`fair_section` decided: one lr per run, the sentence saying which
    comparison is shown, and the mode (``"same"`` or ``"best"``)."""

    lrs: tuple[float, ...]
    caption: str
    mode: str


# ---------------------------------------------------------------------------------------
# cached computations (plain arguments; rebuilt inside)


@st.cache_data(max_entries=16, show_spinner=False)
def _basin_cached(
    surface_key, surface_params, optimizer_key, kwargs, resolution, steps, convention="pytorch"
):
    """The basin map of ``CONVENTIONS[convention][optimizer_key](**dict(kwargs))``."""
    surface = build_surface(surface_key, surface_params)
    optimizer = CONVENTIONS[convention][optimizer_key](**dict(kwargs))
    return basin_map(surface, optimizer, resolution=resolution, steps=steps)


@st.cache_data(max_entries=16, show_spinner=False)
def _sweep_cached(surface_key, surface_params, optimizer_key, kwargs, x, y, start, steps):
    """``x``, ``y``: ``(name, low, high, n)``."""
    surface = build_surface(surface_key, surface_params)
    (xn, xl, xh, nx), (yn, yl, yh, ny) = x, y
    return sweep(
        surface,
        optimizer_key,
        kwargs,
        xn,
        sweep_values(xn, nx, xl, xh),
        yn,
        sweep_values(yn, ny, yl, yh),
        start=start,
        steps=steps,
    )


@st.cache_data(max_entries=16, show_spinner=False)
def fair_cached(surface_key, surface_params, runs, start, steps):
    """Each run's best lr (None where none works) from a sweep of :data:`FAIR_LRS`
    learning rates over the same step budget (``optviz.explore.fair_lrs``), cached: the
    fair-comparison section and the main view's "best lr" mode share it.

    ``runs``: ``((optimizer_key, kwargs_pairs[, convention]), ...)`` (PyTorch's by
    default; each run's lr is searched in its own convention).
    """
    surface = build_surface(surface_key, surface_params)
    return fair_lrs(
        surface,
        runs,
        start=start,
        steps=steps,
        lrs=lr_grid(FAIR_LRS),
        neighbours=FAIR_NEIGHBOURS,
        within=surface.bounds,
    )


# ---------------------------------------------------------------------------------------
# click plumbing


def _on_select(key: str, pick: Callable[[dict], Any], on_pick: Callable | None) -> None:
    """``on_select`` callback: map the clicked point, store it, call ``on_pick``."""
    state = st.session_state.get(f"{key}_chart")
    points = state.selection.points if state is not None else []
    if not points:
        return
    try:
        value = pick(points[0])
    except ValueError:
        return
    _store_pick(key, value, on_pick)


def _store_pick(key: str, value, on_pick: Callable | None) -> None:
    st.session_state[f"{key}_picked"] = value
    st.session_state[f"{key}_new"] = value
    st.session_state[f"{key}_rerun"] = True
    if on_pick is not None:
        if isinstance(value, tuple):
            on_pick(*value)
        else:
            on_pick(value)


def _rerun_if_picked(key: str) -> None:
    """After a pick, rerun the whole page (a fragment rerun would not reach the page)."""
    if st.session_state.pop(f"{key}_rerun", False):
        st.rerun(scope="app")


def _steps_control(key: str, steps: int, lang: str) -> int:
    default = int(min(max(1, steps), 300))
    return int(
        st.number_input(
            _t("study_steps", lang),
            min_value=1,
            max_value=MAX_STEPS,
            value=default,
            step=50,
            key=f"{key}_steps",
        )
    )


# ---------------------------------------------------------------------------------------
# basin map


def basin_section(
    surface_key: str,
    surface_params: tuple,
    runs: Sequence[tuple[str, str, tuple, str]],
    steps: int,
    lang: str,
    *,
    key: str = "basin",
    on_pick: Callable[[float, float], Any] | None = None,
    style: Style | None = None,
) -> tuple[float, float] | None:
    """Basin-of-attraction maps of the runs, side by side; returns a clicked start.

    Args:
        surface_key, surface_params: the surface (:func:`build_surface`).
        runs: ``(label, optimizer_key, kwargs_pairs, color[, convention])`` per run (its
            optimizer from ``CONVENTIONS[convention]``, default PyTorch's).
        steps: the page's step count (the default of this section's own steps control,
            capped at 300; the computation is capped at :data:`WORK_BUDGET`).
        on_pick: called as ``on_pick(x, y)`` from the click callback (before the rerun).
        style: the chart sizes (presenter mode's on a projector); ``Style()`` if None.

    Returns:
        The clicked start ``(x, y)`` on the run right after the click, else None; the
        last pick stays in ``st.session_state[f"{key}_picked"]``.
    """
    st.subheader(_t("basin_title", lang))
    st.caption(_t("basin_help", lang))
    _basin_fragment(
        surface_key, tuple(surface_params), tuple(runs), steps, lang, key, on_pick, style
    )
    return st.session_state.pop(f"{key}_new", None)


def _basin_body(surface_key, surface_params, runs, steps, lang, key, on_pick, style=None) -> None:
    if not runs:
        st.info(_t("no_runs", lang))
        return
    c1, c2, c3 = st.columns([1, 2, 1])
    resolution = c1.selectbox(_t("resolution", lang), RESOLUTIONS, index=1, key=f"{key}_resolution")
    mode = c2.radio(
        _t("colour_by", lang),
        BASIN_MODES,
        format_func=lambda m: _t(f"mode_{m}", lang),
        horizontal=True,
        key=f"{key}_mode",
    )
    with c3:
        asked = _steps_control(key, steps, lang)
    try:
        surface = build_surface(surface_key, surface_params)
    except (ValueError, KeyError, TypeError) as error:
        st.warning(_t("surface_error", lang, error=error))
        return
    run_steps = capped_steps(asked, resolution * resolution, len(runs))
    if run_steps < asked:
        st.info(_t("capped", lang, steps=run_steps, asked=asked))
    maps: list[BasinMap] = []
    labels, colors = [], []
    with st.spinner(_t("computing", lang)):
        for label, optimizer_key, kwargs, color, *convention in runs:
            try:
                m = _basin_cached(
                    surface_key,
                    surface_params,
                    optimizer_key,
                    tuple(kwargs),
                    resolution,
                    run_steps,
                    *convention,
                )
            except (ValueError, KeyError, TypeError) as error:
                st.warning(_t("run_error", lang, label=label, error=error))
                continue
            maps.append(m)
            labels.append(label)
            colors.append(color)
    if not maps:
        return
    shown = effective_mode(maps, mode)
    if shown != mode:
        st.info(_t("no_minima", lang))
    fig = basin_figure(maps, labels, colors, shown, lang, f_min=surface.f_min, style=style)
    pick = functools.partial(basin_pick, maps[0])
    st.plotly_chart(
        fig,
        key=f"{key}_chart",
        on_select=functools.partial(_on_select, key, pick, on_pick),
        selection_mode="points",
        config={"displaylogo": False, **plotly_locale(lang)},
    )
    picked = st.session_state.get(f"{key}_picked")
    if picked is not None:
        st.caption(_t("picked_start", lang, x=picked[0], y=picked[1]))
    _rerun_if_picked(key)


_basin_fragment = st.fragment(_basin_body)


# ---------------------------------------------------------------------------------------
# hyperparameter sweep


def sweep_section(
    surface_key: str,
    surface_params: tuple,
    run: tuple[str, str, tuple],
    start: tuple[float, float],
    steps: int,
    lang: str,
    *,
    key: str = "sweep",
    on_pick: Callable[[dict], Any] | None = None,
    style: Style | None = None,
) -> dict | None:
    """A two-hyperparameter sweep of one run; returns clicked hyperparameter values.

    Args:
        run: ``(label, optimizer_key, kwargs_pairs)``.
        start: the start of every cell; steps: default of the section's steps control.
        on_pick: called as ``on_pick({name: value, ...})`` from the click callback.
        style: the chart sizes (presenter mode's on a projector); ``Style()`` if None.

    Returns:
        ``{x_param: value, y_param: value}`` (``beta1``/``beta2``/``steps`` possible; see
        :func:`merge_hyperparams`) on the run right after a click or "use best", else None;
        the last pick stays in ``st.session_state[f"{key}_picked"]``.
    """
    st.subheader(_t("sweep", lang))
    st.caption(_t("sweep_help", lang))
    _sweep_fragment(
        surface_key,
        tuple(surface_params),
        tuple(run),
        tuple(start),
        steps,
        lang,
        key,
        on_pick,
        style,
    )
    return st.session_state.pop(f"{key}_new", None)


def _default_pair(names: Sequence[str]) -> tuple[str, str]:
    x = "lr" if "lr" in names else names[0]
    for y in ("momentum", "beta1", "alpha", "rho", "eps", "steps"):
        if y in names and y != x:
            return x, y
    return x, next(n for n in names if n != x)


def _range_inputs(name: str, column, key: str, lang: str) -> tuple[float, float]:
    spec = SWEEP_PARAMS[name]
    fmt = "%d" if name == "steps" else "%g"
    cast = int if name == "steps" else float
    low = column.number_input(
        f"{param_name(name, lang)} {_t('from', lang)}",
        value=cast(spec.low),
        format=fmt,
        key=f"{key}_{name}_low",
    )
    high = column.number_input(
        f"{param_name(name, lang)} {_t('to', lang)}",
        value=cast(spec.high),
        format=fmt,
        key=f"{key}_{name}_high",
    )
    return low, high


def _sweep_body(
    surface_key, surface_params, run, start, steps, lang, key, on_pick, style=None
) -> None:
    label, optimizer_key, kwargs = run
    name = NAMES.get(optimizer_key, optimizer_key)
    try:
        names = sweepable(optimizer_key)
    except ValueError as error:
        st.warning(_t("run_error", lang, label=label, error=error))
        return
    if len(names) < 2:
        st.info(_t("one_param", lang, name=name))
        return
    dx, dy = _default_pair(names)
    c1, c2, c3 = st.columns(3)
    x_param, y_param = (
        column.selectbox(
            _t(f"{axis}_param", lang),
            names,
            index=names.index(default),
            format_func=lambda n: param_name(n, lang),
            key=f"{key}_{axis}_{optimizer_key}",
        )
        for column, axis, default in ((c1, "x", dx), (c2, "y", dy))
    )
    with c3:
        n = st.selectbox(_t("cells", lang), SWEEP_RESOLUTIONS, index=2, key=f"{key}_cells")
        mode = st.radio(
            _t("colour_by", lang),
            SWEEP_MODES,
            format_func=lambda m: _t(f"mode_{m}", lang),
            key=f"{key}_mode",
        )
    if x_param == y_param:
        st.warning(_t("same_param", lang))
        return
    xl, xh = _range_inputs(x_param, c1, key, lang)
    yl, yh = _range_inputs(y_param, c2, key, lang)
    with c3:
        asked = _steps_control(key, steps, lang) if "steps" not in (x_param, y_param) else 0
    for p, lo, hi in ((x_param, xl, xh), (y_param, yl, yh)):
        if not check_range(p, lo, hi):
            extra = "whole" if p == "steps" else "positive" if SWEEP_PARAMS[p].log else None
            pos = _t(extra, lang) if extra else ""
            st.warning(_t("bad_range", lang, name=param_name(p, lang), pos=pos))
            return
    run_steps = capped_steps(asked, n * n, 1, SWEEP_WORK_BUDGET) if asked else 1
    if asked and run_steps < asked:
        st.info(_t("capped", lang, steps=run_steps, asked=asked))
    if "steps" in (x_param, y_param):  # the step axis sets the budget; keep it bounded
        if x_param == "steps":
            xh = min(xh, MAX_STEPS)
        else:
            yh = min(yh, MAX_STEPS)
    try:
        surface = build_surface(surface_key, surface_params)
        with st.spinner(_t("computing", lang)):
            result: Sweep = _sweep_cached(
                surface_key,
                surface_params,
                optimizer_key,
                tuple(kwargs),
                (x_param, float(xl), float(xh), n),
                (y_param, float(yl), float(yh), n),
                tuple(float(v) for v in start),
                run_steps,
            )
    except (ValueError, KeyError, TypeError) as error:
        st.warning(_t("run_error", lang, label=label, error=error))
        return
    if result.invalid.all():
        st.warning(_t("all_invalid", lang, name=name))
        return
    fig = sweep_figure(result, mode, lang, f_min=surface.f_min, style=style)
    st.plotly_chart(
        fig,
        key=f"{key}_chart",
        on_select=functools.partial(
            _on_select, key, functools.partial(sweep_pick, result), on_pick
        ),
        selection_mode="points",
        config={"displaylogo": False, **plotly_locale(lang)},
    )
    cell = result.best_cell()
    if cell is None:
        st.info(_t("all_diverged", lang))
    else:
        iy, ix = cell
        best = {x_param: result.x_values[ix].item(), y_param: result.y_values[iy].item()}
        loss = float(result.final_loss[iy, ix])
        st.caption(_t("best_is", lang, values=format_values(best, lang), loss=loss))
        st.button(
            _t("use_best", lang),
            key=f"{key}_use_best",
            on_click=_store_pick,
            args=(key, best, on_pick),
        )
    picked = st.session_state.get(f"{key}_picked")
    if picked:
        st.caption(_t("picked_values", lang, values=format_values(picked, lang)))
    _rerun_if_picked(key)


_sweep_fragment = st.fragment(_sweep_body)


# ---------------------------------------------------------------------------------------
# fair comparison


def fair_section(
    surface_key: str,
    surface_params: tuple,
    runs: Sequence[tuple[str, str, tuple]],
    start: tuple[float, float],
    steps: int,
    lang: str,
    *,
    key: str = "fair",
    on_change: Callable | None = None,
) -> FairChoice:
    """Switch between one shared learning rate and each optimizer's best learning rate.

    Args:
        runs: ``(label, optimizer_key, kwargs_pairs[, convention])`` per run (their
            learning rate is the default shared lr and the fallback when a sweep finds
            nothing; each run's best lr is searched in its own convention).
        start, steps: the start and the step budget of the comparison.
        on_change: called (no arguments) when the mode or the shared lr is changed; the
            widgets' values are ``st.session_state[f"{key}_mode"]`` and ``[f"{key}_lr"]``
            (seed those keys to start from other values).

    Returns:
        :class:`FairChoice`: ``lrs`` (one float per run), ``caption`` (shown here too; the
        page may repeat it next to the main view), ``mode`` (``"same"``/``"best"``).
    """
    st.subheader(_t("fair", lang))
    own = [_own_lr(r) for r in runs]
    mode = st.radio(
        _t("fair_switch", lang),
        FAIR_CHOICES,
        format_func=lambda m: _t(f"fair_{m}", lang),
        key=f"{key}_mode",
        on_change=on_change,
    )
    if mode == "same":
        seeded = f"{key}_lr" in st.session_state
        lr = st.number_input(
            _t("shared_lr", lang),
            min_value=0.0,
            value=None if seeded else own[0] if own else 0.01,
            format="%g",
            key=f"{key}_lr",
            on_change=on_change,
        )
        if not (_number(lr) and lr > 0):
            st.warning(_t("bad_lr", lang))
            lr = own[0] if own else 0.01
        caption = _t("caption_same", lang, lr=lr)
        st.caption(caption)
        return FairChoice(tuple(float(lr) for _ in runs), caption, mode)
    if not runs:
        st.info(_t("no_runs", lang))
        return FairChoice((), "", mode)
    pairs = tuple((opt, tuple(kw), *convention) for _, opt, kw, *convention in runs)
    try:
        with st.spinner(_t("computing", lang)):
            best = fair_cached(
                surface_key, tuple(surface_params), pairs, tuple(float(v) for v in start), steps
            )
    except (ValueError, KeyError, TypeError) as error:
        st.warning(_t("surface_error", lang, error=error))
        return FairChoice(tuple(own), _t("caption_same", lang, lr=own[0]), "same")
    parts, lrs = [], []
    for (label, *_), found, fallback in zip(runs, best, own, strict=True):
        if found is None:
            parts.append(_t("caption_none", lang, label=label, lr=fallback))
            lrs.append(fallback)
        else:
            parts.append(f"{label} {found:.3g}")
            lrs.append(float(found))
    grid = lr_grid(FAIR_LRS)
    caption = _t(
        "caption_best",
        lang,
        n=FAIR_LRS,
        lo=float(grid[0]),
        hi=float(grid[-1]),
        steps=int(steps),
        x=float(start[0]),
        y=float(start[1]),
        list=", ".join(parts) if lang == "en" else "、".join(parts),
    )
    st.caption(caption)
    return FairChoice(tuple(lrs), caption, mode)


def _own_lr(fair_run) -> float:
    """A fair-comparison run's own learning rate (its convention's keyword), 0.01 if it
    has none that is a number."""
    _, optimizer_key, kwargs, *convention = fair_run
    try:
        lr = dict(kwargs).get(lr_keyword(optimizer_key, *convention))
    except (ValueError, KeyError):
        return 0.01
    return float(lr) if _number(lr) else 0.01


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# ---------------------------------------------------------------------------------------
# data-fitting view


def _wb_path(trajectory) -> np.ndarray | None:
    """``(T+1, 2)`` (w, b) path of a Trajectory / array ``(T+1, N, 2)`` or ``(T+1, 2)``."""
    points = getattr(trajectory, "points", trajectory)
    if points is None:
        return None
    points = np.asarray(points, dtype=np.float64)
    if points.ndim == 3:
        points = points[:, 0, :]
    if points.ndim != 2 or points.shape[-1] != 2 or points.shape[0] == 0:
        return None
    return points


def fit_section(
    surface,
    trajectories: Sequence,
    labels: Sequence[str],
    colors: Sequence[str],
    frame_steps: Sequence[int],
    lang: str,
    *,
    key: str = "fit",
    batches: Sequence | None = None,
    step: int | None = None,
    follow: str | None = None,
) -> None:
    """The data-fitting view: data, least-squares line, each run's line per frame step.

    Args:
        surface: the linear-regression Surface (its ``params`` hold ``x``, ``y``,
            ``solution``); anything else shows a note.
        trajectories: per run a :class:`optviz.Trajectory` (first start used), a
            ``(T+1, N, 2)`` or ``(T+1, 2)`` array, or None (skipped).
        frame_steps: the main view's frame steps (frames are named alike, ``"k12"``).
        batches: per run None or its :class:`optviz.gradients.MiniBatches` (a
            trajectory's own ``batches`` are used when this is not given): the points of
            the batch of the step shown are circled in the run's colour.
        step: the step drawn before playing (the page's step k; None: the last).
        follow: the key of the chart whose player drives this one (the page's map): no
            player of its own, its frames shown as that player moves
            (:func:`optviz_app.plot.chart`); None: its own play button and slider.
    """
    st.subheader(_t("fit", lang))
    params = getattr(surface, "params", None) or {}
    if "x" not in params or "y" not in params or "solution" not in params:
        st.info(_t("fit_only", lang))
        return
    st.caption(_t("fit_help" if follow is None else "fit_follows", lang))
    if batches is None:
        batches = [getattr(t, "batches", None) for t in trajectories]
    kept = [
        (path, label, color, batch)
        for path, label, color, batch in zip(
            (_wb_path(t) for t in trajectories), labels, colors, batches, strict=True
        )
        if path is not None
    ]
    if not kept:
        st.info(_t("no_paths", lang))
        return
    paths, names, cols, batch_list = zip(*kept, strict=True)
    fig = fit_spec(
        params["x"],
        params["y"],
        paths,
        names,
        cols,
        params["solution"],
        frame_steps,
        lang,
        batches=batch_list,
        initial_step=step,
        controls=follow is None,
    )
    plot.chart(
        fig, key=f"{key}_chart", config={"responsive": True}, lang=lang, follow=follow, step=step
    )
