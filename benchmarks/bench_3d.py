"""The 3-D view's switch-on time (prints figures; no asserts).

    python benchmarks/bench_3d.py [--rounds 5] [--query "surface=rosenbrock&step=60"]

* in a real browser (headless Debian Chromium, Playwright): from a click on the "3-D
  surface" switch of a page whose map is drawn to the 3-D chart drawn (its first
  ``Plotly.react`` done), with the time inside that ``Plotly.react``; a fresh tab with an
  empty cache per round, clicked once the page has fetched the full plotly.js that only the
  3-D view runs (a drawn page prefetches it when idle), so the click also compiles it;
  the first round not counted;
* on the server, in-process: building the 3-D figure and its JSON for the default runs
  (the mesh sampled in the call, and from the cached mesh as the page does).

Without a GPU, Chromium draws WebGL in software: most of the browser's time is the 3-D
scene's first draw, and it varies by tens of per cent with the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, serve, stop  # noqa: E402

MAP_DRAWN = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".some(g => g.data && g.data.some(d => d.name === 'current'))"
)
SCENE_DRAWN = (
    "[...document.querySelectorAll('.js-plotly-plot')]"
    ".some(g => g._fullLayout && g._fullLayout.scene && Number(g.dataset.drawn) >= 1)"
)
PREFETCHED = (
    "performance.getEntriesByType('resource')"
    ".some(e => e.name.includes('/plotly.min.js') && e.responseEnd > 0)"
)
TIME_REACT = """() => {
  // the 3-D view draws with the full plotly.js, loaded at the click (optviz_app.bundles):
  // every Plotly assigned to window from now on gets its react timed too
  window.__reacts = [];
  const wrap = (P) => {
    if (!P || P.__benchReact) return P;
    P.__benchReact = P.react;
    P.react = function (gd, fig) {
      const t0 = performance.now();
      const scene = Boolean(fig && fig.layout && fig.layout.scene);
      return P.__benchReact.apply(this, arguments).then((out) => {
        if (scene) window.__reacts.push(performance.now() - t0);
        return out;
      });
    };
    return P;
  };
  let current = wrap(window.Plotly);
  Object.defineProperty(window, "Plotly", {
    configurable: true,
    get() { return current; },
    set(v) { current = wrap(v); },
  });
}"""


def browser_rounds(query: str, rounds: int) -> tuple[list[float], list[float]]:
    from playwright.sync_api import sync_playwright

    port = free_port()
    proc = serve(ROOT / "app.py", port)
    total, react = [], []
    try:
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for r in range(rounds + 1):
                page = b.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(f"http://127.0.0.1:{port}/?{query}")
                page.wait_for_function(MAP_DRAWN, timeout=180_000)
                page.wait_for_function(PREFETCHED, timeout=180_000)
                page.wait_for_timeout(500)
                page.evaluate(TIME_REACT)
                switch = page.locator('[data-testid="stSidebar"] button', has_text="3-D surface")
                t0 = time.perf_counter()
                switch.first.click()
                page.wait_for_function(SCENE_DRAWN, timeout=180_000, polling=20)
                seconds = time.perf_counter() - t0
                ms = page.evaluate("window.__reacts[0]")
                print(f"  round {r}: {seconds:.2f} s, Plotly.react {ms:.0f} ms", flush=True)
                if r:
                    total.append(seconds)
                    react.append(ms / 1e3)
                page.close()
            b.close()
    finally:
        stop(proc)
    return total, react


def server_build(repeats: int = 9) -> None:
    from optviz import OPTIMIZERS, run
    from optviz.drawing import figures as F
    from surfaces import SURFACES

    surface = SURFACES["rosenbrock"]
    paths = []
    for i, (name, lr) in enumerate((("sgd", 1e-3), ("momentum", 1e-3), ("adam", 0.05))):
        traj = run(surface, OPTIMIZERS[name](lr=lr), surface.start, 300)
        paths.append(F.Path(name, F.color(i), traj.points[:, 0], traj.values[:, 0]))
    levels = F.map_data(surface).levels
    mesh = F.surface_mesh(surface, levels)
    for label, kwargs in (("mesh sampled", {"levels": levels}), ("cached mesh", {"mesh": mesh})):
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            spec = F.surface3d_spec(surface, paths, initial_step=60, **kwargs).to_json()
            times.append(time.perf_counter() - t0)
        ms = 1e3 * statistics.median(times)
        print(f"  server, {label}: {ms:.1f} ms build + JSON, {len(spec) / 1e3:.0f} kB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--query", default="")
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    print("3-D view, server side (default runs, 300 steps, 3 paths):")
    server_build()
    if args.no_browser:
        return
    print(f"3-D view switched on in the browser ({args.rounds} rounds + 1 not counted):")
    total, react = browser_rounds(args.query, args.rounds)
    print(
        f"  median {statistics.median(total):.2f} s to drawn "
        f"(range {min(total):.2f}-{max(total):.2f}), "
        f"of which Plotly.react {statistics.median(react):.2f} s"
    )


if __name__ == "__main__":
    main()
