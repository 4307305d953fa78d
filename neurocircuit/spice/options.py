"""Named simulator option presets, rendered as ``.options`` cards.

``"default"``
    ngspice's own defaults (reltol 1e-3, abstol 1e-12 A, vntol 1e-6 V, chgtol 1e-14 C,
    gmin 1e-12 S, trapezoidal integration): no ``.options`` line at all.
``"subthreshold"``
    For pA-level circuits (reference/circuits.md §4): the default abstol and gmin are as large
    as the signals, so

    - ``abstol=1e-16`` A, ``gmin=1e-15`` S (leaks 1 fA at 1 V instead of 1 pA);
    - ``rshunt=1e15`` Ω from every node to ground, so floating nodes still have a DC path.
      circuits.md asks for ≥1e12 Ω; 1e12 Ω would leak 1 pA/V, the very error the lower gmin
      removes, so the preset uses 1e15 Ω (1 fA/V); a pA-level circuit still converges with it
      (tested);
    - ``reltol=1e-4``, ``vntol=1e-9`` V, ``chgtol=1e-18`` C;
    - ``method=gear`` (no trapezoidal ringing on fast resets);
    - ``itl1=500``, ``itl4=100``, ``gminsteps=50``, ``srcsteps=50`` (more iterations and
      continuation steps before giving up).

ngspice accepts unknown option names silently, so every name used here is checked against
ngspice in the test suite by its effect (e.g. ``rshunt`` sets the voltage of a current-driven
node).
"""

from __future__ import annotations

from collections.abc import Mapping

from ..errors import ParameterError

__all__ = ["PRESETS", "OptionsSpec", "resolve_options", "options_card"]

OptionValue = float | int | str | bool

PRESETS: dict[str, dict[str, OptionValue]] = {
    "default": {},
    "subthreshold": {
        "abstol": 1e-16,
        "gmin": 1e-15,
        "rshunt": 1e15,
        "reltol": 1e-4,
        "vntol": 1e-9,
        "chgtol": 1e-18,
        "method": "gear",
        "itl1": 500,
        "itl4": 100,
        "gminsteps": 50,
        "srcsteps": 50,
    },
}

OptionsSpec = str | Mapping[str, OptionValue] | None
"""A preset name, a mapping of option -> value (used as given), or ``None`` (``"default"``)."""


def resolve_options(options: OptionsSpec = None, **overrides: OptionValue) -> dict:
    """The option mapping for a preset name or mapping, with ``overrides`` applied last.

    Raises
    ------
    ParameterError
        For an unknown preset name (the message lists the valid ones).
    """
    if options is None:
        base: dict = {}
    elif isinstance(options, str):
        if options not in PRESETS:
            raise ParameterError(
                f"The 'options' parameter must be one of {sorted(PRESETS)} or a mapping. "
                f"Got {options!r} instead."
            )
        base = dict(PRESETS[options])
    elif isinstance(options, Mapping):
        base = dict(options)
    else:
        raise ParameterError(
            "The 'options' parameter must be a preset name or a mapping of option -> value. "
            f"Got {type(options).__name__} instead."
        )
    base.update(overrides)
    for k in base:
        if not isinstance(k, str) or not k.replace("_", "").isalnum():
            raise ParameterError(f"Invalid ngspice option name {k!r}.")
    return base


def _value(v: OptionValue) -> str:
    if isinstance(v, bool):
        raise TypeError  # flags are rendered by name, see options_card
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return f"{v:.12g}"
    return str(v)


def options_card(options: OptionsSpec = None, **overrides: OptionValue) -> str:
    """The ``.options`` line for ``options`` ( ``""`` when nothing is set).

    Boolean ``True`` values are rendered as bare flags, ``False`` ones are omitted.

    Examples
    --------
    >>> options_card({"reltol": 1e-4, "method": "gear"})
    '.options reltol=0.0001 method=gear'
    """
    opts = resolve_options(options, **overrides)
    parts = []
    for k, v in opts.items():
        if isinstance(v, bool):
            if v:
                parts.append(k)
        else:
            parts.append(f"{k}={_value(v)}")
    return ".options " + " ".join(parts) if parts else ""
