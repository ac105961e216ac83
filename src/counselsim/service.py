"""The composition root: config in, models, memory, agents and graphs wired, a course run.

Nothing is built at import time; the CLI and tests call :func:`build_simulation`.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction
from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver

from counselsim import __version__
from counselsim.agents import AgentDeps, ClientAgent, CounselorAgent, ScribeAgent
from counselsim.checkpoints import open_checkpointer
from counselsim.config import CheckMode, Engine, RunConfig
from counselsim.critic.checklist import TurnReviewer, load_checklist
from counselsim.critic.rubric import Level, Perspective, Rubric, load_rubric
from counselsim.critic.session_judge import CriticAgent
from counselsim.errors import ConfigError
from counselsim.graphs.course import CourseDeps, build_course_graph, initial_course_state
from counselsim.graphs.session import SessionDeps
from counselsim.labels import Role
from counselsim.llm.models import build_chat_model
from counselsim.llm.structured import LLM, current_course
from counselsim.memory.chroma import ChromaMemory
from counselsim.memory.embeddings import USEEmbedding
from counselsim.memory.store import MemoryStore
from counselsim.output import SESSIONS_FILE, JsonlSink, prepare_out_dir
from counselsim.personas.models import ClientProfile
from counselsim.prompts import PromptLibrary
from counselsim.records import Provenance, SessionRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Progress:
    """A step finished: which node, in which session, with how many turns so far."""

    node: str
    session_index: int
    turns: int


@dataclass
class Simulation:
    """Everything a run needs except the output directory: an LLM for each role. On the
    embedded engine the client has its own llama.cpp instance and the critic shares the
    counselor's; a server or a plugged-in model may serve several roles."""

    config: RunConfig
    counselor_llm: LLM
    client_llm: LLM
    critic_llm: LLM
    prompts: PromptLibrary
    rubric: Rubric

    def provenance(self, seed: int | None = None) -> Provenance:
        """Where records come from; ``seed`` is the course's (the run seed by default)."""
        models = {self.counselor_llm.model_id, self.client_llm.model_id, self.critic_llm.model_id}
        return Provenance(
            model=" | ".join(sorted(models)),
            engine=self.counselor_llm.engine.value,
            prompt_hashes=self.prompts.hashes,
            seed=self.config.seed if seed is None else seed,
            config_hash=self.config.hash(),
            version=__version__,
        )

    def course_id(self, profile: ClientProfile) -> str:
        """Deterministic: the same profile and config name the same course (so runs resume)."""
        key = f"{profile.model_dump_json()}|{self.config.hash()}|{self.counselor_llm.model_id}"
        return f"{profile.id}-{hashlib.sha256(key.encode()).hexdigest()[:10]}"

    async def aclose(self) -> None:
        """Close the server models' HTTP clients (before the event loop that used them ends)."""
        for llm in {
            id(x): x for x in (self.counselor_llm, self.client_llm, self.critic_llm)
        }.values():
            client = getattr(llm.chat_model, "root_async_client", None)
            if client is not None:
                await client.close()

    def _deps(self, llm: LLM) -> AgentDeps:
        return AgentDeps(llm, self.prompts, self.config.sampling, self.config.max_regenerations)

    def _reviewer(self, role: Role) -> TurnReviewer | None:
        """The in-loop critic for ``role`` (its judge is the critic's model), or None if off."""
        if self.config.checklist is CheckMode.OFF:
            return None
        return TurnReviewer(
            self._deps(self.critic_llm), load_checklist(role), self.config.checklist
        )

    def client_agent(self, memory: MemoryStore) -> ClientAgent:
        """The simulated client on the client's model, with its in-loop critic."""
        cfg = self.config
        return ClientAgent(
            self._deps(self.client_llm),
            memory,
            cfg.memory_k,
            cfg.history_window,
            self._reviewer(Role.CLIENT),
        )

    def critic_deps(self) -> AgentDeps:
        """What the critic, the note-taker and judges are built from (the critic's model)."""
        return self._deps(self.critic_llm)

    def run_info(self, resume_key: str, **extra: Any) -> dict[str, Any]:
        """What ``DIR/run.json`` records: the resolved config and provenance, plus ``extra``."""
        return {
            "resume_key": resume_key,
            **extra,
            "config": self.config.model_dump(mode="json"),
            "provenance": self.provenance().model_dump(mode="json"),
        }

    async def run_course(
        self,
        profile: ClientProfile,
        out: Path,
        embedder: EmbeddingFunction[Documents] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> list[SessionRecord]:
        """Run (or resume) one course into ``out``; returns its session records."""
        course_id = self.course_id(profile)
        info = self.run_info(
            course_id,
            profile_id=profile.id,
            profile=profile.model_dump(mode="json"),  # synthetic or masked; judges read it
        )
        if prepare_out_dir(out, info):
            log.info("resuming course %s in %s", course_id, out)
        async with Workspace.open(out, embedder) as ws:
            await self.run_course_in(ws, course_id, profile, self.config.seed, on_progress)
            return ws.sink.records_of(course_id)

    async def run_course_in(
        self,
        ws: Workspace,
        course_id: str,
        profile: ClientProfile,
        seed: int,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        """Run or resume one course in a shared workspace (its checkpoint thread is
        ``course_id``; every model call's seed derives from ``seed``). A course already
        complete returns at once."""
        cfg = self.config
        counselor = CounselorAgent(
            self._deps(self.counselor_llm), cfg.history_window, self._reviewer(Role.COUNSELOR)
        )
        deps = CourseDeps(
            session=SessionDeps(
                counselor=counselor, client=self.client_agent(ws.memory), seed=seed
            ),
            scribe=ScribeAgent(self.critic_deps()),
            critic=CriticAgent(self.critic_deps(), self.rubric),
            sink=ws.sink,
            provenance=self.provenance(seed),
        )
        run_cfg: RunnableConfig = {
            "configurable": {"thread_id": course_id},
            "recursion_limit": 10 * cfg.max_turns * cfg.sessions + 100,
        }
        app = build_course_graph(deps).compile(checkpointer=ws.saver)
        token = current_course.set(course_id)
        try:
            await self._stream(app, run_cfg, course_id, profile, on_progress)
        finally:
            current_course.reset(token)

    async def _stream(
        self,
        app: Any,
        run_cfg: RunnableConfig,
        course_id: str,
        profile: ClientProfile,
        on_progress: Callable[[Progress], None] | None,
    ) -> None:
        cfg = self.config
        snapshot = await app.aget_state(run_cfg)
        if snapshot.values and not snapshot.next:
            log.info("course %s already complete", course_id)
            return
        start = (
            None
            if snapshot.next
            else initial_course_state(
                course_id, profile, cfg.sessions, cfg.max_turns, cfg.min_turns
            )
        )
        session_index = snapshot.values.get("session_index", 1) if snapshot.values else 1
        turns = 0
        async for namespace, update in app.astream(
            start, run_cfg, stream_mode="updates", subgraphs=True
        ):
            updates: dict[str, Any] = update if isinstance(update, dict) else {}
            for node, delta in updates.items():
                if isinstance(delta, dict) and "turns" in delta and namespace:
                    turns += len(delta["turns"])
                if isinstance(delta, dict) and "session_index" in delta:
                    session_index, turns = delta["session_index"], 0
                if on_progress is not None:
                    on_progress(Progress(node=node, session_index=session_index, turns=turns))


@dataclass
class Workspace:
    """What the courses of one run directory share: client memory (one Chroma collection,
    filtered by course), the session sink, and the LangGraph checkpointer (a thread per
    course)."""

    memory: ChromaMemory
    sink: JsonlSink
    saver: BaseCheckpointSaver[Any]

    @classmethod
    @asynccontextmanager
    async def open(
        cls,
        out: Path,
        embedder: EmbeddingFunction[Documents] | None = None,
        memory: ChromaMemory | None = None,
        checkpoint_dsn: str | None = None,
        on_record: Callable[[SessionRecord], None] | None = None,
    ) -> AsyncIterator[Workspace]:
        """Open ``out``'s workspace: SQLite checkpoints in ``out`` unless a Postgres DSN is
        given, Chroma in ``out/memory`` unless a memory (e.g. a Chroma server's) is given."""
        mem = memory or ChromaMemory(embedder or USEEmbedding(), out / "memory")
        sink = JsonlSink(out / SESSIONS_FILE, on_record)
        async with open_checkpointer(out, checkpoint_dsn) as saver:
            yield cls(memory=mem, sink=sink, saver=saver)


def build_llm(chat_model: BaseChatModel, engine: Engine, model_id: str, cfg: RunConfig) -> LLM:
    """Wrap a chat model with the run's retry and repair bounds."""
    return LLM(
        chat_model=chat_model,
        engine=engine,
        model_id=model_id,
        retry_attempts=cfg.retry_attempts,
        max_repairs=cfg.max_repairs,
        response_format=cfg.model.response_format,
    )


def build_simulation(
    cfg: RunConfig,
    chat_model: BaseChatModel | None = None,
    *,
    counselor_model: BaseChatModel | None = None,
    client_model: BaseChatModel | None = None,
    critic_model: BaseChatModel | None = None,
) -> Simulation:
    """The composition root. Roles without a model given use ``chat_model``, and without that
    the configured engine (loaded now, so a bad path or server fails before any output).

    An embedded engine gets two llama.cpp instances: one the client's, one shared by the
    counselor and the end-of-session critic and note-taker. Each keeps its own KV cache, so
    the client's and the counselor's alternating prompts each reuse their own prefix (the
    critic runs once per session). A server is shared: it caches prefixes itself.

    Args:
        cfg: the resolved run config.
        chat_model: a LangChain chat model for every role not given its own.
        counselor_model: the counselor under test (stress-testing plugs a model in here).
        client_model: the simulated client's model.
        critic_model: the critic's and note-taker's model.
    """
    rubric = load_rubric(cfg.rubric)
    if (
        rubric.level is not Level.SESSION
        or rubric.perspective is not Perspective.OBSERVER
        or (not rubric.dimensions)
    ):
        raise ConfigError(
            f"rubric '{rubric.name}' cannot be the course critic: it needs session-level observer"
            " dimensions; score with it afterwards: counselsim score RUN --rubric NAME"
        )
    built: dict[str, LLM] = {}

    def role(model: BaseChatModel | None, instance: str) -> LLM:
        if model is None:
            model = chat_model
        if model is not None:
            return build_llm(model, Engine.CUSTOM, model._llm_type, cfg)
        if cfg.model.engine is Engine.OPENAI:
            instance = "server"
        if instance not in built:
            base, model_id = build_chat_model(cfg.model)
            built[instance] = build_llm(base, cfg.model.engine, model_id, cfg)
        return built[instance]

    return Simulation(
        config=cfg,
        counselor_llm=role(counselor_model, "counselor"),
        client_llm=role(client_model, "client"),
        critic_llm=role(critic_model, "counselor"),
        prompts=PromptLibrary(),
        rubric=rubric,
    )


def build_judge_llm(cfg: RunConfig, chat_model: BaseChatModel | None = None) -> LLM:
    """One model for judging (``counselsim score``): ``chat_model``, else the configured
    engine (one llama.cpp instance on the embedded engine)."""
    if chat_model is not None:
        return build_llm(chat_model, Engine.CUSTOM, chat_model._llm_type, cfg)
    base, model_id = build_chat_model(cfg.model)
    return build_llm(base, cfg.model.engine, model_id, cfg)
