"""Tests for the surface catalog (`surfaces` package): registry sweep and known facts."""

from __future__ import annotations

import inspect
import math
import pickle
from pathlib import Path

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import surfaces
from surfaces import (
    SURFACE_PARAMS,
    SURFACES,
    Param,
    Surface,
    grid,
    make_bowl,
    make_linear_regression,
)

KEYS = sorted(SURFACES)
WITH_MINIMUM = [k for k in KEYS if SURFACES[k].f_min is not None]
EPS = np.finfo(np.float64).eps
REQUIRED = {
    "bowl",
    "rosenbrock",
    "saddle",
    "himmelblau",
    "beale",
    "booth",
    "rastrigin",
    "ackley",
    "styblinski_tang",
    "six_hump_camel",
    "goldstein_price",
    "monkey_saddle",
    "linear_regression",
}

unit = st.floats(0.0, 1.0, allow_nan=False, allow_infinity=False)


def point_in(bounds, u: float, v: float) -> np.ndarray:
    """Map ``(u, v)`` in the unit square to a point inside ``bounds``."""
    (x0, x1), (y0, y1) = bounds
    return np.array([x0 + u * (x1 - x0), y0 + v * (y1 - y0)])


def fd_grad(f, p: np.ndarray, rel: float = 1e-6) -> np.ndarray:
    """Central finite-difference gradient of scalar ``f`` at ``p (2,)``."""
    g = np.empty(2)
    for i in range(2):
        h = rel * max(1.0, abs(p[i]))
        e = np.zeros(2)
        e[i] = h
        g[i] = (f(p + e) - f(p - e)) / (2.0 * h)
    return g


def fd_hessian(grad, p, rel: float = 1e-5) -> np.ndarray:
    """Symmetrized central finite-difference Hessian from the analytic gradient."""
    p = np.asarray(p, dtype=np.float64)
    cols = []
    for i in range(2):
        h = rel * max(1.0, abs(p[i]))
        e = np.zeros(2)
        e[i] = h
        cols.append((grad(p + e) - grad(p - e)) / (2.0 * h))
    hess = np.stack(cols, axis=1)
    return 0.5 * (hess + hess.T)


def inside(bounds, p) -> bool:
    (x0, x1), (y0, y1) = bounds
    return x0 <= p[0] <= x1 and y0 <= p[1] <= y1


# --------------------------------------------------------------------------- registry


def test_required_keys_present():
    assert set(SURFACES) >= REQUIRED


def test_public_names():
    for name in surfaces.__all__:
        assert hasattr(surfaces, name), name
    assert {"SURFACES", "SURFACE_PARAMS", "Param", "Surface", "grid"} <= set(surfaces.__all__)


def test_no_streamlit_in_surfaces():
    for path in Path(surfaces.__file__).parent.glob("*.py"):
        assert "streamlit" not in path.read_text(encoding="utf-8"), path


@pytest.mark.parametrize("key", KEYS)
def test_record(key):
    s = SURFACES[key]
    assert isinstance(s, Surface)
    assert s.name == key
    (x0, x1), (y0, y1) = s.bounds
    assert x0 < x1 and y0 < y1
    assert inside(s.bounds, s.start)
    for m in s.minima:
        assert inside(s.bounds, m)
    assert s.title_en.strip() and s.title_ja.strip() and s.formula_tex.strip()
    assert any(ord(c) > 0x3000 for c in s.title_ja), "title_ja should be Japanese"
    assert isinstance(s.log_scale, bool)


@pytest.mark.parametrize("key", KEYS)
def test_shapes_and_broadcasting(key):
    s = SURFACES[key]
    rng = np.random.default_rng(1)
    (x0, x1), (y0, y1) = s.bounds
    pts = np.stack((rng.uniform(x0, x1, size=(3, 4)), rng.uniform(y0, y1, size=(3, 4))), axis=-1)
    assert np.shape(s.f(pts[0, 0])) == ()
    assert np.shape(s.grad(pts[0, 0])) == (2,)
    assert np.shape(s.f(pts[0, :4].reshape(4, 2))) == (4,)
    assert np.shape(s.f(pts.reshape(-1, 2)[:5])) == (5,)
    assert np.shape(s.grad(pts.reshape(-1, 2)[:5])) == (5, 2)
    fb, gb = s.f(pts), s.grad(pts)
    assert fb.shape == (3, 4) and gb.shape == (3, 4, 2)
    assert fb.dtype == np.float64 and gb.dtype == np.float64
    for i in range(3):
        for j in range(4):
            np.testing.assert_allclose(s.f(pts[i, j]), fb[i, j], rtol=1e-14, atol=1e-300)
            np.testing.assert_allclose(s.grad(pts[i, j]), gb[i, j], rtol=1e-14, atol=1e-300)
    # lists work too, and float32 input is promoted
    np.testing.assert_allclose(s.f(pts[0].tolist()), fb[0], rtol=1e-14)
    assert s.f(pts.astype(np.float32)).dtype == np.float64


