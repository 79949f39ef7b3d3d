"""DistillBench's detectors: one interface, every account scored, no labels read, each baseline doing what
its paper says on inputs built to show it."""

from __future__ import annotations

import importlib.util
import math
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from distillguard.bench.detectors import (
    DETECTORS,
    Detector,
    KeywordDetector,
    MmdDetector,
    PradaDetector,
    Scores,
    SeatDetector,
    make_detector,
)
from distillguard.bench.vectors import HashedNgrams, SentenceEmbedder, make_encoder
from distillguard.errors import ConfigError, LogReadError
from distillguard.events import read_table, write_jsonl
from distillguard.sim import simulate

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _write_log(path: Path, prompts: dict[str, list[str]], *, spacing_s: float = 7.0) -> Path:
    """A contract §1 log: each account's prompts in order, accounts interleaved in time."""
    records = []
    for account, texts in prompts.items():
        for i, text in enumerate(texts):
            records.append({
                "request_id": f"{account}-{i}",
                "timestamp": (START + timedelta(seconds=i * spacing_s)).isoformat().replace("+00:00", "Z"),
                "account_id": account,
                "endpoint": "/v1/chat/completions",
                "model": "frontier-2",
                "request": {"messages": [{"role": "user", "content": text}]},
            })
    records.sort(key=lambda r: (r["timestamp"], r["account_id"]))
    write_jsonl(records, path)
    return path


def _sentences(rng: random.Random, vocabulary: list[str], count: int, length: int = 12) -> list[str]:
    return [" ".join(rng.choice(vocabulary) for _ in range(length)) for _ in range(count)]


def _words(rng: random.Random, count: int, prefix: str) -> list[str]:
    return [prefix + "".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(6)) for _ in range(count)]


@pytest.fixture(scope="module")
def traffic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Simulated traffic copied into a folder of its own, with no labels.json beside it."""
    sim = simulate(tmp_path_factory.mktemp("sim"), accounts=100, days=0.5, seed=3)
    logs_only = tmp_path_factory.mktemp("logs-only")
    return Path(shutil.copy(sim.traffic, logs_only / "traffic.jsonl.gz"))


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Benign-only traffic from another seed, for the detectors that fit."""
    return simulate(tmp_path_factory.mktemp("reference"), accounts=60, days=0.25, seed=11,
                    scenario="benign-only").traffic


# --- the interface ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DETECTORS))
def test_every_detector_scores_every_account_without_labels(name: str, traffic: Path, reference: Path) -> None:
    assert not (traffic.parent / "labels.json").exists()
    table = read_table([traffic])
    accounts = set(pc.unique(table.column("account_id")).to_pylist())
    detector = make_detector(name)
    detector.fit([reference])
    scores = detector.score([traffic])
    assert isinstance(scores, Scores)
    assert set(scores.accounts) == accounts
    assert all(math.isfinite(v) for v in scores.accounts.values())
    assert scores.events == table.num_rows
    assert len(set(scores.accounts.values())) > 1, "a detector that scores everyone alike measures nothing"
    if scores.clusters is not None:
        members = [a for cluster in scores.clusters for a in cluster]
        assert members and set(members) <= accounts and len(members) == len(set(members))


def test_every_registered_detector_names_itself_and_describes_its_source() -> None:
    assert list(DETECTORS) == ["volume", "prada", "seat", "mmd", "keywords", "distillguard"]
    for name, cls in DETECTORS.items():
        assert issubclass(cls, Detector) and cls.name == name
        assert cls.description and "\n" not in cls.description


def test_make_detector_names_the_choices() -> None:
    with pytest.raises(ConfigError) as unknown:
        make_detector("nope")
    assert all(name in str(unknown.value) for name in DETECTORS)
    with pytest.raises(ConfigError, match=r"dleta.*options: delta, growing_set"):
        make_detector("prada", dleta=0.9)
    with pytest.raises(ConfigError, match="window"):
        make_detector("seat", window=0)
    assert make_detector("seat", threshold=0.8).threshold == 0.8


def test_scan_detector_returns_the_scans_clusters(traffic: Path) -> None:
    scores = make_detector("distillguard").score([traffic])
    assert scores.clusters, "the default scenario's hydra clusters are linked"
    top = scores.clusters[0]
    assert min(scores.accounts[a] for a in top) > np.median(list(scores.accounts.values()))


