"""JSONL in, JSONL out: the logic behind ``counselsim mask`` and ``counselsim leaks``.

Input lines are ``{"id": str, "text": str, "language"?: "zh"|"en"}``; output lines are
``{"id", "masked_text", "entities": [{"start", "end", "label"}]}`` with offsets into the
input text (and ``"text"`` per entity only when originals are explicitly kept). A
malformed line is reported by file and line number (never by content) and skipped; the
rest of the batch is still processed. Output is written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from counselsim.errors import DataError, OutputError, field_error
from counselsim.jsonl import json_lines
from counselsim.personas.mask.core import Masker, detect_language
from counselsim.personas.mask.leaks import Leak, find_leaks
from counselsim.personas.mask.rules import EntityType, Span
from counselsim.runs.files import write_atomic

ErrorSink = Callable[[str], None]
R = TypeVar("R", bound=BaseModel)


class MaskInput(BaseModel):
    """One input line of ``counselsim mask``."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    text: str
    language: Literal["zh", "en"] | None = None


class OutputEntity(BaseModel):
    """One masked identifier: offsets into the input text and its label."""

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    label: str
    text: str | None = None


class MaskOutput(BaseModel):
    """One output line of ``counselsim mask``."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    masked_text: str
    entities: list[OutputEntity] = Field(default_factory=list)


@dataclass
class BatchReport:
    """What a batch did: records written and lines that failed."""

    processed: int = 0
    failed: int = 0


@dataclass
class LeakReport:
    """What a leak check found: per record id, the leaks (identifiers never included)."""

    checked: int = 0
    failed: int = 0  # malformed output lines and output ids missing from the input
    skipped: int = 0  # malformed input lines
    leaks: list[tuple[str, Leak]] = field(default_factory=list)

    @property
    def leaky_records(self) -> int:
        return len({rid for rid, _ in self.leaks})


def _short_error(exc: ValidationError) -> str:
    loc, msg = field_error(exc)
    return f"field '{loc}': {msg}"


def read_jsonl(path: Path, model: type[R]) -> Iterator[tuple[int, R | str]]:
    """Each non-blank line of ``path`` as ``(line number, record)`` or ``(line number,
    reason)`` when it is malformed; the reason never quotes the line.

    Raises:
        DataError: The file is missing or unreadable.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"{path}: cannot read: {exc.strerror or exc}") from None
    for n, data, reason in json_lines(raw):
        if reason is not None:
            yield n, reason
            continue
        if not isinstance(data, dict):
            yield n, "not a JSON object"
            continue
        try:
            yield n, model.model_validate(data)
        except ValidationError as exc:
            yield n, _short_error(exc)


def mask_record(
    record: MaskInput, *, surrogates: bool = False, seed: int = 0, keep_originals: bool = False
) -> MaskOutput:
    """Mask one input record with its own :class:`Masker` (consistent within the record;
    surrogates also agree across records masked with the same seed).

    Args:
        record: The input line.
        surrogates: Realistic fakes instead of placeholders.
        seed: Surrogate seed.
        keep_originals: Put each entity's original text in the output.

    Returns:
        The output line.
    """
    masker = Masker(surrogates=surrogates, seed=seed)
    result = masker(record.text, record.language or detect_language(record.text))
    entities = [
        OutputEntity(
            start=s.start, end=s.end, label=s.type.value, text=s.text if keep_originals else None
        )
        for s in result.spans
    ]
    return MaskOutput(id=record.id, masked_text=result.text, entities=entities)


def _check_out_dir(out_path: Path) -> None:
    if not out_path.parent.is_dir():
        raise OutputError(f"{out_path.parent}: output directory does not exist")
    if out_path.is_dir():
        raise OutputError(f"{out_path}: is a directory")


def mask_jsonl(
    in_path: Path,
    out_path: Path,
    *,
    surrogates: bool = False,
    keep_originals: bool = False,
    seed: int = 0,
    on_error: ErrorSink | None = None,
) -> BatchReport:
    """Mask every record of ``in_path`` and write ``out_path`` atomically.

    Args:
        in_path: Input JSONL.
        out_path: Output JSONL (replaced as a whole, never half-written).
        surrogates: Realistic fakes instead of placeholders.
        keep_originals: Put each entity's original text in the output.
        seed: Surrogate seed.
        on_error: Called with one line (``file:line: reason``) per malformed line.

    Returns:
        Counts of processed and failed lines.

    Raises:
        DataError: ``in_path`` is missing or unreadable.
        OutputError: ``out_path`` cannot be written.
    """
    _check_out_dir(out_path)
    report = BatchReport()
    lines: list[str] = []
    first_line: dict[str, int] = {}
    for n, item in read_jsonl(in_path, MaskInput):
        if isinstance(item, MaskInput) and item.id in first_line:
            item = f"duplicate id (first on line {first_line[item.id]})"
        if isinstance(item, str):
            report.failed += 1
            if on_error is not None:
                on_error(f"{in_path}:{n}: {item}")
            continue
        first_line[item.id] = n
        out = mask_record(item, surrogates=surrogates, seed=seed, keep_originals=keep_originals)
        lines.append(json.dumps(out.model_dump(exclude_none=True), ensure_ascii=False))
        report.processed += 1
    try:
        write_atomic(out_path, "".join(line + "\n" for line in lines))
    except OSError as exc:
        raise OutputError(f"{out_path}: cannot write: {exc.strerror or exc}") from None
    return report


def leaks_jsonl(out_path: Path, in_path: Path, *, on_error: ErrorSink | None = None) -> LeakReport:
    """Check every record of a ``counselsim mask`` output against its input.

    For each output id, the identifiers detected in the input text (every layer), plus the
    output's entities that carry ``text``, are looked for in ``masked_text``.

    Args:
        out_path: The masked JSONL.
        in_path: The original JSONL.
        on_error: Called with one line per malformed line or unknown id.

    Returns:
        The leaks per record id (labels, positions and hashes only) and the counts.

    Raises:
        DataError: A file is missing or unreadable.
    """
    report = LeakReport()

    def fail(path: Path, n: int, reason: str) -> None:
        report.failed += 1
        if on_error is not None:
            on_error(f"{path}:{n}: {reason}")

    sources: dict[str, str] = {}
    for n, src in read_jsonl(in_path, MaskInput):
        if isinstance(src, str):  # reported; only an output record that needs it fails
            report.skipped += 1
            if on_error is not None:
                on_error(f"{in_path}:{n}: {src} (skipped)")
        else:
            sources.setdefault(src.id, src.text)
    for n, rec in read_jsonl(out_path, MaskOutput):
        if isinstance(rec, str):
            fail(out_path, n, rec)
            continue
        source = sources.get(rec.id)
        if source is None:
            fail(out_path, n, f"id not found in {in_path.name}")
            continue
        known = [
            Span(start=e.start, end=max(e.end, e.start), type=EntityType(e.label), text=e.text)
            for e in rec.entities
            if e.text and e.label in EntityType.__members__
        ]
        report.checked += 1
        report.leaks += [
            (rec.id, leak) for leak in find_leaks(source, rec.masked_text, originals=known)
        ]
    return report
