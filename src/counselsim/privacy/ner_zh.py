"""Chinese names, addresses, schools and organisations: jieba's POS tags plus rules.

jieba (``posseg``: nr = person, ns = place, nt = organisation) proposes, the rules and word
lists in :mod:`.lexicon` decide. Every rule that reads characters rather than tokens must
start and end on a jieba token boundary, which keeps 小时候, 老师 and 张家口 from looking
like 小时/老师/张家 names. jieba is imported and initialised lazily, once.

Nothing here logs text.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from counselsim.privacy.lexicon import (
    ZH_COMMON_SURNAMES,
    ZH_COMPOUND_SURNAMES,
    ZH_DISTRICTS,
    ZH_EMPLOYERS,
    ZH_FEMALE_GIVEN,
    ZH_GIVEN_CHARS,
    ZH_MALE_GIVEN,
    ZH_NAME_BREAK_CHARS,
    ZH_NAME_CUES,
    ZH_NAME_STOPWORDS,
    ZH_RELATIVES,
    ZH_SURNAMES,
    ZH_TITLES,
    ZH_WORKPLACE_WORDS,
    is_city_level,
    words,
)
from counselsim.privacy.rules import CJK_RE, EntityType, Span

_lock = threading.Lock()
_posseg: Any = None


def _segmenter() -> Any:
    """jieba.posseg, imported and initialised on first use (it takes about a second)."""
    global _posseg
    with _lock:
        if _posseg is None:
            import jieba
            import jieba.posseg

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _posseg = jieba.posseg
    return _posseg


@dataclass(frozen=True)
class Token:
    """One jieba token with its POS flag and offsets."""

    word: str
    flag: str
    start: int
    end: int


@lru_cache(maxsize=32)
def tokenize(text: str) -> tuple[Token, ...]:
    """jieba tokens of ``text`` (empty when it has no Chinese characters)."""
    if not CJK_RE.search(text):
        return ()
    out: list[Token] = []
    pos = 0
    for pair in _segmenter().cut(text):
        word, flag = pair.word, pair.flag
        start = text.find(word, pos)
        if start < 0:  # cannot happen with jieba, but never trust offsets blindly
            continue
        out.append(Token(word, flag, start, start + len(word)))
        pos = start + len(word)
    return tuple(out)


def _is_cjk(s: str) -> bool:
    return bool(s) and all(CJK_RE.fullmatch(ch) for ch in s)


class _Bounds:
    """Token boundaries of a text, for 'does this match start/end on a word' checks."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.starts = {t.start for t in tokens}
        self.ends = {t.end for t in tokens}
        self._by_start = {t.start: t for t in tokens}

    def aligned(self, start: int, end: int) -> bool:
        return start in self.starts and end in self.ends

    def at(self, start: int) -> Token | None:
        """The token starting at ``start``, if any."""
        return self._by_start.get(start)

    def single(self, start: int, end: int) -> Token | None:
        """The token covering exactly ``[start, end)``, if any."""
        t = self._by_start.get(start)
        return t if t is not None and t.end == end else None

    def inside_word(self, start: int, end: int) -> Token | None:
        """A token that strictly contains ``[start, end)`` (so it is part of another word)."""
        for t in self.tokens:
            if t.start <= start and end <= t.end and (t.start, t.end) != (start, end):
                return t
            if t.start >= end:
                break
        return None


def _span(text: str, start: int, end: int, etype: EntityType) -> Span:
    return Span(start=start, end=end, type=etype, text=text[start:end])


# --------------------------------------------------------------------------- names

_NAME_FLAGS = ("nr", "nrfg")
_NON_NAME_FLAGS = ("ns", "nt", "a", "ad", "an", "v", "vn", "d", "t", "m", "q", "f", "s", "i", "l")
_TITLE_RE = re.compile(
    "(?P<name>"
    + "|".join(sorted(ZH_COMPOUND_SURNAMES, key=len, reverse=True))
    + "|["
    + "".join(sorted(ZH_COMMON_SURNAMES))
    + "])(?P<title>"
    + "|".join(ZH_TITLES)
    + ")"
)
_NICK_RE = re.compile("[小老阿][" + "".join(sorted(ZH_COMMON_SURNAMES)) + "]")
_CUE_RE = re.compile("(?:" + "|".join(ZH_NAME_CUES) + ")[：:，, ]?")
_GIVEN_NAMES = frozenset(ZH_MALE_GIVEN) | frozenset(ZH_FEMALE_GIVEN)
_SURNAME_ONLY_RE = re.compile(
    "(?<![百])姓(?P<name>"
    + "|".join(sorted(ZH_COMPOUND_SURNAMES, key=len, reverse=True))
    + "|["
    + "".join(sorted(ZH_COMMON_SURNAMES))
    + r"])(?=$|[，。,.！？!?、；;：:\s”\"）)]|的)"
)
# Pure function characters: never inside a name (a smaller set than ZH_NAME_BREAK_CHARS,
# which also holds characters such as 一, 大, 特 that do occur in names after 诸葛 or in
# transliterated names like 巴特尔).
_FUNCTION_CHARS = frozenset(
    "的了是说和在也都很对跟给把被让就还又不没她他我你们吧呢啊吗呀哦嘛着过这那"
)
_FUNCTION_FLAGS = ("p", "c", "u", "d", "r", "f", "m", "q", "t", "y")
# Function words jieba sometimes glues to the front of a name (和婷婷, 跟李明).
_JOINERS = frozenset("和与跟同在给对把被向从是也都就还又才只而但让叫找")


def split_name(name: str) -> tuple[str, str]:
    """(surname, given) of a Chinese full name; surname '' when it has none."""
    if name[:2] in ZH_COMPOUND_SURNAMES:
        return name[:2], name[2:]
    if name[:1] in ZH_SURNAMES:
        return name[:1], name[1:]
    return "", name


def _full_name_shape(word: str) -> bool:
    """Surname + 1-2 given-name characters that look like a given name."""
    if not 2 <= len(word) <= 4 or not _is_cjk(word) or word in ZH_NAME_STOPWORDS:
        return False
    surname, given = split_name(word)
    if not surname or not 1 <= len(given) <= 2:
        return False
    breaks = _FUNCTION_CHARS if len(surname) == 2 else ZH_NAME_BREAK_CHARS
    if any(ch in breaks for ch in given):
        return False
    return any(ch in ZH_GIVEN_CHARS for ch in given)


def _nickname_shape(word: str) -> bool:
    if len(word) != 2 or word in ZH_NAME_STOPWORDS or not _is_cjk(word):
        return False
    if word[0] in "小老阿" and (word[1] in ZH_COMMON_SURNAMES or word[1] in ZH_GIVEN_CHARS):
        return True
    return word[0] == word[1] and word[0] in ZH_GIVEN_CHARS  # 芳芳, 婷婷


