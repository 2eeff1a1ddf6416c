"""Keras 3's optimizers as pure functions: ``keras.optimizers.*`` with their names and defaults.

Each factory takes the keyword arguments of the Keras 3 class with the same names and
defaults (``learning_rate``, ``beta_1``, ``epsilon``, ``weight_decay``, ...) and returns the
:class:`optviz.optimizers.Optimizer` that :func:`optviz.run` takes, with
``convention="keras"``, ``name`` the registry key and ``hyperparams`` the resolved keywords.
The state fields carry the names of Keras's optimizer variables (``momentum``, ``velocity``,
``accumulator``, ...).

Notation in the docstrings: ``g`` is the gradient at θ_{t−1}, ``t`` counts from 1, ``η`` is
``learning_rate``; everything is element-wise. The arithmetic follows each class's
``update_step`` operation by operation, so float64 runs agree with Keras 3
(``keras.config.set_floatx("float64")``) to rounding.

Weight decay is Keras's for every optimizer: when ``weight_decay`` is not None the
parameters are first decayed, ``θ ← θ − θ·wd·η`` (decoupled, before the update, which
still uses the gradient at the undecayed θ). Only AdamW has one by default (0.004).

Validation: Keras's own checks (SGD's ``momentum`` in [0, 1]; Lion's ``beta_1`` in (0, 1];
AdamW's ``weight_decay`` not None) with Keras's wording, plus the checks Keras leaves out
so a typo cannot send a path to NaN silently: ``learning_rate`` ≥ 0, ``beta_1``/``beta_2``
in [0, 1) (Lion's ``beta_2`` in [0, 1]), ``rho`` in [0, 1], ``epsilon``,
``weight_decay``, ``initial_accumulator_value`` and RMSprop's ``momentum`` ≥ 0. Every
refusal is a ``ValueError`` naming the argument. Numbers may be ints (Keras insists on
floats) or arrays broadcasting against the starts, as for the PyTorch registry.
``learning_rate`` may also be a schedule from :mod:`optviz.schedules`, evaluated at the
0-based step count as Keras evaluates a ``LearningRateSchedule`` at ``iterations``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .optimizers import Optimizer, _lr_function, _zeros_like

CONVENTION = "keras"


# ---------------------------------------------------------------------------------------
# validation


def _number(name: str, value):
    """A float (Python number) or float64 array; ValueError naming ``name`` otherwise."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a number. Received: {name}={value!r}") from None


def _in_range(name: str, value, low: float, high: float, *, open_low=False, open_high=False):
    """``value`` (number or array) if every entry lies in the interval; ValueError otherwise.

    The interval is written as Keras writes it, e.g. ``[0, 1)``, or ``≥ 0`` without an
    upper end; NaN is outside.
    """
    value = _number(name, value)
    arr = np.asarray(value)
    above = arr > low if open_low else arr >= low
    below = arr < high if open_high else arr <= high
    if not bool(np.all(above & below)):
        if high == np.inf:
            rule = f"be {'>' if open_low else '≥'} {low:g}"
        else:
            left, right = "(" if open_low else "[", ")" if open_high else "]"
            rule = f"be in {left}{low:g}, {high:g}{right}"
        raise ValueError(f"`{name}` must {rule}. Received: {name}={value}")
    return value


def _nonneg(name: str, value):
    return _in_range(name, value, 0.0, np.inf, open_high=True)


def _learning_rate(value):
    """``learning_rate`` -> function of the 0-based step count (numbers must be ≥ 0)."""
    if not callable(value):
        value = _nonneg("learning_rate", value)
    return _lr_function(value)


def _weight_decay(value):
    """None (no decay) or a number ≥ 0."""
    return None if value is None else _nonneg("weight_decay", value)


def _decayed(params, lr, weight_decay):
    """Keras's ``_apply_weight_decay``: ``θ − θ·wd·η`` (θ itself without weight decay)."""
    if weight_decay is None:
        return params
    return params - params * weight_decay * lr


