r"""F–I curve of the Izhikevich model measured like the circuit's, for fitting.

The Izhikevich model (:class:`~.neuron_models.IzhikevichParams`) has no closed-form rate and,
with adaptation (``d > 0``), its rate depends on the time since the step. The circuit's F–I
point is measured from a step of ``I`` from rest over ``t_stop`` as
``(n − 1)/(t_n − t_{1+skip})`` over the spikes after the first ``skip``
(:func:`neurocircuit.measure.firing_rate`), so the model is simulated from rest
(``v = c``, ``u = b·c``) with the same ``t_stop`` and ``skip``, all currents (and
per-instance parameter arrays) at once, with sub-step spike times: when ``v`` crosses
``v_peak`` between steps ``k`` and ``k + 1`` the spike time is interpolated linearly,
``t = (k + (v_peak − v_k)/(v_{k+1} − v_k))·dt``, so the rate is continuous in the parameters
(as a least-squares fit needs). Fewer than two spikes → 0 Hz.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["izhikevich_rate"]


def izhikevich_rate(params: Any, i_in: Any, t_stop: float, dt: float,
                    skip: int = 1) -> np.ndarray:
    """Rates (Hz) of the Izhikevich model for steps of ``i_in`` (A) from rest (see module)."""
    from .neuron_models import _arr, izhikevich_init, izhikevich_step

    p = params
    i = _arr(i_in)
    shape = np.broadcast_shapes(i.shape, *(np.shape(getattr(p, f)) for f in
                                           ("a", "b", "c", "d", "v_peak", "t_scale", "i_scale")))
    st = izhikevich_init(p, shape)
    vp = _arr(p.v_peak)
    n = np.zeros(shape)
    first = np.full(shape, np.nan)
    first0 = first.copy()
    last = np.full(shape, np.nan)
    for k in range(int(round(t_stop / dt))):
        v_old, u_old = st.v, st.u
        s, st = izhikevich_step(st, i, p, dt)
        hit = s > 0
        if not hit.any():
            continue
        h = dt / _arr(p.t_scale)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            v_new = v_old + h * (0.04 * v_old ** 2 + 5.0 * v_old + 140.0 - u_old
                                 + i / _arr(p.i_scale))  # unclipped v of the step
            frac = np.clip((vp - v_old) / (v_new - v_old), 0.0, 1.0)
        tk = (k + np.where(np.isfinite(frac), frac, 1.0)) * dt
        n = n + hit
        first = np.where(hit & (n == skip + 1), tk, first)
        first0 = np.where(hit & (n == 1), tk, first0)
        last = np.where(hit, tk, last)
    use = n > skip + 1
    m = np.where(use, n - skip, n)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = (m - 1) / (last - np.where(use, first, first0))
    return np.where((m >= 2) & np.isfinite(r), r, 0.0)
