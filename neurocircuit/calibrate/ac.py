r"""AC cross-check of a membrane time constant: vector fitting of the small-signal response.

The tau-cell membrane (the current-mode LPF of the tau-cell neuron, van Schaik & Jin 2003) is
biased at a DC input ``I_0`` and driven with a unit AC current; ngspice's ``.ac`` gives the
transfer ``H(f) = I_out/I_in``. Stored as a one-port :class:`skrf.Network` (``S₁₁ = H``), it is
fitted by :class:`skrf.vectorFitting.VectorFitting` with one real pole ``p``::

    H(s) ≈ d + r/(s − p),       τ_AC = −1/p

The transient time constant ``τ_tran`` comes from an exponential fit
(:func:`neurocircuit.measure.timeconst.fit_exponential`) to the output after a small input step
``I_0 → 1.2 I_0``. Both should equal ``C U_T / I_τ`` (the circuit's τ at that bias).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["tau_ac_vs_transient"]


def _bench_lines(p: Any, stim: str) -> list[str]:
    return ["XC in out x vdd 0 TAU_CELL", f"VDD vdd 0 DC {p.vdd}", "VOUT out 0 DC 0.5", stim]


def tau_ac_vs_transient(params: Any = None, bias: float = 3.0,
                        points: int = 20) -> dict[str, float]:
    """``τ_AC`` (vector fitting) and ``τ_tran`` (step fit) of the tau-cell at ``I_0 = bias·I_τ``.

    Returns ``tau_ac_s``, ``tau_tran_s``, ``tau_theory_s``, ``rel_diff`` and the fit's RMS error.
    """
    import skrf
    from skrf.vectorFitting import VectorFitting

    from ..circuits.neurons import tau_cell as tc
    from ..measure.timeconst import fit_exponential
    from ..spice import simulate
    from ..spice.analyses import Ac, Tran

    p = params if params is not None else tc.VAN_SCHAIK_JIN
    i0 = bias * p.i_tau
    u_t = 0.02586
    tau_th = p.c * u_t / p.i_tau
    f_c = 1.0 / (2 * np.pi * tau_th)
    ac_net = tc.tau_cell(p).extend(lines=_bench_lines(p, f"IIN 0 in DC {i0:.6g} AC 1"))
    res = simulate(ac_net, Ac(f_c / 100, f_c * 100, points), options="subthreshold")
    f = np.asarray(res.axis, float).real
    h = -np.asarray(res["i(vout)"], complex)
    ntw = skrf.Network(frequency=skrf.Frequency.from_f(f, unit="hz"), s=h.reshape(-1, 1, 1),
                       name="tau-cell H(f)")
    vf = VectorFitting(ntw)
    vf.vector_fit(n_poles_real=1, n_poles_cmplx=0, fit_constant=True)
    pole = complex(np.asarray(vf.poles)[0])
    tau_ac = -1.0 / pole.real

    t_step = 5 * tau_th
    t_end = t_step + 10 * tau_th
    stim = (f"IIN 0 in PWL(0 {i0:.6g} {t_step:.6g} {i0:.6g} {t_step + tau_th / 1e3:.6g} "
            f"{1.2 * i0:.6g})")
    tran_net = tc.tau_cell(p).extend(lines=_bench_lines(p, stim))
    res_t = simulate(tran_net, Tran(step=tau_th / 200, stop=t_end, max_step=tau_th / 50),
                     options="subthreshold")
    t = np.asarray(res_t.axis, float)
    y = -np.asarray(res_t["i(vout)"], float)
    sel = t >= t_step + tau_th / 1e3
    ef = fit_exponential(t[sel], y[sel], t0=float(t[sel][0]))
    return {"tau_ac_s": tau_ac, "tau_tran_s": float(ef.tau), "tau_theory_s": tau_th,
            "rel_diff": abs(tau_ac - ef.tau) / ef.tau, "vf_rms_error": float(vf.get_rms_error()),
            "pole_rad_s": pole.real, "bias_a": i0}
