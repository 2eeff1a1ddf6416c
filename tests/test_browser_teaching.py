"""Real browser: a shared link reproduces the view (Japanese, runs, step), the URL follows
the page, presenter mode collapses the sidebar."""

from __future__ import annotations

import urllib.parse

import pytest

from optviz_app.links import decode

pytestmark = pytest.mark.browser

MAP = ".js-plotly-plot"

SHARED = {
    "lang": "ja",
    "surface": "bowl",
    "x": "-4",
    "y": "2",
    "steps": "60",
    "r1": "adam",
    "r1.lr": "0.3",
    "r2": "sgd",
    "r2.lr": "0.03",
    "r3": "momentum",
    "r3.lr": "0.02",
    "step": "7",
}


def open_link(browser, base, query):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "/?" + urllib.parse.urlencode(query))
    page.wait_for_selector(MAP, timeout=60_000)
    page.wait_for_timeout(1500)
    return page, errors


def test_shared_link_reproduces_the_view(browser, served_app, artifacts):
    page, errors = open_link(browser, served_app, SHARED)
    # Japanese UI, the surface's Japanese title, three runs in the inspector at step 7
    assert page.get_by_text("ステップ詳細（k = 7）").count() == 1
    assert page.get_by_text("二次関数の谷（お椀型）").count() >= 1
    box = page.get_by_text("授業用プリセット").first.bounding_box()  # sidebar open
    assert box is not None and box["x"] >= 0
    tables = page.locator("table").filter(has_text="実効学習率")
    assert tables.count() == 3
    # the map opened on frame k = 7 (its step control shows it)
    assert page.locator(".optviz-anim-label").first.inner_text() == "ステップ 7"
    # the URL keeps the link's settings (page state written back, nothing lost)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))
    link, notices = decode(query)
    assert notices == []
    assert link.page == decode(SHARED)[0].page and link.teach.step == 7
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not errors, errors
    page.screenshot(path=str(artifacts / "browser_shared_link.png"), full_page=True)
    page.close()


def test_presenter_link_collapses_the_sidebar(browser, served_app, artifacts):
    page, errors = open_link(
        browser, served_app, {"preset": "saddle_escape", "present": "1", "hide": "runs"}
    )
    assert page.locator(".optviz-explain").count() == 1
    # the sidebar starts collapsed: its controls are off screen
    box = page.get_by_text("Lecture preset").first.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not errors, errors
    page.screenshot(path=str(artifacts / "browser_presenter.png"))
    page.close()


def test_bad_link_shows_a_notice_not_an_error(browser, served_app):
    page, errors = open_link(
        browser, served_app, {"surface": "nope", "r1": "adam", "r1.lr": "fast", "zzz": "1"}
    )
    alerts = " ".join(page.locator('[data-testid="stAlert"]').all_text_contents())
    assert "nope" in alerts and "fast" in alerts and "zzz" in alerts
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not errors, errors
    page.close()


def test_share_button_shows_the_current_link(browser, served_app, artifacts):
    page, errors = open_link(browser, served_app, {"surface": "bowl", "steps": "40"})
    page.get_by_role("button", name="Share link").click()
    code = page.locator('[data-testid="stPopoverBody"] code').first
    code.wait_for(timeout=30_000)
    link = code.inner_text().replace("\n", "")
    query = dict(urllib.parse.parse_qsl(link.split("?", 1)[1]))
    assert query["surface"] == "bowl" and query["steps"] == "40"
    assert link.startswith(served_app)
    assert not errors
    page.screenshot(path=str(artifacts / "browser_share.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_preset_title_fits_the_preset_selector(browser, served_app, lang):
    """The preset selector is a one-line input that ends a long name in "…": every title,
    in each language, fits its width in the page's font (measured in the browser)."""
    from optviz.presets import PRESETS

    page, _ = open_link(browser, served_app, {"lang": lang})
    box = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"] input').first
    titles = [p.title_ja if lang == "ja" else p.title_en for p in PRESETS]
    widths = box.evaluate(
        """(input, titles) => {
          const style = getComputedStyle(input);
          const ctx = document.createElement('canvas').getContext('2d');
          ctx.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
          const room = input.clientWidth - parseFloat(style.paddingLeft)
            - parseFloat(style.paddingRight);
          return [room, titles.map((t) => ctx.measureText(t).width)];
        }""",
        titles,
    )
    room, needed = widths
    too_long = [t for t, w in zip(titles, needed, strict=True) if w > room]
    assert room > 100 and not too_long, (room, too_long)
    page.close()
