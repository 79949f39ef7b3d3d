"""Behaviour features of a group of requests: an account, or a cluster taken as one actor.

``group_features(events, group, n_groups, ...)`` computes every feature for every group in one
vectorised pass (``np.bincount`` and one sort by group and time). The same function scores accounts
(``group = events["acct"]``) and clusters (``group`` = each request's cluster), so a cluster is judged
on its aggregate behaviour with exactly the account's definitions.

Feature ids are stable: they are the names in evidence entries, the scoring weights and the docs.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from typing import Final, ParamSpec, TypeVar

import numpy as np

from distillguard.accounts.store import Events
from distillguard.signals.fingerprint import HyperLogLog, unique_pairs
from distillguard.signals.request import DOMAINS

HOUR_MS: Final = 3_600_000
DAY_MS: Final = 86_400_000

#: Every feature ``group_features`` returns, in its order.
FEATURES: Final = (
    "requests", "requests_per_day", "hour_entropy", "median_gap_s", "pacing_regularity", "burst_share",
    "daily_flatness", "peak_hour_requests", "peak_day_share", "cot_coercion_share", "step_by_step_share",
    "grader_share", "rewrite_share", "identity_probe_share", "tool_use_share", "multi_turn_share",
    "system_prompt_share", "domain_concentration", "chat_share", "languages", "template_diversity",
    "prompt_repeat_share", "end_users", "ip_addresses", "prompt_novelty", "n_gt1_share", "logprobs_share",
    "high_effort_share", "mean_max_tokens", "temperature_spread", "reasoning_tokens_mean", "output_input_ratio",
    "throttled_share", "account_age_days", "new_model_share", "new_model_pivot", "first_seen_ms", "last_seen_ms",
)


@dataclass(frozen=True)
class Release:
    """A model that first appears in the traffic after it started: a new release."""

    model: int  # model code in Events.models
    at_ms: int


def find_release(events: Events, *, min_lead_ms: int = 12 * HOUR_MS) -> Release | None:
    """The newest model, if it first appears at least ``min_lead_ms`` after the traffic starts."""
    if len(events) == 0:
        return None
    model, ts = events["model"], events["ts"]
    first = np.full(len(events.models), np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(first, model, ts)
    newest = int(np.argmax(np.where(first == np.iinfo(np.int64).max, -1, first)))
    if first[newest] - ts.min() < min_lead_ms:
        return None
    return Release(model=newest, at_ms=int(first[newest]))


def _share(group: np.ndarray, flag: np.ndarray, counts: np.ndarray) -> np.ndarray:
    n = len(counts)
    return np.bincount(group, weights=flag.astype(np.float64), minlength=n) / np.maximum(counts, 1)


def _mean(group: np.ndarray, values: np.ndarray, valid: np.ndarray, n: int) -> np.ndarray:
    # Invalid values weigh 0.0 (adding +0.0 leaves every sum as it was): cheaper than selecting the valid ones.
    num = np.bincount(group, weights=np.where(valid, values, 0).astype(np.float64), minlength=n)
    den = np.bincount(group, weights=valid, minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.maximum(den, 1), np.nan)


def _entropy(hist: np.ndarray) -> np.ndarray:
    total = hist.sum(axis=1, keepdims=True)
    p = hist / np.maximum(total, 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    return h / np.log(hist.shape[1])


def _sort_by_group(group: np.ndarray, values: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """``(group, values)`` pairs sorted by group, then value (integer values). One sort of a combined
    ``group * span + value`` key when that fits in 64 bits (the pairs, not a permutation, are all that is
    needed), else a two-key ``lexsort``."""
    if len(values) == 0:
        return group, values
    lo = int(values.min())
    span = int(values.max()) - lo + 1
    if n * span > np.iinfo(np.int64).max:
        order = np.lexsort((values, group))
        return group[order], values[order]
    key = group.astype(np.int64) * span + (values - lo)
    key.sort()
    g, v = np.divmod(key, span)
    return g, v + lo


def _pacing(g: np.ndarray, t: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per group: median gap (s), regularity (share of gaps within x2 of the median), burst share (< 1 s).
    ``g``, ``t``: every request's group and time, sorted by group, then time."""
    same = g[1:] == g[:-1]
    gap_ms = np.diff(t)[same]
    gaps = gap_ms.astype(np.float64)
    gg = g[1:][same]
    median = np.full(n, np.nan)
    regular = np.full(n, np.nan)
    burst = np.full(n, np.nan)
    if len(gaps) == 0:
        return median, regular, burst
    _, vs = _sort_by_group(gg, gap_ms, n)
    counts = np.bincount(gg, minlength=n)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    has = counts > 0
    median[has] = vs[starts[has] + counts[has] // 2]
    m = median[gg]
    within = (gaps >= 0.5 * m) & (gaps <= 2.0 * m) & (m > 0)
    regular = np.where(has, np.bincount(gg, weights=within, minlength=n) / np.maximum(counts, 1), np.nan)
    burst = np.where(has, np.bincount(gg, weights=gaps < 1000, minlength=n) / np.maximum(counts, 1), np.nan)
    return median / 1000.0, regular, burst


def _daily_flatness(group: np.ndarray, ts: np.ndarray, n: int, first: np.ndarray, last: np.ndarray) -> np.ndarray:
    """1 - coefficient of variation of requests per day, over the days from the group's first to its last
    request (NaN when it was active for less than 36 hours)."""
    if len(ts) == 0:
        return np.full(n, np.nan)
    day0 = int(ts.min() // DAY_MS)
    days = (ts // DAY_MS - day0).astype(np.int64)
    width = int(days.max()) + 1
    hist = np.bincount(group.astype(np.int64) * width + days, minlength=n * width).reshape(n, width)
    lo = first // DAY_MS - day0
    hi = last // DAY_MS - day0
    cols = np.arange(width)[None, :]
    inside = (cols >= lo[:, None]) & (cols <= hi[:, None])
    k = inside.sum(axis=1)
    mean = np.where(k > 0, (hist * inside).sum(axis=1) / np.maximum(k, 1), np.nan)
    var = np.where(k > 0, (((hist - mean[:, None]) ** 2) * inside).sum(axis=1) / np.maximum(k, 1), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.sqrt(var) / mean
    long_enough = (last - first) >= 36 * 3_600_000
    return np.where((k >= 2) & long_enough, 1.0 - np.minimum(cv, 1.0), np.nan)


def _peak_windows(g: np.ndarray, t: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Per group, over tumbling UTC windows: the most requests in any one hour, and the share of the group's
    requests that fell in its busiest day. Window counters add, so partial results from several readers merge
    by summing (group, window) counts before taking the maximum. ``g``, ``t``: every request's group and time,
    sorted by group, then time (so each (group, window) is one run)."""
    peak_hour = np.zeros(n)
    peak_day = np.zeros(n)
    if len(t) == 0:
        return peak_hour, peak_day
    for width, out in ((HOUR_MS, peak_hour), (DAY_MS, peak_day)):
        window = t // width
        starts = np.flatnonzero(np.r_[True, (g[1:] != g[:-1]) | (window[1:] != window[:-1])])
        per_window = np.diff(np.r_[starts, len(t)])
        np.maximum.at(out, g[starts], per_window.astype(np.float64))
    counts = np.bincount(g, minlength=n)
    return peak_hour, np.where(counts > 0, peak_day / np.maximum(counts, 1), np.nan)


def _timing(group: np.ndarray, ts: np.ndarray, n: int) -> tuple[tuple[np.ndarray, np.ndarray, np.ndarray],
                                                                tuple[np.ndarray, np.ndarray]]:
    """``_pacing`` and ``_peak_windows``, over one sort of the requests by group and time."""
    g, t = _sort_by_group(group, ts, n)
    return _pacing(g, t, n), _peak_windows(g, t, n)


def _novelty(group: np.ndarray, prompt_hash: np.ndarray, n: int) -> np.ndarray:
    """Share of each group's distinct prompts that no other group sent (against the whole population)."""
    if len(group) == 0:
        return np.full(n, np.nan)
    first, _ = unique_pairs(group, prompt_hash)
    owner, prompts = group[first].astype(np.intp), prompt_hash[first]
    order = np.argsort(prompts)  # the (group, prompt) pairs by prompt: a prompt only one group sent is a run of one
    sorted_prompts = prompts[order]
    differs = sorted_prompts[1:] != sorted_prompts[:-1]
    alone = np.r_[True, differs] & np.r_[differs, True]
    distinct = np.bincount(owner, minlength=n)
    only_here = np.bincount(owner[order[alone]], minlength=n)
    return np.where(distinct > 0, only_here / np.maximum(distinct, 1), np.nan)


_P = ParamSpec("_P")
_T = TypeVar("_T")


def start_on(pool: Executor | None, fn: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> Future[_T]:
    """``fn`` on the pool (or now, without one): the tail's work runs the same either way."""
    if pool is not None:
        return pool.submit(fn, *args, **kwargs)
    done: Future[_T] = Future()
    done.set_result(fn(*args, **kwargs))
    return done


def _estimates(sketches: dict[str, HyperLogLog], n: int) -> dict[str, np.ndarray]:
    return {name: sketch.estimate()[:n] for name, sketch in sketches.items()}


def group_features(
    events: Events,
    group: np.ndarray,
    n_groups: int,
    *,
    sketches: dict[str, HyperLogLog],
    created_ms: np.ndarray,
    release: Release | None,
    pool: Executor | None = None,
) -> dict[str, np.ndarray]:
    """Every behaviour feature for each of ``n_groups`` groups (``FEATURES``, in that order); NaN where a
    feature is undefined.

    ``sketches`` are HyperLogLog registers per group (distinct templates, prompts, end users,
    addresses); ``created_ms`` is each group's account creation time (NaN when unknown). With a ``pool``,
    the sorts (pacing, peak windows, novelty) and the sketch estimates run on it while the calling thread
    computes the rest: numpy releases the GIL in sorts and in element-wise loops.
    """
    n = n_groups
    ts = events["ts"]
    timing = start_on(pool, _timing, group, ts, n)
    novelty = start_on(pool, _novelty, group, events["prompt_hash"], n)
    estimates = start_on(pool, _estimates, sketches, n)
    counts = np.bincount(group, minlength=n).astype(np.float64)
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, group, ts)
    np.maximum.at(last, group, ts)
    span_days = np.maximum((last - first) / DAY_MS, 1.0 / 24)

    f: dict[str, np.ndarray] = {}
    f["requests"] = counts
    f["requests_per_day"] = counts / np.maximum(span_days, 1.0)
    hours = (ts // HOUR_MS) % 24
    hour_hist = np.bincount(group.astype(np.int64) * 24 + hours, minlength=n * 24).reshape(n, 24)
    f["hour_entropy"] = _entropy(hour_hist)
    f["daily_flatness"] = _daily_flatness(group, ts, n, first, last)

    cot = events["cot"]
    f["cot_coercion_share"] = _share(group, cot >= 0.99, counts)
    f["step_by_step_share"] = _share(group, (cot >= 0.49) & (cot < 0.99), counts)
    f["grader_share"] = _share(group, events["grader"], counts)
    f["rewrite_share"] = _share(group, events["rewrite"], counts)
    f["identity_probe_share"] = _share(group, events["identity"], counts)
    f["tool_use_share"] = _share(group, events["tool_use"], counts)
    f["multi_turn_share"] = _share(group, events["turns"] >= 2, counts)
    f["system_prompt_share"] = _share(group, events["system_hash"] != 0, counts)
    domain_hist = np.bincount(group.astype(np.int64) * len(DOMAINS) + events["domain"].astype(np.int64),
                              minlength=n * len(DOMAINS)).reshape(n, len(DOMAINS))
    f["domain_concentration"] = domain_hist.max(axis=1) / np.maximum(counts, 1)
    f["chat_share"] = domain_hist[:, DOMAINS.index("chat")] / np.maximum(counts, 1)
    lang_hist = np.bincount(group.astype(np.int64) * 16 + events["lang"].astype(np.int64),
                            minlength=n * 16).reshape(n, 16)
    f["languages"] = ((lang_hist[:, 1:] / np.maximum(counts, 1)[:, None]) >= 0.02).sum(axis=1).astype(np.float64)

    f["n_gt1_share"] = _share(group, events["n"] > 1, counts)
    f["logprobs_share"] = _share(group, events["logprobs"] | events["logit_bias"], counts)
    f["high_effort_share"] = _share(group, events["effort_high"], counts)
    max_tokens = events["max_tokens"]
    f["mean_max_tokens"] = _mean(group, max_tokens, max_tokens > 0, n)
    temperature = events["temperature"]
    valid_t = ~np.isnan(temperature)
    mean_t = _mean(group, temperature, valid_t, n)
    sq = _mean(group, temperature.astype(np.float64) ** 2, valid_t, n)
    f["temperature_spread"] = np.sqrt(np.maximum(sq - mean_t**2, 0.0))
    ok = events["ok"]
    f["reasoning_tokens_mean"] = _mean(group, events["reasoning_tokens"], ok, n)
    completion = np.bincount(group, weights=events["completion_tokens"].astype(np.float64), minlength=n)
    context = np.bincount(group, weights=events["context_chars"].astype(np.float64) / 4.0, minlength=n)
    f["output_input_ratio"] = completion / np.maximum(context, 1.0)
    f["throttled_share"] = _share(group, events["throttled"], counts)

    with np.errstate(invalid="ignore"):
        f["account_age_days"] = np.where(np.isnan(created_ms), np.nan, (first - created_ms) / DAY_MS)

    if release is not None:
        on_new = events["model"] == release.model
        after = ts >= release.at_ms
        f["new_model_share"] = np.bincount(group, weights=on_new & after, minlength=n) / np.maximum(
            np.bincount(group, weights=after, minlength=n), 1)
        first_new = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(first_new, group[on_new], ts[on_new])
        was_active = first < release.at_ms
        adopted = first_new < np.iinfo(np.int64).max
        hours = (first_new - release.at_ms) / HOUR_MS
        f["new_model_pivot"] = np.where(was_active & adopted, f["new_model_share"] * np.exp(-hours / 24.0), 0.0)
    else:
        f["new_model_share"] = np.zeros(n)
        f["new_model_pivot"] = np.zeros(n)
    f["first_seen_ms"] = first.astype(np.float64)
    f["last_seen_ms"] = last.astype(np.float64)

    pacing, peaks = timing.result()
    f["median_gap_s"], f["pacing_regularity"], f["burst_share"] = pacing
    f["peak_hour_requests"], f["peak_day_share"] = peaks
    distinct = estimates.result()
    f["template_diversity"] = np.minimum(distinct["template"] / np.maximum(counts, 1), 1.0)
    f["prompt_repeat_share"] = 1.0 - np.minimum(distinct["prompt_hash"] / np.maximum(counts, 1), 1.0)
    f["end_users"] = distinct["end_user"]
    f["ip_addresses"] = distinct["ip"]
    f["prompt_novelty"] = novelty.result()
    return {name: f[name] for name in FEATURES}