def _not_a_common_word(b: _Bounds, start: int, end: int) -> bool:
    tok = b.single(start, end)
    if tok is not None and tok.flag.startswith(_NON_NAME_FLAGS) and not tok.flag.startswith("nr"):
        return False
    return b.inside_word(start, end) is None


def find_zh_names(text: str) -> list[Span]:
    """Chinese person names: full names, nicknames (小王, 老张, 阿强) and the surname before a
    title (王老师 -> 王, so the title survives).

    Args:
        text: Text to scan.

    Returns:
        One span per name occurrence (overlaps are resolved later).
    """
    toks = tokenize(text)
    if not toks:
        return []
    b = _Bounds(toks)
    spans: list[Span] = []
    title_starts = {m.start() for m in _TITLE_RE.finditer(text) if b.aligned(m.start(), m.end())}

    # 1. jieba's person names, checked against the name shape and the stopwords
    for i, t in enumerate(toks):
        if not t.flag.startswith(_NAME_FLAGS) or t.start in title_starts:
            continue
        if len(t.word) >= 3 and t.word[0] in _JOINERS:  # 和婷婷: "and" + a name
            rest = t.word[1:]
            if _full_name_shape(rest) or _nickname_shape(rest):
                spans.append(_span(text, t.start + 1, t.end, EntityType.NAME))
            continue
        if _full_name_shape(t.word) or _nickname_shape(t.word):
            spans.append(_span(text, t.start, t.end, EntityType.NAME))
        elif len(t.word) == 1 and t.word in ZH_SURNAMES and i + 1 < len(toks):
            nxt = toks[i + 1]  # jieba sometimes splits: 陈/nr 宇航/nr
            if (
                nxt.start == t.end
                and nxt.flag.startswith(("nr", "n"))
                and nxt.flag != "ns"
                and _full_name_shape(t.word + nxt.word)
                and nxt.word not in ZH_NAME_STOPWORDS
            ):
                spans.append(_span(text, t.start, nxt.end, EntityType.NAME))

    # 2. surname + title: only the surname is masked
    for m in _TITLE_RE.finditer(text):
        on_words = b.aligned(m.start(), m.end()) or (
            m.start() in b.starts and m.end("name") in b.ends and m.end() in b.ends
        )
        if on_words and m.group() not in ZH_NAME_STOPWORDS:
            spans.append(_span(text, m.start("name"), m.end("name"), EntityType.NAME))

    # 2b. a rarer surname before a professional title, when jieba sees a name-like single
    # character: 佘老师, 麻医生 (but not 班老师, 新老师, 都老师好)
    for m in _RARE_TITLE_RE.finditer(text):
        tok = b.single(m.start(), m.start() + 1)
        if (
            tok is not None
            and tok.flag.startswith(("nr", "zg", "ng", "n"))
            and m.end() in b.ends
            and m.group("name") not in _NOT_SURNAME_BEFORE_TITLE
        ):
            spans.append(_span(text, m.start(), m.start() + 1, EntityType.NAME))

    # 3. nicknames from a common surname: 小王, 老张 (a word of their own); 阿 + a given-name
    # character as a word of its own: 阿坤, 阿珍
    for t in toks:
        nick = len(t.word) == 2 and t.word[0] == "阿" and _is_cjk(t.word)
        if nick and (_nickname_shape(t.word) or t.word[1] in _NICKNAME_CHARS):
            spans.append(_span(text, t.start, t.end, EntityType.NAME))
    for m in _NICK_RE.finditer(text):
        if b.aligned(m.start(), m.end()) and m.group() not in ZH_NAME_STOPWORDS:
            spans.append(_span(text, m.start(), m.end(), EntityType.NAME))

    # 4a. a surname given on its own: 她姓李。
    for m in _SURNAME_ONLY_RE.finditer(text):
        spans.append(_span(text, m.start("name"), m.end("name"), EntityType.NAME))

    # 4b. a name right after a cue: 我叫王芳, 我朋友陈宇航说
    for m in _CUE_RE.finditer(text):
        found = _name_after(text, m.end(), b)
        if found is None and not m.group().startswith("我是"):  # 我是拉萨人: no name
            found = _proper_name_after(text, m.end(), b)
        if found is not None:
            spans.append(_span(text, m.end(), found, EntityType.NAME))

    # 4c. a name before a relationship verb: 我和乌兰托娅分手了, 跟阿依古丽吵架
    for m in _RELATION_RE.finditer(text):
        start, end = m.span("name")
        if _relation_name_ok(text, start, end, b):
            spans.append(_span(text, start, end, EntityType.NAME))

    # 4d. transliterated names with a middle dot: 买买提·艾力, 阿迪力·吾守尔
    for m in _DOT_NAME_RE.finditer(text):
        # the part before the dot: the words jieba ends there, back to a cue or a function
        # word (我朋友|热合/曼); the part after runs to a function word (艾力|是我同学)
        start = m.start("dot")
        for t in reversed([t for t in toks if t.end <= m.start("dot")]):
            if t.end != start or m.start("dot") - t.start > 6:
                break
            if t.word in ZH_NAME_CUES or t.word in ZH_RELATIVES or t.word in ZH_NAME_STOPWORDS:
                break
            if t.flag.startswith(("r", "p", "u", "c", "d")) or not _is_cjk(t.word):
                break
            start = t.start
        if m.start("dot") - start < 2:
            continue
        end = m.start("rest") + 1
        while end < m.end() and text[end] not in ZH_NAME_BREAK_CHARS:
            tok = b.at(end)
            if (
                end - m.start("rest") >= 2
                and tok is not None
                and len(tok.word) >= 2
                and tok.flag.startswith(("v", "d", "p", "c", "r", "u", "m", "t", "f", "y"))
            ):
                break  # 热合曼|吵架
            end += 1
        spans.append(_span(text, start, end, EntityType.NAME))

    # 4e. doubled given-name characters as a word of their own: 佳佳, 冬冬 (not 常常, 妈妈)
    for i in range(len(text) - 1):
        pair = text[i : i + 2]
        if (
            pair[0] == pair[1]
            and (pair[0] in ZH_GIVEN_CHARS or pair[0] in _NICKNAME_CHARS)
            and pair not in _REDUPLICATED_WORDS
            and pair not in ZH_NAME_STOPWORDS
            and text[i - 1 : i] != pair[0]
            and text[i + 2 : i + 3] != pair[0]
            and (b.single(i, i + 2) is not None or b.aligned(i, i + 2))
        ):
            spans.append(_span(text, i, i + 2, EntityType.NAME))

    # 5. surname + a given name from the dictionaries, on word boundaries
    for start in sorted(b.starts):
        for slen in (2, 1):
            surname = text[start : start + slen]
            if slen == 2 and surname not in ZH_COMPOUND_SURNAMES:
                continue
            if slen == 1 and surname not in ZH_COMMON_SURNAMES:
                continue
            for glen in (2, 1):
                end = start + slen + glen
                given = text[start + slen : end]
                if (
                    len(given) == glen
                    and given in _GIVEN_NAMES
                    and end in b.ends
                    and text[start:end] not in ZH_NAME_STOPWORDS
                    and end not in title_starts
                    and _not_a_common_word(b, start, end)
                ):
                    spans.append(_span(text, start, end, EntityType.NAME))
                    break

    # 6. compound surnames (欧阳, 司马, 诸葛, ...): after 叫/名叫 or a name cue the surname and
    # the next one or two characters are a name even when the given name is unusual; a
    # given name found on its own (婷婷, or 孙X of 长孙X) takes the compound surname before it.
    for m in _COMPOUND_CUE_RE.finditer(text):
        given_end = _compound_given_end(text, m.end("sur"), b)
        if given_end is not None:
            spans.append(_span(text, m.start("sur"), given_end, EntityType.NAME))
    for m in _COMPOUND_DOUBLED_RE.finditer(text):  # 欧阳冰冰: a doubled pet given name
        pair = m.group("pair")
        if (
            m.start() in b.starts
            and pair not in _REDUPLICATED_WORDS
            and pair[0] not in _FUNCTION_CHARS
        ):
            spans.append(_span(text, m.start(), m.end(), EntityType.NAME))
    for s in list(spans):
        for sur_start in (s.start - 2, s.start - 1):
            surname = text[max(sur_start, 0) : sur_start + 2]
            if (
                sur_start >= 0
                and surname in ZH_COMPOUND_SURNAMES
                and sur_start in b.starts
                and 1 <= s.end - sur_start - 2 <= 2
            ):
                spans.append(_span(text, sur_start, s.end, EntityType.NAME))
    return spans


