"""Model-level tests: did a suspect model learn from our watermarked outputs?

Sander et al. 2024, "Watermarking Makes Language Models Radioactive": a model trained on
watermarked text carries the watermark's bias into its own predictions.

- Open-model test (``open_test``): read our served, watermarked texts through the suspect and, at
  every position of each response (prompt tokens excluded), take its top-1 next-token prediction;
  score the pair (watermark window from our text, predicted token) with our key. Each pair is
  scored once over the whole run (deduplication), so memorised repeats do not count twice.
- Closed-model test (``closed_test``): prompt the suspect, score what it generates. Positions whose
  watermark window occurs in a prompt are left out (the prompt may carry the watermark and a model
  could copy it), and each (window, token) pair is scored once.

Both report the exact analytic p-value, the rank p-value against decoy keys, and the decoy p-values
(which must look uniform; their KS p-value is reported as a sanity check). The result is an
``Evidence`` record that reports and intel bundles carry as ``as_dict()``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np
from scipy import stats

from distillguard.errors import ConfigError
from distillguard.forensics.keys import AccountKey, MasterKey
from distillguard.forensics.watermark import (
    Detection,
    Watermark,
    WatermarkSpec,
    first_occurrences,
    pooled_detection,
    row_codes,
)


@dataclass(frozen=True)
class Served:
    """One served exchange: prompt and response token ids, and the key id logged with it ("" if none)."""

    account_id: str
    epoch: str
    key_id: str
    spec: str  # the watermark spec served, "" when not watermarked
    prompt: tuple[int, ...]
    response: tuple[int, ...]

    @property
    def ids(self) -> list[int]:
        return [*self.prompt, *self.response]

    def as_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "epoch": self.epoch, "key_id": self.key_id, "spec": self.spec,
                "prompt_ids": list(self.prompt), "response_ids": list(self.response)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Served:
        return cls(str(d["account_id"]), str(d["epoch"]), str(d.get("key_id", "")), str(d.get("spec", "")),
                   tuple(int(x) for x in d.get("prompt_ids", ())), tuple(int(x) for x in d["response_ids"]))


class Suspect(Protocol):
    """What the tests need from a suspect model (an n-gram student, a local LM, an endpoint)."""

    def top1(self, texts: Sequence[Sequence[int]], starts: Sequence[int]) -> list[np.ndarray]:
        """For each text, the top-1 next-token prediction at every position t >= start."""
        ...

    def generate(self, prompts: Sequence[Sequence[int]], max_new_tokens: int, *, seed: int = 0) -> list[list[int]]:
        """A sampled continuation of each prompt."""
        ...


class Keyring:
    """Resolves the key ids logged with served texts to watermarks, and derives their decoys.

    Watermarks are kept per (key id, spec): an account that changes tier inside an epoch keeps its key
    but changes scheme."""

    def __init__(self, master: MasterKey, *, decoys: int = 100) -> None:
        self.master = master
        self.decoys_per_key = decoys
        self._watermarks: dict[tuple[str, str], Watermark] = {}
        self._decoys: dict[tuple[str, str], list[Watermark]] = {}

    def add(self, key: AccountKey, spec: WatermarkSpec | str) -> Watermark:
        spec = WatermarkSpec.parse(spec) if isinstance(spec, str) else spec
        wm = spec.build(key.key, key.key_id)
        self._watermarks[(key.key_id, str(spec))] = wm
        return wm

    def for_served(self, served: Served) -> Watermark:
        """The watermark a served text was generated with, re-derived from the master key."""
        if not served.spec:
            raise ConfigError(f"a text served to {served.account_id!r} carries no watermark spec")
        spec = str(WatermarkSpec.parse(served.spec))
        if (served.key_id, spec) in self._watermarks:
            return self._watermarks[(served.key_id, spec)]
        key = self.master.account_key(served.account_id, served.epoch)
        if key.key_id != served.key_id:
            raise ConfigError(f"key id {served.key_id} is not account {served.account_id!r} in epoch "
                              f"{served.epoch!r} under this master key (wrong master key?)")
        return self.add(key, spec)

    def decoys(self, watermark: Watermark) -> list[Watermark]:
        """``decoys_per_key`` decoys of ``watermark``: the same scheme under keys derived for decoys only."""
        slot = (watermark.key_id, str(watermark.spec))
        if slot not in self._decoys:
            self._decoys[slot] = [watermark.with_key(self.master.decoy_key(watermark.key_id, j), f"decoy-{j}")
                                  for j in range(self.decoys_per_key)]
        return self._decoys[slot]


@dataclass(frozen=True)
class Evidence:
    """The record a radioactivity, canary or probe test produces (see docs/forensics.md, "Reading the evidence")."""

    method: str  # "radioactivity-open", "radioactivity-closed", "canary-exposure", "identity-probes", ...
    scheme: str  # watermark spec, "canary" for canaries, the measure for probes
    key_ids: tuple[str, ...]
    accounts: tuple[str, ...]
    suspect: str
    texts: int  # texts read (open), prompts sent (closed), canaries queried (canaries)
    tokens_read: int  # positions considered before deduplication and filters
    tokens_scored: int  # positions scored
    statistic: float
    expected: float
    z: float
    pvalue: float  # exact analytic p-value under "the suspect never learned from texts under these keys"
    log10_pvalue: float
    decoys: int = 0
    rank_pvalue: float | None = None  # decoy-key calibration: (1 + #decoys >= real) / (decoys + 1)
    decoy_pvalues: tuple[float, ...] = field(default=())
    decoy_ks_pvalue: float | None = None  # KS test of the decoy p-values against uniform (a sanity check)
    control_pvalue: float | None = None  # the same test on a reference model known not to be trained on ours
    notes: tuple[str, ...] = field(default=())
    # True for identity probes and response similarity: supporting evidence, never proof on its own
    supporting: bool = False
    measures: dict[str, float] = field(default_factory=dict)  # named figures (rates, mean similarities)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for name in ("key_ids", "accounts", "decoy_pvalues", "notes"):
            d[name] = list(d[name])
        return d

    def summary(self) -> str:
        if self.method.startswith("canary"):
            return f"{self.method}: {self.texts} canaries, Fisher p {self.pvalue:.3g}"
        if self.supporting:
            return f"{self.method} [{self.scheme}] {self.texts} prompts, p {self.pvalue:.3g} (supporting evidence only)"
        rank = f", rank p {self.rank_pvalue:.3g} vs {self.decoys} decoys" if self.rank_pvalue is not None else ""
        return (f"{self.method} [{self.scheme}] {self.tokens_scored:,}/{self.tokens_read:,} tokens scored, "
                f"z {self.z:.1f}, p {self.pvalue:.3g} (log10 {self.log10_pvalue:.1f}){rank}")


def _decoy_ks(detection: Detection) -> float | None:
    if not detection.decoy_pvalues:
        return None
    return float(stats.kstest(np.asarray(detection.decoy_pvalues), "uniform", alternative="greater").pvalue)


def _evidence(method: str, detection: Detection, *, accounts: Sequence[str], suspect: str, texts: int,
              control: Detection | None = None, notes: Sequence[str] = ()) -> Evidence:
    return Evidence(method, detection.scheme, tuple(detection.key_id.split(",")), tuple(dict.fromkeys(accounts)),
                    suspect, texts, detection.tokens, detection.scored, detection.statistic, detection.expected,
                    detection.z, detection.pvalue, detection.log10_pvalue, detection.decoys, detection.rank_pvalue,
                    detection.decoy_pvalues, _decoy_ks(detection),
                    control.pvalue if control is not None else None, tuple(notes))


def read_predictions(suspect: Suspect, texts: Sequence[Served]) -> list[np.ndarray]:
    """The suspect's top-1 prediction at every response position of each served text."""
    return suspect.top1([t.ids for t in texts], [len(t.prompt) for t in texts])


