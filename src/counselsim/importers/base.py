"""The importer interface: read a source, yield one masked record or one failure per entry.

An :class:`Importer` adapts one source format. It lists the files of a source (a file or a
folder), splits each file into entries (one per source record, with its line number) and
converts an entry into a masked :class:`~counselsim.personas.models.ClientProfile` or
:class:`~counselsim.records.Dialogue`. :meth:`Importer.run` drives both and yields, per
entry, an :class:`Imported`, a :class:`Skipped` (already imported: resume) or an
:class:`ImportFailure` naming the file and line. Nothing here logs record text.

The helpers below are shared by the format modules: a line-aware JSON/JSONL reader, language
detection, safe ids, length clipping and the masking of whole profiles and dialogues.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, get_args

from pydantic import BaseModel, ValidationError

from counselsim.errors import SourceError, StructuredOutputError
from counselsim.jsonl import json_error, json_lines
from counselsim.labels import Role
from counselsim.personas.load import short_validation_error
from counselsim.personas.models import ClientProfile
from counselsim.privacy import Masker, detect_language
from counselsim.records import Dialogue, DialogueTurn

if TYPE_CHECKING:
    from counselsim.agents.extractor import ProfileExtractor

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ImportFailure:
    """One source record (or a whole file) that could not be imported.

    ``reason`` never quotes record content: it names what is wrong and where.
    """

    file: str
    line: int | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Entry:
    """One raw source record: where it starts and its parsed data."""

    line: int | None
    data: Any


@dataclass(frozen=True)
class SourceRecord:
    """An entry with the id it will be imported under and its place in the source."""

    id: str
    file: Path
    line: int | None
    position: int  # 1-based, among all entries of the source (files in order)
    data: Any = field(repr=False)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else str(self.file)

    def failure(self, reason: str) -> ImportFailure:
        return ImportFailure(str(self.file), self.line, reason)


@dataclass(frozen=True)
class Imported:
    """A record converted and masked; ``item`` is what gets written."""

    id: str
    file: Path
    line: int | None
    item: ClientProfile | Dialogue


@dataclass(frozen=True)
class Skipped:
    """A record whose id is already imported (a resumed run); it was not converted again."""

    id: str
    file: Path
    line: int | None


ImportEvent = Imported | Skipped | ImportFailure


class RecordError(Exception):
    """Raised by a converter for one bad record; becomes an :class:`ImportFailure`.
    ``line`` is set when the problem sits on a known line of the file."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


MaskerFactory = Callable[[str], Masker]
"""Builds the fresh :class:`Masker` for one record; gets the record id (e.g. for a seed)."""


def default_masker(record_id: str) -> Masker:
    """A plain placeholder masker (the runner passes a surrogate one when asked)."""
    return Masker()


@dataclass(frozen=True)
class ImportContext:
    """Options shared by all records of one import.

    Args:
        language: Forces the output language (zh/en) instead of detecting or defaulting it.
        make_masker: A new :class:`Masker` per record.
        extractor: The LLM profile extractor, for formats that structure free text.
        use_llm: Optional LLM structuring for formats where it is optional (cactus).
        seed: Base seed for LLM calls.
    """

    language: Lang | None = None
    make_masker: MaskerFactory = default_masker
    extractor: ProfileExtractor | None = None
    use_llm: bool = False
    seed: int = 0


# --------------------------------------------------------------------------- the interface


_SAFE_ID = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$")


