"""Physics checks of the dpi-neuron, log-domain-neuron, tau-cell(-neuron) and quadratic-if.

Each check is one of issue 3's bullets, measured on ngspice and compared with the analytic
expression of the module docstring at the stated tolerance.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import least_squares

from neurocircuit.circuits import testbenches as tb
from neurocircuit.circuits.neurons import dpi_neuron as dpi
from neurocircuit.circuits.neurons import log_domain as ld
from neurocircuit.circuits.neurons import quadratic_if as qif
from neurocircuit.circuits.neurons import tau_cell as tc
from neurocircuit.circuits.process import GENERIC_180
from neurocircuit.circuits.registry import catalog
from neurocircuit.errors import ParameterError
from neurocircuit.evaluate.characterize_neurons import FiJob, run_fi_job
from neurocircuit.measure import (
    adaptation_ratio,
    detect_bursts,
    fit_exponential,
    refractory_period,
    spike_times,
)
from neurocircuit.measure.mos import thermal_voltage
from neurocircuit.spice import Ac, Dc, Op, Tran, simulate
from neurocircuit.spice.sweep import sweep

ngspice = pytest.mark.ngspice
U_T = thermal_voltage(27.0)

GENERATORS = {
    "dpi-neuron": (dpi.DPINeuronParams, dpi.dpi_neuron),
    "log-domain-neuron": (ld.LogDomainParams, ld.log_domain_neuron),
    "tau-cell": (tc.TauCellParams, tc.tau_cell),
    "tau-cell-neuron": (tc.TauCellNeuronParams, tc.tau_cell_neuron),
    "quadratic-if": (qif.QuadraticIFParams, qif.quadratic_if),
}


def run_jobs(name, params, currents, t_stop, max_step, skip=0):
    """Simulate DC steps in parallel (characteriser's job runner); one dict per current."""
    jobs = [
        FiJob(name, params, float(i), float(t_stop), float(max_step), 0.5 * params.vdd,
              skip=skip, cache=False)
        for i in currents
    ]
    res = sweep(run_fi_job, jobs, workers=2, progress=False)
    assert not res.failures, res.summary()
    return res.results


def steady_rate(spikes) -> float:
    """1/median of the last ISIs (Hz); 0 with fewer than two spikes."""
    isi = np.diff(np.sort(spikes))
    if isi.size == 0:
        return 0.0
    return 1.0 / float(np.median(isi[-3:]))


def onset_exponent(currents, rates):
    """Fit ``f = A (I − I_rh)^a`` in log space, I_rh inside the silent/spiking bracket."""
    currents, rates = np.asarray(currents, float), np.asarray(rates, float)
    on = rates > 0
    assert on.any() and (~on).any(), "need silent and spiking currents"
    lo, hi = currents[~on].max(), currents[on].min()
    assert lo < hi
    i, f = currents[on], rates[on]

    def res(q):
        return q[0] + q[2] * np.log((i - q[1] * hi) / hi) - np.log(f)

    sol = least_squares(res, [math.log(f.max()), 0.5 * (lo + hi) / hi, 0.5],
                        bounds=([-np.inf, lo / hi, 0.05], [np.inf, 1 - 1e-6, 3.0]))
    return float(sol.x[2]), float(sol.x[1] * hi), float(np.abs(sol.fun).max())


# ---------------------------------------------------------------------------------------------
# generators: determinism, catalogue, subcircuits
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_generators_are_pure_and_catalogued(name):
    cls, gen = GENERATORS[name]
    a, b = gen(cls()).text(), gen(cls()).text()
    assert a == b
    entry = catalog()[name]
    assert entry.params_cls is cls and entry.generator is gen
    for preset in entry.presets:
        assert preset in entry.preset_docs
        net = entry.generate(preset)
        assert net.meta["subckt"] in net.text()
        assert f".subckt {net.meta['subckt']} {' '.join(net.meta['ports'])}" in net.text()
        assert GENERIC_180.include() in net.includes


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_mismatch_is_per_instance_and_seeded(name):
    cls, gen = GENERATORS[name]
    a = gen(cls(), mismatch=GENERIC_180.mismatch(3)).text()
    assert a == gen(cls(), mismatch=GENERIC_180.mismatch(3)).text()
    assert a != gen(cls(), mismatch=GENERIC_180.mismatch(4)).text()
    assert "delvto=" in a and "delvto=" not in gen(cls()).text()


def test_dpi_adaptation_flag_removes_block():
    on = dpi.dpi_neuron(dpi.TEILI_DPI).text()
    off = dpi.dpi_neuron(dpi.TEILI_DPI_NOADAPT).text()
    assert "CAHP" in on and "CAHP" not in off


def test_quadratic_if_presets_differ_only_in_vc_vd():
    base = dataclasses.asdict(qif.WIJEKOON_DUDEK_RS)
    for p in (qif.WIJEKOON_DUDEK_IB, qif.WIJEKOON_DUDEK_CH):
        diff = {k for k, v in dataclasses.asdict(p).items() if base[k] != v}
        assert diff <= {"v_c", "v_d"} and diff


# ---------------------------------------------------------------------------------------------
# property tests
# ---------------------------------------------------------------------------------------------
@st.composite
def valid_params(draw, name):
    cls, _ = GENERATORS[name]
    base = cls()
    changes = {}
    for f in dataclasses.fields(cls):
        v = getattr(base, f.name)
        if isinstance(v, bool) or f.name.startswith(("w_", "l_", "v_")) or f.name in ("w", "l"):
            continue
        if f.name == "vdd":
            changes[f.name] = draw(st.floats(1.6, 2.0))
        else:
            changes[f.name] = v * draw(st.floats(0.5, 2.0))
    return dataclasses.replace(base, **changes)


@ngspice
@pytest.mark.parametrize("name", sorted(GENERATORS))
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)
@given(data=st.data())
def test_valid_params_give_decks_ngspice_accepts(name, data):
    _, gen = GENERATORS[name]
    p = data.draw(valid_params(name))
    net = gen(p)
    if name == "tau-cell":
        net = net.extend(lines=["XC in out x vdd 0 TAU_CELL", f"VDD vdd 0 DC {p.vdd}",
                                "VOUT out 0 DC 0.5", "IIN 0 in DC 30p"])
    else:
        net = tb.dc_step(net, 0.0, 1e-6).netlist
    res = simulate(net, Op(), options="subthreshold", cache=False, timeout=60)
    assert float(res["v(vdd)"][0]) == pytest.approx(p.vdd, rel=1e-5)
    assert all(np.isfinite(np.asarray(v, float)).all() for v in res.signals.values())


