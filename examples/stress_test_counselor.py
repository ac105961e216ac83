"""Stress-test any LangChain chat model as a counselor, from Python, beside counselsim's own.

The model under test is a black box: it receives an ordinary chat (its own system prompt, the
client's turns as user messages, its replies as assistant messages) and answers in plain
text; no counselsim prompt, JSON or reasoning is asked of it. It meets the same difficult
client as counselsim's reference counselor agent (plan, think, reply), and the report ranks
the two. The client, note-taker and judges run on the simulation model (the embedded
default).

    python examples/stress_test_counselor.py --profile examples/profiles/en_grief_reserved.yaml \
        --out runs/example-stress --sessions 1 --max-turns 4

By default the model under test is the simulation model itself as a plain chat model, so the
example needs nothing else; --base-url/--model put a model served by vLLM or any
OpenAI-compatible server under test instead. Any other LangChain chat model goes in the same
way: ``BlackBoxCounselor("name", chat_model, system_prompt=...)``. The same run from the
command line: ``counselsim stress-test --counselor name=...,base_url=...,model=...
--counselor name=counselsim --personas PROFILE --out DIR``.
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from counselsim.services.compose import Simulation, build_simulation
from counselsim.services.stress import (
    StressJob,
    StressOptions,
    StressResult,
    build_entrants,
    plan_stress,
    stress_test,
)
from counselsim.stress import REFERENCE, BlackBoxCounselor

SYSTEM_PROMPT = (
    "You are a warm, careful counselor in a text chat. Listen, reflect what you hear, ask "
    "one open question at a time, and never give medical advice."
)


def plan(persona: str, out: Path, sessions: int, max_turns: int) -> StressJob:
    """The run: ``persona`` (a persona id or a profile file) for the reference counselor
    agent and the model under test, judged once per session."""
    opts = StressOptions(
        personas=persona,
        out=out,
        counselors=(f"name={REFERENCE}",),
        sessions=sessions,
        max_turns=max_turns,
        seed=1,
        judge_repeats=1,
    )
    return plan_stress(opts)


async def run(job: StressJob, sim: Simulation, model: BaseChatModel, **kw: Any) -> StressResult:
    """Stress-test ``model`` (as the counselor ``mine``) beside the reference."""
    mine = BlackBoxCounselor(
        "mine",
        model,
        SYSTEM_PROMPT,
        call_kwargs={"temperature": 0.7, "max_tokens": 200},
        seeded=True,  # both models here take a seed; a chat model that refuses one: False
    )
    return await stress_test(job, sim, build_entrants(job, sim, [mine]), **kw)


def table(result: StressResult) -> list[str]:
    """The ranking, one line per counselor, best first."""
    lines = [f"{'counselor':<12} {'sessions':>8} {'severe':>6} {'rubric':>6}  failed courses"]
    for c in result.report.counselors:
        severe = f"{c.severe.value:.2f}" if c.severe else "-"
        rubric = f"{c.rubric.overall.value:.2f}" if c.rubric.overall else "-"
        lines.append(f"{c.name:<12} {c.sessions:>8} {severe:>6} {rubric:>6}  {c.courses_failed}")
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", required=True, help="a persona id or a profile file")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--sessions", type=int, default=1)
    ap.add_argument("--max-turns", type=int, default=4)
    ap.add_argument("--base-url", help="the model under test's server (OpenAI-compatible)")
    ap.add_argument("--model", help="the model under test's name on that server")
    args = ap.parse_args()

    job = plan(args.profile, args.out, args.sessions, args.max_turns)
    sim = build_simulation(job.config)
    model: BaseChatModel = sim.counselor_llm.chat_model
    if args.base_url:
        from langchain_openai import ChatOpenAI

        # no retries of its own: the black box retries transient errors itself
        model = ChatOpenAI(base_url=args.base_url, model=args.model, api_key="EMPTY", max_retries=0)
    result = asyncio.run(run(job, sim, model))
    print("\n".join(table(result)))
    print(f"report: {args.out / 'report.html'}")


if __name__ == "__main__":
    main()
