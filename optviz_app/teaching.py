"""Teaching and sharing on the page: the link in the URL, lecture presets, the step
inspector, the update rules and the exports.

The page state is in ``st.session_state["state"]`` (:mod:`optviz_app.session`); the
teaching extras (:class:`optviz_app.links.Teach`: preset, inspected step, presenter mode,
hidden controls) in ``st.session_state["teach"]`` (:func:`session.teach`). Their widgets
are keyed like the page's, ``f"{gen}:t:{name}"``, and seeded lazily from ``teach``
whenever a new generation of widgets appears (a preset, a link, an added run), so
:func:`session.load_state` needs no knowledge of them.

Flow in :func:`page.main`: :func:`first_load` (URL -> state, once per session) ->
``sync_state`` -> :func:`sync_teach` -> :func:`page_query` (state -> the link's query, which
the map's chart writes into the address bar) ->
widgets and charts (:func:`map_extras`, :func:`step_slider`) ->
panels (:func:`equations_panel`, :func:`inspector_panel`, :func:`exports_panel`).
"""

from __future__ import annotations

import datetime
import functools
import json
import math
import urllib.parse
from dataclasses import replace

import numpy as np
import streamlit as st

from optviz import exports as X
from optviz import symbols
from optviz.drawing import figures as F
from optviz.drawing import render as R
from optviz.equations import (
    DESCRIPTIONS,
    NOTATIONS,
    NOTES,
    number_latex,
    rule_values,
    symbol_names,
    update_latex,
)
from optviz.inspector import gradient_scale, inspect_step, step_arrows
from optviz.numpy_script import numpy_script
from optviz.presets import DATA, PRESETS, PRESETS_BY_KEY, Preset

from . import network_ui, plot
from .compute import build_lr, build_optimizer
from .i18n import STRINGS, optimizer_name, run_name, t
from .links import Link, Teach, canonical_teach, decode, encode, normalize_lang, preset_link
from .notices import Notice
from .session import TEACH, cached_run, current_key, load_state, teach
from .state import PageState, factory_kwargs
from .surface_builder import build_surface

NOTICES = "link_notices"
IGNORED_PARAMS = ("embed", "embed_options")
"""Streamlit's own query parameters: neither part of the state nor "unknown"."""


def _key(name: str) -> str:
    """The widget key of teaching widget ``name`` in this generation."""
    return current_key(f"t:{name}")


def _seed(name: str, value) -> str:
    """The widget key of ``name`` in this generation, seeded with ``value`` if new."""
    k = _key(name)
    if k not in st.session_state:
        st.session_state[k] = value
    return k


# ---------------------------------------------------------------------------------------
# URL <-> state


def browser_lang() -> str | None:
    """'ja'/'en' from the browser's locale or Accept-Language header (None if unknown)."""
    try:
        ctx = st.context
        locale = getattr(ctx, "locale", None)
        headers = getattr(ctx, "headers", None) or {}
        accept = headers.get("Accept-Language") or headers.get("accept-language")
    except Exception:  # no browser context (bare script, some test runners)
        return None
    return normalize_lang(locale, accept)


def _query() -> dict[str, str]:
    q = st.query_params.to_dict()
    return {k: v for k, v in q.items() if k not in IGNORED_PARAMS}


def first_load() -> None:
    """Once per session: the page state from the URL (or defaults; Japanese when the
    browser asks for it), notices for anything ignored."""
    link, notices = decode(_query(), default_lang=browser_lang() or "en")
    load_state(link.page)
    st.session_state[TEACH] = link.teach
    st.session_state[NOTICES] = notices


@st.fragment(run_every=datetime.timedelta(hours=1))
def rerun_on_reconnect() -> None:
    """Draws nothing; its hourly run costs nothing worth counting. A page with a timed
    fragment is one that Streamlit's frontend asks for a script run as soon as its
    websocket reconnects (without one it waits for the next click). So when the server
    holding the session is gone (restarted, a replica lost behind a balancer), the page
    runs at once in the new session, and the map restores the tab's link
    (:func:`on_map_address`) before the user touches anything."""


