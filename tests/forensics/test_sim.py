"""The simulator: the teacher's entropy control and the n-gram students' suspect interface."""

from __future__ import annotations

import numpy as np
import pytest

from distillguard.errors import ConfigError
from distillguard.forensics.sim import MarkovTeacher, NGramStudent


@pytest.fixture(scope="module")
def data() -> np.ndarray:
    teacher = MarkovTeacher(300, support=20, alpha=0.2, seed=1)
    rng = np.random.default_rng(0)
    return teacher.generate(teacher.prompts(200, 4, rng), 60, rng)


def test_teacher_entropy_falls_with_alpha() -> None:
    assert MarkovTeacher(500, alpha=0.05).entropy_bits() < MarkovTeacher(500, alpha=0.5).entropy_bits()


@pytest.mark.parametrize("order", [2, 3])
def test_student_distributions_top1_and_sampling_agree(data: np.ndarray, order: int) -> None:
    s = NGramStudent(300, order=order, k=0.01).fit(list(data))
    ctx = data[:50, 10: 10 + s.context]
    probs = s.next_probs(ctx)
    assert np.allclose(probs.sum(axis=1), 1.0)
    assert np.array_equal(probs.argmax(axis=1), s.top1_contexts(ctx))
    nxt = data[:50, 10 + s.context]
    assert np.allclose(s.logprob(ctx, nxt), np.log(probs[np.arange(50), nxt]))
    draws = s.sample_next(np.repeat(ctx[:1], 100000, axis=0), np.random.default_rng(1))
    assert np.abs(np.bincount(draws, minlength=300) / 100000 - probs[0]).max() < 0.01
    assert [len(p) for p in s.top1([data[0].tolist()], [0])] == [data.shape[1]]


def test_student_files_round_trip(data: np.ndarray, tmp_path) -> None:
    s = NGramStudent(300, order=3).fit(list(data))
    s.save(tmp_path / "s.npz")
    loaded = NGramStudent.load(tmp_path / "s.npz")
    ctx = data[:20, 5:7]
    assert np.allclose(loaded.next_probs(ctx), s.next_probs(ctx))
    (tmp_path / "bad.npz").write_bytes(b"not a model")
    with pytest.raises(ConfigError):
        NGramStudent.load(tmp_path / "bad.npz")


def test_student_generation_is_seeded(data: np.ndarray) -> None:
    s = NGramStudent(300, order=3).fit(list(data))
    prompts = [data[i, :4].tolist() for i in range(5)]
    assert s.generate(prompts, 20, seed=3) == s.generate(prompts, 20, seed=3)
    assert all(len(g) == 20 for g in s.generate(prompts, 20, seed=3))
    with pytest.raises(ConfigError):
        s.generate([[1]], 5)
