"""Mini-batch SGD on the line-fit surface, on the page (streamlit.testing, no browser):
the run's "More settings" field, the path it computes, its name, its link, the batch
circled in the data-fitting view and the step inspector's note."""

from __future__ import annotations

import json
import urllib.parse

import numpy as np
import pytest
from apptest_helpers import chart_elements, chart_specs, k, open_box, open_page, open_run
from streamlit.testing.v1 import AppTest

from optviz import run
from optviz_app.compute import build_optimizer, build_surface
from optviz_app.i18n import escape_markdown, t
from optviz_app.links import Link, Teach, decode, encode
from optviz_app.state import PageState, RunSpec

LINE = "linear_regression"


def run_app(query: dict | None = None) -> AppTest:
    return open_page(query, timeout=90)


def state(at: AppTest) -> PageState:
    return at.session_state["state"]


def line_page(*runs: RunSpec, steps: int = 60, step: int | None = None) -> AppTest:
    s, notices = PageState.from_dict(
        {"surface": LINE, "steps": steps, "runs": [r.to_dict() for r in runs]}
    )
    assert notices == []
    return run_app(encode(Link(s, Teach(step=step))))


def fit_chart(at: AppTest) -> dict:
    return next(s for s in chart_specs(at) if "least" in str(s["data"][1].get("name", "")))


