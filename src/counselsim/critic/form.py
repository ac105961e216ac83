"""The form checks, the critic's first layer: what small models do wrong with a turn's form.

They look at form, not content: a reply that is empty, written as a script with speaker
labels, spoken as the other role, a copy of an earlier turn, looping on itself, or reciting
the speaker's private notes. Free and deterministic; they run on every attempt of every
spoken turn (:func:`form_check`), and their flags are explained to the model by the
``common/regenerate`` prompt.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from functools import lru_cache

from counselsim.critic.verdict import Check, Finding, Verdict
from counselsim.labels import Role
from counselsim.records import Turn


class Flag(StrEnum):
    """Why a generated turn was rejected."""

    EMPTY = "empty"
    SPEAKER_LABEL = "speaker_label"
    ROLE_SWAP = "role_swap"
    ECHO = "echo"
    REPEAT = "repeat"
    LOOP = "loop"
    THOUGHT_LEAK = "thought_leak"


_LABEL = re.compile(
    r"(^|\n)\s*[\[【(（]?\s*(咨询师|心理咨询师|来访者|求助者|支持者|counsel+or|therapist|client|"
    r"patient)\s*[\]】)）]?\s*[:：]",
    re.IGNORECASE,
)
# Phrases only the *other* role would say about itself.
_SELF_AS_OTHER = {
    Role.COUNSELOR: re.compile(
        r"我是来访者|作为来访者|我的咨询师|谢谢你(的)?(帮助|支持)|我感觉好多了|我来(这里)?咨询|"
        r"i came (here|to counseling|for counseling) because|"
        r"as (your|the) client|i'?m the client|my (counselor|therapist)|"
        r"thank you for (your|the) (help|support)|"
        r"i('m| am) feeling (much )?(better|more relaxed|less)",
        re.IGNORECASE,
    ),
    Role.CLIENT: re.compile(
        r"我是(你的)?(心理)?咨询师|作为(你的)?(心理)?咨询师|as your (counselor|therapist)|"
        r"需要.{0,12}(建议|帮助|支持).{0,6}请随时告诉我|"
        r"let me know if you need (any )?(further |more )?(help|support|advice)|"
        r"i'?m your (counselor|therapist)|in (our|this) (counseling|therapy) session, i",
        re.IGNORECASE,
    ),
}


@lru_cache(maxsize=8192)
def _grams(text: str, n: int = 3) -> frozenset[str]:
    """Character n-grams, once per text (a turn is compared with each later one's)."""
    t = re.sub(r"\s+", " ", text.lower()).strip()
    return frozenset(t[i : i + n] for i in range(max(len(t) - n + 1, 1)))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of character trigrams (language-independent)."""
    ga, gb = _grams(a), _grams(b)
    return len(ga & gb) / len(ga | gb) if ga and gb else 0.0


def containment(text: str, source: str) -> float:
    """Share of ``source``'s trigrams that ``text`` reproduces: near 1 when ``text`` copies
    the source turn (perhaps adding words), low for a short restatement of part of it."""
    gt, gs = _grams(text), _grams(source)
    return len(gt & gs) / len(gs) if gt and gs else 0.0


def _clauses(text: str, min_len: int = 4) -> list[str]:
    return [c.strip() for c in re.split(r"[。！？!?.，,；;\n]", text) if len(c.strip()) >= min_len]


def _loops(text: str) -> bool:
    # A clause said three times, or a long text whose 4-grams are mostly repeats.
    clauses = _clauses(text)
    if any(clauses.count(c) >= 3 for c in set(clauses)):
        return True
    t = re.sub(r"\s+", "", text)
    if len(t) < 60:
        return False
    grams = [t[i : i + 4] for i in range(len(t) - 3)]
    return len(set(grams)) / len(grams) < 0.5


# A counselor talks *to* the client; naming "the client" in speech means notes leaked in.
_THIRD_PERSON_CLIENT = re.compile(r"来访者|求助者|the client\b", re.IGNORECASE)


_CLOSED = re.compile(r"[\"”]\s*\}")


def clean_spoken(text: str) -> str:
    """Trim JSON debris a small model leaves when it closes a string late (``…。” }``), and
    anything it wrote after such a would-be end of its reply (a quote then a brace never
    occurs in speech)."""
    end = _CLOSED.search(text)
    if end:
        text = text[: end.start() + 1]
    t = re.sub(r"[\s}\]`]+$", "", text.strip())
    if t.endswith("”") and t.count("“") < t.count("”"):
        t = t[:-1].rstrip()
    if t.endswith('"') and t.count('"') % 2 == 1:
        t = t[:-1].rstrip()
    return t


def check_turn(
    text: str,
    role: Role,
    history: Sequence[Turn],
    threshold: float = 0.7,
    lookback: int = 24,
    private: Sequence[str] = (),
) -> list[Flag]:
    """Every check ``text`` fails as ``role``'s next turn after ``history`` (empty: passes).

    Repeats are looked for in the last ``lookback`` turns only, so the cost of a check stays
    flat however long the session grows.
    """
    flags: list[Flag] = []
    if len(text.strip()) < 2:
        return [Flag.EMPTY]
    if _LABEL.search(text):
        flags.append(Flag.SPEAKER_LABEL)
    if _SELF_AS_OTHER[role].search(text):
        flags.append(Flag.ROLE_SWAP)
    other = next((t for t in reversed(history) if t.role is not role), None)
    if other is not None and (
        (len(other.text) >= 12 and containment(text, other.text) >= threshold)
        # a client parroting a whole clause of the counselor's (small models do)
        or (role is Role.CLIENT and any(c in text for c in _clauses(other.text, 12)))
    ):
        flags.append(Flag.ECHO)
    recent = history[-lookback:] if lookback > 0 else []
    if any(t.role is role and similarity(text, t.text) >= threshold for t in recent):
        flags.append(Flag.REPEAT)
    if _loops(text):
        flags.append(Flag.LOOP)
    # ``private``: the speaker's own hidden notes (observation, reasoning) it must not recite.
    if private and (
        _THIRD_PERSON_CLIENT.search(text) or any(containment(text, p) >= 0.5 for p in private)
    ):
        flags.append(Flag.THOUGHT_LEAK)
    return flags


def form_check(role: Role, history: Sequence[Turn], private: Sequence[str] = ()) -> Check:
    """The form checks as one layer of the check-and-retry loop (see :func:`check_turn`)."""

    async def check(text: str, attempt: int) -> Verdict:
        return Verdict(
            findings=[Finding(f.value) for f in check_turn(text, role, history, private=private)]
        )

    return check
