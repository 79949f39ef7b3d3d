"""Per-account watermark keys, key ids and the watermark tiers.

One master key (kept by the provider, never logged) derives every other key with HMAC-SHA256:

    master ──HMAC("account", account_id, epoch)──> account key   (watermarks and canaries for that account)
    master ──HMAC("decoy", key_id, j)───────────> decoy key j   (never used to serve; calibrates tests)
    account key ──HMAC("key-id")────────────────> key id        (``wk_`` + 16 hex; logged beside each output)

A key id names a key without revealing it or the account: it cannot be reversed, and only the holder
of the master key can recompute which (account, epoch) it belongs to. A positive test on texts
served under a key id therefore names the account the key was derived for.

Tiers are set by the enforcement policy: ``none`` (no watermark), ``light`` (a distortion-free
watermark: the Gumbel/exponential scheme) and ``suspect`` (a stronger, more learnable KGW watermark,
canaries planted, logprobs withheld, reasoning summarised). Distortion falls only on suspects.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from distillguard.errors import ConfigError

DOMAIN = b"distillguard-forensics-v1"
MASTER_KEY_ENV = "DISTILLGUARD_FORENSICS_KEY"
MIN_MASTER_BYTES = 16

Tier = Literal["none", "light", "suspect"]
TIER_NAMES: tuple[Tier, ...] = ("none", "light", "suspect")


def _hmac(key: bytes, *parts: str | bytes) -> bytes:
    message = DOMAIN
    for part in parts:
        data = part.encode() if isinstance(part, str) else part
        message += b"\x00" + len(data).to_bytes(4, "big") + data  # length-prefixed: no ambiguous joins
    return hmac.new(key, message, hashlib.sha256).digest()


def key_id_of(key: bytes) -> str:
    """The public id of a derived key: ``wk_`` and 16 hex digits of HMAC(key, "key-id")."""
    return "wk_" + _hmac(key, "key-id").hex()[:16]


@dataclass(frozen=True)
class AccountKey:
    """A watermark key derived for one account and epoch. ``key`` is secret; ``key_id`` is logged."""

    account_id: str
    epoch: str
    key: bytes
    key_id: str

    def __repr__(self) -> str:  # never print the key itself
        return f"AccountKey(account_id={self.account_id!r}, epoch={self.epoch!r}, key_id={self.key_id!r})"


@dataclass(frozen=True)
class MasterKey:
    """The provider's master secret. Derives account keys and decoy keys; never logged."""

    secret: bytes

    def __post_init__(self) -> None:
        if len(self.secret) < MIN_MASTER_BYTES:
            raise ConfigError(f"the forensics master key must be at least {MIN_MASTER_BYTES} bytes")

    def __repr__(self) -> str:
        return "MasterKey(<secret>)"

    @classmethod
    def from_text(cls, text: str) -> MasterKey:
        """Hex (64 digits) is decoded; any other text of at least 16 characters is used as UTF-8 bytes."""
        text = text.strip()
        try:
            secret = bytes.fromhex(text) if len(text) >= 2 * MIN_MASTER_BYTES else text.encode()
        except ValueError:
            secret = text.encode()
        return cls(secret)

    @classmethod
    def load(cls, path: Path | None = None) -> MasterKey:
        """From a key file, else from the environment variable DISTILLGUARD_FORENSICS_KEY."""
        if path is not None:
            return cls.from_text(Path(path).read_text())
        value = os.environ.get(MASTER_KEY_ENV)
        if not value:
            raise ConfigError(f"no forensics master key: give a key file or set {MASTER_KEY_ENV}")
        return cls.from_text(value)

    @classmethod
    def generate(cls) -> MasterKey:
        return cls(os.urandom(32))

    def account_key(self, account_id: str, epoch: str | int) -> AccountKey:
        """The key for ``account_id`` in ``epoch`` (e.g. an ISO week, "2026-W45"); deterministic."""
        epoch = str(epoch)
        key = _hmac(self.secret, "account", account_id, epoch)
        return AccountKey(account_id, epoch, key, key_id_of(key))

    def decoy_key(self, key_id: str, index: int) -> bytes:
        """Decoy key ``index`` for the real key ``key_id``: derived like a real key, never used to serve.

        Scoring the same tokens under decoys gives statistics exchangeable with the real one when the
        suspect never saw our watermark, whatever the dependence between tokens: the rank p-value."""
        return _hmac(self.secret, "decoy", key_id, str(index))

    def resolve(self, key_id: str, accounts: list[str], epochs: list[str]) -> AccountKey | None:
        """Find the (account, epoch) whose key has ``key_id`` among the candidates; None if none does."""
        for account in accounts:
            for epoch in epochs:
                k = self.account_key(account, epoch)
                if k.key_id == key_id:
                    return k
        return None


@dataclass(frozen=True)
class TierPolicy:
    """What serving does for accounts in one tier."""

    tier: Tier
    watermark: str | None  # a watermark spec (see ``WatermarkSpec.parse``), None for no watermark
    canaries: int  # canaries planted per account and epoch
    logprobs: bool  # whether logprobs are served
    reasoning: Literal["full", "summary"]  # reasoning served in full or summarised

    @property
    def strength(self) -> str:
        return self.watermark or "off"


TIERS: dict[Tier, TierPolicy] = {
    "none": TierPolicy("none", None, canaries=0, logprobs=True, reasoning="full"),
    # distortion-free in expectation over keys; detectable on long texts, hard to learn from few
    "light": TierPolicy("light", "gumbel:h=4", canaries=0, logprobs=True, reasoning="full"),
    # short context (h=1) and a large bias: learnable, so a student trained on it becomes radioactive
    "suspect": TierPolicy("suspect", "kgw:h=1,gamma=0.25,delta=3.0", canaries=3, logprobs=False,
                          reasoning="summary"),
}


def tier_policy(tier: str) -> TierPolicy:
    if tier not in TIERS:
        raise ConfigError(f"unknown tier {tier!r}; tiers are {', '.join(TIER_NAMES)}")
    return TIERS[tier]  # type: ignore[index]