@pytest.mark.parametrize("name", sorted(GENERATORS))
@settings(max_examples=20, deadline=None, derandomize=True)
@given(data=st.data())
def test_invalid_params_raise_parameter_error_naming_field_bound_unit(name, data):
    cls, _ = GENERATORS[name]
    bounded = [
        f for f in dataclasses.fields(cls)
        if any(f.metadata.get(k) is not None for k in ("gt", "ge", "lt", "le"))
    ]
    f = data.draw(st.sampled_from(bounded))
    m = f.metadata
    if data.draw(st.booleans()) and (m.get("gt") is not None or m.get("ge") is not None):
        bound = m["gt"] if m.get("gt") is not None else m["ge"]
        bad = data.draw(st.floats(min_value=-1e3, max_value=bound, exclude_max=True,
                                  allow_nan=False))
        if m.get("gt") is not None:
            bad = min(bad, bound)
    elif m.get("lt") is not None or m.get("le") is not None:
        bound = m["lt"] if m.get("lt") is not None else m["le"]
        bad = data.draw(st.floats(min_value=bound, max_value=1e12, exclude_min=True))
    else:
        bound = m["gt"] if m.get("gt") is not None else m["ge"]
        bad = bound - 1.0
    with pytest.raises(ParameterError) as err:
        cls(**{f.name: bad})
    msg = str(err.value)
    assert f"'{f.name}'" in msg and cls.__name__ in msg and f"{bound:g}" in msg
    if m.get("unit"):
        assert m["unit"] in msg


