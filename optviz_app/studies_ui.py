"""The study sections wired into the page: fitting view, basin map, sweep, fair
comparison.

* :func:`shown_runs` — the runs the main view draws: each run's own lr, or (fair
  comparison, ``View.fair``) one shared lr or each optimizer's best lr from a sweep over
  the same step budget (``studies.fair_cached``, the very cache the section fills).
* :func:`fit_view` — the data-fitting view beside the map (``linear_regression`` only;
  cheap: it reuses the main view's trajectories and frame steps).
* :func:`sections` — the basin map, the sweep and the fair comparison, each in an
  expander that tracks its state (``on_change="rerun"``): nothing is computed until it
  is opened, and results are cached (``st.cache_data``) so reopening costs nothing.

The basin map and the best-lr search run each run in its own convention (PyTorch, Keras
or the book: ``CONVENTIONS[spec.convention]`` with that convention's keywords,
:func:`kwargs_pairs`). The sweep varies PyTorch's keywords, so it takes PyTorch runs only
and names the runs it leaves out (:func:`left_out_note`).

Picks come back through callbacks (run before the script): a basin cell writes the
page's start widgets ``f"{gen}:x"``/``f"{gen}:y"`` (as a click on the map does); a sweep
cell or "use best" edits the run through ``session.restructure`` with ``RunSpec.make``
and ``merge_hyperparams``; the fair-comparison controls write ``f"{gen}:view:fair"`` and
``f"{gen}:view:fair_lr"``, which ``session.state_from_widgets`` reads into ``View``.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from optviz.drawing import figures as F

from . import network_ui, studies
from .i18n import run_title, small_note, t
from .session import key, restructure
from .state import DEFAULT_CONVENTION, FAIR_CHOICES, PageState, RunSpec, factory_kwargs

FIT_SURFACE = "linear_regression"
BASIN, SWEEP = "basin", "sweep"
"""The basin map's and the sweep's widget-key prefixes (``studies.basin_section``'s and
``studies.sweep_section``'s ``key``): their widgets are keyed by fixed names, outside the
widget generations, so that they outlive the page's structural changes."""
SWEEP_RUN = f"{SWEEP}_run"
"""The sweep's run picker (which run the sweep varies)."""
PANELS = ("open_basin", "open_sweep", "open_fair")
"""Session keys of the study sections' expanders (open or closed)."""
FAIR_MODE = "fair_mode"
"""The fair comparison's mode picker, a widget of the generation (``key(gen, FAIR_MODE)``)."""


def worded_pickers(keys) -> list[str]:
    """Of the session keys ``keys``, those of the studies' pickers whose options are words
    (the basin map's and the sweep's colouring, the swept run, the sweep's two axes
    ``sweep_x_<optimizer>``/``sweep_y_<optimizer>``): what a language switch writes again
    (``page.on_lang_change``) so that the browser shows the option in the new language."""
    fixed = (f"{BASIN}_mode", f"{SWEEP}_mode", SWEEP_RUN)
    axes = (f"{SWEEP}_x_", f"{SWEEP}_y_")
    return [k for k in keys if isinstance(k, str) and (k in fixed or k.startswith(axes))]


def in_sweep(spec: RunSpec) -> bool:
    """Whether the hyperparameter sweep takes run ``spec``: it varies PyTorch's keywords
    (``lr``, ``betas``' β₁, ...), so a run in another convention is left out (and the
    page says so, :func:`left_out_note`)."""
    return spec.convention == DEFAULT_CONVENTION


def uses_stochastic_gradient_or_schedule(spec: RunSpec) -> bool:
    """Whether run ``spec`` has gradient noise, mini-batches or a learning-rate schedule:
    what the studies leave out (they run each run's full gradient at its base lr, from
    :func:`kwargs_pairs`), so the page says so."""
    return bool(spec.noise) or spec.batch_size is not None or spec.schedule != "constant"


def left_out_note(runs, lang: str) -> None:
    """A caption naming the runs the sweep leaves out for their convention (none:
    nothing)."""
    out = [str(i + 1) for i, s in enumerate(runs) if not in_sweep(s)]
    if out:
        st.caption(t("studies.conventions_left_out", lang, runs=", ".join(out)))


def kwargs_pairs(spec: RunSpec, lr: float | None = None) -> tuple:
    """The keyword pairs of ``CONVENTIONS[spec.convention][spec.optimizer]`` (the learning
    rate under that factory's name, ``lr`` or ``learning_rate``) that the study functions
    take."""
    kwargs = factory_kwargs(
        spec.optimizer, spec.convention, spec.lr if lr is None else lr, dict(spec.hyper)
    )
    return tuple(sorted(kwargs.items()))


# ---------------------------------------------------------------------------------------
# fair comparison in the main view


def shown_runs(state: PageState, start, lang: str):
    """``(specs, notes, caption)``: the specs the main view runs, a note per run for its
    lr label (``""``, ``" · shared"``, ``" · best from sweep"``) and the sentence saying
    which comparison is shown (None when each run keeps its own lr)."""
    mode = state.view.fair
    runs = state.runs
    if mode == "off" or not runs:
        return runs, ("",) * len(runs), None
    if mode == "same":
        lr = state.view.fair_lr
        note = " · " + t("fair.lr_shared", lang)
        caption = t("studies.caption_same", lang, lr=lr)
        return tuple(replace(s, lr=lr) for s in runs), (note,) * len(runs), caption
    skey, sparams = state.surface_args()
    pairs = tuple((s.optimizer, kwargs_pairs(s), s.convention) for s in runs)
    try:
        with st.spinner(t("studies.computing", lang)):
            best = studies.fair_cached(skey, sparams, pairs, tuple(start), state.steps)
    except (ValueError, KeyError, TypeError):
        return runs, ("",) * len(runs), None
    specs, notes, parts = [], [], []
    for i, (spec, lr) in enumerate(zip(runs, best, strict=True)):
        if lr is None:
            specs.append(spec)
            notes.append("")
            label = run_title(i, spec, lang)
            parts.append(t("studies.caption_none", lang, label=label, lr=spec.lr))
        else:
            specs.append(replace(spec, lr=float(f"{lr:.3g}")))  # the lr shown is the lr used
            notes.append(" · " + t("fair.lr_sweep", lang))
            parts.append(f"{run_title(i, spec, lang)} {lr:.3g}")
    grid = studies.lr_grid(studies.FAIR_LRS)
    caption = t(
        "studies.caption_best",
        lang,
        n=studies.FAIR_LRS,
        lo=float(grid[0]),
        hi=float(grid[-1]),
        steps=int(state.steps),
        x=float(start[0]),
        y=float(start[1]),
        list=", ".join(parts) if lang == "en" else "、".join(parts),
    )
    return tuple(specs), tuple(notes), caption


# ---------------------------------------------------------------------------------------
# data-fitting view


def fit_view(state: PageState, surface, results, lang: str, step: int | None = None) -> None:
    """The data points and each run's line at the current step (``linear_regression``).

    ``results``: the main view's ``(i, spec, RunResult)``; the frames are the map's
    (``figures.frame_steps_at(steps, step)``), named alike (``"k12"``). The view shows
    ``step`` (the page's step k, as the map; None: the last), a mini-batch run's batch of
    that step circled in its colour; it has no player of its own: the map's player shows
    its frames as it moves (``follow="map"``).
    """
    if state.surface != FIT_SURFACE:
        return
    ok = [(i, spec, r) for i, spec, r in results if r.trajectory is not None]
    studies.fit_section(
        surface,
        [r.points for _, _, r in ok],
        [run_title(i, spec, lang) for i, spec, _ in ok],
        [F.color(i) for i, _, _ in ok],
        [int(k) for k in F.frame_steps_at(state.steps, step)],
        lang,
        key="fit",
        batches=[r.trajectory.batches for _, _, r in ok],
        step=step,
        follow="map",
    )


# ---------------------------------------------------------------------------------------
# callbacks


def on_basin_pick(x: float, y: float) -> None:
    """A basin-map cell: that start into the page's start fields (like a map click)."""
    ss = st.session_state
    gen = ss["gen"]
    ss[key(gen, "x")], ss[key(gen, "y")] = round(float(x), 4), round(float(y), 4)


def on_sweep_pick(values: dict) -> None:
    """A sweep cell or "use best": those values into the swept run (and the steps)."""
    ss = st.session_state
    i = int(ss.get(SWEEP_RUN, 0) or 0)

    def edit(s: PageState) -> PageState:
        if not 0 <= i < len(s.runs):
            return s
        spec = s.runs[i]
        merged, steps = studies.merge_hyperparams(spec.optimizer, kwargs_pairs(spec), dict(values))
        kw = dict(merged)
        lr = kw.pop("lr", spec.lr)
        try:
            new = RunSpec.make(
                spec.optimizer,
                float(lr),
                **kw,
                schedule=spec.schedule,
                schedule_params=spec.schedule_params,
                noise=spec.noise,
                seed=spec.seed,
            )
        except (ValueError, TypeError):
            return s
        s = s.with_run(i, new)
        return replace(s, steps=int(steps)) if steps else s

    restructure(edit, open_boxes=(i,))  # show the loaded values


def on_fair_change() -> None:
    """The fair-comparison controls -> ``View.fair``/``fair_lr`` (read by the page)."""
    ss = st.session_state
    gen = ss["gen"]
    on = bool(ss.get(key(gen, "fair_on"), False))
    mode = ss.get(key(gen, FAIR_MODE), "same")
    ss[key(gen, "view:fair")] = mode if on and mode in FAIR_CHOICES else "off"
    lr = ss.get(key(gen, "fair_lr"))
    if isinstance(lr, int | float) and lr > 0:
        ss[key(gen, "view:fair_lr")] = float(lr)


# ---------------------------------------------------------------------------------------
# the sections


def sections(state: PageState, shown, start, lang: str, style: F.Style | None = None) -> None:
    """Basin map, sweep, fair comparison and the network, each computed only while its
    expander is open.

    ``shown``: the specs the main view runs (:func:`shown_runs`). ``style``: the charts'
    sizes (presenter mode's for a projector), used by the basin map, the sweep and the
    network's figure. A caption says that the studies ignore gradient noise, mini-batches and
    schedules when some run has one (:func:`uses_stochastic_gradient_or_schedule`).
    """
    gen = st.session_state["gen"]
    skey, sparams = state.surface_args()
    st.markdown(f"#### {t('studies.title', lang)}\n\n{small_note(t('studies.closed', lang))}")
    if any(uses_stochastic_gradient_or_schedule(s) for s in state.runs):
        st.caption(t("studies.full_gradient", lang))

    box = st.expander(
        t("studies.basin", lang), icon=":material/grid_on:", key=PANELS[0], on_change="rerun"
    )
    if box.open:
        with box:
            runs = tuple(
                (run_title(i, s, lang), s.optimizer, kwargs_pairs(s), F.color(i), s.convention)
                for i, s in enumerate(shown)
            )
            studies.basin_section(
                skey,
                sparams,
                runs,
                state.steps,
                lang,
                key=BASIN,
                on_pick=on_basin_pick,
                style=style,
            )

    box = st.expander(
        t("studies.sweep", lang), icon=":material/tune:", key=PANELS[1], on_change="rerun"
    )
    if box.open:
        with box:
            sweepable = [i for i, s in enumerate(state.runs) if in_sweep(s)]
            left_out_note(state.runs, lang)
            if not sweepable:
                st.info(t("studies.no_runs", lang))
            else:
                if st.session_state.get(SWEEP_RUN, 0) not in sweepable:
                    st.session_state[SWEEP_RUN] = sweepable[0]
                i = st.selectbox(
                    t("studies.sweep_run", lang),
                    sweepable,
                    format_func=lambda j: run_title(j, state.runs[j], lang),
                    key=SWEEP_RUN,
                )
                spec = state.runs[i]
                studies.sweep_section(
                    skey,
                    sparams,
                    (run_title(i, spec, lang), spec.optimizer, kwargs_pairs(spec)),
                    tuple(start),
                    state.steps,
                    lang,
                    key=SWEEP,
                    on_pick=on_sweep_pick,
                    style=style,
                )

    box = st.expander(
        t("studies.fair", lang), icon=":material/balance:", key=PANELS[2], on_change="rerun"
    )
    if box.open:
        with box:
            _fair(state, gen, skey, sparams, start, lang)

    network_ui.section(state, lang, style)


def _fair(state: PageState, gen: int, skey, sparams, start, lang: str) -> None:
    ss = st.session_state
    view = state.view
    if key(gen, "fair_on") not in ss:
        ss[key(gen, "fair_on")] = view.fair != "off"
    if key(gen, FAIR_MODE) not in ss:
        ss[key(gen, FAIR_MODE)] = view.fair if view.fair != "off" else "same"
    if key(gen, "fair_lr") not in ss:
        ss[key(gen, "fair_lr")] = float(view.fair_lr)
    runs = tuple(
        (run_title(i, s, lang), s.optimizer, kwargs_pairs(s), s.convention)
        for i, s in enumerate(state.runs)
    )
    studies.fair_section(
        skey,
        sparams,
        runs,
        tuple(start),
        state.steps,
        lang,
        key=key(gen, "fair"),
        on_change=on_fair_change,
    )
    st.toggle(
        t("fair.apply", lang),
        key=key(gen, "fair_on"),
        on_change=on_fair_change,
        help=t("fair.apply_help", lang),
    )
    if view.fair == "off":
        st.caption(t("fair.off_caption", lang))
