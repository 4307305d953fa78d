"""Parametric synapse circuit generators, one module per circuit, and synapse → neuron decks.

Port conventions (every analog synapse draws its biases from ``vdd``, so the supply-current
probe sees its whole consumption):

* ``pre out vdd gnd`` — pulse, log-domain, DPI and CMI-STP synapses: ``pre`` is a digital
  presynaptic pulse (0 → V_dd, active high), ``out`` *sources* the postsynaptic current (into a
  neuron's ``in`` port or a sense node held at a fixed voltage);
* ``pre post out w vdd gnd`` — the STDP synapse: ``post`` is the postsynaptic pulse, ``w`` the
  weight node (port so that it can be probed and initialised);
* ``w vdd gnd`` — the bistable weight-refresh amplifier (with its weight capacitor).

:func:`compose` wires a synapse to any neuron of :mod:`neurocircuit.circuits.neurons`: the
synapse's ``out`` drives the neuron's ``in`` (the current flows into ``in`` exactly like the
neuron testbenches' ``IIN 0 in`` source).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib import import_module

from ...errors import ParameterError
from ..netlist import Netlist

__all__ = ["CATALOG", "SYNAPSE_MODULES", "compose", "synapse_info"]

SYNAPSE_MODULES = ("pulse", "log_domain", "dpi", "cmi_stp", "stdp", "bistable")


def _collect():
    entries = []
    for name in SYNAPSE_MODULES:
        mod = import_module(f"{__name__}.{name}")
        entries.extend(getattr(mod, "CATALOG", ()))
    return tuple(entries)


def __getattr__(name: str):
    if name == "CATALOG":
        return _collect()
    raise AttributeError(name)


def synapse_info(netlist: Netlist) -> tuple[str, tuple[str, ...]]:
    """``(subckt, ports)`` of a synapse (or neuron) netlist from its ``meta``."""
    meta = netlist.meta or {}
    sub = meta.get("subckt")
    if sub is None:
        if len(netlist.subckts) != 1:
            raise ParameterError(
                "The netlist names no subcircuit in meta['subckt'] and holds "
                f"{len(netlist.subckts)} subcircuits; pass a generator's netlist."
            )
        return netlist.subckts[-1].name, netlist.subckts[-1].ports
    ports = tuple(meta.get("ports", ()))
    if not ports:
        ports = next(s.ports for s in netlist.subckts if s.name == sub)
    return str(sub), ports


def compose(
    synapse: Netlist,
    neuron: Netlist,
    pre: str = "pre",
    post: str | None = None,
    syn_name: str = "S",
    neuron_name: str = "N",
    nodes: Mapping[str, str] | None = None,
    ic: Mapping[str, float] | None = None,
) -> Netlist:
    """A deck synapse → neuron: ``X<syn> <pre> in ... vdd 0`` and ``X<neuron> in vmem out vdd 0``.

    The synapse's ``out`` port is wired to the neuron's ``in`` node (current into ``in``).
    For the STDP synapse ``post`` defaults to the neuron's ``out`` (the neuron's spikes are the
    postsynaptic pulses) and ``w`` to node ``w``. ``nodes`` renames any other synapse port.
    Supply and stimulus are left to the caller (a testbench adds ``VDD vdd 0`` and drives
    ``pre``). Internal initial conditions of both circuits (``meta['ic']``) are carried over
    as ``x<name>.<node>``; ``ic`` adds more.

    Raises
    ------
    ParameterError
        If the neuron has no ``in vmem out vdd gnd`` ports or the synapse no ``out`` port.
    """
    s_name, s_ports = synapse_info(synapse)
    n_name, n_ports = synapse_info(neuron)
    if tuple(n_ports[:5]) != ("in", "vmem", "out", "vdd", "gnd"):
        raise ParameterError(
            f"Neuron subcircuit {n_name} has ports {n_ports}; compose needs (in, vmem, out, vdd, "
            "gnd)."
        )
    if "out" not in s_ports:
        raise ParameterError(f"Synapse subcircuit {s_name} has no 'out' port: {s_ports}.")
    wiring = {"pre": pre, "out": "in", "vdd": "vdd", "gnd": "0", "post": post or "out",
              "w": "w"}
    wiring.update(nodes or {})
    syn_nodes: Sequence[str] = [wiring.get(p, p) for p in s_ports]
    lines = [
        f"X{syn_name} {' '.join(syn_nodes)} {s_name}",
        f"X{neuron_name} in vmem out vdd 0 {n_name}",
    ]
    init: dict[str, float] = {}
    for prefix, net in ((syn_name, synapse), (neuron_name, neuron)):
        for node, v in dict((net.meta or {}).get("ic", {})).items():
            init[f"x{prefix.lower()}.{node}"] = float(v)
    init.update(ic or {})
    merged = synapse + neuron
    out = merged.extend(lines=lines, ic=init, title=f"{synapse.title} -> {neuron.title}")
    return Netlist(
        title=out.title,
        lines=out.lines,
        subckts=out.subckts,
        includes=out.includes,
        params=out.params,
        ic=out.ic,
        nodeset=out.nodeset,
        meta={"synapse": dict(synapse.meta), "neuron": dict(neuron.meta), "subckt": None,
              "vdd": (synapse.meta or {}).get("vdd", 1.8)},
    )
