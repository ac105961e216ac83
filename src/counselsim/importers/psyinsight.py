"""``psyinsight``: Psy-Insight sessions (a JSON list or JSONL).

Each session has ``dialog_id, theme, psychotherapy, topic, stage, guide, background,
reasoning, summary, dialog[]``; each dialog item ``speaker`` (Seeker = client, Supporter =
counselor), ``content``, plus ``strategy[]`` on counselor items and ``"emotional label"[]`` on
client items, which become the turn's ``labels``. ``theme``, ``topic``, ``psychotherapy`` and
``stage`` go to ``meta``; the long free-text fields (guide, background, reasoning, summary and
per-item reasoning/observation) are not imported. Ids: ``dialog_id`` (a bare number gets a
``psyinsight-`` prefix), else positional.
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
from counselsim.importers.reading import json_entries, labels_of, meta_of, require_dict
from counselsim.labels import Role

SPEAKERS = {
    "seeker": Role.CLIENT,
    "supporter": Role.COUNSELOR,
    "client": Role.CLIENT,
    "counselor": Role.COUNSELOR,
    "来访者": Role.CLIENT,
    "求助者": Role.CLIENT,
    "咨询师": Role.COUNSELOR,
    "支持者": Role.COUNSELOR,
}
META_KEYS = ("theme", "topic", "psychotherapy", "stage")
LABEL_KEYS = {Role.CLIENT: ("emotional label", "emotional_label"), Role.COUNSELOR: ("strategy",)}


class PsyInsightImporter(DialogueImporter):
    """Psy-Insight sessions -> Dialogue with per-turn labels."""

    name = "psyinsight"
    patterns = ("*.json", "*.jsonl")
    id_key = "dialog_id"
    summary = "Psy-Insight sessions (JSON list or JSONL) -> dialogues with strategy/emotion labels"

    @staticmethod
    def recognizes(record: Any) -> bool:
        return isinstance(record, dict) and isinstance(record.get("dialog"), list)

    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        return json_entries(file)

    def parse(self, record: SourceRecord) -> RawDialogue:
        data = require_dict(record.data, "a session")
        dialog = data.get("dialog")
        if not isinstance(dialog, list):
            raise RecordError("expected a 'dialog' list")
        turns: list[RawTurn] = []
        for i, item in enumerate(dialog, 1):
            if not isinstance(item, dict):
                raise RecordError(f"dialog item {i} must be an object")
            speaker = item.get("speaker")
            role = SPEAKERS.get(speaker.strip().lower()) if isinstance(speaker, str) else None
            if role is None:
                raise RecordError(f"dialog item {i}: speaker must be Seeker or Supporter")
            content = item.get("content")
            if not isinstance(content, str):
                raise RecordError(f"dialog item {i}: content must be a string")
            labels = [label for key in LABEL_KEYS[role] for label in labels_of(item.get(key))]
            turns.append((role, content, labels))
        return RawDialogue(turns, meta_of(data, META_KEYS))
