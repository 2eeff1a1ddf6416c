"""descent.run / run_final: shapes, divergence, noise, lean mode, state history."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz import OPTIMIZERS, Trajectory, run, run_final
from optviz.descent import run_together
from surfaces import SURFACES


class HalfNorm:
    """½‖θ‖² (gradient θ)."""

    f = staticmethod(lambda xy: 0.5 * np.sum(np.asarray(xy) ** 2, axis=-1))
    grad = staticmethod(lambda xy: np.array(xy, dtype=float))


def test_contract_shapes():
    traj = run(SURFACES["rosenbrock"], OPTIMIZERS["adam"](lr=0.05), starts=[[-1.5, 2.0]], steps=200)
    assert isinstance(traj, Trajectory)
    assert traj.points.shape == (201, 1, 2)
    assert traj.values.shape == (201, 1)
    assert traj.grads.shape == (201, 1, 2)
    assert traj.diverged_at.shape == (1,) and traj.diverged_at[0] == -1
    assert traj.points.dtype == np.float64
    assert traj.steps == 200
    assert traj.states.exp_avg.shape == (201, 1, 2)
    assert traj.states.count.tolist() == list(range(201))


def test_single_start_vector_and_zero_steps():
    traj = run(HalfNorm, OPTIMIZERS["sgd"](lr=0.1), [1.0, 2.0], 0)
    assert traj.points.shape == (1, 1, 2)
    np.testing.assert_array_equal(traj.points[0, 0], [1.0, 2.0])
    np.testing.assert_array_equal(traj.grads[0, 0], [1.0, 2.0])


def test_values_and_grads_are_the_surface_along_the_path():
    surface = SURFACES["himmelblau"]
    traj = run(surface, OPTIMIZERS["momentum"](lr=0.002), [[-1.0, 0.5], [4.0, 4.0]], 50)
    np.testing.assert_allclose(traj.values, surface.f(traj.points), rtol=1e-15)
    np.testing.assert_allclose(traj.grads, surface.grad(traj.points), rtol=1e-15)


def test_state_history_reproduces_each_step():
    """Row k of the stacked state plus grads[k] reproduces step k+1 exactly."""
    surface = SURFACES["rosenbrock"]
    opt = OPTIMIZERS["adam"](lr=0.05)
    traj = run(surface, opt, [-1.5, 2.0], 30)
    for k in range(30):
        state_k = type(traj.states)(*(field[k] for field in traj.states))
        state_k = state_k._replace(count=int(state_k.count))
        step, _ = opt.update(traj.grads[k], state_k, traj.points[k])
        np.testing.assert_array_equal(traj.points[k] + step, traj.points[k + 1])


class Downhill:
    """f = −x − y: unbounded below, so every optimizer runs off to infinity."""

    f = staticmethod(lambda xy: -np.sum(np.asarray(xy), axis=-1))
    grad = staticmethod(lambda xy: np.full(np.shape(xy), -1.0))


@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_divergence_ends_the_path_without_warnings(key):
    kwargs = {"weight_decay": 0.0} if key == "adamw" else {}
    opt = OPTIMIZERS[key](lr={"adadelta": 1e6, "adagrad": 100.0}.get(key, 20.0), **kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(Downhill, opt, [[0.0, 0.0], [1.0, 0.0]], 400, max_abs=1e3)
    for path in range(2):
        k = traj.diverged_at[path]
        assert k > 0
        assert np.all(np.isfinite(traj.points[:k, path]))
        assert np.all(np.abs(traj.points[:k, path]) <= 1e3)
        assert np.all(np.isnan(traj.points[k:, path]))
        assert np.all(np.isnan(traj.values[k:, path]))
        assert np.all(np.isnan(traj.grads[k:, path]))
        unmasked = run(Downhill, opt, [[0.0, 0.0], [1.0, 0.0]], k, max_abs=np.inf).points[-1]
        assert np.any(np.abs(unmasked[path]) > 1e3)  # step k really left the range


def test_overflow_to_inf_and_nan_is_divergence_without_warnings():
    """SGD far too fast on Rosenbrock overflows float64; the path ends, silently."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        traj = run(SURFACES["rosenbrock"], OPTIMIZERS["sgd"](lr=1.0), [[-1.5, 2.0]], 50)
    k = traj.diverged_at[0]
    assert 0 < k < 10
    assert np.all(np.isnan(traj.points[k:])) and np.all(np.isfinite(traj.points[:k]))


def test_divergence_on_the_bowl_beyond_two_over_lambda_max():
    bowl = SURFACES["bowl"]  # 0.5(x² + 10y²): λ_max = 10, SGD diverges for lr > 0.2
    lrs = np.array([[0.19], [0.21]])
    traj = run(bowl, OPTIMIZERS["sgd"](lr=lrs), [[-4.0, 2.0], [-4.0, 2.0]], 2000)
    assert traj.diverged_at[0] == -1
    assert traj.diverged_at[1] > 0


def test_nonfinite_start_is_diverged_at_step_zero():
    traj = run(HalfNorm, OPTIMIZERS["sgd"](lr=0.1), [[np.nan, 0.0], [1.0, 1.0]], 5)
    assert traj.diverged_at.tolist() == [0, -1]
    assert np.all(np.isnan(traj.points[:, 0]))


@pytest.mark.parametrize("steps", [-1, 1.5, float("nan"), float("inf"), True])
def test_bad_steps_raise(steps):
    with pytest.raises(ValueError, match="steps"):
        run(HalfNorm, OPTIMIZERS["sgd"](), [0.0, 1.0], steps)


@pytest.mark.parametrize("starts", [[1.0], [[1.0, 2.0, 3.0]], np.zeros((0, 2)), [[[1.0, 2.0]]]])
def test_bad_starts_raise(starts):
    with pytest.raises(ValueError, match="starts"):
        run(HalfNorm, OPTIMIZERS["sgd"](), starts, 3)


