"""How well, and how fast, do the per-request text signals (``distillguard.signals.text``) work?

Run from the repository root:

    .venv/bin/python benchmarks/text_signals_quality.py --json bench-out/text_signals_quality.json

Three evaluation sets, reported separately:

  hand-labelled   tests/signals/data/labelled_prompts.jsonl: prompts written and labelled for these signals
                  (14 languages, hard negatives, noise, long prompts). The patterns were developed against it, so
                  read its figures as a regression check, not as an unbiased estimate.
  shared corpora  /work/shared/data/prompts (see its README): real human and distillation prompt sets that carry no
                  wrapper, so every firing of cot_elicitation at 1.0, grader_rubric, rewrite_request or
                  identity_probe is a false positive or a genuine occurrence worth reading (per-source firing rates);
                  gsm8k are math-domain examples, odex coding-domain examples; the ``lang`` field (a heuristic) is a
                  rough reference for ``language``.
  held-out        the traffic simulator's phrasebook (``distillguard.sim.phrasebook``: COT_WRAPPERS,
                  STEP_BY_STEP_BENIGN, RUBRIC_TEMPLATES[_ZH], REWRITE_TEMPLATES[_ZH], IDENTITY_PROBES), written
                  independently of the patterns, each template filled with real prompts from the shared corpora;
                  the same prompts unwrapped are the negatives.

Then throughput: all six signals (``text_signals``) on 100,000 mixed prompts of realistic length, in batches of
16,384 rows like the log reader's: 85% corpus prompts as they are, 10% with an attack instruction from the
hand-labelled set appended, 5% long prompts (1.5-8 KB of same-language retrieved text and a question), best of
``--repeat`` runs, single thread and on ``--threads`` threads, with the time of each signal alone (one thread).
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import random
import string
import sys
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from distillguard.signals import text

ROOT = Path(__file__).resolve().parents[1]
LABELLED = ROOT / "tests" / "signals" / "data" / "labelled_prompts.jsonl"
CORPORA = Path("/work/shared/data/prompts")
BOOL_SIGNALS = ("grader_rubric", "rewrite_request", "identity_probe")
BATCH = 16_384


def _pr(pred: np.ndarray, gold: np.ndarray) -> dict[str, Any]:
    tp = int((pred & gold).sum())
    fp = int((pred & ~gold).sum())
    fn = int((~pred & gold).sum())
    return {
        "n": len(gold),
        "positives": int(gold.sum()),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": tp / (tp + fp) if tp + fp else None,
        "recall": tp / (tp + fn) if tp + fn else None,
    }


def _cot_figures(pred: np.ndarray, gold: np.ndarray) -> dict[str, Any]:
    levels = (0.0, 0.5, 1.0)
    confusion = [[int(((gold == g) & (pred == p)).sum()) for p in levels] for g in levels]
    return {
        "coercion (1.0)": _pr(pred == 1.0, gold == 1.0),
        "any elicitation (>= 0.5)": _pr(pred >= 0.5, gold >= 0.5),
        "confusion (rows: label 0/0.5/1, cols: predicted 0/0.5/1)": confusion,
    }


def _signals(prompts: list[str], tools: list[int] | None = None) -> pa.RecordBatch:
    out = []
    for i in range(0, len(prompts), BATCH):
        chunk = pa.array(prompts[i : i + BATCH], pa.string())
        t = None if tools is None else pa.array(tools[i : i + BATCH], pa.int32())
        out.append(text.text_signals(chunk, t, t))
    return pa.Table.from_batches(out).combine_chunks().to_batches()[0]


# ---- hand-labelled --------------------------------------------------------------------------------------------


def hand_labelled() -> dict[str, Any]:
    rows = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    got = _signals([r["text"] for r in rows], [r.get("tools", 0) for r in rows])
    result: dict[str, Any] = {"n": len(rows)}
    cot = np.array([r["labels"]["cot_elicitation"] for r in rows], np.float32)
    result["cot_elicitation"] = _cot_figures(got.column("cot_elicitation").to_numpy(), cot)
    by_lang: dict[str, Any] = {}
    langs = [r["labels"].get("language", "und") for r in rows]
    pred_cot = got.column("cot_elicitation").to_numpy()
    for lang in sorted(set(langs)):
        sel = np.array([x == lang for x in langs]) & (cot == 1.0)
        if sel.any():
            by_lang[lang] = f"{int((pred_cot[sel] == 1.0).sum())}/{int(sel.sum())}"
    result["cot_elicitation"]["coercion recall by language"] = by_lang
    for name in BOOL_SIGNALS:
        labelled = [i for i, r in enumerate(rows) if name in r["labels"]]
        gold = np.array([rows[i]["labels"][name] for i in labelled], bool)
        pred = got.column(name).to_numpy(zero_copy_only=False)[labelled]
        result[name] = _pr(pred, gold)
    result["capability_domain"] = _per_class(rows, got, "capability_domain")
    result["language"] = _per_class(rows, got, "language")
    return result


def _per_class(rows: list[dict], got: pa.RecordBatch, name: str) -> dict[str, Any]:
    labelled = [i for i, r in enumerate(rows) if name in r["labels"]]
    gold = np.array([rows[i]["labels"][name] for i in labelled], object)
    pred = np.array(got.column(name).to_pylist(), object)[labelled]
    per = {c: _pr(pred == c, gold == c) for c in sorted(set(gold) | set(pred))}
    return {"n": len(labelled), "accuracy": float((pred == gold).mean()), "per_class": per}


# ---- shared corpora -------------------------------------------------------------------------------------------


def _load_corpora() -> dict[str, list[dict[str, Any]]]:
    corpora = {}
    for path in sorted(CORPORA.glob("*.jsonl.gz")):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            corpora[path.name.split(".")[0]] = [json.loads(line) for line in f if line.strip()]
    return corpora


def shared_corpora(corpora: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for source, rows in corpora.items():
        prompts = [r["prompt"] for r in rows] + [t for r in rows for t in r.get("turns", [])]
        got = _signals(prompts)
        cot = got.column("cot_elicitation").to_numpy()
        domains = Counter(got.column("capability_domain").to_pylist())
        langs = got.column("language").to_pylist()[: len(rows)]
        agree: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r, lang in zip(rows, langs, strict=True):
            agree[r["lang"]][0] += 1
            agree[r["lang"]][1] += r["lang"] == lang
        result[source] = {
            "kind": rows[0]["kind"],
            "n": len(prompts),
            "cot 1.0 rate": float((cot == 1.0).mean()),
            "cot >= 0.5 rate": float((cot >= 0.5).mean()),
            **{f"{s} rate": float(got.column(s).to_numpy(zero_copy_only=False).mean()) for s in BOOL_SIGNALS},
            "domains": dict(domains.most_common()),
            "language agreement": {k: {"n": v[0], "agree": v[1] / v[0]} for k, v in sorted(agree.items())},
        }
    return result


# ---- held-out: the simulator's phrasebook ---------------------------------------------------------------------


class _Blank(dict):
    def __missing__(self, key: str) -> str:
        return ""


def _fill(template: str, **values: str) -> str:
    return string.Formatter().vformat(template, (), _Blank(values))


def held_out(corpora: dict[str, list[dict[str, Any]]], per_template: int, seed: int) -> dict[str, Any]:
    from distillguard.sim import phrasebook

    rng = random.Random(seed)
    by_lang: dict[str, list[str]] = defaultdict(list)
    for rows in corpora.values():
        for r in rows:
            if r["kind"] == "human" or r["lang"] != "en":
                by_lang[r["lang"]].append(r["prompt"])
    by_lang["en"] += [r["prompt"] for r in corpora.get("gsm8k", [])]

    def prompts(lang: str, k: int) -> list[str]:
        pool = by_lang.get(lang) or by_lang["en"]
        return [rng.choice(pool) for _ in range(k)]

    result: dict[str, Any] = {}
    # cot: wrappers (1.0), benign step-by-step (0.5), the same prompts bare (0.0)
    texts, gold = [], []
    per_lang_total: Counter = Counter()
    per_lang_hit: Counter = Counter()
    wrapper_lang: list[str | None] = []
    for lang, wrappers in phrasebook.COT_WRAPPERS.items():
        for w in wrappers:
            for p in prompts(lang, per_template):
                texts.append(_fill(w, prompt=p, question=p))
                gold.append(1.0)
                wrapper_lang.append(lang)
                texts.append(p)
                gold.append(0.0)
                wrapper_lang.append(None)
    for lang, wrappers in phrasebook.STEP_BY_STEP_BENIGN.items():
        for w in wrappers:
            for p in prompts(lang, per_template):
                texts.append(_fill(w, prompt=p, question=p))
                gold.append(0.5)
                wrapper_lang.append(None)
    pred = _signals(texts).column("cot_elicitation").to_numpy()
    gold_arr = np.array(gold, np.float32)
    result["cot_elicitation"] = _cot_figures(pred, gold_arr)
    for lang, p in zip(wrapper_lang, pred, strict=True):
        if lang is not None:
            per_lang_total[lang] += 1
            per_lang_hit[lang] += p == 1.0
    result["cot_elicitation"]["coercion recall by language"] = {
        k: f"{per_lang_hit[k]}/{per_lang_total[k]}" for k in sorted(per_lang_total)
    }
    # boolean signals: templates filled (positives) against the same prompts bare (negatives)
    specs = {
        "grader_rubric": [("en", t) for t in phrasebook.RUBRIC_TEMPLATES]
        + [("zh", t) for t in phrasebook.RUBRIC_TEMPLATES_ZH],
        "rewrite_request": [("en", t) for t in phrasebook.REWRITE_TEMPLATES]
        + [("zh", t) for t in phrasebook.REWRITE_TEMPLATES_ZH],
        "identity_probe": [("en", t) for t in phrasebook.IDENTITY_PROBES],
    }
    for name, templates in specs.items():
        texts, gold_b = [], []
        for lang, template in templates:
            k = per_template if "{" in template else 1
            for p in prompts(lang, k):
                answer = rng.choice(by_lang[lang] or by_lang["en"])
                texts.append(_fill(template, prompt=p, question=p, answer=answer, response=answer,
                                   answer_a=answer, answer_b=p, response_a=answer, response_b=p))
                gold_b.append(True)
                texts.append(p)
                gold_b.append(False)
        got = _signals(texts).column(name).to_numpy(zero_copy_only=False)
        result[name] = _pr(got, np.array(gold_b, bool))
    return result


# ---- throughput -----------------------------------------------------------------------------------------------


def throughput_prompts(corpora: dict[str, list[dict[str, Any]]], n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    plain = [r["prompt"] for rows in corpora.values() for r in rows]
    plain += [t for rows in corpora.values() for r in rows for t in r.get("turns", [])]
    labelled = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    attacks = [
        r["text"]
        for r in labelled
        if len(r["text"]) < 600
        and (r["labels"]["cot_elicitation"] > 0 or any(r["labels"].get(s) for s in BOOL_SIGNALS))
    ]
    by_source = list(corpora.values())
    out = []
    for _ in range(n):
        u = rng.random()
        if u < 0.85:
            out.append(rng.choice(plain))
        elif u < 0.95:
            out.append(rng.choice(plain) + "\n\n" + rng.choice(attacks))
        else:
            rows = rng.choice(by_source)
            doc = "\n".join(rng.choice(rows)["prompt"] for _ in range(40))[: rng.randint(1500, 8000)]
            out.append("Context:\n" + doc + "\n\nQuestion: " + rng.choice(rows)["prompt"])
    return out


def throughput(prompts: list[str], repeat: int, threads: int) -> dict[str, Any]:
    batches = [pa.array(prompts[i : i + BATCH], pa.string()) for i in range(0, len(prompts), BATCH)]
    tools = [pa.array(np.zeros(len(b), np.int32)) for b in batches]
    n = len(prompts)

    def best(fn) -> float:
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        return min(times)

    def all_signals() -> None:
        for b, t in zip(batches, tools, strict=True):
            text.text_signals(b, t, t)

    result: dict[str, Any] = {
        "rows": n,
        "mean_chars": float(np.mean([len(p) for p in prompts])),
        "share_over_4000_chars": float(np.mean([len(p) > 2 * text.WINDOW_CHARS for p in prompts])),
        "batch_rows": BATCH,
        "window_chars": text.WINDOW_CHARS,
        "all six signals (rows/s)": n / best(all_signals),
    }
    if threads > 1:  # pyarrow.compute and numpy release the GIL: batches run side by side

        def all_signals_threaded() -> None:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda bt: text.text_signals(bt[0], bt[1], bt[1]), zip(batches, tools, strict=True)))

        result[f"all six signals, {threads} threads (rows/s)"] = n / best(all_signals_threaded)
    singles = {
        "cot_elicitation": text.cot_elicitation,
        "grader_rubric": text.grader_rubric,
        "rewrite_request": text.rewrite_request,
        "identity_probe": text.identity_probe,
        "capability_domain": lambda b: text.capability_domain(b, None, None),
        "language": text.language,
    }
    for name, fn in singles.items():

        def one(fn=fn) -> None:
            for b in batches:
                text._cache = None  # each signal alone pays for its own preparation
                fn(b)

        result[f"{name} alone (rows/s)"] = n / best(one)
    return result


# ---- report ---------------------------------------------------------------------------------------------------


def _fmt(x: Any) -> str:
    return "-" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def _print_pr_table(title: str, figures: dict[str, Any]) -> None:
    print(f"\n## {title}")
    print(f"{'signal':42s} {'n':>6s} {'pos':>5s} {'tp':>5s} {'fp':>5s} {'fn':>5s} {'precision':>9s} {'recall':>7s}")
    for name, f in figures.items():
        if isinstance(f, dict) and "precision" in f:
            print(f"{name:42s} {f['n']:>6d} {f['positives']:>5d} {f['tp']:>5d} {f['fp']:>5d} {f['fn']:>5d} "
                  f"{_fmt(f['precision']):>9s} {_fmt(f['recall']):>7s}")


def _pr_rows(figures: dict[str, Any]) -> dict[str, Any]:
    cot = figures["cot_elicitation"]
    rows = {f"cot_elicitation {k}": v for k, v in cot.items() if isinstance(v, dict) and "precision" in v}
    return rows | {k: figures[k] for k in BOOL_SIGNALS}


def report(results: dict[str, Any]) -> None:
    hl = results["hand-labelled"]
    cot = hl["cot_elicitation"]
    _print_pr_table(f"hand-labelled ({hl['n']} prompts)", _pr_rows(hl))
    print("cot_elicitation confusion (rows: label 0/0.5/1; cols: predicted 0/0.5/1):",
          cot["confusion (rows: label 0/0.5/1, cols: predicted 0/0.5/1)"])
    print("cot_elicitation coercion recall by language:", cot["coercion recall by language"])
    for name in ("capability_domain", "language"):
        f = hl[name]
        print(f"{name}: accuracy {f['accuracy']:.3f} on {f['n']}; per class (precision/recall): "
              + ", ".join(f"{c} {_fmt(v['precision'])}/{_fmt(v['recall'])}" for c, v in f["per_class"].items()))
    print("\n## shared corpora (no wrappers: firings of the four detectors are false positives or genuine)")
    print(f"{'source':20s} {'kind':13s} {'n':>6s} {'cot=1':>7s} {'cot>=.5':>8s} {'grader':>7s} {'rewrite':>8s} "
          f"{'identity':>8s}  domain (top 3)")
    for source, f in results["shared corpora"].items():
        top = ", ".join(f"{k} {v / f['n']:.2f}" for k, v in list(f["domains"].items())[:3])
        rates = " ".join(f"{f[k]:>{w}.4f}" for k, w in (("cot 1.0 rate", 7), ("cot >= 0.5 rate", 8),
                                                        ("grader_rubric rate", 7), ("rewrite_request rate", 8),
                                                        ("identity_probe rate", 8)))
        print(f"{source:20s} {f['kind']:13s} {f['n']:>6d} {rates}  {top}")
    gsm = results["shared corpora"].get("gsm8k")
    odex = results["shared corpora"].get("odex")
    if gsm and odex:
        print(f"domain recall: gsm8k -> math {gsm['domains'].get('math', 0) / gsm['n']:.3f}, "
              f"odex -> coding {odex['domains'].get('coding', 0) / odex['n']:.3f}")
    agree: dict[str, list[float]] = defaultdict(lambda: [0, 0])
    for f in results["shared corpora"].values():
        for lang, a in f["language agreement"].items():
            agree[lang][0] += a["n"]
            agree[lang][1] += a["agree"] * a["n"]
    print("language agreement with the corpora's heuristic lang field: "
          + ", ".join(f"{k} {v[1] / v[0]:.3f} (n={v[0]})" for k, v in sorted(agree.items())))
    ho = results["held-out"]
    _print_pr_table("held-out (simulator phrasebook, written independently)", _pr_rows(ho))
    print("cot_elicitation confusion (rows: label 0/0.5/1; cols: predicted 0/0.5/1):",
          ho["cot_elicitation"]["confusion (rows: label 0/0.5/1, cols: predicted 0/0.5/1)"])
    print("cot_elicitation coercion recall by language:", ho["cot_elicitation"]["coercion recall by language"])
    tp = results.get("throughput")
    if tp:
        print(f"\n## throughput ({tp['rows']:,} prompts, mean {tp['mean_chars']:.0f} chars, "
              f"{tp['share_over_4000_chars']:.1%} over {2 * tp['window_chars']:,} chars; "
              f"batches of {tp['batch_rows']:,})")
        for k, v in tp.items():
            if k.endswith("(rows/s)"):
                print(f"{k:40s} {v:>12,.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", metavar="OUT", help="also write the figures as JSON to OUT")
    parser.add_argument("--rows", type=int, default=100_000, help="prompts in the throughput run (default 100000)")
    parser.add_argument("--repeat", type=int, default=3, help="throughput runs; the fastest counts (default 3)")
    parser.add_argument("--per-template", type=int, default=20, help="prompts per phrasebook template (default 20)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--threads", type=int, default=2, help="also time all signals on this many threads (default 2)")
    parser.add_argument("--no-throughput", action="store_true", help="skip the throughput run")
    args = parser.parse_args(argv)

    corpora = _load_corpora()
    if not corpora:
        print(f"no corpora under {CORPORA}", file=sys.stderr)
        return 2
    results: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "pyarrow": pa.__version__, "numpy": np.__version__,
                    "platform": platform.platform()},
        "hand-labelled": hand_labelled(),
        "shared corpora": shared_corpora(corpora),
        "held-out": held_out(corpora, args.per_template, args.seed),
    }
    if not args.no_throughput:
        prompts = throughput_prompts(corpora, args.rows, args.seed)
        results["throughput"] = throughput(prompts, args.repeat, args.threads)
    report(results)
    if args.json:
        out = Path(args.json)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
