"""`distillguard validate`: the summary it prints and its exit codes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from distillguard.cli import main
from distillguard.events import write_jsonl, write_parquet

Record = Callable[..., dict[str, Any]]


def _validate(*args: str) -> Result:
    return CliRunner().invoke(main, ["validate", *args])


@pytest.fixture
def log_with_bad_lines(tmp_path: Path, make_record: Record) -> Path:
    """6 good lines (2 accounts, 2 endpoints, 2 models, 08:00:00..08:00:05) then 4 bad lines (7..10)."""
    path = tmp_path / "traffic.jsonl"
    records = [make_record(i, account_id=f"acct_{i % 2}") for i in range(5)]
    records.append(make_record(5, account_id="acct_1", endpoint="/v1/completions", model="small-1",
                               request={"prompt": "Once upon a time"}))
    write_jsonl(records, path)
    with path.open("ab") as f:
        f.write(b"this is not json\n")
        f.write(b"[1, 2]\n")
        f.write(b'{"request_id": "r", "timestamp": "2026-13-01T00:00:00Z", "account_id": "a", "request": {}}\n')
        f.write(b"{}\n")
    return path


def test_validate_prints_counts_span_endpoints_models_and_bad_lines(log_with_bad_lines: Path) -> None:
    result = _validate(str(log_with_bad_lines))
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert f"{log_with_bad_lines}: jsonl, 10 lines, 6 good, 4 bad, ok" in out
    assert "lines        10\n" in out
    assert "good lines   6\n" in out
    assert "bad lines    4\n" in out
    assert "accounts     2\n" in out
    assert "time span    2026-11-27T08:00:00.123000+00:00 .. 2026-11-27T08:00:05.123000+00:00 (0:00:05)" in out
    assert "endpoints    /v1/chat/completions 5, /v1/completions 1\n" in out
    assert "models       frontier-2 5, small-1 1\n" in out
    path = str(log_with_bad_lines)
    assert f"  {path}:7: invalid JSON:" in out
    assert f"  {path}:8: Expected `object`, got `array`\n" in out
    assert f"  {path}:9: Invalid RFC3339 encoded datetime - at `$.timestamp`\n" in out
    assert f"  {path}:10: Object missing required field `request_id`\n" in out
    assert "more" not in out
    assert result.stderr == ""


def test_validate_show_bad_lists_that_many_then_counts_the_rest(log_with_bad_lines: Path) -> None:
    result = _validate(str(log_with_bad_lines), "--show-bad", "2")
    assert result.exit_code == 0
    listed = [line for line in result.stdout.splitlines() if line.startswith(f"  {log_with_bad_lines}:")]
    assert [line.split(":")[1] for line in listed] == ["7", "8"]
    assert "  ... and 2 more\n" in result.stdout


def test_validate_show_bad_zero_only_counts(log_with_bad_lines: Path) -> None:
    result = _validate(str(log_with_bad_lines), "--show-bad", "0")
    assert result.exit_code == 0
    assert f"{log_with_bad_lines}:7:" not in result.stdout
    assert "  ... and 4 more\n" in result.stdout


def test_validate_reads_parquet_and_gzip_together(tmp_path: Path, make_record: Record) -> None:
    write_jsonl([make_record(i) for i in range(3)], tmp_path / "a.jsonl.gz")
    write_parquet([make_record(i) for i in range(3, 5)], tmp_path / "b.parquet")
    result = _validate(str(tmp_path / "a.jsonl.gz"), str(tmp_path / "b.parquet"))
    assert result.exit_code == 0, result.output
    assert f"{tmp_path / 'a.jsonl.gz'}: gzip, 3 lines, 3 good, 0 bad, ok" in result.stdout
    assert f"{tmp_path / 'b.parquet'}: parquet, 2 lines, 2 good, 0 bad, ok" in result.stdout
    assert "good lines   5\n" in result.stdout


def test_validate_empty_file_exits_0_with_no_events(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    result = _validate(str(path))
    assert result.exit_code == 0
    assert "time span    (no events)" in result.stdout
    assert "endpoints    (none)" in result.stdout


def test_validate_missing_file_exits_1_and_names_it_on_stderr(tmp_path: Path, make_record: Record) -> None:
    good = tmp_path / "good.jsonl"
    write_jsonl([make_record(1)], good)
    missing = tmp_path / "nope.jsonl.gz"
    result = _validate(str(good), str(missing))
    assert result.exit_code == 1
    assert f"error: cannot read {missing}: No such file or directory" in result.stderr
    assert "good lines   1\n" in result.stdout  # the other file was still read


def test_validate_not_json_file_exits_1_and_names_it_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "traffic.csv"
    path.write_text("request_id,timestamp,account_id\nreq_1,2026-11-27T08:58:35Z,acct_1\n")
    result = _validate(str(path))
    assert result.exit_code == 1
    assert f"error: cannot read {path}: no line is a valid log event" in result.stderr
    assert f"  {path}:1: invalid JSON:" in result.stdout


def test_validate_without_arguments_is_a_usage_error() -> None:
    result = _validate()
    assert result.exit_code == 2
    assert "Missing argument" in result.stderr
    assert "Usage:" in result.stderr