_COMPOUND_ALT = "|".join(sorted(ZH_COMPOUND_SURNAMES, key=len, reverse=True))
_COMPOUND_CUE_RE = re.compile(
    "(?:叫做|名叫|叫(?:我|他|她)?|"
    + "|".join(ZH_NAME_CUES)
    + ")[：:，, ]?(?P<sur>"
    + _COMPOUND_ALT
    + ")"
)
_COMPOUND_DOUBLED_RE = re.compile("(?:" + _COMPOUND_ALT + r")(?P<pair>([\u4e00-\u9fff])\2)(?!\2)")


def _compound_given_end(text: str, g: int, b: _Bounds) -> int | None:
    """End of the 1-2 character given name after a compound surname ending at ``g``."""
    given = ""
    for ch in text[g : g + 2]:
        if not CJK_RE.fullmatch(ch) or ch in _FUNCTION_CHARS or ch in "人地家":
            break
        given += ch
    if len(given) == 2 and given[0] != given[1]:  # 月月 is a pet name, whatever jieba says
        second = b.at(g + 1)
        if second is not None and second.flag.startswith(_FUNCTION_FLAGS):
            given = given[:1]
    if not given or any(text.startswith(title, g) for title in ZH_TITLES):
        return None
    name = text[g - 2 : g + len(given)]
    if name in ZH_NAME_STOPWORDS or _place_word(name):
        return None
    return g + len(given)


_RELATION_RE = re.compile(
    r"(?:和|跟|与|同)(?P<name>[\u4e00-\u9fff]{2,5}?)"
    r"(?:分手|离婚|吵架|吵了|闹翻|冷战|在一起|谈恋爱|恋爱|结婚|订婚|约会|复合|绝交|断了联系|断联|表白)"
)
_DOT_NAME_RE = re.compile(
    r"(?<![《])[\u4e00-\u9fff]{2,6}(?P<dot>[·•・])(?P<rest>[\u4e00-\u9fff]{2,5})"
)
_RELATION_BAD_FLAGS = ("r", "p", "c", "u", "d", "m", "t", "f", "s", "v", "a", "y", "e", "o")
# Characters doubled in pet names though rare in formal given names: 乐乐, 贝贝, 豆豆.
_NICKNAME_CHARS = frozenset("乐贝豆果朵萌糖甜笑欢宝妞胖壮虎毛球团圆美")
# Reduplicated words that are no names: adverbs, kinship terms, baby talk, interjections.
_REDUPLICATED_WORDS = frozenset(
    words(
        """
        常常 天天 刚刚 慢慢 渐渐 偏偏 明明 往往 默默 乖乖 好好 妈妈 爸爸 哥哥 姐姐 弟弟 妹妹 爷爷
        奶奶 姥姥 舅舅 叔叔 伯伯 婶婶 姑姑 宝宝 星星 人人 年年 月月 日日 时时 处处 样样 轻轻 悄悄
        稍稍 仅仅 恰恰 统统 通通 万万 多多 少少 早早 久久 白白 纷纷 连连 频频 匆匆 冷冷 淡淡 高高
        大大 小小 长长 远远 深深 满满 紧紧 稳稳 快快 哈哈 呵呵 嘻嘻 嘿嘿 嗯嗯 啦啦 哦哦 拜拜 谢谢
        试试 看看 想想 说说 走走 聊聊 等等 听听 问问 写写 玩玩 坐坐 歇歇 点点 个个 家家 户户 层层
        步步 声声 句句 条条 件件 次次 回回 夜夜 岁岁 世世 代代 生生 平平 安安稳稳 清清 楚楚 干干
        净净 亮亮 红红 绿绿 蓝蓝 黑黑 白白 暖暖 凉凉 甜甜 香香 软软 硬硬 静静悄悄 分分 秒秒 滴滴
        口口 声声 堂堂 正正 明明白白 实实 在在 往往 恰恰 渐渐 隐隐 微微 略略 草草 匆匆 累累 重重
        源源 滚滚 熊熊 茫茫 芸芸 区区 姗姗 翩翩 楚楚 彬彬 济济 赫赫 冉冉 蒸蒸 欣欣 勃勃 井井
        """
    )
)


def _relation_name_ok(text: str, start: int, end: int, b: _Bounds) -> bool:
    """A name found by 4c: on word boundaries, no relative, pronoun or common word."""
    name = text[start:end]
    glued = start - 1 in b.starts and text[start - 1] in _JOINERS  # 和孟/璟: jieba glued 和
    if not (start in b.starts or glued) or end not in b.ends:
        return False
    if name in ZH_NAME_STOPWORDS or name in ZH_RELATIVES or name.endswith("人"):
        return False
    surname, given = split_name(name)
    if surname and 1 <= len(given) <= 2 and _rare_given(b, start + len(surname), end):
        return True  # 黄/璟
    if name in ZH_NAME_CUES or any(ch in _FUNCTION_CHARS for ch in name):
        return False
    toks = [t for t in b.tokens if start <= t.start and t.end <= end]
    if any(t.word in ZH_RELATIVES or t.word in ZH_NAME_CUES for t in toks):
        return False
    if any(t.flag.startswith(_RELATION_BAD_FLAGS) for t in toks) or is_city_level(name):
        return False
    if len(toks) == 1:  # one word: a name only if jieba says so or it has a name's shape
        return toks[0].flag.startswith(("nr", "nz")) or _full_name_shape(name)
    return any(t.flag.startswith(("nr", "ns", "nz")) for t in toks)


