"""DistillBench: every detector on every benchmark scenario, scored against the simulator's ground truth.

    result = run_bench(BenchConfig(size="small", scenarios=("default", "hydra-blend-90")), out_dir)
    # out_dir/bench.json   every figure and the exact configuration
    # out_dir/roc.html     ROC curves, one chart per scenario (self-contained, works offline)
    # out_dir/logs/...     the simulated logs, reused by later runs with the same configuration

For each scenario and seed the runner simulates a labelled log, and a benign-only reference log from a
separate seed (the same reference for every scenario of that seed) for the detectors that fit a model of
normal traffic. Each detector is fitted on the reference, scores the log's accounts without seeing any
label, and is then measured: account AUROC and average precision, TPR at FPR 1% and 0.1%, campaign member
recall and cluster purity (for detectors that group accounts), the false-positive rate of each benign
behaviour at the detector's 1%-FPR operating point, and events per second.

Seeds are of two kinds and are reported apart: held-out seeds (distillguard was never fitted or tuned on
them) and tuning seeds (the seeds its weights were fitted on; figures there are optimistic).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np

from distillguard.bench.detectors import DETECTORS, Scores, make_detector
from distillguard.bench.metrics import auroc, average_precision, cluster_recovery, fpr_by_behavior, tpr_at_fpr
from distillguard.errors import ConfigError
from distillguard.scoring.train import TRAIN_SEEDS
from distillguard.sim import simulate
from distillguard.sim.scenario import BENCH_SCENARIOS, SCENARIOS


@dataclass(frozen=True)
class Size:
    accounts: int
    days: float


#: "small" runs in seconds per scenario (CI); "large" gives at least 1M events per default-scenario log.
SIZES: Final[dict[str, Size]] = {"small": Size(400, 1.0), "medium": Size(2000, 3.0), "large": Size(7500, 3.0)}
HELD_OUT_SEEDS: Final = (201, 202, 203)
#: Reference (benign-only) logs use the log's seed plus this offset, so no detector fits on the log it scores.
REFERENCE_OFFSET: Final = 5000
ROC_POINTS: Final = 200
#: Per-behaviour figures are taken where the detector flags this share of the attack accounts.
OPERATING_TPR: Final = 0.9


@dataclass(frozen=True)
class BenchConfig:
    size: str = "small"
    scenarios: tuple[str, ...] = BENCH_SCENARIOS
    detectors: tuple[str, ...] = tuple(DETECTORS)
    seeds: tuple[int, ...] = HELD_OUT_SEEDS[:1]
    tuning_seeds: tuple[int, ...] = TRAIN_SEEDS[:1]
    corpora: str | None = None
    accounts: int | None = None  # overrides the size's accounts
    days: float | None = None  # overrides the size's days
    enforcement: bool = True  # also replay each log through the gateway's decision path

    def shape(self) -> Size:
        if self.size not in SIZES:
            raise ConfigError(f"unknown size {self.size!r}; choose one of: {', '.join(SIZES)}")
        base = SIZES[self.size]
        return Size(self.accounts or base.accounts, self.days or base.days)

    def validate(self) -> None:
        self.shape()
        unknown = [s for s in self.scenarios if s not in SCENARIOS]
        if unknown:
            raise ConfigError(f"unknown scenario(s) {', '.join(unknown)}; choose from: {', '.join(SCENARIOS)}")
        unknown = [d for d in self.detectors if d not in DETECTORS]
        if unknown:
            raise ConfigError(f"unknown detector(s) {', '.join(unknown)}; choose from: {', '.join(DETECTORS)}")
        if not self.scenarios or not self.detectors or not (self.seeds or self.tuning_seeds):
            raise ConfigError("nothing to run: give at least one scenario, one detector and one seed")
        overlap = set(self.seeds) & set(self.tuning_seeds)
        if overlap:
            raise ConfigError(f"seed(s) {sorted(overlap)} given as both held-out and tuning seeds")


@dataclass
class Log:
    scenario: str
    seed: int
    traffic: Path
    labels: Path
    events: int


@dataclass
class BenchResult:
    config: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)  # one per (scenario, seed, detector)
    enforcement: list[dict[str, Any]] = field(default_factory=list)  # one per (scenario, seed) replayed
    seconds: float = 0.0


def _log_dir(root: Path, scenario: str, seed: int, size: Size, corpora: str | None) -> Path:
    source = "sample" if corpora is None else Path(corpora).name
    return root / f"{scenario}_s{seed}_{size.accounts}x{size.days:g}d_{source}"


def prepare_log(root: Path, scenario: str, seed: int, size: Size, corpora: str | None) -> Log:
    """Simulate the log, or reuse one simulated before with exactly this configuration."""
    out = _log_dir(root, scenario, seed, size, corpora)
    meta = out / "scenario.json"
    if meta.is_file() and (out / "traffic.jsonl.gz").is_file() and (out / "labels.json").is_file():
        known = json.loads(meta.read_text())
        same = (known.get("scenario"), known.get("seed"), known.get("accounts"), known.get("days")) == (
            scenario, seed, size.accounts, size.days)
        if same and "events" in known:
            return Log(scenario, seed, out / "traffic.jsonl.gz", out / "labels.json", int(known["events"]))
    result = simulate(out, accounts=size.accounts, days=size.days, seed=seed, corpora=corpora, scenario=scenario)
    return Log(scenario, seed, result.traffic, result.labels, result.events)


def roc_curve(scores: np.ndarray, labels: np.ndarray, points: int = ROC_POINTS) -> list[list[float]]:
    """[[fpr, tpr], ...] from (0, 0) to (1, 1), thinned to about ``points`` points (the low-FPR end kept whole)."""
    order = np.argsort(-scores, kind="mergesort")
    s, y = scores[order], labels[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last row of each run of equal scores
    tp = np.cumsum(y)[last]
    fp = np.cumsum(1 - y)[last]
    pos, neg = max(int(y.sum()), 1), max(int(len(y) - y.sum()), 1)
    fpr = np.r_[0.0, fp / neg]
    tpr = np.r_[0.0, tp / pos]
    if len(fpr) > points:
        low = np.flatnonzero(fpr <= 0.01)
        rest = np.unique(np.linspace(low[-1] + 1 if len(low) else 0, len(fpr) - 1, points).astype(int))
        keep = np.unique(np.r_[low, rest])
        fpr, tpr = fpr[keep], tpr[keep]
    return [[round(float(f), 6), round(float(t), 6)] for f, t in zip(fpr, tpr, strict=True)]


def operating_threshold(scores: np.ndarray, labels: np.ndarray, tpr: float) -> float:
    """The highest score threshold (flag when score >= threshold) that flags at least ``tpr`` of the attackers."""
    attack = np.sort(scores[labels == 1])[::-1]
    if len(attack) == 0:
        return float("inf")
    return float(attack[max(int(np.ceil(tpr * len(attack))) - 1, 0)])


def evaluate(scores: Scores, truth: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Every metric of one detector on one log. Accounts the detector did not score count as scoring lowest."""
    ids = sorted(truth)
    floor = min(scores.accounts.values(), default=0.0) - 1.0
    s = np.array([scores.accounts.get(a, floor) for a in ids], dtype=np.float64)
    y = np.array([truth[a]["label"] == "attack" for a in ids], dtype=np.int64)
    tpr1, _ = tpr_at_fpr(s, y, 0.01)
    tpr01, _ = tpr_at_fpr(s, y, 0.001)
    # The operating point for per-behaviour figures: the strictest threshold that still flags 90% of the
    # attack accounts. "To catch 90% of them, whom else do you flag?" is the question a provider asks, and
    # unlike a fixed FPR it does not oblige a perfect detector to flag someone.
    threshold = operating_threshold(s, y, OPERATING_TPR)
    flagged = {a: 1.0 if v >= threshold else 0.0 for a, v in zip(ids, s.tolist(), strict=True)}
    benign = y == 0
    attack_recall: dict[str, dict[str, float]] = {}
    for behaviour in sorted({t["behavior"] for t in truth.values() if t["label"] == "attack"}):
        members = [a for a, t in truth.items() if t["behavior"] == behaviour and t["label"] == "attack"]
        attack_recall[behaviour] = {"accounts": len(members),
                                    "recall": sum(flagged[a] for a in members) / len(members)}
    row: dict[str, Any] = {
        "accounts": len(ids),
        "attack_accounts": int(y.sum()),
        "scored_accounts": len(scores.accounts),
        "auroc": auroc(s, y),
        "average_precision": average_precision(s, y),
        "tpr_at_fpr_1pct": tpr1,
        "tpr_at_fpr_0.1pct": tpr01,
        "fpr_at_tpr_90pct": float((s[benign] >= threshold).mean()) if benign.any() else float("nan"),
        "recall_by_attack_at_tpr_90pct": attack_recall,
        "fpr_by_benign_at_tpr_90pct": fpr_by_behavior(flagged, truth, 0.5),
        "roc": roc_curve(s, y),
    }
    if scores.clusters is not None:
        predicted = [{"accounts": members, "verdict": "block"} for members in scores.clusters]
        row["clusters"] = cluster_recovery(predicted, truth)
    return row


