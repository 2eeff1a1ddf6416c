"""A class on one link: simulated students against the app (prints figures; no asserts).

    python benchmarks/bench_load.py --launch 1 --students 30 --duration 60
    python benchmarks/bench_load.py --launch 2 --students 30 --duration 60   # 2 replicas + haproxy
    python benchmarks/bench_load.py --url http://127.0.0.1:8500 --pid 1234 --pid 1235

Each student is a live Streamlit session speaking the browser's protocol on loopback: it
requests the page (``GET /?link``, which is where HAProxy's stickiness cookie is set),
opens the websocket ``/_stcore/stream`` with that cookie (offering permessage-deflate as
Chromium does, so a compressing server compresses as for a browser), and sends the ``BackMsg``
``rerun_script`` the frontend sends on load (the link's query string, no widget states,
the browser's context). It reads every ``ForwardMsg`` until ``script_finished``. Then,
every ``--think`` seconds (x0.5-1.5 at random), it moves the start point: new values for
the page's x0/y0 number inputs (the widgets whose keys end in ``:x``/``:y``) in a
``rerun_script`` with the widget states the frontend would send (every number input and
checkbox of the last run, at the values the page set or the student typed) and the hashes
of the cached messages, as the browser does. Every move is a point never computed before.

Reported: first load (page request -> first script finished) and rerun (request -> script
finished), p50 / p95 / max; changes served per second (reruns finished / wall time), beside
the students' pace (students / think: the most they can ask for, so a server's capacity
shows only in a class that asks well beyond it);
errors: exceptions drawn on the page, scripts that did not finish (``--script-timeout``,
or finished with an error status), dropped or refused connections; where the sessions
landed (HAProxy's cookie); the server processes' RSS before, at the peak and after every
student left; where the CPU went while the class ran (from ``/proc``): the CPU seconds of
each server, of haproxy and of this generator, and of the rest of the machine, as shares of
the cores' time and per change served. The generator and haproxy share the machine with the
servers: their share is what the servers could not use.

``--waves K`` runs the class K times in a row (memory over time).

``--launch N`` starts the servers itself on free loopback ports and stops them at the end:
N=1 is ``streamlit run app.py`` alone (the README's way), N>=2 is
``deploy/local-cluster.sh N`` (replicas behind Debian's haproxy). Otherwise ``--url``
targets a running server or balancer (loopback only), ``--pid`` names the server processes
whose RSS and CPU to report and ``--balancer-pid`` haproxy's. Everything is bounded:
students stop at ``--duration``, a run is abandoned after ``--script-timeout``, and the
whole benchmark after duration + ramp + timeout + 30 s.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.NumberInput_pb2 import NumberInput
from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = ("127.0.0.1", "localhost", "::1")
DEFAULT_LINKS = (
    "",  # the default page
    "surface=rosenbrock&steps=300&r1=adam&r1.lr=0.05&r2=sgd&r2.lr=0.001",
    "preset=saddle_escape",
    "lang=ja&surface=himmelblau",
)
"""The shared links the class opens, in turn: the default page, a two-run comparison, a
lecture preset and a Japanese page."""

GENERATOR = "generator (this benchmark)"
BALANCER = "haproxy"
OTHERS = "others on the machine"
IDLE = "idle"
"""The rows of the CPU table besides the servers."""

COOKIE = "OPTVIZ_REPLICA"
"""HAProxy's stickiness cookie (deploy/haproxy.cfg): the replica a session landed on."""

START_KEY = re.compile(r"-\d+:(x|y)$")
"""The start point's number inputs: widget ids end in ``-{gen}:x`` / ``-{gen}:y``."""


@dataclass
class Tally:
    """What the students saw, pooled."""

    first_load: list[float] = field(default_factory=list)
    rerun: list[float] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)
    unfinished: int = 0
    dropped: list[str] = field(default_factory=list)
    replicas: dict[str, int] = field(default_factory=dict)
    sessions: int = 0
    deflated: int = 0  # sessions whose websocket is compressed (permessage-deflate)

    @property
    def errors(self) -> int:
        return len(self.exceptions) + self.unfinished + len(self.dropped)


class ScriptError(Exception):
    """A run that did not finish (timeout or an error status)."""


def check_loopback(url: str) -> None:
    host = urllib.parse.urlsplit(url).hostname
    if host not in LOOPBACK:
        raise SystemExit(f"bench_load talks to loopback only, not {host!r}")


