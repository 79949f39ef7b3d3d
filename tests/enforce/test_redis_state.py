"""Shared request-time state in a real redis-server: GCRA limits and counters that hold across processes.

The tests start their own ``redis-server`` (loopback, a free port, no persistence); ``./dev test`` installs
Debian's package when it is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from distillguard.enforce.decider import Decider
from distillguard.enforce.policy import FailModes, Policy, RateLimit
from distillguard.enforce.state import MemoryRate, RedisCounters, RedisRate
from distillguard.errors import DistillguardError, StateUnavailable
from distillguard.scoring.model import ScoringModel


class RedisServer:
    """A throwaway ``redis-server`` on 127.0.0.1, in its own directory, started and killed by the tests."""

    def __init__(self, directory: Path) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not on PATH: run ./dev test (it installs Debian's redis-server), or "
                        "apt-get install -y --no-install-recommends redis-server", pytrace=False)
        self.binary = binary
        self.directory = directory
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = self.directory / "redis.log"
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.directory)],
            cwd=self.directory, stdout=log.open("ab"), stderr=subprocess.STDOUT)
        probe = redis.Redis(port=self.port, socket_timeout=0.2, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                if probe.ping():
                    break
            except redis.RedisError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"redis-server did not answer PING on port {self.port}:\n{log.read_text()[-2000:]}")
            time.sleep(0.02)
        probe.close()

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        os.kill(self.process.pid, sig)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.kill()


# -- one process: the same answers as MemoryRate ---------------------------------------------------------------


def test_gcra_bursts_throttles_and_recovers_like_memory_rate(redis_url: str) -> None:
    limit = RateLimit(requests_per_minute=600, burst=4)  # one request every 0.1 s, five at once
    shared, memory = RedisRate(redis_url, limit, prefix="gcra:", timeout_s=1.0), MemoryRate(limit)

    def both() -> tuple[float | None, float | None]:
        return memory.check("acct", time.time()), shared.check("acct", 0.0)  # now_s is ignored in Redis

    burst = [both() for _ in range(7)]
    assert [m is None for m, _ in burst] == [r is None for _, r in burst] == [True] * 5 + [False] * 2
    for m, r in burst[5:]:
        assert r is not None and m is not None
        assert 0.05 < r <= 0.1 and r == pytest.approx(m, abs=0.03)

    time.sleep(burst[-1][1] + 0.01)  # waiting the retry time is enough for one more
    assert both() == (None, None)
    again = both()
    assert again[0] is not None and again[1] is not None and 0.05 < again[1] <= 0.1

    time.sleep(0.55)  # a full recovery: the whole burst again
    recovered = [both() for _ in range(6)]
    assert [r is None for _, r in recovered] == [m is None for m, _ in recovered] == [True] * 5 + [False]


def test_rate_key_expires_when_the_account_goes_idle(redis_url: str) -> None:
    shared = RedisRate(redis_url, RateLimit(requests_per_minute=600, burst=4), prefix="idle:")
    assert shared.check("acct", 0.0) is None
    assert 0 < shared.client.pttl("idle:{acct}:rate") <= 100
    time.sleep(0.15)
    assert not shared.client.exists("idle:{acct}:rate")


# -- several processes, one limit ------------------------------------------------------------------------------

_CHILD = """
import json, sys, time
from distillguard.enforce.policy import Policy, RateLimit
from distillguard.enforce.state import RedisRate

mode, url, account = sys.argv[1], sys.argv[2], sys.argv[3]
limit = RateLimit(float(sys.argv[4]), int(sys.argv[5]))
seconds = float(sys.argv[6])
rate = RedisRate(url, limit, timeout_s=1.0)
if mode == "decider":
    from distillguard.enforce.decider import Decider
    decider = Decider(Policy(rate_limit=limit), rate=rate)
    decide = lambda: decider.decide(account).action
    decider.decide("warm-up")
else:
    decide = lambda: "allow" if rate.check(account, 0.0) is None else "throttle"
    rate.check("warm-up", 0.0)
print("ready", flush=True)
start = float(sys.stdin.readline())
time.sleep(max(0.0, start - time.time()))
actions = {}
while time.time() < start + seconds:
    action = decide()
    actions[action] = actions.get(action, 0) + 1
