"""The detectors that need context, as small named functions.

A detector spec names one of these by ``function`` and sets its ``params`` (validated by the
function's own params model, unknown fields rejected). Turn functions see the turn in its
transcript and the hits of this turn's pattern detectors; given patterns of its own, a
function receives their hits and acts as a gate. Session functions see every turn's evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from counselsim.critic.evidence.models import Evidence, Lang
from counselsim.critic.evidence.text import Piece, jaccard, normalise, trigrams, units
from counselsim.labels import Role

Found = Mapping[str, list[Piece]]
_EDGE = " \t\n,，、:：;；。！？!?.…\"“”'’（）()"


@dataclass
class Transcript:
    """The turns known so far, with per-turn caches: the pattern hits (``scan`` runs once per
    turn, and only when asked) and the trigram sets copy and repeat checks compare."""

    roles: list[Role]
    texts: list[str]
    scan: Callable[[int], Found]
    _found: dict[int, Found] = field(default_factory=dict)
    _grams: dict[int, frozenset[str]] = field(default_factory=dict)

    def found(self, index: int) -> Found:
        """The pattern detectors' hits on turn ``index``."""
        if index not in self._found:
            self._found[index] = self.scan(index)
        return self._found[index]

    def grams(self, index: int) -> frozenset[str]:
        """Trigrams of turn ``index``'s normalised text."""
        if index not in self._grams:
            self._grams[index] = _trigrams_of(self.texts[index])
        return self._grams[index]


@lru_cache(maxsize=8192)
def _trigrams_of(text: str) -> frozenset[str]:
    """A turn's trigram set, once per text (turns are compared again with each later one)."""
    return trigrams(normalise(text))


@dataclass(frozen=True)
class TurnContext:
    """One turn in its transcript: ``index`` into ``transcript``; earlier turns are history."""

    index: int
    lang: Lang
    transcript: Transcript
    found: Found

    @property
    def text(self) -> str:
        """This turn's text."""
        return self.transcript.texts[self.index]

    @property
    def role(self) -> Role:
        """Who speaks this turn."""
        return self.transcript.roles[self.index]

    def earlier(self, role: Role, lookback: int | None = None) -> Iterator[int]:
        """Indexes of earlier turns by ``role``, most recent first (within ``lookback`` turns),
        lazily: most callers stop at the first."""
        first = 0 if lookback is None else max(0, self.index - lookback)
        roles = self.transcript.roles
        return (j for j in range(self.index - 1, first - 1, -1) if roles[j] is role)

    def whole(self) -> list[Piece]:
        """The whole turn as one hit."""
        return [Piece(0, len(self.text), self.text)]


