"""Charts that update in place: a small Streamlit component around ``Plotly.react``.

Why not ``st.plotly_chart``: Streamlit gives a Plotly chart a new element id whenever its
figure changes, so every rerun unmounts the old chart and draws the new one from scratch
(``Plotly.newPlot`` plus a ``Plotly.react``), and validates and deep-copies the figure on
the server first. Measured on the default page (``benchmarks/bench_app.py``): the map's
redraw alone took ~200 ms in the browser and ~100 ms on the server per slider notch.

This component keeps one plot ``<div>`` per chart key for the whole session and hands each
new figure to ``Plotly.react``, which redraws only what changed; zoom and the 3-D camera
survive through ``layout.uirevision``. The figure travels as the JSON text that
:meth:`optviz.drawing.figures.Figure.to_json` writes (no validation, no copies). A click on a
point is reported back as the trigger value ``click`` = ``{x, y, curve, index}``.

Animation: a figure with Plotly frames, one step ``slider`` and one row of play buttons
(:func:`optviz.drawing.figures.animation_controls`, the fit view's controls) is drawn with HTML
controls instead — play/pause, restart, one frame back/forward, a range input (arrow keys,
Home/End) and the step label — placed where Plotly's controls were, with the bottom margin
shrunk to one row. The frames stay in the browser script and a frame is shown with
``Plotly.animate(frame object)``, so playback needs no server. Where the user stops (Pause,
the end, a frame back/forward, the range) is reported once the controls rest (trigger
value ``step``, for ``on_step``): the page's step follows the map. Plotly's own slider (a tick
and label per frame) and buttons were redrawn, and every frame re-registered, on each
``Plotly.react``: about half of a map redraw (60 → 28 ms in an isolated page). Figures keep
Plotly's controls everywhere else (HTML export, ``go.Figure``); any other kind of slider or
menu is left to Plotly.

One player for every view: a chart drawn with ``follow="map"`` (the data-fitting view,
the 3-D view) has no controls of its own; its frames (named ``"k<step>"``, as the map's)
stay in the browser script, and whenever the map shows a step (playing, a frame back or
forward, the range, a new figure) the follower shows its frame of that step, the last one
at or before it. A 3-D follower, slow to redraw, skips to the newest step.

A 3-D scene is drawn at the screen's pixel density (``plotGlPixelRatio``), not Plotly's
fixed 2.

plotly.js asks on every redraw which attributes of each trace hold arrays, walking the
trace type's whole attribute schema each time (~1 ms per trace); the walk is made once per
trace type here (``memoArrayAttributes``, checked against plotly.js's own answer):
``Plotly.react`` 67 -> 56 ms per lr notch on the default page (benchmarks/bench_ab.py).

plotly.js comes in two bundles (:mod:`optviz_app.bundles`): Plotly's cartesian bundle for
the 2-D charts (0.5 MB compressed), and the full one, the copy inside the ``plotly`` Python
package, for a chart with 3-D traces (1.5 MB). The full bundle is not on the first
screen's path: a drawn page fetches it (without running it) once idle, and it runs when
the 3-D view is switched on. Each chart draws with its own bundle's Plotly. The browser
loads a bundle once per page from Streamlit's own component file route
(``component/<name>/<file>?v=<plotly.js version>``, relative to the page so that a base
URL path works too — tried with ``--server.baseUrlPath``), registered below with
``components.v1.declare_component(path=)``; nothing is copied or downloaded at start-up.
The server sends it gzip-compressed and cacheable for good (:mod:`optviz_app.serving`).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING

import streamlit as st
import streamlit.components.v1 as components_v1
import streamlit.components.v2 as components_v2

from optviz.drawing.figures import plotly_locale

from .bundles import BUNDLES, FIRST_SCREEN, FULL, Bundle, bundle_for

if TYPE_CHECKING:  # the warm-up imports this module before numpy and the figures
    import plotly.graph_objects as go

    from optviz.drawing.figures import Figure

_FILE_ROUTES = {
    bundle.name: components_v1.declare_component(bundle.name, path=str(bundle.directory))
    for bundle in BUNDLES
}
"""One component per bundle; only its file route is used (``component/<name>/...``), it is
never rendered."""

JS = r"""
const CSS = `
.optviz-anim {position: relative; margin: 0 10px; display: flex; flex-wrap: wrap;
  align-items: center; gap: 6px; font-family: "Open Sans", verdana, arial, sans-serif;
  color: #444;}
.optviz-anim button {font: inherit; color: #2a3f5f; background: #f4f6fa; cursor: pointer;
  border: 1px solid #bec8d9; border-radius: 4px; padding: 1px 8px; line-height: 1.5;}
.optviz-anim button:hover {background: #e2e8f0;}
.optviz-anim input[type=range] {flex: 1 1 160px; min-width: 120px; accent-color: #1f77b4;}
.optviz-anim .optviz-anim-label {min-width: 6.5em; white-space: nowrap;}
`;

