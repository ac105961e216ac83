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

from counselsim.agents.base import AgentDeps, speak
from counselsim.agents.views import intake, spoken_text, window
from counselsim.config import Step
from counselsim.critic.loop import Checked
from counselsim.critic.verdict import Check
from counselsim.labels import Emotion, Role, Strategy
from counselsim.personas.models import ClientProfile
from counselsim.prompts import RenderedPrompt
from counselsim.records import ClientUtterance, DialogueTurn, RebuiltCounselorTurn, Turn


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
        seed: int,
        checks: Sequence[Check] = (),
        max_rewrites: int | None = None,
    ) -> tuple[RebuiltCounselorTurn | ClientUtterance, Checked]:
        """Rewrite ``source`` (already masked) as the next turn of ``rebuilt``.

        Every attempt goes through the form checks and ``checks`` (the reconstruction's
        source and turn checks); a rejected one is rewritten, told why (the stated problems
        in the prompt, failed form checks after it), at most ``max_rewrites`` times
        (default: the deps' regeneration bound).
        """
        lang = profile.language.value
        counselor = source.role is Role.COUNSELOR
        deps = self.counselor if counselor else self.client
        step = Step.REBUILD_COUNSELOR if counselor else Step.REBUILD_CLIENT
        schema: type[RebuiltCounselorTurn | ClientUtterance] = (
            RebuiltCounselorTurn if counselor else ClientUtterance
        )

        def render(problems: Sequence[str] = ()) -> RenderedPrompt:
            return deps.prompts.render(
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
                feedback="; ".join(problems) or None,
            )

        return await speak(
            deps,
            render(),
            schema,
            step,
            lang,
            source.role,
            rebuilt,
            seed,
            checks=checks,
            max_regenerations=max_rewrites,
            restate=render,
        )
