"""Classic smooth optimization test functions: Rosenbrock, Himmelblau, Beale, Booth,
six-hump camel, Goldstein–Price and Styblinski–Tang (2-D).

Every ``*_f`` maps points ``(..., 2)`` (array-like) to values ``(...)`` and every
``*_grad`` to analytic gradients ``(..., 2)``, float64, broadcasting over leading axes.
Minimizers are given to float64 precision; tests check that the gradient vanishes there
and that no grid point is lower.
"""

from __future__ import annotations

import numpy as np

from ._points import join, split
from .base import Surface

# --------------------------------------------------------------------------- Rosenbrock


def rosenbrock_f(xy) -> np.ndarray:
    """f = (1 − x)² + 100 (y − x²)²."""
    x, y = split(xy)
    return (1.0 - x) ** 2 + 100.0 * (y - x * x) ** 2


def rosenbrock_grad(xy) -> np.ndarray:
    """∇f = (−2(1 − x) − 400 x (y − x²), 200 (y − x²))."""
    x, y = split(xy)
    r = y - x * x
    return join(-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r)


ROSENBROCK = Surface(
    name="rosenbrock",
    f=rosenbrock_f,
    grad=rosenbrock_grad,
    bounds=((-2.0, 2.0), (-1.0, 3.0)),
    minima=((1.0, 1.0),),
    start=(-1.5, 2.0),
    f_min=0.0,
    log_scale=True,
    title_en="Rosenbrock function",
    title_ja="ローゼンブロック関数",
    formula_tex=r"f(x, y) = (1 - x)^2 + 100\,(y - x^2)^2",
)

# --------------------------------------------------------------------------- Himmelblau


def himmelblau_f(xy) -> np.ndarray:
    """f = (x² + y − 11)² + (x + y² − 7)²."""
    x, y = split(xy)
    return (x * x + y - 11.0) ** 2 + (x + y * y - 7.0) ** 2


def himmelblau_grad(xy) -> np.ndarray:
    """∇f = (4x u + 2v, 2u + 4y v) with u = x² + y − 11, v = x + y² − 7."""
    x, y = split(xy)
    u = x * x + y - 11.0
    v = x + y * y - 7.0
    return join(4.0 * x * u + 2.0 * v, 2.0 * u + 4.0 * y * v)


HIMMELBLAU = Surface(
    name="himmelblau",
    f=himmelblau_f,
    grad=himmelblau_grad,
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    minima=(
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.283185991286170),
        (3.584428340330492, -1.848126526964404),
    ),
    # Between basins: SGD and momentum end in (3.584, −1.848), Adam and RMSprop in (3, 2).
    start=(0.0, -1.0),
    f_min=0.0,
    log_scale=True,
    title_en="Himmelblau's function",
    title_ja="ヒンメルブラウ関数",
    formula_tex=r"f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
)

# --------------------------------------------------------------------------- Beale


def beale_f(xy) -> np.ndarray:
    """f = (1.5 − x + xy)² + (2.25 − x + xy²)² + (2.625 − x + xy³)²."""
    x, y = split(xy)
    y2 = y * y
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y2) ** 2 + (2.625 - x + x * y2 * y) ** 2


def beale_grad(xy) -> np.ndarray:
    """∇f = Σ 2 tᵢ ∇tᵢ with tᵢ = cᵢ − x + x yⁱ, ∇tᵢ = (yⁱ − 1, i x yⁱ⁻¹)."""
    x, y = split(xy)
    y2 = y * y
    y3 = y2 * y
    t1 = 1.5 - x + x * y
    t2 = 2.25 - x + x * y2
    t3 = 2.625 - x + x * y3
    gx = 2.0 * (t1 * (y - 1.0) + t2 * (y2 - 1.0) + t3 * (y3 - 1.0))
    gy = 2.0 * x * (t1 + 2.0 * y * t2 + 3.0 * y2 * t3)
    return join(gx, gy)