// --- plotly.js's array-attribute search, memoised ---------------------------------------
// On every redraw plotly.js asks, for each trace, which of its attributes hold arrays
// (PlotSchema.findArrayAttributes): it walks the whole attribute schema of the trace's type,
// hundreds of entries, copying its path arrays at each one, ~1 ms per trace (a quarter of
// the default page's two redraws). The schema never changes, so the walk is made once per
// trace type; it records, in the walk's order, the paths that can hold an array, and each
// call only looks those up in the trace. Same answer, same order: the first call for each
// type computes both and keeps the original function if they differ in any way.

function isArrayOrTyped(v) {  // plotly.js's Lib.isArrayOrTypedArray
  return Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView));
}

function isPlainObject(v) {  // plotly.js's Lib.isPlainObject (in a browser)
  return Object.prototype.toString.call(v) === "[object Object]" &&
    Object.getPrototypeOf(v).hasOwnProperty("hasOwnProperty");
}

function arrayPaths(plan, trace) {
  const out = [];
  const follow = (container, names, linked, i, prefix) => {
    const item = container[names[i]];
    const path = prefix + names[i];
    if (i === names.length - 1) {
      if (isArrayOrTyped(item)) out.push(path);
    } else if (linked[i]) {
      if (Array.isArray(item)) {
        for (let j = 0; j < item.length; j++) {
          if (isPlainObject(item[j])) follow(item[j], names, linked, i + 1, path + "[" + j + "].");
        }
      }
    } else if (isPlainObject(item)) {
      follow(item, names, linked, i + 1, path + ".");
    }
  };
  for (const [names, linked] of plan) follow(trace, names, linked, 0, "");
  return out;
}

function memoArrayAttributes(Plotly) {
  const PS = Plotly && Plotly.PlotSchema;
  if (!PS || PS.__optvizOriginal || typeof PS.findArrayAttributes !== "function" ||
      typeof PS.crawl !== "function") return;
  const original = PS.findArrayAttributes;
  const crawl = PS.crawl;
  const plans = new Map();  // trace module -> [[path names, linked-to-array flags]]

  function planned(trace) {  // the original's answer, and the walk's paths recorded
    const plan = [];
    let names = [], linked = [];
    const record = function (attr, name, attrs, level) {
      names = names.slice(0, level).concat([name]);
      linked = linked.slice(0, level).concat([attr && attr._isLinkedToArray]);
      if (attr && (attr.valType === "data_array" || attr.arrayOk === true) &&
          !(names[level - 1] === "colorbar" && (name === "ticktext" || name === "tickvals"))) {
        plan.push([names, linked]);
      }
    };
    PS.crawl = function (attrs, callback, ...rest) {  // the walk recurses through PS.crawl
      if (callback.__optvizRecord) return crawl.call(this, attrs, callback, ...rest);
      const both = function (...args) { record(...args); return callback.apply(this, args); };
      both.__optvizRecord = true;
      return crawl.call(this, attrs, both, ...rest);
    };
    try {
      return [original.call(PS, trace), plan];
    } finally {
      PS.crawl = crawl;
    }
  }

  PS.findArrayAttributes = function (trace) {
    const type = trace && trace._module;
    if (!type) return original.call(this, trace);
    const plan = plans.get(type);
    if (plan) return arrayPaths(plan, trace);
    const [answer, recorded] = planned(trace);
    if (JSON.stringify(arrayPaths(recorded, trace)) === JSON.stringify(answer)) {
      plans.set(type, recorded);
    } else {
      PS.findArrayAttributes = original;  // not the walk this was written for: leave it be
    }
    return answer;
  };
  PS.__optvizOriginal = original;
}

