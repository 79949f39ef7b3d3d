"""distillguard inside a LiteLLM proxy: a ``CustomGuardrail`` that decides every chat, completion and
responses call with the gateway's own decision path.

    # LiteLLM config.yaml (pip install 'distillguard[litellm]')
    guardrails:
      - guardrail_name: distillguard
        litellm_params:
          guardrail: distillguard.enforce.litellm_guardrail.DistillguardGuardrail
          mode: [pre_call, post_call]      # post_call: strip reasoning, log each answer on the response path
          default_on: true                 # every request, whether or not the client names it
          policy: /etc/distillguard/policy.yaml

What happens where:

- ``async_pre_call_hook`` (before LiteLLM calls the model): the account comes from LiteLLM's
  authenticated key (``account_from``: user id, team id, key alias, ... or the hashed key), and
  ``Gateway.decide`` runs the ``Decider`` with the policy's fail modes. block -> a 403 (503 when failing
  closed), throttle -> a 429 with ``retry-after`` / ``retry-after-ms`` / ``x-ratelimit-*``: both are the
  gateway's own answers (``Gateway._block`` / ``_throttle``, which also log the line), raised as a
  ``ProxyException`` whose body keeps our reason code in ``error.code``. degrade -> the request is
  rewritten in place by ``openai_wire.degrade_request``. allow -> nothing changes.
- ``async_post_call_response_headers_hook``: ``x-distillguard-action`` / ``-reference`` / ``-request-id``
  (and ``x-distillguard-watermark: suspect`` on a degrade), as the gateway sends them.
- ``async_post_call_success_hook`` (non-streamed) / ``async_post_call_streaming_iterator_hook`` (streamed),
  only when ``mode`` includes ``post_call``: reasoning is removed from degraded answers, and
  ``Gateway.finish`` writes the call's contract §1 line (with its decision) to the traffic log and queues
  it for the decision window, before the answer (or the stream's ``[DONE]``) leaves.
- ``async_post_call_failure_hook``: a failed call's line, with the error's status.
  ``async_log_success_event`` (LiteLLM's logging): the line of a call the post_call hooks did not log
  (``mode: pre_call``). Each call is logged once, by whichever comes first.
- A daemon thread runs ``Gateway.background_step`` every ``refresh_interval_s``: finished requests join
  the window, ``Decider.refresh`` re-scores it when due, the traffic log is synced.

The guardrail owns a ``Gateway`` that never serves HTTP: its decision, logging and background code
is the gateway's, so the two adapters cannot drift apart. See docs/gateway.md, "LiteLLM CustomGuardrail".

Importing this module needs LiteLLM's proxy (``pip install 'distillguard[litellm]'``); nothing else in
distillguard imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import AsyncGenerator, Mapping, Sequence
from pathlib import Path
from typing import Any, Final

import msgspec

try:
    from litellm.integrations.custom_guardrail import CustomGuardrail
    from litellm.proxy._types import ProxyException
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("distillguard.enforce.litellm_guardrail needs LiteLLM's proxy: "
                      "pip install 'distillguard[litellm]'") from exc

from distillguard.enforce.decider import Decider
from distillguard.enforce.gateway import Gateway, GatewayConfig, Identity, _Call, key_id
from distillguard.enforce.openai_wire import (
    CHAT,
    COMPLETIONS,
    REASONING_FIELDS,
    RESPONSES,
    ResponseRecord,
    degrade_request,
)
from distillguard.enforce.traffic_log import TrafficLog
from distillguard.errors import ConfigError

log = logging.getLogger("distillguard.litellm")

#: LiteLLM call types decided, and the endpoint each is logged under (the gateway's, so lines from both
#: adapters read alike). Every other call type (embeddings, images, audio, /v1/messages, ...) passes
#: undecided and unlogged, as other paths do through the gateway.
CALL_TYPES: Final[Mapping[str, str]] = {
    "completion": CHAT, "acompletion": CHAT,
    "text_completion": COMPLETIONS, "atext_completion": COMPLETIONS,
    "responses": RESPONSES, "aresponses": RESPONSES,
}
#: Where an account id can come from, in LiteLLM's ``UserAPIKeyAuth``. ``key``: the hashed key's
#: ``api_key_id`` (each key its own account). ``end_user_id`` is what the client sends as ``user``:
#: the client chooses it, so use it only behind a trusted caller.
ACCOUNT_SOURCES: Final[Mapping[str, str]] = {
    "user_id": "user_id", "team_id": "team_id", "org_id": "org_id", "key_alias": "key_alias",
    "end_user_id": "end_user_id", "key": "",
}
DEFAULT_ACCOUNT_FROM: Final = ("user_id", "team_id", "key")
POLICY_ENV: Final = "DISTILLGUARD_POLICY"
TRAFFIC_LOG_ENV: Final = "DISTILLGUARD_TRAFFIC_LOG"
KEY_SECRET_ENV: Final = "DISTILLGUARD_KEY_SECRET"
REDIS_ENV: Final = "DISTILLGUARD_REDIS"
#: Reasoning fields LiteLLM puts on chat messages and stream deltas besides the OpenAI-compatible ones.
_LITELLM_REASONING: Final = (*REASONING_FIELDS, "thinking_blocks")
#: Decided answers whose headers LiteLLM has not asked for yet, at most (the oldest are dropped).
_MAX_HEADERS: Final = 65_536
#: A placeholder: the owned Gateway never forwards anything (LiteLLM calls the model).
_NO_UPSTREAM: Final = "http://litellm.invalid"

_decode = msgspec.json.Decoder().decode
_encode = msgspec.json.Encoder().encode
_encode_lenient = msgspec.json.Encoder(enc_hook=str).encode
#: Keys LiteLLM adds to a request (never sent by a client as an API parameter it logs).
_LITELLM_KEYS: Final = frozenset({"metadata", "proxy_server_request", "secret_fields", "guardrails"})


class DistillguardRefusal(ProxyException):
    """A block, throttle or fail-closed answer. LiteLLM's proxy answers a ``ProxyException`` with its
    status, its headers and ``{"error": {"message", "type", "param", "code"}}``. ``ProxyException`` puts the
    HTTP status in ``code``; this one puts the decision's reason code there, as the gateway does, so the
    openai client's ``PermissionDeniedError.code`` is ``blocklist``, ``extraction_cluster``, ..."""

    def __init__(self, status: int, error: Mapping[str, Any], headers: Mapping[str, str]) -> None:
        super().__init__(message=str(error.get("message", "")), type=str(error.get("type", "")), param=None,
                         code=status, headers=dict(headers))
        self.status_code = status
        self.reason_code: str | None = error.get("code")
        self.reference: str | None = headers.get("x-distillguard-reference")

    def to_dict(self) -> dict:
        error = super().to_dict()
        error["code"] = self.reason_code
        return error


