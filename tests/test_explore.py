"""optviz.explore: basin maps, hyperparameter sweeps and fair learning rates equal the
per-point runs they batch; theory checks on the bowl; lean memory."""

import pickle
import tracemalloc

import numpy as np
import pytest

from optviz import OPTIMIZERS, run, run_final
from optviz.explore import (
    DIVERGED,
    NO_MINIMUM,
    SWEEP_PARAMS,
    BasinMap,
    Sweep,
    basin_map,
    basin_maps,
    best_index,
    best_learning_rate,
    fair_lrs,
    loss_range,
    nearest_minimum,
    run_checkpoints,
    start_grid,
    sweep,
    sweep_values,
    sweepable,
    valid_cells,
)
from surfaces import SURFACES

BOWL = SURFACES["bowl"]  # 0.5(x² + 10y²): λmax = 10, plain GD diverges for lr > 0.2
HIMMELBLAU = SURFACES["himmelblau"]
RTOL = 1e-13


def assert_same(batched, single):
    """Exact up to 1e-13 relative (NaN == NaN)."""
    np.testing.assert_allclose(batched, single, rtol=RTOL, atol=0.0, equal_nan=True)


# ---------------------------------------------------------------------------------------
# basin map


@pytest.fixture(scope="module")
def himmelblau_map():
    # lr 0.01 is stable at all four minima (λmax of the Hessians ≤ 134 < 2/0.01)
    return basin_map(HIMMELBLAU, OPTIMIZERS["sgd"](lr=0.01), resolution=41, steps=200)


@pytest.fixture(scope="module")
def diverging_map():
    # lr 0.03 is too large: the far corners leave max_abs, one minimum becomes unstable
    return basin_map(HIMMELBLAU, OPTIMIZERS["sgd"](lr=0.03), resolution=41, steps=200)


def test_basin_map_shapes_and_layout(himmelblau_map):
    m = himmelblau_map
    assert isinstance(m, BasinMap)
    assert m.xs.shape == (41,) and m.ys.shape == (41,)
    for array in (m.minimum_index, m.final_loss, m.steps_to_tol, m.diverged_at):
        assert array.shape == (41, 41)
    assert m.final_loss.dtype == np.float64
    assert m.xs[0] == -5.0 and m.xs[-1] == 5.0
    assert m.minima.shape == (4, 2)
    assert m.optimizer == "sgd" and m.steps == 200
    np.testing.assert_allclose(m.radius, 0.05 * np.hypot(10, 10))
    # z[y][x]: row j is ys[j], column i is xs[i]
    assert m.start(3, 7) == (m.xs[3], m.ys[7])
    pickle.loads(pickle.dumps(m))  # cache-friendly


@pytest.mark.parametrize("lr", [0.01, 0.03])
def test_basin_map_equals_per_point_runs(lr, himmelblau_map, diverging_map):
    m = himmelblau_map if lr == 0.01 else diverging_map
    opt = OPTIMIZERS["sgd"](lr=lr)
    cells = [(0, 0), (5, 30), (20, 20), (33, 12), (40, 40)]
    cells += [tuple(c) for c in np.argwhere(m.diverged_at >= 0)[:2]]
    cells += [tuple(c) for c in np.argwhere(m.minimum_index == NO_MINIMUM)[:2]]
    for iy, ix in cells:
        start = m.start(ix, iy)
        out = run_final(HIMMELBLAU, opt, start, 200, targets=HIMMELBLAU.minima, tol=1e-3)
        traj = run(HIMMELBLAU, opt, start, 200)
        assert_same(m.final_loss[iy, ix], out.final_values[0])
        assert_same(m.final_loss[iy, ix], traj.values[-1, 0])
        assert m.steps_to_tol[iy, ix] == out.reached_at[0]
        assert m.diverged_at[iy, ix] == out.diverged_at[0] == traj.diverged_at[0]
        expected = nearest_minimum(traj.points[-1], m.minima, m.radius)[0]
        assert m.minimum_index[iy, ix] == expected


