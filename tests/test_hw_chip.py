"""Chips on the instance axis: ideal chips equal the nominal network; variation spreads
accuracy; one call over N chips equals a loop over chips."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.hardware import chip, fixedpoint, mapping
from neurocircuit.snn import ann as annm
from neurocircuit.snn import convert, datasets, optim
from neurocircuit.snn.layers import Dense
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.neurons import LIFParams, run
from neurocircuit.snn.spiking import LIF, Readout


@pytest.fixture(scope="module")
def digits_snn():
    xtr, ytr = datasets.load("digits", split="train", flatten=True)
    xte, yte = datasets.load("digits", split="test", flatten=True)
    rng = np.random.default_rng(0)
    net = annm.ANN([Dense(64, 64, rng=0), annm.ReLU(), Dense(64, 10, rng=1)], (64,))
    annm.fit_ann(net, optim.Adam(optim.params_of(net), lr=3e-3), xtr, ytr, epochs=15,
                 batch_size=64, rng=rng)
    snn = convert.convert(net, xtr[:300])
    return snn, xtr, xte[:200], yte[:200]


def test_ideal_chips_equal_nominal(digits_snn):
    snn, _, x, y = digits_snn
    acc = chip.chip_accuracy(chip.make_chips(snn, 3, np.random.default_rng(0)), x, y, T=16)
    nominal = (snn.predict(x, T=16) == y).mean()
    assert np.allclose(acc, nominal)


def test_instance_axis_equals_loop(digits_snn):
    snn, xtr, x, y = digits_snn
    spec = mapping.CrossbarSpec(levels=8, g_c2c=0.05)
    sampler = chip.NeuronVariation(gain_sigma=0.2)
    chips = chip.make_chips(snn, 4, np.random.default_rng(1), spec=spec, neuron_sampler=sampler)
    together = chips.forward(x, T=16).output.sum(axis=0)  # (T, N, B, C) summed
    for k in range(4):
        single_nodes = []
        for node in chips.nodes:
            if isinstance(node, chip.CrossbarDense):
                w = node.xbar.effective_weights()[k]
                d = Dense(node.n_in, node.n_out, weight=w, dtype=np.float32)
                d.params["b"] = node.bias.astype(np.float32)
                single_nodes.append(d)
            elif hasattr(node, "value") and np.ndim(node.value("v_th")) == 3:
                from neurocircuit.snn.spiking import LIF

                single_nodes.append(LIF(node.value("beta"), node.value("v_th")[k, 0]))
            else:
                single_nodes.append(node)
        from neurocircuit.snn.network import Sequential

        alone = Sequential(single_nodes, snn.in_shape).forward(x, T=16).output.sum(axis=0)
        assert np.allclose(together[k], alone, rtol=1e-4, atol=1e-4)


def test_variation_lowers_mean_accuracy(digits_snn):
    snn, xtr, x, y = digits_snn
    bad = chip.make_chips(snn, 6, np.random.default_rng(2),
                          spec=mapping.CrossbarSpec(levels=4, g_c2c=0.15),
                          neuron_sampler=chip.NeuronVariation(gain_sigma=0.5))
    acc = chip.chip_accuracy(bad, x, y, T=16)
    nominal = (snn.predict(x, T=16) == y).mean()
    assert acc.mean() < nominal - 0.02 and acc.std() > 0


def test_adc_chips_run(digits_snn):
    snn, xtr, x, y = digits_snn
    spec = mapping.CrossbarSpec(levels=32, adc_bits=6, tile_rows=32, tile_cols=32)
    chips = chip.make_chips(snn, 2, np.random.default_rng(3), spec=spec, calib_x=xtr[:100],
                            calib_T=16)
    acc = chip.chip_accuracy(chips, x, y, T=16)
    assert acc.min() > 0.8


# ---------------------------------------------------------------------------------------------
# the exact fast path of chip_accuracy / summed_output
# ---------------------------------------------------------------------------------------------
def test_fast_path_equals_engine(digits_snn):
    snn, xtr, x, y = digits_snn
    chips = chip.make_chips(snn, 5, np.random.default_rng(4),
                            spec=mapping.CrossbarSpec(levels=16, g_c2c=0.03),
                            neuron_sampler=chip.NeuronVariation(gain_sigma=0.3))
    assert chip._fast_plan(chips) is not None
    for T in (16, 33):
        fast = chip.summed_output(chips, x, T)
        ref = chips.forward(x, T=T).output.sum(axis=0)
        assert fast.shape == ref.shape == (5, len(x), 10)
        np.testing.assert_allclose(fast, ref, rtol=1e-5, atol=1e-4 * np.abs(ref).max())
        assert np.array_equal(fast.argmax(-1), ref.argmax(-1))


def test_fast_path_accuracy_equals_loop_over_chips(digits_snn):
    snn, xtr, x, y = digits_snn
    chips = chip.make_chips(snn, 4, np.random.default_rng(5),
                            spec=mapping.CrossbarSpec(levels=32, g_c2c=0.02),
                            neuron_sampler=chip.NeuronVariation(gain_sigma=0.2))
    acc = chip.chip_accuracy(chips, x, y, T=24, batch_size=64)
    for k in range(4):
        alone = Sequential(
            [Dense(n.n_in, n.n_out, weight=n.xbar.effective_weights()[k], dtype=np.float32)
             if isinstance(n, chip.CrossbarDense) else
             LIF(1.0, n.value("v_th")[k, 0]) if isinstance(n, LIF) else n
             for n in chips.nodes], snn.in_shape)
        for n, m in zip(alone.nodes, chips.nodes):
            if isinstance(m, chip.CrossbarDense):
                n.params["b"] = m.bias.astype(np.float32)
        assert abs(acc[k] - (alone.predict(x, T=24) == y).mean()) <= 1.0 / len(y)


def test_closed_form_if_counts_bit_exact_at_ties():
    """IF counts from the closed form + tie stepping equal the engine's float32 steps, also
    for currents at (and a few ulp around) the fractions p/q, q ≤ T, where rounding decides."""
    rng = np.random.default_rng(0)
    T, n = 32, 60000
    th = np.exp(0.3 * rng.standard_normal(n)).astype(np.float32)
    q = rng.integers(1, T + 1, n)
    r = rng.integers(0, q + 1) / q * (1 + rng.choice([0, 1e-7, -1e-7, 4e-7, -4e-7, 2e-6], n))
    r[: n // 3] = rng.uniform(-0.3, 1.3, n // 3)
    cur = (r * th).astype(np.float32)
    counts, todo = chip._if_counts(cur, th, T)
    assert 0 < todo.mean() < 0.8
    counts[todo] = chip._stepped_counts(cur[todo], th[todo], np.float32(1), T, True,
                                        np.float32(0), np.ones(T, np.float32))
    s, _, _ = run(LIFParams(beta=1.0, v_th=th), np.broadcast_to(cur, (T, n)))
    np.testing.assert_array_equal(counts, s.sum(axis=0))
    assert todo[: n // 3].mean() < 0.01   # generic currents rarely need stepping


def test_fast_path_leaky_hard_reset_and_leaky_readout():
    rng = np.random.default_rng(1)
    W1 = rng.normal(0, 0.6, (3, 30, 12)).astype(np.float32)
    th = rng.uniform(0.5, 1.5, (3, 1, 30)).astype(np.float32)
    for lif in (LIF(0.8, th, reset="hard", v_reset=0.1), LIF(0.9, th),
                LIF(1.0, th, reset="hard", v_reset=-0.2)):
        net = Sequential([Dense(12, 30, weight=W1), lif,
                          Dense(30, 5, weight=rng.normal(0, 1, (5, 30))), Readout(0.5)], (12,))
        x = rng.random((40, 12)).astype(np.float32)
        assert chip._fast_plan(net) is not None
        ref = net.forward(x, T=20).output.sum(axis=0)
        np.testing.assert_allclose(chip.summed_output(net, x, 20), ref, rtol=1e-5, atol=1e-4)


def test_non_ideal_reads_take_the_engine_path(digits_snn):
    snn, xtr, x, y = digits_snn
    chips = chip.make_chips(snn, 2, np.random.default_rng(6),
                            spec=mapping.CrossbarSpec(levels=32, read_noise=0.01))
    assert chip._fast_plan(chips) is None
    assert chip.summed_output(chips, x[:10], 8).shape == (2, 10, 10)


def test_membrane_bits_accuracy(digits_snn):
    snn, _, x, y = digits_snn
    nominal = (snn.predict(x, T=16) == y).mean()

    def acc(bits, rounding="nearest"):
        q = fixedpoint.MembraneQuant(bits=bits, v_min=-4.0, v_max=4.0, rounding=rounding)
        chips = chip.make_chips(snn, 2, np.random.default_rng(0), membrane=q)
        assert any(isinstance(n, fixedpoint.QuantizedLIF) for n in chips.nodes)
        return chip.chip_accuracy(chips, x, y, T=16)

    hi = acc(20)
    assert np.all(np.abs(hi - nominal) <= 1.0 / len(y))   # exact up to float rounding
    lo_floor = acc(3, "floor")   # Δ = 8/7: truncation discards most of each step's input
    assert lo_floor.mean() < nominal - 0.1
    mid = acc(8)
    assert mid.mean() > lo_floor.mean() and mid.mean() > nominal - 0.05



def test_shared_input_matmul_skips_dark_inputs_exactly():
    rng = np.random.default_rng(4)
    wt = rng.standard_normal((3, 20, 7)).astype(np.float32)
    x = rng.random((5, 20)).astype(np.float32)
    x[:, 4:14] = 0.0  # half the inputs dark across the batch: the skipping branch
    full = np.einsum("bi,nio->nbo", x.astype(np.float64), wt.astype(np.float64))
    got = chip.shared_input_matmul(x, wt)
    assert got.shape == (3, 5, 7)
    np.testing.assert_allclose(got, full, rtol=1e-5, atol=1e-5)
    x[:, 4:14] = 1.0  # all active: the plain branch
    full = np.einsum("bi,nio->nbo", x.astype(np.float64), wt.astype(np.float64))
    np.testing.assert_allclose(chip.shared_input_matmul(x, wt), full, rtol=1e-5, atol=1e-5)
