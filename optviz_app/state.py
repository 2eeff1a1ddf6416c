"""The whole page state as one pure, hashable, serialisable value.

``PageState`` (surface, its parameters, the runs, start, steps, view options, language)
and ``RunSpec`` (one optimizer with its hyperparameters) are frozen dataclasses of plain
values (str, float, int, bool, tuples), so they can key caches, travel in URLs
(``to_dict`` -> JSON) and be compared. ``from_dict`` never raises: each field that is
missing, of the wrong type or out of range falls back to its default (or is clamped) and
a :class:`Notice` says so; the other fields are kept.

No Streamlit here (a typed formula's default start comes from the cached builder of
:mod:`optviz_app.surface_builder`); :mod:`optviz_app.session` maps widgets to and from
this model.
"""

from __future__ import annotations

import functools
import inspect
import math
from dataclasses import dataclass, field, replace
from typing import Any

from optviz import CONVENTIONS
from optviz.conventions import LR_KEYWORDS, lr_keyword, signature
from optviz.schedules import SCHEDULE_PARAMS
from surfaces import SURFACE_PARAMS, SURFACES
from surfaces.expression import FormulaError, parse_formula

from .notices import Notice, formula_notice, notice, shown
from .surface_builder import DEFAULT_BOUNDS, DEFAULT_FORMULA, FORMULA, build_surface

MAX_STEPS = 5000
"""The most steps a run takes (larger values are clamped) and a study's steps control
offers (the sweep's step axis too)."""
MAX_RUNS = 8
DEFAULT_SURFACE = "rosenbrock"
MAX_BOUND = 1e6
FAIR_MODES = ("off", "same", "best")
"""``View.fair``: each run's own lr / one shared lr (``View.fair_lr``) / each run's best
lr from a sweep over the same step budget (``optviz_app.studies_ui``)."""
FAIR_CHOICES = FAIR_MODES[1:]
"""The modes the fair-comparison switch offers once it is on (every mode but ``"off"``)."""
LANGS = ("en", "ja")

SCHEDULES = SCHEDULE_PARAMS
"""Schedule kind -> its parameters ``(name, default, kind)`` (``optviz.schedules``)."""


# ---------------------------------------------------------------------------------------
# optimizer signatures


DEFAULT_CONVENTION = "pytorch"
"""The convention a run follows unless it says otherwise (``optviz.CONVENTIONS`` key)."""

CLOSEST = {
    "pytorch": {},
    "keras": {
        "momentum": ("sgd", (("momentum", 0.9),)),
        "nesterov": ("sgd", (("momentum", 0.9), ("nesterov", True))),
        "radam": ("adam", ()),
        "adafactor": ("adam", ()),
    },
    "textbook": {
        "adadelta": ("rmsprop", ()),
        "adamw": ("adam", ()),
        "nadam": ("adam", ()),
        "radam": ("adam", ()),
        "adamax": ("adam", ()),
        "lion": ("adam", ()),
        "adafactor": ("adam", ()),
    },
}
"""Convention -> {an optimizer it lacks -> (its closest key, keywords that make it so)}:
where a run switching to that convention goes (Keras writes momentum as SGD's
``momentum``; the book has no AdaDelta and one Adam)."""


def signature_defaults(optimizer: str, convention: str = DEFAULT_CONVENTION) -> dict[str, Any]:
    """Keyword -> default of ``CONVENTIONS[convention][optimizer]``, the learning rate as
    ``"lr"`` whatever the factory calls it. A ``None`` default (Keras's ``weight_decay``:
    no decay) is 0.0, which decays nothing (:func:`factory_kwargs` passes None back)."""
    sig = signature(CONVENTIONS[convention][optimizer])
    out = {}
    for name, p in sig.parameters.items():
        if p.default is inspect.Parameter.empty:
            continue
        out["lr" if name in LR_KEYWORDS else name] = 0.0 if p.default is None else p.default
    return out