# ---------------------------------------------------------------------------------------------
# dpi-neuron
# ---------------------------------------------------------------------------------------------
def dpi_tau_run(i_tau):
    """Staircase I_in = (11, 21, 41)·I_τ; κ from the plateaus, τ from the last step."""
    p = dataclasses.replace(dpi.TEILI_DPI, adaptation=False, i_tau=i_tau, i_again=1e-12,
                            i_ath=1e-6)
    tau0 = p.c_mem * U_T / (0.7 * i_tau)
    span, ks = 6 * tau0, (11, 21, 41)
    pts = []
    for k, m in enumerate(ks):
        pts += [k * span + (1e-3 * span if k else 0.0), m * i_tau, (k + 1) * span, m * i_tau]
    net = dpi.dpi_neuron(p).extend(
        lines=["XN in vmem out vdd 0 DPI_NEURON", f"VDD vdd 0 DC {p.vdd}",
               "IIN 0 in PWL(" + " ".join(f"{x:.6g}" for x in pts) + ")"],
        ic={"vmem": 0.0},
    )
    res = simulate(net, Tran(tau0 / 20, 3 * span, max_step=tau0 / 20), options="subthreshold",
                   cache=False)
    t, v = np.asarray(res.axis), np.asarray(res["v(vmem)"])
    plateau = [np.mean(v[(t > (k + 0.85) * span) & (t < (k + 1) * span)]) for k in range(3)]
    kappa = U_T / np.polyfit(np.log(np.array(ks) - 1.0), plateau, 1)[0]
    t0 = 2 * span * 1.0005
    sel = t > t0
    fit = fit_exponential(t[sel], np.exp(kappa * (v[sel] - plateau[2]) / U_T), t0=t0)
    return kappa, p.c_mem * U_T / (kappa * i_tau), fit


@ngspice
def test_dpi_step_response_tau_scales_as_one_over_i_tau():
    i_taus = np.array([1e-12, 10e-12, 100e-12])
    rows = [dpi_tau_run(i) for i in i_taus]
    taus = np.array([fit.tau for _, _, fit in rows])
    for kappa, tau_th, fit in rows:
        assert 0.5 < kappa < 0.9
        assert fit.r2 > 0.999
        assert fit.tau == pytest.approx(tau_th, rel=0.2)
    slope = np.polyfit(np.log(i_taus), np.log(taus), 1)[0]
    print("dpi tau:", [(k, th, f.tau, f.r2) for k, th, f in rows], "slope", slope)
    assert slope == pytest.approx(-1.0, abs=0.1)


@pytest.fixture(scope="module")
def dpi_trains():
    """1 nA steps with and without adaptation, plus a saturating 30 nA step."""
    out = {}
    for adapt in (True, False):
        p = dataclasses.replace(dpi.TEILI_DPI, adaptation=adapt)
        (r,) = run_jobs("dpi-neuron", p, [1e-9], 40e-3, 50e-6)
        out[adapt] = (p, r)
    return out


@ngspice
def test_dpi_adaptation_lengthens_isis_only_when_enabled(dpi_trains):
    p_on, on = dpi_trains[True]
    _, off = dpi_trains[False]
    assert on["spikes"].size >= 6 and off["spikes"].size >= 6
    assert adaptation_ratio(on["spikes"], n_avg=2) > 1.05
    assert np.all(np.diff(np.diff(on["spikes"])) > 0)
    print("dpi adaptation ratio on/off:", adaptation_ratio(on["spikes"], n_avg=2),
          adaptation_ratio(off["spikes"], n_avg=2))
    assert adaptation_ratio(off["spikes"], n_avg=2) == pytest.approx(1.0, abs=0.01)


@ngspice
def test_dpi_rate_bounded_by_refractory_period():
    p = dpi.TEILI_DPI_NOADAPT
    bench = tb.dc_step(dpi.dpi_neuron(p), 30e-9, 12e-3, max_step=50e-6)
    res = simulate(bench.netlist, bench.analysis, options=bench.options, cache=False)
    t = np.asarray(res.axis)
    spikes = spike_times(t, res["v(out)"], threshold=0.9, hysteresis=0.18)
    t_ref = refractory_period(t=t, v=np.asarray(res[f"v({tb.internal_node('vcr')})"]),
                              threshold=dpi.V_RELEASE)
    rate = steady_rate(spikes)
    print(f"dpi refractory: t_ref={t_ref:.4g} s, f_max={rate:.4g} Hz, 1/t_ref={1 / t_ref:.4g}")
    assert t_ref == pytest.approx(dpi.t_ref_estimate(p.c_ref, p.i_ref, p.vdd), rel=0.3)
    assert 0.3 / t_ref < rate <= 1.0 / t_ref


@ngspice
def test_dpi_energy_per_spike_above_switched_cv2(dpi_trains):
    for p, r in dpi_trains.values():
        e = r["energy_per_spike"]
        print(f"dpi energy/spike (adaptation={p.adaptation}): {e:.4g} J, "
              f"bound {p.c_ref * p.vdd**2:.4g} J")
        assert np.isfinite(e) and e >= p.c_ref * p.vdd**2


