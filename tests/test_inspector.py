"""Step inspector: the numbers agree with the trajectory and the optimizer."""

from __future__ import annotations

import numpy as np
import pytest

from optviz import CONVENTIONS, OPTIMIZERS, run
from optviz.inspector import gradient_scale, inspect_step, step_arrows
from optviz.rules import RULES
from optviz.schedules import exponential_lr
from optviz.textbook_optimizers import TEXTBOOK
from surfaces import SURFACES

ROSEN = SURFACES["rosenbrock"]
BOWL = SURFACES["bowl"]


@pytest.mark.parametrize("key", list(OPTIMIZERS))
@pytest.mark.parametrize("k", [0, 1, 6, 19])
def test_equations_step_matches_trajectory(key, k):
    lr = 2e-4 if key in ("sgd", "momentum", "nesterov") else 0.01
    optimizer = OPTIMIZERS[key](lr=lr)
    traj = run(ROSEN, optimizer, starts=[[-1.5, 2.0], [0.5, -0.5]], steps=20)
    report = inspect_step(traj, optimizer, k, path=1)
    np.testing.assert_array_equal(report.theta, traj.points[k, 1])
    np.testing.assert_array_equal(report.grad, traj.grads[k, 1])
    np.testing.assert_allclose(report.delta, traj.points[k + 1, 1] - traj.points[k, 1])
    assert report.loss == traj.values[k, 1]
    assert report.lr == pytest.approx(lr)
    assert np.all(np.isfinite(report.delta))
    assert not report.last and not report.diverged
    assert report.derived or key == "sgd"
    assert set(report.tex) == set(report.state) | set(report.derived)
    nonzero = report.grad != 0
    np.testing.assert_allclose(
        report.effective_lr[nonzero], -report.delta[nonzero] / report.grad[nonzero]
    )
    for tex, name, value in report.rows():
        assert isinstance(tex, str) and isinstance(name, str)
        assert np.shape(value) in ((), (2,))


def test_adam_first_step_numbers():
    optimizer = OPTIMIZERS["adam"](lr=0.1)
    traj = run(ROSEN, optimizer, starts=[-1.5, 2.0], steps=5)
    report = inspect_step(traj, optimizer, 0)
    g = traj.grads[0, 0]
    np.testing.assert_allclose(report.derived["m̂ (bias-corrected m)"], g, rtol=1e-12)
    np.testing.assert_allclose(report.derived["v̂ (bias-corrected v)"], g * g, rtol=1e-12)
    np.testing.assert_allclose(report.derived["new m (exp_avg)"], 0.1 * g, rtol=1e-12)
    np.testing.assert_allclose(report.state["m (exp_avg)"], 0.0)
    np.testing.assert_allclose(report.adaptive_lr, 0.1 / (np.abs(g) + 1e-8), rtol=1e-12)
    np.testing.assert_allclose(report.delta, -0.1 * np.sign(g), rtol=1e-6)
    np.testing.assert_allclose(report.effective_lr, 0.1 / np.abs(g), rtol=1e-6)
    assert report.tex["m̂ (bias-corrected m)"] == r"\hat m"


def test_sgd_adaptive_lr_is_lr_and_schedule_is_followed():
    optimizer = OPTIMIZERS["sgd"](lr=exponential_lr(0.05, gamma=0.5))
    traj = run(BOWL, optimizer, starts=[-4.0, 1.3], steps=4)
    for k in range(4):
        report = inspect_step(traj, optimizer, k)
        assert report.lr == pytest.approx(0.05 * 0.5**k)
        np.testing.assert_allclose(report.adaptive_lr, 0.05 * 0.5**k)
        np.testing.assert_allclose(report.effective_lr, 0.05 * 0.5**k)
        assert report.state == {}


def test_adadelta_adaptive_lr_uses_previous_u():
    optimizer = OPTIMIZERS["adadelta"](lr=1.0)
    traj = run(BOWL, optimizer, starts=[-4.0, 2.0], steps=6)
    report = inspect_step(traj, optimizer, 3)
    np.testing.assert_allclose(report.adaptive_lr, report.effective_lr, rtol=1e-12)


def test_clamp_and_last_step():
    optimizer = OPTIMIZERS["momentum"](lr=0.05)
    traj = run(BOWL, optimizer, starts=[-4.0, 2.0], steps=10)
    low = inspect_step(traj, optimizer, -5)
    assert low.k == 0 and low.requested_k == -5
    high = inspect_step(traj, optimizer, 99)
    assert high.k == 10 and high.last
    assert np.all(np.isnan(high.delta))
    assert high.derived == {} and high.effective_lr is None
    assert high.state  # the final momentum buffer is still shown
    with pytest.raises(ValueError):
        inspect_step(traj, optimizer, 0, path=3)


