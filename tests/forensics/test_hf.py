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


def _tiny_llama():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=300, hidden_size=32, intermediate_size=64, num_hidden_layers=1,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=256,
                         bos_token_id=0, eos_token_id=1, pad_token_id=1)
    return LlamaForCausalLM(config).eval()


def test_sampling_processors_put_the_watermark_after_the_warpers() -> None:
    from distillguard.forensics.hf import WatermarkLogitsProcessor, sampling_processors

    key = MASTER.account_key("acct", "e")
    wm = WatermarkSpec.parse("gumbel:h=2").build(key.key, key.key_id)
    procs = sampling_processors(wm, temperature=0.5, top_k=5, top_p=0.9)
    assert isinstance(procs[-1], WatermarkLogitsProcessor) and len(procs) == 4
    input_ids = torch.tensor([[3, 4, 5], [6, 7, 8]])
    scores = torch.randn(2, 400)
    out = procs(input_ids, scores.clone())
    top5 = scores.topk(5, dim=-1).indices
    for b in range(2):
        chosen = int(torch.isfinite(out[b]).nonzero()[0, 0])
        assert torch.isfinite(out[b]).sum() == 1 and chosen in top5[b].tolist()


def test_generate_follows_top_k_and_carries_the_watermark() -> None:
    """generate() runs ``logits_processor`` before its own warpers: with ``sampling_processors`` the
    Gumbel choice respects top-k, and a KGW-watermarked generation is detected."""
    from distillguard.forensics.hf import sampling_processors

    model = _tiny_llama()
    key = MASTER.account_key("acct", "e")
    prompts = torch.randint(2, 300, (4, 6), generator=torch.Generator().manual_seed(1))
    common = {"do_sample": True, "temperature": 1.0, "top_k": 0, "top_p": 1.0, "max_new_tokens": 40,
              "min_new_tokens": 40, "pad_token_id": 1}

    gumbel = WatermarkSpec.parse("gumbel:h=2").build(key.key, key.key_id)
    torch.manual_seed(2)
    with torch.no_grad():
        out = model.generate(prompts, logits_processor=sampling_processors(gumbel, temperature=0.7, top_k=3), **common)
        logits = model(out).logits
    top3 = logits[:, prompts.shape[1] - 1: -1].topk(3, dim=-1).indices
    generated = out[:, prompts.shape[1]:]
    assert (top3 == generated[..., None]).any(-1).all()

    kgw = WatermarkSpec.parse("kgw:h=1,gamma=0.25,delta=4").build(key.key, key.key_id)
    torch.manual_seed(3)
    with torch.no_grad():
        marked = model.generate(prompts, logits_processor=sampling_processors(kgw, temperature=0.8), **common)
        plain = model.generate(prompts, **{**common, "temperature": 0.8})
    n = prompts.shape[1]
    assert all(kgw.score(row.tolist(), prompt_len=n).pvalue < 1e-3 for row in marked)
    assert all(kgw.score(row.tolist(), prompt_len=n).pvalue > 1e-4 for row in plain)
