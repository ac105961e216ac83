"""Pairwise comparison: which of two sessions is better on each rubric item.

The order the judge sees the two sessions in alternates between repeats (the first repeat's
order is a seeded coin), so a judge's preference for a position shows up as inconsistency
instead of as a winner; both are reported.
"""

from __future__ import annotations

import logging
import random
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from counselsim.agents.base import AgentDeps
from counselsim.config import Step, derive_seed
from counselsim.critic.rubric import Level, Perspective, Rubric, RubricView
from counselsim.critic.units import ScoreUnit, unit_text
from counselsim.errors import ConfigError, StructuredOutputError
from counselsim.records import Comparison, PairJudgement

log = logging.getLogger(__name__)
Side = Literal["a", "b"]


def pair_model(rubric: Rubric) -> type[BaseModel]:
    """The judge's output: per item a rationale, then first, second or tie."""
    better: Any = Literal["first", "second", "tie"]
    item = create_model(
        "Preference",
        __config__=ConfigDict(extra="forbid"),
        rationale=(str, Field(min_length=2, max_length=160)),
        better=(better, ...),
    )
    fields: dict[str, Any] = {d.name: (item, ...) for d in rubric.dimensions}
    return create_model("PairVerdict", __config__=ConfigDict(extra="forbid"), **fields)


class PairJudge:
    """Compares two units on a session-level observer rubric."""

    def __init__(self, deps: AgentDeps, rubric: Rubric) -> None:
        if (
            rubric.level is not Level.SESSION
            or rubric.perspective is not Perspective.OBSERVER
            or not rubric.dimensions
        ):
            raise ConfigError(
                f"rubric '{rubric.name}' cannot compare sessions: it needs session-level "
                "observer dimensions"
            )
        self.deps = deps
        self.rubric = rubric

    async def compare(
        self, a: ScoreUnit, b: ScoreUnit, repeats: int = 2, seed: int = 0
    ) -> Comparison:
        """Judge ``a`` against ``b`` ``repeats`` times, alternating which is shown first."""
        coin = random.Random(derive_seed(seed, a.id, b.id, self.rubric.name)).random() < 0.5
        labelled = self.rubric.view is RubricView.ANNOTATED
        lang = a.language
        schema = pair_model(self.rubric)
        judgements = []
        for r in range(repeats):
            first: Side = "a" if (r % 2 == 0) == coin else "b"
            one, two = (a, b) if first == "a" else (b, a)
            prompt = self.deps.prompts.render(
                "critic",
                "compare",
                lang,
                rubric={"title": self.rubric.title},
                dimensions=[{"name": d.name, "text": d.text(lang)} for d in self.rubric.dimensions],
                first=unit_text(one.turns, lang, labelled),
                second=unit_text(two.turns, lang, labelled),
            )
            seed_r = derive_seed(seed, a.id, b.id, self.rubric.name, r)
            try:
                got = await self.deps.ask(prompt, schema, Step.CRITIC, lang, seed_r)
            except StructuredOutputError as exc:
                judgements.append(
                    PairJudgement(repeat=r, first=first, status="failed", error=str(exc))
                )
                continue
            second: Side = "b" if first == "a" else "a"
            side = {"first": first, "second": second, "tie": "tie"}
            data = got.model_dump()
            judgements.append(
                PairJudgement(
                    repeat=r,
                    first=first,
                    winners={k: side[v["better"]] for k, v in data.items()},
                    rationales={k: v["rationale"] for k, v in data.items()},
                )
            )
        return summarize_pair(self.rubric, a.id, b.id, judgements, repeats)


def summarize_pair(
    rubric: Rubric, a: str, b: str, judgements: list[PairJudgement], repeats: int
) -> Comparison:
    """Win counts per item, position consistency and the first-position rate."""
    ok = [j for j in judgements if j.status == "scored"]
    wins: dict[str, dict[Literal["a", "b", "tie"], int]] = {}
    for d in rubric.dimensions:
        tally: dict[Literal["a", "b", "tie"], int] = {"a": 0, "b": 0, "tie": 0}
        for j in ok:
            tally[j.winners[d.name]] += 1
        wins[d.name] = tally
    agree = total = 0
    for x in ok:
        for y in ok:
            if x.repeat < y.repeat and x.first != y.first:
                for d in rubric.dimensions:
                    total += 1
                    agree += x.winners[d.name] == y.winners[d.name]
    decisive = [(j.first, w) for j in ok for w in j.winners.values() if w != "tie"]
    errors = [f"repeat {j.repeat}: {j.error}" for j in judgements if j.status == "failed"]
    status = "failed" if not ok else ("partial" if errors else "scored")
    return Comparison(
        rubric=rubric.name,
        unit_a=a,
        unit_b=b,
        repeats=repeats,
        status=status,
        errors=errors,
        wins=wins if ok else {},
        position_consistency=round(agree / total, 4) if total else None,
        first_position_rate=(
            round(sum(f == w for f, w in decisive) / len(decisive), 4) if decisive else None
        ),
        judgements=judgements,
    )
