"""distillguard scan end to end: real simulated logs in, contract outputs out."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.engines.local import Thresholds, analyse, scan
from distillguard.errors import ConfigError, LogReadError
from distillguard.scoring.atlas import TECHNIQUES
from distillguard.sim import simulate

VERDICTS = {"allow", "review", "block"}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, list[dict], list[dict], dict]:
    root = tmp_path_factory.mktemp("scan")
    sim = simulate(root / "sim", accounts=400, days=2, seed=21)
    summary = scan([sim.traffic], root / "out")
    accounts = [json.loads(line) for line in (root / "out" / "accounts.jsonl").open()]
    clusters = [json.loads(line) for line in (root / "out" / "clusters.jsonl").open()]
    truth = json.loads(sim.labels.read_text())
    return root, summary, accounts, clusters, truth


def test_accounts_jsonl_has_one_contract_row_per_account_seen(scanned) -> None:
    _, summary, accounts, _, truth = scanned
    assert {a["account_id"] for a in accounts} == set(truth)
    assert summary["accounts"] == len(accounts) and summary["events"] == sum(a["requests"] for a in accounts)
    for a in accounts:
        assert set(a) >= {"account_id", "score", "verdict", "cluster_id", "requests", "evidence", "atlas"}
        assert 0.0 <= a["score"] <= 1.0 and a["verdict"] in VERDICTS
        assert all(set(e) >= {"signal", "value", "detail"} for e in a["evidence"])
        assert all(t in TECHNIQUES for t in a["atlas"])
        assert (a["verdict"] == "allow") == (a["atlas"] == [])
    scores = [a["score"] for a in accounts]
    assert scores == sorted(scores, reverse=True)


def test_clusters_jsonl_rows_and_members_agree(scanned) -> None:
    _, _, accounts, clusters, _ = scanned
    cluster_of = {a["account_id"]: a["cluster_id"] for a in accounts}
    for c in clusters:
        assert set(c) >= {"cluster_id", "accounts", "score", "evidence", "atlas"}
        assert len(c["accounts"]) >= 2
        assert all(cluster_of[m] == c["cluster_id"] for m in c["accounts"])
        assert c["links"] and c["timeline"]
    in_clusters = sum(len(c["accounts"]) for c in clusters)
    assert in_clusters == sum(1 for v in cluster_of.values() if v is not None)


def test_hydra_members_are_caught_through_their_cluster(scanned) -> None:
    _, _, accounts, clusters, truth = scanned
    flagged = {a["account_id"] for a in accounts if a["verdict"] != "allow"}
    hydra = {a for a, t in truth.items() if t["behavior"] == "hydra_cluster"}
    assert len(hydra & flagged) / len(hydra) >= 0.95
    top = clusters[0]
    assert top["verdict"] == "block" and "AML.T0021" in top["atlas"]
    campaigns = {truth[m]["campaign"] for m in top["accounts"]}
    assert len(campaigns) == 1 and campaigns <= {"hydra-1", "hydra-2", "pivot-1"}


def test_every_evidence_sentence_carries_its_number(scanned) -> None:
    _, _, accounts, _, _ = scanned
    flagged = [a for a in accounts if a["verdict"] != "allow"]
    assert flagged
    for a in flagged[:50]:
        assert a["evidence"], a["account_id"]
        for e in a["evidence"]:
            assert any(ch.isdigit() for ch in e["detail"]), e


def test_benign_look_alikes_are_not_blocked(scanned) -> None:
    _, _, accounts, _, truth = scanned
    blocked = [a["account_id"] for a in accounts if a["verdict"] == "block"]
    benign_blocked = [a for a in blocked if truth[a]["label"] == "benign"]
    assert len(benign_blocked) <= 0.01 * sum(1 for t in truth.values() if t["label"] == "benign")


def test_report_and_summary_are_written(scanned) -> None:
    root, summary, _, _, _ = scanned
    html = (root / "out" / "report.html").read_text()
    assert html.startswith("<!DOCTYPE html>") and "AML.T0040" in html
    on_disk = json.loads((root / "out" / "summary.json").read_text())
    assert on_disk["verdicts"] == summary["verdicts"] and on_disk["time_span"]


def test_bad_lines_are_skipped_and_counted_and_unreadable_input_fails(tmp_path: Path) -> None:
    sim = simulate(tmp_path / "sim", accounts=120, days=0.5, seed=4)
    raw = tmp_path / "mixed.jsonl"
    import gzip

    lines = gzip.decompress(sim.traffic.read_bytes()).splitlines(keepends=True)
    raw.write_bytes(b"".join(lines[:500]) + b"{broken\n" + b"".join(lines[500:1000]))
    summary = scan([raw], tmp_path / "out")
    assert summary["bad_lines"] == 1 and summary["events"] == 1000
    (tmp_path / "junk.csv").write_text("a,b\n1,2\n")
    with pytest.raises(LogReadError):
        analyse([tmp_path / "junk.csv"])


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ConfigError):
        Thresholds(review=0.9, block=0.5)
    assert Thresholds(0.5, 0.9).verdict(0.95) == "block" and Thresholds(0.5, 0.9).verdict(0.6) == "review"


def test_cli_scan_prints_a_ranked_table_and_exit_codes(scanned, tmp_path: Path) -> None:
    root, _, _, _, _ = scanned
    runner = CliRunner()
    result = runner.invoke(main, ["scan", str(root / "sim" / "traffic.jsonl.gz"), "--out", str(tmp_path), "-q",
                                  "--top", "3"])
    assert result.exit_code == 0, result.output
    assert "verdicts:" in result.output and "report.html" in result.output and "cluster" in result.output
    missing = runner.invoke(main, ["scan", str(tmp_path / "nope.jsonl"), "--out", str(tmp_path / "o"), "-q"])
    assert missing.exit_code == 1
    bad = runner.invoke(main, ["scan", str(root / "sim" / "traffic.jsonl.gz"), "--out", str(tmp_path),
                               "--review-threshold", "0.95", "--block-threshold", "0.5"])
    assert bad.exit_code == 2


def test_an_empty_log_gives_empty_outputs_and_a_report(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    summary = scan([empty], tmp_path / "out")
    assert summary["events"] == 0 and summary["accounts"] == 0
    assert (tmp_path / "out" / "accounts.jsonl").read_text() == ""
    assert (tmp_path / "out" / "report.html").exists()


def test_cli_scan_exits_1_when_one_input_is_missing_but_writes_the_rest(scanned, tmp_path: Path) -> None:
    root, _, _, _, _ = scanned
    result = CliRunner().invoke(main, ["scan", str(root / "sim" / "traffic.jsonl.gz"), str(tmp_path / "nope.jsonl"),
                                       "--out", str(tmp_path / "o"), "-q", "--top", "0"])
    assert result.exit_code == 1
    assert (tmp_path / "o" / "accounts.jsonl").read_text().count("\n") > 100
