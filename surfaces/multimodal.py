"""Highly multimodal test functions: Rastrigin and Ackley (2-D).

``*_f``: points ``(..., 2)`` (array-like) -> values ``(...)``; ``*_grad`` -> analytic
gradients ``(..., 2)``; float64, broadcasting over leading axes.
"""

from __future__ import annotations

import math

import numpy as np

from ._points import join, split
from .base import Surface

_TAU = 2.0 * math.pi

# --------------------------------------------------------------------------- Rastrigin


def rastrigin_f(xy) -> np.ndarray:
    """f = 20 + Σᵢ (xᵢ² − 10 cos 2πxᵢ)."""
    x, y = split(xy)
    return 20.0 + (x * x - 10.0 * np.cos(_TAU * x)) + (y * y - 10.0 * np.cos(_TAU * y))


def rastrigin_grad(xy) -> np.ndarray:
    """∇f = (2xᵢ + 20π sin 2πxᵢ)ᵢ."""
    x, y = split(xy)
    k = 10.0 * _TAU
    return join(2.0 * x + k * np.sin(_TAU * x), 2.0 * y + k * np.sin(_TAU * y))


RASTRIGIN = Surface(
    name="rastrigin",
    f=rastrigin_f,
    grad=rastrigin_grad,
    bounds=((-5.12, 5.12), (-5.12, 5.12)),
    minima=((0.0, 0.0),),
    start=(-4.2, 3.6),
    f_min=0.0,
    log_scale=False,
    title_en="Rastrigin function",
    title_ja="ラストリギン関数",
    formula_tex=r"f(x, y) = 20 + \sum_{x_i \in \{x, y\}}\left(x_i^2 - 10\cos 2\pi x_i\right)",
)

# --------------------------------------------------------------------------- Ackley


def ackley_f(xy) -> np.ndarray:
    """f = −20 exp(−0.2 √(½(x² + y²))) − exp(½(cos 2πx + cos 2πy)) + e + 20.

    f(0, 0) is 4.4e-16 in floating point (the exact value is 0).
    """
    x, y = split(xy)
    rho = np.hypot(x, y) * math.sqrt(0.5)
    return (
        -20.0 * np.exp(-0.2 * rho)
        - np.exp(0.5 * (np.cos(_TAU * x) + np.cos(_TAU * y)))
        + math.e
        + 20.0
    )


def ackley_grad(xy) -> np.ndarray:
    """∇f = 2 (x, y) exp(−0.2ρ)/ρ + π (sin 2πx, sin 2πy) exp(½(cos 2πx + cos 2πy)),
    with ρ = √(½(x² + y²)).

    f is not differentiable at the origin; there the first term is taken as 0, so the
    gradient is finite everywhere.
    """
    x, y = split(xy)
    r = np.hypot(x, y)
    positive = r > 0.0
    safe = np.where(positive, r, 1.0)
    # 2x·exp(−0.2ρ)/ρ = 2√2·exp(−0.2ρ)·(x/r): the unit vector (x, y)/r cannot overflow,
    # even for subnormal r.
    radial = 2.0 * math.sqrt(2.0) * np.exp(-0.2 * math.sqrt(0.5) * r)
    ux = np.where(positive, x / safe, 0.0)
    uy = np.where(positive, y / safe, 0.0)
    wave = math.pi * np.exp(0.5 * (np.cos(_TAU * x) + np.cos(_TAU * y)))
    return join(radial * ux + wave * np.sin(_TAU * x), radial * uy + wave * np.sin(_TAU * y))


ACKLEY = Surface(
    name="ackley",
    f=ackley_f,
    grad=ackley_grad,
    bounds=((-5.0, 5.0), (-5.0, 5.0)),
    minima=((0.0, 0.0),),
    start=(3.3, -2.8),
    f_min=0.0,
    log_scale=False,
    title_en="Ackley function",
    title_ja="アックレー関数",
    formula_tex=(
        r"f(x, y) = -20\exp\!\left(-0.2\sqrt{\tfrac{1}{2}(x^2 + y^2)}\right)"
        r" - \exp\!\left(\tfrac{1}{2}(\cos 2\pi x + \cos 2\pi y)\right) + e + 20"
    ),
)
