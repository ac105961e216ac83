"""From the sessions, scores and comparisons of a stress test to its report (pure functions).

See :mod:`counselsim.stress.results` for what each figure means and
:mod:`counselsim.stress.failures` for the failure modes.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from counselsim.critic.rubric import Rubric
from counselsim.personas.models import ClientProfile
from counselsim.records import Comparison, RubricScore, SessionRecord
from counselsim.stats import Estimate, Match, bootstrap_mean, paired_difference, wilson, win_rates
from counselsim.stress.failures import MODES, SEVERE, Hit, SessionFailures, session_failures
from counselsim.stress.personas import is_crisis
from counselsim.stress.results import (
    CounselorResult,
    Example,
    FailureStat,
    ItemScore,
    ModeInfo,
    PairResult,
    PersonaResult,
    RubricResult,
)

EXAMPLES = 3
QUOTE_CHARS = 300


@dataclass
class CounselorData:
    """What one counselor left in its run directory, and how its courses went."""

    name: str
    kind: str
    model: str
    records: list[SessionRecord]
    scores: dict[str, RubricScore] = field(default_factory=dict)
    done: int = 0
    failed: int = 0
    causes: dict[str, int] = field(default_factory=dict)
    stopped: str | None = None


def unit_id(record: SessionRecord) -> str:
    """The session's id, the same for every counselor: ``course_id#session_index``."""
    return f"{record.course_id}#{record.session_index}"


def mode_infos() -> list[ModeInfo]:
    """The modes as the report defines them."""
    return [
        ModeInfo(
            name=s.mode.value,
            description=s.description,
            severe=s.severe,
            failure=s.failure,
            detectors=list(s.detectors),
            flags=list(s.flags),
            over=s.over.value,
        )
        for s in MODES
    ]


def _wilson(k: int, n: int) -> tuple[float | None, float | None, float | None]:
    est = wilson(min(k, n), n)
    return (None, None, None) if est is None else (est.value, est.ci_low, est.ci_high)


def _weights(s: SessionFailures) -> dict[int, int]:
    """How bad each turn is: 3 per severe mode on it, 1 per other failure."""
    out: dict[int, int] = defaultdict(int)
    for h in s.hits:
        out[h.turn_index] += 3 if h.mode in SEVERE else 1
    return out


def _example(s: SessionFailures, h: Hit) -> Example:
    return Example(
        course_id=s.record.course_id,
        session_index=s.record.session_index,
        turn_index=h.turn_index,
        persona=s.record.profile_id,
        text=h.text[:QUOTE_CHARS],
        span=h.span[:QUOTE_CHARS],
        cue=h.cue,
    )


def failure_stats(sessions: Sequence[SessionFailures]) -> dict[str, FailureStat]:
    """Every mode's counts, rates with Wilson intervals, and worst turns quoted."""
    weights = [_weights(s) for s in sessions]
    out = {}
    for spec in MODES:
        hits = [(w[h.turn_index], s, h) for s, w in zip(sessions, weights, strict=True)
                for h in s.of(spec.mode)]  # fmt: skip
        with_mode = sum(1 for s in sessions if s.of(spec.mode))
        turns = sum(s.turns_over(spec.over) for s in sessions)
        rate, low, high = _wilson(with_mode, len(sessions))
        t_rate, t_low, t_high = _wilson(len(hits), turns)
        worst = sorted(hits, key=lambda x: (-x[0], unit_id(x[1].record), x[2].turn_index))
        out[spec.mode.value] = FailureStat(
            count=len(hits),
            sessions_with=with_mode,
            sessions=len(sessions),
            rate=rate,
            ci_low=low,
            ci_high=high,
            turns=turns,
            turn_rate=t_rate,
            turn_ci_low=t_low,
            turn_ci_high=t_high,
            examples=[_example(s, h) for _, s, h in worst[:EXAMPLES]],
        )
    return out


def severe_share(sessions: Sequence[SessionFailures]) -> Estimate | None:
    """The share of sessions with any severe failure, with its Wilson interval."""
    return wilson(sum(s.severe for s in sessions), len(sessions))


def overall(rubric: Rubric, score: RubricScore) -> float | None:
    """A session's rubric items on 0..1, averaged (None when it has none)."""
    dims = {d.name: d for d in rubric.dimensions}
    parts = [
        (st.mean - dims[k].min) / (dims[k].max - dims[k].min)
        for k, st in score.items.items()
        if k in dims and dims[k].max > dims[k].min
    ]
    return statistics.fmean(parts) if parts and score.status != "failed" else None


def judge_own(score: RubricScore) -> dict[str, float]:
    """Per item the judge's own value before the evidence bounds, folded as ``items`` folds
    the bounded ones: per repeat the mean over its judgements, then the mean over repeats."""
    per: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for j in score.judgements:
        if j.status == "scored":
            for key, value in j.values(bounded=False).items():
                per[key][j.repeat].append(value)
    return {
        key: statistics.fmean(statistics.fmean(vs) for vs in repeats.values())
        for key, repeats in per.items()
    }


def _bounded(score: RubricScore, item: str) -> bool:
    return any(j.bounds.get(item) for j in score.judgements)


