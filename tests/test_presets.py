"""Every lecture preset is well-formed and really shows what its explanation claims."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from optviz import CONVENTIONS, run
from optviz.presets import PRESETS, PRESETS_BY_KEY
from surfaces import SURFACE_PARAMS, SURFACES, from_expression

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def surface_of(preset):
    if preset.formula:
        return from_expression(preset.formula, preset.bounds)
    if preset.surface_params:
        factory, _ = SURFACE_PARAMS[preset.surface]
        return factory(**dict(preset.surface_params))
    return SURFACES[preset.surface]


def runs_of(key):
    """Run every run of preset ``key``; returns (surface, [Trajectory, ...])."""
    preset = PRESETS_BY_KEY[key]
    surface = surface_of(preset)
    trajectories = [
        run(
            surface,
            CONVENTIONS[r.convention][r.optimizer](**dict(r.kwargs)),
            preset.start,
            preset.steps,
            noise=r.noise,
            seed=r.seed,
        )
        for r in preset.runs
    ]
    return surface, trajectories


def test_at_least_ten_presets_with_unique_keys():
    assert len(PRESETS) >= 10
    assert len(PRESETS_BY_KEY) == len(PRESETS)


@pytest.mark.parametrize("preset", PRESETS, ids=[p.key for p in PRESETS])
def test_preset_is_well_formed(preset):
    assert preset.title_en and preset.text_en.count(".") >= 2
    assert JAPANESE.search(preset.title_ja) and JAPANESE.search(preset.text_ja)
    surface = surface_of(preset)
    (x0, x1), (y0, y1) = surface.bounds
    assert x0 <= preset.start[0] <= x1 and y0 <= preset.start[1] <= y1
    assert 1 <= preset.steps <= 5000 and 0 <= preset.focus_step <= preset.steps
    for r in preset.runs:
        CONVENTIONS[r.convention][r.optimizer](**dict(r.kwargs))  # valid keyword arguments


def test_sgd_zigzag():
    _, (fast, slow) = runs_of("sgd_zigzag")
    y_fast, y_slow = fast.points[:20, 0, 1], slow.points[:20, 0, 1]
    assert np.sum(np.diff(np.sign(y_fast)) != 0) >= 15  # bounces wall to wall
    assert np.all(np.sign(y_slow[1:]) == np.sign(y_slow[0]))  # no bouncing
    assert abs(slow.points[-1, 0, 0]) > 50 * abs(fast.points[-1, 0, 0])  # but stuck in x
    assert -1.3 < slow.points[-1, 0, 0] < -1.1  # the text: "still at about x = −1.2"
    assert abs(fast.points[-1, 0, 0]) < 0.05  # the text: "has reached the bottom"


def test_momentum_overshoots_and_arrives_sooner():
    _, (sgd, heavy) = runs_of("momentum_overshoot")
    assert np.max(sgd.points[:, 0, 0]) < 0  # SGD never passes x = 0
    assert np.max(heavy.points[:, 0, 0]) > 0.5  # momentum overshoots the minimum
    assert heavy.values[-1, 0] < sgd.values[-1, 0] / 100


def test_nesterov_damps_the_overshoot():
    _, (heavy, nesterov) = runs_of("nesterov_vs_momentum")
    assert np.max(nesterov.points[:, 0, 0]) < np.max(heavy.points[:, 0, 0])
    assert nesterov.values[-1, 0] < heavy.values[-1, 0] / 10


def test_adagrad_steps_collapse():
    _, (adagrad,) = runs_of("adagrad_shrinking")
    steps = np.linalg.norm(np.diff(adagrad.points[:, 0], axis=0), axis=1)
    assert np.all(steps[10:] < steps[0] / 20)
    ratio = np.abs(adagrad.grads[:-1, 0]) / np.sqrt(adagrad.states.sum[1:, 0])  # |g| / √Σg²
    assert np.all(ratio[0] == 1.0) and np.all(ratio[-1] < 0.05)
    assert adagrad.values[-1, 0] > 1.0  # far from the minimum after 1,000 steps


def test_rmsprop_and_adadelta_get_much_further_than_adagrad():
    _, (adagrad, rmsprop, adadelta) = runs_of("rmsprop_adadelta_fix")
    assert rmsprop.values[-1, 0] < adagrad.values[-1, 0] / 5
    assert adadelta.values[-1, 0] < adagrad.values[-1, 0] / 5


def test_adam_first_step_is_lr_sign_g():
    _, (adam, sgd) = runs_of("adam_bias_correction")
    g0 = adam.grads[0, 0]
    assert abs(g0[1]) >= 5 * abs(g0[0])
    np.testing.assert_allclose(adam.points[1, 0] - adam.points[0, 0], -0.3 * np.sign(g0))
    step = sgd.points[1, 0] - sgd.points[0, 0]
    np.testing.assert_allclose(step, -0.03 * sgd.grads[0, 0])


def test_saddle_escape():
    _, (sgd, heavy, adam, noisy) = runs_of("saddle_escape")
    assert np.linalg.norm(sgd.points[-1, 0]) < 0.1  # lingers at the saddle point
    for escaped in (heavy, adam, noisy):
        assert abs(escaped.points[-1, 0, 1]) > 0.3
        assert escaped.values[-1, 0] < sgd.values[-1, 0]


def test_divergence_threshold():
    surface, (stable, unstable) = runs_of("divergence")
    lam_max = max(surface.params["eigenvalues"])
    assert 0.19 < 2 / lam_max < 0.22
    assert stable.diverged_at[0] == -1 and stable.values[-1, 0] < 1e-6
    assert unstable.diverged_at[0] > 0


def test_rastrigin_local_minima():
    surface, (sgd, heavy, adam) = runs_of("rastrigin_local_minima")
    finals = [t.values[-1, 0] for t in (sgd, heavy, adam)]
    assert all(f > surface.f_min + 1 for f in finals)  # nobody finds the global minimum
    assert finals[1] < finals[0] and finals[2] < finals[0]  # big steps end lower
    for t in (sgd, heavy, adam):  # each settles at a stationary point (a local minimum)
        assert np.linalg.norm(surface.grad(t.points[-1, 0])) < 1e-3


def test_line_fit_ordering_and_solution():
    surface, (sgd, heavy, adam) = runs_of("line_fit")
    gaps = [t.values[-1, 0] - surface.f_min for t in (sgd, heavy, adam)]
    assert gaps[1] < gaps[0] < gaps[2]
    np.testing.assert_allclose(heavy.points[-1, 0], surface.minima[0], atol=0.02)


def test_rosenbrock_race_ordering():
    _, (sgd, heavy, rmsprop, adam) = runs_of("rosenbrock_race")
    final = [t.values[-1, 0] for t in (sgd, heavy, rmsprop, adam)]
    assert final[3] < final[1] < final[0]
    assert final[2] < final[0]


def _book_references():
    """The book's figure in tests/data/conventions/textbook.json: key -> (lr, positions),
    made by the book's own common/optimizer.py on the same function."""
    doc = json.loads((Path(__file__).parent / "data" / "conventions" / "textbook.json").read_text())
    figure = [c for c in doc["cases"] if c["start"] == [-7.0, 2.0]]
    assert {c["formula"] for c in figure} == {"x**2/20 + y**2"}
    return {c["key"]: (c["kwargs"]["lr"], np.array(c["positions"])) for c in figure}


