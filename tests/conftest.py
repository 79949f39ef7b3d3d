"""Shared test helpers: a minimal valid traffic-log record (CONTRACTS.md §1)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


def _record(i: int = 0, **fields: Any) -> dict[str, Any]:
    """A minimal valid log record; ``fields`` replace or add top-level fields."""
    record: dict[str, Any] = {
        "request_id": f"req_{i:06d}",
        "timestamp": f"2026-11-27T08:{i // 60 % 60:02d}:{i % 60:02d}.123Z",
        "account_id": f"acct_{i % 7}",
        "endpoint": "/v1/chat/completions",
        "model": "frontier-2",
        "request": {"messages": [{"role": "user", "content": f"question {i}"}]},
    }
    record.update(fields)
    return record


@pytest.fixture
def make_record() -> Callable[..., dict[str, Any]]:
    """``make_record(i, **fields)``: a minimal valid record numbered ``i``."""
    return _record
