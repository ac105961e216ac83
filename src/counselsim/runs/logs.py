"""The logs of a run directory: ``sessions.jsonl`` (a line per finished session) and
``courses.jsonl`` (a line per course outcome), both appended one fsynced line at a time, and
the keyed score files under ``scores/``, rewritten atomically."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from counselsim.errors import CounselsimError, DataError, OutputError, field_error
from counselsim.jsonl import json_lines
from counselsim.records import SessionRecord
from counselsim.runs.files import append_line, cannot_write, repair_tail, write_atomic

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
K = TypeVar("K", bound=Hashable)


def read_records(
    path: Path, model: type[M], what: str, error: type[CounselsimError] = DataError
) -> list[tuple[int, M]]:
    """Each record of a JSONL file with its line number (``[]`` when the file is absent).

    A last line without its newline that does not parse (a write cut off by a crash, or one
    still in progress) is left out with a warning, and the file is not touched: readers never
    modify a run. Any other bad line raises ``error`` naming the file and line, never the
    line's content.
    """
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None
    torn = raw.count(b"\n") + 1 if raw and not raw.endswith(b"\n") else None
    found: list[tuple[int, M]] = []
    for n, value, reason in json_lines(raw):
        if reason is None:
            try:
                found.append((n, model.model_validate(value)))
                continue
            except ValidationError as exc:
                loc, msg = field_error(exc)
                reason = f"not a valid {what}: {loc}: {msg}"
        if n == torn:
            log.warning("%s:%d: incomplete last line left out (cut off mid-write)", path, n)
            continue
        raise error(f"{path}:{n}: {reason}")
    return found


def unique_sessions(
    path: Path, error: type[CounselsimError] = DataError
) -> list[tuple[int, SessionRecord]]:
    """The records of a ``sessions.jsonl``; a session stored twice is an error."""
    seen: dict[tuple[str, int], int] = {}
    records = read_records(path, SessionRecord, "session record", error)
    for n, rec in records:
        key = (rec.course_id, rec.session_index)
        if key in seen:
            raise error(
                f"{path}:{n}: session {rec.course_id}#{rec.session_index} "
                f"is already on line {seen[key]}"
            )
        seen[key] = n
    return records


def cut_torn_tail(path: Path, on_repair: Callable[[str], None]) -> None:
    """Cut a torn last line of a log this process is about to append to, and say so."""
    try:
        cut = repair_tail(path)
    except OSError as exc:
        raise cannot_write(path, exc) from None
    if cut:
        on_repair(f"{path.name}: cut a torn last line ({cut} bytes, a write cut off by a crash)")


class SessionLog:
    """``sessions.jsonl`` opened for appending: one line per (course, session), fsynced.

    On open a torn last line is cut; writing a session already in the file (a resumed run
    redoing its last step) is a no-op, so no session is ever duplicated. Only the keys stay in
    memory: a run of thousands of courses does not hold its records.
    """

    def __init__(
        self,
        path: Path,
        on_write: Callable[[SessionRecord], None] | None = None,
        on_repair: Callable[[str], None] = log.warning,
    ) -> None:
        self.path = path
        self.on_write = on_write
        self._lock = threading.Lock()
        self._turns: dict[str, dict[int, int]] = {}  # course -> session -> turns
        cut_torn_tail(path, on_repair)
        for _, rec in unique_sessions(path, OutputError):
            self._turns.setdefault(rec.course_id, {})[rec.session_index] = len(rec.turns)

    def write(self, record: SessionRecord) -> bool:
        """Append ``record`` unless its session is already stored; True if it was written.

        Raises:
            OutputError: the file cannot be written (read-only, disk full).
        """
        with self._lock:
            if self.has(record.course_id, record.session_index):
                return False
            try:
                append_line(self.path, record.model_dump_json())
            except OSError as exc:
                raise cannot_write(self.path, exc) from None
            self._turns.setdefault(record.course_id, {})[record.session_index] = len(record.turns)
        if self.on_write is not None:
            self.on_write(record)
        return True

    def has(self, course_id: str, session_index: int) -> bool:
        """Whether that session is stored."""
        return session_index in self._turns.get(course_id, {})

    def sessions_of(self, course_id: str) -> dict[int, int]:
        """The sessions stored for a course, each with its number of turns."""
        return dict(self._turns.get(course_id, {}))

    def courses(self) -> list[str]:
        """Every course with a stored session."""
        return sorted(self._turns)

    def records_of(self, course_id: str) -> list[SessionRecord]:
        """One course's records in session order (read back from the file)."""
        return [r for r in self.records if r.course_id == course_id]

    @property
    def records(self) -> list[SessionRecord]:
        """Every record, in (course, session) order (read back from the file)."""
        found = [rec for _, rec in unique_sessions(self.path, OutputError)]
        return sorted(found, key=lambda r: (r.course_id, r.session_index))


