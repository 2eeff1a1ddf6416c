"""Study figures: structure, colour encoding, click grids and their mapping back, payloads."""

from __future__ import annotations

import json
import math

import numpy as np
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as hs

from optviz import OPTIMIZERS, run, strings
from optviz.drawing.figures import Figure, Style
from optviz.drawing.studies import (
    BASIN_MODES,
    BASIN_ROW,
    CLICK_GRID,
    CLICK_SIDE,
    LEVELS,
    PARAM_NAMES,
    SWEEP_MODES,
    axis_coords,
    basin_cell,
    basin_figure,
    basin_grid,
    basin_pick,
    click_side,
    colorscale_levels,
    display_stride,
    effective_mode,
    fit_figure,
    fit_spec,
    fit_title,
    frame_name,
    merge_hyperparams,
    nearest_index,
    nice_ticks,
    quantise,
    subsample,
    sweep_cell,
    sweep_figure,
    sweep_pick,
    text_width,
)
from optviz.explore import DIVERGED, basin_map, sweep, sweep_values
from surfaces import SURFACES

LIMIT = 300_000  # bytes of figure JSON (what st.plotly_chart sends)
LABELS, COLORS = ["a", "b", "c"], ["red", "green", "blue"]


def _maps(key="himmelblau", runs=(("sgd", 0.01), ("adam", 0.05)), n=21, steps=100):
    surface = SURFACES[key]
    return [basin_map(surface, OPTIMIZERS[k](lr=lr), resolution=n, steps=steps) for k, lr in runs]


@pytest.fixture(scope="module")
def himmelblau_maps():
    # sgd lr 0.05 diverges from the corners, so every category occurs
    return _maps(runs=(("sgd", 0.01), ("adam", 0.05), ("sgd", 0.05)), n=31, steps=150)


@pytest.fixture(scope="module")
def momentum_sweep():
    surface = SURFACES["rosenbrock"]
    return sweep(
        surface,
        "nesterov",
        (("lr", 0.001),),
        "lr",
        sweep_values("lr", 12),
        "dampening",
        sweep_values("dampening", 9),
        steps=200,
    )


def _heatmaps(fig):
    return [t for t in fig.data if t.type == "heatmap"]


def _click_traces(fig):
    return [t for t in fig.data if t.meta and t.meta.get("role") == CLICK_GRID]


# ---------------------------------------------------------------------------------------
# strings


def test_every_string_is_bilingual():
    figure_strings = {
        key: {lang: table[key] for lang, table in strings.TABLES.items() if key in table}
        for key in strings.TABLES["en"]
        if key.startswith("fig.")
    }
    assert figure_strings
    for table in (figure_strings, PARAM_NAMES):
        for key, entry in table.items():
            assert set(entry) == {"en", "ja"}, key
            assert entry["en"].strip() and entry["ja"].strip(), key
            for ph in ("{s}", "{n}"):
                assert (ph in entry["en"]) == (ph in entry["ja"]), key


# ---------------------------------------------------------------------------------------
# pure helpers


@settings(max_examples=60, deadline=None)
@given(
    hs.lists(hs.floats(-50, 50), min_size=1, max_size=40),
    hs.floats(-50, 0),
    hs.floats(0.1, 50),
)
def test_quantise_levels_are_monotone_and_in_range(values, lo, width):
    t = np.array(values)
    special = t > 45
    z = quantise(t, [special], lo, lo + width)
    assert z.dtype == np.uint8
    assert np.all(z[special] == 0)
    rest = ~special
    assert np.all((z[rest] >= 1) & (z[rest] <= LEVELS - 1))
    order = np.argsort(t[rest], kind="stable")
    assert np.all(np.diff(z[rest][order].astype(int)) >= 0)


def test_quantise_nonfinite_without_mask_is_level_zero():
    z = quantise(np.array([np.nan, 0.0, 1.0]), [], 0.0, 1.0)
    assert z.tolist() == [0, 0, 255]


def test_colorscale_levels_flat_specials_then_scale():
    stops = colorscale_levels(["#000000", "#888888"])
    positions = [p for p, _ in stops]
    assert positions == sorted(positions) and positions[0] == 0 and positions[-1] == 1
    assert stops[0][1] == stops[1][1] == "#000000"
    assert stops[2][1] == stops[3][1] == "#888888"


