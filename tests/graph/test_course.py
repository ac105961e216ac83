"""A whole 3-session course through the real graphs, real SQLite checkpointer and real
(ephemeral-embedder) Chroma, with scripted fake models."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from counselsim.labels import EndReason, Role
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.records import ClientTurn, CounselorTurn, SessionRecord
from counselsim.services.compose import build_simulation
from tests.conftest import SECRET, course_fakes


async def _run(config, profile, tmp_path: Path, exchanges):
    fakes = course_fakes(exchanges, config.max_turns)
    sim = build_simulation(
        config,
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    records = await sim.run_course(profile, tmp_path / "run", embedder=HashingEmbedding())
    return fakes, records


async def test_course_runs_three_sessions_with_turn_counts_and_end_reasons(
    config, zh_profile, tmp_path
):
    fakes, records = await _run(config, zh_profile, tmp_path, [3, 2, 3])
    assert [r.session_index for r in records] == [1, 2, 3]
    # a session of k counselor turns has k-1 client turns: the counselor closes.
    assert [len(r.turns) for r in records] == [5, 3, 5]
    assert [r.end_reason for r in records] == [
        EndReason.TURN_CAP,
        EndReason.COUNSELOR_CLOSED,
        EndReason.TURN_CAP,
    ]
    for r in records:
        assert [t.role for t in r.turns][::2] == [Role.COUNSELOR] * ((len(r.turns) + 1) // 2)
        assert [t.index for t in r.turns] == list(range(len(r.turns)))
        assert r.turns[-1].role is Role.COUNSELOR and r.turns[-1].next_action == "close"
    # every scripted reply was consumed exactly
    assert fakes.counselor.remaining == fakes.client.remaining == fakes.critic.remaining == 0


async def test_records_on_disk_validate_and_carry_provenance(config, zh_profile, tmp_path):
    _, _records = await _run(config, zh_profile, tmp_path, [3, 3, 3])
    lines = (tmp_path / "run" / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    for line in lines:
        rec = SessionRecord.model_validate_json(line)
        raw = json.loads(line)
        assert raw["language"] == "zh" and raw["profile_id"] == "zh-exam-anxiety"
        assert rec.provenance.seed == 7 and rec.provenance.config_hash == config.hash()
        assert "counselor/think.zh.j2" in rec.provenance.prompt_hashes
        assert {s.dimension for s in rec.critic.scores} == {
            "empathy",
            "exploration",
            "strategy_fit",
            "client_realism",
            "safety",
        }
        counselor = [t for t in rec.turns if isinstance(t, CounselorTurn)]
        assert all(t.observation and t.reasoning and t.strategy for t in counselor)
        assert all(isinstance(t, ClientTurn) and t.emotion for t in rec.turns[1::2])


async def test_memories_written_after_each_session_and_retrieved_in_next(
    config, zh_profile, tmp_path
):
    fakes, records = await _run(config, zh_profile, tmp_path, [3, 3, 3])
    # session 1 has no memories; later sessions retrieve earlier sessions' notes
    assert all(not t.memory_ids for t in records[0].turns if isinstance(t, ClientTurn))
    ids2 = {i for t in records[1].turns if isinstance(t, ClientTurn) for i in t.memory_ids}
    ids3 = {i for t in records[2].turns if isinstance(t, ClientTurn) for i in t.memory_ids}
    assert ids2 and all(":s1:" in i for i in ids2)
    assert any(":s2:" in i for i in ids3)
    # and the retrieved text reached the client's prompt
    session2_prompts = [c.text for c in fakes.client.calls[2:4]]
    assert all("exam worry number 1" in p or "sleep diary" in p for p in session2_prompts)
    # the counselor's next plan sees the previous session notes
    plan_calls = [c for c in fakes.counselor.calls if "Session 1:" in c.text]
    assert plan_calls


async def test_client_never_sees_counselor_plan_or_reasoning(config, en_profile, tmp_path):
    fakes, _ = await _run(config, en_profile, tmp_path, [3, 3, 3])
    assert fakes.client.calls, "the client was never called"
    for call in fakes.client.calls:
        assert SECRET not in call.text
    # while the counselor's own reply step does see its reasoning
    assert any(SECRET in c.text for c in fakes.counselor.calls)
    # and the notes that become client memory are written from speech only
    for call in fakes.critic.calls[::2]:
        assert SECRET not in call.text


async def test_checkpoints_written_and_rerun_resumes_without_model_calls(
    config, zh_profile, tmp_path
):
    _fakes, records = await _run(config, zh_profile, tmp_path, [2, 2, 2])
    db = tmp_path / "run" / "checkpoints.sqlite"
    with sqlite3.connect(db) as con:
        assert con.execute("select count(*) from checkpoints").fetchone()[0] > 10
    # a second run of the same course finds it complete: no model is called again
    again = course_fakes([])
    sim = build_simulation(
        config,
        counselor_model=again.counselor,
        client_model=again.client,
        critic_model=again.critic,
    )
    rerun = await sim.run_course(zh_profile, tmp_path / "run", embedder=HashingEmbedding())
    assert [r.model_dump() for r in rerun] == [r.model_dump() for r in records]
    assert not again.counselor.calls and not again.client.calls


async def test_script_running_out_is_an_error_not_a_silent_restart(config, zh_profile, tmp_path):
    from counselsim.errors import ScriptExhaustedError

    fakes = course_fakes([3, 3, 3])
    fakes.client.script.pop()
    sim = build_simulation(
        config,
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    with pytest.raises(ScriptExhaustedError):
        await sim.run_course(zh_profile, tmp_path / "run", embedder=HashingEmbedding())


async def test_counselor_cannot_close_before_min_turns(config, zh_profile, tmp_path):
    # The model asks to close on its first turn; with min_turns=2 the session goes on,
    # and the recorded thought is the decision actually used ('continue').
    cfg = config.model_copy(update={"sessions": 1, "min_turns": 2})
    fakes = course_fakes([2], cfg.max_turns)
    fakes.counselor.script[1] = fakes.counselor.script[1].replace('"continue"', '"close"')
    sim = build_simulation(
        cfg,
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    (record,) = await sim.run_course(zh_profile, tmp_path / "run", embedder=HashingEmbedding())
    assert [t.role for t in record.turns] == [Role.COUNSELOR, Role.CLIENT, Role.COUNSELOR]
    assert record.turns[0].next_action == "continue"
    assert record.end_reason is EndReason.COUNSELOR_CLOSED
