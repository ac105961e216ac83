"""Calls into a chat model: sampling per step, constrained JSON, validation, bounded repair."""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from pydantic import BaseModel, ValidationError

from counselsim.config import Engine, Sampling
from counselsim.errors import StructuredOutputError
from counselsim.llm.retry import with_retries

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)


@dataclass
class Usage:
    """Counters for benchmarks and run summaries."""

    calls: int = 0
    repairs: int = 0
    completion_tokens: int = 0
    prompt_tokens: int = 0


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


def json_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The constrained-decoding schema of a step output (refs inlined, titles dropped)."""
    return _inline_refs(model.model_json_schema())


def extract_json(text: str) -> str:
    """The outermost JSON object in ``text`` (models without constrained decoding add prose)."""
    start, end = text.find("{"), text.rfind("}")
    return text[start : end + 1] if 0 <= start < end else text


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
    usage: Usage = field(default_factory=Usage)

    def _kwargs(
        self, sampling: Sampling, seed: int, schema: type[BaseModel] | None
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
        elif self.engine is Engine.OPENAI:
            extra: dict[str, Any] = {"repetition_penalty": sampling.repeat_penalty}
            kw["extra_body"] = extra
            if schema is not None:
                kw["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": schema.__name__, "schema": json_schema(schema)},
                }
        return kw

    async def _invoke(self, messages: list[BaseMessage], kwargs: dict[str, Any], step: str) -> str:
        started = time.perf_counter()
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
        return str(msg.content)

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
        convo = list(messages)
        last_error = ""
        for attempt in range(self.max_repairs + 1):
            raw = await self._invoke(convo, self._kwargs(sampling, seed + attempt, schema), step)
            try:
                # strict=False: a raw newline inside a string is harmless, not worth a repair.
                return schema.model_validate(json.loads(extract_json(raw), strict=False))
            except (ValidationError, json.JSONDecodeError) as exc:
                last_error = _short_error(exc)
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
