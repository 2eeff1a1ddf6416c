"""Convention registries: Keras 3 and the book's reference paths, signatures, first steps.

The reference paths in tests/data/conventions were made by the real Keras 3 (float64, torch
backend) and by the book's own common/optimizer.py (tests/data/make_convention_refs.py).
"""

import inspect
import json
from pathlib import Path

import numpy as np
import pytest

from optviz import CONVENTIONS, OPTIMIZERS, Optimizer, run
from optviz.conventions import CONVENTION_NAMES
from surfaces import SURFACES, make_bowl

DATA = Path(__file__).parent / "data" / "conventions"
REFS = {name: json.loads((DATA / f"{name}.json").read_text()) for name in ("keras", "textbook")}
CASES = [(name, case) for name, doc in REFS.items() for case in doc["cases"]]


def _surface(case):
    if case["surface"] == "bowl":
        return make_bowl(**case["surface_params"])
    return SURFACES[case["surface"]]


def _scaled_gap(got, expected):
    return np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1.0))


class HalfNorm:
    """½‖θ‖², whose gradient is θ."""

    @staticmethod
    def f(xy):
        return 0.5 * np.sum(np.asarray(xy) ** 2, axis=-1)

    @staticmethod
    def grad(xy):
        return np.asarray(xy, dtype=float).copy()


# --- the registries ----------------------------------------------------------------------


def test_registry_keys_and_pytorch_is_optimizers():
    assert CONVENTIONS["pytorch"] is OPTIMIZERS
    assert list(CONVENTIONS["keras"]) == [
        "sgd",
        "adagrad",
        "rmsprop",
        "adadelta",
        "adam",
        "adamw",
        "nadam",
        "adamax",
        "lion",
    ]
    assert list(CONVENTIONS["textbook"]) == [
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
    ]
    assert set(CONVENTION_NAMES) == set(CONVENTIONS)


@pytest.mark.parametrize("convention", list(CONVENTIONS))
def test_factories_return_optimizers_of_their_convention(convention):
    for key, factory in CONVENTIONS[convention].items():
        opt = factory()
        assert isinstance(opt, Optimizer)
        assert (opt.name, opt.convention) == (key, convention)
        assert set(opt.hyperparams) >= set(
            REFS.get(convention, {}).get("signatures", {}).get(key, {})
        )


@pytest.mark.parametrize("convention", ["keras", "textbook"])
def test_keyword_names_and_defaults_are_the_librarys(convention):
    """The factories' signatures equal those recorded from the real classes."""
    recorded = REFS[convention]["signatures"]
    assert set(recorded) == set(CONVENTIONS[convention])
    for key, defaults in recorded.items():
        params = inspect.signature(CONVENTIONS[convention][key]).parameters
        assert {name: p.default for name, p in params.items()} == defaults, key


# --- reference paths ---------------------------------------------------------------------


@pytest.mark.parametrize(("convention", "case"), CASES, ids=[f"{n}-{c['id']}" for n, c in CASES])
def test_reproduces_reference_path(convention, case):
    opt = CONVENTIONS[convention][case["key"]](**case["kwargs"])
    traj = run(_surface(case), opt, case["start"], case["steps"])
    expected = np.array(case["positions"])
    assert traj.points.shape == (case["steps"] + 1, 1, 2)
    # stored with 13 significant digits; every case amplifies rounding by ≤ 1e-12
    assert case["sensitivity"] < 1e-12
    assert _scaled_gap(traj.points[:, 0], expected) < 1e-12
    assert traj.diverged_at[0] == -1


@pytest.mark.parametrize(
    ("convention", "case"),
    [(n, c) for n, c in CASES if c["left_at"] is not None],
    ids=[f"{n}-{c['id']}" for n, c in CASES if c["left_at"] is not None],
)
def test_divergence_is_marked_where_the_library_leaves_max_abs(convention, case):
    opt = CONVENTIONS[convention][case["key"]](**case["kwargs"])
    traj = run(_surface(case), opt, case["start"], case["requested_steps"], max_abs=1e6)
    assert traj.diverged_at[0] == case["left_at"]
    assert np.all(np.isnan(traj.points[case["left_at"] :, 0]))
    assert np.all(np.isfinite(traj.points[: case["left_at"], 0]))


