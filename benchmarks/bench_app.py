"""Page speed in a real browser (prints figures; no asserts).

    python benchmarks/bench_app.py [--repeats 10] [--no-big] [--no-server]

Measures, in headless Debian Chromium driven by Playwright (the machine's load shows in
every wall-clock figure: compare lines of one run, not runs on different days; each series
starts with 2 uncounted presses, so both pages are compared in their steady state):

* cold visit (fresh server process, fresh browser context): time to the drawn MAP (the
  chart with the "current" trace; a hidden warm-up chart does not count), with its
  timeline: websocket open, plotly.js fetched, map message received, map drawn;
* slider -> redrawn charts: an empty Streamlit page (one slider and its value), the default
  page, and 6 runs x 2,000 steps. On the app, the lr slider of each run in turn moves one
  notch (right on the first round, left on the next), so EVERY press yields a page state
  never seen before: no cache on the server or in the browser flatters the figure;
* where the browser's time goes during those presses (CDP sampling profiler): plotly.js,
  other JavaScript (Streamlit/React), native work (style, layout, paint), GC, idle;
* bytes per rerun: the websocket payloads received from the press until the page is quiet
  (protobuf ForwardMsgs; each Plotly chart travels as its JSON spec inside one message;
  websocket compression is off by default in Streamlit, and Playwright reports the
  payloads as delivered to the page). Streamlit caches messages >= 10 kB in the browser
  and re-sends a known one as a short hash reference, so a state seen before costs far
  less: "revisit" presses the same slider back and forth to show that case separately;
* server side: seconds per script rerun (``streamlit.testing`` AppTest, default page, a new
  lr each time) and, in-process, what the map costs to build and to turn into JSON.

"Redrawn" means: the map's trace names (they carry each run's lr) and "current" markers
changed in the browser (Plotly has drawn the new figure) and two animation frames passed.
"""

from __future__ import annotations

import argparse
import collections
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
  const map = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g.data && g.data.some(d => d.name === 'current'));
  if (!map) return null;
  const t = map.data.find(d => d.name === 'current');
  return JSON.stringify([map.data.map(d => d.name), t.x, t.y]);  // names carry each lr
}"""

PLOTLY_JS = "plotly.min.js"
"""The charts' plotly.js (optviz_app.plot); Streamlit's own chunk is "PlotlyChart"."""

TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
SIDEBAR = '[data-testid="stSidebar"]'
RUN_BOX = f'{SIDEBAR} [data-testid="stExpander"]'


class Bytes:
    """Counts websocket payload bytes received by a page (and the largest message)."""

    def __init__(self, page):
        self.n = 0
        self.largest = 0
        page.on("websocket", self._attach)

    def _attach(self, ws):
        ws.on("framereceived", self._add)

    def _add(self, payload):
        size = len(payload) if payload is not None else 0
        self.n += size
        self.largest = max(self.largest, size)

    def reset(self):
        self.n = self.largest = 0


def fmt(xs):
    return f"median {statistics.median(xs) * 1000:.0f} ms (min {min(xs) * 1000:.0f}, n={len(xs)})"


def settle(page, ms=400):
    """Wait until Streamlit is not running a script, then ``ms`` more."""
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " || !/Running|Stop/.test(document.querySelector('[data-testid=\"stStatusWidget\"]')"
        ".innerText)",
        timeout=60_000,
        polling=50,
    )
    page.wait_for_timeout(ms)


# ---------------------------------------------------------------------------------------
# empty page


WARMUP = 2
"""Presses made and not counted before each series (JIT, caches, first layouts): both the
empty page and the app are compared in their steady state."""


def time_empty(browser, url, repeats):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(url)
    page.wait_for_selector("text=value 50", timeout=60_000)
    times = []
    for i in range(WARMUP + repeats):
        want = f"value {51 + i}"
        slider = page.locator(f'{SIDEBAR} input[type="range"]').first
        t0 = time.perf_counter()
        slider.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_selector(f"text={want}", timeout=30_000)
        page.evaluate(TWO_FRAMES)
        times.append(time.perf_counter() - t0)
    page.close()
    return times[WARMUP:]


# ---------------------------------------------------------------------------------------
# cold visit


def cold_visit(browser, port):
    """Fresh context on a fresh server: seconds to the drawn map, timeline, page + counter."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    counter = Bytes(page)
    marks: dict[str, float] = {}
    t0 = time.perf_counter()

    def mark(name):
        marks.setdefault(name, time.perf_counter() - t0)

    page.on("websocket", lambda ws: mark("websocket open"))
    page.on("request", lambda r: PLOTLY_JS in r.url and mark("plotly.js requested"))
    page.on("requestfinished", lambda r: PLOTLY_JS in r.url and mark("plotly.js fetched"))

    def big(payload):
        if payload is not None and len(payload) > 50_000:
            mark("map message received")

    page.on("websocket", lambda ws: ws.on("framereceived", big))
    page.goto(f"http://127.0.0.1:{port}")
    page.wait_for_function(f"() => ({MAP_SIGNATURE})() !== null", timeout=60_000, polling=20)
    page.evaluate(TWO_FRAMES)
    mark("map drawn")
    cold = marks["map drawn"]
    settle(page, 1000)
    timeline = ", ".join(f"{k} {v:.2f}" for k, v in sorted(marks.items(), key=lambda kv: kv[1]))
    return cold, timeline, page, counter


