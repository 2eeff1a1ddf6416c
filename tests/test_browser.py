"""Real-browser tests: Playwright driving Debian's Chromium against the served app."""

from __future__ import annotations

import pytest

from optviz_app.i18n import t
from optviz_app.state import signature_defaults

pytestmark = pytest.mark.browser

MAP = ".js-plotly-plot"
BOXES = '[data-testid="stSidebar"] [data-testid="stExpander"]'


def open_page(browser, url, viewport=(1400, 1000)):
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_selector(MAP, timeout=60_000)
    page.wait_for_function(f"document.querySelectorAll('{MAP}').length >= 2", timeout=60_000)
    page.wait_for_timeout(1000)
    return page, errors


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0


def test_page_loads_with_charts(browser, served_app, artifacts):
    page, _ = open_page(browser, served_app)
    assert page.locator(MAP).count() >= 2
    assert page.locator(".js-plotly-plot .layer-above image, .js-plotly-plot image").count() >= 1
    no_exception(page)
    page.screenshot(path=str(artifacts / "browser_default.png"), full_page=True)
    page.close()


def test_memoised_array_attribute_search_answers_as_plotly_does(browser, served_app):
    """plotly.js's search for a trace's array attributes runs memoised (optviz_app.plot):
    on every trace of the drawn charts, and after a redraw with other paths, it gives what
    plotly.js's own function gives, in the same order."""
    page, errors = open_page(browser, served_app)
    compare = """() => {
      const PS = window.Plotly.PlotSchema, original = PS.__optvizOriginal;
      const out = [];
      for (const gd of document.querySelectorAll('.js-plotly-plot')) {
        for (const trace of gd._fullData) {
          out.push([trace.type, PS.findArrayAttributes(trace), original(trace)]);
        }
      }
      return [PS.findArrayAttributes !== original, out];
    }"""
    active, traces = page.evaluate(compare)
    assert active  # the memo is in use (it steps aside when its first answer differs)
    assert len(traces) >= 10 and "scatter" in {t for t, _, _ in traces}
    for _, memo, own in traces:
        assert memo == own
    assert any("x" in own and "y" in own for _, _, own in traces)
    box = page.locator(BOXES).first
    box.locator("summary").first.click()
    slider = box.get_by_role("slider").first
    slider.wait_for(timeout=30_000)
    slider.focus()
    page.keyboard.press("ArrowRight")  # other paths: the charts are redrawn
    page.wait_for_function("() => location.search.includes('r1.lr=0.002')", timeout=30_000)
    page.wait_for_timeout(1500)
    active, traces = page.evaluate(compare)
    assert active and all(memo == own for _, memo, own in traces)
    assert not errors
    page.close()


def test_address_bar_follows_the_page_without_history_entries(browser, served_app):
    """The page's link is in the address bar after every change, replaced rather than
    pushed (Back leaves the page instead of stepping through every notch), and a reload
    of that address restores the page."""
    page, errors = open_page(browser, served_app)
    page.wait_for_function("() => location.search.includes('surface=rosenbrock')")
    entries = page.evaluate("history.length")
    box = page.locator(BOXES).first
    box.locator("summary").first.click()
    slider = box.get_by_role("slider").first
    slider.wait_for(timeout=30_000)
    for lr in ("0.002", "0.005"):
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(f"() => location.search.includes('r1.lr={lr}&')", timeout=30_000)
        page.wait_for_timeout(500)
    assert page.evaluate("history.length") == entries
    page.reload()
    page.wait_for_selector(MAP, timeout=60_000)
    page.locator(BOXES).first.get_by_text("lr 0.005").wait_for(timeout=30_000)
    assert not errors
    no_exception(page)
    page.close()


