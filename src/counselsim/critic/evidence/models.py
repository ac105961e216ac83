"""Records of the evidence layer: detector specs (the YAML schema) and what detection returns."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from counselsim.labels import Role

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


class TurnLike(Protocol):
    """Anything with a speaker and a text: counselsim ``Turn``s, imported ``DialogueTurn``s,
    the critic's ``UnitTurn``s."""

    @property
    def role(self) -> Role: ...

    @property
    def text(self) -> str: ...


class Severity(StrEnum):
    """How much a detector's hit matters. ``info`` marks a signal, not a failure (a risk cue,
    an open question); the others are failures in rising order."""

    INFO = "info"
    MINOR = "minor"
    MAJOR = "major"
    SEVERE = "severe"


Patterns = dict[Lang, list[str]]


class DetectorSpec(BaseModel):
    """One detector as written in ``critic/evidence/detectors/*.yaml``.

    A pattern detector matches regexes sentence by sentence; ``requires`` must also match in
    the sentence (or the sentence and the next, ``requires_scope: window``) and no ``guard``
    may match in the sentence or clause around the hit. A ``function`` names a context check
    in :mod:`counselsim.critic.evidence.context`; given with patterns it filters their hits
    (a gate), alone it finds hits itself. ``level: session`` functions see the whole report.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    description: str = Field(min_length=4)
    roles: list[Role] = Field(min_length=1)
    severity: Severity
    level: Literal["turn", "session"] = "turn"
    patterns: Patterns | None = None
    role_patterns: dict[Role, Patterns] | None = None
    requires: Patterns | None = None
    requires_scope: Literal["sentence", "window"] = "sentence"
    guards: Patterns | None = None
    guard_scope: Literal["sentence", "clause"] = "sentence"
    function: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> DetectorSpec:
        if self.patterns is not None and self.role_patterns is not None:
            raise ValueError("give patterns or role_patterns, not both")
        has_patterns = self.patterns is not None or self.role_patterns is not None
        if not has_patterns and self.function is None:
            raise ValueError("a detector needs patterns, role_patterns or a function")
        if self.level == "session" and (has_patterns or self.function is None):
            raise ValueError("a session-level detector is a function without patterns")
        if not has_patterns and (self.requires or self.guards):
            raise ValueError("requires and guards apply to patterns only")
        if self.role_patterns is not None and set(self.role_patterns) != set(self.roles):
            raise ValueError("role_patterns must give patterns for exactly the detector's roles")
        # what a detector matches must exist in both languages; requires and guards may not
        for table in [self.patterns, *(self.role_patterns or {}).values()]:
            _check_table(table, needs_all_langs=True)
        for table in (self.requires, self.guards):
            _check_table(table, needs_all_langs=False)
        return self


def _check_table(table: Patterns | None, needs_all_langs: bool) -> None:
    """Every regex compiles; pattern tables cover both languages."""
    if table is None:
        return
    missing = [lang for lang in LANGS if lang not in table]
    if needs_all_langs and missing:
        raise ValueError(f"no patterns for language(s) {', '.join(missing)}")
    for lang, regexes in table.items():
        for rx in regexes:
            try:
                re.compile(rx)
            except re.error as exc:
                raise ValueError(f"bad regex for {lang} {rx!r}: {exc}") from None


class Evidence(BaseModel):
    """One detector hit: which detector, on which turn, which span of the turn's text."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    detector: str
    turn_index: int = Field(ge=0)
    role: Role
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text_span: str
    severity: Severity


class Finding(Evidence):
    """A derived finding that spans turns (e.g. ``missed_crisis``). ``turn_index``, ``role``
    and the span point at the turn that triggered it (the client's cue); ``turn_indexes`` are
    all the turns it rests on (the cue and the counselor turns that missed it)."""

    turn_indexes: list[int] = Field(min_length=1)


class EvidenceReport(BaseModel):
    """Everything the detectors found in one transcript.

    ``counts`` holds, for every detector of the catalog, the number of turns it fired on
    (a turn counts once however many spans it has) or, for session-level detectors, the
    number of findings; ``rates`` are the same per 100 turns of the transcript.
    """

    model_config = ConfigDict(extra="forbid")

    language: Lang
    turns: int = Field(ge=0)
    turns_by_role: dict[Role, int]
    evidence: list[Evidence]
    findings: list[Finding]
    counts: dict[str, int]
    rates: dict[str, float]

    def on_turn(self, index: int) -> list[Evidence]:
        """The evidence of one turn, in detection order."""
        return [e for e in self.evidence if e.turn_index == index]

    def fired(self, detector: str) -> list[int]:
        """Indexes of the turns (or cue turns, for findings) a detector fired on, ascending."""
        hits: list[Evidence] = [*self.evidence, *self.findings]
        return sorted({e.turn_index for e in hits if e.detector == detector})
