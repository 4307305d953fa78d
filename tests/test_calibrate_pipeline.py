"""ngspice-backed calibration of a fast neuron with a small Monte Carlo, and engine plumbing."""

import numpy as np
import pytest

from neurocircuit.calibrate import register_with_engine
from neurocircuit.calibrate.neuron_models import LinearIFParams


def test_models_plug_into_engine():
    from neurocircuit.snn.neurons import model_for

    register_with_engine()
    p = LinearIFParams(q_th=np.array([1e-13, 2e-13]))
    init, step = model_for(p)
    st = init(p, (3, 2))
    s1, st = step(st, np.full((3, 2), 1e-9), p, 1e-4)  # charge 1e-13 C per step
    s2, st = step(st, np.full((3, 2), 1e-9), p, 1e-4)
    assert s1.shape == (3, 2) and s1[:, 0].all() and not s1[:, 1].any()
    assert s2[:, 1].all()


@pytest.mark.ngspice
@pytest.mark.slow
def test_calibrate_axon_hillock_small(tmp_path):
    from neurocircuit.calibrate.calibrated import load, model_params
    from neurocircuit.calibrate.pipeline import calibrate

    out = calibrate("axon-hillock", out=tmp_path / "ah.json", mc=4, workers=2, n_points=8,
                    n_check=500, plots=False, ou_t_stop=0.25)
    v = out["validation"]
    assert v["fi_rel_rms"] < 0.03
    assert v["gamma_ou"] > 0.8
    cal = load(tmp_path / "ah.json")
    m = model_params(cal)
    assert m.q_th == pytest.approx(0.1e-12 * 1.8, rel=0.1)  # C_fb·V_dd of Mead's example
    assert cal.distribution.n == 4 and cal.provenance["n_mc"] == 4
    assert len(cal.provenance["deck_sha256"]) == 64


@pytest.mark.ngspice
def test_ac_tau_matches_transient_tau():
    pytest.importorskip("skrf")
    from neurocircuit.calibrate.ac import tau_ac_vs_transient

    r = tau_ac_vs_transient()
    assert r["rel_diff"] < 0.05
    assert r["tau_ac_s"] == pytest.approx(r["tau_theory_s"], rel=0.1)


@pytest.mark.ngspice
def test_digital_if_model_exact_against_xspice():
    from neurocircuit.calibrate.neuron_models import (
        DigitalIFModelParams,
        digital_if_init,
        digital_if_step,
    )
    from neurocircuit.circuits.neurons.digital_if import DigitalIFParams, digital_if
    from neurocircuit.circuits.testbenches import clocked_digital
    from neurocircuit.evaluate.characterize_neurons import simulate_bench

    cp = DigitalIFParams(refractory=1)
    f_clk, ticks = 1e6, 80
    rng = np.random.default_rng(3)
    bits = np.stack([rng.random(ticks) < 0.8, rng.random(ticks) < 0.2], axis=1).astype(int)
    res = simulate_bench(clocked_digital(digital_if(cp), bits, f_clk), cache=False)
    ts = (np.arange(ticks) + 1.5) / f_clk
    circuit = (np.interp(ts, res.axis, res["v(out)"]) > 0.5 * cp.vdd).astype(int)
    mp = DigitalIFModelParams.from_circuit(cp)
    st = digital_if_init(mp, ())
    model = []
    for s0, s1 in bits:
        s, st = digital_if_step(st, cp.w0 * s0 + cp.w1 * s1, mp)
        model.append(int(s))
    assert circuit.sum() > 3
    np.testing.assert_array_equal(circuit, model)


@pytest.mark.ngspice
@pytest.mark.slow
def test_stdp_window_calibration():
    from neurocircuit.calibrate.window import calibrate_stdp_window
    from neurocircuit.circuits.registry import get

    d = np.array([-20e-3, -9e-3, -4e-3, -1.5e-3, 1.5e-3, 4e-3, 9e-3, 20e-3])
    r = calibrate_stdp_window("stdp-synapse", get("stdp-synapse").params("indiveri2006-plain"),
                              d, workers=1)
    assert r["heldout_nrmse"] < 0.10
    assert r["params"]["tau_plus"] > 0 and r["params"]["a_plus"] > 0


def test_recipes_for_every_owned_neuron():
    from dataclasses import fields

    from neurocircuit.calibrate.pipeline import SPECS, calibrate
    from neurocircuit.circuits.registry import get
    from neurocircuit.errors import ParameterError

    for name in ("axon-hillock", "if-refractory", "tau-cell-neuron", "log-domain-neuron",
                 "switched-cap-lif", "quadratic-if"):
        cs = SPECS[name]
        p = get(name).params(get(name).default_preset)
        base = cs.base(p)
        free = cs.free(p)
        assert set(cs.mc_free) <= set(free) <= {f.name for f in fields(base)}
        for n, f in free.items():  # the initial guess lies inside its bounds
            assert f.lo <= f.init <= f.hi and (f.lo > 0 or not f.log), (name, n)
        ou = cs.ou(p)
        assert ou["sigma"] > 0 and ou["t_stop"] > 0 and ou.get("window", 2e-3) > 0
    with pytest.raises(ParameterError, match="No calibration recipe"):
        calibrate("no-such-neuron")


