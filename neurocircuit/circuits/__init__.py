"""neurocircuit.circuits."""
