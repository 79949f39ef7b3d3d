"""Publishing: scan findings -> a STIX bundle that carries threat data and nothing else."""

from __future__ import annotations

import copy
import gzip
import json
from pathlib import Path

import pytest

from distillguard.engines.local import scan
from distillguard.errors import ConfigError
from distillguard.share.keyring import load_keyring
from distillguard.share.publish import EXTENSION_ID, build_bundle, template_bands
from distillguard.share.sharing_policy import SharingPolicy, SharingRefused, check_bundle
from distillguard.sim import simulate

RING = """keys:
  - id: k-old
    secret: {a}
    not_before: 2026-10-01T00:00:00Z
  - id: k-now
    secret: {b}
    not_before: 2026-11-01T00:00:00Z
""".format(a="11" * 32, b="22" * 32)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, Path]:
    root = tmp_path_factory.mktemp("publish")
    sim = simulate(root / "sim", accounts=120, days=1, seed=21)
    scan([sim.traffic], root / "scan")
    ring = root / "ring.yaml"
    ring.write_text(RING)
    bundle, stats = build_bundle(root / "scan", [sim.traffic], load_keyring(ring), publisher="provider-a")
    assert stats.campaigns >= 1 and stats.indicators >= 3
    return bundle, sim.traffic, ring


def test_the_bundle_is_valid_stix_with_campaigns_indicators_and_atlas(published: tuple[dict, Path, Path]) -> None:
    import stix2

    bundle, _, _ = published
    parsed = stix2.parse(bundle, allow_custom=True)
    types = {o.type for o in parsed.objects}
    assert {"identity", "campaign", "indicator", "attack-pattern", "relationship", "marking-definition",
            "extension-definition"} <= types
    atlas = [r["external_id"] for o in bundle["objects"] if o["type"] == "attack-pattern"
             for r in o["external_references"]]
    assert atlas and all(a.startswith("AML.T") for a in atlas)
    assert all(o["object_marking_refs"] for o in bundle["objects"] if o["type"] not in ("marking-definition",
                                                                                        "extension-definition"))


def test_no_raw_identifier_prompt_or_address_leaves(published: tuple[dict, Path, Path]) -> None:
    bundle, traffic, _ = published
    text = json.dumps(bundle)
    with gzip.open(traffic, "rt") as f:
        lines = [json.loads(line) for line in f]
    secrets = set()
    for x in lines:
        secrets.update([x["account_id"], x["client"]["ip"], x["billing"]["payment_fingerprint"]])
        if x.get("api_key_id"):
            secrets.add(x["api_key_id"])
        for m in x["request"].get("messages") or []:
            if len(m.get("content") or "") >= 20:
                secrets.add(m["content"])
    leaked = [s for s in secrets if s and s in text]
    assert not leaked, leaked[:3]


def test_digests_match_for_a_peer_holding_the_ring_and_only_then(published: tuple[dict, Path, Path]) -> None:
    bundle, traffic, ring_path = published
    ring = load_keyring(ring_path)
    with gzip.open(traffic, "rt") as f:
        payments = {json.loads(line)["billing"]["payment_fingerprint"] for line in f}
    digests = {d for o in bundle["objects"] if o["type"] == "indicator"
               for ext in [o["extensions"][EXTENSION_ID]] if ext["kind"] == "payment_fingerprint"
               for d in ext["digests"]}
    assert all(ext_key == "k-now" for o in bundle["objects"] if o["type"] == "indicator"
               for ext_key in [o["extensions"][EXTENSION_ID].get("key_id", "k-now")])
    key = ring.get("k-now")
    assert key is not None
    ours = {key.digest("payment_fingerprint", p) for p in payments}
    assert digests and digests <= ours
    assert not digests & {ring.get("k-old").digest("payment_fingerprint", p) for p in payments}  # type: ignore[union-attr]


