"""``distillguard consortium-demo``: three providers, one campaign, with and without sharing.

1. Three providers' traffic is simulated (different seeds, the default population each). One hydra
   campaign of provider A moves on to B six hours after it started at A and to C twelve hours after:
   the same operator, new accounts at each provider, the same payment cards (fingerprinted the same
   way at each provider) and the same harvesting prompts.
2. Without sharing, B and C replay their traffic through the gateway's decision path alone.
3. With sharing, A scans what it saw until the campaign reached B, publishes its block verdicts
   (``intel publish``: keyed digests, template bands, ATLAS, no raw identifier), the bundle travels
   (through a hub when one is given, else as a file), and B and C replay with the peers' indicators.
4. For each provider: the campaign's requests served before each of its accounts was blocked, with and
   without sharing; and a scan of every published byte for A's raw prompts, emails, IP addresses,
   account ids and payment fingerprints.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from distillguard.enforce.replay import DECISIONS_FILE, replay
from distillguard.share.indicators import IndicatorStore, match_accounts
from distillguard.share.keyring import ConsortiumKey, KeyRing
from distillguard.share.publish import stix_time
from distillguard.share.sharing_policy import EMAIL
from distillguard.sim import simulate

PROVIDERS: Final = ("A", "B", "C")
SEEDS: Final = {"A": 301, "B": 302, "C": 303}
DELAY_HOURS: Final = {"A": 0, "B": 6, "C": 12}
CAMPAIGN: Final = "hydra-1"
SHARED: Final = "shared-hydra"


@dataclass
class ProviderResult:
    provider: str
    campaign_accounts: int
    campaign_requests: int
    served_alone: int  # campaign requests served before block, without sharing
    served_shared: int  # ... with sharing
    benign_blocked_alone: int
    benign_blocked_shared: int

    @property
    def speedup(self) -> float:
        return self.served_alone / max(self.served_shared, 1)


@dataclass
class DemoResult:
    providers: list[ProviderResult] = field(default_factory=list)
    bundle_bytes: int = 0
    bundle_objects: int = 0
    leaks: list[str] = field(default_factory=list)
    transport: str = "file"


def _ms(value: str) -> int:
    return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)


def _read(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _write(path: Path, lines: list[dict[str, Any]]) -> None:
    lines.sort(key=lambda x: x["timestamp"])
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as f:
        f.writelines(json.dumps(x, separators=(",", ":")) + "\n" for x in lines)


def _campaign(lines: list[dict[str, Any]], labels: dict[str, Any]) -> list[dict[str, Any]]:
    members = {a for a, t in labels.items() if t["campaign"] == CAMPAIGN}
    return [x for x in lines if x["account_id"] in members]


def _transplant(campaign: list[dict[str, Any]], provider: str, hours: int) -> list[dict[str, Any]]:
    """The campaign as it arrives at ``provider``: new accounts, keys and request ids, shifted in time."""
    shift = hours * 3_600_000
    out = []
    for x in campaign:
        y = json.loads(json.dumps(x))
        tag = hashlib.sha256(f"{provider}:{x['account_id']}".encode()).hexdigest()
        y["account_id"] = f"acct_{tag[:8]}"
        y["org_id"] = f"org_{tag[8:16]}"
        y["api_key_id"] = f"key_{tag[16:22]}"
        y["request_id"] = f"req_{hashlib.sha256((provider + x['request_id']).encode()).hexdigest()[:24]}"
        y["timestamp"] = stix_time(_ms(x["timestamp"]) + shift)
        if y.get("billing", {}).get("account_created"):
            y["billing"]["account_created"] = stix_time(_ms(y["billing"]["account_created"]) + shift)
        out.append(y)
    return out


def _served(decisions: Path, accounts: set[str], labels: dict[str, Any]) -> tuple[int, int]:
    """(campaign requests served before their account's first block, benign requests blocked)."""
    blocked: set[str] = set()
    served = benign_blocked = 0
    for line in decisions.open():
        d = json.loads(line)
        account = d["account_id"]
        if account in accounts:
            if d["action"] == "block":
                blocked.add(account)
            elif account not in blocked and d["action"] in ("allow", "degrade"):
                served += 1
        elif d["action"] == "block" and labels.get(account, {}).get("label") == "benign":
            benign_blocked += 1
    return served, benign_blocked


def _leaks(bundle_text: str, lines: list[dict[str, Any]]) -> list[str]:
    found = []
    if EMAIL.search(bundle_text):
        found.append("an email address")
    secrets_ = set()
    for x in lines:
        secrets_.update([x["account_id"], (x.get("client") or {}).get("ip"),
                         (x.get("billing") or {}).get("payment_fingerprint"), x.get("api_key_id")])
        for m in x["request"].get("messages") or []:
            content = m.get("content")
            if isinstance(content, str) and len(content) >= 20:
                secrets_.add(content)
    found += [f"raw value {s[:40]!r}" for s in secrets_ if s and s in bundle_text]
    return found


def run_demo(out: Path, *, accounts: int = 300, days: float = 2.0, hub: Callable[[dict[str, Any]], list[dict]] |
             None = None, say: Callable[[str], None] = lambda _m: None,
             providers: tuple[str, ...] = PROVIDERS) -> DemoResult:
    """Run the demo in ``out``; ``hub`` (optional) publishes a bundle and returns what a peer pulls back.
    ``providers`` must start with "A" (the one the campaign hits first)."""
    from distillguard.engines.local import scan
    from distillguard.share.publish import build_bundle

    out.mkdir(parents=True, exist_ok=True)
    result = DemoResult(transport="hub" if hub else "file")
    logs: dict[str, Path] = {}
    labels: dict[str, dict[str, Any]] = {}
    say("simulating provider A (the campaign starts here)")
    sim_a = simulate(out / "A", accounts=accounts, days=days, seed=SEEDS["A"])
    lines_a = _read(sim_a.traffic)
    labels["A"] = json.loads(sim_a.labels.read_text())
    campaign = _campaign(lines_a, labels["A"])
    if not campaign:
        raise RuntimeError("provider A's simulation has no hydra campaign; raise --accounts")
    start = min(_ms(x["timestamp"]) for x in campaign)
    logs["A"] = sim_a.traffic
    for provider in providers[1:]:
        say(f"simulating provider {provider} (the campaign arrives {DELAY_HOURS[provider]} h later)")
        sim = simulate(out / provider / "sim", accounts=accounts, days=days, seed=SEEDS[provider])
        moved = _transplant(campaign, provider, DELAY_HOURS[provider])
        labels[provider] = json.loads(sim.labels.read_text())
        for x in moved:
            labels[provider][x["account_id"]] = {"label": "attack", "campaign": SHARED, "behavior": "hydra_cluster"}
        merged = _read(sim.traffic) + moved
        logs[provider] = out / provider / "traffic.jsonl.gz"
        _write(logs[provider], merged)
        (out / provider / "labels.json").write_text(json.dumps(labels[provider]))

    ring = KeyRing((ConsortiumKey("demo-1", secrets.token_bytes(32), datetime(2026, 1, 1, tzinfo=UTC)),))
    cutoff = start + DELAY_HOURS["B"] * 3_600_000
    say(f"provider A scans what it saw until {stix_time(cutoff)} and publishes its block verdicts")
    seen = [x for x in lines_a if _ms(x["timestamp"]) < cutoff]
    _write(out / "A" / "until_cutoff.jsonl.gz", seen)
    scan([out / "A" / "until_cutoff.jsonl.gz"], out / "A" / "scan")
    bundle, _ = build_bundle(out / "A" / "scan", [out / "A" / "until_cutoff.jsonl.gz"], ring, publisher="provider-a",
                             at=datetime.fromtimestamp(cutoff / 1000, UTC) + timedelta(minutes=1))
    text = json.dumps(bundle)
    (out / "A" / "bundle.json").write_text(text)
    result.bundle_bytes, result.bundle_objects = len(text.encode()), len(bundle["objects"])
    result.leaks = _leaks(text, lines_a)
    received = hub(bundle) if hub else bundle["objects"]

    for provider in providers:
        ours = CAMPAIGN if provider == "A" else SHARED  # B's and C's own hydra-1 are other campaigns
        members = {a for a, t in labels[provider].items() if t["campaign"] == ours}
        say(f"provider {provider}: replay alone")
        replay([logs[provider]], out / provider / "alone")
        served_alone, benign_alone = _served(out / provider / "alone" / DECISIONS_FILE, members, labels[provider])
        matches = None
        if provider != "A":
            store = IndicatorStore(out / provider / "indicators.jsonl")
            store.add(received)
            matches = match_accounts(store, [logs[provider]], ring, templates=False,
                                     at=datetime.fromtimestamp(cutoff / 1000, UTC))
            say(f"provider {provider}: replay with A's indicators ({len(matches)} accounts match)")
            replay([logs[provider]], out / provider / "shared", peer_matches=matches)
            served_shared, benign_shared = _served(out / provider / "shared" / DECISIONS_FILE, members,
                                                   labels[provider])
        else:
            served_shared, benign_shared = served_alone, benign_alone
        result.providers.append(ProviderResult(provider, len(members), len(campaign), served_alone, served_shared,
                                               benign_alone, benign_shared))
    (out / "consortium.json").write_text(json.dumps({
        "transport": result.transport, "bundle_bytes": result.bundle_bytes, "bundle_objects": result.bundle_objects,
        "leaks": result.leaks,
        "providers": [{**p.__dict__, "speedup": p.speedup} for p in result.providers]}, indent=1) + "\n")
    return result


def run_demo_with_hub(out: Path, **kwargs: Any) -> DemoResult:
    """``run_demo`` with the bundle travelling through a real hub on a loopback port: provider A POSTs it
    to the consortium collection (TAXII 2.1), B and C pull it (``intel pull``'s code) into their stores."""
    from distillguard.share.hub.auth import new_key
    from distillguard.share.hub.config import MemberConfig, starter_config
    from distillguard.share.hub.server import serve_in_thread
    from distillguard.share.pull import pull, push

    config = starter_config("consortium demo hub")
    keys: dict[str, str] = {}
    for provider in PROVIDERS:
        key, record = new_key()
        keys[provider] = key
        config = config.with_member(MemberConfig(name=f"provider-{provider.lower()}", key=record,
                                                 groups=frozenset({"consortium"})),
                                    read=["indicators"], write=["indicators"])
    collection = next(iter(config.collections.values()))
    out.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(config, str(out / "hub.db")) as hub:
        api_root = f"{hub.url}/{collection.api_root}/"

        def transport(bundle: dict[str, Any]) -> list[dict[str, Any]]:
            push(api_root, collection.id, bundle["objects"], user="provider-a", password=keys["A"])
            store = IndicatorStore(out / "B" / "pulled.jsonl")
            pull(store, api_root, collection.id, user="provider-b", password=keys["B"])
            return list(store.objects.values())

        return run_demo(out, hub=transport, **kwargs)
