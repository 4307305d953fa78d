"""neurocircuit.calibrate."""