@pytest.mark.parametrize(
    ("lo", "hi", "log", "expected"),
    [
        (-3.2, 1.5, True, [-3.0, -2.0, -1.0, 0.0, 1.0]),
        (0, 300, False, [0, 50, 100, 150, 200, 250, 300]),
    ],
)
def test_nice_ticks(lo, hi, log, expected):
    assert nice_ticks(lo, hi, log) == expected


def test_subsample_and_click_side():
    idx = subsample(201, 60)
    assert idx[0] == 0 and idx[-1] == 200 and len(idx) <= 60 and np.all(np.diff(idx) > 0)
    assert subsample(10, 60).tolist() == list(range(10))
    assert click_side(1) <= CLICK_SIDE
    assert click_side(4) < click_side(1)


def test_display_stride_fits_budget():
    assert display_stride(101, 4) == 1
    assert display_stride(201, 4) == 1
    s = display_stride(201, 8)
    assert s > 1 and 8 * math.ceil(201 / s) ** 2 <= 165_000


def test_nearest_index_linear_and_log():
    values = np.geomspace(1e-5, 10, 13)
    assert nearest_index(values, float(values[4]) * 1.2, log=True) == 4
    assert nearest_index([0.0, 1.0, 2.0], 1.4) == 1
    assert nearest_index(values, -1.0, log=True) == 0  # non-positive -> the smallest


def test_merge_hyperparams_betas_steps_and_overrides():
    kwargs, steps = merge_hyperparams("adam", (("lr", 0.1),), {"beta1": 0.5, "lr": 0.02})
    assert dict(kwargs) == {"lr": 0.02, "betas": (0.5, 0.999)}
    assert steps is None
    kwargs, steps = merge_hyperparams(
        "adam", (("betas", (0.8, 0.99)),), {"beta2": 0.9, "steps": 120}
    )
    assert dict(kwargs)["betas"] == (0.8, 0.9) and steps == 120
    OPTIMIZERS["adam"](**dict(kwargs))  # accepted by the factory


# ---------------------------------------------------------------------------------------
# basin figure


@pytest.mark.parametrize("mode", BASIN_MODES)
def test_basin_figure_structure(himmelblau_maps, mode):
    maps = himmelblau_maps
    fig = basin_figure(maps, LABELS, COLORS, mode, "en", f_min=0.0)
    heat = _heatmaps(fig)
    assert len(heat) == len(maps)
    assert {t.coloraxis for t in heat} == {"coloraxis"}  # one shared colour scale
    assert [t.xaxis for t in heat] == ["x", "x2", "x3"]
    for t in heat:
        z = np.asarray(t.z)
        assert z.dtype == np.uint8 and z.shape == (31, 31)
        assert t.hoverinfo == "skip"
    # shared ranges, linked zoom, equal aspect
    assert fig.layout.xaxis2.matches == "x" and fig.layout.yaxis3.matches == "y"
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert tuple(fig.layout.xaxis.range) == tuple(fig.layout.xaxis3.range)
    # subplot titles coloured with the run colours
    assert [a.font.color for a in fig.layout.annotations] == ["red", "green", "blue"]
    # minima marked in every subplot
    marks = [t for t in fig.data if getattr(t, "mode", None) == "markers+text"]
    assert len(marks) == 3 and all(len(t.x) == 4 for t in marks)
    assert fig.layout.meta["mode"] == mode


@pytest.mark.parametrize(
    ("n", "shape"), [(1, (1, 1)), (2, (1, 2)), (3, (2, 2)), (4, (2, 2)), (5, (3, 2))]
)
def test_basin_grid_two_maps_to_a_row(n, shape):
    assert basin_grid(n) == shape
    maps = _maps(runs=(("sgd", 0.01),), n=11, steps=5) * n
    fig = basin_figure(maps, [f"{i + 1} · SGD" for i in range(n)], ["red"] * n, "final_loss")
    rows, cols = shape
    assert fig.layout.meta["grid"] == [rows, cols]
    lefts = {round(fig.layout[f"xaxis{i + 1 if i else ''}"].domain[0], 6) for i in range(n)}
    tops = {round(fig.layout[f"yaxis{i + 1 if i else ''}"].domain[1], 6) for i in range(n)}
    assert (len(tops), len(lefts)) == (rows, cols)
    # the figure grows a row of maps at a time, each row as high as the style says
    one = basin_figure(maps[:1], ["1 · SGD"], ["red"], "final_loss")
    assert fig.layout.height - one.layout.height >= (rows - 1) * BASIN_ROW * Style().side_height


