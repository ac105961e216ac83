"""Check, say why, try again: the one loop every generated turn goes through.

A candidate is produced; every check (:class:`~counselsim.critic.verdict.Check`) runs on it,
whatever the others said; the failures are stated as reasons and the producer is called
again with them (hotter, new seed), at most ``max_regenerations`` times. The kept attempt is
the first that passes, else the one with the fewest failures, and it carries its flags and
every check of every attempt (a blocking failure, such as a missed safety protocol, outweighs
any number of others in that choice). ``simulate`` uses it for each spoken turn, ``reconstruct`` for
each rewritten turn.

It is a plain loop rather than a graph cycle: a retry needs nothing from the graph (no
checkpoint between attempts, no routing), the agents stay testable without LangGraph, and
one bound covers every check.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from counselsim.config import Sampling
from counselsim.critic.verdict import Check, Finding
from counselsim.records import PrincipleCheck

log = logging.getLogger(__name__)
R = TypeVar("R")


@dataclass(frozen=True)
class Rejected:
    """A rejected attempt, as told to the producer of the next one.

    Attributes:
        flags: the failures the regenerate prompt explains by name (the form checks).
        text: what the attempt said.
        problems: the failures stated in words (checklist principles, judges, source checks).
    """

    flags: list[str]
    text: str
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Checked:
    """The outcome for the kept attempt: attempts made, its flags, every check recorded."""

    attempts: int
    flags: list[str]
    checks: list[PrincipleCheck] = field(default_factory=list)

    @property
    def judge_failures(self) -> int:
        """Checks over all attempts whose judge gave no valid verdict."""
        return sum(c.status == "judge_failed" for c in self.checks)


def _rejected(findings: Sequence[Finding], text: str) -> Rejected:
    return Rejected(
        flags=[f.flag for f in findings if not f.problem],
        text=text,
        problems=list(dict.fromkeys(f.problem for f in findings if f.problem)),
    )


async def generate_checked(
    make: Callable[[int, Sampling, Rejected | None], Awaitable[R]],
    text_of: Callable[[R], str],
    checks: Sequence[Check],
    sampling: Sampling,
    max_regenerations: int,
) -> tuple[R, Checked]:
    """Generate a turn, regenerating while any check rejects it.

    Args:
        make: ``make(attempt, sampling, rejected)`` produces one candidate; ``rejected`` is
            None on the first attempt, then why the previous one was rejected.
        text_of: the spoken text of a candidate (what the checks see).
        checks: the critic's layers, run in order on every attempt.
        sampling: the step's sampling; each retry is 0.15 hotter (capped at 1.2).
        max_regenerations: retries after the first attempt.

    Returns:
        The kept candidate and its :class:`Checked`. After the last retry the candidate
        with the fewest blocking failures, then the fewest failures, is kept with its flags
        (ties: the earliest), so a long
        corpus run is not lost to one bad turn and the record says what was wrong.
    """
    best: tuple[R, list[str], tuple[int, int]] | None = None
    rejected: Rejected | None = None
    recorded: list[PrincipleCheck] = []
    attempts = 0
    for attempt in range(max_regenerations + 1):
        attempts += 1
        hotter = sampling.model_copy(
            update={"temperature": min(sampling.temperature + 0.15 * attempt, 1.2)}
        )
        out = await make(attempt, hotter, rejected)
        text = text_of(out)
        verdicts = [await check(text, attempt) for check in checks]
        findings = [f for v in verdicts for f in v.findings]
        recorded += [c for v in verdicts for c in v.checks]
        flags = [f.flag for f in findings]
        rejected = _rejected(findings, text)
        rank = (sum(f.blocking for f in findings), len(flags))
        if best is None or rank < best[2]:
            best = (out, flags, rank)
        if not flags:
            break
        log.info("turn rejected (%s), regenerating", ",".join(flags))
    assert best is not None
    checked = Checked(attempts=attempts, flags=best[1], checks=recorded)
    if checked.judge_failures:
        log.warning(
            "%d check(s) undecided: the judge gave no valid verdict", checked.judge_failures
        )
    return best[0], checked
