"""The Streamlit page: the sidebar, the charts, the results; it wires in the sections.

Flow of one script run (the session's keys and the state <-> widgets mapping are in
:mod:`optviz_app.session`):

1. On a session's first run the state comes from the link (:func:`teaching.first_load`).
   :func:`session.sync_state` reads the widgets into a validated :class:`PageState`.
2. Runs are computed through a cache on plain arguments, those not cached yet together
   (:func:`session.cached_runs`).
3. The map, loss curves, results table, panels and (optionally) the 3-D view are drawn;
   the sidebar draws the widgets (their values seeded from the state).
4. Structural edits (add/remove/duplicate a run, another optimizer or surface) are
   callbacks that load a new state (:func:`session.restructure`).
"""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import streamlit as st

from optviz import CONVENTIONS
from optviz.conventions import CONVENTION_NAMES
from optviz.drawing import figures as F
from surfaces import SURFACE_PARAMS, SURFACES

from . import formula_ui, network_ui, plot, presenter, studies_ui, teaching
from .compute import (
    RunResult,
    Summary,
    first_undefined_step,
    summarize,
)
from .i18n import (
    STRINGS,
    escape_markdown,
    gradient_note,
    hyper_label,
    optimizer_name,
    run_name,
    small_note,
    t,
)
from .links import fmt_value
from .notices import Notice
from .session import (
    LR_GRID,
    RUN_BOXES,
    VIEW_SWITCHES,
    BoxShown,
    cached_map,
    cached_mesh,
    cached_runs,
    carried_open,
    core_hyper,
    in_more,
    key,
    last_boxes,
    load_state,
    nearest_grid,
    restructure,
    seed_run,
    sync_state,
    teach,
)
from .state import (
    DEFAULT_CONVENTION,
    MAX_RUNS,
    SCHEDULES,
    PageState,
    RunSpec,
    closest_optimizer,
    data_points,
    lr_keyword,
)
from .surface_builder import FORMULA, build_surface

SWATCHES = tuple(f':color[●]{{foreground="{c}"}}' for c in F.PALETTE)
"""The runs' colours (:data:`optviz.drawing.figures.PALETTE`) as Markdown for widget labels:
Streamlit's ``:color[…]{foreground="#rrggbb"}`` directive, so a swatch is the chart's colour."""

MORE_POPOVER = ", ".join(
    f'[data-testid="stPopoverBody"][aria-label^="{label}"]'
    for label in STRINGS["more_settings"].values()
)
COMPACT_CSS = (
    "<style>.block-container {padding-top: 2rem; padding-bottom: 1rem;} "
    # a phone's top bar is opaque: clear it
    "@media (max-width: 640px) {.block-container {padding-top: 4rem;}} "
    # tables wider than the screen (results, inspector on a phone) scroll, not clip
    '[data-testid="stMarkdownContainer"] table {display: block; overflow-x: auto;} '
    f"{MORE_POPOVER} {{width: 17rem !important;}}</style>"
)
"""Less empty space above the charts, so the map fits a projector screen (not under a
phone's top bar); wide tables scroll; a run's "More settings" as narrow as the sidebar,
so it hides little of the map while open."""

# ---------------------------------------------------------------------------------------
# callbacks (run before the script, may write widget keys)


def on_add() -> None:
    n = len(st.session_state["state"].runs)
    restructure(lambda s: s.add_run(), open_boxes=(n,))  # the new run, ready to edit


def on_remove(i: int) -> None:
    restructure(lambda s: s.remove_run(i))


PANELS = (*teaching.PANELS, *studies_ui.PANELS, network_ui.PANEL)
"""The page's lazy expanders below the map (drawn only while open)."""


