r"""Anytime evaluation: accuracy and event counts at every prefix ``T' ≤ T`` from one run.

A feed-forward SNN is causal, so the first ``T'`` steps of a ``T``-step run are the ``T'``-step
run. One forward pass at ``T = max(Ts)`` therefore gives, for every ``T'`` in ``Ts``:

- the prediction ``argmax_k Σ_{t<T'} out[t, k]``;
- ``spikes(T') = Σ_{t<T'} Σ_l Σ_i s_{l,i}[t]`` (all spiking nodes);
- ``ac(T') = Σ_{t<T'} Σ_j Σ_i s_{j,i}[t]·fanout_{j,i}`` over synaptic layers ``j`` fed spike
  trains (a spiking node's output, or a binary input sequence, through max pooling/flatten);
  an input sequence of integer dtype holds event counts, and every input event is one
  accumulate per synaptic target;
- ``mac_snn(T') = T'·Σ_j MACs_j`` over synaptic layers fed analog values;
- ``mac_ann = Σ_j MACs_j`` (one pass of the equivalent ANN),

all per inference; the same definitions as :meth:`.network.Sequential.forward` with
``count=True`` run for ``T'`` steps (the tests check that equality).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError

__all__ = ["evaluate_prefixes"]

_STATEFUL = ("lif", "readout", "recurrent", "neuron")
_SPIKE_KEEPING = ("maxpool", "flatten")


def _plan(net: Any, spike_input: bool) -> tuple[list[tuple[int, int | None]], list[int]]:
    """``(spike-fed layer j, source node i or None for the input)`` pairs and analog layers."""
    spike_fed: list[tuple[int, int | None]] = []
    analog: list[int] = []
    src: int | None = None
    is_spike = spike_input
    for j, node in enumerate(net.nodes):
        if node.kind in _STATEFUL and node.kind != "recurrent":
            is_spike = node.kind != "readout"
            src = j
            continue
        if node.kind == "recurrent":
            raise ParameterError("evaluate_prefixes supports feed-forward networks only.")
        if node.macs(net.shapes[j]):
            (spike_fed.append((j, src)) if is_spike else analog.append(j))
        is_spike = is_spike and node.kind in _SPIKE_KEEPING
    return spike_fed, analog


def evaluate_prefixes(net: Any, x: np.ndarray, y: np.ndarray, Ts: list[int] | tuple[int, ...],
                      *, sequence: bool = False, batch_size: int = 200
                      ) -> list[dict[str, float]]:
    """Accuracy and mean per-inference counts at every ``T'`` in ``Ts`` (one run at max ``T``).

    Parameters
    ----------
    net
        A feed-forward :class:`~.network.Sequential`.
    x, y
        Static samples ``(N, *in_shape)`` (direct coding for ``max(Ts)`` steps) or, with
        ``sequence=True``, an input sequence ``(T, N, *in_shape)`` with ``T ≥ max(Ts)``
        (integer dtype: event counts per step).
    Ts
        Prefix lengths (positive integers).

    Returns
    -------
    list of dict
        One per ``T'`` (in the order given): ``T``, ``accuracy``, ``spikes``, ``ac``,
        ``mac_snn``, ``mac_ann``.
    """
    Ts = [int(t) for t in Ts]
    if not Ts or min(Ts) < 1:
        raise ParameterError(f"Ts must be positive step counts; got {Ts!r}.")
    Tmax = max(Ts)
    y = np.asarray(y)
    n = len(y)
    if sequence and x.shape[0] < Tmax:
        raise ParameterError(f"The input sequence has {x.shape[0]} steps; max(Ts) is {Tmax}.")
    if sequence and (np.issubdtype(x.dtype, np.integer) or x.dtype == np.bool_):
        spike_input = True      # integer event counts: every event is one input spike
    else:
        spike_input = sequence and bool(np.all((x[:Tmax] == 0) | (x[:Tmax] == 1)))
    spike_fed, analog = _plan(net, spike_input)
    fans = {j: net.nodes[j].fanout(net.shapes[j]).reshape(-1) for j, _ in spike_fed}
    macs = [net.nodes[j].macs(net.shapes[j]) for j in range(len(net.nodes))
            if net.nodes[j].kind not in _STATEFUL]
    idx = np.array(Ts) - 1
    correct = np.zeros(len(Ts))
    spikes = np.zeros(len(Ts))
    ac = np.zeros(len(Ts))
    for s in range(0, n, batch_size):
        if sequence:
            xb = np.asarray(x[:Tmax, s: s + batch_size], dtype=np.float32)
            r = net.forward(xb, record=("spikes",))
            nb = xb.shape[1]
        else:
            xb = x[s: s + batch_size]
            r = net.forward(xb, T=Tmax, record=("spikes",))
            nb = xb.shape[0]
        out = np.cumsum(np.asarray(r.output, dtype=np.float64), axis=0)[idx]
        correct += np.sum(out.argmax(-1) == y[s: s + batch_size], axis=1)
        per_t = sum(np.abs(v).reshape(Tmax, -1).sum(axis=1, dtype=np.float64)
                    for v in r.spikes.values())   # |s|: signed neurons' −1 spikes count too
        spikes += np.cumsum(per_t)[idx]
        for j, i in spike_fed:
            st = xb if i is None else r.spikes[i]
            for k in range(i + 1 if i is not None else 0, j):   # max pooling / flatten
                st = net.nodes[k].forward(st)[0]
            ev = np.abs(st).reshape(Tmax, nb, -1).sum(axis=1, dtype=np.float64) @ fans[j]
            ac += np.cumsum(ev)[idx]
    mac_per_step = float(sum(net.nodes[j].macs(net.shapes[j]) for j in analog))
    return [{"T": T, "accuracy": float(correct[k] / n), "spikes": float(spikes[k] / n),
             "ac": float(ac[k] / n), "mac_snn": mac_per_step * T, "mac_ann": float(sum(macs))}
            for k, T in enumerate(Ts)]
