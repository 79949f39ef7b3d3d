"""Bad input: a bad line is reported (line number, reason) and skipped; the lines around it are read."""

from __future__ import annotations

import gzip
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from distillguard.events import (
    EVENT_SCHEMA,
    BadLine,
    ReadReport,
    read_events,
    read_table,
    write_jsonl,
    write_parquet,
)

Record = Callable[..., dict[str, Any]]


def _line(record: dict[str, Any]) -> bytes:
    return msgspec.json.encode(record) + b"\n"


def _read(path: Path, **kwargs: Any) -> tuple[pa.Table, ReadReport]:
    report = ReadReport()
    batches = list(read_events([path], report=report, **kwargs))
    return pa.Table.from_batches(batches, schema=EVENT_SCHEMA), report


def _without(record: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != key}


def _good() -> dict[str, Any]:
    return {"request_id": "req_x", "timestamp": "2026-11-27T08:58:35Z", "account_id": "acct_x",
            "request": {"messages": [{"role": "user", "content": "hi"}]}}


def _with(**fields: Any) -> bytes:
    return _line({**_good(), **fields})


def _with_request(**fields: Any) -> bytes:
    good = _good()
    return _line({**good, "request": {**good["request"], **fields}})


# (bad line, substrings its reason must contain)
BAD_LINES: dict[str, tuple[bytes, list[str]]] = {
    "truncated_json": (b'{"request_id": "req_x", "timestamp": "2026-11-27T08:58:35Z", "acc\n',
                       ["invalid JSON", "malformed"]),
    # The typed decoder stops at the unknown field first; the rest is truncated.
    "truncated_json_after_unknown_field": (b'{"trace": 1, "request_id": "req_x", "timest\n',
                                           ["invalid JSON", "malformed"]),
    "trailing_garbage": (_with()[:-1] + b" xyz\n", ["invalid JSON", "trailing characters"]),
    "account_id_int": (_with(account_id=1042), ["Expected `str`, got `int`", "$.account_id"]),
    "account_id_int_with_unknown_field": (_with(account_id=1042, trace="t"), ["Expected `str`, got `int`",
                                                                             "$.account_id"]),
    "temperature_string": (_with_request(temperature="0.7"), ["got `str`", "$.request.temperature"]),
    "messages_not_a_list": (_with_request(messages="hi"), ["got `str`", "$.request.messages"]),
    "message_without_role": (_with_request(messages=[{"content": "hi"}]), ["missing required field `role`",
                                                                           "$.request.messages[0]"]),
    "missing_request_id": (_line(_without(_good(), "request_id")), ["missing required field `request_id`"]),
    "missing_timestamp": (_line(_without(_good(), "timestamp")), ["missing required field `timestamp`"]),
    "missing_account_id": (_line(_without(_good(), "account_id")), ["missing required field `account_id`"]),
    "missing_request": (_line(_without(_good(), "request")), ["missing required field `request`"]),
    "request_null": (_with(request=None), ["got `null`", "$.request"]),
    "neither_messages_nor_prompt": (_with(request={"temperature": 0.2}), ["neither `messages` nor `prompt`"]),
    "neither_messages_nor_prompt_with_unknown_field": (_with(request={"foo": 1}),
                                                       ["neither `messages` nor `prompt`"]),
    "empty_messages": (_with_request(messages=[]), ["request.messages is empty"]),
    "timestamp_month_13": (_with(timestamp="2026-13-01T00:00:00Z"), ["Invalid RFC3339", "$.timestamp"]),
    "timestamp_not_a_date": (_with(timestamp="yesterday"), ["Invalid RFC3339", "$.timestamp"]),
    "timestamp_number": (_with(timestamp=1764233915), ["Expected `datetime`, got `int`", "$.timestamp"]),
    "account_created_invalid": (_with(billing={"account_created": "2026-02-30"}), ["$.billing.account_created"]),
    "json_array": (b'[{"request_id": "req_x"}]\n', ["Expected `object`, got `array`"]),
    "json_number": (b"42\n", ["Expected `object`, got `int`"]),
    "json_string": (b'"just a string"\n', ["Expected `object`, got `str`"]),
    "json_null": (b"null\n", ["Expected `object`, got `null`"]),
    # Values the Arrow columns cannot hold: used to fail the whole batch, now one bad line each.
    "seed_beyond_int64": (_with_request(seed=2**64 - 1), ["<= 9223372036854775807", "$.request.seed"]),
    "n_beyond_int32": (_with_request(n=2**40), ["<= 2147483647", "$.request.n"]),
    "status_beyond_int32_with_unknown_field": (_with(status=2**35, trace="t"), ["<= 2147483647", "$.status"]),
}


