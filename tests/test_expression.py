"""Tests for `surfaces.expression`: typed formula -> Surface, safely.

Hostile input is refused with a `FormulaError` (a ValueError) before anything runs;
accepted formulas give exact values and gradients; minima are estimated on the window.
"""

from __future__ import annotations

import ast
import builtins
import os
import pickle

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from surfaces.base import Surface
from surfaces.expression import (
    FUNCTION_NAMES,
    MAX_DEPTH,
    MAX_EXPONENT,
    MAX_LENGTH,
    FormulaError,
    from_expression,
    parse_formula,
)

RNG_POINTS = np.random.default_rng(20240611).uniform(-2.5, 2.5, size=(64, 2))
SLOW = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --------------------------------------------------------------------------- tripwires

DANGEROUS_MODULES = {"os", "subprocess", "sys", "shutil", "socket", "ctypes", "importlib", "pty"}


@pytest.fixture
def tripwires(monkeypatch):
    """Record (and fail) any call of eval/exec/open, compile other than to an AST,
    os.system/popen, and imports of dangerous modules while the test runs."""
    calls: list[tuple[str, object]] = []
    real_import = builtins.__import__

    def recording(name):
        def wrapper(*args, **kwargs):
            calls.append((name, args[:1]))
            raise AssertionError(f"{name} called")

        return wrapper

    def watched_import(name, *args, **kwargs):
        if name.split(".")[0] in DANGEROUS_MODULES:
            calls.append(("import", name))
        return real_import(name, *args, **kwargs)

    real_compile = builtins.compile

    def parse_only_compile(source, filename, mode, flags=0, *args, **kwargs):
        if not flags & ast.PyCF_ONLY_AST:  # ast.parse compiles to a tree only: allowed
            calls.append(("compile", source))
            raise AssertionError("compile called")
        return real_compile(source, filename, mode, flags, *args, **kwargs)

    for name in ("eval", "exec", "open"):
        monkeypatch.setattr(builtins, name, recording(name))
    monkeypatch.setattr(builtins, "compile", parse_only_compile)
    monkeypatch.setattr(builtins, "__import__", watched_import)
    monkeypatch.setattr(os, "system", recording("os.system"))
    monkeypatch.setattr(os, "popen", recording("os.popen"))
    return calls


