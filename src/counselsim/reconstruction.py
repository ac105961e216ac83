"""The reconstruction service (RMRR): real dialogues rewritten under new masked profiles.

For each profile the most similar unused corpus dialogues are retrieved, masked, rewritten
turn by turn and refined, then summarised, scored and written as ``sessions.jsonl`` lines
in the same schema as ``simulate`` (one session per record, ``end_reason: source_end``,
``provenance.source`` naming the source dialogue). A rerun of the same command skips
finished (profile, source) pairs.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction

from counselsim.agents import AgentDeps, CounselorAgent, CriticAgent, ScribeAgent
from counselsim.agents.reconstructor import ReconstructorAgent, TurnChecker
from counselsim.errors import ConfigError, ProfileError
from counselsim.graphs.course import RecordSink
from counselsim.graphs.reconstruct import (
    ReconstructDeps,
    Retriever,
    build_reconstruct_graph,
    initial_reconstruct_state,
)
from counselsim.importers.base import ImportContext, Imported, ImportFailure
from counselsim.importers.registry import get_importer
from counselsim.importers.store import read_dialogues
from counselsim.memory.corpus import CorpusIndex, profile_key
from counselsim.memory.embeddings import USEEmbedding
from counselsim.output import SESSIONS_FILE, JsonlSink, prepare_out_dir, write_atomic
from counselsim.personas.library import list_personas, resolve_profile
from counselsim.personas.load import load_profile
from counselsim.personas.models import ClientProfile
from counselsim.privacy import Leak, Masker, find_leaks
from counselsim.records import Dialogue, SessionRecord
from counselsim.service import Simulation

log = logging.getLogger(__name__)


async def load_corpus(src: Path, fmt: str) -> tuple[list[Dialogue], list[str]]:
    """Read a dialogue corpus in any dialogue importer format, *unmasked* (the Mask step of
    the pipeline masks each source and keeps what it removed for the leak check).

    Returns:
        The dialogues and one ``file:line: reason`` line per record that could not be read.

    Raises:
        ConfigError: an unknown format or one that yields profiles, not dialogues.
    """
    if fmt == "dialogues":  # a dialogues.jsonl written by `profiles import` (already masked)
        return read_dialogues(src), []
    importer = get_importer(fmt)
    if importer.produces != "dialogue":
        raise ConfigError(f"format '{fmt}' yields profiles, not dialogues; it is not a corpus")
    ctx = ImportContext(make_masker=lambda _id: Masker(detectors=()))
    dialogues: list[Dialogue] = []
    failures: list[str] = []
    async for event in importer.run(src, ctx):
        if isinstance(event, Imported) and isinstance(event.item, Dialogue):
            dialogues.append(event.item)
        elif isinstance(event, ImportFailure):
            failures.append(str(event))
    return dialogues, failures


def load_targets(spec: str) -> list[ClientProfile]:
    """Target profiles: ``library`` (the whole persona library), a folder of profile files,
    a profile file, or one persona id."""

    if spec == "library":
        return list_personas()
    path = Path(spec)
    if path.is_dir():
        files = sorted([*path.glob("*.y*ml"), *path.glob("*.json")])
        if not files:
            raise ProfileError(f"{path}: no profile files (.yaml/.json) in this folder")
        return [load_profile(f) for f in files]
    return [resolve_profile(spec)]


LEAKS_FILE = "leaks.json"


@dataclass(frozen=True)
class ReconstructionResult:
    """The records of a run (finished now or earlier) and the leak audit of each."""

    records: list[SessionRecord]
    leaks: dict[str, list[Leak]]


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

    def deps(llm: Any) -> AgentDeps:
        return AgentDeps(llm, sim.prompts, cfg.sampling, cfg.max_regenerations)

    return ReconstructDeps(
        retriever=retriever,
        masker=masker,
        counselor=CounselorAgent(deps(sim.counselor_llm), cfg.history_window),
        rebuilder=ReconstructorAgent(
            deps(sim.counselor_llm), deps(sim.client_llm), cfg.history_window
        ),
        checker=TurnChecker(deps(sim.critic_llm)) if critic_check else None,
        scribe=ScribeAgent(deps(sim.critic_llm)),
        critic=CriticAgent(deps(sim.critic_llm), sim.rubric),
        sink=sink,
        provenance=sim.provenance(),
        seed=cfg.seed,
        max_refines=cfg.max_refines,
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
    """Reconstruct ``per_profile`` dialogues for each profile into ``out``.

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
    corpus_digest = hashlib.sha256("\n".join(sorted(d.id for d in corpus)).encode()).hexdigest()
    run_info = sim.run_info(
        hashlib.sha256(
            f"rmrr|{cfg.hash()}|{corpus_digest}|{per_profile}|{max_source_turns}".encode()
        ).hexdigest()[:16],
        profile_ids=[p.id for p in profiles],
        profiles=[p.model_dump(mode="json") for p in profiles],
        corpus_dialogues=len(corpus),
    )
    prepare_out_dir(out, run_info)
    index = CorpusIndex(corpus, embedder or USEEmbedding(), out / "corpus_index", masker)
    sink = JsonlSink(out / SESSIONS_FILE)

    graph = build_reconstruct_graph(
        reconstruct_deps(sim, index, sink, critic_check=critic_check, masker=masker)
    ).compile(checkpointer=False)  # the state holds source identifiers: never persisted

    done = {r.course_id for r in sink.records}
    used: set[str] = set()
    planned: list[tuple[str, str]] = []
    for profile in profiles:
        # most similar first; a source is used once per run
        for source_id in index.ranked(profile_key(profile), per_profile, frozenset(used)):
            used.add(source_id)
            course_id = reconstruction_id(profile, source_id)
            planned.append((course_id, source_id))
            if course_id in done:
                log.info("reconstruction %s already done", course_id)
                continue
            start = initial_reconstruct_state(course_id, profile, source_id, max_source_turns)
            limit = 4 * len(index.get(source_id).turns) * (cfg.max_refines + 1) + 50
            await graph.ainvoke(start, {"recursion_limit": limit})
            if on_done is not None:
                on_done(sink.records_of(course_id)[0])
    by_id = {r.course_id: r for r in sink.records}
    records = [by_id[c] for c, _ in planned]
    leaks = {c: audit_leaks(index.get(s), by_id[c]) for c, s in planned}
    report = {
        "checked": len(leaks),
        "records_with_leaks": sum(1 for found in leaks.values() if found),
        "leaks": {c: [{"label": x.label, "digest": x.digest} for x in v] for c, v in leaks.items()},
    }
    write_atomic(out / LEAKS_FILE, json.dumps(report, indent=2) + "\n")
    return ReconstructionResult(records=records, leaks=leaks)


def audit_leaks(source: Dialogue, record: SessionRecord) -> list[Leak]:
    """Identifiers of the unmasked source (all detector layers, run afresh) that appear in
    the reconstruction, verbatim or reformatted. Empty for a clean record."""
    return find_leaks(
        "\n".join(t.text for t in source.turns), "\n".join(t.text for t in record.turns)
    )
