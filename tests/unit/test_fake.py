"""The packaged fake chat models: scripted replies in order, every call recorded, no restart."""

from __future__ import annotations

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from counselsim.errors import ScriptExhaustedError
from counselsim.llm.fake import FunctionChatModel, RecordedCall, ScriptedChatModel


def test_replies_in_order_and_remaining_counts_down():
    fake = ScriptedChatModel(script=["one", "two", "three"])
    assert fake.remaining == 3
    got = []
    for expected_left in (2, 1, 0):
        got.append(fake.invoke([HumanMessage(content="q")]).content)
        assert fake.remaining == expected_left
    assert got == ["one", "two", "three"]


def test_returns_ai_messages():
    msg = ScriptedChatModel(script=["hello"]).invoke("hi")
    assert isinstance(msg, AIMessage) and msg.content == "hello"


def test_records_every_calls_messages_and_kwargs():
    fake = ScriptedChatModel(script=["a", "b"])
    first = [SystemMessage(content="sys"), HumanMessage(content="user 1")]
    fake.invoke(first, temperature=0.3, seed=5)
    fake.invoke([HumanMessage(content="user 2")], max_tokens=64)
    assert len(fake.calls) == 2
    assert all(isinstance(c, RecordedCall) for c in fake.calls)
    assert fake.calls[0].messages == first
    assert fake.calls[0].kwargs == {"temperature": 0.3, "seed": 5}
    assert fake.calls[1].kwargs == {"max_tokens": 64}
    assert fake.calls[0].text == "sys\nuser 1"
    assert fake.calls[1].text == "user 2"


def test_recorded_messages_are_a_copy():
    fake = ScriptedChatModel(script=["a"])
    msgs = [HumanMessage(content="x")]
    fake.invoke(msgs)
    msgs.append(HumanMessage(content="appended later"))
    assert len(fake.calls[0].messages) == 1


def test_exhausted_script_raises_and_never_restarts():
    fake = ScriptedChatModel(script=["only"])
    assert fake.invoke("q").content == "only"
    for _ in range(2):
        with pytest.raises(ScriptExhaustedError, match="called 2 times but scripted for 1"):
            fake.invoke("again")
    assert fake.remaining == 0
    # the failed calls were still recorded
    assert len(fake.calls) == 3


def test_empty_script_raises_on_first_call():
    fake = ScriptedChatModel(script=[])
    with pytest.raises(ScriptExhaustedError):
        fake.invoke("q")


async def test_async_invoke_uses_the_same_script():
    fake = ScriptedChatModel(script=["x", "y"])
    assert (await fake.ainvoke("q1")).content == "x"
    assert fake.invoke("q2").content == "y"
    with pytest.raises(ScriptExhaustedError):
        await fake.ainvoke("q3")
    assert [c.messages[0].content for c in fake.calls] == ["q1", "q2", "q3"]


def test_instances_do_not_share_state():
    a = ScriptedChatModel(script=["a1"])
    b = ScriptedChatModel(script=["b1", "b2"])
    a.invoke("q")
    assert a.remaining == 0 and b.remaining == 2
    assert len(a.calls) == 1 and b.calls == []


def test_function_model_answers_from_its_function():
    seen = []

    def fn(messages, kwargs):
        seen.append((list(messages), dict(kwargs)))
        last = str(messages[-1].content)
        return f"echo:{last.upper()}:{kwargs.get('temperature')}"

    fake = FunctionChatModel(fn=fn)
    assert fake.invoke("hello", temperature=0.5).content == "echo:HELLO:0.5"
    assert fake.invoke([HumanMessage(content="a"), HumanMessage(content="bye")]).content == (
        "echo:BYE:None"
    )
    assert len(seen) == 2 and len(fake.calls) == 2
    assert fake.calls[0].kwargs == {"temperature": 0.5}
    assert fake.calls[1].text == "a\nbye"


async def test_function_model_async_and_errors_propagate():
    def fn(messages, kwargs):
        if "boom" in str(messages[-1].content):
            raise RuntimeError("fn failed")
        return "fine"

    fake = FunctionChatModel(fn=fn)
    assert (await fake.ainvoke("ok")).content == "fine"
    with pytest.raises(RuntimeError, match="fn failed"):
        await fake.ainvoke("boom")
    assert len(fake.calls) == 2


def test_llm_type_names():
    assert ScriptedChatModel(script=[])._llm_type == "counselsim-scripted"
    assert FunctionChatModel(fn=lambda m, k: "")._llm_type == "counselsim-function"