def test_an_unreadable_log_is_an_error_not_an_empty_score(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-log.jsonl"
    bad.write_text("this is not json\n")
    with pytest.raises(LogReadError, match="not-a-log"):
        make_detector("volume").score([bad])


# --- volume and keywords ---------------------------------------------------------------------------


def test_volume_scores_the_peak_hour(tmp_path: Path) -> None:
    burst = _write_log(tmp_path / "a.jsonl", {"burst": ["hi"] * 60}, spacing_s=1.0)  # 60 in one minute
    spread = _write_log(tmp_path / "b.jsonl", {"spread": ["hi"] * 60}, spacing_s=3600.0)  # one an hour
    scores = make_detector("volume").score([burst, spread]).accounts
    assert math.floor(scores["burst"]) == 60 and math.floor(scores["spread"]) == 1


def test_keywords_flag_prompts_asking_for_step_by_step_reasoning(tmp_path: Path) -> None:
    log = _write_log(tmp_path / "k.jsonl", {
        "asks": ["Solve 3x + 5 = 11. Think Step By Step."] * 8 + ["What is 2 + 2?"] * 2,
        "plain": ["Solve 3x + 5 = 11."] * 10,
        "once": ["Explain photosynthesis step by step."] + ["hello"] * 9,
    })
    scores = KeywordDetector().score([log])
    assert scores.accounts["asks"] > scores.accounts["once"] > scores.accounts["plain"]
    assert scores.details["asks"]["share"] == pytest.approx(0.8)


# --- PRADA -----------------------------------------------------------------------------------------


def test_prada_w_is_high_for_gaussian_distances_and_low_for_synthetic_attackers() -> None:
    prada = PradaDetector()
    rng = np.random.default_rng(1)
    assert prada.shapiro_w(rng.normal(1.0, 0.1, 500).astype(np.float32))[0] > 0.98
    assert prada.shapiro_w(rng.normal(size=50).astype(np.float32)) == (1.0, 50)  # too few to test
    # Benign: independent queries, whose nearest-neighbour distances are close to normal.
    assert prada.account_w(rng.normal(size=(400, 32))) > 0.95
    # Attackers: evenly spaced queries along a line, and seeds each followed by tiny perturbations.
    line = np.arange(400)[:, None] * np.full((1, 32), 0.1)
    seeds = rng.normal(size=(40, 32))
    perturbed = np.concatenate([np.vstack([s, s + rng.normal(scale=0.01, size=(9, 32))]) for s in seeds])
    assert prada.account_w(line) < prada.delta
    assert prada.account_w(perturbed) < prada.delta


def test_prada_alarm_on_a_seed_and_perturbation_attacker_in_a_log(tmp_path: Path) -> None:
    rng = random.Random(5)
    vocabulary = _words(rng, 3000, "w")
    attacker = []
    for seed in _sentences(rng, vocabulary, 30, length=20):
        attacker.append(seed)
        words = seed.split()
        for _ in range(7):  # the seed with one word swapped: tiny steps
            w = list(words)
            w[rng.randrange(len(w))] = rng.choice(vocabulary)
            attacker.append(" ".join(w))
    log = _write_log(tmp_path / "p.jsonl", {"attacker": attacker, "human": _sentences(rng, vocabulary, 240)})
    scores = PradaDetector().score([log])
    assert scores.details["attacker"]["alarm"] == 1.0 and scores.details["human"]["alarm"] == 0.0
    assert scores.accounts["attacker"] > scores.accounts["human"]


# --- SEAT ------------------------------------------------------------------------------------------


def test_seat_ranks_near_duplicate_queries_above_diverse_ones(tmp_path: Path) -> None:
    rng = random.Random(7)
    vocabulary = _words(rng, 2000, "v")
    template = "Classify the sentiment of this movie review as positive or negative and explain why: {}"
    near = [template.format(f"the film number {i} was {rng.choice(['good', 'bad'])}") for i in range(60)]
    log = _write_log(tmp_path / "s.jsonl", {"near": near, "diverse": _sentences(rng, vocabulary, 60)})
    scores = SeatDetector(threshold=0.7).score([log])
    assert scores.accounts["near"] > 1.0 > scores.accounts["diverse"]
    assert scores.details["diverse"]["pairs"] == 0
    # A window of 5 caps what each query is compared with.
    assert SeatDetector(threshold=0.7, window=5).score([log]).accounts["near"] <= 5


# --- MMD -------------------------------------------------------------------------------------------


def test_mmd_scores_a_shifted_account_above_one_drawn_from_the_reference(tmp_path: Path) -> None:
    rng = random.Random(11)
    usual, unusual = _words(rng, 400, "u"), _words(rng, 400, "x")
    reference = _write_log(tmp_path / "ref.jsonl", {f"r{i}": _sentences(rng, usual, 40) for i in range(10)})
    log = _write_log(tmp_path / "log.jsonl", {
        "same": _sentences(rng, usual, 60),
        "shifted": _sentences(rng, usual, 20) + _sentences(rng, unusual, 40),
        "quiet": _sentences(rng, unusual, 3),
    })
    mmd = MmdDetector(permutations=100)
    mmd.fit([reference])
    scores = mmd.score([log])
    assert scores.accounts["shifted"] > scores.accounts["same"]
    assert scores.details["shifted"]["p"] < 0.05 < scores.details["same"]["p"]
    assert scores.accounts["quiet"] == 0.0  # fewer than min_queries: not tested


def test_mmd_without_fit_says_to_fit(tmp_path: Path) -> None:
    log = _write_log(tmp_path / "l.jsonl", {"a": ["hello"] * 3})
    with pytest.raises(ConfigError, match=r"fit\(reference_logs\)"):
        MmdDetector().score([log])


# --- vectors ---------------------------------------------------------------------------------------

TEXTS = pa.array([
    "How do I sort a list of dictionaries by a key in Python?",
    "how do I sort a list of dicts by key in python",
    "Write a haiku about the autumn sea.",
    "",
    None,
    "为什么垃圾处理厂一般选址在公租房附近？",
])


@pytest.mark.parametrize("analyzer", ["word", "char"])
def test_hashed_vectors_are_deterministic_normalised_and_similar_for_similar_texts(analyzer: str) -> None:
    encoder = HashedNgrams(256, analyzer=analyzer)  # type: ignore[arg-type]
    v = encoder.encode(TEXTS)
    assert v.shape == (6, 256) and v.dtype == np.float32
    assert np.array_equal(v, HashedNgrams(256, analyzer=analyzer).encode(TEXTS))  # type: ignore[arg-type]
    assert np.array_equal(v[1:3], encoder.encode(TEXTS.slice(1, 2)))  # a row does not depend on its batch
    norms = np.linalg.norm(v, axis=1)
    assert np.allclose(norms[[0, 1, 2, 5]], 1.0, atol=1e-5) and np.all(norms[[3, 4]] == 0)
    assert v[0] @ v[1] > 0.5 > v[0] @ v[2]
    assert not np.array_equal(v, HashedNgrams(256, analyzer=analyzer, key=1).encode(TEXTS))  # type: ignore[arg-type]


def test_encoder_options_are_checked() -> None:
    with pytest.raises(ConfigError):
        HashedNgrams(1)
    with pytest.raises(ConfigError):
        HashedNgrams(analyzer="bytes")  # type: ignore[arg-type]
    assert make_encoder(dim=64).dim == 64


def test_an_embedding_model_must_be_a_local_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="local folder"):
        SentenceEmbedder("sentence-transformers/all-MiniLM-L6-v2")  # a hub name is refused, never fetched
    with pytest.raises(ConfigError, match="local folder"):
        make_encoder(tmp_path / "missing")


