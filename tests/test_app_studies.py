"""The page under ``streamlit.testing`` (no browser): typed formulas, the data-fitting
view, basin map, sweep and fair comparison.

AppTest cannot click charts; picks are exercised by running the sections' real callbacks
(``studies_ui.on_basin_pick``/``on_sweep_pick``) before the page, as a click's
``on_select`` callback runs before the script, and by the sweep's "use best" button.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import chart_elements, chart_specs, k, open_run, results_table
from streamlit.testing.v1 import AppTest

from optviz_app.formula_ui import EXAMPLES
from optviz_app.i18n import STRINGS, escape_markdown, t
from optviz_app.state import DEFAULT_FORMULA, FORMULA, PageState
from surfaces import from_expression

APP = str(Path(__file__).resolve().parents[1] / "app.py")
TIMEOUT = 90


def fresh() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def state(at: AppTest) -> PageState:
    return at.session_state["state"]


def table_rows(at: AppTest) -> list[str]:
    return results_table(at).splitlines()[2:]


def charts(at: AppTest) -> list:
    return chart_elements(at)


def chart_spec(at: AppTest, i: int) -> dict:
    return chart_specs(at)[i]


def arr(value) -> list:
    """A Plotly JSON array (a list, or a typed array ``{"dtype", "bdata"}``) as a list."""
    if isinstance(value, dict) and "bdata" in value:
        data = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        return data.reshape(value["shape"]).tolist() if "shape" in value else data.tolist()
    return list(value)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


def to_formula(at: AppTest) -> AppTest:
    at.selectbox(key=k(at, "surface")).set_value(FORMULA).run()
    assert not at.exception, at.exception
    return at


def type_formula(at: AppTest, text: str) -> AppTest:
    at.text_input(key=k(at, "formula")).set_value(text).run()
    assert not at.exception, at.exception
    return at


@pytest.fixture()
def at() -> AppTest:
    return fresh()


# ---------------------------------------------------------------------------------------
# typed formulas


def test_formula_entry_plots_default(at):
    to_formula(at)
    s = state(at)
    assert s.surface == FORMULA and s.formula == DEFAULT_FORMULA
    assert len(table_rows(at)) == len(s.runs)
    assert len(charts(at)) == 2
    assert not errors(at)
    # the title, escaped for Markdown (a * would start emphasis)
    assert any(r"x^2 + 3\*y^2 - x\*y" in m.value for m in at.markdown)


@pytest.mark.parametrize("text", EXAMPLES)
def test_ordinary_formulas_plot_and_run(at, text):
    to_formula(at)
    type_formula(at, text)
    s = state(at)
    assert s.formula == text
    assert not errors(at)
    rows = table_rows(at)
    assert len(rows) == len(s.runs) and "status" not in rows[0]
    assert not any("error" in r.lower() for r in rows)
    # the start is the formula's own default start
    assert s.start == from_expression(text).start


def test_estimated_minimum_marked_and_stated(at):
    to_formula(at)
    type_formula(at, "(x-1)^2 + 2*(y+0.5)^2")
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Estimated minimum" in captions and "(1, -0.5)" in captions
    spec = chart_spec(at, 0)
    names = [tr.get("name") for tr in spec["data"]]
    assert t("minimum", "en") in names
    xy = next(tr for tr in spec["data"] if tr.get("name") == t("minimum", "en"))
    assert arr(xy["x"])[0] == pytest.approx(1.0, abs=1e-3)
    assert arr(xy["y"])[0] == pytest.approx(-0.5, abs=1e-3)
    # a surface that falls away towards the edge has no minimum on the window
    type_formula(at, "x + y")
    assert "No minimum" in " ".join(c.value for c in at.sidebar.caption)
    assert t("minimum", "en") not in [tr.get("name") for tr in chart_spec(at, 0)["data"]]


HOSTILE = [
    ("__import__('os').system('x')", "__import__"),
    ("x.__class__", "__class__"),
    ("9**9**9", "too large"),
    ("x" * 10_000, "too long"),
    ("", "empty"),
    ("2x + y", "2*x"),
    ("z + 1", "“z”"),
    ("sin(x, y)", "one value"),
    ("log(0) + x", "no finite value"),
    ("lambda: 1", "not allowed"),
    ("sqrt(-1 - x^2 - y^2)", "no finite value anywhere"),
]


@pytest.mark.parametrize(("text", "expected"), HOSTILE, ids=[h[1] for h in HOSTILE])
def test_hostile_formulas_refused_previous_surface_stays(at, text, expected):
    to_formula(at)
    type_formula(at, "sin(x)*cos(y)")
    at.number_input(key=k(at, "steps")).set_value(120).run()
    before = state(at)
    rows_before = table_rows(at)
    type_formula(at, text)
    msgs = errors(at)
    # user text is shown as typed: Markdown-escaped in the message source
    assert len(msgs) == 1, msgs
    assert expected in msgs[0] or escape_markdown(expected) in msgs[0], msgs
    assert "previous surface stays" in msgs[0]
    after = state(at)
    assert after == before  # formula, bounds, runs, start, steps all kept
    assert table_rows(at) == rows_before
    assert len(charts(at)) == 2
    # the bad text stays in the field so it can be corrected; a good one clears the error
    assert at.text_input(key=k(at, "formula")).value == text
    type_formula(at, "x^2 + y^2")
    assert not errors(at) and state(at).formula == "x^2 + y^2"
    assert state(at).steps == 120 and state(at).runs == before.runs


def test_refusal_in_japanese_names_piece_and_column(at):
    at.radio(key=k(at, "lang")).set_value("ja").run()
    to_formula(at)
    type_formula(at, "x + foo")
    (msg,) = errors(at)
    assert "前の曲面のまま" in msg and "「foo」" in msg and "5 文字目" in msg


def test_every_formula_code_translated():
    codes = {"empty", "too_long", "syntax", "unknown_name", "not_allowed", "bad_call",
             "too_complex", "exponent", "number", "constant", "derivative", "undefined",
             "bounds", "not_text"}  # fmt: skip
    for code in codes:
        entry = STRINGS[f"formula.{code}"]
        assert entry["en"] and entry["ja"] and entry["en"] != entry["ja"]


def test_bounds_editing(at):
    to_formula(at)
    type_formula(at, "sin(x)*cos(y)")
    at.number_input(key=k(at, "b:xmin")).set_value(-6.0).run()
    at.number_input(key=k(at, "b:ymax")).set_value(5.0).run()
    assert not at.exception and not errors(at)
    assert state(at).bounds == ((-6.0, 3.0), (-3.0, 5.0))
    spec = chart_spec(at, 0)
    assert spec["layout"]["xaxis"]["range"][0] <= -6.0
    # a window with xmin >= xmax is refused; the previous window stays
    before = state(at)
    at.number_input(key=k(at, "b:xmin")).set_value(4.0).run()
    (msg,) = errors(at)
    assert "plot window" in msg.lower()
    assert state(at) == before


def test_example_picker_loads_formula(at):
    to_formula(at)
    at.selectbox(key=k(at, "formula_example")).set_value(EXAMPLES[2]).run()
    assert not at.exception
    assert state(at).formula == EXAMPLES[2]


def test_formula_state_travels_in_dict():
    s = PageState(surface=FORMULA, formula="sin(x)*y", bounds=((-2.0, 2.0), (-1.0, 4.0)))
    d = s.to_dict()
    assert d["formula"] == "sin(x)*y" and d["bounds"] == [[-2.0, 2.0], [-1.0, 4.0]]
    assert PageState.from_dict(json.loads(json.dumps(d))) == (s, [])
    bad, notices = PageState.from_dict(
        d | {"formula": "__import__('os')", "bounds": [[3, 1], [0, 1]], "start": [9, 9]}
    )
    assert bad.formula == DEFAULT_FORMULA and bad.bounds == ((-3.0, 3.0), (-3.0, 3.0))
    assert {n.key for n in notices} >= {"formula.not_allowed", "formula.bounds"}
    assert bad.start == (3.0, 3.0)  # clamped to the window


def test_switching_away_and_back_keeps_formula(at):
    to_formula(at)
    type_formula(at, "x^4 + y^2 - 2*x^2")
    at.selectbox(key=k(at, "surface")).set_value("himmelblau").run()
    assert state(at).surface == "himmelblau" and not at.exception
    to_formula(at)
    assert state(at).formula == "x^4 + y^2 - 2*x^2"


# ---------------------------------------------------------------------------------------
# data-fitting view


def test_linear_regression_shows_fit_view(at):
    assert "Fitting the data" not in [s.value for s in at.subheader]
    at.selectbox(key=k(at, "surface")).set_value("linear_regression").run()
    assert not at.exception
    assert "Fitting the data" in [s.value for s in at.subheader]
    specs = chart_specs(at)
    fit = next(s for s in specs if "least" in str(s["data"][1].get("name", "")).lower())
    assert len(arr(fit["data"][0]["x"])) == 30  # n data points
    assert len(fit["data"]) == 2 + len(state(at).runs)  # data, least squares, one per run
    main_frames = [f["name"] for f in specs[0]["frames"]]
    assert [f["name"] for f in fit["frames"]] == main_frames  # same frame steps as the map
    # data size / noise / seed are the surface's parameters in the sidebar
    at.number_input(key=k(at, "sp:n")).set_value(12).run()
    at.slider(key=k(at, "sp:noise")).set_value(1.5).run()
    assert not at.exception
    assert dict(state(at).surface_params) == {"n": 12, "noise": 1.5}
    specs = chart_specs(at)
    fit = next(s for s in specs if "least" in str(s["data"][1].get("name", "")).lower())
    assert len(arr(fit["data"][0]["x"])) == 12


# ---------------------------------------------------------------------------------------
# studies: closed by default, computed when opened


def test_sections_closed_by_default(at):
    labels = [e.label for e in at.expander]
    for name in ("studies.basin", "studies.sweep", "studies.fair"):
        assert t(name, "en") in labels
    assert len(charts(at)) == 2  # nothing heavy on the default page
    assert "Basin-of-attraction map" not in [s.value for s in at.subheader]


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize(
    "query",
    [
        {"r1": "sgd", "r1.noise": "0.3"},
        {"surface": "linear_regression", "r1": "sgd", "r1.batch_size": "4"},
        {"r1": "sgd", "r1.schedule": "cosine"},
    ],
)
def test_full_gradient_caption_when_a_run_is_stochastic_or_scheduled(query, lang):
    """The studies leave out noise, mini-batches and schedules, and the page says so."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for name, value in {**query, "lang": lang}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    run = state(at).runs[0]
    assert run.noise or run.batch_size or run.schedule != "constant"
    assert t("studies.full_gradient", lang) in captions(at)


