"""Page speed in a real browser (prints figures; no asserts).

    python benchmarks/bench_app.py [--repeats 5]

Measures, in headless Debian Chromium driven by Playwright:

* first chart on a cold visit (fresh server, fresh browser context);
* slider change -> redrawn charts: an empty Streamlit page (one slider and its value),
  the default page, and 6 runs x 2,000 steps (the lr slider of run 1, one notch);
* bytes received over the websocket per rerun;
* server-side script time of one rerun (``streamlit.testing`` AppTest, same change).

"Redrawn" means: the map's path data in the browser changed (Plotly has drawn the new
figure) and two animation frames have passed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, serve, stop  # noqa: E402

EMPTY_APP = """
import streamlit as st
v = st.sidebar.slider("s", 0, 100, 50)
st.write(f"value {v}")
"""

MAP_SIGNATURE = """() => {
  const gd = document.querySelector('.js-plotly-plot');
  if (!gd || !gd.data) return null;
  const t = gd.data.find(d => d.name === 'current');
  return t ? JSON.stringify([t.x, t.y]) : 'none';
}"""

TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


class Bytes:
    """Counts websocket bytes received by a page."""

    def __init__(self, page):
        self.n = 0
        page.on("websocket", self._attach)

    def _attach(self, ws):
        ws.on("framereceived", lambda payload: self._add(payload))

    def _add(self, payload):
        self.n += len(payload) if payload is not None else 0


def press_slider(page, index: int = 0, key: str = "ArrowRight") -> None:
    slider = page.locator('[data-testid="stSidebar"] input[type="range"]').nth(index)
    slider.focus()
    page.keyboard.press(key)


def time_empty(browser, url, repeats):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("text=value 50", timeout=60_000)
    times = []
    for i in range(repeats):
        want = f"value {51 + i}"
        t0 = time.perf_counter()
        press_slider(page)
        page.wait_for_selector(f"text={want}", timeout=30_000)
        page.evaluate(TWO_FRAMES)
        times.append(time.perf_counter() - t0)
    page.close()
    return times


def open_run_expander(page, index=0):
    page.locator('[data-testid="stSidebar"] [data-testid="stExpander"] summary').nth(index).click()
    page.wait_for_timeout(300)


def time_page(page, counter, repeats):
    """lr slider of run 1 one notch right/left alternately; time until the map changed."""
    times, sizes = [], []
    for i in range(repeats):
        before = page.evaluate(MAP_SIGNATURE)
        counter.n = 0
        t0 = time.perf_counter()
        press_slider(page, 0, "ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(
            f"(b) => ({MAP_SIGNATURE})() !== b && ({MAP_SIGNATURE})() !== null",
            arg=before,
            polling=50,
            timeout=60_000,
        )
        page.evaluate(TWO_FRAMES)
        times.append(time.perf_counter() - t0)
        page.wait_for_timeout(400)  # let trailing messages arrive before counting
        sizes.append(counter.n)
    return times, sizes


def set_number(page, label, value):
    field = page.get_by_label(label, exact=True).first
    field.fill(str(value))
    field.press("Enter")
    page.wait_for_timeout(1500)


def server_script_time(repeats):
    """Seconds per AppTest rerun after an lr change (only that run recomputes)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    times = []
    for i in range(repeats):
        gen = at.session_state["gen"]
        at.number_input(key=f"{gen}:r0:lr").set_value(1e-3 * (1.1 + 0.1 * i))
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    return times


def fmt(xs):
    return f"median {statistics.median(xs) * 1000:.0f} ms (min {min(xs) * 1000:.0f}, n={len(xs)})"


def report(times, empty, sizes) -> None:
    ratio = statistics.median(times) / statistics.median(empty)
    kb = statistics.median(sizes) / 1e3
    print(f"  ratio to empty page: {ratio:.1f}x; bytes per rerun: median {kb:.0f} kB")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        empty_app = Path(tmp) / "empty_app.py"
        empty_app.write_text(EMPTY_APP)
        port_e, port_a = free_port(), free_port()
        empty_srv = serve(empty_app, port_e)
        app_srv = serve(ROOT / "app.py", port_a)
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                other = p.chromium.launch(
                    executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
                )
                empty = time_empty(other, f"http://127.0.0.1:{port_e}", a.repeats)
                other.close()
                print(f"empty page, slider -> redrawn: {fmt(empty)}")

                # cold visit: fresh server, fresh context
                ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
                page = ctx.new_page()
                counter = Bytes(page)
                t0 = time.perf_counter()
                page.goto(f"http://127.0.0.1:{port_a}")
                page.wait_for_selector(".js-plotly-plot", timeout=60_000)
                cold = time.perf_counter() - t0
                page.wait_for_timeout(2000)
                print(f"first chart, cold visit: {cold:.2f} s (first load {counter.n} B)")

                open_run_expander(page, 0)
                default, sizes = time_page(page, counter, a.repeats)
                print(f"default page, slider -> redrawn: {fmt(default)}")
                report(default, empty, sizes)

                # 6 runs x 2,000 steps
                page.locator('[data-testid="stSidebar"] button', has_text="Add a run").click()
                page.wait_for_timeout(1500)
                page.locator('[data-testid="stSidebar"] button', has_text="Add a run").click()
                page.wait_for_timeout(1500)
                set_number(page, "Steps", 2000)
                page.wait_for_timeout(2000)
                open_run_expander(page, 0)
                big, sizes = time_page(page, counter, a.repeats)
                print(f"6 runs x 2,000 steps, slider -> redrawn: {fmt(big)}")
                report(big, empty, sizes)
                browser.close()
        finally:
            stop(empty_srv)
            stop(app_srv)
    script = fmt(server_script_time(a.repeats))
    print(f"server-side script time per rerun (AppTest, default page): {script}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
