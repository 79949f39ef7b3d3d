"""The decision path shared by the gateway and ``distillguard replay``.

Two speeds, one set of signals:

- ``decide`` runs per request and must be fast (well under a millisecond): allow/block lists, the latest
  scores of the account and of its cluster, and a GCRA rate limit. It reads only state built from
  requests that came before.
- ``record`` queues each finished request (contract §1 row). ``refresh`` folds the queue into a sliding
  window of recent requests, computing the per-request signals in one batch (``request_signals``, the
  scan's own function), and, when due, re-scores the window with the scan's own features, linking and
  model (``engines.local.analyse_store``). The gateway calls ``refresh`` from a background thread;
  replay calls it as request time passes.

So a request's text signals count from the next refresh on, never for the request itself: the price
of answering in microseconds instead of the ~10 ms a one-row regex pass costs.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.accounts.store import EventStore
from distillguard.enforce.decision import Decision
from distillguard.enforce.policy import Policy
from distillguard.enforce.state import MemoryRate, RateState
from distillguard.engines.local import analyse_store  # up front: imported lazily it stalled a gateway's 1st re-score
from distillguard.events import ReadReport
from distillguard.events.reader import split_unknown
from distillguard.events.schema import LogLine, flatten, rows_to_batch
from distillguard.scoring.model import ScoringModel, evidence
from distillguard.signals.request import request_signals

#: Folded requests gathered before their signals are computed in one call (see ``Decider._unsigned``).
SIGNAL_ROWS: Final = 16_384

#: The event columns the account store folds besides the signals (account attributes).
_ATTRIBUTE_COLUMNS: Final = ("payment_fingerprint", "signup_channel", "org_id", "country", "account_created")


@dataclass(frozen=True)
class Standing:
    """What the latest refresh concluded about one account."""

    score: float  # max of own (when enough requests) and cluster score
    own: float
    requests: int  # in the window
    cluster_id: str | None
    cluster_score: float
    cluster_size: int
    lead: str  # the top evidence sentence


@dataclass
class RefreshStats:
    refreshes: int = 0
    seconds: float = 0.0
    window_events: int = 0
    failures: int = 0
    last_error: str = ""


class Decider:
    """Per-request decisions from the scan's signals, scores and clusters over a sliding window."""

    def __init__(self, policy: Policy | None = None, *, model: ScoringModel | None = None,
                 clock: Callable[[], float] | None = None, rate: RateState | None = None,
                 peer_matches: dict[str, list[Any]] | None = None) -> None:
        self.policy = policy or Policy()
        self.model = model or ScoringModel.load()
        self.clock = clock or time.time
        self.rate: RateState = rate or MemoryRate(self.policy.rate_limit)
        # account -> matches on peers' indicators (share.indicators.Match), from `distillguard intel`
        self.peer_matches: dict[str, list[Any]] = peer_matches or {}
        self._lock = threading.Lock()  # guards the queue of finished requests
        self._pending: list[tuple[pa.RecordBatch, pa.RecordBatch | None]] = []  # (events, signals if known)
        self._window: deque[tuple[int, pa.RecordBatch, pa.RecordBatch]] = deque()  # (max ts, signals, attributes)
        # Folded requests whose signals are not computed yet: computed together once SIGNAL_ROWS gather or the
        # window is re-scored (one signals call costs ~50 ms of pattern compilation whatever its size; paying it on
        # every half-second fold of a live gateway took a core's tenth, in bursts that made the gateway's p99).
        self._unsigned: list[pa.RecordBatch] = []
        self._unsigned_rows = 0
        self._standing: dict[str, Standing] = {}  # replaced whole on refresh; read without the lock
        self._last_refresh_ms: int | None = None
        self.stats = RefreshStats()
        self.bypasses = 0

    # -- per request -------------------------------------------------------------------------------

    def decide(self, account_id: str, *, api_key_id: str | None = None, now_ms: int | None = None,
               peer_matches: list[Any] | None = None) -> Decision:
        """Decide one request of ``account_id`` arriving at ``now_ms`` (default: the clock). ``peer_matches``:
        this request's matches on peers' indicators (the gateway's live look-up), added to those given at
        construction."""
        now = self.clock() * 1000.0 if now_ms is None else float(now_ms)
        policy = self.policy
        shadow = policy.mode == "shadow"
        lists = policy.lists
        if account_id in lists.block_accounts or (api_key_id and api_key_id in lists.block_keys):
            return Decision("block", 1.0, ("the account or API key is on the block list",), code="blocklist",
                            shadow=shadow)
        if account_id in lists.allow_accounts or (api_key_id and api_key_id in lists.allow_keys):
            self.bypasses += 1
            return Decision("allow", 0.0, ("allow-listed: every check bypassed",), code="allowlist",
                            shadow=shadow)
        peer = self._peer(account_id, shadow, peer_matches)
        if peer is not None and peer.action == "block":
            return peer
        standing = self._standing.get(account_id)
        if standing is not None and standing.score >= policy.block_threshold:
            code = "extraction_cluster" if standing.cluster_score >= standing.own else "extraction_account"
            return Decision("block", standing.score, self._reasons(standing), code=code, shadow=shadow,
                            cluster_id=standing.cluster_id)
        failed_open = ""
        try:
            retry = self.rate.check(account_id, now / 1000.0)
        except Exception as exc:  # state failure: obey the throttle class's fail mode
            if policy.fail.throttle == "closed":
                return Decision("throttle", 0.0, (f"rate state failed ({exc}); failing closed",),
                                code="fail_closed", retry_after_s=1.0, shadow=shadow)
            # Failing open skips the rate check only (a bypass: counted, and named in the decision); the
            # checks after it still apply.
            self.bypasses += 1
            retry, failed_open = None, f"rate state failed ({exc}); failing open"
        if retry is not None:
            rl = policy.rate_limit
            return Decision("throttle", standing.score if standing else 0.0,
                            (f"over {rl.requests_per_minute:g} requests a minute (burst {rl.burst})",),
                            code="rate_limit", retry_after_s=retry, shadow=shadow)
        if peer is not None:  # a degrade from a peer's indicator
            return peer
        if standing is not None and standing.score >= policy.degrade_threshold:
            return Decision("degrade", standing.score, self._reasons(standing), code="suspect_degraded",
                            degrade=policy.degrade, shadow=shadow, cluster_id=standing.cluster_id)
        return Decision("allow", standing.score if standing else 0.0, (failed_open,) if failed_open else (),
                        code="fail_open" if failed_open else "", shadow=shadow,
                        cluster_id=standing.cluster_id if standing else None)

    def _peer(self, account_id: str, shadow: bool, live: list[Any] | None = None) -> Decision | None:
        matches = self.peer_matches.get(account_id)
        if live:
            matches = [*(matches or ()), *live]
        if not matches:
            return None
        intel = self.policy.intel
        actions = [intel.strong if m.kind in ("payment_fingerprint", "api_key") else intel.template for m in matches]
        action = "block" if "block" in actions else "degrade" if "degrade" in actions else None
        if action is None:
            return None
        best = max(matches, key=lambda m: m.weight)
        return Decision(action, best.weight, tuple(m.detail for m in matches[:3]), code="peer_indicator",
                        degrade=self.policy.degrade if action == "degrade" else None, shadow=shadow)

    def _reasons(self, s: Standing) -> tuple[str, ...]:
        reasons = []
        if s.cluster_id is not None and s.cluster_score >= s.own:
            reasons.append(f"member of cluster {s.cluster_id} ({s.cluster_size} accounts, score {s.cluster_score:.2f})")
        else:
            reasons.append(f"account score {s.own:.2f} over {s.requests} recent requests")
        if s.lead:
            reasons.append(s.lead)
        return tuple(reasons)

    # -- after the request ---------------------------------------------------------------------------

    def record(self, line: dict[str, Any]) -> None:
        """Queue one finished request, a contract §1 line as a dict (the gateway's path). Fields the
        contract does not know (e.g. the gateway's ``decision``) are set aside as the log reader does."""
        known, _ = split_unknown(line)
        row = flatten(msgspec.convert(known, LogLine), None)
        self.record_batch(rows_to_batch([row]))

    def record_batch(self, batch: pa.RecordBatch, signals: pa.RecordBatch | None = None) -> None:
        """Queue finished requests, an EVENT_SCHEMA batch (the replay's path), with their ``request_signals``
        when the caller computed them already (a pure per-request function: computing them early in big
        batches is cheaper and peeks at nothing, since they are used only once folded)."""
        if batch.num_rows:
            with self._lock:
                self._pending.append((batch, signals))

    def refresh(self, now_ms: int | None = None, *, force: bool = False) -> bool:
        """Fold queued requests older than ``now_ms`` into the window; re-score it when due (or ``force``).

        Returns whether the scores were recomputed. A failure is counted in ``stats`` and leaves the
        previous scores in place (decisions then rest on older state, never on none)."""
        now = int(self.clock() * 1000) if now_ms is None else int(now_ms)
        with self._lock:
            pending, self._pending = self._pending, []
        if pending:
            batch = pa.concat_batches([b for b, _ in pending]) if len(pending) > 1 else pending[0][0]
            known = [sig for _, sig in pending]
            signals = None
            if all(sig is not None for sig in known):
                signals = pa.concat_batches(known) if len(known) > 1 else known[0]  # type: ignore[arg-type]
            ts = batch.column("timestamp").cast(pa.int64()).to_numpy(zero_copy_only=False)
            early = ts < now
            if not early.all():  # requests at ``now`` or later wait for a later refresh: no peeking ahead
                late = pa.array(~early)
                with self._lock:
                    self._pending.insert(0, (batch.filter(late), signals.filter(late) if signals else None))
                keep = pa.array(early)
                batch = batch.filter(keep)
                signals = signals.filter(keep) if signals is not None else None
            if batch.num_rows and signals is None:
                self._unsigned.append(batch)
                self._unsigned_rows += batch.num_rows
                if self._unsigned_rows >= SIGNAL_ROWS:
                    self._sign_unsigned()
            elif batch.num_rows:
                self._sign_unsigned()  # keep the window in time order
                self._window.append((int(ts[early].max()), signals, batch.select(list(_ATTRIBUTE_COLUMNS))))
        horizon = now - int(self.policy.window.hours * 3_600_000)
        while self._window and self._window[0][0] < horizon:
            self._window.popleft()
        due = self._last_refresh_ms is None or now - self._last_refresh_ms >= self.policy.window.refresh_seconds * 1000
        if not (due or force):
            return False
        self._sign_unsigned()
        if not self._window:
            return False
        began = time.perf_counter()
        try:
            self._standing = self._score(horizon)
        except Exception as exc:  # keep serving on the last good scores; the failure is visible in stats
            self.stats.failures += 1
            self.stats.last_error = f"{type(exc).__name__}: {exc}"
            return False
        finally:
            self._last_refresh_ms = now
        self.stats.refreshes += 1
        self.stats.seconds += time.perf_counter() - began
        return True

    def _sign_unsigned(self) -> None:
        """Compute the signals of the folded requests still without them, in one call, into the window."""
        if not self._unsigned:
            return
        batch = pa.concat_batches(self._unsigned) if len(self._unsigned) > 1 else self._unsigned[0]
        self._unsigned, self._unsigned_rows = [], 0
        latest = int(pc.max(batch.column("timestamp").cast(pa.int64())).as_py())
        self._window.append((latest, request_signals(batch), batch.select(list(_ATTRIBUTE_COLUMNS))))

    def _score(self, horizon: int) -> dict[str, Standing]:
        # One fold of the whole window (one call per refresh, not one per queued batch).
        signals = pa.concat_batches([sig for _, sig, _ in self._window])
        attributes = pa.concat_batches([attr for _, _, attr in self._window])
        keep = pc.greater_equal(signals.column("ts"), horizon)
        if not pc.all(keep).as_py():
            signals, attributes = signals.filter(keep), attributes.filter(keep)
        store = EventStore()
        store.add(signals, attributes)
        events = signals.num_rows
        self.stats.window_events = events
        a = analyse_store(store, report=ReadReport(), model=self.model, workers=0)  # the other core serves
        ids = a.events.account_ids
        requests = np.bincount(a.events["acct"], minlength=len(ids))
        label = a.clusters.label
        sizes = np.bincount(label[label >= 0], minlength=a.clusters.count) if a.clusters.count else np.zeros(0)
        min_requests = self.policy.window.min_requests
        standing: dict[str, Standing] = {}
        for i in np.flatnonzero((a.final_scores >= min(self.policy.degrade_threshold, 0.5)) | (label >= 0)).tolist():
            own = float(a.account_scores[i]) if requests[i] >= min_requests else 0.0
            c = int(label[i])
            cscore = float(a.cluster_scores[c]) if c >= 0 else 0.0
            score = max(own, cscore)
            if score < self.policy.degrade_threshold:
                continue
            if c >= 0 and cscore >= own:
                lead = evidence(self.model, a.cluster_features, a.cluster_contrib, c)
            else:
                lead = evidence(self.model, a.account_features, a.account_contrib, i)
            standing[ids[i]] = Standing(score=score, own=own, requests=int(requests[i]),
                                        cluster_id=f"w{c + 1}" if c >= 0 else None, cluster_score=cscore,
                                        cluster_size=int(sizes[c]) if c >= 0 else 0,
                                        lead=lead[0]["detail"] if lead else "")
        return standing

    @property
    def standing(self) -> dict[str, Standing]:
        """The latest refresh's conclusions, by account (only accounts at or above the degrade threshold)."""
        return self._standing