class Importer(ABC):
    """One source format. Subclasses set the class attributes and implement three methods."""

    name: ClassVar[str]
    """The ``--format`` value."""
    produces: ClassVar[Literal["profile", "dialogue"]]
    patterns: ClassVar[tuple[str, ...]]
    """File patterns read from a folder source."""
    summary: ClassVar[str]
    """One line for ``--help`` and docs."""

    def needs_llm(self, use_llm: bool) -> bool:
        """Whether this import calls the model (``use_llm`` is the ``--llm`` flag)."""
        return False

    def check(self, ctx: ImportContext) -> None:  # noqa: B027 - optional hook, no-op default
        """Reject option combinations this format cannot honour (raises ConfigError)."""

    def files(self, src: Path) -> list[Path]:
        """The files of a source: the file itself, or a folder's matching files (sorted,
        not recursive, hidden files left out).

        Raises:
            SourceError: the source does not exist or a folder holds no matching file.
        """
        if src.is_file():
            return [src]
        if src.is_dir():
            found = sorted(
                {
                    f
                    for pattern in self.patterns
                    for f in src.glob(pattern)
                    if f.is_file() and not f.name.startswith(".")
                }
            )
            if not found:
                raise SourceError(
                    f"{src}: no {' or '.join(self.patterns)} files for format '{self.name}'"
                )
            return found
        raise SourceError(f"{src}: source not found")

    @abstractmethod
    def entries(self, file: Path) -> Iterator[Entry | ImportFailure]:
        """Split one file into its records (or failures for unreadable parts)."""

    id_key: ClassVar[str | None] = None
    """The field holding the source's own opaque record id, if the format has one."""

    def record_id(self, entry: Entry, file: Path, position: int) -> str:
        """The id a record is imported under: the source's opaque id (``id_key``) when the
        record has one, else ``<format>-<position>``."""
        if self.id_key and isinstance(entry.data, dict):
            value = entry.data.get(self.id_key)
            if value not in (None, ""):
                return opaque_id(self.name, value)
        return f"{self.name}-{position:04d}"

    @abstractmethod
    async def convert(self, record: SourceRecord, ctx: ImportContext) -> ClientProfile | Dialogue:
        """Convert and mask one record. Raises RecordError for a bad record."""

    def read(self, src: Path) -> Iterator[SourceRecord | ImportFailure]:
        """Every entry of the source, with ids; positions run on across files."""
        position = 0
        for file in self.files(src):
            for entry in self.entries(file):
                position += 1
                if isinstance(entry, ImportFailure):
                    yield entry
                    continue
                try:
                    rid = self.record_id(entry, file, position)
                except RecordError as exc:
                    yield ImportFailure(str(file), entry.line, exc.reason)
                    continue
                yield SourceRecord(rid, file, entry.line, position, entry.data)

    async def run(
        self,
        src: Path,
        ctx: ImportContext,
        *,
        skip: Container[str] = (),
        limit: int | None = None,
    ) -> AsyncIterator[ImportEvent]:
        """Import a source: one event per entry, in source order.

        Args:
            src: A file or a folder.
            ctx: Options shared by all records.
            skip: Ids already imported; they are reported as :class:`Skipped`.
            limit: Read at most this many entries (failed and skipped ones count).

        Errors of one record become :class:`ImportFailure`; bad options (ConfigError), a
        missing source (SourceError), a model that cannot be reached, or any other error
        that would hit every record propagate.
        """
        self.check(ctx)
        seen: dict[str, str] = {}
        count = 0
        for rec in self.read(src):
            if limit is not None and count >= limit:
                break
            count += 1
            if isinstance(rec, ImportFailure):
                yield rec
                continue
            if not _SAFE_ID.match(rec.id):
                yield rec.failure("record id is not a safe file name ([A-Za-z0-9_.-], ≤64)")
                continue
            if rec.id in seen:
                yield rec.failure(f"duplicate record id '{rec.id}' (first at {seen[rec.id]})")
                continue
            seen[rec.id] = rec.where
            if rec.id in skip:
                yield Skipped(rec.id, rec.file, rec.line)
                continue
            try:
                item = await self.convert(rec, ctx)
            except RecordError as exc:
                yield rec.failure(exc.reason)
                continue
            except StructuredOutputError as exc:
                yield rec.failure(f"model output invalid: {exc}")
                continue
            except ValidationError as exc:
                yield rec.failure(short_validation_error(exc))
                continue
            yield Imported(rec.id, rec.file, rec.line, item)


# --------------------------------------------------------------------------- reading


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


# --------------------------------------------------------------------------- ids, language


def safe_id(value: object) -> str:
    """An opaque source id made safe as a file name: other characters become ``-``."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", str(value)).strip("-.")[:64]


def opaque_id(prefix: str, value: object) -> str:
    """The source's own id; a bare number gets the format as prefix (``psydial-12``)."""
    sid = safe_id(value)
    if not sid:
        raise RecordError("record id is empty after removing unsafe characters")
    return f"{prefix}-{sid}" if sid.isdigit() else sid


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


# --------------------------------------------------------------------------- clipping

_SENTENCE_END = "。！？!?；;."


