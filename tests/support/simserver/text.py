"""The simulated server's text: a deterministic token count, and speech or notes drawn from the
phrase pools of :mod:`.vocab` with a caller's ``random.Random`` (same seed, same text)."""

from __future__ import annotations

import random
import re
from typing import Any

from .vocab import Vocab, vocab

__all__ = [
    "count_tokens",
    "language",
    "message_text",
    "plain_reply",
    "string_text",
    "truncate_tokens",
]

# CJK ideographs (with extension A and compatibility) and CJK / full-width punctuation.
_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_TOKEN = re.compile(f"[{_CJK_CLASS}]|[^\\s{_CJK_CLASS}]+")


# --- tokens -----------------------------------------------------------------------------------


def count_tokens(text: str) -> int:
    """A deterministic token count: one per CJK character, one per other whitespace-free run."""
    return len(_TOKEN.findall(text))


def truncate_tokens(text: str, limit: int) -> str:
    """``text`` cut after its ``limit``-th token (see :func:`count_tokens`)."""
    for i, match in enumerate(_TOKEN.finditer(text)):
        if i + 1 == limit:
            return text[: match.end()]
    return text


def message_text(message: Any) -> str:
    """The text of one chat message (string content, or the text parts of a content list)."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def language(messages: list[Any]) -> str:
    """``zh`` when any message has a CJK character, else ``en``."""
    return "zh" if any(_CJK.search(message_text(m)) for m in messages) else "en"


# --- text -------------------------------------------------------------------------------------


def _capitalize(s: str) -> str:
    return s[:1].upper() + s[1:]


def _spoken_sentence(rng: random.Random, v: Vocab, topic: str, opener: str) -> str:
    verb, tails = rng.choice(v.predicates)
    pred, when = f"{verb} {rng.choice(tails)}", rng.choice(v.times)
    if v.cjk:
        return f"{opener}{when}{topic}{pred.replace(' ', '')}。"
    return _capitalize(" ".join(w for w in (opener, topic, pred, when) if w)) + "."


def _question(rng: random.Random, v: Vocab, topic: str) -> str:
    return _capitalize(rng.choice(v.questions).format(topic=topic))


def _note_sentence(rng: random.Random, v: Vocab) -> str:
    label, theme, remark = rng.choice(v.labels), rng.choice(v.themes), rng.choice(v.remarks)
    if v.cjk:
        return f"{label}{theme}{remark}。"
    return " ".join(w for w in (label, theme if label else _capitalize(theme), remark) if w) + "."


def _fit(text: str, min_len: int, max_len: int | None, rng: random.Random, v: Vocab) -> str:
    """``text`` padded to ``min_len`` and cut to ``max_len`` characters (schema bounds)."""
    while len(text) < min_len:
        text = (text + v.joiner + _note_sentence(rng, v)).strip()
    if max_len is not None and len(text) > max_len:
        text = text[:max_len].rstrip()
        if len(text) < min_len:  # the cut ended on spaces
            text = text.ljust(min_len, "x")[:max_len]
    return text


def _speech(rng: random.Random, v: Vocab, most: int, max_len: int | None) -> str:
    """1..``most`` sentences on distinct topics, the last a question 40% of the time; leading
    sentences dropped until the text fits ``max_len``."""
    topics = rng.sample(v.topics, k=rng.randint(1, most))
    openers = rng.sample(v.openers, k=len(topics))  # distinct: a repeated one reads as a loop
    out = [_spoken_sentence(rng, v, t, o) for t, o in zip(topics, openers, strict=True)]
    if rng.random() < 0.4:
        out[-1] = _question(rng, v, topics[-1])
    while max_len is not None and len(out) > 1 and len(v.joiner.join(out)) > max_len:
        out.pop(0)
    return v.joiner.join(out)


def _notes(rng: random.Random, v: Vocab, most: int, max_len: int | None) -> str:
    """1..``most`` note sentences, trailing ones dropped until the text fits ``max_len``."""
    out = [_note_sentence(rng, v) for _ in range(rng.randint(1, most))]
    while max_len is not None and len(out) > 1 and len(v.joiner.join(out)) > max_len:
        out.pop()
    return v.joiner.join(out)


def plain_reply(rng: random.Random, lang: str) -> str:
    """A short spoken reply: 1-3 sentences, at most one question, in ``lang`` (``zh``/``en``)."""
    return _speech(rng, vocab(lang), 3, None)


def string_text(
    rng: random.Random, lang: str, spoken: bool, min_len: int, max_len: int | None
) -> str:
    """Text for a string field: speech for a spoken field, else notes; a word or two when the
    field is label-sized."""
    v = vocab(lang)
    roomy = max_len is None or max_len >= 150
    if max_len is not None and max_len < 16:
        text = rng.choice([t for t in v.themes if len(t) <= max_len] or v.themes)
    elif spoken:
        text = _speech(
            rng, v, 3 if roomy else 2 if max_len is None or max_len >= 60 else 1, max_len
        )
    else:
        text = _notes(rng, v, 2 if roomy else 1, max_len)
    return _fit(text, min_len, max_len, rng, v)