def rerun_msg(query: str, base_url: str, widgets=None, cached=()) -> bytes:
    """The frontend's ``rerun_script`` BackMsg: the link's query string, widget states, the
    cached messages' hashes and the browser's context."""
    msg = BackMsg()
    rs = msg.rerun_script
    rs.query_string = query
    rs.page_script_hash = ""
    rs.page_name = ""
    if widgets:
        rs.widget_states.widgets.extend(widgets)
    rs.cached_message_hashes.extend(cached)
    ctx = rs.context_info
    ctx.url = base_url
    ctx.locale = "en-US"
    ctx.timezone = "UTC"
    ctx.timezone_offset = 0
    ctx.is_embedded = False
    ctx.color_scheme = "light"
    return msg.SerializeToString()


class Student:
    """One browser tab: its websocket and the widget values it would send."""

    def __init__(self, ws, query: str, base_url: str):
        self.ws = ws
        self.query = query
        self.base_url = base_url
        self.numbers: dict[str, tuple[bool, float]] = {}  # id -> (is_int, value)
        self.checks: dict[str, bool] = {}
        self.seen: set[str] = set()  # widget ids of the current run
        self.cached: set[str] = set()  # hashes of cacheable messages received

    def widget_states(self):
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        out = []
        for wid, (is_int, value) in self.numbers.items():
            if is_int:
                out.append(WidgetState(id=wid, int_value=int(value)))
            else:
                out.append(WidgetState(id=wid, double_value=float(value)))
        out.extend(WidgetState(id=wid, bool_value=v) for wid, v in self.checks.items())
        return out

    def start_ids(self) -> dict[str, str]:
        ids = {}
        for wid in self.numbers:
            m = START_KEY.search(wid)
            if m:
                ids[m.group(1)] = wid
        return ids

    def take(self, fm: ForwardMsg, exceptions: list[str]) -> None:
        """Update what the tab shows from one ForwardMsg."""
        if fm.metadata.cacheable and fm.hash:
            self.cached.add(fm.hash)
        kind = fm.WhichOneof("type")
        if kind == "new_session":
            self.seen = set()
        if kind != "delta" or fm.delta.WhichOneof("type") != "new_element":
            return
        el = fm.delta.new_element
        which = el.WhichOneof("type")
        if which == "exception":
            exceptions.append(f"{el.exception.type}: {el.exception.message}"[:200])
        elif which == "number_input":
            w = el.number_input
            self.seen.add(w.id)
            if w.set_value or w.id not in self.numbers:
                value = w.value if w.set_value else w.default
                self.numbers[w.id] = (w.data_type == NumberInput.INT, value)
        elif which in ("checkbox",):
            w = el.checkbox
            self.seen.add(w.id)
            if w.set_value or w.id not in self.checks:
                self.checks[w.id] = w.value if w.set_value else w.default

    def forget_unseen(self) -> None:
        """Only the widgets of the last run are sent (the frontend's active widgets)."""
        self.numbers = {k: v for k, v in self.numbers.items() if k in self.seen}
        self.checks = {k: v for k, v in self.checks.items() if k in self.seen}

    async def run_script(self, payload: bytes, timeout: float, exceptions: list[str]) -> None:
        """Send one rerun request and read until its script finished (one timer for the
        whole run, not one per message: a rerun is some 50 messages)."""
        await self.ws.send(payload)
        try:
            async with asyncio.timeout(timeout):
                while not self.finished(await self.ws.recv(), exceptions):
                    pass
        except TimeoutError:
            raise ScriptError("not finished") from None

    def finished(self, data: bytes, exceptions: list[str]) -> bool:
        """Take one ForwardMsg; True once it says the run finished successfully."""
        fm = ForwardMsg()
        fm.ParseFromString(data)
        self.take(fm, exceptions)
        if fm.WhichOneof("type") != "script_finished":
            return False
        status = fm.script_finished
        if status == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            return False  # cannot happen with one request at a time; a newer run follows
        self.forget_unseen()
        if status != ForwardMsg.FINISHED_SUCCESSFULLY:
            raise ScriptError(f"finished with status {status}")
        return True


