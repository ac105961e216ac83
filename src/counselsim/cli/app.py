"""The ``counselsim`` app: its sub-command groups, consoles, logging, the options every model
command shares, and :func:`main`, where every error becomes one line and an exit code."""

from __future__ import annotations

import functools
import inspect
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from counselsim.errors import CounselsimError
from counselsim.services.options import ModelFlags

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

err = Console(stderr=True)
out = Console()

# The options every command that runs a model takes (collected into a ModelFlags).
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="YAML config file.")]
PackagedOpt = Annotated[
    str | None,
    typer.Option("--packaged", help="Packaged GGUF (e.g. qwen2.5-coder-0.5b-instruct-q4_k_m)."),
]
ModelPathOpt = Annotated[
    Path | None, typer.Option("--model-path", help="Any GGUF file (llama.cpp).")
]
BaseUrlOpt = Annotated[
    str | None,
    typer.Option("--base-url", help="OpenAI-compatible server, e.g. vLLM's http://host:8000/v1."),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Model name on the server.")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Run seed.")]
_MODEL_FLAGS = {
    "config": ConfigOpt,
    "packaged": PackagedOpt,
    "model_path": ModelPathOpt,
    "base_url": BaseUrlOpt,
    "model": ModelOpt,
}


def model_flags(command: Callable[..., None]) -> Callable[..., None]:
    """Give ``command`` the model flags (``--config``, ``--packaged``, ``--model-path``,
    ``--base-url``, ``--model``) as its one ``flags: ModelFlags`` parameter.

    typer reads a command's options from its signature, so the command typer sees has the
    five options where ``flags`` stands (same place in ``--help``), and the command is called
    with them gathered into a :class:`~counselsim.services.options.ModelFlags`. Apply it under
    ``@app.command()``.
    """
    sig = inspect.signature(command, eval_str=True)
    params: list[inspect.Parameter] = []
    for p in sig.parameters.values():
        if p.name != "flags":
            params.append(p)
            continue
        params += [
            inspect.Parameter(name, p.kind, default=None, annotation=opt)
            for name, opt in _MODEL_FLAGS.items()
        ]

    @functools.wraps(command)
    def run(**kwargs: Any) -> None:
        flags = ModelFlags(**{name: kwargs.pop(name) for name in _MODEL_FLAGS})
        command(**kwargs, flags=flags)

    run.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in params}
    return run


class _Stderr(logging.StreamHandler[TextIO]):
    """Writes to whatever ``sys.stderr`` is at the time (test runners swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


_HANDLER = _Stderr()
_HANDLER.setFormatter(logging.Formatter("%(message)s"))


def configure_logging(verbose: bool) -> None:
    """counselsim's log on stderr, one line per message: warnings (a course that failed, a
    log repaired on open), and with ``verbose`` each step. Set once, for every command."""
    logger = logging.getLogger("counselsim")
    if _HANDLER not in logger.handlers:
        logger.addHandler(_HANDLER)
    logger.setLevel(logging.INFO if verbose else logging.WARNING)


@app.callback()
def root(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each step.")] = False,
) -> None:
    configure_logging(verbose)


@contextmanager
def progress_bars(*fields: ProgressColumn | str) -> Iterator[Callable[[], Progress]]:
    """A progress display on stderr that appears on first use (``show()``), so an error raised
    before any progress (a run directory that cannot be used) stays one line. Each bar shows
    its task's description, the bar, ``fields`` and the time elapsed."""
    head = (TextColumn("[bold]{task.description}"), BarColumn())
    bars = Progress(*head, *fields, TimeElapsedColumn(), console=err, transient=False)
    started = False

    def show() -> Progress:
        nonlocal started
        if not started:
            bars.start()
            started = True
        return bars

    try:
        yield show
    finally:
        if started:
            bars.stop()


@contextmanager
def counted(description: str, total: int) -> Iterator[Callable[[object], None]]:
    """A bar of ``total`` things to do, advanced by the callback it yields; shown from the
    first one done (see :func:`progress_bars`)."""
    with progress_bars("{task.completed}/{task.total}") as show:
        tasks: list[TaskID] = []

        def advance(_: object) -> None:
            bars = show()
            if not tasks:
                tasks.append(bars.add_task(description, total=total))
            bars.advance(tasks[0])

        yield advance


@contextmanager
def resumable(saved: Callable[[], str]) -> Iterator[None]:
    """Ctrl-C inside becomes exit 130 with a line saying what is saved (``saved()``) and
    that the same command resumes."""
    try:
        yield
    except KeyboardInterrupt:
        err.print(
            f"interrupted: {saved()}; rerun the same command to resume",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(130) from None


def main() -> None:
    """Entry point: user errors become one red line and exit 2, never a traceback.

    Usage errors (a bad or missing option) name the flag and exit 2: typer raises its own
    click exception classes, caught here through their base, ``typer.TyperException``.
    """
    try:
        # Without standalone mode click returns an Exit's code instead of exiting.
        code = app(standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except CounselsimError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        err.print("interrupted: what finished is saved; rerun the same command to resume")
        sys.exit(130)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.TyperException as exc:  # usage errors: --courses 0, a missing --out, ...
        message = escape(exc.format_message())
        err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        sys.exit(exc.exit_code)
    except Exception as exc:  # anything unforeseen: still one line
        logging.getLogger(__name__).debug("unexpected error", exc_info=True)
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}",
            highlight=False,
            soft_wrap=True,
        )
        sys.exit(1)
