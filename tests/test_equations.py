"""The displayed update rules reproduce the optimizers that draw the paths."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import sympy as sp

from optviz import CONVENTIONS, OPTIMIZERS, run
from optviz import equations as eq
from optviz.schedules import cosine_annealing_lr, linear_warmup, step_lr
from optviz.textbook_optimizers import TEXTBOOK

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


def test_remembered_rules_follow_their_keywords():
    """Rules are built once per keywords: a variant after its plain form (and back) is
    still its own rule, a caller's edit of the list it got does not reach the next one,
    and per-start arrays of a sweep and unhashable values are keys like any other."""
    plain = eq.update_steps("momentum", {"lr": 0.1, "momentum": 0.9})
    nesterov = eq.update_steps("momentum", {"lr": 0.1, "momentum": 0.9, "nesterov": True})
    assert plain != nesterov
    assert eq.update_steps("momentum", {"lr": 0.1, "momentum": 0.9}) == plain
    kept = list(plain)
    plain.clear()
    assert eq.update_steps("momentum", {"lr": 0.1, "momentum": 0.9}) == kept != []
    assert eq.adaptive_lr_expr("sgd", {"momentum": 0.9}, "keras") is None
    assert eq.adaptive_lr_expr("sgd", {"momentum": 0.0}, "keras") == eq.ETA
    assert eq.adaptive_lr_expr("sgd", {"momentum": 0.9}, "keras") is None
    damped = eq.update_steps("momentum", {"momentum": 0.9, "dampening": np.array([[0.0], [0.5]])})
    undamped = eq.update_steps("momentum", {"momentum": 0.9, "dampening": np.zeros((2, 1))})
    assert damped != undamped
    assert eq.update_steps("momentum", {"momentum": 0.9, "dampening": [0.0, 0.5]}) == damped


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


# ---------------------------------------------------------------------------------------
# Keras 3 and the book: each convention's own rule, checked against its own factory

CONVENTION_VARIANTS = [
    ("keras", "sgd", {"learning_rate": 0.1}),
    ("keras", "sgd", {"learning_rate": 0.05, "momentum": 0.9}),
    ("keras", "sgd", {"learning_rate": 0.05, "momentum": 0.8, "nesterov": True}),
    ("keras", "sgd", {"learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.2}),
    ("keras", "sgd", {"learning_rate": step_lr(0.1, step_size=2, gamma=0.5), "momentum": 0.9}),
    ("keras", "adagrad", {}),
    ("keras", "adagrad", {"learning_rate": 0.3, "initial_accumulator_value": 0.5}),
    ("keras", "adagrad", {"learning_rate": 0.3, "epsilon": 1e-3, "weight_decay": 0.1}),
    ("keras", "rmsprop", {"learning_rate": 0.05}),
    ("keras", "rmsprop", {"learning_rate": 0.05, "centered": True}),
    ("keras", "rmsprop", {"learning_rate": 0.05, "momentum": 0.7, "centered": True}),
    ("keras", "rmsprop", {"learning_rate": 0.05, "momentum": 0.5, "weight_decay": 0.1}),
    ("keras", "adadelta", {}),
    ("keras", "adadelta", {"learning_rate": 1.0, "rho": 0.8, "epsilon": 1e-3}),
    ("keras", "adadelta", {"learning_rate": 0.5, "weight_decay": 0.2}),
    ("keras", "adam", {"learning_rate": 0.1}),
    ("keras", "adam", {"learning_rate": 0.1, "amsgrad": True, "epsilon": 1e-3}),
    ("keras", "adam", {"learning_rate": linear_warmup(0.1, warmup_steps=3), "weight_decay": 0.1}),
    ("keras", "adamw", {"learning_rate": 0.1}),
    ("keras", "adamw", {"learning_rate": 0.1, "weight_decay": 0.3, "amsgrad": True}),
    ("keras", "nadam", {"learning_rate": 0.1}),
    ("keras", "nadam", {"learning_rate": 0.1, "beta_1": 0.8, "weight_decay": 0.2}),
    ("keras", "adamax", {"learning_rate": 0.1}),
    ("keras", "adamax", {"learning_rate": 0.1, "epsilon": 1e-3, "weight_decay": 0.2}),
    ("keras", "lion", {"learning_rate": 0.1}),
    ("keras", "lion", {"learning_rate": 0.1, "beta_1": 0.8, "weight_decay": 0.5}),
    ("textbook", "sgd", {}),
    ("textbook", "sgd", {"lr": cosine_annealing_lr(0.1, T_max=7)}),
    ("textbook", "momentum", {}),
    ("textbook", "momentum", {"lr": 0.05, "momentum": 0.5}),
    ("textbook", "nesterov", {}),
    ("textbook", "nesterov", {"lr": 0.05, "momentum": 0.7}),
    ("textbook", "adagrad", {}),
    ("textbook", "adagrad", {"lr": 1.5}),
    ("textbook", "rmsprop", {}),
    ("textbook", "rmsprop", {"lr": 0.05, "decay_rate": 0.9}),
    ("textbook", "adam", {}),
    ("textbook", "adam", {"lr": 0.3, "beta1": 0.8, "beta2": 0.99}),
]


def test_every_key_of_every_convention_is_checked():
    checked = {(c, k) for c, k, _ in CONVENTION_VARIANTS}
    for convention in ("keras", "textbook"):
        assert {k for c, k in checked if c == convention} == set(CONVENTIONS[convention])
        assert set(eq.RULES[convention]) == set(CONVENTIONS[convention])


@pytest.mark.parametrize(("convention", "key", "kwargs"), CONVENTION_VARIANTS)
@pytest.mark.parametrize("warm_steps", [0, 1, 2, 7])
def test_convention_equations_reproduce_update(convention, key, kwargs, warm_steps):
    """The rule the panel shows for a Keras or book run is its factory's update: θ and
    every state the rule writes, to rounding, from random consistent states."""
    seed = zlib.crc32(f"{convention}{key}{warm_steps}{sorted(kwargs)}".encode())
    rng = np.random.default_rng(seed)
    optimizer = CONVENTIONS[convention][key](**kwargs)
    params = rng.normal(size=(6, 2)) * 2
    state, params = _random_state(optimizer, rng, params, warm_steps)
    g = rng.normal(size=params.shape) * rng.choice([0.01, 1.0, 100.0])
    step, expected_state = optimizer.update(g, state, params)
    hp = optimizer.hyperparams
    env = eq.evaluate_update(key, hp, g, state, params, convention)
    np.testing.assert_allclose(env[eq.THETA], params + step, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(env[eq.THETA] - params, step, rtol=1e-9, atol=1e-15)
    got_state = eq.new_state(key, env, state, convention)
    assert got_state.count == expected_state.count
    written = {lhs for lhs, _ in eq.update_steps(key, hp, convention)}
    record = eq.RULES[convention][key]
    for field, symbol in record.state.items():
        if symbol not in written:
            continue  # a buffer the rule does not use (Keras's momentum at μ = 0)
        np.testing.assert_allclose(
            np.asarray(getattr(got_state, field), dtype=float),
            np.asarray(getattr(expected_state, field), dtype=float),
            rtol=1e-12,
            atol=1e-300,
            err_msg=field,
        )


@pytest.mark.parametrize(("convention", "key", "kwargs"), CONVENTION_VARIANTS)
def test_convention_runs_follow_their_rule_for_many_steps(convention, key, kwargs):
    """Evaluating the displayed rule step after step, its own state fed back, draws the
    factory's path (the bowl, 30 steps)."""
    from surfaces import SURFACES

    surface = SURFACES["bowl"]
    optimizer = CONVENTIONS[convention][key](**kwargs)
    params = np.array([[-4.0, 2.0], [1.5, -0.7]])
    traj = run(surface, optimizer, starts=params, steps=30)
    assert np.all(np.isfinite(traj.points))
    state, theta = optimizer.init(params), params
    for k in range(30):
        env = eq.evaluate_update(
            key, optimizer.hyperparams, surface.grad(theta), state, theta, convention
        )
        state, theta = eq.new_state(key, env, state, convention), env[eq.THETA]
        np.testing.assert_allclose(theta, traj.points[k + 1], rtol=1e-10, atol=1e-12)


