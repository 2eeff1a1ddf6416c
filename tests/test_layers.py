"""The import contracts of pyproject.toml ([tool.importlinter], run by ``lint-imports`` in
scripts/test.sh) hold, and each of them fails on an import that breaks its rule: one
import added to a copy of the packages breaks the named contract."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("importlinter")

ROOT = Path(__file__).resolve().parents[1]
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(cwd: Path, *contracts: str) -> subprocess.CompletedProcess:
    """``lint-imports --no-cache [--contract id ...]`` in ``cwd`` (its pyproject.toml)."""
    args = [a for c in contracts for a in ("--contract", c)]
    return subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache", "--no-logo", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_contracts_hold():
    out = lint_imports(ROOT)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "0 broken" in out.stdout


BREAKS = [
    ("surfaces", "surfaces/_points.py", "import optviz"),
    ("numerics", "optviz/presets.py", "from optviz.drawing import figures"),
    ("numerics", "optviz/descent.py", "import streamlit"),
    ("numerics-without-plotly", "optviz/schedules.py", "import plotly.graph_objects"),
    ("drawing", "optviz/drawing/figures.py", "from optviz_app import i18n"),
    ("page-layers", "optviz_app/session.py", "from . import teaching"),  # upward
    ("page-layers", "optviz_app/compute.py", "from . import links"),  # between siblings
    ("page-layers", "optviz_app/new_module.py", "from . import state"),  # not in a layer
    ("acyclic", "optviz/schedules.py", "from . import optimizers"),
]


@pytest.mark.parametrize(("contract", "path", "line"), BREAKS)
def test_each_contract_fails_on_an_import_that_breaks_it(tmp_path, contract, path, line):
    """The copy differs from the checkout (whose contracts hold) by ``line`` alone."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in ("surfaces", "optviz", "optviz_app"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__py*"))
    target = tmp_path / path
    target.write_text((target.read_text() if target.exists() else "") + f"\n{line}  # noqa\n")
    out = lint_imports(tmp_path, contract)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 broken" in out.stdout
