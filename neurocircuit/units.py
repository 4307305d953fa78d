"""SI helpers: formatting and parsing engineering notation, and the ``param`` field helper.

All quantities inside neurocircuit are SI base units (s, V, A, F, Ω, S, J). ``format_si`` writes
the compact SPICE notation used in netlists; ``parse_si`` reads SPICE/engineering notation.
``param`` declares a dataclass field with its unit, documentation and bounds, and
``validate`` checks a dataclass instance against them, raising :class:`ParameterError` with a
message that names the parameter, the bound and the unit.
"""

from __future__ import annotations

import dataclasses
import math
import re
from typing import Any

from .errors import ParameterError

__all__ = ["format_si", "parse_si", "param", "validate", "field_unit", "field_doc", "describe"]

# SPICE scale factors (case-insensitive in SPICE; "meg" before "m").
_SPICE_SUFFIX = {
    "t": 1e12,
    "g": 1e9,
    "meg": 1e6,
    "k": 1e3,
    "mil": 25.4e-6,
    "m": 1e-3,
    "u": 1e-6,
    "µ": 1e-6,
    "n": 1e-9,
    "p": 1e-12,
    "f": 1e-15,
}
# No "a" (atto): ngspice does not know it and reads "80a" as 80 (a unit letter), so a sub-femto
# value written with it is 1e18 times too large, and "5A" (amperes) is 5.
_NUM_RE = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Zµ]*)\s*$")

# Prefixes used when formatting (SPICE-compatible: mega is "meg").
_FORMAT_PREFIXES = [
    (1e12, "t"),
    (1e9, "g"),
    (1e6, "meg"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "u"),
    (1e-9, "n"),
    (1e-12, "p"),
    (1e-15, "f"),
]


def format_si(value: float, digits: int = 6) -> str:
    """Format ``value`` in SPICE engineering notation, e.g. ``1e-12 -> "1p"``.

    The result round-trips through :func:`parse_si` to ``digits`` significant digits and is
    deterministic (same float -> same text), so generated decks are byte-stable.
    """
    value = float(value)
    if not math.isfinite(value):
        raise ParameterError(f"Cannot format a non-finite value ({value}) for a netlist.")
    if value == 0.0:
        return "0"
    mag = abs(value)
    scale, suffix = next(
        ((sc, sx) for sc, sx in _FORMAT_PREFIXES if mag >= sc * (1 - 1e-12)), (None, "")
    )
    if scale is None:  # below femto: plain exponent form (ngspice has no atto suffix)
        return f"{value:.{digits}g}"
    mant = value / scale
    text = f"{mant:.{digits}g}"
    if abs(float(text)) >= 1000 and scale < 1e12:  # rounding carried into the next prefix
        idx = [sc for sc, _ in _FORMAT_PREFIXES].index(scale)
        scale, suffix = _FORMAT_PREFIXES[idx - 1]
        text = f"{value / scale:.{digits}g}"
    if "e" in text:  # e.g. 1e+03 of "meg" range or subnormal; fall back to plain form
        return f"{value:.{digits}g}"
    return text + suffix


def parse_si(text: str | float | int) -> float:
    """Parse SPICE/engineering notation: ``"10k" -> 1e4``, ``"1.5meg" -> 1.5e6``, ``"2p" -> 2e-12``.

    Trailing unit letters after the scale factor are ignored as in SPICE (``"10pF"``,
    ``"1.8V"``). A bare unit letter that is not a scale factor is ignored too (``"5V"``).
    """
    if isinstance(text, (int, float)):
        return float(text)
    m = _NUM_RE.match(str(text))
    if not m:
        raise ParameterError(f"Cannot read {text!r} as a number in SI/SPICE notation.")
    number, tail = float(m.group(1)), m.group(2).lower()
    if not tail:
        return number
    if tail.startswith("meg"):
        return number * 1e6
    if tail.startswith("mil"):
        return number * 25.4e-6
    key = tail[0]
    if key in _SPICE_SUFFIX:
        return number * _SPICE_SUFFIX[key]
    return number


