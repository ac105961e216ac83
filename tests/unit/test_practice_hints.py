"""Coding trainee turns, hints, risk alerts, the debrief's comparisons, and the streamed
reply decoder."""

from __future__ import annotations

import json

import pytest

from counselsim.critic.evidence.safety import load_safety
from counselsim.errors import ConfigError
from counselsim.labels import Emotion, NextAction, Strategy
from counselsim.personas.library import get_persona
from counselsim.practice.coding import code_turn
from counselsim.practice.debrief import compare_formulation, hidden_facts, term_share
from counselsim.practice.hints import EvidenceHints, load_messages
from counselsim.practice.models import Formulation
from counselsim.practice.stream import ReplyText
from counselsim.records import ClientTurn, CounselorTurn, Turn


def human(index: int, text: str) -> CounselorTurn:
    return CounselorTurn(
        index=index,
        author="human",
        text=text,
        client_emotion=[],
        strategy=list(code_turn(text, "en").strategies),
        next_action=NextAction.CONTINUE,
    )


def client(index: int, text: str) -> ClientTurn:
    return ClientTurn(index=index, text=text, emotion=[Emotion.SADNESS])


def talk(*lines: str) -> list[Turn]:
    return [human(i, t) if i % 2 == 0 else client(i, t) for i, t in enumerate(lines)]


@pytest.mark.parametrize(
    ("text", "lang", "strategies", "question"),
    [
        ("What brings you here today?", "en", {Strategy.QUESTION}, "open"),
        ("Do you sleep well?", "en", {Strategy.QUESTION}, "closed"),
        ("Tell me more about that.", "en", {Strategy.QUESTION}, "open"),
        ("It sounds like you feel alone.", "en", {Strategy.REFLECTION}, None),
        ("So you're saying work got worse.", "en", {Strategy.RESTATEMENT}, None),
        ("You should try going for a walk.", "en", {Strategy.SUGGESTION}, None),
        ("That makes sense.", "en", {Strategy.AFFIRMATION}, None),
        ("Okay.", "en", {Strategy.OTHERS}, None),
        ("你能说说发生了什么吗？", "zh", {Strategy.QUESTION}, "open"),
        ("你睡得好吗？", "zh", {Strategy.QUESTION}, "closed"),
        ("听起来你很委屈。", "zh", {Strategy.REFLECTION}, None),
        ("我建议你每天散散步。", "zh", {Strategy.SUGGESTION}, None),
        ("这很正常。", "zh", {Strategy.AFFIRMATION}, None),
    ],
)
def test_a_trainee_turn_is_coded_from_its_words(text, lang, strategies, question):
    code = code_turn(text, lang)
    assert set(code.strategies) == strategies
    assert code.question == question
    assert code.advice == (Strategy.SUGGESTION in strategies)


def test_hints_name_the_strategy_the_question_form_and_premature_advice():
    hints = EvidenceHints()
    turns = talk("Do you work?", "Yes.", "You should try to sleep more.")
    got = {h.kind: h.text for h in hints.turn_hints(turns, "en")}
    assert got["strategy"] == "Your turn read as: suggestion."
    assert "Advice before exploration" in got["advice"]
    assert "question" not in got
    explored = talk(
        "What happened?", "A lot.", "It sounds like you feel lost.", "Yes.", "You could try rest."
    )
    assert "advice" not in {h.kind for h in hints.turn_hints(explored, "en")}
    assert hints.turn_hints([], "en") == []
    zh = EvidenceHints().turn_hints(
        [
            CounselorTurn(
                index=0,
                author="human",
                text="你睡得好吗？",
                client_emotion=[],
                strategy=[Strategy.QUESTION],
                next_action=NextAction.CONTINUE,
            )
        ],
        "zh",
    )
    assert zh[0].text == "你这一轮用的是：提问。" and "封闭式提问" in zh[1].text


def test_a_risk_cue_raises_an_alert_until_the_trainee_asks_about_it():
    hints = EvidenceHints()
    cue = talk("How are things?", "Sometimes I think everyone would be better off dead without me.")
    alert = hints.risk_alert(cue, "en")
    assert alert is not None and alert.client_turn == 1 and "better off dead" in alert.quote
    assert any("988" in r for r in alert.resources) and len(alert.protocol) == 4
    asked = [*cue, human(2, "Are you having thoughts of suicide?")]
    assert hints.risk_alert(asked, "en") is None
    zh = hints.risk_alert(talk("最近怎么样？", "有时候真不想活了。"), "zh")
    assert zh is not None and any("12356" in r for r in zh.resources)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_trainee_sees_the_crisis_resources_of_the_safety_floor(lang: str):
    messages = load_messages()[lang]
    safety = load_safety(lang)
    assert len(messages.crisis.resources) == len(safety.locales)
    for line, where in zip(messages.crisis.resources, safety.locales.values(), strict=True):
        assert where.resources in line and where.emergency in line
    assert messages.crisis.resources[-1].startswith(messages.elsewhere)


