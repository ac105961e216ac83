"""What a judge scores: a session or an imported dialogue, in one shape.

A unit carries the spoken turns with their labels (strategies on counselor turns, emotions
on client turns) and, when known, the client's profile (client-perspective rubrics answer as
that client) and the notes of earlier sessions (a before-session self-report reads them).
Never the counselor's plan or reasoning: a judge scores what was said.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from counselsim.agents.views import SPEAKER
from counselsim.labels import Role
from counselsim.personas.models import ClientProfile
from counselsim.records import ClientTurn, Dialogue, SessionRecord, Turn


@dataclass(frozen=True)
class UnitTurn:
    """One spoken turn with its labels and its index in the session (what a judge cites it
    by; None: its position in the transcript it is shown in)."""

    role: Role
    text: str
    labels: tuple[str, ...] = ()
    index: int | None = None


def unit_turns(turns: Iterable[Turn]) -> tuple[UnitTurn, ...]:
    """A session's turns as a judge sees them: the words, with strategies on counselor turns
    and emotions on client turns, never the counselor's reasoning."""
    return tuple(
        UnitTurn(
            t.role,
            t.text,
            tuple(e.value for e in t.emotion)
            if isinstance(t, ClientTurn)
            else tuple(s.value for s in t.strategy),
            i,
        )
        for i, t in enumerate(turns)
    )


@dataclass(frozen=True)
class ScoreUnit:
    """One session or dialogue to judge."""

    id: str
    language: str
    turns: tuple[UnitTurn, ...]
    profile: ClientProfile | None = None
    profile_id: str | None = None
    course_id: str | None = None
    session_index: int | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        # every turn knows its index, so a window of the transcript is numbered as the whole
        if any(t.index is None for t in self.turns):
            indexed = tuple(replace(t, index=i) for i, t in enumerate(self.turns))
            object.__setattr__(self, "turns", indexed)

    @property
    def pair_key(self) -> str:
        """What a comparison matches on: the same persona's same session in two runs, else
        the same dialogue id."""
        if self.session_index is not None:
            return f"{self.profile_id}#{self.session_index}"
        return self.id

    def target_indices(self, role: Role) -> list[int]:
        """Positions of ``role``'s turns."""
        return [i for i, t in enumerate(self.turns) if t.role is role]


def units_from_records(
    records: Iterable[SessionRecord], profiles: dict[str, ClientProfile] | None = None
) -> list[ScoreUnit]:
    """One unit per session record; earlier sessions' summaries become its notes."""
    recs = sorted(records, key=lambda r: (r.course_id, r.session_index))
    summaries: dict[str, list[str]] = {}
    units = []
    for r in recs:
        turns = unit_turns(r.turns)
        earlier = summaries.setdefault(r.course_id, [])
        units.append(
            ScoreUnit(
                id=f"{r.course_id}#{r.session_index}",
                language=r.language,
                turns=turns,
                profile=(profiles or {}).get(r.profile_id),
                profile_id=r.profile_id,
                course_id=r.course_id,
                session_index=r.session_index,
                notes=tuple(earlier),
            )
        )
        earlier.append(r.summary)
    return units


def units_from_dialogues(dialogues: Iterable[Dialogue]) -> list[ScoreUnit]:
    """One unit per imported dialogue (labels kept as the source gave them)."""
    return [
        ScoreUnit(
            id=d.id,
            language=d.language,
            turns=tuple(
                UnitTurn(t.role, t.text, tuple(t.labels), i) for i, t in enumerate(d.turns)
            ),
        )
        for d in dialogues
    ]


def unit_text(turns: Sequence[UnitTurn], lang: str, labelled: bool, mark: int | None = None) -> str:
    """A transcript, one ``[Tn] Speaker [labels]: text`` line per turn (``n``: the turn's
    index, which a rationale cites); ``mark`` prefixes the turn being judged with ``>>>``."""
    names = SPEAKER[lang]
    lines = []
    for i, t in enumerate(turns):
        tag = f" [{', '.join(t.labels)}]" if labelled and t.labels else ""
        n = i if t.index is None else t.index
        lines.append(f"{'>>> ' if i == mark else ''}[T{n}] {names[t.role]}{tag}: {t.text}")
    return "\n".join(lines)
