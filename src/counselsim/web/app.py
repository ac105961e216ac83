"""The trainee's web page: a Starlette app over the practice service.

Why Starlette + uvicorn: the page is one static HTML/JS/CSS file set shipped as package data,
so there is no front-end build step; the client's reply is streamed as Server-Sent Events
through a plain ``StreamingResponse`` (no plugin); and it is the stack the project already
runs its simulated test server on. A chat framework (Chainlit) would bring its own session
model and front end, where the practice session already lives in a LangGraph checkpoint.

The API returns only the public models of :mod:`counselsim.practice.models`; the debrief
and the transcripts (which carry the stance and labels) open when the session has ended.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import resources
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import Route

from counselsim.errors import CounselsimError, PracticeError, ProfileError
from counselsim.practice.models import DoneEvent, Event, Formulation
from counselsim.practice.room import PracticeRoom
from counselsim.web.jobs import Jobs

MAX_BODY = 256 * 1024  # a request body larger than this is refused before it is parsed
STATIC = {"app.js": "text/javascript", "style.css": "text/css"}
STATUS = {"input": 400, "not_found": 404, "conflict": 409}
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StartBody(_Body):
    persona: str = Field(max_length=200)
    session: int | None = Field(default=None, ge=1, le=100)


class SayBody(_Body):
    text: str  # any length: the service refuses an unusable turn with a clear message
    seen: int | None = None
    hints: bool | None = None


class EndBody(_Body):
    closing: str = ""
    formulation: Formulation | None = None


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    return JSONResponse({"error": message, **extra}, status_code=status, headers=HEADERS)


async def _body(request: Request, model: type[BaseModel]) -> Any:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise PracticeError(f"request body over {MAX_BODY // 1024} KB")
    try:
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        raise PracticeError(f"invalid request: {where}: {first['msg']}") from None


def _json(model: BaseModel | list[Any]) -> JSONResponse:
    if isinstance(model, list):
        data = [m.model_dump(mode="json") for m in model]
        return JSONResponse(data, headers=HEADERS)
    return JSONResponse(model.model_dump(mode="json"), headers=HEADERS)


def sse(events: AsyncIterator[Event]) -> StreamingResponse:
    """Server-Sent Events, one per practice event (``event: <type>``, JSON ``data``)."""

    async def body() -> AsyncIterator[str]:
        async for event in events:
            yield f"event: {event.type}\ndata: {event.model_dump_json()}\n\n"

    headers = {**HEADERS, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


class TokenGuard(BaseHTTPMiddleware):
    """``/api`` needs the token (``Authorization: Bearer T`` or ``?token=T`` for downloads);
    the page and its static files carry nothing secret."""

    def __init__(self, app: Any, token: str) -> None:
        super().__init__(app)
        self.token = token.encode()

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if request.url.path.startswith("/api/"):
            header = request.headers.get("authorization", "")
            given = header.removeprefix("Bearer ").strip() or request.query_params.get("token", "")
            if not hmac.compare_digest(given.encode(), self.token):
                return _error(401, "a token is required: open the address the server printed")
        return await call_next(request)


class PracticeApi:
    """The page's endpoints (``/api/...``)."""

    def __init__(self, room: PracticeRoom) -> None:
        self.room = room
        self.jobs = Jobs()

    async def personas(self, request: Request) -> Response:
        return _json(self.room.personas())

    async def sessions(self, request: Request) -> Response:
        return _json(await self.room.sessions())

    async def start(self, request: Request) -> Response:
        body: StartBody = await _body(request, StartBody)
        session = await self.room.start(self.room.persona(body.persona), body.session)
        return _json(await session.view())

    async def view(self, request: Request) -> Response:
        session = await self.room.session(request.path_params["sid"])
        return _json(await session.view())

    async def say(self, request: Request) -> Response:
        body: SayBody = await _body(request, SayBody)
        sid = request.path_params["sid"]
        session = await self.room.session(sid)
        return sse(
            self.jobs.start(sid, await session.say(body.text, body.seen, body.hints)).follow()
        )

    async def retry(self, request: Request) -> Response:
        sid = request.path_params["sid"]
        session = await self.room.session(sid)
        return sse(self.jobs.start(sid, await session.retry()).follow())

    async def follow(self, request: Request) -> Response:
        """The running turn's events from its start (a reload or a second tab joins here)."""
        sid = request.path_params["sid"]
        job = self.jobs.running(sid)
        if job is not None:
            return sse(job.follow())
        session = await self.room.session(sid)

        async def idle() -> AsyncIterator[Event]:
            yield DoneEvent(status=await session.status())

        return sse(idle())

    async def formulation(self, request: Request) -> Response:
        """The trainee's draft: GET reads it, PUT replaces it."""
        session = await self.room.session(request.path_params["sid"])
        if request.method == "GET":
            return _json(self.room.store.formulation(session.id))
        body: Formulation = await _body(request, Formulation)
        await session.save_formulation(body)
        return _json(body)

    async def end(self, request: Request) -> Response:
        body: EndBody = await _body(request, EndBody)
        sid = request.path_params["sid"]
        session = await self.room.session(sid)
        return sse(self.jobs.start(sid, await session.end(body.closing, body.formulation)).follow())

    async def debrief(self, request: Request) -> Response:
        session = await self.room.session(request.path_params["sid"])
        return _json(await session.debrief())

    async def transcript(self, request: Request) -> Response:
        session = await self.room.session(request.path_params["sid"])
        await session.debrief()  # refuses before the end: the record carries hidden labels
        fmt = request.path_params["fmt"]
        path = self.room.store.transcript(session.id, fmt)
        if path is None:
            return _error(404, f"no {fmt} transcript")
        media = "application/x-ndjson" if fmt == "jsonl" else "text/markdown; charset=utf-8"
        return FileResponse(path, media_type=media, filename=path.name, headers=HEADERS)


