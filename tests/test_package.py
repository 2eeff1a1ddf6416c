"""The package: ``pip install .`` installs ``optviz`` and ``surfaces`` (and nothing else of
the checkout), with its license and runtime dependencies, usable from anywhere.

Offline: pip builds the wheel with the setuptools already installed
(``--no-build-isolation``) and installs it without dependencies into a directory of its
own (``--target``); a fresh interpreter outside the checkout imports it from there.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from email.parser import Parser
from pathlib import Path

import numpy as np
import pytest

from optviz import OPTIMIZERS, run
from surfaces import SURFACES

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("optviz", "surfaces")
NOT_COPIED = shutil.ignore_patterns(
    ".git", "__pycache__", ".*cache", ".hypothesis", ".venv", "artifacts", "build", "dist"
)

PROBE = """
import importlib, json, pkgutil, sys
import numpy as np
import optviz, surfaces
from optviz import OPTIMIZERS, run
from surfaces import SURFACES

modules = []
for package in (optviz, surfaces):
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        importlib.import_module(info.name)
        modules.append(info.name)
try:
    import optviz_app  # noqa: F401
    app = True
except ImportError:
    app = False
traj = run(SURFACES["rosenbrock"], OPTIMIZERS["adam"](lr=0.05), np.array([-1.2, 2.0]), 25)
print(json.dumps({
    "files": [optviz.__file__, surfaces.__file__],
    "modules": modules,
    "app": app,
    "points": traj.points[:, 0].tolist(),
}))
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """``pip install --no-deps --no-build-isolation --target <site> <copy of the checkout>``
    (a copy: building writes ``build/`` and ``*.egg-info`` next to the sources)."""
    pytest.importorskip("setuptools", minversion="77")  # PEP 639 license metadata
    tmp = tmp_path_factory.mktemp("package")
    source, site = tmp / "source", tmp / "site"
    shutil.copytree(ROOT, source, ignore=NOT_COPIED)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-deps",
            "--no-build-isolation",
            "--target",
            str(site),
            str(source),
        ],
        check=True,
        cwd=tmp,
        capture_output=True,
        timeout=600,
    )
    return site


def _files(directory: Path) -> set[Path]:
    """The files under ``directory`` (relative), bytecode caches left out."""
    return {
        p.relative_to(directory)
        for p in directory.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }


def _metadata(site: Path):
    (dist_info,) = site.glob("optviz-*.dist-info")
    return dist_info, Parser().parsestr((dist_info / "METADATA").read_text())


def test_installs_the_library_packages_and_nothing_else(installed):
    top = {p.name for p in installed.iterdir()} - {"__pycache__"}
    assert {n for n in top if not n.endswith(".dist-info")} == set(PACKAGES)
    for package in PACKAGES:  # every file of the two packages (data too), subpackages included
        assert _files(installed / package) == _files(ROOT / package), package


def test_metadata_license_and_runtime_dependencies(installed):
    dist_info, meta = _metadata(installed)
    assert meta["Name"] == "optviz" and meta["License-Expression"] == "MIT"
    assert (dist_info / "licenses" / "LICENSE").read_text() == (ROOT / "LICENSE").read_text()
    assert "the optviz authors" in (ROOT / "LICENSE").read_text()
    requires = meta.get_all("Requires-Dist")
    runtime = {r.split(">")[0] for r in requires if "extra ==" not in r}
    assert runtime == {"numpy", "sympy"}  # no Streamlit: the page is not installed
    drawing = {r.split(">")[0] for r in requires if 'extra == "drawing"' in r}
    assert "plotly" in drawing


def test_imports_and_runs_outside_the_checkout(installed, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(installed)
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    probe = json.loads(out.stdout)
    assert all(Path(f).is_relative_to(installed) for f in probe["files"]), probe["files"]
    assert not probe["app"]  # the Streamlit page stays in the checkout
    assert "optviz.descent" in probe["modules"] and "surfaces.expression" in probe["modules"]
    # the installed library computes what the checkout computes, bit for bit
    here = run(SURFACES["rosenbrock"], OPTIMIZERS["adam"](lr=0.05), np.array([-1.2, 2.0]), 25)
    np.testing.assert_array_equal(np.array(probe["points"]), here.points[:, 0])
