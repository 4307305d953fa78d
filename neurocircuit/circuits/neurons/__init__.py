"""Parametric neuron circuit generators, one module per circuit.

Every analog neuron is a subcircuit with ports ``in vmem out vdd gnd``: ``in`` takes the input
current, ``vmem`` is the membrane node, ``out`` the spike output, ``vdd``/``gnd`` the supply (all
bias currents are drawn from ``vdd`` so supply-current probes see the whole consumption).
The digital IF neuron has its own ports (see :mod:`.digital_if`).
"""

from __future__ import annotations

from importlib import import_module

__all__ = ["CATALOG", "NEURON_MODULES"]

NEURON_MODULES = (
    "axon_hillock",
    "if_refractory",
    "dpi_neuron",
    "log_domain",
    "tau_cell",
    "quadratic_if",
    "switched_cap_lif",
    "digital_if",
)


def _collect():
    entries = []
    for name in NEURON_MODULES:
        try:
            mod = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:  # module not written yet
            if exc.name == f"{__name__}.{name}":
                continue
            raise
        entries.extend(getattr(mod, "CATALOG", ()))
    return tuple(entries)


def __getattr__(name: str):
    if name == "CATALOG":
        return _collect()
    raise AttributeError(name)