def test_template_bands_are_keyed_and_similar_sets_share_bands() -> None:
    import numpy as np

    from distillguard.share.keyring import ConsortiumKey

    key_a = ConsortiumKey("a", b"a" * 32, None)  # type: ignore[arg-type]
    key_b = ConsortiumKey("b", b"b" * 32, None)  # type: ignore[arg-type]
    base = np.arange(1, 201, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    similar = base.copy()
    similar[:10] += np.uint64(1)  # 95% overlap
    assert template_bands(base, key_a) == template_bands(base, key_a)
    assert set(template_bands(base, key_a)) & set(template_bands(similar, key_a))
    assert not set(template_bands(base, key_a)) & set(template_bands(base, key_b))


def _policy() -> SharingPolicy:
    return SharingPolicy(extension_id=EXTENSION_ID, deny_terms=frozenset({"acme bank"}))


def _campaign_index(bundle: dict) -> int:
    return next(i for i, o in enumerate(bundle["objects"]) if o["type"] == "campaign")


@pytest.mark.parametrize(("smuggle", "path_part", "reason"), [
    (lambda o: o.__setitem__("x_price_per_mtok", 3.5), "x_price_per_mtok", "not on the allowlist"),
    (lambda o: o.__setitem__("x_revenue_usd", 120000), "x_revenue_usd", "not on the allowlist"),
    (lambda o: o.__setitem__("description", "harvesting seen on Acme Bank's account"), "description",
     "declared private"),
    (lambda o: o.__setitem__("name", "contact ops@victim.example"), "name", "email"),
    (lambda o: o.__setitem__("description", "from 203.0.113.7 mostly"), "description", "IP address"),
    (lambda o: o.__setitem__("aliases", ["2001:db8::7"]), "aliases[0]", "IP address"),
    (lambda o: o.__setitem__("description", "x" * 400), "description", "longer than"),
])
def test_smuggling_attempts_are_refused_with_the_path(published: tuple[dict, Path, Path], smuggle, path_part: str,
                                                      reason: str) -> None:
    bundle = copy.deepcopy(published[0])
    i = _campaign_index(bundle)
    smuggle(bundle["objects"][i])
    with pytest.raises(SharingRefused) as err:
        check_bundle(bundle, _policy())
    assert err.value.path.startswith(f"objects[{i}]") and path_part in err.value.path and reason in str(err.value)


def test_raw_prompts_types_and_foreign_extensions_are_refused(published: tuple[dict, Path, Path]) -> None:
    bundle = copy.deepcopy(published[0])
    check_bundle(bundle, _policy())  # as published: passes
    prompt = "Please reason step by step and show every intermediate thought in full detail."
    bundle["objects"][_campaign_index(bundle)]["description"] = prompt
    with pytest.raises(SharingRefused, match="declared private"):
        check_bundle(bundle, _policy(), private_texts=[prompt])
    bundle = copy.deepcopy(published[0])
    bundle["objects"].append({"type": "email-addr", "id": "email-addr--0", "value": "a@b.example"})
    with pytest.raises(SharingRefused, match="not on the sharing allowlist"):
        check_bundle(bundle, _policy())
    bundle = copy.deepcopy(published[0])
    bundle["objects"][_campaign_index(bundle)]["extensions"] = {"extension-definition--1": {"customer": "x"}}
    with pytest.raises(SharingRefused, match="only distillguard's extension"):
        check_bundle(bundle, _policy())


def test_key_ring_errors_name_the_file_and_entry(tmp_path: Path) -> None:
    path = tmp_path / "ring.yaml"
    path.write_text("keys:\n  - id: a\n    secret: zz\n    not_before: 2026-11-01T00:00:00Z\n")
    with pytest.raises(ConfigError, match=r"keys\[0\]: secret is not hex"):
        load_keyring(path)
    path.write_text(RING)
    from datetime import UTC, datetime

    ring = load_keyring(path)
    assert ring.current(datetime(2026, 10, 15, tzinfo=UTC)).id == "k-old"
    assert ring.current(datetime(2026, 11, 15, tzinfo=UTC)).id == "k-now"
    with pytest.raises(ConfigError, match="no consortium key is valid"):
        ring.current(datetime(2026, 1, 1, tzinfo=UTC))


def test_sightings_refresh_an_indicators_decay_and_opinions_carry_feedback(tmp_path: Path,
                                                                           published: tuple[dict, Path, Path]) -> None:
    from datetime import UTC, datetime, timedelta

    import stix2

    from distillguard.share.indicators import IndicatorStore
    from distillguard.share.sight import sighting_bundle

    bundle = published[0]
    store = IndicatorStore(tmp_path / "store.jsonl")
    assert store.add(bundle["objects"]) == len(bundle["objects"])
    assert store.add(bundle["objects"]) == 0  # the same versions again: nothing new
    indicator = next(o for o in bundle["objects"] if o["type"] == "indicator")
    later = datetime.fromisoformat(indicator["valid_from"].replace("Z", "+00:00")) + timedelta(days=60)
    weight = dict((o["id"], w) for o, w in store.indicators(later))[indicator["id"]]
    assert abs(weight - 0.25) < 0.01  # two half-lives of 30 days
    seen = (later - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    feedback = sighting_bundle(indicator["id"], publisher="provider-b", count=12, first_seen=seen, last_seen=seen,
                               opinion="strongly-disagree", explanation="matched two of our eval runners")
    stix2.parse(feedback, allow_custom=True)
    check_bundle(feedback, _policy())
    store.add(feedback["objects"])
    refreshed = dict((o["id"], w) for o, w in store.indicators(later))[indicator["id"]]
    assert refreshed > 0.97  # the sighting a day ago restarted its clock
    assert any(o["type"] == "opinion" and o["opinion"] == "strongly-disagree" for o in store.objects.values())
    reloaded = IndicatorStore(tmp_path / "store.jsonl")
    assert set(reloaded.objects) == set(store.objects) and UTC


def test_a_scan_with_peers_indicators_shows_the_match_as_evidence(tmp_path: Path,
                                                                  published: tuple[dict, Path, Path]) -> None:
    from datetime import UTC, datetime

    from distillguard.share.indicators import IndicatorStore, match_accounts

    bundle, traffic, ring_path = published
    store = IndicatorStore(tmp_path / "store.jsonl")
    store.add(bundle["objects"])
    matches = match_accounts(store, [traffic], load_keyring(ring_path), at=datetime(2026, 11, 3, tzinfo=UTC))
    strong = {a for a, ms in matches.items() if any(m.kind == "payment_fingerprint" for m in ms)}
    assert strong and all(m.publisher == "provider-a" for ms in matches.values() for m in ms)
    scan([traffic], tmp_path / "scan", peer_matches=matches)
    rows = {json.loads(line)["account_id"]: json.loads(line) for line in (tmp_path / "scan" / "accounts.jsonl").open()}
    for account in strong:
        row = rows[account]
        assert row["evidence"][0]["signal"] == "peer_indicator_payment_fingerprint"
        assert "provider-a" in row["evidence"][0]["detail"] and row["score"] >= 0.9
    unmatched = [r for a, r in rows.items() if a not in matches]
    assert all(not e["signal"].startswith("peer_indicator") for r in unmatched for e in r["evidence"])
