"""Page speed in a real browser (prints figures; no asserts).

    python benchmarks/bench_app.py [--repeats 10] [--no-big] [--no-server]

Measures, in headless Debian Chromium driven by Playwright. This shared 2-core VM's speed
drifts by tens of per cent within minutes, so the pages are pressed in INTERLEAVED ROUNDS:
each round presses the empty page, the charts-only page and the default page once, so all
three meet the same load; the ratios are given both as median/median and as the median of
the per-round ratios (with their range). The first 2 rounds are not counted (steady state):

* cold visit (fresh server process, fresh browser context): time to the drawn MAP (the
  chart with the "current" trace; a hidden warm-up chart does not count), with its
  timeline: websocket open, plotly.js fetched, map message received, map drawn;
* slider -> redrawn charts: an empty Streamlit page (one slider and its value), the default
  page, and 6 runs x 2,000 steps (in rounds with the empty page too). On the app, the lr
  slider of each run in turn moves one notch (right on the first round, left on the next),
  so EVERY press yields a page state never seen before: no cache on the server or in the
  browser flatters the figure;
* where the browser's time goes during those presses: the renderer's main-thread busy time
  per press (CDP ``Performance.getMetrics`` TaskDuration: JavaScript, style, layout, paint,
  GC), of which JavaScript and style+layout, and the time inside ``Plotly.react`` (map +
  loss curves); React's commits per press (counted through the hook React DOM reports
  commits to) and the React components mounted (all, and in the sidebar). The browser's
  main thread, not the server, is the bottleneck: a press keeps it busy for most of the
  wall time (40 ms of sleep added to the app's script added ~20 ms: the server is partly
  on the critical path, the browser mostly);
* the charts-only floor: a page with one slider and the default page's map and loss curves
  (the same figures and chart component), so the cost of the charts and the cost of the
  rest of the page show apart (its Streamlit elements and blocks mount ~2,400 React
  components, ~1,580 of them in the sidebar, against ~250 on the charts-only page; a
  press makes 11-14 React commits there, ~10 on the charts-only page,
  and several of them re-render every element's wrappers: each element costs on every
  press, whatever it shows);
* bytes per rerun: the websocket payloads received from the press until the page is quiet
  (protobuf ForwardMsgs; each Plotly chart travels as its JSON spec inside one message;
  websocket compression is off by default in Streamlit, and Playwright reports the
  payloads as delivered to the page). Streamlit caches messages >= 10 kB in the browser
  and re-sends a known one as a short hash reference, so a state seen before costs far
  less: "revisit" presses the same slider back and forth to show that case separately;
* server side: seconds per script rerun (``streamlit.testing`` AppTest, default page, a new
  lr each time) and, in-process, what the map costs to build and to turn into JSON.

"Redrawn" means: the map's trace names (they carry each run's lr) and "current" markers and
the loss curves' trace names changed in the browser (Plotly has drawn both new figures)
and two animation frames passed. On the empty page: its new value is on the page and two
animation frames passed.
"""

from __future__ import annotations

import argparse
import logging
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

CHARTS_APP = """
import sys
sys.path.insert(0, {root!r})
from dataclasses import replace
import numpy as np
import streamlit as st
from optviz.drawing import figures as F
from optviz_app import plot, teaching
from optviz_app.surface_builder import build_surface
from optviz_app.page import labels_for
from optviz_app.session import LR_GRID, cached_map, cached_run
from optviz_app.state import PageState
st.set_page_config(layout="wide")
state = PageState()
lr = st.sidebar.select_slider("lr", LR_GRID, value=state.runs[0].lr, key="lr")
runs = [replace(state.runs[0], lr=lr), *state.runs[1:]]
skey, sparams = state.surface_args()
surface, _ = build_surface(skey, sparams)
start = state.start_point()
results = [(i, s, cached_run(skey, sparams, s, start, state.steps)) for i, s in enumerate(runs)]
paths = [F.Path(f"{{i + 1}} lr {{s.lr:g}}", F.color(i), r.points, r.values, r.diverged_at)
         for i, s, r in results]
data = cached_map(skey, sparams, False)
style, labels = F.Style(), labels_for("en")
left, right = st.columns([3, 2], gap="medium")
with left:
    extra = teaching.map_extras(results, state.steps, data.bounds, style, "en")
    fig = F.contour_spec(data, paths, style=style, labels=labels, starts=np.array([start]),
                         uirevision="map", extra=extra)
    plot.chart(fig, key="map", on_click=lambda: None, config={{"scrollZoom": False}})
with right:
    plot.chart(F.loss_spec(paths, surface.f_min, style=style, labels=labels), key="loss",
               config={{"responsive": True}})
"""
"""The default page's map and loss curves (same figures, same component) and one slider:
the floor that the charts alone set."""

