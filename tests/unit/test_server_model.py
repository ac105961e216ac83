"""counselsim's lean chat model for OpenAI-compatible servers, against a real HTTP server on
127.0.0.1 (aiohttp.web): what it sends, what it reads back, how it fails, when its
connection pool closes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import tenacity
from aiohttp import web
from langchain_core.caches import InMemoryCache
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.globals import set_llm_cache
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from counselsim.config import Engine, Sampling
from counselsim.errors import ModelRequestError, ModelUnavailableError, TransientModelError
from counselsim.llm import retry as retry_mod
from counselsim.llm.server import ChatOpenAICompatible
from counselsim.llm.structured import LLM
from counselsim.records import ClientUtterance

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
Reply = Callable[[web.Request, dict[str, Any]], Any]


def completion(content: str | None, **message: Any) -> dict[str, Any]:
    return {
        "model": "served",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, **message},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }


class Server:
    """Answers each request with the next scripted reply; records bodies and headers."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.bodies.append(body)
        self.headers.append(dict(request.headers))
        out = await self.replies.pop(0)(request, body)
        return out if isinstance(out, web.StreamResponse) else web.json_response(out)


async def serve(srv: Server) -> web.AppRunner:
    """Start ``srv`` on a free port of 127.0.0.1 (its ``url`` set); clean the runner up."""
    app = web.Application()
    app.router.add_post("/v1/chat/completions", srv.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    srv.url = f"http://127.0.0.1:{port}/v1"
    return runner


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    runner = await serve(srv)
    yield srv
    await runner.cleanup()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries must not sleep in unit tests."""
    monkeypatch.setattr(retry_mod, "wait_exponential_jitter", lambda **_: tenacity.wait_none())


def answer(data: Any, status: int = 200) -> Reply:
    async def reply(request: web.Request, body: dict[str, Any]) -> Any:
        return web.json_response(data, status=status)

    return reply


def model(srv: Server, **kw: Any) -> ChatOpenAICompatible:
    return ChatOpenAICompatible(base_url=srv.url, model="served", timeout_s=5, **kw)


async def test_the_request_carries_roles_sampling_seed_and_the_schema(server: Server) -> None:
    ok = json.dumps({"emotion": ["Sadness"], "reply": "I just feel tired all the time."})
    server.replies = [answer(completion(ok))]
    chat = model(server, api_key="sk-test")
    llm = LLM(chat_model=chat, engine=Engine.OPENAI, model_id="served", retry_attempts=3)
    sampling = Sampling(temperature=0.4, top_p=0.8, max_tokens=99, repeat_penalty=1.2)
    messages = [SystemMessage("be a client"), HumanMessage("hi"), AIMessage("hello")]
    out = await llm.structured(messages, ClientUtterance, sampling, 42, "client_reply", "{error}")
    await chat.aclose()

    assert out.reply.startswith("I just feel tired")
    body = server.bodies[0]
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant"]
    assert body["model"] == "served" and body["seed"] == 42
    assert (body["temperature"], body["top_p"], body["max_tokens"]) == (0.4, 0.8, 99)
    assert body["repetition_penalty"] == 1.2 and "max_completion_tokens" not in body
    schema = body["response_format"]["json_schema"]["schema"]
    assert body["response_format"]["type"] == "json_schema" and "$defs" not in schema
    assert server.headers[0]["Authorization"] == "Bearer sk-test"
    assert (llm.usage.prompt_tokens, llm.usage.completion_tokens) == (11, 7)


async def test_logprobs_and_tool_calls_come_back_in_the_message(server: Server) -> None:
    tokens = [{"token": "Hi", "logprob": -0.1, "top_logprobs": [{"token": "Hi", "logprob": -0.1}]}]
    data = completion("Hi")
    data["choices"][0]["logprobs"] = {"content": tokens}
    call = {"id": "t1", "type": "function", "function": {"name": "search", "arguments": "{}"}}
    server.replies = [answer(data), answer(completion(None, tool_calls=[call]))]
    chat = model(server)
    first = await chat.ainvoke([HumanMessage("hi")], logprobs=True, top_logprobs=5)
    second = await chat.ainvoke([HumanMessage("hi")])
    await chat.aclose()

    assert first.response_metadata["logprobs"]["content"] == tokens
    assert server.bodies[0]["logprobs"] is True and server.bodies[0]["top_logprobs"] == 5
    assert isinstance(second, AIMessage) and second.content == ""
    assert [c["name"] for c in second.tool_calls] == ["search"]


async def test_an_unobserved_call_skips_langchains_run_bookkeeping_and_answers_the_same(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no handler to tell, the server is asked directly; with one (a tracer, a streaming
    listener) or an LLM cache, LangChain's own path runs. Both give the same message."""

    class Seen(AsyncCallbackHandler):
        def __init__(self) -> None:
            self.starts = 0

        async def on_chat_model_start(self, *args: Any, **kwargs: Any) -> None:
            self.starts += 1

    calls: list[str] = []
    bookkeeping = BaseChatModel.agenerate_prompt

    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append("langchain")
        return await bookkeeping(self, *args, **kwargs)

    monkeypatch.setattr(BaseChatModel, "agenerate_prompt", counted)
    data = completion("Hi there.")
    data["choices"][0]["logprobs"] = {"content": [{"token": "Hi", "logprob": -0.5}]}
    server.replies = [answer(data)] * 3
    chat, seen = model(server), Seen()
    direct = await chat.ainvoke([HumanMessage("hi")], logprobs=True, stop=["\n\n"])
    observed = await chat.ainvoke([HumanMessage("hi")], {"callbacks": [seen]}, logprobs=True)
    set_llm_cache(InMemoryCache())
    try:
        cached = [await chat.ainvoke([HumanMessage("again")]) for _ in range(2)]
    finally:
        set_llm_cache(None)
    await chat.aclose()

    assert calls == ["langchain"] * 3 and seen.starts == 1  # the observed and cached calls
    assert len(server.bodies) == 3  # the cache answered the second "again"
    assert server.bodies[0]["stop"] == ["\n\n"]
    for key in ("content", "response_metadata", "usage_metadata", "tool_calls"):
        assert getattr(direct, key) == getattr(observed, key), key
    assert direct.response_metadata["logprobs"]["content"][0]["token"] == "Hi"
    assert cached[0].content == cached[1].content == "Hi there."


@pytest.mark.parametrize(
    ("status", "error"),
    [(503, TransientModelError), (429, TransientModelError), (400, ModelRequestError)],
)
async def test_a_refusal_is_one_line_with_the_servers_message(
    server: Server, status: int, error: type[Exception]
) -> None:
    server.replies = [answer({"error": {"message": "prompt\nis too long"}}, status)]
    chat = model(server)
    with pytest.raises(error) as info:
        await chat.ainvoke([HumanMessage("hi")])
    await chat.aclose()
    assert str(info.value) == f"HTTP {status} from {server.url}: prompt is too long"


async def test_transient_failures_are_retried_by_the_one_retry_layer(server: Server) -> None:
    async def drop(request: web.Request, body: dict[str, Any]) -> Any:
        assert request.transport is not None
        request.transport.close()  # the connection dies before an answer
        return web.Response()

    ok = json.dumps({"emotion": ["Neutral"], "reply": "Fine, I guess."})
    server.replies = [drop, answer({"error": "busy"}, 503), answer(completion(ok))]
    chat = model(server)
    llm = LLM(chat_model=chat, engine=Engine.OPENAI, model_id="served", retry_attempts=3)
    out = await llm.structured(
        [HumanMessage("hi")], ClientUtterance, Sampling(), 1, "client_reply", "{error}"
    )
    assert out.reply == "Fine, I guess." and len(server.bodies) == 3

    server.replies = [answer({"error": "bad"}, 400)]  # not transient: asked once, not retried
    with pytest.raises(ModelRequestError):
        await llm.structured(
            [HumanMessage("hi")], ClientUtterance, Sampling(), 1, "client_reply", "{error}"
        )
    server.replies = [answer({}, 500)] * 3
    with pytest.raises(ModelUnavailableError, match="failed 3 times"):
        await llm.structured(
            [HumanMessage("hi")], ClientUtterance, Sampling(), 1, "client_reply", "{error}"
        )
    await chat.aclose()
    assert len(server.bodies) == 7


async def test_streamed_tokens_arrive_one_by_one(server: Server) -> None:
    async def stream(request: web.Request, body: dict[str, Any]) -> Any:
        resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await resp.prepare(request)
        for text, finish in [("I ", None), ("feel ", None), ("tired.", "stop")]:
            event = {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}
            await resp.write(f"data: {json.dumps(event)}\n\n".encode())
        await resp.write(b'data: {"choices": [], "usage": {"prompt_tokens": 3}}\n\n')
        await resp.write(b"data: [DONE]\n\n")
        return resp

    class Tokens(AsyncCallbackHandler):
        def __init__(self) -> None:
            self.seen: list[str] = []

        async def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            self.seen.append(token)

    server.replies = [stream]
    chat, tokens = model(server), Tokens()
    parts = [
        chunk
        async for chunk in chat.astream(
            [HumanMessage("hi")], config={"callbacks": [tokens]}, temperature=0.2
        )
    ]
    await chat.aclose()
    assert [p.content for p in parts if p.content] == ["I ", "feel ", "tired."]
    assert "".join(tokens.seen) == "I feel tired."  # the callbacks hear the tokens, in order
    assert any(p.response_metadata.get("finish_reason") == "stop" for p in parts)
    assert server.bodies[0]["stream"] is True and server.bodies[0]["temperature"] == 0.2


def test_the_pool_closes_with_its_event_loop_and_a_new_loop_gets_a_new_one() -> None:
    """A caller that never calls aclose leaves no open connection; a second asyncio.run
    (another loop) works."""
    chat_ref: list[ChatOpenAICompatible] = []
    sessions = []

    async def one_call() -> str:
        srv = Server()
        srv.replies = [answer(completion("ok"))]
        runner = await serve(srv)
        if not chat_ref:
            chat_ref.append(ChatOpenAICompatible(base_url="http://x/v1", model="m"))
        chat = chat_ref[0]
        chat.base_url = srv.url
        try:
            msg = await chat.ainvoke([HumanMessage("hi")])
            sessions.append(chat._session)
            return str(msg.content)
        finally:
            await runner.cleanup()

    assert asyncio.run(one_call()) == "ok"
    assert asyncio.run(one_call()) == "ok"
    assert sessions[0] is not sessions[1]
    assert all(s is not None and s.closed for s in sessions)
