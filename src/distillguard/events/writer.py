"""Write traffic-log records (contract §1 dicts) as JSON Lines, gzip'd JSON Lines or Parquet.

Parquet keeps the contract's nesting (``client``, ``billing``, ``request``, ``response``, ``usage`` are
struct columns). Parquet columns need one type, so these conventions apply, and the reader undoes them:
message ``content`` given as a list of text parts is stored as its joined text, a ``prompt`` given as a
list of strings is stored joined by blank lines (as the reader flattens it), and free-form JSON values
(``tools``, ``logit_bias``, ``stop``, and every unknown field, top level or inside a known object) are
stored as JSON text. Files written here say so in the schema metadata (:data:`UNKNOWN_AS_JSON_KEY`), so
that the reader decodes unknown fields only where this writer stored them.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterable, Iterator
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, Final

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from distillguard.events.schema import KNOWN_FIELDS

_TS: Final = pa.timestamp("ms", tz="UTC")

#: Canonical Parquet types of the contract's typed leaves; any other field is inferred or JSON text.
PARQUET_TYPES: Final[dict[str | None, dict[str, pa.DataType]]] = {
    None: {
        "request_id": pa.string(),
        "timestamp": _TS,
        "account_id": pa.string(),
        "org_id": pa.string(),
        "api_key_id": pa.string(),
        "endpoint": pa.string(),
        "model": pa.string(),
        "status": pa.int64(),
    },
    "client": {"ip": pa.string(), "asn": pa.int64(), "country": pa.string(), "user_agent": pa.string()},
    "billing": {"payment_fingerprint": pa.string(), "account_created": _TS, "signup_channel": pa.string()},
    "request": {
        "messages": pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())])),
        "prompt": pa.string(),
        "instructions": pa.string(),
        "temperature": pa.float64(),
        "top_p": pa.float64(),
        "n": pa.int64(),
        "max_tokens": pa.int64(),
        "max_completion_tokens": pa.int64(),
        "max_output_tokens": pa.int64(),
        "seed": pa.int64(),
        "top_logprobs": pa.int64(),
        "reasoning_effort": pa.string(),
        "stream": pa.bool_(),
        "user": pa.string(),
        "presence_penalty": pa.float64(),
        "frequency_penalty": pa.float64(),
        "parallel_tool_calls": pa.bool_(),
    },
    "response": {"text": pa.string(), "finish_reason": pa.string(), "reasoning_tokens": pa.int64()},
    "usage": {"prompt_tokens": pa.int64(), "completion_tokens": pa.int64(), "total_tokens": pa.int64()},
}
OBJECT_COLUMNS: Final = ("client", "billing", "request", "response", "usage")
#: Schema metadata key set on files whose unknown fields are stored as JSON text.
UNKNOWN_AS_JSON_KEY: Final = b"distillguard.unknown_fields"
_JSON_TEXT: Final = pa.string()


def write_jsonl(records: Iterable[dict[str, Any]], path: str | Path, *, compresslevel: int = 6) -> int:
    """Write one JSON object per line; gzip'd when ``path`` ends in ``.gz``. Returns lines written."""
    path = Path(path)
    encode = msgspec.json.Encoder().encode
    count = 0
    with gzip.open(path, "wb", compresslevel=compresslevel) if path.suffix == ".gz" else path.open("wb") as f:
        for record in records:
            f.write(encode(record))
            f.write(b"\n")
            count += 1
    return count


def write_parquet(records: Iterable[dict[str, Any]], path: str | Path, *, chunk_rows: int = 50_000) -> int:
    """Write records as a Parquet file with the contract's nested columns. Returns rows written."""
    writer: pq.ParquetWriter | None = None
    count = 0
    try:
        for chunk in _chunks(records, chunk_rows):
            table = _to_table(chunk)
            if writer is None:
                schema = table.schema.with_metadata({**(table.schema.metadata or {}), UNKNOWN_AS_JSON_KEY: b"json"})
                writer = pq.ParquetWriter(str(path), schema)
            else:
                table = table.cast(writer.schema)
            writer.write_table(table)
            count += len(chunk)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:  # no records: still leave a valid, empty file
        pq.write_table(pa.table({name: pa.array([], t) for name, t in PARQUET_TYPES[None].items()}), str(path))
    return count


def _chunks(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    it = iter(records)
    while chunk := list(islice(it, size)):
        yield chunk


def _to_table(records: list[dict[str, Any]]) -> pa.Table:
    names: dict[str, None] = {}
    for record in records:
        names.update(dict.fromkeys(record))
    columns = {name: _column([r.get(name) for r in records], name, None) for name in names}
    return pa.table(columns)


def _column(values: list[Any], name: str, parent: str | None) -> pa.Array:
    if parent is None and name in OBJECT_COLUMNS:
        return _struct(values, name)
    if parent == "request" and name == "messages":
        values = [_plain_messages(v) for v in values]
    if parent == "request" and name == "prompt":
        values = [_plain_prompt(v) for v in values]
    known = PARQUET_TYPES.get(parent, {}).get(name)
    if known is not None:
        if known == _TS:
            values = [_as_datetime(v) for v in values]
        return pa.array(values, known)
    if parent == "request" or name not in KNOWN_FIELDS[parent]:  # free-form parameters and unknown fields
        return _json_text(values)
    try:
        return pa.array(values)
    except (pa.ArrowException, TypeError, ValueError):
        return _json_text(values)


def _struct(values: list[Any], name: str) -> pa.Array:
    children: dict[str, None] = {}
    for v in values:
        if isinstance(v, dict):
            children.update(dict.fromkeys(v))
    if not children:
        return pa.nulls(len(values), pa.struct([]))
    arrays = [_column([v.get(c) if isinstance(v, dict) else None for v in values], c, name) for c in children]
    mask = pa.array([not isinstance(v, dict) for v in values])
    return pa.StructArray.from_arrays(arrays, names=list(children), mask=mask)


def _json_text(values: list[Any]) -> pa.Array:
    return pa.array([None if v is None else msgspec.json.encode(v).decode() for v in values], _JSON_TEXT)


def _plain_messages(messages: Any) -> Any:
    if not isinstance(messages, list):
        return messages
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = "\n".join(p["text"] for p in content if isinstance(p, dict) and p.get("text") is not None)
        out.append({"role": m.get("role"), "content": content})
    return out


def _plain_prompt(prompt: Any) -> Any:
    if isinstance(prompt, list) and all(isinstance(p, str) for p in prompt):
        return "\n\n".join(prompt)
    return prompt


def _as_datetime(value: Any) -> Any:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value
