"""The native JSON Lines decoder gives exactly the pure-Python path's rows, counts and bad-line reports.

The native decoder (events/native/fastdecode.c) decodes the lines it is sure about and hands every other
line to the Python path, so each test here reads the same file both ways and compares everything.
"""

from __future__ import annotations

import gzip
import json
import os
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from distillguard.events import EVENT_SCHEMA, ReadReport, read_events
from distillguard.events import reader as reader_module

pytestmark = pytest.mark.skipif(
    reader_module._fastdecode is None and os.environ.get("DISTILLGUARD_NATIVE_DECODE") == "0",
    reason="native decoder switched off",
)


def test_the_native_decoder_is_built_and_used() -> None:
    # ./dev builds it (setup.py); if this fails the C compiler or the build is broken, and scans run at
    # the pure-Python path's speed.
    assert reader_module._fastdecode is not None, "distillguard.events._fastdecode was not compiled"
    assert reader_module.NATIVE_DECODE


def _read(path: Path, native: bool, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> tuple[pa.Table, ReadReport]:
    monkeypatch.setattr(reader_module, "NATIVE_DECODE", native)
    report = ReadReport()
    batches = list(read_events([path], report=report, **kwargs))
    return pa.Table.from_batches(batches, schema=EVENT_SCHEMA), report


def _same_both_ways(path: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: Any) -> tuple[pa.Table, ReadReport]:
    fast, fast_report = _read(path, True, monkeypatch, **kwargs)
    slow, slow_report = _read(path, False, monkeypatch, **kwargs)
    for name in EVENT_SCHEMA.names:
        assert fast.column(name).to_pylist() == slow.column(name).to_pylist(), name
    assert fast.equals(slow)
    a, b = fast_report.files[0], slow_report.files[0]
    assert (a.lines, a.good, a.bad, a.blank, a.error is None) == (b.lines, b.good, b.bad, b.blank, b.error is None)
    assert [str(x) for x in a.bad_lines] == [str(x) for x in b.bad_lines]
    return fast, fast_report


BASE: dict[str, Any] = {
    "request_id": "req_1",
    "timestamp": "2026-11-02T05:47:44.760Z",
    "account_id": "acct_1",
    "org_id": "org_1",
    "api_key_id": "key_1",
    "client": {"ip": "10.0.0.1", "asn": 64512, "country": "DE", "user_agent": "python-requests/2.31"},
    "billing": {"payment_fingerprint": "pf_1", "account_created": "2026-10-01T00:00:00Z", "signup_channel": "web"},
    "endpoint": "/v1/chat/completions",
    "model": "frontier-1",
    "request": {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi ü 你好"}],
                "temperature": 0.7, "max_tokens": 100},
    "response": {"text": "Hello ü 你好", "finish_reason": "stop", "reasoning_tokens": 12},
    "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    "status": 200,
}


def _with(path: str, value: Any) -> dict[str, Any]:
    """BASE with one field set (``a.b`` for nested; the value ``...`` removes the field)."""
    record = json.loads(json.dumps(BASE))
    *parents, last = path.split(".")
    target = record
    for key in parents:
        target = target.setdefault(key, {})
    if value is ...:
        target.pop(last, None)
    else:
        target[last] = value
    return record


VARIANTS: list[tuple[str, Any]] = [
    # timestamps: the forms the native decoder reads, and those it leaves to msgspec
    ("timestamp", "2026-11-02T05:47:44Z"), ("timestamp", "2026-11-02t05:47:44.5z"),
    ("timestamp", "2026-11-02 05:47:44.123456+05:30"), ("timestamp", "2026-11-02T05:47:44-07:00"),
    ("timestamp", "2026-11-02T05:47:44"), ("timestamp", "1969-12-31T23:59:59.9995Z"),
    ("timestamp", "2024-02-29T00:00:00Z"), ("timestamp", "2026-02-29T00:00:00Z"), ("timestamp", "2026-11-02T05:47Z"),
    ("timestamp", "2026-11-02T05:47:44.1234567Z"), ("timestamp", "2026-11-02T05:47:44+0530"),
    ("timestamp", "2026-11-02T24:00:00Z"), ("timestamp", "2026-11-02T23:59:60Z"), ("timestamp", 1793598464),
    ("timestamp", None), ("timestamp", ...), ("billing.account_created", None), ("billing.account_created", "x"),
    # required and typed fields
    ("request_id", None), ("request_id", 5), ("account_id", ...), ("request", None), ("request", []),
    ("client.asn", 2**63 - 1), ("client.asn", 2**63), ("client.asn", -(2**63)), ("client.asn", 1.0),
    ("client.asn", True), ("client.asn", "64512"), ("status", 2**31), ("status", -(2**31)), ("status", None),
    ("client", None), ("client", "x"), ("client.extra_field", 1), ("billing", None), ("response", None),
    ("response.text", None), ("response.text", ""), ("response.text", 7), ("usage.total_tokens", "x"),
    ("usage.completion_tokens_details", {"reasoning_tokens": 3}), ("usage.new_counter", 1), ("new_top", {"a": 1}),
    ("new_top", None), ("endpoint", None), ("model", 3),
    # request parameters
    ("request.temperature", 1), ("request.temperature", 1e308), ("request.temperature", "hot"),
    ("request.temperature", None), ("request.top_p", 0.1), ("request.n", 8), ("request.n", 2**31),
    ("request.n", 1.5), ("request.max_tokens", None), ("request.max_completion_tokens", 50),
    ("request.max_output_tokens", 60), ("request.seed", -5), ("request.seed", 2**64), ("request.logprobs", True),
    ("request.logprobs", False), ("request.logprobs", 5), ("request.logprobs", 0), ("request.logprobs", "yes"),
    ("request.top_logprobs", 3), ("request.logit_bias", {"50256": -100, "11": 2.5}), ("request.logit_bias", {}),
    ("request.logit_bias", {"1": "x"}), ("request.logit_bias", {"1": None}), ("request.logit_bias", [1]),
    ("request.logit_bias", {str(i): 1 for i in range(100)}), ("request.reasoning_effort", "high"),
    ("request.reasoning", {"effort": "low"}), ("request.reasoning", {"effort": 3}), ("request.reasoning", "x"),
    ("request.tools", [{"type": "function", "function": {"name": "get_weather"}}, {"name": "old"}, "x",
                       {"function": "notadict", "name": "fallback"}, {"function": {"name": ""}}, {"function": {}}]),
    ("request.tools", []), ("request.functions", [{"name": "f1"}, {"name": "f2"}]), ("request.tools", {"a": 1}),
    ("request.tool_choice", {"type": "function", "function": {"name": "x"}}), ("request.stop", ["\n", "END"]),
    ("request.stream", True), ("request.stream", 1), ("request.parallel_tool_calls", "no"), ("request.user", "u1"),
    ("request.user", 5), ("request.unknown_param", 1), ("request.metadata", {"deep": [1, {"x": None}]}),
    ("request.instructions", "Answer in French."), ("request.instructions", ""), ("request.instructions", 3),
    # conversations
    ("request.messages", []), ("request.messages", None), ("request.messages", "hi"), ("request.messages", [1]),
    ("request.messages", [{"content": "no role"}]), ("request.messages", [{"role": 1, "content": "x"}]),
    ("request.messages", [{"role": "user", "content": None}]),
    ("request.messages", [{"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url",
                           "image_url": {"url": "x"}}, {"text": "b"}, {"type": "text", "text": None}]}]),
    ("request.messages", [{"role": "user", "content": [{"type": 3, "text": "a"}]}]),
    ("request.messages", [{"role": "user", "content": ["a"]}]),
    ("request.messages", [{"role": "user", "content": 5}]),
    ("request.messages", [{"role": "developer", "content": ""}, {"role": "system", "content": [{"text": "s"}]},
                          {"role": "user", "content": "q1"}, {"role": "assistant", "content": None,
                           "tool_calls": [{"id": "t"}]}, {"role": "tool", "content": "42", "tool_call_id": "t"},
                          {"role": "function", "content": "x"}, {"role": "user", "content": "q2", "name": "n"}]),
    ("request.messages", [{"role": "assistant", "content": "only"}]),
    ("request.prompt", "a completion prompt"),
]


