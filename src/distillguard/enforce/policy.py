"""The enforcement policy: which scores and signals lead to which action. YAML, every field optional.

    mode: enforce              # or shadow: decide and log, never act
    thresholds:
      degrade: 0.5             # account (or its cluster's) score from which requests are degraded
      block: 0.9               # ... and blocked
    rate_limit:                # per account, GCRA: a steady rate with a burst allowance
      requests_per_minute: 600
      burst: 60
    degrade:
      strip_reasoning: true
      drop_logprobs: true
      max_n: 1
      max_tokens: 1024
      watermark: true
    lists:
      allow_accounts: []       # never throttled, degraded or blocked (every bypass is logged)
      block_accounts: []
      allow_keys: []
      block_keys: []
    fail:                      # when scoring or state fails, per decision class: open (allow) or closed
      block: open
      throttle: open
      degrade: open
    intel:                     # a match on a peer's published indicator (distillguard intel)
      strong: block            # its payment fingerprint or API key: block, degrade or none
      template: degrade        # its prompt templates
    window:
      hours: 6                 # the sliding window of recent requests the scores are computed on
      refresh_seconds: 300     # how often (in request time) the window is re-scored
      min_requests: 8          # an account's own score counts from this many requests in the window

``load_policy(path)`` reads and checks it: an unknown key, a wrong type or a value out of range raises
ConfigError naming the file and the key.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Final, Literal

from distillguard.enforce.decision import Degrade
from distillguard.errors import ConfigError

FailMode = Literal["open", "closed"]


@dataclass(frozen=True)
class RateLimit:
    requests_per_minute: float = 600.0
    burst: int = 60


@dataclass(frozen=True)
class Lists:
    allow_accounts: frozenset[str] = frozenset()
    block_accounts: frozenset[str] = frozenset()
    allow_keys: frozenset[str] = frozenset()
    block_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class FailModes:
    block: FailMode = "open"
    throttle: FailMode = "open"
    degrade: FailMode = "open"


@dataclass(frozen=True)
class Intel:
    """What a match on a peer's indicator does (block, degrade or none)."""

    strong: str = "block"  # a payment fingerprint or API key a peer published
    template: str = "degrade"  # prompt-template bands a peer published


@dataclass(frozen=True)
class Window:
    hours: float = 6.0
    refresh_seconds: float = 300.0
    min_requests: int = 8


@dataclass(frozen=True)
class Policy:
    mode: Literal["enforce", "shadow"] = "enforce"
    degrade_threshold: float = 0.5
    block_threshold: float = 0.9
    rate_limit: RateLimit = field(default_factory=RateLimit)
    degrade: Degrade = field(default_factory=Degrade)
    lists: Lists = field(default_factory=Lists)
    fail: FailModes = field(default_factory=FailModes)
    window: Window = field(default_factory=Window)
    intel: Intel = field(default_factory=Intel)


_SECTIONS: Final = {"rate_limit": RateLimit, "degrade": Degrade, "lists": Lists, "fail": FailModes, "window": Window,
                    "intel": Intel}
DEFAULT_POLICY: Final = Policy()


def _check(where: str, name: str, value: Any, default: Any) -> Any:
    """``value`` converted to the type of ``default``, or ConfigError naming ``where``/``name``."""
    key = f"{where}: {name}"
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{key} must be true or false, got {value!r}")
        return value
    if isinstance(default, frozenset):
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of strings")
        return frozenset(value)
    if isinstance(default, int) or name == "max_tokens":
        if value is None and name == "max_tokens":  # null: no cap
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{key} must be a whole number >= 0, got {value!r}")
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise ConfigError(f"{key} must be a number >= 0, got {value!r}")
        return float(value)
    if isinstance(default, str):
        allowed = ("open", "closed") if default in ("open", "closed") else ("block", "degrade", "none")
        if not isinstance(value, str) or (allowed and value not in allowed):
            raise ConfigError(f"{key} must be one of {', '.join(allowed or ())}, got {value!r}")
        return value
    raise ConfigError(f"{key}: unsupported value {value!r}")


def policy_from_dict(data: dict[str, Any], where: str = "policy") -> Policy:
    """Build and check a Policy from parsed YAML/JSON."""
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: the policy must be a mapping of sections, got {type(data).__name__}")
    known = {"mode", "thresholds", *_SECTIONS}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}")
    policy = Policy()
    if "mode" in data:
        if data["mode"] not in ("enforce", "shadow"):
            raise ConfigError(f"{where}: mode must be enforce or shadow, got {data['mode']!r}")
        policy = replace(policy, mode=data["mode"])
    thresholds = data.get("thresholds") or {}
    if not isinstance(thresholds, dict) or set(thresholds) - {"degrade", "block"}:
        raise ConfigError(f"{where}: thresholds takes degrade and block (numbers in [0, 1])")
    for name in ("degrade", "block"):
        if name in thresholds:
            value = thresholds[name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ConfigError(f"{where}: thresholds: {name} must be a number in [0, 1], got {value!r}")
            policy = replace(policy, **{f"{name}_threshold": float(value)})
    if policy.degrade_threshold > policy.block_threshold:
        raise ConfigError(f"{where}: thresholds: degrade ({policy.degrade_threshold}) must not exceed block "
                          f"({policy.block_threshold})")
    for section, cls in _SECTIONS.items():
        if section not in data:
            continue
        values = data[section] or {}
        if not isinstance(values, dict):
            raise ConfigError(f"{where}: {section} must be a mapping")
        defaults = cls()
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - names)
        if unknown:
            raise ConfigError(f"{where}: {section}: unknown key(s) {', '.join(unknown)}; known: "
                              f"{', '.join(sorted(names))}")
        checked = {k: _check(f"{where}: {section}", k, v, getattr(defaults, k)) for k, v in values.items()}
        policy = replace(policy, **{section: replace(defaults, **checked)})
    if policy.window.hours <= 0 or policy.window.refresh_seconds <= 0:
        raise ConfigError(f"{where}: window: hours and refresh_seconds must be above 0")
    if policy.rate_limit.requests_per_minute <= 0:
        raise ConfigError(f"{where}: rate_limit: requests_per_minute must be above 0")
    return policy


def load_policy(path: str | Path | None) -> Policy:
    """Read a YAML policy file (None: the defaults)."""
    if path is None:
        return Policy()
    import yaml

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read the policy: {exc.strerror or exc}") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{p}: not valid YAML: {exc}") from exc
    return policy_from_dict(data or {}, where=str(p))
