"""Chinese addresses finer than a city: 朝阳区建国路88号 in 北京市朝阳区建国路88号.

Two passes, each a small function:

- :func:`_token_addresses` reads runs of jieba place tokens (districts, roads, compounds,
  numbers with 号/栋/单元/室): what jieba segments well;
- :func:`_chain_addresses` reads characters from an anchor (after 住在/地址是/寄到, after a
  city, or where the first pass found an address), component by component (a name + a place
  suffix, or a number + a unit): what jieba splits badly (打/洛镇, 金/桂园, 东风/新村).

Provinces and cities stay in the text. Nothing here logs text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from counselsim.privacy.lexicon import (
    ZH_DISTRICTS,
    ZH_NAME_CUES,
    ZH_RELATIVES,
    is_city_level,
    words,
)
from counselsim.privacy.ner.zh_tokens import Token, is_cjk, tokenize
from counselsim.privacy.spans import CJK_RE, EntityType, Span, make_span

FINE_SUFFIXES = tuple(
    words(
        """
        小区 花园 公寓 大厦 大街 大道 街道 社区 新村 家园 广场 胡同 开发区 工业园 科技园 区 县
        旗 镇 乡 村 路 街 巷 弄 苑 庄 屯 里
        """
    )
)
GENERIC_PLACES = frozenset(
    words(
        """
        郊区 市区 小区 社区 山区 景区 校区 城区 老城区 新区 农村 乡村 乡下 村里 村子 村庄 胡同
        县城 小镇 城镇 乡镇 大道 街区 园区 厂区 住宅区 商业区 开发区 工业园 科技园 宿舍区 生活区
        马路 大街 街道 公园 花园 广场 公寓 大厦 家园 新村 这里 那里 哪里 心里 家里 夜里 梦里
        城里 屋里 这条路 一条路 回家路 道路 出路 思路 退路 网路 套路 走路 上路 半路 后路 来路
        马路上 路上 街上 山村 渔村 地区 片区 禁区 误区 盲区 雷区 舒适区 时区 灾区 牧区 分区 外地
        本地 当地 老家 家乡 故乡
        """
    )
)
UNITS = ("号楼", "号院", "号", "栋", "幢", "座", "单元", "室", "层", "楼", "门", "排", "弄")
_NUM_RE = re.compile(r"^(?:\d+|[一二三四五六七八九十百零]+)(?:-\d+)?[A-Za-z]?$")


def _place_kind(t: Token) -> str:
    """'city', 'fine', 'named' (proper place word), 'num', 'unit', 'generic' or ''."""
    w = t.word
    if is_city_level(w):
        return "city"
    if w in GENERIC_PLACES:
        return "generic"
    if _NUM_RE.match(w):
        return "num"
    if w in UNITS:
        return "unit"
    if re.fullmatch(r"\d+(?:号楼|号院|号|栋|幢|单元|室|层)", w):
        return "fine"
    if w in ZH_DISTRICTS:
        return "fine"
    if len(w) >= 2 and is_cjk(w) and w.endswith(FINE_SUFFIXES):
        suffix = next(s for s in FINE_SUFFIXES if w.endswith(s))
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
            and is_cjk(prev.word)
            and prev.flag.startswith(("n", "a"))
            and prev.word not in GENERIC_PLACES
        ):
            out[-1] = Token(prev.word + t.word, "ns", prev.start, t.end)
        else:
            out.append(t)
    return out


def find_zh_addresses(text: str) -> list[Span]:
    """Chinese addresses finer than a city (both passes; overlaps are resolved later).

    Args:
        text: Text to scan.

    Returns:
        One span per address found by either pass.
    """
    toks = _merge_road_names(tokenize(text))
    found = _token_addresses(text, toks)
    return found + _chain_addresses(text, toks, [s.start for s in found])


def _token_addresses(text: str, toks: Sequence[Token]) -> list[Span]:
    """Runs of place tokens with a named fine part (海淀区, 建国路, 阳光小区) or two numbered
    parts (5栋 3单元); leading provinces and cities are dropped from the run."""
    spans: list[Span] = []
    i = 0
    while i < len(toks):
        j, kinds = _place_run(toks, i)
        run = _address_part(list(zip(toks[i:j], kinds, strict=True)))
        if run:
            spans.append(make_span(text, run[0][0].start, run[-1][0].end, EntityType.ADDRESS))
        i = max(j, i + 1)
    return spans


def _place_run(toks: Sequence[Token], i: int) -> tuple[int, list[str]]:
    """End and kinds of the run of adjacent place tokens starting at ``toks[i]`` (a plain
    noun before a fine place word counts as its name: 融科/小区)."""
    kinds: list[str] = []
    j = i
    while j < len(toks):
        kind = _place_kind(toks[j])
        if kind == "" and j + 1 < len(toks) and len(toks[j].word) >= 2:
            nxt = toks[j + 1]
            if (
                is_cjk(toks[j].word)
                and toks[j].word not in ZH_RELATIVES
                and toks[j].word not in ZH_NAME_CUES
                and toks[j].flag.startswith(("n", "nr", "nz"))
                and (nxt.word in ("小区", "花园", "公寓") or _place_kind(nxt) == "fine")
            ):
                kind = "named"
        if kind == "" or (kind == "city" and any(k != "city" for k in kinds)):
            break
        if j > i and toks[j].start != toks[j - 1].end:
            break  # a gap (space) ends the run
        kinds.append(kind)
        j += 1
    return j, kinds


def _address_part(run: list[tuple[Token, str]]) -> list[tuple[Token, str]]:
    """The address in a place run (empty when there is none): cities and generic words
    trimmed, then kept when it has a named fine part or two numbered parts."""
    while run and run[0][1] in ("city", "generic"):
        run.pop(0)
    while len(run) > 1 and run[-1][1] == "generic" and run[-2][1] == "generic":
        run.pop()
    numbered = sum(
        1
        for (_, k), nxt in zip(run, [*run[1:], None], strict=False)
        if k == "num" and nxt is not None and nxt[1] == "unit"
    ) + sum(1 for t, k in run if k == "fine" and t.word[:1].isdigit())
    has_fine = any(k == "fine" and not t.word[:1].isdigit() for t, k in run)
    if not (has_fine or numbered >= 2) or (len(run) == 1 and run[0][1] == "num"):
        return []
    return run


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
_ADMIN_SUFFIXES = tuple(
    words(
        """
        自治县 街道 社区 开发区 新区 区 县 旗 镇 乡 村 屯
        """
    )
)
_ROAD_SUFFIXES = ("大街", "大道", "胡同", "路", "街", "巷", "弄", "里")
_COMPOUND_SUFFIXES = tuple(
    words(
        """
        小区 花园 家园 新村 公寓 大厦 广场 花苑 山庄 庄园 公馆 新城 宿舍区 宿舍 家属院 家属区
        家属楼 大院 苑 园 府 邸 湾 坊
        """
    )
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
    r"(?:[甲乙丙丁]?(?:\d{1,5}|[零一二三四五六七八九十百〇两]{1,4})(?:[-－]\d{1,4})?[A-Za-z]?"
    r"|[A-Za-z])"  # a lettered block: B座, A栋
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
        if len(name) < 2 or name in _ADDR_NAME_STOP or chunk in GENERIC_PLACES:
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
            spans.append(make_span(text, start, end, EntityType.ADDRESS))
    return spans


# --------------------------------------------------------------------------- schools and orgs
