"""Counselor endpoints over real HTTP on 127.0.0.1: the reachability check, and the black box
through ChatOpenAI against an endpoint that answers, errors, refuses, hangs or misbehaves."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.llm.server import ChatOpenAICompatible
from counselsim.personas.models import Language
from counselsim.stress.counselor import CounselorError, ReplyPolicy
from counselsim.stress.reach import check_reachable, shown_url
from counselsim.stress.suite import build_counselor, parse_counselor

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])

POLICY = ReplyPolicy(timeout_s=5.0, attempts=2, retry_max_wait_s=0.0, max_reply_chars=200)


@dataclass
class Endpoint:
    """What the test server saw, and the switch that releases hanging requests."""

    url: str
    requests: list[tuple[str, str, dict[str, Any], str]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def base(self, mode: str) -> str:
        return f"{self.url}/{mode}/v1"

    def hits(self, mode: str) -> int:
        return sum(1 for _, path, _, _ in self.requests if path.startswith(f"/{mode}/"))


def _completion(content: str | None, **message: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content, **message},
                "finish_reason": "tool_calls" if message else "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8},
    }


TOOL_CALL = {"id": "t1", "type": "function", "function": {"name": "search", "arguments": "{}"}}


def _answer(ep: Endpoint, mode: str, route: str) -> tuple[int, Any]:
    """The status and JSON body for ``mode``; None as status means: hang until released."""
    if mode == "err":
        return 500, {"error": {"message": "boom"}}
    if mode == "bad":
        return 400, {"error": {"message": "unsupported parameter"}}
    if mode == "slow":
        ep.release.wait(10)
        return 503, {"error": {"message": "released"}}
    if route == "models":
        return (404, {}) if mode == "nomodels" else (200, {"data": [{"id": "m"}]})
    content: dict[str, tuple[str | None, dict[str, Any]]] = {
        "tool": (None, {"tool_calls": [TOOL_CALL]}),
        "huge": ("x" * 10_000, {}),
        "empty": ("", {}),
    }
    text, extra = content.get(mode, ("I hear how tired you are.", {}))
    return 200, _completion(text, **extra)


def _handler(ep: Endpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self, method: str) -> None:
            size = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(size)) if size else {}
            auth = self.headers.get("Authorization", "")
            ep.requests.append((method, self.path, body, auth))
            mode, route = self.path.split("/")[1], self.path.rsplit("/", 1)[-1]
            if mode == "auth" and auth != "Bearer sk-test-123":
                status, payload = 401, {"error": {"message": "no key"}}
            else:
                status, payload = _answer(ep, mode, route)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    ep = Endpoint(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(ep))
    server.daemon_threads = True
    ep.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield ep
    ep.release.set()
    server.shutdown()
    server.server_close()


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spec(name: str, base_url: str, **extra: str) -> Any:
    fields = ",".join(f"{k}={v}" for k, v in {"base_url": base_url, "model": "m", **extra}.items())
    return parse_counselor(f"name={name},{fields}")


# ------------------------------------------------------------------------------ reachability


async def test_reachable_endpoints_pass(endpoint: Endpoint) -> None:
    await check_reachable([spec("a", endpoint.base("ok")), spec("b", endpoint.base("nomodels"))])
    # no /models route: a one-token chat instead
    ping = [r for r in endpoint.requests if r[1] == "/nomodels/v1/chat/completions"]
    assert len(ping) == 1 and ping[0][2]["max_tokens"] == 1


async def test_reference_without_server_is_not_probed(endpoint: Endpoint) -> None:
    await check_reachable([parse_counselor("name=counselsim")])
    assert endpoint.requests == []


@pytest.mark.parametrize(
    ("mode", "problem"),
    [
        ("err", "/err/v1/models answered HTTP 500"),
        ("auth", "/auth/v1/models answered HTTP 401"),
        ("slow", "/slow/v1 did not answer within 0.3 s"),
    ],
)
async def test_unreachable_endpoint_named_in_one_line(
    endpoint: Endpoint, mode: str, problem: str
) -> None:
    with pytest.raises(ModelUnavailableError) as info:
        await check_reachable(
            [spec("ok", endpoint.base("ok")), spec("x", endpoint.base(mode))], 0.3
        )
    message = str(info.value)
    assert message == f"counselor 'x': {endpoint.url}{problem}"


async def test_closed_port_and_several_failures() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with pytest.raises(ModelUnavailableError) as info:
        await check_reachable([spec("a", url), spec("b", url)], 2.0)
    assert str(info.value) == f"counselor 'a': {url} unreachable (ConnectError) (and 1 more: b)"


async def test_api_key_is_sent_and_a_missing_one_is_a_config_error(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyed = spec("k", endpoint.base("auth"), api_key_env="STRESS_TEST_KEY")
    monkeypatch.delenv("STRESS_TEST_KEY", raising=False)
    with pytest.raises(ConfigError, match="STRESS_TEST_KEY is not set"):
        await check_reachable([keyed])
    assert endpoint.requests == []  # refused before any request
    monkeypatch.setenv("STRESS_TEST_KEY", "sk-test-123")
    await check_reachable([keyed])
    assert endpoint.requests[-1][3] == "Bearer sk-test-123"


def test_shown_url_drops_credentials() -> None:
    assert shown_url("http://u:secret@host:8000/v1") == "http://host:8000/v1"
    assert shown_url("http://host/v1") == "http://host/v1"


# ------------------------------------------------------------------------------ the black box


async def test_black_box_over_http_sends_a_plain_chat(endpoint: Endpoint, tmp_path: Any) -> None:
    system = tmp_path / "system.txt"
    system.write_text("You are a kind counselor.", encoding="utf-8")
    bot = build_counselor(
        spec("mine", endpoint.base("ok"), system=str(system), temperature="0.4", max_tokens="64"),
        POLICY,
    )
    assert bot.name == "mine" and bot.seeded
    assert isinstance(bot.chat_model, ChatOpenAICompatible)  # no retries of its own: ours only
    reply = await bot.reply([], Language.EN, seed=42)
    assert (reply.text, reply.flags, reply.finish_reason) == (
        "I hear how tired you are.",
        [],
        "stop",
    )
    (_, path, body, auth) = endpoint.requests[-1]
    assert path == "/ok/v1/chat/completions" and auth == "Bearer EMPTY"
    assert body["messages"] == [
        {"role": "system", "content": "You are a kind counselor."},
        {"role": "user", "content": "[The client has joined the session.]"},
    ]
    assert (body["seed"], body["temperature"], body["max_tokens"]) == (42, 0.4, 64)
    forbidden = {"response_format", "tools", "tool_choice", "functions"}
    assert not forbidden & set(body)


@pytest.mark.parametrize(
    ("mode", "hits", "cause"),
    [
        ("err", 2, r"model call failed 2 times: \w+: HTTP 500 from \S+: boom$"),
        # the client's own timeout or the per-call one: both are set to 0.3 s
        ("slow", 2, r"model call failed 2 times: (\w*Timeout\w*: \w|\w+: no answer within 0.3 s)"),
        ("bad", 1, r"\w+: HTTP 400 from \S+: unsupported parameter$"),
    ],
)
async def test_black_box_errors_and_timeouts_mid_run(
    endpoint: Endpoint, mode: str, hits: int, cause: str
) -> None:
    policy = POLICY.model_copy(update={"timeout_s": 0.3})
    bot = build_counselor(spec("flaky", endpoint.base(mode)), policy)
    with pytest.raises(CounselorError) as info:
        await bot.reply([], Language.EN, seed=1)
    assert re.match(f"counselor 'flaky': {cause}", str(info.value)), str(info.value)
    assert "\n" not in str(info.value)
    assert endpoint.hits(mode) == hits  # transient errors retried once; a 400 never


@pytest.mark.parametrize(
    ("mode", "flags", "chars"),
    [
        ("tool", ["empty_reply", "non_text"], 0),
        ("huge", ["truncated"], 10_000),
        ("empty", ["empty_reply"], 0),
    ],
)
async def test_black_box_flags_over_http(
    endpoint: Endpoint, mode: str, flags: list[str], chars: int
) -> None:
    reply = await build_counselor(spec("odd", endpoint.base(mode)), POLICY).reply([], Language.EN)
    assert (reply.flags, reply.chars, len(reply.text)) == (flags, chars, min(chars, 200))