def _no_messages(**request: Any) -> dict[str, Any]:
    record = _with("request", dict(request))
    return record


EXTRA_RECORDS: list[dict[str, Any]] = [
    _no_messages(prompt="complete this"), _no_messages(prompt=["a", "b", "ü"]), _no_messages(prompt=[]),
    _no_messages(prompt=["a", 1]), _no_messages(prompt=None), _no_messages(), _no_messages(input="responses api"),
    _no_messages(input=[{"role": "user", "content": "via input"}], instructions="sys"),
    _no_messages(input=[]), _no_messages(input=[{"role": "user"}], messages=[{"role": "user", "content": "m"}]),
    _no_messages(input=[{"role": "user", "content": "i"}], messages=[{"role": "user", "content": "m"}]),
    _no_messages(prompt="p", input="i"), _no_messages(input=5),
]


def _lines() -> list[bytes]:
    lines = [json.dumps(_with(path, value), ensure_ascii=False).encode() for path, value in VARIANTS]
    lines += [json.dumps(r).encode() for r in EXTRA_RECORDS]
    good = json.dumps(BASE).encode()
    lines += [
        b"", b"   ", b"\t\r", b"\x0c", b"not json", b"[1, 2]", b"null", b'"text"', good[:-5], good + b" trailing",
        good.replace(b'"acct_1"', b'"acct_\xff"'), b"\xef\xbb\xbf" + good, good.replace(b'"Be brief."', b'"\\ud800"'),
        good.replace(b'"Be brief."', b'"\\ud83d\\ude00 \\u00fc \\n\\t\\"q\\""'),
        good.replace(b'"req_1",', b'"req_1", "request_id": "req_2",'),
        good.replace(b'"temperature": 0.7', b'"temperature": 0.7, "temperature": 0.9'),
        good.replace(b'"ip": "10.0.0.1"', b'"ip": "10.0.0.1", "ip": "10.0.0.2"'),
        good.replace(b'"temperature": 0.7', b'"temperature": 1e400'),
        good.replace(b'"temperature": 0.7', b'"temperature": NaN'),
        good.replace(b'"status": 200', b'"status": 200.0'),
        good.replace(b'"status": 200', b'"status": -0'),
        good.replace(b'"max_tokens": 100', b'"max_tokens": 100000000000000000000000'),
        good.replace(b'"max_tokens": 100', b'"max_tokens": 100, "metadata": 123456789012345678901234567890'),
        good + b"\r",
    ]
    return lines