def factory_kwargs(optimizer: str, convention: str, lr, hyper: dict) -> dict[str, Any]:
    """The keyword arguments of ``CONVENTIONS[convention][optimizer]`` for learning rate
    ``lr`` (a number or a schedule) and the page's other keywords ``hyper``: the learning
    rate under the factory's own name, and 0.0 as None where the factory's default is None."""
    params = signature(CONVENTIONS[convention][optimizer]).parameters
    lr_name = lr_keyword(optimizer, convention)
    kwargs: dict[str, Any] = {lr_name: lr}
    for name, value in hyper.items():
        none_default = name in params and params[name].default is None
        kwargs[name] = None if none_default and value == 0 else value
    return kwargs


def closest_optimizer(
    optimizer: str, convention: str, hyper: dict | None = None
) -> tuple[str, dict[str, Any]]:
    """``(key, keywords)``: where a run of ``optimizer`` (keywords ``hyper``) goes in
    ``convention``: SGD with momentum counts as the momentum (or Nesterov) method; then
    the same key if the convention has one, else :data:`CLOSEST`, else SGD."""
    hyper = hyper or {}
    registry = CONVENTIONS[convention]
    if optimizer == "sgd" and hyper.get("momentum"):
        optimizer = "nesterov" if hyper.get("nesterov") else "momentum"
    if optimizer in registry:
        return optimizer, {}
    key, keywords = CLOSEST[convention].get(optimizer, ("sgd", ()))
    return key, dict(keywords)


def _finite(value) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


_AUTOMATIC = (None, "", "None", "none", "null", "auto")
"""How an entry left automatic reads (widgets: None; URLs and JSON: text)."""


def _entry(value, default) -> float | None:
    """One entry of a pair as a float; None where the default is None (torch then picks
    the value, e.g. Adafactor's ε₁) and the value says so. ValueError otherwise."""
    if default is None and (value is None or (isinstance(value, str) and value in _AUTOMATIC)):
        return None
    return float(value)


def coerce_hyper(name: str, value, default) -> tuple[Any, bool]:
    """``value`` coerced to the type of ``default``; ``(value, ok)`` (default if not ok).

    bool -> bool; a pair (betas) -> tuple of two finite floats (an entry whose default is
    None may stay None); a number -> finite float.
    """
    if isinstance(default, bool):
        if isinstance(value, bool):
            return value, True
        if value in (0, 1, "0", "1", "true", "false", "True", "False"):
            return str(value).lower() in ("1", "true"), True
        return default, False
    if isinstance(default, tuple):
        try:
            pair = tuple(_entry(v, d) for v, d in zip(value, default, strict=True))
        except (TypeError, ValueError):
            return default, False
        if not all(v is None or math.isfinite(v) for v in pair):
            return default, False
        return pair, True
    try:
        number = float(value)
    except (TypeError, ValueError):
        return default, False
    if isinstance(value, bool) or not math.isfinite(number):
        return default, False
    return number, True


# ---------------------------------------------------------------------------------------
# one run