@pytest.mark.parametrize("bad_line, reason_parts", BAD_LINES.values(), ids=BAD_LINES.keys())
def test_bad_line_is_reported_with_line_number_and_reason_and_neighbours_are_read(
    tmp_path: Path, make_record: Record, bad_line: bytes, reason_parts: list[str]
) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(_line(make_record(1)) + _line(make_record(2)) + bad_line + _line(make_record(4)))
    table, report = _read(path)
    assert table.column("request_id").to_pylist() == ["req_000001", "req_000002", "req_000004"]
    (f,) = report.files
    assert (f.lines, f.good, f.bad, f.blank, f.error, f.unreadable) == (4, 3, 1, 0, None, False)
    (bad,) = f.bad_lines
    assert (bad.path, bad.line) == (str(path), 3)
    for part in reason_parts:
        assert part in bad.reason, f"{part!r} not in {bad.reason!r}"
    assert str(bad) == f"{path}:3: {bad.reason}"


def test_truncated_last_line_without_newline_is_reported_as_truncated(tmp_path: Path, make_record: Record) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(_line(make_record(1)) + _line(make_record(2))[:40])  # a writer killed mid-line
    table, report = _read(path)
    assert table.column("request_id").to_pylist() == ["req_000001"]
    assert [(b.line, b.reason) for b in report.bad_lines] == [(2, "invalid JSON: Input data was truncated")]


def test_invalid_utf8_in_a_string_is_reported_with_its_byte_offset(tmp_path: Path, make_record: Record) -> None:
    bad = b'{"request_id": "req_\xff", "timestamp": "2026-11-27T08:58:35Z"}\n'
    bad_after_unknown = b'{"zz": 1, "request_id": "req_\xfe"}\n'
    assert (bad.index(b"\xff"), bad_after_unknown.index(b"\xfe")) == (20, 29)
    path = tmp_path / "t.jsonl"
    path.write_bytes(_line(make_record(1)) + bad + bad_after_unknown + _line(make_record(4)))
    table, report = _read(path)
    assert table.column("request_id").to_pylist() == ["req_000001", "req_000004"]
    assert [(b.line, b.reason) for b in report.bad_lines] == [
        (2, "invalid UTF-8 at byte offset 20 of the line"),
        (3, "invalid UTF-8 at byte offset 29 of the line"),
    ]


def test_invalid_utf8_outside_strings_is_invalid_json(tmp_path: Path, make_record: Record) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(_line(make_record(1)) + b"\xff\xfe{}\n" + _line(make_record(3)))
    table, report = _read(path)
    assert table.num_rows == 2
    (bad,) = report.bad_lines
    assert bad.line == 2
    assert bad.reason.startswith("invalid JSON")


def test_valid_5mb_line_is_read(tmp_path: Path, make_record: Record) -> None:
    big = "x" * (5 << 20)
    path = tmp_path / "t.jsonl"
    path.write_bytes(_line(make_record(1, request={"messages": [{"role": "user", "content": big}]}))
                     + _line(make_record(2)))
    table, report = _read(path)
    assert report.bad == 0
    assert table.column("context_chars").to_pylist() == [len(big), len("question 2")]
    assert table.column("prompt")[0].as_py() == big