HOSTILE = [
    "x.__class__",
    "().__class__.__bases__",
    "().__class__.__bases__[0].__subclasses__()",
    "__import__('os').system('echo hi')",
    "__builtins__",
    "import os",
    "lambda: x",
    "(lambda: __import__('os'))()",
    "[x for x in (1, 2)]",
    "{x for x in (1,)}",
    "(x for x in (1,))",
    "f'{x}'",
    "'abc'",
    "b'x'",
    "open('x')",
    "eval('1')",
    "exec('1')",
    "getattr(x, 'y')",
    "globals()",
    "x[0]",
    "x[0:1]",
    "sin(x=1)",
    "sin(*x)",
    "sin(**x)",
    "(x := 1)",
    "x < y",
    "x == y",
    "x and y",
    "not x",
    "x if y else 1",
    "x % 2",
    "x // 2",
    "x @ y",
    "x & y",
    "x | y",
    "x << 2",
    "~x",
    "True",
    "None",
    "...",
    "x.real",
    "sin.__call__(x)",
    "x; y",
    "x = 1",
    "[x, y]",
    "(x, y)",
    "{x: y}",
    "await x",
    "yield x",
    "x**1000000",
    "9**9**9",
    "x**9**9",
    "2**2**2**2**2",
    "(" * 200 + "x" + ")" * 200,
    "sin(" * 100 + "x" + ")" * 100,
    "sin(" * 40 + "x" + ")" * 40,
    "-" * 250 + "x",
    "x+" * 5000 + "x",
    "",
    "   ",
    "\t\n",
    "z",
    "t + x",
    "1j",
    "x + 2j",
    "1e999",
    "sqrt(-1)",
    "1/0",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_formulas_are_refused_without_running_anything(text, tripwires):
    with pytest.raises(ValueError) as info:
        from_expression(text)
    assert isinstance(info.value, FormulaError)
    assert info.value.code
    assert str(info.value)
    assert tripwires == []


def test_refusal_has_no_side_effects(tmp_path):
    target = tmp_path / "pwned"
    for text in (
        f"__import__('os').system('touch {target}')",
        f"open('{target}', 'w')",
        f"__import__('pathlib').Path('{target}').touch()",
    ):
        with pytest.raises(FormulaError):
            from_expression(text)
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------- error messages

ERRORS = [
    # text, code, detail, words the message contains
    ("", "empty", "", ["empty"]),
    ("   ", "empty", "", ["empty"]),
    ("x" * (MAX_LENGTH + 1), "too_long", "", ["too long", str(MAX_LENGTH)]),
    ("x^2 + z", "unknown_name", "z", ["'z'", "column 7", "x and y"]),
    ("t", "unknown_name", "t", ["'t'", "column 1"]),
    ("X^2", "unknown_name", "X", ["'X'", "case-sensitive", "'x'"]),
    ("xy", "unknown_name", "xy", ["x*y"]),
    ("sinx", "unknown_name", "sinx", ["sin(x)"]),
    ("__import__('os')", "not_allowed", "__import__", ["'__import__'", "not allowed"]),
    ("x.__class__", "not_allowed", "__class__", ["'__class__'", "column 3"]),
    ("x.real", "not_allowed", ".real", ["'.real'", "attribute"]),
    ("import os", "not_allowed", "import", ["'import'"]),
    ("x < y", "not_allowed", "x < y", ["comparisons"]),
    ("x % 2", "not_allowed", "%", ["'%'", "column 3"]),
    ("'abc'", "not_allowed", "'abc'", ["text in quotes"]),
    ("True", "not_allowed", "True", ["'True'"]),
    ("open('x')", "bad_call", "open", ["'open'", "sin, cos"]),
    ("foo(x)", "bad_call", "foo", ["'foo'", ", ".join(FUNCTION_NAMES)]),
    ("sin(x, y)", "bad_call", "sin(x, y)", ["one argument", "got 2"]),
    ("sin()", "bad_call", "sin()", ["one argument", "got 0"]),
    ("log(x, 10)", "bad_call", "log(x, 10)", ["log10"]),
    ("sin(x=1)", "bad_call", "sin(x=1)", ["keyword"]),
    ("sin", "bad_call", "sin", ["sin(x)"]),
    ("x(y + 1)", "bad_call", "x(y + 1)", ["x*(...)"]),
    ("(x+1)(y+1)", "bad_call", "(x+1)(y+1)", ["column 6", "*"]),
    ("2x + 3y", "syntax", "2x", ["write 2*x", "column 1"]),
    ("x y", "syntax", "y", ["column 3", "missing operator"]),
    ("x +", "syntax", "", ["ends too early"]),
    ("(x + y", "syntax", "(", ["never closed", "column 1"]),
    ("x + y)", "syntax", ")", ["column 6"]),
    ("x = 1", "syntax", "=", ["right-hand side"]),
    ("x € y", "syntax", "€", ["'€'", "column 3"]),
    ("x**1000000", "exponent", "1000000", ["exponent", "too large", str(MAX_EXPONENT)]),
    ("9**9**9", "exponent", "9**9", ["exponent", "column 4"]),
    ("x^-101", "exponent", "-101", ["exponent"]),
    ("1e7*x", "number", "1e7", ["too large", "1e7"]),
    ("1j + x", "number", "1j", ["complex"]),
    ("1/0 + x", "constant", "1/0", ["1/0"]),
    ("x/(y - y)", "constant", "x/(y - y)", ["no finite value"]),
    ("log(0)", "constant", "log(0)", ["log(0)"]),
    ("sqrt(-1)*x", "constant", "sqrt(-1)", ["not a real number"]),
    ("(-8)^(1/3)", "constant", "(-8)^(1/3)", ["no real value"]),
    ("exp(1000) + x", "constant", "exp(1000)", ["too large"]),
    ("((1000000*x)^100)^100", "constant", "(1000000*x)^100", ["too large"]),
    ("sin(" * 40 + "x" + ")" * 40, "too_complex", "", ["nested too deeply", str(MAX_DEPTH)]),
    ("+".join(["x"] * 140), "too_complex", "", ["too complex"]),
    ("(-2)^x + y", "derivative", "", ["not real"]),
    ("log(-1 - x^2 - y^2)", "undefined", "log(-1 - x^2 - y^2)", ["no finite value"]),
]


@pytest.mark.parametrize(("text", "code", "detail", "words"), ERRORS)
def test_error_code_detail_and_message(text, code, detail, words):
    with pytest.raises(FormulaError) as info:
        from_expression(text)
    err = info.value
    assert err.code == code, str(err)
    if detail:
        assert err.detail == detail
    for word in words:
        assert word in str(err), (word, str(err))


def test_error_column_refers_to_the_text_as_typed():
    with pytest.raises(FormulaError) as info:
        from_expression("ｘ＾２＋ｚ")  # full-width: normalized to x**2+z
    assert info.value.code == "unknown_name"
    assert info.value.detail == "ｚ"
    assert info.value.column == 5
    assert "column 5" in str(info.value)


def test_formula_error_is_a_value_error_with_attributes():
    err = FormulaError("unknown_name", "unknown name 'z'", "z", 3)
    assert isinstance(err, ValueError)
    assert (err.code, err.detail, err.column, str(err)) == (
        "unknown_name",
        "z",
        3,
        "unknown name 'z'",
    )


def test_non_string_is_a_type_error():
    with pytest.raises(TypeError):
        from_expression(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- caps


def test_length_cap_counts_the_text_as_typed():
    assert from_expression("x^2+y^2" + " " * (MAX_LENGTH - 7)).f_min == 0.0
    with pytest.raises(FormulaError, match="too long"):
        from_expression("x^2+y^2" + " " * (MAX_LENGTH - 6))


def test_redundant_brackets_do_not_count_as_nesting():
    surface = from_expression("(" * 140 + "x" + ")" * 140)
    assert surface.f(np.array([1.5, 0.0])) == 1.5


def test_nesting_cap_boundary():
    ok = "sin(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1)
    parse_formula(ok)
    with pytest.raises(FormulaError) as info:
        parse_formula("sin(" + ok + ")")
    assert info.value.code == "too_complex"


def test_long_sums_and_products_are_one_level():
    terms = "+".join(f"{i}*x^{i % 5}" for i in range(1, 34))  # 33 terms > MAX_DEPTH
    assert len(parse_formula(terms).expr.args) == 5
    parse_formula("*".join(["(x+y)"] * 45))


def test_exponent_cap_boundary():
    parse_formula(f"x^{MAX_EXPONENT}")
    parse_formula(f"x^-{MAX_EXPONENT}")
    for text in (f"x^{MAX_EXPONENT + 1}", f"x^(2*{MAX_EXPONENT})", "x^(10^3)"):
        with pytest.raises(FormulaError) as info:
            parse_formula(text)
        assert info.value.code == "exponent"


def test_nested_powers_multiply_without_expanding():
    surface = from_expression("(x^100)^100")
    assert surface.f(np.array([1.0, 5.0])) == 1.0
    surface = from_expression("(x + y)^20")
    assert surface.f(np.array([1.0, 1.0])) == 2.0**20


def test_symbolic_exponents_are_allowed():
    surface = from_expression("x^y + 2^x", ((0.5, 2.0), (0.5, 2.0)))
    assert surface.f(np.array([2.0, 3.0])) == pytest.approx(12.0)
    assert surface.grad(np.array([2.0, 3.0])) == pytest.approx(
        [3 * 4.0 + 4 * np.log(2.0), 8 * np.log(2.0)]
    )


# --------------------------------------------------------------------------- values and gradients

FORMULAS = {
    "x^2 + 3*y^2 - x*y": (
        lambda x, y: x**2 + 3 * y**2 - x * y,
        lambda x, y: (2 * x - y, 6 * y - x),
    ),
    "sin(x)*cos(y)": (
        lambda x, y: np.sin(x) * np.cos(y),
        lambda x, y: (np.cos(x) * np.cos(y), -np.sin(x) * np.sin(y)),
    ),
    "(1-x)^2 + 100*(y-x^2)^2": (
        lambda x, y: (1 - x) ** 2 + 100 * (y - x**2) ** 2,
        lambda x, y: (-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)),
    ),
    "exp(-x^2-y^2)": (
        lambda x, y: np.exp(-(x**2) - y**2),
        lambda x, y: (-2 * x * np.exp(-(x**2) - y**2), -2 * y * np.exp(-(x**2) - y**2)),
    ),
    "sqrt(x^2+y^2+1)": (
        lambda x, y: np.sqrt(x**2 + y**2 + 1),
        lambda x, y: (x / np.sqrt(x**2 + y**2 + 1), y / np.sqrt(x**2 + y**2 + 1)),
    ),
    "log(1+x^2)+abs(y)": (
        lambda x, y: np.log(1 + x**2) + np.abs(y),
        lambda x, y: (2 * x / (1 + x**2), np.sign(y)),
    ),
    "pi*x + e*y": (
        lambda x, y: np.pi * x + np.e * y,
        lambda x, y: (np.full_like(x, np.pi), np.full_like(y, np.e)),
    ),
    "tanh(x) - atan(y) + cosh(x/3)*0.5": (
        lambda x, y: np.tanh(x) - np.arctan(y) + np.cosh(x / 3) * 0.5,
        lambda x, y: (1 - np.tanh(x) ** 2 + np.sinh(x / 3) / 6, -1 / (1 + y**2)),
    ),
    "log10(x^2 + 1) * log2(y^2 + 2) + ln(2)": (
        lambda x, y: np.log10(x**2 + 1) * np.log2(y**2 + 2) + np.log(2),
        lambda x, y: (
            2 * x / ((x**2 + 1) * np.log(10)) * np.log2(y**2 + 2),
            np.log10(x**2 + 1) * 2 * y / ((y**2 + 2) * np.log(2)),
        ),
    ),
    "abs(sin(x)) + 0.1*y": (
        lambda x, y: np.abs(np.sin(x)) + 0.1 * y,
        lambda x, y: (np.sign(np.sin(x)) * np.cos(x), np.full_like(y, 0.1)),
    ),
}


@pytest.mark.parametrize("text", sorted(FORMULAS))
def test_values_and_gradients_match_hand_written_numpy(text):
    f_ref, g_ref = FORMULAS[text]
    surface = from_expression(text)
    x, y = RNG_POINTS[:, 0], RNG_POINTS[:, 1]
    np.testing.assert_allclose(surface.f(RNG_POINTS), f_ref(x, y), rtol=1e-13, atol=1e-13)
    expected = np.stack(np.broadcast_arrays(*g_ref(x, y)), axis=-1)
    np.testing.assert_allclose(surface.grad(RNG_POINTS), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("text", sorted(FORMULAS))
def test_shapes_broadcast_over_leading_axes(text):
    surface = from_expression(text)
    pts = RNG_POINTS[:12].reshape(3, 4, 2)
    assert surface.f(pts).shape == (3, 4)
    assert surface.grad(pts).shape == (3, 4, 2)
    assert surface.f(pts).dtype == np.float64
    assert surface.grad(pts).dtype == np.float64
    np.testing.assert_array_equal(surface.f(pts)[1, 2], surface.f(pts[1, 2]))
    np.testing.assert_array_equal(surface.grad(pts)[1, 2], surface.grad(pts[1, 2]))
    assert surface.f([0.5, 0.25]).shape == ()
    assert surface.grad([0.5, 0.25]).shape == (2,)


def test_constant_gradient_components_broadcast():
    surface = from_expression("x + 2*y")
    g = surface.grad(np.zeros((5, 2)))
    assert g.shape == (5, 2)
    np.testing.assert_array_equal(g, np.tile([1.0, 2.0], (5, 1)))
    g[0, 0] = 7.0  # writable, not a broadcast view
    constant = from_expression("3")
    assert constant.f(np.zeros((4, 3, 2))).shape == (4, 3)
    np.testing.assert_array_equal(constant.grad(np.ones((4, 3, 2))), np.zeros((4, 3, 2)))


def test_points_must_have_two_coordinates():
    surface = from_expression("x + y")
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        surface.f(np.zeros((4, 3)))


def test_literals_are_exact_doubles():
    surface = from_expression("0.1*x + 0.3333333333333333*y")
    assert surface.f(np.array([1.0, 0.0])) == 0.1
    assert surface.f(np.array([0.0, 1.0])) == 0.3333333333333333


def finite_difference(surface: Surface, p: np.ndarray, h: float = 1e-6) -> np.ndarray:
    e = np.eye(2) * h
    return np.array([(surface.f(p + e[i]) - surface.f(p - e[i])) / (2 * h) for i in range(2)])


FD_FORMULAS = [
    "x^2 + 3*y^2 - x*y",
    "sin(x)*cos(y)",
    "(1-x)^2 + 100*(y-x^2)^2",
    "exp(-x^2-y^2) * (x - y)",
    "sqrt(x^2+y^2+1) / (1 + y^2)",
    "tan(x/3) + x*y^3 - 2^x",
]


@SLOW
@given(
    st.sampled_from(FD_FORMULAS),
    st.floats(-2.0, 2.0),
    st.floats(-2.0, 2.0),
)
def test_gradient_matches_finite_differences(text, x, y):
    surface = from_expression(text)
    p = np.array([x, y])
    fd = finite_difference(surface, p)
    scale = 1.0 + np.abs(surface.f(p)) + np.abs(fd)
    np.testing.assert_allclose(surface.grad(p), fd, atol=1e-5 * scale.max())


def test_undefined_points_are_nan_without_warnings():
    surface = from_expression("log(x) + sqrt(y)")
    pts = np.array([[-1.0, 1.0], [1.0, -1.0], [0.0, 1.0], [np.e, 4.0]])
    v = surface.f(pts)
    assert np.isnan(v[0]) and np.isnan(v[1])
    assert v[2] == -np.inf
    assert v[3] == pytest.approx(3.0)
    g = surface.grad(pts)
    assert np.isnan(g[1, 1])
    assert g[3] == pytest.approx([1 / np.e, 0.25])


def test_overflow_is_inf_without_warnings():
    surface = from_expression("exp(x*y)")
    assert surface.f(np.array([30.0, 30.0])) == np.inf


def test_odd_root_of_negative_base_is_nan_not_complex():
    surface = from_expression("x^(1/3) + y")
    assert np.isnan(surface.f(np.array([-8.0, 0.0])))
    assert surface.f(np.array([8.0, 0.0])) == pytest.approx(2.0)


def test_abs_of_non_obviously_real_argument_has_a_real_gradient():
    surface = from_expression("abs(log(x)) + y^2", ((0.1, 3.0), (-1.0, 1.0)))
    assert surface.grad(np.array([0.5, 0.0])) == pytest.approx([-2.0, 0.0])
    assert surface.grad(np.array([2.0, 0.5])) == pytest.approx([0.5, 1.0])


def test_surface_pickles():
    surface = from_expression("(1-x)^2 + 100*(y-x^2)^2")
    f = pickle.loads(pickle.dumps(surface.f))
    grad = pickle.loads(pickle.dumps(surface.grad))
    np.testing.assert_array_equal(f(RNG_POINTS), surface.f(RNG_POINTS))
    np.testing.assert_array_equal(grad(RNG_POINTS), surface.grad(RNG_POINTS))


# --------------------------------------------------------------------------- normalization


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("x^2 + y^2", "x^2 + y^2"),
        ("x**2 + y**2", "x^2 + y^2"),
        ("ｘ＾２＋ｙ＾２", "x^2+y^2"),
        ("（ｘ−１）×（ｙ＋２）", "(x-1)*(y+2)"),
        ("x² + y³", "x^2 + y^3"),
        ("x⁻¹ + y", "x^(-1) + y"),
        ("2·x − 3÷y", "2*x - 3/y"),
        ("x ー y", "x - y"),
        ("π*x", "pi*x"),
        ("f(x, y) = x^2 + y", "x^2 + y"),
        ("z = x*y", "x*y"),
        ("  x\u3000+\ty  ", "x + y"),
        ("x\u200b + y", "x + y"),
    ],
)
def test_normalization(typed, canonical):
    assert parse_formula(typed).text == canonical
    surface = from_expression(typed, ((0.5, 2.0), (0.5, 2.0)))
    assert surface.params["expression"] == canonical
    assert from_expression(canonical, ((0.5, 2.0), (0.5, 2.0))).f(
        np.array([1.5, 1.25])
    ) == surface.f(np.array([1.5, 1.25]))


