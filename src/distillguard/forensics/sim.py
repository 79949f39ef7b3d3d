"""A seeded Markov "teacher" that serves (watermarked) responses, and n-gram "students" trained on them.

Everything is numpy and takes seconds, so the radioactivity experiment runs in CI. The teacher is a
first-order Markov chain over ``vocab_size`` tokens: each token's successors are a random support of
``support`` tokens with sparse Dirichlet(``alpha``) weights (smaller ``alpha``, lower entropy). A
student is an interpolated n-gram model (bigram or trigram, add-k smoothing at each order) that
exposes what a suspect model exposes: next-token distributions, top-1 predictions and generation.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from distillguard.errors import ConfigError
from distillguard.forensics.radioactivity import Served
from distillguard.forensics.watermark import Watermark, sample_from_logits


class MarkovTeacher:
    """A first-order Markov language model with controlled entropy (sparse Dirichlet transitions)."""

    def __init__(self, vocab_size: int = 2000, *, support: int = 48, alpha: float = 0.3, seed: int = 0) -> None:
        if support > vocab_size:
            raise ConfigError("support must not exceed vocab_size")
        self.vocab_size = vocab_size
        rng = np.random.default_rng(seed)
        self.successors = np.argsort(rng.random((vocab_size, vocab_size)), axis=1)[:, :support].astype(np.int64)
        probs = rng.dirichlet(np.full(support, alpha), size=vocab_size)
        self.logprobs = np.log(np.maximum(probs, 1e-300))
        self.seed = seed

    def entropy_bits(self) -> float:
        """Mean next-token entropy over the rows, in bits."""
        p = np.exp(self.logprobs)
        return float(-(p * np.log2(np.maximum(p, 1e-300))).sum(axis=1).mean())

    def prompts(self, count: int, length: int, rng: np.random.Generator) -> np.ndarray:
        """Unwatermarked token sequences from the chain, used as user prompts."""
        return self.generate(rng.integers(0, self.vocab_size, size=(count, 1)), length - 1, rng)

    def generate(self, prefixes: np.ndarray, new_tokens: int, rng: np.random.Generator,
                 watermark: Watermark | None = None) -> np.ndarray:
        """Continue each row of ``prefixes`` (B, L) by ``new_tokens``; returns (B, L + new_tokens)."""
        out = np.zeros((len(prefixes), prefixes.shape[1] + new_tokens), dtype=np.int64)
        out[:, : prefixes.shape[1]] = prefixes
        rows = np.arange(len(out))
        for t in range(prefixes.shape[1], out.shape[1]):
            prev = out[:, t - 1]
            candidates = self.successors[prev]
            logits = self.logprobs[prev]
            if watermark is not None and t >= watermark.window:
                windows = out[:, t - watermark.window: t]
                logits = watermark.bias_batch(logits, candidates, windows)
            out[:, t] = candidates[rows, sample_from_logits(logits, rng)]
        return out

    def serve(self, account_id: str, epoch: str, prompts: np.ndarray, response_len: int, rng: np.random.Generator,
              watermark: Watermark | None = None) -> list[Served]:
        """Answer each prompt with a response of ``response_len`` tokens, watermarked if given."""
        full = self.generate(prompts, response_len, rng, watermark)
        key_id = watermark.key_id if watermark is not None else ""
        spec = str(watermark.spec) if watermark is not None else ""
        p = prompts.shape[1]
        return [Served(account_id, epoch, key_id, spec, tuple(int(x) for x in row[:p]), tuple(int(x) for x in row[p:]))
                for row in full]


class NGramStudent:
    """An interpolated bigram or trigram model with add-k smoothing at each order.

    ``P(c | a, b) = l3 * (n_abc + k) / (n_ab + kV) + l2 * (n_bc + k) / (n_b + kV) + l1 * (n_c + k) / (N + kV)``.
    Learned state ends in ``_``. Implements the suspect interface used by ``radioactivity``."""

    def __init__(self, vocab_size: int = 2000, *, order: int = 3, k: float = 0.001,
                 weights: tuple[float, ...] | None = None) -> None:
        if order not in (2, 3):
            raise ConfigError("n-gram students have order 2 (bigram) or 3 (trigram)")
        self.vocab_size = vocab_size
        self.order = order
        self.k = k
        self.weights = weights or ((0.9, 0.1) if order == 2 else (0.6, 0.3, 0.1))
        if len(self.weights) != order or abs(sum(self.weights) - 1) > 1e-9:
            raise ConfigError(f"weights must be {order} numbers summing to 1, highest order first")

    # -- training --------------------------------------------------------------------------------
    def fit(self, sequences: Sequence[Sequence[int]]) -> NGramStudent:
        V = self.vocab_size
        seqs = [np.asarray(s, dtype=np.int64) for s in sequences if len(s)]
        flat = np.concatenate(seqs) if seqs else np.zeros(0, np.int64)
        self.unigram_counts_ = np.bincount(flat, minlength=V).astype(np.float64)
        bi = np.concatenate([s[:-1] * V + s[1:] for s in seqs if len(s) > 1]) if seqs else np.zeros(0, np.int64)
        self.bigram_counts_ = np.bincount(bi, minlength=V * V).reshape(V, V).astype(np.float32)
        if self.order == 3:
            tri = [(s[:-2] * V + s[1:-1]) * V + s[2:] for s in seqs if len(s) > 2]
            keys, counts = np.unique(np.concatenate(tri) if tri else np.zeros(0, np.int64), return_counts=True)
            self.trigram_keys_, self.trigram_counts_ = keys, counts.astype(np.float64)
        self._prepare()
        return self

    def _prepare(self) -> None:
        V, k = self.vocab_size, self.k
        l_low = self.weights[-2:]  # (l2, l1)
        self.p1_ = (self.unigram_counts_ + k) / (self.unigram_counts_.sum() + k * V)
        rows = self.bigram_counts_.sum(axis=1, keepdims=True)
        self.p2_ = ((self.bigram_counts_ + k) / (rows + k * V)).astype(np.float32)
        # the bigram-level mixture: the whole model for order 2, the lower orders for order 3
        self.lower_ = (l_low[0] * self.p2_ + l_low[1] * self.p1_[None, :]).astype(np.float32)
        self.lower_top_ = self.lower_.argmax(axis=1)
        self.lower_best_ = self.lower_.max(axis=1)
        if self.order == 3:
            ctx = self.trigram_keys_ // V
            self.ctx_keys_, starts = np.unique(ctx, return_index=True)
            self.ctx_starts_ = starts
            self.ctx_counts_ = np.add.reduceat(self.trigram_counts_, starts) if len(starts) else np.zeros(0)
            # top-1 of every seen (a, b) context, exact: the best seen continuation, or the best unseen one
            # (whose trigram term is the constant k / (n_ab + kV), so it is the lower model's top token)
            l3 = self.weights[0]
            c = self.trigram_keys_ % V
            b = (self.trigram_keys_ // V) % V
            denom = np.repeat(self.ctx_counts_ + k * V, np.diff(np.append(starts, len(c))))
            score = l3 * (self.trigram_counts_ + k) / denom + self.lower_[b, c]
            order = np.lexsort((-score, np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(c))))))
            first = order[starts] if len(starts) else np.zeros(0, np.int64)
            seen_best, seen_top = score[first], c[first]
            ctx_b = self.ctx_keys_ % V
            unseen = l3 * k / (self.ctx_counts_ + k * V) + self.lower_best_[ctx_b]
            self.ctx_top_ = np.where(seen_best >= unseen, seen_top, self.lower_top_[ctx_b])

    # -- the suspect interface --------------------------------------------------------------------
    @property
    def context(self) -> int:
        return self.order - 1

    def _ctx_index(self, a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        key = a * self.vocab_size + b
        idx = np.searchsorted(self.ctx_keys_, key)
        idx = np.minimum(idx, max(len(self.ctx_keys_) - 1, 0))
        found = (self.ctx_keys_[idx] == key) if len(self.ctx_keys_) else np.zeros(len(key), bool)
        return idx, found

    def top1_contexts(self, contexts: np.ndarray) -> np.ndarray:
        """Top-1 next token for each context row (n, order - 1)."""
        contexts = np.asarray(contexts, dtype=np.int64)
        if self.order == 2:
            return self.lower_top_[contexts[:, -1]]
        idx, found = self._ctx_index(contexts[:, 0], contexts[:, 1])
        top = self.lower_top_[contexts[:, 1]]
        if len(self.ctx_keys_):
            top = np.where(found, self.ctx_top_[idx], top)
        return top

    def top1(self, texts: Sequence[Sequence[int]], starts: Sequence[int]) -> list[np.ndarray]:
        """For each text, the top-1 prediction at every position t >= start (given the tokens before t;
        the first positions of a text use the lower orders)."""
        out = []
        for ids, start in zip(texts, starts, strict=True):
            ids = np.asarray(ids, dtype=np.int64)
            positions = np.arange(start, len(ids))
            preds = np.zeros(len(positions), dtype=np.int64)
            full = positions >= self.context
            if full.any():
                pos = positions[full]
                ctx = np.stack([ids[pos - self.context + j] for j in range(self.context)], axis=1)
                preds[full] = self.top1_contexts(ctx)
            short = positions[~full]
            if len(short):
                first = int(np.argmax(self.p1_))
                preds[~full] = np.where(short > 0, self.lower_top_[ids[np.maximum(short - 1, 0)]], first)
            out.append(preds)
        return out

    def next_probs(self, contexts: np.ndarray) -> np.ndarray:
        """Dense next-token distributions (n, V) for context rows (n, order - 1)."""
        contexts = np.asarray(contexts, dtype=np.int64)
        probs = self.lower_[contexts[:, -1]].astype(np.float64)
        if self.order == 3:
            V, k, l3 = self.vocab_size, self.k, self.weights[0]
            idx, found = self._ctx_index(contexts[:, 0], contexts[:, 1])
            n_ctx = np.where(found, self.ctx_counts_[idx] if len(self.ctx_counts_) else 0.0, 0.0)
            probs += (l3 * k / (n_ctx + k * V))[:, None]
            rows = np.flatnonzero(found)
            if len(rows):
                lo = self.ctx_starts_[idx[rows]]
                hi = np.append(self.ctx_starts_, len(self.trigram_keys_))[idx[rows] + 1]
                lengths = hi - lo
                row_of = np.repeat(rows, lengths)
                entry = np.repeat(lo - np.cumsum(np.append(0, lengths[:-1])), lengths) + np.arange(lengths.sum())
                cols = self.trigram_keys_[entry] % V
                np.add.at(probs, (row_of, cols), l3 * self.trigram_counts_[entry] / (n_ctx[row_of] + k * V))
        return probs

    def logprob(self, contexts: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """log P(token | context) for rows of contexts (n, order - 1) and tokens (n,)."""
        contexts = np.asarray(contexts, dtype=np.int64)
        tokens = np.asarray(tokens, dtype=np.int64)
        p = self.lower_[contexts[:, -1], tokens].astype(np.float64)
        if self.order == 3:
            V, k, l3 = self.vocab_size, self.k, self.weights[0]
            idx, found = self._ctx_index(contexts[:, 0], contexts[:, 1])
            n_ctx = np.where(found, self.ctx_counts_[idx] if len(self.ctx_counts_) else 0.0, 0.0)
            key = (contexts[:, 0] * V + contexts[:, 1]) * V + tokens
            j = np.minimum(np.searchsorted(self.trigram_keys_, key), max(len(self.trigram_keys_) - 1, 0))
            n_abc = np.where(self.trigram_keys_[j] == key, self.trigram_counts_[j], 0.0) if len(j) and len(
                self.trigram_keys_) else np.zeros(len(key))
            p += l3 * (n_abc + k) / (n_ctx + k * V)
        return np.log(p)

    def score_continuations(self, prefix: Sequence[int], continuations: Sequence[Sequence[int]]) -> np.ndarray:
        """Total log-probability of each continuation after ``prefix`` (all continuations one length)."""
        cont = np.asarray(continuations, dtype=np.int64)
        n, m = cont.shape
        pre = np.asarray(prefix, dtype=np.int64)
        full = np.concatenate([np.broadcast_to(pre, (n, len(pre))), cont], axis=1)
        total = np.zeros(n)
        for t in range(len(pre), len(pre) + m):
            if t < self.context:
                continue
            total += self.logprob(full[:, t - self.context: t], full[:, t])
        return total

    def sample_next(self, contexts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One draw of the next token per context row, exact, without building dense distributions: pick
        a mixture component (seen trigram counts, the add-k uniform part, the lower orders), then a token."""
        contexts = np.asarray(contexts, dtype=np.int64)
        n, V = len(contexts), self.vocab_size
        prev = contexts[:, -1]
        if not hasattr(self, "_lower_cum"):
            self._lower_cum = (np.cumsum(self.lower_, axis=1, dtype=np.float64)
                               / self.lower_.sum(axis=1, keepdims=True) + np.arange(V)[:, None]).ravel()
        u = rng.random(n)
        low = np.minimum(np.searchsorted(self._lower_cum, prev + u, side="right") - prev * V, V - 1)
        if self.order == 2:
            return low
        l3, k = self.weights[0], self.k
        idx, found = self._ctx_index(contexts[:, 0], contexts[:, 1])
        n_ctx = np.where(found, self.ctx_counts_[idx] if len(self.ctx_counts_) else 0.0, 0.0)
        w_seen = l3 * n_ctx / (n_ctx + k * V)
        w_unif = l3 * k * V / (n_ctx + k * V)
        pick = rng.random(n)
        out = low.copy()
        unif = (pick >= w_seen) & (pick < w_seen + w_unif)
        out[unif] = rng.integers(0, V, size=int(unif.sum()))
        seen = pick < w_seen
        if seen.any():
            if not hasattr(self, "_tri_cum"):
                self._tri_cum = np.cumsum(self.trigram_counts_)
            start = self.ctx_starts_[idx[seen]]
            before = np.where(start > 0, self._tri_cum[np.maximum(start - 1, 0)], 0.0)
            target = before + rng.random(int(seen.sum())) * n_ctx[seen]
            entry = np.searchsorted(self._tri_cum, target, side="right")
            out[seen] = self.trigram_keys_[np.minimum(entry, len(self.trigram_keys_) - 1)] % V
        return out

    def generate(self, prompts: Sequence[Sequence[int]], max_new_tokens: int, *, seed: int = 0,
                 temperature: float = 1.0) -> list[list[int]]:
        """Sample a continuation of ``max_new_tokens`` for each prompt (prompts at least ``order - 1`` long)."""
        rng = np.random.default_rng(seed)
        if any(len(p) < self.context for p in prompts):
            raise ConfigError(f"prompts must have at least {self.context} tokens")
        width = max((len(p) for p in prompts), default=0)
        buf = np.zeros((len(prompts), width + max_new_tokens), dtype=np.int64)
        lengths = np.asarray([len(p) for p in prompts])
        for i, p in enumerate(prompts):
            buf[i, : len(p)] = p
        rows = np.arange(len(prompts))
        for step in range(max_new_tokens):
            at = lengths + step
            ctx = np.stack([buf[rows, at - self.context + j] for j in range(self.context)], axis=1)
            if temperature == 1.0:
                nxt = self.sample_next(ctx, rng)
            else:
                nxt = sample_from_logits(np.log(np.maximum(self.next_probs(ctx), 1e-300)) / max(temperature, 1e-6), rng)
            buf[rows, at] = nxt
        return [buf[i, lengths[i]: lengths[i] + max_new_tokens].tolist() for i in rows]

    # -- files -----------------------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write the counts (sparse) to an ``.npz`` file that ``load`` reads back."""
        V = self.vocab_size
        flat = self.bigram_counts_.ravel()
        nz = np.flatnonzero(flat)
        arrays = {"vocab_size": np.array(V), "order": np.array(self.order), "k": np.array(self.k),
                  "weights": np.array(self.weights), "unigram": self.unigram_counts_,
                  "bigram_keys": nz.astype(np.int64), "bigram_counts": flat[nz].astype(np.float64)}
        if self.order == 3:
            arrays |= {"trigram_keys": self.trigram_keys_, "trigram_counts": self.trigram_counts_}
        with open(path, "wb") as f:
            np.savez_compressed(f, **arrays)

    @classmethod
    def load(cls, path: Path) -> NGramStudent:
        try:
            z = np.load(path, allow_pickle=False)
            V, order = int(z["vocab_size"]), int(z["order"])
            model = cls(V, order=order, k=float(z["k"]), weights=tuple(float(w) for w in z["weights"]))
            model.unigram_counts_ = z["unigram"].astype(np.float64)
            bigram = np.zeros(V * V, dtype=np.float32)
            bigram[z["bigram_keys"]] = z["bigram_counts"]
            model.bigram_counts_ = bigram.reshape(V, V)
            if order == 3:
                model.trigram_keys_ = z["trigram_keys"].astype(np.int64)
                model.trigram_counts_ = z["trigram_counts"].astype(np.float64)
        except (OSError, KeyError, ValueError) as exc:
            raise ConfigError(f"{path}: not an n-gram model file ({exc})") from exc
        model._prepare()
        return model
