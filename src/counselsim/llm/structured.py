"""Calls into a chat model: sampling per step, constrained JSON, validation, bounded repair."""

from __future__ import annotations

import functools
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from counselsim.config import Engine, Sampling
from counselsim.errors import StructuredOutputError
from counselsim.llm.retry import with_retries

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
TOP_LOGPROBS = 20  # alternatives per token when log-probabilities are asked for (vLLM's max)


# The course a model call belongs to (set by the course runner; asyncio tasks inherit it).
current_course: ContextVar[str] = ContextVar("counselsim_course", default="")


@dataclass
class Usage:
    """Counters for benchmarks and run summaries.

    ``prefix_chars / prefix_prompt_chars`` is the prefix-cache share: of each call's prompt,
    the part that repeats the start of the previous prompt of the same agent in the same
    course (what a server's prefix cache can reuse), over calls that had such a previous one.
    Measured in characters of the message contents, in order.
    """

    calls: int = 0
    repairs: int = 0
    completion_tokens: int = 0
    prompt_tokens: int = 0
    prefix_chars: int = 0
    prefix_prompt_chars: int = 0
    _last: OrderedDict[tuple[str, str], str] = field(default_factory=OrderedDict, repr=False)

    def note_prompt(self, step: str, messages: Sequence[BaseMessage]) -> None:
        """Count how much of this prompt a prefix cache could reuse from the agent's last."""
        key = (current_course.get(), step.split("_", 1)[0])
        text = "\x00".join(str(m.content) for m in messages)
        previous = self._last.pop(key, None)
        if previous is not None:
            self.prefix_chars += _common_prefix(previous, text)
            self.prefix_prompt_chars += len(text)
        self._last[key] = text
        while len(self._last) > 4096:  # bounded: a long run has thousands of courses
            self._last.popitem(last=False)

    @property
    def prefix_share(self) -> float | None:
        return self.prefix_chars / self.prefix_prompt_chars if self.prefix_prompt_chars else None


def _inline_refs(schema: dict[str, Any]) -> dict[str, Any]:
    """Inline ``$defs`` so every engine's schema-to-grammar converter accepts the schema."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].split("/")[-1]])
            out = {}
            for k, v in node.items():
                if k == "properties" and isinstance(v, dict):
                    out[k] = {name: walk(sub) for name, sub in v.items()}  # names, not keywords
                elif k not in ("title", "description"):
                    out[k] = walk(v)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)  # type: ignore[no-any-return]


@functools.lru_cache(maxsize=256)
def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The constrained-decoding schema of a step output (refs inlined, titles dropped).
    Built once per output model (read-only: it goes into every request of that step)."""
    return _inline_refs(model.model_json_schema())


def extract_json(text: str) -> str:
    """The outermost JSON object in ``text`` (models without constrained decoding add prose)."""
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else text


@dataclass(frozen=True)
class Answer(Generic[M]):
    """A validated structured answer and, when asked for and given, the token
    log-probabilities of the answer that validated (OpenAI's ``logprobs.content`` shape)."""

    value: M
    logprobs: list[dict[str, Any]] | None = None