def test_basin_map_himmelblau_four_basins(himmelblau_map):
    m = himmelblau_map
    codes = m.minimum_index
    for k, (mx, my) in enumerate(HIMMELBLAU.minima):
        assert np.sum(codes == k) > 20, f"minimum {k} has no basin"
        # the grid cell nearest to the minimum starts in its basin and ends there
        ix, iy = np.argmin(np.abs(m.xs - mx)), np.argmin(np.abs(m.ys - my))
        assert codes[iy, ix] == k
        assert 0 <= m.steps_to_tol[iy, ix] < 200
    assert not (codes == DIVERGED).any()
    assert np.isfinite(m.final_loss).all()


def test_basin_map_diverged_codes(diverging_map):
    m = diverging_map
    codes = m.minimum_index
    assert (codes == DIVERGED).sum() > 20
    assert (codes[0] == DIVERGED).sum() > 10  # along the far edge y = -5
    assert codes[20, 20] != DIVERGED  # not from the centre
    np.testing.assert_array_equal(codes == DIVERGED, m.diverged_at >= 0)
    assert np.isnan(m.final_loss[codes == DIVERGED]).all()
    assert np.isfinite(m.final_loss[codes != DIVERGED]).all()
    assert set(np.unique(codes)) <= {DIVERGED, NO_MINIMUM, 0, 1, 2, 3}


@pytest.mark.parametrize("key", ["sgd", "momentum", "adam"])
def test_starts_at_the_minima_map_to_themselves(key):
    """A 3×3 grid centred on each minimum: the centre start stays in that minimum."""
    opt = OPTIMIZERS[key](lr=0.005)
    for k, (mx, my) in enumerate(HIMMELBLAU.minima):
        bounds = ((mx - 0.01, mx + 0.01), (my - 0.01, my + 0.01))
        m = basin_map(HIMMELBLAU, opt, resolution=3, bounds=bounds, steps=100)
        np.testing.assert_allclose(m.start(1, 1), (mx, my), rtol=1e-15)
        assert m.minimum_index[1, 1] == k
        assert m.steps_to_tol[1, 1] == 0
        assert (m.minimum_index == k).all()
    np.testing.assert_array_equal(
        nearest_minimum(np.array(HIMMELBLAU.minima), m.minima, 1e-12), [0, 1, 2, 3]
    )


def test_basin_map_no_minimum_code_and_surfaces_without_minima():
    # a tiny lr leaves the paths far from every minimum: NO_MINIMUM, steps_to_tol -1
    m = basin_map(HIMMELBLAU, OPTIMIZERS["sgd"](lr=1e-6), resolution=5, steps=3, radius=0.1)
    assert (m.minimum_index == NO_MINIMUM).sum() >= 20
    saddle = basin_map(SURFACES["saddle"], OPTIMIZERS["sgd"](lr=0.1), resolution=5, steps=10)
    assert saddle.minima.shape == (0, 2)
    assert set(np.unique(saddle.minimum_index)) <= {NO_MINIMUM, DIVERGED}
    assert (saddle.steps_to_tol == -1).all()


def test_basin_maps_share_grid_and_colour_range():
    opts = [OPTIMIZERS["sgd"](lr=0.01), OPTIMIZERS["adam"](lr=0.05)]
    many = basin_maps(HIMMELBLAU, opts, resolution=11, steps=50)
    assert len(many.maps) == 2
    np.testing.assert_array_equal(many.maps[0].xs, many.maps[1].xs)
    losses = np.concatenate([m.final_loss.ravel() for m in many.maps])
    assert many.loss_min == np.nanmin(losses) and many.loss_max == np.nanmax(losses)
    assert loss_range([np.array([np.nan, np.inf])]) != loss_range([np.array([1.0])])
    assert all(np.isnan(loss_range([np.array([np.nan])])))