LONG_LABELS = {
    "en": ["1 · RMSprop · Keras", "2 · Momentum · the book", "3 · Adagrad", "4 · AdamW · Keras"],
    "ja": ["1 · RMSprop · Keras", "2 · Momentum · ゼロから作る", "3 · Adagrad", "4 · AdamW"],
}


@pytest.mark.parametrize("style", [Style(), Style.presenter()], ids=["phone", "presenter"])
@pytest.mark.parametrize("lang", ["en", "ja"])
@pytest.mark.parametrize("runs", [1, 2, 4])
def test_basin_titles_fit_their_subplot(style, lang, runs):
    """At the narrowest width of the style (a 420-px phone; a projector), every subplot
    title fits its subplot at the title font; a cut title keeps the run number and
    optimizer and shows the full label on hover."""
    maps = _maps(runs=(("sgd", 0.01),), n=11, steps=5) * runs
    labels = LONG_LABELS[lang][:runs]
    fig = basin_figure(maps, labels, ["red"] * runs, "minimum", lang, style=style)
    inner = style.min_width - fig.layout.margin.l - fig.layout.margin.r
    titles = fig.layout.annotations[:runs]
    for i, (a, label) in enumerate(zip(titles, labels, strict=True)):
        lo, hi = fig.layout[f"xaxis{i + 1 if i else ''}"].domain
        assert a.font.size == style.font_size
        assert fig.layout[f"yaxis{i + 1 if i else ''}"].tickfont.size == style.font_size - 2
        assert text_width(a.text, a.font.size) <= (hi - lo) * inner, a.text
        assert label.startswith(a.text) and a.text.count(" · ") >= 1
        assert a.hovertext == (None if a.text == label else label)


def test_fit_title_cuts_whole_parts():
    assert fit_title("1 · RMSprop · Keras", 1000, 14) == "1 · RMSprop · Keras"
    cut = fit_title("1 · RMSprop · Keras", text_width("1 · RMSprop", 14), 14)
    assert cut == "1 · RMSprop"
    assert fit_title("1 · RMSprop · Keras", 5, 14) == "1"
    # wide (CJK) characters count as wider than Latin ones
    assert text_width("ゼロから作る", 14) > text_width("the book", 14)


def test_basin_minimum_mode_names_outcomes_in_a_legend(himmelblau_maps):
    """The outcome names are long, so "minimum" mode keys them in a legend that wraps at
    any width, not in a colour bar beside the maps."""
    fig = basin_figure(himmelblau_maps, LABELS, COLORS, "minimum", "en")
    assert fig.layout.coloraxis.showscale is False
    names = {
        t.name: t.marker.color
        for t in fig.data
        if t.type == "scatter" and t.marker.symbol == "square"
    }
    assert names["diverged"] == "#1b1b1b"
    assert {f"{k + 1}: " for k in range(4)} <= {n[:3] for n in names}
    fig = basin_figure(himmelblau_maps, LABELS, COLORS, "final_loss", "en")
    assert fig.layout.coloraxis.colorbar.orientation == "h"  # under the maps


@pytest.mark.parametrize("mode", BASIN_MODES)
def test_basin_click_grid_invisible_and_selectable(himmelblau_maps, mode):
    fig = basin_figure(himmelblau_maps, LABELS, COLORS, mode, "ja", f_min=0.0)
    grid = _click_traces(fig)
    assert grid
    for t in grid:
        assert t.marker.opacity == 0
        assert t.hoverinfo != "skip"  # "skip" would make the points unclickable
        assert t.hovertemplate
    per_subplot = {}
    for t in grid:
        per_subplot[t.meta["subplot"]] = per_subplot.get(t.meta["subplot"], 0) + len(t.x)
    assert sorted(per_subplot) == [0, 1, 2]
    assert all(v <= CLICK_SIDE**2 for v in per_subplot.values())


