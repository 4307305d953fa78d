"""SI formatting/parsing and parameter validation."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from neurocircuit.errors import ParameterError
from neurocircuit.units import describe, field_unit, format_si, param, parse_si, validate


@pytest.mark.parametrize(
    "text,value",
    [
        ("10k", 1e4),
        ("1.5meg", 1.5e6),
        ("2p", 2e-12),
        ("10pF", 10e-12),
        ("1.8V", 1.8),
        ("3", 3.0),
        ("-4.7u", -4.7e-6),
        ("1e-3", 1e-3),
        ("5mil", 5 * 25.4e-6),
        ("100f", 1e-13),
    ],
)
def test_parse_si(text, value):
    assert parse_si(text) == pytest.approx(value, rel=1e-12, abs=0)


@pytest.mark.parametrize(
    "value,text",
    [(1e-12, "1p"), (1e4, "10k"), (2.2e6, "2.2meg"), (0.6, "600m"), (0.0, "0"), (1.8, "1.8")],
)
def test_format_si(value, text):
    assert format_si(value) == text


def test_no_atto_suffix_which_ngspice_reads_as_a_unit_letter():
    # ngspice has no "a" scale factor: "80.0356a" in an OU stimulus was read as 80 A
    for x in (8.00356e-17, -4.62342e-16, 1e-18, 9.99999e-16):
        assert "a" not in format_si(x) and parse_si(format_si(x)) == pytest.approx(x, rel=1e-5)
    assert format_si(1e-15) == "1f"
    assert parse_si("5A") == 5.0  # amperes, as ngspice reads it


@pytest.mark.ngspice
def test_sub_femto_values_reach_ngspice_at_their_magnitude():
    from neurocircuit.spice import Op, simulate

    deck = f"sub-femto\nI1 0 1 DC {format_si(5e-17)}\nR1 1 0 1\n"
    res = simulate(deck, Op(), cache=False, timeout=30)
    assert float(np.asarray(res["v(1)"]).ravel()[0]) == pytest.approx(5e-17, rel=1e-6)


def test_format_si_rounding_carries_to_next_prefix():
    assert format_si(0.9999999999) == "1"
    assert format_si(999.99999999e-12) == "1n"


@given(st.floats(min_value=1e-17, max_value=1e13, allow_nan=False))
def test_format_parse_round_trip(x):
    for sign in (1, -1):
        assert parse_si(format_si(sign * x)) == pytest.approx(sign * x, rel=1e-5, abs=0)


def test_parse_rejects_garbage():
    with pytest.raises(ParameterError, match="abc"):
        parse_si("abc")


def test_format_rejects_nan():
    with pytest.raises(ParameterError):
        format_si(float("nan"))


@dataclasses.dataclass(frozen=True)
class _P:
    c_mem: float = param(1e-12, unit="F", doc="membrane capacitance", gt=0)
    kappa: float = param(0.7, unit="", doc="slope factor", gt=0, lt=1)
    mode: str = param("soft", doc="reset", choices=("soft", "hard"))

    def __post_init__(self):
        validate(self)


def test_validate_message_names_field_bound_unit():
    with pytest.raises(ParameterError) as exc:
        _P(c_mem=-1e-12)
    msg = str(exc.value)
    assert "'c_mem'" in msg and "_P" in msg and "> 0 F" in msg and "-1e-12" in msg


def test_validate_upper_bound_and_choices():
    with pytest.raises(ParameterError, match="'kappa'.*< 1"):
        _P(kappa=1.5)
    with pytest.raises(ParameterError, match="'mode'.*'soft', 'hard'"):
        _P(mode="other")
    with pytest.raises(ParameterError, match="finite"):
        _P(c_mem=float("inf"))


def test_validate_arrays_elementwise():
    _P(c_mem=np.array([1e-12, 2e-12]))
    with pytest.raises(ParameterError, match="'c_mem'"):
        _P(c_mem=np.array([1e-12, -2e-12]))


def test_describe_and_unit():
    rows = describe(_P())
    assert [r["name"] for r in rows] == ["c_mem", "kappa", "mode"]
    assert rows[0]["unit"] == "F" and rows[0]["doc"] == "membrane capacitance"
    assert field_unit(_P, "c_mem") == "F"
