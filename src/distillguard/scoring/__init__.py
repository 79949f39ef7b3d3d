"""Scores with evidence and MITRE ATLAS mapping; thresholds; verdicts."""
