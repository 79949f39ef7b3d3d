"""Shared request-time state: rate limits (GCRA). In memory for one process; in Redis for several replicas.

``RateState.check(account_id, now_s)`` counts one request and returns None when it conforms to the
account's rate, or the seconds until it would. GCRA (the generic cell rate algorithm) keeps one number
per account, the theoretical arrival time: a steady ``requests_per_minute`` with ``burst`` requests of
slack.

``RedisRate`` keeps that number in Redis, read and written by one Lua script on the Redis server's clock, so
several gateway replicas share one limit; ``RedisCounters`` keeps sliding-window request counts and
HyperLogLog distinct-prompt counts there. Both raise ``StateUnavailable`` when Redis does not answer in time.
"""

from __future__ import annotations

import math
import threading
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import urlsplit, urlunsplit

from distillguard.enforce.policy import RateLimit
from distillguard.errors import ConfigError, StateUnavailable

if TYPE_CHECKING:
    from redis.commands.core import Script


class RateState(Protocol):
    def check(self, account_id: str, now_s: float) -> float | None: ...


class MemoryRate:
    """GCRA in this process (one gateway worker, or replay). ``now_s`` is the request time."""

    def __init__(self, limit: RateLimit) -> None:
        self.interval = 60.0 / limit.requests_per_minute
        self.tolerance = self.interval * limit.burst
        self._tat: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, account_id: str, now_s: float) -> float | None:
        with self._lock:
            tat = max(self._tat.get(account_id, now_s), now_s)
            if tat - now_s > self.tolerance:
                return tat - now_s - self.tolerance
            self._tat[account_id] = tat + self.interval
        return None


# -- Redis: one limit and one set of counters shared by every gateway replica -------------------------------
#
# Every script reads the clock with redis.call('TIME'), so replicas whose clocks disagree still share one
# limit. Keys carry the account in a hash tag ({account}) so one account's keys would share a cluster slot.
# See docs/gateway-state.md.

#: GCRA. KEYS[1]: the account's theoretical arrival time (TAT), microseconds of Redis server time.
#: ARGV[1]: emission interval (µs), ARGV[2]: burst tolerance (µs). Returns 0 when the request conforms (and
#: counts it), else the microseconds until it would. The key expires when the TAT passes: from then on a
#: missing key and a stored one mean the same, so idle accounts vanish.
_GCRA_LUA: Final = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - now - tolerance
if wait > 0 then return math.ceil(wait) end
local new_tat = tat + interval
redis.call('SET', KEYS[1], string.format('%.0f', new_tat))
redis.call('PEXPIRE', KEYS[1], math.ceil((new_tat - now) / 1000))
return 0
"""

#: Count one request. KEYS[1]: the account's window hash (field: bucket number, value: requests in it).
#: KEYS[2]: the name prefix of its daily HyperLogLogs of prompt hashes (the UTC day number is appended).
#: ARGV[1]: bucket length (ms), ARGV[2]: buckets in the window, ARGV[3]: the prompt hash, ARGV[4]: the
#: HyperLogLogs' time to live (s). Buckets that left the window are dropped when a new bucket opens.
_ADD_LUA: Final = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local bucket_ms = tonumber(ARGV[1])
local buckets = tonumber(ARGV[2])
local cur = math.floor(now_ms / bucket_ms)
if redis.call('HINCRBY', KEYS[1], string.format('%d', cur), 1) == 1 then
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if tonumber(field) <= cur - buckets then redis.call('HDEL', KEYS[1], field) end
  end
end
redis.call('PEXPIRE', KEYS[1], (buckets + 1) * bucket_ms)
local hll = KEYS[2] .. string.format('%d', math.floor(tonumber(t[1]) / 86400))
redis.call('PFADD', hll, ARGV[3])
redis.call('EXPIRE', hll, ARGV[4])
return 0
"""

#: Requests in the sliding window. KEYS[1]: the window hash; ARGV as in _ADD_LUA. Read-only.
_WINDOW_LUA: Final = """
local t = redis.call('TIME')
local now_ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cur = math.floor(now_ms / tonumber(ARGV[1]))
local oldest = cur - tonumber(ARGV[2])
local pairs_ = redis.call('HGETALL', KEYS[1])
local total = 0
for i = 1, #pairs_, 2 do
  if tonumber(pairs_[i]) > oldest then total = total + tonumber(pairs_[i + 1]) end
end
return total
"""

#: Distinct prompt hashes over the last ARGV[1] UTC days (today included): PFCOUNT of the union of the
#: daily HyperLogLogs named KEYS[1] .. day. Read-only.
_DISTINCT_LUA: Final = """
local day = math.floor(tonumber(redis.call('TIME')[1]) / 86400)
local keys = {}
for i = 0, tonumber(ARGV[1]) - 1 do keys[#keys + 1] = KEYS[1] .. string.format('%d', day - i) end
return redis.call('PFCOUNT', unpack(keys))
"""

#: How many days of distinct-prompt HyperLogLogs are kept (so yesterday's can be merged with today's).
HLL_DAYS: Final = 2


