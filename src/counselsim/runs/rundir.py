"""``RunDir``: the one owner of a run directory's layout.

A run directory holds::

    run.json            the manifest (Manifest): kind, resolved config, provenance, profiles
    sessions.jsonl      a line per finished session (SessionRecord), appended and fsynced
    courses.jsonl       generate: a line per course outcome (CourseStatus)
    summary.json        generate: the last invocation's summary (GenerateSummary)
    checkpoints.sqlite  LangGraph's checkpoints, a thread per course (or checkpoints.pg)
    memory/             client memory (Chroma), filtered by course
    intake/             generate --profiles cactus:PATH: the imported, masked profiles
    shards/NNN/         generate --executor ray: one run directory per shard
    scores/             counselsim score: RUBRIC.jsonl, RUBRIC.summary.json, RUBRIC.compare.jsonl
    leaks.json          reconstruct: the leak audit against the unmasked sources
    corpus_index/       reconstruct: the corpus's embedding index
    metrics.json        metrics --out DIR/metrics.json: read by the report
    validation.json     judge validate --out DIR: the judge's validation, read by the report
                        (and by the stress-test report)
    validation/         judge validate: RUBRIC.METHOD.jsonl, its scores of the known-groups set
    profiles/           optional, by hand: <id>.yaml profiles export looks up by id
    practice.json       practice: the sessions started (id, course, profile, session)
    debrief.json        practice: the latest debrief; every one in debriefs/<session>.json
    formulations/       practice: the trainee's case formulation drafts, <session>.json
    transcripts/        practice: each finished session as <session>.jsonl and .md
    counselors/NAME/    stress-test: one run directory per counselor tested (its courses, scores)
    report.json         stress-test: the report's data; report.html, its page

Every command reads and writes a run through a ``RunDir``. Opened to run again
(:meth:`RunDir.open_run`), it reconciles its logs first: a torn last line is cut, and a
course recorded done with a session missing is reopened; the course runner then rewinds that
course's checkpoint so the missing session is generated again. Each repair is logged as one
line (file and course names, never data) and kept in :attr:`RunDir.repairs`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from counselsim.errors import DataError, field_error
from counselsim.labels import ScoreMethod
from counselsim.personas.models import ClientProfile
from counselsim.records import Comparison, RubricScore, SessionRecord
from counselsim.runs.files import cannot_write, claim_dir, write_atomic
from counselsim.runs.logs import (
    CourseLog,
    CourseStatus,
    KeyedFile,
    SessionLog,
    read_records,
    read_statuses,
    unique_sessions,
)
from counselsim.runs.manifest import SCHEMA_VERSION, Manifest

log = logging.getLogger(__name__)

ScoreFile = KeyedFile[RubricScore, str]
ComparisonFile = KeyedFile[Comparison, tuple[str, str]]


def _score_file(path: Path) -> ScoreFile:
    return KeyedFile(path, RubricScore, "rubric score", lambda s: s.unit)


class RunDir:
    """A run directory (see the module docstring for its layout).

    Args:
        root: the directory.
        sessions_file: a sessions file given directly (``export x.jsonl``), read in place of
            ``root/sessions.jsonl``.
    """

    RUN = "run.json"
    SESSIONS = "sessions.jsonl"
    COURSES = "courses.jsonl"
    SUMMARY = "summary.json"
    SCORES = "scores"
    CHECKPOINTS = "checkpoints.sqlite"
    CHECKPOINTS_PG = "checkpoints.pg"
    MEMORY = "memory"
    INTAKE = "intake"
    SHARDS = "shards"
    LEAKS = "leaks.json"
    CORPUS_INDEX = "corpus_index"
    METRICS = "metrics.json"
    VALIDATION = "validation.json"
    VALIDATION_SCORES = "validation"
    PROFILES = "profiles"
    PRACTICE = "practice.json"
    DEBRIEF = "debrief.json"
    DEBRIEFS = "debriefs"
    FORMULATIONS = "formulations"
    TRANSCRIPTS = "transcripts"
    COUNSELORS = "counselors"
    REPORT_JSON = "report.json"
    REPORT_HTML = "report.html"

    def __init__(self, root: Path, sessions_file: Path | None = None) -> None:
        self.root = root
        self.sessions_file = sessions_file or root / self.SESSIONS
        self.repairs: list[str] = []
        self._sessions: SessionLog | None = None
        self._courses: CourseLog | None = None

    @classmethod
    def at(cls, src: Path) -> RunDir:
        """The run to read at ``src``: a run directory, or a sessions file inside one.

        Raises:
            DataError: ``src`` is missing, or a directory without ``sessions.jsonl``.
        """
        if src.is_dir():
            run = cls(src)
            if not run.sessions_file.is_file():
                raise DataError(
                    f"{src}: no {cls.SESSIONS} here; give a run directory or a sessions file"
                )
            return run
        if src.is_file():
            return cls(src.parent, sessions_file=src)
        raise DataError(f"{src}: no such file or directory")

    # --- paths ------------------------------------------------------------------------------

    @property
    def run_file(self) -> Path:
        """``run.json``, the manifest."""
        return self.root / self.RUN

    @property
    def courses_file(self) -> Path:
        """``courses.jsonl``, the course outcomes (generate)."""
        return self.root / self.COURSES

    @property
    def summary_file(self) -> Path:
        """``summary.json``, the last generate invocation's summary."""
        return self.root / self.SUMMARY

    @property
    def scores_dir(self) -> Path:
        """``scores/``, what ``counselsim score`` writes."""
        return self.root / self.SCORES

    @property
    def checkpoints_file(self) -> Path:
        """``checkpoints.sqlite``, LangGraph's checkpoints."""
        return self.root / self.CHECKPOINTS

    @property
    def checkpoints_pg_file(self) -> Path:
        """``checkpoints.pg``, the run's Postgres schema name (with a DSN)."""
        return self.root / self.CHECKPOINTS_PG

    @property
    def memory_dir(self) -> Path:
        """``memory/``, the client memory (Chroma)."""
        return self.root / self.MEMORY

    @property
    def intake_dir(self) -> Path:
        """``intake/``, profiles imported for the run (``cactus:PATH``)."""
        return self.root / self.INTAKE

    @property
    def leaks_file(self) -> Path:
        """``leaks.json``, reconstruct's leak audit."""
        return self.root / self.LEAKS

    @property
    def corpus_index_dir(self) -> Path:
        """``corpus_index/``, reconstruct's corpus index."""
        return self.root / self.CORPUS_INDEX

    @property
    def metrics_file(self) -> Path:
        """``metrics.json``, metrics the report shows."""
        return self.root / self.METRICS

    @property
    def validation_file(self) -> Path:
        """``validation.json``, a judge's validation (``judge validate``)."""
        return self.root / self.VALIDATION

    @property
    def profiles_dir(self) -> Path:
        """``profiles/``, profiles placed by hand for export to find."""
        return self.root / self.PROFILES

    @property
    def practice_file(self) -> Path:
        """``practice.json``, the practice sessions started."""
        return self.root / self.PRACTICE

    @property
    def debrief_file(self) -> Path:
        """``debrief.json``, practice's latest debrief."""
        return self.root / self.DEBRIEF

    def session_file(self, folder: str, session_id: str, suffix: str = ".json") -> Path:
        """A practice session's file in ``folder`` (:attr:`DEBRIEFS`, :attr:`FORMULATIONS`,
        :attr:`TRANSCRIPTS`): ``<folder>/<session_id><suffix>``."""
        return self.root / folder / f"{session_id}{suffix}"

    @property
    def report_json_file(self) -> Path:
        """``report.json``, the stress test's report data."""
        return self.root / self.REPORT_JSON

    @property
    def report_html_file(self) -> Path:
        """``report.html``, the stress test's report page."""
        return self.root / self.REPORT_HTML

    def counselor(self, name: str) -> RunDir:
        """A tested counselor's own run directory (``counselors/<name>``)."""
        return RunDir(self.root / self.COUNSELORS / name)

    def shard(self, k: int) -> RunDir:
        """Shard ``k``'s own run directory (``shards/NNN``)."""
        return RunDir(self.root / self.SHARDS / f"{k:03d}")

    def score_path(self, rubric: str, suffix: str = ".jsonl") -> Path:
        """``scores/<rubric><suffix>`` (``:`` of a subset becomes ``-``)."""
        return self.scores_dir / f"{rubric.replace(':', '-')}{suffix}"

    # --- the manifest -----------------------------------------------------------------------

    def manifest(self) -> Manifest | None:
        """``run.json``, or None when there is none.

        Raises:
            DataError: unreadable, invalid, or written by a newer counselsim.
        """
        try:
            raw = self.run_file.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DataError(f"{self.run_file}: cannot read: {exc.strerror}") from None
        try:
            manifest = Manifest.model_validate_json(raw)
        except ValidationError as exc:
            loc, msg = field_error(exc)
            raise DataError(f"{self.run_file}: not a valid run description: {loc}: {msg}") from None
        if manifest.schema_version > SCHEMA_VERSION:
            raise DataError(
                f"{self.run_file}: written by a newer counselsim (schema "
                f"{manifest.schema_version}, this one reads up to {SCHEMA_VERSION})"
            )
        return manifest

    def write_manifest(self, manifest: Manifest) -> None:
        """(Re)write ``run.json`` atomically."""
        self.write_json(self.run_file, manifest.dump())

    def open_run(self, manifest: Manifest, allowed: tuple[str, ...] = ()) -> bool:
        """Create the run (writing ``run.json``) or accept it for resuming, then reconcile its
        logs; returns True when resuming.

        A directory holding a run with another ``resume_key``, or anything else, is refused
        (entries named in ``allowed`` may precede ``run.json``).

        Raises:
            OutputError: not usable for this run (another run, other files, not writable).
            DataError: its ``run.json`` or a log holds a line that is not a record.
        """
        resumed = claim_dir(self.root, self.RUN, manifest.resume_key, allowed)
        if resumed:
            self.manifest()  # a run.json from a newer counselsim is refused here
            self.reconcile(manifest.planned_sessions)
        else:
            self.write_manifest(manifest)
        return resumed

    # --- reading ----------------------------------------------------------------------------

    def sessions(self) -> list[SessionRecord]:
        """Every session record, in (course, session) order.

        Raises:
            DataError: missing, unreadable, a bad or repeated line (``file:line``), or empty.
        """
        if not self.sessions_file.is_file():
            raise DataError(f"{self.sessions_file}: no such file")
        records = [rec for _, rec in unique_sessions(self.sessions_file)]
        if not records:
            raise DataError(f"{self.sessions_file}: no session records (empty)")
        return sorted(records, key=lambda r: (r.course_id, r.session_index))

    def courses(self) -> dict[str, CourseStatus]:
        """Each course's last status (``{}`` for a run without ``courses.jsonl``)."""
        return read_statuses(self.courses_file)

    def profiles(self) -> dict[str, ClientProfile]:
        """The client profiles ``run.json`` records, by id (``{}`` without one).

        Raises:
            DataError: ``run.json`` is present but not a valid run description.
        """
        manifest = self.manifest()
        return manifest.client_profiles() if manifest else {}

    def planned_sessions(self) -> int:
        """Sessions per course as ``run.json`` records them (0 when unknown)."""
        manifest = self.manifest()
        return manifest.planned_sessions if manifest else 0

    def scores(self, rubric: str | None = None) -> list[RubricScore]:
        """The rubric scores of ``scores/<rubric>.jsonl``, or of every rubric (not the
        pairwise ``*.compare.jsonl``); ``[]`` without any."""
        if rubric is not None:
            files = [self.score_path(rubric)]
        else:
            files = sorted(
                f for f in self.scores_dir.glob("*.jsonl") if not f.name.endswith(".compare.jsonl")
            )
        return [s for f in files for _, s in read_records(f, RubricScore, "rubric score")]

    def read_json(self, path: Path) -> dict[str, Any] | None:
        """A JSON object file of the run (``metrics.json``, ``summary.json``), or None.

        Raises:
            DataError: present but not a JSON object.
        """
        try:
            value = json.loads(path.read_bytes())
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise DataError(f"{path}: cannot read: {exc.strerror}") from None
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise DataError(f"{path}: not valid JSON") from None
        if not isinstance(value, dict):
            raise DataError(f"{path}: expected a JSON object")
        return value

    def saved(self) -> str:
        """What an interrupted run has kept, in words (for the Ctrl-C message)."""
        try:
            records = read_records(self.sessions_file, SessionRecord, "session record")
        except DataError:
            return f"the sessions finished so far are in {self.sessions_file}"
        courses = len({rec.course_id for _, rec in records})
        return f"{len(records)} session(s) of {courses} course(s) are saved in {self.root}"

    # --- writing ----------------------------------------------------------------------------

    def session_log(self, on_write: Callable[[SessionRecord], None] | None = None) -> SessionLog:
        """``sessions.jsonl`` opened for appending (once per ``RunDir``)."""
        if self._sessions is None:
            self._sessions = SessionLog(self.sessions_file, on_repair=self.repair)
        if on_write is not None:
            self._sessions.on_write = on_write
        return self._sessions

    def course_log(self) -> CourseLog:
        """``courses.jsonl`` opened for appending (once per ``RunDir``)."""
        if self._courses is None:
            self._courses = CourseLog(self.courses_file, on_repair=self.repair)
        return self._courses

    def score_file(self, rubric: str) -> ScoreFile:
        """``scores/<rubric>.jsonl``, keyed by unit."""
        return _score_file(self.score_path(rubric))

    def validation_score_file(self, rubric: str, method: ScoreMethod) -> ScoreFile:
        """``validation/<rubric>.<method>.jsonl``: ``judge validate``'s scores of the
        known-groups replies, keyed by unit."""
        name = f"{rubric.replace(':', '-')}.{method}.jsonl"
        return _score_file(self.root / self.VALIDATION_SCORES / name)

    def comparison_file(self, rubric: str) -> ComparisonFile:
        """``scores/<rubric>.compare.jsonl``, keyed by the (A, B) unit pair."""
        return KeyedFile(
            self.score_path(rubric, ".compare.jsonl"),
            Comparison,
            "comparison record",
            lambda c: (c.unit_a, c.unit_b),
        )

    def write_json(self, path: Path, data: BaseModel | dict[str, Any]) -> Path:
        """Write a JSON file of the run atomically (creating its folder); returns its path.

        Raises:
            OutputError: it cannot be written.
        """
        body = (
            data.model_dump(mode="json", exclude_none=True) if isinstance(data, BaseModel) else data
        )
        return self.write_text(path, json.dumps(body, ensure_ascii=False, indent=2) + "\n")

    def write_text(self, path: Path, text: str) -> Path:
        """Write a file of the run atomically (creating its folder); returns its path.

        Raises:
            OutputError: it cannot be written.
        """
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text)
        except OSError as exc:
            raise cannot_write(path, exc) from None
        return path

    # --- integrity --------------------------------------------------------------------------

    def repair(self, what: str) -> None:
        """Record and log one repair (a line naming files and courses, never data)."""
        self.repairs.append(what)
        log.warning("repaired: %s", what)

    def reconcile(self, planned_sessions: int) -> None:
        """Bring the logs in line with each other: cut torn last lines, and reopen courses
        recorded done with fewer than ``planned_sessions`` sessions stored (0: unknown)."""
        sessions = self.session_log()
        if self.courses_file.exists():
            courses = self.course_log()
            if planned_sessions:
                courses.reopen_incomplete(lambda c: len(sessions.sessions_of(c)), planned_sessions)
