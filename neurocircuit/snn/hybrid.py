r"""Hybrid training (Rathi et al. 2020, algorithms.md fig. 8): conversion, then BPTT fine-tuning.

1. Train a ReLU ANN; 2. convert it (:func:`~.convert.convert`: threshold balancing, IF neurons,
soft reset); 3. fine-tune the converted SNN for a few epochs of surrogate-gradient BPTT at a
small ``T`` (optionally with trainable per-layer leak and threshold), with the loss on the
summed readout current (``"membrane_mean"``). Goal: fewer steps than conversion alone and a
cheaper training than BPTT from scratch.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ann import ANN
from .bptt import fit
from .convert import convert
from .network import Sequential
from .optim import make_optimizer, params_of
from .spiking import LIF

__all__ = ["hybrid"]


def hybrid(ann: ANN, x: np.ndarray, y: np.ndarray, *, T: int, epochs: int = 3,
           lr: float = 1e-4, batch_size: int = 64, optimizer: str = "adam",
           method: str = "percentile", percentile: float = 99.9, n_calib: int = 1000,
           train_beta: bool = False, train_th: bool = True, surrogate: str = "fast_sigmoid",
           slope: float = 1.0, loss: str = "membrane_mean", encoder: Any = None,
           v_init: float = 0.0, lr_schedule: Any = None,
           rng: np.random.Generator | int | None = 0, progress: bool = False,
           on_epoch: Any = None, transform: Any = None
           ) -> tuple[Sequential, list[dict[str, float]]]:
    """Convert ``ann`` and fine-tune the SNN with BPTT; returns ``(snn, history)``.

    ``v_init`` (initial membrane in units of the threshold) is passed to :func:`.convert`;
    ``lr_schedule(k)`` to :func:`~.bptt.fit`.
    """
    rng = np.random.default_rng(rng)
    calib = x[rng.permutation(len(x))[:n_calib]]
    snn = convert(ann, calib, method=method, percentile=percentile, surrogate=surrogate,
                  v_init=v_init)
    for i, n in enumerate(snn.nodes):
        if isinstance(n, LIF):
            snn.nodes[i] = LIF(n.value("beta"), n.value("v_th"), reset=n.reset,
                               surrogate=surrogate, slope=slope, train_beta=train_beta,
                               train_th=train_th, v_init=n.v_init)
    opt = make_optimizer(optimizer, params_of(snn), lr)
    hist = fit(snn, opt, x, y, T=T, epochs=epochs, batch_size=batch_size, loss=loss,
               encoder=encoder, rng=rng, progress=progress, on_epoch=on_epoch,
               transform=transform, lr_schedule=lr_schedule)
    return snn, hist
