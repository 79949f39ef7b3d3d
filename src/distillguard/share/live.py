"""Peers' indicators for the gateway: matched on every request, re-read whenever the files change.

    live = LiveIndicators("intel/indicators.jsonl", "ring.yaml", accounts="accounts.jsonl")
    live.refresh()                              # the gateway's background thread, every half second
    live.matches("acct_9", "key_3f0c...")       # the request path: dictionary look-ups

A request shows the gateway two identifiers: its account and its API key (the keyed ``api_key_id`` the gateway
logs). A payment fingerprint is an account attribute no request carries, so it comes from an optional account
attributes file, JSON lines exported from billing (an account may have several lines, one per card)::

    {"account_id": "acct_1042", "payment_fingerprint": "pf_ab12"}

Each identifier is digested under every consortium key an indicator names and looked up in the index of
payment-fingerprint and API-key indicators (``indicators.identifier_index``, the one ``match_accounts`` uses for
the scan and the replay); the answer is cached per identifier until the next rebuild. Prompt-template indicators
are not matched here: they need an account's prompts, which the decision window (scan signals) already scores.

``refresh`` re-reads the indicator store, the key ring and the attributes file when any of them changed on disk
(size, mtime or inode: ``intel pull`` appends to the store, a rename replaces it) and rebuilds the index at
least every ``rebuild_s`` seconds, so indicators decay and expire without a file change. A file that fails to
read (a line half-written by a pull still running, a bad key ring) leaves the previous index in place; the
next refresh tries again, and ``last_error`` says what went wrong.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from distillguard.errors import ConfigError
from distillguard.share.indicators import DigestIndex, IndicatorStore, Match, identifier_index, identifier_match
from distillguard.share.keyring import ConsortiumKey, KeyRing, load_keyring

log = logging.getLogger("distillguard.intel")

#: Identifiers whose look-up is remembered between rebuilds; past this the memory is started afresh.
CACHE_LIMIT: Final = 200_000

_Stamp = tuple[int, int, int] | None  # (inode, size, mtime_ns), None when the file is missing
_Stamps = tuple[_Stamp, _Stamp, _Stamp]  # the store, the key ring, the account attributes
Accounts = dict[str, tuple[str, ...]]  # account id -> its payment fingerprints


def _stamp(path: Path | None) -> _Stamp:
    if path is None:
        return None
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


def load_account_attributes(path: str | Path) -> Accounts:
    """account id -> its payment fingerprints, from JSON lines ``{"account_id", "payment_fingerprint"}``.
    Errors name the file and line."""
    p = Path(path)
    found: dict[str, list[str]] = defaultdict(list)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the account attributes: {exc.strerror or exc}") from exc
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as exc:
            raise ConfigError(f"{p}:{n}: not a JSON object: {exc}") from exc
        if not isinstance(row, dict) or not isinstance(row.get("account_id"), str) or not row["account_id"]:
            raise ConfigError(f'{p}:{n}: expected {{"account_id": "...", "payment_fingerprint": "..."}}')
        fingerprint = row.get("payment_fingerprint")
        if fingerprint is None:
            continue
        if not isinstance(fingerprint, str) or not fingerprint.strip():
            raise ConfigError(f"{p}:{n}: payment_fingerprint must be a non-empty string or null")
        if fingerprint not in found[row["account_id"]]:
            found[row["account_id"]].append(fingerprint)
    return {account: tuple(values) for account, values in found.items()}


@dataclass(frozen=True)
class _Hit:
    indicator: dict[str, Any]
    weight: float


@dataclass
class _Snapshot:
    """One consistent build: swapped whole by ``refresh``, read without a lock on the request path."""

    store: IndicatorStore
    index: DigestIndex
    keys: tuple[ConsortiumKey, ...]  # the ring's keys that some indicator was published under
    accounts: Accounts
    indicators: int
    cache: dict[tuple[str, str], tuple[_Hit, ...]] = field(default_factory=dict)


class LiveIndicators:
    """The indicator store, the key ring and the account attributes, kept current for per-request matching."""

    def __init__(self, store: str | Path, keyring: str | Path, *, accounts: str | Path | None = None,
                 min_weight: float = 0.05, rebuild_s: float = 300.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.store_path = Path(store)
        self.keyring_path = Path(keyring)
        self.accounts_path = Path(accounts) if accounts is not None else None
        self.min_weight = min_weight
        self.rebuild_s = rebuild_s
        self.clock = clock
        self.builds = 0
        self.failures = 0
        self.last_error = ""
        self._stamps: _Stamps | None = None
        self._built_at = 0.0
        self._keyring: KeyRing | None = None
        self._accounts: Accounts = {}
        self._lock = threading.Lock()  # one rebuild at a time
        stamps = self._current_stamps()
        self._snapshot = self._build(*self._read(stamps))  # a bad file at start is an error, not a warning
        self._stamps = stamps

    # -- reading the files -------------------------------------------------------------------------------

    def _current_stamps(self) -> _Stamps:
        return (_stamp(self.store_path), _stamp(self.keyring_path), _stamp(self.accounts_path))

    def _read(self, stamps: _Stamps) -> tuple[IndicatorStore, KeyRing, Accounts]:
        """The three files, each re-read only when it changed. Raises ConfigError (or ValueError for a store
        line that is not JSON yet) naming the file."""
        old = self._stamps
        if old is None or stamps[1] != old[1] or self._keyring is None:
            self._keyring = load_keyring(self.keyring_path)
        if self.accounts_path is not None and (old is None or stamps[2] != old[2]):
            self._accounts = load_account_attributes(self.accounts_path)
        if old is not None and stamps[0] == old[0]:  # a timed rebuild: the store as read last time
            return self._snapshot.store, self._keyring, self._accounts
        try:
            store = IndicatorStore(self.store_path)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{self.store_path}: cannot read the indicator store: {exc}") from exc
        except OSError as exc:
            raise ConfigError(f"{self.store_path}: cannot read the indicator store: {exc.strerror or exc}") from exc
        return store, self._keyring, self._accounts

    def _build(self, store: IndicatorStore, keyring: KeyRing, accounts: Accounts) -> _Snapshot:
        now = self.clock()
        valid = [(o, w) for o, w in store.indicators(datetime.fromtimestamp(now, UTC)) if w >= self.min_weight]
        index = identifier_index(valid)
        named = {key_id for (_, key_id, _) in index}
        keys = tuple(k for k in keyring.keys if k.id in named)
        self._built_at = now
        self.builds += 1
        return _Snapshot(store=store, index=index, keys=keys, accounts=accounts,
                         indicators=len({o["id"] for o, _ in index.values()}))

    def refresh(self) -> bool:
        """Rebuild when a file changed or ``rebuild_s`` passed. Returns whether it rebuilt; a failure keeps the
        previous build (``failures`` and ``last_error`` say why) and is retried on the next call."""
        with self._lock:
            stamps = self._current_stamps()
            due = self.clock() - self._built_at >= self.rebuild_s
            if stamps == self._stamps and not due:
                return False
            try:
                snapshot = self._build(*self._read(stamps))
            except (ConfigError, ValueError) as exc:
                if str(exc) != self.last_error:
                    log.warning("peers' indicators not reloaded, the previous ones stay in use: %s", exc)
                self.failures += 1
                self.last_error = str(exc)
                return False
            self._snapshot = snapshot
            self._stamps = stamps
            self.last_error = ""
            return True

    # -- matching --------------------------------------------------------------------------------------

    @property
    def indicators(self) -> int:
        """How many payment-fingerprint and API-key indicators are in force."""
        return self._snapshot.indicators

    def matches(self, account_id: str, api_key_id: str | None) -> list[Match]:
        """The account's matches on peers' indicators: its API key and its payment fingerprints."""
        snap = self._snapshot
        if not snap.index:
            return []
        found: list[Match] = []
        if api_key_id:
            found += self._lookup(snap, account_id, "api_key", api_key_id)
        for fingerprint in snap.accounts.get(account_id, ()):
            found += self._lookup(snap, account_id, "payment_fingerprint", fingerprint)
        return found

    @staticmethod
    def _lookup(snap: _Snapshot, account_id: str, kind: str, value: str) -> list[Match]:
        hits = snap.cache.get((kind, value))
        if hits is None:
            hits = tuple(_Hit(*hit) for key in snap.keys
                         if (hit := snap.index.get((kind, key.id, key.digest(kind, value)))) is not None)
            if len(snap.cache) >= CACHE_LIMIT:
                snap.cache.clear()
            snap.cache[(kind, value)] = hits
        return [identifier_match(snap.store, account_id, kind, h.indicator, h.weight) for h in hits]


__all__ = ["LiveIndicators", "load_account_attributes"]