def test_basin_minimum_mode_encodes_codes(himmelblau_maps):
    fig = basin_figure(himmelblau_maps, LABELS, COLORS, "minimum", "en")
    for t, m in zip(_heatmaps(fig), himmelblau_maps, strict=True):
        np.testing.assert_array_equal(np.asarray(t.z).astype(int), m.minimum_index + 2)
    bar = fig.layout.coloraxis.colorbar
    assert list(bar.tickvals) == list(range(6))
    assert bar.ticktext[0] == "diverged" and bar.ticktext[2].startswith("1: (3")
    assert (himmelblau_maps[2].minimum_index == DIVERGED).any()  # the diverged colour is used


def test_basin_loss_and_steps_modes_mark_specials(himmelblau_maps):
    fig = basin_figure(himmelblau_maps, LABELS, COLORS, "final_loss", "en")
    for t, m in zip(_heatmaps(fig), himmelblau_maps, strict=True):
        z = np.asarray(t.z)
        np.testing.assert_array_equal(z == 0, ~np.isfinite(m.final_loss))
        finite = np.isfinite(m.final_loss)
        order = np.argsort(m.final_loss[finite])
        assert np.all(np.diff(z[finite][order].astype(int)) >= 0)
    assert any(t.name == "diverged" for t in fig.data)  # legend entry
    fig = basin_figure(himmelblau_maps, LABELS, COLORS, "steps", "en")
    for t, m in zip(_heatmaps(fig), himmelblau_maps, strict=True):
        z = np.asarray(t.z)
        np.testing.assert_array_equal(z == 0, m.minimum_index == DIVERGED)
        np.testing.assert_array_equal(z == 1, (m.steps_to_tol < 0) & (m.minimum_index != DIVERGED))
        reached = m.steps_to_tol >= 0
        assert np.all(z[reached] >= 2)


def test_basin_click_maps_back_to_the_start_and_its_outcome(himmelblau_maps):
    """Every click-grid point maps to a grid start whose outcome is what its hover says."""
    m = himmelblau_maps[1]
    fig = basin_figure(himmelblau_maps, LABELS, COLORS, "minimum", "en")
    surface = SURFACES["himmelblau"]
    checked = 0
    for t in _click_traces(fig):
        if t.meta["subplot"] != 1:
            continue
        for x, y in zip(t.x, t.y, strict=True):
            point = {"x": float(x), "y": float(y)}  # float32 as the browser reports it
            ix, iy = basin_cell(m.xs, m.ys, point)
            start = basin_pick(m, point)
            assert start == (float(m.xs[ix]), float(m.ys[iy]))
            assert abs(start[0] - x) < 1e-5 and abs(start[1] - y) < 1e-5
            code = m.minimum_index[iy, ix]
            if code >= 0:
                assert f"minimum {code + 1} " in t.hovertemplate
            checked += 1
    assert checked == 31 * 31 or checked >= 100
    # and the picked start, run on its own, ends where the map says
    point = {"x": float(m.xs[7]), "y": float(m.ys[23])}
    start = basin_pick(m, point)
    traj = run(surface, OPTIMIZERS["adam"](lr=0.05), start, 150)
    end = traj.points[-1, 0]
    code = m.minimum_index[23, 7]
    assert code >= 0
    assert np.argmin(np.linalg.norm(m.minima - end, axis=1)) == code


def test_basin_pick_rejects_bad_points(himmelblau_maps):
    with pytest.raises(ValueError):
        basin_pick(himmelblau_maps[0], {"x": "a"})
    with pytest.raises(ValueError):
        basin_pick(himmelblau_maps[0], {})


def test_no_minima_falls_back_to_final_loss():
    maps = _maps("saddle", runs=(("sgd", 0.01),), n=11, steps=20)
    assert effective_mode(maps, "minimum") == "final_loss"
    fig = basin_figure(maps, ["a"], ["red"], "minimum", "en")
    assert fig.layout.meta["mode"] == "final_loss"
    assert not [t for t in fig.data if getattr(t, "mode", None) == "markers+text"]


