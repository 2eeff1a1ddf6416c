"""Real-browser tests of the study sections: a click on a basin-map cell loads
that start; a click on a sweep cell loads those values into the run."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PLOT = ".js-plotly-plot"


def open_page(browser, url):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector(PLOT, timeout=60_000)
    page.wait_for_function(f"document.querySelectorAll('{PLOT}').length >= 2", timeout=60_000)
    page.wait_for_timeout(800)
    return page


def open_section(page, title: str):
    """Open the expander ``title`` and wait for its chart; returns the expander."""
    box = page.locator('[data-testid="stExpander"]', has_text=title).first
    box.locator("summary").first.click()
    box.locator(PLOT).first.wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    box.scroll_into_view_if_needed()
    return box


def click_in(page, chart, fx: float, fy: float) -> None:
    drag = chart.locator(".nsewdrag").first
    drag.scroll_into_view_if_needed()
    b = drag.bounding_box()
    page.mouse.click(b["x"] + fx * b["width"], b["y"] + fy * b["height"])


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def test_basin_cell_loads_start(browser, served_app, artifacts):
    page = open_page(browser, served_app)
    x0, y0 = page.get_by_label("x₀"), page.get_by_label("y₀")
    before = (x0.input_value(), y0.input_value())
    box = open_section(page, "Basin map")
    chart = box.locator(PLOT).first
    click_in(page, chart, 0.8, 0.25)  # upper right of Rosenbrock's window
    page.wait_for_function(
        "v => document.querySelector('input[aria-label=\"x₀\"]').value !== v",
        arg=before[0],
        timeout=30_000,
    )
    page.wait_for_timeout(1500)
    after = (x0.input_value(), y0.input_value())
    assert after != before
    assert float(after[0]) > 0.5 and float(after[1]) > 1.0
    assert page.get_by_text("Loaded start").count() >= 1
    no_exception(page)
    page.screenshot(path=str(artifacts / "browser_basin_click.png"), full_page=True)
    page.close()


def test_sweep_cell_loads_values(browser, served_app, artifacts):
    page = open_page(browser, served_app)
    # run 1's box (SGD, lr 0.001): its controls are drawn while it is open
    page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary').first.click()
    lr = page.get_by_label("η exactly").first
    lr.wait_for(timeout=30_000)
    before = lr.input_value()
    box = open_section(page, "Hyperparameter sweep")
    chart = box.locator(PLOT).first
    click_in(page, chart, 0.3, 0.6)
    page.wait_for_function(
        "v => document.querySelector('input[aria-label=\"η exactly\"]').value !== v",
        arg=before,
        timeout=30_000,
    )
    page.wait_for_timeout(1500)
    after = lr.input_value()
    assert after != before
    assert float(after) > 0
    no_exception(page)
    page.screenshot(path=str(artifacts / "browser_sweep_click.png"), full_page=True)
    page.close()
