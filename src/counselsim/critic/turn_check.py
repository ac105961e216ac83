"""Reconstruction's turn checks: what a rewritten turn must not carry over from its source
(an identifier, a placeholder), what it must keep (the source counselor's direct question
about suicide or self-harm; a direct question after the client's risk cue), and the critic's
judgement of whether it is in role and consistent with the new profile.

All run on every attempt of every rewritten turn (one layer of the check-and-retry loop,
after the form checks). The source checks are deterministic and always run; the judge is
asked only when they passed (a leaking attempt is rewritten anyway), and is recorded as
skipped otherwise. A judge whose output stays invalid is recorded as ``judge_failed``.
A placeholder still in the kept turn is given a stand-in (:func:`fill_placeholders`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
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
PLACEHOLDER = re.compile(r"\[(?P<type>[A-Z_]+)_\d+\]")
SKIPPED_AFTER_SOURCE = "not asked: a source check already failed on this attempt"


class RefineFlag(StrEnum):
    """Reconstruction's reasons to rewrite a turn (recorded on the kept turn if they persist)."""

    LEAK = "source_leak"
    PLACEHOLDER = "placeholder"
    OUT_OF_ROLE = "out_of_role"
    INCONSISTENT = "inconsistent"
    SCRUBBED = "leak_scrubbed"  # the kept turn's identifiers were replaced by surrogates
    RISK_KEPT = "risk_question_lost"  # the source asked about suicide or self-harm, this does not
    SAFETY = "safety_protocol"  # the client's last turn carries a risk cue; this asks nothing
    FILLED = "placeholder_filled"  # the kept turn's placeholders were given stand-ins


# what the rewrite is told when a source check fails
SOURCE_PROBLEMS = {
    "en": {
        RefineFlag.LEAK: "it repeats a name, place or number from the original",
        RefineFlag.PLACEHOLDER: "it contains a placeholder like [NAME_1]",
        RefineFlag.RISK_KEPT: "the original asks directly about suicide or self-harm: the "
        "rewrite must ask that directly too",
        RefineFlag.SAFETY: "the client just hinted at suicide or self-harm: ask about it directly",
    },
    "zh": {
        RefineFlag.LEAK: "照搬了原文里的人名、地名或数字",
        RefineFlag.PLACEHOLDER: "含有[NAME_1]这样的占位符",
        RefineFlag.RISK_KEPT: "原文直接询问了自杀或自伤，改写也必须直接问到",
        RefineFlag.SAFETY: "来访者刚才流露了自杀或自伤的迹象，要直接询问",
    },
}
BLOCKING = {RefineFlag.RISK_KEPT, RefineFlag.SAFETY}
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


def rewrite_check(
    lang: str,
    leaks: Callable[[str], bool],
    judge: TurnJudge | None,
    protocol: Callable[[str], list[RefineFlag]] = lambda text: [],
) -> Check:
    """Reconstruction's layer of the check-and-retry loop.

    Args:
        lang: the language the source checks state their problems in.
        leaks: whether a text still holds an identifier of the source.
        judge: the critic's turn judgement (None: deterministic checks only).
        protocol: what a counselor rewrite fails of the safety protocol (``RISK_KEPT``,
            ``SAFETY``); such a failure outweighs any other when the attempt to keep is chosen.
    """
    said = SOURCE_PROBLEMS.get(lang, SOURCE_PROBLEMS["en"])

    async def check(text: str, attempt: int) -> Verdict:
        flags = [*source_flags(text, leaks), *protocol(text)]
        findings = [Finding(f.value, said[f], f in BLOCKING) for f in flags]
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


# what an unknown placeholder (one the rewrite invented) becomes: a plain word of its kind
_PLAIN = {
    "zh": {"NAME": "某人", "DATE": "那天", "ADDRESS": "某个地方", "SCHOOL": "某所学校"},
    "en": {"NAME": "someone", "DATE": "that day", "ADDRESS": "a place", "SCHOOL": "a school"},
}
_PLAIN_OTHER = {"zh": "某个信息", "en": "something"}


def fill_placeholders(text: str, stand_ins: Mapping[str, str], lang: str) -> str:
    """``text`` with every placeholder replaced: by the source identifier's surrogate (a
    realistic fake, ``stand_ins``), else by a plain word of its kind. A kept turn never
    holds a placeholder."""

    def fill(m: re.Match[str]) -> str:
        if m[0] in stand_ins:
            return stand_ins[m[0]]
        plain = _PLAIN.get(lang, _PLAIN["en"])
        return plain.get(m["type"], _PLAIN_OTHER.get(lang, _PLAIN_OTHER["en"]))

    return PLACEHOLDER.sub(fill, text)
