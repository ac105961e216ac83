"""Reconcile on open: a session line lost to a crash (a torn or missing line in
``sessions.jsonl``) is generated again, once, and a course is done only when all its
sessions are stored. Whole courses through the real graphs, SQLite checkpointer and Chroma,
with scripted fake models."""

from __future__ import annotations

import json
import logging
from collections import Counter
from pathlib import Path

import pytest

from counselsim.config import RunConfig
from counselsim.export import ExportOptions
from counselsim.llm.fake import ScriptedChatModel
from counselsim.memory.chroma import ChromaMemory
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.personas.models import ClientProfile
from counselsim.runs import RunDir
from counselsim.services.compose import Simulation, build_simulation
from counselsim.services.export import export_run
from counselsim.services.generate import generate
from tests.conftest import CourseFakes, course_fakes

EXCHANGES = 2  # counselor turns per session (the counselor closes the second)


def fakes_for(
    sessions: list[int], n_sessions: int, exchanges: int = EXCHANGES, max_turns: int = 3
) -> CourseFakes:
    """Scripts for the given sessions (1-based) of an ``n_sessions`` course, as a fresh run
    would ask for them (session ``s``'s replies are the same whichever run asks)."""
    full = course_fakes([exchanges] * n_sessions, max_turns=max_turns)
    per_session = {"counselor": 1 + 2 * exchanges, "client": exchanges - 1, "critic": 2}
    picked = {}
    for role, size in per_session.items():
        script = getattr(full, role).script
        picked[role] = [x for s in sessions for x in script[(s - 1) * size : s * size]]
    return CourseFakes(*(ScriptedChatModel(script=picked[r]) for r in per_session))


def concat(*fakes: CourseFakes) -> CourseFakes:
    """One course's scripts after another's (courses run one at a time)."""
    return CourseFakes(
        *(
            ScriptedChatModel(script=[x for f in fakes for x in getattr(f, role).script])
            for role in ("counselor", "client", "critic")
        )
    )


def sim_on(config: RunConfig, fakes: CourseFakes) -> Simulation:
    return build_simulation(
        config,
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )


def used_up(fakes: CourseFakes) -> bool:
    return fakes.counselor.remaining == fakes.client.remaining == fakes.critic.remaining == 0


def keys(path: Path) -> Counter[tuple[str, int]]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    return Counter((r["course_id"], r["session_index"]) for r in rows)


def cut_last_line(path: Path, keep: int = 40) -> None:
    """A crash mid-write: the last line loses its end (and its newline)."""
    text = path.read_bytes()
    start = text.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(text[: start + keep])


@pytest.fixture
def two_sessions(config: RunConfig) -> RunConfig:
    return config.model_copy(update={"sessions": 2})


async def test_a_torn_last_session_is_cut_and_generated_again(
    two_sessions, zh_profile: ClientProfile, tmp_path, caplog
):
    out = tmp_path / "run"
    first = fakes_for([1, 2], 2)
    await sim_on(two_sessions, first).run_course(zh_profile, out, HashingEmbedding())
    whole = (out / RunDir.SESSIONS).read_text(encoding="utf-8")
    cut_last_line(out / RunDir.SESSIONS)

    again = fakes_for([2], 2)  # only session 2 may be asked for again
    with caplog.at_level(logging.WARNING, logger="counselsim"):
        records = await sim_on(two_sessions, again).run_course(zh_profile, out, HashingEmbedding())
    assert used_up(again)
    assert [r.session_index for r in records] == [1, 2]
    # regenerated with the same seeds: the file is what the uninterrupted run wrote
    assert (out / RunDir.SESSIONS).read_text(encoding="utf-8") == whole
    repairs = [r.getMessage() for r in caplog.records if r.getMessage().startswith("repaired")]
    assert len(repairs) == 2, repairs
    assert "sessions.jsonl: cut a torn last line" in repairs[0]
    assert "session 2 is missing" in repairs[1] and "rewound" in repairs[1]
    # nothing about the session's content is printed
    assert all("exam worry" not in r and "Counselor line" not in r for r in repairs)

    # a third run finds everything stored: no model call, no repair
    caplog.clear()
    idle = CourseFakes(*(ScriptedChatModel(script=[]) for _ in range(3)))
    with caplog.at_level(logging.WARNING, logger="counselsim"):
        await sim_on(two_sessions, idle).run_course(zh_profile, out, HashingEmbedding())
    assert not idle.counselor.calls and "repaired" not in caplog.text