def on_lang_change() -> None:
    """A new language re-creates every widget (a new generation): the browser keeps a
    selectbox's shown option text while its key stays, so the surface, preset and
    optimizer pickers would go on showing the old language. Open run boxes stay open.

    The expanders below the map are keyed by their label too, so each open one is opened
    again under its new label (:data:`PANELS`; its widgets are drawn on the next run and
    keep their values). The studies' and the network's own pickers are keyed by fixed
    names, outside the generations: those whose options are words are written again with
    the value they hold, which makes Streamlit send it to the browser in the new language.
    The fair comparison's mode (a widget of the generation) is carried into the new one."""
    ss = st.session_state
    gen = ss["gen"]
    opened = tuple(i for i in range(len(ss["state"].runs)) if ss.get(key(gen, f"r{i}:box")))
    panels = [k for k in PANELS if ss.get(k)]
    worded = [*studies_ui.worded_pickers(list(ss)), *network_ui.WORDED_PICKERS]
    pickers = {k: ss[k] for k in worded if k in ss}
    fair_mode = ss.get(key(gen, studies_ui.FAIR_MODE))
    restructure(lambda s: s, open_boxes=opened)
    new = ss["gen"]
    for k in panels:
        ss[k] = True
    for k, value in pickers.items():
        ss[k] = value
    if fair_mode is not None:
        ss[key(new, studies_ui.FAIR_MODE)] = fair_mode


def on_duplicate(i: int) -> None:
    restructure(lambda s: s.duplicate_run(i), open_boxes=(i, i + 1))  # original and copy


SWITCHED = "switched_optimizer"
"""Session key of the one-time note after a run's optimizer was switched: ``(i, spec)``."""


def switched_spec(old: RunSpec, optimizer: str) -> RunSpec:
    """Run ``old`` switched to ``optimizer``: every torch keyword (``lr`` included) at the
    new factory's defaults, no schedule; the gradient noise, the mini-batch size and the
    seed are kept (they belong to the gradient, not to the optimizer)."""
    return RunSpec.make(
        optimizer,
        None,
        noise=old.noise,
        seed=old.seed,
        batch_size=old.batch_size,
        convention=old.convention,
    )


def on_optimizer_change(i: int) -> None:
    """A new optimizer for run i: it starts from its own defaults, and the page says so."""
    ss = st.session_state
    gen = ss["gen"]
    new = ss[key(gen, f"r{i}:optimizer")]

    def edit(s: PageState) -> PageState:
        spec = switched_spec(s.runs[i], new)
        ss[SWITCHED] = (i, spec)
        return s.with_run(i, spec)

    restructure(edit, open_boxes=(i,))  # the box stays open on the new controls


CONVERTED = "switched_convention"
"""Session key of the one-time note after a run's convention was switched:
``(i, spec, keywords)`` (the keywords set to reach the closest optimizer)."""


def converted_spec(old: RunSpec, convention: str) -> tuple[RunSpec, dict]:
    """Run ``old`` in ``convention``: the same optimizer if the convention has it, else its
    closest (:func:`optviz_app.state.closest_optimizer`: Keras's SGD with momentum 0.9
    for momentum); every keyword at the convention's defaults but those that make the
    closest optimizer; the learning rate, its schedule, the gradient noise and its seed
    kept (the step size on this surface is the user's, not the library's). Returns the
    spec and those keywords."""
    optimizer, keywords = closest_optimizer(old.optimizer, convention, old.hyper_values())
    spec = RunSpec.make(
        optimizer,
        old.lr,
        **keywords,
        schedule=old.schedule,
        schedule_params=old.schedule_params,
        noise=old.noise,
        seed=old.seed,
        convention=convention,
    )
    return spec, keywords


def on_convention_change(i: int) -> None:
    """Another convention for run i (one click): its defaults, and the page says so."""
    ss = st.session_state
    new = ss[key(ss["gen"], f"r{i}:conv")]

    def edit(s: PageState) -> PageState:
        old = s.runs[i]
        if new not in CONVENTIONS or new == old.convention:
            return s  # the reload writes the run's own convention back into the control
        spec, keywords = converted_spec(old, new)
        ss[CONVERTED] = (i, spec, keywords)
        return s.with_run(i, spec)

    restructure(edit, open_boxes=(i,))


def convention_name(convention: str, lang: str) -> str:
    """``Keras 流`` / ``Keras``: a convention's display name in ``lang``."""
    return CONVENTION_NAMES[convention][lang]


