"""The SymPy symbols of the update rules, with their LaTeX and plain-text names.

The update rules of :mod:`optviz.catalog` are written with these symbols; the equations
panel prints them with :data:`SYMBOL_TEX`, the step inspector names them with
:data:`SYMBOL_TEXT` and :data:`SYMBOL_NOTES`. An optimizer whose rule needs a symbol of
its own declares it in its record (``OptimizerSpec.symbols``).

Notation: ``g`` is the gradient at the current θ, ``t`` the step number (from 1);
hyperparameters have the letters of the course (η for ``lr``, λ for ``weight_decay``, ...),
state buffers the letters of the update rules (m, v, b, ...).
"""

from __future__ import annotations

import sympy as sp

G, THETA, T = sp.symbols("g theta t")
ETA, BETA1, BETA2, EPS, MU, TAU, RHO, ALPHA, LAM, GAMMA, PSI = sp.symbols(
    "eta beta1 beta2 epsilon mu tau rho alpha lam gamma psi"
)
M, V, B, S, U, GBAR, VMAX, PI = sp.symbols("m v b s u gbar vmax Pi")
MHAT, VHAT, A, ETA_T, DELTA, C = sp.symbols("mhat vhat a eta_t Delta c")
MU_T, MU_NEXT, RHO_INF, RHO_T, R = sp.symbols("mu_t mu_next rho_inf rho_t r")
H, LR_T = sp.symbols("h lr_t")

RMS = sp.Function("RMS")
"""Root mean square of one start's coordinates (each start is its own 2-vector)."""

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
    H: "h",
    LR_T: r"\alpha_t",
}
"""LaTeX name of every shared symbol."""

SYMBOL_TEXT: dict[sp.Symbol, str] = {
    B: "b",
    S: "s",
    V: "v",
    GBAR: "ḡ",
    U: "u",
    M: "m",
    VMAX: "v_max",
    PI: "Π",
    H: "h",
}
"""Plain-text name of the state symbols (the inspector writes ``"m (exp_avg)"``)."""

SYMBOL_NOTES: dict[sp.Symbol, str] = {
    G: "g (after maximize / weight decay)",
    MHAT: "m̂ (bias-corrected m)",
    VHAT: "v̂ (bias-corrected v)",
    A: "a (denominator)",
    ETA_T: "η̃ (decayed lr)",
    DELTA: "Δ (AdaDelta step)",
    C: "c (interpolated momentum)",
    MU_T: "μ_t",
    MU_NEXT: "μ_{t+1}",
    RHO_INF: "ρ_∞",
    RHO_T: "ρ_t",
    R: "r (rectification)",
    LR_T: "α_t (bias-corrected lr)",
}
"""Intermediate symbols -> readable names (the inspector's rows)."""


# ---------------------------------------------------------------------------------------
# notations

NOTATIONS = ("course", "pytorch")
"""How the update rules are written: ``"course"``, the Japanese course's notation (in the
style of 「ゼロから作るDeep Learning」: W for the parameters, ∂L/∂W for the gradient, the
course's state names h, v, m, ...), or ``"pytorch"``: θ, g and the library's own letters."""

COURSE_TEX: dict[sp.Symbol, str] = {
    THETA: "W",
    G: r"\frac{\partial L}{\partial W}",
}
"""The course notation's names of the parameters and the gradient (every rule); each
record adds the course's names of its own states (``course`` of its record)."""

COURSE_TEXT: dict[sp.Symbol, str] = {THETA: "W", G: "∂L/∂W"}
"""Plain-text names of :data:`COURSE_TEX` (the step inspector's rows)."""

ELEMENTWISE_SQUARES = frozenset({G, DELTA, GBAR})
"""Symbols whose square the course writes as an element-wise product, ``∂L/∂W ⊙ ∂L/∂W``."""
