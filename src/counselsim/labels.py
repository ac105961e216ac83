"""Label sets of the field (see docs): counselor strategies and client emotions."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Who speaks a turn."""

    COUNSELOR = "counselor"
    CLIENT = "client"


class Strategy(StrEnum):
    """ESConv's eight support strategies plus Psy-Insight's Role-play."""

    QUESTION = "Question"
    RESTATEMENT = "Restatement or Paraphrasing"
    REFLECTION = "Reflection of Feelings"
    SELF_DISCLOSURE = "Self-disclosure"
    AFFIRMATION = "Affirmation and Reassurance"
    SUGGESTION = "Providing Suggestions"
    INFORMATION = "Information"
    ROLE_PLAY = "Role-play"
    OTHERS = "Others"


class Emotion(StrEnum):
    """Psy-Insight's client emotion labels (a list per client turn)."""

    NEUTRAL = "Neutral"
    ANXIETY = "Anxiety"
    HAPPINESS = "Happiness"
    ANGER = "Anger"
    SADNESS = "Sadness"
    DEPRESSION = "Depression"
    FEAR = "Fear"
    GUILTY = "Guilty"
    SHAME = "Shame"
    OTHERS = "Others"


class Stage(StrEnum):
    """Where a session sits in the course; the counselor's plan names one."""

    INTAKE = "intake"
    EXPLORATION = "exploration"
    INTERVENTION = "intervention"
    CONSOLIDATION = "consolidation"
    TERMINATION = "termination"


class NextAction(StrEnum):
    """The counselor's decision after a reply: go on, or close the session with this reply."""

    CONTINUE = "continue"
    CLOSE = "close"


class EndReason(StrEnum):
    """Why a session ended."""

    COUNSELOR_CLOSED = "counselor_closed"
    TURN_CAP = "turn_cap"
