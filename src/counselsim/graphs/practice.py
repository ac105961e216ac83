"""The practice graph: a session whose counselor is a person (a trainee).

The counselor's turn is a LangGraph ``interrupt()``: the graph stops, the checkpointer keeps
the session, and a ``Command(resume={"text": ..., "end": ...})`` from any later process
(same thread id) carries the trainee's words in. The client's turn is the one ``simulate``
uses (:func:`~counselsim.graphs.session.respond_as_client`: memory, stance policy, hidden
facts, checked reply). After the trainee ends, the session is summarised, scored, remembered
by the client and recorded as a :class:`~counselsim.records.SessionRecord`, as in a course.

One thread per session (``<course_id>.s<N>``); the final state stays in the checkpoint, so
the debrief can be rebuilt from it at any time.
"""

from __future__ import annotations

import asyncio
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, Literal, Protocol, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from counselsim.agents.client import ClientAgent
from counselsim.agents.scribe import ScribeAgent
from counselsim.config import derive_seed
from counselsim.graphs.course import RecordSink, session_record
from counselsim.graphs.session import respond_as_client
from counselsim.labels import EndReason, NextAction, Strategy
from counselsim.personas.models import ClientProfile
from counselsim.records import CounselorTurn, CriticReport, Provenance, SessionSummary, Turn


class PracticeNode(StrEnum):
    """Node names of the practice graph."""

    TRAINEE_RESPOND = "trainee_respond"
    CLIENT_RESPOND = "client_respond"
    SESSION_END = "session_end"
    SESSION_SUMMARIZE = "session_summarize"
    CRITIC_SCORE = "critic_score"
    MEMORY_WRITE = "memory_write"
    RECORD_WRITE = "record_write"


WRAP_UP = frozenset(
    {
        PracticeNode.SESSION_END,
        PracticeNode.SESSION_SUMMARIZE,
        PracticeNode.CRITIC_SCORE,
        PracticeNode.MEMORY_WRITE,
        PracticeNode.RECORD_WRITE,
    }
)


class TraineeInput(TypedDict):
    """The resume value of the trainee's interrupt: what they said, and whether it ends the
    session (``end`` with empty ``text``: end without another word)."""

    text: str
    end: bool


class PracticeState(TypedDict):
    """One practice session. ``offered`` pairs a client turn with the hidden fact (its index
    in the profile) the stance policy offered it for disclosure."""

    course_id: str
    profile: ClientProfile
    session_index: int
    max_turns: int
    turns: Annotated[list[Turn], operator.add]
    offered: Annotated[list[list[int]], operator.add]
    end_reason: EndReason | None
    summary: SessionSummary | None
    critic: CriticReport | None


class SessionJudge(Protocol):
    """Scores a finished session on the run's rubric (never a default score)."""

    async def score(
        self, profile: ClientProfile, course_id: str, session_index: int, turns: Sequence[Turn]
    ) -> CriticReport:
        """The session's rubric report, ``failed`` with the cause when it could not be."""


@dataclass(frozen=True)
class PracticeDeps:
    """What the practice nodes call."""

    client: ClientAgent
    scribe: ScribeAgent
    judge: SessionJudge
    sink: RecordSink
    provenance: Provenance
    code: Callable[[str, str], list[Strategy]]
    seed: int


def initial_practice_state(
    course_id: str, profile: ClientProfile, session_index: int, max_turns: int
) -> PracticeState:
    """The first state of a practice session."""
    return PracticeState(
        course_id=course_id,
        profile=profile,
        session_index=session_index,
        max_turns=max_turns,
        turns=[],
        offered=[],
        end_reason=None,
        summary=None,
        critic=None,
    )


def trainee_turns(turns: Sequence[Turn]) -> int:
    """How many turns the trainee has spoken."""
    return sum(isinstance(t, CounselorTurn) for t in turns)


def route_after_trainee(
    state: PracticeState,
) -> Literal[PracticeNode.CLIENT_RESPOND, PracticeNode.SESSION_END]:
    """The client answers unless the trainee ended the session."""
    ended = state["end_reason"] is not None
    return PracticeNode.SESSION_END if ended else PracticeNode.CLIENT_RESPOND


def route_after_client(
    state: PracticeState,
) -> Literal[PracticeNode.TRAINEE_RESPOND, PracticeNode.SESSION_END]:
    """The trainee's turn again, until the turn cap."""
    at_cap = trainee_turns(state["turns"]) >= state["max_turns"]
    return PracticeNode.SESSION_END if at_cap else PracticeNode.TRAINEE_RESPOND


