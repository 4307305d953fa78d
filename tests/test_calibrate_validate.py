"""Validation metrics: Γ bounds, F–I error, NRMSE; mismatch distributions; the file loader."""

import json

import numpy as np
import pytest

from neurocircuit.calibrate.calibrated import Calibrated, load, model_params, save
from neurocircuit.calibrate.mismatch import fit_distribution, sample, sample_params
from neurocircuit.calibrate.neuron_models import LinearIFParams
from neurocircuit.calibrate.validate import coincidence_factor, fi_rel_rms, nrmse
from neurocircuit.errors import DataError


def test_gamma_identical_is_one_and_shifted_is_low():
    rng = np.random.default_rng(0)
    t = np.sort(rng.uniform(0, 10, 200))
    assert coincidence_factor(t, t, 2e-3, duration=10) == pytest.approx(1.0)
    assert coincidence_factor(t, t + 1e-3, 2e-3, duration=10) == pytest.approx(1.0)
    assert coincidence_factor(t, t + 0.05, 2e-3, duration=10) < 0.2


def test_gamma_independent_poisson_is_about_zero():
    rng = np.random.default_rng(1)
    g = [coincidence_factor(np.sort(rng.uniform(0, 20, 400)), np.sort(rng.uniform(0, 20, 400)),
                            2e-3, duration=20) for _ in range(30)]
    assert abs(np.mean(g)) < 0.03


def test_fi_error_and_nrmse():
    assert fi_rel_rms([0, 110, 90], [0, 100, 100]) == pytest.approx(0.1)
    assert nrmse([0, 1, 2], [0, 1, 2]) == 0.0
    assert nrmse([0.1, 1.1, 2.1], [0, 1, 2]) == pytest.approx(0.05)


def test_distribution_sampling_reproduces_spread_and_correlation():
    rng = np.random.default_rng(2)
    z = rng.multivariate_normal([np.log(1e-13), np.log(1e-9), 0.5],
                                [[0.01, 0.006, 0.0], [0.006, 0.04, -0.002], [0, -0.002, 0.0025]],
                                size=400)
    table = np.column_stack([np.exp(z[:, 0]), np.exp(z[:, 1]), z[:, 2]])
    d = fit_distribution(table, ("q_th", "i_reset", "x"), log=(True, True, False))
    s = sample(d, 20000, np.random.default_rng(3))
    np.testing.assert_allclose(s.mean(axis=0), table.mean(axis=0), rtol=0.02)
    np.testing.assert_allclose(s.std(axis=0), table.std(axis=0), rtol=0.08)
    zs = np.column_stack([np.log(s[:, 0]), np.log(s[:, 1]), s[:, 2]])
    np.testing.assert_allclose(np.corrcoef(zs, rowvar=False), d.corr, atol=0.03)
    assert d.corr[0, 1] == pytest.approx(0.3, abs=0.1)
    p = sample_params(fit_distribution(table[:, :2], ("q_th", "i_reset")), LinearIFParams(), 5,
                      np.random.default_rng(4))
    assert p.q_th.shape == (5,)


def _cal():
    d = fit_distribution(np.exp(np.random.default_rng(5).normal(size=(20, 2))) * [1e-13, 1e-9],
                         ("q_th", "i_reset"))
    m = LinearIFParams(q_th=1.8e-13, i_reset=1e-9)
    return Calibrated(
        circuit={"name": "axon-hillock", "preset": "mead1989", "params": {}},
        process={"name": "generic180", "corner": "tt"}, model_type="linear-if",
        params={"q_th": {"value": m.q_th, "unit": "C"}, "tau": {"value": float("inf"),
                                                               "unit": "s"},
                "i_reset": {"value": m.i_reset, "unit": "A"}},
        distribution=d, validation={"gamma_ou": 0.95}, energy={"per_spike_j": 1e-12},
        provenance={"deck_sha256": "ab", "ngspice_version": "ngspice-42", "date": "2026",
                    "n_mc": 20, "seed": 0})


