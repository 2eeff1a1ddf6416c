"""Exports: CSV/JSON round trips, HTML, images, GIF, and the PyTorch script."""

from __future__ import annotations

import ast
import csv
import dataclasses
import io
import itertools
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import pytest
import sympy as sp

from optviz import OPTIMIZERS, run
from optviz import exports as ex
from optviz.drawing import figures as F
from optviz.drawing import render
from optviz.schedules import cosine_annealing_lr, exponential_lr, linear_warmup, step_lr
from surfaces import SURFACES, Surface, make_bowl, make_linear_regression

BOWL = SURFACES["bowl"]


def _run(surface, key, start=None, steps=30, noise=0.0, seed=None, color="#1f77b4", **kw):
    optimizer = OPTIMIZERS[key](**kw)
    start = surface.start if start is None else start
    traj = run(surface, optimizer, starts=start, steps=steps, noise=noise, seed=seed)
    return ex.ExportRun(f"{key} {kw}", optimizer, traj, noise=noise, seed=seed, color=color)


@pytest.fixture(scope="module")
def runs():
    return [
        _run(BOWL, "adam", lr=0.1, color="#e41a1c"),
        _run(BOWL, "sgd", start=[[-4.0, 2.0], [1.0, 0.0]], lr=0.3),  # path 0 diverges
        _run(BOWL, "sgd", lr=exponential_lr(0.05, 0.99), noise=0.5, seed=1, color="green"),
    ]


def test_csv_round_trip(runs):
    text = ex.trajectories_csv(runs)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert tuple(rows[0]) == ex.CSV_COLUMNS
    assert len(rows) == sum(r.trajectory.values.size for r in runs)
    for run_ in runs:
        traj = run_.trajectory
        mine = [row for row in rows if row["run"] == run_.label]
        for row in mine:
            path, step = int(row["path"]), int(row["step"])
            assert row["optimizer"] == run_.optimizer.name
            got = [float(row[c]) for c in ("x", "y", "loss", "gx", "gy")]
            want = [*traj.points[step, path], traj.values[step, path], *traj.grads[step, path]]
            np.testing.assert_array_equal(got, want)  # exact, NaN included
            at = traj.diverged_at[path]
            assert row["diverged"] == str(int(at >= 0 and step >= at))
    assert any(row["diverged"] == "1" for row in rows)


def test_json_round_trip(runs):
    meta = {"surface": "bowl", "surface_params": {"condition": 10.0}, "start": (-4.0, 2.0)}
    doc = json.loads(ex.trajectories_json(runs, {**meta, "steps": 30}))
    assert doc["meta"]["surface"] == "bowl" and doc["meta"]["start"] == [-4.0, 2.0]
    assert doc["meta"]["steps"] == 30 and "numpy" in doc["meta"]["versions"]
    assert [r["label"] for r in doc["runs"]] == [r.label for r in runs]
    adam, sgd, scheduled = doc["runs"]
    assert adam["name"] == "Adam" and adam["hyperparams"]["lr"] == 0.1
    assert adam["hyperparams"]["betas"] == [0.9, 0.999]
    assert scheduled["hyperparams"]["lr"] == {"kind": "exponential", "lr": 0.05, "gamma": 0.99}
    assert scheduled["noise"] == 0.5 and scheduled["seed"] == 1
    assert sgd["diverged_at"][0] is not None and sgd["diverged_at"][1] is None
    for entry, run_ in zip(doc["runs"], runs, strict=True):
        traj = run_.trajectory
        for row in entry["steps"]:
            path, step = row["path"], row["step"]
            for name, value in zip(
                ("x", "y", "loss"), (*traj.points[step, path], traj.values[step, path]), strict=True
            ):
                if math.isnan(value):
                    assert row[name] is None
                else:
                    assert row[name] == value