def test_every_variant_decodes_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "variants.jsonl"
    path.write_bytes(b"\n".join(_lines()) + b"\n")
    table, report = _same_both_ways(path, monkeypatch)
    # the file mixes lines of every kind: make sure the comparison covered good, bad and blank lines, and that
    # most good lines were the native decoder's own (not all handed back)
    _, lines, _, others = reader_module._fastdecode.decode(path.read_bytes(), 0, True, 10**6, 1 << 30, 1 << 20)
    handed_back = sum(1 for _, kind, _, _ in others if kind == 1)
    print(table.num_rows, report.bad, report.files[0].blank, lines, handed_back)
    assert table.num_rows == 76 and report.bad == 63 and report.files[0].blank == 4
    assert lines - handed_back - 4 >= 50


def test_shuffled_lines_in_small_batches_and_gzip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = _lines() * 5
    random.Random(7).shuffle(lines)
    data = b"\n".join(lines)  # no newline at the end: the last line is still read
    for name, write in (("t.jsonl", Path.write_bytes), ("t.jsonl.gz", lambda p, d: p.write_bytes(gzip.compress(d)))):
        path = tmp_path / name
        write(path, data)
        table, _ = _same_both_ways(path, monkeypatch, batch_rows=7)
        assert table.num_rows == 5 * 76


def test_random_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Records built at random from the variants' values, several changed at once."""
    rng = random.Random(11)
    records = []
    for _ in range(3000):
        record = json.loads(json.dumps(BASE))
        for path, value in rng.sample(VARIANTS, rng.randint(0, 4)):
            *parents, last = path.split(".")
            target = record
            for key in parents:
                if not isinstance(target.get(key), dict):
                    target[key] = {}
                target = target[key]
            if value is ...:
                target.pop(last, None)
            else:
                target[last] = value
        records.append(json.dumps(record, ensure_ascii=rng.random() < 0.5).encode())
    path = tmp_path / "random.jsonl"
    path.write_bytes(b"\n".join(records) + b"\n")
    table, report = _same_both_ways(path, monkeypatch, batch_rows=256)
    assert table.num_rows > 500 and report.bad > 500


def test_long_lines_are_reported_and_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = json.dumps(BASE).encode()
    long = json.dumps(_with("request.messages", [{"role": "user", "content": "x" * 5000}])).encode()
    path = tmp_path / "long.jsonl"
    monkeypatch.setattr(reader_module, "NATIVE_CHUNK", 1000)  # the long line spans several reads
    path.write_bytes(b"\n".join([good, long, good, long, long, good, long]))
    table, report = _same_both_ways(path, monkeypatch, max_line_bytes=len(good) + 10)
    assert table.num_rows == 3
    assert [b.line for b in report.bad_lines] == [2, 4, 5, 7]