# ---------------------------------------------------------------------------------------
# slider presses on the app


def only_open(page, run: int) -> None:
    """Open run ``run``'s expander and close the others (as a lecturer would have it)."""
    boxes = page.locator(RUN_BOX)
    changed = False
    for i in range(boxes.count()):
        box = boxes.nth(i)
        is_open = box.evaluate(
            "el => (el.tagName === 'DETAILS' ? el : el.querySelector('details')).open"
        )
        if is_open != (i == run):
            box.locator("summary").first.click()
            changed = True
    if changed:
        settle(page, 300)


def press_run_slider(page, run: int, key: str) -> None:
    slider = page.locator(RUN_BOX).nth(run).locator('input[type="range"]').first
    slider.focus()
    page.keyboard.press(key)


class CpuProfile:
    """Browser main-thread CPU by category while it is on (CDP sampling profiler)."""

    def __init__(self, page):
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Profiler.enable")
        self.cdp.send("Profiler.setSamplingInterval", {"interval": 500})
        self.totals: collections.Counter = collections.Counter()
        self.n = 0

    def start(self):
        self.cdp.send("Profiler.start")

    def stop(self):
        prof = self.cdp.send("Profiler.stop")["profile"]
        nodes = {n["id"]: n["callFrame"] for n in prof["nodes"]}
        for sid, dt in zip(prof["samples"], prof["timeDeltas"], strict=False):
            cf = nodes[sid]
            fn, url = cf["functionName"], cf["url"]
            if fn in ("(idle)", "(program)", "(garbage collector)"):
                cat = {"(idle)": "idle", "(program)": "native", "(garbage collector)": "gc"}[fn]
            elif PLOTLY_JS in url or "PlotlyChart" in url:
                cat = "plotly.js"
            elif url:
                cat = "other JS"
            else:
                cat = "native"  # DOM calls (setAttribute, getBoundingClientRect, ...)
            self.totals[cat] += dt / 1000
        self.n += 1

    def report(self) -> str:
        n = max(self.n, 1)
        order = ("plotly.js", "other JS", "native", "gc", "idle")
        return ", ".join(f"{c} {self.totals[c] / n:.0f}" for c in order) + " ms per press"


def time_presses(page, counter, repeats, profile: CpuProfile | None = None):
    """Each press: the lr slider of run (i mod R), right on even rounds, left on odd ones."""
    runs = page.locator(RUN_BOX).count()
    times, sizes, largest = [], [], []
    for i in range(WARMUP + repeats):
        run, rnd = i % runs, i // runs
        counted = i >= WARMUP
        only_open(page, run)
        before = page.evaluate(MAP_SIGNATURE)
        counter.reset()
        if profile and counted:
            profile.start()
        t0 = time.perf_counter()
        press_run_slider(page, run, "ArrowRight" if rnd % 2 == 0 else "ArrowLeft")
        page.wait_for_function(
            f"(b) => {{ const s = ({MAP_SIGNATURE})(); return s !== null && s !== b; }}",
            arg=before,
            polling=20,
            timeout=60_000,
        )
        page.evaluate(TWO_FRAMES)
        elapsed = time.perf_counter() - t0
        if profile and counted:
            profile.stop()
        settle(page)
        if counted:
            times.append(elapsed)
            sizes.append(counter.n)
            largest.append(counter.largest)
    return times, sizes, largest


def revisit_bytes(page, counter, repeats):
    """Run 1's slider right, left, right, ...: states seen before (message cache hits)."""
    sizes = []
    only_open(page, 0)
    for i in range(repeats):
        before = page.evaluate(MAP_SIGNATURE)
        counter.reset()
        press_run_slider(page, 0, "ArrowRight" if i % 2 == 0 else "ArrowLeft")
        page.wait_for_function(
            f"(b) => {{ const s = ({MAP_SIGNATURE})(); return s !== null && s !== b; }}",
            arg=before,
            polling=20,
            timeout=60_000,
        )
        settle(page)
        if i >= 2:  # the first two visit new states
            sizes.append(counter.n)
    return sizes


