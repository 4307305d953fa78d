"""neurocircuit.spice."""
