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
    from counselsim.agents.base import AgentDeps
    from counselsim.agents.extractor import ProfileExtractor


@dataclass(frozen=True)
class ImportOptions:
    """``counselsim profiles import``: the source, its format, the output directory, and
    the model (used by psyqa, by cactus with ``llm``, and by the LLM masking pass with
    ``llm_mask``)."""

    src: Path
    fmt: str
    out: Path
    limit: int | None = None
    language: str | None = None
    llm: bool = False
    llm_mask: bool = False
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
    if not (importer.needs_llm(opts.llm) or opts.llm_mask) and opts.model.given():
        raise ConfigError(
            f"model flags apply only where the model is used (psyqa; cactus with --llm; "
            f"--llm-mask), not to --format {importer.name}"
        )
    return importer


@dataclass(frozen=True)
class ImportModels:
    """The models an import uses: the profile extractor (psyqa; cactus with ``--llm``) and
    the LLM masking pass's (``--llm-mask``); the same model when both are used."""

    extractor: ProfileExtractor | None = None
    mask: AgentDeps | None = None


def build_import_models(opts: ImportOptions, importer: Importer) -> ImportModels:
    """The models the import uses, on the configured model, loaded now (none without
    ``--llm-mask`` for a format that uses no model)."""
    uses_extractor = importer.needs_llm(opts.llm)
    if not (uses_extractor or opts.llm_mask):
        return ImportModels()
    from counselsim.services import compose

    cfg = opts.model.resolve()
    extractor = compose.build_extractor(cfg) if uses_extractor else None
    if not opts.llm_mask:
        return ImportModels(extractor)
    # one model in memory: the masking pass shares the extractor's when there is one
    return ImportModels(extractor, extractor.deps if extractor else compose.build_masker_deps(cfg))


def import_source(
    opts: ImportOptions,
    importer: Importer,
    models: ImportModels,
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
        extractor=models.extractor,
        llm_mask=models.mask,
        on_event=on_event,
    )
