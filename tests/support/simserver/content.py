"""What the simulated server answers to a chat request, apart from HTTP and timing: the content
(plain speech, or an instance of the request's JSON schema), the injected fault if one is drawn,
``max_tokens`` cuts, token usage, and the OpenAI-shaped response objects.

Everything here is a pure function of ``(seed, request body, how many times the body was
seen)``: reproducible under any concurrency.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import random
import time
from dataclasses import dataclass
from typing import Any

from .instances import instance_for
from .text import count_tokens, language, message_text, plain_reply, truncate_tokens

__all__ = [
    "FAULT_KINDS",
    "Completion",
    "answer",
    "complete",
    "completion_object",
    "draw_fault",
    "error_object",
    "request_key",
    "response_schema",
]

FAULT_KINDS = ("500", "503", "429", "drop")
"""How an injected failure shows: an HTTP status, or a connection closed without a reply."""


def request_key(body: dict[str, Any]) -> str:
    """A digest of the request body, independent of key order and whitespace."""
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def draw_fault(seed: int, key: str, nth: int, fail_rate: float) -> tuple[str | None, random.Random]:
    """The injected fault for the ``nth`` sighting of the body ``key`` (None: no fault), and the
    generator the malformed-JSON draw continues from. A retry (a higher ``nth``) draws anew."""
    faults = random.Random(f"{seed}|{key}|{nth}|fault")
    if faults.random() < fail_rate:
        return faults.choice(FAULT_KINDS), faults
    return None, faults


def response_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a request constrains its answer to; ``{}`` for JSON of any shape;
    ``None`` for plain text. Reads OpenAI's ``response_format`` (``json_schema``, or
    ``json_object`` with llama.cpp's ``schema``) and vLLM's ``guided_json``."""
    guided = body.get("guided_json")
    if isinstance(guided, dict):
        return guided
    if isinstance(guided, str):
        with contextlib.suppress(json.JSONDecodeError):
            parsed = json.loads(guided)
            return parsed if isinstance(parsed, dict) else {}
    fmt = body.get("response_format")
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema if isinstance(schema, dict) else {}
    if fmt.get("type") == "json_object":
        schema = fmt.get("schema")
        return schema if isinstance(schema, dict) else {}
    return None


def answer(body: dict[str, Any], rng: random.Random) -> tuple[str, bool]:
    """``(content, structured)`` for a chat request."""
    lang = language(body.get("messages") or [])
    schema = response_schema(body)
    if schema is None:
        return plain_reply(rng, lang), False
    shaped = any(k in schema for k in ("type", "properties", "$ref", "anyOf", "oneOf", "allOf"))
    if not shaped:
        schema = {"type": "object", "properties": {"reply": {"type": "string"}}}
    return json.dumps(instance_for(schema, rng, lang), ensure_ascii=False), True


@dataclass(frozen=True)
class Completion:
    """One answer: its content, why it ended, its token counts, and whether its JSON was cut
    on purpose."""

    content: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int
    malformed: bool


def complete(
    body: dict[str, Any], seed: int, key: str, faults: random.Random, malformed_rate: float
) -> Completion:
    """The answer to ``body`` (with digest ``key``): content from ``(seed, key)``, the malformed
    draw from ``faults`` (see :func:`draw_fault`), cut at ``max_tokens`` if it is longer."""
    content, structured = answer(body, random.Random(f"{seed}|{key}"))
    malformed = structured and faults.random() < malformed_rate
    if malformed:
        content = content[: len(content) // 2]
    finish = "stop"
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    if isinstance(limit, int) and limit > 0 and count_tokens(content) > limit:
        content, finish = truncate_tokens(content, limit), "length"
    prompt_tokens = sum(count_tokens(message_text(m)) + 4 for m in body["messages"])
    return Completion(content, finish, prompt_tokens, count_tokens(content), malformed)


def completion_object(
    body: dict[str, Any], key: str, seed: int, model: str, done: Completion
) -> dict[str, Any]:
    """The ``chat.completion`` object answering ``body``."""
    return {
        "id": f"chatcmpl-{key[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": str(body.get("model") or model),
        "system_fingerprint": f"simserver-{seed}",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": done.content},
                "logprobs": None,
                "finish_reason": done.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": done.prompt_tokens,
            "completion_tokens": done.completion_tokens,
            "total_tokens": done.prompt_tokens + done.completion_tokens,
        },
    }


def error_object(status: int, message: str) -> dict[str, Any]:
    """An OpenAI-style error object."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": status}}
