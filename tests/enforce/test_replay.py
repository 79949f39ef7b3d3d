"""Replay: decisions.jsonl in the contract's shape, one per request, in time order, never peeking ahead."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.enforce.policy import Policy, Window
from distillguard.enforce.replay import enforcement_outcomes, replay
from distillguard.sim import simulate

POLICY = Policy(window=Window(hours=6, refresh_seconds=1800, min_requests=8))


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim")
    simulate(out, accounts=100, days=1, seed=11)
    return out


@pytest.fixture(scope="module")
def decisions(sim: Path, tmp_path_factory: pytest.TempPathFactory) -> list[dict]:
    out = tmp_path_factory.mktemp("replay")
    replay([sim / "traffic.jsonl.gz"], out, policy=POLICY)
    return [json.loads(line) for line in (out / "decisions.jsonl").open()]


def test_one_decision_per_request_in_time_order_with_the_contract_fields(sim: Path, decisions: list[dict]) -> None:
    with gzip.open(sim / "traffic.jsonl.gz", "rt") as f:
        lines = [json.loads(line) for line in f]
    assert [d["request_id"] for d in decisions] == [x["request_id"] for x in lines]  # the sim's log is time-sorted
    for d in decisions:
        assert {"request_id", "account_id", "action", "score", "reasons"} <= set(d)
        assert d["action"] in ("allow", "throttle", "degrade", "block") and isinstance(d["reasons"], list)


def test_a_decision_does_not_change_when_the_future_is_cut_off(sim: Path, decisions: list[dict],
                                                               tmp_path: Path) -> None:
    with gzip.open(sim / "traffic.jsonl.gz", "rb") as f:
        lines = f.read().splitlines()
    half = tmp_path / "half.jsonl"
    half.write_bytes(b"\n".join(lines[: len(lines) // 2]) + b"\n")
    replay([half], tmp_path / "out", policy=POLICY)
    cut = [json.loads(line) for line in (tmp_path / "out" / "decisions.jsonl").open()]
    strip = [{k: v for k, v in d.items() if k != "reference"} for d in cut]
    full = [{k: v for k, v in d.items() if k != "reference"} for d in decisions[: len(cut)]]
    assert strip == full


def test_harvesters_are_stopped_and_benign_traffic_is_not_blocked(sim: Path, decisions: list[dict]) -> None:
    truth = json.loads((sim / "labels.json").read_text())
    blocked_attackers = {d["account_id"] for d in decisions if d["action"] == "block"
                         and truth[d["account_id"]]["label"] == "attack"}
    blocked_benign = [d for d in decisions if d["action"] == "block" and truth[d["account_id"]]["label"] == "benign"]
    assert len(blocked_attackers) >= 10 and not blocked_benign
    outcomes = enforcement_outcomes_from(decisions, truth, sim)
    assert outcomes["attack"]["hydra_cluster"]["served_before_block"] < 0.5
    assert outcomes["benign_blocked_share"] == 0.0


def enforcement_outcomes_from(decisions: list[dict], truth: dict, sim: Path) -> dict:
    path = sim / "decisions_copy.jsonl"
    path.write_text("".join(json.dumps(d) + "\n" for d in decisions))
    return enforcement_outcomes(path, truth)


def test_cli_replays_and_reports_actions(sim: Path, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text("window: {refresh_seconds: 1800}\nlists: {block_accounts: [nobody]}\n")
    result = CliRunner().invoke(main, ["replay", str(sim / "traffic.jsonl.gz"), "--out", str(tmp_path / "r"),
                                       "--policy", str(policy), "-q"])
    assert result.exit_code == 0, result.output
    assert "actions:" in result.output and (tmp_path / "r" / "decisions.jsonl").is_file()
    bad = CliRunner().invoke(main, ["replay", str(sim / "labels.json"), "--out", str(tmp_path / "x"), "-q"])
    assert bad.exit_code == 1 and "no line is a valid log event" in str(bad.exception)