# ---------------------------------------------------------------------------------------------
# log-domain-neuron
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def ld_fi():
    p = ld.ARTHUR_BOAHEN
    i_rh = ld.rheobase_estimate(p)
    currents = i_rh * np.array([0.7, 0.85, 0.95, 1.05, 1.2, 1.5])
    return p, currents, run_jobs("log-domain-neuron", p, currents, 0.3, 200e-6)


@ngspice
def test_log_domain_type_one_onset_square_root(ld_fi):
    p, currents, rows = ld_fi
    rates = [steady_rate(r["spikes"]) if r["spikes"].size >= 3 else 0.0 for r in rows]
    a, i_rh, resid = onset_exponent(currents, rates)
    assert a == pytest.approx(0.5, abs=0.2)
    assert i_rh == pytest.approx(ld.rheobase_estimate(p), rel=0.3)
    print(f"log-domain onset: a={a:.3f} I_rh={i_rh:.4g} A (estimate "
          f"{ld.rheobase_estimate(p):.4g} A), max log residual {resid:.3g}, rates {rates}")
    t_ref = dpi.t_ref_estimate(p.c_ref, p.i_ref, p.vdd)
    assert min(r for r in rates if r > 0) < 0.05 / t_ref  # type I: onset at a low rate


@ngspice
def test_log_domain_energy_per_spike_above_switched_cv2(ld_fi):
    p, _, rows = ld_fi
    e = rows[-1]["energy_per_spike"]
    print(f"log-domain energy/spike {e:.4g} J, bound {p.c_ref * p.vdd**2:.4g} J")
    assert np.isfinite(e) and e >= p.c_ref * p.vdd**2


# ---------------------------------------------------------------------------------------------
# tau-cell
# ---------------------------------------------------------------------------------------------
def tau_cell_bench(p, i_in):
    return tc.tau_cell(p).extend(lines=[
        "XC in out x vdd 0 TAU_CELL", f"VDD vdd 0 DC {p.vdd}", "VOUT out 0 DC 0.5",
        f"IIN 0 in DC {i_in:.6g} AC 1",
    ])


@ngspice
@pytest.mark.parametrize("ratio", [0.5, 3.0, 20.0])
def test_tau_cell_unity_dc_gain(ratio):
    p = tc.VAN_SCHAIK_JIN
    res = simulate(tau_cell_bench(p, ratio * p.i_tau), Op(), options="subthreshold",
                   cache=False)
    gain = -float(res["i(vout)"][0]) / (ratio * p.i_tau)
    print(f"tau-cell DC gain at I_in={ratio}*I_tau: {gain:.4f}")
    assert gain == pytest.approx(1.0, abs=0.1)


@ngspice
def test_tau_cell_corner_frequency_proportional_to_i_tau():
    i_taus = np.array([1e-12, 10e-12, 100e-12])
    fcs = []
    for i_tau in i_taus:
        p = dataclasses.replace(tc.VAN_SCHAIK_JIN, i_tau=i_tau)
        f_th = i_tau / (2 * np.pi * p.c * U_T)
        res = simulate(tau_cell_bench(p, 3 * i_tau), Ac(f_th / 100, f_th * 100, 20),
                       options="subthreshold", cache=False)
        f, h = np.asarray(res.axis), np.abs(np.asarray(res["i(vout)"]))
        h = h / h[0]
        fc = float(np.interp(1 / np.sqrt(2), h[::-1], f[::-1]))
        assert fc == pytest.approx(f_th, rel=0.2)
        assert h[-1] < 0.02  # first-order roll-off: |H| ≈ f_c/f = 0.01 two decades above
        fcs.append(fc)
    slope = np.polyfit(np.log(i_taus), np.log(fcs), 1)[0]
    print("tau-cell f_c:", fcs, "slope", slope)
    assert slope == pytest.approx(1.0, abs=0.1)


@ngspice
def test_tau_cell_neuron_rheobase_and_energy():
    p = tc.VAN_SCHAIK_JIN_NEURON
    rows = run_jobs("tau-cell-neuron", p, [0.8 * p.i_thr, 1.3 * p.i_thr, 3 * p.i_thr],
                    40e-3, 50e-6)
    assert rows[0]["spikes"].size == 0
    assert rows[1]["spikes"].size >= 2 and rows[2]["spikes"].size > rows[1]["spikes"].size
    e = rows[2]["energy_per_spike"]
    print(f"tau-cell-neuron rates {[r['rate'] for r in rows]}, energy/spike {e:.4g} J, "
          f"bound {p.c_ref * p.vdd**2:.4g} J")
    assert np.isfinite(e) and e >= p.c_ref * p.vdd**2