// plotly.js by URL: the cartesian bundle for 2-D charts, the full one for a 3-D chart
// (optviz_app.bundles). Each chart draws with the Plotly of its own bundle
// (holder.__optvizPlotly). Scripts load one after another: each sets window.Plotly, taken
// at its onload before the next one starts; window.Plotly is then left as the first one.
function loadPlotly(src) {
  const loaded = window.__optvizPlotlys || (window.__optvizPlotlys = {});
  if (!loaded[src]) {
    const before = window.__optvizPlotlyChain || Promise.resolve();
    loaded[src] = before.catch(() => null).then(() => new Promise((resolve, reject) => {
      const first = window.Plotly;
      const s = document.createElement("script");
      s.src = src;
      s.async = true;
      s.onload = () => {
        const P = window.Plotly;
        if (!P || P === first) return reject(new Error("no Plotly in " + src));
        if (first) window.Plotly = first;
        memoArrayAttributes(P);
        resolve(P);
      };
      s.onerror = () => { delete loaded[src]; reject(new Error("cannot load " + src)); };
      document.head.appendChild(s);
    }));
    window.__optvizPlotlyChain = loaded[src];
  }
  return loaded[src];
}

// The full bundle (the 3-D view's) is fetched, not run, once the first chart is drawn and
// the page is idle: switching the 3-D view on later waits for no download.
const PREFETCH_DELAY_MS = 2000;

function prefetchLater(src) {
  if (window.__optvizPrefetch || (window.__optvizPlotlys && window.__optvizPlotlys[src])) return;
  window.__optvizPrefetch = src;
  const fetchIt = () => {
    const link = document.createElement("link");
    link.rel = "prefetch";
    link.as = "script";
    link.href = src;
    document.head.appendChild(link);
  };
  const idle = window.requestIdleCallback || ((f) => f());
  setTimeout(() => idle(fetchIt, { timeout: 10000 }), PREFETCH_DELAY_MS);
}

function addCss() {
  if (document.getElementById("optviz-plot-css")) return;
  const style = document.createElement("style");
  style.id = "optviz-plot-css";
  style.textContent = CSS;
  document.head.appendChild(style);
}

