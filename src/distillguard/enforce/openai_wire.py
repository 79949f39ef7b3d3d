"""The OpenAI wire conventions the gateway speaks: error bodies, SSE events, degrade rewrites, response text.

Everything here works on plain ``dict`` / ``bytes`` and does no I/O, so the gateway, the LiteLLM adapter
and the tests share one implementation:

- ``error_body`` / ``sse_error_event``: the OpenAI error shape, as a JSON body or an in-band stream event.
- ``degrade_request``: cap / drop the request parameters a degrade decision names.
- ``strip_reasoning``: remove reasoning from a non-streamed response; ``SSEFilter`` does it event by event
  on a stream.
- ``ResponseRecord``: what the traffic log keeps of a response (text, finish reason, usage), from a
  non-streamed body (``from_body``) or accumulated from stream events (``feed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from distillguard.enforce.decision import Degrade

CHAT: Final = "/v1/chat/completions"
COMPLETIONS: Final = "/v1/completions"
RESPONSES: Final = "/v1/responses"
DECIDED_ENDPOINTS: Final[frozenset[str]] = frozenset({CHAT, COMPLETIONS, RESPONSES})

#: Fields that carry a model's reasoning in chat messages / deltas (OpenAI-compatible servers differ).
REASONING_FIELDS: Final[tuple[str, ...]] = ("reasoning_content", "reasoning", "reasoning_details")
#: Request parameters dropped by a degrade with ``drop_logprobs``.
LOGPROB_PARAMS: Final[tuple[str, ...]] = ("logprobs", "top_logprobs", "logit_bias")
#: Output-length parameters capped by a degrade with ``max_tokens`` (whichever the client sent).
LENGTH_PARAMS: Final[tuple[str, ...]] = ("max_tokens", "max_completion_tokens", "max_output_tokens")

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode


# -- errors --------------------------------------------------------------------------------------------


def error_body(message: str, type_: str, code: str | None, param: str | None = None) -> dict[str, Any]:
    """The OpenAI error shape: ``{"error": {"message", "type", "param", "code"}}``."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def error_bytes(message: str, type_: str, code: str | None, param: str | None = None) -> bytes:
    return _encode(error_body(message, type_, code, param))


def sse_error_event(message: str, type_: str, code: str | None, param: str | None = None) -> bytes:
    """An in-band error for a stream that has already started: ``data: {"error": {...}}`` and a blank line.

    Once response headers are sent the status cannot change; OpenAI's SDKs raise ``APIError`` when a
    stream event carries an ``error`` object, so this is how a mid-stream block or upstream failure
    reaches the client."""
    return b"data: " + error_bytes(message, type_, code, param) + b"\n\n"


# -- degrade: the request ----------------------------------------------------------------------------


def degrade_request(body: dict[str, Any], endpoint: str, degrade: Degrade) -> list[str]:
    """Rewrite ``body`` in place per ``degrade``; return what was changed (for the traffic log)."""
    changes: list[str] = []
    if degrade.drop_logprobs:
        for name in LOGPROB_PARAMS:
            if name in body:
                del body[name]
                changes.append(f"dropped {name}")
        include = body.get("include")
        if isinstance(include, list) and any(isinstance(i, str) and "logprobs" in i for i in include):
            body["include"] = [i for i in include if not (isinstance(i, str) and "logprobs" in i)]
            changes.append("dropped logprobs from include")
    for name in ("n", "best_of"):
        value = body.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > degrade.max_n:
            body[name] = degrade.max_n
            changes.append(f"{name} {value} -> {degrade.max_n}")
    if degrade.max_tokens is not None:
        cap = degrade.max_tokens
        present = [name for name in LENGTH_PARAMS if name in body and body[name] is not None]
        for name in present:
            value = body[name]
            if not isinstance(value, int) or isinstance(value, bool) or value > cap:
                body[name] = cap
                changes.append(f"{name} {value} -> {cap}")
        if not present:
            name = "max_output_tokens" if endpoint == RESPONSES else "max_tokens"
            body[name] = cap
            changes.append(f"{name} set to {cap}")
    if degrade.strip_reasoning:
        reasoning = body.get("reasoning")
        if isinstance(reasoning, dict) and reasoning.get("summary") is not None:
            body["reasoning"] = {k: v for k, v in reasoning.items() if k != "summary"}
            changes.append("no reasoning summary")
        include = body.get("include")
        if isinstance(include, list) and any(isinstance(i, str) and i.startswith("reasoning") for i in include):
            body["include"] = [i for i in include if not (isinstance(i, str) and i.startswith("reasoning"))]
            changes.append("dropped reasoning from include")
    return changes


