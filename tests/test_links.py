"""Shareable links (optviz_app.links): state -> query -> state is the identity; bad or
unknown parameters give notices and never crash."""

from __future__ import annotations

import math
import urllib.parse
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from optviz import CONVENTIONS
from optviz.presets import PRESETS
from optviz_app.i18n import STRINGS
from optviz_app.links import (
    HIDEABLE,
    Link,
    Teach,
    canonical_teach,
    decode,
    encode,
    normalize_lang,
    parse_value,
    preset_link,
)
from optviz_app.state import (
    FAIR_MODES,
    FORMULA,
    MAX_RUNS,
    SCHEDULES,
    PageState,
    RunSpec,
    View,
    data_points,
    signature_defaults,
)
from surfaces import SURFACE_PARAMS, SURFACES

FORMULAS = ["x^2 + 3*y^2 - x*y", "sin(x) * cos(y) + 0.1*(x^2 + y^2)", "(1 - x)^2 + 100*(y - x^2)^2"]
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
positive = st.floats(min_value=1e-12, max_value=1e6, allow_nan=False)


@st.composite
def run_specs(draw) -> RunSpec:
    convention = draw(st.sampled_from(sorted(CONVENTIONS)))
    optimizer = draw(st.sampled_from(sorted(CONVENTIONS[convention])))
    defaults = signature_defaults(optimizer, convention)
    kwargs = {}
    for name, default in defaults.items():
        if name == "lr" or not draw(st.booleans()):
            continue
        if isinstance(default, bool):
            kwargs[name] = draw(st.booleans())
        elif isinstance(default, tuple):
            kwargs[name] = tuple(draw(finite) for _ in default)
        else:
            kwargs[name] = draw(finite)
    schedule = draw(st.sampled_from(sorted(SCHEDULES)))
    sparams = {}
    for name, _, kind in SCHEDULES[schedule]:
        if draw(st.booleans()):
            sparams[name] = draw(st.integers(1, 10_000)) if kind == "int" else draw(finite)
    noise = draw(st.sampled_from([0.0, 0.0, 0.1, 2.5]) | positive)
    batch_size = draw(st.none() | st.integers(1, 200))
    seed = draw(st.integers(0, 2**31)) if noise or batch_size else 0
    spec = RunSpec.make(
        optimizer,
        draw(st.sampled_from([0.0, 1e-3, 0.05, 1.0]) | positive),
        **kwargs,
        schedule=schedule,
        schedule_params=tuple(sparams.items()),
        noise=noise,
        seed=seed,
        convention=convention,
        batch_size=batch_size,
    )
    return spec


def fitted_batch(spec: RunSpec, n: int | None) -> RunSpec:
    """``spec`` with a batch size that fits ``n`` data points (none without data)."""
    if spec.batch_size is None:
        return spec
    if n is None:
        return replace(spec, batch_size=None, seed=spec.seed if spec.noise else 0)
    return replace(spec, batch_size=min(spec.batch_size, n))


@st.composite
def page_states(draw) -> PageState:
    surface = draw(st.sampled_from([*sorted(SURFACES), FORMULA]))
    formula = draw(st.sampled_from(FORMULAS))
    x0 = draw(st.floats(-100, 100))
    y0 = draw(st.floats(-100, 100))
    bounds = ((x0, x0 + draw(st.floats(0.01, 50))), (y0, y0 + draw(st.floats(0.01, 50))))
    params = []
    for p in SURFACE_PARAMS.get(surface, (None, ()))[1]:
        if draw(st.booleans()):
            if p.kind == "int":
                v = draw(st.integers(int(p.low), int(p.high)))
            else:
                v = draw(st.floats(p.low, p.high))
            if v != p.default:
                params.append((p.name, v))
    start = None
    if draw(st.booleans()):
        (x0, x1), (y0, y1) = bounds if surface == FORMULA else SURFACES[surface].bounds
        start = (draw(st.floats(x0, x1)), draw(st.floats(y0, y1)))
    view = View(
        show_3d=draw(st.booleans()),
        show_loss=draw(st.booleans()),
        show_field=draw(st.booleans()),
        animate=draw(st.booleans()),
        tol=draw(positive),
        fair=draw(st.sampled_from(FAIR_MODES)),
        fair_lr=draw(positive),
    )
    raw = PageState(
        surface=surface,
        surface_params=tuple(sorted(params)),
        runs=tuple(
            fitted_batch(spec, data_points(surface, tuple(sorted(params))))
            for spec in draw(st.lists(run_specs(), max_size=MAX_RUNS))
        ),
        start=start,
        steps=draw(st.integers(1, 5000)),
        view=view,
        lang=draw(st.sampled_from(["en", "ja"])),
        formula=formula,
        bounds=bounds,
    )
    # the canonical form of the state (what the page holds) is from_dict(to_dict(.))
    state, notices = PageState.from_dict(raw.to_dict())
    assert not notices
    return state