@pytest.mark.skipif(importlib.util.find_spec("sentence_transformers") is None,
                    reason="the [embed] extra (sentence-transformers) is not installed")
def test_sentence_embedder_loads_a_local_model(tmp_path: Path) -> None:
    from sentence_transformers import SentenceTransformer, models

    vocabulary = ["sort", "list", "python", "haiku", "sea", "autumn", "key", "dictionaries"]
    tokenizer = models.tokenizer.WhitespaceTokenizer(vocab=vocabulary)
    weights = np.random.default_rng(0).normal(size=(len(vocabulary), 16)).astype(np.float32)
    words = models.WordEmbeddings(tokenizer=tokenizer, embedding_weights=weights)
    SentenceTransformer(modules=[words, models.Pooling(16)]).save(str(tmp_path / "tiny"))
    encoder = SentenceEmbedder(tmp_path / "tiny")
    v = encoder.encode(TEXTS)
    assert v.shape == (6, 16) and encoder.dim == 16
    assert np.allclose(np.linalg.norm(v[:3], axis=1), 1.0, atol=1e-5)
    assert v[0] @ v[1] > v[0] @ v[2]
    log_scores = SeatDetector(encoder=encoder)
    assert log_scores.encoder is encoder


def test_seat_counts_exactly_the_windowed_pairs_however_the_queries_arrive() -> None:
    from distillguard.bench.detectors import _SeatState

    rng = np.random.default_rng(0)
    for _ in range(20):
        n, window = int(rng.integers(1, 700)), int(rng.integers(1, 300))
        v = rng.normal(size=(n, 8)).astype(np.float32)
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        expected = np.count_nonzero((v @ v.T >= 0.3) & (j < i) & (j >= i - window))
        seat, state = SeatDetector(threshold=0.3, window=window), _SeatState(8)
        for part in np.split(v, np.sort(rng.integers(0, n, size=int(rng.integers(0, 6))))):  # batches
            seat._update(state, part, chunk=int(rng.integers(1, 600)))
        assert state.pairs == expected and state.seen == n
