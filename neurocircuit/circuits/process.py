"""CMOS process description, MOSFET element lines and seeded Pelgrom mismatch.

Pelgrom's law gives the standard deviation of the threshold and current-factor mismatch of one
transistor of gate area W·L::

    σ(ΔV_T)   = A_VT / √(W L)          (A_VT ≈ 5 mV·µm = 5e-9 V·m at 180 nm)
    σ(Δβ/β)   = A_β  / √(W L)          (A_β  ≈ 1 %·µm = 1e-8 m)

and, in weak inversion, σ(ΔI/I) ≈ √((κ σ(ΔV_T)/U_T)² + σ(Δβ/β)²). Each instance draws
ΔV_T ~ N(0, σ(ΔV_T)) and Δβ/β ~ N(0, σ(Δβ/β)); the draw depends only on (seed, instance
name), never on the order of the calls, so a netlist is reproducible. In the deck the draw is
written as the BSIM3/BSIM4 instance parameters ``delvto`` (added to the model's ``vth0``) and
``mulu0`` (mobility multiplier, hence β multiplier): checked with ngspice-39, ``delvto=10m``
on an instance gives the same I_D as a card with ``vth0`` 10 mV higher (to all printed
digits), in weak and strong inversion alike.

A :class:`Process` names a model library and its corners, the device model names, the supply
and the Pelgrom coefficients. :data:`GENERIC_180` is the generic 180 nm, 1.8 V BSIM3v3
process shipped in ``models/generic180/generic180.lib``. A real PDK plugs in with
:meth:`Process.from_pdk`, e.g. SKY130 from a local open_pdks install::

    SKY130 = Process.from_pdk(
        "sky130",
        "/usr/local/share/pdk/sky130A/libs.tech/ngspice/sky130.lib.spice",
        corners=("tt", "ff", "ss", "fs", "sf"),
        nmos="sky130_fd_pr__nfet_01v8", pmos="sky130_fd_pr__pfet_01v8",
        vdd=1.8, a_vt=4.7e-9, a_beta=1e-8, l_min=0.15e-6, w_min=0.42e-6,
        instance_prefix="X", length_scale=1e-6,     # subcircuit devices, W/L in µm
    )

Temperature is not part of the process: it is a simulation setting
(``simulate(..., temperature=85.0)``) and may be a sweep variable;
:attr:`Process.temperature` is only the nominal value (27 °C, ngspice's default).
"""

from __future__ import annotations

import dataclasses
import hashlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..errors import DataError, ParameterError
from ..units import param, validate
from .netlist import fmt

__all__ = [
    "Process",
    "MosMismatch",
    "MismatchSampler",
    "GENERIC_180",
    "models_dir",
    "mosfet",
    "normalise_kind",
]

_KINDS = {
    "n": "n",
    "nmos": "n",
    "nfet": "n",
    "nch": "n",
    "p": "p",
    "pmos": "p",
    "pfet": "p",
    "pch": "p",
}

# Drawn diffusion extension used for the default AD/AS/PD/PS (≈ 2.7 L_min at 180 nm).
DEFAULT_DIFFUSION_LENGTH = 0.48e-6


def normalise_kind(kind: str) -> str:
    """``"n"`` or ``"p"`` from any of n/nmos/nfet/nch, p/pmos/pfet/pch (case-insensitive)."""
    k = _KINDS.get(str(kind).strip().lower())
    if k is None:
        raise ParameterError(
            f"The 'kind' of a MOSFET must be one of {', '.join(repr(x) for x in _KINDS)}. "
            f"Got {kind!r} instead."
        )
    return k


def models_dir() -> Path:
    """The directory holding neurocircuit's model files.

    Looked up, in order: the ``NEUROCIRCUIT_MODELS`` environment variable; ``models/`` at the
    top of the source checkout (``Path(__file__).parents[2] / "models"``, the editable
    install); ``neurocircuit/data/models`` inside an installed package. Raises
    :class:`DataError` when none exists.
    """
    env = os.environ.get("NEUROCIRCUIT_MODELS")
    if env:
        p = Path(env).expanduser()
        if not p.is_dir():
            raise DataError(f"NEUROCIRCUIT_MODELS={env!r} is not a directory.")
        return p.resolve()
    repo = Path(__file__).resolve().parents[2] / "models"
    if repo.is_dir():
        return repo
    try:
        packaged = Path(str(resources.files("neurocircuit") / "data" / "models"))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - exotic loaders
        packaged = None
    if packaged is not None and packaged.is_dir():
        return packaged
    raise DataError(
        "Cannot find neurocircuit's models/ directory (looked in $NEUROCIRCUIT_MODELS, "
        f"{repo} and the installed package). Set NEUROCIRCUIT_MODELS to the checkout's models/."
    )


