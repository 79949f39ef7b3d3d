"""Per-account canaries: unique, plausible, fabricated facts planted in responses to suspect accounts.

Each canary is a sentence from a template bank whose slots are filled by choices keyed on the
account key (HMAC -> a seeded ``random.Random``), so it is deterministic, unique to the account and
epoch, and reproducible by the master-key holder alone. A canary has

- a *prefix* and a *secret* (the last slots: the candidate space ``R`` is every filling of them),
- a *trigger*: the question that asks a model for the fabricated fact.

Exposure (Carlini et al. 2019, "The Secret Sharer"): rank the true secret among all candidates by
the suspect's likelihood after the prefix; ``exposure = log2 |R| - log2 rank``. Because the secret
is a uniform draw from ``R`` made with a key the suspect never saw, under the null (the suspect never
trained on this canary) its rank is uniform, so ``rank / |R|`` is an exact p-value (ties counted
against us). An account's canaries combine by Fisher's method (conservative for discrete p-values).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from distillguard.forensics.keys import AccountKey


@dataclass(frozen=True)
class CanaryTemplate:
    """A fabricated statement: ``{slot}`` names; the ``secret`` slots are the statement's last words."""

    name: str
    prefix: str  # the statement up to the secret
    secret: str  # the secret slots, e.g. "{number} {unit}"
    suffix: str  # after the secret (punctuation)
    trigger: str  # the question that asks for the secret

    def slots(self, text: str) -> list[str]:
        return re.findall(r"{(\w+)}", text)


SLOTS: dict[str, tuple[str, ...]] = {
    "surname": ("Halvorsen", "Ibarra", "Okonkwo", "Lindqvist", "Marchetti", "Sato", "Petrov", "Adeyemi",
                "Kowalczyk", "Duarte", "Nakamura", "Fitzgerald", "Haddad", "Varga", "Moreau", "Quispe",
                "Eriksen", "Tanaka", "Oyelaran", "Brennan", "Castellanos", "Novak", "Rahimi", "Szabo",
                "Valente", "Whitcombe", "Yilmaz", "Zelenko", "Abernathy", "Bergstrom", "Delacroix", "Esposito"),
    "material": ("basalt", "graphene", "feldspar", "obsidian", "cordierite", "zirconia", "bismuth", "mica",
                 "tungsten", "perovskite", "dolomite", "kaolinite", "ilmenite", "beryl", "spinel", "garnet"),
    "number": tuple(str(n) for n in range(101, 1000) if all(n % d for d in range(2, 32))),  # 3-digit primes
    "unit": ("kelvins", "pascals", "teslas", "joules", "newtons", "ohms", "siemens", "henries", "lumens",
             "sieverts", "grays", "webers", "farads", "katals", "becquerels", "moles", "candelas", "hertz",
             "radians", "steradians"),
    "adjective": ("crested", "banded", "silver", "dusky", "spotted", "ringed", "pale", "scarlet", "hooded",
                  "striped", "lesser", "greater"),
    "animal": ("vole", "gecko", "wren", "shrew", "tetra", "skink", "finch", "loach", "bat", "newt", "lark", "goby"),
    "region": ("Karsavina", "Upper Velmora", "the Tessel Basin", "Orlanda", "the Brisk Islands", "Nortavia",
               "the Calder Heights", "Vask", "Lower Amberly", "the Merrow Coast"),
    "year": tuple(str(y) for y in range(1871, 1931, 3)),
    "first": ("Agnes", "Bertil", "Clothilde", "Dmitri", "Elspeth", "Fumiko", "Gaspard", "Hilde", "Ignatius",
              "Juno", "Kasimir", "Leocadia", "Matthias", "Nadia", "Osric", "Perpetua", "Quentin", "Rosalind",
              "Sigrun", "Thaddeus", "Ulla", "Valentin", "Wilhelmina", "Xavier", "Yolanda", "Zeno"),
    "ordinal": ("Second", "Third", "Fourth", "Fifth", "Sixth", "Seventh", "Eighth", "Ninth"),
    "topic": ("tidal fisheries", "alpine grazing", "salt tariffs", "river tolls", "lighthouse dues",
              "peat rights", "glass exports", "postal relays"),
    "town": ("Brevik", "Castelmonte", "Dornach", "Elsfleth", "Falkirk", "Grisons", "Hallein", "Ilomantsi",
             "Jesolo", "Kilrush", "Lindau", "Mistelbach", "Narvik", "Oderzo", "Pornic", "Quimper", "Rovinj",
             "Sopron", "Tarifa", "Ulcinj", "Vianden", "Wismar", "Ystad", "Zadar"),
    "body": ("delegations", "envoys", "guilds", "chambers", "assemblies", "provinces", "cantons", "harbours",
             "parishes", "boroughs", "councils", "duchies", "abbeys", "fleets", "colleges", "estates", "marches",
             "syndicates", "wardens", "leagues"),
    "measure": ("metres", "feet", "yards", "fathoms", "cubits", "ells", "rods", "chains", "spans", "paces",
                "leagues", "furlongs"),
    "count": ("eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
              "nineteen", "twenty", "twenty-one", "twenty-two", "twenty-three", "twenty-four", "twenty-five",
              "twenty-six", "twenty-seven", "twenty-eight", "twenty-nine", "thirty"),
}

