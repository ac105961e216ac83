"""JSONL in, JSONL out: the logic behind ``counselsim mask`` and ``counselsim leaks``.

Input lines are ``{"id": str, "text": str, "language"?: "zh"|"en"}``; output lines are
``{"id", "masked_text", "entities": [{"start", "end", "label"}]}`` with offsets into the
input text (and ``"text"`` per entity only when originals are explicitly kept).

Bad input never loses a record: the output may not be the input file (refused before
anything is read or written, so the original always survives), and a malformed line is
reported by file and line number and carried into the output, in its place, as an error
record ``{"line": n, "error": reason}``. The record itself is not copied, since an unmasked
line in the masked output would leak whatever it holds; it stays in the input at that line.
``leaks`` skips error records. Output is written atomically. Nothing here logs text.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from counselsim.errors import DataError, OutputError, field_error
from counselsim.jsonl import json_lines
from counselsim.privacy.core import Masker, detect_language
from counselsim.privacy.leaks import Leak, find_leaks
from counselsim.privacy.spans import EntityType, Span
from counselsim.runs.files import write_atomic

if TYPE_CHECKING:
    from counselsim.privacy.llm import ChatLLM

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


class MaskError(BaseModel):
    """The output line standing for a malformed input line (the record stays in the input
    at ``line``; its content is never copied into the masked output)."""

    line: int = Field(ge=1)
    error: str


class OutputLine(RootModel[MaskOutput | MaskError]):
    """One line of ``counselsim mask`` output: a masked record or an error record."""


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
    error_records: int = 0  # lines the masker wrote for malformed input lines
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
    return _output(record, result.spans, result.text, keep_originals)


async def amask_record(
    record: MaskInput,
    llm: ChatLLM,
    *,
    surrogates: bool = False,
    seed: int = 0,
    keep_originals: bool = False,
) -> MaskOutput:
    """:func:`mask_record` plus the LLM pass (:meth:`Masker.amask`) for what the rules and
    dictionaries missed.

    Raises:
        StructuredOutputError: The model's answer stayed invalid after the repairs.
    """
    masker = Masker(surrogates=surrogates, seed=seed)
    result = await masker.amask(record.text, llm, record.language)
    return _output(record, result.spans, result.text, keep_originals)


def _output(record: MaskInput, spans: list[Span], text: str, keep: bool) -> MaskOutput:
    entities = [
        OutputEntity(start=s.start, end=s.end, label=s.type.value, text=s.text if keep else None)
        for s in spans
    ]
    return MaskOutput(id=record.id, masked_text=text, entities=entities)


def check_paths(in_path: Path, out_path: Path) -> None:
    """Refuse an output that cannot be written, or that is the input itself (by name, link
    or hard link): masking in place would destroy the original.

    Raises:
        OutputError: The output is the input, a directory, or in a missing directory.
    """
    same = in_path.resolve() == out_path.resolve()
    if not same and in_path.exists() and out_path.exists():
        same = os.path.samefile(in_path, out_path)
    if same:
        raise OutputError(f"{out_path}: is the input file; write the masked output elsewhere")
    if not out_path.parent.is_dir():
        raise OutputError(f"{out_path.parent}: output directory does not exist")
    if out_path.is_dir():
        raise OutputError(f"{out_path}: is a directory")


def _inputs(in_path: Path, on_error: ErrorSink | None) -> Iterator[tuple[int, MaskInput | str]]:
    """Input lines, duplicate ids turned into errors, every error reported."""
    first_line: dict[str, int] = {}
    for n, item in read_jsonl(in_path, MaskInput):
        if isinstance(item, MaskInput) and item.id in first_line:
            item = f"duplicate id (first on line {first_line[item.id]})"
        if isinstance(item, MaskInput):
            first_line[item.id] = n
        elif on_error is not None:
            on_error(f"{in_path}:{n}: {item}")
        yield n, item


def _write(
    out_path: Path, items: list[tuple[int, MaskInput | str]], masked: dict[int, MaskOutput]
) -> BatchReport:
    """Write the masked records and, in place of each bad line, its error record."""
    rows: list[MaskOutput | MaskError] = [
        MaskError(line=n, error=item) if isinstance(item, str) else masked[n] for n, item in items
    ]
    lines = [json.dumps(r.model_dump(exclude_none=True), ensure_ascii=False) for r in rows]
    try:
        write_atomic(out_path, "".join(line + "\n" for line in lines))
    except OSError as exc:
        raise OutputError(f"{out_path}: cannot write: {exc.strerror or exc}") from None
    return BatchReport(processed=len(masked), failed=len(items) - len(masked))


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
        out_path: Output JSONL (replaced as a whole, never half-written); never the input.
        surrogates: Realistic fakes instead of placeholders.
        keep_originals: Put each entity's original text in the output.
        seed: Surrogate seed.
        on_error: Called with one line (``file:line: reason``) per malformed line.

    Returns:
        Counts of processed and failed lines.

    Raises:
        DataError: ``in_path`` is missing or unreadable.
        OutputError: ``out_path`` is the input or cannot be written (nothing written).
    """
    check_paths(in_path, out_path)
    items = list(_inputs(in_path, on_error))
    masked = {
        n: mask_record(r, surrogates=surrogates, seed=seed, keep_originals=keep_originals)
        for n, r in items
        if isinstance(r, MaskInput)
    }
    return _write(out_path, items, masked)


async def amask_jsonl(
    in_path: Path,
    out_path: Path,
    llm: ChatLLM,
    *,
    surrogates: bool = False,
    keep_originals: bool = False,
    seed: int = 0,
    on_error: ErrorSink | None = None,
) -> BatchReport:
    """:func:`mask_jsonl` with the LLM pass on every record (one model call per record).

    Raises:
        DataError, OutputError: As :func:`mask_jsonl`.
        StructuredOutputError: The model's answer stayed invalid after the repairs.
    """
    check_paths(in_path, out_path)
    items = list(_inputs(in_path, on_error))
    masked = {
        n: await amask_record(
            r, llm, surrogates=surrogates, seed=seed, keep_originals=keep_originals
        )
        for n, r in items
        if isinstance(r, MaskInput)
    }
    return _write(out_path, items, masked)


def leaks_jsonl(out_path: Path, in_path: Path, *, on_error: ErrorSink | None = None) -> LeakReport:
    """Check every record of a ``counselsim mask`` output against its input.

    For each output id, the identifiers detected in the input text (every layer), plus the
    output's entities that carry ``text``, are looked for in ``masked_text``. Error records
    (stand-ins for bad input lines) hold no text and are only counted.

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
    for n, line in read_jsonl(out_path, OutputLine):
        if isinstance(line, str):
            fail(out_path, n, line)
            continue
        rec = line.root
        if isinstance(rec, MaskError):  # the masker's stand-in for a bad input line
            report.error_records += 1
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
