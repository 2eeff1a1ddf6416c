"""The results table is honest on every surface: distances to known or found minima,
"reached" by distance or by f − f*, and runs that leave the function's domain."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from apptest_helpers import k, results_table
from streamlit.testing.v1 import AppTest

from optviz import OPTIMIZERS, run
from optviz.minima import has_exact_minima, minima_around, reference_minima, window_minima
from optviz_app.compute import (
    build_surface,
    compute_run,
    first_undefined_step,
    summarize,
)
from optviz_app.i18n import optimizer_name, t
from optviz_app.state import DEFAULT_BOUNDS, DEFAULT_RUNS, FORMULA, RunSpec
from surfaces import SURFACES, from_expression

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SINCOS = "sin(x)*cos(y)"
LOG = "log(x)+y^2"
TOL = 1e-2


def formula_args(text: str) -> tuple:
    return FORMULA, (("bounds", DEFAULT_BOUNDS), ("expression", text))


def summaries(text: str, runs=DEFAULT_RUNS, steps: int = 300):
    """``[(spec, RunResult, Summary)]`` of ``runs`` on a typed formula from its start."""
    key, params = formula_args(text)
    surface, notices = build_surface(key, params)
    assert not notices
    out = []
    for spec in runs:
        result = compute_run(key, params, spec, tuple(surface.start), steps)
        out.append((spec, result, summarize(result, surface, TOL)))
    return surface, out


# ---------------------------------------------------------------------------------------
# the minima a run is measured against


def test_sin_cos_minimum_outside_the_window_is_found_around_the_run_end():
    surface = from_expression(SINCOS, DEFAULT_BOUNDS)
    assert not has_exact_minima(surface)
    # in the window [-3, 3]²: only (−π/2, 0) (the others are at y = ±π, x = 3π/2 ...)
    np.testing.assert_allclose(window_minima(surface), [[-math.pi / 2, 0.0]], atol=1e-6)
    found = reference_minima(surface, (4.6, 0.1))
    assert np.min(np.hypot(*(found - [3 * math.pi / 2, 0.0]).T)) < 1e-6
    # every minimum found is one: f = −1 there (the minimum value of sin·cos)
    np.testing.assert_allclose(surface.f(found), -1.0, atol=1e-12)


@pytest.mark.parametrize("point", [(4.6, 0.1), (-7.9, 5.2), (1.2, -9.4)])
def test_minima_around_a_point_are_those_of_its_centred_window(point):
    """Searched tile by tile (copies of the window, cached), the minima around a run's end
    are what a search of the window centred there finds: every minimum of sin·cos inside
    it (f = −1, ∇f = 0), and no other."""
    surface = from_expression(SINCOS, DEFAULT_BOUNDS)
    found = minima_around(surface, point)
    (x0, x1), (y0, y1) = surface.bounds
    hx, hy = (x1 - x0) / 2, (y1 - y0) / 2
    # sin x cos y has its minima at (−π/2 + 2πa, 2πb) and (π/2 + 2πa, π + 2πb)
    grid = np.arange(-4, 5) * 2 * math.pi
    exact = [(-math.pi / 2 + a, b) for a in grid for b in grid]
    exact += [(math.pi / 2 + a, math.pi + b) for a in grid for b in grid]
    inside = [p for p in exact if abs(p[0] - point[0]) <= hx and abs(p[1] - point[1]) <= hy]
    assert len(inside) >= 1 and len(found) == len(inside)
    for p in inside:
        assert np.min(np.hypot(*(found - p).T)) < 1e-6
    # the same call again is served from the tiles already searched
    np.testing.assert_array_equal(minima_around(surface, point), found)


def test_exact_minima_are_used_as_they_are():
    for key in ("rosenbrock", "himmelblau", "rastrigin"):
        surface = SURFACES[key]
        assert has_exact_minima(surface)
        # a point near a local (unlisted) Rastrigin minimum still measures to the list
        np.testing.assert_array_equal(
            reference_minima(surface, (1.0, 1.0)), np.asarray(surface.minima).reshape(-1, 2)
        )


def test_saddle_has_no_minimum_to_find():
    assert window_minima(SURFACES["saddle"]).shape == (0, 2)
    assert reference_minima(SURFACES["saddle"], (0.5, 0.5)).shape == (0, 2)


def test_a_formula_minimum_far_outside_the_window():
    surface = from_expression("(x-5)^2 + (y+4)^2", DEFAULT_BOUNDS)
    assert surface.minima == () and surface.f_min is None  # f falls towards the edge
    found = reference_minima(surface, (4.0, -3.5))
    np.testing.assert_allclose(found, [[5.0, -4.0]], atol=1e-7)


# ---------------------------------------------------------------------------------------
# summarize


def test_first_undefined_step():
    points = np.array([[1.0, 0], [0.5, 0], [-0.1, 0], [np.nan, np.nan]])
    values = np.array([0.0, -0.7, np.nan, np.nan])
    grads = np.ones((4, 2))
    assert first_undefined_step(points, values, grads) == 2
    grads[1, 0] = np.inf  # a gradient undefined at a finite point counts too
    assert first_undefined_step(points, values, grads) == 1
    # a non-finite point alone is a divergence, not a domain exit
    assert first_undefined_step(points[[0, 3]], values[[0, 3]], grads[[0, 3]]) == -1


def test_summarize_sin_cos_adam_reaches_the_minimum():
    surface, rows = summaries(SINCOS)
    spec, result, s = next(row for row in rows if row[0].optimizer == "adam")
    assert surface.f_min == -1.0 and result.diverged_at < 0
    assert abs(s.final_loss + 1) < 1e-10 and abs(s.gap) < 1e-10
    # f − f* ≈ ½·d² (the Hessian at the minimum is the identity): d ≈ √(2·gap)
    assert s.distance < 1e-5
    assert s.distance == pytest.approx(
        math.hypot(s.final_point[0] - 3 * math.pi / 2, s.final_point[1]), abs=1e-7
    )
    assert 0 <= s.reached < 300 and s.left_domain_at == -1
    # reached: the first step within TOL of a minimum or with f − f* ≤ TOL, and no sooner
    pts, vals = result.points, result.values
    close = np.hypot(pts[:, 0] - 3 * math.pi / 2, pts[:, 1]) <= TOL
    first = np.flatnonzero(close | (vals + 1 <= TOL))[0]
    assert s.reached == first
    # every run of the default set is measured against a minimum, none is 6.28 away
    # unless it really is
    for spec, _result, s in rows:
        x, y = s.final_point
        truth = min(
            math.hypot(x - mx, y - my) for mx in (-math.pi / 2, 3 * math.pi / 2) for my in (0.0,)
        )
        assert s.distance == pytest.approx(truth, abs=1e-5), spec


def test_summarize_log_runs_that_leave_the_domain_say_at_which_step():
    _surface, rows = summaries(LOG)
    left = [s for _, _, s in rows if s.left_domain_at >= 0]
    assert len(left) == 3  # momentum, RMSprop and Adam cross x = 0; SGD does not
    for spec, result, s in rows:
        # the analytic domain: log x needs x > 0 (at x = 0, f = −inf)
        outside = np.flatnonzero(result.points[:, 0] <= 0)
        expected = int(outside[0]) if outside.size else -1
        assert s.left_domain_at == expected, spec
        if expected >= 0:
            assert math.isnan(s.final_loss) and s.gap is None
            assert s.final_point == tuple(result.points[expected - 1])
            assert s.final_point[0] > 0
            assert s.diverged_at == -1  # the points stay finite: not a divergence


def test_summarize_keeps_exact_minima_on_registry_surfaces():
    surface = SURFACES["rosenbrock"]
    spec = RunSpec("adam", 0.1)
    result = compute_run("rosenbrock", (), spec, tuple(surface.start), 300)
    s = summarize(result, surface, TOL)
    x, y = s.final_point
    assert s.distance == math.hypot(x - 1, y - 1)
    assert s.gap == s.final_loss == pytest.approx(float(surface.f(np.array([x, y]))))


def test_summarize_matches_an_independent_run():
    """The domain step agrees with a run made without the page's helpers."""
    surface = from_expression(LOG, DEFAULT_BOUNDS)
    traj = run(surface, OPTIMIZERS["adam"](lr=0.1), surface.start, 300)
    with np.errstate(all="ignore"):
        undefined = ~np.isfinite(surface.f(traj.points[:, 0]))
    assert first_undefined_step(traj.points[:, 0], traj.values[:, 0], traj.grads[:, 0]) == int(
        np.flatnonzero(undefined)[0]
    )