@pytest.fixture(scope="module")
def batch_runs():
    """Mini-batch runs on the line fit (4 does not divide 13; noise on top in the second)
    and a full-batch run beside them."""
    surface = make_linear_regression(n=13, seed=5)
    start = np.array([surface.start, np.asarray(surface.start) + 0.4])
    specs = [
        ("sgd", {"lr": 0.05}, dict(batch_size=4, batch_seed=3, seed=3)),
        ("adam", {"lr": 0.1}, dict(batch_size=1, batch_seed=7, noise=0.3, seed=7)),
        ("sgd", {"lr": 0.05}, {}),
    ]
    out = []
    for i, (key, kw, how) in enumerate(specs):
        optimizer = OPTIMIZERS[key](**kw)
        traj = run(surface, optimizer, starts=start, steps=20, **how)
        out.append(
            ex.ExportRun(f"{i} {key}", optimizer, traj, how.get("noise", 0.0), how.get("seed"))
        )
    return surface, start, out


def test_csv_records_each_runs_batches_noise_and_seed(batch_runs):
    """Read back: a mini-batch run's size and seed on every row, each step's batch the
    points its gradient was taken on (the gradient of the mean over exactly those points);
    a full-batch run's batch cells are empty."""
    surface, _, runs_ = batch_runs
    rows = list(csv.DictReader(io.StringIO(ex.trajectories_csv(runs_))))
    by_run = {r.label: [row for row in rows if row["run"] == r.label] for r in runs_}
    for run_ in runs_[:2]:
        batches, traj = run_.trajectory.batches, run_.trajectory
        mine = by_run[run_.label]
        assert {row["batch_size"] for row in mine} == {str(batches.size)}
        assert {row["batch_seed"] for row in mine} == {str(batches.seed)}
        assert {row["seed"] for row in mine} == {str(run_.seed)}
        assert {float(row["noise"]) for row in mine} == {run_.noise}
        for row in mine:
            path, step = int(row["path"]), int(row["step"])
            batch = [int(i) for i in row["batch"].split()]
            assert batch == batches.indices(step).tolist()
            if run_.noise == 0:  # the row's gradient is the mean over its batch
                want = surface.data.grad(traj.points[step, path], np.array(batch))
                np.testing.assert_allclose([float(row["gx"]), float(row["gy"])], want, rtol=1e-12)
    sizes = {len(row["batch"].split()) for row in by_run[runs_[0].label]}
    assert sizes == {4, 1}  # an epoch of 13 points: three batches of 4 and one of 1
    full = by_run[runs_[2].label]
    assert all(row["batch"] == row["batch_size"] == row["batch_seed"] == "" for row in full)
    assert all(row["seed"] == "" and float(row["noise"]) == 0 for row in full)


def test_json_records_what_runs_a_mini_batch_run_again(batch_runs):
    """Each run's batch size, batch seed, noise and seed read back from the JSON run it
    again to the same path; each step's batch is the one its gradient was taken on."""
    surface, start, runs_ = batch_runs
    doc = json.loads(ex.trajectories_json(runs_, {"surface": "linear_regression"}))
    for entry, run_ in zip(doc["runs"], runs_, strict=True):
        traj = run_.trajectory
        again = run(
            surface,
            OPTIMIZERS[entry["optimizer"]](**entry["hyperparams"]),
            starts=start,
            steps=20,
            noise=entry["noise"],
            seed=entry["seed"],
            batch_size=entry["batch_size"],
            batch_seed=entry["batch_seed"] if entry["batch_seed"] is not None else 0,
        )
        np.testing.assert_array_equal(again.points, traj.points)
        for row in entry["steps"]:
            if traj.batches is None:
                assert row["batch"] is None
            else:
                assert row["batch"] == traj.batches.indices(row["step"]).tolist()
    mini, noisy, full = doc["runs"]
    assert (mini["batch_size"], mini["batch_seed"], mini["noise"]) == (4, 3, 0.0)
    assert (noisy["batch_size"], noisy["batch_seed"], noisy["seed"]) == (1, 7, 7)
    assert (full["batch_size"], full["batch_seed"], full["seed"]) == (None, None, None)
    # without the batch size the run is another one: the record is needed
    other = run(surface, OPTIMIZERS["sgd"](lr=0.05), starts=start, steps=20)
    assert not np.allclose(other.points[-1], runs_[0].trajectory.points[-1])


