"""The request-time decision path: lists, rate limit, shadow mode, fail modes, and no peeking ahead."""

from __future__ import annotations

from dataclasses import replace

import msgspec
import pyarrow as pa

from distillguard.enforce.decider import Decider
from distillguard.enforce.policy import FailModes, Lists, Policy, RateLimit
from distillguard.events.schema import LogLine, flatten, rows_to_batch


def _line(i: int, account: str, ts_ms: int) -> dict:
    from datetime import UTC, datetime

    return {"request_id": f"r{i}", "timestamp": datetime.fromtimestamp(ts_ms / 1000, UTC).isoformat(),
            "account_id": account, "request": {"messages": [{"role": "user", "content": f"question {i}"}]}}


def test_block_and_allow_lists_win_and_bypasses_are_counted() -> None:
    d = Decider(Policy(lists=Lists(block_accounts=frozenset({"bad"}), allow_keys=frozenset({"vip"}))))
    blocked = d.decide("bad", now_ms=0)
    assert blocked.action == "block" and blocked.code == "blocklist" and blocked.reference.startswith("dg_")
    assert d.decide("someone", api_key_id="vip", now_ms=0).code == "allowlist" and d.bypasses == 1
    assert d.decide("someone", now_ms=0).action == "allow"


def test_gcra_allows_the_burst_then_throttles_with_a_retry_time_and_recovers() -> None:
    d = Decider(Policy(rate_limit=RateLimit(requests_per_minute=60, burst=2)))
    actions = [d.decide("a", now_ms=0).action for _ in range(4)]
    assert actions == ["allow", "allow", "allow", "throttle"]
    throttled = d.decide("a", now_ms=0)
    assert throttled.code == "rate_limit" and 0.9 <= throttled.retry_after_s <= 1.01
    assert d.decide("a", now_ms=1_000).action == "allow"  # one interval later one more conforms
    assert d.decide("b", now_ms=0).action == "allow"  # accounts are limited apart


def test_shadow_mode_decides_but_never_acts() -> None:
    d = Decider(Policy(mode="shadow", lists=Lists(block_accounts=frozenset({"bad"}))))
    decision = d.decide("bad", now_ms=0)
    assert decision.action == "block" and decision.shadow and decision.effective() == "allow"


class _BrokenRate:
    def check(self, account_id: str, now_s: float) -> float | None:
        raise ConnectionError("state store unreachable")


def test_rate_state_failure_obeys_the_fail_mode() -> None:
    open_ = Decider(Policy(), rate=_BrokenRate())
    decision = open_.decide("a", now_ms=0)
    assert decision.action == "allow" and decision.code == "fail_open" and open_.bypasses == 1
    closed = Decider(replace(Policy(), fail=FailModes(throttle="closed")), rate=_BrokenRate())
    decision = closed.decide("a", now_ms=0)
    assert decision.action == "throttle" and decision.code == "fail_closed"


def test_refresh_folds_only_requests_strictly_before_now() -> None:
    d = Decider(Policy())
    rows = [flatten(msgspec.convert(_line(i, "a", 1_000 * i), LogLine), None) for i in range(5)]
    d.record_batch(rows_to_batch(rows))
    d.refresh(now_ms=3_000, force=True)
    assert d.stats.window_events == 3  # t = 0, 1, 2 s; the requests at 3 s and 4 s wait
    d.record({**_line(9, "b", 3_500), "decision": {"action": "allow"}})  # unknown fields are set aside
    d.refresh(now_ms=10_000, force=True)
    assert d.stats.window_events == 6 and d.stats.failures == 0
    assert isinstance(d.standing, dict)
    assert pa.types.is_timestamp(rows_to_batch(rows).schema.field("timestamp").type)


def test_failing_open_on_rate_state_still_degrades_a_suspect() -> None:
    from distillguard.enforce.decider import Standing

    d = Decider(Policy(), rate=_BrokenRate())
    d._standing = {"s": Standing(score=0.7, own=0.7, requests=50, cluster_id=None, cluster_score=0.0,
                                 cluster_size=0, lead="")}
    assert d.decide("s", now_ms=0).action == "degrade"  # the rate check is skipped, not the rest
    assert d.decide("other", now_ms=0).code == "fail_open" and d.bypasses == 2