# ---------------------------------------------------------------------------------------
# the table in the page


def fresh_formula(text: str, lang: str = "en") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    if lang != "en":
        at.session_state[k(at, "lang")] = lang
        at.run()
    at.selectbox(key=k(at, "surface")).set_value(FORMULA).run()
    at.text_input(key=k(at, "formula")).set_value(text).run()
    assert not at.exception, at.exception
    return at


def table(at: AppTest) -> list[dict[str, str]]:
    """The results table as one dict per run: header cell -> cell."""
    lines = results_table(at).splitlines()
    head = [c.strip() for c in lines[0].strip("|").split("|")]
    rows = []
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        rows.append(dict(zip(head, cells, strict=True)))
    return rows


def test_results_table_sin_cos():
    at = fresh_formula(SINCOS)
    _, rows = summaries(SINCOS)
    shown = table(at)
    assert len(shown) == len(rows)
    dist, reached = t("col_distance", "en"), t("col_reached", "en", tol="0.01")
    for (_spec, _, s), row in zip(rows, shown, strict=True):
        assert f"{float(row[dist]):.3g}" == f"{s.distance:.3g}"
        assert row[reached] == (str(s.reached) if s.reached >= 0 else "—")
        assert row[t("col_status", "en")] == t("status_ok", "en")
    adam = shown[[s.optimizer for s in DEFAULT_RUNS].index("adam")]
    assert float(adam[dist]) < 1e-5 and adam[reached] != "—"
    assert abs(float(adam[t("col_gap", "en")])) < 1e-10


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_results_table_log_says_which_runs_left_the_domain(lang):
    at = fresh_formula(LOG, lang)
    _, rows = summaries(LOG)
    shown = table(at)
    prefix = t("left_domain_note", lang, runs="\0").split("\0")[0]
    (notice,) = [w.value for w in at.warning if w.value.startswith(prefix)]  # one for all
    status = t("col_status", lang)
    for i, ((spec, _, s), row) in enumerate(zip(rows, shown, strict=True)):
        if s.left_domain_at >= 0:
            assert row[status] == "⚠ " + t("status_left_domain", lang, k=s.left_domain_at)
            assert f"{i + 1} · {optimizer_name(spec.optimizer)}" in notice
            assert t("left_domain_run", lang, name="", k=s.left_domain_at).strip() in notice
        else:
            assert row[status] == t("status_ok", lang)
    assert sum(row[status].startswith("⚠") for row in shown) == 3