def run_bench(config: BenchConfig, out_dir: str | Path, *,
              on_step: Callable[[str], None] | None = None) -> BenchResult:
    """Run the benchmark, write ``bench.json`` and ``roc.html`` into ``out_dir``, and return the result."""
    config.validate()
    began = time.perf_counter()
    out = Path(out_dir)
    logs_root = out / "logs"
    size = config.shape()
    say = on_step or (lambda _msg: None)
    result = BenchResult(config={**asdict(config), "accounts": size.accounts, "days": size.days,
                                 "reference_offset": REFERENCE_OFFSET,
                                 "detector_descriptions": {d: make_detector(d).description
                                                           for d in config.detectors}})
    seeds = [(s, "held-out") for s in config.seeds] + [(s, "tuning") for s in config.tuning_seeds]
    for seed, kind in seeds:
        say(f"seed {seed} ({kind}): reference log (benign-only, seed {seed + REFERENCE_OFFSET})")
        reference = prepare_log(logs_root, "benign-only", seed + REFERENCE_OFFSET, size, config.corpora)
        detectors = {}
        for name in config.detectors:
            detector = make_detector(name)
            detector.fit([reference.traffic])
            detectors[name] = detector
        for scenario in config.scenarios:
            say(f"seed {seed} ({kind}): {scenario}: simulating")
            log = prepare_log(logs_root, scenario, seed, size, config.corpora)
            truth = json.loads(log.labels.read_text())
            for name, detector in detectors.items():
                say(f"seed {seed} ({kind}): {scenario}: {name}")
                start = time.perf_counter()
                scores = detector.score([log.traffic])
                seconds = time.perf_counter() - start
                row = {"scenario": scenario, "seed": seed, "seed_kind": kind, "detector": name,
                       "events": log.events, "seconds": round(seconds, 3),
                       "events_per_second": log.events / seconds if seconds > 0 else float("nan")}
                row.update(evaluate(scores, truth))
                result.rows.append(row)
            if config.enforcement:
                say(f"seed {seed} ({kind}): {scenario}: replay through the gateway's decision path")
                result.enforcement.append(_enforce(log, truth, out / "replay" / log.traffic.parent.name, kind))
    result.seconds = time.perf_counter() - began
    write_results(result, out)
    return result


