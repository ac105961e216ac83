"""What every agent is built from, and :func:`speak`: a spoken turn produced through the
critic's check-and-retry loop (:mod:`counselsim.critic.loop`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar, cast

from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel

from counselsim.config import Sampling, Step
from counselsim.critic.form import clean_spoken, form_check
from counselsim.critic.loop import Checked, Rejected, generate_checked
from counselsim.critic.verdict import Check
from counselsim.labels import Role
from counselsim.llm.structured import LLM
from counselsim.prompts import PromptLibrary, RenderedPrompt
from counselsim.records import Turn

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
        return self.prompts.repair(lang)


def messages(prompt: RenderedPrompt, feedback: str | None = None) -> list[BaseMessage]:
    """System block, then the user block (transcript first, instruction last: the order a
    prefix cache reuses), then any feedback on a rejected attempt."""
    out: list[BaseMessage] = [SystemMessage(content=prompt.system), HumanMessage(prompt.user)]
    if feedback:
        out.append(HumanMessage(content=feedback))
    return out


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
    checks: Sequence[Check] = (),
    max_regenerations: int | None = None,
    restate: Callable[[list[str]], RenderedPrompt] | None = None,
) -> tuple[S, Checked]:
    """One spoken turn: a structured call, then the critic's checks on every attempt (the
    form checks first, then ``checks``), regenerating with the reasons stated.

    Args:
        private: the speaker's hidden notes the turn must not recite (a form check).
        checks: the critic's other layers (checklist, reconstruction checks).
        max_regenerations: retries after the first attempt (default: the deps' bound).
        restate: the prompt with a rejection's stated problems written into it (a
            reconstruction prompt has a place for the reviewer's words); without it they
            follow the prompt with the failed form checks, in the regenerate message.
    """

    async def make(attempt: int, sampling: Sampling, rejected: Rejected | None) -> S:
        asked, problems = prompt, rejected.problems if rejected else []
        if problems and restate is not None:  # the prompt has a place for the reviewer's words
            asked, problems = restate(problems), []
        feedback = (
            deps.regenerate_feedback(lang, rejected.flags, rejected.text, problems)
            if rejected and (rejected.flags or problems)
            else None
        )
        out: S = await deps.ask(
            asked,
            schema,  # type: ignore[type-var]
            step,
            lang,
            seed + 7919 * attempt,
            sampling=sampling,
            feedback=feedback,
        )
        return cast(S, out.model_copy(update={"reply": clean_spoken(out.reply)}))  # type: ignore[attr-defined]

    bound = deps.max_regenerations if max_regenerations is None else max_regenerations
    return await generate_checked(
        make,
        lambda u: u.reply,
        [form_check(role, history, private), *checks],
        deps.sampling[step],
        bound,
    )
