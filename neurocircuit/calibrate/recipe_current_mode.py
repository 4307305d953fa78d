r"""Calibration recipes of the current-mode neurons fitted with the current-mode model
(:class:`~.neuron_models.CurrentModeParams`): tau-cell-neuron and log-domain-neuron.

Both fit ``τ dx/dt = −x + x²/x_p + s``, ``s = I/I_g``, reset ``x_r`` and dead time ``t_ref``
(tau-cell: ``x_p = ∞``, a first-order low-pass membrane; log-domain: the ``I_mem²/I_p``
feedback, a QIF with SNIC onset). Initial guesses from the circuit biases:

* tau-cell: ``τ`` the tau-cell's own time constant, ``I_g = I_thr`` (the input at which
  ``x_∞ = 1``), ``t_ref = C_ref (V_dd − 0.4 V)/I_ref``;
* log-domain: ``τ = C_mem U_T/(κ I_τ)``, ``I_g = 4 I_rh`` (the QIF's rheobase is
  ``s = x_p/4``), ``x_p = 1``, the same ``t_ref``.

The nominal fit is the joint F–I + training-OU spike-timing fit
(:func:`~.recipe_common.isi_refine`); the held-out OU stimuli sit at the threshold
current / rheobase with σ = half of it (fluctuation-driven regime).
"""

from __future__ import annotations

from .fit import Free

__all__ = ["tc_base", "tc_free", "ou_tc", "ld_base", "ld_free", "ou_ld", "LD_MC_FREE",
           "TC_FI_WEIGHT"]


def tc_base(p):
    """Initial current-mode model of the tau-cell neuron (see module)."""
    from .neuron_models import CurrentModeParams

    return CurrentModeParams(tau=p.tau, i_gain=p.i_thr, i_offset=0.0, x_reset=0.01,
                             t_ref=p.c_ref * (p.vdd - 0.4) / p.i_ref)


def tc_free(p):
    """Free parameters (bounds) of the tau-cell fit."""
    b = tc_base(p)
    return {"tau": Free(b.tau, b.tau / 20, b.tau * 20),
            "i_gain": Free(b.i_gain, b.i_gain / 20, b.i_gain * 20),
            "t_ref": Free(b.t_ref, b.t_ref / 50, b.t_ref * 50),
            "x_reset": Free(0.01, 1e-4, 0.9)}


def ld_base(p):
    """Initial current-mode (QIF) model of the log-domain neuron (see module)."""
    from ..circuits.neurons.log_domain import rheobase_estimate
    from .neuron_models import CurrentModeParams

    return CurrentModeParams(tau=p.c_mem * 0.0259 / (0.7 * p.i_tau),
                             i_gain=4.0 * rheobase_estimate(p), i_offset=0.0, x_reset=0.01,
                             x_p=1.0, t_ref=p.c_ref * (p.vdd - 0.4) / p.i_ref)


def ld_free(p):
    """Free parameters (bounds) of the log-domain fit."""
    b = ld_base(p)
    return {"tau": Free(b.tau, b.tau / 20, b.tau * 20),
            "i_gain": Free(b.i_gain, b.i_gain / 50, b.i_gain * 50),
            "x_p": Free(1.0, 0.01, 100.0), "t_ref": Free(b.t_ref, b.t_ref / 50, b.t_ref * 50),
            "x_reset": Free(0.01, 1e-4, 0.9)}


def ou_tc(p):
    """Held-out OU of the tau-cell neuron: mean at the threshold current (``s ≈ 1``), σ half of
    it, τ = 5 ms, 0.5 s — the fluctuation-driven regime where spike timing is reliable
    (Mainen & Sejnowski 1995) and ``2νΔ`` stays well below 1 (the previous mean of 1.3·I_thr
    fired at 188 Hz, ``2νΔ = 0.75``, where Γ is ill-conditioned)."""
    return {"mean": 1.0 * p.i_thr, "sigma": 0.5 * p.i_thr, "tau": 5e-3, "t_stop": 0.5,
            "dt_stim": 2e-4, "dt_model": 1e-5}


def ou_ld(p):
    """Held-out OU of the log-domain neuron: mean at the rheobase estimate, σ half of it,
    τ = 5 ms, 0.5 s (fluctuation-driven, as :func:`ou_tc`)."""
    from ..circuits.neurons.log_domain import rheobase_estimate

    i = rheobase_estimate(p)
    return {"mean": 1.0 * i, "sigma": 0.5 * i, "tau": 5e-3, "t_stop": 0.5,
            "dt_stim": 2e-4, "dt_model": 1e-5}


LD_MC_FREE = ("i_gain", "x_p", "t_ref")
"""Per-instance free parameters of the log-domain Monte Carlo. ``(τ, I_g, t_ref)`` (the
previous set) is nearly degenerate on four F–I points (corr(ln τ, ln I_g) = −0.97, skewed
marginals), so the log-normal sampled from it was too wide (σ ratio 1.15–1.25 over sampling
seeds); with ``x_p`` (the feedback scale, which sets the curvature above the rheobase) instead
of ``τ`` the instance fits are closer (2.2 % vs 2.7 % RMS) and the sampled spread matches
(σ ratio 1.02–1.05 on the same Monte-Carlo table)."""


TC_FI_WEIGHT = 10.0
"""Weight of the F–I residuals in the tau-cell's joint timing + F–I fit
(:func:`~.recipe_common.isi_refine`). With weight 1 the fit settled at ε_FI = 3.78 % (ISI
error 12 %); weight 3 gave 3.19 % (ISI 7.9 %) on the same data, and an F–I-only fit of this
model reaches 2.8 % (its structural floor: the circuit's period is linear in ``1/I`` at high
currents but bends more sharply near the rheobase than ``τ ln((s − x_r)/(s − 1))``)."""
