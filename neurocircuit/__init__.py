"""neurocircuit: neuromorphic hardware design, from the transistor to network accuracy.

Importing the package loads only numpy-free core helpers; ngspice, PySpice, matplotlib and
dask are loaded on first use. The short public list::

    from neurocircuit import simulate, Tran, Dc, Op, Ac, SimResult, Netlist
"""

from __future__ import annotations

from importlib import import_module

from .errors import (
    DataError,
    FitError,
    FitWarning,
    NetlistError,
    NeurocircuitError,
    ParameterError,
    SimulationError,
)
from .units import format_si, parse_si

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "NeurocircuitError",
    "ParameterError",
    "NetlistError",
    "SimulationError",
    "FitError",
    "FitWarning",
    "DataError",
    "format_si",
    "parse_si",
    "Netlist",
    "Subckt",
    "simulate",
    "Op",
    "Dc",
    "Tran",
    "Ac",
    "SimResult",
]

_LAZY = {
    "Netlist": "neurocircuit.circuits.netlist",
    "Subckt": "neurocircuit.circuits.netlist",
    "simulate": "neurocircuit.spice",
    "Op": "neurocircuit.spice.analyses",
    "Dc": "neurocircuit.spice.analyses",
    "Tran": "neurocircuit.spice.analyses",
    "Ac": "neurocircuit.spice.analyses",
    "SimResult": "neurocircuit.spice.result",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'neurocircuit' has no attribute {name!r}")
