"""Linear regression as a loss surface over the parameters (w, b).

Data: ``n`` points xᵢ ~ U(x_center − 2, x_center + 2), yᵢ = true_w·xᵢ + true_b + εᵢ,
εᵢ ~ N(0, noise²), drawn from ``np.random.default_rng(seed)``. The surface is the
mean-squared error

    L(w, b) = (1/n) Σᵢ (w xᵢ + b − yᵢ)²,

a quadratic whose minimizer is the least-squares fit (w*, b*). With x_center ≠ 0 the
valley is tilted and elongated (Hessian 2·[[mean x², mean x], [mean x, 1]]); with
centred data it is nearly round — the classic argument for centring features.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from ._points import join, split
from .base import DataTerms, Surface
from .param import Param, check_int, check_real

X_HALF_WIDTH = 2.0  # xᵢ are uniform on [x_center − 2, x_center + 2]


def make_data(
    n: int, noise: float, seed: int, true_w: float, true_b: float, x_center: float
) -> tuple[np.ndarray, np.ndarray]:
    """The seeded data set: ``x (n,)``, ``y (n,)`` float64 (x drawn first, then noise)."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(x_center - X_HALF_WIDTH, x_center + X_HALF_WIDTH, size=n)
    y = true_w * x + true_b + noise * rng.standard_normal(n)
    return x, y


def least_squares(x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """Least-squares line through the data: ``(w*, b*, residual MSE)`` via lstsq."""
    design = np.stack((x, np.ones_like(x)), axis=-1)
    (w, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    mse = float(np.mean((w * x + b - y) ** 2))
    return float(w), float(b), mse


def mse_direct(wb, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """L(w, b) straight from the data: ``(..., 2) -> (...)`` (memory ``(..., n)``)."""
    w, b = split(wb)
    r = w[..., None] * x + b[..., None] - y
    return np.mean(r * r, axis=-1)


def regression_f(wb, moments: tuple[float, float], opt: tuple[float, float, float]):
    """L(w, b) = L* + mean(x²) dw² + 2 mean(x) dw db + db², with (dw, db) = (w − w*, b − b*).

    This is the exact expansion of (1/n) Σ (w xᵢ + b − yᵢ)² about the least-squares point
    (the linear term vanishes there): O(1) per point and exact at the minimum.
    ``(..., 2) -> (...)``.
    """
    w, b = split(wb)
    mxx, mx = moments
    w_star, b_star, l_star = opt
    dw = w - w_star
    db = b - b_star
    return l_star + (mxx * dw * dw + 2.0 * mx * dw * db + db * db)


def regression_grad(wb, moments: tuple[float, float], opt: tuple[float, float, float]):
    """∇L = 2 (mean(x²) dw + mean(x) db, mean(x) dw + db): ``(..., 2) -> (..., 2)``."""
    w, b = split(wb)
    mxx, mx = moments
    w_star, b_star, _ = opt
    dw = w - w_star
    db = b - b_star
    return join(2.0 * (mxx * dw + mx * db), 2.0 * (mx * dw + db))


def batch_grad(wb, idx, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """∇ of the mean over the points ``idx`` only, (1/b) Σ_{i∈idx} (w xᵢ + b − yᵢ)²:
    2 · mean over idx of rᵢ·(xᵢ, 1) with rᵢ = w xᵢ + b − yᵢ.
    ``(..., 2), (b,) int -> (..., 2)`` (memory ``(..., b)``)."""
    w, b = split(wb)
    xb, yb = x[idx], y[idx]
    r = w[..., None] * xb + b[..., None] - yb
    return join(2.0 * np.mean(r * xb, axis=-1), 2.0 * np.mean(r, axis=-1))


def _window(a: float, b: float, pad: float) -> tuple[float, float]:
    """Integer-aligned interval containing ``a`` and ``b`` with at least ``pad`` margin."""
    return float(math.floor(min(a, b) - pad)), float(math.ceil(max(a, b) + pad))


LINEAR_REGRESSION_PARAMS = (
    Param("n", 30, 2, 200, 1, "Number of data points n", "データ点の数 n", kind="int"),
    Param("noise", 0.5, 0.0, 3.0, 0.1, "Noise level σ", "ノイズの大きさ σ"),
    Param("seed", 0, 0, 999, 1, "Random seed", "乱数シード", kind="int"),
    Param("true_w", 2.0, -5.0, 5.0, 0.1, "True slope w", "真の傾き w"),
    Param("true_b", -1.0, -5.0, 5.0, 0.1, "True intercept b", "真の切片 b"),
    Param("x_center", 2.0, -4.0, 4.0, 0.5, "Centre of the x data", "x データの中心"),
)


def make_linear_regression(
    n: int = 30,
    noise: float = 0.5,
    seed: int = 0,
    true_w: float = 2.0,
    true_b: float = -1.0,
    x_center: float = 2.0,
) -> Surface:
    """MSE of the line y = w·x + b on a small seeded data set, as a surface over (w, b).

    ``minima`` is the least-squares solution (np.linalg.lstsq) and ``f_min`` the residual
    MSE there. ``params`` holds the arguments, the data ``"x"``, ``"y"`` (tuples of
    floats), ``"solution"`` = (w*, b*), the Hessian ``"eigenvalues"`` (λmin, λmax) and
    the axis names ``"axes"`` = ("w", "b").
    The default start is the textbook initialisation w = b = 0. ``data`` serves
    mini-batch gradients: ``data.grad(wb, idx)`` is :func:`batch_grad` on the points
    ``idx`` (``optviz.descent.run(..., batch_size=...)``).

    Raises:
        ValueError: ``n`` < 2 or not an integer, ``noise`` < 0 or not finite, ``seed``
            not an integer ≥ 0, ``true_w``/``true_b``/``x_center`` not finite.
    """
    n = check_int("n", n, low=2)
    noise = check_real("noise", noise, low=0.0)
    seed = check_int("seed", seed, low=0)
    true_w = check_real("true_w", true_w)
    true_b = check_real("true_b", true_b)
    x_center = check_real("x_center", x_center)

    x, y = make_data(n, noise, seed, true_w, true_b, x_center)
    w_star, b_star, l_star = least_squares(x, y)
    moments = (float(np.mean(x * x)), float(np.mean(x)))
    opt = (w_star, b_star, l_star)
    eig = np.linalg.eigvalsh(2.0 * np.array([[moments[0], moments[1]], [moments[1], 1.0]]))
    start = (0.0, 0.0)
    return Surface(
        name="linear_regression",
        f=partial(regression_f, moments=moments, opt=opt),
        grad=partial(regression_grad, moments=moments, opt=opt),
        bounds=(_window(start[0], w_star, 1.5), _window(start[1], b_star, 4.0)),
        minima=((w_star, b_star),),
        start=start,
        f_min=l_star,
        log_scale=False,
        title_en="Linear regression (mean squared error)",
        title_ja="線形回帰の平均二乗誤差",
        formula_tex=r"L(w, b) = \frac{1}{n}\sum_{i=1}^{n}\left(w x_i + b - y_i\right)^2",
        data=DataTerms(n, partial(batch_grad, x=x, y=y)),
        params={
            "n": n,
            "noise": noise,
            "seed": seed,
            "true_w": true_w,
            "true_b": true_b,
            "x_center": x_center,
            "x": tuple(float(v) for v in x),
            "y": tuple(float(v) for v in y),
            "solution": (w_star, b_star),
            "eigenvalues": (float(eig[0]), float(eig[1])),
            "axes": ("w", "b"),
        },
    )