def test_basin_map_rejects_bad_grid():
    with pytest.raises(ValueError, match="resolution"):
        basin_map(BOWL, OPTIMIZERS["sgd"](), resolution=202)
    with pytest.raises(ValueError, match="bounds"):
        basin_map(BOWL, OPTIMIZERS["sgd"](), bounds=((1, 0), (0, 1)))
    _, _, starts = start_grid(((0, 1), (2, 4)), 3)
    np.testing.assert_array_equal(starts[:3], [[0, 2], [0.5, 2], [1, 2]])


def test_basin_map_201_is_lean():
    """A 201×201 map never holds (T+1, N, 2): peak memory far below that array's size."""
    steps, n = 300, 201 * 201
    history_bytes = (steps + 1) * n * 2 * 8  # 194 MB
    opt = OPTIMIZERS["momentum"](lr=0.01)
    tracemalloc.start()
    try:
        m = basin_map(BOWL, opt, resolution=201, steps=steps)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert m.final_loss.shape == (201, 201)
    assert peak < history_bytes / 10, f"peak {peak / 1e6:.1f} MB"


# ---------------------------------------------------------------------------------------
# sweep


LRS = np.array([0.01, 0.05, 0.1, 0.15, 0.18, 0.22, 0.25, 0.3, 0.5])
MOMENTA = np.array([0.0, 0.3, 0.5, 0.7, 0.9])


@pytest.fixture(scope="module")
def lr_momentum():
    return sweep(BOWL, "sgd", {}, "lr", LRS, "momentum", MOMENTA, start=(-4.0, 2.0), steps=300)


def test_sweep_shapes(lr_momentum):
    s = lr_momentum
    assert isinstance(s, Sweep)
    assert s.final_loss.shape == s.steps_to_tol.shape == (5, 9)
    assert s.diverged.dtype == bool and s.invalid.dtype == bool
    assert not s.invalid.any()
    np.testing.assert_array_equal(s.x_values, LRS)
    pickle.loads(pickle.dumps(s))


def test_sweep_equals_per_point_runs(lr_momentum):
    s = lr_momentum
    for iy, ix in [(0, 0), (0, 6), (2, 3), (4, 1), (4, 8), (3, 5)]:
        opt = OPTIMIZERS["sgd"](lr=float(LRS[ix]), momentum=float(MOMENTA[iy]))
        out = run_final(BOWL, opt, (-4.0, 2.0), 300, targets=BOWL.minima, tol=1e-3)
        assert_same(s.final_loss[iy, ix], out.final_values[0])
        assert s.steps_to_tol[iy, ix] == out.reached_at[0]
        assert s.diverged[iy, ix] == (out.diverged_at[0] >= 0)


def test_sweep_divergence_matches_theory(lr_momentum):
    """Heavy ball on λ: stable iff lr·λ < 2(1 + μ); plain GD (μ = 0): lr < 2/λmax = 0.2."""
    s = lr_momentum
    np.testing.assert_array_equal(s.diverged[0], LRS > 0.2)
    lr, mu = np.meshgrid(LRS, MOMENTA)
    limit = 2 * (1 + mu) / 10.0
    assert s.diverged[lr > 1.1 * limit].all()
    assert not s.diverged[lr < 0.9 * limit].any()
    assert np.isnan(s.final_loss[s.diverged]).all()


def test_sweep_best_is_a_converged_cell(lr_momentum):
    s = lr_momentum
    x, y = s.best()
    iy, ix = s.best_cell()
    assert (x, y) == (LRS[ix], MOMENTA[iy])
    assert not s.diverged[iy, ix] and not s.invalid[iy, ix]
    assert s.final_loss[iy, ix] == np.nanmin(s.final_loss)
    iy2, ix2 = s.best_cell("steps_to_tol")
    reached = s.steps_to_tol[s.steps_to_tol >= 0]
    assert s.steps_to_tol[iy2, ix2] == reached.min()