function holderOf(parent) {
  let wrap = parent.querySelector(":scope > .optviz-wrap");
  if (!wrap) {
    wrap = document.createElement("div");
    wrap.className = "optviz-wrap";
    const holder = document.createElement("div");
    holder.className = "optviz-plot";
    wrap.appendChild(holder);
    parent.appendChild(wrap);
  }
  return wrap.querySelector(":scope > .optviz-plot");
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

// --- animation: Plotly's own slider and play buttons become HTML controls -----------
// Plotly redraws its slider (one tick per frame) and buttons on every Plotly.react, and
// registers every frame: most of a map's redraw. Here the frames stay in this script and
// a frame is shown with Plotly.animate(frame object); the controls sit where Plotly's were.

function buttonRole(b) {
  const a = (b && b.method === "animate" && b.args) || [];
  if (a[0] === null) return "play";
  if (Array.isArray(a[0]) && a[0].length === 1 && a[0][0] === null) return "pause";
  if (Array.isArray(a[0]) && a[0].length > 1) return "restart";
  return null;
}

function takeAnimation(fig) {
  const L = fig.layout || {};
  const frames = fig.frames || [];
  if (!frames.length || (L.sliders || []).length !== 1 || (L.updatemenus || []).length !== 1) {
    return null;
  }
  const slider = L.sliders[0], menu = L.updatemenus[0];
  const byName = new Map(frames.map((f) => [f.name, f]));
  const steps = (slider.steps || []).map((s) => {
    const a = (s.method === "animate" && s.args) || [];
    const names = a[0];
    const frame = Array.isArray(names) && names.length === 1 ? byName.get(names[0]) : undefined;
    const m = frame && /^k(\d+)$/.exec(String(frame.name));
    return {
      label: String(s.label === undefined ? "" : s.label),
      frame,
      step: m ? Number(m[1]) : null,  // the optimizer step the frame shows (map frames k<n>)
      redraw: Boolean(a[1] && a[1].frame && a[1].frame.redraw),
    };
  });
  const buttons = {};
  for (const b of menu.buttons || []) {
    const role = buttonRole(b);
    if (!role) return null;
    buttons[role] = b;
  }
  if (!steps.length || steps.some((s) => !s.frame) || !buttons.play) return null;
  const playFrame = (buttons.play.args[1] || {}).frame || {};
  const current = slider.currentvalue || {};
  const active = Number.isInteger(slider.active) ? slider.active : steps.length - 1;
  const fontSize = (current.font && current.font.size) || (L.font && L.font.size) || 14;
  // Plotly's controls sat `ticks` px under the plot area; ours take one row there, so the
  // bottom margin shrinks to fit (the plot area keeps its size, hence the map its scale)
  const margin = Object.assign({ t: 100, b: 80 }, L.margin || {});
  const plotH = (typeof L.height === "number" ? L.height : 450) - margin.t - margin.b;
  const y = typeof menu.y === "number" ? menu.y : -0.1;
  const ticks = Math.max(Math.round(-y * plotH), 0);
  const keep = Math.ceil(ticks + 1.6 * fontSize + 18);
  if (typeof L.height === "number" && keep < margin.b) {
    L.height -= margin.b - keep;
    L.margin = Object.assign({}, L.margin, { b: keep });
  }
  const below = Math.min(keep, margin.b) - ticks - 2;  // figure px under the controls' top
  delete fig.frames;
  delete L.sliders;
  delete L.updatemenus;
  return {
    steps,
    active: Math.min(Math.max(active, 0), steps.length - 1),
    prefix: current.prefix || "",
    fontSize,
    below,
    labels: {
      play: buttons.play.label,
      pause: buttons.pause && buttons.pause.label,
      restart: buttons.restart && buttons.restart.label,
    },
    ms: Math.max(Number(playFrame.duration) || 60, 10),
  };
}

function barOf(holder) {
  return holder.parentElement.querySelector(":scope > .optviz-anim");
}

function controlsOf(holder) {
  let bar = barOf(holder);
  if (bar) return bar;
  bar = document.createElement("div");
  bar.className = "optviz-anim";
  bar.innerHTML =
    '<button type="button" data-act="play"></button>' +
    '<button type="button" data-act="restart"></button>' +
    '<button type="button" data-act="back" title="−1">◀</button>' +
    '<input type="range" min="0" step="1">' +
    '<button type="button" data-act="forward" title="+1">▶</button>' +
    '<span class="optviz-anim-label" aria-live="off"></span>';
  bar.addEventListener("click", (ev) => {
    const act = ev.target && ev.target.dataset && ev.target.dataset.act;
    const a = holder.__optvizAnim;
    if (!act || !a) return;
    if (act === "play" && a.playing) { pause(holder); reportStep(holder); }
    else if (act === "play") play(holder, a.index >= a.steps.length - 1 ? 0 : a.index);
    if (act === "restart") play(holder, 0);
    if (act === "back") seek(holder, a.index - 1);
    if (act === "forward") seek(holder, a.index + 1);
  });
  bar.querySelector("input").addEventListener("input", (ev) => {
    seek(holder, Number(ev.target.value));
  });
  holder.parentElement.appendChild(bar);
  return bar;
}

function setControls(holder, a) {
  const bar = controlsOf(holder);
  bar.style.fontSize = a.fontSize + "px";
  const restart = bar.querySelector("[data-act=restart]");
  restart.textContent = a.labels.restart || "";
  restart.hidden = !a.labels.restart;
  showPlaying(holder, a);
  const range = bar.querySelector("input");
  range.max = String(a.steps.length - 1);
  range.setAttribute("aria-label", a.prefix.trim() || "step");
  // pulled up into the figure's bottom margin, in the normal flow: no measuring (a forced
  // layout of the whole page), and a narrow column that wraps them pushes the page down
  bar.style.marginTop = -a.below + "px";
  showIndex(holder, a, a.active);
}

function showPlaying(holder, a) {
  const bar = barOf(holder);
  if (!bar) return;
  const b = bar.querySelector("[data-act=play]");
  const pausable = a.playing && a.labels.pause;
  b.textContent = pausable ? a.labels.pause : a.labels.play;
  b.setAttribute("aria-pressed", a.playing ? "true" : "false");
}

function showIndex(holder, a, i) {
  a.index = i;
  const step = a.steps[i].step;
  if (Number.isInteger(step)) {
    holder.dataset.step = String(step);
    lead(holder, step);
  }
  const bar = barOf(holder);
  if (!bar) return;
  bar.querySelector("input").value = String(i);
  bar.querySelector(".optviz-anim-label").textContent = a.prefix + a.steps[i].label;
}

// --- one player for every view ---------------------------------------------------------
// A chart drawn with `follow` (the fit view and the 3-D view follow "map") has no player of
// its own: its frames (named "k<step>", as the map's) are kept here, and whenever the
// leading chart shows a step (playing, ◀ ▶, the range, a new figure), the follower shows
// its frame of that step (the last one at or before it). A follower that draws slowly
// (3-D) skips to the newest step instead of queueing every frame. The page's step k is the
// step every figure is built at, so at rest all views agree without this; it moves them
// together in between, before the page hears of the new step.

function charts() {
  return window.__optvizCharts || (window.__optvizCharts = new Map());
}

function takeFollowFrames(fig) {
  const frames = [];
  for (const f of fig.frames || []) {
    const m = /^k(\d+)$/.exec(String(f.name));
    if (m) frames.push({ step: Number(m[1]), frame: f });
  }
  frames.sort((a, b) => a.step - b.step);
  delete fig.frames;
  return frames;
}

function frameFor(frames, step) {  // the last frame at or before `step`
  let lo = 0, hi = frames.length - 1, best = null;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (frames[mid].step <= step) { best = frames[mid]; lo = mid + 1; } else hi = mid - 1;
  }
  return best;
}

