"""DistillBench's scenarios: each simulates at a small size, holds the attacks and look-alikes it promises,
and does what its name says (blend shares, languages, human prompts, release-day moves)."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from distillguard.errors import ConfigError
from distillguard.events import read_table
from distillguard.signals.text import language
from distillguard.sim import ATTACKS, BENCH_SCENARIOS, SCENARIOS, simulate
from distillguard.sim import phrasebook as pb
from distillguard.sim.corpora import load_corpora
from distillguard.sim.scenario import HYDRA_BLENDS

ROOT = Path(__file__).resolve().parents[2]
ACCOUNTS, DAYS, SEED = 300, 1.0, 5
ALL_ATTACKS = frozenset(cls.name for cls in ATTACKS)
BLENDS = [f"hydra-blend-{percent}" for percent in HYDRA_BLENDS]


@dataclass(frozen=True)
class Promise:
    attacks: dict[str, int]  # behaviour -> fewest accounts at ACCOUNTS; these and no other attack behaviours
    look_alikes: dict[str, int]  # benign behaviour -> fewest accounts at ACCOUNTS


_DEFAULT_ATTACKS = {name: 1 for name in ALL_ATTACKS} | {"hydra_cluster": 40}
PROMISES: dict[str, Promise] = {
    **{name: Promise(_DEFAULT_ATTACKS, {"chat_user": 100, "router_reseller": 1}) for name in BLENDS},
    "low-and-slow": Promise({"low_and_slow": 5}, {"rag_app": 3, "synthetic_data_customer": 2}),
    "multilingual-reasoning": Promise({"reasoning_harvester": 5}, {"eval_runner": 3, "synthetic_data_customer": 2}),
    "human-prompt-harvest": Promise({"human_replayer": 4, "hydra_cluster": 20},
                                    {"chat_user": 100, "router_reseller": 3}),
    "grader-harvest": Promise({"grader_harvester": 4}, {"eval_runner": 3}),
    "eval-heavy": Promise(_DEFAULT_ATTACKS, {"eval_runner": 15}),
    "router-heavy": Promise(_DEFAULT_ATTACKS, {"router_reseller": 6}),
    "release-day": Promise({"model_release_pivot": 24}, {"fast_adopter": 30, "eval_runner": 6}),
}


@dataclass(frozen=True)
class Run:
    out: Path
    table: pa.Table
    labels: dict[str, dict]

    def rows(self, behavior: str) -> pa.Table:
        ids = [a for a, t in self.labels.items() if t["behavior"] == behavior]
        return self.table.filter(pc.is_in(self.table["account_id"], pa.array(ids, pa.string())))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Run]:
    """One small simulation per scenario, shared by every test of this module."""
    cache: dict[str, Run] = {}

    def get(name: str) -> Run:
        if name not in cache:
            out = tmp_path_factory.mktemp(name)
            result = simulate(out, accounts=ACCOUNTS, days=DAYS, seed=SEED, scenario=name)
            cache[name] = Run(out, read_table([result.traffic]), json.loads(result.labels.read_text()))
        return cache[name]

    return get


@pytest.fixture(scope="module")
def human_prompts() -> frozenset[str]:
    return frozenset(load_corpora().all_human())


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_bench_scenarios_are_scenarios_in_a_fixed_order() -> None:
    assert len(set(BENCH_SCENARIOS)) == len(BENCH_SCENARIOS)
    assert set(BENCH_SCENARIOS) <= set(SCENARIOS)
    assert BENCH_SCENARIOS[:2] == ("default", "hydra-hard")
    assert set(BENCH_SCENARIOS) == {"default", "hydra-hard", *PROMISES}


def test_every_scenario_is_named_described_and_documented() -> None:
    simulator_md = (ROOT / "docs" / "simulator.md").read_text()
    simulate_md = (ROOT / "docs" / "commands" / "simulate.md").read_text()
    for name, build in SCENARIOS.items():
        spec = build()
        assert spec.name == name and len(spec.description) > 40, name
        assert f"| `{name}` |" in simulator_md, f"{name} has no row in docs/simulator.md"
        assert f"`{name}`" in simulate_md, f"{name} is not listed in docs/commands/simulate.md"


@pytest.mark.parametrize("name", sorted(PROMISES))
def test_too_few_accounts_is_a_clear_error_naming_the_minimum(name: str) -> None:
    spec = SCENARIOS[name]()
    need = spec.min_accounts()
    assert need <= ACCOUNTS
    spec.plan(need)
    with pytest.raises(ConfigError, match=f"needs at least {need} accounts"):
        spec.plan(need - 1)


def test_simulate_explains_a_too_small_run(tmp_path: Path) -> None:
    need = SCENARIOS["release-day"]().min_accounts()
    with pytest.raises(ConfigError, match=f"'release-day' needs at least {need} accounts; got --accounts 20"):
        simulate(tmp_path, accounts=20, days=1, scenario="release-day")


@pytest.mark.parametrize("name", sorted(PROMISES))
def test_scenario_holds_the_attacks_and_look_alikes_it_promises(name: str, run: Callable[[str], Run]) -> None:
    result = run(name)
    promise = PROMISES[name]
    accounts = Counter(t["behavior"] for t in result.labels.values())
    attacks = {t["behavior"] for t in result.labels.values() if t["label"] == "attack"}
    assert attacks == set(promise.attacks)
    for behavior, fewest in (promise.attacks | promise.look_alikes).items():
        assert accounts[behavior] >= fewest, (behavior, accounts[behavior])
    assert json.loads((result.out / "scenario.json").read_text())["scenario"] == name


def _camouflage_share(result: Run, human: frozenset[str]) -> float:
    """Share of hydra requests sent down HydraCluster's camouflage path: a human-corpus prompt with ordinary
    settings. Harvest requests always cap output high (max_tokens), camouflage ones never do; the prompt alone
    is not enough, because harvest requests in a language without a distillation pool use human prompts too."""
    rows = result.rows("hydra_cluster")
    prompts = rows["prompt"].to_pylist()
    capped = rows["max_tokens"].is_valid().to_pylist()
    return sum(p in human and not c for p, c in zip(prompts, capped, strict=True)) / rows.num_rows


@pytest.mark.parametrize("percent", HYDRA_BLENDS)
def test_hydra_blend_sends_its_share_of_human_prompts(percent: int, run: Callable[[str], Run],
                                                      human_prompts: frozenset[str]) -> None:
    result = run(f"hydra-blend-{percent}")
    assert result.rows("hydra_cluster").num_rows > 2000
    assert abs(_camouflage_share(result, human_prompts) - percent / 100) < 0.05


def test_hydra_blend_shares_rise_with_the_blend(run: Callable[[str], Run], human_prompts: frozenset[str]) -> None:
    shares = [_camouflage_share(run(name), human_prompts) for name in BLENDS]
    assert all(a < b for a, b in pairwise(shares)), shares


def test_multilingual_reasoning_harvests_in_many_languages(run: Callable[[str], Run]) -> None:
    rows = run("multilingual-reasoning").rows("reasoning_harvester")
    counts = Counter(language(rows["prompt"]).to_pylist())
    common = {lang for lang, n in counts.items() if lang not in ("en", "und") and n >= 0.01 * rows.num_rows}
    assert len(common) >= 4, counts
    assert pc.all(pc.equal(rows["reasoning_effort"], "high")).as_py()


def test_human_prompt_harvest_draws_every_prompt_from_human_corpora(run: Callable[[str], Run],
                                                                    human_prompts: frozenset[str]) -> None:
    result = run("human-prompt-harvest")
    replayed = result.rows("human_replayer")["prompt"].to_pylist()
    assert replayed and all(p in human_prompts for p in replayed)
    hydra = result.rows("hydra_cluster")
    assert pc.max(hydra["tools"]).as_py() == 0  # no agentic style: its tasks are not human prompts
    harvest = hydra.filter(hydra["max_tokens"].is_valid())["prompt"].to_pylist()
    assert len(harvest) > 1000
    sample = harvest[:: len(harvest) // 150]  # wrapped for reasoning or a rewrite, or sent as it is
    assert all(p in human_prompts or any(h in p for h in human_prompts) for p in sample)


def test_grader_harvest_look_alikes_run_llm_as_judge(run: Callable[[str], Run]) -> None:
    result = run("grader-harvest")
    heads = tuple(head for t in pb.RUBRIC_TEMPLATES if len(head := t.split("{", 1)[0]) >= 10)
    for behavior, least in (("grader_harvester", 0.5), ("eval_runner", 0.3)):
        prompts = result.rows(behavior)["prompt"].to_pylist()
        assert sum(p.startswith(heads) for p in prompts) >= least * len(prompts), behavior


def test_release_day_look_alikes_move_to_the_new_model_within_hours(run: Callable[[str], Run]) -> None:
    result = run("release-day")
    table = result.table
    release: datetime = pc.min(pc.filter(table["timestamp"], pc.equal(table["model"], "frontier-2"))).as_py()
    soon = pa.scalar(release + timedelta(hours=6.5), table["timestamp"].type)
    for behavior, least in (("eval_runner", 1.0), ("fast_adopter", 0.8), ("model_release_pivot", 0.8)):
        rows = result.rows(behavior)
        early = rows.filter(pc.and_(pc.equal(rows["model"], "frontier-2"), pc.less(rows["timestamp"], soon)))
        moved = pc.count_distinct(early["account_id"]).as_py()
        assert moved >= least * pc.count_distinct(rows["account_id"]).as_py(), behavior
    campaigns = {t["campaign"] for t in result.labels.values() if t["behavior"] == "model_release_pivot"}
    assert len(campaigns) == 3


def test_eval_and_router_heavy_scenarios_are_heavy_in_them(run: Callable[[str], Run]) -> None:
    for name, behavior, least in (("eval-heavy", "eval_runner", 0.15), ("router-heavy", "router_reseller", 0.2)):
        result = run(name)
        assert result.rows(behavior).num_rows >= least * result.table.num_rows, name


def test_a_bench_scenario_writes_the_same_bytes_for_the_same_seed(run: Callable[[str], Run], tmp_path: Path) -> None:
    first = run("grader-harvest").out
    simulate(tmp_path, accounts=ACCOUNTS, days=DAYS, seed=SEED, scenario="grader-harvest")
    for name in ("traffic.jsonl.gz", "labels.json", "scenario.json"):
        assert _sha(first / name) == _sha(tmp_path / name), name
