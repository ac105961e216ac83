"""``counselsim mask``: a JSONL file of texts, masked into another (see
:mod:`counselsim.privacy.batch`), with the LLM pass on the configured model when asked."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from counselsim.errors import ConfigError
from counselsim.privacy.batch import BatchReport, ErrorSink, amask_jsonl, check_paths, mask_jsonl
from counselsim.services.options import ModelFlags

if TYPE_CHECKING:
    from counselsim.agents.base import AgentDeps


@dataclass(frozen=True)
class MaskOptions:
    """``counselsim mask``: input and output files, how identifiers are replaced, and the
    model of the LLM pass (used with ``llm`` only)."""

    src: Path
    out: Path
    surrogates: bool = False
    keep_originals: bool = False
    seed: int = 0
    llm: bool = False
    model: ModelFlags = field(default_factory=ModelFlags)


def check_mask_options(opts: MaskOptions) -> None:
    """Everything that needs no model, checked before one loads.

    Raises:
        ConfigError: model flags without ``--llm``.
        OutputError: ``--out`` is the input (by name or link), a directory, or in a missing
            directory.
    """
    if not opts.llm and opts.model.given():
        raise ConfigError("model flags apply only with --llm")
    check_paths(opts.src, opts.out)


def build_mask_model(opts: MaskOptions) -> AgentDeps | None:
    """The LLM pass's model on the configured engine (loaded now), or None without ``llm``."""
    if not opts.llm:
        return None
    from counselsim.services import compose

    return compose.build_masker_deps(opts.model.resolve())


def mask_file(
    opts: MaskOptions, model: AgentDeps | None, on_error: ErrorSink | None = None
) -> BatchReport:
    """Mask every record of ``opts.src`` into ``opts.out`` (written atomically), with one
    model call per record when ``model`` is given; each malformed line goes to ``on_error``
    and becomes an error record in the output.

    Raises:
        DataError: the input is missing or unreadable.
        OutputError: the output is the input or cannot be written (nothing written).
        StructuredOutputError: the model's answer stayed invalid after the repairs.
    """
    if model is None:
        return mask_jsonl(
            opts.src,
            opts.out,
            surrogates=opts.surrogates,
            keep_originals=opts.keep_originals,
            seed=opts.seed,
            on_error=on_error,
        )
    return asyncio.run(
        amask_jsonl(
            opts.src,
            opts.out,
            model,
            surrogates=opts.surrogates,
            keep_originals=opts.keep_originals,
            seed=opts.seed,
            on_error=on_error,
        )
    )
