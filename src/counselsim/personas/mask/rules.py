"""Rule-based layer of the Mask step: find structured identifiers and replace them.

Each detector is a plain function ``text -> list[Span]``; :data:`RULE_DETECTORS` collects
them. :func:`detect` runs detectors and resolves overlapping detections (the longest span
wins; on a tie the more specific type wins); :func:`apply_placeholders` substitutes
placeholders such as ``[PHONE_1]`` right to left so offsets stay valid. Placeholders are
numbered per type in order of first appearance and are stable within one record: the same
identifier gets the same placeholder everywhere, and passing the previous ``mapping`` back
in keeps the numbering consistent across several texts (e.g. all turns of one dialogue).

The NER/dictionary layer (:mod:`.ner`) and the LLM pass (:mod:`.llm`) plug in as further
detectors; :mod:`counselsim.personas.mask` runs all of them by default.

Nothing here logs text or identifiers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class EntityType(StrEnum):
    """Kinds of identifiers the Mask step masks; the value names the placeholder."""

    PHONE = "PHONE"
    EMAIL = "EMAIL"
    ID_NUMBER = "ID_NUMBER"
    BANK_CARD = "BANK_CARD"
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
    """The outcome of :func:`mask`.

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

# Lower rank = more specific; breaks ties between equally long overlapping spans.
_SPECIFICITY: dict[EntityType, int] = {
    EntityType.ID_NUMBER: 0,
    EntityType.BANK_CARD: 1,
    EntityType.EMAIL: 2,
    EntityType.URL: 3,
    EntityType.PHONE: 4,
    EntityType.LICENSE_PLATE: 5,
    EntityType.DATE: 6,
    EntityType.HANDLE: 7,
    EntityType.ADDRESS: 8,
    EntityType.SCHOOL: 9,
    EntityType.ORG: 10,
    EntityType.NAME: 11,
}

# Lookarounds rather than \b: in Python's Unicode regexes CJK characters are \w, so \b
# never fires between a Chinese character and a digit.
_NB = r"(?<![0-9A-Za-z])"  # not preceded by an ASCII letter/digit
_NA = r"(?![0-9A-Za-z])"  # not followed by an ASCII letter/digit


def _span(match: re.Match[str], etype: EntityType, group: int | str = 0) -> Span:
    start, end = match.span(group)
    return Span(start=start, end=end, type=etype, text=match.string[start:end])


def _digits(s: str) -> str:
    return "".join(ch for ch in s if ch.isdigit())


def _valid_date(year: int, month: int, day: int) -> bool:
    if not 1900 <= year <= 2100:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- phones

_CN_MOBILE_RE = re.compile(_NB + r"(?:(?:\+|00)86[\s-]?)?1[3-9]\d(?:[\s-]?\d{4}){2}(?!\d)")
_CN_LANDLINE_RE = re.compile(
    r"(?<![0-9A-Za-z+])(?:\(0\d{2,3}\)\s?|（0\d{2,3}）\s?|0\d{2,3}[\s-])\d{7,8}(?:-\d{1,4})?(?!\d)"
)
# Bare 3-3-4 groups need a consistent "-" or "." ("120 130 1400" is a list of scores);
# space-separated numbers count with a parenthesised area code or a "+1" (see _INTL_RE).
_NANP_RE = re.compile(
    r"(?<![0-9A-Za-z+])(?:1(?P<s0>[.-]))?"
    r"(?:\(\d{3}\)\s?\d{3}[\s.-]|\d{3}(?P<s1>[.-])\d{3}(?P=s1))\d{4}(?!\d)"
)
_INTL_RE = re.compile(r"(?<![0-9A-Za-z+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\d)")


def find_phones(text: str) -> list[Span]:
    """Chinese mobiles and landlines, North-American and ``+``-prefixed numbers.

    Args:
        text: Text to scan.

    Returns:
        One span per match (possibly overlapping; :func:`resolve_overlaps` sorts it out).
    """
    spans = [
        _span(m, EntityType.PHONE)
        for rx in (_CN_MOBILE_RE, _CN_LANDLINE_RE, _NANP_RE)
        for m in rx.finditer(text)
    ]
    for m in _INTL_RE.finditer(text):
        if 8 <= len(_digits(m.group())) <= 15:  # E.164 allows at most 15 digits
            spans.append(_span(m, EntityType.PHONE))
    return spans


# --------------------------------------------------------------------------- email / url

_EMAIL_RE = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
)
_URL_RE = re.compile(
    r"(?<![A-Za-z0-9@.])(?:https?://|www\.)[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+", re.IGNORECASE
)
_URL_TRAILING = ".,;:!?'\")]"


def find_emails(text: str) -> list[Span]:
    """E-mail addresses (ASCII local part and domain).

    Args:
        text: Text to scan.

    Returns:
        One span per address.
    """
    return [_span(m, EntityType.EMAIL) for m in _EMAIL_RE.finditer(text)]


