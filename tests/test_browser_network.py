"""Real-browser test of the section "On a real network": the course's preset trains the
six networks and the section draws their loss and accuracy, one colour per run."""

from __future__ import annotations

import itertools

import pytest

from optviz.drawing import figures as F

pytestmark = pytest.mark.browser

PLOT = ".js-plotly-plot"


def titled_section(page):
    """The expander "On a real network" (an English page)."""
    return page.locator('[data-testid="stExpander"]', has_text="On a real network").first


def last_section(page):
    """The page's last expander, "On a real network" in either language."""
    return (
        page.locator('[data-testid="stExpander"]')
        .filter(has=page.locator("summary"))
        .nth(page.locator('[data-testid="stExpander"] summary').count() - 1)
    )


def open_network_section(page, url, section):
    """Open ``url``, open the network section (``section(page)``) and wait until its chart
    is drawn: (the section, its chart)."""
    page.goto(url)
    page.wait_for_selector(PLOT, timeout=60_000)
    page.wait_for_timeout(800)
    box = section(page)
    box.locator("summary").first.click()
    chart = box.locator(PLOT).first
    chart.wait_for(timeout=120_000)
    page.wait_for_timeout(1500)
    return box, chart


def test_course_preset_trains_and_draws_the_six(browser, served_app, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    box, chart = open_network_section(page, f"{served_app}?preset=course_network", titled_section)
    box.scroll_into_view_if_needed()
    assert box.get_by_text("not MNIST").count() >= 1
    traces = chart.evaluate(
        "el => el._fullData.map(t => ({name: t.name, color: t.line.color, n: t.y.length,"
        " last: t.y[t.y.length - 1], legend: t.showlegend !== false}))"
    )
    legend = [tr for tr in traces if tr["legend"]]
    assert len(legend) == 6 and all(tr["n"] == 101 for tr in legend)
    assert [tr["color"] for tr in legend] == [F.color(i) for i in range(6)]
    accuracy = {tr["name"].split(" · ")[1].split(" ")[0]: tr["last"] for tr in traces[1::2]}
    assert accuracy["Adam"] >= 95 and accuracy["SGD"] < 50
    # the legend is drawn above the plots and names every run
    assert chart.locator(".legendtext").count() == 6
    assert page.locator('[data-testid="stException"]').count() == 0
    box.screenshot(path=str(artifacts / "browser_network.png"))
    page.close()


def test_presenter_mode_fits_the_figure_on_a_projector_screen(browser, served_app, artifacts):
    page = browser.new_page(viewport={"width": 1280, "height": 720})
    url = f"{served_app}?preset=course_network&present=1"
    _, chart = open_network_section(page, url, titled_section)
    chart.scroll_into_view_if_needed()
    layout = chart.evaluate(
        "el => ({font: el._fullLayout.font.size, height: el._fullLayout.height,"
        " tick: el._fullLayout.xaxis2.tickfont.size})"
    )
    big = F.Style.presenter()
    assert layout["font"] == big.font_size and layout["tick"] == big.font_size - 2
    drawn = chart.bounding_box()
    header = page.locator('[data-testid="stHeader"]').bounding_box()
    # the whole figure, legend included, fits under the page's header on a 720-px screen
    assert drawn["height"] <= 720 - (header["height"] if header else 0)
    assert chart.locator(".legendtext").count() == 6
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(artifacts / "browser_network_present.png"))
    page.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_phone_legend_packs_the_six_runs_in_few_rows(browser, served_app, artifacts, lang):
    """On a 420-px phone the six runs' legend wraps into packed rows (at most four, each
    row as tall as a line of its text), leaving the plots most of the figure."""
    page = browser.new_page(viewport={"width": 420, "height": 900})
    url = f"{served_app}?preset=course_network&lang={lang}"
    box, chart = open_network_section(page, url, last_section)
    chart.scroll_into_view_if_needed()
    entries = chart.evaluate(
        "el => [...el.querySelectorAll('.legend .traces')].map(t => {"
        " const r = t.getBoundingClientRect(); return [Math.round(r.top), Math.round(r.height)]; })"
    )
    rows = sorted({top for top, _ in entries})
    assert len(entries) == 6 and len(rows) <= 4
    font = chart.evaluate("el => el._fullLayout.legend.font.size")
    assert all(b - a <= 2 * font for a, b in itertools.pairwise(rows))  # no gaps
    loss_plot = chart.evaluate("el => el._fullLayout.yaxis._length")
    assert loss_plot >= 150
    assert page.locator('[data-testid="stException"]').count() == 0
    box.screenshot(path=str(artifacts / f"browser_network_phone_{lang}.png"))
    page.close()
