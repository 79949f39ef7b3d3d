"""Scenarios (which behaviours, how many accounts each) and the ``simulate`` driver.

    result = simulate("out/", accounts=2000, days=3, seed=7)
    # out/traffic.jsonl.gz  contract §1, sorted by time
    # out/labels.json       contract §3
    # out/scenario.json     the exact configuration, for reproducing and reporting

Same arguments, same bytes: every draw comes from a ``random.Random`` seeded from the seed and the
cohort, streams are merged by (time, stream, position), and gzip is written with mtime 0.
"""

from __future__ import annotations

import gzip
import heapq
import json
import queue
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

import msgspec

from distillguard.errors import ConfigError
from distillguard.sim.attacks import (
    AgenticHarvester,
    BulkHarvester,
    GraderHarvester,
    HumanReplayer,
    HydraCluster,
    LowAndSlow,
    ModelReleasePivot,
    ReasoningHarvester,
)
from distillguard.sim.behavior import Behavior, Stream
from distillguard.sim.benign import (
    ChatUser,
    CodingAgentApp,
    Developer,
    EvalRunner,
    FastAdopter,
    RagApp,
    RouterReseller,
    SyntheticDataCustomer,
)
from distillguard.sim.corpora import load_corpora
from distillguard.sim.world import World

DEFAULT_START: Final = "2026-11-02T00:00:00Z"
TRAFFIC_FILE: Final = "traffic.jsonl.gz"
LABELS_FILE: Final = "labels.json"
SCENARIO_FILE: Final = "scenario.json"
CAMPAIGN_PREFIX: Final = {"hydra_cluster": "hydra", "model_release_pivot": "pivot"}


@dataclass(frozen=True)
class Cohort:
    """``share`` of the scenario's accounts run ``behavior``. A group behaviour (a cluster) gets
    ``groups`` clusters of ``share`` x accounts each (at least ``min_accounts``)."""

    behavior: Behavior
    share: float
    groups: int = 1
    min_accounts: int = 1


@dataclass(frozen=True)
class Scenario:
    """Cohorts, plus the behaviour that fills the remaining accounts (ordinary chat users)."""

    name: str
    description: str
    cohorts: tuple[Cohort, ...]
    filler: Behavior

    def plan(self, accounts: int) -> list[tuple[Cohort | None, Behavior, int, int]]:
        """(cohort, behaviour, builds, accounts per build) for ``accounts`` accounts in total."""
        out: list[tuple[Cohort | None, Behavior, int, int]] = []
        used = 0
        for cohort in self.cohorts:
            size = max(cohort.min_accounts, round(cohort.share * accounts))
            if cohort.behavior.group:
                out.append((cohort, cohort.behavior, cohort.groups, size))
                used += cohort.groups * size
            else:
                out.append((cohort, cohort.behavior, size, 1))
                used += size
        if used > accounts:
            raise ConfigError(
                f"scenario {self.name!r} needs at least {used} accounts; got --accounts {accounts}")
        out.append((None, self.filler, accounts - used, 1))
        return out


def _default() -> Scenario:
    return Scenario(
        name="default",
        description="Mostly ordinary customers, every benign look-alike, two hydra clusters, a release-day "
        "pivot cluster and one of each single-account attack.",
        cohorts=(
            Cohort(Developer(), 0.10),
            Cohort(FastAdopter(), 0.04),
            Cohort(RagApp(requests_per_day=(100, 1200)), 0.008),
            Cohort(CodingAgentApp(tasks_per_day=(10, 150)), 0.005),
            Cohort(EvalRunner(run_size=(100, 1200)), 0.008),
            Cohort(SyntheticDataCustomer(requests_per_day=(500, 3000)), 0.0015),
            Cohort(RouterReseller(requests_per_day=(800, 4000)), 0.0015),
            Cohort(HydraCluster(), 0.05, groups=2, min_accounts=20),
            Cohort(ModelReleasePivot(), 0.01, min_accounts=8),
            Cohort(BulkHarvester(), 0.001),
            Cohort(ReasoningHarvester(), 0.0015),
            Cohort(GraderHarvester(), 0.001),
            Cohort(AgenticHarvester(), 0.001),
            Cohort(LowAndSlow(), 0.001),
            Cohort(HumanReplayer(), 0.001),
        ),
        filler=ChatUser(),
    )


def _benign_only() -> Scenario:
    base = _default()
    return Scenario(
        name="benign-only",
        description="The default population without any attacker: every alert on it is a false positive.",
        cohorts=tuple(c for c in base.cohorts if c.behavior.label == "benign"),
        filler=base.filler,
    )


def _hydra_hard() -> Scenario:
    base = _default()
    hard = HydraCluster(blend=(0.85, 0.95), shared_payment_share=0.0, proxy_ips_per_account=1000.0)
    cohorts = tuple(Cohort(hard, c.share, c.groups, c.min_accounts) if c.behavior.name == "hydra_cluster" else c
                    for c in base.cohorts)
    return Scenario(
        name="hydra-hard",
        description="The default population, but the hydra clusters blend 85-95% human prompts, share no "
        "payment fingerprint and rotate through a proxy pool so large that members rarely share an address.",
        cohorts=cohorts,
        filler=base.filler,
    )


SCENARIOS: Final[dict[str, Callable[[], Scenario]]] = {
    "default": _default,
    "benign-only": _benign_only,
    "hydra-hard": _hydra_hard,
}


@dataclass(frozen=True)
class SimulationResult:
    out_dir: Path
    traffic: Path
    labels: Path
    events: int
    accounts: int
    attack_accounts: int
    seconds: float


