"""neurocircuit.snn.learning."""
