"""Issue 12 through the real graphs with fake models: role confusion regenerates turns, the
safety floor and placeholders in reconstruction, and evidence on every kept turn."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from counselsim.config import CheckMode
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.records import ClientTurn, CounselorTurn, Dialogue, SessionRecord
from counselsim.services.compose import build_simulation
from counselsim.services.reconstruct import run_reconstruction
from tests.conftest import course_fakes, plan, thought
from tests.graph.test_reconstruct import PHONE, Fakes


def _one_session(config: Any) -> Any:
    return config.model_copy(
        update={"sessions": 1, "max_turns": 2, "max_regenerations": 1, "checklist": CheckMode.RULES}
    )


def _said(reply: str, emotion: str | None = None) -> str:
    data: dict[str, Any] = {"reply": reply}
    if emotion:
        data = {"emotion": [emotion], **data}
    return json.dumps(data, ensure_ascii=False)


async def _course(config, profile, tmp_path: Path, counselor: list[str], client: list[str]):
    fakes = course_fakes([2], max_turns=2)
    fakes.counselor.script[:] = counselor
    fakes.client.script[:] = client
    sim = build_simulation(
        _one_session(config),
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    (record,) = await sim.run_course(profile, tmp_path / "run", embedder=HashingEmbedding())
    assert fakes.counselor.remaining == fakes.client.remaining == fakes.critic.remaining == 0
    return fakes, record


def _failed(turn: Any, attempt: int) -> set[str]:
    return {c.principle for c in turn.checks if c.attempt == attempt and c.passed is False}


async def test_session_3_client_counsels_and_counselor_copies_are_both_regenerated(
    config, zh_profile, tmp_path
):
    # demo session 3: the client advised the counselor, and the counselor copied it back
    advice = "我希望你能冷静下来，好好思考一下原因，并采取措施。"
    own = "我也说不清楚，最近晚上一直睡不好，脑子里乱糟糟的。"
    fakes, record = await _course(
        config,
        zh_profile,
        tmp_path,
        counselor=[
            plan(1),
            thought(0),
            _said("你好，今天想聊些什么？"),
            thought(1, close=True),
            _said("最近晚上一直睡不好，脑子里乱糟糟的。"),  # a copy of the client
            _said("听起来夜里很难熬，是从什么时候开始的？"),
        ],
        client=[_said(advice, "Anxiety"), _said(own, "Anxiety")],
    )
    client, reply = record.turns[1], record.turns[2]
    assert isinstance(client, ClientTurn) and client.text == own and client.attempts == 2
    assert _failed(client, 0) == {"no_counseling"} and not _failed(client, 1)
    assert isinstance(reply, CounselorTurn) and reply.attempts == 2 and not reply.flags
    assert _failed(reply, 0) == {"own_words"} and reply.text.startswith("听起来夜里")
    # each retry was told which principle its attempt broke
    assert "不给咨询师提建议" in fakes.client.calls[1].text
    assert "不照抄来访者刚说的话" in fakes.counselor.calls[5].text
    # evidence on every kept turn, and nothing left to count in the kept session
    assert all(isinstance(t.evidence, list) for t in record.turns)
    assert record.evidence is not None
    assert record.evidence.counts["client_counseling"] == 0
    assert record.evidence.counts["verbatim_copy"] == 0


async def _en_reply(config, profile, tmp_path: Path, *attempts: str):
    """An English session whose counselor answers the client's one turn with ``attempts``."""
    return await _course(
        config,
        profile,
        tmp_path,
        counselor=[
            plan(1),
            thought(0),
            _said("What would you like to talk about today?"),
            thought(1, close=True),
            *map(_said, attempts),
        ],
        client=[_said("Work has been a lot lately.", "Anxiety")],
    )


async def test_a_counselor_thanking_the_client_as_counselor_is_regenerated(
    config, en_profile, tmp_path
):
    # the English demo: "I'm sorry to hear that you're feeling this way, counselor" and the
    # counselor thanked the client as "counselor"
    fakes, record = await _en_reply(
        config,
        en_profile,
        tmp_path,
        "Thank you, counselor. I appreciate that.",
        "Thank you for saying that. What has this week been like?",
    )
    reply = record.turns[2]
    assert reply.attempts == 2 and _failed(reply, 0) == {"right_address"} and not reply.flags
    assert "never calls them counselor" in fakes.counselor.calls[5].text
    assert record.evidence is not None and record.evidence.counts["wrong_role_address"] == 0


async def test_a_role_confusion_that_persists_is_flagged_and_counted(
    config, en_profile, tmp_path, capsys
):
    as_ai = "As an AI language model, I cannot know how you feel."
    _, record = await _en_reply(config, en_profile, tmp_path, as_ai, as_ai)
    reply = record.turns[2]
    assert "checklist:no_ai_speech" in reply.flags
    assert [e.detector for e in reply.evidence if e.detector == "ai_speech"] == ["ai_speech"]
    assert record.evidence is not None and record.evidence.rates["ai_speech"] == round(100 / 3, 3)
    # simulate's table reports the rates too
    from counselsim.cli.run import _print_sessions

    _print_sessions([record], tmp_path)
    printed = " ".join(capsys.readouterr().out.split())
    assert "role confusion per 100 turns: ai_speech 33.3" in printed