@pytest.mark.parametrize("key", KEYS)
def test_rejects_wrong_trailing_axis(key):
    with pytest.raises(ValueError, match=r"\(\.\.\., 2\)"):
        SURFACES[key].f(np.zeros(3))


@pytest.mark.parametrize("key", KEYS)
def test_no_runtime_warnings_in_bounds(key):
    # pytest turns RuntimeWarning into errors (pyproject.toml); grid() silences them,
    # so evaluate f and grad directly on a mesh over the bounds.
    s = SURFACES[key]
    (x0, x1), (y0, y1) = s.bounds
    xy = np.stack(np.meshgrid(np.linspace(x0, x1, 101), np.linspace(y0, y1, 101)), axis=-1)
    assert np.isfinite(s.f(xy)).all()
    assert np.isfinite(s.grad(xy)).all()


@pytest.mark.parametrize("key", KEYS)
@settings(max_examples=40, deadline=None)
@given(u=unit, v=unit)
def test_gradient_matches_finite_differences(key, u, v):
    s = SURFACES[key]
    p = point_in(s.bounds, u, v)
    if key == "ackley":
        assume(np.hypot(*p) > 1e-3)  # not differentiable at the origin
    g = s.grad(p)
    g_fd = fd_grad(s.f, p)
    tol = 1e-6 * (1.0 + abs(float(s.f(p))) + np.linalg.norm(g))
    assert np.all(np.abs(g - g_fd) <= tol), (p, g, g_fd)


@pytest.mark.parametrize("key", WITH_MINIMUM)
def test_minima_values_and_stationarity(key):
    s = SURFACES[key]
    assert s.minima, "a surface with f_min lists its minimizers"
    for m in s.minima:
        m = np.asarray(m)
        assert float(s.f(m)) == pytest.approx(s.f_min, rel=1e-12, abs=1e-12)
        # The polished point is exact to about one ulp, so |∇f| ≲ ‖H‖·ulp(|m|) + rounding.
        hess = np.linalg.norm(fd_hessian(s.grad, m), 2)
        tol = 64 * EPS * (1.0 + hess * (1.0 + np.linalg.norm(m)))
        assert np.linalg.norm(s.grad(m)) <= tol, (m, s.grad(m), tol)


@pytest.mark.parametrize("key", WITH_MINIMUM)
def test_minimum_not_beaten_on_grid(key):
    s = SURFACES[key]
    _, _, zs = grid(s, n=401)
    assert np.isfinite(zs).all()
    assert zs.min() >= s.f_min - 1e-9 * (1.0 + abs(s.f_min))


@pytest.mark.parametrize("key", ["saddle", "monkey_saddle"])
def test_saddles_have_no_minimum(key):
    s = SURFACES[key]
    assert s.f_min is None
    assert s.minima == ()
    # unbounded below along the y axis / the negative x axis
    assert s.f(np.array([0.0, 1e3])) < -1e5 or s.f(np.array([-1e3, 0.0])) < -1e5
    np.testing.assert_array_equal(s.grad(np.zeros(2)), np.zeros(2))


@pytest.mark.parametrize("key", KEYS)
def test_picklable(key):
    s = SURFACES[key]
    t = pickle.loads(pickle.dumps(s))
    p = np.asarray(s.start)
    assert t.f(p) == s.f(p)
    assert t.params == s.params


# --------------------------------------------------------------------------- known facts


def test_himmelblau_four_zeros():
    s = SURFACES["himmelblau"]
    expected = [
        (3.0, 2.0),
        (-2.805118086952745, 3.131312518250573),
        (-3.779310253377747, -3.283185991286170),
        (3.584428340330492, -1.848126526964404),
    ]
    assert list(s.minima) == expected
    vals = s.f(np.array(expected))
    assert np.all(vals < 1e-24)
    assert np.all(np.linalg.norm(s.grad(np.array(expected)), axis=-1) < 1e-12)


def test_six_hump_camel():
    s = SURFACES["six_hump_camel"]
    p = np.array([0.08984201310031806, -0.7126564030207396])
    for q in (p, -p):
        assert float(s.f(q)) == pytest.approx(-1.0316284534898774, rel=1e-14)
    assert s.f_min == -1.0316284534898774


def test_styblinski_tang():
    s = SURFACES["styblinski_tang"]
    x = -2.903534027771177
    assert s.minima[0] == (x, x)
    assert s.f_min == -78.33233140754284
    assert float(s.f(np.array([x, x]))) == pytest.approx(-78.33233140754284, rel=1e-14)
    # the local minimum at x = y ≈ 2.7468 is higher
    assert s.f(np.array([2.7468, 2.7468])) > -51


