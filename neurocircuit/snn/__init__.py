"""neurocircuit.snn — the vectorised spiking-network engine.

Pure step functions (``neurons``, ``layers``) with a thin stateful layer on top
(``network``); training by surrogate-gradient BPTT (``bptt``), ReLU-ANN training and ANN→SNN
conversion (``ann``, ``convert``), hybrid fine-tuning (``hybrid``) and TOML-driven runs
(``train``). Arrays are float32 and time-major ``(T, [instance,] batch, ...)``. Submodules are
imported on demand; importing this package loads numpy only.
"""

from __future__ import annotations

__all__ = ["get_xp"]


def get_xp(name: str = "numpy"):
    """Array namespace by name (see :func:`neurocircuit.snn.backend.get_xp`)."""
    from .backend import get_xp as _get_xp

    return _get_xp(name)
