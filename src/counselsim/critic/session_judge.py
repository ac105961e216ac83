"""The session judge: scores a finished session on a rubric, every score range-checked, then
bounded by the evidence rules of its items, its rationale's turn citations checked."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from counselsim.agents.base import AgentDeps
from counselsim.config import Step
from counselsim.critic.bounds import SessionEvidence, bound_report
from counselsim.critic.rubric import Rubric, RubricView
from counselsim.critic.units import unit_text, unit_turns
from counselsim.errors import StructuredOutputError
from counselsim.personas.models import ClientProfile
from counselsim.records import CriticReport, DimensionScore, SessionPlan, Turn

log = logging.getLogger(__name__)


class CriticAgent:
    """Applies one rubric. A judge that cannot produce valid scores yields a *failed* report
    with the cause: never a default score, never an empty success."""

    def __init__(self, deps: AgentDeps, rubric: Rubric) -> None:
        self.deps = deps
        self.rubric = rubric

    async def score(
        self,
        profile: ClientProfile,
        plan: SessionPlan | None,
        turns: Sequence[Turn],
        session_index: int,
        seed: int,
    ) -> CriticReport:
        """Score one session (its transcript numbered ``[T0]``, ``[T1]``... for citations). It
        reads the counselor's plan: a session without one is not scored here, but by a rubric
        judge of the spoken transcript."""
        if plan is None:
            error = "no session plan to score against (score the spoken transcript instead)"
            return CriticReport(rubric=self.rubric.name, status="failed", error=error, scores=[])
        lang = profile.language.value
        labelled = self.rubric.view is RubricView.ANNOTATED
        prompt = self.deps.prompts.render(
            "critic",
            "score",
            lang,
            rubric=self.rubric.model_dump(mode="json"),
            dimensions=[
                {"name": d.name, "min": d.min, "max": d.max, "text": d.text(lang)}
                for d in self.rubric.dimensions
            ],
            profile=profile.model_dump(mode="json"),
            plan=plan.model_dump(mode="json"),
            transcript=unit_text(unit_turns(turns), lang, labelled),
            session_index=session_index,
        )
        schema = self.rubric.output_model()
        try:
            judged = await self.deps.ask(prompt, schema, Step.CRITIC, lang, seed)
        except StructuredOutputError as exc:
            log.warning("session %d not scored: %s", session_index, exc)
            return CriticReport(rubric=self.rubric.name, status="failed", error=str(exc), scores=[])
        scores = []
        for d in self.rubric.dimensions:
            item = getattr(judged, d.name)
            scores.append(
                DimensionScore(
                    dimension=d.name,
                    score=item.score,
                    min=d.min,
                    max=d.max,
                    rationale=item.rationale,
                )
            )
        report = CriticReport(rubric=self.rubric.name, scores=scores)
        return bound_report(self.rubric, report, SessionEvidence.of(turns, lang))
