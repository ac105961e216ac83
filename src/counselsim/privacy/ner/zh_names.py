"""Chinese person names in six passes, each a small function over the jieba tokens.

1. :func:`_word_names`: a word with a name's shape (王芳, 陈宇航; 和婷婷 -> 婷婷);
2. :func:`_titled_surnames`: the surname before a title (王老师 -> 王; the title stays);
3. :func:`_nicknames`: 小王, 老张, 阿坤 and doubled pet names (婷婷, 佳佳);
4. :func:`_cued_names`: what the context announces (我叫…, 我朋友…, 我妹妹…, 她姓李,
   和…分手): full names, names without a Chinese surname and a relative's lone given name;
5. :func:`_dotted_names`: transliterated names with a middle dot (买买提·艾力);
6. :func:`_compound_surnames`: 欧阳/司马/诸葛… joined to the given name after them.

jieba proposes (nr = person), the shape tests of :mod:`.zh_name_shapes` and the word lists
decide; every character rule starts and ends on a token boundary. Nothing here logs text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from counselsim.privacy.lexicon import (
    ZH_COMMON_SURNAMES,
    ZH_COMPOUND_SURNAMES,
    ZH_FEMALE_GIVEN,
    ZH_GIVEN_CHARS,
    ZH_MALE_GIVEN,
    ZH_NAME_BREAK_CHARS,
    ZH_NAME_CUES,
    ZH_NAME_STOPWORDS,
    ZH_RELATIVES,
    ZH_SURNAMES,
    ZH_TITLES,
    words,
)
from counselsim.privacy.ner.zh_name_shapes import (
    FUNCTION_CHARS,
    JOINERS,
    compound_given_end,
    full_name_shape,
    name_after,
    nickname_shape,
    not_a_common_word,
    place_word,
    proper_name_after,
    relation_name_ok,
)
from counselsim.privacy.ner.zh_tokens import Bounds, Token, is_cjk, tokenize
from counselsim.privacy.spans import EntityType, Span, make_span

_SURNAME_ALT = (
    "|".join(sorted(ZH_COMPOUND_SURNAMES, key=len, reverse=True))
    + "|["
    + "".join(sorted(ZH_COMMON_SURNAMES))
    + "]"
)
_TITLE_RE = re.compile(f"(?P<name>{_SURNAME_ALT})(?P<title>{'|'.join(ZH_TITLES)})")
# Strong titles after which even a rarer surname is a surname (佘老师, 麻医生).
_STRONG_TITLES = words("老师 医生 大夫 教练 律师 教授 主任 警官 护士 师傅 校长 院长 经理 总监 书记")
_RARE_TITLE_RE = re.compile(
    "(?P<name>["
    + "".join(sorted(s for s in ZH_SURNAMES if len(s) == 1))
    + "])(?:"
    + "|".join([*_STRONG_TITLES, "阿姨", "叔叔"])
    + ")"
)
# Characters that are surnames in the lists but before a title mostly mean something else.
_NOT_SURNAME_BEFORE_TITLE = frozenset(
    "男女新老好小大前原副总主班代该这那各每某本此其和都由但干来国车门花海云心书画琴舞钢声"
)
_NICK_RE = re.compile("[小老阿][" + "".join(sorted(ZH_COMMON_SURNAMES)) + "]")
_SURNAME_ONLY_RE = re.compile(
    f"(?<![百])姓(?P<name>{_SURNAME_ALT})" + r"(?=$|[，。,.！？!?、；;：:\s”\"）)]|的)"
)
# Kinship words after which a lone given name is a relative's name (我妹妹婷婷).
_KIN = frozenset(words("外甥 外甥女 侄子 侄女 孙子 孙女 小姨 小舅 表妹 表弟 堂妹 堂弟")) | (
    ZH_RELATIVES - frozenset(words("别人 大人 家人 亲人 家里人 父母 亲戚 老师 领导 上司 老板"))
)
_NAME_CUES = frozenset(ZH_NAME_CUES) - {"我是"}
_CUES = sorted({*ZH_NAME_CUES, *_KIN}, key=len, reverse=True)
_CUE_RE = re.compile("(?:" + "|".join(_CUES) + ")[：:，, ]?")
_RELATION_RE = re.compile(
    r"(?:和|跟|与|同)(?P<name>[\u4e00-\u9fff]{2,5}?)"
    r"(?:分手|离婚|吵架|吵了|闹翻|冷战|在一起|谈恋爱|恋爱|结婚|订婚|约会|复合|绝交|断了联系|断联|表白)"
)
_DOT_NAME_RE = re.compile(
    r"(?<![《])[\u4e00-\u9fff]{2,6}(?P<dot>[·•・])(?P<rest>[\u4e00-\u9fff]{2,5})"
)
_COMPOUND_ALT = "|".join(sorted(ZH_COMPOUND_SURNAMES, key=len, reverse=True))
_COMPOUND_CUE_RE = re.compile(
    f"(?:叫做|名叫|叫(?:我|他|她)?|{'|'.join(ZH_NAME_CUES)})[：:，, ]?(?P<sur>{_COMPOUND_ALT})"
)
_COMPOUND_DOUBLED_RE = re.compile(f"(?:{_COMPOUND_ALT})" + r"(?P<pair>([\u4e00-\u9fff])\2)(?!\2)")
_GIVEN_NAMES = frozenset(ZH_MALE_GIVEN) | frozenset(ZH_FEMALE_GIVEN)
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
        步步 声声 句句 条条 件件 次次 回回 夜夜 岁岁 世世 代代 生生 平平 清清 楚楚 干干
        净净 亮亮 红红 绿绿 蓝蓝 黑黑 暖暖 凉凉 甜甜 香香 软软 硬硬 分分 秒秒 滴滴
        口口 堂堂 正正 实实 在在 隐隐 微微 略略 草草 累累 重重
        源源 滚滚 熊熊 茫茫 芸芸 区区 姗姗 翩翩 彬彬 济济 赫赫 冉冉 蒸蒸 欣欣 勃勃 井井
        """
    )
)
# POS flags that never start or end a relative's lone given name.
_NOT_GIVEN_FLAGS = ("t", "m", "q", "p", "c", "u", "r", "f", "v", "y", "nt", "s", "d", "ad")