def test_click_on_map_moves_start(browser, served_app, artifacts):
    page, _ = open_page(browser, served_app)
    x_field = page.get_by_label("x₀")
    before = (x_field.input_value(), page.get_by_label("y₀").input_value())
    drag = page.locator(MAP).first.locator(".nsewdrag").first
    box = drag.bounding_box()
    page.mouse.click(box["x"] + 0.8 * box["width"], box["y"] + 0.75 * box["height"])
    page.wait_for_function(
        "v => document.querySelector('input[aria-label=\"x₀\"]').value !== v",
        arg=before[0],
        timeout=20_000,
    )
    page.wait_for_timeout(1500)
    after = (x_field.input_value(), page.get_by_label("y₀").input_value())
    assert after != before
    assert float(after[0]) > 0.5 and float(after[1]) < 1.0  # lower right of Rosenbrock
    no_exception(page)
    page.screenshot(path=str(artifacts / "browser_click.png"), full_page=True)
    page.close()


def test_play_advances_animation(browser, served_app, artifacts):
    page, errors = open_page(browser, served_app)
    chart = page.locator(MAP).first
    bar = page.locator(".optviz-anim").first  # the map's play / step controls
    frame = bar.locator('input[type="range"]')
    current = "g => JSON.stringify(g.data.find(d => d.name === 'current').x)"

    def at() -> int:
        return int(frame.input_value())

    last = int(frame.get_attribute("max"))
    assert at() == last  # at rest on the last frame (the finished paths)
    assert bar.locator(".optviz-anim-label").inner_text() == "step 300"
    finished = chart.evaluate(current)
    bar.locator("[data-act=play]").click()
    page.wait_for_timeout(600)
    early = at()
    page.screenshot(path=str(artifacts / "browser_play.png"), full_page=True)
    page.wait_for_timeout(900)
    later = at()
    assert early < last  # play started from the first frame
    assert later > early  # and it advances without a server round trip
    assert chart.evaluate(current) != finished  # the markers moved with it
    bar.locator("[data-act=play]").click()  # now "Pause"
    stopped = at()
    page.wait_for_timeout(400)
    assert at() == stopped
    bar.locator("[data-act=back]").click()
    assert at() == stopped - 1
    frame.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert at() == stopped + 1
    assert bar.locator(".optviz-anim-label").inner_text().startswith("step ")
    page.keyboard.press("End")
    page.wait_for_timeout(300)
    assert chart.evaluate(current) == finished  # the last frame is the finished paths
    assert not errors, errors
    no_exception(page)
    page.close()


def test_stopping_the_animation_moves_the_page_step_and_back(browser, served_app, artifacts):
    """Two-way step sync: where the map's animation stops, the page's step follows (the
    inspector's step slider, the link's step=); the step slider moves the map's frame."""
    page, errors = open_page(browser, served_app)
    bar = page.locator(".optviz-anim").first
    frame = bar.locator('input[type="range"]')
    inspect = page.locator('[data-testid="stSlider"] input[type="range"]').first
    assert inspect.input_value() == "300"

    def label_step() -> int:
        return int(bar.locator(".optviz-anim-label").inner_text().removeprefix("step "))

    for _ in range(3):
        bar.locator("[data-act=back]").click()
    k = label_step()
    assert k < 300
    page.wait_for_function(
        'k => document.querySelector(\'[data-testid="stSlider"] input[type="range"]\')'
        ".value === String(k)",
        arg=k,
        timeout=20_000,
    )
    page.wait_for_function("k => location.search.includes('step=' + k)", arg=k, timeout=10_000)
    page.wait_for_timeout(800)
    assert label_step() == k  # the rerun's figure opens on the frame where the user stopped
    # and back: the step slider to its end puts the map on the finished paths
    inspect.focus()
    page.keyboard.press("End")
    page.wait_for_function(
        "() => document.querySelector('.optviz-anim-label').textContent === 'step 300'",
        timeout=20_000,
    )
    page.wait_for_function("() => !location.search.includes('step=')", timeout=10_000)
    assert frame.input_value() == frame.get_attribute("max")
    assert not errors, errors
    no_exception(page)
    page.screenshot(path=str(artifacts / "browser_step_sync.png"), full_page=True)
    page.close()


