"""neurocircuit.hardware."""
