"""Masking commands: ``mask`` and ``leaks``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from counselsim.cli.app import app, err, out


@app.command("mask")
def mask_command(
    in_file: Annotated[Path, typer.Argument(help='JSONL: {"id", "text", "language"?} per line.')],
    out_file: Annotated[Path, typer.Option("--out", help="Masked JSONL (written atomically).")],
    surrogates: Annotated[
        bool, typer.Option("--surrogates", help="Realistic fakes instead of [TYPE_n].")
    ] = False,
    keep_originals: Annotated[
        bool, typer.Option("--keep-originals", help="Also write each entity's original text.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Surrogate seed.")] = 0,
) -> None:
    """Mask identifiers in IN.jsonl; offsets in the output point into the input text.

    A malformed line is reported (file:line) and skipped; exit 2 if any line failed.
    """
    from counselsim.personas.mask.batch import mask_jsonl

    def report(line: str) -> None:
        err.print(f"[red]bad line:[/] {escape(line)}", highlight=False, soft_wrap=True)

    with err.status("masking..."):
        stats = mask_jsonl(
            in_file,
            out_file,
            surrogates=surrogates,
            keep_originals=keep_originals,
            seed=seed,
            on_error=report,
        )
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
    from counselsim.personas.mask.batch import leaks_jsonl

    def report(line: str) -> None:
        err.print(f"[red]bad line:[/] {escape(line)}", highlight=False, soft_wrap=True)

    result = leaks_jsonl(masked, against, on_error=report)
    for rid, leak in result.leaks:
        out.print(
            f"leak: id={escape(rid)} label={leak.label} at {leak.start}-{leak.end}"
            f" ({leak.how}, sha256:{leak.digest})",
            highlight=False,
            soft_wrap=True,
        )
    out.print(
        f"checked: {result.checked}, leaks: {len(result.leaks)} in {result.leaky_records} records,"
        f" failed: {result.failed}",
        highlight=False,
    )
    if result.leaks:
        raise typer.Exit(1)
    if result.failed:
        raise typer.Exit(2)
