"""The consortium demo end to end (small): sharing stops the campaign sooner and nothing private leaves."""

from __future__ import annotations

import json
from pathlib import Path

from distillguard.share.consortium import run_demo_with_hub


def test_sharing_stops_the_campaign_sooner_at_the_other_providers_and_leaks_nothing(tmp_path: Path) -> None:
    # Through a real hub on loopback: A POSTs its bundle, B pulls it. The CLI runs all three providers.
    result = run_demo_with_hub(tmp_path, accounts=90, days=0.5, providers=("A", "B"))
    assert result.transport == "hub"
    by = {p.provider: p for p in result.providers}
    assert not result.leaks
    for provider in ("B",):
        p = by[provider]
        assert p.campaign_accounts >= 20 and p.served_alone > 0
        assert p.served_shared * 5 <= p.served_alone  # the target: at least 5x sooner
        assert p.benign_blocked_shared == p.benign_blocked_alone == 0
    saved = json.loads((tmp_path / "consortium.json").read_text())
    assert [p["provider"] for p in saved["providers"]] == ["A", "B"]