def report(name, times, empty, sizes, largest):
    ratio = statistics.median(times) / statistics.median(empty)
    print(f"{name}, slider -> redrawn: {fmt(times)}; {ratio:.1f}x the empty page")
    print(
        f"  bytes per rerun (new state): median {statistics.median(sizes) / 1e3:.0f} kB "
        f"(max {max(sizes) / 1e3:.0f} kB; largest message median "
        f"{statistics.median(largest) / 1e3:.0f} kB)"
    )


def set_number(page, label, value):
    field = page.locator(f'{SIDEBAR} input[aria-label="{label}"]').first
    field.fill(str(value))
    field.press("Enter")
    settle(page, 800)


def add_run(page):
    page.locator(f"{SIDEBAR} button", has_text="Add a run").last.click()
    settle(page, 800)


# ---------------------------------------------------------------------------------------
# server side


def server_script_time(repeats):
    """Seconds per AppTest rerun after an lr change (a new value each time)."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    times = []
    for i in range(repeats):
        gen = at.session_state["gen"]
        # run 1's box open, as in the browser (AppTest does not keep an expander's state)
        at.session_state[f"{gen}:r0:box"] = True
        at.run()
        at.number_input(key=f"{gen}:r0:lr").set_value(1e-3 * (1.1 + 0.1 * i))
        t0 = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - t0)
    return times


def server_breakdown(repeats) -> str:
    """In-process: build the default map / loss figures and their JSON (what the page's
    chart component sends)."""
    import numpy as np

    from optviz import figures as F
    from optviz_app.compute import build_surface, compute_run
    from optviz_app.state import PageState

    state = PageState()
    surface, _ = build_surface(state.surface, state.surface_params)
    start = state.start_point()
    paths = []
    for i, spec in enumerate(state.runs):
        r = compute_run(state.surface, state.surface_params, spec, start, state.steps)
        paths.append(F.Path(f"{i}", F.color(i), r.points, r.values, r.diverged_at))
    data = F.map_data(surface)

    def best(f):
        ts = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            out = f()
            ts.append(time.perf_counter() - t0)
        return min(ts) * 1000, out

    t_runs, _ = best(
        lambda: [
            compute_run(state.surface, state.surface_params, s, start, state.steps)
            for s in state.runs
        ]
    )
    t_map, fig = best(lambda: F.contour_spec(data, paths, starts=np.array([start])))
    t_json, spec = best(fig.to_json)
    t_loss, loss = best(lambda: F.loss_spec(paths, surface.f_min))
    t_ljson, _ = best(loss.to_json)
    return (
        f"4 runs x 300 steps {t_runs:.0f} ms; map figure {t_map:.0f} ms "
        f"({len(fig.frames)} frames) + to_json {t_json:.0f} ms (spec {len(spec) / 1e3:.0f} kB); "
        f"loss figure + to_json {t_loss + t_ljson:.0f} ms (best of {repeats})"
    )


# ---------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=10)
    ap.add_argument("--no-big", action="store_true", help="skip 6 runs x 2,000 steps")
    ap.add_argument("--no-server", action="store_true", help="skip the AppTest timing")
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

                cold, timeline, page, counter = cold_visit(browser, port_a)
                print(f"first map, cold visit: {cold:.2f} s (first load {counter.n / 1e3:.0f} kB)")
                print(f"  timeline (s): {timeline}")

                profile = CpuProfile(page)
                n = max(a.repeats, 4)
                default, sizes, largest = time_presses(page, counter, n, profile)
                report("default page (4 runs x 300 steps)", default, empty, sizes, largest)
                print(f"  browser main thread during a press: {profile.report()}")
                again = revisit_bytes(page, counter, 4)
                print(
                    "  bytes per rerun, revisiting a state (Streamlit's message cache): "
                    f"median {statistics.median(again) / 1e3:.0f} kB"
                )

                if not a.no_big:
                    add_run(page)
                    add_run(page)
                    set_number(page, "Steps", 2000)
                    profile = CpuProfile(page)
                    big, sizes, largest = time_presses(page, counter, max(a.repeats, 6), profile)
                    report("6 runs x 2,000 steps", big, empty, sizes, largest)
                    print(f"  browser main thread during a press: {profile.report()}")
                browser.close()
        finally:
            stop(empty_srv)
            stop(app_srv)
    if not a.no_server:
        script = fmt(server_script_time(a.repeats))
        print(f"server-side script time per rerun (AppTest, default page, new lr): {script}")
        print(f"  in-process: {server_breakdown(a.repeats)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