def test_basin_figure_rejects_mixed_grids_and_bad_mode():
    a = _maps(runs=(("sgd", 0.01),), n=11, steps=5)
    b = _maps(runs=(("sgd", 0.01),), n=13, steps=5)
    with pytest.raises(ValueError):
        basin_figure(a + b, ["a", "b"], ["red", "green"])
    with pytest.raises(ValueError):
        basin_figure(a, ["a"], ["red"], mode="colour")
    with pytest.raises(ValueError):
        basin_figure([], [], [])


@pytest.mark.parametrize(("n", "runs"), [(201, 4), (201, 6), (151, 3), (101, 4)])
@pytest.mark.parametrize("mode", BASIN_MODES)
def test_basin_payload_bounded(n, runs, mode):
    lrs = (0.001, 0.01, 0.02, 0.05, 0.003, 0.03)[:runs]
    maps = _maps(runs=tuple(("sgd", lr) for lr in lrs), n=n, steps=40)
    fig = basin_figure(maps, [f"r{i}" for i in range(runs)], ["red"] * runs, mode, "ja")
    size = len(fig.to_json())
    assert size < LIMIT, size
    stride = fig.layout.meta["stride"]
    assert np.asarray(_heatmaps(fig)[0].z).shape == (math.ceil(n / stride),) * 2
    if stride > 1:
        assert fig.layout.title.text


# ---------------------------------------------------------------------------------------
# sweep figure


@pytest.mark.parametrize("mode", SWEEP_MODES)
def test_sweep_figure_marks_divergence_invalid_and_best(momentum_sweep, mode):
    sw = momentum_sweep
    assert sw.diverged.any() and sw.invalid.any()
    fig = sweep_figure(sw, mode, "en")
    (heat,) = _heatmaps(fig)
    z = np.asarray(heat.z)
    np.testing.assert_array_equal(z == 0, sw.diverged)
    np.testing.assert_array_equal(z == 1, sw.invalid & ~sw.diverged)
    names = {t.name for t in fig.data}
    assert {"diverged", "not allowed"} <= names
    assert "diverged" in [a.text for a in fig.layout.annotations]
    # log10 coordinates with decade ticks on the lr axis
    np.testing.assert_allclose(heat.x, np.log10(sw.x_values), rtol=1e-6)
    assert "1e-5" in fig.layout.xaxis.ticktext
    # best cell starred where Sweep.best says
    (star,) = [t for t in fig.data if t.meta and t.meta.get("role") == "best"]
    best = sw.best()
    pick = sweep_pick(sw, {"x": star.x[0], "y": star.y[0]})
    assert pick == {"lr": best[0], "dampening": best[1]}
    grid = _click_traces(fig)
    assert grid and all(t.marker.opacity == 0 for t in grid)
    assert sum(len(t.x) for t in grid) == sw.final_loss.size
    assert len(fig.to_json()) < LIMIT


def test_sweep_click_round_trip_every_cell(momentum_sweep):
    sw = momentum_sweep
    cx = axis_coords("lr", sw.x_values).astype(np.float32)
    cy = axis_coords("dampening", sw.y_values).astype(np.float32)
    for ix, x in enumerate(cx):
        for iy, y in enumerate(cy):
            point = {"x": float(x), "y": float(y)}
            assert sweep_cell(sw, point) == (ix, iy)
            assert sweep_pick(sw, point) == {
                "lr": float(sw.x_values[ix]),
                "dampening": float(sw.y_values[iy]),
            }


def test_sweep_steps_axis_pick_is_int():
    sw = sweep(
        SURFACES["bowl"], "sgd", (), "lr", sweep_values("lr", 6), "steps", [10, 20, 40], steps=40
    )
    pick = sweep_pick(sw, {"x": math.log10(float(sw.x_values[2])), "y": math.log10(20)})
    assert pick == {"lr": float(sw.x_values[2]), "steps": 20}
    assert isinstance(pick["steps"], int)
    fig = sweep_figure(sw, "steps", "ja")
    assert _heatmaps(fig) and _click_traces(fig)


