"""The gateway's aiohttp transport under httpx, against real servers on loopback (raw asyncio sockets, so that each
test controls exactly what the upstream sends, when, and when it hangs up)."""

from __future__ import annotations

import asyncio
import gzip
import http.cookiejar
import socket
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
import pytest

from distillguard.enforce.upstream import AiohttpTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(asyncio.wait_for(coro, 20))


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    """One request: its request line, its header lines as sent (name case kept), and its body (de-chunked)."""
    head = await reader.readuntil(b"\r\n\r\n")
    line, *rest = head[:-4].split(b"\r\n")
    headers = [(k, v.strip()) for k, v in (h.split(b":", 1) for h in rest)]
    named = {k.lower(): v for k, v in headers}
    body = b""
    if b"content-length" in named:
        body = await reader.readexactly(int(named[b"content-length"]))
    elif named.get(b"transfer-encoding") == b"chunked":
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += await reader.readexactly(size)
            await reader.readexactly(2)
        await reader.readexactly(2)
    return line, headers, body


def answer(body: bytes, *extra: bytes, status: bytes = b"200 OK") -> bytes:
    return (b"HTTP/1.1 " + status + b"\r\ncontent-type: application/json\r\ncontent-length: "
            + str(len(body)).encode() + b"\r\n" + b"".join(h + b"\r\n" for h in extra) + b"\r\n" + body)


class Upstream:
    """A loopback server running ``handler`` for each connection; counts the connections it accepted."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0

    async def __aenter__(self) -> Upstream:
        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.handler(reader, writer)
            except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
                pass  # the client hung up, or the test is over
            finally:
                writer.close()

        self.server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()


def client(read: float = 2.0, pool: float = 2.0, max_connections: int = 10) -> httpx.AsyncClient:
    """As the gateway makes it: httpx's API, the aiohttp transport, no headers of its own."""
    c = httpx.AsyncClient(timeout=httpx.Timeout(connect=2.0, read=read, write=2.0, pool=pool),
                          transport=AiohttpTransport(max_connections=max_connections), follow_redirects=False,
                          cookies=http.cookiejar.CookieJar(policy=http.cookiejar.DefaultCookiePolicy(allowed_domains=[])))
    c.headers.clear()  # as the gateway does (assigning httpx.Headers() would bring httpx's defaults back)
    return c


def test_keep_alive_reuses_one_connection() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            _, _, body = await read_request(reader)
            writer.write(answer(b'{"echo": "' + body + b'"}'))
            await writer.drain()

    async def main() -> None:
        async with Upstream(handler) as up, client() as c:
            for i in range(5):
                r = await c.post(up.url + "/v1/chat/completions", content=b"n%d" % i)
                assert r.status_code == 200 and r.json() == {"echo": f"n{i}"}
                assert r.http_version == "HTTP/1.1" and r.reason_phrase == "OK"
            # a streamed answer read to its end also hands the connection back
            async with c.stream("POST", up.url + "/x", content=b"s") as r:
                assert await r.aread() == b'{"echo": "s"}'
            assert up.connections == 1

    run(main())


def test_connection_refused_is_a_connect_error() -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        async with client() as c:
            with pytest.raises(httpx.ConnectError) as caught:
                await c.post(f"http://127.0.0.1:{port}/v1/chat/completions", content=b"{}")
            assert not isinstance(caught.value, httpx.TimeoutException)

    run(main())


def test_unanswered_connect_is_a_connect_timeout() -> None:
    async def main() -> None:
        with socket.socket() as listener:  # listens, never accepts: once its backlog is full, SYNs go unanswered
            listener.bind(("127.0.0.1", 0))
            listener.listen(0)
            port = listener.getsockname()[1]
            filling = []
            for _ in range(8):
                s = socket.socket()
                s.setblocking(False)
                s.connect_ex(("127.0.0.1", port))
                filling.append(s)
            await asyncio.sleep(0.1)
            try:
                async with httpx.AsyncClient(transport=AiohttpTransport(),
                                             timeout=httpx.Timeout(2.0, connect=0.3)) as c:
                    began = asyncio.get_running_loop().time()
                    with pytest.raises(httpx.ConnectTimeout):
                        await c.post(f"http://127.0.0.1:{port}/v1/chat/completions", content=b"{}")
                    assert asyncio.get_running_loop().time() - began < 1.5
            finally:
                for s in filling:
                    s.close()

    run(main())


def test_silent_upstream_is_a_read_timeout() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        await asyncio.sleep(5)

    async def stalls_mid_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npart")
        await writer.drain()
        await asyncio.sleep(5)

    async def main() -> None:
        async with Upstream(silent) as up, client(read=0.3) as c:
            began = asyncio.get_running_loop().time()
            with pytest.raises(httpx.ReadTimeout):
                await c.post(up.url + "/v1/chat/completions", content=b"{}")
            assert asyncio.get_running_loop().time() - began < 2
        async with Upstream(stalls_mid_body) as up, client(read=0.3) as c, \
                c.stream("POST", up.url + "/v1/chat/completions", content=b"{}") as r:
            assert r.status_code == 200
            with pytest.raises(httpx.ReadTimeout):
                await r.aread()

    run(main())