@st.composite
def links(draw) -> Link:
    state = draw(page_states())
    step = draw(st.none() | st.integers(0, state.steps))
    teach = Teach(
        preset=draw(st.sampled_from(["", *(p.key for p in PRESETS)])),
        step=step,
        present=draw(st.booleans()),
        hide=tuple(draw(st.lists(st.sampled_from(HIDEABLE), unique=True))),
        notation=draw(st.sampled_from(["", "course", "pytorch"])),
    )
    return Link(state, canonical_teach(teach, state.steps))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(links())
def test_round_trip_is_identity(link):
    query = encode(link)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    back, notices = decode(query)
    assert notices == []
    assert back == link
    # ... also through a real URL (percent-encoding, the browser's query string)
    url_query = urllib.parse.parse_qs(urllib.parse.urlencode(query), keep_blank_values=True)
    again, notices = decode(url_query)
    assert notices == [] and again == link


def test_readable_names():
    state, _ = PageState.from_dict(
        {
            "surface": "rosenbrock",
            "lang": "ja",
            "steps": 300,
            "start": [-1.5, 2],
            "runs": [{"optimizer": "adam", "lr": 0.05, "betas": [0.8, 0.99]}],
        }
    )
    q = encode(Link(state, Teach(step=12)))
    assert q == {
        "lang": "ja",
        "surface": "rosenbrock",
        "x": "-1.5",
        "y": "2",
        "steps": "300",
        "r1": "adam",
        "r1.lr": "0.05",
        "r1.betas": "0.8,0.99",
        "step": "12",
    }


def test_notation_in_a_link():
    """``notation=course`` (or pytorch) is carried; anything else is dropped with a
    notice and the rest of the link kept; absent, the page language decides."""
    link, notices = decode({"lang": "en", "r1": "adam", "notation": "course"})
    assert not notices and link.teach.notation == "course"
    assert encode(link)["notation"] == "course"
    assert "notation" not in encode(decode({"r1": "adam"})[0])
    link, notices = decode({"r1": "adam", "r1.lr": "0.05", "notation": "θ", "step": "3"})
    assert link.teach.notation == "" and link.teach.step == 3
    assert link.page.runs[0].lr == 0.05
    assert [n.key for n in notices] == ["notice.bad_notation"]


def test_step_decay_link_keeps_its_gamma_and_defaults_to_torchs():
    """A link that names the step decay's γ keeps it; one that does not gets StepLR's 0.1."""
    named, notices = decode({"r1": "sgd", "r1.schedule": "step", "r1.schedule.gamma": "0.5"})
    assert not notices
    assert named.page.runs[0].schedule_values() == {"step_size": 100, "gamma": 0.5}
    bare, _ = decode({"r1": "sgd", "r1.schedule": "step"})
    assert bare.page.runs[0].schedule_values() == {"step_size": 100, "gamma": 0.1}


def test_every_preset_link_round_trips_and_short_link_loads_it():
    for preset in PRESETS:
        link = preset_link(preset, "ja")
        assert decode(encode(link)) == (link, [])
        short, notices = decode({"preset": preset.key, "lang": "ja"})
        assert notices == []
        assert short.page == link.page and short.teach.preset == preset.key
        assert len(short.page.runs) == len(preset.runs)


def test_preset_with_explicit_settings_only_labels_them():
    link, notices = decode({"preset": "saddle_escape", "surface": "bowl", "r1": "sgd"})
    assert notices == []
    assert link.page.surface == "bowl" and [r.optimizer for r in link.page.runs] == ["sgd"]
    assert link.teach.preset == "saddle_escape"


def keys(notices):
    return [n.key for n in notices]


def test_bad_values_fall_back_and_keep_the_rest():
    link, notices = decode(
        {
            "surface": "nope",
            "lang": "fr",
            "steps": "-5",
            "x": "nan",
            "y": "1",
            "r1": "adam",
            "r1.lr": "abc",
            "r1.betas": "0.9",
            "r2": "warp",
            "r3": "sgd",
            "r3.lr": "0.2",
            "step": "x",
            "present": "maybe",
            "hide": "surface,bogus",
            "preset": "nope",
        }
    )
    k = keys(notices)
    for key in (
        "notice.unknown_surface",
        "notice.bad_lang",
        "notice.steps_clamped",
        "notice.bad_start",
        "notice.bad_lr",
        "notice.bad_hyper",
        "notice.unknown_optimizer",
        "notice.bad_step",
        "notice.bad_present",
        "notice.unknown_hide",
        "notice.unknown_preset",
    ):
        assert key in k, key
    s = link.page
    assert s.surface == "rosenbrock" and s.lang == "en" and s.steps == 1
    assert [r.optimizer for r in s.runs] == ["adam", "sgd"]
    assert s.runs[1].lr == 0.2
    assert link.teach.hide == ("surface",)


