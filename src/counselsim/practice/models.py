"""What a trainee sees and sends: public views, stream events, hints, the debrief.

Everything here may reach the trainee. The client's profile (hidden facts, beliefs, risk
flags), its stance and the per-turn labels stay in the session state and the record; the
debrief is the one place they are shown, after the session has ended.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from counselsim.labels import EndReason, Role
from counselsim.personas.models import ClientProfile, RiskFlag
from counselsim.records import CriticReport

MAX_TURN_CHARS = 500
"""Longest trainee turn: a spoken turn, and the client's 4k-token context holds 16 of them."""


class _Public(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SessionStatus(StrEnum):
    """Where a practice session stands."""

    AWAITING_TRAINEE = "awaiting_trainee"  # the client has answered; the trainee's turn
    CLIENT_PENDING = "client_pending"  # the trainee spoke; the client's reply is not stored
    ENDING = "ending"  # ended; notes, scores or record still being written
    ENDED = "ended"  # recorded; the debrief can be read


# --- what the trainee may see before the debrief ---------------------------------------------


class PublicPersona(_Public):
    """A persona as the picker shows it: an intake note, nothing of the inner profile."""

    id: str
    language: Literal["zh", "en"]
    kind: str
    difficulty: Literal["easy", "medium", "hard"]
    age_range: str | None
    gender: str | None
    occupation: str | None

    @classmethod
    def of(cls, profile: ClientProfile) -> PublicPersona:
        """The public face of ``profile`` (kind from its id, difficulty from its resistance)."""
        d = profile.demographics
        kind = profile.id.split("-", 1)[1] if profile.id[:3] in ("zh-", "en-") else profile.id
        level = (
            "easy" if profile.resistance <= 2 else "medium" if profile.resistance == 3 else "hard"
        )
        return cls(
            id=profile.id,
            language=profile.language.value,
            kind=kind.replace("-", " "),
            difficulty=level,
            age_range=d.age_range,
            gender=d.gender,
            occupation=d.occupation,
        )


class PublicTurn(_Public):
    """A spoken turn: who said what (no labels, stance or memories)."""

    index: int
    role: Role
    text: str


class Hint(_Public):
    """Feedback on the trainee's last turn."""

    kind: Literal["strategy", "question", "advice"]
    text: str


class RiskAlert(_Public):
    """A risk cue the client gave that the trainee has not asked about, with the protocol."""

    client_turn: int
    quote: str
    text: str
    protocol: list[str]
    resources: list[str]


class SessionView(_Public):
    """A session as the trainee's page shows it (after a reload, or in a second tab)."""

    id: str
    persona: PublicPersona
    session_index: int
    status: SessionStatus
    turns: list[PublicTurn]
    hints_on: bool
    busy: bool = Field(default=False, description="a turn is running (follow its stream)")
    alert: RiskAlert | None = None
    max_turns: int


class SessionInfo(_Public):
    """One line of the past-sessions list."""

    id: str
    persona_id: str
    session_index: int
    status: SessionStatus
    turns: int


# --- the events of one trainee turn (streamed) ------------------------------------------------


class TurnEvent(_Public):
    """The trainee's turn was accepted (echoed with its index)."""

    type: Literal["turn"] = "turn"
    turn: PublicTurn


class TokenEvent(_Public):
    """More of the client's reply, as it is generated."""

    type: Literal["token"] = "token"
    text: str


class ResetEvent(_Public):
    """The reply shown so far is discarded: the client's reply is being generated again."""

    type: Literal["reset"] = "reset"


class ReplyEvent(_Public):
    """The client's reply as stored (it may differ slightly from the streamed text)."""

    type: Literal["reply"] = "reply"
    turn: PublicTurn


class HintEvent(_Public):
    """Hints on the trainee's turn (only when hints are on)."""

    type: Literal["hint"] = "hint"
    hints: list[Hint]


class AlertEvent(_Public):
    """The open risk alert after each reply (always, hints or not): an unaddressed risk cue,
    or None once the trainee has asked about it (the page then takes the alert down)."""

    type: Literal["alert"] = "alert"
    alert: RiskAlert | None


class ErrorEvent(_Public):
    """The client could not answer; the trainee's turn is kept and the reply can be retried."""

    type: Literal["error"] = "error"
    message: str
    retry: bool = True


class DoneEvent(_Public):
    """The turn is over; the session's status now."""

    type: Literal["done"] = "done"
    status: SessionStatus


Event = Annotated[
    TurnEvent
    | TokenEvent
    | ResetEvent
    | ReplyEvent
    | HintEvent
    | AlertEvent
    | ErrorEvent
    | DoneEvent,
    Field(discriminator="type"),
]


# --- the trainee's case formulation and the debrief ------------------------------------------


class Formulation(_Public):
    """The case formulation the trainee fills in while talking (free text per field)."""

    presenting_problem: str = Field(default="", max_length=2000)
    core_beliefs: str = Field(default="", max_length=2000)
    intermediate_beliefs: str = Field(default="", max_length=2000)
    automatic_thoughts: str = Field(default="", max_length=2000)
    emotions: str = Field(default="", max_length=2000)
    risk: list[RiskFlag] = Field(default_factory=list)


class EvidenceSummary(_Public):
    """The deterministic checks of a session (turn indexes into the transcript)."""

    source: str = Field(description="which detectors produced this summary")
    risk_cues: list[int] = Field(description="client turns carrying a risk cue")
    risk_questions: list[int] = Field(description="trainee turns asking about risk")
    missed_crisis: int = Field(
        description="risk cues with no risk question in the trainee's next two turns"
    )
    open_questions: int
    closed_questions: int
    advice_before_exploration: list[int]


class JudgeStatus(_Public):
    """Who scored the session and how far the scores can be trusted."""

    model: str
    validated: bool
    note: str


class HiddenFactResult(_Public):
    """One of the client's hidden facts, and whether the trainee drew it out."""

    content: str
    disclose_when: str
    min_session: int
    offered: bool = Field(description="the client was ready to tell it (rapport and session)")
    uncovered: bool = Field(description="the client said it")
    turn: int | None = Field(default=None, description="the client turn that said it")


class FormulationField(_Public):
    """One field of the trainee's formulation beside the profile's."""

    field: str
    yours: str
    reference: list[str]
    matched: list[bool] = Field(description="per reference item: found in yours (by words)")


class Debrief(_Public):
    """Everything shown after a session; also ``OUT/debrief.json``."""

    schema_version: Literal[1] = 1
    id: str
    course_id: str
    session_index: int
    profile_id: str
    language: Literal["zh", "en"]
    end_reason: EndReason
    turns: list[PublicTurn]
    judge: JudgeStatus
    scores: CriticReport
    checks: EvidenceSummary
    hidden_facts: list[HiddenFactResult]
    formulation: list[FormulationField]
    strategy_mix: dict[str, int]
    transcript: dict[str, str] = Field(description="downloads: format -> path under OUT")
