"""Gradient sources of the stepping loop: mini-batches on the line fit, noise on top."""

import numpy as np
import pytest

from optviz import OPTIMIZERS, run, run_final
from optviz.gradients import MiniBatches, gradient_source
from surfaces import SURFACES, make_linear_regression
from surfaces.regression import mse_direct

LINE = SURFACES["linear_regression"]  # n = 30
N = LINE.data.n
DATA_X, DATA_Y = np.array(LINE.params["x"]), np.array(LINE.params["y"])


def test_line_fit_has_its_data():
    assert N == 30 == len(DATA_X)


@pytest.mark.parametrize("key", ["sgd", "momentum", "adam", "rmsprop"])
def test_batch_of_all_points_is_the_full_batch_path(key):
    opt = OPTIMIZERS[key](lr=0.05)
    full = run(LINE, opt, LINE.start, 200)
    batched = run(LINE, opt, LINE.start, 200, batch_size=N, batch_seed=5)
    for name in ("points", "values", "grads"):
        np.testing.assert_array_equal(getattr(batched, name), getattr(full, name))
    lean = run_final(LINE, opt, LINE.start, 200, batch_size=N)
    np.testing.assert_array_equal(lean.final_points, full.points[-1])


def test_batch_of_all_points_with_noise_is_the_noisy_path():
    opt = OPTIMIZERS["sgd"](lr=0.05)
    noisy = run(LINE, opt, LINE.start, 50, noise=0.3, seed=2)
    batched = run(LINE, opt, LINE.start, 50, noise=0.3, seed=2, batch_size=N)
    np.testing.assert_array_equal(batched.points, noisy.points)


@pytest.mark.parametrize("size", [1, 3, 5, 6, 10, 15])
def test_one_epoch_of_batch_gradients_averages_to_the_full_gradient(size):
    """Equal-size batches partition the data, so their mean gradient is the full one: read
    off a run that stands still (lr 0) over two epochs, at a point off the minimum."""
    per_epoch = N // size
    start = np.array([[0.7, -0.4], [-1.0, 2.0]])
    traj = run(LINE, OPTIMIZERS["sgd"](lr=0.0), start, 2 * per_epoch, batch_size=size)
    full = LINE.grad(start)
    for epoch in range(2):
        grads = traj.grads[epoch * per_epoch : (epoch + 1) * per_epoch]
        np.testing.assert_allclose(grads.mean(axis=0), full, rtol=1e-12, atol=1e-12)
        assert not np.allclose(grads[0], full)  # one batch alone is not the full gradient


