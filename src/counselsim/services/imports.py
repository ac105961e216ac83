"""``counselsim profiles import``: a source of profiles or dialogues, masked, into a
directory (see :mod:`counselsim.importers.run`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from counselsim.errors import ConfigError
from counselsim.importers.base import Importer, ImportEvent
from counselsim.importers.run import ImportReport, check_import, run_import
from counselsim.runs import refuse_same_path
from counselsim.services.options import ModelFlags

if TYPE_CHECKING:
    from counselsim.agents.extractor import ProfileExtractor


@dataclass(frozen=True)
class ImportOptions:
    """``counselsim profiles import``: the source, its format, the output directory, and
    the model (used by psyqa, and by cactus with ``llm``)."""

    src: Path
    fmt: str
    out: Path
    limit: int | None = None
    language: str | None = None
    llm: bool = False
    surrogates: bool = False
    seed: int = 0
    model: ModelFlags = field(default_factory=ModelFlags)


def check_options(opts: ImportOptions) -> Importer:
    """Everything that needs neither the model nor the output, checked.

    Raises:
        ConfigError: bad options, model flags for a format that uses no model, or ``--out``
            that is the source.
        SourceError: the source does not exist or has no files of the format.
    """
    refuse_same_path(opts.out, opts.src)
    importer = check_import(opts.fmt, opts.src, opts.language, opts.llm)
    if not importer.needs_llm(opts.llm) and opts.model.given():
        raise ConfigError(
            f"model flags apply only where the model is used (psyqa; cactus with --llm), "
            f"not to --format {importer.name}"
        )
    return importer


def build_import_model(opts: ImportOptions, importer: Importer) -> ProfileExtractor | None:
    """The extractor on the configured model when the format uses one (loaded now)."""
    if not importer.needs_llm(opts.llm):
        return None
    from counselsim.services.compose import build_extractor

    return build_extractor(opts.model.resolve())


def import_source(
    opts: ImportOptions,
    importer: Importer,
    extractor: ProfileExtractor | None,
    on_event: Callable[[ImportEvent], None] | None = None,
) -> ImportReport:
    """Import the source (a rerun resumes); per-record failures go to ``on_event``."""
    return run_import(
        importer.name,
        opts.src,
        opts.out,
        limit=opts.limit,
        language=opts.language,
        surrogates=opts.surrogates,
        seed=opts.seed,
        use_llm=opts.llm,
        extractor=extractor,
        on_event=on_event,
    )
