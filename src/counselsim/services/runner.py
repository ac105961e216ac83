"""The course runner of ``generate``: a plan of courses, run with bounded concurrency over
one or more endpoints, each outcome logged in ``courses.jsonl``."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from counselsim.config import derive_seed
from counselsim.critic.tally import run_evidence
from counselsim.errors import ConfigError, CounselsimError, ModelUnavailableError, OutputError
from counselsim.personas.models import ClientProfile
from counselsim.records import EvidenceTally, SessionRecord
from counselsim.runs import CourseLog, CourseStatus, GenerateSummary
from counselsim.services.compose import Simulation
from counselsim.services.course import Workspace, run_course_in

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CoursePlan:
    """One course of a run: which profile, under which id and seed."""

    index: int
    course_id: str
    profile: ClientProfile
    seed: int


def plan_courses(profiles: Sequence[ClientProfile], n: int, run_seed: int) -> list[CoursePlan]:
    """``n`` courses cycling through ``profiles``, each with a seed derived from the run's."""
    return [
        CoursePlan(
            index=i,
            course_id=f"c{i:05d}-{profiles[i % len(profiles)].id}",
            profile=profiles[i % len(profiles)],
            seed=derive_seed(run_seed, "course", i),
        )
        for i in range(n)
    ]


CourseRunner = Callable[[Simulation, Workspace, CoursePlan], Awaitable[None]]
"""Runs (or resumes) one planned course on a simulation into a workspace."""


async def run_planned(sim: Simulation, ws: Workspace, plan: CoursePlan) -> None:
    """The default :data:`CourseRunner`: the course graph with counselsim's agents."""
    await run_course_in(sim, ws, plan.course_id, plan.profile, plan.seed)


@dataclass
class GenerateStats:
    """Live counters for the progress display and the final summary."""

    planned: int = 0
    skipped: int = 0  # already done before this invocation
    done: int = 0
    failed: int = 0
    running: int = 0
    sessions: int = 0
    turns: int = 0
    started: float = field(default_factory=time.monotonic)
    failures: dict[str, int] = field(default_factory=dict)  # cause (error type) -> courses
    evidence: list[EvidenceTally | None] = field(default_factory=list)  # per session

    def completion_tokens(self, sims: Sequence[Simulation]) -> int:
        """Tokens the engines generated so far (each model counted once)."""
        llms = {id(x): x for s in sims for x in s.llms()}
        return sum(x.usage.completion_tokens for x in llms.values())

    def summary(self, sims: Sequence[Simulation], repairs: Sequence[str] = ()) -> GenerateSummary:
        """The counters as the invocation's summary."""
        elapsed = time.monotonic() - self.started
        tokens = self.completion_tokens(sims)
        return GenerateSummary(
            planned=self.planned,
            already_done=self.skipped,
            done=self.done,
            failed=self.failed,
            failures=dict(sorted(self.failures.items())),
            sessions=self.sessions,
            turns=self.turns,
            seconds=round(elapsed, 1),
            completion_tokens=tokens,
            tokens_per_s=round(tokens / elapsed, 1) if elapsed > 0 else 0.0,
            courses_per_hour=round(3600 * self.done / elapsed, 1) if elapsed > 0 else 0.0,
            evidence=run_evidence(self.evidence),
            repairs=list(repairs),
        )


@contextmanager
def _fewer_collections() -> Iterator[None]:
    """Cyclic GC tuned for a run of many courses in flight, restored after it: what is
    loaded before the run (models, embedder, imports) is frozen out of collections, and the
    young generation is collected every 20,000 allocations instead of 700 (a full collection
    of hundreds of courses' objects was ~10 % of the driver's CPU at 256 in flight). Runs
    that overlap (a stress test runs one per counselor) share it: the first tunes, the last
    restores."""
    if _tuned["runs"] == 0:
        gc.freeze()  # no collection first: garbage frozen now is collected after unfreeze
        _tuned["before"] = gc.get_threshold()
        gc.set_threshold(20_000, 50, 100)
    _tuned["runs"] += 1
    try:
        yield
    finally:
        _tuned["runs"] -= 1
        if _tuned["runs"] == 0:
            gc.set_threshold(*_tuned["before"])
            gc.unfreeze()


_tuned: dict[str, Any] = {"runs": 0, "before": None}


def _cause(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}"[:300]


