"""Shape tests and readers for Chinese person names, shared by the name passes of
:mod:`.zh_names` and the employer rule of :mod:`.zh_orgs`.

A *shape* test says whether a string looks like a name (a surname from the lists plus
given-name characters, a nickname such as 小王 or 婷婷); a *reader* finds where a name that
starts at a given position ends, using jieba's token boundaries and POS flags. Nothing here
logs text.
"""

from __future__ import annotations

from counselsim.privacy.lexicon import (
    ZH_COMMON_SURNAMES,
    ZH_COMPOUND_SURNAMES,
    ZH_DISTRICTS,
    ZH_GIVEN_CHARS,
    ZH_NAME_BREAK_CHARS,
    ZH_NAME_CUES,
    ZH_NAME_STOPWORDS,
    ZH_RELATIVES,
    ZH_SURNAMES,
    ZH_TITLES,
    is_city_level,
)
from counselsim.privacy.ner.zh_tokens import Bounds, Token, is_cjk
from counselsim.privacy.spans import CJK_RE

NON_NAME_FLAGS = ("ns", "nt", "a", "ad", "an", "v", "vn", "d", "t", "m", "q", "f", "s", "i", "l")
# Pure function characters: never inside a name (a smaller set than ZH_NAME_BREAK_CHARS,
# which also holds characters such as 一, 大, 特 that do occur in names after 诸葛 or in
# transliterated names like 巴特尔).
FUNCTION_CHARS = frozenset(
    "的了是说和在也都很对跟给把被让就还又不没她他我你们吧呢啊吗呀哦嘛着过这那"
)
FUNCTION_FLAGS = ("p", "c", "u", "d", "r", "f", "m", "q", "t", "y")
# Function words jieba sometimes glues to the front of a name (和婷婷, 跟李明).
JOINERS = frozenset("和与跟同在给对把被向从是也都就还又才只而但让叫找")
_RELATION_BAD_FLAGS = ("r", "p", "c", "u", "d", "m", "t", "f", "s", "v", "a", "y", "e", "o")


def split_name(name: str) -> tuple[str, str]:
    """(surname, given) of a Chinese full name; surname '' when it has none."""
    if name[:2] in ZH_COMPOUND_SURNAMES:
        return name[:2], name[2:]
    if name[:1] in ZH_SURNAMES:
        return name[:1], name[1:]
    return "", name


def full_name_shape(word: str) -> bool:
    """Surname + 1-2 given-name characters that look like a given name."""
    if not 2 <= len(word) <= 4 or not is_cjk(word) or word in ZH_NAME_STOPWORDS:
        return False
    surname, given = split_name(word)
    if not surname or not 1 <= len(given) <= 2:
        return False
    breaks = FUNCTION_CHARS if len(surname) == 2 else ZH_NAME_BREAK_CHARS
    if any(ch in breaks for ch in given):
        return False
    return any(ch in ZH_GIVEN_CHARS for ch in given)


def nickname_shape(word: str) -> bool:
    if len(word) != 2 or word in ZH_NAME_STOPWORDS or not is_cjk(word):
        return False
    if word[0] in "小老阿" and (word[1] in ZH_COMMON_SURNAMES or word[1] in ZH_GIVEN_CHARS):
        return True
    return word[0] == word[1] and word[0] in ZH_GIVEN_CHARS  # 芳芳, 婷婷


def not_a_common_word(b: Bounds, start: int, end: int) -> bool:
    tok = b.single(start, end)
    if tok is not None and tok.flag.startswith(NON_NAME_FLAGS) and not tok.flag.startswith("nr"):
        return False
    return b.inside_word(start, end) is None


def compound_given_end(text: str, g: int, b: Bounds) -> int | None:
    """End of the 1-2 character given name after a compound surname ending at ``g``."""
    given = ""
    for ch in text[g : g + 2]:
        if not CJK_RE.fullmatch(ch) or ch in FUNCTION_CHARS or ch in "人地家":
            break
        given += ch
    if len(given) == 2 and given[0] != given[1]:  # 月月 is a pet name, whatever jieba says
        second = b.at(g + 1)
        if second is not None and second.flag.startswith(FUNCTION_FLAGS):
            given = given[:1]
    if not given or any(text.startswith(title, g) for title in ZH_TITLES):
        return None
    name = text[g - 2 : g + len(given)]
    if name in ZH_NAME_STOPWORDS or place_word(name):
        return None
    return g + len(given)


def relation_name_ok(text: str, start: int, end: int, b: Bounds) -> bool:
    """A name found by 4c: on word boundaries, no relative, pronoun or common word."""
    name = text[start:end]
    glued = start - 1 in b.starts and text[start - 1] in JOINERS  # 和孟/璟: jieba glued 和
    if not (start in b.starts or glued) or end not in b.ends:
        return False
    if name in ZH_NAME_STOPWORDS or name in ZH_RELATIVES or name.endswith("人"):
        return False
    surname, given = split_name(name)
    if surname and 1 <= len(given) <= 2 and rare_given(b, start + len(surname), end):
        return True  # 黄/璟
    if name in ZH_NAME_CUES or any(ch in FUNCTION_CHARS for ch in name):
        return False
    toks = [t for t in b.tokens if start <= t.start and t.end <= end]
    if any(t.word in ZH_RELATIVES or t.word in ZH_NAME_CUES for t in toks):
        return False
    if any(t.flag.startswith(_RELATION_BAD_FLAGS) for t in toks) or is_city_level(name):
        return False
    if len(toks) == 1:  # one word: a name only if jieba says so or it has a name's shape
        return toks[0].flag.startswith(("nr", "nz")) or full_name_shape(name)
    return any(t.flag.startswith(("nr", "ns", "nz")) for t in toks)


