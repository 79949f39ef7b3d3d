"""Scan findings -> one STIX 2.1 bundle, through the privacy tiers and the sharing policy.

    bundle, stats = build_bundle("scan/", ["traffic.jsonl.gz"], load_keyring("ring.yaml"), publisher="provider-a")

What goes out, by tier (issue 6; docs/intel.md):

1. in the clear, coarse and non-personal: the ASNs carrying a campaign's traffic (standard STIX patterns
   on ``autonomous-system``), a behaviour signature (the signals and values that flagged it), ATLAS
   techniques (attack-pattern objects with MITRE ATLAS references);
2. high-entropy identifiers (payment fingerprints, API-key ids) only as keyed digests under the current
   consortium key, with its id;
3. low-entropy personal identifiers (emails, client IP addresses): never; they are matched only by
   private set intersection between two members;
4. prompt templates only as keyed MinHash LSH band digests of the campaign's template set, and only
   templates seen in at least ``min_accounts`` distinct accounts.

Every object carries the TLP 2.0 marking chosen; the bundle then passes ``check_bundle`` (the sharing
policy) with every raw prompt of the scanned logs declared private, so a prompt cannot leave even by
mistake. Ids are deterministic (UUIDv5 of the content's identity), so publishing the same campaign again
updates it instead of duplicating it.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow.compute as pc

from distillguard.errors import ConfigError
from distillguard.events import ReadReport, read_events
from distillguard.scoring.atlas import TECHNIQUES
from distillguard.share.keyring import ConsortiumKey, KeyRing
from distillguard.share.sharing_policy import TLP_EXTENSION_ID, SharingPolicy, check_bundle
from distillguard.signals.fingerprint import hash_strings, minhash, mix64, template_hash

NAMESPACE: Final = uuid.UUID("5d1e6c1a-4b7e-4f5e-9a53-d15711a7e000")
EXTENSION_ID: Final = "extension-definition--" + str(uuid.uuid5(NAMESPACE, "distillguard-intel-1"))
#: TLP 2.0 marking-definition ids (the STIX 2.1 TLP 2.0 extension's fixed objects).
TLP_IDS: Final[dict[str, str]] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
PATTERN_TYPE: Final = "distillguard"
MINHASH_K: Final = 32
LSH_BANDS: Final = 8
DECAY_DAYS: Final = 30


@dataclass
class PublishStats:
    campaigns: int = 0
    accounts: int = 0
    indicators: int = 0
    payment_digests: int = 0
    key_digests: int = 0
    asns: int = 0
    template_bands: int = 0
    templates_withheld: int = 0  # seen in fewer than min_accounts accounts
    objects: int = 0
    by_type: dict[str, int] = field(default_factory=dict)


def stix_time(ms: float | None = None) -> str:
    """A STIX timestamp (UTC, milliseconds) for epoch milliseconds ``ms``, or for now."""
    if ms is None:
        ms = datetime.now(UTC).timestamp() * 1000
    seconds, millis = divmod(int(ms), 1000)  # integer arithmetic: no float rounding of the milliseconds
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{millis:03d}Z"


def _id(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join(parts))}"


def tlp_marking(level: str) -> dict[str, Any]:
    """The TLP 2.0 marking-definition object for ``level`` (clear, green, amber, amber+strict, red)."""
    if level not in TLP_IDS:
        raise ConfigError(f"unknown TLP level {level!r}; choose one of {', '.join(TLP_IDS)}")
    return {"type": "marking-definition", "spec_version": "2.1", "id": TLP_IDS[level],
            "created": "2022-10-01T00:00:00.000Z", "name": f"TLP:{level.upper()}",
            "extensions": {TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}}}


def extension_definition(identity_id: str) -> dict[str, Any]:
    """Declares the ``distillguard`` pattern type and the indicator properties it carries."""
    return {"type": "extension-definition", "spec_version": "2.1", "id": EXTENSION_ID,
            "created": "2026-11-01T00:00:00.000Z", "modified": "2026-11-01T00:00:00.000Z",
            "created_by_ref": identity_id, "name": "distillguard behavioural indicators",
            "description": "Indicators of model-output harvesting: keyed digests of payment and API-key "
                           "fingerprints, keyed MinHash LSH band digests of prompt templates, behaviour "
                           "signatures. Pattern type 'distillguard'.",
            "schema": "https://distillguard.dev/schemas/intel-extension-1.json", "version": "1.0.0",
            "extension_types": ["property-extension"]}


def template_bands(template_hashes: np.ndarray, key: ConsortiumKey) -> list[str]:
    """Keyed MinHash LSH band digests of a set of (consortium-keyed) template hashes."""
    if len(template_hashes) == 0:
        return []
    sig = minhash(np.zeros(len(template_hashes), dtype=np.int64), template_hashes.astype(np.uint64), 1,
                  k=MINHASH_K, key=key.int_key("minhash"))[0]
    rows = MINHASH_K // LSH_BANDS
    bands = []
    for band in range(LSH_BANDS):
        value = mix64(np.array([band], dtype=np.uint64))[0]
        for v in sig[band * rows:(band + 1) * rows]:
            value = mix64(np.array([value ^ v], dtype=np.uint64))[0]
        bands.append(key.digest("template_band", f"{band}:{int(value):016x}"))
    return bands


@dataclass
class _Actor:
    """What the logs say about one flagged campaign (a cluster, or the flagged single accounts)."""

    name: str
    accounts: set[str]
    score: float
    evidence: list[dict[str, Any]]
    atlas: set[str]
    payments: set[str] = field(default_factory=set)
    keys: set[str] = field(default_factory=set)
    asns: Counter[int] = field(default_factory=Counter)
    templates: dict[int, set[str]] = field(default_factory=lambda: defaultdict(set))
    first_ms: float = float("inf")
    last_ms: float = 0.0
    requests: int = 0


def _load_findings(scan_dir: Path, verdicts: tuple[str, ...]) -> list[_Actor]:
    clusters_path, accounts_path = scan_dir / "clusters.jsonl", scan_dir / "accounts.jsonl"
    if not clusters_path.is_file() or not accounts_path.is_file():
        raise ConfigError(f"{scan_dir}: not a scan output directory (clusters.jsonl and accounts.jsonl expected)")
    actors: list[_Actor] = []
    in_cluster: set[str] = set()
    for line in clusters_path.open():
        c = json.loads(line)
        if c["verdict"] in verdicts:
            actors.append(_Actor(c["cluster_id"], set(c["accounts"]), c["score"], c["evidence"], set(c["atlas"])))
            in_cluster.update(c["accounts"])
    singles = [json.loads(line) for line in accounts_path.open()]
    singles = [a for a in singles if a["verdict"] in verdicts and a["account_id"] not in in_cluster]
    if singles:
        actors.append(_Actor("single accounts", {a["account_id"] for a in singles},
                             max(a["score"] for a in singles), singles[0]["evidence"],
                             set().union(*(a["atlas"] for a in singles))))
    return actors


def _gather(actors: list[_Actor], logs: Iterable[Path], key: ConsortiumKey) -> set[int]:
    """Fold the logs into the actors; return hashes of every prompt seen (declared private)."""
    owner = {a: actor for actor in actors for a in actor.accounts}
    private: set[int] = set()
    tkey = key.int_key("template")
    report = ReadReport()
    for batch in read_events(list(logs), report=report):
        prompts = pc.fill_null(batch.column("prompt"), "")
        private.update(hash_strings(prompts, width=128).tolist())
        accounts = batch.column("account_id").to_pylist()
        flagged = [i for i, a in enumerate(accounts) if a in owner]
        if not flagged:
            continue
        sub = batch.take(flagged)
        templates = template_hash(pc.fill_null(sub.column("prompt"), ""), key=tkey)
        ts = sub.column("timestamp").cast("int64").to_numpy()
        columns = {name: sub.column(name).to_pylist() for name in ("payment_fingerprint", "api_key_id", "asn")}
        for j, i in enumerate(flagged):
            actor = owner[accounts[i]]
            actor.requests += 1
            actor.first_ms, actor.last_ms = min(actor.first_ms, ts[j]), max(actor.last_ms, ts[j])
            if columns["payment_fingerprint"][j]:
                actor.payments.add(columns["payment_fingerprint"][j])
            if columns["api_key_id"][j]:
                actor.keys.add(columns["api_key_id"][j])
            if columns["asn"][j] is not None:
                actor.asns[int(columns["asn"][j])] += 1
            actor.templates[int(templates[j])].add(accounts[i])
    if report.good == 0:
        raise ConfigError("no readable log event in the given logs")
    return private


def build_bundle(scan_dir: str | Path, logs: Iterable[str | Path], keyring: KeyRing, *, publisher: str,
                 tlp: str = "amber", min_accounts: int = 3, asn_share: float = 0.1,
                 verdicts: tuple[str, ...] = ("block",), policy: SharingPolicy | None = None,
                 at: datetime | None = None) -> tuple[dict[str, Any], PublishStats]:
    """The bundle for the flagged findings of ``scan_dir``; raises SharingRefused if it may not leave."""
    key = keyring.current(at)
    actors = _load_findings(Path(scan_dir), verdicts)
    private = _gather(actors, [Path(p) for p in logs], key) if actors else set()
    now = stix_time() if at is None else stix_time(at.timestamp() * 1000)
    marking = tlp_marking(tlp)
    identity_id = _id("identity", publisher)
    stats = PublishStats()
    objects: list[dict[str, Any]] = [marking, extension_definition(identity_id)]

    def add(obj: dict[str, Any]) -> dict[str, Any]:
        obj.setdefault("spec_version", "2.1")
        obj.setdefault("created", now)
        obj.setdefault("modified", now)
        obj.setdefault("created_by_ref", identity_id)
        obj["object_marking_refs"] = [marking["id"]]
        objects.append(obj)
        return obj

    add({"type": "identity", "id": identity_id, "name": publisher, "identity_class": "organization"})
    patterns = {t: add({"type": "attack-pattern", "id": _id("attack-pattern", t), "name": TECHNIQUES[t],
                        "external_references": [{"source_name": "mitre-atlas", "external_id": t,
                                                 "url": f"https://atlas.mitre.org/techniques/{t}"}]})
                for t in sorted(set().union(*(a.atlas for a in actors))) if t in TECHNIQUES} if actors else {}

    def indicator(actor_id: str, kind: str, pattern: str, ext: dict[str, Any], first: str, pattern_type: str =
                  PATTERN_TYPE, name: str = "") -> None:
        ind = add({"type": "indicator", "id": _id("indicator", actor_id, kind), "name": name or kind,
                   "indicator_types": ["malicious-activity"], "pattern": pattern, "pattern_type": pattern_type,
                   "valid_from": first,
                   "extensions": {EXTENSION_ID: {"extension_type": "property-extension", "kind": kind,
                                                 "decay_days": DECAY_DAYS, **ext}}})
        add({"type": "relationship", "id": _id("relationship", ind["id"], actor_id), "relationship_type": "indicates",
             "source_ref": ind["id"], "target_ref": actor_id})
        stats.indicators += 1

    for actor in actors:
        identity = ",".join(sorted(key.digest("account_set", a) for a in actor.accounts))
        first, last = stix_time(actor.first_ms), stix_time(actor.last_ms)
        campaign = add({"type": "campaign", "id": _id("campaign", publisher, identity),
                        "name": f"model-output harvesting ({len(actor.accounts)} accounts)",
                        "description": f"{actor.requests:,} requests from {len(actor.accounts)} accounts, "
                                       f"score {actor.score:.2f}", "first_seen": first, "last_seen": last,
                        "objective": "harvest model outputs to train a copy"})
        stats.campaigns += 1
        stats.accounts += len(actor.accounts)
        for t in sorted(actor.atlas):
            if t in patterns:
                add({"type": "relationship", "id": _id("relationship", campaign["id"], t), "relationship_type": "uses",
                     "source_ref": campaign["id"], "target_ref": patterns[t]["id"]})
        signature = {e["signal"]: e["value"] for e in actor.evidence[:6] if isinstance(e.get("value"), int | float)}
        if signature:
            indicator(campaign["id"], "behaviour", " AND ".join(f"{k} >= {v:g}" for k, v in signature.items()),
                      {"signature": signature, "atlas": sorted(actor.atlas)}, first, name="behaviour signature")
        if actor.payments:
            digests = sorted(key.digest("payment_fingerprint", p) for p in actor.payments)
            stats.payment_digests += len(digests)
            indicator(campaign["id"], "payment_fingerprint", f"payment_fingerprint digest in {len(digests)} values "
                      f"(key {key.id})", {"key_id": key.id, "digests": digests}, first)
        if actor.keys:
            digests = sorted(key.digest("api_key", k) for k in actor.keys)
            stats.key_digests += len(digests)
            indicator(campaign["id"], "api_key", f"api key digest in {len(digests)} values (key {key.id})",
                      {"key_id": key.id, "digests": digests}, first)
        total = sum(actor.asns.values())
        for asn, count in sorted(actor.asns.items()):
            if count / max(total, 1) < asn_share:
                continue
            stats.asns += 1
            indicator(campaign["id"], f"asn-{asn}", f"[autonomous-system:number = {asn}]", {}, first,
                      pattern_type="stix", name=f"AS{asn} carries {count / total:.0%} of the campaign's requests")
        shared = np.array([t for t, accts in actor.templates.items() if len(accts) >= min_accounts], dtype=np.uint64)
        stats.templates_withheld += sum(1 for accts in actor.templates.values() if len(accts) < min_accounts)
        if len(shared):
            bands = template_bands(shared, key)
            stats.template_bands += len(bands)
            indicator(campaign["id"], "template_bands", f"prompt-template MinHash LSH bands (key {key.id})",
                      {"key_id": key.id, "bands": bands, "accounts": min_accounts}, first)
    bundle = {"type": "bundle", "id": _id("bundle", publisher, now), "objects": objects}
    policy = policy or SharingPolicy()
    if policy.extension_id is None:
        policy = SharingPolicy(types=policy.types, extension_id=EXTENSION_ID, max_text_chars=policy.max_text_chars,
                               deny_terms=policy.deny_terms)
    check_bundle(bundle, policy, private_hashes=private)
    stats.objects = len(objects)
    stats.by_type = dict(Counter(o["type"] for o in objects))
    return bundle, stats
