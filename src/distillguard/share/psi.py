"""Tier 3: low-entropy personal identifiers (emails, client IP addresses) matched by private set
intersection between two members, never published.

A keyed digest does not protect an email or an IPv4 address: there are few enough of them to hash every
candidate. So they never enter a bundle. Instead one member (the server) holds the identifiers of the
accounts it blocked, and another (the client) asks which of ITS identifiers are among them, with OpenMined's
PSI library (ECDH-based PSI with a Golomb-compressed set): the client learns only which of its own items are
in the intersection, the server learns only how many items the client sent. The server caps the client's
set size per request and requests per client, so a client cannot enumerate the IPv4 space.

    server:  PsiServer(items).app  (Starlette; `distillguard intel psi-serve`)
    client:  psi_match(url, our_items) -> the items of ours the peer also holds  (`intel psi-match`)

Wire (one round trip): POST /psi/v1 with the client's serialized ``psi.Request`` and header
``X-PSI-Items: <client set size>``; the answer is ``<4-byte big-endian setup length><ServerSetup><Response>``.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterable
from typing import Final

from distillguard.errors import DistillguardError

FPR: Final = 1e-9  # false-positive rate of the compressed set
MAX_CLIENT_ITEMS: Final = 100_000
MAX_REQUESTS_PER_HOUR: Final = 30
MEDIA_TYPE: Final = "application/octet-stream"


class PsiError(DistillguardError):
    """The PSI exchange failed (the peer refused, or answered something that is not a PSI message)."""


def normalise(kind: str, value: str) -> str:
    """One identifier as both sides must write it: ``kind:value``, trimmed, lower-cased."""
    return f"{kind}:{value.strip().lower()}"


def _psi():  # type: ignore[no-untyped-def]
    try:
        import private_set_intersection.python as psi
    except ImportError as exc:  # pragma: no cover - it is a dependency
        raise PsiError("OpenMined's PSI library is missing: pip install openmined.psi") from exc
    return psi


class PsiServer:
    """Answers PSI requests against a fixed set of identifiers (reveal-intersection mode)."""

    def __init__(self, items: Iterable[str], *, max_client_items: int = MAX_CLIENT_ITEMS,
                 max_requests_per_hour: int = MAX_REQUESTS_PER_HOUR, tokens: dict[str, str] | None = None) -> None:
        self.items = sorted(set(items))
        self.max_client_items = max_client_items
        self.max_requests_per_hour = max_requests_per_hour
        self.tokens = tokens  # bearer token -> member name; None: no authentication (loopback demos)
        self._requests: dict[str, list[float]] = {}
        self._lock = threading.Lock()
        self.served = 0

    def answer(self, request: bytes, client_items: int, client: str = "anonymous") -> bytes:
        psi = _psi()
        if not 0 < client_items <= self.max_client_items:
            raise PsiError(f"the client set must hold 1 to {self.max_client_items:,} items, got {client_items}")
        with self._lock:
            now = time.monotonic()
            recent = [t for t in self._requests.get(client, []) if now - t < 3600]
            if len(recent) >= self.max_requests_per_hour:
                raise PsiError(f"more than {self.max_requests_per_hour} PSI requests in an hour")
            self._requests[client] = [*recent, now]
        server = psi.server.CreateWithNewKey(True)
        setup = server.CreateSetupMessage(FPR, client_items, self.items, psi.DataStructure.GCS).SerializeToString()
        parsed = psi.Request()
        try:
            parsed.ParseFromString(request)
            response = server.ProcessRequest(parsed).SerializeToString()
        except Exception as exc:  # the library raises plain RuntimeErrors on bad input
            raise PsiError(f"not a PSI request: {exc}") from exc
        self.served += 1
        return struct.pack(">I", len(setup)) + setup + response

    @property
    def app(self):  # type: ignore[no-untyped-def]
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import JSONResponse, Response
        from starlette.routing import Route

        async def endpoint(request: Request) -> Response:
            client = "anonymous"
            if self.tokens is not None:
                auth = request.headers.get("authorization", "")
                member = self.tokens.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None
                if member is None:
                    return JSONResponse({"error": "a member token is required (Authorization: Bearer ...)"}, 401)
                client = member
            try:
                count = int(request.headers.get("x-psi-items", "0"))
            except ValueError:
                return JSONResponse({"error": "X-PSI-Items must be the client's set size"}, 400)
            body = await request.body()
            if len(body) > 64 * self.max_client_items + 4096:
                return JSONResponse({"error": "request too large"}, 413)
            try:
                answer = self.answer(body, count, client)
            except PsiError as exc:
                status = 429 if "in an hour" in str(exc) else 413 if "set must hold" in str(exc) else 400
                return JSONResponse({"error": str(exc)}, status)
            return Response(answer, media_type=MEDIA_TYPE)

        return Starlette(routes=[Route("/psi/v1", endpoint, methods=["POST"])])


def psi_match(url: str, items: Iterable[str], *, token: str | None = None, timeout_s: float = 60.0) -> list[str]:
    """The items of ``items`` that the PSI server at ``url`` (its /psi/v1 endpoint) also holds."""
    import httpx

    psi = _psi()
    ours = sorted(set(items))
    if not ours:
        return []
    client = psi.client.CreateWithNewKey(True)
    request = client.CreateRequest(ours).SerializeToString()
    headers = {"Content-Type": MEDIA_TYPE, "X-PSI-Items": str(len(ours))}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        response = httpx.post(url.rstrip("/") + "/psi/v1", content=request, headers=headers, timeout=timeout_s)
    except httpx.HTTPError as exc:
        raise PsiError(f"{url}: {exc}") from exc
    if response.status_code != 200:
        raise PsiError(f"{url}: the peer answered {response.status_code}: {response.text[:200]}")
    body = response.content
    if len(body) < 4:
        raise PsiError(f"{url}: not a PSI answer")
    (length,) = struct.unpack(">I", body[:4])
    setup, answer = psi.ServerSetup(), psi.Response()
    try:
        setup.ParseFromString(body[4:4 + length])
        answer.ParseFromString(body[4 + length:])
        indices = client.GetIntersection(setup, answer)
    except Exception as exc:
        raise PsiError(f"{url}: not a PSI answer: {exc}") from exc
    return [ours[i] for i in sorted(indices)]


def account_addresses(logs: Iterable[str], accounts: set[str] | None = None) -> dict[str, set[str]]:
    """``ip:<address>`` -> the accounts (all, or only ``accounts``) that sent requests from it."""
    from pathlib import Path

    from distillguard.events import ReadReport, read_events

    out: dict[str, set[str]] = {}
    for batch in read_events([Path(p) for p in logs], report=ReadReport()):
        for account, ip in set(zip(batch.column("account_id").to_pylist(), batch.column("ip").to_pylist(),
                                   strict=True)):
            if ip and (accounts is None or account in accounts):
                out.setdefault(normalise("ip", ip), set()).add(account)
    return out