@pytest.mark.parametrize("name", ["t.jsonl", "t.jsonl.gz"])
def test_line_over_max_line_bytes_is_reported_as_too_long_and_the_next_line_is_read(
    tmp_path: Path, make_record: Record, name: str
) -> None:
    big = _line(make_record(2, request={"messages": [{"role": "user", "content": "x" * (5 << 20)}]}))
    data = _line(make_record(1)) + big + _line(make_record(3)) + big.rstrip(b"\n")  # last line: no newline
    path = tmp_path / name
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    table, report = _read(path, max_line_bytes=1 << 20)
    assert table.column("request_id").to_pylist() == ["req_000001", "req_000003"]
    assert [(b.line, b.reason) for b in report.bad_lines] == [
        (2, "line longer than 1048576 bytes"),
        (4, "line longer than 1048576 bytes"),
    ]
    assert (report.lines, report.good, report.bad) == (4, 2, 2)


def test_max_line_bytes_counts_the_line_without_its_newline(tmp_path: Path, make_record: Record) -> None:
    line = _line(make_record(1))
    limit = len(line) - 1  # the line's bytes without "\n"
    path = tmp_path / "t.jsonl"
    path.write_bytes(line + _line(make_record(22)))  # the second line is one byte longer
    _, report = _read(path, max_line_bytes=limit)
    assert (report.good, [b.line for b in report.bad_lines]) == (1, [2])


@pytest.mark.parametrize("name", ["empty.jsonl", "empty.jsonl.gz", "empty.parquet"])
def test_empty_file_has_no_lines_and_is_not_unreadable(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(b""))
    elif name.endswith(".parquet"):
        write_parquet([], path)
    else:
        path.write_bytes(b"")
    table, report = _read(path)
    (f,) = report.files
    assert table.num_rows == 0
    assert (f.lines, f.good, f.bad, f.blank, f.error, f.unreadable) == (0, 0, 0, 0, None, False)
    assert report.unreadable == []


def test_blank_lines_are_counted_as_blank_not_bad(tmp_path: Path, make_record: Record) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"\n" + _line(make_record(2)) + b"\n   \n\t\r\n" + _line(make_record(6)) + b"\n")
    table, report = _read(path)
    (f,) = report.files
    assert table.num_rows == 2
    assert (f.lines, f.good, f.bad, f.blank, f.unreadable) == (7, 2, 0, 5, False)


def test_crlf_line_endings_are_read(tmp_path: Path, make_record: Record) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(_line(make_record(1)).replace(b"\n", b"\r\n") * 3)
    _, report = _read(path)
    assert (report.good, report.bad) == (3, 0)


def test_random_binary_file_is_unreadable_with_every_line_bad(tmp_path: Path) -> None:
    path = tmp_path / "noise.jsonl"
    path.write_bytes(b"\x00\x01" + random.Random(7).randbytes(20_000))
    _, report = _read(path)
    (f,) = report.files
    assert f.format == "jsonl"
    assert f.good == 0
    assert f.bad > 0
    assert f.bad == f.lines - f.blank
    assert f.unreadable
    assert all(b.reason.startswith(("invalid JSON", "invalid UTF-8", "Expected `object`")) for b in f.bad_lines)


def test_csv_file_is_unreadable_with_every_line_bad(tmp_path: Path) -> None:
    path = tmp_path / "traffic.csv"
    path.write_text("request_id,timestamp,account_id\nreq_1,2026-11-27T08:58:35Z,acct_1\n"
                    "req_2,2026-11-27T08:58:36Z,acct_2\n")
    _, report = _read(path)
    (f,) = report.files
    assert (f.lines, f.good, f.bad, f.unreadable) == (3, 0, 3, True)
    assert [b.line for b in f.bad_lines] == [1, 2, 3]
    assert all(b.reason.startswith("invalid JSON") for b in f.bad_lines)


def test_missing_file_sets_error_and_other_files_are_still_read(tmp_path: Path, make_record: Record) -> None:
    good = tmp_path / "good.jsonl"
    write_jsonl([make_record(i) for i in range(3)], good)
    missing = tmp_path / "missing.jsonl.gz"
    report = ReadReport()
    table = read_table([missing, good], report=report)
    assert table.num_rows == 3
    gone, ok = report.files
    assert gone.path == str(missing)
    assert gone.error is not None and "No such file" in gone.error
    assert gone.unreadable
    assert (ok.good, ok.error, ok.unreadable) == (3, None, False)
    assert report.unreadable == [gone]


