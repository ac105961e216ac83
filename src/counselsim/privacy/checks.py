"""Validators of structured identifiers: checksums from ``python-stdnum``, phone numbers from
``phonenumbers``, and the few shape rules neither library covers (Chinese mobile grouping,
15-digit legacy IDs, licence plates, URL ends).

Registered in :data:`.validators.VALIDATORS` on import; recognizers name them in
``recognizers.yaml``. Nothing here logs text.
"""

from __future__ import annotations

import datetime as dt
import re

import phonenumbers
from stdnum import iban, luhn
from stdnum.cn import ric
from stdnum.us import ssn

from counselsim.privacy.spans import digits_of
from counselsim.privacy.validators import check, keep, token, validator


def valid_date(year: int, month: int, day: int) -> bool:
    """A real calendar date between 1900 and 2100."""
    if not 1900 <= year <= 2100:
        return False
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- checksums


def id_check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a Chinese resident ID
    (``stdnum.cn.ric``).

    Args:
        body17: Exactly 17 ASCII digits.

    Returns:
        The check character, ``0``-``9`` or ``X``.
    """
    return str(ric.calc_check_digit(body17 + "0"))


@check("cn_ric")
def cn_ric_valid(number: str) -> bool:
    """An 18-character resident ID with a correct check character (``stdnum``) and a real
    birth date. (``stdnum``'s full validation also wants a birth place from its own list of
    county codes; a code missing there still identifies a person, so it is not asked.)"""
    birth = (int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return valid_date(*birth) and id_check_char(number[:17]) == number[17].upper()


@check("cn_ric15")
def cn_ric15_valid(number: str) -> bool:
    """A legacy 15-digit resident ID: a real 19YYMMDD birth date at offset 6 (it has no
    check digit, and ``stdnum`` knows only the 18-character form)."""
    return valid_date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """Whether the parts of a US SSN can be issued (``stdnum.us.ssn``: area not 000, 666 or
    900-999, group not 00, serial not 0000, not a known advertising number).

    Args:
        area: The first three digits.
        group: The middle two digits.
        serial: The last four digits.

    Returns:
        True for a well-formed SSN.
    """
    return bool(ssn.is_valid(f"{area}-{group}-{serial}"))


@check("us_ssn")
def _us_ssn(number: str) -> bool:
    d = digits_of(number)
    return len(d) == 9 and ssn_valid(d[:3], d[3:5], d[5:])


def luhn_valid(digits: str) -> bool:
    """Whether a digit string passes the Luhn (mod 10) check (``stdnum.luhn``).

    Args:
        digits: ASCII digits only.

    Returns:
        True when the check digit is right.
    """
    return digits.isdigit() and bool(luhn.is_valid(digits))


@check("luhn")
def _luhn(number: str) -> bool:
    return luhn_valid(digits_of(number))


@validator("luhn_grouped")
def _luhn_grouped(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """Grouped card digits (6222 0212 ...): the longest run of leading groups with 13-19
    Luhn-valid digits, so a card followed by an unrelated number is still found; after a
    card cue the checksum is not asked (a mistyped card still identifies its owner)."""
    start, end = keep(m)
    groups = re.split(r"[ -]", m.string[start:end])
    for n in range(len(groups), 2, -1):
        digits = "".join(groups[:n])
        if 13 <= len(digits) <= 19 and (cue is not None or luhn_valid(digits)):
            return start, start + sum(len(g) for g in groups[:n]) + (n - 1)
    return None


@check("iban")
def _iban(number: str) -> bool:
    return bool(iban.is_valid(number))


@check("id_like")
def id_like(token_text: str) -> bool:
    """A record, policy or document number after its cue: at least five digits, or four
    with letters, and not a year-like or money-like bare number."""
    d = digits_of(token_text)
    letters = sum(ch.isalpha() for ch in token_text)
    return len(d) >= 5 or (len(d) >= 4 and letters >= 1)


# --------------------------------------------------------------------------- phones

# Regions whose national numbers are dialled without a trunk prefix (NANP, Hong Kong, Macao,
# Singapore; Chinese mobiles too): a cue-led number not starting with 0 must be valid there.
_NO_TRUNK = ("CN", "US", "CA", "HK", "MO", "SG")
# Regions whose national format starts with a trunk "0" (07700 900123, 090-1234-5678).
_TRUNK0 = ("GB", "JP", "AU", "DE", "FR", "CN", "KR", "NZ", "IE", "IT", "NL", "IN", "TH", "TW")
_TRUNK0_MORE = ("MY", "PH", "VN", "AE", "ES")


def _parse(number: str, region: str | None) -> phonenumbers.PhoneNumber | None:
    try:
        return phonenumbers.parse(number, region)
    except phonenumbers.NumberParseException:
        return None


@check("phone_intl")
def phone_intl(number: str) -> bool:
    """A number with a ``+`` country code that ``phonenumbers`` finds possible (any
    region; at most 15 digits, E.164)."""
    parsed = _parse(re.sub(r"[()（）]", " ", number), None)
    return parsed is not None and phonenumbers.is_possible_number(parsed)


@check("phone_local")
def phone_local(number: str) -> bool:
    """After a phone cue: a number without a country code, either valid in a region dialled
    without a trunk prefix (China's mobiles, North America, Hong Kong, Singapore) or written
    with a trunk ``0`` and possible in a region that uses one (drama and test ranges such
    as 07700 900123 are possible, not valid)."""
    d = digits_of(number)
    if not 7 <= len(d) <= 15:
        return False
    regions, test = (
        ((*_TRUNK0, *_TRUNK0_MORE), phonenumbers.is_possible_number)
        if d[0] == "0"
        else (_NO_TRUNK, phonenumbers.is_valid_number)
    )
    return any((p := _parse(d, region)) is not None and test(p) for region in regions)


@validator("cn_mobile")
def _cn_mobile(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """Eleven digits 1[3-9]..., plain or in groups whose first has 2-7 digits.
    (``phonenumbers`` would also reject prefixes not yet assigned; a made-up or brand-new
    number still identifies, so the shape is enough.)"""
    num, sep = m["num"], m["sep"]
    groups = num.split(sep) if sep else [num]
    ok = len(digits_of(num)) == 11 and (len(groups) == 1 or 2 <= len(groups[0]) <= 7)
    return m.span() if ok else None


@validator("nanp")
def _nanp(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """A North-American number: area code and exchange start with 2-9."""
    return m.span() if m["area"][0] in "23456789" and m["exch"][0] in "23456789" else None


@validator("separated")
def _separated(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """Written with separators (400-810-1234); without them only after a cue."""
    return m.span() if m["sep"] or cue is not None else None


# --------------------------------------------------------------------------- plates, urls


@check("has_digit")
def has_digit(text: str) -> bool:
    """At least one digit (a plate of letters only is a word)."""
    return any(ch.isdigit() for ch in text)


@check("plate_shape")
def plate_shape(plate: str) -> bool:
    """5-8 letters and digits, with both (so "tag me at 3PM" is no plate)."""
    chars = [ch for ch in plate if ch.isalnum()]
    return (
        5 <= len(chars) <= 8
        and any(ch.isdigit() for ch in chars)
        and any(ch.isalpha() for ch in chars)
    )


_URL_TRAILING = ".,;:!?'\")]"


@validator("url")
def _url(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """Trailing punctuation is left out, except a ``)`` that closes one inside the URL."""
    text, (start, end) = m.string, m.span()
    while end > start and text[end - 1] in _URL_TRAILING:
        if text[end - 1] == ")" and text.count("(", start, end) >= text.count(")", start, end):
            break
        end -= 1
    return (start, end) if text[start:end].lower() not in ("www.", "http://", "https://") else None


__all__ = ["id_check_char", "luhn_valid", "ssn_valid", "token", "valid_date"]
