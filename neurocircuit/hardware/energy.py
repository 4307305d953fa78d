r"""Energy per inference, from circuit figures and from the usual AC/MAC estimate.

Circuit-level estimate for one inference of duration :math:`T_{inf}`:

.. math::

    E = N_{spk}\,E_{spike} + N_{syn}\,E_{event} + E_{read} + P_{static}\,N_{neurons}\,T_{inf},

with :math:`E_{spike}`, :math:`E_{event}` and :math:`P_{static}` measured in SPICE
(characterisation / calibration files) and :math:`E_{read} = \sum V^2 G\,t_{read}` for
crossbar-mapped layers. The operation-count estimate of the same network is
:math:`E_{SNN} = N_{AC}\,E_{AC}` against :math:`E_{ANN} = N_{MAC}\,E_{MAC}`, with the commonly
cited 45 nm figures :math:`E_{AC} = 0.9` pJ and :math:`E_{MAC} = 4.6` pJ (32-bit float).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..units import param, validate

__all__ = ["CircuitEnergy", "inference_energy", "op_count_energy", "E_AC_45NM", "E_MAC_45NM"]

E_AC_45NM = 0.9e-12
E_MAC_45NM = 4.6e-12


@dataclass(frozen=True)
class CircuitEnergy:
    """Per-event energies and static power from SPICE."""

    e_spike: float = param(unit="J", doc="energy per output spike", ge=0)
    e_event: float = param(0.0, unit="J", doc="energy per synaptic event", ge=0)
    p_static: float = param(0.0, unit="W", doc="static power per neuron", ge=0)

    def __post_init__(self) -> None:
        validate(self)


def inference_energy(
    model: CircuitEnergy,
    n_spikes: float,
    n_syn_events: float,
    n_neurons: int,
    duration_s: float,
    e_read: float = 0.0,
) -> dict[str, float]:
    """Breakdown (J) of one inference: spikes, synaptic events, crossbar reads, static."""
    parts = {
        "spikes_j": float(n_spikes) * model.e_spike,
        "synaptic_events_j": float(n_syn_events) * model.e_event,
        "crossbar_read_j": float(e_read),
        "static_j": model.p_static * n_neurons * duration_s,
    }
    parts["total_j"] = sum(parts.values())
    return parts


def op_count_energy(n_ac: float, n_mac: float, e_ac: float = E_AC_45NM,
                    e_mac: float = E_MAC_45NM) -> dict[str, float]:
    """The AC/MAC estimate: SNN energy from accumulates, ANN energy from MACs."""
    return {"snn_ac_j": float(n_ac) * e_ac, "ann_mac_j": float(n_mac) * e_mac,
            "ratio_ann_over_snn": (n_mac * e_mac) / (n_ac * e_ac) if n_ac else float("inf")}
