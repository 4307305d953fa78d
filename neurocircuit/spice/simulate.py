"""``simulate(netlist, analysis)``: one ngspice analysis -> :class:`SimResult`.

The deck handed to ngspice is the netlist text followed by the ``.options`` card of the chosen
preset, ``.temp``, ``.save`` and the analysis card, then ``.end``. Results are cached on disk
(:mod:`.cache`: content-addressed on the deck, the contents of the files it includes, the
analysis, the options and the ngspice version) unless ``cache=False``.

Backends
--------
``"shared"``
    libngspice in a persistent worker process through PySpice (:mod:`.shared`): no process
    start and no raw file per run.
``"batch"``
    ``ngspice -b -r`` in a fresh subprocess per run (:mod:`.batch`).

Both give the same numbers (tested to 1e-6 relative; in practice bit-identical). The default
is :data:`DEFAULT_BACKEND` (``"shared"``), chosen by measurement on this project's 2-core
machine (ngspice-39; ``bench/spice_overhead.py``, medians, both backends interleaved):

- per call on small decks the shared worker is 5-10x cheaper: an RC ``.op`` took 1.4 ms
  (shared) against 14 ms (batch) on a quiet machine and 4.8 ms against 61 ms at load 8; an RC
  ``.tran`` of 500 points 16 ms against 75 ms. Batch pays for starting ngspice (loading its
  code models), writing and parsing the raw file; characterisation sweeps and calibration loops
  run thousands of such small decks;
- on the W4 Axon-Hillock deck (~10k time points) the simulation dominates: both backends are
  within a few per cent of each other and of raw ngspice / raw PySpice (CPU-time overhead
  +1.5 % shared, +0.3 % batch);
- isolation and hard timeouts are equal: libngspice runs in a child process that is killed and
  restarted on a hang or a crash, exactly like a batch ngspice process.

The price of ``"shared"`` is the worker's start, ~0.3 s once per process (more on a loaded
machine). ``NEUROCIRCUIT_BACKEND=batch`` (or ``backend="batch"``) changes the default; without
PySpice or libngspice the default falls back to ``"batch"``. Both backends run ngspice with
``num_threads=1`` always (ngspice ignores ``OMP_NUM_THREADS``; with its default of 2 OpenMP
threads the W4 deck took 5-20 s instead of 0.8-1.1 s on the busy 2-core machine).

``.meas`` cards: ngspice refuses them in batch mode with a raw file ("No .measure possible in
batch mode (-b) with -r rawfile set!"); measure from the returned waveforms instead
(:mod:`neurocircuit.measure`).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np

from ..circuits.netlist import Netlist
from ..errors import ParameterError, SimulationError
from .analyses import Analysis
from .diagnose import RunOutput, diagnose
from .options import OptionsSpec, options_card
from .result import SimResult

__all__ = ["simulate", "build_deck", "BACKENDS", "DEFAULT_BACKEND", "default_backend"]

BACKENDS = ("shared", "batch")
DEFAULT_BACKEND = "shared"


def default_backend() -> str:
    """``$NEUROCIRCUIT_BACKEND`` if set, else :data:`DEFAULT_BACKEND`.

    Falls back to ``"batch"`` when the shared backend cannot work here (no PySpice or no
    libngspice) but an ngspice binary exists.
    """
    name = os.environ.get("NEUROCIRCUIT_BACKEND")
    if name:
        return _check_backend(name)
    if DEFAULT_BACKEND == "shared":
        from importlib.util import find_spec

        from .locate import find_binary, find_library

        if (find_spec("PySpice") is None or find_library() is None) and find_binary():
            return "batch"
    return DEFAULT_BACKEND


def _check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise ParameterError(
            f"The 'backend' parameter must be one of {list(BACKENDS)}. Got {name!r} instead."
        )
    return name


def _strip_end(text: str) -> str:
    lines = text.rstrip().splitlines()
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and lines[-1].strip().lower() == ".end":
        lines.pop()
    return "\n".join(lines) + "\n"


def build_deck(
    netlist: Netlist | str,
    analysis: Analysis | None,
    options: OptionsSpec = None,
    temperature: float | None = None,
    save: list[str] | tuple[str, ...] | None = None,
) -> tuple[str, str, str]:
    """The complete deck, the analysis card and the options card.

    ``analysis=None`` runs the deck's own analysis cards.
    """
    body = netlist.text() if isinstance(netlist, Netlist) else str(netlist)
    if not body.strip():
        raise ParameterError("The 'netlist' parameter is empty: nothing to simulate.")
    deck = _strip_end(body)
    opts = options_card(options)
    extra = []
    if opts:
        extra.append(opts)
    if temperature is not None:
        t = float(temperature)
        if not np.isfinite(t) or t < -273.15:
            raise ParameterError(
                f"The 'temperature' parameter must be >= -273.15 °C. Got {temperature!r} instead."
            )
        extra.append(f".temp {t:.12g}")
    if save:
        extra.append(".save " + " ".join(str(s) for s in save))
    card = analysis.card() if analysis is not None else ""
    if card:
        extra.append(card)
    extra.append(".end")
    return deck + "\n".join(extra) + "\n", card, opts


def _resolve_cache(cache):
    if cache is False:
        return None
    if cache is None or cache is True:
        try:
            from .cache import default_cache
        except ImportError:
            return None
        return default_cache()
    return cache


def _run(backend: str, deck: str, timeout: float, cwd: str | None) -> RunOutput:
    if backend == "batch":
        from .batch import run_batch

        return run_batch(deck, timeout=timeout, cwd=cwd)
    from .shared import run_shared

    return run_shared(deck, timeout=timeout, cwd=cwd)


_INCLUDE_RE = re.compile(
    r"^\s*\.(?:include|inc|lib)\s+(?:\"([^\"]+)\"|'([^']+)'|(\S+))", re.I | re.M
)


def included_files_digest(deck: str, cwd: str | None = None, _depth: int = 0) -> str:
    """Lines ``* include <path> sha256=<hex>`` for every file the deck includes (3 levels).

    Appended to the cache key so that editing a model library invalidates cached results.
    """
    base = Path(cwd or os.getcwd())
    out = []
    for m in _INCLUDE_RE.finditer(deck):
        name = next(g for g in m.groups() if g)
        path = (base / Path(name).expanduser()).resolve()
        try:
            data = path.read_bytes()
        except OSError:
            out.append(f"* include {path} missing")
            continue
        out.append(f"* include {path} sha256={hashlib.sha256(data).hexdigest()}")
        if _depth < 2:
            nested = included_files_digest(data.decode("latin-1"), str(path.parent), _depth + 1)
            if nested:
                out.append(nested)
    return "\n".join(out)


def _backend_version(backend: str) -> str:
    if backend == "batch":
        from .locate import binary_version, require_binary

        return binary_version(require_binary()) or ""
    from .shared import shared_version

    return shared_version()


def _keep_failed_deck(deck: str) -> str:
    fd, path = tempfile.mkstemp(prefix="neurocircuit-failed-", suffix=".cir")
    with os.fdopen(fd, "w") as fh:
        fh.write(deck)
    return path


def to_result(run: RunOutput, kind: str | None, deck: str, backend: str) -> SimResult:
    """The :class:`SimResult` of the plot of ``kind`` (the last plot when ``None``)."""
    plot = run.plot_of(kind)
    if plot is None:  # diagnose() rules this out; kept for direct callers
        raise SimulationError(
            f"ngspice produced no {kind or ''} results.".replace("  ", " "),
            deck_path=run.deck_path,
            exit_status=run.exit_status,
        )
    vectors = dict(plot.vectors)
    axis_name = plot.scale if plot.kind != "op" else ""
    axis = vectors.pop(axis_name) if axis_name in vectors else np.empty(0)
    if plot.kind in ("ac", "noise") or np.iscomplexobj(axis):
        axis = np.real(axis).copy()
    if plot.kind == "op":
        vectors = {k: v[:1] for k, v in vectors.items()}
    # one order whatever the backend: voltages, currents, the rest; alphabetical in each
    rank = {"v": 0, "i": 1}
    order = sorted(vectors, key=lambda n: (rank.get(n.split("(", 1)[0], 2), n))
    vectors = {k: vectors[k] for k in order}
    return SimResult(
        analysis=plot.kind,
        axis_name=axis_name,
        axis=axis,
        signals=vectors,
        deck=deck,
        ngspice_version=run.ngspice_version,
        backend=backend,
        wall_time_s=run.wall_time_s,
        meta={"plots": [p.name for p in run.plots]},
    )


def simulate(
    netlist: Netlist | str,
    analysis: Analysis | None,
    backend: str | None = None,
    timeout: float = 60.0,
    options: OptionsSpec = None,
    temperature: float | None = None,
    cache=None,
    save: list[str] | tuple[str, ...] | None = None,
    cwd: str | os.PathLike | None = None,
) -> SimResult:
    """Simulate ``netlist`` with one analysis.

    Parameters
    ----------
    netlist
        A :class:`~neurocircuit.circuits.netlist.Netlist` or deck text without analysis card
        and ``.end`` (a trailing ``.end`` is removed).
    analysis
        ``Op()``, ``Dc(...)``, ``Tran(...)`` or ``Ac(...)``; ``None`` runs the deck's own
        analysis cards and returns the last analysis that ran.
    backend
        ``"shared"`` or ``"batch"``; ``None`` for :func:`default_backend`.
    timeout
        Seconds; a longer run is killed and raises ``SimulationError(kind="timeout")``.
    options
        A preset name from :data:`~neurocircuit.spice.options.PRESETS` (``"default"``,
        ``"subthreshold"``) or a mapping of ngspice options.
    temperature
        Simulation temperature in °C (``.temp``); ``None`` leaves ngspice's 27 °C.
    cache
        ``None``: the default on-disk cache (``$NEUROCIRCUIT_CACHE``, disabled by
        ``NEUROCIRCUIT_NO_CACHE=1``); ``False``: no cache; or a ``ResultCache``.
    save
        Vectors to keep (``.save``), e.g. ``["v(out)"]``; default all.
    cwd
        Directory against which relative ``.include``/``.lib`` paths resolve (default: the
        current directory). The contents of included files are part of the cache key.

    Returns
    -------
    SimResult
        ``meta["cache_hit"]`` says whether it came from the cache.

    Raises
    ------
    SimulationError
        With ``kind`` in ``syntax, model, convergence, singular, timeout, crash, unknown``,
        ngspice's message lines, the deck path and the exit status.
    ParameterError
        For an invalid backend, timeout, temperature or options preset.
    """
    backend = _check_backend(backend) if backend is not None else default_backend()
    if not (isinstance(timeout, int | float) and timeout > 0 and np.isfinite(timeout)):
        raise ParameterError(f"The 'timeout' parameter must be > 0 s. Got {timeout!r} instead.")
    deck, card, opts = build_deck(netlist, analysis, options, temperature, save)
    kind = analysis.kind if analysis is not None else None
    store = _resolve_cache(cache)
    key = None
    if store is not None:
        digest = included_files_digest(deck, cwd)
        key_deck = deck + digest + "\n" if digest else deck
        key = store.key(key_deck, card, opts, _backend_version(backend), backend)
        hit = store.get(key)
        if hit is not None:
            hit.meta = dict(hit.meta, cache_hit=True)
            return hit
    cwd = str(Path(cwd).resolve()) if cwd is not None else None
    run = _run(backend, deck, float(timeout), cwd)
    error = diagnose(run, kind, backend)
    if error is not None:
        if run.deck_path is None:
            error = diagnose(replace(run, deck_path=_keep_failed_deck(deck)), kind, backend)
        raise error
    result = to_result(run, kind, deck, backend)
    result.meta["options"] = opts
    if temperature is not None:
        result.meta["temperature"] = float(temperature)
    if store is not None:
        store.put(key, result)
    result.meta["cache_hit"] = False
    return result


def deck_file(path: str | Path) -> str:
    """Read a deck file (for the CLI)."""
    return Path(path).read_text()
