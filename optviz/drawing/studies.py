"""Figures of the many-run studies: basin maps, hyperparameter sweeps, the data-fitting view.

Pure: NumPy arrays and study results (:mod:`optviz.explore`) in, ``plotly`` figures out.
Every visible string exists in English and Japanese (``lang`` is ``"en"`` or ``"ja"``; the
``fig.`` keys of :mod:`optviz.strings`).

Payload: a figure is sent to the browser whole each time it changes, so each figure stays
under ~300 KB. Colour arrays are sent as one byte per cell (plotly.py sends NumPy arrays as
base64 typed arrays): categories as small integers, continuous values quantised into
:data:`LEVELS` colour levels (a heatmap of a few hundred pixels shows no more). The few
special outcomes (diverged, invalid, never within tolerance) take the lowest levels, each
with its own flat colour. A basin map too large for the budget is shown with every s-th
start (:func:`display_stride`; the figure says so).

Clicks: Plotly does not report clicks on heatmaps, so every heatmap is
overlaid with an invisible scatter grid (``marker.opacity`` 0; ``meta["role"]`` is
:data:`CLICK_GRID`) at cell centres, subsampled to at most :data:`CLICK_SIDE` per side.
The grid also carries the hover labels: Plotly's hover picks the closest point and a
heatmap always reports the largest distance, so with a grid on top the heatmap's own
hover label could never show (the heatmaps use ``hoverinfo="skip"``). A hover label thus
describes exactly the start (or hyperparameters) that a click loads. A clicked point
(a selection event reports its ``x`` and ``y``) maps back with
:func:`basin_pick` / :func:`sweep_pick`.

Sweep axes of log-spaced parameters (``lr``, ``eps``, ``steps``) are drawn in log10
coordinates on a linear axis with decade tick labels, so that the cells are equally wide;
:func:`axis_coords` converts and :func:`sweep_pick` converts back.
"""

from __future__ import annotations

import functools
import inspect
import math
import unicodedata
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import sequential
from plotly.subplots import make_subplots

from .. import strings
from ..catalog import OPTIMIZERS, sweep_labels
from ..explore import DIVERGED, NO_MINIMUM, SWEEP_PARAMS, BasinMap, Sweep
from .figures import Figure, Style

LEVELS = 256
"""Colour levels of a quantised heatmap (one byte per cell)."""
Z_BUDGET = 165_000
"""Largest number of colour bytes (cells) one basin figure sends (≈ 227 KB as base64)."""
CLICK_SIDE = 60
"""Largest side of the invisible click grid of one subplot."""
CLICK_POINTS = 2_500
"""Largest number of click-grid points of one basin figure (over all its subplots)."""
CLICK_GRID = "click-grid"
"""``meta["role"]`` of the invisible click-grid traces."""
BASIN_COLS = 2
"""Most basin maps side by side (more runs take more rows)."""
BASIN_ROW = 0.8
"""Height of a row of basin maps, as a fraction of the style's ``side_height``: maps a
phone draws small (two to a 340-px row) leave less blank below them."""
MODEBAR = 24
"""Room (px) above the subplot titles for Plotly's modebar, so it covers none."""
BASIN_HSPACE = 0.06
"""Gap between basin-map columns (fraction of the plot width)."""
BASIN_MARGIN = {"l": 10, "r": 10}
"""Side margins (px) of the basin figure."""
BASIN_MODES = ("minimum", "final_loss", "steps")
SWEEP_MODES = ("final_loss", "steps")

DIVERGED_COLOR = "#1b1b1b"
NONE_COLOR = "#b0b0b0"
INVALID_COLOR = "#ececec"
NEVER_COLOR = "#8c8c8c"
BASE_SCALE = tuple(sequential.Viridis)
MINIMA_COLORS = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#8C564B",
    "#17BECF",
    "#BCBD22",
)
"""Okabe–Ito colours (colour-blind safe), then a few more; cycled beyond ten minima."""

PARAM_NAMES: Mapping[str, Mapping[str, str]] = {
    **sweep_labels(),
    "steps": {"en": "steps", "ja": "ステップ数"},
}
"""Display names of the sweepable hyperparameters (:data:`optviz.explore.SWEEP_PARAMS`):
the labels of the keyword records in :mod:`optviz.catalog`, and the step budget."""


def text(key: str, lang: str) -> str:
    """The figure string ``fig.<key>`` of :mod:`optviz.strings` in ``lang`` (English if
    ``lang`` is unknown)."""
    return strings.text("fig." + key, lang)


def param_name(name: str, lang: str) -> str:
    """Display name of a sweepable hyperparameter (the name itself if unknown)."""
    entry = PARAM_NAMES.get(name)
    return name if entry is None else entry.get(lang, entry["en"])


# ---------------------------------------------------------------------------------------
# colour levels


def colorscale_levels(special_colors: Sequence[str], scale: Sequence[str] = BASE_SCALE) -> list:
    """Colorscale for quantised z in ``[0, LEVELS − 1]`` (``cmin`` 0, ``cmax`` LEVELS − 1).

    Level k < len(special_colors) is drawn flat in ``special_colors[k]``; the remaining
    levels run through ``scale``.
    """
    top = LEVELS - 1
    stops: list = []
    for k, color in enumerate(special_colors):
        stops += [[max(0.0, (k - 0.5) / top), color], [(k + 0.5) / top, color]]
    first = max(0.0, (len(special_colors) - 0.5) / top)
    for i, color in enumerate(scale):
        stops.append([first + (1.0 - first) * i / (len(scale) - 1), color])
    return stops


def quantise(t: np.ndarray, specials: Sequence[np.ndarray], lo: float, hi: float) -> np.ndarray:
    """``(…)`` values -> ``(…)`` uint8 colour levels.

    Level k < ``len(specials)`` where ``specials[k]`` is true (earlier masks win); the rest
    maps ``t`` from ``[lo, hi]`` linearly onto levels ``len(specials) … LEVELS − 1``
    (clipped). Non-finite ``t`` outside every mask gets level 0.
    """
    t = np.asarray(t, dtype=np.float64)
    n_special = len(specials)
    span = hi - lo if np.isfinite(hi - lo) and hi > lo else 1.0
    with np.errstate(invalid="ignore"):
        frac = np.clip((t - lo) / span, 0.0, 1.0)
    levels = n_special + np.rint(frac * (LEVELS - 1 - n_special))
    z = np.where(np.isfinite(t), levels, 0).astype(np.uint8)
    for k in reversed(range(n_special)):
        z = np.where(specials[k], np.uint8(k), z)
    return z


