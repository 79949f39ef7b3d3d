"""``capability_domain``: agentic, coding, math, translation, writing, data_generation or chat, by precedence."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from distillguard.signals.text import DOMAINS, capability_domain

DATA = Path(__file__).parent / "data" / "labelled_prompts.jsonl"
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "distillguard" / "sim" / "data" / "prompts_sample.jsonl.gz"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _domains(*prompts: str, tools: list[int] | None = None) -> list[str]:
    t = None if tools is None else pa.array(tools, pa.int32())
    return capability_domain(pa.array(list(prompts)), t, None).to_pylist()


def test_accuracy_on_the_labelled_examples() -> None:
    rows = [r for r in ROWS if "capability_domain" in r["labels"]]
    tools = pa.array([r.get("tools", 0) for r in rows], pa.int32())
    got = capability_domain(pa.array([r["text"] for r in rows]), tools, None).to_pylist()
    gold = [r["labels"]["capability_domain"] for r in rows]
    assert len(rows) >= 150
    assert np.mean([g == p for g, p in zip(gold, got, strict=True)]) >= 0.93
    assert set(gold) == set(DOMAINS)


def test_values_index_the_fixed_vocabulary() -> None:
    out = capability_domain(pa.array(["hi"]), None, None)
    assert out.dictionary.to_pylist() == list(DOMAINS)


def test_tools_offered_or_tool_results_make_a_request_agentic() -> None:
    prompts = pa.array(["Write a Python function.", "What is 2 + 2?", "hello"])
    out = capability_domain(prompts, pa.array([2, 0, 0], pa.int32()), pa.array([0, 1, None], pa.int32()))
    assert out.to_pylist() == ["agentic", "agentic", "chat"]


def test_precedence_data_generation_before_coding_before_math_before_translation_before_writing() -> None:
    assert _domains(
        "Generate 50 diverse Python coding problems with solutions as training data.",
        "Write a Python function that returns the sum of 3 and 4.",
        "Translate into French: 3 + 4 = 7",
        "Translate this poem into Spanish.",
        "Write a poem about the sea.",
        "What should I cook tonight?",
    ) == ["data_generation", "coding", "math", "translation", "writing", "chat"]


def test_word_problems_are_math_and_stackoverflow_questions_are_coding() -> None:
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    got = capability_domain(pa.array([r["prompt"] for r in rows]), None, None).to_pylist()
    by_source: dict[str, list[str]] = {}
    for r, d in zip(rows, got, strict=True):
        by_source.setdefault(r["source"], []).append(d)
    assert np.mean([d == "math" for d in by_source["gsm8k"]]) >= 0.85
    assert np.mean([d == "coding" for d in by_source["odex"]]) >= 0.85


def test_rejects_tool_counts_of_the_wrong_length() -> None:
    with pytest.raises(ValueError, match="rows"):
        capability_domain(pa.array(["a", "b"]), pa.array([1], pa.int32()), None)
