"""Server CPU per start move: one session at a time, so the figure does not depend on load.

    python benchmarks/bench_rerun.py                     # default page and line-fit surface
    python benchmarks/bench_rerun.py --moves 60 --link "surface=himmelblau"
    python benchmarks/bench_rerun.py --profile /tmp/prof  # + py-spy profiles of the moves

Starts ``streamlit run app.py`` on a free loopback port (as ``bench_load.py --launch 1``
does), opens each shared link as a browser tab would (the protocol of
:mod:`bench_load`), then moves the start point ``--moves`` times, one request at a time,
and reads the server process's CPU time (user + system, all threads, from ``/proc``)
before and after. Printed: ms of server CPU per start move (mean over the moves, and the
median of per-move figures) and the wall time per move. CPU time, not wall time: other
processes on the machine slow the wall clock, not the CPU a rerun needs.

``--profile DIR`` also records the moves with ``py-spy`` (if installed), one speedscope
file per link (open in https://www.speedscope.app) and a text summary of the functions
with the most samples (self and total), so the figures above come with where they went.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_load import Launched, Student, cpu_seconds, open_stream, rerun_msg, warm

LINKS = {
    "default page": "",
    "line fit": "surface=linear_regression",
}
"""The links measured by default: the page as it opens, and the data-fitting surface."""


async def moves(base_url: str, query: str, count: int, pid: int, seed: int) -> dict:
    """Open ``query`` in one tab, then move its start point ``count`` times; CPU and wall
    time per move."""
    rng = random.Random(seed)
    errors: list[str] = []
    async with open_stream(base_url) as ws:
        tab = Student(ws, query, base_url)
        await tab.run_script(rerun_msg(query, base_url), 60, errors)
        cpu, wall = [], []
        total_cpu0 = cpu_seconds(pid)
        total_wall0 = time.perf_counter()
        for _ in range(count):
            ids = tab.start_ids()
            for name in ("x", "y"):
                if name in ids:
                    tab.numbers[ids[name]] = (False, round(rng.uniform(-1.8, 1.8), 6))
            payload = rerun_msg(query, base_url, tab.widget_states(), sorted(tab.cached))
            c0, w0 = cpu_seconds(pid), time.perf_counter()
            await tab.run_script(payload, 60, errors)
            await asyncio.sleep(0.05)  # the server finishes the run's bookkeeping
            cpu.append(cpu_seconds(pid) - c0)
            wall.append(time.perf_counter() - w0 - 0.05)
        total_cpu = cpu_seconds(pid) - total_cpu0
        total_wall = time.perf_counter() - total_wall0 - 0.05 * count
    return {
        "cpu_mean_ms": 1000 * total_cpu / count,
        "cpu_median_ms": 1000 * statistics.median(cpu),
        "wall_median_ms": 1000 * statistics.median(wall),
        "wall_mean_ms": 1000 * total_wall / count,
        "errors": errors,
    }


def py_spy_summary(raw: Path, top: int = 25) -> str:
    """The functions with the most samples in a py-spy ``--format raw`` file (collapsed
    stacks): self and total, as % of the samples."""
    own: collections.Counter = collections.Counter()
    total: collections.Counter = collections.Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        n = int(count)
        samples += n
        frames = stack.split(";")
        own[frames[-1]] += n
        for frame in set(frames):
            total[frame] += n
    if not samples:
        return "(no samples)"
    out = [f"{samples} samples", "self %  function"]
    out += [f"{100 * n / samples:5.1f}  {f}" for f, n in own.most_common(top)]
    out += ["total %  function"]
    out += [f"{100 * n / samples:5.1f}  {f}" for f, n in total.most_common(top)]
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=40, help="start moves per link")
    ap.add_argument("--link", action="append", help="a link's query (repeatable)")
    ap.add_argument("--profile", metavar="DIR", help="record the moves with py-spy")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    links = {q or "default page": q for q in args.link} if args.link else LINKS
    spy = shutil.which("py-spy") if args.profile else None
    if args.profile and not spy:
        print("py-spy not found: measuring without a profile")
    launched = Launched(1)
    try:
        pid = launched.pids[0]
        warm(launched.url)
        print(f"server CPU per start move, one session at a time ({args.moves} moves)")
        for i, (name, query) in enumerate(links.items()):
            asyncio.run(moves(launched.url, query, 3, pid, args.seed + 100 + i))  # warm
            recorder = None
            if spy:
                out = Path(args.profile)
                out.mkdir(parents=True, exist_ok=True)
                stem = out / name.replace(" ", "_").replace("=", "-").replace("&", "+")
                command = [spy, "record", "--pid", str(pid), "--rate", "200", "--gil"]
                command += ["--format", "raw", "--output", f"{stem}.txt", "--nonblocking"]
                recorder = subprocess.Popen(
                    command,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                time.sleep(1.0)
            r = asyncio.run(moves(launched.url, query, args.moves, pid, args.seed + i))
            if recorder:
                recorder.send_signal(signal.SIGINT)
                recorder.wait(timeout=60)
                (stem.with_suffix(".summary")).write_text(py_spy_summary(Path(f"{stem}.txt")))
            print(
                f"  {name:<14} CPU {r['cpu_mean_ms']:6.1f} ms/move (median "
                f"{r['cpu_median_ms']:.1f})   wall median {r['wall_median_ms']:.0f} ms"
                + (f"   errors: {len(r['errors'])}" if r["errors"] else "")
            )
    finally:
        launched.stop()
    if spy:
        print(f"profiles: {args.profile}/*.txt (collapsed stacks), *.summary")


if __name__ == "__main__":
    main()
