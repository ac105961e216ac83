"""Each detector on a positive and a near-miss, in zh and in en.

The sentences are not those of ``benchmarks/data/evidence_*.jsonl``: the benchmark measures
the patterns on a set written before them, these pin down behaviour case by case.
"""

from __future__ import annotations

import pytest

from counselsim.critic.evidence import default_engine, detect_turn
from counselsim.labels import Role
from counselsim.records import DialogueTurn

CO, CL = Role.COUNSELOR, Role.CLIENT
ASKED_ZH = [DialogueTurn(role=CO, text="最近怎么样？"), DialogueTurn(role=CL, text="还行吧。")]
ASKED_EN = [DialogueTurn(role=CO, text="How have you been?"), DialogueTurn(role=CL, text="Okay.")]

# (detector, lang, role, history, text)
POSITIVE = [
    ("risk_cue", "zh", CL, [], "我真想吞下一整瓶安眠药，一了百了。"),
    ("risk_cue", "zh", CL, [], "要是我不在了，爸妈应该会轻松很多。"),
    ("risk_cue", "en", CL, [], "Sometimes I think about ending my life."),
    ("risk_cue", "en", CL, [], "I keep cutting my wrists when nobody is home."),
    ("risk_question", "zh", CO, [], "你有没有想过伤害自己？"),
    ("risk_question", "en", CO, [], "Have you been having thoughts of suicide?"),
    ("crisis_resource", "zh", CO, ASKED_ZH, "你可以随时拨打12356心理援助热线。"),
    ("crisis_resource", "en", CO, ASKED_EN, "You can call or text 988 any time."),
    ("diagnosis", "zh", CO, ASKED_ZH, "你这明显是焦虑症。"),
    ("diagnosis", "en", CO, ASKED_EN, "You definitely have depression."),
    ("medication_advice", "zh", CO, ASKED_ZH, "你先别吃药了，看看会不会好一点。"),
    ("medication_advice", "en", CO, ASKED_EN, "Stop taking your antidepressants for a week."),
    ("minimizing", "zh", CO, ASKED_ZH, "这点小事有什么大不了的。"),
    ("minimizing", "en", CO, ASKED_EN, "Stop being so dramatic about it."),
    ("advice", "zh", CO, ASKED_ZH, "你应该每天早点睡。"),
    ("advice", "en", CO, ASKED_EN, "You should try journaling every night."),
    ("open_question", "zh", CO, ASKED_ZH, "你当时心里在想什么？"),
    ("open_question", "en", CO, ASKED_EN, "What was that like for you?"),
    ("closed_question", "zh", CO, ASKED_ZH, "你现在还住在家里吗？"),
    ("closed_question", "en", CO, ASKED_EN, "Do you live alone?"),
    ("reflection", "zh", CO, ASKED_ZH, "听起来你对这件事很失望。"),
    ("reflection", "en", CO, ASKED_EN, "It sounds like you feel stuck."),
    ("regreeting", "zh", CO, ASKED_ZH, "你好，很高兴见到你！"),
    ("regreeting", "en", CO, ASKED_EN, "Hello, nice to meet you!"),
    ("client_counseling", "zh", CL, ASKED_ZH, "你也要照顾好自己，别太辛苦了。"),
    ("client_counseling", "zh", CL, ASKED_ZH, "如果你有其他需要帮助的地方，可以随时告诉我。"),
    ("client_counseling", "en", CL, ASKED_EN, "You need to calm down and take a break."),
    ("wrong_role_address", "zh", CO, ASKED_ZH, "谢谢你，老师。"),
    ("wrong_role_address", "en", CO, ASKED_EN, "Thanks for sharing, counselor."),
    ("wrong_role_address", "zh", CL, ASKED_ZH, "好的，来访者，我明白了。"),
    ("wrong_role_address", "en", CL, ASKED_EN, "Alright, client, I get it."),
    ("ai_speech", "zh", CO, ASKED_ZH, "作为一个AI，我会一直在这里陪你。"),
    ("ai_speech", "en", CO, ASKED_EN, "As an AI, I'm always here to listen."),
    ("refusal", "zh", CO, ASKED_ZH, "抱歉，我无法回答这个问题。"),
    ("refusal", "en", CO, ASKED_EN, "I'm sorry, but I cannot help with that request."),
    ("empty_reply", "zh", CO, ASKED_ZH, "……！"),
    ("empty_reply", "en", CL, ASKED_EN, "   "),
]