def test_goldstein_price():
    s = SURFACES["goldstein_price"]
    assert float(s.f(np.array([0.0, -1.0]))) == 3.0
    np.testing.assert_array_equal(s.grad(np.array([0.0, -1.0])), [0.0, 0.0])
    # pins the +48y in the second factor: the common +4y typo gives f(1, 1) = 644
    assert float(s.f(np.array([1.0, 1.0]))) == 1876.0
    # known local minima
    assert float(s.f(np.array([-0.6, -0.4]))) == pytest.approx(30.0)
    assert float(s.f(np.array([1.8, 0.2]))) == pytest.approx(84.0)


def test_beale_booth_rastrigin_exact_zeros():
    assert float(SURFACES["beale"].f(np.array([3.0, 0.5]))) == 0.0
    assert float(SURFACES["booth"].f(np.array([1.0, 3.0]))) == 0.0
    assert float(SURFACES["rastrigin"].f(np.array([0.0, 0.0]))) == 0.0


def test_rosenbrock_hessian_at_minimum():
    s = SURFACES["rosenbrock"]
    lam = np.linalg.eigvalsh(fd_hessian(s.grad, (1.0, 1.0)))
    assert lam[0] == pytest.approx(0.3994, abs=1e-4)
    assert lam[1] == pytest.approx(1001.6, abs=1e-1)
    assert s.log_scale
    assert s.start == (-1.5, 2.0)


def test_ackley_origin():
    s = SURFACES["ackley"]
    assert 0.0 <= float(s.f(np.zeros(2))) < 1e-15
    g = s.grad(np.zeros(2))
    assert np.isfinite(g).all()
    np.testing.assert_array_equal(g, [0.0, 0.0])
    tiny = np.array([[0.0, 0.0], [5e-324, 0.0], [1e-300, -1e-300], [0.0, 1e-160]])
    assert np.isfinite(s.grad(tiny)).all()
    assert np.isfinite(s.f(tiny)).all()


# --------------------------------------------------------------------------- bowl


def test_bowl_default_is_oracle_quadratic():
    s = SURFACES["bowl"]
    rng = np.random.default_rng(2)
    p = rng.normal(size=(10, 2))
    np.testing.assert_allclose(s.f(p), 0.5 * (p[:, 0] ** 2 + 10 * p[:, 1] ** 2), rtol=1e-15)
    np.testing.assert_allclose(s.grad(p), p * [1.0, 10.0], rtol=1e-15)
    assert s.start == (-4.0, 2.0)
    assert s.params["condition"] == 10.0
    assert s.params["angle_deg"] == 0.0
    assert s.params["eigenvalues"] == (1.0, 10.0)


@settings(max_examples=60, deadline=None)
@given(
    condition=st.floats(1.0, 1000.0),
    angle=st.floats(-180.0, 180.0),
    scale=st.floats(0.1, 10.0),
)
def test_bowl_factory_sets_hessian(condition, angle, scale):
    s = make_bowl(condition=condition, angle_deg=angle, scale=scale)
    hess = fd_hessian(s.grad, (0.3, -0.7))
    lam, vec = np.linalg.eigh(hess)
    np.testing.assert_allclose(lam, [scale, scale * condition], rtol=1e-7)
    np.testing.assert_allclose(s.params["eigenvalues"], [scale, scale * condition], rtol=1e-15)
    assert s.params["condition"] == condition and s.params["angle_deg"] == angle
    if condition > 1.01:  # the eigenvectors are defined
        t = math.radians(angle)
        assert abs(vec[:, 0] @ [math.cos(t), math.sin(t)]) == pytest.approx(1.0, abs=1e-6)
    # f is ½ pᵀHp
    p = np.array([1.3, -0.4])
    assert float(s.f(p)) == pytest.approx(0.5 * p @ hess @ p, rel=1e-7)


def test_bowl_rotation_by_45_degrees():
    s = make_bowl(condition=4.0, angle_deg=45.0)
    d = np.array([1.0, 1.0]) / math.sqrt(2)  # flat direction
    n = np.array([-1.0, 1.0]) / math.sqrt(2)  # steep direction
    assert float(s.f(d)) == pytest.approx(0.5)
    assert float(s.f(n)) == pytest.approx(2.0)
    assert "45" in s.formula_tex


# --------------------------------------------------------------------------- linear regression


