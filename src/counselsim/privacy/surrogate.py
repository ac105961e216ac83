"""Realistic surrogates: a fake identifier of the same type and shape for each original.

:class:`SurrogateFactory` is deterministic for a seed: each surrogate is drawn from a
random generator seeded with ``(seed, type, canonical original)``, so the same identifier
gets the same surrogate in every text of a record or a course, whatever the order. Within
one factory two different originals never share a surrogate, and no surrogate equals an
original the factory has seen.

Shapes are kept: 小王 -> 小李, 王老师's 王 -> 李, a Chinese full name -> one of the same
gender when the given name tells; English first names keep their gender; phone numbers,
cards and plates keep their grouping; fake ID numbers and cards pass their checksums.

Nothing here logs identifiers.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import string
from collections.abc import Callable, Iterable, Mapping

from counselsim.privacy.lexicon import (
    EN_FIRST_FEMALE,
    EN_FIRST_MALE,
    EN_FIRST_NAMES,
    EN_LAST_NAMES,
    EN_STATES,
    PINYIN_SURNAMES,
    ZH_COMMON_SURNAMES,
    ZH_COMPANY_PREFIXES,
    ZH_FEMALE_GIVEN,
    ZH_MALE_GIVEN,
    ZH_PLACE_NAMES,
    ZH_SURNAMES,
    en_gender,
    words,
    zh_gender,
)
from counselsim.privacy.ner_zh import (
    _FINE_SUFFIXES,
    _ORG_SUFFIXES,
    _SCHOOL_SUFFIXES,
    _UNITS,
    split_name,
)
from counselsim.privacy.rules import (
    _DATE_DMY_RE,
    _DATE_ISO_RE,
    _DATE_MD_EN_RE,
    _DATE_MDY_RE,
    _DATE_NUMERIC_RE,
    _DATE_SHORT_RE,
    _DATE_ZH_ANY_RE,
    _DATE_ZH_MD_RE,
    _DATE_ZH_RE,
    CJK_RE,
    EntityType,
    Span,
    canonical,
    id_check_char,
    zh_int,
)

_ZH_SURNAME_POOL = tuple(sorted(ZH_COMMON_SURNAMES))
_EN_MALE = tuple(sorted(EN_FIRST_MALE - EN_FIRST_FEMALE))
_EN_FEMALE = tuple(sorted(EN_FIRST_FEMALE - EN_FIRST_MALE))
_EN_ANY = tuple(sorted(EN_FIRST_NAMES))
_EN_LAST = tuple(sorted(n for n in EN_LAST_NAMES if n.isalpha() and n not in PINYIN_SURNAMES))
_PINYIN_SUR = tuple(sorted(PINYIN_SURNAMES))
_PINYIN_GIVEN = tuple(
    words(
        """
        Wei Ming Hua Jing Lei Fang Na Tao Jun Yan Qiang Min Jie Xin Hao Lin Ping Bo Yun Hui
        """
    )
)
_PUBLIC_MAIL = ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "163.com", "qq.com")
_MONTH_NAMES = words(
    """
    January February March April May June July August September October November December
    """
)
_ZH_SCHOOL_TAILS = tuple(sorted(_SCHOOL_SUFFIXES, key=len, reverse=True))
_ZH_ORG_TAILS = tuple(sorted(_ORG_SUFFIXES, key=len, reverse=True))
_ZH_ADDRESS_KEEP = tuple(
    sorted(
        {*_FINE_SUFFIXES, *_UNITS, "单元", "附属楼", "附楼", "副楼", "后楼", "后院", "前院"},
        key=len,
        reverse=True,
    )
)
# Link characters around a street number (甲15号, 18号附7号, 9号之三): kept, and the Chinese
# numerals after them replaced by numerals.
_ZH_ADDRESS_LINKS = "附之甲乙丙丁"
_ZH_NUMERALS = "一二三四五六七八九"
_EN_KEEP_WORDS = frozenset(
    words(
        """
        Street St Avenue Ave Road Rd Boulevard Blvd Lane Ln Drive Dr Court Ct Place Pl Way Terrace
        Ter Circle Cir Parkway Pkwy Highway Hwy Square Sq Trail Row Crescent Apt Apartment Unit
        Suite Ste Room Rm Floor Fl PO P.O. Box North South East West N S E W University College
        Community High Middle Junior Elementary Primary Secondary Grammar School Academy Institute
        Technology Prep Kindergarten of the and & at Inc Inc. Incorporated Corp Corp. Corporation
        LLC Ltd Ltd. Limited Co. Company Group Bank Hospital Clinic Medical Center Health
        Foundation Associates Partners Technologies Systems Solutions Labs Consulting Insurance
        Pharmaceuticals Capital Holdings Industries Enterprises Agency Studios Motors Airlines
        Bakery Cafe Café Restaurant Alley Loop Pike Plaza Close Mews Flat LLP PLLC Traders
        """
    )
)
_EN_ORG_TAILS = ("Group", "Labs", "Systems", "Partners", "Industries", "Solutions")


def luhn_check_digit(body: str) -> str:
    """The digit that makes ``body + digit`` pass the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:  # these positions are doubled once the check digit is appended
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return str((10 - total % 10) % 10)