def namish(t: Token) -> bool:
    """A token jieba reads as a person's name, or as a place that is no known place."""
    if t.flag.startswith("nr"):
        return True
    return t.flag == "ns" and len(t.word) >= 2 and is_cjk(t.word) and not place_word(t.word)


def proper_name_after(text: str, pos: int, b: Bounds) -> int | None:
    """End of a name without a Chinese surname right after a cue (我的朋友次仁卓玛,
    同事巴特尔): jieba's person-name token there, possibly after one stray character."""
    tok = b.at(pos)
    if tok is None:
        return None
    cand = [tok]
    nxt = b.at(tok.end)
    if nxt is not None and (
        (len(tok.word) == 1 and tok.word not in FUNCTION_CHARS and tok.word not in JOINERS)
        or (namish(tok) and namish(nxt) and len(tok.word) + len(nxt.word) <= 4)
    ):
        cand = [tok, nxt]  # 次/仁卓玛, 扎西/顿珠
    last = cand[-1]
    name = text[pos : last.end]
    if (
        namish(last)
        and 2 <= len(name) <= 4
        and is_cjk(name)
        and name not in ZH_NAME_STOPWORDS
        and name not in ZH_RELATIVES
        and not name.endswith("人")
        and not any(place_word(t.word) for t in cand)
        and not place_word(name)
        and not any(ch in FUNCTION_CHARS for ch in name)
        and not any(name.startswith(t) or name.endswith(t) for t in ZH_TITLES)
    ):
        return last.end
    return None


def name_after(text: str, pos: int, b: Bounds) -> int | None:
    """End of a full name (surname + given name) starting at ``pos``, or None."""
    if pos >= len(text) or pos not in b.starts:
        return None
    surname = text[pos : pos + 2] if text[pos : pos + 2] in ZH_COMPOUND_SURNAMES else text[pos]
    if surname not in ZH_SURNAMES or surname in JOINERS:  # 和/但/跟 after a cue: "and", "but"
        return None
    g = pos + len(surname)
    if any(text.startswith(title, g) for title in ZH_TITLES):
        return None  # 我朋友王老师: the title rule handles it
    word = b.single(g, g + 2)
    if word is not None and _given_word(word):
        return g + 2  # 葛/天一: jieba's two-character word is the given name
    end = g + _given_length(text, g, len(surname), b)
    if end == g or not (full_name_shape(text[pos:end]) or rare_given(b, g, end)):
        return None
    tok = b.single(pos, end)
    if tok is not None and tok.flag.startswith("ns") and not place_word(text[pos:end]):
        return end  # 毛洋/ns after 朋友: jieba took the name for a place
    return end if not_a_common_word(b, pos, end) else None


def _given_length(text: str, g: int, surname_len: int, b: Bounds) -> int:
    """How many of the (at most two) characters at ``g`` belong to the given name."""
    given = ""
    breaks = FUNCTION_CHARS if surname_len == 2 else ZH_NAME_BREAK_CHARS  # 诸葛一诺
    for ch in text[g : g + 2]:
        if not CJK_RE.fullmatch(ch) or ch in breaks or ch in "人地":
            break
        given += ch
    if len(given) == 2 and not (given[1] in ZH_GIVEN_CHARS or g + 2 in b.ends):
        return 1
    second = b.at(g + 1)
    if len(given) == 2 and second is not None and second.flag.startswith(FUNCTION_FLAGS):
        return 1  # 端木昶|比
    return len(given)


def _given_word(t: Token) -> bool:
    """A two-character jieba word that is a given name after a surname even with a
    character that usually ends one (天一, 一鸣): Chinese, a name-like POS flag (person,
    distinguishing word, name morpheme), no relative, person or place word."""
    return (
        len(t.word) == 2
        and is_cjk(t.word)
        and t.flag.startswith(("nr", "b", "z", "ng", "g", "j"))
        and not any(ch in FUNCTION_CHARS or ch in "人地" for ch in t.word)
        and any(ch in ZH_GIVEN_CHARS for ch in t.word)
        and t.word not in ZH_NAME_STOPWORDS
        and t.word not in ZH_RELATIVES
    )


def rare_given(b: Bounds, start: int, end: int) -> bool:
    """A given name in rare characters that jieba marks as name morphemes (彧/zg, 昶/g)."""
    toks = [t for t in b.tokens if start <= t.start and t.end <= end]
    return (
        bool(toks)
        and toks[0].start == start
        and toks[-1].end == end
        and all(t.flag in ("zg", "g", "ng") or t.flag.startswith("nr") for t in toks)
    )


def place_word(word: str) -> bool:
    """A city, district or a word ending like a place (省 市 县 区 镇 村 路 街)."""
    return is_city_level(word) or word in ZH_DISTRICTS or word.endswith(tuple("省市县区镇村路街"))