def switched_note(lang: str) -> None:
    """Once, after a switch: which run got which optimizer (or convention), back at its
    defaults."""
    i, spec = st.session_state.pop(SWITCHED, (None, None))
    if spec is not None:
        name = optimizer_name(spec.optimizer)
        st.info(t("switched_defaults", lang, i=i + 1, name=name, lr=f"{spec.lr:g}"))
    i, spec, keywords = st.session_state.pop(CONVERTED, (None, None, None))
    if spec is not None:
        listed = ", ".join(f"{k} = {fmt_value(v)}" for k, v in keywords.items())
        extra = t("convention_switched_extra", lang, keywords=listed) if keywords else ""
        text = t(
            "convention_switched",
            lang,
            i=i + 1,
            convention=convention_name(spec.convention, lang),
            name=optimizer_name(spec.optimizer),
            extra=extra,
            lr=f"{spec.lr:g}",
        )
        st.info(text, icon=":material/swap_horiz:")


def on_surface_change() -> None:
    """Another surface: its own default start and parameters."""
    ss = st.session_state
    new = ss[key(ss["gen"], "surface")]
    state, _ = sync_state()
    load_state(replace(state, surface=new, surface_params=(), start=None))


def on_lr_slider(i: int) -> None:
    ss = st.session_state
    gen = ss["gen"]
    ss[key(gen, f"r{i}:lr")] = float(ss[key(gen, f"r{i}:lr_s")])


def on_lr_number(i: int) -> None:
    ss = st.session_state
    gen = ss["gen"]
    ss[key(gen, f"r{i}:lr_s")] = nearest_grid(ss[key(gen, f"r{i}:lr")])


def on_map_click() -> None:
    """A click on the map (the invisible grid or any marker) moves the start point."""
    point = plot.clicked_point("map")
    if point is None:
        return
    gen = st.session_state["gen"]
    x, y = point
    st.session_state[key(gen, "x")], st.session_state[key(gen, "y")] = round(x, 4), round(y, 4)


# ---------------------------------------------------------------------------------------
# sidebar


def sidebar(state: PageState, gen: int, used: tuple[RunSpec, ...] = ()) -> None:
    """The sidebar; ``used``: the spec each run is drawn with (another lr under a fair
    comparison), for the run boxes to say so."""
    lang = state.lang
    sb = st.sidebar
    # headings as Markdown: an st.header re-renders its insides on every commit of a
    # rerun, a Markdown heading does not (~20 React components per heading and rerun)
    sb.markdown(f"# {t('title', lang)}")
    shown = presenter.shown  # a link's hide=; hidden values come from the state
    teaching.preset_picker(sb, state, teach(), lang)
    if shown("lang"):
        sb.radio(
            t("lang", lang),
            ("en", "ja"),
            format_func=lambda v: {"en": "English", "ja": "日本語"}[v],
            key=key(gen, "lang"),
            on_change=on_lang_change,
            horizontal=True,
        )
    if shown("surface"):
        sb.markdown(f"## {t('surface', lang)}")
        sb.selectbox(
            t("surface", lang),
            [*SURFACES, FORMULA],
            format_func=lambda k: formula_ui.surface_label(k, lang),
            key=key(gen, "surface"),
            on_change=on_surface_change,
            label_visibility="collapsed",
        )
        formula_ui.controls(sb, state, gen)
        for p in SURFACE_PARAMS.get(state.surface, (None, ()))[1]:
            label = p.label_ja if lang == "ja" else p.label_en
            k = key(gen, f"sp:{p.name}")
            if p.kind == "int":
                sb.number_input(label, step=int(p.step), key=k)
            else:
                sb.slider(label, float(p.low), float(p.high), step=float(p.step), key=k)
    if shown("start"):
        sb.markdown(f"### {t('start', lang)}")
        row = sb.container(horizontal=True)  # one element, not columns (each costs)
        row.number_input("x₀", step=0.1, format="%.4g", key=key(gen, "x"), width=110)
        row.number_input("y₀", step=0.1, format="%.4g", key=key(gen, "y"), width=110)
        sb.caption(t("start_hint", lang))
    if shown("steps"):
        sb.number_input(
            t("steps", lang), step=50, key=key(gen, "steps"), help=t("steps_help", lang)
        )

    if shown("runs"):
        sb.markdown(f"## {t('runs', lang)}")
        last = last_boxes(gen)
        data_n = data_points(state.surface, state.surface_params)
        boxes = {
            i: run_controls(
                sb, spec, i, gen, lang, last.get(i), used[i] if i < len(used) else None, data_n
            )
            for i, spec in enumerate(state.runs)
        }
        st.session_state[RUN_BOXES] = (gen, boxes)
        sb.button(
            t("add_run", lang),
            on_click=on_add,
            disabled=len(state.runs) >= MAX_RUNS,
            icon=":material/add:",
            key=key(gen, "add"),
        )

    if shown("view"):
        sb.markdown(f"## {t('view', lang)}", help=t("show_3d_help", lang))
        sb.pills(  # one element for four switches (each element costs on every rerun)
            t("view", lang),
            list(VIEW_SWITCHES),
            selection_mode="multi",
            format_func=lambda name: f"{VIEW_SWITCHES[name]} {t(name, lang)}",
            key=key(gen, "view:shown"),
            label_visibility="collapsed",
        )
        sb.number_input(
            t("tol", lang),
            format="%g",
            step=1e-3,
            key=key(gen, "view:tol"),
            help=t("tol_help", lang),
        )


