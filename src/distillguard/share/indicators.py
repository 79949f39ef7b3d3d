"""Peers' indicators, kept locally, and matching our own traffic against them.

``IndicatorStore`` is a JSON-lines file of STIX objects received from the hub (or from bundle files),
newest version per id, with the hub's ``X-TAXII-Date-Added-Last`` remembered so the next pull asks only
for what is new. ``match_accounts`` tests our accounts' payment fingerprints, API keys, ASNs and prompt
templates against the stored indicators, with the consortium keys the indicators name: a match is a
signal with its own evidence (which peer, which indicator, what matched), used by the scan's report and
by the gateway's decisions.

Indicators decay: an indicator counts with weight ``0.5 ** (age_days / decay_days)`` from its
``valid_from`` (or its latest sighting), and not at all after ``valid_until``.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow.compute as pc

from distillguard.events import ReadReport, read_events
from distillguard.share.keyring import KeyRing
from distillguard.share.publish import EXTENSION_ID, template_bands
from distillguard.signals.fingerprint import template_hash

#: Kinds that identify an actor on their own (a shared card or key), and those that only corroborate.
STRONG_KINDS: Final = frozenset({"payment_fingerprint", "api_key"})


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class Match:
    account_id: str
    indicator_id: str
    kind: str
    publisher: str
    weight: float  # decay weight in (0, 1]
    detail: str

    def evidence(self) -> dict[str, Any]:
        return {"signal": f"peer_indicator_{self.kind}", "value": round(self.weight, 4), "detail": self.detail}


class IndicatorStore:
    """Peers' STIX objects in a JSON-lines file: the newest version of each id, plus the pull position."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.objects: dict[str, dict[str, Any]] = {}
        self.added_last: str | None = None
        meta = self.path.with_suffix(".meta.json")
        if self.path.is_file():
            for line in self.path.open(encoding="utf-8"):
                if line.strip():
                    obj = json.loads(line)
                    self._keep(obj)
        if meta.is_file():
            self.added_last = json.loads(meta.read_text()).get("added_last")

    def _keep(self, obj: dict[str, Any]) -> bool:
        old = self.objects.get(obj["id"])
        if old is not None and old.get("modified", "") >= obj.get("modified", ""):
            return False
        self.objects[obj["id"]] = obj
        return True

    def add(self, objects: Iterable[dict[str, Any]], *, added_last: str | None = None) -> int:
        """Keep the newer version of each object; append them to the file. Returns how many were new."""
        fresh = [o for o in objects if isinstance(o, dict) and "id" in o and self._keep(o)]
        if fresh:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as f:
                f.write("".join(json.dumps(o, separators=(",", ":")) + "\n" for o in fresh))
        if added_last:
            self.added_last = added_last
            self.path.with_suffix(".meta.json").write_text(json.dumps({"added_last": added_last}) + "\n")
        return len(fresh)

    def indicators(self, at: datetime | None = None) -> list[tuple[dict[str, Any], float]]:
        """(indicator, decay weight) for every indicator still valid at ``at``, sightings refreshing them."""
        at = at or datetime.now(UTC)
        seen: dict[str, datetime] = {}
        for o in self.objects.values():
            if o.get("type") == "sighting" and o.get("sighting_of_ref"):
                when = _time(o.get("last_seen") or o["created"])
                ref = o["sighting_of_ref"]
                seen[ref] = max(seen.get(ref, when), when)
        out = []
        for o in self.objects.values():
            if o.get("type") != "indicator" or o.get("revoked"):
                continue
            if o.get("valid_until") and _time(o["valid_until"]) <= at:
                continue
            ext = (o.get("extensions") or {}).get(EXTENSION_ID, {})
            start = max(_time(o["valid_from"]), seen.get(o["id"], _time(o["valid_from"])))
            age = max((at - start).total_seconds() / 86_400, 0.0)
            out.append((o, math.pow(0.5, age / float(ext.get("decay_days", 30)))))
        return out

    def publisher(self, obj: dict[str, Any]) -> str:
        ident = self.objects.get(obj.get("created_by_ref", ""))
        return ident.get("name", "a peer") if ident else "a peer"


