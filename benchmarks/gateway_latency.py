"""Latency the gateway adds, and its throughput through one worker, against a local upstream.

Run (from the repository root):

    .venv/bin/python benchmarks/gateway_latency.py                      # 300 requests/s, 5 s per run
    .venv/bin/python benchmarks/gateway_latency.py --rate 200 --seconds 10 --rounds 3 --json out.json
    .venv/bin/python benchmarks/gateway_latency.py --redis            # rate state in a redis-server of its own

Three processes, all on 127.0.0.1:

  upstream   a minimal OpenAI-compatible server (Starlette under uvicorn, one worker) answering
             POST /v1/chat/completions with a fixed ~600-byte completion, no sleep;
  gateway    ``distillguard gateway`` (one uvicorn worker) in front of it, in-memory state (``--redis``: GCRA
             rate state in a ``redis-server`` the benchmark starts on a free loopback port), default policy
             except a rate limit high enough never to throttle, writing its traffic log to a temporary file;
  load       a separate process with a small HTTP/1.1 keep-alive client over asyncio streams (much cheaper
             per request than httpx, so it does not limit what it measures).

For each round the load process sends the same chat completion at a fixed rate (open loop: request i is
sent at t0 + i/rate whether or not earlier ones have finished; latency is measured from that scheduled
moment to the last byte of the answer, so queueing counts) first straight to the upstream, then through
the gateway; added latency is the difference of the percentiles, per round and over all rounds pooled
(the figures ``--json`` records as ``added_p50_ms`` / ``added_p99_ms``). Then, at saturation (closed loop,
``--concurrency`` connections each sending as soon as its answer is in), requests per second of the
upstream alone and through the gateway. Each request uses one of 1,000 API keys (1,000 accounts).

Prints the figures; ``--json`` also writes them. Numbers depend on the machine: on 2 shared cores the three
processes compete for the CPU with each other.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = json.dumps({"model": "bench", "messages": [{"role": "user", "content": "Summarise the plot of Hamlet."}],
                      "max_tokens": 64}).encode()


# -- the upstream (run as a child process) ---------------------------------------------------------------------


def serve_upstream(port: int) -> None:
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    answer = json.dumps({
        "id": "chatcmpl-bench", "object": "chat.completion", "created": 0, "model": "bench",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {
            "role": "assistant", "content": "Prince Hamlet avenges his father's murder by his uncle Claudius. " * 4}}],
        "usage": {"prompt_tokens": 12, "completion_tokens": 60, "total_tokens": 72}}).encode()

    async def chat(request: Request) -> Response:
        await request.body()
        return Response(answer, media_type="application/json")

    app = Starlette(routes=[Route("/v1/chat/completions", chat, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- the load (run as a child process) ---------------------------------------------------------------------------


class Connection:
    """One keep-alive HTTP/1.1 connection that sends POSTs and reads Content-Length answers."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def post(self, path: str, body: bytes, key: str) -> int:
        self.writer.write(f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
                          f"authorization: Bearer {key}\r\ncontent-length: {len(body)}\r\n\r\n".encode() + body)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n"):
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
        await self.reader.readexactly(length)
        return status


