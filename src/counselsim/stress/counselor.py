"""The counselor under test, as a black box: an ordinary chat in, plain text out.

The model under test receives what any deployed chat model receives: its own system prompt
(if it has one), the client's turns as ``user`` messages and its own earlier replies as
``assistant`` messages. No counselsim prompt, no JSON schema, no ``response_format``, no
private reasoning is asked of it, so what is measured is the model as its users meet it.

A session the counselor opens starts with a short bracketed ``user`` cue, since a chat model
answers a user message and there is none yet: ``[The client has joined the session.]``
(``[来访者已进入咨询室。]``). Later sessions shown as history start with a numbered cue
(``[Session 2: the client has joined.]``), so the model can tell where one session ends.
Consecutive turns of one side are joined into one message (some chat templates refuse two
``user`` messages in a row).

What comes back is checked, never trusted: an empty reply, content that is not a string (a
list of parts, tool calls, None) and a reply over the character limit (cut there) are flags
on :class:`CounselorReply`, to be counted as failure modes, not crashes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field

from counselsim.errors import ModelUnavailableError, TransientModelError
from counselsim.labels import Role
from counselsim.llm.retry import with_retries
from counselsim.personas.models import Language

OPENING_CUE = {
    Language.EN: "[The client has joined the session.]",
    Language.ZH: "[来访者已进入咨询室。]",
}
SESSION_CUE = {
    Language.EN: "[Session {n}: the client has joined.]",
    Language.ZH: "[第{n}次咨询：来访者已进入咨询室。]",
}
_MAX_ERROR_CHARS = 300


class Spoken(Protocol):
    """A spoken turn: who spoke and what they said (records.Turn fits)."""

    @property
    def role(self) -> Role: ...

    @property
    def text(self) -> str: ...


class ReplyPolicy(BaseModel):
    """How a counselor under test is called and what of its reply is kept."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout_s: float = Field(default=120.0, gt=0, description="per call, each attempt")
    attempts: int = Field(default=3, ge=1, le=10, description="transient errors only")
    retry_max_wait_s: float = Field(default=20.0, ge=0)
    max_reply_chars: int = Field(default=4000, ge=1, description="longer replies are cut")


class CounselorReply(BaseModel):
    """What the counselor said, and what was wrong with how it said it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(description="the reply as the client hears it: stripped, cut at the limit")
    chars: int = Field(ge=0, description="characters the counselor produced, before any cut")
    empty_reply: bool = False
    truncated: bool = Field(default=False, description="cut at the character limit")
    non_text: bool = Field(default=False, description="content was not a plain string")
    finish_reason: str | None = None

    @property
    def flags(self) -> list[str]:
        """The names of the flags that are set."""
        names = ("empty_reply", "truncated", "non_text")
        return [n for n in names if getattr(self, n)]


class CounselorError(ModelUnavailableError):
    """A counselor under test whose call failed after the retries (or not transiently)."""

    def __init__(self, counselor: str, cause: str) -> None:
        line = " ".join(cause.split())[:_MAX_ERROR_CHARS]
        super().__init__(f"counselor '{counselor}': {line}")
        self.counselor = counselor
        self.cause = line


def _session_messages(
    turns: Sequence[Spoken], number: int, language: Language
) -> list[tuple[Role, str]]:
    opened_by_counselor = bool(turns) and turns[0].role == Role.COUNSELOR
    out: list[tuple[Role, str]] = []
    if number > 1:
        out.append((Role.CLIENT, SESSION_CUE[language].format(n=number)))
    elif opened_by_counselor or not turns:
        out.append((Role.CLIENT, OPENING_CUE[language]))
    out += [(t.role, t.text) for t in turns]
    return out


def chat_messages(
    transcript: Sequence[Spoken],
    language: Language,
    system_prompt: str | None = None,
    earlier: Sequence[Sequence[Spoken]] = (),
) -> list[BaseMessage]:
    """The ordinary chat a counselor under test receives for its next reply.

    Args:
        transcript: the current session's spoken turns, ending with the client's (or empty:
            the counselor opens the session).
        language: the session's language, for the bracketed cues.
        system_prompt: the counselor's own system prompt, if it has one.
        earlier: earlier sessions' spoken turns, oldest first, when the counselor is to see
            them.

    Raises:
        ValueError: the transcript ends with the counselor's own turn (nothing to answer).
    """
    if transcript and transcript[-1].role == Role.COUNSELOR:
        raise ValueError("the transcript ends with the counselor's turn: nothing to answer")
    sessions = [*earlier, transcript]
    pairs = [
        pair
        for number, turns in enumerate(sessions, start=1)
        for pair in _session_messages(turns, number, language)
    ]
    merged: list[tuple[Role, str]] = []
    for role, text in pairs:
        if merged and merged[-1][0] == role:
            merged[-1] = (role, f"{merged[-1][1]}\n\n{text}")
        else:
            merged.append((role, text))
    messages: list[BaseMessage] = [SystemMessage(content=system_prompt)] if system_prompt else []
    messages += [
        HumanMessage(content=text) if role == Role.CLIENT else AIMessage(content=text)
        for role, text in merged
    ]
    return messages


def _text_of(message: BaseMessage) -> tuple[str, bool]:
    """The reply's text and whether its content was anything but a plain string."""
    content: Any = getattr(message, "content", None)
    tool_calls = bool(getattr(message, "tool_calls", None))
    if isinstance(content, str):
        return content, tool_calls
    if isinstance(content, list):
        parts = [
            p if isinstance(p, str) else str(p.get("text", ""))
            for p in content
            if isinstance(p, str) or (isinstance(p, dict) and p.get("type") == "text")
        ]
        return "".join(parts), True
    return "", True


