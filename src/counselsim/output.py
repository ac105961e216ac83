"""Run directories: atomic writes, so an interrupted run never leaves a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path

from counselsim.errors import OutputError
from counselsim.records import SessionRecord

SESSIONS_FILE = "sessions.jsonl"
RUN_FILE = "run.json"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file, fsync and rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def repair_tail(path: Path) -> None:
    """Cut a torn last line (a write interrupted by a crash) so the file ends with a newline."""
    if not path.exists():
        return
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return
        f.seek(max(0, size - (1 << 20)))
        tail = f.read()
        cut = tail.rfind(b"\n")
        keep = size - len(tail) + cut + 1 if cut >= 0 else 0
        if keep == 0 and size > len(tail):  # a last line over 1 MB: scan the whole file
            f.seek(0)
            keep = f.read().rfind(b"\n") + 1
        f.truncate(keep)
        f.flush()
        os.fsync(f.fileno())


def append_line(path: Path, line: str) -> None:
    """Append one line with a single write and fsync: a crash leaves at most a torn last line,
    which :func:`repair_tail` cuts on the next start."""
    data = (line.rstrip("\n") + "\n").encode("utf-8")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


class JsonlSink:
    """``sessions.jsonl``: one line per (course, session), appended and fsynced per record.

    On open a torn last line is cut; writing a session already in the file (a resumed run
    redoing its last step) is a no-op, so no session is ever duplicated. Only the keys stay in
    memory: a run of thousands of courses does not hold its records.
    """

    def __init__(self, path: Path, on_write: Callable[[SessionRecord], None] | None = None) -> None:
        self.path = path
        self.on_write = on_write
        self._lock = threading.Lock()
        self._turns: dict[str, dict[int, int]] = {}  # course -> session -> turns
        repair_tail(path)
        for rec in self._read():
            self._turns.setdefault(rec.course_id, {})[rec.session_index] = len(rec.turns)

    def _read(self) -> list[SessionRecord]:
        if not self.path.exists():
            return []
        records = []
        with self.path.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    records.append(SessionRecord.model_validate_json(line))
                except ValueError:
                    raise OutputError(f"{self.path}:{n}: not a valid session record") from None
        return records

    def write(self, record: SessionRecord) -> bool:
        """Append ``record`` unless its session is already stored; True if it was written."""
        with self._lock:
            if self.has(record.course_id, record.session_index):
                return False
            append_line(self.path, record.model_dump_json())
            self._turns.setdefault(record.course_id, {})[record.session_index] = len(record.turns)
        if self.on_write is not None:
            self.on_write(record)
        return True

    def has(self, course_id: str, session_index: int) -> bool:
        return session_index in self._turns.get(course_id, {})

    def sessions_of(self, course_id: str) -> dict[int, int]:
        """The sessions stored for a course, each with its number of turns."""
        return dict(self._turns.get(course_id, {}))

    def records_of(self, course_id: str) -> list[SessionRecord]:
        """One course's records in session order (read back from the file)."""
        found = {r.session_index: r for r in self._read() if r.course_id == course_id}
        return [found[k] for k in sorted(found)]

    @property
    def records(self) -> list[SessionRecord]:
        """Every record, in (course, session) order (read back from the file)."""
        found = {(r.course_id, r.session_index): r for r in self._read()}
        return [found[k] for k in sorted(found)]


def prepare_out_dir(out: Path, run_info: dict[str, object], allowed: tuple[str, ...] = ()) -> bool:
    """Create ``out`` or accept it for resuming; returns True when resuming.

    A directory holding a run with another configuration is refused, so a typo in ``--out``
    cannot mix two runs. Entries named in ``allowed`` may precede the run description.
    """
    info_path = out / RUN_FILE
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(p.name not in allowed for p in out.iterdir()):
        if not info_path.is_file():
            raise OutputError(f"{out}: directory is not empty and holds no counselsim run")
        try:
            previous = json.loads(info_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            raise OutputError(f"{info_path}: unreadable run description") from None
        if previous.get("resume_key") != run_info["resume_key"]:
            raise OutputError(
                f"{out}: holds a run with a different profile or config; choose another --out"
            )
        return True
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create output directory: {exc.strerror}") from None
    write_atomic(info_path, json.dumps(run_info, ensure_ascii=False, indent=2, default=str) + "\n")
    return False