def test_convention_rules_differ_where_the_libraries_do():
    """ε placement and state names of each convention's rule."""
    torch = eq.update_latex("adagrad")
    keras = eq.update_latex("adagrad", convention="keras")
    book = eq.update_latex("adagrad", convention="textbook")
    assert r"\sqrt{s} + \varepsilon" in torch
    assert r"\sqrt{s + \varepsilon}" in keras
    assert r"\sqrt{h} + \varepsilon" in book and r"\varepsilon &= 10^{-7}" in book
    assert r"\alpha_t" in eq.update_latex("adam", convention="textbook")
    assert r"\hat m" in eq.update_latex("adam") and r"\hat m" not in eq.update_latex(
        "adam", convention="keras"
    )
    assert r"\theta &\leftarrow \theta + v" in eq.update_latex(
        "sgd", {"momentum": 0.9}, convention="keras"
    )
    assert r"v &\leftarrow \alpha v - \eta g" in eq.update_latex("momentum", convention="textbook")
    assert eq.RULES["keras"]["adam"].state["velocity"] == eq.V
    assert set(eq.RULES["textbook"]["adam"].state) == {"m", "v"}


def test_course_notation():
    """The course writes W, ∂L/∂W, g ⊙ g and its own state names (AdaGrad's h)."""
    course = eq.update_latex("adagrad", notation="course")
    assert (
        r"h &\leftarrow h + \frac{\partial L}{\partial W} \odot \frac{\partial L}{\partial W}"
        in (course)
    )
    assert r"W &\leftarrow W" in course and r"\theta" not in course and "s " not in course
    assert r"\theta" in eq.update_latex("adagrad", notation="pytorch")
    assert r"\Delta w" in eq.update_latex("adadelta", notation="course")
    assert r"W &\leftarrow W + v" in eq.update_latex(
        "momentum", convention="textbook", notation="course"
    )
    with pytest.raises(ValueError):
        eq.update_latex("sgd", notation="nope")


