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
    """Two ``(...)`` components -> one ``(..., 2)`` float64 array (broadcast together)."""
    gx, gy = np.broadcast_arrays(np.asarray(gx, np.float64), np.asarray(gy, np.float64))
    return np.stack((gx, gy), axis=-1)
