"""Running one course: the agents wired into the course graph, resumed from its checkpoint.

A course resumes where its checkpoint stopped. When the checkpoint is past a session that
``sessions.jsonl`` does not hold (the line was lost to a crash after the step that wrote it
finished), the course is rewound to the checkpoint taken before that session began and the
client memories of the lost sessions are forgotten, so the session is generated again, once,
with the same seeds.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from chromadb.api.types import Documents, EmbeddingFunction
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver

from counselsim.agents import CounselorAgent, ScribeAgent
from counselsim.checkpoints import open_checkpointer
from counselsim.critic.safety_floor import SafetyFloor
from counselsim.critic.session_judge import CriticAgent
from counselsim.graphs.course import CourseDeps, build_course_graph, initial_course_state
from counselsim.graphs.session import SessionDeps
from counselsim.graphs.state import Node
from counselsim.labels import Role
from counselsim.llm.structured import current_course
from counselsim.memory.chroma import ChromaMemory
from counselsim.memory.embeddings import USEEmbedding
from counselsim.personas.models import ClientProfile
from counselsim.records import SessionRecord
from counselsim.runs import RunDir, SessionLog

if TYPE_CHECKING:
    from counselsim.services.compose import Simulation

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """A step finished: which node, in which session, with how many turns so far."""

    node: str
    session_index: int
    turns: int


@dataclass
class Workspace:
    """What the courses of one run directory share: client memory (one Chroma collection,
    filtered by course), the session log, and the LangGraph checkpointer (a thread per
    course)."""

    run: RunDir
    memory: ChromaMemory
    sessions: SessionLog
    saver: BaseCheckpointSaver[Any]

    @functools.cached_property
    def course_app(self) -> Any:
        """The course graph on this workspace's checkpointer, compiled once for all its
        courses (each course runs it with its own agents as context)."""
        return build_course_graph().compile(checkpointer=self.saver)

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        run: RunDir,
        embedder: EmbeddingFunction[Documents] | None = None,
        memory: ChromaMemory | None = None,
        checkpoint_dsn: str | None = None,
        on_record: Callable[[SessionRecord], None] | None = None,
    ) -> AsyncIterator[Workspace]:
        """Open ``run``'s workspace: SQLite checkpoints in the run unless a Postgres DSN is
        given, Chroma in ``memory/`` unless a memory (e.g. a Chroma server's) is given."""
        sessions = run.session_log(on_record)
        mem = memory or ChromaMemory(embedder or USEEmbedding(), run.memory_dir)
        async with open_checkpointer(run.root, checkpoint_dsn) as saver:
            yield cls(run=run, memory=mem, sessions=sessions, saver=saver)


def course_deps(sim: Simulation, ws: Workspace, seed: int) -> CourseDeps:
    """The course graph's agents on the simulation's models, writing into ``ws``."""
    cfg = sim.config
    counselor = CounselorAgent(
        sim.deps(sim.counselor_llm),
        cfg.history_window,
        sim.reviewer(Role.COUNSELOR),
        SafetyFloor(cfg.crisis_locale),
    )
    return CourseDeps(
        session=SessionDeps(counselor=counselor, client=sim.client_agent(ws.memory), seed=seed),
        scribe=ScribeAgent(sim.critic_deps()),
        critic=CriticAgent(sim.critic_deps(), sim.rubric),
        sink=ws.sessions,
        provenance=sim.provenance(seed),
    )


async def run_course_in(
    sim: Simulation,
    ws: Workspace,
    course_id: str,
    profile: ClientProfile,
    seed: int,
    on_progress: Callable[[Progress], None] | None = None,
    deps: CourseDeps | None = None,
) -> None:
    """Run or resume one course in a shared workspace (its checkpoint thread is
    ``course_id``; every model call's seed derives from ``seed``). A course already complete,
    with every session stored, returns at once. ``deps`` replaces the agents
    :func:`course_deps` builds (the stress test's counselor and judge)."""
    cfg = sim.config
    run_cfg: RunnableConfig = {
        "configurable": {"thread_id": course_id},
        "recursion_limit": 10 * cfg.max_turns * cfg.sessions + 100,
    }
    context = deps or course_deps(sim, ws, seed)
    app = ws.course_app
    token = current_course.set(course_id)
    try:
        fresh, resume_cfg = await _resume_point(app, run_cfg, ws, course_id, cfg.sessions)
        if resume_cfg is None:
            log.info("course %s already complete", course_id)
            return
        start = (
            initial_course_state(course_id, profile, cfg.sessions, cfg.max_turns, cfg.min_turns)
            if fresh
            else None
        )
        await _stream(app, start, resume_cfg, context, on_progress)
    finally:
        current_course.reset(token)


async def _resume_point(
    app: Any, run_cfg: RunnableConfig, ws: Workspace, course_id: str, n_sessions: int
) -> tuple[bool, RunnableConfig | None]:
    """Where the course goes on from: ``(True, cfg)`` to start it afresh, ``(False, cfg)`` to
    resume from the checkpoint ``cfg`` names, ``(False, None)`` when nothing is left to do.

    A course is complete when its checkpoint has no task left. (Not when ``next`` is empty:
    a run stopped after a step's task finished but before the next checkpoint was written
    leaves that task with its result and an empty ``next``, yet the course must go on.)
    """
    snapshot = await app.aget_state(run_cfg)
    if not snapshot.values:
        return True, run_cfg
    stored = ws.sessions.sessions_of(course_id)
    missing = next((i for i in range(1, n_sessions + 1) if i not in stored), None)
    at = snapshot.values.get("session_index", 1)  # the session in progress (n + 1: all done)
    if missing is None or missing >= at:
        return False, (run_cfg if snapshot.tasks else None)
    async for state in app.aget_state_history(run_cfg):
        tasks = [t.name for t in state.tasks]
        if state.values.get("session_index") == missing and tasks == [Node.SESSION_RUN]:
            await _forget_from(ws, course_id, missing)
            ws.run.repair(
                f"course {course_id}: session {missing} is missing from "
                f"{ws.run.sessions_file.name}; its checkpoint is rewound to regenerate it"
            )
            return False, {**run_cfg, "configurable": dict(state.config["configurable"])}
    # No checkpoint before that session (a history cut short): start the course over; the
    # sessions already stored are regenerated but not written twice.
    await ws.saver.adelete_thread(course_id)
    await _forget_from(ws, course_id, missing)
    ws.run.repair(f"course {course_id}: session {missing} is missing; the course starts over")
    return True, run_cfg


async def _forget_from(ws: Workspace, course_id: str, session: int) -> None:
    """Drop the client memories of ``session`` and later ones: they are written again when
    those sessions are regenerated (a summary with fewer events would leave stale ones)."""
    await asyncio.to_thread(ws.memory.forget, course_id, session)


async def _stream(
    app: Any,
    start: Any,
    run_cfg: RunnableConfig,
    context: CourseDeps,
    on_progress: Callable[[Progress], None] | None,
) -> None:
    if on_progress is None:  # nobody watches: no update streamed out of the session graph
        await app.ainvoke(start, run_cfg, context=context)
        return
    session_index, turns = 1, 0
    if start is None:
        snapshot = await app.aget_state(run_cfg)
        session_index = snapshot.values.get("session_index", 1)
    async for namespace, update in app.astream(
        start, run_cfg, context=context, stream_mode="updates", subgraphs=True
    ):
        updates: dict[str, Any] = update if isinstance(update, dict) else {}
        for node, delta in updates.items():
            if isinstance(delta, dict) and "turns" in delta and namespace:
                turns += len(delta["turns"])
            if isinstance(delta, dict) and "session_index" in delta:
                session_index, turns = delta["session_index"], 0
            on_progress(Progress(node=node, session_index=session_index, turns=turns))
