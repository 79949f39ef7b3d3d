"""``distillguard gateway``: a reverse proxy in front of any OpenAI-compatible API that decides every request.

    client ──► gateway ──► upstream (OpenAI-compatible)
                 │
                 ├─ identity: API key ─► account (key map, header, or the key itself)
                 ├─ peers' indicators (optional): the account's API key or payment fingerprint ─► matches
                 ├─ Decider.decide ─► allow | throttle (429) | degrade (rewrite) | block (403)
                 ├─ traffic log: one contract §1 line per request, with the decision (traffic_log.py)
                 └─ Decider.refresh in a background thread: finished requests re-score the window

``POST /v1/chat/completions``, ``/v1/completions`` and ``/v1/responses`` go through the decision path;
every other method and path is passed through untouched (headers, body, status, streaming), except
``GET /metrics`` (Prometheus) and ``POST /beta/litellm_basic_guardrail_api`` (LiteLLM's Generic
Guardrail API, so a LiteLLM proxy can ask for the decision instead of routing traffic through here).

Decisions never wait on scoring: ``decide`` reads the scores of the last refresh (microseconds), and a
request's own text signals count from the next refresh on. See docs/gateway.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import http.cookiejar
import json
import logging
import math
import os
import secrets
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal, Protocol

import httpx
import msgspec
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from distillguard.enforce.decider import Decider
from distillguard.enforce.decision import REASON_CODES, Decision
from distillguard.enforce.metrics import GatewayMetrics
from distillguard.enforce.openai_wire import (
    CHAT,
    DECIDED_ENDPOINTS,
    RESPONSES,
    ResponseRecord,
    SSEFilter,
    SSESplitter,
    degrade_request,
    error_bytes,
    event_data,
    sse_error_event,
    strip_reasoning,
)
from distillguard.enforce.state import MemoryRate
from distillguard.enforce.traffic_log import TrafficLog
from distillguard.enforce.upstream import AiohttpTransport
from distillguard.errors import ConfigError
from distillguard.events.reader import split_unknown
from distillguard.events.schema import InvalidEvent, LogLine, flatten, rows_to_batch

log = logging.getLogger("distillguard.gateway")

METRICS_PATH: Final = "/metrics"
GUARDRAIL_PATH: Final = "/beta/litellm_basic_guardrail_api"
DEFAULT_MAX_BODY_BYTES: Final = 8 * 1024 * 1024
#: An oversized body is read (and dropped) up to this much more, so the client sees the 413 instead of a
#: reset connection; past it the connection is closed.
_DRAIN_BYTES: Final = 64 * 1024 * 1024
_HOP_BY_HOP: Final = frozenset({b"connection", b"keep-alive", b"proxy-authenticate", b"proxy-authorization",
                                b"proxy-connection", b"te", b"trailer", b"trailers", b"transfer-encoding",
                                b"upgrade"})
_NOT_FORWARDED: Final = _HOP_BY_HOP | {b"host"}
_JSON: Final = (b"content-type", b"application/json")
_METHODS: Final = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

_encode = msgspec.json.Encoder().encode
_decode = msgspec.json.Decoder().decode

UnknownKey = Literal["reject", "account"]


# -- configuration -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Timeouts:
    """Upstream timeouts in seconds. ``read`` is the longest wait for the next bytes, not for the whole
    answer, so a long stream is fine as long as it keeps flowing."""

    connect: float = 5.0
    read: float = 600.0
    write: float = 60.0
    pool: float = 30.0


class PeerIntel(Protocol):
    """Peers' indicators, matched per request (``distillguard.share.live.LiveIndicators``)."""

    def refresh(self) -> bool:
        """Re-read the indicators if their files changed (called from the background thread)."""
        ...

    def matches(self, account_id: str, api_key_id: str | None) -> list[Any]:
        """The account's matches (``share.indicators.Match``): dictionary look-ups, on the request path."""
        ...


@dataclass(frozen=True)
class GatewayConfig:
    upstream: str  # the upstream's root URL; a trailing /v1 is dropped (request paths carry it)
    keys: dict[str, str] | None = None  # API key -> account id (None: no key map)
    account_header: str | None = None  # take the account from this request header instead
    unknown_key: UnknownKey = "reject"  # with a key map: 401, or treat the key (hashed) as the account
    key_secret: bytes = b""  # HMAC key for api_key_id, so the log cannot confirm a key a reader holds
    log_path: Path | None = None  # the traffic log (None: none)
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    timeouts: Timeouts = field(default_factory=Timeouts)
    refresh_interval_s: float = 0.5  # how often finished requests are folded and the window refreshed
    max_connections: int = 1000  # upstream connection pool
    # The forensics master key (distillguard.forensics.keys.MasterKey): when set, a degrade that marks for
    # watermarking also plants one of the account's canaries in the answer (streamed or not) and logs the key id.
    forensics_key: Any = None
    # Peers' indicators: a request whose account matches one (API key, or payment fingerprint from the account
    # attributes) is acted on per the policy's intel section, and the matches are logged with the decision.
    intel: PeerIntel | None = None

    def __post_init__(self) -> None:
        if not self.upstream.startswith(("http://", "https://")):
            raise ConfigError(f"upstream must be an http:// or https:// URL, got {self.upstream!r}")
        if self.keys is not None and self.account_header:
            raise ConfigError("give a key map or an account header, not both")
        if self.max_body_bytes < 1:
            raise ConfigError(f"max_body_bytes must be at least 1, got {self.max_body_bytes}")


def load_keys(path: str | Path) -> dict[str, str]:
    """Read a key -> account map: a JSON or YAML mapping ``{api_key: account_id}``."""
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the key map: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if p.suffix == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{p}: not valid {'JSON' if p.suffix == '.json' else 'YAML'}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{p}: the key map must be a mapping of API key to account id")
    bad = [k for k, v in data.items() if not isinstance(k, str) or not isinstance(v, str) or not k or not v]
    if bad:
        raise ConfigError(f"{p}: {len(bad)} entries are not non-empty strings mapped to non-empty strings")
    return dict(data)


