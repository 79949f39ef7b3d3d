"""Tier 3: emails and IP addresses matched by private set intersection over loopback HTTP, never sent."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn

from distillguard.share.psi import PsiError, PsiServer, normalise, psi_match


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Recording(PsiServer):
    """A PsiServer that keeps every request it was sent, to check what a server gets to see."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.bodies: list[bytes] = []

    def answer(self, request: bytes, client_items: int, client: str = "anonymous") -> bytes:
        self.bodies.append(request)
        return super().answer(request, client_items, client)


class _Served:
    def __init__(self, server: PsiServer) -> None:
        self.server = server
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.uv = uvicorn.Server(uvicorn.Config(server.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.uv.run, daemon=True)

    def __enter__(self) -> _Served:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.uv.started:
            assert time.monotonic() < deadline, "the PSI server did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *_: object) -> None:
        self.uv.should_exit = True
        self.thread.join(timeout=5)


THEIRS = [normalise("ip", "203.0.113.7"), normalise("ip", "198.51.100.23"), normalise("email", "Ops@Harvest.example")]
OURS = [normalise("ip", "198.51.100.23"), normalise("ip", "192.0.2.1"), normalise("email", "ops@harvest.example "),
        normalise("email", "someone@else.example")]


@pytest.fixture
def served() -> Iterator[_Served]:
    with _Served(_Recording(THEIRS, max_client_items=10, max_requests_per_hour=3)) as s:
        yield s


def test_the_client_learns_exactly_the_shared_items_and_the_server_never_sees_them(served: _Served) -> None:
    found = psi_match(served.url, OURS)
    assert found == sorted([normalise("ip", "198.51.100.23"), normalise("email", "ops@harvest.example")])
    bodies = served.server.bodies  # type: ignore[attr-defined]
    assert bodies and all(b"198.51.100.23" not in body and b"harvest" not in body for body in bodies)


def test_caps_against_enumeration_and_garbage_are_refused(served: _Served) -> None:
    with pytest.raises(PsiError, match="413"):
        psi_match(served.url, [normalise("ip", f"10.0.0.{i}") for i in range(11)])
    bad = httpx.post(f"{served.url}/psi/v1", content=b"not psi", headers={"X-PSI-Items": "1"})
    assert bad.status_code == 400 and "not a PSI request" in bad.json()["error"]
    psi_match(served.url, OURS)
    psi_match(served.url, OURS)
    with pytest.raises(PsiError, match="429"):
        psi_match(served.url, OURS)  # the fourth in an hour (the 400 above counted too)


def test_tokens_are_required_when_configured() -> None:
    with _Served(PsiServer(THEIRS, tokens={"t0k": "provider-b"})) as s:
        with pytest.raises(PsiError, match="401"):
            psi_match(s.url, OURS)
        assert psi_match(s.url, OURS, token="t0k")
