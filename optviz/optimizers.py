"""Optimizers as pure functions, exact ports of `torch.optim` 2.x (Lion: `lion-pytorch`).

Every factory takes the keyword arguments of the matching torch class, with the same
names, defaults and validation, and returns ``Optimizer(init, update, name, hyperparams)``:

* ``init(params) -> state``: ``params`` is ``(N, 2)`` (or any shape); the state is a
  NamedTuple whose array fields have the shape of ``params`` and whose ``count`` is the
  number of steps taken (an int).
* ``update(grad, state, params) -> (step, new_state)``: ``grad`` and ``params`` have the same
  shape; the new parameters are ``params + step``. Pure: nothing is modified in place.

Notation in the docstrings: ``g`` is the gradient at θ_{t-1}, ``t`` counts from 1, all
operations are element-wise. ``maximize`` negates ``g`` first. Coupled weight decay adds
``wd·θ`` to ``g``; decoupled weight decay multiplies θ by ``1 − lr·wd`` before the step.

Hyperparameters may be NumPy arrays that broadcast against ``params`` (e.g. ``lr`` of shape
``(N, 1)``), so a sweep over a hyperparameter is one batched run. ``lr`` may also be a
schedule from :mod:`optviz.schedules`; it is evaluated at the optimizer's step count.
The arithmetic follows torch's single-tensor code path operation by operation (for
example ``m.lerp_(g, 1 − β₁)`` is ``m + (1 − β₁)(g − m)``), so float64 runs agree with
``torch.optim`` to rounding.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from .schedules import Constant, check_lr


class Optimizer(NamedTuple):
    """A pure optimizer: ``init(params) -> state``; ``update(g, state, params) -> (step, state)``.

    ``name`` is the registry key; ``hyperparams`` the resolved keyword arguments;
    ``convention`` the registry of :data:`optviz.CONVENTIONS` it comes from ("pytorch",
    "keras" or "textbook"), which gives the keywords their meaning.
    """

    init: Callable[[np.ndarray], Any]
    update: Callable[[np.ndarray, Any, np.ndarray], tuple[np.ndarray, Any]]
    name: str = ""
    hyperparams: dict | None = None
    convention: str = "pytorch"


# ---------------------------------------------------------------------------------------
# validation and shared helpers


def _all(condition) -> bool:
    """True if the (possibly array) condition holds everywhere; NaN makes it False."""
    return bool(np.all(condition))


def _scalar_or_array(value):
    """Keep Python scalars as floats (fast path); turn sequences into float64 arrays."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float | np.floating | np.integer):
        return float(value)
    return np.asarray(value, dtype=np.float64)


def _lr_function(lr) -> Callable[[int], Any]:
    """``lr`` (number, array or schedule) -> function of the 0-based step index."""
    if callable(lr):
        base = lr.lr if hasattr(lr, "lr") else lr(0)
        check_lr(base)
        if isinstance(lr, Constant):
            value = _scalar_or_array(lr.lr)
            return lambda k: value
        return lr
    value = check_lr(_scalar_or_array(lr))
    return lambda k: value


def _check_nonneg(name: str, value):
    value = _scalar_or_array(value)
    if not _all(np.asarray(value) >= 0.0):
        raise ValueError(f"Invalid {name} value: {value}")
    return value


def _check_betas(betas, *, upper_inclusive: bool = False):
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"Invalid betas: {betas} (a pair (β₁, β₂))") from None
    beta1, beta2 = _scalar_or_array(beta1), _scalar_or_array(beta2)
    for index, beta in enumerate((beta1, beta2)):
        arr = np.asarray(beta)
        ok = (arr >= 0.0) & ((arr <= 1.0) if upper_inclusive else (arr < 1.0))
        if not _all(ok):
            raise ValueError(f"Invalid beta parameter at index {index}: {beta}")
    return beta1, beta2


def _is_zero(value) -> bool:
    return isinstance(value, float) and value == 0.0


def _prepare_grad(g, params, maximize: bool, weight_decay):
    """``g`` negated when maximizing, plus coupled weight decay ``wd·θ``."""
    if maximize:
        g = -g
    if not _is_zero(weight_decay):
        g = g + weight_decay * params
    return g


def _decay_params(params, lr, weight_decay):
    """Decoupled weight decay: ``θ·(1 − lr·wd)``."""
    if _is_zero(weight_decay):
        return params
    return params * (1 - lr * weight_decay)


