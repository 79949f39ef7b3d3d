"""Decoding watermarks behind one interface: bias the logits given the context; score a token sequence.

Schemes (all keyed by an account key, see ``keys.py``):

- ``kgw`` (Kirchenbauer et al. 2023, "A Watermark for Large Language Models"): a pseudorandom "green"
  share ``gamma`` of the vocabulary, chosen from a hash of the previous ``h`` tokens (``h`` = 0..4;
  0 is a fixed green list), gets ``delta`` added to its logits. Detection counts green tokens; under
  the null each scored (context, token) pair is green with probability ``gamma``, so the count is
  Binomial(n, gamma) and the p-value is its exact upper tail (the z-score is reported beside it).
- ``kgw-selfhash`` (Kirchenbauer et al. 2024, "On the Reliability of Watermarks for Large Language
  Models", Algorithm 3): the green test of a candidate token hashes the previous ``h - 1`` tokens
  *and the candidate itself*, with an anchored min-hash (the minimum over the window of a hash of
  each token paired with the candidate), so an edit inside the window changes the list only if it
  changes the minimum. A candidate is favoured when it is green under its own seed.
- ``gumbel`` (Aaronson 2022; Kuditipudi et al. 2023, "Robust Distortion-free Watermarks"): every
  token ``v`` gets a keyed uniform ``r_v`` from a hash of the previous ``h`` tokens and the sampler
  picks ``argmax r_v ** (1 / p_v)``, which is distributed exactly as ``p`` over keys. Detection sums
  ``-log(1 - r_x)`` over the chosen tokens: Gamma(n, 1) under the null, exact upper tail.

Detection always (1) leaves out prompt tokens, (2) scores each (context, token) pair once
(repeated pairs are not independent evidence), and (3) can score the same pairs under decoy keys
and report the rank p-value beside the analytic one; that one is valid without any independence
assumption between tokens (only exchangeability of keys under the null).

The pseudorandom function is a keyed 64-bit mix (splitmix64 finaliser rounds) of the window and
the token, vectorised with numpy; it is seeded from the account key through SHA-256. It is *not* a
cryptographic PRF: it keeps keys unguessable, not green lists unlearnable from many outputs (see
docs/forensics.md, limitations).
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, ClassVar

import numpy as np
from scipy import special, stats

from distillguard.errors import ConfigError

_U64 = np.uint64
_M1 = _U64(0xBF58476D1CE4E5B9)
_M2 = _U64(0x94D049BB133111EB)
_GOLDEN = _U64(0x9E3779B97F4A7C15)
_S30, _S27, _S31, _S11 = _U64(30), _U64(27), _U64(31), _U64(11)
_LN10 = float(np.log(10.0))
# a fixed, public key for hashing rows (dedup and prompt filters): not a secret, only a row code
_ROW_WORDS = np.frombuffer(hashlib.sha256(b"distillguard-row-code").digest(), dtype="<u8").copy()


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijective 64-bit mix with full avalanche."""
    x = x ^ (x >> _S30)
    x = x * _M1
    x = x ^ (x >> _S27)
    x = x * _M2
    return x ^ (x >> _S31)


def _tok(x: np.ndarray) -> np.ndarray:
    return (np.asarray(x).astype(_U64) + _U64(1)) * _GOLDEN


def _chain(words: np.ndarray, windows: np.ndarray) -> np.ndarray:
    """Order-dependent hash of each row of ``windows`` (shape (..., w)); w = 0 gives a constant."""
    acc = np.full(windows.shape[:-1], words[0], dtype=_U64)
    for j in range(windows.shape[-1]):
        acc = _mix(acc ^ _tok(windows[..., j]))
    return acc


def _to_unit(x: np.ndarray) -> np.ndarray:
    """uint64 -> float in (0, 1): 53 high bits, never exactly 0."""
    return ((x >> _S11).astype(np.float64) + 0.5) * 2.0**-53


def row_codes(rows: np.ndarray) -> np.ndarray:
    """A 64-bit code per row of an integer array (n, w): equal rows, equal codes (used for dedup)."""
    rows = np.asarray(rows, dtype=np.int64)
    with np.errstate(over="ignore"):
        return _mix(_chain(_ROW_WORDS, rows) ^ _ROW_WORDS[1])