function lead(holder, step) {  // tell the charts that follow `holder` its step
  const name = holder.__optvizName;
  if (!name) return;
  for (const other of charts().values()) {
    const f = other.__optvizFollow;
    if (f && f.leader === name) follow(other, step);
  }
}

function leaderStep(name) {  // the step the leading chart shows (null: none, or redrawing)
  const leader = charts().get(name);
  const a = leader && leader.__optvizAnim;
  const want = leader && leader.__optvizWant;
  if (!a || !want || want.spec !== leader.__optvizDrawn) return null;
  const step = a.steps[a.index] && a.steps[a.index].step;
  return Number.isInteger(step) ? step : null;
}

function follow(holder, step) {
  const f = holder.__optvizFollow;
  if (!f || !Number.isInteger(step)) return;
  f.want = step;
  if (f.busy) return;
  const next = () => {
    const hit = frameFor(f.frames, f.want);
    const Plotly = holder.__optvizPlotly;
    if (holder.__optvizFollow !== f || !hit || hit.step === f.shown || !Plotly) {
      f.busy = false;
      return;
    }
    f.busy = true;
    f.shown = hit.step;
    Plotly.animate(holder, [hit.frame], {
      mode: "immediate",
      frame: { duration: 0, redraw: f.redraw },
      transition: { duration: 0 },
    }).then(() => {
      holder.dataset.step = String(hit.step);
      next();
    }, () => { f.busy = false; });
  };
  next();
}

function showFrame(holder, i) {
  const a = holder.__optvizAnim;
  const Plotly = holder.__optvizPlotly;
  if (!a || !Plotly) return Promise.resolve();
  i = Math.min(Math.max(i, 0), a.steps.length - 1);
  showIndex(holder, a, i);
  const step = a.steps[i];
  return Plotly.animate(holder, [step.frame], {
    mode: "immediate",
    frame: { duration: 0, redraw: step.redraw },
    transition: { duration: 0 },
  });
}

function pause(holder) {
  const a = holder.__optvizAnim;
  if (!a) return;
  if (a.timer) { clearTimeout(a.timer); a.timer = null; }
  a.playing = false;
  showPlaying(holder, a);
}

// Two-way step sync: where the user stops the animation (Pause, the end, ◀ ▶, the range)
// is reported as the trigger value "step" once the controls rest for STEP_REPORT_MS, so the
// page's step (inspector, arrows at θ_k, the link's step=) follows the map. Never reported
// for a figure that just arrived, so a rerun cannot echo back.
const STEP_REPORT_MS = 350;

function reportStep(holder) {
  const a = holder.__optvizAnim;
  if (!a || !holder.__optvizWant || !holder.__optvizWant.report_step) return;
  clearTimeout(holder.__optvizStepTimer);
  holder.__optvizStepTimer = setTimeout(() => {
    holder.__optvizStepTimer = null;
    const b = holder.__optvizAnim;
    const step = b && b.steps[b.index] && b.steps[b.index].step;
    if (!Number.isInteger(step) || step === b.shownStep || !holder.__optvizReport) return;
    b.shownStep = step;
    // until the page answers with this step, an older figure must not pull the frame back
    holder.__optvizInFlight = { step, until: performance.now() + 4000 };
    holder.__optvizReport("step", step);
  }, STEP_REPORT_MS);
}

function seek(holder, i) {  // the user moved to frame i (◀ ▶, the range input)
  pause(holder);
  showFrame(holder, i);
  reportStep(holder);
}

function play(holder, from) {
  pause(holder);
  clearTimeout(holder.__optvizStepTimer);  // playing again: report where it stops instead
  holder.__optvizStepTimer = null;
  const a = holder.__optvizAnim;
  if (!a) return;
  a.playing = true;
  showPlaying(holder, a);
  let i = from;
  const tick = () => {
    a.timer = null;
    if (!a.playing || holder.__optvizAnim !== a) return;
    showFrame(holder, i).then(() => {
      if (!a.playing || holder.__optvizAnim !== a) return;
      if (i >= a.steps.length - 1) { pause(holder); reportStep(holder); return; }
      i += 1;
      a.timer = setTimeout(tick, a.ms);
    });
  };
  tick();
}