def open_stream(base_url: str, cookie: str = "", timeout: float = 60.0):
    """The page's websocket ``/_stcore/stream`` as a browser opens it (an async context
    manager): Streamlit's subprotocol, the page's origin, the cookies of the page request,
    and permessage-deflate offered as Chromium offers it (``permessage-deflate;
    client_max_window_bits``, the websockets library's offer too), so a server that
    compresses (``server.enableWebsocketCompression``) does so here as for a browser."""
    split = urllib.parse.urlsplit(base_url)
    return connect(
        f"ws://{split.netloc}{split.path.rstrip('/')}/_stcore/stream",
        subprotocols=["streamlit"],
        origin=f"{split.scheme}://{split.netloc}",
        additional_headers={"Cookie": cookie} if cookie else {},
        max_size=None,
        open_timeout=timeout,
        compression="deflate",
    )


def deflated(ws) -> bool:
    """Whether the server accepted permessage-deflate on this websocket."""
    return ws.response.headers.get("Sec-WebSocket-Extensions", "").startswith("permessage-deflate")


def page_request(base_url: str, query: str) -> str:
    """GET the page as a browser does first; returns the Cookie header to send on."""
    url = base_url + ("?" + query if query else "")
    req = urllib.request.Request(url, headers={"Accept": "text/html"})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
        cookies = [c.split(";")[0] for c in r.headers.get_all("Set-Cookie") or []]
    return "; ".join(cookies)


async def student(
    n: int,
    base_url: str,
    query: str,
    start_at: float,
    end_at: float,
    think: float,
    timeout: float,
    tally: Tally,
    rng: random.Random,
) -> None:
    """One student: open the link, then move the start point every ~think s until end_at."""
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    t0 = time.perf_counter()
    try:
        cookie = await asyncio.to_thread(page_request, base_url, query)
        for part in cookie.split("; "):
            if part.startswith(COOKIE + "="):
                replica = part.split("=", 1)[1]
                tally.replicas[replica] = tally.replicas.get(replica, 0) + 1
        async with open_stream(base_url, cookie, timeout) as ws:
            tally.sessions += 1
            tally.deflated += deflated(ws)
            tab = Student(ws, query, base_url)
            await tab.run_script(rerun_msg(query, base_url), timeout, tally.exceptions)
            tally.first_load.append(time.perf_counter() - t0)
            while True:
                pause = think * rng.uniform(0.5, 1.5)
                if time.monotonic() + pause >= end_at:
                    break
                await asyncio.sleep(pause)
                ids = tab.start_ids()
                for name in ("x", "y"):
                    if name in ids:
                        tab.numbers[ids[name]] = (False, round(rng.uniform(-1.8, 1.8), 6))
                payload = rerun_msg(query, base_url, tab.widget_states(), sorted(tab.cached))
                t1 = time.perf_counter()
                await tab.run_script(payload, timeout, tally.exceptions)
                tally.rerun.append(time.perf_counter() - t1)
    except ScriptError:
        tally.unfinished += 1
    except (OSError, WebSocketException, TimeoutError) as exc:
        tally.dropped.append(f"student {n}: {type(exc).__name__}: {exc}"[:200])


CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of process ``pid`` (all its threads) in seconds, or None when
    it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_busy_seconds() -> float:
    """CPU seconds the machine's cores spent running anything (user, nice, system, irq,
    softirq; not idle, iowait or steal) since boot, summed over the cores."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, f.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / CLK_TCK


class CpuMeter:
    """CPU seconds of named processes (and of the whole machine) between start and stop."""

    def __init__(self, processes: dict[str, int]):
        self.processes = processes
        self.cores = os.cpu_count() or 1

    def start(self) -> None:
        self.t0 = time.perf_counter()
        self.machine0 = machine_busy_seconds()
        self.cpu0 = {name: cpu_seconds(pid) for name, pid in self.processes.items()}

    def stop(self) -> dict:
        wall = time.perf_counter() - self.t0
        machine = machine_busy_seconds() - self.machine0
        used = {}
        for name, pid in self.processes.items():
            now, before = cpu_seconds(pid), self.cpu0[name]
            used[name] = None if now is None or before is None else now - before
        return {
            "wall_s": wall,
            "cores": self.cores,
            "processes": used,
            "machine_busy_s": machine,
        }


def rss_mb(pid: int) -> float | None:
    """Resident memory of a process (MB), or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