def _keras(init, update, name: str, hyperparams: dict) -> Optimizer:
    return Optimizer(init, update, name, hyperparams, convention=CONVENTION)


# ---------------------------------------------------------------------------------------
# SGD


class SGDState(NamedTuple):
    """``count`` steps taken; ``momentum`` the velocity v (from 0)."""

    count: int
    momentum: np.ndarray


def sgd(learning_rate=0.01, momentum=0.0, nesterov=False, weight_decay=None) -> Optimizer:
    """``keras.optimizers.SGD``.

    Update: ``v ← μ·v − η·g``; ``θ ← θ + μ·v − η·g`` if nesterov else ``θ ← θ + v``
    (with μ = 0 both are ``θ ← θ − η·g``).
    """
    lr_at = _learning_rate(learning_rate)
    momentum = _in_range("momentum", momentum, 0.0, 1.0)
    nesterov = bool(nesterov)
    weight_decay = _weight_decay(weight_decay)

    def init(params):
        return SGDState(0, _zeros_like(params))

    def update(g, state, params):
        lr = lr_at(state.count)
        decayed = _decayed(params, lr, weight_decay)
        v = state.momentum * momentum - g * lr
        new_params = decayed + (v * momentum - g * lr if nesterov else v)
        return new_params - params, SGDState(state.count + 1, v)

    hyper = dict(
        learning_rate=learning_rate,
        momentum=momentum,
        nesterov=nesterov,
        weight_decay=weight_decay,
    )
    return _keras(init, update, "sgd", hyper)


# ---------------------------------------------------------------------------------------
# Adagrad


class AdagradState(NamedTuple):
    """``accumulator`` s, the sum of squared gradients (from ``initial_accumulator_value``)."""

    count: int
    accumulator: np.ndarray


def adagrad(
    learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, weight_decay=None
) -> Optimizer:
    """``keras.optimizers.Adagrad``.

    Update: ``s ← s + g²``; ``θ ← θ − η·g / √(s + ε)`` (ε inside the root).
    """
    lr_at = _learning_rate(learning_rate)
    initial = _nonneg("initial_accumulator_value", initial_accumulator_value)
    epsilon = _nonneg("epsilon", epsilon)
    weight_decay = _weight_decay(weight_decay)

    def init(params):
        return AdagradState(0, np.zeros(np.shape(params)) + initial)

    def update(g, state, params):
        lr = lr_at(state.count)
        decayed = _decayed(params, lr, weight_decay)
        accumulator = state.accumulator + g * g
        new_params = decayed - (lr * g) / np.sqrt(accumulator + epsilon)
        return new_params - params, AdagradState(state.count + 1, accumulator)

    hyper = dict(
        learning_rate=learning_rate,
        initial_accumulator_value=initial,
        epsilon=epsilon,
        weight_decay=weight_decay,
    )
    return _keras(init, update, "adagrad", hyper)


# ---------------------------------------------------------------------------------------
# RMSprop


class RMSpropState(NamedTuple):
    """``velocity`` v (of g²), ``momentum`` b and ``average_gradient`` ḡ (centered), from 0."""

    count: int
    velocity: np.ndarray
    momentum: np.ndarray
    average_gradient: np.ndarray


