"""A lean langchain-core chat model for OpenAI-compatible servers (vLLM, llama.cpp's server).

A corpus run keeps 64-256 requests in flight against one server; the driver's CPU per call
then decides whether the GPU waits for Python. ``langchain-openai`` over the ``openai``
client costs ~2.2 ms of driver CPU per call at that load (request models built and walked,
responses parsed into models and back into dicts); this model posts the body as JSON over one
aiohttp connection pool and reads the answer as a dict: ~0.2 ms (``benchmarks/serving.py``).

It does what counselsim asks of a server and no more: ``/chat/completions`` with sampling,
``seed``, ``max_tokens``, ``logprobs``/``top_logprobs`` and any ``extra_body`` fields
(``response_format``, ``repetition_penalty``), non-streamed or streamed (server-sent events).
It never retries: counselsim's tenacity layer is the only one. A timeout, a dropped connection,
a 408/429 or a 5xx raises :class:`TransientModelError`; another refusal raises
:class:`ModelRequestError` with the server's message.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any, cast

import aiohttp
import orjson
from langchain_core.callbacks import (
    AsyncCallbackManager,
    AsyncCallbackManagerForLLMRun,
    CallbackManagerForLLMRun,
)
from langchain_core.globals import get_llm_cache
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.ai import UsageMetadata
from langchain_core.messages.tool import ToolCall
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig, ensure_config
from pydantic import PrivateAttr, SecretStr

from counselsim.errors import ModelRequestError, TransientModelError

_ROLES = {"system": "system", "human": "user", "ai": "assistant"}
_BODY_KWARGS = ("temperature", "top_p", "max_tokens", "seed", "logprobs", "top_logprobs")
_TRANSIENT_STATUS = frozenset({408, 409, 425, 429})


class ChatOpenAICompatible(BaseChatModel):
    """Chat completions on an OpenAI-compatible server, with no retries of its own.

    Args:
        base_url: the server's ``/v1`` URL.
        model: the served model's name.
        api_key: sent as a bearer token (local servers accept any).
        timeout_s: for the whole request, answer included.
    """

    base_url: str
    model: str
    api_key: SecretStr = SecretStr("EMPTY")
    timeout_s: float = 120.0
    _session: aiohttp.ClientSession | None = PrivateAttr(default=None)
    _loop: asyncio.AbstractEventLoop | None = PrivateAttr(default=None)
    _closer: AsyncGenerator[None] | None = PrivateAttr(default=None)

    @property
    def _llm_type(self) -> str:
        return "openai-compatible"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"base_url": self.base_url, "model": self.model}

    # --- the request ------------------------------------------------------------------------

    def _body(self, messages: list[BaseMessage], stop: list[str] | None, **kwargs: Any) -> bytes:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [
                {"role": _ROLES.get(m.type, "user"), "content": str(m.content)} for m in messages
            ],
            "stream": False,  # said, as the OpenAI client says it (``_astream`` sets True)
        }
        body |= {k: kwargs[k] for k in _BODY_KWARGS if kwargs.get(k) is not None}
        if stop:
            body["stop"] = stop
        body |= kwargs.get("extra_body") or {}
        return orjson.dumps(body)

    @property
    def _url(self) -> str:
        return self.base_url.rstrip("/") + "/chat/completions"

    async def _client(self) -> aiohttp.ClientSession:
        """One connection pool per event loop (pooled connections belong to the loop that
        opened them; a model used by a second ``asyncio.run`` gets a new pool). The pool is
        closed by :meth:`aclose`, or else when its loop shuts down."""
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            # limit=0: as many connections as requests in flight (the server queues the rest)
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0),
                timeout=aiohttp.ClientTimeout(total=self.timeout_s),
                headers={
                    "Authorization": f"Bearer {self.api_key.get_secret_value()}",
                    "Content-Type": "application/json",
                },
            )
            self._session, self._loop = session, loop
            # a started async generator is closed by the loop's shutdown (asyncio.run's
            # shutdown_asyncgens): a caller that never calls aclose leaves nothing open
            closer = _close_at_shutdown(session)
            await anext(closer)
            self._closer = closer
        return self._session

    async def aclose(self) -> None:
        """Close the connection pool (a later call opens a new one)."""
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    @contextmanager
    def _dropped_is_transient(self) -> Iterator[None]:
        """A connection lost mid-request (or a cut body) is worth another attempt."""
        try:
            yield
        except (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError) as exc:
            raise TransientModelError(f"{self.base_url}: {type(exc).__name__}: {exc}") from None

    async def _post(self, body: bytes) -> aiohttp.ClientResponse:
        client = await self._client()
        with self._dropped_is_transient():
            resp = await client.post(self._url, data=body)
        if resp.status >= 400:
            what = f"HTTP {resp.status} from {self.base_url}: {_error_message(await resp.read())}"
            resp.release()
            if resp.status >= 500 or resp.status in _TRANSIENT_STATUS:
                raise TransientModelError(what)
            raise ModelRequestError(what)
        return resp

    # --- langchain-core ---------------------------------------------------------------------

    async def ainvoke(
        self,
        input: LanguageModelInput,
        config: RunnableConfig | None = None,
        *,
        stop: list[str] | None = None,
        **kwargs: Any,
    ) -> AIMessage:
        """LangChain's ``ainvoke``; when nothing would observe the call (no callback handler:
        no tracer, no streaming listener, not verbose; no cache, no rate limiter), the server
        is asked directly: 0.23 ms of the driver's CPU per call against 0.61 through
        LangChain's run bookkeeping, 64 calls in flight (``benchmarks/http_clients.py``)."""
        messages = input if isinstance(input, list) else []
        if (
            messages
            and all(isinstance(m, BaseMessage) for m in messages)
            and self._unobserved(config)
        ):
            result = await self._agenerate(messages, stop=stop, **kwargs)
            return cast(AIMessage, result.generations[0].message)  # _result builds one
        return await super().ainvoke(input, config, stop=stop, **kwargs)

    def _unobserved(self, config: RunnableConfig | None) -> bool:
        # cache: False never, True or a cache object always, None the global one if set
        cached = self.cache is not False and (self.cache is not None or get_llm_cache() is not None)
        if cached or self.rate_limiter is not None or self.output_version == "v1":
            return False
        cfg = ensure_config(config)  # merged with the config of the graph node calling us
        manager = AsyncCallbackManager.configure(  # as ``agenerate`` would: adds tracers, hooks
            cfg.get("callbacks"), self.callbacks, self.verbose, cfg.get("tags"), self.tags
        )
        return not manager.handlers

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        resp = await self._post(self._body(messages, stop, **kwargs))
        with self._dropped_is_transient():
            raw = await resp.read()
        return _result(raw, self.base_url)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        extra = {**(kwargs.get("extra_body") or {}), "stream": True}
        body = self._body(messages, stop, **(kwargs | {"extra_body": extra}))
        resp = await self._post(body)
        try:
            with self._dropped_is_transient():
                async for chunk in _events(resp, self.base_url):
                    yield chunk
        finally:
            resp.release()

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        """Blocking callers get the same request on a private event loop."""

        async def once() -> ChatResult:
            try:
                return await self._agenerate(messages, stop, **kwargs)
            finally:
                await self.aclose()

        return asyncio.run(once())


