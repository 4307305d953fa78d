"""``neurocircuit sweep``: parsing, deck substitution, JSON summary, failures, ngspice run."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from neurocircuit.cli import main
from neurocircuit.clicmds.sweep import (
    SimulatePoint,
    parse_analysis,
    parse_measure,
    parse_range,
    parse_values,
    substitute,
)
from neurocircuit.errors import ParameterError, SimulationError
from neurocircuit.spice.analyses import Ac, Dc, Op, Tran
from neurocircuit.spice.result import SimResult
from neurocircuit.units import parse_si

RC_DECK = """* rc step response
.param rval=1k cval=1u
V1 in 0 PULSE(0 1 0 1n 1n 1 2)
R1 in out {rval}
C1 out 0 {cval}
"""


# -- parsing --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("op", Op()),
        (".op", Op()),
        ("tran 1u 10m", Tran(1e-6, 1e-2)),
        ("TRAN 1u 10m 1m", Tran(1e-6, 1e-2, 1e-3)),
        ("tran 1u 10m 0 2u uic", Tran(1e-6, 1e-2, 0.0, 2e-6, True)),
        ("dc V1 0 1.8 10m", Dc("V1", 0.0, 1.8, 0.01)),
        ("dc V1 0 1 0.5 V2 0 2 1", Dc("V1", 0, 1, 0.5, "V2", 0, 2, 1)),
        ("ac dec 10 1 1meg", Ac(1.0, 1e6, 10, "dec")),
    ],
)
def test_parse_analysis(text, expected):
    assert parse_analysis(text) == expected


@pytest.mark.parametrize(
    "text, match",
    [
        ("", "empty"),
        ("tran 1u", "Use one of"),
        ("tran 1u abc", "Cannot read"),
        ("tran -1u 10m", "'step'"),
        ("noise v(out) V1 dec 10 1 1k", "Use one of"),
        ("ac log 10 1 1k", "'variation'"),
        ("op 1", "Use one of"),
    ],
)
def test_parse_analysis_errors(text, match):
    with pytest.raises(ParameterError, match=match):
        parse_analysis(text)


def test_parse_range_and_values():
    assert parse_range("R=1k:4k:4") == ("R", [1e3, 2e3, 3e3, 4e3])
    name, vals = parse_range("I = 1p:1n:4:log")
    assert name == "I"
    np.testing.assert_allclose(vals, [1e-12, 1e-11, 1e-10, 1e-9])
    assert parse_range("x=0:1:1") == ("x", [0.0])
    assert parse_values("C=1p, 2p,5p") == ("C", [1e-12, 2e-12, 5e-12])
    for bad, match in [
        ("R1k:4k:4", "NAME="),
        ("R=1k:4k", "START:STOP:NUM"),
        ("R=1k:4k:2.5", "integer"),
        ("R=0:1:3:log", "> 0"),
        ("R=1:2:3:cubic", "lin|log"),
        ("2R=1:2:3", "not a parameter name"),
    ]:
        with pytest.raises(ParameterError, match=match):
            parse_range(bad)
    with pytest.raises(ParameterError, match="no values"):
        parse_values("C=")
    with pytest.raises(ParameterError, match="Cannot read"):
        parse_values("C=1p,abc")


def test_parse_measure():
    assert parse_measure("v(out):max") == ("v(out)", "max")
    assert parse_measure("v(x1:out):RMS") == ("v(x1:out)", "rms")
    with pytest.raises(ParameterError, match="Valid: final"):
        parse_measure("v(out):median")
    with pytest.raises(ParameterError, match="SIGNAL:OP"):
        parse_measure("v(out)")


# -- substitution ---------------------------------------------------------------------------
def test_substitute_param_lines_and_placeholders():
    deck = ".PARAM rval=1k cval={2*c0} c0=1u\nR1 a b {rval}\nC1 b 0 {cval}\nV1 a 0 {vdd}\n"
    out, temp = substitute(deck, {"rval": 2200.0, "cval": 3e-6, "vdd": 1.8})
    assert temp is None
    assert out.splitlines()[0] == ".PARAM rval=2200 cval=3e-06 c0=1u"
    assert "R1 a b {rval}" in out  # .param-defined: ngspice evaluates the brace expression
    assert "V1 a 0 1.8" in out  # placeholder only: replaced in the text
    out, temp = substitute(deck, {"temp": 85.0, "c0": 2e-6})
    assert temp == 85.0 and "c0=2e-06" in out


def test_substitute_does_not_touch_longer_names():
    deck = ".param r=1 rr=2 xr=3\nR1 a 0 {r}\n"
    out, _ = substitute(deck, {"r": 5.0})
    assert out.startswith(".param r=5 rr=2 xr=3")


def test_substitute_unknown_name_lists_what_exists():
    with pytest.raises(ParameterError) as info:
        substitute(RC_DECK, {"lval": 1e-3})
    msg = str(info.value)
    assert "'.param lval='" in msg and "cval, rval" in msg and "{cval}, {rval}" in msg


# -- the command, with a stand-in simulator (no ngspice) -------------------------------------
def _fake_simulate(
    deck, analysis, backend=None, timeout=60.0, options=None, temperature=None, cache=None
):
    r = parse_si(re.search(r"rval=(\S+)", deck).group(1))
    c = parse_si(re.search(r"cval=(\S+)", deck).group(1))
    if r <= 0:
        raise SimulationError(
            "singular matrix", ["singular matrix: check node out"], kind="singular"
        )
    t = np.linspace(0.0, analysis.stop, 2001)
    v = 1 - np.exp(-t / (r * c))
    return SimResult(
        "tran",
        "time",
        t,
        {"v(out)": v, "i(v1)": -(1 - v) / r},
        deck=deck,
        meta={"cache_hit": False, "temperature": temperature},
    )


@pytest.fixture
def fake_sim(monkeypatch):
    import neurocircuit.spice as spice

    monkeypatch.setattr(spice, "simulate", _fake_simulate)


def test_cli_sweep_json_and_failures(tmp_path, fake_sim, capsys):
    deck = tmp_path / "rc.cir"
    deck.write_text(RC_DECK)
    out = tmp_path / "o" / "res.json"
    rc = main(
        ["sweep", str(deck), "--param", "rval=-1k:2k:4", "--set-values", "cval=1u,2u",
         "--analysis", "tran 1u 5m", "--measure", "v(out):final", "--measure", "v(out):argmax",
         "--measure", "v(out):mean", "--workers", "1", "--no-progress", "-o", str(out)]
    )  # fmt: skip
    assert rc == 3  # some points failed
    data = json.loads(out.read_text())
    assert data["n_points"] == 8 and data["n_failed"] == 4
    assert data["parameters"] == ["rval", "cval"] and data["analysis"] == ".tran 1u 5m"
    assert [p["params"] for p in data["points"][:3]] == [
        {"rval": -1000.0, "cval": 1e-6},
        {"rval": -1000.0, "cval": 2e-6},
        {"rval": 0.0, "cval": 1e-6},
    ]
    bad = [p for p in data["points"] if not p["ok"]]
    assert [p["index"] for p in bad] == [0, 1, 2, 3]
    assert "SimulationError: singular matrix" in bad[0]["error"]
    assert [f["index"] for f in data["failures"]] == [0, 1, 2, 3]
    p = data["points"][6]  # rval=2k, cval=1u: tau = 2 ms
    assert p["ok"] and p["params"] == {"rval": 2000.0, "cval": 1e-6}
    m = p["measures"]
    assert m["v(out):final"] == pytest.approx(1 - math.exp(-2.5), rel=1e-9)
    assert m["v(out):argmax"] == pytest.approx(5e-3)
    tau = 2e-3  # time average of 1 - exp(-t/tau) over [0, 5 ms]
    assert m["v(out):mean"] == pytest.approx(1 - tau * (1 - math.exp(-2.5)) / 5e-3, rel=1e-5)
    err = capsys.readouterr().err
    assert "4/8 points ok, 4 failed" in err and "singular matrix" in err


def test_cli_default_summary_to_stdout(tmp_path, fake_sim, capsys):
    deck = tmp_path / "rc.cir"
    deck.write_text(RC_DECK)
    rc = main(["sweep", str(deck), "--set-values", "rval=1k", "--analysis", "tran 1u 1m",
               "--workers", "1", "--no-progress"])  # fmt: skip
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    sig = data["points"][0]["signals"]
    assert set(sig) == {"v(out)", "i(v1)"}
    assert sig["v(out)"]["min"] == 0.0
    assert sig["v(out)"]["final"] == pytest.approx(1 - math.exp(-1), rel=1e-9)


@pytest.mark.parametrize(
    "argv, match",
    [
        (["--param", "rval=1k:2k:2", "--analysis", "tran 1u 1m"], "Cannot read the deck"),
        ([], None),
    ],
)
def test_cli_missing_deck(tmp_path, capsys, argv, match):
    rc = main(["sweep", str(tmp_path / "nope.cir"), *argv])
    err = capsys.readouterr().err
    assert rc == 1
    assert (match or "Cannot read the deck") in err


def test_cli_input_errors(tmp_path, fake_sim, capsys):
    deck = tmp_path / "rc.cir"
    deck.write_text(RC_DECK)
    assert main(["sweep", str(deck), "--analysis", "op"]) == 1
    assert "Nothing to sweep" in capsys.readouterr().err
    assert main(["sweep", str(deck), "--param", "lval=1:2:2", "--analysis", "op"]) == 1
    assert "neither a '.param lval='" in capsys.readouterr().err
    assert main(["sweep", str(deck), "--param", "rval=1:2:2", "--set-values", "rval=3"]) == 1
    assert "swept twice" in capsys.readouterr().err
    deck.write_text(RC_DECK + ".tran 1u 1m\n")
    assert main(["sweep", str(deck), "--param", "rval=1:2:2", "--analysis", "op"]) == 1
    assert "already has an analysis card" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sweep", str(deck), "--param", "rval=1:2"])
    assert "START:STOP:NUM" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["sweep", str(deck), "--param", "rval=1:2:2", "--workers", "2", "--scheduler", "x"])


def test_simulate_point_is_picklable_and_hash_stable():
    import pickle

    from neurocircuit.spice.sweepstore import digest

    fn = SimulatePoint(RC_DECK, Tran(1e-6, 1e-3), measures=(("v(out)", "max"),))
    again = pickle.loads(pickle.dumps(fn))
    assert again == fn and digest(again) == digest(fn)
    assert digest(SimulatePoint(RC_DECK + "*\n", Tran(1e-6, 1e-3))) != digest(fn)


# -- the real thing ----------------------------------------------------------------------------
@pytest.mark.ngspice
def test_cli_sweep_rc_with_ngspice(tmp_path, cache_dir, capsys):
    deck = tmp_path / "rc.cir"
    deck.write_text(RC_DECK)
    out = tmp_path / "rc.json"
    argv = ["sweep", str(deck), "--param", "rval=1k:2k:2", "--set-values", "cval=1u,2u",
            "--analysis", "tran 5u 4m 0 5u", "--measure", "v(out):final", "--workers", "2",
            "--no-progress", "--store", str(tmp_path / "store"), "-o", str(out)]  # fmt: skip
    assert main(argv) == 0, capsys.readouterr().err
    data = json.loads(out.read_text())
    assert data["n_failed"] == 0 and data["n_points"] == 4
    for p in data["points"]:
        tau = p["params"]["rval"] * p["params"]["cval"]
        expected = 1 - math.exp(-4e-3 / tau)
        assert p["measures"]["v(out):final"] == pytest.approx(expected, rel=1e-3)
        assert p["cache_hit"] is False
    # a second run with another store hits the result cache for every point
    argv[argv.index("--store") + 1] = str(tmp_path / "store2")
    assert main(argv) == 0
    assert all(p["cache_hit"] for p in json.loads(out.read_text())["points"])
    # and the same store resumes without simulating at all
    argv[argv.index("--store") + 1] = str(tmp_path / "store")
    assert main(argv) == 0
    assert json.loads(out.read_text())["n_resumed"] == 4
