"""Learning-rate schedules against their closed forms and torch's recurrences."""

import math

import numpy as np
import pytest

from optviz import schedules


def test_constant():
    s = schedules.constant(0.1)
    assert [s(k) for k in range(3)] == [0.1, 0.1, 0.1]


def test_step_lr_closed_form():
    s = schedules.step_lr(0.4, step_size=3, gamma=0.5)
    assert [float(s(k)) for k in range(8)] == [0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1, 0.1]


def test_exponential_matches_recurrence():
    s = schedules.exponential_lr(0.3, gamma=0.9)
    lr = 0.3
    for k in range(50):
        assert float(s(k)) == pytest.approx(lr, rel=1e-13)
        lr *= 0.9


def test_cosine_matches_torch_recurrence_over_two_periods():
    """torch's CosineAnnealingLR recurrence (no restarts) equals the closed form."""
    base, eta_min, t_max = 0.5, 0.01, 20
    s = schedules.cosine_annealing_lr(base, T_max=t_max, eta_min=eta_min)
    lr = base
    for k in range(1, 2 * t_max + 1):
        if (k - 1 - t_max) % (2 * t_max) == 0:
            lr = lr + (base - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
        else:
            lr = (1 + math.cos(math.pi * k / t_max)) / (1 + math.cos(math.pi * (k - 1) / t_max)) * (
                lr - eta_min
            ) + eta_min
        assert float(s(k)) == pytest.approx(lr, rel=1e-9, abs=1e-12)
    assert float(s(t_max)) == pytest.approx(eta_min)
    assert float(s(0)) == base


def test_linear_warmup_ramps_then_holds():
    s = schedules.linear_warmup(1.0, warmup_steps=4, start_factor=0.2)
    got = [float(s(k)) for k in range(7)]
    np.testing.assert_allclose(got, [0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0])


def test_schedules_broadcast_array_base_lr_and_array_steps():
    s = schedules.exponential_lr(np.array([[0.1], [0.2]]), gamma=0.5)
    np.testing.assert_allclose(s(2), [[0.025], [0.05]])
    s = schedules.step_lr(1.0, step_size=2)
    np.testing.assert_allclose(s(np.arange(5)), [1, 1, 0.1, 0.1, 0.01])


@pytest.mark.parametrize(
    "make",
    [
        lambda: schedules.constant(0.1),
        lambda: schedules.step_lr(0.1, 10, 0.3),
        lambda: schedules.exponential_lr(0.1, 0.97),
        lambda: schedules.cosine_annealing_lr(0.1, 50, 0.001),
        lambda: schedules.linear_warmup(0.1, 10, 0.25),
    ],
)
def test_round_trip_through_dict(make):
    s = make()
    again = schedules.from_dict(s.to_dict())
    assert again == s
    assert [float(again(k)) for k in range(20)] == [float(s(k)) for k in range(20)]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: schedules.step_lr(0.1, 0), "step_size"),
        (lambda: schedules.step_lr(0.1, 2.5), "step_size"),
        (lambda: schedules.step_lr(0.1, 2, gamma=-1), "gamma"),
        (lambda: schedules.exponential_lr(0.1, float("nan")), "gamma"),
        (lambda: schedules.cosine_annealing_lr(0.1, 0), "T_max"),
        (lambda: schedules.linear_warmup(0.1, 5, start_factor=0.0), "start_factor"),
        (lambda: schedules.constant(-0.1), "learning rate"),
        (lambda: schedules.from_dict({"kind": "nope"}), "schedule"),
        (lambda: schedules.from_dict({"kind": "step", "lr": 0.1}), "step_size"),
    ],
)
def test_bad_schedules_raise(make, words):
    with pytest.raises(ValueError, match=words):
        make()


def test_schedule_table_builds_every_kind_at_its_defaults():
    """The one table of schedule parameters (the page's inputs derive from it): every
    kind builds at its defaults, and the step decay starts at torch's γ = 0.1."""
    for kind, params in schedules.SCHEDULE_PARAMS.items():
        built = schedules.SCHEDULES[kind](0.1, **{p.name: p.default for p in params})
        assert built.to_dict() == {"kind": kind, "lr": 0.1, **{p.name: p.default for p in params}}
        assert all(p.kind == ("int" if isinstance(p.default, int) else "float") for p in params)
    assert dict((p.name, p.default) for p in schedules.SCHEDULE_PARAMS["step"])["gamma"] == 0.1