# ---------------------------------------------------------------------------------------------
# quadratic-if
# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def qif_patterns():
    out = {}
    for name, p in (("rs", qif.WIJEKOON_DUDEK_RS), ("ib", qif.WIJEKOON_DUDEK_IB),
                    ("ch", qif.WIJEKOON_DUDEK_CH)):
        (r,) = run_jobs("quadratic-if", p, [8e-9], 3e-3, qif.t_pw_estimate(p) / 5)
        out[name] = (p, r)
    return out


@ngspice
def test_quadratic_if_regular_spiking_adapts(qif_patterns):
    _, r = qif_patterns["rs"]
    isi = np.diff(r["spikes"])
    assert isi.size >= 10
    print("qif RS adaptation ratio", adaptation_ratio(r["spikes"], n_avg=2))
    assert adaptation_ratio(r["spikes"], n_avg=2) > 1.5
    assert isi.max() / isi.min() < 3  # no burst pauses


@ngspice
def test_quadratic_if_intrinsic_bursting(qif_patterns):
    _, r = qif_patterns["ib"]
    isi = np.diff(r["spikes"])
    print("qif IB ISIs (us)", np.round(isi * 1e6, 1))
    assert isi[:3].max() * 3 < np.median(isi[-5:])  # initial burst, then tonic spiking
    late = isi[-5:]
    assert late.max() / late.min() < 1.3


@ngspice
def test_quadratic_if_chattering(qif_patterns):
    _, r = qif_patterns["ch"]
    b = detect_bursts(r["spikes"])
    print("qif CH bursts", b.n_bursts, b.spikes_per_burst, b.ratio)
    assert b.n_bursts >= 4 and b.spikes_per_burst >= 2
    assert b.ratio > 3


def qif_membrane_dc(p, dv=0.5e-3, v_max=0.6):
    """Net DC membrane current ``g(v) = I_f(v) − I_leak(v) − I_u`` (A) on a grid of ``v`` (V).

    ``vmem`` is held by a voltage source ``VM``; ngspice's ``i(vm)`` (current into its +
    terminal) is then the current the membrane pushes out, ``+g(v)``.
    """
    net = qif.quadratic_if(p).extend(lines=[
        "X1 in vm out vdd 0 QUADRATIC_IF", f"VDD vdd 0 DC {p.vdd}", "VM in 0 DC 0"])
    res = simulate(net, Dc("VM", 0.0, v_max, dv), options="subthreshold", cache=False)
    return np.asarray(res.axis, float), np.asarray(res["i(vm)"], float)


def qif_fold(v, g, rel=0.25):
    """Saddle-node of the membrane: ``I_rh = −min g``, ``g''`` at the fold, quadratic range.

    ``g`` near its minimum is fitted by ``g_min + g''/2 (v − v*)²`` (±10 mV); ``Δ`` is the
    smallest ``|v − v*|`` (either side) at which ``g − g_min`` departs from that parabola by
    more than ``rel``. Returns ``(I_rh, v*, g'', Δ)``.
    """
    k = int(np.argmin(g))
    near = np.abs(v - v[k]) <= 10e-3
    c2, c1, c0 = np.polyfit(v[near] - v[k], g[near], 2)
    v_star = v[k] - c1 / (2 * c2)
    g_min = c0 - c1**2 / (4 * c2)
    dv = v - v_star
    quad = c2 * dv**2
    bad = (np.abs(dv) > 2e-3) & (np.abs((g - g_min) - quad) > rel * quad)
    delta = float(np.abs(dv[bad]).min())
    return float(-g_min), float(v_star), float(2 * c2), delta