def on_map_address() -> None:
    """The tab showed another link than the one this session was opened with (it
    reconnected to a new server session: a restarted server, another replica): the page
    loads the tab's link, so nothing the user changed is lost."""
    query = plot.reported_address("map")
    if query is None:
        return
    params = dict(urllib.parse.parse_qsl(query, keep_blank_values=True))
    params = {k: v for k, v in params.items() if k not in IGNORED_PARAMS}
    link, notices = decode(params, default_lang=st.session_state["state"].lang)
    load_state(link.page)
    st.session_state[TEACH] = link.teach
    st.session_state[NOTICES] = notices


def take_link_notices() -> list[Notice]:
    """The link's notices, shown once (on the first run of the session)."""
    return st.session_state.pop(NOTICES, [])


def sync_teach(state: PageState) -> Teach:
    """The teaching extras as the widgets now show them (canonical, stored)."""
    ss = st.session_state
    old = teach()
    step = old.step
    k = _key("step")
    if k in ss and ss.get("t:rendered_gen") == ss["gen"]:
        value = int(ss[k])
        step = None if value >= ss.get("t:rendered_steps", state.steps) else value
    present = bool(ss.get(_key("present"), old.present))
    preset = ss.get(_key("preset"), old.preset) or ""
    new = canonical_teach(Teach(preset, step, present, old.hide, old.notation), state.steps)
    ss[TEACH] = new
    return new


def link_url(query: dict[str, str]) -> str:
    """The full shareable URL (``st.context.url`` without its query, plus ``query``)."""
    try:
        base = str(st.context.url or "")
    except Exception:
        base = ""
    base = base.split("?")[0].split("#")[0]
    return base + "?" + query_string(query)


def query_string(query: dict[str, str]) -> str:
    """``query`` as a URL's query string (without the "?"), as the links write it."""
    return urllib.parse.urlencode(query, safe=",.:")


def page_query(state: PageState, tch: Teach) -> dict[str, str]:
    """The link to the page as it is now (its query).

    The address bar shows it at all times: the map's chart writes it there in the browser
    (``optviz_app.plot.chart(address=)``, with ``history.replaceState``), not through
    ``st.query_params``. A write there re-renders the whole app in the browser (~20 ms of
    each lr notch's ~0.3 s, measured) and pushes a history entry for every change, so Back
    stepped through every notch while the page stayed as it was."""
    return encode(Link(state, tch))


# ---------------------------------------------------------------------------------------
# presets, presenter toggle, share box


def preset_title(key: str, lang: str) -> str:
    if not key:
        return t("preset_none", lang)
    p = PRESETS_BY_KEY[key]
    return p.title_ja if lang == "ja" else p.title_en


def _apply_preset(key_: str) -> None:
    ss = st.session_state
    lang = ss["state"].lang
    link = preset_link(PRESETS_BY_KEY[key_], lang, teach())
    load_state(link.page)
    ss[TEACH] = link.teach


def on_preset() -> None:
    value = st.session_state.get(_key("preset"), "")
    if value:
        _apply_preset(value)
    else:
        st.session_state[TEACH] = replace(teach(), preset="")


def on_reload_preset() -> None:
    if teach().preset:
        _apply_preset(teach().preset)


def preset_picker(sb, state: PageState, tch: Teach, lang: str) -> None:
    """The lecture-preset picker (sidebar top) and a button back to the preset."""
    k = _seed("preset", tch.preset)
    sb.selectbox(
        t("preset", lang),
        ["", *(p.key for p in PRESETS)],
        format_func=lambda v: preset_title(v, lang),
        key=k,
        on_change=on_preset,
        help=t("preset_help", lang),
    )
    if tch.preset:
        modified = preset_link(PRESETS_BY_KEY[tch.preset], lang).page != state
        sb.button(
            t("preset_reload", lang),
            on_click=on_reload_preset,
            disabled=not modified,
            icon=":material/restart_alt:",
            key=_key("preset_reload"),
        )


def preset_text(preset: Preset, lang: str) -> str:
    """The preset's explanation in ``lang``, its :data:`optviz.presets.DATA` replaced by
    the data set the network section trains on now (:func:`network_ui.data_phrase`)."""
    text = preset.text_ja if lang == "ja" else preset.text_en
    if DATA in text:
        text = text.replace(DATA, network_ui.data_phrase(lang))
    return text