@dataclass(frozen=True)
class _Ctx:
    """One text with its tokens, as every pass sees it."""

    text: str
    toks: tuple[Token, ...]
    b: Bounds
    title_starts: frozenset[int]

    def span(self, start: int, end: int) -> Span:
        return make_span(self.text, start, end, EntityType.NAME)


def find_zh_names(text: str) -> list[Span]:
    """Chinese person names: full names, nicknames (小王, 老张, 阿强), a relative's given
    name and the surname before a title (王老师 -> 王, so the title survives).

    Args:
        text: Text to scan.

    Returns:
        One span per name occurrence (overlaps are resolved later).
    """
    toks = tokenize(text)
    if not toks:
        return []
    b = Bounds(toks)
    titles = frozenset(m.start() for m in _TITLE_RE.finditer(text) if b.aligned(*m.span()))
    c = _Ctx(text, toks, b, titles)
    passes: tuple[Callable[[_Ctx], list[Span]], ...] = (
        _word_names,
        _titled_surnames,
        _nicknames,
        _cued_names,
        _dotted_names,
    )
    spans = [s for run in passes for s in run(c)]
    return spans + _compound_surnames(c, spans)


def _word_names(c: _Ctx) -> list[Span]:
    """A word that is a name by its shape: a person-name token from jieba that has a name's
    shape (jieba alone over-fires: 小时, 高兴), or a common surname plus a given name from
    the dictionaries on word boundaries (jieba alone under-fires on rarer names)."""
    spans = []
    for i, t in enumerate(c.toks):
        if not t.flag.startswith(("nr", "nrfg")) or t.start in c.title_starts:
            continue
        if len(t.word) >= 3 and t.word[0] in JOINERS:  # 和婷婷: jieba glued "and" on
            if full_name_shape(t.word[1:]) or nickname_shape(t.word[1:]):
                spans.append(c.span(t.start + 1, t.end))
        elif full_name_shape(t.word) or nickname_shape(t.word):
            spans.append(c.span(t.start, t.end))
        elif len(t.word) == 1 and t.word in ZH_SURNAMES and i + 1 < len(c.toks):
            nxt = c.toks[i + 1]  # jieba sometimes splits: 陈/nr 宇航/nr
            if (
                nxt.start == t.end
                and nxt.flag.startswith("n")
                and nxt.flag != "ns"
                and full_name_shape(t.word + nxt.word)
                and nxt.word not in ZH_NAME_STOPWORDS
            ):
                spans.append(c.span(t.start, nxt.end))
    return spans + [c.span(s, e) for s, e in _dictionary_names(c)]


