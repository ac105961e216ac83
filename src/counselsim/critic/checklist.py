"""The checklist, the in-loop critic's principles: yes/no checks on every generated turn.

Principles are data (``critic/checklists/<role>.yaml``). A ``rule`` principle names a
deterministic check (:mod:`counselsim.critic.rules`: the evidence detectors, the safety
protocol, counts); ``judge`` principles are checked together by one critic call per turn,
which must state a problem before it may say a principle was broken (a small judge flags
everything otherwise). A ``blocking`` principle's failure outweighs any number of others when
the loop picks which attempt to keep. Rules run on every attempt;
the judge is asked only when every rule passed, and a judge whose output stays invalid is
recorded as ``judge_failed`` (never as a pass, never as a rejection).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    create_model,
    model_validator,
)

from counselsim.agents.base import AgentDeps
from counselsim.agents.views import spoken_text, window
from counselsim.config import CheckMode, Step
from counselsim.critic.rules import Rule, RuleInput, default_rules
from counselsim.critic.verdict import Check, Verdict, decided, rejections, undecided
from counselsim.errors import ConfigError, StructuredOutputError, field_error
from counselsim.labels import Role
from counselsim.personas.models import ClientProfile
from counselsim.records import PrincipleCheck, Turn

log = logging.getLogger(__name__)
SKIPPED_AFTER_RULE = "not asked: a rule already failed on this attempt"


class Principle(BaseModel):
    """One yes/no principle."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,40}$")
    method: Literal["rule", "judge"]
    rule: str | None = None
    blocking: bool = Field(
        default=False,
        description="a failure outweighs any number of others when the attempt to keep is chosen",
    )
    text: dict[str, str] = Field(min_length=1)

    def says(self, lang: str) -> str:
        """The principle in ``lang``, else in any language given."""
        return self.text.get(lang) or next(iter(self.text.values()))

    @model_validator(mode="after")
    def _rule_known(self, info: ValidationInfo) -> Principle:
        # the rules a checklist may name: the default ones, or those given as context
        rules = (info.context or {}).get("rules") or default_rules()
        if self.method == "rule" and self.rule not in rules:
            raise ValueError(f"principle '{self.id}': unknown rule '{self.rule}'")
        if self.method == "judge" and self.rule is not None:
            raise ValueError(f"principle '{self.id}': a judge principle names no rule")
        return self


class Checklist(BaseModel):
    """The principles for one role."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    principles: list[Principle] = Field(min_length=1)
    _verdict: type[BaseModel] | None = PrivateAttr(default=None)

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
        """The judge's output: per judge principle a stated problem, then whether it broke
        (built once per checklist)."""
        if self._verdict is None:
            self._verdict = self._verdict_model()
        return self._verdict

    def _verdict_model(self) -> type[BaseModel]:
        item = create_model(
            "PrincipleVerdict",
            __config__=ConfigDict(extra="forbid"),
            problem=(str, Field(default="", max_length=160)),
            violated=(bool, ...),
        )
        fields: dict[str, Any] = {p.id: (item, ...) for p in self.judged()}
        return create_model("ChecklistVerdict", __config__=ConfigDict(extra="forbid"), **fields)


def load_checklist(role: Role, rules: Mapping[str, Rule] | None = None) -> Checklist:
    """The packaged checklist of ``role``, its rule names checked against ``rules``
    (default: :func:`~counselsim.critic.rules.default_rules`; read once per process).

    Raises:
        ConfigError: the file is invalid (unknown fields or rules).
    """
    return _packaged_checklist(role) if rules is None else _read_checklist(role, rules)


@functools.cache
def _packaged_checklist(role: Role) -> Checklist:
    return _read_checklist(role, None)


def _read_checklist(role: Role, rules: Mapping[str, Rule] | None) -> Checklist:
    res = resources.files("counselsim") / "critic" / "checklists" / f"{role.value}.yaml"
    try:
        data = yaml.safe_load(res.read_text(encoding="utf-8"))
        return Checklist.model_validate(data, context={"rules": rules})
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
        rules: where rule principles are looked up (default: the evidence detectors and the
            rules of :func:`~counselsim.critic.rules.default_rules`).
    """

    def __init__(
        self,
        deps: AgentDeps,
        checklist: Checklist,
        mode: CheckMode,
        history_window: int = 8,
        rules: Mapping[str, Rule] | None = None,
    ) -> None:
        self.deps = deps
        self.checklist = checklist
        self.mode = mode
        self.history_window = history_window
        self.rules = rules or default_rules()
        self._blocking = {p.id for p in checklist.principles if p.blocking}

    def check(self, history: Sequence[Turn], profile: ClientProfile, seed: int) -> Check:
        """This checklist as one layer of the check-and-retry loop, for the turn after
        ``history``: failed principles reject the attempt as ``checklist:<principle>``."""

        async def run(text: str, attempt: int) -> Verdict:
            checks = await self.review(text, history, profile, attempt, seed)
            found = rejections(checks, "checklist:", self._blocking)
            return Verdict(findings=found, checks=checks)

        return run

    async def review(
        self,
        text: str,
        history: Sequence[Turn],
        profile: ClientProfile,
        attempt: int,
        seed: int,
    ) -> list[PrincipleCheck]:
        """Every principle checked on ``text``: the rules always, the judge principles in
        ``ALL`` mode (recorded as skipped when a rule already failed)."""
        if self.mode is CheckMode.OFF:
            return []
        role, lang = self.checklist.role, profile.language.value
        given = RuleInput(text, role, history, lang)
        checks = [
            decided(p.id, "rule", attempt, p.says(lang) if self.rules[p.rule](given) else "")
            for p in self.checklist.principles
            if p.method == "rule" and p.rule is not None
        ]
        judged = [p.id for p in self.checklist.judged()]
        if self.mode is not CheckMode.ALL or not judged:
            return checks
        if not all(c.passed for c in checks):
            # a rule already sends the turn back; the judge is asked only about a candidate
            return checks + undecided(judged, "judge", attempt, "skipped", SKIPPED_AFTER_RULE)
        return checks + await self._judge(text, history, profile, attempt, seed)

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
        except StructuredOutputError as exc:
            log.warning("checklist judge failed: %s", exc.last_error)
            return undecided([p.id for p in principles], "judge", attempt, "judge_failed", str(exc))
        out = []
        for p in principles:
            v = getattr(verdict, p.id)
            stated = v.problem.strip()
            # no stated problem, no rejection: a small judge says "violated" to everything
            out.append(
                decided(p.id, "judge", attempt, stated if v.violated and len(stated) >= 4 else "")
            )
        return out