def preset_caption(tch: Teach, lang: str) -> None:
    """The preset's title and explanation: above the map, or beside it (in the right
    column, large) in presenter mode."""
    if not tch.preset:
        return
    p = PRESETS_BY_KEY[tch.preset]
    title = p.title_ja if lang == "ja" else p.title_en
    text = preset_text(p, lang)
    if tch.present:
        st.markdown(
            f'<div class="optviz-explain"><b>{title}</b><br>{text}</div>',
            unsafe_allow_html=True,
        )
    else:
        st.info(f"**{title}** — {text}", icon=":material/school:")


def top_controls(state: PageState, tch: Teach, query: dict[str, str], lang: str) -> None:
    """Presenter-mode toggle and the share box (in the main area: usable with the
    sidebar collapsed)."""
    # one row (one element, not columns: each element costs the browser on every rerun)
    row = st.container(horizontal=True, vertical_alignment="center", gap="large")
    row.toggle(t("present", lang), key=_seed("present", tch.present), help=t("present_help", lang))
    if tch.shown("share"):
        box = row.popover(
            t("share", lang), icon=":material/link:", key="open_share", on_change="rerun"
        )
        if not box.open:
            return  # lazy: the link (it changes with every setting) is drawn when opened
        with box:
            st.caption(t("share_help", lang))
            st.code(link_url(query), language=None, wrap_lines=True)
            if tch.hide:
                st.button(
                    t("show_hidden", lang),
                    on_click=on_show_hidden,
                    key=_key("show_hidden"),
                )


def on_show_hidden() -> None:
    """Show every control again (re-created from the state, so none loses its value)."""
    ss = st.session_state
    ss[TEACH] = replace(teach(), hide=())
    load_state(ss["state"])


# ---------------------------------------------------------------------------------------
# the map at step k


def step_of(tch: Teach, steps: int) -> int:
    return steps if tch.step is None else min(max(int(tch.step), 0), steps)


def on_map_step() -> None:
    """The user stopped the map's animation at step k (two-way step sync): the page's step
    follows — the step slider, the inspector, the arrows at θ_k and the link's ``step=``."""
    k = plot.reported_step("map")
    if k is None:
        return
    ss = st.session_state
    ss[_key("step")] = min(max(k, 0), max(int(ss["state"].steps), 0))


def step_slider(state: PageState, tch: Teach, lang: str) -> None:
    """The inspector's step slider 0..T (the map opens on that frame)."""
    ss = st.session_state
    k = _key("step")
    value = step_of(tch, state.steps)
    if ss.get(k) != value:
        ss[k] = value
    ss["t:rendered_gen"], ss["t:rendered_steps"] = ss["gen"], state.steps
    if not tch.shown("inspector"):
        return
    st.slider(
        t("inspect_step", lang),
        0,
        max(state.steps, 1),
        key=k,
        help=t("inspect_step_help", lang),
        disabled=state.steps < 1,
    )


def map_extras(results, k: int, bounds, style: F.Style, lang: str) -> list[dict]:
    """Arrows at θ_k for every run: −g_k (dotted, drawn at one scale for every run and every
    step of the animation, :func:`optviz.inspector.gradient_scale`) and Δθ_k (solid)."""
    ok = [(i, spec, r) for i, spec, r in results if r.trajectory is not None]
    if not ok:
        return []
    scale = gradient_scale([r.trajectory for _, _, r in ok], bounds)
    norms = []
    for _, _, r in ok:
        kk = min(k, r.trajectory.points.shape[0] - 1)
        g = r.trajectory.grads[kk, 0]
        norms.append(float(np.hypot(*g)) if np.all(np.isfinite(g)) else 0.0)
    traces = []
    for (i, _, r), norm in zip(ok, norms, strict=True):
        a = step_arrows(r.trajectory, k, length=scale * norm if norm > 0 else 0.0)
        color = F.color(i)
        for arrows, name, width, dash in (
            (a.gradient, t("arrow_grad", lang), style.line_width * 0.8, "dot"),
            (a.step, t("arrow_step", lang), style.line_width * 1.1, "solid"),
        ):
            origin, tip = arrows[0, 0], arrows[0, 1]
            if not (np.all(np.isfinite(origin)) and np.all(np.isfinite(tip))):
                continue
            tr = F.arrows_trace(
                origin[None],
                (tip - origin)[None],
                color=color,
                name=name,
                style=style,
                width=width,
                showlegend=False,
            )
            tr["line"]["dash"] = dash
            traces.append(tr)
    st.session_state["t:arrow_scale"] = scale
    return traces