def _figure():
    frames = [go.Frame(data=[go.Scatter(x=[0, k], y=[0, k])], name=str(k)) for k in range(3)]
    return go.Figure(data=[go.Scatter(x=[0], y=[0])], frames=frames)


def test_figure_html_is_standalone_with_frames():
    html = render.figure_html(_figure())
    assert "<html" in html[:100].lower() and html.rstrip().endswith("</html>")
    assert "Plotly.newPlot" in html and len(html) > 1_000_000  # plotly.js is inline
    assert "Plotly.addFrames" in html and '"name":"2"' in html
    assert '<script src="https://cdn.plot.ly' not in html


def _chromium_expected() -> bool:
    return Path(render.DEFAULT_CHROMIUM).is_file() or bool(os.environ.get("CI"))


@pytest.mark.skipif(not _chromium_expected(), reason="no Chromium (and not on CI)")
def test_figure_png_and_svg():
    fig = _figure()
    png = render.figure_image(fig, "png", scale=1, width=300, height=200)
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = render.figure_image(fig, "svg")
    assert b"<svg" in svg[:500]


def test_figure_image_errors(monkeypatch):
    with pytest.raises(ValueError):
        render.figure_image(_figure(), "jpg")
    monkeypatch.setattr(render, "chromium_path", lambda: None)
    with pytest.raises(RuntimeError, match="Chromium"):
        render.figure_image(_figure(), "png")


def _paths(runs):
    """The runs as the map draws them (first path of each), named and coloured as on the page."""
    return [
        F.Path(
            r.label,
            r.color,
            r.trajectory.points[:, 0],
            r.trajectory.values[:, 0],
            int(r.trajectory.diverged_at[0]),
        )
        for r in runs
    ]


def _handout(surface, runs, labels=None):
    labels = labels or F.Labels()
    return F.handout_spec(F.map_data(surface), _paths(runs), labels=labels)


def _frames(gif: bytes) -> list[np.ndarray]:
    from PIL import Image, ImageSequence

    image = Image.open(io.BytesIO(gif))
    return [np.asarray(f.convert("RGB")) for f in ImageSequence.Iterator(image)]


@pytest.mark.parametrize("frames", [1, 7, 60])
def test_gif_frames(runs, frames):
    from PIL import Image

    fig = _handout(BOWL, runs)
    data = render.descent_gif(fig, steps=30, frames=frames, size=(320, 240), fps=10)
    assert data[:6] in (b"GIF87a", b"GIF89a")
    image = Image.open(io.BytesIO(data))
    assert image.n_frames == frames
    assert image.size == (320, 240)


def test_gif_log_surface_and_short_run():
    rosen = SURFACES["rosenbrock"]
    short = [_run(rosen, "adam", steps=3, lr=0.05, color="rgb(200, 10, 10)")]
    from PIL import Image

    gif = render.descent_gif(_handout(rosen, short), steps=3, frames=20)
    image = Image.open(io.BytesIO(gif))
    assert image.n_frames == 20  # more frames than steps: the progress bar keeps them apart
    frames = _frames(gif)
    assert all(not np.array_equal(a, b) for a, b in itertools.pairwise(frames))


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_handout_legend_names_the_runs_in_their_colours(runs, lang):
    labels = F.Labels(minimum="最小点" if lang == "ja" else "minimum")
    fig = _handout(BOWL, runs, labels).to_plotly()  # validated by plotly
    named = [(t.name, t.line.color) for t in fig.data if t.showlegend and t.mode == "lines"]
    assert named == [(r.label, r.color) for r in runs]
    assert labels.minimum in [t.name for t in fig.data if t.showlegend is not False]
    assert fig.layout.showlegend and fig.layout.legend.y > 1  # above the plot
    assert "Noto Sans CJK JP" in fig.layout.font.family  # Japanese and Greek glyphs
    assert not fig.frames and not fig.layout.updatemenus and not fig.layout.sliders
    assert "click" not in [t.name for t in fig.data]