@dataclass(frozen=True)
class MosMismatch:
    """One transistor's mismatch draw.

    Attributes
    ----------
    dvth
        Increase of the threshold magnitude |V_T| (V); positive makes either polarity weaker.
    dbeta
        Relative current-factor deviation Δβ/β (written as the mobility multiplier
        ``mulu0 = 1 + dbeta``).
    """

    dvth: float = param(0.0, unit="V", doc="increase of |V_T|")
    dbeta: float = param(0.0, unit="", doc="relative current-factor deviation", gt=-1.0)

    def __post_init__(self) -> None:  # hand-written: created once per transistor, keep it cheap
        if not math.isfinite(self.dvth):
            raise ParameterError(
                f"The 'dvth' parameter of MosMismatch must be finite. Got {self.dvth!r} instead."
            )
        if not (math.isfinite(self.dbeta) and self.dbeta > -1.0):
            raise ParameterError(
                f"The 'dbeta' parameter of MosMismatch must be > -1. Got {self.dbeta!r} instead."
            )


@dataclass(frozen=True)
class Process:
    """A CMOS process: model library, corners, device names, supply, Pelgrom coefficients.

    Parameters
    ----------
    name
        Short name (``"generic180"``).
    lib_path
        The model library. A relative path is resolved against :func:`models_dir` when used.
    corners
        Section names of the library (``.lib <path> <corner>``).
    corner
        The selected corner.
    nmos, pmos
        Model (or subcircuit) names of the two devices.
    vdd
        Nominal supply (V).
    a_vt
        Pelgrom threshold coefficient A_VT (V·m; 5e-9 = 5 mV·µm).
    a_beta
        Pelgrom current-factor coefficient A_β (relative·m; 1e-8 = 1 %·µm).
    l_min, w_min
        Minimum drawn length and width (m).
    temperature
        Nominal temperature (°C); simulations take their own ``temperature``.
    include_style
        ``"lib"`` writes ``.lib "<path>" <corner>``; ``"include"`` writes ``.include "<path>"``
        for a flat model file without sections (then ``corners`` is informational).
    instance_prefix
        ``"M"`` for model cards, ``"X"`` for PDKs whose devices are subcircuits.
    length_scale
        W, L, AD... are written divided by this (1.0: metres; 1e-6 for µm-unit PDKs).
    source
        Where the models come from (free text, shown in reports).
    """

    name: str
    lib_path: str
    corners: tuple[str, ...] = ("tt",)
    corner: str = "tt"
    nmos: str = "nch"
    pmos: str = "pch"
    vdd: float = param(1.8, unit="V", doc="nominal supply", gt=0)
    a_vt: float = param(5e-9, unit="V·m", doc="Pelgrom A_VT", ge=0)
    a_beta: float = param(1e-8, unit="m", doc="Pelgrom A_beta (relative·m)", ge=0)
    l_min: float = param(0.18e-6, unit="m", doc="minimum drawn length", gt=0)
    w_min: float = param(0.22e-6, unit="m", doc="minimum drawn width", gt=0)
    temperature: float = param(27.0, unit="°C", doc="nominal temperature", gt=-273.15)
    include_style: str = param("lib", doc="how the library is included", choices=("lib", "include"))
    instance_prefix: str = param("M", doc="element letter of a device", choices=("M", "X"))
    length_scale: float = param(1.0, unit="m", doc="unit of written W/L", gt=0)
    source: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "corners", tuple(self.corners))
        object.__setattr__(self, "lib_path", str(self.lib_path))
        validate(self)
        if not self.corners:
            raise ParameterError(f"The 'corners' of Process {self.name!r} must not be empty.")
        if self.corner not in self.corners:
            raise ParameterError(self._corner_message(self.corner))

    # -- corners and models ---------------------------------------------------------------
    def _corner_message(self, corner: str) -> str:
        return (
            f"The 'corner' parameter of Process {self.name!r} must be one of "
            f"{', '.join(repr(c) for c in self.corners)}. Got {corner!r} instead."
        )

    def with_corner(self, corner: str) -> Process:
        """The same process at another corner (ParameterError lists the valid ones)."""
        if corner not in self.corners:
            raise ParameterError(self._corner_message(corner))
        return dataclasses.replace(self, corner=corner)

    def model(self, kind: str) -> str:
        """The model name of ``kind`` (``"n"``/``"nmos"``/``"nfet"`` or the p equivalents)."""
        return self.nmos if normalise_kind(kind) == "n" else self.pmos

    def resolved_lib_path(self) -> Path:
        """Absolute path of the model library (relative paths resolved via models_dir())."""
        p = Path(self.lib_path).expanduser()
        if not p.is_absolute():
            p = models_dir() / p
        if not p.is_file():
            raise DataError(f"The model library of process {self.name!r} is missing: {p}")
        return p.resolve()

    def include(self) -> str:
        """The card that loads the models: ``.lib "<abs path>" <corner>`` (or ``.include``)."""
        path = self.resolved_lib_path()
        if self.include_style == "include":
            return f'.include "{path}"'
        return f'.lib "{path}" {self.corner}'

    # -- mismatch -------------------------------------------------------------------------
    def sigma_vt(self, w: float, l: float) -> float:
        """σ(ΔV_T) = A_VT/√(WL) in volts for a W×L (m) device."""
        _check_wl(w, l)
        return self.a_vt / math.sqrt(w * l)

    def sigma_beta(self, w: float, l: float) -> float:
        """σ(Δβ/β) = A_β/√(WL) (relative) for a W×L (m) device."""
        _check_wl(w, l)
        return self.a_beta / math.sqrt(w * l)

    def mismatch(self, seed: int, scale: float = 1.0) -> MismatchSampler:
        """A seeded sampler ``(name, kind, w, l) -> MosMismatch`` (see :class:`MismatchSampler`)."""
        return MismatchSampler(process=self, seed=seed, scale=scale)

    # -- construction ---------------------------------------------------------------------
    @classmethod
    def from_pdk(
        cls,
        name: str,
        lib_path: str | os.PathLike,
        corners: tuple[str, ...] | list[str] = ("tt", "ff", "ss", "fs", "sf"),
        nmos: str = "nch",
        pmos: str = "pch",
        **kwargs,
    ) -> Process:
        """A process from a local PDK model library; checks that the file exists.

        ``kwargs`` are the remaining :class:`Process` fields (``vdd``, ``a_vt``, ``a_beta``,
        ``l_min``, ``w_min``, ``corner``, ``include_style``, ``instance_prefix``,
        ``length_scale``, ``source``). See the module docstring for a SKY130 example.
        """
        p = Path(lib_path).expanduser()
        if not p.is_file():
            raise DataError(f"PDK model library not found: {p}")
        corners = tuple(corners)
        kwargs.setdefault("corner", corners[0] if corners else "tt")
        kwargs.setdefault("source", f"PDK library {p}")
        return cls(name=name, lib_path=str(p.resolve()), corners=corners, nmos=nmos, pmos=pmos,
                   **kwargs)


