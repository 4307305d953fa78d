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


def test_check_rails_rejects_a_non_physical_trace():
    from types import SimpleNamespace

    from neurocircuit.errors import SimulationError
    from neurocircuit.evaluate.characterize_neurons import check_rails

    t = np.linspace(0, 1e-3, 5)
    bench = SimpleNamespace(vdd=1.8, probes={"vmem": "v(vmem)", "supply": "i(vdd)"})
    ok = {"v(vmem)": np.array([0, 0.5, 2.5, 1.0, -0.5]), "i(vdd)": np.full(5, 1e3)}
    check_rails(bench, _Res(t, ok))
    bad = {**ok, "v(vmem)": np.array([0, 0.5, 55.6, 1e9, 0.0])}
    with pytest.raises(SimulationError, match=r"v\(vmem\) reached 55.6 V at t = 0.0005 s") as e:
        check_rails(bench, _Res(t, bad))
    assert e.value.kind == "non-physical"
    with pytest.raises(SimulationError, match="outside"):
        check_rails(bench, _Res(t, {**ok, "v(vmem)": np.array([0, np.nan, 0, 0, 0])}))


class _Res:
    def __init__(self, axis, vecs):
        self.axis, self._v = axis, vecs

    def __getitem__(self, k):
        return self._v[k]


@pytest.mark.ngspice
def test_simulate_bench_raises_on_a_misread_stimulus():
    """The failure that made the check: '80.0356a' in a PWL (ngspice has no atto suffix) is
    80 A, and the axon-hillock's membrane went to 1e9 V."""
    import dataclasses

    from neurocircuit.circuits.testbenches import ou_current
    from neurocircuit.errors import SimulationError
    from neurocircuit.evaluate.characterize_neurons import simulate_bench

    p = ah.AxonHillockParams()
    b = ou_current(ah.axon_hillock(p), 20e-12, 0.0, 5e-3, 2e-3, 2e-4, 0, max_step=5e-6)
    text = b.netlist.text()
    assert "PWL(0 20p 200u 20p 400u" in text
    bad = dataclasses.replace(b, netlist=text.replace("PWL(0 20p 200u 20p 400u",
                                                      "PWL(0 20p 200u 80a 400u"))
    with pytest.raises(SimulationError, match="Non-physical") as e:
        simulate_bench(bad, timeout=60, cache=False)
    assert e.value.kind == "non-physical"
    simulate_bench(b, timeout=60, cache=False)  # the same bench as written by us is fine
