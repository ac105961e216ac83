"""The RMRR graph: Retrieve a real dialogue, Mask it, Reconstruct it turn by turn under a
new profile, Refining each turn with the critic; then summarise, score and record it.

``source_retrieve -> source_mask -> counselor_plan -> turn_rebuild -> (turn_rebuild ... |
session_summarize) -> critic_score -> record_write``

Refine is the critic's check-and-retry loop inside ``turn_rebuild`` (the same loop as
``simulate``'s spoken turns): every attempt goes through the form checks, the source checks
(no source identifier, no placeholder; a source question about suicide or self-harm kept, a
client's risk cue asked about) and the critic's turn judgement, and is rewritten with the
reasons at most ``max_refines`` times. A counselor turn that still fails the safety protocol
is kept as a safe protocol reply (``safety_fallback``); a placeholder still in a kept turn
gets a stand-in (a surrogate of the source identifier, never the identifier itself).

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
from counselsim.agents.reconstructor import ReconstructorAgent
from counselsim.agents.scribe import ScribeAgent
from counselsim.config import derive_seed
from counselsim.critic.loop import Checked
from counselsim.critic.safety_floor import (
    DEFAULT_FLOOR,
    SAFETY_FALLBACK,
    SafetyFloor,
    Why,
    asks_about_risk,
    unanswered_cue,
)
from counselsim.critic.session_judge import CriticAgent
from counselsim.critic.turn_check import (
    PLACEHOLDER,
    RefineFlag,
    TurnChecker,
    fill_placeholders,
    rewrite_check,
)
from counselsim.graphs.course import RecordSink, session_record
from counselsim.graphs.state import Node
from counselsim.labels import EndReason, NextAction, Role
from counselsim.personas.models import ClientProfile
from counselsim.privacy import (
    EntityType,
    Leak,
    Masker,
    Span,
    SurrogateFactory,
    detect,
    find_leaks,
    resolve_overlaps,
)
from counselsim.records import (
    ClientTurn,
    ClientUtterance,
    CounselorTurn,
    CriticReport,
    Dialogue,
    DialogueTurn,
    Provenance,
    RebuiltCounselorTurn,
    SessionPlan,
    SessionSummary,
    Turn,
)


class Retriever(Protocol):
    """Finds a source dialogue: by id, or the one most similar to a profile."""

    def get(self, dialogue_id: str) -> Dialogue:
        """The dialogue with this id (unmasked, as in the corpus)."""

    def nearest(self, profile: ClientProfile, exclude: frozenset[str] = frozenset()) -> Dialogue:
        """The corpus dialogue most similar to what this client brings."""


class ReconstructState(TypedDict):
    """One reconstruction in progress."""

    course_id: str
    profile: ClientProfile
    source_id: str | None
    source_raw: Dialogue | None
    source: Dialogue | None
    leak_terms: list[tuple[str, str]]  # (identifier, type) the Mask step removed
    stand_ins: dict[str, str]  # placeholder -> a surrogate of what it replaced (no identifier)
    max_source_turns: int
    plan: SessionPlan | None
    turns: list[Turn]
    index: int
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
    floor: SafetyFloor = DEFAULT_FLOOR


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
        stand_ins={},
        max_source_turns=max_source_turns,
        plan=None,
        turns=[],
        index=0,
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


def stand_ins(masker: Masker, seed: int) -> dict[str, str]:
    """Per placeholder of ``masker``, a realistic surrogate of the identifier it replaced
    (what a kept turn says where a rewrite left the placeholder)."""
    factory = SurrogateFactory(seed)
    spans = [
        Span(start=0, end=len(original), type=masker.known[original], text=original)
        for original in masker.mapping
        if original in masker.known
    ]
    factory.reserve(spans)
    return {masker.mapping[s.text]: factory.surrogate(s) for s in spans}


def kept_turn(
    out: RebuiltCounselorTurn | ClientUtterance,
    index: int,
    text: str,
    flags: list[str],
    checked: Checked,
    last: bool,
) -> Turn:
    """The transcript turn for a kept rewrite (the counselor's last one closes)."""
    kept: dict[str, Any] = {
        "index": index,
        "text": text,
        "attempts": checked.attempts,
        "flags": flags,
        "checks": checked.checks,
    }
    if isinstance(out, ClientUtterance):
        return ClientTurn(emotion=out.emotion, **kept)
    return CounselorTurn(
        observation=out.observation,
        client_emotion=out.client_emotion,
        strategy=out.strategy,
        reasoning=out.reasoning,
        next_action=NextAction.CLOSE if last else NextAction.CONTINUE,
        **kept,
    )


def _protocol(
    role: Role, source: str, rebuilt: Sequence[Turn], lang: str
) -> Callable[[str], list[RefineFlag]]:
    """What a counselor rewrite of ``source`` fails of the safety protocol: a source question
    about suicide or self-harm must survive, and a client's risk cue must be asked about."""
    if role is not Role.COUNSELOR:
        return lambda text: []
    source_asks = asks_about_risk(source, [], lang)
    cue = unanswered_cue(rebuilt, lang) is not None

    def failed(text: str) -> list[RefineFlag]:
        if not (source_asks or cue) or asks_about_risk(text, rebuilt, lang):
            return []
        return [RefineFlag.RISK_KEPT if source_asks else RefineFlag.SAFETY]

    return failed


def route_after_rebuild(
    state: ReconstructState,
) -> Literal[Node.TURN_REBUILD, Node.SESSION_SUMMARIZE]:
    """The next source turn, or finish when the source is done."""
    assert state["source"] is not None
    if state["index"] < len(state["source"].turns):
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
        fakes = stand_ins(masker, seed(state, "stand_ins"))
        return {"source": masked, "source_raw": None, "leak_terms": terms, "stand_ins": fakes}

    async def counselor_plan(state: ReconstructState) -> dict[str, Any]:
        plan = await deps.counselor.plan(state["profile"], 1, 1, [], seed(state, "plan"))
        return {"plan": plan}

    async def turn_rebuild(state: ReconstructState) -> dict[str, Any]:
        assert state["source"] is not None
        src = state["source"].turns[state["index"]]
        terms, rebuilt = state["leak_terms"], state["turns"]
        lang = state["profile"].language.value
        judge = (
            deps.checker.judge(
                state["profile"], rebuilt, src.role, seed(state, state["index"], "check")
            )
            if deps.checker is not None
            else None
        )
        protocol = _protocol(src.role, src.text, rebuilt, lang)

        def leaks(text: str) -> bool:
            return bool(leaked_terms(text, terms))

        out, checked = await deps.rebuilder.rebuild(
            state["profile"],
            rebuilt,
            src,
            seed(state, state["index"], 0),
            checks=[rewrite_check(lang, leaks, judge, protocol)],
            max_rewrites=deps.max_refines,
        )
        text, flags = out.reply, checked.flags
        if isinstance(out, RebuiltCounselorTurn) and (failed := protocol(text)):
            why: Why = "source" if RefineFlag.RISK_KEPT in failed else "cue"
            fb = deps.floor.fallback(
                lang, seed(state, state["index"], "safety"), why, unanswered_cue(rebuilt, lang)
            )
            notes = {"observation": fb.observation, "reasoning": fb.reasoning}
            out = out.model_copy(update={**notes, "strategy": fb.strategy})
            text, flags = fb.reply.text, [SAFETY_FALLBACK]
        if RefineFlag.LEAK in flags:  # never keep a source identifier
            text = scrub(text, terms, seed(state, state["index"], "scrub"))
            flags = [*flags, RefineFlag.SCRUBBED.value]
        if PLACEHOLDER.search(text):  # nor a placeholder
            text = fill_placeholders(text, state["stand_ins"], lang)
            flags = [*flags, RefineFlag.FILLED.value]
        last = state["index"] == len(state["source"].turns) - 1
        turn = kept_turn(out, len(rebuilt), text, sorted(set(flags)), checked, last)
        return {"turns": [*rebuilt, turn], "index": state["index"] + 1}

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
        provenance = deps.provenance.model_copy(update={"source": f"{source.source}:{source.id}"})
        record = session_record(
            state["course_id"], state["profile"], 1, plan=plan, turns=state["turns"],
            end_reason=EndReason.SOURCE_END, summary=summary, critic=critic,
            provenance=provenance,
        )  # fmt: skip
        await asyncio.to_thread(deps.sink.write, record)
        return {"leak_terms": [], "stand_ins": {}}

    g: StateGraph[Any] = StateGraph(ReconstructState)
    g.add_node(Node.SOURCE_RETRIEVE, source_retrieve)
    g.add_node(Node.SOURCE_MASK, source_mask)
    g.add_node(Node.COUNSELOR_PLAN, counselor_plan)
    g.add_node(Node.TURN_REBUILD, turn_rebuild)
    g.add_node(Node.SESSION_SUMMARIZE, session_summarize)
    g.add_node(Node.CRITIC_SCORE, critic_score)
    g.add_node(Node.RECORD_WRITE, record_write)
    g.add_edge(START, Node.SOURCE_RETRIEVE)
    g.add_edge(Node.SOURCE_RETRIEVE, Node.SOURCE_MASK)
    g.add_edge(Node.SOURCE_MASK, Node.COUNSELOR_PLAN)
    g.add_edge(Node.COUNSELOR_PLAN, Node.TURN_REBUILD)
    g.add_conditional_edges(Node.TURN_REBUILD, route_after_rebuild)
    g.add_edge(Node.SESSION_SUMMARIZE, Node.CRITIC_SCORE)
    g.add_edge(Node.CRITIC_SCORE, Node.RECORD_WRITE)
    return g