REACT_TIMER = """() => {
  window.__optvizReactMs = 0;
  const wrap = () => {
    if (!window.Plotly || window.Plotly.__timed) return;
    const react = window.Plotly.react;
    window.Plotly.react = function (...args) {
      const t0 = performance.now();
      return react.apply(this, args).then((x) => {
        window.__optvizReactMs += performance.now() - t0;
        return x;
      });
    };
    window.Plotly.__timed = true;
  };
  wrap();
  setInterval(wrap, 50);
}"""
"""Init script: sums the time spent inside ``Plotly.react`` (until its promise resolves)."""

REACT_COMMITS = """() => {
  window.__optvizCommits = 0;
  window.__REACT_DEVTOOLS_GLOBAL_HOOK__ = {
    supportsFiber: true, renderers: new Map(), inject() { return 1; },
    onCommitFiberRoot() { window.__optvizCommits += 1; },
    onCommitFiberUnmount() {}, onPostCommitFiberRoot() {}, checkDCE() {},
  };
}"""
"""Init script: counts React commits (the hook React DOM reports each commit to)."""

REACT_CENSUS = """() => {
  const el = document.getElementById("root");
  const key = el && Object.keys(el).find((k) => k.startsWith("__reactContainer$"));
  if (!key) return [0, 0];
  const current = el[key].stateNode.current;  // the committed tree (not a stale alternate)
  const sidebarEl = document.querySelector('[data-testid="stSidebar"]');
  const components = (top) => {
    let n = 0, sidebar = null;
    const stack = [top.child];
    while (stack.length) {
      const x = stack.pop();
      if (!x) continue;
      if (x.type && typeof x.type !== "string") n++;
      if (x.stateNode === sidebarEl) sidebar = x;
      stack.push(x.child, x.sibling);
    }
    return [n, sidebar];
  };
  const [all, sidebarFiber] = components(current);
  const inSidebar = sidebarFiber ? components({ child: sidebarFiber.child })[0] : 0;
  return [all, inSidebar];
}"""
"""React components mounted on the page, and of them inside the sidebar."""

MAP_SIGNATURE = """() => {
  const map = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g.data && g.data.some(d => d.name === 'current'));
  if (!map) return null;
  const t = map.data.find(d => d.name === 'current');
  return JSON.stringify([map.data.map(d => d.name), t.x, t.y]);  // names carry each lr
}"""

CHARTS_SIGNATURE = f"""() => {{
  const map = ({MAP_SIGNATURE})();
  if (map === null) return null;
  const loss = [...document.querySelectorAll('.js-plotly-plot')]
    .find(g => g.data && !g.data.some(d => d.name === 'current'));
  return JSON.stringify([map, loss ? JSON.stringify(loss.data.map(d => d.name)) : null]);
}}"""
"""The map's signature and the loss curves' trace names (null where there is none)."""

PLOTLY_JS = "/component/optviz_app.plot.plotly"
"""The charts' plotly.js bundles (optviz_app.plot); Streamlit's own chunk is "PlotlyChart"."""

TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
SIDEBAR = '[data-testid="stSidebar"]'
MAIN = '[data-testid="stMain"]'
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


def instrument(page, plotly: bool = True) -> None:
    """Install the init scripts that :class:`MainThread` reads: React's commit counter and,
    on pages with charts, the ``Plotly.react`` timer."""
    if plotly:
        page.add_init_script(f"({REACT_TIMER})()")
    page.add_init_script(f"({REACT_COMMITS})()")


def wait_charts_changed(page, before: str, polling="raf") -> None:
    """Wait until the page shows other charts than ``before`` (a :data:`CHARTS_SIGNATURE`):
    Plotly has drawn the new map and the new loss curves (their trace names carry each
    run's lr)."""
    page.wait_for_function(
        f"""(b) => {{
          const s = ({CHARTS_SIGNATURE})(), [m0, l0] = JSON.parse(b);
          if (s === null) return false;
          const [m1, l1] = JSON.parse(s);
          return m1 !== m0 && (l0 === null || (l1 !== null && l1 !== l0));
        }}""",
        arg=before,
        polling=polling,
        timeout=60_000,
    )


def launch(playwright):
    """Headless Debian Chromium, as the tests start it."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


def open_empty(browser, url):
    """The empty page, loaded and instrumented."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    instrument(page, plotly=False)
    page.goto(url)
    page.wait_for_selector("text=value 50", timeout=60_000)
    return page


