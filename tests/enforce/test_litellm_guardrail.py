"""The LiteLLM ``CustomGuardrail`` adapter: its hooks called directly with the objects LiteLLM's proxy passes,
and one end-to-end run of the real ``litellm`` proxy (the CLI, on loopback) with the guardrail configured,
in front of a tiny local OpenAI-compatible upstream, with the official ``openai`` client.

Skipped as a whole without LiteLLM's proxy (``pip install 'distillguard[litellm]'``). Nothing is fetched:
LiteLLM's model cost map is the copy it ships (``LITELLM_LOCAL_MODEL_COST_MAP``), and the proxy runs with
every outbound proxy variable pointing at a closed loopback port, so anything but 127.0.0.1 fails fast."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

# Before LiteLLM is imported: it would otherwise fetch its model cost map from the network at import.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

pytest.importorskip("litellm", reason="litellm is not installed (pip install 'distillguard[litellm]')")
lg = pytest.importorskip("distillguard.enforce.litellm_guardrail", exc_type=ImportError,
                         reason="LiteLLM's proxy is not installed (pip install 'distillguard[litellm]')")
UserAPIKeyAuth = pytest.importorskip("litellm.proxy._types").UserAPIKeyAuth
litellm_utils = pytest.importorskip("litellm.types.utils")

import openai  # noqa: E402
import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, Response, StreamingResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from distillguard.enforce.decider import Decider  # noqa: E402
from distillguard.enforce.gateway import key_id  # noqa: E402
from distillguard.enforce.policy import policy_from_dict  # noqa: E402
from distillguard.events import ReadReport, read_events  # noqa: E402
from distillguard.share.indicators import Match  # noqa: E402

# pydantic warns about LiteLLM's own TypedDicts when it first builds their schemas: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore:Item .* is using the `ReadOnly` qualifier:UserWarning")

DistillguardGuardrail = lg.DistillguardGuardrail
DistillguardRefusal = lg.DistillguardRefusal
SECRET = "test-secret"


# -- what LiteLLM's proxy hands a guardrail -----------------------------------------------------------------


def key(user_id: str | None = "acct_alice", *, raw: str = "sk-alice", team_id: str | None = None,
        key_alias: str | None = None) -> Any:
    """The ``UserAPIKeyAuth`` LiteLLM builds after authenticating ``raw`` (it keeps the key hashed)."""
    return UserAPIKeyAuth(api_key=raw, user_id=user_id, team_id=team_id, key_alias=key_alias)


def request(body: dict[str, Any], call_id: str = "call-1") -> dict[str, Any]:
    """The ``data`` of a proxied chat call, as LiteLLM passes it to ``async_pre_call_hook``: the client's
    body, LiteLLM's own keys, and a shallow copy of the body whose ``metadata`` LiteLLM fills in."""
    metadata: dict[str, Any] = {"headers": {"user-agent": "OpenAI/Python 9.9"}, "requester_ip_address": "10.0.0.7",
                                "user_api_key_hash": "ab" * 32, "user_api_key_auth": key()}
    data = {**body, "litellm_call_id": call_id, "litellm_logging_obj": object(), "metadata": metadata,
            "secret_fields": {"raw_headers": {"authorization": "Bearer sk-alice"}}}
    data["proxy_server_request"] = {"url": "http://127.0.0.1:4000/v1/chat/completions", "method": "POST",
                                    "headers": {"user-agent": "OpenAI/Python 9.9"},
                                    "body": {**body, "metadata": metadata}}
    return data


def chat(text: str = "hi", **params: Any) -> dict[str, Any]:
    return {"model": "m", "messages": [{"role": "user", "content": text}], **params}


