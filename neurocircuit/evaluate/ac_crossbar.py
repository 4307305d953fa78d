"""AC and transient characterisation of crossbar lines; read energy and latency per MVM.

Bit line as a two-port (port 1: the row-0 driver terminal ``in0``; port 2: the column sense
terminal ``out0``; every other row terminal at AC ground). Two ngspice ``.ac`` runs, one
source per port with the other port shorted, give the short-circuit admittances::

    Y_k1 = −I_k/V_1 |V_2=0,   Y_k2 = −I_k/V_2 |V_1=0      (I_k: ngspice branch current)

which are the read conditions (ideal driver, virtual-ground sense). They become an
``skrf.Network`` (Touchstone export), and ``skrf.VectorFitting`` fits them with real poles p_k,
residues r_k and a constant d: Y(s) ≈ d + Σ r_k/(s − p_k). The step response of the transfer
admittance Y21 is y(t) = Y21(0) + Σ (r_k/p_k)·e^(p_k t); with the dominant (slowest) pole p_d
the settling time to a fraction ε is::

    t_s ≈ ln(|r_d/p_d| / (ε·|Y21(0)|)) / |p_d|

compared with the settling of the sense current in a transient step of the same line.

Read energy of one matrix–vector product: rows pulsed to V_i for t_read; SPICE energy
E = ∫ Σ_i V_i(t)·I_i(t) dt against the ideal Σ_ij V_i²·G_ij·t_read. Read latency: the time after
the rising edge until every column current stays within ε of its final value.
"""

from __future__ import annotations

import numpy as np

from ..circuits.crossbar import CrossbarParams, cell_conductances, crossbar_array
from ..circuits.netlist import fmt

__all__ = [
    "BITLINE_32",
    "bitline_network",
    "fit_network",
    "settling_from_poles",
    "transient_settling",
    "settling_time",
    "read_energy_latency",
]

BITLINE_32 = CrossbarParams(
    rows=32,
    cols=1,
    g_min=20e-6,
    g_max=80e-6,
    r_row=0.0,
    r_col=50.0,
    r_driver=100.0,
    r_sense=5e3,
    c_row=1e-15,
    c_col=2e-15,
)
"""One 32-cell bit line: 50 Ω and 2 fF per segment (a long, thin line), 5 kΩ sense input."""


def _two_port_y(p: CrossbarParams, freqs_spec: tuple[float, float, int], g=None):
    from ..spice import Ac, simulate

    arr = crossbar_array(p, g=g)
    fstart, fstop, points = freqs_spec
    ac = Ac(fstart=fstart, fstop=fstop, points=points, variation="dec")
    y = None
    freq = None
    for port in (0, 1):
        lines = []
        for i in range(p.rows):
            ac_txt = " AC 1" if (port == 0 and i == 0) else ""
            lines.append(f"Vin{i} in{i} 0 DC 0{ac_txt}")
        lines.append(f"Vout0 out0 0 DC 0{' AC 1' if port == 1 else ''}")
        for j in range(1, p.cols):
            lines.append(f"Vout{j} out{j} 0 DC 0")
        r = simulate(arr.extend(lines=lines, title=f"{arr.title}: ac port {port + 1}"), ac)
        if y is None:
            freq = np.asarray(r.axis).real
            y = np.zeros((len(freq), 2, 2), dtype=complex)
        y[:, 0, port] = -np.asarray(r["i(vin0)"])
        y[:, 1, port] = -np.asarray(r["i(vout0)"])
    return freq, y


def bitline_network(
    p: CrossbarParams = BITLINE_32,
    fstart: float = 1e6,
    fstop: float = 1e12,
    points: int = 20,
    touchstone: str | None = None,
    g=None,
):
    """The bit line's 2-port short-circuit admittance from ngspice AC as an ``skrf.Network``.

    ``touchstone``: write ``<touchstone>.s2p`` too (S-parameters, 50 Ω reference).
    """
    import skrf

    freq, y = _two_port_y(p, (fstart, fstop, points), g=g)
    f = skrf.Frequency.from_f(freq, unit="Hz")
    nw = skrf.Network(frequency=f, s=skrf.network.y2s(y, z0=50.0), z0=50.0, name="bitline")
    if touchstone:
        nw.write_touchstone(touchstone)
    return nw


def fit_network(nw, n_poles: int = 6) -> dict:
    """Vector-fit the Y-parameters with ``n_poles`` real poles; poles in rad/s.

    Returns ``vf`` (the fitted ``skrf.VectorFitting``), ``poles``, ``rms_rel`` (per response,
    RMS |Y_fit − Y| / RMS |Y|) and ``rms_rel_max``.
    """

    from skrf.vectorFitting import VectorFitting

    vf = VectorFitting(nw)
    vf.vector_fit(
        n_poles_real=n_poles, n_poles_cmplx=0, init_pole_spacing="log", parameter_type="y"
    )
    y = nw.y
    rms = np.zeros((2, 2))
    for i in range(2):
        for j in range(2):
            model = vf.get_model_response(i, j, nw.f)
            rms[i, j] = np.sqrt(np.mean(np.abs(model - y[:, i, j]) ** 2)) / np.sqrt(
                np.mean(np.abs(y[:, i, j]) ** 2)
            )
    return {"vf": vf, "poles": np.asarray(vf.poles), "rms_rel": rms, "rms_rel_max": rms.max()}


def _response_index(vf, i: int, j: int) -> int:
    return i * vf.network.nports + j


