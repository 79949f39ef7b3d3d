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


# Hashes of the implementation before its windows were read without copying the buffer (they are shared between
# organisations, so they must never change): plain width 64, plain width 24 with key 7, template_hash defaults.
_GOLDEN_VALUES = ["", "a", "Hello World 123", "x" * 47, "y" * 48, "z" * 49, "AB  12   34\t\tcd" * 9,
                  "日本語のテキスト" * 20, "nul\x00byte\x00" * 12, "  leading and trailing   ", "9" * 300,
                  "The quick brown fox. " * 30]
_GOLDEN = {
    "plain64": [9956902025215601993, 646518283200859450, 14145192395636453649, 4524740789473729030,
                5964527585006711246, 1972607166666407351, 7821649741463203334, 15359210076016341268,
                16698177981181104069, 9450877688749145602, 5779707116347518172, 14382832621657256690],
    "plain24": [18271786273620593851, 6303739296979808231, 13285261305095605315, 18088358801690537391,
                7787173815419151568, 17390037973082874978, 12205949752352970144, 15811130140410710285,
                15163209471590948148, 17035008165882188673, 15477121089859498329, 3084488190485982876],
    "template": [165813550045843395, 18107006404091343078, 12627673245569529401, 15686686503107116118,
                 3675274052491035184, 13608692604905962088, 13120219288766412757, 9870069082784064596,
                 8808538996865660620, 18324473437124100646, 16059818201582171075, 10378493445156005470],
}


def _golden_hashes(values: pa.Array) -> dict[str, list[int]]:
    return {
        "plain64": hash_strings(values, width=64).tolist(),
        "plain24": hash_strings(values, width=24, key=7).tolist(),
        "template": template_hash(values).tolist(),
    }


def test_hashes_do_not_change_wherever_a_string_sits_in_its_buffer() -> None:
    assert _golden_hashes(pa.array(_GOLDEN_VALUES)) == _GOLDEN
    for i, value in enumerate(_GOLDEN_VALUES):  # alone: the string ends its buffer (the windows' edge case)
        alone = _golden_hashes(pa.array([value]))
        assert {name: hashes[0] for name, hashes in alone.items()} == {name: h[i] for name, h in _GOLDEN.items()}
    reversed_ = _golden_hashes(pa.array(_GOLDEN_VALUES[::-1]))
    assert reversed_ == {name: h[::-1] for name, h in _GOLDEN.items()}
