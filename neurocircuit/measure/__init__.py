"""neurocircuit.measure."""
