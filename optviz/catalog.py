"""One record per optimizer: everything the app knows about a method, in one place.

An :class:`OptimizerSpec` holds

* the factory (:mod:`optviz.optimizers`: the pure NumPy port of the torch class),
* the torch class the exported PyTorch script constructs (and the source of a class torch
  does not ship, such as Lion),
* the display names (English and Japanese),
* one :class:`Keyword` record per keyword of the factory, in the factory's order: its
  label (en, ja), the range torch accepts, a suggested range for sweeps and whether it is
  spaced geometrically, whether a sweep may vary it, and its symbol in the update rule,
* the keyword the method is taught by (``taught``: SGD's momentum μ, Adam's β₁ β₂,
  RMSprop's α, AdaDelta's ρ), shown next to the learning rate on the page,
* a one-line description and a note on where PyTorch, Keras and the textbooks differ,
* the update rule as ordered SymPy assignments (``rule``), with the state buffers'
  symbols, the per-coordinate step factor, and any symbol of its own.

Every registry the app uses is derived from :data:`SPECS`: :data:`OPTIMIZERS`,
:data:`DISPLAY_NAMES`, :func:`keyword_labels` (the page's labels), :func:`sweep_ranges`
and :func:`sweep_entries` (:mod:`optviz.explore`), :func:`taught_keywords`, the tables of
:mod:`optviz.equations` and :mod:`optviz.inspector`, and the torch classes of
:mod:`optviz.exports`.

Adding an optimizer: its factory and state in :mod:`optviz.optimizers`, its record here
(appended to :data:`SPECS`). The tests pick it up from :data:`OPTIMIZERS`.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
import sympy as sp

from . import optimizers as O
from .symbols import (
    ALPHA,
    BETA1,
    BETA2,
    DELTA,
    EPS,
    ETA,
    ETA_T,
    GAMMA,
    GBAR,
    LAM,
    MHAT,
    MU,
    MU_NEXT,
    MU_T,
    PI,
    PSI,
    RHO,
    RHO_INF,
    RHO_T,
    RMS,
    TAU,
    THETA,
    VHAT,
    VMAX,
    A,
    B,
    C,
    G,
    M,
    R,
    S,
    T,
    U,
    V,
)

# ---------------------------------------------------------------------------------------
# records


class Interval(NamedTuple):
    """The values torch accepts: ``low`` to ``high``, each end included or not."""

    low: float = -math.inf
    high: float = math.inf
    low_closed: bool = True
    high_closed: bool = True

    def __contains__(self, value) -> bool:
        above = value >= self.low if self.low_closed else value > self.low
        below = value <= self.high if self.high_closed else value < self.high
        return bool(above and below)


ANY = Interval()
NON_NEGATIVE = Interval(0.0)
UNIT = Interval(0.0, 1.0)
UNIT_OPEN_TOP = Interval(0.0, 1.0, high_closed=False)


@dataclass(frozen=True)
class Keyword:
    """One keyword of an optimizer, or one entry of a pair keyword such as ``betas``.

    name: torch's keyword name; for an entry of a pair, the name labels and sweeps use
        (``beta1``).
    label: ``{"en": ..., "ja": ...}`` as the page and the study figures show it.
    valid: the values torch accepts (None for switches and pairs; their entries have one).
    low, high: suggested range (sweeps); ``log``: spaced geometrically.
    sweepable: a hyperparameter sweep may vary it (it then needs ``low``/``high``).
    symbol: its symbol in the update rule, if any.
    parts: a pair keyword's entries (``betas`` -> β₁, β₂); empty otherwise.
    switch: an on/off keyword (``maximize``, ``nesterov``, ...).
    """

    name: str
    label: Mapping[str, str]
    valid: Interval | None = ANY
    low: float | None = None
    high: float | None = None
    log: bool = False
    sweepable: bool = False
    symbol: sp.Symbol | None = None
    parts: tuple[Keyword, ...] = ()
    switch: bool = False


def _switch(name: str, en: str, ja: str) -> Keyword:
    return Keyword(name, {"en": en, "ja": ja}, valid=None, switch=True)


def _pair(name: str, en: str, ja: str, *parts: Keyword) -> Keyword:
    return Keyword(name, {"en": en, "ja": ja}, valid=None, parts=parts)


class TorchClass(NamedTuple):
    """How the PyTorch script constructs the optimizer: ``path(params, lr=..., ...)`` with
    every keyword of the record but ``maximize`` (added last, with ``foreach=False``).
    ``source``: a class definition the script carries (a method torch does not ship)."""

    path: str
    source: str = ""


@dataclass(frozen=True)
class OptimizerSpec:
    """Everything about one optimizer (see the module docstring).

    key: the registry key (``"adam"``). factory: its :mod:`optviz.optimizers` factory.
    names: display names ``{"en", "ja"}``. torch: :class:`TorchClass`.
    keywords: a :class:`Keyword` per keyword of the factory, in its order.
    taught: the keyword shown next to lr (None: every keyword under "More settings").
    description, note: ``{"en", "ja"}`` texts of the equations panel.
    family: the update-rule family (momentum and Nesterov are SGD; AdamW is Adam).
    state: state NamedTuple field (torch's buffer name) -> symbol.
    rule: resolved keywords -> the update as ordered ``(lhs, rhs)`` SymPy assignments.
    step_factor: resolved keywords -> the factor P with ``Δθ = −P · direction`` (None if
        the method has no such factor).
    factor_reads_before: symbols the step factor takes from before the step (AdaDelta's u).
    symbols: symbols of its own -> ``(LaTeX, readable name)``.
    """

    key: str
    factory: Callable[..., O.Optimizer]
    names: Mapping[str, str]
    torch: TorchClass
    keywords: tuple[Keyword, ...]
    taught: str | None
    description: Mapping[str, str]
    note: Mapping[str, str]
    family: str
    state: Mapping[str, sp.Symbol]
    rule: Callable[[dict], list]
    step_factor: Callable[[dict], sp.Expr | None] = lambda hp: None
    factor_reads_before: frozenset = frozenset()
    symbols: Mapping[sp.Symbol, tuple[str, str]] = field(default_factory=dict)

    @property
    def defaults(self) -> dict[str, Any]:
        """Keyword -> default, read from the factory's signature (``lr`` included)."""
        return {
            name: p.default
            for name, p in inspect.signature(self.factory).parameters.items()
            if p.default is not inspect.Parameter.empty
        }

    def keyword(self, name: str) -> Keyword:
        """The record of keyword ``name``; KeyError if the optimizer has none."""
        for kw in self.keywords:
            if kw.name == name:
                return kw
        raise KeyError(f"{self.key} has no keyword {name!r}")


# ---------------------------------------------------------------------------------------
# keywords shared by several optimizers (in the order sweeps list them)

LR = Keyword(
    "lr",
    {"en": "learning rate lr", "ja": "学習率 lr"},
    NON_NEGATIVE,
    1e-5,
    10.0,
    log=True,
    sweepable=True,
    symbol=ETA,
)
MOMENTUM = Keyword(
    "momentum",
    {"en": "momentum μ", "ja": "モメンタム μ"},
    NON_NEGATIVE,
    0.0,
    0.99,
    sweepable=True,
    symbol=MU,
)
DAMPENING = Keyword(
    "dampening",
    {"en": "dampening τ", "ja": "ダンピング τ"},
    ANY,
    0.0,
    0.9,
    sweepable=True,
    symbol=TAU,
)
BETAS = _pair(
    "betas",
    "betas (β₁, β₂)",
    "betas (β₁, β₂)",
    Keyword(
        "beta1", {"en": "β₁", "ja": "β₁"}, UNIT_OPEN_TOP, 0.0, 0.99, sweepable=True, symbol=BETA1
    ),
    Keyword(
        "beta2", {"en": "β₂", "ja": "β₂"}, UNIT_OPEN_TOP, 0.9, 0.9999, sweepable=True, symbol=BETA2
    ),
)
EPSILON = Keyword(
    "eps", {"en": "ε", "ja": "ε"}, NON_NEGATIVE, 1e-10, 1.0, log=True, sweepable=True, symbol=EPS
)
SMOOTHING = Keyword(
    "alpha",
    {"en": "smoothing α", "ja": "減衰率 α"},
    NON_NEGATIVE,
    0.5,
    0.999,
    sweepable=True,
    symbol=ALPHA,
)
DECAY_RHO = Keyword("rho", {"en": "ρ", "ja": "ρ"}, UNIT, 0.5, 0.999, sweepable=True, symbol=RHO)
WEIGHT_DECAY = Keyword(
    "weight_decay",
    {"en": "weight decay λ", "ja": "荷重減衰 λ"},
    NON_NEGATIVE,
    0.0,
    0.5,
    sweepable=True,
    symbol=LAM,
)
LR_DECAY = Keyword(
    "lr_decay",
    {"en": "lr decay", "ja": "学習率の減衰"},
    NON_NEGATIVE,
    0.0,
    0.5,
    sweepable=True,
    symbol=GAMMA,
)
INITIAL_ACCUMULATOR = Keyword(
    "initial_accumulator_value",
    {"en": "initial accumulator", "ja": "累積の初期値"},
    NON_NEGATIVE,
    0.0,
    1.0,
    sweepable=True,
)
MOMENTUM_DECAY = Keyword(
    "momentum_decay",
    {"en": "momentum decay ψ", "ja": "モメンタム減衰 ψ"},
    NON_NEGATIVE,
    0.0,
    0.05,
    sweepable=True,
    symbol=PSI,
)
NESTEROV = _switch("nesterov", "Nesterov", "Nesterov")
MAXIMIZE = _switch("maximize", "maximize", "最大化")
CENTERED = _switch("centered", "centered", "中心化")
AMSGRAD = _switch("amsgrad", "AMSGrad", "AMSGrad")
DECOUPLED = _switch("decoupled_weight_decay", "decoupled decay", "分離型の荷重減衰")

SHARED_KEYWORDS: tuple[Keyword, ...] = (
    LR,
    MOMENTUM,
    DAMPENING,
    BETAS,
    EPSILON,
    SMOOTHING,
    DECAY_RHO,
    WEIGHT_DECAY,
    LR_DECAY,
    INITIAL_ACCUMULATOR,
    MOMENTUM_DECAY,
    NESTEROV,
    MAXIMIZE,
    CENTERED,
    AMSGRAD,
    DECOUPLED,
)
"""Keywords several optimizers take (one record each); an optimizer's own keywords live
in its record."""

# ---------------------------------------------------------------------------------------
# update rules: ordered SymPy assignments (see optviz.equations)


def on(value) -> bool:
    """True if a hyperparameter is switched on (a non-zero number or array, or True)."""
    return bool(np.any(np.asarray(value, dtype=float) != 0))


def ema(decay, old, new):
    """``decay·old + (1 − decay)·new`` (unevaluated, in reading order)."""
    return decay * old + (1 - decay) * new


def prelude(hp: dict, *, decoupled: bool) -> list:
    """``g ← −g`` (maximize), then coupled ``g ← g + λθ`` or decoupled ``θ ← θ(1 − ηλ)``."""
    steps = []
    if hp.get("maximize"):
        steps.append((G, -G))
    if on(hp.get("weight_decay", 0.0)):
        if decoupled:
            steps.append((THETA, THETA * (1 - ETA * LAM)))
        else:
            steps.append((G, G + LAM * THETA))
    return steps


def _sgd_rule(hp: dict) -> list:
    steps = prelude(hp, decoupled=False)
    if not on(hp["momentum"]):
        return [*steps, (THETA, THETA - ETA * G)]
    later = MU * B + ((1 - TAU) * G if on(hp["dampening"]) else G)
    steps.append((B, sp.Piecewise((G, sp.Eq(T, 1)), (later, True))))
    if hp["nesterov"]:
        return [*steps, (THETA, THETA - ETA * (G + MU * B))]
    return [*steps, (THETA, THETA - ETA * B)]


def _adagrad_rate(hp: dict) -> sp.Symbol:
    return ETA_T if on(hp["lr_decay"]) else ETA


def _adagrad_rule(hp: dict) -> list:
    steps = prelude(hp, decoupled=False)
    if on(hp["lr_decay"]):
        steps.append((ETA_T, ETA / (1 + (T - 1) * GAMMA)))
    steps.append((S, S + G**2))
    return [*steps, (THETA, THETA - _adagrad_rate(hp) * G / (sp.sqrt(S) + EPS))]


def _rmsprop_rule(hp: dict) -> list:
    steps = prelude(hp, decoupled=False)
    steps.append((V, ema(ALPHA, V, G**2)))
    if hp["centered"]:
        steps.append((GBAR, ema(ALPHA, GBAR, G)))
        steps.append((A, sp.sqrt(V - GBAR**2) + EPS))
    else:
        steps.append((A, sp.sqrt(V) + EPS))
    if on(hp["momentum"]):
        steps.append((B, MU * B + G / A))
        return [*steps, (THETA, THETA - ETA * B)]
    return [*steps, (THETA, THETA - ETA * G / A)]


def _adadelta_rule(hp: dict) -> list:
    steps = prelude(hp, decoupled=False)
    steps.append((V, ema(RHO, V, G**2)))
    steps.append((DELTA, sp.sqrt(U + EPS) / sp.sqrt(V + EPS) * G))
    steps.append((U, ema(RHO, U, DELTA**2)))
    return [*steps, (THETA, THETA - ETA * DELTA)]


def moments(hp: dict, *, decoupled: bool) -> list:
    """Prelude, then ``m ← β₁m + (1 − β₁)g`` and ``v ← β₂v + (1 − β₂)g²``."""
    return [
        *prelude(hp, decoupled=decoupled),
        (M, ema(BETA1, M, G)),
        (V, ema(BETA2, V, G**2)),
    ]


def _adam_rule(hp: dict) -> list:
    steps = moments(hp, decoupled=hp["decoupled_weight_decay"])
    second = V
    if hp["amsgrad"]:
        steps.append((VMAX, sp.Max(VMAX, V)))
        second = VMAX
    steps.append((MHAT, M / (1 - BETA1**T)))
    steps.append((VHAT, second / (1 - BETA2**T)))
    return [*steps, (THETA, THETA - ETA * MHAT / (sp.sqrt(VHAT) + EPS))]


def _adamax_rule(hp: dict) -> list:
    steps = prelude(hp, decoupled=False)
    steps.append((M, ema(BETA1, M, G)))
    steps.append((U, sp.Max(BETA2 * U, sp.Abs(G) + EPS)))
    steps.append((MHAT, M / (1 - BETA1**T)))
    return [*steps, (THETA, THETA - ETA * MHAT / U)]


def _nadam_rule(hp: dict) -> list:
    half, base = sp.Rational(1, 2), sp.Float(0.96)
    steps = prelude(hp, decoupled=hp["decoupled_weight_decay"])
    steps.append((MU_T, BETA1 * (1 - half * base ** (T * PSI))))
    steps.append((MU_NEXT, BETA1 * (1 - half * base ** ((T + 1) * PSI))))
    steps.append((PI, PI * MU_T))
    steps.append((M, ema(BETA1, M, G)))
    steps.append((V, ema(BETA2, V, G**2)))
    steps.append((VHAT, V / (1 - BETA2**T)))
    steps.append((A, sp.sqrt(VHAT) + EPS))
    current = ETA * (1 - MU_T) * G / ((1 - PI) * A)
    ahead = ETA * MU_NEXT * M / ((1 - PI * MU_NEXT) * A)
    return [*steps, (THETA, sp.Add(THETA, -current, -ahead))]


def _radam_rule(hp: dict) -> list:
    steps = moments(hp, decoupled=hp["decoupled_weight_decay"])
    steps.append((MHAT, M / (1 - BETA1**T)))
    steps.append((RHO_INF, 2 / (1 - BETA2) - 1))
    steps.append((RHO_T, RHO_INF - 2 * T * BETA2**T / (1 - BETA2**T)))
    ratio = (RHO_T - 4) * (RHO_T - 2) * RHO_INF / ((RHO_INF - 4) * (RHO_INF - 2) * RHO_T)
    steps.append((R, sp.sqrt(ratio)))  # used only where ρ_t > 5
    rectified = THETA - ETA * R * MHAT * sp.sqrt(1 - BETA2**T) / (sp.sqrt(V) + EPS)
    plain = THETA - ETA * MHAT
    return [*steps, (THETA, sp.Piecewise((rectified, RHO_T > 5), (plain, True)))]


def _lion_rule(hp: dict) -> list:
    steps = prelude(hp, decoupled=True)
    steps.append((C, ema(BETA1, M, G)))
    steps.append((THETA, THETA - ETA * sp.sign(C)))
    return [*steps, (M, ema(BETA2, M, G))]


# ---------------------------------------------------------------------------------------
# texts

_MOMENTUM_NOTE = {
    "en": (
        "PyTorch: b ← μb + g (b = g on step 1), θ ← θ − ηb. Keras: v ← μv − ηg, θ ← θ + v "
        "(the same path for a constant η; with a schedule they differ, because Keras folds "
        "η into v). Textbook EMA form v ← βv + (1−β)g, θ ← θ − αv equals PyTorch with "
        "η = α(1−β): a 10× smaller learning rate for β = 0.9. Default lr: PyTorch 1e-3, "
        "Keras 0.01."
    ),
    "ja": (
        "PyTorch：b ← μb + g（1 ステップ目は b = g）、θ ← θ − ηb。Keras：v ← μv − ηg、"
        "θ ← θ + v（η が一定なら同じ経路。Keras は η を v に含めるため、学習率スケジュールが"
        "あると異なります）。教科書の指数移動平均形 v ← βv + (1−β)g、θ ← θ − αv は "
        "η = α(1−β) の PyTorch と同じで、β = 0.9 なら学習率が 10 分の 1 に相当します。"
        "既定の学習率：PyTorch 1e-3、Keras 0.01。"
    ),
}

_SGD_TORCH = TorchClass("torch.optim.SGD")

_LION_SOURCE = """
class Lion(torch.optim.Optimizer):
    \"\"\"Lion (Chen et al. 2023), the update of the lion-pytorch package.\"\"\"

    def __init__(self, params, lr=1e-4, betas=(0.9, 0.99), weight_decay=0.0, maximize=False,
                 foreach=False):
        defaults = dict(lr=lr, betas=betas, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            lr, wd, (beta1, beta2) = group["lr"], group["weight_decay"], group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = -p.grad if group["maximize"] else p.grad
                state = self.state[p]
                if not state:
                    state["exp_avg"] = torch.zeros_like(p)
                exp_avg = state["exp_avg"]
                p.mul_(1 - lr * wd)
                update = exp_avg.clone().mul_(beta1).add(grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-lr)
                exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)
"""


def _names(name: str) -> Mapping[str, str]:
    return MappingProxyType({"en": name, "ja": name})


# ---------------------------------------------------------------------------------------
# the records

_SGD_KEYWORDS = (LR, MOMENTUM, DAMPENING, WEIGHT_DECAY, NESTEROV, MAXIMIZE)
_SGD_COMMON = dict(
    torch=_SGD_TORCH,
    keywords=_SGD_KEYWORDS,
    taught="momentum",
    family="sgd",
    state=MappingProxyType({"momentum_buffer": B}),
    rule=_sgd_rule,
    step_factor=lambda hp: ETA,
)

SGD = OptimizerSpec(
    key="sgd",
    factory=O.sgd,
    names=_names("SGD"),
    description={
        "en": "Plain gradient descent: step against the gradient, scaled by the learning rate.",
        "ja": "素朴な勾配降下法：勾配と逆向きに、学習率倍だけ進みます。",
    },
    note={
        "en": "Default learning rate: PyTorch 1e-3, Keras 0.01.",
        "ja": "既定の学習率：PyTorch 1e-3、Keras 0.01。",
    },
    **_SGD_COMMON,
)

MOMENTUM_SGD = OptimizerSpec(
    key="momentum",
    factory=O.momentum,
    names=_names("Momentum"),
    description={
        "en": "Heavy-ball momentum: a running sum of past gradients keeps the velocity.",
        "ja": "重球モメンタム：過去の勾配を積み重ねた速度で進みます。",
    },
    note=_MOMENTUM_NOTE,
    **_SGD_COMMON,
)

NESTEROV_SGD = OptimizerSpec(
    key="nesterov",
    factory=O.nesterov,
    names=_names("Nesterov"),
    description={
        "en": "Nesterov momentum: corrects the momentum step with a look-ahead gradient.",
        "ja": "ネステロフのモメンタム：先読みした勾配で慣性のステップを補正します。",
    },
    note={
        "en": (
            "PyTorch and Keras use the reformulation that needs only the gradient at the "
            "current point: θ ← θ − η(g + μb). Nesterov's original form evaluates the "
            "gradient at the look-ahead point θ + μv; the two give the same iterates up to "
            "a change of variables."
        ),
        "ja": (
            "PyTorch と Keras は現在地点の勾配だけで済む書き換え θ ← θ − η(g + μb) を使います。"
            "ネステロフの元の形は先読み点 θ + μv で勾配を評価しますが、変数の置き換えで"
            "同じ更新の列になります。"
        ),
    },
    **_SGD_COMMON,
)

ADAGRAD = OptimizerSpec(
    key="adagrad",
    factory=O.adagrad,
    names=_names("AdaGrad"),
    torch=TorchClass("torch.optim.Adagrad"),
    keywords=(LR, LR_DECAY, WEIGHT_DECAY, INITIAL_ACCUMULATOR, EPSILON, MAXIMIZE),
    taught=None,
    description={
        "en": "Divides by the root of all past squared gradients, so steps keep shrinking.",
        "ja": "過去の勾配の二乗の総和の平方根で割るため、ステップは縮み続けます。",
    },
    note={
        "en": (
            "PyTorch: ε outside the root, √s + ε; lr 1e-2; s starts at 0. Keras 3: ε inside, "
            "√(s + ε); lr 1e-3; s starts at 0.1; ε = 1e-7."
        ),
        "ja": (
            "PyTorch：ε は平方根の外（√s + ε）、学習率 1e-2、s の初期値 0。Keras 3：ε は"
            "平方根の中（√(s + ε)）、学習率 1e-3、s の初期値 0.1、ε = 1e-7。"
        ),
    },
    family="adagrad",
    state=MappingProxyType({"sum": S}),
    rule=_adagrad_rule,
    step_factor=lambda hp: _adagrad_rate(hp) / (sp.sqrt(S) + EPS),
)

RMSPROP = OptimizerSpec(
    key="rmsprop",
    factory=O.rmsprop,
    names=_names("RMSprop"),
    torch=TorchClass("torch.optim.RMSprop"),
    keywords=(LR, SMOOTHING, EPSILON, WEIGHT_DECAY, MOMENTUM, CENTERED, MAXIMIZE),
    taught="alpha",
    description={
        "en": "Divides by the root of a moving average of squared gradients.",
        "ja": "勾配の二乗の移動平均の平方根で割ります。",
    },
    note={
        "en": (
            "PyTorch: α = 0.99, lr 1e-2, ε = 1e-8 outside the root. Keras 3: ρ = 0.9 (the same "
            "role as α), lr 1e-3, ε = 1e-7 inside the root, √(v + ε), and its momentum buffer "
            "includes η."
        ),
        "ja": (
            "PyTorch：α = 0.99、学習率 1e-2、ε = 1e-8 は平方根の外。Keras 3：ρ = 0.9（α と同じ"
            "役割）、学習率 1e-3、ε = 1e-7 は平方根の中（√(v + ε)）、モメンタムのバッファに η を"
            "含みます。"
        ),
    },
    family="rmsprop",
    state=MappingProxyType({"square_avg": V, "grad_avg": GBAR, "momentum_buffer": B}),
    rule=_rmsprop_rule,
    step_factor=lambda hp: ETA / A,
)

ADADELTA = OptimizerSpec(
    key="adadelta",
    factory=O.adadelta,
    names=_names("AdaDelta"),
    torch=TorchClass("torch.optim.Adadelta"),
    keywords=(LR, DECAY_RHO, EPSILON, WEIGHT_DECAY, MAXIMIZE),
    taught="rho",
    description={
        "en": "Scales the step by the ratio of past step sizes to past gradient sizes (RMS).",
        "ja": "過去のステップの大きさと勾配の大きさ（RMS）の比で更新量を決めます。",
    },
    note={
        "en": (
            "The original method has no learning rate; PyTorch's default lr = 1.0 matches it. "
            "Keras 3 defaults to lr 1e-3 (1000× smaller steps), ρ = 0.95, ε = 1e-7; "
            "PyTorch uses ρ = 0.9, ε = 1e-6."
        ),
        "ja": (
            "元の手法には学習率がなく、PyTorch の既定値 lr = 1.0 がそれに当たります。Keras 3 の"
            "既定は学習率 1e-3（更新量が 1000 分の 1）、ρ = 0.95、ε = 1e-7。PyTorch は ρ = 0.9、"
            "ε = 1e-6。"
        ),
    },
    family="adadelta",
    state=MappingProxyType({"square_avg": V, "acc_delta": U}),
    rule=_adadelta_rule,
    step_factor=lambda hp: ETA * sp.sqrt(U + EPS) / sp.sqrt(V + EPS),
    factor_reads_before=frozenset({U}),
)

_ADAM_STATE = MappingProxyType({"exp_avg": M, "exp_avg_sq": V, "max_exp_avg_sq": VMAX})

ADAM = OptimizerSpec(
    key="adam",
    factory=O.adam,
    names=_names("Adam"),
    torch=TorchClass("torch.optim.Adam"),
    keywords=(LR, BETAS, EPSILON, WEIGHT_DECAY, AMSGRAD, MAXIMIZE, DECOUPLED),
    taught="betas",
    description={
        "en": "Momentum plus RMSprop scaling, with bias correction of both averages.",
        "ja": "モメンタムと RMSprop の組み合わせに、両平均のバイアス補正を加えたものです。",
    },
    note={
        "en": (
            "PyTorch adds ε after bias correction, √v̂ + ε (Algorithm 1 of the paper), "
            "ε = 1e-8. Keras adds ε before it (the paper's ε̂, √v + ε̂), ε = 1e-7. The "
            "difference shows only while √v is tiny. Both default to lr 1e-3."
        ),
        "ja": (
            "PyTorch はバイアス補正の後に ε を足します（√v̂ + ε、論文のアルゴリズム 1）、ε = 1e-8。"
            "Keras は補正の前に足します（論文の ε̂、√v + ε̂）、ε = 1e-7。違いが出るのは √v が"
            "非常に小さいときだけです。既定の学習率はどちらも 1e-3。"
        ),
    },
    family="adam",
    state=_ADAM_STATE,
    rule=_adam_rule,
    step_factor=lambda hp: ETA / (sp.sqrt(VHAT) + EPS),
)

ADAMW = OptimizerSpec(
    key="adamw",
    factory=O.adamw,
    names=_names("AdamW"),
    torch=TorchClass("torch.optim.AdamW"),
    keywords=(LR, BETAS, EPSILON, WEIGHT_DECAY, AMSGRAD, MAXIMIZE),
    taught="betas",
    description={
        "en": "Adam with weight decay applied directly to θ (decoupled from the gradient).",
        "ja": "荷重減衰を勾配とは切り離して θ に直接かける Adam です。",
    },
    note={
        "en": (
            "PyTorch decays θ ← θ(1 − ηλ) with λ = 1e-2: the decay is scaled by the learning "
            "rate. In Loshchilov & Hutter's paper λ is multiplied only by the schedule "
            "factor, not by the learning rate α."
        ),
        "ja": (
            "PyTorch は θ ← θ(1 − ηλ)（λ = 1e-2）で減衰させるため、減衰の強さが学習率に比例"
            "します。Loshchilov と Hutter の論文では λ にはスケジュールの係数だけが掛かり、"
            "学習率 α は掛かりません。"
        ),
    },
    family="adam",
    state=_ADAM_STATE,
    rule=_adam_rule,
    step_factor=lambda hp: ETA / (sp.sqrt(VHAT) + EPS),
)

NADAM = OptimizerSpec(
    key="nadam",
    factory=O.nadam,
    names=_names("NAdam"),
    torch=TorchClass("torch.optim.NAdam"),
    keywords=(LR, BETAS, EPSILON, WEIGHT_DECAY, MOMENTUM_DECAY, DECOUPLED, MAXIMIZE),
    taught="betas",
    description={
        "en": "Adam with Nesterov momentum (a look-ahead mix of g and m).",
        "ja": "ネステロフのモメンタムを取り入れた Adam（g と m を先読みの重みで混ぜます）。",
    },
    note={
        "en": (
            "PyTorch follows Dozat's momentum schedule μ_t = β₁(1 − ½·0.96^{tψ}) with "
            "ψ = 4e-3; default lr 2e-3."
        ),
        "ja": (
            "PyTorch は Dozat のモメンタムスケジュール μ_t = β₁(1 − ½·0.96^{tψ})（ψ = 4e-3）に"
            "従います。既定の学習率は 2e-3。"
        ),
    },
    family="nadam",
    state=MappingProxyType({"mu_product": PI, "exp_avg": M, "exp_avg_sq": V}),
    rule=_nadam_rule,
    step_factor=lambda hp: ETA / A,
)

RADAM = OptimizerSpec(
    key="radam",
    factory=O.radam,
    names=_names("RAdam"),
    torch=TorchClass("torch.optim.RAdam"),
    keywords=(LR, BETAS, EPSILON, WEIGHT_DECAY, DECOUPLED, MAXIMIZE),
    taught="betas",
    description={
        "en": "Adam whose adaptive step is switched on gradually (variance rectification).",
        "ja": "適応的なステップを徐々に有効にする Adam（分散の補正）。",
    },
    note={
        "en": (
            "PyTorch uses the rectified adaptive step only when ρ_t > 5; before that (steps "
            "1–5 with β₂ = 0.999) it takes an un-normalised momentum step η·m̂."
        ),
        "ja": (
            "PyTorch は ρ_t > 5 のときだけ補正付きの適応的ステップを使い、それまで（β₂ = 0.999 "
            "なら 1〜5 ステップ目）は正規化しないモメンタムのステップ η·m̂ を取ります。"
        ),
    },
    family="radam",
    state=MappingProxyType({"exp_avg": M, "exp_avg_sq": V}),
    rule=_radam_rule,
)

ADAMAX = OptimizerSpec(
    key="adamax",
    factory=O.adamax,
    names=_names("Adamax"),
    torch=TorchClass("torch.optim.Adamax"),
    keywords=(LR, BETAS, EPSILON, WEIGHT_DECAY, MAXIMIZE),
    taught="betas",
    description={
        "en": "Adam with the infinity norm: divides by a decaying maximum of |g|.",
        "ja": "無限大ノルム版の Adam：|g| の減衰する最大値で割ります。",
    },
    note={
        "en": (
            "PyTorch puts ε inside the max, u ← max(β₂u, |g| + ε), lr 2e-3 (the paper's "
            "default). Keras: u ← max(β₂u, |g|), divides by u + ε, lr 1e-3, ε = 1e-7."
        ),
        "ja": (
            "PyTorch は ε を max の中に入れます（u ← max(β₂u, |g| + ε)）、学習率 2e-3（論文の"
            "既定値）。Keras は u ← max(β₂u, |g|) で u + ε で割り、学習率 1e-3、ε = 1e-7。"
        ),
    },
    family="adamax",
    state=MappingProxyType({"exp_avg": M, "exp_inf": U}),
    rule=_adamax_rule,
    step_factor=lambda hp: ETA / U,
)

LION = OptimizerSpec(
    key="lion",
    factory=O.lion,
    names=_names("Lion"),
    torch=TorchClass("Lion", _LION_SOURCE),
    keywords=(
        LR,
        _pair(
            "betas",
            "betas (β₁, β₂)",
            "betas (β₁, β₂)",
            *(replace(part, valid=UNIT) for part in BETAS.parts),
        ),
        WEIGHT_DECAY,
        MAXIMIZE,
    ),
    taught="betas",
    description={
        "en": "Moves every coordinate by exactly ±lr: the sign of a momentum mix.",
        "ja": "モメンタムを混ぜた値の符号だけを使い、各座標をちょうど ±lr ずつ動かします。",
    },
    note={
        "en": (
            "lion-pytorch defaults: lr 1e-4, betas (0.9, 0.99). Because every step has size "
            "lr per coordinate, the authors suggest a learning rate 3–10× smaller than AdamW's "
            "and a weight decay 3–10× larger."
        ),
        "ja": (
            "lion-pytorch の既定値：学習率 1e-4、betas (0.9, 0.99)。各座標の更新量がちょうど "
            "学習率になるため、著者は AdamW より 3〜10 倍小さい学習率と 3〜10 倍大きい荷重減衰を"
            "勧めています。"
        ),
    },
    family="lion",
    state=MappingProxyType({"exp_avg": M}),
    rule=_lion_rule,
)

# Rprop: symbols and keywords of its own
GPREV, DSTEP, Q = sp.symbols("g_prev delta_s q")
ETA_MINUS, ETA_PLUS, DMIN, DMAX = sp.symbols("eta_minus eta_plus delta_min delta_max")


def _rprop_rule(hp: dict) -> list:
    steps = [(G, -G)] if hp["maximize"] else []
    steps.append((Q, sp.sign(G * GPREV)))
    factor = sp.Piecewise((ETA_PLUS, Q > 0), (ETA_MINUS, Q < 0), (1, True))
    steps.append((DSTEP, sp.Min(sp.Max(DSTEP * factor, DMIN), DMAX)))
    steps.append((G, sp.Piecewise((0, Q < 0), (G, True))))
    steps.append((THETA, THETA - sp.sign(G) * DSTEP))
    return [*steps, (GPREV, G)]


RPROP = OptimizerSpec(
    key="rprop",
    factory=O.rprop,
    names=_names("Rprop"),
    torch=TorchClass("torch.optim.Rprop"),
    keywords=(
        LR,
        _pair(
            "etas",
            "etas (η⁻, η⁺)",
            "etas (η⁻, η⁺)",
            Keyword(
                "eta_minus",
                {"en": "decrease η⁻", "ja": "減少の倍率 η⁻"},
                Interval(0.0, 1.0, False, False),
                0.1,
                0.9,
                sweepable=True,
                symbol=ETA_MINUS,
            ),
            Keyword(
                "eta_plus",
                {"en": "increase η⁺", "ja": "増加の倍率 η⁺"},
                Interval(1.0, math.inf, False, True),
                1.05,
                2.0,
                sweepable=True,
                symbol=ETA_PLUS,
            ),
        ),
        _pair(
            "step_sizes",
            "step_sizes (δ_min, δ_max)",
            "step_sizes (δ_min, δ_max)",
            Keyword("step_min", {"en": "min step δ_min", "ja": "更新量の下限 δ_min"}, symbol=DMIN),
            Keyword("step_max", {"en": "max step δ_max", "ja": "更新量の上限 δ_max"}, symbol=DMAX),
        ),
        MAXIMIZE,
    ),
    taught="etas",
    description={
        "en": (
            "Uses only the sign of each gradient coordinate: its step grows by η⁺ while the "
            "sign holds and shrinks by η⁻ when it flips."
        ),
        "ja": (
            "勾配の各座標の符号だけを使います。符号が変わらなければ更新量を η⁺ 倍に、"
            "反転すれば η⁻ 倍にします。"
        ),
    },
    note={
        "en": (
            "PyTorch implements iRprop⁻: after a sign flip the coordinate does not move and "
            "its gradient is stored as 0. Each step size δ starts at lr and stays within "
            "[δ_min, δ_max]; lr is read only on the first step, so a learning-rate schedule "
            "changes nothing later. Meant for full-batch gradients, as here."
        ),
        "ja": (
            "PyTorch は iRprop⁻ を実装しています：符号が反転した座標はそのステップでは動かず、"
            "勾配は 0 として記録されます。各座標の更新量 δ は学習率から始まり [δ_min, δ_max] "
            "に収まります。学習率を読むのは最初のステップだけなので、学習率スケジュールは"
            "その後の更新を変えません。ここと同じく全データの勾配を前提にした手法です。"
        ),
    },
    family="rprop",
    state=MappingProxyType({"prev": GPREV, "step_size": DSTEP}),
    rule=_rprop_rule,
    step_factor=lambda hp: DSTEP,
    symbols=MappingProxyType(
        {
            GPREV: (r"g_{\mathrm{prev}}", "g_prev"),
            DSTEP: (r"\delta", "δ"),
            Q: ("q", "q = sign(g·g_prev)"),
            ETA_MINUS: (r"\eta^-", "η⁻"),
            ETA_PLUS: (r"\eta^+", "η⁺"),
            DMIN: (r"\delta_{\min}", "δ_min"),
            DMAX: (r"\delta_{\max}", "δ_max"),
        }
    ),
)

# Adafactor: symbols and keywords of its own
RHO_REL, ALPHA_T, BETA2_HAT, UPD = sp.symbols("rho_rel alpha_t beta2_hat U")
EPS1, EPS2, CLIP = sp.symbols("epsilon1 epsilon2 d")


def _adafactor_rule(hp: dict) -> list:
    steps = [(G, -G)] if hp["maximize"] else []
    steps.append((RHO_REL, sp.Min(ETA, 1 / sp.sqrt(T))))
    steps.append((ALPHA_T, sp.Max(EPS2, RMS(THETA)) * RHO_REL))
    if on(hp["weight_decay"]):
        steps.append((THETA, THETA * (1 - ETA * LAM)))
    steps.append((BETA2_HAT, 1 - T**TAU))
    steps.append((V, ema(BETA2_HAT, V, G**2)))
    steps.append((UPD, G / sp.sqrt(sp.Max(V, EPS1**2))))
    return [*steps, (THETA, THETA - ALPHA_T * UPD / sp.Max(1, RMS(UPD) / CLIP))]


ADAFACTOR = OptimizerSpec(
    key="adafactor",
    factory=O.adafactor,
    names=_names("Adafactor"),
    torch=TorchClass("torch.optim.Adafactor"),
    keywords=(
        LR,
        Keyword(
            "beta2_decay",
            {"en": "β₂ decay τ", "ja": "β₂ の減衰 τ"},
            Interval(-math.inf, 0.0),
            -1.0,
            -0.1,
            sweepable=True,
            symbol=TAU,
        ),
        _pair(
            "eps",
            "eps (ε₁, ε₂)",
            "eps (ε₁, ε₂)",
            Keyword(
                "eps1",
                {"en": "ε₁ (empty: machine ε)", "ja": "ε₁（空欄なら計算機イプシロン）"},
                NON_NEGATIVE,
                symbol=EPS1,
            ),
            Keyword(
                "eps2",
                {"en": "ε₂", "ja": "ε₂"},
                NON_NEGATIVE,
                1e-5,
                0.1,
                log=True,
                sweepable=True,
                symbol=EPS2,
            ),
        ),
        Keyword(
            "d",
            {"en": "clipping threshold d", "ja": "クリッピングのしきい値 d"},
            Interval(1.0, math.inf),
            1.0,
            10.0,
            log=True,
            sweepable=True,
            symbol=CLIP,
        ),
        WEIGHT_DECAY,
        MAXIMIZE,
    ),
    taught=None,
    description={
        "en": (
            "Divides by the root of a moving average of g² that forgets less as t grows, "
            "and steps in proportion to the size of θ (its RMS), with the update's RMS "
            "clipped at d."
        ),
        "ja": (
            "g² の移動平均（t が進むほど過去を長く覚えます）の平方根で割り、θ の大きさ（RMS）"
            "に比例した更新量で進みます。更新の RMS は d で頭打ちにします。"
        ),
    },
    note={
        "en": (
            "PyTorch: lr only caps the relative step, ρ_t = min(lr, 1/√t) (the paper uses "
            "0.01, the default lr), and scales the decoupled weight decay. ε₁ bounds the "
            "denominator (default: float64's machine epsilon), ε₂ the scale of θ. Each start "
            "is its own 2-vector, so v is a plain vector; the paper's row and column factors "
            "are for matrices."
        ),
        "ja": (
            "PyTorch では学習率は相対ステップ ρ_t = min(lr, 1/√t) の上限（論文の値は既定の "
            "0.01）と、分離型の荷重減衰の係数にだけ使われます。ε₁ は分母の下限（既定は "
            "float64 の計算機イプシロン）、ε₂ は θ の大きさの下限です。各初期点が 2 成分の"
            "ベクトルなので v もベクトルのままです。論文の行と列への分解は行列のためのものです。"
        ),
    },
    family="adafactor",
    state=MappingProxyType({"variance": V}),
    rule=_adafactor_rule,
    step_factor=lambda hp: ALPHA_T / (sp.Max(1, RMS(UPD) / CLIP) * sp.sqrt(sp.Max(V, EPS1**2))),
    symbols=MappingProxyType(
        {
            RHO_REL: (r"\rho_t", "ρ_t = min(η, 1/√t)"),
            ALPHA_T: (r"\alpha_t", "α_t = max(ε₂, RMS(θ))·ρ_t"),
            BETA2_HAT: (r"\hat\beta_{2,t}", "β̂₂ = 1 − t^τ"),
            UPD: ("U", "U = g/√max(v, ε₁²)"),
            EPS1: (r"\varepsilon_1", "ε₁"),
            EPS2: (r"\varepsilon_2", "ε₂"),
            CLIP: ("d", "d"),
        }
    ),
)

SPECS: tuple[OptimizerSpec, ...] = (
    SGD,
    MOMENTUM_SGD,
    NESTEROV_SGD,
    ADAGRAD,
    RMSPROP,
    ADADELTA,
    ADAM,
    ADAMW,
    NADAM,
    RADAM,
    ADAMAX,
    LION,
    RPROP,
    ADAFACTOR,
)
"""Every optimizer, in the order the page lists them."""

# ---------------------------------------------------------------------------------------
# derived views

SPEC: Mapping[str, OptimizerSpec] = MappingProxyType({spec.key: spec for spec in SPECS})
"""Registry key -> record."""

OPTIMIZERS: dict[str, Callable[..., O.Optimizer]] = {spec.key: spec.factory for spec in SPECS}
"""Registry key -> factory. Keyword names and defaults are those of ``torch.optim``."""

DISPLAY_NAMES: dict[str, str] = {spec.key: spec.names["en"] for spec in SPECS}
"""Registry key -> display name (the same in both languages)."""


def all_keywords() -> list[Keyword]:
    """Every keyword record once: the shared ones first, then each optimizer's own."""
    seen, out = set(), []
    for kw in (*SHARED_KEYWORDS, *(kw for spec in SPECS for kw in spec.keywords)):
        if id(kw) not in seen:
            seen.add(id(kw))
            out.append(kw)
    return out


def _merge(table: dict, name: str, value, what: str) -> None:
    """``table[name] = value``, refusing two different values under one name."""
    if table.setdefault(name, value) != value:
        raise ValueError(f"two records give {what} {name!r} different values")


def keyword_labels() -> dict[str, dict[str, str]]:
    """The page's label of each keyword: ``name`` for a number or switch, ``name:j`` for
    entry j of a pair (``betas:0`` -> β₁). One label per name across optimizers."""
    labels: dict[str, dict[str, str]] = {}
    for kw in all_keywords():
        if kw.parts:
            for j, part in enumerate(kw.parts):
                _merge(labels, f"{kw.name}:{j}", dict(part.label), "the label")
        else:
            _merge(labels, kw.name, dict(kw.label), "the label")
    return labels


def _sweep_items(kw: Keyword):
    """``(sweep name, record, pair keyword or None, index)`` for each number of ``kw``."""
    if kw.parts:
        return [(part.name, part, kw.name, j) for j, part in enumerate(kw.parts)]
    return [(kw.name, kw, None, None)]


def sweep_labels() -> dict[str, dict[str, str]]:
    """Sweep name -> label ``{"en", "ja"}`` of every sweepable number."""
    labels: dict[str, dict[str, str]] = {}
    for kw in all_keywords():
        for name, record, _, _ in _sweep_items(kw):
            if record.sweepable:
                _merge(labels, name, dict(record.label), "the label")
    return labels


def sweep_ranges() -> dict[str, tuple[float, float, bool]]:
    """Sweep name -> ``(low, high, log)``, in :func:`all_keywords` order."""
    ranges: dict[str, tuple[float, float, bool]] = {}
    for kw in all_keywords():
        for name, record, _, _ in _sweep_items(kw):
            if record.sweepable:
                _merge(ranges, name, (record.low, record.high, record.log), "the range")
    return ranges


def sweep_entries() -> dict[str, tuple[str, int]]:
    """Sweep name of an entry of a pair -> ``(keyword, index)`` (``beta1`` -> betas, 0)."""
    entries: dict[str, tuple[str, int]] = {}
    for kw in all_keywords():
        for name, record, pair, j in _sweep_items(kw):
            if record.sweepable and pair is not None:
                _merge(entries, name, (pair, j), "the entry")
    return entries


def sweepable_names(key: str) -> set[str]:
    """The sweep names optimizer ``key`` accepts (entries of its pairs by their names)."""
    return {
        name
        for kw in SPEC[key].keywords
        for name, record, _, _ in _sweep_items(kw)
        if record.sweepable
    }


def taught_keywords() -> tuple[str, ...]:
    """The keywords some method is taught by (momentum, betas, alpha, rho, ...)."""
    return tuple(dict.fromkeys(spec.taught for spec in SPECS if spec.taught))


def keyword_symbols() -> dict[str, sp.Symbol]:
    """Keyword name (or pair entry name) -> its symbol in the update rules."""
    symbols: dict[str, sp.Symbol] = {}
    for kw in all_keywords():
        for name, record, _, _ in _sweep_items(kw):
            if record.symbol is not None:
                _merge(symbols, name, record.symbol, "the symbol")
    return symbols
