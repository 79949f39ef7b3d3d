"""How fast does distillguard read a traffic log, against bare JSON decoding of the same lines?

Run (from the repository root, on a log from ``distillguard simulate`` or any contract log):

    .venv/bin/python benchmarks/reader_throughput.py out/traffic.jsonl.gz --also-uncompressed --repeat 3 \\
        --json bench-out/reader_throughput.json

Each measurement runs in a fresh Python process so that its peak RSS is its own:

  bare-orjson / bare-msgspec   open the file exactly as the reader does (ISA-L's GzipFile when installed, as
                               the reader, else gzip.GzipFile, under a 1 MiB io.BufferedReader, one thread),
                               read it line by line and decode every line untyped; imports nothing of
                               distillguard or pyarrow. The faster one is the baseline.
  reader                       distillguard.events.read_events([path]) consuming every batch: typed decode,
                               validation, flattening and Arrow batches.
  *-uncompressed               the same on an uncompressed copy (``--also-uncompressed``), decompressed to a
                               temporary file first.

Timings cover the read loop only (not interpreter start or imports). ``ratio`` is a measurement's time over
the baseline's time for the same file (bare decode of the compressed file, or of the uncompressed copy).
MB/s counts uncompressed bytes, MB = 10**6 bytes. Peak RSS is the process's high-water mark (VmHWM on
Linux, else ru_maxrss), imports included; ``(imports)`` is the same figure taken just before reading starts.
On a busy or small machine timings vary by tens of percent: use ``--repeat 3`` (the fastest run counts).
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO, Any

BARE_DECODERS = ("orjson", "msgspec")


def _peak_rss_mb() -> float:
    # Linux: VmHWM belongs to this program's address space. ru_maxrss would not do: it carries over
    # across exec, so a child started by (v)fork reports at least its parent's RSS.
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024 / 1e6
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1e6 if sys.platform == "darwin" else rss * 1024 / 1e6  # bytes on macOS, KiB on Linux


class GzipChunks(io.RawIOBase):
    """A gzip stream as raw reads of one decompressed chunk each, to buffer on top of (imports nothing of ours)."""

    def __init__(self, gz: gzip.GzipFile) -> None:
        super().__init__()
        self._gz = gz

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        data = self._gz.read1(len(b))
        b[: len(data)] = data
        return len(data)


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(2) == b"\x1f\x8b"  # sniffed from content, as the reader does


def _open_lines(path: Path, raw: IO[bytes]) -> IO[bytes]:
    """The reader's own way of opening a log: gzip under a 1 MiB buffer, else the plain file."""
    if _is_gzip(path):
        try:  # the fastest inflate available, as the reader uses (but on one thread, no prefetch)
            from isal.igzip import GzipFile
        except ImportError:
            GzipFile = gzip.GzipFile
        return io.BufferedReader(GzipChunks(GzipFile(fileobj=raw, mode="rb")), buffer_size=1 << 20)
    return raw


def _measure_bare(path: Path, decoder: str) -> dict[str, Any]:
    if decoder == "orjson":
        import orjson

        decode = orjson.loads
    else:
        import msgspec

        decode = msgspec.json.Decoder().decode
    events = bad = nbytes = 0
    base_rss = _peak_rss_mb()
    start = time.perf_counter()
    with path.open("rb") as raw:
        readline = _open_lines(path, raw).readline
        while line := readline():
            nbytes += len(line)
            if not line.strip():
                continue
            try:
                decode(line)
                events += 1
            except ValueError:  # orjson.JSONDecodeError and msgspec.DecodeError are ValueErrors
                bad += 1
    seconds = time.perf_counter() - start
    return {"events": events, "bad": bad, "uncompressed_bytes": nbytes, "seconds": seconds, "base_rss_mb": base_rss}


def _measure_reader(path: Path) -> dict[str, Any]:
    from distillguard.events import ReadReport, read_events

    report = ReadReport()
    events = 0
    base_rss = _peak_rss_mb()
    start = time.perf_counter()
    for batch in read_events([path], report=report):
        events += batch.num_rows
    seconds = time.perf_counter() - start
    return {"events": events, "bad": report.bad, "uncompressed_bytes": None, "seconds": seconds,
            "base_rss_mb": base_rss, "error": report.files[0].error}


def _child(mode: str, path: Path) -> None:
    """Run one measurement in this (fresh) process and print it as JSON on stdout."""
    result = _measure_reader(path) if mode == "reader" else _measure_bare(path, mode.removeprefix("bare-"))
    result["peak_rss_mb"] = _peak_rss_mb()
    json.dump(result, sys.stdout)


def _run_child(mode: str, path: Path) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, __file__, str(path), "--measure", mode],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{mode} on {path} failed:\n{proc.stderr.strip()}")
    return json.loads(proc.stdout)


def _available(decoder: str) -> bool:
    try:
        __import__(decoder)
    except ImportError:
        return False
    return True


