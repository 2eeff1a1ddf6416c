"""A fair comparison a lecturer can defend: each optimizer's learning rate is stable (its
grid neighbours are good too) and its path stays finite and on the map."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from optviz import OPTIMIZERS, run
from optviz.explore import (
    best_index,
    best_learning_rate,
    fair_lrs,
    lr_grid,
    neighbourhood_worst,
    stable_index,
)
from optviz_app.studies import FAIR_LRS, FAIR_NEIGHBOURS
from surfaces import SURFACES

LECTURE = ("sgd", "momentum", "adagrad", "rmsprop", "adadelta", "adam")
STEPS = 300


def on_map(surface, key: str, lr: float, steps: int = STEPS) -> bool:
    """The path of ``key`` at ``lr`` from the surface's start: finite f and inside the
    surface's window at every step (checked on a full, single run)."""
    traj = run(surface, OPTIMIZERS[key](lr=lr), surface.start, steps)
    (x0, x1), (y0, y1) = surface.bounds
    p = traj.points[:, 0]
    with np.errstate(invalid="ignore"):
        inside = (p[:, 0] >= x0) & (p[:, 0] <= x1) & (p[:, 1] >= y0) & (p[:, 1] <= y1)
    return bool(inside.all() and np.isfinite(traj.values).all() and traj.diverged_at[0] < 0)


def page_sweep(surface, key: str):
    """The sweep the page's fair comparison makes (its grid, neighbours and window)."""
    return best_learning_rate(
        surface,
        key,
        {},
        steps=STEPS,
        lrs=lr_grid(FAIR_LRS),
        neighbours=FAIR_NEIGHBOURS,
        within=surface.bounds,
    )


@pytest.mark.parametrize("surface_key", ["rosenbrock", "himmelblau"])
def test_fair_learning_rates_keep_every_path_on_the_map(surface_key):
    surface = SURFACES[surface_key]
    runs = [(key, {}) for key in LECTURE]
    lrs = fair_lrs(
        surface,
        runs,
        steps=STEPS,
        lrs=lr_grid(FAIR_LRS),
        neighbours=FAIR_NEIGHBOURS,
        within=surface.bounds,
    )
    for key, lr in zip(LECTURE, lrs, strict=True):
        assert lr is not None, key
        # the lr itself and the 3-digit value the page draws with
        assert on_map(surface, key, lr), (key, lr)
        assert on_map(surface, key, float(f"{lr:.3g}")), (key, lr)


@pytest.mark.parametrize("surface_key", ["rosenbrock", "himmelblau"])
@pytest.mark.parametrize("key", LECTURE)
def test_the_chosen_lrs_grid_neighbours_are_good_too(surface_key, key):
    surface = SURFACES[surface_key]
    lr, sweep = page_sweep(surface, key)
    i, w = sweep.best, FAIR_NEIGHBOURS
    assert lr == sweep.lrs[i] and w <= i < sweep.lrs.size - w
    for j in range(i - w, i + w + 1):
        assert sweep.usable[j] and np.isfinite(sweep.final_loss[j])
        assert on_map(surface, key, float(sweep.lrs[j])), (key, sweep.lrs[j])
    # and it is the best such lr: no other cell with a good neighbourhood has a lower
    # worst final loss
    worst, _, eligible = neighbourhood_worst(sweep.final_loss, sweep.steps_to_tol, sweep.usable, w)
    assert worst[i] == np.nanmin(np.where(eligible, worst, np.nan))


def test_rosenbrock_no_longer_picks_the_lucky_edge():
    """The raw best cells sit next to lrs whose paths leave the map (Adam, RMSprop):
    the stable pick is smaller, with its neighbours on the map."""
    rosenbrock = SURFACES["rosenbrock"]
    for key in ("adam", "rmsprop"):
        raw, _ = best_learning_rate(rosenbrock, key, {}, steps=STEPS, lrs=lr_grid(40))
        stable, _ = page_sweep(rosenbrock, key)
        assert not on_map(rosenbrock, key, raw)
        assert stable < raw and on_map(rosenbrock, key, stable)


def test_off_map_agrees_with_single_runs():
    surface = SURFACES["rosenbrock"]
    lrs = lr_grid(12, 1e-3, 3.0)
    _, sweep = best_learning_rate(surface, "adam", {}, steps=120, lrs=lrs, within=surface.bounds)
    expected = [not on_map(surface, "adam", float(lr), 120) for lr in lrs]
    assert sweep.off_map.tolist() == expected
    assert any(expected) and not all(expected)


def test_no_window_no_neighbours_is_the_plain_best():
    bowl = SURFACES["bowl"]
    lrs = np.geomspace(1e-4, 1.0, 12)
    plain, a = best_learning_rate(bowl, "adam", {}, start=(-4.0, 2.0), lrs=lrs)
    assert a.off_map is None and a.neighbours == 0 and plain == a.best_lr
    assert a.best == best_index(a.final_loss, a.steps_to_tol, ~(a.diverged | a.invalid))


