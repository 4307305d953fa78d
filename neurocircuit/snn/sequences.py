"""Sequential (row-by-row) image tasks for recurrent networks.

An image of ``H`` rows × ``W`` columns becomes a sequence of ``H·repeat`` steps whose input at
step ``t`` is row ``t // repeat`` (analog intensities in [0, 1], used as input currents).
"""

from __future__ import annotations

import numpy as np

__all__ = ["rows_as_sequence", "sequential_digits"]


def rows_as_sequence(images: np.ndarray, repeat: int = 1) -> np.ndarray:
    """``(N, H, W)`` → ``(H·repeat, N, W)``."""
    x = np.asarray(images, dtype=np.float64)
    return np.repeat(np.transpose(x, (1, 0, 2)), repeat, axis=0)


def sequential_digits(repeat: int = 1, n_train: int | None = None, n_test: int | None = None):
    """sklearn digits as row sequences: ``(x_train, y_train, x_test, y_test)``, first 1200
    images for training and the rest for testing (deterministic)."""
    from sklearn.datasets import load_digits

    d = load_digits()
    imgs = d.images / 16.0
    y = d.target.astype(np.int64)
    tr, te = slice(0, 1200), slice(1200, None)
    xtr, ytr, xte, yte = imgs[tr], y[tr], imgs[te], y[te]
    if n_train:
        xtr, ytr = xtr[:n_train], ytr[:n_train]
    if n_test:
        xte, yte = xte[:n_test], yte[:n_test]
    return rows_as_sequence(xtr, repeat), ytr, rows_as_sequence(xte, repeat), yte
