"""Which plotly.js bundle a chart loads (optviz_app.bundles, optviz_app.plot.trace_types):
the vendored cartesian bundle for the 2-D figures, the full one for the 3-D view; both of
the same plotly.js version."""

from __future__ import annotations

import plotly.graph_objects as go
import pytest
from test_figures import make_paths

from optviz.drawing import figures as F
from optviz_app.bundles import CARTESIAN, FIRST_SCREEN, FULL, bundle_for, plotly_js_version
from optviz_app.plot import plotly_src, trace_types
from surfaces import SURFACES


@pytest.fixture(scope="module")
def paths():
    surface = SURFACES["rosenbrock"]
    return surface, make_paths(surface, [("sgd", 1e-3), ("adam", 0.1), ("sgd", 0.5)], 60)


def test_the_vendored_bundle_is_the_same_plotly_js_as_the_full_one():
    assert CARTESIAN.version == FULL.version
    assert CARTESIAN.path.stat().st_size < FULL.path.stat().st_size / 2
    assert (CARTESIAN.directory / "LICENSE.plotly.js.txt").read_text().startswith("MIT License")


def test_a_file_without_a_version_is_refused(tmp_path):
    script = tmp_path / "x.js"
    script.write_text("/* not plotly */")
    with pytest.raises(ValueError, match=r"no plotly\.js version"):
        plotly_js_version(script)


def test_the_2d_figures_load_the_cartesian_bundle_and_the_3d_view_the_full_one(paths):
    surface, runs = paths
    two_d = [
        F.contour_spec(F.map_data(surface), runs),
        F.loss_spec(runs, surface.f_min),
    ]
    for fig in two_d:
        kinds = trace_types(fig)
        assert "scatter" in kinds
        assert bundle_for(kinds) is CARTESIAN
    three_d = F.surface3d_spec(surface, runs)
    assert {"surface", "scatter3d"} <= trace_types(three_d)
    assert bundle_for(trace_types(three_d)) is FULL
    # a validated go.Figure answers the same, frames included
    assert trace_types(three_d.to_plotly()) == trace_types(three_d)


def test_trace_types_read_frames_and_plotlys_default_type():
    fig = go.Figure(data=[go.Scatter(y=[1, 2])], frames=[go.Frame(data=[go.Surface(z=[[1]])])])
    assert trace_types(fig) == {"scatter", "surface"}
    assert trace_types(F.Figure(data=[{"y": [1]}], layout={})) == {"scatter"}
    assert bundle_for({"scatter", "heatmap", "contour"}) is CARTESIAN
    assert bundle_for({"scatter", "mesh3d"}) is FULL


def test_each_bundle_has_its_own_versioned_url():
    first, full = plotly_src(), plotly_src(FULL)
    assert first == plotly_src(FIRST_SCREEN) and FIRST_SCREEN is CARTESIAN
    assert first.endswith(f"/{CARTESIAN.file}?v={CARTESIAN.version}")
    assert full.endswith(f"/{FULL.file}?v={FULL.version}")
    assert first.split("/")[1] != full.split("/")[1]  # two component file routes