def test_lr_change_redraws_in_place_keeping_zoom_and_the_open_box(browser, served_app, artifacts):
    page, errors = open_page(browser, served_app)
    chart = page.locator(MAP).first
    # zoom in by dragging a rectangle on the map, and mark the plot element
    drag = chart.locator(".nsewdrag").first
    b = drag.bounding_box()
    page.mouse.move(b["x"] + 0.2 * b["width"], b["y"] + 0.2 * b["height"])
    page.mouse.down()
    page.mouse.move(b["x"] + 0.6 * b["width"], b["y"] + 0.6 * b["height"], steps=8)
    page.mouse.up()
    page.wait_for_timeout(800)
    ranges = "g => JSON.stringify([g.layout.xaxis.range, g.layout.yaxis.range])"
    zoomed = chart.evaluate(ranges)
    assert zoomed != "[[-2,2],[-1,3]]"
    chart.evaluate("g => { g.__mark = 'same element'; }")
    names = "g => JSON.stringify(g.data.map(d => d.name))"
    # run 1's box: open it, move its learning-rate slider one notch
    box = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]').first
    box.locator("summary").first.click()
    slider = box.locator('input[type="range"]').first
    slider.wait_for(timeout=30_000)
    page.wait_for_timeout(800)  # the opening rerun has settled
    box.evaluate("e => { e.__mark = 'same box'; }")
    open_title = box.locator("summary").first.inner_text()
    assert "1 · SGD" in open_title and "lr" not in open_title  # the slider shows the lr

    def press_and_wait(key):
        before = chart.evaluate(names)
        slider.focus()
        page.keyboard.press(key)
        page.wait_for_function(
            "([n]) => { const g = document.querySelector('.js-plotly-plot');"
            " return !!(g && g.data) && JSON.stringify(g.data.map(d => d.name)) !== n; }",
            arg=[before],
            timeout=30_000,
        )
        page.wait_for_timeout(1000)

    press_and_wait("ArrowRight")
    chart = page.locator(MAP).first
    assert "η 0.002" in chart.evaluate(names)  # the new path is drawn
    assert chart.evaluate("g => g.__mark") == "same element"  # updated, not re-created
    assert chart.evaluate(ranges) == zoomed  # the zoom survived the rerun
    assert box.locator('input[type="range"]').count() == 1  # the box stayed open
    # ... as the same box: its label did not change, so the browser did not mount it anew
    assert box.evaluate("e => e.__mark") == "same box"
    assert box.locator("summary").first.inner_text() == open_title
    # one notch more and SGD diverges: a notice appears above the charts, which are
    # still updated in place, not mounted afresh below it
    warnings = page.locator('[data-testid="stMain"] [data-testid="stAlert"]', has_text="diverged")
    assert warnings.count() == 0
    press_and_wait("ArrowRight")
    assert warnings.count() == 1
    assert "η 0.005" in chart.evaluate(names)
    assert chart.evaluate("g => g.__mark") == "same element"
    assert box.evaluate("e => e.__mark") == "same box"
    # closed, the box's label says the run's lr
    box.locator("summary").first.click()
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=stSidebar] details[open]')",
        timeout=30_000,
    )
    page.wait_for_timeout(800)
    assert "1 · SGD · lr 0.005" in box.locator("summary").first.inner_text()
    assert box.locator('input[type="range"]').count() == 0
    assert not errors
    no_exception(page)
    page.screenshot(path=str(artifacts / "browser_lr_in_place.png"), full_page=True)
    page.close()