def test_superscript_followed_by_a_name_needs_an_operator():
    with pytest.raises(FormulaError) as info:
        parse_formula("x²y")
    assert info.value.code == "syntax"
    assert "missing operator" in str(info.value)


# --------------------------------------------------------------------------- the Surface


def test_surface_fields():
    s = from_expression("x^2 + 3*y^2 - x*y")
    assert isinstance(s, Surface)
    assert s.name == "formula"
    assert s.bounds == ((-3.0, 3.0), (-3.0, 3.0))
    assert s.title_en == "f(x, y) = x^2 + 3*y^2 - x*y"
    assert s.title_ja == s.title_en
    assert s.formula_tex.startswith("f(x, y) = ")
    assert "x^{2}" in s.formula_tex
    assert s.params == {"expression": "x^2 + 3*y^2 - x*y", "bounds": s.bounds}
    assert not s.log_scale


@pytest.mark.parametrize(
    "text", ["x^2 + y^2", "x - y", "sin(x)*cos(y)", "exp(-x^2-y^2)", "log(x) + y^2", "1"]
)
def test_start_is_inside_the_window_with_finite_value_and_gradient(text):
    s = from_expression(text)
    (x0, x1), (y0, y1) = s.bounds
    assert x0 <= s.start[0] <= x1 and y0 <= s.start[1] <= y1
    assert np.isfinite(s.f(np.array(s.start)))
    assert np.all(np.isfinite(s.grad(np.array(s.start))))
    assert from_expression(text).start == s.start  # deterministic
    if s.minima:
        assert s.start not in s.minima