@pytest.mark.parametrize(("n", "size"), [(30, 7), (30, 30), (31, 4), (2, 1), (5, 2)])
def test_each_epoch_is_a_fresh_permutation_cut_into_batches(n, size):
    batches = MiniBatches(n, size, seed=3)
    per_epoch = -(-n // size)
    assert batches.per_epoch == per_epoch
    orders = []
    for epoch in range(3):
        parts = [batches.indices(epoch * per_epoch + j) for j in range(per_epoch)]
        assert [len(p) for p in parts] == [size] * (per_epoch - 1) + [n - (per_epoch - 1) * size]
        order = np.concatenate(parts)
        assert sorted(order.tolist()) == list(range(n))  # every point exactly once
        np.testing.assert_array_equal(order, batches.permutation(epoch))
        assert batches.epoch(epoch * per_epoch) == epoch
        orders.append(order)
    if n > 5:
        assert not np.array_equal(orders[0], orders[1])  # a fresh order each epoch


def test_same_seed_same_path_other_seed_other_path():
    opt = OPTIMIZERS["adam"](lr=0.1)
    a = run(LINE, opt, LINE.start, 60, batch_size=4, batch_seed=1)
    b = run(LINE, opt, LINE.start, 60, batch_size=4, batch_seed=1)
    c = run(LINE, opt, LINE.start, 60, batch_size=4, batch_seed=2)
    np.testing.assert_array_equal(a.points, b.points)
    assert not np.allclose(a.points, c.points)
    assert a.batches == MiniBatches(N, 4, 1)


def test_step_k_used_the_batch_the_trajectory_names():
    """grads[k] is the mean-over-batch gradient at points[k] on batches.indices(k), checked
    against central differences of the batch's own mean squared error; values stay the
    full-data loss."""
    traj = run(LINE, OPTIMIZERS["momentum"](lr=0.02), [[0.0, 0.0], [3.0, -2.0]], 25, batch_size=6)
    h = 1e-6
    for k in (0, 4, 5, 11, 25):
        idx = traj.batches.indices(k)
        assert len(idx) == 6
        for path in range(2):
            wb = traj.points[k, path]
            fd = [
                (
                    mse_direct(wb + h * e, DATA_X[idx], DATA_Y[idx])
                    - mse_direct(wb - h * e, DATA_X[idx], DATA_Y[idx])
                )
                / (2 * h)
                for e in np.eye(2)
            ]
            np.testing.assert_allclose(traj.grads[k, path], fd, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(traj.values, LINE.f(traj.points), rtol=1e-15)
    full = run(LINE, OPTIMIZERS["momentum"](lr=0.02), [[0.0, 0.0], [3.0, -2.0]], 25)
    assert full.batches is None
    assert not np.allclose(traj.points, full.points)


def test_mini_batches_still_reach_the_least_squares_fit():
    """SGD with a decaying step on batches of 5 ends near the least-squares solution."""
    from optviz.schedules import step_lr

    opt = OPTIMIZERS["sgd"](lr=step_lr(0.05, step_size=300, gamma=0.1))
    traj = run(LINE, opt, LINE.start, 1200, batch_size=5, batch_seed=0)
    np.testing.assert_allclose(traj.points[-1, 0], LINE.minima[0], atol=0.05)


def test_whole_number_floats_are_batch_sizes():
    a = run(LINE, OPTIMIZERS["sgd"](lr=0.05), LINE.start, 10, batch_size=5.0)
    b = run(LINE, OPTIMIZERS["sgd"](lr=0.05), LINE.start, 10, batch_size=np.int64(5))
    np.testing.assert_array_equal(a.points, b.points)


@pytest.mark.parametrize(
    ("batch_size", "words"),
    [
        (0, "batch size must be a whole number ≥ 1, got 0"),
        (-3, "batch size must be a whole number ≥ 1, got -3"),
        (31, "batch size must be at most the number of data points 30, got 31"),
        (2.5, "batch size must be a whole number ≥ 1, got 2.5"),
        (float("nan"), "batch size must be a whole number"),
        ("4", "batch size must be a whole number"),
        (True, "batch size must be a whole number"),
    ],
)
def test_bad_batch_sizes_raise_a_clear_message(batch_size, words):
    with pytest.raises(ValueError, match=words):
        run(LINE, OPTIMIZERS["sgd"](), LINE.start, 5, batch_size=batch_size)
    with pytest.raises(ValueError, match=words):
        run_final(LINE, OPTIMIZERS["sgd"](), LINE.start, 5, batch_size=batch_size)


@pytest.mark.parametrize("seed", [-1, 1.5, None, "a"])
def test_bad_batch_seed_raises(seed):
    with pytest.raises(ValueError, match="batch seed must be a whole number ≥ 0"):
        run(LINE, OPTIMIZERS["sgd"](), LINE.start, 5, batch_size=3, batch_seed=seed)


def test_mini_batches_need_data():
    with pytest.raises(ValueError, match="mini-batches need a loss over data points; rosenbrock"):
        run(SURFACES["rosenbrock"], OPTIMIZERS["sgd"](), [0.0, 0.0], 5, batch_size=2)


def test_smaller_data_sets_bound_the_batch_size():
    small = make_linear_regression(n=4)
    assert run(small, OPTIMIZERS["sgd"](), small.start, 3, batch_size=4).points.shape == (4, 1, 2)
    with pytest.raises(ValueError, match="at most the number of data points 4, got 5"):
        gradient_source(small, (1, 2), batch_size=5)
