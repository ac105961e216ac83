"""The course graph: N sessions, each summarised, scored, remembered and recorded (every
turn with the evidence the detectors found on it).

The session inside runs whichever counselor turn source its deps name (the agent, or a model
under test); the critic is anything that scores a finished session (:class:`SessionCritic`):
the agent's course critic, which reads the session plan, or a rubric judge of the spoken
transcript for sessions without a plan.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from langgraph.graph import START, StateGraph
from langgraph.runtime import Runtime

from counselsim.agents.scribe import ScribeAgent
from counselsim.config import derive_seed
from counselsim.critic.tally import with_evidence
from counselsim.graphs.session import (
    SessionDeps,
    initial_session_state,
    session_app,
    session_nodes,
)
from counselsim.graphs.state import CourseState, Node
from counselsim.labels import EndReason
from counselsim.personas.models import ClientProfile
from counselsim.records import (
    CriticReport,
    Provenance,
    SessionPlan,
    SessionRecord,
    SessionSummary,
    Turn,
)


class RecordSink(Protocol):
    """Where finished session records go (must be idempotent per course and session)."""

    def write(self, record: SessionRecord) -> object:
        """Store one session record (a second write of the same session changes nothing)."""


class SessionCritic(Protocol):
    """Scores a finished session (a failed report with the cause, never a default score)."""

    async def score(
        self,
        profile: ClientProfile,
        plan: SessionPlan | None,
        turns: Sequence[Turn],
        session_index: int,
        seed: int,
    ) -> CriticReport:
        """The session's critic report; ``plan`` is None when the counselor made none."""
        ...


def session_record(
    course_id: str,
    profile: ClientProfile,
    session_index: int,
    *,
    plan: SessionPlan | None,
    turns: Sequence[Turn],
    end_reason: EndReason,
    summary: SessionSummary,
    critic: CriticReport,
    provenance: Provenance,
) -> SessionRecord:
    """A finished session's record (a course's, a practice's or a reconstruction's), every
    turn with the evidence the detectors found on it."""
    lang = profile.language.value
    kept, evidence = with_evidence(turns, lang)
    return SessionRecord(
        course_id=course_id,
        session_index=session_index,
        profile_id=profile.id,
        language=lang,
        plan=plan,
        turns=kept,
        end_reason=end_reason,
        summary=summary.summary,
        salient_events=summary.salient_events,
        critic=critic,
        provenance=provenance,
        evidence=evidence,
    )


@dataclass(frozen=True)
class CourseDeps:
    """What the course nodes call."""

    session: SessionDeps
    scribe: ScribeAgent
    critic: SessionCritic
    sink: RecordSink
    provenance: Provenance


def initial_course_state(
    course_id: str, profile: ClientProfile, n_sessions: int, max_turns: int, min_turns: int = 1
) -> CourseState:
    """The first state of a course."""
    return CourseState(
        course_id=course_id,
        profile=profile,
        n_sessions=n_sessions,
        max_turns=max_turns,
        min_turns=min(min_turns, max_turns),
        session_index=1,
        notes=[],
        plan=None,
        turns=[],
        end_reason=None,
        summary=None,
        critic=None,
    )


def route_next_session(state: CourseState) -> Literal[Node.SESSION_RUN, "__end__"]:
    """Another session until ``n_sessions`` are recorded."""
    return Node.SESSION_RUN if state["session_index"] <= state["n_sessions"] else "__end__"


def build_course_graph() -> StateGraph[Any, CourseDeps, Any, Any]:
    """An uncompiled course graph; run it with ``context=`` the course's :class:`CourseDeps`
    (so one compiled graph serves every course of a run). The session graph runs inside
    ``session_run``.

    Checkpoints are taken per course step, not per turn: a per-turn checkpoint stores the whole
    transcript again each time (quadratic in session length, measured in benchmarks/). A run
    interrupted mid-session resumes at that session's start and, with per-call seeds derived
    from the run seed, regenerates it.
    """

    def seed(state: CourseState, deps: CourseDeps, step: str) -> int:
        return derive_seed(deps.session.seed, state["course_id"], state["session_index"], step)

    async def session_run(state: CourseState, runtime: Runtime[CourseDeps]) -> dict[str, Any]:
        start = initial_session_state(
            state["course_id"],
            state["profile"],
            state["session_index"],
            state["n_sessions"],
            state["max_turns"],
            state["notes"],
            state["min_turns"],
        )
        nodes = session_nodes(runtime.context.session)
        done = await session_app(nodes.opening, nodes.turn).ainvoke(start, context=nodes)
        return {"plan": done["plan"], "turns": done["turns"], "end_reason": done["end_reason"]}

    async def session_close(state: CourseState, runtime: Runtime[CourseDeps]) -> dict[str, Any]:
        """The scribe's summary, then the critic's report (one step: one checkpoint)."""
        deps = runtime.context
        notes = await deps.scribe.summarize(
            state["turns"],
            state["profile"].language.value,
            state["session_index"],
            seed(state, deps, "summary"),
        )
        report = await deps.critic.score(
            state["profile"],
            state["plan"],
            state["turns"],
            state["session_index"],
            seed(state, deps, "critic"),
        )
        return {"summary": notes, "critic": report}

    async def record_write(state: CourseState, runtime: Runtime[CourseDeps]) -> dict[str, Any]:
        """The session's memories (for the course's later sessions), then its record; both
        writes are idempotent, so a step run again after a crash writes nothing twice."""
        deps = runtime.context
        summary, critic, end = state["summary"], state["critic"], state["end_reason"]
        assert summary is not None and critic is not None and end is not None
        # The last session is not indexed: no later session recalls it (its summary and
        # events are in its record), and embedding is a corpus run's largest cost per course
        # after the model's.
        if state["session_index"] < state["n_sessions"]:
            await deps.session.client.remember(state["course_id"], state["session_index"], summary)
        record = session_record(
            state["course_id"], state["profile"], state["session_index"], plan=state["plan"],
            turns=state["turns"], end_reason=end, summary=summary, critic=critic,
            provenance=deps.provenance,
        )  # fmt: skip
        await asyncio.to_thread(deps.sink.write, record)
        return {
            "session_index": state["session_index"] + 1,
            "notes": [summary.summary],
            "plan": None,
            "turns": [],
            "end_reason": None,
            "summary": None,
            "critic": None,
        }

    g: StateGraph[Any, CourseDeps, Any, Any] = StateGraph(CourseState, context_schema=CourseDeps)
    g.add_node(Node.SESSION_RUN, session_run)
    g.add_node(Node.SESSION_CLOSE, session_close)
    g.add_node(Node.RECORD_WRITE, record_write)
    g.add_edge(START, Node.SESSION_RUN)
    g.add_edge(Node.SESSION_RUN, Node.SESSION_CLOSE)
    g.add_edge(Node.SESSION_CLOSE, Node.RECORD_WRITE)
    g.add_conditional_edges(Node.RECORD_WRITE, route_next_session)
    return g
