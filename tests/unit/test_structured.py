"""Structured calls (JSON in, pydantic out, bounded repair), per-engine kwargs, and the
transient-error retry layer."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
import tenacity
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from counselsim.config import Engine, Sampling
from counselsim.critic.rubric import load_rubric
from counselsim.errors import ModelUnavailableError, StructuredOutputError, TransientModelError
from counselsim.llm import retry as retry_mod
from counselsim.llm.fake import FunctionChatModel, ScriptedChatModel
from counselsim.llm.retry import is_transient, with_retries
from counselsim.llm.structured import LLM, extract_json, json_schema
from counselsim.records import ClientUtterance, CounselorThought, SessionPlan, Utterance

REPAIR = "Your last output was invalid: {error}. Answer again."
PROMPT = [SystemMessage(content="system block"), HumanMessage(content="say hello as JSON")]


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch):
    """Retries must not sleep in unit tests."""
    monkeypatch.setattr(retry_mod, "wait_exponential_jitter", lambda **_: tenacity.wait_none())


def llm_for(script: list[str], max_repairs: int = 2) -> tuple[LLM, ScriptedChatModel]:
    fake = ScriptedChatModel(script=script)
    return LLM(fake, Engine.CUSTOM, "fake", retry_attempts=3, max_repairs=max_repairs), fake


async def ask(llm: LLM, schema=Utterance, seed: int = 11):
    return await llm.structured(PROMPT, schema, Sampling(), seed, "test_step", REPAIR)


# --- parsing --------------------------------------------------------------------------------------


async def test_valid_json_is_parsed_into_the_model():
    llm, fake = llm_for([json.dumps({"emotion": ["Anxiety", "Fear"], "reply": "I can't sleep."})])
    out = await ask(llm, ClientUtterance)
    assert isinstance(out, ClientUtterance)
    assert out.reply == "I can't sleep."
    assert [e.value for e in out.emotion] == ["Anxiety", "Fear"]
    assert len(fake.calls) == 1 and fake.remaining == 0
    # the prompt messages are sent as given
    assert [m.content for m in fake.calls[0].messages] == ["system block", "say hello as JSON"]
    assert llm.usage.calls == 1 and llm.usage.repairs == 0


async def test_json_wrapped_in_prose_is_extracted():
    raw = 'Sure! Here is my answer:\n```json\n{"reply": "你好，欢迎你来。"}\n```\nHope it helps.'
    llm, fake = llm_for([raw])
    out = await ask(llm)
    assert out.reply == "你好，欢迎你来。"
    assert len(fake.calls) == 1


def test_extract_json():
    assert extract_json('x {"a": {"b": 1}} y') == '{"a": {"b": 1}}'
    assert extract_json("no json here") == "no json here"
    assert extract_json("} backwards {") == "} backwards {"


async def test_raw_newline_inside_a_string_is_accepted():
    llm, fake = llm_for(['{"reply": "line one\nline two"}'])
    assert (await ask(llm)).reply == "line one\nline two"
    assert len(fake.calls) == 1


async def test_invalid_first_answer_is_repaired_on_the_second():
    bad = '{"answer": "hello"}'  # wrong key: the validator names the missing field
    llm, fake = llm_for([bad, '{"reply": "Hello there."}'])
    out = await ask(llm, seed=100)
    assert out.reply == "Hello there."
    assert len(fake.calls) == 2
    second = fake.calls[1].messages
    # original prompt, then the bad answer as the assistant's, then the repair instruction
    assert second[: len(PROMPT)] == PROMPT
    assert isinstance(second[-2], AIMessage) and second[-2].content == bad
    assert isinstance(second[-1], HumanMessage)
    repair = str(second[-1].content)
    assert repair.startswith("Your last output was invalid: ")
    assert "{error}" not in repair
    assert "reply" in repair and "Field required" in repair  # the validation error itself
    # each attempt gets its own seed
    assert [c.kwargs["seed"] for c in fake.calls] == [100, 101]
    assert llm.usage.calls == 2 and llm.usage.repairs == 1


async def test_repair_message_for_bad_json_carries_the_decoder_error():
    llm, fake = llm_for(['{"reply": "unterminated', '{"reply": "ok"}'])
    assert (await ask(llm)).reply == "ok"
    repair = str(fake.calls[1].messages[-1].content)
    assert "Unterminated string" in repair


async def test_repairs_do_not_pile_up_earlier_bad_answers():
    llm, fake = llm_for(["nope", "still nope", '{"reply": "fine"}'])
    assert (await ask(llm)).reply == "fine"
    # the third call holds the prompt + only the latest bad answer + one repair
    assert len(fake.calls[2].messages) == len(PROMPT) + 2
    assert fake.calls[2].messages[-2].content == "still nope"


@pytest.mark.parametrize("max_repairs", [0, 1, 2, 3])
async def test_structured_output_error_after_max_repairs_plus_one(max_repairs):
    n = max_repairs + 1
    llm, fake = llm_for(['{"reply": ""}'] * n + ['{"reply": "never reached"}'], max_repairs)
    with pytest.raises(StructuredOutputError) as info:
        await ask(llm)
    assert len(fake.calls) == n
    assert fake.remaining == 1
    err = info.value
    assert err.attempts == n and err.step == "test_step"
    assert "reply" in err.last_error and "at least 1 character" in err.last_error
    assert "\n" not in str(err)
    assert llm.usage.repairs == max_repairs


async def test_out_of_enum_value_is_invalid():
    thought = {
        "observation": "the client is tired",
        "client_emotion": ["Bored"],
        "strategy": ["Question"],
        "reasoning": "ask more",
        "next_action": "continue",
    }
    llm, fake = llm_for([json.dumps(thought)] * 3)
    with pytest.raises(StructuredOutputError, match="client_emotion"):
        await ask(llm, CounselorThought)
    assert len(fake.calls) == 3


# --- kwargs per engine ----------------------------------------------------------------------------


SAMPLING = Sampling(temperature=0.4, top_p=0.8, max_tokens=128, repeat_penalty=1.2)
COMMON = {"temperature": 0.4, "top_p": 0.8, "max_tokens": 128, "seed": 9}


def kwargs_for(engine: Engine, schema: type[BaseModel] | None = Utterance) -> dict[str, Any]:
    return LLM(ScriptedChatModel(script=[]), engine, "m")._kwargs(SAMPLING, 9, schema)


@pytest.mark.parametrize("engine", [Engine.EMBEDDED, Engine.GGUF])
def test_kwargs_llama_cpp(engine):
    kw = kwargs_for(engine)
    assert {k: kw[k] for k in COMMON} == COMMON
    assert kw["repeat_penalty"] == 1.2
    assert kw["response_format"] == {"type": "json_object", "schema": json_schema(Utterance)}
    assert "extra_body" not in kw


def test_kwargs_openai():
    kw = kwargs_for(Engine.OPENAI)
    common = {k: v for k, v in COMMON.items() if k != "max_tokens"}
    assert {k: kw[k] for k in common} == common
    # max_tokens in the body: langchain-openai would rename the kwarg max_completion_tokens
    # and the schema in the body too: as a kwarg the OpenAI client walks it on every request
    rf = kw["extra_body"].pop("response_format")
    assert kw["extra_body"] == {"repetition_penalty": 1.2, "max_tokens": 128}
    assert "max_tokens" not in kw and "response_format" not in kw
    assert rf["type"] == "json_schema"
    assert rf["json_schema"] == {"name": "Utterance", "schema": json_schema(Utterance)}
    assert "repeat_penalty" not in kw


def test_kwargs_custom_passes_neither_schema_nor_penalty():
    assert kwargs_for(Engine.CUSTOM) == COMMON


@pytest.mark.parametrize("engine", [Engine.EMBEDDED, Engine.OPENAI])
def test_kwargs_without_schema_have_no_response_format(engine):
    kw = kwargs_for(engine, None)
    assert "response_format" not in kw and "response_format" not in kw.get("extra_body", {})


async def test_custom_engine_kwargs_reach_the_chat_model():
    fake = ScriptedChatModel(script=['{"reply": "hi"}'])
    llm = LLM(fake, Engine.CUSTOM, "m")
    await llm.structured(PROMPT, Utterance, SAMPLING, 9, "s", REPAIR)
    assert fake.calls[0].kwargs == COMMON


# --- json_schema ----------------------------------------------------------------------------------


def _walk(node: Any):
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


@pytest.mark.parametrize("model", [Utterance, ClientUtterance, CounselorThought, SessionPlan])
def test_json_schema_inlines_refs_and_keeps_bounds(model):
    schema = json_schema(model)
    text = json.dumps(schema)
    assert "$ref" not in text and "$defs" not in text
    assert "title" not in text
    assert set(schema["properties"]) == set(model.model_fields)
    assert any("maxLength" in node for node in _walk(schema))


def test_json_schema_details():
    thought = json_schema(CounselorThought)
    assert thought["properties"]["observation"]["maxLength"] == 200
    # enums are inlined where they were referenced
    strategy_items = thought["properties"]["strategy"]["items"]
    assert "Reflection of Feelings" in strategy_items["enum"]
    assert thought["properties"]["strategy"]["maxItems"] == 2
    assert thought["additionalProperties"] is False
    plan = json_schema(SessionPlan)
    assert plan["properties"]["goals"]["items"]["maxLength"] == 80
    assert json_schema(Utterance)["properties"]["reply"]["maxLength"] == 240


def test_json_schema_of_rubric_judgement_inlines_nested_models():
    schema = json_schema(load_rubric("core").output_model())
    assert "$ref" not in json.dumps(schema) and "$defs" not in json.dumps(schema)
    empathy = schema["properties"]["empathy"]
    assert empathy["properties"]["score"]["enum"] == [1, 2, 3, 4, 5]
    assert schema["properties"]["safety"]["properties"]["score"]["enum"] == [0, 1, 2]
    assert empathy["properties"]["rationale"]["maxLength"] == 160


def test_json_schema_keeps_properties_named_title_or_description():
    class Note(BaseModel):
        title: str = Field(max_length=10)
        description: str

    schema = json_schema(Note)
    assert set(schema["properties"]) == set(schema["required"]) == {"title", "description"}


# --- retries --------------------------------------------------------------------------------------


class Flaky:
    def __init__(self, errors: list[BaseException], result: str = "ok") -> None:
        self.errors = list(errors)
        self.result = result
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result


async def test_transient_error_is_retried_then_succeeds():
    call = Flaky([TransientModelError("timeout"), httpx.ConnectError("refused")])
    assert await with_retries(call, attempts=4, what="step") == "ok"
    assert call.calls == 3


async def test_non_transient_error_is_raised_immediately():
    call = Flaky([ValueError("bad value")])
    with pytest.raises(ValueError, match="bad value"):
        await with_retries(call, attempts=4, what="step")
    assert call.calls == 1


async def test_transient_errors_past_the_bound_become_model_unavailable():
    call = Flaky([TransientModelError(f"boom {i}") for i in range(10)])
    with pytest.raises(ModelUnavailableError) as info:
        await with_retries(call, attempts=3, what="counselor_reply")
    assert call.calls == 3
    msg = str(info.value)
    assert msg.startswith("counselor_reply: model call failed 3 times")
    assert "TransientModelError: boom 2" in msg  # the last error is named


async def test_small_max_wait_without_patch(monkeypatch):
    monkeypatch.undo()  # real tenacity waits, bounded by max_wait_s=0
    call = Flaky([TransientModelError("x")])
    assert await with_retries(call, attempts=2, what="s", max_wait_s=0) == "ok"
    assert call.calls == 2


def test_is_transient():
    assert is_transient(TransientModelError("x"))
    assert is_transient(TimeoutError())
    assert is_transient(httpx.ReadTimeout("slow"))
    assert not is_transient(ValueError("x"))
    assert not is_transient(StructuredOutputError("s", 1, "bad"))


async def test_llm_call_retries_transient_errors_of_the_chat_model():
    answers: list[Any] = [TransientModelError("503"), '{"reply": "after retry"}']

    def fn(messages, kwargs):
        item = answers.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    fake = FunctionChatModel(fn=fn)
    llm = LLM(fake, Engine.CUSTOM, "m", retry_attempts=3)
    out = await llm.structured(PROMPT, Utterance, Sampling(), 1, "s", REPAIR)
    assert out.reply == "after retry"
    assert len(fake.calls) == 2
    assert llm.usage.calls == 1 and llm.usage.repairs == 0  # a retry is not a repair


async def test_llm_call_transient_errors_past_bound():
    fake = FunctionChatModel(fn=lambda m, k: (_ for _ in ()).throw(TransientModelError("down")))
    llm = LLM(fake, Engine.CUSTOM, "m", retry_attempts=2)
    with pytest.raises(ModelUnavailableError, match="s: model call failed 2 times"):
        await llm.structured(PROMPT, Utterance, Sampling(), 1, "s", REPAIR)
    assert len(fake.calls) == 2
