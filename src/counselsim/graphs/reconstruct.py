"""The RMRR graph: Retrieve a real dialogue, Mask it, Reconstruct it turn by turn under a
new profile, Refine each turn with the critic; then summarise, score and record it.

``source_retrieve -> source_mask -> counselor_plan -> turn_rebuild -> turn_refine
-> (turn_rebuild ... | session_summarize) -> critic_score -> record_write``

The unmasked source lives only between ``source_retrieve`` and ``source_mask`` (which
clears it); every model call sees the masked source. The identifiers the mask removed are
kept as ``leak_terms`` so Refine can reject a rewritten turn that still contains one (and,
when rewrites keep leaking, replace it with a surrogate rather than keep it). The
state therefore holds identifiers: compile this graph without a checkpointer (the service
resumes per finished record instead).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, TypedDict

from langgraph.graph import START, StateGraph

from counselsim.agents.counselor import CounselorAgent
from counselsim.agents.critic import CriticAgent
from counselsim.agents.reconstructor import ReconstructorAgent, TurnChecker
from counselsim.agents.scribe import ScribeAgent
from counselsim.config import derive_seed
from counselsim.graphs.course import RecordSink
from counselsim.graphs.state import Node
from counselsim.labels import EndReason, NextAction
from counselsim.personas.models import ClientProfile
from counselsim.privacy import (
    EntityType,
    Leak,
    Masker,
    Span,
    detect,
    find_leaks,
    resolve_overlaps,
)
from counselsim.records import (
    ClientTurn,
    CounselorTurn,
    CriticReport,
    Dialogue,
    DialogueTurn,
    Provenance,
    RebuiltCounselorTurn,
    SessionPlan,
    SessionRecord,
    SessionSummary,
    Turn,
)

PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")


class Retriever(Protocol):
    """Finds a source dialogue: by id, or the one most similar to a profile."""

    def get(self, dialogue_id: str) -> Dialogue:
        """The dialogue with this id (unmasked, as in the corpus)."""

    def nearest(self, profile: ClientProfile, exclude: frozenset[str] = frozenset()) -> Dialogue:
        """The corpus dialogue most similar to what this client brings."""


class RefineFlag:
    """Refine's reasons to rewrite a turn (recorded on the kept turn if they persist)."""

    LEAK = "source_leak"
    PLACEHOLDER = "placeholder"
    OUT_OF_ROLE = "out_of_role"
    INCONSISTENT = "inconsistent"
    SCRUBBED = "leak_scrubbed"  # the kept turn's identifiers were replaced by surrogates


class ReconstructState(TypedDict):
    """One reconstruction in progress."""

    course_id: str
    profile: ClientProfile
    source_id: str | None
    source_raw: Dialogue | None
    source: Dialogue | None
    leak_terms: list[tuple[str, str]]  # (identifier, type) the Mask step removed
    max_source_turns: int
    plan: SessionPlan | None
    turns: list[Turn]
    index: int
    attempt: int
    attempts_total: int
    feedback: str | None
    pending: Turn | None
    summary: SessionSummary | None
    critic: CriticReport | None


@dataclass(frozen=True)
class ReconstructDeps:
    """What the reconstruction nodes call."""

    retriever: Retriever
    masker: Callable[[], Masker]
    counselor: CounselorAgent
    rebuilder: ReconstructorAgent
    checker: TurnChecker | None  # None: deterministic checks only
    scribe: ScribeAgent
    critic: CriticAgent
    sink: RecordSink
    provenance: Provenance
    seed: int
    max_refines: int = 2


def initial_reconstruct_state(
    course_id: str, profile: ClientProfile, source_id: str | None, max_source_turns: int = 0
) -> ReconstructState:
    """The first state; ``source_id`` None lets Retrieve pick the most similar dialogue, and
    ``max_source_turns`` > 0 keeps only the source's first turns."""
    return ReconstructState(
        course_id=course_id,
        profile=profile,
        source_id=source_id,
        source_raw=None,
        source=None,
        leak_terms=[],
        max_source_turns=max_source_turns,
        plan=None,
        turns=[],
        index=0,
        attempt=0,
        attempts_total=0,
        feedback=None,
        pending=None,
        summary=None,
        critic=None,
    )


