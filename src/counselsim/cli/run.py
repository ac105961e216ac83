"""Commands that run courses: ``simulate``, ``generate``, ``reconstruct``."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import MofNCompleteColumn, TaskID
from rich.table import Table

from counselsim import aio
from counselsim.cli.app import (
    ConfigOpt,
    ModelOpt,
    ModelPathOpt,
    PackagedOpt,
    SeedOpt,
    app,
    err,
    model_flags,
    out,
    progress_bars,
    resumable,
)
from counselsim.config import CheckMode
from counselsim.llm.serve import ServeEngine
from counselsim.services.options import Executor, ModelFlags

if TYPE_CHECKING:
    from counselsim.records import SessionRecord
    from counselsim.services.compose import Simulation
    from counselsim.services.course import Progress as CourseProgress
    from counselsim.services.generate import GenerateJob
    from counselsim.services.runner import GenerateStats

OutOpt = Annotated[Path, typer.Option("--out", help="Run directory (created; reruns resume).")]
SessionsOpt = Annotated[int | None, typer.Option("--sessions", help="Sessions per course.")]
MaxTurnsOpt = Annotated[
    int | None, typer.Option("--max-turns", help="Most counselor turns (exchanges) per session.")
]
ChecklistOpt = Annotated[
    CheckMode | None,
    typer.Option("--checklist", help="In-loop critic on every turn (default: rules)."),
]


@app.command()
@model_flags
def simulate(
    profile: Annotated[
        str,
        typer.Option("--profile", help="Client profile: a YAML/JSON file or a persona id."),
    ],
    out_dir: OutOpt,
    sessions: SessionsOpt = None,
    max_turns: MaxTurnsOpt = None,
    seed: SeedOpt = None,
    checklist: ChecklistOpt = None,
    *,
    flags: ModelFlags,
    n_threads: Annotated[int | None, typer.Option("--n-threads", help="llama.cpp threads.")] = None,
) -> None:
    """Simulate one multi-session counseling course and write DIR/sessions.jsonl.

    Model precedence: --base-url (server) > --model-path (GGUF) > packaged model (default).
    API keys are read from COUNSELSIM_API_KEY or OPENAI_API_KEY, never from flags.
    """
    from counselsim.services.compose import build_simulation
    from counselsim.services.simulate import SimulateOptions, simulate

    flags = replace(flags, n_threads=n_threads)
    opts = SimulateOptions(profile, out_dir, sessions, max_turns, seed, checklist, flags)
    from counselsim.runs import RunDir

    client, cfg = opts.load()  # validated before anything is loaded or written
    with err.status("loading model..."):
        sim = build_simulation(cfg)
    with resumable(RunDir(out_dir).saved), _course_progress(sim) as on_progress:
        result = aio.run(simulate(sim, client, out_dir, on_progress=on_progress))
    _print_sessions(result.records, out_dir)


@contextmanager
def _course_progress(sim: Simulation) -> Iterator[Callable[[CourseProgress], None]]:
    """A course bar and a session bar (turns), fed by the course's progress events."""
    n, cap = sim.config.sessions, sim.config.max_turns
    with progress_bars("{task.fields[step]}") as show:
        tasks: list[TaskID] = []

        def on_progress(p: CourseProgress) -> None:
            bars = show()
            if not tasks:
                tasks.append(bars.add_task(f"course of {n} sessions", total=n, step=""))
                tasks.append(bars.add_task("session 1", total=2 * cap - 1, step=""))
            course, session = tasks
            if p.node == "record_write":
                bars.update(course, completed=p.session_index - 1)
                if p.session_index <= n:
                    bars.reset(session, description=f"session {p.session_index}", step="")
                else:
                    bars.update(session, completed=2 * cap - 1, step="done")
            else:
                desc = f"session {p.session_index}"
                bars.update(session, completed=p.turns, description=desc, step=p.node)

        yield on_progress
        if tasks:
            show().update(tasks[0], completed=n)


def _print_sessions(records: list[SessionRecord], out_dir: Path) -> None:
    from counselsim.critic.tally import run_evidence

    table = Table(title=f"{out_dir}/sessions.jsonl")
    cols = ("session", "turns", "end", "stage", "critic total", "missed crisis", "role conf./100")
    for col in cols:
        table.add_column(col)
    for r in records:
        crit = "not scored"
        if r.critic.status == "scored":
            got = sum(s.score for s in r.critic.scores)
            top = sum(s.max for s in r.critic.scores)
            crit = f"{got:g}/{top:g}"
        stage = r.plan.stage.value if r.plan else "-"
        ev = run_evidence([r.evidence])
        table.add_row(
            str(r.session_index),
            str(len(r.turns)),
            r.end_reason.value,
            stage,
            crit,
            str(ev.missed_crisis) if r.evidence else "-",
            f"{ev.role_confusion_total:.1f}" if r.evidence else "-",
        )
    out.print(table)
    run = run_evidence(r.evidence for r in records)
    rates = ", ".join(f"{k} {v:.1f}" for k, v in run.role_confusion.items() if v)
    out.print(
        f"role confusion per 100 turns: {rates or 'none'}; missed crisis cues: {run.missed_crisis}"
    )


