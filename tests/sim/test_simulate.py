"""The traffic simulator: determinism, the log contract, labels, and the shape of each behaviour."""

from __future__ import annotations

import hashlib
import inspect
import json
import re
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.errors import ConfigError
from distillguard.events import ReadReport, read_table
from distillguard.sim import ATTACKS, BENIGN, simulate
from distillguard.sim import attacks as attacks_module
from distillguard.sim.corpora import load_corpora

SHARED_PROMPTS = Path(__file__).resolve().parents[3] / "shared" / "data" / "prompts"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, dict[str, dict], ReadReport, dict]:
    out = tmp_path_factory.mktemp("sim")
    simulate(out, accounts=300, days=1.5, seed=3)
    report = ReadReport()
    table = read_table([out / "traffic.jsonl.gz"], report=report)
    labels = json.loads((out / "labels.json").read_text())
    scenario = json.loads((out / "scenario.json").read_text())
    return table, labels, report, scenario


def _rows(table: pa.Table, labels: dict[str, dict], behavior: str) -> pa.Table:
    ids = [a for a, t in labels.items() if t["behavior"] == behavior]
    return table.filter(pc.is_in(table["account_id"], pa.array(ids)))


def test_same_seed_writes_the_same_bytes(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    simulate(a, accounts=120, days=1, seed=11)
    simulate(b, accounts=120, days=1, seed=11)
    for name in ("traffic.jsonl.gz", "labels.json", "scenario.json"):
        assert _sha(a / name) == _sha(b / name), name


def test_another_seed_writes_other_traffic(tmp_path: Path) -> None:
    simulate(tmp_path / "a", accounts=120, days=1, seed=11)
    simulate(tmp_path / "b", accounts=120, days=1, seed=12)
    assert _sha(tmp_path / "a" / "traffic.jsonl.gz") != _sha(tmp_path / "b" / "traffic.jsonl.gz")


def test_every_line_meets_the_log_contract_and_is_sorted_by_time(population) -> None:
    table, _, report, scenario = population
    assert report.bad == 0 and report.good == table.num_rows == scenario["events"] > 10_000
    ts = table["timestamp"].to_numpy()
    assert (ts[1:] >= ts[:-1]).all()
    assert pc.count_distinct(table["request_id"]).as_py() == table.num_rows
    for column in ("ip", "asn", "country", "user_agent", "payment_fingerprint", "account_created",
                   "signup_channel", "endpoint", "model", "org_id", "api_key_id"):
        assert table[column].null_count == 0, column


def test_labels_cover_exactly_the_accounts_in_the_traffic(population) -> None:
    table, labels, _, _ = population
    assert set(labels) == set(pc.unique(table["account_id"]).to_pylist())
    assert {t["label"] for t in labels.values()} == {"attack", "benign"}
    for truth in labels.values():
        assert (truth["campaign"] is None) == (truth["label"] == "benign")


def test_the_default_scenario_runs_every_behaviour(population) -> None:
    _, labels, _, _ = population
    seen = {t["behavior"] for t in labels.values()}
    assert seen == {cls.name for cls in (*BENIGN, *ATTACKS)}


def test_hydra_clusters_share_infrastructure_and_spread_thin(population) -> None:
    table, labels, _, _ = population
    rows = _rows(table, labels, "hydra_cluster")
    by_campaign: dict[str, list[str]] = defaultdict(list)
    for account, truth in labels.items():
        if truth["behavior"] == "hydra_cluster":
            by_campaign[truth["campaign"]].append(account)
    assert len(by_campaign) == 2
    for members in by_campaign.values():
        member_rows = rows.filter(pc.is_in(rows["account_id"], pa.array(members)))
        per_account = Counter(member_rows["account_id"].to_pylist())
        assert len(members) >= 20
        assert 40 <= sorted(per_account.values())[len(per_account) // 2] <= 1500  # a few hundred each
        assert pc.count_distinct(member_rows["user_agent"]).as_py() == 1
        payments = Counter(dict(zip(member_rows["account_id"].to_pylist(),
                                    member_rows["payment_fingerprint"].to_pylist(), strict=True)).values())
        assert max(payments.values()) >= 2  # some members pay with the same card
        accounts_per_ip: dict[str, set[str]] = defaultdict(set)
        for ip, account in zip(member_rows["ip"].to_pylist(), member_rows["account_id"].to_pylist(), strict=True):
            accounts_per_ip[ip].add(account)
        assert max(len(v) for v in accounts_per_ip.values()) >= 2  # proxy pool shared across members


def test_hydra_blends_human_prompts_with_harvesting(population) -> None:
    table, labels, _, _ = population
    rows = _rows(table, labels, "hydra_cluster")
    human = set(load_corpora().all_human())
    share = sum(p in human for p in rows["prompt"].to_pylist()) / rows.num_rows
    assert 0.15 < share < 0.85


def test_pivot_cluster_moves_to_the_new_model_within_a_day(population) -> None:
    table, labels, _, scenario = population
    rows = _rows(table, labels, "model_release_pivot")
    release = pc.min(pc.filter(table["timestamp"], pc.equal(table["model"], "frontier-2"))).as_py()
    declared = scenario["model_release"]
    assert release.isoformat().startswith(declared[:13])
    on_new = rows.filter(pc.equal(rows["model"], "frontier-2"))
    assert on_new.num_rows > 0
    assert pc.min(on_new["timestamp"]).as_py() - release < timedelta(hours=24)
    after = rows.filter(pc.greater(rows["timestamp"], pa.scalar(release + timedelta(hours=24), rows["timestamp"].type)))
    if after.num_rows:
        assert pc.sum(pc.equal(after["model"], "frontier-2")).as_py() / after.num_rows > 0.4


def test_rag_requests_carry_kilobytes_of_retrieved_context(population) -> None:
    table, labels, _, _ = population
    rows = _rows(table, labels, "rag_app")
    assert pc.approximate_median(rows["context_chars"]).as_py() > 1500
    assert pc.count_distinct(rows["end_user"]).as_py() > 20  # many end users behind one account


def test_multi_turn_chats_resend_earlier_turns(population) -> None:
    table, labels, _, _ = population
    rows = _rows(table, labels, "chat_user")
    deep = rows.filter(pc.greater_equal(rows["turns"], 2))
    assert deep.num_rows > 0.1 * rows.num_rows
    prompt_len = pc.utf8_length(deep["prompt"])
    assert pc.all(pc.greater(deep["context_chars"], prompt_len)).as_py()


def test_reasoning_harvesters_coerce_in_many_languages(population) -> None:
    table, labels, _, _ = population
    rows = _rows(table, labels, "reasoning_harvester")
    scripts = {
        "cjk": r"[\u4e00-\u9fff]", "cyrillic": r"[\u0400-\u04ff]", "hangul": r"[\uac00-\ud7af]",
        "arabic": r"[\u0600-\u06ff]", "devanagari": r"[\u0900-\u097f]", "kana": r"[\u3040-\u30ff]",
        "latin-ext": r"[à-öø-ÿğışçœ]",
    }
    prompts = rows["prompt"].to_pylist()
    found = {name for name, pattern in scripts.items() if any(re.search(pattern, p) for p in prompts)}
    assert len(found) >= 2, found
    assert pc.all(pc.equal(rows["reasoning_effort"], "high")).as_py()


def test_eval_runners_look_like_reasoning_harvesters_on_content(population) -> None:
    table, labels, _, _ = population
    rows = _rows(table, labels, "eval_runner")
    assert rows.num_rows > 100
    benchmark = load_corpora().benchmark_pool()
    prompts = rows["prompt"].to_pylist()
    # Every eval prompt carries a benchmark item (GSM8K here), wrapped for step-by-step or judging.
    sample = prompts[:300]
    assert sum(any(item in p for item in benchmark) for p in sample) == len(sample)
    greedy = rows.filter(pc.is_valid(rows["seed"]))
    assert pc.all(pc.equal(greedy["temperature"], 0)).as_py()


def test_responses_have_realistic_lengths_and_reasoning_tokens(population) -> None:
    table, _, _, _ = population
    ok = table.filter(pc.equal(table["status"], 200))
    assert 500 < pc.mean(ok["response_chars"]).as_py() < 8000
    reasoning = ok.filter(pc.not_equal(ok["model"], "frontier-1-mini"))
    assert pc.mean(reasoning["reasoning_tokens"]).as_py() > 100
    mini = ok.filter(pc.equal(ok["model"], "frontier-1-mini"))
    assert pc.max(mini["reasoning_tokens"]).as_py() == 0
    assert pc.sum(pc.not_equal(table["status"], 200)).as_py() > 0  # some errors, as in real logs


def test_every_attack_documents_a_benign_look_alike_that_exists() -> None:
    doc = inspect.getdoc(attacks_module) or ""
    benign_names = {cls.name for cls in BENIGN}
    for cls in ATTACKS:
        line = next((ln for ln in doc.splitlines() if ln.startswith(cls.name + " ")), None)
        assert line is not None, f"{cls.name} has no row in the look-alike table"
        assert any(name in line for name in benign_names), cls.name


def test_every_behaviour_is_documented_and_parameterised() -> None:
    for cls in (*BENIGN, *ATTACKS):
        assert cls.__doc__ and "look-alike" in cls.__doc__.lower(), cls.name
        params = cls().params()
        assert params, cls.name
        json.dumps(params)


def test_low_and_slow_stays_just_under_its_daily_limit(population) -> None:
    table, labels, _, _ = population
    rows = _rows(table, labels, "low_and_slow")
    first_day = rows.filter(pc.less(rows["timestamp"], pa.scalar(
        pc.min(table["timestamp"]).as_py() + timedelta(days=1), rows["timestamp"].type)))
    per_account = Counter(first_day["account_id"].to_pylist())
    assert per_account and all(850 <= n < 1000 for n in per_account.values())


def test_too_few_accounts_for_the_scenario_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs at least"):
        simulate(tmp_path, accounts=10, days=1)


def test_a_directory_without_corpora_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"no \*\.jsonl"):
        load_corpora(tmp_path)


def test_a_malformed_corpus_line_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "x.jsonl").write_text('{"prompt": "hi", "kind": "human"}\n{"oops": 1}\n')
    with pytest.raises(ConfigError, match=r"x.jsonl:2"):
        load_corpora(tmp_path)