def level_of(value: float, n_special: int, lo: float, hi: float) -> float:
    """The (fractional) colour level of ``value`` under :func:`quantise`."""
    span = hi - lo if hi > lo else 1.0
    return n_special + (value - lo) / span * (LEVELS - 1 - n_special)


def nice_ticks(lo: float, hi: float, log: bool, max_ticks: int = 7) -> list[float]:
    """Round tick values in ``[lo, hi]``: whole decades (``log``, values are log10) or
    1-2-5 multiples."""
    if not (np.isfinite(lo) and np.isfinite(hi)) or hi <= lo:
        return [lo] if np.isfinite(lo) else []
    if log:
        first, last = math.ceil(lo - 1e-9), math.floor(hi + 1e-9)
        step = max(1, math.ceil((last - first + 1) / max_ticks))
        return [float(k) for k in range(first, last + 1, step)] or [lo]
    raw = (hi - lo) / max(1, max_ticks - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = np.arange(first, hi + step * 1e-9, step)
    return [float(v) for v in np.round(ticks, 12)]


def decade_label(k: float) -> str:
    """``-3.0 -> "1e-3"``; ``0 -> "1"``; ``2 -> "100"``."""
    k = round(k)
    return f"{10.0**k:g}" if -3 <= k <= 3 else f"1e{k}"


# ---------------------------------------------------------------------------------------
# click-grid helpers (pure; what a click maps back to)


def nearest_index(values, v: float, log: bool = False) -> int:
    """Index of the entry of ``values`` ``(n,)`` nearest to ``v`` (in log10 if ``log``)."""
    values = np.asarray(values, dtype=np.float64)
    if log:
        with np.errstate(divide="ignore", invalid="ignore"):
            values = np.log10(values)
            v = math.log10(v) if v > 0 else -math.inf
    d = np.abs(values - v)
    return int(np.argmin(np.where(np.isfinite(d), d, np.inf)))


def subsample(n: int, side: int) -> np.ndarray:
    """``(m,)`` distinct indices spread evenly over ``range(n)``, first and last included,
    m ≤ ``side``."""
    if n <= side:
        return np.arange(n)
    return np.unique(np.rint(np.linspace(0, n - 1, max(2, side))).astype(np.int64))


def click_side(n_subplots: int) -> int:
    """Side of each subplot's click grid: ≤ :data:`CLICK_SIDE`, and ≤ :data:`CLICK_POINTS`
    points over all subplots."""
    return max(2, min(CLICK_SIDE, math.isqrt(CLICK_POINTS // max(1, n_subplots))))


def display_stride(n: int, n_maps: int, budget: int = Z_BUDGET) -> int:
    """Smallest stride s so that ``n_maps`` maps of ``ceil(n/s)²`` one-byte cells fit
    ``budget``."""
    s = 1
    while n_maps * math.ceil(n / s) ** 2 > budget:
        s += 1
    return s


def _point_xy(point) -> tuple[float, float]:
    try:
        return float(point["x"]), float(point["y"])
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"a clicked point needs numeric 'x' and 'y', got {point!r}") from None


def basin_cell(xs, ys, point) -> tuple[int, int]:
    """``(ix, iy)`` of the start grid cell nearest to a clicked point ``{"x": …, "y": …}``."""
    x, y = _point_xy(point)
    return nearest_index(xs, x), nearest_index(ys, y)


def basin_pick(basin: BasinMap, point) -> tuple[float, float]:
    """The start ``(x, y)`` (plain floats) of the cell nearest to a clicked point."""
    ix, iy = basin_cell(basin.xs, basin.ys, point)
    return basin.start(ix, iy)


def is_log(name: str) -> bool:
    """Whether sweep parameter ``name`` is drawn on a log (log10-coordinate) axis."""
    spec = SWEEP_PARAMS.get(name)
    return bool(spec is not None and spec.log)


def axis_coords(name: str, values) -> np.ndarray:
    """``(n,)`` plotted coordinates of sweep values: log10 for log parameters, else as is.
    Non-positive values of a log parameter give NaN."""
    values = np.asarray(values, dtype=np.float64)
    if not is_log(name):
        return values
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(values > 0, np.log10(np.where(values > 0, values, 1.0)), np.nan)


def sweep_cell(sweep: Sweep, point) -> tuple[int, int]:
    """``(ix, iy)`` of the sweep cell nearest to a clicked point (plotted coordinates)."""
    x, y = _point_xy(point)
    ix = nearest_index(axis_coords(sweep.x_param, sweep.x_values), x)
    iy = nearest_index(axis_coords(sweep.y_param, sweep.y_values), y)
    return ix, iy


def sweep_pick(sweep: Sweep, point) -> dict[str, float | int]:
    """``{x_param: value, y_param: value}`` of the cell nearest to a clicked point (plain
    Python numbers; ``steps`` as int)."""
    ix, iy = sweep_cell(sweep, point)
    return {
        sweep.x_param: sweep.x_values[ix].item(),
        sweep.y_param: sweep.y_values[iy].item(),
    }


def merge_hyperparams(optimizer_key: str, kwargs, picked: Mapping) -> tuple[tuple, int | None]:
    """Put picked sweep values into a run's keyword pairs.

    ``beta1``/``beta2`` replace one entry of ``betas`` (the other from ``kwargs`` or the
    optimizer's default); ``steps`` is not a keyword and is returned separately.

    Returns:
        ``(kwargs pairs sorted by name, steps or None)``.
    """
    merged = dict(kwargs)
    steps = picked.get("steps")
    betas = [picked.get("beta1"), picked.get("beta2")]
    if any(b is not None for b in betas):
        default = inspect.signature(OPTIMIZERS[optimizer_key]).parameters["betas"].default
        old = tuple(merged.get("betas", default))
        merged["betas"] = tuple(
            float(o if b is None else b) for o, b in zip(old, betas, strict=True)
        )
    for name, value in picked.items():
        if name not in ("beta1", "beta2", "steps"):
            merged[name] = value
    return tuple(sorted(merged.items())), None if steps is None else int(steps)


# ---------------------------------------------------------------------------------------
# basin-of-attraction maps


def effective_mode(maps: Sequence[BasinMap], mode: str) -> str:
    """``mode``, except ``"minimum"`` becomes ``"final_loss"`` when no map has minima."""
    if mode not in BASIN_MODES:
        raise ValueError(f"mode must be one of {BASIN_MODES}, got {mode!r}")
    if mode == "minimum" and not any(len(m.minima) for m in maps):
        return "final_loss"
    return mode


def _fmt_point(p) -> str:
    return f"({p[0]:.3g}, {p[1]:.3g})"


def _log_loss(losses: Sequence[np.ndarray], f_min: float | None):
    """log10(f − floor) per array, and the shared finite (lo, hi) and the floor used."""
    finite = [a[np.isfinite(a)] for a in losses]
    finite = [a for a in finite if a.size]
    if f_min is not None and np.isfinite(f_min):
        floor = float(f_min)
    else:
        floor = min((float(a.min()) for a in finite), default=0.0)
    top = max((float(a.max()) for a in finite), default=floor + 1.0)
    eps = 1e-12 * max(1.0, abs(top - floor))
    with np.errstate(invalid="ignore"):
        logs = [np.log10(np.maximum(np.asarray(a, float) - floor, eps)) for a in losses]
    vals = [v[np.isfinite(v)] for v in logs]
    vals = [v for v in vals if v.size]
    lo = min((float(v.min()) for v in vals), default=0.0)
    hi = max((float(v.max()) for v in vals), default=1.0)
    return logs, lo, hi, floor


def _basin_encoding(maps, mode, lang, f_min):
    """Per-map uint8 z, the colour axis and per-map click categories.

    Returns ``(zs, coloraxis, legend)``; ``legend`` lists (name, colour) of the flat
    special colours (for legend entries).
    """
    if mode == "minimum":
        minima = maps[0].minima
        colors = [DIVERGED_COLOR, NONE_COLOR] + [
            MINIMA_COLORS[k % len(MINIMA_COLORS)] for k in range(len(minima))
        ]
        names = [text("diverged", lang), text("none", lang)] + [
            f"{k + 1}: {_fmt_point(p)}" for k, p in enumerate(minima)
        ]
        n = len(colors)
        stops = []
        for k, c in enumerate(colors):
            stops += [[k / n, c], [(k + 1) / n, c]]
        zs = [(m.minimum_index + 2).astype(np.uint8) for m in maps]  # −2 -> 0, −1 -> 1
        axis = {
            "colorscale": stops,
            "cmin": -0.5,
            "cmax": n - 0.5,
            "colorbar": {
                "title": {"text": text("reached", lang)},
                "tickvals": list(range(n)),
                "ticktext": names,
            },
        }
        return zs, axis, []
    if mode == "final_loss":
        logs, lo, hi, _ = _log_loss([m.final_loss for m in maps], f_min)
        specials = [DIVERGED_COLOR]
        zs = [
            quantise(t, [~np.isfinite(m.final_loss)], lo, hi)
            for t, m in zip(logs, maps, strict=True)
        ]
        ticks = nice_ticks(lo, hi, log=True)
        key = "loss_axis" if f_min is not None else "loss_axis_min"
        axis = {
            "colorscale": colorscale_levels(specials),
            "cmin": 0,
            "cmax": LEVELS - 1,
            "colorbar": {
                "title": {"text": text(key, lang)},
                "tickvals": [level_of(v, 1, lo, hi) for v in ticks],
                "ticktext": [decade_label(v) for v in ticks],
            },
        }
        legend = [(text("diverged", lang), DIVERGED_COLOR)] if any(z.min() == 0 for z in zs) else []
        return zs, axis, legend
    if mode == "steps":
        hi = float(max(1, *(int(m.steps_to_tol.max()) for m in maps)))
        zs = [
            quantise(
                np.where(m.steps_to_tol >= 0, m.steps_to_tol, np.nan),
                [m.minimum_index == DIVERGED, m.steps_to_tol < 0],
                0.0,
                hi,
            )
            for m in maps
        ]
        ticks = nice_ticks(0.0, hi, log=False)
        axis = {
            "colorscale": colorscale_levels([DIVERGED_COLOR, NEVER_COLOR]),
            "cmin": 0,
            "cmax": LEVELS - 1,
            "colorbar": {
                "title": {"text": text("steps", lang)},
                "tickvals": [level_of(v, 2, 0.0, hi) for v in ticks],
                "ticktext": [f"{v:g}" for v in ticks],
            },
        }
        pairs = [(text("diverged", lang), DIVERGED_COLOR), (text("never", lang), NEVER_COLOR)]
        legend = [pair for k, pair in enumerate(pairs) if any((z == k).any() for z in zs)]
        return zs, axis, legend
    raise ValueError(f"mode must be one of {BASIN_MODES}, got {mode!r}")


def _click_traces(xs, ys, groups, label, xaxis, yaxis, meta) -> list[go.Scatter]:
    """Invisible click-grid scatter traces, one per hover group.

    ``xs (m,)``, ``ys (m,)`` float32 points; ``groups`` is a list of
    ``(mask (m,), hovertemplate, customdata (m, …) or None)``.
    """
    traces = []
    for mask, template, custom in groups:
        if not mask.any():
            continue
        traces.append(
            go.Scatter(
                x=xs[mask],
                y=ys[mask],
                customdata=None if custom is None else custom[mask],
                mode="markers",
                marker={"opacity": 0, "size": 8},
                hovertemplate=template + f"<extra>{label}</extra>",
                showlegend=False,
                xaxis=xaxis,
                yaxis=yaxis,
                meta=meta,
            )
        )
    return traces


def _basin_click_groups(m: BasinMap, mode: str, lang: str, iy, ix):
    """Hover groups of one map's click grid (see :func:`_click_traces`)."""
    sub = np.ix_(iy, ix)
    codes = m.minimum_index[sub].ravel()
    loss = m.final_loss[sub].ravel().astype(np.float32)
    reached = m.steps_to_tol[sub].ravel()
    div_at = np.clip(m.diverged_at[sub].ravel(), -1, np.iinfo(np.int16).max).astype(np.int16)
    head = f"{text('start', lang)} (%{{x:.4g}}, %{{y:.4g}})<br>→ "
    diverged = codes == DIVERGED
    div_group = (diverged, head + f"{text('diverged', lang)} (%{{customdata}})", div_at)
    if mode == "minimum":
        groups = [div_group, (codes == NO_MINIMUM, head + text("none", lang), None)]
        for k, p in enumerate(m.minima):
            name = f"{text('minimum', lang)} {k + 1} {_fmt_point(p)}"
            groups.append((codes == k, head + name, None))
        return groups
    if mode == "final_loss":
        return [div_group, (~diverged, head + "f = %{customdata:.4g}", loss)]
    never = (reached < 0) & ~diverged
    after = f"{text('after', lang)} %{{customdata}} {text('steps_unit', lang)}"
    return [
        div_group,
        (never, head + f"{text('never', lang)}<br>f = %{{customdata:.4g}}", loss),
        (reached >= 0, head + after, np.clip(reached, -1, 32767).astype(np.int16)),
    ]


def _check_same_grid(maps: Sequence[BasinMap]) -> None:
    if not maps:
        raise ValueError("basin_figure needs at least one map")
    first = maps[0]
    for m in maps[1:]:
        if not (np.array_equal(m.xs, first.xs) and np.array_equal(m.ys, first.ys)):
            raise ValueError("all basin maps must share one start grid")


def basin_grid(n: int) -> tuple[int, int]:
    """``(rows, cols)`` of the basin maps of ``n`` runs: at most :data:`BASIN_COLS` side by
    side, so each map keeps a readable size on a phone as well as on a wide screen."""
    cols = max(1, min(n, BASIN_COLS))
    return math.ceil(max(n, 1) / cols), cols


def text_width(label: str, font_size: float) -> float:
    """Estimated drawn width (px) of ``label`` at ``font_size`` px, on the generous side:
    wide (CJK) characters 1 em, spaces and punctuation 0.35 em, capitals 0.72 em, the rest
    0.6 em."""
    ems = 0.0
    for ch in label:
        if unicodedata.east_asian_width(ch) in "WF":
            ems += 1.0
        elif ch.isspace() or unicodedata.category(ch)[0] in "PZ" or ch == "·":
            ems += 0.35
        elif ch.isupper():
            ems += 0.72
        else:
            ems += 0.6
    return ems * font_size


def fit_title(label: str, width: float, font_size: float) -> str:
    """``label`` if it fits ``width`` px at ``font_size``, else its longest leading run of
    `` · ``-separated parts that fits (``2 · RMSprop · Keras`` -> ``2 · RMSprop``), else
    its first part (the run number)."""
    parts = label.split(" · ")
    for k in range(len(parts), 0, -1):
        title = " · ".join(parts[:k])
        if text_width(title, font_size) <= width:
            return title
    return parts[0]


def basin_title_width(cols: int, width: int) -> float:
    """Width (px) one subplot title may take in a basin figure ``width`` px wide with
    ``cols`` columns (the margins and the gaps between columns taken off)."""
    inner = width - BASIN_MARGIN["l"] - BASIN_MARGIN["r"]
    return inner * (1 - BASIN_HSPACE * (cols - 1)) / cols


def _basin_layout_rows(style: Style, rows: int, title: bool, scale: bool) -> dict:
    """Pixel layout of a basin figure: heights from ``style`` (a row of maps
    :data:`BASIN_ROW` × ``style.side_height`` high), room for the modebar above the titles,
    the colour scale (``scale``) and the legend under the maps."""
    f = style.font_size
    row = round(BASIN_ROW * style.side_height)
    ticks = 2 * f + 4  # x tick labels under a row
    gap = ticks + f + 12  # the tick labels of a row and the titles of the next
    plot_h = rows * row + (rows - 1) * gap
    bar = 3 * f + 20 if scale else 0  # a horizontal colour scale with its title
    legend = 3 * (f + 8)  # up to three wrapped legend rows
    top = f + 12 + MODEBAR + (f + 10 if title else 0)
    return {
        "plot_h": plot_h,
        "vspace": gap / plot_h if rows > 1 else 0.0,
        "bar_y": -ticks / plot_h,
        "legend_y": -(ticks + bar) / plot_h,
        "top": top,
        "bottom": ticks + bar + legend,
        "height": top + plot_h + ticks + bar + legend,
    }


def basin_figure(
    maps: Sequence[BasinMap],
    labels: Sequence[str],
    colors: Sequence[str],
    mode: str = "minimum",
    lang: str = "en",
    *,
    f_min: float | None = None,
    style: Style | None = None,
) -> go.Figure:
    """Small multiples of basin maps, one subplot per run, two to a row.

    Every subplot is a heatmap over the same start grid (``xs (nx,)``, ``ys (ny,)``; z is
    ``(ny, nx)`` uint8 levels) on one shared colour axis (``layout.coloraxis``), with the
    same axis ranges (zoom is linked) and equal aspect, the minima marked and numbered,
    and an invisible click grid whose hover label says where the start ended and names the
    run in full.

    The layout reads at any width from a phone up: the maps sit in a :func:`basin_grid`
    (rows of two), each row :data:`BASIN_ROW` × ``style.side_height`` px high; a subplot
    title is the run's label cut to the parts that fit the subplot when the figure is
    ``style.min_width`` px wide (:func:`fit_title`; the full label shows on hovering the
    title); the colour scale lies under the maps (``"minimum"`` mode: a legend square per
    outcome instead, as the outcome names are long).

    Args:
        maps: basin maps over one grid (:func:`optviz.explore.basin_map`).
        labels, colors: one per map (subplot titles in the run's colour).
        mode: ``"minimum"`` (categorical: which minimum, "none", "diverged"; falls back to
            ``"final_loss"`` when there are no minima: :func:`effective_mode`),
            ``"final_loss"`` (log10(f − f_min), f_min or else the smallest final loss) or
            ``"steps"`` (steps to tolerance; "never" and "diverged" flat colours).
        f_min: the surface's minimum value, if known.
        style: fonts, the row height (``side_height``) and the narrowest width the
            titles fit (``min_width``); ``Style()`` if None.

    Returns:
        A figure with ``len(maps)`` heatmaps; if ``n`` is too large for the payload
        budget, every s-th start is shown (:func:`display_stride`, noted in the title).
    """
    _check_same_grid(maps)
    if not (len(labels) == len(colors) == len(maps)):
        raise ValueError("need one label and one colour per map")
    style = style or Style()
    mode = effective_mode(maps, mode)
    first = maps[0]
    nx, ny = first.xs.size, first.ys.size
    stride = display_stride(max(nx, ny), len(maps))
    zs, coloraxis, legend = _basin_encoding(maps, mode, lang, f_min)
    side = click_side(len(maps))
    ix, iy = subsample(nx, side), subsample(ny, side)
    gx, gy = np.meshgrid(first.xs[ix], first.ys[iy])
    gx, gy = gx.ravel().astype(np.float32), gy.ravel().astype(np.float32)

    rows, cols = basin_grid(len(maps))
    title_w = basin_title_width(cols, style.min_width)
    titles = [fit_title(label, title_w, style.font_size) for label in labels]
    title = None
    if stride > 1:
        title = text("every", lang).format(s=stride, n=max(nx, ny))
    categorical = mode == "minimum"
    px = _basin_layout_rows(style, rows, title is not None, not categorical)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=titles,
        horizontal_spacing=BASIN_HSPACE,
        vertical_spacing=px["vspace"],
    )
    for i, (m, z, label) in enumerate(zip(maps, zs, labels, strict=True)):
        xaxis, yaxis = ("x", "y") if i == 0 else (f"x{i + 1}", f"y{i + 1}")
        xs, ys = m.xs[::stride], m.ys[::stride]
        fig.add_trace(
            go.Heatmap(
                z=z[::stride, ::stride],
                x0=float(xs[0]),
                dx=float(xs[1] - xs[0]) if xs.size > 1 else 1.0,
                y0=float(ys[0]),
                dy=float(ys[1] - ys[0]) if ys.size > 1 else 1.0,
                coloraxis="coloraxis",
                hoverinfo="skip",
                name=label,
                xaxis=xaxis,
                yaxis=yaxis,
            )
        )
        if len(m.minima):
            fig.add_trace(
                go.Scatter(
                    x=m.minima[:, 0],
                    y=m.minima[:, 1],
                    mode="markers+text",
                    text=[str(k + 1) for k in range(len(m.minima))],
                    textposition="top right",
                    textfont={"color": "white", "size": style.font_size - 1},
                    marker={
                        "symbol": "x",
                        "size": style.marker_size + 3,
                        "color": "white",
                        "line": {"width": 1.5, "color": "black"},
                    },
                    name=text("minima", lang),
                    legendgroup="minima",
                    showlegend=i == 0,
                    hoverinfo="skip",
                    xaxis=xaxis,
                    yaxis=yaxis,
                )
            )
        groups = _basin_click_groups(m, mode, lang, iy, ix)
        meta = {"role": CLICK_GRID, "subplot": i}
        for trace in _click_traces(gx, gy, groups, label, xaxis, yaxis, meta):
            fig.add_trace(trace)

    if categorical:
        legend = _outcome_legend(zs, coloraxis)
    for name, color in legend:
        fig.add_trace(_legend_square(name, color))
    _basin_axes(fig, first, len(maps), stride, cols, style.font_size - 2)
    for annotation, color, label in zip(fig.layout.annotations, colors, labels, strict=False):
        annotation.font = {"color": color, "size": style.font_size}
        if annotation.text != label:
            annotation.hovertext = label
    if categorical:
        coloraxis["showscale"] = False
    else:
        coloraxis["colorbar"].update(
            orientation="h", x=0, xanchor="left", len=1, y=px["bar_y"], yanchor="top",
            thickness=max(10, style.font_size - 2), tickfont={"size": style.font_size - 2},
        )  # fmt: skip
        coloraxis["colorbar"]["title"].update(side="top", font={"size": style.font_size - 1})
    fig.update_layout(
        coloraxis=coloraxis,
        height=px["height"],
        font={"size": style.font_size - 2},
        margin={**BASIN_MARGIN, "t": px["top"], "b": px["bottom"]},
        title={"text": title, "font": {"size": style.font_size - 2}} if title else None,
        legend={
            "orientation": "h", "y": px["legend_y"], "yanchor": "top", "x": 0,
            "font": {"size": style.font_size - 2},
        },
        hovermode="closest",
        clickmode="event+select",
        dragmode="zoom",
        uirevision="basin",
        meta={"mode": mode, "stride": stride, "grid": [rows, cols], "title_width": title_w},
    )  # fmt: skip
    return fig


def _outcome_legend(zs: Sequence[np.ndarray], coloraxis: dict) -> list[tuple[str, str]]:
    """``(name, colour)`` of every outcome level of the categorical colour axis that some
    map shows (its name from the colour bar's tick labels)."""
    bar = coloraxis["colorbar"]
    stops = coloraxis["colorscale"]
    seen = set().union(*(np.unique(z).tolist() for z in zs))
    return [(bar["ticktext"][k], stops[2 * k][1]) for k in bar["tickvals"] if k in seen]


def _legend_square(name: str, color: str) -> go.Scatter:
    """A legend-only entry: a square of ``color`` named ``name`` (no data)."""
    return go.Scatter(
        x=[None],
        y=[None],
        mode="markers",
        marker={"symbol": "square", "size": 12, "color": color, "line": {"width": 1}},
        name=name,
        hoverinfo="skip",
    )


def _basin_axes(
    fig: go.Figure, first: BasinMap, n: int, stride: int, cols: int, font_size: int
) -> None:
    """Same ranges on every subplot (half a displayed cell beyond the grid), linked zoom,
    equal aspect (each map drawn at the top of its cell, under its title); y tick labels
    on the first column only, at ``font_size``."""
    ticks = {"size": font_size}
    xs, ys = first.xs, first.ys
    hx = (xs[1] - xs[0]) * stride / 2 if xs.size > 1 else 0.5
    hy = (ys[1] - ys[0]) * stride / 2 if ys.size > 1 else 0.5
    xr = [float(xs[0] - hx), float(xs[::stride][-1] + hx)]
    yr = [float(ys[0] - hy), float(ys[::stride][-1] + hy)]
    for i in range(n):
        sx = "" if i == 0 else str(i + 1)
        fig.layout[f"xaxis{sx}"].update(
            range=xr, showgrid=False, zeroline=False, constrain="domain", tickfont=ticks,
            matches=None if i == 0 else "x",
        )  # fmt: skip
        fig.layout[f"yaxis{sx}"].update(
            range=yr, showgrid=False, zeroline=False, constrain="domain", tickfont=ticks,
            constraintoward="top",
            scaleanchor="x" if i == 0 else None, scaleratio=1 if i == 0 else None,
            matches=None if i == 0 else "y", showticklabels=i % cols == 0,
        )  # fmt: skip


# ---------------------------------------------------------------------------------------
# hyperparameter sweep


def _sweep_layout_rows(style: Style) -> dict:
    """Pixel layout of a sweep figure: a plot ``style.side_height`` px high, room for the
    modebar above it, and under it the tick labels with the axis title, the horizontal
    colour scale and the legend (up to three wrapped rows)."""
    f = style.font_size
    plot_h = style.side_height
    axis = 3 * f + 24  # tick labels and the axis title, then a gap before the scale
    bar = 3 * f + 20
    legend = 3 * (f + 8)
    top = 12 + MODEBAR
    return {
        "bar_y": -axis / plot_h,
        "legend_y": -(axis + bar) / plot_h,
        "top": top,
        "bottom": axis + bar + legend,
        "height": top + plot_h + axis + bar + legend,
    }


def _axis_layout(name: str, values, lang: str, font_size: int = 12) -> dict:
    coords = axis_coords(name, values)
    finite = coords[np.isfinite(coords)]
    layout = {
        "title": {"text": param_name(name, lang), "font": {"size": font_size + 1}},
        "tickfont": {"size": font_size},
        "showgrid": False,
        "zeroline": False,
    }
    if is_log(name) and finite.size:
        ticks = nice_ticks(float(finite.min()), float(finite.max()), log=True)
        layout.update(tickvals=ticks, ticktext=[decade_label(v) for v in ticks])
    return layout


def _region_label(mask: np.ndarray, cx, cy) -> tuple[float, float] | None:
    """A cell of ``mask`` ``(ny, nx)`` near the centroid of the region (for its label)."""
    iy, ix = np.nonzero(mask)
    if iy.size < 4:
        return None
    k = int(np.argmin((ix - ix.mean()) ** 2 + (iy - iy.mean()) ** 2))
    return float(cx[ix[k]]), float(cy[iy[k]])


def sweep_figure(
    sweep: Sweep,
    mode: str = "final_loss",
    lang: str = "en",
    *,
    f_min: float | None = None,
    criterion: str = "final_loss",
    style: Style | None = None,
) -> go.Figure:
    """Heatmap of a two-hyperparameter sweep with diverged/invalid cells marked.

    Sized by ``style`` (``Style()`` if None: fonts, a plot ``side_height`` px high) with the
    colour scale and the legend under the plot, so the plot keeps the full width on a
    phone (:func:`_sweep_layout_rows`).

    z is ``(ny, nx)`` uint8 levels: level 0 diverged (near-black, and labelled in the
    plot), 1 not allowed (light grey), in ``"steps"`` mode 2 never within tolerance (grey),
    the rest log10(f − f_min) (``"final_loss"``) or steps to tolerance (``"steps"``).
    Log parameters are drawn in log10 coordinates (:func:`axis_coords`). The best cell
    (``sweep.best_cell(criterion)``) is starred. An invisible click grid covers every
    cell (subsampled beyond :data:`CLICK_SIDE` per side) with a hover label giving the
    hyperparameter values and the outcome; :func:`sweep_pick` maps a click back.
    """
    if mode not in SWEEP_MODES:
        raise ValueError(f"mode must be one of {SWEEP_MODES}, got {mode!r}")
    cx = axis_coords(sweep.x_param, sweep.x_values)
    cy = axis_coords(sweep.y_param, sweep.y_values)
    diverged, invalid = sweep.diverged, sweep.invalid
    if mode == "final_loss":
        (t,), lo, hi, _ = _log_loss([sweep.final_loss], f_min)
        specials = [diverged, invalid | ~np.isfinite(sweep.final_loss)]
        colors = [DIVERGED_COLOR, INVALID_COLOR]
        ticks = nice_ticks(lo, hi, log=True)
        labels = [decade_label(v) for v in ticks]
        bar_title = text("loss_axis" if f_min is not None else "loss_axis_min", lang)
    else:
        steps = sweep.steps_to_tol
        t = np.where(steps >= 0, steps, np.nan)
        lo, hi = 0.0, float(max(1, int(steps.max(initial=0))))
        specials = [diverged, invalid, steps < 0]
        colors = [DIVERGED_COLOR, INVALID_COLOR, NEVER_COLOR]
        ticks = nice_ticks(lo, hi, log=False)
        labels = [f"{v:g}" for v in ticks]
        bar_title = text("steps", lang)
    z = quantise(t, specials, lo, hi)
    style = style or Style()
    px = _sweep_layout_rows(style)
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=cx.astype(np.float32),
            y=cy.astype(np.float32),
            coloraxis="coloraxis",
            hoverinfo="skip",
        )
    )
    names = {DIVERGED_COLOR: "diverged", INVALID_COLOR: "invalid", NEVER_COLOR: "never"}
    for mask, color in zip(specials, colors, strict=True):
        if np.any(mask):
            fig.add_trace(_legend_square(text(names[color], lang), color))
    for mask, key, color in ((diverged, "diverged", "white"), (invalid, "invalid", "#555")):
        spot = _region_label(mask, cx, cy)
        if spot is not None:
            fig.add_annotation(
                x=spot[0], y=spot[1], text=text(key, lang), showarrow=False,
                font={"color": color, "size": style.font_size - 1}, name=key,
            )  # fmt: skip

    ix, iy = subsample(cx.size, CLICK_SIDE), subsample(cy.size, CLICK_SIDE)
    gx, gy = np.meshgrid(cx[ix], cy[iy])
    sub = np.ix_(iy, ix)
    vx, vy = np.meshgrid(sweep.x_values[ix], sweep.y_values[iy])
    value = np.where(
        mode == "final_loss" or sweep.steps_to_tol[sub] < 0,
        sweep.final_loss[sub],
        sweep.steps_to_tol[sub],
    )
    custom = np.stack([vx.ravel(), vy.ravel(), value.ravel()], axis=-1).astype(np.float32)
    head = (
        f"{param_name(sweep.x_param, lang)} = %{{customdata[0]:.4g}}<br>"
        f"{param_name(sweep.y_param, lang)} = %{{customdata[1]:.4g}}<br>→ "
    )
    d, inv = diverged[sub].ravel(), invalid[sub].ravel()
    reached = sweep.steps_to_tol[sub].ravel() >= 0
    ok = ~d & ~inv
    if mode == "final_loss":
        groups = [(ok, head + "f = %{customdata[2]:.4g}", custom)]
    else:
        after = f"{text('after', lang)} %{{customdata[2]}} {text('steps_unit', lang)}"
        groups = [
            (ok & reached, head + after, custom),
            (ok & ~reached, head + f"{text('never', lang)}<br>f = %{{customdata[2]:.4g}}", custom),
        ]
    groups += [
        (d, head + text("diverged", lang), custom),
        (inv, head + text("invalid", lang), custom),
    ]
    meta = {"role": CLICK_GRID, "subplot": 0}
    gx, gy = gx.ravel().astype(np.float32), gy.ravel().astype(np.float32)
    for trace in _click_traces(gx, gy, groups, sweep.optimizer, "x", "y", meta):
        fig.add_trace(trace)

    best = sweep.best_cell(criterion)
    if best is not None:
        by, bx = best
        fig.add_trace(
            go.Scatter(
                x=[float(cx[bx])],
                y=[float(cy[by])],
                mode="markers",
                marker={
                    "symbol": "star",
                    "size": 2 * style.marker_size,
                    "color": "#FFD700",
                    "line": {"width": 1.5, "color": "black"},
                },
                name=(
                    f"{text('best', lang)}: {param_name(sweep.x_param, lang)} = "
                    f"{sweep.x_values[bx].item():.3g}, {param_name(sweep.y_param, lang)} = "
                    f"{sweep.y_values[by].item():.3g}"
                ),
                hoverinfo="skip",
                meta={"role": "best"},
            )
        )
    small = style.font_size - 2
    fig.update_layout(
        coloraxis={
            "colorscale": colorscale_levels(colors),
            "cmin": 0,
            "cmax": LEVELS - 1,
            "colorbar": {
                "title": {"text": bar_title, "side": "top", "font": {"size": small + 1}},
                "tickvals": [level_of(v, len(specials), lo, hi) for v in ticks],
                "ticktext": labels,
                "tickfont": {"size": small},
                "orientation": "h", "x": 0, "xanchor": "left", "len": 1,
                "y": px["bar_y"], "yanchor": "top", "thickness": max(10, small),
            },
        },
        xaxis=_axis_layout(sweep.x_param, sweep.x_values, lang, small),
        yaxis=_axis_layout(sweep.y_param, sweep.y_values, lang, small),
        height=px["height"],
        font={"size": small},
        margin={"l": 10, "r": 10, "t": px["top"], "b": px["bottom"]},
        legend={
            "orientation": "h", "y": px["legend_y"], "yanchor": "top", "x": 0,
            "font": {"size": small},
        },
        hovermode="closest",
        clickmode="event+select",
        uirevision="sweep",
        meta={"mode": mode},
    )  # fmt: skip
    return fig


