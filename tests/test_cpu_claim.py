"""One CPU per server process (optviz_app.serving.claim_one_cpu): each claim runs in a child
process (the test process itself is never pinned), holding its claim until told to exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ALLOWED = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
pytestmark = pytest.mark.skipif(len(ALLOWED) < 2, reason="needs a machine with 2 CPUs or more")

CHILD = """
import os, sys, threading, time
sys.path.insert(0, {root!r})
from pathlib import Path
from optviz_app.serving import claim_one_cpu
stop = threading.Event()
early = threading.Thread(target=stop.wait)  # a thread started before the claim
early.start()
cpu = claim_one_cpu({setting!r}, Path({locks!r}))
late = threading.Thread(target=stop.wait)  # and one after it
late.start()
tasks = os.listdir("/proc/self/task")
masks = sorted({{tuple(sorted(os.sched_getaffinity(int(t)))) for t in tasks}})
print(cpu, masks, flush=True)
sys.stdin.readline()
stop.set()
"""


def claim(setting: str, locks: Path) -> tuple[subprocess.Popen, str]:
    """A child that claims with ``setting``; its line: the CPU and its threads' masks."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD.format(root=str(ROOT), setting=setting, locks=str(locks))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return child, child.stdout.readline().strip()


def release(*children: subprocess.Popen) -> list[str]:
    errors = []
    for child in children:
        _, err = child.communicate("\n", timeout=30)
        errors.append(err)
    return errors


def test_servers_on_one_machine_claim_a_cpu_each_until_none_is_left(tmp_path):
    children, lines = [], []
    for _ in range(len(ALLOWED) + 1):
        child, line = claim("auto", tmp_path)
        children.append(child)
        lines.append(line)
    try:
        cpus = [line.split(" ", 1)[0] for line in lines]
        assert cpus[: len(ALLOWED)] == [str(c) for c in ALLOWED]  # each its own, in order
        assert cpus[-1] == "None"  # every CPU claimed: left to the OS
        for cpu, line in zip(ALLOWED, lines, strict=False):
            assert line == f"{cpu} [({cpu},)]"  # every thread, early and late, on it
    finally:
        release(*children)
    # a claim ends with its process: the first CPU is free again
    child, line = claim("auto", tmp_path)
    release(child)
    assert line.split(" ", 1)[0] == str(ALLOWED[0])


def test_a_named_cpu_off_and_a_bad_setting(tmp_path):
    child, line = claim(str(ALLOWED[-1]), tmp_path)
    release(child)
    assert line == f"{ALLOWED[-1]} [({ALLOWED[-1]},)]"
    everything = str(tuple(ALLOWED)).replace(",)", ")")
    child, line = claim("off", tmp_path)
    release(child)
    assert line == f"None [{everything}]"
    child, line = claim("fast please", tmp_path)
    (err,) = release(child)
    assert line == f"None [{everything}]"
    assert "OPTVIZ_CPU='fast please' is not auto, off or one of" in err


def test_streamlit_run_app_holds_the_server_to_one_cpu(tmp_path):
    """`streamlit run app.py` (the README's command) claims a CPU for all its threads."""
    from conftest import free_port, serve, stop

    port = free_port()
    proc = serve(ROOT / "app.py", port, env={"OPTVIZ_CPU_LOCKS": str(tmp_path)})
    try:
        tasks = os.listdir(f"/proc/{proc.pid}/task")
        masks = {frozenset(os.sched_getaffinity(int(t))) for t in tasks}
        assert masks == {frozenset({ALLOWED[0]})}
        assert (tmp_path / f"optviz-cpu-{ALLOWED[0]}.lock").exists()
    finally:
        stop(proc)
