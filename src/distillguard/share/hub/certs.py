"""Client-certificate fingerprints: how a member's certificate is named in the hub's config (see tls.py).

A fingerprint is the SHA-256 of the certificate's DER bytes, as 64 lower-case hex digits, the same as
``openssl x509 -in member.pem -outform der | sha256sum``. Standard library only, so the config and the CLI
can use it without importing the server.
"""

from __future__ import annotations

import hashlib
import re
import ssl
from pathlib import Path
from typing import Any, Final

from distillguard.errors import ConfigError

_FINGERPRINT: Final = re.compile(r"^[0-9a-f]{64}$")


def cert_fingerprint(data: bytes) -> str:
    """SHA-256 (hex) of a certificate's DER bytes; ``data`` is PEM or DER."""
    if b"-----BEGIN CERTIFICATE-----" in data:
        text = data.decode("ascii", errors="replace")
        start = text.index("-----BEGIN CERTIFICATE-----")
        end = text.index("-----END CERTIFICATE-----", start) + len("-----END CERTIFICATE-----")
        data = ssl.PEM_cert_to_DER_cert(text[start:end])
    return hashlib.sha256(data).hexdigest()


def read_cert_fingerprint(path: str | Path) -> str:
    """The fingerprint of the (first) certificate in a PEM or DER file; ConfigError naming the file otherwise."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the certificate: {exc.strerror or exc}") from exc
    if b"-----BEGIN" in data and b"-----BEGIN CERTIFICATE-----" not in data:
        raise ConfigError(f"{p}: holds no certificate (a PEM file, but no BEGIN CERTIFICATE block)")
    if b"-----BEGIN CERTIFICATE-----" not in data and not data.startswith(b"\x30"):  # DER opens a SEQUENCE
        raise ConfigError(f"{p}: not a PEM or DER certificate")
    try:
        return cert_fingerprint(data)
    except ValueError as exc:
        raise ConfigError(f"{p}: not a PEM or DER certificate: {exc}") from exc


def normalise_fingerprint(value: str) -> str:
    """``value`` as 64 lower-case hex digits (colons, spaces and a ``sha256:`` prefix are dropped); ValueError
    if it is not a SHA-256 fingerprint."""
    text = value.strip().lower().removeprefix("sha256:").replace(":", "").replace(" ", "")
    if not _FINGERPRINT.match(text):
        raise ValueError(f"{value!r} is not a SHA-256 certificate fingerprint (64 hex digits)")
    return text


def client_cert_fingerprint(scope: dict[str, Any]) -> str | None:
    """The fingerprint of the client certificate the request's connection presented, or None."""
    tls = (scope.get("extensions") or {}).get("tls")
    chain = tls.get("client_cert_chain") if isinstance(tls, dict) else None
    if not chain:
        return None
    first = chain[0]
    return cert_fingerprint(first.encode() if isinstance(first, str) else first)

__all__ = ["cert_fingerprint", "client_cert_fingerprint", "normalise_fingerprint", "read_cert_fingerprint"]
