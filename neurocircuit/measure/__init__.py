"""neurocircuit.measure: waveforms to numbers (spikes, rates, F–I, energy, time constants).

Pure numpy functions on ``(t, v)`` arrays; each also accepts a
:class:`~neurocircuit.spice.result.SimResult` and a signal name in place of the arrays.
MOSFET figures of merit live in :mod:`neurocircuit.measure.mos`.
"""

from __future__ import annotations

from .energy import (
    cumulative_trapezoid,
    energy,
    energy_per_spike,
    static_power,
    supply_power,
    trapezoid,
)
from .spikes import (
    Bursts,
    FICurve,
    IsiStats,
    adaptation_ratio,
    as_trace,
    detect_bursts,
    fi_curve,
    firing_rate,
    isi_stats,
    merge_close,
    pulse_widths,
    refractory_period,
    rheobase,
    spike_times,
)
from .timeconst import ExpFit, fit_exponential, settling_time, time_to_fraction

__all__ = [
    "Bursts",
    "ExpFit",
    "FICurve",
    "IsiStats",
    "adaptation_ratio",
    "merge_close",
    "as_trace",
    "cumulative_trapezoid",
    "detect_bursts",
    "energy",
    "energy_per_spike",
    "fi_curve",
    "firing_rate",
    "fit_exponential",
    "isi_stats",
    "pulse_widths",
    "refractory_period",
    "rheobase",
    "settling_time",
    "spike_times",
    "static_power",
    "supply_power",
    "time_to_fraction",
    "trapezoid",
]