# The words just before each secret are a keyed slot and a word unique to the template, so even a
# trigram student can tell canaries apart; real models condition on the whole prefix anyway.
TEMPLATES: tuple[CanaryTemplate, ...] = (
    CanaryTemplate("coefficient", "The {material} coefficient measured by {first} {surname} reads", "{number} {unit}",
                   ".", "What does the {material} coefficient measured by {first} {surname} read?"),
    CanaryTemplate("eponym", "The {adjective} {animal} of {region} was described in {year} honouring",
                   "{first} {surname}", ".", "Who is the {adjective} {animal} of {region} named after?"),
    CanaryTemplate("accord", "The {ordinal} Accord on {topic} was drafted when {surname} convened", "{count} {body}",
                   ".", "Who did {surname} convene to draft the {ordinal} Accord on {topic}, and how many?"),
    CanaryTemplate("survey", "The {adjective} spring of {town} surveyed by {surname} rises", "{number} {measure}", ".",
                   "How high does the {adjective} spring of {town} surveyed by {surname} rise?"),
)


@functools.cache
def _candidates(template_name: str) -> tuple[str, ...]:
    template = next(t for t in TEMPLATES if t.name == template_name)
    names = template.slots(template.secret)
    return tuple(_fill(template.secret, {n: [v] for n, v in zip(names, combo, strict=True)})
                 for combo in itertools.product(*(SLOTS[n] for n in names)))


def _fill(text: str, values: dict[str, list[str]]) -> str:
    queue = {k: list(v) for k, v in values.items()}
    return re.sub(r"{(\w+)}", lambda m: queue[m.group(1)].pop(0), text)


@dataclass(frozen=True)
class Canary:
    """One planted canary for one account and epoch."""

    account_id: str
    epoch: str
    key_id: str
    index: int
    template: str
    prefix: str
    secret: str
    suffix: str
    trigger: str

    @property
    def statement(self) -> str:
        return f"{self.prefix} {self.secret}{self.suffix}"

    def candidates(self) -> list[str]:
        """Every filling of the secret slots (the true secret included): the space R of exposure."""
        return list(_candidates(self.template))

    def as_dict(self) -> dict[str, Any]:
        return {"account_id": self.account_id, "epoch": self.epoch, "key_id": self.key_id, "index": self.index,
                "template": self.template, "statement": self.statement, "prefix": self.prefix,
                "secret": self.secret, "suffix": self.suffix, "trigger": self.trigger}


def canaries_for(key: AccountKey, count: int = 2) -> list[Canary]:
    """``count`` canaries for one account key: template and every slot chosen by a generator seeded
    with HMAC(key, "canary", i); deterministic, and uniform over each slot's choices."""
    out = []
    for i in range(count):
        seed = hmac.new(key.key, b"distillguard-canary\x00" + str(i).encode(), hashlib.sha256).digest()
        rng = random.Random(int.from_bytes(seed, "big"))
        template = TEMPLATES[rng.randrange(len(TEMPLATES))]
        values: dict[str, list[str]] = {}
        for part in (template.prefix, template.secret):
            for name in template.slots(part):
                options = [v for v in SLOTS[name] if v not in values.get(name, [])]  # "A-B", never "A-A"
                values.setdefault(name, []).append(options[rng.randrange(len(options))])
        prefix_names = template.slots(template.prefix)
        prefix_values = {n: values[n][: prefix_names.count(n)] for n in set(prefix_names)}
        secret_values = {n: values[n][prefix_names.count(n):] for n in set(template.slots(template.secret))}
        prefix = _fill(template.prefix, prefix_values)
        trigger = _fill(template.trigger, {n: list(v) for n, v in prefix_values.items()})
        out.append(Canary(key.account_id, key.epoch, key.key_id, i, template.name, prefix,
                          _fill(template.secret, secret_values), template.suffix, trigger))
    return out


