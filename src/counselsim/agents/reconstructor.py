"""Reconstruction (RMRR): rewrite a masked real dialogue turn by turn under a new profile.

Each rewritten turn keeps the source turn's counseling move and roughly its length; the
counselor side also names the move and writes the observation and reasoning behind it, so
reconstructed data carries the same "observe, reason, respond" fields as simulated data.
The counselor side sees the intake only (never the client's hidden profile), the client
side sees the full profile; both see the rewritten conversation so far, never the source's
earlier turns, so source details cannot drift in through the context.
"""

from __future__ import annotations

from collections.abc import Sequence

from counselsim.agents.base import AgentDeps, Checked, Rejected, generate_checked
from counselsim.agents.guard import clean_spoken
from counselsim.agents.views import intake, spoken_text, window
from counselsim.config import Step
from counselsim.labels import Emotion, Role, Strategy
from counselsim.personas.models import ClientProfile
from counselsim.records import (
    ClientUtterance,
    DialogueTurn,
    RebuiltCounselorTurn,
    Turn,
    TurnCheck,
)


class ReconstructorAgent:
    """Rewrites one source turn at a time.

    Args:
        counselor: deps for rewriting counselor turns.
        client: deps for rewriting client turns.
        history_window: how many rewritten turns each call sees.
    """

    def __init__(self, counselor: AgentDeps, client: AgentDeps, history_window: int = 16) -> None:
        self.counselor = counselor
        self.client = client
        self.history_window = history_window

    async def rebuild(
        self,
        profile: ClientProfile,
        rebuilt: Sequence[Turn],
        source: DialogueTurn,
        feedback: str | None,
        seed: int,
        private: Sequence[str] = (),
    ) -> tuple[RebuiltCounselorTurn | ClientUtterance, Checked]:
        """Rewrite ``source`` (already masked) as the next turn of ``rebuilt``.

        ``feedback`` says what the critic found wrong with the previous attempt; ``private``
        are strings the turn must not contain (the turn checks flag them).
        """
        lang = profile.language.value
        counselor = source.role is Role.COUNSELOR
        deps = self.counselor if counselor else self.client
        step = Step.REBUILD_COUNSELOR if counselor else Step.REBUILD_CLIENT
        schema: type[RebuiltCounselorTurn | ClientUtterance] = (
            RebuiltCounselorTurn if counselor else ClientUtterance
        )
        prompt = deps.prompts.render(
            "reconstructor",
            "counselor" if counselor else "client",
            lang,
            intake=intake(profile),
            profile=profile.model_dump(mode="json"),
            transcript=spoken_text(window(rebuilt, self.history_window), lang),
            source=source.text,
            source_length=len(source.text),
            strategies=[s.value for s in Strategy],
            emotions=[e.value for e in Emotion],
            feedback=feedback,
        )

        async def make(
            attempt: int, sampling: object, rejected: Rejected | None
        ) -> RebuiltCounselorTurn | ClientUtterance:
            note = (
                deps.regenerate_feedback(lang, rejected.flags, rejected.text) if rejected else None
            )
            out = await deps.ask(
                prompt,
                schema,
                step,
                lang,
                seed + 7919 * attempt,
                sampling=sampling,  # type: ignore[arg-type]
                feedback=note,
            )
            return out.model_copy(update={"reply": clean_spoken(out.reply)})

        return await generate_checked(
            make,
            lambda u: u.reply,
            source.role,
            rebuilt,
            deps.sampling[step],
            deps.max_regenerations,
            private,
        )


class TurnChecker:
    """The critic's per-turn check in the Refine step: in role, consistent with the profile."""

    def __init__(self, deps: AgentDeps, history_window: int = 8) -> None:
        self.deps = deps
        self.history_window = history_window

    async def check(
        self,
        profile: ClientProfile,
        rebuilt: Sequence[Turn],
        role: Role,
        text: str,
        seed: int,
    ) -> TurnCheck:
        """Judge one rewritten turn (not yet appended to ``rebuilt``)."""
        lang = profile.language.value
        prompt = self.deps.prompts.render(
            "critic",
            "turn_check",
            lang,
            profile=profile.model_dump(mode="json"),
            transcript=spoken_text(window(rebuilt, self.history_window), lang),
            role=role.value,
            text=text,
        )
        return await self.deps.ask(prompt, TurnCheck, Step.TURN_CHECK, lang, seed)