class _RedisState:
    """A Redis client for request-time state: a pooled connection, short timeouts, errors translated."""

    def __init__(self, url: str, *, prefix: str, timeout_s: float) -> None:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry

        if timeout_s <= 0:
            raise ConfigError(f"Redis state: timeout_s must be above 0, got {timeout_s!r}")
        self.prefix = prefix
        self.timeout_s = timeout_s
        self.where = _redact(url)
        # One retry, on connection errors only: a pooled connection the server dropped (a restart) is
        # replaced at once. A timeout is not retried, so a hung server costs one timeout per call.
        retry = Retry(NoBackoff(), 1, supported_errors=(redis.ConnectionError,))
        try:
            pool = redis.ConnectionPool.from_url(url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s,
                                                 retry=retry, health_check_interval=0)
        except ValueError as exc:
            raise ConfigError(f"Redis state: bad URL {self.where!r}: {exc}") from exc
        self.client = redis.Redis(connection_pool=pool)
        self._errors: tuple[type[Exception], ...] = (redis.RedisError, OSError)

    def _run(self, script: Script, keys: list[str], args: list[int | float | str]) -> int:
        try:
            return int(script(keys=keys, args=args))
        except self._errors as exc:
            raise StateUnavailable(self.where, f"{type(exc).__name__}: {exc}") from exc

    def _key(self, account_id: str, kind: str) -> str:
        return f"{self.prefix}{{{account_id}}}:{kind}"

    def close(self) -> None:
        """Close the pooled connections (a later call opens new ones)."""
        self.client.connection_pool.disconnect()


class RedisRate(_RedisState):
    """GCRA in Redis, shared by every gateway replica: one Lua script, one key per account, Redis server time.

    ``check(account_id, now_s)`` ignores ``now_s`` (the server's clock decides) and otherwise answers as
    ``MemoryRate`` does: None when the request conforms, else the seconds until it would. When Redis is
    down or slower than ``timeout_s`` it raises ``StateUnavailable`` (the Decider then obeys the policy's
    fail mode for throttling)."""

    def __init__(self, url: str, limit: RateLimit, *, prefix: str = "dg:", timeout_s: float = 0.05) -> None:
        super().__init__(url, prefix=prefix, timeout_s=timeout_s)
        self.interval_us = 60_000_000.0 / limit.requests_per_minute
        self.tolerance_us = self.interval_us * limit.burst
        self._gcra = self.client.register_script(_GCRA_LUA)

    def check(self, account_id: str, now_s: float) -> float | None:
        wait_us = self._run(self._gcra, [self._key(account_id, "rate")], [self.interval_us, self.tolerance_us])
        return wait_us / 1_000_000 if wait_us > 0 else None


class RedisCounters(_RedisState):
    """Per-account request counts over a sliding window and distinct-prompt counts, shared by every replica.

    Requests are counted in ``bucket_s`` buckets of a hash per account, summed over the last ``window_s``
    (rounded up to whole buckets); distinct prompts in a HyperLogLog per account and UTC day (about 0.8%
    standard error, 12 KB at most per key). Both expire on their own. Errors as in ``RedisRate``."""

    def __init__(self, url: str, *, prefix: str = "dg:", window_s: float = 3600.0, bucket_s: float = 60.0,
                 timeout_s: float = 0.05) -> None:
        super().__init__(url, prefix=prefix, timeout_s=timeout_s)
        if bucket_s < 0.001 or window_s < bucket_s:
            raise ConfigError(f"Redis counters: need window_s >= bucket_s >= 0.001, got {window_s!r}, {bucket_s!r}")
        self.bucket_ms = round(bucket_s * 1000)
        self.buckets = math.ceil(window_s * 1000 / self.bucket_ms)
        self._add = self.client.register_script(_ADD_LUA)
        self._window = self.client.register_script(_WINDOW_LUA)
        self._distinct = self.client.register_script(_DISTINCT_LUA)

    def add(self, account_id: str, prompt_hash: int) -> None:
        """Count one request of ``account_id`` and its prompt (a hash of the normalised prompt text)."""
        keys = [self._key(account_id, "req"), self._key(account_id, "hll:")]
        self._run(self._add, keys, [self.bucket_ms, self.buckets, prompt_hash, HLL_DAYS * 86400])

    def requests(self, account_id: str) -> int:
        """Requests of ``account_id`` in the window ending now (Redis server time)."""
        return self._run(self._window, [self._key(account_id, "req")], [self.bucket_ms, self.buckets])

    def distinct_prompts(self, account_id: str, days: int = 1) -> int:
        """Estimated distinct prompts of ``account_id`` over the last ``days`` UTC days, today included."""
        if not 1 <= days <= HLL_DAYS:
            raise ConfigError(f"Redis counters: days must be 1 to {HLL_DAYS}, got {days!r}")
        return self._run(self._distinct, [self._key(account_id, "hll:")], [days])


def _redact(url: str) -> str:
    """``url`` without its password, for error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)[1]
    user = f"{parts.username}:***@" if parts.username else ":***@"
    return urlunsplit(parts._replace(netloc=user + netloc))
