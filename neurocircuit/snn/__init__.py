"""neurocircuit.snn — the vectorised spiking-network engine.

Pure step functions (``neurons``, ``layers``) with a thin stateful layer on top
(``network``, ``spiking``); training by surrogate-gradient BPTT (``bptt``), ReLU-ANN training
and ANN→SNN conversion (``ann``, ``convert``), hybrid fine-tuning (``hybrid``) and TOML-driven
runs (``train``). Arrays are float32 and time-major ``(T, [instance,] batch, ...)``.

The names below are re-exported lazily (module ``__getattr__``): importing this package loads
no submodule; ``from neurocircuit.snn import Sequential`` imports what it needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_LAZY = {
    "get_xp": "backend",
    "LIFParams": "neurons", "IFParams": "neurons", "AdaptiveLIFParams": "neurons",
    "StochasticParams": "neurons",
    "Dense": "layers", "Conv2d": "layers", "AvgPool2d": "layers", "MaxPool2d": "layers",
    "Flatten": "layers",
    "LIF": "spiking", "Readout": "spiking", "RecurrentLIF": "spiking", "Neuron": "spiking",
    "Sequential": "network",
    "ANN": "ann", "ReLU": "ann", "BatchNorm": "ann",
    "convert": "convert", "hybrid": "hybrid",
    "fit": "bptt", "evaluate": "bptt",
    "Adam": "optim", "SGD": "optim",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
