"""Study sections under Streamlit's AppTest: they render, react to controls, never crash.

AppTest cannot click charts; the click -> value helpers are tested in
test_study_figures.py, and the "use best" button exercises the same pick plumbing.
"""

from __future__ import annotations

import string

import pytest
from apptest_helpers import chart_specs
from streamlit.testing.v1 import AppTest

from optviz_app.i18n import STRINGS, t
from optviz_app.studies import FairChoice, build_surface, capped_steps, check_range

TIMEOUT = 60


def basin_app(surface_key="himmelblau", lang="en"):
    import streamlit as st

    from optviz_app.studies import basin_section

    runs = (
        ("SGD", "sgd", (("lr", 0.01),), "#d62728"),
        ("Adam", "adam", (("lr", 0.05),), "#1f77b4"),
        ("Bad", "adam", (("lr", -1.0),), "#2ca02c"),
    )
    picked = basin_section(surface_key, (), runs, 300, lang)
    st.text(f"picked={picked}")


def sweep_app(optimizer="momentum", lang="en"):
    import streamlit as st

    from optviz_app.studies import sweep_section

    def remember(values):
        st.session_state["on_pick"] = values

    picked = sweep_section(
        "rosenbrock", (), ("Run", optimizer, (("lr", 0.001),)), (-1.5, 2.0), 200, lang,
        on_pick=remember,
    )  # fmt: skip
    st.text(f"picked={picked}")
    st.text(f"on_pick={st.session_state.get('on_pick')}")


def fair_app(lang="en"):
    import streamlit as st

    from optviz_app.studies import fair_section

    runs = (("SGD", "sgd", (("lr", 0.01),)), ("Adam", "adam", (("lr", 0.05),)))
    choice = fair_section("rosenbrock", (), runs, (-1.5, 2.0), 200, lang)
    st.text(f"lrs={list(choice.lrs)} mode={choice.mode}")


def fit_app(surface_key="linear_regression", lang="en"):
    import streamlit as st

    from optviz import OPTIMIZERS, run
    from optviz_app.studies import fit_section
    from surfaces import SURFACES

    surface = SURFACES[surface_key]
    runs = [run(surface, OPTIMIZERS["sgd"](lr=0.05), surface.start, 60), None]
    fit_section(surface, runs, ["SGD", "none"], ["red", "blue"], list(range(0, 61, 6)), lang)
    st.text("done")


def _app(fn, **kwargs) -> AppTest:
    at = AppTest.from_function(fn, kwargs=kwargs, default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at) -> list[str]:
    return [t.value for t in at.text]


def _chart_specs(at) -> list[dict]:
    return chart_specs(at)


# ---------------------------------------------------------------------------------------
# strings and pure helpers


def test_strings_bilingual_with_same_placeholders():
    fields = string.Formatter()
    studies = {k: v for k, v in STRINGS.items() if k.startswith("studies.")}
    assert len(studies) > 40
    for key, entry in studies.items():
        assert set(entry) == {"en", "ja"}, key
        en = {f for _, f, _, _ in fields.parse(entry["en"]) if f}
        ja = {f for _, f, _, _ in fields.parse(entry["ja"]) if f}
        assert en == ja, key


def test_pure_helpers():
    assert capped_steps(300, 201 * 201, 4) == 300  # ≈ 1.6 s here
    assert capped_steps(1000, 201 * 201, 4) < 1000
    assert capped_steps(300, 101 * 101, 4) == 300
    assert check_range("lr", 1e-4, 1.0)
    assert not check_range("lr", 0.0, 1.0)
    assert not check_range("momentum", 0.9, 0.1)
    assert not check_range("steps", 0, 10)
    assert not check_range("eps", float("nan"), 1.0)
    assert build_surface("bowl", (("condition", 4.0),)).params["condition"] == 4.0
    with pytest.raises(ValueError):
        build_surface("no-such-surface")


# ---------------------------------------------------------------------------------------
# basin section


def test_basin_section_renders_and_reacts():
    at = _app(basin_app)
    assert [s.value for s in at.subheader] == [t("studies.basin_title", "en")]
    assert at.selectbox(key="basin_resolution").value == 101
    # the refused run is reported, the others are drawn
    assert any("Bad" in w.value for w in at.warning)
    (spec,) = _chart_specs(at)
    heat = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert len(heat) == 2
    assert spec["layout"]["meta"]["mode"] == "minimum"
    assert "picked=None" in _texts(at)

    at.radio(key="basin_mode").set_value("steps").run()
    assert not at.exception
    (spec2,) = _chart_specs(at)
    assert spec2["layout"]["meta"]["mode"] == "steps"

    at.selectbox(key="basin_resolution").set_value(51).run()
    assert not at.exception
    (spec3,) = _chart_specs(at)
    assert spec3 != spec2
    assert spec3["data"][0]["dx"] > spec2["data"][0]["dx"]  # coarser grid


def test_basin_section_caps_large_work():
    at = _app(basin_app)
    at.number_input(key="basin_steps").set_value(2000).run()
    assert not at.exception
    assert any("2 s" in i.value for i in at.info)


