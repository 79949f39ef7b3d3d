"""A suspect behind an OpenAI-compatible HTTP endpoint on loopback (a model you run locally).

Only loopback addresses are accepted: the suspect is a model under examination on your own machine,
not a third party's service. The endpoint gives

- generations (``/v1/completions``): the closed-model test, and canary containment;
- chat answers (``/v1/chat/completions``): identity probes and response similarity;
- prompt log-probabilities, where the server returns them for the echoed prompt
  (``echo: true, logprobs: 0``, the legacy completions format vLLM serves): canary exposure.

Our watermark lives on *our* tokenizer's ids, so texts go over the wire as text and come back
through ``Tokenizer.encode``: ``IdsTokenizer`` (space-separated ids, the simulator's format) or
``HFTokenizer`` (a local transformers tokenizer directory). The open-model test needs the suspect's
top-1 prediction at every position on our ids, which an endpoint does not give; use an n-gram model
file or the transformers adapter for that.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx
import numpy as np

from distillguard.errors import ConfigError


class Tokenizer(Protocol):
    def encode(self, text: str) -> list[int]: ...

    def decode(self, ids: Sequence[int]) -> str: ...


class IdsTokenizer:
    """Texts are space-separated token ids (the simulator's wire format)."""

    def encode(self, text: str) -> list[int]:
        return [int(t) for t in text.split() if t.lstrip("-").isdigit()]

    def decode(self, ids: Sequence[int]) -> str:
        return " ".join(str(int(i)) for i in ids)


class HFTokenizer:
    """A local Hugging Face tokenizer directory (transformers imported on use)."""

    def __init__(self, path: str) -> None:
        try:
            from transformers import AutoTokenizer
        except ImportError as exc:
            raise ConfigError("a tokenizer directory needs transformers: pip install transformers") from exc
        self._tok = AutoTokenizer.from_pretrained(path, local_files_only=True)

    def encode(self, text: str) -> list[int]:
        return list(self._tok.encode(text, add_special_tokens=False))

    def decode(self, ids: Sequence[int]) -> str:
        return str(self._tok.decode(list(ids)))


def require_loopback(url: str) -> str:
    """``url`` with its trailing slash dropped, if its host is a loopback address; else ConfigError."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{url!r} is not an http(s) URL")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parts.hostname, None)}
    except OSError as exc:
        raise ConfigError(f"cannot resolve {parts.hostname!r}: {exc}") from exc
    if not addresses or not all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in addresses):
        raise ConfigError(f"{url!r} is not on loopback: distillguard prove only queries models on this machine")
    return url.rstrip("/")


class EndpointSuspect:
    """An OpenAI-compatible completions endpoint as a suspect (closed test, canaries)."""

    def __init__(self, base_url: str, tokenizer: Tokenizer, *, model: str = "", timeout: float = 120.0,
                 temperature: float = 1.0) -> None:
        self.base_url = require_loopback(base_url)
        self.tokenizer = tokenizer
        self.model = model
        self.temperature = temperature
        self._client = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        return self._post("/completions", body)

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.model:
            body = {"model": self.model, **body}
        try:
            response = self._client.post(f"{self.base_url}{path}", json=body)
            response.raise_for_status()
            return dict(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            raise ConfigError(f"{self.base_url}{path} failed: {exc}") from exc

    def top1(self, texts: Sequence[Sequence[int]], starts: Sequence[int]) -> list[np.ndarray]:
        raise ConfigError("an endpoint gives no top-1 predictions on our token ids; run the closed-model test "
                          "(--mode closed) or give an n-gram model file")

    def generate(self, prompts: Sequence[Sequence[int]], max_new_tokens: int, *, seed: int = 0) -> list[list[int]]:
        out = []
        for i, prompt in enumerate(prompts):
            reply = self._complete({"prompt": self.tokenizer.decode(prompt), "max_tokens": max_new_tokens,
                                    "temperature": self.temperature, "seed": seed + i})
            out.append(self.tokenizer.encode(str(reply["choices"][0]["text"]))[:max_new_tokens])
        return out

    def complete_text(self, prompt: str, max_tokens: int = 64) -> str:
        reply = self._complete({"prompt": prompt, "max_tokens": max_tokens, "temperature": 0.0})
        return str(reply["choices"][0]["text"])

    def chat_text(self, prompt: str, max_tokens: int = 256) -> str:
        """The answer to ``prompt`` as one user message (``/chat/completions``, temperature 0)."""
        reply = self._post("/chat/completions", {"messages": [{"role": "user", "content": prompt}],
                                                 "max_tokens": max_tokens, "temperature": 0.0})
        try:
            return str(reply["choices"][0]["message"].get("content") or "")
        except (KeyError, IndexError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{self.base_url}/chat/completions answered without choices[0].message") from exc

    def continuation_logprob(self, prefix: str, continuation: str) -> float:
        """log P(continuation | prefix) from the server's echoed prompt logprobs."""
        text = f"{prefix} {continuation}"
        reply = self._complete({"prompt": text, "max_tokens": 1, "echo": True, "logprobs": 0, "temperature": 0.0})
        lp = reply["choices"][0].get("logprobs") or {}
        offsets, values = lp.get("text_offset"), lp.get("token_logprobs")
        if not offsets or values is None:
            raise ConfigError("the endpoint returned no prompt logprobs (it needs echo + logprobs support)")
        total = 0.0
        for offset, value in zip(offsets, values, strict=False):
            if len(prefix) <= offset < len(text) and value is not None:
                total += float(value)
        return total

    def scorer(self) -> Any:
        """A canary scorer (prefix, candidates) -> log-likelihoods, one request per candidate."""

        def score(prefix: str, candidates: Sequence[str]) -> np.ndarray:
            return np.asarray([self.continuation_logprob(prefix, c) for c in candidates])

        return score
