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
from apptest_helpers import tiny_mnist
from conftest import ROOT, free_port, serve, stop

from optviz.catalog import DISPLAY_NAMES, OPTIMIZERS
from optviz.drawing.studies import param_name
from optviz_app import network_ui
from optviz_app.i18n import t

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


@pytest.fixture(scope="module")
def served_with_mnist(chromium_path, tmp_path_factory):
    """The app served with MNIST offered (tiny synthetic IDX files in a temporary folder),
    so the network section shows its data-set choice."""
    folder = tmp_path_factory.mktemp("mnist")
    tiny_mnist(folder)
    port = free_port()
    proc = serve(ROOT / "app.py", port, env={network_ui.MNIST_ENV: str(folder)})
    yield f"http://127.0.0.1:{port}"
    stop(proc)


def pickers(panel) -> list[str]:
    """Each select box, radio group and segmented control of ``panel``: its text, the text
    its input shows, and the checked options after ``checked:``."""
    return panel.locator(
        '[data-testid="stSelectbox"], [data-testid="stRadio"], [data-testid="stButtonGroup"]'
    ).evaluate_all(
        """(els) => els.map((el) => el.innerText + ' '
          + [...el.querySelectorAll('input:not([type="radio"])')].map((i) => i.value).join(' ')
          + ' checked: ' + [...el.querySelectorAll('input:checked')]
              .map((i) => i.closest('label').innerText).join(', '))"""
    )


def test_switching_language_keeps_the_studies_open_their_pickers_set_and_translated(
    browser, served_with_mnist, artifacts
):
    """The study sections and the network section, open and with choices made in English,
    stay open after the switch to Japanese, with the same choices, every option in
    Japanese: their pickers are keyed by fixed names (they outlive the page's widget
    generations), and the browser keeps a kept key's shown option text (a select box) or
    loses its checked option (a radio group) when its options change."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{served_with_mnist}/")
    page.wait_for_selector(MAP, timeout=60_000)
    page.wait_for_timeout(1500)
    main = page.locator('[data-testid="stMain"]')

    def panel(title: str):
        """The expander whose summary names ``title``."""
        summary = page.locator("summary", has_text=title)
        return main.locator('[data-testid="stExpander"]').filter(has=summary).first

    titles = ("studies.basin", "studies.sweep", "studies.fair", "net.title")
    for title in titles:
        panel(t(title, "en")).locator("summary").first.click()
        page.wait_for_timeout(2500)
    basin, sweep, fair, network = (panel(t(title, "en")) for title in titles)
    network.get_by_text("Batch size").wait_for(timeout=120_000)
    # choices: the basin map coloured by final loss, the sweep's vertical axis on weight
    # decay, the fair comparison's mode at each one's best lr (not applied), MNIST
    basin.locator('[data-testid="stRadio"]').get_by_text(t("studies.mode_final_loss", "en")).click()
    page.wait_for_timeout(2500)
    combo = sweep.get_by_role("combobox", name="Vertical axis")
    combo.click()
    combo.fill("weight")
    page.get_by_role("option", name=param_name("weight_decay", "en"), exact=True).click()
    page.wait_for_timeout(2500)
    fair.locator('[data-testid="stRadio"]').get_by_text(t("studies.fair_best", "en")).click()
    page.wait_for_timeout(2500)
    data = network.locator('[data-testid="stRadio"]')
    data.get_by_text(t("net.dataset_mnist", "en", n=f"{network_ui.MNIST_IMAGES:,}")).click()
    network.get_by_text("784 → 100 → 100 → 10").first.wait_for(timeout=120_000)
    page.wait_for_timeout(1500)

    page.locator('[data-testid="stSidebar"]').get_by_text("日本語").click()
    # the network section, open, in Japanese
    panel(t("net.title", "ja")).get_by_text(t("net.batch", "ja")).wait_for(timeout=120_000)
    main.get_by_text(t("studies.fair_switch", "ja")).wait_for(timeout=60_000)
    page.wait_for_timeout(2500)
    page.screenshot(path=str(artifacts / "browser_language_studies_ja.png"), full_page=True)

    shown = {
        name: pickers(panel(t(title, "ja")))
        for name, title in zip(("basin", "sweep", "fair", "network"), titles, strict=True)
    }
    every = [text for texts in shown.values() for text in texts]
    assert len(every) >= 8, shown  # all four sections are open and drawn
    found = english_words([text.replace("checked:", "") for text in every], allowed_words())
    assert not found, (sorted(found.items()), shown)
    checked = " | ".join(every)
    assert f"checked: {t('studies.mode_final_loss', 'ja')}" in " | ".join(shown["basin"])
    assert any(
        text.startswith(t("studies.y_param", "ja")) and param_name("weight_decay", "ja") in text
        for text in shown["sweep"]
    ), shown["sweep"]
    assert f"checked: {t('studies.fair_best', 'ja')}" in " | ".join(shown["fair"])
    mnist = t("net.dataset_mnist", "ja", n=f"{network_ui.MNIST_IMAGES:,}")
    assert f"checked: {mnist}" in checked
    assert any(t("net.full_batch", "ja") in text for text in shown["network"]), shown
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()
