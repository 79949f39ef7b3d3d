"""A tiny OpenAI-compatible completions server on loopback that serves an n-gram model, for testing the
endpoint suspect over real HTTP. Texts are space-separated token ids (``IdsTokenizer``)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import numpy as np

from distillguard.forensics.sim import NGramStudent


def _completion(model: NGramStudent, body: dict[str, Any]) -> dict[str, Any]:
    prompt = str(body["prompt"])
    ids = [int(t) for t in prompt.split()]
    max_tokens = int(body.get("max_tokens", 16))
    out = model.generate([ids], max_tokens, seed=int(body.get("seed", 0)))[0] if max_tokens and len(ids) >= \
        model.context else []
    text = "".join(f" {t}" for t in out)
    choice: dict[str, Any] = {"index": 0, "text": text, "finish_reason": "length"}
    if body.get("echo"):
        offsets, values, pos = [], [], 0
        for i, tok in enumerate(ids):
            at = prompt.index(str(tok), pos)
            offsets.append(at)
            pos = at + len(str(tok))
            if i < model.context:
                values.append(None)
            else:
                ctx = np.asarray([ids[i - model.context: i]])
                values.append(float(model.logprob(ctx, np.asarray([tok]))[0]))
        choice["text"] = prompt + text
        choice["logprobs"] = {"text_offset": offsets, "token_logprobs": values, "tokens": [str(t) for t in ids]}
    return {"id": "cmpl-stub", "object": "text_completion", "choices": [choice]}


@contextmanager
def serve_json(reply: Callable[[str, dict[str, Any]], dict[str, Any] | None]) -> Iterator[str]:
    """A loopback HTTP server answering each POST with ``reply(path, body)`` as JSON (None: 404); yields the
    base URL (``.../v1``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            answer = reply(self.path, body)
            if answer is None:
                self.send_error(404)
                return
            data = json.dumps(answer).encode()
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


def serve(model: NGramStudent) -> AbstractContextManager[str]:
    """``/v1/completions`` served by ``model``; yields the base URL."""
    return serve_json(lambda path, body: _completion(model, body) if path == "/v1/completions" else None)
