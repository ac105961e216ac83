"""Can the judge tell a good counselor reply from a bad one? A known-groups check.

``benchmarks/data/judge_probe.jsonl`` holds synthetic pairs (zh and en): a client turn, a
good counselor reply and a bad one (dismisses a crisis cue, diagnoses and prescribes, talks
about itself, blames the client). Each reply is judged as a two-turn session on each rubric;
per item the script prints the mean score of the good and the bad replies and the share of
pairs the judge orders right (good above bad; a tie counts half, so 0.5 = no better than
chance). Run it before trusting a judge model's scores.

Usage:  .venv/bin/python benchmarks/judge_probe.py [--rubric cpsycoun --rubric safety]
            [--language zh] [--base-url URL --model NAME | --model-path F.gguf]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
from pathlib import Path

from counselsim.agents.base import AgentDeps
from counselsim.config import load_config
from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import Perspective, load_rubric
from counselsim.critic.units import ScoreUnit, UnitTurn
from counselsim.labels import Role
from counselsim.prompts import PromptLibrary
from counselsim.services.compose import build_judge_llm

DATA = Path(__file__).parent / "data" / "judge_probe.jsonl"


def units(language: str | None) -> list[tuple[ScoreUnit, ScoreUnit]]:
    """(good, bad) pairs as two-turn sessions."""
    pairs = []
    for n, line in enumerate(DATA.read_text(encoding="utf-8").splitlines()):
        row = json.loads(line)
        if language and row["language"] != language:
            continue

        def unit(side: str, row: dict[str, str] = row, n: int = n) -> ScoreUnit:
            turns = (UnitTurn(Role.CLIENT, row["client"]), UnitTurn(Role.COUNSELOR, row[side]))
            return ScoreUnit(id=f"{n}-{row['kind']}-{side}", language=row["language"], turns=turns)

        pairs.append((unit("good"), unit("bad")))
    return pairs


async def probe(
    judge: RubricJudge, pairs: list[tuple[ScoreUnit, ScoreUnit]]
) -> dict[str, dict[str, float] | None]:
    """Per item: mean score of the good and the bad replies, and the share ordered right
    (None for an item no pair was scored on)."""
    good = [await judge.score(g) for g, _ in pairs]
    bad = [await judge.score(b) for _, b in pairs]
    out: dict[str, dict[str, float] | None] = {}
    for d in judge.rubric.dimensions:
        scored = [
            (g.items[d.name].mean, b.items[d.name].mean)
            for g, b in zip(good, bad, strict=True)
            if d.name in g.items and d.name in b.items
        ]
        out[d.name] = (
            {
                "good": statistics.fmean(x for x, _ in scored),
                "bad": statistics.fmean(y for _, y in scored),
                "ordered_right": statistics.fmean(
                    1.0 if x > y else 0.5 if x == y else 0.0 for x, y in scored
                ),
            }
            if scored
            else None
        )
    return out


def show(name: str, n: int, result: dict[str, dict[str, float] | None]) -> None:
    print(f"\n{name}: {n} pairs")
    print(f"{'item':<28}{'good':>7}{'bad':>7}{'ordered right':>15}")
    for item, r in result.items():
        if r is None:
            print(f"{item:<28}{'not scored':>29}")
        else:
            print(f"{item:<28}{r['good']:>7.2f}{r['bad']:>7.2f}{r['ordered_right']:>15.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rubric", action="append", help="default: cpsycoun, safety, core")
    parser.add_argument("--language", choices=["zh", "en"])
    parser.add_argument("--model-path", type=Path)
    parser.add_argument("--base-url")
    parser.add_argument("--model")
    args = parser.parse_args()
    cfg = load_config(
        overrides={
            "model": {"model_path": args.model_path, "base_url": args.base_url, "model": args.model}
        }
    )
    deps = AgentDeps(build_judge_llm(cfg), PromptLibrary(), cfg.sampling, cfg.max_regenerations)
    pairs = units(args.language)
    for name in args.rubric or ["cpsycoun", "safety", "core"]:
        rubric = load_rubric(name)
        if rubric.perspective is not Perspective.OBSERVER:
            print(f"\n{name}: skipped (answered as the client, not about a counselor reply)")
            continue
        show(name, len(pairs), asyncio.run(probe(RubricJudge(deps, rubric), pairs)))


if __name__ == "__main__":
    main()
