"""Quadratic family: the bowl (adjustable condition number and rotation), the saddle
x² − y², and the monkey saddle x³ − 3xy².

All functions take points ``xy`` of shape ``(..., 2)`` (array-like) and return
``(...)`` values or ``(..., 2)`` gradients, float64, broadcasting over leading axes.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from ._points import join, split
from .base import Surface
from .param import Param, check_real

# --------------------------------------------------------------------------- bowl


def bowl_hessian(condition: float, angle_deg: float, scale: float) -> tuple[float, float, float]:
    """Entries ``(h11, h12, h22)`` of H = R(θ) diag(s, s·κ) R(θ)ᵀ.

    The eigenvector of the small eigenvalue ``s`` points along ``(cos θ, sin θ)``; the
    one of ``s·κ`` along ``(−sin θ, cos θ)``.
    """
    lo, hi = scale, scale * condition
    if angle_deg == 0.0:  # exact entries for the default bowl 0.5(x² + 10y²)
        return lo, 0.0, hi
    t = math.radians(angle_deg)
    c, s = math.cos(t), math.sin(t)
    return lo * c * c + hi * s * s, (lo - hi) * c * s, lo * s * s + hi * c * c


def bowl_f(xy, h: tuple[float, float, float]) -> np.ndarray:
    """f = ½ (h11 x² + 2 h12 x y + h22 y²): ``(..., 2) -> (...)``."""
    x, y = split(xy)
    h11, h12, h22 = h
    return 0.5 * (h11 * x * x + 2.0 * h12 * x * y + h22 * y * y)


def bowl_grad(xy, h: tuple[float, float, float]) -> np.ndarray:
    """∇f = H (x, y): ``(..., 2) -> (..., 2)``."""
    x, y = split(xy)
    h11, h12, h22 = h
    return join(h11 * x + h12 * y, h12 * x + h22 * y)


def _num(v: float) -> str:
    """A number for LaTeX: ``10`` not ``10.0``, at most 4 significant digits."""
    return f"{v:.4g}"


def _coef(v: float) -> str:
    """A coefficient in front of a variable: empty for 1."""
    return "" if v == 1.0 else _num(v) + r"\,"


def bowl_tex(condition: float, angle_deg: float, scale: float) -> str:
    """LaTeX of the bowl with these parameters."""
    lo, hi = scale, scale * condition
    if angle_deg == 0.0:
        return rf"f(x, y) = \tfrac{{1}}{{2}}\left({_coef(lo)}x^2 + {_coef(hi)}y^2\right)"
    return (
        rf"f(x, y) = \tfrac{{1}}{{2}}\left({_coef(lo)}u^2 + {_coef(hi)}v^2\right),\quad "
        r"u = x\cos\theta + y\sin\theta,\ v = -x\sin\theta + y\cos\theta,\ "
        rf"\theta = {_num(angle_deg)}^\circ"
    )


BOWL_PARAMS = (
    Param("condition", 10.0, 1.0, 100.0, 1.0, "Condition number κ", "条件数 κ"),
    Param("angle_deg", 0.0, -90.0, 90.0, 5.0, "Rotation angle θ (degrees)", "回転角 θ（度）"),
)


def make_bowl(condition: float = 10.0, angle_deg: float = 0.0, scale: float = 1.0) -> Surface:
    """The quadratic bowl f = ½ vᵀ H v with Hessian eigenvalues ``(scale, scale·condition)``.

    The default is ½(x² + 10y²), the oracle's ``quadratic_bowl``. ``angle_deg`` rotates
    the valley: the flat direction (small eigenvalue) points along (cos θ, sin θ). Plain
    gradient descent diverges when lr > 2/λmax, with λmax = ``params["eigenvalues"][1]``.

    Raises:
        ValueError: ``condition`` not finite or < 1, ``angle_deg`` not finite, ``scale``
            not finite or ≤ 0.
    """
    condition = check_real("condition", condition, low=1.0)
    angle_deg = check_real("angle_deg", angle_deg)
    scale = check_real("scale", scale, low=0.0, low_inclusive=False)
    h = bowl_hessian(condition, angle_deg, scale)
    return Surface(
        name="bowl",
        f=partial(bowl_f, h=h),
        grad=partial(bowl_grad, h=h),
        bounds=((-5.0, 5.0), (-3.0, 3.0)),
        minima=((0.0, 0.0),),
        start=(-4.0, 2.0),
        f_min=0.0,
        log_scale=False,
        title_en="Quadratic bowl",
        title_ja="二次関数の谷（お椀型）",
        formula_tex=bowl_tex(condition, angle_deg, scale),
        params={
            "condition": condition,
            "angle_deg": angle_deg,
            "scale": scale,
            "eigenvalues": (scale, scale * condition),
        },
    )


# --------------------------------------------------------------------------- saddle


def saddle_f(xy) -> np.ndarray:
    """f = x² − y²: ``(..., 2) -> (...)``."""
    x, y = split(xy)
    return x * x - y * y


def saddle_grad(xy) -> np.ndarray:
    """∇f = (2x, −2y): ``(..., 2) -> (..., 2)``."""
    x, y = split(xy)
    return join(2.0 * x, -2.0 * y)


SADDLE = Surface(
    name="saddle",
    f=saddle_f,
    grad=saddle_grad,
    bounds=((-2.5, 2.5), (-2.5, 2.5)),
    minima=(),
    # Almost on the ridge y = 0: the descent first heads for the saddle point and only
    # slowly escapes along y; momentum and adaptive methods escape much sooner.
    start=(-2.0, 1e-3),
    f_min=None,
    log_scale=False,
    title_en="Saddle",
    title_ja="鞍点",
    formula_tex=r"f(x, y) = x^2 - y^2",
)


# --------------------------------------------------------------------------- monkey saddle


def monkey_saddle_f(xy) -> np.ndarray:
    """f = x³ − 3xy²: ``(..., 2) -> (...)``."""
    x, y = split(xy)
    return x * (x * x - 3.0 * y * y)


def monkey_saddle_grad(xy) -> np.ndarray:
    """∇f = (3x² − 3y², −6xy): ``(..., 2) -> (..., 2)``."""
    x, y = split(xy)
    return join(3.0 * (x * x - y * y), -6.0 * x * y)


MONKEY_SADDLE = Surface(
    name="monkey_saddle",
    f=monkey_saddle_f,
    grad=monkey_saddle_grad,
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    minima=(),
    # Slides toward the flat degenerate saddle at 0 (the gradient vanishes quadratically
    # there), stalls, then leaves down one of the three valleys.
    start=(1.5, 0.05),
    f_min=None,
    log_scale=False,
    title_en="Monkey saddle",
    title_ja="モンキーサドル（猿の鞍）",
    formula_tex=r"f(x, y) = x^3 - 3xy^2",
)