def inspect_reply(message: BaseMessage, max_chars: int) -> CounselorReply:
    """The reply's text, cut at ``max_chars``, with its flags."""
    raw, non_text = _text_of(message)
    text = raw.strip()
    finish = (getattr(message, "response_metadata", None) or {}).get("finish_reason")
    return CounselorReply(
        text=text[:max_chars],
        chars=len(text),
        empty_reply=not text,
        truncated=len(text) > max_chars,
        non_text=non_text,
        finish_reason=finish if isinstance(finish, str) else None,
    )


@dataclass
class BlackBoxCounselor:
    """A counselor model under test.

    Args:
        name: the counselor's name in the suite and the report.
        chat_model: any langchain-core chat model (an OpenAI-compatible endpoint is built by
            :func:`counselsim.stress.suite.build_counselor`).
        system_prompt: its own system prompt, or None for none.
        call_kwargs: sent with every call (e.g. ``temperature``); never a schema.
        seeded: pass each call's seed to the model (OpenAI-compatible servers take ``seed``;
            other chat models may refuse unknown arguments).
        policy: timeout, retries and the reply's character limit.
    """

    name: str
    chat_model: BaseChatModel
    system_prompt: str | None = None
    call_kwargs: Mapping[str, Any] = field(default_factory=dict)
    seeded: bool = False
    policy: ReplyPolicy = field(default_factory=ReplyPolicy)

    async def reply(
        self,
        transcript: Sequence[Spoken],
        language: Language,
        *,
        seed: int | None = None,
        earlier: Sequence[Sequence[Spoken]] = (),
    ) -> CounselorReply:
        """The counselor's next reply to ``transcript`` (see :func:`chat_messages`).

        Raises:
            CounselorError: the call failed after the retries, timed out on every attempt,
                or failed in a way not worth retrying; the message names the counselor.
            ValueError: the transcript ends with the counselor's own turn.
        """
        messages = chat_messages(transcript, language, self.system_prompt, earlier)
        kwargs = dict(self.call_kwargs)
        if self.seeded and seed is not None:
            kwargs["seed"] = seed

        async def call() -> BaseMessage:
            try:
                return await asyncio.wait_for(
                    self.chat_model.ainvoke(messages, **kwargs), self.policy.timeout_s
                )
            except TimeoutError:  # its message is empty: say what happened, and retry it
                raise TransientModelError(f"no answer within {self.policy.timeout_s:g} s") from None

        what = f"counselor '{self.name}'"  # with_retries' logs and message name it
        try:
            message = await with_retries(
                call, self.policy.attempts, what, self.policy.retry_max_wait_s
            )
        except ModelUnavailableError as exc:  # transient errors outlasted the retries
            raise CounselorError(self.name, str(exc).removeprefix(f"{what}: ")) from None
        except Exception as exc:
            # A black box may fail in any way (HTTP 400, a bad response, its own bug): each is
            # this counselor's failure, recorded against it, never the run's crash.
            raise CounselorError(self.name, f"{type(exc).__name__}: {exc}") from exc
        return inspect_reply(message, self.policy.max_reply_chars)
