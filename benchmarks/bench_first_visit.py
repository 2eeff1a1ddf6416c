"""A first visit over lecture-hall Wi-Fi (prints figures; no asserts).

    python benchmarks/bench_first_visit.py [--mbit 10] [--latency 40] [--repeats 3] [--url URL]

A fresh server (``streamlit run app.py`` on a free loopback port, unless ``--url``) and, per
repeat, a fresh Chromium context (empty cache) whose network Chromium throttles with
DevTools' network emulation (``Network.emulateNetworkConditions``: download and upload
bandwidth, round-trip latency). Printed: seconds from the navigation to the first chart
drawn (the map's Plotly layout exists), and the bytes on the wire until then: HTTP (as
sent, i.e. compressed; the largest responses listed) and websocket messages.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, free_port, serve, stop  # noqa: E402

FIRST_CHART = (
    "() => { const g = document.querySelector('.js-plotly-plot'); return !!(g && g._fullLayout); }"
)


def visit(browser, url: str, mbit: float, latency_ms: float) -> dict:
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    rate = mbit * 1e6 / 8
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": latency_ms,
            "downloadThroughput": rate,
            "uploadThroughput": rate,
        },
    )
    urls: dict[str, str] = {}
    wire: dict[str, int] = {}
    ws_bytes = [0]
    cdp.on(
        "Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"])
    )
    cdp.on(
        "Network.loadingFinished",
        lambda e: wire.__setitem__(e["requestId"], int(e.get("encodedDataLength", 0))),
    )
    cdp.on(
        "Network.webSocketFrameReceived",
        lambda e: ws_bytes.__setitem__(0, ws_bytes[0] + len(e["response"]["payloadData"]) * 3 // 4),
    )
    t0 = time.perf_counter()
    page.goto(url)
    page.wait_for_function(FIRST_CHART, timeout=120_000, polling=20)
    seconds = time.perf_counter() - t0
    http = dict(wire)
    ctx.close()
    largest = sorted(((n, urls.get(k, "?")) for k, n in http.items()), reverse=True)[:4]
    return {"seconds": seconds, "http": sum(http.values()), "ws": ws_bytes[0], "largest": largest}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mbit", type=float, default=10.0)
    ap.add_argument("--latency", type=float, default=40.0, help="round trip, ms")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--url", help="a running server (default: start one)")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    proc = None
    url = args.url
    if not url:
        port = free_port()
        proc = serve(ROOT / "app.py", port)
        url = f"http://127.0.0.1:{port}/"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            visit(browser, url, 1000, 0)  # the server's first session (imports) not counted
            runs = [visit(browser, url, args.mbit, args.latency) for _ in range(args.repeats)]
            browser.close()
    finally:
        if proc:
            stop(proc)
    print(f"first visit at {args.mbit:g} Mbit/s, {args.latency:g} ms round trip ({url})")
    for r in runs:
        print(
            f"  first chart after {r['seconds']:.2f} s; HTTP {r['http'] / 1e6:.2f} MB on the wire, "
            f"websocket {r['ws'] / 1e6:.2f} MB"
        )
    print(f"median {statistics.median(r['seconds'] for r in runs):.2f} s; largest responses:")
    for n, u in runs[-1]["largest"]:
        print(f"  {n / 1e6:.2f} MB  {u.split('?')[0][-70:]}")


if __name__ == "__main__":
    main()
