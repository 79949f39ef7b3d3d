"""Hugging Face transformers adapters, defined only when transformers (and torch) are installed.

- ``WatermarkLogitsProcessor``: any ``Watermark`` as a ``transformers.LogitsProcessor``, so a local
  causal LM serves with it. It must run last, after temperature, top-k and top-p (the Gumbel scheme
  leaves one token and samples from the distribution it is given). ``generate`` runs the processors
  passed in ``logits_processor`` *before* its own temperature, top-k and top-p, so
  ``generate(temperature=0.7, logits_processor=[proc])`` would bias the untempered logits (KGW's
  ``delta`` then acts as ``delta / T``; Gumbel samples at temperature 1 and ignores top-k/top-p).
  ``sampling_processors(watermark, temperature=..., top_k=..., top_p=...)`` builds the list in the
  right order; pass it with generate's own sampling turned off::

      model.generate(ids, do_sample=True, temperature=1.0, top_k=0, top_p=1.0,
                     logits_processor=sampling_processors(wm, temperature=0.7, top_p=0.95))
- ``SynthIDWatermark``: transformers' SynthID-Text processor (Dathathri et al. 2024, Nature) behind
  the ``Watermark`` interface, keyed from our account keys. Detection is the binomial tail of the
  g-values summed over depth (each is a fair coin under the null); this is the simple mean-score
  detector, not SynthID's trained Bayesian one, and table collisions make it approximate.

This module is imported only on use (``WatermarkSpec("synthid").build`` or the CLI); importing
``distillguard.forensics`` never imports torch.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np

from distillguard.errors import ConfigError
from distillguard.forensics.watermark import Watermark, WatermarkSpec, binomial_tail

try:  # optional: the class below exists only where transformers is installed
    import torch
    from transformers import LogitsProcessor, LogitsProcessorList
except ImportError:  # pragma: no cover - depends on the environment
    torch = None
    LogitsProcessor = LogitsProcessorList = None

AVAILABLE = LogitsProcessor is not None


def _require() -> None:
    if not AVAILABLE:
        raise ConfigError("this needs transformers and torch: pip install transformers torch")


if AVAILABLE:

    class WatermarkLogitsProcessor(LogitsProcessor):  # type: ignore[misc, valid-type]
        """Applies ``watermark.bias`` to every row of a generation batch."""

        def __init__(self, watermark: Watermark) -> None:
            self.watermark = watermark

        def __call__(self, input_ids: Any, scores: Any) -> Any:
            w = self.watermark.window
            if input_ids.shape[1] < w:
                return scores
            logits = scores.detach().float().cpu().numpy()
            windows = input_ids[:, input_ids.shape[1] - w:].cpu().numpy().astype(np.int64)
            vocab = np.broadcast_to(np.arange(logits.shape[1], dtype=np.int64), logits.shape)
            biased = self.watermark.bias_batch(logits, vocab, windows)
            return torch.from_numpy(np.ascontiguousarray(biased, dtype=np.float32)).to(scores.device, scores.dtype)


def logits_processor(watermark: Watermark) -> Any:
    """``watermark`` as a transformers ``LogitsProcessor`` (ConfigError without transformers)."""
    _require()
    return WatermarkLogitsProcessor(watermark)


def sampling_processors(watermark: Watermark, *, temperature: float = 1.0, top_k: int = 0,
                        top_p: float = 1.0) -> Any:
    """A ``LogitsProcessorList``: temperature, top-k, top-p, then ``watermark`` last.

    Pass it to ``generate`` with ``do_sample=True, temperature=1.0, top_k=0, top_p=1.0`` so generate adds
    no warpers of its own after the watermark (see the module docstring)."""
    _require()
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopKLogitsWarper, TopPLogitsWarper

    procs: list[Any] = []
    if temperature != 1.0:
        procs.append(TemperatureLogitsWarper(temperature))
    if top_k:
        procs.append(TopKLogitsWarper(top_k))
    if top_p < 1.0:
        procs.append(TopPLogitsWarper(top_p))
    return LogitsProcessorList([*procs, WatermarkLogitsProcessor(watermark)])


class SynthIDWatermark(Watermark):
    """transformers' ``SynthIDTextWatermarkLogitsProcessor`` behind the ``Watermark`` interface."""

    def __init__(self, key: bytes, key_id: str, *, context_width: int = 4, depth: int = 30,
                 sampling_table_size: int = 2**16) -> None:
        _require()
        from transformers.generation.logits_process import SynthIDTextWatermarkLogitsProcessor

        super().__init__(key, key_id)
        self.spec = WatermarkSpec("synthid", context_width)
        stream = hashlib.shake_256(b"synthid\x00" + key).digest(4 * (depth + 1))
        words = [int.from_bytes(stream[4 * i: 4 * i + 4], "big") & 0x7FFFFFFF for i in range(depth + 1)]
        self.depth = depth
        self.processor = SynthIDTextWatermarkLogitsProcessor(
            ngram_len=context_width + 1, keys=words[:depth], sampling_table_size=sampling_table_size,
            sampling_table_seed=words[depth], context_history_size=1024, device=torch.device("cpu"))

    def g_values(self, windows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """g-values (n, m, depth) of candidate ``tokens`` (n, m) after ``windows`` (n, window)."""
        ctx = torch.as_tensor(np.asarray(windows, dtype=np.int64))
        idx = torch.as_tensor(np.asarray(tokens, dtype=np.int64))
        keys, _ = self.processor._compute_keys(ctx, idx)
        return self.processor.sample_g_values(keys).cpu().numpy()

    def token_scores(self, windows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        tokens = np.asarray(tokens, dtype=np.int64)
        if not len(tokens):
            return np.zeros(0)
        return self.g_values(windows, tokens[:, None])[:, 0, :].sum(axis=-1).astype(np.float64)

    def null_tail(self, statistic: float, n: int) -> tuple[float, float, float, float]:
        trials = n * self.depth
        p, log10p = binomial_tail(round(statistic), trials, 0.5)
        return p, log10p, trials * 0.5, float(np.sqrt(trials * 0.25))

    def bias_batch(self, logits: np.ndarray, candidates: np.ndarray, windows: np.ndarray) -> np.ndarray:
        g = torch.as_tensor(self.g_values(windows, candidates))
        scores = torch.as_tensor(np.asarray(logits, dtype=np.float32))
        return self.processor.update_scores(scores, g).cpu().numpy().astype(np.float64)