@dataclass(frozen=True)
class RunSpec:
    """One optimizer run.

    optimizer: a ``CONVENTIONS[convention]`` key. lr: the base learning rate.
    hyper: the factory's other keywords, as sorted ``(name, value)`` pairs, only those
        that differ from its defaults (so equal settings give equal specs).
    schedule: a :data:`SCHEDULES` kind; schedule_params: its ``(name, value)`` pairs.
    noise: standard deviation of Gaussian gradient noise.
    batch_size: None (the gradient of the whole loss) or b ≥ 1: each step's gradient is
        the mean over a mini-batch of b of the surface's data points (surfaces with data
        only; :meth:`PageState.from_dict` drops it elsewhere and checks b ≤ n).
    seed: the run's random seed: it fixes the gradient noise and the order of the
        mini-batches (one seed per run, as a training script has one).
    convention: an ``optviz.CONVENTIONS`` key: whose update rule, keyword names and
        defaults the run follows (PyTorch's, Keras's or the book's).
    """

    optimizer: str = "sgd"
    lr: float = 1e-3
    hyper: tuple[tuple[str, Any], ...] = ()
    schedule: str = "constant"
    schedule_params: tuple[tuple[str, float], ...] = ()
    noise: float = 0.0
    seed: int = 0
    convention: str = DEFAULT_CONVENTION
    batch_size: int | None = None

    @classmethod
    def make(cls, optimizer: str, lr: float | None = None, **kwargs) -> RunSpec:
        """A canonical spec from the factory's keywords (defaults dropped; ``convention=``
        picks the factory, PyTorch's by default); ValueError if unknown."""
        convention = kwargs.pop("convention", DEFAULT_CONVENTION)
        if convention not in CONVENTIONS or optimizer not in CONVENTIONS[convention]:
            raise ValueError(f"no optimizer {optimizer!r} in convention {convention!r}")
        defaults = signature_defaults(optimizer, convention)
        unknown = set(kwargs) - set(defaults) - set(RUN_EXTRAS)
        if unknown:
            raise ValueError(f"{optimizer} has no parameter(s) {sorted(unknown)}")
        extra = {k: kwargs.pop(k) for k in RUN_EXTRAS if k in kwargs}
        if "schedule_params" in extra:
            extra["schedule_params"] = tuple(sorted(dict(extra["schedule_params"]).items()))
        hyper = _canonical_hyper(optimizer, kwargs, convention)
        lr = float(defaults["lr"] if lr is None else lr)
        return cls(optimizer, lr, hyper, **extra, convention=convention)

    def defaults(self) -> dict[str, Any]:
        """Keyword -> default of this run's factory (:func:`signature_defaults`)."""
        return signature_defaults(self.optimizer, self.convention)

    def hyper_values(self) -> dict[str, Any]:
        """Every keyword but ``lr`` with its value (defaults filled in)."""
        values = {k: v for k, v in self.defaults().items() if k != "lr"}
        values.update(dict(self.hyper))
        return values

    def schedule_values(self) -> dict[str, Any]:
        """The schedule's parameters with defaults filled in."""
        values = {name: default for name, default, _ in SCHEDULES.get(self.schedule, ())}
        values.update(dict(self.schedule_params))
        return values

    def to_dict(self) -> dict:
        """Plain JSON-able dict (non-default fields only)."""
        d: dict[str, Any] = {"optimizer": self.optimizer, "lr": self.lr}
        d.update({k: list(v) if isinstance(v, tuple) else v for k, v in self.hyper})
        if self.schedule != "constant":
            d["schedule"] = self.schedule
            d.update({f"schedule.{k}": v for k, v in self.schedule_params})
        if self.noise:
            d["noise"] = self.noise
        if self.batch_size is not None:
            d["batch_size"] = self.batch_size
        if self.noise or self.batch_size is not None:
            d["seed"] = self.seed
        if self.convention != DEFAULT_CONVENTION:
            d["convention"] = self.convention
        return d

    @classmethod
    def from_dict(
        cls, d: dict, data_n: int | bool | None = True
    ) -> tuple[RunSpec | None, list[Notice]]:
        """Validate ``d``; ``(None, notices)`` if even the optimizer is unusable.

        ``data_n``: the number of data points of the page's surface (a batch size must
        not exceed it), None for a surface without data (a batch size is dropped without
        a notice: it means nothing there), True when not known (any whole b ≥ 1)."""
        notices: list[Notice] = []
        if not isinstance(d, dict):
            return None, [notice("notice.bad_run", value=shown(d))]
        convention = d.get("convention", DEFAULT_CONVENTION)
        keywords_apply = True
        if convention not in CONVENTIONS:
            # written for a convention the page does not know: PyTorch's keywords at
            # their defaults (the written ones may mean something else), the rest kept
            notices.append(notice("notice.unknown_convention", value=shown(convention)))
            convention, keywords_apply = DEFAULT_CONVENTION, False
        optimizer = d.get("optimizer")
        if not isinstance(optimizer, str) or optimizer not in CONVENTIONS[convention]:
            return None, [notice("notice.unknown_optimizer", value=shown(optimizer))]
        defaults = signature_defaults(optimizer, convention)
        lr = d.get("lr", defaults["lr"])
        if not _finite(lr) or lr < 0:
            notices.append(notice("notice.bad_lr", value=shown(lr), default=defaults["lr"]))
            lr = defaults["lr"]
        hyper = {}
        if keywords_apply:
            notices += _foreign_keywords(d, optimizer, convention, defaults)
        for name, default in defaults.items():
            if name == "lr" or name not in d or not keywords_apply:
                continue
            value, ok = coerce_hyper(name, d[name], default)
            if not ok:
                notices.append(notice("notice.bad_hyper", name=name, value=shown(d[name])))
            hyper[name] = value
        schedule = d.get("schedule", "constant")
        if schedule not in SCHEDULES:
            notices.append(notice("notice.bad_schedule", value=shown(schedule)))
            schedule = "constant"
        sparams = {}
        for name, default, kind in SCHEDULES[schedule]:
            key = f"schedule.{name}"
            if key in d:
                value = d[key]
                if not _finite(value) or (kind == "int" and (value < 1 or int(value) != value)):
                    notices.append(notice("notice.bad_hyper", name=name, value=shown(value)))
                    value = default
                sparams[name] = int(value) if kind == "int" else float(value)
        noise = d.get("noise", 0.0)
        if not _finite(noise) or noise < 0:
            notices.append(notice("notice.bad_noise", value=shown(noise)))
            noise = 0.0
        seed = d.get("seed", 0)
        if not _finite(seed) or int(seed) != seed:
            seed = 0
        batch_size = None
        if data_n is not None:
            n_max = None if data_n is True else data_n
            batch_size, n = clean_batch_size(d.get("batch_size"), n_max)
            notices += n
        if d.get("batch_size") is not None and batch_size is None and not noise:
            seed = 0  # it seeds nothing now: equal runs give equal specs
        spec = cls(
            optimizer=optimizer,
            lr=float(lr),
            hyper=_canonical_hyper(optimizer, hyper, convention),
            schedule=schedule,
            schedule_params=tuple(sorted(sparams.items())),
            noise=float(noise),
            seed=int(seed),
            convention=convention,
            batch_size=batch_size,
        )
        return spec, notices


