"""Text helpers of the evidence layer: sentences and clauses with their offsets, and the
normalised forms that copy and repetition checks compare."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at CJK or Latin end punctuation (a run of it, with closing quotes), at a
# full stop followed by space or the end (so "3.5" and "e.g" stay whole), or at a line break.
_SENTENCE_END = re.compile(
    r"(?:[。！？!?；;]+|…+|\.{2,}|\.(?=\s|$)|\n+)[”\"’'）)\]】]*",
)
_CLAUSE_END = re.compile(r"[，,、：:]")
_WORD = re.compile(r"\w+", re.UNICODE)
_LATIN_WORD = re.compile(r"\w+(?:['’]\w+)*")  # "don't" is one word
_CJK = re.compile(r"[\u3400-\u9fff]")


@dataclass(frozen=True)
class Piece:
    """A slice of a turn's text: ``text == turn[start:end]``."""

    start: int
    end: int
    text: str


def sentences(text: str) -> list[Piece]:
    """The sentences of ``text`` with their offsets; pieces without a word are dropped."""
    out: list[Piece] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        _add(out, text, start, m.end())
        start = m.end()
    _add(out, text, start, len(text))
    return out


def clauses(sentence: Piece) -> list[Piece]:
    """The clauses of one sentence (split at commas and colons), offsets in the turn."""
    out: list[Piece] = []
    start = 0
    for m in _CLAUSE_END.finditer(sentence.text):
        _add(out, sentence.text, start, m.end(), base=sentence.start)
        start = m.end()
    _add(out, sentence.text, start, len(sentence.text), base=sentence.start)
    return out or [sentence]


def _add(out: list[Piece], text: str, start: int, end: int, base: int = 0) -> None:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    chunk = chunk.strip()
    if _WORD.search(chunk):
        out.append(Piece(base + start + lead, base + start + lead + len(chunk), chunk))


def normalise(text: str) -> str:
    """Lower case, letters, digits and CJK only: what copies and repeats are compared on."""
    return "".join(_WORD.findall(text.lower())).replace("_", "")


def units(text: str) -> int:
    """Length in the unit a reader counts: CJK characters plus Latin words."""
    cjk = len(_CJK.findall(text))
    words = len(_LATIN_WORD.findall(_CJK.sub(" ", text)))
    return cjk + words


def trigrams(norm: str) -> frozenset[str]:
    """Character trigrams of a normalised text (the whole text when shorter)."""
    if len(norm) < 3:
        return frozenset({norm}) if norm else frozenset()
    return frozenset(norm[i : i + 3] for i in range(len(norm) - 2))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard similarity of two trigram sets (0 when either is empty)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)