# generate's own options
ProfilesOpt = Annotated[
    str,
    typer.Option(
        "--profiles",
        help="Profile set: a folder, a profile file, persona ids (a,b), library[:zh|:en], "
        "or cactus:PATH (Cactus intake forms).",
    ),
]
CoursesOpt = Annotated[
    int | None, typer.Option("--courses", min=1, help="Courses (default: one per profile).")
]
ConcurrencyOpt = Annotated[
    int | None,
    typer.Option("--concurrency", min=1, help="Courses in flight (8 on a server, else 1)."),
]
BaseUrlsOpt = Annotated[
    list[str] | None,
    typer.Option("--base-url", help="OpenAI-compatible server (vLLM); repeat for replicas."),
]
ServeModelOpt = Annotated[
    str | None,
    typer.Option("--serve-model", help="Start a server for this model (HF name or a GGUF)."),
]
ServeEngineOpt = Annotated[
    ServeEngine | None,
    typer.Option("--serve-engine", help="Default: llama-cpp for a .gguf, else vllm."),
]
ServeReplicasOpt = Annotated[int, typer.Option("--serve-replicas", min=1, help="Servers to start.")]
ServePythonOpt = Annotated[
    str | None, typer.Option("--serve-python", help="Python with vLLM (default: this one).")
]
ServeArgOpt = Annotated[
    list[str] | None, typer.Option("--serve-arg", help="Extra server argument; repeatable.")
]
CheckpointDsnOpt = Annotated[
    str | None,
    typer.Option("--checkpoint-dsn", help="Postgres DSN for checkpoints (default: SQLite)."),
]
ChromaUrlOpt = Annotated[
    str | None,
    typer.Option("--chroma-url", help="Chroma server for client memory (default: DIR/memory)."),
]
ExecutorOpt = Annotated[
    Executor, typer.Option("--executor", help="local (this process) or ray (a cluster).")
]
RayAddressOpt = Annotated[
    str | None, typer.Option("--ray-address", help="Ray cluster (default: start one).")
]
ShardsOpt = Annotated[
    int | None,
    typer.Option(
        "--shards", min=1, help="Ray or --workers: shards (default: per endpoint / worker)."
    ),
]
WorkersOpt = Annotated[
    int,
    typer.Option(
        "--workers",
        min=1,
        help="Worker processes on this machine, a shard each (one process drives ~1 core).",
    ),
]


@app.command()
def generate(
    profiles: ProfilesOpt,
    out_dir: OutOpt,
    courses: CoursesOpt = None,
    sessions: SessionsOpt = None,
    max_turns: MaxTurnsOpt = None,
    concurrency: ConcurrencyOpt = None,
    seed: SeedOpt = None,
    checklist: ChecklistOpt = None,
    config: ConfigOpt = None,
    packaged: PackagedOpt = None,
    model_path: ModelPathOpt = None,
    base_url: BaseUrlsOpt = None,
    model: ModelOpt = None,
    serve_model: ServeModelOpt = None,
    serve_engine: ServeEngineOpt = None,
    serve_replicas: ServeReplicasOpt = 1,
    serve_python: ServePythonOpt = None,
    serve_arg: ServeArgOpt = None,
    checkpoint_dsn: CheckpointDsnOpt = None,
    chroma_url: ChromaUrlOpt = None,
    executor: ExecutorOpt = Executor.LOCAL,
    ray_address: RayAddressOpt = None,
    shards: ShardsOpt = None,
    workers: WorkersOpt = 1,
) -> None:
    """Generate many courses from a profile set, concurrently, into one resumable run.

    Writes DIR/sessions.jsonl (a line per session), DIR/courses.jsonl (a line per finished or
    failed course), DIR/run.json (the manifest) and DIR/summary.json. Rerun the same command
    after a crash to finish only what is missing.
    """
    from counselsim.services.generate import GenerateOptions, ServeOptions, plan_generate

    serve = None
    if serve_model is not None:
        engine = serve_engine.value if serve_engine else None
        serve = ServeOptions(
            serve_model, engine, serve_replicas, serve_python, tuple(serve_arg or ())
        )
    opts = GenerateOptions(
        profiles, out_dir, courses, sessions, max_turns, seed, checklist, concurrency,
        ModelFlags(config, packaged, model_path, None, model), tuple(base_url or ()), serve,
        checkpoint_dsn, chroma_url, executor, ray_address, shards, workers,
    )  # fmt: skip
    from counselsim.runs import RunDir

    job = plan_generate(opts)  # validated before anything starts or is written
    with resumable(RunDir(out_dir).saved):
        _generate(job)


