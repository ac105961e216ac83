"""The rules, the critic's deterministic layer: a rule is a name and a function over (the new
turn's text, its role, the spoken history before it) that says whether the turn breaks it.

Checklists name rules (``critic/checklists/<role>.yaml``, ``method: rule``); a rule runs on
every attempt of every turn, whatever the form checks said. Any mapping of name to
:data:`Rule` can stand in for :data:`RULES` (pass it to ``load_checklist`` and
``TurnReviewer``), so another detector source plugs in without touching the checklists.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from counselsim.labels import Role
from counselsim.records import Turn


@dataclass(frozen=True)
class RuleInput:
    """What a rule sees: the new turn, who says it, and the spoken history before it."""

    text: str
    role: Role
    history: Sequence[Turn]


Rule = Callable[[RuleInput], bool]
"""A deterministic check: True when the turn breaks the principle."""


CRISIS_CUE = re.compile(
    r"想死|不想活|活着没(有)?意思|自杀|轻生|结束(自己的)?生命|割腕|伤害自己|跳楼|了结|"
    r"(自己|我)消失|不想存在|离开这个世界|"
    r"kill (myself|him|her|them)|suicid|end (my|it all|my life)|don'?t want to (live|be here)|"
    r"hurt (myself|someone)|self[- ]harm|no reason to live|better off dead|"
    r"(wish i could|want to) disappear",
    re.IGNORECASE,
)
SAFETY_ASKED = re.compile(
    r"自杀|伤害自己|想死|轻生|结束生命|安全|计划|热线|急诊|110|120|心理援助|"
    r"suicid|kill yourself|hurt(ing)? yourself|end your life|safe|plan|hotline|crisis|"
    r"988|emergency|helpline",
    re.IGNORECASE,
)
DIAGNOSIS = re.compile(
    r"你[^，。！？,.!?]{0,4}?(是|有|患有|得了|患上了)(重度|轻度|中度)?(抑郁症|焦虑症|强迫症|双相|躁郁症|"
    r"精神分裂|人格障碍|创伤后应激障碍|PTSD|多动症|进食障碍)|诊断(你)?为|"
    r"you (probably |clearly |definitely )?(have|are suffering from|'ve got) "
    r"(clinical |major |severe )?(depression|an? anxiety disorder|ocd|bipolar|ptsd|"
    r"schizophrenia|an? personality disorder|adhd|an eating disorder)|"
    r"i('d| would)? diagnose",
    re.IGNORECASE,
)
MEDICATION = re.compile(
    r"(停|别吃|不要吃|减|加)(掉)?(药|药物)|自行(停|减|加)药|"
    r"(stop|quit|skip|double|cut down on|come off) (taking )?(your |the )?(medication|meds|pills)",
    re.IGNORECASE,
)
COUNSELING_TALK = re.compile(
    r"你(可以|应该|不妨)(试试|多|去)|我建议你|建议你|"
    r"you (should|could) try|i suggest (that )?you|have you (tried|considered)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[^。！？!?.…]+[。！？!?.…]+|[^。！？!?.…]+$")
MAX_CLIENT_SENTENCES = 4


def _questions(i: RuleInput) -> bool:
    return len(re.findall(r"[?？]+", i.text)) > 1


def _safety(i: RuleInput) -> bool:
    last_client = next((t for t in reversed(i.history) if t.role is Role.CLIENT), None)
    cue = last_client is not None and CRISIS_CUE.search(last_client.text)
    return bool(cue) and not SAFETY_ASKED.search(i.text)


def _sentences(i: RuleInput) -> bool:
    return len([s for s in _SENTENCE.findall(i.text) if s.strip()]) > MAX_CLIENT_SENTENCES


RULES: dict[str, Rule] = {
    "one_question": _questions,
    "no_diagnosis": lambda i: bool(DIAGNOSIS.search(i.text)),
    "no_medication_advice": lambda i: bool(MEDICATION.search(i.text)),
    "safety_protocol": _safety,
    "brief": _sentences,
    "no_counseling": lambda i: bool(COUNSELING_TALK.search(i.text)),
}
"""Rule name -> True when the turn breaks the principle."""
