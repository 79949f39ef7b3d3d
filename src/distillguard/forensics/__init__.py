"""Prove: watermarks, per-account keys and canaries, radioactivity tests, and identity and similarity probes.

Turns "we suspect this model was distilled from our outputs" into evidence that names the account
whose harvest it learned from. numpy and scipy only; transformers adapters live in
``distillguard.forensics.hf`` and are imported on use. See docs/forensics.md.
"""

from distillguard.forensics.canaries import Canary, CanaryResult, canaries_for, containment_pvalue, exposure, fisher
from distillguard.forensics.keys import TIERS, AccountKey, MasterKey, TierPolicy, tier_policy
from distillguard.forensics.probes import Supporting, identity_probes, response_similarity
from distillguard.forensics.radioactivity import (
    Evidence,
    Keyring,
    Served,
    closed_test,
    collect_generations,
    holm,
    open_test,
    read_predictions,
)
from distillguard.forensics.watermark import KGW, Detection, Gumbel, Watermark, WatermarkSpec

__all__ = [
    "KGW",
    "TIERS",
    "AccountKey",
    "Canary",
    "CanaryResult",
    "Detection",
    "Evidence",
    "Gumbel",
    "Keyring",
    "MasterKey",
    "Served",
    "Supporting",
    "TierPolicy",
    "Watermark",
    "WatermarkSpec",
    "canaries_for",
    "closed_test",
    "collect_generations",
    "containment_pvalue",
    "exposure",
    "fisher",
    "holm",
    "identity_probes",
    "open_test",
    "read_predictions",
    "response_similarity",
    "tier_policy",
]
