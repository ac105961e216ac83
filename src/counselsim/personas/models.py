"""The client profile: every field the client agent may draw on, already masked."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from counselsim.labels import Defense as Defense  # re-exported: profiles name it


class Language(StrEnum):
    """Dialogue language; it selects the prompt files."""

    ZH = "zh"
    EN = "en"


class ConversationStyle(StrEnum):
    """Patient-Ψ's six conversational styles."""

    PLAIN = "plain"
    UPSET = "upset"
    VERBOSE = "verbose"
    RESERVED = "reserved"
    TANGENT = "tangent"
    PLEASING = "pleasing"


class RiskFlag(StrEnum):
    """Crisis signals the counselor must recognise."""

    SUICIDAL_IDEATION = "suicidal_ideation"
    SELF_HARM = "self_harm"
    HARM_TO_OTHERS = "harm_to_others"
    ABUSE = "abuse"
    SUBSTANCE_USE = "substance_use"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class Demographics(_Strict):
    """Coarse, already-masked demographics: never names, places finer than a region, dates."""

    age_range: str | None = Field(default=None, max_length=20, examples=["20-29"])
    gender: str | None = Field(default=None, max_length=20)
    occupation: str | None = Field(default=None, max_length=60)
    family: str | None = Field(default=None, max_length=120)


class Situation(_Strict):
    """A cognitive-conceptualization situation: thought -> emotion -> behavior."""

    situation: str = Field(min_length=1, max_length=300)
    automatic_thoughts: list[str] = Field(min_length=1, max_length=5)
    emotions: list[str] = Field(default_factory=list, max_length=5)
    behaviors: list[str] = Field(default_factory=list, max_length=5)


class HiddenFact(_Strict):
    """Something the client keeps back at first, and what makes it disclose it."""

    content: str = Field(min_length=1, max_length=300)
    disclose_when: str = Field(min_length=1, max_length=200)
    min_session: int = Field(
        default=1, ge=1, le=20, description="never disclosed before this session of the course"
    )


class ClientProfile(_Strict):
    """A simulated client. Unknown fields are rejected so typos surface as errors."""

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    language: Language
    title: str | None = Field(
        default=None, max_length=80, description="one-line description for listings"
    )
    demographics: Demographics = Demographics()
    presenting_problem: str = Field(min_length=1, max_length=600)
    relevant_history: str = Field(default="", max_length=1200)
    core_beliefs: list[str] = Field(default_factory=list, max_length=5)
    intermediate_beliefs: list[str] = Field(default_factory=list, max_length=5)
    situations: list[Situation] = Field(default_factory=list, max_length=5)
    emotions: list[str] = Field(default_factory=list, max_length=8)
    hidden: list[HiddenFact] = Field(default_factory=list, max_length=5)
    style: list[ConversationStyle] = Field(
        default_factory=lambda: [ConversationStyle.PLAIN], min_length=1, max_length=3
    )
    resistance: int = Field(default=2, ge=1, le=5)
    defenses: list[Defense] = Field(
        default_factory=list,
        max_length=4,
        description="how this client resists; empty means the resistance level's usual ones",
    )
    risk_flags: list[RiskFlag] = Field(default_factory=list)
    attitude: str | None = Field(default=None, max_length=200)
