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
                f"scenario {self.name!r} needs at least {self.min_accounts()} accounts; got --accounts {accounts}")
        out.append((None, self.filler, accounts - used, 1))
        return out

    def cohort_accounts(self, accounts: int) -> int:
        """Accounts the cohorts take (the filler gets the rest) when the scenario has ``accounts`` in total."""
        total = 0
        for cohort in self.cohorts:
            size = max(cohort.min_accounts, round(cohort.share * accounts))
            total += cohort.groups * size if cohort.behavior.group else size
        return total

    def min_accounts(self) -> int:
        """The fewest accounts the scenario runs with: every cohort at its minimum size, or more."""
        n = self.cohort_accounts(1)
        while (need := self.cohort_accounts(n)) > n:  # shares sum to well under 1, so this settles quickly
            n = need
        return n


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


# -- DistillBench scenarios ----------------------------------------------------------------------------
# Two kinds: the default population with one thing changed (hydra-blend-*, eval-heavy, router-heavy), and
# focused ones (low-and-slow, multilingual-reasoning, human-prompt-harvest, grader-harvest, release-day):
# the default benign population with that attack's look-alikes made more common, and that attack as the
# only one, several accounts strong, so a detector's figures on it are about that attack alone.

HARVEST_LANGS: Final = ("en", "zh", "ru", "es", "ja", "ko", "de", "fr", "pt", "ar", "hi", "it", "tr", "vi")
HYDRA_BLENDS: Final = (10, 30, 50, 70, 90)


def _swap(cohorts: tuple[Cohort, ...], behavior: str, new: Cohort) -> tuple[Cohort, ...]:
    """``cohorts`` with the cohort running ``behavior`` replaced by ``new``, in its place."""
    if not any(c.behavior.name == behavior for c in cohorts):
        raise ValueError(f"no {behavior} cohort to replace")
    return tuple(new if c.behavior.name == behavior else c for c in cohorts)


def _benign_cohorts() -> tuple[Cohort, ...]:
    return tuple(c for c in _default().cohorts if c.behavior.label == "benign")


def _hydra_blend(percent: int) -> Callable[[], Scenario]:
    def build() -> Scenario:
        low, high = (percent - 2) / 100, (percent + 2) / 100
        base = _default()
        hydra = Cohort(HydraCluster(blend=(low, high)), 0.05, groups=2, min_accounts=20)
        return Scenario(
            name=f"hydra-blend-{percent}",
            description=f"The default population, but the hydra clusters blend {percent}% human prompts into their "
            f"traffic (each cluster {percent - 2}-{percent + 2}%, drawn per cluster).",
            cohorts=_swap(base.cohorts, "hydra_cluster", hydra),
            filler=base.filler,
        )

    return build


def _low_and_slow() -> Scenario:
    cohorts = _swap(_benign_cohorts(), "rag_app", Cohort(RagApp(requests_per_day=(100, 1200)), 0.015, min_accounts=3))
    cohorts = _swap(cohorts, "synthetic_data_customer",
                    Cohort(SyntheticDataCustomer(requests_per_day=(500, 3000)), 0.004, min_accounts=2))
    return Scenario(
        name="low-and-slow",
        description="The default benign population with more RAG apps (1.5%) and synthetic-data customers (0.4%), "
        "and low-and-slow harvesters as the only attack: accounts on a 1,000-a-day quota (0.3%) and on a "
        "300-a-day quota (0.2%), each just under its limit round the clock.",
        cohorts=(
            *cohorts,
            Cohort(LowAndSlow(), 0.003, min_accounts=3),
            Cohort(LowAndSlow(daily_limit=300, utilisation=(0.85, 0.97)), 0.002, min_accounts=2),
        ),
        filler=ChatUser(),
    )


def _multilingual_reasoning() -> Scenario:
    cohorts = _swap(_benign_cohorts(), "eval_runner", Cohort(EvalRunner(run_size=(100, 1200)), 0.015, min_accounts=3))
    cohorts = _swap(cohorts, "synthetic_data_customer",
                    Cohort(SyntheticDataCustomer(requests_per_day=(500, 3000)), 0.004, min_accounts=2))
    cohorts = _swap(cohorts, "router_reseller",
                    Cohort(RouterReseller(requests_per_day=(800, 4000)), 0.003, min_accounts=2))
    return Scenario(
        name="multilingual-reasoning",
        description="The default benign population with more eval runners (1.5%), synthetic-data customers (0.4%) "
        "and routers (0.3%), and reasoning-trace harvesters (0.5%) as the only attack, each coercing "
        f"reasoning in {len(HARVEST_LANGS)} languages (prompts and wrappers).",
        cohorts=(*cohorts, Cohort(ReasoningHarvester(langs=HARVEST_LANGS), 0.005, min_accounts=5)),
        filler=ChatUser(),
    )