// A figure with a fixed size (the map: its width fits an equal-scale plot beside the
// colour bar, its play controls under it) never reaches below the first screen (from its
// top in the page to the window's bottom: a 720p projector in presenter mode) nor gets
// wider than its column (a phone): it shrinks, and Plotly's scaleanchor keeps the scale
// equal. Re-fitted whenever the column's width changes (window, sidebar).
const MIN_FIT_HEIGHT = 360;

function fittedSize(holder) {
  const full = holder.__optvizFull;
  let { width, height } = full;
  const top = holder.getBoundingClientRect().top + window.scrollY;
  const tall = Math.max(MIN_FIT_HEIGHT, window.innerHeight - top - 12);
  if (height > tall) {
    width = Math.round((width * tall) / height);
    height = tall;
  }
  const room = holder.parentElement ? holder.parentElement.clientWidth : 0;
  if (room > 0 && width > room) width = room;
  return { width, height };
}

function fitSize(holder, layout) {
  const fixed = typeof layout.width === "number" && typeof layout.height === "number";
  holder.__optvizFull = fixed ? { width: layout.width, height: layout.height } : null;
  if (!fixed) return;
  Object.assign(layout, fittedSize(holder));
  if (!holder.__optvizResize && window.ResizeObserver && holder.parentElement) {
    let timer = null;
    holder.__optvizResize = new ResizeObserver(() => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        const Plotly = holder.__optvizPlotly;
        if (!holder.__optvizFull || !Plotly || !holder._fullLayout) return;
        const size = fittedSize(holder);
        const now = holder._fullLayout;
        if (size.width !== now.width || size.height !== now.height) {
          Plotly.relayout(holder, size);
        }
      }, 100);
    });
    holder.__optvizResize.observe(holder.parentElement);
  }
}

function draw(Plotly, holder) {
  const want = holder.__optvizWant;
  if (!want || want.spec === holder.__optvizDrawn) return Promise.resolve();
  holder.__optvizDrawn = want.spec;
  const fig = JSON.parse(want.spec);
  fig.config = want.config ? JSON.parse(want.config) : {};
  // a 3-D scene is drawn at the screen's pixel density, not Plotly's fixed 2: on a 1x
  // screen (a projector, most monitors) a quarter of the pixels, which a computer without
  // a GPU draws in software (the first draw of the 3-D view ~30 % sooner, measured)
  if (fig.layout && fig.layout.scene && fig.config.plotGlPixelRatio === undefined) {
    fig.config.plotGlPixelRatio = Math.min(Math.max(window.devicePixelRatio || 1, 1), 2);
  }
  pause(holder);
  const old = holder.__optvizAnim;
  const following = want.follow ? takeFollowFrames(fig) : null;
  const anim = following ? null : takeAnimation(fig);
  fitSize(holder, fig.layout || (fig.layout = {}));  // after: the controls' room is kept
  if (anim) anim.shownStep = anim.steps[anim.active].step;  // the page's step now
  // the user moved and the page has not caught up (a report waiting or on its way): the
  // user's frame wins over the figure's
  const flight = holder.__optvizInFlight;
  const answered = !flight || performance.now() > flight.until ||
    (anim && anim.shownStep === flight.step);
  if (answered) holder.__optvizInFlight = null;
  const userIndex = old && (holder.__optvizStepTimer || !answered) ? old.index : null;
  holder.__optvizAnim = anim;
  holder.__optvizFollow = null;  // a follower's old frames go with its old figure
  if (holder.__optvizPlotly && holder.__optvizPlotly !== Plotly && holder._fullLayout) {
    holder.__optvizPlotly.purge(holder);  // drawn before by the other bundle
  }
  holder.__optvizPlotly = Plotly;
  return Plotly.react(holder, fig).then(() => {
    holder.style.minHeight = "";
    showError(holder, "");
    if (want.clickable) bindClick(holder);
    const bar = barOf(holder);
    if (anim) setControls(holder, anim);
    else if (bar) bar.remove();
    if (anim && userIndex !== null && userIndex < anim.steps.length && userIndex !== anim.active) {
      showFrame(holder, userIndex);
    }
    if (following) {
      const last = following.length ? following[following.length - 1].step : null;
      const shown = Number.isInteger(want.step) ? want.step : last;
      holder.__optvizFollow = {
        leader: want.follow,
        frames: following,
        redraw: Boolean(fig.layout && fig.layout.scene),  // 3-D frames need a redraw
        shown,
        want: shown,
        busy: false,
      };
      if (Number.isInteger(shown)) holder.dataset.step = String(shown);
      else delete holder.dataset.step;
      const step = leaderStep(want.follow);  // the player may be elsewhere (playing)
      if (step !== null) follow(holder, step);
    }
    holder.dataset.drawn = String((Number(holder.dataset.drawn) || 0) + 1);
  });
}

