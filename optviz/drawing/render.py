"""Export renderers: a figure as standalone HTML, PNG or SVG (kaleido with the system
Chromium) and the descent as an animated GIF (Pillow).

Pure: figures in, ``str`` or ``bytes`` out, nothing written to disk. The PNG/SVG and the
GIF draw the same figure (:func:`optviz.drawing.figures.handout_spec`): the map's bands,
colours and legend, so a handout looks like the page.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .figures import Figure, legend_entries

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
# GIF: the handout figure drawn frame by frame with Pillow (no browser)

FONT_FILES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc",
    "C:/Windows/Fonts/YuGothR.ttc",
)
"""Fonts with Latin, Greek and Japanese glyphs, tried in order (the first of each file is
its Japanese face); Debian's fonts-noto-cjk installs the first."""


def font_file() -> str | None:
    """The first of :data:`FONT_FILES` on this machine, else what fontconfig matches for
    Noto Sans CJK JP; None if neither exists."""
    for candidate in FONT_FILES:
        if Path(candidate).is_file():
            return candidate
    fc_match = shutil.which("fc-match")
    if fc_match:
        try:
            found = subprocess.run(
                [fc_match, "-f", "%{file}", "Noto Sans CJK JP:lang=ja"],
                capture_output=True,
                text=True,
                timeout=5,
                check=False,
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            found = ""
        if found and Path(found).is_file():
            return found
    return None


def _font(size: int):
    from PIL import ImageFont

    path = font_file()
    if path is not None:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


@dataclass(frozen=True)
class _Drawn:
    """A line of the figure in pixels: ``xy (K, 2)`` at steps ``steps (K,)``."""

    name: str
    color: str
    xy: np.ndarray
    steps: np.ndarray
    diverged: bool


def _array(value) -> np.ndarray:
    """A trace's coordinate array as float64 (typed-array specs decoded)."""
    if isinstance(value, dict) and "bdata" in value:
        raw = base64.b64decode(value["bdata"])
        return np.frombuffer(raw, dtype=np.dtype(value["dtype"])).astype(np.float64)
    return np.asarray(value, dtype=np.float64)


def _background_image(fig: Figure):
    """The figure's background bands (its ``layout.images[0]`` PNG) as a Pillow image."""
    from PIL import Image

    source = fig.layout["images"][0]["source"]
    png = base64.b64decode(source.split(",", 1)[1])
    return Image.open(io.BytesIO(png)).convert("RGB")


def _plot_size(fig: Figure, width: int, height: int | None = None) -> tuple[int, int]:
    """The largest plot area ``(w, h)`` px with the axes' equal scale inside ``width`` by
    ``height`` (by default: as tall as wide at most)."""
    (x0, x1), (y0, y1) = fig.layout["xaxis"]["range"], fig.layout["yaxis"]["range"]
    ratio = (y1 - y0) / (x1 - x0)
    height = max(width if height is None else height, 1)
    w = min(width, height / ratio)
    return max(round(w), 1), max(round(w * ratio), 1)


def _to_pixels(points: np.ndarray, fig: Figure, size: tuple[int, int]) -> np.ndarray:
    """``(K, 2)`` plot coordinates -> pixel coordinates in the plot area (y down)."""
    (x0, x1), (y0, y1) = fig.layout["xaxis"]["range"], fig.layout["yaxis"]["range"]
    width, height = size
    px = (points[:, 0] - x0) / (x1 - x0) * width
    py = (y1 - points[:, 1]) / (y1 - y0) * height
    return np.stack((px, py), axis=-1)


def _drawn_paths(fig: Figure, size) -> list[_Drawn]:
    """The figure's run lines (the traces its legend names) in pixels, with the steps of
    their points and whether the run diverged (its marker on the map is an ✕)."""
    current = next((t for t in fig.data if t.get("name") == "current"), None)
    symbols = list(current["marker"]["symbol"]) if current is not None else []
    runs = [t for t in fig.data if t.get("showlegend") and "customdata" in t]
    out = []
    for i, t in enumerate(runs):
        xy = np.stack((_array(t["x"]), _array(t["y"])), axis=-1)
        steps = _array(t["customdata"]).astype(np.int64)
        diverged = i < len(symbols) and symbols[i] == "x"
        pixels = _to_pixels(xy, fig, size)
        out.append(_Drawn(t["name"], t["line"]["color"], pixels, steps, diverged))
    return out


def _markers(fig: Figure, symbol: str, size) -> np.ndarray:
    """Pixel positions ``(M, 2)`` of the figure's markers of ``symbol`` (starts, minima)."""
    points = [
        np.stack((_array(t["x"]), _array(t["y"])), axis=-1)
        for t in fig.data
        if t.get("mode") == "markers" and t.get("marker", {}).get("symbol") == symbol
    ]
    if not points:
        return np.empty((0, 2))
    return _to_pixels(np.concatenate(points), fig, size)


def _star(x: float, y: float, radius: float) -> list[tuple[float, float]]:
    """Corners of a five-pointed star around ``(x, y)``, one point up (the minima's mark)."""
    angles = -np.pi / 2 + np.arange(10) * np.pi / 5
    radii = np.where(np.arange(10) % 2 == 0, radius, 0.45 * radius)
    return list(zip(x + radii * np.cos(angles), y + radii * np.sin(angles), strict=True))


def _legend_rows(draw, entries, font, width: int, pad: int) -> list[list[tuple[str, str, int]]]:
    """Legend entries ``(name, colour)`` packed into rows that fit ``width`` px:
    ``[[(name, colour, x), ...], ...]``."""
    swatch = 2 * font.size
    rows: list[list[tuple[str, str, int]]] = [[]]
    x = pad
    for name, color in entries:
        w = swatch + 6 + round(draw.textlength(name, font=font)) + 2 * pad
        if rows[-1] and x + w > width:
            rows.append([])
            x = pad
        rows[-1].append((name, color, x))
        x += w
    return rows


def _frame_steps(n_steps: int, frames: int) -> np.ndarray:
    """The step shown on each frame: 0 … T spread evenly over ``frames`` frames."""
    return np.round(np.linspace(0, n_steps, frames)).astype(int)


def _palette(base, colors: Sequence[str]):
    """One shared 256-colour palette image for all frames (background + run colours).

    Quantizing every frame against it is ~10× faster than Pillow's per-frame adaptive
    palette and keeps colours stable between frames.
    """
    from PIL import Image, ImageColor

    swatches = [ImageColor.getrgb(c)[:3] for c in (*colors, "white", "black", "#333333")]
    strip = Image.new("RGB", (base.width, 8 * len(swatches)))
    for row, rgb in enumerate(swatches):
        strip.paste(rgb, (0, 8 * row, base.width, 8 * row + 8))
    sample = Image.new("RGB", (base.width, base.height + strip.height))
    sample.paste(base, (0, 0))
    sample.paste(strip, (0, base.height))
    return sample.quantize(colors=256 - len(swatches), dither=Image.Dither.NONE)


def descent_gif(
    fig: Figure,
    *,
    steps: int,
    step_label: str = "step",
    frames: int = 60,
    size: tuple[int, int] | None = None,
    fps: float = 12,
) -> bytes:
    """An animated GIF of the descent, drawn from the handout figure
    (:func:`optviz.drawing.figures.handout_spec`) with Pillow; no browser.

    Every frame shows the figure's own background bands (the map's levels and colours),
    its minima and start markers, each run's line up to the frame's step ending in a
    marker (an ✕ once the run has diverged), the legend naming the runs in their colours
    above the plot and "``step_label`` k / ``steps``" with a progress bar below it, so no
    two frames are identical. Text is set in :func:`font_file` (Japanese and Greek
    glyphs), at a size that stays readable on a printed page. ``size`` is the image's
    ``(width, height)`` in px (default 800 wide, as tall as the plot needs); the plot
    keeps the axes' equal scale inside it. Loops forever at ``fps``.
    """
    from PIL import Image, ImageDraw

    if frames < 1:
        raise ValueError(f"frames must be ≥ 1, got {frames}")
    width = int(size[0]) if size else 800
    font = _font(max(10, round(width / 40)))
    pad = round(font.size / 2)
    line = max(2, round(width / 260))
    dot = 2 * line + 2
    probe = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    rows = _legend_rows(probe, legend_entries(fig), font, width, pad)
    row_h = round(font.size * 1.5)
    top = pad + row_h * len(rows) + pad
    bottom = row_h + 2 * pad
    plot = _plot_size(fig, width - 20, int(size[1]) - top - bottom if size else None)
    height = int(size[1]) if size else top + plot[1] + bottom
    runs = _drawn_paths(fig, plot)
    canvas = Image.new("RGB", (width, height), "white")
    left = (width - plot[0]) // 2
    canvas.paste(_background_image(fig).resize(plot, Image.Resampling.NEAREST), (left, top))
    draw = ImageDraw.Draw(canvas)
    draw.rectangle((left - 1, top - 1, left + plot[0], top + plot[1]), outline="#333333")
    for r, row in enumerate(rows):
        y = pad + r * row_h + row_h // 2
        for name, color, x in row:
            draw.line((x, y, x + 2 * font.size, y), fill=color, width=line + 2)
            draw.text((x + 2 * font.size + 6, y), name, fill="black", font=font, anchor="lm")
    offset = np.array([left, top])
    for x, y in _markers(fig, "star", plot) + offset:
        draw.polygon(_star(x, y, 2.2 * dot), fill="#FFD700", outline="#333333")
    for x, y in _markers(fig, "circle-open", plot) + offset:
        draw.ellipse((x - 2 * dot, y - 2 * dot, x + 2 * dot, y + 2 * dot), outline="black", width=2)
    base = canvas
    palette = _palette(base, [r.color for r in runs])
    images = []
    for index, step in enumerate(_frame_steps(steps, frames)):
        image = base.copy()
        draw = ImageDraw.Draw(image)
        for run in runs:
            shown = run.xy[run.steps <= step] + offset
            if len(shown) == 0:
                continue
            if len(shown) > 1:
                draw.line([tuple(p) for p in shown], fill=run.color, width=line, joint="curve")
            ex, ey = shown[-1]
            if run.diverged and step > run.steps[-1]:
                d = 1.5 * dot
                draw.line((ex - d, ey - d, ex + d, ey + d), fill=run.color, width=line + 1)
                draw.line((ex - d, ey + d, ex + d, ey - d), fill=run.color, width=line + 1)
            else:
                box = (ex - dot, ey - dot, ex + dot, ey + dot)
                draw.ellipse(box, fill=run.color, outline="white", width=2)
        y = height - bottom + pad + row_h // 2
        text = f"{step_label} {step} / {steps}"
        draw.text((left, y), text, fill="black", font=font, anchor="lm")
        bar_left = left + round(draw.textlength(text, font=font)) + 2 * pad
        bar_right = left + plot[0]
        draw.rectangle((bar_left, y - line, bar_right, y + line), outline="#333333")
        done = bar_left + round((index + 1) / frames * (bar_right - bar_left))
        draw.rectangle((bar_left, y - line, done, y + line), fill="#333333")
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
