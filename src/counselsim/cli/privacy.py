"""Masking commands: ``mask`` and ``leaks``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from counselsim.cli.app import app, err, model_flags, out
from counselsim.services.options import ModelFlags


def _bad_line(line: str) -> None:
    err.print(f"[red]bad line:[/] {escape(line)}", highlight=False, soft_wrap=True)


@app.command("mask")
@model_flags
def mask_command(
    in_file: Annotated[Path, typer.Argument(help='JSONL: {"id", "text", "language"?} per line.')],
    out_file: Annotated[
        Path, typer.Option("--out", help="Masked JSONL (written atomically; not the input).")
    ],
    surrogates: Annotated[
        bool, typer.Option("--surrogates", help="Realistic fakes instead of [TYPE_n].")
    ] = False,
    keep_originals: Annotated[
        bool, typer.Option("--keep-originals", help="Also write each entity's original text.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Surrogate and model seed.")] = 0,
    llm: Annotated[
        bool, typer.Option("--llm", help="Also ask the model what the rules missed (a call each).")
    ] = False,
    *,
    flags: ModelFlags,
) -> None:
    """Mask identifiers in IN.jsonl; offsets in the output point into the input text.

    A malformed line is reported (file:line) and written as an error record in its place;
    exit 2 if any line failed. The model flags apply with --llm only.
    """
    from counselsim.services.privacy import (
        MaskOptions,
        build_mask_model,
        check_mask_options,
        mask_file,
    )

    opts = MaskOptions(in_file, out_file, surrogates, keep_originals, seed, llm, flags)
    check_mask_options(opts)  # before a model loads
    with err.status("masking..."):
        stats = mask_file(opts, build_mask_model(opts), on_error=_bad_line)
    out.print(f"processed: {stats.processed}, failed: {stats.failed}", highlight=False)
    if stats.failed:
        raise typer.Exit(2)


@app.command("leaks")
def leaks_command(
    masked: Annotated[Path, typer.Argument(help="Output of `counselsim mask`.")],
    against: Annotated[Path, typer.Option("--against", help="The original input JSONL.")],
) -> None:
    """Report identifiers of IN still present in the masked OUT.

    Prints label, position and a short hash, never the identifier. Exit 1 on any leak,
    2 on malformed lines.
    """
    from counselsim.privacy.batch import leaks_jsonl

    result = leaks_jsonl(masked, against, on_error=_bad_line)
    for rid, leak in result.leaks:
        out.print(
            f"leak: id={escape(rid)} label={leak.label} at {leak.start}-{leak.end}"
            f" ({leak.how}, sha256:{leak.digest})",
            highlight=False,
            soft_wrap=True,
        )
    out.print(
        f"checked: {result.checked}, leaks: {len(result.leaks)} in {result.leaky_records} records,"
        f" failed: {result.failed}"
        + (f", error records: {result.error_records}" if result.error_records else ""),
        highlight=False,
    )
    if result.leaks:
        raise typer.Exit(1)
    if result.failed:
        raise typer.Exit(2)
