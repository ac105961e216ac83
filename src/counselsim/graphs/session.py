"""The session graph: plan, then (think -> respond -> client) until the counselor closes."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langgraph.graph import END, START, StateGraph

from counselsim.agents.client import ClientAgent
from counselsim.agents.counselor import CounselorAgent, SessionContext
from counselsim.agents.stance import StanceDecision
from counselsim.config import derive_seed
from counselsim.graphs.state import Node, SessionState
from counselsim.labels import EndReason, NextAction, Role
from counselsim.personas.models import ClientProfile
from counselsim.records import ClientTurn, CounselorTurn, Turn


@dataclass(frozen=True)
class SessionDeps:
    """What the session nodes call."""

    counselor: CounselorAgent
    client: ClientAgent
    seed: int


def initial_session_state(
    course_id: str,
    profile: ClientProfile,
    session_index: int,
    n_sessions: int,
    max_turns: int,
    notes: list[str],
    min_turns: int = 1,
) -> SessionState:
    """The first state of a session (a factory, so no field is left to a default)."""
    return SessionState(
        course_id=course_id,
        profile=profile,
        session_index=session_index,
        n_sessions=n_sessions,
        max_turns=max_turns,
        min_turns=min(min_turns, max_turns),
        notes=list(notes),
        plan=None,
        turns=[],
        thought=None,
        end_reason=None,
    )


def _ctx(state: SessionState) -> SessionContext:
    assert state["plan"] is not None
    return SessionContext(
        profile=state["profile"],
        plan=state["plan"],
        session_index=state["session_index"],
        n_sessions=state["n_sessions"],
        notes=state["notes"],
    )


def _counselor_turns(state: SessionState) -> int:
    return sum(1 for t in state["turns"] if t.role is Role.COUNSELOR)


def route_after_counselor(
    state: SessionState,
) -> Literal[Node.CLIENT_RESPOND, Node.SESSION_END]:
    """Close when the counselor's last reply was its closing one; else the client answers."""
    last = state["turns"][-1]
    assert isinstance(last, CounselorTurn)
    return Node.SESSION_END if last.next_action is NextAction.CLOSE else Node.CLIENT_RESPOND


async def respond_as_client(
    client: ClientAgent,
    course_id: str,
    profile: ClientProfile,
    session_index: int,
    turns: Sequence[Turn],
    seed: int,
) -> tuple[ClientTurn, StanceDecision]:
    """The client's next turn (memories recalled, stance drawn, reply checked), and the
    stance decision behind it (which hidden fact, if any, it was offered)."""
    memories = await client.recall(course_id, session_index, turns)
    out, checked, decision = await client.reply(profile, turns, memories, session_index, seed)
    turn = ClientTurn(
        index=len(turns),
        text=out.reply,
        emotion=out.emotion,
        stance=decision.stance,
        disclosure_offered=decision.disclose is not None,
        memory_ids=[m.id for m in memories],
        attempts=checked.attempts,
        flags=checked.flags,
        checks=checked.checks,
    )
    return turn, decision


def build_session_graph(deps: SessionDeps) -> StateGraph[Any]:
    """An uncompiled session graph; compile it with the checkpointer of your choice."""

    def seed(state: SessionState, *where: object) -> int:
        return derive_seed(deps.seed, state["course_id"], state["session_index"], *where)

    async def counselor_plan(state: SessionState) -> dict[str, Any]:
        plan = await deps.counselor.plan(
            state["profile"],
            state["session_index"],
            state["n_sessions"],
            state["notes"],
            seed(state, "plan"),
        )
        return {"plan": plan}

    async def counselor_think(state: SessionState) -> dict[str, Any]:
        done = _counselor_turns(state)
        thought = await deps.counselor.think(
            _ctx(state),
            state["turns"],
            exchanges_left=state["max_turns"] - done,
            may_close=done + 1 >= state["min_turns"],
            seed=seed(state, len(state["turns"]), "think"),
        )
        return {"thought": thought}

    async def counselor_respond(state: SessionState) -> dict[str, Any]:
        thought = state["thought"]
        assert thought is not None
        text, checked = await deps.counselor.reply(
            _ctx(state), state["turns"], thought, seed(state, len(state["turns"]), "reply")
        )
        turn = CounselorTurn(
            index=len(state["turns"]),
            text=text,
            **thought.model_dump(),
            attempts=checked.attempts,
            flags=checked.flags,
            checks=checked.checks,
        )
        return {"turns": [turn], "thought": None}

    async def client_respond(state: SessionState) -> dict[str, Any]:
        turn, _ = await respond_as_client(
            deps.client,
            state["course_id"],
            state["profile"],
            state["session_index"],
            state["turns"],
            seed(state, len(state["turns"]), "client"),
        )
        return {"turns": [turn]}

    def session_end(state: SessionState) -> dict[str, Any]:
        at_cap = _counselor_turns(state) >= state["max_turns"]
        return {"end_reason": EndReason.TURN_CAP if at_cap else EndReason.COUNSELOR_CLOSED}

    g: StateGraph[Any] = StateGraph(SessionState)
    g.add_node(Node.COUNSELOR_PLAN, counselor_plan)
    g.add_node(Node.COUNSELOR_THINK, counselor_think)
    g.add_node(Node.COUNSELOR_RESPOND, counselor_respond)
    g.add_node(Node.CLIENT_RESPOND, client_respond)
    g.add_node(Node.SESSION_END, session_end)
    g.add_edge(START, Node.COUNSELOR_PLAN)
    g.add_edge(Node.COUNSELOR_PLAN, Node.COUNSELOR_THINK)
    g.add_edge(Node.COUNSELOR_THINK, Node.COUNSELOR_RESPOND)
    g.add_conditional_edges(Node.COUNSELOR_RESPOND, route_after_counselor)
    g.add_edge(Node.CLIENT_RESPOND, Node.COUNSELOR_THINK)
    g.add_edge(Node.SESSION_END, END)
    return g
