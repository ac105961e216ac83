"""The client: speaks only from its profile and its memories of earlier sessions."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from counselsim.agents.base import AgentDeps, speak
from counselsim.agents.stance import StanceDecision, choose_stance
from counselsim.agents.views import spoken_text, window
from counselsim.config import Step
from counselsim.critic.loop import Checked
from counselsim.labels import Emotion, Role
from counselsim.memory.store import MemoryHit, MemoryItem, MemoryKind, MemoryStore
from counselsim.personas.models import ClientProfile
from counselsim.records import ClientUtterance, SessionSummary, Turn

if TYPE_CHECKING:
    from counselsim.critic.checklist import TurnReviewer


class ClientAgent:
    """A simulated client with long-term memory.

    Args:
        deps: model, prompts and sampling settings.
        memory: where finished sessions are remembered (ChromaDB in production).
        memory_k: memories retrieved per turn.
        history_window: how many recent turns each call sees.
        reviewer: the in-loop critic checking every reply against the client checklist.
    """

    def __init__(
        self,
        deps: AgentDeps,
        memory: MemoryStore,
        memory_k: int = 3,
        history_window: int = 16,
        reviewer: TurnReviewer | None = None,
    ) -> None:
        self.deps = deps
        self.memory = memory
        self.memory_k = memory_k
        self.history_window = history_window
        self.reviewer = reviewer

    async def recall(
        self, course_id: str, session_index: int, turns: Sequence[Turn]
    ) -> list[MemoryHit]:
        """Memories of earlier sessions relevant to what the counselor just said."""
        if session_index <= 1 or self.memory_k == 0:
            return []
        query = turns[-1].text if turns else ""
        return await asyncio.to_thread(
            self.memory.search, course_id, query, self.memory_k, session_index
        )

    async def reply(
        self,
        profile: ClientProfile,
        turns: Sequence[Turn],
        memories: Sequence[MemoryHit],
        session_index: int,
        seed: int,
    ) -> tuple[ClientUtterance, Checked, StanceDecision]:
        """The client's next spoken turn with its emotion labels, and the stance it acted."""
        lang = profile.language.value
        decision = choose_stance(profile, turns, session_index, seed)
        disclose = decision.disclose
        prompt = self.deps.prompts.render(
            "client",
            "reply",
            lang,
            profile=profile.model_dump(mode="json"),
            transcript=spoken_text(window(turns, self.history_window), lang),
            session_index=session_index,
            memories=[{"session": m.session_index, "text": m.text} for m in memories],
            emotions=[e.value for e in Emotion],
            stance=decision.stance.value,
            disclose=disclose.model_dump(mode="json") if disclose else None,
        )

        checks = [self.reviewer.check(turns, profile, seed)] if self.reviewer else []
        out, checked = await speak(
            self.deps,
            prompt,
            ClientUtterance,
            Step.CLIENT,
            lang,
            Role.CLIENT,
            turns,
            seed,
            checks=checks,
        )
        return out, checked, decision

    async def remember(self, course_id: str, session_index: int, notes: SessionSummary) -> None:
        """Write a finished session's summary and salient events to long-term memory."""
        items = [
            MemoryItem(
                course_id=course_id,
                session_index=session_index,
                kind=MemoryKind.SUMMARY,
                text=notes.summary,
            ),
            *(
                MemoryItem(
                    course_id=course_id,
                    session_index=session_index,
                    kind=MemoryKind.EVENT,
                    ordinal=i,
                    text=event,
                )
                for i, event in enumerate(notes.salient_events)
            ),
        ]
        await asyncio.to_thread(self.memory.add, items)