def test_log_scale_for_wide_dynamic_range():
    assert from_expression("(1-x)^2 + 100*(y-x^2)^2", ((-2, 2), (-1, 3))).log_scale
    assert not from_expression("x^2 + y^2").log_scale
    assert not from_expression("x - y").log_scale  # no minimum: nothing to take log of


# --------------------------------------------------------------------------- minima


def test_minimum_of_a_quadratic():
    s = from_expression("x^2+3*y^2-x*y")
    assert len(s.minima) == 1
    np.testing.assert_allclose(s.minima[0], (0.0, 0.0), atol=1e-9)
    assert s.f_min == pytest.approx(0.0, abs=1e-15)


def test_minimum_off_the_grid():
    s = from_expression("(x-1)^2+(y+0.5)^2")
    np.testing.assert_allclose(s.minima[0], (1.0, -0.5), atol=1e-9)
    assert s.f_min == pytest.approx(0.0, abs=1e-15)
    s = from_expression("(x-0.123)^2 + 2*(y-0.777)^2 + 5")
    np.testing.assert_allclose(s.minima[0], (0.123, 0.777), atol=1e-8)
    assert s.f_min == pytest.approx(5.0, abs=1e-12)


def test_rosenbrock_minimum():
    s = from_expression("(1-x)^2 + 100*(y-x^2)^2", ((-2, 2), (-1, 3)))
    assert len(s.minima) == 1
    np.testing.assert_allclose(s.minima[0], (1.0, 1.0), atol=1e-6)
    assert s.f_min == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("text", ["x - y", "x^2 - y^2", "x^3 - 3*x*y^2", "2", "x^2", "(2*x - y)^2"])