#: (kind, key id, keyed digest) -> (indicator, decay weight): the identifier indicators, ready to look up.
DigestIndex = dict[tuple[str, str, str], tuple[dict[str, Any], float]]


def identifier_index(indicators: Iterable[tuple[dict[str, Any], float]]) -> DigestIndex:
    """Index the payment-fingerprint and API-key indicators among ``indicators`` by their keyed digests."""
    by_digest: DigestIndex = {}
    for o, w in indicators:
        ext = (o.get("extensions") or {}).get(EXTENSION_ID, {})
        kind = ext.get("kind", "")
        if kind in STRONG_KINDS:
            for d in ext.get("digests", []):
                by_digest[(kind, ext["key_id"], d)] = (o, w)
    return by_digest


def identifier_match(store: IndicatorStore, account_id: str, kind: str, indicator: dict[str, Any],
                     weight: float) -> Match:
    """The match of one of our account's identifiers (``kind``) on a peer's indicator, with its evidence."""
    publisher = store.publisher(indicator)
    return Match(account_id, indicator["id"], kind, publisher, weight,
                 f"its {kind.replace('_', ' ')} matches an indicator {publisher} published")


def match_accounts(store: IndicatorStore, logs: Iterable[str | Path], keyring: KeyRing, *,
                   at: datetime | None = None, min_weight: float = 0.05,
                   templates: bool = True) -> dict[str, list[Match]]:
    """Every account of ``logs`` that matches a stored indicator, with the matches. ``templates=False``
    matches only identifiers (payment fingerprints, API keys): attributes an account shows from its first
    request, so a replay may use them without peeking at the account's later prompts."""
    indicators = [(o, w) for o, w in store.indicators(at) if w >= min_weight]
    by_digest = identifier_index(indicators)
    bands: dict[str, list[tuple[dict[str, Any], float, set[str]]]] = defaultdict(list)
    for o, w in indicators:
        ext = (o.get("extensions") or {}).get(EXTENSION_ID, {})
        if ext.get("kind") == "template_bands":
            bands[ext["key_id"]].append((o, w, set(ext.get("bands", []))))
        # ASN and behaviour indicators are context for an analyst, not matched per account: a big cloud's
        # ASN carries everyone's traffic.
    key_ids = {k for (_, k, _) in by_digest} | set(bands)
    keys = {k: key for k in key_ids if (key := keyring.get(k)) is not None}
    matches: dict[str, list[Match]] = defaultdict(list)
    if not indicators or not keys:
        return dict(matches)
    prompts: dict[str, dict[str, list[int]]] = {k: defaultdict(list) for k in bands if k in keys} if templates else {}
    done: set[tuple[str, str]] = set()
    report = ReadReport()
    for batch in read_events(list(logs), report=report):
        accounts = batch.column("account_id").to_pylist()
        columns = {name: batch.column(name).to_pylist() for name in ("payment_fingerprint", "api_key_id")}
        for key_id, key in keys.items():
            for kind, column in (("payment_fingerprint", "payment_fingerprint"), ("api_key", "api_key_id")):
                for account, value in set(zip(accounts, columns[column], strict=True)):
                    if value is None or (account, f"{kind}:{value}") in done:
                        continue
                    done.add((account, f"{kind}:{value}"))
                    hit = by_digest.get((kind, key_id, key.digest(kind, value)))
                    if hit is not None:
                        matches[account].append(identifier_match(store, account, kind, *hit))
            if key_id in prompts:
                hashes = template_hash(pc.fill_null(batch.column("prompt"), ""), key=key.int_key("template"))
                for account, h in zip(accounts, hashes.tolist(), strict=True):
                    prompts[key_id][account].append(h)
    for key_id, per_account in prompts.items():
        for account, hashes in per_account.items():
            ours = set(template_bands(np.unique(np.array(hashes, dtype=np.uint64)), keys[key_id]))
            for o, w, theirs in bands[key_id]:
                shared = len(ours & theirs)
                if shared:
                    matches[account].append(Match(account, o["id"], "template_bands", store.publisher(o), w,
                                                  f"{shared} of its prompt-template bands match a campaign "
                                                  f"{store.publisher(o)} published"))
    return dict(matches)