def test_sweep_all_diverged_has_no_star():
    sw = sweep(
        SURFACES["rosenbrock"], "sgd", (), "lr", [50.0, 100.0], "momentum", [0.0, 0.5], steps=50
    )
    assert sw.diverged.all()
    fig = sweep_figure(sw, "final_loss", "en")
    assert not [t for t in fig.data if t.meta and t.meta.get("role") == "best"]


@pytest.mark.parametrize("style", [Style(), Style.presenter()], ids=["page", "presenter"])
def test_sweep_figure_sized_by_the_style(momentum_sweep, style):
    """Fonts from the style (a projector's are large); the colour scale and the legend lie
    under the plot, below the axis title, so the plot keeps the figure's full width."""
    fig = sweep_figure(momentum_sweep, "final_loss", "ja", style=style)
    small = style.font_size - 2
    assert fig.layout.xaxis.tickfont.size == fig.layout.yaxis.tickfont.size == small
    bar = fig.layout.coloraxis.colorbar
    assert bar.orientation == "h" and bar.tickfont.size == small
    plot_h = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    assert plot_h == style.side_height
    axis_title_px = 2 * style.font_size  # tick labels and the axis title need at least this
    assert -bar.y * plot_h >= axis_title_px
    assert fig.layout.legend.y < bar.y
    assert fig.layout.legend.font.size == small


def test_sweep_figure_bad_mode(momentum_sweep):
    with pytest.raises(ValueError):
        sweep_figure(momentum_sweep, "minimum")


# ---------------------------------------------------------------------------------------
# fit figure


@pytest.fixture(scope="module")
def regression_runs():
    surface = SURFACES["linear_regression"]
    runs = [
        run(surface, OPTIMIZERS[k](lr=lr), surface.start, 120)
        for k, lr in (("sgd", 0.05), ("adam", 0.1))
    ]
    return surface, runs


def test_fit_figure_frames_and_controls(regression_runs):
    surface, runs = regression_runs
    p = surface.params
    lines = [t.points[:, 0, :] for t in runs]
    steps = list(range(0, 121, 10))
    fig = fit_figure(p["x"], p["y"], lines, ["SGD", "Adam"], ["red", "blue"], p["solution"], steps)
    assert len(fig.data) == 4  # data, least squares, two runs
    assert [f.name for f in fig.frames] == [frame_name(s) for s in steps]
    ends = np.asarray(fig.data[1].x)
    w_star, b_star = p["solution"]
    np.testing.assert_allclose(fig.data[1].y, w_star * ends + b_star)
    for frame, s in zip(fig.frames, steps, strict=True):
        assert list(frame.traces) == [2, 3]
        for trace, line in zip(frame.data, lines, strict=True):
            w, b = line[s]
            np.testing.assert_allclose(trace.y, w * ends + b)
    (menu,) = fig.layout.updatemenus
    assert [b.method for b in menu.buttons] == ["animate", "animate"]
    (slider,) = fig.layout.sliders
    assert [st.args[0][0] for st in slider.steps] == [frame_name(s) for s in steps]
    assert slider.active == len(steps) - 1  # starts on the last frame, like the main view
    np.testing.assert_allclose(fig.data[2].y, fig.frames[-1].data[0].y)
    assert len(fig.to_json()) < 60_000


def test_fit_figure_clips_steps_and_hides_diverged_lines():
    x, y = np.array([0.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0])
    line = np.array([[0.0, 0.0], [0.5, 0.5], [np.nan, np.nan]])
    fig = fit_figure(x, y, [line], ["r"], ["red"], (1.0, 1.0), [0, 1, 2, 50], "ja")
    assert np.isnan(np.asarray(fig.frames[-1].data[0].y)).all()
    np.testing.assert_allclose(fig.frames[1].data[0].y, 0.5 * np.asarray(fig.data[1].x) + 0.5)
    with pytest.raises(ValueError):
        fit_figure(x, y, [line], ["r", "s"], ["red"], (1.0, 1.0), [0])


