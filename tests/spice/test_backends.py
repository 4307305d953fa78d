"""simulate() on both backends: physics, parity, analyses, options, temperature, save, cache."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from neurocircuit.circuits.netlist import Netlist
from neurocircuit.errors import ParameterError
from neurocircuit.spice import Ac, Dc, Op, Tran, simulate
from neurocircuit.spice.locate import find_binary, find_library
from neurocircuit.spice.options import PRESETS, options_card, resolve_options
from neurocircuit.spice.simulate import DEFAULT_BACKEND, build_deck, default_backend

BACKENDS = ["batch", "shared"]

# R = 1 kΩ, C = 1 µF: τ = 1 ms. The capacitor starts at 1 V (uic) and discharges.
RC_DISCHARGE = Netlist(
    title="rc discharge",
    lines=("R1 out 0 1k", "C1 out 0 1u IC=1"),
)
RC_STEP = Netlist(
    title="rc step",
    lines=("V1 in 0 PULSE(0 1 10u 1n 1n 1 2) AC 1", "R1 in out 1k", "C1 out 0 1u"),
)

_BSIM3 = "level=8 version=3.3.0 tox=4e-9 k1=0.5 k2=0 nfactor=1.5 cgso=3e-10 cgdo=3e-10 cj=1e-3"
INVERTER = Netlist(
    title="cmos inverter, BSIM3v3 (level 8)",
    lines=(
        "VDD vdd 0 DC 1.8",
        "VIN in 0 PULSE(0 1.8 1n 100p 100p 2n 4n)",
        "MP out in vdd vdd pch W=1u L=0.18u AD=0.5p AS=0.5p PD=2u PS=2u",
        "MN out in 0 0 nch W=0.5u L=0.18u AD=0.5p AS=0.5p PD=2u PS=2u",
        "CL out 0 10f",
        f".model pch pmos {_BSIM3} nch=4e17 u0=100 vsat=8e4 vth0=-0.45",
        f".model nch nmos {_BSIM3} nch=2.3e17 u0=350 vsat=1e5 vth0=0.45",
    ),
)


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_rc_discharge_matches_exponential(backend):
    res = simulate(
        RC_DISCHARGE,
        Tran(step=1e-6, stop=5e-3, max_step=1e-6, uic=True),
        backend=backend,
        options={"reltol": 1e-6, "abstol": 1e-15, "vntol": 1e-9},
        cache=False,
    )
    t, v = res.time, res["out"]
    assert res.analysis == "tran" and res.backend == backend
    assert len(t) > 4000 and t[-1] == pytest.approx(5e-3)
    expected = np.exp(-t / 1e-3)
    rel = np.abs(v - expected) / expected
    assert rel.max() < 1e-3, rel.max()


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_rc_step_response(backend):
    res = simulate(
        RC_STEP,
        Tran(1e-6, 3e-3, max_step=1e-6),
        backend=backend,
        cache=False,
        options={"reltol": 1e-6},
    )
    t = res.time
    mask = t > 20e-6
    expected = 1 - np.exp(-(t[mask] - 10.5e-6) / 1e-3)
    assert np.max(np.abs(res["v(out)"][mask] - expected)) < 1e-3


@pytest.mark.ngspice
@pytest.mark.parametrize(
    "netlist,analysis",
    [
        (RC_STEP, Tran(1e-6, 2e-3, max_step=2e-6)),
        (INVERTER, Tran(10e-12, 8e-9, max_step=10e-12)),
        (INVERTER, Dc("VIN", 0, 1.8, 0.01)),
        (RC_STEP, Ac(1, 1e5, 10)),
    ],
    ids=["rc-tran", "inverter-tran", "inverter-dc", "rc-ac"],
)
def test_backend_parity(netlist, analysis):
    a = simulate(netlist, analysis, backend="batch", cache=False)
    b = simulate(netlist, analysis, backend="shared", cache=False)
    assert a.backend == "batch" and b.backend == "shared"
    assert a.analysis == b.analysis == analysis.kind
    assert a.axis_name == b.axis_name
    assert list(a.signals) == list(b.signals)  # same names, same order
    assert len(a.axis) == len(b.axis) > 10
    assert _rel(a.axis, b.axis) <= 1e-6
    for name in a.signals:
        assert _rel(a[name], b[name]) <= 1e-6, name
    if netlist is INVERTER and analysis.kind == "tran":  # it really switched
        out = a["out"]
        assert out.max() > 1.7 and out.min() < 0.1


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_analyses_shapes_and_names(backend):
    op = simulate(RC_STEP, Op(), backend=backend, cache=False)
    assert op.analysis == "op" and op.axis.size == 0 and op.axis_name == ""
    assert set(op.signals) == {"v(in)", "v(out)", "i(v1)"}
    assert op["out"].shape == (1,)
    dc = simulate(RC_STEP, Dc("V1", 0, 1, 0.25), backend=backend, cache=False)
    assert dc.axis_name == "v(v-sweep)"
    np.testing.assert_allclose(dc.axis, [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(dc["out"], dc.axis, atol=1e-9)
    ac = simulate(RC_STEP, Ac(1, 1e5, 10), backend=backend, cache=False)
    assert ac.axis.dtype == np.float64 and ac["out"].dtype == np.complex128
    f = ac.frequency
    np.testing.assert_allclose(ac["out"], 1 / (1 + 2j * np.pi * f * 1e-3), rtol=1e-6)


@pytest.mark.ngspice
def test_subthreshold_preset_rshunt_and_pa_circuit():
    # a node fed by 1 pA and nothing else: its only DC path is rshunt -> V = 1 pA * rshunt
    lone = Netlist(title="lone node", lines=("I1 0 n DC 1p", "R1 a 0 1k", "V1 a 0 1"))
    res = simulate(lone, Op(), backend="batch", options="subthreshold", cache=False)
    rshunt = PRESETS["subthreshold"]["rshunt"]
    assert res["n"][0] == pytest.approx(1e-12 * rshunt, rel=1e-3)
    # pA-level subthreshold circuit: 10 pA into a diode-connected nMOS, and a 1 pF node
    # charged by 2 pA; converges and balances currents at the pA level.
    pa = Netlist(
        title="pA bias",
        lines=(
            "VDD vdd 0 1.8",
            "IB vdd g DC 10p",
            "M1 g g 0 0 nch W=1u L=1u AD=0.5p AS=0.5p PD=2u PS=2u",
            "I2 0 c DC 2p",
            "C1 c 0 1p IC=0",
            f".model nch nmos {_BSIM3} nch=2.3e17 u0=350 vsat=1e5 vth0=0.45",
        ),
    )
    tr = simulate(
        pa,
        Tran(1e-3, 0.2, max_step=1e-3, uic=True),
        options="subthreshold",
        backend="batch",
        cache=False,
    )
    vg = tr["g"]
    assert 0.05 < vg[-1] < 0.45  # below threshold: subthreshold operation
    # the capacitor ramps at I/C = 2 V/s (minus a fA leak through rshunt/gmin)
    slope = np.polyfit(tr.time, tr["c"], 1)[0]
    assert slope == pytest.approx(2.0, rel=1e-3)


def test_options_rendering_and_errors():
    assert options_card(None) == "" and options_card("default") == ""
    card = options_card("subthreshold")
    for word in ("abstol=1e-16", "gmin=1e-15", "reltol=0.0001", "method=gear", "itl4=100"):
        assert word in card.split()
    assert options_card({"noopiter": True, "klu": False, "temp": 30}) == ".options noopiter temp=30"
    assert resolve_options("subthreshold", reltol=1e-5)["reltol"] == 1e-5
    with pytest.raises(ParameterError, match="'options'.*subthreshold"):
        options_card("fast")


def test_build_deck_layout():
    deck, card, opts = build_deck(
        RC_STEP.text() + ".end\n", Tran(1e-6, 1e-3), "subthreshold", 50.0, ["v(out)"]
    )
    lines = deck.strip().splitlines()
    assert lines[0] == "* rc step" and lines[-1] == ".end"
    assert lines[-2] == card == ".tran 1u 1m"
    assert lines[-3] == ".save v(out)" and lines[-4] == ".temp 50" and lines[-5] == opts
    assert sum(ln.strip() == ".end" for ln in lines) == 1
    with pytest.raises(ParameterError, match="temperature"):
        build_deck(RC_STEP, Op(), temperature=-300)


def test_backend_choice(monkeypatch):
    monkeypatch.delenv("NEUROCIRCUIT_BACKEND", raising=False)
    if find_library() is not None:
        assert default_backend() == DEFAULT_BACKEND
    monkeypatch.setenv("NGSPICE_LIBRARY", "/nonexistent/libngspice.so")  # no shared library
    assert default_backend() == ("batch" if find_binary() else DEFAULT_BACKEND)
    monkeypatch.delenv("NGSPICE_LIBRARY")
    monkeypatch.setenv("NEUROCIRCUIT_BACKEND", "batch")
    assert default_backend() == "batch"
    with pytest.raises(ParameterError, match="'backend'.*batch"):
        simulate(RC_STEP, Op(), backend="spectre")
    with pytest.raises(ParameterError, match="'timeout'"):
        simulate(RC_STEP, Op(), timeout=0)


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_temperature_and_save(backend):
    diode = Netlist(title="diode", lines=("I1 0 a DC 1m", "D1 a 0 dmod", ".model dmod D is=1e-14"))
    cold = simulate(diode, Op(), backend=backend, temperature=0.0, cache=False)
    hot = simulate(diode, Op(), backend=backend, temperature=100.0, cache=False)
    assert hot["a"][0] < cold["a"][0] - 0.1  # V_D falls ~2 mV/K
    assert hot.meta["temperature"] == 100.0
    res = simulate(RC_STEP, Tran(1e-5, 1e-4), backend=backend, save=["v(out)"], cache=False)
    assert list(res.signals) == ["v(out)"]


@pytest.mark.ngspice
def test_cache_hit_and_miss(tmp_path, monkeypatch):
    cache_mod = pytest.importorskip("neurocircuit.spice.cache")
    store = cache_mod.ResultCache(tmp_path / "c")
    first = simulate(RC_STEP, Tran(1e-5, 1e-3), backend="batch", cache=store)
    again = simulate(RC_STEP, Tran(1e-5, 1e-3), backend="batch", cache=store)
    assert first.meta["cache_hit"] is False and again.meta["cache_hit"] is True
    np.testing.assert_array_equal(first["out"], again["out"])
    other = simulate(RC_STEP, Tran(1e-5, 2e-3), backend="batch", cache=store)
    assert other.meta["cache_hit"] is False
    # cache=None uses $NEUROCIRCUIT_CACHE; NEUROCIRCUIT_NO_CACHE=1 turns it off
    monkeypatch.setenv("NEUROCIRCUIT_CACHE", str(tmp_path / "env"))
    monkeypatch.delenv("NEUROCIRCUIT_NO_CACHE", raising=False)
    simulate(RC_STEP, Op(), backend="batch")
    assert simulate(RC_STEP, Op(), backend="batch").meta["cache_hit"] is True
    monkeypatch.setenv("NEUROCIRCUIT_NO_CACHE", "1")
    assert simulate(RC_STEP, Op(), backend="batch").meta["cache_hit"] is False


def test_imports_stay_light():
    code = (
        "import sys, neurocircuit, neurocircuit.spice, neurocircuit.spice.simulate; "
        "from neurocircuit.spice import simulate, Op, Tran, SimResult; "
        "heavy = [m for m in sys.modules "
        "if m.split('.')[0] in ('PySpice', 'matplotlib', 'dask', 'distributed')]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.ngspice
@pytest.mark.parametrize("backend", BACKENDS)
def test_relative_include_and_cache_sees_included_file(tmp_path, backend):
    cache_mod = pytest.importorskip("neurocircuit.spice.cache")
    store = cache_mod.ResultCache(tmp_path / "cache")
    lib = tmp_path / "models" / "load.inc"
    lib.parent.mkdir()
    lib.write_text("* load\nR2 out 0 1k\n")
    deck = "* divider\nV1 in 0 1\nR1 in out 1k\n.include models/load.inc\n"
    first = simulate(deck, Op(), backend=backend, cwd=tmp_path, cache=store)
    assert first["out"][0] == pytest.approx(0.5)
    assert simulate(deck, Op(), backend=backend, cwd=tmp_path, cache=store).meta["cache_hit"]
    lib.write_text("* load\nR2 out 0 3k\n")  # same deck text, different included file
    changed = simulate(deck, Op(), backend=backend, cwd=tmp_path, cache=store)
    assert changed.meta["cache_hit"] is False
    assert changed["out"][0] == pytest.approx(0.75)


@pytest.mark.ngspice
@pytest.mark.slow
def test_w4_axon_hillock_parity_and_spikes():
    """The benchmark deck (own .options/.tran): 12 spikes in 10 ms, same on both backends."""
    from pathlib import Path

    deck = (Path(__file__).resolve().parents[2] / "bench" / "w4_axon_hillock.cir").read_text()
    a = simulate(deck, None, backend="batch", cache=False)
    b = simulate(deck, None, backend="shared", cache=False)
    assert a.analysis == b.analysis == "tran"
    assert len(a.time) == len(b.time) > 10_000
    for name in ("vout", "vmem"):
        assert _rel(a[name], b[name]) <= 1e-6
    vout = a["vout"]
    assert int(np.sum((vout[1:] > 0.9) & (vout[:-1] <= 0.9))) == 12