RUN_EXTRAS = ("schedule", "schedule_params", "noise", "seed", "batch_size")
""":class:`RunSpec` fields besides the optimizer's keywords (:meth:`RunSpec.make`)."""


def clean_batch_size(value, n: int | None = None) -> tuple[int | None, list[Notice]]:
    """A mini-batch size: None (absent, empty) is the full batch; a whole number
    1 ≤ b (≤ ``n`` when given) is kept; anything else is the full batch with a notice."""
    if value is None or value == "":
        return None, []
    ok = _finite(value) and int(value) == value and value >= 1 and (n is None or value <= n)
    if not ok:
        limit = "n" if n is None else n
        return None, [notice("notice.bad_batch", value=shown(value, 20), n=limit)]
    return int(value), []


def data_points(surface: str, params: tuple[tuple[str, float], ...] = ()) -> int | None:
    """How many data points the loss of ``surface`` (with its cleaned ``params``) is a
    mean over, or None for a surface without data (no mini-batches there)."""
    if surface not in SURFACES or SURFACES[surface].data is None:
        return None
    if surface in SURFACE_PARAMS and params:
        return _built_data_points(surface, params)
    return SURFACES[surface].data.n


@functools.lru_cache(maxsize=64)
def _built_data_points(surface: str, params: tuple) -> int | None:
    data = SURFACE_PARAMS[surface][0](**dict(params)).data
    return None if data is None else data.n


RUN_FIELDS = frozenset({"optimizer", "lr", "convention", "schedule", "noise", "seed", "batch_size"})
"""The fields of a run's dict besides its factory's keywords (and ``schedule.<name>``)."""


def _foreign_keywords(d: dict, optimizer: str, convention: str, defaults: dict) -> list[Notice]:
    """A notice for each key of run dict ``d`` that is neither a run field nor a keyword
    of ``CONVENTIONS[convention][optimizer]`` (e.g. PyTorch's ``eps`` in a Keras run: it
    is ignored, the keyword keeps the convention's default)."""
    return [
        notice("notice.foreign_keyword", name=str(name)[:30], convention=convention)
        for name in d
        if name not in RUN_FIELDS and name not in defaults and not str(name).startswith("schedule.")
    ]


