"""File primitives of run directories: atomic rewrites, fsynced appends, torn-tail repair,
claiming a directory for a resumable job, and output paths that must differ from inputs.

:func:`write_atomic`, :func:`append_line` and :func:`repair_tail` raise :class:`OSError` like
the ``os`` calls they wrap (callers outside a run directory keep their own messages);
:class:`~counselsim.runs.RunDir` turns those into one-line errors naming the file.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from counselsim.errors import ConfigError, OutputError


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


def repair_tail(path: Path) -> int:
    """Cut a torn last line (a write interrupted by a crash) so the file ends with a newline;
    returns the number of bytes cut (0 when the file was whole or absent)."""
    if not path.exists():
        return 0
    with path.open("rb+") as f:
        size = f.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        f.seek(size - 1)
        if f.read(1) == b"\n":
            return 0
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
        return size - keep


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


def cannot_write(path: Path, exc: OSError) -> OutputError:
    """The one-line error for a failed write (a read-only directory, a full disk, ...)."""
    return OutputError(f"{path}: cannot write: {exc.strerror or type(exc).__name__}")


def check_writable(root: Path) -> None:
    """Create and remove a probe file in ``root``, so a read-only directory is refused before
    any work is done rather than when the first result is due.

    Raises:
        OutputError: ``root`` cannot be written to.
    """
    try:
        fd, probe = tempfile.mkstemp(dir=root, prefix=".write-probe.")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(
            f"{root}: the directory is not writable ({exc.strerror or type(exc).__name__})"
        ) from None


def claim_dir(
    out: Path,
    info_file: str,
    key: str,
    allowed: tuple[str, ...] = (),
    kind: str = "run",
    other: str = "a run with a different profile or config",
) -> bool:
    """Create ``out``, or accept it for resuming the job whose ``info_file`` holds ``key``;
    returns True when resuming. Entries named in ``allowed`` may precede the info file;
    ``kind`` and ``other`` name the job and a mismatching one in the errors.

    A directory holding another job (another ``resume_key``) or anything else is refused, so
    a typo in ``--out`` cannot mix two jobs or write into unrelated files.

    Raises:
        OutputError: ``out`` is a file, holds something else, or cannot be created.
    """
    info = out / info_file
    if out.exists() and not out.is_dir():
        raise OutputError(f"{out}: exists and is not a directory")
    if out.is_dir() and any(p.name not in allowed for p in out.iterdir()):
        if not info.is_file():
            raise OutputError(f"{out}: directory is not empty and holds no counselsim {kind}")
        try:
            previous = json.loads(info.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise OutputError(f"{info}: unreadable {kind} description") from None
        if not isinstance(previous, dict) or previous.get("resume_key") != key:
            raise OutputError(f"{out}: holds {other}; choose another --out")
        check_writable(out)
        return True
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out}: cannot create output directory: {exc.strerror}") from None
    check_writable(out)
    return False


def refuse_same_path(out: Path, *inputs: Path | None, flag: str = "--out") -> None:
    """Refuse an output path that is one of the input paths: writing there would destroy
    what is being read (``metrics a.jsonl --out a.jsonl``, ``export RUN --out RUN``).

    Raises:
        ConfigError: ``out`` resolves to an input.
    """
    target = out.resolve()
    for given in inputs:
        if given is None:
            continue
        src = given.resolve()
        if target == src:
            raise ConfigError(f"{flag} {out}: is also an input; choose another path")


__all__ = [
    "append_line",
    "cannot_write",
    "check_writable",
    "claim_dir",
    "refuse_same_path",
    "repair_tail",
    "write_atomic",
]