@pytest.mark.parametrize("convention", ["keras", "textbook"])
def test_references_cover_every_optimizer_on_rosenbrock_bowl_and_saddle(convention):
    covered = {(c["surface"], c["key"]) for c in REFS[convention]["cases"]}
    for surface in ("rosenbrock", "bowl", "saddle"):
        for key in CONVENTIONS[convention]:
            assert (surface, key) in covered, (surface, key)


def test_references_include_the_books_figure():
    figure = [c for c in REFS["textbook"]["cases"] if c["start"] == [-7.0, 2.0]]
    assert {(c["key"], c["kwargs"]["lr"], c["steps"]) for c in figure} == {
        ("sgd", 0.95, 30),
        ("momentum", 0.1, 30),
        ("adagrad", 1.5, 30),
        ("adam", 0.3, 30),
    }
    assert all(c["surface_params"] == {"condition": 20.0, "scale": 0.1} for c in figure)


# --- analytic first steps ----------------------------------------------------------------

START = np.array([[3.0, -2.0], [-0.1, 4.0]])


def _first_step(opt, start=START, steps=1):
    traj = run(HalfNorm, opt, start, steps)
    return traj.points[1] - traj.points[0], traj


def test_textbook_adagrad_first_step_is_lr_g_over_abs_g_plus_eps():
    step, _ = _first_step(CONVENTIONS["textbook"]["adagrad"](lr=1.5))
    np.testing.assert_allclose(step, -1.5 * START / (np.abs(START) + 1e-7), rtol=1e-15)


def test_textbook_rmsprop_and_adam_first_steps():
    step, _ = _first_step(CONVENTIONS["textbook"]["rmsprop"](lr=0.1))  # h = 0.01 g²
    np.testing.assert_allclose(step, -0.1 * START / (0.1 * np.abs(START) + 1e-7), rtol=1e-14)
    step, _ = _first_step(CONVENTIONS["textbook"]["adam"](lr=0.3))
    # lr_t = lr √(1 − β₂)/(1 − β₁), m = 0.1 g, v = 0.001 g²
    lr_t = 0.3 * np.sqrt(0.001) / 0.1
    expected = -lr_t * 0.1 * START / (np.sqrt(0.001) * np.abs(START) + 1e-7)
    np.testing.assert_allclose(step, expected, rtol=1e-14)


def test_textbook_momentum_and_nesterov_first_two_steps():
    lr, mu = 0.1, 0.9
    _, traj = _first_step(CONVENTIONS["textbook"]["momentum"](lr=lr, momentum=mu), steps=2)
    w0 = START
    w1 = w0 - lr * w0
    np.testing.assert_allclose(traj.points[1], w1, rtol=1e-15)
    np.testing.assert_allclose(traj.points[2], w1 + mu * (-lr * w0) - lr * w1, rtol=1e-14)
    _, traj = _first_step(CONVENTIONS["textbook"]["nesterov"](lr=lr, momentum=mu), steps=2)
    n1 = w0 - (1 + mu) * lr * w0
    v1 = -lr * w0
    np.testing.assert_allclose(traj.points[1], n1, rtol=1e-15)
    np.testing.assert_allclose(traj.points[2], n1 + mu * mu * v1 - (1 + mu) * lr * n1, rtol=1e-14)


def test_keras_adam_first_step_has_eps_hat():
    lr, eps = 0.05, 1e-3  # a large ε to see where it goes: next to √v, not √v̂
    step, _ = _first_step(CONVENTIONS["keras"]["adam"](learning_rate=lr, epsilon=eps))
    # α = lr √(1 − β₂)/(1 − β₁); m = 0.1 g; v = 0.001 g²
    alpha = lr * np.sqrt(0.001) / 0.1
    expected = -0.1 * START * alpha / (np.sqrt(0.001) * np.abs(START) + eps)
    np.testing.assert_allclose(step, expected, rtol=1e-14)
    torch_style, _ = _first_step(OPTIMIZERS["adam"](lr=lr, eps=eps))
    assert np.all(np.abs(torch_style) > np.abs(step))  # PyTorch's ε is √(1−β₂)× smaller


