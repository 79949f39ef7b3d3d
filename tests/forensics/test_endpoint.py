"""A suspect behind an OpenAI-compatible endpoint on loopback (a stub server over real HTTP)."""

from __future__ import annotations

import numpy as np
import pytest

from distillguard.errors import ConfigError
from distillguard.forensics.endpoint import EndpointSuspect, IdsTokenizer, require_loopback
from distillguard.forensics.experiment import World, train_student
from distillguard.forensics.radioactivity import closed_test, collect_generations

from .stub_endpoint import serve


def test_only_loopback_endpoints_are_queried() -> None:
    assert require_loopback("http://127.0.0.1:8000/v1/") == "http://127.0.0.1:8000/v1"
    assert require_loopback("http://localhost:8000/v1") == "http://localhost:8000/v1"
    assert require_loopback("http://[::1]:8000/v1") == "http://[::1]:8000/v1"
    for url in ("http://10.0.0.1:8000/v1", "http://8.8.8.8/v1", "ftp://127.0.0.1/", "not a url"):
        with pytest.raises(ConfigError):
            require_loopback(url)


def test_closed_test_through_an_endpoint(world: World) -> None:
    student, harvested = train_student(world, 1.0, 3, texts=300)
    prompts = [list(t.prompt) for t in harvested[:40]]
    with serve(student) as url:
        suspect = EndpointSuspect(url, IdsTokenizer())
        try:
            gens = collect_generations(suspect, prompts, 60, seed=1)
            ev = closed_test(gens, world.watermark, account="acct_harvester", suspect=url)
            assert all(len(g) == 60 for _, g in gens)
            assert ev.pvalue < 1e-10
            # prompt log-probabilities come back through echo + logprobs
            ids = harvested[0].ids[:12]
            lp = suspect.continuation_logprob(" ".join(map(str, ids[:10])), " ".join(map(str, ids[10:12])))
            ctx = np.asarray([ids[8:10], ids[9:11]])
            assert lp == pytest.approx(float(student.logprob(ctx, np.asarray(ids[10:12])).sum()), rel=1e-6)
            with pytest.raises(ConfigError):
                suspect.top1([ids], [0])
        finally:
            suspect.close()


def test_an_unreachable_endpoint_is_a_clear_error() -> None:
    suspect = EndpointSuspect("http://127.0.0.1:9/v1", IdsTokenizer(), timeout=2)
    with pytest.raises(ConfigError, match="completions failed"):
        suspect.generate([[1, 2, 3]], 5)