def arr(value) -> np.ndarray:
    """A figure array as sent to the page (a list, or a typed array dict)."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value, dtype=float)


def reference(spec: RunSpec, steps: int, batch_size=None, seed: int = 0):
    """The run computed with the library directly (the line fit's default data)."""
    surface, _ = build_surface(LINE)
    return run(
        surface,
        build_optimizer(spec),
        np.asarray(surface.start, float),
        steps,
        batch_size=batch_size,
        batch_seed=seed,
    )


def drawn_line_ends(fit: dict, j: int) -> np.ndarray:
    """The y of run j's line at both ends of the x range, as first drawn."""
    return arr(fit["data"][2 + j]["y"])


def line_ends_of(fit: dict, wb) -> np.ndarray:
    ends = arr(fit["data"][1]["x"])
    return wb[0] * ends + wb[1]


def set_batch(at: AppTest, i: int, value, seed: int | None = None) -> AppTest:
    open_run(at, i)
    if seed is not None:
        at.number_input(key=k(at, f"r{i}:seed")).set_value(seed)
    return at.number_input(key=k(at, f"r{i}:batch_size")).set_value(value).run()


def test_a_batch_size_changes_the_path_to_the_librarys_mini_batch_path():
    spec = RunSpec("sgd", 0.05)
    at = line_page(spec, RunSpec("adam", 0.1))
    full = reference(spec, 60)
    fit = fit_chart(at)
    np.testing.assert_allclose(drawn_line_ends(fit, 0), line_ends_of(fit, full.points[-1, 0]))

    set_batch(at, 0, 4, seed=3)
    assert not at.exception
    got = state(at).runs[0]
    assert (got.batch_size, got.seed, got.lr) == (4, 3, 0.05)
    assert state(at).runs[1] == RunSpec("adam", 0.1)  # the other run untouched
    mini = reference(spec, 60, batch_size=4, seed=3)
    assert not np.allclose(mini.points[-1], full.points[-1])
    fit = fit_chart(at)
    np.testing.assert_allclose(drawn_line_ends(fit, 0), line_ends_of(fit, mini.points[-1, 0]))
    # the name says it, in the legend and the results table; Japanese too
    names = [d.get("name", "") for d in chart_specs(at)[0]["data"]]
    assert any("mini-batch 4" in n for n in names)
    assert "mini-batch 4" in "\n".join(m.value for m in at.markdown)
    at.radio(key=k(at, "lang")).set_value("ja").run()
    assert not at.exception
    names = [d.get("name", "") for d in chart_specs(at)[0]["data"]]
    assert any("ミニバッチ 4" in n for n in names)


def test_a_batch_of_all_n_points_is_the_full_batch_path():
    spec = RunSpec("momentum", 0.02)
    full = line_page(spec)
    at = line_page(RunSpec("momentum", 0.02, seed=5, batch_size=30))
    assert state(at).runs[0].batch_size == 30
    a, b = fit_chart(full), fit_chart(at)
    np.testing.assert_array_equal(drawn_line_ends(b, 0), drawn_line_ends(a, 0))
    np.testing.assert_array_equal(
        reference(spec, 60, batch_size=30, seed=5).points, reference(spec, 60).points
    )


@pytest.mark.parametrize("bad", [31, 0, -2])
def test_a_bad_batch_size_is_the_full_batch_with_a_notice(bad):
    at = line_page(RunSpec("sgd", 0.05), RunSpec("adam", 0.1, batch_size=5, seed=2))
    before = state(at)
    set_batch(at, 0, bad)
    assert not at.exception
    after = state(at)
    assert after.runs[0] == RunSpec("sgd", 0.05)  # the full batch, the lr kept
    assert after.runs[1] == before.runs[1]  # the other run keeps its own batch
    assert (after.surface, after.steps) == (before.surface, before.steps)
    text = t("notice.bad_batch", "en", value=escape_markdown(str(bad)), n=30)
    assert text in [w.value for w in at.warning]
    fit = fit_chart(at)
    full = reference(RunSpec("sgd", 0.05), 60)
    np.testing.assert_allclose(drawn_line_ends(fit, 0), line_ends_of(fit, full.points[-1, 0]))


def test_the_link_carries_the_batch_size_and_the_seed():
    at = line_page(RunSpec("sgd", 0.05))
    set_batch(at, 0, 6, seed=9)
    address = json.loads(chart_elements(at)[0].proto.json)["address"]
    q = dict(urllib.parse.parse_qsl(address, keep_blank_values=True))
    assert (q["r1.batch_size"], q["r1.seed"]) == ("6", "9")
    link, notices = decode(q)
    assert notices == [] and link.page == state(at)
    again = run_app(q)
    assert state(again) == state(at)


def test_no_batch_field_on_a_surface_without_data():
    at = run_app()
    open_run(at, 0)
    keys = [w.key for w in at.number_input if w.key]
    assert not any(key.endswith(":r0:batch_size") for key in keys)
    assert any(key.endswith(":r0:noise") for key in keys)
    # a link with a batch size there: ignored, no notice, the run as without it
    at = run_app({"surface": "rosenbrock", "r1": "sgd", "r1.lr": "0.001", "r1.batch_size": "4"})
    assert state(at).runs == (RunSpec("sgd", 0.001),)
    assert not at.warning


def test_the_fit_view_circles_step_ks_batch_and_the_inspector_says_so():
    spec = RunSpec("sgd", 0.05, seed=1, batch_size=4)
    at = line_page(RunSpec("adam", 0.1), spec, step=7)
    traj = reference(spec, 60, batch_size=4, seed=1)
    fit = fit_chart(at)
    rings = fit["data"][2 + 2 :]
    assert len(rings) == 1  # one ring trace: the mini-batch run's
    surface, _ = build_surface(LINE)
    x, y = np.array(surface.params["x"]), np.array(surface.params["y"])
    idx = traj.batches.indices(7)
    assert len(idx) == 2  # 4 does not divide 30: step 7 has the epoch's last 2 points
    np.testing.assert_array_equal(arr(rings[0]["x"]), x[idx])
    np.testing.assert_array_equal(arr(rings[0]["y"]), y[idx])
    np.testing.assert_allclose(drawn_line_ends(fit, 1), line_ends_of(fit, traj.points[7, 0]))
    open_box(at, "open_inspector")
    assert not at.exception
    note = t("insp_batch", "en", b=2, n=30)
    assert note in [c.value for c in at.caption]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_the_inspector_names_the_mini_batch_and_the_full_data_gradients(lang):
    spec = RunSpec("sgd", 0.05, seed=1, batch_size=4)
    s, _ = PageState.from_dict({"surface": LINE, "steps": 60, "runs": [spec.to_dict()]})
    # PyTorch's notation in both languages (θ, g_k; a Japanese page defaults to the course's)
    at = run_app({**encode(Link(s, Teach(step=7, notation="pytorch"))), "lang": lang})
    open_box(at, "open_inspector")
    assert not at.exception
    table = next(m.value for m in at.markdown if "g_k" in m.value)
    traj = reference(spec, 60, batch_size=4, seed=1)
    surface, _ = build_surface(LINE)
    g_row = next(line for line in table.splitlines() if line.startswith("| $g_k$"))
    f_row = next(line for line in table.splitlines() if "nabla f(" in line)
    assert t("insp:g (mini-batch gradient, used for the step)", lang) in g_row
    assert t("insp:∇f (full-data gradient)", lang) in f_row
    assert t("insp:∇f (no noise)", lang) not in table
    batch_grad = surface.data.grad(traj.points[7, 0], traj.batches.indices(7))
    full = surface.grad(traj.points[7, 0])
    assert f"{batch_grad[0]:.5g}" in g_row and f"{full[0]:.5g}" in f_row
