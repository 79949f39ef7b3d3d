"""The embedded scan engine: stream logs through the signals on one machine, then score and link.

    result = scan(["traffic.jsonl.gz"], "out/")
    # out/accounts.jsonl, out/clusters.jsonl, out/report.html, out/summary.json

Data flows one way: events (reader) -> signals (per batch) -> accounts (compact columns, sketches) ->
linking (account graph, clusters) -> scoring (model, evidence, ATLAS) -> outputs.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import time
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa

from distillguard.accounts.features import Release, find_release, group_features, start_on
from distillguard.accounts.store import Events, EventStore
from distillguard.errors import ConfigError, LogReadError
from distillguard.events import ReadReport, read_events
from distillguard.events.parallel import read_events_shared
from distillguard.events.reader import NATIVE_DECODE, regroup
from distillguard.linking.graph import KEYED_LINKS, Clusters, cluster_accounts, combine_links, keyed_links, paced_links
from distillguard.scoring.atlas import TECHNIQUES
from distillguard.scoring.model import ScoringModel, evidence
from distillguard.signals.fingerprint import HyperLogLog
from distillguard.signals.request import request_signals


@dataclass(frozen=True)
class Thresholds:
    """Score cut-offs for verdicts: ``review`` <= score < ``block`` is review; >= ``block`` is block."""

    review: float = 0.5
    block: float = 0.9

    def __post_init__(self) -> None:
        if not 0.0 <= self.review <= self.block <= 1.0:
            raise ConfigError(f"thresholds must satisfy 0 <= review <= block <= 1, got {self.review}, {self.block}")

    def verdict(self, score: float) -> str:
        return "block" if score >= self.block else "review" if score >= self.review else "allow"


@dataclass
class Analysis:
    """Everything the scan computed, before it is written out (also what the benchmark consumes)."""

    events: Events
    report: ReadReport
    account_features: dict[str, np.ndarray]
    account_scores: np.ndarray  # own behaviour
    account_contrib: np.ndarray
    clusters: Clusters
    cluster_features: dict[str, np.ndarray]
    cluster_scores: np.ndarray
    cluster_contrib: np.ndarray
    final_scores: np.ndarray  # own behaviour or the cluster's, whichever is higher
    release: Release | None
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)


#: Rows per signals call. The text classifiers compile their patterns (and build their DFAs) once per
#: call, about 55 ms, so bigger calls are cheaper per row: 64k-row calls take 7% less CPU than 32k-row ones
#: on a real-prompt log. A 10M-event scan peaks at 3.3 GB with them (docs/BENCHMARKS.md).
SIGNAL_ROWS = 65_536

#: Above this many events the features, links and scores after reading run on one thread (bounded memory).
PARALLEL_TAIL_MAX_EVENTS = 4_000_000


def analyse(
    paths: Iterable[str | Path],
    *,
    model: ScoringModel | None = None,
    progress: Callable[[int], None] | None = None,
    link_threshold: float = 0.9,
    workers: int = 2,
    separate_reader: bool | None = False,
) -> Analysis:
    """Read, compute signals, features, links, clusters and scores. No output is written.

    ``workers`` threads compute the per-request signals beside the decoding. ``separate_reader=True``
    decodes in a spawned child process instead of this one (``None``: when the pure-Python decoder is in
    use and the logs total 64 MB or more; the native decoder releases the GIL, so a thread of this
    process decodes as fast without a second process). A spawned child re-imports the caller's
    ``__main__``, so only pass it from a program whose main module is guarded by
    ``if __name__ == "__main__"`` (the ``distillguard`` command is).
    """
    began = time.perf_counter()
    model = model or ScoringModel.load()
    paths = [Path(p) for p in paths]
    report = ReadReport()
    store = EventStore()
    if separate_reader is None:  # a process costs about half a second to start: worth it on big inputs
        separate_reader = (not NATIVE_DECODE
                           and sum(p.stat().st_size for p in paths if p.is_file()) >= 64 << 20)
    # Signals for the batches already read run on worker threads while the next batch is decoded:
    # Arrow's compute kernels and numpy release the GIL, so both cores share the work. Results are
    # folded in reading order.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="signals") as pool:
        if separate_reader:
            # The child decodes and, whenever both workers are busy, computes the signals of the batch it
            # just decoded itself: the two cores share whichever work is waiting.
            batches = read_events_shared(paths, request_signals, pool, workers, report=report,
                                         batch_rows=SIGNAL_ROWS, progress=progress)
        else:
            batches = ((b, pool.submit(request_signals, b))
                       for b in regroup(read_events(paths, report=report, progress=progress), SIGNAL_ROWS))
        pending: deque[tuple[Future[pa.RecordBatch], pa.RecordBatch]] = deque()
        for batch, result in batches:
            pending.append((result, batch))
            while len(pending) > workers:
                future, done = pending.popleft()
                store.add(future.result(), done)
        while pending:
            future, done = pending.popleft()
            store.add(future.result(), done)
    unreadable = report.unreadable
    if unreadable and len(unreadable) == len(report.files):
        first = unreadable[0]
        raise LogReadError(first.path, first.error or "no line is a valid log event")
    _return_free_memory()
    # The tail's second thread computes link types beside the account features, so both sets of arrays are
    # live at once: on 10M events the peak is 3.9 GB with it and 3.4 GB without (docs/BENCHMARKS.md).
    tail_workers = workers if report.good < PARALLEL_TAIL_MAX_EVENTS else 0
    return analyse_store(store, report=report, model=model, link_threshold=link_threshold, began=began,
                         workers=tail_workers)


def _return_free_memory() -> None:
    """Hand the heap pages freed by the streaming back to the system before the tail's big arrays.

    glibc keeps them (batches come and go on four threads, each with its own arena): on 2.3M events the
    process holds about 350 MB it no longer uses, and the tail's peak would come on top (docs/BENCHMARKS.md).
    A no-op where the C library has no ``malloc_trim``.
    """
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def analyse_store(store: EventStore, *, report: ReadReport, model: ScoringModel, link_threshold: float = 0.9,
                  began: float | None = None, workers: int = 2) -> Analysis:
    """Features, links, clusters and scores for the requests folded into ``store``: everything ``analyse``
    does after reading. The gateway and ``replay`` call it on a sliding window of recent requests.

    ``workers`` threads share the work with the calling thread: the link types that need no account
    features run beside the account features, and each ``group_features`` call spreads its sorts over them
    (numpy releases the GIL in sorts and element-wise loops). ``workers=0`` does everything on the calling
    thread (the gateway's background re-scoring, which must leave the other core to serving)."""
    began = time.perf_counter() if began is None else began
    events = store.finish()
    n = len(events.account_ids)
    created = np.full(n, np.nan)
    attrs = store.attributes
    if attrs.created_ms:
        idx = np.fromiter(attrs.created_ms.keys(), dtype=np.int64, count=len(attrs.created_ms))
        created[idx] = np.fromiter(attrs.created_ms.values(), dtype=np.float64, count=len(idx))
    release = find_release(events)
    acct = events["acct"]
    link_inputs: dict[str, Any] = {"payment": attrs.payment, "created_ms": created, "channel": attrs.channel}
    pooled = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="analyse") if workers > 0 else None
    with pooled or contextlib.nullcontext() as pool:
        keyed = [start_on(pool, keyed_links, kind, events, n, **link_inputs) for kind in KEYED_LINKS]
        feats = group_features(events, acct, n, sketches=store.sketches, created_ms=created, release=release,
                               pool=pool)
        own, contrib = model.score(feats)
        paced = paced_links(n, median_gap_s=feats["median_gap_s"], first_ms=feats["first_seen_ms"],
                            last_ms=feats["last_seen_ms"], requests=feats["requests"],
                            regularity=feats["pacing_regularity"])
        links = combine_links([*(part.result() for part in keyed), paced], n)
        clusters = cluster_accounts(links, n, threshold=link_threshold)
        c = clusters.count
        if c:
            # Clusters as actors: every request goes to its account's cluster; requests of accounts in no
            # cluster go to one extra group (index c), so that population-wide features such as novelty
            # still compare a cluster with everyone else. The extra group is dropped afterwards.
            member = clusters.label >= 0
            group = np.where(clusters.label >= 0, clusters.label, c)[acct]
            # Each cluster's registers: the max over its members' (members listed cluster by cluster).
            rows = np.flatnonzero(member)
            rows = rows[np.argsort(clusters.label[rows], kind="stable")]
            starts = np.flatnonzero(np.r_[True, clusters.label[rows][1:] != clusters.label[rows][:-1]])
            sketches = {}
            for name, sketch in store.sketches.items():
                merged = HyperLogLog(c + 1, sketch.p)
                merged.registers[clusters.label[rows[starts]]] = np.maximum.reduceat(sketch.registers[rows], starts,
                                                                                     axis=0)
                sketches[name] = merged
            cluster_created = np.full(c + 1, np.nan)
            known = member & ~np.isnan(created)
            if known.any():
                cluster_created[:] = np.inf
                np.minimum.at(cluster_created, clusters.label[known], created[known])
                cluster_created[np.isinf(cluster_created)] = np.nan
            everyone = group_features(events, group, c + 1, sketches=sketches, created_ms=cluster_created,
                                      release=release, pool=pool)
            cfeats = {name: values[:c] for name, values in everyone.items()}
            cscore, ccontrib = model.score(cfeats)
            final = np.where(member, np.maximum(own, cscore[np.maximum(clusters.label, 0)]), own)
        else:
            cfeats, cscore, ccontrib, final = {}, np.zeros(0), np.zeros((0, len(model.terms))), own
    return Analysis(events=events, report=report, account_features=feats, account_scores=own,
                    account_contrib=contrib, clusters=clusters, cluster_features=cfeats, cluster_scores=cscore,
                    cluster_contrib=ccontrib, final_scores=final, release=release,
                    seconds=time.perf_counter() - began, extra={"attributes": attrs, "created": created})


