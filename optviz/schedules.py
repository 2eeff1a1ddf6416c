"""Learning-rate schedules: closed forms of `torch.optim.lr_scheduler` classes.

A schedule is a frozen dataclass and a callable: ``schedule(k)`` is the learning rate
that optimizer step ``k + 1`` uses, i.e. ``scheduler.get_last_lr()`` after ``k`` calls of
``scheduler.step()`` (one call per optimizer step, the usual PyTorch loop). ``k`` may be an
int or an integer array. The base ``lr`` may be a float or an array that broadcasts
against a batch of starts (e.g. shape ``(N, 1)``).

Closed forms (torch class in brackets), lr used by step k+1:

* ``constant``: lr (no scheduler)
* ``step_lr`` [StepLR]: lr · γ^⌊k / step_size⌋
* ``exponential_lr`` [ExponentialLR]: lr · γ^k
* ``cosine_annealing_lr`` [CosineAnnealingLR]: η_min + (lr − η_min)(1 + cos(π k / T_max)) / 2
* ``linear_warmup`` [LinearLR, end_factor 1]: lr · (s + (1 − s) · min(k, W) / W)
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from types import MappingProxyType
from typing import NamedTuple

import numpy as np


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not float(value).is_integer() or int(value) < 1:
        raise ValueError(f"Invalid {name}: {value} (a whole number ≥ 1)")
    return int(value)


def check_lr(lr):
    """``lr`` itself if it is ≥ 0 everywhere (NaN is not); ValueError naming it otherwise."""
    arr = np.asarray(lr, dtype=np.float64)
    if not np.all(arr >= 0.0):
        raise ValueError(f"Invalid learning rate: {lr}")
    return lr


class _Schedule:
    """What every schedule shares: ``lr`` checked on construction (then the schedule's own
    ``_check``), and ``to_dict`` = ``{"kind": kind, **fields}`` (:func:`from_dict` inverts it)."""

    kind = ""

    def __post_init__(self):
        check_lr(self.lr)
        self._check()

    def _check(self) -> None:
        """Validate (and normalise) the schedule's own parameters; ValueError naming one."""

    def _whole(self, name: str) -> None:
        object.__setattr__(self, name, _check_positive_int(name, getattr(self, name)))

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}


def _check_gamma(gamma) -> None:
    if not (math.isfinite(gamma) and gamma > 0):
        raise ValueError(f"Invalid gamma: {gamma} (a finite number > 0)")


@dataclass(frozen=True)
class Constant(_Schedule):
    """A fixed learning rate: ``lr`` at every step."""

    lr: float
    kind = "constant"

    def __call__(self, k):
        return self.lr


