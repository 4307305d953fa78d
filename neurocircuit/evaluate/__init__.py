"""neurocircuit.evaluate."""