# -- degrade: the response ---------------------------------------------------------------------------


def _strip_message(message: Any) -> bool:
    if not isinstance(message, dict):
        return False
    removed = False
    for name in REASONING_FIELDS:
        if name in message:
            del message[name]
            removed = True
    return removed


def _strip_output(response: Any) -> bool:
    if not isinstance(response, dict) or not isinstance(response.get("output"), list):
        return False
    output = response["output"]
    kept = [item for item in output if not (isinstance(item, dict) and item.get("type") == "reasoning")]
    if len(kept) == len(output):
        return False
    response["output"] = kept
    return True


def strip_reasoning(obj: Any, endpoint: str) -> bool:
    """Remove reasoning from a non-streamed response body in place; return whether anything was removed."""
    if not isinstance(obj, dict):
        return False
    if endpoint == RESPONSES:
        return _strip_output(obj)
    removed = False
    for choice in obj.get("choices") or ():
        if isinstance(choice, dict):
            removed |= _strip_message(choice.get("message"))
    return removed


# -- server-sent events --------------------------------------------------------------------------------


class SSESplitter:
    """Cut a byte stream into whole SSE events (each returned with its terminating blank line)."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        events: list[bytes] = []
        while True:
            cut = _event_end(self._buffer)
            if cut < 0:
                return events
            events.append(self._buffer[:cut])
            self._buffer = self._buffer[cut:]

    def rest(self) -> bytes:
        """What is left after the last whole event (a stream that ended without a blank line)."""
        rest, self._buffer = self._buffer, b""
        return rest


def _event_end(buffer: bytes) -> int:
    """Index just past the first event terminator (a blank line, in any of SSE's line endings), or -1."""
    best = -1
    for sep in (b"\n\n", b"\r\n\r\n", b"\r\r"):
        i = buffer.find(sep)
        if i >= 0 and (best < 0 or i + len(sep) < best):
            best = i + len(sep)
    return best


def event_data(event: bytes) -> bytes | None:
    """The ``data:`` payload of one SSE event (multi-line data joined by newlines), or None."""
    parts = [line[5:].removeprefix(b" ") for line in event.splitlines() if line.startswith(b"data:")]
    return b"\n".join(parts) if parts else None


def _event_json(event: bytes) -> Any:
    data = event_data(event)
    if data is None or data.strip() == b"[DONE]":
        return None
    try:
        return _decode(data)
    except (msgspec.DecodeError, UnicodeDecodeError):
        return None


class SSEFilter:
    """Drop reasoning from a stream, event by event (the degrade path). Other events pass unchanged."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        self.splitter = SSESplitter()
        self.removed = 0

    def feed(self, chunk: bytes) -> list[bytes]:
        """Whole events from ``chunk`` with reasoning removed, each ready to send."""
        out: list[bytes] = []
        for event in self.splitter.feed(chunk):
            kept = self.filter_event(event)
            if kept is not None:
                out.append(kept)
        return out

    def filter_event(self, event: bytes) -> bytes | None:
        obj = _event_json(event)
        if not isinstance(obj, dict):
            return event
        if self.endpoint == RESPONSES:
            kind = obj.get("type")
            if isinstance(kind, str) and kind.startswith("response.reasoning"):
                self.removed += 1
                return None
            item = obj.get("item")
            if isinstance(item, dict) and item.get("type") == "reasoning":
                self.removed += 1
                return None
            if not _strip_output(obj.get("response")):
                return event
            self.removed += 1
            return _reencode(event, obj)
        changed = False
        empty = True
        for choice in obj.get("choices") or ():
            if not isinstance(choice, dict):
                empty = False
                continue
            delta = choice.get("delta")
            if _strip_message(delta):
                changed = True
            if delta or choice.get("finish_reason") is not None or choice.get("logprobs") is not None:
                empty = False
        if not changed:
            return event
        self.removed += 1
        if empty and not obj.get("usage"):
            return None
        return _reencode(event, obj)


def _reencode(event: bytes, obj: dict[str, Any]) -> bytes:
    """The event with its data replaced by ``obj``; other fields (``event:``, ``id:``) kept."""
    lines = [line for line in event.splitlines() if line and not line.startswith(b"data:")]
    lines.append(b"data: " + _encode(obj))
    return b"\n".join(lines) + b"\n\n"


# -- what the traffic log keeps of a response -----------------------------------------------------------


@dataclass
class ResponseRecord:
    """The contract §1 ``response`` and ``usage`` of one call, from a body or accumulated from a stream."""

    endpoint: str
    parts: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    reasoning_tokens: int | None = None
    error: str | None = None
    seen: bool = False  # anything recognisable was read

    @classmethod
    def from_body(cls, endpoint: str, obj: Any) -> ResponseRecord:
        rec = cls(endpoint)
        if not isinstance(obj, dict):
            return rec
        if endpoint == RESPONSES:
            rec._responses_final(obj)
            return rec
        choices = obj.get("choices")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict):
            first = choices[0]
            rec.seen = True
            if endpoint == CHAT:
                message = first.get("message")
                content = message.get("content") if isinstance(message, dict) else None
                if isinstance(content, str):
                    rec.parts.append(content)
            elif isinstance(first.get("text"), str):
                rec.parts.append(first["text"])
            rec.finish_reason = _str(first.get("finish_reason"))
        rec._usage(obj.get("usage"))
        return rec

    def feed(self, event: bytes) -> None:
        """Fold one SSE event of the stream."""
        obj = _event_json(event)
        if not isinstance(obj, dict):
            return
        if isinstance(obj.get("error"), dict):
            self.error = _str(obj["error"].get("message")) or "error"
        if self.endpoint == RESPONSES:
            kind = obj.get("type")
            if kind == "response.output_text.delta" and isinstance(obj.get("delta"), str):
                self.seen = True
                self.parts.append(obj["delta"])
            elif kind in ("response.completed", "response.incomplete", "response.failed"):
                final = obj.get("response")
                if isinstance(final, dict):
                    streamed = self.parts
                    self._responses_final(final)
                    if streamed:
                        self.parts = streamed
            return
        for choice in obj.get("choices") or ():
            if not isinstance(choice, dict) or choice.get("index", 0) != 0:
                continue
            self.seen = True
            if self.endpoint == CHAT:
                delta = choice.get("delta")
                content = delta.get("content") if isinstance(delta, dict) else None
                if isinstance(content, str):
                    self.parts.append(content)
            elif isinstance(choice.get("text"), str):
                self.parts.append(choice["text"])
            if choice.get("finish_reason") is not None:
                self.finish_reason = _str(choice["finish_reason"])
        self._usage(obj.get("usage"))

    def _responses_final(self, obj: dict[str, Any]) -> None:
        output = obj.get("output")
        if isinstance(output, list):
            self.seen = True
            texts = []
            for item in output:
                if isinstance(item, dict) and item.get("type") == "message":
                    for part in item.get("content") or ():
                        if isinstance(part, dict) and part.get("type") == "output_text":
                            texts.append(str(part.get("text", "")))
            self.parts = ["".join(texts)] if texts else []
        status = obj.get("status")
        if isinstance(status, str):
            self.finish_reason = status
        self._usage(obj.get("usage"))

    def _usage(self, usage: Any) -> None:
        if not isinstance(usage, dict):
            return
        out: dict[str, Any] = {}
        prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
        completion = usage.get("completion_tokens", usage.get("output_tokens"))
        total = usage.get("total_tokens")
        for name, value in (("prompt_tokens", prompt), ("completion_tokens", completion), ("total_tokens", total)):
            if _int(value) is not None:
                out[name] = value
        details = usage.get("completion_tokens_details") or usage.get("output_tokens_details")
        if isinstance(details, dict) and _int(details.get("reasoning_tokens")) is not None:
            self.reasoning_tokens = details["reasoning_tokens"]
        self.usage = out or None

    def response(self) -> dict[str, Any] | None:
        """The contract's ``response`` object, or None when nothing recognisable came back."""
        if not self.seen:
            return None
        out: dict[str, Any] = {"text": "".join(self.parts)}
        if self.finish_reason is not None:
            out["finish_reason"] = self.finish_reason
        if self.reasoning_tokens is not None:
            out["reasoning_tokens"] = self.reasoning_tokens
        return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**62 else None


__all__ = [
    "CHAT",
    "COMPLETIONS",
    "DECIDED_ENDPOINTS",
    "LENGTH_PARAMS",
    "LOGPROB_PARAMS",
    "REASONING_FIELDS",
    "RESPONSES",
    "ResponseRecord",
    "SSEFilter",
    "SSESplitter",
    "degrade_request",
    "error_body",
    "error_bytes",
    "event_data",
    "sse_error_event",
    "strip_reasoning",
]
