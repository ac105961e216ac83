"""The Postgres checkpointer (``generate --checkpoint-dsn``).

Whole runs need a server: set ``COUNSELSIM_TEST_PG_DSN`` (e.g.
``postgresql://USER:PASS@127.0.0.1:5432/counselsim``, a role with CREATE on the database)
with the ``postgres`` extra installed. The error paths run always: without the extra they
check the install hint instead."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from counselsim.checkpoints import open_checkpointer
from counselsim.config import load_config
from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.runs import RunDir
from counselsim.services.compose import build_simulation
from counselsim.services.generate import generate
from counselsim.services.profiles import load_profile_set
from tests.support.simserver import SimServer

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

HAVE_DRIVER = importlib.util.find_spec("langgraph.checkpoint.postgres") is not None
DSN = os.environ.get("COUNSELSIM_TEST_PG_DSN")
needs_server = pytest.mark.skipif(
    not (DSN and HAVE_DRIVER),
    reason="set COUNSELSIM_TEST_PG_DSN and install counselsim[postgres]",
)
SECRET = "pw-Sup3r-s3cret"


def sims_for(url: str) -> list[Any]:
    over = {"sessions": 2, "max_turns": 2, "seed": 5, "model": {"base_url": url, "model": "sim"}}
    return [build_simulation(load_config(overrides=over))]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def expect_error(tmp_path: Path, dsn: str, kind: type[Exception], match: str) -> str:
    """Open the checkpointer on ``dsn``; it must raise ``kind`` (or, without the driver,
    the install hint) and never show the password."""
    with pytest.raises(ConfigError if not HAVE_DRIVER else kind) as info:
        async with open_checkpointer(tmp_path, dsn):
            pytest.fail("opened a checkpointer on a bad DSN")
    message = str(info.value)
    assert SECRET not in message and "\n" not in message
    assert ("counselsim[postgres]" if not HAVE_DRIVER else match) in message
    return message


async def test_unreachable_database_is_a_one_line_error_without_the_password(tmp_path):
    dsn = f"postgresql://counselsim:{SECRET}@127.0.0.1:{closed_port()}/counselsim"
    await expect_error(tmp_path, dsn, ModelUnavailableError, "checkpoint database unreachable")


async def test_malformed_dsn_is_a_config_error_without_the_password(tmp_path):
    # libpq quotes the text it cannot parse, here the whole DSN: the password is masked
    message = await expect_error(
        tmp_path, f"mysql://u:{SECRET}@h/db", ConfigError, "--checkpoint-dsn"
    )
    if HAVE_DRIVER:
        assert "mysql://u:***@h/db" in message
    await expect_error(tmp_path, f"host=h password={SECRET} user u", ConfigError, "missing")


@pytest.mark.parametrize(
    ("dsn", "shown"),
    [
        ("postgresql://u:p@h/db", "postgresql://u:***@h/db"),
        ("postgres://user:p%40ss@h:5432/db?sslmode=require", "postgres://user:***@h:5432/db"),
        ("host=h password=p user=u", "host=h password=*** user=u"),
        ("host=h password='p q' user=u", "host=h password=*** user=u"),
    ],
)
def test_a_short_password_is_masked_by_parsing_not_by_replacing_its_letters(dsn, shown):
    from counselsim.checkpoints import redact_dsn

    text = f'invalid connection option in "{dsn}": please check the port'
    masked = redact_dsn(text, dsn)
    assert shown in masked
    assert "please check the port" in masked  # the letter p is left alone elsewhere
    assert "u:p@" not in masked and "password=p " not in masked and "'p q'" not in masked


async def test_a_one_letter_password_leaves_the_message_readable(tmp_path):
    dsn = f"postgresql://u:p@127.0.0.1:{closed_port()}/db"
    with pytest.raises(ModelUnavailableError if HAVE_DRIVER else ConfigError) as info:
        async with open_checkpointer(tmp_path, dsn):
            pytest.fail("opened a checkpointer on a closed port")
    message = str(info.value)
    assert "***" not in message.replace("u:***@", "")  # no stray masks: "p" is not hidden
    assert "u:p@" not in message
    if HAVE_DRIVER:
        assert "checkpoint database unreachable" in message and "port" in message


# --- against a real server -----------------------------------------------------------------


@pytest.fixture
def schemas() -> Iterator[list[Path]]:
    """Run directories whose checkpoint schemas are dropped after the test."""
    dirs: list[Path] = []
    yield dirs
    import psycopg
    from psycopg import sql

    assert DSN is not None
    with psycopg.connect(DSN, autocommit=True) as conn:
        for d in dirs:
            if (d / "checkpoints.pg").exists():
                schema = (d / "checkpoints.pg").read_text(encoding="utf-8").strip()
                conn.execute(
                    sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema))
                )


def checkpoint_rows(out: Path) -> dict[str, int]:
    """Checkpoints per thread in ``out``'s schema."""
    import psycopg
    from psycopg import sql

    assert DSN is not None
    schema = (out / "checkpoints.pg").read_text(encoding="utf-8").strip()
    with psycopg.connect(DSN) as conn:
        rows = conn.execute(
            sql.SQL("SELECT thread_id, count(*) FROM {}.checkpoints GROUP BY thread_id").format(
                sql.Identifier(schema)
            )
        ).fetchall()
    return {str(t): int(n) for t, n in rows}


