"""The radioactivity experiment: a watermarked Markov teacher, n-gram students, every test, in seconds.

Arms (each a function, so tests can run them apart; ``run_experiment`` runs them all):

- ``share_sweep``: students trained on corpora with a watermarked share of 0..100%; the open and
  closed tests on each, with decoy keys.
- ``control_uniformity``: clean students read texts watermarked under many keys; their p-values must
  be uniform (randomised p-values, KS test).
- ``text_level``: TPR at FPR <= 1% of every scheme on 200-token texts.
- ``account_arm``: 50 accounts with their own keys and canaries; 3 harvest and train a student; the
  watermark and canary tests, corrected for 50 accounts (Holm), must name exactly those 3.
- ``attack_arm``: where detection fails (substitution, a paraphrase stand-in, the attacker
  subtracting the bias with leaked or estimated green lists). Reported, never asserted.
- ``probe_arm``: response similarity (supporting evidence): a student distilled from our teacher and a
  student of an unrelated teacher answer the same prompts as our model and two unrelated references.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from distillguard.forensics.canaries import Canary, WordTokenizer, canaries_for, exposure, fisher, ngram_scorer
from distillguard.forensics.keys import MasterKey
from distillguard.forensics.radioactivity import (
    Evidence,
    Keyring,
    closed_test,
    collect_generations,
    holm,
    open_test,
    randomized_pvalue,
    read_predictions,
)
from distillguard.forensics.sim import MarkovTeacher, NGramStudent, Served
from distillguard.forensics.watermark import KGW, Watermark, WatermarkSpec, sample_from_logits

EPOCH = "2026-W45"


@dataclass(frozen=True)
class ExperimentConfig:
    """Sizes and parameters of the experiment; the defaults are what CI runs."""

    seed: int = 0
    vocab_size: int = 2000
    support: int = 48  # successors per token in the teacher
    alpha: float = 0.1  # Dirichlet concentration: lower, less entropy
    spec: str = "kgw:h=1,gamma=0.25,delta=3.0"  # the suspect-tier watermark
    prompt_len: int = 8
    response_len: int = 200
    corpus_texts: int = 2000  # texts per student
    shares: tuple[float, ...] = (0.0, 0.01, 0.05, 0.1, 0.5, 1.0)
    orders: tuple[int, ...] = (2, 3)  # bigram and trigram students
    decoys: int = 100
    closed_prompts: int = 200
    closed_tokens: int = 100
    control_keys: int = 40
    control_texts: int = 30
    text_level_texts: int = 500
    text_level_specs: tuple[str, ...] = ("kgw:h=0,gamma=0.25,delta=2.0", "kgw:h=1,gamma=0.25,delta=2.0",
                                         "kgw:h=2,gamma=0.25,delta=2.0", "kgw:h=3,gamma=0.25,delta=2.0",
                                         "kgw:h=4,gamma=0.25,delta=2.0", "kgw-selfhash:h=4,gamma=0.25,delta=2.0",
                                         "kgw:h=1,gamma=0.25,delta=3.0", "gumbel:h=4")
    accounts: int = 50
    harvesters: int = 3
    account_texts: int = 20
    harvester_texts: int = 60
    canaries: int = 3
    canary_copies: int = 3  # responses each canary is planted in
    background_texts: int = 1000  # clean texts the account-arm student also trains on
    alpha_fwer: float = 0.01  # family-wise error over accounts (Holm)
    attack_share: float = 0.1
    attack_texts: int = 1000
    probe_prompts: int = 40  # prompts for response similarity
    probe_tokens: int = 50  # tokens per answer
    probe_texts: int = 1000  # training texts of each probe-arm model
    probe_permutations: int = 2000


@dataclass
class World:
    """The shared setting: teacher, master key, keyring, the harvesting account and the text pools."""

    config: ExperimentConfig
    teacher: MarkovTeacher
    master: MasterKey
    keyring: Keyring
    watermark: Watermark
    served: list[Served]  # watermarked, served to the harvesting account
    held_out: list[Served]  # watermarked, served to it but never trained on (read for a 0% student)
    clean: list[Served]  # unwatermarked teacher texts
    prompts: list[list[int]]  # fresh prompts for the closed test
    rng: np.random.Generator


def build_world(config: ExperimentConfig = ExperimentConfig()) -> World:
    rng = np.random.default_rng(config.seed)
    teacher = MarkovTeacher(config.vocab_size, support=config.support, alpha=config.alpha, seed=config.seed)
    master = MasterKey(np.random.default_rng(config.seed + 1).bytes(32))
    keyring = Keyring(master, decoys=config.decoys)
    watermark = keyring.add(master.account_key("acct_harvester", EPOCH), config.spec)

    def serve(account: str, count: int, wm: Watermark | None) -> list[Served]:
        return teacher.serve(account, EPOCH, teacher.prompts(count, config.prompt_len, rng), config.response_len,
                             rng, wm)

    served = serve("acct_harvester", config.corpus_texts, watermark)
    held_out = serve("acct_harvester", 200, watermark)
    clean = serve("acct_clean", config.corpus_texts, None)
    prompts = [list(map(int, p)) for p in teacher.prompts(config.closed_prompts, config.prompt_len, rng)]
    return World(config, teacher, master, keyring, watermark, served, held_out, clean, prompts, rng)


def student_name(order: int) -> str:
    return {2: "bigram", 3: "trigram"}[order]


# -- the share sweep ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ShareRow:
    share: float
    student: str
    open: Evidence
    closed: Evidence


def train_student(world: World, share: float, order: int, *, texts: int | None = None) -> tuple[NGramStudent,
                                                                                                list[Served]]:
    """A student on ``texts`` texts of which ``share`` were served (watermarked) to the harvester; returns
    it and the watermarked texts it trained on."""
    n = texts or world.config.corpus_texts
    n_wm = round(share * n)
    harvested = world.served[:n_wm]
    corpus = [s.ids for s in harvested] + [s.ids for s in world.clean[: n - n_wm]]
    return NGramStudent(world.config.vocab_size, order=order).fit(corpus), harvested


def both_tests(world: World, suspect: Any, read: Sequence[Served], name: str,
               generations: list[tuple[list[int], list[int]]] | None = None) -> tuple[Evidence, Evidence]:
    opened = open_test(read, read_predictions(suspect, read), world.keyring, suspect=name)
    gens = generations or collect_generations(suspect, world.prompts, world.config.closed_tokens,
                                              seed=world.config.seed + 7)
    closed = closed_test(gens, world.watermark, decoys=world.keyring.decoys(world.watermark),
                         account="acct_harvester", suspect=name)
    return opened, closed


def share_sweep(world: World) -> list[ShareRow]:
    rows = []
    for order in world.config.orders:
        for share in world.config.shares:
            student, harvested = train_student(world, share, order)
            read = harvested or world.held_out  # what we served to the account: read it through the suspect
            opened, closed = both_tests(world, student, read, f"{student_name(order)}@{share:.0%}")
            rows.append(ShareRow(share, student_name(order), opened, closed))
    return rows


# -- control uniformity ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Controls:
    open_pvalues: tuple[float, ...]  # randomised p-values of clean students reading texts under their keys
    closed_pvalues: tuple[float, ...]
    open_ks: float  # KS p-value against uniform
    closed_ks: float


def control_uniformity(world: World) -> Controls:
    """Clean students (never shown a watermark) read texts watermarked under ``control_keys`` keys, and
    their generations are scored under the same keys: every p-value is a null p-value."""
    c = world.config
    rng = np.random.default_rng(c.seed + 11)
    half = len(world.clean) // 2
    students = [NGramStudent(c.vocab_size, order=o).fit([s.ids for s in part])
                for o in c.orders for part in (world.clean[:half], world.clean[half:])]
    ring = Keyring(world.master, decoys=0)
    served = []
    for j in range(c.control_keys):
        wm = ring.add(world.master.account_key(f"acct_control_{j}", EPOCH), c.spec)
        prompts = world.teacher.prompts(c.control_texts, c.prompt_len, rng)
        served.append(world.teacher.serve(f"acct_control_{j}", EPOCH, prompts, c.response_len, rng, wm))
    open_p, closed_p = [], []
    for i, student in enumerate(students):
        gens = collect_generations(student, world.prompts, c.closed_tokens, seed=c.seed + 100 + i)
        for texts in served:
            ev = open_test(texts, read_predictions(student, texts), ring, suspect="control")
            open_p.append(randomized_pvalue(ev, rng))
            wm = ring.for_served(texts[0])
            closed_p.append(randomized_pvalue(closed_test(gens, wm), rng))
    return Controls(tuple(open_p), tuple(closed_p), float(stats.kstest(open_p, "uniform").pvalue),
                    float(stats.kstest(closed_p, "uniform").pvalue))


# -- text level -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class TextLevelRow:
    spec: str
    texts: int
    tpr_at_1pct_fpr: float  # threshold: the empirical 1% quantile of clean texts' p-values
    threshold: float
    tpr_at_p01: float  # at the analytic threshold p < 0.01
    fpr_at_p01: float
    mean_scored: float


def tpr_at_fpr(watermarked: np.ndarray, clean: np.ndarray, fpr: float) -> tuple[float, float]:
    """(TPR, threshold): flag p-values strictly below the largest threshold that flags at most ``fpr``
    of the clean texts (ties count against the detector)."""
    clean_sorted = np.sort(clean)
    allowed = int(np.floor(fpr * len(clean_sorted)))
    threshold = float(clean_sorted[allowed]) if allowed < len(clean_sorted) else np.inf
    return float(np.mean(watermarked < threshold)), threshold


def text_level(world: World) -> list[TextLevelRow]:
    c = world.config
    rng = np.random.default_rng(c.seed + 21)
    prompts = world.teacher.prompts(c.text_level_texts, c.prompt_len, rng)
    clean = world.teacher.generate(prompts, c.response_len, rng)
    rows = []
    for spec in c.text_level_specs:
        key = world.master.account_key("acct_text_level", spec)
        wm = WatermarkSpec.parse(spec).build(key.key, key.key_id)
        marked = world.teacher.generate(prompts, c.response_len, rng, wm)
        dm = [wm.score(r, prompt_len=c.prompt_len) for r in marked]
        pm = np.array([d.pvalue for d in dm])
        pc = np.array([wm.score(r, prompt_len=c.prompt_len).pvalue for r in clean])
        tpr, threshold = tpr_at_fpr(pm, pc, 0.01)
        rows.append(TextLevelRow(spec, len(marked), tpr, threshold, float(np.mean(pm < 0.01)),
                                 float(np.mean(pc < 0.01)), float(np.mean([d.scored for d in dm]))))
    return rows


# -- the per-account arm --------------------------------------------------------------------------
@dataclass(frozen=True)
class AccountArm:
    accounts: tuple[str, ...]
    harvesters: tuple[str, ...]
    watermark_pvalues: dict[str, float]
    canary_pvalues: dict[str, float]
    named_by_watermark: tuple[str, ...]
    named_by_canaries: tuple[str, ...]
    alpha: float


def plant(served: Served, canary_ids: list[int], rng: np.random.Generator) -> Served:
    """The response with a canary statement inserted at a random position (what the gateway's degrade
    action does for suspect accounts)."""
    at = int(rng.integers(0, len(served.response) + 1))
    response = (*served.response[:at], *canary_ids, *served.response[at:])
    return Served(served.account_id, served.epoch, served.key_id, served.spec, served.prompt, response)


def account_arm(world: World) -> AccountArm:
    return _account_arm(world)[0]


def _account_arm(world: World) -> tuple[AccountArm, NGramStudent, dict[str, list[Served]]]:
    c = world.config
    rng = np.random.default_rng(c.seed + 31)
    tokenizer = WordTokenizer(c.vocab_size)
    accounts = [f"acct_{i:02d}" for i in range(c.accounts)]
    harvesters = sorted(rng.choice(accounts, size=c.harvesters, replace=False).tolist())
    ring = Keyring(world.master, decoys=0)
    served: dict[str, list[Served]] = {}
    canaries: dict[str, list[Canary]] = {}
    for account in accounts:
        key = world.master.account_key(account, EPOCH)
        wm = ring.add(key, c.spec)
        count = c.harvester_texts if account in harvesters else c.account_texts
        texts = world.teacher.serve(account, EPOCH, world.teacher.prompts(count, c.prompt_len, rng), c.response_len,
                                    rng, wm)
        canaries[account] = canaries_for(key, c.canaries)
        for canary in canaries[account]:
            ids = tokenizer.encode(canary.statement)
            for i in rng.choice(len(texts), size=min(c.canary_copies, len(texts)), replace=False):
                texts[i] = plant(texts[i], ids, rng)
        served[account] = texts
    corpus = [s.ids for a in harvesters for s in served[a]] + [s.ids for s in world.clean[: c.background_texts]]
    student = NGramStudent(c.vocab_size, order=3).fit(corpus)
    scorer = ngram_scorer(student, tokenizer)
    wm_p = {a: open_test(served[a], read_predictions(student, served[a]), ring, suspect="student").pvalue
            for a in accounts}
    canary_p = {a: fisher([exposure(k, scorer).pvalue for k in canaries[a]]) for a in accounts}
    arm = AccountArm(tuple(accounts), tuple(harvesters), wm_p, canary_p,
                     tuple(sorted(holm(wm_p, c.alpha_fwer))), tuple(sorted(holm(canary_p, c.alpha_fwer))),
                     c.alpha_fwer)
    return arm, student, served


# -- the attack arm -------------------------------------------------------------------------------
@dataclass(frozen=True)
class AttackRow:
    attack: str
    parameter: str
    open_pvalue: float
    open_log10: float
    open_z: float
    closed_pvalue: float
    closed_log10: float
    closed_z: float
    detected: bool  # either test below 1e-3 (one-sided: too many green tokens)


class BiasSubtracted:
    """A suspect whose logits the attacker corrected: ``delta`` subtracted from the tokens it believes
    green (after the previous token). ``green(prev, candidates)`` -> bool array."""

    def __init__(self, student: NGramStudent, green: Any, delta: float, top: int = 64) -> None:
        self.student = student
        self.green = green
        self.delta = delta
        self.top = top

    def _adjusted(self, contexts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        probs = self.student.next_probs(contexts)
        cand = np.argpartition(-probs, self.top, axis=1)[:, : self.top]
        logits = np.log(np.take_along_axis(probs, cand, axis=1))
        return cand, logits - self.delta * self.green(contexts[:, -1:], cand)

    def top1(self, texts: Sequence[Sequence[int]], starts: Sequence[int]) -> list[np.ndarray]:
        ctx_n = self.student.context
        out = []
        for ids, start in zip(texts, starts, strict=True):
            ids = np.asarray(ids, dtype=np.int64)
            positions = np.arange(max(start, ctx_n), len(ids))
            ctx = np.stack([ids[positions - ctx_n + j] for j in range(ctx_n)], axis=1)
            cand, logits = self._adjusted(ctx)
            preds = cand[np.arange(len(cand)), logits.argmax(axis=1)]
            pad = np.full(max(start, ctx_n) - start, self.student.lower_top_[0], dtype=np.int64)
            out.append(np.concatenate([pad, preds]))
        return out

    def generate(self, prompts: Sequence[Sequence[int]], max_new_tokens: int, *, seed: int = 0) -> list[list[int]]:
        rng = np.random.default_rng(seed)
        rows = [list(p) for p in prompts]
        for _ in range(max_new_tokens):
            ctx = np.asarray([r[-self.student.context:] for r in rows], dtype=np.int64)
            cand, logits = self._adjusted(ctx)
            nxt = cand[np.arange(len(cand)), sample_from_logits(logits, rng)]
            for r, t in zip(rows, nxt, strict=True):
                r.append(int(t))
        return [r[len(p):] for r, p in zip(rows, prompts, strict=True)]


def _substitute(world: World, texts: list[Served], rate: float, rng: np.random.Generator) -> list[list[int]]:
    """Each response token replaced with probability ``rate`` by a clean teacher draw after the previous token."""
    out = []
    for s in texts:
        ids = list(s.ids)
        for t in range(len(s.prompt), len(ids)):
            if rng.random() < rate:
                prev = ids[t - 1]
                probs = np.exp(world.teacher.logprobs[prev])
                ids[t] = int(world.teacher.successors[prev][rng.choice(len(probs), p=probs / probs.sum())])
        out.append(ids)
    return out


def _paraphrase(world: World, texts: list[Served], rate: float, rng: np.random.Generator, span: int = 8
                ) -> list[list[int]]:
    """A paraphrase stand-in: each span of ``span`` response tokens is rewritten with probability ``rate``
    by the clean teacher continuing from the token before it (clause-level rewrites)."""
    out = []
    for s in texts:
        ids = np.asarray(s.ids, dtype=np.int64)
        for start in range(len(s.prompt), len(ids), span):
            if rng.random() < rate:
                end = min(start + span, len(ids))
                new = world.teacher.generate(ids[None, start - 1: start], end - start, rng)[0, 1:]
                ids[start:end] = new
        out.append(ids.tolist())
    return out


def attack_arm(world: World) -> list[AttackRow]:
    c = world.config
    rng = np.random.default_rng(c.seed + 41)
    n, share = min(c.attack_texts, c.corpus_texts // 2), c.attack_share
    n_wm = round(share * n)
    harvested = world.served[:n_wm]
    clean = [s.ids for s in world.clean[: n - n_wm]]
    rows: list[AttackRow] = []

    def run(attack: str, parameter: str, suspect: Any) -> None:
        opened, closed = both_tests(world, suspect, harvested, attack)
        rows.append(AttackRow(attack, parameter, opened.pvalue, opened.log10_pvalue, opened.z, closed.pvalue,
                              closed.log10_pvalue, closed.z, min(opened.pvalue, closed.pvalue) < 1e-3))

    def student(texts: list[list[int]]) -> NGramStudent:
        return NGramStudent(c.vocab_size, order=3).fit(texts + clean)

    run("none", f"share {share:.0%}", student([s.ids for s in harvested]))
    for rate in (0.1, 0.3, 0.5):
        run("substitution", f"{rate:.0%} of tokens", student(_substitute(world, harvested, rate, rng)))
    for rate in (0.5, 0.9):
        run("paraphrase stand-in", f"{rate:.0%} of 8-token spans", student(_paraphrase(world, harvested, rate, rng)))
    for mix in (0.01, 0.02):
        k = round(mix * n)
        run("mixing", f"share {mix:.0%}", NGramStudent(c.vocab_size, order=3).fit(
            [s.ids for s in world.served[:k]] + [s.ids for s in world.clean[: n - k]]))
    wm = world.watermark
    if not isinstance(wm, KGW) or wm.window != 1:  # these attackers model a green list after one token
        return rows
    base = student([s.ids for s in harvested])
    run("bias subtraction", "green lists leaked (oracle)", BiasSubtracted(base, wm.green, wm.delta))
    # watermark stealing: green pairs estimated from bigram frequencies, harvested vs the attacker's clean reference
    V = c.vocab_size
    harvested_counts = NGramStudent(V, order=2).fit([s.ids for s in harvested]).bigram_counts_
    reference_counts = NGramStudent(V, order=2).fit([s.ids for s in world.clean[n: n + 1000]] or clean).bigram_counts_
    h = (harvested_counts + 0.5) / (harvested_counts.sum(axis=1, keepdims=True) + 0.5 * V)
    r = (reference_counts + 0.5) / (reference_counts.sum(axis=1, keepdims=True) + 0.5 * V)
    estimated = (h > 2.0 * r) & (harvested_counts >= 2)

    def estimated_green(prev: np.ndarray, cand: np.ndarray) -> np.ndarray:
        return estimated[prev[:, -1][:, None], cand]

    run("bias subtraction", "green lists estimated from harvest", BiasSubtracted(base, estimated_green, wm.delta))
    return rows


# -- the probe arm: response similarity -----------------------------------------------------------
@dataclass(frozen=True)
class ProbeArm:
    """Response similarity of a distilled and an independent suspect (evidence records as dicts)."""

    prompts: int
    distilled: dict[str, Any]  # the suspect.npz student: trained on our teacher's outputs
    independent: dict[str, Any]  # a student of an unrelated teacher


def probe_models(world: World) -> dict[str, NGramStudent]:
    """``ours``: a bigram fit on fresh teacher text (the teacher is first-order Markov, so this is a copy of
    it); ``reference-1``, ``reference-2``: bigram copies of two unrelated teachers; ``independent``: a
    trigram student of a third unrelated teacher; ``suspect``: the 5%-watermarked trigram student of ours."""
    c = world.config
    rng = np.random.default_rng(c.seed + 31)

    def copy_of(teacher: MarkovTeacher, order: int) -> NGramStudent:
        texts = teacher.generate(teacher.prompts(c.probe_texts, c.prompt_len, rng), c.response_len, rng)
        return NGramStudent(c.vocab_size, order=order).fit(texts.tolist())

    def unrelated(offset: int) -> MarkovTeacher:
        return MarkovTeacher(c.vocab_size, support=c.support, alpha=c.alpha, seed=c.seed + 1000 + offset)

    return {"ours": copy_of(world.teacher, 2), "reference-1": copy_of(unrelated(1), 2),
            "reference-2": copy_of(unrelated(2), 2), "independent": copy_of(unrelated(3), 3),
            "suspect": train_student(world, 0.05, 3)[0]}


def probe_prompts(world: World) -> list[str]:
    return [" ".join(str(t) for t in p) for p in world.prompts[: world.config.probe_prompts]]


def probe_arm(world: World, models: dict[str, NGramStudent] | None = None) -> ProbeArm:
    from distillguard.forensics.probes import NGramModel, response_similarity

    c = world.config
    chosen = models or probe_models(world)
    text = {name: NGramModel(m, f"{name}.npz", max_tokens=c.probe_tokens) for name, m in chosen.items()}
    prompts = probe_prompts(world)

    def test(suspect: str, control: str | None) -> dict[str, Any]:
        return response_similarity(text[suspect], text["ours"], [text["reference-1"], text["reference-2"]],
                                   prompts=prompts, control=text[control] if control else None, unit="word", n=1,
                                   permutations=c.probe_permutations, seed=c.seed).evidence.as_dict()

    return ProbeArm(len(prompts), test("suspect", "independent"), test("independent", None))


# -- everything -----------------------------------------------------------------------------------
@dataclass
class ExperimentResult:
    config: ExperimentConfig
    teacher_entropy_bits: float
    sweep: list[ShareRow] = field(default_factory=list)
    controls: Controls | None = None
    text_level: list[TextLevelRow] = field(default_factory=list)
    accounts: AccountArm | None = None
    attacks: list[AttackRow] = field(default_factory=list)
    probes: ProbeArm | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "config": asdict(self.config),
            "teacher_entropy_bits": self.teacher_entropy_bits,
            "sweep": [{"share": r.share, "student": r.student, "open": r.open.as_dict(), "closed": r.closed.as_dict()}
                      for r in self.sweep],
            "controls": None if self.controls is None else {
                "open_ks": self.controls.open_ks, "closed_ks": self.controls.closed_ks,
                "open_pvalues": list(self.controls.open_pvalues), "closed_pvalues": list(self.controls.closed_pvalues)},
            "text_level": [asdict(r) for r in self.text_level],
            "accounts": None if self.accounts is None else asdict(self.accounts),
            "attacks": [asdict(r) for r in self.attacks],
            "probes": None if self.probes is None else asdict(self.probes),
            "seconds": self.seconds,
        }


ARMS = ("sweep", "controls", "text", "accounts", "attacks", "probes")


def run_experiment(config: ExperimentConfig = ExperimentConfig(), arms: Sequence[str] = ARMS,
                   artifacts: Path | None = None) -> ExperimentResult:
    """Run the chosen arms; with ``artifacts``, also write files the other ``prove`` commands run on."""
    started = time.perf_counter()
    world = build_world(config)
    result = ExperimentResult(config, world.teacher.entropy_bits())
    if "sweep" in arms:
        result.sweep = share_sweep(world)
    if "controls" in arms:
        result.controls = control_uniformity(world)
    if "text" in arms:
        result.text_level = text_level(world)
    account_state = None
    if "accounts" in arms:
        arm, student, served = _account_arm(world)
        result.accounts, account_state = arm, (student, served)
    if "attacks" in arms:
        result.attacks = attack_arm(world)
    models = None
    if "probes" in arms:
        models = probe_models(world)
        result.probes = probe_arm(world, models)
    result.seconds = time.perf_counter() - started
    if artifacts is not None:
        write_artifacts(world, artifacts, result, account_state, models)
    return result


def write_served(path: Path, texts: Sequence[Served]) -> None:
    with open(path, "w") as f:
        for t in texts:
            f.write(json.dumps(t.as_dict()) + "\n")


def write_artifacts(world: World, out: Path, result: ExperimentResult,
                    account_state: tuple[NGramStudent, dict[str, list[Served]]] | None,
                    probe_state: dict[str, NGramStudent] | None = None) -> dict[str, Path]:
    """experiment.json, the master key, and for ``prove radioactivity``/``prove canaries``: a suspect
    trained with a 5% watermarked share and the texts served to its account, a clean reference model,
    (with the account arm) the 50 accounts' served texts and the student 3 of them trained, and (with the
    probe arm) the models and prompts ``prove similarity`` runs on."""
    out.mkdir(parents=True, exist_ok=True)
    files = {"experiment": out / "experiment.json", "master_key": out / "master.key",
             "served": out / "served.jsonl", "suspect": out / "suspect.npz", "reference": out / "reference.npz"}
    files["experiment"].write_text(json.dumps(result.as_dict(), indent=1))
    files["master_key"].write_text(world.master.secret.hex() + "\n")
    files["master_key"].chmod(0o600)
    suspect, harvested = train_student(world, 0.05, 3)
    write_served(files["served"], harvested)
    suspect.save(files["suspect"])
    train_student(world, 0.0, 3)[0].save(files["reference"])
    if account_state is not None:
        student, served = account_state
        files["accounts_served"] = out / "accounts-served.jsonl"
        files["accounts_suspect"] = out / "accounts-suspect.npz"
        files["accounts"] = out / "accounts.txt"
        write_served(files["accounts_served"], [t for texts in served.values() for t in texts])
        student.save(files["accounts_suspect"])
        files["accounts"].write_text("".join(f"{a}\n" for a in served))
    if probe_state is not None:
        for name in ("ours", "reference-1", "reference-2", "independent"):
            files[name] = out / f"{name}.npz"
            probe_state[name].save(files[name])
        files["probe_prompts"] = out / "probe-prompts.txt"
        files["probe_prompts"].write_text("".join(f"{p}\n" for p in probe_prompts(world)))
    return files


def _p(p: float, log10: float) -> str:
    return f"{p:.2e}" if p > 0 else f"1e{log10:.0f}"


def format_result(result: ExperimentResult) -> str:
    c = result.config
    lines = [f"teacher: Markov, {c.vocab_size:,} tokens, {result.teacher_entropy_bits:.2f} bits/token; "
             f"watermark {c.spec}; {c.corpus_texts:,} texts x {c.response_len} tokens per student; "
             f"{c.decoys} decoy keys"]
    if result.sweep:
        lines.append(f"{'student':<8} {'share':>6} {'open p':>10} {'rank p':>7} {'scored':>7}   "
                     f"{'closed p':>10} {'rank p':>7} {'scored':>7}")
        for r in result.sweep:
            o, k = r.open, r.closed
            lines.append(f"{r.student:<8} {r.share:>6.0%} {_p(o.pvalue, o.log10_pvalue):>10} {o.rank_pvalue:>7.3f} "
                         f"{o.tokens_scored:>7,}   {_p(k.pvalue, k.log10_pvalue):>10} {k.rank_pvalue:>7.3f} "
                         f"{k.tokens_scored:>7,}")
    if result.controls:
        ctl = result.controls
        lines.append(f"controls: {len(ctl.open_pvalues)} clean student x key pairs; KS vs uniform: open "
                     f"p={ctl.open_ks:.3f}, closed p={ctl.closed_ks:.3f}")
    if result.text_level:
        lines.append(f"{'text-level scheme':<40} {'TPR@1%FPR':>9} {'TPR@p<.01':>9} {'FPR@p<.01':>9} {'scored':>6}")
        for t in result.text_level:
            lines.append(f"{t.spec:<40} {t.tpr_at_1pct_fpr:>9.3f} {t.tpr_at_p01:>9.3f} {t.fpr_at_p01:>9.3f} "
                         f"{t.mean_scored:>6.0f}")
    if result.accounts:
        a = result.accounts
        lines.append(f"accounts: {len(a.accounts)}, harvesters {', '.join(a.harvesters)}; named (Holm, FWER "
                     f"{a.alpha:g}) by watermark: {', '.join(a.named_by_watermark) or '-'}; by canaries: "
                     f"{', '.join(a.named_by_canaries) or '-'}")
        for name in a.harvesters:
            lines.append(f"  {name}: watermark p {a.watermark_pvalues[name]:.2e}, "
                         f"canaries p {a.canary_pvalues[name]:.2e}")
        innocent = [x for x in a.accounts if x not in a.harvesters]
        lines.append(f"  smallest innocent p: watermark {min(a.watermark_pvalues[x] for x in innocent):.3g}, "
                     f"canaries {min(a.canary_pvalues[x] for x in innocent):.3g}")
    if result.attacks:
        lines.append(f"{'attack':<20} {'parameter':<36} {'open p':>10} {'z':>6} {'closed p':>10} {'z':>6} detected")
        for r in result.attacks:
            lines.append(f"{r.attack:<20} {r.parameter:<36} {_p(r.open_pvalue, r.open_log10):>10} {r.open_z:>6.1f} "
                         f"{_p(r.closed_pvalue, r.closed_log10):>10} {r.closed_z:>6.1f} "
                         f"{'yes' if r.detected else 'NO'}")
    if result.probes:
        for label, ev in (("distilled", result.probes.distilled), ("independent", result.probes.independent)):
            m = ev["measures"]
            means = ", ".join(f"{k.removeprefix('mean_similarity:').removesuffix('.npz')} {v:.3f}"
                              for k, v in m.items() if k.startswith("mean_similarity:"))
            control = f" (control p {ev['control_pvalue']:.3g})" if ev["control_pvalue"] is not None else ""
            lines.append(f"response similarity, {label} suspect ({result.probes.prompts} prompts; supporting "
                         f"evidence): mean similarity {means}; p {ev['pvalue']:.3g}{control}")
    lines.append(f"{result.seconds:.1f}s")
    return "\n".join(lines)
