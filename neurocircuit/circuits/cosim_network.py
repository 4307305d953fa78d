r"""A small spiking network as one ngspice deck, for co-simulation against the engine.

``n_in`` spike inputs (digital pulse sources, :func:`~.synapse_testbenches.pulse_pwl`) drive
``n_out`` DPI neurons (:func:`~.neurons.dpi_neuron.dpi_neuron`) through excitatory DPI
synapses (:func:`~.synapses.dpi.dpi_synapse`); the neurons inhibit each other through
inhibitory DPI synapses. Every current is a subthreshold current summed by Kirchhoff's law::

    I_in,j = Σ_k I_syn(k→j)  −  Σ_{l≠j} I_syn(l ⊣ j)        (clipped at 0 by the input mirror)

* **Excitatory synapse** ``k → j`` (weight ``I_w = w_in[k, j]``): ``DPI_SYN pre<k> e<j>``; its
  output pFET sources ``I_syn`` into the neuron's input node through the 0-V sense source
  ``VE<j> e<j> in<j>`` (probe ``i(ve<j>)`` = the summed excitatory current).
* **Inhibitory synapse** ``l ⊣ j`` (``I_w = w_inh[l, j]``): the neuron's spike (``out<l>``,
  a ~10 ns pulse) is stretched by a pulse extender to ``t_pe ≈ C_pe (V_dd − V_dd/2)/I_pe``
  (node ``pe<l>``; as an AER pulse extender) which drives ``DPI_SYN pe<l> h<j>``; the summed
  inhibitory current flows through ``VH<j> h<j> inh<j>`` into an nFET diode whose mirror sinks
  it from ``in<j>`` (probe ``i(vh<j>)``).
* **Pulse extender** ``PULSE_EXT in out``: an inverter on ``in`` lets a pFET charge ``C_pe``
  to ``V_dd`` during the spike; an nFET biased at ``I_pe`` discharges it; two inverters
  restore a digital pulse while ``V_pe > V_dd/2``::

      t_pe ≈ C_pe (V_dd − V_sw)/I_pe,       V_sw ≈ V_dd/2

Each distinct weight gets its own synapse subcircuit (``DPI_SYN_E<k>_<j>``, ``DPI_SYN_I<l>_<j>``)
because the weight current is a bias inside the synapse. Node map: ``pre<k>`` inputs,
``in<j>``/``vmem<j>``/``out<j>`` neuron ``XN<j>``, ``pe<j>`` extended spike. The builder is
pure description (no simulation): :func:`cosim_network` returns a
:class:`~.testbenches.Bench` whose ``meta`` lists the weights, the input spike times and the
probes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..errors import ParameterError
from ..units import param, validate
from .analyses import Tran
from .netlist import Netlist, Subckt, fmt
from .neurons.dpi_neuron import TEILI_DPI, DPINeuronParams, dpi_neuron
from .process import GENERIC_180, Process, mosfet
from .synapse_testbenches import pulse_pwl
from .synapses.dpi import DPISynapseParams, dpi_synapse
from .testbenches import Bench

__all__ = ["PulseExtenderParams", "pulse_extender", "CosimNetworkParams", "cosim_network",
           "COSIM_SYN", "OPTIONS", "extender_testbench"]

COSIM_SYN = DPISynapseParams(i_tau=10e-12, i_th=1e-12, i_w=5e-9)
"""The network's synapse template: τ ≈ 5.4 ms, gain ``I_th/I_τ = 0.1`` and a low ``I_th`` so
that the PSCs (tens of pA) stay in the DPI's linear regime ``I_syn ≫ I_th``; ``I_w`` is set per
connection (a 0.5 ms pulse at ``I_w = 5 nA`` adds ≈ 45 pA)."""


OPTIONS = {"abstol": 1e-16, "gmin": 1e-14, "rshunt": 1e15, "reltol": 1e-4, "vntol": 1e-9,
           "chgtol": 1e-18, "method": "gear", "itl1": 500, "itl4": 100, "gminsteps": 50,
           "srcsteps": 50}
"""The ``subthreshold`` options with ``gmin = 1e-14`` S (10 fA/V): with three neurons held at
``V_mem = 0`` by ``.ic``, gmin stepping to 1e-15 S fails and ngspice falls back to a wrong
transient operating point (every synapse starting near saturation)."""


@dataclass(frozen=True)
class PulseExtenderParams:
    """Pulse extender (see module equations)."""

    c_pe: float = param(0.5e-12, unit="F", doc="extender capacitance C_pe", gt=0, le=1e-9)
    i_pe: float = param(0.9e-9, unit="A", doc="extender discharge current I_pe", gt=0, le=1e-5)
    vdd: float = param(1.8, unit="V", doc="supply voltage V_dd", ge=1.2, le=3.3)

    def __post_init__(self) -> None:
        validate(self)

    @property
    def width_estimate(self) -> float:
        """``t_pe ≈ C_pe (V_dd − V_dd/2)/I_pe`` (s)."""
        return self.c_pe * 0.5 * self.vdd / self.i_pe


def pulse_extender(p: PulseExtenderParams = PulseExtenderParams(),
                   process: Process = GENERIC_180) -> Subckt:
    """The ``PULSE_EXT in out vdd gnd`` subcircuit (see module equations)."""
    def mos(name, d, g, s, b, kind, w, l):
        return mosfet(name, d, g, s, b, kind, w, l, process)

    lines = (
        mos("MI1P", "inb", "in", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MI1N", "inb", "in", "gnd", "gnd", "n", 0.5e-6, 0.18e-6),
        mos("MPC", "x", "inb", "vdd", "vdd", "p", 2e-6, 0.18e-6),
        mos("MPD", "x", "vpe", "gnd", "gnd", "n", 1e-6, 4e-6),
        f"IBPE vdd vpe DC {fmt(p.i_pe)}",
        mos("MBPE", "vpe", "vpe", "gnd", "gnd", "n", 1e-6, 4e-6),
        f"CPE x gnd {fmt(p.c_pe)}",
        mos("MO1P", "xb", "x", "vdd", "vdd", "p", 0.22e-6, 1e-6),
        mos("MO1N", "xb", "x", "gnd", "gnd", "n", 0.22e-6, 1e-6),
        mos("MO2P", "out", "xb", "vdd", "vdd", "p", 1e-6, 0.18e-6),
        mos("MO2N", "out", "xb", "gnd", "gnd", "n", 0.5e-6, 0.18e-6),
    )
    return Subckt("PULSE_EXT", ("in", "out", "vdd", "gnd"), lines,
                  doc="pulse extender: t_pe ~ C_pe (Vdd - Vsw)/I_pe")


@dataclass(frozen=True)
class CosimNetworkParams:
    """The network: sizes, stimulus timing and the shared circuit parameters."""

    neuron: DPINeuronParams = param(TEILI_DPI, doc="parameters of every neuron")
    synapse: DPISynapseParams = param(COSIM_SYN, doc="synapse template (I_w per connection)")
    extender: PulseExtenderParams = param(PulseExtenderParams(), doc="spike pulse extender")
    width: float = param(0.5e-3, unit="s", doc="width of the input spike pulses", gt=0)
    t_stop: float = param(1.0, unit="s", doc="simulated time", gt=0)
    max_step: float = param(6e-6, unit="s", gt=0,
                            doc="largest ngspice time step (5e-5 moved spikes by up to 1.8 ms "
                                "against 6e-6: the neurons cross threshold slowly)")
    w_mirror: float = param(1e-6, unit="m", doc="width of the inhibitory mirror nFETs", gt=0)
    l_mirror: float = param(4e-6, unit="m", doc="length of the inhibitory mirror nFETs", gt=0)

    def __post_init__(self) -> None:
        validate(self)


def _syn_subckt(p: DPISynapseParams, i_w: float, name: str, process: Process) -> Subckt:
    sub = dpi_synapse(replace(p, i_w=float(i_w)), process).subckts[-1]
    return replace(sub, name=name, doc=f"DPI synapse, I_w = {fmt(i_w)}A")


def _check_w(w: np.ndarray, shape: tuple[int, int], what: str) -> np.ndarray:
    w = np.asarray(w, float)
    if w.shape != shape or np.any(~np.isfinite(w)) or np.any(w < 0):
        raise ParameterError(f"The '{what}' weights must be a {shape} array of currents >= 0 A. "
                             f"Got shape {w.shape}.")
    return w


def cosim_network(params: CosimNetworkParams, w_in: Sequence, w_inh: Sequence,
                  input_times: Sequence[Sequence[float]],
                  process: Process = GENERIC_180, options: str | Mapping | None = None) -> Bench:
    """The network deck with its transient and probes (see the module description).

    Parameters
    ----------
    w_in
        ``(n_in, n_out)`` excitatory weight currents ``I_w`` (A; 0: no synapse).
    w_inh
        ``(n_out, n_out)`` inhibitory weight currents (A; the diagonal must be 0).
    input_times
        ``n_in`` lists of input spike (pulse start) times (s).
    options
        Simulator options (default :data:`OPTIONS`).
    """
    p = params
    n_in = len(input_times)
    w_in = np.asarray(w_in, float)
    n_out = w_in.shape[1] if w_in.ndim == 2 else 0
    w_in = _check_w(w_in, (n_in, n_out), "w_in")
    w_inh = _check_w(w_inh, (n_out, n_out), "w_inh")
    if n_out < 1 or np.any(np.diag(w_inh) != 0):
        raise ParameterError("The network needs >= 1 neuron and no self-inhibition.")
    vdd = p.neuron.vdd
    neuron = dpi_neuron(p.neuron, process)
    subckts = list(neuron.subckts)
    lines = [f"VDD vdd 0 DC {fmt(vdd)}", "* spike inputs"]
    for k, times in enumerate(input_times):
        lines.append(f"VPRE{k} pre{k} 0 {pulse_pwl(times, p.width, vdd)}")
    lines.append("* DPI neurons, their excitatory/inhibitory sense sources, inhibitory mirror")
    ic = {}
    for j in range(n_out):
        lines += [f"XN{j} in{j} vmem{j} out{j} vdd 0 {neuron.meta['subckt']}",
                  f"VE{j} e{j} in{j} DC 0"]
        ic[f"vmem{j}"] = 0.0
        if np.any(w_inh[:, j] > 0):
            lines += [f"VH{j} h{j} inh{j} DC 0",
                      mosfet(f"MHD{j}", f"inh{j}", f"inh{j}", "0", "0", "n", p.w_mirror,
                             p.l_mirror, process),
                      mosfet(f"MHM{j}", f"in{j}", f"inh{j}", "0", "0", "n", p.w_mirror,
                             p.l_mirror, process)]
    lines.append("* excitatory synapses input k -> neuron j")
    for k in range(n_in):
        for j in range(n_out):
            if w_in[k, j] > 0:
                sub = _syn_subckt(p.synapse, w_in[k, j], f"DPI_SYN_E{k}_{j}", process)
                subckts.append(sub)
                lines.append(f"XSE{k}_{j} pre{k} e{j} vdd 0 {sub.name}")
                ic[f"xse{k}_{j}.vsyn"] = vdd
    if np.any(w_inh > 0):
        ext = pulse_extender(p.extender, process)
        subckts.append(ext)
        lines.append("* spike pulse extenders and inhibitory synapses neuron l -| neuron j")
        for j in range(n_out):
            if np.any(w_inh[j] > 0):
                lines.append(f"XPE{j} out{j} pe{j} vdd 0 {ext.name}")
        for lo in range(n_out):
            for j in range(n_out):
                if w_inh[lo, j] > 0:
                    sub = _syn_subckt(p.synapse, w_inh[lo, j], f"DPI_SYN_I{lo}_{j}", process)
                    subckts.append(sub)
                    lines.append(f"XSI{lo}_{j} pe{lo} h{j} vdd 0 {sub.name}")
                    ic[f"xsi{lo}_{j}.vsyn"] = vdd
    net = Netlist(title=f"co-simulation network: {n_in} inputs, {n_out} DPI neurons",
                  lines=tuple(lines), subckts=tuple(subckts), includes=neuron.includes,
                  ic=tuple(ic.items()))
    probes = {f"out{j}": f"v(out{j})" for j in range(n_out)}
    probes.update({f"vmem{j}": f"v(vmem{j})" for j in range(n_out)})
    probes.update({f"exc{j}": f"i(ve{j})" for j in range(n_out)})
    probes.update({f"inh{j}": f"i(vh{j})" for j in range(n_out) if np.any(w_inh[:, j] > 0)})
    probes.update({f"pe{j}": f"v(pe{j})" for j in range(n_out) if np.any(w_inh[j] > 0)})
    probes["supply"] = "i(vdd)"
    analysis = Tran(step=min(p.max_step, p.t_stop / 1000.0), stop=p.t_stop, max_step=p.max_step)
    meta = {"kind": "cosim_network", "n_in": n_in, "n_out": n_out, "w_in": w_in.tolist(),
            "w_inh": w_inh.tolist(), "width": p.width,
            "input_times": [[float(t) for t in np.sort(np.asarray(ts, float))]
                            for ts in input_times]}
    return Bench(netlist=net, analysis=analysis, vdd=vdd, probes=probes,
                 options=OPTIONS if options is None else options, meta=meta)


def extender_testbench(params: CosimNetworkParams, times: Sequence[float],
                       t_stop: float, process: Process = GENERIC_180) -> Bench:
    """The pulse extender alone, driven by ``10 ns`` spikes at ``times`` (as a neuron's
    ``out``): measures ``t_pe`` for the engine's inhibitory pulses. Probe ``pe``."""
    vdd = params.neuron.vdd
    ext = pulse_extender(params.extender, process)
    lines = (f"VDD vdd 0 DC {fmt(vdd)}", f"VSPK spk 0 {pulse_pwl(times, 10e-9, vdd, 1e-9)}",
             f"XPE spk pe vdd 0 {ext.name}", "CLOAD pe 0 10f")
    net = Netlist(title="pulse extender testbench", lines=lines, subckts=(ext,),
                  includes=(process.include(),))
    ms = min(params.max_step, t_stop / 1000.0)
    return Bench(netlist=net, analysis=Tran(step=ms, stop=t_stop, max_step=ms), vdd=vdd,
                 probes={"pe": "v(pe)", "spk": "v(spk)"}, options=OPTIONS,
                 meta={"kind": "extender", "times": [float(t) for t in times]})
