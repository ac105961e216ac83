"""The simulated server's ASGI application (Starlette): routes, capacity slots and faults.

``POST /v1/chat/completions`` answers the way a vLLM server with ``capacity`` batch slots would,
without a model: each request holds a slot for ``latency_s + per_token_s * completion_tokens``
and the others queue for one; an injected failure is answered at once, without a slot.
``GET /health``, ``GET /v1/models`` and ``GET /sim/stats`` (the counters, for a benchmark whose
server runs in another process) complete the set. Errors are OpenAI-style JSON objects.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .content import complete, completion_object, draw_fault, error_object, request_key
from .stats import Ledger

__all__ = ["DropConnection", "SimApp", "SimOptions"]

log = logging.getLogger(__name__)

DropConnection = Callable[[Any], bool]
"""Closes the connection of a request's ``scope["client"]`` without a reply; False when there
is no such connection. The HTTP server provides it: ASGI has no message for it."""


@dataclass(frozen=True)
class SimOptions:
    """How the simulated server behaves (see :class:`~.server.SimServer` for each field).

    Raises:
        ValueError: a capacity below 1, a negative time, or a rate outside [0, 1].
    """

    latency_s: float = 0.0
    capacity: int = 8
    fail_rate: float = 0.0
    malformed_rate: float = 0.0
    seed: int = 0
    model: str = "sim"
    per_token_s: float = 0.0

    def __post_init__(self) -> None:
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        if self.latency_s < 0 or self.per_token_s < 0:
            raise ValueError("latency_s and per_token_s must not be negative")
        for label, rate in (("fail_rate", self.fail_rate), ("malformed_rate", self.malformed_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{label} must be in [0, 1]")


def _error(status: int, message: str, headers: Mapping[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_object(status, message), status_code=status, headers=headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 as OpenAI-style JSON."""
    assert isinstance(exc, HTTPException)
    return _error(exc.status_code, exc.detail, exc.headers)


class SimApp:
    """One run of the simulated server's application (its slots belong to one event loop).

    Args:
        options: capacity, timing, faults, seed and model id.
        ledger: where requests and answers are counted (kept across runs by the caller).
        drop: how to close a request's connection without a reply.
    """

    def __init__(self, options: SimOptions, ledger: Ledger, drop: DropConnection) -> None:
        self.options = options
        self.ledger = ledger
        self._drop = drop
        self._slots = asyncio.Semaphore(options.capacity)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._requests: set[asyncio.Task[Any]] = set()
        self._abandoned = False
        self.asgi = Starlette(
            routes=[
                Route("/health", self._health, methods=["GET"]),
                Route("/v1/models", self._models, methods=["GET"]),
                Route("/sim/stats", self._stats, methods=["GET"]),
                Route("/v1/chat/completions", self._chat, methods=["POST"]),
            ],
            exception_handlers={HTTPException: _http_error},
        )

    async def _health(self, request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def _models(self, request: Request) -> Response:
        card = {"id": self.options.model, "object": "model", "created": 0, "owned_by": "simserver"}
        return JSONResponse({"object": "list", "data": [card]})

    async def _stats(self, request: Request) -> Response:
        return JSONResponse(self.ledger.snapshot().counters())

    def abandon(self) -> None:
        """End every request being served or queued by closing its connection without a reply,
        as a server going away does (stop() then need not wait for them). Any thread."""
        self._abandoned = True
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._cancel_requests)

    def _cancel_requests(self) -> None:
        for task in self._requests:
            task.cancel()

    async def _chat(self, request: Request) -> Response:
        task = asyncio.current_task()
        assert task is not None
        self._loop = asyncio.get_running_loop()
        self._requests.add(task)
        try:
            if self._abandoned:
                return await self._hang_up(request)
            return await self._complete(request)
        except asyncio.CancelledError:
            if not self._abandoned:
                raise
            return await self._hang_up(request)  # abandon() cancelled it: ours to end
        except Exception:  # a bug in the simulator: visible in the log and the stats
            log.exception("simserver: unexpected error")
            self.ledger.bump(errors=1)
            return _error(500, "simserver internal error")
        finally:
            self._requests.discard(task)

    async def _complete(self, request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self.ledger.bump(rejected=1)
            return _error(400, "expected a JSON body with messages")
        if body.get("stream"):
            self.ledger.bump(rejected=1)
            return _error(400, "streaming is not simulated")
        opts = self.options
        key = request_key(body)
        nth = self.ledger.arrive(body, key)
        kind, faults = draw_fault(opts.seed, key, nth, opts.fail_rate)
        if kind is not None:
            self.ledger.fault(kind)
            return await self._fail(request, kind)
        done = complete(body, opts.seed, key, faults, opts.malformed_rate)
        await self._hold_slot(opts.latency_s + opts.per_token_s * done.completion_tokens)
        self.ledger.bump(  # before sending: a client that has the answer sees it counted
            completed=1,
            malformed_injected=int(done.malformed),
            prompt_tokens=done.prompt_tokens,
            completion_tokens=done.completion_tokens,
        )
        return JSONResponse(completion_object(body, key, opts.seed, opts.model, done))

    async def _fail(self, request: Request, kind: str) -> Response:
        """An injected failure: an error status, or the connection closed without a reply."""
        if kind == "drop":
            return await self._hang_up(request)
        status = int(kind)
        retry = {"Retry-After": "0"} if status == 429 else None
        return _error(status, "injected failure", retry)

    async def _hang_up(self, request: Request) -> Response:
        """Close the request's connection without a reply."""
        dropped = self._drop(request.scope.get("client"))
        if not dropped and not await request.is_disconnected():
            raise RuntimeError("no connection to drop")
        # Wait until the server has seen the connection go: the response below is then
        # discarded instead of being written to a closed transport (or counted as a 500).
        while (await request.receive())["type"] != "http.disconnect":
            pass
        return Response(status_code=500)

    async def _hold_slot(self, seconds: float) -> None:
        """Hold one of the ``capacity`` slots for ``seconds``, queueing while none is free."""
        queued = self._slots.locked()
        if queued:
            self.ledger.bump(waiting=1)
        try:
            await self._slots.acquire()
        finally:
            if queued:
                self.ledger.bump(waiting=-1)
        self.ledger.bump(in_flight=1)
        try:
            await asyncio.sleep(seconds)
        finally:
            self.ledger.bump(in_flight=-1)
            self._slots.release()
