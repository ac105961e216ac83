"""What every agent is built from, and the check-and-regenerate loop for spoken turns."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar, cast

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from counselsim.agents.guard import check_turn, clean_spoken
from counselsim.config import Sampling, Step
from counselsim.labels import Role
from counselsim.llm.structured import LLM
from counselsim.prompts import PromptLibrary, RenderedPrompt
from counselsim.records import PrincipleCheck, Turn

log = logging.getLogger(__name__)
R = TypeVar("R")
M = TypeVar("M", bound=BaseModel)


class Spoken(Protocol):
    """A step output that carries a spoken ``reply``."""

    @property
    def reply(self) -> str: ...


S = TypeVar("S", bound=Spoken)


@dataclass(frozen=True)
class AgentDeps:
    """An agent's collaborators, injected by the composition root."""

    llm: LLM
    prompts: PromptLibrary
    sampling: dict[Step, Sampling]
    max_regenerations: int = 2

    async def ask(
        self,
        prompt: RenderedPrompt,
        schema: type[M],
        step: Step,
        lang: str,
        seed: int,
        sampling: Sampling | None = None,
        feedback: str | None = None,
    ) -> M:
        """One structured step with this agent's model, step sampling and repair prompt."""
        return await self.llm.structured(
            messages(prompt, feedback),
            schema,
            sampling or self.sampling[step],
            seed,
            step.value,
            self.repair_prompt(lang),
        )

    def regenerate_feedback(
        self, lang: str, flags: Sequence[str], previous: str, problems: Sequence[str] = ()
    ) -> str:
        """Tells the model why its last spoken attempt was rejected: the failed form checks
        (``flags``) and the checklist problems the in-loop critic stated."""
        return self.prompts.render(
            "common",
            "regenerate",
            lang,
            flags=list(flags),
            previous=previous,
            problems=list(problems),
        ).user

    def repair_prompt(self, lang: str) -> str:
        """The re-ask sent after an invalid structured output (``{error}`` filled later)."""
        return self.prompts.render("common", "repair", lang, error="{error}").user


def messages(prompt: RenderedPrompt, feedback: str | None = None) -> list[BaseMessage]:
    """System block, then the user block (transcript first, instruction last: the order a
    prefix cache reuses), then any feedback on a rejected attempt."""
    out: list[BaseMessage] = [SystemMessage(content=prompt.system), HumanMessage(prompt.user)]
    if feedback:
        out.append(HumanMessage(content=feedback))
    return out


@dataclass(frozen=True)
class Rejected:
    """A spoken attempt the checks rejected: why, and what it said."""

    flags: list[str]
    text: str
    problems: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Checked:
    """A spoken output kept after the turn checks, with every checklist result."""

    attempts: int
    flags: list[str]
    checks: list[PrincipleCheck] = field(default_factory=list)


Review = Callable[[str, int], Awaitable[list[PrincipleCheck]]]
"""The in-loop critic: ``review(text, attempt)`` checks one attempt against a checklist."""


async def generate_checked(
    make: Callable[[int, Sampling, Rejected | None], Awaitable[R]],
    text_of: Callable[[R], str],
    role: Role,
    history: Sequence[Turn],
    sampling: Sampling,
    max_regenerations: int,
    private: Sequence[str] = (),
    review: Review | None = None,
) -> tuple[R, Checked]:
    """Generate a turn, regenerating (hotter, new seed) while it fails a check.

    ``make(attempt, sampling, rejected)`` produces one candidate; ``rejected`` is None on the
    first attempt, then the previous attempt's flags, text and checklist problems, for the
    agent to tell the model what was wrong. The form checks run first; an attempt that passes
    them goes to ``review`` (the in-loop critic), whose failed principles also reject it
    (recorded as ``checklist:<principle>`` flags). After ``max_regenerations`` the candidate
    with the fewest failures is kept with its flags, so a long corpus run is not lost to one
    bad turn and the record says what was wrong.
    """
    best: tuple[R, list[str]] | None = None
    attempts = 0
    rejected: Rejected | None = None
    checks: list[PrincipleCheck] = []
    for attempt in range(max_regenerations + 1):
        attempts += 1
        hotter = sampling.model_copy(
            update={"temperature": min(sampling.temperature + 0.15 * attempt, 1.2)}
        )
        out = await make(attempt, hotter, rejected)
        text = text_of(out)
        flags = [f.value for f in check_turn(text, role, history, private=private)]
        failed: list[PrincipleCheck] = []
        if not flags and review is not None:
            got = await review(text, attempt)
            checks += got
            failed = [c for c in got if not c.passed]
        bad = flags + [f"checklist:{c.principle}" for c in failed]
        rejected = Rejected(flags=flags, text=text, problems=[c.problem for c in failed])
        if best is None or len(bad) < len(best[1]):
            best = (out, bad)
        if not bad:
            break
        log.info("%s turn rejected (%s), regenerating", role.value, ",".join(bad))
    assert best is not None
    return best[0], Checked(attempts=attempts, flags=best[1], checks=checks)


async def speak(
    deps: AgentDeps,
    prompt: RenderedPrompt,
    schema: type[S],
    step: Step,
    lang: str,
    role: Role,
    history: Sequence[Turn],
    seed: int,
    private: Sequence[str] = (),
    review: Review | None = None,
) -> tuple[S, Checked]:
    """One spoken turn: a structured call, the turn checks and the in-loop critic, and
    regeneration that tells the model why its last attempt was rejected."""

    async def make(attempt: int, sampling: Sampling, rejected: Rejected | None) -> S:
        feedback = (
            deps.regenerate_feedback(lang, rejected.flags, rejected.text, rejected.problems)
            if rejected
            else None
        )
        out: S = await deps.ask(
            prompt,
            schema,  # type: ignore[type-var]
            step,
            lang,
            seed + 7919 * attempt,
            sampling=sampling,
            feedback=feedback,
        )
        return cast(S, out.model_copy(update={"reply": clean_spoken(out.reply)}))  # type: ignore[attr-defined]

    return await generate_checked(
        make,
        lambda u: u.reply,
        role,
        history,
        deps.sampling[step],
        deps.max_regenerations,
        private,
        review,
    )