def changed_settings(spec: RunSpec, core: str | None) -> int:
    """How many of the "More settings" differ from their defaults (keywords, a schedule,
    gradient noise, a mini-batch size), so a closed popover still says that something is
    set inside."""
    defaults = spec.defaults()
    hyper = sum(
        1 for name, value in spec.hyper_values().items() if name != core and value != defaults[name]
    )
    changed = (spec.schedule != "constant") + (spec.noise != 0) + (spec.batch_size is not None)
    return hyper + changed


def more_label(spec: RunSpec, core: str | None, lang: str, short: bool = False) -> str:
    """ "More settings", and how many of them are set (not ``short``: an open popover,
    whose fields show them; Streamlit keys it by its label too, see :func:`run_controls`)."""
    n = 0 if short else changed_settings(spec, core)
    label = t("more_settings", lang)
    return f"{label} · {t('more_changed', lang, n=n)}" if n else label


def hyper_input(
    name: str, default, i: int, gen: int, lang: str, convention: str = DEFAULT_CONVENTION
) -> None:
    """Number field(s) for keyword ``name`` of run ``i`` (a tuple default: one per entry),
    labelled with the letters of the run's ``convention``."""
    if isinstance(default, tuple):
        for j, col in enumerate(st.columns(len(default))):
            col.number_input(
                hyper_label(f"{name}:{j}", lang, convention),
                format="%g",
                step=0.01 if j == 0 else 0.001,
                key=key(gen, f"r{i}:{name}:{j}"),
            )
    else:
        st.number_input(
            hyper_label(name, lang, convention),
            format="%g",
            step=None,
            key=key(gen, f"r{i}:{name}"),
        )


def more_controls(
    spec: RunSpec,
    core: str | None,
    defaults: dict,
    i: int,
    gen: int,
    lang: str,
    data_n: int | None = None,
):
    """Run ``i``'s other keywords (toggles in two columns), its lr schedule with the
    schedule's parameters, gradient noise and the run's seed; on a surface whose loss is
    a mean over ``data_n`` data points, the mini-batch size too (empty: the full batch)."""
    bools = [n for n, v in defaults.items() if in_more(n, core) and isinstance(v, bool)]
    for name, default in defaults.items():
        if in_more(name, core) and not isinstance(default, bool):
            hyper_input(name, default, i, gen, lang, spec.convention)
    cols = st.columns(2)
    for j, name in enumerate(bools):
        cols[j % 2].checkbox(hyper_label(name, lang, spec.convention), key=key(gen, f"r{i}:{name}"))
    st.selectbox(
        t("schedule", lang),
        list(SCHEDULES),
        format_func=lambda k: t(f"schedule.{k}", lang),
        key=key(gen, f"r{i}:schedule"),
    )
    current = st.session_state.get(key(gen, f"r{i}:schedule"), spec.schedule)
    for name, default, kind in SCHEDULES.get(current, ()):
        k = key(gen, f"r{i}:s:{name}")
        if k not in st.session_state:
            st.session_state[k] = default
        st.number_input(
            hyper_label(f"s:{name}", lang),
            format="%d" if kind == "int" else "%g",
            step=1 if kind == "int" else None,
            key=k,
        )
    c1, c2 = st.columns(2)
    c1.number_input(t("noise", lang), format="%g", step=0.05, key=key(gen, f"r{i}:noise"))
    c2.number_input(t("seed", lang), step=1, key=key(gen, f"r{i}:seed"))
    if data_n is not None:  # no field where the loss has no data points to batch
        st.number_input(
            t("batch_size", lang),
            value=None,
            step=1,
            placeholder=f"{data_n}",
            key=key(gen, f"r{i}:batch_size"),
            help=t("batch_size_help", lang, n=data_n),
        )


