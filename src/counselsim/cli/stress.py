"""``counselsim stress-test``: counselor models against the same difficult clients."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import MofNCompleteColumn, TaskID
from rich.table import Table

from counselsim import aio
from counselsim.cli.app import (
    SeedOpt,
    app,
    err,
    model_flags,
    out,
    progress_bars,
    resumable,
)
from counselsim.cli.run import ConcurrencyOpt, MaxTurnsOpt, OutOpt, SessionsOpt
from counselsim.services.options import ModelFlags

if TYPE_CHECKING:
    from counselsim.services.runner import GenerateStats
    from counselsim.services.stress import StressResult

CounselorOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--counselor",
        help="name=NAME,base_url=URL,model=MODEL[,system=FILE][,temperature=T]; repeatable. "
        "name=counselsim enters counselsim's own counselor agent.",
    ),
]
SuiteOpt = Annotated[Path | None, typer.Option("--suite", help="Suite YAML of counselors.")]
PersonasOpt = Annotated[
    str,
    typer.Option("--personas", help="Persona ids (a,b), library[:zh|:en], a file or a folder."),
]
ExcludeCrisisOpt = Annotated[
    bool, typer.Option("--exclude-crisis", help="Leave out the crisis personas.")
]
PerPersonaOpt = Annotated[
    int, typer.Option("--courses-per-persona", min=1, help="Courses per persona.")
]
RubricOpt = Annotated[str, typer.Option("--rubric", help="Session rubric of the judges.")]
RepeatsOpt = Annotated[
    int, typer.Option("--judge-repeats", min=1, help="Rubric judgements per session.")
]
ValidationOpt = Annotated[
    Path | None,
    typer.Option("--judge-validation", help="The judge's validation.json (judge validate)."),
]
ReplyCharsOpt = Annotated[
    int, typer.Option("--max-reply-chars", min=1, help="Longer replies are cut and flagged.")
]
TimeoutOpt = Annotated[
    float, typer.Option("--counselor-timeout", min=1, help="Seconds per counselor call.")
]


@app.command("stress-test")
@model_flags
def stress_test(
    personas: PersonasOpt,
    out_dir: OutOpt,
    counselor: CounselorOpt = None,
    suite: SuiteOpt = None,
    exclude_crisis: ExcludeCrisisOpt = False,
    courses_per_persona: PerPersonaOpt = 1,
    sessions: SessionsOpt = None,
    max_turns: MaxTurnsOpt = None,
    seed: SeedOpt = None,
    concurrency: ConcurrencyOpt = None,
    rubric: RubricOpt = "core",
    judge_repeats: RepeatsOpt = 2,
    judge_validation: ValidationOpt = None,
    max_reply_chars: ReplyCharsOpt = 4000,
    counselor_timeout: TimeoutOpt = 120.0,
    *,
    flags: ModelFlags,
) -> None:
    """Test counselor models on the same simulated clients; write DIR/report.json and .html.

    The client, note-taker and judges run on the simulation model (--base-url/--model, a
    GGUF, or the packaged default), never on a model under test. Exit 1 when some course
    failed (the report covers the rest); rerun the same command to finish only what is missing.
    """
    from counselsim.runs import RunDir
    from counselsim.services.compose import build_simulation
    from counselsim.services.stress import (
        StressOptions,
        build_entrants,
        check_endpoints,
        plan_stress,
    )
    from counselsim.stress.counselor import ReplyPolicy

    opts = StressOptions(
        personas, out_dir, tuple(counselor or ()), suite, exclude_crisis, courses_per_persona,
        sessions, max_turns, seed, concurrency, rubric, judge_repeats, judge_validation,
        ReplyPolicy(timeout_s=counselor_timeout, max_reply_chars=max_reply_chars),
        flags,
    )  # fmt: skip
    job = plan_stress(opts)  # validated before anything is loaded, asked or written
    with err.status("checking the counselor endpoints..."):
        check_endpoints(job)
    with err.status("loading model..."):
        sim = build_simulation(job.config)
    entrants = build_entrants(job, sim)
    with resumable(RunDir(out_dir).saved), _progress(len(job.personas) * courses_per_persona) as on:
        from counselsim.services.stress import stress_test as run

        result = aio.run(run(job, sim, entrants, on_change=on))
    _print(result)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@contextmanager
def _progress(courses: int) -> Iterator[Callable[[str, GenerateStats], None]]:
    """A bar of courses per counselor."""
    with progress_bars(MofNCompleteColumn(), "{task.fields[info]}") as show:
        tasks: dict[str, TaskID] = {}

        def on_change(name: str, st: GenerateStats) -> None:
            bars = show()
            if name not in tasks:
                tasks[name] = bars.add_task(name, total=courses, info="")
            info = f"failed {st.failed} · sessions {st.sessions}"
            bars.update(tasks[name], completed=st.skipped + st.done + st.failed, info=info)

        yield on_change


def _print(result: StressResult) -> None:
    table = Table(title=f"{result.out}/report.html")
    for col in ("#", "counselor", "sessions", "severe sessions", "rubric", "failed courses"):
        table.add_column(col)
    for c in result.report.counselors:
        severe = f"{c.severe.value:.2f}" if c.severe else "-"
        overall = f"{c.rubric.overall.value:.2f}" if c.rubric.overall else "-"
        row = (c.rank, c.name, c.sessions, severe, overall, c.courses_failed)
        table.add_row(*map(str, row))
    out.print(table)
    if result.stopped:
        err.print(f"[red]stopped:[/] {', '.join(result.stopped)} (see the report)")
    if result.failed:
        err.print(f"[red]failed:[/] {result.failed} course(s); rerun the same command to retry")
