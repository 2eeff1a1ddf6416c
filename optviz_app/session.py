"""The page's session: widget keys, the state <-> widgets mapping, loading and
restructuring the state, and the cached computations every section draws from.

The bottom of the page layer: the sections (:mod:`optviz_app.formula_ui`,
:mod:`optviz_app.studies_ui`, :mod:`optviz_app.teaching`, :mod:`optviz_app.presenter`)
and the page (:mod:`optviz_app.page`) import it; it imports none of them.

Session keys:

* ``"state"``: the last :class:`PageState`; ``"gen"``: the widget generation, a counter.
  Widget keys are ``f"{gen}:{name}"`` (:func:`key`). A structural change (add, remove or
  duplicate a run, another surface, a preset, a link, a typed formula) stores a new
  state and bumps ``gen`` (:func:`load_state`, :func:`restructure`), so every widget is
  re-created from the state; the keys of older generations are dropped.
* ``"teach"`` (:data:`TEACH`): the teaching extras (:func:`teach`).
* ``"run_boxes"`` (:data:`RUN_BOXES`): what each run box showed on the last script run.

:func:`state_from_widgets` turns the widgets' values into the raw dict that
:meth:`PageState.from_dict` validates: one path for widgets, links and presets.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import NamedTuple

import numpy as np
import streamlit as st

from optviz.catalog import SPEC, taught_keywords
from optviz.drawing import figures as F
from surfaces import SURFACE_PARAMS

from .compute import RunResult, compute_runs
from .links import Teach
from .notices import Notice
from .state import SCHEDULES, PageState, RunSpec, signature_defaults
from .surface_builder import build_surface

TEACH = "teach"
"""Session key of the teaching extras (:class:`optviz_app.links.Teach`)."""
BOUND_NAMES = ("xmin", "xmax", "ymin", "ymax")
"""A typed formula's plot window as widgets: ``f"{gen}:b:{name}"``."""

VIEW_SWITCHES = {
    "show_loss": ":material/show_chart:",
    "show_3d": ":material/view_in_ar:",
    "show_field": ":material/north_east:",
    "animate": ":material/play_circle:",
}
"""The view's on/off options and their icons: one row of pills in the sidebar (one element,
not four). A pill's label starts with a Material icon: a label starting with any other
non-ASCII word ("−∇f", Japanese) makes Streamlit load its emoji catalog to look for an
emoji there (~0.25 s on a cold server)."""

LR_GRID = tuple(
    float(f"{m}e{e}") for e in range(-6, 2) for m in (1, 2, 5) if float(f"{m}e{e}") <= 10
)
"""Learning-rate slider stops (1-2-5 per decade, 1e-6 … 10); the number field is exact."""


# ---------------------------------------------------------------------------------------
# cached computations (plain hashable arguments, bounded)


RUN_CACHE_ENTRIES = 96
"""Runs kept (every session's together, the least recently used dropped first)."""

_runs: OrderedDict = OrderedDict()
_runs_lock = threading.Lock()  # the sessions' scripts run in threads


def _read_only(result: RunResult) -> RunResult:
    """``result`` with its arrays made read-only: one cached result is shared by every
    session that asks for it, so no caller may change it in place."""
    traj = result.trajectory
    if traj is not None:
        for array in (traj.points, traj.values, traj.grads, traj.diverged_at, *traj.states):
            if isinstance(array, np.ndarray):
                array.setflags(write=False)
    return result


def cached_runs(surface_key, surface_params, specs, start, steps) -> list[RunResult]:
    """:func:`optviz_app.compute.compute_run` of each of ``specs``, cached per run on its
    plain arguments (a change of one run recomputes only that run; the inspector reads the
    same entries); the runs not cached yet are computed together
    (:func:`optviz_app.compute.compute_runs`: one gradient call per step for all of them).
    The results are shared and read-only; at most :data:`RUN_CACHE_ENTRIES` are kept."""
    keys = [(surface_key, surface_params, spec, start, steps) for spec in specs]
    with _runs_lock:
        found = {}
        for k in keys:
            if k in _runs:
                _runs.move_to_end(k)
                found[k] = _runs[k]
    missing = list(dict.fromkeys(k for k in keys if k not in found))
    if missing:
        fresh = compute_runs(
            surface_key, surface_params, tuple(k[2] for k in missing), start, steps
        )
        with _runs_lock:
            for k, result in zip(missing, fresh, strict=True):
                found[k] = _runs[k] = _read_only(result)
                _runs.move_to_end(k)
            while len(_runs) > RUN_CACHE_ENTRIES:
                _runs.popitem(last=False)
    return [found[k] for k in keys]