def fair_lr(spec: RunSpec, used: RunSpec | None) -> float | None:
    """The lr a fair comparison draws run ``spec`` with, when it is not its own (else None)."""
    return used.lr if used is not None and used.lr != spec.lr else None


def run_title(
    spec: RunSpec, i: int, lang: str, used: RunSpec | None = None, short: bool = False
) -> str:
    """``🟦 1 · Adam · lr 0.05`` (the swatch matches the run's colour on the charts); under
    a fair comparison that draws it with another lr, ``… · lr 0.05 · ⚖ 0.01``. ``short``
    (an open box, whose controls show the rest): ``🟦 1 · Adam``."""
    head = f"{SWATCHES[i % len(SWATCHES)]} {i + 1} · {optimizer_name(spec.optimizer)}"
    if spec.convention != DEFAULT_CONVENTION:  # the switch's short label: a narrow box
        head += f" · {t(f'convention_short.{spec.convention}', lang)}"
    if short:
        return head
    extra = " · " + t("noise_short", lang) if spec.noise else ""
    if spec.batch_size is not None:
        extra += " · " + t("batch_short", lang, b=spec.batch_size)
    fair = fair_lr(spec, used)
    fair_part = f" · ⚖ {fair:g}" if fair is not None else ""
    lr_name = lr_keyword(spec.optimizer, spec.convention)
    return f"{head} · {lr_name} {spec.lr:g}{fair_part}{extra}"


def run_controls(
    sb,
    spec: RunSpec,
    i: int,
    gen: int,
    lang: str,
    last: BoxShown | None,
    used: RunSpec | None = None,
    data_n: int | None = None,
) -> BoxShown:
    """One run's expander: optimizer, lr (log slider + exact field), every other keyword of
    the factory's signature, schedule, noise, and duplicate/remove buttons. Lazy: a closed
    box draws nothing; a box opening again is seeded from ``spec``. ``last``: what this box
    showed on the last run (None on a new widget generation); ``used``: the spec the charts
    draw this run with (a fair comparison's lr), said in the title (closed) and above the
    lr. Open, the title is short (:func:`run_title`), so edits inside keep the same box.
    ``data_n``: the surface's number of data points (None: no mini-batch field)."""
    ss = st.session_state
    errors = ss.get("run_errors", {})
    box_key = key(gen, f"r{i}:box")
    error = bool(errors.get(i))
    if error and not (last and last.error):
        ss[box_key] = True  # open the box once to show the error next to the controls
    # Streamlit keys an expander by its label too: a new label is a new box, mounted afresh
    # in the browser (~500 React components) and closed. An open box's label leaves out
    # what its controls show (lr, ⚖, noise), so an edit inside it keeps the same box.
    is_open = carried_open(box_key)  # as the user left it (or opened just above)
    title = run_title(spec, i, lang, used, short=is_open)
    box = sb.expander(title, key=box_key, on_change="rerun")
    if not box.open:
        return BoxShown(error, drawn=False)  # lazy: a closed box sends no widgets
    if not (last and last.drawn):
        seed_run(spec, gen, i)
    with box:
        if errors.get(i):
            st.error(t("run_error", lang, error=errors[i]))
        st.segmented_control(
            t("convention", lang),
            list(CONVENTIONS),
            required=True,
            format_func=lambda c: t(f"convention_short.{c}", lang),
            key=key(gen, f"r{i}:conv"),
            on_change=on_convention_change,
            args=(i,),
            help=t("convention_help", lang),
            width="stretch",
        )
        st.selectbox(
            t("optimizer", lang),
            list(CONVENTIONS[spec.convention]),
            format_func=optimizer_name,
            key=key(gen, f"r{i}:optimizer"),
            on_change=on_optimizer_change,
            args=(i,),
        )
        if (fair := fair_lr(spec, used)) is not None:
            st.caption(t("fair.box_note", lang, lr=f"{fair:g}"))
        st.select_slider(
            t("lr_slider", lang, name=lr_keyword(spec.optimizer, spec.convention)),
            LR_GRID,
            format_func=lambda v: f"{v:g}",
            key=key(gen, f"r{i}:lr_s"),
            on_change=on_lr_slider,
            args=(i,),
        )
        st.number_input(
            t("lr_exact", lang),
            format="%g",
            step=None,
            key=key(gen, f"r{i}:lr"),
            on_change=on_lr_number,
            args=(i,),
        )
        defaults = spec.defaults()
        core = core_hyper(spec.optimizer, spec.convention)
        if core is not None:
            hyper_input(core, defaults[core], i, gen, lang, spec.convention)
        # the rest (signature keywords, schedule, noise) one click away and lazy: a closed
        # popover sends none of its ~10 widgets (server time and messages on every rerun);
        # opened, it reruns the page and fills in
        more_key = key(gen, f"r{i}:more")
        more = st.popover(
            more_label(spec, core, lang, short=carried_open(more_key)),
            width="stretch",
            key=more_key,
            on_change="rerun",
        )
        more_open = bool(more.open)
        if more_open:
            if not (last and last.more):
                seed_run(spec, gen, i, only_more=True)
            with more:
                more_controls(spec, core, defaults, i, gen, lang, data_n)
        row = st.container(horizontal=True)  # content-wide buttons; they wrap, never clip
        row.button(
            t("duplicate", lang),
            key=key(gen, f"r{i}:dup"),
            on_click=on_duplicate,
            args=(i,),
            icon=":material/content_copy:",
        )
        row.button(
            t("remove", lang),
            key=key(gen, f"r{i}:rm"),
            on_click=on_remove,
            args=(i,),
            icon=":material/delete:",
        )
    return BoxShown(error, drawn=True, more=more_open)


