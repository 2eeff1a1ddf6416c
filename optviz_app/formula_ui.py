"""Typed formula surfaces in the page: the sidebar controls and their callback.

The state keeps the last *good* formula and window (``PageState.formula``/``bounds``);
the widgets ``f"{gen}:formula"`` and ``f"{gen}:b:xmin"`` … hold what is typed. A change
is tried in :func:`on_formula_change` (a callback, before the script runs): the formula is
built (``surface_builder.build_surface``, cached); if it is refused the state is left alone —
surface, runs, start and steps stay — and the refusal is kept in
``st.session_state["formula_problem"]`` (with the generation it belongs to) to be shown
under the field, translated by ``FormulaError.code`` (``formula.<code>`` in i18n). A good
formula replaces the state's through :func:`optviz_app.session.restructure` (widgets
re-created).
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from surfaces import SURFACES, FormulaError

from .i18n import escape_markdown, t
from .notices import Notice, formula_notice, notice
from .session import BOUND_NAMES, key, restructure
from .state import PageState, check_bounds
from .surface_builder import FORMULA, build_surface, formula_surface

EXAMPLES = (
    "x^2 + 3*y^2 - x*y",
    "sin(x)*cos(y)",
    "(1-x)^2 + 100*(y-x^2)^2",
    "x^2 - y^2",
    "(x^2 + y - 11)^2 + (x + y^2 - 7)^2",
    "0.1*(x^2 + y^2) - cos(3*x)*cos(3*y)",
    "abs(x) + 2*abs(y)",
    "log(1 + x^2 + 10*y^2)",
)
"""Examples offered under the field (each is accepted; tests check it)."""

PROBLEM = "formula_problem"


def surface_label(key: str, lang: str) -> str:
    """The surface picker's label of ``key`` (the typed formula included)."""
    if key == FORMULA:
        return t("surface.formula", lang)
    s = SURFACES[key]
    return s.title_ja if lang == "ja" else s.title_en


def markdown_text(text: str) -> str:
    """``text`` with Markdown's emphasis/escape characters escaped (``x*y*z`` stays)."""
    for ch in "\\*_`[]<>$~":
        text = text.replace(ch, "\\" + ch)
    return text


def problem_message(notice: Notice, lang: str) -> str:
    """A refusal in the page's language: what is wrong, the piece and where it is."""
    args = notice.kwargs()
    shown = {k: escape_markdown(v) if isinstance(v, str) else v for k, v in args.items()}
    text = t(notice.key, lang, **shown)
    column = args.get("column")
    if isinstance(column, int):
        text += t("formula.at_column", lang, column=column)
    return text


def try_formula(text, bounds) -> tuple[object | None, Notice | None]:
    """``(surface, None)`` if ``text`` on ``bounds`` builds, else ``(None, notice)``."""
    box = check_bounds(bounds)
    if box is None:
        return None, notice("formula.bounds", detail=str(bounds)[:60])
    if not isinstance(text, str):
        return None, notice("formula.not_text", detail=str(text)[:40])
    try:
        return formula_surface(text, box), None
    except FormulaError as error:
        return None, formula_notice(error)


def on_formula_change() -> None:
    """The formula or a bound was edited: use it if it builds, else keep the state."""
    ss = st.session_state
    gen = ss["gen"]
    state: PageState = ss["state"]
    text = ss.get(key(gen, "formula"), state.formula)
    text = text.strip() if isinstance(text, str) else text
    x0, x1, y0, y1 = (ss.get(key(gen, f"b:{n}")) for n in BOUND_NAMES)
    bounds = ((x0, x1), (y0, y1))
    surface, problem = try_formula(text, bounds)
    if problem is not None:
        kind = "window" if problem.key == "formula.bounds" else "formula"
        ss[PROBLEM] = (gen, kind, problem)
        return
    ss.pop(PROBLEM, None)
    box = surface.bounds

    def edit(s: PageState) -> PageState:
        start = s.start
        if text != s.formula or start is None:
            start = None  # a new formula starts from its own default start
        else:
            (a, b), (c, d) = box
            if not (a <= start[0] <= b and c <= start[1] <= d):
                start = None
        return replace(s, surface=FORMULA, formula=text, bounds=box, start=start)

    restructure(edit)


def on_example() -> None:
    """An example was picked: put it into the field and try it."""
    ss = st.session_state
    gen = ss["gen"]
    example = ss.get(key(gen, "formula_example"))
    if not example:
        return
    ss[key(gen, "formula")] = example
    on_formula_change()


def controls(sb, state: PageState, gen: int) -> None:
    """The formula field, examples, plot window, refusal and estimated minimum (sidebar);
    nothing unless the picked surface is the typed formula."""
    if state.surface != FORMULA:
        return
    lang = state.lang
    sb.text_input(
        t("formula.label", lang),
        key=key(gen, "formula"),
        on_change=on_formula_change,
        max_chars=None,
        help=t("formula.help", lang),
        placeholder="x^2 + 3*y^2 - x*y",
    )
    problem = st.session_state.get(PROBLEM)
    if problem is not None and problem[0] == gen:
        _, kind, notice = problem
        head = "formula.window_refused" if kind == "window" else "formula.refused"
        sb.error(t(head, lang, problem=problem_message(notice, lang)), icon=":material/block:")
    sb.selectbox(
        t("formula.examples", lang),
        EXAMPLES,
        index=None,
        placeholder=t("formula.example_pick", lang),
        key=key(gen, "formula_example"),
        on_change=on_example,
    )
    sb.caption(t("formula.window", lang))
    c1, c2 = sb.columns(2)
    for col, name in zip((c1, c2, c1, c2), BOUND_NAMES, strict=True):
        col.number_input(
            t(f"formula.{name}", lang),
            format="%g",
            step=0.5,
            key=key(gen, f"b:{name}"),
            on_change=on_formula_change,
        )
    surface, _ = build_surface(*state.surface_args())
    if surface.minima and surface.f_min is not None:
        x, y = surface.minima[0]
        sb.caption(t("formula.minimum", lang, f=surface.f_min, x=x, y=y))
    else:
        sb.caption(t("formula.no_minimum", lang))
