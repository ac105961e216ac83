"""Structured identifiers as data: each kind is a :class:`Recognizer` record in
``recognizers.yaml`` (pattern, cue words, validator names, label), run by one engine.

A candidate is what ``pattern`` matches (its ``id`` group when it has one). It counts

- on its own when the ``alone`` validator accepts it (``always``, ``never`` or a name in
  :data:`.validators.VALIDATORS`: a checksum, a phone-number check, a real date);
- after a cue when one of ``cues`` ends within ``gap`` before it (or one of ``cues_after``
  follows it) and the ``cued`` validator accepts it. A cue may vouch for what no checksum
  would (a mistyped ID after 身份证号, a card number that fails Luhn after 卡号) or for what
  has no checksum at all (passport, medical-record, policy and clinic numbers);
- with ``chain``, a later candidate in the same sentence as a cued one counts as if cued
  (护照号是E1234567，我妈妈的是E7654321).

Cues are case-insensitive (``(?-i:ID)`` where case matters) and are tried in every text
whatever its language; the zh/en keys only document them. Nothing here logs text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from counselsim.privacy import checks, dates, handles  # noqa: F401  (register validators)
from counselsim.privacy.spans import Detector, EntityType, Span, make_span
from counselsim.privacy.validators import VALIDATORS, Validator

# Between a cue and its identifier: a few characters, no digit, no sentence end.
DEFAULT_GAP = r"(?:[^\d\n。！？!?；;.]|\.(?=\S)){0,16}"
_SENTENCE_END = re.compile(r"[。！？!?\n]|\.(?:\s|$)")
_ASCII_BOUNDS = (r"(?<![0-9A-Za-z])", r"(?![0-9A-Za-z])")

Lang = Literal["zh", "en"]


class Recognizer(BaseModel):
    """One kind of structured identifier, as written in ``recognizers.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: EntityType
    doc: str = Field(min_length=1)
    pattern: str
    bounded: bool = True  # wrap the pattern in ASCII letter/digit lookarounds
    ignore_case: bool = False
    alone: str = "always"
    cued: str | None = None
    cues: dict[Lang, list[str]] = Field(default_factory=dict)
    cues_after: dict[Lang, list[str]] = Field(default_factory=dict)
    gap: str = DEFAULT_GAP
    window: int = Field(default=48, ge=1)  # how far back a cue may start
    chain: bool = False


@dataclass(frozen=True)
class Compiled:
    """A :class:`Recognizer` ready to run."""

    spec: Recognizer
    token: re.Pattern[str]
    alone: Validator | None
    cued: Validator | None
    cue_before: re.Pattern[str] | None
    cue_after: re.Pattern[str] | None

    def find(self, text: str) -> list[Span]:
        """Every accepted candidate of this kind in ``text``."""
        spans: list[Span] = []
        chain_cue: re.Match[str] | None = None
        chain_end = -1
        for m in self.token.finditer(text):
            kept = self.alone(m, None) if self.alone is not None else None
            if kept is None and self.cued is not None:
                cue = self._cue(text, m)
                if cue is None and m.start() < chain_end:
                    cue = chain_cue
                kept = self.cued(m, cue) if cue is not None else None
                if kept is not None and self.spec.chain:
                    chain_cue, chain_end = cue, _sentence_end(text, kept[1])
            if kept is not None:
                spans.append(make_span(text, *kept, self.spec.label))
        return spans

    def _cue(self, text: str, m: re.Match[str]) -> re.Match[str] | None:
        if self.cue_before is not None:
            cue = self.cue_before.search(text, max(0, m.start() - self.spec.window), m.start())
            if cue is not None:
                return cue
        if self.cue_after is not None:
            return self.cue_after.match(text, m.end())
        return None


def _sentence_end(text: str, pos: int) -> int:
    m = _SENTENCE_END.search(text, pos)
    return m.start() if m else len(text)


def _alternatives(cues: dict[Lang, list[str]]) -> str:
    parts = []
    for cue in (c for lang in ("zh", "en") for c in cues.get(lang, [])):
        head = r"(?<![A-Za-z])" if cue[:1].isascii() and cue[:1].isalpha() else ""
        parts.append(head + cue)
    return "|".join(f"(?:{p})" for p in parts)


