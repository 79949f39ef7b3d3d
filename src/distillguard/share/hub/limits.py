"""Per-member rate limits: a token bucket in memory (one hub process; each process counts its own)."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

from distillguard.share.hub.config import RateLimit


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``take(member, limit)`` spends one token from the member's bucket: 0.0 when allowed, otherwise the
    seconds to wait before the next request would be (what a 429's Retry-After says, rounded up)."""

    def __init__(self, clock: object = time.monotonic) -> None:
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._lock = threading.Lock()

    def take(self, member: str, limit: RateLimit) -> float:
        now: float = self._clock()  # type: ignore[operator]
        with self._lock:
            bucket = self._buckets.get(member)
            if bucket is None:
                bucket = self._buckets[member] = _Bucket(tokens=float(limit.burst), at=now)
            bucket.tokens = min(float(limit.burst), bucket.tokens + (now - bucket.at) * limit.requests_per_second)
            bucket.at = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / limit.requests_per_second


def retry_after_header(seconds: float) -> str:
    """Retry-After is whole seconds; never 0 for a refused request."""
    return str(max(1, math.ceil(seconds)))
