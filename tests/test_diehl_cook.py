"""Diehl & Cook network: invariants, batch-parallel evaluation equivalence, learning sanity."""

from __future__ import annotations

import numpy as np
import pytest
from _dc_images import w3_images

from neurocircuit.snn import diehl_cook as dc


def test_poisson_input_rate():
    p = dc.DCParams()
    img = np.full((1, 28, 28), 255.0)
    spikes = dc.poisson_input(img, p, np.random.default_rng(0))
    rate = spikes.mean() / p.dt
    assert rate == pytest.approx(63.75, rel=0.02)


def test_present_invariants():
    p = dc.DCParams()
    net = dc.init_network(p, np.random.default_rng(4))
    spikes = dc.poisson_input(w3_images(1), p, np.random.default_rng(5))[:, 0]
    counts = dc.present(net, spikes, learn=True)
    assert counts.sum() >= 1
    assert net.w.min() >= 0 and net.w.max() <= p.w_max
    fired = counts > 0
    assert net.theta[fired].min() > net.theta[~fired].max()
    assert net.theta[fired].min() == pytest.approx(p.theta_init + p.theta_plus, rel=1e-3)


def test_fast_forward_rest_is_exact():
    p = dc.DCParams()
    spikes = dc.poisson_input(w3_images(2), p, np.random.default_rng(5))
    nets = [dc.init_network(p, np.random.default_rng(4)) for _ in range(2)]
    for ff, net in zip((True, False), nets):
        for s in range(2):
            dc.present(net, spikes[:, s], learn=True, fast_forward=ff)
    a, b = (n.history["dyn"] for n in nets)
    assert np.allclose(a.v, b.v, atol=1e-9, rtol=0)
    assert np.allclose(nets[0].w, nets[1].w, atol=1e-12)


def test_batch_eval_equals_sequential_from_rest():
    p = dc.DCParams(n_exc=30)
    rng = np.random.default_rng(0)
    w = rng.uniform(0, 0.3, (30, 784))
    spikes = dc.poisson_input(w3_images(4), p, np.random.default_rng(1))
    batch = dc.run_batch(dc.DCNetwork(p, w.copy(), np.full(30, p.theta_init)), spikes)
    for s in range(4):
        net = dc.DCNetwork(p, w.copy(), np.full(30, p.theta_init))
        seq = dc.present(net, spikes[:, s], learn=False)
        assert np.array_equal(seq, batch[s])


def test_labels_and_predict():
    counts = np.array([[5, 0, 1], [0, 4, 0], [0, 0, 3], [6, 1, 0]])
    labels = np.array([0, 1, 2, 0])
    nl = dc.assign_labels(counts, labels, n_classes=3)
    assert list(nl) == [0, 1, 2]
    assert list(dc.predict(counts, nl, n_classes=3)) == [0, 1, 2, 0]


@pytest.mark.slow
def test_learns_digits_better_than_chance():
    """Unsupervised STDP on 8×8 digits (scaled to 0–255): labelled readout beats chance clearly."""
    from sklearn.datasets import load_digits

    d = load_digits()
    x = d.images / 16.0 * 255.0
    y = d.target
    p = dc.DCParams(
        n_input=64, n_exc=40, norm_total=78.0 * 64 / 784 * 4, max_rate=255.0,
        t_present=0.2, t_rest=0.1,
    )
    rng = np.random.default_rng(0)
    net = dc.init_network(p, rng)
    dc.train(net, x[:200], rng)
    net_counts = dc.evaluate_counts(net, x[:200], rng)
    nl = dc.assign_labels(net_counts, y[:200])
    test_counts = dc.evaluate_counts(net, x[1000:1300], rng)
    acc = (dc.predict(test_counts, nl) == y[1000:1300]).mean()
    assert acc > 0.45  # measured 0.64 (chance 0.10)


