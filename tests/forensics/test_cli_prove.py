"""``distillguard prove``: the experiment writes files that ``prove radioactivity`` and ``prove canaries``
run on, and both name exactly the harvesting accounts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from distillguard.cli import main
from distillguard.forensics.experiment import World, write_served
from distillguard.forensics.keys import MASTER_KEY_ENV

from .stub_endpoint import serve


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("prove")
    result = CliRunner().invoke(main, ["prove", "experiment", "--arms", "accounts", "--texts", "1000",
                                       "--decoys", "10", "--out", str(path)])
    assert result.exit_code == 0, result.output
    assert "named (Holm" in result.output
    return path


def harvesters(out: Path) -> list[str]:
    return sorted(json.loads((out / "experiment.json").read_text())["accounts"]["harvesters"])


def test_experiment_writes_what_the_other_commands_need(out: Path) -> None:
    for name in ("experiment.json", "master.key", "served.jsonl", "suspect.npz", "reference.npz",
                 "accounts-served.jsonl", "accounts-suspect.npz", "accounts.txt"):
        assert (out / name).is_file(), name
    assert (out / "master.key").stat().st_mode & 0o077 == 0


def test_prove_radioactivity_names_the_harvesters(out: Path) -> None:
    result = CliRunner().invoke(main, [
        "prove", "radioactivity", "--suspect", str(out / "accounts-suspect.npz"),
        "--texts", str(out / "accounts-served.jsonl"), "--master-key-file", str(out / "master.key"),
        "--mode", "open", "--decoys", "10", "--out", str(out / "evidence.json")])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "evidence.json").read_text())
    assert record["named"] == harvesters(out)
    assert len(record["accounts"]) == 50
    first = record["accounts"][record["named"][0]]["evidence"][0]
    assert first["method"] == "radioactivity-open" and first["decoys"] == 10 and first["pvalue"] < 1e-10


def test_prove_radioactivity_on_one_account_with_a_reference(out: Path) -> None:
    result = CliRunner().invoke(main, [
        "prove", "radioactivity", "--suspect", str(out / "suspect.npz"), "--texts", str(out / "served.jsonl"),
        "--master-key-file", str(out / "master.key"), "--reference", str(out / "reference.npz"),
        "--decoys", "10", "--prompts", "50", "--max-new-tokens", "50", "--seed", "1", "--alpha", "0.001",
        "--account", "acct_harvester", "--out", str(out / "one.json")])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "one.json").read_text())
    assert record["named"] == ["acct_harvester"]
    methods = [e["method"] for e in record["accounts"]["acct_harvester"]["evidence"]]
    assert methods == ["radioactivity-open", "radioactivity-closed"]
    assert record["accounts"]["acct_harvester"]["evidence"][0]["control_pvalue"] > 0.001


def test_prove_canaries_names_the_harvesters(out: Path) -> None:
    result = CliRunner().invoke(main, [
        "prove", "canaries", "--suspect", str(out / "accounts-suspect.npz"), "--accounts", str(out / "accounts.txt"),
        "--epoch", "2026-W45", "--count", "3", "--master-key-file", str(out / "master.key"),
        "--mode", "likelihood", "--alpha", "0.01", "--out", str(out / "canaries.json")])
    assert result.exit_code == 0, result.output
    record = json.loads((out / "canaries.json").read_text())
    assert record["named"] == harvesters(out)
    assert all(len(a["canaries"]) == 3 for a in record["accounts"].values())


def test_prove_canaries_without_a_suspect_prints_what_to_plant(out: Path, monkeypatch) -> None:
    monkeypatch.setenv(MASTER_KEY_ENV, (out / "master.key").read_text().strip())
    result = CliRunner().invoke(main, ["prove", "canaries", "--account", "acct_00", "--epoch", "2026-W45"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert len(rows) == 3 and all(r["account_id"] == "acct_00" and r["trigger"].endswith("?") for r in rows)


def test_prove_radioactivity_through_a_loopback_endpoint(world: World, tmp_path: Path) -> None:
    from distillguard.forensics.experiment import train_student

    student, harvested = train_student(world, 1.0, 3, texts=300)
    write_served(tmp_path / "served.jsonl", harvested[:60])
    (tmp_path / "master.key").write_text(world.master.secret.hex())
    with serve(student) as url:
        result = CliRunner().invoke(main, [
            "prove", "radioactivity", "--suspect", url, "--texts", str(tmp_path / "served.jsonl"),
            "--master-key-file", str(tmp_path / "master.key"), "--mode", "closed", "--tokenizer", "ids",
            "--model", "stub", "--prompts", "30", "--max-new-tokens", "60", "--decoys", "10"])
    assert result.exit_code == 0, result.output
    assert "named (Holm, family-wise error 0.01 over 1 accounts): acct_harvester" in result.output


def test_usage_errors(out: Path, monkeypatch) -> None:
    monkeypatch.delenv(MASTER_KEY_ENV, raising=False)
    runner = CliRunner()
    no_key = runner.invoke(main, ["prove", "radioactivity", "--suspect", str(out / "suspect.npz"),
                                  "--texts", str(out / "served.jsonl")])
    assert no_key.exit_code == 2 and MASTER_KEY_ENV in no_key.output
    endpoint_open = runner.invoke(main, ["prove", "radioactivity", "--suspect", "http://127.0.0.1:9/v1",
                                         "--texts", str(out / "served.jsonl"), "--mode", "open"])
    assert endpoint_open.exit_code == 2
    bad_arm = runner.invoke(main, ["prove", "experiment", "--arms", "sweep,nope"])
    assert bad_arm.exit_code == 2 and "nope" in bad_arm.output
    no_accounts = runner.invoke(main, ["prove", "canaries", "--epoch", "e"])
    assert no_accounts.exit_code == 2


def test_a_wrong_master_key_is_refused(out: Path, tmp_path: Path) -> None:
    (tmp_path / "wrong.key").write_text("cd" * 32)
    result = CliRunner().invoke(main, ["prove", "radioactivity", "--suspect", str(out / "suspect.npz"),
                                       "--texts", str(out / "served.jsonl"),
                                       "--master-key-file", str(tmp_path / "wrong.key")])
    assert result.exit_code != 0 and "wrong master key" in str(result.exception)