def rmsprop(
    learning_rate=0.001,
    rho=0.9,
    momentum=0.0,
    epsilon=1e-7,
    centered=False,
    weight_decay=None,
) -> Optimizer:
    """``keras.optimizers.RMSprop``.

    Update: ``v ← ρ·v + (1 − ρ)·g²``; centered: ``ḡ ← ρ·ḡ + (1 − ρ)·g``,
    ``d = v − ḡ² + ε``, else ``d = v + ε`` (ε inside the root); ``Δ = η·g / √d``;
    with momentum μ: ``b ← μ·b + Δ``, ``θ ← θ − b``; else ``θ ← θ − Δ``.
    """
    lr_at = _learning_rate(learning_rate)
    rho = _in_range("rho", rho, 0.0, 1.0)
    momentum = _nonneg("momentum", momentum)
    epsilon = _nonneg("epsilon", epsilon)
    centered = bool(centered)
    weight_decay = _weight_decay(weight_decay)

    def init(params):
        zeros = _zeros_like(params)
        return RMSpropState(0, zeros, zeros, zeros)

    def update(g, state, params):
        lr = lr_at(state.count)
        decayed = _decayed(params, lr, weight_decay)
        velocity = rho * state.velocity + (1 - rho) * (g * g)
        average = state.average_gradient
        if centered:
            average = rho * average + (1 - rho) * g
            denominator = velocity - average * average + epsilon
        else:
            denominator = velocity + epsilon
        increment = (lr * g) / np.sqrt(denominator)
        buffer = momentum * state.momentum + increment
        new_params = decayed - buffer
        return new_params - params, RMSpropState(state.count + 1, velocity, buffer, average)

    hyper = dict(
        learning_rate=learning_rate,
        rho=rho,
        momentum=momentum,
        epsilon=epsilon,
        centered=centered,
        weight_decay=weight_decay,
    )
    return _keras(init, update, "rmsprop", hyper)


# ---------------------------------------------------------------------------------------
# Adadelta


class AdadeltaState(NamedTuple):
    """``accumulated_grad`` E[g²] and ``accumulated_delta_var`` E[Δ²], from 0."""

    count: int
    accumulated_grad: np.ndarray
    accumulated_delta_var: np.ndarray


def adadelta(learning_rate=0.001, rho=0.95, epsilon=1e-7, weight_decay=None) -> Optimizer:
    """``keras.optimizers.Adadelta``.

    Update: ``E[g²] ← ρ·E[g²] + (1 − ρ)·g²``; ``Δ = −√(E[Δ²] + ε)·g / √(E[g²] + ε)``;
    ``E[Δ²] ← ρ·E[Δ²] + (1 − ρ)·Δ²``; ``θ ← θ + η·Δ``.
    """
    lr_at = _learning_rate(learning_rate)
    rho = _in_range("rho", rho, 0.0, 1.0)
    epsilon = _nonneg("epsilon", epsilon)
    weight_decay = _weight_decay(weight_decay)

    def init(params):
        zeros = _zeros_like(params)
        return AdadeltaState(0, zeros, zeros)

    def update(g, state, params):
        lr = lr_at(state.count)
        decayed = _decayed(params, lr, weight_decay)
        grads = rho * state.accumulated_grad + (1 - rho) * (g * g)
        delta = -(np.sqrt(state.accumulated_delta_var + epsilon) * g) / np.sqrt(grads + epsilon)
        deltas = rho * state.accumulated_delta_var + (1 - rho) * (delta * delta)
        new_params = decayed + lr * delta
        return new_params - params, AdadeltaState(state.count + 1, grads, deltas)

    hyper = dict(learning_rate=learning_rate, rho=rho, epsilon=epsilon, weight_decay=weight_decay)
    return _keras(init, update, "adadelta", hyper)


# ---------------------------------------------------------------------------------------
# Adam, AdamW


class AdamState(NamedTuple):
    """``momentum`` m, ``velocity`` v and ``velocity_hat`` (amsgrad's running max of v)."""

    count: int
    momentum: np.ndarray
    velocity: np.ndarray
    velocity_hat: np.ndarray


def _betas(beta_1, beta_2):
    beta_1 = _in_range("beta_1", beta_1, 0.0, 1.0, open_high=True)
    beta_2 = _in_range("beta_2", beta_2, 0.0, 1.0, open_high=True)
    return beta_1, beta_2