def _digits(rng: random.Random, n: int, first_nonzero: bool = False) -> str:
    if n <= 0:
        return ""
    head = rng.choice("123456789") if first_nonzero else rng.choice(string.digits)
    return head + "".join(rng.choice(string.digits) for _ in range(n - 1))


def _render_digits(original: str, digits: str) -> str:
    """``original`` with its last ``len(digits)`` digits replaced, keeping all formatting."""
    if not digits:
        return original
    positions = [i for i, ch in enumerate(original) if ch.isdigit()][-len(digits) :]
    chars = list(original)
    for pos, d in zip(positions, digits, strict=True):
        chars[pos] = d
    return "".join(chars)


def _case_like(word: str, model: str) -> str:
    if model.isupper() and len(model) > 1:
        return word.upper()
    if model.islower():
        return word.lower()
    return word[:1].upper() + word[1:].lower() if model[:1].isupper() else word


class SurrogateFactory:
    """Makes and remembers surrogates for one record or one course.

    Args:
        seed: Same seed, same surrogates.
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed
        self._by_key: dict[tuple[str, str], str] = {}
        self._used: set[str] = set()
        self._originals: set[str] = set()
        # component maps keep related forms consistent: 王芳 / 小王 / 王老师 share 王 -> 李
        self._parts: dict[tuple[str, str], str] = {}
        self._part_used: dict[str, set[str]] = {}
        self._part_originals: dict[str, set[str]] = {}

    # ------------------------------------------------------------------ bookkeeping

    def reserve(self, spans: Iterable[Span]) -> None:
        """Remember originals so that no surrogate equals one of them (call before
        :meth:`surrogate` with all spans of a text)."""
        for s in spans:
            self._originals.add(s.text)
            if s.type is EntityType.NAME:
                for kind, part in self._name_parts(s.text):
                    self._part_originals.setdefault(kind, set()).add(part)

    def _rng(self, *key: object) -> random.Random:
        return random.Random("|".join(map(str, (self.seed, *key))))

    def _part(self, kind: str, original: str, make: Callable[[random.Random], str]) -> str:
        """A consistent, injective replacement for a name component (surname, given...)."""
        known = self._parts.get((kind, original))
        if known is not None:
            return known
        used = self._part_used.setdefault(kind, set())
        originals = self._part_originals.setdefault(kind, set()) | {original}
        candidate = original
        for attempt in range(200):
            candidate = make(self._rng(kind, original, attempt))
            if candidate not in used and candidate not in originals:
                break
        used.add(candidate)
        self._parts[(kind, original)] = candidate
        return candidate

    def surrogate(self, span: Span) -> str:
        """The surrogate of one detected identifier (the same one every time)."""
        key = (span.type.value, canonical(span.type, span.text))
        known = self._by_key.get(key)
        if known is not None:
            return self._reformat(span, known)
        self._originals.add(span.text)
        result = span.text
        for attempt in range(100):
            try:
                result = self._make(span, attempt)
            except (ValueError, IndexError, KeyError, AssertionError):
                result = span.text  # an odd shape (e.g. from the LLM layer): see below
            if result == span.text or not result.strip():
                rng = self._rng("shape", span.text, attempt)
                result = _shape_fake(span.text, rng, cjk=span.type in _WORDY)
            if result != span.text and result not in self._used and result not in self._originals:
                break
        else:  # pragma: no cover - 100 collisions in a row cannot happen with these pools
            result = f"{result}{len(self._used)}"
        self._used.add(result)
        self._by_key[key] = result
        return result

    def _reformat(self, span: Span, known: str) -> str:
        """A formatting variant of a known identifier gets the same digits in its own format."""
        if span.type in (EntityType.PHONE, EntityType.BANK_CARD):
            fake_key = canonical(span.type, known)
            return _render_digits(span.text, fake_key[-len(canonical(span.type, span.text)) :])
        if span.type is EntityType.LICENSE_PLATE:
            return self._plate(span.text, known)
        return known

    # ------------------------------------------------------------------ makers

    def _make(self, span: Span, attempt: int) -> str:
        rng = self._rng(span.type.value, canonical(span.type, span.text), attempt)
        text = span.text
        match span.type:
            case EntityType.NAME:
                return self._name(text, attempt)
            case EntityType.PHONE:
                return _render_digits(text, _fake_phone_key(canonical(span.type, text), rng))
            case EntityType.BANK_CARD:
                return _render_digits(text, _fake_card(canonical(span.type, text), rng))
            case EntityType.ID_NUMBER:
                return _fake_id(text, rng)
            case EntityType.EMAIL:
                return _fake_email(text, rng)
            case EntityType.URL:
                return _fake_url(text, rng)
            case EntityType.HANDLE:
                return _fake_handle(text, rng)
            case EntityType.LICENSE_PLATE:
                return self._plate(text, None, rng)
            case EntityType.DATE:
                return _fake_date(text, rng)
            case EntityType.ADDRESS:
                return _fake_address(text, rng)
            case EntityType.SCHOOL | EntityType.ORG:
                return _fake_institution(text, span.type, rng)
        return text  # pragma: no cover

    def _plate(self, original: str, known: str | None, rng: random.Random | None = None) -> str:
        keep = 2 if CJK_RE.match(original) else 0  # 京A / 粤B stay; US plates change whole
        if known is not None:  # same plate, other separator: reuse the known characters
            fake_chars = [ch for ch in known if ch.isalnum()][keep:]
        else:
            assert rng is not None
            fake_chars = []
            body = [ch for ch in original if ch.isalnum()][keep:]
            for i, ch in enumerate(body):
                if ch.isdigit():
                    fake_chars.append(rng.choice(string.digits))
                elif keep and ch in "DF" and (i == 0 or i == len(body) - 1) and len(body) == 6:
                    fake_chars.append(ch)  # new-energy marker
                elif ch.isascii():
                    fake_chars.append(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ"))
                else:
                    fake_chars.append(ch)  # 挂/学/警...
        out, k, seen = [], 0, 0
        for ch in original:
            if ch.isalnum():
                seen += 1
                if seen > keep:
                    out.append(fake_chars[k])
                    k += 1
                    continue
            out.append(ch)
        return "".join(out)

    # ------------------------------------------------------------------ names

    @staticmethod
    def _name_parts(name: str) -> list[tuple[str, str]]:
        """(component kind, original component) pairs used by the component maps."""
        if CJK_RE.search(name):
            if len(name) == 2 and name[0] in "小老阿":
                kind = "zh_surname" if name[1] in ZH_COMMON_SURNAMES else "zh_given1"
                return [(kind, name[1])]
            surname, given = split_name(name)
            parts = [("zh_surname", surname)] if surname else []
            return parts + ([(f"zh_given{len(given)}", given)] if given else [])
        words = name.split()
        if len(words) == 1:
            w = words[0]
            kind = "en_first" if w in EN_FIRST_NAMES else "en_last"
            return [(kind, w)]
        if words[0] in PINYIN_SURNAMES and words[0] not in EN_FIRST_NAMES:
            return [("py_surname", words[0]), ("py_given", " ".join(words[1:]))]
        return [("en_first", words[0])] + [("en_last", w) for w in words[1:]]

    def _name(self, name: str, attempt: int) -> str:
        if CJK_RE.search(name):
            return self._zh_name(name, attempt)
        words = name.split()
        if words and words[0] in PINYIN_SURNAMES and words[0] not in EN_FIRST_NAMES:
            sur = self._part("py_surname", words[0], lambda r: r.choice(_PINYIN_SUR))
            if len(words) == 1:
                return sur
            given = " ".join(words[1:])
            new_given = self._part(
                "py_given", given if attempt == 0 else f"{given}#{attempt}", _pick(_PINYIN_GIVEN)
            )
            return f"{sur} {new_given}"
        out = []
        for i, w in enumerate(words):
            if i == 0 and (w in EN_FIRST_NAMES or len(words) > 1):
                key = w if attempt == 0 else f"{w}#{attempt}"
                gender = en_gender(w)
                pool = (
                    _EN_MALE if gender == "male" else _EN_FEMALE if gender == "female" else _EN_ANY
                )
                out.append(_case_like(self._part("en_first", key, _pick(pool)), w))
            else:
                key = w if attempt == 0 or i < len(words) - 1 else f"{w}#{attempt}"
                out.append(_case_like(self._part("en_last", key, _pick(_EN_LAST)), w))
        return " ".join(out)

    def _zh_name(self, name: str, attempt: int) -> str:
        if len(name) == 2 and name[0] in "小老阿":
            if name[1] in ZH_COMMON_SURNAMES:
                return name[0] + self._part("zh_surname", name[1], _pick(_ZH_SURNAME_POOL))
            gender = zh_gender(name[1])
            return name[0] + self._part("zh_given1", name[1], _given_maker(1, gender))
        if len(name) == 2 and name[0] == name[1] and name[0] not in ZH_SURNAMES:
            new = self._part("zh_given1", name[0], _given_maker(1, zh_gender(name[0])))
            return new + new  # 婷婷 -> 丽丽
        surname, given = split_name(name)
        new_surname = self._part("zh_surname", surname, _pick(_ZH_SURNAME_POOL)) if surname else ""
        if not given:
            return new_surname
        key = given if attempt == 0 else f"{given}#{attempt}"
        new_given = self._part(
            f"zh_given{len(given)}", key, _given_maker(len(given), zh_gender(given))
        )
        return new_surname + new_given


_SHAPE_CJK = "".join(sorted(set("".join(ZH_PLACE_NAMES))))


_WORDY = frozenset(
    {EntityType.NAME, EntityType.ADDRESS, EntityType.SCHOOL, EntityType.ORG, EntityType.HANDLE}
)


def _shape_fake(original: str, rng: random.Random, cjk: bool = True) -> str:
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


def _pick(pool: tuple[str, ...]) -> Callable[[random.Random], str]:
    return lambda rng: rng.choice(pool)


def _given_maker(length: int, gender: str | None) -> Callable[[random.Random], str]:
    if gender == "male":
        pool: tuple[str, ...] = ZH_MALE_GIVEN
    elif gender == "female":
        pool = ZH_FEMALE_GIVEN
    else:
        pool = ZH_MALE_GIVEN + ZH_FEMALE_GIVEN
    sized = tuple(g for g in pool if len(g) == length) or pool
    return lambda rng: rng.choice(sized)


# --------------------------------------------------------------------------- numbers


def _fake_phone_key(key: str, rng: random.Random) -> str:
    n = len(key)
    if n == 11 and key[0] == "1" and key[1] in "3456789":
        return "1" + rng.choice("3456789") + _digits(rng, 9)
    if key.startswith("0"):  # Chinese landline: keep the (city-level) area code
        keep = 3 if key[1:2] in ("1", "2") else 4
        return key[:keep] + _digits(rng, n - keep, first_nonzero=True)
    if n == 10:  # North America
        return rng.choice("23456789") + _digits(rng, 2) + rng.choice("23456789") + _digits(rng, 6)
    if n == 11 and key[0] == "1":
        return "1" + rng.choice("23456789") + _digits(rng, 2) + _digits(rng, 7, first_nonzero=True)
    keep = min(2, n - 1)  # +country code
    return key[:keep] + _digits(rng, n - keep, first_nonzero=True)


def _fake_card(key: str, rng: random.Random) -> str:
    body = key[:2] + _digits(rng, len(key) - 3)
    return body + luhn_check_digit(body)


def _random_date(rng: random.Random, year: int, avoid: tuple[int, int]) -> tuple[int, int]:
    while True:
        month, day = rng.randint(1, 12), rng.randint(1, 28)
        if (month, day) != avoid:
            dt.date(year, month, day)
            return month, day


_SSN_SHAPE_RE = re.compile(r"\d{3}(?P<sep>[- ]?)\d{2}(?P=sep)\d{4}")


def _fake_ssn(original: str, rng: random.Random) -> str:
    """A well-formed SSN (no 000/666/9xx area, 00 group or 0000 serial) in the original's
    format."""
    area = rng.choice([a for a in range(1, 900) if a != 666])
    digits = f"{area:03d}{rng.randint(1, 99):02d}{rng.randint(1, 9999):04d}"
    return _render_digits(original, digits)


def _fake_id(original: str, rng: random.Random) -> str:
    if _SSN_SHAPE_RE.fullmatch(original):
        return _fake_ssn(original, rng)
    if len(original) == 18:
        year = int(original[6:10])
        if not 1900 <= year <= 2100:  # a mistyped ID (found by its cue): still fake a real year
            year = rng.randint(1950, 2005)
        month, day = _random_date(rng, year, (int(original[10:12]), int(original[12:14])))
        parity = int(original[16]) % 2
        seq = _digits(rng, 2) + rng.choice("13579" if parity else "02468")
        body = original[:2] + _digits(rng, 4) + f"{year:04d}{month:02d}{day:02d}" + seq
        check = id_check_char(body)
        return body + (check.lower() if original[-1] == "x" else check)
    year = 1900 + int(original[6:8])
    month, day = _random_date(rng, year, (int(original[8:10]), int(original[10:12])))
    parity = int(original[14]) % 2
    seq = _digits(rng, 2) + rng.choice("13579" if parity else "02468")
    return original[:2] + _digits(rng, 4) + original[6:8] + f"{month:02d}{day:02d}" + seq


# --------------------------------------------------------------------------- text identifiers


def _fake_email(original: str, rng: random.Random) -> str:
    domain = original.rsplit("@", 1)[-1].lower()
    if domain not in _PUBLIC_MAIL:
        domain = rng.choice(_PUBLIC_MAIL)
    first, last = rng.choice(_EN_ANY).lower(), rng.choice(_EN_LAST).lower()
    local = rng.choice((f"{first}.{last}", f"{first}{rng.randint(1, 99)}", f"{first[0]}{last}"))
    return f"{local}@{domain}"


def _fake_url(original: str, rng: random.Random) -> str:
    lower = original.lower()
    scheme = next((s for s in ("https://", "http://") if lower.startswith(s)), "")
    rest = original[len(scheme) :]
    www = "www." if rest.lower().startswith("www.") or not scheme else ""
    host = f"{rng.choice(_EN_LAST).lower()}{rng.choice(('', '-media', '-studio', 'blog'))}"
    tld = rng.choice(("com", "net", "org", "cn"))
    path = "/" + rng.choice(_EN_ANY).lower() if "/" in rest.rstrip("/") else ""
    return f"{scheme}{www}{host}.{tld}{path}"


def _fake_handle(original: str, rng: random.Random) -> str:
    if original.startswith("@"):  # @name: keep the @, and Chinese nicknames stay Chinese
        rest = original[1:]
        if CJK_RE.search(rest):
            return "@" + _shape_fake(rest, rng, cjk=True)
        return "@" + _fake_handle(rest, rng)
    if original.isdigit():  # QQ number
        return _digits(rng, len(original), first_nonzero=True)
    prefix = "wxid_" if original.lower().startswith("wxid_") else ""
    sep = next((c for c in "_-." if c in original[len(prefix) :]), "")
    n_digits = sum(ch.isdigit() for ch in original)
    base = rng.choice(_EN_ANY).lower()
    if sep and not prefix:
        base += sep + rng.choice(_EN_LAST).lower()
    return prefix + base + (_digits(rng, min(n_digits, 6)) if n_digits else "")


def _fake_date(original: str, rng: random.Random) -> str:
    for rx in (_DATE_ZH_RE, _DATE_ISO_RE):
        m = rx.fullmatch(original)
        if m:
            month, day = _random_date(rng, int(m["year"]), (int(m["month"]), int(m["day"])))
            return _replace_groups(original, m, {"month": month, "day": day})
    m = _DATE_NUMERIC_RE.fullmatch(original)
    if m:
        a, b = int(m["a"]), int(m["b"])
        day_first = a > 12
        month, day = _random_date(rng, int(m["year"]), (b, a) if day_first else (a, b))
        order = {"a": day, "b": month} if day_first else {"a": month, "b": day}
        return _replace_groups(original, m, order)
    for rx in (_DATE_MDY_RE, _DATE_DMY_RE):
        m = rx.fullmatch(original)
        if m:
            mon = m["mon"]
            old_month = [n[:3].lower() for n in _MONTH_NAMES].index(mon[:3].lower()) + 1
            month, day = _random_date(rng, int(m["year"]), (old_month, int(m["day"])))
            name = _MONTH_NAMES[month - 1]
            if len(mon) <= 4 and mon.lower() not in ("june", "july"):
                name = name[:3]
            out = _replace_groups(original, m, {"mon": _case_like(name, mon), "day": day})
            return re.sub(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)", _ordinal, out)
    for rx in (_DATE_ZH_ANY_RE, _DATE_ZH_MD_RE):  # 98年3月5日, 一九九八年三月五日, 3月5日
        m = rx.fullmatch(original)
        if m:
            month, day = _random_date(rng, 2000, (zh_int(m["month"]), zh_int(m["day"])))
            values = {
                "month": month if m["month"].isascii() else _zh_numeral(month),
                "day": day if m["day"].isascii() else _zh_numeral(day),
            }
            return _replace_groups(original, m, values)
    m = _DATE_SHORT_RE.fullmatch(original)  # 6/21/72
    if m:
        a, b = int(m["a"]), int(m["b"])
        day_first = a > 12
        month, day = _random_date(rng, 2000, (b, a) if day_first else (a, b))
        order = {"a": day, "b": month} if day_first else {"a": month, "b": day}
        return _replace_groups(original, m, order)
    m = _DATE_MD_EN_RE.fullmatch(original)  # (born on) March 5th, 5 March
    if m:
        mon_group, day_group = ("mon", "day") if m["mon"] else ("mon2", "day2")
        mon = m[mon_group]
        old_month = [n[:3].lower() for n in _MONTH_NAMES].index(mon[:3].lower()) + 1
        month, day = _random_date(rng, 2000, (old_month, int(m[day_group])))
        name = _MONTH_NAMES[month - 1]
        if len(mon) <= 4 and mon.lower() not in ("june", "july"):
            name = name[:3]
        out = _replace_groups(original, m, {mon_group: _case_like(name, mon), day_group: day})
        return re.sub(r"(?<!\d)(\d{1,2})(?:st|nd|rd|th)", _ordinal, out)
    m = _PARTIAL_DATE_RE.fullmatch(original)  # 3月5日: from the LLM layer, no year
    if m:
        month, day = _random_date(rng, 2000, (int(m["month"]), int(m["day"])))
        return _replace_groups(original, m, {"month": month, "day": day})
    return original  # the caller falls back to a same-shape fake


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


# --------------------------------------------------------------------------- places and bodies


def _fake_address(original: str, rng: random.Random) -> str:
    if CJK_RE.search(original):
        return _fake_zh_compound(original, rng, _ZH_ADDRESS_KEEP, ZH_PLACE_NAMES)
    return _fake_en_words(original, rng, states_after_of=False)


def _fake_zh_compound(
    original: str, rng: random.Random, keep: tuple[str, ...], names: tuple[str, ...]
) -> str:
    """Keep suffixes and unit words, replace name parts with pool names and numbers with
    numbers of the same length."""
    out: list[str] = []
    buf = ""
    i = 0

    def flush() -> None:
        nonlocal buf
        if buf:
            out.append(rng.choice(names))
            buf = ""

    while i < len(original):
        word = next((w for w in keep if original.startswith(w, i)), None)
        if word is not None and (buf or not out or word in _UNITS or len(word) > 1):
            flush()
            out.append(word)
            i += len(word)
        elif (
            keep is _ZH_ADDRESS_KEEP
            and original[i] in _ZH_ADDRESS_LINKS
            and i + 1 < len(original)
            and (original[i + 1].isdigit() or original[i + 1] in _ZH_NUMERALS + "十")
        ):
            flush()
            out.append(original[i])
            i += 1
            while i < len(original) and original[i] in _ZH_NUMERALS + "十":
                out.append(rng.choice(_ZH_NUMERALS))
                i += 1
        elif original[i].isdigit():
            flush()
            j = i
            while j < len(original) and original[j].isdigit():
                j += 1
            out.append(_digits(rng, j - i, first_nonzero=True))
            i = j
        elif CJK_RE.match(original[i]):
            buf += original[i]
            i += 1
        else:
            flush()
            out.append(original[i])
            i += 1
    flush()
    return "".join(out)


def _fake_en_words(original: str, rng: random.Random, states_after_of: bool) -> str:
    """Replace proper words with surnames (or states after "of"), digits with digits and
    letters in unit numbers with letters; keep suffix and unit words."""
    tokens = re.split(r"(\s+|,)", original)
    out = []
    prev = ""
    for tok in tokens:
        if not tok or tok.isspace() or tok == "," or tok in _EN_KEEP_WORDS:
            out.append(tok)
        elif any(ch.isdigit() for ch in tok):
            out.append(
                "".join(
                    rng.choice(string.digits)
                    if ch.isdigit()
                    else rng.choice(string.ascii_uppercase)
                    if ch.isupper()
                    else ch
                    for ch in tok
                )
            )
        elif tok[:1].isupper():
            if tok.isupper() and len(tok) <= 5:
                out.append("".join(rng.choice(string.ascii_uppercase) for _ in tok))
            elif prev == "of" and states_after_of:
                out.append(rng.choice(EN_STATES))
            else:
                out.append(rng.choice(_EN_LAST) + ("'s" if tok.endswith(("'s", "’s")) else ""))
        else:
            out.append(tok)
        if tok.strip():
            prev = tok
    return "".join(out)


def _fake_institution(original: str, etype: EntityType, rng: random.Random) -> str:
    if CJK_RE.search(original):
        tails = _ZH_SCHOOL_TAILS if etype is EntityType.SCHOOL else _ZH_ORG_TAILS
        tail = next((t for t in tails if original.endswith(t)), "")
        if (
            not tail
            and etype is EntityType.SCHOOL
            and re.search("[一二三四五六七八九十]中$", original)
        ):
            tail = "中学"
        names = ZH_PLACE_NAMES if etype is EntityType.SCHOOL else ZH_COMPANY_PREFIXES
        if not tail:  # a bare employer name: 腾讯 -> 凌云科技
            prefix = rng.choice(ZH_COMPANY_PREFIXES)
            kinds = ("科技", "网络", "信息", "传媒")
            return prefix if prefix.endswith(kinds) else prefix + rng.choice(kinds)
        return rng.choice(names) + tail
    words = original.split()
    if len(words) == 1 and etype is EntityType.ORG:
        return f"{rng.choice(_EN_LAST)} {rng.choice(_EN_ORG_TAILS)}"
    if len(words) == 1 and etype is EntityType.SCHOOL:
        return f"{rng.choice(_EN_LAST)} {rng.choice(('University', 'College'))}"
    return _fake_en_words(original, rng, states_after_of=True)
