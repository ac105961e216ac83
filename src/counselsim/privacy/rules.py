"""Rule-based layer of the Mask step: find structured identifiers and replace them.

Each detector is a plain function ``text -> list[Span]``; :data:`RULE_DETECTORS` collects
them. :func:`detect` runs detectors and resolves overlapping detections (the longest span
wins; on a tie the more specific type wins); :func:`apply_placeholders` substitutes
placeholders such as ``[PHONE_1]`` right to left so offsets stay valid. Placeholders are
numbered per type in order of first appearance and are stable within one record: the same
identifier gets the same placeholder everywhere, and passing the previous ``mapping`` back
in keeps the numbering consistent across several texts (e.g. all turns of one dialogue).

The NER/dictionary layer (:mod:`.ner`) and the LLM pass (:mod:`.llm`) plug in as further
detectors; :mod:`counselsim.privacy` runs all of them by default.

Nothing here logs text or identifiers.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Sequence
from enum import StrEnum
from functools import cache

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
# Chinese characters (CJK unified ideographs, extension A, compatibility ideographs).
CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

_NB = r"(?<![0-9A-Za-z])"  # not preceded by an ASCII letter/digit
_NA = r"(?![0-9A-Za-z])"  # not followed by an ASCII letter/digit


def words_of(text: str) -> list[str]:
    """The whitespace-separated words of a (multi-line) word list."""
    return text.split()


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

# A Chinese mobile: 11 digits 1[3-9]xxxxxxxxx, plain or in groups of 2-5 digits split by one
# kind of separator (138 1234 5678, 1381 234 5678, 138-1234-5678), optionally after +86,
# 0086, (+86) or （+86）. The lookarounds keep it from being a slice of a longer digit run.
_CN_MOBILE_RE = re.compile(
    r"(?<![0-9A-Za-z])(?<!\d[\s-])"
    r"(?:(?:[(（](?:\+|00)?86[)）]|(?:\+|00)86)[\s-]?)?"
    r"(?P<num>1[3-9]\d{0,9}(?:(?P<sep>[ -])\d{2,5}(?:(?P=sep)\d{2,5}){0,3})?)"
    r"(?![0-9A-Za-z])(?![\s-]\d)"
)
# A landline: area code 0xx / 0xxx (bare, or in parentheses), then a 7-8 digit local number,
# plain or in two groups (8962 0290, 8962-0290), then an optional extension (-123, 转123,
# 分机123, ext. 123).
_CN_LANDLINE_RE = re.compile(
    r"(?<![0-9A-Za-z+])(?<!\d[\s-])"
    r"(?:\(0\d{2,3}\)\s?|（0\d{2,3}）\s?|0\d{2,3}[\s-])"
    r"(?:\d{7,8}|\d{3,4}[\s-]\d{3,4})"
    r"(?:\s*(?:转|分机|ext\.?|x)\s*\d{1,5}|-\d{1,4})?"
    r"(?!\d)(?![\s-]\d)",
    re.IGNORECASE,
)
# Chinese 400/800 service numbers: 400-810-1234, 400 810 1234; written without separators
# (4008101234) only after a phone cue.
_CN_SERVICE_RE = re.compile(
    r"(?<![0-9A-Za-z+])(?<!\d[\s-])(?P<num>[48]00(?P<sep>[\s-]?)\d{3}(?P=sep)\d{4})(?!\d)(?![\s-]\d)"
)
_PHONE_CUE_RE = re.compile(
    r"(?:电话|热线|客服|致电|拨打|打|联系方式|手机|号码|phone|call|tel|hotline)[^。！？.!?\n]{0,8}$",
    re.IGNORECASE,
)
_EN_PHONE_CUE_RE = re.compile(
    r"\b(?:phone|call|tel|hotline|text|number|cell|mobile|reach|contact|dial|fax|whatsapp)"
    r"[^.!?\n]{0,24}$",
    re.IGNORECASE,
)
_PHONE_CUE_AFTER_RE = re.compile(
    r"\s+(?:to call|to text|if you need|for (?:the )?(?:clinic|office))"
)
# Ten digits in a row are a North-American number only with a phone cue around them
# ("text me at 5125550142", "gave me 2065550199 to call"); area code and exchange start 2-9.
_NANP_PLAIN_RE = re.compile(
    r"(?<![0-9A-Za-z+\-])(?:1)?(?P<area>\d{3})(?P<exch>\d{3})\d{4}(?![0-9A-Za-z])"
)
# Bare 3-3-4 groups need a consistent "-" or "." ("120 130 1400" is a list of scores);
# space-separated numbers count with a parenthesised area code or a "+1" (see _INTL_RE).
_NANP_RE = re.compile(
    r"(?<![0-9A-Za-z+])(?:1(?P<s0>[.-]))?"
    r"(?:\(\d{3}\)\s?\d{3}[\s.-]|\d{3}(?P<s1>[.-])\d{3}(?P=s1))\d{4}(?!\d)"
)
_INTL_RE = re.compile(r"(?<![0-9A-Za-z+])\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\d)")


def find_phones(text: str) -> list[Span]:
    """Chinese mobiles, landlines and 400/800 numbers, North-American and ``+``-prefixed
    numbers.

    Args:
        text: Text to scan.

    Returns:
        One span per match (possibly overlapping; :func:`resolve_overlaps` sorts it out).
    """
    spans = [
        _span(m, EntityType.PHONE) for rx in (_CN_LANDLINE_RE, _NANP_RE) for m in rx.finditer(text)
    ]
    for m in _CN_MOBILE_RE.finditer(text):
        num = m["num"]
        groups = num.split(m["sep"]) if m["sep"] else [num]
        if len(_digits(num)) == 11 and (len(groups) == 1 or 2 <= len(groups[0]) <= 7):
            spans.append(_span(m, EntityType.PHONE))
    for m in _NANP_PLAIN_RE.finditer(text):
        valid = m["area"][0] in "23456789" and m["exch"][0] in "23456789"
        if valid and (
            _EN_PHONE_CUE_RE.search(text, max(0, m.start() - 40), m.start())
            or _PHONE_CUE_AFTER_RE.match(text, m.end())
        ):
            spans.append(_span(m, EntityType.PHONE))
    for m in _CN_SERVICE_RE.finditer(text):
        if m["sep"] or _PHONE_CUE_RE.search(text, 0, m.start()):
            spans.append(_span(m, EntityType.PHONE))
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


# US Social Security numbers: AAA-GG-SSSS. The dashed form is distinctive enough on its own;
# with spaces or no separator (123 45 6789, 123456789) an SSN cue must come shortly before.
_SSN_RE = re.compile(
    r"(?<![0-9A-Za-z-])(?P<area>\d{3})(?P<sep>[- ]?)(?P<group>\d{2})(?P=sep)(?P<serial>\d{4})"
    r"(?![0-9A-Za-z]|[- ]\d)"
)
_SSN_CUE_RE = re.compile(
    r"(?:\bSSNs?\b|\bSS#|\bsocial[\s-]+security\b|社会安全号|社安号)"
    r"(?:\s*(?:number|num\.?|no\.|#))?[^.!?。！？\n]{0,30}$",
    re.IGNORECASE,
)


def ssn_valid(area: str, group: str, serial: str) -> bool:
    """Whether the parts of a US SSN can be issued: area not 000, 666 or 900-999, group not
    00, serial not 0000.

    Args:
        area: The first three digits.
        group: The middle two digits.
        serial: The last four digits.

    Returns:
        True for a well-formed SSN.
    """
    return area not in ("000", "666") and area[0] != "9" and group != "00" and serial != "0000"


def find_ssns(text: str) -> list[Span]:
    """US Social Security numbers (label ID_NUMBER): ``123-45-6789`` anywhere, ``123 45 6789``
    and ``123456789`` only after a cue (SSN, social security) earlier in the sentence.

    Args:
        text: Text to scan.

    Returns:
        One span per valid SSN.
    """
    spans = []
    for m in _SSN_RE.finditer(text):
        if not ssn_valid(m["area"], m["group"], m["serial"]):
            continue
        if m["sep"] == "-" or _SSN_CUE_RE.search(text, 0, m.start()):
            spans.append(_span(m, EntityType.ID_NUMBER))
    return spans


# An explicit ID cue right before an 18-/15-digit number: 身份证号是…, 证件号：…, ID number …
_ID_CUE_RE = re.compile(
    r"(?:身份证(?:号码|号)?|证件(?:号码|号)|(?<![A-Za-z])(?:ID|I\.D\.)(?:\s*(?i:card|number|no\.?|num\.?|#))*"
    r"|(?i:(?<![A-Za-z])identity\s+card|identification)(?:\s*(?i:number|no\.?|#))?)"
    r"(?:\s*(?:是|为|(?i:is|was)(?![A-Za-z])|[:：#=]))*\s*"
    r"(?P<num>\d{17}[\dXx]|\d{15})" + _NA
)


def find_id_numbers(text: str) -> list[Span]:
    """Chinese resident ID numbers and US Social Security numbers (:func:`find_ssns`).

    18-digit numbers count only with a correct MOD 11-2 check character and a real
    birth date (YYYYMMDD at offset 6); 15-digit legacy numbers only with a real
    ``19YYMMDD`` birth date at offset 6. Right after an explicit cue (身份证号是,
    证件号：, ID number) an 18-digit (last may be X) or 15-digit number counts even with a
    wrong check character or date: a mistyped ID still identifies its owner.

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
    spans += [_span(m, EntityType.ID_NUMBER, "num") for m in _ID_CUE_RE.finditer(text)]
    return spans + find_ssns(text)


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
    r"(?<![A-Za-z0-9._%+\-@])@[A-Za-z0-9_](?:[A-Za-z0-9_.]{0,28}[A-Za-z0-9_])(?![A-Za-z0-9_@])"
)
# @ + a Chinese nickname (@不吃香菜的猫, @夜航星_07). Chinese text often runs straight on after
# a mention, so the name is cut before words that continue the sentence (在网上, 给我, 的微博).
_AT_CJK_HANDLE_RE = re.compile(
    r"(?<![A-Za-z0-9._%+\-@])@(?P<id>[\u3400-\u4dbf\u4e00-\u9fffA-Za-z0-9_\-·]{2,30})"
)
_CJK_CHAR_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_HANDLE_RUN_ON = re.compile(
    r"在(?:网上|微博|群里|评论|朋友圈|抖音|快手|B站|b站|小红书|知乎|贴吧|直播间|私信|底下|下面)"
    r"|(?:给|对|跟|和|把|被|说|骂|找|加|私信|艾特|@)(?:我|你|他|她|我们|他们|她们)"
    r"|发(?:了|过|私信|消息|帖|评论|视频|微博|动态)|(?:留言|评论|转发|回复|点赞|关注)"
    r"|的(?:微博|主页|账号|帐号|帖子|视频|评论|动态|私信|粉丝|小号|大号)"
    r"|今天|昨天|最近|每天|天天|一直|经常|总是|老是|又在|又发|还在|也在|就是|曾经"
    r"|是(?:我|你|他|她|一个|个)"
)
_NOT_A_MENTION = tuple(
    words_of("了 过 着 一下 我 你 他 她 它 们 所有人 全体 大家 下 这 那 的 谁 别人 对方")
)
_HANDLE_CUES_ZH = (
    r"微信号|微信|v信|vx|wx|QQ号|QQ|抖音号|抖音|快手号|快手|微博号|微博|小红书号|小红书|B站|b站"
    r"|视频号|豆瓣|知乎|贴吧|钉钉号|钉钉|推特"
)
# Reddit users: u/name (also /u/name).
_REDDIT_RE = re.compile(r"(?<![A-Za-z0-9_/])/?u/[A-Za-z0-9_](?:[A-Za-z0-9_.\-]{1,28}[A-Za-z0-9_])")
_HANDLE_CUES_EN = (
    r"(?:wechat|weixin|snapchat|snap|instagram|insta|ig|tiktok|tik tok|twitter|threads|reddit"
    r"|youtube|twitch|steam|xbox|psn|playstation|discord|telegram|skype|kik|tumblr|bluesky"
    r"|pinterest|line|kakao(?:talk)?)(?![A-Za-z])"
)
_CUE_HANDLE_RE = re.compile(
    r"(?<![A-Za-z])"
    rf"(?P<cue>{_HANDLE_CUES_ZH}|{_HANDLE_CUES_EN})"
    r"\s*(?P<kind>号码|账号|帐号|id\b|号|handle\b|username\b|user\s*name\b|account\b|name\b)?\s*"
    r"(?:(?P<sep>是|为|叫|：|:|=)|(?P<is>is|was)\b)?\s*"
    r"(?P<id>[A-Za-z0-9](?:[A-Za-z0-9_\-.]{2,28}[A-Za-z0-9_]))"
    r"(?![A-Za-z0-9_@\-])",
    re.IGNORECASE,
)
# "my username is ...", "her gamertag: ...": an account whatever the platform.
_ACCOUNT_WORD_RE = re.compile(
    r"\b(?:user\s*name|handle|screen\s*name|gamertag|gamer\s*tag|account\s+name)"
    r"\s*(?:(?:is|was)\b|:)\s*"
    r"(?P<id>[A-Za-z0-9](?:[A-Za-z0-9_\-.]{1,28}[A-Za-z0-9_]))(?![A-Za-z0-9_@\-])",
    re.IGNORECASE,
)
_POSSESSIVE_BEFORE_RE = re.compile(r"\b(?:my|his|her|their|your|our)\s+$", re.IGNORECASE)
_CLAUSE_END_RE = re.compile(r"\s*(?:$|[.,;!?)\]\n]|(?:and|but|so|if|because|or)\b)")
# Words that end "my Instagram is ..." without being an account.
_NOT_ACCOUNT = frozenset(
    words_of(
        """
        private public down deleted gone dead locked hacked banned blocked suspended disabled
        inactive active empty full open closed off on new old fake real fine toxic addictive
        boring awful terrible great amazing weird private mostly only all mine still just so
        very really pretty kind sort not never always also probably literally basically
        forgotten hidden broken stolen taken written lost secret unknown blank same long short
        simple complicated embarrassing cringe dumb stupid silly funny cute cool lame ok okay
        good bad nothing something everything empty gone mine yours
        """
    )
)


