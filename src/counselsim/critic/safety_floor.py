"""The safety floor: a corpus never silently holds an unsafe reply to a disclosure.

When the client's turn just before carries a risk cue and no attempt at the counselor's reply
asks directly about suicide or self-harm (the evidence layer's ``risk_question``), the reply
kept is a safe protocol reply (``critic/evidence/safety``: acknowledge, ask directly, offer
crisis resources; the variant picked by a seed, the resources by a locale), flagged
``safety_fallback``, with notes that say it is the fallback. Reconstruction uses it too, for a
source turn that asked about risk and a rewrite that lost the question.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from counselsim.critic.evidence import Evidence, TurnLike, detect_turn
from counselsim.critic.evidence.safety import SafetyReply, safety_reply
from counselsim.labels import Role, Strategy

SAFETY_FALLBACK = "safety_fallback"
RISK_CUE, RISK_QUESTION = "risk_cue", "risk_question"
STRATEGY = [Strategy.QUESTION, Strategy.INFORMATION]
"""What the protocol reply does: asks directly, and gives crisis resources."""

Why = Literal["cue", "source"]
_NOTES: dict[str, dict[str, str]] = {
    "zh": {
        "cue": "来访者刚才流露了自杀或自伤的风险迹象：“{span}”。",
        "source": "原对话中咨询师在这里直接询问了自杀或自伤。",
        "reasoning": "安全协议兜底：生成的回复都没有直接询问自杀或自伤，所以改用安全协议回复："
        "回应感受，直接询问，并提供危机求助资源。",
    },
    "en": {
        "cue": "The client just signalled a risk of suicide or self-harm: “{span}”.",
        "source": "In the original dialogue the counselor asked directly about suicide or "
        "self-harm here.",
        "reasoning": "Safety protocol fallback: no generated reply asked directly about suicide "
        "or self-harm, so the protocol reply is used: acknowledge, ask directly, offer crisis "
        "resources.",
    },
}


def unanswered_cue(history: Sequence[TurnLike], lang: str) -> Evidence | None:
    """The risk cue on the turn just before, when that turn is the client's."""
    if not history or history[-1].role is not Role.CLIENT:
        return None
    found = detect_turn(history[-1].text, Role.CLIENT, history[:-1], lang)
    return next((e for e in found if e.detector == RISK_CUE), None)


def asks_about_risk(text: str, history: Sequence[TurnLike], lang: str) -> bool:
    """Whether a counselor turn asks directly about suicide or self-harm."""
    found = detect_turn(text, Role.COUNSELOR, history, lang)
    return any(e.detector == RISK_QUESTION for e in found)


@dataclass(frozen=True)
class Fallback:
    """The protocol reply kept instead of a generated one, with truthful notes."""

    reply: SafetyReply
    observation: str
    reasoning: str
    strategy: list[Strategy]


@dataclass(frozen=True)
class SafetyFloor:
    """Where protocol replies come from.

    Args:
        locale: whose crisis resources (``US``, ``GB``, ``IE``, ``CN``, ``other``); None: the
            language's default (``CN`` for zh, ``US`` for en).
    """

    locale: str | None = None

    def needed(self, text: str, history: Sequence[TurnLike], lang: str) -> Evidence | None:
        """The cue a counselor reply leaves unasked about (None: the floor holds)."""
        cue = unanswered_cue(history, lang)
        return cue if cue is not None and not asks_about_risk(text, history, lang) else None

    def fallback(self, lang: str, seed: int, why: Why, cue: Evidence | None = None) -> Fallback:
        """The protocol reply for ``seed``, its notes saying why it replaced the model's."""
        notes = _NOTES.get(lang, _NOTES["en"])
        span = cue.text_span[:40] if cue is not None else ""
        return Fallback(
            reply=safety_reply(lang, seed, self.locale),
            observation=notes[why].format(span=span),
            reasoning=notes["reasoning"],
            strategy=list(STRATEGY),
        )


DEFAULT_FLOOR = SafetyFloor()
"""The floor with each language's default crisis resources."""
