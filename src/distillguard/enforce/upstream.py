"""An httpx transport backed by aiohttp, for the gateway's upstream client.

The gateway keeps the httpx API (``httpx.AsyncClient``, ``httpx.Response``, httpx's exceptions); only the transport
underneath changes. httpcore, httpx's own transport, costs about 1.4 ms of CPU per request through one worker: its pool
polls every pooled socket on each request, and h11 parses HTTP/1.1 in pure Python. aiohttp parses with C (llhttp),
keeps idle connections in an O(1) pool and learns that the upstream closed one from the event loop.

What this transport does and does not do, so that the gateway behaves as it did with httpcore:

- sends the request's headers as given (but Expect: 100-continue, which would make aiohttp wait for the interim
  answer) and adds none: no User-Agent, Accept, Accept-Encoding or Content-Type of aiohttp's (httpx adds Host and
  Content-Length / Transfer-Encoding, as before); keeps no cookies;
- sends the body as given: bytes with their Content-Length, a stream with the Content-Length it came with, else chunked;
- follows no redirects and decompresses nothing: the body and its Content-Encoding pass through untouched;
- streams the answer chunk by chunk as it arrives (``readany``), so server-sent events are not held back;
- maps aiohttp's exceptions to httpx's: refused -> ConnectError, connect timeout -> ConnectTimeout, no data for the
  read timeout -> ReadTimeout, upstream closing early -> RemoteProtocolError (before or during the answer) or
  ReadError (reset), waiting for a free connection past the pool timeout -> PoolTimeout;
- takes its timeouts from ``request.extensions["timeout"]`` as httpx sets them (connect, read, pool). aiohttp has no
  write timeout: a stalled request upload is bounded by the read timeout of the answer only once the upload is done.

Create it inside the running event loop (the gateway's lifespan); ``AsyncClient.aclose()`` closes it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import httpx
from multidict import CIMultiDict
from yarl import URL

# aiohttp's automatic request headers, all skipped: the gateway forwards the client's headers and nothing else.
_SKIP_AUTO_HEADERS = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
# Upstream answer header lines up to this size (aiohttp's default is 8190; h11's limit on a whole head was 64 KiB).
_MAX_HEADER = 65536


def _mapped(exc: BaseException) -> httpx.TransportError:
    """The httpx exception that httpcore would have raised for this aiohttp (or asyncio) one."""
    message = str(exc) or type(exc).__name__
    if isinstance(exc, aiohttp.ConnectionTimeoutError):  # the connect took longer than timeout.connect
        return httpx.ConnectTimeout(message)
    if isinstance(exc, (aiohttp.ServerTimeoutError, asyncio.TimeoutError)):  # no data for timeout.read
        return httpx.ReadTimeout(message)
    if isinstance(exc, aiohttp.ClientConnectorError):  # refused, unreachable, DNS, TLS handshake
        return httpx.ConnectError(message)
    if isinstance(exc, (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientResponseError)):
        # closed before the answer, closed before the body was complete, or not a valid HTTP/1.1 answer
        return httpx.RemoteProtocolError(message)
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        return httpx.UnsupportedProtocol(message)
    if isinstance(exc, aiohttp.ClientConnectionError):  # reset, broken pipe, closed while reading
        return httpx.ReadError(message)
    if isinstance(exc, OSError):
        return httpx.ReadError(message)
    return httpx.TransportError(message)


_MAPPED = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


class _Slot:
    """One of the pool's ``max_connections`` places, held from the request until its answer is closed."""

    __slots__ = ("_pool",)

    def __init__(self, pool: asyncio.Semaphore | None) -> None:
        self._pool = pool

    def release(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.release()


class _Body(httpx.AsyncByteStream):
    """The answer's body, chunk by chunk as it arrives; closing it hands the connection back (or drops it)."""

    __slots__ = ("_closed", "_complete", "_response", "_slot")

    def __init__(self, response: aiohttp.ClientResponse, slot: _Slot) -> None:
        self._response = response
        self._slot = slot
        self._complete = False
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        content = self._response.content
        try:
            while chunk := await content.readany():
                yield chunk
        except _MAPPED as exc:
            raise _mapped(exc) from exc
        self._complete = True

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        if self._complete:
            self._response.release()  # read to the end: the connection goes back to the pool if it can
        else:
            self._response.close()  # abandoned part way: the connection cannot be reused
        self._slot.release()

    def __del__(self) -> None:  # never closed (a bug elsewhere): do not lose the pool place for good
        if not self._closed:
            self._slot.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """``httpx.AsyncClient(transport=AiohttpTransport(...))``: HTTP/1.1 over aiohttp. Create inside the event loop."""

    def __init__(self, *, max_connections: int | None = 100, keepalive_expiry: float | None = 5.0,
                 verify: bool = True) -> None:
        # The pool limit is ours (a semaphore, so that waiting past timeout.pool is a PoolTimeout and not a
        # ConnectTimeout); aiohttp's connector is unlimited under it and keeps at most that many connections.
        self._pool = asyncio.Semaphore(max_connections) if max_connections else None
        connector = aiohttp.TCPConnector(
            limit=0, limit_per_host=0, keepalive_timeout=keepalive_expiry if keepalive_expiry is not None else 5.0,
            ssl=httpx.create_ssl_context(verify=verify, trust_env=False) if verify else False)
        self._session = aiohttp.ClientSession(
            connector=connector, cookie_jar=aiohttp.DummyCookieJar(), skip_auto_headers=_SKIP_AUTO_HEADERS,
            auto_decompress=False, trust_env=False, raise_for_status=False, requote_redirect_url=False,
            timeout=aiohttp.ClientTimeout(total=None), max_line_size=_MAX_HEADER, max_field_size=_MAX_HEADER)
        self._timeouts: dict[tuple[Any, Any], aiohttp.ClientTimeout] = {}

    def _timeout(self, timeout: dict[str, Any]) -> aiohttp.ClientTimeout:
        key = (timeout.get("connect"), timeout.get("read"))
        found = self._timeouts.get(key)
        if found is None:
            # sock_connect: the TCP (and TLS) connect only; sock_read: the longest wait for any data, as httpx's read.
            found = self._timeouts[key] = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=key[0],
                                                                sock_read=key[1])
        return found

    async def _acquire(self, pool_timeout: float | None) -> _Slot:
        pool = self._pool
        if pool is None:
            return _Slot(None)
        if pool.locked():  # all places taken: wait, up to the pool timeout
            try:
                async with asyncio.timeout(pool_timeout):
                    await pool.acquire()
            except TimeoutError:
                raise httpx.PoolTimeout("no upstream connection became free within the pool timeout") from None
        else:
            await pool.acquire()  # returns at once, without yielding to the loop
        return _Slot(pool)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout", {})
        slot = await self._acquire(timeout.get("pool"))
        try:
            headers: CIMultiDict[str] = CIMultiDict()
            for key, value in request.headers.raw:
                headers.add(key.decode("latin-1"), value.decode("latin-1"))
            # aiohttp would hold the body back until the upstream sends "100 Continue" (httpcore sends it at once,
            # and the gateway has the client's body already): an upstream that does not answer 100 would stall.
            headers.popall("Expect", None)
            data: Any
            if isinstance(request.stream, httpx.ByteStream):
                data = request.content or None  # bytes, with the Content-Length httpx set
            else:  # a stream: its Content-Length if it came with one, else aiohttp chunks it
                data = request.stream
                headers.popall("Transfer-Encoding", None)
            try:
                response = await self._session.request(
                    request.method, URL(str(request.url), encoded=True), headers=headers, data=data,
                    allow_redirects=False, compress=False, timeout=self._timeout(timeout))
            except _MAPPED as exc:
                raise _mapped(exc) from exc
        except BaseException:
            slot.release()
            raise
        version = response.version
        extensions: dict[str, Any] = {
            "http_version": f"HTTP/{version.major}.{version.minor}".encode() if version else b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1", "replace")
        return httpx.Response(response.status, headers=list(response.raw_headers), stream=_Body(response, slot),
                              request=request, extensions=extensions)

    async def aclose(self) -> None:
        await self._session.close()
