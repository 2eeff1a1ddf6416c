"""Export renderers: a figure as standalone HTML, PNG or SVG (kaleido with the system
Chromium) and the descent as an animated GIF (Pillow).

Pure: figures, surfaces and :class:`optviz.exports.ExportRun` records in, ``str`` or
``bytes`` out, nothing written to disk.
"""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..exports import ExportRun

DEFAULT_CHROMIUM = "/usr/bin/chromium"


# ---------------------------------------------------------------------------------------
# figures


def figure_html(fig) -> str:
    """A standalone interactive HTML page of a Plotly figure (plotly.js inline, frames kept)."""
    return fig.to_html(full_html=True, include_plotlyjs=True, auto_play=False)


def chromium_path() -> str | None:
    """The browser kaleido should use: ``BROWSER_PATH``, else ``/usr/bin/chromium``, else
    ``chromium`` on PATH; None if none exists. Never downloads one."""
    for candidate in (
        os.environ.get("BROWSER_PATH"),
        DEFAULT_CHROMIUM,
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def figure_image(fig, fmt: str = "png", scale: float = 2, *, width=None, height=None) -> bytes:
    """PNG or SVG bytes of a Plotly figure, rendered by kaleido with the system Chromium.

    Raises:
        ValueError: ``fmt`` is not "png" or "svg".
        RuntimeError: no Chromium found or kaleido missing (message suitable for the page).
    """
    if fmt not in ("png", "svg"):
        raise ValueError(f"fmt must be 'png' or 'svg', got {fmt!r}")
    path = chromium_path()
    if path is None:
        raise RuntimeError(
            "Image export needs Chromium, which is not installed here "
            "(Debian: apt-get install chromium; or set BROWSER_PATH). "
            "画像の書き出しには Chromium が必要ですが、見つかりません。"
        )
    try:
        import kaleido
    except ImportError as error:
        message = "Image export needs the kaleido package (pip install kaleido)."
        raise RuntimeError(message) from error
    opts = {"format": fmt, "scale": scale}
    if width is not None:
        opts["width"] = width
    if height is not None:
        opts["height"] = height
    try:
        return kaleido.calc_fig_sync(fig, opts=opts, kopts={"path": path})
    except Exception as error:  # browser failed to start or render: show, don't crash
        raise RuntimeError(f"Image export failed: {error}") from error


# ---------------------------------------------------------------------------------------
# GIF

_COLORMAP = np.array(  # viridis at 9 stops
    [
        [68, 1, 84],
        [72, 40, 120],
        [62, 74, 137],
        [49, 104, 142],
        [38, 130, 142],
        [31, 158, 137],
        [53, 183, 121],
        [109, 205, 89],
        [180, 222, 44],
        [253, 231, 37],
    ],
    dtype=float,
)


def _colorize(levels: np.ndarray) -> np.ndarray:
    """``(ny, nx)`` values in [0, 1] (NaN allowed) -> ``(ny, nx, 3)`` uint8 RGB."""
    pos = np.nan_to_num(levels, nan=1.0) * (len(_COLORMAP) - 1)
    lo = np.clip(np.floor(pos).astype(int), 0, len(_COLORMAP) - 2)
    frac = (pos - lo)[..., None]
    rgb = _COLORMAP[lo] * (1 - frac) + _COLORMAP[lo + 1] * frac
    return rgb.astype(np.uint8)


def _background(surface, size: tuple[int, int], bands: int = 14) -> np.ndarray:
    """Filled-contour image ``(h, w, 3)`` uint8 of the surface over its bounds, y up.

    Values are log-scaled (``log(f − f_min + 1e-3·spread)``) when ``surface.log_scale``,
    clipped to the 2nd–98th percentiles, cut into ``bands`` bands; band edges are
    darkened so they read as contour lines.
    """
    width, height = size
    (x0, x1), (y0, y1) = surface.bounds
    xs = np.linspace(x0, x1, width)
    ys = np.linspace(y1, y0, height)  # first row is the top of the image
    xy = np.stack(np.meshgrid(xs, ys), axis=-1)
    with np.errstate(all="ignore"):
        zs = np.asarray(surface.f(xy), dtype=float)
    zs = np.where(np.isfinite(zs), zs, np.nan)
    finite = zs[np.isfinite(zs)]
    if finite.size == 0:
        return np.zeros((height, width, 3), dtype=np.uint8)
    if getattr(surface, "log_scale", False):
        low = float(finite.min()) if surface.f_min is None else float(surface.f_min)
        spread = float(np.ptp(finite)) or 1.0
        with np.errstate(all="ignore"):
            zs = np.log(np.maximum(zs - low, 0.0) + 1e-3 * spread)
        finite = zs[np.isfinite(zs)]
    lo, hi = np.percentile(finite, [2, 98])
    levels = np.clip((zs - lo) / ((hi - lo) or 1.0), 0.0, 1.0)
    band = np.floor(levels * bands)
    image = _colorize((band + 0.5) / (bands + 1))
    edge = np.zeros(band.shape, dtype=bool)
    edge[:, 1:] |= band[:, 1:] != band[:, :-1]
    edge[1:, :] |= band[1:, :] != band[:-1, :]
    image[edge] = (image[edge] * 0.6).astype(np.uint8)
    return image


def _to_pixels(points: np.ndarray, bounds, size) -> np.ndarray:
    """``(..., 2)`` plot coordinates -> pixel coordinates (y down)."""
    (x0, x1), (y0, y1) = bounds
    width, height = size
    px = (points[..., 0] - x0) / (x1 - x0) * (width - 1)
    py = (y1 - points[..., 1]) / (y1 - y0) * (height - 1)
    return np.stack((px, py), axis=-1)


def _frame_steps(n_steps: int, frames: int) -> np.ndarray:
    """The step shown on each frame: 0 … T spread evenly over ``frames`` frames."""
    return np.round(np.linspace(0, n_steps, frames)).astype(int)


def _palette(base, colors: Sequence[str]):
    """One shared 256-colour palette image for all frames (background + run colours).

    Quantizing every frame against it is ~10× faster than Pillow's per-frame adaptive
    palette and keeps colours stable between frames.
    """
    from PIL import Image, ImageColor

    swatches = [ImageColor.getrgb(c)[:3] for c in (*colors, "white", "black")]
    strip = Image.new("RGB", (base.width, 8 * len(swatches)))
    for row, rgb in enumerate(swatches):
        strip.paste(rgb, (0, 8 * row, base.width, 8 * row + 8))
    sample = Image.new("RGB", (base.width, base.height + strip.height))
    sample.paste(base, (0, 0))
    sample.paste(strip, (0, base.height))
    return sample.quantize(colors=256 - len(swatches), dither=Image.Dither.NONE)


def descent_gif(
    surface, runs: Sequence[ExportRun], *, frames: int = 60, size=(640, 480), fps: float = 12
) -> bytes:
    """An animated GIF of the descent (drawn with Pillow; no browser).

    Each of the ``frames`` frames shows the filled contours of ``surface`` over its
    bounds, every run's path up to the frame's step (a polyline ending in a marker; a
    hollow circle at the start), a legend, the step counter and a progress bar, so no two
    frames are identical. Loops forever; ``fps`` frames per second.
    """
    from PIL import Image, ImageDraw, ImageFont

    if frames < 1:
        raise ValueError(f"frames must be ≥ 1, got {frames}")
    width, height = (int(v) for v in size)
    base = Image.fromarray(_background(surface, (width, height)), "RGB")
    font = ImageFont.load_default()
    n_steps = max((run.trajectory.points.shape[0] - 1 for run in runs), default=0)
    pixels = [_to_pixels(run.trajectory.points, surface.bounds, (width, height)) for run in runs]
    palette = _palette(base, [run.color for run in runs])
    images = []
    for index, step in enumerate(_frame_steps(n_steps, frames)):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        for run, px in zip(runs, pixels, strict=True):
            upto = min(step, px.shape[0] - 1)
            for path in range(px.shape[1]):
                line = px[: upto + 1, path]
                line = line[np.all(np.isfinite(line), axis=-1)]
                if len(line) == 0:
                    continue
                sx, sy = line[0]
                draw.ellipse((sx - 5, sy - 5, sx + 5, sy + 5), outline="white", width=2)
                if len(line) > 1:
                    draw.line([tuple(p) for p in line], fill=run.color, width=3)
                ex, ey = line[-1]
                draw.ellipse((ex - 5, ey - 5, ex + 5, ey + 5), fill=run.color, outline="white")
        for row, run in enumerate(runs):
            y = 8 + 16 * row
            draw.rectangle((8, y + 2, 20, y + 12), fill=run.color, outline="white")
            draw.text((26, y), run.label, fill="white", font=font)
        draw.text((width - 130, 8), f"step {step} / {n_steps}", fill="white", font=font)
        bar = round((index + 1) / frames * (width - 1))
        draw.rectangle((0, height - 4, bar, height - 1), fill="white")
        images.append(image.quantize(palette=palette, dither=Image.Dither.NONE))
    out = io.BytesIO()
    images[0].save(
        out,
        format="GIF",
        save_all=True,
        append_images=images[1:],
        duration=round(1000 / fps),
        loop=0,
    )
    return out.getvalue()
