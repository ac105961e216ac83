"""The practice graph over fakes: the trainee's interrupt, resume in a new process, streaming,
hidden facts, memory across sessions, a model failing mid-reply, and the record's schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from counselsim.errors import PracticeError
from counselsim.llm.fake import FunctionChatModel
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.personas.library import get_persona
from counselsim.practice.models import SessionStatus
from counselsim.practice.room import PracticeOptions, PracticeRoom
from counselsim.practice.session import PracticeSession
from counselsim.records import ClientTurn, CounselorTurn, SessionRecord
from tests.conftest import ROOT
from tests.unit.practice_support import StreamingClient, client_reply, practice_sim

GOLDEN = ROOT / "tests" / "golden" / "sessions.golden.jsonl"
EMPATHIC = [
    "Hello. What brings you here today?",
    "It sounds like you feel worn out and alone with all of it.",
    "That makes sense. It sounds like you are carrying a lot.",
    "It sounds like you feel you are failing them, and that hurts.",
    "What has kept you going through the hardest days?",
]


def room(out: Path, client=None, **options):
    return PracticeRoom.open(
        practice_sim(client), out, PracticeOptions(**options), embedder=HashingEmbedding()
    )


async def say(session: PracticeSession, text: str) -> list:
    return [event async for event in await session.say(text)]


async def end(session: PracticeSession) -> list:
    return [event async for event in await session.end()]


async def test_session_waits_for_the_trainee_and_resumes_in_a_new_process(tmp_path):
    out = tmp_path / "practice"
    async with room(out) as r:
        session = await r.start(get_persona("en-grief"))
        assert await session.status() is SessionStatus.AWAITING_TRAINEE
        values, nxt = await session.snapshot()
        assert values["turns"] == [] and nxt == ("trainee_respond",)
        events = await say(session, "Hello. What brings you here today?")
        sid = session.id
    # after every client reply the page gets the risk alert state (none here: no risk cue)
    assert [e.type for e in events if e.type != "token"] == ["turn", "reply", "alert", "done"]
    assert [e.alert for e in events if e.type == "alert"] == [None]
    child = f"""
import asyncio, sys
from pathlib import Path
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.practice.room import PracticeOptions, PracticeRoom
from tests.unit.practice_support import practice_sim

async def main():
    async with PracticeRoom.open(practice_sim(), Path({str(out)!r}), PracticeOptions(),
                                 embedder=HashingEmbedding()) as r:
        s = await r.session({sid!r})
        values, _ = await s.snapshot()
        print("before", (await s.status()).value, len(values["turns"]))
        async for e in await s.say("It sounds like that has been very hard."):
            if e.type != "token":
                print(e.type)

