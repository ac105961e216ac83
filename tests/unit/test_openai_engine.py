"""The OpenAI-compatible path (vLLM in production) against an in-process HTTP transport:
what counselsim sends, and how it treats server errors. No sockets are opened."""

from __future__ import annotations

import json

import httpx
import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from counselsim.config import Engine, Sampling
from counselsim.errors import ModelUnavailableError
from counselsim.llm.structured import LLM
from counselsim.records import ClientUtterance


def _completion(content: str) -> dict:
    return {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "served-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


def _llm(responses: list[httpx.Response], seen: list[dict]) -> LLM:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return responses.pop(0)

    chat = ChatOpenAI(
        base_url="http://vllm.test/v1",
        model="served-model",
        api_key="EMPTY",
        max_retries=0,
        http_socket_options=(),  # skip langchain-openai's socket-option probe (no sockets here)
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    return LLM(chat_model=chat, engine=Engine.OPENAI, model_id="served-model", retry_attempts=3)


async def test_request_carries_schema_sampling_and_seed():
    seen: list[dict] = []
    ok = json.dumps({"emotion": ["Sadness"], "reply": "I just feel tired all the time."})
    llm = _llm([httpx.Response(200, json=_completion(ok))], seen)
    sampling = Sampling(temperature=0.4, top_p=0.8, max_tokens=99, repeat_penalty=1.2)
    out = await llm.structured(
        [HumanMessage("hi")], ClientUtterance, sampling, 42, "client_reply", "fix: {error}"
    )
    assert out.reply.startswith("I just feel tired")
    body = seen[0]
    assert body["model"] == "served-model" and body["seed"] == 42
    assert body["temperature"] == 0.4 and body["top_p"] == 0.8
    assert body["max_tokens"] == 99 and "max_completion_tokens" not in body  # llama.cpp server
    assert body["repetition_penalty"] == 1.2  # vLLM's sampling extension, via extra_body
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    schema = fmt["json_schema"]["schema"]
    assert schema["properties"]["reply"]["maxLength"] == 200 and "$defs" not in schema
    assert llm.usage.prompt_tokens == 11 and llm.usage.completion_tokens == 7


async def test_server_errors_are_retried_then_reported():
    seen: list[dict] = []
    ok = json.dumps({"emotion": ["Neutral"], "reply": "Fine, I guess."})
    llm = _llm(
        [httpx.Response(503, json={"error": "busy"}), httpx.Response(200, json=_completion(ok))],
        seen,
    )
    out = await llm.structured(
        [HumanMessage("hi")], ClientUtterance, Sampling(), 1, "client_reply", "fix: {error}"
    )
    assert out.reply == "Fine, I guess." and len(seen) == 2

    down = _llm([httpx.Response(502, json={"error": "down"}) for _ in range(3)], seen := [])
    with pytest.raises(ModelUnavailableError, match="client_reply"):
        await down.structured(
            [HumanMessage("hi")], ClientUtterance, Sampling(), 1, "client_reply", "fix: {error}"
        )
    assert len(seen) == 3


async def test_a_client_error_is_not_retried():
    seen: list[dict] = []
    llm = _llm([httpx.Response(400, json={"error": "bad request"})], seen)
    with pytest.raises(Exception) as info:
        await llm.structured(
            [HumanMessage("hi")], ClientUtterance, Sampling(), 1, "client_reply", "fix: {error}"
        )
    assert not isinstance(info.value, ModelUnavailableError)
    assert len(seen) == 1
