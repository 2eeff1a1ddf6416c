"""The page under ``streamlit.testing`` (no browser): renders, edits, bad input."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from apptest_helpers import (
    chart_elements,
    chart_specs,
    k,
    open_run,
    results_block,
    results_table,
    spec_of,
)
from streamlit.testing.v1 import AppTest

from optviz import OPTIMIZERS
from optviz_app.i18n import STRINGS, optimizer_name, small_note, t
from optviz_app.page import SWATCHES, run_title
from optviz_app.session import old_generation_keys
from optviz_app.state import DEFAULT_RUNS, PageState, RunSpec, signature_defaults
from surfaces import SURFACES

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def fresh() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception, at.exception
    return at


def state(at: AppTest) -> PageState:
    return at.session_state["state"]


def texts(at: AppTest, kind: str) -> list[str]:
    return [e.value for e in getattr(at, kind)]


def charts(at: AppTest) -> int:
    return len(chart_elements(at))


@pytest.fixture()
def at() -> AppTest:
    return fresh()


def test_default_page(at):
    assert state(at).runs == DEFAULT_RUNS
    assert charts(at) == 2  # map and loss curves
    assert results_table(at).count("\n") == 1 + len(DEFAULT_RUNS)
    assert not at.error


def test_view_pills_switch_charts_arrows_and_animation(at):
    """The view's four switches are one row of pills: each one shows or hides its part
    of the page, and the rest of the state is kept."""
    pills = at.button_group(key=k(at, "view:shown"))
    assert pills.value == ["show_loss", "animate"]  # the defaults
    assert pills.format_func("show_3d").endswith(" 3-D surface")
    pills.set_value(["show_3d", "show_field", "animate"]).run()
    view = state(at).view
    assert (view.show_loss, view.show_3d, view.show_field, view.animate) == (
        False,
        True,
        True,
        True,
    )
    specs = [spec_of(el) for el in chart_elements(at)]
    assert len(specs) == 2  # the map and the 3-D view; no loss curves
    assert any(tr.get("type") == "surface" for tr in specs[1]["data"])
    assert "−∇f" in [tr.get("name") for tr in specs[0]["data"]]  # the field of arrows
    assert specs[0].get("frames")  # animation kept
    at.button_group(key=k(at, "view:shown")).set_value([]).run()
    assert not state(at).view.animate and not spec_of(chart_elements(at)[0]).get("frames")
    assert state(at).runs == DEFAULT_RUNS and not at.exception


@pytest.mark.parametrize("surface", list(SURFACES))
def test_every_surface(at, surface):
    at.selectbox(key=k(at, "surface")).set_value(surface).run()
    assert not at.exception, at.exception
    assert state(at).surface == surface
    assert state(at).start_point() == tuple(map(float, SURFACES[surface].start))
    assert charts(at) >= 1


def test_surface_parameters(at):
    at.selectbox(key=k(at, "surface")).set_value("bowl").run()
    at.slider(key=k(at, "sp:condition")).set_value(50.0).run()
    assert not at.exception
    assert dict(state(at).surface_params)["condition"] == 50.0


def test_add_remove_duplicate(at):
    n = len(DEFAULT_RUNS)
    at.button(key=k(at, "add")).click().run()
    assert len(state(at).runs) == n + 1
    open_run(at, 0).button(key=k(at, "r0:dup")).click().run()
    assert len(state(at).runs) == n + 2
    assert state(at).runs[0] == state(at).runs[1]
    open_run(at, 1).button(key=k(at, "r1:rm")).click().run()
    open_run(at, 0).button(key=k(at, "r0:rm")).click().run()
    assert len(state(at).runs) == n
    assert not at.exception


def test_hyperparameter_change_changes_results(at):
    before = results_table(at)
    open_run(at, 0).number_input(key=k(at, "r0:lr")).set_value(0.002).run()
    assert state(at).runs[0].lr == 0.002
    assert results_table(at) != before
    open_run(at, 1).number_input(key=k(at, "r1:momentum")).set_value(0.5).run()
    assert dict(state(at).runs[1].hyper)["momentum"] == 0.5
    at.number_input(key=k(at, "steps")).set_value(50).run()
    assert state(at).steps == 50


def test_optimizer_switch_uses_its_own_signature(at):
    open_run(at, 0).selectbox(key=k(at, "r0:optimizer")).set_value("adam").run()
    assert not at.exception
    assert state(at).runs[0].optimizer == "adam"
    open_run(at, 0).number_input(key=k(at, "r0:betas:0")).set_value(0.8).run()
    assert dict(state(at).runs[0].hyper)["betas"] == (0.8, 0.999)


def test_a_switched_optimizer_starts_from_its_own_defaults(at):
    """Each optimizer in turn on run 1, every time from tuned settings (lr, a keyword, a
    schedule): the run gets exactly the factory's signature defaults (lr included; noise
    and seed kept), the page says so once, and the other runs and settings stay."""
    at.number_input(key=k(at, "steps")).set_value(40).run()
    open_run(at, 0).number_input(key=k(at, "r0:noise")).set_value(0.1).run()
    before = state(at)
    current = before.runs[0].optimizer
    for name in [o for o in OPTIMIZERS if o != current] + [current]:
        open_run(at, 0).number_input(key=k(at, "r0:lr")).set_value(0.0123).run()
        tuned = state(at)
        assert tuned.runs[0].lr == 0.0123
        open_run(at, 0).selectbox(key=k(at, "r0:optimizer")).set_value(name).run()
        assert not at.exception
        after = state(at)
        spec = after.runs[0]
        defaults = signature_defaults(name)
        assert spec.optimizer == name and spec.lr == defaults["lr"]
        assert spec.hyper == () and spec.schedule == "constant"
        assert spec.hyper_values() == {k_: v for k_, v in defaults.items() if k_ != "lr"}
        assert (spec.noise, spec.seed) == (tuned.runs[0].noise, tuned.runs[0].seed) == (0.1, 0)
        assert after.runs[1:] == before.runs[1:]
        assert replace(after, runs=()) == replace(before, runs=())
        note = t("switched_defaults", "en", i=1, name=optimizer_name(name), lr=f"{spec.lr:g}")
        assert note in texts(at, "info")
        at.run()  # said once
        assert note not in texts(at, "info")


def test_a_switch_note_in_japanese(at):
    at.session_state[k(at, "lang")] = "ja"
    at.run()
    open_run(at, 0).selectbox(key=k(at, "r0:optimizer")).set_value("adadelta").run()
    assert state(at).runs[0].lr == 1.0
    assert "試行 1 を AdaDelta に切り替え、学習率などを既定値に戻しました（lr = 1）。" in texts(
        at, "info"
    )


def test_links_and_presets_without_lr_get_the_optimizers_default():
    from optviz.presets import PRESETS, PresetRun
    from optviz_app.links import decode, preset_state

    link, notices = decode({"r1": "adadelta", "r2": "adagrad", "r3": "sgd", "r3.lr": "0.05"})
    assert not notices
    assert [(r.optimizer, r.lr) for r in link.page.runs] == [
        ("adadelta", signature_defaults("adadelta")["lr"]),
        ("adagrad", signature_defaults("adagrad")["lr"]),
        ("sgd", 0.05),
    ]
    names = list(OPTIMIZERS)
    for part in (names[:6], names[6:]):  # at most MAX_RUNS runs per state
        bare = replace(PRESETS[0], runs=tuple(PresetRun(o, ()) for o in part))
        assert [r.lr for r in preset_state(bare).runs] == [
            signature_defaults(o)["lr"] for o in part
        ]


def test_closed_run_boxes_send_no_widgets_and_keep_their_values(at):
    # lazy boxes: only an open run's controls are drawn (fewer messages per rerun)
    keys = {w.key for w in at.sidebar.number_input}
    assert not any(":r" in key for key in keys)
    open_run(at, 0).number_input(key=k(at, "r0:lr")).set_value(0.002).run()
    at.session_state[k(at, "r0:box")] = False
    at.run()
    assert not any(":r0:" in w.key for w in at.sidebar.number_input)
    assert state(at).runs[0].lr == 0.002  # kept by the state while the box is closed
    open_run(at, 0)
    assert at.number_input(key=k(at, "r0:lr")).value == 0.002  # and shown again


def test_boxes_open_where_the_user_is_editing(at):
    at.button(key=k(at, "add")).click().run()
    n = len(state(at).runs)
    assert at.selectbox(key=k(at, f"r{n - 1}:optimizer")).value == "adam"  # new run: open
    open_run(at, 0).selectbox(key=k(at, "r0:optimizer")).set_value("adam").run()
    assert at.number_input(key=k(at, "r0:betas:0")).value == 0.9  # still open, new controls
    at.button(key=k(at, "r0:dup")).click().run()
    assert at.selectbox(key=k(at, "r1:optimizer")).value == "adam"  # the copy is open
    assert not at.exception


def more_popover(at: AppTest, i: int):
    """Run ``i``'s "More settings" popover (its box must be open)."""
    return next(p for p in at.sidebar.get("popover") if p.proto.id.endswith(f":r{i}:more"))


