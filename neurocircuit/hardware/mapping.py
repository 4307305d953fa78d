r"""Weights on memristive crossbars: mapping, non-idealities, tiling, DAC/ADC, IR drop.

A weight matrix :math:`W` (out × in) is mapped to conductances in ``[g_min, g_max]``:

- **differential**: :math:`W = s\,(G^+ - G^-)`, :math:`G^\pm = g_{min} + |W|/s` on the side of
  the weight's sign, :math:`s = \max|W| / (g_{max} - g_{min})`;
- **offset**: :math:`W = s\,(G - G_{ref})` with one reference column at
  :math:`G_{ref} = (g_{min} + g_{max})/2` subtracted digitally.

Programming quantises each target to ``levels`` equally spaced states, then adds
cycle-to-cycle noise :math:`\mathcal N(0, (\sigma_{c2c} g_{max})^2)`; device-to-device
variation scales each device's range by :math:`1 + \mathcal N(0, \sigma_{d2d}^2)`; a fraction of
devices is stuck at :math:`g_{min}` (off) or :math:`g_{max}` (on); conductance drift follows
:math:`G(t) = G\,(t/t_0)^{-\nu}`. Each read adds relative noise :math:`\sigma_{read}`.

Inputs are applied as read voltages :math:`V = v_{read}\cdot\mathrm{DAC}(x)` row-wise; arrays are
tiled into ``tile_rows × tile_cols`` crossbars; each tile's column currents go through an
ADC of ``adc_bits`` over a full scale calibrated on data (a percentile of the column currents)
and the tiles' digital outputs are summed. With wire resistance the column currents come from
the nodal solver (:mod:`neurocircuit.hardware.crossbar`) on the actual input vectors (IR drop).
Everything carries an optional leading chip-instance axis: ``n_chips`` independent programmings
are drawn at once and evaluated in one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import ParameterError
from ..units import param, validate

__all__ = ["CrossbarSpec", "ProgrammedCrossbar", "program", "read", "quantize_uniform",
           "calibrate_adc", "read_energy"]


@dataclass(frozen=True)
class CrossbarSpec:
    """Device and array parameters of a crossbar-mapped layer (SI units)."""

    g_min: float = param(1e-6, unit="S", doc="lowest programmable conductance", ge=0)
    g_max: float = param(25e-6, unit="S", doc="highest programmable conductance", gt=0)
    levels: int = param(64, unit="", doc="programmable states (0: continuous)", ge=0)
    scheme: str = param("differential", doc="weight encoding", choices=("differential", "offset"))
    tile_rows: int = param(64, unit="", doc="rows per array tile", gt=0)
    tile_cols: int = param(64, unit="", doc="columns per array tile", gt=0)
    v_read: float = param(0.2, unit="V", doc="read voltage of a full-scale input", gt=0)
    t_read: float = param(10e-9, unit="s", doc="read pulse length", gt=0)
    dac_bits: int = param(0, unit="bit", doc="input DAC resolution (0: ideal)", ge=0)
    adc_bits: int = param(0, unit="bit", doc="column ADC resolution (0: ideal)", ge=0)
    adc_percentile: float = param(99.9, unit="%", doc="ADC full-scale calibration", gt=0, le=100)
    g_c2c: float = param(0.0, unit="", doc="programming noise σ relative to g_max", ge=0)
    g_d2d: float = param(0.0, unit="", doc="device-to-device range σ (relative)", ge=0)
    read_noise: float = param(0.0, unit="", doc="relative σ of each read", ge=0)
    p_stuck_on: float = param(0.0, unit="", doc="fraction stuck at g_max", ge=0, le=1)
    p_stuck_off: float = param(0.0, unit="", doc="fraction stuck at g_min", ge=0, le=1)
    drift_nu: float = param(0.0, unit="", doc="drift exponent ν", ge=0)
    drift_time: float = param(0.0, unit="s", doc="time since programming", ge=0)
    drift_t0: float = param(20.0, unit="s", doc="drift reference time", gt=0)
    r_wire: float = param(0.0, unit="Ω", doc="wire resistance per cell segment", ge=0)
    r_driver: float = param(0.0, unit="Ω", doc="row driver resistance", ge=0)
    r_sense: float = param(0.0, unit="Ω", doc="column sense resistance", ge=0)

    def __post_init__(self) -> None:
        validate(self)
        if self.g_max <= self.g_min:
            raise ParameterError(
                f"The 'g_max' parameter of CrossbarSpec must be > g_min ({self.g_min:g} S). "
                f"Got {self.g_max!r} instead."
            )


@dataclass
class ProgrammedCrossbar:
    """A weight matrix programmed onto ``n_chips`` sets of devices.

    ``g_pos``/``g_neg`` are ``(n_chips, out, in)`` conductances (``g_neg`` is the shared
    reference for the offset scheme); ``scale`` converts a conductance difference back to weight
    units; ``adc_fs`` holds per-tile full-scale currents once calibrated.
    """

    spec: CrossbarSpec
    g_pos: np.ndarray
    g_neg: np.ndarray
    scale: float
    adc_fs: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    @property
    def n_chips(self) -> int:
        return self.g_pos.shape[0]

    @property
    def shape(self) -> tuple[int, int]:
        return self.g_pos.shape[1:]

    def effective_weights(self) -> np.ndarray:
        """Weights the ideal read of the programmed devices computes: ``(n_chips, out, in)``."""
        return (self.g_pos - self.g_neg) * self.scale


def quantize_uniform(x: np.ndarray, lo: float, hi: float, levels: int) -> np.ndarray:
    """Round ``x`` to ``levels`` equally spaced values in ``[lo, hi]`` (``levels`` ≥ 2)."""
    if levels < 2:
        raise ParameterError(f"quantize_uniform needs levels >= 2. Got {levels!r} instead.")
    step = (hi - lo) / (levels - 1)
    return lo + np.round((np.clip(x, lo, hi) - lo) / step) * step


def _program_devices(target: np.ndarray, spec: CrossbarSpec, rng: np.random.Generator):
    g = target
    if spec.levels:
        g = quantize_uniform(g, spec.g_min, spec.g_max, spec.levels)
    if spec.g_d2d:
        span = (spec.g_max - spec.g_min) * (1.0 + spec.g_d2d * rng.standard_normal(g.shape))
        g = spec.g_min + (g - spec.g_min) / (spec.g_max - spec.g_min) * span
    if spec.g_c2c:
        g = g + spec.g_c2c * spec.g_max * rng.standard_normal(g.shape)
    g = np.clip(g, 0.0, None)
    if spec.p_stuck_on or spec.p_stuck_off:
        u = rng.random(g.shape)
        g = np.where(u < spec.p_stuck_off, spec.g_min, g)
        g = np.where((u >= spec.p_stuck_off) & (u < spec.p_stuck_off + spec.p_stuck_on),
                     spec.g_max, g)
    if spec.drift_nu and spec.drift_time > spec.drift_t0:
        g = g * (spec.drift_time / spec.drift_t0) ** (-spec.drift_nu)
    return g


def program(w: np.ndarray, spec: CrossbarSpec, rng: np.random.Generator,
            n_chips: int = 1) -> ProgrammedCrossbar:
    """Program ``w`` (out × in) onto ``n_chips`` independent device sets."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim != 2:
        raise ParameterError(f"program() expects a 2-D weight matrix (out, in); got {w.shape}.")
    wmax = float(np.max(np.abs(w))) or 1.0
    span = spec.g_max - spec.g_min
    shape = (n_chips, *w.shape)
    if spec.scheme == "differential":
        scale = wmax / span
        pos = spec.g_min + np.clip(w, 0, None) / scale
        neg = spec.g_min + np.clip(-w, 0, None) / scale
        g_pos = _program_devices(np.broadcast_to(pos, shape), spec, rng)
        g_neg = _program_devices(np.broadcast_to(neg, shape), spec, rng)
    else:
        scale = 2.0 * wmax / span
        mid = 0.5 * (spec.g_min + spec.g_max)
        g_pos = _program_devices(np.broadcast_to(mid + w / scale, shape), spec, rng)
        g_neg = np.full(shape, mid)
    return ProgrammedCrossbar(spec, g_pos, g_neg, scale)


