"""The radioactivity experiment (issue 7): students trained on a watermarked share of 0-100%, both
tests with decoy keys on every student, control uniformity and text-level detection."""

from __future__ import annotations

import json

import numpy as np
import pytest

from distillguard.forensics.experiment import (
    ExperimentResult,
    ShareRow,
    World,
    control_uniformity,
    format_result,
    share_sweep,
    text_level,
    train_student,
)
from distillguard.forensics.radioactivity import closed_pairs, holm, open_test, read_predictions


@pytest.fixture(scope="module")
def sweep(world: World) -> list[ShareRow]:
    rows = share_sweep(world)
    print("\n" + format_result(ExperimentResult(world.config, world.teacher.entropy_bits(), sweep=rows)))
    return rows


def row(rows: list[ShareRow], share: float, student: str) -> ShareRow:
    return next(r for r in rows if r.share == share and r.student == student)


def test_every_share_and_student_is_tested_in_both_modes_with_decoys(sweep: list[ShareRow], world: World) -> None:
    assert {(r.share, r.student) for r in sweep} == {(s, n) for s in world.config.shares for n in ("bigram", "trigram")}
    for r in sweep:
        for ev in (r.open, r.closed):
            assert ev.decoys == world.config.decoys and len(ev.decoy_pvalues) == ev.decoys
            assert ev.tokens_scored > 1000 and 0 <= ev.pvalue <= 1 and ev.rank_pvalue is not None


def test_a_student_trained_only_on_watermarked_text_is_caught_in_both_modes(sweep: list[ShareRow]) -> None:
    for student in ("bigram", "trigram"):
        r = row(sweep, 1.0, student)
        assert r.open.pvalue < 1e-10 and r.closed.pvalue < 1e-10, student
        assert r.open.rank_pvalue == pytest.approx(1 / 101) and r.closed.rank_pvalue == pytest.approx(1 / 101)


def test_five_percent_watermarked_is_caught_by_the_open_test(sweep: list[ShareRow]) -> None:
    assert row(sweep, 0.05, "trigram").open.pvalue < 1e-3
    # the bigram student cannot memorise; its figure is reported, not asserted (about 1e-3 to 1e-5 by seed)
    assert row(sweep, 0.10, "bigram").open.pvalue < 1e-6


def test_students_never_shown_the_watermark_are_not_flagged(sweep: list[ShareRow]) -> None:
    for student in ("bigram", "trigram"):
        r = row(sweep, 0.0, student)
        assert r.open.pvalue > 0.01 and r.closed.pvalue > 0.01 and r.open.rank_pvalue > 0.01


def test_control_students_pvalues_are_uniform(world: World) -> None:
    controls = control_uniformity(world)
    print(f"\ncontrols: {len(controls.open_pvalues)} student x key pairs, KS open {controls.open_ks:.3f}, "
          f"closed {controls.closed_ks:.3f}")
    assert len(controls.open_pvalues) >= 100
    assert controls.open_ks > 0.01 and controls.closed_ks > 0.01
    assert np.mean(np.asarray(controls.open_pvalues) < 0.01) <= 0.04


def test_decoy_pvalues_look_uniform_even_for_a_radioactive_student(sweep: list[ShareRow]) -> None:
    r = row(sweep, 1.0, "trigram")
    assert r.open.decoy_ks_pvalue is not None and r.open.decoy_ks_pvalue > 0.001
    assert r.open.control_pvalue is None


def test_text_level_tpr_at_one_percent_fpr_on_200_token_texts(world: World) -> None:
    rows = text_level(world)
    print("\n" + format_result(ExperimentResult(world.config, world.teacher.entropy_bits(), text_level=rows)))
    assert {r.spec for r in rows} == set(world.config.text_level_specs)
    for r in rows:
        assert r.tpr_at_1pct_fpr >= 0.95, r.spec
        # the analytic threshold keeps its promise on clean texts (binomial noise allowed)
        assert r.fpr_at_p01 <= 0.01 + 3 * np.sqrt(0.01 * 0.99 / r.texts), r.spec


