"""LangGraph checkpointers: SQLite in the run directory by default, Postgres for a DSN."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.output import write_atomic


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
    return JsonPlusSerializer(allowed_msgpack_modules=state_types())


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
    if dsn is None:
        async with aiosqlite.connect(str(out / "checkpoints.sqlite")) as db:
            yield AsyncSqliteSaver(db, serde=serializer())
        return
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
    secrets_in_dsn: set[str] = set()
    try:
        url_password = urlsplit(dsn).password or ""
        secrets_in_dsn |= {url_password, unquote(url_password)}
    except ValueError:
        pass

    def one_line(exc: BaseException) -> str:
        """psycopg's message on one line, the password masked (libpq can echo the DSN)."""
        text = " ".join(str(exc).split()) or type(exc).__name__
        for secret in sorted(secrets_in_dsn - {""}, key=len, reverse=True):
            text = text.replace(secret, "***")
        return text

    try:
        params = conninfo_to_dict(dsn)
    except psycopg.Error as exc:
        raise ConfigError(f"--checkpoint-dsn: {one_line(exc)}") from None
    secrets_in_dsn.add(str(params.get("password") or ""))
    schema_file = out / "checkpoints.pg"
    try:
        schema = schema_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        schema = f"counselsim_{secrets.token_hex(8)}"
        write_atomic(schema_file, schema + "\n")
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