def first_occurrences(codes: np.ndarray) -> np.ndarray:
    """Boolean mask keeping the first occurrence of every code, in order."""
    keep = np.zeros(len(codes), dtype=bool)
    if len(codes):
        _, first = np.unique(codes, return_index=True)
        keep[first] = True
    return keep


def binomial_tail(successes: int, n: int, p: float) -> tuple[float, float]:
    """P(X >= successes) for X ~ Binomial(n, p), and its log10 (exact, via scipy.stats; far tails
    that underflow are summed in log space so the log10 stays finite)."""
    if n == 0 or successes <= 0:
        return 1.0, 0.0
    if successes > n:
        return 0.0, -np.inf
    logp = float(stats.binom.logsf(successes - 1, n, p))
    if not np.isfinite(logp) or logp < -600:
        logp = float(special.logsumexp(stats.binom.logpmf(np.arange(successes, n + 1), n, p)))
    return float(np.exp(logp)), logp / _LN10


def gamma_tail(total: float, n: int) -> tuple[float, float]:
    """P(S >= total) for S a sum of n independent Exp(1) (Gamma(n, 1)), and its log10. For integer n
    the tail is exactly exp(-x) * sum_{i<n} x^i / i!, summed in log space when scipy underflows."""
    if n == 0 or total <= 0:
        return 1.0, 0.0
    logp = float(stats.gamma.logsf(total, n))
    if not np.isfinite(logp) or logp < -600:
        i = np.arange(n)
        logp = float(-total + special.logsumexp(i * np.log(total) - special.gammaln(i + 1)))
    return float(np.exp(logp)), logp / _LN10


def rank_pvalue(statistic: float, decoy_statistics: Sequence[float]) -> float:
    """(1 + #decoys scoring at least as high) / (decoys + 1): valid whenever the real key and the
    decoys are exchangeable under the null, whatever the dependence between tokens."""
    decoys = np.asarray(decoy_statistics, dtype=float)
    return float((1 + np.count_nonzero(decoys >= statistic)) / (len(decoys) + 1))


