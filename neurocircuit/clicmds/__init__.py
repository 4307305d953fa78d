"""Sub-commands of the ``neurocircuit`` CLI, one module each (see :mod:`neurocircuit.cli`)."""