@dataclass(frozen=True)
class StepLR(_Schedule):
    """``torch.optim.lr_scheduler.StepLR``: ``lr * gamma ** (k // step_size)``."""

    lr: float
    step_size: int
    gamma: float = 0.1
    kind = "step"

    def _check(self) -> None:
        self._whole("step_size")
        _check_gamma(self.gamma)

    def __call__(self, k):
        return self.lr * self.gamma ** (np.asarray(k) // self.step_size)


@dataclass(frozen=True)
class ExponentialLR(_Schedule):
    """``torch.optim.lr_scheduler.ExponentialLR``: ``lr * gamma ** k``."""

    lr: float
    gamma: float
    kind = "exponential"

    def _check(self) -> None:
        _check_gamma(self.gamma)

    def __call__(self, k):
        return self.lr * self.gamma ** np.asarray(k, dtype=np.float64)


@dataclass(frozen=True)
class CosineAnnealingLR(_Schedule):
    """``torch.optim.lr_scheduler.CosineAnnealingLR`` (closed form, no restarts).

    ``eta_min + (lr - eta_min) * (1 + cos(pi * k / T_max)) / 2``.
    """

    lr: float
    T_max: int
    eta_min: float = 0.0
    kind = "cosine"

    def _check(self) -> None:
        self._whole("T_max")
        if not (math.isfinite(self.eta_min) and self.eta_min >= 0):
            raise ValueError(f"Invalid eta_min: {self.eta_min} (a finite number ≥ 0)")

    def __call__(self, k):
        phase = np.cos(np.pi * np.asarray(k, dtype=np.float64) / self.T_max)
        return self.eta_min + (self.lr - self.eta_min) * (1 + phase) / 2


@dataclass(frozen=True)
class LinearWarmup(_Schedule):
    """``torch.optim.lr_scheduler.LinearLR(start_factor, end_factor=1, total_iters=W)``.

    ``lr * (start_factor + (1 - start_factor) * min(k, W) / W)``.
    """

    lr: float
    warmup_steps: int = 5
    start_factor: float = 1.0 / 3.0
    kind = "warmup"

    def _check(self) -> None:
        self._whole("warmup_steps")
        if not (0.0 < self.start_factor <= 1.0):
            raise ValueError(f"Invalid start_factor: {self.start_factor} (in (0, 1])")

    def __call__(self, k):
        done = np.minimum(np.asarray(k, dtype=np.float64), self.warmup_steps)
        return self.lr * (self.start_factor + (1.0 - self.start_factor) * done / self.warmup_steps)


def constant(lr) -> Constant:
    """A fixed learning rate."""
    return Constant(lr)


def step_lr(lr, step_size: int, gamma: float = 0.1) -> StepLR:
    """Multiply the learning rate by ``gamma`` every ``step_size`` steps (StepLR)."""
    return StepLR(lr, step_size, gamma)


def exponential_lr(lr, gamma: float) -> ExponentialLR:
    """Multiply the learning rate by ``gamma`` every step (ExponentialLR)."""
    return ExponentialLR(lr, gamma)


def cosine_annealing_lr(lr, T_max: int, eta_min: float = 0.0) -> CosineAnnealingLR:
    """Cosine annealing from ``lr`` to ``eta_min`` over ``T_max`` steps (CosineAnnealingLR)."""
    return CosineAnnealingLR(lr, T_max, eta_min)


def linear_warmup(lr, warmup_steps: int = 5, start_factor: float = 1.0 / 3.0) -> LinearWarmup:
    """Linear warm-up from ``start_factor * lr`` to ``lr`` over ``warmup_steps`` (LinearLR)."""
    return LinearWarmup(lr, warmup_steps, start_factor)


SCHEDULES = MappingProxyType(
    {
        "constant": constant,
        "step": step_lr,
        "exponential": exponential_lr,
        "cosine": cosine_annealing_lr,
        "warmup": linear_warmup,
    }
)
"""Schedule kind -> factory taking the base ``lr`` first, then the schedule's parameters."""


class ScheduleParam(NamedTuple):
    """One parameter of a schedule: its keyword, the value to start from, ``"int"``/``"float"``."""

    name: str
    default: float
    kind: str


STARTING_VALUES: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "step": MappingProxyType({"step_size": 100}),
        "exponential": MappingProxyType({"gamma": 0.99}),
        "cosine": MappingProxyType({"T_max": 300}),
    }
)
"""Values to start from for the parameters torch requires (it has no default for them):
a step decay every 100 steps, 1 % decay per step, one cosine over 300 steps."""


def _schedule_params(kind: str) -> tuple[ScheduleParam, ...]:
    """The parameters of ``SCHEDULES[kind]`` after ``lr``, from its signature: the
    factory's default (torch's) where it has one, else :data:`STARTING_VALUES`."""
    params = list(inspect.signature(SCHEDULES[kind]).parameters.values())[1:]
    return tuple(
        ScheduleParam(
            p.name,
            STARTING_VALUES[kind][p.name] if p.default is inspect.Parameter.empty else p.default,
            "int" if p.annotation in ("int", int) else "float",
        )
        for p in params
    )


SCHEDULE_PARAMS: Mapping[str, tuple[ScheduleParam, ...]] = MappingProxyType(
    {kind: _schedule_params(kind) for kind in SCHEDULES}
)
"""Schedule kind -> its parameters in the factory's order (the page's inputs and link
names): ``step`` -> ``(step_size 100 int, gamma 0.1 float)``, ``warmup`` ->
``(warmup_steps 5 int, start_factor 1/3 float)`` (torch's defaults), ..."""


def from_dict(spec: dict):
    """Rebuild a schedule from ``Schedule.to_dict()`` output; ValueError on bad input."""
    spec = dict(spec)
    kind = spec.pop("kind", None)
    if kind not in SCHEDULES:
        raise ValueError(f"Unknown schedule kind: {kind!r}")
    try:
        return SCHEDULES[kind](**spec)
    except TypeError as error:  # missing or unknown parameter names
        raise ValueError(f"Bad parameters for the {kind} schedule: {error}") from None
