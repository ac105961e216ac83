"""Graph state: TypedDicts of pydantic payloads, with a reducer for the transcript."""

from __future__ import annotations

import operator
from enum import StrEnum
from typing import Annotated, TypedDict

from counselsim.labels import EndReason
from counselsim.personas.models import ClientProfile
from counselsim.records import CounselorThought, CriticReport, SessionPlan, SessionSummary, Turn


class Node(StrEnum):
    """Node names (verbs)."""

    COUNSELOR_PLAN = "counselor_plan"
    COUNSELOR_THINK = "counselor_think"
    COUNSELOR_RESPOND = "counselor_respond"
    CLIENT_RESPOND = "client_respond"
    SESSION_END = "session_end"
    SESSION_RUN = "session_run"
    SESSION_SUMMARIZE = "session_summarize"
    CRITIC_SCORE = "critic_score"
    SESSION_CLOSE = "session_close"  # the course graph: summary, then critic
    RECORD_WRITE = "record_write"
    SOURCE_RETRIEVE = "source_retrieve"
    SOURCE_MASK = "source_mask"
    TURN_REBUILD = "turn_rebuild"


class SessionState(TypedDict):
    """One session in progress."""

    course_id: str
    profile: ClientProfile
    session_index: int
    n_sessions: int
    max_turns: int
    min_turns: int
    notes: list[str]
    plan: SessionPlan | None
    turns: Annotated[list[Turn], operator.add]
    thought: CounselorThought | None
    end_reason: EndReason | None


class CourseState(TypedDict):
    """A course of sessions; the finished session's parts wait here until recorded."""

    course_id: str
    profile: ClientProfile
    n_sessions: int
    max_turns: int
    min_turns: int
    session_index: int
    notes: Annotated[list[str], operator.add]
    plan: SessionPlan | None
    turns: list[Turn]
    end_reason: EndReason | None
    summary: SessionSummary | None
    critic: CriticReport | None
