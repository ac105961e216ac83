"""Run directories: atomic writes, so an interrupted run never leaves a half-written file."""

from __future__ import annotations

import json
import os
import tempfile
import threading
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


class JsonlSink:
    """``sessions.jsonl``: one record per (course, session), rewritten atomically per write.

    Writing the same session again (a resumed run) replaces it instead of duplicating it.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._records: dict[tuple[str, int], SessionRecord] = {}
        if path.exists():
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                try:
                    rec = SessionRecord.model_validate_json(line)
                except ValueError:
                    raise OutputError(f"{path}:{n}: not a valid session record") from None
                self._records[(rec.course_id, rec.session_index)] = rec

    def write(self, record: SessionRecord) -> None:
        with self._lock:
            self._records[(record.course_id, record.session_index)] = record
            lines = (r.model_dump_json() for _, r in sorted(self._records.items()))
            write_atomic(self.path, "".join(line + "\n" for line in lines))

    @property
    def records(self) -> list[SessionRecord]:
        """Records in (course, session) order."""
        return [r for _, r in sorted(self._records.items())]


def prepare_out_dir(out: Path, run_info: dict[str, object]) -> bool:
    """Create ``out`` or accept it for resuming; returns True when resuming.

    A directory holding a run with another configuration is refused, so a typo in ``--out``
    cannot mix two runs.
    """
    info_path = out / RUN_FILE
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(out.iterdir()):
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
