"""Fake addresses, schools and organisations for :class:`.surrogate.SurrogateFactory`:
suffixes and unit words are kept (路, 小区, 号楼, Street, Apt, University, Inc.), names
replaced from offline pools (faker's district and company lists, English surnames, US
states) and numbers by numbers of the same length. Nothing here logs identifiers.
"""

from __future__ import annotations

import random
import re
import string

from counselsim.privacy.fakes import EN_LAST, random_digits
from counselsim.privacy.lexicon import EN_STATES, ZH_COMPANY_PREFIXES, ZH_PLACE_NAMES
from counselsim.privacy.ner.zh_orgs import ORG_SUFFIXES, SCHOOL_SUFFIXES
from counselsim.privacy.ner.zh_places import FINE_SUFFIXES, UNITS
from counselsim.privacy.spans import CJK_RE, EntityType, words

_ZH_SCHOOL_TAILS = tuple(sorted(SCHOOL_SUFFIXES, key=len, reverse=True))
_ZH_ORG_TAILS = tuple(sorted(ORG_SUFFIXES, key=len, reverse=True))
_ZH_ADDRESS_KEEP = tuple(
    sorted(
        {*FINE_SUFFIXES, *UNITS, "单元", "附属楼", "附楼", "副楼", "后楼", "后院", "前院"},
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


def fake_address(original: str, rng: random.Random) -> str:
    """A fake address of the same shape (Chinese or English)."""
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
        if word is not None and (buf or not out or word in UNITS or len(word) > 1):
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
            out.append(random_digits(rng, j - i, first_nonzero=True))
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
                out.append(rng.choice(EN_LAST) + ("'s" if tok.endswith(("'s", "’s")) else ""))
        else:
            out.append(tok)
        if tok.strip():
            prev = tok
    return "".join(out)


def fake_institution(original: str, etype: EntityType, rng: random.Random) -> str:
    """A fake school or organisation keeping the original's kind of suffix."""
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
        return f"{rng.choice(EN_LAST)} {rng.choice(_EN_ORG_TAILS)}"
    if len(words) == 1 and etype is EntityType.SCHOOL:
        return f"{rng.choice(EN_LAST)} {rng.choice(('University', 'College'))}"
    return _fake_en_words(original, rng, states_after_of=True)