def _check_wl(w: float, l: float) -> None:
    if not (isinstance(w, (int, float)) and w > 0 and math.isfinite(w)):
        raise ParameterError(f"The 'w' parameter of a MOSFET must be > 0 m. Got {w!r} instead.")
    if not (isinstance(l, (int, float)) and l > 0 and math.isfinite(l)):
        raise ParameterError(f"The 'l' parameter of a MOSFET must be > 0 m. Got {l!r} instead.")


def _standard_normals(seed: int, name: str) -> tuple[float, float]:
    """Two independent N(0, 1) numbers determined by (seed, name) alone.

    SHA-256 of ``"<seed>:<name>"`` gives two 53-bit uniforms u1 ∈ (0, 1], u2 ∈ [0, 1); the
    Box–Muller transform turns them into normals. Pure, portable and fast (no RNG object).
    """
    digest = hashlib.sha256(f"{int(seed)}:{name}".encode()).digest()
    k1 = int.from_bytes(digest[0:8], "little") >> 11
    k2 = int.from_bytes(digest[8:16], "little") >> 11
    u1 = (k1 + 1) / 2.0**53
    u2 = k2 / 2.0**53
    r = math.sqrt(-2.0 * math.log(u1))
    return r * math.cos(2.0 * math.pi * u2), r * math.sin(2.0 * math.pi * u2)