def cached_run(surface_key, surface_params, spec, start, steps) -> RunResult:
    """One run of :func:`cached_runs`."""
    return cached_runs(surface_key, surface_params, (spec,), start, steps)[0]


@st.cache_data(max_entries=24, show_spinner=False)
def cached_map(surface_key, surface_params, field: bool) -> F.MapData:
    """The map's grid of the surface (``figures.map_data``), cached on plain arguments."""
    surface, _ = build_surface(surface_key, surface_params)
    return F.map_data(surface, field=field)


@st.cache_data(max_entries=24, show_spinner=False)
def cached_mesh(surface_key, surface_params, field: bool) -> F.Mesh:
    """The 3-D view's mesh of the surface (``figures.surface_mesh``), in the map's colours
    (its levels), cached on plain arguments: a step or a run changed draws it again
    without sampling the surface."""
    surface, _ = build_surface(surface_key, surface_params)
    levels = cached_map(surface_key, surface_params, field).levels
    return F.surface_mesh(surface, levels)


# ---------------------------------------------------------------------------------------
# state <-> widgets


def key(gen: int, name: str) -> str:
    """The session key of widget ``name`` in widget generation ``gen``."""
    return f"{gen}:{name}"


def current_key(name: str) -> str:
    """The session key of widget ``name`` in the current widget generation."""
    return key(st.session_state["gen"], name)


def teach() -> Teach:
    """The teaching extras of the page (preset, inspected step, presenter mode, hidden
    controls); the defaults before the first script run stores them."""
    return st.session_state.get(TEACH, Teach())


def load_state(state: PageState) -> None:
    """Make ``state`` the page's state and re-create every widget from it."""
    ss = st.session_state
    ss["state"] = state
    ss["gen"] = ss.get("gen", 0) + 1
    drop_old_generations(ss["gen"])
    seed_widgets(state, ss["gen"])


def old_generation_keys(keys, gen: int) -> list[str]:
    """The keys of widget generations before ``gen`` (``"<g>:<name>"`` with g < gen)."""
    out = []
    for k in keys:
        head, sep, _ = str(k).partition(":")
        if sep and head.isdigit() and int(head) < gen:
            out.append(k)
    return out


def drop_old_generations(gen: int) -> None:
    """Forget the keys of earlier widget generations: their widgets are gone for good, and
    Streamlit keeps a key that was seeded but never drawn (a formula's bounds, the fair
    comparison's settings) for the whole session, where every number field or select box
    it creates scans them all: a long lecture's reruns would slow down step by step."""
    ss = st.session_state
    for k in old_generation_keys(list(ss), gen):
        del ss[k]


def seed_widgets(state: PageState, gen: int) -> None:
    """Write ``state`` into the (new) widget keys of generation ``gen``."""
    ss = st.session_state
    ss[key(gen, "lang")] = state.lang
    ss[key(gen, "surface")] = state.surface
    surface, _ = build_surface(*state.surface_args())
    seed_formula(state, gen)
    for p in SURFACE_PARAMS.get(state.surface, (None, ()))[1]:
        value = dict(state.surface_params).get(p.name, p.default)
        ss[key(gen, f"sp:{p.name}")] = int(value) if p.kind == "int" else float(value)
    x, y = state.start if state.start is not None else surface.start
    ss[key(gen, "x")], ss[key(gen, "y")] = float(x), float(y)
    ss[key(gen, "steps")] = int(state.steps)
    view = state.view.to_dict()
    for name, value in view.items():
        if name not in VIEW_SWITCHES:
            ss[key(gen, f"view:{name}")] = value
    ss[key(gen, "view:shown")] = [name for name in VIEW_SWITCHES if view[name]]
    # run widgets are seeded when their box is drawn (page.run_controls): boxes are lazy


def seed_formula(state: PageState, gen: int) -> None:
    """Write the state's formula and plot window into the widget keys of generation
    ``gen`` (``"formula"``, ``"b:xmin"`` ... :data:`BOUND_NAMES`)."""
    ss = st.session_state
    ss[key(gen, "formula")] = state.formula
    (x0, x1), (y0, y1) = state.bounds
    for name, value in zip(BOUND_NAMES, (x0, x1, y0, y1), strict=True):
        ss[key(gen, f"b:{name}")] = float(value)


