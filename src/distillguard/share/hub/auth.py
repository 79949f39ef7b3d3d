"""Member API keys: made once, shown once, stored only as a salted hash.

A key reads ``dgk_<key id>_<secret>``: the key id (12 hex digits) says whose key it is without a search,
the secret is 32 random bytes (base64url). The config keeps ``key_id``, ``key_salt`` (16 random bytes, hex)
and ``key_hash`` = SHA-256(salt || key), compared in constant time. A slow password hash (scrypt) would add
nothing here: the secret has 256 bits of entropy, so there is nothing to guess, and the hub checks a key on
every request.

A request authenticates with either header:

- ``Authorization: Basic base64(<member name>:<key>)`` (what taxii2-client sends for ``user=, password=``);
- ``Authorization: Bearer <key>``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Final

KEY_PREFIX: Final = "dgk"
_KEY = re.compile(r"^dgk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")


@dataclass(frozen=True)
class KeyRecord:
    """What the config stores for a key: never the key itself."""

    key_id: str
    key_salt: str
    key_hash: str


def new_key() -> tuple[str, KeyRecord]:
    """A fresh API key and the record to store for it. The key is returned once and kept nowhere."""
    key_id = secrets.token_hex(6)
    key = f"{KEY_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    salt = secrets.token_bytes(16)
    return key, KeyRecord(key_id=key_id, key_salt=salt.hex(), key_hash=_digest(salt, key))


def key_id_of(key: str) -> str | None:
    """The key id inside a well-formed key, or None."""
    m = _KEY.match(key)
    return m.group(1) if m else None


def verify_key(key: str, record: KeyRecord) -> bool:
    """Whether ``key`` is the key ``record`` was made for (constant-time comparison)."""
    try:
        salt = bytes.fromhex(record.key_salt)
    except ValueError:
        return False
    return hmac.compare_digest(_digest(salt, key), record.key_hash)


def _digest(salt: bytes, key: str) -> str:
    return hashlib.sha256(salt + key.encode()).hexdigest()


@dataclass(frozen=True)
class Credentials:
    """What a request presented: a key, and with Basic auth the member name it claimed."""

    key: str
    username: str | None


def credentials_from_header(authorization: str | None) -> Credentials | None:
    """Parse an ``Authorization`` header (Basic or Bearer); None when absent or malformed."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer" and value:
        return Credentials(key=value, username=None)
    if scheme.lower() == "basic" and value:
        try:
            decoded = base64.b64decode(value, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        username, sep, password = decoded.partition(":")
        if not sep or not password:
            return None
        return Credentials(key=password, username=username or None)
    return None