def _dac(x: np.ndarray, bits: int) -> np.ndarray:
    if not bits:
        return x
    return quantize_uniform(x, 0.0, 1.0, 2**bits) if bits > 1 else (x >= 0.5).astype(x.dtype)


def _tiles(n: int, size: int):
    return [(a, min(a + size, n)) for a in range(0, n, size)]


def _column_currents(g: np.ndarray, v: np.ndarray, spec: CrossbarSpec) -> np.ndarray:
    """Column currents of one tile: ``g`` (chips, out_t, in_t), ``v`` (chips?, B, in_t) →
    (chips, B, out_t). Ideal wires: a batched matmul; otherwise the nodal solver."""
    if spec.r_wire == 0 and spec.r_driver == 0 and spec.r_sense == 0:
        return np.matmul(v, np.swapaxes(g, 1, 2))
    from .crossbar import solve

    out = np.empty((g.shape[0], v.shape[-2], g.shape[1]))
    for c in range(g.shape[0]):
        vc = v[c] if v.ndim == 3 else v
        out[c] = solve(g[c].T, vc, r_row=spec.r_wire, r_col=spec.r_wire,
                       r_driver=spec.r_driver, r_sense=spec.r_sense).i_col
    return out


def read(xbar: ProgrammedCrossbar, x: np.ndarray, rng: np.random.Generator | None = None,
         calibrate: bool = False) -> np.ndarray:
    """Matrix–vector products through the programmed arrays, in weight units.

    ``x`` is ``(B, in)`` (same input for every chip) or ``(n_chips, B, in)``, values in [0, 1]
    (spikes are 0/1). Returns ``(n_chips, B, out)``. ``calibrate=True`` sets the ADC full
    scales from this batch (per tile, ``adc_percentile`` of |column current|) before reading.
    """
    spec = xbar.spec
    x = np.asarray(x, dtype=np.float64)
    if x.shape[-1] != xbar.shape[1]:
        raise ParameterError(
            f"Crossbar input must end in {xbar.shape[1]} features; got shape {x.shape}."
        )
    if spec.read_noise and rng is None:
        raise ParameterError("read() needs an rng when read_noise > 0.")
    v = spec.v_read * _dac(x, spec.dac_bits)
    n_out, n_in = xbar.shape
    rows, cols = _tiles(n_in, spec.tile_rows), _tiles(n_out, spec.tile_cols)
    if calibrate or xbar.adc_fs is None:
        fs = np.zeros((len(rows), len(cols)))
    else:
        fs = xbar.adc_fs
    out = np.zeros((xbar.n_chips, x.shape[-2], n_out))
    for ri, (r0, r1) in enumerate(rows):
        vt = v[..., r0:r1]
        for ci, (c0, c1) in enumerate(cols):
            gp = xbar.g_pos[:, c0:c1, r0:r1]
            gn = xbar.g_neg[:, c0:c1, r0:r1]
            if spec.read_noise:
                gp = gp * (1.0 + spec.read_noise * rng.standard_normal(gp.shape))
                gn = gn * (1.0 + spec.read_noise * rng.standard_normal(gn.shape))
            i_diff = _column_currents(gp, vt, spec) - _column_currents(gn, vt, spec)
            if spec.adc_bits:
                if calibrate or xbar.adc_fs is None:
                    fs[ri, ci] = max(np.percentile(np.abs(i_diff), spec.adc_percentile), 1e-30)
                lsb = 2.0 * fs[ri, ci] / (2**spec.adc_bits - 1)
                i_diff = np.clip(np.round(i_diff / lsb) * lsb, -fs[ri, ci], fs[ri, ci])
            out[..., c0:c1] += i_diff
    if spec.adc_bits and (calibrate or xbar.adc_fs is None):
        xbar.adc_fs = fs
    return out * xbar.scale / spec.v_read


def calibrate_adc(xbar: ProgrammedCrossbar, x: np.ndarray) -> ProgrammedCrossbar:
    """Set the ADC full scales from a calibration batch ``x``; returns ``xbar``."""
    read(xbar, x, calibrate=True, rng=np.random.default_rng(0))
    return xbar


def read_energy(xbar: ProgrammedCrossbar, x: np.ndarray) -> np.ndarray:
    """Ideal-wire read energy ``Σ V_i² G_ij t_read`` per chip and input vector, in J."""
    v2 = (xbar.spec.v_read * _dac(np.asarray(x, float), xbar.spec.dac_bits)) ** 2
    gsum = (xbar.g_pos + xbar.g_neg).sum(axis=1)  # (chips, in): Σ_j over columns
    return np.einsum("...bi,ci->cb", v2, gsum) * xbar.spec.t_read


def with_(spec: CrossbarSpec, **changes) -> CrossbarSpec:
    return replace(spec, **changes)