def test_handout_background_is_the_maps(runs):
    """PNG, SVG and GIF draw the page's bands: the same levels and colour scale."""
    from PIL import ImageColor

    page = F.map_data(BOWL)
    sharp = F.map_data(BOWL, resolution=720, levels=page.levels)
    assert sharp.levels == page.levels
    fig = F.handout_spec(sharp, _paths(runs))
    (image,) = fig.layout["images"]
    assert image["source"] == sharp.image_uri
    bands = {tuple(c) for c in F.band_colors(page.levels.n)}
    bands |= {tuple((np.asarray(c) * 0.8).astype(np.uint8)) for c in bands}  # iso-lines
    for rgb in _frames(render.descent_gif(fig, steps=30, frames=2))[-1:]:
        colours, counts = np.unique(rgb.reshape(-1, 3), axis=0, return_counts=True)
        common = {tuple(c) for c, n in zip(colours, counts, strict=True) if n > 0.002 * rgb.size}
        allowed = bands | {ImageColor.getrgb(r.color)[:3] for r in runs}
        allowed = np.array([*allowed, (255, 255, 255), (51, 51, 51)], dtype=float)  # + text
        for c in common:  # within the GIF palette's rounding of a colour the map uses
            assert np.abs(allowed - np.asarray(c, float)).max(axis=1).min() <= 6, c


def test_gif_legend_and_paths_in_the_run_colours(runs):
    """Each run's colour appears in the legend strip above the plot and on its path."""
    from PIL import ImageColor

    gif = render.descent_gif(_handout(BOWL, runs), steps=30, frames=3, size=(800, 700))
    last = _frames(gif)[-1]
    for r in runs:
        rgb = np.array(ImageColor.getrgb(r.color)[:3])
        hits = np.argwhere(np.all(last == rgb, axis=-1))
        assert hits.size, r.color
        assert hits[:, 0].min() < 60  # in the legend at the top
        assert hits[:, 0].max() > 100  # and on the map


def test_gif_font_has_japanese_and_greek():
    path = render.font_file()
    if path is None and not os.environ.get("CI"):
        pytest.skip("no CJK font installed (scripts/test.sh installs fonts-noto-cjk)")
    from PIL import ImageFont

    font = ImageFont.truetype(path, 20)
    for ch in "試行η∇θ":
        assert font.getmask(ch).getbbox() is not None, ch  # drawn, not an empty box
    assert font.getbbox("試") != font.getbbox("\uffff")


# ---------------------------------------------------------------------------------------
# PyTorch script


def _formula_surface():
    x, y = sp.symbols("x y")
    expr = x**2 / 4 + 3 * y**2 / 2 - x * y / 2 + sp.sin(x) / 2
    f = sp.lambdify((x, y), expr, "numpy")
    gx, gy = (sp.lambdify((x, y), sp.diff(expr, v), "numpy") for v in (x, y))

    def value(p):
        p = np.asarray(p, dtype=float)
        return f(p[..., 0], p[..., 1])

    def grad(p):
        p = np.asarray(p, dtype=float)
        return np.stack(np.broadcast_arrays(gx(p[..., 0], p[..., 1]), gy(p[..., 0], p[..., 1])), -1)

    return Surface(
        name="formula",
        f=value,
        grad=grad,
        bounds=((-3.0, 3.0), (-3.0, 3.0)),
        start=(2.0, 1.5),
        params={"expression": "x^2/4 + 3*y^2/2 - x*y/2 + sin(x)/2", "sympy": expr},
    )


