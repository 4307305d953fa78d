"""Finite-difference helpers for the SNN gradient tests (float64, central differences)."""

from __future__ import annotations

import numpy as np


def rel_err(a, b) -> float:
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    den = max(np.linalg.norm(a) + np.linalg.norm(b), 1e-12)
    return float(np.linalg.norm(a - b) / den)


def fd_grad(f, p: np.ndarray, eps: float = 1e-6, max_entries: int = 40, seed: int = 0):
    """Central-difference gradient of scalar ``f()`` w.r.t. array ``p`` (modified in place).

    Returns ``(indices, numeric)`` for at most ``max_entries`` entries (random subset).
    """
    flat = p.reshape(-1)
    n = flat.size
    idx = np.arange(n) if n <= max_entries else np.random.default_rng(seed).choice(
        n, max_entries, replace=False)
    out = np.empty(len(idx))
    for k, i in enumerate(idx):
        old = flat[i]
        flat[i] = old + eps
        fp = f()
        flat[i] = old - eps
        fm = f()
        flat[i] = old
        out[k] = (fp - fm) / (2 * eps)
    return idx, out
