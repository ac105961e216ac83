"""Framework overhead per counselor+client exchange, with an instant fake model.

One session of ``--max-turns`` exchanges (default 100, so 199 turns) runs through the real
graphs, a real checkpointer and real ChromaMemory (HashingEmbedding). The fake model answers
in microseconds, so nearly all the measured time is counselsim + LangChain + LangGraph +
checkpointing + Chroma. Each configuration runs in its own subprocess (own peak RSS).

Configurations (rows of the tables):

  service        Simulation.run_course exactly as the CLI runs it: course graph, session
                 subgraph, AsyncSqliteSaver on a temp file, persistent ChromaMemory, LangGraph's
                 default durability ("async": checkpoints are saved in the background, so with
                 an instant model they pile up and are flushed after the session ends).
                 Session 1, which never queries memory.
  sqlite-sync    the same graphs wired the same way, AsyncSqliteSaver, durability="sync": every
                 step waits for its checkpoint, so the per-exchange figures include it.
  memory-sync    as sqlite-sync with InMemorySaver: checkpoint serialisation without SQLite I/O.
  none           the same graphs with checkpointer=None: no persistence at all.
  sqlite+recall  production settings (AsyncSqliteSaver, async durability) but the session runs
                 as session 2 of 2 with session-1 memories pre-seeded, so every client turn
                 queries Chroma.
  none+recall    as above with checkpointer=None.

Exchange k is the time from the counselor's k-th think call to its (k+1)-th (think -> reply ->
memory recall -> client reply, with every graph step, stream event and checkpoint in between);
the last exchange ends when the session graph reports ``session_end`` (the closing reply has
no client turn). "after end" is session_end -> course finished: summary, critic, memory
write, record write, plus any checkpoint backlog still being written.

The turn guard and checkpoint serialisation are timed by wrappers installed at run time
(nothing in src/ is changed). Wall-clock figures are noisy: compare ratios within one run.

Usage:
  .venv/bin/python benchmarks/overhead.py                 # all configurations, ~30 s
  .venv/bin/python benchmarks/overhead.py --modes service,none --max-turns 50
  .venv/bin/python benchmarks/overhead.py --profile none  # cProfile one configuration
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PROFILE_FILE = ROOT / "examples" / "profiles" / "en_work_burnout.yaml"

MODES: dict[str, dict[str, Any]] = {
    "service": {"wiring": "service", "ckpt": "sqlite", "durability": "async", "recall": False},
    "sqlite-sync": {"wiring": "own", "ckpt": "sqlite", "durability": "sync", "recall": False},
    "memory-sync": {"wiring": "own", "ckpt": "memory", "durability": "sync", "recall": False},
    "none": {"wiring": "own", "ckpt": "none", "durability": None, "recall": False},
    "sqlite+recall": {"wiring": "own", "ckpt": "sqlite", "durability": "async", "recall": True},
    "none+recall": {"wiring": "own", "ckpt": "none", "durability": None, "recall": True},
}

# Neutral words only: nothing the turn guard reads as a speaker label or a role swap.
VOCAB = (
    "river lantern pencil orchard window basket meadow ladder candle harbor pepper violin "
    "marble thunder garden pocket silver rabbit cotton bridge forest kettle mirror saddle "
    "planet carpet feather island jacket ribbon tunnel valley wagon yellow anchor blanket "
    "copper dragon engine falcon ginger hammer igloo jungle koala lemon magnet nectar oyster "
    "parrot quartz rocket sponge tomato umbrella velvet walnut xylophone yogurt zebra acorn "
    "bamboo cactus dolphin eclipse fossil glacier hazel insect jasmine kiwi lobster mango "
    "nutmeg olive penguin quiver radish salmon tulip urchin vortex willow yarrow zephyr "
    "breeze canyon desert ember fjord grove heron iris jetty knoll lagoon mesa nook oasis "
    "prairie quarry ridge summit tundra upland vista wharf atoll bayou cove delta estuary "
    "monday tuesday morning evening weekend market station library kitchen garage office "
    "printer laptop spreadsheet meeting deadline report email project budget schedule "
    "coffee sandwich bicycle subway parking elevator stairs balcony hallway basement"
).split()


def words(rng: random.Random, n: int) -> str:
    return " ".join(rng.sample(VOCAB, n))


# --------------------------------------------------------------------------------------------
# the fake model


@dataclass
class Clock:
    """Timestamps the fake and the stream observe during one run."""

    think_at: list[float] = field(default_factory=list)
    session_end_at: float | None = None
    in_model_s: float = 0.0
    calls: dict[str, int] = field(default_factory=dict)


def make_fake(cfg: Any, clock: Clock) -> Any:
    """One FunctionChatModel for every role. The step is recognised from the call's sampling
    settings (max_tokens, then temperature), which differ per step in the default config."""
    from counselsim.config import Step
    from counselsim.critic.rubric import load_rubric
    from counselsim.llm.fake import FunctionChatModel

    by_tokens: dict[int, list[Step]] = {}
    for step, s in cfg.sampling.items():
        by_tokens.setdefault(s.max_tokens, []).append(step)
    rubric = load_rubric(cfg.rubric)

    def step_of(kwargs: dict[str, Any]) -> Step:
        steps = by_tokens[kwargs["max_tokens"]]
        if len(steps) == 1:
            return steps[0]
        exact = [s for s in steps if cfg.sampling[s].temperature == kwargs["temperature"]]
        assert len(exact) == 1, f"cannot tell steps {steps} apart"
        return exact[0]

    def fn(messages: Sequence[Any], kwargs: dict[str, Any]) -> str:
        t0 = time.perf_counter()
        step = step_of(kwargs)
        n = clock.calls[step.value] = clock.calls.get(step.value, 0) + 1
        rng = random.Random(f"{step.value}:{n}:{kwargs.get('seed')}")
        if step is Step.THINK:
            clock.think_at.append(t0)
            out: dict[str, Any] = {
                "observation": f"observation {n}: {words(rng, 8)}",
                "client_emotion": ["Anxiety"],
                "strategy": ["Question"],
                "reasoning": f"reasoning {n}: {words(rng, 8)}",
                "next_action": "continue",
            }
        elif step is Step.REPLY:
            out = {"reply": f"{words(rng, 10)} {n}?"}
        elif step is Step.CLIENT:
            out = {"emotion": ["Anxiety"], "reply": f"{words(rng, 10)} {n}."}
        elif step is Step.PLAN:
            out = {
                "stage": "exploration", "goals": ["understand the stress"],
                "approach": "client-centered", "focus": "work and sleep",
            }  # fmt: skip
        elif step is Step.SUMMARY:
            out = {
                "summary": f"The client talked about {words(rng, 6)}.",
                "salient_events": [f"the client mentioned {words(rng, 3)}"],
            }
        else:
            out = {d.name: {"rationale": "because", "score": d.min} for d in rubric.dimensions}
        text = json.dumps(out)
        clock.in_model_s += time.perf_counter() - t0
        return text

    return FunctionChatModel(fn=fn)


# --------------------------------------------------------------------------------------------
# instrumentation (wrappers installed at run time; nothing in src/ is changed)


@dataclass
class Meter:
    """CPU time spent in one function, bucketed by the exchange it ran in."""

    clock: Clock
    per_exchange: dict[int, float] = field(default_factory=dict)
    bytes_per_exchange: dict[int, int] = field(default_factory=dict)

    def add(self, seconds: float, nbytes: int = 0) -> None:
        k = max(len(self.clock.think_at), 1)
        if self.clock.session_end_at is not None:
            k = len(self.clock.think_at) + 1  # after the session: not part of any exchange
        self.per_exchange[k] = self.per_exchange.get(k, 0.0) + seconds
        self.bytes_per_exchange[k] = self.bytes_per_exchange.get(k, 0) + nbytes


def instrument_guard(meter: Meter) -> None:
    import counselsim.agents.base as base

    inner = base.check_turn

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            meter.add(time.perf_counter() - t0)

    base.check_turn = timed  # type: ignore[assignment]


def instrument_serde(meter: Meter) -> None:
    """Time every checkpoint serialisation. Patched on the class, because LangGraph clones
    the checkpointer (``with_allowlist``) and a subgraph inherits the parent's clone."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    inner = JsonPlusSerializer.dumps_typed

    def timed(self: Any, obj: Any) -> Any:
        t0 = time.perf_counter()
        out = inner(self, obj)
        meter.add(time.perf_counter() - t0, len(out[1]) if out and out[1] else 0)
        return out

    JsonPlusSerializer.dumps_typed = timed  # type: ignore[method-assign]