def _human_prompt_harvest() -> Scenario:
    cohorts = _swap(_benign_cohorts(), "router_reseller",
                    Cohort(RouterReseller(requests_per_day=(800, 4000)), 0.004, min_accounts=3))
    hydra = HydraCluster(styles={"distill": 0.6, "cot": 0.25, "rewrite": 0.15}, harvest_pool="human")
    return Scenario(
        name="human-prompt-harvest",
        description="The default benign population (chat users for the rest) with more routers (0.4%), and harvesting "
        "with real human prompts as the only attack: human-prompt replayers (0.4%) and a hydra cluster (5%) "
        "whose harvest prompts all come from human corpora too (asked plainly, for reasoning, or for rewrites).",
        cohorts=(
            *cohorts,
            Cohort(HumanReplayer(), 0.004, min_accounts=4),
            Cohort(hydra, 0.05, min_accounts=20),
        ),
        filler=ChatUser(),
    )


def _grader_harvest() -> Scenario:
    evals = Cohort(EvalRunner(run_size=(100, 1200), judge_share=0.7), 0.015, min_accounts=3)
    return Scenario(
        name="grader-harvest",
        description="The default benign population with more eval runners (1.5%), most of whose runs are "
        "LLM-as-judge rubric runs, and grader/rubric harvesters (0.4%) as the only attack.",
        cohorts=(*_swap(_benign_cohorts(), "eval_runner", evals), Cohort(GraderHarvester(), 0.004, min_accounts=4)),
        filler=ChatUser(),
    )


def _eval_heavy() -> Scenario:
    base = _default()
    return Scenario(
        name="eval-heavy",
        description="The default population and attacks, but 7% of accounts are eval runners (default 0.8%): "
        "step-by-step benchmark runs, pass@k and LLM-as-judge runs in large bursts.",
        cohorts=_swap(base.cohorts, "eval_runner", Cohort(EvalRunner(run_size=(100, 1200)), 0.07)),
        filler=base.filler,
    )


def _router_heavy() -> Scenario:
    base = _default()
    return Scenario(
        name="router-heavy",
        description="The default population and attacks, but 3% of accounts are routers and resellers (default "
        "0.15%): thousands of end users in every language behind a few keys and server addresses.",
        cohorts=_swap(base.cohorts, "router_reseller", Cohort(RouterReseller(requests_per_day=(800, 4000)), 0.03)),
        filler=base.filler,
    )


def _release_day() -> Scenario:
    cohorts = _swap(_benign_cohorts(), "fast_adopter",
                    Cohort(FastAdopter(switch_hours=(0.25, 6), trial_burst=(40, 200)), 0.12))
    evals = EvalRunner(run_size=(100, 1200), release_hours=(0.5, 6))
    cohorts = _swap(cohorts, "eval_runner", Cohort(evals, 0.03, min_accounts=3))
    return Scenario(
        name="release-day",
        description="A model-release day: the default benign population with three times the fast adopters (12%), "
        "switching within 6 hours of the release, and 3% eval runners that each run their split on the new "
        "model within 6 hours; three release-pivot clusters (1% each) as the only attack.",
        cohorts=(*cohorts, Cohort(ModelReleasePivot(), 0.01, groups=3, min_accounts=8)),
        filler=ChatUser(),
    )


SCENARIOS: Final[dict[str, Callable[[], Scenario]]] = {
    "default": _default,
    "benign-only": _benign_only,
    "hydra-hard": _hydra_hard,
    **{f"hydra-blend-{percent}": _hydra_blend(percent) for percent in HYDRA_BLENDS},
    "low-and-slow": _low_and_slow,
    "multilingual-reasoning": _multilingual_reasoning,
    "human-prompt-harvest": _human_prompt_harvest,
    "grader-harvest": _grader_harvest,
    "eval-heavy": _eval_heavy,
    "router-heavy": _router_heavy,
    "release-day": _release_day,
}

# The scenarios DistillBench runs, in the order its tables show them (benign-only has no attacker to rank).
BENCH_SCENARIOS: Final[tuple[str, ...]] = (
    "default",
    "hydra-hard",
    *(f"hydra-blend-{percent}" for percent in HYDRA_BLENDS),
    "low-and-slow",
    "multilingual-reasoning",
    "human-prompt-harvest",
    "grader-harvest",
    "eval-heavy",
    "router-heavy",
    "release-day",
)


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
