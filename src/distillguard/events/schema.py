"""The traffic-log contract (CONTRACTS.md §1) as typed structs, and the flat Arrow schema readers emit.

A log line is decoded straight into :class:`LogLine` by msgspec (types and RFC 3339 timestamps are
checked in C), then flattened into one row of :data:`EVENT_SCHEMA`. Every reader, the simulator's
tests, the gateway and the Spark adapter share this one flattening (:func:`flatten`), so a signal
sees the same columns whichever shell fed it.

Known objects refuse unknown fields (``forbid_unknown_fields``) so that the fast path notices them;
the reader then falls back to a path that keeps them in the ``extra`` column (see ``reader.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Final

import msgspec
import pyarrow as pa

# Integers are range-checked at decode time so that a value the Arrow column cannot hold (a 64-bit
# unsigned seed, say) makes a bad line instead of failing the whole batch in rows_to_batch.
Int32 = Annotated[int, msgspec.Meta(ge=-(2**31), le=2**31 - 1)]
Int64 = Annotated[int, msgspec.Meta(ge=-(2**63), le=2**63 - 1)]


class TextPart(msgspec.Struct):
    """One part of a message's content; only parts carrying ``text`` contribute text."""

    type: str = "text"
    text: str | None = None


class Message(msgspec.Struct):
    """One chat message. ``content`` is a string, a list of parts, or null (tool calls)."""

    role: str
    content: str | list[TextPart] | None = None


class Client(msgspec.Struct, forbid_unknown_fields=True):
    ip: str | None = None
    asn: Int64 | None = None
    country: str | None = None
    user_agent: str | None = None


class Billing(msgspec.Struct, forbid_unknown_fields=True):
    payment_fingerprint: str | None = None
    account_created: datetime | None = None
    signup_channel: str | None = None


class Request(msgspec.Struct, forbid_unknown_fields=True):
    """The request body. Common OpenAI parameters are listed so that real logs stay on the fast path."""

    messages: list[Message] | None = None
    prompt: str | list[str] | None = None
    input: str | list[Message] | None = None  # /v1/responses
    instructions: str | None = None  # /v1/responses
    temperature: float | None = None
    top_p: float | None = None
    n: Int32 | None = None
    max_tokens: Int64 | None = None
    max_completion_tokens: Int64 | None = None
    max_output_tokens: Int64 | None = None
    seed: Int64 | None = None
    logprobs: bool | Int32 | None = None  # bool on chat, int on completions
    top_logprobs: Int32 | None = None
    logit_bias: dict[str, float] | None = None
    reasoning_effort: str | None = None
    reasoning: dict[str, Any] | None = None
    tools: list[Any] | None = None
    functions: list[Any] | None = None
    tool_choice: Any = None
    parallel_tool_calls: bool | None = None
    stream: bool | None = None
    stream_options: Any = None
    stop: Any = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    response_format: Any = None
    user: str | None = None
    metadata: Any = None
    store: Any = None
    service_tier: Any = None
    modalities: Any = None


class Response(msgspec.Struct, forbid_unknown_fields=True):
    text: str | None = None
    finish_reason: str | None = None
    reasoning_tokens: Int64 | None = None


class Usage(msgspec.Struct, forbid_unknown_fields=True):
    prompt_tokens: Int64 | None = None
    completion_tokens: Int64 | None = None
    total_tokens: Int64 | None = None
    completion_tokens_details: Any = None
    prompt_tokens_details: Any = None


class LogLine(msgspec.Struct, forbid_unknown_fields=True):
    """One API call, exactly as CONTRACTS.md §1 defines it."""

    request_id: str
    timestamp: datetime
    account_id: str
    request: Request
    org_id: str | None = None
    api_key_id: str | None = None
    client: Client | None = None
    billing: Billing | None = None
    endpoint: str | None = None
    model: str | None = None
    response: Response | None = None
    usage: Usage | None = None
    status: Int32 | None = None


# The objects whose unknown fields are kept in ``extra`` (top level and one level down).
KNOWN_OBJECTS: Final[dict[str, type[msgspec.Struct]]] = {
    "client": Client,
    "billing": Billing,
    "request": Request,
    "response": Response,
    "usage": Usage,
}
KNOWN_FIELDS: Final[dict[str | None, frozenset[str]]] = {
    None: frozenset(LogLine.__struct_fields__),
    **{name: frozenset(cls.__struct_fields__) for name, cls in KNOWN_OBJECTS.items()},
}

_TS: Final = pa.timestamp("ms", tz="UTC")