def test_nothing_qualifies_gives_none():
    bowl = SURFACES["bowl"]
    # three lrs: the middle one alone has two neighbours, and one of them diverges
    lr, sweep = best_learning_rate(bowl, "sgd", {}, lrs=[0.1, 0.15, 0.5], neighbours=1)
    assert lr is None and sweep.best is None
    with pytest.raises(ValueError):
        stable_index([1.0], [0], [True], neighbours=-1)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(st.floats(0, 100, allow_nan=False), st.just(float("nan"))),
        min_size=1,
        max_size=30,
    ),
    st.integers(0, 3),
    st.sampled_from(["final_loss", "steps_to_tol"]),
    st.integers(0, 2**31 - 1),
)
def test_stable_index_properties(losses, w, criterion, seed):
    rng = np.random.default_rng(seed)
    loss = np.array(losses)
    n = loss.size
    steps = rng.integers(-1, 50, n)
    usable = rng.random(n) < 0.8
    i = stable_index(loss, steps, usable, w, criterion)
    good = usable & np.isfinite(loss)
    if w == 0:
        assert i == best_index(loss, steps, usable, criterion)
        return
    windows = [
        j for j in range(w, n - w) if good[j - w : j + w + 1].all()
    ]  # cells whose whole neighbourhood is good
    if not windows:
        assert i is None
        return
    assert i in windows  # the chosen cell's neighbours are all usable and finite
    worst = {j: loss[j - w : j + w + 1].max() for j in windows}
    if criterion == "final_loss":
        assert worst[i] == min(worst.values())


# ---------------------------------------------------------------------------------------
# the page


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_page_draws_the_stable_lrs_and_states_the_rule(lang):
    from pathlib import Path

    from apptest_helpers import k, results_table
    from streamlit.testing.v1 import AppTest

    from optviz_app.i18n import t

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"))
    at.default_timeout = 90
    at.run()
    if lang == "ja":
        at.session_state[k(at, "lang")] = "ja"
        at.run()
    at.session_state["open_fair"] = True
    at.run()
    at.toggle(key=k(at, "fair_on")).set_value(True).run()
    at.radio(key=k(at, "fair_mode")).set_value("best").run()
    assert not at.exception
    state = at.session_state["state"]
    surface = SURFACES[state.surface]
    expected = fair_lrs(
        surface,
        [(r.optimizer, {}) for r in state.runs],
        steps=state.steps,
        lrs=lr_grid(FAIR_LRS),
        neighbours=FAIR_NEIGHBOURS,
        within=surface.bounds,
    )
    rows = results_table(at).splitlines()[2:]
    note = t("fair.lr_sweep", lang)
    for row, lr in zip(rows, expected, strict=True):
        assert f"(lr {float(f'{lr:.3g}'):g} · {note})" in row
    rule = "2 grid neighbours each side" if lang == "en" else "格子の両隣 2 つずつ"
    assert any(rule in i.value for i in at.info)


@pytest.mark.parametrize(
    ("convention", "key", "kwargs"),
    [
        ("keras", "adam", {"beta_1": 0.8, "epsilon": 1e-3}),
        ("keras", "sgd", {"momentum": 0.9, "nesterov": True}),
        ("textbook", "momentum", {"momentum": 0.5}),
        ("textbook", "rmsprop", {"decay_rate": 0.9}),
    ],
)
def test_best_learning_rate_in_another_convention_runs_that_convention(convention, key, kwargs):
    """Each lr of the sweep is the convention's own optimizer: its final loss, divergence
    and window verdict equal single runs of ``CONVENTIONS[convention][key]``, not PyTorch's."""
    from optviz import CONVENTIONS

    surface = SURFACES["rosenbrock"]
    lrs = np.geomspace(1e-4, 0.5, 9)
    factory = CONVENTIONS[convention][key]
    lr_name = "learning_rate" if convention == "keras" else "lr"
    best, sweep = best_learning_rate(
        surface,
        key,
        {lr_name: 123.0, **kwargs},
        steps=80,
        lrs=lrs,
        within=surface.bounds,
        convention=convention,
    )
    for i, lr in enumerate(lrs):
        single = run(surface, factory(**{lr_name: float(lr)}, **kwargs), surface.start, 80)
        if sweep.diverged[i]:
            assert single.diverged_at[0] >= 0
            continue
        np.testing.assert_allclose(sweep.final_loss[i], single.values[-1, 0], rtol=1e-12)
    pytorch_key = "sgd" if key == "momentum" else key
    _, torch_sweep = best_learning_rate(surface, pytorch_key, {}, steps=80, lrs=lrs)
    assert not np.allclose(sweep.final_loss, torch_sweep.final_loss, equal_nan=True)
    assert best == sweep.best_lr and best is not None
    # fair_lrs takes the convention as a third entry
    runs = [(key, kwargs, convention), (pytorch_key, {})]
    found = fair_lrs(surface, runs, steps=80, lrs=lrs, within=surface.bounds)
    assert found[0] == best
    alone, _ = best_learning_rate(
        surface, pytorch_key, {}, steps=80, lrs=lrs, within=surface.bounds
    )
    assert found[1] == alone


def test_best_learning_rate_unknown_convention_or_key():
    bowl = SURFACES["bowl"]
    with pytest.raises(ValueError, match="convention"):
        best_learning_rate(bowl, "adam", {}, convention="jax")
    with pytest.raises(ValueError, match="radam"):
        best_learning_rate(bowl, "radam", {}, convention="textbook")
