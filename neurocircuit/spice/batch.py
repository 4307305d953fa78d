"""Backend ``"batch"``: ``ngspice -b -r out.raw deck.cir`` in a subprocess.

Each run gets a fresh temporary directory holding the deck, a ``.spiceinit`` that sets
``num_threads=1`` (ngspice ignores ``OMP_NUM_THREADS``; with its default of 2 OpenMP threads two
concurrent runs on 2 cores slow down ~100x) and the raw file. ngspice runs in its own process
group, so a timeout kills it and anything it started. The raw file is read with
:mod:`.rawfile`. On failure the run directory is kept (its path is the error's ``deck_path``)
so the deck and ngspice's output can be inspected; on success it is removed.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ..errors import DataError
from .diagnose import Plot, RunOutput, vector_name
from .locate import binary_version, require_binary
from .rawfile import read_raw

__all__ = ["run_batch", "spiceinit_text"]


def spiceinit_text(
    num_threads: int = 1, ascii_raw: bool = False, sourcepath: str | None = None
) -> str:
    """Content of the ``.spiceinit`` written beside every batch deck.

    ``sourcepath`` is where relative ``.include``/``.lib`` paths are looked up (the deck
    itself runs in a temporary directory).
    """
    lines = [f"set num_threads={int(num_threads)}"]
    if sourcepath:
        lines.append(f'set sourcepath = ( "{sourcepath}" )')
    if ascii_raw:
        lines.append("set filetype=ascii")
    return "\n".join(lines) + "\n"


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_batch(
    deck: str,
    timeout: float = 60.0,
    ascii_raw: bool = False,
    keep: bool = False,
    num_threads: int = 1,
    cwd: str | None = None,
) -> RunOutput:
    """Run a complete deck (analysis cards and ``.end`` included) with ``ngspice -b``.

    Parameters
    ----------
    deck
        The deck text.
    timeout
        Seconds before the process group is killed (the result then has ``timed_out``).
    ascii_raw
        Ask ngspice for an ASCII raw file instead of binary (slower; for tests).
    keep
        Keep the run directory even on success.
    num_threads
        ngspice's OpenMP threads (``set num_threads``).
    cwd
        Directory against which relative ``.include``/``.lib`` paths resolve (default: the
        current directory).

    Returns
    -------
    RunOutput
        Never raises for a failed simulation; :func:`.diagnose.diagnose` classifies it.
    """
    binary = require_binary()
    version = binary_version(binary) or ""
    run_dir = Path(tempfile.mkdtemp(prefix="neurocircuit-ngspice-"))
    deck_path = run_dir / "deck.cir"
    raw_path = run_dir / "out.raw"
    deck_path.write_text(deck)
    sourcepath = str(Path(cwd or os.getcwd()).resolve())
    (run_dir / ".spiceinit").write_text(spiceinit_text(num_threads, ascii_raw, sourcepath))
    env = dict(os.environ, OMP_NUM_THREADS=str(int(num_threads)))
    t0 = time.perf_counter()
    timed_out = False
    crashed = None
    try:
        proc = subprocess.Popen(
            [binary, "-b", "-r", raw_path.name, deck_path.name],
            cwd=run_dir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as exc:
        return RunOutput(
            plots=(),
            stdout=(),
            stderr=(str(exc),),
            crashed=f"could not start {binary}: {exc}",
            ngspice_version=version,
            deck_path=str(deck_path),
        )
    try:
        out, errb = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, errb = proc.communicate()
        errb += f"(neurocircuit) killed ngspice after {timeout:g} s\n".encode()
    except BaseException:  # KeyboardInterrupt: never leave ngspice running
        _kill_group(proc)
        proc.wait()
        raise
    wall = time.perf_counter() - t0
    status = proc.returncode
    if status is not None and status < 0 and not timed_out:
        crashed = f"killed by signal {-status}"
    plots: tuple[Plot, ...] = ()
    stderr_lines = errb.decode("utf-8", "replace").splitlines()
    if not timed_out and raw_path.exists():
        try:
            plots = tuple(_to_plot(p) for p in read_raw(raw_path))
        except DataError as exc:
            stderr_lines.append(f"(neurocircuit) unreadable raw file: {exc}")
    result = RunOutput(
        plots=plots,
        stdout=tuple(out.decode("utf-8", "replace").splitlines()),
        stderr=tuple(stderr_lines),
        exit_status=None if timed_out else status,
        timed_out=timed_out,
        crashed=crashed,
        wall_time_s=wall,
        ngspice_version=version,
        deck_path=str(deck_path),
    )
    failed = timed_out or crashed or status != 0 or not plots
    if failed or keep:
        (run_dir / "ngspice.stdout").write_text("\n".join(result.stdout) + "\n")
        (run_dir / "ngspice.stderr").write_text("\n".join(result.stderr) + "\n")
        if not keep:
            raw_path.unlink(missing_ok=True)
    else:
        shutil.rmtree(run_dir, ignore_errors=True)
        result = _with_deck_path(result, None)
    return result


def _with_deck_path(run: RunOutput, path: str | None) -> RunOutput:
    return replace(run, deck_path=path)


def _to_plot(raw) -> Plot:
    vectors = {}
    for name, vtype in zip(raw.names, raw.types):
        vectors[vector_name(name, vtype)] = raw.vectors[name]
    scale = vector_name(raw.scale, raw.types[0]) if raw.names else ""
    if raw.kind == "op":
        scale = ""
    return Plot(name=raw.plotname, kind=raw.kind, scale=scale, vectors=vectors)