def simulate(
    out_dir: str | Path,
    *,
    accounts: int = 2000,
    days: float = 3.0,
    seed: int = 0,
    corpora: str | Path | None = None,
    scenario: str = "default",
    start: str = DEFAULT_START,
    compresslevel: int = 1,
    progress: Callable[[int], None] | None = None,
    on_total: Callable[[int], None] | None = None,
) -> SimulationResult:
    """Simulate labelled traffic into ``out_dir`` (created if missing). See the module docstring."""
    began = time.perf_counter()
    if accounts < 1:
        raise ConfigError(f"--accounts must be at least 1, got {accounts}")
    if not 0 < days <= 366:
        raise ConfigError(f"--days must be in (0, 366], got {days}")
    if scenario not in SCENARIOS:
        raise ConfigError(f"unknown scenario {scenario!r}; choose one of: {', '.join(SCENARIOS)}")
    try:
        start_dt = datetime.fromisoformat(start)
    except ValueError as exc:
        raise ConfigError(f"--start {start!r} is not an RFC 3339 timestamp") from exc
    if start_dt.tzinfo is None:
        raise ConfigError(f"--start {start!r} needs a UTC offset, e.g. {DEFAULT_START}")
    spec = SCENARIOS[scenario]()
    world = World(seed=seed, start_ms=int(start_dt.timestamp() * 1000), days=days, corpora=load_corpora(corpora))
    streams, cohorts_json = _build_streams(world, spec, accounts, seed)
    total = sum(len(s.times) for s in streams)
    if on_total is not None:
        on_total(total)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    traffic = out / TRAFFIC_FILE
    seen: set[str] = set()
    events = _write_traffic(traffic, _merged(streams, seen), compresslevel, progress)

    # Ground truth for the accounts that appear in the traffic (a quiet account has nothing to label).
    labels = {
        a.account_id: {"label": a.label, "campaign": a.campaign, "behavior": a.behavior}
        for s in streams
        for a in s.accounts
        if a.account_id in seen
    }
    labels_path = out / LABELS_FILE
    labels_path.write_text(json.dumps(dict(sorted(labels.items())), indent=1) + "\n", encoding="utf-8")
    config = {
        "scenario": spec.name,
        "description": spec.description,
        "seed": seed,
        "accounts": accounts,
        "days": days,
        "start": start,
        "model_release": datetime.fromtimestamp(world.release_ms / 1000, tz=start_dt.tzinfo).isoformat(),
        "events": events,
        "corpora": str(corpora) if corpora is not None else "(shipped sample)",
        "corpus_files": world.corpora.sources,
        "cohorts": cohorts_json,
    }
    (out / SCENARIO_FILE).write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    return SimulationResult(
        out_dir=out,
        traffic=traffic,
        labels=labels_path,
        events=events,
        accounts=len(labels),
        attack_accounts=sum(1 for v in labels.values() if v["label"] == "attack"),
        seconds=time.perf_counter() - began,
    )


def _build_streams(world: World, spec: Scenario, accounts: int, seed: int) -> tuple[list[Stream], list[dict]]:
    streams: list[Stream] = []
    cohorts_json: list[dict[str, Any]] = []
    campaigns: dict[str, int] = {}
    for index, (_cohort, behavior, builds, size) in enumerate(spec.plan(accounts)):
        cohorts_json.append({"behavior": behavior.name, "label": behavior.label, "builds": builds,
                             "accounts_per_build": size, "params": behavior.params()})
        for k in range(builds):
            campaign = None
            if behavior.label == "attack":
                prefix = CAMPAIGN_PREFIX.get(behavior.name, behavior.name.replace("_", "-"))
                campaigns[prefix] = campaigns.get(prefix, 0) + 1
                campaign = f"{prefix}-{campaigns[prefix]}"
            rng = random.Random(f"{seed}/{spec.name}/{index}/{k}")
            streams.append(behavior.build(world, rng, size, campaign))
    return streams, cohorts_json


def _merged(streams: list[Stream], seen: set[str]) -> Iterator[dict[str, Any]]:
    def keyed(sid: int, stream: Stream) -> Iterator[tuple[int, int, int, dict[str, Any]]]:
        for i, (t, record) in enumerate(zip(stream.times, stream.records, strict=False)):
            yield t, sid, i, record

    for _t, _sid, _i, record in heapq.merge(*(keyed(sid, s) for sid, s in enumerate(streams))):
        seen.add(record["account_id"])
        yield record


def _write_traffic(path: Path, records: Iterator[dict[str, Any]], compresslevel: int,
                   progress: Callable[[int], None] | None) -> int:
    """Encode on this thread, compress on another (zlib releases the GIL): two cores, one file."""
    chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=8)
    failure: list[BaseException] = []

    def compress() -> None:
        try:
            with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw,
                                                       compresslevel=compresslevel, mtime=0) as gz:
                while (chunk := chunks.get()) is not None:
                    gz.write(chunk)
        except BaseException as exc:  # surfaced on the main thread below
            failure.append(exc)
            while chunks.get() is not None:
                pass

    worker = threading.Thread(target=compress, name="gzip-writer", daemon=True)
    worker.start()
    encode = msgspec.json.Encoder().encode_into
    buffer = bytearray()
    count = 0
    try:
        for record in records:
            encode(record, buffer, -1)
            buffer += b"\n"
            count += 1
            if len(buffer) >= 4 << 20:
                chunks.put(bytes(buffer))
                buffer.clear()
                if progress is not None:
                    progress(count)
        if buffer:
            chunks.put(bytes(buffer))
    finally:
        chunks.put(None)
        worker.join()
    if failure:
        raise failure[0]
    if progress is not None:
        progress(count)
    return count