async def _fixed_rate(port: int, rate: float, seconds: float, connections: int) -> dict[str, Any]:
    pool: asyncio.Queue[Connection] = asyncio.Queue()
    for _ in range(connections):
        pool.put_nowait(await Connection.open(port))
    for i in range(20):  # warm up the connections and both servers
        conn = await pool.get()
        await conn.post("/v1/chat/completions", PAYLOAD, f"sk-bench-{i}")
        pool.put_nowait(conn)
    latencies: list[float] = []
    errors = 0
    n = int(rate * seconds)
    t0 = time.perf_counter() + 0.05

    async def one(i: int) -> None:
        nonlocal errors
        scheduled = t0 + i / rate
        await asyncio.sleep(max(0.0, scheduled - time.perf_counter()))
        conn = await pool.get()
        try:
            status = await conn.post("/v1/chat/completions", PAYLOAD, f"sk-bench-{i % 1000}")
        finally:
            pool.put_nowait(conn)
        latencies.append(time.perf_counter() - scheduled)
        errors += status != 200

    await asyncio.gather(*(one(i) for i in range(n)))
    elapsed = time.perf_counter() - t0
    latencies.sort()
    return {"requests": n, "errors": errors, "achieved_rate": round(n / elapsed, 1),
            "p50_ms": round(_pct(latencies, 50) * 1000, 3), "p90_ms": round(_pct(latencies, 90) * 1000, 3),
            "p99_ms": round(_pct(latencies, 99) * 1000, 3), "max_ms": round(latencies[-1] * 1000, 3),
            "latencies_ms": [round(x * 1000, 3) for x in latencies]}


async def _saturate(port: int, seconds: float, concurrency: int) -> dict[str, Any]:
    conns = [await Connection.open(port) for _ in range(concurrency)]
    done = 0
    errors = 0
    stop = time.perf_counter() + seconds

    async def loop(conn: Connection, k: int) -> None:
        nonlocal done, errors
        i = k
        while time.perf_counter() < stop:
            errors += await conn.post("/v1/chat/completions", PAYLOAD, f"sk-bench-{i % 1000}") != 200
            done += 1
            i += concurrency

    began = time.perf_counter()
    await asyncio.gather(*(loop(c, k) for k, c in enumerate(conns)))
    return {"requests": done, "errors": errors, "requests_per_s": round(done / (time.perf_counter() - began), 1)}


