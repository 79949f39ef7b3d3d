"""Canaries in streamed answers, end to end over real loopback HTTP: a local OpenAI-compatible upstream that
streams chat, completions and responses the way OpenAI does, the gateway under uvicorn with a forensics
master key, and the official ``openai`` client streaming through it. A suspect (degraded) account gets
its canary as one extra text delta before the stream closes; a normal account gets the stream untouched.
The servers and the gateway starter are test_gateway's."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from test_gateway import Gw, Served, _start

from distillguard.enforce.gateway import StreamCanary
from distillguard.enforce.policy import policy_from_dict
from distillguard.forensics.canaries import Canary, canaries_for
from distillguard.forensics.keys import MasterKey, tier_policy

MASTER = MasterKey(b"s" * 32)
KEYS = {"sk-suspect": "acct_suspect", "sk-normal": "acct_normal"}

# -- an upstream that streams like OpenAI -----------------------------------------------------------------


def _data(obj: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(obj)}\n\n".encode()


def _last_user(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            return str(message["content"])
    return str(body.get("prompt") or body.get("input") or "")


async def _chat_or_completion(chat: bool, model: str, text: str, body: dict[str, Any]) -> AsyncIterator[bytes]:
    """Chunks as OpenAI streams them. ``model`` steers: ``drip`` pauses 0.4 s between pieces; ``tail`` sends the
    last piece in the finishing chunk; ``no-finish`` never sends a finish_reason (only ``[DONE]``)."""
    include_usage = bool((body.get("stream_options") or {}).get("include_usage"))

    def chunk(piece: str | None, finish: str | None = None, *, role: bool = False) -> bytes:
        choice: dict[str, Any] = {"index": 0, "logprobs": None, "finish_reason": finish}
        if chat:
            choice["delta"] = {**({"role": "assistant"} if role else {}), **({"content": piece} if piece else {})}
        else:
            choice["text"] = piece or ""
        obj: dict[str, Any] = {"id": "chatcmpl-7" if chat else "cmpl-7",
                               "object": "chat.completion.chunk" if chat else "text_completion",
                               "created": 1700000000, "model": model, "system_fingerprint": "fp_test",
                               "choices": [choice]}
        if include_usage:
            obj["usage"] = None
        return _data(obj)

    pieces = [text[i:i + 5] for i in range(0, len(text), 5)]
    if chat:
        yield chunk("", role=True)
    last = pieces.pop() if model == "tail" else None
    for piece in pieces:
        if model == "drip":
            await asyncio.sleep(0.4)
        yield chunk(piece)
    if model != "no-finish":
        yield chunk(last, "stop")
    if include_usage:
        yield _data({"id": "chatcmpl-7", "object": "chat.completion.chunk", "created": 1700000000, "model": model,
                     "choices": [], "usage": {"prompt_tokens": 4, "completion_tokens": 9, "total_tokens": 13}})
    yield b"data: [DONE]\n\n"


async def _responses(model: str, text: str) -> AsyncIterator[bytes]:
    """The typed events of a Responses stream, with sequence numbers and the closing events that repeat the
    full text."""
    seq = iter(range(1000))
    ids = {"item_id": "msg_7", "output_index": 1, "content_index": 0}
    reasoning = {"type": "reasoning", "id": "rs_7", "summary": []}
    message = {"type": "message", "id": "msg_7", "status": "in_progress", "role": "assistant", "content": []}
    response = {"id": "resp_7", "object": "response", "created_at": 1700000000, "status": "in_progress",
                "model": model, "output": []}

    def event(kind: str, **fields: Any) -> bytes:
        return _data({"type": kind, "sequence_number": next(seq), **fields}, kind)

    part = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
    yield event("response.created", response=response)
    yield event("response.output_item.added", output_index=0, item=reasoning)
    yield event("response.output_item.done", output_index=0, item=reasoning)
    yield event("response.output_item.added", output_index=1, item=message)
    yield event("response.content_part.added", **ids, part=part)
    for i in range(0, len(text), 5):
        yield event("response.output_text.delta", **ids, delta=text[i:i + 5], logprobs=[])
    yield event("response.output_text.done", **ids, text=text, logprobs=[])
    done_part = {**part, "text": text}
    yield event("response.content_part.done", **ids, part=done_part)
    done_message = {**message, "status": "completed", "content": [done_part]}
    yield event("response.output_item.done", output_index=1, item=done_message)
    final = {**response, "status": "completed", "output": [reasoning, done_message],
             "usage": {"input_tokens": 4, "output_tokens": 9, "total_tokens": 13,
                       "input_tokens_details": {"cached_tokens": 0}, "output_tokens_details": {"reasoning_tokens": 0}}}
    yield event("response.completed", response=final)


def upstream_app() -> Starlette:
    async def answer(request: Request) -> Response:
        body = await request.json()
        model = str(body.get("model", ""))
        text = "streamed answer to " + _last_user(body)
        path = request.url.path
        stream = _responses(model, text) if path == "/v1/responses" else \
            _chat_or_completion(path == "/v1/chat/completions", model, text, body)
        return StreamingResponse(stream, media_type="text/event-stream")

    return Starlette(routes=[Route(p, answer, methods=["POST"])
                             for p in ("/v1/chat/completions", "/v1/completions", "/v1/responses")])


# -- the gateway: acct_suspect degraded (a canary planted), acct_normal on the allow list ---------------------


def _start_gateway(upstream_url: str, tmp: Path, *, strip_reasoning: bool) -> Gw:
    policy = policy_from_dict({"thresholds": {"degrade": 0.0, "block": 1.0}, "window": {"refresh_seconds": 0.05},
                               "degrade": {"strip_reasoning": strip_reasoning},
                               "lists": {"allow_accounts": ["acct_normal"]}})
    g = _start(upstream_url, policy, tmp, keys=KEYS, forensics_key=MASTER)
    list(g.client("sk-suspect").chat.completions.create(
        model="m", messages=[{"role": "user", "content": "warm up"}], stream=True))
    deadline = time.monotonic() + 15
    while "acct_suspect" not in g.gateway.decider.standing:
        assert time.monotonic() < deadline, "the background refresh never scored the suspect"
        time.sleep(0.05)
    return g


@pytest.fixture(scope="module")
def upstream() -> Iterator[Served]:
    served = Served(upstream_app())
    yield served
    served.stop()


@pytest.fixture(scope="module")
def gw(upstream: Served, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gw]:
    g = _start_gateway(upstream.url, tmp_path_factory.mktemp("canary-stream"), strip_reasoning=False)
    yield g
    g.served.stop()


def _logged(g: Gw, marker: str) -> dict[str, Any]:
    """The traffic-log line of the request whose body mentions ``marker`` (written as the stream ends)."""
    assert g.log is not None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        for line in g.log.read_text().splitlines():
            row = json.loads(line)
            if marker in json.dumps(row["request"]):
                return dict(row)
        time.sleep(0.05)
    raise AssertionError(f"no log line for {marker}")


def _canary(line: dict[str, Any]) -> Canary:
    """The canary a log line says was planted, derived from the master key as `prove canaries` would."""
    info = line["decision"]["forensics"]
    key = MASTER.account_key(line["account_id"], info["epoch"])
    assert info["key_id"] == key.key_id and info["tier"] == "suspect"
    return canaries_for(key, tier_policy("suspect").canaries)[info["canary"]]


def _chat_text(chunks: list[Any]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


# -- streamed answers -----------------------------------------------------------------------------------------


def test_suspects_streamed_chat_carries_its_canary_and_the_key_id_is_logged(gw: Gw) -> None:
    chunks = list(gw.client("sk-suspect").chat.completions.create(
        model="m", messages=[{"role": "user", "content": "chat-suspect"}], stream=True,
        stream_options={"include_usage": True}))
    line = _logged(gw, "chat-suspect")
    canary = _canary(line)
    assert line["decision"]["forensics"]["planted"] is True
    assert _chat_text(chunks) == "streamed answer to chat-suspect\n\n" + canary.statement
    assert line["response"]["text"] == _chat_text(chunks)  # the log keeps what was served
    with_choices = [c for c in chunks if c.choices]
    assert with_choices[-1].choices[0].finish_reason == "stop" and not with_choices[-1].choices[0].delta.content
    assert with_choices[-2].choices[0].delta.content == "\n\n" + canary.statement  # just before the finish
    assert {c.id for c in chunks} == {"chatcmpl-7"} and {c.system_fingerprint for c in with_choices} == {"fp_test"}
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens == 13


def test_normal_accounts_streamed_chat_has_no_canary(gw: Gw) -> None:
    chunks = list(gw.client("sk-normal").chat.completions.create(
        model="m", messages=[{"role": "user", "content": "chat-normal"}], stream=True))
    assert _chat_text(chunks) == "streamed answer to chat-normal"
    line = _logged(gw, "chat-normal")
    assert "forensics" not in line["decision"] and line["decision"]["action"] == "allow"


def test_suspects_streamed_completion_carries_its_canary(gw: Gw) -> None:
    chunks = list(gw.client("sk-suspect").completions.create(model="m", prompt="completion-suspect", stream=True))
    canary = _canary(_logged(gw, "completion-suspect"))
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text == "streamed answer to completion-suspect\n\n" + canary.statement


def test_normal_accounts_streamed_completion_has_no_canary(gw: Gw) -> None:
    chunks = list(gw.client("sk-normal").completions.create(model="m", prompt="completion-normal", stream=True))
    assert "".join(c.choices[0].text for c in chunks if c.choices) == "streamed answer to completion-normal"


def test_suspects_streamed_response_carries_its_canary_in_deltas_and_final_text(gw: Gw) -> None:
    client = gw.client("sk-suspect")
    with client.responses.stream(model="m", input="responses-suspect") as stream:
        events = list(stream)
        final = stream.get_final_response()
    canary = _canary(_logged(gw, "responses-suspect"))
    expected = "streamed answer to responses-suspect\n\n" + canary.statement
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == expected
    assert next(e for e in events if e.type == "response.output_text.done").text == expected
    assert final.output_text == expected  # the client's own accumulation agrees with the closing events
    numbers = [e.sequence_number for e in events]
    assert numbers == list(range(len(numbers)))  # still in order, no duplicates


def test_normal_accounts_streamed_response_has_no_canary(gw: Gw) -> None:
    with gw.client("sk-normal").responses.stream(model="m", input="responses-normal") as stream:
        list(stream)
        final = stream.get_final_response()
    assert final.output_text == "streamed answer to responses-normal"


def test_a_finishing_chunk_that_carries_text_is_split_around_the_canary(gw: Gw) -> None:
    chunks = list(gw.client("sk-suspect").chat.completions.create(
        model="tail", messages=[{"role": "user", "content": "tail-suspect"}], stream=True))
    canary = _canary(_logged(gw, "tail-suspect"))
    assert _chat_text(chunks) == "streamed answer to tail-suspect\n\n" + canary.statement
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_a_stream_without_finish_reason_gets_the_canary_before_done(gw: Gw) -> None:
    chunks = list(gw.client("sk-suspect").chat.completions.create(
        model="no-finish", messages=[{"role": "user", "content": "nofinish-suspect"}], stream=True))
    canary = _canary(_logged(gw, "nofinish-suspect"))
    assert _chat_text(chunks).endswith("\n\n" + canary.statement)


def test_planting_does_not_buffer_the_stream(gw: Gw) -> None:
    began = time.monotonic()
    arrivals = []
    for chunk in gw.client("sk-suspect").chat.completions.create(
            model="drip", messages=[{"role": "user", "content": "drip-suspect"}], stream=True):
        if chunk.choices and chunk.choices[0].delta.content:
            arrivals.append(time.monotonic() - began)
    assert len(arrivals) >= 5
    assert arrivals[0] < arrivals[-1] - 1.0  # the first text came well before the last: nothing held back


def test_canary_and_reasoning_stripping_together(upstream: Served, tmp_path: Path) -> None:
    g = _start_gateway(upstream.url, tmp_path, strip_reasoning=True)
    try:
        chunks = list(g.client("sk-suspect").chat.completions.create(
            model="m", messages=[{"role": "user", "content": "strip-suspect"}], stream=True))
        canary = _canary(_logged(g, "strip-suspect"))
        assert _chat_text(chunks) == "streamed answer to strip-suspect\n\n" + canary.statement
    finally:
        g.served.stop()


# -- the planter on its own -----------------------------------------------------------------------------------


def test_an_event_split_across_reads_and_an_unterminated_done_still_get_the_canary() -> None:
    canary = StreamCanary("/v1/completions", "Planted.")
    events = [b'data: {"id":"c","choices":[{"index":0,"text":"hi","finish_reason":null}]}\n\n', b"data: [DONE]"]
    out = [e for event in events for e in canary.feed(event)]
    assert canary.planted and len(out) == 3 and out[-1] == b"data: [DONE]"
    assert json.loads(out[1][len(b"data: "):])["choices"][0]["text"] == "\n\nPlanted."


def test_nothing_is_planted_in_a_stream_with_no_text() -> None:
    canary = StreamCanary("/v1/chat/completions", "Planted.")
    assert canary.feed(b"data: [DONE]\n\n") == [b"data: [DONE]\n\n"]
    assert canary.feed(b"data: not json\n\n") == [b"data: not json\n\n"]
    assert not canary.planted


def test_a_tool_call_stream_gets_no_canary() -> None:
    canary = StreamCanary("/v1/chat/completions", "Planted.")
    call = {"id": "c", "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": {"name": "f"}}]},
                                    "finish_reason": None}]}
    finish = {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}
    events = [b"data: " + json.dumps(call).encode() + b"\n\n", b"data: " + json.dumps(finish).encode() + b"\n\n",
              b"data: [DONE]\n\n"]
    assert [e for event in events for e in canary.feed(event)] == events
    assert not canary.planted