@pytest.mark.parametrize(
    ("optimizer", "shown"),
    [
        ("sgd", ["momentum"]),
        ("momentum", ["momentum"]),
        ("adam", ["betas:0", "betas:1"]),
        ("rmsprop", ["alpha"]),
        ("adadelta", ["rho"]),
        ("adagrad", []),
    ],
)
def test_run_box_shows_the_core_keyword_and_the_rest_under_more(at, optimizer, shown):
    """Next to lr: the keyword the course teaches the method by; every other keyword of
    the factory's signature, the schedule and the noise: under "More settings"."""
    open_run(at, 0).selectbox(key=k(at, "r0:optimizer")).set_value(optimizer).run()
    open_run(at, 0)  # its "More settings" open too
    box = next(e for e in at.sidebar.expander if e.label.startswith(f"{SWATCHES[0]} 1 ·"))
    more = more_popover(at, 0)
    in_more = {w.key.split(":r0:")[1] for w in more.number_input} | {
        w.key.split(":r0:")[1] for w in more.checkbox
    }
    outside = {w.key.split(":r0:")[1] for w in box.number_input} - in_more - {"lr"}
    assert sorted(outside) == sorted(shown)
    signature = set(signature_defaults(optimizer)) - {"lr"}
    expected = {f"{n}:{j}" for n in signature if n == "betas" for j in (0, 1)}
    expected |= {n for n in signature if n != "betas"}
    assert outside | in_more == expected | {"noise", "seed"}
    assert [w.key.split(":r0:")[1] for w in more.selectbox] == ["schedule"]