def _adam(name, learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay) -> Optimizer:
    lr_at = _learning_rate(learning_rate)
    beta_1, beta_2 = _betas(beta_1, beta_2)
    epsilon = _nonneg("epsilon", epsilon)
    amsgrad = bool(amsgrad)
    weight_decay = _weight_decay(weight_decay)

    def init(params):
        zeros = _zeros_like(params)
        return AdamState(0, zeros, zeros, zeros)

    def update(g, state, params):
        t = state.count + 1
        lr = lr_at(state.count)
        decayed = _decayed(params, lr, weight_decay)
        alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
        m = state.momentum + (g - state.momentum) * (1 - beta_1)
        v = state.velocity + (g * g - state.velocity) * (1 - beta_2)
        v_hat = np.maximum(state.velocity_hat, v) if amsgrad else state.velocity_hat
        new_params = decayed - (m * alpha) / (np.sqrt(v_hat if amsgrad else v) + epsilon)
        return new_params - params, AdamState(t, m, v, v_hat)

    hyper = dict(
        learning_rate=learning_rate,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        amsgrad=amsgrad,
        weight_decay=weight_decay,
    )
    return _keras(init, update, name, hyper)


def adam(
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    amsgrad=False,
    weight_decay=None,
) -> Optimizer:
    """``keras.optimizers.Adam``.

    Update: ``α = η·√(1 − β₂ᵗ)/(1 − β₁ᵗ)``; ``m ← m + (g − m)(1 − β₁)``;
    ``v ← v + (g² − v)(1 − β₂)``; amsgrad: ``v̂ ← max(v̂, v)`` used in place of v;
    ``θ ← θ − m·α / (√v + ε)`` (ε added to the uncorrected √v: the paper's ε̂).
    """
    return _adam("adam", learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay)


def adamw(
    learning_rate=0.001,
    weight_decay=0.004,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    amsgrad=False,
) -> Optimizer:
    """``keras.optimizers.AdamW``: :func:`adam` with ``weight_decay`` 0.004 by default
    (``θ ← θ − θ·wd·η`` before the Adam step); ``weight_decay=None`` is refused."""
    if weight_decay is None:
        raise ValueError("Argument `weight_decay` must be a float. Received: weight_decay=None")
    return _adam("adamw", learning_rate, beta_1, beta_2, epsilon, amsgrad, weight_decay)


# ---------------------------------------------------------------------------------------
# Nadam


class NadamState(NamedTuple):
    """``u_product`` Π μ_i (shape of β₁), ``momentum`` m and ``velocity`` v."""

    count: int
    u_product: np.ndarray
    momentum: np.ndarray
    velocity: np.ndarray


def nadam(
    learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None
) -> Optimizer:
    """``keras.optimizers.Nadam``.

    Update: ``μ_t = β₁(1 − ½·0.96ᵗ)`` (no momentum-decay factor ψ, unlike PyTorch),
    ``Π_t = Π_{t−1}·β₁·(1 − ½·0.96ᵗ)``; m, v as Adam;
    ``m̂ = μ_{t+1}·m/(1 − Π_t·μ_{t+1}) + (1 − μ_t)·g/(1 − Π_t)``; ``v̂ = v/(1 − β₂ᵗ)``;
    ``θ ← θ − m̂·η / (√v̂ + ε)``.
    """
    lr_at = _learning_rate(learning_rate)
    beta_1, beta_2 = _betas(beta_1, beta_2)
    epsilon = _nonneg("epsilon", epsilon)
    weight_decay = _weight_decay(weight_decay)

    def init(params):
        return NadamState(0, np.ones(np.shape(beta_1)), _zeros_like(params), _zeros_like(params))

    def update(g, state, params):
        t = state.count + 1
        lr = lr_at(state.count)
        decayed = _decayed(params, lr, weight_decay)
        u_product = state.u_product * beta_1 * (1.0 - 0.5 * 0.96**t)
        u_t = beta_1 * (1.0 - 0.5 * 0.96**t)
        u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product_next = u_product * u_next
        m = state.momentum + (g - state.momentum) * (1 - beta_1)
        v = state.velocity + (g * g - state.velocity) * (1 - beta_2)
        m_hat = (u_next * m) / (1 - u_product_next) + ((1 - u_t) * g) / (1 - u_product)
        v_hat = v / (1 - beta_2**t)
        new_params = decayed - (m_hat * lr) / (np.sqrt(v_hat) + epsilon)
        return new_params - params, NadamState(t, u_product, m, v)

    hyper = dict(
        learning_rate=learning_rate,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        weight_decay=weight_decay,
    )
    return _keras(init, update, "nadam", hyper)


