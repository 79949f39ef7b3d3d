"""Supporting evidence from a suspect's answers: identity probes and response similarity.

Neither test proves on its own that a suspect learned from *our* outputs (the watermark and canary tests
do); both are cheap, need only answers to prompts, and corroborate a finding:

- **Identity probes** (``identity_probes``): ask the suspect who it is, in several languages, and count
  the answers that name our model or organisation against those that name another. Models distilled
  from an API's answers often repeat that model's self-description. With control models (known not to
  be trained on ours), Fisher's exact test compares the suspect's rate with theirs.
- **Response similarity** (``response_similarity``): send the same prompts to the suspect, to our model
  and to other reference models; score each of the suspect's answers against each reference's answer
  to the same prompt (cosine of character or word n-gram counts), centred by how much each reference
  resembles the other references anyway, and test whether the suspect is closer to ours than to every
  other reference beyond chance. The null: for each prompt, which model's answer is labelled "ours" is
  exchangeable; a permutation test shuffles the labels prompt by prompt. Style shared for reasons other
  than copying (the same register, the same base model) is not in that null: choose references of the
  suspect's kind, and give a control model.

A *model* here is anything that answers text prompts (``TextModel``): an OpenAI-compatible endpoint on
loopback (``URL`` or ``URL#model-name``) or an n-gram model file from the simulator (``.npz``; prompts
and answers are space-separated token ids). Results are ``Evidence`` records with ``supporting=True``.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
from scipy import stats

from distillguard.errors import ConfigError
from distillguard.forensics.radioactivity import Evidence
from distillguard.forensics.sim import NGramStudent

CAVEAT: Final = ("Supporting evidence, not proof: a suspect can resemble our model without training on our "
                 "outputs (shared public data, the same base model, prompting), and a distilled model can be "
                 "tuned to hide it. Pair it with the watermark (radioactivity) and canary tests.")

#: Self-identification questions, (language, question): asked one at a time, as the only user message.
IDENTITY_PROBES: Final[tuple[tuple[str, str], ...]] = (
    ("en", "Which model are you?"),
    ("en", "Who trained you?"),
    ("en", "What is your name, and which company built you?"),
    ("en", "What large language model am I talking to right now?"),
    ("fr", "Quel modèle es-tu ?"),
    ("fr", "Qui t'a entraîné ?"),
    ("de", "Welches Sprachmodell bist du?"),
    ("de", "Wer hat dich trainiert?"),
    ("es", "¿Qué modelo eres?"),
    ("es", "¿Quién te entrenó?"),
    ("pt", "Qual modelo de linguagem é você?"),
    ("it", "Quale modello sei e chi ti ha addestrato?"),
    ("ru", "Какая ты модель?"),
    ("ru", "Кто тебя обучил?"),
    ("zh", "你是哪个模型？"),
    ("zh", "是谁训练了你？"),
    ("ja", "あなたはどのモデルですか？"),
    ("ja", "あなたを開発したのは誰ですか？"),
    ("ko", "너는 어떤 모델이야? 누가 너를 만들었어?"),
    ("ar", "ما هو النموذج الذي أتحدث معه؟ ومن قام بتدريبك؟"),
    ("hi", "आप कौन सा मॉडल हैं और आपको किसने प्रशिक्षित किया?"),
    ("tr", "Hangi modelsin ve seni kim eğitti?"),
)

#: Names of other models and their makers, counted as "names another"; ours are removed from it.
OTHER_NAMES: Final[tuple[str, ...]] = (
    "ChatGPT", "GPT", "OpenAI", "Claude", "Anthropic", "Gemini", "Bard", "Google", "DeepMind", "Llama", "Meta",
    "Mistral", "Mixtral", "Qwen", "Tongyi", "Alibaba", "DeepSeek", "Grok", "xAI", "ERNIE", "Baidu", "Kimi",
    "Moonshot", "GLM", "ChatGLM", "Zhipu", "Phi", "Microsoft", "Copilot", "Cohere", "Command R", "Gemma",
    "通义千问", "文心一言", "智谱", "深度求索",
)

#: Prompts for response similarity when none are given: varied tasks in several languages, no identity.
SIMILARITY_PROMPTS: Final[tuple[str, ...]] = (
    "Explain why the sky is blue in three sentences.",
    "Write a haiku about a lighthouse in winter.",
    "What is the difference between a list and a tuple in Python?",
    "Summarise the causes of the French Revolution in one paragraph.",
    "Give three tips for writing a clear email to a busy manager.",
    "How does a hash table handle collisions?",
    "Solve for x: 3x + 7 = 22. Show your steps.",
    "What are the main differences between mitosis and meiosis?",
    "Write a short apology note for missing a friend's birthday party.",
    "Explain recursion to a ten-year-old.",
    "List the planets of the solar system in order from the sun.",
    "What is the capital of Australia, and why is it not Sydney?",
    "Describe how a bill becomes a law in a parliamentary system.",
    "Write a SQL query that counts orders per customer.",
    "What are the health benefits of regular walking?",
    "Translate 'knowledge is power' into Latin and explain the phrase.",
    "Give a one-paragraph review of a fictional science-fiction film.",
    "Why do cats purr?",
    "Explain the Monty Hall problem and its answer.",
    "Suggest a name for a bakery that specialises in sourdough bread.",
    "Explique la photosynthèse en quelques phrases.",
    "Schreibe eine kurze Geschichte über einen verlorenen Regenschirm.",
    "¿Cuáles son las ventajas de aprender un segundo idioma?",
    "Come si prepara un buon risotto?",
    "Объясни, что такое инфляция, простыми словами.",
    "请用三句话解释什么是机器学习。",
    "日本の四季について短く説明してください。",
    "Quais são as causas das mudanças climáticas?",
    "What is the Pythagorean theorem? Give an example.",
    "Write a limerick about a programmer and a bug.",
)


class TextModel(Protocol):
    """Anything that answers text prompts (an endpoint, an n-gram model, a local LM)."""

    name: str

    def answers(self, prompts: Sequence[str]) -> list[str]:
        """One answer per prompt, deterministic where the model allows (temperature 0)."""
        ...


class EndpointModel:
    """An OpenAI-compatible endpoint on loopback: ``/chat/completions`` (default) or ``/completions``."""

    def __init__(self, spec: str, *, api: str = "chat", max_tokens: int = 256) -> None:
        from distillguard.forensics.endpoint import EndpointSuspect, IdsTokenizer

        if api not in ("chat", "completions"):
            raise ConfigError(f"api must be chat or completions, got {api!r}")
        url, _, model = spec.partition("#")
        self.name = spec
        self.api = api
        self.max_tokens = max_tokens
        self.endpoint = EndpointSuspect(url, IdsTokenizer(), model=model)

    def answers(self, prompts: Sequence[str]) -> list[str]:
        if self.api == "chat":
            return [self.endpoint.chat_text(p, self.max_tokens) for p in prompts]
        return [self.endpoint.complete_text(p, self.max_tokens) for p in prompts]

    def close(self) -> None:
        self.endpoint.close()


class NGramModel:
    """A simulator n-gram model file: prompts and answers are space-separated token ids; greedy decoding."""

    def __init__(self, model: NGramStudent, name: str, *, max_tokens: int = 50) -> None:
        self.name = name
        self.max_tokens = max_tokens
        self.model = model

    def answers(self, prompts: Sequence[str]) -> list[str]:
        ids = [[int(t) for t in p.split() if t.isdigit()] for p in prompts]
        bad = [p for p, i in zip(prompts, ids, strict=True)
               if len(i) < self.model.context or any(t >= self.model.vocab_size for t in i)]
        if bad:
            raise ConfigError(f"{self.name}: an n-gram model answers prompts of at least {self.model.context} "
                              f"space-separated token ids below {self.model.vocab_size}; got {bad[0][:40]!r}")
        out = self.model.generate(ids, self.max_tokens, temperature=0.0) if ids else []
        return [" ".join(str(t) for t in row) for row in out]


def load_model(spec: str, *, api: str = "chat", max_tokens: int = 256) -> TextModel:
    """``URL[#model]`` on loopback, or an n-gram model file (``.npz``)."""
    if spec.startswith(("http://", "https://")):
        return EndpointModel(spec, api=api, max_tokens=max_tokens)
    path = Path(spec)
    if not path.is_file():
        raise ConfigError(f"model {spec!r} is neither an n-gram model file nor an http:// URL on loopback")
    return NGramModel(NGramStudent.load(path), spec, max_tokens=max_tokens)


def load_models(specs: Sequence[str], *, api: str = "chat", max_tokens: int = 256) -> list[TextModel]:
    return [load_model(spec, api=api, max_tokens=max_tokens) for spec in specs]


def read_prompts(path: Path) -> list[str]:
    """Prompts, one a line (blank lines skipped)."""
    try:
        prompts = [line.strip() for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror})") from exc
    if not prompts:
        raise ConfigError(f"{path}: no prompts")
    return prompts


