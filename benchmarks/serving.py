"""Courses per hour against an OpenAI-compatible server with a fixed capacity, and what the
driver costs per model call, measured in one run.

The server is ``tests.support.simserver`` (Starlette on uvicorn) in its own process: every
request holds one of K slots for a fixed latency, the rest queue (a serving engine with K batch
slots). The ideal is K requests always in flight:
``courses/h = 3600 * K / (latency * requests per course)``. counselsim runs with the real course
graph, SQLite checkpointer, Chroma memory and the offline USE embedder; only the model is
simulated.

Rows: one course at a time (the peers' design); counselsim at concurrency K for each K (8 K
courses: a run's start-up and its last courses finishing one by one weigh little); and
with ``--workers W`` worker processes at the largest K. **Driver CPU per call** is the process
time of the driver (and, with workers, of its worker processes) over the model calls made:
the server's CPU is not counted. **Box busy** is the driver's and the server's CPU over the
wall time and every core: near 100 %, the machine, not the driver, is the limit.
``--in-flight N`` adds a row with N courses in flight at once
(server capacity N, a long latency) and reports the driver's peak RSS.

Usage:  .venv/bin/python benchmarks/serving.py [--latency 0.25] [--capacity 8,64,256]
        [--workers 2] [--in-flight 1000] [--sessions 1] [--max-turns 3]
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from counselsim import aio

ROOT = Path(__file__).resolve().parents[1]
PROFILES = "en-help-rejecting,zh-grief,en-crisis-risk,zh-ambivalent"


def start_server(latency: float, capacity: int) -> tuple[subprocess.Popen[bytes], str]:
    from counselsim.llm.serve import free_port

    port = free_port()
    cmd = ["--port", str(port), "--latency", str(latency), "--capacity", str(capacity)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.simserver", *cmd, "--seed", "1"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/v1"
    for _ in range(200):
        try:
            if httpx.get(url + "/models", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.05)
    raise SystemExit("simulated server did not start")


def server_requests(url: str) -> int:
    """Requests the simulated server has answered (its /stats endpoint)."""
    return int(httpx.get(url.removesuffix("/v1") + "/sim/stats", timeout=5).json()["requests"])


def simulation(url: str, args: Any) -> Any:
    from counselsim.config import load_config
    from counselsim.services.compose import build_simulation

    cfg = load_config(
        overrides={
            "sessions": args.sessions,
            "max_turns": args.max_turns,
            "min_turns": args.max_turns,
            "seed": 1,
            "model": {"base_url": url, "model": "sim"},
        }
    )
    return build_simulation(cfg)


async def run(url: str, out: Path, courses: int, concurrency: int, args: Any) -> dict[str, Any]:
    from counselsim.services.generate import generate
    from counselsim.services.profiles import load_profile_set

    sim = simulation(url, args)
    profiles = load_profile_set(PROFILES, out)
    summary = await generate([sim], profiles, "bench", courses, out, concurrency)
    await sim.aclose()
    return summary.model_dump()


def run_workers(url: str, out: Path, courses: int, concurrency: int, args: Any) -> dict[str, Any]:
    from counselsim.services.distributed import generate_sharded, process_pool
    from counselsim.services.profiles import load_profile_set

    sim = simulation(url, args)
    profiles = load_profile_set(PROFILES, out)
    with process_pool(args.workers) as pool:
        summary = generate_sharded(
            pool, [sim], profiles, "bench", courses, out, concurrency, [url], shards=args.workers
        )
    return summary.model_dump()


def cpu_seconds() -> float:
    """Process time of this driver plus its finished children (worker processes)."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) another process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(name: str, k: int, latency: float, n: int, conc: int, tmp: Path, args: Any,
            workers: bool = False) -> dict[str, Any]:  # fmt: skip
    proc, url = start_server(latency, k)
    server_cpu0 = process_cpu(proc.pid)
    try:
        out = tmp / name.replace(" ", "_").replace(",", "").replace("=", "")
        cpu0, started = cpu_seconds(), time.perf_counter()
        if workers:
            summary = run_workers(url, out, n, conc, args)
        else:
            summary = aio.run(run(url, out, n, conc, args))
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu0
        calls = server_requests(url)
        server_cpu = process_cpu(proc.pid) - server_cpu0
    finally:
        proc.terminate()
        proc.wait()
    return {"k": k, "courses": n, "wall": wall, "cpu": cpu, "calls": calls,
            "server_cpu": server_cpu, "failed": summary["failed"]}  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.25, help="seconds per request")
    ap.add_argument("--capacity", default="8,64,256", help="requests served at once (K), a list")
    ap.add_argument("--courses", type=int, default=None, help="per row (default: 8 K)")
    ap.add_argument("--workers", type=int, default=2, help="worker processes (0: no such row)")
    ap.add_argument("--in-flight", type=int, default=0, help="a row with N courses in flight")
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--max-turns", type=int, default=3)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    ks = [int(x) for x in args.capacity.split(",")]
    lat = args.latency

    rows: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        proc, url = start_server(0.0, 4)  # warm-up, unmeasured: loads the embedder, imports
        try:
            aio.run(run(url, tmp / "warmup", 2, 2, args))
        finally:
            proc.terminate()
            proc.wait()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rows["one at a time"] = measure("one", ks[0], lat, 4, 1, tmp, args)
        for k in ks:
            n = args.courses or 8 * k
            rows[f"counselsim, K={k}"] = measure(f"k{k}", k, lat, n, k, tmp, args)
        if args.workers > 1:
            k = ks[-1]
            n = args.courses or 8 * k
            name = f"--workers {args.workers}, K={k}"
            per = -(-k // args.workers)  # concurrency per worker: K over the workers
            rows[name] = measure(name, k, lat, n, per, tmp, args, workers=True)
        if args.in_flight:
            n = args.in_flight
            # a latency long enough that every course is in flight before the first answer
            rows[f"{n} in flight"] = measure(f"f{n}", n, max(lat, n / 200), n, n, tmp, args)
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    cores = os.cpu_count() or 1
    one = rows["one at a time"]
    per_course = one["calls"] / one["courses"]
    one_rate = 3600 * one["courses"] / one["wall"]
    print(f"server latency {lat} s/request; {per_course:.1f} requests per course "
          f"({args.sessions} session x {args.max_turns} exchanges); one at a time "
          f"{one_rate:.0f} courses/h")  # fmt: skip
    print(f"{'run':<24} {'courses':>7} {'wall s':>7} {'courses/h':>9} {'ideal':>7} "
          f"{'vs ideal':>8} {'CPU ms/call':>11} {'box busy':>8} failed")  # fmt: skip
    for name, r in rows.items():
        rate = 3600 * r["courses"] / r["wall"]
        ideal = 3600 * r["k"] / (lat * per_course) if name != "one at a time" else one_rate
        if name.endswith("in flight"):
            ideal = rate  # latency stretched on purpose: the row is about memory
        ms = 1000 * r["cpu"] / r["calls"]
        busy = (r["cpu"] + r["server_cpu"]) / r["wall"] / cores  # driver and server, all cores
        print(f"{name:<24} {r['courses']:>7} {r['wall']:>7.1f} {rate:>9.0f} {ideal:>7.0f} "
              f"{rate / ideal:>8.2f} {ms:>11.2f} {busy:>8.0%} {r['failed']}")  # fmt: skip
    print(
        f"driver peak RSS: {rss_before:.0f} MB after warm-up, {rss_peak:.0f} MB at the end"
        + (f" (after {args.in_flight} courses in flight)" if args.in_flight else "")
    )


if __name__ == "__main__":
    main()