def _dictionary_names(c: _Ctx) -> list[tuple[int, int]]:
    """(start, end) of a surname + a dictionary given name on word boundaries."""
    found = []
    for start in sorted(c.b.starts):
        for surnames in (ZH_COMPOUND_SURNAMES, ZH_COMMON_SURNAMES):
            g = start + (2 if surnames is ZH_COMPOUND_SURNAMES else 1)
            if c.text[start:g] not in surnames:
                continue
            end = next((g + n for n in (2, 1) if _dictionary_given(c, start, g, g + n)), None)
            if end is not None:
                found.append((start, end))
    return found


def _dictionary_given(c: _Ctx, start: int, g: int, end: int) -> bool:
    return (
        len(c.text[g:end]) == end - g
        and c.text[g:end] in _GIVEN_NAMES
        and end in c.b.ends
        and c.text[start:end] not in ZH_NAME_STOPWORDS
        and end not in c.title_starts
        and not_a_common_word(c.b, start, end)
    )


def _titled_surnames(c: _Ctx) -> list[Span]:
    """The surname before a title (王老师, 李总): only the surname is masked. A rarer
    surname counts before a strong professional title when jieba reads it as a name
    character (佘老师, 麻医生; not 班老师, 新老师, 都老师好)."""
    b, spans = c.b, []
    for m in _TITLE_RE.finditer(c.text):
        on_words = b.aligned(*m.span()) or (
            m.start() in b.starts and m.end("name") in b.ends and m.end() in b.ends
        )
        if on_words and m.group() not in ZH_NAME_STOPWORDS:
            spans.append(c.span(*m.span("name")))
    for m in _RARE_TITLE_RE.finditer(c.text):
        tok = b.single(m.start(), m.start() + 1)
        if (
            tok is not None
            and tok.flag.startswith(("nr", "zg", "ng", "n"))
            and m.end() in b.ends
            and m.group("name") not in _NOT_SURNAME_BEFORE_TITLE
        ):
            spans.append(c.span(m.start(), m.start() + 1))
    return spans


def _nicknames(c: _Ctx) -> list[Span]:
    """Nicknames as words of their own: 小/老 + a common surname (小王, 老张), 阿 + a
    given-name character (阿坤, 阿珍) and doubled given-name characters (婷婷, 佳佳; not the
    reduplicated words 常常, 妈妈)."""
    text, b, spans = c.text, c.b, []
    for t in c.toks:
        nick = len(t.word) == 2 and t.word[0] == "阿" and is_cjk(t.word)
        if nick and (nickname_shape(t.word) or t.word[1] in _NICKNAME_CHARS):
            spans.append(c.span(t.start, t.end))
    for m in _NICK_RE.finditer(text):
        if b.aligned(*m.span()) and m.group() not in ZH_NAME_STOPWORDS:
            spans.append(c.span(*m.span()))
    for i in range(len(text) - 1):
        pair = text[i : i + 2]
        if (
            _pet_pair(pair)
            and text[i - 1 : i] != pair[0]
            and text[i + 2 : i + 3] != pair[0]
            and (b.single(i, i + 2) is not None or b.aligned(i, i + 2))
        ):
            spans.append(c.span(i, i + 2))
    return spans


def _pet_pair(pair: str) -> bool:
    """Two equal given-name characters that make no ordinary reduplicated word."""
    return (
        pair[0] == pair[1]
        and (pair[0] in ZH_GIVEN_CHARS or pair[0] in _NICKNAME_CHARS)
        and pair not in _REDUPLICATED_WORDS
        and pair not in ZH_NAME_STOPWORDS
    )


def _cued_names(c: _Ctx) -> list[Span]:
    """Names the context announces: a surname alone after 姓 (她姓李); after a cue (我叫,
    我朋友, 我妹妹) a full name, a name without a Chinese surname (次仁卓玛, 巴特尔) or a
    relative's lone given name (我妹妹婷婷, 我弟弟俊豪); and a name before a relationship
    verb (我和乌兰托娅分手了)."""
    text, b = c.text, c.b
    spans = [c.span(*m.span("name")) for m in _SURNAME_ONLY_RE.finditer(text)]
    for m in _CUE_RE.finditer(text):
        cue = m.group().rstrip("：:，, ")
        end = None
        if cue in _NAME_CUES or cue == "我是":  # not after 奶奶 or 母亲：(a speaker label)
            end = name_after(text, m.end(), b)
        if end is None and cue in _NAME_CUES:  # 我是拉萨人: no name
            end = proper_name_after(text, m.end(), b) or _given_after(c, m.end())
        elif end is None and cue in _KIN:  # 我妹妹婷婷
            end = _given_after(c, m.end())
        if end is not None:
            spans.append(c.span(m.end(), end))
    for m in _RELATION_RE.finditer(text):
        if relation_name_ok(text, *m.span("name"), b):
            spans.append(c.span(*m.span("name")))
    return spans


