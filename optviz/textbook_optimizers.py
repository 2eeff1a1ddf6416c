"""The optimizers of 「ゼロから作るDeep Learning」 (Saito, O'Reilly Japan) as pure functions.

The book's ``common/optimizer.py`` defines SGD, Momentum, Nesterov, AdaGrad, RMSprop and
Adam as classes with an ``update(params, grads)`` method. Each factory here takes the same
keyword arguments with the same defaults (``lr``, ``momentum``, ``decay_rate``, ``beta1``,
``beta2``) and returns the :class:`optviz.optimizers.Optimizer` that :func:`optviz.run`
takes, with ``convention="textbook"``. The state fields carry the book's names (``v``,
``h``, ``m``); ``count`` is the number of steps taken (Adam's ``iter``).

Notation in the docstrings: ``g`` is the gradient ∂L/∂W at the current W, ``t`` counts from
1; everything is element-wise. The book adds ε = 1e-7 outside the root (:data:`EPS`, not an
argument). The arithmetic follows the book's operation order, so float64 runs agree with
its code to rounding.

Validation (the book has none): ``lr`` ≥ 0, ``momentum`` and ``decay_rate`` in [0, 1],
``beta1`` and ``beta2`` in [0, 1); a refusal is a ``ValueError`` naming the argument.
``lr`` may be an array broadcasting against the starts, or a schedule from
:mod:`optviz.schedules` evaluated at the 0-based step count.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .keras_optimizers import _in_range
from .optimizers import Optimizer, _lr_function, _zeros_like

CONVENTION = "textbook"

EPS = 1e-7
"""The book's ε, added outside the square root by AdaGrad, RMSprop and Adam."""


def _lr(value):
    """``lr`` -> function of the 0-based step count (numbers must be ≥ 0)."""
    if not callable(value):
        value = _in_range("lr", value, 0.0, np.inf, open_high=True)
    return _lr_function(value)


def _momentum(value):
    return _in_range("momentum", value, 0.0, 1.0)


def _book(init, update, name: str, hyperparams: dict) -> Optimizer:
    return Optimizer(init, update, name, hyperparams, convention=CONVENTION)


# ---------------------------------------------------------------------------------------
# SGD, Momentum, Nesterov


class SGDState(NamedTuple):
    """``count`` steps taken (SGD keeps nothing else)."""

    count: int


def sgd(lr=0.01) -> Optimizer:
    """``SGD``. Update: ``W ← W − η·g``."""
    lr_at = _lr(lr)

    def init(params):
        return SGDState(0)

    def update(g, state, params):
        return -(lr_at(state.count) * g), SGDState(state.count + 1)

    return _book(init, update, "sgd", dict(lr=lr))


class MomentumState(NamedTuple):
    """``v`` the velocity (from 0)."""

    count: int
    v: np.ndarray


def momentum(lr=0.01, momentum=0.9) -> Optimizer:
    """``Momentum``. Update: ``v ← α·v − η·g``; ``W ← W + v`` (α is ``momentum``)."""
    lr_at = _lr(lr)
    alpha = _momentum(momentum)

    def init(params):
        return MomentumState(0, _zeros_like(params))

    def update(g, state, params):
        v = alpha * state.v - lr_at(state.count) * g
        return v, MomentumState(state.count + 1, v)

    return _book(init, update, "momentum", dict(lr=lr, momentum=alpha))


def nesterov(lr=0.01, momentum=0.9) -> Optimizer:
    """``Nesterov``, in the book's form (Bengio et al. 2012, arXiv:1212.0901).

    Update: ``W ← W + α²·v − (1 + α)·η·g``; then ``v ← α·v − η·g``.
    """
    lr_at = _lr(lr)
    alpha = _momentum(momentum)

    def init(params):
        return MomentumState(0, _zeros_like(params))

    def update(g, state, params):
        lr_now = lr_at(state.count)
        ahead = params + alpha * alpha * state.v
        new_params = ahead - (1 + alpha) * lr_now * g
        v = state.v * alpha - lr_now * g
        return new_params - params, MomentumState(state.count + 1, v)

    return _book(init, update, "nesterov", dict(lr=lr, momentum=alpha))


# ---------------------------------------------------------------------------------------
# AdaGrad, RMSprop


class AccumulatorState(NamedTuple):
    """``h`` the sum (AdaGrad) or moving average (RMSprop) of g² (from 0)."""

    count: int
    h: np.ndarray


def adagrad(lr=0.01) -> Optimizer:
    """``AdaGrad``. Update: ``h ← h + g⊙g``; ``W ← W − η·g / (√h + 1e-7)``."""
    lr_at = _lr(lr)

    def init(params):
        return AccumulatorState(0, _zeros_like(params))

    def update(g, state, params):
        h = state.h + g * g
        step = -(lr_at(state.count) * g / (np.sqrt(h) + EPS))
        return step, AccumulatorState(state.count + 1, h)

    return _book(init, update, "adagrad", dict(lr=lr))


def rmsprop(lr=0.01, decay_rate=0.99) -> Optimizer:
    """``RMSprop``. Update: ``h ← ρ·h + (1 − ρ)·g⊙g`` (ρ is ``decay_rate``);
    ``W ← W − η·g / (√h + 1e-7)``."""
    lr_at = _lr(lr)
    rho = _in_range("decay_rate", decay_rate, 0.0, 1.0)

    def init(params):
        return AccumulatorState(0, _zeros_like(params))

    def update(g, state, params):
        h = state.h * rho + (1 - rho) * g * g
        step = -(lr_at(state.count) * g / (np.sqrt(h) + EPS))
        return step, AccumulatorState(state.count + 1, h)

    return _book(init, update, "rmsprop", dict(lr=lr, decay_rate=rho))


# ---------------------------------------------------------------------------------------
# Adam


class AdamState(NamedTuple):
    """``m`` and ``v``, the moving averages of g and g² (from 0); ``count`` is ``iter``."""

    count: int
    m: np.ndarray
    v: np.ndarray


def adam(lr=0.001, beta1=0.9, beta2=0.999) -> Optimizer:
    """``Adam``, with the bias correction folded into the learning rate.

    Update: ``η_t = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)``; ``m ← m + (1 − β₁)(g − m)``;
    ``v ← v + (1 − β₂)(g⊙g − v)``; ``W ← W − η_t·m / (√v + 1e-7)``.
    """
    lr_at = _lr(lr)
    beta1 = _in_range("beta1", beta1, 0.0, 1.0, open_high=True)
    beta2 = _in_range("beta2", beta2, 0.0, 1.0, open_high=True)

    def init(params):
        zeros = _zeros_like(params)
        return AdamState(0, zeros, zeros)

    def update(g, state, params):
        t = state.count + 1
        lr_t = lr_at(state.count) * np.sqrt(1.0 - beta2**t) / (1.0 - beta1**t)
        m = state.m + (1 - beta1) * (g - state.m)
        v = state.v + (1 - beta2) * (g**2 - state.v)
        step = -(lr_t * m / (np.sqrt(v) + EPS))
        return step, AdamState(t, m, v)

    return _book(init, update, "adam", dict(lr=lr, beta1=beta1, beta2=beta2))


TEXTBOOK = {
    "sgd": sgd,
    "momentum": momentum,
    "nesterov": nesterov,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adam": adam,
}
"""Registry key -> factory. Keyword names and defaults are those of the book's classes."""