def test_checks_count_missed_crises_and_question_forms():
    hints = EvidenceHints()
    missed = talk(
        "How are you?",
        "I want to disappear.",
        "Do you work?",
        "Yes.",
        "What do you do?",
        "Nothing.",
    )
    got = hints.checks(missed, "en")
    assert got.risk_cues == [1] and got.missed_crisis == 1 and got.risk_questions == []
    assert (got.open_questions, got.closed_questions) == (2, 1)
    late = [*missed[:4], human(4, "Are you thinking about suicide?")]
    assert hints.checks(late, "en").missed_crisis == 0
    assert hints.checks(talk("Hi.", "I want to disappear."), "en").missed_crisis == 1


def test_a_crisis_file_replaces_the_resources_of_its_language(tmp_path):
    crisis = tmp_path / "crisis.yaml"
    crisis.write_text(
        "en: {text: Risk., protocol: [Ask directly.], resources: [Call 000]}\n", encoding="utf-8"
    )
    messages = load_messages(crisis)
    assert messages["en"].crisis.resources == ["Call 000"]
    assert messages["zh"].crisis == load_messages()["zh"].crisis
    crisis.write_text("fr: {text: x, protocol: [y], resources: [z]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="mapping of languages"):
        load_messages(crisis)
    crisis.write_text("en: {text: x, protocol: [], resources: [z]}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="protocol"):
        load_messages(crisis)


def test_hidden_facts_count_as_drawn_out_only_when_offered_and_said():
    profile = get_persona("en-crisis-risk")
    fact = profile.hidden[0].content
    turns = talk("Hi.", "Most days I wish I could go to sleep and not wake up.", "Mm.", "Yes.")
    said_unoffered = hidden_facts(profile, turns, [])
    assert not any(h.offered or h.uncovered for h in said_unoffered)
    offered = hidden_facts(profile, turns, [[1, 0]])
    assert offered[0].offered and offered[0].uncovered and offered[0].turn == 1
    assert offered[0].content == fact and not offered[1].offered
    vague = hidden_facts(profile, talk("Hi.", "I'm fine, really."), [[1, 0]])
    assert vague[0].offered and not vague[0].uncovered


def test_the_formulation_is_compared_field_by_field():
    profile = get_persona("en-crisis-risk")
    mine = Formulation(
        core_beliefs="I am failing my kids\neveryone is better off without me",
        emotions="guilty; exhausted",
        risk=["suicidal_ideation"],
    )
    fields = {f.field: f for f in compare_formulation(profile, mine)}
    assert list(fields) == [
        "presenting_problem",
        "core_beliefs",
        "intermediate_beliefs",
        "automatic_thoughts",
        "emotions",
        "risk",
    ]
    assert fields["core_beliefs"].matched == [True, True]
    assert fields["intermediate_beliefs"].matched == [False, False]
    assert fields["risk"].matched == [True] and fields["risk"].reference == ["suicidal_ideation"]
    emotions = dict(zip(fields["emotions"].reference, fields["emotions"].matched, strict=True))
    assert emotions["guilt"] and emotions["exhaustion"] and not emotions["loneliness"]
    assert term_share("我觉得自己很失败", "我常常觉得自己是个失败的人", "zh") > 0.5


def test_the_reply_decoder_follows_the_json_string_across_chunks():
    raw = json.dumps({"emotion": ["Sadness"], "reply": 'I said "no"\nthen 😀 left. 我累了'})
    for size in (1, 2, 3, 7):
        dec = ReplyText()
        text = "".join(dec.feed(raw[i : i + size]) for i in range(0, len(raw), size))
        assert text == 'I said "no"\nthen 😀 left. 我累了' and dec.done
    dec = ReplyText()
    assert dec.feed('{"emotion": ["Anxiety"], "rep') == ""
    assert dec.feed('ly": "Hi') == "Hi"
    assert dec.feed(' there", "x": "y"}') == " there" and dec.done
