"""``counselsim practice``: one job, three ways to hold the session.

- the terminal (default): the trainee types, the client's reply streams in;
- a script (``--script FILE``: one trainee turn per line, ``/end`` to finish): for teachers
  and tests; a rerun resumes an interrupted session when the script's first turns match;
- the web page (``--web``): :mod:`counselsim.web`.

Every mode writes the same ``sessions.jsonl`` record and ``OUT/debrief.json``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from chromadb.api.types import Documents, EmbeddingFunction
from pydantic import ValidationError
from rich.console import Console

from counselsim.errors import ConfigError, PracticeError, field_error
from counselsim.personas.models import ClientProfile
from counselsim.practice.models import (
    MAX_TURN_CHARS,
    Debrief,
    Event,
    Formulation,
    SessionStatus,
)
from counselsim.practice.room import PracticeOptions, PracticeRoom
from counselsim.practice.session import PracticeSession
from counselsim.practice.terminal import Reader, Terminal, print_debrief
from counselsim.records import CounselorTurn
from counselsim.services.compose import Simulation

LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


@dataclass(frozen=True)
class Script:
    """A trainee's turns read from a file, and the closing words after ``/end``, if any."""

    turns: list[str]
    closing: str = ""


@dataclass(frozen=True)
class PracticeRequest:
    """What ``counselsim practice`` was asked to do."""

    out: Path
    profile: ClientProfile | None = None
    session: int | None = None
    options: PracticeOptions = field(default_factory=PracticeOptions)
    script: Path | None = None
    formulation: Path | None = None
    web: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None

    def check(self) -> None:
        """Flag combinations, before any model is loaded. Raises ConfigError."""
        if self.web and self.script:
            raise ConfigError("--web and --script do not go together: pick one")
        if not self.web and self.profile is None:
            raise ConfigError("--profile is required (or --web to pick a persona in the browser)")
        if self.web and self.host not in LOOPBACK and not self.token:
            raise ConfigError(f"--host {self.host} is reachable from other machines: give --token")
        if self.session is not None and self.session < 1:
            raise ConfigError("--session counts from 1")


def read_script(path: Path) -> Script:
    """The trainee's turns, one per line (blank lines skipped); ``/end [words]`` finishes.

    Raises:
        PracticeError: unreadable file, an unknown command, a line too long, no turns.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise PracticeError(f"{path}: cannot read the script: {exc}") from None
    turns: list[str] = []
    closing = ""
    for n, raw in enumerate(lines, 1):
        line = raw.strip()
        if line == "/end" or line.startswith("/end "):
            closing = _fit(line[4:].strip(), path, n)
            break
        if line.startswith("/"):
            raise PracticeError(f"{path}:{n}: unknown command {line.split()[0]} (only /end)")
        if line:
            turns.append(_fit(line, path, n))
    if not turns and not closing:
        raise PracticeError(f"{path}: no trainee turns in the script")
    return Script(turns, closing)


def _fit(line: str, path: Path, n: int) -> str:
    if len(line) > MAX_TURN_CHARS:
        raise PracticeError(
            f"{path}:{n}: a turn of {len(line)} characters (at most {MAX_TURN_CHARS})"
        )
    return line


def read_formulation(path: Path) -> Formulation:
    """A formulation file (YAML or JSON with the formulation's fields). Raises PracticeError."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return Formulation.model_validate(data)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise PracticeError(f"{path}: cannot read the formulation: {exc}") from None
    except ValidationError as exc:
        loc, msg = field_error(exc)
        raise PracticeError(f"{path}: invalid formulation field '{loc}': {msg}") from None


def bind_port(host: str, port: int) -> socket.socket:
    """The web page's listening socket, bound now so a busy port fails before models load.

    Raises:
        ConfigError: the port is in use or the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(
            f"cannot listen on {host}:{port} ({exc.strerror}): is it in use? try --port"
        ) from None
    return sock


async def play_script(
    session: PracticeSession, script: Script, formulation: Formulation | None
) -> Debrief:
    """Say the script's turns (after those already said, when resuming), end, debrief.

    Raises:
        PracticeError: the session holds other turns than the script's, or the client could
            not answer (rerun the same command to resume).
    """
    values, _ = await session.snapshot()
    said = [t.text for t in values.get("turns", []) if isinstance(t, CounselorTurn)]
    if said != script.turns[: len(said)]:
        raise PracticeError(
            f"session {session.session_index} already holds other trainee turns than the "
            "script's: use another --out or --session"
        )
    if await session.status() is SessionStatus.CLIENT_PENDING:
        await _expect_reply(session, await session.retry())
    for text in script.turns[len(said) :]:
        if await session.status() is not SessionStatus.AWAITING_TRAINEE:
            break  # the turn cap ended the session: the rest of the script is not said
        await _expect_reply(session, await session.say(text))
    async for event in await session.end(script.closing, formulation):
        if event.type == "error":
            raise PracticeError(f"{event.message} Rerun the same command to resume.")
    return await session.debrief()


async def _expect_reply(session: PracticeSession, events: AsyncIterator[Event]) -> None:
    async for event in events:
        if event.type == "error":
            raise PracticeError(f"{event.message} Rerun the same command to resume.")


async def practice(
    sim: Simulation,
    req: PracticeRequest,
    console: Console,
    read: Reader = input,
    embedder: EmbeddingFunction[Documents] | None = None,
    sock: socket.socket | None = None,
) -> Debrief | None:
    """Run the request on ``sim``'s models; the debrief of the session held (None for the
    web page, or a session left open)."""
    profiles = [req.profile] if req.profile else []
    try:
        async with PracticeRoom.open(
            sim, req.out, req.options, embedder, profiles=profiles
        ) as room:
            if req.web:
                from counselsim.web.server import serve

                assert sock is not None
                await serve(room, sock, req.token, console)
                return None
            assert req.profile is not None
            session = await room.start(req.profile, req.session)
            if req.script is None:
                return await Terminal(session, console, read).run()
            form = read_formulation(req.formulation) if req.formulation else None
            debrief = await play_script(session, read_script(req.script), form)
            print_debrief(console, debrief)
            return debrief
    finally:
        await sim.aclose()


def run_practice(
    req: PracticeRequest,
    load: Callable[[], Simulation],
    console: Console,
    read: Reader = input,
    embedder: EmbeddingFunction[Documents] | None = None,
) -> Debrief | None:
    """The ``counselsim practice`` job: check the request (and a script), bind the web port,
    then load the models (``load``) and run."""
    req.check()
    if req.script is not None:  # a bad script or formulation fails before the model loads
        read_script(req.script)
    if req.formulation is not None:
        read_formulation(req.formulation)
    sock = bind_port(req.host, req.port) if req.web else None
    try:
        sim = load()
        return asyncio.run(practice(sim, req, console, read, embedder, sock))
    finally:
        if sock is not None:
            sock.close()
