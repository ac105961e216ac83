"""The inline SQLite checkpointer commits the writes of concurrent courses together, on a
timer of the event loop; a commit that fails there is raised by the next write."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from langgraph.checkpoint.base import empty_checkpoint

from counselsim.checkpoints import InlineSqliteSaver, serializer


def rows(path: Path) -> int:
    """Checkpoints another connection sees (committed ones only)."""
    with sqlite3.connect(path) as other:
        return int(other.execute("SELECT COUNT(*) FROM checkpoints").fetchone()[0])


class FailingCommit:
    """A connection whose commits fail as on a full disk."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def commit(self) -> None:
        raise sqlite3.OperationalError("database or disk is full")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


async def put(saver: InlineSqliteSaver, thread: str) -> None:
    config: Any = {"configurable": {"thread_id": thread, "checkpoint_ns": ""}}
    await saver.aput(config, empty_checkpoint(), {}, {})


async def test_writes_are_committed_together_and_a_failed_commit_reaches_the_next_write(
    tmp_path: Path,
) -> None:
    path = tmp_path / "checkpoints.sqlite"
    conn = sqlite3.connect(path, check_same_thread=False)
    saver = InlineSqliteSaver(conn, serde=serializer())
    saver.setup()
    saver.commit_after_s = 0.02

    await put(saver, "a")
    await put(saver, "b")
    assert rows(path) == 0  # written, not yet committed
    await asyncio.sleep(0.1)
    assert rows(path) == 2  # one timed commit for both

    saver.conn = FailingCommit(conn)  # type: ignore[assignment]
    await put(saver, "c")
    await asyncio.sleep(0.1)  # the timed commit fails on the loop, quietly
    with pytest.raises(sqlite3.OperationalError, match="disk is full"):
        await put(saver, "d")  # and the next write, in its course, raises it
    saver.conn = conn
    await put(saver, "e")
    saver.flush()
    # c (left in the transaction the failing commit never ended) and e; d was refused
    assert rows(path) == 4
    conn.close()