print(json.dumps({"actions": actions, "start": start, "end": time.time()}), flush=True)
"""


def _hammer(mode: str, url: str, account: str, limit: RateLimit, processes: int,
            seconds: float) -> list[dict[str, Any]]:
    """Start ``processes`` children, release them together; each returns its count of actions, its start time
    and the time its last request had returned."""
    args = [url, account, str(limit.requests_per_minute), str(limit.burst), str(seconds)]
    children = [subprocess.Popen([sys.executable, "-c", _CHILD, mode, *args], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True) for _ in range(processes)]
    try:
        for child in children:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        start = f"{time.time() + 0.2}\n"
        for child in children:
            assert child.stdin is not None
            child.stdin.write(start)
            child.stdin.close()
        results = []
        for child in children:
            assert child.stdout is not None
            results.append(json.loads(child.stdout.read()))
            assert child.wait(timeout=60) == 0
        return results
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()


def _assert_one_limit(results: list[dict[str, Any]], limit: RateLimit) -> None:
    """Together the processes got what one limit allows, though each alone asked for more than that."""
    seconds = max(r["end"] for r in results) - results[0]["start"]  # no request was made outside this span
    ceiling = limit.burst + 1 + limit.requests_per_minute / 60 * seconds + 1  # +1: clock reads, rounding
    requests = [sum(r["actions"].values()) for r in results]
    assert min(requests) > 2 * ceiling, f"requests per process {requests}: not every process pressed the limit"
    allowed = sum(r["actions"].get("allow", 0) for r in results)
    assert allowed <= ceiling, f"{allowed} allowed over {len(results)} processes (limit {ceiling:.1f}): {results}"
    assert allowed >= 0.8 * ceiling, f"only {allowed} allowed (limit {ceiling:.1f}): throttled beyond the limit"


def test_the_limit_holds_across_processes(redis_url: str) -> None:
    limit, seconds = RateLimit(requests_per_minute=1200, burst=10), 1.5
    results = _hammer("rate", redis_url, "acct-shared", limit, processes=4, seconds=seconds)
    _assert_one_limit(results, limit)


def test_two_deciders_in_two_processes_share_one_limit(redis_url: str) -> None:
    limit, seconds = RateLimit(requests_per_minute=1200, burst=10), 1.5
    results = _hammer("decider", redis_url, "acct-deciders", limit, processes=2, seconds=seconds)
    assert {action for r in results for action in r["actions"]} <= {"allow", "throttle"}
    _assert_one_limit(results, limit)


# -- Redis going away -------------------------------------------------------------------------------------------


def test_redis_going_away_fails_fast_obeys_fail_modes_and_recovers(tmp_path: Path) -> None:
    server = RedisServer(tmp_path)
    server.start()
    try:
        timeout = 0.1
        limit = RateLimit(requests_per_minute=600, burst=5)
        rate = RedisRate(server.url, limit, timeout_s=timeout)
        counters = RedisCounters(server.url, timeout_s=timeout)
        model = ScoringModel.load()
        fail_open = Decider(Policy(rate_limit=limit, fail=FailModes(throttle="open")), model=model, rate=rate)
        fail_closed = Decider(Policy(rate_limit=limit, fail=FailModes(throttle="closed")), model=model, rate=rate)
        assert rate.check("acct", 0.0) is None

        server.signal(signal.SIGSTOP)  # hung: every call times out
        try:
            began = time.perf_counter()
            with pytest.raises(StateUnavailable, match="TimeoutError"):
                rate.check("acct", 0.0)
            assert time.perf_counter() - began < 4 * timeout
        finally:
            server.signal(signal.SIGCONT)
        assert rate.check("acct", 0.0) is None  # the timed-out connection was dropped, not reused

        server.kill()  # gone: refused at once
        for call in (lambda: rate.check("acct", 0.0), lambda: counters.add("acct", 1),
                     lambda: counters.requests("acct"), lambda: counters.distinct_prompts("acct")):
            began = time.perf_counter()
            with pytest.raises(StateUnavailable, match=f"127.0.0.1:{server.port}") as caught:
                call()
            assert time.perf_counter() - began < 4 * timeout
            assert isinstance(caught.value, DistillguardError)
        assert fail_open.decide("acct").action == "allow"
        closed = fail_closed.decide("acct")
        assert (closed.action, closed.code) == ("throttle", "fail_closed")

        server.start()  # back on the same port, empty: the same clients recover
        assert rate.check("acct", 0.0) is None
        assert fail_closed.decide("acct").action == "allow"
        counters.add("acct", 1)
        assert counters.requests("acct") == 1 and counters.distinct_prompts("acct") == 1
    finally:
        server.kill()


# -- counters ---------------------------------------------------------------------------------------------------


def test_counters_count_requests_and_estimate_distinct_prompts_across_replicas(redis_url: str) -> None:
    replicas = [RedisCounters(redis_url, prefix="count:", timeout_s=1.0) for _ in range(2)]
    distinct = 2000
    for i in range(3000):  # 2000 distinct prompts, a third of them asked twice, through two replicas
        replicas[i % 2].add("acct", (i % distinct) * 0x9E3779B97F4A7C15 % 2**64 - 2**63)
    for counters in replicas:
        assert counters.requests("acct") == 3000
        assert counters.distinct_prompts("acct") == pytest.approx(distinct, rel=0.03)
        assert counters.distinct_prompts("acct", days=2) == counters.distinct_prompts("acct")
        assert counters.requests("other") == counters.distinct_prompts("other") == 0

    client = replicas[0].client
    assert 0 < client.pttl("count:{acct}:req") <= (60 + 1) * 60_000
    (hll,) = client.keys("count:{acct}:hll:*")
    assert 86_400 < client.ttl(hll) <= 2 * 86_400


def test_counters_window_slides_and_idle_keys_expire(redis_url: str) -> None:
    counters = RedisCounters(redis_url, prefix="slide:", window_s=0.6, bucket_s=0.1, timeout_s=1.0)
    t0 = time.time()

    def at(offset: float) -> None:
        time.sleep(max(0.0, t0 + offset - time.time()))

    for _ in range(10):
        counters.add("acct", 1)
    at(0.35)
    for _ in range(5):
        counters.add("acct", 2)
    at(0.4)
    assert counters.requests("acct") == 15
    at(0.75)  # the first ten have left the 0.6 s window, the last five have not
    assert counters.requests("acct") == 5
    assert counters.distinct_prompts("acct") == 2  # distinct counts are per day, not per window
    at(1.15)  # the window and one bucket after the last request: the hash is gone
    assert counters.requests("acct") == 0
    assert not counters.client.exists("slide:{acct}:req")
