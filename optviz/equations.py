"""Each optimizer's update rule as ordered SymPy assignments: one definition, two uses.

``update_steps(key, hyperparams)`` returns the update of one step as a list of assignments
``(lhs, rhs)`` over SymPy symbols, applied in order (an assignment may overwrite an earlier
value, e.g. ``g ← −g`` for ``maximize``). The same list is

* rendered as LaTeX by :func:`update_latex` (an ``aligned`` block for KaTeX / ``st.latex``),
* evaluated numerically by :func:`evaluate_update` (each right-hand side ``lambdify``-ed),
  which ``tests/test_equations.py`` checks against ``OPTIMIZERS[key](...).update`` on random
  inputs, so the displayed equations cannot drift from the code that draws the paths, and
  which the step inspector uses for the intermediate quantities (m̂, v̂, …).

Notation: ``g`` is the gradient at the current θ, ``t`` is the step number (from 1);
everything is element-wise. State symbols are the optimizer's buffers (torch's names in
:data:`STATE_SYMBOLS`). On a right-hand side a state symbol means its previous value.
The rules follow ``torch.optim`` 2.x (Lion: ``lion-pytorch``); where torch computes an
algebraically identical expression in another order (Adam's
``η/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)``), the textbook form with m̂, v̂ is shown.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import numpy as np
import sympy as sp

from .optimizers import DISPLAY_NAMES, OPTIMIZERS

# ---------------------------------------------------------------------------------------
# symbols

G, THETA, T = sp.symbols("g theta t")
ETA, BETA1, BETA2, EPS, MU, TAU, RHO, ALPHA, LAM, GAMMA, PSI = sp.symbols(
    "eta beta1 beta2 epsilon mu tau rho alpha lam gamma psi"
)
M, V, B, S, U, GBAR, VMAX, PI = sp.symbols("m v b s u gbar vmax Pi")
MHAT, VHAT, A, ETA_T, DELTA, C = sp.symbols("mhat vhat a eta_t Delta c")
MU_T, MU_NEXT, RHO_INF, RHO_T, R = sp.symbols("mu_t mu_next rho_inf rho_t r")

SYMBOL_TEX: dict[sp.Symbol, str] = {
    G: "g",
    THETA: r"\theta",
    T: "t",
    ETA: r"\eta",
    BETA1: r"\beta_1",
    BETA2: r"\beta_2",
    EPS: r"\varepsilon",
    MU: r"\mu",
    TAU: r"\tau",
    RHO: r"\rho",
    ALPHA: r"\alpha",
    LAM: r"\lambda",
    GAMMA: r"\gamma",
    PSI: r"\psi",
    M: "m",
    V: "v",
    B: "b",
    S: "s",
    U: "u",
    GBAR: r"\bar g",
    VMAX: r"v_{\max}",
    PI: r"\Pi",
    MHAT: r"\hat m",
    VHAT: r"\hat v",
    A: "a",
    ETA_T: r"\tilde\eta",
    DELTA: r"\Delta",
    C: "c",
    MU_T: r"\mu_t",
    MU_NEXT: r"\mu_{t+1}",
    RHO_INF: r"\rho_\infty",
    RHO_T: r"\rho_t",
    R: "r",
}
"""LaTeX name of every symbol used in the update rules."""

HYPER_SYMBOLS: dict[str, sp.Symbol] = {
    "lr": ETA,
    "momentum": MU,
    "dampening": TAU,
    "weight_decay": LAM,
    "alpha": ALPHA,
    "eps": EPS,
    "rho": RHO,
    "lr_decay": GAMMA,
    "momentum_decay": PSI,
}
"""torch keyword -> symbol (``betas`` maps to β₁, β₂)."""

FAMILY: dict[str, str] = {
    "sgd": "sgd",
    "momentum": "sgd",
    "nesterov": "sgd",
    "adagrad": "adagrad",
    "rmsprop": "rmsprop",
    "adadelta": "adadelta",
    "adam": "adam",
    "adamw": "adam",
    "nadam": "nadam",
    "radam": "radam",
    "adamax": "adamax",
    "lion": "lion",
}
"""Registry key -> update-rule family (momentum/nesterov are SGD, AdamW is Adam)."""

STATE_SYMBOLS: dict[str, dict[str, sp.Symbol]] = {
    "sgd": {"momentum_buffer": B},
    "adagrad": {"sum": S},
    "rmsprop": {"square_avg": V, "grad_avg": GBAR, "momentum_buffer": B},
    "adadelta": {"square_avg": V, "acc_delta": U},
    "adam": {"exp_avg": M, "exp_avg_sq": V, "max_exp_avg_sq": VMAX},
    "adamax": {"exp_avg": M, "exp_inf": U},
    "nadam": {"mu_product": PI, "exp_avg": M, "exp_avg_sq": V},
    "radam": {"exp_avg": M, "exp_avg_sq": V},
    "lion": {"exp_avg": M},
}
"""Family -> {state NamedTuple field (torch's buffer name) -> symbol}."""

NAMES: dict[str, str] = DISPLAY_NAMES
"""Registry key -> display name (the same in both languages)."""

DESCRIPTIONS: dict[str, dict[str, str]] = {
    "sgd": {
        "en": "Plain gradient descent: step against the gradient, scaled by the learning rate.",
        "ja": "素朴な勾配降下法：勾配と逆向きに、学習率倍だけ進みます。",
    },
    "momentum": {
        "en": "Heavy-ball momentum: a running sum of past gradients keeps the velocity.",
        "ja": "重球モメンタム：過去の勾配を積み重ねた速度で進みます。",
    },
    "nesterov": {
        "en": "Nesterov momentum: corrects the momentum step with a look-ahead gradient.",
        "ja": "ネステロフのモメンタム：先読みした勾配で慣性のステップを補正します。",
    },
    "adagrad": {
        "en": "Divides by the root of all past squared gradients, so steps keep shrinking.",
        "ja": "過去の勾配の二乗の総和の平方根で割るため、ステップは縮み続けます。",
    },
    "rmsprop": {
        "en": "Divides by the root of a moving average of squared gradients.",
        "ja": "勾配の二乗の移動平均の平方根で割ります。",
    },
    "adadelta": {
        "en": "Scales the step by the ratio of past step sizes to past gradient sizes (RMS).",
        "ja": "過去のステップの大きさと勾配の大きさ（RMS）の比で更新量を決めます。",
    },
    "adam": {
        "en": "Momentum plus RMSprop scaling, with bias correction of both averages.",
        "ja": "モメンタムと RMSprop の組み合わせに、両平均のバイアス補正を加えたものです。",
    },
    "adamw": {
        "en": "Adam with weight decay applied directly to θ (decoupled from the gradient).",
        "ja": "荷重減衰を勾配とは切り離して θ に直接かける Adam です。",
    },
    "nadam": {
        "en": "Adam with Nesterov momentum (a look-ahead mix of g and m).",
        "ja": "ネステロフのモメンタムを取り入れた Adam（g と m を先読みの重みで混ぜます）。",
    },
    "radam": {
        "en": "Adam whose adaptive step is switched on gradually (variance rectification).",
        "ja": "適応的なステップを徐々に有効にする Adam（分散の補正）。",
    },
    "adamax": {
        "en": "Adam with the infinity norm: divides by a decaying maximum of |g|.",
        "ja": "無限大ノルム版の Adam：|g| の減衰する最大値で割ります。",
    },
    "lion": {
        "en": "Moves every coordinate by exactly ±lr: the sign of a momentum mix.",
        "ja": "モメンタムを混ぜた値の符号だけを使い、各座標をちょうど ±lr ずつ動かします。",
    },
}
"""Registry key -> one-line description in English and Japanese."""

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

NOTES: dict[str, dict[str, str]] = {
    "sgd": {
        "en": "Default learning rate: PyTorch 1e-3, Keras 0.01.",
        "ja": "既定の学習率：PyTorch 1e-3、Keras 0.01。",
    },
    "momentum": _MOMENTUM_NOTE,
    "nesterov": {
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
    "adagrad": {
        "en": (
            "PyTorch: ε outside the root, √s + ε; lr 1e-2; s starts at 0. Keras 3: ε inside, "
            "√(s + ε); lr 1e-3; s starts at 0.1; ε = 1e-7."
        ),
        "ja": (
            "PyTorch：ε は平方根の外（√s + ε）、学習率 1e-2、s の初期値 0。Keras 3：ε は"
            "平方根の中（√(s + ε)）、学習率 1e-3、s の初期値 0.1、ε = 1e-7。"
        ),
    },
    "rmsprop": {
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
    "adadelta": {
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
    "adam": {
        "en": (
            "PyTorch adds ε after bias correction, √v̂ + ε (Algorithm 1 of the paper), "
            "ε = 1e-8. Keras adds ε before it (the paper's ε̂, √v + ε̂), ε = 1e-7. The "
            "difference shows only while √v is tiny. Both default to lr 1e-3."
        ),
        "ja": (
            "PyTorch はバイアス補正の後に ε を足します（√v̂ + ε、論文の Algorithm 1）、ε = 1e-8。"
            "Keras は補正の前に足します（論文の ε̂、√v + ε̂）、ε = 1e-7。違いが出るのは √v が"
            "非常に小さいときだけです。既定の学習率はどちらも 1e-3。"
        ),
    },
    "adamw": {
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
    "nadam": {
        "en": (
            "PyTorch follows Dozat's momentum schedule μ_t = β₁(1 − ½·0.96^{tψ}) with "
            "ψ = 4e-3; default lr 2e-3."
        ),
        "ja": (
            "PyTorch は Dozat のモメンタムスケジュール μ_t = β₁(1 − ½·0.96^{tψ})（ψ = 4e-3）に"
            "従います。既定の学習率は 2e-3。"
        ),
    },
    "radam": {
        "en": (
            "PyTorch uses the rectified adaptive step only when ρ_t > 5; before that (steps "
            "1–5 with β₂ = 0.999) it takes an un-normalised momentum step η·m̂."
        ),
        "ja": (
            "PyTorch は ρ_t > 5 のときだけ補正付きの適応的ステップを使い、それまで（β₂ = 0.999 "
            "なら 1〜5 ステップ目）は正規化しないモメンタムのステップ η·m̂ を取ります。"
        ),
    },
    "adamax": {
        "en": (
            "PyTorch puts ε inside the max, u ← max(β₂u, |g| + ε), lr 2e-3 (the paper's "
            "default). Keras: u ← max(β₂u, |g|), divides by u + ε, lr 1e-3, ε = 1e-7."
        ),
        "ja": (
            "PyTorch は ε を max の中に入れます（u ← max(β₂u, |g| + ε)）、学習率 2e-3（論文の"
            "既定値）。Keras は u ← max(β₂u, |g|) で u + ε で割り、学習率 1e-3、ε = 1e-7。"
        ),
    },
    "lion": {
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
}
"""Registry key -> short note on where textbooks, Keras and PyTorch differ (en, ja)."""


# ---------------------------------------------------------------------------------------
# building the assignments


def resolve_hyperparams(key: str, hyperparams: dict | None = None) -> dict:
    """The factory's resolved keyword values: defaults filled in, unknown keys dropped.

    ``hyperparams`` may be ``Optimizer.hyperparams`` (it can hold keys a factory does not
    take, e.g. AdamW's ``decoupled_weight_decay``; those are dropped and re-derived).
    """
    if key not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer: {key!r}")
    factory = OPTIMIZERS[key]
    accepted = inspect.signature(factory).parameters
    kwargs = {k: v for k, v in (hyperparams or {}).items() if k in accepted}
    return dict(factory(**kwargs).hyperparams)


def _on(value) -> bool:
    """True if a hyperparameter is switched on (a non-zero number or array, or True)."""
    return bool(np.any(np.asarray(value, dtype=float) != 0))


def _ema(decay, old, new):
    """``decay·old + (1 − decay)·new`` (unevaluated, in reading order)."""
    return decay * old + (1 - decay) * new


def _prelude(hp: dict, *, decoupled: bool) -> list:
    """``g ← −g`` (maximize), then coupled ``g ← g + λθ`` or decoupled ``θ ← θ(1 − ηλ)``."""
    steps = []
    if hp.get("maximize"):
        steps.append((G, -G))
    if _on(hp.get("weight_decay", 0.0)):
        if decoupled:
            steps.append((THETA, THETA * (1 - ETA * LAM)))
        else:
            steps.append((G, G + LAM * THETA))
    return steps


def _sgd_steps(hp: dict) -> list:
    steps = _prelude(hp, decoupled=False)
    if not _on(hp["momentum"]):
        return [*steps, (THETA, THETA - ETA * G)]
    later = MU * B + ((1 - TAU) * G if _on(hp["dampening"]) else G)
    steps.append((B, sp.Piecewise((G, sp.Eq(T, 1)), (later, True))))
    if hp["nesterov"]:
        return [*steps, (THETA, THETA - ETA * (G + MU * B))]
    return [*steps, (THETA, THETA - ETA * B)]


def _adagrad_steps(hp: dict) -> list:
    steps = _prelude(hp, decoupled=False)
    rate = ETA
    if _on(hp["lr_decay"]):
        steps.append((ETA_T, ETA / (1 + (T - 1) * GAMMA)))
        rate = ETA_T
    steps.append((S, S + G**2))
    return [*steps, (THETA, THETA - rate * G / (sp.sqrt(S) + EPS))]


def _rmsprop_steps(hp: dict) -> list:
    steps = _prelude(hp, decoupled=False)
    steps.append((V, _ema(ALPHA, V, G**2)))
    if hp["centered"]:
        steps.append((GBAR, _ema(ALPHA, GBAR, G)))
        steps.append((A, sp.sqrt(V - GBAR**2) + EPS))
    else:
        steps.append((A, sp.sqrt(V) + EPS))
    if _on(hp["momentum"]):
        steps.append((B, MU * B + G / A))
        return [*steps, (THETA, THETA - ETA * B)]
    return [*steps, (THETA, THETA - ETA * G / A)]


def _adadelta_steps(hp: dict) -> list:
    steps = _prelude(hp, decoupled=False)
    steps.append((V, _ema(RHO, V, G**2)))
    steps.append((DELTA, sp.sqrt(U + EPS) / sp.sqrt(V + EPS) * G))
    steps.append((U, _ema(RHO, U, DELTA**2)))
    return [*steps, (THETA, THETA - ETA * DELTA)]


def _moments(hp: dict, *, decoupled: bool) -> list:
    """Prelude, then ``m ← β₁m + (1 − β₁)g`` and ``v ← β₂v + (1 − β₂)g²``."""
    return [
        *_prelude(hp, decoupled=decoupled),
        (M, _ema(BETA1, M, G)),
        (V, _ema(BETA2, V, G**2)),
    ]


def _adam_steps(hp: dict) -> list:
    steps = _moments(hp, decoupled=hp["decoupled_weight_decay"])
    second = V
    if hp["amsgrad"]:
        steps.append((VMAX, sp.Max(VMAX, V)))
        second = VMAX
    steps.append((MHAT, M / (1 - BETA1**T)))
    steps.append((VHAT, second / (1 - BETA2**T)))
    return [*steps, (THETA, THETA - ETA * MHAT / (sp.sqrt(VHAT) + EPS))]


def _adamax_steps(hp: dict) -> list:
    steps = _prelude(hp, decoupled=False)
    steps.append((M, _ema(BETA1, M, G)))
    steps.append((U, sp.Max(BETA2 * U, sp.Abs(G) + EPS)))
    steps.append((MHAT, M / (1 - BETA1**T)))
    return [*steps, (THETA, THETA - ETA * MHAT / U)]


def _nadam_steps(hp: dict) -> list:
    half, base = sp.Rational(1, 2), sp.Float(0.96)
    steps = _prelude(hp, decoupled=hp["decoupled_weight_decay"])
    steps.append((MU_T, BETA1 * (1 - half * base ** (T * PSI))))
    steps.append((MU_NEXT, BETA1 * (1 - half * base ** ((T + 1) * PSI))))
    steps.append((PI, PI * MU_T))
    steps.append((M, _ema(BETA1, M, G)))
    steps.append((V, _ema(BETA2, V, G**2)))
    steps.append((VHAT, V / (1 - BETA2**T)))
    steps.append((A, sp.sqrt(VHAT) + EPS))
    current = ETA * (1 - MU_T) * G / ((1 - PI) * A)
    ahead = ETA * MU_NEXT * M / ((1 - PI * MU_NEXT) * A)
    return [*steps, (THETA, sp.Add(THETA, -current, -ahead))]


def _radam_steps(hp: dict) -> list:
    steps = _moments(hp, decoupled=hp["decoupled_weight_decay"])
    steps.append((MHAT, M / (1 - BETA1**T)))
    steps.append((RHO_INF, 2 / (1 - BETA2) - 1))
    steps.append((RHO_T, RHO_INF - 2 * T * BETA2**T / (1 - BETA2**T)))
    ratio = (RHO_T - 4) * (RHO_T - 2) * RHO_INF / ((RHO_INF - 4) * (RHO_INF - 2) * RHO_T)
    steps.append((R, sp.sqrt(ratio)))  # used only where ρ_t > 5
    rectified = THETA - ETA * R * MHAT * sp.sqrt(1 - BETA2**T) / (sp.sqrt(V) + EPS)
    plain = THETA - ETA * MHAT
    return [*steps, (THETA, sp.Piecewise((rectified, RHO_T > 5), (plain, True)))]


def _lion_steps(hp: dict) -> list:
    steps = _prelude(hp, decoupled=True)
    steps.append((C, _ema(BETA1, M, G)))
    steps.append((THETA, THETA - ETA * sp.sign(C)))
    return [*steps, (M, _ema(BETA2, M, G))]


_BUILDERS = {
    "sgd": _sgd_steps,
    "adagrad": _adagrad_steps,
    "rmsprop": _rmsprop_steps,
    "adadelta": _adadelta_steps,
    "adam": _adam_steps,
    "adamax": _adamax_steps,
    "nadam": _nadam_steps,
    "radam": _radam_steps,
    "lion": _lion_steps,
}


def update_steps(key: str, hyperparams: dict | None = None) -> list[tuple[sp.Symbol, sp.Expr]]:
    """The update of one step as ordered assignments ``[(lhs, rhs), ...]``.

    ``hyperparams`` are torch keyword arguments (or ``Optimizer.hyperparams``); missing
    ones take the factory's defaults. Variants follow them: momentum/dampening/nesterov,
    coupled or decoupled weight decay, amsgrad, centered, maximize, lr_decay.
    Right-hand sides are unevaluated SymPy expressions (kept in reading order).
    """
    hp = resolve_hyperparams(key, hyperparams)
    with sp.evaluate(False):
        return _BUILDERS[FAMILY[key]](hp)


def _is_schedule(lr) -> bool:
    return callable(lr)


def update_latex(key: str, hyperparams: dict | None = None) -> str:
    r"""The update rule as a LaTeX ``aligned`` block, one ``lhs ← rhs`` line per assignment.

    The learning rate is written ``\eta_t`` when it follows a schedule.
    """
    hp = resolve_hyperparams(key, hyperparams)
    names = dict(SYMBOL_TEX)
    if _is_schedule(hp.get("lr")):
        names[ETA] = r"\eta_t"
    lines = [
        rf"{names[lhs]} &\leftarrow {sp.latex(rhs, symbol_names=names, order='none')}"
        for lhs, rhs in update_steps(key, hp)
    ]
    return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"


def adaptive_lr_expr(key: str, hyperparams: dict | None = None) -> sp.Expr | None:
    """The per-coordinate step factor P with ``Δθ = −P · direction``, where one exists.

    SGD family: η (direction g, b or g + μb); Adagrad: η/(√s + ε) (η̃ with lr_decay);
    RMSprop: η/a; Adadelta: η√(u + ε)/√(v + ε) with u before the step; Adam/AdamW:
    η/(√v̂ + ε) (direction m̂); Adamax: η/u (direction m̂); NAdam: η/a. None for RAdam
    (piecewise) and Lion (a sign step of size η). Evaluate with :func:`adaptive_lr`.
    """
    family = FAMILY[key]
    with sp.evaluate(False):
        if family == "adagrad":
            hp = resolve_hyperparams(key, hyperparams)
            rate = ETA_T if _on(hp["lr_decay"]) else ETA
            return rate / (sp.sqrt(S) + EPS)
        return {
            "sgd": ETA,
            "rmsprop": ETA / A,
            "adadelta": ETA * sp.sqrt(U + EPS) / sp.sqrt(V + EPS),
            "adam": ETA / (sp.sqrt(VHAT) + EPS),
            "adamax": ETA / U,
            "nadam": ETA / A,
        }.get(family)


def adaptive_lr(key: str, hyperparams: dict, before: dict, after: dict) -> np.ndarray | None:
    """Evaluate :func:`adaptive_lr_expr` for one step.

    ``before`` is :func:`initial_env`, ``after`` the result of :func:`evaluate_update` for
    the same step; Adadelta reads u from ``before`` (its step uses the old u), everything
    else from ``after``.
    """
    expr = adaptive_lr_expr(key, hyperparams)
    if expr is None:
        return None
    env = dict(after)
    if FAMILY[key] == "adadelta":
        env[U] = before[U]
    return evaluate_expr(expr, env)


# ---------------------------------------------------------------------------------------
# numerical evaluation


_MODULES = [{"Max": np.maximum, "sign": np.sign}, "numpy"]


def evaluate_expr(expr: sp.Expr, env: dict) -> np.ndarray:
    """Evaluate ``expr`` with symbol values from ``env`` (arrays broadcast)."""
    free = sorted(expr.free_symbols, key=lambda s: s.name)
    missing = [s for s in free if s not in env]
    if missing:
        raise KeyError(f"no value for {missing}")
    fn = sp.lambdify(free, expr, modules=_MODULES)
    with np.errstate(all="ignore"):
        return np.asarray(fn(*(env[s] for s in free)), dtype=np.float64)


def lr_at(lr, count: int):
    """The learning rate used by step ``count + 1`` (a schedule is called with ``count``)."""
    return lr(count) if callable(lr) else lr


def initial_env(key: str, hyperparams: dict, grad, state, params) -> dict:
    """Symbol values before the step: g, θ, t = count + 1, η at this step, the other
    hyperparameters, and the state buffers (NamedTuple fields, torch's names)."""
    hp = resolve_hyperparams(key, hyperparams)
    count = int(state.count)
    env = {G: np.asarray(grad, dtype=float), THETA: np.asarray(params, dtype=float)}
    env[T] = count + 1
    for name, symbol in HYPER_SYMBOLS.items():
        if name in hp:
            env[symbol] = hp[name]
    env[ETA] = lr_at(hp["lr"], count)
    if "betas" in hp:
        env[BETA1], env[BETA2] = hp["betas"]
    for field, symbol in STATE_SYMBOLS[FAMILY[key]].items():
        env[symbol] = getattr(state, field)
    return env


def evaluate_update(key: str, hyperparams: dict, grad, state, params) -> dict:
    """Apply :func:`update_steps` numerically; return the final symbol environment.

    Args:
        grad, params: arrays of the same shape (e.g. ``(N, 2)``).
        state: the optimizer's state NamedTuple before the step.

    Returns:
        ``{symbol: value}`` after all assignments: ``env[THETA]`` is the new θ, state
        symbols hold the new buffers, intermediate symbols (m̂, v̂, a, …) their values.
    """
    env = initial_env(key, hyperparams, grad, state, params)
    for lhs, rhs in update_steps(key, hyperparams):
        env[lhs] = evaluate_expr(rhs, env)
    return env


def new_state(key: str, env: dict, state) -> tuple:
    """The state NamedTuple after the step, read from ``env`` (untouched fields kept)."""
    symbols = STATE_SYMBOLS[FAMILY[key]]
    values = {
        field: env.get(symbols[field], getattr(state, field)) if field in symbols else None
        for field in state._fields
    }
    values["count"] = int(state.count) + 1
    return type(state)(**values)


def symbols_tex(symbols: Sequence[sp.Symbol]) -> list[str]:
    """LaTeX names of ``symbols``."""
    return [SYMBOL_TEX[s] for s in symbols]
