"""The account graph: who shares what with whom, and clusters of coordinated accounts.

Edges come from link types, each with its own weight (see ``LINK_WEIGHTS``):

- ``payment``: the same payment fingerprint;
- ``address``: the same client IP addresses, each shared address counting ``1 / log2(1 + k)`` for an
  address shared by k accounts, so a NAT or cloud egress shared by hundreds adds little and a proxy
  pool that every member of a cluster rotates through adds a lot;
- ``template``: the same repeated prompt templates (MinHash signatures of each account's repeated
  templates, candidate pairs from LSH band collisions, weighted by the estimated Jaccard similarity);
- ``created_together``: created within the same hours through the same signup channel;
- ``client``: the same uncommon user agent;
- ``paced_together``: machine-paced accounts (at least ``min_regularity`` of their gaps within x2 of
  the median) with the same pacing (median gap within 25%) over the same active window: round-robin
  load balancing across accounts gives every member the same period.

A pair of accounts is linked when its summed weight reaches ``threshold``; clusters are the connected
components of linked pairs. Guards against giant components from legitimate shared infrastructure:
keys shared by more than ``max_key_accounts`` accounts are ignored (their count is reported), large
key groups are linked along a keyed ring (each member to ``ring`` others; no weight is inflated), and
a component larger than ``max_cluster_size`` is re-split with a doubled threshold.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

import numpy as np

from distillguard.accounts.store import Events
from distillguard.signals.fingerprint import hash_strings, minhash, mix64, unique_pairs

LINK_WEIGHTS: Final[dict[str, float]] = {
    "payment": 1.0,
    "address": 1.0,
    "template": 0.5,
    "created_together": 0.25,
    "client": 0.15,
    "paced_together": 0.3,
}
HOUR_MS: Final = 3_600_000


@dataclass
class Links:
    """Weighted account pairs, by link type."""

    a: np.ndarray  # account code, a < b
    b: np.ndarray
    weight: np.ndarray  # summed over link types
    by_type: dict[str, np.ndarray]  # per link type, aligned with a/b
    ignored_keys: dict[str, int] = field(default_factory=dict)  # keys dropped as shared infrastructure


@dataclass
class Clusters:
    """``label[account]`` is a cluster index or -1; ``links`` are the pairs that formed the clusters."""

    label: np.ndarray
    count: int
    links: Links


def _ring_pairs(keys: np.ndarray, members: np.ndarray, weights: np.ndarray, *, ring: int,
                max_group: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Pairs of members sharing a key, each unordered pair once per key with that key's weight.
    Groups up to ``ring + 1`` give every pair; larger groups pair each member with its next ``ring``
    neighbours in a keyed shuffle (connectivity kept, pairs bounded; no pair's weight is inflated)."""
    if len(keys) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), 0
    order = np.lexsort((mix64(members.astype(np.uint64) ^ keys), keys))
    k_sorted, m_sorted, w_sorted = keys[order], members[order], weights[order]
    starts = np.flatnonzero(np.r_[True, k_sorted[1:] != k_sorted[:-1]])
    sizes = np.diff(np.r_[starts, len(k_sorted)])
    group_of = np.repeat(np.arange(len(starts)), sizes)
    size_of = np.repeat(sizes, sizes)
    start_of = np.repeat(starts, sizes)
    pos = np.arange(len(k_sorted)) - start_of
    usable = (size_of >= 2) & (size_of <= max_group)
    ignored = int((sizes > max_group).sum())
    out_g, out_a, out_b, out_w = [], [], [], []
    for d in range(1, ring + 1):
        take = usable & (size_of > d)
        if not take.any():
            break
        partner = start_of[take] + (pos[take] + d) % size_of[take]
        out_g.append(group_of[take])
        out_a.append(m_sorted[take])
        out_b.append(m_sorted[partner])
        out_w.append(w_sorted[take])
    if not out_a:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), ignored
    g = np.concatenate(out_g).astype(np.int64)
    a, b, w = np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_w)
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    keep = lo != hi
    g, lo, hi, w = g[keep], lo[keep], hi[keep], w[keep]
    # the same unordered pair can come up twice in one key's ring (offsets d and k - d): count it once
    order = np.lexsort((hi, lo, g))
    g, lo, hi, w = g[order], lo[order], hi[order], w[order]
    first = np.r_[True, (g[1:] != g[:-1]) | (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])]
    return lo[first], hi[first], w[first], ignored