def test_added_run_opens_its_box_and_optimizer_switch_keeps_it_open(browser, served_app):
    page, errors = open_page(browser, served_app)
    boxes = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]')
    n = boxes.count()
    page.locator('[data-testid="stSidebar"] button', has_text="Add a run").click()
    page.wait_for_function(
        f"n => document.querySelectorAll(`{BOXES}`).length === n + 1", arg=n, timeout=30_000
    )
    new = boxes.nth(n)
    new.get_by_label("η exactly").wait_for(timeout=30_000)  # open, controls drawn
    assert "Adam" in new.locator("summary").inner_text()
    # switch its optimizer: the box is rebuilt for the new signature and stays open
    page.wait_for_timeout(800)  # the add's rerun has settled
    combo = new.get_by_role("combobox", name="Optimizer")
    combo.click()
    combo.fill("SGD")  # the list filters by what is typed
    page.get_by_role("option", name="SGD", exact=True).click()
    page.wait_for_function(
        f"i => document.querySelectorAll(`{BOXES} summary`)[i].innerText.includes('SGD')",
        arg=n,
        timeout=30_000,
    )
    page.wait_for_timeout(800)
    new = page.locator('[data-testid="stSidebar"] [data-testid="stExpander"]').nth(n)
    assert new.get_by_label("momentum").count() == 1  # SGD's own controls, drawn
    # SGD's own defaults, not Adam's lr 0.05, and the page says so
    lr = signature_defaults("sgd")["lr"]
    assert float(new.get_by_label("η exactly").input_value()) == lr
    note = t("switched_defaults", "en", i=n + 1, name="SGD", lr=f"{lr:g}")
    assert page.get_by_text(note).count() == 1
    assert not errors
    no_exception(page)
    page.close()


def test_convention_switch_is_one_click_and_keeps_the_box_open(browser, served_app):
    """Run 4's box: one click on "Keras" gives Keras's Adam (its β₁ field under Keras's
    name), the box stays open, the page says what changed, the results row names Keras."""
    page, errors = open_page(browser, served_app)
    box = page.locator(BOXES).nth(3)
    box.locator("summary").click()
    box.get_by_label("η exactly").wait_for(timeout=30_000)
    page.wait_for_timeout(800)
    box.locator("button", has_text="Keras").click()  # the segmented control's segment
    page.wait_for_function(
        f"() => document.querySelectorAll(`{BOXES} summary`)[3].innerText.includes('Keras')",
        timeout=30_000,
    )
    page.wait_for_timeout(800)
    box = page.locator(BOXES).nth(3)
    box.get_by_label("β₁ (beta_1)").wait_for(timeout=30_000)  # open, Keras's own names
    assert float(box.get_by_label("η exactly").input_value()) == 0.1  # the lr is kept
    assert page.get_by_text("Run 4 now follows Keras: Adam").count() == 1
    assert page.get_by_text("4 · Adam · Keras (lr 0.1)").count() >= 1  # results table
    assert not errors
    no_exception(page)
    page.close()


def test_more_settings_mount_only_when_open_and_stay_open_while_edited(
    browser, served_app, artifacts
):
    """A run's "More settings" (the other keywords, schedule, noise): nothing of it is in
    the page while it is closed (every rerun sends and redraws less); opened, it fills in,
    an edit inside reruns the page, keeps it open and puts the setting in the link; closed
    again, its label counts the changed setting."""
    page, errors = open_page(browser, served_app)
    box = page.locator(BOXES).first
    box.locator("summary").first.click()
    box.get_by_label("η exactly").wait_for(timeout=30_000)
    assert page.get_by_label("weight decay λ").count() == 0  # closed: not mounted
    more = box.locator('[data-testid="stPopover"] button').first
    assert "More settings" in more.inner_text() and "changed" not in more.inner_text()
    more.click()
    body = page.locator('[data-testid="stPopoverBody"]')
    field = body.get_by_label("weight decay λ")
    field.wait_for(timeout=10_000)
    assert body.bounding_box()["width"] < 300  # as narrow as the sidebar
    names = "g => JSON.stringify(g.data.map(d => d.name))"
    before = page.locator(MAP).first.evaluate("g => JSON.stringify(g.data.map(d => d.x))")
    field.fill("0.5")
    field.press("Enter")
    page.wait_for_function("() => location.search.includes('r1.weight_decay=0.5')", timeout=30_000)
    page.wait_for_timeout(1000)
    assert body.count() == 1 and field.is_visible()  # still open after the rerun
    assert "changed" not in more.inner_text()  # open: its label stays put (Streamlit keys it)
    after = page.locator(MAP).first.evaluate("g => JSON.stringify(g.data.map(d => d.x))")
    assert after != before  # the path with weight decay is drawn
    assert "SGD" in page.locator(MAP).first.evaluate(names)
    page.screenshot(path=str(artifacts / "browser_more_settings.png"), full_page=True)
    page.mouse.click(900, 60)  # outside: it closes, and unmounts again
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-testid=\"stPopover\"] button')]"
        ".some(b => b.innerText.includes('1 changed'))",
        timeout=30_000,
    )  # closed, its label counts what is set inside
    assert page.get_by_label("weight decay λ").count() == 0
    assert not errors
    no_exception(page)
    page.close()


