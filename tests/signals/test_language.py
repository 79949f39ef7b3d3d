"""``language``: ISO 639-1 code from scripts and stop words, "und" when unclear."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pyarrow as pa

from distillguard.signals.text import LANGUAGES, language

DATA = Path(__file__).parent / "data" / "labelled_prompts.jsonl"
SAMPLE = Path(__file__).resolve().parents[2] / "src" / "distillguard" / "sim" / "data" / "prompts_sample.jsonl.gz"
ROWS = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]


def _langs(*prompts: str) -> list[str]:
    return language(pa.array(list(prompts))).to_pylist()


def test_accuracy_on_the_labelled_examples() -> None:
    got = language(pa.array([r["text"] for r in ROWS])).to_pylist()
    gold = [r["labels"]["language"] for r in ROWS]
    assert np.mean([g == p for g, p in zip(gold, got, strict=True)]) >= 0.95


def test_tells_scripts_apart() -> None:
    assert _langs("今天天气很好", "今日はいい天気ですね", "오늘 날씨가 좋네요", "Сегодня хорошая погода",
                  "الطقس جميل اليوم", "आज मौसम अच्छा है", "Привіт, як справи? Що нового у Києві?",
                  "วันนี้อากาศดี", "Σήμερα ο καιρός είναι καλός") == [
        "zh", "ja", "ko", "ru", "ar", "hi", "uk", "th", "el"]


def test_tells_latin_script_languages_apart_by_stop_words() -> None:
    assert _langs(
        "What is the weather like today?",
        "¿Qué tiempo hace hoy en la ciudad?",
        "Quel temps fait-il aujourd'hui à Paris ?",
        "Wie ist das Wetter heute in Berlin?",
        "Como está o tempo hoje em Lisboa?",
        "Che tempo fa oggi a Roma?",
        "Bugün hava nasıl olacak?",
        "Hôm nay thời tiết thế nào?",
    ) == ["en", "es", "fr", "de", "pt", "it", "tr", "vi"]


def test_is_undetermined_for_numbers_code_and_lone_words() -> None:
    assert _langs("12345 + 67890", "x = f(y)", "", "ok") == ["und"] * 4


def test_every_code_is_in_the_vocabulary() -> None:
    assert set(_langs("hello there, how are you", "你好", "")) <= set(LANGUAGES)


def test_agrees_with_the_file_language_of_stackoverflow_questions() -> None:
    # odex's lang is the language of the file it came from, not a heuristic
    with gzip.open(SAMPLE, "rt", encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if '"odex' in line]
    got = language(pa.array([r["prompt"] for r in rows])).to_pylist()
    for lang in ("ja", "ru", "es", "en"):
        pairs = [(r, g) for r, g in zip(rows, got, strict=True) if r["lang"] == lang]
        assert np.mean([g == lang for _, g in pairs]) >= 0.85, lang
