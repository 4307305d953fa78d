"""SimResult: lenient lookup, npz save/load round trip, plotting to PNG."""

from __future__ import annotations

import numpy as np
import pytest

from neurocircuit.spice.result import SimResult, normalise_name


def _res() -> SimResult:
    t = np.linspace(0, 1e-3, 101)
    return SimResult.from_vectors(
        "tran",
        {"time": t, "V(OUT)": np.sin(t * 1e4), "vdd#branch": -1e-6 * np.ones_like(t)},
        deck="* deck\n",
        ngspice_version="ngspice-39",
        backend="batch",
    )


def test_names_normalised():
    assert normalise_name("VDD#branch") == "i(vdd)"
    r = _res()
    assert r.axis_name == "time" and r.time.shape == (101,)
    assert np.array_equal(r["out"], r["v(out)"])
    assert r["vdd#branch"][0] == pytest.approx(-1e-6)
    assert "out" in r and "nothere" not in r
    with pytest.raises(KeyError, match="Available"):
        r["nothere"]


def test_save_load_round_trip(tmp_path):
    r = _res()
    path = r.save(tmp_path / "r.npz")
    back = SimResult.load(path)
    assert back.analysis == "tran" and back.backend == "batch" and back.deck == "* deck\n"
    assert np.array_equal(back.time, r.time)
    assert np.array_equal(back["v(out)"], r["v(out)"])
    assert list(back.signals) == list(r.signals)


def test_complex_round_trip(tmp_path):
    f = np.logspace(0, 6, 13)
    r = SimResult.from_vectors("ac", {"frequency": f + 0j, "v(out)": 1 / (1 + 1j * f / 1e3)})
    back = SimResult.load(r.save(tmp_path / "ac.npz"))
    assert np.allclose(back["out"], r["out"]) and np.iscomplexobj(back["out"])
    assert np.allclose(back.frequency, f)


def test_plot_png(tmp_path):
    pytest.importorskip("matplotlib")
    p = tmp_path / "p.png"
    _res().plot(["out"], path=p, title="t")
    assert p.stat().st_size > 1000 and p.read_bytes()[:4] == b"\x89PNG"
