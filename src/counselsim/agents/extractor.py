"""Structures free text about a client (a help-seeking post, an intake form) into a profile.

The text must already be masked: it is sent to the model as it is given here.
"""

from __future__ import annotations

import logging
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from counselsim.agents.base import AgentDeps
from counselsim.config import Step
from counselsim.personas.models import RiskFlag

log = logging.getLogger(__name__)


# Words that must appear in the text for the model's risk flag to be kept. A small model fills
# enum lists eagerly; a crisis flag changes how the simulated client behaves, so it needs a
# cue in the source. Lower-case English cues match case-insensitively.
# fmt: off
RISK_CUES: dict[RiskFlag, tuple[str, ...]] = {
    RiskFlag.SUICIDAL_IDEATION: (
        "自杀", "轻生", "不想活", "活不下去", "活着没", "想死", "去死", "死了算了", "一死",
        "结束生命", "结束自己", "了结", "跳楼", "跳河", "遗书", "安眠药", "消失",
        "suicid", "kill myself", "end my life", "want to die", "better off dead",
        "not want to live", "don't want to live", "no reason to live", "end it all",
    ),
    RiskFlag.SELF_HARM: (
        "自残", "自伤", "割腕", "划手", "割手", "伤害自己", "撞墙", "掐自己", "打自己", "烫自己",
        "self-harm", "self harm", "cut myself", "cutting myself", "hurt myself", "burn myself",
    ),
    RiskFlag.HARM_TO_OTHERS: (
        "杀了", "杀人", "杀死", "报复", "伤害他", "伤害她", "伤害别人", "打死", "弄死", "同归于尽",
        "kill him", "kill her", "kill them", "hurt someone", "hurt others", "revenge",
    ),
    RiskFlag.ABUSE: (
        "打我", "打过我", "打骂", "家暴", "虐待", "性侵", "猥亵", "骚扰", "体罚", "霸凌", "欺负",
        "abuse", "hit me", "beat me", "beats me", "molest", "assault", "bullied", "bully",
    ),
    RiskFlag.SUBSTANCE_USE: (
        "喝酒", "酗酒", "醉", "吸毒", "毒品", "嗑药", "药瘾", "烟瘾", "安眠药",
        "drink", "alcohol", "drunk", "drug", "weed", "cocaine", "pills", "overdose",
    ),
}
# fmt: on


def grounded_risk_flags(flags: list[RiskFlag], text: str) -> list[RiskFlag]:
    """The flags with a cue in ``text`` (see :data:`RISK_CUES`), in the model's order."""
    lowered = text.lower()
    return [f for f in flags if any(cue in lowered for cue in RISK_CUES[f])]


# Low temperature: the profile should follow the text, not invent. Chinese profiles need room.

Short = Annotated[str, Field(min_length=1, max_length=60)]


class _Draft(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class DraftDemographics(_Draft):
    """Coarse demographics; null when the text does not say."""

    age_range: str | None = Field(max_length=20)
    gender: str | None = Field(max_length=20)
    occupation: str | None = Field(max_length=60)
    family: str | None = Field(max_length=120)


class DraftSituation(_Draft):
    """One situation of the cognitive conceptualization."""

    situation: str = Field(min_length=2, max_length=150)
    automatic_thoughts: list[Short] = Field(min_length=1, max_length=3)
    emotions: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(max_length=3)
    behaviors: list[Short] = Field(max_length=3)


class ProfileDraft(_Draft):
    """What the model fills in; the importer adds id and language and masks it again.

    Tighter bounds than :class:`~counselsim.personas.models.ClientProfile`, so a small
    model's constrained output is short and always fits the profile.
    """

    title: str = Field(min_length=2, max_length=60)
    demographics: DraftDemographics
    presenting_problem: str = Field(min_length=5, max_length=400)
    relevant_history: str = Field(max_length=500)
    core_beliefs: list[Short] = Field(max_length=3)
    intermediate_beliefs: list[Short] = Field(max_length=3)
    situations: list[DraftSituation] = Field(max_length=2)
    emotions: list[Annotated[str, Field(min_length=1, max_length=20)]] = Field(max_length=5)
    risk_flags: list[RiskFlag] = Field(max_length=3)


class ProfileExtractor:
    """Asks the model for a :class:`ProfileDraft` of one (masked) text, schema-constrained,
    with the usual bounded repair."""

    def __init__(self, deps: AgentDeps) -> None:
        self.deps = deps

    async def extract(
        self, text: str, lang: str, seed: int, kind: Literal["post", "intake"] = "post"
    ) -> ProfileDraft:
        """Structure ``text`` (already masked) into a draft written in ``lang``; risk flags
        without a cue in the text are dropped (:func:`grounded_risk_flags`).

        Raises:
            StructuredOutputError: no valid draft after the bounded repairs.
        """
        prompt = self.deps.prompts.render(
            "extractor",
            "profile",
            lang,
            text=text,
            kind=kind,
            risk_flags=[f.value for f in RiskFlag],
        )
        draft = await self.deps.ask(prompt, ProfileDraft, Step.EXTRACT, lang, seed)
        kept = grounded_risk_flags(list(dict.fromkeys(draft.risk_flags)), text)
        if len(kept) != len(draft.risk_flags):
            log.info(
                "dropped %d risk flag(s) without a cue in the text",
                len(draft.risk_flags) - len(kept),
            )
        return draft.model_copy(update={"risk_flags": kept})
