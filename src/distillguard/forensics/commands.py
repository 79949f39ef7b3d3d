"""What ``distillguard prove`` does, apart from option parsing: load a suspect and our served texts,
run the tests per account, correct for the number of accounts, and build the report."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from distillguard.errors import ConfigError
from distillguard.forensics.canaries import (
    Canary,
    CanaryResult,
    WordTokenizer,
    canaries_for,
    containment_pvalue,
    exposure,
    fisher,
    ngram_scorer,
)
from distillguard.forensics.keys import MasterKey
from distillguard.forensics.radioactivity import (
    Evidence,
    Keyring,
    Served,
    closed_test,
    collect_generations,
    holm,
    open_test,
)
from distillguard.forensics.sim import NGramStudent

MODES = ("open", "closed", "both")


def is_endpoint(suspect: str) -> bool:
    return suspect.startswith(("http://", "https://"))


def load_suspect(suspect: str, *, tokenizer: str = "ids", model: str = "") -> Any:
    """An n-gram model file (``.npz`` from the simulator) or a loopback OpenAI-compatible endpoint."""
    if is_endpoint(suspect):
        from distillguard.forensics.endpoint import EndpointSuspect, HFTokenizer, IdsTokenizer

        tok = IdsTokenizer() if tokenizer == "ids" else HFTokenizer(tokenizer)
        return EndpointSuspect(suspect, tok, model=model)
    path = Path(suspect)
    if not path.is_file():
        raise ConfigError(f"suspect {suspect!r} is neither a model file nor an http:// URL on loopback")
    return NGramStudent.load(path)


def read_served(path: Path) -> list[Served]:
    """Served texts, one JSON object a line: account_id, epoch, key_id, spec, prompt_ids, response_ids."""
    texts = []
    try:
        lines = Path(path).read_text().splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            texts.append(Served.from_dict(json.loads(line)))
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path}:{number}: not a served text ({exc})") from exc
    if not texts:
        raise ConfigError(f"{path}: no served texts")
    return texts


@dataclass
class Proof:
    """Per-account evidence and the accounts named after correcting for how many were tested."""

    method: str
    alpha: float
    account_pvalues: dict[str, float]
    evidence: dict[str, list[Evidence]]
    named: list[str]
    details: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "alpha": self.alpha,
            "correction": "Holm over accounts; Bonferroni over the tests within an account",
            "named": self.named,
            "accounts": {a: {"pvalue": p, "named": a in self.named,
                             "evidence": [e.as_dict() for e in self.evidence.get(a, [])],
                             **({"canaries": self.details[a]} if a in self.details else {})}
                         for a, p in self.account_pvalues.items()},
        }


def prove_radioactivity(suspect: Any, texts: Sequence[Served], master: MasterKey, *, suspect_name: str,
                        mode: str = "both", decoys: int = 100, prompts: int = 200, max_new_tokens: int = 100,
                        accounts: Sequence[str] = (), reference: Any | None = None, alpha: float = 0.01,
                        seed: int = 0) -> Proof:
    """The open and/or closed test for every account with watermarked texts in ``texts``."""
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}")
    marked = [t for t in texts if t.spec and t.key_id]
    if accounts:
        marked = [t for t in marked if t.account_id in set(accounts)]
    if not marked:
        raise ConfigError("no watermarked served texts to test (none carries a key id and spec)")
    by_account: dict[str, list[Served]] = {}
    for t in marked:
        by_account.setdefault(t.account_id, []).append(t)
    keyring = Keyring(master, decoys=decoys)
    evidence: dict[str, list[Evidence]] = {}
    if mode in ("open", "both"):
        predictions = suspect.top1([t.ids for t in marked], [len(t.prompt) for t in marked])
        ref_predictions = reference.top1([t.ids for t in marked], [len(t.prompt) for t in marked]) \
            if reference is not None else None
        index = {id(t): i for i, t in enumerate(marked)}
        for account, group in by_account.items():
            for spec in dict.fromkeys(t.spec for t in group):  # one test per scheme (a tier change splits them)
                part = [t for t in group if t.spec == spec]
                preds = [predictions[index[id(t)]] for t in part]
                ref = [ref_predictions[index[id(t)]] for t in part] if ref_predictions is not None else None
                evidence.setdefault(account, []).append(open_test(part, preds, keyring, suspect=suspect_name,
                                                                  reference=ref))
    if mode in ("closed", "both"):
        for account, group in by_account.items():
            chosen = list(dict.fromkeys(t.prompt for t in group if t.prompt))[:prompts]
            if not chosen:
                continue
            gens = collect_generations(suspect, [list(p) for p in chosen], max_new_tokens, seed=seed)
            ref_gens = collect_generations(reference, [list(p) for p in chosen], max_new_tokens, seed=seed) \
                if reference is not None else None
            for key_id, spec in dict.fromkeys((t.key_id, t.spec) for t in group):
                wm = keyring.for_served(next(t for t in group if t.key_id == key_id and t.spec == spec))
                evidence.setdefault(account, []).append(
                    closed_test(gens, wm, decoys=keyring.decoys(wm), account=account, suspect=suspect_name,
                                reference=ref_gens))
    pvalues = {a: min(1.0, len(evs) * min(e.pvalue for e in evs)) for a, evs in evidence.items()}
    return Proof("radioactivity", alpha, pvalues, evidence, sorted(holm(pvalues, alpha)))


def account_canaries(master: MasterKey, accounts: Sequence[str], epochs: Sequence[str], count: int
                     ) -> dict[str, list[Canary]]:
    return {a: [c for e in epochs for c in canaries_for(master.account_key(a, e), count)] for a in accounts}


def prove_canaries(suspect: Any, canaries: dict[str, list[Canary]], *, suspect_name: str, mode: str = "likelihood",
                   alpha: float = 0.01) -> Proof:
    """Exposure (likelihood mode) or containment in answers to the triggers (generate mode), per account."""
    if mode == "likelihood":
        if isinstance(suspect, NGramStudent):
            scorer = ngram_scorer(suspect, WordTokenizer(suspect.vocab_size))
        else:
            scorer = suspect.scorer()
    elif mode != "generate":
        raise ConfigError("mode must be likelihood or generate")
    pvalues: dict[str, float] = {}
    evidence: dict[str, list[Evidence]] = {}
    details: dict[str, list[dict[str, Any]]] = {}
    for account, items in canaries.items():
        ps = []
        rows = []
        for canary in items:
            if mode == "likelihood":
                result: CanaryResult = exposure(canary, scorer)
                ps.append(result.pvalue)
                rows.append(result.as_dict())
            else:
                if not hasattr(suspect, "complete_text"):
                    raise ConfigError("generate mode needs an endpoint suspect")
                answer = suspect.complete_text(canary.trigger)
                p = containment_pvalue(canary, answer)
                ps.append(p)
                rows.append({"key_id": canary.key_id, "index": canary.index, "template": canary.template,
                             "pvalue": p, "answer": answer[:200]})
        p_account = fisher(ps)
        statistic = -2.0 * float(np.sum(np.log(np.maximum(ps, 1e-300))))
        evidence[account] = [Evidence(
            f"canary-{'exposure' if mode == 'likelihood' else 'containment'}", "canary",
            tuple(dict.fromkeys(c.key_id for c in items)), (account,), suspect_name, len(items), 0, 0,
            statistic, 2.0 * len(items), 0.0, p_account, float(np.log10(max(p_account, 1e-300))),
            notes=("Fisher's combination of the canaries' rank p-values",))]
        pvalues[account] = p_account
        details[account] = rows
    return Proof(f"canaries-{mode}", alpha, pvalues, evidence, sorted(holm(pvalues, alpha)), details)


def format_proof(proof: Proof, top: int = 20) -> str:
    lines = [f"{'account':<20} {'p (corrected within)':>20} {'named':>5}  evidence"]
    ordered = sorted(proof.account_pvalues.items(), key=lambda kv: kv[1])
    for account, p in ordered[:top]:
        evs = proof.evidence.get(account, [])
        lead = "; ".join(e.summary() for e in evs)
        lines.append(f"{account:<20} {p:>20.3g} {'YES' if account in proof.named else 'no':>5}  {lead[:160]}")
    if len(ordered) > top:
        lines.append(f"... and {len(ordered) - top} more accounts")
    lines.append(f"named (Holm, family-wise error {proof.alpha:g} over {len(ordered)} accounts): "
                 f"{', '.join(proof.named) or 'none'}")
    return "\n".join(lines)


def read_accounts(path: Path) -> list[str]:
    """Account ids, one a line (or a served-texts JSONL file: its accounts)."""
    try:
        lines = [line.strip() for line in Path(path).read_text().splitlines() if line.strip()]
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    if lines and lines[0].startswith("{"):
        return list(dict.fromkeys(json.loads(line)["account_id"] for line in lines))
    return lines
