"""``counselsim reconstruct`` (RMRR): real dialogues rewritten under new masked profiles.

For each profile the most similar unused corpus dialogues are retrieved, masked, rewritten
turn by turn and refined, then summarised, scored and written as ``sessions.jsonl`` lines
in the same schema as ``simulate`` (one session per record, ``end_reason: source_end``,
``provenance.source`` naming the source dialogue). A rerun of the same command skips
finished (profile, source) pairs.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chromadb.api.types import Documents, EmbeddingFunction

from counselsim.agents import CounselorAgent, ScribeAgent
from counselsim.agents.reconstructor import ReconstructorAgent
from counselsim.config import RunConfig
from counselsim.critic.safety_floor import SafetyFloor
from counselsim.critic.session_judge import CriticAgent
from counselsim.critic.turn_check import TurnChecker
from counselsim.graphs.course import RecordSink
from counselsim.graphs.reconstruct import (
    ReconstructDeps,
    Retriever,
    build_reconstruct_graph,
    initial_reconstruct_state,
)
from counselsim.importers.corpus import load_corpus
from counselsim.memory.corpus import CorpusIndex, profile_key
from counselsim.memory.embeddings import USEEmbedding
from counselsim.personas.models import ClientProfile
from counselsim.privacy import Leak, Masker, find_leaks
from counselsim.records import Dialogue, SessionRecord
from counselsim.runs import RunDir, RunKind
from counselsim.services.compose import Simulation
from counselsim.services.options import ModelFlags
from counselsim.services.profiles import load_profile_set

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ReconstructOptions:
    """``counselsim reconstruct``: the corpus and its format, the target profiles, the run
    directory, how many sources per profile and how much of each, and the model."""

    corpus: Path
    profiles: str
    out: Path
    fmt: str = "transcript"
    per_profile: int = 1
    max_source_turns: int = 0
    critic_check: bool = True
    seed: int | None = None
    model: ModelFlags = field(default_factory=ModelFlags)


@dataclass(frozen=True)
class ReconstructJob:
    """A checked invocation: the targets, the corpus read (and a line per record that could
    not be), and the resolved config."""

    options: ReconstructOptions
    targets: list[ClientProfile]
    dialogues: list[Dialogue]
    failures: list[str]
    config: RunConfig


def plan_reconstruct(opts: ReconstructOptions) -> ReconstructJob:
    """Read the targets and the corpus and resolve the config (no model loaded yet)."""
    from counselsim.runs import refuse_same_path

    refuse_same_path(opts.out, opts.corpus)
    targets = load_profile_set(opts.profiles, opts.out)
    dialogues, failures = asyncio.run(load_corpus(opts.corpus, opts.fmt))
    cfg = opts.model.resolve(seed=opts.seed)
    return ReconstructJob(opts, targets, dialogues, failures, cfg)


@dataclass(frozen=True)
class ReconstructionResult:
    """The records of a run (finished now or earlier) and the leak audit of each."""

    records: list[SessionRecord]
    leaks: dict[str, list[Leak]]

    @property
    def leaky(self) -> int:
        """Records in which an identifier of their source survived."""
        return sum(1 for found in self.leaks.values() if found)


def reconstruct_deps(
    sim: Simulation,
    retriever: Retriever,
    sink: RecordSink,
    *,
    critic_check: bool = True,
    masker: Callable[[], Masker] = Masker,
) -> ReconstructDeps:
    """Agents for the RMRR graph from the composition root's models: rewrites by the
    counselor's and the client's models, checks, notes and scores by the critic's."""
    cfg = sim.config
    return ReconstructDeps(
        retriever=retriever,
        masker=masker,
        counselor=CounselorAgent(sim.deps(sim.counselor_llm), cfg.history_window),
        rebuilder=ReconstructorAgent(
            sim.deps(sim.counselor_llm), sim.deps(sim.client_llm), cfg.history_window
        ),
        checker=TurnChecker(sim.deps(sim.critic_llm)) if critic_check else None,
        scribe=ScribeAgent(sim.deps(sim.critic_llm)),
        critic=CriticAgent(sim.deps(sim.critic_llm), sim.rubric),
        sink=sink,
        provenance=sim.provenance(),
        seed=cfg.seed,
        max_refines=cfg.max_refines,
        floor=SafetyFloor(cfg.crisis_locale),
    )


