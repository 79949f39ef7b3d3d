"""The consortium key ring: keyed digests of high-entropy identifiers, under a rotating shared key.

Members of a sharing group hold the same ring (distributed out of band). A payment or API-key
fingerprint is published only as HMAC-SHA256(key, kind + NUL + value) with the key's id, so a peer
holding the ring can test its own fingerprints for a match, and nobody else can test anything:

    keys:
      - id: k2026-11
        secret: 9f1c...            # 32+ random bytes, hex
        not_before: 2026-11-01T00:00:00Z
      - id: k2026-12
        secret: 4a7e...
        not_before: 2026-12-01T00:00:00Z

The current key is the latest whose ``not_before`` has passed; older keys stay for matching
indicators published under them until those expire.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from distillguard.errors import ConfigError

DIGEST_HEX: Final = 32  # 128 bits: collision-free at any realistic scale, short in a bundle


@dataclass(frozen=True)
class ConsortiumKey:
    id: str
    secret: bytes
    not_before: datetime

    def digest(self, kind: str, value: str) -> str:
        """Keyed digest of one identifier (normalised: stripped, lower-cased)."""
        message = kind.encode() + b"\0" + value.strip().lower().encode()
        return hmac.new(self.secret, message, hashlib.sha256).hexdigest()[:DIGEST_HEX]

    def int_key(self, purpose: str) -> int:
        """A 64-bit key for the vectorised keyed hashes (template hashes, MinHash seeds), derived per purpose."""
        return int.from_bytes(hmac.new(self.secret, purpose.encode(), hashlib.sha256).digest()[:8], "little")


@dataclass(frozen=True)
class KeyRing:
    keys: tuple[ConsortiumKey, ...]

    def current(self, at: datetime | None = None) -> ConsortiumKey:
        at = at or datetime.now(UTC)
        valid = [k for k in self.keys if k.not_before <= at]
        if not valid:
            raise ConfigError(f"no consortium key is valid at {at.isoformat()}; the earliest starts "
                              f"{min(k.not_before for k in self.keys).isoformat()}")
        return max(valid, key=lambda k: k.not_before)

    def get(self, key_id: str) -> ConsortiumKey | None:
        return next((k for k in self.keys if k.id == key_id), None)


def load_keyring(path: str | Path) -> KeyRing:
    """Read a key ring file (YAML or JSON); errors name the file and the entry."""
    import yaml

    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the key ring: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    entries = data.get("keys") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise ConfigError(f"{p}: expected `keys:` with at least one entry (id, secret, not_before)")
    keys = []
    for i, entry in enumerate(entries):
        where = f"{p}: keys[{i}]"
        if not isinstance(entry, dict) or set(entry) != {"id", "secret", "not_before"}:
            raise ConfigError(f"{where}: needs exactly id, secret (hex) and not_before (RFC 3339)")
        try:
            secret = bytes.fromhex(str(entry["secret"]))
        except ValueError as exc:
            raise ConfigError(f"{where}: secret is not hex") from exc
        if len(secret) < 16:
            raise ConfigError(f"{where}: secret must be at least 16 bytes (32 hex digits)")
        not_before = entry["not_before"]
        if isinstance(not_before, str):
            try:
                not_before = datetime.fromisoformat(not_before.replace("Z", "+00:00"))
            except ValueError as exc:
                raise ConfigError(f"{where}: not_before is not an RFC 3339 time") from exc
        if not isinstance(not_before, datetime) or not_before.tzinfo is None:
            raise ConfigError(f"{where}: not_before needs a UTC offset, e.g. 2026-11-01T00:00:00Z")
        keys.append(ConsortiumKey(str(entry["id"]), secret, not_before))
    if len({k.id for k in keys}) != len(keys):
        raise ConfigError(f"{p}: key ids must be unique")
    return KeyRing(tuple(keys))
