"""Per-request signals and sketches: vectorised functions over Arrow arrays, no I/O."""