def test_no_full_gradient_caption_for_plain_runs(at):
    assert not any(s.noise or s.batch_size or s.schedule != "constant" for s in state(at).runs)
    assert t("studies.full_gradient", "en") not in captions(at)


def test_basin_section_renders_and_follows_controls(at):
    at.session_state["open_basin"] = True
    at.run()
    assert not at.exception
    assert "Basin-of-attraction map" in [s.value for s in at.subheader]
    assert len(charts(at)) == 3
    before = chart_spec(at, 2)
    at.radio(key="basin_mode").set_value("final_loss").run()
    assert not at.exception
    assert chart_spec(at, 2) != before
    # one small multiple per run
    titles = [a.get("text") for a in chart_spec(at, 2)["layout"].get("annotations", [])]
    assert sum(str(x).startswith(("1 ·", "2 ·", "3 ·", "4 ·")) for x in titles) == 4
    assert chart_spec(at, 2)["layout"]["meta"]["grid"] == [2, 2]  # two maps to a row


def pick_app():
    """The page, with a pick callback run first when asked (as a click's callback is)."""
    import streamlit as st

    from optviz_app import page, studies_ui

    pick = st.session_state.pop("test_pick", None)
    if pick is not None and "gen" in st.session_state:
        kind, value = pick
        if kind == "basin":
            studies_ui.on_basin_pick(*value)
        else:
            studies_ui.on_sweep_pick(value)
    page.main()


