"""LangGraph checkpointers: SQLite in the run directory by default, Postgres for a DSN."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import sqlite3
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, closing, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import ormsgpack
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.serde import jsonplus
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver
from pydantic import BaseModel

from counselsim.errors import ConfigError, ModelUnavailableError, OutputError
from counselsim.runs import RunDir
from counselsim.runs.files import cannot_write, write_atomic


def state_types() -> list[type]:
    """Every record and label type a course's state holds: the checkpoint serializer's
    allowlist (LangGraph warns about, and will refuse, types it was not told about)."""
    from enum import Enum
    from inspect import getmembers, isclass

    from pydantic import BaseModel

    from counselsim import labels, records
    from counselsim.personas import models

    return [
        cls
        for mod in (labels, records, models)
        for _, cls in getmembers(mod, isclass)
        if cls.__module__ == mod.__name__ and issubclass(cls, (BaseModel, Enum))
    ]


def serializer() -> JsonPlusSerializer:
    return _StateSerializer(allowed_msgpack_modules=state_types())


class _StateSerializer(JsonPlusSerializer):
    """LangGraph's serializer, with counselsim's records encoded in one step: in LangGraph's
    own format for a pydantic model (module, class, fields; read back by ``cls(**fields)``),
    its fields dumped as JSON values (enums as their values) by pydantic at once, rather than
    each enum and nested model going through LangGraph's chain of type checks (~140
    ``isinstance`` calls per model call, counted once with cProfile). Every other
    value goes to LangGraph's own encoder; a test reads records back through both serializers.
    """

    def dumps_typed(self, obj: Any) -> tuple[str, bytes]:
        if obj is None or isinstance(obj, (bytes, bytearray)):
            return super().dumps_typed(obj)
        return "msgpack", ormsgpack.packb(obj, default=_encode, option=jsonplus._option)


def _encode(obj: Any) -> Any:
    if isinstance(obj, BaseModel) and type(obj).__module__.startswith("counselsim."):
        fields = (
            type(obj).__module__,
            type(obj).__name__,
            obj.model_dump(mode="json"),
            "model_validate_json",
        )
        return ormsgpack.Ext(jsonplus.EXT_PYDANTIC_V2, ormsgpack.packb(fields))
    return jsonplus._msgpack_default(obj)


@asynccontextmanager
async def open_checkpointer(
    out: Path, dsn: str | None = None
) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """LangGraph's SQLite checkpointer in ``out/checkpoints.sqlite``, or Postgres for a DSN.

    In Postgres each run directory gets a schema of its own (a random name kept in
    ``out/checkpoints.pg``), as each gets its own SQLite file: threads are keyed by course
    id alone, so two runs sharing one database would otherwise see each other's courses as
    finished. The role needs CREATE on the database.

    Raises:
        ConfigError: no Postgres driver installed, or a malformed DSN or missing privilege.
        ModelUnavailableError: the database cannot be reached or logged into, or the
            connection was lost during the run. Messages never carry the DSN's password.
    """
    run = RunDir(out)
    if dsn is None:
        async with _sqlite(run.checkpoints_file) as saver:
            yield saver
        return
    async with _postgres(run.checkpoints_pg_file, dsn) as pg:
        yield pg


class InlineSqliteSaver(SqliteSaver):
    """LangGraph's SQLite checkpointer, its async API run inline on the event loop.

    ``AsyncSqliteSaver`` sends every statement to one aiosqlite thread and holds a lock
    across the hand-offs, each of which waits for the (busy) event loop: with 64 courses in
    flight a write of a few hundred microseconds queued for tens of milliseconds, and every
    course start and end waited for several (``benchmarks/README.md``, cut 6). Run inline,
    a write costs the loop only that work. Same tables and file as ``AsyncSqliteSaver``:
    run directories are read by either.

    On an event loop, writes are committed together at most :attr:`commit_after_s` later
    (one commit for the many checkpoints of concurrent courses; each was one commit, a
    tenth of a millisecond of the loop, timed once with cProfile). A crash may lose those
    last checkpoints, as it may with ``synchronous=NORMAL``: the run regenerates their steps
    on resume; what a run has produced is in ``sessions.jsonl``. :meth:`flush` commits now
    (the run's end does).
    """

    commit_after_s = 0.05

    def __init__(self, conn: sqlite3.Connection, serde: JsonPlusSerializer) -> None:
        super().__init__(conn, serde=serde)
        self._commit: asyncio.TimerHandle | None = None
        self._failed: sqlite3.Error | None = None  # a timed commit's error, for the next write

    @contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[sqlite3.Cursor]:
        with self.lock:
            if self._failed is not None:
                failed, self._failed = self._failed, None
                raise failed
            self.setup()
            cur = self.conn.cursor()
            try:
                yield cur
            finally:
                if transaction:
                    self._commit_soon()
                cur.close()

    def _commit_soon(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # called from a thread or outside a run: commit now
            self.conn.commit()
            return
        if self._commit is None:
            self._commit = loop.call_later(self.commit_after_s, self._timed_commit)

    def _timed_commit(self) -> None:
        try:
            self.flush()
        except sqlite3.Error as exc:  # a full disk: the next write raises it, in its course
            self._failed = exc

    def flush(self) -> None:
        """Commit what is written (a pending timed commit is then not needed)."""
        with self.lock:
            if self._commit is not None:
                self._commit.cancel()
                self._commit = None
            self.conn.commit()

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return self.get_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        for item in self.list(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return self.put(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self.put_writes(config, writes, task_id, task_path)

    async def adelete_thread(self, thread_id: str) -> None:
        self.delete_thread(thread_id)


@asynccontextmanager
async def _sqlite(path: Path) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    """The SQLite checkpointer, set up now: a file that is not a checkpoint database, or one
    that cannot be written, is named in one line before any course starts."""
    try:
        conn = sqlite3.connect(str(path), check_same_thread=False)
    except sqlite3.OperationalError as exc:  # a missing or unreadable folder
        raise OutputError(f"{path}: cannot open the checkpoint database: {exc}") from None
    with closing(conn):
        try:
            saver = InlineSqliteSaver(conn, serde=serializer())
            saver.setup()  # WAL
            # No fsync per commit (WAL stays consistent; a power cut may lose the last
            # checkpoints, never corrupt them): checkpoints only save work on resume, and
            # what a run has produced is in sessions.jsonl, which is fsync'd line by line.
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.OperationalError as exc:  # a read-only file or folder, a full disk
            raise OutputError(f"{path}: cannot open the checkpoint database: {exc}") from None
        except sqlite3.DatabaseError as exc:
            raise OutputError(
                f"{path}: not a checkpoint database ({exc}); move it away to run the "
                "unfinished courses from their start"
            ) from None
        try:
            yield saver
        finally:
            try:
                saver.flush()
            except sqlite3.Error as exc:
                raise OutputError(f"{path}: cannot write the checkpoint database: {exc}") from None


def redact_dsn(text: str, dsn: str) -> str:
    """``text`` with the DSN's password replaced by ``***``, found by parsing the DSN (a URL
    or ``key=value`` pairs), never by replacing every occurrence of a short string: a
    one-letter password must not turn every such letter into ``***``."""
    redacted = _URL_PASSWORD.sub(r"\1***\2", dsn)
    redacted = _KV_PASSWORD.sub(r"\1***", redacted)
    text = text.replace(dsn, redacted)
    text = _URL_PASSWORD.sub(r"\1***\2", text)
    text = _KV_PASSWORD.sub(r"\1***", text)
    try:
        password = urlsplit(dsn).password or ""
    except ValueError:
        password = ""
    for secret in {password, unquote(password)}:
        if len(secret) >= _MIN_BARE_SECRET:  # long enough not to match ordinary words
            text = text.replace(secret, "***")
    return text


_URL_PASSWORD = re.compile(r"(\w+://[^:/@\s]*:)[^@\s]*(@)")
_KV_PASSWORD = re.compile(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s'\"]+)", re.IGNORECASE)
_MIN_BARE_SECRET = 8


@asynccontextmanager
async def _postgres(schema_file: Path, dsn: str) -> AsyncIterator[BaseCheckpointSaver[Any]]:
    try:
        import psycopg
        from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
        from psycopg import sql
        from psycopg.conninfo import conninfo_to_dict
        from psycopg.rows import dict_row
    except ImportError:
        raise ConfigError(
            "a Postgres checkpointer needs: pip install 'counselsim[postgres]'"
        ) from None

    def one_line(exc: BaseException) -> str:
        """psycopg's message on one line, the password masked (libpq can echo the DSN)."""
        return redact_dsn(" ".join(str(exc).split()) or type(exc).__name__, dsn)

    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise ConfigError(f"--checkpoint-dsn: {one_line(exc)}") from None
    try:
        schema = schema_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        schema = f"counselsim_{secrets.token_hex(8)}"
        try:
            write_atomic(schema_file, schema + "\n")
        except OSError as exc:
            raise cannot_write(schema_file, exc) from None
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", schema):
        raise ConfigError(f"{schema_file}: not a schema name: {schema[:80]!r}")
    options = str(params.get("options") or os.environ.get("PGOPTIONS", ""))
    options = f"{options} -c search_path={schema}".strip()
    try:
        conn = await psycopg.AsyncConnection.connect(
            dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row, options=options
        )
    except psycopg.OperationalError as exc:
        raise ModelUnavailableError(f"checkpoint database unreachable: {one_line(exc)}") from None
    except psycopg.Error as exc:
        raise ConfigError(f"--checkpoint-dsn: {one_line(exc)}") from None
    async with conn:
        try:
            await conn.execute(
                sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema))
            )
            cur = await conn.execute("SELECT current_schema() AS s")
            row = await cur.fetchone()
            if row is None or row["s"] != schema:  # e.g. a pooler that drops `options`
                raise ConfigError(
                    f"checkpoint database: search_path did not take schema {schema} "
                    "(connect to Postgres directly, not through a pooler that drops options)"
                )
            pg = AsyncPostgresSaver(conn=conn, serde=serializer())
            await pg.setup()
        except psycopg.OperationalError as exc:
            raise ModelUnavailableError(
                f"checkpoint database unreachable: {one_line(exc)}"
            ) from None
        except psycopg.Error as exc:
            raise ConfigError(
                f"checkpoint database: cannot set up schema {schema}: {one_line(exc)}"
            ) from None
        try:
            yield pg
        except psycopg.OperationalError as exc:
            raise ModelUnavailableError(
                f"checkpoint database connection lost: {one_line(exc)}; "
                "rerun the same command to continue"
            ) from None