def test_phone_width_map_fits_its_column_and_refits_on_resize(browser, served_app, artifacts):
    """On a 420-px phone the map (a fixed-width figure for an equal scale) is narrowed to
    its column, axes and colour bar in view, and no text hides under the top bar; a wider
    window gives it its full width back."""
    page, errors = open_page(browser, served_app, viewport=(420, 900))
    chart = page.locator(MAP).first
    fit = "g => [g._fullLayout.width, g.parentElement.clientWidth]"
    width, column = chart.evaluate(fit)
    assert 0 < width <= column <= 420
    x_range = chart.evaluate("g => g._fullLayout.xaxis.range")
    assert x_range[0] <= -2 and x_range[1] >= 2  # the whole surface still in view
    header = page.locator('[data-testid="stHeader"]').bounding_box()
    subtitle = page.get_by_text("Pick a surface and some optimizers").bounding_box()
    assert subtitle["y"] >= header["y"] + header["height"]
    table = page.locator('[data-testid="stMarkdownContainer"] table').first  # the results
    box = table.bounding_box()
    assert box["x"] + box["width"] <= 420  # within the screen ...
    assert table.evaluate("t => t.scrollWidth > t.clientWidth")  # ... and it scrolls
    assert table.evaluate("t => getComputedStyle(t).overflowX") == "auto"
    page.screenshot(path=str(artifacts / "browser_phone.png"))
    page.set_viewport_size({"width": 1400, "height": 1000})
    # the column widens (and the sidebar slides in): the map takes its own width back, or
    # all the column has
    page.wait_for_function(
        "() => { const g = document.querySelector('.js-plotly-plot'); const w ="
        " g._fullLayout.width; return w > 420 &&"
        " w === Math.min(g.__optvizFull.width, g.parentElement.clientWidth); }",
        timeout=10_000,
    )
    assert not errors
    no_exception(page)
    page.close()


def test_presenter_map_fits_a_720p_projector(browser, served_app, artifacts):
    """Presenter mode in a browser window on a 1280x720 projector (590 px left for the page
    under the browser's bars): the lecture-hall map shrinks to the window's height at
    equal scale, its play controls right under it, all on one screen."""
    page, errors = open_page(browser, served_app + "?present=1", viewport=(1280, 590))
    chart = page.locator(MAP).first
    full_height, height = chart.evaluate("g => [g.__optvizFull.height, g._fullLayout.height]")
    assert full_height > 590 - 20 >= height >= 360  # it was taller than the window
    x_range = chart.evaluate("g => g._fullLayout.xaxis.range")
    assert x_range[0] <= -2 and x_range[1] >= 2
    chart.scroll_into_view_if_needed()
    bar = page.locator(".optviz-anim").first.bounding_box()
    assert bar["y"] + bar["height"] <= 590  # map and its controls on one screen
    page.screenshot(path=str(artifacts / "browser_projector.png"))
    assert not errors
    no_exception(page)
    page.close()