def test_unknown_parameters_are_ignored_with_a_notice():
    link, notices = decode(
        {"surface": "bowl", "utm_source": "mail", "r1": "sgd", "r1.wings": "2", "r4.lr": "1"}
    )
    assert keys(notices) == ["notice.unknown_params"]
    names = notices[0].kwargs()["names"]
    assert "utm_source" in names and "r1.wings" in names and "r4.lr" in names
    assert link.page.surface == "bowl" and len(link.page.runs) == 1


def test_convention_is_readable_and_round_trips():
    state, _ = PageState.from_dict(
        {
            "runs": [
                {"optimizer": "adam", "lr": 0.3, "beta_1": 0.8, "convention": "keras"},
                {"optimizer": "rmsprop", "lr": 0.01, "decay_rate": 0.9, "convention": "textbook"},
                {"optimizer": "adam", "lr": 0.3},
            ]
        }
    )
    q = encode(Link(state))
    assert q["r1"] == "adam" and q["r1.conv"] == "keras" and q["r1.beta_1"] == "0.8"
    assert q["r2.conv"] == "textbook" and q["r2.decay_rate"] == "0.9"
    assert "r3.conv" not in q  # PyTorch's is the default
    back, notices = decode(q)
    assert notices == [] and back.page == state
    assert [r.convention for r in back.page.runs] == ["keras", "textbook", "pytorch"]


def test_unknown_convention_falls_back_to_pytorch_defaults_and_keeps_the_rest():
    link, notices = decode(
        {
            "surface": "bowl",
            "steps": "40",
            "r1": "adam",
            "r1.conv": "tensorflow1",
            "r1.lr": "0.3",
            "r1.beta_1": "0.5",
            "r1.noise": "0.1",
            "r1.seed": "4",
            "r2": "momentum",
            "r2.conv": "textbook",
            "r2.momentum": "0.8",
        }
    )
    assert keys(notices) == ["notice.unknown_convention"]
    assert notices[0].kwargs()["value"] == "tensorflow1"
    first, second = link.page.runs
    assert first == RunSpec("adam", 0.3, (), noise=0.1, seed=4)  # PyTorch's defaults
    torch_defaults = signature_defaults("adam")
    assert first.hyper_values() == {k: v for k, v in torch_defaults.items() if k != "lr"}
    assert second == RunSpec("momentum", 0.01, (("momentum", 0.8),), convention="textbook")
    assert link.page.surface == "bowl" and link.page.steps == 40


def test_a_keyword_the_convention_does_not_have_gets_a_notice():
    # PyTorch's eps in a Keras run: ignored, Keras's epsilon keeps its default
    link, notices = decode({"r1": "adam", "r1.conv": "keras", "r1.eps": "1e-8", "r1.lr": "0.2"})
    assert keys(notices) == ["notice.foreign_keyword"]
    assert notices[0].kwargs() == {"name": "eps", "convention": "keras"}
    (run,) = link.page.runs
    assert run == RunSpec("adam", 0.2, convention="keras")
    assert run.hyper_values()["epsilon"] == 1e-7
    # an optimizer the convention does not have: that run is left out, with a notice
    link, notices = decode({"r1": "lion", "r1.conv": "textbook", "r2": "sgd"})
    assert keys(notices) == ["notice.unknown_optimizer"]
    assert [r.optimizer for r in link.page.runs] == ["sgd"]


def test_convention_notices_exist_in_both_languages():
    for key in ("notice.unknown_convention", "notice.foreign_keyword"):
        assert STRINGS[key]["en"] and "流儀" in STRINGS[key]["ja"]


def test_step_is_clamped_and_the_last_step_is_none():
    link, notices = decode({"steps": "50", "step": "80"})
    assert link.teach.step is None and keys(notices) == ["notice.step_clamped"]
    link, notices = decode({"steps": "50", "step": "7"})
    assert link.teach.step == 7 and notices == []