def _open_pairs(texts: Sequence[Served], predictions: Sequence[np.ndarray], watermarks: Sequence[Watermark]
                ) -> tuple[dict[tuple[str, str], tuple[Watermark, np.ndarray, np.ndarray]], int]:
    by_key: dict[tuple[str, str], tuple[Watermark, list[np.ndarray], list[np.ndarray]]] = {}
    considered = 0
    for text, preds, wm in zip(texts, predictions, watermarks, strict=True):
        ids = np.asarray(text.ids, dtype=np.int64)
        start = len(text.prompt)
        positions = np.arange(start, len(ids))
        if len(preds) != len(positions):
            raise ValueError(f"expected {len(positions)} predictions, got {len(preds)}")
        keep = positions >= wm.window
        positions, preds = positions[keep], np.asarray(preds, dtype=np.int64)[keep]
        considered += len(positions)
        windows = ids[positions[:, None] + np.arange(-wm.window, 0)[None, :]] if wm.window else np.zeros(
            (len(positions), 0), np.int64)
        if len(positions):
            # Leave out in-context copies: a position whose (window, predicted token) pair already occurs
            # earlier in the same text. A real LM reading watermarked text repeats pairs it has just read
            # (induction), which says nothing about its training: without this filter an untouched model
            # tests "radioactive" (the real-model run: p 4e-15 for the teacher itself, 0.23 with it).
            text_codes = row_codes(np.lib.stride_tricks.sliding_window_view(ids, wm.window + 1))
            codes, first = np.unique(text_codes, return_index=True)  # the pair ending at j starts at j - w
            predicted = row_codes(np.concatenate([windows, preds[:, None]], axis=1))
            at = np.minimum(np.searchsorted(codes, predicted), len(codes) - 1)
            copied = (codes[at] == predicted) & (first[at] + wm.window < positions)
            windows, preds = windows[~copied], preds[~copied]
        entry = by_key.setdefault((wm.key_id, str(wm.spec)), (wm, [], []))
        entry[1].append(windows)
        entry[2].append(preds)
    pairs = {}
    for key_id, (wm, ws, ts) in by_key.items():
        windows, tokens = np.concatenate(ws), np.concatenate(ts)
        keep = first_occurrences(row_codes(np.concatenate([windows, tokens[:, None]], axis=1))) if len(tokens) else \
            np.zeros(0, bool)
        pairs[key_id] = (wm, windows[keep], tokens[keep])
    return pairs, considered


