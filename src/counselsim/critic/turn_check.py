"""Reconstruction's turn checks: what a rewritten turn must not carry over from its source,
and the critic's judgement of whether it is in role and consistent with the new profile.

Both run on every attempt of every rewritten turn (one layer of the check-and-retry loop,
after the form checks). The source checks are deterministic and always run; the judge is
asked only when they passed (a leaking attempt is rewritten anyway), and is recorded as
skipped otherwise. A judge whose output stays invalid is recorded as ``judge_failed``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum

from counselsim.agents.base import AgentDeps
from counselsim.agents.views import spoken_text, window
from counselsim.config import Step
from counselsim.critic.verdict import Check, Finding, Verdict, decided, rejections, undecided
from counselsim.errors import StructuredOutputError
from counselsim.labels import Role
from counselsim.personas.models import ClientProfile
from counselsim.records import PrincipleCheck, Turn, TurnCheck

log = logging.getLogger(__name__)
PLACEHOLDER = re.compile(r"\[[A-Z_]+_\d+\]")
SKIPPED_AFTER_SOURCE = "not asked: a source check already failed on this attempt"


class RefineFlag(StrEnum):
    """Reconstruction's reasons to rewrite a turn (recorded on the kept turn if they persist)."""

    LEAK = "source_leak"
    PLACEHOLDER = "placeholder"
    OUT_OF_ROLE = "out_of_role"
    INCONSISTENT = "inconsistent"
    SCRUBBED = "leak_scrubbed"  # the kept turn's identifiers were replaced by surrogates


# what the rewrite is told when a source check fails
SOURCE_PROBLEMS = {
    "en": {
        RefineFlag.LEAK: "it repeats a name, place or number from the original",
        RefineFlag.PLACEHOLDER: "it contains a placeholder like [NAME_1]",
    },
    "zh": {
        RefineFlag.LEAK: "照搬了原文里的人名、地名或数字",
        RefineFlag.PLACEHOLDER: "含有[NAME_1]这样的占位符",
    },
}
# the judge's principles, and the flag each one's failure is recorded as
JUDGED = {"in_role": RefineFlag.OUT_OF_ROLE, "consistent": RefineFlag.INCONSISTENT}

TurnJudge = Callable[[str, int], Awaitable[list[PrincipleCheck]]]
"""``judge(text, attempt)``: the critic's verdict on one attempt, as principle checks."""


class TurnChecker:
    """The critic's per-turn judgement of a rewritten turn: in role, consistent with the
    profile and the conversation. It sees the target profile and the rewritten
    conversation, never the source."""

    def __init__(self, deps: AgentDeps, history_window: int = 8) -> None:
        self.deps = deps
        self.history_window = history_window

    def judge(
        self, profile: ClientProfile, rebuilt: Sequence[Turn], role: Role, seed: int
    ) -> TurnJudge:
        """This checker bound to the turn after ``rebuilt``."""

        async def run(text: str, attempt: int) -> list[PrincipleCheck]:
            return await self.check(profile, rebuilt, role, text, attempt, seed + attempt)

        return run

    async def check(
        self,
        profile: ClientProfile,
        rebuilt: Sequence[Turn],
        role: Role,
        text: str,
        attempt: int,
        seed: int,
    ) -> list[PrincipleCheck]:
        """Judge one rewritten turn (not yet appended to ``rebuilt``).

        A rejection must say what is wrong: the rewrite needs it, and a bare "false" is
        what a small judge answers to everything (measured on the 1.5B), so a verdict
        without a stated problem passes.
        """
        lang = profile.language.value
        prompt = self.deps.prompts.render(
            "critic",
            "turn_check",
            lang,
            profile=profile.model_dump(mode="json"),
            transcript=spoken_text(window(rebuilt, self.history_window), lang),
            role=role.value,
            text=text,
        )
        try:
            got = await self.deps.ask(prompt, TurnCheck, Step.TURN_CHECK, lang, seed)
        except StructuredOutputError as exc:
            log.warning("turn check failed: %s", exc.last_error)
            return undecided(list(JUDGED), "judge", attempt, "judge_failed", str(exc))
        problem = got.problem.strip()
        return [
            decided("in_role", "judge", attempt, "" if got.in_role else problem),
            decided("consistent", "judge", attempt, "" if got.consistent else problem),
        ]


def rewrite_check(lang: str, leaks: Callable[[str], bool], judge: TurnJudge | None) -> Check:
    """Reconstruction's layer of the check-and-retry loop.

    Args:
        lang: the language the source checks state their problems in.
        leaks: whether a text still holds an identifier of the source.
        judge: the critic's turn judgement (None: deterministic checks only).
    """
    said = SOURCE_PROBLEMS.get(lang, SOURCE_PROBLEMS["en"])

    async def check(text: str, attempt: int) -> Verdict:
        findings = [Finding(f.value, said[f]) for f in source_flags(text, leaks)]
        if judge is None:
            return Verdict(findings=findings)
        if findings:
            skipped = undecided(list(JUDGED), "judge", attempt, "skipped", SKIPPED_AFTER_SOURCE)
            return Verdict(findings=findings, checks=skipped)
        checks = await judge(text, attempt)
        judged = [Finding(JUDGED[f.flag].value, f.problem) for f in rejections(checks)]
        return Verdict(findings=judged, checks=checks)

    return check


def source_flags(text: str, leaks: Callable[[str], bool]) -> list[RefineFlag]:
    """What a rewritten turn carries over from its source: an identifier, a placeholder."""
    found = [RefineFlag.LEAK] if leaks(text) else []
    return found + ([RefineFlag.PLACEHOLDER] if PLACEHOLDER.search(text) else [])