// The page's link in the address bar, written here rather than through st.query_params
// (optviz_app.teaching.page_query): replaced, not pushed (Back leaves the page instead of
// stepping through every notch); embedded (Community Cloud), the host's address bar is
// told too, with the message Streamlit itself sends it.
//
// A tab that reconnects to a NEW server session (its server restarted, or its replica died
// and the balancer sent it to another) is sent the link the page was OPENED with: that is
// the query string Streamlit's frontend sends with every rerun request, and the address
// written here does not change it. So when the first chart of a new session (data.session
// changed) carries another link than the one this tab last wrote, the chart does not write
// it: it reports the tab's link ("address"), and the page loads that one.
function showAddress(data, report) {
  const query = data.address;
  const last = window.__optvizLink;
  window.__optvizLink = { session: data.session, query };
  if (last && report && last.session !== data.session && last.query !== query) {
    window.__optvizLink.query = last.query;
    report("address", last.query);
    return;
  }
  const search = query ? "?" + query : "";
  if (window.location.search === search) return;
  const url = window.location.pathname + search + window.location.hash;
  window.history.replaceState(window.history.state, "", url);
  if (window.parent !== window) {
    window.parent.postMessage(
      { stCommVersion: 1, type: "SET_QUERY_PARAM", queryParams: search }, "*");
  }
}