# ---------------------------------------------------------------------------------------
# main area


def labels_for(lang: str) -> F.Labels:
    return F.Labels(
        play=t("play", lang),
        pause=t("pause", lang),
        restart=t("restart", lang),
        step=t("step", lang),
        start=t("start_marker", lang),
        minimum=t("minimum", lang),
        gradient="−∇f",
        log_note=t("log_note", lang),
    )


def fmt(v, digits: int = 4) -> str:
    if v is None:
        return "—"
    if isinstance(v, float) and not math.isfinite(v):
        return "—"
    return f"{v:.{digits}g}"


def run_status(s: Summary, lang: str) -> str:
    """A run's status cell: left the domain, diverged, did not move, or ok."""
    if s.left_domain_at >= 0 and (s.diverged_at < 0 or s.left_domain_at <= s.diverged_at):
        return "⚠ " + t("status_left_domain", lang, k=s.left_domain_at)
    if s.diverged_at >= 0:
        return "⚠ " + t("status_diverged", lang, k=s.diverged_at)
    if not s.moved:
        return t("status_still", lang)
    return t("status_ok", lang)


def results_table(
    rows: list[tuple[int, RunSpec, RunResult]], surface, tol: float, lang: str, notes=()
) -> str:
    """Markdown/HTML table: one row per run, coloured dot, final loss, gap, distance to the
    nearest minimum (known or found), first step within tolerance, status. The distance and
    step columns appear when some run has a minimum to measure against."""
    summaries = [
        None if result.trajectory is None else summarize(result, surface, tol)
        for _, _, result in rows
    ]
    done = [s for s in summaries if s is not None]
    has_distance = any(s.distance is not None for s in done) or bool(surface.minima)
    has_reached = any(s.reached is not None for s in done) or bool(surface.minima)
    head = [
        t("col_run", lang),
        t("col_final", lang),
        t("col_gap", lang) if surface.f_min is not None else None,
        t("col_distance", lang) if has_distance else None,
        t("col_reached", lang, tol=f"{tol:g}") if has_reached else None,
        t("col_status", lang),
    ]
    head = [h for h in head if h is not None]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for (i, spec, _), s in zip(rows, summaries, strict=True):
        dot = f'<span style="color:{F.color(i)};font-size:1.2em">●</span>'
        note = notes[i] if i < len(notes) else ""  # fair comparison: where the lr came from
        name = f"{dot} {i + 1} · {optimizer_name(spec.optimizer)}"
        if spec.convention != DEFAULT_CONVENTION:
            name += f" · {convention_name(spec.convention, lang)}"
        name += f" (lr {spec.lr:g}{note}"
        name += gradient_note(spec, lang) + ")"
        if s is None:
            lines.append(
                "| " + " | ".join([name, *["—"] * (len(head) - 2), t("status_error", lang)]) + " |"
            )
            continue
        cells = [name, fmt(s.final_loss)]
        if surface.f_min is not None:
            cells.append(fmt(s.gap, 3))
        if has_distance:
            cells.append(fmt(s.distance, 3))
        if has_reached:
            cells.append(str(s.reached) if s.reached is not None and s.reached >= 0 else "—")
        cells.append(run_status(s, lang))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def show_notices(notices: list[Notice], lang: str) -> None:
    seen = set()
    for n in notices:
        # values from links and widgets are shown as typed, never as Markdown
        args = {k: escape_markdown(v) if isinstance(v, str) else v for k, v in n.kwargs().items()}
        text = t(n.key, lang, **args)
        if text not in seen:
            seen.add(text)
            st.warning(text, icon=":material/warning:")