def test_diverged_path():
    optimizer = OPTIMIZERS["sgd"](lr=0.25)  # 2/λmax = 0.2 on the default bowl
    traj = run(BOWL, optimizer, starts=[[-4.0, 2.0]], steps=200, max_abs=1e3)
    at = int(traj.diverged_at[0])
    assert at > 0
    before = inspect_step(traj, optimizer, at - 1)
    assert not before.diverged and before.diverged_at == at
    assert np.all(np.isnan(before.delta))  # the point it jumps to is blanked
    after = inspect_step(traj, optimizer, at + 3)
    assert after.diverged and np.all(np.isnan(after.theta)) and after.derived == {}


def test_noise_and_true_gradient():
    optimizer = OPTIMIZERS["adam"](lr=0.05)
    traj = run(ROSEN, optimizer, starts=[-1.5, 2.0], steps=5, noise=2.0, seed=3)
    report = inspect_step(traj, optimizer, 2, surface=ROSEN, noise=2.0)
    assert report.noisy
    np.testing.assert_allclose(report.true_grad, ROSEN.grad(report.theta))
    assert not np.allclose(report.true_grad, report.grad)
    assert any(name == "∇f (no noise)" for _, name, _ in report.rows())


@pytest.mark.parametrize("noise", [0.0, 0.5])
def test_a_mini_batch_step_names_the_batch_gradient_and_the_full_data_gradient(noise):
    from surfaces import make_linear_regression

    line = make_linear_regression(n=12, seed=3)
    optimizer = OPTIMIZERS["sgd"](lr=0.05)
    traj = run(line, optimizer, starts=[0.0, 0.0], steps=8, noise=noise, seed=2, batch_size=5)
    report = inspect_step(traj, optimizer, 4, surface=line, noise=noise)
    rows = {name: (tex, value) for tex, name, value in report.rows()}
    batch = traj.batches.indices(4)
    on_batch = line.data.grad(report.theta, batch)
    full = line.grad(report.theta)
    assert report.batched and len(batch) == 5
    assert "∇f (no noise)" not in rows
    np.testing.assert_allclose(rows["∇f (full-data gradient)"][1], full)
    assert not np.allclose(on_batch, full)
    if noise:
        g = rows["g (mini-batch gradient + noise, used for the step)"][1]
        np.testing.assert_array_equal(rows["∇f_B (mini-batch gradient, no noise)"][1], on_batch)
        assert not np.allclose(g, on_batch)
    else:
        g = rows["g (mini-batch gradient, used for the step)"][1]
        np.testing.assert_array_equal(g, on_batch)
        assert report.batch_grad is None
    np.testing.assert_array_equal(g, traj.grads[4, 0])
    # the step moved by −η g (SGD): g is the gradient the step used
    np.testing.assert_allclose(rows["Δθ"][1], -0.05 * g, rtol=1e-12)


def test_batched_lr_sweep_picks_the_path():
    lrs = np.array([[0.01], [0.02], [0.04]])
    optimizer = OPTIMIZERS["rmsprop"](lr=lrs, centered=True, momentum=0.5)
    traj = run(BOWL, optimizer, starts=np.tile([-4.0, 2.0], (3, 1)), steps=8)
    for path in range(3):
        report = inspect_step(traj, optimizer, 4, path=path)
        assert report.lr == pytest.approx(lrs[path, 0])
        b_new = report.derived["new b (momentum_buffer)"]
        np.testing.assert_allclose(-lrs[path, 0] * b_new, report.delta, rtol=1e-12)


def test_nadam_scalar_state():
    optimizer = OPTIMIZERS["nadam"](lr=0.05)
    traj = run(BOWL, optimizer, starts=[-4.0, 2.0], steps=5)
    report = inspect_step(traj, optimizer, 2)
    assert np.shape(report.state["Π (mu_product)"]) == ()
    assert np.shape(report.derived["μ_t"]) == ()


def test_step_arrows():
    optimizer = OPTIMIZERS["sgd"](lr=0.05)
    traj = run(BOWL, optimizer, starts=[[-4.0, 2.0], [1.0, 1.0]], steps=10)
    arrows = step_arrows(traj, 3, length=2.0)
    assert arrows.gradient.shape == arrows.step.shape == (2, 2, 2)
    np.testing.assert_array_equal(arrows.gradient[:, 0], traj.points[3])
    np.testing.assert_array_equal(arrows.step[:, 1], traj.points[4])
    lengths = np.linalg.norm(arrows.gradient[:, 1] - arrows.gradient[:, 0], axis=-1)
    assert lengths.max() == pytest.approx(2.0)
    direction = arrows.gradient[:, 1] - arrows.gradient[:, 0]
    np.testing.assert_allclose(direction, -arrows.scale * traj.grads[3])
    last = step_arrows(traj, 10)
    assert np.all(np.isnan(last.step[:, 1])) and last.scale > 0