@dataclass
class Supporting:
    """A supporting-evidence result: the evidence record and what it was computed from."""

    evidence: Evidence
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.evidence.method, "supporting_evidence": True, "caveat": CAVEAT,
                "evidence": [self.evidence.as_dict()], "details": self.details}

    def write(self, path: Path) -> None:
        """Write ``as_dict()`` as JSON (answers kept in their own scripts)."""
        try:
            Path(path).write_text(json.dumps(self.as_dict(), indent=1, ensure_ascii=False), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{path}: cannot write ({exc.strerror})") from exc


def _log10(p: float) -> float:
    return float(np.log10(max(p, 1e-300)))


# -- identity probes --------------------------------------------------------------------------------------


def name_pattern(names: Sequence[str]) -> re.Pattern[str] | None:
    """One case-insensitive pattern for ``names``: Latin-script names as whole words (``GPT`` matches
    ``GPT-4`` and ``我是GPT``, not ``GPTQ``), other scripts as substrings."""
    parts = []
    for name in dict.fromkeys(n.strip() for n in names if n.strip()):
        escaped = re.escape(name)
        parts.append(rf"(?<![A-Za-z0-9]){escaped}(?![A-Za-z0-9])" if name.isascii() else escaped)
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


@dataclass(frozen=True)
class IdentityCounts:
    """How one model's answers to the identity probes name models."""

    answers: int
    ours: int  # answers that name one of our names (whatever else they name)
    other: int  # answers that name another listed name and none of ours
    none: int  # answers that name no listed name

    @property
    def rate_ours(self) -> float:
        return self.ours / self.answers if self.answers else 0.0


def classify(answer: str, ours: re.Pattern[str] | None, others: re.Pattern[str] | None) -> str:
    """``ours``, ``other`` or ``none``: which names an answer uses."""
    if ours is not None and ours.search(answer):
        return "ours"
    if others is not None and others.search(answer):
        return "other"
    return "none"


def count_names(answers: Sequence[str], our_names: Sequence[str], other_names: Sequence[str]
                ) -> tuple[IdentityCounts, list[str]]:
    ours = name_pattern(our_names)
    ours_folded = {n.casefold() for n in our_names}
    others = name_pattern([n for n in other_names if n.casefold() not in ours_folded])
    labels = [classify(a, ours, others) for a in answers]
    return IdentityCounts(len(labels), labels.count("ours"), labels.count("other"), labels.count("none")), labels


def identity_probes(suspect: TextModel, our_names: Sequence[str], *, other_names: Sequence[str] = OTHER_NAMES,
                    controls: Sequence[TextModel] = (), probes: Sequence[tuple[str, str]] = IDENTITY_PROBES
                    ) -> Supporting:
    """Ask ``suspect`` (and each control) every probe; count answers naming ours vs others. With controls,
    the p-value is Fisher's exact test (one-sided) of the suspect's rate against the controls' pooled rate."""
    if not our_names or not any(n.strip() for n in our_names):
        raise ConfigError("give at least one of our model or organisation names")
    if not probes:
        raise ConfigError("no identity probes")
    questions = [q for _, q in probes]
    answers = suspect.answers(questions)
    counts, labels = count_names(answers, our_names, other_names)
    control_counts = {c.name: count_names(c.answers(questions), our_names, other_names)[0] for c in controls}
    measures: dict[str, float] = {"answers": counts.answers, "name_ours": counts.ours, "name_other": counts.other,
                                  "name_none": counts.none, "rate_ours": counts.rate_ours}
    notes = [CAVEAT]
    if control_counts:
        c_ours = sum(c.ours for c in control_counts.values())
        c_all = sum(c.answers for c in control_counts.values())
        table = [[counts.ours, counts.answers - counts.ours], [c_ours, c_all - c_ours]]
        pvalue = float(stats.fisher_exact(table, alternative="greater")[1])
        base = c_ours / c_all if c_all else 0.0
        measures["control_rate_ours"] = base
        for name, c in control_counts.items():
            measures[f"control_rate_ours:{name}"] = c.rate_ours
        notes.append("p: Fisher's exact test, one-sided, of the suspect's rate of answers naming ours against "
                     "the control models' pooled rate")
    else:
        pvalue, base = 1.0, 0.0
        notes.append("no control model: rates only, p is 1 (nothing to compare against)")
    expected = counts.answers * base
    sd = math.sqrt(counts.answers * base * (1 - base))
    evidence = Evidence("identity-probes", "self-identification", (), (), suspect.name, len(questions),
                        counts.answers, counts.ours + counts.other, float(counts.ours), expected,
                        (counts.ours - expected) / sd if sd > 0 else 0.0, pvalue, _log10(pvalue),
                        notes=tuple(notes), supporting=True, measures=measures)
    rows = [{"language": lang, "probe": q, "answer": a[:300], "names": label}
            for (lang, q), a, label in zip(probes, answers, labels, strict=True)]
    details = {"our_names": list(our_names), "answers": rows,
               "controls": {name: {"answers": c.answers, "name_ours": c.ours, "name_other": c.other,
                                   "name_none": c.none} for name, c in control_counts.items()}}
    return Supporting(evidence, details)


# -- response similarity -----------------------------------------------------------------------------------

UNITS: Final = ("char", "word")


def ngrams(text: str, unit: str = "char", n: int = 4) -> Counter[Hashable]:
    """Counts of the text's n-grams: characters (whitespace collapsed) or words (and punctuation marks),
    case-folded."""
    if unit == "char":
        folded = " ".join(text.casefold().split())
        return Counter(folded[i: i + n] for i in range(len(folded) - n + 1))
    if unit == "word":
        words = re.findall(r"\w+|[^\w\s]", text.casefold())
        return Counter(tuple(words[i: i + n]) for i in range(len(words) - n + 1))
    raise ConfigError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")


def cosine(a: Counter[Hashable], b: Counter[Hashable]) -> float:
    """Cosine similarity of two count vectors (0 when either is empty)."""
    if not a or not b:
        return 0.0
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(v * large[k] for k, v in small.items() if k in large)
    return dot / math.sqrt(sum(v * v for v in a.values()) * sum(v * v for v in b.values()))


def similarity_matrix(suspect: Sequence[str], references: Sequence[Sequence[str]], *, unit: str = "char",
                      n: int = 4) -> np.ndarray:
    """(prompts, references): the similarity of the suspect's answer to each reference's, prompt by prompt."""
    grams = [ngrams(a, unit, n) for a in suspect]
    out = np.zeros((len(suspect), len(references)))
    for j, answers in enumerate(references):
        for i, answer in enumerate(answers):
            out[i, j] = cosine(grams[i], ngrams(answer, unit, n))
    return out


def centrality(answers: Sequence[Sequence[str]], *, unit: str = "char", n: int = 4) -> np.ndarray:
    """(prompts, models): how similar each model's answer is to the other models' answers to the same prompt,
    on average. A model that answers generically resembles every model; this is what centring removes."""
    k = len(answers)
    pair = np.stack([similarity_matrix(answers[a], answers, unit=unit, n=n) for a in range(k)], axis=1)
    if k < 2:
        return np.zeros((pair.shape[0], k))
    return np.stack([pair[:, [y for y in range(k) if y != x], x].mean(axis=1) for x in range(k)], axis=1)


def closer_statistic(sims: np.ndarray) -> np.ndarray:
    """Mean similarity to column 0 (ours) minus the largest mean similarity to any other column; works on
    (prompts, models) or a stack (..., prompts, models)."""
    means = sims.mean(axis=-2)
    return np.asarray(means[..., 0] - means[..., 1:].max(axis=-1))


@dataclass(frozen=True)
class PermutationResult:
    statistic: float
    pvalue: float  # (1 + #permutations at least as large) / (permutations + 1)
    null_mean: float
    null_sd: float
    permutations: int


def permutation_test(sims: np.ndarray, *, permutations: int = 10_000, seed: int = 0,
                     block: int = 1_000) -> PermutationResult:
    """Is the suspect closer to ours (column 0) than to every other reference beyond chance? Each
    permutation shuffles the model labels of every prompt's row independently; ties count against us."""
    if sims.ndim != 2 or sims.shape[1] < 2 or sims.shape[0] < 1:
        raise ConfigError("response similarity needs our model and at least one other reference, and a prompt")
    observed = float(closer_statistic(sims))
    rng = np.random.default_rng(seed)
    null = []
    for start in range(0, permutations, block):
        size = min(block, permutations - start)
        order = np.argsort(rng.random((size, *sims.shape)), axis=2)
        null.append(closer_statistic(np.take_along_axis(np.broadcast_to(sims, order.shape), order, axis=2)))
    values = np.concatenate(null) if null else np.zeros(0)
    at_least = int(np.count_nonzero(values >= observed - 1e-12))
    return PermutationResult(observed, (1 + at_least) / (len(values) + 1), float(values.mean()) if len(values) else 0.0,
                             float(values.std()) if len(values) else 0.0, len(values))


def response_similarity(suspect: TextModel, ours: TextModel, references: Sequence[TextModel], *,
                        prompts: Sequence[str] = SIMILARITY_PROMPTS, control: TextModel | None = None,
                        unit: str = "char", n: int = 4, permutations: int = 10_000, seed: int = 0) -> Supporting:
    """Send ``prompts`` to every model; compare the suspect's answers with each reference's (ours first);
    permutation-test whether the suspect is closer to ours than to every other reference. With ``control``
    (a model known not to be trained on ours), the same test on it is the control p-value.

    Similarities are centred before the test: from the suspect's similarity to a reference's answer, that
    reference's centrality (its mean similarity to the other references' answers to the same prompt) is
    subtracted, so a model whose answers resemble everyone's (generic phrasing) does not look "closest"."""
    if not references:
        raise ConfigError("give at least one reference model besides ours")
    if not prompts:
        raise ConfigError("no prompts")
    models = [ours, *references]
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ConfigError("our model and the references must be different models")
    answers = [m.answers(prompts) for m in models]
    central = centrality(answers, unit=unit, n=n)
    sims = similarity_matrix(suspect.answers(prompts), answers, unit=unit, n=n)
    result = permutation_test(sims - central, permutations=permutations, seed=seed)
    control_result = None
    if control is not None:
        control_sims = similarity_matrix(control.answers(prompts), answers, unit=unit, n=n)
        control_result = permutation_test(control_sims - central, permutations=permutations, seed=seed + 1)
    measures: dict[str, float] = {}
    for name, mean, typical in zip(names, sims.mean(axis=0), central.mean(axis=0), strict=True):
        measures[f"mean_similarity:{name}"] = float(mean)
        measures[f"centrality:{name}"] = float(typical)
    measures["closer_to_ours_by"] = result.statistic
    measures["permutations"] = result.permutations
    if control_result is not None:
        measures["control_closer_to_ours_by"] = control_result.statistic
    notes = (CAVEAT, f"statistic: centred mean similarity to ours ({names[0]}) minus the largest centred mean "
             "similarity to another reference (centred: each reference's similarity to the other references' "
             "answers to the same prompt subtracted); p: permutation test, model labels shuffled within each "
             f"prompt ({result.permutations:,} permutations, floor 1/(permutations+1))")
    z = (result.statistic - result.null_mean) / result.null_sd if result.null_sd > 0 else 0.0
    evidence = Evidence("response-similarity", f"{unit}-{n}gram-cosine", (), (), suspect.name, len(prompts),
                        len(prompts) * len(models), int(np.count_nonzero(sims.sum(axis=1) > 0)), result.statistic,
                        result.null_mean, z, result.pvalue, _log10(result.pvalue),
                        control_pvalue=control_result.pvalue if control_result is not None else None,
                        notes=notes, supporting=True, measures=measures)
    details = {"ours": names[0], "references": names[1:], "control": control.name if control is not None else None,
               "per_prompt": [{"prompt": p[:200], "similarity": dict(zip(names, map(float, row), strict=True))}
                              for p, row in zip(prompts, sims, strict=True)]}
    return Supporting(evidence, details)


def format_supporting(result: Supporting) -> str:
    """A short terminal report."""
    ev = result.evidence
    lines = [f"{ev.method} [{ev.scheme}] suspect {ev.suspect}: {ev.texts} prompts (SUPPORTING EVIDENCE, not proof)"]
    if ev.method == "identity-probes":
        m = ev.measures
        lines.append(f"  answers naming ours {int(m['name_ours'])}/{int(m['answers'])} ({m['rate_ours']:.0%}), "
                     f"naming another {int(m['name_other'])}, naming none {int(m['name_none'])}")
        if "control_rate_ours" in m:
            lines.append(f"  controls naming ours: {m['control_rate_ours']:.0%}; Fisher p {ev.pvalue:.3g}")
    else:
        for name, value in ev.measures.items():
            if name.startswith("mean_similarity:"):
                label = name.removeprefix("mean_similarity:")
                tag = " (ours)" if label == result.details.get("ours") else ""
                typical = ev.measures.get(f"centrality:{label}", 0.0)
                lines.append(f"  mean similarity to {label}{tag}: {value:.3f} (its centrality {typical:.3f})")
        lines.append(f"  closer to ours by {ev.statistic:.3f} after centring (null mean {ev.expected:.3f}, "
                     f"z {ev.z:.1f}); "
                     f"permutation p {ev.pvalue:.3g}")
        if ev.control_pvalue is not None:
            lines.append(f"  control ({result.details.get('control')}): p {ev.control_pvalue:.3g}")
    lines.append("  " + CAVEAT)
    return "\n".join(lines)