def find_urls(text: str) -> list[Span]:
    """``http://``, ``https://`` and ``www.`` URLs; trailing punctuation is left out.

    Args:
        text: Text to scan.

    Returns:
        One span per URL.
    """
    spans = []
    for m in _URL_RE.finditer(text):
        start, end = m.span()
        while end > start and text[end - 1] in _URL_TRAILING:
            # keep a closing paren that balances one inside the URL
            if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
                break
            end -= 1
        if text[start:end].lower() not in ("www.", "http://", "https://"):
            spans.append(Span(start=start, end=end, type=EntityType.URL, text=text[start:end]))
    return spans


# --------------------------------------------------------------------------- ID numbers

_ID18_RE = re.compile(_NB + r"\d{17}[\dXx]" + _NA)
_ID15_RE = re.compile(_NB + r"\d{15}" + _NA)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def id_check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID.

    Args:
        body17: Exactly 17 ASCII digits.

    Returns:
        The check character, ``0``-``9`` or ``X``.
    """
    total = sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def find_id_numbers(text: str) -> list[Span]:
    """Chinese resident ID numbers.

    18-digit numbers count only with a correct MOD 11-2 check character and a real
    birth date (YYYYMMDD at offset 6); 15-digit legacy numbers only with a real
    ``19YYMMDD`` birth date at offset 6.

    Args:
        text: Text to scan.

    Returns:
        One span per valid ID number.
    """
    spans = []
    for m in _ID18_RE.finditer(text):
        s = m.group()
        birth = (int(s[6:10]), int(s[10:12]), int(s[12:14]))
        if id_check_char(s[:17]) == s[17].upper() and _valid_date(*birth):
            spans.append(_span(m, EntityType.ID_NUMBER))
    for m in _ID15_RE.finditer(text):
        s = m.group()
        if _valid_date(1900 + int(s[6:8]), int(s[8:10]), int(s[10:12])):
            spans.append(_span(m, EntityType.ID_NUMBER))
    return spans


# --------------------------------------------------------------------------- bank cards

_CARD_PLAIN_RE = re.compile(_NB + r"[1-9]\d{12,18}" + _NA)
_CARD_GROUPED_RE = re.compile(_NB + r"[1-9]\d{3,5}(?:[ -]\d{2,6}){2,4}" + _NA)


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check.

    Args:
        digits: ASCII digits only.

    Returns:
        True when the check digit is right.
    """
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def find_bank_cards(text: str) -> list[Span]:
    """Payment card numbers: 13-19 Luhn-valid digits, plain or grouped by spaces/dashes.

    For a grouped run that fails, trailing groups are dropped one at a time so that a
    card followed by an unrelated number is still found.

    Args:
        text: Text to scan.

    Returns:
        One span per card number.
    """
    spans = []
    for m in _CARD_PLAIN_RE.finditer(text):
        if luhn_valid(m.group()):
            spans.append(_span(m, EntityType.BANK_CARD))
    for m in _CARD_GROUPED_RE.finditer(text):
        start, chunk = m.start(), m.group()
        groups = re.split(r"[ -]", chunk)
        for n in range(len(groups), 2, -1):
            digits = "".join(groups[:n])
            if 13 <= len(digits) <= 19 and luhn_valid(digits):
                end = start + sum(len(g) for g in groups[:n]) + (n - 1)
                spans.append(
                    Span(start=start, end=end, type=EntityType.BANK_CARD, text=text[start:end])
                )
                break
    return spans


# --------------------------------------------------------------------------- handles

_AT_HANDLE_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-@])@(?P<id>[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_]))(?![A-Za-z0-9_@])"
)
_CUE_HANDLE_RE = re.compile(
    r"(?<![A-Za-z])"
    r"(?:微信号|微信|v信|vx|wx|wechat(?:\s*id)?|QQ号|QQ|抖音号|抖音|快手号|快手|微博|小红书号|小红书"
    r"|telegram|instagram|twitter|推特|skype|discord)"
    r"\s*(?:号码|账号|帐号|id|号)?\s*(?:(?P<sep>是|为|叫|：|:|=)|is\b)?\s*"
    r"(?P<id>[A-Za-z0-9](?:[A-Za-z0-9_\-.]{2,28}[A-Za-z0-9_]))"
    r"(?![A-Za-z0-9_@\-])",
    re.IGNORECASE,
)


def find_handles(text: str) -> list[Span]:
    """Social-media accounts: ``@name`` and ids after cues like 微信号/QQ/抖音号/WeChat.

    Only the account id is captured (the ``@`` and the cue stay in the text). Without an
    explicit separator (是, 为, 叫, colon, ``=``) a cue's id must contain a digit, ``_``
    or ``-``, so "WeChat group" is not an account.

    Args:
        text: Text to scan.

    Returns:
        One span per account id.
    """
    spans = [_span(m, EntityType.HANDLE, "id") for m in _AT_HANDLE_RE.finditer(text)]
    for m in _CUE_HANDLE_RE.finditer(text):
        ident = m.group("id")
        if m.group("sep") or re.search(r"[\d_\-]", ident):
            spans.append(_span(m, EntityType.HANDLE, "id"))
    return spans


