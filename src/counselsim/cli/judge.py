"""``counselsim judge validate``: can this judge model, on this rubric, be trusted?"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from counselsim.cli.app import (
    counted,
    err,
    judge_app,
    model_flags,
    out,
    resumable,
)
from counselsim.cli.score import MethodOpt, RubricOpt
from counselsim.labels import ScoreMethod
from counselsim.personas.models import Language
from counselsim.services.options import ModelFlags

if TYPE_CHECKING:
    from counselsim.critic.validation.models import ValidationReport

# judge validate's own options (--rubric and --method are score's)
OutOpt = Annotated[
    Path,
    typer.Option("--out", help="Where validation.json goes (a run dir: its report shows it)."),
]
RepeatsOpt = Annotated[
    int,
    typer.Option("--repeats", min=1, max=50, help="Judgements per reply; item order reshuffled."),
]
HumanOpt = Annotated[
    Path | None,
    typer.Option("--human", help="Human labels of the set's replies (JSONL/CSV)."),
]
SetOpt = Annotated[
    Path | None,
    typer.Option("--set", help="Your own known-groups JSONL (default: the shipped set)."),
]
LanguageOpt = Annotated[
    Language | None, typer.Option("--language", help="Only this language of the set.")
]
LimitOpt = Annotated[int | None, typer.Option("--limit", min=1, help="Only the first N rows.")]
PerKindOpt = Annotated[
    int | None,
    typer.Option("--per-kind", min=1, help="Only the first N rows of each failure kind."),
]
ResamplesOpt = Annotated[int, typer.Option("--resamples", min=1000, help="Bootstrap resamples.")]
JudgeSeedOpt = Annotated[int, typer.Option("--seed", help="Judge and bootstrap seed.")]


@judge_app.command("validate")
@model_flags
def validate(
    out_dir: OutOpt,
    rubric: RubricOpt = "core",
    method: MethodOpt = ScoreMethod.GEVAL,
    repeats: RepeatsOpt = 1,
    human: HumanOpt = None,
    known_set: SetOpt = None,
    language: LanguageOpt = None,
    limit: LimitOpt = None,
    per_kind: PerKindOpt = None,
    resamples: ResamplesOpt = 2000,
    seed: JudgeSeedOpt = 0,
    *,
    flags: ModelFlags,
) -> None:
    """Known-groups accuracy, agreement with human labels and stability of a judge on a
    rubric; writes OUT/validation.json (the run report shows it when OUT is a run dir)."""
    from counselsim.runs import RunDir
    from counselsim.services.judge_validate import ValidateOptions, plan_validate
    from counselsim.services.judge_validate import validate as run_validate

    opts = ValidateOptions(
        out_dir, rubric, method, repeats, human, known_set, language, limit, per_kind=per_kind,
        resamples=resamples, seed=seed, model=flags,
    )  # fmt: skip
    job = plan_validate(opts)
    saved = f"the replies judged so far are in {out_dir / RunDir.VALIDATION_SCORES}"
    with resumable(lambda: saved), counted(f"judging on {job.rubric.name}", job.units) as done:
        result = asyncio.run(run_validate(job, on_done=done))
    print_report(result.report)
    out.print(str(result.path))


def print_report(report: ValidationReport) -> None:
    """The report's tables on stdout; its notes (fallbacks, what was not measured) on
    stderr."""
    from counselsim.critic.validation import tables as t

    blocks = (
        ("Known groups: good above bad (0.5 = chance)", t.KNOWN_GROUPS_HEAD, t.known_groups_rows),
        ("Known groups by failure kind", t.KINDS_HEAD, t.kind_rows),
        ("Agreement with human labels", t.AGREEMENT_HEAD, t.agreement_rows),
        ("Stability over repeats and item order", t.STABILITY_HEAD, t.stability_rows),
    )
    for title, head, rows in blocks:
        if body := rows(report):
            table = Table(title=f"{report.rubric} on {report.model}: {title}")
            for col in head:
                table.add_column(col)
            for row in body:
                table.add_row(*row)
            out.print(table)
    out.print(t.method_line(report))
    for note in report.notes:
        err.print(f"[yellow]{note}[/]")