def test_runs_zero_and_default_runs():
    assert decode({"runs": "0"})[0].page.runs == ()
    assert decode({})[0].page.runs == PageState().runs
    assert decode({}) == (Link(), [])


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=12), st.text(max_size=30), max_size=12))
def test_decode_never_raises(query):
    link, notices = decode(query)
    assert isinstance(link, Link)
    for n in notices:
        assert n.key in STRINGS, n.key


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(
            [
                "surface",
                "x",
                "y",
                "steps",
                "r1",
                "r1.lr",
                "r1.betas",
                "r1.schedule",
                "step",
                "r1.schedule.gamma",
                "r2",
                "r2.momentum",
                "tol",
                "loss",
                "hide",
                "present",
                "surface.condition",
                "preset",
                "runs",
                "r1.noise",
                "r1.seed",
                "lang",
            ]
        ),
        st.sampled_from(
            [
                "",
                "0",
                "1",
                "-1",
                "nan",
                "inf",
                "1e400",
                "adam",
                "bowl",
                "a,b",
                "0.5,0.5",
                "step",
                "ja",
                "3",
                "-0",
                "1e-9",
                "sgd_zigzag",
            ]
        ),
    )
)
def test_hostile_values_never_raise(query):
    link, _ = decode(query)
    s = link.page
    assert 1 <= s.steps <= 5000
    assert all(math.isfinite(r.lr) for r in s.runs)


def test_parse_value_and_language_preference():
    assert parse_value("3") == 3 and parse_value("0.5") == 0.5
    assert parse_value("0.9,0.99") == [0.9, 0.99] and parse_value("adam") == "adam"
    assert normalize_lang("ja-JP") == "ja" and normalize_lang("en-US") == "en"
    assert normalize_lang(None, "ja,en-US;q=0.9") == "ja"
    assert normalize_lang(None, "de-DE,ja;q=0.5") == "en"
    assert normalize_lang(None, None) is None and normalize_lang("", "") is None
    link, _ = decode({}, default_lang="ja")
    assert link.page.lang == "ja"
    assert decode({"lang": "en"}, default_lang="ja")[0].page.lang == "en"


def test_an_automatic_entry_of_a_pair_round_trips():
    """Adafactor's ε₁ defaults to None (torch picks machine epsilon): a link keeps it
    automatic while ε₂ changes, and a number typed for it is kept as a number."""
    for eps in [(None, 0.01), (1e-20, 0.01)]:
        spec = RunSpec.make("adafactor", 0.05, eps=eps)
        state = PageState(runs=(spec,))
        link, notices = decode(encode(Link(state, Teach())))
        assert not notices
        assert link.page.runs[0].hyper_values()["eps"] == eps
    spec, notices = RunSpec.from_dict({"optimizer": "adafactor", "eps": ["x", 0.01]})
    assert notices and spec.hyper_values()["eps"] == (None, 1e-3)


def test_a_notice_shows_values_as_typed_never_as_python():
    """A bad pair in a link is quoted back as a person types it (1e+09, ?), not as Python's
    repr ([1000000000.0, None])."""
    from optviz_app.notices import shown

    assert shown([1e9, None]) == "1e+09, ?"
    assert shown((0.9, 0.999)) == "0.9, 0.999"
    assert shown(True) == "true" and shown("abc") == "abc" and shown(3) == "3"
    assert shown("x" * 100) == "x" * 40
    _, notices = decode({"r1": "adam", "r1.betas": "1e9,x"})
    texts = [str(dict(n.args).get("value")) for n in notices]
    assert texts and not any("[" in v or "None" in v for v in texts), texts


def test_a_mini_batch_run_round_trips_and_reads_well():
    state, notices = PageState.from_dict(
        {
            "surface": "linear_regression",
            "runs": [{"optimizer": "sgd", "lr": 0.05, "batch_size": 4, "seed": 7}],
        }
    )
    assert notices == [] and state.runs[0].batch_size == 4 and state.runs[0].seed == 7
    query = encode(Link(state))
    assert query["r1.batch_size"] == "4" and query["r1.seed"] == "7"
    assert decode(query) == (Link(state), [])


def test_bad_batch_sizes_fall_back_to_the_full_batch_and_keep_the_rest():
    base = {"surface": "linear_regression", "r1": "sgd", "r1.lr": "0.05", "r2": "adam"}
    for bad in ("0", "-2", "2.5", "abc", "31", "nan"):
        link, notices = decode({**base, "r1.batch_size": bad, "r2.batch_size": "5"})
        assert keys(notices) == ["notice.bad_batch"], bad
        r1, r2 = link.page.runs
        assert (r1.optimizer, r1.lr, r1.batch_size) == ("sgd", 0.05, None)
        assert (r2.optimizer, r2.batch_size) == ("adam", 5)
    text = STRINGS["notice.bad_batch"]
    assert "31" in text["en"].format(value="31", n=30) and "バッチサイズ" in text["ja"]


def test_a_batch_size_is_ignored_without_data_points():
    link, notices = decode({"surface": "rosenbrock", "r1": "sgd", "r1.batch_size": "4"})
    assert notices == [] and link.page.runs[0].batch_size is None
    # fewer data points than the batch: the full batch, with a notice
    link, notices = decode(
        {"surface": "linear_regression", "surface.n": "3", "r1": "sgd", "r1.batch_size": "4"}
    )
    assert keys(notices) == ["notice.bad_batch"] and link.page.runs[0].batch_size is None
