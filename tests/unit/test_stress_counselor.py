"""The counselor under test is a black box: plain chat messages in, plain text and flags out."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import PrivateAttr

from counselsim.errors import ModelUnavailableError, TransientModelError
from counselsim.labels import Role
from counselsim.llm.fake import ScriptedChatModel
from counselsim.personas.models import Language
from counselsim.records import ClientTurn
from counselsim.stress.counselor import (
    BlackBoxCounselor,
    CounselorError,
    ReplyPolicy,
    chat_messages,
    inspect_reply,
)
from tests.conftest import counselor_turn

PROMPTS = Path(__file__).resolve().parents[2] / "src" / "counselsim" / "prompts"
FAST = ReplyPolicy(timeout_s=5.0, attempts=2, retry_max_wait_s=0.0, max_reply_chars=50)
SYSTEM = "You are Sam, a warm counselor."


def client(index: int, text: str) -> ClientTurn:
    return ClientTurn.model_validate(
        {"index": index, "text": text, "emotion": ["Sadness"], "role": "client"}
    )


class FixedMessage(BaseChatModel):
    """Answers every call with one given message (non-text content, tool calls)."""

    message: BaseMessage

    @property
    def _llm_type(self) -> str:
        return "test-fixed"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self.message)])


class Flaky(BaseChatModel):
    """Fails ``failures`` times (with ``error``, or by hanging), then answers 'fine'."""

    failures: int
    error: str = "transient"  # "transient", "fatal" or "hang"
    _calls: int = PrivateAttr(default=0)

    @property
    def _llm_type(self) -> str:
        return "test-flaky"

    def _generate(self, *args: Any, **kwargs: Any) -> ChatResult:
        raise NotImplementedError

    async def _agenerate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kw: Any
    ) -> ChatResult:
        self._calls += 1
        if self._calls <= self.failures:
            if self.error == "hang":
                await asyncio.sleep(60)
            if self.error == "fatal":
                raise ValueError("model refused the request\nwith a second line")
            raise TransientModelError("HTTP 503")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content="fine"))])


def _prompt_sentences() -> list[str]:
    """Plain sentences of counselsim's packaged prompt files (no template syntax)."""
    out = []
    for path in PROMPTS.rglob("*.j2"):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if len(line) >= 25 and not re.search(r"[{}%#]", line):
                out.append(line)
    return out


async def test_the_counselor_receives_an_ordinary_chat() -> None:
    fake = ScriptedChatModel(script=["Hello, what brings you here today?", "That sounds hard."])
    bot = BlackBoxCounselor("mine", fake, system_prompt=SYSTEM, seeded=True)
    first = await bot.reply([], Language.EN, seed=11)
    transcript = [
        counselor_turn(0, first.text),
        client(1, "I can't sleep."),
        client(2, "And work is awful."),
    ]
    second = await bot.reply(transcript, Language.EN, seed=12)

    assert (first.text, second.text) == ("Hello, what brings you here today?", "That sounds hard.")
    assert fake.calls[0].messages == [
        SystemMessage(content=SYSTEM),
        HumanMessage(content="[The client has joined the session.]"),
    ]
    assert fake.calls[1].messages == [
        SystemMessage(content=SYSTEM),
        HumanMessage(content="[The client has joined the session.]"),
        AIMessage(content="Hello, what brings you here today?"),
        HumanMessage(content="I can't sleep.\n\nAnd work is awful."),  # one user message
    ]
    # only the seed is sent: no schema, no response_format, no tools
    assert [c.kwargs for c in fake.calls] == [{"seed": 11}, {"seed": 12}]
    sent = "\n".join(c.text for c in fake.calls)
    leaked = [s for s in _prompt_sentences() if s in sent]
    assert not leaked and len(_prompt_sentences()) > 20
    assert "json" not in sent.lower() and "schema" not in sent.lower()


def test_chat_messages_without_system_prompt_client_first_and_zh() -> None:
    msgs = chat_messages([client(0, "你好")], Language.ZH)
    assert msgs == [HumanMessage(content="你好")]  # the client opened: no cue
    assert chat_messages([], Language.ZH) == [HumanMessage(content="[来访者已进入咨询室。]")]


