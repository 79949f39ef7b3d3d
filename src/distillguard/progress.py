"""Progress bars for long work, on stderr, shown only to a person at a terminal."""

from __future__ import annotations

import sys
from typing import Any

from tqdm import tqdm


def bar(total: float | None, desc: str, unit: str = "it", *, enabled: bool | None = None, **kwargs: Any) -> tqdm:
    """A tqdm bar on stderr. ``enabled=None`` means: only when stderr is a terminal."""
    disable = (not sys.stderr.isatty()) if enabled is None else not enabled
    return tqdm(total=total, desc=desc, unit=unit, disable=disable, file=sys.stderr, leave=False,
                dynamic_ncols=True, mininterval=0.5, **kwargs)