def clip(text: str, limit: int) -> str:
    """Shorten to at most ``limit`` characters, at a sentence end when one is in the second
    half, else at a space, never inside a ``[PLACEHOLDER]``; adds ``…`` when cut mid-way."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [cut.rfind(ch) for ch in _SENTENCE_END]
    best = max(ends)
    if best >= limit // 2:
        out = cut[: best + 1]
    else:
        cut = text[: limit - 1]
        space = cut.rfind(" ")
        if space >= limit // 2:
            cut = cut[:space]
        out = cut.rstrip() + "…"
    if out.rfind("[") > out.rfind("]"):  # never leave half a placeholder
        out = out[: out.rfind("[")].rstrip() + "…"
    return out


def _max_len(info: Any) -> int | None:
    for meta in getattr(info, "metadata", ()):
        n = getattr(meta, "max_length", None)
        if isinstance(n, int):
            return n
    return None


def _submodel(annotation: Any) -> type[BaseModel] | None:
    candidates = [annotation, *get_args(annotation)]
    for c in candidates:
        if isinstance(c, type) and issubclass(c, BaseModel):
            return c
    return None


def fit_to_model(model: type[BaseModel], data: dict[str, Any]) -> dict[str, Any]:
    """Clip strings and lists in ``data`` to ``model``'s ``max_length`` bounds (recursively),
    so text that grew in masking or came long from a source still validates."""
    out = dict(data)
    for name, info in model.model_fields.items():
        value = out.get(name)
        if value is None:
            continue
        limit = _max_len(info)
        sub = _submodel(info.annotation)
        if isinstance(value, str) and limit is not None:
            out[name] = clip(value, limit)
        elif isinstance(value, list):
            items = value[:limit] if limit is not None else list(value)
            if sub is not None:
                items = [fit_to_model(sub, v) if isinstance(v, dict) else v for v in items]
            out[name] = items
        elif isinstance(value, dict) and sub is not None:
            out[name] = fit_to_model(sub, value)
    return out


# --------------------------------------------------------------------------- masking

# Profile fields that hold ids or enum values, not free text.
_NOT_TEXT = frozenset({"id", "language", "style", "defenses", "risk_flags", "resistance"})


def _mask_value(value: Any, masker: Masker, lang: str) -> Any:
    if isinstance(value, str):
        return masker(value, lang).text if value else value
    if isinstance(value, list):
        return [_mask_value(v, masker, lang) for v in value]
    if isinstance(value, dict):
        return {k: _mask_value(v, masker, lang) for k, v in value.items()}
    return value


def mask_profile(data: dict[str, Any], masker: Masker, lang: str) -> ClientProfile:
    """Mask every free-text field of a profile dict, clip to the bounds and validate.

    Raises:
        RecordError: the data is not a valid profile.
    """
    masked = {k: (v if k in _NOT_TEXT else _mask_value(v, masker, lang)) for k, v in data.items()}
    try:
        return ClientProfile.model_validate(fit_to_model(ClientProfile, masked))
    except ValidationError as exc:
        raise RecordError(short_validation_error(exc)) from None


RawTurn = tuple[Role, str, Sequence[str]]


def build_dialogue(
    rid: str,
    source: str,
    turns: Sequence[RawTurn],
    ctx: ImportContext,
    meta: dict[str, str] | None = None,
) -> Dialogue:
    """Mask (one :class:`Masker` for the whole dialogue, so placeholders agree across turns)
    and assemble a :class:`Dialogue`. Empty turns are dropped; the language is forced by
    ``ctx.language`` or detected from the text.

    Raises:
        RecordError: no turn with text.
    """
    kept = [(role, text.strip(), labels) for role, text, labels in turns if text.strip()]
    if not kept:
        raise RecordError("no turns with text")
    lang: Lang = ctx.language or detect_language(t for _, t, _ in kept)
    masker = ctx.make_masker(rid)
    out_turns = [
        DialogueTurn(
            role=role,
            text=masker(text, lang).text,
            labels=[masker(label, lang).text for label in labels],
        )
        for role, text, labels in kept
    ]
    out_meta = {k: masker(v, lang).text for k, v in (meta or {}).items() if v}
    return Dialogue(id=rid, language=lang, source=source, turns=out_turns, meta=out_meta)


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
    "LANGUAGES",
    "Entry",
    "ImportContext",
    "ImportEvent",
    "ImportFailure",
    "Imported",
    "Importer",
    "Lang",
    "MaskerFactory",
    "RecordError",
    "Skipped",
    "SourceRecord",
    "build_dialogue",
    "clip",
    "detect_language",
    "fit_to_model",
    "json_entries",
    "mask_profile",
    "opaque_id",
    "safe_id",
    "whole_json",
]
