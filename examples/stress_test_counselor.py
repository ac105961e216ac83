"""Plug your own counselor model into counselsim and run it against a difficult client.

Any LangChain chat model can be the counselor; the client and critic run on the embedded
default (or pass --base-url/--model to point the counselor at a vLLM/OpenAI-compatible server).

    python examples/stress_test_counselor.py --profile examples/profiles/en_grief_reserved.yaml \
        --out runs/stress --sessions 2 --max-turns 4
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from counselsim.config import load_config
from counselsim.personas import load_profile
from counselsim.services.compose import build_simulation


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--profile", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--sessions", type=int, default=2)
    ap.add_argument("--max-turns", type=int, default=4)
    ap.add_argument("--base-url", help="counselor server (OpenAI-compatible), e.g. vLLM")
    ap.add_argument("--model", help="counselor model name on that server")
    args = ap.parse_args()

    profile = load_profile(args.profile)
    cfg = load_config(overrides={"sessions": args.sessions, "max_turns": args.max_turns})
    counselor = None
    if args.base_url:
        from langchain_openai import ChatOpenAI

        counselor = ChatOpenAI(base_url=args.base_url, model=args.model, max_retries=0)
    sim = build_simulation(cfg, counselor_model=counselor)
    records = asyncio.run(sim.run_course(profile, args.out))

    print(f"{'session':>7} {'turns':>5}  {'end':<16} scores")
    for r in records:
        scores = ", ".join(f"{s.dimension}={s.score:g}/{s.max:g}" for s in r.critic.scores)
        print(
            f"{r.session_index:>7} {len(r.turns):>5}  {r.end_reason.value:<16} "
            f"{scores or r.critic.error}"
        )


if __name__ == "__main__":
    main()
