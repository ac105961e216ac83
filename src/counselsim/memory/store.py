"""The memory interface the agents and graphs depend on (ChromaDB implements it)."""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class MemoryKind(StrEnum):
    """What a memory holds."""

    SUMMARY = "summary"
    EVENT = "event"


class MemoryItem(BaseModel):
    """One memory written after a session."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    course_id: str
    session_index: int = Field(ge=1)
    kind: MemoryKind
    ordinal: int = Field(default=0, ge=0)
    text: str = Field(min_length=1)

    @property
    def id(self) -> str:
        """Stable id, so writing the same session twice (a resumed run) overwrites, not doubles."""
        return f"{self.course_id}:s{self.session_index}:{self.kind.value}:{self.ordinal}"


class MemoryHit(BaseModel):
    """A retrieved memory with its distance to the query (smaller is closer)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    session_index: int
    kind: MemoryKind
    text: str
    distance: float


class MemoryStore(Protocol):
    """Synchronous store; async callers wrap it in a thread."""

    def add(self, items: list[MemoryItem]) -> None:
        """Insert or overwrite memories."""

    def search(self, course_id: str, query: str, k: int, before_session: int) -> list[MemoryHit]:
        """The ``k`` memories of ``course_id`` closest to ``query`` from sessions before one."""

    def forget(self, course_id: str, from_session: int) -> None:
        """Delete a course's memories of ``from_session`` and later sessions."""

    def count(self, course_id: str) -> int:
        """How many memories a course holds."""