CASES = {
    "rosenbrock": (
        SURFACES["rosenbrock"],
        [
            ("adam", {"lr": 0.02}, 0.0),
            ("rmsprop", {"lr": 1e-3, "centered": True, "momentum": 0.5}, 0.0),
            ("lion", {"lr": 0.01, "weight_decay": 0.1}, 0.0),
        ],
    ),
    "bowl_rotated": (
        make_bowl(condition=20.0, angle_deg=30.0),
        [
            ("sgd", {"lr": cosine_annealing_lr(0.05, T_max=40)}, 0.0),
            ("nesterov", {"lr": linear_warmup(0.02, warmup_steps=10)}, 0.0),
            ("adagrad", {"lr": step_lr(0.5, step_size=15, gamma=0.5), "lr_decay": 0.01}, 0.0),
            ("momentum", {"lr": 0.01}, 0.3),
            ("rprop", {"lr": 0.01, "etas": (0.4, 1.3)}, 0.0),
            ("adafactor", {"lr": 0.05, "weight_decay": 0.01}, 0.0),
        ],
    ),
    "regression": (
        make_linear_regression(n=12, seed=3),
        [
            ("adamw", {"lr": 0.05, "amsgrad": True}, 0.0),
            ("nadam", {"lr": 0.05, "decoupled_weight_decay": True, "weight_decay": 0.1}, 0.0),
            ("adadelta", {"lr": 1.0}, 0.0),
            ("adafactor", {"lr": 0.1, "d": 2.0}, 0.2),
        ],
    ),
    "multimodal": (
        SURFACES["himmelblau"],
        [
            ("radam", {"lr": 0.01, "betas": (0.8, 0.99)}, 0.0),
            ("adamax", {"lr": 0.01}, 0.5),
            ("sgd", {"lr": 1e-3, "maximize": False, "weight_decay": 0.01}, 0.0),
        ],
    ),
    "formula": (_formula_surface(), [("adam", {"lr": 0.05}, 0.1), ("sgd", {"lr": 0.1}, 0.0)]),
}


def _typed_formula_cases():
    try:
        from surfaces.expression import from_expression
    except ImportError:
        return {}
    texts = ["x^2 + 3*y^2 - x*y", "log10(1 + x^2) + abs(y)^1.5 + sqrt(x^2 + y^2 + 1) + pi*e*x/10"]
    return {
        f"typed{i}": (from_expression(text), [("adam", {"lr": 0.05}, 0.0)])
        for i, text in enumerate(texts)
    }


CASES.update(_typed_formula_cases())


@pytest.mark.parametrize("case", list(CASES))
def test_pytorch_script_lands_on_the_same_points(case, tmp_path):
    pytest.importorskip("torch")
    surface, specs = CASES[case]
    steps = 60
    start = np.array([surface.start, np.asarray(surface.start) + 0.3])
    runs_ = [
        _run(surface, key, start=start, steps=steps, noise=noise, seed=7 + i, **kw)
        for i, (key, kw, noise) in enumerate(specs)
    ]
    script = ex.pytorch_script(surface, start, steps, runs_)
    compile(script, "script.py", "exec")
    path = tmp_path / "script.py"
    path.write_text(script)
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, check=True
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("final[")]
    assert len(lines) == len(runs_)
    for line, run_ in zip(lines, runs_, strict=True):
        _, rest = re.match(r"final\[(\d+)\] (.*)$", line).groups()
        got = np.array(ast.literal_eval(rest[rest.rindex(": ") + 2 :]))
        want = run_.trajectory.points[-1]
        assert np.all(np.isfinite(want))
        scale = np.maximum(np.abs(want), 1.0)
        assert np.max(np.abs(got - want) / scale) < 1e-9, (run_.label, got, want)


def _script_finals(script: str, tmp_path) -> list[np.ndarray]:
    """Run an exported script in a subprocess; the final points it prints, run by run."""
    path = tmp_path / "script.py"
    path.write_text(script)
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, check=True
    )
    lines = [line for line in out.stdout.splitlines() if line.startswith("final[")]
    return [np.array(ast.literal_eval(line[line.rindex(": ") + 2 :])) for line in lines]


