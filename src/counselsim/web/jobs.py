"""Turns that outlive the browser tab that started them.

A trainee's turn runs as a background task whose events are kept; any number of streams
follow it from the start (a reload, a second tab) and a closed tab does not cancel it, so
the client's reply is stored either way and the page finds it when it comes back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from functools import partial

from counselsim.practice.models import ErrorEvent, Event

log = logging.getLogger(__name__)


class Job:
    """One running turn (or wrap-up) and every event it produced so far."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self.done = False
        self._changed = asyncio.Condition()

    async def _keep(self, event: Event) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def run(self, events: AsyncIterator[Event]) -> None:
        """Consume ``events``, keeping each and waking the followers. An unforeseen error
        becomes an error event (the checkpoint still holds the session, so a retry resumes)."""
        try:
            async for event in events:
                await self._keep(event)
        except Exception as exc:  # the page must hear of it; the log keeps the traceback
            log.exception("practice turn failed")
            await self._keep(ErrorEvent(message=f"internal error: {type(exc).__name__}: {exc}"))
        finally:
            async with self._changed:
                self.done = True
                self._changed.notify_all()

    def _beyond(self, seen: int) -> bool:
        return self.done or len(self.events) > seen

    async def follow(self) -> AsyncIterator[Event]:
        """Every event from the first, then the new ones as they come, until the end."""
        seen = 0
        while True:
            async with self._changed:
                await self._changed.wait_for(partial(self._beyond, seen))
                batch, finished = self.events[seen:], self.done
            seen += len(batch)
            for event in batch:
                yield event
            if finished and seen == len(self.events):
                return


class Jobs:
    """The latest job per session; tasks are kept referenced until they finish."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, session_id: str, events: AsyncIterator[Event]) -> Job:
        """Run ``events`` in the background as the session's current job."""
        job = Job()
        task = asyncio.create_task(job.run(events))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        self._jobs[session_id] = job
        return job

    def running(self, session_id: str) -> Job | None:
        """The session's job if it has not finished."""
        job = self._jobs.get(session_id)
        return job if job is not None and not job.done else None

    async def close(self) -> None:
        """Cancel what still runs (server shutdown; the checkpoint keeps what was done)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