@dataclass(frozen=True)
class Detection:
    """The outcome of scoring tokens under one key."""

    scheme: str  # the watermark spec, e.g. "kgw:h=1,gamma=0.25,delta=3.0"
    key_id: str
    tokens: int  # positions considered (after the prompt and the first h tokens)
    scored: int  # after deduplication and filters
    statistic: float  # green count (kgw) or sum of -log(1 - r) (gumbel)
    expected: float  # the statistic's mean under the null
    z: float  # (statistic - expected) / null standard deviation
    pvalue: float  # exact analytic tail probability
    log10_pvalue: float  # kept when pvalue underflows to 0
    decoys: int = 0
    rank_pvalue: float | None = None  # decoy-key calibration; None without decoys
    decoy_pvalues: tuple[float, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["decoy_pvalues"] = list(self.decoy_pvalues)
        return d


@dataclass(frozen=True)
class WatermarkSpec:
    """A watermark's scheme and parameters, without the key: ``kgw:h=1,gamma=0.25,delta=3.0``."""

    scheme: str
    context_width: int = 1
    gamma: float = 0.25
    delta: float = 2.0

    SCHEMES: ClassVar[tuple[str, ...]] = ("kgw", "kgw-selfhash", "gumbel", "synthid")

    @classmethod
    def parse(cls, text: str) -> WatermarkSpec:
        scheme, _, rest = text.strip().partition(":")
        if scheme not in cls.SCHEMES:
            raise ConfigError(f"unknown watermark scheme {scheme!r} in {text!r}; schemes: {', '.join(cls.SCHEMES)}")
        values: dict[str, Any] = {}
        for item in filter(None, (p.strip() for p in rest.split(","))):
            name, _, value = item.partition("=")
            try:
                if name == "h":
                    values["context_width"] = int(value)
                elif name in ("gamma", "delta"):
                    values[name] = float(value)
                else:
                    raise ValueError(name)
            except ValueError:
                raise ConfigError(f"bad watermark parameter {item!r} in {text!r}; use h=, gamma=, delta=") from None
        spec = cls(scheme, **values)
        spec.validate()
        return spec

    def validate(self) -> None:
        if not 0 <= self.context_width <= 8:
            raise ConfigError(f"watermark context width h={self.context_width} must be 0..8")
        if self.scheme == "kgw-selfhash" and self.context_width < 1:
            raise ConfigError("kgw-selfhash needs h >= 1 (the token itself is part of the window)")
        if not 0 < self.gamma < 1:
            raise ConfigError(f"gamma={self.gamma} must lie strictly between 0 and 1")

    def __str__(self) -> str:
        if self.scheme in ("gumbel",):
            return f"{self.scheme}:h={self.context_width}"
        return f"{self.scheme}:h={self.context_width},gamma={self.gamma:g},delta={self.delta:g}"

    def build(self, key: bytes, key_id: str) -> Watermark:
        if self.scheme == "kgw":
            return KGW(key, key_id, context_width=self.context_width, gamma=self.gamma, delta=self.delta)
        if self.scheme == "kgw-selfhash":
            return KGW(key, key_id, context_width=self.context_width, gamma=self.gamma, delta=self.delta,
                       self_hash=True)
        if self.scheme == "gumbel":
            return Gumbel(key, key_id, context_width=self.context_width)
        from distillguard.forensics.hf import SynthIDWatermark  # needs transformers; imported lazily

        return SynthIDWatermark(key, key_id, context_width=self.context_width)


class Watermark(ABC):
    """One interface for every scheme: ``bias`` for generation, ``score`` for detection.

    ``window`` is the number of previous tokens the scheme hashes. Subclasses implement
    ``token_scores``, ``null_tail`` and ``bias_batch``; everything else (pairs, dedup, prompt
    exclusion, decoys) is shared."""

    spec: WatermarkSpec

    def __init__(self, key: bytes, key_id: str) -> None:
        self.key = key
        self.key_id = key_id
        self._words = np.frombuffer(hashlib.sha256(b"prf\x00" + key).digest(), dtype="<u8").copy()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec}, key_id={self.key_id!r})"

    @property
    def window(self) -> int:
        """Previous tokens a scored position needs."""
        return self.spec.context_width

    def with_key(self, key: bytes, key_id: str) -> Watermark:
        """The same scheme and parameters under another key (a decoy, or another account)."""
        return self.spec.build(key, key_id)

    # -- the scheme ---------------------------------------------------------------------------
    @abstractmethod
    def token_scores(self, windows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """Per-token detection score of each (window, token) pair, shape (n,)."""

    @abstractmethod
    def null_tail(self, statistic: float, n: int) -> tuple[float, float, float, float]:
        """(pvalue, log10 pvalue, null mean, null sd) of the summed score of n scored tokens."""

    @abstractmethod
    def bias_batch(self, logits: np.ndarray, candidates: np.ndarray, windows: np.ndarray) -> np.ndarray:
        """Watermarked logits for ``candidates`` (B, m) with ``logits`` (B, m), ``windows`` (B, window).

        Sampling from ``softmax`` of the result draws a watermarked token (for ``gumbel`` all mass is
        on one candidate). Apply after temperature and top-k/top-p."""

    # -- generation ---------------------------------------------------------------------------
    def bias(self, logits: np.ndarray, context_ids: Sequence[int]) -> np.ndarray:
        """Watermarked logits over the whole vocabulary for the next token after ``context_ids``.

        With fewer than ``window`` tokens of context the logits come back unchanged."""
        logits = np.asarray(logits, dtype=np.float64)
        if len(context_ids) < self.window:
            return logits.copy()
        windows = np.asarray(list(context_ids[len(context_ids) - self.window:]), dtype=np.int64)[None, :]
        vocab = np.arange(logits.shape[-1], dtype=np.int64)[None, :]
        return self.bias_batch(logits[None, :], vocab, windows)[0]

    # -- detection ----------------------------------------------------------------------------
    def pairs(self, token_ids: Sequence[int] | np.ndarray, prompt_len: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """(windows, tokens) for every position from ``max(prompt_len, window)`` on."""
        ids = np.asarray(token_ids, dtype=np.int64)
        start = max(prompt_len, self.window)
        positions = np.arange(start, len(ids))
        if len(positions) == 0:
            return np.zeros((0, self.window), dtype=np.int64), np.zeros(0, dtype=np.int64)
        offsets = np.arange(-self.window, 0)
        windows = ids[positions[:, None] + offsets[None, :]] if self.window else np.zeros((len(positions), 0), np.int64)
        return windows, ids[positions]

    def detection(self, windows: np.ndarray, tokens: np.ndarray, *, considered: int | None = None,
                  dedup: bool = True, decoys: Sequence[Watermark] = ()) -> Detection:
        """Score (window, token) pairs: dedup, the analytic tail, and decoy calibration if given."""
        windows = np.asarray(windows, dtype=np.int64).reshape(len(tokens), self.window)
        tokens = np.asarray(tokens, dtype=np.int64)
        if dedup and len(tokens):
            keep = first_occurrences(row_codes(np.concatenate([windows, tokens[:, None]], axis=1)))
            windows, tokens = windows[keep], tokens[keep]
        statistic = float(self.token_scores(windows, tokens).sum()) if len(tokens) else 0.0
        n = len(tokens)
        pvalue, log10p, mean, sd = self.null_tail(statistic, n)
        z = (statistic - mean) / sd if sd > 0 else 0.0
        result = Detection(str(self.spec), self.key_id, considered if considered is not None else n, n,
                           statistic, mean, float(z), pvalue, log10p)
        if decoys:
            decoy_stats = [float(d.token_scores(windows, tokens).sum()) if n else 0.0 for d in decoys]
            decoy_p = tuple(d.null_tail(s, n)[0] for d, s in zip(decoys, decoy_stats, strict=True))
            result = replace(result, decoys=len(decoys), rank_pvalue=rank_pvalue(statistic, decoy_stats),
                             decoy_pvalues=decoy_p)
        return result

    def score(self, token_ids: Sequence[int] | np.ndarray, *, prompt_len: int = 0,
              exclude_windows: Iterable[Sequence[int]] = (), dedup: bool = True,
              decoys: Sequence[Watermark] = ()) -> Detection:
        """Detect the watermark in one text: prompt tokens excluded, repeated pairs scored once,
        positions whose window is in ``exclude_windows`` left out (e.g. windows seen in a prompt)."""
        windows, tokens = self.pairs(token_ids, prompt_len)
        considered = len(tokens)
        excluded = [tuple(w) for w in exclude_windows]
        if excluded and len(tokens):
            bad = row_codes(np.asarray(excluded, dtype=np.int64).reshape(len(excluded), self.window))
            keep = ~np.isin(row_codes(windows), bad)
            windows, tokens = windows[keep], tokens[keep]
        return self.detection(windows, tokens, considered=considered, dedup=dedup, decoys=decoys)


class KGW(Watermark):
    """Kirchenbauer et al.'s green-list watermark; ``self_hash=True`` is their self-hash variant."""

    def __init__(self, key: bytes, key_id: str, *, context_width: int = 1, gamma: float = 0.25,
                 delta: float = 2.0, self_hash: bool = False) -> None:
        super().__init__(key, key_id)
        self.spec = WatermarkSpec("kgw-selfhash" if self_hash else "kgw", context_width, gamma, delta)
        self.spec.validate()
        self.gamma = gamma
        self.delta = delta
        self.self_hash = self_hash

    @property
    def window(self) -> int:
        return self.spec.context_width - 1 if self.self_hash else self.spec.context_width

    def uniforms(self, windows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """Keyed uniforms in (0, 1): ``windows`` (n, window) with ``tokens`` (n,) or (n, m)."""
        windows = np.asarray(windows, dtype=np.int64)
        tokens = np.asarray(tokens, dtype=np.int64)
        w = self._words
        with np.errstate(over="ignore"):
            if not self.self_hash:
                seed = _chain(w, windows)
                if tokens.ndim == 2:
                    seed = seed[:, None]
            else:  # anchored min-hash over the window and the token itself, anchored on the token
                anchor = _mix(_tok(tokens) ^ w[3])
                seed = _mix(_mix(_tok(tokens) ^ w[0]) ^ anchor)
                for j in range(windows.shape[-1]):
                    col = windows[:, j][:, None] if tokens.ndim == 2 else windows[:, j]
                    seed = np.minimum(seed, _mix(_mix(_tok(col) ^ w[0]) ^ anchor))
            x = _mix(_mix(seed ^ w[1]) ^ _tok(tokens))
            return _to_unit(_mix(x ^ w[2]))

    def green(self, windows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        return self.uniforms(windows, tokens) < self.gamma

    def token_scores(self, windows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        return self.green(windows, tokens).astype(np.float64)

    def null_tail(self, statistic: float, n: int) -> tuple[float, float, float, float]:
        p, log10p = binomial_tail(round(statistic), n, self.gamma)
        return p, log10p, n * self.gamma, float(np.sqrt(n * self.gamma * (1 - self.gamma)))

    def bias_batch(self, logits: np.ndarray, candidates: np.ndarray, windows: np.ndarray) -> np.ndarray:
        return logits + self.delta * self.green(windows, candidates)


class Gumbel(Watermark):
    """The Gumbel/exponential scheme: sample ``argmax r_v ** (1/p_v)``; detect with ``-log(1 - r)``."""

    def __init__(self, key: bytes, key_id: str, *, context_width: int = 4) -> None:
        super().__init__(key, key_id)
        self.spec = WatermarkSpec("gumbel", context_width)
        self.spec.validate()

    def uniforms(self, windows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """Keyed uniforms in (0, 1): ``windows`` (n, window) with ``tokens`` (n,) or (n, m)."""
        tokens = np.asarray(tokens, dtype=np.int64)
        w = self._words
        with np.errstate(over="ignore"):
            seed = _chain(w, np.asarray(windows, dtype=np.int64))
            if tokens.ndim == 2:
                seed = seed[:, None]
            x = _mix(_mix(seed ^ w[1]) ^ _tok(tokens))
            return _to_unit(_mix(x ^ w[2]))

    def token_scores(self, windows: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        return -np.log1p(-self.uniforms(windows, tokens))

    def null_tail(self, statistic: float, n: int) -> tuple[float, float, float, float]:
        p, log10p = gamma_tail(statistic, n)
        return p, log10p, float(n), float(np.sqrt(n))

    def bias_batch(self, logits: np.ndarray, candidates: np.ndarray, windows: np.ndarray) -> np.ndarray:
        logits = np.asarray(logits, dtype=np.float64)
        shifted = logits - logits.max(axis=1, keepdims=True)
        probs = np.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        r = self.uniforms(windows, candidates)
        with np.errstate(divide="ignore"):
            keyed = np.where(probs > 0, np.log(r) / np.maximum(probs, 1e-300), -np.inf)
        chosen = keyed.argmax(axis=1)
        out = np.full_like(logits, -np.inf)
        out[np.arange(len(out)), chosen] = 0.0
        return out


def sample_from_logits(logits: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Index of one draw per row from ``softmax(logits)`` (rows of shape (B, m))."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    probs = np.exp(shifted)
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(logits))[:, None] * cum[:, -1:]
    return np.minimum((cum < u).sum(axis=1), logits.shape[1] - 1)


def pooled_detection(parts: Sequence[tuple[Watermark, np.ndarray, np.ndarray]], *, considered: int,
                     decoys: Sequence[Sequence[Watermark]] = ()) -> Detection:
    """One test over pairs scored under several keys of one spec (e.g. an account's epochs).

    ``parts`` are (watermark, windows, tokens), already deduplicated per key; ``decoys[i]`` are the
    decoys of ``parts[i]``'s key (the same number for each). Statistics add; under the null the
    pooled statistic has the same family of tails (a sum of Bernoulli(gamma), or of Exp(1))."""
    if not parts:
        raise ValueError("pooled_detection needs at least one part")
    specs = {str(p[0].spec) for p in parts}
    if len(specs) != 1:
        raise ConfigError(f"cannot pool different watermark specs: {sorted(specs)}")
    lead = parts[0][0]
    n = sum(len(t) for _, _, t in parts)
    statistic = sum(float(wm.token_scores(w, t).sum()) for wm, w, t in parts if len(t))
    pvalue, log10p, mean, sd = lead.null_tail(statistic, n)
    key_ids = ",".join(dict.fromkeys(wm.key_id for wm, _, _ in parts))
    result = Detection(str(lead.spec), key_ids, considered, n, statistic, mean,
                       float((statistic - mean) / sd) if sd > 0 else 0.0, pvalue, log10p)
    if decoys:
        count = len(decoys[0])
        decoy_stats = []
        for j in range(count):
            decoy_stats.append(sum(float(decoys[i][j].token_scores(w, t).sum())
                                   for i, (_, w, t) in enumerate(parts) if len(t)))
        decoy_p = tuple(lead.null_tail(s, n)[0] for s in decoy_stats)
        result = replace(result, decoys=count, rank_pvalue=rank_pvalue(statistic, decoy_stats), decoy_pvalues=decoy_p)
    return result
