"""The NER/dictionary layer: names, addresses, schools and organisations, zh and en.

Offline only: jieba's POS tags and faker's name lists (see :mod:`..lexicon`) combined with
rules. Each detector is a ``text -> list[Span]`` function like the recognizers', so they mix
freely in a detector tuple; overlaps are resolved by :func:`..spans.resolve_overlaps`.

- :mod:`.zh_names` (with :mod:`.zh_name_shapes`), :mod:`.zh_places`, :mod:`.zh_orgs` on
  jieba tokens (:mod:`.zh_tokens`);
- :mod:`.en_names` and :mod:`.en_places` (addresses, schools, organisations) on cues,
  capitalisation and dictionaries.
"""

from __future__ import annotations

from counselsim.privacy.ner.en_names import find_en_names
from counselsim.privacy.ner.en_places import find_en_addresses, find_en_institutions
from counselsim.privacy.ner.zh_names import find_zh_names
from counselsim.privacy.ner.zh_orgs import find_zh_employers, find_zh_institutions
from counselsim.privacy.ner.zh_places import find_zh_addresses
from counselsim.privacy.spans import Detector, EntityType, Span


def find_names(text: str) -> list[Span]:
    """Person names in Chinese and English (see :func:`find_zh_names`, :func:`find_en_names`)."""
    return find_zh_names(text) + find_en_names(text)


def find_addresses(text: str) -> list[Span]:
    """Addresses finer than a city, Chinese and English."""
    return find_zh_addresses(text) + find_en_addresses(text)


def find_schools(text: str) -> list[Span]:
    """Schools, Chinese and English."""
    spans = find_zh_institutions(text) + find_en_institutions(text)
    return [s for s in spans if s.type is EntityType.SCHOOL]


def find_orgs(text: str) -> list[Span]:
    """Employers and other organisations, Chinese and English."""
    spans = find_zh_institutions(text) + find_zh_employers(text) + find_en_institutions(text)
    return [s for s in spans if s.type is EntityType.ORG]


NER_DETECTORS: tuple[Detector, ...] = (
    find_zh_names,
    find_zh_addresses,
    find_zh_institutions,
    find_zh_employers,
    find_en_names,
    find_en_addresses,
    find_en_institutions,
)

__all__ = [
    "NER_DETECTORS",
    "find_addresses",
    "find_en_addresses",
    "find_en_institutions",
    "find_en_names",
    "find_names",
    "find_orgs",
    "find_schools",
    "find_zh_addresses",
    "find_zh_employers",
    "find_zh_institutions",
    "find_zh_names",
]
