"""Prompt templates: every one renders in both languages, undefined variables are errors,
provenance hashes cover every file, and snapshots of what each agent actually sends.

The snapshots in ``tests/unit/snapshots/`` are committed files: a prompt change shows up as a
reviewable diff. A missing snapshot is a failure, never silently created. After an intended
prompt change, regenerate them explicitly and review the diff:

    .venv/bin/python -m tests.unit.test_prompts --update
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest
from jinja2 import Environment, PackageLoader, StrictUndefined, UndefinedError
from langchain_core.messages import BaseMessage

from counselsim.agents import AgentDeps, ClientAgent, CounselorAgent, ScribeAgent
from counselsim.agents.counselor import SessionContext
from counselsim.config import Engine, RunConfig
from counselsim.critic.form import Flag
from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import load_rubric
from counselsim.critic.session_judge import CriticAgent
from counselsim.critic.units import ScoreUnit, unit_turns
from counselsim.errors import ConfigError
from counselsim.labels import Emotion, NextAction, Stage, Strategy
from counselsim.llm.fake import ScriptedChatModel
from counselsim.llm.structured import LLM
from counselsim.memory.store import MemoryHit, MemoryKind
from counselsim.personas.models import ClientProfile
from counselsim.prompts import PromptLibrary
from counselsim.records import ClientTurn, CounselorThought, SessionPlan
from tests.conftest import counselor_turn

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "src" / "counselsim" / "prompts"
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
TEMPLATES = sorted(p.relative_to(PROMPTS_DIR).as_posix() for p in PROMPTS_DIR.rglob("*.j2"))
LANGS = ("zh", "en")

# --- a fixed context (independent of the example profile files) ---------------------------------

PROFILES = {
    "zh": ClientProfile.model_validate(
        {
            "id": "snap-zh",
            "language": "zh",
            "demographics": {
                "age_range": "18-22",
                "gender": "女",
                "occupation": "大学生",
                "family": "独生女",
            },
            "presenting_problem": "期末考试前整夜睡不着，担心挂科。",
            "relevant_history": "父母对成绩要求很高。",
            "core_beliefs": ["我只有成绩好才有价值"],
            "intermediate_beliefs": ["考不好父母就会失望"],
            "situations": [
                {
                    "situation": "复习时看不进去书",
                    "automatic_thoughts": ["我肯定要挂科了"],
                    "emotions": ["焦虑"],
                    "behaviors": ["刷手机"],
                }
            ],
            "emotions": ["焦虑", "羞愧"],
            "hidden": [{"content": "HIDDEN-FACT 偶尔想消失", "disclose_when": "被直接问到安全"}],
            "style": ["plain", "reserved"],
            "resistance": 3,
            "risk_flags": ["suicidal_ideation"],
            "attitude": "愿意试试",
        }
    ),
    "en": ClientProfile.model_validate(
        {
            "id": "snap-en",
            "language": "en",
            "demographics": {"age_range": "30-39", "gender": "male", "occupation": "engineer"},
            "presenting_problem": "Exhausted after months of overtime.",
            "core_beliefs": ["I am only worth something when useful"],
            "situations": [
                {
                    "situation": "his manager adds a project",
                    "automatic_thoughts": ["I can't refuse"],
                }
            ],
            "hidden": [
                {"content": "HIDDEN-FACT drinks to sleep", "disclose_when": "asked about sleep"}
            ],
            "style": ["verbose"],
            "resistance": 2,
            "risk_flags": [],
        }
    ),
}
PLAN = SessionPlan(
    stage=Stage.EXPLORATION,
    goals=["explore sleep", "name the worry"],
    approach="CBT",
    focus="what happens at night",
)
THOUGHT = CounselorThought(
    observation="OBS the client is tired",
    client_emotion=[Emotion.ANXIETY],
    strategy=[Strategy.REFLECTION],
    reasoning="REASON reflect first",
    next_action=NextAction.CONTINUE,
)
NOTES = ["Session 1 note: the client agreed to a sleep diary."]
LINES = {
    "zh": ["你好，这一周过得怎么样？", "还是睡不着，一想到考试就心慌。", "听起来这一周很辛苦。"],
    "en": [
        "Hi, how has this week been?",
        "Still not sleeping; exams make my heart race.",
        "That sounds like a hard week.",
    ],
}


def transcript(lang: str) -> list[Any]:
    a, b, c = LINES[lang]
    return [
        counselor_turn(0, a, emotion=(Emotion.NEUTRAL,)),
        ClientTurn(index=1, text=b, emotion=[Emotion.ANXIETY, Emotion.FEAR]),
        counselor_turn(2, c, strategy=(Strategy.REFLECTION,), action=NextAction.CLOSE),
    ]


MEMORIES = [
    MemoryHit(
        id="c:s1:event:0",
        session_index=1,
        kind=MemoryKind.EVENT,
        text="I agreed to keep a sleep diary.",
        distance=0.1,
    )
]

ANSWERS = {
    "counselor_plan": PLAN.model_dump_json(),
    "counselor_think": THOUGHT.model_dump_json(),
    "counselor_reply": json.dumps({"reply": "It sounds like nights are hard."}),
    "client_reply": json.dumps({"emotion": ["Anxiety"], "reply": "Yes, every night."}),
    "scribe_summary": json.dumps(
        {"summary": "The client talked about sleep.", "salient_events": ["kept a sleep diary"]}
    ),
    "critic_score": json.dumps(
        {
            k: {"rationale": "evidence", "score": 1}
            for k in ("empathy", "exploration", "strategy_fit", "client_realism", "safety")
        }
    ),
    "critic_judge": json.dumps(
        {
            k: {"rationale": "[T1] evidence", "score": 1}
            for k in ("crisis_recognised", "protocol_followed", "no_harmful_advice")
        }
    ),
}


def _deps(answers: list[str]) -> tuple[AgentDeps, ScriptedChatModel]:
    cfg = RunConfig()
    fake = ScriptedChatModel(script=answers)
    llm = LLM(fake, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=cfg.max_repairs)
    return AgentDeps(llm, PromptLibrary(), cfg.sampling, cfg.max_regenerations), fake


class NoMemory:
    """A MemoryStore the reply step must not touch (memories are passed in explicitly)."""

    def add(self, items: list[Any]) -> None:
        raise AssertionError("reply must not write memory")

    def search(self, course_id: str, query: str, k: int, before_session: int) -> list[MemoryHit]:
        raise AssertionError("reply must not search memory")

    def count(self, course_id: str) -> int:
        raise AssertionError("reply must not count memory")


async def agent_messages(step: str, lang: str) -> list[BaseMessage]:
    """The messages an agent really sends for ``step``, captured from a scripted model."""
    profile, turns = PROFILES[lang], transcript(lang)
    ctx = SessionContext(profile=profile, plan=PLAN, session_index=2, n_sessions=3, notes=NOTES)
    if step == "common_repair":  # the re-ask after an invalid answer
        deps, fake = _deps(["not json at all", ANSWERS["client_reply"]])
        await ClientAgent(deps, NoMemory(), memory_k=3).reply(profile, turns[:1], MEMORIES, 2, 0)
        return fake.calls[1].messages[-2:]
    if step == "common_regenerate":  # the feedback after a spoken turn failed a check
        label = {"zh": "咨询师：你好。", "en": "Counselor: hello there."}[lang]
        deps, fake = _deps([json.dumps({"reply": label}), ANSWERS["counselor_reply"]])
        await CounselorAgent(deps).reply(ctx, turns[:2], THOUGHT, seed=0)
        assert [len(c.messages) for c in fake.calls] == [2, 3]
        assert fake.calls[1].messages[:2] == fake.calls[0].messages
        return fake.calls[1].messages[-1:]
    deps, fake = _deps([ANSWERS[step]])
    if step == "counselor_plan":
        await CounselorAgent(deps).plan(profile, 2, 3, NOTES, seed=0)
    elif step == "counselor_think":
        await CounselorAgent(deps).think(ctx, turns[:2], exchanges_left=4, may_close=True, seed=0)
    elif step == "counselor_reply":
        await CounselorAgent(deps).reply(ctx, turns[:2], THOUGHT, seed=0)
    elif step == "client_reply":
        await ClientAgent(deps, NoMemory(), memory_k=3).reply(profile, turns[:1], MEMORIES, 2, 0)
    elif step == "scribe_summary":
        await ScribeAgent(deps).summarize(turns, lang, session_index=2, seed=0)
    elif step == "critic_score":
        await CriticAgent(deps, load_rubric("core")).score(profile, PLAN, turns, 2, seed=0)
    elif step == "critic_judge":  # the rubric judge (counselsim score) on the same session
        unit = ScoreUnit(id="snap", language=lang, turns=unit_turns(turns), profile=profile)
        await RubricJudge(deps, load_rubric("safety")).score(unit)
    else:  # pragma: no cover
        raise ValueError(step)
    assert len(fake.calls) == 1
    return fake.calls[0].messages


STEPS = [*ANSWERS, "common_repair", "common_regenerate"]


def snapshot_text(msgs: list[BaseMessage]) -> str:
    return "".join(f"=== {m.type} ===\n{m.content}\n" for m in msgs)


def snapshot_path(step: str, lang: str) -> Path:
    return SNAPSHOTS / f"{step}.{lang}.txt"


# --- snapshots ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("step", STEPS)
async def test_agent_prompt_matches_snapshot(step, lang):
    path = snapshot_path(step, lang)
    assert path.is_file(), (
        f"missing snapshot {path}: run `python -m tests.unit.test_prompts --update`"
    )
    got = snapshot_text(await agent_messages(step, lang))
    expected = path.read_text(encoding="utf-8")
    assert got == expected, f"{path.name} changed; review and regenerate with --update"


def test_no_stale_snapshots():
    expected = {snapshot_path(s, lang).name for s in STEPS for lang in LANGS}
    assert {p.name for p in SNAPSHOTS.glob("*.txt")} == expected


# --- what each role's prompt holds (independent of the snapshots) --------------------------------


@pytest.mark.parametrize("lang", LANGS)
async def test_client_prompt_holds_profile_and_memories_not_counselor_thoughts(lang):
    msgs = await agent_messages("client_reply", lang)
    text = "\n".join(str(m.content) for m in msgs)
    # a hidden fact is only in the prompt when the stance policy offers it, never in the
    # static system block (see test_stance.py)
    assert "HIDDEN-FACT" not in str(msgs[0].content)
    assert "I agreed to keep a sleep diary." in text
    assert "OBS" not in text and "REASON" not in text
    # the transcript so far sits in the user block, as labelled spoken lines
    assert [m.type for m in msgs] == ["system", "human"]
    speaker = {"zh": "咨询师", "en": "Counselor"}[lang]
    assert f"{speaker}: {LINES[lang][0]}" in str(msgs[1].content)
    assert LINES[lang][1] not in text  # only the turns so far


@pytest.mark.parametrize("lang", LANGS)
async def test_counselor_prompts_hold_intake_not_hidden_profile(lang):
    for step in ("counselor_plan", "counselor_think", "counselor_reply"):
        text = "\n".join(str(m.content) for m in await agent_messages(step, lang))
        assert PROFILES[lang].presenting_problem in text
        assert "HIDDEN-FACT" not in text
        assert PROFILES[lang].core_beliefs[0] not in text
    reply = "\n".join(str(m.content) for m in await agent_messages("counselor_reply", lang))
    assert "OBS the client is tired" in reply and "REASON reflect first" in reply


@pytest.mark.parametrize("lang", LANGS)
async def test_repair_prompt_carries_the_error(lang):
    bad, repair = await agent_messages("common_repair", lang)
    assert bad.type == "ai" and bad.content == "not json at all"
    assert "Expecting value" in str(repair.content)


# --- every template renders -----------------------------------------------------------------------


def full_context(lang: str) -> dict[str, Any]:
    profile = PROFILES[lang]
    from counselsim.agents.views import intake
    from counselsim.critic.units import unit_text

    return {
        "intake": intake(profile),
        "plan": PLAN.model_dump(mode="json"),
        "notes": NOTES,
        "session_index": 2,
        "n_sessions": 3,
        "strategies": [s.value for s in Strategy],
        "emotions": [e.value for e in Emotion],
        "stages": [s.value for s in Stage],
        "opening": False,
        "exchanges_left": 3,
        "may_close": True,
        "must_close": False,
        "thought": THOUGHT.model_dump(mode="json"),
        "profile": profile.model_dump(mode="json"),
        "memories": [{"session": 1, "text": "a memory"}],
        "stance": "deflect",
        "disclose": PROFILES[lang].hidden[0].model_dump(mode="json"),
        "rubric": load_rubric("core").model_dump(mode="json"),
        "dimensions": [
            {
                "name": d.name,
                "min": d.min,
                "max": d.max,
                "text": d.text(lang),
                "anchors": [(d.min, "low"), (d.max, "high")],
            }
            for d in load_rubric("core").dimensions
        ],
        "turn": True,  # rubric judge: one turn in context
        "target": "counselor",
        "phase": "pre",  # client self-report before the session
        "codes": [{"name": "question", "text": "asks"}],
        "principles": [{"id": "responsive", "text": "responds"}],
        "problems": ["asked two questions"],
        "first": LINES[lang][0],  # pairwise comparison: the two sessions
        "second": LINES[lang][1],
        "transcript": unit_text(unit_turns(transcript(lang)), lang, labelled=True),
        "error": "reply: Field required",
        "flags": [f.value for f in Flag],
        "previous": LINES[lang][0],
        "text": LINES[lang][1],  # extractor: the (masked) post or intake form
        "kind": "post",
        "risk_flags": ["suicidal_ideation", "self_harm"],
        "role": "client",  # reconstruction: the turn under check and the source turn
        "source": LINES[lang][2],
        "source_length": len(LINES[lang][2]),
        "feedback": "too long",
    }


def _env() -> Environment:
    return Environment(
        loader=PackageLoader("counselsim", "prompts"),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )


CJK = re.compile(r"[\u4e00-\u9fff]")


def test_templates_exist_for_both_languages():
    stems = {t.rsplit(".", 2)[0] for t in TEMPLATES}
    assert stems >= {
        "client/reply",
        "common/repair",
        "common/regenerate",
        "counselor/plan",
        "counselor/reply",
        "counselor/system",
        "counselor/think",
        "critic/score",
        "extractor/profile",
        "scribe/summary",
        "critic/turn_check",
        "critic/judge",
        "critic/self_report",
        "critic/code",
        "critic/checklist",
        "critic/compare",
        "reconstructor/client",
        "reconstructor/counselor",
    }
    assert set(TEMPLATES) == {f"{s}.{lang}.j2" for s in stems for lang in LANGS}


@pytest.mark.parametrize("template", TEMPLATES)
def test_every_template_renders(template):
    agent, rest = template.split("/")
    step, lang, _ = rest.split(".")
    ctx = full_context(lang)
    tpl = _env().get_template(template)
    if "system" in tpl.blocks:
        p = PromptLibrary().render(agent, step, lang, **ctx)
        assert p.name == template
        assert p.user, "empty user block"
        text = p.system + "\n" + p.user
    else:  # an include-only fragment (the counselor's system text)
        text = tpl.render(**ctx)
    assert text.strip()
    assert "{{" not in text and "{%" not in text
    assert "None" not in text  # no Python None leaking into a prompt
    if lang == "zh":
        assert CJK.search(text)
    else:
        assert not CJK.search(text.replace(ctx["transcript"], ""))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("step", ["plan", "think", "reply"])
def test_counselor_system_block_is_the_shared_system_template(step, lang):
    ctx = full_context(lang)
    system = _env().get_template(f"counselor/system.{lang}.j2").render(**ctx).strip()
    assert PromptLibrary().render("counselor", step, lang, **ctx).system == system


@pytest.mark.parametrize("lang", LANGS)
def test_think_variants(lang):
    lib, ctx = PromptLibrary(), full_context(lang)
    opening = lib.render("counselor", "think", lang, **ctx | {"opening": True}).user
    later = lib.render("counselor", "think", lang, **ctx).user
    closing = lib.render("counselor", "think", lang, **ctx | {"must_close": True}).user
    assert opening != later
    assert 'next_action must be "close"' in closing or 'next_action 必须是 "close"' in closing
    assert "close" in later and ("3 exchanges are left" in later or "还剩 3 轮" in later)
    early = lib.render("counselor", "think", lang, **ctx | {"may_close": False}).user
    assert 'next_action must be "continue"' in early or 'next_action 必须是 "continue"' in early


@pytest.mark.parametrize("lang", LANGS)
def test_reply_close_variants_depend_on_last_session(lang):
    lib, ctx = PromptLibrary(), full_context(lang)
    close = ctx["thought"] | {"next_action": "close"}
    mid = lib.render("counselor", "reply", lang, **ctx | {"thought": close}).user
    last = lib.render(
        "counselor", "reply", lang, **ctx | {"thought": close, "session_index": 3}
    ).user
    cont = lib.render("counselor", "reply", lang, **ctx).user
    assert mid != last and mid != cont
    assert ("meet next time" in mid) or ("约好下次再见" in mid)
    assert ("end the course" in last) or ("结束整个疗程" in last)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("flag", list(Flag))
def test_regenerate_feedback_explains_every_flag(flag, lang):
    user = (
        PromptLibrary()
        .render("common", "regenerate", lang, flags=[flag.value], previous="PREVIOUS")
        .user
    )
    assert "PREVIOUS" in user
    reason = user.split("\n")[1]
    assert len(reason) > 6, reason  # "Why: <reason>." / "原因：<reason>。"


@pytest.mark.parametrize("lang", LANGS)
async def test_regenerate_feedback_names_the_rejected_text_and_reason(lang):
    (feedback,) = await agent_messages("common_regenerate", lang)
    text = str(feedback.content)
    assert feedback.type == "human"
    assert ("Counselor: hello there." in text) or ("咨询师：你好。" in text)
    assert ("speaker labels" in text) or ("说话人标签" in text)


# --- StrictUndefined ------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(
    "agent,step,missing",
    [
        ("counselor", "think", "plan"),
        ("counselor", "plan", "intake"),
        ("client", "reply", "memories"),
        ("client", "reply", "stance"),
        ("critic", "score", "transcript"),
        ("scribe", "summary", "session_index"),
        ("common", "repair", "error"),
        ("counselor", "think", "transcript"),
        ("counselor", "reply", "thought"),
        ("common", "regenerate", "previous"),
    ],
)
def test_missing_variable_raises(agent, step, missing, lang):
    ctx = full_context(lang)
    PromptLibrary().render(agent, step, lang, **ctx)  # complete: fine
    del ctx[missing]
    with pytest.raises(UndefinedError, match=missing):
        PromptLibrary().render(agent, step, lang, **ctx)


def test_missing_attribute_raises():
    ctx = full_context("en")
    ctx["plan"] = {k: v for k, v in ctx["plan"].items() if k != "focus"}
    with pytest.raises(UndefinedError, match="focus"):
        PromptLibrary().render("counselor", "think", "en", **ctx)


def test_unknown_template_is_a_config_error():
    with pytest.raises(ConfigError, match=r"'counselor/think\.fr\.j2' not found"):
        PromptLibrary().render("counselor", "think", "fr", **full_context("en"))


# --- provenance hashes ----------------------------------------------------------------------------


def test_hashes_cover_every_template():
    hashes = PromptLibrary().hashes
    assert sorted(hashes) == TEMPLATES
    for name, digest in hashes.items():
        data = (PROMPTS_DIR / name).read_bytes()
        assert digest == hashlib.sha256(data).hexdigest()[:12]
    assert len(set(hashes.values())) == len(hashes)


# --- regenerating the snapshots (explicit, never from a test run) ---------------------------------


async def _update() -> None:
    SNAPSHOTS.mkdir(exist_ok=True)
    for step in STEPS:
        for lang in LANGS:
            snapshot_path(step, lang).write_text(
                snapshot_text(await agent_messages(step, lang)), encoding="utf-8"
            )
            print("wrote", snapshot_path(step, lang))


if __name__ == "__main__":
    if "--update" not in sys.argv:
        sys.exit("usage: python -m tests.unit.test_prompts --update")
    asyncio.run(_update())
