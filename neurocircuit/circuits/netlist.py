"""Netlists as data: a deck without analysis, composed from element lines and subcircuits.

A :class:`Netlist` is what every generator returns. It is pure description: rendering it is
deterministic (same object -> byte-identical text), and nothing here runs ngspice. The
execution layer (:mod:`neurocircuit.spice`) appends options, temperature, the analysis card and
``.end`` when it simulates.

Rendering order::

    * <title>
    <includes>            .include / .lib cards (model libraries)
    <params>              .param name=value
    <subckts>             .subckt ... .ends
    <lines>               instances, sources, .model cards
    .ic / .nodeset
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from ..errors import NetlistError
from ..units import format_si

__all__ = ["Netlist", "Subckt", "fmt"]

_NODE_RE = re.compile(r"^[A-Za-z0-9_.:#\[\]+-]+$")


def fmt(value: float) -> str:
    """Format a number for a netlist (SPICE engineering notation, deterministic)."""
    return format_si(value)


def _check_node(name: str) -> str:
    if not _NODE_RE.match(name):
        raise NetlistError(f"Invalid node name {name!r}: use letters, digits and _ . : # only.")
    return name


@dataclass(frozen=True)
class Subckt:
    """A ``.subckt`` definition: name, ports, body lines and default parameters."""

    name: str
    ports: tuple[str, ...]
    lines: tuple[str, ...]
    params: tuple[tuple[str, float], ...] = ()
    doc: str = ""

    def __post_init__(self) -> None:
        for p in self.ports:
            _check_node(p)

    def text(self) -> str:
        head = f".subckt {self.name} {' '.join(self.ports)}"
        if self.params:
            head += " params: " + " ".join(f"{k}={fmt(v)}" for k, v in self.params)
        out = []
        if self.doc:
            out.extend("* " + d for d in self.doc.splitlines())
        out.append(head)
        out.extend(self.lines)
        out.append(f".ends {self.name}")
        return "\n".join(out)

    def instance(self, name: str, nodes: Iterable[str], **params: float) -> str:
        """An ``X`` line instantiating this subcircuit."""
        nodes = tuple(nodes)
        if len(nodes) != len(self.ports):
            raise NetlistError(
                f"Subcircuit {self.name} has {len(self.ports)} ports {self.ports}; "
                f"got {len(nodes)} nodes {nodes}."
            )
        line = f"X{name} {' '.join(_check_node(n) for n in nodes)} {self.name}"
        if params:
            line += " " + " ".join(f"{k}={fmt(v)}" for k, v in params.items())
        return line


@dataclass(frozen=True)
class Netlist:
    """A SPICE deck without analysis cards.

    Parameters
    ----------
    title
        First line of the deck (a comment in SPICE).
    lines
        Element, source and ``.model`` lines, in order.
    subckts
        Subcircuit definitions used by ``lines``.
    includes
        Complete ``.include``/``.lib`` cards, e.g. ``'.lib "/path/generic180.lib" tt'``.
    params
        Global ``.param`` definitions.
    ic, nodeset
        Initial conditions (``.ic``) and DC hints (``.nodeset``), node -> volts.
    meta
        Free-form description (generator name, params) not rendered into the deck except as
        comments; excluded from equality so identical decks compare equal.
    """

    title: str
    lines: tuple[str, ...] = ()
    subckts: tuple[Subckt, ...] = ()
    includes: tuple[str, ...] = ()
    params: tuple[tuple[str, float], ...] = ()
    ic: tuple[tuple[str, float], ...] = ()
    nodeset: tuple[tuple[str, float], ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict, compare=False, hash=False)

    def text(self) -> str:
        """The deck text (no analysis, no ``.end``), deterministic."""
        out = [f"* {self.title}"]
        out.extend(self.includes)
        out.extend(f".param {k}={fmt(v)}" for k, v in self.params)
        seen: set[str] = set()
        for s in self.subckts:
            if s.name in seen:
                continue
            seen.add(s.name)
            out.append(s.text())
        out.extend(self.lines)
        if self.ic:
            out.append(".ic " + " ".join(f"v({n})={fmt(v)}" for n, v in self.ic))
        if self.nodeset:
            out.append(".nodeset " + " ".join(f"v({n})={fmt(v)}" for n, v in self.nodeset))
        return "\n".join(out) + "\n"

    def __str__(self) -> str:
        return self.text()

    def extend(
        self,
        lines: Iterable[str] = (),
        subckts: Iterable[Subckt] = (),
        includes: Iterable[str] = (),
        ic: Mapping[str, float] | None = None,
        nodeset: Mapping[str, float] | None = None,
        title: str | None = None,
    ) -> Netlist:
        """A new netlist with more lines/subcircuits/includes (duplicates of includes dropped)."""
        inc = list(self.includes)
        for i in includes:
            if i not in inc:
                inc.append(i)
        subs = list(self.subckts)
        names = {s.name for s in subs}
        for s in subckts:
            if s.name not in names:
                subs.append(s)
                names.add(s.name)
        return Netlist(
            title=title or self.title,
            lines=self.lines + tuple(lines),
            subckts=tuple(subs),
            includes=tuple(inc),
            params=self.params,
            ic=self.ic + tuple((ic or {}).items()),
            nodeset=self.nodeset + tuple((nodeset or {}).items()),
            meta=dict(self.meta),
        )

    def __add__(self, other: Netlist) -> Netlist:
        if not isinstance(other, Netlist):
            return NotImplemented
        merged = self.extend(
            lines=other.lines,
            subckts=other.subckts,
            includes=other.includes,
            ic=dict(other.ic),
            nodeset=dict(other.nodeset),
        )
        return Netlist(
            title=merged.title,
            lines=merged.lines,
            subckts=merged.subckts,
            includes=merged.includes,
            params=self.params + tuple(p for p in other.params if p not in self.params),
            ic=merged.ic,
            nodeset=merged.nodeset,
            meta=dict(self.meta),
        )