def test_rprop_and_adafactor_run_from_the_run_box(at):
    """Rprop shows its η⁻, η⁺ next to lr; Adafactor's ε₁ field starts empty (torch picks
    machine epsilon) and stays so while ε₂ is edited; both draw finite paths."""
    open_run(at, 0).selectbox(key=k(at, "r0:optimizer")).set_value("rprop").run()
    open_run(at, 0)
    labels = [w.label for w in at.sidebar.number_input]
    assert "decrease η⁻" in labels and "increase η⁺" in labels
    open_run(at, 0).selectbox(key=k(at, "r0:optimizer")).set_value("adafactor").run()
    open_run(at, 0)
    assert at.number_input(key=k(at, "r0:eps:0")).value is None
    at.number_input(key=k(at, "r0:eps:1")).set_value(0.01)
    open_run(at, 0)
    assert not at.exception
    spec = state(at).runs[0]
    assert spec.optimizer == "adafactor" and spec.hyper_values()["eps"] == (None, 0.01)
    assert at.number_input(key=k(at, "r0:eps:0")).value is None


def test_more_settings_says_how_many_are_set(at):
    open_run(at, 0)
    assert more_popover(at, 0).proto.popover.label == "More settings"
    at.number_input(key=k(at, "r0:weight_decay")).set_value(0.01).run()
    open_run(at, 0).selectbox(key=k(at, "r0:schedule")).set_value("cosine").run()
    open_run(at, 0, more=False)
    assert more_popover(at, 0).proto.popover.label == "More settings · 2 changed"
    open_run(at, 0)  # open, its fields show them: the label stays put while they change
    assert more_popover(at, 0).proto.popover.label == "More settings"
    assert dict(state(at).runs[0].hyper)["weight_decay"] == 0.01


def test_more_settings_are_lazy_and_keep_their_values(at):
    """A closed "More settings" sends none of its widgets; what was set inside is kept
    (read from the state) while it is closed and other controls change, and shown again
    when it opens."""
    open_run(at, 0, more=False)
    more = more_popover(at, 0)
    assert not list(more.number_input) and not list(more.selectbox)
    assert at.select_slider(key=k(at, "r0:lr_s"))  # the box itself is drawn
    open_run(at, 0).number_input(key=k(at, "r0:weight_decay")).set_value(0.01).run()
    open_run(at, 0, more=False).number_input(key=k(at, "r0:lr")).set_value(0.002).run()
    spec = state(at).runs[0]
    assert spec.lr == 0.002 and dict(spec.hyper)["weight_decay"] == 0.01
    open_run(at, 0)
    assert at.number_input(key=k(at, "r0:weight_decay")).value == 0.01  # shown again
    assert not at.exception


