"""CPU of the page's script per start move, in this process (prints figures; no asserts).

    python benchmarks/bench_script.py                   # default page, line fit, saddle preset
    python benchmarks/bench_script.py --profile /tmp/p  # + py-spy profiles of the moves

A proxy for :mod:`bench_rerun` without a server: ``streamlit.testing``'s ``AppTest`` runs
``app.py`` for each link, then moves the start point ``--moves`` times (new x₀ and y₀, a
fresh computation each time) and reads the process's CPU time around each script run.
Printed per link: the median and the fastest ms of CPU per move (the fastest is the least
disturbed by other work on the machine). What the server adds per run (sending the
messages, the websocket) is not in it; ``bench_rerun.py`` measures that too.

``--profile DIR`` records the moves with ``py-spy`` (the script runs in a thread of its
own, which ``cProfile`` does not see): collapsed stacks per link, as ``bench_rerun.py``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
LINKS = {
    "default page": "",
    "line fit": "surface=linear_regression",
    "saddle preset": "preset=saddle_escape",
}


def open_link(query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for part in filter(None, query.split("&")):
        name, _, value = part.partition("=")
        at.query_params[name] = value
    return at.run()


def move(at: AppTest, rng: random.Random) -> AppTest:
    gen = at.session_state["gen"]
    at.number_input(key=f"{gen}:x").set_value(round(rng.uniform(-1.8, 1.8), 6))
    at.number_input(key=f"{gen}:y").set_value(round(rng.uniform(-1.8, 1.8), 6))
    return at.run()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--moves", type=int, default=20)
    ap.add_argument("--link", action="append", help="a link's query (repeatable)")
    ap.add_argument("--profile", metavar="DIR", help="record the moves with py-spy")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT))
    links = {q or "default page": q for q in args.link} if args.link else LINKS
    rng = random.Random(0)
    print(f"CPU of the page's script per start move, in-process ({args.moves} moves)")
    for name, query in links.items():
        at = open_link(query)
        for _ in range(3):
            at = move(at, rng)  # warm
        if at.exception:
            print(f"  {name}: the page raised {at.exception[0].message}")
        recorder = None
        if args.profile and shutil.which("py-spy"):
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            out = Path(args.profile) / (name.replace(" ", "_") + ".txt")
            command = ["py-spy", "record", "--pid", str(os.getpid()), "--rate", "250"]
            command += ["--gil", "--format", "raw", "--output", str(out), "--nonblocking"]
            recorder = subprocess.Popen(
                command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            time.sleep(1.0)
        cpu = []
        for _ in range(args.moves):
            t0 = time.process_time()
            at = move(at, rng)
            cpu.append(1000 * (time.process_time() - t0))
        if recorder:
            recorder.send_signal(signal.SIGINT)
            recorder.wait(timeout=60)
        print(f"  {name:<14} median {statistics.median(cpu):6.1f} ms   fastest {min(cpu):6.1f} ms")


if __name__ == "__main__":
    main()