def answer(text: str = "echo: hi", reasoning: str | None = "let me think") -> Any:
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if reasoning:
        message["reasoning_content"] = reasoning
    return litellm_utils.ModelResponse(id="c1", model="m", choices=[{"index": 0, "finish_reason": "stop",
                                                                     "message": message}],
                                       usage={"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12})


def chunks(*deltas: dict[str, Any]) -> list[Any]:
    out = [litellm_utils.ModelResponseStream(id="c1", model="m", choices=[{"index": 0, "delta": d}]) for d in deltas]
    out.append(litellm_utils.ModelResponseStream(id="c1", model="m",
                                                 choices=[{"index": 0, "delta": {}, "finish_reason": "stop"}]))
    return out


async def _aiter(items: list[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def pre(guardrail: Any, data: dict[str, Any], user: Any = None, call_type: str = "acompletion") -> Any:
    return run(guardrail.async_pre_call_hook(user_api_key_dict=user if user is not None else key(), cache=None,
                                             data=data, call_type=call_type))


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def make(tmp_path: Path) -> Iterator[Any]:
    """``make(policy_dict, **options)``: a guardrail writing ``tmp_path/traffic.jsonl``, closed afterwards."""
    made: list[Any] = []

    def build(policy: dict[str, Any] | None = None, *, decider: Decider | None = None, **options: Any) -> Any:
        g = DistillguardGuardrail(decider=decider or Decider(policy_from_dict(policy or {})),
                                  traffic_log=str(tmp_path / "traffic.jsonl"), key_secret=SECRET,
                                  guardrail_name="distillguard", event_hook=["pre_call", "post_call"],
                                  default_on=True, **options)
        made.append(g)
        return g

    yield build
    for g in made:
        g.close()


# -- before the call: block, throttle, degrade, allow --------------------------------------------------------


def test_blocked_account_raises_a_403_with_our_code_and_reference_and_its_line_is_logged(make: Any,
                                                                                          tmp_path: Path) -> None:
    g = make({"lists": {"block_accounts": ["acct_666"]}})
    with pytest.raises(DistillguardRefusal) as caught:
        pre(g, request(chat("harvest")), key("acct_666", raw="sk-bad"))
    e = caught.value
    assert e.status_code == 403 and e.code == "403"  # LiteLLM answers with int(e.code) as the status
    body = e.to_dict()
    assert body["code"] == "blocklist" and body["type"] == "invalid_request_error" and body["param"] is None
    assert e.reference and e.reference.startswith("dg_") and e.reference in body["message"]
    assert e.headers["x-distillguard-action"] == "block" and e.headers["x-should-retry"] == "false"
    assert e.headers["x-distillguard-request-id"] == "call-1"
    assert "content-type" not in e.headers and "content-length" not in e.headers
    (line,) = lines(tmp_path / "traffic.jsonl")  # logged when decided, as the gateway does
    assert line["account_id"] == "acct_666" and line["status"] == 403 and line["request_id"] == "call-1"
    assert line["decision"]["code"] == "blocklist" and line["decision"]["reference"] == e.reference
    assert line["api_key_id"] == key_id(key(raw="sk-bad").api_key, SECRET.encode())
    assert line["request"] == chat("harvest")  # the client's body: no LiteLLM metadata, no secrets
    assert line["client"] == {"ip": "10.0.0.7", "user_agent": "OpenAI/Python 9.9"}
    assert g.pending == 0


def test_throttled_account_raises_a_429_with_retry_after(make: Any) -> None:
    g = make({"rate_limit": {"requests_per_minute": 60, "burst": 0}})
    assert pre(g, request(chat(), "c1")) is None
    with pytest.raises(DistillguardRefusal) as caught:
        pre(g, request(chat(), "c2"))
    e = caught.value
    assert e.status_code == 429 and e.to_dict()["code"] == "rate_limit_exceeded"
    assert int(e.headers["retry-after"]) >= 1 and 0 < int(e.headers["retry-after-ms"]) <= 1000
    assert e.headers["x-ratelimit-limit-requests"] == "60" and e.headers["x-ratelimit-remaining-requests"] == "0"
    assert e.reference in e.message


def test_failing_closed_is_a_503_the_client_may_retry(make: Any) -> None:
    class Broken(Decider):
        def decide(self, account_id: str, *, api_key_id: str | None = None, now_ms: int | None = None) -> Any:
            raise RuntimeError("state store down")

    g = make(decider=Broken(policy_from_dict({"fail": {"block": "closed"}})))
    with pytest.raises(DistillguardRefusal) as caught:
        pre(g, request(chat()))
    assert caught.value.status_code == 503 and caught.value.to_dict()["code"] == "fail_closed"
    assert caught.value.headers["retry-after"] == "1"


def _suspect_decider(account: str = "acct_alice", **policy: Any) -> Decider:
    """A peer's template indicator on ``account``: the policy's intel.template (degrade) applies."""
    match = Match(account_id=account, indicator_id="indicator--1", kind="prompt_template", publisher="peer",
                  weight=0.8, detail="matches a peer's harvesting template")
    return Decider(policy_from_dict(policy), peer_matches={account: [match]})


def test_degrade_rewrites_the_request_with_the_gateways_rewrite(make: Any, tmp_path: Path) -> None:
    g = make(decider=_suspect_decider())
    data = request(chat("tell me", logprobs=True, top_logprobs=5, logit_bias={"1": 2}, n=4, max_tokens=5000))
    out = pre(g, data)
    assert out is data  # LiteLLM forwards the dict the hook returns
    for dropped in ("logprobs", "top_logprobs", "logit_bias"):
        assert dropped not in data
    assert data["n"] == 1 and data["max_tokens"] == 1024
    assert data["litellm_call_id"] == "call-1" and "metadata" in data  # LiteLLM's own keys untouched
    headers = run(g.async_post_call_response_headers_hook(data=data, user_api_key_dict=key(), response=None))
    assert headers["x-distillguard-action"] == "degrade" and headers["x-distillguard-watermark"] == "suspect"
    response = run(g.async_post_call_success_hook(data=data, user_api_key_dict=key(), response=answer()))
    assert response.choices[0].message.content == "echo: hi"
    assert getattr(response.choices[0].message, "reasoning_content", None) is None  # stripped (post_call)
    (line,) = lines(tmp_path / "traffic.jsonl")
    assert line["request"]["logprobs"] is True and line["request"]["n"] == 4  # as the client sent it
    assert line["decision"]["action"] == "degrade" and line["decision"]["code"] == "peer_indicator"
    assert "dropped logprobs" in line["decision"]["changes"] and "n 4 -> 1" in line["decision"]["changes"]


def test_degrade_strips_reasoning_from_each_chunk_of_a_stream_and_logs_its_text(make: Any, tmp_path: Path) -> None:
    g = make(decider=_suspect_decider())
    data = request(chat("stream", stream=True))
    pre(g, data)

    async def consume() -> list[Any]:
        stream = g.async_post_call_streaming_iterator_hook(
            user_api_key_dict=key(), request_data=data,
            response=_aiter(chunks({"role": "assistant", "reasoning_content": "hmm"}, {"content": "echo"},
                                   {"content": ": stream"})))
        return [chunk async for chunk in stream]

    out = run(consume())
    assert len(out) == 4
    assert all(getattr(c.choices[0].delta, "reasoning_content", None) is None for c in out)
    (line,) = lines(tmp_path / "traffic.jsonl")
    assert line["status"] == 200 and line["response"]["text"] == "echo: stream"
    assert line["response"]["finish_reason"] == "stop" and line["decision"]["action"] == "degrade"


def test_allow_passes_the_request_unchanged_with_the_decision_headers(make: Any) -> None:
    g = make()
    data = request(chat(logprobs=True, max_tokens=5000))
    before = {k: v for k, v in data.items() if k != "litellm_logging_obj"}
    assert pre(g, data) is None
    assert {k: v for k, v in data.items() if k != "litellm_logging_obj"} == before
    headers = run(g.async_post_call_response_headers_hook(data=data, user_api_key_dict=key(), response=answer()))
    assert headers["x-distillguard-reference"].startswith("dg_")
    assert headers == {"x-distillguard-action": "allow", "x-distillguard-request-id": "call-1",
                       "x-distillguard-reference": headers["x-distillguard-reference"]}
    response = run(g.async_post_call_success_hook(data=data, user_api_key_dict=key(), response=answer()))
    assert response.choices[0].message.reasoning_content == "let me think"  # allow: the answer is untouched


def test_shadow_mode_decides_and_logs_but_lets_a_blocked_account_through(make: Any, tmp_path: Path) -> None:
    g = make({"mode": "shadow", "lists": {"block_accounts": ["acct_alice"]}})
    assert pre(g, request(chat())) is None
    run(g.async_post_call_success_hook(data=request(chat()), user_api_key_dict=key(), response=answer()))
    (line,) = lines(tmp_path / "traffic.jsonl")
    assert line["decision"]["action"] == "block" and line["decision"]["effective"] == "allow"
    assert line["decision"]["shadow"] is True and line["status"] == 200


def test_other_call_types_pass_undecided(make: Any) -> None:
    g = make({"lists": {"block_accounts": ["acct_alice"]}})
    assert pre(g, {"model": "e", "input": ["x"]}, call_type="aembedding") is None
    assert g.pending == 0


def test_a_mode_that_cannot_decide_before_the_call_is_refused_at_startup(make: Any) -> None:
    with pytest.raises(ValueError, match="during_call"):
        DistillguardGuardrail(decider=Decider(), event_hook="during_call")


def test_reasoning_items_are_removed_from_a_responses_answer() -> None:
    answer_ = {"output": [{"type": "reasoning", "summary": []},
                          {"type": "message", "content": [{"type": "output_text", "text": "42"}]}]}
    assert lg.strip_response(answer_) and [item["type"] for item in answer_["output"]] == ["message"]
    assert not lg.strip_response(answer_)


# -- identity ------------------------------------------------------------------------------------------------


def test_the_account_comes_from_the_first_configured_source_present(make: Any) -> None:
    g = make(account_from="key_alias, team_id")
    assert g.identify(key("u1", team_id="t1", key_alias="alias-1")).account_id == "alias-1"
    assert g.identify(key("u1", team_id="t1")).account_id == "t1"
    assert g.identify(key("u1")) is None
    default = make()
    assert default.identify(key("u1", team_id="t1")).account_id == "u1"
    assert default.identify(key(None, team_id="t1")).account_id == "t1"
    hashed = default.identify(key(None, raw="sk-lone"))
    assert hashed.account_id == hashed.api_key_id == key_id(key(raw="sk-lone").api_key, SECRET.encode())
    with pytest.raises(DistillguardRefusal) as caught:
        pre(g, request(chat()), key("u1"))
    assert caught.value.status_code == 400 and caught.value.to_dict()["code"] == "missing_account"
    with pytest.raises(Exception, match="account_from"):
        make(account_from=["user_id", "email"])


def test_the_same_key_gets_the_same_api_key_id_as_through_the_generic_guardrail_endpoint(make: Any) -> None:
    # The gateway's /beta/litellm_basic_guardrail_api hashes request_data.user_api_key_hash, which is the
    # key LiteLLM already hashed: both adapters log one id for one key.
    auth = key(raw="sk-same")
    assert make().identify(auth).api_key_id == key_id(auth.api_key, SECRET.encode())


# -- after the call: the line joins the decision window ------------------------------------------------------


def test_post_call_records_the_finished_request_into_the_decider(make: Any, tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    g = make()
    data = request(chat("remember me"))
    pre(g, data)
    assert g.pending == 1 and not g.decider._pending
    run(g.async_post_call_success_hook(data=data, user_api_key_dict=key(), response=answer("echo: remember me")))
    assert g.pending == 0 and len(g.gateway._rows) == 1  # flattened on the request path, as in the gateway
    with monkeypatch.context() as m:
        m.setattr(g.decider, "refresh", lambda *a, **k: False)  # hold the fold, to see the queue
        g.step()  # what the background thread does every refresh_interval_s
    assert len(g.decider._pending) == 1 and not g.gateway._rows  # queued for the window
    (line,) = lines(tmp_path / "traffic.jsonl")
    assert line["response"] == {"text": "echo: remember me", "finish_reason": "stop"}
    assert line["usage"] == {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    report = ReadReport()
    rows = [row for batch in read_events([tmp_path / "traffic.jsonl"], report=report) for row in batch.to_pylist()]
    assert report.bad == 0 and rows[0]["prompt"] == "remember me" and rows[0]["account_id"] == "acct_alice"
    assert g.decider.refresh(force=True) and g.decider.stats.window_events == 1


def test_the_background_thread_folds_finished_requests(make: Any) -> None:
    g = make(refresh_interval_s=0.05)
    data = request(chat())
    pre(g, data)  # starts the thread
    run(g.async_post_call_success_hook(data=data, user_api_key_dict=key(), response=answer()))
    deadline = time.monotonic() + 10
    while g.gateway._rows or not (g.decider._pending or g.decider.stats.window_events):
        assert time.monotonic() < deadline, "the background thread never folded the finished request"
        time.sleep(0.02)


def test_a_call_without_post_call_is_logged_by_litellms_success_logging_once(make: Any, tmp_path: Path) -> None:
    g = make()
    data = request(chat(), "call-log")
    pre(g, data)
    kwargs = {"litellm_call_id": "call-log", "model": "m", "messages": data["messages"]}
    run(g.async_log_success_event(kwargs, answer(), None, None))
    run(g.async_log_success_event(kwargs, answer(), None, None))  # already logged: nothing more
    (line,) = lines(tmp_path / "traffic.jsonl")
    assert line["request_id"] == "call-log" and line["response"]["text"] == "echo: hi"


def test_a_failed_call_is_logged_with_its_status(make: Any, tmp_path: Path) -> None:
    g = make()
    data = request(chat())
    pre(g, data)
    upstream = openai.InternalServerError("upstream exploded", response=_httpx_response(502), body=None)
    run(g.async_post_call_failure_hook(request_data=data, original_exception=upstream, user_api_key_dict=key()))
    (line,) = lines(tmp_path / "traffic.jsonl")
    assert line["status"] == 502 and "response" not in line


def test_a_call_whose_end_is_never_reported_is_logged_as_499_after_the_ttl(make: Any, tmp_path: Path) -> None:
    g = make(pending_ttl_s=0.0)
    pre(g, request(chat()))
    g.step()
    (line,) = lines(tmp_path / "traffic.jsonl")
    assert line["status"] == 499 and g.evicted == 1 and g.pending == 0


def _httpx_response(status: int) -> Any:
    import httpx

    return httpx.Response(status, request=httpx.Request("POST", "http://127.0.0.1/v1/chat/completions"))


def test_importing_distillguard_never_imports_litellm() -> None:
    code = ("import sys, distillguard, distillguard.enforce, distillguard.enforce.gateway, distillguard.cli; "
            "assert 'litellm' not in sys.modules, 'litellm imported'")
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# -- end to end: the litellm proxy CLI with the guardrail configured ------------------------------------------


def _upstream_app(hits: list[dict[str, Any]]) -> Starlette:
    """A tiny OpenAI-compatible chat upstream (streamed or not), answering ``echo: <last user message>``."""

    async def chat_completions(req: Request) -> Response:
        body = await req.json()
        hits.append(body)
        text = "echo: " + body["messages"][-1]["content"]
        usage = {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
        if not body.get("stream"):
            return JSONResponse({"id": "c1", "object": "chat.completion", "created": 1, "model": body["model"],
                                 "choices": [{"index": 0, "finish_reason": "stop",
                                              "message": {"role": "assistant", "content": text}}], "usage": usage})

        async def events() -> AsyncIterator[bytes]:
            for i, delta in enumerate(({"role": "assistant", "content": text[:5]}, {"content": text[5:]}, {})):
                chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": body["model"],
                         "choices": [{"index": 0, "delta": delta, "finish_reason": "stop" if i == 2 else None}]}
                yield f"data: {json.dumps(chunk)}\n\n".encode()
            yield b"data: [DONE]\n\n"

        return StreamingResponse(events(), media_type="text/event-stream")

    return Starlette(routes=[Route("/v1/chat/completions", chat_completions, methods=["POST"])])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_CUSTOM_AUTH = '''
from litellm.proxy._types import UserAPIKeyAuth

ACCOUNTS = {"sk-blocked": "acct_666"}


async def user_api_key_auth(request, api_key: str) -> UserAPIKeyAuth:
    """Each key sk-NAME is user acct_NAME (sk-blocked: acct_666), so the test needs no key database."""
    return UserAPIKeyAuth(api_key=api_key, user_id=ACCOUNTS.get(api_key, "acct_" + api_key.removeprefix("sk-")))
'''


class Proxy:
    def __init__(self, url: str, log: Path, hits: list[dict[str, Any]], output: Path) -> None:
        self.url, self.log, self.hits, self.output = url, log, hits, output

    def client(self, key: str, retries: int = 0) -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + "/v1", api_key=key, max_retries=retries, timeout=30)

    def lines(self, account: str) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [line for line in lines(self.log) if line["account_id"] == account]

    def wait_lines(self, account: str, n: int) -> list[dict[str, Any]]:
        deadline = time.monotonic() + 10
        while len(found := self.lines(account)) < n:
            assert time.monotonic() < deadline, f"{len(found)} lines for {account}, wanted {n}"
            time.sleep(0.05)
        return found


@pytest.fixture(scope="module")
def proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    tmp = tmp_path_factory.mktemp("litellm")
    hits: list[dict[str, Any]] = []
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    upstream_port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(_upstream_app(hits), log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    (tmp / "custom_auth.py").write_text(_CUSTOM_AUTH)
    (tmp / "policy.yaml").write_text("lists:\n  block_accounts: [acct_666]\n"
                                     "rate_limit:\n  requests_per_minute: 60\n  burst: 3\n")
    log = tmp / "traffic.jsonl"
    config = {
        "model_list": [{"model_name": "m", "litellm_params": {
            "model": "openai/m", "api_base": f"http://127.0.0.1:{upstream_port}/v1", "api_key": "sk-upstream"}}],
        "general_settings": {"master_key": "sk-master", "custom_auth": "custom_auth.user_api_key_auth"},
        "guardrails": [{"guardrail_name": "distillguard", "litellm_params": {
            "guardrail": "distillguard.enforce.litellm_guardrail.DistillguardGuardrail",
            "mode": ["pre_call", "post_call"], "default_on": True, "policy": str(tmp / "policy.yaml"),
            "traffic_log": str(log), "key_secret": SECRET, "refresh_interval_s": 0.1}}],
    }
    (tmp / "config.yaml").write_text(json.dumps(config))  # JSON is YAML
    port = _free_port()
    closed = f"http://127.0.0.1:{_free_port()}"  # nothing listens: any non-loopback request fails at once
    loopback = "127.0.0.1,localhost"
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "HF_HUB_OFFLINE": "1", "LITELLM_TELEMETRY": "False",
           "HTTP_PROXY": closed, "HTTPS_PROXY": closed, "ALL_PROXY": closed, "http_proxy": closed,
           "https_proxy": closed, "all_proxy": closed, "NO_PROXY": loopback, "no_proxy": loopback}
    litellm_cli = Path(sys.executable).with_name("litellm")
    output = tmp / "proxy.log"
    with output.open("wb") as out:
        process = subprocess.Popen([str(litellm_cli), "--config", str(tmp / "config.yaml"), "--host", "127.0.0.1",
                                    "--port", str(port), "--num_workers", "1"], cwd=tmp, env=env, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, "the litellm proxy exited:\n" + output.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the litellm proxy did not start in 60 s:\n" + \
                output.read_text(errors="replace")[-3000:]
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                time.sleep(0.2)
        yield Proxy(url, log, hits, output)
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        server.should_exit = True
        thread.join(5)


@pytest.mark.slow
def test_e2e_blocked_account_gets_403_with_our_code_and_the_client_does_not_retry(proxy: Proxy) -> None:
    client = proxy.client("sk-blocked", retries=2)
    with pytest.raises(openai.PermissionDeniedError) as caught:
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "blocked-marker"}])
    e = caught.value
    assert e.status_code == 403 and e.code == "blocklist" and e.type == "invalid_request_error"
    reference = e.response.headers["x-distillguard-reference"]
    assert reference.startswith("dg_") and reference in e.message
    assert e.response.headers["x-should-retry"] == "false"
    assert not [h for h in proxy.hits if "blocked-marker" in json.dumps(h)]  # never reached the upstream
    (line,) = proxy.wait_lines("acct_666", 1)  # one attempt: the client did not retry
    assert line["status"] == 403 and line["decision"]["reference"] == reference


@pytest.mark.slow
def test_e2e_allowed_account_is_answered_with_decision_headers_and_logged(proxy: Proxy) -> None:
    client = proxy.client("sk-alice")
    raw = client.chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "hello"}], logprobs=True)
    assert raw.parse().choices[0].message.content == "echo: hello"
    assert raw.headers["x-distillguard-action"] == "allow"
    assert raw.headers["x-distillguard-reference"].startswith("dg_")
    assert proxy.hits[-1]["logprobs"] is True  # allow: forwarded as sent
    stream = client.chat.completions.create(model="m", messages=[{"role": "user", "content": "stream"}], stream=True)
    assert "".join(c.choices[0].delta.content or "" for c in stream if c.choices) == "echo: stream"
    plain, streamed = proxy.wait_lines("acct_alice", 2)
    assert plain["request_id"] == raw.headers["x-distillguard-request-id"] == raw.headers["x-litellm-call-id"]
    assert plain["response"]["text"] == "echo: hello" and plain["status"] == 200
    assert plain["request"] == {"model": "m", "messages": [{"role": "user", "content": "hello"}], "logprobs": True}
    assert streamed["response"]["text"] == "echo: stream" and streamed["status"] == 200
    assert "sk-alice" not in proxy.log.read_text()


@pytest.mark.slow
def test_e2e_throttled_account_gets_429_with_retry_after(proxy: Proxy) -> None:
    client = proxy.client("sk-busy")
    statuses = []
    for _ in range(6):
        try:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "again"}])
            statuses.append(200)
        except openai.RateLimitError as e:
            statuses.append(429)
            assert e.code == "rate_limit_exceeded" and int(e.response.headers["retry-after"]) >= 1
            assert e.response.headers["x-distillguard-action"] == "throttle"
    assert statuses[:4] == [200] * 4 and 429 in statuses[4:]
