r"""F–I curve and spike sequences of the Izhikevich model measured like the circuit's, for fitting.

The Izhikevich model (:class:`~.neuron_models.IzhikevichParams`, recovery current
``w(u)``: :func:`~.neuron_models.izhikevich_recovery`) has no closed-form rate and, with
adaptation (``d > 0``), its rate depends on the time since the step. The circuit's F–I point is
measured from a step of ``I`` from rest over ``t_stop`` as ``(n − 1)/(t_n − t_{1+skip})`` over
the spikes after the first ``skip`` (:func:`neurocircuit.measure.firing_rate`), so the model is
simulated from rest (``v = c``, ``u = b·c``) with the same ``t_stop`` and ``skip``, all
currents (and per-instance parameter arrays) at once, with sub-step spike times: when ``v``
crosses ``v_peak`` between steps ``k`` and ``k + 1`` the spike time is interpolated linearly,
``t = (k + (v_peak − v_k)/(v_{k+1} − v_k))·dt``, so the rate is continuous in the parameters
(as a least-squares fit needs). Fewer than two spikes → 0 Hz.

:func:`izhikevich_spikes` returns the first ``n_max`` spike times themselves (for fitting
spike sequences under steps, :mod:`.recipe_qif`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["izhikevich_rate", "izhikevich_spikes"]


def _shape(p: Any, i: np.ndarray) -> tuple[int, ...]:
    return np.broadcast_shapes(i.shape, *(np.shape(getattr(p, f)) for f in
                                          ("a", "b", "c", "d", "v_peak", "t_scale", "i_scale",
                                           "u_exp", "u_decay")))


def _run(params: Any, i_in: Any, t_stop: float, dt: float, on_spike) -> tuple[int, ...]:
    """Simulate steps of ``i_in`` from rest; ``on_spike(hit, tk)`` for every step with a spike
    (``tk``: sub-step spike times of the whole batch)."""
    from .neuron_models import _arr, izhikevich_init, izhikevich_recovery, izhikevich_step

    p = params
    i = _arr(i_in)
    shape = _shape(p, i)
    st = izhikevich_init(p, shape)
    vp = _arr(p.v_peak)
    lin = bool(np.all(np.isinf(_arr(p.u_exp))))
    for k in range(int(round(t_stop / dt))):
        v_old, u_old = st.v, st.u
        s, st = izhikevich_step(st, i, p, dt)
        hit = s > 0
        if not hit.any():
            continue
        h = dt / _arr(p.t_scale)
        w = u_old if lin else izhikevich_recovery(u_old, p.u_exp)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            v_new = v_old + h * (0.04 * v_old ** 2 + 5.0 * v_old + 140.0 - w
                                 + i / _arr(p.i_scale))  # unclipped v of the step
            frac = np.clip((vp - v_old) / (v_new - v_old), 0.0, 1.0)
        on_spike(hit, (k + np.where(np.isfinite(frac), frac, 1.0)) * dt)
    return shape


def izhikevich_rate(params: Any, i_in: Any, t_stop: float, dt: float,
                    skip: int = 1) -> np.ndarray:
    """Rates (Hz) of the Izhikevich model for steps of ``i_in`` (A) from rest (see module)."""
    acc: dict[str, Any] = {}

    def on_spike(hit, tk):
        if not acc:
            z = np.zeros(hit.shape)
            acc.update(n=z, first=z + np.nan, first0=z + np.nan, last=z + np.nan)
        n = acc["n"] + hit
        acc["first"] = np.where(hit & (n == skip + 1), tk, acc["first"])
        acc["first0"] = np.where(hit & (n == 1), tk, acc["first0"])
        acc["last"] = np.where(hit, tk, acc["last"])
        acc["n"] = n

    shape = _run(params, i_in, t_stop, dt, on_spike)
    if not acc:
        return np.zeros(shape)
    n, first, first0, last = acc["n"], acc["first"], acc["first0"], acc["last"]
    use = n > skip + 1
    m = np.where(use, n - skip, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (m - 1) / (last - np.where(use, first, first0))
    return np.where((m >= 2) & np.isfinite(r), r, 0.0)


def izhikevich_spikes(params: Any, i_in: Any, t_stop: float, dt: float,
                      n_max: int) -> np.ndarray:
    """The first ``n_max`` spike times (s; NaN: none) of steps of ``i_in`` from rest, shape
    ``broadcast(i_in, params) + (n_max,)`` (sub-step times as in the module)."""
    acc: dict[str, Any] = {}

    def on_spike(hit, tk):
        if not acc:
            acc.update(n=np.zeros(hit.shape, int),
                       out=np.full(hit.shape + (int(n_max),), np.nan))
        idx = np.nonzero(hit & (acc["n"] < n_max))
        acc["out"][idx + (acc["n"][idx],)] = tk[idx]
        acc["n"] = acc["n"] + hit

    shape = _run(params, i_in, t_stop, dt, on_spike)
    return acc["out"] if acc else np.full(shape + (int(n_max),), np.nan)
