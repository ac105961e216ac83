"""``turns``: one JSON file per dialogue holding ``[{"role": "client"|"counselor",
"content": "…"}]`` (the input of PsyDial's cal_LDD script), or a folder of such files.
The id is the file stem; the language is detected."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from counselsim.importers.base import (
    Entry,
    ImportContext,
    Importer,
    ImportFailure,
    RawTurn,
    RecordError,
    SourceRecord,
    build_dialogue,
    safe_id,
    whole_json,
)
from counselsim.labels import Role
from counselsim.personas.models import ClientProfile
from counselsim.records import Dialogue

ROLES = {
    "client": Role.CLIENT,
    "counselor": Role.COUNSELOR,
    "counsellor": Role.COUNSELOR,
    "user": Role.CLIENT,
    "assistant": Role.COUNSELOR,
}


class TurnsImporter(Importer):
    """Per-dialogue JSON lists of role/content turns -> Dialogue."""

    name = "turns"
    produces = "dialogue"
    patterns = ("*.json",)
    summary = 'one JSON file per dialogue: [{"role": "client"|"counselor", "content"}]'

    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        return whole_json(file)

    def record_id(self, entry: Entry, file: Path, position: int) -> str:
        return safe_id(file.stem) or f"turns-{position:04d}"

    async def convert(self, record: SourceRecord, ctx: ImportContext) -> ClientProfile | Dialogue:
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
        return build_dialogue(record.id, self.name, turns, ctx)