def test_basin_section_without_minima_says_why():
    at = _app(basin_app, surface_key="saddle")
    assert any(i.value == t("studies.no_minima", "en") for i in at.info)
    (spec,) = _chart_specs(at)
    assert spec["layout"]["meta"]["mode"] == "final_loss"


def test_basin_section_bad_surface_warns():
    at = _app(basin_app, surface_key="nope")
    assert at.warning and not at.get("plotly_chart")


def test_basin_section_japanese():
    at = _app(basin_app, lang="ja")
    assert at.subheader[0].value == "引き込み領域の図"
    assert at.radio(key="basin_mode").options[0] == t("studies.mode_minimum", "ja")


# ---------------------------------------------------------------------------------------
# sweep section


def test_sweep_section_renders_and_use_best_returns_values():
    at = _app(sweep_app)
    assert at.selectbox(key="sweep_x_momentum").value == "lr"
    assert at.selectbox(key="sweep_y_momentum").value == "momentum"
    (spec,) = _chart_specs(at)
    assert spec["layout"]["xaxis"]["ticktext"]  # decade ticks of the lr axis
    assert "picked=None" in _texts(at)

    at.button(key="sweep_use_best").click().run()
    assert not at.exception
    picked = next(t for t in _texts(at) if t.startswith("picked="))
    assert "'lr'" in picked and "'momentum'" in picked
    assert at.session_state["sweep_picked"].keys() == {"lr", "momentum"}
    assert any("'lr'" in t for t in _texts(at) if t.startswith("on_pick="))
    at.run()  # the pick is returned once only
    assert "picked=None" in _texts(at)


def test_sweep_section_controls_change_the_chart():
    at = _app(sweep_app)
    (before,) = _chart_specs(at)
    at.selectbox(key="sweep_y_momentum").set_value("dampening").run()
    assert not at.exception
    (after,) = _chart_specs(at)
    assert after != before
    at.selectbox(key="sweep_cells").set_value(10).run()
    (small,) = _chart_specs(at)
    assert len(small["data"][0]["x"]["bdata"]) < len(after["data"][0]["x"]["bdata"])
    at.radio(key="sweep_mode").set_value("steps").run()
    assert _chart_specs(at)[0]["layout"]["meta"]["mode"] == "steps"


def test_sweep_section_bad_input_warns():
    at = _app(sweep_app)
    at.number_input(key="sweep_lr_low").set_value(-1.0).run()
    assert not at.exception
    assert at.warning and not at.get("plotly_chart")
    at.number_input(key="sweep_lr_low").set_value(1e-3).run()
    at.selectbox(key="sweep_y_momentum").set_value("lr").run()  # same parameter twice
    assert any(w.value == t("studies.same_param", "en") for w in at.warning)


def test_sweep_section_all_invalid_warns():
    at = _app(sweep_app, optimizer="adam")
    at.selectbox(key="sweep_y_adam").set_value("beta1").run()
    at.number_input(key="sweep_beta1_low").set_value(1.5).run()
    at.number_input(key="sweep_beta1_high").set_value(2.0).run()
    assert not at.exception
    assert any("Adam" in w.value for w in at.warning)


# ---------------------------------------------------------------------------------------
# fair section


def test_fair_section_switches_and_states_the_mode():
    at = _app(fair_app)
    assert "lrs=[0.01, 0.01] mode=same" in _texts(at)
    assert "0.01" in at.caption[0].value
    at.number_input(key="fair_lr").set_value(0.002).run()
    assert "lrs=[0.002, 0.002] mode=same" in _texts(at)
    at.radio(key="fair_mode").set_value("best").run()
    assert not at.exception
    (line,) = [t for t in _texts(at) if t.startswith("lrs=")]
    assert line.endswith("mode=best") and line != "lrs=[0.002, 0.002] mode=best"
    assert "best learning rate" in at.caption[0].value


def test_fair_section_japanese_caption():
    at = _app(fair_app, lang="ja")
    at.radio(key="fair_mode").set_value("best").run()
    assert "最良" in at.radio(key="fair_mode").options[1]
    assert "ステップ" in at.caption[0].value


def test_fair_choice_is_a_tuple():
    choice = FairChoice((0.1,), "x", "same")
    lrs, caption, mode = choice
    assert lrs == (0.1,) and caption == "x" and mode == "same"


# ---------------------------------------------------------------------------------------
# fit section


def test_fit_section_draws_animated_lines():
    at = _app(fit_app)
    (spec,) = _chart_specs(at)
    assert len(spec["frames"]) == 11
    assert len(spec["data"]) == 3  # data, least squares, the one run with a path
    assert spec["layout"]["updatemenus"] and spec["layout"]["sliders"]


def test_fit_section_other_surface_says_so():
    at = _app(fit_app, surface_key="rosenbrock", lang="ja")
    assert any(i.value == t("studies.fit_only", "ja") for i in at.info)
    assert not at.get("plotly_chart")
