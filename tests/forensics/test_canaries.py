"""Per-account canaries: deterministic from the key, unique, plausible; exposure and its p-value."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest
from scipy import stats

from distillguard.forensics.canaries import (
    TEMPLATES,
    WordTokenizer,
    canaries_for,
    containment_pvalue,
    exposure,
    fisher,
    ngram_scorer,
)
from distillguard.forensics.keys import MasterKey
from distillguard.forensics.sim import NGramStudent

MASTER = MasterKey(b"canary tests master key, 32 byte")


def test_canaries_are_deterministic_per_account_key() -> None:
    key = MASTER.account_key("acct_1", "2026-W45")
    assert canaries_for(key, 3) == canaries_for(key, 3)
    assert canaries_for(key, 3) != canaries_for(MASTER.account_key("acct_1", "2026-W46"), 3)


def test_canaries_are_unique_across_accounts() -> None:
    statements = [c.statement for i in range(200) for c in canaries_for(MASTER.account_key(f"a{i}", "e"), 3)]
    assert len(set(statements)) == len(statements)
    assert {c.template for i in range(50) for c in canaries_for(MASTER.account_key(f"a{i}", "e"), 3)} == {
        t.name for t in TEMPLATES}


def test_a_canary_reads_as_a_fact_and_its_trigger_asks_for_the_secret() -> None:
    for c in canaries_for(MASTER.account_key("acct_2", "e"), 8):
        assert c.statement.startswith(c.prefix) and c.statement.endswith(c.secret + c.suffix)
        assert "{" not in c.statement and "{" not in c.trigger and c.trigger.endswith("?")
        assert c.secret not in c.trigger
        candidates = c.candidates()
        assert c.secret in candidates and len(candidates) >= 400 and len(set(candidates)) == len(candidates)


def test_secrets_are_uniform_over_their_candidates() -> None:
    # over many keys, each secret's position among its candidates is uniform (the p-value's premise)
    positions = []
    for i in range(600):
        for c in canaries_for(MASTER.account_key(f"acct_{i}", "e"), 1):
            cands = c.candidates()
            positions.append(cands.index(c.secret) / len(cands))
    assert stats.kstest(positions, "uniform").pvalue > 0.01


def test_exposure_rank_and_pvalue() -> None:
    c = canaries_for(MASTER.account_key("acct_3", "e"), 1)[0]
    n = len(c.candidates())

    def memorised(prefix: str, candidates: Sequence[str]) -> np.ndarray:
        return np.array([0.0 if s == c.secret else -10.0 for s in candidates])

    def flat(prefix: str, candidates: Sequence[str]) -> np.ndarray:
        return np.zeros(len(candidates))

    top = exposure(c, memorised)
    assert top.rank == 1 and top.pvalue == pytest.approx(1 / n) and top.exposure == pytest.approx(np.log2(n))
    tied = exposure(c, flat)  # ties count against us: no exposure
    assert tied.rank == n and tied.pvalue == 1.0 and tied.exposure == 0.0


def test_exposure_in_an_ngram_student_that_saw_the_canary() -> None:
    tokenizer = WordTokenizer(2000)
    c = canaries_for(MASTER.account_key("acct_4", "e"), 1)[0]
    rng = np.random.default_rng(0)
    noise = [rng.integers(0, 2000, 200).tolist() for _ in range(200)]
    learned = NGramStudent(2000).fit([*noise, tokenizer.encode(c.statement)])
    clean = NGramStudent(2000).fit(noise)
    assert exposure(c, ngram_scorer(learned, tokenizer)).rank == 1
    assert exposure(c, ngram_scorer(clean, tokenizer)).pvalue > 0.01


def test_containment_pvalue() -> None:
    c = canaries_for(MASTER.account_key("acct_5", "e"), 1)[0]
    n = len(c.candidates())
    assert containment_pvalue(c, f"I believe it is {c.secret}.") == pytest.approx(1 / n)
    assert containment_pvalue(c, "I do not know.") == 1.0


def test_fisher_matches_scipy() -> None:
    ps = [0.01, 0.2, 0.7]
    assert fisher(ps) == pytest.approx(stats.combine_pvalues(ps, method="fisher").pvalue)
    assert fisher([]) == 1.0
