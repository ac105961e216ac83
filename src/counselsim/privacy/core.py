"""Every layer together: :data:`DETECTORS`, :func:`detect`, :func:`mask` and :class:`Masker`.

Two modes: placeholders (``[NAME_1]``, numbered per type and consistent within a record) and
realistic surrogates (:class:`.surrogate.SurrogateFactory`). Either way the result's spans
give offsets and labels in the *original* text. Nothing here logs text or identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal

from counselsim.privacy.ner import NER_DETECTORS
from counselsim.privacy.recognizers import RULE_DETECTORS
from counselsim.privacy.spans import (
    CJK_RE,
    PLACEHOLDER_RE,
    Detector,
    EntityType,
    MaskResult,
    Span,
    apply_placeholders,
    resolve_overlaps,
    run_detectors,
    substitute,
)
from counselsim.privacy.surrogate import SurrogateFactory

if TYPE_CHECKING:
    from counselsim.privacy.llm import ChatLLM

DETECTORS: tuple[Detector, ...] = (*RULE_DETECTORS, *NER_DETECTORS)

_WORD_RE = re.compile(r"[A-Za-z]+")


def detect_language(texts: str | Iterable[str]) -> Literal["zh", "en"]:
    """'zh' when the text (or texts) has at least as many Chinese characters as Latin words
    (the CJK share of the text's words), else 'en'."""
    text = texts if isinstance(texts, str) else "\n".join(texts)
    cjk = len(CJK_RE.findall(text))
    return "zh" if cjk and cjk >= len(_WORD_RE.findall(text)) else "en"


def detect(text: str, detectors: Sequence[Detector] = DETECTORS) -> list[Span]:
    """Run every detector (rules, NER and dictionaries by default) and resolve overlaps.

    Args:
        text: Text to scan.
        detectors: Detector functions to run; defaults to :data:`DETECTORS`.

    Returns:
        Non-overlapping spans ordered by start.
    """
    return run_detectors(text, detectors)


def propagate(text: str, spans: Sequence[Span], known: Mapping[str, EntityType]) -> list[Span]:
    """``spans`` plus every other occurrence of a string already known as an identifier.

    A detector may find 王芳 in one sentence and miss it in the next (jieba segments the
    two differently); once found, an identifier is masked wherever it occurs in the record.
    Strings shorter than two characters are not spread (a surname masked in 王老师 is not
    masked everywhere), and Latin strings only match as whole words.

    Args:
        text: The text.
        spans: Its resolved detections.
        known: Original string -> type, from this text and earlier texts of the record.

    Returns:
        Non-overlapping spans ordered by start.
    """
    found = {s.text: s.type for s in spans}
    found.update((k, v) for k, v in known.items() if k not in found)
    extra: list[Span] = []
    taken = [(s.start, s.end) for s in spans]
    for original, etype in sorted(found.items(), key=lambda kv: -len(kv[0])):
        if len(original) < 2 or not original.strip():
            continue
        head = r"(?<![A-Za-z0-9])" if original[0].isascii() and original[0].isalnum() else ""
        tail = r"(?![A-Za-z0-9])" if original[-1].isascii() and original[-1].isalnum() else ""
        for m in re.finditer(head + re.escape(original) + tail, text):
            start, end = m.span()
            if all(end <= a or start >= b for a, b in taken):
                extra.append(Span(start=start, end=end, type=etype, text=original))
                taken.append((start, end))
    return sorted([*spans, *extra], key=lambda s: s.start)


def _types_of(mapping: Mapping[str, str]) -> dict[str, EntityType]:
    out: dict[str, EntityType] = {}
    for original, placeholder in mapping.items():
        pm = PLACEHOLDER_RE.fullmatch(placeholder)
        if pm and pm["type"] in EntityType.__members__:
            out[original] = EntityType(pm["type"])
    return out


def mask(
    text: str,
    mapping: dict[str, str] | None = None,
    *,
    detectors: Sequence[Detector] = DETECTORS,
) -> MaskResult:
    """Replace every detected identifier with a per-record placeholder such as ``[NAME_1]``.

    Args:
        text: One text of a record (a profile field, a dialogue turn, ...).
        mapping: The ``mapping`` of an earlier call for the same record; its
            placeholders are reused and numbering continues after them. Not modified.
        detectors: Detector functions to run; defaults to :data:`DETECTORS`.

    Returns:
        The masked text, the kept spans (original offsets) and the updated mapping.
    """
    spans = propagate(text, detect(text, detectors), _types_of(mapping or {}))
    return apply_placeholders(text, spans, mapping)


def locate(text: str, found: Sequence[Span], taken: Sequence[Span]) -> list[Span]:
    """Every occurrence in ``text`` of each ``found`` string that overlaps no ``taken``
    span (used to map strings found in a pre-masked text back to the original)."""
    out: list[Span] = []
    occupied = [(s.start, s.end) for s in taken]
    for f in found:
        for m in re.finditer(re.escape(f.text), text):
            start, end = m.span()
            if all(end <= a or start >= b for a, b in occupied):
                out.append(Span(start=start, end=end, type=f.type, text=f.text))
                occupied.append((start, end))
    return out


class Masker:
    """Masks every text of one record (or one course) consistently.

    One instance per record or course: the same identifier gets the same replacement in
    every text passed to it, and placeholder numbering continues across calls.

    Args:
        detectors: Detector functions to run; defaults to :data:`DETECTORS`.
        surrogates: Replace identifiers with realistic fakes instead of placeholders.
        seed: Seed of the surrogates (same seed, same surrogates).

    Attributes:
        mapping: Original string -> replacement, for everything masked so far. It holds
            real identifiers: keep it in memory, never write or log it.
    """

    def __init__(
        self,
        *,
        detectors: Sequence[Detector] = DETECTORS,
        surrogates: bool = False,
        seed: int = 0,
    ) -> None:
        self.detectors = detectors
        self.surrogates = surrogates
        self.seed = seed
        self.mapping: dict[str, str] = {}
        self.known: dict[str, EntityType] = {}  # original -> type, for propagate()
        self._factory = SurrogateFactory(seed) if surrogates else None

    def __call__(self, text: str, language: str | None = None) -> MaskResult:
        """Mask one text of the record; ``language`` ("zh"/"en") is accepted for symmetry
        with :meth:`amask` (the detectors handle both languages in any text)."""
        return self.apply(text, propagate(text, detect(text, self.detectors), self.known))

    async def amask(self, text: str, llm: ChatLLM, language: str | None = None) -> MaskResult:
        """Mask one text with the detectors and then an LLM pass for what they missed.

        The model sees the text with the detected identifiers already replaced by
        placeholders; what it reports is accepted only where it occurs literally in the
        original text outside the spans already found.

        Args:
            text: One text of the record.
            llm: An :class:`~counselsim.llm.structured.LLM` or an agent's ``AgentDeps``.
            language: "zh" or "en"; detected from the text when omitted.

        Returns:
            The masked text and all spans (original offsets), as from :meth:`__call__`.
        """
        from counselsim.privacy.llm import llm_spans

        spans = propagate(text, detect(text, self.detectors), self.known)
        premasked = apply_placeholders(text, spans).text
        lang = language if language in ("zh", "en") else detect_language(text)
        found = await llm_spans(llm, premasked, lang)
        extra = locate(text, found, spans)
        return self.apply(text, resolve_overlaps([*spans, *extra]))

    def apply(self, text: str, spans: Sequence[Span]) -> MaskResult:
        """Replace the given (non-overlapping) spans of ``text`` in this Masker's mode."""
        self.known.update((s.text, s.type) for s in spans if s.text not in self.known)
        if self._factory is None:
            result = apply_placeholders(text, spans, self.mapping)
            self.mapping = result.mapping
            return result
        ordered = sorted(spans, key=lambda s: s.start)
        self._factory.reserve(ordered)
        replacements: dict[str, str] = {}
        for s in ordered:
            replacements[s.text] = self._factory.surrogate(s)
        self.mapping.update(replacements)
        return MaskResult(
            text=substitute(text, ordered, replacements),
            spans=ordered,
            mapping=dict(self.mapping),
        )
