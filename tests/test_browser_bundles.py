"""In Chromium: the page's 2-D charts load Plotly's cartesian bundle only, and fetch the
full one once idle; the 3-D view, once switched on, runs the full bundle and draws with it
while the map keeps its own (optviz_app.bundles, optviz_app.plot)."""

from __future__ import annotations

import pytest

from optviz_app.bundles import CARTESIAN, FULL
from optviz_app.i18n import t

pytestmark = pytest.mark.browser

SCENE_DRAWN = """() => {
  const s = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g._fullLayout && g._fullLayout.scene);
  return !!(s && s.dataset.drawn);
}"""
CHARTS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')].filter(g => g._fullLayout);
  const scene = plots.find(g => g._fullLayout.scene);
  const flat = plots.filter(g => !g._fullLayout.scene);
  const traces = (P) => Object.keys(P.PlotSchema.get().traces).sort();
  return {
    flat: flat.length,
    flatTraces: flat.length ? traces(flat[0].__optvizPlotly) : null,
    oneFlatPlotly: flat.every(g => g.__optvizPlotly === flat[0].__optvizPlotly),
    windowIsFlat: flat.length > 0 && window.Plotly === flat[0].__optvizPlotly,
    scene: !!scene,
    sceneTraces: scene ? traces(scene.__optvizPlotly) : null,
    sceneOwn: !!scene && flat.every(g => g.__optvizPlotly !== scene.__optvizPlotly),
  };
}"""


def bundle_requests(page) -> list[str]:
    requests: list[str] = []
    page.on(
        "request",
        lambda r: (
            r.url.split("?")[0].endswith((CARTESIAN.file, FULL.file)) and requests.append(r.url)
        ),
    )
    return requests


def test_the_2d_page_loads_the_cartesian_bundle_and_the_3d_view_the_full_one(browser, served_app):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    requests = bundle_requests(page)
    page.goto(served_app)
    page.wait_for_function(
        "document.querySelectorAll('.js-plotly-plot').length >= 2"
        " && [...document.querySelectorAll('.js-plotly-plot')].every(g => g._fullLayout)",
        timeout=60_000,
    )
    charts = page.evaluate(CHARTS)
    assert charts["flat"] >= 2 and not charts["scene"]
    assert charts["oneFlatPlotly"] and charts["windowIsFlat"]
    assert set(charts["flatTraces"]) == CARTESIAN.traces  # the record names what it draws
    assert all(CARTESIAN.file in u for u in requests) and requests
    # once drawn and idle, the page fetches the full bundle without running it
    page.wait_for_selector(f'link[rel="prefetch"][href*="{FULL.file}"]', state="attached")
    page.wait_for_function(
        f"performance.getEntriesByType('resource').some(e => e.name.includes('{FULL.file}')"
        " && e.responseEnd > 0)"
    )
    assert (
        page.evaluate("window.__optvizPlotlys && Object.keys(window.__optvizPlotlys).length") == 1
    )

    # switched on: the 3-D view loads the full bundle, draws with it; the map keeps its own
    page.locator('[data-testid="stSidebar"] button', has_text=t("show_3d", "en")).click()
    page.wait_for_function(SCENE_DRAWN, timeout=90_000)
    charts = page.evaluate(CHARTS)
    assert charts["scene"] and charts["sceneOwn"] and charts["windowIsFlat"]
    assert {"surface", "scatter3d"} <= set(charts["sceneTraces"])
    assert sum(FULL.file in u for u in requests) >= 1
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not errors
    ctx.close()