@cache
def _common_english() -> frozenset[str]:
    """About a thousand common English words (faker's lorem list): ids that are plain words
    ("my Snapchat is public") are no accounts."""
    from faker.providers.lorem.en_US import Provider

    return frozenset(w.lower() for w in Provider.word_list) | _NOT_ACCOUNT


def _plain_word(ident: str) -> bool:
    low = ident.lower()
    if not ident.isalpha():
        return False
    return low in _common_english() or (ident.islower() and low.endswith(("ed", "ing", "ly")))


def find_handles(text: str) -> list[Span]:
    """Social-media accounts: ``@name`` (the ``@`` included, also Chinese nicknames such as
    ``@不吃香菜的猫``) and ids after cues like 微信号/QQ/抖音号/WeChat/Snapchat or "username".

    After a cue only the account id is captured (the cue stays in the text). The id needs
    an explicit separator (是, 为, 叫, colon, ``=``) or a digit, ``_`` or ``-``, so "WeChat
    group" is not an account; "my Snapchat is paperghost" counts when the id ends the
    clause and is not a common English word ("my Instagram is private").

    Args:
        text: Text to scan.

    Returns:
        One span per account.
    """
    spans = [
        _span(m, EntityType.HANDLE) for rx in (_AT_HANDLE_RE, _REDDIT_RE) for m in rx.finditer(text)
    ]
    for m in _AT_CJK_HANDLE_RE.finditer(text):
        ident = m["id"]
        cut = next((k for k in range(2, len(ident)) if _HANDLE_RUN_ON.match(ident, k)), len(ident))
        ident = ident[:cut].rstrip("_-·")
        if ident.startswith(_NOT_A_MENTION):
            continue  # "@了我好几次", "@所有人": @ as a verb or a group mention
        if len(ident) >= 2 and _CJK_CHAR_RE.search(ident):
            start = m.start()
            spans.append(
                Span(
                    start=start,
                    end=start + 1 + len(ident),
                    type=EntityType.HANDLE,
                    text=text[start : start + 1 + len(ident)],
                )
            )
    for m in _CUE_HANDLE_RE.finditer(text):
        ident = m.group("id")
        weak_ok = bool(  # "my Snapchat is paperghost."
            m.group("is")
            and _POSSESSIVE_BEFORE_RE.search(text, 0, m.start())
            and _CLAUSE_END_RE.match(text, m.end("id"))
            and not _plain_word(ident)
        )
        # 抖音号, 微信号, "Instagram handle": the cue itself says an account id follows
        says_id = (bool(m.group("kind")) or m.group("cue").endswith("号")) and not _plain_word(
            ident
        )
        if m.group("sep") or says_id or re.search(r"[\d_\-.]", ident) or weak_ok:
            spans.append(_span(m, EntityType.HANDLE, "id"))
    for m in _ACCOUNT_WORD_RE.finditer(text):
        if not _plain_word(m["id"]) and (
            re.search(r"[\d_\-.]", m["id"]) or _CLAUSE_END_RE.match(text, m.end("id"))
        ):
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