def key_id(key: str, secret: bytes = b"") -> str:
    """The api_key_id logged for a raw key: a short keyed hash (HMAC-SHA256), never the key itself."""
    return "key_" + hmac.new(secret, key.encode(), hashlib.sha256).hexdigest()[:16]


# -- small pieces --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    account_id: str
    api_key_id: str | None


@dataclass
class _Call:
    """One decided request, from arrival to its traffic-log line."""

    request_id: str
    arrived: float  # epoch seconds
    endpoint: str
    identity: Identity
    body: dict[str, Any]  # as the client sent it
    decision: Decision
    bypass: str | None
    client_ip: str | None
    user_agent: str | None
    decide_us: float
    changes: list[str] = field(default_factory=list)
    peer: list[Any] = field(default_factory=list)  # matches on peers' indicators (share.indicators.Match)
    forensics: dict[str, Any] | None = None  # key id, tier, canary planted (logged beside the output)

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [(b"x-distillguard-action", self.decision.effective().encode()),
                (b"x-distillguard-reference", self.decision.reference.encode()),
                (b"x-distillguard-request-id", self.request_id.encode())]


def _timestamp(t: float) -> str:
    """RFC 3339 UTC with milliseconds."""
    ms = int(t * 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def _bearer(value: str | None) -> str | None:
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _fixed(status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> Response:
    """A response with exactly these headers (duplicates kept) and the body's length."""
    response = Response(content=body, status_code=status)
    response.raw_headers = [*headers, (b"content-length", str(len(body)).encode())]
    return response


def _error(status: int, message: str, type_: str, code: str | None,
           headers: list[tuple[bytes, bytes]] | None = None) -> Response:
    """An OpenAI-shaped error response."""
    return _fixed(status, error_bytes(message, type_, code), [_JSON, *(headers or [])])


def _response_headers(raw: list[tuple[bytes, bytes]], *, keep_length: bool) -> list[tuple[bytes, bytes]]:
    return [(k.lower(), v) for k, v in raw
            if k.lower() not in _HOP_BY_HOP and (keep_length or k.lower() != b"content-length")]


def _duration(seconds: float) -> str:
    """OpenAI's x-ratelimit-reset-* style: 350ms, 1.5s, 6m0s."""
    if seconds < 1:
        return f"{max(1, math.ceil(seconds * 1000))}ms"
    if seconds < 60:
        return f"{seconds:.3g}s"
    minutes, rest = divmod(math.ceil(seconds), 60)
    return f"{minutes}m{rest}s"


class _Streamed(Response):
    """Stream ``chunks`` to the client as they come, and stop (closing ``chunks``, which cancels the
    upstream request) as soon as the client goes away. ``chunks`` finishes its own bookkeeping, the
    traffic-log line included, before it ends, so that happens before the response's last byte."""

    def __init__(self, status: int, headers: list[tuple[bytes, bytes]],
                 chunks: AsyncGenerator[bytes, None]) -> None:
        self.status_code = status
        self.raw_headers = headers
        self.chunks = chunks
        self.background = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def pump() -> None:
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            async for chunk in self.chunks:
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})

        async def disconnected() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass

        pumping = asyncio.ensure_future(pump())
        watching = asyncio.ensure_future(disconnected())
        try:
            await asyncio.wait({pumping, watching}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (pumping, watching):
                task.cancel()
            await asyncio.gather(pumping, watching, return_exceptions=True)
            await self.chunks.aclose()
        if not pumping.cancelled() and pumping.exception() is not None:
            raise pumping.exception()  # type: ignore[misc]


# -- the gateway ---------------------------------------------------------------------------------------


class Gateway:
    """The proxy and its state: one httpx client, one traffic log, one Decider, one metrics registry."""

    def __init__(self, config: GatewayConfig, decider: Decider, *, metrics: GatewayMetrics | None = None) -> None:
        self.config = config
        self.decider = decider
        self.metrics = metrics or GatewayMetrics()
        self.upstream = config.upstream.rstrip("/").removesuffix("/v1")
        self.client: httpx.AsyncClient | None = None
        self.traffic_log: TrafficLog | None = None
        self._rows: deque[tuple[Any, ...]] = deque()  # finished requests, flattened, for the decider
        self._seen_refreshes = 0
        self._seen_failures = 0
        self.app = Starlette(routes=[Route("/{path:path}", self.handle, methods=_METHODS)], lifespan=self._lifespan)
        self.app.state.gateway = self

    # -- lifecycle -------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        t = self.config.timeouts
        # The upstream transport: aiohttp under the httpx API (distillguard.enforce.upstream; about 1 ms less CPU per
        # request than httpcore, docs/gateway.md "Latency"). DISTILLGUARD_UPSTREAM_TRANSPORT=httpcore goes back to
        # httpx's own transport.
        transport = None
        if os.environ.get("DISTILLGUARD_UPSTREAM_TRANSPORT", "aiohttp") != "httpcore":
            transport = AiohttpTransport(max_connections=self.config.max_connections)
        self.client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.pool),
            limits=httpx.Limits(max_connections=self.config.max_connections,
                                max_keepalive_connections=self.config.max_connections),
            trust_env=False, follow_redirects=False, transport=transport,
            # keep no upstream cookies: a Set-Cookie in one client's answer must not go out with the next
            # client's request (httpx's client jar would send it back to the upstream)
            cookies=http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[])))
        # Forward the client's headers only, add none of httpx's. Emptied in place: assigning client.headers puts
        # httpx's defaults back (Accept, Accept-Encoding: gzip, Connection, User-Agent: python-httpx).
        self.client.headers.clear()
        if self.config.log_path is not None:
            self.traffic_log = TrafficLog(self.config.log_path)
        stop = asyncio.Event()
        task = asyncio.create_task(self._background(stop))
        try:
            yield
        finally:
            stop.set()  # let a step in progress finish: it may be touching the traffic log
            await task
            await self.client.aclose()
            if self.traffic_log is not None:
                self.traffic_log.close()

    async def _background(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.config.refresh_interval_s)
            try:
                await asyncio.to_thread(self.background_step)
            except Exception:  # never let the loop die: the next step tries again
                self.metrics.refresh_failures.inc()
                log.exception("the background step failed")

    def background_step(self) -> None:
        """Fold finished requests into the decider, refresh it when due, sync and rotate the log.
        Runs in a worker thread; never on the request path. Failures are counted, never raised."""
        rows: list[tuple[Any, ...]] = []
        while self._rows:
            rows.append(self._rows.popleft())
        if rows:
            self._record(rows)
        try:
            self.decider.refresh()
        except Exception:
            self.metrics.refresh_failures.inc()
            log.exception("refreshing the decision window failed; decisions keep the last good scores")
        stats = self.decider.stats
        if stats.failures > self._seen_failures:
            self.metrics.refresh_failures.inc(stats.failures - self._seen_failures)
            log.warning("refreshing the decision window failed: %s", stats.last_error)
        if stats.refreshes > self._seen_refreshes:
            self.metrics.refreshes.inc(stats.refreshes - self._seen_refreshes)
            self.metrics.window_events.set(stats.window_events)
        self._seen_failures, self._seen_refreshes = stats.failures, stats.refreshes
        if self.config.intel is not None:
            try:
                self.config.intel.refresh()
            except Exception:
                log.exception("re-reading peers' indicators failed; the previous ones stay in use")
        if self.traffic_log is not None:
            try:
                self.traffic_log.maintain()
            except OSError:
                log.exception("syncing or reopening the traffic log failed")

    def _record(self, rows: list[tuple[Any, ...]]) -> None:
        try:
            self.decider.record_batch(rows_to_batch(rows))
            return
        except Exception:
            pass
        for row in rows:  # one bad row must not cost the others
            try:
                self.decider.record_batch(rows_to_batch([row]))
            except Exception:
                self.metrics.record_errors.inc()
                log.exception("a finished request could not join the decision window")

    # -- dispatch --------------------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        path, method = request.url.path, request.method
        try:
            if method == "POST" and path in DECIDED_ENDPOINTS:
                return await self._decided(request, path)
            if method == "GET" and path == METRICS_PATH:
                return _fixed(200, self.metrics.exposition(),
                              [(b"content-type", self.metrics.content_type.encode())])
            if method == "POST" and path == GUARDRAIL_PATH:
                return await self._guardrail(request)
            return await self._passthrough(request)
        except Exception:
            log.exception("the gateway failed on %s %s", method, path)
            return _error(500, "The gateway failed to handle this request.", "server_error", "gateway_error")

    # -- identity, body, decision ------------------------------------------------------------------------

    def identify(self, request: Request) -> Identity | Response:
        """The account and hashed key of a request, or the 401 to answer."""
        cfg = self.config
        key = _bearer(request.headers.get("authorization"))
        api_key_id = key_id(key, cfg.key_secret) if key else None
        if cfg.account_header:
            account = (request.headers.get(cfg.account_header) or "").strip()
            if not account:
                return _error(401, f"The request has no {cfg.account_header} header naming the account.",
                              "invalid_request_error", "missing_account")
            return Identity(account, api_key_id)
        if key is None:
            return _error(401, "You didn't provide an API key. Send it as 'Authorization: Bearer YOUR_KEY'.",
                          "invalid_request_error", "missing_api_key")
        if cfg.keys is None:
            return Identity(api_key_id or "", api_key_id)
        account = cfg.keys.get(key)
        if account is None:
            if cfg.unknown_key == "reject":
                return _error(401, "Incorrect API key provided.", "invalid_request_error", "invalid_api_key")
            account = api_key_id
        return Identity(account or "", api_key_id)

    async def _read_body(self, request: Request) -> bytes | Response:
        limit = self.config.max_body_bytes
        declared = request.headers.get("content-length", "")
        size = int(declared) if declared.isdigit() else 0
        chunks: list[bytes] = []
        if size <= limit + _DRAIN_BYTES:
            size = 0
            async for chunk in request.stream():
                size += len(chunk)
                if size <= limit:
                    chunks.append(chunk)
                elif size > limit + _DRAIN_BYTES:
                    break
        if size > limit:
            return _error(413, f"The request body is larger than the gateway's limit of {limit:,} bytes.",
                          "invalid_request_error", "request_too_large")
        return b"".join(chunks)

    async def decide(self, identity: Identity, arrived: float) -> tuple[Decision, str | None, float, list[Any]]:
        """The decision (obeying the policy's fail modes when deciding fails), the bypass it is, if any,
        the microseconds it took, and the identity's matches on peers' indicators."""
        began = time.perf_counter()
        peer = self.peer_matches(identity)
        try:
            if isinstance(self.decider.rate, MemoryRate):
                decision = self.decider.decide(identity.account_id, api_key_id=identity.api_key_id,
                                               now_ms=int(arrived * 1000), peer_matches=peer)
            else:  # a shared state store does network I/O: keep it off the event loop
                decision = await asyncio.to_thread(self.decider.decide, identity.account_id,
                                                   api_key_id=identity.api_key_id, now_ms=int(arrived * 1000),
                                                   peer_matches=peer)
            bypass = "allowlist" if decision.code == "allowlist" else None
        except Exception as exc:
            decision, bypass = self._failed(exc)
        seconds = time.perf_counter() - began
        self.metrics.decision_seconds.observe(seconds)
        if bypass:
            self.metrics.bypasses.labels(bypass).inc()
        return decision, bypass, seconds * 1e6, peer

    def peer_matches(self, identity: Identity) -> list[Any]:
        """The identity's matches on peers' indicators ([] without intel). A failed look-up is logged and
        counts as no match: the rest of the decision still runs."""
        intel = self.config.intel
        if intel is None:
            return []
        try:
            return intel.matches(identity.account_id, identity.api_key_id)
        except Exception:
            log.exception("matching %s on peers' indicators failed", identity.account_id)
            return []

    def _failed(self, exc: Exception) -> tuple[Decision, str | None]:
        """Deciding failed: the strictest class the policy fails closed for, else allow (a logged bypass)."""
        policy = self.decider.policy
        shadow = policy.mode == "shadow"
        why = f"deciding failed ({type(exc).__name__}: {exc})"
        fail = policy.fail
        if fail.block == "closed":
            log.error("%s; failing closed (block)", why)
            return Decision("block", 0.0, (f"{why}; failing closed",), code="fail_closed", shadow=shadow), None
        if fail.throttle == "closed":
            log.error("%s; failing closed (throttle)", why)
            return Decision("throttle", 0.0, (f"{why}; failing closed",), code="fail_closed", retry_after_s=1.0,
                            shadow=shadow), None
        if fail.degrade == "closed":
            log.error("%s; failing closed (degrade)", why)
            return Decision("degrade", 0.0, (f"{why}; failing closed",), code="fail_closed",
                            degrade=policy.degrade, shadow=shadow), None
        log.warning("%s; failing open (bypass)", why)
        return Decision("allow", 0.0, (f"{why}; failing open",), code="fail_open", shadow=shadow), "fail_open"

    # -- the decided endpoints ----------------------------------------------------------------------------

    async def _decided(self, request: Request, endpoint: str) -> Response:
        arrived = time.time()
        m = self.metrics
        identity = self.identify(request)
        if isinstance(identity, Response):
            m.requests.labels(endpoint, "rejected", "false").inc()
            return identity
        raw = await self._read_body(request)
        if isinstance(raw, Response):
            m.requests.labels(endpoint, "rejected", "false").inc()
            return raw
        try:
            body = _decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            m.requests.labels(endpoint, "rejected", "false").inc()
            return _error(400, f"We could not parse the JSON body of your request: {exc}.",
                          "invalid_request_error", "invalid_json")
        if not isinstance(body, dict):
            m.requests.labels(endpoint, "rejected", "false").inc()
            return _error(400, f"The request body must be a JSON object, got {type(body).__name__}.",
                          "invalid_request_error", "invalid_json")
        decision, bypass, decide_us, peer = await self.decide(identity, arrived)
        client = request.client
        call = _Call(request_id=f"req_{secrets.token_hex(12)}", arrived=arrived, endpoint=endpoint,
                     identity=identity, body=body, decision=decision, bypass=bypass,
                     client_ip=client.host if client else None, user_agent=request.headers.get("user-agent"),
                     decide_us=decide_us, peer=peer)
        action = decision.effective()
        m.requests.labels(endpoint, decision.action, "true" if decision.shadow else "false").inc()
        if action == "block":
            return self._block(call)
        if action == "throttle":
            return self._throttle(call)
        extra = call.headers()
        payload = raw
        strip = False
        if action == "degrade" and decision.degrade is not None:
            d = decision.degrade
            forwarded = dict(body)
            call.changes = degrade_request(forwarded, endpoint, d)
            payload = _encode(forwarded)
            strip = d.strip_reasoning
            if d.watermark:
                extra.append((b"x-distillguard-watermark", b"suspect"))
                if self.config.forensics_key is not None:
                    call.forensics = self._forensics(call)
        return await self._forward(request, call, payload, strip, extra)

    def _forensics(self, call: _Call) -> dict[str, Any]:
        """The suspect tier's key id for this account and week, and which canary to plant."""
        from distillguard.forensics.keys import tier_policy

        week = time.strftime("%G-W%V", time.gmtime(call.arrived))
        key = self.config.forensics_key.account_key(call.identity.account_id, week)
        tier = tier_policy("suspect")
        index = int.from_bytes(call.request_id.encode()[-4:], "big") % max(tier.canaries, 1)
        return {"key_id": key.key_id, "epoch": week, "tier": "suspect", "canary": index, "planted": False}

    def _canary_statement(self, call: _Call) -> str:
        """The statement of the canary ``call.forensics`` names (the account's key for that epoch)."""
        from distillguard.forensics.canaries import canaries_for
        from distillguard.forensics.keys import tier_policy

        assert call.forensics is not None, "only calls marked for forensics plant a canary"
        info = call.forensics
        key = self.config.forensics_key.account_key(call.identity.account_id, info["epoch"])
        return canaries_for(key, tier_policy("suspect").canaries)[info["canary"]].statement

    def _plant(self, call: _Call, obj: Any) -> bool:
        """Append the account's canary to the answer's text (the first choice, or /v1/responses output)."""
        if call.forensics is None or not isinstance(obj, dict):
            return False
        planted = plant_canary(obj, call.endpoint, self._canary_statement(call))
        call.forensics["planted"] = planted
        return planted

    def _block(self, call: _Call) -> Response:
        d = call.decision
        if d.code == "fail_closed":  # our failure, not the client's: a 503 the client may retry
            self.finish(call, 503, None)
            return _error(503, f"The request could not be checked and is refused for now. Reference {d.reference}.",
                          "server_error", "fail_closed", [*call.headers(), (b"retry-after", b"1")])
        why = REASON_CODES.get(d.code, "the request was refused by the provider's policy")
        self.finish(call, 403, None)
        return _error(403, f"This request was refused: {why}. If you believe this is a mistake, quote reference "
                      f"{d.reference} in an appeal.", "invalid_request_error", d.code or "blocked",
                      [*call.headers(), (b"x-should-retry", b"false")])

    def _throttle(self, call: _Call) -> Response:
        d = call.decision
        wait = max(d.retry_after_s or 1.0, 0.001)
        rpm = self.decider.policy.rate_limit.requests_per_minute
        headers = [*call.headers(),
                   (b"retry-after", str(max(1, math.ceil(wait))).encode()),
                   (b"retry-after-ms", str(max(1, math.ceil(wait * 1000))).encode()),
                   (b"x-ratelimit-limit-requests", str(max(1, int(rpm))).encode()),
                   (b"x-ratelimit-remaining-requests", b"0"),
                   (b"x-ratelimit-reset-requests", _duration(wait).encode())]
        self.finish(call, 429, None)
        if d.code == "fail_closed":
            message = f"The request could not be checked; please retry in {_duration(wait)}. Reference {d.reference}."
        else:
            message = (f"Rate limit reached for requests: {rpm:g} requests per minute. Please try again in "
                       f"{_duration(wait)}. Reference {d.reference}.")
        return _error(429, message, "rate_limit_exceeded", "rate_limit_exceeded", headers)

    def _upstream_headers(self, request: Request, *, identity_encoding: bool) -> list[tuple[bytes, bytes]]:
        headers = [(k, v) for k, v in request.headers.raw
                   if k not in _NOT_FORWARDED and not (identity_encoding and k in (b"accept-encoding",
                                                                                   b"content-length"))]
        if identity_encoding:  # the gateway reads these answers, so ask for them uncompressed
            headers.append((b"accept-encoding", b"identity"))
        return headers

    def _url(self, request: Request) -> str:
        """The upstream URL: the path as the client encoded it (raw_path), and its query string."""
        raw_path = request.scope.get("raw_path")
        path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) and raw_path else request.url.path
        query = request.scope.get("query_string", b"").decode("latin-1")
        return self.upstream + path + (f"?{query}" if query else "")

    async def _forward(self, request: Request, call: _Call, payload: bytes, strip: bool,
                       extra: list[tuple[bytes, bytes]]) -> Response:
        assert self.client is not None, "the gateway runs inside its lifespan"
        upstream = self.client.build_request("POST", self._url(request), content=payload,
                                             headers=self._upstream_headers(request, identity_encoding=True))
        began = time.perf_counter()
        timer = self.metrics.upstream_seconds.labels(call.endpoint)
        try:
            response = await self.client.send(upstream, stream=True)
        except httpx.HTTPError as exc:
            status, error = self._upstream_failure(exc)
            self.finish(call, status, None)
            return _fixed(status, error, [_JSON, *extra])
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            timer.observe(time.perf_counter() - began)
            return _Streamed(response.status_code, _response_headers(response.headers.raw, keep_length=False) + extra,
                             self._stream(call, response, strip))
        try:
            data = await response.aread()
        except httpx.HTTPError as exc:
            status, error = self._upstream_failure(exc)
            self.finish(call, status, None)
            return _fixed(status, error, [_JSON, *extra])
        finally:
            await response.aclose()
        timer.observe(time.perf_counter() - began)
        record = None
        if "json" in response.headers.get("content-type", "") and response.status_code < 400:
            try:
                obj = _decode(data)
            except (msgspec.DecodeError, UnicodeDecodeError):
                obj = None
            if obj is not None:
                changed = strip and strip_reasoning(obj, call.endpoint)
                if call.forensics is not None and response.status_code < 300:
                    changed = self._plant(call, obj) or changed
                if changed:
                    data = _encode(obj)
                record = ResponseRecord.from_body(call.endpoint, obj)
        self.finish(call, response.status_code, record)
        return _fixed(response.status_code, data, _response_headers(response.headers.raw, keep_length=False) + extra)

    async def _stream(self, call: _Call, response: httpx.Response, strip: bool) -> AsyncGenerator[bytes, None]:
        """Relay an SSE stream chunk by chunk (event by event when stripping reasoning or planting a canary),
        keep its text."""
        record = ResponseRecord(call.endpoint)
        status = response.status_code
        filt = SSEFilter(call.endpoint) if strip else None
        canary = (StreamCanary(call.endpoint, self._canary_statement(call))
                  if call.forensics is not None and status < 300 else None)
        splitter = filt.splitter if filt is not None else SSESplitter()
        by_event = filt is not None or canary is not None  # else raw chunks go out as they come
        try:
            async for chunk in response.aiter_raw():
                if not by_event:
                    yield chunk
                    for event in splitter.feed(chunk):
                        record.feed(event)
                    continue
                for event in filt.feed(chunk) if filt is not None else splitter.feed(chunk):
                    for out in canary.feed(event) if canary is not None else (event,):
                        record.feed(out)
                        yield out
            rest = splitter.rest()
            if rest.strip():
                for out in canary.feed(rest) if canary is not None else (rest,):
                    record.feed(out)
                    if by_event:
                        yield out
        except httpx.HTTPError as exc:
            status, _ = self._upstream_failure(exc)
            kind = "upstream_timeout" if status == 504 else "upstream_error"
            yield sse_error_event(f"The upstream stream failed: {type(exc).__name__}. Reference "
                                  f"{call.decision.reference}.", "server_error", kind)
        except BaseException:
            status = 499  # the client went away (cancelled): the line says so
            raise
        finally:
            if canary is not None and call.forensics is not None:
                call.forensics["planted"] = canary.planted
            self.finish(call, status, record)
            await response.aclose()

    def _upstream_failure(self, exc: httpx.HTTPError) -> tuple[int, bytes]:
        if isinstance(exc, httpx.TimeoutException):
            self.metrics.upstream_errors.labels("timeout").inc()
            return 504, error_bytes(f"The upstream did not answer in time ({type(exc).__name__}).", "server_error",
                                    "upstream_timeout")
        kind = "connect" if isinstance(exc, httpx.TransportError) else "protocol"
        self.metrics.upstream_errors.labels(kind).inc()
        return 502, error_bytes(f"The upstream could not be reached ({type(exc).__name__}: {exc}).", "server_error",
                                "upstream_unreachable")

    # -- the traffic log ---------------------------------------------------------------------------------

    def finish(self, call: _Call, status: int, record: ResponseRecord | None) -> None:
        """Append the request's contract §1 line (with its decision) and queue it for the decision window."""
        line = self._line(call, status, record)
        row = self._row(line)
        if row is None:  # the body breaks the contract's types: keep it aside, log what the contract can hold
            line["request_raw"] = line["request"]
            line["request"] = {"prompt": _prompt_text(call.body)}
            row = self._row(line)
        if self.traffic_log is not None:
            try:
                self.traffic_log.write(line)
                self.metrics.log_lines.inc()
            except (OSError, TypeError, ValueError):
                self.metrics.log_errors.inc()
                log.exception("writing the traffic log failed for %s", call.request_id)
        if row is not None:
            self._rows.append(row)
        else:
            self.metrics.record_errors.inc()

    def _line(self, call: _Call, status: int, record: ResponseRecord | None) -> dict[str, Any]:
        d = call.decision
        decision: dict[str, Any] = {"action": d.action, "effective": d.effective(), "score": round(d.score, 6),
                                    "reasons": list(d.reasons), "code": d.code, "reference": d.reference,
                                    "decide_us": round(call.decide_us, 1)}
        if d.shadow:
            decision["shadow"] = True
        if d.cluster_id:
            decision["cluster_id"] = d.cluster_id
        if d.retry_after_s is not None:
            decision["retry_after_s"] = round(d.retry_after_s, 3)
        if call.bypass:
            decision["bypass"] = call.bypass
        if call.changes:
            decision["changes"] = call.changes
        if call.peer:
            decision["peer_indicators"] = [{"indicator_id": m.indicator_id, "kind": m.kind, "publisher": m.publisher,
                                            "weight": round(m.weight, 4)} for m in call.peer]
        if call.forensics is not None:
            decision["forensics"] = call.forensics
        line: dict[str, Any] = {"request_id": call.request_id, "timestamp": _timestamp(call.arrived),
                                "account_id": call.identity.account_id}
        if call.identity.api_key_id:
            line["api_key_id"] = call.identity.api_key_id
        client = {k: v for k, v in (("ip", call.client_ip), ("user_agent", call.user_agent)) if v}
        if client:
            line["client"] = client
        line["endpoint"] = call.endpoint
        model = call.body.get("model")
        if isinstance(model, str):
            line["model"] = model
        line["request"] = call.body
        if record is not None:
            response = record.response()
            if response is not None:
                line["response"] = response
            if record.usage:
                line["usage"] = record.usage
        line["status"] = status
        line["decision"] = decision
        return line

    @staticmethod
    def _row(line: dict[str, Any]) -> tuple[Any, ...] | None:
        """The line as an EVENT_SCHEMA row (None when it breaks the contract). Unknown fields are left out
        of the row: the decision window does not read them."""
        known, _ = split_unknown(line)
        try:
            return flatten(msgspec.convert(known, LogLine), None)
        except (msgspec.ValidationError, InvalidEvent):
            return None

    # -- pass-through -------------------------------------------------------------------------------------

    async def _passthrough(self, request: Request) -> Response:
        assert self.client is not None, "the gateway runs inside its lifespan"
        self.metrics.requests.labels("other", "passthrough", "false").inc()
        headers = [(k, v) for k, v in request.headers.raw if k not in _NOT_FORWARDED]
        has_body = "content-length" in request.headers or "transfer-encoding" in request.headers
        upstream = self.client.build_request(request.method, self._url(request), headers=headers,
                                             content=request.stream() if has_body else None)
        try:
            response = await self.client.send(upstream, stream=True)
        except httpx.HTTPError as exc:
            status, error = self._upstream_failure(exc)
            return _fixed(status, error, [_JSON])
        return _Streamed(response.status_code, _response_headers(response.headers.raw, keep_length=True),
                         self._relay(response))

    async def _relay(self, response: httpx.Response) -> AsyncGenerator[bytes, None]:
        try:
            async for chunk in response.aiter_raw():
                yield chunk
        except httpx.HTTPError:
            self.metrics.upstream_errors.labels("stream").inc()
        finally:
            await response.aclose()

    # -- LiteLLM Generic Guardrail API -------------------------------------------------------------------

    async def _guardrail(self, request: Request) -> Response:
        """LiteLLM's Generic Guardrail API: ``{"texts", "request_data", "input_type", ...}`` in,
        ``{"action": "NONE" | "BLOCKED", "blocked_reason"}`` out. The account is the key's user, else its
        team, else the key (hashed). Requests are decided and logged; responses are let through."""
        m = self.metrics
        raw = await self._read_body(request)
        if isinstance(raw, Response):
            return raw
        try:
            body = _decode(raw)
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            return _error(400, f"We could not parse the JSON body of your request: {exc}.",
                          "invalid_request_error", "invalid_json")
        if not isinstance(body, dict):
            return _error(400, "The request body must be a JSON object.", "invalid_request_error", "invalid_json")
        if body.get("input_type", "request") != "request":
            return _fixed(200, _encode({"action": "NONE"}), [_JSON])
        data = body.get("request_data") if isinstance(body.get("request_data"), dict) else {}
        key_hash = data.get("user_api_key_hash")
        api_key_id = key_id(key_hash, self.config.key_secret) if isinstance(key_hash, str) and key_hash else None
        account = next((v for v in (data.get("user_api_key_user_id"), data.get("user_api_key_team_id"))
                        if isinstance(v, str) and v), api_key_id)
        if account is None:
            return _error(400, "request_data names no user, team or key to decide for.", "invalid_request_error",
                          "missing_account")
        arrived = time.time()
        decision, bypass, decide_us, peer = await self.decide(Identity(account, api_key_id), arrived)
        m.requests.labels(GUARDRAIL_PATH, decision.action, "true" if decision.shadow else "false").inc()
        texts = [t for t in body.get("texts") or () if isinstance(t, str)]
        request_body: dict[str, Any] = ({"messages": [{"role": "user", "content": t} for t in texts]} if texts
                                        else {"prompt": ""})
        call = _Call(request_id=str(body.get("litellm_call_id") or f"req_{secrets.token_hex(12)}"), arrived=arrived,
                     endpoint=GUARDRAIL_PATH, identity=Identity(account, api_key_id), body=request_body,
                     decision=decision, bypass=bypass, client_ip=request.client.host if request.client else None,
                     user_agent=request.headers.get("user-agent"), decide_us=decide_us, peer=peer)
        action = decision.effective()
        if action == "block":
            self.finish(call, 403, None)
            reason = (f"{decision.code or 'blocked'}: {REASON_CODES.get(decision.code, 'refused by policy')}; "
                      f"quote reference {decision.reference} in an appeal")
            answer: dict[str, Any] = {"action": "BLOCKED", "blocked_reason": reason}
        elif action == "throttle":
            self.finish(call, 429, None)
            wait = _duration(max(decision.retry_after_s or 1.0, 0.001))
            answer = {"action": "BLOCKED",
                      "blocked_reason": f"rate_limit_exceeded: retry in {wait}; reference {decision.reference}"}
        else:
            self.finish(call, 200, None)
            answer = {"action": "NONE"}
        return _fixed(200, _encode(answer), [_JSON, *call.headers()])