def _account_from(value: str | Sequence[str] | None) -> tuple[str, ...]:
    if value is None:
        return DEFAULT_ACCOUNT_FROM
    names = tuple(v.strip() for v in value.split(",")) if isinstance(value, str) else tuple(value)
    names = tuple(n for n in names if n)
    bad = [n for n in names if n not in ACCOUNT_SOURCES]
    if bad or not names:
        raise ConfigError(f"account_from: {', '.join(bad) or 'nothing given'}; choose from "
                          f"{', '.join(ACCOUNT_SOURCES)}")
    return names


def _env_or(value: Any, env: str) -> Any:
    return value if value not in (None, "") else (os.environ.get(env) or None)


def build_decider(policy: str | Path | None = None, *, weights: str | Path | None = None,
                  redis_url: str | None = None) -> Decider:
    """The Decider the CLI gateway would build from these options (policy file, scoring weights, Redis)."""
    from distillguard.enforce.policy import load_policy
    from distillguard.scoring.model import ScoringModel

    loaded = load_policy(Path(policy) if policy else None)
    rate = None
    if redis_url:
        from distillguard.enforce.state import RedisRate

        rate = RedisRate(redis_url, loaded.rate_limit)
    return Decider(loaded, model=ScoringModel.load(Path(weights) if weights else None), rate=rate)


