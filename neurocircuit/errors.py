"""Exception hierarchy of neurocircuit.

Every error the toolkit raises on purpose derives from :class:`NeurocircuitError`, so callers
can catch the whole family at once; each subclass names one failure class.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "NeurocircuitError",
    "ParameterError",
    "NetlistError",
    "SimulationError",
    "FitError",
    "FitWarning",
    "DataError",
]


class NeurocircuitError(Exception):
    """Base class of every error raised by neurocircuit."""


class ParameterError(NeurocircuitError, ValueError):
    """An invalid parameter: the message names the field, the bound and the unit."""


class NetlistError(NeurocircuitError):
    """A netlist could not be built or parsed (bad node names, duplicate elements, ...)."""


class DataError(NeurocircuitError):
    """A data file or directory is missing or malformed."""


class SimulationError(NeurocircuitError):
    """ngspice failed: syntax error, unknown model, non-convergence, singular matrix, timeout.

    Attributes
    ----------
    messages
        ngspice's own output lines that explain the failure (errors first).
    deck_path
        Path of the deck file that was simulated (``None`` if it was never written to disk).
    exit_status
        ngspice's exit status (``None`` for the in-process backend or a timeout).
    kind
        A short classification: ``"syntax"``, ``"model"``, ``"convergence"``, ``"singular"``,
        ``"timeout"``, ``"crash"``, ``"non-physical"`` (a probed node far outside the rails) or
        ``"unknown"``.
    """

    def __init__(
        self,
        summary: str,
        messages: Sequence[str] = (),
        deck_path: str | None = None,
        exit_status: int | None = None,
        kind: str = "unknown",
    ) -> None:
        self.summary = summary
        self.messages = tuple(messages)
        self.deck_path = deck_path
        self.exit_status = exit_status
        self.kind = kind
        text = summary
        if deck_path is not None:
            text += f"\n  deck: {deck_path}"
        if exit_status is not None:
            text += f"\n  ngspice exit status: {exit_status}"
        if self.messages:
            text += "\n  ngspice said:\n" + "\n".join("    " + m for m in self.messages[-20:])
        super().__init__(text)

    def __reduce__(self):  # picklable across process pools and Dask workers
        return (
            type(self),
            (self.summary, self.messages, self.deck_path, self.exit_status, self.kind),
        )


class FitError(NeurocircuitError):
    """A fit could not be carried out (no data, no spikes, optimiser failure)."""


class FitWarning(UserWarning):
    """A fit finished but is poor (large residual, parameter at a bound, singular covariance)."""
