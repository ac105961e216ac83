"""The counselor: plans each session, then observes, chooses a strategy and reasons before
every reply. Its plan and thoughts are returned to the caller, never put in the client's view.
Its replies keep the safety floor: after a risk cue, a reply that never asks about the risk is
replaced by a safe protocol reply (:mod:`counselsim.critic.safety_floor`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from counselsim.agents.base import AgentDeps, speak
from counselsim.agents.views import intake, spoken_text, window
from counselsim.config import Step, derive_seed
from counselsim.critic.loop import Checked
from counselsim.critic.safety_floor import DEFAULT_FLOOR, SAFETY_FALLBACK, SafetyFloor
from counselsim.labels import Emotion, NextAction, Role, Stage, Strategy
from counselsim.personas.models import ClientProfile
from counselsim.records import CounselorThought, SessionPlan, Turn, Utterance

if TYPE_CHECKING:
    from counselsim.critic.checklist import TurnReviewer

_LABELS = {
    "strategies": [s.value for s in Strategy],
    "emotions": [e.value for e in Emotion],
    "stages": [s.value for s in Stage],
}


@dataclass(frozen=True)
class SessionContext:
    """What the counselor carries through one session: who, which session, the plan, notes."""

    profile: ClientProfile
    plan: SessionPlan
    session_index: int
    n_sessions: int
    notes: list[str] = field(default_factory=list)

    @property
    def lang(self) -> str:
        return self.profile.language.value


@dataclass(frozen=True)
class CounselorReply:
    """A kept reply: what is said, the thought it was said on (the protocol fallback's own
    notes when the floor replaced it), and how the critic's loop went."""

    text: str
    thought: CounselorThought
    checked: Checked


class CounselorAgent:
    """A counselor driven by any chat model.

    Args:
        deps: model, prompts and sampling settings.
        history_window: how many recent turns each call sees.
        reviewer: the in-loop critic checking every reply against the counselor checklist.
        floor: where the protocol reply kept after an unasked risk cue comes from (None: no
            floor, for measuring what a model does without it).
    """

    def __init__(
        self,
        deps: AgentDeps,
        history_window: int = 16,
        reviewer: TurnReviewer | None = None,
        floor: SafetyFloor | None = DEFAULT_FLOOR,
    ) -> None:
        self.deps = deps
        self.history_window = history_window
        self.reviewer = reviewer
        self.floor = floor

    async def plan(
        self,
        profile: ClientProfile,
        session_index: int,
        n_sessions: int,
        notes: Sequence[str],
        seed: int,
    ) -> SessionPlan:
        """The session plan: stage of the course, goals, approach, focus."""
        lang = profile.language.value
        prompt = self.deps.prompts.render(
            "counselor",
            "plan",
            lang,
            intake=intake(profile),
            session_index=session_index,
            n_sessions=n_sessions,
            notes=list(notes),
            **_LABELS,
        )
        return await self.deps.ask(prompt, SessionPlan, Step.PLAN, lang, seed)

    def _context(self, ctx: SessionContext, turns: Sequence[Turn]) -> dict[str, object]:
        return {
            "transcript": spoken_text(window(turns, self.history_window), ctx.lang),
            "intake": intake(ctx.profile),
            "plan": ctx.plan.model_dump(mode="json"),
            "session_index": ctx.session_index,
            "n_sessions": ctx.n_sessions,
            "notes": ctx.notes,
            **_LABELS,
        }

    async def think(
        self,
        ctx: SessionContext,
        turns: Sequence[Turn],
        exchanges_left: int,
        may_close: bool,
        seed: int,
    ) -> CounselorThought:
        """Observe the client's last turn, choose strategies, reason, decide whether to close.

        With no exchange left the session must close; before ``may_close`` it must go on
        (small models tend to close after one exchange). The prompt says so and the decision
        is enforced; the recorded thought is the one used.
        """
        lang = ctx.lang
        must_close = exchanges_left <= 1
        prompt = self.deps.prompts.render(
            "counselor",
            "think",
            lang,
            **self._context(ctx, turns),
            opening=not turns,
            exchanges_left=exchanges_left,
            must_close=must_close,
            may_close=may_close,
        )
        thought = await self.deps.ask(prompt, CounselorThought, Step.THINK, lang, seed)
        decided = NextAction.CLOSE if must_close else None
        if decided is None and not may_close:
            decided = NextAction.CONTINUE
        if decided is not None and thought.next_action is not decided:
            thought = thought.model_copy(update={"next_action": decided})
        return thought

    async def reply(
        self, ctx: SessionContext, turns: Sequence[Turn], thought: CounselorThought, seed: int
    ) -> CounselorReply:
        """Say the reply the thought calls for; checked and regenerated if malformed, and
        replaced by the protocol reply when the client's last turn carries a risk cue that no
        attempt asked about."""
        lang = ctx.lang
        prompt = self.deps.prompts.render(
            "counselor",
            "reply",
            lang,
            **self._context(ctx, turns),
            thought=thought.model_dump(mode="json"),
            opening=not turns,
        )

        checks = [self.reviewer.check(turns, ctx.profile, seed)] if self.reviewer else []
        out, checked = await speak(
            self.deps,
            prompt,
            Utterance,
            Step.REPLY,
            lang,
            Role.COUNSELOR,
            turns,
            seed,
            private=[thought.observation, thought.reasoning],
            checks=checks,
        )
        kept = CounselorReply(out.reply, thought, checked)
        cue = self.floor.needed(out.reply, turns, lang) if self.floor else None
        if self.floor is None or cue is None:
            return kept
        # a checklist with safety_protocol makes the loop keep a safe attempt over any unsafe
        # one: here every attempt it checked missed the cue
        fb = self.floor.fallback(lang, derive_seed(seed, "safety"), "cue", cue)
        notes = {"observation": fb.observation, "reasoning": fb.reasoning, "strategy": fb.strategy}
        return CounselorReply(
            fb.reply.text,
            thought.model_copy(update=notes),
            replace(checked, flags=[SAFETY_FALLBACK]),
        )