def test_recipe_modules_split_from_pipeline():
    from neurocircuit.calibrate import recipe_current_mode as rcm
    from neurocircuit.calibrate import recipe_qif as rq
    from neurocircuit.calibrate.pipeline import SPECS

    assert SPECS["tau-cell-neuron"].free is rcm.tc_free
    assert SPECS["log-domain-neuron"].base is rcm.ld_base
    assert SPECS["log-domain-neuron"].mc_free == rcm.LD_MC_FREE
    assert set(rcm.LD_MC_FREE) <= set(rcm.ld_free(_preset("log-domain-neuron")))
    assert SPECS["quadratic-if"].refine is rq.qif_refine
    assert SPECS["quadratic-if"].mc_fit is rq.qif_mc_fit


def _preset(name):
    from neurocircuit.circuits.registry import get

    return get(name).params(get(name).default_preset)


def test_batched_log_lm_recovers_known_parameters():
    """Per-instance parameters of rates generated by the model itself come back within 1 %."""
    from dataclasses import replace

    from neurocircuit.calibrate.neuron_models import CurrentModeParams, current_mode_rate
    from neurocircuit.calibrate.recipe_common import batched_log_lm

    nominal = CurrentModeParams(tau=0.01, i_gain=5e-10, x_reset=0.4, x_p=0.7, t_ref=2e-3)
    rng = np.random.default_rng(5)
    n = 40
    true = np.stack([5e-10 * np.exp(0.2 * rng.standard_normal(n)),
                     0.7 * np.exp(0.1 * rng.standard_normal(n)),
                     2e-3 * np.exp(0.05 * rng.standard_normal(n))], axis=1)
    cur = np.array([2.5e-10, 4e-10, 1e-9, 3e-9])
    inst = replace(nominal, i_gain=true[:, :1], x_p=true[:, 1:2], t_ref=true[:, 2:])
    table = current_mode_rate(inst, cur[None, :])
    table[3] = np.nan  # a failed instance stays NaN
    fit = batched_log_lm(cur, table, nominal, ("i_gain", "x_p", "t_ref"), current_mode_rate,
                         iters=40)
    ok = np.arange(n) != 3
    assert np.all(np.isnan(fit[3])) and np.all(np.isfinite(fit[ok]))
    np.testing.assert_allclose(fit[ok], true[ok], rtol=0.01)


def test_qif_sequence_residuals():
    from neurocircuit.calibrate.recipe_qif import _T_STOP, _seq_residuals

    circuit = [np.array([]), np.array([1e-4, 5e-4, 1e-3])]
    same = np.array([[np.nan] * 4, [1e-4, 5e-4, 1e-3, np.nan]])
    np.testing.assert_array_equal(_seq_residuals(same, circuit), 0.0)
    late = same.copy()
    late[1, 1] = 6e-4  # one spike 0.1 ms late: 0.1/0.9 of the span
    r = _seq_residuals(late, circuit)
    assert r[2] == pytest.approx(1e-4 / 9e-4, rel=1e-12) and np.count_nonzero(r) == 1
    extra = same.copy()
    extra[0, 0] = 0.5 * _T_STOP  # a model spike where the circuit is silent
    extra[1, 3] = 1.5e-3  # and one beyond the circuit's last spike within the step
    r = _seq_residuals(extra, circuit)
    assert r[0] == pytest.approx(0.5, rel=1e-12)
    assert r[-1] == pytest.approx((_T_STOP - 1.5e-3) / 9e-4, rel=1e-12)
    missing = same.copy()
    missing[1, 2] = np.nan  # a missing model spike counts as T + ISI/2
    assert _seq_residuals(missing, circuit)[3] == pytest.approx(
        (_T_STOP + 0.5 * 4.5e-4 - 1e-3) / 9e-4, rel=1e-12)


def test_digital_model_output_is_the_reference_rule():
    from neurocircuit.calibrate.digital_cal import model_output, random_bits
    from neurocircuit.circuits.neurons.digital_if import DigitalIFParams, reference

    for cp in (DigitalIFParams(), DigitalIFParams(mode="subtract", refractory=2, leak=2)):
        bits = random_bits(7, 300, (cp.w0, cp.w1))
        assert bits.shape == (300, 2) and bits[:, 0].mean() > bits[:, 1].mean()
        _, ref = reference(cp, bits)
        out = model_output(cp, bits)
        assert out.sum() > 5
        np.testing.assert_array_equal(out, np.asarray(ref, int))


@pytest.mark.ngspice
def test_calibrate_digital_if_bit_exact(tmp_path):
    from neurocircuit.calibrate.calibrated import load, model_params
    from neurocircuit.calibrate.pipeline import calibrate

    out = calibrate("digital-if", out=tmp_path / "d.json", mc=1, workers=1)
    v = out["validation"]
    assert v["bit_exact"] and v["mc_runs"] == v["mc_runs_exact"] == 1
    assert v["n_spikes_circuit"] > 3
    cal = load(tmp_path / "d.json")
    m = model_params(cal)
    assert m.theta == 20 and isinstance(m.n_bits, int) and cal.distribution is None