def test_pytorch_script_reproduces_mini_batch_runs(tmp_path):
    pytest.importorskip("torch")
    surface = make_linear_regression(n=13, seed=5)
    start = np.array([surface.start, np.asarray(surface.start) + 0.4])
    steps = 40  # 4 does not divide 13: every epoch ends on a batch of one point
    specs = [
        ("sgd", {"lr": 0.05}, dict(batch_size=4, batch_seed=3)),
        ("adam", {"lr": 0.1}, dict(batch_size=1, batch_seed=0, noise=0.3, seed=11)),
        ("momentum", {"lr": 0.02}, dict(batch_size=13, batch_seed=2)),
        ("rmsprop", {"lr": 0.01}, dict(batch_size=5, batch_seed=2**31 - 1)),
    ]
    runs_ = []
    for key, kw, how in specs:
        optimizer = OPTIMIZERS[key](**kw)
        traj = run(surface, optimizer, starts=start, steps=steps, **how)
        assert traj.batches is not None and traj.batches.size == how["batch_size"]
        runs_.append(ex.ExportRun(key, optimizer, traj, how.get("noise", 0.0), how.get("seed")))
    full = run(surface, OPTIMIZERS["sgd"](lr=0.05), starts=start, steps=steps)
    # the mini-batch paths are not the full-batch path: the batches matter
    assert np.max(np.abs(runs_[0].trajectory.points[-1] - full.points[-1])) > 1e-3
    script = ex.pytorch_script(surface, start, steps, runs_)
    assert "batch_size=4, batch_seed=3" in script
    finals = _script_finals(script, tmp_path)
    assert len(finals) == len(runs_)
    for got, run_ in zip(finals, runs_, strict=True):
        want = run_.trajectory.points[-1]
        assert np.all(np.isfinite(want))
        scale = np.maximum(np.abs(want), 1.0)
        assert np.max(np.abs(got - want) / scale) < 1e-12, (run_.label, got, want)


def test_pytorch_script_refuses_mini_batches_without_a_torch_version():
    surface = make_linear_regression(n=10, seed=1)
    optimizer = OPTIMIZERS["sgd"](lr=0.05)
    traj = run(surface, optimizer, starts=[0.0, 0.0], steps=3, batch_size=2)
    other = dataclasses.replace(surface, name="my_data_loss")
    with pytest.raises(ValueError, match="mini-batches"):
        ex.pytorch_script(other, [0.0, 0.0], 3, [ex.ExportRun("s", optimizer, traj)])


@pytest.mark.parametrize("key", sorted(SURFACES))
def test_every_catalog_surface_has_a_torch_version(key):
    torch = pytest.importorskip("torch")
    surface = SURFACES[key]
    namespace = {"torch": torch, "math": math}
    exec("\n".join(ex.surface_torch(surface)), namespace)
    rng = np.random.default_rng(0)
    (x0, x1), (y0, y1) = surface.bounds
    points = np.stack([rng.uniform(x0, x1, 20), rng.uniform(y0, y1, 20)], axis=-1)
    with torch.no_grad():
        got = namespace["f"](torch.tensor(points, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, surface.f(points), rtol=1e-10, atol=1e-10)


def test_script_rejects_batched_sweeps():
    optimizer = OPTIMIZERS["sgd"](lr=np.array([[0.1], [0.2]]))
    traj = run(BOWL, optimizer, starts=[[-4.0, 2.0], [-4.0, 2.0]], steps=3)
    with pytest.raises(ValueError):
        ex.pytorch_script(BOWL, [[-4.0, 2.0], [-4.0, 2.0]], 3, [ex.ExportRun("s", optimizer, traj)])


@pytest.mark.parametrize("convention", ["keras", "textbook"])
def test_pytorch_script_refuses_other_conventions(convention):
    from optviz import CONVENTIONS

    optimizer = CONVENTIONS[convention]["adam"]()
    traj = run(BOWL, optimizer, starts=[-4.0, 2.0], steps=3)
    with pytest.raises(ValueError, match=convention):
        ex.pytorch_script(BOWL, [-4.0, 2.0], 3, [ex.ExportRun("a", optimizer, traj)])


def test_pytorch_script_keeps_a_label_out_of_the_code():
    optimizer = OPTIMIZERS["sgd"](lr=0.1)
    traj = run(BOWL, optimizer, starts=[-4.0, 2.0], steps=3)
    label = 'x\nimport os\r\nos.system("echo PWNED")'
    script = ex.pytorch_script(BOWL, [-4.0, 2.0], 3, [ex.ExportRun(label, optimizer, traj)])
    imports = {
        alias.name
        for node in ast.walk(ast.parse(script))
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    assert "os" not in imports
    assert "# x import os os.system(" in script
