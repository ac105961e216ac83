"""Line-aware JSONL reading: every bad line becomes a one-line reason, never its content."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def json_error(exc: json.JSONDecodeError) -> str:
    """A JSON syntax error as one line without the input text."""
    return f"not valid JSON: {exc.msg} (column {exc.colno})"


def json_lines(raw: bytes) -> Iterator[tuple[int, Any, str | None]]:
    """Each non-blank line of a JSONL file as ``(line number, value, None)``, or
    ``(line number, None, reason)`` when it is not UTF-8 or not JSON. A BOM is dropped."""
    for n, chunk in enumerate(raw.split(b"\n"), 1):
        if not chunk.strip():
            continue
        try:
            text = chunk.decode("utf-8-sig" if n == 1 else "utf-8")
        except UnicodeDecodeError:
            yield n, None, "not UTF-8 text"
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield n, None, json_error(exc)
            continue
        yield n, value, None
