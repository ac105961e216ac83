"""Chinese schools and organisations: a proper-name prefix plus a school/org suffix
(清华大学附属中学, 华为技术有限公司, 北京协和医院), and employers named after an employment cue
(在腾讯上班, 被晨光文具裁员, 从蓝鲸互娱离职). A bare suffix word (上大学, 我们公司, 一家医院)
has no proper prefix and survives. Nothing here logs text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from counselsim.privacy.lexicon import (
    ZH_COUNTRIES,
    ZH_EMPLOYERS,
    ZH_NAME_CUES,
    ZH_NAME_STOPWORDS,
    ZH_REGIONS,
    ZH_RELATIVES,
    ZH_WORKPLACE_WORDS,
    is_city_level,
    words,
)
from counselsim.privacy.ner.zh_name_shapes import full_name_shape
from counselsim.privacy.ner.zh_places import GENERIC_PLACES
from counselsim.privacy.ner.zh_tokens import Bounds, Token, is_cjk, tokenize
from counselsim.privacy.spans import EntityType, Span, make_span

SCHOOL_SUFFIXES = tuple(
    words(
        """
        大学附属中学 附属中学 附属小学 实验学校 外国语学校 研究生院 职业技术学院 幼儿园 大学
        学院 中学 小学 高中 初中 附中 附小 学校 中专 技校 职高 分校
        """
    )
)
ORG_SUFFIXES = tuple(
    words(
        """
        有限责任公司 股份有限公司 有限公司 研究中心 卫生中心 咨询中心 康复中心 医疗中心 治疗中心
        委员会 出版社 事务所 工作室 电视台 基金会 研究所 研究院 卫生院 保健院 公司 集团 银行
        医院 诊所 律所 工厂 酒店 报社 协会 商场 局 厂
        """
    )
)
_ALL_SUFFIXES = frozenset((*SCHOOL_SUFFIXES, *ORG_SUFFIXES))
_NTH_SCHOOL_RE = re.compile(r"[一二三四五六七八九十]{1,3}中$")
_ORDINAL_RE = re.compile(r"^第?[一二三四五六七八九十百零\d]+$")
# Words that end a school/org name to the left: nothing before them belongs to the name.
_PREFIX_STOP = frozenset(
    words(
        """
        我们 你们 他们 她们 咱们 这 那 这所 那所 一所 一家 这家 那家 某 某个 本地 当地 外地 全国
        附近 原来 以前 现在 之前 后来 市 区 县 省 镇 村 乡 985 211 双一流 一本 二本 三本 本科
        专科 地方 好 新 老 大 小 家 本 该 其他 别的 我 你 他 她 国家 派出所 公安局 法院 检察院
        教育局 民政局 居委会 街道办 中学 大学 小学 学校 医院 公司 银行 重点 名牌 普通 知名 著名
        顶尖 一流 二流 三流 大型 小型 中型 一般 正规 普通高中 职业高中 政府部门
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
        设计 软件 网络 信息 技术 电子 通信 能源 化工 机械 服装 食品 餐饮 旅游 会计 财务 商业
        投行 私募 基金 信托 外包 国企 央企 外企 私企 事业 政府 社区 街道 医科 师范 理工 工业
        农业 财经 政法 艺术 体育 音乐 美术 外国语 语言 警察 军事 护理 卫生 医学 研究 实验 附属
        专业 综合性 公安 税务 中心 总 分
        """
    )
)
_GENERIC_PREFIX = _PREFIX_STOP | _DESCRIPTORS
_PROPER_FLAGS = ("ns", "nr", "nz", "nt", "j", "eng")


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
        core = w.removesuffix("市").removesuffix("省")
        return "part" if core in ZH_COUNTRIES or core in ZH_REGIONS else "named"
    if t.flag.startswith(_PROPER_FLAGS):
        return "named"
    if t.flag.startswith(("n", "vn", "m")) and not t.flag.startswith("ns") and is_cjk(w):
        return "named" if t.flag != "m" else ""
    return ""


def _suffix_of(word: str) -> tuple[str, EntityType] | None:
    for suffix in SCHOOL_SUFFIXES:
        if word.endswith(suffix):
            return suffix, EntityType.SCHOOL
    if _NTH_SCHOOL_RE.search(word) and len(word) >= 3:
        return _NTH_SCHOOL_RE.search(word).group(), EntityType.SCHOOL  # type: ignore[union-attr]
    for suffix in ORG_SUFFIXES:
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
    spans = _numbered_schools(text, toks)
    for i, t in enumerate(toks):
        found = _suffix_of(t.word)
        if found is None:
            continue
        suffix, etype = found
        inner = t.word[: -len(suffix)]
        named = bool(inner) and inner not in _GENERIC_PREFIX and len(t.word) > len(suffix)
        if named and len(inner) == 1 and not _NTH_SCHOOL_RE.search(t.word):
            named = t.flag.startswith(_PROPER_FLAGS)
        start, prefix_named = _prefix_start(toks, i)
        if not (named or prefix_named) or (start == t.start and not inner):
            continue
        end, etype = _trailing_units(toks, i, etype)
        if text[start:end] not in _GENERIC_PREFIX:
            spans.append(make_span(text, start, end, etype))
    return spans


def _numbered_schools(text: str, toks: Sequence[Token]) -> list[Span]:
    """A city and a numbered school, whatever jieba made of it: 成都/七/中, 太原/五中."""
    spans = []
    for i, t in enumerate(toks):
        if not is_city_level(t.word) or t.word.endswith("省"):
            continue
        m = _CITY_NTH_RE.match(text, t.end)
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if m:
            spans.append(make_span(text, t.start, m.end(), EntityType.SCHOOL))
        elif nxt is not None and nxt.start == t.end and _NTH_SCHOOL_RE.fullmatch(nxt.word):
            spans.append(make_span(text, t.start, nxt.end, EntityType.SCHOOL))
    return spans


def _prefix_start(toks: Sequence[Token], i: int) -> tuple[int, bool]:
    """Where the name before the suffix token ``toks[i]`` starts, and whether it holds a
    proper part (a place, a name, an ordinal) rather than descriptors only."""
    t = toks[i]
    start, named = t.start, False
    j = i - 1
    while j >= 0 and toks[j].end == start and t.end - toks[j].start <= 16:
        part = _name_part(toks[j])
        if not part:
            break
        named = named or part == "named"
        start = toks[j].start
        j -= 1
    return start, named


def _trailing_units(toks: Sequence[Token], i: int, etype: EntityType) -> tuple[int, EntityType]:
    """End (and type) after the units of the same body: 北京大学 + 第六医院, 清华大学 +
    附属中学."""
    end = toks[i].end
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
    return end, etype


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
        suffix = next((x for x in (*SCHOOL_SUFFIXES, *ORG_SUFFIXES) if t.word.startswith(x)), None)
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


def _employer_ok(text: str, start: int, end: int, b: Bounds, strong: bool) -> bool:
    """Whether ``text[start:end]`` (after an employment cue) names an organisation.

    A known employer or a single proper-name token always does; with ``strong`` cues, so
    does a run of two or three plain tokens (晨光/文具, 蓝鲸/互娱) that are not all generic
    workplace words (物流/公司, 医院/食堂) and carry no pronoun, number, time or place flags.
    """
    org = text[start:end]
    if start not in b.starts or end not in b.ends or len(org) < 2:
        return False
    if is_city_level(org) or org in _GENERIC_PREFIX or org in GENERIC_PLACES:
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
    if full_name_shape(org) or org in ZH_NAME_STOPWORDS:
        return False
    generic = 0
    for t in toks:
        if t.flag.startswith(_NON_ORG_FLAGS) or t.word in ZH_NAME_CUES or is_city_level(t.word):
            return False
        if t.word in ZH_RELATIVES:
            return False
        if (
            t.word in _GENERIC_PREFIX
            or t.word in GENERIC_PLACES
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
    b = Bounds(toks)
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
            spans.append(make_span(text, start, end, EntityType.ORG))
    return spans
