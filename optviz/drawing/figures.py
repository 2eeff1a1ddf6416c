"""Plotly figures of a descent: the contour map, the loss chart, the 3-D surface.

``contour_spec`` / ``surface3d_spec`` / ``loss_spec`` return a :class:`Figure` (plain
Plotly JSON parts, no validation: what the page sends); ``contour_figure`` /
``surface3d_figure`` / ``loss_figure`` return the same as a validated
``plotly.graph_objects.Figure`` (for notebooks, exports and other callers).

Arrays and options in, figure dicts out. Every builder is a small pure function; callers
compose them (step-inspector arrows as ``extra`` traces, presenter sizes via
:class:`Style`, basin maps and sweep heatmaps via :func:`raster_image` / :func:`map_layout`).

Speed: a chart may be redrawn after every change of a control, so the map's background is
not a ``go.Contour`` trace (the browser would run marching squares on each redraw) but one
PNG image of filled contour bands with their iso-lines, rendered here with NumPy (a few
tens of kB) and placed with ``layout.images``; a colour bar comes from a
dummy trace. Paths are lines only, with markers at the start, the end and the current
step. Animation frames touch only the path and marker traces and are subsampled; long
paths are decimated at display resolution (a point is dropped only if it lies within a
small fraction of the plot from the previous kept point, so zig-zags survive).

Shapes: a path is ``points (T+1, 2)`` and ``values (T+1,)``, NaN after it diverged; a grid
is ``xs (nx,)``, ``ys (ny,)``, ``zs (ny, nx)``.
"""

from __future__ import annotations

import base64
import binascii
import math
import struct
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import orjson
import plotly.graph_objects as go

from .. import strings

Bounds = tuple[tuple[float, float], tuple[float, float]]

PALETTE = (
    "#0072B2",  # blue            (Okabe–Ito, colour-blind safe, projects well on white)
    "#D55E00",  # vermillion      (the first four are the most distinct hues)
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#000000",  # black
    "#8C6D1F",  # dark ochre (Okabe–Ito yellow is unreadable on a light map)
)
"""One colour per run, used on every chart (run ``i`` gets ``PALETTE[i % len]``)."""

BACKGROUND_SCALE = (
    (0.0, (255, 255, 255)),
    (0.3, (236, 241, 247)),
    (0.65, (207, 219, 233)),
    (1.0, (172, 190, 214)),
)
"""Light blue-grey sequential scale for the surface (low = white) so coloured paths pop."""

LOG_EPS = 1e-12
"""ε in log10(f − f* + ε): keeps the minimum itself finite on a log map."""


def _json_default(value):
    """NumPy values for the JSON encoder (arrays as typed arrays, as plotly.js reads them)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fiu" and value.ndim == 1:
            return typed_array(value)
        if value.dtype.kind in "fiu" and value.ndim == 2:  # e.g. a surface's z
            return typed_array(value.ravel()) | {"shape": f"{value.shape[0]}, {value.shape[1]}"}
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


@dataclass
class Figure:
    """A Plotly figure as plain parts: ``data`` (trace dicts), ``layout`` (a dict) and
    ``frames`` (frame dicts), values NumPy arrays or typed-array specs.

    Built without plotly's validation or copies (a 100-frame map costs a few ms instead of
    ~90 ms through ``go.Figure``); :meth:`to_json` is the chart's payload as it is. Tests and the
    exports use :meth:`to_plotly`, which validates every property.
    """

    data: list[dict]
    layout: dict
    frames: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        """``{"data", "layout"[, "frames"]}`` sharing this figure's objects (no copy)."""
        out = {"data": self.data, "layout": self.layout}
        if self.frames:
            out["frames"] = self.frames
        return out

    def to_json(self) -> str:
        """Plotly JSON: NumPy arrays as base64 typed arrays (:func:`typed_array`), NumPy
        scalars as numbers, a non-finite float outside an array (not valid JSON) as null,
        as plotly's encoder writes it. Written by ``orjson`` (UTF-8, compact): a map with
        its frames in about a sixth of the standard library's time."""
        return orjson.dumps(
            self.to_dict(), default=_json_default, option=orjson.OPT_NON_STR_KEYS
        ).decode()

    def to_plotly(self) -> go.Figure:
        """A validated ``plotly.graph_objects.Figure`` of the same content."""
        return go.Figure(self.to_dict())


def color(i: int) -> str:
    """The colour of run ``i`` (cycles through :data:`PALETTE`)."""
    return PALETTE[i % len(PALETTE)]


@dataclass(frozen=True)
class Style:
    """Sizes for every chart; ``Style.presenter()`` is the lecture-hall version."""

    font_size: int = 14
    line_width: float = 2.5
    marker_size: float = 9.0
    height: int = 560
    side_height: int = 320
    contour_lines: bool = True
    min_width: int = 340
    """Narrowest width (px) a full-width chart is shown at: a 420-px phone's (the page's
    padding taken off); a projector's in presenter mode. Titles are fitted to it."""

    def scaled(self, factor: float) -> Style:
        """Every size multiplied by ``factor`` (fonts rounded)."""
        return replace(
            self,
            font_size=round(self.font_size * factor),
            line_width=self.line_width * factor,
            marker_size=self.marker_size * factor,
        )

    @classmethod
    def presenter(cls) -> Style:
        """Large fonts and thick lines, readable from the back of a lecture hall."""
        return cls(height=680, side_height=420, min_width=1180).scaled(1.6)

    @classmethod
    def handout(cls) -> Style:
        """Printed on paper (a PNG/SVG/GIF export): slightly larger text and lines."""
        return cls(height=720).scaled(1.15)


HANDOUT_FONT = '"Noto Sans CJK JP", "Noto Sans", "DejaVu Sans", verdana, arial, sans-serif'
"""Font family of the exported figures: Noto Sans CJK has Latin, Greek and Japanese glyphs."""


@dataclass(frozen=True)
class Path:
    """One run as the charts see it.

    name: legend label; color: CSS colour.
    points: (T+1, 2) positions, NaN from divergence on; values: (T+1,) f along the path.
    diverged_at: first diverged step or -1.
    """

    name: str
    color: str
    points: np.ndarray
    values: np.ndarray
    diverged_at: int = -1

    @property
    def steps(self) -> int:
        """T, the number of steps."""
        return self.points.shape[0] - 1

    @property
    def last(self) -> int:
        """Index of the last finite point (the start if the path diverged at step 1)."""
        if self.diverged_at < 0:
            return self.steps
        return max(self.diverged_at - 1, 0)


# ---------------------------------------------------------------------------------------
# surface levels and the background raster


@dataclass(frozen=True)
class Levels:
    """How f is coloured: ``t = log10(f − f_min + ε)`` if ``log`` else ``t = f``.

    lo, hi: the coloured range of t (values outside are clamped to the end bands);
    n: number of bands (filled contour levels); title: the colour bar's honest label.
    """

    log: bool
    f_min: float
    lo: float
    hi: float
    n: int
    title: str

    def transform(self, f: np.ndarray) -> np.ndarray:
        """``(...) -> (...)``: the coloured quantity t for values f (NaN stays NaN)."""
        f = np.asarray(f, dtype=np.float64)
        if not self.log:
            return f
        with np.errstate(all="ignore"):
            return np.log10(np.maximum(f - self.f_min, 0.0) + LOG_EPS)

    def edges(self) -> np.ndarray:
        """``(n+1,)`` band edges in t."""
        return np.linspace(self.lo, self.hi, self.n + 1)


def choose_levels(
    zs: np.ndarray, *, log: bool, f_min: float | None, n: int = 18, title: str = "f"
) -> Levels:
    """Pick the colouring of a grid of values ``zs (ny, nx)``.

    log: colour log10(f − f_min + ε) (Rosenbrock-like valleys; needs f_min, else the grid's
    minimum is used). Otherwise f itself over its 0.5–99.5 % range, so one huge corner
    does not wash out the rest.
    """
    finite = zs[np.isfinite(zs)]
    if finite.size == 0:
        return Levels(False, 0.0, 0.0, 1.0, n, title)
    base = float(f_min) if f_min is not None else float(finite.min())
    if log:
        levels = Levels(True, base, 0.0, 1.0, n, f"log₁₀({title} − {title}*)")
        t = levels.transform(finite)
        lo, hi = float(np.min(t)), float(np.max(t))
        lo = max(lo, hi - 12.0)  # more than 12 decades would be noise around the minimum
    else:
        levels = Levels(False, base, 0.0, 1.0, n, title)
        lo, hi = (float(v) for v in np.percentile(finite, [0.5, 99.5]))
    if not hi > lo:
        hi = lo + 1.0
    return replace(levels, lo=lo, hi=hi)