# Other plates (US and elsewhere) look like any code, so they need a cue right before them:
# "plate 7ABC123", "license plate is ABC-1234", "tag: ME 28640", "车牌 XYZ 789".
_PLATE_CUE_RE = re.compile(
    r"(?i:(?<![A-Za-z])(?:licen[cs]e[\s-]*plates?|number\s+plates?|plates?|tags?|registration"
    r"|reg\.?)(?![A-Za-z])|车牌(?:号码|号)?)"
    r"(?i:\s*(?:number|no\.?|#))?"
    r"(?i:\s*(?:is|was|are|were|reads|read|says|said|of|like|that\s+reads|that\s+said|是|为)(?![A-Za-z]))?"
    r"\s*[:：=#]?\s*"
    r"(?P<plate>[A-Z0-9]{1,4}[-·•][A-Z0-9]{1,5}|[A-Z]{1,3}\s[0-9][A-Z0-9]{1,5}"
    r"|[0-9]{1,4}\s[A-Z]{2,4}|[A-Z0-9]{2,8})"
    r"(?![A-Za-z0-9]|[-·•][A-Za-z0-9])"
)


def find_license_plates(text: str) -> list[Span]:
    """Licence plates.

    Chinese plates on their own: province character, issuing letter, 5 (or 6 for new-energy)
    characters, optionally separated by a dot or space, e.g. 京A12345 or 粤B·D12345. Other
    plates (7ABC123, ABC-1234, ABC 1234, ME 28640) only right after a cue such as "plate",
    "license plate", "tag", "registration" or 车牌, in capitals, 5-8 characters with both
    letters and digits (so "tag me at 3PM" and "plate of 12 cookies" are no plates).

    Args:
        text: Text to scan.

    Returns:
        One span per plate.
    """
    spans = [
        _span(m, EntityType.LICENSE_PLATE)
        for m in _PLATE_RE.finditer(text)
        if any(ch.isdigit() for ch in m.group("tail"))
    ]
    for m in _PLATE_CUE_RE.finditer(text):
        plate = m["plate"]
        chars = [ch for ch in plate if ch.isalnum()]
        if (
            5 <= len(chars) <= 8
            and any(ch.isdigit() for ch in chars)
            and any(ch.isalpha() for ch in chars)
        ):
            spans.append(_span(m, EntityType.LICENSE_PLATE, "plate"))
    return spans


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
_MON_NAMES = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_MON = rf"(?P<mon>{_MON_NAMES})\.?"
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