def test_linear_regression_minimum_is_lstsq():
    s = SURFACES["linear_regression"]
    x = np.array(s.params["x"])
    y = np.array(s.params["y"])
    assert x.shape == y.shape == (30,)
    assert abs(x.mean()) > 1.0, "default data should not be centred"
    design = np.stack((x, np.ones_like(x)), axis=1)
    sol, *_ = np.linalg.lstsq(design, y, rcond=None)
    np.testing.assert_allclose(s.minima[0], sol, rtol=1e-12)
    np.testing.assert_allclose(s.params["solution"], sol, rtol=1e-12)
    mse = np.mean((design @ sol - y) ** 2)
    assert s.f_min == pytest.approx(mse, rel=1e-12)
    assert s.start == (0.0, 0.0)
    lam_min, lam_max = s.params["eigenvalues"]
    assert lam_max / lam_min > 10, "the default valley should be elongated"


@settings(max_examples=30, deadline=None)
@given(u=unit, v=unit, seed=st.integers(0, 50), center=st.floats(-4.0, 4.0))
def test_linear_regression_matches_direct_mse(u, v, seed, center):
    s = make_linear_regression(seed=seed, x_center=center)
    x = np.array(s.params["x"])
    y = np.array(s.params["y"])
    p = point_in(s.bounds, u, v)
    direct = np.mean((p[0] * x + p[1] - y) ** 2)
    assert float(s.f(p)) == pytest.approx(direct, rel=1e-10, abs=1e-12)
    g_direct = 2.0 * np.array([np.mean((p[0] * x + p[1] - y) * x), np.mean(p[0] * x + p[1] - y)])
    np.testing.assert_allclose(s.grad(p), g_direct, rtol=1e-9, atol=1e-10)
    assert inside(s.bounds, s.start) and inside(s.bounds, s.minima[0])


def test_linear_regression_seeds():
    a = make_linear_regression(seed=0)
    b = make_linear_regression(seed=1)
    assert a.params["x"] != b.params["x"] and a.params["y"] != b.params["y"]
    assert make_linear_regression(seed=0).params["y"] == a.params["y"]
    assert a.params == SURFACES["linear_regression"].params


def test_linear_regression_noiseless_recovers_truth():
    s = make_linear_regression(noise=0.0, true_w=-1.5, true_b=2.5, n=5)
    np.testing.assert_allclose(s.minima[0], (-1.5, 2.5), rtol=1e-12)
    assert 0.0 <= s.f_min < 1e-25


# --------------------------------------------------------------------------- factories, params


@pytest.mark.parametrize(
    ("factory", "kwargs", "name"),
    [
        (make_bowl, {"condition": 0.5}, "condition"),
        (make_bowl, {"condition": math.inf}, "condition"),
        (make_bowl, {"condition": math.nan}, "condition"),
        (make_bowl, {"angle_deg": math.nan}, "angle_deg"),
        (make_bowl, {"scale": 0.0}, "scale"),
        (make_bowl, {"scale": -2.0}, "scale"),
        (make_bowl, {"condition": "10"}, "condition"),
        (make_linear_regression, {"n": 1}, "n"),
        (make_linear_regression, {"n": 2.5}, "n"),
        (make_linear_regression, {"noise": -0.1}, "noise"),
        (make_linear_regression, {"noise": math.inf}, "noise"),
        (make_linear_regression, {"seed": -1}, "seed"),
        (make_linear_regression, {"seed": 1.5}, "seed"),
        (make_linear_regression, {"true_w": math.nan}, "true_w"),
        (make_linear_regression, {"true_b": math.inf}, "true_b"),
        (make_linear_regression, {"x_center": math.nan}, "x_center"),
    ],
)
def test_factory_validation(factory, kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}\b.*{kwargs[name]!r}"):
        factory(**kwargs)


@pytest.mark.parametrize("key", sorted(SURFACE_PARAMS))
def test_param_specs(key):
    factory, specs = SURFACE_PARAMS[key]
    assert key in SURFACES
    sig = inspect.signature(factory)
    for p in specs:
        assert isinstance(p, Param)
        assert p.name in sig.parameters
        assert sig.parameters[p.name].default == p.default
        assert p.low <= p.default <= p.high and p.step > 0
        assert p.label_en and p.label_ja
        if p.kind == "int":
            assert all(isinstance(v, int) for v in (p.default, p.low, p.high, p.step))
    # defaults rebuild the registry entry
    s = factory(**{p.name: p.default for p in specs})
    xy = np.array([[0.3, -0.2], [1.0, 2.0]])
    np.testing.assert_array_equal(s.f(xy), SURFACES[key].f(xy))
    # every corner of the control ranges builds a sane surface
    for which in ("low", "high"):
        t = factory(**{p.name: getattr(p, which) for p in specs})
        assert inside(t.bounds, t.start)
        assert all(inside(t.bounds, m) for m in t.minima)


def test_param_rejects_bad_spec():
    with pytest.raises(ValueError, match="kind"):
        Param("a", 1.0, 0.0, 2.0, 0.1, "a", "a", kind="bool")
    with pytest.raises(ValueError, match="default"):
        Param("a", 3.0, 0.0, 2.0, 0.1, "a", "a")
