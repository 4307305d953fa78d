"""Scratch buffers kept across training steps.

A training step allocates the same large arrays every time: a dense layer's output
``(T·B, n_out)``, a LIF node's membrane and spike records and its gradient. Above glibc's
allocation thresholds each of them is handed back to the kernel when freed and faulted in
(and zeroed) again on the next step: for W2 of WORKLOADS.md (784-1000-10, T = 25, batch 128)
that costs about 14 ms of a ~115 ms step. A :class:`Workspace` keeps one buffer per
``(owner, name)`` and hands the same array back while the shape and dtype stay the same.

Buffers from a workspace are overwritten by the next call that asks for them: only
:func:`~neurocircuit.snn.bptt.train_step`, which consumes every output and gradient before the
next step, passes one (``Sequential.forward(..., workspace=ws)`` / ``backward(g, workspace=ws)``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["Workspace", "empty"]


class Workspace:
    """Buffers keyed by ``(owner, name)``, reused while shape and dtype match."""

    def __init__(self) -> None:
        self._bufs: dict[tuple[int, str], np.ndarray] = {}

    def empty(self, owner: Any, name: str, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        """An uninitialised array of ``shape``/``dtype``, the same one as last time if it fits."""
        key = (id(owner), name)
        shape = tuple(int(s) for s in shape)
        buf = self._bufs.get(key)
        if buf is None or buf.shape != shape or buf.dtype != np.dtype(dtype):
            buf = np.empty(shape, dtype=dtype)
            self._bufs[key] = buf
        return buf

    def clear(self) -> None:
        """Drop every buffer (frees the memory)."""
        self._bufs.clear()

    @property
    def nbytes(self) -> int:
        return sum(b.nbytes for b in self._bufs.values())


def empty(ws: Workspace | None, owner: Any, name: str, shape: tuple[int, ...],
          dtype: Any) -> np.ndarray:
    """``ws.empty(...)`` when a workspace is given, else a fresh ``np.empty``."""
    if ws is None:
        return np.empty(shape, dtype=dtype)
    return ws.empty(owner, name, shape, dtype)
