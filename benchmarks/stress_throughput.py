"""Stress-test throughput against a server with a fixed capacity, vs that server's ideal.

A 2-counselor x 12-persona stress test (``library:en``, one course per persona) where the
simulated OpenAI-compatible server (``tests.support.simserver`` in its own process: K slots,
each request holding one for a fixed latency) is everything: the simulation model (client,
note-taker, rubric and pairwise judges) *and* both counselors under test (plain chat, which it
answers with short plain replies). The real runner, course graph, SQLite checkpoints, Chroma
memory (hashing embedder), evidence layer and report run as in production.

The ideal is K requests always in flight: ``ideal wall = requests * latency / K``, the
requests being what the server counted for this run (``/sim/stats``). Efficiency is ideal wall
over measured wall; throughput is counselor-courses per hour.

Usage:  .venv/bin/python benchmarks/stress_throughput.py [--latency 0.25] [--capacity 8]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # benchmarks.serving, when run as a script


async def run(url: str, out: Path, args: argparse.Namespace) -> int:
    """One stress test on the server at ``url``; returns the courses that failed."""
    from counselsim.memory.embeddings import HashingEmbedding
    from counselsim.services.compose import build_simulation
    from counselsim.services.options import ModelFlags
    from counselsim.services.stress import StressOptions, build_entrants, plan_stress, stress_test

    counselors = tuple(f"name=model-{c},base_url={url},model=sim" for c in "ab")
    opts = StressOptions(
        personas="library:en", out=out, counselors=counselors, sessions=args.sessions,
        max_turns=args.max_turns, seed=1, concurrency=args.concurrency or 2 * args.capacity,
        judge_repeats=1, model=ModelFlags(base_url=url, model="sim"),
    )  # fmt: skip
    job = plan_stress(opts)
    sim = build_simulation(job.config)
    result = await stress_test(job, sim, build_entrants(job, sim), embedder=HashingEmbedding())
    return result.failed


def main() -> None:
    from benchmarks.serving import start_server

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency", type=float, default=0.25, help="seconds per request")
    ap.add_argument("--capacity", type=int, default=8, help="requests served at once (K)")
    ap.add_argument("--concurrency", type=int, default=None, help="courses in flight (2K)")
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--max-turns", type=int, default=3)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    k, lat = args.capacity, args.latency
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_server(lat, k)
        try:
            started = time.perf_counter()
            failed = asyncio.run(run(url, Path(tmp) / "stress", args))
            wall = time.perf_counter() - started
            stats = httpx.get(url.removesuffix("/v1") + "/sim/stats", timeout=5).json()
        finally:
            proc.terminate()
            proc.wait()
    requests, courses = stats["requests"], 2 * 12
    ideal = requests * lat / k
    print(f"server: latency {lat} s/request, capacity K={k}; 2 counselors x 12 personas, "
          f"{args.sessions} session x {args.max_turns} turns; {requests} requests "
          f"({requests / courses:.1f} per counselor-course, judges included)")  # fmt: skip
    print(f"wall {wall:.1f} s vs ideal {ideal:.1f} s: efficiency {ideal / wall:.2f}; "
          f"{3600 * courses / wall:.0f} counselor-courses/h (ideal {3600 * courses / ideal:.0f}); "
          f"max in flight {stats['max_in_flight']}; failed courses {failed}")  # fmt: skip


if __name__ == "__main__":
    main()
