"""'Copy as NumPy': the generated script, run in a subprocess, lands where optviz.run lands."""

from __future__ import annotations

import ast
import re
import subprocess
import sys

import numpy as np
import pytest

from optviz import CONVENTIONS, Optimizer, run, schedules
from optviz.exports import ExportRun
from optviz.numpy_script import RULES, numpy_script
from surfaces import SURFACES, Surface, from_expression, make_bowl, make_linear_regression

STEPS = 80
FORMULA = from_expression("x^2/4 + 2*sin(y)^2 + abs(x*y)/10 + exp(-y)/5")

# (convention, key, keyword arguments): every optimizer of every convention, and the
# settings that switch on each other branch of an update rule
SETTINGS = {
    "pytorch": [
        ("sgd", {"lr": 0.01}),
        ("momentum", {"lr": 0.005, "dampening": 0.3, "weight_decay": 0.01}),
        ("nesterov", {"lr": 0.005, "maximize": False}),
        ("adagrad", {"lr": 0.3, "lr_decay": 0.01, "initial_accumulator_value": 0.1}),
        ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
        ("rmsprop", {"lr": 0.01, "weight_decay": 0.1}),
        ("adadelta", {"lr": 1.0}),
        ("adam", {"lr": 0.05, "amsgrad": True}),
        ("adam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
        ("adamw", {"lr": 0.05}),
        ("nadam", {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True}),
        ("nadam", {"lr": 0.05, "weight_decay": 0.05}),
        ("radam", {"lr": 0.05}),
        ("adamax", {"lr": 0.05, "weight_decay": 0.01}),
        ("lion", {"lr": 0.01, "weight_decay": 0.5}),
        ("rprop", {"lr": 0.01}),
        ("rprop", {"lr": 0.01, "etas": (0.3, 1.5), "step_sizes": (1e-4, 0.5), "maximize": False}),
        ("adafactor", {"lr": 0.05}),
        ("adafactor", {"lr": 0.05, "weight_decay": 0.1, "d": 2.0, "beta2_decay": -0.5}),
    ],
    "keras": [
        ("sgd", {"learning_rate": 0.01}),
        ("sgd", {"learning_rate": 0.005, "momentum": 0.9, "weight_decay": 0.1}),
        ("sgd", {"learning_rate": 0.005, "momentum": 0.9, "nesterov": True}),
        ("adagrad", {"learning_rate": 0.3}),
        ("rmsprop", {"learning_rate": 0.01}),
        ("rmsprop", {"learning_rate": 0.01, "centered": True, "momentum": 0.5}),
        ("adadelta", {"learning_rate": 1.0}),
        ("adam", {"learning_rate": 0.05, "amsgrad": True}),
        ("adamw", {"learning_rate": 0.05}),
        ("nadam", {"learning_rate": 0.05}),
        ("adamax", {"learning_rate": 0.05}),
        ("lion", {"learning_rate": 0.01, "weight_decay": 0.1}),
    ],
    "textbook": [
        ("sgd", {"lr": 0.01}),
        ("momentum", {"lr": 0.005}),
        ("nesterov", {"lr": 0.005}),
        ("adagrad", {"lr": 0.3}),
        ("rmsprop", {"lr": 0.01, "decay_rate": 0.9}),
        ("adam", {"lr": 0.05}),
    ],
}

SURFACE_CASES = {  # surface, factor on the learning rates above (Rosenbrock is steep)
    "bowl_rotated": (make_bowl(condition=20.0, angle_deg=30.0), 1.0),
    "rosenbrock": (SURFACES["rosenbrock"], 0.05),
    "formula": (FORMULA, 1.0),
}


def _scaled(kwargs: dict, factor: float) -> dict:
    return {k: v * factor if k in ("lr", "learning_rate") else v for k, v in kwargs.items()}


def _runs(surface, specs, start, steps=STEPS, noise=0.0):
    out = []
    for i, (convention, key, kwargs) in enumerate(specs):
        optimizer = CONVENTIONS[convention][key](**kwargs)
        traj = run(surface, optimizer, start, steps, noise=noise, seed=11 + i)
        out.append(ExportRun(f"{convention} {key} {kwargs}", optimizer, traj, noise, 11 + i))
    return out


def _finals(script: str, tmp_path) -> list[np.ndarray]:
    """Run the script in a fresh interpreter; the ``final[i] label: [[x, y], ...]`` arrays."""
    path = tmp_path / "descent.py"
    path.write_text(script, encoding="utf-8")
    out = subprocess.run(
        [sys.executable, str(path)], capture_output=True, text=True, timeout=300, check=True
    )
    ends = [re.search(r": (\[\[[^:]*\]\])$", line) for line in out.stdout.splitlines()]
    return [np.array(ast.literal_eval(end.group(1))) for end in ends if end]


def _assert_same_finals(script, runs_, tmp_path):
    finals = _finals(script, tmp_path)
    assert len(finals) == len(runs_)
    for got, run_ in zip(finals, runs_, strict=True):
        want = run_.trajectory.points[-1]
        assert np.all(np.isfinite(want)), run_.label
        gap = np.max(np.abs(got - want) / np.maximum(np.abs(want), 1.0))
        assert gap < 1e-12, (run_.label, got, want)


@pytest.mark.parametrize("surface_case", list(SURFACE_CASES))
@pytest.mark.parametrize("convention", list(SETTINGS))
def test_script_reproduces_every_optimizer_of_the_convention(convention, surface_case, tmp_path):
    surface, factor = SURFACE_CASES[surface_case]
    start = np.array([surface.start, np.add(surface.start, [0.3, -0.2])])
    specs = [
        (convention, key, _scaled(kwargs, factor))
        for key, kwargs in SETTINGS[convention]
        if key in CONVENTIONS[convention]  # a setting may wait for its optimizer
    ]
    runs_ = _runs(surface, specs, start)
    script = numpy_script(surface, start, STEPS, runs_)
    _assert_same_finals(script, runs_, tmp_path)


@pytest.mark.parametrize("convention", list(CONVENTIONS))
def test_settings_cover_every_optimizer_of_every_convention(convention):
    assert {key for key, _ in SETTINGS[convention]} >= set(CONVENTIONS[convention])
    assert set(RULES[convention]) >= set(CONVENTIONS[convention])


def test_rules_are_keyed_by_the_registries_one_rule_per_optimizer():
    """Every optimizer record of every convention has its NumPy rule, and no rule stands
    without a record (a removed or renamed optimizer leaves no stale writer behind)."""
    from optviz.numpy_script import SOURCES

    assert set(RULES) == set(CONVENTIONS) == set(SOURCES)
    for convention, registry in CONVENTIONS.items():
        assert set(RULES[convention]) == set(registry), convention


@pytest.mark.parametrize("key", sorted(SURFACES))
def test_every_catalog_surface_has_a_numpy_version(key, tmp_path):
    surface = SURFACES[key]
    specs = [("textbook", "adam", {"lr": 0.01}), ("keras", "sgd", {"learning_rate": 1e-4})]
    runs_ = _runs(surface, specs, surface.start, steps=40)
    _assert_same_finals(numpy_script(surface, surface.start, 40, runs_), runs_, tmp_path)


def test_regression_surface_and_schedules_and_noise(tmp_path):
    surface = make_linear_regression(n=12, seed=3)
    start = [[0.0, 0.0], [1.0, -1.0]]
    specs = [
        ("pytorch", "sgd", {"lr": schedules.cosine_annealing_lr(0.05, T_max=40)}),
        ("keras", "adam", {"learning_rate": schedules.step_lr(0.1, step_size=15, gamma=0.5)}),
        ("textbook", "momentum", {"lr": schedules.linear_warmup(0.01, warmup_steps=10)}),
        ("keras", "rmsprop", {"learning_rate": schedules.exponential_lr(0.05, gamma=0.98)}),
        ("textbook", "adagrad", {"lr": schedules.constant(0.5)}),
    ]
    runs_ = _runs(surface, specs, start, noise=0.3)
    script = numpy_script(surface, start, STEPS, runs_)
    assert "rng.standard_normal" in script and "def lr_at(k)" in script
    _assert_same_finals(script, runs_, tmp_path)


def _batch_runs(surface, specs, start, steps=STEPS, noise=0.0):
    """Runs of ``optviz.run`` with mini-batches: ``(convention, key, kwargs, batch_size,
    seed)`` each; the seed fixes the batch order (and the noise), as on the page."""
    out = []
    for convention, key, kwargs, size, seed in specs:
        optimizer = CONVENTIONS[convention][key](**kwargs)
        traj = run(
            surface, optimizer, start, steps, noise=noise, seed=seed,
            batch_size=size, batch_seed=seed,
        )  # fmt: skip
        out.append(ExportRun(f"{key} b={size}", optimizer, traj, noise, seed))
    return out


@pytest.mark.parametrize("noise", [0.0, 0.2])
def test_script_reproduces_mini_batch_runs_on_the_line_fit(noise, tmp_path):
    """Mini-batch runs (a size that divides n, one that does not, size 1, several seeds,
    every convention) land where optviz.run lands, with the same batch at every step."""
    surface = make_linear_regression(n=13, seed=5)
    start = np.array([[0.0, 0.0], [1.0, -1.0]])
    specs = [
        ("pytorch", "sgd", {"lr": 0.02}, 4, 0),
        ("pytorch", "adam", {"lr": 0.05}, 1, 7),
        ("keras", "rmsprop", {"learning_rate": 0.02}, 13, 3),  # n: the full batch
        ("textbook", "momentum", {"lr": 0.01}, 5, 2),
        ("pytorch", "sgd", {"lr": 0.02}, None, 0),  # a full-batch run beside them
    ]
    runs_ = _batch_runs(surface, specs, start, noise=noise)
    assert runs_[0].trajectory.batches is not None
    script = numpy_script(surface, start, STEPS, runs_)
    assert script.count("default_rng((batch_seed, epoch)).permutation(len(X))") == 3
    assert "def batch_gradient(W, idx):" in script
    _assert_same_finals(script, runs_, tmp_path)
    # the batches matter: the same runs on the full batch end elsewhere
    full = _runs(surface, [(c, k, kw) for c, k, kw, _, _ in specs[:1]], start)
    assert not np.allclose(full[0].trajectory.points[-1], runs_[0].trajectory.points[-1])
    ja = numpy_script(surface, start, STEPS, runs_, lang="ja")
    assert "ミニバッチ" in ja and "エポック" in ja
    _assert_same_finals(ja, runs_, tmp_path)


def test_the_rule_is_written_out_for_the_runs_branches_only():
    surface = SURFACES["bowl"]
    runs_ = _runs(surface, [("keras", "sgd", {"learning_rate": 0.01, "momentum": 0.9})], [1, 1])
    script = numpy_script(surface, [1.0, 1.0], STEPS, runs_)
    assert "    v = v * momentum - grad * learning_rate\n    W = W + v\n" in script
    assert "nesterov" not in script and "weight_decay" not in script
    runs_ = _runs(surface, [("textbook", "adagrad", {"lr": 0.5})], [1, 1])
    script = numpy_script(surface, [1.0, 1.0], STEPS, runs_)
    assert "    h = h + grad * grad\n    W = W - lr * grad / (np.sqrt(h) + 1e-7)\n" in script


def _imports(script: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module)
    return names


def test_labels_never_become_code(tmp_path):
    surface = SURFACES["bowl"]
    label = 'evil\nimport os\r\nos.system("echo PWNED")\u2028# """ \' end'
    optimizer = CONVENTIONS["textbook"]["sgd"](lr=0.1)
    traj = run(surface, optimizer, [1.0, 1.0], 10)
    script = numpy_script(surface, [1.0, 1.0], 10, [ExportRun(label, optimizer, traj)])
    assert _imports(script) == {"numpy"}
    calls = {
        node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id
        for node in ast.walk(ast.parse(script))
        if isinstance(node, ast.Call)
    }
    assert calls <= {"gradient", "print", "tolist", "copy", "zeros_like", "range", "array", "stack"}
    finals = _finals(script, tmp_path)
    np.testing.assert_array_equal(finals[0], traj.points[-1])


def test_a_formula_is_written_only_through_the_allow_list_parser():
    def bad(xy):
        return np.zeros(np.shape(xy)[:-1])

    evil = Surface(
        name="formula",
        f=bad,
        grad=bad,
        bounds=((-1.0, 1.0), (-1.0, 1.0)),
        params={"expression": "__import__('os').system('echo PWNED')"},
    )
    optimizer = CONVENTIONS["pytorch"]["sgd"](lr=0.1)
    traj = run(SURFACES["bowl"], optimizer, [1.0, 1.0], 2)
    with pytest.raises(ValueError):
        numpy_script(evil, [1.0, 1.0], 2, [ExportRun("x", optimizer, traj)])


def test_script_refuses_what_it_cannot_write():
    surface = SURFACES["bowl"]
    sweep = CONVENTIONS["keras"]["adam"](learning_rate=np.array([[0.1], [0.2]]))
    traj = run(surface, sweep, [[1.0, 1.0], [1.0, 1.0]], 3)
    with pytest.raises(ValueError, match="batched sweep"):
        numpy_script(surface, [[1.0, 1.0], [1.0, 1.0]], 3, [ExportRun("s", sweep, traj)])
    unknown = Optimizer(sweep.init, sweep.update, "newton", {"lr": 0.1}, "pytorch")
    with pytest.raises(ValueError, match="newton"):
        numpy_script(surface, [1.0, 1.0], 3, [ExportRun("u", unknown, traj)])
    odd = Surface("odd", f=np.sum, grad=np.sign, bounds=((-1.0, 1.0), (-1.0, 1.0)))
    ok = CONVENTIONS["textbook"]["sgd"]()
    with pytest.raises(ValueError, match="odd"):
        numpy_script(odd, [1.0, 1.0], 3, [ExportRun("o", ok, run(surface, ok, [1.0, 1.0], 3))])


def test_script_is_plain_numpy_in_the_course_style():
    surface = SURFACES["rosenbrock"]
    runs_ = _runs(surface, [("textbook", "adam", {"lr": 0.05})], surface.start)
    script = numpy_script(surface, surface.start, STEPS, runs_)
    compile(script, "descent.py", "exec")
    assert _imports(script) == {"numpy"}
    assert re.search(r"^def f\(W\):", script, re.M)
    assert re.search(r"^def gradient\(W\):", script, re.M)
    assert script.count("for t in range(1, STEPS + 1):") == 1


def _code_only(script: str) -> str:
    """The script's syntax tree without docstrings (comments are not in the tree)."""
    tree = ast.parse(script)
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            node.body = body[1:]
    return ast.dump(tree)


@pytest.mark.parametrize("surface_key", ["linear_regression", "ackley", "six_hump_camel"])
def test_japanese_script_is_the_same_code_with_japanese_words(surface_key, tmp_path):
    surface = SURFACES[surface_key]
    specs = [
        ("pytorch", "radam", {"lr": schedules.step_lr(0.01, 10), "weight_decay": 0.1}),
        ("pytorch", "nadam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
        ("keras", "adamw", {"learning_rate": 0.01}),
        ("textbook", "adam", {"lr": 0.01}),
    ]
    runs_ = _runs(surface, specs, surface.start, steps=30, noise=0.1)
    english = numpy_script(surface, surface.start, 30, runs_)
    japanese = numpy_script(surface, surface.start, 30, runs_, lang="ja")
    assert _code_only(english) == _code_only(japanese)
    assert "@" not in japanese.replace("#@", "") and "#@" not in japanese
    assert "荷重減衰" in japanese and "勾配ノイズ" in japanese and "ステップ数" in japanese
    comments = [line.split("#", 1)[1] for line in japanese.splitlines() if "  # " in line]
    assert comments and not any(re.search(r"[a-z]{4,}", c) for c in comments if "lr" not in c)
    _assert_same_finals(japanese, runs_, tmp_path)
    with pytest.raises(ValueError, match="lang"):
        numpy_script(surface, surface.start, 30, runs_, lang="fr")
