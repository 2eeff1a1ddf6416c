"""Figure structure: traces, frames, payload, equal axes, log levels, divergence."""

from __future__ import annotations

import base64
import math

import numpy as np
import plotly.graph_objects as go
import pytest

from optviz import OPTIMIZERS, run
from optviz.drawing import figures as F
from surfaces import SURFACES


def make_paths(surface, specs, steps):
    paths = []
    for i, (key, lr) in enumerate(specs):
        traj = run(surface, OPTIMIZERS[key](lr=lr), surface.start, steps)
        paths.append(
            F.Path(
                f"{i} {key}",
                F.color(i),
                traj.points[:, 0],
                traj.values[:, 0],
                int(traj.diverged_at[0]),
            )
        )
    return paths


@pytest.fixture(scope="module")
def rosen():
    return SURFACES["rosenbrock"]


@pytest.fixture(scope="module")
def default_paths(rosen):
    specs = [("sgd", 1e-3), ("momentum", 1e-3), ("rmsprop", 1e-2), ("adam", 0.1)]
    return make_paths(rosen, specs, 300)


def arr(v) -> np.ndarray:
    """A trace array as NumPy (decodes plotly's base64 ``{"bdata", "dtype"}`` form)."""
    if isinstance(v, dict) and "bdata" in v:
        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))
    return np.asarray(v if v is not None else [], dtype=float)


def validated(fig: F.Figure) -> go.Figure:
    """Re-build with plotly's validation on: every property must be valid."""
    return fig.to_plotly()


def test_contour_figure_structure(rosen, default_paths):
    data = F.map_data(rosen)
    fig = validated(F.contour_spec(data, default_paths))
    names = [t.name for t in fig.data]
    assert names[0] == "levels" and "click" in names and "current" in names
    where = F.map_traces(len(default_paths), fig)
    for i, p in zip(where.paths, default_paths, strict=True):
        assert fig.data[i].mode == "lines"  # lines only (DESIGN §7)
        assert fig.data[i].line.color == p.color
    current = fig.data[where.current]
    assert len(arr(current.x)) == len(default_paths)
    click = fig.data[names.index("click")]
    assert click.marker.opacity == 0 and click.hoverinfo == "none"
    assert len(fig.layout.images) == 1


def test_equal_axes_fixed_to_bounds(rosen, default_paths):
    fig = validated(F.contour_spec(F.map_data(rosen), default_paths))
    assert fig.layout.yaxis.scaleanchor == "x" and fig.layout.yaxis.scaleratio == 1
    assert tuple(fig.layout.xaxis.range) == rosen.bounds[0]
    assert tuple(fig.layout.yaxis.range) == rosen.bounds[1]
    assert fig.layout.xaxis.autorange is False and fig.layout.yaxis.autorange is False
    assert fig.layout.uirevision


def test_frames_bounded_and_touch_only_moving_traces(rosen, default_paths):
    fig = validated(F.contour_spec(F.map_data(rosen), default_paths, max_frames=50))
    assert 2 <= len(fig.frames) <= 50
    where = F.map_traces(len(default_paths), fig)
    moving = {*where.paths, *where.trails, where.current}
    for frame in fig.frames:
        assert set(frame.traces) <= moving
    steps = [int(s["label"]) for s in fig.layout.sliders[0].steps]
    assert steps[0] == 0 and steps[-1] == 300 and steps == sorted(steps)
    assert fig.layout.sliders[0].active == len(steps) - 1


@pytest.mark.parametrize("k", [0, 7, 150, 299])
def test_map_opens_on_the_given_step(rosen, default_paths, k):
    data = F.map_data(rosen)
    fig = validated(F.contour_spec(data, default_paths, initial_step=k))
    where = F.map_traces(len(default_paths), fig)
    labels = [int(s["label"]) for s in fig.layout.sliders[0].steps]
    f = fig.layout.sliders[0].active
    assert labels[f] <= k < (labels[f + 1] if f + 1 < len(labels) else math.inf)
    current = fig.data[where.current]
    expected = np.array([p.points[k] for p in default_paths])
    got = np.stack([arr(current.x), arr(current.y)], axis=-1)
    assert np.allclose(got, expected, rtol=0, atol=1e-12)  # θ_k itself, not rounded
    assert list(arr(current.customdata)) == [k] * len(default_paths)
    frame = fig.frames[f]  # the moving traces show that frame: faded lines, its trails
    for i, d in zip(frame.traces, frame.data, strict=True):
        if i in where.paths:
            assert fig.data[i].opacity == d.opacity == 0.3
        elif i in where.trails:
            assert np.array_equal(arr(fig.data[i].x), arr(d.x))
    finished = validated(F.contour_spec(data, default_paths))
    assert validated(F.contour_spec(data, default_paths, initial_step=300)) == finished
    assert validated(F.contour_spec(data, default_paths, initial_step=None)) == finished


