"""Framework overhead per exchange with a zero-latency fake model: does it stay flat?

Runs the real path, ``build_simulation(...).run_course`` (course graph, session subgraph,
the SQLite checkpointer, persistent ChromaMemory with HashingEmbedding), with one instant
FunctionChatModel per role, RunConfig(sessions=2, max_turns=100, min_turns=1): session 2's
client turns also query Chroma for session 1's memories. Exchange k runs from the
counselor's k-th think call to its (k+1)-th; the last one ends at ``session_end``.
Each configuration runs in its own subprocess, after an unmeasured warm-up course.

  service   Simulation.run_course exactly as the CLI runs it
  none      the same agents and course graph compiled with no checkpointer (comparison)

Usage:  .venv/bin/python benchmarks/overhead.py [--max-turns 100] [--modes service,none]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

PROFILE = Path(__file__).resolve().parents[1] / "examples" / "profiles" / "en_work_burnout.yaml"
MODES = ("service", "none")
SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"]


def babble(rng: random.Random, n: int) -> str:
    """n random pseudo-words: never a speaker label, echo, repeat or thought leak."""
    return " ".join("".join(rng.choices(SYLLABLES, k=3)) for _ in range(n))


def make_fakes(cfg: Any, clock: dict[str, list[Any]], words: int = 10) -> dict[str, Any]:
    """One instant FunctionChatModel per role; the step is told apart by its sampling.
    Spoken turns are ``words`` pseudo-words long."""
    from counselsim.config import Step
    from counselsim.critic.rubric import load_rubric
    from counselsim.llm.fake import FunctionChatModel

    dims, rng = load_rubric(cfg.rubric).dimensions, random.Random(1)

    def answer(steps: tuple[Step, ...], kw: dict[str, Any]) -> str:
        step = [s for s in steps if cfg.sampling[s].max_tokens == kw["max_tokens"]]
        if len(step) > 1:
            step = [s for s in step if cfg.sampling[s].temperature == kw["temperature"]]
        out: dict[str, Any] = {"emotion": ["Anxiety"], "reply": babble(rng, words) + "."}
        if step[0] is Step.PLAN:
            clock["thinks"].append([])  # a new session
            out = {"stage": "exploration", "goals": ["understand the stress"],
                   "approach": "client-centered", "focus": "work and sleep"}  # fmt: skip
        elif step[0] is Step.THINK:
            clock["thinks"][-1].append(time.perf_counter())
            out = {"observation": babble(rng, 8), "client_emotion": ["Anxiety"],
                   "strategy": ["Question"], "reasoning": babble(rng, 8),
                   "next_action": "continue"}  # fmt: skip
        elif step[0] is Step.REPLY:
            out = {"reply": babble(rng, words) + "?"}
        elif step[0] is Step.SUMMARY:
            out = {"summary": "Talked about " + babble(rng, 6),
                   "salient_events": ["mentioned " + babble(rng, 3)]}  # fmt: skip
        elif step[0] is Step.CRITIC:
            out = {d.name: {"rationale": "because", "score": d.min} for d in dims}
        return json.dumps(out)

    def fake(*steps: Step) -> Any:
        return FunctionChatModel(fn=lambda _messages, kw: answer(steps, kw))

    return {
        "counselor_model": fake(Step.PLAN, Step.THINK, Step.REPLY),
        "client_model": fake(Step.CLIENT),
        "critic_model": fake(Step.SUMMARY, Step.CRITIC),
    }


async def run_without_checkpointer(sim: Any, profile: Any, out: Path, on_node: Any) -> Any:
    """Simulation.run_course's wiring, compiled with no checkpointer at all."""
    from counselsim.agents import ClientAgent, CounselorAgent, ScribeAgent
    from counselsim.critic.session_judge import CriticAgent
    from counselsim.graphs.course import CourseDeps, build_course_graph, initial_course_state
    from counselsim.graphs.session import SessionDeps
    from counselsim.memory.chroma import ChromaMemory
    from counselsim.memory.embeddings import HashingEmbedding
    from counselsim.runs import SessionLog

    cfg, deps, sink = sim.config, sim.deps, SessionLog(out / "sessions.jsonl")
    memory = ChromaMemory(HashingEmbedding(), out / "memory")
    client = ClientAgent(deps(sim.client_llm), memory, cfg.memory_k, cfg.history_window)
    counselor = CounselorAgent(deps(sim.counselor_llm), cfg.history_window)
    course = CourseDeps(
        SessionDeps(counselor, client, cfg.seed), ScribeAgent(deps(sim.critic_llm)),
        CriticAgent(deps(sim.critic_llm), sim.rubric), sink, sim.provenance(),
    )  # fmt: skip
    app = build_course_graph().compile()
    start = initial_course_state(
        sim.course_id(profile), profile, cfg.sessions, cfg.max_turns, cfg.min_turns
    )
    limit = {"recursion_limit": 10 * cfg.max_turns * cfg.sessions + 100}
    stream = app.astream(start, limit, context=course, stream_mode="updates", subgraphs=True)
    async for _ns, update in stream:
        for node in update:
            on_node(node)
    return sink.records


