"""Replicas behind HAProxy on loopback (deploy/local-cluster.sh): sessions spread and stick,
a load through the balancer without errors, a download through it, a replica's loss that
the open page survives, and memory that comes back after sessions leave.

Needs Debian's haproxy (scripts/test.sh installs it); skipped only when it is missing and
the environment variable CI is not set.
"""

from __future__ import annotations

import gzip
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench_load  # noqa: E402

from optviz.exports import CSV_COLUMNS  # noqa: E402

MAP = ".js-plotly-plot"
BOXES = '[data-testid="stSidebar"] [data-testid="stExpander"]'


@pytest.fixture(scope="module")
def haproxy() -> str:
    path = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not Path(path).exists():
        if os.environ.get("CI"):
            pytest.fail("haproxy is missing but CI is set: the cluster tests must run")
        pytest.skip("haproxy not installed")
    return path


class Cluster:
    """``deploy/local-cluster.sh 2 PORT`` in the background: the balancer's URL, the
    replicas' pids by name (r1, r2) and haproxy's runtime API socket."""

    def __init__(self, replicas: int = 2, env: dict | None = None):
        self.port = bench_load.free_port_block(replicas + 1)
        self.proc = subprocess.Popen(
            ["bash", str(ROOT / "deploy" / "local-cluster.sh"), str(replicas), str(self.port)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env={**os.environ, "PYTHON": sys.executable, **(env or {})},
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}/"
        self.pids: dict[str, int] = {}
        self.socket = ""
        self.balancer = 0
        for line in self.proc.stdout:
            if line.startswith("replica r"):  # replica r1: pid 123 on http://...
                name, rest = line.split(":", 1)
                self.pids[name.split()[1]] = int(rest.split()[1])
            elif line.startswith("haproxy:"):  # haproxy: pid 125 on http://... (runtime API: ...)
                self.balancer = int(line.split()[2])
                self.socket = line.split("runtime API: ")[1].rstrip(")\n")
            elif line.startswith(("ready:", "only ")):
                assert line.startswith("ready:"), line
                break
        bench_load.drain(self.proc.stdout)
        assert len(self.pids) == replicas
        self.replica_urls = [f"http://127.0.0.1:{self.port + i}/" for i in range(1, replicas + 1)]

    def warm(self) -> None:
        """One visit to each replica (imports and caches), as before a lecture."""
        for url in self.replica_urls:
            bench_load.warm(url)

    def stats(self) -> dict[str, dict[str, str]]:
        """haproxy's ``show stat`` rows of the replicas, by server name."""
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(5)
            s.connect(self.socket)
            s.sendall(b"show stat\n")
            out = b""
            while chunk := s.recv(65536):
                out += chunk
        lines = out.decode().splitlines()
        head = lines[0].lstrip("# ").split(",")
        rows = [dict(zip(head, r.split(","), strict=False)) for r in lines[1:] if r]
        return {r["svname"]: r for r in rows if r.get("pxname") == "replicas"}

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.fixture(scope="module")
def cluster(haproxy):
    c = Cluster(2)
    try:
        c.warm()
        yield c
    finally:
        c.stop()
    assert not any(alive(p) for p in c.pids.values())  # SIGTERM stopped every replica


def test_load_through_the_balancer_spreads_sessions_without_errors(cluster):
    """A few students for a few seconds through HAProxy: every session loads and reruns
    without errors over a websocket compressed as a browser's is, the sessions land on both
    replicas (the stickiness cookie says which), and haproxy counted sessions on both. The
    report says where the CPU went: each replica, haproxy and the generator."""
    result = bench_load.run_blocking(
        cluster.url,
        students=4,
        duration=5,
        think=1,
        ramp=1,
        timeout=60,
        settle=0,
        servers=cluster.pids,
        balancer=cluster.balancer,
    )
    assert result["errors"] == 0, result
    assert result["sessions"] == 4
    assert result["deflated"] == 4
    assert result["first_load"]["n"] == 4
    assert result["rerun"]["n"] >= 4
    assert set(result["replicas"]) == {"r1", "r2"}
    cpu = result["cpu"]["processes"]
    names = {f"{r} (pid {cluster.pids[r]})" for r in ("r1", "r2")}
    assert set(cpu) == {bench_load.GENERATOR, f"haproxy (pid {cluster.balancer})", *names}
    assert all(cpu[name] > 0 for name in names)  # both served reruns
    assert all(v >= 0 for v in cpu.values())
    assert set(result["rss_mb"]) == names
    text = bench_load.report(result, "through the balancer")
    assert all(f"| {name} |" in text for name in cpu)
    stats = cluster.stats()
    assert all(int(stats[r]["stot"]) > 0 for r in ("r1", "r2"))
    assert all(stats[r]["status"] == "UP" for r in ("r1", "r2"))


def test_the_balancer_sends_the_page_and_its_files_compressed(cluster):
    """Through HAProxy: the page (sent plain by a replica) compressed by the balancer;
    Streamlit's main bundle and plotly.js compressed by the replicas and passed on as they
    are, plotly.js cacheable for good; the bytes match the files; the websocket deflated."""
    from conftest import fetch, streamlit_bundle, websocket_extensions

    from optviz_app.bundles import FIRST_SCREEN
    from optviz_app.plot import plotly_src

    _, page, body = fetch(cluster.url, accept_encoding="gzip")
    assert page["content-encoding"] == "gzip" and b"<html" in gzip.decompress(body)
    # later requests carry the replica's cookie, as a browser's do (a response that sets
    # it is marked private by haproxy)
    cookie = page["set-cookie"].split(";")[0]
    assert cookie.startswith("OPTVIZ_REPLICA=")
    path, plain = streamlit_bundle()
    _, headers, body = fetch(cluster.url + path, accept_encoding="gzip, br", cookie=cookie)
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == plain
    assert "immutable" in headers["cache-control"]
    src = cluster.url + plotly_src()
    _, headers, body = fetch(src, accept_encoding="gzip", cookie=cookie)
    assert headers["content-encoding"] == "gzip"
    assert headers["cache-control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(body) == FIRST_SCREEN.path.read_bytes()
    assert websocket_extensions(cluster.url).startswith("permessage-deflate")


def test_cluster_script_checks_its_arguments():
    out = subprocess.run(
        ["bash", str(ROOT / "deploy" / "local-cluster.sh"), "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2 and "usage" in out.stderr


@pytest.mark.browser
def test_browser_downloads_an_export_through_the_balancer(cluster, browser):
    """A download is served by the replica that holds the session (the cookie keeps the
    browser there): the trajectories CSV arrives whole."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(cluster.url + "?surface=rosenbrock&r1=adam&r1.lr=0.05&runs=1")
    page.wait_for_selector(MAP, timeout=60_000)
    page.get_by_text("Export", exact=True).click()
    button = page.get_by_role("button", name="Trajectories (CSV)")
    button.wait_for(timeout=30_000)
    with page.expect_download(timeout=60_000) as info:
        button.click()
    path = info.value.path()
    text = Path(path).read_text()
    rows = text.strip().splitlines()
    assert rows[0] == ",".join(CSV_COLUMNS)
    assert len(rows) > 100  # one row per step of the run
    cookies = {c["name"]: c["value"] for c in context.cookies()}
    assert cookies.get("OPTVIZ_REPLICA") in {"r1", "r2"}
    context.close()


@pytest.mark.browser
def test_page_survives_its_replica_with_the_last_edits(haproxy, browser):
    """The replica holding a page is killed: the browser reconnects through HAProxy to the
    other one and the page comes back exactly as it was, with the edit made after it was
    opened (the new session is sent the link the page was OPENED with; the page restores
    the link the tab showed)."""
    c = Cluster(2)
    try:
        c.warm()
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(c.url + "?surface=rosenbrock&x=-1&y=1.5&r1=sgd&r1.lr=0.001&runs=1")
        page.wait_for_selector(MAP, timeout=60_000)
        page.wait_for_function("() => location.search.includes('x=-1&')", timeout=30_000)
        box = page.locator(BOXES).first
        box.locator("summary").first.click()
        slider = box.get_by_role("slider").first
        slider.wait_for(timeout=30_000)
        slider.focus()
        page.keyboard.press("ArrowRight")  # lr 0.001 -> 0.002: an edit after opening
        page.wait_for_function("() => location.search.includes('r1.lr=0.002')", timeout=30_000)
        page.wait_for_timeout(1000)
        edited = page.evaluate("location.search")
        x_before = page.get_by_label("x₀").input_value()
        holder = {x["name"]: x["value"] for x in context.cookies()}["OPTVIZ_REPLICA"]
        os.kill(c.pids[holder], signal.SIGKILL)
        other = "r2" if holder == "r1" else "r1"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # the page reconnects through the balancer
            stats = c.stats()
            if stats[holder]["status"] != "UP" and int(stats[other]["scur"]) > 0:
                break
            time.sleep(0.5)
        assert int(c.stats()[other]["scur"]) > 0  # the tab's websocket is on the other one
        page.locator(BOXES).first.get_by_text("lr 0.002").wait_for(timeout=60_000)
        page.wait_for_timeout(2000)
        assert page.evaluate("location.search") == edited
        assert page.get_by_label("x₀").input_value() == x_before
        assert page.locator('[data-testid="stException"]').count() == 0
        assert not errors
        # the restored page is the edited link, as a fresh visit to it shows it
        fresh = context.new_page()
        fresh.goto(c.url + edited)
        fresh.wait_for_selector(MAP, timeout=60_000)
        fresh.locator(BOXES).first.get_by_text("lr 0.002").wait_for(timeout=60_000)
        context.close()
    finally:
        c.stop()


def rss_mb(pid: int) -> float:
    value = bench_load.rss_mb(pid)
    assert value is not None
    return value


def test_memory_returns_near_baseline_after_sessions_leave(haproxy):
    """Sessions open, move their start point and leave; once the server has let go of
    them (a short disconnected-session TTL here), its RSS is back near what it was after
    the first few sessions."""
    env = {"STREAMLIT_SERVER_DISCONNECTED_SESSION_TTL": "2"}
    c = Cluster(1, env=env)
    try:
        pid = c.pids["r1"]
        url = c.replica_urls[0]

        def wave(n):
            bench_load.run_blocking(
                url, students=n, duration=2, think=0.7, ramp=1, timeout=60, settle=4
            )

        wave(6)  # imports, caches and allocator pools warm
        wave(6)
        baseline = rss_mb(pid)
        for _ in range(3):
            wave(10)
        after = rss_mb(pid)
        print(f"RSS baseline {baseline:.0f} MB, after 30 more sessions {after:.0f} MB")
        assert after - baseline < 0.15 * baseline + 10
    finally:
        c.stop()


@pytest.mark.parametrize(
    "env",
    [
        {"OPTVIZ_BIND": "127.0.0.1:8500", "OPTVIZ_R1": "127.0.0.1:8501"},
        # compose.yaml's balancer: the replicas found through Docker's DNS
        {
            "OPTVIZ_BIND": ":8500",
            "OPTVIZ_REPLICA_DNS": "app:8501",
            "OPTVIZ_RESOLVER": "127.0.0.11:53",
        },
    ],
)
def test_haproxy_config_is_valid_for_both_setups(haproxy, env):
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    if "OPTVIZ_REPLICA_DNS" in env:
        assert all(f'{k}: "{v}"' in compose for k, v in env.items())
    out = subprocess.run(
        [haproxy, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, **env},
    )
    assert out.returncode == 0, out.stdout + out.stderr