def _prompt_text(body: dict[str, Any]) -> str:
    """Best-effort text of a request body the contract's types reject (kept whole in ``request_raw``)."""
    for name in ("prompt", "input"):
        value = body.get(name)
        if isinstance(value, str):
            return value
    messages = body.get("messages") if isinstance(body.get("messages"), list) else body.get("input")
    if isinstance(messages, list):
        for message in reversed(messages):
            if isinstance(message, dict) and isinstance(message.get("content"), str):
                return message["content"]
    return ""


def plant_canary(obj: dict[str, Any], endpoint: str, statement: str) -> bool:
    """Append ``statement`` as a closing paragraph of a non-streamed answer; False when there is no text."""
    suffix = "\n\n" + statement
    if endpoint.endswith("/responses"):
        for item in obj.get("output") or []:
            if isinstance(item, dict) and item.get("type") == "message":
                for part in item.get("content") or []:
                    if isinstance(part, dict) and isinstance(part.get("text"), str):
                        part["text"] += suffix
                        if isinstance(obj.get("output_text"), str):
                            obj["output_text"] += suffix
                        return True
        return False
    choices = obj.get("choices") or []
    if not choices or not isinstance(choices[0], dict):
        return False
    first = choices[0]
    message = first.get("message")
    if isinstance(message, dict) and isinstance(message.get("content"), str):
        message["content"] += suffix
        return True
    if isinstance(first.get("text"), str):
        first["text"] += suffix
        return True
    return False


