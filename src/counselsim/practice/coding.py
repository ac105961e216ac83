"""Coding a trainee's turn from its words: its support strategies and question form.

A simulated counselor states the strategy it intends; a trainee does not, yet the client's
stance policy reads strategies (empathic moves build rapport, directive ones provoke
defenses) and the debrief shows their mix. So a trainee's turn is coded the way an observer
would code it, by patterns (zh and en) that are data below: instant, so the client's reply
never waits for it, and recorded as coded (``author: human`` on the turn), never as intended.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from counselsim.critic.rules import COUNSELING_TALK
from counselsim.labels import Strategy

QuestionForm = Literal["open", "closed"]

_I = re.IGNORECASE
# Per language: the patterns that mark each strategy (any match codes the strategy).
STRATEGY_PATTERNS: dict[str, dict[Strategy, re.Pattern[str]]] = {
    "en": {
        Strategy.RESTATEMENT: re.compile(
            r"\b(so you('re| are)? saying|what i('m| am) hearing|in other words|"
            r"if i understand|you mentioned|you said|you('ve| have) been telling me)\b|^so,? you\b",
            _I,
        ),
        Strategy.REFLECTION: re.compile(
            r"\b(it sounds like|sounds like|you (seem|must|might) (feel|be feeling)|"
            r"you('re| are) feeling|you feel|i sense|that (must|would) (be|feel))\b",
            _I,
        ),
        Strategy.AFFIRMATION: re.compile(
            r"\b(that makes sense|it('s| is) (understandable|okay|ok|normal|natural)|"
            r"thank you for (sharing|telling)|it takes (courage|strength)|i appreciate|"
            r"you('re| are) not alone|well done|you('ve| have) done (well|a lot))\b",
            _I,
        ),
        Strategy.SUGGESTION: re.compile(
            COUNSELING_TALK.pattern
            + r"|\b(you (might|could|can) (try|consider|start)|why don't you|how about|"
            r"it might help to|let's try)\b",
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
        Strategy.REFLECTION: re.compile(
            r"听起来|感觉你|你(一定|肯定|似乎|好像)?(感到|觉得)(很|非常|特别|有些|有点)?"
            r"(难受|痛苦|辛苦|委屈|焦虑|害怕|失落|累|孤单|无助|生气|难过)|"
            r"这(一定|肯定)?(让你|很)(难受|痛苦|辛苦|委屈|焦虑|害怕|失落)"
        ),
        Strategy.AFFIRMATION: re.compile(
            r"这很正常|可以理解|不容易|做得(很好|不错)|谢谢你(愿意)?(告诉|分享|说)|"
            r"你不是一个人|很勇敢|辛苦你了"
        ),
        Strategy.SUGGESTION: re.compile(
            COUNSELING_TALK.pattern + r"|你可以(试着|尝试)|试试|建议|不妨|要不要试|我们可以一起试"
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

# Open questions invite a story (what, how, tell me more); closed ones a yes/no or a fact.
OPEN_QUESTION: dict[str, re.Pattern[str]] = {
    "en": re.compile(
        r"\b(what|how|why|which|where|when|who)\b[^?]*\?|"
        r"\b(tell me|say more|describe|walk me through|help me understand)\b",
        _I,
    ),
    "zh": re.compile(
        r"什么|怎么|怎样|如何|为什么|为何|哪些|哪里|多少|"
        r"(能|可以|愿意)(不能)?(说说|谈谈|讲讲|多说|具体说)"
    ),
}
QUESTION_MARK: dict[str, re.Pattern[str]] = {
    "en": re.compile(r"\?"),
    "zh": re.compile(r"[?？]|[吗呢](。|$)|是不是|有没有"),
}


@dataclass(frozen=True)
class TurnCode:
    """What an observer codes in one trainee turn."""

    strategies: tuple[Strategy, ...]
    question: QuestionForm | None
    advice: bool


def code_turn(text: str, lang: str) -> TurnCode:
    """Code a trainee's turn: strategies (``Others`` when nothing matches), question form."""
    lang = lang if lang in STRATEGY_PATTERNS else "en"
    opens = bool(OPEN_QUESTION[lang].search(text))
    asks = opens or bool(QUESTION_MARK[lang].search(text))
    found = [s for s, p in STRATEGY_PATTERNS[lang].items() if p.search(text)]
    if asks:
        found.insert(0, Strategy.QUESTION)
    return TurnCode(
        strategies=tuple(found) or (Strategy.OTHERS,),
        question=("open" if opens else "closed") if asks else None,
        advice=Strategy.SUGGESTION in found,
    )


def code_strategies(text: str, lang: str) -> list[Strategy]:
    """The strategies of a trainee's turn (what the session graph records on it)."""
    return list(code_turn(text, lang).strategies)