def _measure(mode: str, path: Path, repeat: int) -> dict[str, Any]:
    """The fastest of ``repeat`` runs, each in a fresh process; peak RSS is the largest seen."""
    runs = [_run_child(mode, path) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    best["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    best["runs_seconds"] = [r["seconds"] for r in runs]
    return best


def _warm_page_cache(path: Path) -> None:
    with path.open("rb") as f:
        while f.read(1 << 20):
            pass


def _measure_file(path: Path, suffix: str, repeat: int) -> list[dict[str, Any]]:
    """Bare decoders and the reader on one file; ratios against the faster bare decoder."""
    _warm_page_cache(path)
    rows = []
    for decoder in BARE_DECODERS:
        if _available(decoder):
            rows.append({"name": f"bare-{decoder}{suffix}", **_measure(f"bare-{decoder}", path, repeat)})
        else:
            print(f"note: {decoder} is not installed; skipping bare-{decoder}", file=sys.stderr)
    if not rows:
        raise SystemExit("error: neither orjson nor msgspec can be imported")
    baseline = min(rows, key=lambda r: r["seconds"])
    baseline["baseline"] = True
    reader = {"name": f"reader{suffix}", **_measure("reader", path, repeat)}
    reader["uncompressed_bytes"] = baseline["uncompressed_bytes"]
    rows.append(reader)
    for row in rows:
        row["ratio"] = row["seconds"] / baseline["seconds"] if baseline["seconds"] else float("nan")
        row["events_per_s"] = row["events"] / row["seconds"] if row["seconds"] else float("nan")
        row["mb_per_s"] = row["uncompressed_bytes"] / 1e6 / row["seconds"] if row["seconds"] else float("nan")
        row["file"] = str(path)
    return rows


def _print_table(rows: list[dict[str, Any]]) -> None:
    header = f"{'measurement':<28} {'events':>10} {'MB':>9} {'seconds':>8} {'events/s':>11} {'MB/s':>8} " \
             f"{'peak RSS MB':>11} {'(imports)':>9} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for r in rows:
        name = r["name"] + (" *" if r.get("baseline") else "")
        print(f"{name:<28} {r['events']:>10,} {r['uncompressed_bytes'] / 1e6:>9.1f} {r['seconds']:>8.3f} "
              f"{r['events_per_s']:>11,.0f} {r['mb_per_s']:>8.1f} {r['peak_rss_mb']:>11.1f} {r['base_rss_mb']:>9.1f} "
              f"{r['ratio']:>6.2f}")
    print("* baseline (faster bare decoder); ratio = seconds / baseline seconds on the same file; "
          "(imports) = RSS after imports, before reading")
    for r in rows:
        if r.get("bad"):
            print(f"note: {r['name']} counted {r['bad']:,} bad lines")
        if r.get("error"):
            print(f"note: {r['name']}: {r['error']}")


def _versions() -> dict[str, str | None]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in ("distillguard", "msgspec", "orjson", "pyarrow"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = None
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Measure distillguard's log reader against bare JSON decoding (see the module docstring).")
    parser.add_argument("log", type=Path, help="traffic log: .jsonl.gz or .jsonl (format sniffed from content)")
    parser.add_argument("--also-uncompressed", action="store_true",
                        help="also measure on an uncompressed copy (decompressed to a temporary file first)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the figures to OUT as JSON")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="run each measurement N times (fresh process each) and keep the fastest (default 1)")
    parser.add_argument("--tmpdir", type=Path, help="where to put the uncompressed copy (default: system temp)")
    parser.add_argument("--measure", metavar="MODE", help=argparse.SUPPRESS)  # internal: one measurement
    args = parser.parse_args(argv)

    if args.measure:
        _child(args.measure, args.log)
        return 0
    if not args.log.is_file():
        parser.error(f"{args.log}: no such file")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    compressed = _is_gzip(args.log)
    rows = _measure_file(args.log, "", args.repeat)
    if args.also_uncompressed:
        if not compressed:
            print("note: the log is not compressed; --also-uncompressed adds nothing", file=sys.stderr)
        else:
            with tempfile.TemporaryDirectory(dir=args.tmpdir) as tmp:
                plain = Path(tmp) / "traffic.jsonl"
                with gzip.open(args.log, "rb") as src, plain.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
                rows += _measure_file(plain, "-uncompressed", args.repeat)

    print(f"log: {args.log} ({args.log.stat().st_size / 1e6:.1f} MB on disk, "
          f"{'gzip' if compressed else 'plain JSONL'}), {os.cpu_count()} CPUs, "
          + ", ".join(f"{k} {v}" for k, v in _versions().items()))
    _print_table(rows)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        doc = {"log": str(args.log), "file_bytes": args.log.stat().st_size, "compressed": compressed,
               "platform": platform.platform(), "cpus": os.cpu_count(), "versions": _versions(),
               "measurements": rows}
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
