"""Tiny OpenAI-compatible chat servers on loopback that answer deterministically in a "persona": its own
word preferences and its own self-description. A copycat persona answers like another one (its answer with
a share of words replaced), as a model distilled from that one would; independent personas share nothing
but the language."""

from __future__ import annotations

import random
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from .stub_endpoint import serve_json

_SYLLABLES = ("ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "ve", "da", "go", "be", "fi", "zu", "ha", "ni")
#: 600 made-up words every persona draws from, with its own preferences.
VOCABULARY = tuple(dict.fromkeys(a + b + c for a in _SYLLABLES for b in _SYLLABLES for c in _SYLLABLES[:3]))[:600]
#: Words every persona uses often (a generic register).
COMMON = ("the", "of", "and", "to", "a", "in", "is", "that", "it", "for", "as", "with", "this", "on", "are")


@dataclass(frozen=True)
class Persona:
    style: int  # seeds the persona's word preferences
    identity: str  # how it answers "who are you?"
    identity_zh: str = ""  # its answer to questions written in Chinese or Japanese, if different
    copies: Persona | None = None  # answer like this persona, with ``noise`` of the words replaced
    noise: float = 0.25
    common: float = 0.3  # share of words from the generic register


def _weights(style: int) -> list[float]:
    rng = random.Random(style)
    ranks = list(range(1, len(VOCABULARY) + 1))
    rng.shuffle(ranks)
    return [1.0 / (r + 20) for r in ranks]  # Zipf-Mandelbrot over a persona-specific order of the vocabulary


def _is_identity(prompt: str) -> bool:
    from distillguard.forensics.probes import IDENTITY_PROBES

    return prompt in {q for _, q in IDENTITY_PROBES}


def answer(persona: Persona, prompt: str) -> str:
    if _is_identity(prompt):
        chinese = any("\u3040" <= ch <= "\u9fff" for ch in prompt)
        return persona.identity_zh if chinese and persona.identity_zh else persona.identity
    if persona.copies is not None:
        rng = random.Random(f"copy:{persona.style}:{prompt}")
        words = answer(persona.copies, prompt).split()
        own = _weights(persona.style)
        return " ".join(rng.choices(VOCABULARY, own)[0] if rng.random() < persona.noise else w for w in words)
    rng = random.Random(f"{persona.style}:{prompt}")
    weights = _weights(persona.style)
    words = [rng.choice(COMMON) if rng.random() < persona.common else rng.choices(VOCABULARY, weights)[0]
             for _ in range(60)]
    return " ".join(words)


def _reply(persona: Persona, path: str, body: dict[str, Any]) -> dict[str, Any] | None:
    if path == "/v1/chat/completions":
        text = answer(persona, str(body["messages"][-1]["content"]))
        return {"id": "chat-1", "object": "chat.completion", "model": body.get("model", "persona"),
                "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}]}
    if path == "/v1/completions":
        return {"id": "cmpl-1", "object": "text_completion",
                "choices": [{"index": 0, "text": answer(persona, str(body["prompt"])), "finish_reason": "stop"}]}
    return None


def serve(persona: Persona) -> AbstractContextManager[str]:
    """``/v1/chat/completions`` and ``/v1/completions`` answering as ``persona``; yields the base URL."""
    return serve_json(lambda path, body: _reply(persona, path, body))
