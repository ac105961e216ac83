"""The stress test's judging: every counselor's sessions on one rubric, and counselors
compared pairwise on the same sessions.

Every counselor, counselsim's own agent included, is scored the same way: by the rubric judge
on the spoken transcript (never on a plan only one of them has), ``repeats`` times with the
item order reshuffled per repeat. The course graph's critic is that judge
(:class:`StressCritic`): a session is judged as soon as it ends, concurrently with the other
courses, its full score kept in the counselor's ``scores/<rubric>.jsonl`` and its first
repeat in the session record. Rerun, a session already judged with as many repeats is not
judged again.

Pairs of counselors are then compared on each session both finished (the same persona, course
and session), by the pairwise judge with the order shown swapped between its two repeats;
the comparisons go to ``OUT/scores/<rubric>.compare.jsonl`` and are not made again on rerun.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from counselsim.critic.compare import PairJudge
from counselsim.critic.judge import RubricJudge
from counselsim.critic.units import ScoreUnit
from counselsim.personas.models import ClientProfile
from counselsim.practice.judging import critic_report, session_unit
from counselsim.records import Comparison, CriticReport, RubricScore, SessionPlan, Turn
from counselsim.runs.rundir import ComparisonFile, ScoreFile

PAIR_REPEATS = 2  # once in each order


class Guarded:
    """A keyed score file written by concurrent courses: one write at a time (each write
    rewrites the file)."""

    def __init__(self, sink: ScoreFile) -> None:
        self.sink = sink
        self._lock = asyncio.Lock()

    def get(self, unit: str) -> RubricScore | None:
        """The stored score of ``unit``."""
        return self.sink.get(unit)

    async def put(self, score: RubricScore) -> None:
        """Store a score (replacing the unit's)."""
        async with self._lock:
            await asyncio.to_thread(self.sink.put, score)


@dataclass(frozen=True)
class StressCritic:
    """The course graph's critic in a stress test, for one course (see the module docstring).

    Args:
        judge: the rubric judge (on the simulation model).
        store: the counselor's ``scores/<rubric>.jsonl``.
        course_id: the course judged.
        repeats: judgements per session, the item order reshuffled for each.
        seed: the run seed (every counselor's session gets the same judge seeds).
    """

    judge: RubricJudge
    store: Guarded
    course_id: str
    repeats: int
    seed: int

    async def score(
        self,
        profile: ClientProfile,
        plan: SessionPlan | None,
        turns: Sequence[Turn],
        session_index: int,
        seed: int,
    ) -> CriticReport:
        """Judge the session (or take its stored score); its first repeat as the report."""
        unit = session_unit(profile, self.course_id, session_index, turns)
        old = self.store.get(unit.id)
        if old is not None and old.repeats == self.repeats and old.status != "failed":
            return critic_report(old, self.judge.rubric)
        score = await self.judge.score(unit, self.repeats, self.seed)
        await self.store.put(score)
        return critic_report(score, self.judge.rubric)


@dataclass(frozen=True)
class PairTask:
    """Two counselors' versions of one session, to compare."""

    a: ScoreUnit
    b: ScoreUnit


def pair_tasks(
    a: str, b: str, units_a: Sequence[ScoreUnit], units_b: Sequence[ScoreUnit]
) -> list[PairTask]:
    """The sessions both counselors finished, each side's unit id prefixed by its name."""
    theirs = {u.id: u for u in units_b}
    return [
        PairTask(replace(u, id=f"{a}/{u.id}"), replace(theirs[u.id], id=f"{b}/{u.id}"))
        for u in units_a
        if u.id in theirs
    ]


async def compare_all(
    judge: PairJudge,
    sink: ComparisonFile,
    tasks: Sequence[PairTask],
    concurrency: int,
    seed: int,
    on_done: Callable[[Comparison], None] | None = None,
) -> list[Comparison]:
    """Compare every task not already stored (concurrently, ``concurrency`` at a time);
    returns the comparisons of ``tasks``."""
    gate, lock = asyncio.Semaphore(max(1, concurrency)), asyncio.Lock()

    async def one(task: PairTask) -> None:
        old = sink.get((task.a.id, task.b.id))
        if old is not None and old.repeats == PAIR_REPEATS and old.status != "failed":
            return
        async with gate:
            comparison = await judge.compare(task.a, task.b, PAIR_REPEATS, seed)
        async with lock:
            await asyncio.to_thread(sink.put, comparison)
        if on_done is not None:
            on_done(comparison)

    await asyncio.gather(*(one(t) for t in tasks))
    return [c for t in tasks if (c := sink.get((t.a.id, t.b.id))) is not None]