def reconstruction_id(profile: ClientProfile, source_id: str) -> str:
    """Deterministic course id of one (profile, source) pair, so reruns resume."""
    return f"{profile.id}-rmrr-{source_id}"


async def run_reconstruction(
    sim: Simulation,
    profiles: Sequence[ClientProfile],
    corpus: Sequence[Dialogue],
    out: Path,
    *,
    per_profile: int = 1,
    max_source_turns: int = 0,
    critic_check: bool = True,
    embedder: EmbeddingFunction[Documents] | None = None,
    masker: Callable[[], Masker] = Masker,
    on_done: Callable[[SessionRecord], None] | None = None,
) -> ReconstructionResult:
    """Reconstruct ``per_profile`` dialogues for each profile into the run directory ``out``.

    Args:
        sim: models, prompts, config and rubric (the same composition root as simulate).
        profiles: target (masked) client profiles.
        corpus: real dialogues to retrieve from (unmasked; masked before any model sees them).
        out: output directory (created; a rerun resumes).
        per_profile: distinct source dialogues per profile.
        max_source_turns: keep only a source's first turns (0 = all).
        critic_check: run the critic's per-turn check in Refine (leak and placeholder
            checks always run).
        embedder: embedding function for the corpus index (default: offline USE).
        masker: makes the Masker for each source dialogue.
        on_done: called with each finished record.

    Every record is audited against its unmasked source afterwards (``DIR/leaks.json``:
    labels and hashes only, never the identifiers).
    """
    cfg = sim.config
    run = RunDir(out)
    corpus_digest = hashlib.sha256("\n".join(sorted(d.id for d in corpus)).encode()).hexdigest()
    key = f"rmrr|{cfg.hash()}|{corpus_digest}|{per_profile}|{max_source_turns}"
    run.open_run(
        sim.manifest(
            RunKind.RECONSTRUCT,
            hashlib.sha256(key.encode()).hexdigest()[:16],
            profile_ids=[p.id for p in profiles],
            profiles=[p.model_dump(mode="json") for p in profiles],
            corpus_dialogues=len(corpus),
        )
    )
    index = CorpusIndex(corpus, embedder or USEEmbedding(), run.corpus_index_dir, masker)
    sink = run.session_log()
    graph = build_reconstruct_graph(
        reconstruct_deps(sim, index, sink, critic_check=critic_check, masker=masker)
    ).compile(checkpointer=False)  # the state holds source identifiers: never persisted

    planned: list[tuple[str, str]] = []
    used: set[str] = set()
    for profile in profiles:
        # most similar first; a source is used once per run
        for source_id in index.ranked(profile_key(profile), per_profile, frozenset(used)):
            used.add(source_id)
            course_id = reconstruction_id(profile, source_id)
            planned.append((course_id, source_id))
            if sink.sessions_of(course_id):
                log.info("reconstruction %s already done", course_id)
                continue
            start = initial_reconstruct_state(course_id, profile, source_id, max_source_turns)
            limit = 4 * len(index.get(source_id).turns) * (cfg.max_refines + 1) + 50
            await graph.ainvoke(start, {"recursion_limit": limit})
            if on_done is not None:
                on_done(sink.records_of(course_id)[0])
    by_id = {r.course_id: r for r in sink.records}
    leaks = {c: audit_leaks(index.get(s), by_id[c]) for c, s in planned}
    report = {
        "checked": len(leaks),
        "records_with_leaks": sum(1 for found in leaks.values() if found),
        "leaks": {c: [{"label": x.label, "digest": x.digest} for x in v] for c, v in leaks.items()},
    }
    run.write_json(run.leaks_file, report)
    return ReconstructionResult(records=[by_id[c] for c, _ in planned], leaks=leaks)


def audit_leaks(source: Dialogue, record: SessionRecord) -> list[Leak]:
    """Identifiers of the unmasked source (all detector layers, run afresh) that appear in
    the reconstruction, verbatim or reformatted. Empty for a clean record."""
    return find_leaks(
        "\n".join(t.text for t in source.turns), "\n".join(t.text for t in record.turns)
    )