def test_each_run_has_one_colour_everywhere(browser, served_app):
    """A run's swatch in the sidebar, its dot in the results table and its line on the loss
    chart are the same colour (the chart palette), for every default run."""
    from optviz.drawing.figures import PALETTE

    page, errors = open_page(browser, served_app)
    rgb = page.evaluate(
        """() => {
      const css = (el) => getComputedStyle(el).color;
      const swatches = [...document.querySelectorAll(
        '[data-testid="stSidebar"] [data-testid="stExpander"] summary .stMarkdownColoredText'
      )].map(css);
      const dots = [...document.querySelectorAll('table span')]
        .filter((s) => s.textContent === '●').map(css);
      const loss = document.querySelectorAll('.js-plotly-plot')[1];
      const lines = loss._fullData.filter((t) => t.mode && t.mode.includes('lines')
        && t.showlegend !== false).map((t) => t.line.color);
      return [swatches, dots, lines];
    }"""
    )
    swatches, dots, lines = rgb

    def as_rgb(hex_colour: str) -> str:
        r, g, b = (int(hex_colour[k : k + 2], 16) for k in (1, 3, 5))
        return f"rgb({r}, {g}, {b})"

    runs = len(swatches)
    assert runs >= 4
    expected = [as_rgb(PALETTE[i]) for i in range(runs)]
    assert swatches == expected
    assert dots[:runs] == expected
    assert [c.upper() for c in lines[:runs]] == [c.upper() for c in PALETTE[:runs]]
    assert not errors
    page.close()


@pytest.mark.parametrize("viewport", [(1280, 720), (1920, 1080)])
@pytest.mark.parametrize("lang", ["en", "ja"])
def test_presenter_mode_puts_the_lesson_on_the_first_screen(browser, served_app, viewport, lang):
    """Presenter mode with a preset on a 720p and a 1080p projector: without scrolling,
    the whole map, its play button and its step label are on the screen, and the preset's
    explanation stands beside the map (not above it)."""
    page, errors = open_page(
        browser, f"{served_app}?present=1&lang={lang}&preset=saddle_escape", viewport=viewport
    )
    assert page.evaluate("window.scrollY") == 0
    chart = page.locator(MAP).first
    plot_area = chart.locator(".nsewdrag").first.bounding_box()
    play = page.locator(".optviz-anim button").first.bounding_box()
    label = page.locator(".optviz-anim-label").first.bounding_box()
    explain = page.locator(".optviz-explain").first.bounding_box()
    height = viewport[1]
    assert plot_area["y"] + plot_area["height"] <= height
    assert play["y"] + play["height"] <= height and label["y"] + label["height"] <= height
    assert explain["x"] > plot_area["x"] + plot_area["width"]  # beside the map
    assert page.get_by_text("Pick a surface and some optimizers").count() == 0  # no subtitle
    assert not errors
    no_exception(page)
    page.close()


def test_a_first_visit_requests_nothing_beyond_the_server(browser, served_app):
    """A first visit (empty cache) with every chart kind drawn sends no request to any
    host but the app's own: the page works offline, and no third-party server (the
    favicon's font CDN) is asked for anything. The favicon is an inline data URL."""
    from urllib.parse import urlsplit

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests: list[str] = []
    context.on("request", lambda r: requests.append(r.url))
    page = context.new_page()
    page.goto(served_app + "/?3d=1")
    page.wait_for_function(f"document.querySelectorAll('{MAP}').length >= 3", timeout=90_000)
    icon = "document.querySelector('link[rel~=icon]')"
    # Streamlit sets the page's own icon once the script has run: then it is requested
    page.wait_for_function(f"{icon} && !{icon}.href.endsWith('/favicon.png')", timeout=30_000)
    page.wait_for_timeout(2000)  # late requests (fonts, icons) after the charts
    no_exception(page)
    own = urlsplit(served_app).netloc
    away = [
        u
        for u in requests
        if urlsplit(u).scheme not in ("data", "blob") and urlsplit(u).netloc != own
    ]
    assert requests and not away
    assert page.evaluate(f"{icon}.href").startswith("data:image/svg+xml")
    context.close()
