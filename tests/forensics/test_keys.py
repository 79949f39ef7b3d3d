"""Per-account keys: HMAC-derived, deterministic, distinct per account and epoch; key ids reveal nothing."""

from __future__ import annotations

import pytest

from distillguard.errors import ConfigError
from distillguard.forensics.keys import MASTER_KEY_ENV, TIERS, MasterKey, tier_policy
from distillguard.forensics.watermark import WatermarkSpec

MASTER = MasterKey(b"0123456789abcdef0123456789abcdef")


def test_keys_are_deterministic() -> None:
    a = MASTER.account_key("acct_1", "2026-W45")
    b = MasterKey(b"0123456789abcdef0123456789abcdef").account_key("acct_1", "2026-W45")
    assert a.key == b.key and a.key_id == b.key_id and len(a.key) == 32


def test_keys_are_distinct_per_account_epoch_and_master() -> None:
    keys = {MASTER.account_key(f"acct_{i}", e).key for i in range(50) for e in ("2026-W45", "2026-W46")}
    assert len(keys) == 100
    assert MasterKey(b"another master key, 32 bytes!!!").account_key("acct_1", "2026-W45").key not in keys
    # length-prefixed fields: ("ab", "c") and ("a", "bc") must not collide
    assert MASTER.account_key("ab", "c").key != MASTER.account_key("a", "bc").key


def test_key_ids_are_short_and_name_no_account() -> None:
    k = MASTER.account_key("acct_secret_name", "2026-W45")
    assert k.key_id.startswith("wk_") and len(k.key_id) == 19
    assert "acct" not in k.key_id and k.key.hex() not in k.key_id
    assert k.key.hex() not in repr(k) and str(k.key) not in repr(k)
    assert MASTER.secret.hex() not in repr(MASTER) and str(MASTER.secret) not in repr(MASTER)


def test_resolve_finds_the_account_of_a_key_id() -> None:
    k = MASTER.account_key("acct_7", "2026-W46")
    found = MASTER.resolve(k.key_id, [f"acct_{i}" for i in range(10)], ["2026-W45", "2026-W46"])
    assert found is not None and (found.account_id, found.epoch) == ("acct_7", "2026-W46")
    assert MASTER.resolve(k.key_id, ["acct_1"], ["2026-W46"]) is None


def test_decoy_keys_differ_from_real_keys_and_each_other() -> None:
    k = MASTER.account_key("acct_1", "e")
    decoys = {MASTER.decoy_key(k.key_id, j) for j in range(100)}
    assert len(decoys) == 100 and k.key not in decoys


def test_master_key_loading(tmp_path, monkeypatch) -> None:
    with pytest.raises(ConfigError):
        MasterKey(b"short")
    path = tmp_path / "master.key"
    path.write_text("ab" * 32 + "\n")
    assert MasterKey.load(path).secret == bytes.fromhex("ab" * 32)
    monkeypatch.setenv(MASTER_KEY_ENV, "a passphrase of enough length")
    assert MasterKey.load().secret == b"a passphrase of enough length"
    monkeypatch.delenv(MASTER_KEY_ENV)
    with pytest.raises(ConfigError, match=MASTER_KEY_ENV):
        MasterKey.load()


def test_tiers_put_distortion_only_on_suspects() -> None:
    assert TIERS["none"].watermark is None and TIERS["none"].canaries == 0
    assert WatermarkSpec.parse(TIERS["light"].watermark or "").scheme == "gumbel"  # distortion-free
    suspect = WatermarkSpec.parse(TIERS["suspect"].watermark or "")
    assert suspect.scheme == "kgw" and suspect.context_width == 1 and suspect.delta >= 2
    assert TIERS["suspect"].canaries > 0 and not TIERS["suspect"].logprobs
    with pytest.raises(ConfigError):
        tier_policy("paranoid")