@dataclass
class LLM:
    """A chat model plus how to drive it. Agents hold one; they never see the engine.

    Args:
        chat_model: any langchain-core chat model.
        engine: decides how sampling and schemas are passed (llama.cpp, OpenAI/vLLM, other).
        model_id: recorded in provenance.
        retry_attempts: the tenacity layer's bound for transient errors.
        max_repairs: re-asks after an invalid structured output, then StructuredOutputError.
    """

    chat_model: BaseChatModel
    engine: Engine
    model_id: str
    retry_attempts: int = 4
    max_repairs: int = 2
    response_format: str = "json_schema"  # servers: or "json_object" (llama-cpp-python's)
    usage: Usage = field(default_factory=Usage)

    def _kwargs(
        self,
        sampling: Sampling,
        seed: int,
        schema: type[BaseModel] | None,
        logprobs: bool = False,
    ) -> dict[str, Any]:
        kw: dict[str, Any] = {
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "seed": seed,
        }
        if self.engine in (Engine.EMBEDDED, Engine.GGUF):
            kw["repeat_penalty"] = sampling.repeat_penalty
            if schema is not None:
                kw["response_format"] = {"type": "json_object", "schema": json_schema(schema)}
            if logprobs:  # ChatLlamaCpp reads them off the logits it samples from
                kw["logprobs"] = TOP_LOGPROBS
        elif self.engine is Engine.OPENAI:
            # langchain-openai renames max_tokens to max_completion_tokens, which llama.cpp's
            # server ignores; vLLM reads both, so send the old name in the body.
            extra: dict[str, Any] = {
                "repetition_penalty": sampling.repeat_penalty,
                "max_tokens": kw.pop("max_tokens"),
            }
            kw["extra_body"] = extra
            # The schema goes in the body as it is: as a keyword argument, the OpenAI client
            # would walk it on every request (~0.5 ms of the driver's CPU per call) and parse
            # the answer a second time. A cut answer is seen from its finish_reason.
            if schema is not None and self.response_format == "json_object":
                extra["response_format"] = {"type": "json_object", "schema": json_schema(schema)}
            elif schema is not None:
                extra["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": schema.__name__, "schema": json_schema(schema)},
                }
            if logprobs:
                kw |= {"logprobs": True, "top_logprobs": TOP_LOGPROBS}
        return kw

    async def _invoke(
        self, messages: list[BaseMessage], kwargs: dict[str, Any], step: str
    ) -> tuple[str, bool, Any]:
        """The reply's text, whether it was cut at ``max_tokens``, and its token
        log-probabilities (None when the engine gave none)."""
        started = time.perf_counter()
        self.usage.note_prompt(step, messages)
        msg = await with_retries(
            lambda: self.chat_model.ainvoke(messages, **kwargs), self.retry_attempts, step
        )
        self.usage.calls += 1
        usage = (msg.response_metadata or {}).get("usage") or {}
        if isinstance(msg, AIMessage) and msg.usage_metadata:
            prompt = msg.usage_metadata.get("input_tokens", 0)
            completion = msg.usage_metadata.get("output_tokens", 0)
        else:
            prompt = int(usage.get("prompt_tokens", 0))
            completion = int(usage.get("completion_tokens", 0))
        self.usage.prompt_tokens += prompt
        self.usage.completion_tokens += completion
        log.info(
            "%s: %d prompt + %d completion tokens in %.1fs",
            step,
            prompt,
            completion,
            time.perf_counter() - started,
        )
        meta = msg.response_metadata or {}
        logprobs = (meta.get("logprobs") or {}).get("content")
        return str(msg.content), meta.get("finish_reason") == "length", logprobs

    async def structured(
        self,
        messages: list[BaseMessage],
        schema: type[M],
        sampling: Sampling,
        seed: int,
        step: str,
        repair_prompt: str,
    ) -> M:
        """Ask for a ``schema`` object; repair at most ``max_repairs`` times.

        ``repair_prompt`` is a rendered template with ``{error}`` left for the validator's
        message. Raises StructuredOutputError when no attempt validates.
        """
        answer = await self.structured_answer(messages, schema, sampling, seed, step, repair_prompt)
        return answer.value

    async def structured_answer(
        self,
        messages: list[BaseMessage],
        schema: type[M],
        sampling: Sampling,
        seed: int,
        step: str,
        repair_prompt: str,
        logprobs: bool = False,
    ) -> Answer[M]:
        """:meth:`structured`, with the token log-probabilities of the answer when
        ``logprobs`` and the engine gives them (llama.cpp in-process, OpenAI-compatible
        servers; a custom chat model is not asked, but its answer's are kept if it has them).
        """
        convo = list(messages)
        last_error = ""
        more_room = sampling.model_copy(update={"max_tokens": min(2 * sampling.max_tokens, 8192)})
        for attempt in range(self.max_repairs + 1):
            kwargs = self._kwargs(sampling, seed + attempt, schema, logprobs)
            raw, truncated, tokens = await self._invoke(convo, kwargs, step)
            try:
                # strict=False: a raw newline inside a string is harmless, not worth a repair.
                value = schema.model_validate(json.loads(extract_json(raw), strict=False))
                return Answer(value, tokens if isinstance(tokens, list) else None)
            except (ValidationError, json.JSONDecodeError) as exc:
                last_error = _short_error(exc)
                if truncated:  # cut at max_tokens: later attempts get twice the room, once
                    last_error = f"output cut at {sampling.max_tokens} tokens: {last_error}"
                    sampling = more_room
                log.info("step %s attempt %d invalid: %s", step, attempt + 1, last_error)
                if attempt < self.max_repairs:
                    self.usage.repairs += 1
                    convo = [
                        *messages,
                        AIMessage(content=raw),
                        HumanMessage(content=repair_prompt.replace("{error}", last_error)),
                    ]
        raise StructuredOutputError(step, self.max_repairs + 1, last_error)


def _short_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        e = exc.errors()[0]
        loc = ".".join(str(p) for p in e["loc"]) or "<root>"
        return f"{loc}: {e['msg']}"
    return str(exc).splitlines()[0][:200]


def _common_prefix(a: str, b: str) -> int:
    """Length of the common prefix of two strings (binary search over slice comparisons)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo
