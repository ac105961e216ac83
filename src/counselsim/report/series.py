"""The data series the report plots: the client's emotion valence over a course, and the
shares of emotion and strategy labels per session, stage and position.

Definitions:

- **valence** of a client turn: the mean of :data:`VALENCE` over its emotion labels (a turn
  without labels has none and is left out of the means);
- **share** of a label in a group of turns: :func:`counselsim.metrics.measures.label_shares`
  (every labelled turn carries weight 1, split equally among its distinct labels, so the
  shares of a group sum to 1), as in ``metrics.json``;
- **position** of a counselor turn ``i`` of ``n`` in its session: opening, middle or closing
  third by ``floor(3 * (i + 0.5) / n)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from counselsim.labels import Emotion, Stage, Strategy
from counselsim.metrics.measures import label_shares
from counselsim.records import ClientTurn, CounselorTurn, SessionRecord
from counselsim.report.charts import ArcPoint, Bar

VALENCE: dict[Emotion, float] = {
    Emotion.HAPPINESS: 1.0,
    Emotion.NEUTRAL: 0.0,
    Emotion.OTHERS: 0.0,
    Emotion.ANXIETY: -0.5,
    Emotion.FEAR: -0.6,
    Emotion.ANGER: -0.6,
    Emotion.GUILTY: -0.7,
    Emotion.SHAME: -0.7,
    Emotion.SADNESS: -0.8,
    Emotion.DEPRESSION: -1.0,
}
"""Valence of each client emotion label on [-1, 1]: Happiness is the only positive label,
Neutral and the unspecific Others sit at 0, and the negative labels are ordered from the
activating, future-oriented ones (Anxiety, then Fear and Anger) through the self-conscious
ones (Guilty, Shame) to the low, withdrawn ones (Sadness, Depression). An ordinal reading
for plotting, not a validated scale."""

EMOTION_COLORS: dict[Emotion, str] = {
    Emotion.HAPPINESS: "#44AA99",
    Emotion.NEUTRAL: "#DDDDDD",
    Emotion.OTHERS: "#BBBBBB",
    Emotion.ANXIETY: "#DDCC77",
    Emotion.FEAR: "#999933",
    Emotion.ANGER: "#CC6677",
    Emotion.GUILTY: "#AA4499",
    Emotion.SHAME: "#882255",
    Emotion.SADNESS: "#88CCEE",
    Emotion.DEPRESSION: "#332288",
}
"""Emotion colours (Paul Tol's muted scheme), listed in :data:`VALENCE` order."""

STRATEGY_COLORS: dict[Strategy, str] = {
    Strategy.QUESTION: "#88CCEE",
    Strategy.RESTATEMENT: "#44AA99",
    Strategy.REFLECTION: "#117733",
    Strategy.SELF_DISCLOSURE: "#999933",
    Strategy.AFFIRMATION: "#DDCC77",
    Strategy.SUGGESTION: "#CC6677",
    Strategy.INFORMATION: "#882255",
    Strategy.ROLE_PLAY: "#AA4499",
    Strategy.OTHERS: "#BBBBBB",
}
"""Strategy colours: exploring (blue, green) through supporting (olive, sand) to directing
(rose, wine, purple); Others grey."""

THIRDS = ("opening", "middle", "closing")


def turn_valence(labels: Iterable[Emotion]) -> float | None:
    """The mean :data:`VALENCE` of a turn's distinct labels; None without labels."""
    distinct = list(dict.fromkeys(labels))
    return sum(VALENCE[e] for e in distinct) / len(distinct) if distinct else None


def _client_turns(rec: SessionRecord) -> list[ClientTurn]:
    return [t for t in rec.turns if isinstance(t, ClientTurn)]


def _counselor_turns(rec: SessionRecord) -> list[CounselorTurn]:
    return [t for t in rec.turns if isinstance(t, CounselorTurn)]


def emotion_arc(records: Sequence[SessionRecord]) -> list[tuple[int, list[ArcPoint]]]:
    """Per session index, per client-turn position in the session: the mean valence over
    the courses whose session has a labelled turn there, and how many those are."""
    by_session: dict[int, list[list[float | None]]] = defaultdict(list)
    for rec in records:
        by_session[rec.session_index].append([turn_valence(t.emotion) for t in _client_turns(rec)])
    arc: list[tuple[int, list[ArcPoint]]] = []
    for s in sorted(by_session):
        seqs = by_session[s]
        points = []
        for k in range(max(len(q) for q in seqs)):
            vals = [v for q in seqs if k < len(q) and (v := q[k]) is not None]
            points.append(ArcPoint(sum(vals) / len(vals) if vals else None, len(vals)))
        arc.append((s, points))
    return arc


def third(i: int, n: int) -> int:
    """0, 1 or 2: the opening, middle or closing third for turn ``i`` (0-based) of ``n``."""
    return min(2, int(3 * (i + 0.5) / n))


def _bars(groups: Mapping[str, Sequence[Sequence[str]]], categories: Iterable[str]) -> list[Bar]:
    """One bar per group of turns (given as their label lists): the label shares in
    ``categories`` order and the number of labelled turns."""
    cats = list(categories)
    bars = []
    for name, turns in groups.items():
        shares, n = label_shares(turns)
        bars.append(Bar(name, [shares.get(c, 0.0) for c in cats], n))
    return bars


def strategy_by_stage(records: Sequence[SessionRecord]) -> list[Bar]:
    """One bar per plan stage present (in :class:`Stage` order): strategy shares."""
    by_stage: dict[Stage, list[list[Strategy]]] = defaultdict(list)
    for rec in records:
        if rec.plan is not None:  # practice sessions (a trainee counseled) have no plan
            by_stage[rec.plan.stage] += [t.strategy for t in _counselor_turns(rec)]
    return _bars({s.value: by_stage[s] for s in Stage if s in by_stage}, STRATEGY_COLORS)


def strategy_by_third(records: Sequence[SessionRecord]) -> list[Bar]:
    """One bar per third of the session's counselor turns (opening, middle, closing)."""
    parts: list[list[list[Strategy]]] = [[], [], []]
    for rec in records:
        turns = _counselor_turns(rec)
        for i, t in enumerate(turns):
            parts[third(i, len(turns))].append(t.strategy)
    return _bars({n: p for n, p in zip(THIRDS, parts, strict=True) if p}, STRATEGY_COLORS)


def emotion_by_session(records: Sequence[SessionRecord]) -> list[Bar]:
    """One bar per session index: the emotion shares of its client turns over courses."""
    by_session: dict[int, list[list[Emotion]]] = defaultdict(list)
    for rec in records:
        by_session[rec.session_index] += [t.emotion for t in _client_turns(rec)]
    return _bars({f"S{s}": by_session[s] for s in sorted(by_session)}, EMOTION_COLORS)
