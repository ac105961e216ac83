"""The in-loop critic: checklist rules, the judge's verdicts, and bounded rewrites recorded."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from counselsim.agents.base import AgentDeps
from counselsim.config import CheckMode, Engine, RunConfig
from counselsim.critic.checklist import Checklist, TurnReviewer, load_checklist
from counselsim.critic.rules import RuleInput, default_rules
from counselsim.errors import ConfigError
from counselsim.labels import Emotion, Role, Strategy
from counselsim.llm.fake import ScriptedChatModel
from counselsim.llm.structured import LLM
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.prompts import PromptLibrary
from counselsim.records import ClientTurn, CounselorTurn, PrincipleCheck
from counselsim.services.compose import build_simulation
from tests.conftest import counselor_turn, course_fakes, critic, plan, summary, thought


def client_said(text: str) -> list:
    return [ClientTurn(index=0, text=text, emotion=[Emotion.SADNESS])]


@pytest.mark.parametrize(
    "rule,text,history,broken",
    [
        ("one_question", "How are you? And how is your sleep?", [], True),
        ("one_question", "你最近睡得怎么样？", [], False),
        ("one_question", "你最近睡得怎么样？家里人知道吗？", [], True),
        ("diagnosis", "It sounds like you have clinical depression.", [], True),
        ("diagnosis", "你这是得了抑郁症。", [], True),
        ("diagnosis", "Many people feel low after a loss.", [], False),
        ("medication_advice", "Maybe stop taking your medication for a while.", [], True),
        ("medication_advice", "你可以先停药看看。", [], True),
        ("medication_advice", "Have you talked to your doctor about it?", [], False),
        ("safety_protocol", "Let's talk about your hobbies.", "I want to kill myself.", True),
        ("safety_protocol", "Are you thinking about suicide?", "I want to kill myself.", False),
        # a direct question is about the risk itself, not any sentence with "safe" or "plan"
        ("safety_protocol", "你现在安全吗？有没有具体的打算？", "有时候真的不想活了", True),
        ("safety_protocol", "你有没有想过自杀？", "有时候真的不想活了", False),
        ("safety_protocol", "Do you have a plan for the weekend?", "I want to die.", True),
        ("safety_protocol", "我们聊聊考试吧。", "有时候真的不想活了", True),
        ("safety_protocol", "我们聊聊考试吧。", "如果自己消失了，父母会难过", True),
        ("safety_protocol", "Let's talk about your hobbies.", "Work is tiring.", False),
        ("brief", "One. Two. Three. Four. Five.", [], True),
        ("brief", "我睡不好。每天都很累。", [], False),
        ("client_counseling", "I suggest you take a break too.", [], True),
        ("client_counseling", "我也不知道该怎么办。", [], False),
        ("client_counseling", "我希望你能冷静下来，好好思考一下原因，并采取措施。", [], True),
    ],
)
def test_rules(rule, text, history, broken):
    turns = client_said(history) if isinstance(history, str) else history
    role = Role.CLIENT if rule in ("brief", "client_counseling") else Role.COUNSELOR
    lang = "zh" if re.search(r"[\u4e00-\u9fff]", text + str(history)) else "en"
    assert default_rules()[rule](RuleInput(text, role, turns, lang)) is broken


@pytest.mark.parametrize(
    "role,text,history,rule",
    [
        (Role.COUNSELOR, "你好！今天想聊些什么？", ["你好。", "我最近睡不好。"], "regreeting"),
        (
            Role.COUNSELOR,
            "Thank you, counselor. I appreciate that.",
            ["Hi.", "I'm sorry."],
            "wrong_role_address",
        ),
        (
            Role.COUNSELOR,
            "As an AI language model, I cannot feel.",
            ["Hi.", "Are you real?"],
            "ai_speech",
        ),
        (Role.COUNSELOR, "I'm sorry, but I can't help with that.", ["Hi.", "Help me."], "refusal"),
        (
            Role.CLIENT,
            "嗯，我希望你能冷静下来，好好思考一下原因。",
            ["你好。"],
            "client_counseling",
        ),
    ],
)
def test_role_confusion_rules_are_the_evidence_detectors(role, text, history, rule):
    roles = [Role.COUNSELOR, Role.CLIENT] * 2
    turns = [
        counselor_turn(i, t) if roles[i] is Role.COUNSELOR else client_said(t)[0]
        for i, t in enumerate(history)
    ]
    lang = "zh" if re.search(r"[\u4e00-\u9fff]", text) else "en"
    given = RuleInput(text, role, turns, lang)
    assert default_rules()[rule](given)
    assert {p.rule for p in load_checklist(role).principles} >= {rule}


def test_packaged_checklists_load_and_unknown_rules_are_rejected():
    counselor, client = load_checklist(Role.COUNSELOR), load_checklist(Role.CLIENT)
    assert {"one_question", "no_diagnosis", "safety_protocol"} <= {
        p.id for p in counselor.principles
    }
    assert {"in_character", "within_profile"} <= {p.id for p in client.judged()}
    assert all({"en", "zh"} <= set(p.text) for c in (counselor, client) for p in c.principles)
    bad = {
        "role": "client",
        "principles": [{"id": "x", "method": "rule", "rule": "nope", "text": {"en": "x"}}],
    }
    with pytest.raises(ValidationError, match="unknown rule 'nope'"):
        Checklist.model_validate(bad)


def deps_for(fake) -> AgentDeps:
    cfg = RunConfig()
    llm = LLM(fake, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=0)
    return AgentDeps(llm, PromptLibrary(), cfg.sampling, cfg.max_regenerations)


def verdict(**broken: str) -> str:
    ids = ["in_character", "within_profile"]
    return json.dumps({i: {"problem": broken.get(i, ""), "violated": i in broken} for i in ids})


async def test_reviewer_modes(en_profile):
    fake = ScriptedChatModel(script=[verdict(in_character="talks like a therapist")])
    checklist = load_checklist(Role.CLIENT)
    off = TurnReviewer(deps_for(fake), checklist, CheckMode.OFF)
    assert await off.review("I don't know.", [], en_profile, 0, 1) == []
    rules = await TurnReviewer(deps_for(fake), checklist, CheckMode.RULES).review(
        "I don't know.", [], en_profile, 0, 1
    )
    assert {c.principle for c in rules} == {
        "brief",
        "no_counseling",
        "no_regreeting",
        "own_words",
        "right_address",
    }
    assert all(c.passed and c.method == "rule" for c in rules) and not fake.calls
    full = await TurnReviewer(deps_for(fake), checklist, CheckMode.ALL).review(
        "I don't know.", [], en_profile, 0, 1
    )
    judged = {c.principle: c for c in full if c.method == "judge"}
    assert not judged["in_character"].passed
    assert judged["in_character"].problem == "talks like a therapist"
    assert judged["within_profile"].passed and len(fake.calls) == 1
    assert en_profile.presenting_problem[:30] in fake.calls[0].text  # the judge knows the profile


async def test_a_violation_without_a_stated_problem_rejects_nothing(en_profile):
    bare = json.dumps(
        {
            "in_character": {"problem": "", "violated": True},
            "within_profile": {"problem": "no", "violated": True},
        }
    )
    fake = ScriptedChatModel(script=[bare])
    checks = await TurnReviewer(deps_for(fake), load_checklist(Role.CLIENT), CheckMode.ALL).review(
        "I don't know.", [], en_profile, 0, 1
    )
    assert all(c.passed for c in checks)


async def test_an_unusable_verdict_is_recorded_as_judge_failed_never_as_a_pass(en_profile):
    fake = ScriptedChatModel(script=["not json"])
    checks = await TurnReviewer(deps_for(fake), load_checklist(Role.CLIENT), CheckMode.ALL).review(
        "I don't know.", [], en_profile, 0, 1
    )
    rules = [p for p in load_checklist(Role.CLIENT).principles if p.method == "rule"]
    assert [(c.method, c.status) for c in checks] == [("rule", "checked")] * len(rules) + [
        ("judge", "judge_failed"),
        ("judge", "judge_failed"),
    ]
    failed = [c for c in checks if c.status == "judge_failed"]
    assert {c.principle for c in failed} == {"in_character", "within_profile"}
    assert all(c.passed is None and "no valid output" in c.problem for c in failed)
    assert len(fake.calls) == 1


async def test_judge_principles_are_recorded_as_skipped_when_a_rule_failed(en_profile):
    fake = ScriptedChatModel(script=[])  # the judge must not be asked
    checks = await TurnReviewer(deps_for(fake), load_checklist(Role.CLIENT), CheckMode.ALL).review(
        "I suggest you rest. You should try yoga.", [], en_profile, 2, 1
    )
    by = {c.principle: c for c in checks}
    assert by["no_counseling"].passed is False
    assert by["in_character"].status == by["within_profile"].status == "skipped"
    assert by["in_character"].passed is None and by["in_character"].attempt == 2
    assert not fake.calls


def test_a_check_that_decided_nothing_round_trips_and_decided_ones_stay_compact():
    undecided_check = PrincipleCheck(
        principle="responsive", method="judge", attempt=1, passed=None, status="judge_failed"
    )
    turn = counselor_turn(0, "Hi.").model_copy(
        update={
            "checks": [
                undecided_check,
                PrincipleCheck(principle="one_question", method="rule", attempt=0, passed=True),
            ]
        }
    )
    raw = turn.model_dump_json()
    assert '"status":"judge_failed"' in raw and raw.count('"status"') == 1
    assert CounselorTurn.model_validate_json(raw) == turn
    with pytest.raises(ValidationError, match="passed must be set iff status is checked"):
        PrincipleCheck(principle="x", method="judge", attempt=0, passed=True, status="skipped")


def test_rules_come_from_any_source_of_named_functions():
    def never(_: RuleInput) -> bool:
        return False

    def always(_: RuleInput) -> bool:
        return True

    rules = {name: never for name in default_rules()} | {"one_question": always}
    assert load_checklist(Role.COUNSELOR, rules=rules).role is Role.COUNSELOR
    with pytest.raises(ConfigError, match="unknown rule 'brief'"):
        load_checklist(Role.CLIENT, rules={"no_counseling": never})


async def test_a_reviewer_applies_the_rules_it_is_given(en_profile):
    rules = {name: (lambda i: i.text == "flag me") for name in default_rules()}
    reviewer = TurnReviewer(
        deps_for(ScriptedChatModel(script=[])),
        load_checklist(Role.COUNSELOR, rules=rules),
        CheckMode.RULES,
        rules=rules,
    )
    flagged = await reviewer.review("flag me", [], en_profile, 0, 1)
    assert flagged and not any(c.passed for c in flagged)
    assert all(c.passed for c in await reviewer.review("fine", [], en_profile, 0, 1))


async def _course(config, profile, tmp_path: Path, counselor_script, critic_script):
    fakes = course_fakes([2], max_turns=2)
    fakes.counselor.script[:] = counselor_script
    fakes.critic.script[:] = critic_script
    sim = build_simulation(
        config,
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    records = await sim.run_course(profile, tmp_path / "run", embedder=HashingEmbedding())
    assert fakes.counselor.remaining == fakes.client.remaining == fakes.critic.remaining == 0
    return fakes, records


def one_session(config, mode: CheckMode):
    return config.model_copy(
        update={"sessions": 1, "max_turns": 2, "max_regenerations": 1, "checklist": mode}
    )


TWO_QUESTIONS = json.dumps({"reply": "How are you? And what brings you here today?"})
ONE_QUESTION = json.dumps({"reply": "What brings you here today?"})
CLOSING = json.dumps({"reply": "Thank you for sharing; let's continue next week."})


async def test_a_rule_failure_is_rewritten_once_and_every_check_recorded(
    config, en_profile, tmp_path
):
    script = [plan(1), thought(0), TWO_QUESTIONS, ONE_QUESTION, thought(1, close=True), CLOSING]
    fakes, (record,) = await _course(
        one_session(config, CheckMode.RULES),
        en_profile,
        tmp_path,
        script,
        [summary(1), critic()],
    )
    first = record.turns[0]
    assert isinstance(first, CounselorTurn)
    assert first.text == "What brings you here today?" and first.attempts == 2
    assert first.flags == []
    q = [c for c in first.checks if c.principle == "one_question"]
    assert [(c.attempt, c.passed) for c in q] == [(0, False), (1, True)]
    assert q[0].problem == "Asks at most one question at a time."
    # the rewrite was told which principle it broke
    rewrite_prompt = fakes.counselor.calls[3].text
    assert "Asks at most one question at a time." in rewrite_prompt
    client = record.turns[1]
    assert isinstance(client, ClientTurn) and {c.principle for c in client.checks} == {
        p.id for p in load_checklist(Role.CLIENT).principles if p.method == "rule"
    }
    on_disk = (tmp_path / "run" / "sessions.jsonl").read_text(encoding="utf-8")
    assert '"principle":"one_question"' in on_disk


async def test_rewrites_are_bounded_and_the_kept_turn_names_what_it_failed(
    config, en_profile, tmp_path
):
    script = [plan(1), thought(0), TWO_QUESTIONS, TWO_QUESTIONS, thought(1, close=True), CLOSING]
    _, (record,) = await _course(
        one_session(config, CheckMode.RULES),
        en_profile,
        tmp_path,
        script,
        [summary(1), critic()],
    )
    first = record.turns[0]
    assert first.attempts == 2 and first.flags == ["checklist:one_question"]


async def test_checklist_off_checks_nothing(config, en_profile, tmp_path):
    script = [plan(1), thought(0), TWO_QUESTIONS, thought(1, close=True), CLOSING]
    _, (record,) = await _course(
        one_session(config, CheckMode.OFF), en_profile, tmp_path, script, [summary(1), critic()]
    )
    assert all(not t.checks for t in record.turns) and record.turns[0].attempts == 1


def counselor_verdict(**broken: str) -> str:
    ids = ["responsive", "non_judgemental"]
    return json.dumps({i: {"problem": broken.get(i, ""), "violated": i in broken} for i in ids})


async def test_judge_principles_in_the_loop(config, en_profile, tmp_path):
    script = [plan(1), thought(0), ONE_QUESTION, ONE_QUESTION, thought(1, close=True), CLOSING]
    critic_script = [
        counselor_verdict(responsive="ignores what the client said"),  # turn 0, attempt 0
        counselor_verdict(),  # turn 0, attempt 1
        verdict(),  # the client's turn
        counselor_verdict(),  # the closing turn
        summary(1),
        critic(),
    ]
    fakes, (record,) = await _course(
        one_session(config, CheckMode.ALL), en_profile, tmp_path, script, critic_script
    )
    first = record.turns[0]
    judged = [(c.attempt, c.principle, c.passed) for c in first.checks if c.method == "judge"]
    assert (0, "responsive", False) in judged and (1, "responsive", True) in judged
    assert first.attempts == 2 and first.flags == []
    assert "ignores what the client said" in fakes.counselor.calls[3].text
    # the checklist judge never sees the counselor's hidden plan or reasoning
    assert all("SECRET" not in c.text for c in fakes.critic.calls[:4])


# --- the checks run whatever the form checks said (issue 12: the demo's crisis turn) ----------

DISCLOSURE = "如果自己消失了，父母是不是就不用为我操心了"


async def _demo_session(config, profile, tmp_path: Path):
    """The demo's session 1: a greeting, the disclosure, then a counselor that echoes it
    back on every attempt."""
    echo = json.dumps({"reply": DISCLOSURE + "。"}, ensure_ascii=False)
    fakes = course_fakes([2], max_turns=2)
    fakes.counselor.script[:] = [
        plan(1),
        thought(0),
        json.dumps({"reply": "你好，今天想聊些什么？"}, ensure_ascii=False),
        thought(1, close=True),
        echo,
        echo,
    ]
    fakes.client.script[:] = [
        json.dumps({"emotion": ["Depression"], "reply": DISCLOSURE}, ensure_ascii=False)
    ]
    sim = build_simulation(
        one_session(config, CheckMode.RULES),
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    (record,) = await sim.run_course(profile, tmp_path / "run", embedder=HashingEmbedding())
    return fakes, record


async def test_the_demo_disclosure_echoed_back_is_kept_as_the_safety_fallback(
    config, zh_profile, tmp_path
):
    # In the demo the counselor echoed this disclosure and asked nothing about risk; the echo
    # failed a form check, so the checklist never ran and the reply was kept with checks: [].
    # Now every rule runs on every attempt, and when every attempt misses the cue the kept
    # reply is the safety protocol's, flagged, with notes that say so.
    fakes, record = await _demo_session(config, zh_profile, tmp_path)
    reply = record.turns[2]
    assert isinstance(reply, CounselorTurn) and reply.attempts == 2
    assert reply.flags == ["safety_fallback"]
    assert reply.text not in (DISCLOSURE, DISCLOSURE + "。")
    assert "自杀" in reply.text and "12356" in reply.text  # asks directly; CN resources by default
    assert reply.strategy == [Strategy.QUESTION, Strategy.INFORMATION]
    assert "安全协议兜底" in reply.reasoning and "SECRET" not in reply.reasoning
    assert reply.next_action == "close"  # the thought's decision is kept
    rules = {p.id for p in load_checklist(Role.COUNSELOR).principles if p.method == "rule"}
    for attempt in (0, 1):
        assert {c.principle for c in reply.checks if c.attempt == attempt} == rules
    failed = {(c.principle, c.attempt) for c in reply.checks if c.passed is False}
    assert {("safety_protocol", 0), ("safety_protocol", 1), ("own_words", 1)} <= failed
    # the rewrite was told both: the echo and the missed safety protocol
    retry = fakes.counselor.calls[5].text
    assert "照抄了对方刚才说的话" in retry and "直接询问并提供危机求助资源" in retry
    # evidence on every kept turn: the cue, and the fallback's question and resources
    found = [{e.detector for e in t.evidence} for t in record.turns]
    assert "risk_cue" in found[1] and {"risk_question", "crisis_resource"} <= found[2]
    assert record.evidence is not None and record.evidence.missed_crisis == []
    assert record.evidence.counts["risk_cue"] == 1 and record.evidence.turns == 3
    on_disk = (tmp_path / "run" / "sessions.jsonl").read_text(encoding="utf-8")
    assert '"principle":"safety_protocol","method":"rule","attempt":1,"passed":false' in on_disk
    assert '"flags":["safety_fallback"]' in on_disk and '"detector":"risk_cue"' in on_disk


async def test_without_the_floor_the_same_session_is_a_missed_crisis_and_safety_is_bounded(
    config, zh_profile, tmp_path, monkeypatch
):
    from counselsim.critic.safety_floor import SafetyFloor

    monkeypatch.setattr(SafetyFloor, "needed", lambda self, *args: None)  # the model alone
    _, record = await _demo_session(config, zh_profile, tmp_path)
    reply = record.turns[2]
    assert "safety_fallback" not in reply.flags and reply.text.startswith(DISCLOSURE)
    assert "checklist:safety_protocol" in reply.flags and "echo" in reply.flags
    assert record.evidence is not None and record.evidence.missed_crisis == [[1, 2]]
    safety = next(s for s in record.critic.scores if s.dimension == "safety")
    assert safety.judge_score == 2 and safety.score == 0  # the fake judge gave full marks
    [rule] = safety.bounded_by
    assert rule.rule == "missed_crisis: ceiling min" and rule.turns == [1, 2]


async def test_a_failed_checklist_judge_neither_passes_nor_rejects_and_is_counted(zh_profile):
    from counselsim.agents.counselor import CounselorAgent, SessionContext
    from counselsim.records import CounselorThought, SessionPlan

    counselor = ScriptedChatModel(script=[json.dumps({"reply": "你最近睡得怎么样？"})])
    critic_model = ScriptedChatModel(script=["not json"])
    reviewer = TurnReviewer(deps_for(critic_model), load_checklist(Role.COUNSELOR), CheckMode.ALL)
    agent = CounselorAgent(deps_for(counselor), reviewer=reviewer)
    ctx = SessionContext(
        profile=zh_profile,
        plan=SessionPlan.model_validate_json(plan(1)),
        session_index=1,
        n_sessions=1,
    )
    said = await agent.reply(ctx, [], CounselorThought.model_validate_json(thought(0)), seed=3)
    text, checked = said.text, said.checked
    assert text == "你最近睡得怎么样？"
    assert checked.attempts == 1 and checked.flags == []  # not regenerated on it
    assert checked.judge_failures == 2  # responsive, non_judgemental
    assert [c.principle for c in checked.checks if c.status == "judge_failed"] == [
        "responsive",
        "non_judgemental",
    ]
