"""Shared request-time state: rate limits (GCRA). In memory for one process; in Redis for several replicas.

``RateState.check(account_id, now_s)`` counts one request and returns None when it conforms to the
account's rate, or the seconds until it would. GCRA (the generic cell rate algorithm) keeps one number
per account, the theoretical arrival time: a steady ``requests_per_minute`` with ``burst`` requests of
slack.
"""

from __future__ import annotations

import threading
from typing import Protocol

from distillguard.enforce.policy import RateLimit


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
