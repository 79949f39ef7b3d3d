"""Behaviour features on hand-built request columns, checked against values worked out by hand."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa

from distillguard.accounts.features import DAY_MS, FEATURES, HOUR_MS, _sort_by_group, find_release, group_features
from distillguard.accounts.store import _COLUMNS, Events
from distillguard.signals.fingerprint import HyperLogLog, hash_strings


def _events(acct: list[int], ts: list[int], models: list[str] | None = None, **columns: list) -> Events:
    n = len(acct)
    cols = {name: np.zeros(n, dtype=dtype) for name, dtype in _COLUMNS.items()}
    cols["acct"] = np.array(acct, dtype=np.int32)
    cols["ts"] = np.array(ts, dtype=np.int64)
    cols["temperature"] = np.full(n, np.nan, dtype=np.float32)
    cols["ok"] = np.ones(n, dtype=bool)
    cols["prompt_hash"] = hash_strings(pa.array([f"p{i}" for i in range(n)]))
    cols["turns"] = np.ones(n, dtype=np.int16)
    for name, values in columns.items():
        cols[name] = np.array(values, dtype=_COLUMNS[name])
    names = sorted(set(models or ["m"]))
    if models:
        cols["model"] = np.array([names.index(m) for m in models], dtype=np.int16)
    return Events(cols, [f"a{i}" for i in range(max(acct) + 1)], names)


def _features(ev: Events, n: int) -> dict[str, np.ndarray]:
    sketches = {name: HyperLogLog(n) for name in ("template", "prompt_hash", "end_user", "ip")}
    present = ev["prompt_hash"] != 0
    sketches["prompt_hash"].add(ev["acct"][present], ev["prompt_hash"][present])
    return group_features(ev, ev["acct"], n, sketches=sketches, created_ms=np.full(n, np.nan),
                          release=find_release(ev))


def test_machine_pacing_round_the_clock_versus_a_daytime_person() -> None:
    machine = [i * 15 * 60_000 for i in range(3 * 96)]  # every 15 minutes for 3 days
    rng = np.random.default_rng(1)
    person = sorted(int(d * DAY_MS + rng.uniform(9, 18) * HOUR_MS) for d in range(3) for _ in range(40))
    ev = _events([0] * len(machine) + [1] * len(person), machine + person)
    f = _features(ev, 2)
    assert f["pacing_regularity"][0] == 1.0 and f["pacing_regularity"][1] < 0.7
    assert abs(f["hour_entropy"][0] - 1.0) < 1e-9 and f["hour_entropy"][1] < 0.75
    assert f["median_gap_s"][0] == 900.0
    assert f["daily_flatness"][0] > 0.95


def test_bursts_repeats_and_shares() -> None:
    ts = [0, 200, 400, 600, 10_000_000]
    ev = _events([0] * 5, ts, cot=[1.0, 1.0, 0.5, 0.0, 0.0], grader=[1, 0, 0, 0, 0], turns=[1, 2, 3, 1, 1])
    ev.columns["prompt_hash"][1] = ev.columns["prompt_hash"][0]  # one exact repeat
    f = _features(ev, 1)
    assert f["burst_share"][0] == 0.75  # three of four gaps under a second
    assert f["cot_coercion_share"][0] == 0.4 and f["step_by_step_share"][0] == 0.2
    assert f["grader_share"][0] == 0.2 and f["multi_turn_share"][0] == 0.4
    assert abs(f["prompt_repeat_share"][0] - 0.2) < 0.02


def test_novelty_counts_prompts_no_other_account_sent() -> None:
    ev = _events([0, 0, 0, 0, 1, 1], [0, 1, 2, 3, 4, 5])
    ev.columns["prompt_hash"][4] = ev.columns["prompt_hash"][0]  # account 1 reuses one of account 0's prompts
    f = _features(ev, 2)
    assert f["prompt_novelty"][0] == 0.75 and f["prompt_novelty"][1] == 0.5


def test_new_model_pivot_is_fast_and_large_only_for_accounts_active_before_release() -> None:
    day = DAY_MS
    old = [i * HOUR_MS for i in range(38)]  # account 0: 38 hours on the old model
    moved = [day + 14 * HOUR_MS + i * HOUR_MS for i in range(24)]  # then a day on the new one
    newcomer = [day + 20 * HOUR_MS + i * HOUR_MS for i in range(10)]  # account 1 arrives after release
    acct = [0] * (len(old) + len(moved)) + [1] * len(newcomer)
    models = ["old"] * len(old) + ["new"] * len(moved) + ["new"] * len(newcomer)
    ev = _events(acct, old + moved + newcomer, models)
    release = find_release(ev)
    assert release is not None and release.at_ms == moved[0]
    f = _features(ev, 2)
    assert f["new_model_share"][0] == 1.0 and f["new_model_pivot"][0] == 1.0
    assert f["new_model_pivot"][1] == 0.0  # adopting on arrival is not a pivot


def test_no_release_when_every_model_is_there_from_the_start() -> None:
    ev = _events([0, 0], [0, 1], ["a", "b"])
    assert find_release(ev) is None


def test_peak_windows_find_the_burst_an_average_hides() -> None:
    # Account 0: 10 requests a day for 3 days. Account 1: 3 a day, then 120 inside one hour on day 2.
    steady = [d * DAY_MS + h * HOUR_MS for d in range(3) for h in range(10)]
    burst = [d * DAY_MS + 5 * HOUR_MS for d in range(3) for _ in range(3)]
    burst += [DAY_MS + 12 * HOUR_MS + i * 20_000 for i in range(120)]
    ev = _events([0] * len(steady) + [1] * len(burst), steady + burst)
    f = _features(ev, 2)
    assert f["peak_hour_requests"].tolist() == [1.0, 120.0]  # the burst hour; its day-2 5 am requests are apart
    assert abs(f["peak_day_share"][0] - 1 / 3) < 1e-9
    assert abs(f["peak_day_share"][1] - 123 / 129) < 1e-9


def test_features_on_a_thread_pool_are_the_same_and_in_feature_order() -> None:
    rng = np.random.default_rng(4)
    n, rows = 30, 5000
    acct = rng.integers(0, n, rows).tolist()
    ts = sorted(rng.integers(0, 4 * DAY_MS, rows).tolist())
    models = ["old" if t < 2 * DAY_MS else str(rng.choice(["old", "new"])) for t in ts]
    ev = _events(acct, ts, models, cot=rng.choice([0.0, 0.5, 1.0], rows).tolist(),
                 max_tokens=rng.integers(0, 3, rows).tolist(), grader=(rng.random(rows) < 0.1).tolist())
    ev.columns["temperature"][::3] = rng.random(len(ev.columns["temperature"][::3]))
    ev.columns["prompt_hash"][::4] = ev.columns["prompt_hash"][0]  # one prompt many accounts send
    alone = _features(ev, n)
    with ThreadPoolExecutor(max_workers=2) as pool:
        sketches = {name: HyperLogLog(n) for name in ("template", "prompt_hash", "end_user", "ip")}
        present = ev["prompt_hash"] != 0
        sketches["prompt_hash"].add(ev["acct"][present], ev["prompt_hash"][present])
        pooled = group_features(ev, ev["acct"], n, sketches=sketches, created_ms=np.full(n, np.nan),
                                release=find_release(ev), pool=pool)
    assert list(alone) == list(pooled) == list(FEATURES)
    for name in FEATURES:
        assert np.array_equal(alone[name], pooled[name], equal_nan=True), name


def test_sort_by_group_is_the_two_key_sort_with_or_without_the_combined_key() -> None:
    rng = np.random.default_rng(9)
    group = rng.integers(0, 50, 20_000)
    values = rng.integers(-(10**12), 10**12, 20_000)
    for n, values_ in ((50, values), (50, values // 10**6), (2**40, values)):  # the last: too wide to combine
        order = np.lexsort((values_, group))
        g, v = _sort_by_group(group, values_, n)
        assert np.array_equal(g, group[order]) and np.array_equal(v, values_[order])
