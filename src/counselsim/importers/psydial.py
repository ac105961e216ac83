"""``psydial``: PsyDial JSONL, ``{"messages": [{"role", "content"}]}`` per dialogue (user =
client, assistant = counselor; system messages go to ``meta["system"]``), and PsyDial D101
next-turn test cases ``{"idx", "messages", "golden"}`` (the golden counselor reply becomes the
last turn and ``meta["golden_turn"]`` its index). Also a JSON list of such records.

Ids: ``psydial-<idx>`` for D101 cases, else positional ``psydial-0001``.
"""

from __future__ import annotations

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
)
from counselsim.importers.reading import json_entries
from counselsim.labels import Role

ROLES = {"user": Role.CLIENT, "assistant": Role.COUNSELOR}


def _message(msg: Any, where: str) -> tuple[str, str]:
    if not isinstance(msg, dict):
        raise RecordError(f"{where} must be an object with role and content")
    role, content = msg.get("role"), msg.get("content")
    if not isinstance(role, str) or not isinstance(content, str | None):
        raise RecordError(f"{where} needs a string role and content")
    return role.strip().lower(), content or ""


class PsyDialImporter(DialogueImporter):
    """PsyDial chat records (and D101 test cases) -> Dialogue."""

    name = "psydial"
    patterns = ("*.jsonl", "*.json")
    id_key = "idx"
    summary = 'PsyDial JSONL {"messages": [...]} and D101 test cases -> dialogues'

    @staticmethod
    def recognizes(record: Any) -> bool:
        return isinstance(record, dict) and isinstance(record.get("messages"), list)

    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        return json_entries(file)

    def parse(self, record: SourceRecord) -> RawDialogue:
        data = record.data
        if not isinstance(data, dict) or not isinstance(data.get("messages"), list):
            raise RecordError("expected an object with a 'messages' list")
        turns: list[RawTurn] = []
        system: list[str] = []
        for i, msg in enumerate(data["messages"], 1):
            role, content = _message(msg, f"message {i}")
            if role == "system":
                if content.strip():
                    system.append(content.strip())
            elif role in ROLES:
                turns.append((ROLES[role], content, ()))
            else:
                raise RecordError(f"message {i}: unknown role (expected system, user or assistant)")
        meta: dict[str, str] = {}
        golden = data.get("golden")
        if golden is not None:
            role, content = _message(golden, "golden")
            if role != "assistant":
                raise RecordError("golden must be an assistant message")
            if content.strip():
                meta["golden_turn"] = str(sum(1 for _, t, _ in turns if t.strip()))
                turns.append((Role.COUNSELOR, content, ()))
        if system:
            meta["system"] = "\n".join(system)
        if not any(t.strip() for _, t, _ in turns):
            raise RecordError("no user or assistant messages with text")
        return RawDialogue(turns, meta)
