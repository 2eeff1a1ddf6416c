"""Real browser: a Japanese page shows no English beyond names (SGD, Adam, PyTorch, ...).

Every text node of a `lang=ja` page is read — sidebar, panels opened one by one, charts'
axis, legend and colour-bar texts, notices — and each Latin word must be on the allow-list:
optimizer, library and file-format names, keyword names in code form, and mathematical
symbols. Streamlit's own accessibility labels and icon ligatures are not text nodes of the
page's content and are not read.
"""

from __future__ import annotations

import contextlib
import inspect
import re

import pytest

from optviz.catalog import DISPLAY_NAMES, OPTIMIZERS

pytestmark = pytest.mark.browser

MAP = ".js-plotly-plot"

NAMES = {
    "optviz",
    "py",  # a file name's extension (.py)
    "eff",  # η_eff: the effective learning rate's symbol
    "RMS",  # root mean square, in Adafactor's rule
    "PyTorch",
    "Keras",
    "NumPy",
    "Plotly",
    "torch",
    "optim",
    "lr_scheduler",
    "CSV",
    "JSON",
    "HTML",
    "PNG",
    "SVG",
    "GIF",
    "URL",
    "NaN",
    "English",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "AMSGrad",
    "MSE",
    "ReLU",
    "MNIST",
    "scikit",
    "learn",
    "sklearn",
}
"""Names kept as they are on a Japanese page (docs/glossary-ja.md, last section)."""

MATH = re.compile(
    r"^(?:[a-zA-Z]|[a-zA-Z]_[a-zA-Z0-9]+|max|min|sign|log|exp|sqrt|ln|sin|cos|tan|e)$"
)
"""One-letter symbols (x, y, f, g, t, k, W, ...), subscripted ones (g_k) and functions."""


def allowed_words() -> set[str]:
    words = set(NAMES)
    for key, factory in OPTIMIZERS.items():
        words.update(re.findall(r"[A-Za-z]+", DISPLAY_NAMES.get(key, key)))
        for name in inspect.signature(factory).parameters:
            words.add(name)
    return words


def english_words(texts: list[str], allowed: set[str]) -> dict[str, str]:
    """``{word: where}`` for every Latin word of two letters or more that is not allowed."""
    found = {}
    for text in texts:
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_]+", text):
            if word not in allowed and not MATH.match(word):
                found.setdefault(word, text[:80])
    return found


def page_texts(page) -> list[str]:
    return page.evaluate(
        """() => {
      const out = [];
      // code (the exported scripts), icon ligatures (:material/…: names drawn as icons),
      // Streamlit's skip link for keyboard users, and KaTeX's hidden MathML copy
      const skip = 'script, style, noscript, pre, code, .katex-mathml, [role="img"],'
        + ' [translate="no"], .modebar, [data-testid="stSkipToContent"]';
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      let node;
      while ((node = walker.nextNode())) {
        const el = node.parentElement;
        if (!el || el.closest(skip)) continue;
        const text = node.textContent.trim();
        if (text) out.push(text);
      }
      return out;
    }"""
    )


def open_every_panel(page) -> None:
    for _ in range(3):
        for summary in page.locator(
            '[data-testid="stExpander"] details:not([open]) > summary'
        ).all():
            # a panel that moved while others opened is opened in the next round
            with contextlib.suppress(Exception):
                summary.click(timeout=2000)
        page.wait_for_timeout(2500)


@pytest.mark.parametrize(
    "query",
    [
        "lang=ja",
        "lang=ja&preset=adam_bias_correction&loss=1&field=1",
        "lang=ja&surface=linear_regression",
    ],
)
def test_japanese_page_shows_no_english(browser, served_app, query):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{served_app}/?{query}")
    page.wait_for_selector(MAP, timeout=60_000)
    page.wait_for_timeout(1500)
    open_every_panel(page)
    texts = page_texts(page)
    assert len(texts) > 50  # the walk read the page
    found = english_words(texts, allowed_words())
    assert not found, sorted(found.items())
    toolbar = page.evaluate(
        "() => [...document.querySelectorAll('.modebar-btn')].map((b) => b.dataset.title)"
    )
    # Streamlit adds its own "Fullscreen" button to st.plotly_chart's toolbar (the studies'
    # clickable heatmaps), outside Plotly's locale; every title of Plotly's own is checked
    toolbar = [title for title in toolbar if title != "Fullscreen"]
    assert toolbar  # Plotly's own words, its toolbar's titles
    assert not english_words(toolbar, allowed_words()), english_words(toolbar, allowed_words())
    page.close()


def test_the_check_finds_english():
    """The check itself can fail: English words in Japanese text are found."""
    found = english_words(
        ["ステップ 3 (step)", "Adam の lr と g_k", "m (exp_avg)"], allowed_words()
    )
    assert set(found) == {"step", "exp_avg"}


def test_switching_to_japanese_leaves_no_english_in_the_pickers(browser, served_app):
    """The language switch re-creates the widgets: a selectbox keeps its shown option text
    in the browser while its key stays, so without that the preset and surface pickers (and
    an open run's optimizer picker) went on saying "— none (free exploration) —" and
    "Rosenbrock function" on a Japanese page. An open run box stays open."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{served_app}/")
    page.wait_for_selector(MAP, timeout=60_000)
    sidebar = page.locator('[data-testid="stSidebar"]')
    sidebar.get_by_text("1 · SGD").first.click()
    sidebar.get_by_text("Convention").wait_for(timeout=30_000)
    sidebar.get_by_text("日本語").click()
    sidebar.get_by_text("流儀").wait_for(timeout=60_000)  # the run box, open, in Japanese
    page.wait_for_timeout(1500)
    shown = sidebar.locator('[data-testid="stSelectbox"]').evaluate_all(
        "(boxes) => boxes.map((b) => b.innerText + ' ' + [...b.querySelectorAll('input')]"
        ".map((i) => i.value + ' ' + (i.placeholder || '')).join(' '))"
    )
    assert any("ローゼンブロック関数" in text for text in shown), shown
    found = english_words(page_texts(page), allowed_words())
    assert not found, sorted(found.items())
    page.close()
