"""``SimResult``: the outcome of one ngspice analysis, as plain numpy arrays.

Signals are keyed by ngspice's lower-case vector names (``"v(vout)"``, ``"i(vdd)"``). Lookups
are lenient: ``result["vout"]`` finds ``v(vout)``; ``result["vdd#branch"]`` finds ``i(vdd)``.
A result saves to ``.npz`` (arrays) with its metadata as JSON inside, and plots any signals.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import NeurocircuitError

__all__ = ["SimResult", "normalise_name"]


def normalise_name(name: str) -> str:
    """Canonical vector name: lower case, ``x#branch`` -> ``i(x)``, bare node -> ``v(node)``."""
    n = name.strip().lower()
    if n.endswith("#branch"):
        return f"i({n[: -len('#branch')]})"
    return n


@dataclass
class SimResult:
    """One analysis' vectors.

    Attributes
    ----------
    analysis
        ``"op"``, ``"dc"``, ``"tran"`` or ``"ac"``.
    axis_name
        Name of the independent vector (``"time"``, ``"frequency"``, ``"v(v-sweep)"``...),
        ``""`` for an operating point.
    axis
        The independent variable (empty for ``op``).
    signals
        Every other vector; complex for AC.
    deck
        The exact deck text that was simulated.
    ngspice_version, backend, wall_time_s
        Provenance.
    meta
        Anything else (cache hit, temperature, options...).
    """

    analysis: str
    axis_name: str
    axis: np.ndarray
    signals: dict[str, np.ndarray]
    deck: str = ""
    ngspice_version: str = ""
    backend: str = ""
    wall_time_s: float = 0.0
    meta: dict = field(default_factory=dict)

    # -- access ---------------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self.signals)

    def _resolve(self, name: str) -> str:
        n = normalise_name(name)
        if n in self.signals:
            return n
        for cand in (f"v({n})", f"i({n})", n.replace(":", ".")):
            if cand in self.signals:
                return cand
        if n == self.axis_name:
            return n
        raise KeyError(
            f"No signal {name!r} in this result. Available: {', '.join(sorted(self.signals))}"
        )

    def __getitem__(self, name: str) -> np.ndarray:
        key = self._resolve(name)
        if key == self.axis_name and key not in self.signals:
            return self.axis
        return self.signals[key]

    def __contains__(self, name: object) -> bool:
        try:
            self._resolve(str(name))
        except KeyError:
            return False
        return True

    @property
    def time(self) -> np.ndarray:
        if self.analysis != "tran":
            raise NeurocircuitError(f"A {self.analysis} result has no time axis.")
        return self.axis

    @property
    def frequency(self) -> np.ndarray:
        if self.analysis != "ac":
            raise NeurocircuitError(f"A {self.analysis} result has no frequency axis.")
        return np.real(self.axis)

    # -- persistence ----------------------------------------------------------------------
    def metadata(self) -> dict:
        return {
            "analysis": self.analysis,
            "axis_name": self.axis_name,
            "deck": self.deck,
            "ngspice_version": self.ngspice_version,
            "backend": self.backend,
            "wall_time_s": self.wall_time_s,
            "meta": self.meta,
            "signal_names": list(self.signals),
        }

    def save(self, path: str | Path) -> Path:
        """Save as ``.npz`` with a JSON metadata entry; returns the path written."""
        path = Path(path)
        arrays = {f"s{i}": np.asarray(v) for i, v in enumerate(self.signals.values())}
        arrays["axis"] = np.asarray(self.axis)
        arrays["metadata"] = np.frombuffer(
            json.dumps(self.metadata(), default=str).encode(), dtype=np.uint8
        )
        with open(path, "wb") as fh:
            np.savez_compressed(fh, **arrays)
        return path

    @classmethod
    def load(cls, path: str | Path) -> SimResult:
        with np.load(Path(path), allow_pickle=False) as z:
            meta = json.loads(bytes(z["metadata"]).decode())
            signals = {n: z[f"s{i}"] for i, n in enumerate(meta["signal_names"])}
            axis = z["axis"]
        return cls(
            analysis=meta["analysis"],
            axis_name=meta["axis_name"],
            axis=axis,
            signals=signals,
            deck=meta["deck"],
            ngspice_version=meta["ngspice_version"],
            backend=meta["backend"],
            wall_time_s=meta["wall_time_s"],
            meta=meta["meta"],
        )

    # -- plotting -------------------------------------------------------------------------
    def plot(
        self,
        names: Sequence[str] | None = None,
        path: str | Path | None = None,
        title: str | None = None,
        ax=None,
    ):
        """Plot ``names`` (default: every voltage) against the axis; save to ``path`` if given.

        Returns the matplotlib figure. Uses the Agg backend when saving without a display.
        """
        import matplotlib

        if path is not None and ax is None:
            matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt

        if names is None:
            names = [n for n in self.signals if n.startswith("v(")][:8] or list(self.signals)[:8]
        if ax is None:
            fig, ax = plt.subplots(figsize=(8, 4))
        else:
            fig = ax.figure
        x = np.real(self.axis)
        for n in names:
            y = self[n]
            if np.iscomplexobj(y):
                ax.semilogx(x, 20 * np.log10(np.abs(y) + 1e-300), label=f"|{n}| dB")
            else:
                ax.plot(x, y, label=n)
        ax.set_xlabel(self.axis_name or "index")
        ax.legend(loc="best", fontsize=8)
        ax.grid(True, alpha=0.3)
        if title:
            ax.set_title(title)
        if path is not None:
            fig.tight_layout()
            fig.savefig(path, dpi=110)
            plt.close(fig)
        return fig

    @staticmethod
    def from_vectors(
        analysis: str,
        vectors: Mapping[str, np.ndarray],
        **kwargs,
    ) -> SimResult:
        """Build from a raw mapping of vectors; the first axis-like vector becomes the axis."""
        vecs = {normalise_name(k): np.asarray(v) for k, v in vectors.items()}
        axis_name = ""
        for cand in ("time", "frequency"):
            if cand in vecs:
                axis_name = cand
                break
        else:
            if analysis == "dc":
                for k in vecs:
                    if "sweep" in k:
                        axis_name = k
                        break
        axis = vecs.pop(axis_name) if axis_name else np.empty(0)
        if analysis == "tran" or analysis == "dc":
            axis = np.real(axis)
        return SimResult(analysis=analysis, axis_name=axis_name, axis=axis, signals=vecs, **kwargs)
