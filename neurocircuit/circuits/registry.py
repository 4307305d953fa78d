"""The catalogue of circuit generators, discovered from the family modules.

Each family module (``neurons``, ``synapses``, ``memristors``, ``crossbar``) exposes ``CATALOG``,
a tuple of :class:`CircuitEntry`. The CLI (``list``, ``generate``, ``characterize``) and the
committed-deck check read this catalogue; nothing is registered at import time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from ..errors import ParameterError
from ..units import parse_si
from .netlist import Netlist

__all__ = ["CircuitEntry", "catalog", "get", "apply_overrides", "FAMILY_MODULES"]

FAMILY_MODULES = ("neurons", "synapses", "memristors", "crossbar")


@dataclass(frozen=True)
class CircuitEntry:
    """One generator: its CLI name, family, params class, presets and generator function.

    ``presets`` maps a preset name to a params instance; the first is the default. Each preset's
    source is cited in ``preset_docs``. ``generator(params) -> Netlist`` is pure.
    """

    name: str
    family: str
    params_cls: type
    presets: Mapping[str, Any]
    generator: Callable[[Any], Netlist]
    doc: str = ""
    preset_docs: Mapping[str, str] = field(default_factory=dict)

    @property
    def default_preset(self) -> str:
        return next(iter(self.presets))

    def params(self, preset: str | None = None, overrides: Mapping[str, str] | None = None):
        preset = preset or self.default_preset
        if preset not in self.presets:
            raise ParameterError(
                f"Unknown preset {preset!r} for {self.name}. Valid: {', '.join(self.presets)}."
            )
        return apply_overrides(self.presets[preset], overrides or {})

    def generate(self, preset: str | None = None, overrides: Mapping[str, str] | None = None):
        return self.generator(self.params(preset, overrides))


def catalog() -> dict[str, CircuitEntry]:
    """All entries of every family module that exists, keyed by CLI name."""
    out: dict[str, CircuitEntry] = {}
    for fam in FAMILY_MODULES:
        try:
            mod = import_module(f"neurocircuit.circuits.{fam}")
        except ModuleNotFoundError as exc:
            if exc.name == f"neurocircuit.circuits.{fam}":
                continue
            raise
        for entry in getattr(mod, "CATALOG", ()):
            out[entry.name] = entry
    return out


def get(name: str) -> CircuitEntry:
    cat = catalog()
    if name not in cat:
        raise ParameterError(
            f"Unknown circuit {name!r}. Valid: {', '.join(sorted(cat)) or '(none installed)'}."
        )
    return cat[name]


def _coerce(field_type: Any, current: Any, text: str) -> Any:
    if isinstance(current, bool) or field_type in (bool, "bool"):
        low = text.strip().lower()
        if low in ("1", "true", "yes", "on"):
            return True
        if low in ("0", "false", "no", "off"):
            return False
        raise ParameterError(f"Cannot read {text!r} as a boolean (true/false).")
    if isinstance(current, int) and not isinstance(current, bool):
        return int(parse_si(text))
    if isinstance(current, float) or current is None:
        try:
            return parse_si(text)
        except ParameterError:
            if current is None:
                return text
            raise
    if isinstance(current, str):
        return text
    return parse_si(text)


def apply_overrides(params: Any, overrides: Mapping[str, str]) -> Any:
    """``dataclasses.replace`` with string values parsed in SI/SPICE notation (``c_mem=1p``)."""
    if not overrides:
        return params
    names = {f.name: f for f in dataclasses.fields(params)}
    changes = {}
    for key, text in overrides.items():
        if key not in names:
            raise ParameterError(
                f"{type(params).__name__} has no parameter {key!r}. Valid: {', '.join(names)}."
            )
        changes[key] = _coerce(names[key].type, getattr(params, key), str(text))
    return dataclasses.replace(params, **changes)
