"""Real browser: the equations panel writes each run's rule in its convention and switches
between the course's notation and PyTorch's in one click; the address bar keeps the pick."""

from __future__ import annotations

import urllib.parse

import pytest

pytestmark = pytest.mark.browser

MAP = ".js-plotly-plot"

QUERY = {
    "lang": "en",
    "surface": "bowl",
    "steps": "20",
    "r1": "adagrad",
    "r1.lr": "0.5",
    "r2": "momentum",
    "r2.lr": "0.05",
    "r2.conv": "textbook",
}


RULES_DRAWN = """() => [...document.querySelectorAll('.katex-html')]
    .filter((e) => e.innerText.includes('←')).length >= 2"""


def katex_texts(page) -> list[str]:
    """The rendered update rules' text (KaTeX's visible HTML, the lines with ←) in the
    equations panel, one per run, without spaces and line breaks."""
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="Update rules").first
    texts = [el.inner_text() for el in panel.locator(".katex-html").all()]
    return ["".join(text.split()).replace("\u200b", "") for text in texts if "←" in text]


def test_one_click_switches_the_notation_and_the_link_keeps_it(browser, served_app, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served_app + "/?" + urllib.parse.urlencode(QUERY))
    page.wait_for_selector(MAP, timeout=60_000)
    page.wait_for_timeout(1500)
    panel = page.locator('[data-testid="stExpander"]').filter(has_text="Update rules").first
    panel.locator("summary").first.click()
    page.wait_for_function(RULES_DRAWN, timeout=30_000)
    before = katex_texts(page)
    assert len(before) == 2 and all("θ" in text for text in before)  # English: PyTorch's
    panel.locator("button").filter(has_text="Course").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.katex-html')].some(e => e.innerText.includes('W'))",
        timeout=30_000,
    )
    page.wait_for_function(RULES_DRAWN, timeout=30_000)
    page.wait_for_timeout(1000)
    after = katex_texts(page)
    assert len(after) == 2 and all("θ" not in text and "W" in text for text in after)
    # KaTeX draws an aligned block column by column: the left sides first, then the rest
    assert after[0].startswith("hW←h+") and "⊙" in after[0]  # h ← h + ∂L/∂W ⊙ ∂L/∂W
    assert after[1].startswith("vW←αv−η")  # the book's v ← αv − η∂L/∂W, W ← W + v
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(page.url).query))
    assert query.get("notation") == "course"
    assert page.locator('[data-testid="stException"]').count() == 0
    assert not errors, errors
    panel.screenshot(path=str(artifacts / "browser_notation_course.png"))
    page.close()
