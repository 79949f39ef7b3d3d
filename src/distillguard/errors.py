"""Errors raised by distillguard.

Our exception hierarchy:

    DistillguardError
     ├── LogReadError        a traffic log cannot be read at all (missing, unreadable, not a log format)
     ├── ConfigError         a scenario, policy or option value is invalid
     └── StateUnavailable    shared request-time state (Redis) did not answer in time or at all

A bad *line* in a log is never an exception: readers count it, keep its line number and reason in
the read report, and go on (see ``distillguard.events.BadLine``).
"""

from __future__ import annotations


class DistillguardError(Exception):
    """Base class of every error distillguard raises on purpose."""


class LogReadError(DistillguardError):
    """Raised when a log file cannot be read at all; carries the path and the reason."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class ConfigError(DistillguardError):
    """Raised when a configuration value (scenario, option, policy) is invalid; the message names it."""


class StateUnavailable(DistillguardError):
    """Raised when shared request-time state (Redis) cannot be reached or does not answer within its timeout.

    The gateway's decision path catches it and obeys the policy's fail mode for the decision class."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"shared state at {where} unavailable: {reason}")
        self.where = where
        self.reason = reason
