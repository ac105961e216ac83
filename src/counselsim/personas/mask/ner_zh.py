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

from counselsim.personas.mask.lexicon import (
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
    ZH_SURNAMES,
    ZH_TITLES,
    is_city_level,
    words,
)
from counselsim.personas.mask.rules import EntityType, Span

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
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
    if not _CJK_RE.search(text):
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
    return bool(s) and all(_CJK_RE.fullmatch(ch) for ch in s)


class _Bounds:
    """Token boundaries of a text, for 'does this match start/end on a word' checks."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.starts = {t.start for t in tokens}
        self.ends = {t.end for t in tokens}
        self._by_start = {t.start: t for t in tokens}

    def aligned(self, start: int, end: int) -> bool:
        return start in self.starts and end in self.ends

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
    if any(ch in ZH_NAME_BREAK_CHARS for ch in given):
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

    # 3. nicknames from a common surname: 小王, 老张 (a word of their own)
    for m in _NICK_RE.finditer(text):
        if b.aligned(m.start(), m.end()) and m.group() not in ZH_NAME_STOPWORDS:
            spans.append(_span(text, m.start(), m.end(), EntityType.NAME))

    # 4a. a surname given on its own: 她姓李。
    for m in _SURNAME_ONLY_RE.finditer(text):
        spans.append(_span(text, m.start("name"), m.end("name"), EntityType.NAME))

    # 4b. a name right after a cue: 我叫王芳, 我朋友陈宇航说
    for m in _CUE_RE.finditer(text):
        found = _name_after(text, m.end(), b)
        if found is not None:
            spans.append(_span(text, m.end(), found, EntityType.NAME))

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
    return spans


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
    for ch in text[g : g + 2]:
        if not _CJK_RE.fullmatch(ch) or ch in ZH_NAME_BREAK_CHARS or ch in "人地":
            break
        given += ch
    if not given:
        return None
    if len(given) == 2 and not (given[1] in ZH_GIVEN_CHARS or g + 2 in b.ends):
        given = given[:1]
    end = g + len(given)
    name = text[pos:end]
    if not _full_name_shape(name) or not _not_a_common_word(b, pos, end):
        return None
    return end


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
        from counselsim.personas.mask.lexicon import ZH_COUNTRIES, ZH_REGIONS

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
    toks = tokenize(text)
    spans: list[Span] = []
    for i, t in enumerate(toks):
        found = _suffix_of(t.word)
        if found is None:
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


_EMPLOY_RE = re.compile(
    r"(?:在|去|进了?|入职了?|就职于|任职于|供职于|跳槽到|跳槽去|加入了?)"
    r"(?P<org>[\u4e00-\u9fffA-Za-z0-9&]{2,12}?)"
    r"(?:公司|集团)?(?=上班|工作|实习|任职|打工|干活|做|当|上岗|的时候)"
)


def find_zh_employers(text: str) -> list[Span]:
    """Employers named after an employment cue: 在腾讯上班, 在字节跳动工作, 入职了Google.

    The name must be a known employer or a single proper-name token (jieba nt/nz/nrt or an
    ASCII name); cities (在北京工作) and generic workplaces (在医院工作) survive.

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
    for m in _EMPLOY_RE.finditer(text):
        start, end = m.span("org")
        # leading city-level words stay: 在北京腾讯上班 -> 腾讯
        for t in toks:
            if t.start == start and t.end < end and is_city_level(t.word):
                start = t.end
        org = text[start:end]
        if start not in b.starts or end not in b.ends or len(org) < 2:
            continue
        if is_city_level(org) or org in _GENERIC_PREFIX or org in _GENERIC_PLACES:
            continue
        tok = b.single(start, end)
        proper = tok is not None and (
            tok.flag.startswith(("nt", "nz", "nrt", "j", "eng")) or tok.word.isascii()
        )
        if org in ZH_EMPLOYERS or (proper and org[:1] not in "这那一某"):
            spans.append(_span(text, start, end, EntityType.ORG))
    return spans


ZH_DETECTORS = (find_zh_names, find_zh_addresses, find_zh_institutions, find_zh_employers)
