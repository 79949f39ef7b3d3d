"""Fit the scoring weights on simulated traffic: ``python -m distillguard.scoring.train``.

Only simulated behaviour is used, from the small corpus sample shipped with the package and training
seeds that the benchmark never reports on (the benchmark uses other seeds and the full corpora in
``../shared/data/prompts``). The fit sees accounts and, as separate examples, clusters taken as one
actor (a cluster is labelled by its members' majority), since the same model scores both.

    python -m distillguard.scoring.train --seeds 101 102 103 --out src/distillguard/scoring/weights.json
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from distillguard.engines.local import analyse
from distillguard.scoring.model import MODEL_FEATURES, ScoringModel, Term, fit
from distillguard.sim import simulate

TRAIN_SEEDS = (101, 102, 103)


def _neutral() -> ScoringModel:
    return ScoringModel(bias=0.0, terms=tuple(Term(f, t, 0.0, 1.0, 0.0) for f, t in MODEL_FEATURES),
                        trained_on={})


def training_examples(seeds: tuple[int, ...], *, accounts: int, days: float, scenario: str = "default",
                      corpora: str | None = None) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Features and labels (1 attack, 0 benign) for every account and every cluster of each simulation."""
    blocks: list[dict[str, np.ndarray]] = []
    labels: list[np.ndarray] = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            sim = simulate(tmp, accounts=accounts, days=days, seed=seed, scenario=scenario, corpora=corpora)
            truth = json.loads(sim.labels.read_text())
            analysis = analyse([sim.traffic], model=_neutral())
        y = np.array([truth[a]["label"] == "attack" for a in analysis.events.account_ids], dtype=np.float64)
        blocks.append(analysis.account_features)
        labels.append(y)
        if analysis.clusters.count:
            label = analysis.clusters.label
            member = label >= 0
            votes = np.bincount(label[member], weights=y[member], minlength=analysis.clusters.count)
            sizes = np.bincount(label[member], minlength=analysis.clusters.count)
            blocks.append(analysis.cluster_features)
            labels.append((votes / np.maximum(sizes, 1) > 0.5).astype(np.float64))
        print(f"seed {seed}: {len(y)} accounts ({int(y.sum())} attacking), {analysis.clusters.count} clusters")
    names = [name for name, _ in MODEL_FEATURES]
    return {name: np.concatenate([b[name] for b in blocks]) for name in names}, np.concatenate(labels)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(TRAIN_SEEDS), help="training seeds")
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--l2", type=float, default=1.0, help="L2 penalty on standardised weights")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("weights.json"))
    args = parser.parse_args(argv)
    features, labels = training_examples(tuple(args.seeds), accounts=args.accounts, days=args.days)
    trained_on: dict[str, Any] = {
        "seeds": args.seeds, "accounts": args.accounts, "days": args.days, "scenario": "default",
        "corpora": "shipped sample (distillguard/sim/data/prompts_sample.jsonl.gz)", "l2": args.l2,
        "examples": len(labels), "attack_examples": int(labels.sum()),
    }
    model = fit(features, labels, l2=args.l2, trained_on=trained_on)
    args.out.write_text(json.dumps(model.to_dict(), indent=1) + "\n", encoding="utf-8")
    ranked = sorted(model.terms, key=lambda t: -abs(t.weight))
    print(f"wrote {args.out}: bias {model.bias:+.2f}")
    for t in ranked:
        print(f"  {t.feature:<24} {t.weight:+.3f}")


if __name__ == "__main__":
    main()
