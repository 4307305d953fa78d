"""MOSFET figures of merit from an I_D–V_GS sweep: swing, slope factor, threshold, on-current.

In weak inversion (source-referenced, saturated) the drain current is exponential in the gate
voltage::

    I_D = I_0 (W/L) exp(κ V_GS / U_T),      U_T = k T / q,      κ = 1 / n

so the subthreshold swing, the gate voltage per decade of current, is::

    S = dV_GS / dlog10(I_D) = U_T ln(10) / κ          (≈ 60 mV/dec · n at 300 K)

and ``κ = U_T ln(10) / S``. The threshold voltage is given two ways:

* maximum-transconductance linear extrapolation (linear region, small V_DS)::

      V_T = V_GS* − I_D(V_GS*) / g_m(V_GS*) − V_DS / 2,     V_GS* = argmax g_m

  (in saturation pass ``vds=0``: the V_DS/2 correction is for the linear region);
* constant current: the V_GS at which I_D = I_crit (typically 100 nA · W/L).

All functions are pure and take numpy arrays with the sign convention "current grows with
the gate drive": for an nFET pass (V_GS, I_D); for a pFET pass (V_SG, −I_D), or simply the
magnitudes |V_GS|, |I_D|. Units are SI: volts, amperes, V/decade.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import FitError, ParameterError

__all__ = [
    "BOLTZMANN",
    "ELEMENTARY_CHARGE",
    "thermal_voltage",
    "local_swing",
    "subthreshold_swing",
    "slope_factor",
    "threshold_max_gm",
    "threshold_constant_current",
    "on_current",
    "vgs_at_current",
    "MosDcMetrics",
    "mos_dc_metrics",
]

BOLTZMANN = 1.380649e-23  # J/K
ELEMENTARY_CHARGE = 1.602176634e-19  # C
ZERO_CELSIUS = 273.15  # K


def thermal_voltage(temperature_c: float = 27.0) -> float:
    """U_T = k T / q in volts at ``temperature_c`` degrees Celsius (25.86 mV at 27 °C)."""
    t = float(temperature_c) + ZERO_CELSIUS
    if not t > 0:
        raise ParameterError(
            f"The 'temperature_c' parameter must be > -273.15 °C. Got {temperature_c!r} instead."
        )
    return BOLTZMANN * t / ELEMENTARY_CHARGE


def _prepare(vgs, id_) -> tuple[np.ndarray, np.ndarray]:
    v = np.asarray(vgs, dtype=float).ravel()
    i = np.abs(np.asarray(id_, dtype=float).ravel())
    if v.shape != i.shape:
        raise ParameterError(
            f"vgs and id must have the same length. Got {v.size} and {i.size} instead."
        )
    if v.size < 5:
        raise FitError(f"Need at least 5 sweep points to measure a MOSFET; got {v.size}.")
    order = np.argsort(v)
    return v[order], i[order]


def local_swing(vgs, id_, window: float = 0.05) -> tuple[np.ndarray, np.ndarray]:
    """Local swing dV_GS/dlog10(I_D) (V/dec) from least-squares lines over ``window`` volts.

    Returns ``(v_centre, swing)``; points where the current does not rise give ``inf``.
    """
    v, i = _prepare(vgs, id_)
    logi = np.log10(np.maximum(i, 1e-300))
    dv = float(np.median(np.diff(v)))
    half = max(1, int(round(window / dv / 2)))
    n = v.size
    centres, swings = [], []
    for k in range(half, n - half):
        sl = slice(k - half, k + half + 1)
        x, y = v[sl], logi[sl]
        xm, ym = x.mean(), y.mean()
        slope = np.sum((x - xm) * (y - ym)) / np.sum((x - xm) ** 2)  # dec / V
        centres.append(v[k])
        swings.append(1.0 / slope if slope > 0 else np.inf)
    return np.asarray(centres), np.asarray(swings)


def subthreshold_swing(
    vgs,
    id_,
    window: float = 0.05,
    i_min: float | None = None,
    i_max: float | None = None,
) -> float:
    """Minimum subthreshold swing S in V/decade (multiply by 1e3 for mV/dec).

    Parameters
    ----------
    vgs, id_
        Gate drive and drain current (see the module docstring for signs).
    window
        Width of the local line fits (V).
    i_min
        Ignore currents below this (leakage/gmin floor). Default: 10 × the smallest current
        in the sweep, at least 1 fA. A floor only flattens the curve (raises the local
        swing), so the minimum is robust against it.
    i_max
        Ignore currents above this (moderate/strong inversion). Default: 1e-3 × the largest
        current, i.e. the three decades below the on-current are excluded.
    """
    v, i = _prepare(vgs, id_)
    if i_min is None:
        i_min = max(10.0 * float(np.min(i)), 1e-15)
    if i_max is None:
        i_max = 1e-3 * float(np.max(i))
    if not i_max > i_min:
        raise FitError(
            f"No weak-inversion region: current window [{i_min:.3g}, {i_max:.3g}] A is empty."
        )
    centres, s = local_swing(v, i, window)
    ic = np.interp(centres, v, i)
    ok = (ic >= i_min) & (ic <= i_max) & np.isfinite(s)
    if not np.any(ok):
        raise FitError(
            f"No sweep point between {i_min:.3g} A and {i_max:.3g} A to measure the swing on."
        )
    return float(np.min(s[ok]))


def slope_factor(swing: float, temperature_c: float = 27.0) -> float:
    """κ = U_T ln(10) / S for a swing ``swing`` in V/decade at ``temperature_c`` °C."""
    if not swing > 0:
        raise ParameterError(f"The 'swing' must be > 0 V/dec. Got {swing!r} instead.")
    return float(thermal_voltage(temperature_c) * np.log(10.0) / float(swing))


def threshold_max_gm(vgs, id_, vds: float = 0.0) -> float:
    """Threshold by max-g_m linear extrapolation: V_GS* − I_D/g_m − V_DS/2 (volts).

    Use a linear-region sweep (small ``vds``, e.g. 50 mV) for the textbook definition; with a
    saturation sweep pass ``vds=0`` (the extrapolation then gives the saturation threshold of
    the square law only approximately).
    """
    v, i = _prepare(vgs, id_)
    gm = np.gradient(i, v)
    k = int(np.argmax(gm))
    if gm[k] <= 0:
        raise FitError("The drain current never rises with the gate voltage.")
    return float(v[k] - i[k] / gm[k] - vds / 2.0)


def vgs_at_current(vgs, id_, current: float) -> float:
    """The gate drive at which |I_D| first reaches ``current`` (log-linear interpolation)."""
    v, i = _prepare(vgs, id_)
    if not current > 0:
        raise ParameterError(f"The 'current' must be > 0 A. Got {current!r} instead.")
    above = np.nonzero(i >= current)[0]
    if above.size == 0 or above[0] == 0:
        raise FitError(
            f"The current {current:.3g} A is outside the swept range "
            f"[{i.min():.3g}, {i.max():.3g}] A."
        )
    k = int(above[0])
    l0, l1 = np.log(i[k - 1]), np.log(i[k])
    frac = (np.log(current) - l0) / (l1 - l0) if l1 > l0 else 0.0
    return float(v[k - 1] + frac * (v[k] - v[k - 1]))


def threshold_constant_current(vgs, id_, w: float, l: float, i_crit: float = 100e-9) -> float:
    """Constant-current threshold: the V_GS where I_D = ``i_crit`` · W/L (volts)."""
    if not (w > 0 and l > 0):
        raise ParameterError(f"W and L must be > 0 m. Got W={w!r}, L={l!r} instead.")
    return vgs_at_current(vgs, id_, i_crit * w / l)


def on_current(vgs, id_, v_on: float | None = None) -> float:
    """|I_D| at gate drive ``v_on`` (default: the largest swept value), in amperes."""
    v, i = _prepare(vgs, id_)
    if v_on is None:
        return float(i[-1])
    if not v[0] <= v_on <= v[-1]:
        raise ParameterError(
            f"The 'v_on' value must lie in the swept range [{v[0]:g}, {v[-1]:g}] V. "
            f"Got {v_on!r} instead."
        )
    return float(np.interp(v_on, v, i))


@dataclass(frozen=True)
class MosDcMetrics:
    """Figures of merit of one I_D–V_GS sweep (SI units; swing in V/decade)."""

    swing: float
    kappa: float
    vth_cc: float
    vth_gm: float
    i_on: float
    i_off: float
    temperature_c: float

    def as_dict(self) -> dict[str, float]:
        return {
            "swing_mV_per_dec": self.swing * 1e3,
            "kappa": self.kappa,
            "vth_cc_V": self.vth_cc,
            "vth_gm_V": self.vth_gm,
            "i_on_A": self.i_on,
            "i_off_A": self.i_off,
            "temperature_C": self.temperature_c,
        }


def mos_dc_metrics(
    vgs,
    id_,
    w: float,
    l: float,
    temperature_c: float = 27.0,
    v_on: float | None = None,
    i_crit: float = 100e-9,
) -> MosDcMetrics:
    """Swing, κ, thresholds (constant-current and max-g_m), I_on and I_off of one sweep.

    ``i_off`` is |I_D| at the smallest swept gate drive (usually V_GS = 0).
    """
    v, i = _prepare(vgs, id_)
    s = subthreshold_swing(v, i)
    return MosDcMetrics(
        swing=s,
        kappa=slope_factor(s, temperature_c),
        vth_cc=threshold_constant_current(v, i, w, l, i_crit),
        vth_gm=threshold_max_gm(v, i),
        i_on=on_current(v, i, v_on),
        i_off=float(i[0]),
        temperature_c=float(temperature_c),
    )