def test_best_index_ties_and_nothing_usable():
    loss = np.array([1.0, 0.0, 0.0, np.nan])
    steps = np.array([3, 9, 5, 1])
    assert best_index(loss, steps, [True] * 4) == 2  # tie on loss: fewer steps wins
    assert best_index(loss, steps, [True] * 4, "steps_to_tol") == 0
    assert best_index(loss, np.array([-1, -1, -1, -1]), [True] * 4, "steps_to_tol") == 1
    assert best_index(loss, steps, [False] * 4) is None
    with pytest.raises(ValueError, match="criterion"):
        best_index(loss, steps, [True] * 4, "speed")


def test_sweep_invalid_cells_nesterov_dampening():
    damp = np.array([0.0, 0.1, 0.5])
    mom = np.array([0.0, 0.5, 0.9])
    s = sweep(BOWL, "nesterov", {"lr": 0.05}, "momentum", mom, "dampening", damp, steps=100)
    expected_invalid = (damp[:, None] > 0) | (mom[None, :] == 0)
    np.testing.assert_array_equal(s.invalid, expected_invalid)
    assert np.isnan(s.final_loss[s.invalid]).all()
    assert (s.steps_to_tol[s.invalid] == -1).all() and not s.diverged[s.invalid].any()
    for ix in (1, 2):
        opt = OPTIMIZERS["nesterov"](lr=0.05, momentum=float(mom[ix]))
        out = run_final(BOWL, opt, BOWL.start, 100)
        assert_same(s.final_loss[0, ix], out.final_values[0])
    assert s.best()[1] == 0.0


def test_sweep_non_product_validity_uses_flat_layout(monkeypatch):
    """If the valid cells are not (valid x) × (valid y), the flat layout gives the same."""
    import optviz.explore as explore

    real = explore.valid_cells

    def diagonal_invalid(key, base, columns):
        valid = real(key, base, columns)
        valid[[0, 4, 8]] = False  # the diagonal of a 3×3 grid
        return valid

    lrs, moms = np.array([0.05, 0.1, 0.15]), np.array([0.0, 0.5, 0.9])
    product = sweep(BOWL, "sgd", {}, "lr", lrs, "momentum", moms, steps=100)
    monkeypatch.setattr(explore, "valid_cells", diagonal_invalid)
    flat = sweep(BOWL, "sgd", {}, "lr", lrs, "momentum", moms, steps=100)
    np.testing.assert_array_equal(flat.invalid, np.eye(3, dtype=bool))
    off = ~np.eye(3, dtype=bool)
    assert_same(flat.final_loss[off], product.final_loss[off])
    np.testing.assert_array_equal(flat.steps_to_tol[off], product.steps_to_tol[off])
    assert np.isnan(flat.final_loss[~off]).all()


def test_sweep_all_invalid_does_not_crash():
    s = sweep(BOWL, "adam", {}, "beta1", [1.0, 1.5], "beta2", [1.0, -0.1], steps=10)
    assert s.invalid.all() and np.isnan(s.final_loss).all()
    assert s.best() is None


def test_valid_cells_rules():
    cols = {"lr": np.array([0.1, -1.0, np.nan, np.inf, 0.2])}
    np.testing.assert_array_equal(valid_cells("sgd", {}, cols), [True, False, False, False, True])


def test_sweep_adam_beta1_beta2():
    b1 = np.array([0.0, 0.5, 0.9, 0.99, 1.0])
    b2 = np.array([0.9, 0.99, 0.999, 1.0])
    s = sweep(BOWL, "adam", {"lr": 0.1, "betas": (0.8, 0.95)}, "beta1", b1, "beta2", b2, steps=200)
    assert s.final_loss.shape == (4, 5)
    np.testing.assert_array_equal(s.invalid, (b2[:, None] >= 1) | (b1[None, :] >= 1))
    assert np.isfinite(s.final_loss[~s.invalid]).all()
    for iy, ix in [(0, 0), (1, 2), (2, 3), (2, 1)]:
        opt = OPTIMIZERS["adam"](lr=0.1, betas=(float(b1[ix]), float(b2[iy])))
        out = run_final(BOWL, opt, BOWL.start, 200, targets=BOWL.minima)
        assert_same(s.final_loss[iy, ix], out.final_values[0])
        assert s.steps_to_tol[iy, ix] == out.reached_at[0]
    # only one beta swept: the other comes from base_kwargs
    one = sweep(
        BOWL, "adam", {"lr": 0.1, "betas": (0.8, 0.95)}, "lr", [0.1], "beta1", [0.5], steps=50
    )
    out = run_final(BOWL, OPTIMIZERS["adam"](lr=0.1, betas=(0.5, 0.95)), BOWL.start, 50)
    assert_same(one.final_loss[0, 0], out.final_values[0])