def test_keras_adagrad_first_step_starts_from_the_accumulator():
    step, _ = _first_step(CONVENTIONS["keras"]["adagrad"](learning_rate=0.5))
    np.testing.assert_allclose(step, -0.5 * START / np.sqrt(0.1 + START**2 + 1e-7), rtol=1e-15)


def test_keras_sgd_and_rmsprop_and_lion_first_steps():
    step, _ = _first_step(CONVENTIONS["keras"]["sgd"](learning_rate=0.1, momentum=0.9))
    np.testing.assert_allclose(step, -0.1 * START, rtol=1e-15)
    opt = CONVENTIONS["keras"]["sgd"](learning_rate=0.1, momentum=0.9, nesterov=True)
    step, _ = _first_step(opt)
    np.testing.assert_allclose(step, -1.9 * 0.1 * START, rtol=1e-15)
    step, _ = _first_step(CONVENTIONS["keras"]["rmsprop"](learning_rate=0.01))  # v = 0.1 g²
    np.testing.assert_allclose(step, -0.01 * START / np.sqrt(0.1 * START**2 + 1e-7), rtol=1e-14)
    _, traj = _first_step(CONVENTIONS["keras"]["lion"](learning_rate=0.01), steps=30)
    np.testing.assert_allclose(np.abs(np.diff(traj.points, axis=0)), 0.01, rtol=1e-12)


def test_keras_weight_decay_is_decoupled_and_scaled_by_the_learning_rate():
    lr, wd = 0.1, 0.5
    plain, _ = _first_step(CONVENTIONS["keras"]["sgd"](learning_rate=lr))
    decayed, _ = _first_step(CONVENTIONS["keras"]["sgd"](learning_rate=lr, weight_decay=wd))
    np.testing.assert_allclose(decayed - plain, -START * wd * lr, rtol=1e-14)
    # AdamW by default decays by 0.004·lr; Adam by default not at all
    adamw, _ = _first_step(CONVENTIONS["keras"]["adamw"](learning_rate=lr))
    adam, _ = _first_step(CONVENTIONS["keras"]["adam"](learning_rate=lr))
    np.testing.assert_allclose(adamw - adam, -START * 0.004 * lr, rtol=1e-12)


def test_keras_nadam_has_no_momentum_decay_factor():
    """Keras's μ_t = β₁(1 − ½·0.96ᵗ), PyTorch's β₁(1 − ½·0.96^(0.004t)): the first steps differ."""
    lr = 0.01
    step, _ = _first_step(CONVENTIONS["keras"]["nadam"](learning_rate=lr, epsilon=0.0))
    mu1, mu2 = 0.9 * (1 - 0.5 * 0.96), 0.9 * (1 - 0.5 * 0.96**2)
    m_hat = mu2 * 0.1 / (1 - mu1 * mu2) + (1 - mu1) / (1 - mu1)  # per unit g
    np.testing.assert_allclose(step, -lr * m_hat * np.sign(START), rtol=1e-12)


# --- batches, schedules ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("convention", "key", "name"),
    [("keras", k, "learning_rate") for k in CONVENTIONS["keras"]]
    + [("textbook", k, "lr") for k in CONVENTIONS["textbook"]],
)
def test_a_learning_rate_column_is_one_batched_run(convention, key, name):
    rates = np.array([[0.001], [0.01], [0.03]])
    starts = np.repeat([[-1.5, 2.0]], 3, axis=0)
    factory = CONVENTIONS[convention][key]
    batched = run(SURFACES["rosenbrock"], factory(**{name: rates}), starts, 40).points
    for i, rate in enumerate(rates[:, 0]):
        alone = run(SURFACES["rosenbrock"], factory(**{name: float(rate)}), starts[i], 40).points
        np.testing.assert_array_equal(batched[:, i], alone[:, 0])