def open_test(texts: Sequence[Served], predictions: Sequence[np.ndarray], keyring: Keyring, *,
              suspect: str = "suspect", reference: Sequence[np.ndarray] | None = None,
              notes: Sequence[str] = ()) -> Evidence:
    """The open-model (reading) test over ``texts`` with the suspect's ``predictions`` (from
    ``read_predictions``); ``reference``: a clean reference model's predictions on the same texts."""
    if not texts:
        raise ConfigError("the open test needs at least one served text")
    watermarks = [keyring.for_served(t) for t in texts]
    pairs, considered = _open_pairs(texts, predictions, watermarks)
    parts = list(pairs.values())
    decoys = [keyring.decoys(wm) for wm, _, _ in parts] if keyring.decoys_per_key else []
    detection = pooled_detection(parts, considered=considered, decoys=decoys)
    control = None
    if reference is not None:
        ref_pairs, ref_considered = _open_pairs(texts, reference, watermarks)
        control = pooled_detection(list(ref_pairs.values()), considered=ref_considered)
    return _evidence("radioactivity-open", detection, accounts=[t.account_id for t in texts], suspect=suspect,
                     texts=len(texts), control=control, notes=notes)


def collect_generations(suspect: Suspect, prompts: Sequence[Sequence[int]], max_new_tokens: int, *,
                        seed: int = 0) -> list[tuple[list[int], list[int]]]:
    """(prompt, generated continuation) for each prompt."""
    outs = suspect.generate(prompts, max_new_tokens, seed=seed)
    return [(list(p), list(o)) for p, o in zip(prompts, outs, strict=True)]


def closed_pairs(generations: Sequence[tuple[Sequence[int], Sequence[int]]], window: int
                 ) -> tuple[np.ndarray, np.ndarray, int]:
    """(windows, tokens, considered) over generated tokens only: windows seen in any prompt left out,
    each (window, token) pair once."""
    prompt_windows = []
    all_w, all_t = [], []
    considered = 0
    for prompt, out in generations:
        p = np.asarray(prompt, dtype=np.int64)
        ids = np.concatenate([p, np.asarray(out, dtype=np.int64)])
        if window and len(p) >= window:
            prompt_windows.append(np.lib.stride_tricks.sliding_window_view(p, window))
        positions = np.arange(max(len(p), window), len(ids))
        considered += len(positions)
        all_w.append(ids[positions[:, None] + np.arange(-window, 0)[None, :]] if window else
                     np.zeros((len(positions), 0), np.int64))
        all_t.append(ids[positions])
    windows, tokens = np.concatenate(all_w), np.concatenate(all_t)
    if prompt_windows and window:
        keep = ~np.isin(row_codes(windows), row_codes(np.concatenate(prompt_windows)))
        windows, tokens = windows[keep], tokens[keep]
    if len(tokens):
        keep = first_occurrences(row_codes(np.concatenate([windows, tokens[:, None]], axis=1)))
        windows, tokens = windows[keep], tokens[keep]
    return windows, tokens, considered


def closed_test(generations: Sequence[tuple[Sequence[int], Sequence[int]]], watermark: Watermark, *,
                decoys: Sequence[Watermark] = (), account: str = "", suspect: str = "suspect",
                reference: Sequence[tuple[Sequence[int], Sequence[int]]] | None = None,
                notes: Sequence[str] = ()) -> Evidence:
    """The closed-model test: score the suspect's ``generations`` under one account's watermark."""
    windows, tokens, considered = closed_pairs(generations, watermark.window)
    detection = watermark.detection(windows, tokens, considered=considered, dedup=False, decoys=decoys)
    control = None
    if reference is not None:
        rw, rt, rc = closed_pairs(reference, watermark.window)
        control = watermark.detection(rw, rt, considered=rc, dedup=False)
    return _evidence("radioactivity-closed", detection, accounts=[account] if account else [], suspect=suspect,
                     texts=len(generations), control=control, notes=notes)


def holm(pvalues: Mapping[str, float], alpha: float = 0.01) -> list[str]:
    """Names whose p-values the Holm-Bonferroni procedure rejects at family-wise error ``alpha``."""
    ordered = sorted(pvalues.items(), key=lambda kv: kv[1])
    m = len(ordered)
    named = []
    for i, (name, p) in enumerate(ordered):
        if p > alpha / (m - i):
            break
        named.append(name)
    return named


def randomized_pvalue(record: Detection | Evidence, rng: np.random.Generator) -> float:
    """A p-value exactly uniform under the null (for uniformity checks): KGW counts are discrete, so
    ``P(X > k) + U * P(X = k)``; continuous statistics keep their p-value."""
    spec = WatermarkSpec.parse(record.scheme)
    if spec.scheme not in ("kgw", "kgw-selfhash"):
        return record.pvalue
    n = record.scored if isinstance(record, Detection) else record.tokens_scored
    k = round(record.statistic)
    return float(stats.binom.sf(k, n, spec.gamma) + rng.random() * stats.binom.pmf(k, n, spec.gamma))
