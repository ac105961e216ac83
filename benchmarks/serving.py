"""Courses per hour against an OpenAI-compatible server with a fixed capacity, measured in one
run: counselsim's concurrent ``generate`` vs the ideal at that capacity, vs a one-at-a-time
loop (the peers' design) on the same server, and the framework's overhead per model call.

The server is ``tests.support.simserver`` (Starlette on uvicorn) in its own process: every
request holds one of K slots for a fixed latency, the rest queue (a serving engine with K batch
slots). The ideal is K requests always in flight:
``courses/h = 3600 * K / (latency * requests per course)``. counselsim runs with the real course
graph, SQLite checkpointer, Chroma memory and the offline USE embedder; only the model is
simulated.

Usage:  .venv/bin/python benchmarks/serving.py [--latency 0.25] [--capacity 8] [--courses 16]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


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


async def run(url: str, out: Path, courses: int, concurrency: int, args: Any) -> dict[str, Any]:
    from counselsim.config import load_config
    from counselsim.services.compose import build_simulation
    from counselsim.services.generate import generate
    from counselsim.services.profiles import load_profile_set

    cfg = load_config(
        overrides={
            "sessions": args.sessions,
            "max_turns": args.max_turns,
            "min_turns": args.max_turns,
            "seed": 1,
            "model": {"base_url": url, "model": "sim"},
        }
    )
    sim = build_simulation(cfg)
    profiles = load_profile_set("en-help-rejecting,zh-grief,en-crisis-risk,zh-ambivalent", out)
    summary = await generate([sim], profiles, "bench", courses, out, concurrency)
    await sim.aclose()
    calls = sim.counselor_llm.usage.calls  # the one server LLM serves every role
    return {**summary.model_dump(), "calls": calls}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.25, help="seconds per request")
    ap.add_argument("--capacity", type=int, default=8, help="requests served at once (K)")
    ap.add_argument("--courses", type=int, default=16)
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--max-turns", type=int, default=3)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    k, lat = args.capacity, args.latency

    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(0.0, k)  # warm-up, unmeasured: loads the embedder, imports
        try:
            asyncio.run(run(url, Path(tmp) / "warmup", 1, 1, args))
        finally:
            proc.terminate()
            proc.wait()
        for name, conc, latency in (
            ("overhead (0 latency, 1 at a time)", 1, 0.0),
            ("one at a time", 1, lat),
            (f"counselsim, concurrency {k}", k, lat),
            (f"counselsim, concurrency {2 * k}", 2 * k, lat),
        ):
            proc, url = start_server(latency, k)
            try:
                out = Path(tmp) / name.replace(" ", "_").replace(",", "")
                n = max(2, args.courses // 4) if conc == 1 else args.courses
                started = time.perf_counter()
                summary = asyncio.run(run(url, out, n, conc, args))
                wall = time.perf_counter() - started
            finally:
                proc.terminate()
                proc.wait()
            rows[name] = {"courses": n, "wall": wall, "calls": summary["calls"],
                          "failed": summary["failed"]}  # fmt: skip

    base = rows["overhead (0 latency, 1 at a time)"]
    per_call_ms = 1000 * base["wall"] / base["calls"]
    calls_per_course = rows["one at a time"]["calls"] / rows["one at a time"]["courses"]
    ideal = 3600 * k / (lat * calls_per_course)
    print(f"server: latency {lat} s/request, capacity K={k}; {calls_per_course:.1f} requests "
          f"per course ({args.sessions} session x {args.max_turns} exchanges)")  # fmt: skip
    print(f"framework overhead per model call (incl. HTTP, checkpoints, memory): {per_call_ms:.1f}"
          f" ms = {per_call_ms / (1000 * lat):.3f} of the request latency")  # fmt: skip
    print(f"ideal at K: {ideal:.0f} courses/h")
    one = rows["one at a time"]
    one_rate = 3600 * one["courses"] / one["wall"]
    print(f"{'run':<32} {'courses':>7} {'wall s':>7} {'courses/h':>9} {'vs ideal':>8} "
          f"{'vs 1-at-a-time':>14} failed")  # fmt: skip
    for name, r in rows.items():
        if name.startswith("overhead"):
            continue
        rate = 3600 * r["courses"] / r["wall"]
        print(f"{name:<32} {r['courses']:>7} {r['wall']:>7.1f} {rate:>9.0f} {rate / ideal:>8.2f} "
              f"{rate / one_rate:>14.2f} {r['failed']}")  # fmt: skip


if __name__ == "__main__":
    main()