#: One row per API call; what every signal reads. Column order is part of the schema.
EVENT_SCHEMA: Final[pa.Schema] = pa.schema(
    [
        pa.field("request_id", pa.string(), nullable=False),
        pa.field("timestamp", _TS, nullable=False),
        pa.field("account_id", pa.string(), nullable=False),
        pa.field("org_id", pa.string()),
        pa.field("api_key_id", pa.string()),
        pa.field("ip", pa.string()),
        pa.field("asn", pa.int64()),
        pa.field("country", pa.string()),
        pa.field("user_agent", pa.string()),
        pa.field("payment_fingerprint", pa.string()),
        pa.field("account_created", _TS),
        pa.field("signup_channel", pa.string()),
        pa.field("endpoint", pa.string()),
        pa.field("model", pa.string()),
        # The turn being asked: the last user message (or the completion prompt).
        pa.field("prompt", pa.string(), nullable=False),
        # System / developer messages (or /v1/responses instructions), joined.
        pa.field("system", pa.string()),
        pa.field("turns", pa.int32(), nullable=False),  # user messages in the conversation
        pa.field("messages", pa.int32(), nullable=False),  # all messages
        pa.field("tool_messages", pa.int32(), nullable=False),  # tool / function results sent back
        pa.field("context_chars", pa.int64(), nullable=False),  # characters of all message text
        pa.field("temperature", pa.float64()),
        pa.field("top_p", pa.float64()),
        pa.field("n", pa.int32()),
        pa.field("max_tokens", pa.int64()),
        pa.field("seed", pa.int64()),
        pa.field("logprobs", pa.bool_()),
        pa.field("top_logprobs", pa.int32()),
        pa.field("logit_bias", pa.int32()),  # number of biased tokens
        pa.field("reasoning_effort", pa.string()),
        pa.field("tools", pa.int32(), nullable=False),  # tool / function definitions offered
        pa.field("tool_names", pa.string()),  # comma-separated
        pa.field("stream", pa.bool_()),
        pa.field("end_user", pa.string()),  # request.user: the customer's own end-user id
        pa.field("response_chars", pa.int64()),
        pa.field("finish_reason", pa.string()),
        pa.field("reasoning_tokens", pa.int64()),
        pa.field("prompt_tokens", pa.int64()),
        pa.field("completion_tokens", pa.int64()),
        pa.field("status", pa.int32()),
        # Unknown fields of the line, as a JSON object string (null when there were none).
        pa.field("extra", pa.string()),
    ]
)
COLUMNS: Final[tuple[str, ...]] = tuple(EVENT_SCHEMA.names)


class InvalidEvent(ValueError):
    """A line decoded but breaks a rule the types cannot express (e.g. no messages and no prompt)."""


def _text(content: str | list[TextPart] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return "\n".join(p.text for p in content if p.text is not None)


def _tool_name(tool: Any) -> str | None:
    if not isinstance(tool, dict):
        return None
    fn = tool.get("function")
    name = fn.get("name") if isinstance(fn, dict) else tool.get("name")
    return name if isinstance(name, str) else None


def flatten(line: LogLine, extra: str | None) -> tuple[Any, ...]:
    """Flatten one decoded line into a row of EVENT_SCHEMA (a tuple in column order).

    Raises InvalidEvent when the request carries neither messages nor a prompt.
    """
    req = line.request
    messages = req.messages
    if messages is None and isinstance(req.input, list):
        messages = req.input
    system_parts: list[str] = [req.instructions] if req.instructions else []
    if messages is not None:
        if not messages:
            raise InvalidEvent("request.messages is empty")
        prompt = ""
        turns = tools_back = chars = 0
        for m in messages:
            text = _text(m.content)
            chars += len(text)
            role = m.role
            if role == "user":
                prompt = text
                turns += 1
            elif role in ("system", "developer"):
                system_parts.append(text)
            elif role in ("tool", "function"):
                tools_back += 1
        n_messages = len(messages)
    else:
        raw = req.prompt if req.prompt is not None else req.input
        if raw is None:
            raise InvalidEvent("request has neither `messages` nor `prompt`")
        prompt = raw if isinstance(raw, str) else "\n\n".join(raw)
        turns, n_messages, tools_back, chars = 1, 1, 0, len(prompt)

    tool_defs = req.tools or req.functions or []
    names = [n for n in (_tool_name(t) for t in tool_defs) if n]
    effort = req.reasoning_effort
    if effort is None and req.reasoning is not None:
        value = req.reasoning.get("effort")
        effort = value if isinstance(value, str) else None
    max_tokens = req.max_tokens
    if max_tokens is None:
        max_tokens = req.max_completion_tokens if req.max_completion_tokens is not None else req.max_output_tokens
    logprobs = req.logprobs
    client, billing, resp, usage = line.client, line.billing, line.response, line.usage
    return (
        line.request_id,
        line.timestamp,
        line.account_id,
        line.org_id,
        line.api_key_id,
        client.ip if client else None,
        client.asn if client else None,
        client.country if client else None,
        client.user_agent if client else None,
        billing.payment_fingerprint if billing else None,
        billing.account_created if billing else None,
        billing.signup_channel if billing else None,
        line.endpoint,
        line.model,
        prompt,
        "\n\n".join(system_parts) if system_parts else None,
        turns,
        n_messages,
        tools_back,
        chars,
        req.temperature,
        req.top_p,
        req.n,
        max_tokens,
        req.seed,
        None if logprobs is None else bool(logprobs),
        req.top_logprobs if req.top_logprobs is not None else (logprobs if type(logprobs) is int else None),
        len(req.logit_bias) if req.logit_bias else None,
        effort,
        len(tool_defs),
        ",".join(names) if names else None,
        req.stream,
        req.user,
        len(resp.text) if resp and resp.text is not None else None,
        resp.finish_reason if resp else None,
        resp.reasoning_tokens if resp else None,
        usage.prompt_tokens if usage else None,
        usage.completion_tokens if usage else None,
        line.status,
        extra,
    )


def rows_to_batch(rows: list[tuple[Any, ...]]) -> pa.RecordBatch:
    """Build one EVENT_SCHEMA record batch from flattened rows."""
    columns = list(zip(*rows, strict=True)) if rows else [() for _ in COLUMNS]
    arrays = [pa.array(col, type=field.type) for col, field in zip(columns, EVENT_SCHEMA, strict=True)]
    return pa.RecordBatch.from_arrays(arrays, schema=EVENT_SCHEMA)
