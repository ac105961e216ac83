"""Prefix-cache share of counselsim's prompts: how much of each call's prompt repeats the start
of the previous prompt of the same agent in the same course (what vLLM's automatic prefix
caching, or llama.cpp's KV reuse, can skip re-evaluating).

Runs the real course path (``Simulation.run_course``) with instant fake models (the ones of
``benchmarks/overhead.py``), and reads the share that counselsim's LLM layer measures on every
call (``Usage.prefix_share``), per agent, for short and long sessions.

Usage:  .venv/bin/python benchmarks/prefix_cache.py [--max-turns 8,30,60] [--words 10,24]
                                                  [--window 16,48]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.overhead import PROFILE, make_fakes


async def measure(max_turns: int, words: int, window: int, tmp: Path) -> dict[str, Any]:
    from counselsim.config import RunConfig
    from counselsim.memory.embeddings import HashingEmbedding
    from counselsim.personas import load_profile
    from counselsim.services.compose import build_simulation

    cfg = RunConfig(
        sessions=2, max_turns=max_turns, min_turns=max_turns, seed=1, history_window=window
    )
    sim = build_simulation(cfg, **make_fakes(cfg, {"thinks": [], "ends": []}, words))
    out = tmp / f"t{max_turns}-{words}-{window}"
    await sim.run_course(load_profile(PROFILE), out, HashingEmbedding())
    rows = {}
    for name, llm in (("counselor", sim.counselor_llm), ("client", sim.client_llm)):
        rows[name] = {"calls": llm.usage.calls, "share": llm.usage.prefix_share}
    both = [sim.counselor_llm.usage, sim.client_llm.usage]
    shared = sum(u.prefix_chars for u in both)
    total = sum(u.prefix_prompt_chars for u in both)
    rows["all"] = {"calls": sum(u.calls for u in both), "share": shared / total}
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--max-turns", default="8,30,60", help="exchanges per session, comma-list")
    ap.add_argument("--window", default="16,48", help="history_window values, comma-list")
    ap.add_argument("--words", default="10,24", help="words per spoken turn, comma-list")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    print("window  words/turn  exchanges/session  agent      calls  prefix share (prompt chars)")
    with tempfile.TemporaryDirectory() as tmp:
        for window in (int(x) for x in args.window.split(",")):
            for words in (int(x) for x in args.words.split(",")):
                for n in (int(x) for x in args.max_turns.split(",")):
                    rows = asyncio.run(measure(n, words, window, Path(tmp)))
                    for agent, row in rows.items():
                        print(
                            f"{window:>6}  {words:>10}  {n:>17}  {agent:<9} {row['calls']:>6}"
                            f"  {row['share']:.3f}"
                        )


if __name__ == "__main__":
    main()