def settling_from_poles(vf, i: int = 1, j: int = 0, eps: float = 0.01) -> dict:
    """Settling of the step response of fitted response (i, j) from its dominant pole.

    Returns ``t_settle_dominant`` (the formula of the module docstring), ``t_settle_model``
    (exact settling of the fitted sum of exponentials), ``dominant_pole`` (rad/s) and ``dc``.
    """
    k = _response_index(vf, i, j)
    poles = np.asarray(vf.poles)
    res = np.asarray(vf.residues)[k]
    d = float(np.real(np.asarray(vf.constant_coeff)[k]))
    coeff = res / poles  # step-response amplitudes of the exponentials
    dc = d + float(np.real(np.sum(-res / poles)))
    idx = int(np.argmin(np.abs(poles.real)))
    pd, cd = poles[idx], coeff[idx]
    ratio = abs(cd) / (eps * abs(dc))
    t_dom = float(np.log(ratio) / abs(pd.real)) if ratio > 1 else 0.0
    t = np.linspace(0, 5 * max(t_dom, 1.0 / abs(pd.real)), 20001)
    step = dc + np.real(np.exp(np.outer(t, poles)) @ coeff)
    return {
        "t_settle_dominant": t_dom,
        "t_settle_model": settling_time(t, step, eps),
        "dominant_pole": complex(pd),
        "dc": dc,
    }


def settling_time(t, y, eps: float = 0.01, final: float | None = None) -> float:
    """Last time |y − y_final| > eps·|y_final| (linearly interpolated)."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    yf = y[-1] if final is None else final
    out = np.abs(y - yf) > eps * abs(yf)
    if not out.any():
        return float(t[0])
    k = int(np.nonzero(out)[0][-1])
    if k == len(t) - 1:
        return float(t[-1])
    e0, e1 = abs(y[k] - yf) - eps * abs(yf), abs(y[k + 1] - yf) - eps * abs(yf)
    return float(t[k] + (t[k + 1] - t[k]) * e0 / (e0 - e1))


def transient_settling(
    p: CrossbarParams = BITLINE_32,
    t_stop: float = 10e-9,
    eps: float = 0.01,
    g=None,
    timeout: float = 600.0,
) -> dict:
    """Step of 1 V on row 0 (1 ps rise): settling of the sense current ``i(vout0)``."""
    from ..spice import Tran, simulate

    arr = crossbar_array(p, g=g)
    rise = t_stop * 1e-4
    lines = [f"Vin0 in0 0 PWL(0 0 {fmt(rise)} 1)"]
    lines += [f"Vin{i} in{i} 0 DC 0" for i in range(1, p.rows)]
    lines += [f"Vout{j} out{j} 0 DC 0" for j in range(p.cols)]
    tran = Tran(step=t_stop / 4000, stop=t_stop, max_step=t_stop / 4000)
    r = simulate(arr.extend(lines=lines, title=f"{arr.title}: step"), tran,
                 options={"reltol": 1e-6, "abstol": 1e-15}, timeout=timeout)
    t, i = r.axis, r["i(vout0)"]
    return {"t": t, "i": i, "t_settle": settling_time(t, i, eps) - rise / 2}


def read_energy_latency(
    p: CrossbarParams,
    v_in=None,
    t_read: float = 10e-9,
    eps: float = 0.01,
    g=None,
    timeout: float = 600.0,
) -> dict:
    """SPICE read of one MVM: energy from the row drivers vs Σ V²·G·t_read; latency.

    Rows rise to ``v_in`` at 10 ps (10 ps edges), stay for ``t_read``, fall; the energy is
    integrated over the pulse and the tail. Resistor cells (``p.device == "resistor"``).
    """
    from ..spice import Tran, simulate

    g = cell_conductances(p) if g is None else np.asarray(g, dtype=float)
    v_in = np.full(p.rows, p.v_read) if v_in is None else np.asarray(v_in, dtype=float)
    edge, delay = 10e-12, 10e-12
    t_stop = delay + 2 * edge + t_read * 1.5
    lines = [
        f"Vin{i} in{i} 0 PULSE(0 {fmt(v)} {fmt(delay)} {fmt(edge)} {fmt(edge)} "
        f"{fmt(t_read)} {fmt(10 * t_stop)})"
        for i, v in enumerate(v_in)
    ]
    lines += [f"Vout{j} out{j} 0 DC 0" for j in range(p.cols)]
    if p.access == "1t1r":
        lines += [f"Vg{i} g{i} 0 DC {fmt(p.v_gate)}" for i in range(p.rows)]
    arr = crossbar_array(p, g=g)
    tran = Tran(step=t_stop / 2000, stop=t_stop, max_step=t_stop / 2000)
    r = simulate(arr.extend(lines=lines, title=f"{arr.title}: read pulse"), tran,
                 options={"reltol": 1e-6, "abstol": 1e-15}, timeout=timeout)
    t = r.axis
    power = np.zeros_like(t)
    for i in range(p.rows):
        power += r[f"v(in{i})"] * (-r[f"i(vin{i})"])
    e_spice = float(np.trapezoid(power, t))
    e_ideal = float(np.sum((v_in**2)[:, None] * g) * (t_read + 2 * edge / 3))
    on = (t >= delay) & (t <= delay + edge + t_read)
    lat = 0.0
    for j in range(p.cols):
        lat = max(lat, settling_time(t[on], r[f"i(vout{j})"][on], eps) - delay)
    return {
        "energy_spice_J": e_spice,
        "energy_ideal_J": e_ideal,
        "energy_rel_err": (e_spice - e_ideal) / e_ideal,
        "latency_s": lat,
        "t_read_s": t_read,
    }