@pytest.mark.parametrize("steps_on", ["x", "y"])
def test_sweep_steps_axis_matches_separate_runs(steps_on):
    lrs = np.array([0.01, 0.1, 0.19, 0.25])
    counts = np.array([0, 1, 7, 50, 120])
    if steps_on == "y":
        s = sweep(BOWL, "sgd", {}, "lr", lrs, "steps", counts)
        assert s.final_loss.shape == (5, 4)
    else:
        s = sweep(BOWL, "sgd", {}, "steps", counts, "lr", lrs)
        assert s.final_loss.shape == (4, 5)
    assert s.steps == 120
    for i, lr in enumerate(lrs):
        for j, count in enumerate(counts):
            cell = (j, i) if steps_on == "y" else (i, j)
            out = run_final(
                BOWL,
                OPTIMIZERS["sgd"](lr=float(lr)),
                BOWL.start,
                int(count),
                targets=BOWL.minima,
                tol=1e-3,
            )
            assert_same(s.final_loss[cell], out.final_values[0])
            assert s.steps_to_tol[cell] == out.reached_at[0]
            assert s.diverged[cell] == (out.diverged_at[0] >= 0)
    assert s.diverged.any()  # lr 0.25 leaves max_abs within 120 steps


def test_sweep_steps_axis_invalid_counts():
    s = sweep(BOWL, "adam", {}, "steps", [10, -3, 2.5, 20], "lr", [0.1, -0.1], start=(1, 1))
    np.testing.assert_array_equal(s.invalid[:, 1:3], True)
    np.testing.assert_array_equal(s.invalid[1], True)
    assert not s.invalid[0, [0, 3]].any()


def test_run_checkpoints_agree_with_run():
    opt = OPTIMIZERS["rmsprop"](lr=0.05)
    starts = np.array([[-4.0, 2.0], [1.0, -1.0]])
    values, final, diverged_at, _ = run_checkpoints(BOWL, opt, starts, [0, 10, 40])
    traj = run(BOWL, opt, starts, 40)
    assert_same(values, traj.values[[0, 10, 40]])
    np.testing.assert_array_equal(final, traj.points[-1])
    assert (diverged_at == -1).all()
    with pytest.raises(ValueError, match="increasing"):
        run_checkpoints(BOWL, opt, starts, [10, 5])
    with pytest.raises(ValueError, match="increasing"):
        run_checkpoints(BOWL, opt, starts, [])


@pytest.mark.parametrize(("key", "lr"), [("sgd", 0.03), ("adam", 0.3), ("nesterov", 0.004)])
def test_run_checkpoints_equal_run_final_marks(key, lr):
    """Divergence, tolerance and final points as run_final, on many starts and 4 targets."""
    rng = np.random.default_rng(0)
    starts = rng.uniform(-8, 8, size=(500, 2))  # some start beyond max_abs
    opt = OPTIMIZERS[key](lr=lr)
    kw = dict(max_abs=7.5, targets=HIMMELBLAU.minima, tol=1e-2)
    mine = run_checkpoints(HIMMELBLAU, opt, starts, [150], **kw)
    ref = run_final(HIMMELBLAU, opt, starts, 150, **kw)
    assert (ref.diverged_at >= 0).any() and (ref.reached_at >= 0).any()
    np.testing.assert_array_equal(mine.diverged_at, ref.diverged_at)
    np.testing.assert_array_equal(mine.reached_at, ref.reached_at)
    np.testing.assert_array_equal(mine.final_points, ref.final_points)
    np.testing.assert_array_equal(mine.values[0], ref.final_values)


