r"""Helpers shared by several neuron calibration recipes (:mod:`.pipeline`).

* :func:`isi_refine` — F–I fit, then a joint fit of the F–I curve and the spike-triggered
  interval predictions under a *training* OU current (:mod:`.isi_fit`); used by
  if-refractory, switched-cap-lif, tau-cell-neuron and log-domain-neuron.
* :func:`batched_log_lm` — Levenberg–Marquardt over many independent small fits at once
  (one per Monte-Carlo instance), in log space of positive parameters ``u = ln θ``::

      r_n(u_n) = ln max(f_model(θ_n, I), f_floor) − ln f_n(I),
      (JᵀJ + λ (diag JᵀJ + 10⁻⁹)) δ = −Jᵀ r,   δ clipped to ±1 (a factor e),

  ``J`` by forward differences (step ``ε`` in ``u``); a step is kept only where it lowers
  ``Σ r²`` (then ``λ ← λ/3``, else ``λ ← 4λ``), independently per instance. The model is
  evaluated once for all instances (parameter arrays of shape ``(n, 1)`` against currents of
  shape ``(1, k)``), so a simulated F–I predictor costs one batch per evaluation.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from .fit import fit_fi

__all__ = ["TRAIN_SEED_OFFSET", "isi_refine", "batched_log_lm"]

TRAIN_SEED_OFFSET = 777
"""Seed offset of the training OU stimulus (the held-out one uses ``seed + 12345``)."""


def isi_refine(name, train, free, p, base, currents, rates, predict, seed, min_isi=None,
               fi_weight: float = 1.0):
    r"""F–I fit, then a joint fit of the spike timing under a *training* OU current and the
    F–I curve (:func:`~neurocircuit.calibrate.isi_fit.fit_isi`, F–I residuals weighted by
    ``fi_weight``).

    The F–I curve alone leaves the leak (``τ``, ``I_leak``) and the threshold charge badly
    identified (their effects on constant-input rates trade off), and a free-running model
    then accumulates timing errors under a fluctuating input (if-refractory: Γ = 0.69 with
    the F–I-only fit). The training stimulus ``train(p)`` is played into ngspice with seed
    ``seed + TRAIN_SEED_OFFSET`` — never the held-out stimulus of the validation.
    """
    from ..evaluate.characterize_neurons import _value, characterization_spec
    from .isi_fit import fit_isi
    from .validate import circuit_ou

    fr = free(p)
    fit0 = fit_fi(base, currents, rates, fr, n_starts=6, seed=seed)
    spec = characterization_spec(name)
    tr = train(p)
    c = circuit_ou(name, p, tr["mean"], tr["sigma"], tr["tau"], tr["t_stop"],
                   seed + TRAIN_SEED_OFFSET, tr["dt_stim"], float(_value(spec["threshold"], p)),
                   max_step=float(_value(spec["max_step"], p)), timeout=600.0,
                   options=spec["options"], min_isi=min_isi)
    free2 = {k: replace(f, init=float(np.clip(getattr(fit0.params, k), f.lo, f.hi)))
             for k, f in fr.items()}
    dt = float(tr.get("dt_fit", tr["dt_model"]))
    fit = fit_isi(fit0.params, c["stimulus_t"], c["stimulus_i"], c["spikes"], free2, dt,
                  fi=(currents, rates), fi_weight=fi_weight, n_starts=1, seed=seed)
    n_isi = max(int(np.size(c["spikes"])) - 1, 0)
    extra = {"train_ou": {"mean_a": tr["mean"], "sigma_a": tr["sigma"], "tau_s": tr["tau"],
                          "t_stop_s": tr["t_stop"], "dt_s": tr["dt_stim"],
                          "seed": seed + TRAIN_SEED_OFFSET, "n_spikes": n_isi + 1},
             "isi_rel_rms": float(np.sqrt(np.mean(fit.residuals[:n_isi] ** 2))),
             "fi_only_fit": fit0.as_dict()}
    if fi_weight != 1.0:
        extra["fi_weight"] = float(fi_weight)
    return replace(fit, metrics={**fit.metrics, "extra": extra})


def batched_log_lm(currents: Any, table: Any, nominal: Any, names: Sequence[str],
                   predict: Callable[[Any, np.ndarray], np.ndarray], iters: int = 12,
                   eps: float = 1e-3, floor: float = 1e-3) -> np.ndarray:
    """Fit ``names`` (positive fields of ``nominal``) of every row of ``table`` (instances ×
    currents, Hz) by the batched log-space Levenberg–Marquardt of the module docstring.

    Returns ``(n, len(names))`` fitted values; rows with a non-finite or non-positive rate
    are NaN. ``predict(model, currents)`` must broadcast per-instance parameter arrays."""
    table = np.asarray(table, float)
    k = len(names)
    ok = np.all(np.isfinite(table) & (table > 0), axis=1)
    out = np.full((table.shape[0], k), np.nan)
    if not ok.any():
        return out
    y = np.log(table[ok])
    u = np.tile(np.log([float(getattr(nominal, n)) for n in names]), (y.shape[0], 1))
    cur = np.asarray(currents, float)[None, :]
    eye = np.eye(k)

    def resid(uu):
        m = replace(nominal, **{n: np.exp(uu[:, j:j + 1]) for j, n in enumerate(names)})
        return np.log(np.maximum(predict(m, cur), floor)) - y

    r = resid(u)
    lam = np.full(y.shape[0], 1e-2)
    for _ in range(int(iters)):
        jac = np.stack([(resid(u + eps * eye[j]) - r) / eps for j in range(k)], axis=-1)
        jtj = np.einsum("nik,nil->nkl", jac, jac)
        g = np.einsum("nik,ni->nk", jac, r)
        a = jtj + lam[:, None, None] * (eye * np.diagonal(jtj, axis1=1, axis2=2)[:, None, :]
                                        + 1e-9 * eye)
        step = np.clip(-np.linalg.solve(a, g[..., None])[..., 0], -1.0, 1.0)
        step = np.where(np.isfinite(step), step, 0.0)
        r_new = resid(u + step)
        better = np.sum(r_new ** 2, axis=1) < np.sum(r ** 2, axis=1)
        u = np.where(better[:, None], u + step, u)
        r = np.where(better[:, None], r_new, r)
        lam = np.where(better, lam / 3.0, lam * 4.0)
    out[ok] = np.exp(u)
    return out