# Strong titles after which even a rarer surname is a surname.
_STRONG_TITLES = (
    "老师",
    "医生",
    "大夫",
    "教练",
    "律师",
    "教授",
    "主任",
    "警官",
    "护士",
    "师傅",
    "校长",
    "院长",
    "经理",
    "总监",
    "书记",
    "阿姨",
    "叔叔",
)
_RARE_TITLE_RE = re.compile(
    "(?P<name>["
    + "".join(sorted(s for s in ZH_SURNAMES if len(s) == 1))
    + "])(?:"
    + "|".join(_STRONG_TITLES)
    + ")"
)
_NOT_SURNAME_BEFORE_TITLE = frozenset(
    "男女新老好小大前原副总主班代该这那各每某本此其和都由但干来国车门花海云心书画琴舞钢声"
)


def _namish(t: Token) -> bool:
    """A token jieba reads as a person's name, or as a place that is no known place."""
    if t.flag.startswith("nr"):
        return True
    return t.flag == "ns" and len(t.word) >= 2 and _is_cjk(t.word) and not _place_word(t.word)


def _proper_name_after(text: str, pos: int, b: _Bounds) -> int | None:
    """End of a name without a Chinese surname right after a cue (我的朋友次仁卓玛,
    同事巴特尔): jieba's person-name token there, possibly after one stray character."""
    tok = b.at(pos)
    if tok is None:
        return None
    cand = [tok]
    nxt = b.at(tok.end)
    if nxt is not None and (
        (len(tok.word) == 1 and tok.word not in _FUNCTION_CHARS and tok.word not in _JOINERS)
        or (_namish(tok) and _namish(nxt) and len(tok.word) + len(nxt.word) <= 4)
    ):
        cand = [tok, nxt]  # 次/仁卓玛, 扎西/顿珠
    last = cand[-1]
    name = text[pos : last.end]
    if (
        _namish(last)
        and 2 <= len(name) <= 4
        and _is_cjk(name)
        and name not in ZH_NAME_STOPWORDS
        and name not in ZH_RELATIVES
        and not name.endswith("人")
        and not any(_place_word(t.word) for t in cand)
        and not _place_word(name)
        and not any(ch in _FUNCTION_CHARS for ch in name)
        and not any(name.startswith(t) or name.endswith(t) for t in ZH_TITLES)
    ):
        return last.end
    return None


def _name_after(text: str, pos: int, b: _Bounds) -> int | None:
    """End of a full name starting at ``pos``, or None."""
    if pos >= len(text) or pos not in b.starts:
        return None
    surname = text[pos : pos + 2] if text[pos : pos + 2] in ZH_COMPOUND_SURNAMES else text[pos]
    if surname not in ZH_SURNAMES:
        return None
    g = pos + len(surname)
    if any(text.startswith(title, g) for title in ZH_TITLES):
        return None  # 我朋友王老师: the title rule handles it
    given = ""
    breaks = _FUNCTION_CHARS if len(surname) == 2 else ZH_NAME_BREAK_CHARS  # 诸葛一诺
    for ch in text[g : g + 2]:
        if not CJK_RE.fullmatch(ch) or ch in breaks or ch in "人地":
            break
        given += ch
    if not given:
        return None
    if len(given) == 2 and not (given[1] in ZH_GIVEN_CHARS or g + 2 in b.ends):
        given = given[:1]
    second = b.at(g + 1)
    if len(given) == 2 and second is not None and second.flag.startswith(_FUNCTION_FLAGS):
        given = given[:1]  # 端木昶|比
    end = g + len(given)
    name = text[pos:end]
    if not (_full_name_shape(name) or _rare_given(b, g, end)):
        return None
    tok = b.single(pos, end)
    if tok is not None and tok.flag.startswith("ns") and not _place_word(name):
        return end  # 毛洋/ns after 朋友: jieba took the name for a place
    if not _not_a_common_word(b, pos, end):
        return None
    return end


def _rare_given(b: _Bounds, start: int, end: int) -> bool:
    """A given name in rare characters that jieba marks as name morphemes (彧/zg, 昶/g)."""
    toks = [t for t in b.tokens if start <= t.start and t.end <= end]
    return (
        bool(toks)
        and toks[0].start == start
        and toks[-1].end == end
        and all(t.flag in ("zg", "g", "ng") or t.flag.startswith("nr") for t in toks)
    )


def _place_word(word: str) -> bool:
    """A city, district or a word ending like a place (省 市 县 区 镇 村 路 街)."""
    return is_city_level(word) or word in ZH_DISTRICTS or word.endswith(tuple("省市县区镇村路街"))


# --------------------------------------------------------------------------- addresses

_FINE_SUFFIXES = (
    "小区",
    "花园",
    "公寓",
    "大厦",
    "大街",
    "大道",
    "街道",
    "社区",
    "新村",
    "家园",
    "广场",
    "胡同",
    "开发区",
    "工业园",
    "科技园",
    "区",
    "县",
    "旗",
    "镇",
    "乡",
    "村",
    "路",
    "街",
    "巷",
    "弄",
    "苑",
    "庄",
    "屯",
    "里",
)
_GENERIC_PLACES = frozenset(
    words(
        """
        郊区 市区 小区 社区 山区 景区 校区 城区 老城区 新区 农村 乡村 乡下 村里 村子 村庄 胡同
        县城 小镇 城镇 乡镇 大道 街区 园区 厂区 住宅区 商业区 开发区 工业园 科技园 宿舍区 生活区
        马路 大街 街道 公园 花园 广场 公寓 大厦 家园 新村 这里 那里 哪里 心里 家里 夜里 梦里 城里
        屋里 这条路 一条路 回家路 道路 出路 思路 退路 网路 套路 走路 上路 半路 后路 来路 马路上
        路上 街上 山村 渔村 地区 片区 禁区 误区 盲区 雷区 舒适区 时区 灾区 牧区 分区 外地 本地
        当地 老家 家乡 故乡
        """
    )
)
_UNITS = ("号楼", "号院", "号", "栋", "幢", "座", "单元", "室", "层", "楼", "门", "排", "弄")
_NUM_RE = re.compile(r"^(?:\d+|[一二三四五六七八九十百零]+)(?:-\d+)?[A-Za-z]?$")


