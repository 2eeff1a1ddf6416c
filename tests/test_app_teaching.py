"""Teaching in the page (streamlit.testing, no browser): links, presets, equations, step
inspector, presenter mode and hide=, exports, both languages; and the exported PyTorch
script lands on the page's final points."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
import urllib.parse
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import chart_elements, chart_specs, k, open_box, open_page, open_run
from streamlit.testing.v1 import AppTest

from optviz.presets import PRESETS
from optviz_app.compute import compute_run
from optviz_app.i18n import STRINGS
from optviz_app.links import Link, Teach, decode, encode, preset_link
from optviz_app.state import PageState

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def run_app(query: dict | None = None) -> AppTest:
    return open_page(query, timeout=90)


def state(at: AppTest) -> PageState:
    return at.session_state["state"]


def teach(at: AppTest) -> Teach:
    return at.session_state["teach"]


def markdown(at: AppTest) -> str:
    return "\n".join(m.value for m in at.markdown)


def warnings(at: AppTest) -> list[str]:
    return [w.value for w in at.warning]


def query(at: AppTest) -> dict[str, str]:
    """The query the page puts in the browser's address bar (the map's chart writes it)."""
    address = json.loads(chart_elements(at)[0].proto.json)["address"]
    return dict(urllib.parse.parse_qsl(address, keep_blank_values=True))


def no_missing_strings(at: AppTest) -> None:
    """No i18n key shows up as text (a missing key shows itself)."""
    keys = [key for key in STRINGS if "." in key or "_" in key]
    visible = "\n".join(
        [markdown(at)]
        + [e.value for kind in ("caption", "info", "warning", "error") for e in getattr(at, kind)]
        + [w.label for w in at.get("selectbox")]
        + [w.label for w in at.get("slider")]
        + [w.label for w in at.get("toggle")]
        + [w.label for w in at.get("button")]
    )
    for key in keys:
        assert not re.search(rf"(?<![\w.:]){re.escape(key)}(?![\w.])", visible), key


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.key)
def test_every_preset_loads_from_the_picker(preset):
    at = run_app()
    at.selectbox(key=k(at, "t:preset")).set_value(preset.key).run()
    assert not at.exception, at.exception
    s = state(at)
    assert s == preset_link(preset, "en").page
    assert [r.optimizer for r in s.runs] == [r.optimizer for r in preset.runs]
    assert s.surface == preset.surface and s.steps == preset.steps
    assert teach(at).preset == preset.key
    assert any(preset.title_en in i.value for i in at.info)  # the explanation
    assert query(at)["preset"] == preset.key and query(at)["surface"] == preset.surface
    assert not [w for w in warnings(at) if "diverged" not in w]  # no notices


def test_preset_link_in_japanese_shows_the_explanation_and_focus_step():
    p = next(p for p in PRESETS if p.key == "adam_bias_correction")
    at = run_app({"preset": p.key, "lang": "ja"})
    assert state(at).lang == "ja"
    assert any(p.title_ja in i.value and p.text_ja[:20] in i.value for i in at.info)
    assert teach(at).step == p.focus_step
    assert at.slider(key=k(at, "t:step")).value == p.focus_step
    # the URL now holds the whole state (ready to share), the preset and the step
    q = query(at)
    assert q["surface"] == p.surface and q["r1"] == "adam" and q["step"] == str(p.focus_step)
    no_missing_strings(at)


def test_query_string_reproduces_the_state():
    s, _ = PageState.from_dict(
        {
            "surface": "bowl",
            "surface_params": {"condition": 30},
            "start": [3, -1.5],
            "steps": 120,
            "lang": "ja",
            "view": {"show_field": True},
            "runs": [
                {"optimizer": "adam", "lr": 0.05, "betas": [0.8, 0.99], "amsgrad": True},
                {"optimizer": "sgd", "lr": 0.02, "noise": 0.3, "seed": 7},
                {
                    "optimizer": "momentum",
                    "lr": 0.01,
                    "schedule": "cosine",
                    "schedule.T_max": 100,
                    "schedule.eta_min": 0.0,  # the page keeps every schedule parameter
                },
            ],
        }
    )
    link = Link(s, Teach(step=17))
    at = run_app(encode(link))
    assert state(at) == s
    assert teach(at).step == 17
    assert query(at) == encode(link)  # nothing rewritten
    assert not warnings(at)
    # every widget shows the link's values
    assert at.number_input(key=k(at, "steps")).value == 120
    open_run(at, 0)
    open_run(at, 1)
    assert at.number_input(key=k(at, "r0:lr")).value == 0.05
    assert at.checkbox(key=k(at, "r0:amsgrad")).value is True
    assert at.number_input(key=k(at, "r1:noise")).value == 0.3
    # an edit goes back into the URL
    at.number_input(key=k(at, "steps")).set_value(150).run()
    assert query(at)["steps"] == "150"
    assert decode(query(at))[0].page == state(at)


def test_bad_parameters_show_notices_and_keep_the_rest():
    at = run_app(
        {
            "surface": "bowl",
            "steps": "lots",
            "r1": "adam",
            "r1.lr": "0.05",
            "r2": "warp_drive",
            "r3": "sgd",
            "r3.lr": "-1",
            "utm_source": "slack",
            "step": "-4",
        }
    )
    s = state(at)
    assert s.surface == "bowl" and s.steps == 300
    assert [(r.optimizer, r.lr) for r in s.runs] == [("adam", 0.05), ("sgd", 1e-3)]
    text = "\n".join(warnings(at)).replace("\\", "")  # values are Markdown-escaped
    assert "warp_drive" in text and "utm_source" in text and "lots" in text
    assert "-4" in text
    # the notices were about the link: the URL now holds the cleaned state
    assert "utm_source" not in query(at) and query(at)["steps"] == "300"


def test_browser_language_without_lang(monkeypatch):
    import optviz_app.teaching as T

    monkeypatch.setattr(T, "browser_lang", lambda: "ja")
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    assert state(at).lang == "ja" and query(at)["lang"] == "ja"
    # an explicit lang= wins over the browser
    assert run_app({"lang": "en"}).session_state["state"].lang == "en"


def test_presenter_mode_and_hidden_controls():
    at = run_app(
        {"preset": "saddle_escape", "present": "1", "hide": "surface,runs,steps,start,view"}
    )
    t_ = teach(at)
    assert t_.present and t_.hide == ("surface", "start", "steps", "runs", "view")
    keys = {w.key for w in at.get("selectbox")} | {w.key for w in at.get("number_input")}
    assert k(at, "surface") not in keys and k(at, "steps") not in keys
    assert k(at, "r0:optimizer") not in keys and k(at, "x") not in keys
    assert k(at, "t:preset") in keys  # not hidden
    # hidden controls still take their values from the link
    s = state(at)
    assert s.surface == "saddle" and len(s.runs) == 4 and s.steps == 80
    assert "optviz-explain" in markdown(at)  # the large caption
    assert any("font-size" in h.proto.body for h in at.get("html"))
    # a rerun keeps the hidden values (nothing falls back to defaults)
    at.slider(key=k(at, "t:step")).set_value(40).run()
    assert state(at) == s and teach(at).step == 40
    assert query(at)["hide"] == "surface,start,steps,runs,view"
    # "show hidden controls" (in the share box) brings them back with the link's values
    open_box(at, "open_share")
    at.session_state["open_share"] = True  # still open on the click's run
    at.button(key=k(at, "t:show_hidden")).click().run()
    assert at.selectbox(key=k(at, "surface")).value == "saddle"
    assert at.number_input(key=k(at, "steps")).value == 80
    assert state(at) == s
    # presenter toggle off
    at.toggle(key=k(at, "t:present")).set_value(False).run()
    assert not teach(at).present and "present" not in query(at)


def test_share_box_shows_the_link_of_the_current_state():
    at = run_app({"preset": "sgd_zigzag"})
    assert not [c for c in at.code if "?" in c.value]  # closed: drawn only when opened
    open_box(at, "open_share")
    (code,) = [c.value for c in at.code if "?" in c.value]
    assert code.endswith("?" + urllib.parse.urlencode(query(at)))
    assert decode(dict(urllib.parse.parse_qsl(code.split("?", 1)[1])))[0].page == state(at)


def test_inspector_box_is_lazy_and_a_step_link_opens_it():
    def tables(at):
        return [m.value for m in at.markdown if m.value.startswith("| ") and "\\theta_k" in m.value]

    at = run_app()
    assert not tables(at)  # closed: nothing drawn (the step slider is outside the box)
    assert at.slider(key=k(at, "t:step"))
    assert len(tables(open_box(at, "open_inspector"))) == len(state(at).runs)
    assert len(tables(run_app({"preset": "rmsprop_adadelta_fix", "step": "3"}))) == 3


def test_inspector_rows_for_each_run_and_step_slider():
    at = run_app({"preset": "rmsprop_adadelta_fix", "step": "3"})
    tables = [m.value for m in at.markdown if m.value.startswith("| ") and "$\\theta_k$" in m.value]
    assert len(tables) == 3  # one per run
    assert all("$g_k$" in tb and "$\\Delta\\theta$" in tb for tb in tables)
    assert "(k = 3)" in markdown(at)
    at.slider(key=k(at, "t:step")).set_value(10).run()
    assert teach(at).step == 10 and query(at)["step"] == "10"
    assert "(k = 10)" in markdown(at)
    # the last step is stored as "no step" and follows a change of the step count
    at.slider(key=k(at, "t:step")).set_value(state(at).steps).run()
    assert teach(at).step is None and "step" not in query(at)


def test_map_opens_on_the_step_with_arrows():
    at = run_app({"preset": "sgd_zigzag", "step": "5"})
    fig = chart_specs(at)[0]
    slider = fig["layout"]["sliders"][0]
    assert slider["steps"][slider["active"]]["label"] == "5"
    arrows = [tr for tr in fig["data"] if tr.get("marker", {}).get("symbol") == "arrow"]
    assert len(arrows) == 4  # −g and Δθ for both runs
    current = next(tr for tr in fig["data"] if tr.get("name") == "current")
    trajectory = compute_run(
        "bowl", state(at).surface_params, state(at).runs[0], state(at).start, 60
    ).trajectory
    assert np.allclose(
        [_decode(current["x"])[0], _decode(current["y"])[0]], trajectory.points[5, 0], atol=1e-4
    )


def _decode(values):
    """Plotly JSON arrays may arrive as typed-array dicts."""
    if isinstance(values, dict) and "bdata" in values:
        import base64

        dtype = {"f4": np.float32, "f8": np.float64, "i4": np.int32}[values["dtype"]]
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=dtype)
    return np.asarray(values, dtype=float)


def test_equations_and_notes_for_each_run():
    at = run_app({"preset": "saddle_escape", "lang": "ja"})
    assert not at.get("latex")  # a closed box draws nothing (lazy)
    open_box(at, "open_equations")
    latex = [e.value for e in at.get("latex")]
    assert len(latex) == 4 and all("\\begin{aligned}" in x for x in latex)
    assert any("\\hat m" in x for x in latex)  # Adam's bias correction
    from optviz.equations import NOTES

    captions = [c.value for c in at.caption]
    assert any(NOTES["adam"]["ja"] in c for c in captions)


def test_export_controls_exist():
    at = open_box(run_app({"preset": "line_fit"}), "open_exports")
    labels = [b.label for b in at.get("download_button")]
    # CSV, JSON, HTML (made on click), the PyTorch script and the NumPy script
    assert len(labels) == 5
    assert any(".py" in label for label in labels)
    assert STRINGS["export_numpy_file"]["en"] in labels
    buttons = {b.key for b in at.button}
    for kind in ("png", "svg", "gif"):
        assert k(at, f"t:make_{kind}") in buttons  # made on demand only
    code = [c for c in at.code if c.language == "python"]
    assert code and "torch.optim" in code[0].value


def test_gif_on_demand_then_download():
    at = open_box(run_app({"preset": "sgd_zigzag"}), "open_exports")
    at.session_state["open_exports"] = True  # still open on the click's run
    at.button(key=k(at, "t:make_gif")).click().run()
    assert not at.exception and not at.error
    assert len(at.get("download_button")) == 6  # the five above and the GIF


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_both_languages_render_without_missing_strings(lang):
    at = run_app({"preset": "saddle_escape", "lang": lang, "step": "2"})
    no_missing_strings(at)
    if lang == "ja":
        assert "ステップ詳細" in markdown(at)
    else:
        assert "Step inspector" in markdown(at)


def _t_keys(path: Path) -> set[str]:
    """Literal first arguments of t(...) calls in a source file."""
    keys = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "t"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            keys.add(node.args[0].value)
    return keys


def test_both_languages_complete_and_every_key_exists():
    for key, entry in STRINGS.items():
        assert set(entry) == {"en", "ja"}, key
        assert entry["en"].strip() and entry["ja"].strip(), key
        # the same {placeholders} in both languages
        assert set(re.findall(r"{(\w+)}", entry["en"])) == set(
            re.findall(r"{(\w+)}", entry["ja"])
        ), key
    used = set()
    for path in (ROOT / "optviz_app").glob("*.py"):
        used |= _t_keys(path)
        text = path.read_text()
        used |= set(re.findall(r'\bnotice\(\s*"([\w.]+)"', text))
    assert used, "no t() calls found"
    missing = sorted(key for key in used if key not in STRINGS)
    assert not missing, missing


def _final_points(text: str) -> list[np.ndarray]:
    out = []
    for line in text.splitlines():
        if line.startswith("final["):
            out.append(np.array(ast.literal_eval(line.split(":", 1)[1].strip())))
    return out


def test_pytorch_script_lands_on_the_page_final_points(tmp_path):
    pytest.importorskip("torch")
    link, _ = decode(
        {
            "surface": "rosenbrock",
            "x": "-1.2",
            "y": "1.5",
            "steps": "150",
            "r1": "adam",
            "r1.lr": "0.05",
            "r1.betas": "0.8,0.99",
            "r2": "momentum",
            "r2.lr": "0.0005",
            "r2.schedule": "cosine",
            "r2.schedule.T_max": "100",
            "r3": "sgd",
            "r3.lr": "0.0005",
            "r3.noise": "0.5",
            "r3.seed": "3",
            "r4": "rmsprop",
            "r4.lr": "0.01",
            "r4.centered": "1",
        }
    )
    at = open_box(run_app(encode(link)), "open_exports")
    s = state(at)
    script = next(c.value for c in at.code if c.language == "python")
    path = tmp_path / "reproduce.py"
    path.write_text(script)
    done = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=True
    )
    finals = _final_points(done.stdout)
    assert len(finals) == len(s.runs)
    for spec, got in zip(s.runs, finals, strict=True):
        page = compute_run(s.surface, s.surface_params, spec, s.start_point(), s.steps)
        np.testing.assert_allclose(got[0], page.points[-1], rtol=1e-9, atol=1e-12)
