"""Small helpers shared by the compact neuron models (array coercion, positivity checks)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["INF", "_arr", "_check_positive"]

INF = float("inf")


def _arr(x: Any) -> np.ndarray:
    return np.asarray(x, dtype=float)


def _check_positive(obj: Any, names: tuple[str, ...], allow_inf: tuple[str, ...] = ()) -> None:
    for n in names:
        v = _arr(getattr(obj, n))
        ok = (v > 0) & (np.isfinite(v) | (n in allow_inf))
        if not np.all(ok):
            raise ParameterError(
                f"The '{n}' parameter of {type(obj).__name__} must be > 0"
                f"{' (inf allowed)' if n in allow_inf else ' and finite'}. Got {v!r} instead."
            )