@ngspice
@pytest.mark.slow
def test_quadratic_if_type_one_onset_square_root():
    """Type-I (SNIC) onset of the membrane subsystem, measured near rheobase as defined.

    Recovery frozen: no jump (``V_d = V_dd``), ``I_u = I_a (W/L)_uv/(W/L)_ua`` made negligible
    (minimum ``uv``, wide ``ua`` diode), so ``v`` alone obeys ``C_v dv/dt = I_in + g(v)``.
    Rheobase of a saddle-node on invariant circle is where the rest state vanishes:
    ``I_rh = −min_v g`` (DC sweep of ``v``, not a transient search, whose periods diverge).
    Normal form at the fold, ``ε = I_in − I_rh``, ``δv = v − v*``::

        C_v dδv/dt = ε + (g''/2) δv²   ⇒   T = π C_v / √(ε g''/2),   f ∝ ε^{1/2}

    valid while the bottleneck half-width ``√(2ε/g'')`` is inside the range ``Δ`` where ``g``
    is parabolic, i.e. ``ε ≤ ε_q = g'' Δ²/2``. Here the fold sits on the subthreshold leak's
    saturation knee (``v* ≈ 0.2 V``) where the feedback current is only ~pA, so
    ``g'' ≈ 1e-8 A/V²``, ``Δ ≈ 30 mV`` and ``ε_q`` is a few pA (≈ 0.2 % of I_rh); over
    2–40 pA the f–I curve is steeper (local exponent ≈ 0.7), which is the SNIC law's
    finite-range correction, not a different onset. The points are ``ε_q·2^{-k}``, k = 0..3,
    taken from the circuit's own DC curve; the fit keeps ``I_rh`` free (ngspice's reltol of
    1e-4 puts ~0.2 pA of error on nA branch currents) and checks it against the DC fold.
    """
    p = dataclasses.replace(qif.WIJEKOON_DUDEK_RS, v_c=0.0, v_d=p_vdd(), w_uv=0.22e-6,
                            l_uv=100e-6, w_ua=20e-6, l_ua=1e-6)
    i_rh, v_star, g2, delta = qif_fold(*qif_membrane_dc(p))
    eps_q = 0.5 * g2 * delta**2
    print(f"qif fold: I_rh={i_rh:.6g} A at v*={v_star:.3f} V, g''={g2:.3g} A/V^2, "
          f"Δ={delta * 1e3:.1f} mV, ε_q={eps_q:.3g} A")
    assert 0 < v_star < 0.5 and g2 > 0 and 0 < eps_q < 0.05 * i_rh
    eps = eps_q * 2.0 ** -np.arange(3, -1, -1)
    t_nf = math.pi * p.c_v / np.sqrt(0.5 * eps * g2)  # normal-form period
    jobs = [FiJob("quadratic-if", p, float(i_rh + e), float(3.3 * t), qif.t_pw_estimate(p) / 5,
                  0.5 * p.vdd, skip=0, cache=False, timeout=120.0) for e, t in zip(eps, t_nf)]
    res = sweep(run_fi_job, jobs, workers=2, progress=False)
    assert not res.failures, res.summary()
    isis = [np.diff(r["spikes"]) for r in res.results]
    for isi in isis:  # recovery frozen: constant ISIs
        assert isi.size >= 1 and np.ptp(isi) < 0.01 * isi.mean()
    rates = np.array([1.0 / isi.mean() for isi in isis])
    print("qif onset ε (pA)", np.round(eps * 1e12, 3), "rates (Hz)", np.round(rates, 2),
          "normal-form rates", np.round(1 / t_nf, 2))
    np.testing.assert_allclose(rates, 1 / t_nf, rtol=0.15)  # the normal form's prefactor

    def res_(q):
        return q[0] + q[2] * np.log((eps - q[1] * eps[0]) / eps[0]) - np.log(rates)

    sol = least_squares(res_, [math.log(rates[0]), 0.0, 0.5],
                        bounds=([-np.inf, -1.0, 0.05], [np.inf, 0.99, 3.0]))
    a, d_rh = float(sol.x[2]), float(sol.x[1] * eps[0])
    print(f"qif onset: a={a:.3f}, fitted I_rh − DC fold = {d_rh * 1e12:.3f} pA, "
          f"max log residual {np.abs(sol.fun).max():.3g}")
    assert abs(d_rh) < eps[0]
    assert a == pytest.approx(0.5, abs=0.2)


def p_vdd() -> float:
    return qif.WIJEKOON_DUDEK_RS.vdd


@ngspice
def test_quadratic_if_energy_per_spike_above_switched_cv2(qif_patterns):
    for p, r in qif_patterns.values():
        e = r["energy_per_spike"]
        print(f"qif energy/spike {e:.4g} J, bound {p.c_pw * p.vdd**2:.4g} J")
        assert np.isfinite(e) and e >= p.c_pw * p.vdd**2
