"""Metric inputs in one neutral shape: :class:`MetricDialogue` of :class:`MetricTurn`.

:func:`load_input` reads, unmasked and read-only:

- a counselsim ``sessions.jsonl`` (``simulate`` or ``reconstruct`` output; also a run folder
  holding one): one dialogue per session, id ``course_id#session_index``, strategies from the
  counselor turns' ``strategy``, emotions from the client turns' ``emotion``;
- a PsyDial ``{"messages": [...]}`` JSONL (user = client, assistant = counselor, system
  dropped; a D101 case's ``golden`` reply is appended), language detected from the text;
- a ``dialogues.jsonl`` written by ``profiles import`` (the neutral :class:`Dialogue` lines);
- a folder of cal_LDD ``*.json`` files, each a list of ``{"role": "client"|"counselor",
  "content": ...}`` (one dialogue per file, id = file stem, files sorted by name), or one
  such file;
- with an explicit ``fmt``: any dialogue importer format (``transcript``, ``psyinsight``, ...)
  from a file, a folder or a Hugging Face dataset (``hf:NAME[:SPLIT]``), each record parsed
  by its importer (:meth:`~counselsim.importers.DialogueImporter.parse`) and never stripped,
  masked or thinned; the turn labels become strategies (counselor) or emotions (client).
  ``dialogues`` reads a ``dialogues.jsonl`` written by ``profiles import``.

Messages are counted exactly as they are, whatever the reader: text not stripped, empty turns
kept (an importer's ``profiles import`` output strips and drops them; its parse does not).

Nothing is skipped: a record that cannot be read raises :class:`MetricsError` naming the
file and line and the reason, never the record's text; for a file of a known importer format
read without one, the message names the format to pass. An input without dialogues is an
error too (``empty corpus``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from counselsim.errors import CounselsimError, DataError, field_error
from counselsim.importers import DialogueImporter, ImportFailure, RecordError, SourceRecord
from counselsim.importers.hf import parse_hf
from counselsim.importers.registry import get_importer, guess_format
from counselsim.importers.store import read_dialogues
from counselsim.jsonl import json_error, json_lines
from counselsim.labels import Role
from counselsim.privacy import detect_language
from counselsim.records import CounselorTurn, Dialogue, SessionRecord
from counselsim.runs import RunDir


class MetricsError(DataError):
    """A metrics input that is missing, unreadable, of unknown format, or empty."""


class MetricTurn(BaseModel):
    """One spoken turn with the labels the source gives it (system messages are dropped)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    text: str
    strategies: list[str] = Field(default_factory=list)
    emotions: list[str] = Field(default_factory=list)