def _interpolate_scale(scale, u: np.ndarray) -> np.ndarray:
    """``u (...) in [0, 1] -> (..., 3) uint8`` along a piecewise-linear colour scale."""
    stops = np.array([s for s, _ in scale])
    rgb = np.array([c for _, c in scale], dtype=np.float64)
    out = np.stack([np.interp(u, stops, rgb[:, c]) for c in range(3)], axis=-1)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def band_colors(n: int, scale=BACKGROUND_SCALE) -> np.ndarray:
    """``(n, 3) uint8``: the fill colour of each of ``n`` bands."""
    return _interpolate_scale(scale, (np.arange(n) + 0.5) / n)


def raster_image(
    zs: np.ndarray, levels: Levels, *, lines: bool = True, scale=BACKGROUND_SCALE
) -> np.ndarray:
    """Filled contour bands of ``zs (ny, nx)`` as an RGB image ``(ny, nx, 3) uint8``.

    Row 0 of the image is the TOP of the plot (largest y), as images are drawn. With
    ``lines``, pixels where the band changes to the right or below are darkened (the
    iso-lines). NaN cells are drawn light grey.
    """
    t = levels.transform(zs)
    finite = np.isfinite(t)
    u = np.where(finite, (t - levels.lo) / (levels.hi - levels.lo), 0.0)
    band = np.clip(np.floor(u * levels.n), 0, levels.n - 1).astype(np.int64)
    rgb = band_colors(levels.n, scale)[band]
    if lines:
        edge = np.zeros(band.shape, dtype=bool)
        edge[:, :-1] |= band[:, 1:] != band[:, :-1]
        edge[:-1, :] |= band[1:, :] != band[:-1, :]
        rgb[edge] = (rgb[edge] * 0.8).astype(np.uint8)
    rgb[~finite] = (225, 225, 225)
    return np.ascontiguousarray(rgb[::-1])


def png_bytes(rgb: np.ndarray) -> bytes:
    """Encode an ``(h, w, 3) uint8`` image as PNG (no dependencies beyond zlib)."""
    h, w, _ = rgb.shape
    raw = np.concatenate([np.zeros((h, 1), np.uint8), rgb.reshape(h, w * 3)], axis=1)

    def chunk(tag: bytes, data: bytes) -> bytes:
        body = tag + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), 6))
        + chunk(b"IEND", b"")
    )


def data_uri(png: bytes) -> str:
    """``data:image/png;base64,...`` for ``layout.images``."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def pixel_grid(bounds: Bounds, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pixel-centre grid over ``bounds``: ``xs (n,)``, ``ys (n,)``, ``xy (n, n, 2)``.

    ``xy[j, i] = (xs[i], ys[j])`` — the ``z[y][x]`` layout; pixel centres so that an
    ``n``-pixel image stretched over the bounds puts every value where it was computed.
    """
    (x0, x1), (y0, y1) = bounds
    xs = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    ys = y0 + (np.arange(n) + 0.5) * (y1 - y0) / n
    return xs, ys, np.stack(np.meshgrid(xs, ys), axis=-1)


def sample(f: Callable[[np.ndarray], np.ndarray], bounds: Bounds, n: int = 240):
    """``f`` on the pixel grid: ``xs (n,)``, ``ys (n,)``, ``zs (n, n)`` (non-finite → NaN)."""
    xs, ys, xy = pixel_grid(bounds, n)
    with np.errstate(all="ignore"):
        zs = np.asarray(f(xy), dtype=np.float64)
    return xs, ys, np.where(np.isfinite(zs), zs, np.nan)


def background_image(bounds: Bounds, rgb: np.ndarray, source: str = "") -> dict:
    """A ``layout.images`` entry stretching ``rgb`` exactly over ``bounds``, below the data
    (``source``: its PNG data URI if already made)."""
    (x0, x1), (y0, y1) = bounds
    return dict(
        source=source or data_uri(png_bytes(rgb)),
        xref="x",
        yref="y",
        x=x0,
        y=y1,
        sizex=x1 - x0,
        sizey=y1 - y0,
        xanchor="left",
        yanchor="top",
        sizing="stretch",
        layer="below",
    )


def _log_ticks(lo: float, hi: float) -> tuple[list[float], list[str]]:
    """Integer decades between lo and hi as ``10^k`` labels (at most ~8 of them)."""
    first, last = math.ceil(lo), math.floor(hi)
    stride = max(1, math.ceil((last - first + 1) / 8))
    vals = list(range(first, last + 1, stride))
    return [float(v) for v in vals], [_power_label(v) for v in vals]


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def _power_label(k: int) -> str:
    """``10`` with a superscript exponent (``-3`` -> ``10⁻³``)."""
    return "10" + str(k).translate(_SUPERSCRIPT)


LABELS_FIT = "allow"
"""Every 2-D axis and colour bar: ``automargin`` already makes room for the tick labels,
so plotly.js need not measure each label against the figure's edges on every redraw
("hide past div", its default: ~10 % of a map or loss-curve redraw)."""


def colorbar_trace(
    levels: Levels, style: Style, scale=BACKGROUND_SCALE, *, log_note: str = "(log)"
) -> dict:
    """An invisible trace whose colour bar explains the background bands."""
    colors = band_colors(levels.n, scale)
    stepped = []
    for i, (r, g, b) in enumerate(colors):
        css = f"rgb({r},{g},{b})"
        stepped += [(i / levels.n, css), ((i + 1) / levels.n, css)]
    colorbar = dict(
        title=dict(text=levels.title, side="right"),
        thickness=14,
        len=0.9,
        tickfont=dict(size=style.font_size - 2),
        ticklabeloverflow=LABELS_FIT,
    )
    if levels.log:
        colorbar["tickvals"], colorbar["ticktext"] = _log_ticks(levels.lo, levels.hi)
        gap = levels.title.replace("log₁₀", "").strip("()")
        colorbar["title"]["text"] = f"{gap} {log_note}"
    return dict(
        type="scatter",
        x=[None],
        y=[None],
        mode="markers",
        marker=dict(
            colorscale=stepped,
            cmin=levels.lo,
            cmax=levels.hi,
            color=[levels.lo],
            showscale=True,
            colorbar=colorbar,
        ),
        hoverinfo="skip",
        showlegend=False,
        name="levels",
    )


# ---------------------------------------------------------------------------------------
# paths: decimation, rounding


def display_indices(points: np.ndarray, span: float, *, rel: float = 0.002, cap: int = 1500):
    """Indices of a path's points worth drawing: ``points (T+1, 2) -> (K,) int``.

    Keeps the first and last finite points and every point that lies more than
    ``rel * span`` from the previously kept one (so sub-pixel creep collapses, zig-zags
    stay). If more than ``cap`` remain, they are thinned by a stride (first/last kept).
    Vectorised: a point is kept when the cumulative arc length crosses a multiple of the
    threshold (equivalent to greedy distance decimation for straight creep, and keeps more
    points when the path turns back on itself).
    """
    finite = np.all(np.isfinite(points), axis=-1)
    n = points.shape[0] if finite.all() else int(np.argmin(finite))
    if n <= 2:
        return np.arange(n)
    p = points[:n]
    seg = np.linalg.norm(np.diff(p, axis=0), axis=-1)
    arc = np.concatenate([[0.0], np.cumsum(seg)])
    threshold = max(rel * span, 1e-300)
    bucket = np.floor(arc / threshold).astype(np.int64)
    keep = np.flatnonzero(np.diff(bucket, prepend=-1) != 0)
    keep = np.union1d(keep, [0, n - 1])
    if keep.size > cap:
        stride = math.ceil(keep.size / cap)
        keep = np.union1d(keep[::stride], [n - 1])
    return keep


def round_for_display(a: np.ndarray, span: float, digits: int = 4) -> np.ndarray:
    """Round to ``digits`` significant digits of ``span`` (display only), as float32."""
    if not (span > 0 and math.isfinite(span)):
        return np.asarray(a, dtype=np.float32)
    decimals = max(0, digits - math.floor(math.log10(span)))
    return np.round(np.asarray(a, dtype=np.float64), decimals).astype(np.float32)


def _span(bounds: Bounds) -> float:
    (x0, x1), (y0, y1) = bounds
    return max(x1 - x0, y1 - y0)


_TYPED = {"float32": "f4", "float64": "f8", "int8": "i1", "int16": "i2", "int32": "i4"}
_TYPED |= {"uint8": "u1", "uint16": "u2", "uint32": "u4"}
_TYPED_BY_DTYPE = {np.dtype(name): code for name, code in _TYPED.items()}