class DistillguardGuardrail(CustomGuardrail):
    """distillguard's decision path as a LiteLLM guardrail. Options, from the guardrail's ``litellm_params``
    (LiteLLM passes them as keyword arguments), else the environment:

    - ``policy``: the policy YAML (``$DISTILLGUARD_POLICY``; default: the built-in policy)
    - ``traffic_log``: append contract §1 lines here (``$DISTILLGUARD_TRAFFIC_LOG``; default: none)
    - ``key_secret``: HMAC secret for ``api_key_id`` (``$DISTILLGUARD_KEY_SECRET``); use the gateway's
    - ``redis_url``: shared rate state for several proxy workers (``$DISTILLGUARD_REDIS``)
    - ``weights``: scoring weights JSON (default: the shipped weights)
    - ``account_from``: where the account id comes from, first present wins: a list or comma-separated
      names from ``ACCOUNT_SOURCES`` (default ``user_id, team_id, key``)
    - ``refresh_interval_s``: how often the background thread folds finished requests (default 0.5)
    - ``pending_ttl_s``: a decided call whose end LiteLLM never reports is logged with status 499 after
      this long (default 3600)

    ``decider=`` takes a ready Decider instead of policy/weights/redis_url (tests, embedders)."""

    def __init__(self, *, policy: str | None = None, traffic_log: str | None = None, key_secret: str | None = None,
                 redis_url: str | None = None, weights: str | None = None,
                 account_from: str | Sequence[str] | None = None, refresh_interval_s: float = 0.5,
                 pending_ttl_s: float = 3600.0, decider: Decider | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("guardrail_name", "distillguard")
        kwargs.setdefault("supported_event_hooks", ["pre_call", "post_call"])
        super().__init__(**kwargs)
        self.account_from = _account_from(account_from)
        if decider is None:
            decider = build_decider(_env_or(policy, POLICY_ENV), weights=weights,
                                    redis_url=_env_or(redis_url, REDIS_ENV))
        secret = _env_or(key_secret, KEY_SECRET_ENV) or ""
        log_path = _env_or(traffic_log, TRAFFIC_LOG_ENV)
        self.refresh_interval_s = float(refresh_interval_s)
        self.pending_ttl_s = float(pending_ttl_s)
        config = GatewayConfig(upstream=_NO_UPSTREAM, key_secret=secret.encode(),
                               log_path=Path(log_path) if log_path else None,
                               refresh_interval_s=self.refresh_interval_s)
        self.gateway = Gateway(config, decider)
        if config.log_path is not None:
            self.gateway.traffic_log = TrafficLog(config.log_path)
        self._pending: OrderedDict[str, tuple[float, _Call]] = OrderedDict()  # litellm_call_id -> (monotonic, call)
        self._headers: OrderedDict[str, dict[str, str]] = OrderedDict()  # litellm_call_id -> x-distillguard-*
        self._pending_lock = threading.Lock()
        self._runner = _Runner()
        self.evicted = 0
        # Runs at close(), when the guardrail is collected, or at interpreter exit, whichever comes first.
        self._finalizer = weakref.finalize(self, _close, self._runner, self.gateway)

    # -- properties ----------------------------------------------------------------------------------

    @property
    def decider(self) -> Decider:
        return self.gateway.decider

    @property
    def metrics(self) -> Any:
        """The gateway's Prometheus metrics (``GatewayMetrics``; not served through LiteLLM's /metrics)."""
        return self.gateway.metrics

    # -- identity ------------------------------------------------------------------------------------

    def identify(self, user_api_key_dict: Any) -> Identity | None:
        """The account (first of ``account_from`` present) and the hashed key's ``api_key_id``."""
        hashed = getattr(user_api_key_dict, "api_key", None) or getattr(user_api_key_dict, "token", None)
        api_key_id = key_id(hashed, self.gateway.config.key_secret) if isinstance(hashed, str) and hashed else None
        for name in self.account_from:
            value = api_key_id if name == "key" else getattr(user_api_key_dict, ACCOUNT_SOURCES[name], None)
            if isinstance(value, str) and value:
                return Identity(value, api_key_id)
        return None

    # -- before the call -----------------------------------------------------------------------------

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: str,
                                  **kwargs: Any) -> dict | None:
        endpoint = CALL_TYPES.get(str(getattr(call_type, "value", call_type)))  # a str, or a CallTypes member
        if endpoint is None:
            return None
        self._start()
        gw, m = self.gateway, self.gateway.metrics
        arrived = time.time()
        identity = self.identify(user_api_key_dict)
        if identity is None:
            m.requests.labels(endpoint, "rejected", "false").inc()
            raise DistillguardRefusal(400, {"message": f"The key names no {' / '.join(self.account_from)} "
                                                       "to decide for.",
                                            "type": "invalid_request_error", "code": "missing_account"}, {})
        decision, bypass, decide_us = await gw.decide(identity, arrived)
        request_id = data.get("litellm_call_id")
        if not isinstance(request_id, str) or not request_id:
            request_id = f"req_{secrets.token_hex(12)}"
        ip, user_agent = _client(data)
        call = _Call(request_id=request_id, arrived=arrived, endpoint=endpoint, identity=identity,
                     body=_client_body(data), decision=decision, bypass=bypass, client_ip=ip,
                     user_agent=user_agent, decide_us=decide_us)
        action = decision.effective()
        m.requests.labels(endpoint, decision.action, "true" if decision.shadow else "false").inc()
        if action in ("block", "throttle"):
            # The gateway's own answer (same status, message, code and headers); it logs the line too.
            response = gw._block(call) if action == "block" else gw._throttle(call)
            raise _refusal(response.status_code, bytes(response.body), response.raw_headers)
        headers = {k.decode(): v.decode() for k, v in call.headers()}
        if action == "degrade" and decision.degrade is not None and decision.degrade.watermark:
            headers["x-distillguard-watermark"] = "suspect"
        with self._pending_lock:
            self._pending[request_id] = (time.monotonic(), call)
            self._headers[request_id] = headers
            while len(self._headers) > _MAX_HEADERS:  # answers LiteLLM never asked headers for
                self._headers.popitem(last=False)
        if action == "degrade" and decision.degrade is not None:
            call.changes = degrade_request(data, endpoint, decision.degrade)
            return data
        return None

    # -- the answer ----------------------------------------------------------------------------------

    async def async_post_call_response_headers_hook(self, data: dict, user_api_key_dict: Any, response: Any,
                                                    request_headers: dict[str, str] | None = None,
                                                    litellm_call_info: dict[str, object] | None = None,
                                                    ) -> dict[str, str] | None:
        """The gateway's ``x-distillguard-*`` headers on every decided answer (a refusal carries its own)."""
        call_id = data.get("litellm_call_id") if isinstance(data, Mapping) else None
        if not isinstance(call_id, str):
            return None
        with self._pending_lock:
            return self._headers.pop(call_id, None)

    async def async_post_call_success_hook(self, data: dict, user_api_key_dict: Any, response: Any) -> Any:
        """With ``post_call`` in ``mode``, after a non-streamed answer: remove reasoning from a degraded one,
        then log the call's line (before LiteLLM sends the answer)."""
        call = self._pop(data.get("litellm_call_id") if isinstance(data, Mapping) else None)
        if call is None:
            return response
        if _strips(call):
            strip_response(response)
        body = _as_dict(response)
        self.gateway.finish(call, 200, ResponseRecord.from_body(call.endpoint, body) if body is not None else None)
        return response

    async def async_post_call_streaming_iterator_hook(self, user_api_key_dict: Any, response: Any,
                                                      request_data: dict) -> AsyncGenerator[Any, None]:
        """With ``post_call`` in ``mode``, a streamed answer chunk by chunk: remove reasoning from a degraded
        one, keep its text, and log the call's line when the stream ends (499 when the client left)."""
        call = self._pop(request_data.get("litellm_call_id") if isinstance(request_data, Mapping) else None)
        if call is None:
            async for chunk in response:
                yield chunk
            return
        strip = _strips(call)
        record = ResponseRecord(call.endpoint)
        status = 200
        try:
            async for chunk in response:
                if strip:
                    strip_response(chunk)
                _feed(record, chunk)
                yield chunk
        except (GeneratorExit, asyncio.CancelledError):
            status = 499
            raise
        except Exception as exc:
            status = _status(exc)
            raise
        finally:
            self.gateway.finish(call, status, record)

    # -- after the call: the traffic-log line, when post_call did not log it ------------------------------

    async def async_log_success_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        """LiteLLM's success logging, after every call (streams assembled): log the line of a call that the
        post_call hooks did not (``mode: pre_call``). A client's ``no-log`` skips this event, so only
        ``post_call`` in ``mode`` logs every call; an unreported call is logged after ``pending_ttl_s``."""
        call = self._pop(kwargs.get("litellm_call_id"))
        if call is None:
            return
        body = _as_dict(response_obj)
        self.gateway.finish(call, 200, ResponseRecord.from_body(call.endpoint, body) if body is not None else None)

    async def async_post_call_failure_hook(self, request_data: dict, original_exception: Exception,
                                           user_api_key_dict: Any, traceback_str: str | None = None) -> None:
        """Every failed call (the model's error, or a later guardrail's refusal): log its line with the status.
        Our own refusals were logged when decided, and are not pending."""
        call = self._pop(request_data.get("litellm_call_id") if isinstance(request_data, Mapping) else None)
        if call is not None:
            self.gateway.finish(call, _status(original_exception), None)
        return None

    # -- pending calls and the background thread --------------------------------------------------------

    def _pop(self, call_id: Any) -> _Call | None:
        if not isinstance(call_id, str):
            return None
        with self._pending_lock:
            entry = self._pending.pop(call_id, None)
        return entry[1] if entry else None

    @property
    def pending(self) -> int:
        """Decided calls whose end LiteLLM has not reported yet."""
        return len(self._pending)

    def step(self) -> None:
        """One background step, as the thread runs it: log calls pending past ``pending_ttl_s`` (status 499:
        LiteLLM never reported their end, most likely because the client went away), then the gateway's
        step (fold finished requests into the Decider, refresh when due, sync the traffic log)."""
        cutoff = time.monotonic() - self.pending_ttl_s
        stale: list[_Call] = []
        with self._pending_lock:
            while self._pending:
                call_id, (since, call) = next(iter(self._pending.items()))
                if since > cutoff:
                    break
                del self._pending[call_id]
                stale.append(call)
        for call in stale:
            self.evicted += 1
            self.gateway.finish(call, 499, None)
        self.gateway.background_step()

    def _start(self) -> None:
        runner = self._runner
        if runner.thread is not None or runner.stop.is_set():
            return
        with self._pending_lock:
            if runner.thread is None:
                runner.thread = threading.Thread(target=_loop, args=(weakref.ref(self), runner.stop,
                                                                     self.refresh_interval_s),
                                                 name="distillguard-refresh", daemon=True)
                runner.thread.start()

    def close(self) -> None:
        """Stop the background thread and close the traffic log (synced). Requests still queued for the
        decision window are dropped (their lines are in the log); call ``step()`` first to fold them."""
        self._finalizer()


