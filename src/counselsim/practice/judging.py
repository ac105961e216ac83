"""Scoring a practice session, and saying how far its scores can be trusted.

The course critic reads the counselor agent's plan, which a trainee does not write; a
practice session is scored the way ``counselsim score`` scores any session (the rubric judge
on the spoken, labelled transcript), and kept on the record as its critic report.
"""

from __future__ import annotations

from collections.abc import Sequence

from counselsim.agents.base import AgentDeps
from counselsim.config import Engine, derive_seed
from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import Rubric
from counselsim.critic.units import ScoreUnit, unit_turns
from counselsim.llm.structured import LLM
from counselsim.personas.models import ClientProfile
from counselsim.practice.hints import Messages
from counselsim.practice.models import JudgeStatus
from counselsim.records import CriticReport, DimensionScore, RubricScore, Turn


class RubricSessionJudge:
    """The practice graph's :class:`~counselsim.graphs.practice.SessionJudge`: one rubric
    judgement of the session (see the module docstring)."""

    def __init__(self, deps: AgentDeps, rubric: Rubric, seed: int) -> None:
        self.judge = RubricJudge(deps, rubric)
        self.rubric = rubric
        self.seed = seed

    async def score(
        self, profile: ClientProfile, course_id: str, session_index: int, turns: Sequence[Turn]
    ) -> CriticReport:
        """The session's report on the rubric (``failed`` with the cause, never a default)."""
        unit = session_unit(profile, course_id, session_index, turns)
        seed = derive_seed(self.seed, course_id, session_index, "critic")
        return critic_report(await self.judge.score(unit, 1, seed), self.rubric)


def session_unit(
    profile: ClientProfile, course_id: str, session_index: int, turns: Sequence[Turn]
) -> ScoreUnit:
    """One session as the rubric judge's unit, ``course_id#session_index`` (the id
    ``counselsim score`` gives it)."""
    return ScoreUnit(
        id=f"{course_id}#{session_index}",
        language=profile.language.value,
        turns=unit_turns(turns),
        profile=profile,
        profile_id=profile.id,
        course_id=course_id,
        session_index=session_index,
    )


def critic_report(score: RubricScore, rubric: Rubric) -> CriticReport:
    """A rubric score's first repeat as the session record's critic report: the scores
    bounded by evidence, with the judge's own, the bounds that fired and the citations."""
    scored = [j for j in score.judgements if j.status == "scored" and j.scores]
    if score.status == "failed" or not scored:
        error = "; ".join(score.errors) or "no judgement"
        return CriticReport(rubric=rubric.name, status="failed", error=error, scores=[])
    got = scored[0]
    return CriticReport(
        rubric=rubric.name,
        scores=[
            DimensionScore(
                dimension=d.name,
                score=got.scores[d.name],
                min=d.min,
                max=d.max,
                rationale=got.rationales.get(d.name, ""),
                judge_score=got.judge_scores.get(d.name),
                bounded_by=got.bounds.get(d.name, []),
                citations_ok=got.citations_ok.get(d.name),
                bad_citations=got.bad_citations.get(d.name, []),
            )
            for d in rubric.dimensions
            if d.name in got.scores
        ],
    )


def judge_status(llm: LLM, messages: Messages) -> JudgeStatus:
    """The judge's validation status as the trainee reads it. No judge has been validated
    against human raters in counselsim yet, so every status says so; the embedded model's
    says what was measured about it."""
    template = messages.judge_embedded if llm.engine is Engine.EMBEDDED else messages.judge_other
    return JudgeStatus(
        model=llm.model_id, validated=False, note=template.format(model=llm.model_id)
    )