def typed_array(a) -> dict:
    """``(K,)`` numbers -> plotly.js typed-array spec ``{"dtype": "f4", "bdata": base64}``.

    What plotly's ``to_dict`` makes of a NumPy array, done once here: plotly's validators
    pass such a spec through untouched, while every NumPy array costs a narwhals check per
    property on construction and again on ``to_dict`` (~0.2 s per redraw for 100 frames).
    int64 becomes int32, other unknown dtypes float64.
    """
    a = np.ascontiguousarray(a)
    code = _TYPED_BY_DTYPE.get(a.dtype)
    if code is None:
        a = a.astype(np.int32 if a.dtype == np.int64 else np.float64)
        code = _TYPED_BY_DTYPE[a.dtype]
    return {"dtype": code, "bdata": binascii.b2a_base64(a, newline=False).decode("ascii")}


# ---------------------------------------------------------------------------------------
# trace builders (composable; plain dicts, validated once by the tests)


def _hover(name: str) -> str:
    return f"{name}<br>step %{{customdata}}<br>(%{{x}}, %{{y}})<extra></extra>"


def path_trace(
    path: Path, idx: np.ndarray, span: float, style: Style, *, legend: bool = False
) -> dict:
    """Lines-only trace of ``path`` through its display indices ``idx (K,)``.

    Map legends are off by default: the loss chart and the results table name the runs
    in the same colours, and the map keeps its room for the surface.
    """
    pts = round_for_display(path.points[idx], span)
    return dict(
        type="scatter",
        x=pts[:, 0],
        y=pts[:, 1],
        mode="lines",
        line=dict(color=path.color, width=style.line_width),
        name=path.name,
        legendgroup=path.name,
        showlegend=legend,
        customdata=idx.astype(np.int32),
        hovertemplate=_hover(path.name),
    )


def trail_indices(idx: np.ndarray, lo: int, hi: int, cap: int = 40) -> np.ndarray:
    """Display indices in ``(lo, hi]`` plus ``hi`` itself and the point before (≤ cap).

    ``idx`` ascending (as :func:`display_indices` returns them): found by bisection, since
    this runs for every path in every animation frame."""
    a = int(np.searchsorted(idx, lo, side="right"))  # idx[:a] <= lo < idx[a:]
    inside = idx[a : int(np.searchsorted(idx, hi, side="left"))]  # lo < idx < hi
    if inside.size > cap:
        inside = inside[:: math.ceil(inside.size / cap)]
    before = idx[max(a - 1, 0) : a] if lo >= 0 else idx[:0]
    return np.concatenate([before, inside, [hi]]).astype(np.int64)


def trail_trace(path: Path, idx: np.ndarray, span: float, style: Style) -> dict:
    """Thick line of the recent part of ``path`` (the animation's moving trail)."""
    pts = round_for_display(path.points[idx], span) if idx.size else np.empty((0, 2))
    return dict(
        type="scatter",
        x=pts[:, 0],
        y=pts[:, 1],
        mode="lines",
        line=dict(color=path.color, width=style.line_width * 1.8),
        name=path.name,
        legendgroup=path.name,
        showlegend=False,
        hoverinfo="skip",
    )


def diverged_by(diverged_at, steps) -> np.ndarray:
    """Whether a run that first diverged at step ``diverged_at`` (-1: never) has diverged
    by step ``steps``: ``0 <= diverged_at <= steps``, broadcast over both (arrays or ints).
    Every view marks a run with an ✕ from that step on, at its last finite point, where
    its path ends (:func:`marker_symbols` on the map, :func:`cross_strokes` in 3-D)."""
    d = np.asarray(diverged_at, dtype=np.int64)
    return (d >= 0) & (d <= np.asarray(steps, dtype=np.int64))


DIVERGED_SYMBOL = "x"
"""The marker of a run that has diverged (an ✕) on the map and the loss chart."""

RUNNING_SYMBOL = "circle"
"""The marker of a run at its current step while it has not diverged."""


def marker_symbols(dead) -> list[str]:
    """Marker symbols for a sequence of :func:`diverged_by` flags: ✕ where diverged."""
    return [DIVERGED_SYMBOL if d else RUNNING_SYMBOL for d in np.asarray(dead).tolist()]


def _current_points(paths: Sequence[Path], step: int) -> tuple[np.ndarray, list[str], list]:
    """Positions ``(N, 2)`` at ``step`` (last finite point if diverged), symbols, steps."""
    ks = [min(step, p.last) for p in paths]
    pts = np.array([p.points[k] for p, k in zip(paths, ks, strict=True)]).reshape(-1, 2)
    dead = diverged_by([p.diverged_at for p in paths], step)
    return pts, marker_symbols(dead), ks


def current_trace(paths: Sequence[Path], step: int, span: float, style: Style) -> dict:
    """ONE trace with every path's marker at ``step`` (an ✕ where it has diverged)."""
    pts, symbols, ks = _current_points(paths, step)
    pts = round_for_display(pts, span)
    return dict(
        type="scatter",
        x=pts[:, 0],
        y=pts[:, 1],
        mode="markers",
        marker=dict(
            color=[p.color for p in paths],
            size=style.marker_size * 1.3,
            symbol=symbols,
            line=dict(width=1.5, color="white"),
        ),
        customdata=np.asarray(ks, dtype=np.int32),
        text=[p.name for p in paths],
        hovertemplate="%{text}<br>step %{customdata}<br>(%{x}, %{y})<extra></extra>",
        showlegend=False,
        name="current",
        selected=dict(marker=dict(opacity=1)),
        unselected=dict(marker=dict(opacity=1)),
    )


def starts_trace(starts: np.ndarray, style: Style, name: str = "start") -> dict:
    """Hollow black circle(s) on the start point(s) ``(M, 2)``."""
    s = np.asarray(starts, dtype=np.float64).reshape(-1, 2)
    return dict(
        type="scatter",
        x=s[:, 0],
        y=s[:, 1],
        mode="markers",
        marker=dict(
            symbol="circle-open",
            size=style.marker_size * 1.5,
            color="black",
            line=dict(width=2.5),
        ),
        name=name,
        showlegend=False,
        hovertemplate=name + " (%{x}, %{y})<extra></extra>",
        selected=dict(marker=dict(opacity=1)),
        unselected=dict(marker=dict(opacity=1)),
    )


def minima_trace(minima: np.ndarray, style: Style, name: str = "minimum") -> dict:
    """Star markers on the known minimizers ``(M, 2)``."""
    m = np.asarray(minima, dtype=np.float64).reshape(-1, 2)
    return dict(
        type="scatter",
        x=m[:, 0],
        y=m[:, 1],
        mode="markers",
        marker=dict(
            symbol="star",
            size=style.marker_size * 1.7,
            color="#FFD700",
            line=dict(color="#333333", width=1.2),
        ),
        name=name,
        hovertemplate=name + " (%{x}, %{y})<extra></extra>",
        selected=dict(marker=dict(opacity=1)),
        unselected=dict(marker=dict(opacity=1)),
    )


def click_grid_trace(bounds: Bounds, n: int = 48) -> dict:
    """Invisible ``n × n`` markers over the plot so that a click reports a point.

    Plotly reports no clicks on contour, heatmap or image traces; these
    markers have opacity 0 and ``hoverinfo="none"`` (events, no label).

    ``marker.maxdisplayed=1``: plotly.js draws ONE of the markers. Hover, click and
    selection work on the data, not on the SVG nodes, so every grid point still reports a
    click — but the browser no longer builds and styles ``n²`` SVG paths on every redraw
    (48² of them cost ~0.3 s per redraw).
    """
    _, _, xy = pixel_grid(bounds, n)
    pts = round_for_display(xy.reshape(-1, 2), _span(bounds), digits=3)
    return dict(
        type="scatter",
        x=pts[:, 0],
        y=pts[:, 1],
        mode="markers",
        marker=dict(size=8, opacity=0, color="black", maxdisplayed=1),
        hoverinfo="none",
        showlegend=False,
        name="click",
        selected=dict(marker=dict(opacity=0)),
        unselected=dict(marker=dict(opacity=0)),
    )