def test_upstream_dying_is_a_transport_error() -> None:
    async def hangs_up_before_answering(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)

    async def dies_mid_stream(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                     b"d\r\ndata: first\n\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)  # then the connection is closed, the chunked body unfinished

    async def main() -> None:
        async with Upstream(hangs_up_before_answering) as up, client() as c:
            with pytest.raises(httpx.RemoteProtocolError):
                await c.post(up.url + "/v1/chat/completions", content=b"{}")
        async with Upstream(dies_mid_stream) as up, client() as c:
            got = []
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                async with c.stream("POST", up.url + "/v1/chat/completions", content=b"{}") as r:
                    async for chunk in r.aiter_raw():
                        got.append(chunk)
            assert b"".join(got) == b"data: first\n\n"

    run(main())


def test_no_headers_added_and_bodies_and_answers_pass_untouched() -> None:
    seen: list[tuple[bytes, list[tuple[bytes, bytes]], bytes]] = []
    zipped = gzip.compress(b'{"ok": true}')

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            seen.append(await read_request(reader))
            if seen[-1][0].startswith(b"GET /redirect"):
                writer.write(answer(b"", b"location: /elsewhere", status=b"302 Found"))
            else:  # gzipped, with a cookie: neither may be acted on
                writer.write(answer(zipped, b"content-encoding: gzip", b"set-cookie: session=abc"))
            await writer.drain()

    async def stream():  # type: ignore[no-untyped-def]
        yield b"part one, "
        yield b"part two"

    async def main() -> None:
        async with Upstream(handler) as up, client() as c:
            async with c.stream("POST", up.url + "/v1/chat/completions?x=%2F", content=b'{"a": 1}',
                                headers=[(b"authorization", b"Bearer sk-1"), (b"x-twice", b"1"),
                                         (b"x-twice", b"2")]) as r:
                raw = b"".join([chunk async for chunk in r.aiter_raw()])
            assert r.headers["content-encoding"] == "gzip" and raw == zipped  # not decompressed
            assert r.headers["set-cookie"] == "session=abc"
            line, headers, body = seen[-1]
            assert line == b"POST /v1/chat/completions?x=%2F HTTP/1.1" and body == b'{"a": 1}'
            assert sorted((k.lower(), v) for k, v in headers) == [
                (b"authorization", b"Bearer sk-1"), (b"content-length", b"8"), (b"host", up.url[7:].encode()),
                (b"x-twice", b"1"), (b"x-twice", b"2")]
            # a streamed body keeps the Content-Length it came with; without one it is chunked
            await c.post(up.url + "/a", content=stream(), headers={"content-length": "18"})
            assert {k.lower() for k, _ in seen[-1][1]} == {b"host", b"content-length"}
            assert seen[-1][2] == b"part one, part two"
            await c.post(up.url + "/b", content=stream(), headers={"expect": "100-continue"})  # no 100 comes
            assert {k.lower(): v for k, v in seen[-1][1]} == {b"host": up.url[7:].encode(),
                                                              b"transfer-encoding": b"chunked"}
            assert seen[-1][2] == b"part one, part two"
            # no redirect followed, no cookie sent back
            r = await c.get(up.url + "/redirect")
            assert r.status_code == 302 and len(seen) == 4
            assert {k.lower() for k, _ in seen[-1][1]} == {b"host"}

    run(main())


def test_a_stream_arrives_chunk_by_chunk() -> None:
    first_seen = asyncio.Event()

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
                     b"d\r\ndata: first\n\n\r\n")
        await writer.drain()
        await first_seen.wait()  # the rest only once the client has the first event: buffering would deadlock
        writer.write(b"e\r\ndata: second\n\n\r\n0\r\n\r\n")
        await writer.drain()

    async def main() -> None:
        async with Upstream(handler) as up, client(read=1.0) as c:
            got = []
            async with c.stream("POST", up.url + "/v1/chat/completions", content=b"{}") as r:
                async for chunk in r.aiter_raw():
                    got.append(chunk)
                    first_seen.set()
            assert got == [b"data: first\n\n", b"data: second\n\n"]

    run(main())


def test_pool_full_is_a_pool_timeout_and_closing_frees_it() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            line, _, _ = await read_request(reader)
            if line.startswith(b"POST /partial"):  # half of the body, then nothing
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n" + b"x" * 50)
                await writer.drain()
                await asyncio.sleep(5)
            writer.write(answer(b"{}"))
            await writer.drain()

    async def main() -> None:
        async with Upstream(handler) as up, client(pool=0.2, max_connections=1) as c:
            held = await c.send(c.build_request("POST", up.url + "/a", content=b"{}"), stream=True)
            with pytest.raises(httpx.PoolTimeout):
                await c.post(up.url + "/b", content=b"{}")
            await held.aclose()
            assert (await c.post(up.url + "/c", content=b"{}")).status_code == 200
            assert up.connections == 1  # /a's answer was complete (2 bytes): its connection went back
            # an answer abandoned part way is closed, not handed back: its connection is not reused
            async with c.stream("POST", up.url + "/partial", content=b"{}") as r:
                assert r.status_code == 200
            assert (await c.post(up.url + "/e", content=b"{}")).status_code == 200
            assert up.connections == 2

    run(main())
