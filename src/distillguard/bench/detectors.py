"""DistillBench's detectors behind one interface: distillguard's scan and the baselines it must beat.

    detector = make_detector("prada")
    detector.fit(["benign/traffic.jsonl.gz"])          # optional: benign reference traffic
    scores = detector.score(["sim/traffic.jsonl.gz"])  # Scores: account -> score, higher = more suspicious

Every detector reads contract §1 logs through :func:`distillguard.events.read_events` and never sees
labels. State is bounded per account (at most ``window`` query vectors, a bounded distance list), so each
runs on logs of a million events and more. Queries are the ``prompt`` column (the last user turn),
encoded by :mod:`distillguard.bench.vectors` (hashed n-grams unless an encoder is given). Within a read
batch an account's queries are taken in time order; batches are taken in log order.

==============  ==============================================================================
name            score (higher = more suspicious)
==============  ==============================================================================
volume          peak requests in one UTC clock hour (+ total/(1+total) < 1 to break ties)
prada           1 - W, W the Shapiro-Wilk statistic of the account's growing-set min distances
seat            similar pairs (cosine >= threshold) per query, each query against the last window
mmd             unbiased MMD^2 (RBF) between the account's queries and benign reference queries
keywords        share of requests naming a reasoning-elicitation keyword (+ < 1e-12 by count)
distillguard    the scan's final account score (own behaviour or its cluster's, whichever higher)
==============  ==============================================================================
"""

from __future__ import annotations

import inspect
import math
import warnings
from abc import ABC, abstractmethod
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy import stats

from distillguard.bench.vectors import Encoder, HashedNgrams
from distillguard.errors import ConfigError, LogReadError
from distillguard.events import ReadReport, read_events
from distillguard.events.reader import regroup

LogPaths = Sequence[str | Path]


@dataclass
class Scores:
    """What a detector says about a set of logs."""

    accounts: dict[str, float]  # account_id -> score, higher = more suspicious; every account seen
    clusters: list[list[str]] | None = None  # member lists, only for detectors that link accounts
    events: int = 0  # events consumed (for events/s)
    details: dict[str, dict[str, float]] = field(default_factory=dict)  # optional per-account diagnostics


class Detector(ABC):
    """One detector. Parameters are constructor arguments; learned state ends in ``_`` and is set by fit."""

    name: ClassVar[str]  # short id used on the command line and in tables
    description: ClassVar[str]  # one line: what it is and where it comes from

    def validate(self) -> None:
        """Raise ConfigError naming a parameter whose value is invalid (fit, score and make_detector call it)."""
        return None

    def fit(self, reference: LogPaths) -> None:
        """Learn from benign reference traffic logs; most detectors need none."""
        self.validate()

    @abstractmethod
    def score(self, logs: LogPaths) -> Scores:
        """Score every account in ``logs``."""


# --- shared plumbing -------------------------------------------------------------------------------


#: Rows per batch the detectors work on. Per-account work is done once per account per batch, so bigger
#: batches mean fewer, larger steps; 16k rows of vectors at dim 256 take 16 MB.
BATCH_ROWS: Final = 16_384


def _batches(paths: LogPaths, rows: int = BATCH_ROWS) -> Iterator[pa.RecordBatch]:
    """The events of ``paths`` in batches of about ``rows`` rows; LogReadError when no file could be read."""
    report = ReadReport()
    yield from regroup(read_events([Path(p) for p in paths], report=report), rows)
    unreadable = report.unreadable
    if unreadable and len(unreadable) == len(report.files):
        raise LogReadError(unreadable[0].path, unreadable[0].error or "no line is a valid log event")


class _Accounts:
    """Dense integer codes for account ids, stable across batches."""

    def __init__(self) -> None:
        self.codes: dict[str, int] = {}
        self.ids: list[str] = []

    def encode(self, column: pa.Array | pa.ChunkedArray) -> np.ndarray:
        encoded = pc.dictionary_encode(column)
        if isinstance(encoded, pa.ChunkedArray):
            encoded = encoded.combine_chunks()
        local = np.empty(len(encoded.dictionary), dtype=np.int64)
        for i, account in enumerate(encoded.dictionary.to_pylist()):  # one step per distinct account
            code = self.codes.get(account)
            if code is None:
                code = self.codes[account] = len(self.ids)
                self.ids.append(account)
            local[i] = code
        return local[encoded.indices.to_numpy()]


