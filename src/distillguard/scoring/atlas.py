"""MITRE ATLAS techniques distillguard maps its findings to (https://atlas.mitre.org)."""

from __future__ import annotations

from typing import Final

#: technique id -> (name, when distillguard cites it)
TECHNIQUES: Final[dict[str, tuple[str, str]]] = {
    "AML.T0040": (
        "AI Model Inference API Access",
        "the account used the inference API for the behaviour in the evidence (every finding)",
    ),
    "AML.T0024.002": (
        "Exfiltration via AI Inference API: Extract AI Model",
        "outputs were harvested at a scale or shape that serves copying the model: corpus coverage, "
        "reasoning-trace coercion, grading, output-maximising settings",
    ),
    "AML.T0005.001": (
        "Create Proxy AI Model: Train Proxy via Replication",
        "the harvest is of training-data shape: full reasoning traces, reward-model judgements, "
        "distillation prompt sets, agentic trajectories",
    ),
    "AML.T0008.005": (
        "Acquire Infrastructure: AI Service Proxies",
        "access came through shared proxy or reseller infrastructure (proxy IP pools shared across accounts)",
    ),
    "AML.T0021": (
        "Establish Accounts",
        "a cluster of accounts created together, sharing payment methods or load-balanced as one",
    ),
    "AML.T0048.004": (
        "External Harms: AI Intellectual Property Theft",
        "a confident (block) finding of model extraction: the model's capability is being copied",
    ),
}


def technique_name(technique_id: str) -> str:
    return TECHNIQUES[technique_id][0]


def technique_url(technique_id: str) -> str:
    return f"https://atlas.mitre.org/techniques/{technique_id}"