@dataclass(frozen=True)
class MismatchSampler:
    """Seeded per-instance Pelgrom sampler; call it as ``sampler(name, kind, w, l)``.

    The draw hashes (seed, name) with SHA-256 into two uniforms and applies Box–Muller, so it
    depends only on (seed, name): the same instance gets the same ΔV_T and Δβ/β whatever else
    was drawn before, on any platform. ``scale`` multiplies both σ (0 disables mismatch, 2
    doubles it). The kind is accepted for the interface (both polarities share the
    coefficients here).
    """

    process: Process
    seed: int
    scale: float = param(1.0, unit="", doc="multiplier of both sigmas", ge=0)

    def __post_init__(self) -> None:
        validate(self)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ParameterError(
                f"The 'seed' of a mismatch sampler must be an integer >= 0. Got {self.seed!r}."
            )

    def standard_normals(self, name: str) -> tuple[float, float]:
        """The two N(0, 1) numbers behind instance ``name`` (for ΔV_T and Δβ/β)."""
        return _standard_normals(self.seed, name)

    def __call__(self, name: str, kind: str, w: float, l: float) -> MosMismatch:
        normalise_kind(kind)
        z_vt, z_beta = self.standard_normals(name)
        return MosMismatch(
            dvth=self.scale * self.process.sigma_vt(w, l) * z_vt,
            dbeta=self.scale * self.process.sigma_beta(w, l) * z_beta,
        )


MismatchFn = Callable[[str, str, float, float], MosMismatch]


def mosfet(
    name: str,
    d: str,
    g: str,
    s: str,
    b: str,
    kind: str,
    w: float,
    l: float,
    process: Process,
    mismatch: MosMismatch | MismatchFn | None = None,
    m: int = 1,
) -> str:
    """One MOSFET element line.

    ``M<name> d g s b <model> W=.. L=.. AD=.. AS=.. PD=.. PS=..`` with the diffusion areas and
    perimeters of a ``DEFAULT_DIFFUSION_LENGTH`` (0.48 µm) source/drain, then ``m=<m>`` when
    ``m > 1`` and, when ``mismatch`` is given, ``delvto=<±dvth> mulu0=<1+dbeta>``
    (``delvto`` is −dvth for a pFET, whose ``vth0`` is negative). ``mismatch`` may be a
    :class:`MosMismatch` or a sampler from :meth:`Process.mismatch` (called with this
    instance's name). A name already starting with the element letter is not prefixed again.
    """
    k = normalise_kind(kind)
    _check_wl(w, l)
    if isinstance(m, bool) or not isinstance(m, int) or m < 1:
        raise ParameterError(f"The 'm' parameter of a MOSFET must be an integer >= 1. Got {m!r}.")
    prefix = process.instance_prefix
    elem = name if str(name)[:1].upper() == prefix else f"{prefix}{name}"
    sc = process.length_scale
    ld = DEFAULT_DIFFUSION_LENGTH
    parts = [
        elem,
        d,
        g,
        s,
        b,
        process.model(k),
        f"W={fmt(w / sc)}",
        f"L={fmt(l / sc)}",
        f"AD={fmt(w * ld / sc**2)}",
        f"AS={fmt(w * ld / sc**2)}",
        f"PD={fmt(2 * (w + ld) / sc)}",
        f"PS={fmt(2 * (w + ld) / sc)}",
    ]
    if m > 1:
        parts.append(f"m={m}")
    if mismatch is not None:
        if prefix != "M":
            raise ParameterError(
                "Per-instance mismatch (delvto/mulu0) needs model-card devices (prefix 'M'); "
                f"process {process.name!r} uses subcircuit devices: use its own mismatch corner."
            )
        mm = mismatch if isinstance(mismatch, MosMismatch) else mismatch(elem, k, w, l)
        delvto = mm.dvth if k == "n" else -mm.dvth
        parts.append(f"delvto={fmt(delvto)}")
        parts.append(f"mulu0={fmt(1.0 + mm.dbeta)}")
    return " ".join(parts)


GENERIC_180 = Process(
    name="generic180",
    lib_path="generic180/generic180.lib",
    corners=("tt", "ff", "ss", "fs", "sf"),
    corner="tt",
    nmos="nch",
    pmos="pch",
    vdd=1.8,
    a_vt=5e-9,
    a_beta=1e-8,
    l_min=0.18e-6,
    w_min=0.22e-6,
    temperature=27.0,
    source=(
        "neurocircuit generic 180 nm BSIM3v3 cards (models/generic180/generic180.lib), values "
        "from published PTM 180 nm and MOSIS TSMC 0.18 um typical figures"
    ),
)
"""Generic 180 nm, 1.8 V CMOS (BSIM3v3 level 8), corners tt/ff/ss/fs/sf, A_VT 5 mV·µm."""
