"""A first visit over lecture-hall Wi-Fi (prints figures; no asserts).

    python benchmarks/bench_first_visit.py [--launch N] [--mbit 10] [--latency 40] [--repeats 3]
    python benchmarks/bench_first_visit.py --url URL

The servers: ``--launch 1`` (default) is one ``streamlit run app.py`` on a free loopback
port, ``--launch N`` is ``deploy/local-cluster.sh N`` (N replicas behind HAProxy, measured
through the balancer), ``--url`` a running server. Each replica gets one visit first (its
imports and caches, as the lecturer's own check before class), not counted.

Per repeat, a fresh Chromium context (an empty cache) whose network Chromium throttles with
DevTools' network emulation (``Network.emulateNetworkConditions``: download and upload
bandwidth, round-trip latency). Printed: seconds from the navigation to the first chart
drawn (the map's Plotly layout exists), and the bytes on the wire until then: HTTP (as
sent, i.e. compressed; the largest responses listed, with their Content-Encoding) and
websocket messages (their payload: on the wire they travel deflated, permessage-deflate,
about a third of it for the page's messages). Then the same student opens the link again
in the same browser (a second visit or a reconnect, with what the browser cached): its
seconds and bytes.
The machine's other load shows in the seconds; the bytes do not depend on it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_load  # noqa: E402
from conftest import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

FIRST_CHART = (
    "() => { const g = document.querySelector('.js-plotly-plot'); return !!(g && g._fullLayout); }"
)


def throttled(ctx, page, mbit: float, latency_ms: float):
    """A DevTools session on ``page`` with Chromium's network emulation on."""
    cdp = ctx.new_cdp_session(page)
    cdp.send("Network.enable")
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
    return cdp


def load(page, cdp, url: str) -> dict:
    """Open ``url`` until the first chart is drawn: seconds, bytes (HTTP, websocket), the
    largest HTTP responses as (bytes, Content-Encoding, URL)."""
    urls: dict[str, str] = {}
    coding: dict[str, str] = {}
    wire: dict[str, int] = {}
    ws_bytes = [0]

    def sent(e):
        urls[e["requestId"]] = e["request"]["url"]

    def answered(e):
        headers = {k.lower(): v for k, v in e["response"]["headers"].items()}
        coding[e["requestId"]] = headers.get("content-encoding", "-")

    def finished(e):
        wire[e["requestId"]] = int(e.get("encodedDataLength", 0))

    def frame(e):
        ws_bytes[0] += len(e["response"]["payloadData"]) * 3 // 4

    handlers = {
        "Network.requestWillBeSent": sent,
        "Network.responseReceived": answered,
        "Network.loadingFinished": finished,
        "Network.webSocketFrameReceived": frame,
    }
    for event, handler in handlers.items():
        cdp.on(event, handler)
    t0 = time.perf_counter()
    page.goto(url, wait_until="commit")  # the first chart is what is waited for, not "load"
    page.wait_for_function(FIRST_CHART, timeout=120_000, polling=20)
    seconds = time.perf_counter() - t0
    http = dict(wire)
    for event, handler in handlers.items():
        cdp.remove_listener(event, handler)
    largest = sorted(
        ((n, coding.get(k, "?"), urls.get(k, "?")) for k, n in http.items()), reverse=True
    )[:5]
    return {"seconds": seconds, "http": sum(http.values()), "ws": ws_bytes[0], "largest": largest}


def visit(browser, url: str, mbit: float, latency_ms: float) -> tuple[dict, dict]:
    """A first visit (empty cache) and a second one in the same browser."""
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    cdp = throttled(ctx, page, mbit, latency_ms)
    first = load(page, cdp, url)
    page.close()
    page = ctx.new_page()
    cdp = throttled(ctx, page, mbit, latency_ms)
    second = load(page, cdp, url)
    ctx.close()
    return first, second


def mb(n: float) -> str:
    return f"{n / 1e6:.2f} MB"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--launch",
        type=int,
        default=1,
        metavar="N",
        help="1: one server; N: N replicas behind haproxy",
    )
    ap.add_argument("--url", help="a running server or balancer instead")
    ap.add_argument("--mbit", type=float, default=10.0)
    ap.add_argument("--latency", type=float, default=40.0, help="round trip, ms")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    launched = None if args.url else bench_load.Launched(args.launch)
    url = args.url or launched.url
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            for replica in launched.replica_urls if launched else (url,):
                visit(browser, replica, 1000, 0)  # each server's first session: not counted
            runs = [visit(browser, url, args.mbit, args.latency) for _ in range(args.repeats)]
            browser.close()
    finally:
        if launched:
            launched.stop()
    where = (
        url
        if not launched
        else (
            f"{args.launch} replicas behind haproxy, {url}"
            if args.launch > 1
            else f"one server, {url}"
        )
    )
    print(f"first visit at {args.mbit:g} Mbit/s, {args.latency:g} ms round trip ({where})")
    for first, second in runs:
        print(
            f"  first chart after {first['seconds']:.2f} s; before it HTTP {mb(first['http'])}"
            f" on the wire, websocket {mb(first['ws'])}; second visit {second['seconds']:.2f} s,"
            f" HTTP {mb(second['http'])}, websocket {mb(second['ws'])}"
        )
    median = statistics.median
    print(
        f"median first visit {median(f['seconds'] for f, _ in runs):.2f} s,"
        f" second visit {median(s['seconds'] for _, s in runs):.2f} s; largest responses:"
    )
    for n, coding, u in runs[-1][0]["largest"]:
        print(f"  {mb(n)}  {coding:5}  {u.split('?')[0][-70:]}")


if __name__ == "__main__":
    main()
