"""Chips on the instance axis: ideal chips equal the nominal network; variation spreads
accuracy; one call over N chips equals a loop over chips."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.hardware import chip, mapping
from neurocircuit.snn import ann as annm
from neurocircuit.snn import convert, datasets, optim
from neurocircuit.snn.layers import Dense


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
