"""The enforcement policy file: defaults, a full example, and errors that name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from distillguard.enforce.policy import Policy, load_policy
from distillguard.errors import ConfigError

FULL = """
mode: shadow
thresholds: {degrade: 0.6, block: 0.95}
rate_limit: {requests_per_minute: 120, burst: 10}
degrade: {strip_reasoning: true, drop_logprobs: false, max_n: 2, max_tokens: 512, watermark: true}
lists: {allow_accounts: [acct_ok], block_accounts: [acct_bad], allow_keys: [], block_keys: [key_bad]}
fail: {block: open, throttle: closed, degrade: open}
window: {hours: 12, refresh_seconds: 60, min_requests: 20}
"""


def test_no_file_gives_the_defaults() -> None:
    assert load_policy(None) == Policy()


def test_a_full_policy_is_read_into_every_field(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(FULL)
    p = load_policy(path)
    assert p.mode == "shadow" and (p.degrade_threshold, p.block_threshold) == (0.6, 0.95)
    assert p.rate_limit.requests_per_minute == 120.0 and p.rate_limit.burst == 10
    assert p.degrade.drop_logprobs is False and p.degrade.max_n == 2 and p.degrade.max_tokens == 512
    assert p.lists.block_accounts == frozenset({"acct_bad"}) and p.lists.block_keys == frozenset({"key_bad"})
    assert p.fail.throttle == "closed" and p.window.hours == 12.0 and p.window.min_requests == 20


@pytest.mark.parametrize(("text", "message"), [
    ("colour: red", "unknown key(s) colour"),
    ("rate_limit: {rpm: 5}", "rate_limit: unknown key(s) rpm"),
    ("rate_limit: {burst: -1}", "rate_limit: burst must be a whole number"),
    ("thresholds: {degrade: 0.9, block: 0.5}", "must not exceed block"),
    ("thresholds: {block: 2}", "block must be a number in [0, 1]"),
    ("fail: {block: maybe}", "fail: block must be one of open, closed"),
    ("mode: loud", "mode must be enforce or shadow"),
    ("lists: {block_accounts: acct_1}", "must be a list of strings"),
    ("window: {hours: 0}", "hours and refresh_seconds must be above 0"),
    ("[1, 2]", "must be a mapping"),
    ("mode: [unclosed", "not valid YAML"),
])
def test_bad_policies_name_the_file_and_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_policy(path)
    assert str(path) in str(err.value) and message in str(err.value)
