"""Optimizers: PyTorch reference trajectories, analytic goldens, validation, broadcasting."""

import inspect
import json
from pathlib import Path

import numpy as np
import pytest

from optviz import OPTIMIZERS, run, schedules
from optviz.optimizers import Optimizer
from surfaces import SURFACES

ORACLE = Path(__file__).parent / "data" / "oracle"
INDEX = json.loads((ORACLE / "index.json").read_text())["files"]
TORCH_CLASS_TO_KEY = {
    "torch.optim.SGD": "sgd",
    "torch.optim.Adagrad": "adagrad",
    "torch.optim.RMSprop": "rmsprop",
    "torch.optim.Adadelta": "adadelta",
    "torch.optim.Adam": "adam",
    "torch.optim.AdamW": "adamw",
    "torch.optim.Adamax": "adamax",
    "torch.optim.NAdam": "nadam",
    "torch.optim.RAdam": "radam",
    "lion_pytorch.Lion": "lion",
}
ORACLE_SURFACE = {"rosenbrock": "rosenbrock", "quadratic_bowl": "bowl"}


def _kwargs(hyper: dict) -> dict:
    return {k: tuple(v) if k == "betas" else v for k, v in hyper.items()}


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"] for e in INDEX])
def test_reproduces_torch_reference_trajectory(entry):
    ref = json.loads((ORACLE / entry["file"]).read_text())
    key = TORCH_CLASS_TO_KEY[ref["optimizer"]["class"]]
    opt = OPTIMIZERS[key](**_kwargs(ref["optimizer"]["user_hyperparameters"]))
    surface = SURFACES[ORACLE_SURFACE[entry["function"]]]
    traj = run(surface, opt, ref["function"]["start"], ref["steps"])
    expected = np.array(ref["positions"])
    got = traj.points[:, 0, :]
    scaled = np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1.0))
    assert scaled <= entry["suggested_scaled_tolerance"]
    # The reference is rounded to 12 significant digits: a faithful port sits near that.
    if entry["suggested_scaled_tolerance"] <= 1e-9:
        assert scaled < 1e-10
    np.testing.assert_allclose(traj.values[:, 0], ref["loss"], rtol=1e-9, atol=1e-10)


def test_oracle_covers_every_torch_optimizer():
    covered = {TORCH_CLASS_TO_KEY[e["optimizer"]] for e in INDEX}
    assert covered == set(TORCH_CLASS_TO_KEY.values())


# --- analytic goldens --------------------------------------------------------------------


class HalfNorm:
    """½‖θ‖², whose gradient is θ."""

    @staticmethod
    def f(xy):
        return 0.5 * np.sum(np.asarray(xy) ** 2, axis=-1)

    @staticmethod
    def grad(xy):
        return np.asarray(xy, dtype=float).copy()