@needs_server
async def test_generate_checkpoints_in_postgres_and_resumes(tmp_path, schemas):
    assert DSN is not None
    profiles = load_profile_set("en-help-rejecting,zh-grief", tmp_path)
    out, other = tmp_path / "run", tmp_path / "other"
    schemas += [out, other]
    with SimServer(seed=1, capacity=2) as server:
        sims = sims_for(server.base_url)
        summary = await generate(
            sims, profiles, "x", 3, out, 2, embedder=HashingEmbedding(), checkpoint_dsn=DSN
        )
        assert summary.done == 3 and summary.failed == 0
        statuses = lines(out / RunDir.COURSES)
        assert all(s["status"] == "done" and s["sessions"] == 2 for s in statuses)
        keys = Counter((r["course_id"], r["session_index"]) for r in lines(out / RunDir.SESSIONS))
        assert len(keys) == 6 and max(keys.values()) == 1
        assert not (out / "checkpoints.sqlite").exists()
        rows = checkpoint_rows(out)
        assert sorted(rows) == sorted(s["course_id"] for s in statuses)
        assert all(n > 0 for n in rows.values())

        # the same command again: nothing left to do, not one request
        sent = server.stats.requests
        again = await generate(
            sims, profiles, "x", 3, out, 2, embedder=HashingEmbedding(), checkpoint_dsn=DSN
        )
        assert again.done == 0 and again.already_done == 3
        assert server.stats.requests == sent
        assert checkpoint_rows(out) == rows

        # another run directory on the same database runs its own courses: the checkpoint
        # threads (keyed by course id) of the first run are not taken for this one's
        fresh = await generate(
            sims, profiles, "x", 3, other, 2, embedder=HashingEmbedding(), checkpoint_dsn=DSN
        )
        assert fresh["done"] == 3 and server.stats.requests > sent
        assert len(lines(other / RunDir.SESSIONS)) == 6
        assert checkpoint_rows(other).keys() == rows.keys()


@needs_server
async def test_errors_of_the_run_are_not_taken_for_the_database(tmp_path, schemas):
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    assert DSN is not None
    schemas.append(tmp_path)
    with pytest.raises(OSError, match="disk full"):
        async with open_checkpointer(tmp_path, DSN):
            raise OSError("disk full")
    password = str(conninfo_to_dict(DSN).get("password") or "")
    with pytest.raises(ModelUnavailableError, match="connection lost") as info:
        async with open_checkpointer(tmp_path, DSN):
            raise psycopg.OperationalError(f"server closed the connection ({password})")
    assert not password or password not in str(info.value)