# --- reconstruction -------------------------------------------------------------------------


def _source(*lines: tuple[str, str]) -> Dialogue:
    turns = [{"role": r, "text": t} for r, t in lines]
    return Dialogue.model_validate(
        {"id": "case_risk", "language": "zh", "source": "test", "turns": turns}
    )


async def _rebuild(config, profile, tmp_path: Path, source: Dialogue, fakes: Fakes):
    sim = build_simulation(
        config.model_copy(update={"max_refines": 1}),
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    result = await run_reconstruction(
        sim, [profile], [source], tmp_path / "out", embedder=HashingEmbedding()
    )
    return result.records[0]


def _counselor_fake(fakes: Fakes, replies: list[str]) -> list[str]:
    """The counselor's rewrites say ``replies`` in turn (the last one again when they run out)."""
    said: list[str] = []
    plain = fakes.counselor.fn

    def fn(messages: Any, kwargs: Any) -> str:
        if "stage" in str(messages[-1].content):
            return plain(messages, kwargs)
        out = json.loads(plain(messages, kwargs))
        out["reply"] = replies[min(len(said), len(replies) - 1)]
        said.append(out["reply"])
        return json.dumps(out, ensure_ascii=False)

    fakes.counselor.fn = fn  # type: ignore[method-assign]
    return said


async def test_a_source_risk_question_survives_as_a_risk_question(config, zh_profile, tmp_path):
    source = _source(("client", "最近总觉得很累。"), ("counselor", "你有没有想过自杀？"))
    fakes = Fakes()
    said = _counselor_fake(
        fakes, ["听起来你很累，可以试试放松训练。", "你有没有想过结束自己的生命？"]
    )
    record = await _rebuild(config, zh_profile, tmp_path, source, fakes)
    turn = record.turns[1]
    assert isinstance(turn, CounselorTurn) and turn.text == said[1] and turn.attempts == 2
    assert not turn.flags
    first = [c for c in turn.checks if c.attempt == 0]
    assert all(c.status == "skipped" for c in first)  # the judge not asked: a source check failed
    assert "原文直接询问了自杀或自伤" in fakes.counselor.calls[-1].text
    assert "risk_question" in {e.detector for e in turn.evidence}


async def test_a_lost_risk_question_falls_back_to_the_protocol_question(
    config, zh_profile, tmp_path
):
    source = _source(("client", "最近总觉得很累。"), ("counselor", "你有没有想过自杀？"))
    fakes = Fakes()
    _counselor_fake(fakes, ["听起来你很累，可以试试放松训练。"])
    record = await _rebuild(config, zh_profile, tmp_path, source, fakes)
    turn = record.turns[1]
    assert isinstance(turn, CounselorTurn) and turn.flags == ["safety_fallback"]
    assert "放松训练" not in turn.text and "自杀" in turn.text and "12356" in turn.text
    assert "原对话中咨询师在这里直接询问了自杀或自伤" in turn.observation
    assert "安全协议兜底" in turn.reasoning and [s.value for s in turn.strategy] == [
        "Question",
        "Information",
    ]


async def test_a_client_cue_in_the_rewrite_gets_the_safety_floor(config, zh_profile, tmp_path):
    source = _source(("client", "最近总觉得很累。"), ("counselor", "你最近睡得怎么样？"))
    fakes = Fakes(client_reply=lambda n: "有时候真的不想活了。")
    record = await _rebuild(config, zh_profile, tmp_path, source, fakes)
    cue, turn = record.turns
    assert "risk_cue" in {e.detector for e in cue.evidence}
    assert isinstance(turn, CounselorTurn) and turn.flags == ["safety_fallback"]
    assert "“不想活”" in turn.observation  # the cue it answers
    assert "来访者刚才流露了自杀或自伤的迹象" in fakes.counselor.calls[-1].text
    assert record.evidence is not None and record.evidence.missed_crisis == []


async def test_a_placeholder_is_never_kept(config, zh_profile, tmp_path):
    source = _source(
        ("client", f"我的电话是{PHONE}，我很紧张。"), ("counselor", "你最近睡得怎么样？")
    )
    fakes = Fakes(client_reply=lambda n: "你可以打[PHONE_1]找我，或者问[NAME_7]。")
    record = await _rebuild(config, zh_profile, tmp_path, source, fakes)
    client = record.turns[0]
    assert isinstance(client, ClientTurn)
    assert not re.search(r"\[[A-Z_]+_\d+\]", client.text)
    assert {"placeholder", "placeholder_filled"} <= set(client.flags)
    phone = re.search(r"\d{11}", client.text)
    assert phone and phone[0] != PHONE  # a surrogate of the source's number, never the number
    assert "某人" in client.text  # a placeholder the rewrite invented gets a plain word
    on_disk = (tmp_path / "out" / "sessions.jsonl").read_text(encoding="utf-8")
    assert "[PHONE_1]" not in on_disk and PHONE not in on_disk
    assert SessionRecord.model_validate_json(on_disk.splitlines()[0]) == record