def _canonical_hyper(
    optimizer: str, values: dict, convention: str = DEFAULT_CONVENTION
) -> tuple[tuple[str, Any], ...]:
    """Sorted ``(name, value)`` pairs of ``values`` that differ from the defaults."""
    defaults = signature_defaults(optimizer, convention)
    out = []
    for name, value in values.items():
        if name == "lr":
            continue
        if isinstance(value, list):
            value = tuple(value)
        if isinstance(defaults.get(name), float) and not isinstance(value, bool):
            value = float(value)
        if value != defaults.get(name):
            out.append((name, value))
    return tuple(sorted(out))


# ---------------------------------------------------------------------------------------
# the page


@dataclass(frozen=True)
class View:
    """View options: which charts, the −∇f field, the animation, the tolerance."""

    show_3d: bool = False
    show_loss: bool = True
    show_field: bool = False
    animate: bool = True
    tol: float = 1e-2
    fair: str = "off"
    fair_lr: float = 0.01

    def to_dict(self) -> dict:
        return {
            "show_3d": self.show_3d,
            "show_loss": self.show_loss,
            "show_field": self.show_field,
            "animate": self.animate,
            "tol": self.tol,
            "fair": self.fair,
            "fair_lr": self.fair_lr,
        }


DEFAULT_RUNS = (
    RunSpec("sgd", 1e-3),
    RunSpec("momentum", 1e-3),
    RunSpec("rmsprop", 1e-2),
    RunSpec("adam", 0.1),
)
"""The default story on Rosenbrock in 300 steps: SGD crawls down the wall; momentum runs
along the valley; RMSprop's lr-sized steps rattle across the valley floor; Adam gets about
half-way along it."""


@dataclass(frozen=True)
class PageState:
    """Everything the page shows. ``start=None`` means the surface's default start."""

    surface: str = DEFAULT_SURFACE
    surface_params: tuple[tuple[str, float], ...] = ()
    runs: tuple[RunSpec, ...] = DEFAULT_RUNS
    start: tuple[float, float] | None = None
    steps: int = 300
    view: View = field(default_factory=View)
    lang: str = "en"
    formula: str = DEFAULT_FORMULA
    bounds: tuple[tuple[float, float], tuple[float, float]] = DEFAULT_BOUNDS

    # -- pure edits -----------------------------------------------------------------
    def add_run(self, spec: RunSpec | None = None) -> PageState:
        """Append ``spec`` (default: Adam at lr 0.05) unless there are MAX_RUNS already."""
        if len(self.runs) >= MAX_RUNS:
            return self
        return replace(self, runs=(*self.runs, spec or RunSpec("adam", 0.05)))

    def remove_run(self, i: int) -> PageState:
        return replace(self, runs=self.runs[:i] + self.runs[i + 1 :])

    def duplicate_run(self, i: int) -> PageState:
        if len(self.runs) >= MAX_RUNS or not 0 <= i < len(self.runs):
            return self
        return replace(self, runs=(*self.runs[: i + 1], self.runs[i], *self.runs[i + 1 :]))

    def with_run(self, i: int, spec: RunSpec) -> PageState:
        return replace(self, runs=(*self.runs[:i], spec, *self.runs[i + 1 :]))

    def start_point(self) -> tuple[float, float]:
        """The start actually used (the surface's default when ``start`` is None)."""
        if self.start is not None:
            return self.start
        if self.surface == FORMULA:  # the typed formula's own start (cached build)
            return tuple(float(v) for v in build_surface(*self.surface_args())[0].start)
        return tuple(float(v) for v in SURFACES[self.surface].start)

    def surface_args(self) -> tuple[str, tuple]:
        """``(surface_key, surface_params)`` for the builders (``surface_builder.build_surface``,
        the study sections); a typed formula is ``("formula", (("bounds", ...),
        ("expression", text)))``."""
        if self.surface == FORMULA:
            return FORMULA, (("bounds", self.bounds), ("expression", self.formula))
        return self.surface, self.surface_params

    # -- serialisation --------------------------------------------------------------
    def to_dict(self) -> dict:
        """Plain JSON-able dict; ``from_dict(to_dict(s)) == (s, [])``."""
        d: dict[str, Any] = {
            "surface": self.surface,
            "runs": [r.to_dict() for r in self.runs],
            "steps": self.steps,
            "view": self.view.to_dict(),
            "lang": self.lang,
        }
        if self.surface_params:
            d["surface_params"] = dict(self.surface_params)
        if self.start is not None:
            d["start"] = list(self.start)
        if self.formula != DEFAULT_FORMULA:
            d["formula"] = self.formula
        if self.bounds != DEFAULT_BOUNDS:
            d["bounds"] = [list(b) for b in self.bounds]
        return d

    @classmethod
    def from_dict(cls, d: dict) -> tuple[PageState, list[Notice]]:
        """Validate every field of ``d``; bad ones fall back (or clamp) with a notice."""
        notices: list[Notice] = []
        if not isinstance(d, dict):
            return cls(), [notice("notice.bad_state")]
        base = cls()
        surface = d.get("surface", base.surface)
        if surface not in SURFACES and surface != FORMULA:
            notices.append(notice("notice.unknown_surface", value=shown(surface)))
            surface = base.surface
        params, n = clean_surface_params(surface, d.get("surface_params", {}))
        notices += n
        runs: list[RunSpec] = []
        raw_runs = d.get("runs", [r.to_dict() for r in base.runs])
        if not isinstance(raw_runs, list | tuple):
            notices.append(notice("notice.bad_runs"))
            raw_runs = [r.to_dict() for r in base.runs]
        data_n = data_points(surface, params)
        for raw in list(raw_runs)[:MAX_RUNS]:
            spec, n = RunSpec.from_dict(raw, data_n)
            notices += n
            if spec is not None:
                runs.append(spec)
        if len(raw_runs) > MAX_RUNS:
            notices.append(notice("notice.too_many_runs", limit=MAX_RUNS))
        steps, n = clean_steps(d.get("steps", base.steps))
        notices += n
        start = None
        if d.get("start") is not None:
            _, bounds_, _ = clean_formula(d.get("formula"), d.get("bounds"))
            box = bounds_ if surface == FORMULA else SURFACES[surface].bounds
            centre = tuple((lo + hi) / 2 for lo, hi in box)
            default = centre if surface == FORMULA else SURFACES[surface].start
            start, n = clean_start(d["start"], box, default)
            notices += n
        view, n = clean_view(d.get("view", {}))
        notices += n
        lang = d.get("lang", base.lang)
        if lang not in LANGS:
            notices.append(notice("notice.bad_lang", value=shown(lang, 10)))
            lang = base.lang
        formula, bounds, n = clean_formula(d.get("formula"), d.get("bounds"))
        notices += n
        state = cls(surface, params, tuple(runs), start, steps, view, lang, formula, bounds)
        return state, notices