class Params(BaseModel):
    """A function's params; ``refs`` names the detectors they point at (checked on load)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    def refs(self) -> list[str]:
        """Detector ids these params name."""
        return []


class NoParams(Params):
    """For functions without settings."""


class PrematureParams(Params):
    """``source``: the detector whose hits become premature; ``explored_by``: the detectors
    that, on any earlier turn of the same speaker, make them no longer premature; ``unless``:
    detectors that, on this turn, make the advice something else (a crisis referral)."""

    source: str
    explored_by: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)

    def refs(self) -> list[str]:
        return [self.source, *self.explored_by, *self.unless]


def _clause_defaults() -> dict[Lang, int]:
    return {"zh": 10, "en": 7}


class CopyParams(Params):
    """A copy is a turn whose trigram Jaccard similarity with the other speaker's previous
    turn reaches ``min_similarity`` (that turn having ``min_chars`` normalised characters),
    or one holding a stretch of it of ``min_clause_units`` (CJK characters or words) verbatim."""

    min_similarity: float = Field(default=0.5, gt=0, le=1)
    min_chars: int = Field(default=8, ge=1)
    min_clause_units: dict[Lang, int] = Field(default_factory=_clause_defaults)


class RepeatParams(Params):
    """A repeat is a turn whose similarity with one of the speaker's own turns in the last
    ``lookback`` turns reaches ``min_similarity``; turns under ``min_chars`` are exempt."""

    min_similarity: float = Field(default=0.7, gt=0, le=1)
    lookback: int = Field(default=24, ge=1)
    min_chars: int = Field(default=6, ge=1)


class MissedParams(Params):
    """A ``cue`` on a turn not followed by an ``answer`` within the next ``window`` turns of
    the ``answerer``."""

    cue: str
    answer: str
    answerer: Role = Role.COUNSELOR
    window: int = Field(default=2, ge=1)

    def refs(self) -> list[str]:
        return [self.cue, self.answer]


TurnFn = Callable[[TurnContext, list[Piece], Any], list[Piece]]
SessionFn = Callable[
    [Sequence[Role], Sequence[list[Evidence]], Any], list[tuple[Evidence, list[int]]]
]


def mid_session(ctx: TurnContext, hits: list[Piece], p: NoParams) -> list[Piece]:
    """Gate: keep the hits only when the speaker has already spoken in this session."""
    return hits if hits and next(ctx.earlier(ctx.role), None) is not None else []


def premature(ctx: TurnContext, hits: list[Piece], p: PrematureParams) -> list[Piece]:
    """The ``source`` hits of this turn, when no earlier turn of the speaker explored."""
    src = ctx.found.get(p.source, [])
    if not src or any(ctx.found.get(u) for u in p.unless):
        return []
    explored = set(p.explored_by)
    for j in ctx.earlier(ctx.role):
        if explored & set(ctx.transcript.found(j)):
            return []
    return src


def verbatim_copy(ctx: TurnContext, hits: list[Piece], p: CopyParams) -> list[Piece]:
    """The turn copies the other speaker's previous turn, or a long clause of it."""
    other_role = Role.CLIENT if ctx.role is Role.COUNSELOR else Role.COUNSELOR
    j = next(ctx.earlier(other_role), None)
    if j is None:
        return []
    tr = ctx.transcript
    if len(normalise(tr.texts[j])) >= p.min_chars and (
        jaccard(tr.grams(ctx.index), tr.grams(j)) >= p.min_similarity
    ):
        return ctx.whole()
    # the longest stretch said word for word (case aside), wherever its clauses begin
    start, size = _longest_match(ctx.text.lower(), tr.texts[j].lower())
    core = ctx.text[start : start + size].strip(_EDGE)
    if units(core) < p.min_clause_units.get(ctx.lang, 10):
        return []
    at = ctx.text.find(core, start)
    return [Piece(at, at + len(core), core)]


@lru_cache(maxsize=4096)
def _longest_match(mine: str, theirs: str) -> tuple[int, int]:
    """Where the longest stretch of ``mine`` found in ``theirs`` starts, and its length
    (a turn is compared when it is written and again when its session is recorded)."""
    m = SequenceMatcher(None, mine, theirs, autojunk=False).find_longest_match()
    return m.a, m.size


def repetition(ctx: TurnContext, hits: list[Piece], p: RepeatParams) -> list[Piece]:
    """The turn (nearly) repeats one of the speaker's own recent turns."""
    if len(normalise(ctx.text)) < p.min_chars:
        return []
    mine = ctx.transcript.grams(ctx.index)
    for j in ctx.earlier(ctx.role, p.lookback):
        if jaccard(mine, ctx.transcript.grams(j)) >= p.min_similarity:
            return ctx.whole()
    return []


def empty_reply(ctx: TurnContext, hits: list[Piece], p: NoParams) -> list[Piece]:
    """The turn has no word at all (empty, blank, punctuation only)."""
    return [] if normalise(ctx.text) else ctx.whole()


def missed(
    roles: Sequence[Role], per_turn: Sequence[list[Evidence]], p: MissedParams
) -> list[tuple[Evidence, list[int]]]:
    """Each cue whose next ``window`` answerer turns hold no answer. A cue with no answerer
    turn after it at all (the transcript ends there) is not counted: nobody missed it yet."""
    out: list[tuple[Evidence, list[int]]] = []
    for i, found in enumerate(per_turn):
        cue = next((e for e in found if e.detector == p.cue), None)
        if cue is None:
            continue
        after = [j for j in range(i + 1, len(roles)) if roles[j] is p.answerer][: p.window]
        answered = any(e.detector == p.answer for j in after for e in per_turn[j])
        if after and not answered:
            out.append((cue, [i, *after]))
    return out


@dataclass(frozen=True)
class Function:
    """A registered function: what it is called with and at which level."""

    fn: TurnFn | SessionFn
    params: type[Params]
    level: Literal["turn", "session"]


FUNCTIONS: dict[str, Function] = {
    "mid_session": Function(mid_session, NoParams, "turn"),
    "premature": Function(premature, PrematureParams, "turn"),
    "verbatim_copy": Function(verbatim_copy, CopyParams, "turn"),
    "repetition": Function(repetition, RepeatParams, "turn"),
    "empty_reply": Function(empty_reply, NoParams, "turn"),
    "missed": Function(missed, MissedParams, "session"),
}
"""Function name (as written in a detector's ``function``) -> the function."""
