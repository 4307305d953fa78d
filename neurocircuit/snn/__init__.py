"""neurocircuit.snn."""