export default function (component) {
  const { data, parentElement, setTriggerValue } = component;
  if (!data || !data.src) return;
  if (typeof data.address === "string") {
    showAddress(data, data.report_address ? setTriggerValue : null);
  }
  const plotly = loadPlotly(data.src);
  if (!data.spec) return;  // a loader only (warm-up)
  addCss();
  const holder = holderOf(parentElement);
  holder.__optvizWant = data;
  if (data.name) {
    holder.__optvizName = data.name;
    charts().set(data.name, holder);
  }
  holder.__optvizReport = setTriggerValue;
  if (!holder.__optvizDrawn && data.height) holder.style.minHeight = data.height + "px";
  // one draw at a time; the newest figure wins
  holder.__optvizQueue = (holder.__optvizQueue || Promise.resolve())
    .then(() => plotly)
    .then((Plotly) => draw(Plotly, holder))
    .then(() => { if (data.prefetch) prefetchLater(data.prefetch); })
    .catch((err) => {
      holder.__optvizDrawn = null;  // the next rerun tries again
      showError(holder, "The chart could not be drawn / グラフを描けませんでした: " + err.message);
    });
  return () => {  // unmounted (e.g. a view switched off): stop playing, free Plotly's listeners
    pause(holder);
    if (data.name && charts().get(data.name) === holder) charts().delete(data.name);
    holder.__optvizFollow = null;
    if (holder.__optvizResize) holder.__optvizResize.disconnect();
    holder.__optvizResize = null;
    if (holder.__optvizPlotly && holder.__optvizDrawn) holder.__optvizPlotly.purge(holder);
  };
}
"""

_COMPONENT = components_v2.component("optviz.plot", js=JS, isolate_styles=False)


def plotly_src(bundle: Bundle = FIRST_SCREEN) -> str:
    """URL of a plotly.js bundle relative to the page (Streamlit's component file route).

    The query names the plotly.js version, so the file at this URL never changes: the
    server (:mod:`optviz_app.serving`) sends it compressed and lets the browser keep it for
    good.
    """
    return f"component/{_FILE_ROUTES[bundle.name].name}/{bundle.file}?v={bundle.version}"


def trace_types(fig: Figure | go.Figure) -> set[str]:
    """The trace types of ``fig``'s traces and of its frames' traces (Plotly's default
    type, ``scatter``, where a trace names none)."""
    frames = fig.frames or ()
    traces = [*fig.data, *(t for frame in frames for t in _frame_data(frame))]
    return {(t.get("type") if isinstance(t, dict) else t.type) or "scatter" for t in traces}


def _frame_data(frame) -> list:
    return frame.get("data", []) if isinstance(frame, dict) else list(frame.data or ())


def chart(
    fig: Figure | go.Figure,
    *,
    key: str,
    config: dict | None = None,
    lang: str = "en",
    on_click: Callable[[], None] | None = None,
    on_step: Callable[[], None] | None = None,
    address: str | None = None,
    on_address: Callable[[], None] | None = None,
    follow: str | None = None,
    step: int | None = None,
) -> None:
    """Draw ``fig`` (an :class:`optviz.drawing.figures.Figure` or a ``go.Figure``) in the chart slot
    ``key``; the same plot is updated on every rerun.

    ``address``: a query string (without "?") for the browser's address bar, put there
    with ``history.replaceState`` (the page's link, see
    :func:`optviz_app.teaching.page_query`). ``on_address`` (a callback, run before the
    script) is told, on the first draw of a new server session in a tab that already
    showed a link, the link the tab showed (the session was sent the one the page was
    opened with); it reads it with :func:`reported_address`.

    ``lang``: the language of Plotly's own words (its toolbar), see
    :func:`optviz.drawing.figures.plotly_locale`.

    ``on_click`` (a callback, run before the script) makes points clickable; it reads the
    point with :func:`clicked_point`. ``on_step`` (a callback) is told where the user
    stopped the animation (Pause, its end, one frame back/forward, the range input); it
    reads the step with :func:`reported_step`.

    ``follow``: the key of the chart whose player drives this one (the page's map): the
    figure's frames (named ``"k<step>"``) are shown as that chart's player moves, and the
    figure is drawn without a player of its own (its ``frames`` kept, no controls taken).
    ``step``: the step the figure shows (None: its last frame's).
    """
    layout = fig.layout
    height = layout.get("height") if isinstance(layout, dict) else layout.height
    bundle = bundle_for(trace_types(fig))
    data = {
        "spec": fig.to_json(),
        "src": plotly_src(bundle),
        # a string, like every value here: a dict would make Streamlit test it for a
        # dataframe, importing pandas (~0.5 s on a cold server, before the first chart)
        "config": json.dumps({"displaylogo": False, **plotly_locale(lang), **(config or {})}),
        "height": int(height or 450),
        "clickable": on_click is not None,
        "report_step": on_step is not None,
        "name": key,
    }
    if bundle is not FULL:
        data["prefetch"] = plotly_src(FULL)  # for the 3-D view, once the page is idle
    if follow is not None:
        data["follow"] = follow
        if step is not None:
            data["step"] = int(step)
    if address is not None:
        data["address"] = address
        data["session"] = _session_token()
        data["report_address"] = on_address is not None
    kwargs = {}
    if on_click is not None:
        kwargs["on_click_change"] = on_click
    if on_step is not None:
        kwargs["on_step_change"] = on_step
    if on_address is not None:
        kwargs["on_address_change"] = on_address
    _COMPONENT(key=key, data=data, width="stretch", height="content", **kwargs)


def _session_token() -> str:
    """A random token per server session (the chart tells a new session by it)."""
    return st.session_state.setdefault("_chart_session", uuid.uuid4().hex)


def preload() -> None:
    """Start loading the first screen's plotly.js in the browser now (a hidden, empty
    chart slot)."""
    _COMPONENT(key="optviz_plotly_preload", data={"src": plotly_src()}, height=0)


def _trigger(key: str, name: str):
    """Chart ``key``'s trigger value ``name`` (None when absent)."""
    value = st.session_state.get(key)
    return value.get(name) if isinstance(value, dict) else getattr(value, name, None)


def clicked_point(key: str) -> tuple[float, float] | None:
    """``(x, y)`` of the point just clicked in chart ``key``, or None (inside a callback)."""
    click = _trigger(key, "click")
    if not isinstance(click, dict):
        return None
    try:
        return float(click["x"]), float(click["y"])
    except (KeyError, TypeError, ValueError):
        return None


def reported_step(key: str) -> int | None:
    """The optimizer step at which the user just stopped chart ``key``'s animation, or
    None (inside a callback)."""
    step = _trigger(key, "step")
    if isinstance(step, bool) or not isinstance(step, int | float):
        return None
    return int(step) if step == step and abs(step) < 2**31 else None


def reported_address(key: str) -> str | None:
    """The link (a query string, without "?") chart ``key``'s tab showed before this
    session began, or None (inside a callback)."""
    query = _trigger(key, "address")
    return query if isinstance(query, str) else None