# ---------------------------------------------------------------------------------------
# Adamax


class AdamaxState(NamedTuple):
    """``momentum`` m and ``norm`` u, the decaying maximum of |g|."""

    count: int
    momentum: np.ndarray
    norm: np.ndarray


def adamax(
    learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, weight_decay=None
) -> Optimizer:
    """``keras.optimizers.Adamax``.

    Update: ``m ← m + (g − m)(1 − β₁)``; ``u ← max(β₂·u, |g|)``;
    ``θ ← θ − η·m / ((1 − β₁ᵗ)(u + ε))`` (ε outside the max, unlike PyTorch).
    """
    lr_at = _learning_rate(learning_rate)
    beta_1, beta_2 = _betas(beta_1, beta_2)
    epsilon = _nonneg("epsilon", epsilon)
    weight_decay = _weight_decay(weight_decay)

    def init(params):
        zeros = _zeros_like(params)
        return AdamaxState(0, zeros, zeros)

    def update(g, state, params):
        t = state.count + 1
        lr = lr_at(state.count)
        decayed = _decayed(params, lr, weight_decay)
        m = state.momentum + (g - state.momentum) * (1 - beta_1)
        u = np.maximum(beta_2 * state.norm, np.abs(g))
        new_params = decayed - (lr * m) / ((1 - beta_1**t) * (u + epsilon))
        return new_params - params, AdamaxState(t, m, u)

    hyper = dict(
        learning_rate=learning_rate,
        beta_1=beta_1,
        beta_2=beta_2,
        epsilon=epsilon,
        weight_decay=weight_decay,
    )
    return _keras(init, update, "adamax", hyper)


# ---------------------------------------------------------------------------------------
# Lion


class LionState(NamedTuple):
    """``momentum`` m, interpolated with g and then signed."""

    count: int
    momentum: np.ndarray


def lion(learning_rate=0.001, beta_1=0.9, beta_2=0.99, weight_decay=None) -> Optimizer:
    """``keras.optimizers.Lion``.

    Update: ``θ ← θ − η·sign(β₁·m + (1 − β₁)·g)``; then ``m ← β₂·m + (1 − β₂)·g``.
    """
    lr_at = _learning_rate(learning_rate)
    beta_1 = _in_range("beta_1", beta_1, 0.0, 1.0, open_low=True)  # else SignSGD
    beta_2 = _in_range("beta_2", beta_2, 0.0, 1.0)
    weight_decay = _weight_decay(weight_decay)

    def init(params):
        return LionState(0, _zeros_like(params))

    def update(g, state, params):
        lr = lr_at(state.count)
        decayed = _decayed(params, lr, weight_decay)
        direction = np.sign(state.momentum * beta_1 + g * (1.0 - beta_1))
        new_params = decayed - lr * direction
        m = state.momentum * beta_2 + g * (1.0 - beta_2)
        return new_params - params, LionState(state.count + 1, m)

    hyper = dict(
        learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, weight_decay=weight_decay
    )
    return _keras(init, update, "lion", hyper)


KERAS = {
    "sgd": sgd,
    "adagrad": adagrad,
    "rmsprop": rmsprop,
    "adadelta": adadelta,
    "adam": adam,
    "adamw": adamw,
    "nadam": nadam,
    "adamax": adamax,
    "lion": lion,
}
"""Registry key -> factory. Keyword names and defaults are those of ``keras.optimizers``."""
