"""The evidence of finished sessions, as records carry it and runs report it.

:func:`with_evidence` puts on every kept turn what the detectors found on it and sums the
session up (:class:`~counselsim.records.EvidenceTally`); :func:`run_evidence` adds sessions
up for a run's summary: counts and rates per 100 turns, the role-confusion rates first
(:func:`merge_evidence` adds the summaries of a sharded run's parts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from counselsim.critic.evidence import EvidenceReport, detect_session
from counselsim.records import EvidenceTally, Turn

ROLE_CONFUSION = (
    "regreeting",
    "client_counseling",
    "wrong_role_address",
    "verbatim_copy",
    "ai_speech",
    "refusal",
)
"""Detectors that show a speaker leaving its role (generation regenerates on them)."""
MISSED_CRISIS = "missed_crisis"


def summarize(report: EvidenceReport) -> EvidenceTally:
    """A session's evidence in numbers."""
    return EvidenceTally(
        turns=report.turns,
        counts=report.counts,
        rates=report.rates,
        missed_crisis=[f.turn_indexes for f in report.findings if f.detector == MISSED_CRISIS],
    )


def with_evidence(turns: Sequence[Turn], lang: str) -> tuple[list[Turn], EvidenceTally]:
    """``turns`` (one session, in order) each with the evidence found on it, and the
    session's summary."""
    report = detect_session(turns, lang)
    kept = [t.model_copy(update={"evidence": report.on_turn(i)}) for i, t in enumerate(turns)]
    return kept, summarize(report)


class RunEvidence(BaseModel):
    """The evidence of a run's sessions added up.

    ``rates`` are per 100 turns of all sessions; ``role_confusion`` holds the rates of the
    :data:`ROLE_CONFUSION` detectors and ``role_confusion_total`` their sum;
    ``missed_crisis`` counts risk cues the counselor did not ask about.
    """

    model_config = ConfigDict(extra="forbid")

    sessions: int = Field(ge=0)
    turns: int = Field(ge=0)
    counts: dict[str, int]
    rates: dict[str, float]
    role_confusion: dict[str, float]
    role_confusion_total: float
    missed_crisis: int = Field(ge=0)


def _rate(count: int, turns: int) -> float:
    return round(100 * count / turns, 3) if turns else 0.0


def run_evidence(summaries: Iterable[EvidenceTally | None]) -> RunEvidence:
    """Sessions' evidence added up (sessions recorded without evidence are left out)."""
    known = [s for s in summaries if s is not None]
    return _added(len(known), sum(s.turns for s in known), [s.counts for s in known])


def merge_evidence(parts: Iterable[RunEvidence]) -> RunEvidence:
    """Runs' (or shards') evidence added up, the rates taken over all their turns."""
    parts = list(parts)
    return _added(
        sum(p.sessions for p in parts), sum(p.turns for p in parts), [p.counts for p in parts]
    )


def _added(sessions: int, turns: int, tallies: Iterable[dict[str, int]]) -> RunEvidence:
    counts: dict[str, int] = {}
    for tally in tallies:
        for name, n in tally.items():
            counts[name] = counts.get(name, 0) + n
    rates = {name: _rate(n, turns) for name, n in counts.items()}
    confusion = {name: rates.get(name, 0.0) for name in ROLE_CONFUSION}
    return RunEvidence(
        sessions=sessions,
        turns=turns,
        counts=counts,
        rates=rates,
        role_confusion=confusion,
        role_confusion_total=round(sum(confusion.values()), 3),
        missed_crisis=counts.get(MISSED_CRISIS, 0),
    )