def test_no_isolated_minimum(text):
    s = from_expression(text)
    assert s.minima == ()
    assert s.f_min is None


def test_several_minima_global_first():
    s = from_expression("(x^2+y-11)^2+(x+y^2-7)^2", ((-5, 5), (-5, 5)))
    expected = [
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.283185991286170),
        (3.584428340330492, -1.848126526964404),
    ]
    assert len(s.minima) == 4
    for point in expected:
        assert min(np.hypot(*np.subtract(point, m)) for m in s.minima) < 1e-7
    values = s.f(np.array(s.minima))
    assert values[0] == min(values)
    assert s.f_min == pytest.approx(0.0, abs=1e-12)


def test_local_minimum_with_lower_edge_has_no_f_min():
    s = from_expression("x^3 - 3*x + y^2")  # local min at (1, 0); f -> -18 at x = -3
    np.testing.assert_allclose(s.minima[0], (1.0, 0.0), atol=1e-8)
    assert s.f_min is None


def test_minimum_outside_the_window_is_not_reported():
    s = from_expression("(x-5)^2 + y^2")
    assert s.minima == ()
    assert s.f_min is None


def test_degenerate_and_steep_minima():
    s = from_expression("x^4 + y^4")
    np.testing.assert_allclose(s.minima[0], (0.0, 0.0), atol=1e-3)
    s = from_expression("exp(x^2 + y^2)")
    np.testing.assert_allclose(s.minima[0], (0.0, 0.0), atol=1e-9)
    assert s.f_min == pytest.approx(1.0)


