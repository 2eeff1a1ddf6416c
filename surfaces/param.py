"""Parameter specs for the parameterized surface families, and their validation.

A `Param` describes one keyword of a factory (``make_bowl(condition=...)``) so that a
page can generate a control for it; the factories themselves validate every value with
`check_real` / `check_int` and raise ``ValueError`` naming the parameter and the value.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass


@dataclass(frozen=True)
class Param:
    """One keyword parameter of a surface factory, as a UI control would show it.

    Attributes:
        name: the factory's keyword (``"condition"``).
        default: the factory's default value.
        low, high: the range a control offers (the factory may accept more).
        step: the control's step.
        label_en, label_ja: display labels.
        kind: ``"float"`` or ``"int"``.
    """

    name: str
    default: float
    low: float
    high: float
    step: float
    label_en: str
    label_ja: str
    kind: str = "float"

    def __post_init__(self) -> None:
        if self.kind not in ("float", "int"):
            raise ValueError(
                f"Param {self.name!r}: kind must be 'float' or 'int', got {self.kind!r}"
            )
        if not self.low <= self.default <= self.high:
            raise ValueError(
                f"Param {self.name!r}: default {self.default!r} "
                f"outside [{self.low!r}, {self.high!r}]"
            )
        if not self.step > 0:
            raise ValueError(f"Param {self.name!r}: step must be > 0, got {self.step!r}")


def check_real(name: str, value, *, low: float = -math.inf, low_inclusive: bool = True) -> float:
    """Return ``value`` as a finite float, or raise ``ValueError`` naming ``name``.

    ``low`` is an optional lower bound (``value >= low``, or ``> low`` when
    ``low_inclusive`` is false).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if v < low or (v == low and not low_inclusive):
        op = ">=" if low_inclusive else ">"
        raise ValueError(f"{name} must be {op} {low:g}, got {value!r}")
    return v


def check_int(name: str, value, *, low: int | None = None) -> int:
    """Return ``value`` as an int (integral floats allowed), or raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be an integer, got {value!r}")
    if not math.isfinite(float(value)) or int(value) != value:
        raise ValueError(f"{name} must be an integer, got {value!r}")
    v = int(value)
    if low is not None and v < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return v