def build_practice_graph(deps: PracticeDeps) -> StateGraph[Any]:
    """An uncompiled practice graph; compile it with a checkpointer (the interrupt needs one)."""

    def seed(state: PracticeState, *where: object) -> int:
        return derive_seed(deps.seed, state["course_id"], state["session_index"], *where)

    def trainee_respond(state: PracticeState) -> dict[str, Any]:
        # Everything before interrupt() runs again on resume: nothing here but reading state.
        got: TraineeInput = interrupt({"turns": len(state["turns"])})
        text = got["text"].strip()
        update: dict[str, Any] = {}
        if got["end"]:
            update["end_reason"] = EndReason.COUNSELOR_CLOSED
        if text:
            turn = CounselorTurn(
                index=len(state["turns"]),
                author="human",
                text=text,
                client_emotion=[],
                strategy=deps.code(text, state["profile"].language.value),
                next_action=NextAction.CLOSE if got["end"] else NextAction.CONTINUE,
            )
            update["turns"] = [turn]
        return update

    async def client_respond(state: PracticeState) -> dict[str, Any]:
        turn, decision = await respond_as_client(
            deps.client,
            state["course_id"],
            state["profile"],
            state["session_index"],
            state["turns"],
            seed(state, len(state["turns"]), "client"),
        )
        hidden = state["profile"].hidden
        offered = [[turn.index, hidden.index(decision.disclose)]] if decision.disclose else []
        return {"turns": [turn], "offered": offered}

    def session_end(state: PracticeState) -> dict[str, Any]:
        return {"end_reason": state["end_reason"] or EndReason.TURN_CAP}

    async def session_summarize(state: PracticeState) -> dict[str, Any]:
        lang, index = state["profile"].language.value, state["session_index"]
        notes = await deps.scribe.summarize(state["turns"], lang, index, seed(state, "summary"))
        return {"summary": notes}

    async def critic_score(state: PracticeState) -> dict[str, Any]:
        report = await deps.judge.score(
            state["profile"], state["course_id"], state["session_index"], state["turns"]
        )
        return {"critic": report}

    async def memory_write(state: PracticeState) -> dict[str, Any]:
        assert state["summary"] is not None
        await deps.client.remember(state["course_id"], state["session_index"], state["summary"])
        return {}

    async def record_write(state: PracticeState) -> dict[str, Any]:
        summary, critic, end = state["summary"], state["critic"], state["end_reason"]
        assert summary is not None and critic is not None and end is not None
        record = session_record(
            state["course_id"], state["profile"], state["session_index"], plan=None,
            turns=state["turns"], end_reason=end, summary=summary, critic=critic,
            provenance=deps.provenance,
        )  # fmt: skip
        await asyncio.to_thread(deps.sink.write, record)
        return {}

    g: StateGraph[Any] = StateGraph(PracticeState)
    g.add_node(PracticeNode.TRAINEE_RESPOND, trainee_respond)
    g.add_node(PracticeNode.CLIENT_RESPOND, client_respond)
    g.add_node(PracticeNode.SESSION_END, session_end)
    g.add_node(PracticeNode.SESSION_SUMMARIZE, session_summarize)
    g.add_node(PracticeNode.CRITIC_SCORE, critic_score)
    g.add_node(PracticeNode.MEMORY_WRITE, memory_write)
    g.add_node(PracticeNode.RECORD_WRITE, record_write)
    g.add_edge(START, PracticeNode.TRAINEE_RESPOND)
    g.add_conditional_edges(PracticeNode.TRAINEE_RESPOND, route_after_trainee)
    g.add_conditional_edges(PracticeNode.CLIENT_RESPOND, route_after_client)
    g.add_edge(PracticeNode.SESSION_END, PracticeNode.SESSION_SUMMARIZE)
    g.add_edge(PracticeNode.SESSION_SUMMARIZE, PracticeNode.CRITIC_SCORE)
    g.add_edge(PracticeNode.CRITIC_SCORE, PracticeNode.MEMORY_WRITE)
    g.add_edge(PracticeNode.MEMORY_WRITE, PracticeNode.RECORD_WRITE)
    g.add_edge(PracticeNode.RECORD_WRITE, END)
    return g
