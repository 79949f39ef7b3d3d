"""Round trips: the same contract records written as JSONL, gzip'd JSONL and Parquet read back equal."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from distillguard.events import EVENT_SCHEMA, ReadReport, read_table, write_jsonl, write_parquet

FORMATS = ("jsonl", "jsonl.gz", "parquet")


def _rec(name: str, request: dict[str, Any] | None = None, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "request_id": f"req_{name}",
        "timestamp": "2026-11-27T08:58:35.123Z",
        "account_id": "acct_1",
        "endpoint": "/v1/chat/completions",
        "model": "frontier-2",
        "request": request if request is not None else {"messages": [{"role": "user", "content": f"ask {name}"}]},
    }
    record.update(fields)
    return record


def varied_records() -> list[dict[str, Any]]:
    """Twenty records covering the shapes the contract allows."""
    return [
        # The example from CONTRACTS.md §1, every object present.
        _rec(
            "full",
            {
                "messages": [{"role": "system", "content": "You are terse."},
                             {"role": "user", "content": "What is 2+2?"}],
                "temperature": 0.7, "top_p": 1.0, "n": 1, "max_tokens": 1024, "seed": None,
                "logprobs": False, "top_logprobs": None, "reasoning_effort": "high", "tools": [],
            },
            account_id="acct_1042", org_id="org_77", api_key_id="key_9f2",
            client={"ip": "203.0.113.7", "asn": 64500, "country": "SG", "user_agent": "python-httpx/0.27"},
            billing={"payment_fingerprint": "pf_ab12", "account_created": "2026-10-01T00:00:00Z",
                     "signup_channel": "startup-program"},
            response={"text": "4", "finish_reason": "stop", "reasoning_tokens": 812},
            usage={"prompt_tokens": 53, "completion_tokens": 912},
            status=200,
        ),
        # Content as a list of parts, one of them not text; temperature as an int.
        _rec("parts", {
            "messages": [{"role": "user", "content": [
                {"type": "text", "text": "Describe"},
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
                {"type": "text", "text": "this image"},
            ]}],
            "temperature": 1,
        }),
        # Multi-turn with system, developer, assistant (incl. a tool call without content) and tool messages.
        _rec("multi_turn", {"messages": [
            {"role": "system", "content": "Be careful."},
            {"role": "developer", "content": "Cite sources."},
            {"role": "user", "content": "first q"},
            {"role": "assistant", "content": "first a"},
            {"role": "assistant", "tool_calls": [{"id": "c1", "type": "function",
                                                  "function": {"name": "weather", "arguments": "{}"}}]},
            {"role": "tool", "content": "72F", "tool_call_id": "c1"},
            {"role": "user", "content": "second q"},
        ]}),
        # Completion style, with an int `logprobs` and a request field the contract does not know (`echo`).
        _rec("completion", {"prompt": "Once upon a time", "max_tokens": 16, "logprobs": 5, "echo": True},
             endpoint="/v1/completions"),
        _rec("completion_list", {"prompt": ["first prompt", "second"]}, endpoint="/v1/completions"),
        # /v1/responses: `input` as a string and as a list of messages, with `instructions`.
        _rec("responses_str", {"input": "Summarise this", "instructions": "You are a summariser.",
                               "max_output_tokens": 300, "reasoning": {"effort": "medium", "summary": "auto"}},
             endpoint="/v1/responses"),
        _rec("responses_list", {"instructions": "Top-level rules.", "input": [
            {"role": "developer", "content": "Use French."},
            {"role": "user", "content": [{"type": "input_text", "text": "Bonjour"}]},
        ]}, endpoint="/v1/responses"),
        # Tool definitions: two named functions and one built-in tool without a name.
        _rec("tools", {
            "messages": [{"role": "user", "content": "weather in Oslo?"}],
            "tools": [
                {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}},
                {"type": "function", "function": {"name": "search_docs"}},
                {"type": "web_search_preview"},
            ],
            "tool_choice": "auto", "parallel_tool_calls": True,
        }),
        _rec("functions", {"messages": [{"role": "user", "content": "call it"}],
                           "functions": [{"name": "legacy_fn", "parameters": {}}]}),
        # Chat logprobs, and max_completion_tokens standing in for max_tokens.
        _rec("logprobs", {"messages": [{"role": "user", "content": "next token?"}], "logprobs": True,
                          "top_logprobs": 20, "max_completion_tokens": 4096}),
        _rec("logit_bias", {"messages": [{"role": "user", "content": "no eos"}],
                            "logit_bias": {"50256": -100, "11": 5.5, "198": 0},
                            "max_tokens": None, "max_completion_tokens": 512}),
        # reasoning_effort wins over reasoning.effort when both are given.
        _rec("effort_both", {"messages": [{"role": "user", "content": "think"}], "reasoning_effort": "high",
                             "reasoning": {"effort": "low"}}),
        # Unknown fields at the top level and inside every known object; an unknown null is dropped.
        _rec("unknown", {"messages": [{"role": "user", "content": "hi"}], "x_custom": {"k": [1, None]}},
             trace_id="t-1", labels=["a", "b"], geo={"city": "Kyiv", "lat": 50.45}, ab_bucket=7, dropped=None,
             client={"ip": "198.51.100.2", "tls": "1.3"}, billing={"plan": "pro"},
             response={"text": "ok", "latency_ms": 1234}, usage={"prompt_tokens": 3, "cached_tokens": 1}),
        # Only the required fields.
        {"request_id": "req_minimal", "timestamp": "2026-11-27T09:00:00Z", "account_id": "acct_2",
         "request": {"messages": [{"role": "user", "content": "hi"}]}},
        # Every optional object and request parameter present but null.
        _rec("nulls", {
            "messages": [{"role": "user", "content": "hi"}], "temperature": None, "top_p": None, "n": None,
            "max_tokens": None, "seed": None, "logprobs": None, "top_logprobs": None, "logit_bias": None,
            "reasoning_effort": None, "reasoning": None, "tools": None, "stream": None, "user": None,
        }, org_id=None, api_key_id=None, client=None, billing=None, endpoint=None, model=None, response=None,
            usage=None, status=None),
        _rec("null_leaves", client={"ip": None, "asn": None, "country": None, "user_agent": None},
             response={"text": None, "finish_reason": None, "reasoning_tokens": None},
             usage={"prompt_tokens": None, "completion_tokens": None}),
        # Non-ASCII: Russian system prompt, Chinese + emoji question and answer.
        _rec("unicode", {"messages": [{"role": "system", "content": "Отвечай кратко."},
                                      {"role": "user", "content": "用中文解释量子纠缠 🧠🚀"}]},
             account_id="acct_ünï", response={"text": "量子纠缠是…✅"}),
        # Timestamps with an offset: stored in UTC.
        _rec("offset", timestamp="2026-11-27T10:58:35.500+02:00",
             billing={"account_created": "2026-10-01T05:30:00+05:30"}),
        _rec("micro", timestamp="2026-11-27T23:59:59.999999Z"),
        # Integers where floats are expected, and the remaining scalar parameters.
        _rec("int_temp", {"messages": [{"role": "user", "content": "go"}], "temperature": 0, "top_p": 1, "n": 2,
                          "seed": 42, "stream": True, "user": "end-user-9", "stop": ["\n\n"],
                          "presence_penalty": 0.5, "frequency_penalty": 0}),
    ]


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pa.Table]:
    """The varied records written in each format and read back, with their read reports checked."""
    records = varied_records()
    out = tmp_path_factory.mktemp("roundtrip")
    result = {}
    for fmt in FORMATS:
        path = out / f"traffic.{fmt}"
        write = write_parquet if fmt == "parquet" else write_jsonl
        assert write(records, path) == len(records)
        report = ReadReport()
        result[fmt] = read_table([path], report=report)
        assert report.bad_lines == [], fmt
        assert (report.good, report.bad, report.lines) == (len(records), 0, len(records))
    return result


def _rows(table: pa.Table) -> dict[str, dict[str, Any]]:
    return {row["request_id"]: row for row in table.to_pylist()}


def test_jsonl_gzip_and_parquet_round_trips_give_equal_tables(tables: dict[str, pa.Table]) -> None:
    jsonl = tables["jsonl"]
    assert jsonl.schema == EVENT_SCHEMA
    assert jsonl.num_rows == 20
    for fmt in ("jsonl.gz", "parquet"):
        assert tables[fmt].schema == EVENT_SCHEMA
        assert tables[fmt].equals(jsonl), f"{fmt} differs from jsonl: {_first_difference(tables[fmt], jsonl)}"


def _first_difference(a: pa.Table, b: pa.Table) -> str:
    for name in a.column_names:
        if not a.column(name).equals(b.column(name)):
            return f"column {name}: {a.column(name).to_pylist()} != {b.column(name).to_pylist()}"
    return "schemas differ"


@pytest.fixture(params=FORMATS)
def rows(request: pytest.FixtureRequest, tables: dict[str, pa.Table]) -> dict[str, dict[str, Any]]:
    return _rows(tables[request.param])


def test_full_contract_example_flattens_every_field(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_full"]
    assert r["account_id"] == "acct_1042"
    assert (r["org_id"], r["api_key_id"]) == ("org_77", "key_9f2")
    assert (r["ip"], r["asn"], r["country"], r["user_agent"]) == ("203.0.113.7", 64500, "SG", "python-httpx/0.27")
    assert r["payment_fingerprint"] == "pf_ab12"
    assert r["account_created"] == datetime(2026, 10, 1, tzinfo=UTC)
    assert r["signup_channel"] == "startup-program"
    assert (r["endpoint"], r["model"]) == ("/v1/chat/completions", "frontier-2")
    assert r["prompt"] == "What is 2+2?"
    assert r["system"] == "You are terse."
    assert (r["turns"], r["messages"], r["tool_messages"]) == (1, 2, 0)
    assert r["context_chars"] == len("You are terse.") + len("What is 2+2?")
    assert (r["temperature"], r["top_p"], r["n"], r["max_tokens"], r["seed"]) == (0.7, 1.0, 1, 1024, None)
    assert (r["logprobs"], r["top_logprobs"], r["logit_bias"]) == (False, None, None)
    assert r["reasoning_effort"] == "high"
    assert (r["tools"], r["tool_names"]) == (0, None)
    assert (r["response_chars"], r["finish_reason"], r["reasoning_tokens"]) == (1, "stop", 812)
    assert (r["prompt_tokens"], r["completion_tokens"], r["status"]) == (53, 912, 200)
    assert r["timestamp"] == datetime(2026, 11, 27, 8, 58, 35, 123000, tzinfo=UTC)
    assert r["extra"] is None


def test_content_parts_keep_only_text_and_int_temperature_becomes_float(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_parts"]
    assert r["prompt"] == "Describe\nthis image"
    assert r["context_chars"] == len("Describe\nthis image")
    assert r["temperature"] == 1.0
    assert isinstance(r["temperature"], float)


def test_multi_turn_prompt_is_last_user_message_and_roles_are_counted(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_multi_turn"]
    assert r["prompt"] == "second q"
    assert r["system"] == "Be careful.\n\nCite sources."
    assert (r["turns"], r["messages"], r["tool_messages"]) == (2, 7, 1)
    texts = ["Be careful.", "Cite sources.", "first q", "first a", "72F", "second q"]
    assert r["context_chars"] == sum(map(len, texts))


def test_completion_prompt_string_and_list(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_completion"]
    assert r["prompt"] == "Once upon a time"
    assert (r["turns"], r["messages"], r["tool_messages"], r["context_chars"]) == (1, 1, 0, 16)
    assert (r["logprobs"], r["top_logprobs"], r["max_tokens"]) == (True, 5, 16)
    assert json.loads(r["extra"]) == {"request": {"echo": True}}
    r = rows["req_completion_list"]
    assert r["prompt"] == "first prompt\n\nsecond"
    assert r["context_chars"] == len("first prompt\n\nsecond")


def test_responses_input_and_instructions(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_responses_str"]
    assert (r["prompt"], r["system"]) == ("Summarise this", "You are a summariser.")
    assert (r["turns"], r["messages"], r["max_tokens"], r["reasoning_effort"]) == (1, 1, 300, "medium")
    r = rows["req_responses_list"]
    assert (r["prompt"], r["system"]) == ("Bonjour", "Top-level rules.\n\nUse French.")
    assert (r["turns"], r["messages"], r["context_chars"]) == (1, 2, len("Use French.") + len("Bonjour"))


def test_tool_definitions_are_counted_and_named(rows: dict[str, dict[str, Any]]) -> None:
    assert (rows["req_tools"]["tools"], rows["req_tools"]["tool_names"]) == (3, "get_weather,search_docs")
    assert (rows["req_functions"]["tools"], rows["req_functions"]["tool_names"]) == (1, "legacy_fn")


def test_logprobs_logit_bias_and_max_tokens_fallback(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_logprobs"]
    assert (r["logprobs"], r["top_logprobs"], r["max_tokens"]) == (True, 20, 4096)
    r = rows["req_logit_bias"]
    assert (r["logit_bias"], r["max_tokens"]) == (3, 512)


def test_reasoning_effort_wins_over_reasoning_object(rows: dict[str, dict[str, Any]]) -> None:
    assert rows["req_effort_both"]["reasoning_effort"] == "high"


def test_unknown_fields_are_kept_in_extra_as_sorted_json(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_unknown"]
    extra = json.loads(r["extra"])
    assert extra == {
        "ab_bucket": 7,
        "billing": {"plan": "pro"},
        "client": {"tls": "1.3"},
        "geo": {"city": "Kyiv", "lat": 50.45},
        "labels": ["a", "b"],
        "request": {"x_custom": {"k": [1, None]}},
        "response": {"latency_ms": 1234},
        "trace_id": "t-1",
        "usage": {"cached_tokens": 1},
    }
    assert list(extra) == sorted(extra)
    # The known parts of those objects are still read.
    assert (r["ip"], r["response_chars"], r["prompt_tokens"]) == ("198.51.100.2", 2, 3)


@pytest.mark.parametrize("request_id", ["req_minimal", "req_nulls", "req_null_leaves"])
def test_missing_or_null_optional_fields_read_as_null(rows: dict[str, dict[str, Any]], request_id: str) -> None:
    r = rows[request_id]
    assert (r["turns"], r["messages"], r["tool_messages"], r["tools"]) == (1, 1, 0, 0)
    required_or_counted = {"request_id", "timestamp", "account_id", "prompt", "turns", "messages", "tool_messages",
                           "context_chars", "tools"}
    set_by_record = {"endpoint", "model"} if request_id == "req_null_leaves" else set()
    assert {k for k, v in r.items() if v is not None} == required_or_counted | set_by_record


def test_non_ascii_text_survives(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_unicode"]
    assert r["account_id"] == "acct_ünï"
    assert r["system"] == "Отвечай кратко."
    assert r["prompt"] == "用中文解释量子纠缠 🧠🚀"
    assert r["context_chars"] == 15 + 12  # characters, not bytes
    assert r["response_chars"] == 7


def test_timestamps_are_utc_with_offsets_applied(rows: dict[str, dict[str, Any]]) -> None:
    assert EVENT_SCHEMA.field("timestamp").type == pa.timestamp("ms", tz="UTC")
    r = rows["req_offset"]
    assert r["timestamp"] == datetime(2026, 11, 27, 8, 58, 35, 500000, tzinfo=UTC)
    assert r["timestamp"].utcoffset().total_seconds() == 0
    assert r["account_created"] == datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    # Millisecond resolution: microseconds are truncated.
    assert rows["req_micro"]["timestamp"] == datetime(2026, 11, 27, 23, 59, 59, 999000, tzinfo=UTC)


def test_integer_parameters_and_remaining_scalars(rows: dict[str, dict[str, Any]]) -> None:
    r = rows["req_int_temp"]
    assert (r["temperature"], r["top_p"], r["n"], r["seed"]) == (0.0, 1.0, 2, 42)
    assert (r["stream"], r["end_user"]) == (True, "end-user-9")


def test_several_files_are_read_in_order_with_one_report_each(tmp_path: Path) -> None:
    records = varied_records()
    write_jsonl(records[:5], tmp_path / "a.jsonl.gz")
    write_parquet(records[5:], tmp_path / "b.parquet")
    report = ReadReport()
    table = read_table([tmp_path / "a.jsonl.gz", tmp_path / "b.parquet"], report=report)
    assert table.column("request_id").to_pylist() == [r["request_id"] for r in records]
    assert [(f.format, f.good) for f in report.files] == [("gzip", 5), ("parquet", 15)]