def test_basin_pick_reaches_state():
    at = AppTest.from_function(pick_app, default_timeout=TIMEOUT)
    at.run()
    at.session_state["test_pick"] = ("basin", (0.5, 1.25))
    at.run()
    assert not at.exception
    assert state(at).start == (0.5, 1.25)
    assert at.number_input(key=k(at, "x")).value == 0.5


def test_sweep_pick_reaches_run():
    at = AppTest.from_function(pick_app, default_timeout=TIMEOUT)
    at.run()
    at.session_state["sweep_run"] = 1  # Momentum
    at.session_state["test_pick"] = ("sweep", {"lr": 0.002, "momentum": 0.8})
    at.run()
    assert not at.exception
    spec = state(at).runs[1]
    assert spec.optimizer == "momentum" and spec.lr == 0.002
    assert dict(spec.hyper)["momentum"] == 0.8
    assert open_run(at, 1).number_input(key=k(at, "r1:lr")).value == 0.002
    # Adam: beta1/beta2 go into betas; a steps axis sets the page's steps
    at.session_state["sweep_run"] = 3
    at.session_state["test_pick"] = ("sweep", {"beta1": 0.8, "steps": 150})
    at.run()
    spec = state(at).runs[3]
    assert dict(spec.hyper)["betas"] == (0.8, 0.999) and state(at).steps == 150


