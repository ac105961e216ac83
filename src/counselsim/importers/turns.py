"""``turns``: one JSON file per dialogue holding ``[{"role": "client"|"counselor",
"content": "…"}]`` (the input of PsyDial's cal_LDD script), or a folder of such files.
The id is the file stem; the language is detected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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
from counselsim.importers.reading import whole_json
from counselsim.labels import Role

ROLES = {
    "client": Role.CLIENT,
    "counselor": Role.COUNSELOR,
    "counsellor": Role.COUNSELOR,
    "user": Role.CLIENT,
    "assistant": Role.COUNSELOR,
}


class TurnsImporter(DialogueImporter):
    """Per-dialogue JSON lists of role/content turns -> Dialogue."""

    name = "turns"
    patterns = ("*.json",)
    reads_rows = False  # a record is a whole file (a JSON list), never a dataset row
    summary = 'one JSON file per dialogue: [{"role": "client"|"counselor", "content"}]'

    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        return whole_json(file)

    def record_id(self, entry: Entry, file: Path, position: int) -> str:
        return safe_id(file.stem) or f"turns-{position:04d}"

    def parse(self, record: SourceRecord) -> RawDialogue:
        if not isinstance(record.data, list):
            raise RecordError("expected a JSON list of {role, content} turns")
        turns: list[RawTurn] = []
        for i, item in enumerate(record.data, 1):
            if not isinstance(item, dict):
                raise RecordError(f"turn {i} must be an object with role and content")
            role, content = item.get("role"), item.get("content")
            if not isinstance(role, str) or role.strip().lower() not in ROLES:
                raise RecordError(f"turn {i}: role must be 'client' or 'counselor'")
            if not isinstance(content, str):
                raise RecordError(f"turn {i}: content must be a string")
            turns.append((ROLES[role.strip().lower()], content, ()))
        return RawDialogue(turns)
