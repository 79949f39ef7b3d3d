"""The scoring model: a transparent logistic combination of behaviour features, and its evidence.

``score = sigmoid(bias + sum_i weight_i * z_i)`` with ``z_i`` the feature after its transform,
standardised by the training population's mean and spread. Each term ``weight_i * z_i`` is that
feature's contribution, which is how evidence is ranked: the entries shown are the features that
pushed the score up most, each with a sentence a person can check against the log.

The weights are data (``weights.json`` beside this module), fitted by ``distillguard.scoring.train``
on simulated traffic only, never on the corpora the benchmark reports on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np

#: Model inputs: (feature id, transform). Feature ids are those of accounts.features.group_features.
MODEL_FEATURES: Final[tuple[tuple[str, str], ...]] = (
    ("requests_per_day", "log1p"),
    ("requests", "log1p"),
    ("hour_entropy", "identity"),
    ("pacing_regularity", "identity"),
    ("burst_share", "identity"),
    ("daily_flatness", "identity"),
    ("cot_coercion_share", "identity"),
    ("step_by_step_share", "identity"),
    ("grader_share", "identity"),
    ("rewrite_share", "identity"),
    ("identity_probe_share", "identity"),
    ("tool_use_share", "identity"),
    ("multi_turn_share", "identity"),
    ("system_prompt_share", "identity"),
    ("domain_concentration", "identity"),
    ("chat_share", "identity"),
    ("languages", "log1p"),
    ("template_diversity", "identity"),
    ("prompt_repeat_share", "identity"),
    ("prompt_novelty", "identity"),
    ("end_users", "log1p"),
    ("ip_addresses", "log1p"),
    ("n_gt1_share", "identity"),
    ("logprobs_share", "identity"),
    ("high_effort_share", "identity"),
    ("mean_max_tokens", "log1p"),
    ("temperature_spread", "identity"),
    ("reasoning_tokens_mean", "log1p"),
    ("output_input_ratio", "log1p"),
    ("account_age_days", "log1p"),
    ("new_model_pivot", "identity"),
)

_TRANSFORMS: Final[dict[str, Callable[[np.ndarray], np.ndarray]]] = {
    "identity": lambda x: x,
    "log1p": lambda x: np.log1p(np.maximum(x, 0.0)),
}


def _pct(x: float) -> str:
    return f"{100 * x:.0f}%"


#: One sentence per feature, with the numbers, for evidence entries. ``v`` is the raw feature value,
#: ``r`` the requests it was computed over.
SENTENCES: Final[dict[str, Callable[[float, float], str]]] = {
    "requests_per_day": lambda v, r: f"{v:,.0f} requests per active day ({r:,.0f} in all)",
    "requests": lambda v, r: f"{v:,.0f} requests in the scanned window",
    "hour_entropy": lambda v, r: f"active round the clock: hour-of-day entropy {v:.2f} of a possible 1.00",
    "pacing_regularity": lambda v, r: f"machine pacing: {_pct(v)} of gaps between requests are within x2 of "
    f"the median gap",
    "burst_share": lambda v, r: f"{_pct(v)} of requests follow the previous one within a second",
    "daily_flatness": lambda v, r: f"the same volume every day (daily flatness {v:.2f}): riding a quota",
    "cot_coercion_share": lambda v, r: f"{_pct(v)} of {r:,.0f} prompts coerce the model into writing out its "
    f"full reasoning",
    "step_by_step_share": lambda v, r: f"{_pct(v)} of prompts ask for step-by-step reasoning",
    "grader_share": lambda v, r: f"{_pct(v)} of prompts use the model as a grader (answer + rubric + score)",
    "rewrite_share": lambda v, r: f"{_pct(v)} of prompts ask for sensitive text to be rewritten",
    "identity_probe_share": lambda v, r: f"{_pct(v)} of prompts probe the model's identity",
    "tool_use_share": lambda v, r: f"{_pct(v)} of requests carry tool definitions or tool results",
    "multi_turn_share": lambda v, r: f"only {_pct(v)} of requests continue a conversation",
    "system_prompt_share": lambda v, r: f"{_pct(v)} of requests carry a system prompt",
    "domain_concentration": lambda v, r: f"{_pct(v)} of requests fall in one capability domain",
    "chat_share": lambda v, r: f"{_pct(v)} of requests are general chat",
    "languages": lambda v, r: f"prompts in {v:.0f} languages",
    "template_diversity": lambda v, r: f"{_pct(v)} of requests use a distinct prompt frame: a corpus is being "
    f"covered",
    "prompt_repeat_share": lambda v, r: f"{_pct(v)} of prompts repeat an earlier one",
    "prompt_novelty": lambda v, r: f"{_pct(v)} of its distinct prompts were sent by no other account",
    "end_users": lambda v, r: f"about {v:,.0f} distinct end users (request.user) behind the account",
    "ip_addresses": lambda v, r: f"requests from about {v:,.0f} client addresses",
    "n_gt1_share": lambda v, r: f"{_pct(v)} of requests ask for several completions (n > 1)",
    "logprobs_share": lambda v, r: f"{_pct(v)} of requests ask for logprobs or bias logits",
    "high_effort_share": lambda v, r: f"{_pct(v)} of requests ask for high reasoning effort",
    "mean_max_tokens": lambda v, r: f"mean max_tokens {v:,.0f}",
    "temperature_spread": lambda v, r: f"temperature swept (standard deviation {v:.2f})",
    "reasoning_tokens_mean": lambda v, r: f"{v:,.0f} reasoning tokens per response on average",
    "output_input_ratio": lambda v, r: f"{v:.1f} output tokens per input token",
    "throttled_share": lambda v, r: f"{_pct(v)} of requests were rate limited (429)",
    "account_age_days": lambda v, r: f"account {v:.0f} days old at its first request",
    "new_model_pivot": lambda v, r: f"moved to the newly released model fast (pivot score {v:.2f})",
}


@dataclass(frozen=True)
class Term:
    feature: str
    transform: str
    mean: float
    std: float
    weight: float


@dataclass(frozen=True)
class ScoringModel:
    """A fitted logistic model over MODEL_FEATURES; load with ``ScoringModel.load()``."""

    bias: float
    terms: tuple[Term, ...]
    trained_on: dict[str, Any]

    @classmethod
    def load(cls, path: str | Path | None = None) -> ScoringModel:
        if path is None:
            text = (resources.files("distillguard.scoring") / "weights.json").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        data = json.loads(text)
        return cls(bias=float(data["bias"]), terms=tuple(Term(**t) for t in data["terms"]),
                   trained_on=data.get("trained_on", {}))

    def to_dict(self) -> dict[str, Any]:
        return {"bias": self.bias, "terms": [t.__dict__ for t in self.terms], "trained_on": self.trained_on}

    def contributions(self, features: dict[str, np.ndarray]) -> np.ndarray:
        """(groups x terms) contributions ``weight * z``; a missing (NaN) feature contributes 0."""
        cols = []
        for t in self.terms:
            x = _TRANSFORMS[t.transform](np.asarray(features[t.feature], dtype=np.float64))
            z = (x - t.mean) / (t.std if t.std > 0 else 1.0)
            cols.append(np.where(np.isnan(z), 0.0, np.clip(z, -8, 8)) * t.weight)
        return np.stack(cols, axis=1) if cols else np.zeros((0, 0))

    def score(self, features: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(scores in [0, 1], contributions)."""
        contrib = self.contributions(features)
        logit = self.bias + contrib.sum(axis=1)
        return 1.0 / (1.0 + np.exp(-logit)), contrib


