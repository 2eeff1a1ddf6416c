"""The page's surface from plain values: a registry key with parameter pairs, or a typed
formula on its plot window (cached: building one parses, compiles and searches a grid).

Everything above it (the page state's default start, the runs, the study sections) gets
its surface here, so a typed formula is built once per text and window.
"""

from __future__ import annotations

import streamlit as st

from surfaces import SURFACE_PARAMS, SURFACES, FormulaError, Surface, from_expression

from .notices import Notice, formula_notice

FORMULA = "formula"
"""The surface key of a typed formula (``PageState.formula`` on ``PageState.bounds``)."""
DEFAULT_FORMULA = "x^2 + 3*y^2 - x*y"
DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))


@st.cache_data(max_entries=32, show_spinner=False)
def formula_surface(text: str, bounds) -> Surface:
    """``from_expression(text, bounds)``, cached on the text and the window (a Surface
    pickles as its SymPy expressions); raises ``FormulaError`` like it (not cached)."""
    return from_expression(text, tuple(tuple(float(v) for v in b) for b in bounds))


def make_surface(key: str, params: tuple = ()) -> Surface:
    """The surface for ``key`` and ``(name, value)`` pairs; raises ValueError (a
    ``FormulaError`` for a refused formula) if it cannot be built.

    Factories of :data:`surfaces.SURFACE_PARAMS` get the pairs as keywords; ``"formula"``
    takes ``("expression", text)`` and optionally ``("bounds", ((x0, x1), (y0, y1)))``
    and is built by :func:`formula_surface` (cached).
    """
    p = dict(params)
    if key == FORMULA:
        return formula_surface(p.get("expression", ""), p.get("bounds", DEFAULT_BOUNDS))
    if key in SURFACE_PARAMS and p:
        factory, _ = SURFACE_PARAMS[key]
        return factory(**p)
    if key not in SURFACES:
        raise ValueError(f"unknown surface {key!r}")
    return SURFACES[key]


def build_surface(key: str, params: tuple[tuple[str, float], ...] = ()):
    """``(Surface, notices)``: :func:`make_surface`, falling back instead of raising.

    A factory ValueError falls back to the registry default with a notice; a refused
    formula (or none given) to the default formula with a ``formula.<code>`` notice.
    """
    if key == FORMULA:
        p = {"expression": DEFAULT_FORMULA, **dict(params)}
        try:
            return make_surface(key, tuple(p.items())), []
        except FormulaError as error:
            fallback = formula_surface(DEFAULT_FORMULA, DEFAULT_BOUNDS)
            return fallback, [formula_notice(error)]
    surface = SURFACES[key]
    try:
        return make_surface(key, params), []
    except ValueError as error:
        return surface, [Notice("notice.surface_error", (("error", str(error)),))]
