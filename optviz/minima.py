"""The minima a run is measured against: the surface's own, or found numerically.

A registry surface lists its exact minimizers (``Surface.minima``). A typed formula's list
is an estimate on its window, and a surface may list none (the saddles): for those the
minima are searched numerically, with the same rule as the formula's estimate
(``surfaces.expression.estimate_minima``: the lowest local minima of a grid, polished with
damped Newton steps on the analytic gradient, kept if f rises all around). A run can end
outside the window (``sin(x)*cos(y)`` has a minimum every 2π), so the search also covers a
window of the same size centred on the run's final point.

Results are cached per surface (its name, window and parameters) and point.
"""

from __future__ import annotations

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


def window_minima(surface) -> np.ndarray:
    """``(M, 2)``: the surface's listed minima, or (none listed) those found on its window."""
    if surface.minima:
        return np.asarray(surface.minima, dtype=np.float64).reshape(-1, 2)
    return _cached(("window", *_identity(surface)), lambda: _search(surface, surface.bounds))


def minima_around(surface, point) -> np.ndarray:
    """``(M, 2)`` minima found in a window of the surface's size centred on ``point``
    (none for a non-finite point)."""
    x, y = (float(v) for v in np.asarray(point, dtype=np.float64).reshape(2))
    if not (np.isfinite(x) and np.isfinite(y)):
        return np.empty((0, 2))
    (x0, x1), (y0, y1) = surface.bounds
    hx, hy = (x1 - x0) / 2, (y1 - y0) / 2
    box = ((x - hx, x + hx), (y - hy, y + hy))
    return _cached(("around", *_identity(surface), x, y), lambda: _search(surface, box))


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
