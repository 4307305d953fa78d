"""Testbench builders: golden decks, stimulus shapes, validation."""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np
import pytest

from neurocircuit.circuits import testbenches as tb
from neurocircuit.circuits.neurons.axon_hillock import MEAD_1989, axon_hillock
from neurocircuit.circuits.neurons.digital_if import TRUENORTH_LIKE, digital_if
from neurocircuit.circuits.process import models_dir
from neurocircuit.errors import ParameterError

GOLDEN = Path(__file__).parent / "golden"


def normalise(text: str) -> str:
    """Replace the machine-specific model-library path by a placeholder."""
    return text.replace(str(models_dir()), "<MODELS>")


def check_golden(name: str, text: str) -> None:
    """Compare with tests/golden/<name>; NEUROCIRCUIT_UPDATE_GOLDEN=1 rewrites it."""
    path = GOLDEN / name
    text = normalise(text)
    if os.environ.get("NEUROCIRCUIT_UPDATE_GOLDEN") == "1":  # pragma: no cover
        path.write_text(text)
    assert path.exists(), f"missing golden deck {path}"
    assert text == path.read_text(), f"{name} differs from the golden deck"


def test_axon_hillock_dc_step_golden():
    bench = tb.dc_step(axon_hillock(MEAD_1989), 100e-12, 20e-3, max_step=9e-6)
    check_golden("axon_hillock__dc_step.cir", bench.text())
    assert bench.probes == {"vmem": "v(vmem)", "out": "v(out)", "supply": "i(vdd)"}
    assert bench.vdd == pytest.approx(1.8)
    assert bench.analysis.stop == pytest.approx(20e-3)
    assert bench.analysis.max_step == pytest.approx(9e-6)
    assert bench.options == "subthreshold"


def test_axon_hillock_ramp_golden():
    bench = tb.current_ramp(axon_hillock(MEAD_1989), 0.0, 1e-9, 10e-3, t_on=1e-3)
    check_golden("axon_hillock__ramp.cir", bench.text())


def test_builders_are_deterministic():
    n = axon_hillock(MEAD_1989)
    a = tb.ou_current(n, 200e-12, 50e-12, 1e-3, 10e-3, 1e-4, seed=3)
    b = tb.ou_current(n, 200e-12, 50e-12, 1e-3, 10e-3, 1e-4, seed=3)
    c = tb.ou_current(n, 200e-12, 50e-12, 1e-3, 10e-3, 1e-4, seed=4)
    assert a.text() == b.text()
    assert a.text() != c.text()
    assert a == b


def test_dc_step_stimulus_and_supply():
    bench = tb.dc_step(axon_hillock(MEAD_1989), 1e-9, 1e-3, t_on=0.2e-3, vdd=1.5)
    text = bench.text()
    assert "VDD vdd 0 DC 1.5" in text
    assert "XN in vmem out vdd 0 AXON_HILLOCK" in text
    assert "IIN 0 in PWL(0 0 200u 0 200.1u 1n)" in text
    assert ".ic v(vmem)=0" in text
    assert text.rstrip().endswith(bench.analysis.card())


def test_spike_train_pulses():
    bench = tb.spike_train(axon_hillock(MEAD_1989), [1e-3, 2e-3], 1e-9, 1e-4, 3e-3)
    line = next(ln for ln in bench.netlist.lines if ln.startswith("IIN"))
    nums = [float(x.rstrip(")")) for x in re.findall(r"[-0-9.e]+\)?", line.split("PWL(")[1])]
    values = nums[1::2]
    assert max(values) == 1.0 and values.count(1.0) == 4  # two flat tops of two points each
    assert bench.analysis.max_step <= 1e-4 / 20
    with pytest.raises(ParameterError):
        tb.spike_train(axon_hillock(MEAD_1989), [1e-3, 1.05e-3], 1e-9, 1e-4, 3e-3)


def test_ou_samples_statistics():
    t, x = tb.ou_samples(1.0, 0.2, 1e-3, 2.0, 1e-4, seed=1)
    assert t[1] - t[0] == pytest.approx(1e-4)
    assert x.mean() == pytest.approx(1.0, abs=0.02)
    assert x.std() == pytest.approx(0.2, rel=0.1)
    lag = int(1e-3 / 1e-4)  # autocorrelation at one τ ≈ e^-1
    xc = x - x.mean()
    rho = np.dot(xc[:-lag], xc[lag:]) / np.dot(xc, xc)
    assert rho == pytest.approx(np.exp(-1), abs=0.06)


def test_clocked_digital_bench():
    bits = np.array([[1, 0], [0, 1], [1, 1]])
    bench = tb.clocked_digital(digital_if(TRUENORTH_LIKE), bits, 1e6)
    text = bench.text()
    assert "XN clk rst s0 s1 out vdd 0 DIGITAL_IF" in text
    assert "VCLK clk 0 PULSE(0 1.8 1u" in text
    assert bench.analysis.stop == pytest.approx(5e-6)
    with pytest.raises(ParameterError):
        tb.clocked_digital(digital_if(TRUENORTH_LIKE), np.array([[2, 0]]), 1e6)


def test_invalid_arguments():
    n = axon_hillock(MEAD_1989)
    with pytest.raises(ParameterError, match="t_stop"):
        tb.dc_step(n, 1e-9, -1.0)
    with pytest.raises(ParameterError):
        tb.dc_step(n, 1e-9, 1e-3, t_on=2e-3)
    with pytest.raises(ParameterError):
        tb.clocked_digital(n, np.zeros((2, 2)), 1e6)
    with pytest.raises(ParameterError):
        tb.dc_step(digital_if(TRUENORTH_LIKE), 1e-9, 1e-3)


def test_pwl_keeps_close_edges_late_in_a_long_stimulus():
    """0.2 µs edges at t = 0.25 s must not merge (6-digit notation would write both as 250m)."""
    from neurocircuit.circuits.testbenches import pwl
    from neurocircuit.units import parse_si

    text = pwl([0.0, 0.25, 0.2500002], [0.0, 0.0, 1.8])
    times = [parse_si(tok) for tok in text[4:-1].split()[0::2]]
    assert times == [0.0, 0.25, 0.2500002]
    assert pwl([0.0, 1e-3], [0.0, 1.0]) == "PWL(0 0 1m 1)"