def _mean(values: Sequence[float]) -> float:
    """Mean over the defined values (NaN when none is: e.g. cluster recall where no campaign ran)."""
    defined = [v for v in values if v == v]
    return float(np.mean(defined)) if defined else float("nan")


def _enforce(log: Log, truth: dict[str, dict[str, Any]], out: Path, kind: str) -> dict[str, Any]:
    """Replay the log as live (default policy) and measure what attackers got and what benign users lost."""
    from distillguard.enforce.replay import DECISIONS_FILE, enforcement_outcomes, replay

    start = time.perf_counter()
    summary = replay([log.traffic], out)
    outcomes = enforcement_outcomes(out / DECISIONS_FILE, truth)
    return {"scenario": log.scenario, "seed": log.seed, "seed_kind": kind, "events": log.events,
            "seconds": round(time.perf_counter() - start, 2), "actions": summary.actions, **outcomes}


def summarise(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Mean of each headline metric per (seed kind, scenario, detector), over seeds."""
    groups: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault((r["seed_kind"], r["scenario"], r["detector"]), []).append(r)
    out = []
    for (kind, scenario, detector), rs in groups.items():
        entry: dict[str, Any] = {"seed_kind": kind, "scenario": scenario, "detector": detector, "seeds": len(rs)}
        for key in ("auroc", "average_precision", "tpr_at_fpr_1pct", "tpr_at_fpr_0.1pct", "fpr_at_tpr_90pct",
                    "events_per_second"):
            entry[key] = _mean([r[key] for r in rs])
        clusters = [r["clusters"] for r in rs if "clusters" in r]
        if clusters:
            entry["member_recall"] = _mean([c["member_recall"] for c in clusters])
            entry["purity"] = _mean([c["purity"] for c in clusters])
        benign: dict[str, list[float]] = {}
        for r in rs:
            for behaviour, v in r["fpr_by_benign_at_tpr_90pct"].items():
                benign.setdefault(behaviour, []).append(v["fpr"])
        entry["worst_benign"] = max(((b, float(np.mean(v))) for b, v in benign.items()), key=lambda bv: bv[1],
                                    default=("", 0.0))
        out.append(entry)
    return out


def _jsonable(value: Any) -> Any:
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def write_results(result: BenchResult, out: Path) -> None:
    from distillguard.bench.roc_html import render_roc_html

    out.mkdir(parents=True, exist_ok=True)
    payload = {"config": result.config, "seconds": round(result.seconds, 1), "summary": summarise(result.rows),
               "runs": result.rows, "enforcement": result.enforcement}
    (out / "bench.json").write_text(json.dumps(_jsonable(payload), indent=1) + "\n")
    (out / "roc.html").write_text(render_roc_html(result.rows, result.config), encoding="utf-8")


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """The terminal table: one line per (seed kind, scenario, detector), best AUROC per scenario marked."""
    summary = summarise(rows)
    best: dict[tuple[str, str], float] = {}
    for e in summary:
        key = (e["seed_kind"], e["scenario"])
        best[key] = max(best.get(key, -1.0), e["tpr_at_fpr_0.1pct"] if e["tpr_at_fpr_0.1pct"] == e[
            "tpr_at_fpr_0.1pct"] else -1.0)
    lines = [f"{'seeds':<9} {'scenario':<24} {'detector':<12} {'AUROC':>6} {'AP':>6} {'TPR@1%':>7} {'TPR@.1%':>7} "
             f"{'FPR@90':>6} {'recall':>6} {'purity':>6} {'ev/s':>9}  worst benign behaviour (its FPR at TPR 90%)"]
    for e in sorted(summary, key=lambda e: (e["seed_kind"] != "held-out", e["scenario"], e["detector"])):
        top = e["tpr_at_fpr_0.1pct"] == best[(e["seed_kind"], e["scenario"])]
        rec = f"{e['member_recall']:.3f}" if "member_recall" in e and e["member_recall"] == e["member_recall"] else "-"
        pur = f"{e['purity']:.3f}" if "purity" in e and e["purity"] == e["purity"] else "-"
        behaviour, fpr = e["worst_benign"]
        lines.append(
            f"{e['seed_kind']:<9} {e['scenario']:<24} {e['detector'] + (' *' if top else ''):<12} "
            f"{e['auroc']:>6.3f} {e['average_precision']:>6.3f} {e['tpr_at_fpr_1pct']:>7.3f} "
            f"{e['tpr_at_fpr_0.1pct']:>7.3f} {e['fpr_at_tpr_90pct']:>6.3f} {rec:>6} {pur:>6} "
            f"{e['events_per_second']:>9,.0f}  "
            f"{behaviour} {fpr:.3f}")
    lines.append("* best TPR at FPR 0.1% for that scenario and seed kind (ties all marked)")
    return "\n".join(lines)


def format_enforcement(rows: Sequence[dict[str, Any]]) -> str:
    """The replay table: what each attack got served before its first block, what benign traffic lost."""
    lines = [f"{'seeds':<9} {'scenario':<24} {'served before block: hydra':>27} {'worst attack':>28} "
             f"{'benign stopped':>14} {'benign blocked':>14}"]
    for r in sorted(rows, key=lambda r: (r["seed_kind"] != "held-out", r["scenario"], r["seed"])):
        attack = r["attack"]
        hydra = attack.get("hydra_cluster", {}).get("served_before_block")
        worst = max(attack.items(), key=lambda kv: kv[1]["served_before_block"], default=None)
        worst_text = f"{worst[0]} {worst[1]['served_before_block']:.3f}" if worst else "-"
        benign = r["benign"]
        total = sum(v["requests"] for v in benign.values())
        stopped = sum(v["throttled_or_blocked"] * v["requests"] for v in benign.values()) / total if total else 0.0
        lines.append(f"{r['seed_kind']:<9} {r['scenario']:<24} {('-' if hydra is None else f'{hydra:.3f}'):>27} "
                     f"{worst_text:>28} {stopped:>14.4f} {r['benign_blocked_share']:>14.5f}")
    lines.append("served before block: share of the attack's requests answered (allowed or degraded) before its "
                 "account was first blocked; benign stopped: share of benign requests throttled or blocked")
    return "\n".join(lines)