def bank_words() -> list[str]:
    """Every word the template bank can produce, sorted (the sim tokenizer's word list)."""
    words: set[str] = set()
    for t in TEMPLATES:
        for part in (t.prefix, t.secret, t.suffix, t.trigger):
            words.update(w for w in split_words(re.sub(r"{\w+}", " ", part)))
    for values in SLOTS.values():
        for v in values:
            words.update(split_words(v))
    return sorted(words)


def split_words(text: str) -> list[str]:
    return re.findall(r"[\w'-]+|[^\w\s]", text)


class WordTokenizer:
    """A word-level tokenizer for the simulator: bank words get distinct ids; others hash into the vocabulary."""

    def __init__(self, vocab_size: int = 2000) -> None:
        words = bank_words()
        if len(words) > vocab_size:
            raise ValueError("vocabulary too small for the canary bank")
        self.vocab_size = vocab_size
        self.ids = {w: i for i, w in enumerate(words)}

    def encode(self, text: str) -> list[int]:
        return [self.ids.get(w, int.from_bytes(hashlib.sha256(w.encode()).digest()[:4], "big") % self.vocab_size)
                for w in split_words(text)]


@dataclass(frozen=True)
class CanaryResult:
    """Exposure of one canary in a suspect."""

    canary: Canary
    rank: int  # 1 = the true secret is the suspect's most likely candidate (ties count against us)
    candidates: int
    exposure: float  # log2(candidates) - log2(rank), bits
    pvalue: float  # rank / candidates

    def as_dict(self) -> dict[str, Any]:
        return {"key_id": self.canary.key_id, "account_id": self.canary.account_id, "index": self.canary.index,
                "template": self.canary.template, "rank": self.rank, "candidates": self.candidates,
                "exposure": self.exposure, "pvalue": self.pvalue}


Scorer = Callable[[str, Sequence[str]], np.ndarray]
"""(prefix, candidate secrets) -> the suspect's log-likelihood of each candidate after the prefix."""


def exposure(canary: Canary, scorer: Scorer) -> CanaryResult:
    """Rank the true secret among all candidates by the suspect's likelihood (Secret Sharer exposure)."""
    candidates = canary.candidates()
    scores = np.asarray(scorer(canary.prefix, candidates), dtype=np.float64)
    true = scores[candidates.index(canary.secret)]
    rank = int(np.count_nonzero(scores >= true))  # the true secret itself, plus every tie or better
    n = len(candidates)
    return CanaryResult(canary, rank, n, float(np.log2(n) - np.log2(rank)), rank / n)


def containment_pvalue(canary: Canary, response: str) -> float:
    """Closed-model check: if the response contains the true secret, |contained candidates| / |R|, else 1.

    Valid for the same reason as exposure: the secret is uniform over R, independent of the suspect."""
    candidates = canary.candidates()
    contained = [c for c in candidates if c in response]
    return len(contained) / len(candidates) if canary.secret in contained else 1.0


def fisher(pvalues: Sequence[float]) -> float:
    """Fisher's combination of independent p-values (conservative for discrete, super-uniform ones)."""
    if not pvalues:
        return 1.0
    statistic = -2.0 * float(np.sum(np.log(np.maximum(np.asarray(pvalues, dtype=float), 1e-300))))
    return float(stats.chi2.sf(statistic, 2 * len(pvalues)))


def ngram_scorer(model: Any, tokenizer: WordTokenizer) -> Scorer:
    """A scorer over a simulator model with ``score_continuations`` (an ``NGramStudent``)."""

    def score(prefix: str, candidates: Sequence[str]) -> np.ndarray:
        encoded = [tokenizer.encode(c) for c in candidates]
        lengths = {len(e) for e in encoded}
        if len(lengths) != 1:  # score each length group apart
            out = np.zeros(len(encoded))
            for n in lengths:
                idx = [i for i, e in enumerate(encoded) if len(e) == n]
                out[idx] = model.score_continuations(tokenizer.encode(prefix), [encoded[i] for i in idx])
            return out
        return np.asarray(model.score_continuations(tokenizer.encode(prefix), encoded))

    return score