def test_gradient_scale_is_one_for_the_whole_animation():
    """The −g arrows are drawn at one scale for every step: the longest gradient of the
    whole run set gets 12 % of the window's diagonal, so late, tiny gradients stay tiny."""
    surface = SURFACES["rosenbrock"]
    runs = [
        run(surface, OPTIMIZERS["sgd"](lr=1e-3), starts=[[-1.5, 2.0]], steps=200),
        run(surface, OPTIMIZERS["adam"](lr=0.05), starts=[[-1.5, 2.0]], steps=200),
    ]
    scale = gradient_scale(runs, surface.bounds)
    norms = np.concatenate([np.hypot(r.grads[..., 0], r.grads[..., 1]).ravel() for r in runs])
    (x0, x1), (y0, y1) = surface.bounds
    assert scale * norms.max() == pytest.approx(0.12 * np.hypot(x1 - x0, y1 - y0))
    assert gradient_scale([], surface.bounds) == 0.0


CONVENTION_KEYS = [(c, key) for c in ("keras", "textbook") for key in CONVENTIONS[c]]


@pytest.mark.parametrize(("convention", "key"), CONVENTION_KEYS)
@pytest.mark.parametrize("k", [0, 5])
def test_keras_and_book_runs_are_inspected_with_their_own_rule(convention, key, k):
    """A Keras or book run's inspector evaluates that convention's rule: its new state
    equals the trajectory's state one step later, under the library's variable names."""
    optimizer = CONVENTIONS[convention][key]()
    traj = run(BOWL, optimizer, starts=[[-4.0, 2.0], [1.0, -1.0]], steps=8)
    report = inspect_step(traj, optimizer, k, path=1)
    np.testing.assert_allclose(report.delta, traj.points[k + 1, 1] - traj.points[k, 1])
    record = RULES[convention][key]
    for label, value in report.derived.items():
        if not label.startswith("new "):
            continue
        field, _ = report.words[label]
        expected = np.asarray(getattr(traj.states, field))[k + 1]
        expected = expected[1] if expected.ndim else expected  # Nadam's Π is one number
        np.testing.assert_allclose(value, np.broadcast_to(expected, np.shape(value)), rtol=1e-12)
        assert field in record.state
    for label in report.state:
        field, meaning = report.words[label]
        assert label == field or label.endswith(f"({field})")
        assert meaning in record.meanings.values()
    assert report.derived or key == "sgd"
    if key in ("sgd", "adagrad"):  # no momentum: the step is −P·g, P the adaptive lr
        np.testing.assert_allclose(report.adaptive_lr, report.effective_lr, rtol=1e-12)


def test_state_names_follow_convention_and_notation():
    keras = CONVENTIONS["keras"]["adam"](learning_rate=0.1)
    traj = run(BOWL, keras, starts=[-4.0, 2.0], steps=4)
    report = inspect_step(traj, keras, 2)
    assert set(report.state) == {"m (momentum)", "v (velocity)"}
    book = TEXTBOOK["adagrad"](lr=0.5)
    traj = run(BOWL, book, starts=[-4.0, 2.0], steps=4)
    report = inspect_step(traj, book, 2)
    assert set(report.state) == {"h"} and report.tex["h"] == "h"
    assert report.adaptive_lr is not None
    np.testing.assert_allclose(report.adaptive_lr, report.effective_lr, rtol=1e-12)
    torch = OPTIMIZERS["adagrad"](lr=0.5)
    traj = run(BOWL, torch, starts=[-4.0, 2.0], steps=4)
    pytorch = inspect_step(traj, torch, 2)
    course = inspect_step(traj, torch, 2, notation="course")
    assert set(pytorch.state) == {"s (sum)"} and set(course.state) == {"h (sum)"}
    np.testing.assert_array_equal(pytorch.state["s (sum)"], course.state["h (sum)"])
    assert [r[0] for r in course.rows()][:2] == [
        "W_k",
        r"\left(\frac{\partial L}{\partial W}\right)_k",
    ]
    assert [r[0] for r in pytorch.rows()][:2] == [r"\theta_k", "g_k"]
    adadelta = OPTIMIZERS["adadelta"]()
    traj = run(BOWL, adadelta, starts=[-4.0, 2.0], steps=4)
    course = inspect_step(traj, adadelta, 2, notation="course")
    assert (
        "Δw (AdaDelta step)" in course.derived and course.tex["Δw (AdaDelta step)"] == r"\Delta w"
    )
    assert {"h (square_avg)", "s (acc_delta)"} == set(course.state)
