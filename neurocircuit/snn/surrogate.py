"""Surrogate derivatives of the spike nonlinearity.

The spike ``o = H(x)`` with ``x = u - θ`` has derivative zero almost everywhere; backward passes
use a surrogate ``∂o/∂u ≈ g(x)``:

- fast sigmoid (SuperSpike): ``g = 1 / (1 + k|x|)²``
- arctan: ``g = 1 / (1 + (π k x)²)``
- sigmoid: ``g = k σ(kx) (1 − σ(kx))``
- triangle: ``g = max(0, 1 − k|x|)``
- Gaussian: ``g = exp(−(kx)² / 2)``

``k`` is the slope (sharpness). Each function returns the value of ``g`` (same dtype as ``x``),
written into ``out`` when given (``out=x`` computes in place).

:data:`PRIMITIVES` holds, for each surrogate, a smooth "spike" ``S(x)`` with ``S′ = g``
(``x/(1+k|x|)``, ``atan(πkx)/(πk)``, ``σ(kx)``, the integrated triangle, ``√(π/2)/k·erf(kx/√2)``).
Running a LIF forward pass with ``S`` instead of ``H`` makes the surrogate backward pass the exact
gradient, which is how the backward passes are checked against finite differences.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["SURROGATES", "PRIMITIVES", "get_surrogate", "fast_sigmoid", "arctan", "sigmoid",
           "triangle", "gaussian"]


def _out(x: Any, out: Any) -> Any:
    return np.empty_like(x) if out is None else out


def fast_sigmoid(x: Any, k: float = 1.0, out: Any = None) -> Any:
    """``1 / (1 + k|x|)²`` (into ``out`` when given; ``out`` may be ``x``)."""
    g = np.abs(x, out=_out(x, out))
    if k != 1.0:
        g *= k
    g += 1.0
    np.reciprocal(g, out=g)
    np.multiply(g, g, out=g)
    return g


def arctan(x: Any, k: float = 1.0, out: Any = None) -> Any:
    """``1 / (1 + (π k x)²)``."""
    g = np.multiply(x, np.pi * k, out=_out(x, out))
    np.multiply(g, g, out=g)
    g += 1.0
    np.reciprocal(g, out=g)
    return g


def _into(val: Any, x: Any, out: Any) -> Any:
    if out is None:
        return val.astype(x.dtype, copy=False)
    out[...] = val
    return out


def sigmoid(x: Any, k: float = 4.0, out: Any = None) -> Any:
    """``k σ(kx)(1 − σ(kx))``."""
    s = 1.0 / (1.0 + np.exp(-k * x))
    return _into(k * s * (1.0 - s), x, out)


def triangle(x: Any, k: float = 1.0, out: Any = None) -> Any:
    """``max(0, 1 − k|x|)``."""
    g = 1.0 - k * np.abs(x)
    np.maximum(g, 0.0, out=g)
    return _into(g, x, out)


def gaussian(x: Any, k: float = 1.0, out: Any = None) -> Any:
    """``exp(−(kx)²/2)``."""
    return _into(np.exp(-0.5 * (k * x) ** 2), x, out)


SURROGATES: dict[str, Callable[..., Any]] = {
    "fast_sigmoid": fast_sigmoid,
    "arctan": arctan,
    "sigmoid": sigmoid,
    "triangle": triangle,
    "gaussian": gaussian,
}


def _p_fast_sigmoid(x: Any, k: float = 1.0) -> Any:
    return x / (1.0 + k * np.abs(x))


def _p_arctan(x: Any, k: float = 1.0) -> Any:
    return np.arctan(np.pi * k * x) / (np.pi * k)


def _p_sigmoid(x: Any, k: float = 4.0) -> Any:
    return 1.0 / (1.0 + np.exp(-k * x))


def _p_triangle(x: Any, k: float = 1.0) -> Any:
    xc = np.clip(x, -1.0 / k, 1.0 / k)
    return xc - 0.5 * k * xc * np.abs(xc)


def _p_gaussian(x: Any, k: float = 1.0) -> Any:
    from scipy.special import erf

    return np.sqrt(np.pi / 2.0) / k * erf(k * x / np.sqrt(2.0))


PRIMITIVES: dict[str, Callable[..., Any]] = {
    "fast_sigmoid": _p_fast_sigmoid,
    "arctan": _p_arctan,
    "sigmoid": _p_sigmoid,
    "triangle": _p_triangle,
    "gaussian": _p_gaussian,
}


def get_surrogate(name: str) -> Callable[..., Any]:
    """The surrogate function called ``name`` (error lists the valid names)."""
    try:
        return SURROGATES[name]
    except KeyError:
        raise ParameterError(
            f"Unknown surrogate {name!r}; valid surrogates are "
            f"{', '.join(map(repr, SURROGATES))}."
        ) from None