class StreamCanary:
    """Plant a canary in a streamed answer without holding the stream back.

    Events pass one at a time; the canary goes out as one extra text delta, in the stream's own shape,
    just before the event that closes the answer's text:

    - chat and completions: before the first choice's finishing chunk (one that still carries text is
      split, so the canary follows that text), else before ``data: [DONE]``;
    - responses: before the first ``response.output_text.done``, else before ``response.completed`` /
      ``response.incomplete``. The later events that repeat the full text (``output_text.done``,
      ``content_part.done``, ``output_item.done``, the final response) are extended to match, and later
      sequence numbers move up by one.

    An answer without text (a tool call) gets no canary, as in non-streamed answers.
    """

    def __init__(self, endpoint: str, statement: str) -> None:
        self.endpoint = endpoint
        self.suffix = "\n\n" + statement
        self.planted = False
        self._closed = False  # chat / completions: the first choice finished (planted or not)
        self._text_seen = False  # chat / completions: the first choice carried text (no canary after tool calls)
        self._last: dict[str, Any] | None = None  # the last chunk with a first choice, or text delta
        self._where: dict[str, Any] = {}  # responses: item_id, output_index, content_index of the canary
        self._extended: set[str] = set()  # responses: event types whose full text already carries it
        self._shift = 0  # responses: added to later sequence numbers

    def feed(self, event: bytes) -> list[bytes]:
        """The events to send in place of ``event``: the event (rewritten where needed), and the canary."""
        data = event_data(event)
        if data is None:
            return [event]
        if data.strip() == b"[DONE]":
            if self._closed or self._last is None or not self._text_seen or self.endpoint == RESPONSES:
                return [event]
            self._closed = True
            self.planted = True
            return [_sse(self._chunk(self._last, self._canary_choice())), event]
        try:
            obj = _decode(data)
        except (msgspec.DecodeError, UnicodeDecodeError):
            return [event]
        if not isinstance(obj, dict):
            return [event]
        if self.endpoint == RESPONSES:
            return self._responses(event, obj)
        return self._choices(event, obj)

    # -- chat and completions: {"choices": [{"index", "delta": {"content"} | "text", "finish_reason"}]} --

    def _choices(self, event: bytes, obj: dict[str, Any]) -> list[bytes]:
        choices = obj.get("choices")
        first = next((c for c in choices or () if isinstance(c, dict) and c.get("index", 0) == 0), None)
        if self._closed or first is None:
            return [event]
        self._last = obj
        self._text_seen = self._text_seen or bool(self._text(first))
        if first.get("finish_reason") is None:
            return [event]
        self._closed = True
        if not self._text_seen:  # a tool call or an empty answer: nothing to append to
            return [event]
        self.planted = True
        canary = _sse(self._chunk(obj, self._canary_choice()))
        if not self._text(first):
            return [canary, event]
        text = self._chunk(obj, {**first, "finish_reason": None})
        finish = {**obj, "choices": [self._without_text(c) if c is first else c for c in choices]}
        return [_with_data(event, text), canary, _with_data(event, finish)]

    def _chunk(self, template: dict[str, Any], choice: dict[str, Any]) -> dict[str, Any]:
        """A chunk like ``template`` (id, object, created, model...) carrying only ``choice``."""
        chunk = {k: v for k, v in template.items() if k not in ("choices", "usage")}
        chunk["choices"] = [choice]
        if "usage" in template:
            chunk["usage"] = None
        return chunk

    def _canary_choice(self) -> dict[str, Any]:
        if self.endpoint == CHAT:
            return {"index": 0, "delta": {"content": self.suffix}, "logprobs": None, "finish_reason": None}
        return {"index": 0, "text": self.suffix, "logprobs": None, "finish_reason": None}

    def _text(self, choice: dict[str, Any]) -> str:
        delta = choice.get("delta")
        text = (delta.get("content") if isinstance(delta, dict) else None) if self.endpoint == CHAT \
            else choice.get("text")
        return text if isinstance(text, str) else ""

    def _without_text(self, choice: dict[str, Any]) -> dict[str, Any]:
        out = dict(choice)
        if self.endpoint == CHAT:
            out["delta"] = {k: v for k, v in (choice.get("delta") or {}).items() if k != "content"}
        else:
            out["text"] = ""
        if "logprobs" in out:
            out["logprobs"] = None
        return out

    # -- responses: typed events -------------------------------------------------------------------------

    def _responses(self, event: bytes, obj: dict[str, Any]) -> list[bytes]:
        kind = obj.get("type")
        if self.planted:
            changed = self._extend(obj)
            if self._shift and isinstance(obj.get("sequence_number"), int):
                obj["sequence_number"] += self._shift
                changed = True
            return [_with_data(event, obj)] if changed else [event]
        if kind == "response.output_text.delta":
            self._last = obj
            return [event]
        closes_text = kind == "response.output_text.done"
        if not closes_text and not (kind in ("response.completed", "response.incomplete") and self._last):
            return [event]
        where = obj if closes_text else self._last or {}
        self._where = {k: where[k] for k in ("item_id", "output_index", "content_index") if k in where}
        delta: dict[str, Any] = {"type": "response.output_text.delta", **self._where, "delta": self.suffix}
        if self._last is not None and "logprobs" in self._last:
            delta["logprobs"] = []
        if isinstance(obj.get("sequence_number"), int):
            delta["sequence_number"] = obj["sequence_number"]
            obj["sequence_number"] += 1
            self._shift = 1
        self.planted = True
        self._extend(obj)
        named = any(line.startswith(b"event:") for line in event.splitlines())
        return [_sse(delta, "response.output_text.delta" if named else None), _with_data(event, obj)]

    def _extend(self, obj: dict[str, Any]) -> bool:
        """Append the canary to the full text an event repeats, once per event type; True if changed."""
        kind = obj.get("type")
        if not isinstance(kind, str) or kind in self._extended:
            return False
        done = False
        if kind == "response.output_text.done" and self._same(obj) and isinstance(obj.get("text"), str):
            obj["text"] += self.suffix
            done = True
        elif kind == "response.content_part.done" and self._same(obj):
            done = self._extend_part(obj.get("part"))
        elif kind == "response.output_item.done" and self._target(obj.get("item"), obj.get("output_index")):
            done = self._extend_item(obj["item"])
        elif kind in ("response.completed", "response.incomplete") and isinstance(obj.get("response"), dict):
            response = obj["response"]
            output = response.get("output") if isinstance(response.get("output"), list) else []
            item = next((x for i, x in enumerate(output) if self._target(x, i)), None)
            done = item is not None and self._extend_item(item)
            if done and isinstance(response.get("output_text"), str):
                response["output_text"] += self.suffix
        if done:
            self._extended.add(kind)
        return done

    def _same(self, obj: dict[str, Any]) -> bool:
        return all(obj.get(k) == v for k, v in self._where.items() if k in obj)

    def _target(self, item: Any, output_index: Any) -> bool:
        """Whether ``item`` is the message the canary went into (the first message when the stream named none)."""
        if not isinstance(item, dict) or item.get("type") != "message":
            return False
        if "item_id" in self._where:
            return bool(item.get("id") == self._where["item_id"])
        if "output_index" in self._where:
            return bool(output_index == self._where["output_index"])
        return True

    def _extend_item(self, item: dict[str, Any]) -> bool:
        content = item.get("content")
        if not isinstance(content, list):
            return False
        index = self._where.get("content_index")
        if isinstance(index, int):
            return 0 <= index < len(content) and self._extend_part(content[index])
        return any(self._extend_part(part) for part in content)

    def _extend_part(self, part: Any) -> bool:
        if isinstance(part, dict) and part.get("type", "output_text") == "output_text" \
                and isinstance(part.get("text"), str):
            part["text"] += self.suffix
            return True
        return False


def _sse(obj: dict[str, Any], name: str | None = None) -> bytes:
    """One SSE event carrying ``obj`` (with an ``event:`` line when ``name`` is given)."""
    head = b"event: " + name.encode() + b"\n" if name else b""
    return head + b"data: " + _encode(obj) + b"\n\n"


def _with_data(event: bytes, obj: dict[str, Any]) -> bytes:
    """``event`` with its data replaced by ``obj``; its other fields (``event:``, ``id:``) kept."""
    fields = [line for line in event.splitlines() if line and not line.startswith(b"data:")]
    return b"\n".join([*fields, b"data: " + _encode(obj)]) + b"\n\n"


def create_app(config: GatewayConfig, decider: Decider | None = None) -> Starlette:
    """The gateway as an ASGI app (``app.state.gateway`` is the :class:`Gateway`)."""
    return Gateway(config, decider or Decider()).app


__all__ = ["GUARDRAIL_PATH", "METRICS_PATH", "Gateway", "GatewayConfig", "Identity", "PeerIntel", "Timeouts",
           "create_app", "key_id", "load_keys"]
