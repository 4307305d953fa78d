"""Fixed-point digital neurons (bit-exact with the digital-if update rule and its XSPICE
circuit, on the instance axis) and membrane-potential quantisation of analog chip neurons."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurocircuit.circuits.neurons import digital_if as dig
from neurocircuit.errors import ParameterError
from neurocircuit.hardware import fixedpoint
from neurocircuit.snn.layers import Dense
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.spiking import LIF, Neuron


def engine_digital(p: dig.DigitalIFParams, bits: np.ndarray, **over):
    """The circuit's two weighted inputs as a Dense layer into the engine's digital neuron."""
    fp = fixedpoint.FixedPointParams.from_circuit(p)
    fp = dataclasses.replace(fp, **over)
    net = Sequential([Dense(2, 1, weight=[[p.w0, p.w1]], bias=False), Neuron(fp)], (2,))
    res = net.forward(np.asarray(bits, np.float32)[:, None, :], record=("spikes", "v"))
    return res.membrane[1][:, 0, 0].astype(int), res.spikes[1][:, 0, 0].astype(int)


CASES = [
    dig.DigitalIFParams(n_bits=5, w0=9, w1=-7, leak=1, theta=12, v_reset=0),
    dig.DigitalIFParams(mode="subtract", refractory=2, v_reset=3, w0=7, w1=-2, theta=15),
    dig.DigitalIFParams(n_bits=6, w0=13, w1=-11, leak=2, theta=9, v_reset=-4, refractory=1),
]


@pytest.mark.parametrize("p", CASES)
def test_engine_neuron_equals_update_rule(p):
    rng = np.random.default_rng(11)
    bits = (rng.random((2000, 2)) < [0.4, 0.45]).astype(int)
    bits[900:1000] = 0   # a quiet stretch: the leak walks V down (and wraps at 5 bits)
    v_ref, s_ref = dig.reference(p, bits)
    v, s = engine_digital(p, bits)
    np.testing.assert_array_equal(v, v_ref)
    np.testing.assert_array_equal(s, s_ref)
    assert s_ref.sum() > 20


def test_wrap_really_happens_and_saturate_differs():
    p = CASES[0]
    rng = np.random.default_rng(2024)
    bits = (rng.random((1000, 2)) < [0.35, 0.45]).astype(int)
    bits[600:700] = 0
    v_ref, s_ref = dig.reference(p, bits)
    v_prev = np.concatenate([[0], v_ref[:-1]])
    unwrapped = v_prev + p.w0 * bits[:, 0] + p.w1 * bits[:, 1] - p.leak
    assert np.any((unwrapped < -16) & (s_ref == 0))   # wraps downwards in the quiet stretch
    v, s = engine_digital(p, bits)
    np.testing.assert_array_equal(v, v_ref)
    v_sat, _ = engine_digital(p, bits, overflow="saturate")
    assert v_sat.min() == -16 and v_sat.max() <= 15
    assert np.any(v_sat != v_ref)


def test_instance_axis_per_chip_thresholds_and_leaks():
    """N neurons with their own θ and λ in one call equal N runs of the update rule."""
    rng = np.random.default_rng(5)
    n_chips, ticks = 6, 400
    thetas = rng.integers(5, 30, n_chips)
    leaks = rng.integers(0, 3, n_chips)
    fp = fixedpoint.FixedPointParams(n_bits=7, theta=thetas.reshape(-1, 1, 1),
                                     leak=leaks.reshape(-1, 1, 1), mode="reset", refractory=1)
    net = Sequential([Dense(2, 1, weight=[[6, -4]], bias=False), Neuron(fp)], (2,))
    bits = (rng.random((ticks, n_chips, 1, 2)) < 0.5).astype(np.float32)
    res = net.forward(bits, record=("spikes", "v"))
    for k in range(n_chips):
        p = dig.DigitalIFParams(n_bits=7, w0=6, w1=-4, leak=int(leaks[k]),
                                theta=int(thetas[k]), refractory=1)
        v_ref, s_ref = dig.reference(p, bits[:, k, 0].astype(int))
        np.testing.assert_array_equal(res.membrane[1][:, k, 0, 0].astype(int), v_ref)
        np.testing.assert_array_equal(res.spikes[1][:, k, 0, 0].astype(int), s_ref)


def test_unsigned_register_wraps_to_zero():
    fp = fixedpoint.FixedPointParams(n_bits=4, theta=15, signed=False)  # never fires: 15 max
    state = fixedpoint.fixedpoint_init(fp, (1,))
    vs = []
    for _ in range(6):
        _, state = fixedpoint.fixedpoint_step(state, np.array([4.0]), fp)
        vs.append(int(state.v[0]))
    assert vs == [4, 8, 12, 0, 4, 8]


def test_fixedpoint_params_validated():
    with pytest.raises(ParameterError, match="theta.*<= 15 LSB"):
        fixedpoint.FixedPointParams(n_bits=5, theta=16)
    with pytest.raises(ParameterError, match="v_reset"):
        fixedpoint.FixedPointParams(n_bits=4, theta=5, v_reset=9)
    with pytest.raises(ParameterError, match="integer"):
        fixedpoint.FixedPointParams(theta=2.5)
    with pytest.raises(ParameterError, match="overflow"):
        fixedpoint.FixedPointParams(overflow="clamp")


def digital_run(p, bits, f_clk=1e6):
    from neurocircuit.circuits import testbenches as tb
    from neurocircuit.evaluate.characterize_neurons import simulate_bench

    bench = tb.clocked_digital(dig.digital_if(p), bits, f_clk)
    res = simulate_bench(bench, cache=False)
    ts = (np.arange(bits.shape[0]) + 1.5) / f_clk
    q = np.array([np.interp(ts, res.axis, res[tb.internal_node(f"q{k}a")]) > 0.5 * p.vdd
                  for k in range(p.n_bits)], dtype=int)
    raw = (q * (1 << np.arange(p.n_bits))[:, None]).sum(axis=0)
    v = np.array([dig.to_signed(int(x), p.n_bits) for x in raw])
    spikes = (np.interp(ts, res.axis, res["v(out)"]) > 0.5 * p.vdd).astype(int)
    return v, spikes


@pytest.mark.ngspice
@pytest.mark.parametrize("case", [0, 2])
def test_engine_neuron_bit_exact_with_xspice_circuit(case):
    p = CASES[case]
    rng = np.random.default_rng(100 + case)
    bits = (rng.random((300, 2)) < [0.4, 0.45]).astype(int)
    bits[150:190] = 0
    v_c, s_c = digital_run(p, bits)
    v, s = engine_digital(p, bits)
    np.testing.assert_array_equal(s, s_c)
    np.testing.assert_array_equal(v, v_c)
    assert s_c.sum() > 5


# ---------------------------------------------------------------------------------------------
# membrane quantisation
# ---------------------------------------------------------------------------------------------
def test_quantizer_grid_rounding_and_clipping():
    q = fixedpoint.MembraneQuant(bits=3, v_min=-1.0, v_max=2.5)   # Δ = 0.5
    assert q.step == 0.5
    np.testing.assert_array_equal(q(np.array([-3.0, -0.74, 0.25, 0.76, 9.0])),
                                  np.array([-1.0, -0.5, 0.0, 1.0, 2.5], np.float32))
    f = fixedpoint.MembraneQuant(bits=3, v_min=-1.0, v_max=2.5, rounding="floor")
    np.testing.assert_array_equal(f(np.array([-0.74, 0.99])), np.array([-1.0, 0.5], np.float32))
    with pytest.raises(ParameterError, match="v_max"):
        fixedpoint.MembraneQuant(v_min=1.0, v_max=1.0)


def test_quantized_lif_exact_on_grid():
    """Integer currents and thresholds on a Δ = 1 grid: quantisation changes nothing."""
    rng = np.random.default_rng(3)
    x = rng.integers(-3, 5, (40, 2, 7, 9)).astype(np.float32)
    th = rng.integers(4, 12, (2, 1, 9)).astype(np.float32)
    q = fixedpoint.MembraneQuant(bits=8, v_min=-128, v_max=127)
    s_ref, v_ref = LIF(1.0, th).forward(x, record_v=True)
    s, v = fixedpoint.QuantizedLIF(1.0, th, quant=q).forward(x, record_v=True)
    np.testing.assert_array_equal(s, s_ref)
    np.testing.assert_array_equal(v, v_ref)
    s4, _ = fixedpoint.QuantizedLIF(1.0, th, quant=fixedpoint.MembraneQuant(
        bits=4, v_min=-8, v_max=7)).forward(x)   # range too small: clipping changes spikes
    assert np.any(s4 != s_ref)