def design_matrix(features: dict[str, np.ndarray]) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Transformed feature matrix (NaN kept) for fitting."""
    cols = [_TRANSFORMS[tr](np.asarray(features[name], dtype=np.float64)) for name, tr in MODEL_FEATURES]
    return np.stack(cols, axis=1), list(MODEL_FEATURES)


def fit(features: dict[str, np.ndarray], labels: np.ndarray, *, l2: float = 1.0, iterations: int = 60,
        trained_on: dict[str, Any] | None = None) -> ScoringModel:
    """Fit weights by L2-regularised logistic regression (Newton steps), classes balanced."""
    x, spec = design_matrix(features)
    present = ~np.isnan(x)
    filled = np.where(present, x, 0.0)
    k = np.maximum(present.sum(axis=0), 1)
    mean = filled.sum(axis=0) / k
    std = np.sqrt((np.where(present, (x - mean) ** 2, 0.0)).sum(axis=0) / k)
    std = np.where(std > 1e-9, std, 1.0)
    z = np.where(np.isnan(x), 0.0, np.clip((x - mean) / std, -8, 8))
    y = labels.astype(np.float64)
    pos = max(y.sum(), 1.0)
    neg = max(len(y) - y.sum(), 1.0)
    sw = np.where(y > 0, len(y) / (2 * pos), len(y) / (2 * neg))
    design = np.hstack([np.ones((len(y), 1)), z])
    w = np.zeros(design.shape[1])
    reg = np.full(design.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(design @ w)))
        grad = design.T @ (sw * (p - y)) + reg * w
        hess = (design * (sw * p * (1 - p))[:, None]).T @ design + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-6:
            break
    terms = tuple(
        Term(feature=name, transform=tr, mean=float(m), std=float(s), weight=float(wi))
        for (name, tr), m, s, wi in zip(spec, mean, std, w[1:], strict=True)
    )
    return ScoringModel(bias=float(w[0]), terms=terms, trained_on=trained_on or {})


def evidence(model: ScoringModel, features: dict[str, np.ndarray], contrib: np.ndarray, row: int,
             *, top: int = 5, min_contribution: float = 0.25) -> list[dict[str, Any]]:
    """The features that pushed row ``row``'s score up most, as contract evidence entries."""
    order = np.argsort(-contrib[row])
    requests = float(features["requests"][row])
    out: list[dict[str, Any]] = []
    for j in order[:top]:
        c = float(contrib[row, j])
        if c < min_contribution:
            break
        name = model.terms[j].feature
        value = float(features[name][row])
        if math.isnan(value):
            continue
        out.append({"signal": name, "value": round(value, 4), "detail": SENTENCES[name](value, requests),
                    "contribution": round(c, 3)})
    return out