def test_an_open_run_box_leaves_its_lr_to_its_controls(at):
    """Streamlit keys an expander by its label: an lr in an open box's label would make
    every lr edit a new box, mounted afresh in the browser. Open, a box is titled by its
    run and optimizer; closed, its label also says the lr (and ⚖ / noise)."""
    labels = [e.label for e in at.sidebar.expander]
    assert labels[0].endswith("1 · SGD · lr 0.001")
    open_run(at, 0)
    labels = [e.label for e in at.sidebar.expander]
    assert labels[0] == f"{SWATCHES[0]} 1 · SGD"
    assert SWATCHES[0] == ':color[●]{foreground="#0072B2"}'  # the first run's line colour
    assert labels[1].endswith("2 · Momentum · lr 0.001")  # closed: the lr stays in view
    box = at.sidebar.expander[0]
    assert [s.label for s in box.select_slider] == ["Learning rate η (lr, log scale)"]  # open


def test_run_title_short_and_long():
    spec = RunSpec("adam", lr=0.05, noise=0.1)
    assert run_title(spec, 0, "en") == f"{SWATCHES[0]} 1 · Adam · lr 0.05 · noisy"
    assert run_title(spec, 0, "en", short=True) == f"{SWATCHES[0]} 1 · Adam"


def test_old_generation_keys():
    keys = ["12:x", "3:r0:lr", "11:t:step", "open_fair", "t:rendered_gen", "gen", "x:1", 7]
    assert old_generation_keys(keys, 12) == ["3:r0:lr", "11:t:step"]


def test_structural_changes_leave_no_old_widget_keys(at):
    """Each add/remove re-creates the widgets under a new generation; the earlier
    generations' keys go, so the session's keys do not pile up over a long lecture."""
    start = len(list(at.session_state))
    for _ in range(4):
        at.button(key=k(at, "add")).click().run()
        open_run(at, 0).button(key=k(at, "r0:rm")).click().run()
    assert not at.exception
    keys = list(at.session_state)
    assert at.session_state["gen"] >= 9
    assert old_generation_keys(keys, at.session_state["gen"]) == []
    assert len(keys) <= start + 5
    assert len(state(at).runs) == len(DEFAULT_RUNS)


def test_schedule_and_noise(at):
    open_run(at, 3).selectbox(key=k(at, "r3:schedule")).set_value("cosine").run()
    at.number_input(key=k(at, "r3:noise")).set_value(0.3).run()
    assert not at.exception
    spec = state(at).runs[3]
    assert spec.schedule == "cosine" and spec.noise == 0.3
    loss = chart_specs(at)[1]  # the legend says which run is noisy
    assert "4 · Adam (η 0.1, σ 0.3)" in [tr.get("name") for tr in loss["data"]]


@pytest.mark.parametrize("value", [10**308, -5, 0, 5001, -(10**308)])
def test_bad_steps(at, value):
    # the steps field holds integers (a browser cannot send NaN/inf there; those are
    # covered on the state model below)
    at.number_input(key=k(at, "steps")).set_value(value).run()
    assert not at.exception
    assert 1 <= state(at).steps <= 5000
    assert at.warning, "a clamp or fallback must be stated"
    assert len(state(at).runs) == len(DEFAULT_RUNS)  # other settings kept


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308, -1e308, 50.0])
def test_bad_start(at, value):
    at.number_input(key=k(at, "x")).set_value(value).run()
    assert not at.exception
    x, y = state(at).start_point()
    (x0, x1), _ = SURFACES["rosenbrock"].bounds
    assert x0 <= x <= x1 and y == 2.0
    if math.isfinite(value):
        # Streamlit's number field turns NaN/±inf into a number before the script sees
        # it; finite out-of-range values must be clamped with a stated notice
        assert at.warning


@pytest.mark.parametrize("value", [math.nan, math.inf, (1, math.nan), "junk"])
def test_bad_start_in_state(value):
    start = value if isinstance(value, tuple) else (value, 1.0)
    if value == "junk":
        start = value
    st, notices = PageState.from_dict({"surface": "rosenbrock", "start": start})
    assert st.start == SURFACES["rosenbrock"].start and notices


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0])
def test_bad_lr_falls_back(at, value):
    open_run(at, 0).number_input(key=k(at, "r0:lr")).set_value(value).run()
    assert not at.exception
    assert math.isfinite(state(at).runs[0].lr) and state(at).runs[0].lr >= 0
    assert at.warning or not math.isfinite(value)  # NaN/inf: see test_bad_start
    assert charts(at) == 2


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, "fast", None])
def test_bad_lr_in_state(value):
    st, notices = PageState.from_dict({"runs": [{"optimizer": "adam", "lr": value}]})
    assert st.runs[0].lr == 1e-3 and notices