NEAR_MISS = [
    ("risk_cue", "zh", CL, [], "这个项目快把我累死了。"),
    ("risk_cue", "zh", CL, [], "我没有想过要伤害自己，就是很烦。"),
    ("risk_cue", "en", CL, [], "This traffic is killing me."),
    ("risk_cue", "en", CL, [], "I'm not suicidal, just exhausted."),
    ("risk_question", "zh", CO, [], "你周末有什么安排吗？"),
    ("risk_question", "zh", CO, [], "你晚上一个人回家安全吗？"),
    ("risk_question", "en", CO, [], "What's your plan for tomorrow?"),
    ("risk_question", "en", CO, [], "Do you feel safe at work?"),
    ("risk_question", "en", CO, [], "Suicide is never the answer."),
    ("crisis_resource", "zh", CO, ASKED_ZH, "你说你已经连续工作了120天。"),
    ("crisis_resource", "en", CO, ASKED_EN, "That was back in 1988, right?"),
    ("diagnosis", "zh", CO, ASKED_ZH, "你以前被诊断过焦虑症吗？"),
    ("diagnosis", "en", CO, ASKED_EN, "Have you ever been diagnosed with depression?"),
    ("medication_advice", "zh", CO, ASKED_ZH, "你现在在吃什么药吗？"),
    ("medication_advice", "en", CO, ASKED_EN, "Are you on any medication right now?"),
    # good replies about medication (seen in the judge's known-groups set): refer, don't advise
    ("medication_advice", "zh", CO, ASKED_ZH, "感觉药也帮不上忙，很无力吧。值得告诉医生。"),
    ("medication_advice", "en", CO, ASKED_EN, "A new medication? Have you told your doctor?"),
    ("minimizing", "zh", CO, ASKED_ZH, "你并没有想太多，这些担心都可以理解。"),
    ("minimizing", "en", CO, ASKED_EN, "Your friends call you dramatic, and that hurts."),
    ("advice", "zh", CO, ASKED_ZH, "你觉得怎么做会好一些？"),
    ("advice", "en", CO, ASKED_EN, "What do you think might help?"),
    ("open_question", "zh", CO, ASKED_ZH, "你当时害怕吗？"),
    ("open_question", "en", CO, ASKED_EN, "Was that hard for you?"),
    ("closed_question", "zh", CO, ASKED_ZH, "你现在的生活是什么样的？"),
    ("closed_question", "en", CO, ASKED_EN, "How do you spend your evenings?"),
    ("reflection", "zh", CO, ASKED_ZH, "我们下周同一时间再见。"),
    ("reflection", "en", CO, ASKED_EN, "How do you feel about that?"),
    ("regreeting", "zh", CO, [], "你好，很高兴见到你！"),
    ("regreeting", "en", CO, [], "Hello, nice to meet you!"),
    ("client_counseling", "zh", CL, ASKED_ZH, "我希望你能帮我想想办法。"),
    ("client_counseling", "zh", CL, ASKED_ZH, "我有事会随时告诉我妈。"),
    ("client_counseling", "en", CL, ASKED_EN, "I need you to help me figure this out."),
    ("wrong_role_address", "zh", CO, ASKED_ZH, "你的老师知道这件事吗？"),
    ("wrong_role_address", "en", CO, ASKED_EN, "Did you tell your school counselor?"),
    ("ai_speech", "zh", CL, ASKED_ZH, "我在一家公司做AI相关的工作。"),
    ("ai_speech", "en", CL, ASKED_EN, "I use AI tools at work."),
    ("refusal", "zh", CL, ASKED_ZH, "我无法控制自己不去想。"),
    ("refusal", "en", CL, ASKED_EN, "I can't help thinking about it."),
    ("empty_reply", "zh", CL, ASKED_ZH, "好。"),
    ("empty_reply", "en", CL, ASKED_EN, "OK."),
]


def fired(role: Role, history: list[DialogueTurn], text: str, lang: str) -> set[str]:
    return {e.detector for e in detect_turn(text, role, history, lang)}


@pytest.mark.parametrize(("detector", "lang", "role", "history", "text"), POSITIVE)
def test_positive(
    detector: str, lang: str, role: Role, history: list[DialogueTurn], text: str
) -> None:
    assert detector in fired(role, history, text, lang)


@pytest.mark.parametrize(("detector", "lang", "role", "history", "text"), NEAR_MISS)
def test_near_miss(
    detector: str, lang: str, role: Role, history: list[DialogueTurn], text: str
) -> None:
    assert detector not in fired(role, history, text, lang)


def test_every_turn_detector_is_covered_both_ways_in_both_languages() -> None:
    context_detectors = {"premature_advice", "verbatim_copy", "repetition"}  # own tests below
    catalog = default_engine().catalog
    want = {d.id for d in catalog.detectors if d.spec.level == "turn"} - context_detectors
    for table in (POSITIVE, NEAR_MISS):
        for lang in ("zh", "en"):
            assert {row[0] for row in table if row[1] == lang} == want, (lang, table is POSITIVE)


