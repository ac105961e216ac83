"""A counselor model under test as the session graph's counselor turn source.

One node, ``counselor_respond``: the black box gets the session so far as an ordinary chat
(:func:`~counselsim.stress.counselor.chat_messages`), with the earlier sessions of the same
course before it (a deployed chat keeps its history), and its reply becomes the counselor's
turn as the client hears it. The turn is written ``author: model``: no plan, observation or
reasoning is asked of the model or invented for it; its strategies are coded from its words
(:func:`counselsim.practice.coding.code_strategies`), because the client's stance policy reads
them. A model cannot say it is done, so the turn that reaches the cap closes the session.

Its reply is kept as said: no in-loop checklist and no safety floor (a model is tested as it
is). The course graph records the turn with the evidence the detectors find on it, as every
turn (:func:`counselsim.critic.tally.with_evidence`), which the failure modes read.

The reply's flags (``empty_reply``, ``truncated``, ``non_text``) go on the turn's ``flags``;
a call that fails after the retries raises :class:`~counselsim.stress.counselor.CounselorError`
and fails the course with that cause (the runner records it and goes on).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from counselsim.graphs.session import NodeFn, SeedFn, counselor_turns
from counselsim.graphs.state import Node, SessionState
from counselsim.labels import NextAction
from counselsim.practice.coding import code_strategies
from counselsim.records import CounselorTurn, SessionRecord, Turn
from counselsim.stress.counselor import BlackBoxCounselor

History = Callable[[str], list[SessionRecord]]
"""A course's stored session records (what the counselor said in earlier sessions)."""


class ModelTurns:
    """The black box's turns in one course.

    Args:
        counselor: the model under test.
        history: reads the course's stored sessions (the run's session log); read once per
            session, so a resumed course shows the model the same earlier sessions.
    """

    def __init__(self, counselor: BlackBoxCounselor, history: History) -> None:
        self.counselor = counselor
        self.history = history
        self._earlier: dict[tuple[str, int], list[list[Turn]]] = {}

    def opening(self, seed: SeedFn) -> Sequence[tuple[str, NodeFn]]:
        """None: a model under test makes no plan."""
        return []

    def turn(self, seed: SeedFn) -> Sequence[tuple[str, NodeFn]]:
        """One call of the model per counselor turn."""

        async def counselor_respond(state: SessionState) -> dict[str, Any]:
            turns = state["turns"]
            lang = state["profile"].language
            earlier = await self._earlier_sessions(state["course_id"], state["session_index"])
            reply = await self.counselor.reply(
                turns, lang, seed=seed(state, len(turns), "counselor"), earlier=earlier
            )
            last = counselor_turns(turns) + 1 >= state["max_turns"]
            turn = CounselorTurn(
                index=len(turns),
                author="model",
                text=reply.text,
                client_emotion=[],
                strategy=code_strategies(reply.text, lang.value),
                next_action=NextAction.CLOSE if last else NextAction.CONTINUE,
                flags=reply.flags,
            )
            return {"turns": [turn]}

        return [(Node.COUNSELOR_RESPOND, counselor_respond)]

    async def _earlier_sessions(self, course_id: str, session_index: int) -> list[list[Turn]]:
        key = (course_id, session_index)
        if key not in self._earlier:
            records = await asyncio.to_thread(self.history, course_id) if session_index > 1 else []
            self._earlier[key] = [list(r.turns) for r in records if r.session_index < session_index]
        return self._earlier[key]