async def page(request: Request) -> Response:
    """``/`` (the page) and ``/static/<file>``, read from the package."""
    name = request.path_params.get("name", "index.html")
    if name != "index.html" and name not in STATIC:
        return _error(404, "not found")
    text = (resources.files("counselsim.web") / "static" / name).read_text(encoding="utf-8")
    media = STATIC.get(name, "text/html")
    return Response(text, media_type=f"{media}; charset=utf-8", headers=HEADERS)


async def _on_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, PracticeError):
        return _error(STATUS.get(exc.kind, 400), str(exc))
    if isinstance(exc, ProfileError):
        return _error(404, str(exc))
    return _error(503, str(exc), retry=True)


def create_app(room: PracticeRoom, token: str | None = None) -> Starlette:
    """The page and its API over ``room``; with ``token``, the API requires it."""
    api = PracticeApi(room)
    sid = "/api/sessions/{sid}"
    routes = [
        Route("/", page),
        Route("/static/{name}", page),
        Route("/api/personas", api.personas),
        Route("/api/sessions", api.sessions, methods=["GET"]),
        Route("/api/sessions", api.start, methods=["POST"]),
        Route(sid, api.view),
        Route(f"{sid}/turns", api.say, methods=["POST"]),
        Route(f"{sid}/retry", api.retry, methods=["POST"]),
        Route(f"{sid}/stream", api.follow),
        Route(f"{sid}/formulation", api.formulation, methods=["GET", "PUT"]),
        Route(f"{sid}/end", api.end, methods=["POST"]),
        Route(f"{sid}/debrief", api.debrief),
        Route(sid + "/transcript.{fmt}", api.transcript),
    ]
    middleware = [Middleware(TokenGuard, token=token)] if token else []

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await api.jobs.close()

    return Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers={CounselsimError: _on_error},
        lifespan=lifespan,
        max_body_size=MAX_BODY,
    )