def _lerp(start, end, weight):
    """torch's ``start.lerp_(end, weight)`` for weight < 0.5: ``start + w(end − start)``."""
    return start + weight * (end - start)


def _zeros_like(params):
    return np.zeros(np.shape(params), dtype=np.float64)


# ---------------------------------------------------------------------------------------
# SGD, momentum, Nesterov


class SGDState(NamedTuple):
    """``count`` steps taken; ``momentum_buffer`` b (zeros until step 1 sets b = g)."""

    count: int
    momentum_buffer: np.ndarray


def _sgd(name, lr, momentum, dampening, weight_decay, nesterov, maximize) -> Optimizer:
    """``torch.optim.SGD``.

    Update: ``g ← g + wd·θ``; with momentum μ ≠ 0: step 1 ``b = g``, later
    ``b = μb + (1 − dampening)g``; ``g ← g + μb`` if nesterov else ``b``; ``θ ← θ − lr·g``.
    """
    lr_at = _lr_function(lr)
    momentum = _check_nonneg("momentum", momentum)
    dampening = _scalar_or_array(dampening)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    nesterov, maximize = bool(nesterov), bool(maximize)
    if nesterov and not (_all(np.asarray(momentum) > 0) and _all(np.asarray(dampening) == 0)):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")
    uses_momentum = not _is_zero(momentum)
    mixed = uses_momentum and not _all(np.asarray(momentum) != 0)

    def init(params):
        return SGDState(0, _zeros_like(params))

    def update(g, state, params):
        g = _prepare_grad(g, params, maximize, weight_decay)
        buf = state.momentum_buffer
        if uses_momentum:
            buf = g if state.count == 0 else buf * momentum + (1 - dampening) * g
            direction = g + momentum * buf if nesterov else buf
            if mixed:  # torch skips the buffer where momentum == 0
                direction = np.where(momentum != 0, direction, g)
        else:
            direction = g
        return -lr_at(state.count) * direction, SGDState(state.count + 1, buf)

    hyper = dict(
        lr=lr,
        momentum=momentum,
        dampening=dampening,
        weight_decay=weight_decay,
        nesterov=nesterov,
        maximize=maximize,
    )
    return Optimizer(init, update, name, hyper)


def sgd(
    lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False, *, maximize=False
) -> Optimizer:
    """``torch.optim.SGD``.

    Update: ``g ← g + wd·θ``; with momentum μ ≠ 0: step 1 ``b = g``, later
    ``b = μb + (1 − dampening)g``; ``g ← g + μb`` if nesterov else ``b``; ``θ ← θ − lr·g``.
    """
    return _sgd("sgd", lr, momentum, dampening, weight_decay, nesterov, maximize)


def momentum(
    lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=False, *, maximize=False
) -> Optimizer:
    """SGD with heavy-ball momentum (``torch.optim.SGD(momentum=0.9)``); see :func:`sgd`."""
    return _sgd("momentum", lr, momentum, dampening, weight_decay, nesterov, maximize)


def nesterov(
    lr=1e-3, momentum=0.9, dampening=0.0, weight_decay=0.0, nesterov=True, *, maximize=False
) -> Optimizer:
    """SGD with Nesterov momentum (``torch.optim.SGD(momentum=0.9, nesterov=True)``)."""
    return _sgd("nesterov", lr, momentum, dampening, weight_decay, nesterov, maximize)


# ---------------------------------------------------------------------------------------
# Adagrad


class AdagradState(NamedTuple):
    """``count`` steps taken; ``sum`` the accumulated squared gradients s."""

    count: int
    sum: np.ndarray


def adagrad(
    lr=1e-2,
    lr_decay=0.0,
    weight_decay=0.0,
    initial_accumulator_value=0.0,
    eps=1e-10,
    *,
    maximize: bool = False,
) -> Optimizer:
    """``torch.optim.Adagrad``.

    Update: ``g ← g + wd·θ``; ``clr = lr / (1 + (t − 1)·lr_decay)``; ``s ← s + g²``;
    ``θ ← θ − clr·g / (√s + ε)``. ``s`` starts at ``initial_accumulator_value``.
    """
    lr_at = _lr_function(lr)
    lr_decay = _check_nonneg("lr_decay", lr_decay)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    initial = _check_nonneg("initial_accumulator_value", initial_accumulator_value)
    eps = _check_nonneg("epsilon", eps)
    maximize = bool(maximize)

    def init(params):
        return AdagradState(0, np.zeros(np.shape(params)) + initial)

    def update(g, state, params):
        g = _prepare_grad(g, params, maximize, weight_decay)
        clr = lr_at(state.count) / (1 + state.count * lr_decay)
        total = state.sum + g * g
        std = np.sqrt(total) + eps
        return -clr * (g / std), AdagradState(state.count + 1, total)

    hyper = dict(
        lr=lr,
        lr_decay=lr_decay,
        weight_decay=weight_decay,
        initial_accumulator_value=initial,
        eps=eps,
        maximize=maximize,
    )
    return Optimizer(init, update, "adagrad", hyper)