# ---------------------------------------------------------------------------------------
# data-fitting view


def frame_name(step: int) -> str:
    """Name of the animation frame of step k (``"k12"``, as the main view names them)."""
    return f"k{int(step)}"


def _line_ends(x: np.ndarray) -> np.ndarray:
    lo, hi = float(np.min(x)), float(np.max(x))
    pad = 0.1 * (hi - lo) if hi > lo else 1.0
    return np.array([lo - pad, hi + pad])


def fit_spec(
    x,
    y,
    lines: Sequence[np.ndarray],
    labels: Sequence[str],
    colors: Sequence[str],
    solution: tuple[float, float],
    step_frames: Sequence[int],
    lang: str = "en",
    *,
    initial: int = -1,
    frame_ms: int = 60,
    height: int = 440,
    batches: Sequence | None = None,
    initial_step: int | None = None,
    controls: bool = True,
) -> Figure:
    """Data points, the least-squares line and each run's line ``y = w·x + b`` per step,
    as plain dicts (:class:`~optviz.drawing.figures.Figure`, no plotly validation, so it is
    cheap to build again after every change; :func:`fit_figure` validates it).

    Args:
        x, y: ``(n,)`` data.
        lines: one ``(T+1, 2)`` array of ``(w_k, b_k)`` per run (NaN after divergence:
            that line disappears).
        labels, colors: one per run.
        solution: ``(w*, b*)``.
        step_frames: the steps k of the animation frames (clipped to each run's T);
            frame names are :func:`frame_name` (``"k12"``), as the main view names its
            frames, so that the two animations can show the same steps.
        initial: index into ``step_frames`` of the step drawn before playing (last).
        batches: one per run, None (full batch) or its mini-batches (an object with
            ``indices(k) -> (b,) int``, :class:`optviz.gradients.MiniBatches`): the data
            points of step k's batch are circled in the run's colour (the batch of a
            run's last step once k is past it).
        initial_step: the step drawn before playing (exactly, also between frames; the
            slider shows the last frame at or before it); overrides ``initial``.
        controls: False: no play button and slider of its own (the frames stay, for
            another chart's player to show; the page's map drives this view).

    Returns:
        A figure with traces [data, least squares, run lines..., batch rings...], one
        frame per step (each frame updates the y of the run lines, 2 numbers per run, and
        the x and y of the batch rings), a play/pause button and a step slider. The y
        range is fixed to the data.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    lines = [np.asarray(line, float).reshape(-1, 2) for line in lines]
    if not (len(labels) == len(colors) == len(lines)):
        raise ValueError("need one label and one colour per line")
    batches = [None] * len(lines) if batches is None else list(batches)
    if len(batches) != len(lines):
        raise ValueError("need one batch entry (or None) per line")
    steps = [int(s) for s in step_frames] or [0]
    ends = _line_ends(x)
    w_star, b_star = solution

    def clip(line: np.ndarray, step: int) -> int:
        return min(max(step, 0), line.shape[0] - 1)

    def at(line: np.ndarray, step: int) -> np.ndarray:
        w, b = line[clip(line, step)]
        return w * ends + b

    ringed = [(j, b) for j, b in enumerate(batches) if b is not None]

    def ring(j: int, batch, step: int) -> dict:
        idx = np.asarray(batch.indices(clip(lines[j], step)), dtype=np.int64)
        return {"x": x[idx], "y": y[idx]}

    y_lo, y_hi = float(np.min(y)), float(np.max(y))
    pad = 0.25 * (y_hi - y_lo) if y_hi > y_lo else 1.0
    first = steps[initial if -len(steps) <= initial < len(steps) else -1]
    active = steps.index(first)
    if initial_step is not None:
        last = max((line.shape[0] - 1 for line in lines), default=0)
        first = min(max(int(initial_step), 0), last)
        active = max(int(np.searchsorted(steps, first, side="right")) - 1, 0)
    data = [
        {
            "type": "scatter", "x": x, "y": y, "mode": "markers", "name": text("data", lang),
            "marker": {"color": "#555", "size": 7, "opacity": 0.8},
            "hovertemplate": "(%{x:.3g}, %{y:.3g})<extra></extra>",
        },
        {
            "type": "scatter", "x": ends, "y": w_star * ends + b_star, "mode": "lines",
            "line": {"color": "black", "dash": "dash", "width": 2},
            "name": f"{text('least_squares', lang)}: w* = {w_star:.3g}, b* = {b_star:.3g}",
            "hoverinfo": "skip",
        },
    ] + [
        {
            "type": "scatter", "x": ends, "y": at(line, first), "mode": "lines", "name": label,
            "line": {"color": color, "width": 2.5}, "hoverinfo": "skip",
        }
        for line, label, color in zip(lines, labels, colors, strict=True)
    ] + [
        {
            "type": "scatter", "mode": "markers", **ring(j, batch, first),
            "name": f"{labels[j]}: {text('batch', lang)}", "hoverinfo": "skip",
            "marker": {
                "size": 13 + 5 * r, "color": "rgba(0,0,0,0)",
                "line": {"color": colors[j], "width": 2.5},
            },
        }
        for r, (j, batch) in enumerate(ringed)
    ]  # fmt: skip
    moving = list(range(2, 2 + len(lines) + len(ringed)))
    frames = [
        {
            "name": frame_name(s),
            "data": [{"type": "scatter", "y": at(line, s)} for line in lines]
            + [{"type": "scatter", **ring(j, batch, s)} for j, batch in ringed],
            "traces": moving,
        }
        for s in steps
    ]
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate"}
    play = {
        "frame": {"duration": frame_ms, "redraw": False},
        "fromcurrent": True,
        "transition": {"duration": 0},
    }
    # Pixel layout (paper fractions alone let the controls cover the x-axis labels when the
    # legend wraps): a top margin with room for one legend row per entry, a fixed plot
    # height, then tick labels + axis title, the buttons' row, the slider's row.
    legend_h = 19 * (2 + len(lines) + len(ringed)) + 8
    plot_h = max(height - 40 - 150, 200)
    ticks, buttons = 56, 36  # ticks: tick labels and the axis title under them
    bottom = ticks + buttons + 70 if controls else ticks
    layout = dict(
        template=_plotly_template(),
        xaxis={"title": {"text": "x"}, "range": [float(ends[0]), float(ends[1])]},
        yaxis={"title": {"text": "y"}, "range": [y_lo - pad, y_hi + pad], "autorange": False},
        height=20 + legend_h + plot_h + bottom,
        margin={"l": 10, "r": 10, "t": 20 + legend_h, "b": bottom},
        legend={"orientation": "h", "y": 1 + 6 / plot_h, "yanchor": "bottom", "x": 0},
        uirevision="fit",
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0,
                "y": -ticks / plot_h,
                "xanchor": "left",
                "yanchor": "top",
                "pad": {"t": 0, "r": 6},
                "showactive": False,
                "buttons": [
                    {"label": text("play", lang), "method": "animate", "args": [None, play]},
                    {"label": text("pause", lang), "method": "animate", "args": [[None], still]},
                ],
            }
        ],
        sliders=[
            {
                "active": active,
                "x": 0,
                "len": 1,
                "y": -(ticks + buttons) / plot_h,
                "yanchor": "top",
                "pad": {"t": 0},
                "currentvalue": {"prefix": text("step", lang), "font": {"color": "#444"}},
                "font": {"color": "rgba(0,0,0,0)"},
                "ticklen": 0,  # one tick per frame reads as a barcode
                "tickcolor": "rgba(0,0,0,0)",
                "steps": [
                    {"label": str(s), "method": "animate", "args": [[frame_name(s)], still]}
                    for s in steps
                ],
            }
        ],
    )
    if not controls:
        del layout["updatemenus"], layout["sliders"]
    return Figure(data, layout, frames)


def fit_figure(*args, **kwargs) -> go.Figure:
    """:func:`fit_spec` as a validated ``go.Figure`` (same arguments)."""
    return fit_spec(*args, **kwargs).to_plotly()


@functools.cache
def _plotly_template() -> dict:
    """plotly.py's default template as plain dicts: what a ``go.Figure`` carries, so a
    figure built as dicts looks the same as the validated one."""
    return pio.templates[pio.templates.default].to_plotly_json()
