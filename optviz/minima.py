"""The minima a run is measured against: the surface's own, or found numerically.

A registry surface lists its exact minimizers (``Surface.minima``). A typed formula's list
is an estimate on its window, and a surface may list none (the saddles): for those the
minima are searched numerically, with the same rule as the formula's estimate
(``surfaces.expression.estimate_minima``: the lowest local minima of a grid, polished with
damped Newton steps on the analytic gradient, kept if f rises all around). A run can end
outside the window (``sin(x)*cos(y)`` has a minimum every 2π), so the search also covers a
window of the same size centred on the run's final point.

That window is searched as the tiles it overlaps: copies of the surface's window shifted by
whole widths and heights (tile (0, 0) is the window itself), each searched once and cached
per surface (its name, window and parameters), so runs ending near each other (every start
move of a class on one link) share the searches; the minima inside the centred window are
kept.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from surfaces import base
from surfaces.expression import estimate_minima

SEARCH_GRID = 101
"""Grid side of a numerical search (the lowest local minima of the grid get polished)."""


def has_exact_minima(surface) -> bool:
    """True when ``surface.minima`` is the surface's exact list (a registry surface that
    lists some); a typed formula's list is an estimate on its window."""
    return surface.name != "formula" and bool(surface.minima)


def _search(surface, bounds) -> np.ndarray:
    """``(M, 2)`` isolated minima inside ``bounds`` (M ≤ 8), lowest first."""
    _, _, zs = base.grid(surface, SEARCH_GRID, bounds)
    if not np.isfinite(zs).any():
        return np.empty((0, 2))
    with np.errstate(all="ignore"):
        found = estimate_minima(surface.f, surface.grad, bounds, zs).minima
    return np.asarray(found, dtype=np.float64).reshape(-1, 2)


def _interior_local_minimum(zs: np.ndarray) -> bool:
    """Whether some grid point off the grid's border is finite and ≤ its 8 neighbours."""
    z = np.where(np.isfinite(zs), zs, np.inf)
    centre = z[1:-1, 1:-1]
    local = np.isfinite(centre)
    n0, n1 = centre.shape
    for dj in (-1, 0, 1):
        for di in (-1, 0, 1):
            if dj or di:
                local &= centre <= z[1 + dj : 1 + dj + n0, 1 + di : 1 + di + n1]
    return bool(local.any())


def _search_tile(surface, tile) -> np.ndarray:
    """``(M, 2)`` isolated minima inside ``tile``: the search of :func:`_search` on the tile
    grown by two grid spacings on every side (a minimum inside it then lies off the grid's
    border), kept inside the tile; nothing when no grid point off the border is a local
    minimum (f falls towards the edges, as on a saddle: nothing inside to polish)."""
    (a0, a1), (b0, b1) = tile
    mx, my = 2 * (a1 - a0) / (SEARCH_GRID - 1), 2 * (b1 - b0) / (SEARCH_GRID - 1)
    box = ((a0 - mx, a1 + mx), (b0 - my, b1 + my))
    _, _, zs = base.grid(surface, SEARCH_GRID, box)
    if not np.isfinite(zs).any() or not _interior_local_minimum(zs):
        return np.empty((0, 2))
    with np.errstate(all="ignore"):
        found = estimate_minima(surface.f, surface.grad, box, zs).minima
    found = np.asarray(found, dtype=np.float64).reshape(-1, 2)
    slack = 1e-9 * np.array([a1 - a0, b1 - b0])
    lo, hi = np.array([a0, b0]) - slack, np.array([a1, b1]) + slack
    return found[np.all((found >= lo) & (found <= hi), axis=1)]


def _identity(surface) -> tuple:
    """What tells two equal surfaces apart from other ones (name, window, parameters)."""
    params = tuple(sorted((str(k), repr(v)) for k, v in (surface.params or {}).items()))
    return surface.name, surface.bounds, params


