"""The transformers adapters; skipped where transformers (and torch) are not installed."""

from __future__ import annotations

import numpy as np
import pytest

from distillguard.forensics.keys import MasterKey
from distillguard.forensics.watermark import WatermarkSpec

transformers = pytest.importorskip("transformers")
torch = pytest.importorskip("torch")

MASTER = MasterKey(b"hf adapter tests master key 32 b")


def test_logits_processor_applies_the_same_bias() -> None:
    from distillguard.forensics.hf import logits_processor

    key = MASTER.account_key("acct", "e")
    wm = WatermarkSpec.parse("kgw:h=2,gamma=0.25,delta=2").build(key.key, key.key_id)
    proc = logits_processor(wm)
    input_ids = torch.tensor([[1, 2, 3], [4, 5, 6]])
    scores = torch.randn(2, 500)
    out = proc(input_ids, scores.clone())
    for b in range(2):
        expected = wm.bias(scores[b].numpy().astype(np.float64), input_ids[b].tolist())
        assert np.allclose(out[b].numpy(), expected, atol=1e-5)


def test_synthid_behind_the_same_interface() -> None:
    from distillguard.forensics.hf import SynthIDWatermark

    key = MASTER.account_key("acct", "e")
    wm = WatermarkSpec.parse("synthid:h=4").build(key.key, key.key_id)
    assert isinstance(wm, SynthIDWatermark)
    rng = np.random.default_rng(0)
    vocab, text = 200, list(rng.integers(0, 200, 4))
    base = rng.normal(size=vocab)
    for _ in range(150):
        logits = wm.bias(base, text)
        p = np.exp(logits - logits.max())
        text.append(int(rng.choice(vocab, p=p / p.sum())))
    assert wm.score(text, prompt_len=4).pvalue < 1e-3
    assert wm.score(list(rng.integers(0, 200, 150))).pvalue > 1e-3
