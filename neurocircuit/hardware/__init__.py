"""Hardware models for the engine: memristor and PCM devices, crossbar nodal solver."""