asyncio.run(main())
"""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    done = subprocess.run(
        [sys.executable, "-c", child], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == [
        "before", "awaiting_trainee", "2", "turn", "reply", "alert", "done"
    ]  # fmt: skip
    async with room(out) as r:
        session = await r.session(sid)
        values, _ = await session.snapshot()
        assert [t.index for t in values["turns"]] == [0, 1, 2, 3]
        assert [t.role.value for t in values["turns"]] == ["counselor", "client"] * 2


async def test_the_reply_streams_and_the_stored_reply_matches_it(tmp_path):
    async with room(tmp_path / "p") as r:
        session = await r.start(get_persona("en-grief"))
        events = await say(session, "What brings you here?")
    tokens = [e.text for e in events if e.type == "token"]
    reply = next(e for e in events if e.type == "reply")
    assert len(tokens) > 3  # piece by piece, not one block
    assert "".join(tokens) == reply.turn.text
    assert reply.turn.role.value == "client" and reply.turn.index == 1


async def test_practice_record_has_the_schema_of_a_simulated_one(tmp_path):
    out = tmp_path / "p"
    async with room(out) as r:
        session = await r.start(get_persona("en-grief"))
        for text in EMPATHIC[:2]:
            await say(session, text)
        assert [e.type for e in await end(session)] == ["done"]
    line = (out / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(line) == 1
    practice, simulated = json.loads(line[0]), json.loads(GOLDEN.read_text().splitlines()[0])
    assert set(practice) == set(simulated)
    by_role = {t["role"]: t for t in simulated["turns"]}
    human = practice["turns"][0]
    assert set(human) == set(by_role["counselor"]) | {"author"}
    assert set(practice["turns"][1]) == set(by_role["client"])
    assert human["author"] == "human"
    assert human["observation"] is None and human["reasoning"] is None
    assert human["client_emotion"] == [] and human["strategy"] == ["Question"]
    assert practice["plan"] is None and practice["critic"]["status"] == "scored"
    record = SessionRecord.model_validate(practice)
    assert all(t.author == "human" for t in record.turns if isinstance(t, CounselorTurn))
    # the detectors ran on the kept turns, the trainee's too
    assert record.evidence is not None and record.evidence.turns == len(record.turns)
    assert "open_question" in {e.detector for e in record.turns[0].evidence}
    # agent turns in a simulated record do not carry the field (their JSON is unchanged)
    assert "author" not in by_role["counselor"]


def test_an_agent_turn_needs_its_thought_and_a_human_turn_has_none():
    base = {"index": 0, "text": "Hi.", "client_emotion": [], "strategy": ["Question"]}
    with pytest.raises(ValueError, match="observation and reasoning"):
        CounselorTurn.model_validate({**base, "next_action": "continue"})
    with pytest.raises(ValueError, match="no observation"):
        CounselorTurn.model_validate(
            {**base, "author": "human", "observation": "o", "next_action": "continue"}
        )


async def test_rapport_opens_a_hidden_fact_and_the_debrief_sees_it_drawn_out(tmp_path):
    async with room(tmp_path / "p") as r:
        session = await r.start(get_persona("en-crisis-risk"))
        for text in EMPATHIC:
            await say(session, text)
        values, _ = await session.snapshot()
        await end(session)
        debrief = await session.debrief()
    offered = {fact for _, fact in values["offered"]}
    assert offered, "five empathic turns built no rapport"
    drawn = [h for h in debrief.hidden_facts if h.uncovered]
    assert drawn and all(h.offered for h in drawn)
    said = {t.index: t.text for t in values["turns"] if isinstance(t, ClientTurn)}
    assert all(h.turn in said and h.content[:40] in said[h.turn] for h in drawn)
    assert [h.uncovered for h in debrief.hidden_facts if not h.offered] == [
        False for h in debrief.hidden_facts if not h.offered
    ]


async def test_memory_written_after_a_session_is_recalled_in_the_next(tmp_path):
    async with room(tmp_path / "p") as r:
        first = await r.start(get_persona("en-grief"))
        await say(first, "What brings you here?")
        await end(first)
        second = await r.start(get_persona("en-grief"))
        assert second.session_index == 2 and second.id != first.id
        await say(second, "How have things been since last week?")
        values, _ = await second.snapshot()
        assert r.store.workspace.memory.count(second.course_id) >= 2
    client = [t for t in values["turns"] if isinstance(t, ClientTurn)]
    assert client and client[0].memory_ids


async def test_a_model_failing_mid_reply_keeps_the_turn_and_a_retry_answers(tmp_path):
    client = StreamingClient(fn=client_reply, failures=1)
    async with room(tmp_path / "p", client=client) as r:
        session = await r.start(get_persona("en-grief"))
        events = await say(session, "What brings you here?")
        kinds = [e.type for e in events]
        assert "token" in kinds and kinds[-2:] == ["error", "done"]
        assert "Your turn is saved" in events[-2].message
        assert await session.status() is SessionStatus.CLIENT_PENDING
        values, _ = await session.snapshot()
        assert [t.role.value for t in values["turns"]] == ["counselor"]
        retried = [e async for e in await session.retry()]
        assert [e.type for e in retried if e.type != "token"] == ["reply", "alert", "done"]
        assert await session.status() is SessionStatus.AWAITING_TRAINEE


async def test_unusable_turns_are_refused_before_any_model_call(tmp_path):
    client = FunctionChatModel(fn=client_reply)
    async with room(tmp_path / "p", client=client) as r:
        session = await r.start(get_persona("zh-grief"))
        for text in ["", "   \n ", "很" * 20_000]:
            with pytest.raises(PracticeError) as err:
                await session.say(text)
            assert err.value.kind == "input"
        with pytest.raises(PracticeError, match="nothing to debrief"):
            await session.end()
        with pytest.raises(PracticeError, match="debrief opens"):
            await session.debrief()
    assert client.calls == []
    assert "20000 characters" in str(err.value)


async def test_the_turn_cap_ends_and_records_the_session(tmp_path):
    async with room(tmp_path / "p", max_turns=2) as r:
        session = await r.start(get_persona("en-grief"))
        await say(session, "What brings you here?")
        events = await say(session, "It sounds like you feel lost.")
        assert events[-1].status is SessionStatus.ENDED
        debrief = await session.debrief()
    assert debrief.end_reason.value == "turn_cap" and len(debrief.turns) == 4


async def test_a_second_turn_while_the_client_answers_is_refused(tmp_path):
    async with room(tmp_path / "p") as r:
        session = await r.start(get_persona("en-grief"))
        events = await session.say("What brings you here?")
        first = await anext(events)  # the lock is held while the turn runs
        with pytest.raises(PracticeError) as err:
            await session.say("Hello?")
        assert err.value.kind == "conflict" and first.type == "turn"
        rest = [e async for e in events]
        assert rest[-1].type == "done"
        with pytest.raises(PracticeError, match="another tab"):
            await session.say("Hello again.", seen=0)


async def test_two_tabs_sending_at_once_record_one_turn(tmp_path):
    async with room(tmp_path / "p") as r:
        session = await r.start(get_persona("en-grief"))
        first = await session.say("What brings you here?")
        second = await session.say("Hello, how are you?")  # asked before the first ran
        assert [e.type for e in [e async for e in first]][-1] == "done"
        late = [e async for e in second]
        assert [e.type for e in late] == ["error", "done"] and "moved on" in late[0].message
        values, _ = await session.snapshot()
    assert [t.text for t in values["turns"] if isinstance(t, CounselorTurn)] == [
        "What brings you here?"
    ]