def _timestamps(batch: pa.RecordBatch) -> np.ndarray:
    return batch.column("timestamp").cast(pa.int64()).to_numpy()


def _by_account(codes: np.ndarray, ts: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    """(account code, row indices in time order) for each account in a batch."""
    if len(codes) == 0:
        return
    order = np.lexsort((ts, codes))
    cuts = np.flatnonzero(codes[order][1:] != codes[order][:-1]) + 1
    for rows in np.split(order, cuts):
        yield int(codes[rows[0]]), rows


def _grow(values: np.ndarray, size: int) -> np.ndarray:
    return values if len(values) >= size else np.concatenate([values, np.zeros(size - len(values), values.dtype)])


def _positive_int(name: str, value: int, minimum: int = 1) -> None:
    if not isinstance(value, int) or value < minimum:
        raise ConfigError(f"{name} must be an integer >= {minimum}, got {value!r}")


class _Reservoir:
    """A uniform sample (Vitter's algorithm R) of at most ``size`` vectors, fed in vectorised chunks."""

    __slots__ = ("rows", "seen", "size")

    def __init__(self, size: int, dim: int) -> None:
        self.size = size
        self.seen = 0
        self.rows = np.zeros((min(size, 16), dim), dtype=np.float16)

    def add(self, vectors: np.ndarray, rng: np.random.Generator) -> None:
        m = len(vectors)
        t = self.seen + np.arange(m)
        slot = np.where(t < self.size, t, rng.integers(0, t + 1))
        keep = slot < self.size
        slot, src = slot[keep], np.flatnonzero(keep)
        if len(slot):
            # When two new vectors draw the same slot the later one wins, as in the sequential algorithm.
            last = len(slot) - 1 - np.unique(slot[::-1], return_index=True)[1]
            slot, src = slot[last], src[last]
            need = int(slot.max()) + 1
            if need > len(self.rows):
                grown = np.zeros((min(self.size, max(need, 2 * len(self.rows))), self.rows.shape[1]), np.float16)
                grown[: len(self.rows)] = self.rows
                self.rows = grown
            self.rows[slot] = vectors[src]
        self.seen += m

    def sample(self) -> np.ndarray:
        return self.rows[: min(self.seen, self.size)].astype(np.float32)


# --- volume ----------------------------------------------------------------------------------------


@dataclass
class VolumeDetector(Detector):
    """Per-account volume threshold, what most providers run today (rate limits and volume alerts).

    Score: the most requests the account sent in one UTC clock window of ``window_minutes`` (an hour by
    default), plus total/(1 + total) < 1 so that equal peaks rank by total volume. No fitting.
    """

    name: ClassVar[str] = "volume"
    description: ClassVar[str] = "peak requests per account in one clock hour: the volume/rate alert providers run"

    window_minutes: int = 60

    def validate(self) -> None:
        _positive_int("window_minutes", self.window_minutes)

    def score(self, logs: LogPaths) -> Scores:
        self.validate()
        accounts = _Accounts()
        window_ms = self.window_minutes * 60_000
        keys: list[np.ndarray] = []
        counts: list[np.ndarray] = []
        events = 0
        for batch in _batches(logs):
            events += batch.num_rows
            codes = accounts.encode(batch.column("account_id"))
            key = (codes << 32) + _timestamps(batch) // window_ms  # windows since 1970 fit in 32 bits
            k, c = np.unique(key, return_counts=True)
            keys.append(k)
            counts.append(c)
            if len(keys) > 64:  # fold, so that memory follows distinct (account, window) pairs
                folded_keys, folded_counts = _fold(keys, counts)
                keys, counts = [folded_keys], [folded_counts]
        n = len(accounts.ids)
        peak = np.zeros(n)
        total = np.zeros(n)
        if keys:
            key_all, count_all = _fold(keys, counts)
            acct = key_all >> 32
            np.maximum.at(peak, acct, count_all)
            total = np.bincount(acct, weights=count_all, minlength=n)
        score = peak + total / (1.0 + total)
        return Scores(accounts=dict(zip(accounts.ids, score.tolist(), strict=True)), events=events,
                      details={a: {"peak": float(p), "requests": float(t)}
                               for a, p, t in zip(accounts.ids, peak.tolist(), total.tolist(), strict=True)})


def _fold(keys: list[np.ndarray], counts: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    k, inverse = np.unique(np.concatenate(keys), return_inverse=True)
    return k, np.bincount(inverse, weights=np.concatenate(counts)).astype(np.int64)


# --- keywords --------------------------------------------------------------------------------------

#: Literal, case-insensitive, English: the filter a provider would write in an afternoon.
REASONING_KEYWORDS: Final[tuple[str, ...]] = (
    "step by step",
    "step-by-step",
    "chain of thought",
    "chain-of-thought",
    "show your reasoning",
    "show your work",
    "think step",
    "explain your reasoning",
    "reasoning process",
    "thought process",
    "think carefully",
    "let's think",
    "<think>",
)


@dataclass
class KeywordDetector(Detector):
    """A reasoning-elicitation keyword filter: literal phrases, English only, matched case-insensitively in
    the prompt (and the system prompt when ``include_system``).

    Score: the share of the account's requests that match any keyword, plus count/(1 + count) x 1e-12 so
    that equal shares rank by count (exact below a million requests per account). No fitting.
    """

    name: ClassVar[str] = "keywords"
    description: ClassVar[str] = "share of requests with a reasoning-elicitation keyword ('step by step', ...)"

    keywords: tuple[str, ...] = REASONING_KEYWORDS
    include_system: bool = True

    def validate(self) -> None:
        if not self.keywords or not all(isinstance(k, str) and k for k in self.keywords):
            raise ConfigError("keywords must be a non-empty list of non-empty strings")

    def score(self, logs: LogPaths) -> Scores:
        self.validate()
        accounts = _Accounts()
        hits = np.zeros(0)
        requests = np.zeros(0)
        events = 0
        for batch in _batches(logs):
            events += batch.num_rows
            codes = accounts.encode(batch.column("account_id"))
            text = batch.column("prompt")
            if self.include_system:
                text = pc.binary_join_element_wise(text, pc.fill_null(batch.column("system"), ""), "\n")
            match = pc.match_substring(text, self.keywords[0], ignore_case=True)
            for keyword in self.keywords[1:]:
                match = pc.or_(match, pc.match_substring(text, keyword, ignore_case=True))
            n = len(accounts.ids)
            hits = _grow(hits, n) + np.bincount(codes, weights=match.to_numpy(zero_copy_only=False), minlength=n)
            requests = _grow(requests, n) + np.bincount(codes, minlength=n)
        share = np.divide(hits, requests, out=np.zeros_like(hits), where=requests > 0)
        score = share + hits / (1.0 + hits) * 1e-12
        return Scores(accounts=dict(zip(accounts.ids, score.tolist(), strict=True)), events=events,
                      details={a: {"share": float(s), "matches": float(h)}
                               for a, s, h in zip(accounts.ids, share.tolist(), hits.tolist(), strict=True)})


# --- PRADA -----------------------------------------------------------------------------------------


class _PradaState:
    """One account's growing set (a ring of at most ``limit`` vectors), its threshold and distance list."""

    __slots__ = ("distances", "gdist", "next", "norms", "size", "threshold", "vectors")

    def __init__(self, dim: int) -> None:
        self.vectors = np.zeros((8, dim), dtype=np.float32)
        self.norms = np.zeros(8, dtype=np.float32)
        self.gdist = np.zeros(8)
        self.size = 0
        self.next = 0
        self.threshold = 0.0
        self.distances = array("f")

    def add(self, x: np.ndarray, norm: float, dmin: float, limit: int) -> None:
        if self.size < limit:
            if self.size == len(self.vectors):
                cap = min(limit, 2 * self.size)
                self.vectors = np.concatenate([self.vectors, np.zeros((cap - self.size, x.shape[0]), np.float32)])
                self.norms = _grow(self.norms, cap)
                self.gdist = _grow(self.gdist, cap)
            slot = self.size
            self.size += 1
        else:  # full: the oldest member leaves
            slot = self.next
            self.next = (self.next + 1) % limit
        self.vectors[slot] = x
        self.norms[slot] = norm
        self.gdist[slot] = dmin


@dataclass
class PradaDetector(Detector):
    """PRADA (Juuti, Szyller, Marchal, Asokan: "PRADA: Protecting against DNN Model Stealing Attacks",
    IEEE EuroS&P 2019), per account, following the authors' reference implementation.

    Each new query's minimum L2 distance to the account's growing set is added to the distance set D;
    the query joins the growing set when that distance exceeds the threshold T, and T becomes
    max(T, mean - std of the growing set's distances). When D (after dropping values more than
    ``outlier_std`` standard deviations from its mean) holds more than ``min_distances`` values, the
    Shapiro-Wilk statistic W is computed; PRADA raises the alarm when W < ``delta``.

    Adapted for LLM traffic: queries are hashed n-gram vectors of the prompt instead of images; a
    generative API has no predicted class, so there is one growing set per account instead of one per
    class; the growing set is bounded to its last ``growing_set`` members and D to its last
    ``max_distances`` values; W is tested once, on the state at the end of the logs (the reference tests
    every 10 queries). Score: 1 - W (0 for an account never tested).
    """

    name: ClassVar[str] = "prada"
    description: ClassVar[str] = ("PRADA (Juuti et al., EuroS&P 2019): Shapiro-Wilk normality of successive "
                                  "queries' minimum distances")

    delta: float = 0.9
    growing_set: int = 256
    min_distances: int = 100
    max_distances: int = 5000
    outlier_std: float = 3.0
    encoder: Encoder | None = None

    def validate(self) -> None:
        if not 0.0 < self.delta <= 1.0:
            raise ConfigError(f"delta must be in (0, 1], got {self.delta!r}")
        _positive_int("growing_set", self.growing_set)
        _positive_int("min_distances", self.min_distances, 3)
        _positive_int("max_distances", self.max_distances, self.min_distances)
        if not self.outlier_std > 0:
            raise ConfigError(f"outlier_std must be > 0, got {self.outlier_std!r}")

    def score(self, logs: LogPaths) -> Scores:
        self.validate()
        encoder = self.encoder or HashedNgrams()
        accounts = _Accounts()
        states: dict[int, _PradaState] = {}
        events = 0
        for batch in _batches(logs):
            events += batch.num_rows
            codes = accounts.encode(batch.column("account_id"))
            vectors = encoder.encode(batch.column("prompt"))
            norms = np.einsum("ij,ij->i", vectors, vectors)
            for code, rows in _by_account(codes, _timestamps(batch)):
                state = states.get(code)
                if state is None:
                    state = states[code] = _PradaState(vectors.shape[1])
                self._update(state, vectors[rows], norms[rows])
        out: dict[str, float] = {}
        details: dict[str, dict[str, float]] = {}
        for code, account in enumerate(accounts.ids):
            w, used = self.shapiro_w(np.frombuffer(states[code].distances, dtype=np.float32))
            out[account] = 1.0 - w
            details[account] = {"w": w, "distances": float(used), "alarm": float(w < self.delta)}
        return Scores(accounts=out, events=events, details=details)

    def account_w(self, vectors: np.ndarray) -> float:
        """W for one account's query vectors, in order (1 when there are too few distances to test)."""
        self.validate()
        vectors = np.asarray(vectors, dtype=np.float32)
        state = _PradaState(vectors.shape[1])
        self._update(state, vectors, np.einsum("ij,ij->i", vectors, vectors))
        return self.shapiro_w(np.frombuffer(state.distances, dtype=np.float32))[0]

    def _update(self, state: _PradaState, vectors: np.ndarray, norms: np.ndarray) -> None:
        limit = self.growing_set
        for x, norm in zip(vectors, norms.tolist(), strict=True):  # sequential by definition
            if state.size == 0:
                state.add(x, norm, 0.0, limit)
                continue
            size = state.size
            d2 = state.norms[:size] + norm - 2.0 * (state.vectors[:size] @ x)
            dmin = math.sqrt(max(float(d2.min()), 0.0))
            state.distances.append(dmin)
            if dmin > state.threshold:
                state.add(x, norm, dmin, limit)
                members = state.gdist[: state.size]
                state.threshold = max(state.threshold, float(members.mean() - members.std()))
        if len(state.distances) > 2 * self.max_distances:
            del state.distances[: len(state.distances) - self.max_distances]

    def shapiro_w(self, distances: np.ndarray) -> tuple[float, int]:
        """(W, values tested) for a distance set; W = 1 when there are too few values to test."""
        d = distances[-self.max_distances :].astype(np.float64)
        if len(d) == 0:
            return 1.0, 0
        std = d.std()
        if std > 0:
            d = d[np.abs(d - d.mean()) < self.outlier_std * std]
        if len(d) <= self.min_distances:
            return 1.0, len(d)
        if np.ptp(d) == 0:
            return 1.0, len(d)  # all equal: W is 1 by convention (scipy would warn)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            w = float(stats.shapiro(d).statistic)
        return (w if math.isfinite(w) else 1.0), len(d)


# --- SEAT ------------------------------------------------------------------------------------------


@dataclass
class SeatDetector(Detector):
    """SEAT-style similar-pair counting (Zhang, Chen, Wagner: "SEAT: Similarity Encoder by Adversarial
    Training for Detecting Model Extraction Attack Queries", AISec 2021).

    SEAT encodes every query of an account and counts the pairs whose encodings are closer than a
    threshold; an account with too many similar pairs is flagged. Here the encoder is the hashed n-gram
    vectorizer (or a sentence-embedding model), not SEAT's adversarially trained similarity encoder, and
    "similar" means cosine similarity >= ``threshold``. To bound memory each query is compared with the
    account's previous ``window`` queries (exact for accounts with at most window + 1 queries).

    Score: similar pairs per query (``per_query``, the default, so that volume alone does not rank), or
    the raw count of similar pairs.
    """

    name: ClassVar[str] = "seat"
    description: ClassVar[str] = ("SEAT-style similar-pair counting (Zhang et al., AISec 2021), "
                                  "hashed-vector encoder, not adversarially trained")

    threshold: float = 0.9
    window: int = 256
    per_query: bool = True
    encoder: Encoder | None = None

    def validate(self) -> None:
        if not -1.0 <= self.threshold <= 1.0:
            raise ConfigError(f"threshold is a cosine similarity in [-1, 1], got {self.threshold!r}")
        _positive_int("window", self.window)

    def score(self, logs: LogPaths) -> Scores:
        self.validate()
        encoder = self.encoder or HashedNgrams()
        accounts = _Accounts()
        states: dict[int, _SeatState] = {}
        events = 0
        for batch in _batches(logs):
            events += batch.num_rows
            codes = accounts.encode(batch.column("account_id"))
            vectors = encoder.encode(batch.column("prompt"))
            for code, rows in _by_account(codes, _timestamps(batch)):
                state = states.get(code)
                if state is None:
                    state = states[code] = _SeatState(vectors.shape[1])
                self._update(state, vectors[rows])
        pairs = [states[code].pairs for code in range(len(accounts.ids))]
        queries = [states[code].seen for code in range(len(accounts.ids))]
        score = [p / max(q, 1) if self.per_query else float(p) for p, q in zip(pairs, queries, strict=True)]
        return Scores(accounts=dict(zip(accounts.ids, score, strict=True)), events=events,
                      details={a: {"pairs": float(p), "queries": float(q)}
                               for a, p, q in zip(accounts.ids, pairs, queries, strict=True)})

    def _update(self, state: _SeatState, new: np.ndarray, chunk: int = 512) -> None:
        """Count similar pairs between each new query and the ``window`` queries before it, then keep the
        last ``window`` queries. The history is compared in place, never copied."""
        window, m = self.window, len(new)
        ring, ring_pos = state.vectors[: state.size], state.positions[: state.size]
        for start in range(0, m, chunk):
            block = new[start : start + chunk]
            position = state.seen + start + np.arange(len(block))[:, None]
            if len(ring):
                near = (block @ ring.T) >= self.threshold
                state.pairs += int(np.count_nonzero(near & (ring_pos[None, :] >= position - window)))
            lo = max(0, start - window)  # earlier queries of this batch that can pair with the block
            near = (block @ new[lo : start + len(block)].T) >= self.threshold
            column = state.seen + lo + np.arange(start + len(block) - lo)[None, :]
            state.pairs += int(np.count_nonzero(near & (column < position) & (column >= position - window)))
        keep = min(window, m)
        state.store(new[m - keep :], state.seen + np.arange(m - keep, m), window)
        state.seen += m


class _SeatState:
    """One account's last ``window`` query vectors (a ring, with each one's position) and its pair count."""

    __slots__ = ("next", "pairs", "positions", "seen", "size", "vectors")

    def __init__(self, dim: int) -> None:
        self.vectors = np.zeros((0, dim), dtype=np.float32)
        self.positions = np.zeros(0, dtype=np.int64)
        self.size = 0
        self.next = 0
        self.seen = 0
        self.pairs = 0

    def store(self, vectors: np.ndarray, positions: np.ndarray, window: int) -> None:
        k = len(vectors)  # k <= window, so no slot is written twice
        fill = min(k, window - self.size)
        if self.size + fill > len(self.vectors):
            cap = min(window, max(self.size + fill, 2 * len(self.vectors)))
            grown = np.zeros((cap, self.vectors.shape[1]), dtype=np.float32)
            grown[: self.size] = self.vectors[: self.size]
            self.vectors = grown
            self.positions = _grow(self.positions, cap)
        slots = np.concatenate([self.size + np.arange(fill), (self.next + np.arange(k - fill)) % window])
        self.size += fill
        if k > fill:
            self.next = (self.next + k - fill) % window
        self.vectors[slots] = vectors
        self.positions[slots] = positions


# --- MMD -------------------------------------------------------------------------------------------


@dataclass
class MmdDetector(Detector):
    """An MMD window test over query vectors, as in Liu, Guo, Dong: "An Embarrassingly Simple Detector for
    Model Extraction Attacks in Large Language Model API Traffic" (2026): a window of queries is compared
    with benign reference traffic by the maximum mean discrepancy (Gretton et al., JMLR 2012).

    fit() keeps a uniform sample of ``reference_pool`` benign reference query vectors and sets the RBF
    bandwidth sigma to the median pairwise distance among them (median heuristic);
    k(x, y) = exp(-|x - y|^2 / (2 sigma^2)). score() keeps a uniform sample of at most ``window`` of each
    account's queries and computes the unbiased MMD^2 between it and a fixed sample of
    ``reference_size`` reference vectors, with a permutation-test p-value over ``permutations``
    relabellings. The paper tests fixed-size windows of pooled traffic with sentence embeddings and a
    threshold calibrated on benign-vs-benign windows; here the window is one account's queries and the
    vectors are hashed n-grams unless an encoder is given.

    Score: max(MMD^2, 0); 0 for an account with fewer than ``min_queries`` queries (not tested).
    details hold the raw statistic and the p-value.
    """

    name: ClassVar[str] = "mmd"
    description: ClassVar[str] = ("MMD window test of an account's queries against benign reference queries "
                                  "(Liu et al., 2026)")

    window: int = 256
    reference_size: int = 256
    reference_pool: int = 4096
    permutations: int = 200
    min_queries: int = 10
    seed: int = 0
    encoder: Encoder | None = None

    reference_: np.ndarray | None = field(default=None, init=False, repr=False)
    bandwidth_: float | None = field(default=None, init=False, repr=False)
    reference_kernel_: np.ndarray | None = field(default=None, init=False, repr=False)

    def validate(self) -> None:
        _positive_int("window", self.window, 2)
        _positive_int("reference_size", self.reference_size, 2)
        _positive_int("reference_pool", self.reference_pool, self.reference_size)
        _positive_int("permutations", self.permutations, 0)
        _positive_int("min_queries", self.min_queries, 2)

    def fit(self, reference: LogPaths) -> None:
        self.validate()
        encoder = self.encoder or HashedNgrams()
        rng = np.random.default_rng(self.seed)
        pool: _Reservoir | None = None
        for batch in _batches(reference):
            vectors = encoder.encode(batch.column("prompt"))
            pool = pool or _Reservoir(self.reference_pool, vectors.shape[1])
            pool.add(vectors, rng)
        if pool is None or pool.seen < 2:
            raise ConfigError("the MMD detector's reference traffic holds fewer than 2 events")
        sample = pool.sample()
        self.bandwidth_ = _median_distance(sample[: min(len(sample), 1000)])
        self.reference_ = sample[rng.permutation(len(sample))[: self.reference_size]]
        self.reference_kernel_ = self._kernel(self.reference_, self.reference_)

    def score(self, logs: LogPaths) -> Scores:
        self.validate()
        if self.reference_ is None or self.bandwidth_ is None:
            raise ConfigError("the mmd detector compares accounts with benign reference traffic: call "
                              "fit(reference_logs) before score()")
        encoder = self.encoder or HashedNgrams()
        rng = np.random.default_rng(self.seed)
        accounts = _Accounts()
        samples: dict[int, _Reservoir] = {}
        events = 0
        for batch in _batches(logs):
            events += batch.num_rows
            codes = accounts.encode(batch.column("account_id"))
            vectors = encoder.encode(batch.column("prompt"))
            if vectors.shape[1] != self.reference_.shape[1]:
                raise ConfigError(f"the encoder gives {vectors.shape[1]}-dim vectors but the reference was fitted "
                                  f"with {self.reference_.shape[1]}: use the same encoder for fit and score")
            for code, rows in _by_account(codes, _timestamps(batch)):
                sample = samples.get(code)
                if sample is None:
                    sample = samples[code] = _Reservoir(self.window, vectors.shape[1])
                sample.add(vectors[rows], rng)
        out: dict[str, float] = {}
        details: dict[str, dict[str, float]] = {}
        for code, account in enumerate(accounts.ids):
            sample = samples[code]
            if sample.seen < self.min_queries:
                out[account] = 0.0
                details[account] = {"mmd2": 0.0, "p": 1.0, "queries": float(sample.seen)}
                continue
            mmd2, p = self.test(sample.sample(), rng)
            out[account] = max(mmd2, 0.0)
            details[account] = {"mmd2": mmd2, "p": p, "queries": float(sample.seen)}
        return Scores(accounts=out, events=events, details=details)

    def test(self, window: np.ndarray, rng: np.random.Generator) -> tuple[float, float]:
        """(unbiased MMD^2, permutation p-value) of ``window`` against the fitted reference sample."""
        if self.reference_ is None or self.bandwidth_ is None:
            raise ConfigError("call fit(reference_logs) before test()")
        ref = self.reference_
        if self.reference_kernel_ is None:
            self.reference_kernel_ = self._kernel(ref, ref)
        n, m = len(window), len(ref)
        kernel = np.empty((n + m, n + m), dtype=np.float32)
        kernel[:n, :n] = self._kernel(window, window)
        kernel[:n, n:] = self._kernel(window, ref)
        kernel[n:, :n] = kernel[:n, n:].T
        kernel[n:, n:] = self.reference_kernel_
        xx = float(kernel[:n, :n].sum(dtype=np.float64)) - n  # the diagonal k(x, x) = 1 is left out
        yy = float(self.reference_kernel_.sum(dtype=np.float64)) - m
        xy = float(kernel[:n, n:].sum(dtype=np.float64))
        mmd2 = xx / (n * (n - 1)) + yy / (m * (m - 1)) - 2.0 * xy / (n * m)
        if self.permutations == 0:
            return mmd2, float("nan")
        member = (np.argsort(rng.random((self.permutations, n + m)), axis=1) < n).astype(np.float32)
        null = _mmd2(kernel, member, n)
        # A relabelling equal to the observed one must count as at least as extreme despite rounding.
        return mmd2, float((1 + np.count_nonzero(null >= mmd2 - 1e-9)) / (self.permutations + 1))

    def _kernel(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        assert self.bandwidth_ is not None
        a, b = a.astype(np.float32), b.astype(np.float32)
        d2 = np.einsum("ij,ij->i", a, a)[:, None] + np.einsum("ij,ij->i", b, b)[None, :] - 2.0 * (a @ b.T)
        return np.exp(-np.maximum(d2, 0.0) / np.float32(2.0 * self.bandwidth_**2)).astype(np.float32)


def _mmd2(kernel: np.ndarray, member: np.ndarray, n: int) -> np.ndarray:
    """Unbiased MMD^2 for each row of ``member`` (1: in the row's n-sample, 0: in the other sample)."""
    m = kernel.shape[0] - n
    ka = member @ kernel
    within_x = np.einsum("ij,ij->i", ka, member, dtype=np.float64)  # includes the n terms k(x, x) = 1
    to_all = ka.sum(axis=1, dtype=np.float64)
    within_y = float(kernel.sum(dtype=np.float64)) - 2.0 * to_all + within_x
    between = to_all - within_x
    return (within_x - n) / (n * (n - 1)) + (within_y - m) / (m * (m - 1)) - 2.0 * between / (n * m)


def _median_distance(vectors: np.ndarray) -> float:
    sq = np.einsum("ij,ij->i", vectors, vectors).astype(np.float64)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2.0 * (vectors @ vectors.T), 0.0)
    upper = np.sqrt(d2[np.triu_indices(len(vectors), k=1)])
    positive = upper[upper > 0]
    return float(np.median(positive)) if len(positive) else 1.0


# --- distillguard ----------------------------------------------------------------------------------


@dataclass
class DistillguardDetector(Detector):
    """distillguard's own scan (:func:`distillguard.engines.local.analyse`): behaviour features scored by
    the shipped logistic model, accounts linked into clusters, each account scored by its own behaviour
    or its cluster's, whichever is higher. The weights are pre-fitted, so fit() does nothing.

    Score: the scan's final account score in [0, 1]. Clusters: the clusters the scan flags (cluster score at
    or above the review threshold), member account ids sorted, in the order of the scan's cluster ids.
    """

    name: ClassVar[str] = "distillguard"
    description: ClassVar[str] = "distillguard's scan: behaviour model + coordinated-account clusters"

    link_threshold: float = 0.9
    workers: int = 2

    def validate(self) -> None:
        if not 0.0 < self.link_threshold <= 1.0:
            raise ConfigError(f"link_threshold must be in (0, 1], got {self.link_threshold!r}")
        _positive_int("workers", self.workers)

    def score(self, logs: LogPaths) -> Scores:
        self.validate()
        from distillguard.engines.local import Thresholds, analyse  # the full engine: imported only when used

        # separate_reader=None: big logs are decoded in a child process, as `distillguard scan` does.
        analysis = analyse([Path(p) for p in logs], separate_reader=None, link_threshold=self.link_threshold,
                           workers=self.workers)
        ids = analysis.events.account_ids
        label = analysis.clusters.label
        order = np.argsort(-analysis.cluster_scores, kind="stable")
        flagged = [c for c in order.tolist() if analysis.cluster_scores[c] >= Thresholds().review]
        clusters = [sorted(ids[m] for m in np.flatnonzero(label == c).tolist()) for c in flagged]
        own = analysis.account_scores.tolist()
        return Scores(accounts=dict(zip(ids, analysis.final_scores.tolist(), strict=True)), clusters=clusters,
                      events=analysis.report.good,
                      details={a: {"own_score": s} for a, s in zip(ids, own, strict=True)})


# --- registry --------------------------------------------------------------------------------------

#: Every detector by name; a new detector is registered here and is then benchmarked like the others.
DETECTORS: Final[dict[str, type[Detector]]] = {
    cls.name: cls
    for cls in (VolumeDetector, PradaDetector, SeatDetector, MmdDetector, KeywordDetector, DistillguardDetector)
}


def make_detector(name: str, **options: Any) -> Detector:
    """The detector called ``name`` with ``options`` as its parameters; ConfigError names the valid choices."""
    cls = DETECTORS.get(name)
    if cls is None:
        raise ConfigError(f"unknown detector {name!r}; choose one of: {', '.join(DETECTORS)}")
    valid = [p for p in inspect.signature(cls).parameters if p != "self"]
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ConfigError(f"detector {name!r} has no option {unknown[0]!r}; its options: {', '.join(valid) or 'none'}")
    detector = cls(**options)
    detector.validate()
    return detector
