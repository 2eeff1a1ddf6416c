"""The server's compressed files (optviz_app.serving): unit tests of the middleware around a
small ASGI app standing in for Streamlit's routes, and `streamlit run app.py` itself sending
Streamlit's bundles and plotly.js gzip-compressed and cacheable."""

from __future__ import annotations

import asyncio
import concurrent.futures
import gzip
import sys
from pathlib import Path

import pytest

from optviz_app.serving import CompressedFiles

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

JS = b"function f(){return 1}\n" * 400  # compressible text, above MIN_SIZE
FONT = bytes(range(256)) * 20


def run_alone(coroutine):
    """Run ``coroutine`` to its end on a fresh event loop in a thread of its own: the browser
    tests' Playwright (sync API) keeps an event loop running in the main thread, where
    ``asyncio.run`` refuses to start another."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class Files:
    """An ASGI app like Streamlit's file routes: path -> (status, headers, body), sent in two
    chunks; it records how often it was asked and the request headers it saw."""

    def __init__(self):
        self.calls: list[dict[bytes, bytes]] = []
        self.routes = {
            "/static/js/index.abc.js": (
                200,
                [
                    (b"content-type", b"application/javascript"),
                    (b"cache-control", b"public, immutable, max-age=31536000"),
                    (b"etag", b'"plain"'),
                ],
                JS,
            ),
            "/static/media/font.woff2": (
                200,
                [(b"content-type", b"font/woff2"), (b"cache-control", b"public, immutable")],
                FONT,
            ),
            "/static/index.html": (
                200,
                [(b"content-type", b"text/html"), (b"cache-control", b"no-cache")],
                JS,
            ),
            "/component/c.plotly_js/plotly.min.js": (
                200,
                [(b"content-type", b"application/javascript"), (b"cache-control", b"public")],
                JS,
            ),
        }

    async def __call__(self, scope, receive, send):
        self.calls.append(dict(scope["headers"]))
        status, headers, body = self.routes.get(scope["path"], (404, [], b"not found"))
        headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        half = len(body) // 2
        await send({"type": "http.response.body", "body": body[:half], "more_body": True})
        await send({"type": "http.response.body", "body": body[half:]})


def get(app, path: str, query: bytes = b"", **headers: str):
    """One GET through ``app``: (status, headers by lower-case name, body)."""
    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "query_string": query,
        "headers": [(k.replace("_", "-").encode(), v.encode()) for k, v in headers.items()],
    }
    out: dict = {"body": b""}

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        if message["type"] == "http.response.start":
            out["status"] = message["status"]
            out["headers"] = {k.decode(): v.decode() for k, v in message["headers"]}
        else:
            out["body"] += message.get("body", b"")

    run_alone(app(scope, receive, send))
    return out["status"], out["headers"], out["body"]


def test_an_immutable_bundle_is_compressed_once_and_served_from_memory():
    files = Files()
    app = CompressedFiles(files)
    for _ in range(3):
        status, headers, body = get(app, "/static/js/index.abc.js", accept_encoding="gzip, br")
        assert status == 200
        assert headers["content-encoding"] == "gzip"
        assert headers["vary"] == "Accept-Encoding"
        assert "immutable" in headers["cache-control"]
        assert int(headers["content-length"]) == len(body) < len(JS) / 10
        assert gzip.decompress(body) == JS
    assert len(files.calls) == 1  # Streamlit answered once
    assert b"accept-encoding" not in files.calls[0]  # ...without compressing it itself
    assert app.cached_bytes == len(body)


def test_a_browser_holding_the_file_gets_not_modified():
    app = CompressedFiles(Files())
    _, headers, _ = get(app, "/static/js/index.abc.js", accept_encoding="gzip")
    status, again, body = get(
        app, "/static/js/index.abc.js", accept_encoding="gzip", if_none_match=headers["etag"]
    )
    assert (status, body) == (304, b"")
    assert again["etag"] == headers["etag"] != '"plain"'


def test_a_versioned_component_file_becomes_immutable_an_unversioned_one_passes():
    files = Files()
    app = CompressedFiles(files)
    path = "/component/c.plotly_js/plotly.min.js"
    status, headers, body = get(app, path, b"v=6.1.0", accept_encoding="gzip")
    assert status == 200 and headers["content-encoding"] == "gzip"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(body) == JS
    status, headers, body = get(app, path, accept_encoding="gzip")
    assert "content-encoding" not in headers and headers["cache-control"] == "public"
    assert body == JS
    assert files.calls[-1][b"accept-encoding"] == b"gzip"  # left to Streamlit as it came


def test_the_page_preloads_a_named_versioned_script_once_it_was_served():
    files = Files()
    files.routes["/"] = (200, [(b"content-type", b"text/html; charset=utf-8")], b"<html>")
    files.routes["/component/c.full/big.min.js"] = files.routes[
        "/component/c.plotly_js/plotly.min.js"
    ]
    app = CompressedFiles(files, preload=("plotly.min.js",))
    _, page, _ = get(app, "/", accept_encoding="gzip")
    assert "link" not in page  # a fresh server: the component may not be registered yet
    get(app, "/component/c.plotly_js/plotly.min.js", b"v=6.1.0", accept_encoding="gzip")
    status, _, big = get(app, "/component/c.full/big.min.js", b"v=6.1.0", accept_encoding="gzip")
    assert status == 200 and gzip.decompress(big) == JS  # served compressed, not preloaded
    _, page, body = get(app, "/", accept_encoding="gzip")
    assert page["link"] == "</component/c.plotly_js/plotly.min.js?v=6.1.0>; rel=preload; as=script"
    assert body == b"<html>"
    _, headers, _ = get(app, "/static/media/font.woff2", accept_encoding="gzip")
    assert "link" not in headers  # only HTML pages


@pytest.mark.parametrize(
    ("path", "headers"),
    [
        ("/static/media/font.woff2", {"accept_encoding": "gzip"}),  # compressed already
        ("/static/index.html", {"accept_encoding": "gzip"}),  # may change: no-cache
        ("/static/js/index.abc.js", {}),  # the client does not take gzip
        ("/static/js/index.abc.js", {"accept_encoding": "gzip;q=0, identity"}),
        ("/static/js/index.abc.js", {"accept_encoding": "gzip", "range": "bytes=0-9"}),
        ("/static/js/missing.js", {"accept_encoding": "gzip"}),
    ],
)
def test_everything_else_passes_through_unchanged(path, headers):
    files = Files()
    app = CompressedFiles(files)
    expected = get(files, path, **headers)
    for _ in range(2):
        assert get(app, path, **headers) == expected
    assert app.cached_bytes == 0
    assert len(files.calls) == 1 + 2


def test_the_cache_is_bounded_least_recently_used_dropped():
    files = Files()
    for i in range(6):
        files.routes[f"/static/js/{i}.js"] = (
            200,
            [(b"content-type", b"text/javascript"), (b"cache-control", b"immutable")],
            (f"var x{i} = {i};" * 2000).encode(),
        )
    one = len(gzip.compress(files.routes["/static/js/0.js"][2], 9, mtime=0))
    app = CompressedFiles(files, max_bytes=3 * one + one // 2)
    for i in range(6):
        get(app, f"/static/js/{i}.js", accept_encoding="gzip")
        get(app, "/static/js/0.js", accept_encoding="gzip")  # kept in use
        assert app.cached_bytes <= app.max_bytes
    asked = len(files.calls)
    get(app, "/static/js/0.js", accept_encoding="gzip")
    get(app, "/static/js/5.js", accept_encoding="gzip")
    assert len(files.calls) == asked  # the recent ones stayed
    get(app, "/static/js/1.js", accept_encoding="gzip")
    assert len(files.calls) == asked + 1  # an old one was dropped


def test_a_class_arriving_at_once_costs_one_compression():
    files = Files()
    app = CompressedFiles(files)
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/static/js/index.abc.js",
        "query_string": b"",
        "headers": [(b"accept-encoding", b"gzip")],
    }
    bodies: list[bytes] = []

    async def one():
        out = []

        async def receive():
            return {"type": "http.request", "body": b""}

        async def send(message):
            if message["type"] == "http.response.body":
                out.append(message.get("body", b""))

        await app(scope, receive, send)
        bodies.append(b"".join(out))

    async def class_of(n):
        await asyncio.gather(*(one() for _ in range(n)))

    run_alone(class_of(30))
    assert len(files.calls) == 1
    assert all(gzip.decompress(b) == JS for b in bodies) and len(bodies) == 30


def test_streamlit_run_app_sends_bundles_and_plotly_compressed_and_cacheable():
    """`streamlit run app.py` (the README's command): Streamlit's main bundle and, once a
    session has drawn the page, plotly.js at the URL the page uses come gzip-compressed
    and immutable; the page itself is not cached, and preloads plotly.js; the websocket
    is deflated."""
    import bench_load
    from conftest import fetch, free_port, serve, stop, streamlit_bundle, websocket_extensions

    port = free_port()
    proc = serve(ROOT / "app.py", port)
    try:
        url = f"http://127.0.0.1:{port}/"
        path, plain = streamlit_bundle()
        status, headers, body = fetch(url + path, accept_encoding="gzip, deflate, br")
        assert (status, headers["content-encoding"]) == (200, "gzip")
        assert "immutable" in headers["cache-control"]
        assert gzip.decompress(body) == plain
        assert len(body) < len(plain) / 2
        print(f"{path}: {len(plain) / 1e3:.0f} kB -> {len(body) / 1e3:.0f} kB on the wire")

        bench_load.warm(url)  # a session imports the page (and registers its components)
        from optviz_app.bundles import FIRST_SCREEN, FULL
        from optviz_app.plot import plotly_src

        src = plotly_src()
        assert f"v={FIRST_SCREEN.version}" in src
        status, headers, body = fetch(url + src, accept_encoding="gzip")
        assert (status, headers["content-encoding"]) == (200, "gzip")
        assert headers["cache-control"] == "public, max-age=31536000, immutable"
        assert gzip.decompress(body) == FIRST_SCREEN.path.read_bytes()
        # the 3-D view's full bundle is served the same way, but not preloaded
        status, headers, body = fetch(url + plotly_src(FULL), accept_encoding="gzip")
        assert (status, headers["content-encoding"]) == (200, "gzip")
        assert gzip.decompress(body) == FULL.path.read_bytes()

        _, headers, _ = fetch(url, accept_encoding="gzip")
        assert headers["cache-control"] == "no-cache"
        assert headers["link"] == f"</{src}>; rel=preload; as=script"  # served once: preloaded
        # the page's messages are deflated on the websocket (.streamlit/config.toml)
        assert websocket_extensions(url).startswith("permessage-deflate")
    finally:
        stop(proc)
