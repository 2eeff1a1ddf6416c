"""The `Surface` record shared by every loss surface, and the contour-grid helper.

Shapes: points are `(..., 2)` with the coordinate axis last;
`f(xy)` is `(...)`; `grad(xy)` is `(..., 2)`; both broadcast over leading axes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

Bounds = tuple[tuple[float, float], tuple[float, float]]
Point = tuple[float, float]


@dataclass(frozen=True)
class DataTerms:
    """A loss that is a mean over ``n`` data points, L = (1/n) Σᵢ ℓᵢ, seen term by term.

    Attributes:
        n: the number of data points.
        grad: ``grad(xy, idx)`` is the gradient of the mean over the points ``idx`` only,
            ``(1/b) Σ_{i ∈ idx} ∇ℓᵢ``: ``(..., 2), (b,) int -> (..., 2)``, float64.
    """

    n: int
    grad: Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Surface:
    """A 2-D loss surface f(x, y) with its analytic gradient.

    Attributes:
        name: registry key (``"rosenbrock"``) or ``"formula"`` for typed formulas.
        f: vectorized value, ``(..., 2) -> (...)``, float64.
        grad: vectorized analytic gradient, ``(..., 2) -> (..., 2)``, float64.
        bounds: plot window ``((xmin, xmax), (ymin, ymax))``.
        minima: exact global (and notable local) minimizers, global ones first.
        start: a default start point that shows the surface's character.
        f_min: the global minimum value, or ``None`` when there is none (saddles).
        log_scale: contours read better on ``log(f - f_min)`` levels.
        title_en, title_ja: display names.
        formula_tex: the definition as LaTeX, for the page.
        params: the parameters this instance was built with (e.g. the bowl's condition).
        data: for a loss that is a mean over data points, its :class:`DataTerms` (so a
            run can take mini-batch gradients); None otherwise.
    """

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    grad: Callable[[np.ndarray], np.ndarray]
    bounds: Bounds
    minima: tuple[Point, ...] = ()
    start: Point = (0.0, 0.0)
    f_min: float | None = None
    log_scale: bool = False
    title_en: str = ""
    title_ja: str = ""
    formula_tex: str = ""
    params: dict = field(default_factory=dict, compare=False)
    data: DataTerms | None = field(default=None, compare=False)


def grid(surface: Surface, n: int = 150, bounds: Bounds | None = None):
    """Sample ``surface.f`` on an ``n x n`` grid over ``bounds`` (default: the surface's).

    Returns ``xs (n,)``, ``ys (n,)`` and ``zs (n, n)`` with ``zs[j, i] = f(xs[i], ys[j])``,
    the ``z[y][x]`` layout Plotly expects. Non-finite values are kept as NaN.
    """
    (x0, x1), (y0, y1) = bounds if bounds is not None else surface.bounds
    xs = np.linspace(x0, x1, n)
    ys = np.linspace(y0, y1, n)
    xy = np.stack(np.meshgrid(xs, ys), axis=-1)
    with np.errstate(all="ignore"):
        zs = np.asarray(surface.f(xy), dtype=np.float64)
    zs = np.where(np.isfinite(zs), zs, np.nan)
    return xs, ys, zs
