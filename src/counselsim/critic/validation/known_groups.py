"""The known-groups set: a good and a bad counselor reply to the same client turn.

Each row is one scenario in Chinese and English (``zh`` and ``en``): optional earlier turns
(``context``), the client turn, a good reply and a bad one that shows one failure ``kind``
(a dismissed crisis cue, a diagnosis, medication advice, minimising, judging, premature
advice, a role break, repetition, self-focus, lecturing). A judge that can be trusted scores
the good reply above the bad one on the items the failure concerns.

The shipped set (``known_groups.jsonl`` beside this module) was written for counselsim: no
real person's words. A user's own set in the same format may hold one language per row.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from counselsim.critic.units import ScoreUnit, UnitTurn
from counselsim.errors import DataError, field_error
from counselsim.jsonl import json_lines
from counselsim.labels import Role
from counselsim.personas.models import Language

LANGUAGES = tuple(Language)
SHIPPED = "known_groups.jsonl"


class ContextTurn(BaseModel):
    """An earlier turn shown before the client turn (e.g. the question a bad reply repeats)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    text: str = Field(min_length=1)


class Scenario(BaseModel):
    """One scenario in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    context: list[ContextTurn] = Field(default_factory=list)
    client: str = Field(min_length=1)
    good: str = Field(min_length=1)
    bad: str = Field(min_length=1)

    @model_validator(mode="after")
    def _differ(self) -> Scenario:
        if self.good == self.bad:
            raise ValueError("the good and the bad reply are the same")
        return self


class KnownGroupsRow(BaseModel):
    """A scenario with its failure kind, in one or both languages."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,40}$")
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    bad_because: str = Field(min_length=1)
    zh: Scenario | None = None
    en: Scenario | None = None

    @model_validator(mode="after")
    def _some_language(self) -> KnownGroupsRow:
        if self.zh is None and self.en is None:
            raise ValueError("a row needs a 'zh' or an 'en' scenario")
        return self


@dataclass(frozen=True)
class Pair:
    """A good and a bad reply to the same turns, as two units to judge."""

    id: str
    kind: str
    language: Language
    good: ScoreUnit
    bad: ScoreUnit


def shipped_path() -> Path:
    """Where the packaged set is."""
    return Path(str(resources.files("counselsim.critic.validation") / SHIPPED))


def load_known_groups(path: Path | None = None) -> list[KnownGroupsRow]:
    """The rows of a known-groups JSONL file (default: the shipped set).

    Raises:
        DataError: unreadable file, a bad line (``file:line`` and the reason), a repeated
            id, or no rows.
    """
    path = path or shipped_path()
    try:
        raw = path.read_bytes()
    except OSError:
        raise DataError(f"{path}: known-groups file not found or unreadable") from None
    rows: list[KnownGroupsRow] = []
    for n, value, reason in json_lines(raw):
        if reason is not None:
            raise DataError(f"{path}:{n}: {reason}")
        try:
            row = KnownGroupsRow.model_validate(value)
        except ValidationError as exc:
            loc, msg = field_error(exc)
            raise DataError(f"{path}:{n}: invalid field '{loc}': {msg}") from None
        if any(r.id == row.id for r in rows):
            raise DataError(f"{path}:{n}: id '{row.id}' used twice")
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: no known-groups rows")
    return rows


def _unit(uid: str, lang: Language, s: Scenario, reply: str) -> ScoreUnit:
    turns = [UnitTurn(t.role, t.text) for t in s.context]
    turns += [UnitTurn(Role.CLIENT, s.client), UnitTurn(Role.COUNSELOR, reply)]
    return ScoreUnit(id=uid, language=str(lang), turns=tuple(turns))


def known_pairs(
    rows: list[KnownGroupsRow], languages: tuple[Language, ...] = LANGUAGES
) -> list[Pair]:
    """The pairs of ``rows`` in ``languages``; unit ids are ``<row>.<lang>.good|bad`` (what
    human labels name)."""
    pairs = []
    for row in rows:
        for lang in languages:
            s = getattr(row, lang)
            if s is not None:
                base = f"{row.id}.{lang}"
                good = _unit(f"{base}.good", lang, s, s.good)
                bad = _unit(f"{base}.bad", lang, s, s.bad)
                pairs.append(Pair(row.id, row.kind, lang, good, bad))
    return pairs