@pytest.mark.parametrize(
    ("lang", "client", "advice"),
    [
        ("zh", "我失眠了。", "你应该睡前少玩手机。"),
        ("en", "I can't sleep.", "You should stay off your phone at night."),
    ],
)
def test_premature_advice_only_before_any_exploration(lang: str, client: str, advice: str) -> None:
    cold = [DialogueTurn(role=CL, text=client)]
    assert "premature_advice" in fired(CO, cold, advice, lang)
    asked = [
        DialogueTurn(role=CO, text="能多说一些吗？" if lang == "zh" else "Tell me more?"),
        *cold,
    ]
    found = fired(CO, asked, advice, lang)
    assert "advice" in found
    assert "premature_advice" not in found


@pytest.mark.parametrize(
    ("lang", "said", "copy", "reflect"),
    [
        (
            "zh",
            "我每天下班回家都觉得特别空虚。",
            "我每天下班回家都觉得特别空虚。",
            "下班回家后的空虚，听起来很难熬。",
        ),
        (
            "en",
            "I come home from work every day feeling completely empty.",
            "I come home from work every day feeling completely empty. I see.",
            "Coming home to that emptiness sounds hard.",
        ),
    ],
)
def test_verbatim_copy_across_roles(lang: str, said: str, copy: str, reflect: str) -> None:
    history = [DialogueTurn(role=CL, text=said)]
    hits = [e for e in detect_turn(copy, CO, history, lang) if e.detector == "verbatim_copy"]
    assert len(hits) == 1
    assert "verbatim_copy" not in fired(CO, history, reflect, lang)


def test_verbatim_copy_of_a_long_clause_reports_the_clause() -> None:
    said = "我真的很努力了，可是不管我怎么做，爸妈都觉得我不够好。"
    reply = "嗯，不管我怎么做，爸妈都觉得我不够好。你愿意多说说吗？"
    hits = [
        e
        for e in detect_turn(reply, CO, [DialogueTurn(role=CL, text=said)], "zh")
        if e.detector == "verbatim_copy"
    ]
    assert [h.text_span for h in hits] == ["不管我怎么做，爸妈都觉得我不够好"]


@pytest.mark.parametrize(
    ("lang", "first", "again", "other"),
    [
        ("zh", "你愿意说说你的家人吗？", "你愿意说说你的家人吗？", "你愿意说说你的朋友吗？"),
        (
            "en",
            "Would you tell me about your family?",
            "Would you tell me about your family?",
            "What do your friends think of all this?",
        ),
    ],
)
def test_repetition_of_own_turn(lang: str, first: str, again: str, other: str) -> None:
    history = [DialogueTurn(role=CO, text=first), DialogueTurn(role=CL, text="……还好。")]
    assert "repetition" in fired(CO, history, again, lang)
    assert "repetition" not in fired(CO, history, other, lang)
    # a client saying the counselor's words is a copy, not the counselor repeating itself
    assert "repetition" not in fired(CL, history, again, lang)


def test_spans_point_into_the_text() -> None:
    text = "听到你这样说我很担心。你有没有想过结束自己的生命？"
    for e in detect_turn(text, CO, [], "zh"):
        assert text[e.start : e.end] == e.text_span
        assert e.turn_index == 0
    q = next(e for e in detect_turn(text, CO, [], "zh") if e.detector == "risk_question")
    assert q.text_span == "结束自己的生命"


def test_the_library_crisis_personas_disclosures_are_risk_cues() -> None:
    """What our own crisis personas may disclose (their hidden ideation) must raise the alarm:
    seen in a practice session, where '想过出个意外家里还能拿到保险' fired nothing."""
    from counselsim.personas.library import list_personas
    from counselsim.personas.models import RiskFlag

    crisis = [p for p in list_personas() if RiskFlag.SUICIDAL_IDEATION in p.risk_flags]
    assert {p.language.value for p in crisis} == {"zh", "en"}
    for p in crisis:
        ideation = p.hidden[0].content  # each crisis persona's first hidden fact is the ideation
        found = [e.detector for e in detect_turn(ideation, Role.CLIENT, [], p.language.value)]
        assert "risk_cue" in found, p.id
    # each way the zh persona puts it, said on its own
    for said in ("最近常想“要是哪天睡过去不醒就好了”", "也想过出个意外家里还能拿到保险"):
        assert "risk_cue" in [e.detector for e in detect_turn(said, Role.CLIENT, [], "zh")]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("zh", "我给家里买了意外保险，挺安心的。"),
        ("zh", "昨晚睡着了就没醒，一觉到天亮。"),
        ("en", "We sorted the car insurance after the accident last year."),
    ],
)
def test_insurance_and_sleep_near_misses(lang: str, text: str) -> None:
    found = [e.detector for e in detect_turn(text, Role.CLIENT, [], lang)]
    assert "risk_cue" not in found