# --------------------------------------------------------------------------- plates

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_CH = "[A-HJ-NP-Z0-9]"  # plates never use I or O
_PLATE_RE = re.compile(
    rf"(?<![A-Za-z0-9])[{_PROVINCES}][A-HJ-NP-Z][·•・\s-]?"
    rf"(?P<tail>[DF]{_PLATE_CH}{{5}}|\d{{5}}[DF]|{_PLATE_CH}{{5}}|{_PLATE_CH}{{4}}[挂学警港澳领试超])"
    r"(?![A-Za-z0-9])"
)


def find_license_plates(text: str) -> list[Span]:
    """Chinese licence plates: province character, issuing letter, 5 (or 6 for new-energy)
    characters, optionally separated by a dot or space, e.g. 京A12345 or 粤B·D12345.

    Args:
        text: Text to scan.

    Returns:
        One span per plate.
    """
    return [
        _span(m, EntityType.LICENSE_PLATE)
        for m in _PLATE_RE.finditer(text)
        if any(ch.isdigit() for ch in m.group("tail"))
    ]


# --------------------------------------------------------------------------- dates

_MONTHS = {
    "jan": 1,
    "feb": 2,
    "mar": 3,
    "apr": 4,
    "may": 5,
    "jun": 6,
    "jul": 7,
    "aug": 8,
    "sep": 9,
    "oct": 10,
    "nov": 11,
    "dec": 12,
}
_MON = (
    r"(?P<mon>Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_ORD = r"(?:st|nd|rd|th)?"
_DATE_ZH_RE = re.compile(
    r"(?<!\d)(?P<year>\d{4})\s*年\s*(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]"
)
_DATE_ISO_RE = re.compile(
    _NB + r"(?P<year>\d{4})(?P<sep>[-/.])(?P<month>\d{1,2})(?P=sep)(?P<day>\d{1,2})" + _NA
)
_DATE_NUMERIC_RE = re.compile(
    _NB + r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{4})" + _NA
)
_DATE_MDY_RE = re.compile(
    rf"(?<![A-Za-z]){_MON}\s+(?P<day>\d{{1,2}}){_ORD},?\s+(?P<year>\d{{4}})(?!\d)", re.IGNORECASE
)
_DATE_DMY_RE = re.compile(
    rf"{_NB}(?P<day>\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MON},?\s+(?P<year>\d{{4}})(?!\d)", re.IGNORECASE
)


def find_dates(text: str) -> list[Span]:
    """Exact calendar dates with year, month and day (e.g. 1999年3月5日, 1999-03-05,
    03/05/1999, March 5, 1999, 5th of March 1999). Partial dates are left alone.

    Args:
        text: Text to scan.

    Returns:
        One span per real date between 1900 and 2100.
    """
    spans = []
    for rx in (_DATE_ZH_RE, _DATE_ISO_RE):
        for m in rx.finditer(text):
            if _valid_date(int(m["year"]), int(m["month"]), int(m["day"])):
                spans.append(_span(m, EntityType.DATE))
    for m in _DATE_NUMERIC_RE.finditer(text):
        y, a, b = int(m["year"]), int(m["a"]), int(m["b"])
        if _valid_date(y, a, b) or _valid_date(y, b, a):  # month/day order is ambiguous
            spans.append(_span(m, EntityType.DATE))
    for rx in (_DATE_MDY_RE, _DATE_DMY_RE):
        for m in rx.finditer(text):
            month = _MONTHS[m["mon"][:3].lower()]
            if _valid_date(int(m["year"]), month, int(m["day"])):
                spans.append(_span(m, EntityType.DATE))
    return spans


# --------------------------------------------------------------------------- masking

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

# A placeholder such as ``[PHONE_1]`` (search with it to find placeholders inside a text).
PLACEHOLDER_RE = re.compile(r"\[(?P<type>[A-Z_]+)_(?P<n>\d+)\]")


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


def detect(text: str, detectors: Sequence[Detector] = RULE_DETECTORS) -> list[Span]:
    """Run every detector and resolve overlaps.

    Args:
        text: Text to scan.
        detectors: Detector functions to run; defaults to :data:`RULE_DETECTORS` (the
            package-level ``detect`` defaults to every layer).

    Returns:
        Non-overlapping spans ordered by start.
    """
    return resolve_overlaps(s for find in detectors for s in find(text))


def canonical(etype: str, original: str) -> str:
    """A formatting-insensitive key, so ``138 1234 5678`` and ``13812345678`` match."""
    if etype in (EntityType.PHONE, EntityType.BANK_CARD, EntityType.ID_NUMBER):
        key = _digits(original) + ("X" if original[-1:] in "xX" else "")
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
        spans: Non-overlapping detections in ``text`` (e.g. from :func:`detect`).
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