def arrows_caption(k: int, lang: str) -> None:
    scale = st.session_state.get("t:arrow_scale", 0.0)
    st.caption(t("arrows_caption", lang, k=k, scale=f"{scale:.3g}"))


# ---------------------------------------------------------------------------------------
# panels


def default_notation(lang: str) -> str:
    """The course's notation on a Japanese page (its students learned from the Japanese
    course material), PyTorch's on an English one."""
    return "course" if lang == "ja" else "pytorch"


def notation_of(lang: str) -> str:
    """The notation the equations panel and the step inspector write (an
    :data:`optviz.symbols.NOTATIONS` name): the user's pick (``Teach.notation``: kept for
    the session and carried by the link, ``notation=``), else the language's default."""
    chosen = teach().notation
    return chosen if chosen in NOTATIONS else default_notation(lang)


def _on_notation(widget: str) -> None:
    value = st.session_state.get(widget)
    if value in NOTATIONS:  # a click on the selected option deselects it: keep the pick
        st.session_state[TEACH] = replace(teach(), notation=value)


def notation_switch(where: str, lang: str) -> str:
    """One click between the course's notation and PyTorch's (a segmented control; the
    equations panel and the inspector each show one, both bound to one choice)."""
    widget = f"t:notation:{where}"
    current = notation_of(lang)
    st.session_state[widget] = current
    st.segmented_control(
        t("notation", lang),
        NOTATIONS,
        format_func=lambda n: t(f"notation.{n}", lang),
        key=widget,
        on_change=_on_notation,
        args=(widget,),
        help=t("notation_help", lang),
    )
    return current


@st.cache_data(max_entries=256, show_spinner=False)
def _latex(spec, lang: str, notation: str) -> str:
    hyper = {**factory_kwargs(spec.optimizer, spec.convention, build_lr(spec), spec.hyper_values())}
    return update_latex(spec.optimizer, hyper, lang, spec.convention, notation)


@st.cache_data(max_entries=256, show_spinner=False)
def _values(spec, lang: str, notation: str) -> str:
    """The run's numbers for the rule's symbols, ``values: η = 0.5, ε = 10⁻⁷`` (inline
    LaTeX): the convention's own defaults where the run keeps them."""
    hyper = factory_kwargs(spec.optimizer, spec.convention, build_lr(spec), spec.hyper_values())
    names = symbol_names(spec.optimizer, spec.convention, notation)
    values = rule_values(spec.optimizer, hyper, spec.convention)
    if spec.schedule != "constant":
        names = {**names, symbols.ETA: r"\eta_0"}
    shown = [f"{names[s]} = {number_latex(v)}" for s, v in values]
    return t("rule_values", lang) + " $" + r",\ ".join(shown) + "$" if shown else ""


def _dot(i: int) -> str:
    return f'<span style="color:{F.color(i)};font-size:1.2em">●</span>'


COLUMNS = {"course": 2, "pytorch": 3}
"""Runs side by side in the equations panel: the course's ∂L/∂W fractions need room."""


def method_of(spec) -> str:
    """The method a run's rule is (the key of its description and notes): Keras writes
    Momentum and Nesterov as its SGD with ``momentum`` (and ``nesterov``)."""
    hyper = spec.hyper_values()
    if spec.convention == "keras" and spec.optimizer == "sgd" and hyper.get("momentum"):
        return "nesterov" if hyper.get("nesterov") else "momentum"
    return spec.optimizer


def momentum_forms_note(spec, lang: str) -> str | None:
    """For a PyTorch Momentum run (b ← μb + g, θ ← θ − ηb): the course's form
    v ← αv − η∂L/∂W, W ← W + v gives the same path at a constant η (α = μ, v = −ηb) and
    another one under a learning-rate schedule; which of the two this run is. None for
    any other run (dampening or Nesterov: the forms are not the same method)."""
    if spec.convention != "pytorch":
        return None
    hyper = spec.hyper_values()
    plain = not hyper.get("nesterov") and not hyper.get("dampening")
    if not (hyper.get("momentum") and plain):
        return None
    case = "momentum_forms.constant" if spec.schedule == "constant" else "momentum_forms.schedule"
    return t("momentum_forms", lang) + " " + t(case, lang)


