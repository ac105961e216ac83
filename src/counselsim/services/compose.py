"""The composition root: config in; chat models, judges and agents' collaborators out.

Every command builds what it runs here, and nothing is built at import time. Code that plugs
in its own chat models (tests, the stress test) passes them to the builders; otherwise the
configured engine is loaded now, so a bad model path or an unreachable server fails before
anything is written.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel

from counselsim import __version__
from counselsim.agents import AgentDeps, ClientAgent
from counselsim.config import CheckMode, Engine, RunConfig
from counselsim.critic.checklist import TurnReviewer, load_checklist
from counselsim.critic.rubric import Level, Perspective, Rubric, load_rubric
from counselsim.errors import ConfigError
from counselsim.labels import Role, ScoreMethod
from counselsim.llm.models import build_chat_model, openai_chat_model
from counselsim.llm.server import ChatOpenAICompatible
from counselsim.llm.structured import LLM
from counselsim.memory.store import MemoryStore
from counselsim.personas.models import ClientProfile
from counselsim.prompts import PromptLibrary
from counselsim.records import Provenance, SessionRecord
from counselsim.runs import Manifest, RunKind

if TYPE_CHECKING:  # the judges and the extractor are imported only by the commands using them
    from chromadb.api.types import Documents, EmbeddingFunction

    from counselsim.agents.extractor import ProfileExtractor
    from counselsim.critic.compare import PairJudge
    from counselsim.critic.judge import RubricJudge
    from counselsim.services.course import Progress


async def close_chat_model(model: object) -> None:
    """Close a server chat model's connection pool (counselsim's, or langchain-openai's
    client); other models have none."""
    if isinstance(model, ChatOpenAICompatible):
        await model.aclose()
    client = getattr(model, "root_async_client", None)
    if client is not None:
        await client.close()


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

    def manifest(self, kind: RunKind, resume_key: str, **fields: Any) -> Manifest:
        """What ``DIR/run.json`` records: the resolved config and provenance, plus ``fields``."""
        return Manifest(
            kind=kind,
            resume_key=resume_key,
            config=self.config.model_dump(mode="json"),
            provenance=self.provenance().model_dump(mode="json"),
            **fields,
        )

    def llms(self) -> list[LLM]:
        """The distinct model wrappers of the roles."""
        return list(
            {id(x): x for x in (self.counselor_llm, self.client_llm, self.critic_llm)}.values()
        )

    async def aclose(self) -> None:
        """Close the server models' HTTP clients (before the event loop that used them ends)."""
        for llm in self.llms():
            await close_chat_model(llm.chat_model)

    def deps(self, llm: LLM) -> AgentDeps:
        """An agent's collaborators on ``llm``."""
        return AgentDeps(llm, self.prompts, self.config.sampling, self.config.max_regenerations)

    def reviewer(self, role: Role) -> TurnReviewer | None:
        """The in-loop critic for ``role`` (its judge is the critic's model), or None if off."""
        if self.config.checklist is CheckMode.OFF:
            return None
        return TurnReviewer(self.deps(self.critic_llm), load_checklist(role), self.config.checklist)

    def client_agent(self, memory: MemoryStore) -> ClientAgent:
        """The simulated client on the client's model, with its in-loop critic."""
        cfg = self.config
        return ClientAgent(
            self.deps(self.client_llm),
            memory,
            cfg.memory_k,
            cfg.history_window,
            self.reviewer(Role.CLIENT),
        )

    def critic_deps(self) -> AgentDeps:
        """What the critic, the note-taker and judges are built from (the critic's model)."""
        return self.deps(self.critic_llm)

    async def run_course(
        self,
        profile: ClientProfile,
        out: Path,
        embedder: EmbeddingFunction[Documents] | None = None,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> list[SessionRecord]:
        """Run (or resume) one course into the run directory ``out``; returns its records
        (``counselsim simulate``; see :func:`counselsim.services.simulate.simulate`)."""
        from counselsim.services.simulate import simulate

        return (await simulate(self, profile, out, embedder, on_progress)).records


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


def build_server_llm(
    cfg: RunConfig, base_url: str, model: str, api_key: str, timeout_s: float
) -> LLM:
    """A model of its own on an OpenAI-compatible server (the stress test's reference
    counselor given its own ``base_url`` and ``model``)."""
    chat = openai_chat_model(base_url, model, api_key, timeout_s)
    return build_llm(chat, Engine.OPENAI, model, cfg)


def _plugged(model: BaseChatModel, cfg: RunConfig) -> LLM:
    return build_llm(model, Engine.CUSTOM, model._llm_type, cfg)


def course_rubric(name: str) -> Rubric:
    """The rubric of the end-of-session critic: session-level observer items only.

    Raises:
        ConfigError: unknown, or a rubric the course critic cannot use.
    """
    rubric = load_rubric(name)
    if (
        rubric.level is not Level.SESSION
        or rubric.perspective is not Perspective.OBSERVER
        or not rubric.dimensions
    ):
        raise ConfigError(
            f"rubric '{rubric.name}' cannot be the course critic: it needs session-level observer"
            " dimensions; score with it afterwards: counselsim score RUN --rubric NAME"
        )
    return rubric


def build_simulation(
    cfg: RunConfig,
    chat_model: BaseChatModel | None = None,
    *,
    counselor_model: BaseChatModel | None = None,
    client_model: BaseChatModel | None = None,
    critic_model: BaseChatModel | None = None,
) -> Simulation:
    """The models of a simulation. Roles without a model given use ``chat_model``, and
    without that the configured engine.

    An embedded engine gets two llama.cpp instances: one the client's, one shared by the
    counselor and the end-of-session critic and note-taker. Each keeps its own KV cache, so
    the client's and the counselor's alternating prompts each reuse their own prefix (the
    critic runs once per session). A server is shared: it caches prefixes itself.

    Args:
        cfg: the resolved run config.
        chat_model: a LangChain chat model for every role not given its own.
        counselor_model: the counselor agent's model (it gets counselsim's prompts; to test a
            model as a black box, see :func:`counselsim.services.stress.build_entrants`).
        client_model: the simulated client's model.
        critic_model: the critic's and note-taker's model.
    """
    rubric = course_rubric(cfg.rubric)
    built: dict[str, LLM] = {}

    def role(model: BaseChatModel | None, instance: str) -> LLM:
        model = model if model is not None else chat_model
        if model is not None:
            return _plugged(model, cfg)
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
    """One model for judging or extracting: ``chat_model``, else the configured engine (one
    llama.cpp instance on the embedded engine)."""
    if chat_model is not None:
        return _plugged(chat_model, cfg)
    base, model_id = build_chat_model(cfg.model)
    return build_llm(base, cfg.model.engine, model_id, cfg)


def _judge_deps(
    cfg: RunConfig, chat_model: BaseChatModel | None, llm: LLM | None = None
) -> AgentDeps:
    return AgentDeps(
        llm or build_judge_llm(cfg, chat_model),
        PromptLibrary(),
        cfg.sampling,
        cfg.max_regenerations,
    )


def build_rubric_judge(
    cfg: RunConfig,
    rubric: Rubric,
    turns_per_unit: int | None = None,
    chat_model: BaseChatModel | None = None,
    *,
    method: ScoreMethod = ScoreMethod.GEVAL,
    last_turn_only: bool = False,
    llm: LLM | None = None,
) -> RubricJudge:
    """The judge of ``counselsim score`` and ``judge validate`` on ``rubric``, scoring by
    ``method``; on ``llm`` when given (one model shared by several judges), else on
    ``chat_model`` or the configured engine (see :class:`~counselsim.critic.judge.RubricJudge`
    for ``turns_per_unit`` and ``last_turn_only``)."""
    from counselsim.critic.judge import RubricJudge

    return RubricJudge(
        _judge_deps(cfg, chat_model, llm),
        rubric,
        turns_per_unit=turns_per_unit,
        method=method,
        last_turn_only=last_turn_only,
    )


def build_pair_judge(
    cfg: RunConfig, rubric: Rubric, chat_model: BaseChatModel | None = None
) -> PairJudge:
    """The judge of ``counselsim score --against`` (pairwise) on ``rubric``."""
    from counselsim.critic.compare import PairJudge

    return PairJudge(_judge_deps(cfg, chat_model), rubric)


def build_extractor(cfg: RunConfig, chat_model: BaseChatModel | None = None) -> ProfileExtractor:
    """The profile extractor of ``profiles import`` (psyqa; cactus with ``--llm``)."""
    from counselsim.agents.extractor import ProfileExtractor

    return ProfileExtractor(_judge_deps(cfg, chat_model))


def build_masker_deps(cfg: RunConfig, chat_model: BaseChatModel | None = None) -> AgentDeps:
    """The model of the LLM masking pass (``mask --llm``, ``profiles import --llm-mask``)."""
    return _judge_deps(cfg, chat_model)
