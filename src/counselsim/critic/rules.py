"""The rules, the critic's deterministic layer: a rule is a name and a function over (the new
turn's text, its role, the spoken history before it, the language) that says whether the
turn breaks it.

Checklists name rules (``critic/checklists/<role>.yaml``, ``method: rule``); a rule runs on
every attempt of every turn, whatever the form checks said. The rules are the evidence
layer's detectors (:mod:`counselsim.critic.evidence`): every detector id is a rule that is
broken when the detector fires on the turn, so there is one detector library. Two rules are
more than one detector: ``safety_protocol`` (the client's last turn carries a risk cue and
this turn asks nothing about the risk itself) and the counting rules ``one_question`` and
``brief``. Any mapping of name to :data:`Rule` can stand in for :func:`default_rules` (pass
it to ``load_checklist`` and ``TurnReviewer``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from counselsim.critic.evidence import Evidence, TurnLike, default_engine, detect_turn
from counselsim.critic.safety_floor import unanswered_cue
from counselsim.labels import Role


@dataclass(frozen=True)
class RuleInput:
    """What a rule sees: the new turn, who says it, the spoken history before it, and the
    language (``zh``, ``en``) the detectors read it in."""

    text: str
    role: Role
    history: Sequence[TurnLike]
    lang: str

    @cached_property
    def evidence(self) -> list[Evidence]:
        """What the detectors find on this turn (found once, shared by every rule)."""
        return detect_turn(self.text, self.role, self.history, self.lang)

    def fired(self, detector: str) -> bool:
        """Whether ``detector`` fired on this turn."""
        return any(e.detector == detector for e in self.evidence)


Rule = Callable[[RuleInput], bool]
"""A deterministic check: True when the turn breaks the principle."""

_SENTENCE = re.compile(r"[^。！？!?.…]+[。！？!?.…]+|[^。！？!?.…]+$")
MAX_CLIENT_SENTENCES = 4


def _questions(i: RuleInput) -> bool:
    return len(re.findall(r"[?？]+", i.text)) > 1


def _sentences(i: RuleInput) -> bool:
    return len([s for s in _SENTENCE.findall(i.text) if s.strip()]) > MAX_CLIENT_SENTENCES


def _safety(i: RuleInput) -> bool:
    return unanswered_cue(i.history, i.lang) is not None and not i.fired("risk_question")


def _fires(detector: str) -> Rule:
    return lambda i: i.fired(detector)


@lru_cache(maxsize=1)
def default_rules() -> Mapping[str, Rule]:
    """Every packaged detector as a rule, plus ``safety_protocol``, ``one_question`` and
    ``brief`` (built on first use: the detectors are data loaded then)."""
    rules: dict[str, Rule] = {d: _fires(d) for d in default_engine().catalog.ids}
    rules |= {"safety_protocol": _safety, "one_question": _questions, "brief": _sentences}
    return rules
