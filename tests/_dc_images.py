"""W3-style synthetic 28×28 images (150 random pixels of the central 20×20, values 128–255)."""

from __future__ import annotations

import numpy as np


def w3_images(n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    img = np.zeros((n, 28, 28))
    for k in range(n):
        idx = rng.choice(400, 150, replace=False)
        img[k, 4 + idx // 20, 4 + idx % 20] = rng.integers(128, 256, 150)
    return img
