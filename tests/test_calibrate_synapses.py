"""Synapse/device calibration: schema extension, fitters, recipes, CLI, committed files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from neurocircuit.calibrate.calibrated import (
    Calibrated,
    component_params,
    load,
    model_params,
    save,
)
from neurocircuit.calibrate.synapse_models import (
    CMISynapseParams,
    DepressionParams,
    MemristorUpdateParams,
    cmi_synapse_trace,
    depression_efficacy,
    memristor_curve,
)
from neurocircuit.calibrate.synapse_pipeline import (
    MEMRISTORS,
    RECIPES,
    calibrate_synapse,
    cmi_stp_trace,
    fit_depression,
    fit_memristor_update,
)
from neurocircuit.errors import DataError, ParameterError

ROOT = Path(__file__).resolve().parents[1]
CALIBRATED = ROOT / "models" / "calibrated"


def _entries(p) -> dict:
    from dataclasses import fields

    from neurocircuit.units import field_unit

    return {f.name: {"value": getattr(p, f.name), "unit": field_unit(p, f.name)}
            for f in fields(p)}


def _cmi_file(tmp_path, dep=None) -> Path:
    cmi = CMISynapseParams(tau=2e-3, i_c=1e-9, delta_i=5e-10, i_max=1e-8)
    dep = dep or DepressionParams(tau_rec=0.05, delta=0.3, w0=1.0)
    cal = Calibrated(
        circuit={"name": "cmi-stp-synapse", "preset": "x"}, process={"name": "g", "corner": "tt"},
        model_type="cmi-synapse", params=_entries(cmi), distribution=None,
        validation={"psc_heldout_nrmse": 0.05}, energy={"per_event_j": 1e-12},
        provenance={"deck_sha256": "0" * 64, "ngspice_version": "x", "date": "d", "n_mc": 0},
        components={"depression": {"type": "depression", "params": _entries(dep)}})
    return save(cal, tmp_path / "cmi.json")


def test_components_round_trip(tmp_path):
    cal = load(_cmi_file(tmp_path))
    assert model_params(cal) == CMISynapseParams(tau=2e-3, i_c=1e-9, delta_i=5e-10, i_max=1e-8)
    assert component_params(cal, "depression") == DepressionParams(tau_rec=0.05, delta=0.3)
    with pytest.raises(DataError, match="no component 'psc'"):
        component_params(cal, "psc")


@pytest.mark.parametrize("mutate, match", [
    (lambda d: d["model"]["components"]["depression"].update(type="nope"),
     "model.components.depression.type 'nope' is unknown"),
    (lambda d: d["model"]["components"]["depression"]["params"].update(
        bogus={"value": 1.0, "unit": ""}), "model.components.depression.params.bogus"),
    (lambda d: d["model"]["components"]["depression"]["params"]["delta"].update(value=1.5),
     "model.components.depression"),
    (lambda d: d["model"].update(components=[1]), "model.components"),
    (lambda d: d["model"].update(type="memristor"), "model.type 'memristor' is unknown"),
])
def test_loader_names_the_bad_key(tmp_path, mutate, match):
    path = _cmi_file(tmp_path)
    d = json.loads(path.read_text())
    mutate(d)
    path.write_text(json.dumps(d))
    with pytest.raises(DataError, match=match):
        load(path)


def test_every_committed_file_loads():
    files = sorted(CALIBRATED.glob("*.json"))
    assert files
    for f in files:
        cal = load(f)
        model_params(cal)
        for role in cal.components:
            component_params(cal, role)


def test_fit_depression_recovers_truth():
    rng = np.random.default_rng(0)
    times = np.cumsum(rng.exponential(1 / 30.0, 40))
    truth = DepressionParams(tau_rec=0.05, delta=0.3)
    fit = fit_depression(times, depression_efficacy(truth, times), 0.1, 0.1)
    assert fit.params.tau_rec == pytest.approx(0.05, rel=1e-3)
    assert fit.params.delta == pytest.approx(0.3, rel=1e-3)


def test_cmi_stp_trace_reduces_to_cmi_and_scales_jumps():
    cmi = CMISynapseParams(tau=2e-3, i_c=1e-9, delta_i=5e-10, i_max=1e-8)
    t = np.linspace(0, 0.1, 2001)
    spikes = [0.01, 0.03, 0.035]
    none = DepressionParams(tau_rec=0.05, delta=1e-12)
    np.testing.assert_allclose(cmi_stp_trace(cmi, none, t, spikes),
                               cmi_synapse_trace(cmi, t, spikes), rtol=1e-9, atol=0)
    dep = DepressionParams(tau_rec=0.05, delta=0.5)
    w = depression_efficacy(dep, spikes)
    y = cmi_stp_trace(cmi, dep, t, spikes)
    k = np.searchsorted(t, 0.03)  # t[k] = 30 ms: the second jump, efficacy w[1]
    before = y[k - 1] / (1 + y[k - 1] * (t[k] - t[k - 1]) / (cmi.i_c * cmi.tau))
    assert y[k] - before == pytest.approx(w[1] * cmi.delta_i * (1 - before / cmi.i_max),
                                          rel=1e-9)
    assert w[1] < 0.75


def test_fit_memristor_update_recovers_truth():
    truth = MemristorUpdateParams(g_min=2e-6, g_max=9e-5, n_pulses=30, nu_p=8.0, nu_d=20.0)
    k = np.arange(31)
    fit = fit_memristor_update(memristor_curve(truth, k, "set"),
                               memristor_curve(truth, k, "reset"))
    for name in ("g_min", "g_max", "nu_p", "nu_d"):
        assert getattr(fit.params, name) == pytest.approx(getattr(truth, name), rel=1e-4)


def test_memristor_recipe_writes_a_valid_file(tmp_path):
    out = calibrate_synapse("memristor-hp-joglekar", out=tmp_path / "j.json", mc=3, seed=1)
    cal = load(tmp_path / "j.json")
    m = model_params(cal)
    assert cal.model_type == "memristor-update" and isinstance(m, MemristorUpdateParams)
    assert cal.validation["curve_nrmse"] < 0.05
    # linear ion drift: x moves ~linearly per pulse and G = 1/(R_on x + R_off (1 − x)) is
    # convex in x, so the potentiation curve accelerates: ν_P < 0
    assert m.nu_p < 0
    assert m.sigma_c2c > 0  # the 5 % default c2c spread shows up in the per-pulse steps
    assert cal.extra["variation_used"]["dx_c2c"] == pytest.approx(0.05)
    assert cal.distribution.n == 3 and set(cal.distribution.names) == {
        "g_min", "g_max", "nu_p", "nu_d"}
    assert 0 < cal.energy["per_event_j"] < 1e-3
    assert all(Path(p).exists() for p in out["plots"])
    assert cal.provenance["n_mc"] == 3 and cal.circuit["name"] == "memristor-hp-joglekar"


def test_cli_dispatches_device_and_synapse_names(tmp_path, capsys):
    from neurocircuit.cli import main

    f = tmp_path / "v.json"
    assert main(["calibrate", "memristor-vteam", "--mc", "0", "--no-plots", "-o", str(f)]) == 0
    cal = load(f)
    assert cal.model_type == "memristor-update" and cal.distribution is None
    assert '"model_type": "memristor-update"' in capsys.readouterr().out


def test_unknown_name_and_bad_mc():
    with pytest.raises(ParameterError, match="No synapse/device calibration recipe"):
        calibrate_synapse("axon-hillock")
    with pytest.raises(ParameterError, match="'mc'"):
        calibrate_synapse("memristor-vteam", mc=-1)


def test_recipes_cover_the_synapse_catalogue_and_devices():
    from neurocircuit.circuits.synapses import CATALOG

    assert {e.name for e in CATALOG} | set(MEMRISTORS) == set(RECIPES)


@pytest.mark.ngspice
def test_log_domain_psc_recipe(tmp_path):
    out = calibrate_synapse("log-domain-synapse", out=tmp_path / "l.json", mc=3, workers=2,
                            plots=False)
    cal = load(tmp_path / "l.json")
    assert cal.model_type == "exp-synapse"
    assert out["validation"]["psc_heldout_nrmse"] <= 0.05  # issue 6 target
    from neurocircuit.circuits.registry import get
    from neurocircuit.circuits.synapses.log_domain import tau_estimate

    p = get("log-domain-synapse").params(cal.circuit["preset"])
    assert model_params(cal).tau == pytest.approx(tau_estimate(p), rel=0.3)
    assert cal.energy["per_event_j"] > 0 and cal.energy["static_power_w"] > 0
    assert cal.distribution.n == 3


@pytest.mark.ngspice
@pytest.mark.slow
def test_cmi_stp_recipe_fits_depression(tmp_path):
    from neurocircuit.circuits.registry import get
    from neurocircuit.circuits.synapses.cmi_stp import delta_estimate

    calibrate_synapse("cmi-stp-synapse", out=tmp_path / "c.json", mc=0, workers=2, plots=False)
    cal = load(tmp_path / "c.json")
    dep = component_params(cal, "depression")
    p = get("cmi-stp-synapse").params(cal.circuit["preset"])
    assert dep.delta == pytest.approx(delta_estimate(p, 1e-3), rel=0.2)
    assert cal.validation["efficacy_heldout_nrmse"] < 0.05
    assert cal.validation["psc_heldout_nrmse"] < 0.15


SYN_FILES = {"dpi-synapse": "exp-synapse", "log-domain-synapse": "exp-synapse",
             "pulse-synapse": "exp-synapse", "cmi-stp-synapse": "cmi-synapse",
             "stdp-synapse": "stdp-window", "bistable-synapse": "stdp-window",
             **{m: "memristor-update" for m in MEMRISTORS}}


@pytest.mark.parametrize("name", sorted(SYN_FILES))
def test_committed_synapse_file(name):
    cal = load(CALIBRATED / f"{name}.json")
    assert cal.model_type == SYN_FILES[name] and cal.circuit["name"] == name
    assert "per_event_j" in cal.energy and "static_power_w" in cal.energy
    assert cal.provenance["command"].startswith(f"neurocircuit calibrate {name}")
    v = cal.validation
    if name in ("dpi-synapse", "log-domain-synapse"):
        assert v["psc_heldout_nrmse"] <= 0.05  # issue 6 target
    if name == "stdp-synapse":
        assert v["window_heldout_nrmse"] <= 0.10  # issue 6 target
    if cal.distribution is not None:
        assert 0.9 * cal.provenance["n_mc"] <= cal.distribution.n <= cal.provenance["n_mc"]


def test_memristor_update_accepts_convex_rejects_zero_nu():
    p = MemristorUpdateParams(g_min=1e-6, g_max=1e-4, n_pulses=30, nu_p=-10.0, nu_d=-20.0)
    k = np.arange(31)
    g = memristor_curve(p, k)
    assert g[0] == pytest.approx(1e-6, rel=1e-9) and g[-1] == pytest.approx(1e-4, rel=1e-9)
    assert np.all(np.diff(g, 2) > 0)  # accelerating
    with pytest.raises(ParameterError, match="nu_p"):
        MemristorUpdateParams(nu_p=0.0)