@pytest.mark.parametrize("lr", [0.01, 0.1, 0.5, 1.5])
def test_sgd_on_half_norm_is_geometric(lr):
    start = np.array([[3.0, -2.0], [0.5, 0.25]])
    traj = run(HalfNorm, OPTIMIZERS["sgd"](lr=lr), start, 40)
    k = np.arange(41)[:, None, None]
    np.testing.assert_allclose(traj.points, (1 - lr) ** k * start[None], rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("key", ["adam", "adamw", "nadam", "adamax"])
def test_adam_family_first_step_is_lr_times_sign(key):
    start = np.array([[3.0, -2.0], [-0.1, 4.0]])
    lr = 0.05
    kwargs = {"weight_decay": 0.0} if key == "adamw" else {}
    opt = OPTIMIZERS[key](lr=lr, eps=1e-12, **kwargs)
    traj = run(HalfNorm, opt, start, 1)
    step = traj.points[1] - traj.points[0]
    if key == "nadam":  # NAdam's Nesterov look-ahead mixes the two first-step terms
        mu1 = 0.9 * (1 - 0.5 * 0.96**0.004)
        mu2 = 0.9 * (1 - 0.5 * 0.96**0.008)
        factor = (1 - mu1) / (1 - mu1) + mu2 * 0.1 / (1 - mu1 * mu2)
        np.testing.assert_allclose(step, -lr * factor * np.sign(start), rtol=1e-9)
    else:
        np.testing.assert_allclose(step, -lr * np.sign(start), rtol=1e-9)


def test_lion_steps_are_exactly_lr_in_each_coordinate():
    traj = run(HalfNorm, OPTIMIZERS["lion"](lr=0.01), [[3.0, -2.0]], 50)
    steps = np.abs(np.diff(traj.points, axis=0))
    np.testing.assert_allclose(steps, 0.01, rtol=1e-12)


def test_radam_first_five_steps_are_unnormalised_momentum():
    traj = run(HalfNorm, OPTIMIZERS["radam"](lr=0.01), [[3.0, -2.0]], 6)
    state = traj.states
    for k in range(5):
        m_hat = state.exp_avg[k + 1] / (1 - 0.9 ** (k + 1))
        np.testing.assert_allclose(traj.points[k + 1] - traj.points[k], -0.01 * m_hat, rtol=1e-12)


def test_momentum_zero_equals_sgd_and_presets_match_sgd():
    surface = SURFACES["rosenbrock"]
    start = [[-1.5, 2.0], [0.5, -0.5]]
    plain = run(surface, OPTIMIZERS["sgd"](lr=1e-3), start, 100).points
    zero = run(surface, OPTIMIZERS["momentum"](lr=1e-3, momentum=0.0), start, 100).points
    np.testing.assert_array_equal(plain, zero)
    heavy = run(surface, OPTIMIZERS["momentum"](lr=2e-4), start, 100).points
    same = run(surface, OPTIMIZERS["sgd"](lr=2e-4, momentum=0.9), start, 100).points
    np.testing.assert_array_equal(heavy, same)
    nest = run(surface, OPTIMIZERS["nesterov"](lr=2e-4), start, 100).points
    same = run(surface, OPTIMIZERS["sgd"](lr=2e-4, momentum=0.9, nesterov=True), start, 100)
    np.testing.assert_array_equal(nest, same.points)


def test_adamw_is_adam_with_decoupled_weight_decay():
    surface = SURFACES["bowl"]
    a = run(surface, OPTIMIZERS["adamw"](lr=0.1, weight_decay=0.3), [-4, 2], 50).points
    b = OPTIMIZERS["adam"](lr=0.1, weight_decay=0.3, decoupled_weight_decay=True)
    np.testing.assert_array_equal(a, run(surface, b, [-4, 2], 50).points)


@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_maximize_on_negated_surface_mirrors_minimize(key):
    class Negated:
        f = staticmethod(lambda xy: -SURFACES["bowl"].f(xy))
        grad = staticmethod(lambda xy: -SURFACES["bowl"].grad(xy))

    lr = {"adadelta": 1.0, "lion": 0.01}.get(key, 0.02)
    down = run(SURFACES["bowl"], OPTIMIZERS[key](lr=lr), [-4, 2], 30).points
    up = run(Negated, OPTIMIZERS[key](lr=lr, maximize=True), [-4, 2], 30).points
    np.testing.assert_array_equal(down, up)


# --- contract: registry, signatures, validation ------------------------------------------

TORCH_DEFAULTS = {
    "sgd": {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0, "nesterov": False},
    "momentum": {"lr": 1e-3, "momentum": 0.9, "nesterov": False},
    "nesterov": {"lr": 1e-3, "momentum": 0.9, "nesterov": True},
    "adagrad": {"lr": 1e-2, "lr_decay": 0, "initial_accumulator_value": 0, "eps": 1e-10},
    "rmsprop": {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "momentum": 0, "centered": False},
    "adadelta": {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0},
    "adam": {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False},
    "adamw": {"lr": 1e-3, "weight_decay": 1e-2, "amsgrad": False},
    "nadam": {"lr": 2e-3, "momentum_decay": 4e-3, "decoupled_weight_decay": False},
    "radam": {"lr": 1e-3, "betas": (0.9, 0.999), "decoupled_weight_decay": False},
    "adamax": {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8},
    "lion": {"lr": 1e-4, "betas": (0.9, 0.99), "weight_decay": 0},
    "rprop": {"lr": 1e-2, "etas": (0.5, 1.2), "step_sizes": (1e-6, 50)},
    "adafactor": {"lr": 1e-2, "beta2_decay": -0.8, "eps": (None, 1e-3), "d": 1.0},
}


def test_registry_keys():
    assert set(OPTIMIZERS) == set(TORCH_DEFAULTS)


@pytest.mark.parametrize("key", sorted(TORCH_DEFAULTS))
def test_defaults_are_torch_defaults(key):
    params = inspect.signature(OPTIMIZERS[key]).parameters
    for name, default in TORCH_DEFAULTS[key].items():
        assert params[name].default == default, name
    assert params["maximize"].default is False
    opt = OPTIMIZERS[key]()
    assert isinstance(opt, Optimizer) and opt.name == key


BAD = [
    ("sgd", {"lr": -0.1}, "learning rate"),
    ("sgd", {"lr": float("nan")}, "learning rate"),
    ("sgd", {"momentum": -0.5}, "momentum"),
    ("sgd", {"weight_decay": -1}, "weight_decay"),
    ("sgd", {"nesterov": True}, "Nesterov"),
    ("sgd", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov"),
    ("adam", {"betas": (1.0, 0.999)}, "index 0"),
    ("adam", {"betas": (0.9, -0.1)}, "index 1"),
    ("adam", {"betas": 0.9}, "betas"),
    ("adam", {"eps": -1e-8}, "epsilon"),
    ("adamw", {"weight_decay": -0.01}, "weight_decay"),
    ("adagrad", {"lr_decay": -1}, "lr_decay"),
    ("adagrad", {"initial_accumulator_value": -1}, "initial_accumulator_value"),
    ("rmsprop", {"alpha": -0.5}, "alpha"),
    ("adadelta", {"rho": 1.5}, "rho"),
    ("nadam", {"momentum_decay": -1}, "momentum_decay"),
    ("lion", {"betas": (0.9, 1.5)}, "index 1"),
    ("adam", {"lr": np.array([[0.1], [-0.1]])}, "learning rate"),
]


@pytest.mark.parametrize(("key", "kwargs", "words"), BAD)
def test_bad_values_raise_value_error_naming_the_parameter(key, kwargs, words):
    with pytest.raises(ValueError, match=words):
        OPTIMIZERS[key](**kwargs)


# --- batching and broadcasting -----------------------------------------------------------

STARTS = np.array([[-1.5, 2.0], [0.3, -0.7], [1.2, 1.1], [-0.5, 0.5]])


@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_batch_equals_per_point_runs(key):
    surface = SURFACES["rosenbrock"]
    opt = OPTIMIZERS[key](lr=1e-3)
    batch = run(surface, opt, STARTS, 60).points
    for i, start in enumerate(STARTS):
        single = run(surface, opt, start, 60).points[:, 0]
        np.testing.assert_array_equal(batch[:, i], single)


@pytest.mark.parametrize("key", sorted(OPTIMIZERS))
def test_learning_rate_array_broadcasts_like_separate_runs(key):
    surface = SURFACES["bowl"]
    rates = np.array([0.001, 0.01, 0.05])
    starts = np.repeat([[-4.0, 2.0]], 3, axis=0)
    batch = run(surface, OPTIMIZERS[key](lr=rates[:, None]), starts, 40).points
    for i, lr in enumerate(rates):
        single = run(surface, OPTIMIZERS[key](lr=float(lr)), starts[i], 40).points[:, 0]
        np.testing.assert_allclose(batch[:, i], single, rtol=1e-13, atol=1e-15)


def test_betas_and_momentum_arrays_broadcast():
    surface = SURFACES["bowl"]
    starts = np.repeat([[-4.0, 2.0]], 2, axis=0)
    beta1 = np.array([[0.5], [0.9]])
    batch = run(surface, OPTIMIZERS["adam"](lr=0.1, betas=(beta1, 0.999)), starts, 30).points
    for i, b1 in enumerate([0.5, 0.9]):
        single = run(surface, OPTIMIZERS["adam"](lr=0.1, betas=(b1, 0.999)), starts[i], 30)
        np.testing.assert_allclose(batch[:, i], single.points[:, 0], rtol=1e-13)
    mom = np.array([[0.0], [0.9]])
    batch = run(surface, OPTIMIZERS["sgd"](lr=0.01, momentum=mom, dampening=0.5), starts, 30)
    plain = run(surface, OPTIMIZERS["sgd"](lr=0.01), starts[0], 30).points[:, 0]
    heavy = OPTIMIZERS["sgd"](lr=0.01, momentum=0.9, dampening=0.5)
    np.testing.assert_allclose(batch.points[:, 0], plain, rtol=1e-13)
    np.testing.assert_allclose(batch.points[:, 1], run(surface, heavy, starts[1], 30).points[:, 0])


@pytest.mark.parametrize("key", ["sgd", "adam", "rmsprop", "radam", "nadam"])
def test_schedule_learning_rate_matches_hand_stepped_rates(key):
    """An lr schedule equals running one step at a time with the schedule's rate."""
    surface = SURFACES["rosenbrock"]
    sched = schedules.step_lr(1e-3, step_size=7, gamma=0.5)
    got = run(surface, OPTIMIZERS[key](lr=sched), [-1.5, 2.0], 30).points[:, 0]
    opts = [OPTIMIZERS[key](lr=float(sched(k))) for k in range(30)]
    params, state = np.array([[-1.5, 2.0]]), opts[0].init(np.zeros((1, 2)))
    for k in range(30):
        step, state = opts[k].update(surface.grad(params), state, params)
        params = params + step
        np.testing.assert_array_equal(got[k + 1], params[0])