class _Runner:
    """The background thread and its stop flag (held apart from the guardrail, for its finalizer)."""

    def __init__(self) -> None:
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None


def _loop(ref: weakref.ref[DistillguardGuardrail], stop: threading.Event, interval: float) -> None:
    while not stop.wait(interval):
        guardrail = ref()
        if guardrail is None:
            return
        try:
            guardrail.step()
        except Exception:  # never let the thread die: the next step tries again
            guardrail.gateway.metrics.refresh_failures.inc()
            log.exception("the distillguard background step failed")
        del guardrail


def _close(runner: _Runner, gateway: Gateway) -> None:
    runner.stop.set()
    thread = runner.thread
    if thread is not None and thread is not threading.current_thread():
        thread.join(timeout=10.0)  # let a step in progress finish: it may be syncing the traffic log
    if gateway.traffic_log is not None:
        gateway.traffic_log.close()


# -- helpers ----------------------------------------------------------------------------------------------


def _refusal(status: int, body: bytes, raw_headers: Sequence[tuple[bytes, bytes]]) -> DistillguardRefusal:
    """The gateway's error response as the exception LiteLLM answers with."""
    error = _decode(body).get("error") or {}
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw_headers
               if k.lower() not in (b"content-type", b"content-length")}
    return DistillguardRefusal(status, error, headers)


