"""Write optviz/data/digits.npz from scikit-learn's copy of the 8×8 digits. Run once.

    pip install scikit-learn && python scripts/make_digits.py

The file holds ``images`` (1797, 64) uint8 pixels in 0..16 and ``labels`` (1797,) uint8,
in scikit-learn's order, compressed with ``np.savez_compressed``. optviz reads it with
NumPy alone, so the page does not depend on scikit-learn. Licence and attribution:
optviz/data/README.md.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUT = Path(__file__).resolve().parents[1] / "optviz" / "data" / "digits.npz"


def digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as exact uint8 arrays: pixels (1797, 64), labels (1797,)."""
    bunch = load_digits()
    images = bunch.data.astype(np.uint8)
    labels = bunch.target.astype(np.uint8)
    if not (np.array_equal(images, bunch.data) and np.array_equal(labels, bunch.target)):
        raise ValueError("scikit-learn's digits are not small integers any more")
    return images, labels


def main() -> None:
    images, labels = digits_arrays()
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes): {images.shape[0]} images")


if __name__ == "__main__":
    main()