def _pct(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    i = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[i]


def run_load(mode: str, port: int, rate: float, seconds: float, concurrency: int) -> None:
    if mode == "rate":
        result = asyncio.run(_fixed_rate(port, rate, seconds, concurrency))
    else:
        result = asyncio.run(_saturate(port, seconds, concurrency))
    print(json.dumps(result))


# -- the driver ---------------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{what} exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"{what} did not start")


def _load(args: argparse.Namespace, mode: str, port: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, __file__, "--load", mode, "--port", str(port), "--rate", str(args.rate),
                          "--seconds", str(args.seconds if mode == "rate" else args.saturation_seconds),
                          "--concurrency", str(args.concurrency if mode == "saturate" else 64)],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=300.0, help="requests per second of the fixed-rate runs")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each fixed-rate run")
    parser.add_argument("--rounds", type=int, default=2, help="fixed-rate rounds (direct, then gateway, each)")
    parser.add_argument("--saturation-seconds", type=float, default=4.0)
    parser.add_argument("--concurrency", type=int, default=32, help="connections of the saturation runs")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--redis", action="store_true",
                        help="keep the gateway's rate state in a redis-server started on a free loopback port")
    parser.add_argument("--serve-upstream", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--load", choices=["rate", "saturate"], help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_upstream:
        serve_upstream(args.serve_upstream)
        return
    if args.load:
        run_load(args.load, args.port, args.rate, args.seconds, args.concurrency)
        return

    up_port, gw_port = _free_port(), _free_port()
    work = Path(tempfile.mkdtemp(prefix="dg-gateway-bench-"))
    policy = work / "policy.yaml"
    policy.write_text("rate_limit:\n  requests_per_minute: 100000000\n  burst: 100000\n")
    exe = Path(sys.executable).with_name("distillguard")
    gateway_cmd = [str(exe)] if exe.exists() else [sys.executable, "-c", "from distillguard.cli import run; run()"]
    state: list[str] = []
    redis: subprocess.Popen[bytes] | None = None
    if args.redis:
        binary = shutil.which("redis-server")
        if binary is None:
            sys.exit("--redis needs redis-server (./dev test installs it; or apt-get install redis-server)")
        redis_port = _free_port()
        redis = subprocess.Popen([binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--dir", str(work)], stdout=subprocess.DEVNULL)
        _wait_port(redis_port, redis, "redis-server")
        state = ["--redis", f"redis://127.0.0.1:{redis_port}/0"]
    upstream = subprocess.Popen([sys.executable, __file__, "--serve-upstream", str(up_port)])
    gateway = subprocess.Popen([*gateway_cmd, "gateway", "--upstream", f"http://127.0.0.1:{up_port}",
                                "--port", str(gw_port), "--policy", str(policy), "--log", str(work / "traffic.jsonl"),
                                *state], stderr=subprocess.DEVNULL)
    try:
        _wait_port(up_port, upstream, "the upstream")
        _wait_port(gw_port, gateway, "the gateway")
        rounds = []
        for r in range(args.rounds):
            direct = _load(args, "rate", up_port)
            through = _load(args, "rate", gw_port)
            rounds.append({"direct": direct, "gateway": through})
            print(f"round {r + 1}: {args.rate:g} req/s for {args.seconds:g}s  "
                  f"direct p50 {direct['p50_ms']:.2f} ms p99 {direct['p99_ms']:.2f} ms | "
                  f"gateway p50 {through['p50_ms']:.2f} ms p99 {through['p99_ms']:.2f} ms | "
                  f"added p50 {through['p50_ms'] - direct['p50_ms']:+.2f} ms "
                  f"p99 {through['p99_ms'] - direct['p99_ms']:+.2f} ms"
                  f"  (errors {direct['errors']}/{through['errors']})", flush=True)
        sat_direct = _load(args, "saturate", up_port)
        sat_gateway = _load(args, "saturate", gw_port)
        print(f"saturation, {args.concurrency} connections: upstream alone {sat_direct['requests_per_s']:,.0f} req/s, "
              f"through the gateway {sat_gateway['requests_per_s']:,.0f} req/s "
              f"(errors {sat_direct['errors']}/{sat_gateway['errors']})")
        lines = sum(1 for _ in (work / "traffic.jsonl").open())
        print(f"traffic log: {lines:,} lines")
        # All rounds pooled (a round's p99 is its 10th-slowest request at 200 requests/s for 5 s: noisy).
        pooled = {side: sorted(x for r in rounds for x in r[side].pop("latencies_ms"))
                  for side in ("direct", "gateway")}
        p50 = {side: _pct(values, 50) for side, values in pooled.items()}
        p99 = {side: _pct(values, 99) for side, values in pooled.items()}
        print(f"all {args.rounds} rounds pooled ({len(pooled['gateway']):,} requests each way): "
              f"direct p50 {p50['direct']:.2f} ms p99 {p99['direct']:.2f} ms | "
              f"gateway p50 {p50['gateway']:.2f} ms p99 {p99['gateway']:.2f} ms | "
              f"added p50 {p50['gateway'] - p50['direct']:+.2f} ms p99 {p99['gateway'] - p99['direct']:+.2f} ms")
        figures = {"machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                               "platform": platform.platform()}, "state": "redis" if args.redis else "memory",
                   "rate": args.rate, "seconds": args.seconds, "rounds": rounds,
                   "pooled_ms": {"direct": {"p50": round(p50["direct"], 3), "p99": round(p99["direct"], 3)},
                                 "gateway": {"p50": round(p50["gateway"], 3), "p99": round(p99["gateway"], 3)}},
                   "added_p50_ms": round(p50["gateway"] - p50["direct"], 3),
                   "added_p99_ms": round(p99["gateway"] - p99["direct"], 3),
                   "saturation": {"concurrency": args.concurrency, "upstream": sat_direct, "gateway": sat_gateway},
                   "traffic_log_lines": lines}
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(figures, indent=1) + "\n")
            print(f"figures  {args.json}")
    finally:
        for proc in (gateway, upstream, redis):
            if proc is not None:
                proc.terminate()
        for proc in (gateway, upstream, redis):
            if proc is None:
                continue
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
