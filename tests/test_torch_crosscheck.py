"""Live cross-check against torch.optim and torch.optim.lr_scheduler (skipped without torch).

The stored reference trajectories (test_optimizers.py) cover the common settings; this
sweeps the keyword combinations they don't: maximize, coupled/decoupled weight decay,
amsgrad, centered, nesterov, dampening, and every learning-rate schedule.
"""

import numpy as np
import pytest

from optviz import OPTIMIZERS, run, schedules
from surfaces import SURFACES

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def _float64_default():
    """torch keeps NAdam's μ-product and step counts in the default dtype: use float64."""
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


TORCH = {
    "sgd": "SGD",
    "momentum": "SGD",
    "nesterov": "SGD",
    "adagrad": "Adagrad",
    "rmsprop": "RMSprop",
    "adadelta": "Adadelta",
    "adam": "Adam",
    "adamw": "AdamW",
    "nadam": "NAdam",
    "radam": "RAdam",
    "adamax": "Adamax",
    "rprop": "Rprop",
    "adafactor": "Adafactor",
}
PRESET = {"momentum": {"momentum": 0.9}, "nesterov": {"momentum": 0.9, "nesterov": True}}

CASES = [
    ("sgd", {"lr": 1e-3, "maximize": False, "weight_decay": 0.05}),
    ("momentum", {"lr": 2e-4, "dampening": 0.3, "weight_decay": 0.01}),
    ("nesterov", {"lr": 2e-4, "weight_decay": 0.02}),
    ("adagrad", {"lr": 0.3, "weight_decay": 0.01, "eps": 1e-6}),
    ("rmsprop", {"lr": 1e-3, "centered": True, "weight_decay": 0.01}),
    ("rmsprop", {"lr": 1e-3, "momentum": 0.5, "alpha": 0.9}),
    ("adadelta", {"lr": 0.5, "weight_decay": 0.1, "rho": 0.8}),
    ("adam", {"lr": 0.05, "amsgrad": True, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamw", {"lr": 0.05, "amsgrad": True, "betas": (0.8, 0.99)}),
    ("nadam", {"lr": 0.03, "momentum_decay": 0.01, "weight_decay": 0.05}),
    ("radam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", {"lr": 0.01, "betas": (0.9, 0.9)}),
    ("adamax", {"lr": 0.01, "weight_decay": 0.05, "betas": (0.8, 0.95)}),
    ("rprop", {"lr": 0.01}),
    ("rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.2)}),
    ("adafactor", {"lr": 0.3}),
    ("adafactor", {"lr": 0.1, "weight_decay": 0.1, "d": 2.0, "beta2_decay": -0.5}),
    ("adafactor", {"lr": 0.1, "eps": (1e-3, 1e-2)}),
]

SCHEDULES = [
    (lambda: schedules.step_lr(1.0, step_size=13, gamma=0.5), "StepLR", {"step_size": 13}),
    (lambda: schedules.exponential_lr(1.0, gamma=0.98), "ExponentialLR", {"gamma": 0.98}),
    (lambda: schedules.cosine_annealing_lr(1.0, T_max=60), "CosineAnnealingLR", {"T_max": 60}),
    (
        lambda: schedules.linear_warmup(1.0, warmup_steps=20, start_factor=0.1),
        "LinearLR",
        {"start_factor": 0.1, "total_iters": 20},
    ),
]


def _torch_path(key, kwargs, start, steps, maximize, scheduler=None):
    """Run torch.optim on Rosenbrock (negated when maximizing) in float64."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = getattr(torch.optim, TORCH[key])([p], **PRESET.get(key, {}), **kwargs, foreach=False)
    sched = None
    if scheduler is not None:
        name, sched_kwargs = scheduler
        extra = {"gamma": 0.5} if name == "StepLR" else {}
        sched = getattr(torch.optim.lr_scheduler, name)(opt, **sched_kwargs, **extra)
    path = [p.detach().clone().numpy()]
    for _ in range(steps):
        opt.zero_grad()
        x, y = p[0], p[1]
        loss = (1 - x) ** 2 + 100 * (y - x**2) ** 2
        (-loss if maximize else loss).backward()
        opt.step()
        if sched is not None:
            sched.step()
        path.append(p.detach().clone().numpy())
    return np.array(path)


class NegatedRosenbrock:
    f = staticmethod(lambda xy: -SURFACES["rosenbrock"].f(xy))
    grad = staticmethod(lambda xy: -SURFACES["rosenbrock"].grad(xy))


def _scaled_gap(a, b):
    return np.max(np.abs(a - b) / np.maximum(np.abs(b), 1.0))


@pytest.mark.parametrize("maximize", [False, True])
@pytest.mark.parametrize(("key", "kwargs"), CASES)
def test_matches_torch_optim(key, kwargs, maximize):
    kwargs = {**kwargs, "maximize": maximize}
    surface = NegatedRosenbrock if maximize else SURFACES["rosenbrock"]
    ours = run(surface, OPTIMIZERS[key](**kwargs), [-1.5, 2.0], 150).points[:, 0]
    theirs = _torch_path(key, kwargs, [-1.5, 2.0], 150, maximize)
    assert _scaled_gap(ours, theirs) < 1e-11


@pytest.mark.parametrize(("make", "name", "sched_kwargs"), SCHEDULES)
@pytest.mark.parametrize("key", ["sgd", "adam", "rmsprop", "adagrad", "nadam"])
def test_schedules_match_torch_lr_scheduler(key, make, name, sched_kwargs):
    base = {"sgd": 5e-4, "adam": 0.05, "rmsprop": 5e-3, "adagrad": 0.3, "nadam": 0.03}[key]
    spec = make().to_dict()
    spec["lr"] = base
    ours_sched = schedules.from_dict(spec)
    ours = run(SURFACES["rosenbrock"], OPTIMIZERS[key](lr=ours_sched), [-1.5, 2.0], 120).points
    theirs = _torch_path(key, {"lr": base}, [-1.5, 2.0], 120, False, (name, sched_kwargs))
    assert _scaled_gap(ours[:, 0], theirs) < 1e-11


@pytest.mark.parametrize(("make", "name", "sched_kwargs"), SCHEDULES)
def test_schedule_closed_forms_equal_torch_get_last_lr(make, name, sched_kwargs):
    sched = make()
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    extra = {"gamma": 0.5} if name == "StepLR" else {}
    torch_sched = getattr(torch.optim.lr_scheduler, name)(opt, **sched_kwargs, **extra)
    for k in range(150):
        assert float(sched(k)) == pytest.approx(torch_sched.get_last_lr()[0], rel=1e-12, abs=1e-15)
        opt.step()
        torch_sched.step()


TORCH_SCHEDULERS = {
    "step": ("StepLR", {}),
    "exponential": ("ExponentialLR", {}),
    "cosine": ("CosineAnnealingLR", {}),
    "warmup": ("LinearLR", {"warmup_steps": "total_iters"}),
}
"""Our schedule kind -> torch scheduler class and our keyword names that torch spells
otherwise."""


@pytest.mark.parametrize("kind", sorted(TORCH_SCHEDULERS))
def test_schedule_defaults_are_torch_defaults(kind):
    """Every schedule parameter torch gives a default starts at that default (StepLR's
    gamma 0.1, LinearLR's 5 steps from 1/3, ...); the others are ones torch requires."""
    import inspect

    name, renamed = TORCH_SCHEDULERS[kind]
    signature = inspect.signature(getattr(torch.optim.lr_scheduler, name)).parameters
    for param in schedules.SCHEDULE_PARAMS[kind]:
        theirs = signature[renamed.get(param.name, param.name)].default
        if theirs is inspect.Parameter.empty:
            assert param.name in schedules.STARTING_VALUES[kind]
        else:
            assert param.default == theirs, (kind, param.name)


@pytest.mark.parametrize(
    ("key", "kwargs"),
    [
        ("rprop", {"lr": 0.01}),
        ("adafactor", {"lr": 0.01}),
        ("adafactor", {"lr": 0.2, "weight_decay": 0.05, "d": 1.2}),
    ],
)
def test_same_gradients_give_the_same_steps_as_torch(key, kwargs):
    """Put at optviz's point θ_k with optviz's gradient, torch steps to θ_{k+1} within one
    unit in the last place (optviz returns the step θ_{k+1} − θ_k, which adds one rounding
    when weight decay moves θ): the arithmetic is torch's, even where a whole path on
    Rosenbrock is too sensitive to compare (Adafactor at lr 0.01 doubles a 1e-14 gradient
    difference every step)."""
    traj = run(SURFACES["rosenbrock"], OPTIMIZERS[key](**kwargs), [-1.5, 2.0], 150)
    p = torch.tensor(traj.points[0, 0], requires_grad=True)
    opt = getattr(torch.optim, TORCH[key])([p], **kwargs, foreach=False)
    for k in range(150):
        with torch.no_grad():
            p.copy_(torch.from_numpy(traj.points[k, 0]))
        p.grad = torch.from_numpy(traj.grads[k, 0].copy())
        opt.step()
        want = traj.points[k + 1, 0]
        assert np.all(np.abs(p.detach().numpy() - want) <= np.spacing(np.abs(want))), k