def equations_panel(results, tch: Teach, lang: str) -> None:
    """Each run's update rule in its own convention (LaTeX from :mod:`optviz.equations`,
    the definition that run's optimizer is checked against) in the notation picked at the
    top (the course's or PyTorch's), its one-line description and where textbooks, Keras
    and PyTorch differ."""
    specs = [(i, spec) for i, spec, _ in results]
    if not specs or not tch.shown("equations"):
        return
    box = st.expander(
        t("equations", lang),
        expanded=tch.present,
        icon=":material/function:",
        key=EQUATIONS_BOX,
        on_change="rerun",
    )
    if not box.open:
        return  # lazy: drawn only while open (KaTeX is costly to re-render on every rerun)
    with box:
        notation = notation_switch("equations", lang)
        st.caption(t(f"notation_legend.{notation}", lang))
        n = min(len(specs), COLUMNS[notation])
        for row in range(0, len(specs), n):
            cols = st.columns(n)
            for j, (i, spec) in enumerate(specs[row : row + n]):
                with cols[j]:
                    name = run_name(i, spec, lang=lang)
                    st.markdown(f"{_dot(i)} **{name}**", unsafe_allow_html=True)
                    try:
                        st.latex(_latex(spec, lang, notation))
                        if values := _values(spec, lang, notation):
                            st.caption(values)
                    except (ValueError, TypeError, KeyError) as error:
                        st.caption(str(error))
                    st.caption(DESCRIPTIONS[method_of(spec)][lang])
                    if note := momentum_forms_note(spec, lang):
                        st.caption(note)
        st.markdown(f"**{t('notes', lang)}**")
        for opt in dict.fromkeys(method_of(spec) for _, spec in specs):
            st.caption(f"**{optimizer_name(opt)}** — {NOTES[opt][lang]}")


@functools.lru_cache(maxsize=256)
def _report(skey, sparams, spec, start, steps, k, notation="pytorch"):
    """One run's :class:`optviz.inspector.StepReport`, kept per plain arguments and shared
    by every session (read, never changed): a plain LRU, not ``st.cache_data``, whose
    argument hashing and pickling of the report cost more than the report itself."""
    r = cached_run(skey, sparams, spec, start, steps)
    exact = spec.noise or spec.batch_size is not None  # g_k is not ∇f(θ_k): show both
    surface = build_surface(skey, sparams)[0] if exact else None
    optimizer = build_optimizer(spec)
    return inspect_step(
        r.trajectory, optimizer, k, surface=surface, noise=spec.noise, notation=notation
    )


def _num(v) -> str:
    v = float(v)
    if math.isnan(v):
        return "—"
    return f"{v:.5g}"


def row_name(name: str, lang: str, words: dict | None = None) -> str:
    """An inspector row name in ``lang``. A state row (``words``: its library variable
    name and what it holds) reads ``m (exp_avg)`` in English and ``m（勾配の移動平均）`` in
    Japanese; other rows are looked up in the string tables."""
    words = words or {}
    if name.startswith("new "):
        return t("insp.new", lang, name=row_name(name[4:], lang, words))
    if name in words:
        field, meaning = words[name]
        symbol = name.split(" (")[0]
        held = t(f"insp.meaning:{meaning}", lang)
        if lang == "ja":
            return f"{symbol}（{held}）"
        return f"{symbol} ({field})" if field != symbol else f"{symbol} ({held})"
    entry = STRINGS.get("insp:" + name)
    return name if entry is None else t("insp:" + name, lang)