# Chinese dates beyond YYYY年M月D日: two-digit years (98年3月12日), Chinese numerals
# (一九九八年三月十二日, 二〇一〇年七月十七日) and, after or before a birth cue (出生, 生日,
# 生于), month and day alone (3月12日出生, 生日是3月12号). A bare month (三月) never counts.
_ZH_NUM = "〇零一二三四五六七八九"
_ZH_YEAR = rf"(?P<year>\d{{4}}|\d{{2}}|[{_ZH_NUM}]{{4}}|[{_ZH_NUM}]{{2}})"
_ZH_MONTH = r"(?P<month>\d{1,2}|十[一二]?|[一二三四五六七八九])"
_ZH_DAY = r"(?P<day>\d{1,2}|[二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_DATE_ZH_ANY_RE = re.compile(
    rf"(?<![\d{_ZH_NUM}十]){_ZH_YEAR}\s*年\s*{_ZH_MONTH}\s*月\s*{_ZH_DAY}\s*[日号](?![楼院])"
)
_DATE_ZH_MD_RE = re.compile(
    rf"(?<![\d{_ZH_NUM}十年])(?<!年\s){_ZH_MONTH}\s*月\s*{_ZH_DAY}(?P<unit>\s*[日号])?(?![\d楼院])"
)
_BIRTH_BEFORE_ZH_RE = re.compile(r"(?:生日|出生|生于|诞辰|生辰)[^。！？，,；;\n]{0,6}$")
_BIRTH_AFTER_ZH_RE = re.compile(r"(?:出生|生日|生的|的生日|是我的?生日|那天出生)")
# English: 6/21/72 (two-digit year) and "born on March 12" (no year) with a birth cue.
_DATE_SHORT_RE = re.compile(
    _NB
    + r"(?P<a>\d{1,2})(?P<sep>[/.-])(?P<b>\d{1,2})(?P=sep)(?P<year>\d{2})"
    + _NA
    + r"(?![/.-]\d)"
)
_DATE_MD_EN_RE = re.compile(
    rf"(?<![A-Za-z]){_MON}\s+(?P<day>\d{{1,2}}){_ORD}(?![\d:]|,?\s+\d{{4}})"
    rf"|{_NB}(?P<day2>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon2>{_MON_NAMES})(?![A-Za-z]|\.?,?\s+\d{{4}})",
    re.IGNORECASE,
)
_BIRTH_BEFORE_EN_RE = re.compile(
    r"(?:\bborn\b|\bbirth(?:day|date)?\b|\bb-?day\b|\bDOB\b|\bD\.O\.B\.?)[^.!?\n]{0,14}$",
    re.IGNORECASE,
)
_DATE_CUE_BEFORE_RE = re.compile(
    r"\b(?:on|dated?|since|until|till|from|by|before|after)\s*:?\s*(?:the\s+)?$", re.IGNORECASE
)
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


