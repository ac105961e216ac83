"""Where imports are written, and how other code reads them back.

- ``DIR/profiles/<id>.yaml``: one profile per file, each written atomically;
- ``DIR/dialogues.jsonl``: one :class:`~counselsim.records.Dialogue` per line, appended whole
  (one ``write`` per line); a torn last line left by a crash is dropped on the next run;
- ``DIR/import.json``: what was imported, from where, and the per-record failures.

Use :func:`read_dialogues` (or :func:`iter_dialogues`) to load ``dialogues.jsonl``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import yaml
from pydantic import ValidationError

from counselsim.errors import OutputError, SourceError, field_error
from counselsim.personas.models import ClientProfile
from counselsim.records import Dialogue
from counselsim.runs.files import write_atomic

DIALOGUES_FILE = "dialogues.jsonl"
PROFILES_DIR = "profiles"
IMPORT_FILE = "import.json"


def iter_dialogues(path: str | Path) -> Iterator[Dialogue]:
    """Dialogues of an import, one per line, in file order.

    Args:
        path: An import directory (``DIR/dialogues.jsonl`` is read) or a dialogues JSONL file.

    Raises:
        SourceError: the file is missing or unreadable, or a line is not a valid Dialogue
            (the message names the file and line, never the content).
    """
    p = Path(path)
    if p.is_dir():
        p = p / DIALOGUES_FILE
    try:
        handle = p.open(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError(f"{p}: dialogues file not found") from None
    except OSError as exc:
        raise SourceError(f"{p}: cannot read dialogues: {exc.strerror}") from None
    with handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                yield Dialogue.model_validate_json(line)
            except ValidationError as exc:
                loc, msg = field_error(exc)
                raise SourceError(f"{p}:{n}: not a valid dialogue ({loc}: {msg})") from None


def read_dialogues(path: str | Path) -> list[Dialogue]:
    """All dialogues of an import directory or dialogues JSONL file (see :func:`iter_dialogues`)."""
    return list(iter_dialogues(path))


class DialogueSink:
    """Appends dialogues to ``dialogues.jsonl``, one whole line per write.

    Opening it reads the ids already there (for resume) and drops a torn last line (a crash
    mid-write); any other invalid line is an OutputError rather than silently lost.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.ids: set[str] = set()
        self._fd: int | None = None
        if path.exists():
            self._load()

    def _load(self) -> None:
        raw = self.path.read_bytes()
        lines = raw.split(b"\n")
        torn = lines[-1].strip() != b""  # no final newline: the last write did not finish
        good: list[bytes] = []
        for n, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                d = Dialogue.model_validate_json(line)
            except ValidationError:
                if torn and n == len(lines):
                    continue
                raise OutputError(f"{self.path}:{n}: not a valid dialogue record") from None
            self.ids.add(d.id)
            good.append(line)
        if torn:
            write_atomic(self.path, b"".join(g + b"\n" for g in good).decode("utf-8"))

    def write(self, dialogue: Dialogue) -> None:
        if self._fd is None:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
        data = (dialogue.model_dump_json() + "\n").encode("utf-8")
        written = os.write(self._fd, data)
        while written < len(data):  # pragma: no cover - regular files write whole buffers
            written += os.write(self._fd, data[written:])
        self.ids.add(dialogue.id)

    def close(self) -> None:
        if self._fd is not None:
            os.fsync(self._fd)
            os.close(self._fd)
            self._fd = None


class ProfileSink:
    """Writes ``profiles/<id>.yaml`` atomically; the existing files are the imported ids."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self.ids = {p.stem for p in folder.glob("*.yaml") if not p.name.startswith(".")}

    def write(self, profile: ClientProfile, source: str) -> None:
        body = yaml.safe_dump(
            profile.model_dump(mode="json", exclude_none=True),
            allow_unicode=True,
            sort_keys=False,
            width=100,
        )
        header = f"# Imported by counselsim from format '{source}'; text masked.\n"
        write_atomic(self.folder / f"{profile.id}.yaml", header + body)
        self.ids.add(profile.id)

    def close(self) -> None:
        """Nothing to flush: every profile file is complete when written."""
