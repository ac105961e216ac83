"""Coding a trainee's turn from its words: its support strategies and question form.

A simulated counselor states the strategy it intends; a trainee does not, yet the client's
stance policy reads strategies (empathic moves build rapport, directive ones provoke
defenses) and the debrief shows their mix. So a trainee's turn is coded the way an observer
would code it: instant, so the client's reply never waits for it, and recorded as coded
(``author: human`` on the turn), never as intended.

Question form, advice and reflection are the evidence layer's detectors
(:mod:`counselsim.critic.evidence`: ``open_question``, ``closed_question``, ``advice``,
``reflection``); the strategies it has no detector for (restatement, affirmation,
information, self-disclosure, role-play) are the patterns below (zh and en). A reflection
hit inside a restatement (``so you're saying``) codes the restatement.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from counselsim.critic.evidence import Evidence, detect_turn
from counselsim.labels import Role, Strategy

QuestionForm = Literal["open", "closed"]

_I = re.IGNORECASE
# Per language: the patterns of the strategies the evidence layer has no detector for.
STRATEGY_PATTERNS: dict[str, dict[Strategy, re.Pattern[str]]] = {
    "en": {
        Strategy.RESTATEMENT: re.compile(
            r"\b(so you('re| are)? saying|what i('m| am) hearing|in other words|"
            r"if i understand|you mentioned|you said|you('ve| have) been telling me)\b|^so,? you\b",
            _I,
        ),
        Strategy.AFFIRMATION: re.compile(
            r"\b(that makes sense|it('s| is) (understandable|okay|ok|normal|natural)|"
            r"thank you for (sharing|telling)|it takes (courage|strength)|i appreciate|"
            r"you('re| are) not alone|well done|you('ve| have) done (well|a lot))\b",
            _I,
        ),
        Strategy.INFORMATION: re.compile(
            r"\b(research (shows|suggests)|studies (show|suggest)|it('s| is) common|"
            r"many people|this is (called|known as)|is a normal (reaction|response))\b",
            _I,
        ),
        Strategy.SELF_DISCLOSURE: re.compile(
            r"\b(i (also|too) (have|had|felt|feel|went)|when i was|in my (own )?(experience|life)|"
            r"i('ve| have) been there)\b",
            _I,
        ),
        Strategy.ROLE_PLAY: re.compile(
            r"\b(let's (pretend|role-?play|practi[cs]e what)|"
            r"imagine i('m| am)|pretend i('m| am))\b",
            _I,
        ),
    },
    "zh": {
        Strategy.RESTATEMENT: re.compile(
            r"你是说|你的意思是|也就是说|换句话说|我听到的是|你(刚才)?提到|你刚才说"
        ),
        Strategy.AFFIRMATION: re.compile(
            r"这很正常|可以理解|不容易|做得(很好|不错)|谢谢你(愿意)?(告诉|分享|说)|"
            r"你不是一个人|很勇敢|辛苦你了"
        ),
        Strategy.INFORMATION: re.compile(
            r"研究(表明|显示|发现)|很多人|很常见|这(叫|称为|被称为)|一般来说"
        ),
        Strategy.SELF_DISCLOSURE: re.compile(
            r"我(也|曾经|以前)(有过|经历|遇到|觉得|感到)|我自己也"
        ),
        Strategy.ROLE_PLAY: re.compile(r"假设我是|我们来(演|练习|模拟)|如果我是你的"),
    },
}


@dataclass(frozen=True)
class TurnCode:
    """What an observer codes in one trainee turn."""

    strategies: tuple[Strategy, ...]
    question: QuestionForm | None
    advice: bool


def _spans(found: Sequence[Evidence], detector: str) -> list[tuple[int, int]]:
    return [(e.start, e.end) for e in found if e.detector == detector]


def _reflects(found: Sequence[Evidence], restated: list[tuple[int, int]]) -> bool:
    """A reflection hit outside every restatement span."""
    return any(
        all(end <= a or start >= b for a, b in restated)
        for start, end in _spans(found, "reflection")
    )


def _question(found: Sequence[Evidence]) -> QuestionForm | None:
    if _spans(found, "open_question"):
        return "open"
    return "closed" if _spans(found, "closed_question") else None


def code_turn(text: str, lang: str, found: Sequence[Evidence] | None = None) -> TurnCode:
    """Code a trainee's turn: strategies (``Others`` when nothing matches), question form.

    Args:
        text: the trainee's words.
        lang: ``zh`` or ``en`` (another language is coded as English).
        found: the evidence on the turn, when already detected (a session's report);
            detected here otherwise.
    """
    lang = lang if lang in STRATEGY_PATTERNS else "en"
    if found is None:
        found = detect_turn(text, Role.COUNSELOR, [], lang)
    patterns = STRATEGY_PATTERNS[lang]
    restated = [m.span() for m in patterns[Strategy.RESTATEMENT].finditer(text)]
    hits = {s for s, p in patterns.items() if p.search(text)}
    if _reflects(found, restated):
        hits.add(Strategy.REFLECTION)
    if _spans(found, "advice"):
        hits.add(Strategy.SUGGESTION)
    question = _question(found)
    if question is not None:
        hits.add(Strategy.QUESTION)
    return TurnCode(
        strategies=tuple(s for s in Strategy if s in hits) or (Strategy.OTHERS,),
        question=question,
        advice=Strategy.SUGGESTION in hits,
    )


def code_strategies(text: str, lang: str) -> list[Strategy]:
    """The strategies of a trainee's turn (what the session graph records on it)."""
    return list(code_turn(text, lang).strategies)