class CourseStatus(BaseModel):
    """A course's outcome, one line of ``courses.jsonl``; a course's last line counts.

    ``reopened``: it was recorded done, but fewer sessions than planned are stored (a session
    line lost to a crash); the next run finishes it.
    """

    model_config = ConfigDict(extra="forbid")

    course_id: str
    index: int
    profile_id: str
    seed: int
    status: Literal["done", "failed", "reopened"]
    sessions: int = 0
    turns: int = 0
    seconds: float = 0.0
    error: str | None = None


def read_statuses(path: Path) -> dict[str, CourseStatus]:
    """Each course's last status in a ``courses.jsonl``; reading only, so it is safe while
    another process appends (a torn last line is left out, not cut)."""
    return {s.course_id: s for _, s in read_records(path, CourseStatus, "course status line")}


class CourseLog:
    """``courses.jsonl`` opened for appending; the last line of a course is its status."""

    def __init__(self, path: Path, on_repair: Callable[[str], None] = log.warning) -> None:
        self.path = path
        self.on_repair = on_repair
        cut_torn_tail(path, on_repair)  # the writer's own file: cut a torn last line
        self.last = {
            s.course_id: s
            for _, s in read_records(path, CourseStatus, "course status", OutputError)
        }

    def done(self, course_id: str) -> bool:
        """Whether the course's last status is ``done``."""
        status = self.last.get(course_id)
        return status is not None and status.status == "done"

    def add(self, status: CourseStatus) -> None:
        """Append a status line.

        Raises:
            OutputError: the file cannot be written.
        """
        try:
            append_line(self.path, status.model_dump_json())
        except OSError as exc:
            raise cannot_write(self.path, exc) from None
        self.last[status.course_id] = status

    def reopen_incomplete(self, stored: Callable[[str], int], planned: int) -> None:
        """A course is done only when all its sessions are stored: reopen every course whose
        last status is ``done`` while fewer than ``planned`` of its sessions are stored."""
        for status in list(self.last.values()):
            have = stored(status.course_id)
            if status.status == "done" and have < planned:
                self.add(status.model_copy(update={"status": "reopened", "sessions": have}))
                self.on_repair(
                    f"{self.path.name}: course {status.course_id} was recorded done with "
                    f"{have} of {planned} sessions stored; reopened, its missing sessions "
                    "run again"
                )


class KeyedFile(Generic[M, K]):
    """A small JSONL file of records keyed by ``key`` (``scores/<rubric>.jsonl``: one line per
    unit), rewritten atomically on every write so a rerun resumes from it."""

    def __init__(self, path: Path, model: type[M], what: str, key: Callable[[M], K]) -> None:
        self.path = path
        self.key = key
        self.items: dict[K, M] = {key(r): r for _, r in read_records(path, model, what)}

    def get(self, k: K) -> M | None:
        """The record stored under ``k``."""
        return self.items.get(k)

    def put(self, record: M) -> None:
        """Store ``record`` (replacing the one with its key) and rewrite the file.

        Raises:
            OutputError: the file cannot be written.
        """
        self.items[self.key(record)] = record
        self.rewrite(self.items.values())

    def rewrite(self, records: Iterable[M]) -> None:
        """Replace the file's content with ``records``, atomically."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, "".join(r.model_dump_json() + "\n" for r in records))
        except OSError as exc:
            raise cannot_write(self.path, exc) from None
