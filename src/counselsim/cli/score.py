"""``counselsim score``: a rubric on a run or corpus, or two runs compared pairwise."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from counselsim.cli.app import (
    SeedOpt,
    app,
    counted,
    err,
    model_flags,
    out,
    resumable,
)
from counselsim.labels import ScoreMethod
from counselsim.services.options import ModelFlags

if TYPE_CHECKING:
    from counselsim.runs import ComparisonSummary, ScoreSummary
    from counselsim.services.score import ScoreJob


# score's own options
SrcArg = Annotated[
    Path,
    typer.Argument(
        help="A run directory, a sessions.jsonl, or a corpus (--format): a file, a folder "
        "or hf:NAME[:SPLIT]."
    ),
]
RubricOpt = Annotated[
    str, typer.Option("--rubric", help="A name (see `rubrics`), name:subset, or a YAML file.")
]
RepeatsOpt = Annotated[
    int, typer.Option("--repeats", min=1, max=50, help="Judgements per unit (reshuffled).")
]
FormatOpt = Annotated[
    str | None, typer.Option("--format", help="Corpus format of SRC (an importer's).")
]
ScoresOutOpt = Annotated[
    Path | None, typer.Option("--out", help="Where scores/ goes (default: the run dir).")
]
HumanOpt = Annotated[
    Path | None,
    typer.Option("--human", help="Human labels (JSONL/CSV: unit,item,score) to agree with."),
]
AgainstOpt = Annotated[
    Path | None,
    typer.Option("--against", help="Compare SRC with this run (same persona and session)."),
]
TurnsPerUnitOpt = Annotated[
    int | None,
    typer.Option("--turns-per-unit", min=1, help="Turn-level items: turns judged per unit."),
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N units.")]
MethodOpt = Annotated[
    ScoreMethod,
    typer.Option("--method", help="geval where the engine gives log-probabilities, else sampled."),
]
TemperatureOpt = Annotated[
    float | None,
    typer.Option("--temperature", min=0, max=2, help="Judge temperature (default 0)."),
]


@app.command()
@model_flags
def score(
    src: SrcArg,
    rubric: RubricOpt = "core",
    repeats: RepeatsOpt = 1,
    fmt: FormatOpt = None,
    out_dir: ScoresOutOpt = None,
    human: HumanOpt = None,
    against: AgainstOpt = None,
    turns_per_unit: TurnsPerUnitOpt = None,
    limit: LimitOpt = None,
    temperature: TemperatureOpt = None,
    method: MethodOpt = ScoreMethod.GEVAL,
    seed: SeedOpt = None,
    *,
    flags: ModelFlags,
) -> None:
    """Score sessions or dialogues on a rubric, K times each, with spread and agreement.

    Writes OUT/scores/RUBRIC.jsonl (one line per unit; reruns resume) and
    OUT/scores/RUBRIC.summary.json. Exit 1 when some units could not be scored, 2 when none.
    """
    from counselsim.services.score import ScoreOptions, plan_score
    from counselsim.services.score import score as run_score

    opts = ScoreOptions(
        src, rubric, repeats, fmt, out_dir, human, against, turns_per_unit, limit, temperature,
        method, seed, flags,
    )  # fmt: skip
    job = plan_score(opts)
    if job.unmatched:
        err.print(f"[yellow]{len(job.unmatched)} unit(s) have no partner and are not compared[/]")
    saved = f"the units judged so far are in {opts.target}/scores"
    kind = "comparing pairs" if job.pairs else f"scoring on {job.rubric.name}"
    with resumable(lambda: saved), counted(kind, job.judged) as progress:
        result = run_score(job, on_done=progress)
    from counselsim.runs import ComparisonSummary

    if isinstance(result.summary, ComparisonSummary):
        _print_comparison(result.summary, job)
    else:
        _print_scores(result.summary)
    out.print(str(result.path))
    if result.exit_code:
        what = "all" if result.exit_code == 2 else f"{result.summary.failed} of {job.judged}"
        err.print(
            f"[yellow]{what} could not be scored; the causes are in {result.path.parent}[/]",
            highlight=False,
        )
        raise typer.Exit(result.exit_code)


def _print_scores(summary: ScoreSummary) -> None:
    table = Table(
        title=f"{summary.rubric}: {summary.scored} scored, "
        f"{summary.partial} partial, {summary.failed} failed"
    )
    for col in ("value", "mean", "sd (units)", "sd (judge repeats)", "n"):
        table.add_column(col)
    for part in (summary.items, summary.groups, summary.counts, summary.ratios):
        for key, v in part.items():
            table.add_row(
                key, f"{v.mean:.2f}", f"{v.sd_between_units:.2f}", f"{v.judge_sd:.2f}", str(v.n)
            )
    out.print(table)
    for item, a in (summary.agreement or {}).items():
        if isinstance(a, dict) and "spearman" in a:
            out.print(
                f"agreement {item}: n={a.get('n')} spearman={a.get('spearman')} "
                f"kendall={a.get('kendall')} kappa(q)={a.get('kappa_quadratic')}"
            )


def _print_comparison(summary: ComparisonSummary, job: ScoreJob) -> None:
    o = job.options
    table = Table(title=f"{o.src} (A) vs {o.against} (B): {len(job.pairs)} pairs x {o.repeats}")
    for col in ("item", "A wins", "B wins", "ties", "A win rate"):
        table.add_column(col)
    for item, v in summary.items.items():
        table.add_row(item, str(v.a), str(v.b), str(v.tie), str(v.a_win_rate))
    out.print(table)
    out.print(
        f"position consistency {summary.position_consistency}, "
        f"first-position rate {summary.first_position_rate} (0.5 = no position bias)"
    )
