"""Netlist rendering, composition, registry overrides and analyses cards."""

from __future__ import annotations

import dataclasses

import pytest

from neurocircuit.circuits.netlist import Netlist, Subckt
from neurocircuit.circuits.registry import apply_overrides
from neurocircuit.errors import NetlistError, ParameterError
from neurocircuit.spice.analyses import Ac, Dc, Op, Tran
from neurocircuit.units import param, validate

GOLDEN_RC = """* rc low-pass
.lib "/models/x.lib" tt
.param rval=1k
.subckt rc in out gnd
R1 in out {rval}
C1 out gnd 1u
.ends rc
V1 a 0 PULSE(0 1 0 1n 1n 1 2)
Xrc a b 0 rc
.ic v(b)=0
"""


def _rc() -> Netlist:
    sub = Subckt("rc", ("in", "out", "gnd"), ("R1 in out {rval}", "C1 out gnd 1u"))
    return Netlist(
        title="rc low-pass",
        lines=("V1 a 0 PULSE(0 1 0 1n 1n 1 2)", sub.instance("rc", ["a", "b", "0"])),
        subckts=(sub,),
        includes=('.lib "/models/x.lib" tt',),
        params=(("rval", 1e3),),
        ic=(("b", 0.0),),
    )


def test_golden_text():
    assert _rc().text() == GOLDEN_RC


def test_deterministic_and_equal():
    assert _rc().text() == _rc().text()
    assert _rc() == _rc()


def test_compose_deduplicates_includes_and_subckts():
    a = _rc()
    b = Netlist("b", lines=("R9 b 0 1k",), subckts=a.subckts, includes=a.includes)
    c = a + b
    assert c.text().count(".subckt rc") == 1
    assert sum(ln.startswith(".lib") for ln in c.text().splitlines()) == 1
    assert "R9 b 0 1k" in c.text()


def test_subckt_instance_port_count():
    sub = Subckt("rc", ("in", "out", "gnd"), ())
    with pytest.raises(NetlistError, match="3 ports"):
        sub.instance("x", ["a", "b"])
    with pytest.raises(NetlistError, match="Invalid node"):
        Subckt("bad", ("a b",), ())


def test_analysis_cards():
    assert Op().card() == ".op"
    assert Dc("VG", 0, 1.8, 0.01).card() == ".dc VG 0 1.8 10m"
    assert Tran(1e-6, 1e-3).card() == ".tran 1u 1m"
    assert Tran(1e-6, 1e-3, max_step=1e-7, uic=True).card() == ".tran 1u 1m 0 100n uic"
    assert Ac(1, 1e6, 10).card() == ".ac dec 10 1 1meg"


def test_analysis_validation():
    with pytest.raises(ParameterError, match="'stop'.*> 0 s"):
        Tran(1e-6, -1)
    with pytest.raises(ParameterError, match="'fstop'"):
        Ac(1e3, 10)
    with pytest.raises(ParameterError, match="'variation'"):
        Ac(1, 10, variation="log")


@dataclasses.dataclass(frozen=True)
class _N:
    c_mem: float = param(1e-12, unit="F", gt=0)
    n_bits: int = param(8, unit="", ge=1)
    adapt: bool = False

    def __post_init__(self):
        validate(self)


def test_apply_overrides_parses_si():
    p = apply_overrides(_N(), {"c_mem": "2p", "n_bits": "12", "adapt": "true"})
    assert p.c_mem == pytest.approx(2e-12) and p.n_bits == 12 and p.adapt is True
    with pytest.raises(ParameterError, match="no parameter 'foo'"):
        apply_overrides(_N(), {"foo": "1"})
    with pytest.raises(ParameterError, match="'c_mem'"):
        apply_overrides(_N(), {"c_mem": "-1p"})
