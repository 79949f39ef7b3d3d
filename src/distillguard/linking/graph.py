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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Final, NamedTuple

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


class _RingPairs(NamedTuple):
    """Pairs of members sharing a key: row r pairs ``lo[r] <= hi[r]`` (int64) with weight
    ``weights[source[r]]``. Rows are in key order, so ``source`` never decreases."""

    lo: np.ndarray
    hi: np.ndarray
    source: np.ndarray  # the row's member: an index into ``weights``
    weights: np.ndarray
    ignored: int  # keys shared by more than ``max_group`` members, dropped


def _ring_pairs(keys: np.ndarray, members: np.ndarray, weights: np.ndarray, *, ring: int,
                max_group: int) -> _RingPairs:
    """Pairs of members sharing a key, each unordered pair once per key with that key's weight, in key
    order (a pair shared through several keys comes up once per key). Groups up to ``ring + 1`` give every
    pair; larger groups pair each member with its next ``ring`` neighbours in a keyed shuffle (connectivity
    kept, pairs bounded; no pair's weight is inflated). A member listed twice under one key counts once."""
    if len(keys) == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _RingPairs(empty, empty, empty, np.zeros(0), 0)
    order = np.lexsort((mix64(members.astype(np.uint64) ^ keys), keys))
    k_sorted, m_sorted, w_sorted = keys[order], members[order], weights[order]
    new_key = np.r_[True, k_sorted[1:] != k_sorted[:-1]]
    repeated = ~new_key & np.r_[False, m_sorted[1:] == m_sorted[:-1]]  # equal members sort next to each other
    if repeated.any():
        k_sorted, m_sorted, w_sorted, new_key = (k_sorted[~repeated], m_sorted[~repeated], w_sorted[~repeated],
                                                 new_key[~repeated])
    starts = np.flatnonzero(new_key)
    sizes = np.diff(np.r_[starts, len(k_sorted)])
    ignored = int((sizes > max_group).sum())
    # Position p of a group of s members pairs with positions p + d (mod s), d = 1..min(ring, s - 1). Offsets d
    # and s - d give the same pair when both are in range: only the smaller is kept, and at d = s / 2 only the
    # lower position. So every member takes offsets 1..full, plus offset full + 1 (= s / 2) in the lower half
    # of a group of even size s <= 2 * ring.
    reach = np.minimum(ring, sizes - 1)
    full = np.minimum(reach, np.maximum((sizes - 1) // 2, sizes - reach - 1))
    half = (sizes % 2 == 0) & (sizes // 2 <= reach)
    unused = (sizes < 2) | (sizes > max_group)
    full[unused] = 0
    half[unused] = False
    pos = np.arange(len(k_sorted)) - np.repeat(starts, sizes)
    takes = np.repeat(full, sizes) + (np.repeat(half, sizes) & (2 * pos < np.repeat(sizes, sizes)))
    total = int(takes.sum())
    if total == 0:
        empty = np.zeros(0, dtype=np.int64)
        return _RingPairs(empty, empty, empty, w_sorted, ignored)
    # Each group's members followed by its first ``reach`` members again: the partner at offset d of position p
    # is at p + d of this extended list (no wrapping to work out row by row).
    ext_sizes = sizes + np.where(unused, 0, reach)
    ext_starts = np.cumsum(ext_sizes) - ext_sizes
    local = np.arange(int(ext_sizes.sum())) - np.repeat(ext_starts, ext_sizes)
    wrap = np.repeat(sizes, ext_sizes)
    ext = m_sorted[np.repeat(starts, ext_sizes) + np.where(local >= wrap, local - wrap, local)]
    # One row per (member, offset), member by member: key order, as the weights are summed in. Row r of member i
    # (offset r - first_row[i] + 1) reads ext[ext_starts[group] + pos[i] + offset].
    first_row = np.cumsum(takes) - takes
    b = ext[np.repeat(np.repeat(ext_starts, sizes) + pos + 1 - first_row, takes) + np.arange(total)]
    a = np.repeat(m_sorted, takes)
    return _RingPairs(np.minimum(a, b).astype(np.int64, copy=False), np.maximum(a, b).astype(np.int64, copy=False),
                      np.repeat(np.arange(len(m_sorted)), takes), w_sorted, ignored)


def _distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique(values)`` of integers, by one sort: numpy 2's hash-based ``np.unique`` (with no ``return_*``)
    is tens of times slower on large arrays (1.3 s against 13 ms for 1.6M int64 values)."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values




def _sum_pairs(pairs: _RingPairs, scale: float, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Distinct pair codes ``lo * n + hi`` (sorted) and their summed weights times ``scale`` (each pair's weights
    added in row order)."""
    code = pairs.lo * n + pairs.hi
    weights = pairs.weights * scale
    # (A dense bincount over all n * n pairs was faster on scan-sized inputs, but it holds the GIL for tens of
    # milliseconds on a 32 MB table: in the gateway's background re-scoring that doubled the p99 latency.)
    shift = max(len(weights) - 1, 1).bit_length()
    if len(code) == 0 or (n * n - 1).bit_length() + shift > 63:
        uniq, inverse = np.unique(code, return_inverse=True)
        return uniq, np.bincount(inverse, weights=weights[pairs.source], minlength=len(uniq))
    # One sort of (code, source) packed in 64 bits: the rows of a pair come from different members, in row order,
    # so this orders them by pair, then row (a stable sort without an argsort), and they are summed in row order.
    key = (code << shift) | pairs.source
    key.sort()
    sorted_code = key >> shift
    first = np.flatnonzero(np.r_[True, sorted_code[1:] != sorted_code[:-1]])
    pair = np.repeat(np.arange(len(first)), np.diff(np.r_[first, len(key)]))
    return sorted_code[first], np.bincount(pair, weights=weights[key & ((1 << shift) - 1)])


def _unique_pairs(acct: np.ndarray, key: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (account, key) pairs with how often each occurred."""
    first, counts = unique_pairs(acct, key)
    return acct[first].astype(np.int64), key[first], counts


#: Link types computed from the requests and account attributes alone (``paced_together`` also needs the
#: accounts' features): each is independent of the others, so they can be computed concurrently.
KEYED_LINKS: Final = ("payment", "address", "template", "created_together", "client")


@dataclass
class LinkPart:
    """One link type's result: its summed pairs (``codes`` = a * n + b with a < b, and weights; None when it
    linked nothing) and how many keys it dropped as shared infrastructure (None: not counted)."""

    kind: str
    pairs: tuple[np.ndarray, np.ndarray] | None = None
    ignored: int | None = None


def _key_part(kind: str, keys: np.ndarray, members: np.ndarray, weights: np.ndarray, n: int, *, ring: int,
              max_group: int) -> LinkPart:
    pairs = _ring_pairs(keys, members, weights, ring=ring, max_group=max_group)
    return LinkPart(kind, _sum_pairs(pairs, LINK_WEIGHTS[kind], n), pairs.ignored)


def keyed_links(
    kind: str,
    events: Events,
    n_accounts: int,
    *,
    payment: dict[int, str],
    created_ms: np.ndarray,
    channel: dict[int, str],
    max_key_accounts: int = 400,
    ring: int = 24,
    minhash_k: int = 32,
    lsh_bands: int = 8,
) -> LinkPart:
    """The pairs of one of ``KEYED_LINKS`` (see the module docstring)."""
    n = max(n_accounts, 1)
    if kind == "payment":  # payment fingerprints
        if not payment:
            return LinkPart(kind)
        accts = np.fromiter(payment.keys(), dtype=np.int64, count=len(payment))
        keys = hash_strings(_as_arrow(list(payment.values())), key=0x9A7)
        return _key_part(kind, keys, accts, np.ones(len(accts)), n, ring=ring, max_group=max_key_accounts)

    if kind == "address":  # client addresses: each shared address weighs 1 / log2(1 + accounts on it)
        has_ip = events["ip"] != 0
        acct_ip, ip, _ = _unique_pairs(events["acct"][has_ip], events["ip"][has_ip])
        if not len(ip):
            return LinkPart(kind)
        _, inverse, per_ip = np.unique(ip, return_inverse=True, return_counts=True)
        w = 1.0 / np.log2(1.0 + per_ip[inverse])
        return _key_part(kind, ip, acct_ip, w, n, ring=ring, max_group=max_key_accounts)

    if kind == "template":  # repeated templates: MinHash of each account's templates used at least twice, LSH bands
        acct_t, tmpl, count = _unique_pairs(events["acct"], events["template"])
        repeated = count >= 2
        if not repeated.any():
            return LinkPart(kind)
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
            pairs = _ring_pairs(band_key, accts_with, np.ones(len(accts_with)), ring=ring, max_group=max_key_accounts)
            cand_a.append(pairs.lo)
            cand_b.append(pairs.hi)
        if not cand_a:
            return LinkPart(kind)
        a, b = np.concatenate(cand_a), np.concatenate(cand_b)
        if not len(a):
            return LinkPart(kind)
        codes = _distinct(np.minimum(a, b) * n + np.maximum(a, b))
        lo, hi = codes // n, codes % n
        jaccard = (sig[lo] == sig[hi]).mean(axis=1)
        keep = jaccard >= 0.3
        return LinkPart(kind, (codes[keep], jaccard[keep] * LINK_WEIGHTS["template"]))

    if kind == "created_together":  # created together through the same channel (6-hour buckets)
        known = ~np.isnan(created_ms)
        if not known.any():
            return LinkPart(kind)
        accts = np.flatnonzero(known)
        chan = np.array([channel.get(int(a), "") for a in accts], dtype=object)
        bucket = (created_ms[known] // (6 * HOUR_MS)).astype(np.int64)
        keys = mix64(bucket.astype(np.uint64)) ^ hash_strings(_as_arrow(chan.tolist()), key=0xC4)
        return _key_part(kind, keys, accts, np.ones(len(accts)), n, ring=ring, max_group=max_key_accounts)

    if kind == "client":  # uncommon user agents (the account's most used one)
        has_ua = events["user_agent"] != 0
        acct_ua, ua, ua_count = _unique_pairs(events["acct"][has_ua], events["user_agent"][has_ua])
        if not len(ua):
            return LinkPart(kind)
        order = np.lexsort((-ua_count, acct_ua))
        first = np.r_[True, acct_ua[order][1:] != acct_ua[order][:-1]]
        accts, keys = acct_ua[order][first], ua[order][first]
        return _key_part(kind, keys, accts, np.ones(len(accts)), n, ring=ring, max_group=50)

    raise ValueError(f"not a keyed link type: {kind!r}")


def paced_links(
    n_accounts: int,
    *,
    median_gap_s: np.ndarray,
    first_ms: np.ndarray,
    last_ms: np.ndarray,
    requests: np.ndarray,
    regularity: np.ndarray,
    min_regularity: float = 0.6,
    max_key_accounts: int = 400,
    ring: int = 24,
) -> LinkPart:
    """Paced together: machine-paced accounts (regular gaps) with the same median gap (log buckets of 25%)
    over the same active window (6-hour buckets)."""
    active = (requests >= 20) & ~np.isnan(median_gap_s) & (median_gap_s > 0) & (regularity >= min_regularity)
    if not active.any():
        return LinkPart("paced_together")
    accts = np.flatnonzero(active)
    gap_bucket = np.round(np.log(median_gap_s[accts]) / np.log(1.25)).astype(np.int64)
    keys = mix64(gap_bucket.astype(np.uint64) * np.uint64(1_000_003)
                 ^ (first_ms[accts] // (6 * HOUR_MS)).astype(np.uint64) * np.uint64(7919)
                 ^ (last_ms[accts] // (6 * HOUR_MS)).astype(np.uint64))
    return _key_part("paced_together", keys, accts, np.ones(len(accts)), max(n_accounts, 1), ring=ring,
                     max_group=max_key_accounts)


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
    parts = [keyed_links(kind, events, n_accounts, payment=payment, created_ms=created_ms, channel=channel,
                         max_key_accounts=max_key_accounts, ring=ring, minhash_k=minhash_k, lsh_bands=lsh_bands)
             for kind in KEYED_LINKS]
    parts.append(paced_links(n_accounts, median_gap_s=median_gap_s, first_ms=first_ms, last_ms=last_ms,
                             requests=requests, regularity=regularity, min_regularity=min_regularity,
                             max_key_accounts=max_key_accounts, ring=ring))
    return combine_links(parts, n_accounts)


def _as_arrow(values: list[str]):  # small helper: hash_strings takes Arrow arrays
    import pyarrow as pa

    return pa.array(values, pa.string())


def combine_links(parts: Iterable[LinkPart], n_accounts: int) -> Links:
    """One ``Links`` from the link types' parts (summed in ``LINK_WEIGHTS`` order, whatever their order here)."""
    n = max(n_accounts, 1)
    by_kind = {part.kind: part for part in parts}
    typed: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    ignored: dict[str, int] = {}
    for kind in LINK_WEIGHTS:
        part = by_kind.get(kind)
        if part is None:
            continue
        if part.ignored is not None:
            ignored[kind] = part.ignored
        if part.pairs is not None:
            typed[kind] = part.pairs
    return _combine(typed, n, ignored)


def _combine(typed: dict[str, tuple[np.ndarray, np.ndarray]], n: int, ignored: dict[str, int]) -> Links:
    all_codes = _distinct(np.concatenate([c for c, _ in typed.values()])) if typed else np.zeros(0, np.int64)
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
    kept = _distinct(dense[in_cluster])
    remap = np.full(len(sizes), -1, dtype=np.int64)
    remap[kept] = np.arange(len(kept))
    label = remap[dense]
    return Clusters(label=label, count=len(kept), links=links)
