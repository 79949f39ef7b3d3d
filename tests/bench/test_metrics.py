"""Detection metrics against hand-computed values."""

import math

import numpy as np

from distillguard.bench.metrics import auroc, average_precision, cluster_recovery, fpr_by_behavior, tpr_at_fpr


def test_auroc_perfect_random_and_ties() -> None:
    y = np.array([0, 0, 1, 1])
    assert auroc(np.array([0.1, 0.2, 0.8, 0.9]), y) == 1.0
    assert auroc(np.array([0.9, 0.8, 0.2, 0.1]), y) == 0.0
    assert auroc(np.array([0.5, 0.5, 0.5, 0.5]), y) == 0.5
    assert math.isnan(auroc(np.array([0.1, 0.2]), np.array([0, 0])))


def test_average_precision_by_hand() -> None:
    # ranked: attack, benign, attack -> precisions 1, 2/3 at the hits
    assert abs(average_precision(np.array([0.9, 0.8, 0.7]), np.array([1, 0, 1])) - (1 + 2 / 3) / 2) < 1e-12


def test_tpr_at_fpr_counts_ties_against_the_detector() -> None:
    benign = np.linspace(0, 0.5, 1000)
    scores = np.concatenate([benign, [0.5, 0.6, 0.7, 0.2]])
    labels = np.concatenate([np.zeros(1000), np.ones(4)]).astype(int)
    tpr, threshold = tpr_at_fpr(scores, labels, 0.001)  # one benign may score above
    assert threshold == benign[-2]
    assert tpr == 0.75  # 0.5 ties with the top benign but beats the threshold; 0.2 does not
    tpr0, _ = tpr_at_fpr(scores, labels, 0.0)
    assert tpr0 == 0.5


def test_fpr_by_behavior_and_cluster_recovery() -> None:
    truth = {
        "a": {"label": "attack", "campaign": "hydra-1", "behavior": "hydra_cluster"},
        "b": {"label": "attack", "campaign": "hydra-1", "behavior": "hydra_cluster"},
        "c": {"label": "attack", "campaign": "hydra-1", "behavior": "hydra_cluster"},
        "x": {"label": "benign", "campaign": None, "behavior": "rag_app"},
        "y": {"label": "benign", "campaign": None, "behavior": "rag_app"},
    }
    fpr = fpr_by_behavior({"x": 0.95, "y": 0.1, "a": 1.0}, truth, 0.9)
    assert fpr == {"rag_app": {"accounts": 2, "flagged": 1, "fpr": 0.5}}
    rec = cluster_recovery([{"accounts": ["a", "b", "x"], "verdict": "block"},
                            {"accounts": ["c", "y"], "verdict": "allow"}], truth)
    assert rec["member_recall"] == 2 / 3 and rec["purity"] == 2 / 3 and rec["campaigns_found"] == 1
