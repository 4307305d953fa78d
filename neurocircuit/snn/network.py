r"""Sequential SNN container: layers and spiking nodes run over ``T`` steps.

A network is a list of nodes: stateless synaptic layers (:mod:`.layers`: ``y = f(x)`` applied
to every step at once, so a dense layer costs one ``(T·B, in) @ (in, out)`` matmul) and stateful
nodes (:mod:`.spiking`: LIF, readout, recurrent, any protocol neuron) looping over time.

Input is either a spike/current sequence ``(T, *lead, *in_shape)`` or a static sample batch
``(*lead, *in_shape)`` with ``T`` given ("direct" coding: the analog input is the current at every
step; the layers before the first stateful node then run once, not ``T`` times).

Event counters per inference (one sample over ``T`` steps):

- ``ac``: synaptic accumulate operations, event driven: ``Σ_t Σ_i s_i[t]·fanout_i`` over every
  synaptic layer whose input is a spike train (spikes stay spikes through max pooling and
  flattening; after average pooling the values are analog);
- ``mac_snn``: multiply-accumulates of layers fed analog values (direct input), ``T·MACs``;
- ``mac_ann``: multiply-accumulates of the equivalent ANN (one pass, every weight layer);
- ``spikes``: spikes emitted by all spiking nodes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import ParameterError
from .layers import check_shape
from .workspace import Workspace

__all__ = ["Sequential", "RunResult"]

F32 = np.float32
_STATEFUL = ("lif", "readout", "recurrent", "neuron")


@dataclass
class RunResult:
    """Output sequence, per-node monitors and per-inference event counts."""

    output: Any
    spikes: dict[int, Any] = field(default_factory=dict)
    membrane: dict[int, Any] = field(default_factory=dict)
    counts: dict[str, float] = field(default_factory=dict)


class Sequential:
    """Feed-forward stack of nodes; ``in_shape`` is one sample's feature shape."""

    def __init__(self, nodes: list[Any], in_shape: tuple[int, ...]) -> None:
        self.nodes = list(nodes)
        self.workspace = Workspace()   # reused training buffers (train_step passes it)
        self.in_shape = tuple(int(i) for i in in_shape)
        self.shapes = [self.in_shape]
        shape = self.in_shape
        for i, node in enumerate(self.nodes):
            if hasattr(node, "out_shape"):
                try:
                    shape = tuple(node.out_shape(shape))
                except (IndexError, ValueError) as exc:
                    raise ParameterError(
                        f"Node {i} ({node.kind}) cannot take input of shape {shape}: {exc}"
                    ) from exc
            self.shapes.append(shape)

    @property
    def out_shape(self) -> tuple[int, ...]:
        return self.shapes[-1]

    def parameters(self) -> list[tuple[str, dict[str, Any]]]:
        """``[(node_name, params_dict), ...]`` of nodes with parameters."""
        return [(f"{i}.{n.kind}", n.params) for i, n in enumerate(self.nodes) if n.params]

    def state_dict(self) -> dict[str, np.ndarray]:
        return {f"{i}.{k}": np.asarray(v) for i, n in enumerate(self.nodes)
                for k, v in n.params.items()}

    def load_state_dict(self, d: dict[str, Any]) -> None:
        for i, n in enumerate(self.nodes):
            for k in n.params:
                key = f"{i}.{k}"
                if key not in d:
                    raise ParameterError(f"Missing parameter {key!r} in the saved weights.")
                arr = np.asarray(d[key], dtype=n.params[k].dtype)
                if arr.shape != n.params[k].shape:
                    raise ParameterError(
                        f"Parameter {key!r} expects shape {n.params[k].shape}; got {arr.shape}."
                    )
                n.params[k][...] = arr

    def _prepare(self, x: Any, T: int | None) -> tuple[Any, bool]:
        x = np.asarray(x, dtype=F32) if isinstance(x, np.ndarray | list) else x
        static = T is not None
        n = len(self.in_shape)
        check_shape("Sequential", x, self.in_shape)
        if not static and x.ndim < n + 2:
            raise ParameterError(
                f"A sequence input must have shape (T, batch, {', '.join(map(str, self.in_shape))})"
                f"; got {tuple(x.shape)} (pass T= for static direct input)."
            )
        return x, static

    def forward(self, x: Any, T: int | None = None, train: bool = False,
                record: tuple[str, ...] = (), count: bool = False,
                workspace: Workspace | None = None) -> RunResult:
        """Run the network; ``train=True`` keeps the caches for :meth:`backward`.

        ``record`` may contain ``"spikes"`` and ``"v"`` (membrane of spiking nodes). With a
        ``workspace`` (training only) nodes that support it write into its reused buffers: the
        returned arrays are overwritten by the next call with the same workspace.
        """
        ws = workspace if train else None
        x, static = self._prepare(x, T)
        caches: list[Any] = []
        res = RunResult(output=None)
        counts = {"ac": 0.0, "mac_snn": 0.0, "mac_ann": 0.0, "spikes": 0.0}
        is_spike = not static and count and bool(np.all((x == 0) | (x == 1)))
        batch = None
        for i, node in enumerate(self.nodes):
            stateful = node.kind in _STATEFUL
            if stateful and static:
                x = np.broadcast_to(x, (T, *x.shape))
                static = False
            if count and (node.kind not in _STATEFUL or node.kind == "recurrent"):
                in_shape = self.shapes[i]
                macs = node.macs(in_shape)
                counts["mac_ann"] += macs
                nb = int(np.prod(x.shape[: x.ndim - len(in_shape)]))
                steps = T if static else x.shape[0]
                batch = nb // (1 if static else x.shape[0])
                if is_spike:
                    fan = node.fanout(in_shape)
                    red = tuple(range(x.ndim - len(in_shape)))
                    ev = np.abs(x).sum(axis=red, dtype=np.float64)  # signed spikes count too
                    counts["ac"] += float(np.sum(ev * fan)) / batch
                elif macs:
                    counts["mac_snn"] += macs * steps
            kw = {"ws": ws} if ws is not None and getattr(node, "uses_workspace", False) else {}
            if stateful:
                y, cache = node.forward(x, train=train, record_v="v" in record, **kw)
                if node.kind != "readout":
                    if "spikes" in record:
                        res.spikes[i] = y
                    if "v" in record and not train and cache is not None:
                        res.membrane[i] = cache
                    if count:
                        counts["spikes"] += float(np.abs(y).sum(dtype=np.float64))
                        is_spike = True
                else:
                    is_spike = False
                    if "v" in record:
                        res.membrane[i] = y
            else:
                y, cache = node.forward(x, train=train, **kw)
                # spikes stay spikes through max pooling and flattening only
                is_spike = is_spike and node.kind in ("maxpool", "flatten")
            caches.append(cache)
            x = y
        if static:
            x = np.broadcast_to(x, (T, *x.shape))
        res.output = x
        if count:
            bsz = batch if batch else int(np.prod(x.shape[1: x.ndim - len(self.out_shape)]))
            counts["spikes"] /= max(bsz, 1)
            res.counts = counts
        self._caches = caches if train else None
        self._static_T = T
        return res

    def backward(self, g_out: Any, workspace: Workspace | None = None
                 ) -> list[dict[str, Any]]:
        """Gradients of every node's params given ``∂L/∂output`` (same shape as the output).

        With a ``workspace`` the gradients live in its reused buffers (see :meth:`forward`).
        """
        if getattr(self, "_caches", None) is None:
            raise ParameterError("backward() needs a forward(..., train=True) first.")
        grads: list[dict[str, Any]] = [{} for _ in self.nodes]
        g = g_out
        first_stateful = next((i for i, n in enumerate(self.nodes) if n.kind in _STATEFUL),
                              len(self.nodes))
        for i in range(len(self.nodes) - 1, -1, -1):
            node = self.nodes[i]
            if i == first_stateful - 1 and self._static_T is not None:
                g = g.sum(axis=0)   # the static prefix was broadcast over T
            kw = ({"ws": workspace} if workspace is not None
                  and getattr(node, "uses_workspace", False) else {})
            g, grads[i] = node.backward(g, self._caches[i], need_gx=i > 0, **kw)
        self._caches = None
        return grads

    def predict(self, x: Any, T: int | None = None, batch_size: int = 256) -> np.ndarray:
        """Class index per sample: arg-max of summed output (spikes or membrane) over time."""
        out = []
        ax = 0 if T is not None else 1
        for s in range(0, x.shape[ax], batch_size):
            xb = x[s: s + batch_size] if ax == 0 else x[:, s: s + batch_size]
            r = self.forward(xb, T=T)
            out.append(np.asarray(r.output).sum(axis=0).argmax(axis=-1))
        return np.concatenate(out)
