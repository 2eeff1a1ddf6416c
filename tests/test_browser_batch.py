"""Real-browser test of mini-batch runs on the line fit: the batch size typed into a run's
"More settings" goes into the link, and the data-fitting view circles the points of the
batch of the step it shows (the last, then step k of a link)."""

from __future__ import annotations

import numpy as np
import pytest

from optviz import OPTIMIZERS, run
from surfaces import SURFACES

pytestmark = pytest.mark.browser

PLOT = ".js-plotly-plot"
BOXES = '[data-testid="stSidebar"] [data-testid="stExpander"]'
LINE = SURFACES["linear_regression"]
STEPS = 40
QUERY = f"?surface=linear_regression&steps={STEPS}&r1=sgd&r1.lr=0.05&r2=adam&r2.lr=0.1"

RINGS = """g => g._fullData.filter(d => String(d.name).includes('mini-batch'))
    .map(d => [Array.from(d.x), Array.from(d.y)])"""
"""The ring traces of a fit chart as ``[[xs, ys], ...]`` (plotly.js's decoded arrays)."""


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function(f"document.querySelectorAll('{PLOT}').length >= 3", timeout=60_000)
    page.wait_for_timeout(1000)
    return page, errors


def fit_chart(page):
    return page.locator(PLOT, has_text="least squares").first


def batch_points(k: int, seed: int = 0) -> np.ndarray:
    traj = run(LINE, OPTIMIZERS["sgd"](lr=0.05), LINE.start, STEPS, batch_size=4, batch_seed=seed)
    idx = traj.batches.indices(k)
    return np.array([np.asarray(LINE.params["x"])[idx], np.asarray(LINE.params["y"])[idx]])


def test_a_typed_batch_size_circles_the_batch_in_the_fit_view(browser, served_app, artifacts):
    page, errors = open_page(browser, served_app + QUERY)
    assert fit_chart(page).evaluate(RINGS) == []  # full batch: no rings
    box = page.locator(BOXES).first
    box.locator("summary").first.click()
    box.locator('[data-testid="stPopover"] button').first.click()
    body = page.locator('[data-testid="stPopoverBody"]')
    field = body.get_by_role("spinbutton", name="Mini-batch size")
    field.wait_for(timeout=30_000)
    field.fill("4")
    field.press("Enter")
    page.wait_for_function("() => location.search.includes('r1.batch_size=4')", timeout=30_000)
    page.wait_for_function(
        f"() => [...document.querySelectorAll('{PLOT}')].some(g => g.data &&"
        " g.data.some(d => String(d.name).includes('mini-batch')))",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    (ring,) = fit_chart(page).evaluate(RINGS)
    np.testing.assert_array_equal(np.array(ring), batch_points(STEPS))
    page.screenshot(path=str(artifacts / "browser_batch_fit.png"), full_page=True)
    assert not errors
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
    # a link to step k: the view opens there, step k's batch circled
    page, errors = open_page(browser, served_app + QUERY + "&r1.batch_size=4&r1.seed=2&step=7")
    (ring,) = fit_chart(page).evaluate(RINGS)
    np.testing.assert_array_equal(np.array(ring), batch_points(7, seed=2))
    assert not errors
    page.close()