def _load(raw: bytes, url: str) -> dict[str, Any]:
    try:
        data = _json(raw)
    except ValueError:
        raise TransientModelError(f"{url}: an answer that is not JSON") from None
    if not isinstance(data, dict) or not data.get("choices"):
        raise TransientModelError(f"{url}: an answer without choices")
    return data


async def _close_at_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None]:
    try:
        yield
    finally:
        await session.close()


async def _events(resp: aiohttp.ClientResponse, url: str) -> AsyncIterator[ChatGenerationChunk]:
    """The chunks of a server-sent event stream, up to ``[DONE]``."""
    async for line in resp.content:
        data = line.strip()
        if not data.startswith(b"data:"):
            continue
        data = data[5:].strip()
        if data == b"[DONE]":
            return
        chunk = _chunk(data, url)
        if chunk is not None:  # langchain-core tells the callbacks of each chunk
            yield chunk


def _json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:  # NaN or Infinity (a log-probability), which orjson refuses
        return json.loads(raw)


def _error_message(raw: bytes) -> str:
    """The server's error message (OpenAI's ``{"error": {"message": ...}}``), one line."""
    try:
        data = json.loads(raw)
        error = data.get("error") if isinstance(data, dict) else None
        message = error.get("message") if isinstance(error, dict) else error
        text = str(message) if message else raw.decode(errors="replace")
    except ValueError:
        text = raw.decode(errors="replace")
    return " ".join(text.split())[:300] or "no message"


def _tool_calls(message: dict[str, Any]) -> list[ToolCall]:
    """OpenAI-shaped tool calls as langchain-core's (a counselor model under test may answer
    with one; counselsim never offers tools, and flags such a reply)."""
    calls = []
    for call in message.get("tool_calls") or []:
        fn = call.get("function") if isinstance(call, dict) else None
        if not isinstance(fn, dict):
            continue
        try:
            args = json.loads(fn.get("arguments") or "{}")
        except ValueError:
            args = {}
        calls.append(
            ToolCall(
                name=str(fn.get("name") or ""),
                args=args if isinstance(args, dict) else {},
                id=call.get("id"),
            )
        )
    return calls


def _usage(data: dict[str, Any]) -> UsageMetadata | None:
    usage = data.get("usage")
    if not isinstance(usage, dict):
        return None
    prompt, completion = (
        int(usage.get("prompt_tokens") or 0),
        int(usage.get("completion_tokens") or 0),
    )
    return UsageMetadata(
        input_tokens=prompt, output_tokens=completion, total_tokens=prompt + completion
    )


def _result(raw: bytes, url: str) -> ChatResult:
    data = _load(raw, url)
    choice = data["choices"][0]
    meta: dict[str, Any] = {
        "finish_reason": choice.get("finish_reason"),
        "model_name": data.get("model"),
        "usage": data.get("usage") or {},
    }
    if choice.get("logprobs"):
        meta["logprobs"] = choice["logprobs"]
    message = choice.get("message") or {}
    msg = AIMessage(
        content=message.get("content") or "",
        response_metadata=meta,
        usage_metadata=_usage(data),
        tool_calls=_tool_calls(message),
    )
    return ChatResult(generations=[ChatGeneration(message=msg)])


def _chunk(raw: bytes, url: str) -> ChatGenerationChunk | None:
    """One server-sent event's delta; None for an event without a choice (a usage-only one)."""
    try:
        data = _json(raw)
    except ValueError:
        raise TransientModelError(f"{url}: a streamed event that is not JSON") from None
    if not isinstance(data, dict) or not data.get("choices"):
        return None
    choice = data["choices"][0]
    finish = choice.get("finish_reason")
    text = (choice.get("delta") or {}).get("content") or ""
    return ChatGenerationChunk(
        message=AIMessageChunk(
            content=text,
            response_metadata={"finish_reason": finish} if finish else {},
            usage_metadata=_usage(data),
        )
    )