def _place_kind(t: Token) -> str:
    """'city', 'fine', 'named' (proper place word), 'num', 'unit', 'generic' or ''."""
    w = t.word
    if is_city_level(w):
        return "city"
    if w in _GENERIC_PLACES:
        return "generic"
    if _NUM_RE.match(w):
        return "num"
    if w in _UNITS:
        return "unit"
    if re.fullmatch(r"\d+(?:号楼|号院|号|栋|幢|单元|室|层)", w):
        return "fine"
    if w in ZH_DISTRICTS:
        return "fine"
    if len(w) >= 2 and _is_cjk(w) and w.endswith(_FINE_SUFFIXES):
        suffix = next(s for s in _FINE_SUFFIXES if w.endswith(s))
        if suffix == "里" and len(w) < 3:
            return ""  # 店里, 城里, 家里: somewhere, not an address (幸福里 has three)
        if len(w) > len(suffix) and not t.flag.startswith(("v", "d", "a", "r", "p", "t", "m")):
            return "fine"
    if t.flag == "ns" and len(w) >= 2:
        return "named"
    if t.flag.startswith(("nr", "nz")) and len(w) >= 2:
        return "named"
    return ""


_BARE_ROADS = ("路", "街", "巷", "弄", "胡同", "大街", "大道")


def _merge_road_names(toks: Sequence[Token]) -> list[Token]:
    """Join a name and a road word jieba split apart: 人民/n 路/n -> 人民路."""
    out: list[Token] = []
    for t in toks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and t.word in _BARE_ROADS
            and prev.end == t.start
            and len(prev.word) >= 2
            and _is_cjk(prev.word)
            and prev.flag.startswith(("n", "a"))
            and prev.word not in _GENERIC_PLACES
        ):
            out[-1] = Token(prev.word + t.word, "ns", prev.start, t.end)
        else:
            out.append(t)
    return out


def find_zh_addresses(text: str) -> list[Span]:
    """Chinese addresses finer than a city: 朝阳区建国路88号 in 北京市朝阳区建国路88号.

    A run of place tokens (districts, roads, compounds, numbers with 号/栋/单元/室) is an
    address when it has a named fine part (海淀区, 建国路, 阳光小区) or two numbered parts;
    leading provinces and cities stay in the text.

    Args:
        text: Text to scan.

    Returns:
        One span per address.
    """
    toks = _merge_road_names(tokenize(text))
    spans: list[Span] = []
    i = 0
    while i < len(toks):
        kinds: list[str] = []
        j = i
        while j < len(toks):
            kind = _place_kind(toks[j])
            if kind == "" and j + 1 < len(toks) and len(toks[j].word) >= 2:
                nxt_kind = _place_kind(toks[j + 1])
                if (
                    _is_cjk(toks[j].word)
                    and toks[j].word not in ZH_RELATIVES
                    and toks[j].word not in ZH_NAME_CUES
                    and toks[j].flag.startswith(("n", "nr", "nz"))
                    and (toks[j + 1].word in ("小区", "花园", "公寓") or nxt_kind == "fine")
                ):
                    kind = "named"
            if kind == "" or (kind == "city" and any(k != "city" for k in kinds)):
                break
            if toks[j].start != (toks[j - 1].end if j > i else toks[j].start):
                break  # a gap (space) ends the run
            kinds.append(kind)
            j += 1
        if j == i:
            i += 1
            continue
        run = list(zip(toks[i:j], kinds, strict=True))
        while run and run[0][1] in ("city", "generic"):
            run.pop(0)
        while run and run[-1][1] == "generic" and len(run) > 1 and run[-2][1] == "generic":
            run.pop()
        numbered = sum(
            1
            for (t, k), nxt in zip(run, [*run[1:], None], strict=False)
            if k == "num" and nxt is not None and nxt[1] == "unit"
        ) + sum(1 for t, k in run if k == "fine" and t.word[:1].isdigit())
        has_fine = any(k == "fine" and not t.word[:1].isdigit() for t, k in run)
        if run and (has_fine or numbered >= 2):
            while run and run[-1][1] == "num" and len(run) == 1:
                run.pop()
            if run:
                spans.append(_span(text, run[0][0].start, run[-1][0].end, EntityType.ADDRESS))
        i = max(j, i + 1)
    return spans + _chain_addresses(text, toks, [s.start for s in spans])


# A character-level reading of an address, for what jieba splits badly (打/洛镇, 金/桂园,
# 东风/新村): from an anchor (after 住在/地址是/寄到..., after a city, or where the token
# rules found an address) read components left to right, each either a name + a place
# suffix (曼掌村, 玉林西路, 东风新村) or a number + a unit (5栋, 2单元, 308室, 4组), and keep
# the whole chain as one span when it is clearly an address.
_ADDR_CUE_RE = re.compile(
    r"(?:住在|住址(?:是|为|在|：|:)?|(?:家庭|通讯|收货|现|居住)?地址(?:是|为|在|：|:)|家住(?:在)?"
    r"|家在|寄到|寄往|寄去|送到|搬到|搬去|搬进了?|租在|租住在|位于|住进了?|门牌号?(?:是|：|:)?"
    r"|户籍(?:地)?(?:是|在|：|:)|籍贯(?:是|：|:))\s*"
)
_ADDR_CITY_RE = re.compile(r"[\u4e00-\u9fff]{2,6}?(?:特别行政区|自治区|自治州|省|市|盟|地区)")
_ADMIN_SUFFIXES = (
    "自治县",
    "街道",
    "社区",
    "开发区",
    "新区",
    "区",
    "县",
    "旗",
    "镇",
    "乡",
    "村",
    "屯",
)
_ROAD_SUFFIXES = ("大街", "大道", "胡同", "路", "街", "巷", "弄", "里")
_COMPOUND_SUFFIXES = (
    "小区",
    "花园",
    "家园",
    "新村",
    "公寓",
    "大厦",
    "广场",
    "花苑",
    "山庄",
    "庄园",
    "公馆",
    "新城",
    "宿舍区",
    "宿舍",
    "家属院",
    "家属区",
    "家属楼",
    "大院",
    "苑",
    "园",
    "府",
    "邸",
    "湾",
    "坊",
)
_CHAIN_SUFFIXES = tuple(
    sorted({*_ADMIN_SUFFIXES, *_ROAD_SUFFIXES, *_COMPOUND_SUFFIXES}, key=len, reverse=True)
)
# Characters that never sit inside a place name: they end a component's name to the left.
_ADDR_BREAK = frozenset(
    "的了是在我你他她它们这那哪个有就都也还又很去到说着过把被给让从对比等要能想些每各"
    "某几多少吗呢吧啊呀哦嘛离住搬租寄送找跟及或但而且并"
)
# Name parts that make a suffix word generic: 幼儿园, 动物园, 公园 (one character is too
# short anyway), 附近的小区.
_ADDR_NAME_STOP = frozenset(
    words(
        """
        幼儿 动物 植物 游乐 儿童乐 墓 陵 附近 旁边 对面 隔壁 周边 周围 高档 普通 老旧 老破 新建
        城中 城郊 郊区 市区 城里 乡下 农村 老家 外地 本地 当地 同一 一个 这个 那个 学校 单位
        公司 医院
        """
    )
)
_ADDR_NUMBERED_RE = re.compile(
    r"[甲乙丙丁]?(?:\d{1,5}|[零一二三四五六七八九十百〇两]{1,4})(?:[-－]\d{1,4})?[A-Za-z]?"
    r"(?:号楼|号院|号|栋|幢|座|单元|室|层|楼|组|弄|巷|排|户|队|社|门)"
)
# What may follow a street number: 18号附7号, 9号之3, 7号附属楼, 12号后院.
_ADDR_AFTER_NO_RE = re.compile(
    r"[附之](?=[\d一二三四五六七八九十])|附属楼|附楼|副楼|后楼|后院|前院"
)
_ADDR_BARE_NO_RE = re.compile(r"(?:\d{1,4}|[一二三四五六七八九十]{1,3})(?![\d〇零百千万])")
_ADDR_TAIL_NUM_RE = re.compile(r"\d{1,4}(?:-\d{1,4}){0,3}(?=$|[，。,.;；！？!?\s、）)\]])")
_UNIT_BEFORE_BARE = ("号楼", "栋", "幢", "座", "单元", "楼")


