"""Identity probes and response similarity (supporting evidence): against persona models served over real
loopback HTTP, on the simulator's teacher and students, and through the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy import stats

from distillguard.cli import main
from distillguard.errors import ConfigError
from distillguard.forensics.experiment import World, probe_arm
from distillguard.forensics.probes import (
    IDENTITY_PROBES,
    EndpointModel,
    identity_probes,
    name_pattern,
    permutation_test,
    response_similarity,
)

from .persona_endpoint import Persona, serve

OURS = Persona(1, "I am Aurora, a large language model trained by Nimbus Labs.",
               identity_zh="我是Aurora，由Nimbus Labs训练的大型语言模型。")
PERSONAS = {
    "ours": OURS,
    # distilled from our answers: answers like ours (a quarter of the words its own), and calls itself Aurora
    "copycat": Persona(11, "I'm Aurora, an assistant made by Nimbus Labs.", identity_zh="我是Aurora。", copies=OURS),
    "ref-a": Persona(2, "I am Llama, a model from Meta."),
    "ref-b": Persona(3, "I am Zephyr, built by Borealis AI."),
    "independent": Persona(4, "I am Kestrel, trained by Fjord Research."),
    "control": Persona(5, "I am Qwen, created by Alibaba Cloud."),
}
NAMES = ("Aurora", "Nimbus Labs")


@pytest.fixture(scope="module")
def urls() -> Iterator[dict[str, str]]:
    with ExitStack() as stack:
        yield {name: stack.enter_context(serve(p)) for name, p in PERSONAS.items()}


@pytest.fixture(scope="module")
def models(urls: dict[str, str]) -> Iterator[dict[str, EndpointModel]]:
    chosen = {name: EndpointModel(url) for name, url in urls.items()}
    yield chosen
    for m in chosen.values():
        m.close()


# -- identity probes -------------------------------------------------------------------------------------------


def test_a_copycat_names_our_model_and_the_test_says_so(models: dict[str, EndpointModel]) -> None:
    result = identity_probes(models["copycat"], NAMES, controls=[models["control"], models["ref-b"]])
    ev = result.evidence
    assert ev.method == "identity-probes" and ev.supporting is True
    assert ev.measures["rate_ours"] == 1.0 and ev.measures["answers"] == len(IDENTITY_PROBES)
    assert ev.measures["control_rate_ours"] == 0.0
    assert ev.pvalue < 1e-9
    chinese = [row for row in result.details["answers"] if row["language"] == "zh"]
    assert chinese and all(row["names"] == "ours" for row in chinese)  # "我是Aurora" counts


def test_an_independent_model_does_not_name_us(models: dict[str, EndpointModel]) -> None:
    ev = identity_probes(models["ref-a"], NAMES, controls=[models["control"]]).evidence
    assert ev.measures["rate_ours"] == 0.0 and ev.measures["name_other"] == len(IDENTITY_PROBES)  # "Llama", "Meta"
    assert ev.pvalue == 1.0
    unknown = identity_probes(models["independent"], NAMES).evidence  # names nobody we list; no control
    assert unknown.measures["name_none"] == len(IDENTITY_PROBES) and unknown.pvalue == 1.0


def test_names_match_whole_words_in_any_script() -> None:
    pattern = name_pattern(["GPT", "通义千问"])
    assert pattern is not None
    assert pattern.search("I am GPT-4") and pattern.search("我是GPT模型") and pattern.search("我是通义千问")
    assert not pattern.search("a GPTQ quantised model") and not pattern.search("chatgpt")


def test_identity_needs_one_of_our_names(models: dict[str, EndpointModel]) -> None:
    with pytest.raises(ConfigError, match="our model"):
        identity_probes(models["copycat"], [" "])


# -- response similarity ---------------------------------------------------------------------------------------


def test_a_copycat_is_closer_to_our_model_than_to_the_references(models: dict[str, EndpointModel]) -> None:
    result = response_similarity(models["copycat"], models["ours"], [models["ref-a"], models["ref-b"]],
                                 control=models["control"], permutations=2000)
    ev = result.evidence
    assert ev.method == "response-similarity" and ev.supporting is True and ev.scheme == "char-4gram-cosine"
    means = {k.removeprefix("mean_similarity:"): v for k, v in ev.measures.items() if k.startswith("mean_similarity:")}
    assert means[models["ours"].name] > max(means[models["ref-a"].name], means[models["ref-b"].name])
    assert ev.pvalue <= 1e-3  # the floor with 2,000 permutations is 5e-4
    assert ev.control_pvalue is not None and ev.control_pvalue > 0.05
    assert len(result.details["per_prompt"]) == ev.texts == 30


def test_an_independent_model_is_not_found_closer_to_ours(models: dict[str, EndpointModel]) -> None:
    for unit, n in (("char", 4), ("word", 1)):
        ev = response_similarity(models["independent"], models["ours"], [models["ref-a"], models["ref-b"]],
                                 unit=unit, n=n, permutations=2000).evidence
        assert ev.pvalue > 0.05, (unit, ev.measures)


def test_the_permutation_test_is_uniform_when_labels_are_exchangeable() -> None:
    rng = np.random.default_rng(3)
    pvalues = [permutation_test(rng.random((30, 3)), permutations=400, seed=i).pvalue for i in range(300)]
    assert stats.kstest(pvalues, "uniform").pvalue > 0.01
    assert permutation_test(np.ones((30, 3)), permutations=100).pvalue == 1.0  # ties count against us


def test_similarity_needs_a_reference_besides_ours(models: dict[str, EndpointModel]) -> None:
    with pytest.raises(ConfigError, match="reference"):
        response_similarity(models["copycat"], models["ours"], [])


def test_simulated_distilled_student_is_closer_to_its_teacher(world: World) -> None:
    arm = probe_arm(world)
    assert arm.distilled["pvalue"] <= 1e-3 and arm.distilled["supporting"] is True
    assert arm.distilled["control_pvalue"] > 0.05  # the independent student, as a control
    assert arm.independent["pvalue"] > 0.05


# -- the CLI --------------------------------------------------------------------------------------------------


def test_prove_identity_and_similarity_on_loopback_endpoints(urls: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "identity.json"
    result = CliRunner().invoke(main, ["prove", "identity", "--suspect", urls["copycat"] + "#copycat-7b",
                                       "--name", "Aurora", "--name", "Nimbus Labs", "--control", urls["control"],
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "SUPPORTING EVIDENCE" in result.output and "naming ours 22/22" in result.output
    record = json.loads(out.read_text())
    assert record["supporting_evidence"] is True and record["evidence"][0]["pvalue"] < 1e-9
    out = tmp_path / "similarity.json"
    result = CliRunner().invoke(main, ["prove", "similarity", "--suspect", urls["copycat"], "--ours", urls["ours"],
                                       "--reference", urls["ref-a"], "--reference", urls["ref-b"],
                                       "--permutations", "999", "--out", str(out)])
    assert result.exit_code == 0, result.output
    record = json.loads(out.read_text())
    assert record["method"] == "response-similarity" and record["evidence"][0]["pvalue"] == 1 / 1000


def test_prove_similarity_on_the_experiments_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["prove", "experiment", "--arms", "probes", "--texts", "500",
                                       "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "response similarity, distilled suspect" in result.output
    args = ["prove", "similarity", "--ours", str(tmp_path / "ours.npz"),
            "--reference", str(tmp_path / "reference-1.npz"), "--reference", str(tmp_path / "reference-2.npz"),
            "--prompts", str(tmp_path / "probe-prompts.txt"), "--unit", "word", "--ngram", "1",
            "--max-tokens", "50", "--permutations", "999"]
    distilled = CliRunner().invoke(main, [*args, "--suspect", str(tmp_path / "suspect.npz"),
                                          "--control", str(tmp_path / "independent.npz"),
                                          "--out", str(tmp_path / "distilled.json")])
    assert distilled.exit_code == 0, distilled.output
    record = json.loads((tmp_path / "distilled.json").read_text())["evidence"][0]
    assert record["pvalue"] == 1 / 1000 and record["control_pvalue"] > 0.05
    independent = CliRunner().invoke(main, [*args, "--suspect", str(tmp_path / "independent.npz"),
                                            "--out", str(tmp_path / "independent.json")])
    assert independent.exit_code == 0, independent.output
    assert json.loads((tmp_path / "independent.json").read_text())["evidence"][0]["pvalue"] > 0.05


def test_a_remote_endpoint_is_refused() -> None:
    result = CliRunner().invoke(main, ["prove", "identity", "--suspect", "http://192.0.2.1:8000/v1", "--name", "X"])
    assert result.exit_code != 0 and "loopback" in str(result.exception or result.output)
