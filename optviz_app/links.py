"""Shareable links: the whole page state <-> readable URL query parameters (no Streamlit).

A link is a :class:`Link`: the :class:`~optviz_app.state.PageState` plus the teaching
extras (:class:`Teach`: preset, inspected step, presenter mode, hidden controls).
:func:`encode` writes it as a flat ``{name: str}`` dict for ``st.query_params``;
:func:`decode` reads one back and never raises: every value goes through
:meth:`PageState.from_dict` (bad values fall back with a notice), unknown parameters are
ignored with a notice, and the rest of the link still applies.

URL format (every name stable; values are plain numbers, names or comma lists)::

    lang=ja                      en | ja
    surface=rosenbrock           a SURFACES key
    surface.condition=20         a surface factory parameter (only non-defaults)
    x=-1.5&y=2                   start point (absent: the surface's default start)
    steps=300
    r1=adam&r1.lr=0.05           run 1: optimizer, learning rate,
    r1.betas=0.9,0.99            every non-default torch keyword (pairs comma-separated,
    r1.amsgrad=1                 booleans 1/0),
    r1.schedule=cosine&r1.schedule.T_max=300     a learning-rate schedule,
    r1.noise=0.1&r1.seed=3       gradient noise and the run's seed (it also orders mini-batches),
    r1.batch_size=4              mini-batches of 4 data points (surfaces with data),
    r1.conv=keras                its convention (keras | textbook; absent: pytorch), whose
                                 keyword names the run's other keywords use;  r2=..., up to r8
    runs=0                       no runs at all (absent with no rN: the default runs)
    loss=0&3d=1&field=1&animate=0&tol=0.001      view options (only non-defaults)
    step=12                      the inspected / animation step (absent: the last)
    preset=saddle_escape         a lecture preset (alone: loads it; with a state: labels it)
    present=1                    presenter mode
    hide=surface,runs,steps      controls to hide (see HIDEABLE)
    notation=course              the update rules' notation (course | pytorch; absent: the
                                 language's own, the course's in Japanese)
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

from optviz.presets import PRESETS_BY_KEY, Preset
from surfaces import SURFACE_PARAMS

from .notices import Notice, notice
from .state import (
    DEFAULT_SURFACE,
    LR_KEYWORDS,
    SCHEDULES,
    PageState,
    View,
    signature_defaults,
)

HIDEABLE = (
    "lang",
    "preset",
    "surface",
    "start",
    "steps",
    "runs",
    "view",
    "share",
    "inspector",
    "equations",
    "exports",
)
"""Control groups a link can hide with ``hide=a,b`` (like TensorFlow Playground's _hide)."""

VIEW_NAMES = {
    "show_loss": "loss",
    "show_3d": "3d",
    "show_field": "field",
    "animate": "animate",
    "tol": "tol",
}
"""View option -> its URL name."""

SHAPE_KEYS = ("surface", "x", "y", "steps", "runs", "formula", "bounds")
"""Parameters that define the computation; a preset link without any of them loads the
preset's own state."""

TEACH_KEYS = ("preset", "step", "present", "hide", "notation")

NOTATIONS = ("course", "pytorch")
"""``notation=`` values (``optviz.symbols.NOTATIONS``)."""

RUN_URL_NAMES = {"convention": "conv"}
"""A run's dict field -> its name in a link (``r1.conv=keras``), where it differs."""
_RUN_FIELD_BY_URL = {url: name for name, url in RUN_URL_NAMES.items()}

_RUN = re.compile(r"r([1-9][0-9]{0,2})(?:\.(.+))?$")
_INT = re.compile(r"[+-]?[0-9]+$")


@dataclass(frozen=True)
class Teach:
    """The teaching extras of a link.

    preset: a ``PRESETS_BY_KEY`` key or "". step: the inspected step (``None``: the last
    one, so it follows a change of the step count). present: presenter mode. hide: sorted
    unique :data:`HIDEABLE` names. notation: the update rules' notation (a
    :data:`NOTATIONS` name; "": the page language's own).
    """

    preset: str = ""
    step: int | None = None
    present: bool = False
    hide: tuple[str, ...] = ()
    notation: str = ""

    def shown(self, name: str) -> bool:
        return name not in self.hide


@dataclass(frozen=True)
class Link:
    page: PageState = field(default_factory=PageState)
    teach: Teach = field(default_factory=Teach)


# ---------------------------------------------------------------------------------------
# values


def fmt_value(value) -> str:
    """A value as URL text: bools 1/0, shortest exact floats ("0.05", "2"), lists a,b."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(fmt_value(v) for v in value)
    if isinstance(value, float):
        if math.isfinite(value) and value == int(value) and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    return str(value)


def parse_value(text: str):
    """URL text -> int, float, list (comma-separated) or the text itself (never raises)."""
    text = str(text).strip()
    if "," in text:
        return [parse_value(part) for part in text.split(",")]
    if _INT.match(text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def normalize_lang(locale: str | None, accept_language: str | None = None) -> str | None:
    """'ja' when the browser prefers Japanese, 'en' when it prefers something else, None
    when it says nothing. ``locale`` (e.g. "ja-JP") wins over the Accept-Language header."""
    for source in (locale, accept_language):
        if not source:
            continue
        first = str(source).split(",")[0].split(";")[0].strip().lower()
        if first:
            return "ja" if first.startswith("ja") else "en"
    return None


# ---------------------------------------------------------------------------------------
# presets


def preset_state(preset: Preset, lang: str = "en") -> PageState:
    """The page state of a lecture preset (its surface, start, steps and runs)."""
    runs = []
    for r in preset.runs:
        d = {"optimizer": r.optimizer}
        for name, value in r.kwargs:  # Keras's learning_rate is the run's lr
            d["lr" if name in LR_KEYWORDS else name] = value
        if r.convention != "pytorch":
            d["convention"] = r.convention
        if r.noise:
            d["noise"], d["seed"] = r.noise, r.seed
        runs.append(d)
    raw = {
        "surface": preset.surface,
        "surface_params": dict(preset.surface_params),
        **({"formula": preset.formula} if preset.formula else {}),
        **({"bounds": [list(b) for b in preset.bounds]} if preset.bounds else {}),
        "start": list(preset.start),
        "steps": preset.steps,
        "runs": runs,
        "lang": lang,
    }
    state, _ = PageState.from_dict(raw)
    return state


def preset_link(preset: Preset, lang: str = "en", base: Teach | None = None) -> Link:
    """A preset loaded: its state, its focus step (None if that is the last step)."""
    base = base or Teach()
    state = preset_state(preset, lang)
    step = preset.focus_step if preset.focus_step < state.steps else None
    return Link(state, Teach(preset.key, step, base.present, base.hide, base.notation))


# ---------------------------------------------------------------------------------------
# encode


def encode(link: Link) -> dict[str, str]:
    """The query parameters of ``link`` (every setting; defaults of optional parts left
    out). ``decode(encode(link)) == (link, [])`` for every canonical link."""
    s, teach = link.page, link.teach
    d = s.to_dict()
    q: dict[str, str] = {"lang": s.lang, "surface": s.surface}
    for name, value in s.surface_params:
        q[f"surface.{name}"] = fmt_value(value)
    if s.start is not None:
        q["x"], q["y"] = fmt_value(float(s.start[0])), fmt_value(float(s.start[1]))
    q["steps"] = fmt_value(s.steps)
    if not s.runs:
        q["runs"] = "0"
    for i, spec in enumerate(s.runs, start=1):
        r = spec.to_dict()
        q[f"r{i}"] = r.pop("optimizer")
        for name, value in r.items():
            q[f"r{i}.{RUN_URL_NAMES.get(name, name)}"] = fmt_value(value)
    default_view = View().to_dict()
    for name, value in d.get("view", {}).items():
        if value != default_view.get(name):
            q[VIEW_NAMES.get(name, name)] = fmt_value(value)
    if "formula" in d:
        q["formula"] = str(d["formula"])
    if "bounds" in d:
        q["bounds"] = fmt_value([float(v) for pair in d["bounds"] for v in pair])
    for name, value in d.items():  # any other (future) plain field of the state
        if name not in _HANDLED and isinstance(value, str | int | float | bool):
            q[name] = fmt_value(value)
    if teach.preset:
        q["preset"] = teach.preset
    if teach.step is not None:
        q["step"] = str(int(teach.step))
    if teach.present:
        q["present"] = "1"
    if teach.hide:
        q["hide"] = ",".join(teach.hide)
    if teach.notation:
        q["notation"] = teach.notation
    return q


_HANDLED = {"surface", "surface_params", "start", "steps", "runs", "view", "lang"}
_HANDLED |= {"formula", "bounds"}


# ---------------------------------------------------------------------------------------
# decode


def _flat(query: Mapping) -> dict[str, str]:
    """``{name: str}`` (the last value of repeated parameters)."""
    out = {}
    for name, value in dict(query).items():
        if isinstance(value, list | tuple):
            value = value[-1] if value else ""
        out[str(name)] = str(value)
    return out


def _run_fields(optimizer: str, convention: str) -> set[str]:
    """The fields a run of ``optimizer`` in ``convention`` may have (KeyError if either is
    unknown)."""
    names = set(signature_defaults(optimizer, convention)) | {
        "schedule",
        "noise",
        "seed",
        "batch_size",
    }
    names.add("convention")
    names |= {f"schedule.{n}" for params in SCHEDULES.values() for n, _, _ in params}
    return names


def decode(query: Mapping, default_lang: str = "en") -> tuple[Link, list[Notice]]:
    """A :class:`Link` from query parameters, and notices for everything ignored or
    replaced. Never raises. Without ``lang=`` the page language is ``default_lang``."""
    notices: list[Notice] = []
    unknown: list[str] = []
    try:
        q = _flat(query)
    except (TypeError, ValueError):
        return Link(), [notice("notice.bad_state")]

    raw: dict = {}
    raw_runs: dict[int, dict] = {}
    orphans: dict[int, list[str]] = {}
    view: dict = {}
    surface_params: dict = {}
    view_by_url = {VIEW_NAMES.get(k, k): k for k in View().to_dict()}
    other_fields = {f.name for f in fields(PageState)} - _HANDLED
    for name, text in q.items():
        m = _RUN.match(name)
        if m:
            i, sub = int(m.group(1)), m.group(2)
            if sub is None:
                raw_runs.setdefault(i, {})["optimizer"] = text
            else:
                sub = _RUN_FIELD_BY_URL.get(sub, sub)
                value = text if sub in ("schedule", "convention") else parse_value(text)
                raw_runs.setdefault(i, {})[sub] = value
                orphans.setdefault(i, []).append(name)
        elif name == "lang":
            raw["lang"] = text
        elif name == "surface":
            raw["surface"] = text
        elif name.startswith("surface."):
            surface_params[name[len("surface.") :]] = parse_value(text)
        elif name in ("x", "y", "steps"):
            raw[name] = parse_value(text)
        elif name == "runs":
            if text.strip() not in ("0", ""):
                unknown.append(f"runs={text[:20]}")
            raw["runs"] = []
        elif name in view_by_url:
            view[view_by_url[name]] = parse_value(text)
        elif name == "formula":
            raw["formula"] = text
        elif name == "bounds":
            value = parse_value(text)
            ok = isinstance(value, list) and len(value) == 4
            raw["bounds"] = [value[:2], value[2:]] if ok else text
        elif name in other_fields:
            raw[name] = parse_value(text)
        elif name in TEACH_KEYS:
            pass
        else:
            unknown.append(name[:30])

    # runs: r1, r2, ... in index order; fields of a run without its optimizer are unknown
    runs = []
    for i in sorted(raw_runs):
        d = raw_runs[i]
        if "optimizer" not in d:
            unknown += orphans.get(i, [])
            continue
        convention = d.get("convention", "pytorch")
        try:
            allowed = _run_fields(d["optimizer"], convention)
        except (KeyError, TypeError, ValueError):
            allowed = None  # unknown optimizer or convention: RunSpec.from_dict reports it
        if allowed is not None and convention != "pytorch":
            allowed = None  # RunSpec.from_dict names a keyword the convention lacks
        if allowed is not None:
            for sub in list(d):
                if sub != "optimizer" and sub not in allowed:
                    unknown.append(f"r{i}.{sub}"[:30])
                    del d[sub]
        runs.append(d)
    if runs:
        raw["runs"] = runs

    # a preset alone loads its state; with explicit settings it only labels them
    teach_preset = ""
    preset_key = q.get("preset", "")
    if preset_key:
        if preset_key in PRESETS_BY_KEY:
            teach_preset = preset_key
        else:
            notices.append(notice("notice.unknown_preset", value=preset_key[:40]))
    shape = any(k in raw for k in SHAPE_KEYS) or bool(surface_params)
    if teach_preset and not shape:
        d = preset_state(PRESETS_BY_KEY[teach_preset]).to_dict()
    else:
        d = {}
        if "surface" in raw:
            d["surface"] = raw["surface"]
        if surface_params:
            d["surface_params"] = surface_params
        if "x" in raw or "y" in raw:
            d["start"] = [raw.get("x"), raw.get("y")]
        for name, value in raw.items():
            if name not in ("surface", "x", "y", "lang"):
                d[name] = value
    d["lang"] = raw.get("lang", default_lang)
    if view:
        d["view"] = view
    if surface_params:
        _unknown_surface_params(d, surface_params, unknown)
    state, n = PageState.from_dict(d)
    notices += n

    # teaching extras
    step = None
    if "step" in q:
        value = parse_value(q["step"])
        if isinstance(value, int) and value >= 0:
            step = min(value, state.steps)
            if step != value:
                notices.append(notice("notice.step_clamped", value=value, to=step))
        else:
            notices.append(notice("notice.bad_step", value=q["step"][:20]))
    elif teach_preset and not shape:
        focus = PRESETS_BY_KEY[teach_preset].focus_step
        step = min(focus, state.steps)
    if step is not None and step >= state.steps:
        step = None
    present = False
    if "present" in q:
        text = q["present"].strip().lower()
        if text in ("1", "true", "yes", "on", ""):
            present = True
        elif text not in ("0", "false", "no", "off"):
            notices.append(notice("notice.bad_present", value=q["present"][:20]))
    hide: list[str] = []
    if q.get("hide"):
        for name in q["hide"].split(","):
            name = name.strip()
            if name in HIDEABLE:
                hide.append(name)
            elif name:
                notices.append(notice("notice.unknown_hide", value=name[:30]))
    hide_sorted = tuple(h for h in HIDEABLE if h in hide)
    notation = q.get("notation", "").strip()
    if notation and notation not in NOTATIONS:
        notices.append(notice("notice.bad_notation", value=notation[:20]))
        notation = ""
    if unknown:
        notices.append(notice("notice.unknown_params", names=", ".join(unknown[:8])))
    teach = Teach(teach_preset, step, present, hide_sorted, notation)
    return Link(state, teach), notices


def _unknown_surface_params(d: dict, params: dict, unknown: list[str]) -> None:
    """Surface parameters the chosen surface does not have are unknown (and dropped)."""
    surface = d.get("surface", DEFAULT_SURFACE)
    names = {p.name for p in SURFACE_PARAMS.get(surface, (None, ()))[1]}
    for name in list(params):
        if name not in names:
            unknown.append(f"surface.{name}"[:30])
            del params[name]
    if not params:
        d.pop("surface_params", None)


def canonical_teach(teach: Teach, steps: int) -> Teach:
    """``teach`` with its step clamped to ``[0, steps]`` (the last step stored as None)."""
    step = teach.step
    if step is not None:
        step = max(0, min(int(step), steps))
        if step >= steps:
            step = None
    hide = tuple(h for h in HIDEABLE if h in teach.hide)
    notation = teach.notation if teach.notation in NOTATIONS else ""
    return Teach(teach.preset, step, bool(teach.present), hide, notation)
