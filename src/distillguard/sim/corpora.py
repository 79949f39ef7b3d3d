"""Prompt pools the simulator draws from, built from real prompt corpora.

A corpus file is JSON Lines (optionally gzip'd), one prompt per line:
``{"id": "dolly:17", "source": "dolly", "prompt": "...", "lang": "en", "kind": "human"|"distillation",
"turns": [...]}`` — the format of ``../shared/data/prompts``. With ``--corpora DIR`` every
``*.jsonl.gz`` / ``*.jsonl`` there is loaded; otherwise the small permissively licensed sample shipped
in ``distillguard/sim/data`` (see its ATTRIBUTION.md).

Pools are assigned by what a prompt *is* (``kind``, ``lang``, multi-turn), never by how it looks, so
benign and attack behaviours can draw on the same pools: the label is behaviour, not text.
Two pools are picked by source name because behaviours need them by role: ``benchmark`` (math word
problems an evaluation harness runs, ``gsm8k``) and ``code`` (human coding questions, ``odex``). When a
corpus set lacks them they fall back to the distillation and human pools.
"""

from __future__ import annotations

import gzip
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import Final

import msgspec

from distillguard.errors import ConfigError

BENCHMARK_SOURCES: Final = frozenset({"gsm8k"})
CODE_SOURCES: Final = frozenset({"odex"})
SAMPLE_NAME: Final = "prompts_sample.jsonl.gz"


class CorpusLine(msgspec.Struct):
    prompt: str
    kind: str
    lang: str = "und"
    source: str = ""
    id: str = ""
    turns: list[str] | None = None


@dataclass
class Corpora:
    """Prompt pools by role and language. Every list keeps file order, so a seed fixes every draw."""

    human: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    distillation: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    benchmark: list[str] = field(default_factory=list)
    code: list[str] = field(default_factory=list)
    conversations: list[list[str]] = field(default_factory=list)  # human multi-turn: first turn + later turns
    sources: dict[str, str] = field(default_factory=dict)  # file name -> sha256, recorded in scenario.json

    def human_langs(self) -> list[str]:
        return sorted(lang for lang, pool in self.human.items() if pool)

    def human_pool(self, lang: str) -> list[str]:
        pool = self.human.get(lang)
        return pool if pool else self.human["en"] if self.human.get("en") else self.all_human()

    @cached_property
    def _all_human(self) -> list[str]:
        return [p for lang in self.human_langs() for p in self.human[lang]]

    @cached_property
    def _all_distillation(self) -> list[str]:
        return [p for lang in sorted(self.distillation) for p in self.distillation[lang]]

    def all_human(self) -> list[str]:
        """Every human prompt, all languages (read only after loading: the list is cached)."""
        return self._all_human

    def all_distillation(self) -> list[str]:
        return self._all_distillation or self.all_human()

    def benchmark_pool(self) -> list[str]:
        return self.benchmark or self.all_distillation()

    def code_pool(self) -> list[str]:
        return self.code or self.human_pool("en")

    def add(self, line: CorpusLine) -> None:
        prompt = line.prompt.strip()
        if not prompt:
            return
        lang = line.lang if line.lang and line.lang != "und" else "en"
        if line.kind == "distillation":
            self.distillation[lang].append(prompt)
        else:
            self.human[lang].append(prompt)
            if line.turns:
                self.conversations.append([prompt, *line.turns])
        if line.source in BENCHMARK_SOURCES:
            self.benchmark.append(prompt)
        if line.source in CODE_SOURCES:
            self.code.append(prompt)


_decode = msgspec.json.Decoder(CorpusLine).decode


def load_corpora(directory: str | Path | None = None) -> Corpora:
    """Load every corpus file in ``directory`` (sorted by name), or the shipped sample when None."""
    corpora = Corpora()
    if directory is None:
        ref = resources.files("distillguard.sim") / "data" / SAMPLE_NAME
        data = ref.read_bytes()
        corpora.sources[SAMPLE_NAME] = hashlib.sha256(data).hexdigest()
        _load_bytes(corpora, gzip.decompress(data), SAMPLE_NAME)
    else:
        root = Path(directory)
        if not root.is_dir():
            raise ConfigError(f"--corpora {root}: not a directory")
        files = sorted([*root.glob("*.jsonl.gz"), *root.glob("*.jsonl")])
        if not files:
            raise ConfigError(f"--corpora {root}: no *.jsonl or *.jsonl.gz corpus files there")
        for path in files:
            data = path.read_bytes()
            corpora.sources[path.name] = hashlib.sha256(data).hexdigest()
            _load_bytes(corpora, gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data, str(path))
    if not any(corpora.human.values()):
        raise ConfigError("the corpora hold no human prompts; the simulator needs some for benign traffic")
    return corpora


def _load_bytes(corpora: Corpora, data: bytes, name: str) -> None:
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            corpora.add(_decode(raw))
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise ConfigError(f"{name}:{number}: not a corpus line ({exc})") from exc
