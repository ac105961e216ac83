"""The client's reply streams from each engine when a caller streams (the practice graph):
the OpenAI-compatible path (an in-process HTTP transport, no socket) and llama.cpp (a stand-in
for the loaded model), each inside a LangGraph node, decoded by the practice ReplyText."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypedDict

import httpx
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from langgraph.graph import END, START, StateGraph

from counselsim.config import Engine, Sampling
from counselsim.llm.local import ChatLlamaCpp
from counselsim.llm.structured import LLM
from counselsim.practice.stream import ReplyText
from counselsim.records import ClientUtterance

REPLY = {"emotion": ["Sadness"], "reply": "I just feel tired all the time, you know."}


class _State(TypedDict):
    reply: str


async def stream_reply(llm: LLM) -> tuple[list[str], str]:
    """Run one structured client step in a graph node; the streamed reply pieces and the
    validated reply."""

    async def client(state: _State) -> dict[str, Any]:
        out = await llm.structured(
            [HumanMessage("hi")], ClientUtterance, Sampling(), 1, "client_reply", "fix {error}"
        )
        return {"reply": out.reply}

    g: StateGraph[Any] = StateGraph(_State)
    g.add_node("client", client)
    g.add_edge(START, "client")
    g.add_edge("client", END)
    decoder, pieces, final = ReplyText(), [], ""
    async for mode, data in g.compile().astream({"reply": ""}, stream_mode=["messages", "updates"]):
        if mode == "messages":
            if piece := decoder.feed(str(data[0].content)):
                pieces.append(piece)
        elif "client" in data:
            final = data["client"]["reply"]
    return pieces, final


def _sse(text: str, size: int = 5) -> bytes:
    frames = []
    for i in range(0, len(text), size):
        chunk = {
            "id": "c",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "served-model",
            "choices": [
                {"index": 0, "delta": {"role": "assistant", "content": text[i : i + size]}}
            ],
        }
        frames.append(f"data: {json.dumps(chunk)}\n\n")
    last = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "served-model",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    frames += [f"data: {json.dumps(last)}\n\n", "data: [DONE]\n\n"]
    return "".join(frames).encode()


async def test_the_openai_path_streams_the_reply_with_its_schema():
    sent: list[dict[str, Any]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(json.loads(request.content))
        body = _sse(json.dumps(REPLY))
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    chat = ChatOpenAI(
        base_url="http://vllm.test/v1",
        model="served-model",
        api_key="EMPTY",
        max_retries=0,
        http_socket_options=(),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    llm = LLM(chat_model=chat, engine=Engine.OPENAI, model_id="served-model")
    pieces, final = await stream_reply(llm)
    assert len(pieces) > 3 and "".join(pieces) == final == REPLY["reply"]
    assert sent[0]["stream"] is True
    assert sent[0]["response_format"]["type"] == "json_schema"


class _StandInLlama:
    """llama-cpp-python's streaming answer, without a model."""

    def __init__(self) -> None:
        self.kwargs: dict[str, Any] = {}

    def create_chat_completion(self, **kwargs: Any) -> Any:
        self.kwargs = kwargs
        text = json.dumps(REPLY)
        for i in range(0, len(text), 3):
            yield {"choices": [{"delta": {"content": text[i : i + 3]}, "finish_reason": None}]}
        yield {"choices": [{"delta": {}, "finish_reason": "stop"}]}


async def test_llama_cpp_streams_token_by_token_under_its_grammar():
    chat = ChatLlamaCpp(model_path=Path("unused.gguf"))
    stand_in = _StandInLlama()
    chat._llama = stand_in  # loaded: load() keeps it
    llm = LLM(chat_model=chat, engine=Engine.EMBEDDED, model_id="stand-in")
    pieces, final = await stream_reply(llm)
    assert len(pieces) > 5 and "".join(pieces) == final == REPLY["reply"]
    assert stand_in.kwargs["stream"] is True
    assert stand_in.kwargs["response_format"]["type"] == "json_object"
    assert not chat._lock.locked()  # released after the last token