def rubric_result(rubric: Rubric, scores: Sequence[RubricScore], seed: int = 0) -> RubricResult:
    """Per item the mean over sessions with a bootstrap CI, the judge's own mean before the
    evidence bounds, and the judge's spread."""
    ok = [s for s in scores if s.status != "failed"]
    own = [judge_own(s) for s in ok]
    items = []
    for d in rubric.dimensions:
        stats = [s.items[d.name] for s in ok if d.name in s.items]
        est = bootstrap_mean([st.mean for st in stats], seed=seed)
        if est is None:
            continue
        judged = [o[d.name] for s, o in zip(ok, own, strict=True) if d.name in s.items]
        items.append(
            ItemScore(
                item=d.name,
                min=d.min,
                max=d.max,
                mean=est.value,
                ci_low=est.ci_low,
                ci_high=est.ci_high,
                n=est.n,
                judge_sd=statistics.fmean(st.sd for st in stats),
                judge_mean=statistics.fmean(judged),
                bounded=sum(_bounded(s, d.name) for s in ok if d.name in s.items),
            )
        )
    values = [v for s in ok if (v := overall(rubric, s)) is not None]
    return RubricResult(
        rubric=rubric.name,
        scored=len(ok),
        failed=len(scores) - len(ok),
        overall=bootstrap_mean(values, seed=seed),
        items=items,
    )


def counselor_result(
    data: CounselorData, rubric: Rubric, profiles: Mapping[str, ClientProfile], seed: int = 0
) -> CounselorResult:
    """One counselor's figures, overall and per persona (``rank`` set by :func:`rank`)."""
    sessions = [session_failures(r) for r in data.records]
    scores = [sc for r in data.records if (sc := data.scores.get(unit_id(r))) is not None]
    personas = []
    for pid in sorted({r.profile_id for r in data.records}):
        mine = [s for s in sessions if s.record.profile_id == pid]
        own = [sc for s in mine if (sc := data.scores.get(unit_id(s.record))) is not None]
        profile = profiles.get(pid)
        personas.append(
            PersonaResult(
                persona=pid,
                crisis=profile is not None and is_crisis(profile),
                sessions=len(mine),
                severe=severe_share(mine),
                failures=failure_stats(mine),
                rubric=rubric_result(rubric, own, seed),
            )
        )
    return CounselorResult(
        name=data.name,
        rank=1,
        kind=data.kind,
        model=data.model,
        courses_done=data.done,
        courses_failed=data.failed,
        failure_causes=data.causes,
        stopped=data.stopped,
        sessions=len(sessions),
        turns=sum(len(r.turns) for r in data.records),
        severe=severe_share(sessions),
        failures=failure_stats(sessions),
        rubric=rubric_result(rubric, scores, seed),
        personas=personas,
    )


def rank(results: Sequence[CounselorResult]) -> list[CounselorResult]:
    """Best first: the fewest sessions with a severe failure, then the highest rubric
    overall, then the name; ``rank`` numbered from 1. A counselor without sessions is last."""

    def key(r: CounselorResult) -> tuple[float, float, str]:
        severe = r.severe.value if r.severe is not None else 2.0
        score = r.rubric.overall.value if r.rubric.overall is not None else -1.0
        return severe, -score, r.name

    ordered = sorted(results, key=key)
    return [r.model_copy(update={"rank": i}) for i, r in enumerate(ordered, 1)]


def matches(a: str, b: str, comparisons: Sequence[Comparison]) -> list[Match]:
    """One match per scored judgement: the winner is the side that won more items."""
    out = []
    for c in comparisons:
        unit = c.unit_a.split("/", 1)[-1]
        for j in c.judgements:
            if j.status != "scored":
                continue
            wins_a = sum(w == "a" for w in j.winners.values())
            wins_b = sum(w == "b" for w in j.winners.values())
            winner = a if wins_a > wins_b else b if wins_b > wins_a else None
            out.append(Match(unit=unit, a=a, b=b, winner=winner))
    return out


def _mean(values: Sequence[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return round(statistics.fmean(got), 4) if got else None


def pair_result(
    a: CounselorData,
    b: CounselorData,
    comparisons: Sequence[Comparison],
    rubric: Rubric,
    seed: int = 0,
) -> tuple[PairResult, list[Match]]:
    """``a`` against ``b``: win rate, the judge's position figures, the paired rubric
    difference."""
    ok = [c for c in comparisons if c.status != "failed"]
    found = matches(a.name, b.name, ok)
    rates = win_rates(found, seed=seed) if found else []
    win = next((w if w.a == a.name else w.flipped() for w in rates), None)
    pa = {u: v for u, s in a.scores.items() if (v := overall(rubric, s)) is not None}
    pb = {u: v for u, s in b.scores.items() if (v := overall(rubric, s)) is not None}
    both = sorted(pa.keys() & pb.keys())
    diff = paired_difference([pa[u] for u in both], [pb[u] for u in both], seed=seed)
    result = PairResult(
        a=a.name,
        b=b.name,
        compared=len(ok),
        failed=len(comparisons) - len(ok),
        win=win,
        position_consistency=_mean([c.position_consistency for c in ok]),
        first_position_rate=_mean([c.first_position_rate for c in ok]),
        rubric_difference=diff,
    )
    return result, found
