"""Session notes, written from the spoken transcript only (never the counselor's thoughts)."""

from __future__ import annotations

from collections.abc import Sequence

from counselsim.agents.base import AgentDeps
from counselsim.agents.views import spoken_text
from counselsim.config import Step
from counselsim.records import SessionSummary, Turn


class ScribeAgent:
    """Summarises a finished session; the summary is recorded and becomes client memory."""

    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    async def summarize(
        self, turns: Sequence[Turn], lang: str, session_index: int, seed: int
    ) -> SessionSummary:
        """The session summary and up to four salient events."""
        prompt = self.deps.prompts.render(
            "scribe",
            "summary",
            lang,
            transcript=spoken_text(turns, lang),
            session_index=session_index,
        )
        return await self.deps.ask(prompt, SessionSummary, Step.SUMMARY, lang, seed)