class Generator:
    """Runs course plans with bounded concurrency over one or more endpoints.

    Each ``Simulation`` in ``sims`` is one endpoint (replica); a course runs wholly on the
    endpoint that had the fewest running courses when it started, so its prompts share a
    prefix cache. A course that fails (its model calls failed after retries, its structured
    output stayed invalid after repairs, ...) is recorded with its cause and the run goes on;
    ``max_consecutive_failures`` in a row stops the run (an engine that is down). A course is
    recorded done only when all its sessions are stored. ``run_course`` runs one course
    (default :func:`run_planned`; the stress test plugs in its counselors).
    """

    def __init__(
        self,
        sims: Sequence[Simulation],
        courses: CourseLog,
        concurrency: int,
        max_consecutive_failures: int = 25,
        on_change: Callable[[GenerateStats], None] | None = None,
        run_course: CourseRunner = run_planned,
    ) -> None:
        if not sims:
            raise ConfigError("no engine to generate with")
        self.sims = list(sims)
        self.courses = courses
        self.concurrency = max(1, concurrency)
        self.max_consecutive_failures = max_consecutive_failures
        self.on_change = on_change
        self.run_course = run_course
        self.stats = GenerateStats()
        self._active = [0] * len(self.sims)
        self._consecutive = 0

    def _changed(self) -> None:
        if self.on_change is not None:
            self.on_change(self.stats)

    def on_record(self, record: SessionRecord) -> None:
        """Count a session just written."""
        self.stats.sessions += 1
        self.stats.turns += len(record.turns)
        self.stats.evidence.append(record.evidence)
        self._changed()

    async def run(self, plans: Sequence[CoursePlan], ws: Workspace) -> GenerateStats:
        """Run every plan not yet done; returns the counters (also kept in ``stats``)."""
        with _fewer_collections():
            return await self._run(plans, ws)

    async def _run(self, plans: Sequence[CoursePlan], ws: Workspace) -> GenerateStats:
        todo = [p for p in plans if not self.courses.done(p.course_id)]
        self.stats.planned = len(plans)
        self.stats.skipped = len(plans) - len(todo)
        self._changed()
        queue: asyncio.Queue[CoursePlan] = asyncio.Queue()
        for plan in todo:
            queue.put_nowait(plan)
        workers = [
            asyncio.create_task(self._worker(queue, ws))
            for _ in range(min(self.concurrency, len(todo)))
        ]
        try:
            await asyncio.gather(*workers)
        finally:
            for w in workers:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
        return self.stats

    async def _worker(self, queue: asyncio.Queue[CoursePlan], ws: Workspace) -> None:
        while not queue.empty():
            await self._run_one(queue.get_nowait(), ws)

    async def _run_one(self, plan: CoursePlan, ws: Workspace) -> None:
        slot = min(range(len(self.sims)), key=lambda i: self._active[i])
        sim = self.sims[slot]
        self._active[slot] += 1
        self.stats.running += 1
        self._changed()
        started = time.monotonic()
        status = CourseStatus(
            course_id=plan.course_id,
            index=plan.index,
            profile_id=plan.profile.id,
            seed=plan.seed,
            status="done",
        )
        try:
            await self.run_course(sim, ws, plan)
        except OutputError:
            raise  # the run directory itself is unusable: stop, nothing more can be kept
        except Exception as exc:  # recorded with its cause; the run goes on
            status.status, status.error = "failed", _cause(exc)
            log.warning("course %s failed: %s", plan.course_id, status.error)
            if not isinstance(exc, CounselsimError):
                log.debug("course %s: unexpected error", plan.course_id, exc_info=True)
        finally:
            self._active[slot] -= 1
            self.stats.running -= 1
        written = ws.sessions.sessions_of(plan.course_id)
        status.sessions, status.turns = len(written), sum(written.values())
        status.seconds = round(time.monotonic() - started, 2)
        if status.status == "done" and status.sessions < sim.config.sessions:
            status.status = "failed"
            status.error = (
                f"IncompleteCourse: {status.sessions} of {sim.config.sessions} sessions stored"
            )
        await asyncio.to_thread(self.courses.add, status)
        self._count(status)

    def _count(self, status: CourseStatus) -> None:
        if status.status == "done":
            self.stats.done += 1
            self._consecutive = 0
        else:
            self.stats.failed += 1
            kind = (status.error or "error").split(":", 1)[0]
            self.stats.failures[kind] = self.stats.failures.get(kind, 0) + 1
            self._consecutive += 1
        self._changed()
        if self._consecutive >= self.max_consecutive_failures:
            raise ModelUnavailableError(
                f"{self._consecutive} courses failed in a row (last: {status.error}); "
                "stopped. Finished courses are kept; rerun the same command to continue"
            )
