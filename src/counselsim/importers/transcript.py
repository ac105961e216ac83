"""``transcript``: speaker-prefixed transcripts.

- CPsyCounD JSONL ``{"id", "text"}``: lines start with ``来访者：`` or ``心理咨询师：`` and are
  separated by blank lines;
- CPsyCounE JSONL ``{"id", "topic", "utterances": ["求助者：…", "支持者：…"]}`` (topic ->
  ``meta["topic"]``);
- plain ``.txt`` files, one dialogue each, with ``Client:`` / ``Counselor:`` (or
  ``Therapist:``, ``来访者:`` …, ASCII or full-width colon).

A line without a speaker prefix continues the previous speaker's turn; lines before the first
speaker (a title) are dropped. A speaker suffix such as ``来访者（…）：`` or ``来访者1：`` is
dropped with the prefix. Ids: the record's ``id`` (made file-name safe: ``Career/1`` ->
``Career-1``), a ``.txt`` file's stem, else positional. The language is detected.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from counselsim.importers.base import (
    DialogueImporter,
    Entry,
    ImportFailure,
    RawDialogue,
    RawTurn,
    RecordError,
    SourceRecord,
    safe_id,
)
from counselsim.importers.reading import decode_text, json_entries, meta_of, read_bytes
from counselsim.labels import Role

CLIENT_NAMES = ("来访者", "求助者", "当事人", "client", "patient", "seeker")
COUNSELOR_NAMES = (
    "心理咨询师",
    "咨询师",
    "心理医生",
    "治疗师",
    "支持者",
    "counselor",
    "counsellor",
    "therapist",
    "supporter",
)
_ROLE_OF = {n: Role.CLIENT for n in CLIENT_NAMES} | {n: Role.COUNSELOR for n in COUNSELOR_NAMES}
_NAMES = "|".join(sorted(map(re.escape, _ROLE_OF), key=len, reverse=True))
SPEAKER_RE = re.compile(
    rf"^\s*(?P<who>{_NAMES})(?:\s*\d{{1,2}}|\s*[（(][^）)\n]{{0,20}}[）)])?\s*[：:]\s*",
    re.IGNORECASE,
)


def parse_transcript(text: str) -> list[RawTurn]:
    """Speaker-prefixed lines -> turns; continuation lines join the previous turn."""
    turns: list[RawTurn] = []
    role: Role | None = None
    buf: list[str] = []

    def flush() -> None:
        body = "\n".join(buf).strip()
        if role is not None and body:
            turns.append((role, body, ()))

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        m = SPEAKER_RE.match(line)
        if m:
            flush()
            role = _ROLE_OF[m["who"].lower()]
            buf = [line[m.end() :]]
        elif role is not None:
            buf.append(line)
    flush()
    return turns


class TranscriptImporter(DialogueImporter):
    """Speaker-prefixed transcripts (CPsyCounD/E JSONL, .txt) -> Dialogue."""

    name = "transcript"
    patterns = ("*.jsonl", "*.json", "*.txt")
    id_key = "id"
    summary = "speaker-prefixed transcripts: CPsyCounD/CPsyCounE JSONL, Client:/Counselor: .txt"

    @staticmethod
    def recognizes(record: Any) -> bool:
        return isinstance(record, dict) and (
            isinstance(record.get("text"), str) or isinstance(record.get("utterances"), list)
        )

    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        if file.suffix.lower() != ".txt":
            yield from json_entries(file)
            return
        try:
            text = decode_text(file, read_bytes(file))
        except RecordError as exc:
            yield ImportFailure(str(file), exc.line, exc.reason)
            return
        yield Entry(1, text)

    def record_id(self, entry: Entry, file: Path, position: int) -> str:
        if isinstance(entry.data, str):  # a whole .txt transcript: named after its file
            return safe_id(file.stem) or super().record_id(entry, file, position)
        return super().record_id(entry, file, position)

    def parse(self, record: SourceRecord) -> RawDialogue:
        data = record.data
        meta: dict[str, str] = {}
        if isinstance(data, str):
            text = data
        elif isinstance(data, dict) and isinstance(data.get("text"), str):
            text = data["text"]
        elif isinstance(data, dict) and isinstance(data.get("utterances"), list):
            utterances = data["utterances"]
            if not all(isinstance(u, str) for u in utterances):
                raise RecordError("utterances must be strings")
            text = "\n\n".join(utterances)
            meta = meta_of(data, ("topic",))
        else:
            raise RecordError("expected an object with 'text' or 'utterances'")
        turns = parse_transcript(text)
        if not turns:
            raise RecordError(
                "no speaker-prefixed lines (来访者：/心理咨询师：, Client:/Counselor:)"
            )
        return RawDialogue(turns, meta)
