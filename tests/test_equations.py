"""The displayed update rules reproduce the optimizers that draw the paths."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import sympy as sp

from optviz import OPTIMIZERS
from optviz import equations as eq
from optviz.schedules import cosine_annealing_lr, linear_warmup

VARIANTS = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "weight_decay": 0.3, "maximize": True}),
    ("momentum", {"lr": 0.05}),
    ("momentum", {"lr": 0.05, "dampening": 0.4, "weight_decay": 0.1}),
    ("nesterov", {"lr": 0.05, "momentum": 0.8}),
    ("sgd", {"lr": cosine_annealing_lr(0.1, T_max=7), "momentum": 0.5}),
    ("adagrad", {"lr": 0.3}),
    ("adagrad", {"lr": 0.3, "lr_decay": 0.2, "initial_accumulator_value": 0.5, "eps": 1e-3}),
    ("rmsprop", {"lr": 0.05}),
    ("rmsprop", {"lr": 0.05, "centered": True, "momentum": 0.7, "weight_decay": 0.1}),
    ("rmsprop", {"lr": 0.05, "centered": True}),
    ("adadelta", {"lr": 1.0, "eps": 1e-3}),
    ("adadelta", {"lr": 0.5, "rho": 0.8, "weight_decay": 0.2, "maximize": True}),
    ("adam", {"lr": 0.1}),
    ("adam", {"lr": 0.1, "amsgrad": True, "weight_decay": 0.2, "eps": 1e-3}),
    ("adam", {"lr": 0.1, "decoupled_weight_decay": True, "weight_decay": 0.2}),
    ("adam", {"lr": linear_warmup(0.1, warmup_steps=3), "maximize": True}),
    ("adamw", {"lr": 0.1, "weight_decay": 0.3}),
    ("adamw", {"lr": 0.1, "amsgrad": True}),
    ("nadam", {"lr": 0.1}),
    ("nadam", {"lr": 0.1, "weight_decay": 0.2, "decoupled_weight_decay": True}),
    ("nadam", {"lr": 0.1, "weight_decay": 0.2, "momentum_decay": 0.01}),
    ("radam", {"lr": 0.1}),
    ("radam", {"lr": 0.1, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam", {"lr": 0.1, "betas": (0.8, 0.9), "weight_decay": 0.1}),
    ("adamax", {"lr": 0.1}),
    ("adamax", {"lr": 0.1, "weight_decay": 0.2, "maximize": True}),
    ("lion", {"lr": 0.1}),
    ("lion", {"lr": 0.1, "weight_decay": 0.5, "betas": (0.8, 0.95)}),
    ("rprop", {"lr": 0.1}),
    ("rprop", {"lr": 0.1, "etas": (0.3, 1.7), "step_sizes": (0.05, 0.15), "maximize": True}),
    ("adafactor", {"lr": 0.1}),
    ("adafactor", {"lr": 0.5, "weight_decay": 0.2, "d": 1.5, "maximize": True}),
    ("adafactor", {"lr": 0.1, "beta2_decay": -0.5, "eps": (1e-2, 1e-1)}),
]


def _random_state(optimizer, rng, params, warm_steps):
    """A consistent state: ``warm_steps`` real updates with random gradients."""
    state = optimizer.init(params)
    for _ in range(warm_steps):
        step, state = optimizer.update(rng.normal(size=params.shape), state, params)
        params = params + step
    return state, params


@pytest.mark.parametrize(("key", "kwargs"), VARIANTS)
@pytest.mark.parametrize("warm_steps", [0, 1, 2, 7])
def test_equations_reproduce_update(key, kwargs, warm_steps):
    rng = np.random.default_rng(zlib.crc32(f"{key}{warm_steps}{sorted(kwargs)}".encode()))
    optimizer = OPTIMIZERS[key](**kwargs)
    params = rng.normal(size=(6, 2)) * 2
    state, params = _random_state(optimizer, rng, params, warm_steps)
    g = rng.normal(size=params.shape) * rng.choice([0.01, 1.0, 100.0])
    step, expected_state = optimizer.update(g, state, params)
    env = eq.evaluate_update(key, optimizer.hyperparams, g, state, params)
    np.testing.assert_allclose(env[eq.THETA], params + step, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(env[eq.THETA] - params, step, rtol=1e-9, atol=1e-15)
    got_state = eq.new_state(key, env, state)
    assert got_state.count == expected_state.count
    for field in eq.STATE_SYMBOLS[eq.FAMILY[key]]:
        np.testing.assert_allclose(
            np.asarray(getattr(got_state, field), dtype=float),
            np.asarray(getattr(expected_state, field), dtype=float),
            rtol=1e-12,
            atol=1e-300,
            err_msg=field,
        )


def test_radam_takes_both_branches():
    """Steps 1–5 un-normalised, later rectified: both are covered by the sweep above."""
    hp = OPTIMIZERS["radam"]().hyperparams
    for count, rectified in [(4, False), (5, True)]:
        env = {eq.BETA2: hp["betas"][1], eq.T: count + 1}
        for lhs, rhs in eq.update_steps("radam", hp):
            if lhs in (eq.RHO_INF, eq.RHO_T):
                env[lhs] = eq.evaluate_expr(rhs, env)
        assert (float(env[eq.RHO_T]) > 5) == rectified


@pytest.mark.parametrize("key", list(OPTIMIZERS))
def test_every_optimizer_has_latex_name_description_note(key):
    tex = eq.update_latex(key)
    assert tex.startswith("\\begin{aligned}") and tex.endswith("\\end{aligned}")
    assert r"\theta &\leftarrow" in tex
    assert eq.NAMES[key]
    for table in (eq.DESCRIPTIONS, eq.NOTES):
        assert table[key]["en"] and table[key]["ja"]


def test_latex_variants():
    assert r"\begin{cases}" in eq.update_latex("momentum")
    assert r"\mu b + g" in eq.update_latex("momentum")
    assert r"\left(1 - \tau\right) g" in eq.update_latex("momentum", {"dampening": 0.5})
    assert r"g + \mu b" in eq.update_latex("nesterov")
    assert r"\lambda \theta" in eq.update_latex("adam", {"weight_decay": 0.1})
    assert r"\theta \left(1 - \eta \lambda\right)" in eq.update_latex("adamw")
    assert r"v_{\max}" in eq.update_latex("adam", {"amsgrad": True})
    assert r"\bar g" in eq.update_latex("rmsprop", {"centered": True})
    assert r"g &\leftarrow - g" in eq.update_latex("sgd", {"maximize": True})
    assert r"\eta_t" in eq.update_latex("sgd", {"lr": cosine_annealing_lr(0.1, T_max=5)})
    assert r"\tilde\eta" in eq.update_latex("adagrad", {"lr_decay": 0.1})
    assert r"\operatorname{sign}" in eq.update_latex("lion")


def test_steps_are_sympy_assignments():
    for lhs, rhs in eq.update_steps("adam", {"lr": 0.1}):
        assert isinstance(lhs, sp.Symbol)
        assert isinstance(rhs, sp.Basic)
        assert rhs.free_symbols <= set(eq.SYMBOL_TEX)


def test_resolve_hyperparams_accepts_optimizer_hyperparams():
    hp = OPTIMIZERS["adamw"](lr=0.2).hyperparams
    resolved = eq.resolve_hyperparams("adamw", hp)
    assert resolved["lr"] == 0.2 and resolved["decoupled_weight_decay"] is True
    with pytest.raises(ValueError):
        eq.resolve_hyperparams("nope", {})


def test_adam_first_step_is_lr_sign_g():
    key, hp = "adam", {"lr": 0.1}
    optimizer = OPTIMIZERS[key](**hp)
    params = np.array([[1.0, -2.0]])
    g = np.array([[3.0, -0.5]])
    state = optimizer.init(params)
    before = eq.initial_env(key, hp, g, state, params)
    env = eq.evaluate_update(key, hp, g, state, params)
    np.testing.assert_allclose(env[eq.THETA] - params, -0.1 * np.sign(g), rtol=1e-6)
    lr_eff = eq.adaptive_lr(key, hp, before, env)
    np.testing.assert_allclose(lr_eff, 0.1 / np.abs(g), rtol=1e-6)


def test_case_words_in_japanese():
    """A case split reads in the page's language: SymPy's "for"/"otherwise" become
    「…のとき」/「それ以外」 in Japanese, and the mathematics is unchanged."""
    en = eq.update_latex("momentum")
    ja = eq.update_latex("momentum", lang="ja")
    assert r"\text{for}" in en and r"\text{otherwise}" in en
    assert r"\text{for}" not in ja and r"\text{otherwise}" not in ja
    assert r"t = 1\ \text{のとき}" in ja and r"\text{それ以外}" in ja
    assert ja.replace(r"\ \text{のとき}", "").replace(r"\text{それ以外}", "") == en.replace(
        r"\text{for}\: ", ""
    ).replace(r"\text{otherwise}", "")
