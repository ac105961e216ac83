"""Spans and placeholders: the types every layer of the Mask step shares.

A detector is a plain function ``text -> list[Span]``. :func:`resolve_overlaps` keeps a
non-overlapping subset (the longest span wins; on a tie the more specific type wins);
:func:`apply_placeholders` substitutes placeholders such as ``[PHONE_1]``, numbered per type
in order of first appearance and stable within one record: the same identifier gets the
same placeholder everywhere, and passing the previous ``mapping`` back in keeps the
numbering consistent across several texts (e.g. all turns of one dialogue).

Nothing here logs text or identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class EntityType(StrEnum):
    """Kinds of identifiers the Mask step masks; the value names the placeholder."""

    PHONE = "PHONE"
    EMAIL = "EMAIL"
    ID_NUMBER = "ID_NUMBER"  # resident IDs, SSNs, passports, medical-record and policy numbers
    BANK_CARD = "BANK_CARD"  # payment cards and bank accounts (IBAN)
    URL = "URL"
    HANDLE = "HANDLE"
    LICENSE_PLATE = "LICENSE_PLATE"
    DATE = "DATE"
    NAME = "NAME"  # people, incl. nicknames (小王, 老张) and the name part of 王老师 / Dr. Smith
    ADDRESS = "ADDRESS"  # places finer than a city: districts, streets, numbers, compounds
    SCHOOL = "SCHOOL"
    ORG = "ORG"  # employers and other organisations


class Span(BaseModel):
    """One detection in the original text: ``text == original[start:end]``."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    type: EntityType
    text: str


class MaskResult(BaseModel):
    """The outcome of masking one text.

    Attributes:
        text: The masked text.
        spans: The detections kept after overlap resolution, in the original text's
            offsets, ordered by start.
        mapping: Original string -> placeholder, including any entries passed in.
    """

    text: str
    spans: list[Span]
    mapping: dict[str, str]


Detector = Callable[[str], list[Span]]

# Chinese characters (CJK unified ideographs, extension A, compatibility ideographs).
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
# A placeholder such as ``[PHONE_1]`` (search with it to find placeholders inside a text).
PLACEHOLDER_RE = re.compile(r"\[(?P<type>[A-Z_]+)_(?P<n>\d+)\]")

# Lower rank = more specific; breaks ties between equally long overlapping spans.
_SPECIFICITY: dict[EntityType, int] = {
    t: i
    for i, t in enumerate(
        (
            EntityType.ID_NUMBER,
            EntityType.BANK_CARD,
            EntityType.EMAIL,
            EntityType.URL,
            EntityType.PHONE,
            EntityType.LICENSE_PLATE,
            EntityType.DATE,
            EntityType.HANDLE,
            EntityType.ADDRESS,
            EntityType.SCHOOL,
            EntityType.ORG,
            EntityType.NAME,
        )
    )
}


def make_span(text: str, start: int, end: int, etype: EntityType) -> Span:
    """The span ``text[start:end]`` labelled ``etype``."""
    return Span(start=start, end=end, type=etype, text=text[start:end])


def words(text: str) -> list[str]:
    """The whitespace-separated words of a (multi-line) word list."""
    return text.split()


def digits_of(s: str) -> str:
    """The ASCII digits of ``s``, in order."""
    return "".join(ch for ch in s if ch.isdigit())


def resolve_overlaps(spans: Iterable[Span]) -> list[Span]:
    """Keep a non-overlapping subset: longest first, then the more specific type.

    Args:
        spans: Detections, possibly overlapping or duplicated.

    Returns:
        The kept spans ordered by start.
    """

    def rank(s: Span) -> tuple[int, int, int]:
        return (s.start - s.end, _SPECIFICITY.get(s.type, len(_SPECIFICITY)), s.start)

    kept: list[Span] = []
    for s in sorted(spans, key=rank):
        if s.end > s.start and all(s.end <= k.start or s.start >= k.end for k in kept):
            kept.append(s)
    return sorted(kept, key=lambda s: s.start)


def run_detectors(text: str, detectors: Sequence[Detector]) -> list[Span]:
    """Run every detector on ``text`` and resolve overlaps.

    Args:
        text: Text to scan.
        detectors: Detector functions to run.

    Returns:
        Non-overlapping spans ordered by start.
    """
    return resolve_overlaps(s for find in detectors for s in find(text))


def canonical(etype: str, original: str) -> str:
    """A formatting-insensitive key, so ``138 1234 5678`` and ``13812345678`` match."""
    if etype in (EntityType.PHONE, EntityType.BANK_CARD, EntityType.ID_NUMBER):
        compact = re.sub(r"[^0-9A-Za-z]", "", original).upper()
        if etype != EntityType.PHONE and not compact[:-1].isdigit():
            return compact  # a passport, record or IBAN number: its letters matter
        key = digits_of(original) + ("X" if original[-1:] in "xX" else "")
        if etype == EntityType.PHONE and len(key) == 13 and key.startswith("86"):
            key = key[2:]
        elif etype == EntityType.PHONE and len(key) == 15 and key.startswith("0086"):
            key = key[4:]
        return key
    if etype == EntityType.LICENSE_PLATE:
        return re.sub(r"[·•・\s-]", "", original)
    return original.lower() if etype in (EntityType.EMAIL, EntityType.URL) else original


def apply_placeholders(
    text: str, spans: Sequence[Span], mapping: dict[str, str] | None = None
) -> MaskResult:
    """Replace resolved ``spans`` of ``text`` with per-record placeholders.

    Args:
        text: The original text.
        spans: Non-overlapping detections in ``text``.
        mapping: The ``mapping`` of an earlier call for the same record; its
            placeholders are reused and numbering continues after them. Not modified.

    Returns:
        The masked text, the spans (original offsets, ordered by start) and the updated
        mapping.
    """
    spans = sorted(spans, key=lambda s: s.start)
    result_map = dict(mapping or {})
    counters: dict[str, int] = {}
    by_key: dict[tuple[str, str], str] = {}
    for original, placeholder in result_map.items():
        pm = PLACEHOLDER_RE.fullmatch(placeholder)
        if pm:
            etype, n = pm["type"], int(pm["n"])
            counters[etype] = max(counters.get(etype, 0), n)
            by_key.setdefault((etype, canonical(etype, original)), placeholder)

    for s in spans:  # left to right: numbering follows first appearance
        if s.text in result_map:
            continue
        key = (s.type.value, canonical(s.type, s.text))
        found = by_key.get(key)
        if found is None:
            counters[key[0]] = counters.get(key[0], 0) + 1
            found = by_key[key] = f"[{key[0]}_{counters[key[0]]}]"
        result_map[s.text] = found
    return MaskResult(text=substitute(text, spans, result_map), spans=spans, mapping=result_map)


def substitute(text: str, spans: Sequence[Span], replacements: dict[str, str]) -> str:
    """``text`` with each span replaced by ``replacements[span.text]`` (spans sorted by start,
    non-overlapping)."""
    out = text
    for s in reversed(spans):  # right to left keeps earlier offsets valid
        out = out[: s.start] + replacements[s.text] + out[s.end :]
    return out
