"""The watermark interface: exact tails, deduplication, prompt exclusion, decoy calibration, bias."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from distillguard.errors import ConfigError
from distillguard.forensics.keys import MasterKey
from distillguard.forensics.watermark import (
    KGW,
    Gumbel,
    Watermark,
    WatermarkSpec,
    binomial_tail,
    gamma_tail,
    rank_pvalue,
    sample_from_logits,
)

MASTER = MasterKey(b"watermark tests master key 32 b!")
SPECS = ["kgw:h=0,gamma=0.25,delta=2", "kgw:h=1,gamma=0.25,delta=2", "kgw:h=2,gamma=0.5,delta=2",
         "kgw:h=3,gamma=0.25,delta=2", "kgw:h=4,gamma=0.25,delta=2", "kgw-selfhash:h=4,gamma=0.25,delta=2",
         "gumbel:h=1", "gumbel:h=4"]


def build(spec: str, account: str = "acct") -> Watermark:
    key = MASTER.account_key(account, "e")
    return WatermarkSpec.parse(spec).build(key.key, key.key_id)


def generate(wm: Watermark | None, n: int, length: int, vocab: int = 500, seed: int = 0) -> np.ndarray:
    """Texts from a random high-entropy unigram-ish model, watermarked through ``bias``."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=vocab)
    out = np.zeros((n, length), dtype=np.int64)
    out[:, :4] = rng.integers(0, vocab, size=(n, 4))
    cand = np.broadcast_to(np.arange(vocab), (n, vocab))
    for t in range(4, length):
        logits = np.broadcast_to(base, (n, vocab)).copy()
        if wm is not None:
            logits = wm.bias_batch(logits, cand, out[:, t - wm.window: t])
        out[:, t] = sample_from_logits(logits, rng)
    return out


def test_exact_tails_match_scipy() -> None:
    for k, n, g in [(30, 100, 0.25), (0, 10, 0.5), (77, 200, 0.25), (200, 200, 0.25)]:
        p, log10p = binomial_tail(k, n, g)
        assert p == pytest.approx(stats.binom.sf(k - 1, n, g), rel=1e-12, abs=1e-300)
        assert log10p == pytest.approx(np.log10(max(p, 1e-300)), abs=1e-9) or p == 0
    for s, n in [(120.0, 100), (3.0, 5), (50.0, 20)]:
        p, _ = gamma_tail(s, n)
        assert p == pytest.approx(stats.gamma.sf(s, n), rel=1e-12)


def test_far_tails_keep_a_finite_log10() -> None:
    p, log10p = binomial_tail(9000, 10000, 0.25)
    assert p == 0.0 and -5000 < log10p < -3000  # scipy underflows; the log-space sum does not
    p, log10p = gamma_tail(50000.0, 10000)
    assert p == 0.0 and np.isfinite(log10p) and log10p < -1000
    # continuity with scipy where scipy is still finite
    assert binomial_tail(700, 1000, 0.25)[1] == pytest.approx(stats.binom.logsf(699, 1000, 0.25) / np.log(10))


@pytest.mark.parametrize("spec", SPECS)
def test_watermarked_texts_are_detected_and_clean_ones_are_not(spec: str) -> None:
    wm = build(spec)
    marked = generate(wm, 20, 150, seed=1)
    clean = generate(None, 20, 150, seed=2)
    assert np.mean([wm.score(t, prompt_len=4).pvalue < 1e-4 for t in marked]) >= 0.9
    assert np.mean([wm.score(t, prompt_len=4).pvalue < 0.01 for t in clean]) <= 0.1
    other = build(spec, "another account")  # a different key sees nothing
    assert np.mean([other.score(t, prompt_len=4).pvalue < 0.01 for t in marked]) <= 0.15


def test_null_pvalues_are_valid_for_every_scheme() -> None:
    rng = np.random.default_rng(3)
    texts = rng.integers(0, 2000, size=(400, 120))
    for spec in SPECS:
        ps = np.array([build(spec).score(t).pvalue for t in texts])
        assert np.mean(ps < 0.05) <= 0.05 + 3 * np.sqrt(0.05 * 0.95 / len(ps)), spec
        if spec.startswith("gumbel"):  # continuous statistic: uniform
            assert stats.kstest(ps, "uniform").pvalue > 0.01


def test_repeated_context_token_pairs_are_scored_once() -> None:
    wm = build("kgw:h=1,gamma=0.25,delta=2")
    text = generate(wm, 1, 100, seed=4)[0]
    once = wm.score(text)
    looped = wm.score(np.concatenate([text] * 5))
    # the loop adds only the pairs across the joins; everything else repeats
    assert once.scored <= looped.scored <= once.scored + 4
    assert looped.tokens == 5 * len(text) - 1
    without = wm.score(np.concatenate([text] * 5), dedup=False)
    assert without.scored == looped.tokens and without.pvalue < looped.pvalue  # repeats would overstate evidence


