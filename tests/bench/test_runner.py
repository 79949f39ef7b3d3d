"""DistillBench runner end to end on tiny logs: every figure is computed, written and reproducible."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from distillguard.bench.detectors import Scores
from distillguard.bench.runner import BenchConfig, evaluate, roc_curve, run_bench
from distillguard.cli import main
from distillguard.errors import ConfigError

TINY = {"size": "small", "accounts": 120, "days": 0.5}


def test_roc_curve_runs_from_origin_to_one_and_ties_move_together() -> None:
    scores = np.array([0.9, 0.8, 0.8, 0.1])
    labels = np.array([1, 1, 0, 0])
    assert roc_curve(scores, labels) == [[0.0, 0.0], [0.0, 0.5], [0.5, 1.0], [1.0, 1.0]]


def test_evaluate_counts_unscored_accounts_as_lowest_and_measures_behaviours() -> None:
    truth = {
        "a1": {"label": "attack", "campaign": "hydra-1", "behavior": "hydra_cluster"},
        "a2": {"label": "attack", "campaign": "hydra-1", "behavior": "hydra_cluster"},
        "b1": {"label": "benign", "campaign": None, "behavior": "eval_runner"},
        "b2": {"label": "benign", "campaign": None, "behavior": "chat_user"},
    }
    row = evaluate(Scores(accounts={"a1": 3.0, "b1": 2.0, "b2": 1.0}, clusters=[["a1", "b1"]]), truth)
    assert row["auroc"] == pytest.approx(0.5)  # a1 above both benign, a2 (unscored) below both
    # Catching 90% of two attackers means catching a2 too, at the bottom: every benign account is flagged.
    assert row["recall_by_attack_at_tpr_90pct"]["hydra_cluster"]["recall"] == 1.0
    assert row["fpr_at_tpr_90pct"] == 1.0 and row["fpr_by_benign_at_tpr_90pct"]["eval_runner"]["fpr"] == 1.0
    assert row["clusters"]["member_recall"] == 0.5 and row["clusters"]["purity"] == 0.5
    row = evaluate(Scores(accounts={"a1": 3.0, "a2": 2.5, "b1": 2.5, "b2": 1.0}), truth)
    assert row["fpr_at_tpr_90pct"] == 0.5  # b1 ties with a2, and a tie counts against the detector
    assert row["fpr_by_benign_at_tpr_90pct"]["chat_user"]["fpr"] == 0.0
    assert "clusters" not in evaluate(Scores(accounts={"a1": 1.0}), truth)


def test_config_rejects_unknown_names_and_seeds_used_twice() -> None:
    with pytest.raises(ConfigError, match="unknown scenario"):
        BenchConfig(scenarios=("nope",)).validate()
    with pytest.raises(ConfigError, match=r"unknown detector.*choose from"):
        BenchConfig(detectors=("nope",)).validate()
    with pytest.raises(ConfigError, match="both held-out and tuning"):
        BenchConfig(seeds=(101,), tuning_seeds=(101,)).validate()


@pytest.fixture(scope="module")
def bench_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("bench")
    config = BenchConfig(scenarios=("default", "hydra-blend-90"), detectors=("volume", "keywords", "distillguard"),
                         seeds=(201,), tuning_seeds=(101,), **TINY)  # type: ignore[arg-type]
    run_bench(config, out)
    return out


def test_bench_writes_every_figure_for_every_scenario_detector_and_seed(bench_dir: Path) -> None:
    data = json.loads((bench_dir / "bench.json").read_text())
    runs = data["runs"]
    assert {(r["scenario"], r["detector"], r["seed"], r["seed_kind"]) for r in runs} == {
        (s, d, seed, kind) for s in ("default", "hydra-blend-90") for d in ("volume", "keywords", "distillguard")
        for seed, kind in ((201, "held-out"), (101, "tuning"))}
    for r in runs:
        assert 0.0 <= r["auroc"] <= 1.0 and r["events"] > 0 and r["events_per_second"] > 0
        assert r["roc"][0] == [0.0, 0.0] and r["roc"][-1] == [1.0, 1.0]
        assert ("clusters" in r) == (r["detector"] == "distillguard")
    assert data["config"]["accounts"] == 120 and data["config"]["reference_offset"] > 0
    enforcement = {(e["scenario"], e["seed"]): e for e in data["enforcement"]}
    assert set(enforcement) == {(s, seed) for s in ("default", "hydra-blend-90") for seed in (201, 101)}
    for e in enforcement.values():
        assert sum(e["actions"].values()) == e["events"] and e["benign_blocked_share"] <= 0.01
        assert 0.0 <= e["attack"]["hydra_cluster"]["served_before_block"] <= 1.0
    page = (bench_dir / "roc.html").read_text()
    assert page.count("<svg") == 4 and "<script" not in page


def test_distillguard_outranks_a_volume_threshold_on_the_default_scenario(bench_dir: Path) -> None:
    runs = json.loads((bench_dir / "bench.json").read_text())["runs"]
    held = {r["detector"]: r for r in runs if r["scenario"] == "default" and r["seed_kind"] == "held-out"}
    assert held["distillguard"]["auroc"] > held["volume"]["auroc"]


def test_logs_are_reused_when_the_configuration_matches(bench_dir: Path) -> None:
    logs = sorted((bench_dir / "logs").iterdir())
    stamps = {p.name: (p / "traffic.jsonl.gz").stat().st_mtime_ns for p in logs}
    config = BenchConfig(scenarios=("default",), detectors=("volume",), seeds=(201,), tuning_seeds=(),
                         enforcement=False, **TINY)  # type: ignore[arg-type]
    run_bench(config, bench_dir / "again")  # a different out dir simulates afresh...
    run_bench(config, bench_dir)  # ...the same one reuses
    assert {p.name: (p / "traffic.jsonl.gz").stat().st_mtime_ns for p in logs} == stamps


def test_cli_prints_the_table_and_rejects_bad_names(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["bench", "--out", str(tmp_path), "--scenarios", "default", "--detectors",
                                  "volume,keywords", "--no-tuning", "--no-enforcement", "--accounts", "120",
                                  "--days", "0.5", "-q"])
    assert result.exit_code == 0, result.output
    assert "volume" in result.output and "AUROC" in result.output and (tmp_path / "bench.json").is_file()
    bad = runner.invoke(main, ["bench", "--out", str(tmp_path), "--detectors", "nope"])
    assert bad.exit_code == 2 and "unknown detector" in bad.output