def test_momentum_pytorch_and_course_forms_agree_only_at_constant_lr():
    """PyTorch's b ← μb + g, θ ← θ − ηb and the course's v ← αv − η∂L/∂W, W ← W + v
    draw the same path at a constant η (v = −ηb) and different ones with a schedule."""
    from surfaces import SURFACES

    surface = SURFACES["rosenbrock"]
    starts = [[-1.2, 1.0], [0.4, -0.6]]
    torch = run(surface, OPTIMIZERS["momentum"](lr=1e-3, momentum=0.9), starts=starts, steps=80)
    book = run(surface, TEXTBOOK["momentum"](lr=1e-3, momentum=0.9), starts=starts, steps=80)
    np.testing.assert_allclose(torch.points, book.points, rtol=1e-12, atol=1e-12)
    b = torch.states.momentum_buffer[1:]
    np.testing.assert_allclose(book.states.v[1:], -1e-3 * b, rtol=1e-12, atol=1e-15)
    schedule = step_lr(1e-3, step_size=10, gamma=0.3)
    torch = run(surface, OPTIMIZERS["momentum"](lr=schedule, momentum=0.9), starts=starts, steps=80)
    book = run(surface, TEXTBOOK["momentum"](lr=schedule, momentum=0.9), starts=starts, steps=80)
    np.testing.assert_allclose(torch.points[:11], book.points[:11], rtol=1e-12, atol=1e-12)
    assert np.max(np.abs(torch.points[-1] - book.points[-1])) > 1e-4


def test_rule_values_are_each_conventions_own_numbers():
    """The numbers beside each rule: the convention's defaults (Keras's AdaGrad lr 1e-3 and
    ε 1e-7, the book's α 0.9), only the symbols the rule uses, a schedule's base lr."""
    assert eq.rule_values("adagrad", convention="keras") == [(eq.ETA, 1e-3), (eq.EPS, 1e-7)]
    assert eq.rule_values("adagrad") == [(eq.ETA, 1e-2), (eq.EPS, 1e-10)]
    assert eq.rule_values("momentum", {"lr": 0.1}, "textbook") == [(eq.ETA, 0.1), (eq.ALPHA, 0.9)]
    assert eq.rule_values("sgd", {"learning_rate": 0.1}, "keras") == [(eq.ETA, 0.1)]
    assert eq.rule_values("adam", {"betas": (0.8, 0.99)})[1:3] == [
        (eq.BETA1, 0.8),
        (eq.BETA2, 0.99),
    ]
    assert eq.rule_values("sgd", {"lr": step_lr(0.3, step_size=5)}) == [(eq.ETA, 0.3)]
    assert [eq.number_latex(v) for v in (1e-7, 2e-8, 0.999, 1e-3, 1e5)] == [
        "10^{-7}",
        r"2 \cdot 10^{-8}",
        "0.999",
        "0.001",
        "10^{5}",
    ]
