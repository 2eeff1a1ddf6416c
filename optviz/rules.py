"""One update-rule record per optimizer per convention (PyTorch, Keras 3, the book).

An :class:`UpdateRule` holds what :mod:`optviz.equations` needs to write, render and
evaluate one factory's update as ordered SymPy assignments:

* ``rule``: resolved keywords (the factory's ``Optimizer.hyperparams``) -> the update as
  ``[(lhs, rhs), ...]``, applied in order; on a right-hand side a state symbol means its
  previous value,
* ``keywords``: factory keyword -> its symbol (a pair keyword: a tuple, one per entry),
* ``state``: field of the factory's state NamedTuple (the library's own variable name:
  torch's ``exp_avg``, Keras's ``momentum``/``velocity``, the book's ``h``) -> symbol,
  and ``meanings``: field -> a short key of what it holds (the inspector's words),
* ``step_factor``: the per-coordinate factor P with ``Δθ = −P · direction`` (or None),
* ``constants``: numbers the library writes into the rule (the book's ε = 1e-7),
* ``course``: the Japanese course's names ``(LaTeX, text)`` of the rule's states where
  they differ from the library's letters (PyTorch's AdaGrad ``s`` is the course's ``h``).

PyTorch's records are derived from :data:`optviz.catalog.SPECS`; Keras's and the book's
are written here, each following its factory in :mod:`optviz.keras_optimizers` and
:mod:`optviz.textbook_optimizers` operation by operation (the same ε placement, the same
order: Keras's and the book's ``m ← m + (1 − β₁)(g − m)``), and
``tests/test_equations.py`` checks every one against its factory's ``update``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import sympy as sp

from .catalog import SPECS, OptimizerSpec, on
from .keras_optimizers import KERAS
from .symbols import (
    ALPHA,
    BETA1,
    BETA2,
    DELTA,
    EPS,
    ETA,
    GBAR,
    LAM,
    LR_T,
    MHAT,
    MU,
    MU_NEXT,
    MU_T,
    PI,
    RHO,
    THETA,
    VHAT,
    VMAX,
    A,
    B,
    C,
    G,
    H,
    M,
    S,
    T,
    U,
    V,
)
from .textbook_optimizers import EPS as BOOK_EPS
from .textbook_optimizers import TEXTBOOK


@dataclass(frozen=True)
class UpdateRule:
    """One factory's update rule (see the module docstring).

    convention, key: where the factory lives, ``CONVENTIONS[convention][key]``.
    lr_keyword: the factory's learning-rate keyword (``lr`` or ``learning_rate``).
    """

    convention: str
    key: str
    factory: Callable
    lr_keyword: str
    keywords: Mapping[str, sp.Symbol | tuple]
    state: Mapping[str, sp.Symbol]
    meanings: Mapping[str, str]
    rule: Callable[[dict], list]
    step_factor: Callable[[dict], sp.Expr | None] = lambda hp: None
    factor_reads_before: frozenset = frozenset()
    symbols: Mapping[sp.Symbol, tuple[str, str]] = field(default_factory=dict)
    constants: Mapping[sp.Symbol, float] = field(default_factory=dict)
    course: Mapping[sp.Symbol, tuple[str, str]] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------
# PyTorch: from the catalog's records

TORCH_MEANINGS = {
    "momentum_buffer": "buffer",
    "sum": "sq_sum",
    "square_avg": "sq_avg",
    "grad_avg": "grad_avg",
    "acc_delta": "delta_avg",
    "exp_avg": "grad_avg",
    "exp_avg_sq": "sq_avg",
    "max_exp_avg_sq": "sq_max",
    "mu_product": "mu_product",
    "exp_inf": "inf_norm",
    "prev": "prev",
    "step_size": "step_size",
    "variance": "sq_avg",
}
"""torch's buffer name -> what it holds (a key of the inspector's words)."""

TORCH_COURSE: Mapping[str, Mapping[sp.Symbol, tuple[str, str]]] = {
    "adagrad": {S: ("h", "h")},
    "rmsprop": {V: ("h", "h")},
    "adadelta": {V: ("h", "h"), U: ("s", "s"), DELTA: (r"\Delta w", "Δw")},
}
"""Update-rule family -> the course's names of its states where they differ from torch's
letters (AdaGrad's and RMSprop's h; AdaDelta's h, s and Δw)."""


def _keyword_symbols(spec: OptimizerSpec) -> dict[str, sp.Symbol | tuple]:
    out: dict[str, sp.Symbol | tuple] = {}
    for kw in spec.keywords:
        if kw.parts:
            out[kw.name] = tuple(part.symbol for part in kw.parts)
        elif kw.symbol is not None:
            out[kw.name] = kw.symbol
    return out


def torch_rule(spec: OptimizerSpec) -> UpdateRule:
    """The :class:`UpdateRule` of a catalog record."""
    return UpdateRule(
        convention="pytorch",
        key=spec.key,
        factory=spec.factory,
        lr_keyword="lr",
        keywords=_keyword_symbols(spec),
        state=spec.state,
        meanings={name: TORCH_MEANINGS.get(name, name) for name in spec.state},
        rule=spec.rule,
        step_factor=spec.step_factor,
        factor_reads_before=spec.factor_reads_before,
        symbols=spec.symbols,
        course=TORCH_COURSE.get(spec.family, {}),
    )


# ---------------------------------------------------------------------------------------
# Keras 3 (keras.optimizers)

_KERAS_KEYWORDS = {
    "learning_rate": ETA,
    "momentum": MU,
    "rho": RHO,
    "epsilon": EPS,
    "beta_1": BETA1,
    "beta_2": BETA2,
    "weight_decay": LAM,
}


def keras_decay(hp: dict) -> list:
    """Keras's weight decay, ``θ ← θ − θλη`` before the update (none when it is None)."""
    if hp.get("weight_decay") is None or not on(hp["weight_decay"]):
        return []
    return [(THETA, THETA - THETA * LAM * ETA)]


def _keras_sgd(hp: dict) -> list:
    steps = keras_decay(hp)
    if not on(hp["momentum"]):
        return [*steps, (THETA, THETA - ETA * G)]
    steps.append((V, MU * V - ETA * G))
    if hp["nesterov"]:
        return [*steps, (THETA, THETA + MU * V - ETA * G)]
    return [*steps, (THETA, THETA + V)]


def _keras_adagrad(hp: dict) -> list:
    steps = keras_decay(hp)
    steps.append((S, S + G**2))
    return [*steps, (THETA, THETA - ETA * G / sp.sqrt(S + EPS))]


def _keras_rmsprop(hp: dict) -> list:
    steps = keras_decay(hp)
    steps.append((V, RHO * V + (1 - RHO) * G**2))
    if hp["centered"]:
        steps.append((GBAR, RHO * GBAR + (1 - RHO) * G))
        steps.append((A, sp.sqrt(V - GBAR**2 + EPS)))
    else:
        steps.append((A, sp.sqrt(V + EPS)))
    if on(hp["momentum"]):
        steps.append((B, MU * B + ETA * G / A))
        return [*steps, (THETA, THETA - B)]
    return [*steps, (THETA, THETA - ETA * G / A)]


def _keras_adadelta(hp: dict) -> list:
    steps = keras_decay(hp)
    steps.append((V, RHO * V + (1 - RHO) * G**2))
    steps.append((DELTA, -sp.sqrt(U + EPS) * G / sp.sqrt(V + EPS)))
    steps.append((U, RHO * U + (1 - RHO) * DELTA**2))
    return [*steps, (THETA, THETA + ETA * DELTA)]


def _bias_corrected_lr():
    return (LR_T, ETA * sp.sqrt(1 - BETA2**T) / (1 - BETA1**T))


def _keras_moments() -> list:
    return [(M, M + (1 - BETA1) * (G - M)), (V, V + (1 - BETA2) * (G**2 - V))]


def _keras_adam(hp: dict) -> list:
    steps = [*keras_decay(hp), _bias_corrected_lr(), *_keras_moments()]
    second = V
    if hp["amsgrad"]:
        steps.append((VMAX, sp.Max(VMAX, V)))
        second = VMAX
    return [*steps, (THETA, THETA - LR_T * M / (sp.sqrt(second) + EPS))]


def _keras_nadam(hp: dict) -> list:
    half, base = sp.Rational(1, 2), sp.Float(0.96)
    steps = keras_decay(hp)
    steps.append((MU_T, BETA1 * (1 - half * base**T)))
    steps.append((MU_NEXT, BETA1 * (1 - half * base ** (T + 1))))
    steps.append((PI, PI * MU_T))
    steps += _keras_moments()
    ahead = MU_NEXT * M / (1 - PI * MU_NEXT)
    steps.append((MHAT, sp.Add(ahead, (1 - MU_T) * G / (1 - PI))))
    steps.append((VHAT, V / (1 - BETA2**T)))
    return [*steps, (THETA, THETA - ETA * MHAT / (sp.sqrt(VHAT) + EPS))]


def _keras_adamax(hp: dict) -> list:
    steps = keras_decay(hp)
    steps.append((M, M + (1 - BETA1) * (G - M)))
    steps.append((U, sp.Max(BETA2 * U, sp.Abs(G))))
    return [*steps, (THETA, THETA - ETA * M / ((1 - BETA1**T) * (U + EPS)))]


def _keras_lion(hp: dict) -> list:
    steps = keras_decay(hp)
    steps.append((C, BETA1 * M + (1 - BETA1) * G))
    steps.append((THETA, THETA - ETA * sp.sign(C)))
    return [*steps, (M, BETA2 * M + (1 - BETA2) * G)]


def _written(convention: str, factories: Mapping, lr_keyword: str, keywords: Mapping):
    """A maker of ``convention``'s records: ``make(key, rule, state, meanings, **extra)``
    with the factory ``factories[key]`` and the convention's keyword letters."""

    def make(key: str, rule, state: dict, meanings: dict, **extra) -> UpdateRule:
        return UpdateRule(
            convention=convention,
            key=key,
            factory=factories[key],
            lr_keyword=lr_keyword,
            keywords=keywords,
            state=MappingProxyType(state),
            meanings=MappingProxyType(meanings),
            rule=rule,
            **extra,
        )

    return make


_keras = _written("keras", KERAS, "learning_rate", _KERAS_KEYWORDS)


_KERAS_ADAM_STATE = {"momentum": M, "velocity": V, "velocity_hat": VMAX}
_KERAS_ADAM_MEANINGS = {"momentum": "grad_avg", "velocity": "sq_avg", "velocity_hat": "sq_max"}


def _keras_adam_factor(hp: dict) -> sp.Expr:
    return LR_T / (sp.sqrt(VMAX if hp["amsgrad"] else V) + EPS)


KERAS_RULES: tuple[UpdateRule, ...] = (
    _keras(
        "sgd",
        _keras_sgd,
        {"momentum": V},
        {"momentum": "velocity"},
        step_factor=lambda hp: None if on(hp["momentum"]) else ETA,
    ),
    _keras(
        "adagrad",
        _keras_adagrad,
        {"accumulator": S},
        {"accumulator": "sq_sum"},
        step_factor=lambda hp: ETA / sp.sqrt(S + EPS),
        course={S: ("h", "h")},
    ),
    _keras(
        "rmsprop",
        _keras_rmsprop,
        {"velocity": V, "momentum": B, "average_gradient": GBAR},
        {"velocity": "sq_avg", "momentum": "buffer", "average_gradient": "grad_avg"},
        step_factor=lambda hp: ETA / A,
        course={V: ("h", "h")},
    ),
    _keras(
        "adadelta",
        _keras_adadelta,
        {"accumulated_grad": V, "accumulated_delta_var": U},
        {"accumulated_grad": "sq_avg", "accumulated_delta_var": "delta_avg"},
        step_factor=lambda hp: ETA * sp.sqrt(U + EPS) / sp.sqrt(V + EPS),
        factor_reads_before=frozenset({U}),
        course=TORCH_COURSE["adadelta"],
    ),
    _keras(
        "adam",
        _keras_adam,
        _KERAS_ADAM_STATE,
        _KERAS_ADAM_MEANINGS,
        step_factor=_keras_adam_factor,
    ),
    _keras(
        "adamw",
        _keras_adam,
        _KERAS_ADAM_STATE,
        _KERAS_ADAM_MEANINGS,
        step_factor=_keras_adam_factor,
    ),
    _keras(
        "nadam",
        _keras_nadam,
        {"u_product": PI, "momentum": M, "velocity": V},
        {"u_product": "mu_product", "momentum": "grad_avg", "velocity": "sq_avg"},
        step_factor=lambda hp: ETA / (sp.sqrt(VHAT) + EPS),
    ),
    _keras(
        "adamax",
        _keras_adamax,
        {"momentum": M, "norm": U},
        {"momentum": "grad_avg", "norm": "inf_norm"},
        step_factor=lambda hp: ETA / ((1 - BETA1**T) * (U + EPS)),
    ),
    _keras("lion", _keras_lion, {"momentum": M}, {"momentum": "grad_avg"}),
)
"""Keras 3's rules, one per key of :data:`optviz.keras_optimizers.KERAS`."""


# ---------------------------------------------------------------------------------------
# the book (「ゼロから作るDeep Learning」 common/optimizer.py)

_BOOK_KEYWORDS = {
    "lr": ETA,
    "momentum": ALPHA,
    "decay_rate": RHO,
    "beta1": BETA1,
    "beta2": BETA2,
}


def _book_sgd(hp: dict) -> list:
    return [(THETA, THETA - ETA * G)]


def _book_momentum(hp: dict) -> list:
    return [(V, ALPHA * V - ETA * G), (THETA, THETA + V)]


def _book_nesterov(hp: dict) -> list:
    ahead = THETA + ALPHA**2 * V
    return [
        (THETA, ahead - (1 + ALPHA) * ETA * G),
        (V, ALPHA * V - ETA * G),
    ]


def _book_adagrad(hp: dict) -> list:
    return [(H, H + G**2), (THETA, THETA - ETA * G / (sp.sqrt(H) + EPS))]


def _book_rmsprop(hp: dict) -> list:
    return [
        (H, RHO * H + (1 - RHO) * G**2),
        (THETA, THETA - ETA * G / (sp.sqrt(H) + EPS)),
    ]


def _book_adam(hp: dict) -> list:
    return [
        _bias_corrected_lr(),
        *_keras_moments(),
        (THETA, THETA - LR_T * M / (sp.sqrt(V) + EPS)),
    ]


_book = _written("textbook", TEXTBOOK, "lr", _BOOK_KEYWORDS)


_BOOK_EPSILON = MappingProxyType({EPS: BOOK_EPS})

TEXTBOOK_RULES: tuple[UpdateRule, ...] = (
    _book("sgd", _book_sgd, {}, {}, step_factor=lambda hp: ETA),
    _book("momentum", _book_momentum, {"v": V}, {"v": "velocity"}),
    _book("nesterov", _book_nesterov, {"v": V}, {"v": "velocity"}),
    _book(
        "adagrad",
        _book_adagrad,
        {"h": H},
        {"h": "sq_sum"},
        step_factor=lambda hp: ETA / (sp.sqrt(H) + EPS),
        constants=_BOOK_EPSILON,
    ),
    _book(
        "rmsprop",
        _book_rmsprop,
        {"h": H},
        {"h": "sq_avg"},
        step_factor=lambda hp: ETA / (sp.sqrt(H) + EPS),
        constants=_BOOK_EPSILON,
    ),
    _book(
        "adam",
        _book_adam,
        {"m": M, "v": V},
        {"m": "grad_avg", "v": "sq_avg"},
        step_factor=lambda hp: LR_T / (sp.sqrt(V) + EPS),
        constants=_BOOK_EPSILON,
    ),
)
"""The book's rules, one per key of :data:`optviz.textbook_optimizers.TEXTBOOK`."""


RULES: Mapping[str, Mapping[str, UpdateRule]] = MappingProxyType(
    {
        "pytorch": MappingProxyType({spec.key: torch_rule(spec) for spec in SPECS}),
        "keras": MappingProxyType({rule.key: rule for rule in KERAS_RULES}),
        "textbook": MappingProxyType({rule.key: rule for rule in TEXTBOOK_RULES}),
    }
)
"""Convention -> registry key -> its :class:`UpdateRule`."""

OWN_SYMBOLS: Mapping[sp.Symbol, tuple[str, str]] = MappingProxyType(
    {
        symbol: names
        for by_key in RULES.values()
        for record in by_key.values()
        for symbol, names in record.symbols.items()
    }
)
"""Symbols some record declares -> ``(LaTeX, text)``."""
