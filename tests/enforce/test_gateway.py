"""The gateway end to end over real loopback HTTP: a local OpenAI-compatible upstream, the gateway under
uvicorn, and the official ``openai`` client pointed at it. Nothing is mocked; every server binds 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from distillguard.enforce.decider import Decider
from distillguard.enforce.gateway import GUARDRAIL_PATH, Gateway, GatewayConfig, Timeouts, key_id
from distillguard.enforce.openai_wire import SSEFilter, event_data, sse_error_event
from distillguard.enforce.policy import FailModes, Policy, policy_from_dict
from distillguard.enforce.state import RedisRate
from distillguard.events import ReadReport, read_events

# -- a tiny OpenAI-compatible upstream -------------------------------------------------------------------


@dataclass
class UpstreamState:
    hits: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def bodies(self, marker: str) -> list[dict[str, Any]]:
        """Request bodies the upstream received whose text mentions ``marker``."""
        return [body for _, body in self.hits if marker in json.dumps(body)]


def _last_user(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    value = body.get("prompt") or body.get("input")
    return value if isinstance(value, str) else ""


def _sse(obj: Any, event: str | None = None) -> bytes:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(obj)}\n\n".encode()


def upstream_app(state: UpstreamState) -> Starlette:
    """Answers chat/completions, completions and responses, streamed or not, with reasoning. The model name
    steers it: ``slow`` sleeps 2 s, ``fail-500`` answers 500, ``drip`` streams with pauses, ``stall`` stalls
    a stream after its first event."""

    async def answer(request: Request) -> Response:
        body = await request.json()
        path = request.url.path
        state.hits.append((path, body))
        model = body.get("model", "")
        if model == "slow":
            await asyncio.sleep(2.0)
        if model == "fail-500":
            return JSONResponse({"error": {"message": "upstream exploded", "type": "server_error", "param": None,
                                           "code": None}}, status_code=500)
        text = "echo: " + _last_user(body)
        usage = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12,
                 "completion_tokens_details": {"reasoning_tokens": 3}}
        if body.get("stream"):
            return StreamingResponse(_stream(path, model, text, usage, body), media_type="text/event-stream")
        if path == "/v1/chat/completions":
            return JSONResponse({"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
                                 "choices": [{"index": 0, "finish_reason": "stop", "message": {
                                     "role": "assistant", "content": text, "reasoning_content": "secret thoughts"}}],
                                 "usage": usage, "received": body})
        if path == "/v1/completions":
            return JSONResponse({"id": "cmpl-1", "object": "text_completion", "created": 0, "model": model,
                                 "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
                                 "usage": usage, "received": body})
        return JSONResponse(_response_obj(model, text, body))

    async def models(request: Request) -> Response:
        return JSONResponse({"object": "list", "data": [{"id": "m1", "object": "model", "created": 0,
                                                          "owned_by": "test"}]}, headers={"x-upstream": "models"})

    async def embeddings(request: Request) -> Response:
        body = await request.body()
        return Response(body, status_code=201, media_type="application/json", headers={"x-upstream": "embeddings"})

    return Starlette(routes=[Route("/v1/chat/completions", answer, methods=["POST"]),
                             Route("/v1/completions", answer, methods=["POST"]),
                             Route("/v1/responses", answer, methods=["POST"]),
                             Route("/v1/models", models, methods=["GET"]),
                             Route("/v1/embeddings", embeddings, methods=["POST"])])


def _response_obj(model: str, text: str, body: dict[str, Any] | None) -> dict[str, Any]:
    return {"id": "resp_1", "object": "response", "created_at": 0, "model": model, "status": "completed",
            "output": [{"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "secret"}]},
                       {"type": "message", "id": "msg_1", "role": "assistant", "status": "completed",
                        "content": [{"type": "output_text", "text": text, "annotations": []}]}],
            "usage": {"input_tokens": 7, "output_tokens": 5, "total_tokens": 12,
                      "output_tokens_details": {"reasoning_tokens": 3}},
            "received": body}


async def _stream(path: str, model: str, text: str, usage: dict[str, Any],
                  body: dict[str, Any]) -> AsyncIterator[bytes]:
    pause = 0.3 if model == "drip" else 0.0
    if path == "/v1/responses":
        yield _sse({"type": "response.created", "response": {"id": "resp_1", "status": "in_progress", "output": []}},
                   "response.created")
        yield _sse({"type": "response.output_item.added", "output_index": 0,
                    "item": {"type": "reasoning", "id": "rs_1", "summary": []}}, "response.output_item.added")
        yield _sse({"type": "response.reasoning_summary_text.delta", "delta": "secret"},
                   "response.reasoning_summary_text.delta")
        for piece in (text[:6], text[6:]):
            yield _sse({"type": "response.output_text.delta", "delta": piece}, "response.output_text.delta")
        yield _sse({"type": "response.completed", "response": _response_obj(model, text, None)}, "response.completed")
        return
    chat = path == "/v1/chat/completions"

    def chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
        choice: dict[str, Any] = {"index": 0, "finish_reason": finish}
        if chat:
            choice["delta"] = delta
        else:
            choice["text"] = delta.get("content", "")
        return _sse({"id": "chunk-1", "object": "chat.completion.chunk" if chat else "text_completion",
                     "created": 0, "model": model, "choices": [choice]})

    yield chunk({"role": "assistant", "content": ""})
    if model == "stall":
        await asyncio.sleep(2.0)
    if chat:
        yield chunk({"reasoning_content": "secret thoughts"})
    for piece in (text[:6], text[6:]):
        await asyncio.sleep(pause)
        yield chunk({"content": piece})
    yield chunk({}, "stop")
    if (body.get("stream_options") or {}).get("include_usage"):
        yield _sse({"id": "chunk-1", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [],
                    "usage": usage})
    yield b"data: [DONE]\n\n"


# -- servers on free loopback ports ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


class Served:
    """An ASGI app under uvicorn in a thread, on a free 127.0.0.1 port."""

    def __init__(self, app: Any) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        self.port = int(sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", access_log=False,
                                                    timeout_graceful_shutdown=1))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [sock]}, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.01)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(5)


@pytest.fixture(scope="module")
def upstream() -> Iterator[tuple[Served, UpstreamState]]:
    state = UpstreamState()
    served = Served(upstream_app(state))
    yield served, state
    served.stop()


@dataclass
class Gw:
    served: Served
    gateway: Gateway
    log: Path | None

    @property
    def url(self) -> str:
        return self.served.url

    def client(self, key: str, retries: int = 0) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=retries, timeout=10)

    def count(self, action: str, endpoint: str = "/v1/chat/completions") -> float:
        value = self.gateway.metrics.registry.get_sample_value(
            "distillguard_requests_total", {"endpoint": endpoint, "action": action, "shadow": "false"})
        return value or 0.0


def _start(upstream_url: str, policy: Policy, tmp: Path, *, decider: Decider | None = None, **config: Any) -> Gw:
    log_path = tmp / "traffic.jsonl"
    cfg = GatewayConfig(upstream=upstream_url, log_path=log_path, refresh_interval_s=0.1,
                        timeouts=Timeouts(connect=2.0, read=1.0), **config)
    gateway = Gateway(cfg, decider or Decider(policy))
    return Gw(Served(gateway.app), gateway, log_path)


def _start_suspect(upstream_url: str, tmp: Path, **config: Any) -> Gw:
    """A gateway whose every account is degraded once the window has scored it (degrade threshold 0), warmed
    up through the real record -> refresh -> decide path with one request from sk-suspect."""
    policy = policy_from_dict({"thresholds": {"degrade": 0.0, "block": 1.0}, "window": {"refresh_seconds": 0.05}})
    g = _start(upstream_url, policy, tmp, **config)
    g.client("sk-suspect").chat.completions.create(model="m", messages=[{"role": "user", "content": "warm up"}])
    deadline = time.monotonic() + 15
    while not g.gateway.decider.standing:
        assert time.monotonic() < deadline, "the background refresh never scored the window"
        time.sleep(0.05)
    return g


KEYS = {"sk-alice": "acct_alice", "sk-blocked": "acct_blocked", "sk-log": "acct_log"}


@pytest.fixture(scope="module")
def gw(upstream: tuple[Served, UpstreamState], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gw]:
    policy = policy_from_dict({"lists": {"block_accounts": ["acct_blocked"]}})
    g = _start(upstream[0].url, policy, tmp_path_factory.mktemp("main"), keys=KEYS, unknown_key="account",
               max_body_bytes=64 * 1024)
    yield g
    g.served.stop()


# -- allow: the openai client works through the gateway ------------------------------------------------------


def test_chat_completion_passes_through_with_decision_headers(gw: Gw) -> None:
    raw = gw.client("sk-alice").chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "hello there"}])
    completion = raw.parse()
    assert completion.choices[0].message.content == "echo: hello there"
    assert raw.headers["x-distillguard-action"] == "allow"
    assert raw.headers["x-distillguard-reference"].startswith("dg_")


def test_streamed_chat_arrives_whole_with_usage(gw: Gw) -> None:
    stream = gw.client("sk-alice").chat.completions.create(
        model="m", messages=[{"role": "user", "content": "stream me"}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "echo: stream me"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5
    reasoning = [c for c in chunks if c.choices and getattr(c.choices[0].delta, "reasoning_content", None)]
    assert reasoning, "an allowed stream keeps the reasoning deltas"


def test_stream_is_relayed_without_buffering(gw: Gw) -> None:
    began = time.monotonic()
    arrivals = []
    with httpx.stream("POST", gw.url + "/v1/chat/completions", headers={"authorization": "Bearer sk-alice"},
                      json={"model": "drip", "stream": True, "messages": [{"role": "user", "content": "x"}]}) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                arrivals.append(time.monotonic() - began)
    assert arrivals[-1] >= 0.5  # the upstream pauses 0.3 s twice
    assert arrivals[0] < arrivals[-1] - 0.4, "the first event came before the upstream finished"


def test_client_leaving_mid_stream_is_logged_as_499(gw: Gw) -> None:
    with httpx.stream("POST", gw.url + "/v1/chat/completions", headers={"authorization": "Bearer sk-alice"},
                      json={"model": "drip", "stream": True, "messages": [{"role": "user", "content": "bye"}]}) as r:
        request_id = r.headers["x-distillguard-request-id"]
        next(r.iter_lines())
    deadline = time.monotonic() + 5
    while request_id not in gw.log.read_text():  # type: ignore[union-attr]
        assert time.monotonic() < deadline, "the abandoned stream was never logged"
        time.sleep(0.05)
    line = next(json.loads(x) for x in gw.log.read_text().splitlines() if request_id in x)  # type: ignore[union-attr]
    assert line["status"] == 499


def test_completions_and_responses_endpoints_work(gw: Gw) -> None:
    client = gw.client("sk-alice")
    completion = client.completions.create(model="m", prompt="complete me")
    assert completion.choices[0].text == "echo: complete me"
    response = client.responses.create(model="m", input="respond to me")
    assert response.output_text == "echo: respond to me"


# -- block, throttle, degrade, shadow --------------------------------------------------------------------------


def test_blocked_account_gets_403_with_code_and_reference_and_the_client_does_not_retry(
        gw: Gw, upstream: tuple[Served, UpstreamState]) -> None:
    before = gw.count("block")
    with pytest.raises(openai.PermissionDeniedError) as caught:
        gw.client("sk-blocked", retries=3).chat.completions.create(
            model="m", messages=[{"role": "user", "content": "blocked-marker"}])
    err = caught.value
    assert err.status_code == 403 and err.code == "blocklist"
    reference = err.response.headers["x-distillguard-reference"]
    assert reference.startswith("dg_") and reference in err.message
    assert err.response.headers["x-should-retry"] == "false"
    assert err.body == {"message": err.body["message"], "type": "invalid_request_error", "param": None,
                        "code": "blocklist"}
    assert gw.count("block") - before == 1, "the client did not retry"
    assert upstream[1].bodies("blocked-marker") == [], "the upstream never saw it"


@pytest.fixture(scope="module")
def gw_throttle(upstream: tuple[Served, UpstreamState], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gw]:
    policy = policy_from_dict({"rate_limit": {"requests_per_minute": 120, "burst": 0}})
    g = _start(upstream[0].url, policy, tmp_path_factory.mktemp("throttle"))
    yield g
    g.served.stop()


def test_throttled_account_gets_429_and_the_client_retries_after_the_wait(
        gw_throttle: Gw, upstream: tuple[Served, UpstreamState]) -> None:
    client = gw_throttle.client("sk-throttled", retries=1)
    client.chat.completions.create(model="m", messages=[{"role": "user", "content": "throttle-marker"}])
    began = time.monotonic()
    second = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "throttle-marker"}])
    waited = time.monotonic() - began
    assert second.choices[0].message.content == "echo: throttle-marker"
    assert gw_throttle.count("throttle") == 1, "the second call was throttled once"
    assert len(upstream[1].bodies("throttle-marker")) == 2, "then retried and served"
    assert waited >= 0.4, "the client waited as told (0.5 s at 120 requests a minute)"


def test_throttle_answer_has_retry_after_and_ratelimit_headers(gw_throttle: Gw) -> None:
    headers = {"authorization": "Bearer sk-throttle-raw"}
    payload = {"model": "m", "messages": [{"role": "user", "content": "x"}]}
    with httpx.Client(base_url=gw_throttle.url) as http:
        assert http.post("/v1/chat/completions", headers=headers, json=payload).status_code == 200
        r = http.post("/v1/chat/completions", headers=headers, json=payload)
    assert r.status_code == 429
    assert r.headers["retry-after"].isdigit() and int(r.headers["retry-after"]) >= 1
    assert r.headers["x-ratelimit-limit-requests"] == "120"
    assert r.headers["x-ratelimit-remaining-requests"] == "0"
    assert r.headers["x-ratelimit-reset-requests"].endswith("ms")
    assert r.headers["x-distillguard-action"] == "throttle"
    error = r.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["code"] == "rate_limit_exceeded" and error["param"] is None


@pytest.fixture(scope="module")
def gw_degrade(upstream: tuple[Served, UpstreamState], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gw]:
    # Every account the window has seen scores >= 0, so it is degraded from the first refresh after its
    # first request on: the real record -> refresh -> decide path, with thresholds that make it certain.
    g = _start_suspect(upstream[0].url, tmp_path_factory.mktemp("degrade"))
    yield g
    g.served.stop()


def test_degrade_strips_reasoning_and_caps_the_request(gw_degrade: Gw, upstream: tuple[Served, UpstreamState]) -> None:
    raw = gw_degrade.client("sk-suspect").chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "degrade-marker"}], max_tokens=5000, n=3, logprobs=True,
        top_logprobs=5, logit_bias={"42": 1.0})
    assert raw.headers["x-distillguard-action"] == "degrade"
    assert raw.headers["x-distillguard-watermark"] == "suspect"
    completion = raw.parse()
    message = completion.choices[0].message
    assert message.content == "echo: degrade-marker"
    assert getattr(message, "reasoning_content", None) is None
    received = upstream[1].bodies("degrade-marker")[-1]
    assert received["max_tokens"] == 1024 and received["n"] == 1
    assert not {"logprobs", "top_logprobs", "logit_bias"} & set(received)


def test_degrade_drops_reasoning_from_streams(gw_degrade: Gw) -> None:
    client = gw_degrade.client("sk-suspect")
    chunks = list(client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "degrade-stream"}], stream=True))
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == "echo: degrade-stream"
    assert not [c for c in chunks if c.choices and getattr(c.choices[0].delta, "reasoning_content", None)]
    events = list(client.responses.create(model="m", input="degrade-responses", stream=True))
    kinds = [e.type for e in events]
    assert "response.output_text.delta" in kinds
    assert not [k for k in kinds if k.startswith("response.reasoning")]
    assert not [e for e in events if getattr(getattr(e, "item", None), "type", None) == "reasoning"]
    final = client.responses.create(model="m", input="degrade-responses", max_output_tokens=9000)
    assert [item.type for item in final.output] == ["message"]


@pytest.fixture(scope="module")
def gw_shadow(upstream: tuple[Served, UpstreamState], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gw]:
    policy = policy_from_dict({"mode": "shadow", "lists": {"block_accounts": [key_id("sk-shadow-blocked")]},
                               "rate_limit": {"requests_per_minute": 60, "burst": 0}})
    g = _start(upstream[0].url, policy, tmp_path_factory.mktemp("shadow"))
    yield g
    g.served.stop()


def test_shadow_mode_decides_and_logs_but_never_acts(gw_shadow: Gw) -> None:
    client = gw_shadow.client("sk-shadow-blocked")
    for _ in range(3):  # on the block list and over the rate: all served
        raw = client.chat.completions.with_raw_response.create(model="m", messages=[{"role": "user", "content": "s"}])
        assert raw.http_response.status_code == 200
        assert raw.headers["x-distillguard-action"] == "allow"
    lines = [json.loads(line) for line in gw_shadow.log.read_text().splitlines()]  # type: ignore[union-attr]
    assert [line["decision"]["action"] for line in lines] == ["block"] * 3
    assert all(line["decision"]["shadow"] and line["decision"]["effective"] == "allow" for line in lines)


# -- bad input and upstream failures -------------------------------------------------------------------------


def test_malformed_json_is_a_400_naming_the_problem(gw: Gw) -> None:
    r = httpx.post(gw.url + "/v1/chat/completions", content=b'{"model": "m", "messages": [',
                   headers={"authorization": "Bearer sk-alice", "content-type": "application/json"})
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "invalid_json" and "JSON" in error["message"] and error["type"] == "invalid_request_error"


def test_oversized_body_is_a_413(gw: Gw) -> None:
    big = {"model": "m", "messages": [{"role": "user", "content": "x" * 100_000}]}
    r = httpx.post(gw.url + "/v1/chat/completions", json=big, headers={"authorization": "Bearer sk-alice"})
    assert r.status_code == 413
    assert r.json()["error"]["code"] == "request_too_large"


def test_upstream_timeout_is_a_504(gw: Gw) -> None:
    with pytest.raises(openai.APIStatusError) as caught:
        gw.client("sk-alice").chat.completions.create(model="slow", messages=[{"role": "user", "content": "zz"}])
    assert caught.value.status_code == 504 and caught.value.code == "upstream_timeout"


def test_upstream_stall_mid_stream_becomes_an_in_band_error_event(gw: Gw) -> None:
    with httpx.stream("POST", gw.url + "/v1/chat/completions", headers={"authorization": "Bearer sk-alice"},
                      json={"model": "stall", "stream": True, "messages": [{"role": "user", "content": "x"}]}) as r:
        assert r.status_code == 200
        lines = [line for line in r.iter_lines() if line.startswith("data:")]
    assert json.loads(lines[-1][5:])["error"]["code"] == "upstream_timeout"


def test_upstream_500_is_passed_through(gw: Gw) -> None:
    with pytest.raises(openai.InternalServerError) as caught:
        gw.client("sk-alice").chat.completions.create(model="fail-500", messages=[{"role": "user", "content": "x"}])
    assert caught.value.status_code == 500 and "upstream exploded" in caught.value.message


def test_unreachable_upstream_is_a_502(tmp_path: Path) -> None:
    g = _start(f"http://127.0.0.1:{free_port()}", Policy(), tmp_path)
    try:
        r = httpx.post(g.url + "/v1/chat/completions", headers={"authorization": "Bearer k"},
                       json={"model": "m", "messages": [{"role": "user", "content": "x"}]})
    finally:
        g.served.stop()
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_unreachable"


def test_other_paths_pass_through_untouched(gw: Gw) -> None:
    models = httpx.get(gw.url + "/v1/models", headers={"authorization": "Bearer anything"})
    assert models.status_code == 200 and models.headers["x-upstream"] == "models"
    assert models.json()["data"][0]["id"] == "m1"
    body = b'{"input": "embed me", "model": "e"}'
    r = httpx.post(gw.url + "/v1/embeddings", content=body, headers={"content-type": "application/json"})
    assert (r.status_code, r.content, r.headers["x-upstream"]) == (201, body, "embeddings")
    assert "x-distillguard-action" not in r.headers


# -- fail modes ------------------------------------------------------------------------------------------------


class UnavailableDecider(Decider):
    """A decision path whose state is gone (as when a shared store is down): every decide raises."""

    def decide(self, account_id: str, *, api_key_id: str | None = None, now_ms: int | None = None) -> Any:
        raise ConnectionError("state store unreachable")


def test_fail_modes_are_obeyed_per_decision_class(upstream: tuple[Served, UpstreamState], tmp_path: Path) -> None:
    decider = UnavailableDecider(Policy())
    g = _start(upstream[0].url, Policy(), tmp_path, decider=decider)
    payload = {"model": "m", "messages": [{"role": "user", "content": "fail-mode"}]}
    headers = {"authorization": "Bearer sk-fail"}
    try:
        with httpx.Client(base_url=g.url) as http:
            opened = http.post("/v1/chat/completions", json=payload, headers=headers)
            decider.policy = replace(Policy(), fail=FailModes(throttle="closed"))
            throttled = http.post("/v1/chat/completions", json=payload, headers=headers)
            decider.policy = replace(Policy(), fail=FailModes(block="closed"))
            refused = http.post("/v1/chat/completions", json=payload, headers=headers)
            metrics = http.get("/metrics").text
    finally:
        g.served.stop()
    assert opened.status_code == 200 and opened.headers["x-distillguard-action"] == "allow"
    assert throttled.status_code == 429 and throttled.headers["retry-after"] == "1"
    assert refused.status_code == 503 and refused.json()["error"]["code"] == "fail_closed"
    assert 'distillguard_bypasses_total{reason="fail_open"} 1.0' in metrics
    decisions = [json.loads(line)["decision"] for line in g.log.read_text().splitlines()]  # type: ignore[union-attr]
    assert [(d["action"], d["code"]) for d in decisions] == [("allow", "fail_open"), ("throttle", "fail_closed"),
                                                            ("block", "fail_closed")]
    assert decisions[0]["bypass"] == "fail_open"


def test_redis_rate_holds_across_two_gateways_and_its_loss_obeys_the_fail_mode(
        upstream: tuple[Served, UpstreamState], tmp_path: Path) -> None:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed (./dev test installs it)")
    port = free_port()
    redis_proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                                   "no", "--dir", str(tmp_path)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    policy = policy_from_dict({"rate_limit": {"requests_per_minute": 6, "burst": 1}})
    gateways: list[Gw] = []
    try:
        deadline = time.monotonic() + 10
        while not _listening(port):
            assert time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.02)
        for i in range(2):
            rate = RedisRate(f"redis://127.0.0.1:{port}/0", policy.rate_limit, timeout_s=0.2)
            gateways.append(_start(upstream[0].url, policy, tmp_path / f"g{i}", decider=Decider(policy, rate=rate)))
        payload = {"model": "m", "messages": [{"role": "user", "content": "shared"}]}
        headers = {"authorization": "Bearer sk-shared"}
        statuses = [httpx.post(g.url + "/v1/chat/completions", json=payload, headers=headers).status_code
                    for g in (gateways[0], gateways[1], gateways[0], gateways[1])]
        assert statuses == [200, 200, 429, 429], "burst 1: two requests in all, whichever replica serves them"
        redis_proc.kill()
        redis_proc.wait(10)
        opened = httpx.post(gateways[0].url + "/v1/chat/completions", json=payload, headers=headers)
        gateways[0].gateway.decider.policy = replace(policy, fail=FailModes(throttle="closed"))
        closed = httpx.post(gateways[0].url + "/v1/chat/completions", json=payload, headers=headers)
    finally:
        for g in gateways:
            g.served.stop()
        if redis_proc.poll() is None:
            redis_proc.kill()
            redis_proc.wait(10)
    assert opened.status_code == 200, "Redis gone, fail.throttle open: allowed"
    assert closed.status_code == 429 and "could not be checked" in closed.json()["error"]["message"]


# -- metrics, traffic log, LiteLLM guardrail -----------------------------------------------------------------


def test_metrics_count_requests_by_endpoint_and_action(gw: Gw) -> None:
    gw.client("sk-alice").chat.completions.create(model="m", messages=[{"role": "user", "content": "count me"}])
    text = httpx.get(gw.url + "/metrics").text
    assert 'distillguard_requests_total{action="allow",endpoint="/v1/chat/completions",shadow="false"}' in text
    assert "distillguard_decision_seconds_bucket" in text
    assert 'distillguard_upstream_seconds_count{endpoint="/v1/chat/completions"}' in text
    assert "distillguard_refresh_failures_total 0.0" in text


def test_traffic_log_lines_are_contract_lines_with_the_decision(gw: Gw) -> None:
    client = gw.client("sk-log")
    ids = [client.chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": "log me"}],
        temperature=0.2).headers["x-distillguard-request-id"]]
    with client.chat.completions.with_streaming_response.create(
            model="m", messages=[{"role": "user", "content": "log my stream"}], stream=True) as streamed:
        ids.append(streamed.headers["x-distillguard-request-id"])
        for _ in streamed.iter_lines():
            pass
    odd = httpx.post(gw.url + "/v1/responses", headers={"authorization": "Bearer sk-log"},  # an input item with no role
                     json={"model": "m", "input": [{"type": "function_call_output", "call_id": "c1", "output": "42"}]})
    ids.append(odd.headers["x-distillguard-request-id"])
    report = ReadReport()
    table = [row for batch in read_events([gw.log], report=report) for row in batch.to_pylist()]  # type: ignore[list-item]
    assert report.bad == 0 and report.good == len(table) > 0
    rows = {row["request_id"]: row for row in table}
    plain, stream = rows[ids[0]], rows[ids[1]]
    assert plain["account_id"] == "acct_log" and plain["api_key_id"] == key_id("sk-log")
    assert plain["prompt"] == "log me" and plain["system"] == "be brief" and plain["temperature"] == 0.2
    assert plain["response_chars"] == len("echo: log me") and plain["status"] == 200
    assert plain["completion_tokens"] == 5 and plain["reasoning_tokens"] == 3 and plain["ip"] == "127.0.0.1"
    assert stream["response_chars"] == len("echo: log my stream") and stream["stream"] is True
    kept = json.loads(rows[ids[2]]["extra"])["request_raw"]  # the contract could not hold it: kept aside
    assert kept["input"][0]["output"] == "42"
    decision = json.loads(plain["extra"])["decision"]
    assert decision["action"] == "allow" and decision["reference"].startswith("dg_")
    assert "sk-log" not in gw.log.read_text()  # type: ignore[union-attr]


def test_litellm_generic_guardrail_api(gw: Gw) -> None:
    def ask(user: str, input_type: str = "request") -> dict[str, Any]:
        body = {"texts": ["hello"], "input_type": input_type, "litellm_call_id": f"call-{user}-{input_type}",
                "request_data": {"user_api_key_hash": "abc123", "user_api_key_user_id": user},
                "additional_provider_specific_params": {}}
        r = httpx.post(gw.url + GUARDRAIL_PATH, json=body)
        assert r.status_code == 200
        return dict(r.json())

    blocked = ask("acct_blocked")
    assert blocked["action"] == "BLOCKED" and "blocklist" in blocked["blocked_reason"]
    assert "dg_" in blocked["blocked_reason"]
    assert ask("acct_guardrail_ok") == {"action": "NONE"}
    assert ask("acct_blocked", "response") == {"action": "NONE"}


# -- helpers ---------------------------------------------------------------------------------------------------


def test_in_band_error_event_is_a_data_line_with_the_error_shape() -> None:
    event = sse_error_event("blocked mid-stream; reference dg_1", "invalid_request_error", "extraction_cluster")
    assert event.endswith(b"\n\n") and event.startswith(b"data: ")
    assert json.loads(event_data(event) or b"") == {"error": {
        "message": "blocked mid-stream; reference dg_1", "type": "invalid_request_error", "param": None,
        "code": "extraction_cluster"}}


def test_reasoning_filter_keeps_events_split_across_chunks() -> None:
    filt = SSEFilter("/v1/chat/completions")
    event = _sse({"choices": [{"index": 0, "delta": {"reasoning_content": "r"}, "finish_reason": None}]})
    content = _sse({"choices": [{"index": 0, "delta": {"content": "c"}, "finish_reason": None}]})
    out = filt.feed(event[:7]) + filt.feed(event[7:] + content[:10]) + filt.feed(content[10:])
    assert out == [content]


# -- the CLI process: identity from a key map, and no lost lines on SIGKILL ------------------------------------


def start_cli_gateway(*args: str) -> tuple[subprocess.Popen[bytes], str]:
    """``distillguard gateway ARGS`` in a process of its own on a free port, once it answers; the caller stops
    it. Its stderr is a pipe (read it after stopping the process)."""
    port = free_port()
    exe = Path(sys.executable).with_name("distillguard")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from distillguard.cli import run; run()"]
    proc = subprocess.Popen([*cmd, "gateway", "--port", str(port), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "NO_COLOR": "1"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(url + "/metrics", timeout=0.5)
            return proc, url
        except httpx.TransportError:
            if proc.poll() is not None:
                raise AssertionError(f"the gateway exited: {proc.stderr.read().decode()}") from None  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                proc.kill()
                raise AssertionError("the gateway did not start") from None
            time.sleep(0.1)


def test_sigkill_right_after_responses_keeps_every_completed_line(
        upstream: tuple[Served, UpstreamState], tmp_path: Path) -> None:
    keys = tmp_path / "keys.yaml"
    keys.write_text("sk-cli: acct_cli\n")
    log_path = tmp_path / "traffic.jsonl"
    proc, url = start_cli_gateway("--upstream", upstream[0].url + "/v1", "--keys", str(keys), "--log", str(log_path))
    try:
        with httpx.Client(base_url=url) as http:
            unknown = http.post("/v1/chat/completions", headers={"authorization": "Bearer sk-unknown"},
                                json={"model": "m", "messages": [{"role": "user", "content": "x"}]})
            assert unknown.status_code == 401 and unknown.json()["error"]["code"] == "invalid_api_key"
            references = []
            for i in range(12):
                payload = {"model": "m", "stream": i % 3 == 0, "messages": [{"role": "user", "content": f"kill {i}"}]}
                r = http.post("/v1/chat/completions", headers={"authorization": "Bearer sk-cli"}, json=payload)
                assert r.status_code == 200
                references.append(r.headers["x-distillguard-reference"])
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    lines = [json.loads(line) for line in log_path.read_text().splitlines()]
    assert [line["decision"]["reference"] for line in lines] == references
    assert {line["account_id"] for line in lines} == {"acct_cli"}


@pytest.fixture(scope="module")
def gw_forensics(upstream: tuple[Served, UpstreamState], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gw]:
    from distillguard.forensics.keys import MasterKey

    g = _start_suspect(upstream[0].url, tmp_path_factory.mktemp("forensics"), forensics_key=MasterKey(b"m" * 32))
    yield g
    g.served.stop()


def test_degraded_answers_carry_the_accounts_canary_and_the_key_id_is_logged(gw_forensics: Gw) -> None:
    from distillguard.forensics.canaries import canaries_for
    from distillguard.forensics.keys import MasterKey, tier_policy

    answer = gw_forensics.client("sk-suspect").chat.completions.create(
        model="m", messages=[{"role": "user", "content": "forensic-marker"}])
    content = answer.choices[0].message.content or ""
    assert content.startswith("echo: forensic-marker\n\n")
    deadline = time.monotonic() + 5
    line = None
    while line is None and time.monotonic() < deadline:
        lines = [json.loads(x) for x in gw_forensics.log.read_text().splitlines()]  # type: ignore[union-attr]
        line = next((x for x in lines if "forensic-marker" in json.dumps(x["request"])), None)
        time.sleep(0.05)
    assert line is not None
    info = line["decision"]["forensics"]
    key = MasterKey(b"m" * 32).account_key(line["account_id"], info["epoch"])
    assert info["key_id"] == key.key_id and info["planted"] is True and info["tier"] == "suspect"
    canary = canaries_for(key, tier_policy("suspect").canaries)[info["canary"]]
    assert content.endswith(canary.statement)
    assert line["response"]["text"].endswith(canary.statement)  # the log keeps what was served
