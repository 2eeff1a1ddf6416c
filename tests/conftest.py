"""Shared fixtures: a served app on a free loopback port, and headless Chromium.

Browser tests need Debian's Chromium at /usr/bin/chromium (never ``playwright install``).
They are skipped only when it is missing AND the environment variable CI is not set.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app: str | Path, port: int, env: dict[str, str] | None = None) -> subprocess.Popen:
    """Start ``streamlit run app`` headless on 127.0.0.1:port and wait until healthy;
    ``env``: environment variables set for the server besides this process's."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(app),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=1) as r:
                if r.read() == b"ok":
                    return proc
        except OSError:
            time.sleep(0.5)
    proc.terminate()
    raise RuntimeError("streamlit did not become healthy")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} is missing but CI is set: browser tests must run")
        pytest.skip(f"{CHROMIUM} not installed")
    return CHROMIUM


@pytest.fixture(scope="session")
def served_app(chromium_path):
    """URL of app.py served on a free loopback port for the whole session."""
    port = free_port()
    proc = serve(ROOT / "app.py", port)
    yield f"http://127.0.0.1:{port}"
    stop(proc)


@pytest.fixture(scope="session")
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture()
def artifacts() -> Path:
    out = ROOT / "artifacts"
    out.mkdir(exist_ok=True)
    return out


def fetch(url: str, **headers: str):
    """GET ``url`` with headers given as keywords (accept_encoding=...): status, headers
    by lower-case name, the body as sent (not decompressed)."""
    req = urllib.request.Request(url, headers={k.replace("_", "-"): v for k, v in headers.items()})
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()


def streamlit_bundle() -> tuple[str, bytes]:
    """The page's main bundle: its URL path (from index.html) and the file's bytes."""
    import streamlit

    static = Path(streamlit.__file__).parent / "static"
    index = (static / "index.html").read_text()
    name = index.split('src="./static/js/index.', 1)[1].split('"', 1)[0]
    path = f"static/js/index.{name}"
    return path, (static / path).read_bytes()


def websocket_extensions(url: str) -> str:
    """The extensions a server at ``url`` accepts on the page's websocket, offered
    permessage-deflate as a browser offers it."""
    from websockets.sync.client import connect

    ws_url = url.replace("http://", "ws://", 1).rstrip("/") + "/_stcore/stream"
    origin = url.split("://", 1)[0] + "://" + url.split("://", 1)[1].split("/", 1)[0]
    with connect(ws_url, subprotocols=["streamlit"], origin=origin, open_timeout=60) as ws:
        return ws.response.headers.get("Sec-WebSocket-Extensions", "")