def report_table(report, lang: str) -> str:
    lines = [
        f"| {t('insp_symbol', lang)} | {t('insp_quantity', lang)} | x | y |",
        "|---|---|---:|---:|",
    ]
    for tex, name, value in report.rows():
        v = np.atleast_1d(np.asarray(value, dtype=float)).ravel()
        cells = [_num(v[0]), _num(v[1]) if v.size > 1 else ""]
        quantity = row_name(name, lang, report.words)
        lines.append(f"| ${tex}$ | {quantity} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


INSPECTOR_BOX = "open_inspector"
"""Session key of the step inspector's box (its label stays fixed, so it stays open)."""
EQUATIONS_BOX, EXPORTS_BOX = "open_equations", "open_exports"
"""Session keys of the update rules' box and the exports' box."""
PANELS = (EQUATIONS_BOX, INSPECTOR_BOX, EXPORTS_BOX)
"""The teaching panels' expanders (open or closed)."""


def inspector_panel(state: PageState, results, tch: Teach, lang: str) -> None:
    """Per run at step k: θ_k, g_k, Δθ, learning rates, the optimizer's state (in a box
    drawn only while open; the step slider and the map's arrows are outside it)."""
    if not tch.shown("inspector"):
        return
    ss = st.session_state
    if tch.step is not None and INSPECTOR_BOX not in ss:
        ss[INSPECTOR_BOX] = True  # a link to a step opens on the inspector
    box = st.expander(
        t("inspector_box", lang), icon=":material/search:", key=INSPECTOR_BOX, on_change="rerun"
    )
    if not box.open:
        return  # lazy: ~30 formulas per rerun are costly to re-render while nobody looks
    with box:
        notation = notation_switch("inspector", lang)
        _inspector_tables(state, results, step_of(tch, state.steps), lang, notation)


def _inspector_tables(state: PageState, results, k: int, lang: str, notation: str) -> None:
    st.markdown(f"#### {t('inspector', lang, k=k)}")
    skey, sparams = state.surface_args()
    start = state.start_point()
    ok = [(i, spec, r) for i, spec, r in results if r.trajectory is not None]
    if not ok:
        st.caption(t("no_runs", lang))
        return
    cols = st.columns(2)
    for n, (i, spec, r) in enumerate(ok):
        with cols[n % 2]:
            report = _report(skey, sparams, spec, start, state.steps, k, notation)
            loss = "L(W" if notation == "course" else r"f(\theta"
            loss = rf"${loss}_{{{report.k}}})$ = {_num(report.loss)}"
            head = f"{_dot(i)} **{run_name(i, spec, lang=lang)}** · {loss}"
            if report.lr is not None:
                head += rf" · $\eta$ = {report.lr:.4g}"
            st.markdown(head, unsafe_allow_html=True)
            if report.diverged:
                st.caption("⚠ " + t("insp_diverged", lang, k=report.diverged_at))
            elif report.last:
                st.caption(t("insp_last", lang))
            if report.noisy:
                st.caption(t("insp_noisy", lang))
            if (batches := r.trajectory.batches) is not None:
                st.caption(t("insp_batch", lang, b=len(batches.indices(report.k)), n=batches.n))
            st.markdown(report_table(report, lang))
    st.caption(t("insp_help.course" if notation == "course" else "insp_help", lang))


def export_runs(results, lang: str = "en") -> list[X.ExportRun]:
    return [
        X.ExportRun(
            label=run_name(i, spec, lang=lang),
            optimizer=build_optimizer(spec),
            trajectory=r.trajectory,
            noise=spec.noise,
            seed=spec.seed,
            color=F.color(i),
        )
        for i, spec, r in results
        if r.trajectory is not None
    ]


def handout(surface, data: F.MapData, paths, start, labels: F.Labels) -> F.Figure:
    """The map as exported (PNG, SVG, GIF): the page's bands at print resolution, its
    paths and run names in a legend."""
    sharp = F.map_data(surface, resolution=720, levels=data.levels)
    return F.handout_spec(sharp, paths, labels=labels, starts=np.array([start]))


def _on_demand(kind: str, label: str, make, file_name: str, mime: str, sig: str, lang: str):
    """A button that makes the file (``make() -> bytes``) and then a download button;
    a failure shows its message. The file is kept until the view changes."""
    ss = st.session_state
    slot = f"t:export:{kind}"
    if st.button(label, key=_key(f"make_{kind}"), icon=":material/build:"):
        with st.spinner(t("export_making", lang)):
            try:
                ss[slot] = (sig, make(), "")
            except (RuntimeError, ValueError, OSError) as error:
                ss[slot] = (sig, None, str(error))
    got = ss.get(slot)
    if got and got[0] == sig:
        _, data, error = got
        if data is None:
            st.error(t("export_failed", lang, error=error))
        else:
            st.download_button(
                t("download", lang, name=file_name),
                data,
                file_name=file_name,
                mime=mime,
                key=_key(f"dl_{kind}"),
                icon=":material/download:",
                on_click="ignore",
            )


def exports_panel(
    state, results, surface, fig, query: dict[str, str], lang: str, *, data, paths, labels
) -> None:
    """Downloads: CSV/JSON/HTML (made on click), PNG/SVG/GIF of the handout figure
    (:func:`handout`, made on demand), and the runs as a runnable torch.optim script
    (shown and as a file)."""
    if not teach().shown("exports"):
        return
    box = st.expander(
        t("exports", lang), icon=":material/download:", key=EXPORTS_BOX, on_change="rerun"
    )
    if not box.open:
        return  # lazy: the files and the script are made only while it is open
    runs = export_runs(results, lang)
    with box:
        if not runs:
            st.caption(t("no_runs", lang))
            return
        meta = {"link": link_url(query), "state": state.to_dict()}
        c1, c2, c3 = st.columns(3)
        c1.download_button(
            t("export_csv", lang),
            lambda: X.trajectories_csv(runs),
            file_name="optviz_trajectories.csv",
            mime="text/csv",
            key=_key("dl_csv"),
            on_click="ignore",
            icon=":material/table:",
        )
        c2.download_button(
            t("export_json", lang),
            lambda: X.trajectories_json(runs, meta=meta),
            file_name="optviz_trajectories.json",
            mime="application/json",
            key=_key("dl_json"),
            on_click="ignore",
            icon=":material/data_object:",
        )
        c3.download_button(
            t("export_html", lang),
            lambda: R.figure_html(fig.to_plotly()),
            file_name="optviz_map.html",
            mime="text/html",
            key=_key("dl_html"),
            on_click="ignore",
            icon=":material/animation:",
        )
        sig = json.dumps(query, sort_keys=True)

        def printed() -> F.Figure:
            return handout(surface, data, paths, state.start_point(), labels)

        d1, d2, d3 = st.columns(3)
        with d1:
            _on_demand(
                "png",
                t("export_png", lang),
                lambda: R.figure_image(printed().to_plotly(), "png"),
                "optviz_map.png",
                "image/png",
                sig,
                lang,
            )
        with d2:
            _on_demand(
                "svg",
                t("export_svg", lang),
                lambda: R.figure_image(printed().to_plotly(), "svg"),
                "optviz_map.svg",
                "image/svg+xml",
                sig,
                lang,
            )
        with d3:
            _on_demand(
                "gif",
                t("export_gif", lang),
                lambda: R.descent_gif(
                    printed(), steps=state.steps, step_label=labels.step, frames=60
                ),
                "optviz_descent.gif",
                "image/gif",
                sig,
                lang,
            )
        st.markdown(f"**{t('export_torch', lang)}**")
        st.caption(t("export_torch_help", lang))
        try:
            script = X.pytorch_script(surface, state.start_point(), state.steps, runs)
        except ValueError as error:
            if any(spec.convention != "pytorch" for _, spec, _ in results):
                st.info(t("export_torch_conventions", lang))
            else:
                st.info(t("export_torch_failed", lang, error=str(error)))
        else:
            script_block(script, t("export_torch_file", lang), "optviz_descent.py", "dl_torch")
        numpy_export(state, surface, runs, lang)


def script_block(script: str, label: str, file_name: str, name: str) -> None:
    """A Python script shown as code and offered as the file ``file_name`` (widget
    ``name``)."""
    st.code(script, language="python")
    st.download_button(
        label,
        script,
        file_name=file_name,
        mime="text/x-python",
        key=_key(name),
        on_click="ignore",
        icon=":material/code:",
    )


def numpy_export(state, surface, runs: list[X.ExportRun], lang: str) -> None:
    """The runs as a plain NumPy script in the page's language (any convention), shown
    and as a file; a view without a NumPy version says why."""
    st.markdown(f"**{t('export_numpy', lang)}**")
    st.caption(t("export_numpy_help", lang))
    try:
        script = numpy_script(surface, state.start_point(), state.steps, runs, lang=lang)
    except ValueError as error:
        st.info(t("export_numpy_failed", lang, error=str(error)))
        return
    script_block(script, t("export_numpy_file", lang), "optviz_descent_numpy.py", "dl_numpy")