# -- outputs ------------------------------------------------------------------------------------------

_TRAINING_SHAPED = ("cot_coercion_share", "grader_share", "rewrite_share", "tool_use_share")


def _atlas(features: dict[str, np.ndarray], row: int, verdict: str, *, cluster: bool, proxies: bool,
           accounts_linked: bool) -> list[str]:
    if verdict == "allow":
        return []
    ids = ["AML.T0040", "AML.T0024.002"]
    shaped = any(features[name][row] >= 0.2 for name in _TRAINING_SHAPED) or (
        features["prompt_repeat_share"][row] < 0.05 and features["requests"][row] >= 200)
    if shaped:
        ids.append("AML.T0005.001")
    if proxies:
        ids.append("AML.T0008.005")
    if cluster and accounts_linked:
        ids.append("AML.T0021")
    if verdict == "block":
        ids.append("AML.T0048.004")
    return [i for i in TECHNIQUES if i in ids]


def _iso(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _cluster_links(analysis: Analysis, members: np.ndarray, cluster: int) -> list[dict[str, Any]]:
    """Why these accounts were linked: per link type, how many strong pairs it contributed to."""
    links = analysis.clusters.links
    label = analysis.clusters.label
    inside = (label[links.a] == cluster) & (label[links.b] == cluster)
    out = []
    attrs = analysis.extra["attributes"]
    for kind, weights in links.by_type.items():
        w = weights[inside]
        pairs = int((w > 0).sum())
        if not pairs:
            continue
        if kind == "payment":
            cards: dict[str, int] = {}
            for m in members.tolist():
                card = attrs.payment.get(m)
                if card:
                    cards[card] = cards.get(card, 0) + 1
            shared = {k: v for k, v in cards.items() if v > 1}
            detail = (f"{sum(shared.values())} of {len(members)} accounts pay with one of {len(shared)} shared "
                      f"payment fingerprints")
        elif kind == "address":
            detail = f"{pairs} account pairs send requests from the same client addresses (a shared proxy pool)"
        elif kind == "template":
            detail = f"{pairs} account pairs reuse the same prompt templates (MinHash/LSH)"
        elif kind == "created_together":
            created = analysis.extra["created"][members]
            created = created[~np.isnan(created)]
            spread = (created.max() - created.min()) / 3_600_000 if len(created) else 0.0
            detail = f"{pairs} account pairs were created within hours of each other (all within {spread:.0f} h)"
        elif kind == "client":
            detail = f"{pairs} account pairs use the same uncommon client (user agent)"
        else:
            detail = f"{pairs} account pairs send at the same pace over the same window (round-robin timing)"
        out.append({"kind": kind, "pairs": pairs, "weight": round(float(w.sum()), 2), "detail": detail})
    out.sort(key=lambda x: -x["weight"])
    return out


def _timeline(analysis: Analysis, cluster: int) -> list[list[Any]]:
    group = analysis.clusters.label[analysis.events["acct"]]
    ts = analysis.events["ts"][group == cluster]
    if len(ts) == 0:
        return []
    hours = ts // 3_600_000
    lo = int(hours.min())
    counts = np.bincount(hours - lo)
    return [[_iso((lo + i) * 3_600_000), int(v)] for i, v in enumerate(counts)]


def build_outputs(analysis: Analysis, thresholds: Thresholds, model: ScoringModel
                  ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Contract rows for accounts.jsonl and clusters.jsonl (with optional extra fields), ranked by score."""
    feats, cfeats = analysis.account_features, analysis.cluster_features
    clusters = analysis.clusters
    order = np.argsort(-analysis.cluster_scores, kind="stable")
    cluster_ids = {int(c): f"c_{rank + 1}" for rank, c in enumerate(order)}
    cluster_rows: list[dict[str, Any]] = []
    cluster_evidence: dict[int, list[dict[str, Any]]] = {}
    cluster_kinds: dict[int, set[str]] = {}
    for c in order.tolist():
        members = np.flatnonzero(clusters.label == c)
        score = float(analysis.cluster_scores[c])
        verdict = thresholds.verdict(score)
        links = _cluster_links(analysis, members, c)
        kinds = cluster_kinds[c] = {link["kind"] for link in links}
        ev = evidence(model, cfeats, analysis.cluster_contrib, c)
        coordination = [{"signal": f"linked_by_{link['kind']}", "value": link["pairs"], "detail": link["detail"]}
                        for link in links[:3]]
        cluster_evidence[c] = coordination + ev
        cluster_rows.append({
            "cluster_id": cluster_ids[c],
            "accounts": sorted(analysis.events.account_ids[m] for m in members.tolist()),
            "score": round(score, 6),
            "verdict": verdict,
            "evidence": coordination + ev,
            "atlas": _atlas(cfeats, c, verdict, cluster=True, proxies="address" in kinds,
                            accounts_linked=bool(kinds & {"payment", "created_together", "address"})),
            "size": len(members),
            "requests": int(cfeats["requests"][c]),
            "first_seen": _iso(cfeats["first_seen_ms"][c]),
            "last_seen": _iso(cfeats["last_seen_ms"][c]),
            "links": links,
            "timeline": _timeline(analysis, c),
        })

    account_rows: list[dict[str, Any]] = []
    final = analysis.final_scores
    for a in np.argsort(-final, kind="stable").tolist():
        score = float(final[a])
        verdict = thresholds.verdict(score)
        c = int(clusters.label[a])
        # Below 0.1 nothing stood out: listing the largest of small contributions would only be noise.
        ev = evidence(model, feats, analysis.account_contrib, a) if analysis.account_scores[a] >= 0.1 else []
        inherited = c >= 0 and analysis.cluster_scores[c] > analysis.account_scores[a]
        if c >= 0:
            size = int((clusters.label == c).sum())
            lead = cluster_evidence[c][0]["detail"] if cluster_evidence[c] else "linked accounts"
            ev.insert(0 if inherited else len(ev), {
                "signal": "cluster_member",
                "value": round(float(analysis.cluster_scores[c]), 4),
                "detail": f"member of cluster {cluster_ids[c]} ({size} accounts, cluster score "
                          f"{analysis.cluster_scores[c]:.2f}): {lead}",
            })
        peers = analysis.extra.get("peer_matches", {}).get(a)
        if peers:
            ev[:0] = [m.evidence() for m in sorted(peers, key=lambda m: -m.weight)[:3]]
        row_feats = cfeats if inherited else feats
        row = c if inherited else a
        account_rows.append({
            "account_id": analysis.events.account_ids[a],
            "score": round(score, 6),
            "verdict": verdict,
            "cluster_id": cluster_ids.get(c),
            "requests": int(feats["requests"][a]),
            "evidence": ev,
            "atlas": _atlas(row_feats, row, verdict, cluster=inherited,
                            proxies=inherited and "address" in cluster_kinds[c], accounts_linked=inherited),
            "first_seen": _iso(feats["first_seen_ms"][a]),
            "last_seen": _iso(feats["last_seen_ms"][a]),
            "own_score": round(float(analysis.account_scores[a]), 6),
        })
    return account_rows, cluster_rows


def write_outputs(analysis: Analysis, out_dir: str | Path, *, thresholds: Thresholds, model: ScoringModel,
                  inputs: list[str]) -> dict[str, Any]:
    """Write accounts.jsonl, clusters.jsonl, summary.json and report.html; return the summary."""
    from distillguard.report import write_report

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    accounts, clusters = build_outputs(analysis, thresholds, model)
    for name, rows in (("accounts.jsonl", accounts), ("clusters.jsonl", clusters)):
        tmp = out / f".{name}.tmp"
        with tmp.open("w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row, ensure_ascii=False) + "\n")
        tmp.replace(out / name)  # a crash never leaves a half-written output behind
    verdicts = {v: sum(1 for r in accounts if r["verdict"] == v) for v in ("block", "review", "allow")}
    ts = analysis.events["ts"]
    summary = {
        "generated_at": datetime.now(tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "inputs": inputs,
        "events": len(analysis.events),
        "lines": analysis.report.lines,
        "bad_lines": analysis.report.bad,
        "unreadable_files": [f.path for f in analysis.report.unreadable],
        "accounts": len(accounts),
        "clusters": len(clusters),
        "verdicts": verdicts,
        "time_span": [_iso(ts.min()), _iso(ts.max())] if len(ts) else [],
        "thresholds": {"review": thresholds.review, "block": thresholds.block},
        "new_model": (None if analysis.release is None else
                      {"model": analysis.events.models[analysis.release.model],
                       "first_seen": _iso(analysis.release.at_ms)}),
        "seconds": round(analysis.seconds, 2),
        "events_per_second": round(len(analysis.events) / max(analysis.seconds, 1e-9)),
        "version": _version(),
        "top_findings": _top_findings(accounts, clusters),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    write_report(out / "report.html", summary, accounts, clusters)
    return summary


def _top_findings(accounts: list[dict[str, Any]], clusters: list[dict[str, Any]], k: int = 5) -> list[str]:
    lines = []
    for c in clusters[:k]:
        if c["verdict"] == "allow":
            break
        lead = c["evidence"][0]["detail"] if c["evidence"] else ""
        lines.append(f"cluster {c['cluster_id']} ({c['size']} accounts, {c['requests']:,} requests) "
                     f"{c['verdict']} {c['score']:.2f}: {lead}")
    for a in accounts:
        if len(lines) >= 2 * k or a["verdict"] == "allow":
            break
        if a["cluster_id"] is None:
            lead = a["evidence"][0]["detail"] if a["evidence"] else ""
            lines.append(f"account {a['account_id']} ({a['requests']:,} requests) {a['verdict']} "
                         f"{a['score']:.2f}: {lead}")
    return lines


def _version() -> str:
    from distillguard import __version__

    return __version__


def scan(paths: Iterable[str | Path], out_dir: str | Path, *, thresholds: Thresholds | None = None,
         model: ScoringModel | None = None, progress: Callable[[int], None] | None = None,
         separate_reader: bool | None = False, peer_matches: dict[str, list[Any]] | None = None) -> dict[str, Any]:
    """Scan logs and write every output into ``out_dir``; returns the summary (see ``analyse`` for
    ``separate_reader``). ``peer_matches`` (account -> ``share.indicators.Match``) adds peers' indicators
    as evidence (see ``apply_peer_matches``)."""
    thresholds = thresholds or Thresholds()
    model = model or ScoringModel.load()
    paths = [Path(p) for p in paths]
    analysis = analyse(paths, model=model, progress=progress, separate_reader=separate_reader)
    if peer_matches:
        apply_peer_matches(analysis, peer_matches)
    return write_outputs(analysis, out_dir, thresholds=thresholds, model=model, inputs=[str(p) for p in paths])


#: How much a peer's indicator can raise an account's score, by kind, times its decay weight: a payment
#: fingerprint or API key a peer blocked identifies the actor (a fresh match blocks); shared prompt
#: templates only corroborate (review at most).
PEER_CEILING: Final = {"payment_fingerprint": 1.0, "api_key": 1.0, "template_bands": 0.6}


def apply_peer_matches(analysis: Analysis, peer_matches: dict[str, list[Any]]) -> int:
    """Raise matched accounts' final scores to ceiling x weight (never lower them) and keep the matches
    for their evidence. Returns how many accounts matched."""
    index = {a: i for i, a in enumerate(analysis.events.account_ids)}
    kept: dict[int, list[Any]] = {}
    for account, matches in peer_matches.items():
        i = index.get(account)
        if i is None or not matches:
            continue
        best = max(PEER_CEILING.get(m.kind, 0.5) * m.weight for m in matches)
        analysis.final_scores[i] = max(float(analysis.final_scores[i]), best)
        kept[i] = matches
    analysis.extra["peer_matches"] = kept
    return len(kept)