def test_calibrated_round_trip(tmp_path):
    path = save(_cal(), tmp_path / "c.json")
    cal = load(path)
    m = model_params(cal)
    assert m.q_th == pytest.approx(1.8e-13) and np.isinf(m.tau)
    assert cal.distribution.names == ("q_th", "i_reset")


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("provenance"), "missing key 'provenance'"),
    (lambda d: d.update(schema_version=99), "schema_version 99"),
    (lambda d: d["model"].update(type="spline"), "model.type 'spline' is unknown"),
    (lambda d: d["model"]["params"].update(bogus={"value": 1, "unit": ""}), "bogus"),
    (lambda d: d["model"]["params"]["q_th"].update(value=-1.0), "q_th"),
    (lambda d: d["provenance"].update(n_mc="many"), "provenance.n_mc"),
    (lambda d: d["distribution"].update(corr=[[1.0]]), "distribution"),
])
def test_loader_rejects_bad_files(tmp_path, mutate, message):
    path = save(_cal(), tmp_path / "c.json")
    d = json.loads(path.read_text())
    mutate(d)
    path.write_text(json.dumps(d))
    with pytest.raises(DataError, match=message):
        load(path)


def test_loader_rejects_non_json(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load(p)
    with pytest.raises(DataError, match="no such"):
        load(tmp_path / "missing.json")


@pytest.mark.ngspice
@pytest.mark.slow
def test_committed_if_refractory_model_times_spikes_on_fresh_ou():
    """The committed if-refractory model on a fresh OU stimulus (seed never used in fitting)."""
    from pathlib import Path

    from neurocircuit.calibrate.validate import held_out_ou
    from neurocircuit.circuits.registry import get

    cal = load(Path(__file__).resolve().parents[1] / "models/calibrated/if-refractory.json")
    p = get("if-refractory").params("vanschaik2001")
    val = held_out_ou("if-refractory", p, model_params(cal), 2 * p.i_leak, 0.5 * p.i_leak, 5e-3,
                      0.3, 4242, 2e-4, 1e-5, 0.5 * p.vdd, max_step=18e-6)
    assert val["n_circuit"] > 15
    assert val["gamma"] >= 0.9


@pytest.mark.ngspice
@pytest.mark.slow
def test_gamma_seeds_bench_reproduces_the_stored_held_out_gamma(capsys):
    """bench/gamma_seeds.py on the stored held-out seed gives the committed file's Γ back (the
    file's validation is reproducible from the circuit and the model alone)."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("gamma_seeds", root / "bench/gamma_seeds.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert mod.parse_seeds("3-5,9") == [3, 4, 5, 9]
    path = root / "models/calibrated/dpi-neuron.json"
    stored = load(path).validation
    assert mod.main([str(path), "--seeds", str(stored["ou_stimulus"]["seed"])]) == 0
    out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert out["circuit"] == "dpi-neuron" and len(out["gamma"]) == 1
    assert out["gamma"][0] == pytest.approx(stored["gamma_ou"], abs=0.02)
    assert out["rate_circuit_hz"][0] == pytest.approx(stored["ou_rate_circuit_hz"])


@pytest.mark.parametrize("name", ["axon-hillock", "if-refractory", "dpi-neuron",
                                  "switched-cap-lif", "tau-cell-neuron", "log-domain-neuron",
                                  "quadratic-if"])
def test_committed_neuron_files_meet_the_calibration_targets(name):
    """Issue 6 targets as stored in the committed files: Γ ≥ 0.9 on the held-out OU for the
    three neurons it names, F–I relative RMS ≤ 3 %, and the Monte-Carlo distribution check (KS
    p > 0.01, σ within 15 %). ``bench/gamma_seeds.py`` re-runs the Γ part from the circuit."""
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "models" / "calibrated" / f"{name}.json"
    v = load(path).validation
    if name in ("axon-hillock", "if-refractory", "dpi-neuron"):
        assert v["gamma_ou"] >= 0.9
    assert v["fi_rel_rms"] <= 0.03
    assert v["ks_p"] > 0.01 and abs(v["sigma_ratio"] - 1.0) <= 0.15