def test_sweep_rejects_unknown_parameters():
    with pytest.raises(ValueError, match="momentum"):
        sweep(BOWL, "adam", {}, "lr", [0.1], "momentum", [0.5])
    with pytest.raises(ValueError, match="twice"):
        sweep(BOWL, "sgd", {}, "lr", [0.1], "lr", [0.5])
    with pytest.raises(ValueError, match="unknown optimizer"):
        sweep(BOWL, "sgdx", {}, "lr", [0.1], "momentum", [0.5])


@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_sweepable_names_are_accepted(key):
    names = sweepable(key)
    assert "lr" in names and "steps" in names
    x, y = names[0], names[1]
    s = sweep(BOWL, key, (), x, sweep_values(x, 3), y, sweep_values(y, 3), steps=20)
    assert s.final_loss.shape == (len(s.y_values), len(s.x_values))


def test_sweep_param_ranges():
    assert SWEEP_PARAMS["lr"].log and SWEEP_PARAMS["eps"].log
    assert not SWEEP_PARAMS["momentum"].log
    lrs = sweep_values("lr", 7)
    np.testing.assert_allclose(lrs[[0, -1]], [1e-5, 10.0])
    np.testing.assert_allclose(np.diff(np.log(lrs)), np.log(10), rtol=1e-12)
    steps = sweep_values("steps")
    assert steps.dtype == np.int64 and (np.diff(steps) > 0).all()
    with pytest.raises(TypeError):
        SWEEP_PARAMS["lr"] = None  # read-only mapping


# ---------------------------------------------------------------------------------------
# fair comparison


@pytest.mark.parametrize(
    ("key", "criterion"),
    [("sgd", "final_loss"), ("adam", "final_loss"), ("momentum", "steps_to_tol")],
)
def test_best_learning_rate_is_no_worse_than_any_other(key, criterion):
    lrs = np.geomspace(1e-4, 1.0, 12)
    best, result = best_learning_rate(
        BOWL, key, {}, start=(-4.0, 2.0), steps=300, lrs=lrs, criterion=criterion
    )
    assert best == result.lrs[result.best]
    singles = [
        run_final(BOWL, OPTIMIZERS[key](lr=float(lr)), (-4.0, 2.0), 300, targets=BOWL.minima)
        for lr in lrs
    ]
    loss = np.array([o.final_values[0] for o in singles])
    reached = np.array([o.reached_at[0] for o in singles])
    ok = np.array([o.diverged_at[0] < 0 for o in singles])
    assert_same(result.final_loss, loss)
    assert ok[result.best]
    if criterion == "final_loss":
        assert loss[result.best] <= loss[ok].min()
    else:
        assert 0 <= reached[result.best] <= reached[ok & (reached >= 0)].min()


def test_best_learning_rate_ignores_base_lr_and_reports_none():
    best, result = best_learning_rate(BOWL, "sgd", {"lr": 123.0}, steps=50, lrs=[0.5, 1.0])
    assert best is None and result.diverged.all()
    best, _ = best_learning_rate(BOWL, "sgd", (("lr", 123.0),), steps=50, lrs=[0.5, 0.1])
    assert best == 0.1


def test_fair_lrs_one_per_run():
    runs = [("sgd", {}), ("adam", (("betas", (0.9, 0.99)),)), ("rmsprop", {"alpha": 0.9})]
    lrs = fair_lrs(BOWL, runs, start=(-4.0, 2.0), steps=100, lrs=np.geomspace(1e-3, 1, 10))
    assert len(lrs) == 3
    assert all(isinstance(lr, float) for lr in lrs)
    assert (
        lrs[1]
        == best_learning_rate(
            BOWL,
            "adam",
            {"betas": (0.9, 0.99)},
            start=(-4.0, 2.0),
            steps=100,
            lrs=np.geomspace(1e-3, 1, 10),
        )[0]
    )
