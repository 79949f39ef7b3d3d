"""The account graph: link types, weights, guards against shared infrastructure, components."""

import numpy as np

from distillguard.accounts.store import _COLUMNS, Events
from distillguard.linking import graph
from distillguard.linking.graph import (
    KEYED_LINKS,
    Links,
    _ring_pairs,
    _sum_pairs,
    cluster_accounts,
    combine_links,
    components,
    keyed_links,
    link_accounts,
    paced_links,
)
from distillguard.signals.fingerprint import mix64


def _events(acct: list[int], ip: list[int], template: list[int] | None = None, ts: list[int] | None = None,
            ua: list[int] | None = None) -> Events:
    n = len(acct)
    cols = {name: np.zeros(n, dtype=dtype) for name, dtype in _COLUMNS.items()}
    cols["acct"] = np.array(acct, dtype=np.int32)
    cols["ip"] = np.array(ip, dtype=np.uint64)
    cols["template"] = np.array(template or list(range(1000, 1000 + n)), dtype=np.uint64)
    cols["ts"] = np.array(ts or list(range(n)), dtype=np.int64)
    cols["user_agent"] = np.array(ua or [a + 1 for a in acct], dtype=np.uint64)  # one client each
    return Events(cols, [f"a{i}" for i in range(max(acct) + 1)], ["m"])


def _link(events: Events, n: int, **kw) -> Links:
    defaults = dict(payment={}, created_ms=np.full(n, np.nan), channel={}, median_gap_s=np.full(n, np.nan),
                    first_ms=np.zeros(n), last_ms=np.zeros(n), requests=np.zeros(n), regularity=np.zeros(n))
    defaults.update(kw)
    return link_accounts(events, n, **defaults)


def _weight(links: Links, a: int, b: int) -> float:
    hit = (links.a == min(a, b)) & (links.b == max(a, b))
    return float(links.weight[hit].sum())


def test_components_of_a_chain_and_isolated_nodes() -> None:
    label = components(6, np.array([0, 1, 4]), np.array([1, 2, 5]))
    assert label.tolist() == [0, 0, 0, 3, 4, 4]


def test_shared_payment_links_and_a_lone_card_does_not() -> None:
    ev = _events([0, 1, 2], [11, 12, 13])
    links = _link(ev, 3, payment={0: "pf_a", 1: "pf_a", 2: "pf_b"})
    assert _weight(links, 0, 1) >= 1.0 and _weight(links, 0, 2) == 0.0


def test_a_proxy_pool_links_strongly_but_one_shared_nat_address_barely() -> None:
    # accounts 0..4 rotate through addresses 100..119; accounts 5..54 all sit behind address 999 once
    acct, ip = [], []
    for a in range(5):
        for k in range(20):
            acct.append(a)
            ip.append(100 + (k + a) % 20)
    for a in range(5, 55):
        acct.append(a)
        ip.append(999)
    links = _link(_events(acct, ip), 55)
    assert _weight(links, 0, 3) > 3.0
    assert _weight(links, 5, 6) < 0.5
    clusters = cluster_accounts(links, 55)
    assert clusters.count == 1 and set(np.flatnonzero(clusters.label == 0)) == set(range(5))


def test_addresses_shared_by_too_many_accounts_are_ignored_as_infrastructure() -> None:
    acct = list(range(30))
    links = _link(_events(acct, [5] * 30), 30, max_key_accounts=20)
    assert links.ignored_keys["address"] == 1
    assert len(links.a) == 0


def test_repeated_templates_link_accounts_through_lsh() -> None:
    acct = [a for a in range(4) for _ in range(40)]
    template = [(7000 + k % 20) if a < 2 else (8000 + a * 100 + k % 20) for a in range(4) for k in range(40)]
    links = _link(_events(acct, [0] * len(acct), template), 4)
    assert links.by_type["template"].size and _weight(links, 0, 1) >= 0.4 and _weight(links, 2, 3) == 0.0


def test_giant_components_are_re_split_with_a_stricter_threshold() -> None:
    # two tight groups joined by weak bridges that together pass the base threshold
    a = np.array([0, 1, 2, 3, 4, 5, 2])
    b = np.array([1, 2, 0, 4, 5, 3, 3])
    w = np.array([5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 1.0])
    links = Links(a, b, w, {"address": w})
    loose = cluster_accounts(links, 6, threshold=0.9, max_cluster_size=10)
    assert loose.count == 1
    strict = cluster_accounts(links, 6, threshold=0.9, max_cluster_size=4)
    assert strict.count == 2


