"""Validators of social-media accounts: ``@`` mentions in Chinese text and account ids after
a platform cue (微信号, QQ, Snapchat, "username"). Registered on import.

An id after a cue needs evidence that it is one: an explicit separator (是, 为, 叫, colon,
``=``), a cue that itself says an id follows (抖音号, "Instagram handle"), a digit, ``_``, ``-``
or ``.`` in it, or "my Snapchat is paperghost" where the id ends the clause and is no common
English word ("my Instagram is private").
"""

from __future__ import annotations

import re
from functools import cache

from counselsim.privacy.spans import CJK_RE, words
from counselsim.privacy.validators import validator

# Chinese text often runs straight on after a mention, so the name is cut before words that
# continue the sentence (在网上, 给我, 的微博).
_RUN_ON = re.compile(
    r"在(?:网上|微博|群里|评论|朋友圈|抖音|快手|B站|b站|小红书|知乎|贴吧|直播间|私信|底下|下面)"
    r"|(?:给|对|跟|和|把|被|说|骂|找|加|私信|艾特|@)(?:我|你|他|她|我们|他们|她们)"
    r"|发(?:了|过|私信|消息|帖|评论|视频|微博|动态)|(?:留言|评论|转发|回复|点赞|关注)"
    r"|的(?:微博|主页|账号|帐号|帖子|视频|评论|动态|私信|粉丝|小号|大号)"
    r"|今天|昨天|最近|每天|天天|一直|经常|总是|老是|又在|又发|还在|也在|就是|曾经"
    r"|是(?:我|你|他|她|一个|个)"
)
# "@了我好几次", "@所有人": @ as a verb or a group mention.
_NOT_A_MENTION = tuple(
    words("了 过 着 一下 我 你 他 她 它 们 所有人 全体 大家 下 这 那 的 谁 别人 对方")
)
_POSSESSIVE_BEFORE = re.compile(r"\b(?:my|his|her|their|your|our)\s+$", re.IGNORECASE)
_CLAUSE_END = re.compile(r"\s*(?:$|[.,;!?)\]\n]|(?:and|but|so|if|because|or)\b)")
_ID_MARK = re.compile(r"[\d_\-.]")
# Words that end "my Instagram is ..." without being an account.
_NOT_ACCOUNT = frozenset(
    words(
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


def plain_word(ident: str) -> bool:
    """An ordinary English word (or -ed/-ing/-ly form) rather than an account id."""
    low = ident.lower()
    if not ident.isalpha():
        return False
    return low in _common_english() or (ident.islower() and low.endswith(("ed", "ing", "ly")))


@validator("cjk_mention")
def _cjk_mention(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """``@`` + a Chinese nickname, cut where the sentence runs on."""
    ident = m["id"]
    cut = next((k for k in range(2, len(ident)) if _RUN_ON.match(ident, k)), len(ident))
    ident = ident[:cut].rstrip("_-·")
    if ident.startswith(_NOT_A_MENTION) or len(ident) < 2 or not CJK_RE.search(ident):
        return None
    return m.start(), m.start() + 1 + len(ident)


@validator("account_after_cue")
def _account_after_cue(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """An id after a platform cue (the cue's groups say how it was introduced)."""
    if cue is None:
        return None
    ident, text = m["id"], m.string
    weak_ok = bool(  # "my Snapchat is paperghost."
        cue["is"]
        and _POSSESSIVE_BEFORE.search(text, 0, cue.start())
        and _CLAUSE_END.match(text, m.end("id"))
        and not plain_word(ident)
    )
    says_id = (bool(cue["kind"]) or cue["cue"].endswith("号")) and not plain_word(ident)
    if cue["sep"] or says_id or _ID_MARK.search(ident) or weak_ok:
        return m.span("id")
    return None


@validator("account_word")
def _account_word(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
    """An id after "username is", "gamertag:": not a plain word, and marked as an id or
    ending its clause."""
    ident = m["id"]
    if plain_word(ident):
        return None
    if _ID_MARK.search(ident) or _CLAUSE_END.match(m.string, m.end("id")):
        return m.span("id")
    return None
