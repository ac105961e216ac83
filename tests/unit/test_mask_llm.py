"""The LLM layer: a schema-constrained structured call through the project's LLM wrapper,
whose findings are accepted only when they occur literally, are no placeholder and are not
clinical content. Scripted fake models only; nothing leaves the machine."""

from __future__ import annotations

import json

from counselsim.agents.base import AgentDeps
from counselsim.config import Engine, RunConfig
from counselsim.llm.fake import ScriptedChatModel
from counselsim.llm.structured import LLM
from counselsim.privacy import (
    DetectedIdentifiers,
    EntityType,
    Masker,
    is_protected,
    llm_spans,
)
from counselsim.prompts import PromptLibrary


def answer(*items: tuple[str, str]) -> str:
    return json.dumps({"identifiers": [{"text": t, "type": k} for t, k in items]})


def make_llm(*script: str, engine: Engine = Engine.CUSTOM) -> tuple[LLM, ScriptedChatModel]:
    fake = ScriptedChatModel(script=list(script))
    return LLM(fake, engine, "fake", retry_attempts=1, max_repairs=1), fake


async def test_literal_findings_become_spans_and_the_rest_is_dropped():
    text = "[NAME_1]说她的邻居阿毛又来了，阿毛住在[ADDRESS_1]。我妈妈很担心，我17岁，在北京。"
    llm, fake = make_llm(
        answer(
            ("阿毛", "NAME"),  # missed by the rules: accepted, both occurrences
            ("[NAME_1]", "NAME"),  # a placeholder
            ("小红", "NAME"),  # not in the text
            ("妈妈", "NAME"),  # a relative
            ("17岁", "DATE"),  # an age
            ("北京", "ADDRESS"),  # a city
        )
    )
    spans = await llm_spans(llm, text, "zh")
    assert [(s.type, s.text) for s in spans] == [(EntityType.NAME, "阿毛")] * 2
    assert all(text[s.start : s.end] == s.text for s in spans)
    call = fake.calls[0]
    assert text in call.text
    assert "NAME" in str(call.messages[0].content) and "妈妈" in str(call.messages[0].content)


async def test_english_prompt_and_schema_constrained_output():
    text = "Client: my neighbour Bobby Tables lives next door. Mom is worried."
    llm, fake = make_llm(answer(("Bobby Tables", "NAME"), ("Mom", "NAME")), engine=Engine.OPENAI)
    spans = await llm_spans(llm, text, "en")
    assert [s.text for s in spans] == ["Bobby Tables"]
    kwargs = fake.calls[0].kwargs
    fmt = kwargs["extra_body"]["response_format"]  # in the body, as sent
    assert fmt["type"] == "json_schema"
    assert fmt["json_schema"]["name"] == DetectedIdentifiers.__name__
    assert "identifiers" in fmt["json_schema"]["schema"]["properties"]
    assert "privacy" in str(fake.calls[0].messages[0].content)


async def test_invalid_answer_is_repaired_through_the_structured_layer():
    llm, fake = make_llm("not json", answer(("阿毛", "NAME")))
    spans = await llm_spans(llm, "邻居阿毛来了", "zh")
    assert [s.text for s in spans] == ["阿毛"]
    assert len(fake.calls) == 2 and llm.usage.repairs == 1


async def test_unknown_type_is_invalid_and_repaired():
    llm, _ = make_llm(answer(("阿毛", "PET")), answer(("阿毛", "NAME")))
    spans = await llm_spans(llm, "邻居阿毛来了", "zh")
    assert [s.type for s in spans] == [EntityType.NAME]


async def test_agent_deps_are_accepted():
    fake = ScriptedChatModel(script=[answer(("阿毛", "NAME"))])
    cfg = RunConfig()
    deps = AgentDeps(LLM(fake, Engine.CUSTOM, "fake"), PromptLibrary(), cfg.sampling)
    spans = await llm_spans(deps, "邻居阿毛来了", "zh")
    assert [s.text for s in spans] == ["阿毛"]


async def test_masker_amask_shows_the_model_only_premasked_text():
    text = "我的电话是13812345678，邻居阿毛总来敲门，阿毛很吵。"
    llm, fake = make_llm(answer(("阿毛", "NAME"), ("13812345678", "PHONE")))
    masker = Masker()
    result = await masker.amask(text, llm)
    assert result.text == "我的电话是[PHONE_1]，邻居[NAME_1]总来敲门，[NAME_1]很吵。"
    assert "13812345678" not in fake.calls[0].text  # the model saw the placeholder
    assert all(text[s.start : s.end] == s.text for s in result.spans)
    # the Masker remembers: a later text of the record is masked without the model
    assert masker("阿毛今天没来。").text == "[NAME_1]今天没来。"


async def test_amask_with_surrogates():
    llm, _ = make_llm(answer(("阿毛", "NAME")))
    result = await Masker(surrogates=True, seed=1).amask("邻居阿毛来了。", llm, "zh")
    assert "阿毛" not in result.text and result.text.startswith("邻居")


def test_protected_content():
    for word in (
        "妈妈",
        "Mom",
        "my father",
        "17岁",
        "34",
        "北京",
        "Boston",
        "周一",
        "三月",
        "焦虑",
    ):
        assert is_protected(word), word
    for word in ("阿毛", "王芳", "Bobby"):
        assert not is_protected(word), word


async def test_amask_premasks_identifiers_known_from_earlier_texts():
    masker = Masker()
    masker("我叫王芳，今年20岁。")
    llm, fake = make_llm(answer(("阿毛", "NAME")))
    result = await masker.amask("后来王芳说邻居阿毛来了。", llm)
    assert "王芳" not in fake.calls[0].text
    assert result.text == "后来[NAME_1]说邻居[NAME_2]来了。"