def clean_steps(value) -> tuple[int, list[Notice]]:
    """A whole number of steps in [1, MAX_STEPS]; out of range is clamped, junk -> 300."""
    if not _finite(value):
        return 300, [notice("notice.bad_steps", value=shown(value))]
    v = float(value)
    if v < 1:
        return 1, [notice("notice.steps_clamped", value=f"{v:g}", to=1)]
    if v > MAX_STEPS:
        return MAX_STEPS, [notice("notice.steps_clamped", value=f"{v:g}", to=MAX_STEPS)]
    if int(v) != v:
        return round(v), [notice("notice.steps_clamped", value=f"{v:g}", to=round(v))]
    return int(v), []


def clean_start(value, bounds, default) -> tuple[tuple[float, float], list[Notice]]:
    """A finite start inside ``bounds``: non-finite -> ``default``, outside -> clamped."""
    try:
        x, y = (float(v) for v in value)
    except (TypeError, ValueError):
        return tuple(map(float, default)), [notice("notice.bad_start", value=shown(value))]
    if not (math.isfinite(x) and math.isfinite(y)):
        d = tuple(map(float, default))
        return d, [notice("notice.bad_start", value=f"({x:g}, {y:g})")]
    (x0, x1), (y0, y1) = bounds
    cx, cy = min(max(x, x0), x1), min(max(y, y0), y1)
    if (cx, cy) != (x, y):
        return (cx, cy), [
            notice("notice.start_clamped", value=f"({x:g}, {y:g})", to=f"({cx:g}, {cy:g})")
        ]
    return (x, y), []


