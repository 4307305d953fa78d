"""Analyses as data: ``Op``, ``Dc``, ``Tran``, ``Ac``.

Each is a frozen dataclass whose :meth:`card` renders the ngspice analysis line. They are
hashable and part of the cache key.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ParameterError
from ..units import param, validate
from .netlist import fmt

__all__ = ["Analysis", "Op", "Dc", "Tran", "Ac"]


@dataclass(frozen=True)
class Op:
    """DC operating point (``.op``)."""

    kind = "op"

    def card(self) -> str:
        return ".op"


@dataclass(frozen=True)
class Dc:
    """DC sweep of a source (``.dc SRC start stop step``), optionally nested over a second."""

    source: str
    start: float
    stop: float
    step: float = param(unit="V or A", doc="sweep increment", gt=0)
    source2: str | None = None
    start2: float = 0.0
    stop2: float = 0.0
    step2: float = 0.0

    kind = "dc"

    def __post_init__(self) -> None:
        validate(self)
        if self.source2 is not None and self.step2 <= 0:
            raise ParameterError(
                f"The 'step2' parameter of Dc must be > 0. Got {self.step2!r} instead."
            )

    def card(self) -> str:
        c = f".dc {self.source} {fmt(self.start)} {fmt(self.stop)} {fmt(self.step)}"
        if self.source2 is not None:
            c += f" {self.source2} {fmt(self.start2)} {fmt(self.stop2)} {fmt(self.step2)}"
        return c


@dataclass(frozen=True)
class Tran:
    """Transient analysis (``.tran step stop [start [max_step]] [uic]``)."""

    step: float = param(unit="s", doc="printing/suggested step", gt=0)
    stop: float = param(unit="s", doc="end time", gt=0)
    start: float = param(0.0, unit="s", doc="start of saved data", ge=0)
    max_step: float | None = None
    uic: bool = False

    kind = "tran"

    def __post_init__(self) -> None:
        validate(self)
        if self.start >= self.stop:
            raise ParameterError(
                f"The 'start' parameter of Tran must be < stop ({self.stop:g} s). "
                f"Got {self.start!r} instead."
            )
        if self.max_step is not None and not self.max_step > 0:
            raise ParameterError(
                f"The 'max_step' parameter of Tran must be > 0 s. Got {self.max_step!r} instead."
            )

    def card(self) -> str:
        c = f".tran {fmt(self.step)} {fmt(self.stop)}"
        if self.max_step is not None:
            c += f" {fmt(self.start)} {fmt(self.max_step)}"
        elif self.start:
            c += f" {fmt(self.start)}"
        if self.uic:
            c += " uic"
        return c


@dataclass(frozen=True)
class Ac:
    """Small-signal AC analysis (``.ac dec|oct|lin points fstart fstop``)."""

    fstart: float = param(unit="Hz", doc="start frequency", gt=0)
    fstop: float = param(unit="Hz", doc="stop frequency", gt=0)
    points: int = param(20, unit="", doc="points per decade/octave or in total", gt=0)
    variation: str = param("dec", doc="dec, oct or lin", choices=("dec", "oct", "lin"))

    kind = "ac"

    def __post_init__(self) -> None:
        validate(self)
        if self.fstop <= self.fstart:
            raise ParameterError(
                f"The 'fstop' parameter of Ac must be > fstart ({self.fstart:g} Hz). "
                f"Got {self.fstop!r} instead."
            )

    def card(self) -> str:
        return f".ac {self.variation} {int(self.points)} {fmt(self.fstart)} {fmt(self.fstop)}"


Analysis = Op | Dc | Tran | Ac
