r"""The calibrated-model file: JSON with schema, model, distribution, metrics and provenance.

Layout (schema version :data:`SCHEMA_VERSION`)::

    {"schema": "neurocircuit.calibrated", "schema_version": 1,
     "circuit": {"name", "preset", "params"}, "process": {"name", "corner"},
     "model": {"type", "params": {name: {"value", "unit", "stderr"?}},
               "components"?: {role: {"type", "params"}}},
     "distribution": {names, log, mu, sigma, corr, mean, std, n} | null,
     "validation": {metric: value}, "energy": {"per_spike_j", "per_event_j", "static_power_w"},
     "provenance": {"deck_sha256", "model_card_sha256", "ngspice_version", "n_mc", "seed",
                    "date", "wall_time_s", "command"}}

:func:`load` checks every required key, type and shape and raises
:class:`~neurocircuit.errors.DataError` naming the file and the offending key.

Model types: the neuron models (:data:`MODEL_TYPES`) and the synapse/device models
(:data:`SYNAPSE_MODEL_TYPES`: ``exp-synapse``, ``cmi-synapse``, ``depression``,
``stdp-window``, ``memristor-update``, from :mod:`.synapse_models`). The optional
``model.components`` (added without a version bump: files without it load as before) holds
further compact models of the same circuit, e.g. the short-term depression of a CMI synapse
(``components.depression``) or the output current of an STDP synapse; each is validated like
the main model and built by :func:`component_params`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from ..errors import DataError
from .mismatch import ParamDistribution

__all__ = ["SCHEMA", "SCHEMA_VERSION", "Calibrated", "save", "load", "model_params",
           "MODEL_TYPES", "SYNAPSE_MODEL_TYPES", "component_params"]

SCHEMA = "neurocircuit.calibrated"
SCHEMA_VERSION = 1


def _model_types() -> dict[str, type]:
    from .neuron_models import CurrentModeParams, IzhikevichParams, LinearIFParams
    from .neuron_models import DigitalIFModelParams as Dig

    return {"linear-if": LinearIFParams, "current-mode": CurrentModeParams,
            "izhikevich": IzhikevichParams, "digital-if": Dig}


MODEL_TYPES = ("linear-if", "current-mode", "izhikevich", "digital-if")

SYNAPSE_MODEL_TYPES = ("exp-synapse", "cmi-synapse", "depression", "stdp-window",
                       "memristor-update")


def _synapse_model_types() -> dict[str, type]:
    from .synapse_models import (
        CMISynapseParams,
        DepressionParams,
        ExpSynapseParams,
        MemristorUpdateParams,
        STDPWindowParams,
    )

    return {"exp-synapse": ExpSynapseParams, "cmi-synapse": CMISynapseParams,
            "depression": DepressionParams, "stdp-window": STDPWindowParams,
            "memristor-update": MemristorUpdateParams}


def _types() -> dict[str, type]:
    return {**_model_types(), **_synapse_model_types()}


def _all_type_names() -> tuple[str, ...]:
    return tuple(MODEL_TYPES) + SYNAPSE_MODEL_TYPES


@dataclass(frozen=True)
class Calibrated:
    """Contents of a calibrated-model file (plain JSON-ready values)."""

    circuit: Mapping[str, Any]
    process: Mapping[str, Any]
    model_type: str
    params: Mapping[str, Mapping[str, Any]]
    distribution: ParamDistribution | None
    validation: Mapping[str, Any]
    energy: Mapping[str, Any]
    provenance: Mapping[str, Any]
    extra: Mapping[str, Any] = field(default_factory=dict)
    components: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        model: dict[str, Any] = {"type": self.model_type,
                                 "params": {k: dict(v) for k, v in self.params.items()}}
        if self.components:
            model["components"] = {
                role: {"type": c["type"], "params": {k: dict(v) for k, v in
                                                     c["params"].items()}}
                for role, c in self.components.items()}
        return {
            "schema": SCHEMA, "schema_version": SCHEMA_VERSION,
            "circuit": dict(self.circuit), "process": dict(self.process),
            "model": model,
            "distribution": self.distribution.to_dict() if self.distribution else None,
            "validation": dict(self.validation), "energy": dict(self.energy),
            "provenance": dict(self.provenance), "extra": dict(self.extra),
        }


def _clean(obj: Any) -> Any:
    import numpy as np

    if isinstance(obj, Mapping):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        x = float(obj)
        return x if math.isfinite(x) else ("inf" if x == math.inf else
                                           "-inf" if x == -math.inf else None)
    return obj


def save(cal: Calibrated, path: str | Path) -> Path:
    """Write ``cal`` as indented JSON (``inf`` as the string ``"inf"``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_clean(cal.to_dict()), indent=1) + "\n")
    return path


