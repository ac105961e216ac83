"""jieba tokens of a Chinese text, with their POS flags and offsets, for the zh NER rules.

jieba (``posseg``: nr = person, ns = place, nt = organisation) proposes, the rules decide.
Every rule that reads characters rather than tokens starts and ends on a token boundary
(:class:`Bounds`), which keeps 小时候, 老师 and 张家口 from looking like 小时/老师/张家 names.
jieba is imported and initialised lazily, once. Nothing here logs text.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from counselsim.privacy.spans import CJK_RE

_lock = threading.Lock()
_posseg: Any = None


def segmenter() -> Any:
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
    for pair in segmenter().cut(text):
        word, flag = pair.word, pair.flag
        start = text.find(word, pos)
        if start < 0:  # cannot happen with jieba, but never trust offsets blindly
            continue
        out.append(Token(word, flag, start, start + len(word)))
        pos = start + len(word)
    return tuple(out)


def is_cjk(s: str) -> bool:
    """Non-empty and Chinese characters only."""
    return bool(s) and all(CJK_RE.fullmatch(ch) for ch in s)


class Bounds:
    """Token boundaries of a text, for 'does this match start/end on a word' checks."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = tokens
        self.starts = {t.start for t in tokens}
        self.ends = {t.end for t in tokens}
        self._by_start = {t.start: t for t in tokens}

    def aligned(self, start: int, end: int) -> bool:
        """``[start, end)`` starts and ends on token boundaries."""
        return start in self.starts and end in self.ends

    def at(self, start: int) -> Token | None:
        """The token starting at ``start``, if any."""
        return self._by_start.get(start)

    def single(self, start: int, end: int) -> Token | None:
        """The token covering exactly ``[start, end)``, if any."""
        t = self._by_start.get(start)
        return t if t is not None and t.end == end else None

    def within(self, start: int, end: int) -> list[Token]:
        """The tokens lying inside ``[start, end)``."""
        return [t for t in self.tokens if start <= t.start and t.end <= end]

    def inside_word(self, start: int, end: int) -> Token | None:
        """A token that strictly contains ``[start, end)`` (so it is part of another word)."""
        for t in self.tokens:
            if t.start <= start and end <= t.end and (t.start, t.end) != (start, end):
                return t
            if t.start >= end:
                break
        return None