@pytest.mark.skipif(not SHARED_PROMPTS.is_dir(), reason="shared prompt corpora not present")
def test_simulates_from_the_shared_corpora(tmp_path: Path) -> None:
    corpora = load_corpora(SHARED_PROMPTS)
    assert {"en", "zh", "ru"} <= set(corpora.human_langs())
    assert corpora.conversations and corpora.benchmark and corpora.code
    result = simulate(tmp_path, accounts=150, days=1, seed=2, corpora=SHARED_PROMPTS)
    report = ReadReport()
    table = read_table([result.traffic], report=report)
    assert report.bad == 0 and table.num_rows == result.events
    assert json.loads((tmp_path / "scenario.json").read_text())["corpus_files"].keys() >= {"gsm8k.jsonl.gz"}


def test_cli_simulate_writes_outputs_and_rejects_bad_options(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["simulate", "--accounts", "100", "--days", "0.5", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert "events from" in result.output and (tmp_path / "traffic.jsonl.gz").exists()
    bad = runner.invoke(main, ["simulate", "--days", "0", "--out", str(tmp_path)])
    assert bad.exit_code == 2 and "--days" in bad.output


def test_cli_offers_every_scenario() -> None:
    from distillguard.sim import SCENARIOS

    option = next(p for p in main.commands["simulate"].params if p.name == "scenario")
    assert sorted(option.type.choices) == sorted(SCENARIOS)


def test_hydra_hard_members_share_neither_cards_nor_many_addresses(tmp_path: Path) -> None:
    result = simulate(tmp_path, accounts=400, days=1, seed=8, scenario="hydra-hard")
    table = read_table([result.traffic])
    labels = json.loads(result.labels.read_text())
    rows = _rows(table, labels, "hydra_cluster")
    cards = Counter(dict(zip(rows["account_id"].to_pylist(), rows["payment_fingerprint"].to_pylist(),
                             strict=True)).values())
    assert max(cards.values()) == 1
    accounts_per_ip: dict[str, set[str]] = defaultdict(set)
    for ip, account in zip(rows["ip"].to_pylist(), rows["account_id"].to_pylist(), strict=True):
        accounts_per_ip[ip].add(account)
    assert sum(len(v) > 1 for v in accounts_per_ip.values()) / len(accounts_per_ip) < 0.2
