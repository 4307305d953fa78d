"""Memristor compact models as ngspice behavioural subcircuits.

Every model has a normalised state ``x`` held as the voltage of a 1 F capacitor (``IC = x0``,
1 TΩ shunt) fed by a B-source carrying ``dx/dt``; the port is a B-source ``I = f(V, x)``.
Decks that use the dynamic models must run ``.tran ... uic``. ngspice has no ``stp()``; the
Biolek window uses ``u()`` (``u(0) = 0``).

Linear ion drift (Strukov et al., Nature 2008; HP)::

    R(x)  = R_on·x + R_off·(1 − x),   i = v / R(x)
    dx/dt = (µ_v·R_on / D²)·i·f(x, i)
    Joglekar:  f = 1 − |2x − 1|^(2p)
    Biolek:    f = 1 − |x − u(−i)|^(2p)
    none:      f = 1

VTEAM (Kvatinsky et al., IEEE TCAS-II 2015), with x = (w − w_on)/(w_off − w_on) and
x_c = min(max(x, 0), 1) (the windows keep x inside [0, 1] up to a double-exponential tail)::

    R = R_on + (R_off − R_on)·x_c          (iv = "linear")
    R = R_on·exp(ln(R_off/R_on)·x_c)       (iv = "exponential"),   i = v / R
    dw/dt = k_off·(v/v_off − 1)^α_off·f_off(w)   for v > v_off > 0
          = 0                                   for v_on ≤ v ≤ v_off
          = k_on·(v/v_on − 1)^α_on·f_on(w)      for v < v_on < 0
    f_off = exp(−exp((w − a_off)/w_c)),  f_on = exp(−exp(−(w − a_on)/w_c))

Yakopcic (IEEE EDL 2011; TCAD 2013)::

    i = a1·x·sinh(b·v)  (v ≥ 0),   a2·x·sinh(b·v)  (v < 0)
    g(v) = A_p(e^v − e^V_p)  for v > V_p;   −A_n(e^−v − e^V_n)  for v < −V_n;   0 otherwise
    f(x) = e^(−α_p(x − x_p))·w_p  if ηv > 0 and x ≥ x_p,     w_p = (x_p − x)/(1 − x_p) + 1
         = e^(α_n(x + x_n − 1))·w_n if ηv < 0 and x ≤ 1 − x_n, w_n = x/(1 − x_n)
         = 1                        otherwise
    dx/dt = η·g(v)·f(x)

Variation: ``<name>_d2d`` fields are relative σ of device-to-device spread, applied by
:func:`sample_d2d` when an instance is generated from a seed/rng (each drawn parameter is
multiplied by ``1 + σ·N(0, 1)``). ``dx_c2c`` is the relative σ of each programming step's
state change; it is an engine-side concept (:mod:`neurocircuit.hardware.memristor`) and does
not enter the deck. The same equations, vectorised, are in
:mod:`neurocircuit.hardware.memristor`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from ..errors import ParameterError
from ..units import param, validate
from .netlist import Netlist, Subckt
from .registry import CircuitEntry

__all__ = [
    "LinearDriftParams",
    "VTEAMParams",
    "YakopcicParams",
    "MemristorParams",
    "HP_JOGLEKAR",
    "HP_BIOLEK",
    "VTEAM_MEMTORCH",
    "YAKOPCIC_OBLEA",
    "memristor_subckt",
    "memristor_netlist",
    "subckt_name",
    "model_params",
    "sample_d2d",
    "CATALOG",
]


@dataclass(frozen=True)
class LinearDriftParams:
    """Linear ion-drift (HP) memristor with a Joglekar, Biolek or no window."""

    r_on: float = param(100.0, unit="Ω", doc="fully doped (x = 1) resistance", gt=0)
    r_off: float = param(16e3, unit="Ω", doc="undoped (x = 0) resistance", gt=0)
    d: float = param(10e-9, unit="m", doc="film thickness D", gt=0)
    mu_v: float = param(1e-14, unit="m²/(V·s)", doc="dopant mobility µ_v", gt=0)
    x0: float = param(0.1, unit="", doc="initial state", ge=0, le=1)
    p: float = param(2.0, unit="", doc="window exponent (f uses 2p)", gt=0)
    window: str = param("joglekar", doc="state window", choices=("joglekar", "biolek", "none"))
    r_on_d2d: float = param(0.0, unit="", doc="relative σ of r_on between devices", ge=0)
    r_off_d2d: float = param(0.0, unit="", doc="relative σ of r_off between devices", ge=0)
    mu_v_d2d: float = param(0.0, unit="", doc="relative σ of mu_v between devices", ge=0)
    dx_c2c: float = param(0.0, unit="", doc="relative σ of each pulse's Δx (engine)", ge=0)

    def __post_init__(self) -> None:
        validate(self)


@dataclass(frozen=True)
class VTEAMParams:
    """VTEAM threshold memristor (Kvatinsky 2015), state normalised to x ∈ [0, 1]."""

    r_on: float = param(50.0, unit="Ω", doc="resistance at w = w_on (x = 0)", gt=0)
    r_off: float = param(1e3, unit="Ω", doc="resistance at w = w_off (x = 1)", gt=0)
    w_on: float = param(0.0, unit="m", doc="state bound w_on", ge=0)
    w_off: float = param(3e-9, unit="m", doc="state bound w_off (> w_on)", gt=0)
    k_on: float = param(-10.0, unit="m/s", doc="ON rate constant (< 0)", lt=0)
    k_off: float = param(5e-4, unit="m/s", doc="OFF rate constant (> 0)", gt=0)
    alpha_on: float = param(3.0, unit="", doc="ON exponent", gt=0)
    alpha_off: float = param(1.0, unit="", doc="OFF exponent", gt=0)
    v_on: float = param(-0.2, unit="V", doc="ON threshold (< 0)", lt=0)
    v_off: float = param(0.02, unit="V", doc="OFF threshold (> 0)", gt=0)
    a_on: float = param(0.3e-9, unit="m", doc="TEAM window position a_on", ge=0)
    a_off: float = param(2.7e-9, unit="m", doc="TEAM window position a_off", gt=0)
    w_c: float = param(0.1e-9, unit="m", doc="TEAM window width w_c", gt=0)
    x0: float = param(0.5, unit="", doc="initial state", ge=0, le=1)
    iv: str = param("linear", doc="R(x) law", choices=("linear", "exponential"))
    r_on_d2d: float = param(0.0, unit="", doc="relative σ of r_on between devices", ge=0)
    r_off_d2d: float = param(0.0, unit="", doc="relative σ of r_off between devices", ge=0)
    v_on_d2d: float = param(0.0, unit="", doc="relative σ of v_on between devices", ge=0)
    v_off_d2d: float = param(0.0, unit="", doc="relative σ of v_off between devices", ge=0)
    dx_c2c: float = param(0.0, unit="", doc="relative σ of each pulse's Δx (engine)", ge=0)

    def __post_init__(self) -> None:
        validate(self)
        if np.any(np.asarray(self.w_off) <= np.asarray(self.w_on)):
            raise ParameterError(
                f"The 'w_off' parameter of VTEAMParams must be > w_on ({self.w_on!r} m). "
                f"Got {self.w_off!r} instead."
            )


@dataclass(frozen=True)
class YakopcicParams:
    """Yakopcic generalised memristor model (EDL 2011, TCAD 2013)."""

    a1: float = param(0.17, unit="A", doc="I–V amplitude for v ≥ 0", gt=0)
    a2: float = param(0.17, unit="A", doc="I–V amplitude for v < 0", gt=0)
    b: float = param(0.05, unit="1/V", doc="sinh slope", gt=0)
    v_p: float = param(0.16, unit="V", doc="positive threshold", ge=0)
    v_n: float = param(0.15, unit="V", doc="negative threshold magnitude", ge=0)
    a_p: float = param(4000.0, unit="1/s", doc="positive rate A_p", gt=0)
    a_n: float = param(4000.0, unit="1/s", doc="negative rate A_n", gt=0)
    x_p: float = param(0.3, unit="", doc="state where positive motion starts to slow", ge=0, lt=1)
    x_n: float = param(0.5, unit="", doc="1 − state where negative motion slows", ge=0, lt=1)
    alpha_p: float = param(1.0, unit="", doc="positive window decay", ge=0)
    alpha_n: float = param(5.0, unit="", doc="negative window decay", ge=0)
    eta: float = param(1.0, unit="", doc="state-motion direction (±1)", choices=(1.0, -1.0))
    x0: float = param(0.11, unit="", doc="initial state", ge=0, le=1)
    a1_d2d: float = param(0.0, unit="", doc="relative σ of a1 between devices", ge=0)
    a2_d2d: float = param(0.0, unit="", doc="relative σ of a2 between devices", ge=0)
    v_p_d2d: float = param(0.0, unit="", doc="relative σ of v_p between devices", ge=0)
    v_n_d2d: float = param(0.0, unit="", doc="relative σ of v_n between devices", ge=0)
    dx_c2c: float = param(0.0, unit="", doc="relative σ of each pulse's Δx (engine)", ge=0)

    def __post_init__(self) -> None:
        validate(self)


MemristorParams = LinearDriftParams | VTEAMParams | YakopcicParams

# -- presets (values: reference/circuits.md §3.1) -----------------------------------------------

HP_JOGLEKAR = LinearDriftParams(window="joglekar", p=2.0)
"""HP linear drift, MemTorch defaults (R_on 100 Ω, R_off 16 kΩ, D 10 nm, µ_v 1e-14 m²/Vs);
Joglekar window p = 2, x0 = 0.1 (Joglekar & Wolf, Eur. J. Phys. 2009)."""

HP_BIOLEK = LinearDriftParams(window="biolek", p=2.0)
"""HP linear drift, MemTorch defaults; Biolek window p = 2 (Biolek et al., Radioengineering
2009; the SPICE model's p range 1–10)."""

VTEAM_MEMTORCH = VTEAMParams()
"""VTEAM, MemTorch defaults (R_on 50 Ω, R_off 1 kΩ, D 3 nm, k_on −10 m/s, k_off 5e-4 m/s,
α_on 3, α_off 1, v_on −0.2 V, v_off 0.02 V). TEAM window w_c = 0.1 nm, a_on = w_on + 3w_c,
a_off = w_off − 3w_c so that f ≈ 2e-9 at the bounds (our choice; circuits.md gives the window
form only), x0 = 0.5."""

YAKOPCIC_OBLEA = YakopcicParams()
"""Yakopcic model fitted to the Oblea et al. Ge2Se3 device (Yakopcic et al., IEEE EDL 32(10),
2011): a1 = a2 = 0.17, b = 0.05, V_p 0.16 V, V_n 0.15 V, A_p = A_n = 4000, x_p 0.3, x_n 0.5,
α_p 1, α_n 5, x0 0.11, η 1."""


# -- deck generation ----------------------------------------------------------------------------


def model_params(p: MemristorParams) -> tuple[tuple[str, float], ...]:
    """The subcircuit parameters (SPICE names, SI values) of a model instance."""
    if isinstance(p, LinearDriftParams):
        return (
            ("ron", p.r_on),
            ("roff", p.r_off),
            ("kmu", p.mu_v * p.r_on / p.d**2),
            ("pw", p.p),
            ("xinit", p.x0),
        )
    if isinstance(p, VTEAMParams):
        return (
            ("ron", p.r_on),
            ("roff", p.r_off),
            ("won", p.w_on),
            ("woff", p.w_off),
            ("kon", p.k_on),
            ("koff", p.k_off),
            ("alon", p.alpha_on),
            ("aloff", p.alpha_off),
            ("von", p.v_on),
            ("voff", p.v_off),
            ("aon", p.a_on),
            ("aoff", p.a_off),
            ("wc", p.w_c),
            ("xinit", p.x0),
        )
    if isinstance(p, YakopcicParams):
        return (
            ("ya1", p.a1),
            ("ya2", p.a2),
            ("yb", p.b),
            ("vp", p.v_p),
            ("vn", p.v_n),
            ("ap", p.a_p),
            ("an", p.a_n),
            ("xp", p.x_p),
            ("xn", p.x_n),
            ("alp", p.alpha_p),
            ("aln", p.alpha_n),
            ("eta", p.eta),
            ("xinit", p.x0),
        )
    raise TypeError(f"Not a memristor params instance: {type(p).__name__}")


def subckt_name(p: MemristorParams, static: bool = False) -> str:
    """Subcircuit name for a model (and window / I–V law), ``_static`` for frozen state."""
    if isinstance(p, LinearDriftParams):
        base = f"mem_hp_{p.window}"
    elif isinstance(p, VTEAMParams):
        base = f"mem_vteam_{p.iv[:3]}"
    else:
        base = "mem_yakopcic"
    return base + ("_static" if static else "")


def _port_and_rate(p: MemristorParams, xs: str) -> tuple[str, str]:
    """(port current expression, dx/dt expression) in terms of state expression ``xs``."""
    v = "V(p,n)"
    if isinstance(p, LinearDriftParams):
        r = f"(ron*{xs}+roff*(1-{xs}))"
        i = f"{v}/{r}"
        if p.window == "joglekar":
            f = f"(1-pow(abs(2*{xs}-1),2*pw))"
        elif p.window == "biolek":
            f = f"(1-pow(abs({xs}-u(-{v})),2*pw))"
        else:
            f = "1"
        return i, f"kmu*{i}*{f}"
    if isinstance(p, VTEAMParams):
        xc = f"min(max({xs},0),1)"
        if p.iv == "linear":
            r = f"(ron+(roff-ron)*{xc})"
        else:
            r = f"(ron*exp(ln(roff/ron)*{xc}))"
        i = f"{v}/{r}"
        w = f"(won+(woff-won)*{xs})"
        off = f"(({v}>voff) ? koff*pow(abs({v}/voff-1),aloff)*exp(-exp(({w}-aoff)/wc)) : 0)"
        on = f"(({v}<von) ? kon*pow(abs({v}/von-1),alon)*exp(-exp(-({w}-aon)/wc)) : 0)"
        return i, f"({off}+{on})/(woff-won)"
    i = f"(({v}>=0) ? ya1 : ya2)*{xs}*sinh(yb*{v})"
    g = f"(({v}>vp) ? ap*(exp({v})-exp(vp)) : (({v}<-vn) ? -an*(exp(-{v})-exp(vn)) : 0))"
    fp = f"(({xs}>=xp) ? exp(-alp*({xs}-xp))*((xp-{xs})/(1-xp)+1) : 1)"
    fn = f"(({xs}<=1-xn) ? exp(aln*({xs}+xn-1))*({xs}/(1-xn)) : 1)"
    f = f"((eta*{v}>0) ? {fp} : {fn})"
    return i, f"eta*{g}*{f}"


def memristor_subckt(p: MemristorParams, probe: bool = True, static: bool = False) -> Subckt:
    """The behavioural subcircuit of a model.

    Parameters
    ----------
    p
        Model parameters; they become the subcircuit's default parameters, so an instance can
        override any of them (device-to-device variation).
    probe
        Expose the state node as a third port ``x`` (ports ``p n x``); otherwise ports ``p n``.
    static
        Frozen state: the port is ``I = f(V, xinit)`` with no state equation; used for DC
        reads (``.op``) of programmed arrays.
    """
    name = subckt_name(p, static) + ("" if probe else "_np")
    ports = ("p", "n", "x") if probe else ("p", "n")
    if static:
        i, _ = _port_and_rate(p, "xinit")
        lines = [f"Bport p n I={i}"]
        if probe:
            lines.append("Vx x 0 DC {xinit}")
    else:
        xs = "V(x)"
        i, rate = _port_and_rate(p, xs)
        lines = [
            "Cx x 0 1 IC={xinit}",
            "Rx x 0 1T",
            f"Bx 0 x I={rate}",
            f"Bport p n I={i}",
        ]
    doc = f"{type(p).__name__} ({'static' if static else 'dynamic'}); state x on node x"
    return Subckt(name=name, ports=ports, lines=tuple(lines), params=model_params(p), doc=doc)


def memristor_netlist(p: MemristorParams) -> Netlist:
    """The device subcircuit with one instance ``XMEM p n x`` (run transients with ``uic``)."""
    validate(p)
    sub = memristor_subckt(p, probe=True)
    return Netlist(
        title=f"{subckt_name(p)}: behavioural memristor (ports p n x)",
        subckts=(sub,),
        lines=(sub.instance("MEM", ("p", "n", "x")),),
        meta={"generator": "memristor", "params": dataclasses.asdict(p)},
    )


# -- variation ----------------------------------------------------------------------------------


def sample_d2d(p: MemristorParams, rng: np.random.Generator | int, n: int | None = None):
    """A device instance (``n=None``) or ``n`` instances (array fields) with d2d spread drawn.

    Each field ``name`` with ``name_d2d = σ > 0`` is multiplied by ``1 + σ·N(0, 1)``, clipped to
    keep its sign (factor ≥ 0.05). Fields are drawn in declaration order from one generator.
    Array-valued instances are for the engine; generators take scalar instances.
    """
    rng = np.random.default_rng(rng)
    changes: dict[str, object] = {}
    for f in dataclasses.fields(p):
        if not f.name.endswith("_d2d"):
            continue
        sigma = getattr(p, f.name)
        base = f.name[: -len("_d2d")]
        if sigma <= 0:
            continue
        z = rng.standard_normal(() if n is None else (n,))
        factor = np.maximum(1.0 + sigma * z, 0.05)
        val = getattr(p, base) * factor
        changes[base] = float(val) if n is None else val
    return dataclasses.replace(p, **changes) if changes else p


def _entry(name: str, presets: dict, docs: dict, doc: str) -> CircuitEntry:
    return CircuitEntry(
        name=name,
        family="device",
        params_cls=type(next(iter(presets.values()))),
        presets=presets,
        generator=memristor_netlist,
        doc=doc,
        preset_docs=docs,
    )


_SRC_MEMTORCH = "MemTorch defaults (Lammie et al., Neurocomputing 2022), circuits.md §3.1"

CATALOG = (
    _entry(
        "memristor-hp-joglekar",
        {"memtorch": HP_JOGLEKAR},
        {"memtorch": _SRC_MEMTORCH + "; Joglekar window p = 2 (Joglekar & Wolf 2009)"},
        "Linear ion-drift (HP, Strukov 2008) memristor with the Joglekar window",
    ),
    _entry(
        "memristor-hp-biolek",
        {"memtorch": HP_BIOLEK},
        {"memtorch": _SRC_MEMTORCH + "; Biolek window p = 2 (Biolek et al. 2009)"},
        "Linear ion-drift (HP, Strukov 2008) memristor with the Biolek window",
    ),
    _entry(
        "memristor-vteam",
        {"memtorch": VTEAM_MEMTORCH},
        {"memtorch": _SRC_MEMTORCH + "; TEAM window w_c 0.1 nm, a_on/a_off 3w_c inside (ours)"},
        "VTEAM threshold memristor (Kvatinsky et al., IEEE TCAS-II 2015)",
    ),
    _entry(
        "memristor-yakopcic",
        {"oblea": YAKOPCIC_OBLEA},
        {"oblea": "Yakopcic et al., IEEE EDL 32(10) 2011, fit to Oblea et al. Ge2Se3 device"},
        "Yakopcic generalised memristor model (EDL 2011 / TCAD 2013)",
    ),
)
