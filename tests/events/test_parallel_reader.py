"""Reading in a child process gives the same batches and the same report as reading in-process."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa

from distillguard.events import ReadReport, read_events, write_jsonl
from distillguard.events.parallel import _shared_memory_dir, read_events_parallel, read_events_shared


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


def test_shared_work_gives_the_signals_computed_here(tmp_path: Path) -> None:
    """With no free worker the child computes every batch's signals itself; they match the in-process ones."""
    from concurrent.futures import ThreadPoolExecutor

    from distillguard.signals.request import request_signals

    log = tmp_path / "log.jsonl"
    write_jsonl(_records(2500), log)
    report = ReadReport()
    with ThreadPoolExecutor(max_workers=1) as pool:
        pairs = list(read_events_shared([log], request_signals, pool, 0, report=report, batch_rows=1000))
    assert [b.num_rows for b, _ in pairs] == [1000, 1000, 500] and report.good == 2500
    for batch, future in pairs:
        assert future.done()
        _same_signals(future.result(), request_signals(batch))
    with ThreadPoolExecutor(max_workers=2) as pool:  # with free workers the signals are computed here
        again = list(read_events_shared([log], request_signals, pool, 2, batch_rows=1000))
    for batch, future in again:
        _same_signals(future.result(), request_signals(batch))


def _same_signals(a: pa.RecordBatch, b: pa.RecordBatch) -> None:
    assert a.schema == b.schema and a.num_rows == b.num_rows
    for name in a.schema.names:  # column by column: assert_array_equal counts NaN (no temperature) as equal
        np.testing.assert_array_equal(a.column(name).to_numpy(zero_copy_only=False),
                                      b.column(name).to_numpy(zero_copy_only=False), err_msg=name)


def test_stopping_early_ends_the_child_and_removes_its_files(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    write_jsonl(_records(5000), log)
    before = set(Path(_shared_memory_dir() or tempfile.gettempdir()).glob("distillguard-reader-*"))
    batches = read_events_parallel([log], batch_rows=500)
    first = next(batches)
    batches.close()  # the caller stops after one batch; the child is waiting for room
    assert first.num_rows == 500
    after = set(Path(_shared_memory_dir() or tempfile.gettempdir()).glob("distillguard-reader-*"))
    assert after <= before
