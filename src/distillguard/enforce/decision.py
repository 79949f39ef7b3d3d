"""One request's decision, as the gateway acts on it and ``decisions.jsonl`` records it (CONTRACTS.md §4)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Action = Literal["allow", "throttle", "degrade", "block"]
ACTIONS: Final[tuple[str, ...]] = ("allow", "throttle", "degrade", "block")

#: Reason codes a customer sees (in a block's error ``code``) and can quote in an appeal.
REASON_CODES: Final[dict[str, str]] = {
    "blocklist": "the account or API key is on the provider's block list",
    "extraction_account": "the account's own traffic scores as model-output harvesting",
    "extraction_cluster": "the account is linked to a cluster of accounts whose traffic scores as harvesting",
    "rate_limit": "the account is over its request rate",
    "suspect_degraded": "the account's traffic is under review; reasoning, logprobs and output length are limited",
    "fail_closed": "the decision could not be made and policy fails closed for this class",
    "fail_open": "the decision could not be made and policy fails open for this class (a logged bypass)",
    "peer_indicator": "the account matches an indicator another provider published",
}


def new_reference() -> str:
    """A reference id a customer can quote in an appeal: unique, unguessable, short."""
    return "dg_" + secrets.token_hex(8)


@dataclass(frozen=True)
class Degrade:
    """What a degrade action changes in the request (and marks on the response)."""

    strip_reasoning: bool = True  # remove reasoning content / summaries from the response
    drop_logprobs: bool = True  # drop logprobs / top_logprobs / logit_bias from the request
    max_n: int = 1  # cap n
    max_tokens: int | None = 1024  # cap max_tokens / max_completion_tokens / max_output_tokens
    watermark: bool = True  # mark the response for watermarking (the forensics tier "suspect")


@dataclass(frozen=True)
class Decision:
    action: Action
    score: float  # the score the decision rests on (account or cluster), 0 when none
    reasons: tuple[str, ...] = ()  # human-readable, with the numbers
    code: str = ""  # the main reason code (REASON_CODES), "" for a plain allow
    reference: str = field(default_factory=new_reference)
    retry_after_s: float | None = None  # throttle: when to retry
    degrade: Degrade | None = None  # degrade: what to change
    shadow: bool = False  # decided in shadow mode: logged, not acted on
    cluster_id: str | None = None

    def effective(self) -> Action:
        """What the gateway does: the action, or allow in shadow mode."""
        return "allow" if self.shadow else self.action

    def record(self, request_id: str, account_id: str) -> dict[str, Any]:
        """The CONTRACTS.md §4 line, plus optional fields (code, reference, shadow, cluster_id)."""
        row: dict[str, Any] = {"request_id": request_id, "account_id": account_id, "action": self.action,
                               "score": round(self.score, 6), "reasons": list(self.reasons)}
        if self.code:
            row["code"] = self.code
        row["reference"] = self.reference
        if self.shadow:
            row["shadow"] = True
        if self.cluster_id:
            row["cluster_id"] = self.cluster_id
        return row