def test_sweep_section_use_best_and_controls(at):
    at.session_state["open_sweep"] = True
    at.run()
    assert not at.exception
    assert "Hyperparameter sweep" in [s.value for s in at.subheader]
    at.selectbox(key="sweep_run").set_value(1).run()  # Momentum
    spec = chart_spec(at, 2)
    at.radio(key="sweep_mode").set_value("steps").run()
    assert not at.exception and chart_spec(at, 2) != spec
    before = state(at).runs[1]
    at.button(key="sweep_use_best").click().run()
    assert not at.exception
    after = state(at).runs[1]
    assert after != before and after.optimizer == "momentum"
    assert open_run(at, 1).number_input(key=k(at, "r1:lr")).value == after.lr
    assert any("Loaded" in c.value for c in at.caption)


def test_fair_comparison_modes(at):
    own = state(at).runs
    at.session_state["open_fair"] = True
    at.run()
    assert not at.exception
    assert "Fair comparison" in [s.value for s in at.subheader]
    assert state(at).view.fair == "off"
    at.toggle(key=k(at, "fair_on")).set_value(True).run()
    assert state(at).view.fair == "same"
    rows = table_rows(at)
    assert all("(lr 0.01 · shared)" in r for r in rows)
    assert any("same learning rate" in i.value for i in at.info)
    at.radio(key=k(at, "fair_mode")).set_value("best").run()
    assert not at.exception
    assert state(at).view.fair == "best"
    assert state(at).runs == own  # the runs' own settings are kept
    rows = table_rows(at)
    assert all("best from sweep" in r for r in rows)
    assert any("best learning rate" in i.value for i in at.info)
    # travels in the state dict (links)
    assert state(at).to_dict()["view"]["fair"] == "best"
    at.toggle(key=k(at, "fair_on")).set_value(False).run()
    assert state(at).view.fair == "off"
    assert not any("sweep" in r or "shared" in r for r in table_rows(at))


def test_fair_comparison_is_said_in_the_run_boxes(at):
    """Under a fair comparison the charts draw a run with another lr than its box sets:
    the box's title and a note above its lr slider say which; off again, neither."""
    own = state(at).runs[0].lr
    at.session_state["open_fair"] = True
    at.run()
    at.toggle(key=k(at, "fair_on")).set_value(True).run()
    shared = state(at).view.fair_lr
    assert shared != own
    titles = [e.label for e in at.sidebar.expander]
    assert f"lr {own:g} · ⚖ {shared:g}" in titles[0]
    open_run(at, 0)
    notes = [c.value for c in at.sidebar.caption if "fair comparison" in c.value]
    assert notes and f"η = {shared:g}" in notes[0]
    assert state(at).runs[0].lr == own  # its own setting is kept
    at.session_state["open_fair"] = True
    at.toggle(key=k(at, "fair_on")).set_value(False).run()
    assert not any("⚖" in e.label for e in at.sidebar.expander)
    assert not any("fair comparison" in c.value for c in at.sidebar.caption)


def test_fair_mode_from_state_without_opening(at):
    """A link with view.fair = best shows the fair lrs even with the section closed."""
    from optviz_app import page  # noqa: F401  (the app's module, for the key helper)

    s = state(at)
    d = s.to_dict()
    d["view"]["fair"] = "best"
    new, _ = PageState.from_dict(d)
    at.session_state["state"] = new
    gen = at.session_state["gen"]
    at.session_state[f"{gen}:view:fair"] = "best"
    at.run()
    assert not at.exception
    assert all("best from sweep" in r for r in table_rows(at))


def test_language_switch_keeps_the_studies_choices(at):
    """Switching to Japanese keeps the open studies open and their pickers as they were:
    the sweep's colouring (a fixed key) and the fair comparison's mode chosen but not
    applied (a widget of the generation, which a new generation would seed from the view,
    "same"), their options now in Japanese."""
    panels = ("open_sweep", "open_fair")

    def rerun(widget, value):
        for name in panels:  # AppTest does not send an expander's open state back
            at.session_state[name] = True
        widget.set_value(value).run()
        assert not at.exception

    for name in panels:
        at.session_state[name] = True
    at.run()
    rerun(at.radio(key="sweep_mode"), "steps")
    rerun(at.radio(key=k(at, "fair_mode")), "best")
    assert state(at).view.fair == "off"  # chosen, not applied
    rerun(at.radio(key=k(at, "lang")), "ja")
    assert state(at).lang == "ja"
    fair, sweep = at.radio(key=k(at, "fair_mode")), at.radio(key="sweep_mode")
    assert fair.value == "best" and fair.options == [
        t(f"studies.fair_{m}", "ja") for m in ("same", "best")
    ]
    assert sweep.value == "steps" and t("studies.mode_steps", "ja") in sweep.options
    assert state(at).view.fair == "off"
