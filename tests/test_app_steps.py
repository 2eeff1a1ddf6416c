"""One step k on the page (streamlit.testing, no browser): a link with ``step=`` builds the
map, the data-fitting view and the 3-D view at that step, the inspector and the link say
it, and the step slider moves them all; the fit and 3-D views have no player of their own
but follow the map's (``follow="map"``). Expected positions come from the optimizers
themselves (:func:`optviz.run`)."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
from apptest_helpers import chart_elements, k, spec_of
from streamlit.testing.v1 import AppTest

from optviz import OPTIMIZERS, run
from optviz.drawing.figures import frame_steps
from optviz_app.i18n import t
from surfaces import SURFACES

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
LINE = SURFACES["linear_regression"]
STEPS = 300
RUNS = (("sgd", 0.05), ("adam", 0.1))
LINK = {
    "surface": "linear_regression",
    "steps": str(STEPS),
    "r1": "sgd",
    "r1.lr": "0.05",
    "r2": "adam",
    "r2.lr": "0.1",
    "3d": "1",
    "step": "5",
}


def arr(value) -> np.ndarray:
    """A figure array as sent to the page (a list, or a typed array dict)."""
    if isinstance(value, dict) and "bdata" in value:
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray([np.nan if v is None else v for v in value], dtype=float)


def paths() -> list[np.ndarray]:
    return [run(LINE, OPTIMIZERS[name](lr=lr), LINE.start, STEPS).points[:, 0] for name, lr in RUNS]


def charts(at: AppTest) -> dict[str, tuple[dict, dict]]:
    """``{"map" | "fit" | "3d": (figure, the chart's data)}``."""
    out = {}
    for el in chart_elements(at):
        data = json.loads(el.proto.json)
        spec = spec_of(el)
        if "scene" in spec["layout"]:
            out["3d"] = spec, data
        elif any(str(tr.get("name", "")).startswith("least") for tr in spec["data"]):
            out["fit"] = spec, data
        elif any(tr.get("name") == "current" for tr in spec["data"]):
            out["map"] = spec, data
    return out


def assert_at(at: AppTest, step: int, ref: list[np.ndarray]) -> None:
    """Map, fit view, 3-D view, inspector and link all at ``step``."""
    theta = np.array([p[step] for p in ref])
    views = charts(at)
    assert set(views) == {"map", "fit", "3d"}
    fig = views["map"][0]
    slider = fig["layout"]["sliders"][0]
    assert slider["steps"][slider["active"]]["label"] == str(step)
    current = next(tr for tr in fig["data"] if tr.get("name") == "current")
    np.testing.assert_allclose(np.c_[arr(current["x"]), arr(current["y"])], theta, atol=2e-3)

    fig, data = views["fit"]
    assert data["follow"] == "map" and data["step"] == step
    assert "sliders" not in fig["layout"] and "updatemenus" not in fig["layout"]
    lines = [tr for tr in fig["data"] if str(tr.get("name", ""))[:1].isdigit()]
    for tr, (w, b) in zip(lines, theta, strict=True):
        np.testing.assert_allclose(arr(tr["y"]), w * arr(tr["x"]) + b, rtol=1e-9)
    assert f"k{step}" in [f["name"] for f in fig["frames"]]

    fig, data = views["3d"]
    assert data["follow"] == "map" and data["step"] == step
    assert "sliders" not in fig["layout"] and "updatemenus" not in fig["layout"]
    current = next(tr for tr in fig["data"] if tr.get("name") == "current")
    at_k = arr(current["marker"]["size"]) > 0
    xy = np.c_[arr(current["x"]), arr(current["y"])][at_k]
    np.testing.assert_allclose(xy, theta, atol=2e-3)
    assert fig["layout"]["uirevision"] == fig["layout"]["scene"]["uirevision"] == "3d"

    assert any(m.value == f"#### {t('inspector', 'en', k=step)}" for m in at.markdown)
    assert any(c.value == t("view3d_follows", "en", k=step) for c in at.caption)
    assert at.session_state["teach"].step == step
    address = views["map"][1]["address"].split("&")  # the link the address bar shows
    assert f"step={step}" in address


def test_a_step_link_builds_every_view_at_that_step_and_the_slider_moves_them():
    assert 5 not in frame_steps(STEPS)  # between the usual frames: k is added to each view's
    ref = paths()
    at = AppTest.from_file(APP, default_timeout=120)
    for name, value in LINK.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    assert_at(at, 5, ref)
    at.slider(key=k(at, "t:step")).set_value(7).run()
    assert not at.exception, at.exception
    assert_at(at, 7, ref)