@pytest.mark.parametrize("noise", [-1.0, float("nan"), float("inf")])
def test_bad_noise_raises(noise):
    with pytest.raises(ValueError, match="noise"):
        run(HalfNorm, OPTIMIZERS["sgd"](), [0.0, 1.0], 3, noise=noise)


def test_noise_is_reproducible_independent_and_of_the_stated_size():
    surface = HalfNorm
    starts = np.zeros((2000, 2))
    a = run(surface, OPTIMIZERS["sgd"](lr=0.0), starts, 3, noise=0.5, seed=7)
    b = run(surface, OPTIMIZERS["sgd"](lr=0.0), starts, 3, noise=0.5, seed=7)
    c = run(surface, OPTIMIZERS["sgd"](lr=0.0), starts, 3, noise=0.5, seed=8)
    np.testing.assert_array_equal(a.grads, b.grads)
    assert not np.array_equal(a.grads, c.grads)
    draws = a.grads[:3].reshape(-1, 2)  # gradient is 0 at the origin: only noise
    assert abs(draws.std() - 0.5) < 0.02
    assert abs(np.corrcoef(draws[:, 0], draws[:, 1])[0, 1]) < 0.05
    assert not np.array_equal(a.grads[0, 0], a.grads[0, 1])  # per path


def test_noise_changes_the_path_and_zero_noise_does_not():
    surface = SURFACES["saddle"]
    opt = OPTIMIZERS["sgd"](lr=0.05)
    clean = run(surface, opt, [-2.0, 0.0], 100)
    assert np.all(clean.points[:, 0, 1] == 0.0)  # stuck on the ridge y = 0
    noisy = run(surface, opt, [-2.0, 0.0], 100, noise=0.1, seed=0)
    assert np.max(np.abs(noisy.points[:, 0, 1])) > 1.0  # noise knocks it off the saddle
    same = run(surface, opt, [-2.0, 0.0], 100, noise=0.0, seed=3)
    np.testing.assert_array_equal(same.points, clean.points)


@settings(max_examples=25, deadline=None)
@given(
    key=st.sampled_from(sorted(OPTIMIZERS)),
    lr=st.floats(1e-4, 0.05),
    steps=st.integers(0, 60),
)
def test_run_final_agrees_with_run(key, lr, steps):
    surface = SURFACES["himmelblau"]
    starts = np.array([[-4.0, -4.0], [0.0, 0.0], [3.5, -1.0], [30.0, 30.0]])
    opt = OPTIMIZERS[key](lr=lr)
    full = run(surface, opt, starts, steps, max_abs=50)
    lean = run_final(surface, opt, starts, steps, max_abs=50, targets=surface.minima, tol=0.1)
    np.testing.assert_array_equal(lean.final_points, full.points[-1])
    np.testing.assert_array_equal(lean.final_values, full.values[-1])
    np.testing.assert_array_equal(lean.diverged_at, full.diverged_at)
    minima = np.asarray(surface.minima)
    gaps = np.linalg.norm(full.points[:, :, None, :] - minima, axis=-1).min(axis=-1)
    within = gaps <= 0.1
    expected = np.where(within.any(axis=0), np.argmax(within, axis=0), -1)
    np.testing.assert_array_equal(lean.reached_at, expected)


def test_run_final_without_targets_and_with_noise():
    surface = SURFACES["bowl"]
    opt = OPTIMIZERS["adam"](lr=0.1)
    lean = run_final(surface, opt, [[-4.0, 2.0]], 50, noise=0.3, seed=1)
    full = run(surface, opt, [[-4.0, 2.0]], 50, noise=0.3, seed=1)
    assert lean.reached_at.tolist() == [-1]
    np.testing.assert_array_equal(lean.final_points, full.points[-1])


def _assert_same_trajectory(a: Trajectory, b: Trajectory) -> None:
    for name in ("points", "values", "grads", "diverged_at"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert type(a.states) is type(b.states)
    for x, y in zip(a.states, b.states, strict=True):
        np.testing.assert_array_equal(x, y)
    assert a.batches is None and b.batches is None


@pytest.mark.parametrize(
    "key", ["rosenbrock", "rastrigin", "ackley", "saddle", "linear_regression"]
)
def test_run_together_is_each_run_alone(key):
    """Stepping several optimizers together (one gradient call per step) gives each one
    exactly its own run, to the last bit: every registry optimizer, plus one that
    diverges."""
    surface = SURFACES[key]
    optimizers = [factory() for factory in OPTIMIZERS.values()]
    optimizers.append(OPTIMIZERS["sgd"](lr=1e7))
    start = np.array([[0.7, -0.4]])
    together = run_together(surface, optimizers, start, 120)
    assert len(together) == len(optimizers)
    for optimizer, traj in zip(optimizers, together, strict=True):
        _assert_same_trajectory(traj, run(surface, optimizer, start, 120))
    assert together[-1].diverged_at[0] > 0  # the lr-1e7 SGD run left


def test_run_together_with_a_gradient_that_returns_its_input():
    """A gradient that hands back (a view of) its argument cannot see another run's
    point written into it."""

    class Same:
        f = staticmethod(HalfNorm.f)
        grad = staticmethod(lambda xy: xy)

    optimizers = [OPTIMIZERS["sgd"](lr=0.1), OPTIMIZERS["adam"](lr=0.3)]
    together = run_together(Same, optimizers, [1.0, -2.0], 30)
    for optimizer, traj in zip(optimizers, together, strict=True):
        _assert_same_trajectory(traj, run(HalfNorm, optimizer, [1.0, -2.0], 30))
