"""The scan report: one self-contained HTML page for a person (``DIR/report.html``).

``render_report`` returns the page as a string; ``write_report`` writes it. Both take the scan's
summary and the records of ``accounts.jsonl`` and ``clusters.jsonl`` (CONTRACTS.md §2). See
docs/report.md for what each section shows.
"""

from distillguard.report.html import render_report, write_report

__all__ = ["render_report", "write_report"]