_ROAD_AFTER_CITY_RE = re.compile(r"[东西南北中]?(?:路|大街|街|大道|巷)")


def _skip_cities(text: str, pos: int, by_start: dict[int, Token]) -> int:
    """Past any province/city words at ``pos`` (广东省深圳市, 西安市, 北京)."""
    while pos < len(text):
        tok = by_start.get(pos)
        if tok is not None and is_city_level(tok.word):
            if _ROAD_AFTER_CITY_RE.match(text, tok.end):
                break  # 北京东路, 南京路: the city names the road
            pos = tok.end
            continue
        m = _ADDR_CITY_RE.match(text, pos)
        if m and (is_city_level(m.group()) or not m.group().endswith("区")):
            pos = m.end()
            continue
        break
    return pos


def _named_component(text: str, pos: int) -> tuple[int, str] | None:
    """(end, kind) of the longest name + place suffix at ``pos``: kind 'admin', 'road' or
    'compound'."""
    end = pos
    while end < len(text) and end - pos < 14 and CJK_RE.fullmatch(text[end]):
        if text[end] in _ADDR_BREAK:
            break
        end += 1
    for stop in range(end, pos + 2, -1):
        chunk = text[pos:stop]
        suffix = next((sfx for sfx in _CHAIN_SUFFIXES if chunk.endswith(sfx)), None)
        if suffix is None:
            continue
        name = chunk[: -len(suffix)]
        if len(name) < 2 or name in _ADDR_NAME_STOP or chunk in _GENERIC_PLACES:
            continue
        if any(name.endswith(w) for w in _ADDR_NAME_STOP if len(w) >= 2):
            continue
        kind = (
            "admin"
            if suffix in _ADMIN_SUFFIXES
            else "road"
            if suffix in _ROAD_SUFFIXES
            else "compound"
        )
        return stop, kind
    return None


def _read_chain(text: str, pos: int) -> tuple[int, list[str]]:
    """End and component kinds ('admin', 'road', 'compound', 'num') of the chain at ``pos``."""
    kinds: list[str] = []
    last_unit = ""
    while pos < len(text):
        m = _ADDR_NUMBERED_RE.match(text, pos)
        if m:
            kinds.append("num")
            last_unit = next(u for u in (*_UNIT_BEFORE_BARE, "") if m.group().endswith(u))
            pos = m.end()
            tail = _ADDR_AFTER_NO_RE.match(text, pos) if m.group().endswith("号") else None
            if tail and len(tail.group()) > 1:
                pos = tail.end()  # 7号附属楼, 12号后院
            elif tail:  # 18号附7号, 9号之3: the number after 附/之, with or without a unit
                sub = _ADDR_NUMBERED_RE.match(text, tail.end()) or _ADDR_BARE_NO_RE.match(
                    text, tail.end()
                )
                if sub:
                    pos = sub.end()
                    last_unit = ""
            continue
        if kinds and (last_unit or kinds[-1] != "num"):
            m = _ADDR_TAIL_NUM_RE.match(text, pos)  # 2单元501, 阳光小区3-2-501
            if m and (last_unit or "-" in m.group()):
                kinds.append("num")
                pos = m.end()
                break
        found = _named_component(text, pos)
        if found is None:
            break
        pos, kind = found
        kinds.append(kind)
        last_unit = ""
    return pos, kinds


def _chain_addresses(text: str, toks: Sequence[Token], anchors: Sequence[int]) -> list[Span]:
    by_start = {t.start: t for t in toks}
    starts = set(anchors)
    starts.update(m.end() for m in _ADDR_CUE_RE.finditer(text))
    starts.update(
        t.end for t in toks if is_city_level(t.word) and not _ROAD_AFTER_CITY_RE.match(text, t.end)
    )
    spans: list[Span] = []
    for anchor in sorted(starts):
        start = _skip_cities(text, anchor, by_start)
        end, kinds = _read_chain(text, start)
        named = sum(k != "num" for k in kinds)
        numbered = len(kinds) - named
        places = sum(k in ("admin", "road") for k in kinds)
        if (named and numbered) or numbered >= 2 or (named >= 2 and places):
            spans.append(_span(text, start, end, EntityType.ADDRESS))
    return spans


# --------------------------------------------------------------------------- schools and orgs

