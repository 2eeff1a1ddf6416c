"""Shape helpers shared by the surface modules: ``(..., 2)`` in, components out."""

from __future__ import annotations

import numpy as np


def split(xy) -> tuple[np.ndarray, np.ndarray]:
    """``(..., 2)`` array-like -> ``(x, y)``, each ``(...)`` float64."""
    a = np.asarray(xy, dtype=np.float64)
    if a.ndim == 0 or a.shape[-1] != 2:
        raise ValueError(f"points must have shape (..., 2), got {a.shape}")
    return a[..., 0], a[..., 1]


def join(gx, gy) -> np.ndarray:
    """Two ``(...)`` components -> one ``(..., 2)`` float64 array (broadcast together).

    Written into one new array (what ``np.stack`` of the broadcast pair returns, at a
    third of its cost: every optimizer step calls this once through the gradient)."""
    gx, gy = np.asarray(gx, np.float64), np.asarray(gy, np.float64)
    shape = gx.shape if gx.shape == gy.shape else np.broadcast_shapes(gx.shape, gy.shape)
    out = np.empty((*shape, 2))
    out[..., 0] = gx
    out[..., 1] = gy
    return out
