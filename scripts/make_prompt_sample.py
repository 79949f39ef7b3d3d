"""Build the shipped prompt-corpus sample ``src/distillguard/sim/data/prompts_sample.jsonl.gz``.

The sample is drawn only from permissively licensed sources in the shared corpus folder
(``shared/data/prompts``; see its README.md for provenance):

* ``gsm8k`` (MIT), 800 lines
* ``dolly`` (CC BY-SA 3.0), 1200 lines
* ``self_instruct_seed`` (Apache-2.0), all lines
* ``cvalues_zh`` (Apache-2.0), 300 lines
* ``odex`` (CC BY-SA 4.0), all lines

Sampling uses a single ``random.Random(20261127)`` that visits the sources in sorted name
order; each source draws ``rng.sample(range(n_lines), k)`` (sources taken whole consume no
randomness). Picked lines are kept in their original order. The lines are copied verbatim
(same JSON fields and values) and written one JSON object per line, UTF-8 with
``ensure_ascii=False``, ordered by (source, original position), into a gzip member whose
header has no file name and mtime 0, so running the script twice gives byte-identical output.

Usage (from anywhere)::

    python scripts/make_prompt_sample.py [--src DIR] [--out FILE]

Only the standard library is used.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
from pathlib import Path

SEED = 20261127
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SRC = REPO_ROOT / ".." / "shared" / "data" / "prompts"
DEFAULT_OUT = REPO_ROOT / "src" / "distillguard" / "sim" / "data" / "prompts_sample.jsonl.gz"

# source name -> number of lines to take (None = all lines)
QUOTAS: dict[str, int | None] = {
    "cvalues_zh": 300,
    "dolly": 1200,
    "gsm8k": 800,
    "odex": None,
    "self_instruct_seed": None,
}


def read_source(src_dir: Path, name: str) -> list[dict]:
    """Return the records of ``<name>.jsonl.gz`` in file order."""
    path = src_dir / f"{name}.jsonl.gz"
    records = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            line = line.rstrip("\n")
            if not line:
                continue
            obj = json.loads(line)
            if obj.get("source") != name:
                raise ValueError(f"{path}: unexpected source {obj.get('source')!r}")
            records.append(obj)
    return records


def build_sample(src_dir: Path) -> tuple[list[str], dict[str, int]]:
    """Return the output lines (without newlines) and the count per source."""
    rng = random.Random(SEED)
    lines: list[str] = []
    counts: dict[str, int] = {}
    for name in sorted(QUOTAS):
        records = read_source(src_dir, name)
        quota = QUOTAS[name]
        if quota is None or quota >= len(records):
            picked = list(range(len(records)))
        else:
            picked = sorted(rng.sample(range(len(records)), quota))
        for idx in picked:
            lines.append(json.dumps(records[idx], ensure_ascii=False))
        counts[name] = len(picked)
    return lines, counts


def write_gzip(out: Path, lines: list[str]) -> bytes:
    """Write ``lines`` deterministically as gzip; return the bytes written."""
    payload = "".join(line + "\n" for line in lines).encode("utf-8")
    out.parent.mkdir(parents=True, exist_ok=True)
    with (
        open(out, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz,
    ):
        gz.write(payload)
    return out.read_bytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC, help="folder with the shared *.jsonl.gz corpora")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output .jsonl.gz path")
    args = parser.parse_args(argv)

    lines, counts = build_sample(args.src)
    data = write_gzip(args.out, lines)
    for name, n in counts.items():
        print(f"{name}: {n}")
    print(f"total: {len(lines)} lines, {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