def test_directory_instead_of_file_sets_error(tmp_path: Path) -> None:
    report = ReadReport()
    assert read_table([tmp_path], report=report).num_rows == 0
    assert report.files[0].error is not None
    assert report.files[0].unreadable


def _gzip_log(tmp_path: Path, make_record: Record, n: int) -> tuple[Path, bytes]:
    path = tmp_path / "t.jsonl.gz"
    # Varied text so that the compressed stream is long enough to cut in the middle.
    rng = random.Random(1)
    write_jsonl([make_record(i, request={"messages": [{"role": "user", "content": rng.randbytes(60).hex()}]})
                 for i in range(n)], path)
    return path, path.read_bytes()


def test_truncated_gzip_keeps_lines_before_the_cut_and_says_where_it_stopped(
    tmp_path: Path, make_record: Record
) -> None:
    path, data = _gzip_log(tmp_path, make_record, 2000)
    path.write_bytes(data[: len(data) // 2])
    table, report = _read(path)
    (f,) = report.files
    ids = table.column("request_id").to_pylist()
    assert 500 < len(ids) < 2000
    assert ids == [f"req_{i:06d}" for i in range(len(ids))]  # a clean prefix
    assert f.error is not None
    assert f.error.startswith(f"stopped after line {f.lines}:")
    assert "end-of-stream" in f.error
    assert not f.unreadable


def test_corrupt_gzip_keeps_lines_before_the_corruption_and_reports_an_error(
    tmp_path: Path, make_record: Record
) -> None:
    path, data = _gzip_log(tmp_path, make_record, 2000)
    middle = len(data) // 2
    path.write_bytes(data[:middle] + bytes(b ^ 0xFF for b in data[middle : middle + 64]) + data[middle + 64 :])
    table, report = _read(path)
    (f,) = report.files
    ids = table.column("request_id").to_pylist()
    assert len(ids) > 500
    assert ids[:500] == [f"req_{i:06d}" for i in range(500)]
    assert f.error is not None
    assert f.error.startswith("stopped after line ")


def test_file_with_gzip_magic_but_no_gzip_stream_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(b"\x1f\x8b" + b"this is not deflate" * 10)
    _, report = _read(path)
    (f,) = report.files
    assert f.format == "gzip"
    assert f.error is not None and f.error.startswith("stopped after line 0:")
    assert f.unreadable


def test_parquet_without_required_columns_reports_every_row(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"account_id": ["acct_1", "acct_2"], "bytes": [10, 20]}), path)
    _, report = _read(path)
    (f,) = report.files
    assert (f.format, f.lines, f.good, f.bad, f.unreadable) == ("parquet", 2, 0, 2, True)
    assert [b.line for b in f.bad_lines] == [1, 2]
    assert all("missing required field `request_id`" in b.reason for b in f.bad_lines)


def test_parquet_with_a_bad_row_reports_it_and_reads_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    req = {"messages": [{"role": "user", "content": "hi"}], "prompt": None}
    pq.write_table(pa.table({
        "request_id": ["r1", "r2", "r3"],
        "timestamp": pa.array([0, 1000, 2000], pa.timestamp("ms", tz="UTC")),
        "account_id": ["a", "b", "c"],
        "request": [req, {"messages": [], "prompt": None}, req],
    }), path)
    table, report = _read(path)
    assert table.column("request_id").to_pylist() == ["r1", "r3"]
    assert [(b.line, b.reason) for b in report.bad_lines] == [(2, "request.messages is empty")]


def test_corrupt_parquet_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "t.parquet"
    path.write_bytes(b"PAR1" + b"\x00" * 100)
    _, report = _read(path)
    (f,) = report.files
    assert f.format == "parquet"
    assert f.error is not None and f.error.startswith("not a readable Parquet file")
    assert f.unreadable


def test_only_the_first_thousand_bad_lines_are_kept_but_all_are_counted(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(b"{nope\n" * 1500)
    _, report = _read(path)
    assert report.bad == 1500
    assert len(report.bad_lines) == 1000
    assert report.bad_lines[-1] == BadLine(str(path), 1000, report.bad_lines[-1].reason)