class MetricDialogue(BaseModel):
    """One dialogue (a counselsim session is one dialogue) as the metrics read it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    language: Literal["zh", "en"]
    source: str = Field(description="'counselsim', 'psydial', 'cal_ldd' or an importer format")
    course_id: str | None = None
    session_index: int | None = None
    turns: list[MetricTurn] = Field(min_length=1)


# --------------------------------------------------------------------------- record shapes


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Message(_Strict):
    role: Literal["system", "user", "assistant"]
    content: str


class _PsyDialRecord(BaseModel):
    model_config = ConfigDict(extra="ignore")  # idx and other fields are not needed

    messages: list[_Message]
    golden: _Message | None = None


class _LddTurn(_Strict):
    role: Literal["client", "counselor"]
    content: str


_LDD_FILE = TypeAdapter(list[_LddTurn])
_PSYDIAL_ROLES = {"user": Role.CLIENT, "assistant": Role.COUNSELOR}


def _from_session(rec: SessionRecord) -> MetricDialogue:
    turns = [
        MetricTurn(role=t.role, text=t.text, strategies=list(t.strategy))
        if isinstance(t, CounselorTurn)
        else MetricTurn(role=t.role, text=t.text, emotions=list(t.emotion))
        for t in rec.turns
    ]
    return MetricDialogue(
        id=f"{rec.course_id}#{rec.session_index}",
        language=rec.language,
        source="counselsim",
        course_id=rec.course_id,
        session_index=rec.session_index,
        turns=turns,
    )


def _from_psydial(data: Any, rid: str) -> MetricDialogue:
    rec = _PsyDialRecord.model_validate(data)
    messages = [*rec.messages, *([rec.golden] if rec.golden else [])]
    turns = [
        MetricTurn(role=_PSYDIAL_ROLES[m.role], text=m.content)
        for m in messages
        if m.role != "system"
    ]
    return _dialogue(rid, "psydial", turns)


def _from_dialogue(dialogue: Dialogue) -> MetricDialogue:
    return MetricDialogue(
        id=dialogue.id,
        language=dialogue.language,
        source=dialogue.source,
        turns=[
            MetricTurn(
                role=t.role,
                text=t.text,
                strategies=list(t.labels) if t.role is Role.COUNSELOR else [],
                emotions=list(t.labels) if t.role is Role.CLIENT else [],
            )
            for t in dialogue.turns
        ],
    )


def _dialogue(rid: str, source: str, turns: list[MetricTurn]) -> MetricDialogue:
    """A dialogue whose language is detected from its text (the project's one detector)."""
    return MetricDialogue(
        id=rid, language=detect_language(t.text for t in turns), source=source, turns=turns
    )


# --------------------------------------------------------------------------- readers


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise MetricsError(f"{path}: cannot read: {exc.strerror or type(exc).__name__}") from None


def _invalid(where: str, what: str, exc: ValidationError) -> MetricsError:
    loc, msg = field_error(exc)
    return MetricsError(f"{where}: not a valid {what}: {loc}: {msg}")


_KINDS: dict[str, str] = {
    "psydial": "PsyDial 'messages' record",
    "dialogue": "dialogues.jsonl line",
}


def _format_hint(path: Path, value: Any) -> str:
    """``; it looks like ...`` naming the importer format ``value`` has, or ``""``."""
    importer = guess_format(value)
    if importer is None:
        return ""
    if not isinstance(importer, DialogueImporter):
        return (
            f"; it looks like {importer.name} records, which are profiles, not dialogues "
            f"(import them with: counselsim profiles import {path} --format {importer.name})"
        )
    return (
        f"; it looks like a {importer.name} corpus: pass {importer.name}:{path} "
        f"(or --format {importer.name})"
    )


def _kind_of(value: Any) -> str | None:
    if not isinstance(value, dict):
        return None
    if "course_id" in value and "turns" in value:
        return "session"
    if "messages" in value:
        return "psydial"
    if "turns" in value and "source" in value:
        return "dialogue"
    return None


def _read_run(path: Path) -> list[MetricDialogue]:
    """A counselsim run's sessions (through its RunDir), in (course, session) order."""
    try:
        records = RunDir.at(path).sessions()
    except DataError as exc:
        raise MetricsError(str(exc)) from None
    return [_from_session(r) for r in records]


def _read_jsonl(path: Path) -> list[MetricDialogue]:
    """A JSONL file of one kind, told by its first record (a run's sessions file is read as
    a run)."""
    kind: str | None = None
    out: list[MetricDialogue] = []
    for n, value, reason in json_lines(_read(path)):
        where = f"{path}:{n}"
        if reason is not None:
            raise MetricsError(f"{where}: {reason}")
        if kind is None:
            kind = _kind_of(value)
            if kind is None:
                raise MetricsError(
                    f"{where}: cannot tell the format (expected a sessions.jsonl record, a "
                    "PsyDial 'messages' record or a dialogues.jsonl line)"
                    + (_format_hint(path, value) or "; pass a format")
                )
            if kind == "session":
                return _read_run(path)
        try:
            if kind == "psydial":
                out.append(_from_psydial(value, f"psydial-{len(out) + 1:04d}"))
            else:
                out.append(_from_dialogue(Dialogue.model_validate(value)))
        except ValidationError as exc:
            raise _invalid(where, _KINDS[kind], exc) from None
    return out


def _read_ldd_file(path: Path) -> MetricDialogue:
    """One cal_LDD file: a JSON list of ``{"role", "content"}``."""
    try:
        text = _read(path).decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MetricsError(f"{path}: not UTF-8 text") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetricsError(f"{path}:{exc.lineno}: {json_error(exc)}") from None
    try:
        items = _LDD_FILE.validate_python(data)
        turns = [MetricTurn(role=Role(t.role), text=t.content) for t in items]
        return _dialogue(path.stem, "cal_ldd", turns)
    except ValidationError as exc:
        hint = _format_hint(path, data)
        if hint:  # another known format: say which, not which field cal_LDD misses
            raise MetricsError(f"{path}: not a cal_LDD dialogue{hint}") from None
        raise _invalid(str(path), "cal_LDD dialogue (a list of role/content)", exc) from None


def _read_folder(path: Path) -> list[MetricDialogue]:
    if (path / RunDir.SESSIONS).is_file():  # a simulate/generate/reconstruct run folder
        return _read_jsonl(path / RunDir.SESSIONS)
    files = sorted(f for f in path.glob("*.json") if f.is_file() and not f.name.startswith("."))
    return [_read_ldd_file(f) for f in files]


def _from_record(importer: DialogueImporter, rec: SourceRecord | ImportFailure) -> MetricDialogue:
    """One record as its importer parses it: every turn as written, labels as strategies
    (counselor) or emotions (client)."""
    if isinstance(rec, ImportFailure):
        raise MetricsError(str(rec))
    try:
        raw = importer.parse(rec)
    except RecordError as exc:
        raise MetricsError(str(rec.failure(exc.reason))) from None
    if not raw.turns:
        raise MetricsError(f"{rec.where}: no turns")
    turns = [
        MetricTurn(
            role=role,
            text=text,
            strategies=list(labels) if role is Role.COUNSELOR else [],
            emotions=list(labels) if role is Role.CLIENT else [],
        )
        for role, text, labels in raw.turns
    ]
    return _dialogue(rec.id, importer.name, turns)


def _read_importer(path: Path, fmt: str) -> list[MetricDialogue]:
    try:
        if fmt == "dialogues":  # a dialogues.jsonl written by `profiles import`
            return [_from_dialogue(d) for d in read_dialogues(path)]
        importer = get_importer(fmt)
        if not isinstance(importer, DialogueImporter):
            raise MetricsError(f"format '{fmt}' yields profiles, not dialogues; it is not a corpus")
        return [_from_record(importer, rec) for rec in importer.read(path)]
    except MetricsError:
        raise
    except CounselsimError as exc:
        raise MetricsError(str(exc)) from None
    except UnicodeDecodeError:  # the dialogues.jsonl reader does not catch it
        raise MetricsError(f"{path}: not UTF-8 text") from None


def load_input(path: Path, fmt: str | None = None) -> list[MetricDialogue]:
    """Read one metrics input into :class:`MetricDialogue` (see the module docstring).

    Args:
        path: A file or a folder.
        fmt: ``None`` to detect a sessions.jsonl / PsyDial JSONL / dialogues.jsonl / cal_LDD
            input, or a dialogue importer format name (then ``path`` may also be an
            ``hf:NAME[:SPLIT]`` dataset).

    Raises:
        MetricsError: a missing or unreadable input, an unknown or undetectable format, a
            bad record (``file:line: reason``), or no dialogues at all (``empty corpus``).
    """
    if parse_hf(path) is not None:
        if fmt is None:
            raise MetricsError(f"{path}: name the dataset's format: FORMAT:{path} or --format")
    elif not path.exists():
        raise MetricsError(f"{path}: input not found")
    if fmt is not None:
        dialogues = _read_importer(path, fmt)
    elif path.is_dir():
        dialogues = _read_folder(path)
    elif path.suffix.lower() == ".jsonl":
        dialogues = _read_jsonl(path)
    elif path.suffix.lower() == ".json":
        dialogues = [_read_ldd_file(path)]
    else:
        raise MetricsError(
            f"{path}: cannot tell the format (expected .jsonl, a cal_LDD .json or a folder); "
            "pass a format"
        )
    if not dialogues:
        raise MetricsError(f"{path}: empty corpus (no dialogues)")
    return dialogues
