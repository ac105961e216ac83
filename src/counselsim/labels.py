"""Label sets of the field (see docs): counselor strategies and client emotions; and the
small closed vocabularies records share (who speaks, why a session ended, how a judge scored)."""

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


class Defense(StrEnum):
    """How a resistant client avoids engaging; the client's per-turn stance is drawn from these."""

    DENY = "deny"  # the problem is not there
    DOWNPLAY = "downplay"  # it is there but not serious
    DEFLECT = "deflect"  # changes the subject, answers a different question
    BLAME = "blame"  # others or circumstances are the cause
    HELP_REJECT = "help_reject"  # "yes, but ...": every suggestion is turned down
    INTELLECTUALIZE = "intellectualize"  # talks about ideas and theories, not feelings
    PLEASE = "please"  # agrees on the surface, hides disagreement
    SOMATIZE = "somatize"  # steers back to bodily symptoms
    SUSTAIN = "sustain"  # argues for keeping things as they are (ambivalence)


class Stance(StrEnum):
    """The client's behavior on one turn: engage, or one of the defenses (same values)."""

    ENGAGE = "engage"
    DENY = "deny"
    DOWNPLAY = "downplay"
    DEFLECT = "deflect"
    BLAME = "blame"
    HELP_REJECT = "help_reject"
    INTELLECTUALIZE = "intellectualize"
    PLEASE = "please"
    SOMATIZE = "somatize"
    SUSTAIN = "sustain"


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
    SOURCE_END = "source_end"  # a reconstruction ends where its source dialogue ended


class ScoreMethod(StrEnum):
    """What a rubric judge's item values are."""

    SAMPLED = "sampled"  # the scores the judge wrote
    GEVAL = "geval"  # G-Eval: the mean over the allowed scores weighted by their probability