def param(
    default: Any = dataclasses.MISSING,
    *,
    unit: str = "",
    doc: str = "",
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    choices: tuple | None = None,
    **kwargs: Any,
) -> Any:
    """A dataclass field carrying its unit, documentation and bounds in ``metadata``."""
    meta = {"unit": unit, "doc": doc, "gt": gt, "ge": ge, "lt": lt, "le": le, "choices": choices}
    if default is dataclasses.MISSING:
        return dataclasses.field(metadata=meta, **kwargs)
    return dataclasses.field(default=default, metadata=meta, **kwargs)


def field_unit(cls_or_obj: Any, name: str) -> str:
    """The unit declared for field ``name`` of a params dataclass."""
    for f in dataclasses.fields(cls_or_obj):
        if f.name == name:
            return f.metadata.get("unit", "")
    raise KeyError(name)


def field_doc(cls_or_obj: Any, name: str) -> str:
    """The documentation declared for field ``name`` of a params dataclass."""
    for f in dataclasses.fields(cls_or_obj):
        if f.name == name:
            return f.metadata.get("doc", "")
    raise KeyError(name)


def _bound_error(cls: str, name: str, op: str, bound: Any, unit: str, got: Any) -> ParameterError:
    unit_txt = f" {unit}" if unit else ""
    return ParameterError(
        f"The '{name}' parameter of {cls} must be {op} {bound:g}{unit_txt}. Got {got!r} instead."
    )


def validate(obj: Any) -> None:
    """Check every field of dataclass ``obj`` against the bounds declared with :func:`param`.

    Scalars and numpy arrays are checked element-wise; the first violation raises
    :class:`ParameterError` naming the field, the bound and the unit.
    """
    cls = type(obj).__name__
    for f in dataclasses.fields(obj):
        meta = f.metadata
        if not meta:
            continue
        value = getattr(obj, f.name)
        choices = meta.get("choices")
        if choices is not None:
            if value not in choices:
                raise ParameterError(
                    f"The '{f.name}' parameter of {cls} must be one of "
                    f"{', '.join(repr(c) for c in choices)}. Got {value!r} instead."
                )
            continue
        checks = [(k, meta.get(k)) for k in ("gt", "ge", "lt", "le") if meta.get(k) is not None]
        if not checks:
            continue
        if isinstance(value, bool) or value is None:
            continue
        try:
            import numpy as np

            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"The '{f.name}' parameter of {cls} must be a number in {meta.get('unit') or 'SI'}."
                f" Got {value!r} instead."
            ) from exc
        if not np.all(np.isfinite(arr)):
            raise ParameterError(
                f"The '{f.name}' parameter of {cls} must be finite. Got {value!r} instead."
            )
        unit = meta.get("unit", "")
        for key, bound in checks:
            ok = {
                "gt": np.all(arr > bound),
                "ge": np.all(arr >= bound),
                "lt": np.all(arr < bound),
                "le": np.all(arr <= bound),
            }[key]
            if not ok:
                op = {"gt": ">", "ge": ">=", "lt": "<", "le": "<="}[key]
                raise _bound_error(cls, f.name, op, bound, unit, value)


def describe(cls_or_obj: Any) -> list[dict[str, Any]]:
    """Rows ``{name, default, unit, doc}`` for every field, for CLI listings."""
    rows = []
    for f in dataclasses.fields(cls_or_obj):
        if dataclasses.is_dataclass(cls_or_obj) and not isinstance(cls_or_obj, type):
            default = getattr(cls_or_obj, f.name)
        elif f.default is not dataclasses.MISSING:
            default = f.default
        else:
            default = None
        rows.append(
            {
                "name": f.name,
                "default": default,
                "unit": f.metadata.get("unit", ""),
                "doc": f.metadata.get("doc", ""),
            }
        )
    return rows
