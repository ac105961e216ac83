"""Fake chat models for tests. They ship in the package so users can test their own setups.

Unlike LangChain's fakes, these never start over: a script that runs out raises.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, PrivateAttr

from counselsim.errors import ScriptExhaustedError


@dataclass
class RecordedCall:
    """One call the fake received: the messages and the call kwargs (sampling, schema)."""

    messages: list[BaseMessage]
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """All message contents joined, for 'was X ever shown to this model' assertions."""
        return "\n".join(str(m.content) for m in self.messages)


class _RecordingChatModel(BaseChatModel):
    """Records every call; streams (when a caller streams) the same reply in small pieces."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    chunk_chars: int = 4
    _calls: list[RecordedCall] = PrivateAttr(default_factory=list)

    @property
    def calls(self) -> list[RecordedCall]:
        """Every call so far, in order."""
        return self._calls

    def _reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        raise NotImplementedError

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        self._calls.append(RecordedCall(list(messages), dict(kwargs)))
        text = self._reply(list(messages), kwargs)
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        self._calls.append(RecordedCall(list(messages), dict(kwargs)))
        text = self._reply(list(messages), kwargs)
        for start in range(0, len(text), self.chunk_chars):
            piece = AIMessageChunk(content=text[start : start + self.chunk_chars])
            yield ChatGenerationChunk(message=piece)


class ScriptedChatModel(_RecordingChatModel):
    """Returns the scripted replies in order and raises when they run out.

    Example:
        >>> fake = ScriptedChatModel(script=['{"reply": "Hello."}'])
    """

    script: list[str]
    _next: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "counselsim-scripted"

    @property
    def remaining(self) -> int:
        """Replies not yet used."""
        return len(self.script) - self._next

    def _reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        if self._next >= len(self.script):
            raise ScriptExhaustedError(
                f"scripted model called {self._next + 1} times but scripted for {len(self.script)}"
            )
        self._next += 1
        return self.script[self._next - 1]


class FunctionChatModel(_RecordingChatModel):
    """Answers with ``fn(messages, kwargs)``: for fakes that depend on what they are asked."""

    fn: Callable[[Sequence[BaseMessage], dict[str, Any]], str]

    @property
    def _llm_type(self) -> str:
        return "counselsim-function"

    def _reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        return self.fn(messages, kwargs)


def token_logprobs(
    text: str, at_numbers: Sequence[Mapping[str, float] | None] = ()
) -> list[dict[str, Any]]:
    """``text`` as OpenAI-shaped token log-probabilities, for fakes of engines that give them.

    Tokens are runs of digits, of whitespace, or of other characters. The ``i``-th digit
    token's alternatives are ``at_numbers[i]`` (token text -> probability; the token itself
    gets its probability there, else 1); every other token has probability 1 and none.
    """
    out: list[dict[str, Any]] = []
    numbers = list(at_numbers)
    for tok in re.findall(r"\d+|\s+|[^\d\s]+", text):
        alts = (numbers.pop(0) if tok.isdigit() and numbers else None) or {}
        top = [{"token": t, "logprob": math.log(p)} for t, p in alts.items()]
        out.append({"token": tok, "logprob": math.log(alts.get(tok, 1.0)), "top_logprobs": top})
    return out


class LogprobChatModel(_RecordingChatModel):
    """Answers with ``fn(messages, kwargs) -> (text, logprobs content or None)`` and puts the
    log-probabilities where langchain-openai does (``response_metadata["logprobs"]``)."""

    fn: Callable[[Sequence[BaseMessage], dict[str, Any]], tuple[str, list[dict[str, Any]] | None]]
    _content: list[dict[str, Any]] | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "counselsim-logprobs"

    def _reply(self, messages: list[BaseMessage], kwargs: dict[str, Any]) -> str:
        text, self._content = self.fn(messages, kwargs)
        return text

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        result = super()._generate(messages, stop, run_manager, **kwargs)
        if self._content is not None:
            meta = result.generations[0].message.response_metadata
            meta["logprobs"] = {"content": self._content}
        return result
