"""TAXII/STIX timestamps as integer microseconds since the epoch, the hub's one representation of time.

Storing ``date_added`` and versions as integers keeps SQLite and PostgreSQL identical (no time-zone or
precision differences between their timestamp types) and makes ordering exact.
"""

from __future__ import annotations

import calendar
import re
import time

_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$")


def parse_us(value: str) -> int:
    """An RFC 3339 timestamp -> microseconds since the epoch (digits past the microsecond are dropped, which
    keeps ``x > parse_us(t)`` equal to "after t" for integer x). Raises ValueError naming the value."""
    m = _RFC3339.match(value.strip()) if isinstance(value, str) else None
    if m is None:
        raise ValueError(f"{value!r} is not an RFC 3339 timestamp such as 2026-01-31T12:00:00.000Z")
    year, month, day, hour, minute, second = (int(m.group(i)) for i in range(1, 7))
    fraction = (m.group(7) or "")[:6].ljust(6, "0")
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] and hour < 24 and minute < 60
            and second < 61):
        raise ValueError(f"{value!r} is not a valid date and time")
    seconds = calendar.timegm((year, month, day, hour, minute, min(second, 59), 0, 0, 0))
    us = seconds * 1_000_000 + int(fraction)
    if m.group(9):
        offset = (int(m.group(10)) * 60 + int(m.group(11))) * 60_000_000
        us += -offset if m.group(9) == "+" else offset
    return us


def format_us(us: int) -> str:
    """Microseconds since the epoch -> ``2026-01-31T12:00:00.123456Z`` (always six fraction digits)."""
    seconds, micro = divmod(us, 1_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{micro:06d}Z"


def now_us() -> int:
    """The current time in microseconds since the epoch."""
    return time.time_ns() // 1000