def arrows_trace(
    origins: np.ndarray,
    vectors: np.ndarray,
    *,
    color: str,
    name: str,
    style: Style,
    width: float | None = None,
    showlegend: bool = True,
) -> dict:
    """Arrows ``origins (M, 2) -> origins + vectors`` as ONE trace.

    Segments separated by NaN gaps and an arrow-head marker (``angleref="previous"``) at
    each tip only. Used for the −∇f field and, at step k, for g_k and Δθ_k.
    """
    o = np.asarray(origins, dtype=np.float64).reshape(-1, 2)
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, 2)
    m = o.shape[0]
    xy = np.full((m, 3, 2), np.nan)
    xy[:, 0], xy[:, 1] = o, o + v
    sizes = np.zeros((m, 3))
    sizes[:, 1] = style.marker_size
    xy = xy.reshape(-1, 2)
    return dict(
        type="scatter",
        x=np.round(xy[:, 0], 5).astype(np.float32),
        y=np.round(xy[:, 1], 5).astype(np.float32),
        mode="lines+markers",
        line=dict(color=color, width=width if width is not None else style.line_width * 0.5),
        marker=dict(symbol="arrow", angleref="previous", size=sizes.ravel(), color=color),
        name=name,
        hoverinfo="skip",
        showlegend=showlegend,
        connectgaps=False,
    )


def gradient_field(
    grad: Callable[[np.ndarray], np.ndarray], bounds: Bounds, n: int = 17
) -> tuple[np.ndarray, np.ndarray]:
    """Directions of −∇f on an ``n × n`` grid: ``origins (M, 2)``, ``vectors (M, 2)``.

    Arrows have a fixed length (0.8 of the grid spacing): the field shows directions; the
    contour bands show steepness. Points with a zero or non-finite gradient are dropped.
    """
    _, _, xy = pixel_grid(bounds, n)
    xy = xy.reshape(-1, 2)
    with np.errstate(all="ignore"):
        g = -np.asarray(grad(xy), dtype=np.float64)
        norm = np.linalg.norm(g, axis=-1)
    ok = np.isfinite(norm) & (norm > 0)
    (x0, x1), (y0, y1) = bounds
    length = 0.8 * min(x1 - x0, y1 - y0) / n
    return xy[ok], g[ok] / norm[ok, None] * length


def map_layout(bounds: Bounds, style: Style, *, uirevision: str = "map") -> dict:
    """Axes fixed to ``bounds``, equal scale, legend on top: the layout of any 2-D map."""
    (x0, x1), (y0, y1) = bounds
    axis = dict(
        autorange=False,
        constrain="domain",
        showgrid=False,
        zeroline=False,
        ticks="outside",
        automargin=True,
        ticklabeloverflow=LABELS_FIT,
    )
    return dict(
        xaxis=dict(axis, range=[x0, x1]),
        yaxis=dict(axis, range=[y0, y1], scaleanchor="x", scaleratio=1),
        height=style.height,
        margin=dict(l=10, r=10, t=30, b=10),
        font=dict(size=style.font_size),
        legend=dict(
            orientation="h", yanchor="bottom", y=1.01, x=0, font=dict(size=style.font_size - 1)
        ),
        hovermode="closest",
        uirevision=uirevision,
        plot_bgcolor="white",
        paper_bgcolor="white",
        dragmode="zoom",
        clickmode="event+select",
    )


def map_width(bounds: Bounds, style: Style, *, animated: bool = True) -> int:
    """Figure width (px) at which an equal-scale map of ``bounds`` fills ``style.height``
    with its colour bar right beside it (the container may still make it narrower)."""
    (x0, x1), (y0, y1) = bounds
    plot_h = style.height - 30 - (90 if animated else 10)
    return int(np.clip(plot_h * (x1 - x0) / (y1 - y0) + 60 + 6 * style.font_size, 380, 1400))


# ---------------------------------------------------------------------------------------
# animation


@dataclass(frozen=True)
class Labels:
    """Visible words on the charts (callers pass translated ones)."""

    play: str = "▶ Play"
    pause: str = "❚❚ Pause"
    restart: str = "↺ Restart"
    step: str = "step"
    start: str = "start"
    minimum: str = "minimum"
    gradient: str = "−∇f"
    loss: str = "f − f*"
    loss_raw: str = "f"
    log_note: str = "(log)"


def animation_controls(
    names: Sequence[str],
    steps: Sequence[int],
    labels: Labels,
    style: Style,
    *,
    duration: int = 60,
    redraw: bool = False,
    y: float = -0.06,
    slider_y: float | None = None,
    active: int | None = None,
) -> dict:
    """``updatemenus`` (play / pause / resume) and a step ``slider`` over frames ``names``.

    The slider starts on frame ``active`` (default: the last frame, where the figure's
    data shows the finished paths); Play continues from the current frame (from the first
    one on a fresh chart), Restart always starts from the first frame.
    ``redraw`` must be True for 3-D scenes; ``y`` is the controls' top in paper units.
    With ``slider_y`` the slider takes a full-width row of its own at that height, under
    the buttons, instead of sharing their row.
    """

    def opts(ms: int) -> dict:
        return dict(
            frame=dict(duration=ms, redraw=redraw), transition=dict(duration=0), mode="immediate"
        )

    buttons = [
        dict(
            label=labels.play, method="animate", args=[None, dict(opts(duration), fromcurrent=True)]
        ),
        dict(label=labels.pause, method="animate", args=[[None], opts(0)]),
        dict(label=labels.restart, method="animate", args=[list(names), opts(duration)]),
    ]
    slider_steps = [
        dict(label=str(s), method="animate", args=[[name], opts(0)])
        for name, s in zip(names, steps, strict=True)
    ]
    own_row = slider_y is not None
    return dict(
        updatemenus=[
            dict(
                type="buttons",
                direction="left",
                showactive=False,
                x=0,
                xanchor="left",
                y=y,
                yanchor="top",
                pad=dict(t=0 if own_row else 8, r=6),
                buttons=buttons,
                font=dict(size=style.font_size - 1),
            )
        ],
        sliders=[
            dict(
                active=len(slider_steps) - 1 if active is None else active,
                steps=slider_steps,
                x=0 if own_row else 0.46,
                len=1 if own_row else 0.54,
                y=slider_y if own_row else y,
                yanchor="top",
                pad=dict(t=0 if own_row else 4),
                currentvalue=dict(prefix=labels.step + " ", font=dict(size=style.font_size)),
                font=dict(size=max(style.font_size - 5, 8)),
                ticklen=2,
                minorticklen=0,
            )
        ],
    )


