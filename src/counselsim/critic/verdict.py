"""What one check returns on one attempt of a turn: the reasons to try again, and the results
to record. Every layer of the in-loop critic (form checks, rules, the checklist judge, the
reconstruction checks) answers in this shape, so one loop can run them all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Literal

from counselsim.records import CheckStatus, PrincipleCheck


@dataclass(frozen=True)
class Finding:
    """One reason an attempt is rejected.

    Attributes:
        flag: the name recorded on the turn when the attempt is kept anyway (``echo``,
            ``checklist:one_question``, ``source_leak``...).
        problem: the reason as told to the model; empty for a flag the regenerate prompt
            explains itself (the form checks).
        blocking: a failure that outweighs any number of others when the loop picks which
            attempt to keep (a missed safety protocol: a safe reply with two questions beats
            an unsafe one with one).
    """

    flag: str
    problem: str = ""
    blocking: bool = False


@dataclass(frozen=True)
class Verdict:
    """One check's answer on one attempt.

    Attributes:
        findings: why the attempt must be tried again (none: it passed this check).
        checks: principle results to record on the turn, whatever the outcome.
    """

    findings: list[Finding] = field(default_factory=list)
    checks: list[PrincipleCheck] = field(default_factory=list)


Check = Callable[[str, int], Awaitable[Verdict]]
"""``check(text, attempt)``: one layer of the critic applied to one attempt of a turn."""


def rejections(
    checks: Sequence[PrincipleCheck], prefix: str = "", blocking: Collection[str] = ()
) -> list[Finding]:
    """A finding for every check that failed (blocking when its principle is in
    ``blocking``); undecided checks (``passed`` None) reject nothing, so a broken judge cannot
    make a turn regenerate forever."""
    return [
        Finding(prefix + c.principle, c.problem, c.principle in blocking)
        for c in checks
        if c.passed is False
    ]


def decided(
    principle: str, method: Literal["rule", "judge"], attempt: int, problem: str
) -> PrincipleCheck:
    """A decided principle: passed unless a problem is given."""
    return PrincipleCheck(
        principle=principle, method=method, attempt=attempt, passed=not problem, problem=problem
    )


def undecided(
    principles: Sequence[str],
    method: Literal["rule", "judge"],
    attempt: int,
    status: CheckStatus,
    why: str,
) -> list[PrincipleCheck]:
    """Principles that were not decided on this attempt (``judge_failed`` or ``skipped``),
    recorded so the record shows what was never checked and why."""
    return [
        PrincipleCheck(
            principle=p, method=method, attempt=attempt, passed=None, problem=why, status=status
        )
        for p in principles
    ]