def child(mode: str, max_turns: int, warmup: int) -> dict[str, Any]:
    import logging

    logging.disable(logging.WARNING)
    from counselsim.config import RunConfig
    from counselsim.memory.embeddings import HashingEmbedding
    from counselsim.personas import load_profile
    from counselsim.services.compose import build_simulation

    profile = load_profile(PROFILE)

    async def course(turns: int, out: Path) -> tuple[Any, dict[str, list[Any]]]:
        cfg = RunConfig(sessions=2, max_turns=turns, min_turns=1, seed=1)
        clock: dict[str, list[Any]] = {"thinks": [], "ends": []}
        sim = build_simulation(cfg, **make_fakes(cfg, clock))

        def on_node(node: str) -> None:
            if node == "session_end":
                clock["ends"].append(time.perf_counter())

        if mode == "none":
            out.mkdir()
            return await run_without_checkpointer(sim, profile, out, on_node), clock
        hook = lambda p: on_node(p.node)  # noqa: E731
        return await sim.run_course(profile, out, HashingEmbedding(), hook), clock

    async def both(tmp: Path) -> Any:
        if warmup:
            await course(warmup, tmp / "warmup")
        t0 = time.perf_counter()
        return *(await course(max_turns, tmp / "run")), time.perf_counter() - t0

    with tempfile.TemporaryDirectory(prefix="counselsim-bench-") as tmp:
        records, clock, total = asyncio.run(both(Path(tmp)))
        db, rows = Path(tmp) / "run" / "checkpoints.sqlite", 0
        if db.exists():
            with sqlite3.connect(db) as con:
                rows = con.execute("select count(*) from checkpoints").fetchone()[0]
        size = sum(p.stat().st_size for p in db.parent.glob("checkpoints.sqlite*"))
    sessions = [
        {
            "exchanges_ms": [(b - a) * 1000 for a, b in itertools.pairwise([*thinks, end])],
            "turns": len(rec.turns),
            "regenerated": sum(t.attempts > 1 for t in rec.turns),
            "recalled": sum(bool(getattr(t, "memory_ids", None)) for t in rec.turns),
        }
        for thinks, end, rec in zip(clock["thinks"], clock["ends"], records, strict=True)
    ]
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"sessions": sessions, "total_s": total, "rows": rows, "kb": size / 1024, "rss": rss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--max-turns", type=int, default=100, help="exchanges per session")
    ap.add_argument("--warmup", type=int, default=3, help="exchanges of the warm-up course")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated: service,none")
    ap.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.max_turns, args.warmup)))
        return
    n, w = args.max_turns, min(10, args.max_turns // 2)
    early, late = slice(0, w), slice(n - w, n)
    print(f"2 sessions x {n} exchanges, zero-latency fakes, warm-up course of {args.warmup}")
    print(f"mean ms per exchange in exchanges 1-{w} and {n - w + 1}-{n}\n")
    cols = ["config", "sess", f"ex 1-{w}", f"ex {n - w + 1}-{n}", "late/early", "medians"]
    cols += ["turns", "regen", "recalls", "course s", "ckpts", "db KB", "RSS MB"]
    widths = [max(len(c), 5) for c in cols[1:]]

    def line(row: list[Any]) -> str:
        return f"{row[0]:<7} " + " ".join(
            f"{c:>{w}}" for c, w in zip(row[1:], widths, strict=False)
        )

    print(line(cols) + "\n" + "-" * len(line(cols)))
    results = {}
    for mode in args.modes.split(","):
        cmd = [sys.executable, __file__, "--child", mode, "--max-turns", str(n)]
        proc = subprocess.run([*cmd, "--warmup", str(args.warmup)], capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{mode} failed:\n{proc.stderr}")
        r = results[mode] = json.loads(proc.stdout.strip().splitlines()[-1])
        for i, s in enumerate(r["sessions"], 1):
            ex = s["exchanges_ms"]
            a, b = statistics.fmean(ex[early]), statistics.fmean(ex[late])
            med = statistics.median(ex[late]) / statistics.median(ex[early])
            row = [mode, i, f"{a:.2f}", f"{b:.2f}", f"{b / a:.2f}", f"{med:.2f}", s["turns"]]
            row += [s["regenerated"], s["recalled"]]
            if i == 1:
                row += [f"{r['total_s']:.1f}", r["rows"], f"{r['kb']:.0f}", f"{r['rss']:.0f}"]
            print(line(row))
    if {"service", "none"} <= results.keys():
        per = {m: [x for s in results[m]["sessions"] for x in s["exchanges_ms"]] for m in MODES}
        sv, no = statistics.fmean(per["service"]), statistics.fmean(per["none"])
        print(
            f"checkpointing: {sv:.2f} vs {no:.2f} ms per exchange, service/none {sv / no:.2f}; "
            f"course {results['service']['total_s']:.1f}s vs {results['none']['total_s']:.1f}s"
        )
    print(
        "late/early: late mean / early mean (1.0 = flat). medians: the same ratio of medians,\n"
        "which ignores exchange 1's one-off costs, the short closing exchange (no client turn)\n"
        "and load spikes. regen: turns regenerated by the turn checks (should be 0). recalls:\n"
        "client turns given Chroma memories. ckpts: checkpoint rows; db KB: checkpoints.sqlite\n"
        "+ WAL; RSS MB: peak of the subprocess. Absolute ms vary with machine load, so compare\n"
        "rows of one run."
    )


if __name__ == "__main__":
    main()
