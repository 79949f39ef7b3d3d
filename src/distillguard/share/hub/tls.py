"""TLS for the hub, and client certificates (mTLS) as a second factor beside the member's API key.

    tls = ServerTLS(certfile="hub.pem", keyfile="hub.key", client_ca="members-ca.pem")
    uvicorn.run(hub.app, host="0.0.0.0", port=9500, **tls.uvicorn_options())

With ``client_ca`` set the hub asks every client for a certificate signed by that CA (``client_cert``:
``optional`` lets clients without one connect, ``required`` refuses them in the handshake). A member whose
config lists ``client_cert_sha256`` fingerprints must then present one of those certificates *and* its API key:
the certificate proves the machine, the key the member, and a stolen key alone no longer gets in. A member
without fingerprints authenticates with its key alone, whatever certificate its connection carries.

The application reads the client certificate from the ASGI TLS extension (``scope["extensions"]["tls"]``,
``client_cert_chain[0]``, PEM). uvicorn does not fill that extension yet, so ``TLSProtocol`` (uvicorn's own
httptools protocol, subclassed) adds it to every request of a TLS connection from the connection's
``ssl_object``; a server that fills the extension itself is read the same way. A fingerprint is the SHA-256 of
the certificate's DER bytes, in hex (certs.py): ``openssl x509 -in member.pem -outform der | sha256sum``.
"""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from starlette.types import ASGIApp, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from distillguard.errors import ConfigError

ClientCert = Literal["optional", "required"]
_TLS_VERSIONS: Final = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


# -- the ASGI TLS extension ------------------------------------------------------------------------------


def tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension for a connection (None when it is not TLS)."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return {"server_cert": None, "client_cert_chain": [ssl.DER_cert_to_PEM_cert(der)] if der else [],
            "client_cert_name": None, "client_cert_error": None,
            "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""), "cipher_suite": None}


def _with_tls(app: ASGIApp, extension: dict[str, Any]) -> ASGIApp:
    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            extensions = dict(scope.get("extensions") or {})
            extensions.setdefault("tls", extension)
            scope["extensions"] = extensions
        await app(scope, receive, send)

    return asgi


class TLSProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, adding the ASGI TLS extension to each request of a TLS connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        extension = tls_extension(transport)  # asyncio calls this once the handshake is done
        if extension is not None:
            self.app = _with_tls(self.app, extension)


# -- server options --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServerTLS:
    """The hub's certificate and key, and the CA that signs members' client certificates (None: no mTLS)."""

    certfile: Path
    keyfile: Path | None = None  # None: the key is in certfile
    client_ca: Path | None = None
    client_cert: ClientCert = "optional"

    def check(self) -> None:
        """ConfigError naming the file when one cannot be used (read before the server starts)."""
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        try:
            context.load_cert_chain(self.certfile, self.keyfile)
        except (OSError, ssl.SSLError) as exc:
            where = f"{self.certfile}" + (f" / {self.keyfile}" if self.keyfile else "")
            raise ConfigError(f"{where}: cannot load the hub's certificate and key: {exc}") from exc
        if self.client_ca is not None:
            try:
                context.load_verify_locations(cafile=self.client_ca)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(f"{self.client_ca}: cannot load the client CA: {exc}") from exc

    def uvicorn_options(self) -> dict[str, Any]:
        """Keyword arguments for ``uvicorn.Config`` / ``uvicorn.run``."""
        options: dict[str, Any] = {"ssl_certfile": str(self.certfile), "http": TLSProtocol}
        if self.keyfile is not None:
            options["ssl_keyfile"] = str(self.keyfile)
        if self.client_ca is not None:
            options["ssl_ca_certs"] = str(self.client_ca)
            options["ssl_cert_reqs"] = ssl.CERT_REQUIRED if self.client_cert == "required" else ssl.CERT_OPTIONAL
        return options


__all__ = ["ServerTLS", "TLSProtocol", "tls_extension"]