def _generate(job: GenerateJob) -> None:
    from counselsim.services.generate import build_engines, run_job, served

    with contextlib.ExitStack() as stack:
        if job.options.serve is not None:
            with err.status(f"starting server(s) for {job.options.serve.model}..."):
                job = stack.enter_context(served(job))
            stack.callback(err.print, "stopping server(s)...")  # runs before they stop
            err.print(f"servers ready: {', '.join(job.endpoints)}", highlight=False)
        with err.status("loading model..."):
            sims = build_engines(job)
        with _generate_progress(job, sims) as on_change:
            summary = run_job(job, sims, on_change)
    out.print(
        f"{job.options.out}: {summary.done} courses done now, {summary.already_done} before, "
        f"{summary.failed} failed; {summary.sessions} sessions, {summary.turns} turns "
        f"in {summary.seconds} s ({summary.tokens_per_s} tok/s)",
        highlight=False,
        soft_wrap=True,
    )
    for problem in summary.shard_errors:
        err.print(f"[red]shard failed:[/] {problem}", highlight=False)
    for cause, count in summary.failures.items():
        err.print(
            f"[red]failed:[/] {count} course(s): {cause} (see courses.jsonl)", highlight=False
        )
    if summary.failed:
        raise typer.Exit(1)


@contextmanager
def _generate_progress(
    job: GenerateJob, sims: list[Simulation]
) -> Iterator[Callable[[GenerateStats], None]]:
    """A bar of courses with running, failed, sessions, turns and (local) tokens per second."""
    local = not job.options.sharded
    with progress_bars(MofNCompleteColumn(), "{task.fields[info]}") as show:
        tasks: list[TaskID] = []

        def on_change(st: GenerateStats) -> None:
            bars = show()
            if not tasks:
                tasks.append(bars.add_task("courses", total=job.courses, info=""))
            elapsed = max(time.monotonic() - st.started, 1e-6)
            rate = f" · {st.completion_tokens(sims) / elapsed:.1f} tok/s" if local else ""
            info = (
                f"running {st.running} · failed {st.failed} · sessions {st.sessions} · "
                f"turns {st.turns}{rate}"
            )
            bars.update(tasks[0], completed=st.skipped + st.done + st.failed, info=info)

        yield on_change


# reconstruct's own options
CorpusOpt = Annotated[
    Path, typer.Option("--corpus", help="Real dialogues: a file, a folder or hf:NAME[:SPLIT].")
]
TargetsOpt = Annotated[
    str,
    typer.Option(
        "--profiles",
        help="Target profiles: persona ids (a,b), a file, a folder, or library[:zh|:en].",
    ),
]
CorpusFormatOpt = Annotated[
    str, typer.Option("--format", help="Corpus format: an importer's, or 'dialogues' (imported).")
]
PerProfileOpt = Annotated[
    int, typer.Option("--per-profile", min=1, help="Source dialogues per profile.")
]
SourceTurnsOpt = Annotated[
    int, typer.Option("--max-source-turns", min=0, help="Keep a source's first turns (0 = all).")
]
CriticCheckOpt = Annotated[
    bool, typer.Option("--critic-check/--no-critic-check", help="Critic checks rewritten turns.")
]


@app.command()
@model_flags
def reconstruct(
    corpus: CorpusOpt,
    profiles: TargetsOpt,
    out_dir: OutOpt,
    fmt: CorpusFormatOpt = "transcript",
    per_profile: PerProfileOpt = 1,
    max_source_turns: SourceTurnsOpt = 0,
    critic_check: CriticCheckOpt = True,
    seed: SeedOpt = None,
    *,
    flags: ModelFlags,
) -> None:
    """Rewrite real dialogues under new profiles: Retrieve, Mask, Reconstruct, Refine.

    Writes DIR/sessions.jsonl in the same schema as simulate; reruns resume.
    """
    from counselsim.runs import RunDir
    from counselsim.services.compose import build_simulation
    from counselsim.services.reconstruct import (
        ReconstructOptions,
        plan_reconstruct,
        run_reconstruction,
    )

    opts = ReconstructOptions(
        corpus, profiles, out_dir, fmt, per_profile, max_source_turns, critic_check, seed, flags
    )
    job = plan_reconstruct(opts)
    for line in job.failures:
        err.print(f"[yellow]skipped:[/] {line}", highlight=False, soft_wrap=True)
    if not job.dialogues:
        raise typer.BadParameter(f"{corpus}: no readable dialogues", param_hint="--corpus")
    err.print(f"{len(job.dialogues)} dialogues read, {len(job.failures)} skipped; "
              f"{len(job.targets)} profiles")  # fmt: skip
    with err.status("loading model..."):
        sim = build_simulation(job.config)
    with resumable(RunDir(out_dir).saved), err.status("reconstructing...") as status:
        result = aio.run(
            run_reconstruction(
                sim, job.targets, job.dialogues, out_dir, per_profile=per_profile,
                max_source_turns=max_source_turns, critic_check=critic_check,
                on_done=lambda r: status.update(f"reconstructed {r.course_id}"),
            )
        )  # fmt: skip
    _print_sessions(result.records, out_dir)
    leaks = f"{result.leaky} of {len(result.leaks)} records"
    out.print(f"leak audit against the unmasked sources: {leaks}")
    if result.leaky:
        raise typer.Exit(1)