_SCHOOL_SUFFIXES = (
    "大学附属中学",
    "附属中学",
    "附属小学",
    "实验学校",
    "外国语学校",
    "研究生院",
    "职业技术学院",
    "幼儿园",
    "大学",
    "学院",
    "中学",
    "小学",
    "高中",
    "初中",
    "附中",
    "附小",
    "学校",
    "中专",
    "技校",
    "职高",
    "分校",
)
_ORG_SUFFIXES = (
    "有限责任公司",
    "股份有限公司",
    "有限公司",
    "研究中心",
    "卫生中心",
    "咨询中心",
    "康复中心",
    "医疗中心",
    "治疗中心",
    "委员会",
    "出版社",
    "事务所",
    "工作室",
    "电视台",
    "基金会",
    "研究所",
    "研究院",
    "卫生院",
    "保健院",
    "公司",
    "集团",
    "银行",
    "医院",
    "诊所",
    "律所",
    "工厂",
    "酒店",
    "报社",
    "协会",
    "商场",
    "局",
    "厂",
)
_ALL_SUFFIXES = frozenset((*_SCHOOL_SUFFIXES, *_ORG_SUFFIXES))
_NTH_SCHOOL_RE = re.compile(r"[一二三四五六七八九十]{1,3}中$")
_ORDINAL_RE = re.compile(r"^第?[一二三四五六七八九十百零\d]+$")
# Words that end a school/org name to the left: nothing before them belongs to the name.
_PREFIX_STOP = frozenset(
    words(
        """
        我们 你们 他们 她们 咱们 这 那 这所 那所 一所 一家 这家 那家 某 某个 本地 当地 外地 全国
        附近 原来 以前 现在 之前 后来 市 区 县 省 镇 村 乡 985 211 双一流 一本 二本 三本 本科 专科
        地方 好 新 老 大 小 家 本 该 其他 别的 我 你 他 她 国家 派出所 公安局 法院 检察院 教育局
        民政局 居委会 街道办 中学 大学 小学 学校 医院 公司 银行 重点 名牌 普通 知名 著名 顶尖 一流
        二流 三流 大型 小型 中型 一般 正规 普通高中 职业高中 政府部门
        """
    )
)
# Descriptive words inside a name (外国语学校, 第一人民医院, 心理研究所): they extend a name
# but do not make one; 一所外国语学校 is no school's name.
_DESCRIPTORS = frozenset(
    words(
        """
        寄宿 私立 公立 国际 职业 综合 民办 公办 互联网 科技 游戏 保险 广告 咨询 培训 私人 精神病
        精神 三甲 儿童 肿瘤 心理 妇幼 中医 人民 外资 合资 国有 民营 上市 创业 初创 物流 快递
        房地产 地产 装修 建筑 金融 投资 证券 电商 外贸 贸易 制造 汽车 医药 生物 教育 传媒 文化
        设计 软件 网络 信息 技术 电子 通信 能源 化工 机械 服装 食品 餐饮 旅游 会计 财务 商业 投行
        私募 基金 信托 外包 国企 央企 外企 私企 事业 政府 社区 街道 医科 师范 理工 工业 农业 财经
        政法 艺术 体育 音乐 美术 外国语 语言 警察 军事 护理 卫生 医学 研究 实验 附属 专业 综合性
        公安 税务 中心 总 分
        """
    )
)
_GENERIC_PREFIX = _PREFIX_STOP | _DESCRIPTORS
_PROPER_FLAGS = ("ns", "nr", "nz", "nt", "j", "eng")
_STOP_FLAGS = ("r", "p", "v", "d", "c", "u", "f", "y", "e", "o", "x", "w", "q", "a", "t", "z")


def _name_part(t: Token) -> str:
    """How a token before a school/org suffix counts: 'named', 'part' or '' (stop)."""
    w = t.word
    if w in _PREFIX_STOP:
        return ""
    if w in _DESCRIPTORS:
        return "part"
    if _ORDINAL_RE.match(w):
        return "named"
    if is_city_level(w):
        from counselsim.privacy.lexicon import ZH_COUNTRIES, ZH_REGIONS

        core = w.removesuffix("市").removesuffix("省")
        return "part" if core in ZH_COUNTRIES or core in ZH_REGIONS else "named"
    if t.flag.startswith(_PROPER_FLAGS):
        return "named"
    if t.flag.startswith(("n", "vn", "m")) and not t.flag.startswith("ns") and _is_cjk(w):
        return "named" if t.flag != "m" else ""
    if t.flag.startswith(_STOP_FLAGS):
        return ""
    return ""


def _suffix_of(word: str) -> tuple[str, EntityType] | None:
    for suffix in _SCHOOL_SUFFIXES:
        if word.endswith(suffix):
            return suffix, EntityType.SCHOOL
    if _NTH_SCHOOL_RE.search(word) and len(word) >= 3:
        return _NTH_SCHOOL_RE.search(word).group(), EntityType.SCHOOL  # type: ignore[union-attr]
    for suffix in _ORG_SUFFIXES:
        if word.endswith(suffix):
            return suffix, EntityType.ORG
    return None


def find_zh_institutions(text: str) -> list[Span]:
    """Schools (清华大学附属中学, 衡水中学, 北京四中) and organisations (华为技术有限公司,
    北京协和医院, 中科院心理研究所): a proper-name prefix plus a school/org suffix.

    A bare suffix word (上大学, 在读初中, 大学生, 我们公司, 一家医院) has no proper prefix
    and survives.

    Args:
        text: Text to scan.

    Returns:
        One span per school or organisation.
    """
    toks = _institution_tokens(tokenize(text))
    spans: list[Span] = []
    for t in toks:  # 成都/七/中: a city and a numbered school, whatever jieba made of it
        m = _CITY_NTH_RE.match(text, t.end)
        if m and is_city_level(t.word) and not t.word.endswith("省"):
            spans.append(_span(text, t.start, m.end(), EntityType.SCHOOL))
    for i, t in enumerate(toks):
        found = _suffix_of(t.word)
        if found is None:
            prev = toks[i - 1] if i else None
            if (  # 太原/五中: a city and a numbered school
                prev is not None
                and prev.end == t.start
                and _NTH_SCHOOL_RE.fullmatch(t.word)
                and is_city_level(prev.word)
            ):
                spans.append(_span(text, prev.start, t.end, EntityType.SCHOOL))
            continue
        suffix, etype = found
        inner = t.word[: -len(suffix)]
        named = bool(inner) and inner not in _GENERIC_PREFIX and len(t.word) > len(suffix)
        if named and len(inner) == 1 and not _NTH_SCHOOL_RE.search(t.word):
            named = t.flag.startswith(_PROPER_FLAGS)
        start = t.start
        j = i - 1
        while j >= 0 and toks[j].end == start and t.end - toks[j].start <= 16:
            part = _name_part(toks[j])
            if (
                not part
                and j > 0
                and start == t.start
                and len(toks[j].word) == 2
                and toks[j].flag in ("v", "a", "an", "vn")
                and toks[j - 1].end == toks[j].start
                and is_city_level(toks[j - 1].word)
                and toks[j].word not in _PREFIX_STOP
            ):
                part = "named"  # 北京/安定/医院: city + a word jieba reads as a verb + suffix
            if not part:
                break
            named = named or part == "named"
            start = toks[j].start
            j -= 1
        if not named or (start == t.start and not inner):
            continue
        # trailing units of the same body: 北京大学 + 第六医院, 清华大学 + 附属中学
        end = t.end
        k = i + 1
        while k < len(toks) and toks[k].start == end:
            nxt = _suffix_of(toks[k].word)
            if nxt is not None and (toks[k].word == nxt[0] or toks[k].word.startswith("附属")):
                end, etype = toks[k].end, nxt[1]
                k += 1
            elif _ORDINAL_RE.match(toks[k].word) and k + 1 < len(toks):
                nxt2 = _suffix_of(toks[k + 1].word)
                if nxt2 is None:
                    break
                end, etype = toks[k + 1].end, nxt2[1]
                k += 2
            else:
                break
        if text[start:end] in _GENERIC_PREFIX:
            continue
        spans.append(_span(text, start, end, etype))
    return spans


