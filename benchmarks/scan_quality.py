"""Detection quality and throughput of ``distillguard scan`` on simulated traffic it was not tuned on.

    .venv/bin/python benchmarks/scan_quality.py --accounts 2000 --days 3 --seeds 201 202 203 \\
        --corpora ../shared/data/prompts --json bench-out/scan_quality.json

The scoring weights were fitted on seeds 101-103 with the corpus sample shipped in the package
(``python -m distillguard.scoring.train``); this benchmark reports on other seeds and, with
``--corpora``, on the full shared corpora the weights never saw. For each seed it simulates, scans
(reading, signals, linking, scoring, writing every output, timed end to end), and prints: account AUROC
and average precision, TPR at FPR 1% and 0.1%, hydra / pivot member recall and cluster purity, recall
per attack behaviour and false-positive rate per benign behaviour at the block threshold, events/s,
and a bare JSON decode of the same file for scale.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from distillguard.bench.metrics import auroc, average_precision, cluster_recovery, fpr_by_behavior, tpr_at_fpr
from distillguard.engines.local import Thresholds, scan
from distillguard.sim import simulate

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data" / "prompts"


def bare_decode_seconds(path: Path) -> float:
    import orjson

    try:
        from isal.igzip import GzipFile
    except ImportError:
        GzipFile = gzip.GzipFile
    start = time.perf_counter()
    with path.open("rb") as raw:
        f = io.BufferedReader(GzipFile(fileobj=raw, mode="rb"), buffer_size=1 << 20)
        for line in f:
            orjson.loads(line)
    return time.perf_counter() - start


def run_seed(seed: int, args: argparse.Namespace, thresholds: Thresholds) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        sim = simulate(Path(tmp) / "sim", accounts=args.accounts, days=args.days, seed=seed,
                       corpora=args.corpora, scenario=args.scenario)
        truth = json.loads(sim.labels.read_text())
        start = time.perf_counter()
        summary = scan([sim.traffic], Path(tmp) / "scan", thresholds=thresholds, separate_reader=None)
        seconds = time.perf_counter() - start
        bare = bare_decode_seconds(sim.traffic) if args.bare else float("nan")
        accounts = [json.loads(line) for line in (Path(tmp) / "scan" / "accounts.jsonl").open()]
        clusters = [json.loads(line) for line in (Path(tmp) / "scan" / "clusters.jsonl").open()]
    scores = {a["account_id"]: a["score"] for a in accounts}
    ids = sorted(truth)
    y = np.array([truth[a]["label"] == "attack" for a in ids], dtype=np.int64)
    s = np.array([scores.get(a, 0.0) for a in ids])
    own = {a["account_id"]: a["own_score"] for a in accounts}
    s_own = np.array([own.get(a, 0.0) for a in ids])
    tpr1, _ = tpr_at_fpr(s, y, 0.01)
    tpr01, thr01 = tpr_at_fpr(s, y, 0.001)
    recall_by: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in ids:
        t = truth[a]
        if t["label"] == "attack":
            recall_by[t["behavior"]][0] += scores.get(a, 0.0) >= thresholds.block
            recall_by[t["behavior"]][1] += 1
    return {
        "seed": seed,
        "events": summary["events"],
        "accounts": len(ids),
        "attack_accounts": int(y.sum()),
        "auroc": auroc(s, y),
        "average_precision": average_precision(s, y),
        "tpr_at_fpr_1pct": tpr1,
        "tpr_at_fpr_0.1pct": tpr01,
        "threshold_at_fpr_0.1pct": thr01,
        "auroc_own_behaviour_only": auroc(s_own, y),
        "clusters": cluster_recovery(clusters, truth),
        "block_recall_by_attack": {b: {"recall": k / n, "accounts": n} for b, (k, n) in sorted(recall_by.items())},
        "block_fpr_by_benign": fpr_by_behavior(scores, truth, thresholds.block),
        "review_fpr_by_benign": fpr_by_behavior(scores, truth, thresholds.review),
        "scan_seconds": seconds,
        "events_per_second": summary["events"] / seconds,
        "bare_decode_seconds": bare,
        "ratio_to_bare_decode": seconds / bare if bare == bare else float("nan"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=2000)
    parser.add_argument("--days", type=float, default=3.0)
    parser.add_argument("--seeds", type=int, nargs="+", default=[201, 202, 203])
    parser.add_argument("--scenario", default="default")
    parser.add_argument("--corpora", type=Path, default=SHARED if SHARED.is_dir() else None)
    parser.add_argument("--no-bare", dest="bare", action="store_false", help="skip the bare decode timing")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args()
    thresholds = Thresholds()
    results = [run_seed(seed, args, thresholds) for seed in args.seeds]
    print(f"corpora: {args.corpora or 'shipped sample'}; scenario {args.scenario}; "
          f"{args.accounts} accounts x {args.days:g} days; thresholds review {thresholds.review}, "
          f"block {thresholds.block}")
    header = (f"{'seed':>5} {'events':>9} {'AUROC':>7} {'AP':>6} {'TPR@1%':>7} {'TPR@0.1%':>8} "
              f"{'hydra rec':>9} {'purity':>7} {'ev/s':>8} {'x bare':>7}")
    print(header)
    for r in results:
        c = r["clusters"]
        print(f"{r['seed']:>5} {r['events']:>9,} {r['auroc']:>7.4f} {r['average_precision']:>6.3f} "
              f"{r['tpr_at_fpr_1pct']:>7.3f} {r['tpr_at_fpr_0.1pct']:>8.3f} {c['member_recall']:>9.3f} "
              f"{c['purity']:>7.3f} {r['events_per_second']:>8,.0f} {r['ratio_to_bare_decode']:>7.2f}")
    print("recall at the block threshold, by attack behaviour (all seeds):")
    agg: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for r in results:
        for b, v in r["block_recall_by_attack"].items():
            agg[b][0] += v["recall"] * v["accounts"]
            agg[b][1] += v["accounts"]
    for b, (k, n) in sorted(agg.items()):
        print(f"  {b:<24} {k / n:6.3f}  ({int(n)} accounts)")
    print("false-positive rate at the block (review) threshold, by benign behaviour (all seeds):")
    fb: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for r in results:
        for b, v in r["block_fpr_by_benign"].items():
            fb[b][0] += v["flagged"]
            fb[b][2] += v["accounts"]
        for b, v in r["review_fpr_by_benign"].items():
            fb[b][1] += v["flagged"]
    for b, (blk, rev, n) in sorted(fb.items()):
        print(f"  {b:<24} {blk / n:7.4f} ({rev / n:.4f})  ({n} accounts)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()}, "results": results},
                                        indent=1))


if __name__ == "__main__":
    from distillguard.events.parallel import prefer_system_allocator

    prefer_system_allocator()  # as the distillguard command does
    main()
