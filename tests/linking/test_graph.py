"""The account graph: link types, weights, guards against shared infrastructure, components."""

import numpy as np

from distillguard.accounts.store import _COLUMNS, Events
from distillguard.linking.graph import Links, cluster_accounts, components, link_accounts


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
