"""The data-fitting view of mini-batch runs (optviz.drawing.studies.fit_spec): the data
points of step k's batch are circled in the run's colour, at the step the view opens on
and in every animation frame."""

from __future__ import annotations

import numpy as np
import pytest

from optviz import OPTIMIZERS, run
from optviz.drawing.studies import fit_figure, fit_spec, frame_name
from surfaces import SURFACES

LINE = SURFACES["linear_regression"]
X, Y = np.array(LINE.params["x"]), np.array(LINE.params["y"])
STEPS = 40


@pytest.fixture(scope="module")
def runs():
    """Full-batch Adam, SGD on batches of 4 (the last batch of an epoch has 2), momentum
    on batches of 7."""
    return [
        run(LINE, OPTIMIZERS["adam"](lr=0.1), LINE.start, STEPS),
        run(LINE, OPTIMIZERS["sgd"](lr=0.05), LINE.start, STEPS, batch_size=4, batch_seed=3),
        run(LINE, OPTIMIZERS["momentum"](lr=0.02), LINE.start, STEPS, batch_size=7),
    ]


def figure(runs, **kwargs):
    lines = [t.points[:, 0] for t in runs]
    frames = list(range(0, STEPS + 1, 3))
    return fit_spec(
        X,
        Y,
        lines,
        ["1 Adam", "2 SGD", "3 Momentum"],
        ["red", "blue", "green"],
        LINE.params["solution"],
        frames,
        batches=[t.batches for t in runs],
        **kwargs,
    )


@pytest.mark.parametrize("k", [0, 7, 8, 13, STEPS])
def test_the_view_opens_on_step_k_with_its_batch_circled(runs, k):
    fig = figure(runs, initial_step=k)
    rings = fig.data[5:]
    assert len(rings) == 2  # the full-batch run has none
    for ring, traj, color in zip(rings, runs[1:], ["blue", "green"], strict=True):
        idx = traj.batches.indices(k)
        np.testing.assert_array_equal(ring["x"], X[idx])
        np.testing.assert_array_equal(ring["y"], Y[idx])
        assert ring["marker"]["line"]["color"] == color
    # the lines too are drawn at step k (exactly, also between frames)
    ends = np.asarray(fig.data[1]["x"])
    for trace, traj in zip(fig.data[2:5], runs, strict=True):
        w, b = traj.points[k, 0]
        np.testing.assert_allclose(trace["y"], w * ends + b)
    frames = list(range(0, STEPS + 1, 3))
    slider = fig.layout["sliders"][0]
    assert frames[slider["active"]] == max(s for s in frames if s <= k)


def test_every_frame_circles_its_steps_batch(runs):
    fig = figure(runs)
    for frame, s in zip(fig.frames, range(0, STEPS + 1, 3), strict=True):
        assert frame["name"] == frame_name(s)
        assert frame["traces"] == [2, 3, 4, 5, 6]
        for ring, traj in zip(frame["data"][3:], runs[1:], strict=True):
            idx = traj.batches.indices(s)
            np.testing.assert_array_equal(ring["x"], X[idx])
            np.testing.assert_array_equal(ring["y"], Y[idx])


def test_full_batch_runs_draw_no_rings_and_validate(runs):
    lines = [t.points[:, 0] for t in runs[:1]]
    plain = fit_spec(X, Y, lines, ["a"], ["red"], LINE.params["solution"], [0, 5])
    assert len(plain.data) == 3 and all(f["traces"] == [2] for f in plain.frames)
    args = (X, Y, [t.points[:, 0] for t in runs], ["a", "b", "c"], ["red", "blue", "green"])
    validated = fit_figure(
        *args, LINE.params["solution"], [0, 5, 10], "ja", batches=[t.batches for t in runs]
    )
    ring = "このステップのミニバッチ"
    assert [d.name for d in validated.data[5:]] == [f"b: {ring}", f"c: {ring}"]
    with pytest.raises(ValueError):
        fit_spec(*args, LINE.params["solution"], [0], batches=[None])