# --------------------------------------------------------------------------------------------
# one run


def run_config(max_turns: int, recall: bool) -> Any:
    from counselsim.config import RunConfig

    return RunConfig(
        sessions=2 if recall else 1, max_turns=max_turns, history_window=16, seed=1
    )


class ListSink:
    def __init__(self) -> None:
        self.records: list[Any] = []

    def write(self, record: Any) -> None:
        self.records.append(record)


async def run_service(profile: Any, out: Path, max_turns: int, clock: Clock) -> Any:
    """The production path: Simulation.run_course (AsyncSqliteSaver, persistent Chroma)."""
    from counselsim.memory.embeddings import HashingEmbedding
    from counselsim.service import Progress, build_simulation

    cfg = run_config(max_turns, recall=False)
    sim = build_simulation(cfg, chat_model=make_fake(cfg, clock))

    def on_progress(p: Progress) -> None:
        if p.node == "session_end":
            clock.session_end_at = time.perf_counter()

    records = await sim.run_course(
        profile, out / "run", embedder=HashingEmbedding(), on_progress=on_progress
    )
    return records, out / "run" / "checkpoints.sqlite"


async def run_own(
    profile: Any, out: Path, max_turns: int, spec: dict[str, Any], clock: Clock
) -> Any:
    """The same wiring as Simulation.run_course, with the checkpointer chosen here."""
    from contextlib import AsyncExitStack

    from langgraph.checkpoint.memory import InMemorySaver
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from counselsim.agents import AgentDeps, ClientAgent, CounselorAgent, CriticAgent, ScribeAgent
    from counselsim.graphs.course import CourseDeps, build_course_graph, initial_course_state
    from counselsim.graphs.session import SessionDeps
    from counselsim.memory.chroma import ChromaMemory
    from counselsim.memory.embeddings import HashingEmbedding
    from counselsim.memory.store import MemoryItem, MemoryKind
    from counselsim.service import build_simulation

    ckpt, recall = spec["ckpt"], spec["recall"]
    cfg = run_config(max_turns, recall)
    sim = build_simulation(cfg, chat_model=make_fake(cfg, clock))
    course_id = sim.course_id(profile)
    memory = ChromaMemory(HashingEmbedding(), out / "memory")
    notes: list[str] = []
    if recall:  # what session 1 would have left behind
        summary = "The client described long hours, a harsh manager and poor sleep."
        memory.add([
            MemoryItem(course_id=course_id, session_index=1, kind=MemoryKind.SUMMARY, text=summary),
            *(
                MemoryItem(course_id=course_id, session_index=1, kind=MemoryKind.EVENT,
                           ordinal=i, text=t)
                for i, t in enumerate([
                    "the client agreed to leave the laptop at work on two evenings",
                    "the client said weekends feel like recovery, not rest",
                    "the client admitted skipping lunch most days",
                ])
            ),
        ])  # fmt: skip
        notes = [summary]

    def deps(llm: Any) -> AgentDeps:
        return AgentDeps(llm, sim.prompts, cfg.sampling, cfg.max_regenerations)

    sink = ListSink()
    course = CourseDeps(
        session=SessionDeps(
            counselor=CounselorAgent(deps(sim.counselor_llm), cfg.history_window),
            client=ClientAgent(deps(sim.client_llm), memory, cfg.memory_k, cfg.history_window),
            seed=cfg.seed,
        ),
        scribe=ScribeAgent(deps(sim.critic_llm)),
        critic=CriticAgent(deps(sim.critic_llm), sim.rubric),
        sink=sink,
        provenance=sim.provenance(),
    )
    graph = build_course_graph(course)
    start: dict[str, Any] = dict(initial_course_state(course_id, profile, cfg.sessions, max_turns))
    if recall:
        start.update(session_index=2, notes=notes)
    run_cfg: dict[str, Any] = {
        "configurable": {"thread_id": course_id},
        "recursion_limit": 10 * max_turns * cfg.sessions + 100,
    }
    db = out / "checkpoints.sqlite"
    async with AsyncExitStack() as stack:
        saver: Any = None
        if ckpt == "sqlite":
            saver = await stack.enter_async_context(AsyncSqliteSaver.from_conn_string(str(db)))
        elif ckpt == "memory":
            saver = InMemorySaver()
        app = graph.compile(checkpointer=saver)
        kw = {"durability": spec["durability"]} if spec["durability"] else {}
        async for _ns, update in app.astream(
            start, run_cfg, stream_mode="updates", subgraphs=True, **kw
        ):
            if "session_end" in update:
                clock.session_end_at = time.perf_counter()
    return sink.records, db if ckpt == "sqlite" else None


