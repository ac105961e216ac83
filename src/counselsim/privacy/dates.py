"""Date validators: a candidate found by a date recognizer (``recognizers.yaml``) counts when
it is a real calendar date between 1900 and 2100; Chinese numerals (一九九八年三月十二日) and
two-digit years (98年, 6/21/72) are read here. Registered on import.
"""

from __future__ import annotations

import re

from counselsim.privacy.checks import valid_date
from counselsim.privacy.validators import keep, validator

MONTHS = {
    name: i
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_ZH_DIGIT_VALUES = {ch: i for i, ch in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}


def zh_int(s: str) -> int:
    """The value of a number written in ASCII digits or Chinese numerals (十二, 二十九, 三十一;
    digit by digit for years: 一九九八, 二〇一〇).

    Args:
        s: The number.

    Returns:
        Its value.
    """
    if s.isascii():
        return int(s)
    if "十" not in s:
        return int("".join(str(_ZH_DIGIT_VALUES[ch]) for ch in s))
    tens, _, ones = s.partition("十")
    return (_ZH_DIGIT_VALUES[tens] if tens else 1) * 10 + (_ZH_DIGIT_VALUES[ones] if ones else 0)


def full_years(year: str) -> tuple[int, ...]:
    """Candidate four-digit years: 98 -> 1998, 03 -> 2003 or 1903."""
    y = zh_int(year)
    return (y,) if len(year) == 4 else (1900 + y, 2000 + y)


def month_number(name: str) -> int:
    """1-12 for an English month name or abbreviation."""
    return MONTHS[name[:3].lower()]


def _ok(m: re.Match[str], good: bool) -> tuple[int, int] | None:
    return keep(m) if good else None


@validator("ymd")
def _ymd(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """Year, month and day (digits or Chinese numerals; a two-digit year may be 19xx or
    20xx)."""
    month, day = zh_int(m["month"]), zh_int(m["day"])
    return _ok(m, any(valid_date(y, month, day) for y in full_years(m["year"])))


@validator("month_day")
def _month_day(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """A month and day without a year (a birthday): a real day in a leap year. With the
    cue after it (3月12日出生), the day must carry its 日/号."""
    if cue is not None and cue.start() >= m.end() and not m["unit"]:
        return None
    return _ok(m, valid_date(2000, zh_int(m["month"]), zh_int(m["day"])))


@validator("either_order")
def _either_order(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """Numeric day and month in either order (03/05/1999 is March 5 or May 3)."""
    a, b = int(m["a"]), int(m["b"])
    return _ok(m, any(valid_date(y, a, b) or valid_date(y, b, a) for y in full_years(m["year"])))


@validator("named_month")
def _named_month(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """A date with an English month name (March 5, 1999; 5th of March 1999; born on
    March 5th: no year, checked against a leap year)."""
    g = m.groupdict()
    mon, day = g.get("mon") or g["mon2"], g.get("day") or g["day2"]
    year = int(g.get("year") or g.get("year2") or 2000)
    return _ok(m, valid_date(year, month_number(mon), int(day)))