def _given_after(c: _Ctx, pos: int) -> int | None:
    """End of a two-character given name standing alone at ``pos`` (after a kinship or
    name cue): a word of given-name characters that is no time, number, verb or function
    word, no relative and no place."""
    end = pos + 2
    name = c.text[pos:end]
    if not c.b.aligned(pos, end) or not is_cjk(name) or len(name) != 2:
        return None
    if name in ZH_NAME_STOPWORDS or name in ZH_RELATIVES or name in _REDUPLICATED_WORDS:
        return None
    if any(ch in ZH_NAME_BREAK_CHARS or ch in FUNCTION_CHARS for ch in name):
        return None
    if not all(ch in ZH_GIVEN_CHARS or ch in _NICKNAME_CHARS for ch in name):
        return None
    if any(t.flag.startswith(_NOT_GIVEN_FLAGS) for t in c.b.within(pos, end)):
        return None
    return None if place_word(name) else end


def _dotted_names(c: _Ctx) -> list[Span]:
    """Transliterated names with a middle dot (买买提·艾力, 阿迪力·吾守尔): the words jieba
    ends at the dot, back to a cue or a function word (我朋友|热合/曼), and after it up to a
    function word (艾力|是我同学) or a verb (热合曼|吵架)."""
    spans = []
    for m in _DOT_NAME_RE.finditer(c.text):
        start = _dotted_start(c, m.start("dot"))
        if m.start("dot") - start >= 2:
            spans.append(c.span(start, _dotted_end(c, m.start("rest"), m.end())))
    return spans


def _dotted_start(c: _Ctx, dot: int) -> int:
    start = dot
    for t in reversed([t for t in c.toks if t.end <= dot]):
        if t.end != start or dot - t.start > 6:
            break
        if t.word in ZH_NAME_CUES or t.word in ZH_RELATIVES or t.word in ZH_NAME_STOPWORDS:
            break
        if t.flag.startswith(("r", "p", "u", "c", "d")) or not is_cjk(t.word):
            break
        start = t.start
    return start


def _dotted_end(c: _Ctx, rest: int, limit: int) -> int:
    end = rest + 1
    while end < limit and c.text[end] not in ZH_NAME_BREAK_CHARS:
        tok = c.b.at(end)
        if (
            end - rest >= 2
            and tok is not None
            and len(tok.word) >= 2
            and tok.flag.startswith(("v", "d", "p", "c", "r", "u", "m", "t", "f", "y"))
        ):
            break
        end += 1
    return end


def _compound_surnames(c: _Ctx, found: list[Span]) -> list[Span]:
    """Compound surnames (欧阳, 司马, 诸葛…): after 叫/名叫 or a name cue, the surname and the
    next one or two characters are a name even when the given name is unusual (诸葛一诺);
    a doubled pet given name after one is a name (欧阳冰冰); and a given name found by the
    other passes takes the compound surname right before it (长孙 + 子涵)."""
    text, b, spans = c.text, c.b, []
    for m in _COMPOUND_CUE_RE.finditer(text):
        given_end = compound_given_end(text, m.end("sur"), b)
        if given_end is not None:
            spans.append(c.span(m.start("sur"), given_end))
    for m in _COMPOUND_DOUBLED_RE.finditer(text):
        pair = m.group("pair")
        if (
            m.start() in b.starts
            and pair not in _REDUPLICATED_WORDS
            and pair[0] not in FUNCTION_CHARS
        ):
            spans.append(c.span(*m.span()))
    for s in [*found, *spans]:
        for sur_start in (s.start - 2, s.start - 1):
            if (
                sur_start >= 0
                and text[sur_start : sur_start + 2] in ZH_COMPOUND_SURNAMES
                and sur_start in b.starts
                and 1 <= s.end - sur_start - 2 <= 2
            ):
                spans.append(c.span(sur_start, s.end))
    return spans
