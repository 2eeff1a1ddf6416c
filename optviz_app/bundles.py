"""The two plotly.js bundles the page's charts load, as records.

A first visit over lecture-hall Wi-Fi waits for plotly.js before its first chart. The full
bundle (the copy inside the ``plotly`` Python package, which the HTML exports also embed)
draws every trace type, 3-D included: 4.8 MB, 1.47 MB gzip-compressed. The 2-D charts
(contours, heat maps, lines, markers) need only Plotly's *cartesian* distribution
(``plotly.js-cartesian-dist-min`` on npm, the same plotly.js version, MIT): 1.5 MB,
0.50 MB compressed, and a third of the script to compile. It ships in
``optviz_app/vendor/`` (refreshed by ``scripts/vendor-plotly.sh``). The 3-D view is the one
chart that loads the full bundle, when it is switched on.

No Streamlit here: :mod:`optviz_app.plot` serves each bundle through a component file route
and :mod:`optviz_app.serving` preloads :data:`FIRST_SCREEN`'s file with the page.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import plotly

VENDOR = Path(__file__).parent / "vendor"


@functools.cache
def plotly_js_version(script: Path) -> str:
    """The plotly.js version a bundle's licence comment names (``... v4.1.1``)."""
    with script.open("rb") as f:
        head = f.read(200).decode("ascii", "replace")
    found = re.search(r"plotly\.js(?: \([^)]*\))? v(\d+\.\d+\.\d+)", head)
    if not found:
        raise ValueError(f"{script}: no plotly.js version in its first lines")
    return found.group(1)


@dataclass(frozen=True)
class Bundle:
    """One plotly.js bundle: where its file lies, its version, the trace types it draws
    (``None``: all of them)."""

    name: str
    directory: Path
    file: str
    traces: frozenset[str] | None

    @property
    def path(self) -> Path:
        return self.directory / self.file

    @property
    def version(self) -> str:
        return plotly_js_version(self.path)

    def draws(self, trace_types: set[str]) -> bool:
        """Whether every trace type in ``trace_types`` is in this bundle."""
        return self.traces is None or trace_types <= self.traces


CARTESIAN = Bundle(
    name="plotly_cartesian",
    directory=VENDOR,
    file="plotly-cartesian.min.js",
    traces=frozenset(
        {
            "bar",
            "box",
            "contour",
            "heatmap",
            "histogram",
            "histogram2d",
            "histogram2dcontour",
            "image",
            "pie",
            "scatter",
            "scatterternary",
            "violin",
        }
    ),
)
FULL = Bundle(
    name="plotly_js",
    directory=Path(plotly.__file__).parent / "package_data",
    file="plotly.min.js",
    traces=None,
)
BUNDLES = (CARTESIAN, FULL)
"""Smallest first: a chart loads the first bundle that draws all its trace types."""

FIRST_SCREEN = CARTESIAN
"""The bundle the page's first charts (the map, the loss curves) need: preloaded."""


def bundle_for(trace_types: set[str]) -> Bundle:
    """The smallest bundle that draws every trace type in ``trace_types``."""
    return next(b for b in BUNDLES if b.draws(trace_types))
