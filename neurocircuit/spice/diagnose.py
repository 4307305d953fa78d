"""What one ngspice run produced, and the failure classification both backends share.

Both backends (:mod:`.batch` and :mod:`.shared`) return a :class:`RunOutput`: the plots in the
order ngspice ran them, ngspice's stdout and stderr lines, and how the run ended. They never
trust a single signal (PySpice, for instance, treats any stderr line as an error, so a harmless
``Note:`` fails a good run); :func:`diagnose` decides from ngspice's own messages, the exit
status and whether the expected plot is there, identically for both backends.

Failure kinds (:attr:`SimulationError.kind`):

``syntax``       the deck did not parse (``Error on line ...``, ``circuit not parsed``)
``model``        a device refers to a model that does not exist or is invalid
``singular``     the matrix is singular (voltage-source loop, node without DC path) and the
                 operating point could not be found
``convergence``  Newton iteration failed: ``Timestep too small``, gmin/source stepping failed
``timeout``      the run took longer than ``timeout`` and was killed
``crash``        ngspice died (signal, lost worker, controlled exit) or could not be started
``unknown``      ngspice reported failure in a way not recognised here
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from ..errors import SimulationError
from .result import normalise_name

__all__ = ["Plot", "RunOutput", "diagnose", "relevant_lines", "vector_name"]


@dataclass(frozen=True)
class Plot:
    """One analysis' vectors, names normalised (``v(out)``, ``i(vdd)``), scale first."""

    name: str
    kind: str
    scale: str
    vectors: dict[str, np.ndarray] = field(repr=False)

    @property
    def n_points(self) -> int:
        v = next(iter(self.vectors.values()), None)
        return 0 if v is None else len(v)


@dataclass(frozen=True)
class RunOutput:
    """Everything a backend knows about one run."""

    plots: tuple[Plot, ...]
    stdout: tuple[str, ...]
    stderr: tuple[str, ...]
    exit_status: int | None = None
    timed_out: bool = False
    crashed: str | None = None
    wall_time_s: float = 0.0
    ngspice_version: str = ""
    deck_path: str | None = None

    def plot_of(self, kind: str | None) -> Plot | None:
        """The last plot of ``kind`` that ran (the last plot of all when ``kind`` is None)."""
        cands = [p for p in self.plots if kind is None or p.kind == kind]
        return cands[-1] if cands else None


def vector_name(name: str, vtype: str | int | None = None) -> str:
    """Normalised vector name; bare node names of voltage vectors become ``v(node)``.

    ``vtype`` is the raw-file type (``"voltage"``) or ngspice's type code (3 = voltage).
    """
    n = normalise_name(name)
    if vtype in ("voltage", 3) and "(" not in n and not n.startswith("@"):
        return f"v({n})"
    return n


_MODEL_RE = re.compile(
    r"can't find model|could not find a valid modelname|unknown model|"
    r"unable to find definition of model|model .* not found|no model|"
    r"model type .* not (?:found|supported)|unknown model type",
    re.IGNORECASE,
)
_PARSE_RE = re.compile(
    r"error on line|circuit not parsed|simulation interrupted due to error|"
    r"unknown subckt|unknown device|syntax error|there aren't any circuits loaded",
    re.IGNORECASE,
)
_SINGULAR_RE = re.compile(r"singular matrix", re.IGNORECASE)
_TRAN_FAIL_RE = re.compile(r"TRAN:\s*Timestep too small", re.IGNORECASE)
_CONV_RE = re.compile(
    r"timestep too small|no convergence|gmin stepping failed|source stepping failed|"
    r"iteration limit reached|dc solution failed|transient op failed|too many iterations",
    re.IGNORECASE,
)
_ABORT_RE = re.compile(r"run simulation\(s\) aborted|simulation\(s\) aborted", re.IGNORECASE)
_NOISE_RE = re.compile(
    r"^(?:note:|trying gmin|supplies reduced|warning: further gmin|"
    r"total (?:analysis|elapsed|dram)|dram|maximum ngspice|current ngspice|shared ngspice|"
    r"text \(code\)|stack =|library pages)",
    re.IGNORECASE,
)
_GMIN_PREFIX_RE = re.compile(r"^Trying gmin =\s*\S+\s*", re.IGNORECASE)
_KEY_RE = re.compile(
    r"error|singular|too small|abort|can't find|could not|unknown|not parsed|fail|"
    r"invalid|no convergence|illegal|not found|interrupted",
    re.IGNORECASE,
)


def relevant_lines(lines: Iterable[str], limit: int = 40) -> list[str]:
    """ngspice's lines that explain a failure: errors and their context, repeats dropped."""
    out: list[str] = []
    seen: set[str] = set()
    prev_key = False
    for raw in lines:
        s = _GMIN_PREFIX_RE.sub("", raw.strip())
        if not s:
            continue
        if _KEY_RE.search(s) and not _NOISE_RE.match(s):
            key = True
        else:
            # the offending deck line printed right after "Error on line ..."
            key = (
                prev_key
                and bool(out)
                and out[-1].lower().startswith(("error on line", "warning, "))
            )
        prev_key = key
        if key and s not in seen:
            seen.add(s)
            out.append(s)
    return out[-limit:]


def _tail(lines: list[str], n: int = 12) -> list[str]:
    kept = [ln.strip() for ln in lines if ln.strip() and not _NOISE_RE.match(ln.strip())]
    return kept[-n:]


def diagnose(run: RunOutput, kind: str | None, backend: str) -> SimulationError | None:
    """The :class:`SimulationError` for a failed run, or ``None`` when it succeeded.

    Parameters
    ----------
    run
        The backend's output.
    kind
        The analysis whose plot must exist (``"tran"``...), ``None`` for "any plot".
    backend
        Named in the message.
    """
    text_lines = list(run.stderr) + list(run.stdout)
    text = "\n".join(text_lines)
    messages = relevant_lines(list(run.stderr) + list(run.stdout))
    where = f"ngspice ({backend} backend)"

    def err(summary: str, k: str, msgs: list[str] | None = None) -> SimulationError:
        return SimulationError(
            summary,
            messages=msgs if msgs is not None else (messages or _tail(text_lines)),
            deck_path=run.deck_path,
            exit_status=run.exit_status,
            kind=k,
        )

    if run.timed_out:
        return err(f"{where} did not finish within the timeout and was stopped.", "timeout")
    if run.crashed:
        return err(f"{where} crashed: {run.crashed}.", "crash")
    parse_failed = any(
        _PARSE_RE.search(ln) and not ln.strip().lower().startswith("warning") for ln in text_lines
    )
    plot = run.plot_of(kind)
    aborted = bool(_ABORT_RE.search(text))
    bad_status = run.exit_status not in (None, 0)
    missing = plot is None or plot.n_points == 0
    if not (parse_failed or aborted or bad_status or missing):
        return None
    if parse_failed or (missing and _MODEL_RE.search(text)):
        if _MODEL_RE.search(text):
            return err(f"{where}: unknown or invalid device model in the deck.", "model")
        return err(f"{where}: the deck has a syntax error.", "syntax")
    if _SINGULAR_RE.search(text) and not _TRAN_FAIL_RE.search(text):
        return err(f"{where}: singular matrix, no operating point found.", "singular")
    if _CONV_RE.search(text):
        return err(f"{where}: the simulation did not converge.", "convergence")
    if missing and not (aborted or bad_status):
        what = f"no {kind} results" if kind else "no results"
        return err(
            f"{where} produced {what} (is the analysis card in the deck?).",
            "unknown",
        )
    return err(f"{where} failed.", "unknown")
