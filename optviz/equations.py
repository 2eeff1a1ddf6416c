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
everything is element-wise except ``RMS``, the root mean square of one start's
coordinates (each start is its own 2-vector, as in the PyTorch export). State symbols are
the optimizer's buffers (torch's names in :data:`STATE_SYMBOLS`). On a right-hand side a
state symbol means its previous value. The rules follow ``torch.optim`` 2.x (Lion:
``lion-pytorch``); where torch computes an algebraically identical expression in another
order (Adam's ``η/(1 − β₁ᵗ) · m / (√v/√(1 − β₂ᵗ) + ε)``), the textbook form with m̂, v̂
is shown. The rules themselves are part of each optimizer's record (:mod:`optviz.catalog`).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Sequence

import numpy as np
import sympy as sp

from . import symbols as _symbols
from .catalog import DISPLAY_NAMES, OPTIMIZERS, SPEC, SPECS, keyword_symbols
from .symbols import (  # noqa: F401  (the symbols are part of this module's interface)
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
# tables, derived from the records of optviz.catalog

SYMBOL_TEX: dict[sp.Symbol, str] = {
    **_symbols.SYMBOL_TEX,
    **{symbol: tex for spec in SPECS for symbol, (tex, _) in spec.symbols.items()},
}
"""LaTeX name of every symbol used in the update rules."""

HYPER_SYMBOLS: dict[str, sp.Symbol] = keyword_symbols()
"""torch keyword (or an entry of a pair, ``beta1``) -> symbol."""

FAMILY: dict[str, str] = {spec.key: spec.family for spec in SPECS}
"""Registry key -> update-rule family (momentum/nesterov are SGD, AdamW is Adam)."""

STATE_SYMBOLS: dict[str, dict[str, sp.Symbol]] = {spec.family: dict(spec.state) for spec in SPECS}
"""Family -> {state NamedTuple field (torch's buffer name) -> symbol}."""

NAMES: dict[str, str] = DISPLAY_NAMES
"""Registry key -> display name (the same in both languages)."""

DESCRIPTIONS: dict[str, dict[str, str]] = {spec.key: dict(spec.description) for spec in SPECS}
"""Registry key -> one-line description in English and Japanese."""

NOTES: dict[str, dict[str, str]] = {spec.key: dict(spec.note) for spec in SPECS}
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


def update_steps(key: str, hyperparams: dict | None = None) -> list[tuple[sp.Symbol, sp.Expr]]:
    """The update of one step as ordered assignments ``[(lhs, rhs), ...]``.

    ``hyperparams`` are torch keyword arguments (or ``Optimizer.hyperparams``); missing
    ones take the factory's defaults. Variants follow them: momentum/dampening/nesterov,
    coupled or decoupled weight decay, amsgrad, centered, maximize, lr_decay.
    Right-hand sides are unevaluated SymPy expressions (kept in reading order).
    """
    hp = resolve_hyperparams(key, hyperparams)
    with sp.evaluate(False):
        return SPEC[key].rule(hp)


def _is_schedule(lr) -> bool:
    return callable(lr)


def update_latex(key: str, hyperparams: dict | None = None, lang: str = "en") -> str:
    r"""The update rule as a LaTeX ``aligned`` block, one ``lhs ← rhs`` line per assignment.

    The learning rate is written ``\eta_t`` when it follows a schedule. The words of a case
    split (SymPy writes "for" and "otherwise") are in ``lang`` (:func:`case_words`).
    """
    hp = resolve_hyperparams(key, hyperparams)
    names = dict(SYMBOL_TEX)
    if _is_schedule(hp.get("lr")):
        names[ETA] = r"\eta_t"
    lines = [
        rf"{names[lhs]} &\leftarrow {sp.latex(rhs, symbol_names=names, order='none')}"
        for lhs, rhs in update_steps(key, hp)
    ]
    block = "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
    return case_words(block, lang)


_CASE_CONDITION = re.compile(r"\\text\{for\}\\:\s*(.*?)(?=\s*\\\\|\s*\\end\{cases\})")


def case_words(latex: str, lang: str) -> str:
    r"""SymPy's case words in ``lang``: in Japanese ``g & \text{for}\: t = 1`` becomes
    ``g & t = 1 \text{ のとき}`` and ``\text{otherwise}`` becomes ``\text{それ以外}``;
    other languages keep SymPy's English."""
    if lang != "ja":
        return latex
    latex = _CASE_CONDITION.sub(lambda m: m.group(1) + r"\ \text{のとき}", latex)
    return latex.replace(r"\text{otherwise}", r"\text{それ以外}")


def adaptive_lr_expr(key: str, hyperparams: dict | None = None) -> sp.Expr | None:
    """The per-coordinate step factor P with ``Δθ = −P · direction``, where one exists.

    Each record gives its own (``OptimizerSpec.step_factor``): η for SGD (direction g, b
    or g + μb), η/(√v̂ + ε) for Adam (direction m̂), ...; None where the step has no such
    factor (a piecewise or sign step). Evaluate with :func:`adaptive_lr`.
    """
    hp = resolve_hyperparams(key, hyperparams)
    with sp.evaluate(False):
        return SPEC[key].step_factor(hp)


def adaptive_lr(key: str, hyperparams: dict, before: dict, after: dict) -> np.ndarray | None:
    """Evaluate :func:`adaptive_lr_expr` for one step.

    ``before`` is :func:`initial_env`, ``after`` the result of :func:`evaluate_update` for
    the same step; the symbols of ``OptimizerSpec.factor_reads_before`` (AdaDelta's u: its
    step uses the old u) come from ``before``, everything else from ``after``.
    """
    expr = adaptive_lr_expr(key, hyperparams)
    if expr is None:
        return None
    env = dict(after)
    for symbol in SPEC[key].factor_reads_before:
        env[symbol] = before[symbol]
    return evaluate_expr(expr, env)


# ---------------------------------------------------------------------------------------
# numerical evaluation


def _rms(x):
    """Root mean square over the last axis (one start's coordinates), kept as a column."""
    x = np.asarray(x, dtype=np.float64)
    return np.sqrt(np.sum(x * x, axis=-1, keepdims=True)) / x.shape[-1] ** 0.5


_MODULES = [{"Max": np.maximum, "Min": np.minimum, "sign": np.sign, "RMS": _rms}, "numpy"]


@functools.lru_cache(maxsize=512)
def _compiled(expr: sp.Expr) -> tuple[tuple[sp.Symbol, ...], object]:
    """``expr``'s free symbols (by name) and a NumPy function of them, made once per
    expression (``sp.lambdify`` prints and compiles Python source: milliseconds, while
    the function runs in microseconds; the step inspector evaluates the same rules at
    every step and start)."""
    free = tuple(sorted(expr.free_symbols, key=lambda s: s.name))
    return free, sp.lambdify(free, expr, modules=_MODULES)


def evaluate_expr(expr: sp.Expr, env: dict) -> np.ndarray:
    """Evaluate ``expr`` with symbol values from ``env`` (arrays broadcast)."""
    free, fn = _compiled(expr)
    missing = [s for s in free if s not in env]
    if missing:
        raise KeyError(f"no value for {missing}")
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
    for kw in SPEC[key].keywords:
        if kw.symbol is not None:
            env[kw.symbol] = hp[kw.name]
        if kw.parts:
            for part, value in zip(kw.parts, hp[kw.name], strict=True):
                if part.symbol is not None:
                    env[part.symbol] = value
    env[ETA] = lr_at(hp["lr"], count)
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