def leaked_terms(text: str, terms: Sequence[tuple[str, str]]) -> list[Leak]:
    """Source identifiers (``(text, type)`` pairs) still present in ``text``, verbatim or
    reformatted (e.g. a phone number with other spacing)."""
    source, spans, at = "", [], 0
    for original, etype in terms:
        spans.append(Span(start=at, end=at + len(original), type=EntityType(etype), text=original))
        source += original + "\n"
        at += len(original) + 1
    return find_leaks(source, text, originals=spans, detectors=())


def scrub(text: str, terms: Sequence[tuple[str, str]], seed: int) -> str:
    """Last resort when rewrites keep leaking: every identifier in ``text`` — detected, or a
    source identifier found verbatim — is replaced by a realistic surrogate."""
    masker = Masker(surrogates=True, seed=seed)
    found = detect(text)
    for original, etype in terms:
        for m in re.finditer(re.escape(original), text, flags=re.IGNORECASE):
            found.append(Span(start=m.start(), end=m.end(), type=EntityType(etype), text=m[0]))
    return masker.apply(text, resolve_overlaps(found)).text


def route_after_refine(
    state: ReconstructState,
) -> Literal[Node.TURN_REBUILD, Node.SESSION_SUMMARIZE]:
    """Rewrite again, go to the next source turn, or finish when the source is done."""
    assert state["source"] is not None
    if state["pending"] is not None or state["index"] < len(state["source"].turns):
        return Node.TURN_REBUILD
    return Node.SESSION_SUMMARIZE