def frame_steps(steps: int, max_frames: int = 100) -> np.ndarray:
    """Steps shown by the animation frames: ``(F,) int``, 0 and ``steps`` included, F ≤ max.

    Every step when there are few; otherwise half the frames evenly spaced and half on a
    quadratic spacing that is denser early (where most of the motion happens).
    """
    if steps + 1 <= max_frames:
        return np.arange(steps + 1)
    lin = np.linspace(0, steps, max_frames // 2)
    sq = (np.linspace(0, 1, max_frames - max_frames // 2) ** 2) * steps
    return np.unique(np.rint(np.concatenate([lin, sq])).astype(np.int64))


def frame_steps_at(steps: int, step: int | None = None, max_frames: int = 100) -> np.ndarray:
    """The steps of every view's animation frames: :func:`frame_steps` plus ``step`` (the
    page's step k, clipped to 0..``steps``; None: none added), ascending. Each view then
    has a frame at exactly k: a player opened there shows k, not a neighbouring step, and
    views that follow one player find the same frame by name (``"k12"``)."""
    ks = frame_steps(steps, max_frames)
    if step is None:
        return ks
    return np.union1d(ks, [min(max(int(step), 0), max(int(steps), 0))]).astype(np.int64)


def control_rows(style: Style) -> tuple[float, float, float]:
    """Heights (px) of the three rows under a map: tick labels, play buttons, step slider
    (each row grows with the font, so neither control covers the other at any size)."""
    f = style.font_size
    return 2.2 * f, 2.0 * f + 18, 1.6 * f + 56


def frame_at(ks: np.ndarray, step: int) -> int:
    """Index of the last frame whose step is ≤ ``step`` (frames ``ks`` ascending from 0)."""
    return max(int(np.searchsorted(ks, step, side="right")) - 1, 0)


def trail_window(ks: np.ndarray, f: int, steps: int) -> int:
    """First step (exclusive) of the trail shown at frame ``f``: 3 frames or T/25 back."""
    back = max(int(ks[f]) - int(ks[max(f - 3, 0)]), steps // 25, 1)
    return int(ks[f]) - back


def map_frames(
    paths: Sequence[Path],
    idx: Sequence[np.ndarray],
    ks: np.ndarray,
    names: Sequence[str],
    moving: list[int],
    steps: int,
    span: float,
) -> list[dict]:
    """The map's animation frames at steps ``ks`` (:func:`frame_steps`): per frame, each
    path line's opacity (faded until the last frame), each path's trail (its display
    indices ``idx`` in the :func:`trail_window`, :func:`trail_indices`) and the marker
    trace at the frame's step (:func:`current_trace`'s points, symbols and steps).

    What depends on the frame alone is computed for all frames at once (the markers'
    points, rounded once; the trails' bisections), so the per-frame work is slicing: a
    trail (:func:`trail_indices`) is the display point before the window, every s-th one
    inside it and the frame's own point, three slices of the rounded x and y columns."""
    n = len(paths)
    # each path's drawable points rounded once (rounding is elementwise), not per frame,
    # as contiguous x and y columns, and the same columns at its display indices
    shown = [round_for_display(p.points[: p.last + 1], span) for p in paths]
    columns = [(np.ascontiguousarray(r[:, 0]), np.ascontiguousarray(r[:, 1])) for r in shown]
    displayed = [(x[i], y[i]) for (x, y), i in zip(columns, idx, strict=True)]
    ks = np.asarray(ks, dtype=np.int64)
    lo = np.array([trail_window(ks, f, steps) for f in range(len(ks))], dtype=np.int64)
    lasts = np.array([p.last for p in paths], dtype=np.int64)
    marker_steps = np.minimum(ks[:, None], lasts[None, :])  # (F, N), _current_points' ks
    markers = np.stack([p.points[marker_steps[:, j]] for j, p in enumerate(paths)], axis=1)
    markers = round_for_display(markers.reshape(-1, 2), span).reshape(len(ks), n, 2)
    dead = diverged_by(np.array([p.diverged_at for p in paths])[None, :], ks[:, None])  # (F, N)
    marker_ks = marker_steps.astype(np.int32)
    trails = []  # per path, per frame: the slice bounds of its trail (see _trail_bounds)
    for j, i in enumerate(idx):
        hi = np.minimum(ks, lasts[j])
        a = np.searchsorted(i, lo, side="right")
        b = np.searchsorted(i, hi, side="left")
        trails.append(_trail_bounds(a, b, hi, lo))
    empty = typed_array(np.empty(0))  # what a finished trail sends: no points
    frames = []
    for f, k in enumerate(ks.tolist()):
        done = k == steps
        fdata = [dict(type="scatter", opacity=1.0 if done else 0.3) for _ in paths]
        for j in range(n):
            if done:
                fdata.append(dict(type="scatter", x=empty, y=empty))
                continue
            first, a, b, every, hi = trails[j][f]
            (x, y), (dx, dy) = columns[j], displayed[j]
            tx = np.concatenate((dx[first:a], dx[a:b:every], x[hi : hi + 1]))
            ty = np.concatenate((dy[first:a], dy[a:b:every], y[hi : hi + 1]))
            fdata.append(dict(type="scatter", x=typed_array(tx), y=typed_array(ty)))
        cur = markers[f]
        fdata.append(
            dict(
                type="scatter",
                x=typed_array(cur[:, 0]),
                y=typed_array(cur[:, 1]),
                marker=dict(symbol=marker_symbols(dead[f])),
                customdata=typed_array(marker_ks[f]),
            )
        )
        frames.append(dict(name=names[f], data=fdata, traces=moving))
    return frames


def _trail_bounds(a, b, hi, lo, cap: int = 40) -> list[tuple[int, int, int, int, int]]:
    """:func:`trail_indices` of every frame as slices of the display indices ``idx``,
    from its two bisections done beforehand (``a`` = ``searchsorted(idx, lo, "right")``,
    ``b`` = ``searchsorted(idx, hi, "left")``, arrays over the frames): per frame
    ``(first, a, b, every, hi)``, the trail being ``idx[first:a]`` (the point before the
    window, or none), ``idx[a:b:every]`` (at most ``cap`` inside it) and ``hi``."""
    out = []
    for a_f, b_f, hi_f, lo_f in zip(a.tolist(), b.tolist(), hi.tolist(), lo.tolist(), strict=True):
        inside = b_f - a_f
        every = math.ceil(inside / cap) if inside > cap else 1
        first = max(a_f - 1, 0) if lo_f >= 0 else a_f
        out.append((first, a_f, b_f, every, hi_f))
    return out


def display_cap(n_paths: int) -> int:
    """Most points drawn per path (static lines), so a 6-run map stays light."""
    return int(np.clip(6000 // max(n_paths, 1), 500, 2000))


# ---------------------------------------------------------------------------------------
# the figures


@dataclass(frozen=True)
class MapData:
    """What the contour map needs of the surface (plain arrays; cacheable).

    bounds: plot window; levels: colouring; image: ``(h, w, 3) uint8`` background bands;
    minima: ``(M, 2)``; field: optional ``(origins (K, 2), vectors (K, 2))`` of −∇f.
    """

    bounds: Bounds
    levels: Levels
    image: np.ndarray
    minima: np.ndarray
    field: tuple[np.ndarray, np.ndarray] | None = None
    image_uri: str = ""
    """``image`` as a PNG data URI, made once here (not on every redraw of the map)."""


def map_data(
    surface,
    *,
    resolution: int = 360,
    field: bool = False,
    lines: bool = True,
    levels: Levels | None = None,
):
    """Sample ``surface`` (``.f``, ``.grad``, ``.bounds``, ``.minima``, ``.f_min``,
    ``.log_scale``) into :class:`MapData`, coloured by ``levels`` (default: chosen from the
    samples by :func:`choose_levels`; pass a map's own to draw it again at another
    resolution with the same bands)."""
    bounds = surface.bounds
    _, _, zs = sample(surface.f, bounds, resolution)
    f_min = surface.f_min
    if levels is None:
        log = bool(surface.log_scale and f_min is not None)
        levels = choose_levels(zs, log=log, f_min=f_min)
    image = raster_image(zs, levels, lines=lines)
    minima = np.asarray(surface.minima, dtype=np.float64).reshape(-1, 2)
    arrows = gradient_field(surface.grad, bounds) if field else None
    return MapData(bounds, levels, image, minima, arrows, data_uri(png_bytes(image)))


@dataclass(frozen=True)
class MapTraces:
    """Indices of the map's traces (stable order; see :func:`contour_spec`)."""

    paths: tuple[int, ...]
    trails: tuple[int, ...]
    current: int | None


def contour_spec(
    data: MapData,
    paths: Sequence[Path],
    *,
    style: Style = Style(),
    labels: Labels = Labels(),
    starts: np.ndarray | None = None,
    animate: bool = True,
    clickable: bool = True,
    extra: Sequence[dict] = (),
    max_frames: int = 100,
    uirevision: str = "map",
    initial_step: int | None = None,
) -> Figure:
    """The main map: background bands, every path, start/minima markers, animation.

    Trace order (stable): colour bar, [click grid], [−∇f field], [minima], [starts], one
    line per path, one trail per path, one "current step" marker trace for all paths, then
    ``extra`` (e.g. step-inspector arrows). The figure opens on ``initial_step`` (default
    and from the last step on: the finished paths): the moving traces as the frame at or
    just before it shows them, the slider on that frame, the markers exactly at θ_k.
    Frames touch only the path lines (faded while playing), the trails and the markers,
    so the background is never redrawn and a frame costs O(trail) bytes, not O(path).
    The play buttons sit on a row under the tick labels and the step slider on a row of
    its own under them (:func:`control_rows`).
    """
    bounds = data.bounds
    span = _span(bounds)
    traces: list[dict] = [colorbar_trace(data.levels, style, log_note=labels.log_note)]
    if clickable:
        traces.append(click_grid_trace(bounds))
    if data.field is not None:
        traces.append(arrows_trace(*data.field, color="#666666", name=labels.gradient, style=style))
    if data.minima.size:
        traces.append(minima_trace(data.minima, style, labels.minimum))
    if starts is None and paths:
        starts = np.array([p.points[0] for p in paths])
    if starts is not None:
        traces.append(starts_trace(starts, style, labels.start))
    cap = display_cap(len(paths))
    idx = [display_indices(p.points, span, cap=cap) for p in paths]
    first = len(traces)
    traces += [path_trace(p, i, span, style) for p, i in zip(paths, idx, strict=True)]
    traces += [trail_trace(p, np.empty(0, np.int64), span, style) for p in paths]
    steps = max((p.steps for p in paths), default=0)
    opening = steps if initial_step is None else int(np.clip(initial_step, 0, steps))
    if paths:
        traces.append(current_trace(paths, steps, span, style))
    traces += list(extra)
    layout = map_layout(bounds, style, uirevision=uirevision)
    layout["width"] = map_width(bounds, style, animated=animate and bool(paths))
    layout["images"] = [background_image(bounds, data.image, data.image_uri)]
    frames = []
    if animate and paths and steps > 0:
        n = len(paths)
        moving = list(range(first, first + 2 * n + 1))
        ks = frame_steps_at(steps, opening, max_frames)
        names = [f"k{k}" for k in ks]
        frames = map_frames(paths, idx, ks, names, moving, steps, span)
        opening_frame = frame_at(ks, opening)
        if opening < steps:
            for i, d in zip(moving, frames[opening_frame]["data"], strict=True):
                traces[i] = _merged(traces[i], {k: v for k, v in d.items() if k != "type"})
        ticks, buttons, slider = control_rows(style)
        plot_h = style.height - 30 - (ticks + buttons + slider)
        layout.update(
            animation_controls(
                names,
                ks.tolist(),
                labels,
                style,
                y=-ticks / plot_h,
                slider_y=-(ticks + buttons) / plot_h,
                active=opening_frame,
            )
        )
        layout["margin"] = dict(l=10, r=10, t=30, b=ticks + buttons + slider)
    if paths and opening < steps:  # at θ_k itself, as the step inspector reports it
        exact, _, _ = _current_points(paths, opening)
        current = current_trace(paths, opening, span, style)
        traces[first + 2 * len(paths)] = dict(current, x=exact[:, 0], y=exact[:, 1])
    return Figure(data=traces, layout=layout, frames=frames)


def _merged(base: dict, patch: dict) -> dict:
    """``base`` updated by ``patch`` key by key, nested dicts merged (Plotly's ``update``)."""
    out = dict(base)
    for k, v in patch.items():
        out[k] = _merged(out[k], v) if isinstance(v, dict) and isinstance(out.get(k), dict) else v
    return out


def handout_spec(
    data: MapData,
    paths: Sequence[Path],
    *,
    style: Style | None = None,
    labels: Labels = Labels(),
    starts: np.ndarray | None = None,
) -> Figure:
    """The map at rest as printed (PNG/SVG, and every frame of the GIF): the page's bands,
    colour bar, paths and markers, a legend above the plot naming every run in its colour
    (and the minimum), no controls or click grid, :data:`HANDOUT_FONT` for the text."""
    style = style or Style.handout()
    fig = contour_spec(
        data,
        paths,
        style=style,
        labels=labels,
        starts=starts,
        animate=False,
        clickable=False,
        uirevision="handout",
    )
    for i in map_traces(len(paths), fig).paths:
        fig.data[i] = dict(fig.data[i], showlegend=True)
    font = dict(fig.layout["font"], family=HANDOUT_FONT)
    fig.layout.update(
        height=style.height
        + handout_legend_height(legend_entries(fig), fig.layout["width"], style),
        font=font,
        showlegend=True,
        legend=dict(fig.layout["legend"], yanchor="bottom", y=1.02, xanchor="left", x=0),
        margin=dict(l=10, r=10, t=20, b=10),
    )
    return fig


def handout_legend_height(entries: Sequence[tuple[str, str]], width: float, style: Style) -> int:
    """Pixels a horizontal legend of ``entries`` takes above a plot ``width`` px wide
    (estimated from the text's length), so a figure can grow by it and keep its plot."""
    size = style.font_size - 1
    widths = [40 + 0.6 * size * len(name) for name, _ in entries]
    rows, used = 1, 0.0
    for w in widths:
        if used and used + w > width:
            rows, used = rows + 1, 0.0
        used += w
    return round(rows * 2.2 * size) if entries else 0


def legend_entries(fig: Figure) -> list[tuple[str, str]]:
    """``(name, colour)`` of every line the figure's legend shows, in trace order."""
    return [
        (t["name"], t["line"]["color"])
        for t in fig.data
        if t.get("showlegend") and t.get("mode") == "lines" and "line" in t
    ]


def map_traces(n_paths: int, fig) -> MapTraces:
    """Where the path, trail and current traces of a :func:`contour_spec` are (``fig``: a
    :class:`Figure` or a ``go.Figure``)."""
    names = [t.get("name") if isinstance(t, dict) else t.name for t in fig.data]
    if "current" not in names:
        return MapTraces((), (), None)
    cur = names.index("current")
    first = cur - 2 * n_paths
    return MapTraces(tuple(range(first, first + n_paths)), tuple(range(first + n_paths, cur)), cur)


@dataclass(frozen=True)
class Mesh:
    """The 3-D view's surface as drawn (plain arrays; cacheable per surface and levels).

    xs ``(nx,)``, ys ``(ny,)``; z ``(ny, nx)``: the levels' transform of f (log10(f − f*)
    where the map is log), clipped to ``levels.lo .. levels.hi``."""

    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray
    levels: Levels


MESH_RESOLUTION = 48
"""Samples per side of the 3-D mesh: its facets are a few pixels wide on a projector, and
the paths are lifted above them (:func:`surface3d_spec`), so a finer mesh only costs."""


def surface_mesh(surface, levels: Levels | None = None, resolution: int = MESH_RESOLUTION) -> Mesh:
    """Sample ``surface`` (``.f``, ``.bounds``, ``.f_min``, ``.log_scale``) for the 3-D view,
    coloured by ``levels`` (default: chosen from the samples, as the map does)."""
    xs, ys, zs = sample(surface.f, surface.bounds, resolution)
    if levels is None:
        f_min = surface.f_min
        levels = choose_levels(zs, log=bool(surface.log_scale and f_min is not None), f_min=f_min)
    z = np.clip(levels.transform(zs), levels.lo, levels.hi)
    return Mesh(xs, ys, z, levels)


HEIGHT_3D_MAX = 660
"""The 3-D view's most height (px): with its heading and caption it fits a 1280×720
projector's screen once scrolled to."""

TRAVELLED_CAP = 100
"""Most points of a path's travelled part in one 3-D frame (frames carry them all)."""


SCENE_TICK_FONT_MAX = 18
"""Largest tick-label font (px) in the 3-D view: a scene enlarges its tick labels more than
in proportion to the font size, so the presenter's 22 px labels grew over each other."""

SCENE_TICKS = 5
"""Most tick labels per axis of the 3-D view (the view shows a shape, not values to read)."""


def scene_ticks(style: Style) -> dict:
    """Tick settings of each 3-D axis: at most :data:`SCENE_TICKS` labels, in the chart's
    font size up to :data:`SCENE_TICK_FONT_MAX`."""
    return dict(nticks=SCENE_TICKS, tickfont=dict(size=min(style.font_size, SCENE_TICK_FONT_MAX)))


def surface3d_spec(
    surface,
    paths: Sequence[Path],
    *,
    style: Style = Style(),
    labels: Labels = Labels(),
    levels: Levels | None = None,
    resolution: int = MESH_RESOLUTION,
    animate: bool = True,
    max_frames: int = 50,
    uirevision: str = "3d",
    initial_step: int | None = None,
    mesh: Mesh | None = None,
) -> Figure:
    """The surface in 3-D (same transform as the map: log10(f − f*) where the map is log)
    with every path drawn just above it at step k.

    Traces: the surface, each whole path (faint), then ONE trace "current" holding each
    path's travelled part from step 0 to k (in its colour, NaN between paths) with a
    marker at θ_k (an ✕ at its last finite point once it has diverged, as on the map:
    :func:`diverged_by`, :class:`Travelled`). The figure shows
    ``initial_step`` (default: the last step). With ``animate``, up to ``max_frames``
    frames (:func:`frame_steps_at`: k among them, named as the map's: ``"k12"``) touch only
    that trace; the figure has no player of its own: the page shows, as the map's player
    moves, the last frame at or before the map's step (each 3-D frame is a redraw, slow
    without a GPU: fewer frames than the map's, and less to send).

    A path sits at the higher of its own height and the drawn mesh's (the mesh is a coarse
    sample whose flat facets cut above a convex valley, where they would hide the path),
    plus 2 % of the height range; at the top of the range where f is undefined (NaN at a
    finite point). Its points outside ``bounds`` are not drawn (NaN heights break the
    line): the map's axes hide them the same way, while a 3-D scene draws lines beyond
    its axes' ranges (a diverging run's line would sweep across the camera).

    ``mesh``: the sampled surface (:func:`surface_mesh`, which a caller may cache), else
    sampled here at ``resolution``. The figure is 25 % taller than the map (at most
    :data:`HEIGHT_3D_MAX`) and looks at the surface from the front; ``uirevision`` keeps a
    camera the user has turned, whatever the step."""
    bounds = surface.bounds
    if mesh is None:
        mesh = surface_mesh(surface, levels, resolution)
    xs, ys, tz, levels = mesh.xs, mesh.ys, mesh.z, mesh.levels
    span = _span(bounds)
    lift = 0.02 * (levels.hi - levels.lo)

    def lifted(p: Path, i: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            z = np.clip(levels.transform(p.values[i]), levels.lo, levels.hi)
        z = np.where(np.isnan(z), levels.hi, z)  # f undefined at a finite point: the top
        z = np.fmax(z, mesh_height(xs, ys, tz, p.points[i])) + lift
        z = np.where(inside(bounds, p.points[i]), z, np.nan)  # out of the box: not drawn
        return np.round(z, 4).astype(np.float32)

    traces: list[dict] = [
        dict(
            type="surface",
            x=xs.astype(np.float32),
            y=ys.astype(np.float32),
            z=np.round(tz, 4).astype(np.float32),
            colorscale=[[s, f"rgb{c}"] for s, c in BACKGROUND_SCALE],
            cmin=levels.lo,
            cmax=levels.hi,
            showscale=False,
            opacity=0.95,
            hoverinfo="skip",
            lighting=dict(ambient=0.85, diffuse=0.45, specular=0.05),
        )
    ]
    cap = min(display_cap(len(paths)), 800)
    idx = [display_indices(p.points, span, cap=cap) for p in paths]
    for p, i in zip(paths, idx, strict=True):
        pts = round_for_display(p.points[i], span)
        traces.append(
            dict(
                type="scatter3d",
                x=pts[:, 0],
                y=pts[:, 1],
                z=lifted(p, i),
                mode="lines",
                line=dict(color=p.color, width=style.line_width * 1.2),
                opacity=0.45,
                name=p.name,
                hoverinfo="skip",
            )
        )
    steps = max((p.steps for p in paths), default=0)
    opening = steps if initial_step is None else int(np.clip(initial_step, 0, steps))
    ks = frame_steps_at(steps, opening, max_frames) if animate and steps > 0 else [opening]
    travelled = Travelled(paths, span, lifted, style.marker_size * 0.9, [*ks, opening])
    if paths:
        traces.append(travelled.trace(opening, style))
    (x0, x1), (y0, y1) = bounds
    layout = dict(
        height=min(round(style.height * 1.25), HEIGHT_3D_MAX),
        margin=dict(l=0, r=0, t=10, b=0),
        font=dict(size=style.font_size),
        uirevision=uirevision,
        showlegend=False,
        scene=dict(
            xaxis=dict(title=dict(text="x"), range=[x0, x1], **scene_ticks(style)),
            yaxis=dict(title=dict(text="y"), range=[y0, y1], **scene_ticks(style)),
            zaxis=dict(title=dict(text=levels.title), **scene_ticks(style)),
            aspectmode="manual",
            aspectratio=dict(x=1, y=(y1 - y0) / (x1 - x0), z=0.6),
            camera=dict(eye=dict(x=0.35, y=-1.25, z=1.45)),
            uirevision=uirevision,
        ),
    )
    frames = []
    if animate and paths and steps > 0:
        frames = [
            dict(
                name=f"k{k}",
                data=[_typed_xyz(travelled.moving(int(k)))],
                traces=[len(traces) - 1],
            )
            for k in ks
        ]
    return Figure(data=traces, layout=layout, frames=frames)


CROSS_ARM = 0.03
"""Half the width of the 3-D view's ✕, as a fraction of the surface's span."""


def cross_strokes(center: np.ndarray, z: float, arm: float) -> tuple[np.ndarray, np.ndarray]:
    """An ✕ centred on ``center (2,)`` at height ``z``: two strokes of half-width ``arm``
    along the diagonals, each followed by a NaN break -> ``xy (6, 2)``, ``z (6,)``
    (float32; all NaN where ``z`` is NaN: a point not drawn gets no ✕ either)."""
    d = np.array([[-1, -1], [1, 1], [np.nan, np.nan], [-1, 1], [1, -1], [np.nan, np.nan]])
    xy = (np.asarray(center, dtype=np.float64)[None, :] + arm * d).astype(np.float32)
    zs = np.array([z, z, np.nan, z, z, np.nan], dtype=np.float32)
    return xy, zs


class Travelled:
    """The 3-D view's moving trace: each path from step 0 to step k, and θ_k marked.

    ``lifted(path, indices) -> (K,) float32`` gives the drawn heights. Each path's display
    points (at most :data:`TRAVELLED_CAP`) and their heights are computed once, and θ_k
    for every step in ``steps`` (the figure's and its frames') in one call per path; a
    step then takes the prefix before k plus θ_k itself (bisection), so a frame costs
    O(points) and no surface evaluation.

    A run that has diverged by step k (:func:`diverged_by`, the map's rule) is marked with
    an ✕ at its last finite point, as on the map, drawn as two crossing strokes of its line
    (:func:`cross_strokes`, lying on the x–y plane at the point's height) instead of its
    marker: a 3-D scene's ✕ symbol is an emoji glyph (red, or a blank box without an
    emoji font), not a mark in the run's colour."""

    def __init__(
        self, paths: Sequence[Path], span: float, lifted, marker_size: float, steps
    ) -> None:
        self.paths = list(paths)
        self.marker_size = max(round(marker_size), 1)
        self.arm = CROSS_ARM * span
        self.idx = [display_indices(p.points, span, cap=TRAVELLED_CAP) for p in paths]
        self.z = [lifted(p, i) for p, i in zip(self.paths, self.idx, strict=True)]
        self.xy = [
            round_for_display(p.points[i], span) for p, i in zip(self.paths, self.idx, strict=True)
        ]
        steps = np.unique(np.asarray(steps, dtype=np.int64))
        self.here: list[dict[int, tuple[np.ndarray, np.float32]]] = []
        for p in self.paths:
            ks = np.minimum(steps, p.last)
            xy = round_for_display(p.points[ks], span)
            z = lifted(p, ks)
            self.here.append({int(s): (xy[n], z[n]) for n, s in enumerate(steps)})
        n = len(self.paths)
        self.colorscale = [[j / max(n - 1, 1), p.color] for j, p in enumerate(self.paths)]
        if n == 1:
            self.colorscale.append([1.0, self.paths[0].color])

    def moving(self, step: int) -> dict:
        """The parts of the trace that change with ``step`` (one of ``steps``): x, y, z,
        the point colours (run index, uint8) and the marker sizes (0 but at θ_k, uint8);
        a run diverged by k ends with its ✕ strokes instead (marker size 0)."""
        xs, zs, runs, sizes = [], [], [], []
        gap = np.array([[np.nan, np.nan]], dtype=np.float32)
        dead = diverged_by([p.diverged_at for p in self.paths], step).tolist()
        for j, p in enumerate(self.paths):
            k = min(step, p.last)
            a = int(np.searchsorted(self.idx[j], k, side="left"))  # idx[:a] < k
            here_xy, here_z = self.here[j][step]
            xs += [self.xy[j][:a], here_xy[None], gap]
            zs += [self.z[j][:a], np.array([here_z, np.nan], dtype=np.float32)]
            size = np.zeros(a + 2, dtype=np.uint8)
            if dead[j]:
                cross_xy, cross_z = cross_strokes(here_xy, here_z, self.arm)
                xs.append(cross_xy)
                zs.append(cross_z)
                size = np.zeros(a + 2 + cross_z.size, dtype=np.uint8)
            else:
                size[a] = self.marker_size
            runs.append(np.full(size.size, j, dtype=np.uint8))
            sizes.append(size)
        if not xs:
            empty = np.empty(0, np.float32)
            return dict(type="scatter3d", x=empty, y=empty, z=empty)
        xy = np.concatenate(xs)
        run = np.concatenate(runs)
        return dict(
            type="scatter3d",
            x=xy[:, 0],
            y=xy[:, 1],
            z=np.concatenate(zs),
            line=dict(color=typed_array(run)),
            marker=dict(color=typed_array(run), size=typed_array(np.concatenate(sizes))),
        )

    def trace(self, step: int, style: Style) -> dict:
        """The whole moving trace at ``step`` (styles included)."""
        moving = self.moving(step)
        n = max(len(self.paths) - 1, 1)
        return dict(
            moving,
            mode="lines+markers",
            connectgaps=False,
            line=dict(
                moving["line"],
                width=style.line_width * 2.5,
                colorscale=self.colorscale,
                cmin=0,
                cmax=n,
            ),
            marker=dict(
                moving["marker"],
                colorscale=self.colorscale,
                cmin=0,
                cmax=n,
                line=dict(color="white", width=2),
                opacity=1,
            ),
            hoverinfo="skip",
            name="current",
        )


def inside(bounds: Bounds, points: np.ndarray) -> np.ndarray:
    """``points (K, 2)`` -> ``(K,)`` bool: within ``bounds`` (edges included; NaN: False)."""
    (x0, x1), (y0, y1) = bounds
    x, y = points[:, 0], points[:, 1]
    with np.errstate(invalid="ignore"):
        return (x >= x0) & (x <= x1) & (y >= y0) & (y <= y1)


def mesh_height(xs: np.ndarray, ys: np.ndarray, zs: np.ndarray, points: np.ndarray) -> np.ndarray:
    """The bilinear interpolation of a grid ``zs (ny, nx)`` over ``xs (nx,)``, ``ys (ny,)``
    (ascending, evenly spaced) at ``points (K, 2)`` -> ``(K,)``; points outside the grid take
    the nearest edge, NaN points give NaN."""
    pts = np.asarray(points, dtype=np.float64)
    nx, ny = xs.size, ys.size
    fx = (pts[:, 0] - xs[0]) / (xs[-1] - xs[0]) * (nx - 1)
    fy = (pts[:, 1] - ys[0]) / (ys[-1] - ys[0]) * (ny - 1)
    ok = np.isfinite(fx) & np.isfinite(fy)
    fx = np.clip(np.where(ok, fx, 0.0), 0, nx - 1)
    fy = np.clip(np.where(ok, fy, 0.0), 0, ny - 1)
    i = np.minimum(fx.astype(np.intp), nx - 2)
    j = np.minimum(fy.astype(np.intp), ny - 2)
    tx, ty = fx - i, fy - j
    z = (
        zs[j, i] * (1 - tx) * (1 - ty)
        + zs[j, i + 1] * tx * (1 - ty)
        + zs[j + 1, i] * (1 - tx) * ty
        + zs[j + 1, i + 1] * tx * ty
    )
    return np.where(ok, z, np.nan)


def _typed_xyz(trace: dict) -> dict:
    """``trace`` with its x, y, z arrays as typed-array specs (for animation frames)."""
    return {k: typed_array(v) if k in ("x", "y", "z") else v for k, v in trace.items()}


def loss_curve(values: np.ndarray, f_min: float | None, *, cap: int = 800):
    """``values (T+1,)`` -> ``(steps (K,), y (K,))`` for a log plot of f − f* (or f).

    With a known f_min, y = max(f − f*, 1e-16) (a log axis cannot show 0). Long curves are
    reduced to the min and max of each of ``cap // 2`` step buckets (in step order), so
    oscillations keep their envelope. NaN after divergence is dropped (the curve ends).
    """
    v = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(v)
    n = v.shape[0] if ok.all() else int(np.argmin(ok))
    with np.errstate(all="ignore"):
        y = np.maximum(v[:n] - f_min, 1e-16) if f_min is not None else v[:n]
    k = np.arange(n)
    if n > cap:
        buckets = np.array_split(np.arange(n), cap // 2)
        keep = []
        for b in buckets:
            seg = y[b]
            lo, hi = b[int(np.argmin(seg))], b[int(np.argmax(seg))]
            keep += sorted({int(lo), int(hi)})
        keep = np.unique(np.array([*keep, 0, n - 1]))
        k, y = k[keep], y[keep]
    return k, y


LEGEND_COLUMNS = 1
"""Legend entries per row on the loss chart: one, as the chart shares the page's width with
the map and a run's name ("6 · AdaDelta (η 1)") needs most of it."""

MODEBAR_PX = 28
"""Empty band above the loss chart's legend where Plotly's toolbar shows (a phone shows it
after a tap), so the toolbar never covers a run's name."""


def legend_font(style: Style) -> int:
    """The loss legend's font size: a little smaller than the axes'."""
    return style.font_size - 2


def legend_height(entries: int, style: Style) -> int:
    """Pixels the loss chart's legend takes above the plot: ``ceil(entries / LEGEND_COLUMNS)``
    rows of 1.5 times the legend's font. The figure grows by this much (and the toolbar's
    band), so the plot area is the same whether one run or eight are shown."""
    rows = -(-entries // LEGEND_COLUMNS)
    return round(rows * legend_font(style) * 1.5) + 6


def loss_spec(
    paths: Sequence[Path],
    f_min: float | None,
    *,
    style: Style = Style(),
    labels: Labels = Labels(),
    uirevision: str = "loss",
) -> Figure:
    """f − f* against the step on a log axis (f itself, linear, when f* is unknown).

    One line per path in its colour; a diverged run's curve ends at its last finite value
    with an ✕ marker. The legend sits above the plot, one run per row, outside the plot area
    (:func:`legend_height`).
    """
    log = f_min is not None
    traces = []
    decades = []
    for p in paths:
        k, y = loss_curve(p.values, f_min)
        positive = np.asarray(y, dtype=np.float64)
        positive = positive[np.isfinite(positive) & (positive > 0)]
        if log and positive.size:
            decades += [np.log10(positive.min()), np.log10(positive.max())]
        traces.append(
            dict(
                type="scatter",
                x=k.astype(np.int32),
                y=np.asarray(y, dtype=np.float64 if log else np.float32),
                mode="lines",
                line=dict(color=p.color, width=style.line_width),
                name=p.name,
                hovertemplate=f"{p.name}<br>{labels.step} %{{x}}<br>%{{y:.4g}}<extra></extra>",
            )
        )
        if p.diverged_at >= 0 and k.size:
            traces.append(
                dict(
                    type="scatter",
                    x=[int(k[-1])],
                    y=[float(y[-1])],
                    mode="markers",
                    marker=dict(
                        symbol=DIVERGED_SYMBOL, size=style.marker_size * 1.3, color=p.color
                    ),
                    name=p.name,
                    showlegend=False,
                    hoverinfo="skip",
                )
            )
    legend_px = legend_height(len(paths), style)
    layout = dict(
        height=style.side_height + legend_px + MODEBAR_PX,
        margin=dict(l=10, r=10, t=legend_px + MODEBAR_PX, b=10),
        font=dict(size=style.font_size),
        uirevision=uirevision,
        showlegend=True,
        legend=dict(
            orientation="h",
            yanchor="bottom",
            y=1.0,
            x=0,
            entrywidth=1 / LEGEND_COLUMNS,
            entrywidthmode="fraction",
            itemwidth=30,
            tracegroupgap=0,
            font=dict(size=legend_font(style)),
        ),
        plot_bgcolor="white",
        paper_bgcolor="white",
        xaxis=dict(
            title=dict(text=labels.step),
            gridcolor="#e5e5e5",
            zeroline=False,
            automargin=True,
            ticklabeloverflow=LABELS_FIT,
        ),
        yaxis=dict(
            title=dict(text=labels.loss if log else labels.loss_raw),
            type="log" if log else "linear",
            gridcolor="#e5e5e5",
            exponentformat="power",
            dtick=log_dtick(decades) if log else None,
            automargin=True,
            ticklabeloverflow=LABELS_FIT,
        ),
    )
    return Figure(data=traces, layout=layout)


def contour_figure(*args, **kwargs) -> go.Figure:
    """:func:`contour_spec` as a validated ``go.Figure`` (same arguments)."""
    return contour_spec(*args, **kwargs).to_plotly()


def surface3d_figure(*args, **kwargs) -> go.Figure:
    """:func:`surface3d_spec` as a validated ``go.Figure`` (same arguments)."""
    return surface3d_spec(*args, **kwargs).to_plotly()


def loss_figure(*args, **kwargs) -> go.Figure:
    """:func:`loss_spec` as a validated ``go.Figure`` (same arguments)."""
    return loss_spec(*args, **kwargs).to_plotly()


def log_dtick(decades: Sequence[float], most_labels: int = 6) -> int:
    """Decades between labelled ticks on a log axis spanning ``decades`` (log10 values):
    1 for a few decades, more so that at most about ``most_labels`` labels are drawn."""
    if len(decades) < 2:
        return 1
    span = max(decades) - min(decades)
    return max(1, int(np.ceil(span / most_labels)))


PLOTLY_WORDS = "plotly."
"""Prefix of the string keys that translate plotly.js's own words (its toolbar's titles)."""


def plotly_locale(lang: str) -> dict:
    """Plotly config entries that make plotly.js speak ``lang``: ``{}`` for English, else
    ``{"locale": lang, "locales": {lang: {"dictionary": {english: translated}}}}`` built
    from the ``plotly.*`` keys of :mod:`optviz.strings`."""
    if lang == "en" or lang not in strings.TABLES:
        return {}
    table = strings.TABLES[lang]
    dictionary = {
        key.removeprefix(PLOTLY_WORDS): value
        for key, value in table.items()
        if key.startswith(PLOTLY_WORDS)
    }
    return {"locale": lang, "locales": {lang: {"dictionary": dictionary}}}
