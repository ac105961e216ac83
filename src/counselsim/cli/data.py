"""Commands on a run's data: ``export``, ``metrics``, ``report``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from counselsim.cli.app import app, out
from counselsim.services.options import ExportFormat, ExportSide, ExportUnit

# export's own options
ReasoningOpt = Annotated[
    bool,
    typer.Option(
        "--reasoning/--no-reasoning",
        help="Counselor messages start with <think>plan, observation, emotion, strategy, "
        "reasoning</think>.",
    ),
]
MinScoreOpt = Annotated[
    float | None,
    typer.Option("--min-score", help="Keep sessions whose critic share of points >= X."),
]
MinItemOpt = Annotated[
    list[str] | None,
    typer.Option("--min-item", help="NAME=V: keep sessions whose item NAME >= V (repeat)."),
]
DropFlaggedOpt = Annotated[
    bool, typer.Option("--drop-flagged", help="Drop sessions with a flagged turn.")
]
OverwriteOpt = Annotated[bool, typer.Option("--overwrite", help="Write into a non-empty --out.")]


@app.command("export")
def export_command(
    src: Annotated[Path, typer.Argument(metavar="DIR", help="A run directory or sessions file.")],
    fmt: Annotated[ExportFormat, typer.Option("--format", help="The data format.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory (must be empty).")],
    side: Annotated[ExportSide, typer.Option("--side", help="Who the assistant is.")] = (
        ExportSide.COUNSELOR
    ),
    reasoning: ReasoningOpt = False,
    min_score: MinScoreOpt = None,
    min_item: MinItemOpt = None,
    drop_flagged: DropFlaggedOpt = False,
    unit: Annotated[ExportUnit, typer.Option("--unit", help="A sample per session or course.")] = (
        ExportUnit.SESSION
    ),
    overwrite: OverwriteOpt = False,
) -> None:
    """Turn a run's sessions.jsonl into fine-tuning data (sharegpt, openai, llamafactory, hf).

    One sample per session (or course); system, then user/assistant alternating, ending with
    the assistant. Prints one line: samples written, sessions filtered out by reason.
    """
    from counselsim.export import ExportOptions, parse_min_items
    from counselsim.services.export import export_run

    options = ExportOptions(
        fmt=fmt.value,
        side=side.value,
        unit=unit.value,
        reasoning=reasoning,
        min_score=min_score,
        min_items=parse_min_items(min_item or []),
        drop_flagged=drop_flagged,
    )
    result = export_run(src, out_dir, options, overwrite=overwrite)
    out.print(result.summary(), highlight=False, soft_wrap=True)


@app.command()
def metrics(
    inputs: Annotated[
        list[str],
        typer.Argument(
            metavar="INPUT...",
            help="sessions.jsonl or run dirs, PsyDial messages JSONL, folders of [{role, "
            "content}] JSON files; any importer format as FORMAT:PATH (transcript:x.jsonl), "
            "PATH also a Hugging Face dataset hf:NAME[:SPLIT] (transcript:hf:org/name:test).",
        ),
    ],
    out_file: Annotated[Path, typer.Option("--out", help="Where metrics.json goes.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="Importer format of every INPUT.")
    ] = None,
    equal_d: Annotated[
        int | None, typer.Option("--equal-d", min=1, help="Also LDD at this many dialogues.")
    ] = None,
    draws: Annotated[int, typer.Option("--draws", min=1, help="Subsamples for equal-D.")] = 10,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the subsamples.")] = 0,
    identifiers: Annotated[
        bool,
        typer.Option(
            "--identifiers/--no-identifiers",
            help="Count identifiers the masker still finds (most of the time on a large corpus).",
        ),
    ] = True,
) -> None:
    """Automatic corpus metrics: LDD, Distinct-n, turns, lengths, minimal responses,
    strategy/emotion mix, repetition, identifiers. Several inputs are compared side by side
    (LDD also at equal dialogue count)."""
    from counselsim.services.metrics import MetricsOptions
    from counselsim.services.metrics import metrics as run_metrics

    opts = MetricsOptions(tuple(inputs), out_file, fmt, equal_d, draws, seed, identifiers)
    result = run_metrics(opts)
    table = Table(title=str(out_file))
    columns = ("input", "dialogues", "avg turns", "LDD client", "LDD counselor",
               "Distinct-2 cl/co", "minimal resp.")  # fmt: skip
    for col in columns:
        table.add_column(col)

    def num(v: float | None, spec: str = ".2f") -> str:
        return "-" if v is None else format(v, spec)

    for r in result.rows:
        table.add_row(
            Path(r.input).name or r.input,
            str(r.dialogues),
            num(r.avg_turns),
            num(r.ldd_client),
            num(r.ldd_counselor),
            f"{num(r.distinct2_client, '.3f')} / {num(r.distinct2_counselor, '.3f')}",
            num(r.minimal_response_rate, ".3f"),
        )
    out.print(table)
    for e in result.equal_d:
        out.print(
            f"LDD at D={e.d} ({e.draws} draws) {Path(e.input).name}: "
            f"client {e.client_mean:.1f}±{e.client_sd:.1f}, "
            f"counselor {e.counselor_mean:.1f}±{e.counselor_sd:.1f}"
        )


@app.command()
def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (sessions.jsonl, scores/).")],
    out_file: Annotated[Path, typer.Option("--out", help="The HTML file to write.")],
    metrics_file: Annotated[
        Path | None,
        typer.Option("--metrics", help="metrics.json to include (default: computed from DIR)."),
    ] = None,
) -> None:
    """One self-contained HTML page: score distributions per rubric, the client's emotion
    arc, the strategy mix per session stage, and the metric table."""
    from counselsim.services.report import ReportOptions
    from counselsim.services.report import report as write

    out.print(str(write(ReportOptions(run_dir, out_file, metrics_file))))
