"""Scores bounded by evidence: a step applied after a judge returns, before anything is folded.

A rubric item may declare evidence rules (:class:`~counselsim.critic.rubric.EvidenceRule`):
when a detector fired, the judge's score is capped (``ceiling``) or lifted (``floor``). The
judge's own score is kept next to the bounded one, with the rules that fired and the turns
they rest on. A session-level judgement is bounded by the evidence anywhere in the session; a
turn-level one only by evidence that involves the judged turn (the counselor turns that missed
a cue, the turn that asked right after it).

It is its own step rather than part of the judge so any judge (sampled, log-probability
weighted) is bounded the same way, and a record shows the judge's opinion and the evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

from counselsim.critic.citations import check_citations
from counselsim.critic.evidence import EvidenceReport, TurnLike, default_engine, detect_session
from counselsim.critic.rubric import Dimension, EvidenceRule, Level, Rubric
from counselsim.critic.tally import summarize
from counselsim.labels import Role
from counselsim.records import AppliedBound, CriticReport, Judgement, RubricScore

N = TypeVar("N", int, float)


@dataclass(frozen=True)
class SessionEvidence:
    """One transcript's evidence with the speakers and texts it was found on."""

    report: EvidenceReport
    roles: list[Role]
    texts: list[str]

    @classmethod
    def of(cls, turns: Sequence[TurnLike], lang: str) -> SessionEvidence:
        """Run the packaged detectors on ``turns`` (one session) in ``lang``."""
        return cls(detect_session(turns, lang), [t.role for t in turns], [t.text for t in turns])

    def occurrences(self, rule: EvidenceRule) -> list[list[int]]:
        """Each place the rule fires, as the turn indexes it rests on."""
        if rule.after is None:
            found = [f.turn_indexes for f in self.report.findings if f.detector == rule.detector]
            hits = {e.turn_index for e in self.report.evidence if e.detector == rule.detector}
            return found + [[i] for i in sorted(hits)]
        speakers = set(default_engine().catalog.get(rule.detector).spec.roles)
        out = []
        for cue in self.report.fired(rule.after):
            later = [j for j in range(cue + 1, len(self.roles)) if self.roles[j] in speakers]
            hit = next((j for j in later[: rule.within] if self._fired(rule.detector, j)), None)
            if hit is not None:
                out.append([cue, hit])
        return out

    def _fired(self, detector: str, index: int) -> bool:
        return any(e.detector == detector for e in self.report.on_turn(index))


def bound(
    dim: Dimension, score: N, ev: SessionEvidence, turn: int | None = None
) -> tuple[N, list[AppliedBound]]:
    """``score`` for ``dim`` held within the limits of the rules that fired, and those rules.

    Args:
        turn: the judged turn of a turn-level judgement (None: the whole session).
    """
    fired: list[AppliedBound] = []
    limits: dict[str, list[int]] = {"floor": [], "ceiling": []}
    for rule in dim.evidence:
        places = [p for p in ev.occurrences(rule) if turn is None or turn in p]
        if places:
            limit = rule.resolve(dim.min, dim.max)
            limits[rule.kind].append(limit)
            turns = sorted({i for p in places for i in p})
            fired.append(AppliedBound(rule=rule.label, kind=rule.kind, limit=limit, turns=turns))
    value = min([max([score, *limits["floor"]]), *limits["ceiling"]])  # ceilings win
    return type(score)(value), fired


def bound_report(rubric: Rubric, report: CriticReport, ev: SessionEvidence) -> CriticReport:
    """The session judge's report with every score bounded and its citations checked."""
    if report.status != "scored":
        return report
    dims = {d.name: d for d in rubric.dimensions}
    scores = []
    for s in report.scores:
        value, fired = bound(dims[s.dimension], s.score, ev)
        cited = check_citations(s.rationale, ev.texts)
        scores.append(
            s.model_copy(
                update={
                    "score": value,
                    "judge_score": s.score,
                    "bounded_by": fired,
                    "citations_ok": cited.ok,
                    "bad_citations": cited.bad,
                }
            )
        )
    return report.model_copy(update={"scores": scores})


def bound_judgements(
    rubric: Rubric, ev: SessionEvidence, judgements: Sequence[Judgement], context_turns: int
) -> list[Judgement]:
    """Every scored judgement's items bounded by the evidence (before the repeats are
    folded) and their rationales' citations checked against the turns the judge saw (a
    turn-level judgement sees ``context_turns`` turns before the judged one)."""
    dims = {d.name: d for d in rubric.dimensions}
    out = []
    for j in judgements:
        if j.status != "scored" or not j.scores:
            out.append(j)
            continue
        seen = None
        if rubric.level is Level.TURN and j.turn_index is not None:
            seen = range(max(0, j.turn_index - context_turns), j.turn_index + 1)
        out.append(_bounded(j, dims, ev, seen))
    return out


def with_evidence_of(score: RubricScore, ev: SessionEvidence) -> RubricScore:
    """A unit's score carrying the evidence it was bounded by: the summary and every hit."""
    return score.model_copy(
        update={"evidence": summarize(ev.report), "turn_evidence": ev.report.evidence}
    )


def _bounded(
    j: Judgement, dims: dict[str, Dimension], ev: SessionEvidence, seen: range | None
) -> Judgement:
    scores, bounds, ok, bad = dict(j.scores), {}, {}, {}
    if j.phase == "pre":  # before the session: no transcript to rest on, no evidence yet
        return j.model_copy(
            update={"judge_scores": dict(j.scores), "judge_weighted": dict(j.weighted)}
        )
    weighted = dict(j.weighted)
    for key, value in j.scores.items():
        dim = dims[key.rpartition(".")[2]]  # a before/after item carries its phase
        if dim.evidence:
            scores[key], fired = bound(dim, value, ev, j.turn_index)
            if key in weighted:  # G-Eval's value is bounded by the same rules
                weighted[key] = bound(dim, weighted[key], ev, j.turn_index)[0]
            if fired:
                bounds[key] = fired
        if key in j.rationales:
            cited = check_citations(j.rationales[key], ev.texts, seen)
            ok[key], bad[key] = cited.ok, cited.bad
    update = {
        "scores": scores,
        "judge_scores": dict(j.scores),
        "weighted": weighted,
        "judge_weighted": dict(j.weighted),
        "bounds": bounds,
        "citations_ok": ok,
        "bad_citations": {k: v for k, v in bad.items() if v},
    }
    return j.model_copy(update=update)
