"""The importer interface: read a source, yield one masked record or one failure per entry.

An :class:`Importer` adapts one source format. It lists the files of a source (a file or a
folder), splits each file into entries (one per source record, with its line number) and
converts an entry into a masked :class:`~counselsim.personas.models.ClientProfile` or
:class:`~counselsim.records.Dialogue`. :meth:`Importer.run` drives both and yields, per
entry, an :class:`Imported`, a :class:`Skipped` (already imported: resume) or an
:class:`ImportFailure` naming the file and line. Nothing here logs record text.

A source is a file, a folder of files, or a Hugging Face dataset (``hf:NAME[:SPLIT]``,
:mod:`.hf`: one record per row). Dialogue formats subclass :class:`DialogueImporter`: they
only parse a record into its turns, exactly as written (:meth:`DialogueImporter.parse`, what
``counselsim metrics`` counts), and the shared :func:`build_dialogue` strips and masks them.
Reading helpers are in :mod:`.reading`, length clipping in :mod:`.fitting`; safe ids and the
masking of whole profiles and dialogues are here.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable, Container, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from pydantic import ValidationError

from counselsim.errors import ConfigError, SourceError, StructuredOutputError
from counselsim.importers.fitting import fit_to_model
from counselsim.importers.hf import HFSource, load_rows, parse_hf
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

RawTurn = tuple[Role, str, Sequence[str]]
"""A turn as a source gives it: role, text (unstripped), labels."""


@dataclass(frozen=True)
class RawDialogue:
    """A dialogue record parsed, not yet cleaned or masked: its turns exactly as the source
    has them (empty ones kept) and its metadata."""

    turns: list[RawTurn]
    meta: dict[str, str] = field(default_factory=dict)


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
    reads_rows: ClassVar[bool] = True
    """Whether a record can be a dataset row (``hf:`` sources): False for formats whose
    record is a whole file."""

    def needs_llm(self, use_llm: bool) -> bool:
        """Whether this import calls the model (``use_llm`` is the ``--llm`` flag)."""
        return False

    @staticmethod
    def recognizes(record: Any) -> bool:
        """Whether one parsed record has this format's shape: a cheap, conservative test for
        "it looks like FORMAT" hints (see :func:`~counselsim.importers.registry.guess_format`)."""
        return False

    def check(self, ctx: ImportContext) -> None:  # noqa: B027 - optional hook, no-op default
        """Reject option combinations this format cannot honour (raises ConfigError)."""

    def files(self, src: Path) -> list[Path]:
        """The files of a source: the file itself, or a folder's matching files (sorted,
        not recursive, hidden files left out). An ``hf:`` source is one pseudo-file named
        after it, loaded here so that any problem shows before a model loads.

        Raises:
            ConfigError: an ``hf:`` source for a format that cannot read rows, or without
                the ``datasets`` library.
            SourceError: the source does not exist or a folder holds no matching file; the
                dataset or its split is not found.
        """
        dataset = parse_hf(src)
        if dataset is not None:
            if not self.reads_rows:
                raise ConfigError(
                    f"format '{self.name}' reads one file per record; it has no hf: source"
                )
            load_rows(dataset)
            return [Path(str(dataset))]
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
        dataset = parse_hf(src)
        for file in self.files(src):
            entries = self.entries(file) if dataset is None else _row_entries(dataset)
            for entry in entries:
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
        # Only a record that was imported claims its id: an invalid record earlier in the
        # source must not make a later valid one with the same id a "duplicate".
        imported: dict[str, str] = {}
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
            if rec.id in imported:
                yield rec.failure(f"duplicate record id '{rec.id}' (first at {imported[rec.id]})")
                continue
            if rec.id in skip:
                # Imported by an earlier run; which record of that id it was is not known
                # without converting again, so every record of the id is reported skipped.
                yield Skipped(rec.id, rec.file, rec.line)
                continue
            event = await self._convert(rec, ctx)
            if isinstance(event, Imported):
                imported[rec.id] = rec.where
            yield event

    async def _convert(self, rec: SourceRecord, ctx: ImportContext) -> Imported | ImportFailure:
        """One record converted, or the failure that names why not."""
        try:
            item = await self.convert(rec, ctx)
        except RecordError as exc:
            return rec.failure(exc.reason)
        except StructuredOutputError as exc:
            return rec.failure(f"model output invalid: {exc}")
        except ValidationError as exc:
            return rec.failure(short_validation_error(exc))
        return Imported(rec.id, rec.file, rec.line, item)


def _row_entries(dataset: HFSource) -> Iterator[Entry]:
    """A dataset's rows as entries, numbered from 1 like lines."""
    for n, row in enumerate(load_rows(dataset), 1):
        yield Entry(n, dict(row))


class DialogueImporter(Importer):
    """A format whose records are dialogues: it parses, the shared code cleans and masks."""

    produces: ClassVar[Literal["profile", "dialogue"]] = "dialogue"

    @abstractmethod
    def parse(self, record: SourceRecord) -> RawDialogue:
        """The record's turns exactly as written: not stripped, not masked, empty turns kept.

        Raises:
            RecordError: the record is not a dialogue of this format.
        """

    async def convert(self, record: SourceRecord, ctx: ImportContext) -> ClientProfile | Dialogue:
        raw = self.parse(record)
        return build_dialogue(record.id, self.name, raw.turns, ctx, raw.meta)


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


__all__ = [
    "LANGUAGES",
    "DialogueImporter",
    "Entry",
    "ImportContext",
    "ImportEvent",
    "ImportFailure",
    "Imported",
    "Importer",
    "Lang",
    "MaskerFactory",
    "RawDialogue",
    "RawTurn",
    "RecordError",
    "Skipped",
    "SourceRecord",
    "build_dialogue",
    "detect_language",
    "mask_profile",
    "opaque_id",
    "safe_id",
]