def test_keras_learning_rate_schedule_is_evaluated_at_the_step_count():
    from optviz import schedules

    sched = schedules.exponential_lr(0.1, gamma=0.5)
    _, traj = _first_step(CONVENTIONS["keras"]["sgd"](learning_rate=sched), steps=3)
    expected = START.copy()
    for k in range(3):
        expected = expected - expected * (0.1 * 0.5**k)
        np.testing.assert_allclose(traj.points[k + 1], expected, rtol=1e-15)


# --- validation --------------------------------------------------------------------------

BAD = [
    ("keras", "sgd", {"learning_rate": -0.1}, "learning_rate"),
    ("keras", "sgd", {"momentum": 1.5}, "momentum"),
    ("keras", "sgd", {"momentum": -0.1}, "momentum"),
    ("keras", "sgd", {"weight_decay": -1.0}, "weight_decay"),
    ("keras", "adagrad", {"initial_accumulator_value": -0.1}, "initial_accumulator_value"),
    ("keras", "adagrad", {"epsilon": -1e-7}, "epsilon"),
    ("keras", "rmsprop", {"rho": 1.1}, "rho"),
    ("keras", "rmsprop", {"momentum": -0.5}, "momentum"),
    ("keras", "adadelta", {"rho": -0.1}, "rho"),
    ("keras", "adam", {"beta_1": 1.0}, "beta_1"),
    ("keras", "adam", {"beta_2": -0.1}, "beta_2"),
    ("keras", "adam", {"learning_rate": "fast"}, "learning_rate"),
    ("keras", "adamw", {"weight_decay": None}, "weight_decay"),
    ("keras", "nadam", {"beta_1": float("nan")}, "beta_1"),
    ("keras", "adamax", {"beta_2": 1.0}, "beta_2"),
    ("keras", "lion", {"beta_1": 0.0}, "beta_1"),
    ("keras", "lion", {"beta_2": 1.5}, "beta_2"),
    ("textbook", "sgd", {"lr": -0.01}, "lr"),
    ("textbook", "momentum", {"momentum": 1.2}, "momentum"),
    ("textbook", "nesterov", {"momentum": -0.9}, "momentum"),
    ("textbook", "adagrad", {"lr": float("nan")}, "lr"),
    ("textbook", "rmsprop", {"decay_rate": 1.01}, "decay_rate"),
    ("textbook", "adam", {"beta1": 1.0}, "beta1"),
    ("textbook", "adam", {"beta2": -0.5}, "beta2"),
]


@pytest.mark.parametrize(("convention", "key", "kwargs", "name"), BAD)
def test_bad_values_raise_value_error_naming_the_argument(convention, key, kwargs, name):
    with pytest.raises(ValueError, match=name):
        CONVENTIONS[convention][key](**kwargs)


def test_boundary_values_are_accepted():
    CONVENTIONS["keras"]["sgd"](momentum=1.0, learning_rate=0.0)
    CONVENTIONS["keras"]["rmsprop"](rho=1.0)
    CONVENTIONS["keras"]["lion"](beta_1=1.0, beta_2=1.0)
    CONVENTIONS["keras"]["adam"](beta_1=0.0, weight_decay=0.0)
    CONVENTIONS["textbook"]["rmsprop"](decay_rate=0.0)
    CONVENTIONS["textbook"]["adam"](beta1=0.0, beta2=0.0)


def test_messages_say_the_allowed_range():
    with pytest.raises(ValueError, match=r"`learning_rate` must be ≥ 0\. Received"):
        CONVENTIONS["keras"]["sgd"](learning_rate=-1.0)
    with pytest.raises(ValueError, match=r"`beta1` must be in \[0, 1\)\. Received: beta1=1\.0"):
        CONVENTIONS["textbook"]["adam"](beta1=1.0)
    with pytest.raises(ValueError, match=r"`beta_1` must be in \(0, 1\]"):
        CONVENTIONS["keras"]["lion"](beta_1=0.0)