def _need(d: Any, key: str, kind: type | tuple, where: str, path: Path) -> Any:
    if not isinstance(d, Mapping) or key not in d:
        raise DataError(f"{path}: missing key '{where}{key}' in the calibrated-model file.")
    v = d[key]
    if not isinstance(v, kind):
        names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
        raise DataError(f"{path}: '{where}{key}' must be a {names}; got "
                        f"{type(v).__name__} ({v!r:.60}).")
    return v


def _num(v: Any) -> float:
    if v == "inf":
        return math.inf
    if v == "-inf":
        return -math.inf
    return float(v)


def load(path: str | Path) -> Calibrated:
    """Read and validate a calibrated-model file; :class:`DataError` on any problem."""
    path = Path(path)
    try:
        d = json.loads(path.read_text())
    except FileNotFoundError:
        raise DataError(f"{path}: no such calibrated-model file.") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path}: not valid JSON ({exc}).") from None
    if not isinstance(d, dict) or d.get("schema") != SCHEMA:
        raise DataError(f"{path}: not a calibrated-model file (schema must be '{SCHEMA}').")
    ver = _need(d, "schema_version", int, "", path)
    if ver != SCHEMA_VERSION:
        raise DataError(f"{path}: schema_version {ver} is not supported (this version reads "
                        f"{SCHEMA_VERSION}).")
    circuit = _need(d, "circuit", dict, "", path)
    _need(circuit, "name", str, "circuit.", path)
    process = _need(d, "process", dict, "", path)
    model = _need(d, "model", dict, "", path)
    mtype, params, cls = _check_model(model, "model.", path)
    valid = {f.name for f in fields(cls)}
    components: dict[str, Any] = {}
    if model.get("components") is not None:
        comps = _need(model, "components", dict, "model.", path)
        for role in comps:
            where = f"model.components.{role}."
            ctype, cparams, _ = _check_model(_need(comps, role, dict, "model.components.",
                                                   path), where, path)
            components[role] = {"type": ctype, "params": cparams}
    dist = None
    if d.get("distribution") is not None:
        try:
            dist = ParamDistribution.from_dict(d["distribution"])
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: bad 'distribution' ({exc}).") from None
        unknown = set(dist.names) - valid
        if unknown:
            raise DataError(f"{path}: distribution names {sorted(unknown)} are not fields of "
                            f"{cls.__name__}.")
    validation = _need(d, "validation", dict, "", path)
    energy = _need(d, "energy", dict, "", path)
    prov = _need(d, "provenance", dict, "", path)
    for key in ("deck_sha256", "ngspice_version", "date"):
        _need(prov, key, str, "provenance.", path)
    _need(prov, "n_mc", int, "provenance.", path)
    cal = Calibrated(circuit, process, mtype, params, dist, validation, energy, prov,
                     d.get("extra") or {}, components)
    model_params(cal)  # the params must build (bounds checked by the dataclass)
    for role in components:
        try:
            component_params(cal, role)
        except DataError as exc:
            raise DataError(f"{path}: model.components.{role}: {exc}") from None
    return cal


def _check_model(model: Any, where: str, path: Path) -> tuple[str, dict, type]:
    """Type name, params mapping and params class of a ``{"type", "params"}`` entry."""
    mtype = _need(model, "type", str, where, path)
    if mtype not in _all_type_names():
        raise DataError(f"{path}: {where}type {mtype!r} is unknown; valid: "
                        f"{', '.join(_all_type_names())}.")
    params = _need(model, "params", dict, where, path)
    cls = _types()[mtype]
    valid = {f.name for f in fields(cls)}
    for k, v in params.items():
        if k not in valid:
            raise DataError(f"{path}: {where}params.{k} is not a field of {cls.__name__}; "
                            f"valid: {', '.join(sorted(valid))}.")
        _need(v, "value", (int, float, str), f"{where}params.{k}.", path)
        _need(v, "unit", str, f"{where}params.{k}.", path)
    return mtype, params, cls


def model_params(cal: Calibrated) -> Any:
    """The nominal compact-model params object of a calibrated file."""
    return _build(cal.model_type, cal.params)


def component_params(cal: Calibrated, role: str) -> Any:
    """The params object of component ``role`` (e.g. ``"depression"``) of a calibrated file."""
    if role not in cal.components:
        raise DataError(f"no component {role!r} in the calibrated model of "
                        f"{cal.circuit.get('name')!r}; present: {sorted(cal.components)}.")
    c = cal.components[role]
    return _build(c["type"], c["params"])


def _build(mtype: str, params: Mapping[str, Mapping[str, Any]]) -> Any:
    cls = _types()[mtype]
    kw = {k: (v["value"] if isinstance(v["value"], str) and v["value"] not in ("inf", "-inf")
              else _num(v["value"]) if not isinstance(v["value"], int) else v["value"])
          for k, v in params.items()}
    try:
        return cls(**kw)
    except (TypeError, ValueError) as exc:
        raise DataError(f"model params do not build a {cls.__name__}: {exc}") from None