def run_values(spec: RunSpec) -> dict:
    """A run's widget values by name (``"lr"``, ``"betas:0"``, ``"s:t_max"``, ...)."""
    values = {
        "conv": spec.convention,
        "optimizer": spec.optimizer,
        "lr": float(spec.lr),
        "lr_s": nearest_grid(spec.lr),
        "schedule": spec.schedule,
        "noise": float(spec.noise),
        "seed": int(spec.seed),
        "batch_size": spec.batch_size,
    }
    for name, value in spec.hyper_values().items():
        if isinstance(value, tuple):  # None: an entry left automatic (Adafactor's ε₁)
            values.update(
                {f"{name}:{j}": None if v is None else float(v) for j, v in enumerate(value)}
            )
        else:
            values[name] = value
    values.update({f"s:{name}": value for name, value in spec.schedule_values().items()})
    return values


def in_more(name: str, core: str | None) -> bool:
    """Whether widget ``name`` of a run (a :func:`run_values` name) is under "More
    settings": every keyword but lr and the ``core`` one, the schedule, noise and seed."""
    keyword = name.partition(":")[0]
    return keyword not in ("conv", "optimizer", "lr", "lr_s", core)


def seed_run(spec: RunSpec, gen: int, i: int, only_more: bool = False) -> None:
    """Write run ``i``'s values into its widget keys (before its box draws them);
    ``only_more``: only those under "More settings" (before its popover draws them)."""
    ss = st.session_state
    core = core_hyper(spec.optimizer, spec.convention)
    for name, value in run_values(spec).items():
        if not only_more or in_more(name, core):
            ss[key(gen, f"r{i}:{name}")] = value


class BoxShown(NamedTuple):
    """What one run box showed on the last script run."""

    error: bool
    drawn: bool  # open, so its widget keys hold live values
    more: bool = False  # drawn with its "More settings" open: their keys hold live values too


RUN_BOXES = "run_boxes"
"""Session key: ``(gen, {i: BoxShown})`` for the last script run's run boxes. Only a
drawn box's widget keys hold live values; a closed box's widgets are gone (Streamlit drops
them, and an older seeded value could resurface), so its run is read from the state."""


def last_boxes(gen: int) -> dict[int, BoxShown]:
    box_gen, boxes = st.session_state.get(RUN_BOXES, (None, {}))
    return boxes if box_gen == gen else {}


def drawn_runs(gen: int) -> frozenset:
    return frozenset(i for i, box in last_boxes(gen).items() if box.drawn)


def more_runs(gen: int) -> frozenset:
    return frozenset(i for i, box in last_boxes(gen).items() if box.more)


def carried_open(key_: str) -> bool:
    """Whether the lazy expander or popover ``key_`` was left open. Streamlit keys them by
    their label too, and an open one's label is short (it leaves out what its controls
    show), so its open state is written again for the widget under the new label."""
    ss = st.session_state
    is_open = bool(ss.get(key_))
    if is_open:
        ss[key_] = True
    return is_open


def nearest_grid(lr) -> float:
    """The slider stop closest to ``lr`` on a log scale (for junk: the default 1e-3)."""
    try:
        v = float(lr)
    except (TypeError, ValueError):
        return 1e-3
    if not (math.isfinite(v) and v > 0):
        return LR_GRID[0]
    return min(LR_GRID, key=lambda g: abs(math.log10(g) - math.log10(v)))


def view_from_widgets(state: PageState, get) -> dict:
    """The view options the widgets show (the pills' list for :data:`VIEW_SWITCHES`);
    ``get(name, default)`` reads a widget of this generation."""
    view = state.view.to_dict()
    shown = get("view:shown", None)
    for name, value in view.items():
        if name in VIEW_SWITCHES:
            view[name] = name in shown if isinstance(shown, list | tuple) else value
        else:
            view[name] = get(f"view:{name}", value)
    return view