def _validator(name: str | None, recognizer: str) -> Validator | None:
    if name is None or name == "never":
        return None
    if name not in VALIDATORS:
        raise ValueError(f"recognizer {recognizer!r}: unknown validator {name!r}")
    return VALIDATORS[name]


def compile_recognizer(spec: Recognizer) -> Compiled:
    """Compile one record (its validators must be registered).

    Raises:
        ValueError: An unknown validator name.
        re.error: A bad pattern or cue.
    """
    pattern = spec.pattern
    if spec.bounded:
        pattern = _ASCII_BOUNDS[0] + f"(?:{pattern})" + _ASCII_BOUNDS[1]
    before = _alternatives(spec.cues)
    after = _alternatives(spec.cues_after)
    return Compiled(
        spec=spec,
        token=re.compile(pattern, re.IGNORECASE if spec.ignore_case else 0),
        alone=_validator(spec.alone, spec.name),
        cued=_validator(spec.cued, spec.name),
        cue_before=re.compile(f"(?:{before})(?:{spec.gap})$", re.IGNORECASE) if before else None,
        cue_after=re.compile(f"(?:{after})", re.IGNORECASE) if after else None,
    )


def load_recognizers(text: str) -> tuple[Compiled, ...]:
    """Parse and compile a ``recognizers.yaml`` document.

    ``defs`` holds named regex fragments used as ``<<NAME>>`` in patterns and cues; a
    pattern written over several lines is joined with each line stripped.
    """
    doc = yaml.safe_load(text)
    defs: dict[str, str] = {k: _join(v) for k, v in (doc.get("defs") or {}).items()}

    def expand(value: str) -> str:
        value = _join(value)
        for key, frag in defs.items():
            value = value.replace(f"<<{key}>>", frag)
        return value

    out = []
    for raw in doc["recognizers"]:
        raw = dict(raw)
        for key in ("pattern", "gap"):
            if key in raw:
                raw[key] = expand(raw[key])
        for key in ("cues", "cues_after"):
            if key in raw:
                raw[key] = {lang: [expand(c) for c in cs] for lang, cs in raw[key].items()}
        out.append(compile_recognizer(Recognizer.model_validate(raw)))
    return tuple(out)


def _join(value: str) -> str:
    return "".join(line.strip() for line in str(value).splitlines())


@cache
def recognizers() -> tuple[Compiled, ...]:
    """The packaged recognizers (``recognizers.yaml``), compiled once."""
    text = resources.files("counselsim.privacy").joinpath("recognizers.yaml").read_text("utf-8")
    return load_recognizers(text)


def recognizer(name: str) -> Compiled:
    """One packaged recognizer by name (e.g. for its pattern)."""
    for r in recognizers():
        if r.spec.name == name:
            return r
    raise KeyError(name)


def finder(*labels: EntityType, names: tuple[str, ...] = ()) -> Detector:
    """A detector for the recognizers of some labels (or some names)."""
    wanted = frozenset(labels)

    def find(text: str) -> list[Span]:
        return [
            s
            for r in recognizers()
            if r.spec.label in wanted or r.spec.name in names
            for s in r.find(text)
        ]

    return find


find_phones = finder(EntityType.PHONE)
find_emails = finder(EntityType.EMAIL)
find_urls = finder(EntityType.URL)
find_id_numbers = finder(EntityType.ID_NUMBER)
find_ssns = finder(names=("ssn", "ssn_plain"))
find_bank_cards = finder(EntityType.BANK_CARD)
find_license_plates = finder(EntityType.LICENSE_PLATE)
find_dates = finder(EntityType.DATE)
find_handles = finder(EntityType.HANDLE)

RULE_DETECTORS: tuple[Detector, ...] = (
    find_id_numbers,
    find_bank_cards,
    find_emails,
    find_urls,
    find_phones,
    find_license_plates,
    find_dates,
    find_handles,
)
