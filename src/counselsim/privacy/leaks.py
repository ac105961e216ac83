"""Leak check: which identifiers of a source text are still in its masked version.

:func:`find_leaks` detects identifiers in the source (every layer by default), adds any
originals the caller knows, and looks for each in the output both literally and in a
formatting-insensitive form (phone and card digits with other spacing, plates without the
dot, e-mails in another case, names with spaces between Chinese characters). A leak is
reported by label, position in the source and a short hash: never the identifier itself.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from counselsim.privacy.core import DETECTORS, detect
from counselsim.privacy.spans import CJK_RE, Detector, EntityType, Span, canonical

_DIGIT_RUN_RE = re.compile(r"[+(（]?\d[\d\s\-–.()（）·]*[\dXx]|\d")
_SPACE_RE = re.compile(r"\s+")


@dataclass(frozen=True)
class Leak:
    """One identifier of the source still present in the output.

    Attributes:
        label: The identifier's type (e.g. ``PHONE``).
        start: Offset of its first occurrence in the source text.
        end: End offset of that occurrence.
        digest: First 10 hex digits of the sha256 of its canonical form (to tell leaks
            apart or match them across runs without showing them).
        how: ``"exact"`` when found verbatim, ``"canonical"`` when only a reformatted
            version was found.
    """

    label: str
    start: int
    end: int
    digest: str
    how: str


def fingerprint(label: str, original: str) -> str:
    """A short, stable hash of an identifier (its canonical form) for reports."""
    key = f"{label}|{canonical(label, original)}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def _probe(source: str, span: Span) -> str:
    """What to look for: a one-character surname only together with its title (王老师)."""
    if len(span.text) < 2 and span.text.strip() and CJK_RE.match(span.text):
        return source[span.start : span.end + 2].rstrip()
    return span.text


def _latin_bounded(needle: str) -> re.Pattern[str]:
    head = r"(?<![A-Za-z0-9])" if needle[:1].isalnum() else ""
    tail = r"(?![A-Za-z0-9])" if needle[-1:].isalnum() else ""
    return re.compile(head + re.escape(needle) + tail)


class _Output:
    """The output text plus its normalised views, computed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lower = text.lower()
        self.no_space = _SPACE_RE.sub("", text)
        self.one_space = _SPACE_RE.sub(" ", text)
        self.digit_runs = [
            re.sub(r"[^0-9X]", "", m.group().upper()) for m in _DIGIT_RUN_RE.finditer(text)
        ]
        self.plates = re.sub(r"[·•・\s\-]", "", text)

    def exact(self, needle: str) -> bool:
        if CJK_RE.search(needle) or not needle.isascii():
            return needle in self.text
        return bool(_latin_bounded(needle).search(self.text))

    def canonical(self, etype: str, original: str, probe: str) -> bool:
        if etype in (EntityType.PHONE, EntityType.BANK_CARD, EntityType.ID_NUMBER):
            key = canonical(etype, original)
            return len(key) >= 5 and any(key in run for run in self.digit_runs)
        if etype == EntityType.LICENSE_PLATE:
            return canonical(etype, original) in self.plates
        if etype in (EntityType.EMAIL, EntityType.URL):
            return original.lower() in self.lower
        if CJK_RE.search(probe):
            return _SPACE_RE.sub("", probe) in self.no_space
        return bool(_latin_bounded(_SPACE_RE.sub(" ", probe)).search(self.one_space))


def find_leaks(
    source_text: str,
    output_text: str,
    *,
    originals: Iterable[Span] = (),
    detectors: Sequence[Detector] = DETECTORS,
) -> list[Leak]:
    """Identifiers of ``source_text`` that are still present in ``output_text``.

    Args:
        source_text: The original text.
        output_text: Its masked version.
        originals: Known identifiers of the source (e.g. the entities a masker reported,
            with their text), checked in addition to what the detectors find.
        detectors: Detectors to run on the source; every layer by default.

    Returns:
        One :class:`Leak` per distinct identifier (canonical form), at its first
        occurrence in the source, ordered by position.
    """
    out = _Output(output_text)
    leaks: dict[tuple[str, str], Leak] = {}
    candidates = sorted([*detect(source_text, detectors), *originals], key=lambda s: s.start)
    for span in candidates:
        if not span.text.strip():
            continue
        label = span.type.value
        key = (label, canonical(label, span.text))
        if key in leaks:
            continue
        probe = _probe(source_text, span)
        how = None
        if out.exact(probe):
            how = "exact"
        elif out.canonical(label, span.text, probe):
            how = "canonical"
        if how is not None:
            digest = fingerprint(label, span.text)
            leaks[key] = Leak(label=label, start=span.start, end=span.end, digest=digest, how=how)
    return sorted(leaks.values(), key=lambda leak: leak.start)