def _reference_ring_pairs(keys: np.ndarray, members: np.ndarray, weights: np.ndarray, *, ring: int,
                          max_group: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The ring pairs written the obvious way (one pass per ring offset, then one row per (key, pair)):
    (key group, lo, hi, weight), sorted by key group, then pair."""
    order = np.lexsort((mix64(members.astype(np.uint64) ^ keys), keys))
    k, m, w = keys[order], members[order], weights[order]
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    group_of, size_of, start_of = np.repeat(np.arange(len(starts)), sizes), np.repeat(sizes, sizes), \
        np.repeat(starts, sizes)
    pos = np.arange(len(k)) - start_of
    usable = (size_of >= 2) & (size_of <= max_group)
    rows = []
    for d in range(1, ring + 1):
        take = usable & (size_of > d)
        partner = start_of[take] + (pos[take] + d) % size_of[take]
        rows.append(np.stack([group_of[take], np.minimum(m[take], m[partner]), np.maximum(m[take], m[partner]),
                              np.flatnonzero(take)]))
    g, lo, hi, src = np.concatenate(rows, axis=1) if rows else np.zeros((4, 0), dtype=np.int64)
    order = np.lexsort((hi, lo, g))  # the same pair twice in one key (offsets d and s - d): the smaller d
    g, lo, hi, src = g[order], lo[order], hi[order], src[order]
    first = np.r_[True, (g[1:] != g[:-1]) | (lo[1:] != lo[:-1]) | (hi[1:] != hi[:-1])] if len(g) else g == 0
    return g[first], lo[first], hi[first], w[src[first]]


def test_ring_pairs_match_the_obvious_construction_row_for_row_and_sum_alike() -> None:
    rng = np.random.default_rng(7)
    for trial in range(300):
        n = 60
        keys = rng.integers(0, int(rng.integers(1, 12)), 400).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        members = rng.integers(0, n, 400)
        _, keep = np.unique(np.stack([keys.astype(np.int64), members]), axis=1, return_index=True)
        keys, members = keys[np.sort(keep)], members[np.sort(keep)]  # distinct (key, member)
        weights = rng.random(len(keys))
        ring, max_group = int(rng.integers(1, 30)), int(rng.integers(2, 80))
        pairs = _ring_pairs(keys, members, weights, ring=ring, max_group=max_group)
        _, lo, hi, w = _reference_ring_pairs(keys, members, weights, ring=ring, max_group=max_group)
        assert (np.diff(pairs.source) >= 0).all()
        got = np.lexsort((pairs.hi, pairs.lo))
        want = np.lexsort((hi, lo))
        assert np.array_equal(pairs.lo[got], lo[want]) and np.array_equal(pairs.hi[got], hi[want])
        assert np.array_equal(pairs.weights[pairs.source][got], w[want])
        # every path of _sum_pairs adds each pair's weights in key order, as a plain loop does
        codes = lo * n + hi
        sums: dict[int, float] = {}
        for code, weight in zip(codes.tolist(), (w * 0.3).tolist(), strict=True):
            sums[code] = sums.get(code, 0.0) + weight
        uniq, total = _sum_pairs(pairs, 0.3, n)
        assert uniq.tolist() == sorted(sums) and total.tolist() == [sums[c] for c in sorted(sums)], trial


def test_sum_pairs_paths_agree_exactly() -> None:
    rng = np.random.default_rng(3)
    for n in (3, 40, 2**32 + 7):  # the last: codes too wide to pack a row index beside them
        a, b = rng.integers(0, 3, 5000), rng.integers(0, 3, 5000)
        lo, hi = np.minimum(a, b), np.maximum(a, b)
        pairs = graph._RingPairs(lo.astype(np.int64), hi.astype(np.int64), np.arange(5000),
                                 rng.random(5000) * 1e6, 0)
        expect_uniq, inverse = np.unique(lo * n + hi, return_inverse=True)
        expect = np.bincount(inverse, weights=pairs.weights * 0.25)
        uniq, total = _sum_pairs(pairs, 0.25, n)
        assert np.array_equal(uniq, expect_uniq) and np.array_equal(total, expect)


def test_link_types_computed_apart_combine_to_the_same_links() -> None:
    rng = np.random.default_rng(11)
    acct = rng.integers(0, 40, 3000).tolist()
    ip = [100 + (a % 7) * 3 + int(rng.integers(0, 3)) for a in acct]
    template = [7000 + (a % 5) * 10 + int(rng.integers(0, 4)) for a in acct]
    ev = _events(acct, ip, template, ua=[1 + a % 9 for a in acct])
    n = 40
    kw = dict(payment={a: f"pf{a % 6}" for a in range(n)}, created_ms=np.arange(n) * 3_600_000.0,
              channel={a: "web" for a in range(n)})
    whole = _link(ev, n, **kw)
    parts = [keyed_links(kind, ev, n, **kw) for kind in reversed(KEYED_LINKS)]
    apart = combine_links([*parts, paced_links(n, median_gap_s=np.full(n, np.nan), first_ms=np.zeros(n),
                                               last_ms=np.zeros(n), requests=np.zeros(n),
                                               regularity=np.zeros(n))], n)
    assert list(whole.by_type) == list(apart.by_type) == ["payment", "address", "template", "created_together",
                                                          "client"]
    assert np.array_equal(whole.a, apart.a) and np.array_equal(whole.weight, apart.weight)
    assert whole.ignored_keys == apart.ignored_keys
