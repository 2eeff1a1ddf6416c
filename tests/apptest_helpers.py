"""Helpers shared by the ``streamlit.testing`` tests of the page."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")

PLOT_COMPONENT = "optviz.plot"


def open_page(query: dict | None = None, timeout: float = 90) -> AppTest:
    """The page opened with the link parameters ``query`` and run once, without an
    exception (``timeout``: seconds a script run may take)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, at.exception
    return at


def k(at: AppTest, name: str) -> str:
    """The widget key of ``name`` in the page's current widget generation."""
    return f"{at.session_state['gen']}:{name}"


def results_block(at: AppTest) -> str:
    """The Markdown element that holds the "Results" heading, table and note."""
    return next(m.value for m in at.markdown if "| " in m.value and "---" in m.value)


def results_table(at: AppTest) -> str:
    """The results table's Markdown rows (header, rule, one row per run): the pipe-table
    lines of :func:`results_block`."""
    return "\n".join(line for line in results_block(at).splitlines() if line.startswith("|"))


def chart_elements(at: AppTest) -> list:
    """Every drawn chart in page order: the page's own charts (``optviz_app.plot``; the
    plotly.js preloader, which has no figure, excluded) and ``st.plotly_chart`` ones."""
    out = []
    for el in at.main:
        kind = getattr(el, "type", None)
        if kind == "plotly_chart" or (
            kind == "bidi_component"
            and el.proto.component_name == PLOT_COMPONENT
            and "spec" in json.loads(el.proto.json or "{}")
        ):
            out.append(el)
    return out


def spec_of(el) -> dict:
    """The figure dict (``data``, ``layout``, ``frames``) of one chart element."""
    if getattr(el, "type", None) == "plotly_chart":
        return json.loads(el.proto.spec)
    return json.loads(json.loads(el.proto.json)["spec"])


def chart_specs(at: AppTest) -> list[dict]:
    return [spec_of(el) for el in chart_elements(at)]


def open_run(at: AppTest, i: int, more: bool = True) -> AppTest:
    """Open run ``i``'s box in the sidebar (its controls are only drawn while it is open)
    and, with ``more``, its "More settings" popover (also drawn only while open), and run.
    AppTest does not send their open state back: they are closed again on the run after."""
    at.session_state[k(at, f"r{i}:box")] = True
    at.session_state[k(at, f"r{i}:more")] = more
    return at.run()


def open_box(at: AppTest, key: str) -> AppTest:
    """Open the lazy expander ``key`` (e.g. ``"open_exports"``) for the next run and run.

    AppTest does not send an expander's open state back, so a box opened this way is
    closed again on the run after; set it again before each run that needs it.
    """
    at.session_state[key] = True
    return at.run()


def write_idx(path: Path, values: np.ndarray) -> None:
    """``values`` (uint8) as an IDX file: 0, 0, type 0x08, ndim, big-endian sizes, data."""
    header = bytes([0, 0, 0x08, values.ndim]) + np.array(values.shape, dtype=">u4").tobytes()
    path.write_bytes(header + values.astype(np.uint8).tobytes())


def tiny_mnist(folder: Path, n: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic 28×28 "digits": class c is a bright bar in row band c, plus noise."""
    rng = np.random.default_rng(4)
    labels = np.arange(n) % 10
    images = rng.integers(0, 60, size=(n, 28, 28))
    for i, c in enumerate(labels):
        images[i, 2 * c + 3 : 2 * c + 6, 4:24] = 255
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / "train-images-idx3-ubyte", images)
    write_idx(folder / "train-labels-idx1-ubyte", labels)
    return images, labels