_CITY_NTH_RE = re.compile(r"[一二三四五六七八九十]{1,3}中(?![学文国心间午期途旬层部等医药餐华全])")
# Words jieba glues onto a suffix (大学毕业, 中学读书): split so the suffix ends a token.
_AFTER_SUFFIX = frozenset(
    words("毕业 读书 上学 教书 任教 就读 念书 上班 工作 实习 附近 门口 旁边 对面 看病 住院 复读")
)


def _institution_tokens(toks: Sequence[Token]) -> list[Token]:
    """Tokens re-cut for the school/org rules: 大学毕业 -> 大学 + 毕业, and two tokens that
    together make a suffix (卫生 + 中心) -> one."""
    split: list[Token] = []
    for t in toks:
        suffix = next(
            (x for x in (*_SCHOOL_SUFFIXES, *_ORG_SUFFIXES) if t.word.startswith(x)), None
        )
        if suffix and t.word[len(suffix) :] in _AFTER_SUFFIX:
            cut = t.start + len(suffix)
            split.append(Token(suffix, "n", t.start, cut))
            split.append(Token(t.word[len(suffix) :], "v", cut, t.end))
        else:
            split.append(t)
    out: list[Token] = []
    for t in split:
        prev = out[-1] if out else None
        joined = prev.word + t.word if prev is not None and prev.end == t.start else ""
        if prev is not None and joined and len(joined) >= 3 and joined in _ALL_SUFFIXES:
            out[-1] = Token(joined, "n", prev.start, t.end)
        else:
            out.append(t)
    return out


_EMPLOY_RE = re.compile(
    r"(?:在|去|进了?|入职了?|就职于|任职于|供职于|跳槽到|跳槽去|加入了?)"
    r"(?P<org>[\u4e00-\u9fffA-Za-z0-9&]{2,12}?(?:公司|集团)?)"
    r"(?=上班|工作|实习|任职|打工|干活|做|当|上岗|的时候)"
)
# More employment cues, with the organisation's suffix kept: 被晨光文具裁员, 我是攀钢集团的客服,
# 从蓝鲸互娱离职.
_ROLES = (
    "员工|职员|客服|销售|程序员|工程师|设计师|会计|出纳|经理|主管|实习生|前台|HR|hr|司机|保安|店员"
    "|收银员|骑手|快递员|财务|文员|运营|产品经理|技术员|工人|老员工|新人|合同工|外包"
)
_EMPLOY_MORE_RE = re.compile(
    r"(?:被(?P<o1>[\u4e00-\u9fffA-Za-z0-9&]{2,12}?)"
    r"(?=裁员|裁掉|辞退|开除|解雇|解聘|录用|劝退|优化|炒了|炒鱿鱼)"
    rf"|(?:是|在|去了?|进了?)(?P<o2>[\u4e00-\u9fffA-Za-z0-9&]{{2,12}}?)的(?={_ROLES})"
    r"|(?:从|离开了?)(?P<o3>[\u4e00-\u9fffA-Za-z0-9&]{2,12}?)(?=离职|辞职|跳槽|出来以后|出来后))"
)
# POS flags that never occur inside an organisation's name.
_NON_ORG_FLAGS = ("r", "p", "c", "u", "d", "m", "q", "t", "f", "s", "y", "e", "o", "z", "ad")


def _employer_ok(text: str, start: int, end: int, b: _Bounds, strong: bool) -> bool:
    """Whether ``text[start:end]`` (after an employment cue) names an organisation.

    A known employer or a single proper-name token always does; with ``strong`` cues, so
    does a run of two or three plain tokens (晨光/文具, 蓝鲸/互娱) that are not all generic
    workplace words (物流/公司, 医院/食堂) and carry no pronoun, number, time or place flags.
    """
    org = text[start:end]
    if start not in b.starts or end not in b.ends or len(org) < 2:
        return False
    if is_city_level(org) or org in _GENERIC_PREFIX or org in _GENERIC_PLACES:
        return False
    if org in ZH_EMPLOYERS:
        return True
    tok = b.single(start, end)
    if tok is not None:
        proper = tok.flag.startswith(("nt", "nz", "nrt", "j", "eng")) or tok.word.isascii()
        if strong and not proper and len(org) >= 4:  # 平安保险: a name + a line of business
            tail = next((d for d in _DESCRIPTORS | _ALL_SUFFIXES if org.endswith(d)), "")
            head = org[: -len(tail)] if tail else ""
            proper = len(head) >= 2 and head not in _GENERIC_PREFIX and not is_city_level(head)
        return proper and org[:1] not in "这那一某"
    toks = [t for t in b.tokens if start <= t.start and t.end <= end]
    if not strong or not 2 <= len(toks) <= 3 or len(org) > 10 or org[:1] in "这那一某":
        return False
    if _full_name_shape(org) or org in ZH_NAME_STOPWORDS:
        return False
    generic = 0
    for t in toks:
        if t.flag.startswith(_NON_ORG_FLAGS) or t.word in ZH_NAME_CUES or is_city_level(t.word):
            return False
        if t.word in ZH_RELATIVES:
            return False
        if (
            t.word in _GENERIC_PREFIX
            or t.word in _GENERIC_PLACES
            or t.word in ZH_WORKPLACE_WORDS
            or (_suffix_of(t.word) is not None and len(t.word) <= 2)
        ):
            generic += 1
    return generic < len(toks)


def find_zh_employers(text: str) -> list[Span]:
    """Employers named after an employment cue: 在腾讯上班, 在字节跳动工作, 入职了Google,
    被晨光文具裁员, 我是攀钢集团的客服, 从蓝鲸互娱离职.

    The name must be a known employer, a single proper-name token (jieba nt/nz/nrt or an
    ASCII name) or a short run of plain words that are not all generic (晨光文具, but not
    物流公司 or 医院食堂); cities (在北京工作), relatives (被老板开除) and generic workplaces
    (在医院工作, 被公司裁员) survive.

    Args:
        text: Text to scan.

    Returns:
        One span per employer.
    """
    toks = tokenize(text)
    if not toks:
        return []
    b = _Bounds(toks)
    spans: list[Span] = []
    found: list[tuple[int, int]] = []
    for m in _EMPLOY_RE.finditer(text):
        found.append(m.span("org"))
    for m in _EMPLOY_MORE_RE.finditer(text):
        group = next(g for g in ("o1", "o2", "o3") if m.group(g) is not None)
        found.append(m.span(group))
    for start, end in found:
        # leading city-level words stay: 在北京腾讯上班 -> 腾讯
        for t in toks:
            if t.start == start and t.end < end and is_city_level(t.word):
                start = t.end
        if _employer_ok(text, start, end, b, strong=True):
            spans.append(_span(text, start, end, EntityType.ORG))
    return spans


ZH_DETECTORS = (find_zh_names, find_zh_addresses, find_zh_institutions, find_zh_employers)
