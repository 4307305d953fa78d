"""neurocircuit.spice: run ngspice and get numpy results.

``simulate(netlist, analysis, backend=None, timeout=60.0, options=None, temperature=None,
cache=None, save=None) -> SimResult``. Nothing here imports PySpice or locates ngspice at
import time: backends are loaded on first use.
"""

from __future__ import annotations

from ..errors import SimulationError
from .analyses import Ac, Dc, Op, Tran
from .result import SimResult
from .simulate import simulate

__all__ = ["simulate", "Op", "Dc", "Tran", "Ac", "SimResult", "SimulationError"]