def run_notices(state: PageState, results, paths: list[F.Path], fair_caption, lang: str):
    """What the page says about the runs above the charts: a fair comparison, a run that
    failed, lr = 0, no runs at all, a path that left the function's domain or diverged."""
    if fair_caption:
        st.info(fair_caption, icon=":material/balance:")
    for i, spec, r in results:
        if r.trajectory is None:
            name = optimizer_name(spec.optimizer)
            st.error(t("run_failed", lang, i=i + 1, name=name, error=r.error))
        elif spec.lr == 0 and spec.schedule == "constant":
            st.info(t("lr_zero", lang, i=i + 1))
    if not state.runs:
        st.info(t("no_runs", lang))
    computed = [r for _, _, r in results if r.trajectory is not None]
    left_domain = []  # one notice for them all: a formula like log x sends several out
    for p, r in zip(paths, computed, strict=True):
        left = first_undefined_step(r.points, r.values, r.trajectory.grads[:, 0])
        if left >= 0 and (p.diverged_at < 0 or left <= p.diverged_at):
            left_domain.append(t("left_domain_run", lang, name=p.name, k=left))
        elif p.diverged_at >= 0:
            name, k = p.name, p.diverged_at
            st.warning(t("diverged_note", lang, name=name, k=k), icon=":material/warning:")
    if left_domain:
        runs = (", " if lang == "en" else "、").join(left_domain)
        st.warning(t("left_domain_note", lang, runs=runs), icon=":material/warning:")


PAGE_ICON = str(Path(__file__).with_name("icon.svg"))
"""The favicon, a file of the repository: Streamlit sends an SVG file inline (a data URL),
so a visit makes no request for it. An emoji would load Streamlit's emoji catalog (~0.25 s
on a cold server, in front of the first chart); a Material name is fetched from Google's
font server (an extra request on slow Wi-Fi, none offline)."""


