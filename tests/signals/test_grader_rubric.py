"""``grader_rubric``: the model used as a judge or reward model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from distillguard.signals.text import grader_rubric

DATA = Path(__file__).parent / "data" / "labelled_prompts.jsonl"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _flags(*prompts: str) -> list[bool]:
    return grader_rubric(pa.array(list(prompts))).to_pylist()


def test_precision_and_recall_on_the_labelled_examples() -> None:
    predicted = grader_rubric(pa.array([r["text"] for r in ROWS])).to_numpy(zero_copy_only=False)
    gold = np.array([r["labels"]["grader_rubric"] for r in ROWS])
    tp = int((predicted & gold).sum())
    precision, recall = tp / max(int(predicted.sum()), 1), tp / max(int(gold.sum()), 1)
    assert gold.sum() >= 20
    assert precision >= 0.95 and recall >= 0.9, (precision, recall)


def test_flags_a_judge_prompt_with_a_delimited_answer_and_a_scale() -> None:
    assert _flags(
        "Please act as an impartial judge. Rate the response on a scale of 1 to 10.\n"
        "[The Start of Assistant's Answer]\nParis.\n[The End of Assistant's Answer]"
    ) == [True]


def test_flags_pairwise_preference_questions() -> None:
    assert _flags("Response A: yes.\nResponse B: no.\nWhich response is better? Answer A or B.",
                  "请比较回答A和回答B，哪个回答更好？") == [True, True]


def test_flags_grading_in_chinese_and_russian() -> None:
    assert _flags("对以下模型输出进行打分，1到5分。\n模型输出：北京是中国的首都。",
                  "Оцени ответ модели по шкале от 1 до 10.\nОтвет модели: да.") == [True, True]


def test_does_not_flag_sports_scores_or_rating_a_movie() -> None:
    assert _flags("What was the final score of the 2022 World Cup final?", "Rate this movie from 1 to 10: Inception.",
                  "My heart rate is 110 at rest, should I worry?") == [False] * 3


def test_does_not_flag_a_teacher_asking_for_a_rubric_to_be_written() -> None:
    assert _flags("Write a grading rubric for a 5th-grade persuasive essay, with scores from 1 to 4.") == [False]
