"""Signed IF neurons: the spike count is the ReLU of the time-summed input, in any order."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.errors import ParameterError
from neurocircuit.snn.ann import ANN, ReLU
from neurocircuit.snn.convert import convert
from neurocircuit.snn.layers import Dense
from neurocircuit.snn.network import Sequential
from neurocircuit.snn.spiking import LIF, Readout
from neurocircuit.snn.train import net_from_spec, net_to_spec


def _count(lif, x):
    s, _ = lif.forward(x.astype(np.float32))
    return s.sum(axis=0), s


def test_signed_count_is_relu_of_sum_in_any_order():
    # |I| < θ: one spike per step keeps up, so c = max(0, ⌊v_init + Σ I⌋) exactly
    rng = np.random.default_rng(0)
    T, n = 40, 500
    x = rng.uniform(-0.6, 0.6, (T, n)).astype(np.float32) + rng.uniform(-0.3, 0.3, n).astype(
        np.float32)
    lif = LIF(1.0, 1.0, v_init=0.5, signed=True)
    c, s = _count(lif, x)
    assert set(np.unique(s)) <= {-1.0, 0.0, 1.0}
    expect = np.clip(np.floor(0.5 + x.astype(np.float64).sum(axis=0)), 0, None)
    near = np.abs(0.5 + x.astype(np.float64).sum(0) - np.round(0.5 + x.sum(0))) < 1e-4
    np.testing.assert_array_equal(c[~near], expect[~near])
    c_rev, _ = _count(lif, x[::-1])              # the order does not matter
    np.testing.assert_array_equal(c_rev[~near], expect[~near])
    assert np.all(np.cumsum(s, axis=0) >= 0)     # the running count never goes negative


def test_unsigned_overcounts_a_late_negative_input_signed_does_not():
    x = np.concatenate([np.full((10, 1), 0.5), np.full((10, 1), -0.5)]).astype(np.float32)
    c_u, _ = _count(LIF(1.0, 1.0), x)
    c_s, s = _count(LIF(1.0, 1.0, signed=True), x)
    assert c_u[0] == 5 and c_s[0] == 0          # Σ I = 0: ReLU(0) = 0
    assert (s == -1).sum() == 5


def test_signed_lif_rejects_training_and_hard_reset():
    with pytest.raises(ParameterError, match="signed"):
        LIF(1.0, 1.0, reset="hard", signed=True)
    with pytest.raises(ParameterError, match="inference-only"):
        LIF(1.0, 1.0, signed=True).forward(np.zeros((3, 2), np.float32), train=True)


def test_converted_signed_network_counts_and_roundtrip():
    rng = np.random.default_rng(1)
    ann = ANN([Dense(6, 8, rng=0), ReLU(), Dense(8, 3, rng=1)], (6,))
    x = rng.random((50, 6)).astype(np.float32)
    snn = convert(ann, x, signed=True, v_init=0.5)
    lifs = [n for n in snn.nodes if isinstance(n, LIF)]
    assert lifs and all(n.signed and n.v_init == 0.5 for n in lifs)
    seq = np.stack([x[:5] * 2.0, -x[:5]] * 4).astype(np.float32)   # (8, 5, 6), non-stationary
    r = snn.forward(seq, count=True, record=("spikes",))
    n_abs = sum(np.abs(v).sum() for v in r.spikes.values()) / 5
    assert r.counts["spikes"] == pytest.approx(n_abs)
    back = net_from_spec(net_to_spec(snn), (6,))
    assert [getattr(n, "signed", None) for n in back.nodes] == [
        getattr(n, "signed", None) for n in snn.nodes]
    assert all(b.v_init == a.v_init for a, b in zip(snn.nodes, back.nodes)
               if isinstance(a, LIF))
    assert isinstance(snn.nodes[-1], Readout) and isinstance(back, Sequential)