def main() -> None:
    st.set_page_config(page_title="optviz", page_icon=PAGE_ICON, layout="wide")
    st.html(COMPACT_CSS)
    ss = st.session_state
    if "state" not in ss:
        teaching.first_load()  # a shared link (the URL) or the defaults
    state, notices = sync_state()
    tch = teaching.sync_teach(state)  # preset, step, presenter mode, hide=
    query = teaching.page_query(state, tch)  # the link; the map writes it into the URL
    presenter.page_config(tch)
    notices = teaching.take_link_notices() + notices
    gen = ss["gen"]
    lang = state.lang
    skey, sparams = state.surface_args()  # a typed formula included
    surface, surface_notices = build_surface(skey, sparams)
    notices = notices + surface_notices
    title = surface.title_ja if lang == "ja" else surface.title_en
    if not tch.present:  # presenter mode keeps the first screen for the lesson
        st.caption(t("subtitle", lang))
    teaching.top_controls(state, tch, query, lang)
    start = state.start_point()
    shown, lr_notes, fair_caption = studies_ui.shown_runs(state, start, lang)
    computed = cached_runs(skey, sparams, tuple(shown), start, state.steps)
    results = [(i, spec, r) for i, (spec, r) in enumerate(zip(shown, computed, strict=True))]
    errors = {i: r.error for i, spec, r in results if r.trajectory is None}
    if errors != ss.get("run_errors", {}):
        ss["run_errors"] = errors
    paths = [
        F.Path(
            name=run_name(i, spec, lr_notes[i] + gradient_note(spec, lang), lang),
            color=F.color(i),
            points=r.points,
            values=r.values,
            diverged_at=r.diverged_at,
        )
        for i, spec, r in results
        if r.trajectory is not None
    ]
    # Notices come and go (a run diverges at a new lr). In one keyed container, the
    # elements after them keep their place in the page, so the browser updates them
    # instead of mounting them afresh (the charts included).
    with st.container(key="notices"):
        show_notices(notices, lang)
        switched_note(lang)
        if not tch.present:  # presenting, the explanation stands beside the map
            teaching.preset_caption(tch, lang)
        run_notices(state, results, paths, fair_caption, lang)

    labels = labels_for(lang)
    style = presenter.style(tch)
    step_k = teaching.step_of(tch, state.steps)
    left, right = st.columns([3, 2], gap="medium")
    with left:
        heading = f"#### {formula_ui.markdown_text(title)}"  # a typed formula has * _
        if tch.present and surface.formula_tex:  # one row: the map starts higher
            st.markdown(f"{heading} &nbsp; ${surface.formula_tex}$")
        else:
            st.markdown(heading)
            if surface.formula_tex:
                st.caption(f"${surface.formula_tex}$")
        data = cached_map(skey, sparams, state.view.show_field)
        fig = F.contour_spec(
            data,
            paths,
            style=style,
            labels=labels,
            starts=np.array([start]),
            animate=state.view.animate,
            uirevision=f"map:{skey}:{sparams}",
            extra=teaching.map_extras(results, step_k, data.bounds, style, lang),
            initial_step=step_k,
        )
        plot.chart(
            fig,
            key="map",
            on_click=on_map_click,
            on_step=teaching.on_map_step,
            config={"scrollZoom": False},
            lang=lang,
            address=teaching.query_string(query),
            on_address=teaching.on_map_address,
        )
        teaching.rerun_on_reconnect()
        teaching.step_slider(state, tch, lang)
        teaching.arrows_caption(step_k, lang)
    with right:
        if tch.present:
            teaching.preset_caption(tch, lang)
        studies_ui.fit_view(state, surface, results, lang, step_k)  # linear_regression
        if state.view.show_loss and paths:
            st.markdown(f"#### {t('loss_title', lang)}")
            plot.chart(
                F.loss_spec(paths, surface.f_min, style=style, labels=labels_for(lang)),
                key="loss",
                config={"responsive": True},
                lang=lang,
            )
    # The sidebar comes after the charts (its widgets' values were read above, in
    # sync_state), so the charts' messages leave first; sending it first measured the same.
    sidebar(state, gen, shown)
    table = results_table(results, surface, state.view.tol, lang, lr_notes) if results else ""
    note = small_note(t("results_help", lang, tol=f"{state.view.tol:g}"))
    # heading, table and note in one element: each element costs the browser ~10 React
    # components re-rendered on each of a rerun's commits
    st.markdown(f"#### {t('results', lang)}\n\n{table}\n\n{note}", unsafe_allow_html=True)
    teaching.equations_panel(results, tch, lang)
    teaching.inspector_panel(state, results, tch, lang)
    teaching.exports_panel(
        state, results, surface, fig, query, lang, data=data, paths=paths, labels=labels
    )
    if state.view.show_3d:
        view3d(state, surface, paths, step_k, style, labels, lang)
    studies_ui.sections(state, shown, start, lang, style)  # computed only when opened


def view3d(state: PageState, surface, paths, k: int, style, labels, lang: str) -> None:
    """The 3-D view at the page's step k: no player of its own, the map's player and the
    step slider move it (``follow="map"``), as the caption says; its mesh is cached
    (:func:`session.cached_mesh`) and its camera kept across steps (``uirevision``)."""
    st.markdown(f"#### {t('view3d', lang)}")
    st.caption(t("view3d_follows", lang, k=k))
    skey, sparams = state.surface_args()
    fig = F.surface3d_spec(
        surface,
        paths,
        style=style,
        labels=labels,
        animate=state.view.animate,
        initial_step=k,
        mesh=cached_mesh(skey, sparams, state.view.show_field),
    )
    plot.chart(fig, key="surface3d", config={"responsive": True}, lang=lang, follow="map", step=k)