def test_prompt_tokens_are_excluded() -> None:
    wm = build("kgw:h=1,gamma=0.25,delta=2")
    marked = generate(wm, 1, 200, seed=5)[0]
    clean = generate(None, 1, 60, seed=6)[0]
    text = np.concatenate([marked, clean])  # a watermarked prompt, then an unwatermarked response
    assert wm.score(text).pvalue < 1e-10
    excluded = wm.score(text, prompt_len=len(marked))
    assert excluded.tokens == len(clean) and excluded.pvalue > 1e-3
    # windows seen in a prompt can be excluded too
    windows = [tuple(text[i - 1: i]) for i in range(1, len(marked))]
    assert wm.score(text, exclude_windows=windows).scored < wm.score(text).scored


def test_decoy_rank_pvalues_are_valid_under_the_null() -> None:
    rng = np.random.default_rng(7)
    wm = build("kgw:h=1,gamma=0.25,delta=2")
    decoys = [wm.with_key(MASTER.decoy_key(wm.key_id, j), f"d{j}") for j in range(19)]
    ranks = [wm.score(rng.integers(0, 1000, 150), decoys=decoys).rank_pvalue for _ in range(300)]
    ranks = np.asarray(ranks, dtype=float)
    # the rank p-value takes values k/20; P(p <= k/20) <= k/20 under the null
    for k in (1, 2, 5, 10):
        assert np.mean(ranks <= k / 20) <= k / 20 + 3 * np.sqrt((k / 20) * (1 - k / 20) / len(ranks))
    marked = generate(wm, 1, 200, seed=8)[0]
    d = wm.score(marked, decoys=decoys)
    assert d.rank_pvalue == pytest.approx(1 / 20) and d.decoys == 19 and len(d.decoy_pvalues) == 19
    assert rank_pvalue(5.0, [1.0, 5.0, 6.0]) == 0.75


def test_kgw_bias_adds_delta_to_green_tokens_only() -> None:
    wm = build("kgw:h=2,gamma=0.25,delta=2")
    assert isinstance(wm, KGW)
    logits = np.zeros(1000)
    biased = wm.bias(logits, [5, 6, 7])
    green = wm.green(np.array([[6, 7]]), np.arange(1000)[None, :])[0]
    assert np.allclose(biased[green], 2.0) and np.allclose(biased[~green], 0.0)
    assert 0.2 < green.mean() < 0.3
    assert np.array_equal(wm.bias(logits, [5]), logits)  # not enough context: unchanged


def test_selfhash_seeds_with_the_token_itself() -> None:
    wm = build("kgw-selfhash:h=4,gamma=0.25,delta=2")
    assert wm.window == 3  # the fourth hashed token is the candidate
    windows = np.array([[1, 2, 3]])
    g1 = wm.green(windows, np.arange(2000)[None, :])[0]
    # a plain KGW green list after the same window is one fixed list; self-hash's depends on each candidate,
    # and an anchored min-hash is unchanged by reordering the window
    assert np.array_equal(g1, wm.green(np.array([[3, 1, 2]]), np.arange(2000)[None, :])[0])
    assert 0.2 < g1.mean() < 0.3


def test_gumbel_sampling_is_distortion_free_over_keys() -> None:
    probs = np.array([0.5, 0.3, 0.15, 0.05])
    logits = np.log(probs)
    counts = np.zeros(4)
    for i in range(4000):
        wm = Gumbel(MASTER.account_key(f"a{i}", "e").key, "k", context_width=1)
        counts[np.argmax(wm.bias(logits, [0]))] += 1
    assert stats.chisquare(counts, probs * 4000).pvalue > 0.001
    one = Gumbel(MASTER.account_key("a", "e").key, "k", context_width=1).bias(logits, [0])
    assert np.isfinite(one).sum() == 1


def test_specs_parse_and_reject_bad_values() -> None:
    assert str(WatermarkSpec.parse("kgw:h=1,gamma=0.25,delta=3")) == "kgw:h=1,gamma=0.25,delta=3"
    assert WatermarkSpec.parse("gumbel:h=4").context_width == 4
    for bad in ("nope:h=1", "kgw:h=9", "kgw:gamma=1.5", "kgw:h=x", "kgw:width=2", "kgw-selfhash:h=0"):
        with pytest.raises(ConfigError):
            WatermarkSpec.parse(bad)
