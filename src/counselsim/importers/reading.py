"""Reading sources for the format modules: bytes and UTF-8 text with the failing line named,
line-aware JSON/JSONL records (a bad line costs only itself), and the small field helpers
that turn a record's values into text, labels and metadata (raising :class:`RecordError`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from counselsim.importers.base import Entry, ImportFailure, RecordError
from counselsim.jsonl import json_error, json_lines


def read_bytes(file: Path) -> bytes:
    """A file's bytes; RecordError with the OS reason when it cannot be read."""
    try:
        return file.read_bytes()
    except OSError as exc:
        raise RecordError(f"cannot read file: {exc.strerror or type(exc).__name__}") from None


def decode_text(file: Path, raw: bytes) -> str:
    """UTF-8 text (a BOM is dropped); RecordError naming the line of the first bad byte."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RecordError("not UTF-8 text", line=raw.count(b"\n", 0, exc.start) + 1) from None


def _jsonl_entries(file: Path, raw: bytes) -> Iterator[Entry | ImportFailure]:
    for n, data, reason in json_lines(raw):
        yield Entry(n, data) if reason is None else ImportFailure(str(file), n, reason)


_WS = re.compile(r"\s*")


def _array_entries(file: Path, text: str) -> Iterator[Entry | ImportFailure]:
    """Elements of a top-level JSON list with the line each starts on. A syntax error ends
    the file with one failure (what follows cannot be located reliably)."""
    decoder = json.JSONDecoder()
    i = _WS.match(text, text.index("[") + 1).end()  # type: ignore[union-attr]
    line, pos = 1, 0

    def line_at(idx: int) -> int:
        nonlocal line, pos
        line += text.count("\n", pos, idx)
        pos = idx
        return line

    if text[i : i + 1] == "]":
        return
    while True:
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            yield ImportFailure(
                str(file), exc.lineno, json_error(exc) + "; the rest of the file was skipped"
            )
            return
        yield Entry(line_at(i), obj)
        i = _WS.match(text, end).end()  # type: ignore[union-attr]
        c = text[i : i + 1]
        if c == ",":
            i = _WS.match(text, i + 1).end()  # type: ignore[union-attr]
            continue
        if c == "]":
            return
        yield ImportFailure(
            str(file),
            line_at(i),
            "not valid JSON: expected ',' or ']' after a record; the rest of the file was skipped",
        )
        return


def json_entries(file: Path) -> Iterator[Entry | ImportFailure]:
    """Records of a JSON file (a list of records, or one record) or a JSONL file.

    ``.jsonl`` files are read line by line, so a bad line costs only itself. A ``.json``
    file that holds several top-level objects is read as JSONL too.
    """
    try:
        raw = read_bytes(file)
    except RecordError as exc:
        yield ImportFailure(str(file), None, exc.reason)
        return
    if file.suffix.lower() == ".jsonl":
        yield from _jsonl_entries(file, raw)
        return
    try:
        text = decode_text(file, raw)
    except RecordError as exc:
        yield ImportFailure(str(file), exc.line, exc.reason)
        return
    head = text.lstrip()[:1]
    if head == "[":
        yield from _array_entries(file, text)
        return
    if not head:
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":  # several objects: JSON Lines under a .json name
            yield from _jsonl_entries(file, raw)
        else:
            yield ImportFailure(str(file), exc.lineno, json_error(exc))
        return
    yield Entry(text[: len(text) - len(text.lstrip())].count("\n") + 1, data)


def whole_json(file: Path) -> Iterator[Entry | ImportFailure]:
    """A file that is one record as a whole (one JSON document)."""
    try:
        text = decode_text(file, read_bytes(file))
    except RecordError as exc:
        yield ImportFailure(str(file), exc.line, exc.reason)
        return
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        yield ImportFailure(str(file), exc.lineno, json_error(exc))
        return
    yield Entry(1, data)


def as_text(value: Any, what: str) -> str:
    """A required non-empty string field, or RecordError naming the field."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    if value is None or value == "":
        raise RecordError(f"{what} is missing or empty")
    raise RecordError(f"{what} must be a string, not {type(value).__name__}")


def labels_of(value: Any) -> list[str]:
    """A label field that may be a list, a single string or missing."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [str(v).strip() for v in items if str(v).strip()]


def meta_of(data: dict[str, Any], keys: Sequence[str]) -> dict[str, str]:
    """String-valued metadata for the keys present (numbers are stringified)."""
    out: dict[str, str] = {}
    for key in keys:
        value = data.get(key)
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            text = str(value).strip()
            if text:
                out[key] = text
    return out


def require_dict(data: Any, what: str = "record") -> dict[str, Any]:
    """The record as a mapping, or RecordError."""
    if not isinstance(data, dict):
        raise RecordError(f"{what} must be a JSON object, not {type(data).__name__}")
    return data


__all__ = [
    "as_text",
    "decode_text",
    "json_entries",
    "labels_of",
    "meta_of",
    "read_bytes",
    "require_dict",
    "whole_json",
]
