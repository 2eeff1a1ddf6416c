"""Interleaved A/B of the default page between checkouts (prints figures; no asserts).

    git worktree add /tmp/optviz-old <commit>
    python benchmarks/bench_ab.py /tmp/optviz-old . [--presses 20]

Each checkout's ``app.py`` is served on its own port and opened in its own headless
Chromium with run 1's box open; then, press after press, ONE notch of run 1's lr slider
on each page in turn (right three times, left three times, ...), so both pages meet the
same machine load (this shared VM's speed drifts by tens of per cent within minutes:
figures from separate runs do not compare; these do). Per page: wall time from the press
to the redrawn map and loss curves (bench_app's definition), the renderer main thread's
busy time and React's commits per press (medians; the first 2 rounds uncounted).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_app as B
from conftest import free_port, serve, stop


def open_default(browser, port: int):
    """The app at ``port``, loaded, instrumented, run 1's box open."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    B.instrument(page)
    page.goto(f"http://127.0.0.1:{port}/")
    page.wait_for_function(f"() => ({B.MAP_SIGNATURE})() !== null", timeout=60_000)
    B.settle(page, 1000)
    B.only_open(page, 0)
    return page


def press(page, i: int) -> float:
    """Run 1's lr slider one notch (right on rounds 0-2, left on 3-5, ...): seconds to
    the redrawn charts."""
    key = "ArrowRight" if (i // 3) % 2 == 0 else "ArrowLeft"
    return B.timed_redraw(page, lambda: B.press_run_slider(page, 0, key))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("checkouts", nargs="+", type=Path, help="folders holding an app.py")
    ap.add_argument("--presses", type=int, default=20)
    a = ap.parse_args()
    from playwright.sync_api import sync_playwright

    ports = [free_port() for _ in a.checkouts]
    servers = [serve(c.resolve() / "app.py", p) for c, p in zip(a.checkouts, ports, strict=True)]
    try:
        with sync_playwright() as p:
            browsers = [B.launch(p) for _ in a.checkouts]
            pages = {
                str(c): (open_default(b, port), press)
                for c, b, port in zip(a.checkouts, browsers, ports, strict=True)
            }
            results = B.interleaved(pages, a.presses)
            for name, (times, main_thread, _) in results.items():
                print(f"{name}: slider -> redrawn {B.fmt(times)}")
                print(f"  browser main thread: {main_thread.report()}")
            for b in browsers:
                b.close()
    finally:
        for s in servers:
            stop(s)
    return 0


if __name__ == "__main__":
    sys.exit(main())
