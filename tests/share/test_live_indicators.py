"""LiveIndicators, the gateway's view of peers' indicators: matches by API key and payment fingerprint,
re-reads changed files, keeps the last good index when a file is half-written or broken, and lets
indicators expire without a file change."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from distillguard.errors import ConfigError
from distillguard.share.keyring import load_keyring
from distillguard.share.live import LiveIndicators, load_account_attributes
from distillguard.share.publish import EXTENSION_ID

RING = "keys:\n  - id: k1\n    secret: {secret}\n    not_before: 2026-01-01T00:00:00Z\n"
NOW = 1_796_000_000.0  # 2026-11-30


def _indicator(ring: Path, kind: str, value: str, *, n: int = 1, valid_until: str | None = None) -> dict[str, Any]:
    key = load_keyring(ring).keys[0]
    obj: dict[str, Any] = {
        "type": "indicator", "spec_version": "2.1", "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-11-29T00:00:00.000Z", "modified": "2026-11-29T00:00:00.000Z", "pattern_type": "distillguard",
        "pattern": kind, "valid_from": "2026-11-29T00:00:00.000Z",
        "extensions": {EXTENSION_ID: {"extension_type": "property-extension", "kind": kind, "key_id": key.id,
                                      "digests": [key.digest(kind, value)], "decay_days": 30}}}
    if valid_until:
        obj["valid_until"] = valid_until
    return obj


def _setup(tmp_path: Path, secret: str = "ab" * 32) -> tuple[Path, Path, Path]:
    ring = tmp_path / "ring.yaml"
    ring.write_text(RING.format(secret=secret))
    store = tmp_path / "store.jsonl"
    store.write_text(json.dumps(_indicator(ring, "payment_fingerprint", "pf_1")) + "\n")
    accounts = tmp_path / "accounts.jsonl"
    accounts.write_text('{"account_id": "acct_a", "payment_fingerprint": "pf_1"}\n'
                        '{"account_id": "acct_b", "payment_fingerprint": "pf_2"}\n')
    return store, ring, accounts


def test_matches_payment_fingerprints_from_the_attributes_and_api_keys(tmp_path: Path) -> None:
    store, ring, accounts = _setup(tmp_path)
    with store.open("a") as f:
        f.write(json.dumps(_indicator(ring, "api_key", "key_77", n=2)) + "\n")
    live = LiveIndicators(store, ring, accounts=accounts, clock=lambda: NOW)
    assert live.indicators == 2
    [m] = live.matches("acct_a", None)
    assert (m.account_id, m.kind, m.publisher) == ("acct_a", "payment_fingerprint", "a peer")
    assert live.matches("acct_b", None) == []
    assert [m.kind for m in live.matches("acct_b", "key_77")] == ["api_key"]
    assert [m.kind for m in live.matches("acct_a", "key_77")] == ["api_key", "payment_fingerprint"]


def test_a_half_written_store_keeps_the_last_index_until_the_line_is_complete(tmp_path: Path) -> None:
    store, ring, accounts = _setup(tmp_path)
    live = LiveIndicators(store, ring, accounts=accounts, clock=lambda: NOW)
    line = json.dumps(_indicator(ring, "payment_fingerprint", "pf_2", n=2)) + "\n"
    with store.open("a") as f:
        f.write(line[:40])  # a pull caught mid-append
    assert live.refresh() is False
    assert "cannot read the indicator store" in live.last_error and str(store) in live.last_error
    assert live.matches("acct_a", None), "the previous index is still in force"
    with store.open("a") as f:
        f.write(line[40:])
    assert live.refresh() is True and live.last_error == ""
    assert live.matches("acct_b", None) and live.indicators == 2


def test_a_rotated_key_ring_and_new_attributes_are_picked_up(tmp_path: Path) -> None:
    store, ring, accounts = _setup(tmp_path)
    live = LiveIndicators(store, ring, accounts=accounts, clock=lambda: NOW)
    assert live.refresh() is False, "nothing changed"
    accounts.write_text('{"account_id": "acct_c", "payment_fingerprint": "pf_1"}\n')
    assert live.refresh() is True
    assert live.matches("acct_c", None) and not live.matches("acct_a", None)
    # The consortium moves to a new key: indicators under it match once the ring holds it.
    new_ring = tmp_path / "new-ring.yaml"
    new_ring.write_text(RING.replace("k1", "k2").format(secret="cd" * 32))
    with store.open("a") as f:
        f.write(json.dumps(_indicator(new_ring, "api_key", "key_9", n=3)) + "\n")
    assert live.refresh() is True
    assert [m.kind for m in live.matches("acct_c", "key_9")] == ["payment_fingerprint"]
    ring.write_text(ring.read_text() + new_ring.read_text().removeprefix("keys:\n"))
    assert live.refresh() is True
    assert [m.kind for m in live.matches("acct_c", "key_9")] == ["api_key", "payment_fingerprint"]


def test_indicators_expire_without_a_file_change(tmp_path: Path) -> None:
    store, ring, accounts = _setup(tmp_path)
    store.write_text(json.dumps(_indicator(ring, "payment_fingerprint", "pf_1",
                                           valid_until="2026-12-01T00:00:00.000Z")) + "\n")
    now = [NOW]
    live = LiveIndicators(store, ring, accounts=accounts, rebuild_s=60, clock=lambda: now[0])
    assert live.matches("acct_a", None)
    now[0] += 3 * 86_400  # past valid_until
    assert live.refresh() is True, "a rebuild is due"
    assert live.matches("acct_a", None) == [] and live.indicators == 0


def test_bad_files_are_named_with_the_line(tmp_path: Path) -> None:
    store, ring, accounts = _setup(tmp_path)
    accounts.write_text('{"account_id": "acct_a", "payment_fingerprint": "pf_1"}\n{"payment_fingerprint": "x"}\n')
    with pytest.raises(ConfigError, match=rf"{accounts.name}:2: expected"):
        load_account_attributes(accounts)
    with pytest.raises(ConfigError, match=rf"{accounts.name}:2"):
        LiveIndicators(store, ring, accounts=accounts)
    accounts.write_text('{"account_id": "acct_a", "payment_fingerprint": "pf_1"}\n')
    live = LiveIndicators(store, ring, accounts=accounts, clock=lambda: NOW)
    ring.write_text("keys: []\n")
    assert live.refresh() is False and "ring.yaml" in live.last_error
    assert live.matches("acct_a", None), "a broken ring keeps the last good index"