async def sample_rss(pids: list[int], peak: dict[int, float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for pid in pids:
            value = rss_mb(pid)
            if value is not None:
                peak[pid] = max(peak.get(pid, 0.0), value)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.5)


async def run_load(
    base_url: str,
    *,
    students: int = 30,
    duration: float = 60.0,
    think: float = 2.0,
    ramp: float = 5.0,
    links: tuple[str, ...] = DEFAULT_LINKS,
    timeout: float = 60.0,
    servers: dict[str, int] | None = None,
    balancer: int | None = None,
    settle: float = 5.0,
    seed: int = 0,
) -> dict:
    """Run the class against ``base_url``; returns the figures (see :func:`summary`).
    ``servers`` names the server processes (name -> pid) whose RSS and CPU are reported,
    ``balancer`` haproxy's pid (CPU); this process's CPU is reported as the generator's."""
    check_loopback(base_url)
    base_url = base_url.rstrip("/") + "/"
    servers = {f"{name} (pid {pid})": pid for name, pid in (servers or {}).items()}
    rng = random.Random(seed)
    tally = Tally()
    pids = list(servers.values())
    before = {pid: rss_mb(pid) for pid in pids}
    peak: dict[int, float] = {}
    stop = asyncio.Event()
    sampler = asyncio.create_task(sample_rss(pids, peak, stop))
    processes = {GENERATOR: os.getpid()}
    if balancer:
        processes[f"{BALANCER} (pid {balancer})"] = balancer
    processes.update(servers)
    meter = CpuMeter(processes)
    now = time.monotonic()
    end_at = now + ramp + duration
    tasks = [
        student(
            i,
            base_url,
            links[i % len(links)],
            now + ramp * i / max(1, students),
            end_at,
            think,
            timeout,
            tally,
            random.Random(rng.random()),
        )
        for i in range(students)
    ]
    t0 = time.perf_counter()
    meter.start()
    await asyncio.wait_for(asyncio.gather(*tasks), ramp + duration + timeout + 30)
    cpu = meter.stop()
    wall = time.perf_counter() - t0
    await asyncio.sleep(settle)  # the server lets go of the closed sessions
    stop.set()
    await sampler
    after = {pid: rss_mb(pid) for pid in pids}
    rss = {
        name: {"before": before[pid], "peak": peak.get(pid), "after": after[pid]}
        for name, pid in servers.items()
    }
    return summary(tally, wall, rss, cpu, students / think if think > 0 else None)


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def summary(tally: Tally, wall: float, rss: dict, cpu: dict, pace: float | None) -> dict:
    """The figures of one class; ``pace`` is the most changes per second the students can
    ask for (students / think: each answered at once), the ceiling of what is served."""

    def stats(values):
        return {
            "n": len(values),
            "p50": pct(values, 50),
            "p95": pct(values, 95),
            "max": max(values) if values else None,
        }

    return {
        "sessions": tally.sessions,
        "deflated": tally.deflated,
        "first_load": stats(tally.first_load),
        "rerun": stats(tally.rerun),
        "changes_per_s": len(tally.rerun) / wall if wall > 0 else 0.0,
        "pace_per_s": pace,
        "wall_s": wall,
        "errors": tally.errors,
        "exceptions": tally.exceptions[:5],
        "exceptions_n": len(tally.exceptions),
        "unfinished": tally.unfinished,
        "dropped": tally.dropped[:5],
        "dropped_n": len(tally.dropped),
        "replicas": dict(sorted(tally.replicas.items())),
        "rss_mb": rss,
        "cpu": cpu,
    }


def report(result: dict, title: str) -> str:
    def sec(v):
        return "-" if v is None else f"{v:.2f} s"

    fl, rr = result["first_load"], result["rerun"]
    lines = [
        f"## {title}",
        "",
        "| | p50 | p95 | max | n |",
        "|---|---|---|---|---|",
        f"| first load (page request -> script finished) | {sec(fl['p50'])} | "
        f"{sec(fl['p95'])} | {sec(fl['max'])} | {fl['n']} |",
        f"| rerun (request -> script finished) | {sec(rr['p50'])} | {sec(rr['p95'])} | "
        f"{sec(rr['max'])} | {rr['n']} |",
        "",
        f"changes served per second: {result['changes_per_s']:.2f} "
        f"({rr['n']} in {result['wall_s']:.1f} s)",
    ]
    if result["pace_per_s"]:
        lines.append(
            f"the students' pace: at most {result['pace_per_s']:.1f} changes/s (each answered "
            f"at once); served {100 * result['changes_per_s'] / result['pace_per_s']:.0f} % "
            "of it. The pace bounds what can be served: a saturation figure must stay well "
            "below it (otherwise more --students or a shorter --think)"
        )
    lines += [
        f"errors: {result['errors']} (exceptions on the page {result['exceptions_n']}, "
        f"scripts not finished {result['unfinished']}, dropped connections "
        f"{result['dropped_n']})",
    ]
    lines += [f"  {e}" for e in result["exceptions"] + result["dropped"]]
    lines.append(
        f"websockets compressed (permessage-deflate, as a browser negotiates it): "
        f"{result['deflated']} of {result['sessions']} sessions"
    )
    if result["replicas"]:
        lines.append(f"sessions per replica (HAProxy cookie): {result['replicas']}")
    for name, r in result["rss_mb"].items():
        fmt = {k: "-" if v is None else f"{v:.0f} MB" for k, v in r.items()}
        lines.append(
            f"{name} RSS: before {fmt['before']}, peak {fmt['peak']}, "
            f"after the students left {fmt['after']}"
        )
    return "\n".join([*lines, "", *cpu_report(result["cpu"], rr["n"])])


def cpu_shares(cpu: dict) -> dict[str, float | None]:
    """CPU seconds by component while the class ran: each process measured, the rest of
    the machine (others: what else ran, e.g. other users) and the cores' idle time."""
    capacity = cpu["wall_s"] * cpu["cores"]
    measured = sum(v for v in cpu["processes"].values() if v is not None)
    others = max(0.0, cpu["machine_busy_s"] - measured)
    idle = max(0.0, capacity - measured - others)
    return {**cpu["processes"], OTHERS: others, IDLE: idle}


def cpu_report(cpu: dict, changes: int) -> list[str]:
    """Where the CPU went, as a table: seconds, share of the cores' time, ms per change."""
    capacity = cpu["wall_s"] * cpu["cores"]
    lines = [
        f"CPU while the class ran ({cpu['wall_s']:.1f} s on {cpu['cores']} cores = "
        f"{capacity:.0f} CPU s; other load on the machine shows as 'others'). Per change: "
        "the CPU seconds over all the changes served, by every server together (the first "
        "loads' CPU included): with N replicas, one replica's cost of its own changes is "
        "about N times its row.",
        "",
        "| | CPU | share of the cores | per change (of all) |",
        "|---|---|---|---|",
    ]
    for name, seconds in cpu_shares(cpu).items():
        if seconds is None:
            lines.append(f"| {name} | - | - | - |")
            continue
        measured = name not in (OTHERS, IDLE)
        per_change = f"{1000 * seconds / changes:.1f} ms" if changes and measured else "-"
        share = 100 * seconds / capacity if capacity else 0.0
        lines.append(f"| {name} | {seconds:.1f} s | {share:.0f} % | {per_change} |")
    return lines


# ---------------------------------------------------------------------------------------
# servers started by the benchmark


def free_port_block(count: int) -> int:
    """A port p such that p..p+count-1 are free on loopback now."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + count >= 65535:
            continue
        ok = True
        for p in range(base, base + count):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", p))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no block of free ports")


def wait_healthy(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "_stcore/health", timeout=1) as r:
                if r.read() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} not healthy after {seconds} s")


class Launched:
    """Servers started for one benchmark run: one process, or N replicas + haproxy.
    ``servers`` names their processes (``server``, or ``r1`` .. ``rN`` as the cluster
    script and HAProxy's cookie call them) and ``balancer`` is haproxy's pid (or None)."""

    def __init__(self, replicas: int, extra_args: tuple[str, ...] = ()):
        self.replicas = replicas
        self.balancer: int | None = None
        if replicas == 1:
            port = free_port_block(1)
            command = [sys.executable, "-m", "streamlit", "run", "app.py"]
            command += ["--server.port", str(port), "--server.address", "127.0.0.1"]
            self.proc = subprocess.Popen(
                command + list(extra_args),
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
            self.url = f"http://127.0.0.1:{port}/"
            wait_healthy(self.url)
            self.servers = {"server": self.proc.pid}
            self.replica_urls = (self.url,)
        else:
            port = free_port_block(replicas + 1)
            self.proc = subprocess.Popen(
                ["bash", str(ROOT / "deploy" / "local-cluster.sh"), str(replicas), str(port)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "PYTHON": sys.executable},
                start_new_session=True,
            )
            self.url = f"http://127.0.0.1:{port}/"
            self.servers = {}
            for line in self.proc.stdout:
                if line.startswith("replica r"):  # replica r1: pid 123 on http://...
                    name, rest = line.split(":", 1)
                    self.servers[name.split()[1]] = int(rest.split()[1])
                elif line.startswith("haproxy:"):  # haproxy: pid 125 on http://...
                    self.balancer = int(line.split()[2])
                elif line.startswith(("ready:", "only ")):
                    break
            drain(self.proc.stdout)
            wait_healthy(self.url)
            self.replica_urls = tuple(
                f"http://127.0.0.1:{port + i}/" for i in range(1, replicas + 1)
            )

    @property
    def pids(self) -> tuple[int, ...]:
        return tuple(self.servers.values())

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def drain(stream) -> None:
    """Read what the cluster script still prints, in a thread (a full pipe would block
    the replicas' and haproxy's writes)."""
    threading.Thread(target=stream.read, daemon=True).start()


def run_blocking(base_url: str, **kwargs) -> dict:
    """:func:`run_load` from synchronous code, in a thread of its own (so it also works
    where an event loop is already running, e.g. beside Playwright's sync API)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run_load(base_url, **kwargs)).result()


def warm(url: str) -> None:
    """One visit before the class (the lecturer's own check): imports and caches warm."""
    run_blocking(url, students=1, duration=0.5, think=5, ramp=0, settle=0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="a running server or balancer on loopback")
    ap.add_argument("--pid", type=int, action="append", default=[], help="server process(es)")
    ap.add_argument("--balancer-pid", type=int, help="haproxy's process (its CPU is reported)")
    ap.add_argument("--launch", type=int, metavar="N", help="start N replicas (1: no haproxy)")
    ap.add_argument("--students", type=int, default=30)
    ap.add_argument("--duration", type=float, default=60.0, help="seconds after the ramp")
    ap.add_argument("--think", type=float, default=2.0, help="seconds between changes (mean)")
    ap.add_argument("--ramp", type=float, default=5.0, help="students join over this time")
    ap.add_argument("--link", action="append", help="a shared link's query (repeatable)")
    ap.add_argument("--script-timeout", type=float, default=60.0)
    ap.add_argument(
        "--settle",
        type=float,
        default=5.0,
        help="seconds after the students left before the RSS is read (Streamlit keeps a "
        "disconnected session for server.disconnectedSessionTTL, 120 s by default)",
    )
    ap.add_argument(
        "--waves", type=int, default=1, help="classes one after the other (memory over time)"
    )
    ap.add_argument("--no-warm", action="store_true", help="skip the warm-up visit")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = ap.parse_args()
    if bool(args.url) == bool(args.launch):
        ap.error("give --url or --launch N")
    launched = Launched(args.launch) if args.launch else None
    try:
        url = launched.url if launched else args.url
        servers = (
            launched.servers if launched else {f"server {i}": p for i, p in enumerate(args.pid, 1)}
        )
        balancer = launched.balancer if launched else args.balancer_pid
        check_loopback(url)
        if not args.no_warm:
            for replica in launched.replica_urls if launched else (url,):
                warm(replica)
        results = [
            asyncio.run(
                run_load(
                    url,
                    students=args.students,
                    duration=args.duration,
                    think=args.think,
                    ramp=args.ramp,
                    links=tuple(args.link) if args.link else DEFAULT_LINKS,
                    timeout=args.script_timeout,
                    servers=servers,
                    balancer=balancer,
                    settle=args.settle,
                    seed=args.seed + wave,
                )
            )
            for wave in range(args.waves)
        ]
    finally:
        if launched:
            launched.stop()
    where = (
        f"{args.launch} replica(s)" + (" behind haproxy" if args.launch > 1 else "")
        if launched
        else url
    )
    for wave, result in enumerate(results, 1):
        title = (
            f"{args.students} students, a change every ~{args.think:g} s for "
            f"{args.duration:g} s, {where}"
        )
        if args.waves > 1:
            title += f" (class {wave} of {args.waves})"

        print(report(result, title))
        if args.json:
            print(json.dumps(result))


if __name__ == "__main__":
    main()
