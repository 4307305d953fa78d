"""Neuron characterisation: keys with unit suffixes, PNGs, Monte Carlo, the CLI verb."""

from __future__ import annotations

import json

import numpy as np
import pytest

from neurocircuit.circuits.neurons import axon_hillock as ah
from neurocircuit.circuits.neurons import digital_if as dig
from neurocircuit.evaluate.characterize_neurons import CHARACTERIZERS, characterization_spec

KEYS = {
    "fi_curve.i_in_a",
    "fi_curve.rate_hz",
    "energy_per_spike_j",
    "static_power_w",
    "mc.rate_hz",
    "mc.rate_std_hz",
    "mc.fi_band.i_in_a",
    "mc.fi_band.rate_p10_hz",
    "mc.fi_band.rate_p90_hz",
    "wall_time_s",
}


def test_every_catalog_neuron_has_a_characterizer():
    from neurocircuit.circuits.neurons import CATALOG

    names = {e.name for e in CATALOG}
    assert {"axon-hillock", "if-refractory", "switched-cap-lif", "digital-if"} <= names
    assert set(CHARACTERIZERS) == names
    for name in ("axon-hillock", "if-refractory", "switched-cap-lif"):
        spec = characterization_spec(name)
        assert {"i_range", "i_ref", "t_stop", "max_step", "threshold"} <= set(spec)
    with pytest.raises(KeyError):
        CHARACTERIZERS["no-such-neuron"]


@pytest.mark.ngspice
def test_characterize_axon_hillock_small(tmp_path, cache_dir):
    res = CHARACTERIZERS["axon-hillock"](
        ah.FAST, out_dir=tmp_path, mc=2, workers=2, seed=1, progress=False, n_points=4
    )
    data = json.loads((tmp_path / "characterization.json").read_text())
    assert KEYS <= set(data)
    assert data == json.loads(json.dumps(res))
    assert len(data["fi_curve.i_in_a"]) == 4 and len(data["mc.rate_hz"]) == 2
    rates = np.array(data["fi_curve.rate_hz"])
    assert np.all(rates > 0)
    p = ah.FAST
    assert data["static_power_w"] == pytest.approx(p.i_r * p.vdd, rel=0.3)  # the reset bias
    assert data["energy_per_spike_j"] > p.c_fb * p.c_mem / (p.c_fb + p.c_mem) * p.vdd**2
    assert data["mc.rate_std_hz"] > 0
    for png in ("membrane_trace.png", "fi_curve.png"):
        assert (tmp_path / png).stat().st_size > 1000
    assert data["wall_time_s"] > 0


@pytest.mark.ngspice
def test_characterize_digital_small(tmp_path, cache_dir):
    p = dig.DigitalIFParams(w0=6, leak=1, theta=10)
    data = CHARACTERIZERS["digital-if"](
        p, out_dir=tmp_path, mc=3, workers=2, progress=False, n_points=3
    )
    assert data["bit_exact"] is True
    assert data["fi_curve.rate_hz"] == data["fi_curve.rate_reference_hz"]
    # full drive: 6 - 1 = 5 LSB per tick, theta 10 -> a spike every 2 ticks at 1 MHz
    assert data["fi_curve.rate_hz"][-1] == pytest.approx(0.5e6, rel=0.02)
    # no drive: the leak wraps V below -128 to +127 after 129 ticks -> one (documented) spike
    assert data["fi_curve.rate_hz"][0] == pytest.approx(1e6 / 200)
    assert data["mc.rate_std_hz"] == 0.0
    assert (tmp_path / "fi_curve.png").exists()


@pytest.mark.ngspice
@pytest.mark.slow
def test_cli_characterize(tmp_path, cache_dir, capsys):
    from neurocircuit.cli import main

    rc = main(
        [
            "characterize",
            "axon-hillock",
            "--preset",
            "fast",
            "--mc",
            "2",
            "--workers",
            "2",
            "-q",
            "-o",
            str(tmp_path),
        ]
    )
    assert rc in (0, None)
    data = json.loads((tmp_path / "characterization.json").read_text())
    assert len(data["fi_curve.rate_hz"]) == 20
    assert "energy_per_spike_j" in capsys.readouterr().out