async def test_a_rewound_course_keeps_its_step_limit(
    two_sessions, zh_profile: ClientProfile, tmp_path, monkeypatch
):
    from counselsim.services import course

    cfg = two_sessions.model_copy(update={"max_turns": 12})  # a long session, then its loss
    out = tmp_path / "run"
    await sim_on(cfg, fakes_for([1, 2], 2, 12, 12)).run_course(zh_profile, out, HashingEmbedding())
    whole = (out / RunDir.SESSIONS).read_text(encoding="utf-8")
    cut_last_line(out / RunDir.SESSIONS)
    resumed_with = []
    stream = course._stream

    async def spy(app, start, run_cfg, context, on_progress):
        resumed_with.append(run_cfg)
        await stream(app, start, run_cfg, context, on_progress)

    monkeypatch.setattr(course, "_stream", spy)
    again = fakes_for([2], 2, 12, 12)
    await sim_on(cfg, again).run_course(zh_profile, out, HashingEmbedding())
    assert used_up(again) and (out / RunDir.SESSIONS).read_text(encoding="utf-8") == whole
    (used,) = resumed_with
    assert used["configurable"]["checkpoint_id"]  # from the rewound checkpoint
    assert used["recursion_limit"] == 10 * 12 * 2 + 100  # the course's, not LangGraph's


async def test_the_lost_sessions_memories_are_replaced_not_kept(config, zh_profile, tmp_path):
    def notes(text: str, *events: str) -> str:
        return json.dumps({"summary": text, "salient_events": list(events)})

    three = config.model_copy(update={"sessions": 3})
    out = tmp_path / "run"
    first = fakes_for([1, 2, 3], 3)
    first.critic.script[2] = notes("Session 2, first telling.", "event a", "event b")
    await sim_on(three, first).run_course(zh_profile, out, HashingEmbedding())
    # a crash mid-write of session 2's line: session 3 never written
    lines = (out / RunDir.SESSIONS).read_bytes().splitlines(keepends=True)
    (out / RunDir.SESSIONS).write_bytes(b"".join(lines[:-2]) + lines[-2][:40])

    again = fakes_for([2, 3], 3)
    again.critic.script[0] = notes("Session 2, told again.", "event c")  # one event fewer
    records = await sim_on(three, again).run_course(zh_profile, out, HashingEmbedding())
    assert used_up(again)
    assert [r.summary for r in records][1] == "Session 2, told again."
    memory = ChromaMemory(HashingEmbedding(), out / RunDir.MEMORY)
    hits = memory.search(records[0].course_id, "session", k=10, before_session=4)
    assert sorted(h.text for h in hits if h.session_index == 2) == [
        "Session 2, told again.",
        "event c",
    ]  # not "event b" of the lost telling
    assert len([h for h in hits if h.session_index == 1]) == 2  # session 1's kept
    assert not [h for h in hits if h.session_index == 3]  # the last session: nothing recalls it


async def generate_two(config: RunConfig, profiles, out: Path, fakes: CourseFakes):
    return await generate(
        [sim_on(config, fakes)], profiles, "test", 2, out, 1, embedder=HashingEmbedding()
    )


async def test_generate_regenerates_a_cut_session_and_exports_every_sample(
    two_sessions, zh_profile, en_profile, tmp_path, caplog
):
    out = tmp_path / "run"
    profiles = [zh_profile, en_profile]
    first = await generate_two(two_sessions, profiles, out, concat(*[fakes_for([1, 2], 2)] * 2))
    assert first.done == 2
    cut_last_line(out / RunDir.SESSIONS)  # course 2's session 2, the last line written

    with caplog.at_level(logging.WARNING, logger="counselsim"):
        again = await generate_two(two_sessions, profiles, out, fakes_for([2], 2))
    assert again.already_done == 1 and again.done == 1 and again.failed == 0
    assert len(again.repairs) == 3, again.repairs
    assert (
        "courses.jsonl: course c00001-en-work-burnout was recorded done with 1 of 2"
        in (again.repairs[1])
    )
    stored = keys(out / RunDir.SESSIONS)
    assert len(stored) == 4 and max(stored.values()) == 1
    last = RunDir(out).courses()
    assert {c: (s.status, s.sessions) for c, s in last.items()} == {
        "c00000-zh-exam-anxiety": ("done", 2),
        "c00001-en-work-burnout": ("done", 2),
    }
    exported = export_run(out, tmp_path / "sft", ExportOptions(fmt="openai"))
    assert exported.samples == 4


async def test_a_done_course_missing_a_session_is_reopened_and_finished(
    two_sessions, zh_profile, en_profile, tmp_path
):
    out = tmp_path / "run"
    profiles = [zh_profile, en_profile]
    await generate_two(two_sessions, profiles, out, concat(*[fakes_for([1, 2], 2)] * 2))
    path = out / RunDir.SESSIONS
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert json.loads(lines[0])["course_id"] == "c00000-zh-exam-anxiety"
    path.write_text("".join(lines[1:]), encoding="utf-8")  # course 1's session 1 is gone

    # the course is rewound to its start: session 1 is generated again, session 2 is run
    # again too (it follows from session 1) but not written twice
    again = await generate_two(two_sessions, profiles, out, fakes_for([1, 2], 2))
    assert again.done == 1 and again.already_done == 1
    stored = keys(path)
    assert len(stored) == 4 and max(stored.values()) == 1
    assert RunDir(out).courses()["c00000-zh-exam-anxiety"].status == "done"
    assert export_run(out, tmp_path / "sft", ExportOptions(fmt="openai")).samples == 4