def test_chat_messages_with_earlier_sessions() -> None:
    s1 = [counselor_turn(0, "Hi."), client(1, "Hi.")]
    s2 = [client(0, "I'm back.")]
    msgs = chat_messages(s2, Language.EN, earlier=[s1])
    assert [type(m).__name__ for m in msgs] == ["HumanMessage", "AIMessage", "HumanMessage"]
    assert msgs[0].content == "[The client has joined the session.]"
    assert msgs[2].content == "Hi.\n\n[Session 2: the client has joined.]\n\nI'm back."


def test_chat_messages_refuse_a_transcript_ending_with_the_counselor() -> None:
    with pytest.raises(ValueError, match="nothing to answer"):
        chat_messages([client(0, "x"), counselor_turn(1, "y")], Language.EN)


async def test_call_kwargs_and_unseeded_models() -> None:
    fake = ScriptedChatModel(script=["ok"])
    bot = BlackBoxCounselor("plain", fake, call_kwargs={"temperature": 0.2})
    await bot.reply([], Language.EN, seed=3)
    assert fake.calls[0].kwargs == {"temperature": 0.2}  # not seeded: no seed sent


@pytest.mark.parametrize(
    ("script", "text", "flags", "chars"),
    [
        ("   \n ", "", ["empty_reply"], 0),
        ("  I hear you.  ", "I hear you.", [], 11),
        ("x" * 5000, "x" * 50, ["truncated"], 5000),
    ],
)
async def test_reply_flags_for_text(script: str, text: str, flags: list[str], chars: int) -> None:
    bot = BlackBoxCounselor("c", ScriptedChatModel(script=[script]), policy=FAST)
    reply = await bot.reply([], Language.EN)
    assert (reply.text, reply.flags, reply.chars) == (text, flags, chars)


@pytest.mark.parametrize(
    ("message", "text", "flags"),
    [
        (
            AIMessage(content=[{"type": "text", "text": "Tell me more."}, {"type": "image"}]),
            "Tell me more.",
            ["non_text"],
        ),
        (
            AIMessage(content=[{"type": "image_url", "image_url": {}}]),
            "",
            ["empty_reply", "non_text"],
        ),
        (
            AIMessage(content="", tool_calls=[{"name": "search", "args": {}, "id": "1"}]),
            "",
            ["empty_reply", "non_text"],
        ),
    ],
)
async def test_reply_flags_for_non_text(message: BaseMessage, text: str, flags: list[str]) -> None:
    bot = BlackBoxCounselor("c", FixedMessage(message=message), policy=FAST)
    reply = await bot.reply([], Language.EN)
    assert (reply.text, reply.flags) == (text, flags)


def test_none_content_is_non_text() -> None:
    # LangChain's own pipeline cannot carry None content; a message that has it is still
    # inspected without a crash
    reply = inspect_reply(AIMessage.model_construct(content=None), 10)
    assert (reply.text, reply.flags) == ("", ["empty_reply", "non_text"])


async def test_transient_errors_are_retried_once_layer() -> None:
    flaky = Flaky(failures=1)
    reply = await BlackBoxCounselor("c", flaky, policy=FAST).reply([], Language.EN)
    assert reply.text == "fine" and flaky._calls == 2


@pytest.mark.parametrize(
    ("error", "calls", "cause"),
    [
        ("transient", 2, r"model call failed 2 times: TransientModelError: HTTP 503"),
        ("hang", 2, r"model call failed 2 times: TransientModelError: no answer within 0.05 s"),
        ("fatal", 1, r"ValueError: model refused the request with a second line"),
    ],
)
async def test_errors_after_retries_name_the_counselor(error: str, calls: int, cause: str) -> None:
    flaky = Flaky(failures=5, error=error)
    policy = FAST.model_copy(update={"timeout_s": 0.05})
    with pytest.raises(CounselorError) as info:
        await BlackBoxCounselor("bad-bot", flaky, policy=policy).reply([], Language.EN)
    assert isinstance(info.value, ModelUnavailableError)  # a typed, one-line user error
    message = str(info.value)
    assert message.startswith("counselor 'bad-bot': ") and "\n" not in message
    assert re.search(cause, message), message
    assert info.value.counselor == "bad-bot"
    assert flaky._calls == calls  # a fatal error is not retried


def test_turn_roles_are_what_the_chat_maps() -> None:
    assert counselor_turn(0, "x").role is Role.COUNSELOR and client(0, "y").role is Role.CLIENT
