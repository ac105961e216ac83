"""Run an import into a directory: options checked first, then the model (only when the
format or the LLM masking pass needs one), then the records, written as they are converted
so a rerun resumes.

``counselsim profiles import`` runs :func:`check_import`, then the composition root's
extractor when the format needs a model (and the masking pass's model with ``--llm-mask``),
then :func:`run_import` (see :mod:`counselsim.services.imports`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from counselsim.config import derive_seed
from counselsim.errors import ConfigError
from counselsim.importers.base import (
    LANGUAGES,
    ImportContext,
    Imported,
    Importer,
    ImportEvent,
    ImportFailure,
    Lang,
    MaskerFactory,
    Skipped,
)
from counselsim.importers.hf import parse_hf
from counselsim.importers.registry import get_importer
from counselsim.importers.store import (
    DIALOGUES_FILE,
    IMPORT_FILE,
    PROFILES_DIR,
    DialogueSink,
    ProfileSink,
)
from counselsim.personas.models import ClientProfile
from counselsim.privacy import Masker
from counselsim.privacy.llm import RecordRemasker
from counselsim.runs.files import cannot_write, claim_dir, write_atomic

if TYPE_CHECKING:  # the agents (and langchain) are imported only when a model is used
    from counselsim.agents.extractor import ProfileExtractor
    from counselsim.privacy.llm import ChatLLM

log = logging.getLogger(__name__)


@dataclass
class ImportReport:
    """What one run did; written to ``DIR/import.json`` (never any record content)."""

    format: str
    source: str
    out: str
    status: str = "running"
    read: int = 0
    imported: int = 0
    skipped: int = 0
    failed: int = 0
    failures: list[str] = field(default_factory=list)
    seconds: float = 0.0
    options: dict[str, Any] = field(default_factory=dict)

    def count(self, event: ImportEvent) -> None:
        self.read += 1
        if isinstance(event, Imported):
            self.imported += 1
        elif isinstance(event, Skipped):
            self.skipped += 1
        else:
            self.failed += 1
            self.failures.append(str(event))

    def summary(self) -> str:
        """One line for the terminal."""
        return (
            f"{self.format}: read {self.read}, imported {self.imported}, "
            f"skipped {self.skipped} (already imported), failed {self.failed} "
            f"in {self.seconds:.1f}s -> {self.out}"
        )


def masker_factory(surrogates: bool, seed: int) -> MaskerFactory:
    """One new Masker per record; with surrogates, seeded per record so a rerun (or a
    resumed run) gives each record the same surrogates whatever the order."""
    if not surrogates:
        return lambda record_id: Masker()
    return lambda record_id: Masker(surrogates=True, seed=derive_seed(seed, "mask", record_id))


def check_import(
    fmt: str, src: Path, language: str | None = None, use_llm: bool = False
) -> Importer:
    """Validate everything about an import that needs neither the model nor the output:
    the format, the language, the ``--llm`` combination and that the source has files.

    Raises:
        ConfigError: an unknown format or language, or options the format cannot honour.
        SourceError: the source does not exist or a folder has no files of the format.
    """
    importer = get_importer(fmt)
    lang = parse_language(language)
    if use_llm and not importer.needs_llm(True):
        raise ConfigError(f"--llm does not apply to --format {importer.name}")
    importer.check(ImportContext(language=lang, use_llm=use_llm))
    importer.files(src)
    return importer


def parse_language(language: str | None) -> Lang | None:
    """``zh``/``en`` or None; anything else is a ConfigError."""
    if language is None:
        return None
    value = language.strip().lower()
    for lang in LANGUAGES:
        if value == lang:
            return lang
    raise ConfigError(f"--language must be zh or en, not '{language}'")


def _resume_key(importer: Importer, src: Path, options: dict[str, Any]) -> str:
    source = str(src) if parse_hf(src) else str(src.resolve())  # hf:NAME is no local path
    blob = json.dumps({"format": importer.name, "source": source, **options}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def _write_report(out: Path, report: ImportReport, key: str) -> None:
    body = {"resume_key": key, **asdict(report)}
    try:
        write_atomic(out / IMPORT_FILE, json.dumps(body, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise cannot_write(out / IMPORT_FILE, exc) from None


async def import_source(
    fmt: str,
    src: Path,
    out: Path,
    *,
    limit: int | None = None,
    language: str | None = None,
    surrogates: bool = False,
    seed: int = 0,
    use_llm: bool = False,
    extractor: ProfileExtractor | None = None,
    llm_mask: ChatLLM | None = None,
    on_event: Callable[[ImportEvent], None] | None = None,
) -> ImportReport:
    """Import ``src`` (a file or folder) of format ``fmt`` into the directory ``out``.

    With ``llm_mask`` (a model), each record, once masked by the rules and dictionaries,
    also goes through the LLM masking pass (:class:`~counselsim.privacy.llm.RecordRemasker`).

    Writes ``out/profiles/<id>.yaml`` or ``out/dialogues.jsonl`` as records are converted,
    and ``out/import.json`` at the start and the end. Records already in ``out`` are skipped,
    so a rerun of the same command resumes. Per-record problems are counted and reported
    through ``on_event``; only errors that would hit every record (an unreachable model, an
    unusable output directory) raise.

    Raises:
        ConfigError, SourceError: bad options or source (nothing written).
        OutputError: ``out`` holds something else.
    """
    started = time.perf_counter()
    importer = check_import(fmt, src, language, use_llm)
    lang = parse_language(language)
    if importer.needs_llm(use_llm) and extractor is None:
        raise ConfigError(f"--format {importer.name} needs a model, and none was given")
    remasker = RecordRemasker(llm_mask, seed=seed) if llm_mask is not None else None
    make_masker = masker_factory(surrogates, seed)
    ctx = ImportContext(
        language=lang,
        make_masker=remasker.track(make_masker) if remasker else make_masker,
        extractor=extractor if importer.needs_llm(use_llm) else None,
        use_llm=use_llm,
        seed=seed,
    )
    options = {"language": lang, "surrogates": surrogates, "seed": seed, "llm": use_llm}
    if remasker is not None:  # only when used, so earlier imports still resume
        options["llm_mask"] = True
    key = _resume_key(importer, src, options)
    resumed = claim_dir(
        out, IMPORT_FILE, key, kind="import", other="an import of another source, format or options"
    )
    if resumed:
        log.info("resuming the import in %s", out)
    report = ImportReport(importer.name, str(src), str(out), options=options)
    _write_report(out, report, key)
    sink: DialogueSink | ProfileSink = (
        ProfileSink(out / PROFILES_DIR)
        if importer.produces == "profile"
        else DialogueSink(out / DIALOGUES_FILE)
    )
    try:
        async for event in importer.run(src, ctx, skip=set(sink.ids), limit=limit):
            if isinstance(event, Imported) and remasker is not None:
                event = replace(event, item=await remasker.remask(event.id, event.item))
            if isinstance(event, Imported):
                if isinstance(event.item, ClientProfile):
                    assert isinstance(sink, ProfileSink)
                    sink.write(event.item, importer.name)
                else:
                    assert isinstance(sink, DialogueSink)
                    sink.write(event.item)
            report.count(event)
            if on_event is not None:
                on_event(event)
        report.status = "failed" if report.failed else "done"
    except BaseException:
        report.status = "interrupted"
        raise
    finally:
        sink.close()
        report.seconds = round(time.perf_counter() - started, 2)
        _write_report(out, report, key)
    return report


def run_import(
    fmt: str,
    src: Path,
    out: Path,
    *,
    limit: int | None = None,
    language: str | None = None,
    surrogates: bool = False,
    seed: int = 0,
    use_llm: bool = False,
    extractor: ProfileExtractor | None = None,
    llm_mask: ChatLLM | None = None,
    on_event: Callable[[ImportEvent], None] | None = None,
) -> ImportReport:
    """Synchronous :func:`import_source` (for the CLI and scripts)."""
    return asyncio.run(
        import_source(
            fmt,
            src,
            out,
            limit=limit,
            language=language,
            surrogates=surrogates,
            seed=seed,
            use_llm=use_llm,
            extractor=extractor,
            llm_mask=llm_mask,
            on_event=on_event,
        )
    )


__all__ = [
    "ImportFailure",
    "ImportReport",
    "check_import",
    "import_source",
    "masker_factory",
    "parse_language",
    "run_import",
]
