"""Fingerprints: keyed hashes, template hashes, HyperLogLog and MinHash."""

import numpy as np
import pyarrow as pa

from distillguard.signals.fingerprint import HyperLogLog, hash_strings, minhash, skeleton, template_hash, unique_pairs


def test_equal_strings_hash_equal_and_keys_change_hashes() -> None:
    values = pa.array(["alpha", "alpha", "beta", None, ""])
    h = hash_strings(values)
    assert h[0] == h[1] != h[2]
    assert h[3] == h[4]  # null hashes like the empty string
    assert not np.array_equal(hash_strings(values, key=1), hash_strings(values, key=2))


def test_hashes_are_stable_across_calls_and_chunking() -> None:
    values = ["x" * n for n in range(0, 600, 7)]
    whole = hash_strings(pa.array(values))
    chunked = hash_strings(pa.chunked_array([pa.array(values[:10]), pa.array(values[10:])]))
    sliced = hash_strings(pa.array(["pad", *values]).slice(1))
    assert np.array_equal(whole, chunked) and np.array_equal(whole, sliced)
    assert len(set(whole.tolist())) == len(values)


def test_template_hash_ignores_case_digits_and_what_the_template_wraps() -> None:
    filled = pa.array([
        "Solve 12 + 3. Show every step of your reasoning." ,
        "solve 990 + 1. show every step of your reasoning.",
        "Translate this into French: the cat sleeps",
    ])
    h = template_hash(filled, width=12)
    assert h[0] == h[1] != h[2]
    wrapped = pa.array(["Please answer in full: " + body + " Show all of your reasoning." for body in
                        ("a" * 300, "What is 7 * 8?", "b" * 500)])
    h = template_hash(wrapped, width=16)
    assert h[0] == h[1] == h[2]


def test_skeleton_masks_numbers_quotes_urls_and_emails() -> None:
    sk = skeleton(pa.array(['Rate "my essay" 1-10, see https://x.io/a or mail a@b.co'])).to_pylist()[0]
    assert "my essay" not in sk and "https" not in sk and "a@b.co" not in sk and "#" in sk


def test_hyperloglog_estimates_within_a_few_percent_and_merges_by_max() -> None:
    values = hash_strings(pa.array([f"v{i}" for i in range(20_000)]))
    groups = np.repeat([0, 1], [15_000, 5_000])
    sketch = HyperLogLog(2, p=10)
    sketch.add(groups, values)
    est = sketch.estimate()
    assert abs(est[0] / 15_000 - 1) < 0.08 and abs(est[1] / 5_000 - 1) < 0.08
    half_a, half_b = HyperLogLog(1, p=10), HyperLogLog(1, p=10)
    half_a.add(np.zeros(10_000, dtype=np.int64), values[:10_000])
    half_b.add(np.zeros(10_000, dtype=np.int64), values[10_000:])
    half_a.merge(half_b)
    assert abs(half_a.estimate()[0] / 20_000 - 1) < 0.08
    assert HyperLogLog(3).estimate().tolist() == [0.0, 0.0, 0.0]


def test_minhash_agreement_tracks_jaccard_similarity() -> None:
    base = hash_strings(pa.array([f"t{i}" for i in range(400)]))
    group = np.concatenate([np.zeros(200), np.ones(200), np.full(200, 2)]).astype(np.int64)
    hashes = np.concatenate([base[:200], base[100:300], base[200:400]])  # J(0,1)=1/3, J(0,2)=0
    sig = minhash(group, hashes, 3, k=256)
    agree01 = (sig[0] == sig[1]).mean()
    agree02 = (sig[0] == sig[2]).mean()
    assert 0.2 < agree01 < 0.47 and agree02 < 0.05


def test_unique_pairs_counts_each_distinct_pair_once() -> None:
    a = np.array([1, 1, 2, 1, 2, 3])
    b = np.array([9, 9, 9, 8, 9, 9], dtype=np.uint64)
    first, counts = unique_pairs(a, b)
    got = sorted((int(a[i]), int(b[i]), int(c)) for i, c in zip(first, counts, strict=True))
    assert got == [(1, 8, 1), (1, 9, 2), (2, 9, 2), (3, 9, 1)]


def test_request_hashes_are_computed_once_per_distinct_value_and_match_row_by_row_hashing() -> None:
    from distillguard.signals.request import _per_distinct

    values = pa.array(["b", None, "a", "b", "b", None, "c"])
    spread = _per_distinct(values, lambda v: hash_strings(v))
    direct = hash_strings(values)
    valid = np.array([v is not None for v in values.to_pylist()])
    assert (spread[valid] == direct[valid]).all()
    assert (spread[~valid] == 0).all()
    calls: list[int] = []
    _per_distinct(values, lambda v: calls.append(len(v)) or hash_strings(v))
    assert calls == [3]
