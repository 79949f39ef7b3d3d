"""Reading in a child process gives the same batches and the same report as reading in-process."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from distillguard.events import ReadReport, read_events, write_jsonl
from distillguard.events.parallel import read_events_parallel


def _records(n: int) -> list[dict]:
    return [{"request_id": f"r{i}", "timestamp": "2026-11-27T08:00:00Z", "account_id": f"a{i % 7}",
             "request": {"messages": [{"role": "user", "content": f"question {i}"}]}} for i in range(n)]


def test_same_batches_and_report_as_in_process(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl.gz"
    write_jsonl(_records(2500), log)
    with log.open("ab") as f:  # a bad line appended as a second gzip member
        import gzip

        f.write(gzip.compress(b"{not json\n"))
    here, there = ReadReport(), ReadReport()
    seen: list[int] = []
    local = pa.Table.from_batches(list(read_events([log, tmp_path / "missing.jsonl"], report=here, batch_rows=1000)))
    remote = pa.Table.from_batches(list(read_events_parallel([log, tmp_path / "missing.jsonl"], report=there,
                                                             batch_rows=1000, progress=seen.append)))
    assert remote.equals(local) and remote.num_rows == 2500
    assert (there.good, there.bad, len(there.unreadable)) == (here.good, here.bad, len(here.unreadable)) == (2500, 1, 1)
    assert [str(b) for b in there.bad_lines] == [str(b) for b in here.bad_lines]
    assert sum(seen) == log.stat().st_size