def child(mode: str, max_turns: int, warmup: int, profile_out: str | None) -> dict[str, Any]:
    """Run one configuration in this process and return its measurements."""
    import logging

    logging.disable(logging.WARNING)
    from counselsim.personas import load_profile

    spec = MODES[mode]
    profile = load_profile(PROFILE_FILE)
    clock = Clock()
    guard, serde = Meter(clock), Meter(clock)
    instrument_guard(guard)
    instrument_serde(serde)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory(prefix="counselsim-bench-") as tmp:

        def session(turns: int, where: Path, clk: Clock) -> Any:
            where.mkdir()
            if spec["wiring"] == "service":
                return run_service(profile, where, turns, clk)
            return run_own(profile, where, turns, spec, clk)

        prof = None
        if profile_out:
            import cProfile

            prof = cProfile.Profile()

        async def warm_then_measure() -> Any:
            if warmup:  # a short unmeasured session first, on the same event loop
                await session(warmup, Path(tmp) / "warmup", Clock())
                for m in (guard, serde):
                    m.per_exchange.clear()
                    m.bytes_per_exchange.clear()
                gc.collect()
            nonlocal t0
            t0 = time.perf_counter()
            if prof is not None:  # the measured session only (event-loop thread only)
                prof.enable()
            try:
                return await session(max_turns, Path(tmp) / "measured", clock)
            finally:
                if prof is not None:
                    prof.disable()

        t0 = time.perf_counter()
        records, db = asyncio.run(warm_then_measure())
        if prof is not None and profile_out:
            prof.dump_stats(profile_out)
        run_end = time.perf_counter()
        db_bytes = db.stat().st_size if db and db.exists() else 0
        ckpt_rows = 0
        if db and db.exists():
            import sqlite3

            with sqlite3.connect(db) as con:
                ckpt_rows = con.execute("select count(*) from checkpoints").fetchone()[0]
    rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    marks = [*clock.think_at, clock.session_end_at]
    exchanges = [(b - a) * 1000 for a, b in zip(marks, marks[1:], strict=False) if b is not None]
    (rec,) = [r for r in records if r.turns]
    n = len(exchanges)
    assert clock.session_end_at is not None
    return {
        "mode": mode,
        "exchanges_ms": exchanges,
        "guard_ms": [guard.per_exchange.get(k, 0.0) * 1000 for k in range(1, n + 1)],
        "serde_ms": [serde.per_exchange.get(k, 0.0) * 1000 for k in range(1, n + 1)],
        "serde_bytes": [serde.bytes_per_exchange.get(k, 0) for k in range(1, n + 1)],
        "turns": len(rec.turns),
        "regenerated_turns": sum(1 for t in rec.turns if t.attempts > 1),
        "flagged_turns": sum(1 for t in rec.turns if t.flags),
        "end_reason": rec.end_reason.value,
        "model_calls": sum(clock.calls.values()),
        "in_model_s": clock.in_model_s,
        "total_s": run_end - t0,
        "session_s": clock.session_end_at - clock.think_at[0],
        "after_end_s": run_end - clock.session_end_at,
        "serde_total_mb": sum(serde.bytes_per_exchange.values()) / 1e6,
        "serde_after_end_mb": serde.bytes_per_exchange.get(n + 1, 0) / 1e6,
        "serde_total_s": sum(serde.per_exchange.values()),
        "rss_before_mb": rss_before / 1024,
        "rss_peak_mb": rss_peak / 1024,
        "db_bytes": db_bytes,
        "ckpt_rows": ckpt_rows,
    }