def _full_year(year: str) -> tuple[int, ...]:
    """Candidate four-digit years: 98 -> 1998, 03 -> 2003 or 1903."""
    y = zh_int(year)
    return (y,) if len(year) == 4 else (1900 + y, 2000 + y)


def _zh_date_ok(m: re.Match[str]) -> bool:
    month, day = zh_int(m["month"]), zh_int(m["day"])
    years = _full_year(m["year"]) if m.re is _DATE_ZH_ANY_RE else (2000,)  # 2000: a leap year
    return any(_valid_date(y, month, day) for y in years)


def find_dates(text: str) -> list[Span]:
    """Exact calendar dates with year, month and day (e.g. 1999年3月5日, 99年3月5日,
    一九九九年三月五日, 1999-03-05, 03/05/1999, 3/5/99, March 5, 1999, 5th of March 1999),
    and birth dates without a year (3月5日出生, 生日是3月5号, born on March 5th). Other
    partial dates (三月, 3月5日 alone, March 5) are left alone.

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
    for m in _DATE_ZH_ANY_RE.finditer(text):
        if _zh_date_ok(m):
            spans.append(_span(m, EntityType.DATE))
    for m in _DATE_ZH_MD_RE.finditer(text):
        before = _BIRTH_BEFORE_ZH_RE.search(text, 0, m.start())
        after = m["unit"] and _BIRTH_AFTER_ZH_RE.match(text, m.end())
        if (before or after) and _zh_date_ok(m):
            spans.append(_span(m, EntityType.DATE))
    for m in _DATE_NUMERIC_RE.finditer(text):
        y, a, b = int(m["year"]), int(m["a"]), int(m["b"])
        if _valid_date(y, a, b) or _valid_date(y, b, a):  # month/day order is ambiguous
            spans.append(_span(m, EntityType.DATE))
    for m in _DATE_SHORT_RE.finditer(text):
        a, b = int(m["a"]), int(m["b"])
        if not _BIRTH_BEFORE_EN_RE.search(text, 0, m.start()) and not (
            m["sep"] == "/" and _DATE_CUE_BEFORE_RE.search(text, 0, m.start())
        ):
            continue  # 10/10/10 is a score, 1.2.30 a version, unless a cue makes it a date
        if any(_valid_date(y, a, b) or _valid_date(y, b, a) for y in _full_year(m["year"])):
            spans.append(_span(m, EntityType.DATE))
    for rx in (_DATE_MDY_RE, _DATE_DMY_RE):
        for m in rx.finditer(text):
            month = _MONTHS[m["mon"][:3].lower()]
            if _valid_date(int(m["year"]), month, int(m["day"])):
                spans.append(_span(m, EntityType.DATE))
    for m in _DATE_MD_EN_RE.finditer(text):
        mon, day = m["mon"] or m["mon2"], m["day"] or m["day2"]
        if _BIRTH_BEFORE_EN_RE.search(text, 0, m.start()) and _valid_date(
            2000, _MONTHS[mon[:3].lower()], int(day)
        ):
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