def clean_surface_params(surface: str, raw) -> tuple[tuple[tuple[str, float], ...], list]:
    """The surface factory's parameters from ``raw``: junk -> default, out of range -> clamped.

    Only non-default values are kept (sorted), so equal surfaces give equal states.
    """
    if surface not in SURFACE_PARAMS or not raw:
        return (), []
    if not isinstance(raw, dict):
        raw = dict(raw) if isinstance(raw, list | tuple) else {}
    notices: list[Notice] = []
    out = []
    for p in SURFACE_PARAMS[surface][1]:
        if p.name not in raw:
            continue
        v = raw[p.name]
        if not _finite(v):
            notices.append(notice("notice.bad_surface_param", name=p.name, value=shown(v)))
            continue
        v = float(v)
        c = min(max(v, p.low), p.high)
        if p.kind == "int":
            c = round(c)
        if c != v:
            notices.append(notice("notice.param_clamped", name=p.name, value=f"{v:g}", to=f"{c:g}"))
        if c != p.default:
            out.append((p.name, int(c) if p.kind == "int" else float(c)))
    return tuple(sorted(out)), notices


def clean_view(raw) -> tuple[View, list[Notice]]:
    """View options from ``raw`` (unknown keys ignored, bad values -> default)."""
    base = View()
    if not isinstance(raw, dict):
        return base, []
    kw = {}
    notices: list[Notice] = []
    for name in ("show_3d", "show_loss", "show_field", "animate"):
        if name in raw:
            value, ok = coerce_hyper(name, raw[name], getattr(base, name))
            kw[name] = value
            if not ok:
                notices.append(notice("notice.bad_hyper", name=name, value=shown(raw[name], 20)))
    if "fair" in raw:
        if raw["fair"] in FAIR_MODES:
            kw["fair"] = raw["fair"]
        else:
            notices.append(notice("notice.bad_hyper", name="fair", value=shown(raw["fair"], 20)))
    for name in ("fair_lr", "tol"):  # positive numbers
        if name in raw:
            value = raw[name]
            if _finite(value) and value > 0:
                kw[name] = float(value)
            else:
                notices.append(notice("notice.bad_hyper", name=name, value=shown(value, 20)))
    return replace(base, **kw), notices


@functools.lru_cache(maxsize=256)
def formula_error(text: str) -> FormulaError | None:
    """Why ``parse_formula`` refuses ``text``, or None (remembered per text: every script
    run checks the page's formula, typed or not, and the parse is the costly part)."""
    try:
        parse_formula(text)
    except FormulaError as error:
        return error
    return None


def clean_formula(raw_formula, raw_bounds) -> tuple[str, tuple, list[Notice]]:
    """A typed formula and its plot window: ``(formula, bounds, notices)``.

    The formula is only parsed (``surfaces.expression.parse_formula``: AST allow-list,
    nothing executed, about a millisecond); a refused one falls back to
    :data:`DEFAULT_FORMULA` with a ``formula.<code>`` notice. Bounds must be
    ``[[xmin, xmax], [ymin, ymax]]`` of finite numbers within ±:data:`MAX_BOUND`, min < max.
    """
    notices: list[Notice] = []
    formula = DEFAULT_FORMULA
    if raw_formula is not None:
        if not isinstance(raw_formula, str):
            notices.append(notice("formula.not_text", detail=str(raw_formula)[:40]))
        else:
            error = formula_error(raw_formula)
            if error is None:
                formula = raw_formula.strip()
            else:
                notices.append(formula_notice(error))
    bounds = DEFAULT_BOUNDS
    if raw_bounds is not None:
        checked = check_bounds(raw_bounds)
        if checked is None:
            notices.append(notice("formula.bounds", detail=str(raw_bounds)[:60]))
        else:
            bounds = checked
    return formula, bounds, notices


def check_bounds(raw) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """``((xmin, xmax), (ymin, ymax))`` as floats, or None if unusable."""
    try:
        (x0, x1), (y0, y1) = raw
    except (TypeError, ValueError):
        return None
    values = (x0, x1, y0, y1)
    if not all(_finite(v) and abs(v) <= MAX_BOUND for v in values):
        return None
    x0, x1, y0, y1 = (float(v) for v in values)
    if not (x1 - x0 > 1e-9 and y1 - y0 > 1e-9):
        return None
    return ((x0, x1), (y0, y1))