def test_book_figure_draws_the_books_four_paths():
    """The preset (a typed formula, the textbook convention) reproduces the paths of the
    book's own code to 1e-12, run by run, in the book's order."""
    preset = PRESETS_BY_KEY["book_figure"]
    refs = _book_references()
    assert [r.optimizer for r in preset.runs] == ["sgd", "momentum", "adagrad", "adam"]
    assert {r.convention for r in preset.runs} == {"textbook"}
    assert (preset.start, preset.steps) == ((-7.0, 2.0), 30)
    _, trajectories = runs_of("book_figure")
    for r, traj in zip(preset.runs, trajectories, strict=True):
        lr, expected = refs[r.optimizer]
        assert dict(r.kwargs) == {"lr": lr}
        got = traj.points[:, 0]
        gap = np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1.0))
        assert gap < 1e-12, (r.optimizer, gap)


def test_book_figure_shows_what_its_text_says():
    surface, (sgd, momentum, adagrad, adam) = runs_of("book_figure")
    y = sgd.points[:, 0, 1]
    assert np.all(np.diff(np.sign(y)) != 0)  # SGD crosses the valley at every step
    assert abs(sgd.points[-1, 0, 0] - (-0.35)) < 0.005  # still at x ≈ −0.35
    assert np.max(momentum.points[:, 0, 0]) > 0.5  # overshoots the bottom along x
    finals = [float(surface.f(t.points[-1, 0])) for t in (sgd, momentum, adagrad, adam)]
    assert min(finals) == finals[2]  # AdaGrad ends closest to the minimum
    ya = adagrad.points[1:, 0, 1]
    assert np.all(ya >= 0)  # no zig-zag in y at all
    swings = [int(np.sum(np.diff(np.sign(t.points[:, 0, 1])) != 0)) for t in (momentum, adam)]
    assert swings[1] < swings[0]  # Adam swings less than momentum


def test_book_figure_in_pytorch_is_the_same_four_one_click_away():
    book, torch_ = PRESETS_BY_KEY["book_figure"], PRESETS_BY_KEY["book_figure_pytorch"]
    assert (book.formula, book.bounds, book.start, book.steps) == (
        torch_.formula,
        torch_.bounds,
        torch_.start,
        torch_.steps,
    )
    assert [(r.optimizer, r.kwargs) for r in book.runs] == [
        (r.optimizer, r.kwargs) for r in torch_.runs
    ]
    assert {r.convention for r in torch_.runs} == {"pytorch"}
    _, ours = runs_of("book_figure")
    _, theirs = runs_of("book_figure_pytorch")
    gaps = [np.max(np.abs(a.points - b.points)) for a, b in zip(ours, theirs, strict=True)]
    assert max(gaps) < 1e-4  # "agree to about 1e-5"
    assert gaps[0] == 0.0  # plain SGD is the same arithmetic
    assert max(gaps) > 1e-7  # ... and yet not the same formulas (ε placement)