# ---------------------------------------------------------------------------------------
# RMSprop


class RMSpropState(NamedTuple):
    """``square_avg`` v, ``grad_avg`` ḡ (centered only), ``momentum_buffer`` b (from 0)."""

    count: int
    square_avg: np.ndarray
    grad_avg: np.ndarray
    momentum_buffer: np.ndarray


def rmsprop(
    lr=1e-2,
    alpha=0.99,
    eps=1e-8,
    weight_decay=0.0,
    momentum=0.0,
    centered: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    """``torch.optim.RMSprop``.

    Update: ``g ← g + wd·θ``; ``v ← αv + (1 − α)g²``; centered: ``ḡ ← ḡ + (1 − α)(g − ḡ)``,
    ``a = √(v − ḡ²) + ε``, else ``a = √v + ε``; with momentum μ > 0: ``b ← μb + g/a``
    (b starts at 0), ``θ ← θ − lr·b``; else ``θ ← θ − lr·g/a``.
    """
    lr_at = _lr_function(lr)
    alpha = _check_nonneg("alpha", alpha)
    eps = _check_nonneg("epsilon", eps)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    momentum = _check_nonneg("momentum", momentum)
    centered, maximize = bool(centered), bool(maximize)
    uses_momentum = not _is_zero(momentum)

    def init(params):
        zeros = _zeros_like(params)
        return RMSpropState(0, zeros, zeros, zeros)

    def update(g, state, params):
        g = _prepare_grad(g, params, maximize, weight_decay)
        square_avg = state.square_avg * alpha + (1 - alpha) * g * g
        grad_avg = state.grad_avg
        if centered:
            grad_avg = _lerp(grad_avg, g, 1 - alpha)
            avg = np.sqrt(square_avg - grad_avg * grad_avg) + eps
        else:
            avg = np.sqrt(square_avg) + eps
        lr_now = lr_at(state.count)
        buf = state.momentum_buffer
        if uses_momentum:
            buf = buf * momentum + g / avg
            step = -lr_now * buf
        else:
            step = -lr_now * (g / avg)
        return step, RMSpropState(state.count + 1, square_avg, grad_avg, buf)

    hyper = dict(
        lr=lr,
        alpha=alpha,
        eps=eps,
        weight_decay=weight_decay,
        momentum=momentum,
        centered=centered,
        maximize=maximize,
    )
    return Optimizer(init, update, "rmsprop", hyper)


# ---------------------------------------------------------------------------------------
# Adadelta


class AdadeltaState(NamedTuple):
    """``square_avg`` v (of g²) and ``acc_delta`` u (of Δ²)."""

    count: int
    square_avg: np.ndarray
    acc_delta: np.ndarray


def adadelta(lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, *, maximize: bool = False) -> Optimizer:
    """``torch.optim.Adadelta``.

    Update: ``g ← g + wd·θ``; ``v ← ρv + (1 − ρ)g²``; ``Δ = √(u + ε) / √(v + ε) · g``;
    ``u ← ρu + (1 − ρ)Δ²``; ``θ ← θ − lr·Δ``.
    """
    lr_at = _lr_function(lr)
    rho = _scalar_or_array(rho)
    if not _all((np.asarray(rho) >= 0) & (np.asarray(rho) <= 1)):
        raise ValueError(f"Invalid rho value: {rho}")
    eps = _check_nonneg("epsilon", eps)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    maximize = bool(maximize)

    def init(params):
        zeros = _zeros_like(params)
        return AdadeltaState(0, zeros, zeros)

    def update(g, state, params):
        g = _prepare_grad(g, params, maximize, weight_decay)
        square_avg = state.square_avg * rho + (1 - rho) * g * g
        std = np.sqrt(square_avg + eps)
        delta = np.sqrt(state.acc_delta + eps) / std * g
        acc_delta = state.acc_delta * rho + (1 - rho) * delta * delta
        step = -lr_at(state.count) * delta
        return step, AdadeltaState(state.count + 1, square_avg, acc_delta)

    hyper = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
    return Optimizer(init, update, "adadelta", hyper)


# ---------------------------------------------------------------------------------------
# Adam, AdamW


class AdamState(NamedTuple):
    """``exp_avg`` m, ``exp_avg_sq`` v, ``max_exp_avg_sq`` (amsgrad's running max of v)."""

    count: int
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray
    max_exp_avg_sq: np.ndarray


def _adam(name, lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay):
    lr_at = _lr_function(lr)
    beta1, beta2 = _check_betas(betas)
    eps = _check_nonneg("epsilon", eps)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    amsgrad, maximize, decoupled = bool(amsgrad), bool(maximize), bool(decoupled_weight_decay)

    def init(params):
        zeros = _zeros_like(params)
        return AdamState(0, zeros, zeros, zeros)

    def update(g, state, params):
        t = state.count + 1
        lr_now = lr_at(state.count)
        if maximize:
            g = -g
        decayed = params
        if decoupled:
            decayed = _decay_params(params, lr_now, weight_decay)
        elif not _is_zero(weight_decay):
            g = g + weight_decay * params
        m = _lerp(state.exp_avg, g, 1 - beta1)
        v = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
        v_max = state.max_exp_avg_sq
        if amsgrad:
            v_max = np.maximum(v_max, v)
        step_size = lr_now / (1 - beta1**t)
        denom = np.sqrt(v_max if amsgrad else v) / np.sqrt(1 - beta2**t) + eps
        new_params = decayed - step_size * (m / denom)
        return new_params - params, AdamState(t, m, v, v_max)

    hyper = dict(
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        amsgrad=amsgrad,
        maximize=maximize,
        decoupled_weight_decay=decoupled,
    )
    return Optimizer(init, update, name, hyper)


def adam(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    amsgrad=False,
    *,
    maximize=False,
    decoupled_weight_decay=False,
) -> Optimizer:
    """``torch.optim.Adam`` (``decoupled_weight_decay=True`` is AdamW).

    Update: weight decay (coupled ``g ← g + wd·θ`` or decoupled ``θ ← θ(1 − lr·wd)``);
    ``m ← m + (1 − β₁)(g − m)``; ``v ← β₂v + (1 − β₂)g²``; amsgrad: ``v̂ = max(v̂, v)`` used
    in place of v; ``denom = √v / √(1 − β₂ᵗ) + ε``; ``θ ← θ − lr/(1 − β₁ᵗ) · m / denom``.
    """
    return _adam("adam", lr, betas, eps, weight_decay, amsgrad, maximize, decoupled_weight_decay)


def adamw(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=1e-2,
    amsgrad: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    """``torch.optim.AdamW``: Adam with decoupled weight decay ``θ ← θ(1 − lr·wd)``."""
    return _adam("adamw", lr, betas, eps, weight_decay, amsgrad, maximize, True)


# ---------------------------------------------------------------------------------------
# Adamax


class AdamaxState(NamedTuple):
    """``exp_avg`` m and ``exp_inf`` u, the exponentially weighted infinity norm."""

    count: int
    exp_avg: np.ndarray
    exp_inf: np.ndarray


def adamax(
    lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *, maximize: bool = False
) -> Optimizer:
    """``torch.optim.Adamax``.

    Update: ``g ← g + wd·θ``; ``m ← m + (1 − β₁)(g − m)``; ``u ← max(β₂u, |g| + ε)``;
    ``θ ← θ − lr/(1 − β₁ᵗ) · m / u``.
    """
    lr_at = _lr_function(lr)
    beta1, beta2 = _check_betas(betas)
    eps = _check_nonneg("epsilon", eps)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    maximize = bool(maximize)

    def init(params):
        zeros = _zeros_like(params)
        return AdamaxState(0, zeros, zeros)

    def update(g, state, params):
        t = state.count + 1
        g = _prepare_grad(g, params, maximize, weight_decay)
        m = _lerp(state.exp_avg, g, 1 - beta1)
        u = np.maximum(state.exp_inf * beta2, np.abs(g) + eps)
        clr = lr_at(state.count) / (1 - beta1**t)
        return -clr * (m / u), AdamaxState(t, m, u)

    hyper = dict(
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        maximize=maximize,
    )
    return Optimizer(init, update, "adamax", hyper)


# ---------------------------------------------------------------------------------------
# NAdam


class NAdamState(NamedTuple):
    """``mu_product`` Π μ_i (shape of β₁ broadcast), ``exp_avg`` m, ``exp_avg_sq`` v."""

    count: int
    mu_product: np.ndarray
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


def nadam(
    lr=2e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled_weight_decay: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    """``torch.optim.NAdam``.

    Update: ``μ_t = β₁(1 − ½·0.96^(tψ))``, ``μ_{t+1}`` likewise, ``Π_t = Π_{t−1}μ_t``;
    m, v as Adam; ``denom = √(v / (1 − β₂ᵗ)) + ε``;
    ``θ ← θ − lr(1 − μ_t)/(1 − Π_t) · g/denom − lr·μ_{t+1}/(1 − Π_t μ_{t+1}) · m/denom``.
    """
    lr_at = _lr_function(lr)
    beta1, beta2 = _check_betas(betas)
    eps = _check_nonneg("epsilon", eps)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    momentum_decay = _check_nonneg("momentum_decay", momentum_decay)
    decoupled, maximize = bool(decoupled_weight_decay), bool(maximize)
    product_shape = np.broadcast_shapes(np.shape(beta1), np.shape(momentum_decay))

    def init(params):
        zeros = _zeros_like(params)
        return NAdamState(0, np.ones(product_shape), zeros, zeros)

    def update(g, state, params):
        t = state.count + 1
        lr_now = lr_at(state.count)
        if maximize:
            g = -g
        decayed = params
        if decoupled:
            decayed = _decay_params(params, lr_now, weight_decay)
        elif not _is_zero(weight_decay):
            g = g + weight_decay * params
        bias_correction2 = 1 - beta2**t
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = state.mu_product * mu
        m = _lerp(state.exp_avg, g, 1 - beta1)
        v = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
        denom = np.sqrt(v / bias_correction2) + eps
        new_params = decayed + (-lr_now * (1.0 - mu) / (1.0 - mu_product)) * (g / denom)
        new_params = new_params + (-lr_now * mu_next / (1.0 - mu_product * mu_next)) * (m / denom)
        return new_params - params, NAdamState(t, mu_product, m, v)

    hyper = dict(
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        momentum_decay=momentum_decay,
        decoupled_weight_decay=decoupled,
        maximize=maximize,
    )
    return Optimizer(init, update, "nadam", hyper)


# ---------------------------------------------------------------------------------------
# RAdam


class RAdamState(NamedTuple):
    """``exp_avg`` m and ``exp_avg_sq`` v, as Adam."""

    count: int
    exp_avg: np.ndarray
    exp_avg_sq: np.ndarray


def _rectification(rho_t, rho_inf):
    """RAdam's variance rectification ``r`` (for ``ρ_t > 5``)."""
    return ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5


def radam(
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    decoupled_weight_decay: bool = False,
    *,
    maximize: bool = False,
) -> Optimizer:
    """``torch.optim.RAdam``.

    Update: m, v as Adam; ``m̂ = m/(1 − β₁ᵗ)``; ``ρ∞ = 2/(1 − β₂) − 1``;
    ``ρ_t = ρ∞ − 2tβ₂ᵗ/(1 − β₂ᵗ)``; if ``ρ_t > 5``:
    ``r = √((ρ_t − 4)(ρ_t − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)ρ_t))`` and
    ``θ ← θ − lr·m̂·√(1 − β₂ᵗ)/(√v + ε)·r``; else ``θ ← θ − lr·m̂`` (un-normalised).
    """
    lr_at = _lr_function(lr)
    beta1, beta2 = _check_betas(betas)
    eps = _check_nonneg("epsilon", eps)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    decoupled, maximize = bool(decoupled_weight_decay), bool(maximize)
    rho_inf = 2 / (1 - beta2) - 1

    def init(params):
        zeros = _zeros_like(params)
        return RAdamState(0, zeros, zeros)

    def update(g, state, params):
        t = state.count + 1
        lr_now = lr_at(state.count)
        if maximize:
            g = -g
        decayed = params
        if decoupled:
            decayed = _decay_params(params, lr_now, weight_decay)
        elif not _is_zero(weight_decay):
            g = g + weight_decay * params
        m = _lerp(state.exp_avg, g, 1 - beta1)
        v = state.exp_avg_sq * beta2 + (1 - beta2) * g * g
        bias_correction1 = 1 - beta1**t
        bias_correction2 = 1 - beta2**t
        m_hat = m / bias_correction1
        rho_t = rho_inf - 2 * t * (beta2**t) / bias_correction2
        plain = m_hat * lr_now
        adaptive = bias_correction2**0.5 / (np.sqrt(v) + eps)
        if np.ndim(rho_t) == 0:  # scalar β₂: torch's Python-float branch, bit for bit
            rectified = plain * adaptive * _rectification(rho_t, rho_inf) if rho_t > 5.0 else plain
        else:
            rect = _rectification(np.maximum(rho_t, 5.0), rho_inf)
            rectified = np.where(rho_t > 5.0, plain * adaptive * rect, plain)
        new_params = decayed + (-1.0) * rectified
        return new_params - params, RAdamState(t, m, v)

    hyper = dict(
        lr=lr,
        betas=(beta1, beta2),
        eps=eps,
        weight_decay=weight_decay,
        decoupled_weight_decay=decoupled,
        maximize=maximize,
    )
    return Optimizer(init, update, "radam", hyper)


# ---------------------------------------------------------------------------------------
# Lion


class LionState(NamedTuple):
    """``exp_avg`` m, the momentum that Lion interpolates and then signs."""

    count: int
    exp_avg: np.ndarray


def lion(lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, *, maximize: bool = False) -> Optimizer:
    """Lion (``lion_pytorch.Lion``, Chen et al. 2023).

    Update: ``θ ← θ(1 − lr·wd)``; ``θ ← θ − lr·sign(β₁m + (1 − β₁)g)``;
    then ``m ← β₂m + (1 − β₂)g``. (``maximize`` negates g, as in torch.)
    """
    lr_at = _lr_function(lr)
    beta1, beta2 = _check_betas(betas, upper_inclusive=True)
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    maximize = bool(maximize)

    def init(params):
        return LionState(0, _zeros_like(params))

    def update(g, state, params):
        lr_now = lr_at(state.count)
        if maximize:
            g = -g
        decayed = _decay_params(params, lr_now, weight_decay)
        direction = np.sign(state.exp_avg * beta1 + (1 - beta1) * g)
        new_params = decayed + (-lr_now) * direction
        m = state.exp_avg * beta2 + (1 - beta2) * g
        return new_params - params, LionState(state.count + 1, m)

    hyper = dict(lr=lr, betas=(beta1, beta2), weight_decay=weight_decay, maximize=maximize)
    return Optimizer(init, update, "lion", hyper)


# ---------------------------------------------------------------------------------------
# Rprop


class RpropState(NamedTuple):
    """``prev`` the gradient kept from the last step (0 after a sign flip) and
    ``step_size`` δ, each coordinate's own step length (starts at lr)."""

    count: int
    prev: np.ndarray
    step_size: np.ndarray


def _check_etas(etas):
    try:
        eta_minus, eta_plus = etas
    except (TypeError, ValueError):
        raise ValueError(f"Invalid eta values: {etas} (a pair (η⁻, η⁺))") from None
    eta_minus, eta_plus = _scalar_or_array(eta_minus), _scalar_or_array(eta_plus)
    minus, plus = np.asarray(eta_minus), np.asarray(eta_plus)
    if not _all((minus > 0.0) & (minus < 1.0) & (plus > 1.0)):
        raise ValueError(f"Invalid eta values: {eta_minus}, {eta_plus}")
    return eta_minus, eta_plus


def rprop(lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *, maximize: bool = False) -> Optimizer:
    """``torch.optim.Rprop`` (iRprop⁻: no step back after a sign flip).

    Update: ``q = sign(g·g_prev)``; ``δ ← clamp(δ·η⁺, δ_min, δ_max)`` where q > 0,
    ``clamp(δ·η⁻, ...)`` where q < 0, δ where q = 0; ``g ← 0`` where q < 0;
    ``θ ← θ − sign(g)·δ``; ``g_prev ← g``. δ starts at lr (the lr of the first step: a
    schedule has no effect later), ``g_prev`` at 0.
    """
    lr_at = _lr_function(lr)
    eta_minus, eta_plus = _check_etas(etas)
    step_min, step_max = (_scalar_or_array(v) for v in step_sizes)
    maximize = bool(maximize)

    def init(params):
        return RpropState(0, _zeros_like(params), _zeros_like(params) + lr_at(0))

    def update(g, state, params):
        if maximize:
            g = -g
        q = np.sign(g * state.prev)
        factor = np.where(q > 0, eta_plus, np.where(q < 0, eta_minus, np.where(q == 0, 1.0, q)))
        step_size = np.minimum(np.maximum(state.step_size * factor, step_min), step_max)
        g = np.where(q < 0, 0.0, g)
        step = -(np.sign(g) * step_size)
        return step, RpropState(state.count + 1, g, step_size)

    hyper = dict(
        lr=lr, etas=(eta_minus, eta_plus), step_sizes=(step_min, step_max), maximize=maximize
    )
    return Optimizer(init, update, "rprop", hyper)


# ---------------------------------------------------------------------------------------
# Adafactor


class AdafactorState(NamedTuple):
    """``variance`` v, the running average of g² (each start is a vector: not factored)."""

    count: int
    variance: np.ndarray


def _rms(x):
    """Root mean square over the last axis (one start's coordinates), kept as a column."""
    return np.sqrt(np.sum(x * x, axis=-1, keepdims=True)) / np.shape(x)[-1] ** 0.5


def _lerp_any(start, end, weight):
    """torch's ``start.lerp_(end, weight)`` for any weight (a branch at |w| = 0.5)."""
    small = start + weight * (end - start)
    large = end - (end - start) * (1 - weight)
    return np.where(np.abs(weight) < 0.5, small, large)


def adafactor(
    lr=1e-2,
    beta2_decay=-0.8,
    eps=(None, 1e-3),
    d=1.0,
    weight_decay=0.0,
    *,
    maximize: bool = False,
) -> Optimizer:
    """``torch.optim.Adafactor`` on each start as its own 2-vector parameter.

    Update: ``ρ_t = min(lr, 1/√t)``; ``α_t = max(ε₂, RMS(θ))·ρ_t``; ``θ ← θ(1 − lr·wd)``;
    ``v ← v + t^τ(g² − v)`` (τ = ``beta2_decay``, so β̂₂ = 1 − t^τ); ``U = g/√max(v, ε₁²)``;
    ``θ ← θ − α_t·U / max(1, RMS(U)/d)``. RMS is over one start's two coordinates; ε₁
    ``None`` is float64's machine epsilon. A vector's second moment is not factored
    (torch factors only parameters with two or more dimensions).
    """
    lr_at = _lr_function(lr)
    beta2_decay = _scalar_or_array(beta2_decay)
    if not _all(np.asarray(beta2_decay) <= 0.0):
        raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
    try:
        eps1, eps2 = eps
    except (TypeError, ValueError):
        raise ValueError(f"Invalid eps: {eps} (a pair (ε₁ or None, ε₂))") from None
    eps1 = np.finfo(np.float64).eps if eps1 is None else _scalar_or_array(eps1)
    eps2 = _scalar_or_array(eps2)
    if not _all(np.asarray(eps1) >= 0.0):
        raise ValueError(f"epsilon1 should be >= 0 but is: {eps1}")
    if not _all(np.asarray(eps2) >= 0.0):
        raise ValueError(f"epsilon2 should be >= 0 but is: {eps2}")
    d = _scalar_or_array(d)
    if not _all(np.asarray(d) >= 1.0):
        raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
    weight_decay = _check_nonneg("weight_decay", weight_decay)
    maximize = bool(maximize)

    def init(params):
        return AdafactorState(0, _zeros_like(params))

    def update(g, state, params):
        t = state.count + 1
        lr_now = lr_at(state.count)
        if maximize:
            g = -g
        one_minus_beta2 = np.power(float(t), beta2_decay)
        rho = np.minimum(lr_now, 1 / float(t) ** 0.5)
        alpha = np.fmax(eps2, _rms(params)) * rho
        decayed = _decay_params(params, lr_now, weight_decay)
        variance = _lerp_any(state.variance, g * g, one_minus_beta2)
        u = 1 / np.sqrt(np.maximum(variance, eps1 * eps1)) * g
        denom = np.fmax(1.0, _rms(u) / d)
        new_params = decayed + (-alpha / denom) * u
        return new_params - params, AdafactorState(t, variance)

    hyper = dict(
        lr=lr,
        beta2_decay=beta2_decay,
        eps=(eps1, eps2),
        d=d,
        weight_decay=weight_decay,
        maximize=maximize,
    )
    return Optimizer(init, update, "adafactor", hyper)
