"""The session graph: the counselor's turn (from a *turn source*), then the client's, until
the counselor closes.

Who takes the counselor's turn is a :class:`CounselorSource`: the nodes run once before the
first turn (the agent's plan) and the nodes of one turn, the last of which adds the
counselor's :class:`~counselsim.records.CounselorTurn`. counselsim's own agent
(:class:`AgentTurns`: plan, then think -> respond) is the default; a counselor model under
test is another source (:class:`counselsim.stress.source.ModelTurns`: one ``counselor_respond``
node calling the model as a black box). The client's turn, the routing and the session's end
are the same for every source. A source that cannot close a session by itself marks the turn
that reaches the turn cap with ``next_action: close``.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal, Protocol

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime

from counselsim.agents.client import ClientAgent
from counselsim.agents.counselor import CounselorAgent, SessionContext
from counselsim.agents.stance import StanceDecision
from counselsim.config import derive_seed
from counselsim.graphs.state import Node, SessionState
from counselsim.labels import EndReason, NextAction, Role
from counselsim.personas.models import ClientProfile
from counselsim.records import ClientTurn, CounselorTurn, Turn


class NodeFn(Protocol):
    """A node of the session graph: the state in, a partial update out."""

    def __call__(self, state: SessionState) -> Awaitable[dict[str, Any]]: ...


SeedFn = Callable[..., int]
"""``seed(state, *where)``: the per-call seed of a call at ``where`` in the state's session
(derived from the course seed, the course id, the session index and ``where``)."""


class CounselorSource(Protocol):
    """Who takes the counselor's turn: the graph's counselor nodes, as ``(name, node)``."""

    def opening(self, seed: SeedFn) -> Sequence[tuple[str, NodeFn]]:
        """Nodes run once, before the session's first counselor turn (may be none)."""
        ...

    def turn(self, seed: SeedFn) -> Sequence[tuple[str, NodeFn]]:
        """Nodes of one counselor turn, in order (at least one); the last adds the turn."""
        ...


@dataclass(frozen=True)
class SessionDeps:
    """What the session nodes call: the counselor (the agent, or any turn source), the
    client, and the course seed."""

    counselor: CounselorAgent | CounselorSource
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


def counselor_turns(turns: Sequence[Turn]) -> int:
    """How many turns the counselor has spoken."""
    return sum(1 for t in turns if t.role is Role.COUNSELOR)


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


@dataclass(frozen=True)
class AgentTurns:
    """counselsim's counselor agent as the turn source: it plans the session, then thinks
    (observation, strategy, next action) and replies on every turn."""

    agent: CounselorAgent

    def opening(self, seed: SeedFn) -> Sequence[tuple[str, NodeFn]]:
        """The plan."""

        async def counselor_plan(state: SessionState) -> dict[str, Any]:
            plan = await self.agent.plan(
                state["profile"],
                state["session_index"],
                state["n_sessions"],
                state["notes"],
                seed(state, "plan"),
            )
            return {"plan": plan}

        return [(Node.COUNSELOR_PLAN, counselor_plan)]

    def turn(self, seed: SeedFn) -> Sequence[tuple[str, NodeFn]]:
        """Think, then respond."""

        async def counselor_think(state: SessionState) -> dict[str, Any]:
            done = counselor_turns(state["turns"])
            thought = await self.agent.think(
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
            said = await self.agent.reply(
                _ctx(state), state["turns"], thought, seed(state, len(state["turns"]), "reply")
            )
            turn = CounselorTurn(
                index=len(state["turns"]),
                text=said.text,
                **said.thought.model_dump(),
                attempts=said.checked.attempts,
                flags=said.checked.flags,
                checks=said.checked.checks,
            )
            return {"turns": [turn], "thought": None}

        return [
            (Node.COUNSELOR_THINK, counselor_think),
            (Node.COUNSELOR_RESPOND, counselor_respond),
        ]


@dataclass(frozen=True)
class SessionNodes:
    """One course's session nodes by name (closures over its agents and seed), and the
    order of the counselor's: the graph's *context*, so one compiled graph serves every
    course whose counselor has the same nodes."""

    nodes: Mapping[str, NodeFn]
    opening: tuple[str, ...]
    turn: tuple[str, ...]


def session_nodes(deps: SessionDeps) -> SessionNodes:
    """The session nodes of one course: its counselor source's and the client's."""
    source = (
        AgentTurns(deps.counselor) if isinstance(deps.counselor, CounselorAgent) else deps.counselor
    )

    def seed(state: SessionState, *where: object) -> int:
        return derive_seed(deps.seed, state["course_id"], state["session_index"], *where)

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

    opening, turn = list(source.opening(seed)), list(source.turn(seed))
    return SessionNodes(
        nodes={**dict(opening), **dict(turn), Node.CLIENT_RESPOND: client_respond},
        opening=tuple(name for name, _ in opening),
        turn=tuple(name for name, _ in turn),
    )


def session_end(state: SessionState) -> dict[str, Any]:
    at_cap = counselor_turns(state["turns"]) >= state["max_turns"]
    return {"end_reason": EndReason.TURN_CAP if at_cap else EndReason.COUNSELOR_CLOSED}


def _dispatch(name: str) -> Callable[..., Awaitable[dict[str, Any]]]:
    """A graph node that runs the course's own node of that name (from the run context)."""

    async def node(state: SessionState, runtime: Runtime[SessionNodes]) -> dict[str, Any]:
        return await runtime.context.nodes[name](state)

    node.__name__ = name
    return node


def build_session_graph(
    opening: Sequence[str], turn: Sequence[str]
) -> StateGraph[Any, SessionNodes, Any, Any]:
    """An uncompiled session graph for a counselor with these opening and turn nodes; run it
    with ``context=session_nodes(deps)``."""
    if not turn:
        raise ValueError("a counselor turn needs at least one node")
    g: StateGraph[Any, SessionNodes, Any, Any] = StateGraph(
        SessionState, context_schema=SessionNodes
    )
    for name in [*opening, *turn, Node.CLIENT_RESPOND]:
        g.add_node(name, _dispatch(name))
    g.add_node(Node.SESSION_END, session_end)
    names = [START, *opening, *turn]
    for before, after in pairwise(names):
        g.add_edge(before, after)
    g.add_conditional_edges(names[-1], route_after_counselor)
    g.add_edge(Node.CLIENT_RESPOND, turn[0])
    g.add_edge(Node.SESSION_END, END)
    return g


@functools.cache
def session_app(opening: tuple[str, ...], turn: tuple[str, ...]) -> Any:
    """The compiled session graph of that shape, compiled once per process (no checkpointer:
    the course graph checkpoints between sessions)."""
    return build_session_graph(opening, turn).compile(checkpointer=False)
