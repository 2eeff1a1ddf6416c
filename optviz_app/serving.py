"""The web server's side of a first visit: files that never change sent gzip-compressed.

Streamlit serves its JavaScript bundles (``/static/...``, ~2.6 MB before the first chart)
uncompressed and compresses the component files (plotly.js, 4.8 MB) again on every request;
it leaves compression to a proxy in front. A class on one ``streamlit run app.py`` has no
proxy, and lecture-hall Wi-Fi makes every megabyte about a second. :class:`CompressedFiles`
is an ASGI middleware for Streamlit's own server (``st.App(middleware=...)``, see app.py):

* A GET of an *immutable* file is answered by Streamlit once, without compression; the body
  is gzip-compressed once (level 9, in a worker thread) and kept, and every later request
  for that URL is answered from memory with ``Content-Encoding: gzip``. Immutable means:
  Streamlit marks the response ``Cache-Control: ... immutable`` (its content-hashed bundles,
  cached by the browser for a year), or the URL is a component file with a version in its
  query (``component/<name>/<file>?v=<version>``: plotly.js, see
  :func:`optviz_app.plot.plotly_src`), whose response is then marked immutable too, so a
  second visit or a reconnect loads it from the browser's cache.
* Once a versioned component script named in ``preload`` has been served (a first session
  drew the page), the page's HTML carries a ``Link: <...>; rel=preload; as=script`` header
  for it: the browser fetches the first screen's plotly.js (:data:`optviz_app.bundles.
  FIRST_SCREEN`) alongside Streamlit's bundles instead of after the first script run's
  messages (the server computes the first chart meanwhile). Not before: on a fresh server
  the component is registered only by a session, and a preloaded 404 would be reused. A
  script not named (the full plotly.js of the 3-D view) is never preloaded.
* Everything else (the page, the websocket, media, downloads, health checks, clients that
  do not accept gzip, errors and conditional answers) passes through untouched: Streamlit's
  routes, security checks and headers stay as they are.
* Memory is bounded: at most ``max_bytes`` of compressed bodies, least recently used
  dropped first (Streamlit's bundles for the page are ~0.9 MB compressed, plotly.js 0.5 MB
  and, for the 3-D view, 1.5 MB).

Behind HAProxy (deploy/haproxy.cfg) the replicas' responses arrive compressed already and
the balancer passes them on; it compresses only what a replica sends uncompressed.

One CPU per server process (:func:`claim_one_cpu`, called by app.py): Streamlit runs each
session's script in a thread of its own, and the threads take turns on Python's one
interpreter lock, handed over at every NumPy call and every message. Free to run on two
cores, the handovers cross cores: measured with 30 students on one server of a quiet 2-core
machine (``benchmarks/bench_load.py``), rerun p95 1.07 s and p50 0.22 s, against 0.40 s and
0.09 s with the process held to one core (``taskset -c 0``), which serves as many changes.
A process can use one core only anyway; replicas on one machine each claim a core of their
own.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import gzip
import hashlib
import os
import sys
import tempfile
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

IMMUTABLE = b"public, max-age=31536000, immutable"
"""Cache-Control of a versioned component file (a year, as Streamlit's hashed bundles)."""

MIN_SIZE = 1024
"""Smaller bodies are not worth a gzip header and a cache slot."""

TEXT_TYPES = (b"text/", b"application/javascript", b"application/json", b"image/svg+xml")
"""Content types worth compressing (fonts, images and archives are compressed already)."""

_DROPPED = {b"content-length", b"content-encoding", b"vary", b"etag", b"accept-ranges"}


@dataclass(frozen=True)
class Compressed:
    """One cached answer: the response headers (without length/encoding) and the gzip body."""

    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    etag: bytes


def _header(scope: Scope, name: bytes) -> bytes:
    return next((v for k, v in scope.get("headers", ()) if k.lower() == name), b"")


def accepts_gzip(scope: Scope) -> bool:
    """Whether the request's ``Accept-Encoding`` lists gzip (and does not refuse it: ``q=0``)."""
    for part in _header(scope, b"accept-encoding").decode("latin-1").lower().split(","):
        name, _, params = part.strip().partition(";")
        if name.strip() in ("gzip", "*"):
            q = params.strip().removeprefix("q=")
            return not (params.strip().startswith("q=") and _is_zero(q))
    return False


def _is_zero(q: str) -> bool:
    try:
        return float(q) == 0
    except ValueError:
        return False


def is_candidate(scope: Scope) -> bool:
    """A GET (not a range) of a static bundle or versioned component file, gzip accepted.

    Any other request goes to Streamlit exactly as it came (its own gzip included).
    """
    return (
        scope["type"] == "http"
        and scope.get("method") == "GET"
        and ("/static/" in scope.get("path", "") or is_versioned_component_file(scope))
        and accepts_gzip(scope)
        and not _header(scope, b"range")
    )


def is_versioned_component_file(scope: Scope) -> bool:
    """A component file URL with a version in its query: ``.../component/<name>/<f>?v=...``."""
    query = scope.get("query_string", b"").split(b"&")
    return "/component/" in scope.get("path", "") and any(q.startswith(b"v=") for q in query)


def cacheable(status: int, headers: list[tuple[bytes, bytes]], versioned: bool) -> bool:
    """Whether a response (status and headers) is kept compressed rather than passed on as is.

    A 200 of a :data:`TEXT_TYPES` type that is not compressed already and either immutable
    (Streamlit's ``Cache-Control``) or ``versioned``.
    """
    named = {k.lower(): v for k, v in headers}
    return (
        status == 200
        and named.get(b"content-encoding", b"identity") == b"identity"
        and named.get(b"content-type", b"").lower().startswith(TEXT_TYPES)
        and (versioned or b"immutable" in named.get(b"cache-control", b""))
    )


def compressed_answer(headers: list[tuple[bytes, bytes]], body: bytes) -> Compressed:
    """The compressed form of a :func:`cacheable` response: gzip body, immutable, an ETag."""
    kept = [(k, v) for k, v in headers if k.lower() not in _DROPPED]
    if not any(k.lower() == b"cache-control" and b"immutable" in v for k, v in kept):
        kept = [(k, v) for k, v in kept if k.lower() != b"cache-control"]
        kept.append((b"cache-control", IMMUTABLE))
    etag = b'"gz-' + hashlib.sha1(body).hexdigest()[:20].encode() + b'"'
    kept += [(b"content-encoding", b"gzip"), (b"vary", b"Accept-Encoding"), (b"etag", etag)]
    return Compressed(tuple(kept), gzip.compress(body, compresslevel=9, mtime=0), etag)


class CompressedFiles:
    """ASGI middleware: immutable files compressed once and served from memory (see module)."""

    def __init__(
        self, app: ASGIApp, *, max_bytes: int = 32 * 1024 * 1024, preload: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.preload = preload  # file names of versioned component scripts to preload
        self._cache: OrderedDict[str, Compressed] = OrderedDict()
        self._bytes = 0
        self._pending: dict[str, asyncio.Future] = {}
        self._scripts: dict[str, None] = {}  # versioned component scripts served: preloaded

    @property
    def cached_bytes(self) -> int:
        """Compressed bytes held now (at most ``max_bytes``)."""
        return self._bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_candidate(scope):
            if self._scripts and scope["type"] == "http" and scope.get("method") == "GET":
                send = self._with_preload(send)
            await self.app(scope, receive, send)
            return
        key = scope.get("path", "") + "?" + scope.get("query_string", b"").decode("latin-1")
        entry = self._cache.get(key)
        if entry is not None:
            self._cache.move_to_end(key)
        elif key in self._pending:  # a class arriving at once: one compression, not thirty
            entry = await asyncio.shield(self._pending[key])
            if entry is None:
                await self.app(scope, receive, send)
                return
        else:
            self._pending[key] = asyncio.get_running_loop().create_future()
            try:
                entry = await self._fill(key, scope, receive, send)
            finally:
                self._pending.pop(key).set_result(entry)
            if entry is None:
                return  # answered as Streamlit answered it
            file = key.split("?")[0].rsplit("/", 1)[-1]
            if is_versioned_component_file(scope) and file in self.preload:
                self._scripts[key] = None
        if entry.etag in _header(scope, b"if-none-match"):
            await _answer(send, 304, entry.headers, b"")
        else:
            await _answer(send, 200, entry.headers, entry.body)

    async def _fill(self, key: str, scope: Scope, receive: Receive, send: Send):
        """Ask Streamlit for the plain file: keep it compressed, or pass its answer on as is."""
        plain = dict(scope)
        plain["headers"] = [
            (k, v)
            for k, v in scope.get("headers", ())
            if k.lower() not in (b"accept-encoding", b"if-none-match", b"if-modified-since")
        ]
        versioned = is_versioned_component_file(scope)
        start: Message = {}
        chunks: list[bytes] = []
        keep = [False]

        async def catch(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
                keep[0] = cacheable(message["status"], list(message.get("headers", ())), versioned)
                if not keep[0]:
                    await send(message)
            elif keep[0] and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            else:
                await send(message)

        await self.app(plain, receive, catch)
        if not keep[0]:
            return None
        body = b"".join(chunks)
        entry = await asyncio.to_thread(compressed_answer, list(start.get("headers", ())), body)
        if len(body) >= MIN_SIZE:
            self._store(key, entry)
        return entry

    def _with_preload(self, send: Send) -> Send:
        """``send`` adding to an HTML page a ``Link`` header that preloads the scripts."""
        link = ", ".join(f"<{key}>; rel=preload; as=script" for key in self._scripts)

        async def preloading(message: Message) -> None:
            if message["type"] == "http.response.start" and message.get("status") == 200:
                headers = list(message.get("headers", ()))
                named = dict((k.lower(), v) for k, v in headers)
                if named.get(b"content-type", b"").startswith(b"text/html"):
                    message = {**message, "headers": [*headers, (b"link", link.encode())]}
            await send(message)

        return preloading

    def _store(self, key: str, entry: Compressed) -> None:
        if len(entry.body) > self.max_bytes:
            return
        old = self._cache.pop(key, None)
        self._bytes -= len(old.body) if old else 0
        while self._cache and self._bytes + len(entry.body) > self.max_bytes:
            _, dropped = self._cache.popitem(last=False)
            self._bytes -= len(dropped.body)
        self._cache[key] = entry
        self._bytes += len(entry.body)


async def _answer(send: Send, status: int, headers: tuple, body: bytes) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def middleware() -> list:
    """The middleware list for ``st.App``: :class:`CompressedFiles` around Streamlit's server,
    preloading the first screen's plotly.js."""
    from starlette.middleware import Middleware

    from .bundles import FIRST_SCREEN

    return [Middleware(CompressedFiles, preload=(FIRST_SCREEN.file,))]


CPU_ENV = "OPTVIZ_CPU"
"""``auto`` (the default): claim the first free CPU; a number: that CPU; ``off``: none."""
CPU_LOCKS_ENV = "OPTVIZ_CPU_LOCKS"
"""The folder of the claims' lock files (default: the system's temporary folder)."""

_claims: list = []  # the lock file this process holds (released when it exits)


def claim_one_cpu(setting: str | None = None, locks: Path | None = None) -> int | None:
    """Hold this process, every thread of it and every thread it starts later, to one CPU.

    ``setting`` (default: the :data:`CPU_ENV` variable, else ``auto``): ``auto`` takes the
    first CPU this process may run on that no other server on the machine has claimed (a
    lock file per CPU in ``locks``, default :data:`CPU_LOCKS_ENV` or the temporary folder,
    held for the process's life); when every CPU is claimed, nothing is pinned. A CPU
    number pins to it. ``off`` pins nothing; so does a machine or container with one CPU.
    In containers, whose temporary folders are their own, set ``off`` and let the
    orchestrator place the replicas. Returns the CPU, or None.
    """
    setting = (setting or os.environ.get(CPU_ENV) or "auto").strip().lower()
    if setting == "off" or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    if len(allowed) < 2:
        return None
    if setting == "auto":
        folder = locks or Path(os.environ.get(CPU_LOCKS_ENV) or tempfile.gettempdir())
        cpu = _claim_free_cpu(allowed, folder)
    elif setting.isdigit() and int(setting) in allowed:
        cpu = int(setting)
    else:
        print(
            f"optviz: {CPU_ENV}={setting!r} is not auto, off or one of {allowed}; not pinned",
            file=sys.stderr,
        )
        return None
    if cpu is not None:
        _pin_all_threads(cpu)
    return cpu


def _claim_free_cpu(allowed: list[int], folder: Path) -> int | None:
    """The first CPU of ``allowed`` whose lock file in ``folder`` this process could lock."""
    for cpu in allowed:
        try:
            handle = open(folder / f"optviz-cpu-{cpu}.lock", "a")  # noqa: SIM115 (kept open)
        except OSError:  # another user's lock file, or no such folder
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _claims.append(handle)
        return cpu
    return None


def _pin_all_threads(cpu: int) -> None:
    """Every thread of this process to ``cpu`` (threads started later inherit it)."""
    for task in os.listdir("/proc/self/task"):
        with contextlib.suppress(ProcessLookupError):  # a thread that ended meanwhile
            os.sched_setaffinity(int(task), {cpu})
