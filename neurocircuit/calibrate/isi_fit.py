r"""Fitting a compact neuron model to a circuit's spike train under a fluctuating input.

An F–I curve constrains only the *mean* response to constant currents; with a fluctuating
input the timing of a spike depends on how the membrane integrates the input over the whole
interval (leak time constant, rheobase, threshold charge, dead time separately). Following the
spike-train fitting of Jolivet et al. (2006, 2008), every inter-spike interval of a *training*
recording (circuit spikes ``t_0 < t_1 < …`` under an input ``I(t)``) is predicted by restarting
the model in its post-spike state at the circuit spike ``t_k`` and integrating the recorded
input until the model crosses threshold at ``t̂_{k+1}``; the residuals are::

    r_k = (t̂_{k+1} − t_{k+1}) / ⟨t_{k+1} − t_k⟩

(the prediction is capped at ``t_{k+1} + horizon``). Restarting at each circuit spike keeps the
residuals independent: a free-running model would accumulate its timing errors, which makes
the objective non-smooth. The crossing time is interpolated within a step (linear in ``v``),
so the residuals are continuous in the parameters.

Supported models: :class:`~.neuron_models.LinearIFParams` (exact exponential integration of a
piecewise-constant input, dead time then integration from ``v = 0``; a finite reset current
``I_r`` adds the reset phase ``dv/dt = −(I_r − I)/Q_th`` from ``v = 1``) and
:class:`~.neuron_models.CurrentModeParams` without adaptation (its own step function).

The held-out stimulus used for validation (:func:`~.validate.held_out_ou`) must never be the
training stimulus: the pipeline draws the training OU with a different seed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from ..errors import FitError, ParameterError
from .fit import Fit, Free, fit_model

__all__ = ["isi_windows", "predict_isi", "fit_isi"]


def isi_windows(t_stim: Any, i_stim: Any, spikes: Any, dt: float,
                horizon: float = 5e-3) -> tuple[np.ndarray, np.ndarray]:
    """Input windows that start at each circuit spike.

    Returns ``(current, isi)``: ``current`` of shape ``(L, n)`` (A; column ``k`` is the input
    from ``t_k`` sampled every ``dt``, linearly interpolated from the stimulus samples like the
    circuit's PWL source), ``isi`` the ``n`` measured intervals (s); ``L·dt = max ISI +
    horizon``.
    """
    sp = np.sort(np.asarray(spikes, float))
    if sp.size < 3:
        raise FitError(f"A spike-train fit needs >= 3 circuit spikes; got {sp.size}.")
    if not dt > 0 or not horizon >= 0:
        raise ParameterError(f"isi_windows needs dt > 0 and horizon >= 0 s; got {dt!r}, "
                             f"{horizon!r}.")
    isi = np.diff(sp)
    n_steps = int(np.ceil((isi.max() + horizon) / dt))
    tt = sp[:-1][None, :] + dt * np.arange(n_steps)[:, None]
    cur = np.interp(tt, np.asarray(t_stim, float), np.asarray(i_stim, float))
    return cur, isi


def _linear_if_isi(p: Any, cur: np.ndarray, dt: float) -> np.ndarray:
    from .neuron_models import _arr

    n_steps, n = cur.shape
    q, tau, ir = _arr(p.q_th), _arr(p.tau), _arr(p.i_reset)
    il, tref = _arr(p.i_leak), float(np.max(_arr(p.t_ref)))
    fin = bool(np.isfinite(tau))
    has_rst = bool(np.isfinite(ir))
    v = np.ones(n) if has_rst else np.zeros(n)
    rst = np.full(n, has_rst)
    ref_end = np.full(n, np.inf if has_rst else tref)  # dead time ends at this time (s)
    out = np.full(n, np.nan)
    for j in range(n_steps):
        i = cur[j]
        t = j * dt
        if has_rst and rst.any():
            with np.errstate(divide="ignore", invalid="ignore"):
                t0 = np.clip(v * q / (ir - i), 0.0, dt)  # reset phase ends within the step
            done = rst & (v - (ir - i) * dt / q <= 0)
            v = np.where(rst, np.where(done, 0.0, v - (ir - i) * dt / q), v)
            ref_end = np.where(done, t + t0 + tref, ref_end)
            rst = rst & ~done
        # integrate over the part of the step after the dead time (continuous in t_ref)
        h = np.where(rst | ~np.isnan(out), 0.0, np.clip(t + dt - ref_end, 0.0, dt))
        active = h > 0
        if not active.any():
            if np.all(~np.isnan(out)):
                break
            continue
        ie = i - il
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            if fin:
                vinf = tau * ie / q
                v_new = vinf + (v - vinf) * np.exp(-h / tau)
            else:
                v_new = v + ie * h / q
        v_new = np.maximum(v_new, 0.0)
        cross = active & (v_new >= 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.clip((1.0 - v) / (v_new - v), 0.0, 1.0)
        out = np.where(cross, t + dt - h + frac * h, out)
        v = np.where(active, v_new, v)
    return out


def _current_mode_isi(p: Any, cur: np.ndarray, dt: float) -> np.ndarray:
    from .neuron_models import CurrentModeState, _arr, current_mode_step

    if np.any(_arr(p.b_ahp) > 0) and np.any(np.isfinite(_arr(p.tau_ahp))):
        raise FitError("Spike-train fits of current-mode models with adaptation are not "
                       "supported (the post-spike adaptation state is unknown).")
    n_steps, n = cur.shape
    z = np.zeros(n)
    st = CurrentModeState(z + _arr(p.x_reset), z, z + _arr(p.t_ref), z)
    out = np.full(n, np.nan)
    for j in range(n_steps):
        s, st = current_mode_step(st, cur[j], p, dt)
        hit = (s > 0) & np.isnan(out)
        out = np.where(hit, (j + st.frac) * dt, out)
        if np.all(~np.isnan(out)):
            break
    return out


def predict_isi(params: Any, current: np.ndarray, dt: float) -> np.ndarray:
    """Model interval from a spike to the next threshold crossing for each input window
    (``current`` of :func:`isi_windows`); ``nan`` where the window ends first."""
    from .neuron_models import CurrentModeParams, LinearIFParams

    cur = np.asarray(current, float)
    if isinstance(params, LinearIFParams):
        return _linear_if_isi(params, cur, dt)
    if isinstance(params, CurrentModeParams):
        return _current_mode_isi(params, cur, dt)
    raise FitError(f"No spike-train predictor for {type(params).__name__}.")


def fit_isi(base: Any, t_stim: Any, i_stim: Any, spikes: Any, free: Mapping[str, Free],
            dt: float, horizon: float = 5e-3, fi: tuple[Any, Any] | None = None,
            fi_weight: float = 1.0, floor: float = 0.05, **kw: Any) -> Fit:
    """Fit ``free`` fields of ``base`` to the intervals of a training spike train.

    ``fi = (currents, rates)`` adds the F–I residuals of :func:`~.fit.fit_fi` (relative,
    weighted by ``fi_weight``) to the interval residuals, so that both the constant-input and
    the fluctuating-input behaviour are fitted. A missed crossing counts as the capped
    interval ``isi + horizon``. ``kw`` goes to :func:`~.fit.fit_model`.
    """
    from .fit import fi_predictor

    cur, isi = isi_windows(t_stim, i_stim, spikes, dt, horizon)
    scale = float(isi.mean())
    cap = isi + horizon
    parts_y = [isi / scale]
    if fi is not None:
        i_fi, f_fi = (np.asarray(a, float) for a in fi)
        ok = np.isfinite(f_fi)
        i_fi, f_fi = i_fi[ok], f_fi[ok]
        w_fi = fi_weight / np.maximum(f_fi, floor * f_fi.max())
        pred_fi = fi_predictor(type(base))
        parts_y.append(f_fi * w_fi)
    y = np.concatenate(parts_y)

    def predict(p: Any) -> np.ndarray:
        t_hat = predict_isi(p, cur, dt)
        out = [np.where(np.isnan(t_hat), cap, t_hat) / scale]
        if fi is not None:
            out.append(pred_fi(p, i_fi) * w_fi)
        return np.concatenate(out)

    return fit_model(lambda v: replace(base, **v), predict, y, free,
                     what=f"spike train of {type(base).__name__}", **kw)