def test_map_opens_on_the_step_without_animation(rosen, default_paths):
    fig = validated(F.contour_spec(F.map_data(rosen), default_paths, animate=False, initial_step=5))
    current = fig.data[F.map_traces(len(default_paths), fig).current]
    assert np.allclose(arr(current.x), [p.points[5, 0] for p in default_paths], rtol=0, atol=1e-12)


@pytest.mark.parametrize("style", [F.Style(), F.Style.presenter()], ids=["plain", "presenter"])
def test_map_controls_stack_under_the_tick_labels(rosen, default_paths, style):
    """Buttons on a row under the tick labels, the slider full-width on a row under them,
    all inside the figure's bottom margin, at any font size."""
    fig = validated(F.contour_spec(F.map_data(rosen), default_paths, style=style))
    (menu,), (slider,) = fig.layout.updatemenus, fig.layout.sliders
    ticks, buttons, rows = F.control_rows(style)
    plot_h = style.height - fig.layout.margin.t - fig.layout.margin.b
    assert fig.layout.margin.b == pytest.approx(ticks + buttons + rows)
    assert -menu.y * plot_h == pytest.approx(ticks)  # below the tick labels
    assert -slider.y * plot_h == pytest.approx(ticks + buttons)  # below the buttons
    assert slider.x == 0 and slider.len == 1


def test_every_step_is_a_frame_for_short_runs(rosen):
    paths = make_paths(rosen, [("adam", 0.05)], 20)
    fig = validated(F.contour_spec(F.map_data(rosen), paths))
    assert len(fig.frames) == 21


def test_no_animation_when_off(rosen, default_paths):
    fig = validated(F.contour_spec(F.map_data(rosen), default_paths, animate=False))
    assert not fig.frames and not fig.layout.sliders


def test_payload_six_runs_5000_steps(rosen):
    specs = [(k, lr) for k, lr in [("sgd", 1e-3), ("momentum", 1e-3), ("rmsprop", 1e-2)]]
    specs += [("adam", 0.05), ("nadam", 0.02), ("lion", 1e-3)]
    paths = make_paths(rosen, specs, 5000)
    data = F.map_data(rosen)
    size = len(F.contour_spec(data, paths).to_json())
    size += len(F.loss_spec(paths, rosen.f_min).to_json())
    assert size < 1_500_000, size


def test_log_levels_where_the_surface_needs_them(rosen):
    data = F.map_data(rosen)
    assert (
        data.levels.log
        and "log" in F.colorbar_trace(data.levels, F.Style())["marker"]["colorbar"]["title"]["text"]
    )
    bowl = F.map_data(SURFACES["bowl"])
    assert not bowl.levels.log
    saddle = F.map_data(SURFACES["saddle"])  # no minimum: plain f
    assert not saddle.levels.log


def test_levels_transform_is_log_of_gap():
    zs = np.array([[1.0, 10.0], [100.0, 1000.0]])
    levels = F.choose_levels(zs, log=True, f_min=0.0)
    assert np.allclose(levels.transform(zs), np.log10(zs + F.LOG_EPS))
    assert levels.lo == pytest.approx(0.0) and levels.hi == pytest.approx(3.0)


def test_raster_orientation_top_row_is_max_y():
    bounds = ((0.0, 1.0), (0.0, 1.0))
    _, _ys, zs = F.sample(lambda xy: xy[..., 1], bounds, 20)  # f = y
    levels = F.choose_levels(zs, log=False, f_min=None)
    img = F.raster_image(zs, levels, lines=False)
    # higher y -> higher band -> darker (lower RGB sum); top row must be darkest
    assert img[0].astype(int).sum() < img[-1].astype(int).sum()


def test_png_bytes_is_a_png():
    img = np.zeros((3, 4, 3), np.uint8)
    png = F.png_bytes(img)
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and b"IHDR" in png and png.endswith(b"IEND\xaeB`\x82")


