"""The in-loop critic: yes/no principles checked on every generated turn, for both roles.

Principles are data (``critic/checklists/<role>.yaml``). A ``rule`` principle names a
deterministic check in :data:`RULES`; ``judge`` principles are checked together by one critic
call per turn, which must state a problem before it may say a principle was broken (a small
judge flags everything otherwise). A failed principle sends the turn back for a bounded
rewrite that is told what was wrong; every check of every attempt is recorded on the turn.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, model_validator

from counselsim.agents.base import AgentDeps
from counselsim.agents.views import spoken_text, window
from counselsim.config import CheckMode, Step
from counselsim.errors import ConfigError, StructuredOutputError, field_error
from counselsim.labels import Role
from counselsim.personas.models import ClientProfile
from counselsim.records import PrincipleCheck, Turn

# --- rules ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleInput:
    """What a rule sees: the new turn, who says it, and the spoken history before it."""

    text: str
    role: Role
    history: Sequence[Turn]


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


RULES: dict[str, Callable[[RuleInput], bool]] = {
    "one_question": _questions,
    "no_diagnosis": lambda i: bool(DIAGNOSIS.search(i.text)),
    "no_medication_advice": lambda i: bool(MEDICATION.search(i.text)),
    "safety_protocol": _safety,
    "brief": _sentences,
    "no_counseling": lambda i: bool(COUNSELING_TALK.search(i.text)),
}
"""Rule name -> True when the turn breaks the principle."""


# --- checklists as data -----------------------------------------------------------------------


class Principle(BaseModel):
    """One yes/no principle."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    method: Literal["rule", "judge"]
    rule: str | None = None
    text: dict[str, str] = Field(min_length=1)

    def says(self, lang: str) -> str:
        """The principle in ``lang``, else in any language given."""
        return self.text.get(lang) or next(iter(self.text.values()))

    @model_validator(mode="after")
    def _rule_known(self) -> Principle:
        if self.method == "rule" and self.rule not in RULES:
            raise ValueError(f"principle '{self.id}': unknown rule '{self.rule}'")
        if self.method == "judge" and self.rule is not None:
            raise ValueError(f"principle '{self.id}': a judge principle names no rule")
        return self


class Checklist(BaseModel):
    """The principles for one role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    principles: list[Principle] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Checklist:
        ids = [p.id for p in self.principles]
        if len(set(ids)) != len(ids):
            raise ValueError("principle ids must be unique")
        return self

    def judged(self) -> list[Principle]:
        """The principles a judge checks."""
        return [p for p in self.principles if p.method == "judge"]

    def verdict_model(self) -> type[BaseModel]:
        """The judge's output: per judge principle a stated problem, then whether it broke."""
        item = create_model(
            "PrincipleVerdict",
            __config__=ConfigDict(extra="forbid"),
            problem=(str, Field(default="", max_length=160)),
            violated=(bool, ...),
        )
        fields: dict[str, Any] = {p.id: (item, ...) for p in self.judged()}
        return create_model("ChecklistVerdict", __config__=ConfigDict(extra="forbid"), **fields)


def load_checklist(role: Role) -> Checklist:
    """The packaged checklist of ``role``.

    Raises:
        ConfigError: the file is invalid (unknown fields or rules).
    """
    res = resources.files("counselsim") / "critic" / "checklists" / f"{role.value}.yaml"
    try:
        return Checklist.model_validate(yaml.safe_load(res.read_text(encoding="utf-8")))
    except ValidationError as exc:
        loc, msg = field_error(exc)
        raise ConfigError(f"checklist '{role.value}': invalid field '{loc}': {msg}") from None


# --- the reviewer -----------------------------------------------------------------------------


class TurnReviewer:
    """Checks one role's generated turns against its checklist.

    Args:
        deps: the critic's model (used only in ``CheckMode.ALL``), prompts and sampling.
        checklist: the principles.
        mode: which principles are checked.
        history_window: turns of context the judge sees.
    """

    def __init__(
        self, deps: AgentDeps, checklist: Checklist, mode: CheckMode, history_window: int = 8
    ) -> None:
        self.deps = deps
        self.checklist = checklist
        self.mode = mode
        self.history_window = history_window

    async def review(
        self,
        text: str,
        history: Sequence[Turn],
        profile: ClientProfile,
        attempt: int,
        seed: int,
    ) -> list[PrincipleCheck]:
        """Every principle checked on ``text`` (judge principles only in ``ALL`` mode)."""
        if self.mode is CheckMode.OFF:
            return []
        role, lang = self.checklist.role, profile.language.value
        given = RuleInput(text, role, history)
        checks = []
        for p in self.checklist.principles:
            if p.method == "rule" and p.rule is not None:
                problem = p.says(lang) if RULES[p.rule](given) else ""
                checks.append(_check(p, attempt, problem))
        rules_passed = all(c.passed for c in checks)
        if self.mode is CheckMode.ALL and self.checklist.judged() and rules_passed:
            # a rule already sends the turn back; the judge is asked only about a candidate
            checks += await self._judge(text, history, profile, attempt, seed)
        return checks

    async def _judge(
        self,
        text: str,
        history: Sequence[Turn],
        profile: ClientProfile,
        attempt: int,
        seed: int,
    ) -> list[PrincipleCheck]:
        lang = profile.language.value
        principles = self.checklist.judged()
        prompt = self.deps.prompts.render(
            "critic",
            "checklist",
            lang,
            role=self.checklist.role.value,
            profile=profile.model_dump(mode="json"),
            principles=[{"id": p.id, "text": p.says(lang)} for p in principles],
            transcript=spoken_text(window(history, self.history_window), lang),
            text=text,
        )
        try:
            verdict = await self.deps.ask(
                prompt, self.checklist.verdict_model(), Step.CHECKLIST, lang, seed + attempt
            )
        except StructuredOutputError:
            return []  # an unusable verdict checks nothing; it never rejects a turn
        out = []
        for p in principles:
            v = getattr(verdict, p.id)
            stated = v.problem.strip()
            # no stated problem, no rejection: a small judge says "violated" to everything
            out.append(_check(p, attempt, stated if v.violated and len(stated) >= 4 else ""))
        return out


def _check(p: Principle, attempt: int, problem: str) -> PrincipleCheck:
    """The result of one principle: passed unless a problem is given."""
    return PrincipleCheck(
        principle=p.id, method=p.method, attempt=attempt, passed=not problem, problem=problem
    )