def press_empty(page, i: int) -> float:
    """Press ``i`` on the empty page (its slider one notch, right on even rounds of five,
    left on odd ones): seconds to the new value drawn."""
    now = int(page.inner_text(f"{MAIN} >> text=/^value \\d+$/").split()[1])
    key, want = ("ArrowRight", now + 1) if (i // 5) % 2 == 0 else ("ArrowLeft", now - 1)
    slider = page.locator(f'{SIDEBAR} input[type="range"]').first
    t0 = time.perf_counter()
    slider.focus()
    page.keyboard.press(key)
    page.wait_for_selector(f"text=value {want}", timeout=30_000)
    page.evaluate(TWO_FRAMES)
    return time.perf_counter() - t0


def open_charts_only(browser, url):
    """The charts-only page (one slider, the default map and loss curves), loaded."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    instrument(page)
    page.goto(url)
    page.wait_for_function(f"() => ({MAP_SIGNATURE})() !== null", timeout=60_000, polling=20)
    settle(page, 1000)
    return page


def timed_redraw(page, act) -> float:
    """Seconds from ``act()`` (a press) to the redrawn charts (map and loss curves) and
    two animation frames after."""
    before = page.evaluate(CHARTS_SIGNATURE)
    t0 = time.perf_counter()
    act()
    wait_charts_changed(page, before)
    page.evaluate(TWO_FRAMES)
    return time.perf_counter() - t0


def press_charts_only(page, i: int) -> float:
    """Press ``i`` on the charts-only page: seconds to the redrawn charts."""
    slider = page.locator(f'{SIDEBAR} input[type="range"]').first

    def act():
        slider.focus()
        page.keyboard.press("ArrowRight" if (i // 3) % 2 == 0 else "ArrowLeft")

    return timed_redraw(page, act)


# ---------------------------------------------------------------------------------------
# cold visit


def cold_visit(browser, port):
    """Fresh context on a fresh server: seconds to the drawn map, timeline, page + counter."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    instrument(page)
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


class MainThread:
    """The renderer main thread's busy time per press (CDP Performance metrics: cumulative
    task, script, style and layout durations) and the time inside ``Plotly.react``."""

    def __init__(self, page):
        self.page = page
        self.cdp = page.context.new_cdp_session(page)
        self.cdp.send("Performance.enable")
        self.rows: list[tuple[float, float, float, float, int]] = []
        self._t0 = None
        self.census = (0, 0)

    def _now(self):
        m = {x["name"]: x["value"] for x in self.cdp.send("Performance.getMetrics")["metrics"]}
        react, commits = self.page.evaluate(
            "() => [window.__optvizReactMs || 0, window.__optvizCommits || 0]"
        )
        layout = m["LayoutDuration"] + m["RecalcStyleDuration"]
        return m["TaskDuration"], m["ScriptDuration"], layout, react / 1000, commits

    def start(self):
        self._t0 = self._now()

    def stop(self):
        self.rows.append(tuple(b - a for a, b in zip(self._t0, self._now(), strict=True)))
        self.census = self.page.evaluate(REACT_CENSUS)  # after the timed part

    def median(self) -> float:
        return statistics.median(r[0] for r in self.rows)

    def report(self) -> str:
        med = [statistics.median(col) for col in zip(*self.rows, strict=True)]
        busy, js, layout, react = (x * 1000 for x in med[:4])
        text = f"busy {busy:.0f} ms per press (JavaScript {js:.0f}, style+layout {layout:.0f}"
        text += f"; inside Plotly.react {react:.0f})" if react else ")"
        components, sidebar = self.census
        return text + (
            f"; React: {med[4]:.0f} commits per press, {components} components mounted "
            f"({sidebar} in the sidebar)"
        )


def open_run_of_press(page, i: int) -> None:
    """Before press ``i`` on the app: open the box of run (i mod R), close the others."""
    only_open(page, i % page.locator(RUN_BOX).count())


def press_app(page, counter, i: int) -> tuple[float, int, int]:
    """Press ``i`` on the app (its run's box open): the lr slider of run (i mod R), right on
    even rounds, left on odd ones. Seconds to the redrawn charts, bytes received, largest
    message."""
    runs = page.locator(RUN_BOX).count()
    run, rnd = i % runs, i // runs
    counter.reset()
    key = "ArrowRight" if rnd % 2 == 0 else "ArrowLeft"
    seconds = timed_redraw(page, lambda: press_run_slider(page, run, key))
    return seconds, counter.n, counter.largest


def interleaved(pages, repeats: int) -> dict:
    """Round-robin presses: in each round one press on every page of ``pages`` (name ->
    ``(page, press[, untimed preparation])``), so that every page meets the same machine
    load (a shared VM's speed drifts by tens of per cent within minutes). Returns name ->
    (seconds per press, main-thread rows, extra values per press); the first WARMUP
    rounds are not counted."""
    out = {name: ([], MainThread(page), []) for name, (page, *_) in pages.items()}
    for i in range(WARMUP + repeats):
        for name, (page, press, *rest) in pages.items():
            prepare = rest[0] if rest else None
            times, main_thread, extra = out[name]
            if prepare is not None:
                prepare(page, i)  # untimed (the app: open this press's run box)
            if i >= WARMUP:
                main_thread.start()
            result = press(page, i)
            if i >= WARMUP:
                main_thread.stop()
                elapsed, *more = result if isinstance(result, tuple) else (result,)
                times.append(elapsed)
                extra.append(more)
            settle(page)
    return out


def round_ratios(times, empty) -> str:
    """Median and range of (this page / the empty page) within each round."""
    r = sorted(t / e for t, e in zip(times, empty, strict=True))
    return f"per round {statistics.median(r):.1f}x (range {r[0]:.1f}-{r[-1]:.1f}x)"


def revisit_bytes(page, counter, repeats):
    """Run 1's slider right, left, right, ...: states seen before (message cache hits)."""
    sizes = []
    only_open(page, 0)
    for i in range(repeats):
        before = page.evaluate(CHARTS_SIGNATURE)
        counter.reset()
        press_run_slider(page, 0, "ArrowRight" if i % 2 == 0 else "ArrowLeft")
        wait_charts_changed(page, before, polling=20)
        settle(page)
        if i >= 2:  # the first two visit new states
            sizes.append(counter.n)
    return sizes


def report(name, times, empty, sizes, largest):
    ratio = statistics.median(times) / statistics.median(empty)
    print(f"{name}, slider -> redrawn: {fmt(times)}; {ratio:.1f}x the empty page")
    print(f"  {round_ratios(times, empty)}")
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

    from optviz.drawing import figures as F
    from optviz_app.compute import compute_run
    from optviz_app.state import PageState
    from optviz_app.surface_builder import build_surface

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
        charts_app = Path(tmp) / "charts_app.py"
        charts_app.write_text(CHARTS_APP.format(root=str(ROOT)))
        port_e, port_c, port_a = free_port(), free_port(), free_port()
        empty_srv = serve(empty_app, port_e)
        charts_srv = serve(charts_app, port_c)
        app_srv = serve(ROOT / "app.py", port_a)
        try:
            with sync_playwright() as p:
                browser = launch(p)
                other = launch(p)
                # first, alone on the machine: a cold visit to the app
                cold, timeline, page, counter = cold_visit(browser, port_a)
                print(f"first map, cold visit: {cold:.2f} s (first load {counter.n / 1e3:.0f} kB)")
                print(f"  timeline (s): {timeline}")

                third = launch(p)
                # one page per browser: each stays the focused, visible page of its own
                pages = {
                    "empty": (open_empty(other, f"http://127.0.0.1:{port_e}"), press_empty),
                    "charts": (
                        open_charts_only(third, f"http://127.0.0.1:{port_c}"),
                        press_charts_only,
                    ),
                    "default": (
                        page,
                        lambda pg, i: press_app(pg, counter, i),
                        open_run_of_press,
                    ),
                }  # the 6 x 2,000 page below is this page with two runs more
                res = interleaved(pages, max(a.repeats, 4))
                empty, empty_main, _ = res["empty"]
                print(f"empty page, slider -> redrawn: {fmt(empty)}")
                print(f"  browser main thread: {empty_main.report()}")
                charts, charts_main, _ = res["charts"]
                ratio = statistics.median(charts) / statistics.median(empty)
                print(
                    "charts only (one slider; the default map and loss curves), slider -> "
                    f"redrawn: {fmt(charts)}; {ratio:.1f}x the empty page"
                )
                print(f"  {round_ratios(charts, empty)}")
                print(f"  browser main thread: {charts_main.report()}")
                default, default_main, extra = res["default"]
                sizes, largest = [e[0] for e in extra], [e[1] for e in extra]
                report("default page (4 runs x 300 steps)", default, empty, sizes, largest)
                print(f"  browser main thread: {default_main.report()}")
                third.close()
                again = revisit_bytes(page, counter, 4)
                print(
                    "  bytes per rerun, revisiting a state (Streamlit's message cache): "
                    f"median {statistics.median(again) / 1e3:.0f} kB"
                )

                if not a.no_big:
                    add_run(page)
                    add_run(page)
                    set_number(page, "Steps", 2000)
                    big_pages = {"empty": pages["empty"], "big": pages["default"]}
                    res = interleaved(big_pages, max(a.repeats, 6))
                    empty, _, _ = res["empty"]
                    big, big_main, extra = res["big"]
                    sizes, largest = [e[0] for e in extra], [e[1] for e in extra]
                    report("6 runs x 2,000 steps", big, empty, sizes, largest)
                    print(f"  (its own empty-page presses: {fmt(empty)})")
                    print(f"  browser main thread: {big_main.report()}")
                other.close()
                browser.close()
        finally:
            stop(empty_srv)
            stop(charts_srv)
            stop(app_srv)
    if not a.no_server:
        # AppTest, driven from this thread, touches session state outside a script run:
        # Streamlit warns "missing ScriptRunContext" each time (AppTest resets log levels,
        # so a filter, not a level)
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
            lambda record: "missing ScriptRunContext" not in record.getMessage()
        )
        script = fmt(server_script_time(a.repeats))
        print(f"server-side script time per rerun (AppTest, default page, new lr): {script}")
        print(f"  in-process: {server_breakdown(a.repeats)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
