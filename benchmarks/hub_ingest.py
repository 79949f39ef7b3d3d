"""The hub's ingest rate and incremental poll latency with N objects stored, beside medallion (the OASIS TAXII
2.1 reference server) on the same machine and data when it is installed.

Run (from the repository root):

    .venv/bin/python benchmarks/hub_ingest.py                          # 20,000 objects, SQLite
    nice -n 19 .venv/bin/python benchmarks/hub_ingest.py --objects 1000000 --no-medallion   # the full run (~15 min)
    .venv/bin/python benchmarks/hub_ingest.py --db postgresql://user@127.0.0.1:5432/hub
    .venv/bin/python benchmarks/hub_ingest.py --medallion-python /path/to/venv/bin/python

Each server runs in its own process on 127.0.0.1 (the hub: ``distillguard hub``, one uvicorn worker; medallion:
its own ``medallion`` script, Flask's threaded server, memory backend); this process is the client (httpx, one
connection, keep-alive). The data: STIX 2.1 indicators marked TLP:GREEN (about 450 bytes each), posted as TAXII
envelopes of ``--batch`` objects. Measured:

- ingest: objects per second over the whole load, timing the POSTs only (each envelope is made just before
  its POST, so 1M objects never sit in memory at once; every POST is answered with its status resource; the
  hub validates each object with the stix2 library, stores it and writes the audit row in the same
  transaction);
- incremental poll: with everything stored, add one object, then time ``GET .../objects/?added_after=<the last
  X-TAXII-Date-Added-Last seen>`` (which returns just that object), ``--polls`` times: median and p95;
- empty poll: the same request when nothing new was added.

medallion is tried, never installed: the script runs ``--medallion-python`` (default: this interpreter) with
``import medallion`` and says so when it is missing (``pip install medallion`` into any virtual environment and
point ``--medallion-python`` at it). Its memory backend compares every new object with every stored one, and
its ``added_after`` filter compares every object with every manifest entry (a poll at 2,000 objects takes
~25 s), so it gets ``--medallion-objects`` (default 1,000) rather than N, and the hub is measured a second time
with that many objects (unless N is the same) for a comparison on the same data; the figures say which N each
server had.
Prints the figures; ``--json`` also writes them. No timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
MEDIA = "application/taxii+json;version=2.1"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
COLLECTION = "8a6d0a43-7f5e-4c59-b0f7-0e3c2f7d9b21"


def make_objects(n: int, start: int = 0) -> list[dict[str, Any]]:
    """``n`` distinct STIX 2.1 indicators (fixed timestamps, random ids), as a publisher would send them."""
    stamp = "2026-11-02T10:00:00.000Z"
    return [{"type": "indicator", "spec_version": "2.1", "id": f"indicator--{uuid.uuid4()}", "created": stamp,
             "modified": stamp, "name": f"distillation campaign infrastructure {start + i}",
             "indicator_types": ["malicious-activity"],
             "pattern": f"[autonomous-system:number = {(start + i) % 4_000_000_000}]", "pattern_type": "stix",
             "valid_from": stamp, "object_marking_refs": [GREEN]} for i in range(n)]


@dataclass
class Target:
    name: str
    process: subprocess.Popen[bytes]
    objects_url: str
    auth: tuple[str, str]

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(url: str, auth: tuple[str, str], process: subprocess.Popen[bytes], name: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with {process.returncode} before answering")
        try:
            if httpx.get(url, auth=auth, headers={"Accept": MEDIA}, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit(f"{name} did not answer at {url}")


def start_hub(workdir: Path, db: str | None, validation_processes: int) -> Target:
    from distillguard.share.hub.auth import new_key
    from distillguard.share.hub.config import HubConfig

    workdir.mkdir(parents=True, exist_ok=True)
    key, record = new_key()
    config = HubConfig.from_dict({
        "title": "bench hub", "page_size": 1000, "max_content_length": 64 * 1024 * 1024,
        "rate_limit": {"requests_per_second": 1_000_000, "burst": 1_000_000},
        "validation_processes": validation_processes,
        "api_roots": {"bench": {"title": "bench", "collections": {"indicators": {"id": COLLECTION,
                                                                                 "title": "bench"}}}},
        "groups": {"all": ""},
        "members": {"bench": {"groups": ["all"], "read": ["*"], "write": ["*"], "key_id": record.key_id,
                              "key_salt": record.key_salt, "key_hash": record.key_hash}}})
    config_path = workdir / "hub.yaml"
    config.save(config_path)
    port = free_port()
    command = [sys.executable, "-c", "from distillguard.cli import run; run()", "hub", "--config", str(config_path),
               "--db", db or str(workdir / "hub.db"), "--port", str(port)]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=(workdir / "hub.log").open("wb"))
    auth = ("bench", key)
    wait_until_up(f"http://127.0.0.1:{port}/taxii2/", auth, process, "the hub")
    return Target("distillguard hub", process, f"http://127.0.0.1:{port}/bench/collections/{COLLECTION}/objects/",
                  auth)


def medallion_available(python: str) -> bool:
    found = subprocess.run([python, "-c", "import medallion"], capture_output=True)
    return found.returncode == 0


def start_medallion(workdir: Path, python: str) -> Target:
    port = free_port()
    data = {
        "/discovery": {"title": "bench", "default": f"http://127.0.0.1:{port}/bench/",
                       "api_roots": [f"http://127.0.0.1:{port}/bench/"]},
        "bench": {"information": {"title": "bench", "versions": [MEDIA], "max_content_length": 64 * 1024 * 1024},
                  "status": [],
                  "collections": [{"id": COLLECTION, "title": "bench", "can_read": True, "can_write": True,
                                   "media_types": ["application/stix+json;version=2.1"], "objects": [],
                                   "manifest": []}]},
    }
    (workdir / "medallion-data.json").write_text(json.dumps(data))
    config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                          "filename": str(workdir / "medallion-data.json")},
              "users": {"bench": "bench-password"}, "taxii": {"max_page_size": 1000}}
    (workdir / "medallion.json").write_text(json.dumps(config))
    command = [python, "-c", "from medallion.scripts.run import main; main()", "--port", str(port),
               str(workdir / "medallion.json")]
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL,
                               stderr=(workdir / "medallion.log").open("wb"))
    auth = ("bench", "bench-password")
    wait_until_up(f"http://127.0.0.1:{port}/taxii2/", auth, process, "medallion")
    return Target("medallion (memory backend)", process,
                  f"http://127.0.0.1:{port}/bench/collections/{COLLECTION}/objects/", auth)


def run(target: Target, n: int, batch: int, polls: int) -> dict[str, Any]:
    client = httpx.Client(auth=target.auth, timeout=600,
                          headers={"Accept": MEDIA, "Content-Type": MEDIA})
    print(f"{target.name}: ingesting {n:,} objects in envelopes of {batch:,}", file=sys.stderr)
    stored = 0
    report_every = max(1, (n // batch) // 20)
    # Envelopes are made one at a time (1M objects held at once would be ~2 GB), and their making is left out
    # of the time: only the POSTs are timed.
    ingest_seconds = 0.0
    for i in range(0, n, batch):
        body = json.dumps({"objects": make_objects(min(batch, n - i), i)})
        t0 = time.perf_counter()
        response = client.post(target.objects_url, content=body)
        response.raise_for_status()
        ingest_seconds += time.perf_counter() - t0
        stored += int(response.json().get("success_count", 0))
        if (i // batch) % report_every == 0:
            print(f"  {min(i + batch, n):>10,} objects, {stored / ingest_seconds:,.0f}/s "
                  f"({time.strftime('%H:%M:%S')})", file=sys.stderr, flush=True)

    # Catch up to the end of the collection once (untimed), to learn the latest date_added. The marker falls
    # after the load and before one more object, so the catch-up reads that object only: medallion filters
    # added_after in time quadratic in the objects stored, so every extra request there costs seconds.
    time.sleep(1.0)
    marker = time.time() - 0.5
    client.post(target.objects_url, content=json.dumps({"objects": make_objects(1, n)})).raise_for_status()
    after = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(marker)) + ".000000Z"
    while True:
        response = client.get(target.objects_url, params={"added_after": after, "limit": 1000})
        response.raise_for_status()
        if not response.json().get("objects"):
            break
        after = response.headers["X-TAXII-Date-Added-Last"]

    new_poll: list[float] = []
    empty_poll: list[float] = []
    for i in range(polls):
        client.post(target.objects_url, content=json.dumps({"objects": make_objects(1, n + 1 + i)})).raise_for_status()
        t0 = time.perf_counter()
        response = client.get(target.objects_url, params={"added_after": after})
        new_poll.append(time.perf_counter() - t0)
        response.raise_for_status()
        got = response.json().get("objects", [])
        if len(got) != 1:
            raise SystemExit(f"{target.name}: an incremental poll returned {len(got)} objects, expected 1")
        after = response.headers["X-TAXII-Date-Added-Last"]
        t0 = time.perf_counter()
        response = client.get(target.objects_url, params={"added_after": after})
        empty_poll.append(time.perf_counter() - t0)
        response.raise_for_status()
    client.close()
    return {
        "server": target.name, "objects_stored": stored, "batch": batch,
        "ingest_seconds": round(ingest_seconds, 2), "ingest_objects_per_second": round(stored / ingest_seconds),
        "poll_new_median_ms": round(statistics.median(new_poll) * 1000, 2),
        "poll_new_p95_ms": round(_p95(new_poll) * 1000, 2),
        "poll_empty_median_ms": round(statistics.median(empty_poll) * 1000, 2),
        "polls": polls,
    }


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objects", type=int, default=20_000, help="objects stored in the hub (default 20,000)")
    parser.add_argument("--batch", type=int, default=1000, help="objects per POST (default 1,000)")
    parser.add_argument("--polls", type=int, default=30, help="timed incremental polls (default 30)")
    parser.add_argument("--db", help="the hub's store: SQLite path or postgresql:// URL (default: a temporary SQLite "
                                     "file)")
    parser.add_argument("--validation-processes", type=int, default=0,
                        help="the hub's validation_processes setting (default 0: validate in the server process)")
    parser.add_argument("--medallion-objects", type=int, default=1000,
                        help="objects stored in medallion, and in a second hub for the same-size comparison "
                             "(default 1,000: medallion's memory backend is quadratic in stored objects)")
    parser.add_argument("--medallion-polls", type=int, default=5,
                        help="timed polls against medallion (default 5: each takes seconds there)")
    parser.add_argument("--medallion-python", default=sys.executable,
                        help="a Python that can import medallion (default: this one)")
    parser.add_argument("--no-medallion", action="store_true", help="skip medallion")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()

    results: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="hub-bench-") as tmp:
        workdir = Path(tmp)
        store = "postgresql" if args.db and "://" in args.db else "sqlite"
        hub = start_hub(workdir / "hub-n", args.db, args.validation_processes)
        try:
            results.append({**run(hub, args.objects, args.batch, args.polls), "store": store})
        finally:
            hub.stop()
        medallion_note = None
        if args.no_medallion:
            medallion_note = "skipped (--no-medallion)"
        elif args.db and "://" in args.db:
            medallion_note = "skipped: the same-size comparison needs the default temporary SQLite store"
        elif not medallion_available(args.medallion_python):
            medallion_note = (f"not installed for {args.medallion_python}: pip install medallion into a virtual "
                              "environment and pass --medallion-python; skipped")
        else:
            if args.medallion_objects != args.objects:  # else the run above is the same-size comparison
                small = start_hub(workdir / "hub-small", None, args.validation_processes)
                try:
                    results.append({**run(small, args.medallion_objects, args.batch, args.polls), "store": store})
                finally:
                    small.stop()
            peer = start_medallion(workdir, args.medallion_python)
            try:
                results.append({**run(peer, args.medallion_objects, args.batch, args.medallion_polls),
                                "store": "memory"})
            finally:
                peer.stop()
    print(f"\n{'server':<28} {'store':<10} {'stored':>10} {'ingest obj/s':>13} {'poll new ms (p50/p95)':>22} "
          f"{'poll empty ms':>14}")
    for r in results:
        print(f"{r['server']:<28} {r['store']:<10} {r['objects_stored']:>10,} {r['ingest_objects_per_second']:>13,} "
              f"{r['poll_new_median_ms']:>10.2f} / {r['poll_new_p95_ms']:<9.2f} {r['poll_empty_median_ms']:>14.2f}")
    if medallion_note:
        print(f"medallion: {medallion_note}")
    if args.json:
        args.json.write_text(json.dumps({"machine": platform.platform(), "processor": platform.processor(),
                                         "results": results, "medallion": medallion_note}, indent=2))


if __name__ == "__main__":
    main()
