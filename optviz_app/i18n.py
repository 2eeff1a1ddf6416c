"""The page's words: ``t(key, lang)`` over the string tables of :mod:`optviz.strings`.

Mathematical names stay as people write them (SGD, Adam, η, β₁). A missing Japanese
entry falls back to English; a missing key shows the key itself (tests check that both
languages are complete). ``STRINGS`` is a view of the tables by key, ``{key: {lang: text}}``.
"""

from __future__ import annotations

import re

from optviz import strings
from optviz.catalog import DISPLAY_NAMES, keyword_labels

STRINGS: dict[str, dict[str, str]] = {
    key: {lang: table[key] for lang, table in strings.TABLES.items()}
    for key in strings.TABLES["en"]
}

HYPER_LABELS: dict[str, dict[str, str]] = {
    **keyword_labels(),  # the optimizers' keywords, from their records
    # the keywords Keras and the book name differently (their convention's own names)
    "beta_1": {"en": "β₁ (beta_1)", "ja": "β₁ (beta_1)"},
    "beta_2": {"en": "β₂ (beta_2)", "ja": "β₂ (beta_2)"},
    "beta1": {"en": "β₁ (beta1)", "ja": "β₁ (beta1)"},
    "beta2": {"en": "β₂ (beta2)", "ja": "β₂ (beta2)"},
    "epsilon": {"en": "ε (epsilon)", "ja": "ε (epsilon)"},
    "decay_rate": {"en": "decay rate ρ", "ja": "減衰率 ρ"},
    # a keyword whose letter differs in a convention's rule: "<convention>:<name>"
    "textbook:momentum": {"en": "momentum α", "ja": "モメンタム α"},
    "s:step_size": {"en": "step size (steps)", "ja": "間隔（ステップ）"},
    "s:gamma": {"en": "factor γ", "ja": "係数 γ"},
    "s:T_max": {"en": "T_max (steps)", "ja": "T_max（ステップ）"},
    "s:eta_min": {"en": "η_min", "ja": "η_min"},
    "s:warmup_steps": {"en": "warm-up steps", "ja": "ウォームアップのステップ数"},
    "s:start_factor": {"en": "start factor", "ja": "開始倍率"},
}


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def escape_markdown(text: str) -> str:
    """``text`` with Markdown's special characters backslash-escaped, so user input such as
    ``__import__`` or ``2*x*y`` shows as typed inside a Streamlit message."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def t(key: str, lang: str = "en", **kwargs) -> str:
    """The string ``key`` in ``lang`` (fallback English, then the key), formatted."""
    return strings.text(key, lang, **kwargs)


def optimizer_name(key: str) -> str:
    """Display name (the same in every language: SGD, Adam, ...)."""
    return DISPLAY_NAMES.get(key, key)


def run_title(i: int, spec, lang: str = "en") -> str:
    """``2 · Adam``: run ``i``'s number and optimizer; a run in another convention than
    PyTorch's says so (``2 · Adam · Keras``, the convention switch's short label in
    ``lang``)."""
    name = optimizer_name(spec.optimizer)
    convention = getattr(spec, "convention", "pytorch")
    if convention != "pytorch":
        name += f" · {t(f'convention_short.{convention}', lang)}"
    return f"{i + 1} · {name}"


def run_name(i: int, spec, detail: str = "", lang: str = "en") -> str:
    """``2 · Adam (η 0.05)``: how legends, hovers, equations and exports name run ``i``
    (:func:`run_title` and its lr); ``detail`` follows the lr inside the parentheses (see
    :func:`noise_note`)."""
    return f"{run_title(i, spec, lang)} (η {spec.lr:g}{detail})"


def noise_note(spec) -> str:
    """``", σ 0.3"`` for a run with gradient noise, else ``""``."""
    return f", σ {spec.noise:g}" if spec.noise else ""


def batch_note(spec, lang: str) -> str:
    """``", mini-batch 4"`` (``", ミニバッチ 4"``) for a mini-batch run, else ``""``."""
    size = getattr(spec, "batch_size", None)
    return "" if size is None else ", " + t("batch_short", lang, b=size)


def gradient_note(spec, lang: str) -> str:
    """What a run's gradient adds after its lr in its name: noise, then mini-batches."""
    return noise_note(spec) + batch_note(spec, lang)


def hyper_label(name: str, lang: str = "en", convention: str = "pytorch") -> str:
    """Label of a hyperparameter control (``betas:0`` -> β₁), with the letter of
    ``convention``'s rule (the book's ``momentum`` is α, PyTorch's μ)."""
    entry = HYPER_LABELS.get(f"{convention}:{name}") or HYPER_LABELS.get(name)
    return name if entry is None else entry.get(lang) or entry["en"]


def small_note(text: str) -> str:
    """``text`` as Markdown in the look of ``st.caption`` (small, grey), for a note that
    shares one element with the text above it. ``text``: a fixed string of the page (its
    square brackets would end the directive early)."""
    return f":small[:gray[{text}]]"