def test_defaults_bit_identical_to_reference():
    """The default rule is unchanged by the binary option: weights, θ, counts and membrane state
    after 3 training images and a batched evaluation equal the reference produced by the code
    before the option existed (tests/golden/diehl_cook_default.npz)."""
    from pathlib import Path

    g = np.load(Path(__file__).parent / "golden" / "diehl_cook_default.npz")
    p = dc.DCParams(n_exc=20)
    net = dc.init_network(p, np.random.default_rng(4))
    out = dc.train(net, w3_images(3), np.random.default_rng(5))
    ev = dc.evaluate_counts(net, w3_images(4, seed=7), np.random.default_rng(6))
    assert np.array_equal(out, g["counts"]) and np.array_equal(ev, g["eval_counts"])
    np.testing.assert_allclose(net.w, g["w"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(net.theta, g["theta"], rtol=1e-12, atol=0)
    np.testing.assert_allclose(net.history["dyn"].v, g["v"], rtol=1e-12, atol=0)


def _binary_run(bp, n_img=2, n_exc=20):
    p = dc.DCParams(n_exc=n_exc)
    rng = np.random.default_rng(1)
    net = dc.init_binary_network(p, rng, p_on=0.2)
    on0 = net.w > 0
    spikes = dc.poisson_input(w3_images(n_img), p, np.random.default_rng(5))
    total = 0
    for s in range(n_img):
        total += dc.present(net, spikes[:, s], learn=True, binary=bp, rng=rng).sum()
    return p, net, on0, spikes.any(axis=0).any(axis=0), total


def test_binary_option_keeps_one_bit_synapses():
    from neurocircuit.snn.learning.stochastic_binary import StochasticBinaryParams

    p, net, on0, _, total = _binary_run(StochasticBinaryParams(p_pot=0.2, p_dep=0.1,
                                                                p_anti=0.05))
    assert total > 0
    on = net.w > 0
    assert not np.array_equal(on, on0)  # it learnt
    for row, b in zip(net.w, on):  # two levels per neuron: 0 and one on-level
        assert np.ptp(row[b]) == 0
    w_next = dc.normalize(net.w, p.norm_total)  # the next sample: on-level = 78 / n_on
    for row, b in zip(w_next, on):
        assert np.allclose(row[b], p.norm_total / b.sum(), rtol=1e-12, atol=0)


def test_binary_option_deterministic_limits():
    """p_pot = 1 only: synapses only switch on, and only from inputs that spiked; p_dep = 1 only:
    they only switch off, again only where the input spiked; all zero: nothing changes."""
    from neurocircuit.snn.learning.stochastic_binary import StochasticBinaryParams as SB

    _, net, on0, spiked, total = _binary_run(SB(p_pot=1.0, p_dep=0.0, p_anti=0.0))
    on = net.w > 0
    assert total > 0 and np.all(on >= on0) and on.sum() > on0.sum()
    assert not np.any((on & ~on0)[:, ~spiked])
    _, net, on0, spiked, _ = _binary_run(SB(p_pot=0.0, p_dep=1.0, p_anti=0.0))
    on = net.w > 0
    assert np.all(on <= on0) and on.sum() < on0.sum()
    assert not np.any((on0 & ~on)[:, ~spiked])
    _, net, on0, _, _ = _binary_run(SB(p_pot=0.0, p_dep=0.0, p_anti=0.0))
    assert np.array_equal(net.w > 0, on0)


def test_binary_option_needs_rng():
    from neurocircuit.errors import ParameterError
    from neurocircuit.snn.learning.stochastic_binary import StochasticBinaryParams

    p = dc.DCParams(n_exc=5)
    net = dc.init_binary_network(p, np.random.default_rng(0))
    with pytest.raises(ParameterError, match="rng"):
        dc.present(net, np.zeros((p.n_present, 784), bool), binary=StochasticBinaryParams())


def test_stochastic_binary_bench_binarize_keeps_top_k_at_one_level():
    """bench/stochastic_binary.py --binarize K: each neuron's K largest weights on at 78/K, the
    rest 0, the original network untouched."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench/stochastic_binary.py"
    spec = importlib.util.spec_from_file_location("sb_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    net = dc.init_network(dc.DCParams(n_exc=5), np.random.default_rng(0))
    w0 = net.w.copy()
    nb = mod.binarize(net, 10)
    np.testing.assert_array_equal(net.w, w0)
    assert ((nb.w > 0).sum(axis=1) == 10).all()
    assert set(np.unique(nb.w)) == {0.0, 7.8}
    top = np.argsort(-w0, axis=1)[:, :10]
    assert (np.take_along_axis(nb.w, top, axis=1) == 7.8).all()
    # --binarize-frac F: the weights >= F x the neuron's largest, 78/k_i each
    nf = mod.binarize(net, frac=0.9)
    on = w0 >= 0.9 * w0.max(axis=1, keepdims=True)
    np.testing.assert_array_equal(nf.w > 0, on)
    np.testing.assert_allclose(nf.w.sum(axis=1), 78.0, rtol=1e-12)
    assert {len(np.unique(r)) for r in nf.w} == {2} and np.ptp(on.sum(axis=1)) > 0


def test_stochastic_binary_bench_checkpoints_resume_and_anneal(tmp_path):
    """bench/stochastic_binary.py: unscored checkpoints resume to the uninterrupted result, and
    --anneal switches p_pot at its image count within the run."""
    import dataclasses
    import importlib.util
    import pickle
    from pathlib import Path

    from _dc_images import w3_images

    from neurocircuit.snn.learning.stochastic_binary import StochasticBinaryParams

    path = Path(__file__).resolve().parents[1] / "bench/stochastic_binary.py"
    spec = importlib.util.spec_from_file_location("sb_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x = w3_images(8).reshape(8, 784)
    y = np.arange(8) % 2
    xtr, lab, val = x[:6], (x[6:7], y[6:7]), (x[7:], y[7:])
    bp = StochasticBinaryParams(p_pot=0.5, p_dep=0.0, p_anti=0.0, n_on=20)
    kw = dict(lab=lab, val=val, test=None, n_exc=4, seed=0, binary=bp, p_on=0.2)
    full = mod.run_arm("binary", xtr, [6], save=str(tmp_path / "A"), checkpoints={2, 4},
                       anneal=[(4, 0.0)], **kw)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "A_binary_2.pkl", "A_binary_4.pkl", "A_binary_6.pkl"]
    assert len(full) == 1 and full[0]["p_pot"] == 0.0 and full[0]["anneal"] == [[4, 0.0]]
    res = mod.run_arm("binary", xtr, [6], save=str(tmp_path / "B"),
                      resume=str(tmp_path / "A_binary_2.pkl"), anneal=[(4, 0.0)], **kw)
    assert res[0]["val_accuracy"] == full[0]["val_accuracy"]
    def net_of(name):
        with open(tmp_path / name, "rb") as f:
            return pickle.load(f)["net"]

    nets = [net_of("A_binary_6.pkl"), net_of("B_binary_6.pkl")]
    np.testing.assert_array_equal(nets[0].w, nets[1].w)
    np.testing.assert_array_equal(nets[0].theta, nets[1].theta)
    # annealed to p_pot = 0: the masks (exchanges at potentiation) freeze after image 4
    w2, w4 = (net_of(f"A_binary_{n}.pkl").w for n in (2, 4))
    assert (w2 != w4).any()
    np.testing.assert_array_equal(nets[0].w, w4)
    # a schedule: the pair with the largest image count reached applies to each stretch
    rows = mod.run_arm("binary", xtr, [2, 4, 6], anneal=[(4, 0.0), (2, 0.5)], **kw)
    assert [r["p_pot"] for r in rows] == [0.5, 0.25, 0.0]
    assert rows[-1]["anneal"] == [[2, 0.5], [4, 0.0]]
    # the match gate from image 4 on (without it before: the same network as no gate at all)
    gated = dataclasses.replace(bp, match_lo=0.0, match_hi=1.0)
    rows = mod.run_arm("binary", xtr, [2, 4, 6], **{**kw, "binary": gated}, match_from=4,
                       save=str(tmp_path / "G"))
    assert [r["match"] for r in rows] == [[0.0, 0.0], [0.0, 0.0], [0.0, 1.0]]
    np.testing.assert_array_equal(net_of("G_binary_4.pkl").w, w4)


def test_expected_free_count_counterpart_tracks_on_probabilities():
    """present(expected=True) with a free count: w = b·78/Σb, Σb kept in history, b ∈ [0, 1];
    with p_anti = 0 no on-probability falls, and inputs that never spiked keep theirs."""
    from neurocircuit.errors import ParameterError
    from neurocircuit.snn.learning.stochastic_binary import StochasticBinaryParams as SB

    p = dc.DCParams(n_exc=20)
    spikes = dc.poisson_input(w3_images(3), p, np.random.default_rng(5))
    seen = spikes.any(axis=0).any(axis=0)
    for p_anti in (0.0, 0.05):
        bp = SB(p_pot=0.2, p_dep=0.0, p_anti=p_anti, anti_silent=True)
        net = dc.init_binary_network(p, np.random.default_rng(1), p_on=0.2)
        b0 = (net.w > 0).astype(float)
        total = 0
        for s in range(3):
            total += dc.present(net, spikes[:, s], learn=True, binary=bp, expected=True).sum()
        assert total > 0
        b_sum = net.history["b_sum"]
        b = dc.normalize(net.w, p.norm_total) * b_sum[:, None] / p.norm_total
        np.testing.assert_allclose(b.sum(axis=1), b_sum, rtol=1e-12)
        assert b.min() >= 0 and b.max() <= 1 + 1e-12
        assert len(np.unique(b)) > 2  # continuous
        if p_anti == 0:
            assert np.all(b >= b0 - 1e-12) and b_sum.sum() > b0.sum()
        else:
            assert np.any(b[:, ~seen] < b0[:, ~seen])  # anti_silent forgets silent inputs
    with pytest.raises(ParameterError, match="p_dep"):
        dc.present(net, spikes[:, 0], learn=True, binary=SB(p_dep=0.1), expected=True)


def test_stochastic_binary_bench_bernoulli_copy_samples_on_probabilities():
    """bench/stochastic_binary.py --bernoulli SEED: each synapse of a counterpart on with its
    probability b = w·Σb/78 (Σb = n_on, or the kept b_sum), 78/k_i per on-synapse; seeded."""
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "bench/stochastic_binary.py"
    spec = importlib.util.spec_from_file_location("sb_bench", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    p = dc.DCParams(n_exc=3)
    b = np.random.default_rng(123).uniform(0.0, 1.0, (3, 784)) * (np.arange(784) < 200)
    net = dc.DCNetwork(p, b * (78.0 / b.sum(axis=1, keepdims=True)), np.zeros(3))
    net.history["b_sum"] = b.sum(axis=1)
    np.testing.assert_allclose(mod.on_probabilities(net), b, rtol=1e-12, atol=1e-15)
    draws = [mod.bernoulli_copy(net, s) for s in range(400)]
    on = np.mean([d.w > 0 for d in draws], axis=0)
    assert np.abs(on - b).max() < 5 * np.sqrt(0.25 / 400)  # five standard errors
    assert not on[:, 200:].any()
    d0 = draws[0]
    k = (d0.w > 0).sum(axis=1)
    np.testing.assert_allclose(d0.w.sum(axis=1), 78.0, rtol=1e-12)
    assert {len(np.unique(r)) for r in d0.w} == {2} and "b_sum" not in d0.history
    np.testing.assert_array_equal(mod.bernoulli_copy(net, 0).w, d0.w)
    assert abs(k.mean() - b.sum(axis=1).mean()) < 4 * np.sqrt(b.sum(axis=1).mean())
    # a fixed-count counterpart: Σb = n_on
    fixed = dc.DCNetwork(p, net.w.copy(), np.zeros(3))
    with pytest.raises(ValueError, match="n_on"):
        mod.on_probabilities(fixed)
    np.testing.assert_allclose(mod.on_probabilities(fixed, n_on=50),
                               np.clip(fixed.w * 50 / 78.0, 0, 1))
