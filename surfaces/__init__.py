"""The loss-surface catalog.

``SURFACES`` maps a key to a ready `Surface` (parameterized families at their
defaults); ``SURFACE_PARAMS`` maps the key of each parameterized family to
``(factory, params)`` where ``params`` is a tuple of `Param` specs for its keywords, so
``factory(**{p.name: value})`` rebuilds the surface with new settings.
"""

from .base import Surface, grid
from .classic import (
    BEALE,
    BOOTH,
    GOLDSTEIN_PRICE,
    HIMMELBLAU,
    ROSENBROCK,
    SIX_HUMP_CAMEL,
    STYBLINSKI_TANG,
)
from .expression import FormulaError, from_expression
from .multimodal import ACKLEY, RASTRIGIN
from .param import Param
from .quadratic import BOWL_PARAMS, MONKEY_SADDLE, SADDLE, make_bowl
from .regression import LINEAR_REGRESSION_PARAMS, make_linear_regression

SURFACES: dict[str, Surface] = {
    s.name: s
    for s in (
        make_bowl(),
        ROSENBROCK,
        SADDLE,
        HIMMELBLAU,
        BEALE,
        BOOTH,
        RASTRIGIN,
        ACKLEY,
        STYBLINSKI_TANG,
        SIX_HUMP_CAMEL,
        GOLDSTEIN_PRICE,
        MONKEY_SADDLE,
        make_linear_regression(),
    )
}

SURFACE_PARAMS: dict[str, tuple] = {
    "bowl": (make_bowl, BOWL_PARAMS),
    "linear_regression": (make_linear_regression, LINEAR_REGRESSION_PARAMS),
}

__all__ = [
    "SURFACES",
    "SURFACE_PARAMS",
    "FormulaError",
    "Param",
    "Surface",
    "from_expression",
    "grid",
    "make_bowl",
    "make_linear_regression",
]
