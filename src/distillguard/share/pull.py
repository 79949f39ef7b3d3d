"""Talk to a TAXII 2.1 collection: ``push`` our objects, ``pull`` peers' into the local IndicatorStore.

Each pull asks for objects added after the last one it stored (``added_after`` = the previous
response's ``X-TAXII-Date-Added-Last``), follows ``next`` while the envelope says ``more``, and records
the new position only once every page is stored, so an interrupted pull repeats pages (kept once, by id
and version) rather than skipping any.

Over HTTPS, ``ClientTLS`` names the CA that signed the hub's certificate and the client certificate and key
we present when the hub asks for one (mTLS: a member registered with a certificate needs it and its key).
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distillguard.errors import ConfigError, DistillguardError
from distillguard.share.indicators import IndicatorStore

MEDIA_TYPE = "application/taxii+json;version=2.1"


class HubError(DistillguardError):
    """The hub answered with an error or could not be reached."""


@dataclass(frozen=True)
class ClientTLS:
    """How we reach a hub over HTTPS: our client certificate and key, and the hub's CA."""

    cert: Path | None = None  # our client certificate (PEM), presented when the hub asks for one
    key: Path | None = None  # its private key (PEM), if not in ``cert``
    ca: Path | None = None  # CA certificates (PEM) that signed the hub's certificate; None: the system's

    def context(self) -> ssl.SSLContext:
        """An SSL context for httpx; ConfigError naming the file that cannot be loaded."""
        try:
            context = ssl.create_default_context(cafile=str(self.ca) if self.ca else None)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"{self.ca}: cannot load the hub's CA certificates: {exc}") from exc
        if self.cert is not None:
            try:
                context.load_cert_chain(self.cert, self.key)
            except (OSError, ssl.SSLError) as exc:
                where = f"{self.cert}" + (f" / {self.key}" if self.key else "")
                raise ConfigError(f"{where}: cannot load our client certificate and key: {exc}") from exc
        elif self.key is not None:
            raise ConfigError(f"{self.key}: a client key needs its certificate (--cert)")
        return context


def _verify(tls: ClientTLS | None) -> ssl.SSLContext | bool:
    return tls.context() if tls is not None else True


@dataclass
class PullResult:
    pages: int = 0
    objects: int = 0
    new: int = 0
    added_last: str | None = None


def push(api_root: str, collection: str, objects: list[dict[str, Any]], *, user: str | None = None,
         password: str = "", timeout_s: float = 60.0, tls: ClientTLS | None = None) -> dict[str, Any]:
    """POST ``objects`` in one TAXII envelope; returns the hub's status resource (HubError on a refusal)."""
    import json

    import httpx

    url = api_root.rstrip("/") + f"/collections/{collection}/objects/"
    try:
        response = httpx.post(url, content=json.dumps({"objects": objects}),
                              headers={"Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE},
                              auth=(user, password) if user else None, timeout=timeout_s, verify=_verify(tls))
    except httpx.HTTPError as exc:
        raise HubError(f"{url}: {exc}") from exc
    if response.status_code >= 300:
        raise HubError(f"{url}: the hub answered {response.status_code}: {response.text[:300]}")
    status: dict[str, Any] = response.json()
    return status


def pull(store: IndicatorStore, api_root: str, collection: str, *, user: str | None = None,
         password: str = "", limit: int = 1000, timeout_s: float = 30.0, tls: ClientTLS | None = None) -> PullResult:
    """Fetch what the collection added since the store's last position into the store (HubError on a refusal)."""
    import httpx

    url = api_root.rstrip("/") + f"/collections/{collection}/objects/"
    result = PullResult()
    params: dict[str, str | int] = {"limit": limit}
    if store.added_last:
        params["added_after"] = store.added_last
    last = store.added_last
    with httpx.Client(timeout=timeout_s, auth=(user, password) if user else None,
                      headers={"Accept": MEDIA_TYPE}, verify=_verify(tls)) as client:
        while True:
            try:
                response = client.get(url, params=params)
            except httpx.HTTPError as exc:
                raise HubError(f"{url}: {exc}") from exc
            if response.status_code != 200:
                raise HubError(f"{url}: the hub answered {response.status_code}: {response.text[:300]}")
            envelope = response.json()
            objects = envelope.get("objects") or []
            result.pages += 1
            result.objects += len(objects)
            result.new += store.add(objects)
            last = response.headers.get("X-TAXII-Date-Added-Last", last)
            if not envelope.get("more") or not envelope.get("next"):
                break
            params = {"limit": limit, "next": envelope["next"]}
            if store.added_last:
                params["added_after"] = store.added_last
    if last:
        store.add([], added_last=last)
    result.added_last = last
    return result