# --------------------------------------------------------------------------------------------
# report


def mean(xs: Sequence[float]) -> float:
    return statistics.fmean(xs) if xs else float("nan")


def report(results: list[dict[str, Any]], max_turns: int) -> None:
    w = min(10, max_turns // 2)
    early, late = slice(0, w), slice(max_turns - w, max_turns)
    e_lbl, l_lbl = f"1-{w}", f"{max_turns - w + 1}-{max_turns}"
    print(f"\nms per exchange: one session of {max_turns} exchanges, zero-latency fake model\n")
    head = (
        f"{'config':<14} {'ex ' + e_lbl:>9} {'ex ' + l_lbl:>10} {'late/early':>10} "
        f"{'excl. ex 1':>10} {'session s':>9} {'after end s':>11} {'peak RSS MB':>13}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        ex = r["exchanges_ms"]
        a, b, a2 = mean(ex[early]), mean(ex[late]), mean(ex[1 : w + 1])
        print(
            f"{r['mode']:<14} {a:>9.2f} {b:>10.2f} {b / a:>10.2f} {b / a2:>10.2f} "
            f"{r['session_s']:>9.2f} "
            f"{r['after_end_s']:>11.2f} {r['rss_peak_mb']:>6.0f} ({r['rss_before_mb']:.0f})"
        )
    print(
        "\nwhat grows: checkpoint serialisation (JsonPlusSerializer.dumps_typed) and the turn "
        "guard,\nper exchange in the same windows; totals include what ran after session_end\n"
    )
    head2 = (
        f"{'config':<14} {'serde ms':>8} {'serde ms':>9} {'KB ser.':>8} {'KB ser.':>8} "
        f"{'MB ser.':>8} {'MB after':>8} {'guard ms':>8} {'guard ms':>9} {'sqlite':>7}"
    )
    print(head2)
    print(
        f"{'':<14} {e_lbl:>8} {l_lbl:>9} {e_lbl:>8} {l_lbl:>8} {'total':>8} {'end':>8} "
        f"{e_lbl:>8} {l_lbl:>9} {'MB':>7}"
    )
    print("-" * len(head2))
    for r in results:
        s, g, kb = r["serde_ms"], r["guard_ms"], [x / 1024 for x in r["serde_bytes"]]
        db = f"{r['db_bytes'] / 1e6:.1f}" if r["db_bytes"] else "-"
        print(
            f"{r['mode']:<14} {mean(s[early]):>8.2f} {mean(s[late]):>9.2f} "
            f"{mean(kb[early]):>8.1f} {mean(kb[late]):>8.1f} {r['serde_total_mb']:>8.1f} "
            f"{r['serde_after_end_mb']:>8.1f} {mean(g[early]):>8.3f} {mean(g[late]):>9.3f} "
            f"{db:>7}"
        )
    base = {r["mode"]: r for r in results}
    lines = []
    for slow, fast, what in (
        ("sqlite-sync", "none", "SQLite checkpointing, per exchange"),
        ("memory-sync", "none", "in-memory checkpointing, per exchange"),
        ("none+recall", "none", "Chroma recall, per exchange"),
    ):
        if slow in base and fast in base:
            parts = []
            for lbl, sl in ((e_lbl, early), (l_lbl, late)):
                a = mean(base[slow]["exchanges_ms"][sl])
                b = mean(base[fast]["exchanges_ms"][sl])
                parts.append(f"ex {lbl}: {a - b:+.2f} ms ({a / b:.2f}x)")
            lines.append(f"  {what:<40} {slow} vs {fast}: " + ", ".join(parts))
    for slow, fast in (("service", "none"), ("sqlite+recall", "none+recall")):
        if slow in base and fast in base:
            a = base[slow]["session_s"] + base[slow]["after_end_s"]
            b = base[fast]["session_s"] + base[fast]["after_end_s"]
            lines.append(
                f"  {'whole session + wrap-up (async durability)':<40} {slow} vs {fast}: "
                f"{a:.2f}s vs {b:.2f}s ({a / b:.2f}x)"
            )
    if lines:
        print("\ncomparisons (same run)")
        print("\n".join(lines))
    print("\nsanity")
    for r in results:
        print(
            f"  {r['mode']:<14} turns={r['turns']} end={r['end_reason']} "
            f"model_calls={r['model_calls']} regenerated_turns={r['regenerated_turns']} "
            f"flagged={r['flagged_turns']} time_in_fake={r['in_model_s'] * 1000:.0f}ms"
            + (f" checkpoint_rows={r['ckpt_rows']}" if r["ckpt_rows"] else "")
        )
    print(
        f"\n'excl. ex 1': late / mean of exchanges 2-{w + 1}. Exchange 1 carries one-off costs "
        "(each\nSimulation builds a fresh PromptLibrary, so every template is compiled by "
        "Jinja on first use)."
    )
    print(
        "peak RSS: ru_maxrss of the configuration's own subprocess after the run (in "
        "parentheses:\nafter imports, before the run). 'after end s': session_end -> course "
        "finished\n(summary, critic, memory and record writes, and any checkpoint backlog)."
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--max-turns", type=int, default=100, help="exchanges in the session")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated: " + ", ".join(MODES))
    ap.add_argument(
        "--warmup", type=int, default=3,
        help="exchanges of an unmeasured session run first in each process (0: none)",
    )  # fmt: skip
    ap.add_argument("--json", type=Path, help="also write the raw per-exchange figures here")
    ap.add_argument("--profile", metavar="MODE", help="cProfile one configuration, print top 25")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.child:
        print(json.dumps(child(args.child, args.max_turns, args.warmup, args.profile_out)))
        return
    if args.profile:
        import pstats

        with tempfile.NamedTemporaryFile(suffix=".prof", delete=False) as f:
            path = f.name
        res = child(args.profile, args.max_turns, args.warmup, path)
        report([res], args.max_turns)
        print()
        stats = pstats.Stats(path)
        stats.sort_stats("tottime").print_stats(25)
        stats.sort_stats("cumulative").print_stats(40)
        os.unlink(path)
        return

    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    unknown = [m for m in modes if m not in MODES]
    if unknown:
        ap.error(f"unknown modes {unknown}; known: {', '.join(MODES)}")
    results = []
    for mode in modes:
        print(f"running {mode} ...", file=sys.stderr, flush=True)
        proc = subprocess.run(
            [
                sys.executable, __file__, "--child", mode, "--max-turns", str(args.max_turns),
                "--warmup", str(args.warmup),
            ],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            sys.exit(f"{mode} failed:\n{proc.stderr}")
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    report(results, args.max_turns)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
        print(f"\nraw figures: {args.json}")


if __name__ == "__main__":
    main()
