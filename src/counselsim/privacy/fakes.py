"""Fake identifiers of the same type and shape, for :class:`.surrogate.SurrogateFactory`:
numbers (phones keep their area code and grouping; cards pass Luhn, Chinese IDs their check
character; SSNs stay issuable), e-mails, URLs, handles and dates. Each maker takes the
original and a seeded random generator. Nothing here logs identifiers.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import string
from collections.abc import Mapping

from stdnum import luhn

from counselsim.privacy.checks import id_check_char
from counselsim.privacy.dates import month_number, zh_int
from counselsim.privacy.lexicon import (
    EN_FIRST_NAMES,
    EN_LAST_NAMES,
    PINYIN_SURNAMES,
    ZH_PLACE_NAMES,
)
from counselsim.privacy.recognizers import recognizer
from counselsim.privacy.spans import CJK_RE, words

EN_ANY = tuple(sorted(EN_FIRST_NAMES))
EN_LAST = tuple(sorted(n for n in EN_LAST_NAMES if n.isalpha() and n not in PINYIN_SURNAMES))
_PUBLIC_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "163.com", "qq.com")
_MONTH_NAMES = words(
    """
    January February March April May June July August September October November December
    """
)


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass the Luhn check (``stdnum.luhn``)."""
    return str(luhn.calc_check_digit(body))


def random_digits(rng: random.Random, n: int, first_nonzero: bool = False) -> str:
    """``n`` random digits (the first one not 0 with ``first_nonzero``)."""
    if n <= 0:
        return ""
    head = rng.choice("123456789") if first_nonzero else rng.choice(string.digits)
    return head + "".join(rng.choice(string.digits) for _ in range(n - 1))


def render_digits(original: str, digits: str) -> str:
    """``original`` with its last ``len(digits)`` digits replaced, keeping all formatting."""
    if not digits:
        return original
    positions = [i for i, ch in enumerate(original) if ch.isdigit()][-len(digits) :]
    chars = list(original)
    for pos, d in zip(positions, digits, strict=True):
        chars[pos] = d
    return "".join(chars)


def case_like(word: str, model: str) -> str:
    """``word`` in the letter case of ``model`` (UPPER, lower or Capitalised)."""
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model.islower():
        return word.lower()
    return word[:1].upper() + word[1:].lower() if model[:1].isupper() else word


_SHAPE_CJK = "".join(sorted(set("".join(ZH_PLACE_NAMES))))


def shape_fake(original: str, rng: random.Random, cjk: bool = True) -> str:
    """A fake with the original's character classes (digit, letter case, Chinese), for
    identifiers whose shape no specific maker knows (e.g. ones an LLM reported); Chinese
    characters are kept when ``cjk`` is false (年, 月, 尾号 carry the format)."""
    out = []
    for ch in original:
        if ch.isdigit():
            out.append(rng.choice(string.digits))
        elif ch.isascii() and ch.isupper():
            out.append(rng.choice(string.ascii_uppercase))
        elif ch.isascii() and ch.islower():
            out.append(rng.choice(string.ascii_lowercase))
        elif cjk and CJK_RE.match(ch):
            out.append(rng.choice(_SHAPE_CJK))
        else:
            out.append(ch)
    return "".join(out)


def fake_phone_key(key: str, rng: random.Random) -> str:
    """Fake digits for a phone's canonical digits: a Chinese mobile stays a mobile, a
    landline keeps its (city-level) area code, a number with a country code keeps it."""
    n = len(key)
    if n == 11 and key[0] == "1" and key[1] in "3456789":
        return "1" + rng.choice("3456789") + random_digits(rng, 9)
    if key.startswith("0"):  # Chinese landline: keep the (city-level) area code
        keep = 3 if key[1:2] in ("1", "2") else 4
        return key[:keep] + random_digits(rng, n - keep, first_nonzero=True)
    if n == 10:  # North America
        return (
            rng.choice("23456789")
            + random_digits(rng, 2)
            + rng.choice("23456789")
            + random_digits(rng, 6)
        )
    if n == 11 and key[0] == "1":
        return (
            "1"
            + rng.choice("23456789")
            + random_digits(rng, 2)
            + random_digits(rng, 7, first_nonzero=True)
        )
    keep = min(2, n - 1)  # +country code
    return key[:keep] + random_digits(rng, n - keep, first_nonzero=True)


def fake_card(key: str, rng: random.Random) -> str:
    """Fake card digits: same length and issuer prefix, a valid Luhn check digit."""
    body = key[:2] + random_digits(rng, len(key) - 3)
    return body + luhn_check_digit(body)


def _random_date(rng: random.Random, year: int, avoid: tuple[int, int]) -> tuple[int, int]:
    while True:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        if (month, day) != avoid:
            dt.date(year, month, day)
            return month, day


_SSN_SHAPE_RE = re.compile(r"\d{3}(?P<sep>[- ]?)\d{2}(?P=sep)\d{4}")


def fake_ssn(original: str, rng: random.Random) -> str:
    """A well-formed SSN (no 000/666/9xx area, 00 group or 0000 serial) in the original's
    format."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    digits = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
    return render_digits(original, digits)


def fake_id(original: str, rng: random.Random) -> str:
    """An ID number of the original's kind: an issuable SSN, a Chinese resident ID with a
    valid check character (18 or 15 digits; a mistyped one gets a real date), or a
    same-shape fake of any other number (passport, record, policy)."""
    if _SSN_SHAPE_RE.fullmatch(original):
        return fake_ssn(original, rng)
    if re.fullmatch(r"\d{17}[\dXx]", original):
        year = int(original[6:10])
        if not 1900 <= year <= 2100:  # a mistyped ID (found by its cue): still fake a real year
            year = rng.randint(1950, 2005)
        month, day = _random_date(rng, year, (int(original[10:12]), int(original[12:14])))
        parity = int(original[16]) % 2
        seq = random_digits(rng, 2) + rng.choice("13579" if parity else "02468")
        body = original[:2] + random_digits(rng, 4) + f"{year:04d}{month:02d}{day:02d}" + seq
        check = id_check_char(body)
        return body + (check.lower() if original[-1] == "x" else check)
    if not re.fullmatch(r"\d{15}", original):
        return shape_fake(original, rng, cjk=False)
    year = 1900 + int(original[6:8])
    month, day = _random_date(rng, year, (int(original[8:10]), int(original[10:12])))
    parity = int(original[14]) % 2
    seq = random_digits(rng, 2) + rng.choice("13579" if parity else "02468")
    return original[:2] + random_digits(rng, 4) + original[6:8] + f"{month:02d}{day:02d}" + seq


# --------------------------------------------------------------------------- text identifiers


def fake_email(original: str, rng: random.Random) -> str:
    """An address at a public mail domain (the original's, when it is one)."""
    domain = original.rsplit("@", 1)[-1].lower()
    if domain not in _PUBLIC_MAIL:
        domain = rng.choice(_PUBLIC_MAIL)
    first, last = rng.choice(EN_ANY).lower(), rng.choice(EN_LAST).lower()
    local = rng.choice((f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first[0]}{last}"))
    return f"{local}@{domain}"


def fake_url(original: str, rng: random.Random) -> str:
    """A URL with the original's scheme, www. and whether it had a path."""
    lower = original.lower()
    scheme = next((s for s in ("https://", "http://") if lower.startswith(s)), "")
    rest = original[len(scheme) :]
    www = "www." if rest.lower().startswith("www.") or not scheme else ""
    host = f"{rng.choice(EN_LAST).lower()}{rng.choice(('', '-media', '-studio', 'blog'))}"
    tld = rng.choice(("com", "net", "org", "cn"))
    path = "/" + rng.choice(EN_ANY).lower() if "/" in rest.rstrip("/") else ""
    return f"{scheme}{www}{host}.{tld}{path}"


def fake_handle(original: str, rng: random.Random) -> str:
    """An account id in the original's style (@, Chinese nickname, QQ digits, wxid_)."""
    if original.startswith("@"):  # @name: keep the @, and Chinese nicknames stay Chinese
        rest = original[1:]
        if CJK_RE.search(rest):
            return "@" + shape_fake(rest, rng, cjk=True)
        return "@" + fake_handle(rest, rng)
    if original.isdigit():  # QQ number
        return random_digits(rng, len(original), first_nonzero=True)
    prefix = "wxid_" if original.lower().startswith("wxid_") else ""
    sep = next((c for c in "_-." if c in original[len(prefix) :]), "")
    n_digits = sum(ch.isdigit() for ch in original)
    base = rng.choice(EN_ANY).lower()
    if sep and not prefix:
        base += sep + rng.choice(EN_LAST).lower()
    return prefix + base + (random_digits(rng, min(n_digits, 6)) if n_digits else "")


def fake_date(original: str, rng: random.Random) -> str:
    """Another real date in the original's format (Chinese numerals, ordinals, month names
    and zero padding kept)."""
    for fake in (_fake_numeric_date, _fake_named_date, _fake_zh_date):
        out = fake(original, rng)
        if out is not None:
            return out
    m = _PARTIAL_DATE_RE.fullmatch(original)  # 3月5日: from the LLM layer, no year
    if m:
        month, day = _random_date(rng, 2000, (int(m["month"]), int(m["day"])))
        return _replace_groups(original, m, {"month": month, "day": day})
    return original  # the caller falls back to a same-shape fake


def _full(name: str, original: str) -> re.Match[str] | None:
    return recognizer(name).token.fullmatch(original)


def _fake_numeric_date(original: str, rng: random.Random) -> str | None:
    """1999-03-05; 03/05/1999 and 6/21/72 (day first when the first number is over 12)."""
    m = _full("date_iso", original)
    if m:
        month, day = _random_date(rng, int(m["year"]), (int(m["month"]), int(m["day"])))
        return _replace_groups(original, m, {"month": month, "day": day})
    m = _full("date_numeric", original) or _full("date_short", original)
    if m is None:
        return None
    a, b = int(m["a"]), int(m["b"])
    day_first = a > 12
    year = int(m["year"]) if len(m["year"]) == 4 else 2000
    month, day = _random_date(rng, year, (b, a) if day_first else (a, b))
    return _replace_groups(
        original, m, {"a": day, "b": month} if day_first else {"a": month, "b": day}
    )


def _fake_named_date(original: str, rng: random.Random) -> str | None:
    """March 5, 1999; 5th of March 1999; (born on) March 5th."""
    m = _full("date_month_name", original) or _full("date_birthday_en", original)
    if m is None:
        return None
    g = m.groupdict()
    mon_group, day_group = ("mon", "day") if g.get("mon") else ("mon2", "day2")
    mon, year = m[mon_group], g.get("year") or g.get("year2")
    month, day = _random_date(
        rng, int(year) if year else 2000, (month_number(mon), int(m[day_group]))
    )
    name = _MONTH_NAMES[month - 1]
    if len(mon) <= 4 and mon.lower() not in ("june", "july"):
        name = name[:3]
    out = _replace_groups(original, m, {mon_group: case_like(name, mon), day_group: day})
    return re.sub(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)", _ordinal, out)


def _fake_zh_date(original: str, rng: random.Random) -> str | None:
    """1999年3月5日, 98年3月5日, 一九九八年三月五日, 3月5日 (numerals stay numerals)."""
    m = _full("date_zh", original) or _full("date_zh_birthday", original)
    if m is None:
        return None
    g = m.groupdict()
    year = int(g["year"]) if g.get("year") and g["year"].isascii() and len(g["year"]) == 4 else 2000
    month, day = _random_date(rng, year, (zh_int(m["month"]), zh_int(m["day"])))
    values: dict[str, int | str] = {
        "month": month if m["month"].isascii() else _zh_numeral(month),
        "day": day if m["day"].isascii() else _zh_numeral(day),
    }
    return _replace_groups(original, m, values)


def _zh_numeral(n: int) -> str:
    """1-31 in Chinese numerals: 三, 十, 十二, 二十, 三十一."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


_PARTIAL_DATE_RE = re.compile(r"(?P<month>\d{1,2})\s*月\s*(?P<day>\d{1,2})\s*[日号]")


def _ordinal(m: re.Match[str]) -> str:
    n = int(m.group(1))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _replace_groups(original: str, m: re.Match[str], values: Mapping[str, int | str]) -> str:
    out = original
    for group in sorted(values, key=lambda g: m.start(g), reverse=True):
        start, end = m.span(group)
        value = values[group]
        if isinstance(value, int):  # zero-padded only where the original was (03/05)
            text = f"{value:0{end - start}d}" if original[start] == "0" else str(value)
        else:
            text = value
        out = out[:start] + text + out[end:]
    return out