def test_the_evidence_record_carries_what_a_report_needs(world: World) -> None:
    student, harvested = train_student(world, 0.1, 3, texts=500)
    reference, _ = train_student(world, 0.0, 3, texts=500)
    ev = open_test(harvested, read_predictions(student, harvested), world.keyring, suspect="student.npz",
                   reference=read_predictions(reference, harvested))
    record = json.loads(json.dumps(ev.as_dict()))
    for name in ("method", "scheme", "key_ids", "accounts", "tokens_read", "tokens_scored", "pvalue",
                 "log10_pvalue", "rank_pvalue", "decoys", "decoy_pvalues", "control_pvalue"):
        assert name in record, name
    assert record["method"] == "radioactivity-open" and record["key_ids"] == [world.watermark.key_id]
    assert record["accounts"] == ["acct_harvester"] and record["pvalue"] < 1e-6
    assert record["control_pvalue"] > 0.01  # a clean reference model on the same texts and key
    assert "rank p" in ev.summary()


def test_closed_pairs_leave_out_prompt_windows_and_repeats() -> None:
    prompt = [1, 2, 3, 4]
    generations = [(prompt, [4, 5, 4, 5, 4, 5]), (prompt, [2, 3, 9])]
    windows, tokens, considered = closed_pairs(generations, 1)
    pairs = {(int(w[0]), int(t)) for w, t in zip(windows, tokens, strict=True)}
    assert considered == 9
    # every position whose window occurs in a prompt (1, 2, 3, 4) is left out; (5 -> 4) is kept once
    assert pairs == {(5, 4)} and len(tokens) == 1


def test_holm_names_only_what_survives_the_correction() -> None:
    assert holm({"a": 1e-6, "b": 1e-4, "c": 0.0009, "d": 0.3}, 0.01) == ["a", "b", "c"]
    assert holm({"a": 0.004, "b": 0.004, "c": 0.004, "d": 0.5}, 0.01) == []  # 0.004 > 0.01 / 4: stops at once
    assert holm({f"x{i}": 0.5 for i in range(50)} | {"h": 1e-5}, 0.01) == ["h"]


def test_a_tier_change_inside_an_epoch_is_tested_per_scheme(world: World) -> None:
    from distillguard.forensics.commands import prove_radioactivity
    from distillguard.forensics.experiment import EPOCH
    from distillguard.forensics.radioactivity import Keyring
    from distillguard.forensics.sim import NGramStudent

    rng = np.random.default_rng(5)
    key = world.master.account_key("acct_moved", EPOCH)
    ring = Keyring(world.master, decoys=0)
    texts = []
    for spec in ("gumbel:h=4", "kgw:h=1,gamma=0.25,delta=3.0"):  # light, then suspect: same key, two schemes
        prompts = world.teacher.prompts(100, 8, rng)
        texts += world.teacher.serve("acct_moved", EPOCH, prompts, 200, rng, ring.add(key, spec))
    student = NGramStudent(world.config.vocab_size).fit([t.ids for t in texts] + [t.ids for t in world.clean[:500]])
    proof = prove_radioactivity(student, texts, world.master, suspect_name="s", mode="open", decoys=5)
    schemes = [e.scheme for e in proof.evidence["acct_moved"]]
    assert schemes == ["gumbel:h=4", "kgw:h=1,gamma=0.25,delta=3"]
    assert proof.named == ["acct_moved"]


def test_the_open_test_leaves_out_pairs_a_model_copies_from_its_own_context() -> None:
    import numpy as np

    from distillguard.forensics.radioactivity import Served, _open_pairs
    from distillguard.forensics.watermark import WatermarkSpec

    wm = WatermarkSpec.parse("kgw:h=1,gamma=0.25,delta=3").build(b"k" * 32, "key")
    segment = list(range(100, 140))
    text = Served("a", "e", "key", "kgw:h=1,gamma=0.25,delta=3", (1, 2, 3), tuple([*segment, 7, *segment]))
    response = np.array(text.response)
    # A model that knows nothing on the first pass (always 999) and copies the segment on its repeat, as an
    # induction head does: the repeat's predicted pairs all occurred earlier in the text itself.
    copier = np.where(np.arange(len(response)) <= len(segment), 999, response)
    pairs, considered = _open_pairs([text], [copier], [wm])
    ((_, _windows, tokens),) = pairs.values()
    assert considered == len(response)
    assert set(tokens.tolist()) <= {999, 100}  # the copied pairs are left out; what remains is not copying
