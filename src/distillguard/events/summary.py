"""A one-pass summary of a traffic log: what ``distillguard validate`` prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa
import pyarrow.compute as pc


@dataclass
class LogSummary:
    """Counts folded from EVENT_SCHEMA batches; ``add`` one batch at a time."""

    events: int = 0
    accounts: set[str] = field(default_factory=set)
    first: datetime | None = None
    last: datetime | None = None
    endpoints: Counter[str] = field(default_factory=Counter)
    models: Counter[str] = field(default_factory=Counter)

    def add(self, batch: pa.RecordBatch) -> None:
        if batch.num_rows == 0:
            return
        self.events += batch.num_rows
        self.accounts.update(pc.unique(batch.column("account_id")).to_pylist())
        span = pc.min_max(batch.column("timestamp")).as_py()
        lo, hi = span["min"], span["max"]
        self.first = lo if self.first is None or lo < self.first else self.first
        self.last = hi if self.last is None or hi > self.last else self.last
        for name, counter in (("endpoint", self.endpoints), ("model", self.models)):
            for item in pc.value_counts(batch.column(name)).to_pylist():
                counter[item["values"] or "(none)"] += item["counts"]


def summarize(batches: Iterable[pa.RecordBatch]) -> LogSummary:
    summary = LogSummary()
    for batch in batches:
        summary.add(batch)
    return summary