_cache: dict[tuple, np.ndarray] = {}
_cache_lock = threading.Lock()  # the page's sessions run in threads
_CACHE_SIZE = 256


def _cached(key: tuple, compute) -> np.ndarray:
    """``compute()`` once per key (the oldest of :data:`_CACHE_SIZE` entries dropped)."""
    with _cache_lock:
        found = _cache.get(key)
    if found is not None:
        return found
    value = compute()
    value.setflags(write=False)  # shared between callers
    with _cache_lock:
        if len(_cache) >= _CACHE_SIZE:
            _cache.pop(next(iter(_cache)))
        _cache[key] = value
    return value


def _tile_minima(surface, i: int, j: int) -> np.ndarray:
    """``(M, 2)`` minima found in tile ``(i, j)``: the surface's window shifted by ``i``
    widths and ``j`` heights (cached; tile (0, 0) is the window itself, searched as
    :func:`window_minima` has it, the others by :func:`_search_tile`)."""
    (x0, x1), (y0, y1) = surface.bounds
    if i == 0 and j == 0:
        return _cached(("window", *_identity(surface)), lambda: _search(surface, surface.bounds))
    wx, wy = x1 - x0, y1 - y0
    tile = ((x0 + i * wx, x1 + i * wx), (y0 + j * wy, y1 + j * wy))
    return _cached(("tile", *_identity(surface), i, j), lambda: _search_tile(surface, tile))


def window_minima(surface) -> np.ndarray:
    """``(M, 2)``: the surface's listed minima, or (none listed) those found on its window."""
    if surface.minima:
        return np.asarray(surface.minima, dtype=np.float64).reshape(-1, 2)
    return _tile_minima(surface, 0, 0)


def _tiles(lo: float, hi: float, origin: float, width: float) -> range:
    """Indices of the tiles ``[origin + i·width, origin + (i+1)·width]`` that meet
    ``[lo, hi]``."""
    return range(math.floor((lo - origin) / width), math.floor((hi - origin) / width) + 1)


def minima_around(surface, point) -> np.ndarray:
    """``(M, 2)`` minima found in a window of the surface's size centred on ``point``
    (none for a non-finite point): those of the tiles the window overlaps
    (:func:`_tile_minima`) that lie inside it."""
    x, y = (float(v) for v in np.asarray(point, dtype=np.float64).reshape(2))
    if not (np.isfinite(x) and np.isfinite(y)):
        return np.empty((0, 2))
    (x0, x1), (y0, y1) = surface.bounds
    wx, wy = x1 - x0, y1 - y0
    lo, hi = np.array([x - wx / 2, y - wy / 2]), np.array([x + wx / 2, y + wy / 2])
    found = [
        _tile_minima(surface, i, j)
        for i in _tiles(lo[0], hi[0], x0, wx)
        for j in _tiles(lo[1], hi[1], y0, wy)
    ]
    points = np.concatenate(found).reshape(-1, 2)
    slack = 1e-9 * np.array([wx, wy])
    inside = np.all((points >= lo - slack) & (points <= hi + slack), axis=1)
    return points[inside]


def reference_minima(surface, final_point) -> np.ndarray:
    """``(M, 2)`` the minima a run ending at ``final_point`` is measured against: the exact
    list where the surface has one; otherwise the window's minima and those around the
    final point (duplicates within 1e-6 of the window's size dropped)."""
    if has_exact_minima(surface):
        return window_minima(surface)
    found = np.concatenate([window_minima(surface), minima_around(surface, final_point)])
    (x0, x1), (y0, y1) = surface.bounds
    close = 1e-6 * np.hypot(x1 - x0, y1 - y0)
    kept: list[np.ndarray] = []
    for p in found:
        if all(np.hypot(*(p - q)) > close for q in kept):
            kept.append(p)
    return np.asarray(kept, dtype=np.float64).reshape(-1, 2)