def _sum_pairs(a: np.ndarray, b: np.ndarray, w: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    lo, hi = np.minimum(a, b).astype(np.int64), np.maximum(a, b).astype(np.int64)
    code = lo * n + hi
    uniq, inverse = np.unique(code, return_inverse=True)
    return uniq, np.bincount(inverse, weights=w, minlength=len(uniq))


def _unique_pairs(acct: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (account, key) pairs with how often each occurred."""
    first, counts = unique_pairs(acct, key)
    return acct[first].astype(np.int64), key[first], counts


def link_accounts(
    events: Events,
    n_accounts: int,
    *,
    payment: dict[int, str],
    created_ms: np.ndarray,
    channel: dict[int, str],
    median_gap_s: np.ndarray,
    first_ms: np.ndarray,
    last_ms: np.ndarray,
    requests: np.ndarray,
    regularity: np.ndarray,
    min_regularity: float = 0.6,
    max_key_accounts: int = 400,
    ring: int = 24,
    minhash_k: int = 32,
    lsh_bands: int = 8,
) -> Links:
    """Weighted account pairs from every link type (see the module docstring)."""
    n = max(n_accounts, 1)
    typed: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    ignored: dict[str, int] = {}

    def add(kind: str, keys: np.ndarray, members: np.ndarray, weights: np.ndarray, max_group: int) -> None:
        a, b, w, dropped = _ring_pairs(keys, members, weights, ring=ring, max_group=max_group)
        ignored[kind] = dropped
        typed[kind] = _sum_pairs(a, b, w * LINK_WEIGHTS[kind], n)

    # payment fingerprints
    if payment:
        accts = np.fromiter(payment.keys(), dtype=np.int64, count=len(payment))
        keys = hash_strings(_as_arrow(list(payment.values())), key=0x9A7)
        add("payment", keys, accts, np.ones(len(accts)), max_key_accounts)

    # client addresses: each shared address weighs 1 / log2(1 + accounts on it)
    has_ip = events["ip"] != 0
    acct_ip, ip, _ = _unique_pairs(events["acct"][has_ip], events["ip"][has_ip])
    if len(ip):
        _, inverse, per_ip = np.unique(ip, return_inverse=True, return_counts=True)
        w = 1.0 / np.log2(1.0 + per_ip[inverse])
        add("address", ip, acct_ip, w, max_key_accounts)

    # repeated templates: MinHash of each account's templates used at least twice, LSH bands
    acct_t, tmpl, count = _unique_pairs(events["acct"], events["template"])
    repeated = count >= 2
    if repeated.any():
        sig = minhash(acct_t[repeated], tmpl[repeated], n, k=minhash_k, key=0x7E3)
        has_sig = sig[:, 0] != np.iinfo(np.uint64).max
        rows = minhash_k // lsh_bands
        cand_a, cand_b = [], []
        accts_with = np.flatnonzero(has_sig)
        for band in range(lsh_bands):
            band_sig = sig[accts_with, band * rows : (band + 1) * rows]
            band_key = mix64(band_sig[:, 0] ^ np.uint64(band))
            for j in range(1, rows):
                band_key = mix64(band_key ^ band_sig[:, j])
            a, b, _, _ = _ring_pairs(band_key, accts_with, np.ones(len(accts_with)), ring=ring,
                                     max_group=max_key_accounts)
            cand_a.append(a)
            cand_b.append(b)
        if cand_a:
            a, b = np.concatenate(cand_a), np.concatenate(cand_b)
            if len(a):
                codes = np.unique(np.minimum(a, b) * n + np.maximum(a, b))
                lo, hi = codes // n, codes % n
                jaccard = (sig[lo] == sig[hi]).mean(axis=1)
                keep = jaccard >= 0.3
                typed["template"] = (codes[keep], jaccard[keep] * LINK_WEIGHTS["template"])

    # created together through the same channel (6-hour buckets)
    known = ~np.isnan(created_ms)
    if known.any():
        accts = np.flatnonzero(known)
        chan = np.array([channel.get(int(a), "") for a in accts], dtype=object)
        bucket = (created_ms[known] // (6 * HOUR_MS)).astype(np.int64)
        keys = mix64(bucket.astype(np.uint64)) ^ hash_strings(_as_arrow(chan.tolist()), key=0xC4)
        add("created_together", keys, accts, np.ones(len(accts)), max_key_accounts)

    # uncommon user agents (the account's most used one)
    has_ua = events["user_agent"] != 0
    acct_ua, ua, ua_count = _unique_pairs(events["acct"][has_ua], events["user_agent"][has_ua])
    if len(ua):
        order = np.lexsort((-ua_count, acct_ua))
        first = np.r_[True, acct_ua[order][1:] != acct_ua[order][:-1]]
        accts, keys = acct_ua[order][first], ua[order][first]
        add("client", keys, accts, np.ones(len(accts)), 50)

    # paced together: machine-paced accounts (regular gaps) with the same median gap (log buckets of 25%)
    # over the same active window (6-hour buckets)
    active = (requests >= 20) & ~np.isnan(median_gap_s) & (median_gap_s > 0) & (regularity >= min_regularity)
    if active.any():
        accts = np.flatnonzero(active)
        gap_bucket = np.round(np.log(median_gap_s[accts]) / np.log(1.25)).astype(np.int64)
        keys = mix64(gap_bucket.astype(np.uint64) * np.uint64(1_000_003)
                     ^ (first_ms[accts] // (6 * HOUR_MS)).astype(np.uint64) * np.uint64(7919)
                     ^ (last_ms[accts] // (6 * HOUR_MS)).astype(np.uint64))
        add("paced_together", keys, accts, np.ones(len(accts)), max_key_accounts)

    return _combine(typed, n, ignored)


def _as_arrow(values: list[str]):  # small helper: hash_strings takes Arrow arrays
    import pyarrow as pa

    return pa.array(values, pa.string())


def _combine(typed: dict[str, tuple[np.ndarray, np.ndarray]], n: int, ignored: dict[str, int]) -> Links:
    all_codes = np.unique(np.concatenate([c for c, _ in typed.values()])) if typed else np.zeros(0, np.int64)
    by_type: dict[str, np.ndarray] = {}
    total = np.zeros(len(all_codes))
    for kind, (codes, weights) in typed.items():
        aligned = np.zeros(len(all_codes))
        aligned[np.searchsorted(all_codes, codes)] = weights
        by_type[kind] = aligned
        total += aligned
    return Links(a=all_codes // n, b=all_codes % n, weight=total, by_type=by_type, ignored_keys=ignored)


def components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label (the smallest member code) of each of ``n`` nodes, by min-label
    propagation with pointer jumping (vectorised; converges in O(log diameter) rounds)."""
    label = np.arange(n, dtype=np.int64)
    if len(a) == 0:
        return label
    while True:
        low = np.minimum(label[a], label[b])
        new = label.copy()
        np.minimum.at(new, a, low)
        np.minimum.at(new, b, low)
        new = new[new]  # pointer jumping
        while True:
            jumped = new[new]
            if np.array_equal(jumped, new):
                break
            new = jumped
        if np.array_equal(new, label):
            return label
        label = new


def cluster_accounts(links: Links, n: int, *, threshold: float = 0.9, max_cluster_size: int = 5000,
                     min_size: int = 2) -> Clusters:
    """Clusters: connected components of pairs whose summed link weight reaches ``threshold``."""
    strong = links.weight >= threshold
    root = components(n, links.a[strong], links.b[strong])
    sizes = np.bincount(root, minlength=n)
    giant = sizes[root] > max_cluster_size
    if giant.any() and threshold < 64:
        # Re-split only the giant components, with a doubled threshold.
        inside = giant[links.a] & giant[links.b]
        sub = Links(links.a[inside], links.b[inside], links.weight[inside],
                    {k: v[inside] for k, v in links.by_type.items()})
        inner = cluster_accounts(sub, n, threshold=threshold * 2, max_cluster_size=max_cluster_size,
                                 min_size=min_size)
        root = np.where(giant, np.where(inner.label >= 0, n + inner.label, np.arange(n)), root)
    _, dense = np.unique(root, return_inverse=True)
    sizes = np.bincount(dense)
    in_cluster = sizes[dense] >= min_size
    kept = np.unique(dense[in_cluster])
    remap = np.full(len(sizes), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    label = remap[dense]
    return Clusters(label=label, count=len(kept), links=links)
