"""benchmarks/reader_throughput.py runs end to end on a small log (about a second: six short processes)."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from distillguard.events import write_jsonl

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "reader_throughput.py"


def test_benchmark_measures_bare_decoders_and_reader_on_both_copies(
    tmp_path: Path, make_record: Callable[..., dict[str, Any]]
) -> None:
    log = tmp_path / "traffic.jsonl.gz"
    write_jsonl([make_record(i) for i in range(300)], log)
    out = tmp_path / "figures.json"
    proc = subprocess.run([sys.executable, str(SCRIPT), str(log), "--also-uncompressed", "--json", str(out)],
                          capture_output=True, text=True, check=False, timeout=60)
    assert proc.returncode == 0, proc.stderr
    names = [m["name"] for m in json.loads(out.read_text())["measurements"]]
    assert names == ["bare-orjson", "bare-msgspec", "reader",
                     "bare-orjson-uncompressed", "bare-msgspec-uncompressed", "reader-uncompressed"]
    plain_bytes = len(gzip.decompress(log.read_bytes()))
    for m in json.loads(out.read_text())["measurements"]:
        assert (m["events"], m["bad"], m["uncompressed_bytes"]) == (300, 0, plain_bytes)
        assert m["seconds"] > 0
        assert m["peak_rss_mb"] > 0
    assert "reader-uncompressed" in proc.stdout
    assert "ratio" in proc.stdout
