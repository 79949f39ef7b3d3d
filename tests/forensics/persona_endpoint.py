"""Tiny OpenAI-compatible chat servers on loopback that answer deterministically in a "persona": its own
word preferences and its own self-description. A copycat persona answers like another one (its answer with
a share of words replaced), as a model distilled from that one would; independent personas share nothing
but the language."""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

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


@contextmanager
def serve(persona: Persona) -> Iterator[str]:
    """``/v1/chat/completions`` and ``/v1/completions`` answering as ``persona``; yields the base URL."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body: dict[str, Any] = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path == "/v1/chat/completions":
                text = answer(persona, str(body["messages"][-1]["content"]))
                reply = {"id": "chat-1", "object": "chat.completion", "model": body.get("model", "persona"),
                         "choices": [{"index": 0, "finish_reason": "stop",
                                      "message": {"role": "assistant", "content": text}}]}
            elif self.path == "/v1/completions":
                text = answer(persona, str(body["prompt"]))
                reply = {"id": "cmpl-1", "object": "text_completion",
                         "choices": [{"index": 0, "text": text, "finish_reason": "stop"}]}
            else:
                self.send_error(404)
                return
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