BEALE = Surface(
    name="beale",
    f=beale_f,
    grad=beale_grad,
    bounds=((-4.5, 4.5), (-4.5, 4.5)),
    minima=((3.0, 0.5),),
    start=(1.0, 1.5),
    f_min=0.0,
    log_scale=True,
    title_en="Beale function",
    title_ja="ビール関数",
    formula_tex=(r"f(x, y) = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2"),
)

# --------------------------------------------------------------------------- Booth


def booth_f(xy) -> np.ndarray:
    """f = (x + 2y − 7)² + (2x + y − 5)²."""
    x, y = split(xy)
    return (x + 2.0 * y - 7.0) ** 2 + (2.0 * x + y - 5.0) ** 2


def booth_grad(xy) -> np.ndarray:
    """∇f = (2a + 4b, 4a + 2b) with a = x + 2y − 7, b = 2x + y − 5."""
    x, y = split(xy)
    a = x + 2.0 * y - 7.0
    b = 2.0 * x + y - 5.0
    return join(2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b)


BOOTH = Surface(
    name="booth",
    f=booth_f,
    grad=booth_grad,
    bounds=((-10.0, 10.0), (-10.0, 10.0)),
    minima=((1.0, 3.0),),
    # Mostly along the flat diagonal (Hessian eigenvalues 2 and 18, 45° rotated valley).
    start=(-8.0, 8.0),
    f_min=0.0,
    log_scale=False,
    title_en="Booth function",
    title_ja="ブース関数",
    formula_tex=r"f(x, y) = (x + 2y - 7)^2 + (2x + y - 5)^2",
)

# --------------------------------------------------------------------------- six-hump camel


def six_hump_camel_f(xy) -> np.ndarray:
    """f = (4 − 2.1x² + x⁴/3) x² + xy + (−4 + 4y²) y²."""
    x, y = split(xy)
    x2 = x * x
    y2 = y * y
    return (4.0 - 2.1 * x2 + x2 * x2 / 3.0) * x2 + x * y + (-4.0 + 4.0 * y2) * y2


def six_hump_camel_grad(xy) -> np.ndarray:
    """∇f = (8x − 8.4x³ + 2x⁵ + y, x − 8y + 16y³)."""
    x, y = split(xy)
    x2 = x * x
    return join(x * (8.0 - 8.4 * x2 + 2.0 * x2 * x2) + y, x - 8.0 * y + 16.0 * y * y * y)


SIX_HUMP_CAMEL = Surface(
    name="six_hump_camel",
    f=six_hump_camel_f,
    grad=six_hump_camel_grad,
    bounds=((-2.0, 2.0), (-1.0, 1.0)),
    minima=(
        (0.08984201310031806, -0.7126564030207396),
        (-0.08984201310031806, 0.7126564030207396),
    ),
    # In the basin of the local minimum (−1.607, −0.569) with f = 2.104.
    start=(-1.5, -0.8),
    f_min=-1.0316284534898774,
    log_scale=False,
    title_en="Six-hump camel function",
    title_ja="シックスハンプ・キャメル関数",
    formula_tex=(r"f(x, y) = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)\,y^2"),
)

# --------------------------------------------------------------------------- Goldstein–Price


def _gp_parts(x, y):
    """Goldstein–Price factors A, B and their partial derivatives.

    A = 1 + a² p, a = x + y + 1, p = 19 − 14x + 3x² − 14y + 6xy + 3y²;
    B = 30 + b² q, b = 2x − 3y, q = 18 − 32x + 12x² + 48y − 36xy + 27y².
    """
    a = x + y + 1.0
    p = 19.0 - 14.0 * x + 3.0 * x * x - 14.0 * y + 6.0 * x * y + 3.0 * y * y
    b = 2.0 * x - 3.0 * y
    q = 18.0 - 32.0 * x + 12.0 * x * x + 48.0 * y - 36.0 * x * y + 27.0 * y * y
    a2 = a * a
    b2 = b * b
    big_a = 1.0 + a2 * p
    big_b = 30.0 + b2 * q
    # ∂p/∂x = ∂p/∂y = −14 + 6x + 6y and ∂a/∂x = ∂a/∂y = 1, so ∂A/∂x = ∂A/∂y.
    da = 2.0 * a * p + a2 * (-14.0 + 6.0 * x + 6.0 * y)
    db_dx = 4.0 * b * q + b2 * (-32.0 + 24.0 * x - 36.0 * y)
    db_dy = -6.0 * b * q + b2 * (48.0 - 36.0 * x + 54.0 * y)
    return big_a, big_b, da, db_dx, db_dy


