"""Co-simulation check (issue #9 item 6): DPI network and crossbar layer, ngspice vs engine."""

import numpy as np
import pytest

from neurocircuit.calibrate.neuron_models import CurrentModeParams
from neurocircuit.calibrate.synapse_models import ExpSynapseParams, exp_synapse_trace
from neurocircuit.circuits.cosim_network import (
    CosimNetworkParams,
    PulseExtenderParams,
    cosim_network,
)
from neurocircuit.errors import ParameterError
from neurocircuit.evaluate import cosim as cs

MODEL = CurrentModeParams(tau=8e-3, i_gain=1e-9, x_th=0.01, x_reset=3e-4, x_p=0.01,
                          t_ref=1e-3, tau_ahp=0.04, b_ahp=1.0)
KERNEL = {"i_w": 5e-9, "tau": 5e-3, "i_inf": 4e-10}


def test_network_deck_is_deterministic_and_complete():
    net = cs.default_network(t_stop=0.2, seed=1)
    b = cosim_network(net["params"], net["w_in"], net["w_inh"], net["input_times"])
    text = b.text()
    assert text == cosim_network(net["params"], net["w_in"], net["w_inh"],
                                 net["input_times"]).text()
    lines = text.splitlines()
    assert sum(ln.startswith("XSE") for ln in lines) == np.count_nonzero(net["w_in"]) == 6
    assert sum(ln.startswith("XSI") for ln in lines) == np.count_nonzero(net["w_inh"]) == 4
    assert sum(ln.startswith("XN") for ln in lines) == 3
    assert sum(ln.startswith("XPE") for ln in lines) == 3
    assert sum(ln.startswith("MHM") for ln in lines) == 3  # every neuron is inhibited
    # one synapse subcircuit per weight, with that weight's bias current
    assert ".subckt DPI_SYN_E1_0 pre out vdd gnd" in text and "IBW vdd vwb DC 8n" in text
    assert "XSI1_2 pe1 h2 vdd 0 DPI_SYN_I1_2" in text
    assert ".ic v(vmem0)=0" in text and "v(xsi2_1.vsyn)=1.8" in text
    assert b.options["gmin"] == 1e-14
    assert set(b.probes) >= {"out0", "exc2", "inh1", "pe0"}


def test_network_deck_rejects_bad_weights():
    p = CosimNetworkParams(t_stop=0.1)
    with pytest.raises(ParameterError, match="self-inhibition"):
        cosim_network(p, [[1e-9]], [[1e-9]], [[0.01]])
    with pytest.raises(ParameterError, match="w_inh"):
        cosim_network(p, [[1e-9, 1e-9]], [[0.0]], [[0.01]])
    with pytest.raises(ParameterError, match="w_in"):
        cosim_network(p, [[-1e-9]], [[0.0]], [[0.01]])
    assert PulseExtenderParams().width_estimate == pytest.approx(0.5e-3, rel=0.01)


def test_engine_network_inhibition_kernel_and_effect():
    t_stop, width, t_pe = 0.3, 0.5e-3, 1e-3
    times = [np.arange(0.01, t_stop, 0.013), np.arange(0.012, t_stop, 0.011)]
    w_in = np.array([[20e-9, 0.0], [0.0, 20e-9]])
    g_in = cs.kernel_table([KERNEL], w_in)
    assert g_in[0, 0] == pytest.approx(4e-10 * 4, rel=1e-12) and g_in[0, 1] == 0
    g_inh = cs.kernel_table([KERNEL], np.array([[0, 15e-9], [15e-9, 0]]))
    free = cs.engine_network(MODEL, 5e-3, g_in, np.zeros((2, 2)), times, t_stop, width, t_pe)
    inh = cs.engine_network(MODEL, 5e-3, g_in, g_inh, times, t_stop, width, t_pe)
    # the excitatory drive does not depend on the inhibition
    np.testing.assert_allclose(free["exc"], inh["exc"], rtol=0, atol=0)
    n_free = [s.size for s in free["spikes"]]
    n_inh = [s.size for s in inh["spikes"]]
    assert min(n_free) > 10 and all(a < b for a, b in zip(n_inh, n_free))
    assert not free["inh"].any()
    # one isolated extended pulse: I = I_∞ (w/W_ref)(1 − e^{−t_pe/τ}) at its end
    s0 = inh["spikes"][0][0]
    k = int(round((s0 + t_pe) / 2e-5)) + 1
    peak = 4e-10 * 3 * (1 - np.exp(-t_pe / KERNEL["tau"]))
    assert inh["inh"][1, k] == pytest.approx(peak, rel=0.05)
    assert inh["inh"][1, k + 50] < inh["inh"][1, k]  # then it decays


def test_engine_network_power_law_kernels():
    # a kernel's exponent p scales I_∞ as (I_w/I_w,fit)^p and shapes each synapse's current
    kern = {**KERNEL, "power": 0.9}
    w_in = np.array([[10e-9, 5e-9]])
    g_in = cs.kernel_table([kern], w_in)
    assert g_in[0, 0] == pytest.approx(4e-10 * 2 ** 0.9, rel=1e-12)
    assert g_in[0, 1] == pytest.approx(4e-10, rel=1e-12)
    p_in = cs.kernel_table([kern], w_in, "power")
    np.testing.assert_array_equal(p_in, [[0.9, 0.9]])
    times = [np.arange(0.01, 0.1, 0.004)]
    run = cs.engine_network(MODEL, 5e-3, g_in, np.zeros((2, 2)), times, 0.1, 0.5e-3, 1e-3,
                            power=([[0.9, 0.9]], np.zeros((2, 2))))
    trace = exp_synapse_trace(ExpSynapseParams(tau=5e-3, i_inf=4e-10, width=0.5e-3,
                                               power=0.9), run["t"], times[0])
    np.testing.assert_allclose(run["exc"][1], trace, rtol=1e-9, atol=1e-20)


@pytest.mark.ngspice
@pytest.mark.slow
def test_crossbar_layer_with_neurons_matches_ngspice():
    res = cs.crossbar_layer(rows=8, cols=3, phase=0.04, n_phases=2, model=MODEL)
    assert res["ideal_vg_max_rel_dev"] > 1e-3  # the wires matter
    assert res["current_max_rel_err"] < 0.01
    assert np.asarray(res["rate_spice_hz"]).min() > 0  # the columns drive the neurons


@pytest.mark.ngspice
@pytest.mark.slow
def test_cosim_network_matches_engine(tmp_path):
    # the targets, per neuron: Γ >= 0.8 (±2 ms) and rates within 10 %. Measured
    # 2026-11-29 (seed 0, ngspice step 6 µs): Γ 0.96 / 1.00 / 1.00 with the power-law kernels
    # (p 0.88-0.94); the linear kernels gave 0.68 / 0.88 / 1.00
    out = cs.run_cosim(tmp_path, t_stop=1.0, crossbar=False)
    net = out["network"]
    assert (tmp_path / "cosim.json").exists() and (tmp_path / "cosim.png").exists()
    assert max(k["heldout_nrmse"] for k in net["kernels"]) < 0.01
    assert all(0.8 < k["power"] < 1.0 for k in net["kernels"])  # κ_p/κ_n ≈ 0.94
    assert max(net["exc_current_nrmse"]) < 0.02
    assert min(net["rate_spice_hz"]) > 10
    assert max(net["rate_rel_err"]) <= 0.10
    assert min(net["gamma"]) >= 0.8
    assert out["pass"]["network"]
