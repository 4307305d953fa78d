"""Array-namespace seam: numpy by default, CuPy when asked.

Every engine function takes an ``xp`` namespace (or infers it from its arrays with
:func:`array_namespace`), so the same code runs on ``numpy`` and on ``cupy``. CuPy is imported
only when requested.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["get_xp", "array_namespace", "to_numpy"]

_BACKENDS = ("numpy", "cupy")


def get_xp(name: str = "numpy") -> Any:
    """Return the array module called ``name``.

    Parameters
    ----------
    name
        ``"numpy"`` (default) or ``"cupy"``.

    Raises
    ------
    ParameterError
        Unknown backend name, or ``"cupy"`` asked for but not importable / no GPU.
    """
    if name == "numpy":
        return np
    if name == "cupy":
        try:
            import cupy  # noqa: PLC0415
        except ImportError as exc:  # pragma: no cover - depends on the machine
            raise ParameterError(
                "The 'cupy' backend needs the CuPy package and a CUDA GPU; CuPy is not "
                f"installed ({exc}). Install cupy-cuda12x (or matching CUDA) or use 'numpy'."
            ) from exc
        try:  # pragma: no cover - needs a GPU
            cupy.cuda.runtime.getDeviceCount()
        except Exception as exc:  # pragma: no cover - needs a GPU
            raise ParameterError(f"The 'cupy' backend found no usable CUDA device: {exc}") from exc
        return cupy  # pragma: no cover
    raise ParameterError(
        f"Unknown array backend {name!r}; valid backends are {', '.join(map(repr, _BACKENDS))}."
    )


def array_namespace(*arrays: Any) -> Any:
    """The namespace of the first CuPy array among ``arrays``, else numpy."""
    for a in arrays:
        mod = type(a).__module__
        if mod.startswith("cupy"):  # pragma: no cover - needs a GPU
            import cupy  # noqa: PLC0415

            return cupy
    return np


def to_numpy(a: Any) -> np.ndarray:
    """Copy ``a`` to host memory as a numpy array (no copy for numpy input)."""
    if hasattr(a, "get") and type(a).__module__.startswith("cupy"):  # pragma: no cover
        return a.get()
    return np.asarray(a)