def goldstein_price_f(xy) -> np.ndarray:
    """f = [1 + (x+y+1)² (19 − 14x + 3x² − 14y + 6xy + 3y²)]
    · [30 + (2x − 3y)² (18 − 32x + 12x² + 48y − 36xy + 27y²)]."""
    x, y = split(xy)
    big_a, big_b, *_ = _gp_parts(x, y)
    return big_a * big_b


def goldstein_price_grad(xy) -> np.ndarray:
    """∇f = ∇A · B + A · ∇B (product rule on the two factors)."""
    x, y = split(xy)
    big_a, big_b, da, db_dx, db_dy = _gp_parts(x, y)
    return join(da * big_b + big_a * db_dx, da * big_b + big_a * db_dy)


GOLDSTEIN_PRICE = Surface(
    name="goldstein_price",
    f=goldstein_price_f,
    grad=goldstein_price_grad,
    bounds=((-2.0, 2.0), (-2.0, 2.0)),
    minima=((0.0, -1.0),),
    # Adam at lr 0.05 settles in the local minimum (−0.6, −0.4) with f = 30; at lr 0.2 it
    # reaches the global one. Plain SGD diverges here at any lr ≳ 1e-3 (f spans 3..1e6).
    start=(0.5, 0.5),
    f_min=3.0,
    log_scale=True,
    title_en="Goldstein–Price function",
    title_ja="ゴールドスタイン・プライス関数",
    formula_tex=(
        r"f(x, y) = \left[1 + (x + y + 1)^2 (19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
        r"\left[30 + (2x - 3y)^2 (18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]"
    ),
)

# --------------------------------------------------------------------------- Styblinski–Tang

_ST_X = -2.903534027771177  # root of 4x³ − 32x + 5 = 0 with the smaller value


def styblinski_tang_f(xy) -> np.ndarray:
    """f = ½ Σᵢ (xᵢ⁴ − 16xᵢ² + 5xᵢ) over the two coordinates."""
    x, y = split(xy)
    x2 = x * x
    y2 = y * y
    return 0.5 * ((x2 * x2 - 16.0 * x2 + 5.0 * x) + (y2 * y2 - 16.0 * y2 + 5.0 * y))


def styblinski_tang_grad(xy) -> np.ndarray:
    """∇f = ½ (4xᵢ³ − 32xᵢ + 5) per coordinate."""
    x, y = split(xy)
    return join(0.5 * (4.0 * x**3 - 32.0 * x + 5.0), 0.5 * (4.0 * y**3 - 32.0 * y + 5.0))


STYBLINSKI_TANG = Surface(
    name="styblinski_tang",
    f=styblinski_tang_f,
    grad=styblinski_tang_grad,
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    minima=((_ST_X, _ST_X),),
    # In the basin of the local minimum (2.7468, 2.7468): plain descent gets stuck there.
    start=(4.5, 0.2),
    f_min=-78.33233140754284,
    log_scale=False,
    title_en="Styblinski–Tang function",
    title_ja="スティブリンスキー・タン関数",
    formula_tex=r"f(x, y) = \tfrac{1}{2}\sum_{i=1}^{2}\left(x_i^4 - 16x_i^2 + 5x_i\right)",
)
