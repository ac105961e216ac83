"""Practice latency: how long a trainee waits for the client, at turn 1 and at turn 20.

Runs the real practice path (``PracticeRoom`` -> the practice graph -> the client agent ->
the engine, streamed) with scripted trainee turns, and times each turn from the trainee's
send to the client's first visible reply character (``first``) and to the stored reply
(``full``), over several sessions; prints p50/p95 per turn and turn 1 against the last.

The client has its own llama.cpp instance (as in ``simulate``): nothing else evaluates on it
between turns, so each turn's prompt extends the previous one and llama.cpp re-evaluates only
the new tokens; the transcript window moves in half-window steps (``views.window``), so a
late turn costs about what an early one does. The prefix share of the client's prompts is
printed as measured by the LLM layer.

Usage:  .venv/bin/python benchmarks/practice_latency.py [--sessions 3] [--turns 20]
            [--threads 2] [--persona en-reserved,zh-reserved] [--fake] [--json OUT.json]

Without ``--fake`` it loads the embedded 1.5B model (about 1.1 GB, 2 cores: a few minutes
per session); ``--fake`` runs the same path on an instant fake client, to check the script.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import tempfile
import time
from pathlib import Path
from typing import Any

TURNS = {
    "en": [
        "Hello, I'm glad you came. What brings you here today?",
        "It sounds like things have been heavy lately.",
        "What does a typical day look like for you right now?",
        "You mentioned feeling tired. When did you first notice it?",
        "That makes sense, with everything you are carrying.",
        "How do you usually cope when it gets like this?",
        "It sounds like you feel you have to manage it all alone.",
        "Who else knows how you are feeling?",
        "What goes through your mind when you lie awake at night?",
        "That sounds painful. Thank you for telling me.",
        "What would you like to be different?",
        "So you're saying the evenings are the hardest part.",
        "How do the people around you react when you say you are fine?",
        "It sounds like part of you wants help and part of you holds back.",
        "What makes it hard to ask for help?",
        "Have there been moments when things felt a little lighter?",
        "What was different about those moments?",
        "It sounds like those small breaks matter a lot to you.",
        "What is one thing that would make this week easier?",
        "Let's keep that in mind. How are you feeling about our talk so far?",
    ],
    "zh": [
        "你好，很高兴你来。今天想聊些什么？",
        "听起来最近压力挺大的。",
        "你现在平常的一天是什么样的？",
        "你提到很累，是从什么时候开始的？",
        "这很正常，你承担了很多。",
        "遇到这种情况，你一般怎么应对？",
        "听起来你觉得什么都得自己扛。",
        "身边还有谁知道你的感受？",
        "晚上睡不着的时候，你会想些什么？",
        "听起来很难受，谢谢你愿意告诉我。",
        "你希望哪些地方能有所不同？",
        "你是说晚上是最难熬的时候。",
        "你说自己没事的时候，身边的人是什么反应？",
        "听起来你一部分想要帮助，一部分又在退缩。",
        "是什么让你很难开口求助？",
        "有没有感觉轻松一点的时候？",
        "那些时候有什么不一样？",
        "听起来这些短暂的喘息对你很重要。",
        "这周有什么事能让你轻松一些？",
        "我们先记住这一点。到现在为止，你对我们的谈话感觉怎么样？",
    ],
}


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


async def time_session(room: Any, persona: str, turns: int) -> list[tuple[float, float]]:
    """One session: per trainee turn, seconds to the first reply character and to the reply."""
    from counselsim.personas.library import get_persona

    profile = get_persona(persona)
    session = await room.start(profile, 1)
    lines = TURNS[profile.language.value]
    out = []
    for n in range(turns):
        started = time.perf_counter()
        first = full = math.nan
        async for event in await session.say(lines[n % len(lines)]):
            if event.type == "token" and math.isnan(first):
                first = time.perf_counter() - started
            elif event.type == "reply":
                full = time.perf_counter() - started
            elif event.type == "error":
                raise RuntimeError(event.message)
        out.append((first, full))
    return out


def fake_client(messages: Any, kwargs: Any) -> str:
    """An instant client whose replies differ per turn (so no turn check fires)."""
    n = sum(str(m.content).count("\n") for m in messages)
    return json.dumps({"emotion": ["Neutral"], "reply": f"I suppose so, number {n} of them."})


def build(fake: bool, threads: int) -> Any:
    from counselsim.config import RunConfig
    from counselsim.llm.fake import FunctionChatModel
    from counselsim.services.compose import build_simulation

    cfg = RunConfig(seed=1, model={"n_threads": threads})
    return build_simulation(cfg, FunctionChatModel(fn=fake_client) if fake else None)


async def run(
    sessions: int, turns: int, personas: list[str], fake: bool, threads: int
) -> dict[str, Any]:
    """Time ``sessions`` sessions per persona; the percentiles per turn."""
    from counselsim.memory.embeddings import HashingEmbedding
    from counselsim.practice.room import PracticeOptions, PracticeRoom

    sim = build(fake, threads)
    times: dict[int, list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(sessions):
            for persona in personas:
                out = Path(tmp) / f"{persona}-{k}"  # a fresh client course each time
                options = PracticeOptions(max_turns=turns + 1)
                async with PracticeRoom.open(sim, out, options, HashingEmbedding()) as room:
                    for n, t in enumerate(await time_session(room, persona, turns), 1):
                        times.setdefault(n, []).append(t)
    await sim.aclose()
    rows = {
        n: {
            "n": len(ts),
            "first_p50": percentile([a for a, _ in ts], 50),
            "first_p95": percentile([a for a, _ in ts], 95),
            "full_p50": percentile([b for _, b in ts], 50),
            "full_p95": percentile([b for _, b in ts], 95),
        }
        for n, ts in sorted(times.items())
    }
    return {
        "engine": "fake" if fake else sim.client_llm.model_id,
        "threads": threads,
        "turns": rows,
        "client_prefix_share": sim.client_llm.usage.prefix_share,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=3, help="sessions per persona")
    ap.add_argument("--turns", type=int, default=20, help="trainee turns per session")
    ap.add_argument("--threads", type=int, default=2, help="llama.cpp threads")
    ap.add_argument("--persona", default="en-reserved,zh-reserved", help="persona ids, comma-list")
    ap.add_argument("--fake", action="store_true", help="an instant fake client (script check)")
    ap.add_argument("--json", type=Path, help="also write the figures here")
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    personas = [p for p in args.persona.split(",") if p]
    result = asyncio.run(run(args.sessions, args.turns, personas, args.fake, args.threads))
    print(f"engine {result['engine']}, {args.threads} threads, seconds per trainee turn")
    print("turn    n  first p50  first p95  full p50  full p95")
    for n, r in result["turns"].items():
        print(
            f"{n:>4} {r['n']:>4} {r['first_p50']:>10.2f} {r['first_p95']:>10.2f}"
            f" {r['full_p50']:>9.2f} {r['full_p95']:>9.2f}"
        )
    first, last = result["turns"][1], result["turns"][max(result["turns"])]
    print(
        f"turn {max(result['turns'])} / turn 1 (p50): first token "
        f"{last['first_p50'] / first['first_p50']:.2f}x, full reply "
        f"{last['full_p50'] / first['full_p50']:.2f}x; client prompt prefix share "
        f"{result['client_prefix_share'] or 0:.3f}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