def state_from_widgets(state: PageState, gen: int) -> dict:
    """The raw dict (for :meth:`PageState.from_dict`) that the widgets now show."""
    ss = st.session_state

    def get(name, default):
        return ss.get(key(gen, name), default)

    live, more_live = drawn_runs(gen), more_runs(gen)

    surface = get("surface", state.surface)
    d: dict = {
        "surface": surface,
        "lang": get("lang", state.lang),
        "steps": get("steps", state.steps),
        "start": [get("x", state.start_point()[0]), get("y", state.start_point()[1])],
        "view": view_from_widgets(state, get),
        "formula": state.formula,  # the last good one (formula_ui.on_formula_change)
        "bounds": state.bounds,
    }
    if surface in SURFACE_PARAMS:
        d["surface_params"] = {
            p.name: get(f"sp:{p.name}", p.default) for p in SURFACE_PARAMS[surface][1]
        }
    runs = []
    for i, spec in enumerate(state.runs):
        if i not in live:  # its box was closed: nothing to read
            runs.append(spec.to_dict())
            continue
        optimizer = get(f"r{i}:optimizer", spec.optimizer)
        r: dict = {"optimizer": optimizer, "lr": get(f"r{i}:lr", spec.lr)}
        r["convention"] = spec.convention  # changed only by its callback (page.py)
        core, more = core_hyper(spec.optimizer, spec.convention), i in more_live

        def run_get(name, default, i=i, core=core, more=more):
            """Run i's widget ``name``; a "More settings" one only while it was drawn."""
            drawn = more or not in_more(name, core)
            return get(f"r{i}:{name}", default) if drawn else default

        if optimizer == spec.optimizer:
            for name, value in spec.hyper_values().items():
                if isinstance(value, tuple):
                    r[name] = [run_get(f"{name}:{j}", v) for j, v in enumerate(value)]
                else:
                    r[name] = run_get(name, value)
        schedule = run_get("schedule", spec.schedule)
        if schedule != "constant":
            r["schedule"] = schedule
            params = spec.schedule_values() if schedule == spec.schedule else {}
            for name, default, _ in SCHEDULES.get(schedule, ()):
                r[f"schedule.{name}"] = run_get(f"s:{name}", params.get(name, default))
        noise = run_get("noise", spec.noise)
        batch_size = run_get("batch_size", spec.batch_size)
        if noise:
            r["noise"] = noise
        if batch_size is not None:
            r["batch_size"] = batch_size
        if noise or batch_size is not None:
            r["seed"] = run_get("seed", spec.seed)
        runs.append(r)
    d["runs"] = runs
    return d


def sync_state() -> tuple[PageState, list[Notice]]:
    """Read the widgets into a validated state (stored) and its notices."""
    ss = st.session_state
    raw = state_from_widgets(ss["state"], ss["gen"])
    state, notices = PageState.from_dict(raw)
    ss["state"] = state
    return state, notices


CORE_HYPERS = taught_keywords()
"""Keywords that define a method as the course teaches it (momentum μ, Adam's β₁ β₂,
RMSprop's α, AdaDelta's ρ; ``OptimizerSpec.taught``): shown next to the learning rate;
every other keyword is under "More settings"."""

CONVENTION_CORE_HYPERS = ("momentum", "rho", "beta_1", "beta1", "decay_rate")
"""The same for Keras's and the book's factories, under their names (Keras's and the
book's β₁, the book's RMSprop decay rate): shown when one comes first in the signature."""


def core_hyper(optimizer: str, convention: str = "pytorch") -> str | None:
    """The keyword shown next to lr for ``optimizer`` of ``convention`` (PyTorch's: its
    record's ``taught``; the others: see :data:`CONVENTION_CORE_HYPERS`), or None."""
    if convention == "pytorch":
        return SPEC[optimizer].taught
    defaults = signature_defaults(optimizer, convention)
    first = next((n for n, v in defaults.items() if n != "lr" and not isinstance(v, bool)), None)
    return first if first in CONVENTION_CORE_HYPERS else None


# ---------------------------------------------------------------------------------------
# structural changes (callbacks: they run before the script and may write widget keys)


def restructure(edit, open_boxes=()) -> None:
    """Apply ``edit(state) -> state`` to the current widget values and reload; the run
    boxes ``open_boxes`` (indices in the new state) open, the others start closed."""
    state, _ = sync_state()
    new = edit(state)
    load_state(new)
    gen = st.session_state["gen"]
    for i in open_boxes:
        if 0 <= i < len(new.runs):
            st.session_state[key(gen, f"r{i}:box")] = True