def test_lr_zero_is_explained(at):
    open_run(at, 0).number_input(key=k(at, "r0:lr")).set_value(0.0).run()
    assert not at.exception
    assert any("0" in m for m in texts(at, "info"))


def test_huge_lr_diverges_honestly(at):
    open_run(at, 0).number_input(key=k(at, "r0:lr")).set_value(1e6).run()
    assert not at.exception
    assert "diverged" in results_table(at)
    assert any("diverged" in w for w in texts(at, "warning"))


def test_factory_error_is_shown_next_to_the_run(at):
    open_run(at, 3).selectbox(key=k(at, "r3:optimizer")).set_value("adam").run()
    open_run(at, 3).number_input(key=k(at, "r3:betas:0")).set_value(1.5).run()
    assert not at.exception
    assert any("beta" in e.lower() for e in texts(at, "error"))
    assert any("beta" in e.value.lower() for e in at.sidebar.error)  # in the run's box
    assert charts(at) == 2 and results_table(at).count("\n") == 1 + len(DEFAULT_RUNS)
    assert "ok" in results_table(at)  # the other runs are still computed


def test_bad_eps_nan(at):
    open_run(at, 2).number_input(key=k(at, "r2:eps")).set_value(math.nan).run()
    assert not at.exception
    assert charts(at) == 2
    spec, notices = RunSpec.from_dict({"optimizer": "rmsprop", "eps": math.nan})
    assert spec.hyper == () and notices


def test_every_run_removed(at):
    for _ in range(len(DEFAULT_RUNS)):
        open_run(at, 0).button(key=k(at, "r0:rm")).click().run()
    assert not at.exception
    assert state(at).runs == ()
    assert any(t("no_runs") == m for m in texts(at, "info"))
    assert charts(at) == 1  # the surface alone
    at.button(key=k(at, "add")).click().run()
    assert len(state(at).runs) == 1


def test_japanese(at):
    at.radio(key=k(at, "lang")).set_value("ja").run()
    assert not at.exception
    assert state(at).lang == "ja"
    assert any("結果" in m.value for m in at.markdown)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, 1e308, -5, 0, 2.5, "x"])
def test_bad_steps_in_state(value):
    st, notices = PageState.from_dict({"steps": value})
    assert 1 <= st.steps <= 5000 and isinstance(st.steps, int) and notices


def test_state_round_trip_and_fallbacks():
    s = PageState(
        surface="bowl",
        surface_params=(("condition", 30.0),),
        runs=(RunSpec.make("adam", 0.05, betas=(0.8, 0.99)), RunSpec("sgd", 0.01, noise=0.1)),
        start=(1.0, -1.0),
        steps=123,
    )
    again, notices = PageState.from_dict(s.to_dict())
    assert again == s and notices == []
    bad = s.to_dict() | {"steps": "many", "surface": "nope", "lang": "xx"}
    bad["runs"] = [*bad["runs"], {"optimizer": "bogus"}, {"optimizer": "sgd", "lr": "fast"}]
    st, notices = PageState.from_dict(bad)
    assert st.surface == "rosenbrock" and st.steps == 300 and st.lang == "en"
    assert [r.optimizer for r in st.runs] == ["adam", "sgd", "sgd"]
    assert len(notices) >= 5
    assert PageState.from_dict("junk")[0] == PageState()


def test_both_languages_complete():
    for key, entry in STRINGS.items():
        assert entry.get("en") and entry.get("ja"), key


def test_first_run_does_not_import_pandas_or_the_emoji_catalog():
    """A cold server's first run stays light: the charts' data has no dict (Streamlit
    tests dicts for dataframes, importing pandas) and every icon is a Material name (an
    emoji loads Streamlit's emoji catalog): ~0.75 s less in front of the first chart."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=60)\n"
        "at.run()\n"
        "assert not at.exception, at.exception\n"
        "print(sorted(m for m in ('pandas', 'streamlit.emojis') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_results_heading_table_and_note_are_one_element(at):
    """The results section is one Markdown element (each element costs the browser work on
    every rerun): the heading, the table (one row per run) and the note in caption style."""
    block = results_block(at)
    assert block.startswith("#### Results")
    assert block.count("\n| ") == 1 + len(DEFAULT_RUNS)
    assert block.endswith(small_note(t("results_help", "en", tol="0.01")))


@pytest.mark.parametrize("name", ["results_help", "studies.closed"])
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_small_notes_have_no_square_brackets(name, lang):
    """They sit inside :small[:gray[…]], which a ] would end early."""
    text = t(name, lang, tol="0.01")
    assert "[" not in text and "]" not in text
