"""Detection metrics: ranking quality, detection at very low false-positive rates, cluster recovery.

Labels follow CONTRACTS.md §3; scores follow §2 (higher = more likely an extraction actor).
Ties are handled conservatively: at a threshold, a benign account with the same score as an attacker
counts against the detector.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np


def auroc(scores: np.ndarray, labels: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney U with average ranks for ties)."""
    pos, neg = labels.sum(), len(labels) - labels.sum()
    if pos == 0 or neg == 0:
        return float("nan")
    order = np.argsort(scores, kind="mergesort")
    ranks = np.empty(len(scores))
    sorted_scores = scores[order]
    _, start, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = start + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[labels == 1].sum() - pos * (pos + 1) / 2) / (pos * neg))


def average_precision(scores: np.ndarray, labels: np.ndarray) -> float:
    order = np.argsort(-scores, kind="mergesort")
    y = labels[order]
    if y.sum() == 0:
        return float("nan")
    precision = np.cumsum(y) / np.arange(1, len(y) + 1)
    return float((precision * y).sum() / y.sum())


def tpr_at_fpr(scores: np.ndarray, labels: np.ndarray, fpr: float) -> tuple[float, float]:
    """(TPR, threshold) at the strictest threshold whose false-positive rate is at most ``fpr``:
    attackers must score strictly above every benign score except the allowed ``fpr`` share."""
    benign = np.sort(scores[labels == 0])[::-1]
    attack = scores[labels == 1]
    if len(benign) == 0 or len(attack) == 0:
        return float("nan"), float("nan")
    allowed = int(np.floor(fpr * len(benign)))
    threshold = benign[allowed] if allowed < len(benign) else -np.inf
    return float((attack > threshold).mean()), float(threshold)


def fpr_by_behavior(scores: Mapping[str, float], truth: Mapping[str, Mapping[str, Any]],
                    threshold: float) -> dict[str, dict[str, float]]:
    """False-positive rate at ``threshold`` for each benign behaviour."""
    flagged: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for account, t in truth.items():
        if t["label"] != "benign" or account not in scores:
            continue
        total[t["behavior"]] += 1
        flagged[t["behavior"]] += scores[account] >= threshold
    return {b: {"accounts": total[b], "flagged": flagged[b], "fpr": flagged[b] / total[b]} for b in sorted(total)}


def cluster_recovery(predicted: Iterable[Mapping[str, Any]], truth: Mapping[str, Mapping[str, Any]],
                     behaviors: tuple[str, ...] = ("hydra_cluster", "model_release_pivot"),
                     flagged_verdicts: tuple[str, ...] = ("review", "block")) -> dict[str, float]:
    """Member recall of coordinated campaigns (share of their accounts that sit in a flagged predicted
    cluster) and purity of those flagged clusters (share of members from their majority campaign)."""
    campaign_of = {a: t["campaign"] for a, t in truth.items() if t["behavior"] in behaviors}
    sizes = Counter(campaign_of.values())
    recovered = 0
    pure = total = 0
    per_campaign: dict[str, int] = defaultdict(int)
    for cluster in predicted:
        if cluster.get("verdict", "block") not in flagged_verdicts:
            continue
        members = cluster["accounts"]
        labels = Counter(campaign_of.get(m) for m in members)
        majority, count = labels.most_common(1)[0]
        pure += count if majority is not None else 0
        total += len(members)
        for m in members:
            if m in campaign_of:
                recovered += 1
                per_campaign[campaign_of[m]] += 1
    n = sum(sizes.values())
    return {
        "campaign_accounts": n,
        "member_recall": recovered / n if n else float("nan"),
        "purity": pure / total if total else float("nan"),
        "campaigns": len(sizes),
        "campaigns_found": sum(1 for c in sizes if per_campaign[c] > 0),
    }