# --------------------------------------------------------------------------- bounds


@pytest.mark.parametrize(
    "bounds",
    [
        ((1, -1), (-1, 1)),
        ((-1, 1), (2, 2)),
        ((-np.inf, 1), (-1, 1)),
        ((-1, np.nan), (-1, 1)),
        ((-1, 1),),
        ((-1, 1, 2), (-1, 1)),
        "abc",
        None,
        (("a", 1), (-1, 1)),
    ],
)
def test_bad_bounds(bounds):
    with pytest.raises(ValueError) as info:
        from_expression("x + y", bounds)
    assert isinstance(info.value, FormulaError)
    assert info.value.code == "bounds"


def test_bounds_are_stored_as_floats():
    s = from_expression("x^2 + y^2", ((-1, 2), (0, 5)))
    assert s.bounds == ((-1.0, 2.0), (0.0, 5.0))
    assert all(type(v) is float for pair in s.bounds for v in pair)
    assert s.params["bounds"] == s.bounds


# --------------------------------------------------------------------------- fuzzing

ATOMS = st.sampled_from(["x", "y", "pi", "e", "0", "1", "2", "0.5", "3", "10", "1e6", "-1"])
FUNCS = st.sampled_from(FUNCTION_NAMES)
OPS = st.sampled_from(["+", "-", "*", "/", "^"])
GRAMMAR = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        st.tuples(inner, OPS, inner).map(lambda t: f"({t[0]}{t[1]}{t[2]})"),
        st.tuples(inner, OPS, inner).map("".join),
        st.tuples(FUNCS, inner).map(lambda t: f"{t[0]}({t[1]})"),
        inner.map(lambda s: f"-{s}"),
    ),
    max_leaves=25,
)


def check_either_surface_or_formula_error(text: str) -> None:
    try:
        s = from_expression(text)
    except FormulaError as err:
        assert err.code and str(err)
        return
    assert np.isfinite(s.f(_grid_points(s))).any()
    assert np.all(np.isfinite(s.start))
    if s.f_min is not None:
        assert s.f_min == pytest.approx(float(s.f(np.array(s.minima[0]))))


def _grid_points(s: Surface) -> np.ndarray:
    (x0, x1), (y0, y1) = s.bounds
    return np.stack(np.meshgrid(np.linspace(x0, x1, 51), np.linspace(y0, y1, 51)), axis=-1)


@settings(deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(GRAMMAR)
def test_fuzz_grammar(text):
    check_either_surface_or_formula_error(text)


@settings(deadline=None, max_examples=150)
@given(st.text(max_size=60))
def test_fuzz_any_text(text):
    check_either_surface_or_formula_error(text)


@settings(deadline=None, max_examples=150)
@given(st.text(alphabet="xy()+-*/^.,0123456789 esinpq_[]'=<>", max_size=40))
def test_fuzz_formula_like_text(text):
    check_either_surface_or_formula_error(text)