def build_reconstruct_graph(deps: ReconstructDeps) -> StateGraph[Any]:
    """An uncompiled RMRR graph for one (profile, source dialogue) pair."""

    def seed(state: ReconstructState, *parts: object) -> int:
        return derive_seed(deps.seed, state["course_id"], *parts)

    async def source_retrieve(state: ReconstructState) -> dict[str, Any]:
        sid = state["source_id"]
        found = await asyncio.to_thread(
            (lambda: deps.retriever.get(sid))
            if sid is not None
            else (lambda: deps.retriever.nearest(state["profile"]))
        )
        return {"source_raw": found, "source_id": found.id}

    def source_mask(state: ReconstructState) -> dict[str, Any]:
        raw = state["source_raw"]
        assert raw is not None
        masker = deps.masker()
        keep = raw.turns[: state["max_source_turns"] or None]
        turns = [
            DialogueTurn(role=t.role, text=masker(t.text, raw.language).text, labels=t.labels)
            for t in keep
        ]
        masked = raw.model_copy(update={"turns": turns})
        terms = sorted((text, etype.value) for text, etype in masker.known.items())
        return {"source": masked, "source_raw": None, "leak_terms": terms}

    async def counselor_plan(state: ReconstructState) -> dict[str, Any]:
        plan = await deps.counselor.plan(state["profile"], 1, 1, [], seed(state, "plan"))
        return {"plan": plan}

    async def turn_rebuild(state: ReconstructState) -> dict[str, Any]:
        assert state["source"] is not None
        src = state["source"].turns[state["index"]]
        out, checked = await deps.rebuilder.rebuild(
            state["profile"],
            state["turns"],
            src,
            state["feedback"],
            seed(state, state["index"], state["attempt"]),
        )
        index = len(state["turns"])
        turn: Turn
        if isinstance(out, RebuiltCounselorTurn):
            last = state["index"] == len(state["source"].turns) - 1
            turn = CounselorTurn(
                index=index,
                text=out.reply,
                observation=out.observation,
                client_emotion=out.client_emotion,
                strategy=out.strategy,
                reasoning=out.reasoning,
                next_action=NextAction.CLOSE if last else NextAction.CONTINUE,
                flags=checked.flags,
            )
        else:
            turn = ClientTurn(index=index, text=out.reply, emotion=out.emotion, flags=checked.flags)
        return {"pending": turn, "attempts_total": state["attempts_total"] + checked.attempts}

    async def turn_refine(state: ReconstructState) -> dict[str, Any]:
        turn = state["pending"]
        assert turn is not None
        flags: list[str] = []
        problems: list[str] = []
        if leaked_terms(turn.text, state["leak_terms"]):
            flags.append(RefineFlag.LEAK)
            problems.append("it repeats a name, place or number from the original")
        if PLACEHOLDER.search(turn.text):
            flags.append(RefineFlag.PLACEHOLDER)
            problems.append("it contains a placeholder like [NAME_1]")
        if deps.checker is not None and not flags:
            check = await deps.checker.check(
                state["profile"],
                state["turns"],
                turn.role,
                turn.text,
                seed(state, state["index"], state["attempt"], "check"),
            )
            # a rejection must say what is wrong: the rewrite needs it, and a bare "false"
            # is what a small judge answers to everything (measured on the 1.5B)
            if check.problem.strip():
                if not check.in_role:
                    flags.append(RefineFlag.OUT_OF_ROLE)
                if not check.consistent:
                    flags.append(RefineFlag.INCONSISTENT)
                if flags:
                    problems.append(check.problem)
        if flags and state["attempt"] < deps.max_refines:
            return {"attempt": state["attempt"] + 1, "feedback": "; ".join(problems)}
        text = turn.text
        if RefineFlag.LEAK in flags:  # never keep a source identifier
            text = scrub(text, state["leak_terms"], seed(state, state["index"], "scrub"))
            flags.append(RefineFlag.SCRUBBED)
        kept = turn.model_copy(
            update={
                "text": text,
                "flags": sorted({*turn.flags, *flags}),
                "attempts": state["attempts_total"],
            }
        )
        return {
            "turns": [*state["turns"], kept],
            "pending": None,
            "index": state["index"] + 1,
            "attempt": 0,
            "attempts_total": 0,
            "feedback": None,
        }

    async def session_summarize(state: ReconstructState) -> dict[str, Any]:
        lang = state["profile"].language.value
        notes = await deps.scribe.summarize(state["turns"], lang, 1, seed(state, "summary"))
        return {"summary": notes}

    async def critic_score(state: ReconstructState) -> dict[str, Any]:
        assert state["plan"] is not None
        report = await deps.critic.score(
            state["profile"], state["plan"], state["turns"], 1, seed(state, "critic")
        )
        return {"critic": report}

    async def record_write(state: ReconstructState) -> dict[str, Any]:
        summary, plan, critic, source = (
            state["summary"],
            state["plan"],
            state["critic"],
            state["source"],
        )
        assert summary is not None and plan is not None and critic is not None
        assert source is not None
        record = SessionRecord(
            course_id=state["course_id"],
            session_index=1,
            profile_id=state["profile"].id,
            language=state["profile"].language.value,
            plan=plan,
            turns=state["turns"],
            end_reason=EndReason.SOURCE_END,
            summary=summary.summary,
            salient_events=summary.salient_events,
            critic=critic,
            provenance=deps.provenance.model_copy(
                update={"source": f"{source.source}:{source.id}"}
            ),
        )
        await asyncio.to_thread(deps.sink.write, record)
        return {"leak_terms": []}

    g: StateGraph[Any] = StateGraph(ReconstructState)
    g.add_node(Node.SOURCE_RETRIEVE, source_retrieve)
    g.add_node(Node.SOURCE_MASK, source_mask)
    g.add_node(Node.COUNSELOR_PLAN, counselor_plan)
    g.add_node(Node.TURN_REBUILD, turn_rebuild)
    g.add_node(Node.TURN_REFINE, turn_refine)
    g.add_node(Node.SESSION_SUMMARIZE, session_summarize)
    g.add_node(Node.CRITIC_SCORE, critic_score)
    g.add_node(Node.RECORD_WRITE, record_write)
    g.add_edge(START, Node.SOURCE_RETRIEVE)
    g.add_edge(Node.SOURCE_RETRIEVE, Node.SOURCE_MASK)
    g.add_edge(Node.SOURCE_MASK, Node.COUNSELOR_PLAN)
    g.add_edge(Node.COUNSELOR_PLAN, Node.TURN_REBUILD)
    g.add_edge(Node.TURN_REBUILD, Node.TURN_REFINE)
    g.add_conditional_edges(Node.TURN_REFINE, route_after_refine)
    g.add_edge(Node.SESSION_SUMMARIZE, Node.CRITIC_SCORE)
    g.add_edge(Node.CRITIC_SCORE, Node.RECORD_WRITE)
    return g
