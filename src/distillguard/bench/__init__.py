"""Measurement: detection metrics a defender cares about, and the benchmark runners."""