def test_diverged_path_ends_and_axes_stay(rosen):
    paths = make_paths(rosen, [("sgd", 0.1), ("adam", 0.05)], 200)
    assert paths[0].diverged_at > 0
    assert np.isnan(paths[0].points[-1]).all()
    fig = validated(F.contour_spec(F.map_data(rosen), paths))
    assert tuple(fig.layout.xaxis.range) == rosen.bounds[0]
    where = F.map_traces(2, fig)
    line = fig.data[where.paths[0]]
    assert np.all(np.isfinite(arr(line.x)))  # the line simply ends
    assert len(arr(line.x)) <= paths[0].diverged_at
    assert fig.data[where.current].marker.symbol[0] == "x"
    loss = validated(F.loss_spec(paths, rosen.f_min))
    assert any(t.marker.symbol == "x" for t in loss.data if t.mode == "markers")


def run_ends(cur: dict, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Run ``j``'s drawn (finite) points ``(K, 2)`` in a 3-D moving trace, and their sizes."""
    x, y = arr(cur["x"]), arr(cur["y"])
    mine = (arr(cur["line"]["color"]) == j) & np.isfinite(x)
    return np.c_[x[mine], y[mine]], arr(cur["marker"]["size"])[mine]


def is_cross_at(pts: np.ndarray, at) -> bool:
    """The last four points are two strokes of equal length crossing at ``at``."""
    a, b, c, d = pts[-4:]
    a, b, c, d = (v.astype(np.float64) for v in (a, b, c, d))
    return (
        np.allclose((a + b) / 2, at, rtol=1e-6, atol=1e-3)  # float32 far from the box
        and np.allclose((c + d) / 2, at, rtol=1e-6, atol=1e-3)
        and np.linalg.norm(a - b) > 0.05
        and np.isclose(np.linalg.norm(a - b), np.linalg.norm(c - d), rtol=0.05)
        and abs(np.dot(a - b, c - d)) < 0.05 * np.dot(a - b, a - b)  # the two diagonals
    )


def test_3d_view_marks_divergence_as_the_map_does(rosen):
    """At every step the 3-D view has, a run is marked with an ✕ exactly when the map
    marks it so (it has diverged by that step), at the same last finite point; before,
    both show a round marker there, and the live run never gets an ✕."""
    paths = make_paths(rosen, [("sgd", 0.1), ("adam", 0.05)], 200)
    d = paths[0].diverged_at
    assert 0 < d < 200 and paths[1].diverged_at < 0
    k = d + 3
    map_fig = F.contour_spec(F.map_data(rosen), paths, initial_step=k)
    fig = F.surface3d_spec(rosen, paths, initial_step=k)
    validated(fig)
    map_frames = {f["name"]: f["data"][-1] for f in map_fig.frames}
    compared = set()
    for frame in [*fig.frames, {"name": f"k{k}", "data": [fig.data[-1]]}]:
        cur, step = frame["data"][0], int(frame["name"][1:])
        on_map = map_frames.get(frame["name"])
        for j, p in enumerate(paths):
            pts, size = run_ends(cur, j)
            at = p.points[min(step, p.last)]
            if step >= p.diverged_at >= 0:
                assert is_cross_at(pts, at) and not size.any()
            else:
                assert np.flatnonzero(size).tolist() == [len(pts) - 1]
                np.testing.assert_allclose(pts[-1], at, atol=1e-3)
            if on_map is not None:  # the map has more frames; most 3-D ones are among them
                shown = (arr(on_map["x"])[j], arr(on_map["y"])[j])
                np.testing.assert_allclose(shown, at, atol=1e-3)
                assert on_map["marker"]["symbol"][j] == ("x" if step >= d and j == 0 else "circle")
                compared.add(step >= d)
    assert compared == {False, True}  # compared with the map before and after divergence
    assert np.isfinite(paths[0].points[d - 1]).all() and np.isnan(paths[0].points[d]).all()


def test_3d_view_draws_nothing_outside_its_box_and_marks_undefined_points_on_top():
    """A run leaving the box (lr > 2/λ_max on the bowl) is drawn in 3-D only inside the
    box (a scene does not clip lines to its axes' ranges); a run that diverged after a
    point where f is undefined (NaN) keeps its ✕ there, at the top of the height range."""
    bowl = SURFACES["bowl"]
    (x0, x1), (y0, y1) = bowl.bounds
    gone = make_paths(bowl, [("sgd", 0.22)], 100)[0]
    assert gone.diverged_at > 0 and not F.inside(bowl.bounds, gone.points[gone.last][None])[0]
    fig = F.surface3d_spec(bowl, [gone])
    for tr in fig.data[1:]:
        x, y, z = (np.asarray(arr(tr[c]), float) for c in "xyz")
        drawn = np.isfinite(z)
        assert drawn.any() and (~drawn & np.isfinite(x)).any()  # some left out
        assert np.all((x[drawn] >= x0) & (x[drawn] <= x1) & (y[drawn] >= y0) & (y[drawn] <= y1))
    undefined = F.Path(
        "nan",
        F.color(0),
        np.array([[1.0, 1.0], [-0.2, -0.6], [np.nan, np.nan]]),
        np.array([2.0, np.nan, np.nan]),
        diverged_at=2,
    )
    fig = F.surface3d_spec(bowl, [undefined], animate=False)
    cur = fig.data[-1]
    pts, _ = run_ends(cur, 0)
    assert is_cross_at(pts, (-0.2, -0.6))
    levels = F.surface_mesh(bowl).levels
    top = levels.hi + 0.02 * (levels.hi - levels.lo)
    z = arr(cur["z"])
    assert z[np.isfinite(z)][-4:] == pytest.approx([top] * 4, rel=1e-3)


def test_3d_tick_labels_are_few_and_not_enlarged_in_presenter_mode(rosen, default_paths):
    """A projector's 3-D view keeps few tick labels per axis at a font no larger than
    SCENE_TICK_FONT_MAX (the scene's labels crowded each other at the presenter's 22 px),
    while its titles keep the presenter's size; the usual view keeps its 14 px labels."""
    for style in (F.Style(), F.Style.presenter()):
        layout = validated(F.surface3d_spec(rosen, default_paths, style=style)).layout
        for axis in (layout.scene.xaxis, layout.scene.yaxis, layout.scene.zaxis):
            assert axis.nticks == F.SCENE_TICKS <= 6
            assert axis.tickfont.size == min(style.font_size, F.SCENE_TICK_FONT_MAX)
        assert layout.font.size == style.font_size
    assert F.Style.presenter().font_size > F.SCENE_TICK_FONT_MAX >= F.Style().font_size


def test_divergence_rule_is_one_function():
    dead = F.diverged_by(np.array([-1, 0, 5, 9]), 5)
    assert dead.tolist() == [False, True, True, False]
    grid = F.diverged_by(np.array([-1, 3])[None, :], np.array([0, 3, 4])[:, None])
    assert grid.tolist() == [[False, False], [False, True], [False, True]]
    assert F.marker_symbols(dead) == ["circle", "x", "x", "circle"]


def test_display_indices_keep_zigzags_and_collapse_creep():
    zig = np.stack([np.arange(200) * 0.01, np.where(np.arange(200) % 2, 1.0, -1.0)], -1)
    assert len(F.display_indices(zig, span=4.0)) == 200
    creep = np.stack([np.linspace(0, 1e-4, 1000), np.zeros(1000)], -1)
    idx = F.display_indices(creep, span=4.0)
    assert idx[0] == 0 and idx[-1] == 999 and len(idx) <= 3
    nan_tail = np.vstack([zig[:10], np.full((5, 2), np.nan)])
    assert F.display_indices(nan_tail, span=4.0)[-1] == 9


def test_display_cap_respected():
    rng = np.random.default_rng(0)
    pts = rng.uniform(-1, 1, (5001, 2))
    assert len(F.display_indices(pts, span=2.0, cap=500)) <= 501


def test_loss_curve_envelope_and_log(rosen, default_paths):
    k, _y = F.loss_curve(np.r_[np.linspace(10, 1, 3000), [np.nan] * 5], f_min=0.0, cap=200)
    assert k[0] == 0 and k[-1] == 2999 and len(k) <= 202
    fig = validated(F.loss_spec(default_paths, rosen.f_min))
    assert fig.layout.yaxis.type == "log"
    fig = validated(F.loss_spec(default_paths, None))
    assert fig.layout.yaxis.type == "linear"


def test_loss_values_are_gap_to_minimum():
    vals = np.array([5.0, 3.0, 2.0])
    k, y = F.loss_curve(vals, f_min=2.0)
    assert y[0] == 3.0 and y[-1] == 1e-16 and list(k) == [0, 1, 2]


def test_gradient_field_points_downhill():
    bowl = SURFACES["bowl"]
    origins, vectors = F.gradient_field(bowl.grad, bowl.bounds, n=9)
    assert origins.shape == vectors.shape and origins.shape[1] == 2
    # −∇f points downhill: f decreases along a small step
    f0 = bowl.f(origins)
    f1 = bowl.f(origins + 1e-3 * vectors)
    assert np.all(f1 < f0)
    tr = validated(F.contour_spec(F.map_data(bowl, field=True), []))
    arrows = [t for t in tr.data if t.name == F.Labels().gradient]
    assert len(arrows) == 1 and arrows[0].marker.symbol == "arrow"


def test_arrows_trace_one_trace_with_heads_at_tips():
    tr = F.arrows_trace(np.zeros((3, 2)), np.eye(3, 2), color="red", name="g", style=F.Style())
    assert len(arr(tr["x"])) == 9 and math.isnan(arr(tr["x"])[2])
    assert list(tr["marker"]["size"][:3]) == [0, F.Style().marker_size, 0]


def test_surface3d_animated_and_valid(rosen, default_paths):
    fig = validated(F.surface3d_spec(rosen, default_paths, max_frames=30))
    assert fig.data[0].type == "surface"
    assert 2 <= len(fig.frames) <= 30
    assert all(f.traces == (len(fig.data) - 1,) for f in fig.frames)
    assert fig.layout.scene.uirevision


def test_presenter_style_is_larger():
    big = F.Style.presenter()
    assert big.font_size > F.Style().font_size and big.line_width > F.Style().line_width


def test_empty_figure_without_paths(rosen):
    fig = validated(F.contour_spec(F.map_data(rosen), [], starts=np.array([rosen.start])))
    assert not fig.frames
    assert "current" not in [t.name for t in fig.data]


def test_click_grid_draws_one_marker_but_keeps_every_point(rosen, default_paths):
    fig = validated(F.contour_spec(F.map_data(rosen), default_paths))
    click = next(t for t in fig.data if t.name == "click")
    assert click.marker.maxdisplayed == 1  # one SVG node; hover/click use the data
    assert len(arr(click.x)) == 48 * 48


def test_frames_carry_typed_arrays_that_decode_to_the_path(rosen, default_paths):
    fig = validated(F.contour_spec(F.map_data(rosen), default_paths))
    last = fig.frames[-1]
    cur = last.data[-1]
    assert isinstance(cur.x, dict) and cur.x["dtype"] == "f4"  # no per-array validation
    where = F.map_traces(len(default_paths), fig)
    np.testing.assert_allclose(arr(cur.x), arr(fig.data[where.current].x), rtol=1e-6)
    assert list(arr(cur.customdata)) == [min(300, p.last) for p in default_paths]
    assert F.typed_array(np.arange(3))["dtype"] == "i4"


def test_fast_json_matches_plotly_encoding(rosen, default_paths):
    # the page sends Figure.to_json (no plotly walk); it must decode to what plotly's own
    # encoder writes, arrays included (typed arrays here, plain lists there)
    import json

    import plotly.io as pio

    data = F.map_data(rosen)
    for fig in (
        F.contour_spec(data, default_paths),
        F.loss_spec(default_paths, rosen.f_min),
        F.surface3d_spec(rosen, default_paths, max_frames=5),
    ):
        ours = json.loads(fig.to_json())
        theirs = json.loads(pio.to_json(fig.to_dict(), validate=False))

        def norm(v):
            if isinstance(v, dict) and "bdata" in v:
                a = arr(v)
                if "shape" in v:
                    a = a.reshape([int(n) for n in v["shape"].split(",")])
                return np.asarray(a, dtype=float).tolist()
            if isinstance(v, dict):
                return {k: norm(x) for k, x in v.items()}
            if isinstance(v, list):
                return [norm(x) for x in v]
            return v

        def same(a, b):
            if isinstance(a, dict) and isinstance(b, dict):
                return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
            if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
                # plotly's encoder writes NaN in a list as null; a typed array keeps NaN
                if all(isinstance(x, int | float | None) for x in a + b) and a:
                    a, b = ([np.nan if x is None else x for x in v] for v in (a, b))
                    return np.allclose(a, b, rtol=1e-6, equal_nan=True)
                return all(same(x, y) for x, y in zip(a, b, strict=True))
            return a == b

        assert same(norm(ours), norm(theirs))


def test_figure_functions_return_validated_plotly_figures(rosen, default_paths):
    # the documented interface: arrays in, plotly go.Figure out
    data = F.map_data(rosen)
    for fig, spec in (
        (F.contour_figure(data, default_paths), F.contour_spec(data, default_paths)),
        (F.loss_figure(default_paths, rosen.f_min), F.loss_spec(default_paths, rosen.f_min)),
        (F.surface3d_figure(rosen, default_paths), F.surface3d_spec(rosen, default_paths)),
    ):
        assert isinstance(fig, go.Figure)
        assert [t.type for t in fig.data] == [t["type"] for t in spec.data]
        assert len(fig.frames) == len(spec.frames)


def test_trail_indices_match_their_definition():
    """Bisection on the ascending display indices = the plain definition: the indices in
    (lo, hi) (thinned to ≤ cap), the one before lo's window, and hi."""
    rng = np.random.default_rng(7)
    for _ in range(300):
        idx = np.unique(rng.integers(0, 400, size=rng.integers(1, 120)))
        lo, hi = sorted(int(v) for v in rng.integers(-5, 410, size=2))
        inside = idx[(idx > lo) & (idx < hi)]
        if inside.size > 40:
            inside = inside[:: -(-inside.size // 40)]
        before = idx[idx <= lo][-1:] if lo >= 0 else idx[:0]
        want = np.concatenate([before, inside, [hi]])
        np.testing.assert_array_equal(F.trail_indices(idx, lo, hi), want)


@pytest.mark.parametrize("runs", [1, 4, 6, 8])
def test_loss_legend_is_outside_a_plot_area_of_constant_height(runs, rosen):
    """With up to eight runs the legend takes its own rows above the plot: the figure
    grows by the legend's height, so the plot area keeps its size (it collapsed before)."""
    paths = [
        F.Path(
            name=f"{i + 1} · NAdam (η 0.001)",
            color=F.color(i),
            points=np.zeros((11, 2)),
            values=np.linspace(10.0, 1.0, 11) * (i + 1),
        )
        for i in range(runs)
    ]
    style = F.Style()
    layout = validated(F.loss_spec(paths, rosen.f_min, style=style)).layout
    margin = layout.margin
    plot_height = layout.height - margin.t - margin.b
    assert plot_height == style.side_height - 10  # bottom margin only
    rows = -(-runs // F.LEGEND_COLUMNS)
    assert margin.t >= F.MODEBAR_PX + rows * F.legend_font(style)
    assert layout.legend.entrywidthmode == "fraction" and layout.legend.y == 1.0


def test_mesh_height_is_exact_on_a_plane_and_clamped_outside():
    xs, ys = np.linspace(-2, 2, 9), np.linspace(-1, 3, 5)
    zs = 3 * xs[None, :] - 2 * ys[:, None] + 1
    pts = np.array([[0.3, 0.7], [-1.95, 2.9], [5.0, 0.0], [np.nan, 0.0]])
    z = F.mesh_height(xs, ys, zs, pts)
    assert z[:2] == pytest.approx(3 * pts[:2, 0] - 2 * pts[:2, 1] + 1)
    assert z[2] == pytest.approx(3 * 2 - 2 * 0 + 1)  # the nearest edge
    assert np.isnan(z[3])


def test_3d_paths_are_drawn_above_the_mesh(rosen, default_paths):
    """Every drawn point of every path lies above the drawn (coarse) surface, so no facet
    hides it; the figure is taller than the map."""
    fig = F.surface3d_spec(rosen, default_paths, animate=False)
    mesh = fig.data[0]
    xs, ys, zs = (np.asarray(mesh[k], dtype=np.float64) for k in ("x", "y", "z"))
    lines = [tr for tr in fig.data[1:] if tr.get("mode") == "lines"]
    assert len(lines) == len(default_paths)
    for tr in lines:
        pts = np.column_stack([np.asarray(tr["x"], float), np.asarray(tr["y"], float)])
        under = F.mesh_height(xs, ys, zs, pts)
        assert np.all(np.asarray(tr["z"], float) >= under + 1e-3)
    assert fig.layout["height"] > F.Style().height


def test_frame_steps_at_adds_the_page_step_to_the_usual_frames():
    for steps in (0, 1, 40, 99, 100, 300, 2000):
        usual = F.frame_steps(steps)
        assert list(F.frame_steps_at(steps, None)) == list(usual)
        for k in (0, 1, 5, 49, 50, steps // 3, steps, steps + 7, -3):
            ks = F.frame_steps_at(steps, k)
            assert set(ks) == set(usual) | {min(max(k, 0), steps)}
            assert np.all(np.diff(ks) > 0) and ks[0] == 0 and ks[-1] == steps


def test_map_opened_between_frames_has_a_frame_and_label_at_that_step(rosen, default_paths):
    """A link to a step between the usual frames (5 of 300) opens the player on a frame of
    that very step: the label says 5, not a neighbour, and its markers are at θ_5."""
    assert 5 not in F.frame_steps(300)
    fig = F.contour_spec(F.map_data(rosen), default_paths, initial_step=5)
    slider = fig.layout["sliders"][0]
    assert slider["steps"][slider["active"]]["label"] == "5"
    frame = next(f for f in fig.frames if f["name"] == "k5")
    want = np.array([p.points[5] for p in default_paths])
    np.testing.assert_allclose(
        np.c_[arr(frame["data"][-1]["x"]), arr(frame["data"][-1]["y"])], want, atol=1e-3
    )


def test_3d_view_at_step_k_draws_paths_up_to_k_and_marks_theta_k(rosen, default_paths):
    """The 3-D view at step k: each path's travelled part runs from θ_0 to θ_k (display
    points at steps before k, then θ_k), one marker per path at θ_k, above the mesh; its
    frames are the map's steps (k included), touch only that trace, and it has no player
    of its own. Its whole paths stay drawn (faint) under it."""
    k = 5
    fig = F.surface3d_spec(rosen, default_paths, initial_step=k)
    validated(fig)
    assert "sliders" not in fig.layout and "updatemenus" not in fig.layout
    assert [f["name"] for f in fig.frames] == [f"k{s}" for s in F.frame_steps_at(300, k, 50)]
    assert all(f["traces"] == [len(fig.data) - 1] for f in fig.frames)
    current = fig.data[-1]
    assert current["name"] == "current"
    x, y, z = (np.asarray(current[c], float) for c in "xyz")
    size = arr(current["marker"]["size"])
    run = arr(current["line"]["color"])
    mesh = fig.data[0]
    for j, p in enumerate(default_paths):
        mine = (run == j) & np.isfinite(x)
        pts = np.c_[x[mine], y[mine]]
        np.testing.assert_allclose(pts[0], p.points[0], atol=1e-3)  # from θ_0 ...
        np.testing.assert_allclose(pts[-1], p.points[k], atol=1e-3)  # ... to θ_k, marked
        assert np.flatnonzero(size[mine] > 0).tolist() == [pts.shape[0] - 1]
        near = [np.min(np.linalg.norm(p.points[: k + 1] - q, axis=1)) for q in pts]
        assert max(near) < 1e-3  # every drawn point is one of θ_0..θ_k
        under = F.mesh_height(*(np.asarray(mesh[c], float) for c in "xyz"), pts)
        assert np.all(z[mine] >= under + 1e-3)
    frame = next(f for f in fig.frames if f["name"] == f"k{k}")
    np.testing.assert_allclose(arr(frame["data"][0]["x"]), x.astype(np.float32), equal_nan=True)
    faint = [tr for tr in fig.data if tr.get("mode") == "lines"]
    assert len(faint) == len(default_paths) and all(tr["opacity"] < 1 for tr in faint)


def test_3d_mesh_is_shared_and_coarse(rosen, default_paths):
    """A mesh sampled once (what the page caches) draws the same figure as sampling it
    inside; the default mesh is coarse (its size drives the 3-D view's first draw)."""
    data = F.map_data(rosen)
    mesh = F.surface_mesh(rosen, data.levels)
    assert mesh.z.shape == (F.MESH_RESOLUTION, F.MESH_RESOLUTION) and F.MESH_RESOLUTION <= 48
    own = F.surface3d_spec(rosen, default_paths, levels=data.levels, initial_step=9)
    shared = F.surface3d_spec(rosen, default_paths, mesh=mesh, initial_step=9)
    assert own.to_json() == shared.to_json()
