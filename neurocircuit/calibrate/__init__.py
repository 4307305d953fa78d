"""neurocircuit.calibrate: compact models fitted to SPICE, validation, mismatch, calibrated files.

Modules (one concept each; nothing heavy is imported here):

* :mod:`.neuron_models` — linear IF, current-mode (DPI) quadratic I&F with adaptation,
  Izhikevich, exact digital IF; closed-form F–I curves and engine step functions;
* :mod:`.synapse_models` — exponential (DPI / log-domain) and CMI synapses, short-term
  depression, STDP window with bistable drift, memristor pulse-update model;
* :mod:`.fit` — least-squares fits (several starts, covariance, ``FitWarning``);
* :mod:`.validate` — coincidence factor Γ, F–I error, NRMSE, held-out OU validation;
* :mod:`.mismatch` — per-instance fits → (log-)normal parameter distributions, sampling;
* :mod:`.calibrated` — the calibrated JSON file (save, validating load);
* :mod:`.pipeline` — ``neurocircuit calibrate NAME``.
"""

__all__ = ["register_with_engine"]


def register_with_engine() -> None:
    """Register the compact neuron models with :func:`neurocircuit.snn.neurons.model_for`."""
    from ..snn.neurons import register_model
    from .neuron_models import MODELS

    for cls, (init, step) in MODELS.items():
        register_model(cls, init, step)
