"""Privacy: find identifiers in a text and replace them, consistently per record.

Layers, each a set of ``text -> list[Span]`` detectors combined in :data:`DETECTORS`:

- :mod:`.recognizers`: structured identifiers as data (``recognizers.yaml``: pattern, cue
  words, validator, label) checked by :mod:`.checks` (``python-stdnum`` checksums,
  ``phonenumbers``), :mod:`.dates` and :mod:`.handles`: phones, e-mails, ID, passport and
  record numbers, cards and IBANs, URLs, accounts, licence plates, dates;
- :mod:`.ner`: names, addresses, schools and organisations (jieba POS tags, faker name
  lists, rules), offline;
- :mod:`.llm`: an optional LLM pass for what the others missed (:meth:`Masker.amask`,
  ``counselsim mask --llm``, ``profiles import --llm-mask``).

:class:`Masker` replaces identifiers with placeholders (``[NAME_1]``) or realistic
surrogates (:mod:`.surrogate`); :func:`find_leaks` checks a masked text against its source;
:mod:`.batch` runs JSONL files for the ``counselsim mask`` and ``leaks`` commands.

Nothing in this package logs text or identifiers.
"""

from counselsim.privacy.checks import id_check_char, luhn_valid, ssn_valid
from counselsim.privacy.core import DETECTORS, Masker, detect, detect_language, locate, mask
from counselsim.privacy.fakes import luhn_check_digit
from counselsim.privacy.leaks import Leak, find_leaks, fingerprint
from counselsim.privacy.llm import (
    DetectedIdentifier,
    DetectedIdentifiers,
    accept,
    is_protected,
    llm_spans,
)
from counselsim.privacy.ner import (
    NER_DETECTORS,
    find_addresses,
    find_en_addresses,
    find_en_institutions,
    find_en_names,
    find_names,
    find_orgs,
    find_schools,
    find_zh_addresses,
    find_zh_employers,
    find_zh_institutions,
    find_zh_names,
)
from counselsim.privacy.recognizers import (
    RULE_DETECTORS,
    find_bank_cards,
    find_dates,
    find_emails,
    find_handles,
    find_id_numbers,
    find_license_plates,
    find_phones,
    find_ssns,
    find_urls,
)
from counselsim.privacy.spans import (
    PLACEHOLDER_RE,
    Detector,
    EntityType,
    MaskResult,
    Span,
    apply_placeholders,
    canonical,
    resolve_overlaps,
    substitute,
)
from counselsim.privacy.surrogate import SurrogateFactory

__all__ = [
    "DETECTORS",
    "NER_DETECTORS",
    "PLACEHOLDER_RE",
    "RULE_DETECTORS",
    "DetectedIdentifier",
    "DetectedIdentifiers",
    "Detector",
    "EntityType",
    "Leak",
    "MaskResult",
    "Masker",
    "Span",
    "SurrogateFactory",
    "accept",
    "apply_placeholders",
    "canonical",
    "detect",
    "detect_language",
    "find_addresses",
    "find_bank_cards",
    "find_dates",
    "find_emails",
    "find_en_addresses",
    "find_en_institutions",
    "find_en_names",
    "find_handles",
    "find_id_numbers",
    "find_leaks",
    "find_license_plates",
    "find_names",
    "find_orgs",
    "find_phones",
    "find_schools",
    "find_ssns",
    "find_urls",
    "find_zh_addresses",
    "find_zh_employers",
    "find_zh_institutions",
    "find_zh_names",
    "fingerprint",
    "id_check_char",
    "is_protected",
    "llm_spans",
    "locate",
    "luhn_check_digit",
    "luhn_valid",
    "mask",
    "resolve_overlaps",
    "ssn_valid",
    "substitute",
]
