"""Charts that update in place: a small Streamlit component around ``Plotly.react``.

Why not ``st.plotly_chart``: Streamlit gives a Plotly chart a new element id whenever its
figure changes, so every rerun unmounts the old chart and draws the new one from scratch
(``Plotly.newPlot`` plus a ``Plotly.react``), and validates and deep-copies the figure on
the server first. Measured on the default page (``benchmarks/bench_app.py``): the map's
redraw alone took ~200 ms in the browser and ~100 ms on the server per slider notch.

This component keeps one plot ``<div>`` per chart key for the whole session and hands each
new figure to ``Plotly.react``, which redraws only what changed; zoom and the 3-D camera
survive through ``layout.uirevision``. The figure travels as the JSON text that
:meth:`optviz.figures.Figure.to_json` writes (no validation, no copies). A click on a
point is reported back as the trigger value ``click`` = ``{x, y, curve, index}``.

plotly.js itself is the copy that ships inside the ``plotly`` Python package (the version
that also writes the HTML exports). The browser loads it once per page from Streamlit's
own component file route (``component/<name>/plotly.min.js``, gzip-compressed to 1.5 MB,
relative to the page so that a base URL path works too — tried with
``--server.baseUrlPath``), registered below with ``components.v1.declare_component(path=)``;
nothing is copied or downloaded at start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import plotly
import streamlit as st
import streamlit.components.v1 as components_v1
import streamlit.components.v2 as components_v2

if TYPE_CHECKING:  # the warm-up imports this module before numpy and the figures
    import plotly.graph_objects as go

    from optviz.figures import Figure

PLOTLY_FILE = "plotly.min.js"

_PLOTLY_FILES = components_v1.declare_component(
    "plotly_js", path=str(Path(plotly.__file__).parent / "package_data")
)
"""Only its file route is used (``component/<name>/...``); it is never rendered."""

JS = r"""
function loadPlotly(src) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.__optvizPlotly) {
    window.__optvizPlotly = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = src;
      s.async = true;
      s.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("no Plotly")));
      s.onerror = () => { window.__optvizPlotly = null; reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    });
  }
  return window.__optvizPlotly;
}

function holderOf(parent) {
  let holder = parent.querySelector(":scope > .optviz-plot");
  if (!holder) {
    holder = document.createElement("div");
    holder.className = "optviz-plot";
    parent.appendChild(holder);
  }
  return holder;
}

function bindClick(holder) {
  if (holder.__optvizClick) return;
  holder.__optvizClick = true;
  holder.on("plotly_click", (ev) => {
    const p = ev && ev.points && ev.points[0];
    if (!p || !holder.__optvizReport) return;
    holder.__optvizReport("click", {
      x: p.x, y: p.y, curve: p.curveNumber, index: p.pointIndex,
    });
  });
}

function showError(holder, message) {
  const parent = holder.parentElement;
  let box = parent.querySelector(":scope > .optviz-plot-error");
  if (!box && message) {
    box = document.createElement("div");
    box.className = "optviz-plot-error";
    box.style.color = "#b00020";
    parent.appendChild(box);
  }
  if (box && message) box.textContent = message;
  if (box && !message) box.remove();
}

function draw(Plotly, holder) {
  const want = holder.__optvizWant;
  if (!want || want.spec === holder.__optvizDrawn) return Promise.resolve();
  holder.__optvizDrawn = want.spec;
  const fig = JSON.parse(want.spec);
  fig.config = want.config || {};
  return Plotly.react(holder, fig).then(() => {
    holder.style.minHeight = "";
    showError(holder, "");
    if (want.clickable) bindClick(holder);
    holder.dataset.drawn = String((Number(holder.dataset.drawn) || 0) + 1);
  });
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data || !data.src) return;
  const plotly = loadPlotly(data.src);
  if (!data.spec) return;  // a loader only (warm-up)
  const holder = holderOf(parentElement);
  holder.__optvizWant = data;
  holder.__optvizReport = setTriggerValue;
  if (!holder.__optvizDrawn && data.height) holder.style.minHeight = data.height + "px";
  // one draw at a time; the newest figure wins
  holder.__optvizQueue = (holder.__optvizQueue || Promise.resolve())
    .then(() => plotly)
    .then((Plotly) => draw(Plotly, holder))
    .catch((err) => {
      holder.__optvizDrawn = null;  // the next rerun tries again
      showError(holder, "The chart could not be drawn / グラフを描けませんでした: " + err.message);
    });
  return () => {  // unmounted (e.g. a view switched off): free Plotly's listeners
    if (window.Plotly && holder.__optvizDrawn) window.Plotly.purge(holder);
  };
}
"""

_COMPONENT = components_v2.component("optviz.plot", js=JS, isolate_styles=False)


def plotly_src() -> str:
    """URL of plotly.js relative to the page (Streamlit's component file route)."""
    return f"component/{_PLOTLY_FILES.name}/{PLOTLY_FILE}"


def chart(
    fig: Figure | go.Figure,
    *,
    key: str,
    config: dict | None = None,
    on_click: Callable[[], None] | None = None,
) -> None:
    """Draw ``fig`` (an :class:`optviz.figures.Figure` or a ``go.Figure``) in the chart slot
    ``key``; the same plot is updated on every rerun.

    ``on_click`` (a callback, run before the script) makes points clickable; it reads the
    point with :func:`clicked_point`.
    """
    layout = fig.layout
    height = layout.get("height") if isinstance(layout, dict) else layout.height
    data = {
        "spec": fig.to_json(),
        "src": plotly_src(),
        "config": {"displaylogo": False, **(config or {})},
        "height": int(height or 450),
        "clickable": on_click is not None,
    }
    kwargs = {"on_click_change": on_click} if on_click is not None else {}
    _COMPONENT(key=key, data=data, width="stretch", height="content", **kwargs)


def preload() -> None:
    """Start loading plotly.js in the browser now (a hidden, empty chart slot)."""
    _COMPONENT(key="optviz_plotly_preload", data={"src": plotly_src()}, height=0)


def clicked_point(key: str) -> tuple[float, float] | None:
    """``(x, y)`` of the point just clicked in chart ``key``, or None (inside a callback)."""
    value = st.session_state.get(key)
    click = value.get("click") if isinstance(value, dict) else getattr(value, "click", None)
    if not isinstance(click, dict):
        return None
    try:
        return float(click["x"]), float(click["y"])
    except (KeyError, TypeError, ValueError):
        return None