def _client_body(data: Mapping[str, Any]) -> dict[str, Any]:
    """A snapshot of the request as the client sent it: LiteLLM keeps a shallow copy in
    ``proxy_server_request.body``, but fills its ``metadata`` (shared with the live request) with its own
    objects, so ``metadata`` is left out. Without that copy: the call's data less LiteLLM's own keys.
    The snapshot is a JSON round trip, so later changes (a degrade, another guardrail's masking) do not
    reach the log, and what cannot be JSON is logged as its ``str``."""
    server_request = data.get("proxy_server_request")
    body = server_request.get("body") if isinstance(server_request, Mapping) else None
    source = body if isinstance(body, Mapping) else data
    kept = {k: v for k, v in source.items() if isinstance(k, str) and not _litellm_key(k)}
    try:
        return _decode(_encode_lenient(kept))
    except (msgspec.DecodeError, TypeError, ValueError):
        return {}


def _litellm_key(name: str) -> bool:
    return name.startswith(("litellm_", "_litellm", "user_api_key")) or name in _LITELLM_KEYS


def _client(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The client's address (when LiteLLM recorded it) and user agent."""
    ip = None
    for bucket in ("metadata", "litellm_metadata"):
        meta = data.get(bucket)
        if isinstance(meta, Mapping) and isinstance(meta.get("requester_ip_address"), str):
            ip = meta["requester_ip_address"] or None
            break
    agent = None
    server_request = data.get("proxy_server_request")
    headers = server_request.get("headers") if isinstance(server_request, Mapping) else None
    if isinstance(headers, Mapping):
        value = headers.get("user-agent") or headers.get("User-Agent")
        agent = value if isinstance(value, str) and value else None
    return ip, agent


def _as_dict(obj: Any) -> dict[str, Any] | None:
    """A LiteLLM response object (pydantic) or dict as a plain dict."""
    if isinstance(obj, dict):
        return obj
    dump = getattr(obj, "model_dump", None)
    if callable(dump):
        try:
            out = dump()
        except Exception:
            return None
        return out if isinstance(out, dict) else None
    return None


def _status(exc: BaseException) -> int:
    for name in ("status_code", "code"):
        value = getattr(exc, name, None)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value < 600:
            return value
        if isinstance(value, str) and value.isdecimal() and 100 <= int(value) < 600:
            return int(value)
    return 500


def _strips(call: _Call) -> bool:
    d = call.decision
    return d.effective() == "degrade" and d.degrade is not None and d.degrade.strip_reasoning


def _feed(record: ResponseRecord, chunk: Any) -> None:
    """Fold one streamed chunk (a LiteLLM stream object) into ``record``, as the gateway folds an SSE event."""
    body = _as_dict(chunk)
    if body is None:
        return
    with contextlib.suppress(TypeError, msgspec.EncodeError):  # a chunk that is not JSON: nothing to keep
        record.feed(b"data: " + _encode(body) + b"\n\n")


def _drop(obj: Any, name: str) -> bool:
    """Remove ``name`` from a LiteLLM message / delta (an attribute) or a dict; whether it was there."""
    if isinstance(obj, dict):
        return obj.pop(name, None) is not None
    if getattr(obj, name, None) is None:
        return False
    try:
        delattr(obj, name)
    except AttributeError:
        setattr(obj, name, None)
    return True


def strip_response(response: Any) -> bool:
    """Remove reasoning from a LiteLLM answer in place: chat ``choices[].message`` / stream
    ``choices[].delta`` (``reasoning_content``, ``reasoning``, ``reasoning_details``, ``thinking_blocks``),
    and ``type: reasoning`` items of a responses ``output``. Whether anything was removed."""
    removed = False
    choices = response.get("choices") if isinstance(response, dict) else getattr(response, "choices", None)
    for choice in choices or ():
        for part in ("message", "delta"):
            holder = choice.get(part) if isinstance(choice, dict) else getattr(choice, part, None)
            if holder is not None:
                for name in _LITELLM_REASONING:
                    removed |= _drop(holder, name)
    output = response.get("output") if isinstance(response, dict) else getattr(response, "output", None)
    if isinstance(output, list):
        kept = [item for item in output if (item.get("type") if isinstance(item, dict)
                                            else getattr(item, "type", None)) != "reasoning"]
        if len(kept) != len(output):
            if isinstance(response, dict):
                response["output"] = kept
            else:
                response.output = kept
            removed = True
    return removed


__all__ = ["ACCOUNT_SOURCES", "CALL_TYPES", "DistillguardGuardrail", "DistillguardRefusal",
           "build_decider", "strip_response"]
