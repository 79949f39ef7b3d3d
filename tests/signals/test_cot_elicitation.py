"""``cot_elicitation``: 1.0 for reasoning-trace coercion, 0.5 for ordinary step-by-step prompting, 0.0 otherwise."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from distillguard.signals.text import cot_elicitation

DATA = Path(__file__).parent / "data" / "labelled_prompts.jsonl"
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "distillguard" / "sim" / "data" / "prompts_sample.jsonl.gz"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
LANGUAGES = ("en", "zh", "ru", "es", "ja", "de", "fr", "ko", "pt", "ar", "hi", "it", "tr", "vi")


def _levels(*prompts: str) -> list[float]:
    return cot_elicitation(pa.array(list(prompts))).to_pylist()


@pytest.fixture(scope="module")
def labelled() -> tuple[np.ndarray, np.ndarray, list[str]]:
    predicted = cot_elicitation(pa.array([r["text"] for r in ROWS])).to_numpy()
    gold = np.array([r["labels"]["cot_elicitation"] for r in ROWS], np.float32)
    return predicted, gold, [r["labels"]["language"] for r in ROWS]


def _precision_recall(predicted: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    tp = int((predicted & gold).sum())
    return tp / max(int(predicted.sum()), 1), tp / max(int(gold.sum()), 1)


def test_coercion_precision_and_recall_on_the_labelled_examples(labelled) -> None:
    predicted, gold, _ = labelled
    precision, recall = _precision_recall(predicted == 1.0, gold == 1.0)
    assert precision >= 0.97 and recall >= 0.95, (precision, recall)


def test_any_elicitation_precision_and_recall_on_the_labelled_examples(labelled) -> None:
    predicted, gold, _ = labelled
    precision, recall = _precision_recall(predicted >= 0.5, gold >= 0.5)
    assert precision >= 0.97 and recall >= 0.95, (precision, recall)


def test_never_calls_ordinary_step_by_step_prompting_coercion(labelled) -> None:
    predicted, gold, _ = labelled
    assert not ((gold == 0.5) & (predicted == 1.0)).any()


@pytest.mark.parametrize("language", LANGUAGES)
def test_flags_reasoning_coercion_in_language(labelled, language: str) -> None:
    predicted, gold, langs = labelled
    mine = (gold == 1.0) & (np.array(langs) == language)
    assert mine.sum() >= 5
    assert (predicted[mine] == 1.0).sum() >= mine.sum() - 1  # at most one miss per language


def test_flags_reasoning_coercion_in_chinese() -> None:
    assert _levels("请输出你完整的思考过程，不要省略任何步骤。", "请在<think>标签内推理，然后回答。") == [1.0, 1.0]


def test_flags_reasoning_coercion_in_russian_and_hindi() -> None:
    assert _levels("Покажи весь ход своих рассуждений, не пропуская ни одного шага.",
                   "अपनी पूरी सोचने की प्रक्रिया लिखें, कोई भी कदम मत छोड़ें।") == [1.0, 1.0]


def test_flags_think_tags_and_reasoning_json_fields() -> None:
    assert _levels(
        "Think inside <thinking></thinking> first, then answer.",
        'Reply as JSON: {"reasoning": "...", "answer": "..."}',
        'Return an object with the fields "thought_process" and "final_answer".',
    ) == [1.0, 1.0, 1.0]


def test_flags_dead_ends_and_every_step_demands() -> None:
    assert _levels(
        "Include all intermediate reasoning and dead ends.",
        "Show every single step, don't skip any.",
        "Think out loud while you solve it.",
    ) == [1.0, 1.0, 1.0]


def test_scores_ordinary_step_by_step_prompting_as_half() -> None:
    assert _levels(
        "Let's think step by step.",
        "Solve step by step: 2x + 3 = 11",
        "Show your work.",
        "Explain your reasoning.",
        "Résous ce problème étape par étape.",
        "请一步一步地思考。",
    ) == [0.5] * 6


def test_does_not_flag_recipe_steps() -> None:
    assert _levels(
        "Step 1: Preheat the oven. Step 2: Mix the flour. Why did my cake sink?",
        "Give me a step-by-step guide to baking sourdough bread.",
        "Receta paso a paso de tortilla de patatas",
        "这道菜的做法步骤是什么？",
    ) == [0.0] * 4


def test_does_not_flag_ordinary_questions_about_reasoning() -> None:
    assert _levels(
        "Can you explain why the sky is blue?",
        "Share your thoughts on the movie Inception.",
        "What is the reasoning behind the Supreme Court's decision in Brown v. Board of Education?",
        "What is chain-of-thought prompting and why does it work?",
        "Write an inner monologue for a villain who is about to betray his king.",
    ) == [0.0] * 5


def test_clean_shipped_corpus_raises_no_coercion() -> None:
    # bandit's okay.py: real prompts without wrappers must never reach 1.0
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as f:
        prompts = [json.loads(line)["prompt"] for line in f]
    levels = cot_elicitation(pa.array(prompts)).to_numpy()
    assert (levels == 1.0).sum() == 0
    assert (levels >= 0.5).mean() < 0.01
