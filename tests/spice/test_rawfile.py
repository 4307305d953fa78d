"""ngspice raw-file reader: binary and ASCII, real and complex, several plots, truncation."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from neurocircuit.errors import DataError
from neurocircuit.spice.batch import spiceinit_text
from neurocircuit.spice.locate import require_binary
from neurocircuit.spice.rawfile import parse_raw, plot_kind, read_raw

# RC low-pass: R = 1 kΩ, C = 1 µF (τ = 1 ms, corner 159.15 Hz); three analyses in one deck.
RC_DECK = """* rc lowpass, three analyses
V1 in 0 DC 0 AC 1 PULSE(0 1 0 1n 1n 1 2)
R1 in out 1k
C1 out 0 1u
.op
.tran 10u 2m 0 10u
.ac dec 10 1 100k
.end
"""

SYNTHETIC_ASCII = """Title: * hand-written
Date: Thu Jan  1 00:00:00  2026
Plotname: Transient Analysis
Flags: real
No. Variables: 3
No. Points: 2
Variables:
\t0\ttime\ttime
\t1\tv(a)\tvoltage
\t2\ti(v1)\tcurrent
Values:
0\t\t0.000000000000000e+00
\t1.500000000000000e+00
\t-2.000000000000000e-03
1\t\t1.000000000000000e-06
\t1.250000000000000e+00
\t-1.000000000000000e-03

Title: * hand-written
Date: Thu Jan  1 00:00:00  2026
Plotname: AC Analysis
Flags: complex
No. Variables: 2
No. Points: 1
Variables:
\t0\tfrequency\tfrequency\tgrid=3
\t1\tv(a)\tvoltage
Values:
0\t\t1.000000000000000e+03,0.000000000000000e+00
\t5.000000000000000e-01,-2.500000000000000e-01
"""


def _run_ngspice(tmp_path: Path, ascii_raw: bool) -> Path:
    d = tmp_path / ("ascii" if ascii_raw else "binary")
    d.mkdir()
    (d / "rc.cir").write_text(RC_DECK)
    (d / ".spiceinit").write_text(spiceinit_text(1, ascii_raw=ascii_raw))
    subprocess.run(
        [require_binary(), "-b", "-r", "rc.raw", "rc.cir"],
        cwd=d,
        capture_output=True,
        check=True,
        timeout=60,
    )
    return d / "rc.raw"


def test_synthetic_ascii_real_and_complex():
    plots = parse_raw(SYNTHETIC_ASCII.encode())
    assert [p.kind for p in plots] == ["tran", "ac"]
    tran, ac = plots
    assert tran.names == ("time", "v(a)", "i(v1)")
    assert tran.types == ("time", "voltage", "current")
    np.testing.assert_array_equal(tran.vectors["time"], [0.0, 1e-6])
    np.testing.assert_array_equal(tran.vectors["v(a)"], [1.5, 1.25])
    np.testing.assert_array_equal(tran.vectors["i(v1)"], [-2e-3, -1e-3])
    assert not tran.truncated and tran.vectors["v(a)"].dtype == np.float64
    assert ac.is_complex and ac.vectors["v(a)"].dtype == np.complex128
    assert ac.vectors["v(a)"][0] == 0.5 - 0.25j
    assert ac.scale == "frequency"


def test_synthetic_binary_roundtrip_and_truncation():
    header = (
        b"Title: * b\nDate: x\nPlotname: Transient Analysis\nFlags: real\n"
        b"No. Variables: 2\nNo. Points: 4\nVariables:\n\t0\ttime\ttime\n\t1\tv(x)\tvoltage\n"
        b"Binary:\n"
    )
    data = np.arange(8, dtype="<f8")  # time = 0, 2, 4, 6; v(x) = 1, 3, 5, 7
    full = parse_raw(header + data.tobytes())[0]
    np.testing.assert_array_equal(full.vectors["time"], [0, 2, 4, 6])
    np.testing.assert_array_equal(full.vectors["v(x)"], [1, 3, 5, 7])
    cut = parse_raw(header + data.tobytes()[: 8 * 5])[0]  # 2.5 points written
    assert cut.truncated and cut.n_points == 2
    np.testing.assert_array_equal(cut.vectors["v(x)"], [1, 3])


def test_not_a_raw_file(tmp_path):
    bad = tmp_path / "bad.raw"
    bad.write_text("hello world\nthis is not ngspice\n")
    with pytest.raises(DataError, match="not an ngspice raw file"):
        read_raw(bad)
    with pytest.raises(DataError, match="Cannot read"):
        read_raw(tmp_path / "missing.raw")


def test_plot_kind_names():
    assert plot_kind("Transient Analysis") == "tran"
    assert plot_kind("tran3") == "tran"
    assert plot_kind("Operating Point") == "op"
    assert plot_kind("DC transfer characteristic") == "dc"
    assert plot_kind("AC Analysis") == "ac"


@pytest.mark.ngspice
def test_ngspice_binary_and_ascii_agree(tmp_path):
    binary = read_raw(_run_ngspice(tmp_path, ascii_raw=False))
    ascii_ = read_raw(_run_ngspice(tmp_path, ascii_raw=True))
    assert (tmp_path / "ascii" / "rc.raw").read_bytes().count(b"Values:") == 3
    assert (tmp_path / "binary" / "rc.raw").read_bytes().count(b"Binary:") == 3
    assert sorted(p.kind for p in binary) == ["ac", "op", "tran"]
    assert [p.kind for p in binary] == [p.kind for p in ascii_]
    for b, a in zip(binary, ascii_):
        assert b.names == a.names and b.n_points == a.n_points > 0
        for name in b.names:
            x, y = b.vectors[name], a.vectors[name]
            assert x.dtype == y.dtype
            if name == "frequency":  # ngspice leaves junk in the imaginary part
                x, y = x.real, y.real
            scale = max(np.max(np.abs(x)), 1e-30)
            assert np.max(np.abs(x - y)) / scale < 1e-12, name


@pytest.mark.ngspice
def test_ngspice_values_match_physics(tmp_path):
    plots = {p.kind: p for p in read_raw(_run_ngspice(tmp_path, ascii_raw=False))}
    ac = plots["ac"]
    f = ac.vectors["frequency"].real
    h = ac.vectors["v(out)"]
    expected = 1.0 / (1.0 + 2j * np.pi * f * 1e-3)
    assert np.max(np.abs(h - expected)) < 1e-9
    tran = plots["tran"]
    t = tran.vectors["time"]
    assert t[0] == 0.0 and abs(t[-1] - 2e-3) < 1e-12 and np.all(np.diff(t) > 0)
    assert plots["op"].n_points == 1
