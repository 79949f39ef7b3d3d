"""``distillguard replay``: drive the gateway's decision path over a recorded log, in time order, as if live.

Writes ``decisions.jsonl`` (CONTRACTS.md §4): one line per request, in time order. A request's decision
depends only on requests with an earlier timestamp: the window is re-scored as request time passes
(every ``policy.window.refresh_seconds``), from requests strictly before that moment.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
import pyarrow as pa

from distillguard.enforce.decider import Decider
from distillguard.enforce.policy import Policy
from distillguard.errors import LogReadError
from distillguard.events import ReadReport, read_events
from distillguard.scoring.model import ScoringModel
from distillguard.signals.request import request_signals

DECISIONS_FILE = "decisions.jsonl"
SIGNAL_ROWS = 16_384


@dataclass
class ReplaySummary:
    requests: int = 0
    actions: dict[str, int] = field(default_factory=dict)
    accounts: int = 0
    refreshes: int = 0
    refresh_seconds: float = 0.0
    seconds: float = 0.0
    bad_lines: int = 0
    unreadable_files: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def _sorted_table(paths: list[Path], report: ReadReport, progress: Callable[[int], None] | None) -> pa.Table:
    batches = list(read_events(paths, report=report, progress=progress))
    unreadable = report.unreadable
    if unreadable and len(unreadable) == len(report.files):
        raise LogReadError(unreadable[0].path, unreadable[0].error or "no line is a valid log event")
    if not batches:
        raise LogReadError(paths[0], "no line is a valid log event")
    table = pa.Table.from_batches(batches)
    ts = table.column("timestamp").cast(pa.int64()).to_numpy()
    if len(ts) > 1 and (np.diff(ts) < 0).any():  # stable: equal timestamps keep log order
        table = table.take(pa.array(np.argsort(ts, kind="stable")))
    return table.combine_chunks()


def replay(paths: Iterable[str | Path], out_dir: str | Path, *, policy: Policy | None = None,
           model: ScoringModel | None = None, progress: Callable[[int], None] | None = None,
           peer_matches: dict[str, list[Any]] | None = None) -> ReplaySummary:
    """Replay ``paths`` through a fresh Decider; write ``out_dir/decisions.jsonl``; return the counts.

    ``peer_matches`` (account -> matches on peers' indicators) must come from account attributes known at
    an account's first request (payment fingerprints, API keys: ``match_accounts(..., templates=False)``),
    so that using them from the start peeks at nothing."""
    began = time.perf_counter()
    paths = [Path(p) for p in paths]
    report = ReadReport()
    table = _sorted_table(paths, report, progress)
    policy = policy or Policy()
    decider = Decider(policy, model=model, clock=lambda: 0.0, peer_matches=peer_matches)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    # Signals are a pure function of each request: computed up front in big batches (the text classifiers
    # cost ~10 ms per call whatever its size), used only once the decider folds them.
    signals = pa.Table.from_batches([request_signals(b) for b in table.to_batches(max_chunksize=SIGNAL_ROWS)])
    ts = table.column("timestamp").cast(pa.int64()).to_numpy()
    accounts = table.column("account_id").to_pylist()
    keys = table.column("api_key_id").to_pylist()
    request_ids = table.column("request_id").to_pylist()
    step = int(policy.window.refresh_seconds * 1000)
    next_refresh = int(ts[0]) if len(ts) else 0
    recorded = 0  # rows [0, recorded) are queued in the decider
    actions: Counter[str] = Counter()
    encode = msgspec.json.Encoder().encode
    with (out / DECISIONS_FILE).open("wb") as f:
        lines: list[bytes] = []
        for i in range(len(ts)):
            now = int(ts[i])
            if now >= next_refresh:
                # Everything decided so far is now history; the decider folds what is strictly earlier.
                if i > recorded:
                    decider.record_batch(_slice(table, recorded, i), _slice(signals, recorded, i))
                    recorded = i
                decider.refresh(now)
                next_refresh = now + step
            decision = decider.decide(accounts[i], api_key_id=keys[i], now_ms=now)
            actions[decision.action] += 1
            lines.append(encode(decision.record(request_ids[i], accounts[i])))
            if len(lines) >= 4096:
                f.write(b"\n".join(lines) + b"\n")
                lines.clear()
        if lines:
            f.write(b"\n".join(lines) + b"\n")
    summary = ReplaySummary(
        requests=len(ts), actions={a: actions.get(a, 0) for a in ("allow", "throttle", "degrade", "block")},
        accounts=len(set(accounts)), refreshes=decider.stats.refreshes,
        refresh_seconds=round(decider.stats.seconds, 2), seconds=round(time.perf_counter() - began, 2),
        bad_lines=report.bad, unreadable_files=[str(r.path) for r in report.unreadable])
    (out / "replay_summary.json").write_text(json.dumps(summary.as_dict(), indent=1) + "\n")
    return summary


def _slice(table: pa.Table, start: int, stop: int) -> pa.RecordBatch:
    return table.slice(start, stop - start).combine_chunks().to_batches()[0]


def enforcement_outcomes(decisions: Path, truth: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """From decisions.jsonl and ground truth: per attack behaviour, the share of its requests served
    (allowed or degraded) before the account's first block; per benign behaviour, the share of requests
    throttled or blocked and the share blocked."""
    served_before: Counter[str] = Counter()
    total: Counter[str] = Counter()
    blocked_seen: set[str] = set()
    stopped: Counter[str] = Counter()
    blocked: Counter[str] = Counter()
    decode = msgspec.json.Decoder().decode
    with decisions.open("rb") as f:
        for line in f:
            d = decode(line)
            account = d["account_id"]
            t = truth.get(account)
            if t is None:
                continue
            behaviour = t["behavior"]
            total[behaviour] += 1
            action = d["action"]
            if t["label"] == "attack":
                if action == "block":
                    blocked_seen.add(account)
                elif account not in blocked_seen and action in ("allow", "degrade"):
                    served_before[behaviour] += 1
            else:
                stopped[behaviour] += action in ("throttle", "block")
                blocked[behaviour] += action == "block"
    attack = {b: {"requests": total[b], "served_before_block": served_before[b] / total[b]}
              for b in sorted(total) if any(t["behavior"] == b and t["label"] == "attack" for t in truth.values())}
    benign = {b: {"requests": total[b], "throttled_or_blocked": stopped[b] / total[b],
                  "blocked": blocked[b] / total[b]}
              for b in sorted(total) if b not in attack}
    benign_total = sum(v["requests"] for v in benign.values())
    return {"attack": attack, "benign": benign,
            "benign_blocked_share": sum(blocked[b] for b in benign) / benign_total if benign_total else float("nan")}


__all__ = ["DECISIONS_FILE", "ReplaySummary", "enforcement_outcomes", "replay"]