def test_fit_spec_page_json_is_the_validated_figure(regression_runs):
    """The page draws fit_spec's plain dicts unvalidated; read back through plotly they are
    the validated figure, diverged (NaN) line included."""
    surface, runs = regression_runs
    p = surface.params
    lines = [t.points[:, 0, :].copy() for t in runs]
    lines[1][60:] = np.nan
    steps = list(range(0, 121, 10))
    args = (p["x"], p["y"], lines, ["SGD", "Adam"], ["red", "blue"], p["solution"], steps, "ja")
    spec = fit_spec(*args)
    assert isinstance(spec, Figure)
    assert all(isinstance(t, dict) for t in spec.data)
    assert all(isinstance(f, dict) for f in spec.frames)
    from_page = go.Figure(json.loads(spec.to_json()))
    validated = fit_figure(*args)
    assert json.loads(from_page.to_json()) == json.loads(validated.to_json())


def test_network_figure_draws_each_run_and_grows_for_the_projector():
    from optviz.drawing import figures as F
    from optviz.drawing.network import MAX_HEIGHT, training_figure

    loss = [np.array([2.3, 1.0, np.inf, np.nan]), np.array([2.3, 2.2, 2.1, 2.0])]
    accuracy = [np.array([0.1, 0.5, 0.0, 0.0]), np.array([0.1, 0.2, 0.3, 0.35])]
    names, colors = ["1 · Adam", "2 · SGD"], [F.color(0), F.color(1)]
    page = training_figure(loss, accuracy, names, colors, "en")
    projector = training_figure(loss, accuracy, names, colors, "ja", style=F.Style.presenter())
    for fig in (page, projector):
        legend = [tr for tr in fig.data if tr.showlegend is not False]
        assert [tr.name for tr in legend] == names
        assert [tr.line.color for tr in legend] == colors
        # an overflowed loss leaves a gap; accuracy in %
        assert np.isnan(fig.data[0].y[2]) and np.isnan(fig.data[0].y[3])
        np.testing.assert_allclose(fig.data[3].y, [10, 20, 30, 35])
    assert page.layout.height == F.Style().height <= MAX_HEIGHT
    assert projector.layout.height == MAX_HEIGHT < F.Style.presenter().height
    big, small = F.Style.presenter(), F.Style()
    assert projector.layout.font.size == big.font_size > page.layout.font.size == small.font_size
    assert projector.layout.xaxis2.tickfont.size == big.font_size - 2
    assert projector.data[0].line.width == big.line_width > page.data[0].line.width
    assert projector.layout.xaxis2.title.text == "エポック"
    # the legend's wrapped rows are packed: no gap between the runs' groups, small lines
    for fig, style in ((page, small), (projector, big)):
        assert fig.layout.legend.tracegroupgap == 0 and fig.layout.legend.itemwidth == 30
        assert fig.layout.legend.font.size == F.legend_font(style) < style.font_size
    # a label per decade when the losses span decades; plotly's ticks for a narrow range
    assert page.layout.yaxis.dtick is None
    wide = [np.array([2.3, 0.5, 1e-3]), np.array([2.3, 2.2, 2.1])]
    assert (
        training_figure(wide, [np.array([0.1, 0.5, 0.9])] * 2, names, colors).layout.yaxis.dtick
        == 1
    )


def test_fit_view_without_controls_keeps_its_frames_for_the_maps_player(regression_runs):
    """Drawn on the page, the fit view has no player of its own: no buttons, no slider, a
    bottom margin for the axis only; its frames (named as the map's) stay for the map's
    player to show, and it opens exactly at the given step."""
    surface, runs = regression_runs
    p = surface.params
    lines = [t.points[:, 0, :] for t in runs]
    steps = list(range(0, 121, 10))
    args = (p["x"], p["y"], lines, ["SGD", "Adam"], ["red", "blue"], p["solution"], steps)
    own = fit_spec(*args, initial_step=5)
    led = fit_spec(*args, initial_step=5, controls=False)
    assert "updatemenus" not in led.layout and "sliders" not in led.layout
    assert led.layout["margin"]["b"] < own.layout["margin"]["b"]
    assert [f["name"] for f in led.frames] == [f["name"] for f in own.frames]
    ends = np.asarray(led.data[1]["x"])
    for trace, line in zip(led.data[2:4], lines, strict=True):
        w, b = line[5]
        np.testing.assert_allclose(trace["y"], w * ends + b)
    fit_figure(*args, initial_step=5, controls=False)  # valid Plotly
