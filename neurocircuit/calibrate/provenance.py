"""What every calibrated file records about how it was made, and its parameter histograms.

Shared by the neuron (:mod:`.pipeline`), synapse/device (:mod:`.synapse_pipeline`) and digital
(:mod:`.digital_cal`) calibrations, so the three write the same provenance block.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["sha256_text", "sha256_file", "jsonable", "provenance", "param_histograms"]


def sha256_text(text: str) -> str:
    """Hex SHA-256 of ``text`` (UTF-8)."""
    return hashlib.sha256(text.encode()).hexdigest()


def sha256_file(path: str | Path | None) -> str | None:
    """Hex SHA-256 of a file's bytes; None when there is no such (readable) file."""
    if path is None:
        return None
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None


def jsonable(d: Mapping[str, Any]) -> dict[str, Any]:
    """``d`` with every value that is not a JSON scalar replaced by its ``str``."""
    return {k: (v if isinstance(v, (str, bool, int, float)) or v is None else str(v))
            for k, v in d.items()}


def provenance(*, deck: str, name: str, preset: str, mc: int | None, seed: int, wall: float,
               workers: int | None, ngspice_version: str,
               model_card: str | Path | None = None, **extra: Any) -> dict[str, Any]:
    """The provenance block: deck and model-card hashes, simulator version, Monte-Carlo size,
    seed, UTC date, wall time, workers and the command that reproduces the file."""
    return {"deck_sha256": sha256_text(deck),
            "model_card_sha256": sha256_file(model_card),
            "model_card": Path(model_card).name if model_card is not None else None,
            "ngspice_version": ngspice_version,
            "n_mc": int(mc or 0), "seed": int(seed),
            "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "wall_time_s": wall, "workers": workers,
            "command": f"neurocircuit calibrate {name} --preset {preset} --mc {mc} --seed {seed}"
                       + (f" --init {extra['init']['path']}" if "init" in extra else ""),
            **extra}


def param_histograms(path: Path, name: str, names: Sequence[str], table: Any, n: int) -> str:
    """Histograms of the per-instance fitted parameters (columns of ``table``) beside the
    calibrated file ``path``, as ``<stem>_params.png``; returns the PNG's path."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    k = len(names)
    fig, axes = plt.subplots(1, k, figsize=(3.2 * k, 3), squeeze=False)
    tab = np.asarray(table, float)
    for j, ax in enumerate(axes[0]):
        col = tab[:, j]
        ax.hist(col[np.isfinite(col)], bins=20)
        ax.set_title(names[j])
    fig.suptitle(f"{name}: fitted parameters over {n} Monte-Carlo instances")
    fig.tight_layout()
    out = Path(path).with_name(Path(path).stem + "_params.png")
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return str(out)
