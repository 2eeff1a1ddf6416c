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

import collections
import functools
import math
import re
import threading
from collections.abc import Sequence

import numpy as np
import sympy as sp
from sympy.printing.latex import LatexPrinter

from . import symbols as _symbols
from .catalog import DISPLAY_NAMES, SPECS, keyword_symbols
from .conventions import signature
from .rules import OWN_SYMBOLS, RULES, UpdateRule
from .symbols import (  # noqa: F401  (the symbols are part of this module's interface)
    ALPHA,
    BETA1,
    BETA2,
    COURSE_TEX,
    COURSE_TEXT,
    DELTA,
    ELEMENTWISE_SQUARES,
    EPS,
    ETA,
    ETA_T,
    GAMMA,
    GBAR,
    LAM,
    LR_T,
    MHAT,
    MU,
    MU_NEXT,
    MU_T,
    NOTATIONS,
    PI,
    PSI,
    RHO,
    RHO_INF,
    RHO_T,
    RMS,
    SYMBOL_TEXT,
    TAU,
    THETA,
    VHAT,
    VMAX,
    A,
    B,
    C,
    G,
    H,
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
    **{symbol: tex for symbol, (tex, _) in OWN_SYMBOLS.items()},
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


def rule_record(key: str, convention: str = "pytorch") -> UpdateRule:
    """The :class:`optviz.rules.UpdateRule` of ``CONVENTIONS[convention][key]``;
    ValueError if there is none."""
    if convention not in RULES or key not in RULES[convention]:
        raise ValueError(f"Unknown optimizer: {key!r} (convention {convention!r})")
    return RULES[convention][key]


def resolve_hyperparams(
    key: str, hyperparams: dict | None = None, convention: str = "pytorch"
) -> dict:
    """The factory's resolved keyword values: defaults filled in, unknown keys dropped.

    ``hyperparams`` may be ``Optimizer.hyperparams`` (it can hold keys a factory does not
    take, e.g. AdamW's ``decoupled_weight_decay``; those are dropped and re-derived).
    """
    factory = rule_record(key, convention).factory
    accepted = _keywords(factory)
    kwargs = {k: v for k, v in (hyperparams or {}).items() if k in accepted}
    return dict(factory(**kwargs).hyperparams)


@functools.lru_cache(maxsize=256)
def _keywords(factory) -> frozenset[str]:
    """The keyword names a factory takes (one entry per factory function)."""
    return frozenset(signature(factory).parameters)


def _frozen(value):
    """A hashable stand-in for a keyword value that tells apart every value a rule could
    treat differently: the value's type with it, a tuple or list entry by entry, an array
    by dtype, shape and bytes (a sweep's per-start values)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, tuple | list):
        return (type(value).__name__, tuple(_frozen(v) for v in value))
    hash(value)  # TypeError for anything else unhashable: not cached
    return (type(value).__name__, value)


def _rule_key(key: str, hp: dict, convention: str):
    """The cache key of a rule built from resolved keywords ``hp``, or None where a value
    cannot be hashed (then the rule is built afresh)."""
    try:
        return key, convention, tuple((name, _frozen(v)) for name, v in sorted(hp.items()))
    except TypeError:
        return None


_RULE_LOCK = threading.Lock()
_RULE_CACHE: collections.OrderedDict = collections.OrderedDict()
_RULE_CACHE_SIZE = 512
"""Built rules and step factors by (what, key, convention, frozen keywords): at most
:data:`_RULE_CACHE_SIZE`, the least recently used dropped first."""


def _cached_rule(what: str, key: str, hp: dict, convention: str, build):
    """``build(hp)`` (SymPy assignments or a step factor, immutable), remembered per
    (what, key, convention, keywords): building one costs about a millisecond, and
    ``sp.evaluate(False)`` clears SymPy's global cache on every entry and exit."""
    cache_key = _rule_key(key, hp, convention)
    if cache_key is None:
        with sp.evaluate(False):
            return build(hp)
    cache_key = (what, *cache_key)
    with _RULE_LOCK:
        if cache_key in _RULE_CACHE:
            _RULE_CACHE.move_to_end(cache_key)
            return _RULE_CACHE[cache_key]
    with sp.evaluate(False):
        built = build(hp)
    with _RULE_LOCK:
        _RULE_CACHE[cache_key] = built
        while len(_RULE_CACHE) > _RULE_CACHE_SIZE:
            _RULE_CACHE.popitem(last=False)
    return built


def update_steps(
    key: str, hyperparams: dict | None = None, convention: str = "pytorch"
) -> list[tuple[sp.Symbol, sp.Expr]]:
    """The update of one step as ordered assignments ``[(lhs, rhs), ...]``.

    ``hyperparams`` are the factory's keyword arguments (or ``Optimizer.hyperparams``);
    missing ones take the factory's defaults. Variants follow them: momentum/dampening/
    nesterov, coupled or decoupled weight decay, amsgrad, centered, maximize, lr_decay.
    Right-hand sides are unevaluated SymPy expressions (kept in reading order).
    """
    hp = resolve_hyperparams(key, hyperparams, convention)
    steps = _cached_rule("rule", key, hp, convention, rule_record(key, convention).rule)
    return list(steps)


def _is_schedule(lr) -> bool:
    return callable(lr)


def symbol_names(
    key: str, convention: str = "pytorch", notation: str = "pytorch"
) -> dict[sp.Symbol, str]:
    """Symbol -> LaTeX name in ``notation`` (:data:`optviz.symbols.NOTATIONS`): the
    library's letters, or the course's W, ∂L/∂W and its state names (the record's
    ``course``)."""
    if notation not in NOTATIONS:
        raise ValueError(f"Unknown notation: {notation!r}")
    names = dict(SYMBOL_TEX)
    if notation == "course":
        names.update(COURSE_TEX)
        names.update({s: tex for s, (tex, _) in rule_record(key, convention).course.items()})
    return names


def symbol_texts(
    key: str, convention: str = "pytorch", notation: str = "pytorch"
) -> dict[sp.Symbol, str]:
    """Symbol -> plain-text name in ``notation`` (the step inspector's rows)."""
    texts = {**SYMBOL_TEXT, **{s: text for s, (_, text) in OWN_SYMBOLS.items()}}
    if notation == "course":
        texts.update(COURSE_TEXT)
        texts.update({s: text for s, (_, text) in rule_record(key, convention).course.items()})
    return texts


def _factors(expr: sp.Expr):
    """The factors of a (possibly nested, unevaluated) product."""
    if expr.is_Mul:
        for arg in expr.args:
            yield from _factors(arg)
    else:
        yield expr


class _RulePrinter(LatexPrinter):
    """SymPy's LaTeX printer; in the course notation a square of the gradient (or of
    AdaDelta's Δw, of ḡ) is written as the course writes it, ``g ⊙ g``."""

    def __init__(self, names: dict, squares_as_products: bool):
        super().__init__({"symbol_names": names, "order": "none"})
        self._products = squares_as_products

    def _print_Mul(self, expr, **kwargs):
        """In the course notation a quotient with the gradient on top is written as the
        course writes it, ``η / (√h + ε) · ∂L/∂W`` (no fraction inside a fraction)."""
        factors = list(_factors(expr))
        divides = any(f.is_Pow and f.exp.is_negative for f in factors)
        if self._products and divides and factors.count(G) == 1:
            with sp.evaluate(False):
                rest = sp.Mul(*(f for f in factors if f != G))
            return f"{self._print(rest)} {self._print(G)}"
        return super()._print_Mul(expr, **kwargs)

    def _print_Pow(self, expr, **kwargs):
        base, exponent = expr.args
        if self._products and base in ELEMENTWISE_SQUARES and exponent == 2:
            name = self._print(base)
            return rf"{name} \odot {name}"
        return super()._print_Pow(expr, **kwargs)


def update_latex(
    key: str,
    hyperparams: dict | None = None,
    lang: str = "en",
    convention: str = "pytorch",
    notation: str = "pytorch",
) -> str:
    r"""The update rule as a LaTeX ``aligned`` block, one ``lhs ← rhs`` line per assignment.

    ``notation`` picks the names (:func:`symbol_names`). The learning rate is written
    ``\eta_t`` when it follows a schedule (``\eta(t)`` where the rule already has an
    ``\eta_t``). A number the library writes into its rule (the book's ε = 1e-7) is
    given on a last line. The words of a case split (SymPy writes "for" and "otherwise")
    are in ``lang`` (:func:`case_words`).
    """
    record = rule_record(key, convention)
    hp = resolve_hyperparams(key, hyperparams, convention)
    names = symbol_names(key, convention, notation)
    if _is_schedule(hp.get(record.lr_keyword)):
        names[ETA] = r"\eta(t)" if r"\eta_t" in names.values() else r"\eta_t"
    printer = _RulePrinter(names, squares_as_products=notation == "course")
    lines = [
        rf"{names[lhs]} &\leftarrow {printer.doprint(rhs)}"
        for lhs, rhs in update_steps(key, hp, convention)
    ]
    for symbol, value in record.constants.items():
        lines.append(rf"{names[symbol]} &= {number_latex(value)}")
    block = "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"
    return case_words(block, lang)


def rule_values(
    key: str, hyperparams: dict | None = None, convention: str = "pytorch"
) -> list[tuple[sp.Symbol, float]]:
    """The numbers of the rule's symbols for these keywords (defaults filled in), in the
    factory's keyword order: ``[(η, 0.01), (α, 0.9), ...]``, only the symbols the rule
    uses. A schedule's η is its base rate; switches, keywords left off (Keras's
    ``weight_decay=None``) and per-start arrays are left out."""
    record = rule_record(key, convention)
    hp = resolve_hyperparams(key, hyperparams, convention)
    used = set().union(*(rhs.free_symbols for _, rhs in update_steps(key, hp, convention)))
    out = []
    for name, value in hp.items():
        symbol = record.keywords.get(name)
        if symbol is None:
            continue
        if callable(value):
            value = getattr(value, "lr", None)
        pairs = zip(symbol, value, strict=False) if isinstance(symbol, tuple) else [(symbol, value)]
        for part, number in pairs:
            if part not in used or isinstance(number, bool) or number is None:
                continue
            if isinstance(number, int | float) and math.isfinite(number):
                out.append((part, float(number)))
    return out


def number_latex(value: float) -> str:
    r"""A number of a rule as LaTeX: a power of ten below 10⁻³ as ``10^{-7}``, other small
    or large numbers as ``2 \cdot 10^{-8}``, the rest in their shortest decimal form."""
    if value == 0 or not math.isfinite(value) or 1e-3 <= abs(value) < 1e5:
        return f"{value:g}"
    mantissa, exponent = f"{value:e}".split("e")
    mantissa = f"{float(mantissa):g}"
    power = f"10^{{{int(exponent)}}}"
    return power if mantissa == "1" else rf"{mantissa} \cdot {power}"


_CASE_CONDITION = re.compile(r"\\text\{for\}\\:\s*(.*?)(?=\s*\\\\|\s*\\end\{cases\})")


def case_words(latex: str, lang: str) -> str:
    r"""SymPy's case words in ``lang``: in Japanese ``g & \text{for}\: t = 1`` becomes
    ``g & t = 1 \text{ のとき}`` and ``\text{otherwise}`` becomes ``\text{それ以外}``;
    other languages keep SymPy's English."""
    if lang != "ja":
        return latex
    latex = _CASE_CONDITION.sub(lambda m: m.group(1) + r"\ \text{のとき}", latex)
    return latex.replace(r"\text{otherwise}", r"\text{それ以外}")


def adaptive_lr_expr(
    key: str, hyperparams: dict | None = None, convention: str = "pytorch"
) -> sp.Expr | None:
    """The per-coordinate step factor P with ``Δθ = −P · direction``, where one exists.

    Each record gives its own (``step_factor``): η for SGD (direction g, b or g + μb),
    η/(√v̂ + ε) for Adam (direction m̂), ...; None where the step has no such factor (a
    piecewise or sign step, a velocity that holds η). Evaluate with :func:`adaptive_lr`.
    """
    hp = resolve_hyperparams(key, hyperparams, convention)
    factor = rule_record(key, convention).step_factor
    return _cached_rule("factor", key, hp, convention, factor)


def adaptive_lr(
    key: str, hyperparams: dict, before: dict, after: dict, convention: str = "pytorch"
) -> np.ndarray | None:
    """Evaluate :func:`adaptive_lr_expr` for one step.

    ``before`` is :func:`initial_env`, ``after`` the result of :func:`evaluate_update` for
    the same step; the symbols of the record's ``factor_reads_before`` (AdaDelta's u: its
    step uses the old u) come from ``before``, everything else from ``after``.
    """
    expr = adaptive_lr_expr(key, hyperparams, convention)
    if expr is None:
        return None
    env = dict(after)
    for symbol in rule_record(key, convention).factor_reads_before:
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


def initial_env(
    key: str, hyperparams: dict, grad, state, params, convention: str = "pytorch"
) -> dict:
    """Symbol values before the step: g, θ, t = count + 1, η at this step, the other
    hyperparameters, the numbers the rule holds, and the state (NamedTuple fields, the
    library's names)."""
    record = rule_record(key, convention)
    hp = resolve_hyperparams(key, hyperparams, convention)
    count = int(state.count)
    env = {G: np.asarray(grad, dtype=float), THETA: np.asarray(params, dtype=float)}
    env[T] = count + 1
    for name, symbol in record.keywords.items():
        if name not in hp:
            continue
        if isinstance(symbol, tuple):
            for part, value in zip(symbol, hp[name], strict=True):
                if part is not None:
                    env[part] = value
        else:
            env[symbol] = hp[name]
    env.update(record.constants)
    env[ETA] = lr_at(hp[record.lr_keyword], count)
    for field, symbol in record.state.items():
        env[symbol] = getattr(state, field)
    return env


def evaluate_update(
    key: str, hyperparams: dict, grad, state, params, convention: str = "pytorch"
) -> dict:
    """Apply :func:`update_steps` numerically; return the final symbol environment.

    Args:
        grad, params: arrays of the same shape (e.g. ``(N, 2)``).
        state: the optimizer's state NamedTuple before the step.
        convention: whose factory ``key`` names (``optviz.CONVENTIONS``).

    Returns:
        ``{symbol: value}`` after all assignments: ``env[THETA]`` is the new θ, state
        symbols hold the new buffers, intermediate symbols (m̂, v̂, a, …) their values.
    """
    env = initial_env(key, hyperparams, grad, state, params, convention)
    for lhs, rhs in update_steps(key, hyperparams, convention):
        env[lhs] = evaluate_expr(rhs, env)
    return env


def new_state(key: str, env: dict, state, convention: str = "pytorch") -> tuple:
    """The state NamedTuple after the step, read from ``env`` (untouched fields kept)."""
    symbols = rule_record(key, convention).state
    values = {
        field: env.get(symbols[field], getattr(state, field)) if field in symbols else None
        for field in state._fields
    }
    values["count"] = int(state.count) + 1
    return type(state)(**values)


def symbols_tex(symbols: Sequence[sp.Symbol]) -> list[str]:
    """LaTeX names of ``symbols``."""
    return [SYMBOL_TEX[s] for s in symbols]
