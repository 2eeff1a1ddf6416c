"""Real browser: one step k in every view. A link with ``step=`` opens the map, the
data-fitting view, the 3-D view, the step inspector and the link itself on the same step;
after the map's player moves (one frame forward) or the step slider moves, they agree
again; the 3-D view has no player of its own and keeps the camera the user turned.

The expected positions come from the optimizers themselves (:func:`optviz.run` on the same
surface, start and settings as the link), not from the page."""

from __future__ import annotations

import numpy as np
import pytest

from optviz import OPTIMIZERS, run
from optviz.drawing.figures import frame_steps
from surfaces import SURFACES

pytestmark = pytest.mark.browser

PLOT = ".js-plotly-plot"
LINE = SURFACES["linear_regression"]
STEPS = 300
K = 5  # not one of the map's usual frames (frame_steps(300) jumps from 4 to 6)
RUNS = (("sgd", 0.05), ("adam", 0.1))
QUERY = (
    f"?surface=linear_regression&steps={STEPS}&r1=sgd&r1.lr=0.05&r2=adam&r2.lr=0.1&3d=1&step={K}"
)

VIEWS = """() => {
  const plots = [...document.querySelectorAll('.js-plotly-plot')];
  const named = (g, name) => (g._fullData || []).find(d => d.name === name);
  const map = plots.find(g => !g._fullLayout.scene && named(g, 'current'));
  const fit = plots.find(g => (g._fullData || []).some(d => String(d.name).startsWith('least')));
  const s3d = plots.find(g => g._fullLayout && g._fullLayout.scene);
  const out = {};
  if (map) {
    const bar = map.parentElement.parentElement.querySelector('.optviz-anim-label');
    const cur = named(map, 'current');
    out.map = {label: bar && bar.textContent, step: map.dataset.step,
      points: Array.from(cur.x).map((x, i) => [x, cur.y[i]])};
  }
  if (fit) {
    out.fit = {step: fit.dataset.step, lines: fit._fullData
      .filter(d => /^[0-9]+ · /.test(String(d.name)))
      .map(d => [Array.from(d.x), Array.from(d.y)])};
  }
  if (s3d) {
    const cur = named(s3d, 'current');
    const size = Array.from(cur.marker.size);
    const at = size.map((s, i) => s > 0 ? i : -1).filter(i => i >= 0);
    out.s3d = {step: s3d.dataset.step, points: at.map(i => [cur.x[i], cur.y[i]]),
      camera: s3d._fullLayout.scene.camera.eye,
      controls: !!s3d.parentElement.parentElement.querySelector('.optviz-anim')};
  }
  const heads = [...document.querySelectorAll('h4')].map(h => h.textContent);
  out.inspector = heads.find(h => h.startsWith('Step inspector')) || null;
  out.search = location.search;
  return out;
}"""
"""What each view shows: the map's step label and its markers, the fit view's run lines,
the 3-D view's markers (points with a non-zero marker size) and camera, the inspector's
heading, the address bar's query."""


def reference() -> list[np.ndarray]:
    """Each run's ``(T+1, 2)`` path, computed here."""
    return [run(LINE, OPTIMIZERS[name](lr=lr), LINE.start, STEPS).points[:, 0] for name, lr in RUNS]


def assert_all_at(views: dict, k: int, paths: list[np.ndarray]) -> None:
    """Every view shows step k: labels and headings say k, markers sit at θ_k, each fit
    line is y = w_k·x + b_k, the link says step=k."""
    theta = np.array([p[k] for p in paths])
    tol = 2e-3 * (1 + np.abs(theta))  # the charts round to 4 significant digits of the window
    assert views["map"]["label"].strip() == f"step {k}"
    np.testing.assert_allclose(views["map"]["points"], theta, atol=tol.max())
    assert views["inspector"] == f"Step inspector (k = {k})"
    assert f"step={k}" in views["search"].split("&") or views["search"].endswith(f"step={k}")
    lines = views["fit"]["lines"]
    assert len(lines) == len(paths)
    for (xs, ys), (w, b) in zip(lines, theta, strict=True):
        np.testing.assert_allclose(ys, w * np.asarray(xs) + b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(views["s3d"]["points"], theta, atol=tol.max())
    assert views["fit"]["step"] == views["s3d"]["step"] == views["map"]["step"] == str(k)


def settled(page, k: int) -> dict:
    """The views once every chart shows step k and the inspector says so."""
    page.wait_for_function(
        """k => {
          const plots = [...document.querySelectorAll('.js-plotly-plot')];
          const h = [...document.querySelectorAll('h4')].some(
            h => h.textContent === `Step inspector (k = ${k})`);
          return h && plots.length >= 4 && plots.filter(g => g.dataset.step !== undefined)
            .every(g => g.dataset.step === String(k));
        }""",
        arg=k,
        timeout=60_000,
    )
    page.wait_for_timeout(500)
    return page.evaluate(VIEWS)


def test_a_link_with_step_opens_every_view_on_that_step_and_they_move_together(
    browser, served_app, artifacts
):
    assert K not in frame_steps(STEPS)
    paths = reference()
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(served_app + QUERY)
    page.wait_for_function(
        "[...document.querySelectorAll('.js-plotly-plot')].some(g => g._fullLayout"
        " && g._fullLayout.scene)",
        timeout=120_000,
    )
    views = settled(page, K)
    assert_all_at(views, K, paths)
    assert not views["s3d"]["controls"]  # no player of its own: the map's drives it
    page.screenshot(path=str(artifacts / "steps_link.png"), full_page=True)

    # turn the 3-D view with the mouse: its camera must survive every step change below
    page.evaluate(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".find(g => g._fullLayout.scene).setAttribute('data-test-scene', '')"
    )
    s3d = page.locator(f"{PLOT}[data-test-scene]")
    s3d.scroll_into_view_if_needed()
    box = s3d.bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx + 120, cy + 40, steps=8)
    page.mouse.up()
    page.wait_for_timeout(500)
    turned = page.evaluate(VIEWS)["s3d"]["camera"]
    assert turned != views["s3d"]["camera"]

    # the map's player: one frame forward. The other charts follow in the browser, then
    # the page hears of the step (inspector, link) and every figure is built at it.
    forward = page.locator(".optviz-anim [data-act=forward]").first
    forward.scroll_into_view_if_needed()
    forward.click()
    k2 = int(frame_steps(STEPS)[np.searchsorted(frame_steps(STEPS), K, side="right")])
    views = settled(page, k2)
    assert_all_at(views, k2, paths)
    assert views["s3d"]["camera"] == pytest.approx(turned)

    # the step slider (under the map): one step on, to a step that is no usual frame
    k3 = k2 + 1
    assert k3 not in frame_steps(STEPS)
    slider = page.get_by_role("slider", name="Inspect step k")
    slider.focus()
    slider.press("ArrowRight")
    views = settled(page, k3)
    assert_all_at(views, k3, paths)
    assert views["s3d"]["camera"] == pytest.approx(turned)
    page.screenshot(path=str(artifacts / "steps_moved.png"), full_page=True)
    assert not errors, errors
    page.close()
