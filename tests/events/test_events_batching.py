"""Bounded memory (batches), format sniffing by content, and progress reporting."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from distillguard.events import EVENT_SCHEMA, ReadReport, read_events, write_jsonl, write_parquet
from distillguard.events import reader as reader_module

Record = Callable[..., dict[str, Any]]


def _write(records: list[dict[str, Any]], path: Path) -> None:
    (write_parquet if path.suffix == ".parquet" else write_jsonl)(records, path)


@pytest.mark.parametrize("name", ["t.jsonl", "t.jsonl.gz", "t.parquet"])
def test_batch_rows_splits_1050_lines_into_11_batches(tmp_path: Path, make_record: Record, name: str) -> None:
    path = tmp_path / name
    _write([make_record(i) for i in range(1050)], path)
    batches = list(read_events([path], batch_rows=100))
    assert [b.num_rows for b in batches] == [100] * 10 + [50]
    assert all(b.schema == EVENT_SCHEMA for b in batches)
    ids = [i for b in batches for i in b.column("request_id").to_pylist()]
    assert ids == [f"req_{i:06d}" for i in range(1050)]


def test_batches_count_good_rows_only(tmp_path: Path, make_record: Record) -> None:
    path = tmp_path / "t.jsonl"
    write_jsonl([make_record(i) for i in range(250)], path)
    with path.open("ab") as f:
        f.write(b"not json\n" * 30)
    report = ReadReport()
    batches = list(read_events([path], report=report, batch_rows=100))
    assert [b.num_rows for b in batches] == [100, 100, 50]
    assert (report.good, report.bad) == (250, 30)


def test_batches_are_also_flushed_by_bytes(
    tmp_path: Path, make_record: Record, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Long lines: a batch is flushed when its lines reach DEFAULT_BATCH_BYTES, before batch_rows.
    monkeypatch.setattr(reader_module, "DEFAULT_BATCH_BYTES", 10_000)
    path = tmp_path / "t.jsonl"
    records = [make_record(i, request={"messages": [{"role": "user", "content": "y" * 900}]}) for i in range(100)]
    write_jsonl(records, path)
    batches = list(read_events([path], batch_rows=1000))
    assert sum(b.num_rows for b in batches) == 100
    assert len(batches) >= 9
    assert max(b.num_rows for b in batches) <= 11


def test_zero_good_lines_yield_no_batches(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"{}\n[]\n")
    assert list(read_events([path])) == []


@pytest.mark.parametrize(
    ("written_as", "named", "expected_format"),
    [
        ("t.jsonl.gz", "gzip_named.jsonl", "gzip"),
        ("t.jsonl.gz", "gzip_without_extension", "gzip"),
        ("t.jsonl", "plain_named.jsonl.gz", "jsonl"),
        ("t.jsonl", "plain_named.parquet", "jsonl"),
        ("t.parquet", "parquet_named.jsonl", "parquet"),
    ],
)
def test_format_is_sniffed_from_content_not_name(
    tmp_path: Path, make_record: Record, written_as: str, named: str, expected_format: str
) -> None:
    source = tmp_path / written_as
    _write([make_record(i) for i in range(5)], source)
    target = tmp_path / named
    shutil.move(source, target)
    report = ReadReport()
    rows = sum(b.num_rows for b in read_events([target], report=report))
    assert rows == 5
    assert (report.files[0].format, report.good, report.bad) == (expected_format, 5, 0)


def test_concatenated_gzip_members_are_read_as_one_stream(tmp_path: Path, make_record: Record) -> None:
    first, second = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl.gz"
    write_jsonl([make_record(i) for i in range(3)], first)
    write_jsonl([make_record(i) for i in range(3, 7)], second)
    both = tmp_path / "both.jsonl.gz"
    both.write_bytes(first.read_bytes() + second.read_bytes())  # like `cat a.gz b.gz`
    report = ReadReport()
    ids = [i for b in read_events([both], report=report) for i in b.column("request_id").to_pylist()]
    assert ids == [f"req_{i:06d}" for i in range(7)]
    assert report.files[0].error is None


@pytest.mark.parametrize("name", ["t.jsonl", "t.jsonl.gz"])
def test_progress_adds_up_to_the_file_size(tmp_path: Path, make_record: Record, name: str) -> None:
    path = tmp_path / name
    write_jsonl([make_record(i) for i in range(3000)], path)
    seen: list[int] = []
    list(read_events([path], batch_rows=500, progress=seen.append))
    assert sum(seen) == path.stat().st_size
    assert len(seen) > 1

