"""``counselsim generate``: the plan, the profile sets, and whole runs over simulated servers
(the real OpenAI path, real SQLite checkpointer and Chroma), resumed, extended and faulted."""

from __future__ import annotations

import asyncio
import functools
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from counselsim.config import load_config
from counselsim.errors import ConfigError, DataError, ModelUnavailableError, ProfileError
from counselsim.llm import retry, structured
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.personas.library import resolve_profile
from counselsim.runs import CourseLog, CourseStatus, RunDir, read_statuses
from counselsim.services.compose import build_simulation
from counselsim.services.generate import generate
from counselsim.services.profiles import load_profile_set
from counselsim.services.runner import plan_courses
from tests.support.simserver import SimServer

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "profiles"


def sims_for(*urls: str, **extra: Any) -> list[Any]:
    over = {"sessions": 2, "max_turns": 2, "seed": 5, **extra}
    return [
        build_simulation(load_config(overrides={**over, "model": {"base_url": u, "model": "sim"}}))
        for u in urls
    ]


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def test_plan_cycles_profiles_with_distinct_reproducible_seeds():
    profiles = [resolve_profile("en-help-rejecting"), resolve_profile("zh-grief")]
    plan = plan_courses(profiles, 5, run_seed=3)
    assert [p.profile.id for p in plan] == ["en-help-rejecting", "zh-grief"] * 2 + [
        "en-help-rejecting"
    ]
    assert [p.course_id for p in plan][:2] == ["c00000-en-help-rejecting", "c00001-zh-grief"]
    assert len({p.seed for p in plan}) == 5
    assert [p.seed for p in plan_courses(profiles, 5, 3)] == [p.seed for p in plan]
    assert [p.seed for p in plan_courses(profiles, 5, 4)] != [p.seed for p in plan]
    # extending a run keeps the plan of the courses already planned
    assert plan_courses(profiles, 7, 3)[:5] == plan


def test_profile_sets(tmp_path):
    assert len(load_profile_set(str(EXAMPLES), tmp_path)) == len(list(EXAMPLES.glob("*.yaml")))
    zh = load_profile_set("library:zh", tmp_path)
    assert zh and all(p.language.value == "zh" for p in zh)
    assert len(load_profile_set("library", tmp_path)) == 2 * len(zh)
    two = load_profile_set("zh-grief, en-help-rejecting", tmp_path)
    assert [p.id for p in two] == ["zh-grief", "en-help-rejecting"]
    with pytest.raises(DataError, match="two profiles have the id 'zh-grief'"):
        load_profile_set("zh-grief,zh-grief", tmp_path)
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataError, match="no profiles found"):
        load_profile_set(str(tmp_path / "empty"), tmp_path)
    with pytest.raises(ProfileError, match="unknown persona"):
        load_profile_set("no-such-persona", tmp_path)
    with pytest.raises(ConfigError, match="languages are zh and en"):
        load_profile_set("library:fr", tmp_path)


def test_course_log_keeps_the_last_status_and_cuts_a_torn_line(tmp_path):
    path = tmp_path / RunDir.COURSES
    log = CourseLog(path)
    a = {"course_id": "a", "index": 0, "profile_id": "p", "seed": 1}
    log.add(CourseStatus(**a, status="failed", error="ModelUnavailableError: down"))
    log.add(CourseStatus(**a, status="done", sessions=2, turns=8))
    with path.open("a", encoding="utf-8") as f:
        f.write('{"course_id": "b", "ind')  # killed mid-write (or still being written)
    torn = path.read_text(encoding="utf-8")
    # a reader (the Ray driver polling a shard) skips the torn line and leaves the file alone
    assert list(read_statuses(path)) == ["a"] and path.read_text(encoding="utf-8") == torn
    again = CourseLog(path)
    assert again.done("a") and not again.done("b")
    assert path.read_text(encoding="utf-8").endswith("}\n")


async def test_generate_spreads_courses_over_replicas_and_resumes(tmp_path):
    profiles = load_profile_set("en-help-rejecting,zh-grief", tmp_path)
    out = tmp_path / "run"
    with SimServer(seed=1, capacity=2) as a, SimServer(seed=2, capacity=2) as b:
        sims = sims_for(a.base_url, b.base_url)
        summary = await generate(
            sims, profiles, "x", 5, out, 3, [a.base_url, b.base_url], embedder=HashingEmbedding()
        )
        assert summary.done == 5 and summary.failed == 0
        assert summary.evidence.sessions == summary.sessions  # rates for every run
        assert summary.evidence.turns == summary.turns
        assert "verbatim_copy" in summary.evidence.role_confusion
        assert a.stats.requests > 0 and b.stats.requests > 0  # both replicas served courses
        assert max(a.stats.max_in_flight, b.stats.max_in_flight) <= 2
        sent = a.stats.requests + b.stats.requests

        statuses = lines(out / RunDir.COURSES)
        assert sorted(s["course_id"] for s in statuses) == [p.course_id for p in plan_courses(
            profiles, 5, 5
        )]  # fmt: skip
        assert all(s["status"] == "done" and s["sessions"] == 2 for s in statuses)
        records = lines(out / RunDir.SESSIONS)
        keys = Counter((r["course_id"], r["session_index"]) for r in records)
        assert len(keys) == 10 and max(keys.values()) == 1
        seeds = {s["course_id"]: s["seed"] for s in statuses}
        assert all(r["provenance"]["seed"] == seeds[r["course_id"]] for r in records)
        manifest = json.loads((out / "run.json").read_text())
        assert manifest["kind"] == "generate" and manifest["courses"] == 5
        assert manifest["endpoints"] == [a.base_url, b.base_url]
        assert manifest["provenance"]["prompt_hashes"]

        # the same command again: nothing left to do, not one request
        again = await generate(sims, profiles, "x", 5, out, 3, embedder=HashingEmbedding())
        assert again.already_done == 5 and again.done == 0
        assert a.stats.requests + b.stats.requests == sent

        # a larger --courses extends the run by the missing courses only
        more = await generate(sims, profiles, "x", 7, out, 3, embedder=HashingEmbedding())
        assert more.already_done == 5 and more.done == 2
    assert len(lines(out / RunDir.SESSIONS)) == 14
    assert json.loads((out / "summary.json").read_text())["done"] == 2


async def test_a_different_config_is_refused_in_the_same_dir(tmp_path):
    profiles = load_profile_set("en-help-rejecting", tmp_path)
    with SimServer(seed=1) as s:
        await generate(sims_for(s.base_url), profiles, "x", 1, tmp_path / "r", 1,
                       embedder=HashingEmbedding())  # fmt: skip
        with pytest.raises(Exception, match="different profile or config"):
            await generate(sims_for(s.base_url, max_turns=3), profiles, "x", 1, tmp_path / "r",
                           1, embedder=HashingEmbedding())  # fmt: skip


async def test_faults_are_absorbed_or_recorded_and_a_rerun_finishes(tmp_path, monkeypatch):
    monkeypatch.setattr(
        structured, "with_retries", functools.partial(retry.with_retries, max_wait_s=0.0)
    )
    profiles = load_profile_set("en-help-rejecting,zh-grief", tmp_path)
    out = tmp_path / "run"
    # retries and repairs too few for this fault rate: some courses fail, the run goes on
    with SimServer(fail_rate=0.35, malformed_rate=0.3, seed=3) as s:
        sims = sims_for(s.base_url, retry_attempts=2, max_repairs=1)
        first = await generate(sims, profiles, "x", 6, out, 3, embedder=HashingEmbedding())
        assert s.stats.failed_injected > 0 and s.stats.malformed_injected > 0
    assert first.failed > 0 and first.done + first.failed == 6
    assert sum(first.failures.values()) == first.failed
    failed = [x for x in lines(out / RunDir.COURSES) if x["status"] == "failed"]
    assert len(failed) == first.failed
    assert all(x["error"].split(":")[0] in first.failures for x in failed)
    # a healthy server: the rerun retries exactly the failed courses
    with SimServer(seed=4) as s:
        sims = sims_for(s.base_url, retry_attempts=4, max_repairs=1)  # same run, more patience
        second = await generate(sims, profiles, "x", 6, out, 3, embedder=HashingEmbedding())
    assert second.already_done == first.done and second.done == first.failed
    keys = Counter((r["course_id"], r["session_index"]) for r in lines(out / RunDir.SESSIONS))
    assert len(keys) == 12 and max(keys.values()) == 1


async def test_a_dead_engine_stops_the_run_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setattr(
        structured, "with_retries", functools.partial(retry.with_retries, max_wait_s=0.0)
    )
    profiles = load_profile_set("en-help-rejecting", tmp_path)
    with SimServer(seed=1) as s:
        sims = sims_for(s.base_url, retry_attempts=1)
    # the server is gone now: every course fails; after 3 in a row the run stops
    with pytest.raises(ModelUnavailableError, match="3 courses failed in a row"):
        await generate(sims, profiles, "x", 10, tmp_path / "r", 1, embedder=HashingEmbedding(),
                       max_consecutive_failures=3)  # fmt: skip
    assert len(lines(tmp_path / "r" / RunDir.COURSES)) == 3


async def test_same_command_same_seed_same_output(tmp_path):
    """A deterministic engine (the simulated server answers by request) and the same seed give
    byte-identical sessions, whatever order the concurrent courses finish in."""
    profiles = load_profile_set("en-help-rejecting,zh-grief", tmp_path)
    outputs = []
    for name, concurrency in (("a", 1), ("b", 4)):
        with SimServer(seed=1) as s:
            await generate(sims_for(s.base_url), profiles, "x", 4, tmp_path / name, concurrency,
                           embedder=HashingEmbedding())  # fmt: skip
        outputs.append(sorted((tmp_path / name / RunDir.SESSIONS).read_text().splitlines()))
    assert outputs[0] == outputs[1] and len(outputs[0]) == 8
    with SimServer(seed=1) as s:
        sims = sims_for(s.base_url, seed=6)
        await generate(sims, profiles, "x", 4, tmp_path / "c", 4, embedder=HashingEmbedding())
    assert sorted((tmp_path / "c" / RunDir.SESSIONS).read_text().splitlines()) != outputs[0]


async def test_byte_identical_at_concurrency_1_and_64_with_the_real_embedder(tmp_path):
    """The guarantee the driver's speed-ups must keep: 64 courses (2 sessions each, so session
    2's client recalls session 1 from Chroma through the offline USE embedder) give the same
    bytes one at a time and 64 in flight against a server with 64 slots."""
    from counselsim.memory.embeddings import USEEmbedding

    profiles = load_profile_set("en-help-rejecting,zh-grief,en-crisis-risk,zh-ambivalent", tmp_path)
    outputs = []
    for name, concurrency in (("one", 1), ("many", 64)):
        with SimServer(seed=3, capacity=64) as s:
            summary = await generate(sims_for(s.base_url), profiles, "x", 64, tmp_path / name,
                                     concurrency, embedder=USEEmbedding())  # fmt: skip
        assert summary.done == 64 and summary.failed == 0
        outputs.append(sorted((tmp_path / name / RunDir.SESSIONS).read_text().splitlines()))
    assert len(outputs[0]) == 128 and outputs[0] == outputs[1]
    recalled = [t for r in map(json.loads, outputs[0]) for t in r["turns"] if t.get("memory_ids")]
    assert recalled  # the comparison covered memory recall, not only the first sessions


def test_worker_processes_write_what_one_process_writes_and_resume(tmp_path):
    """``--workers 2``: shards in spawned processes, consolidated into the run directory,
    session for session what a single process writes; the same command again finds every
    course done and sends no request."""
    from counselsim.services.distributed import generate_sharded, process_pool, shard_dir

    def generate_in_processes(*args: Any) -> Any:
        with process_pool(2) as pool:
            return generate_sharded(pool, *args, shards=2)

    profiles = load_profile_set("en-help-rejecting,zh-grief", tmp_path)
    with SimServer(seed=1, capacity=4) as s:
        sims = sims_for(s.base_url)
        summary = generate_in_processes(sims, profiles, "x", 5, tmp_path / "w", 2, [s.base_url])
        assert summary.done == 5 and summary.shards == 2 and not summary.shard_errors
        sent = s.stats.requests
        again = generate_in_processes(sims, profiles, "x", 5, tmp_path / "w", 2, [s.base_url])
        assert again.already_done == 5 and again.done == 0 and s.stats.requests == sent
    assert lines(shard_dir(tmp_path / "w", 1) / RunDir.COURSES)  # shard 1 ran in its process
    with SimServer(seed=1, capacity=4) as s:
        asyncio.run(generate(sims_for(s.base_url), profiles, "x", 5, tmp_path / "p", 2))
    sharded = (tmp_path / "w" / RunDir.SESSIONS).read_text().splitlines()
    assert sharded == sorted(sharded)  # consolidated in course order
    assert sharded == sorted((tmp_path / "p" / RunDir.SESSIONS).read_text().splitlines())


async def test_checkpoints_read_back_our_types_without_serializer_warnings(tmp_path, caplog):
    """LangGraph's serializer is told which record types a course state holds: resuming reads
    them back as those types, with no 'unregistered type' warning (a future LangGraph blocks
    unregistered types)."""
    from counselsim.checkpoints import open_checkpointer
    from counselsim.records import ClientTurn, CounselorTurn

    profiles = load_profile_set("en-help-rejecting", tmp_path)
    with SimServer(seed=1) as s:
        sims = sims_for(s.base_url, sessions=3)
        # stop after the first session: the checkpoint holds a state mid-course
        summary = await generate(sims, profiles, "x", 1, tmp_path / "r", 1,
                                 embedder=HashingEmbedding())  # fmt: skip
    assert summary.done == 1
    seen: set[type] = set()
    async with open_checkpointer(tmp_path / "r") as saver:
        async for tup in saver.alist(None, limit=50):
            for turn in tup.checkpoint["channel_values"].get("turns", []):
                seen.add(type(turn))
    assert {CounselorTurn, ClientTurn} <= seen
    assert "unregistered type" not in caplog.text and "Blocked deserialization" not in caplog.text


def test_the_checkpoint_serializer_reads_back_every_record_as_it_was(tmp_path):
    """Records are written as JSON values in LangGraph's format for a pydantic model: read
    back (by counselsim's serializer or LangGraph's own) they are equal, of the same types."""
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer

    from counselsim.checkpoints import serializer, state_types
    from counselsim.records import SessionRecord

    golden = Path(__file__).parents[1] / "golden" / "sessions.golden.jsonl"
    records = [SessionRecord.model_validate_json(line) for line in golden.read_text().splitlines()]
    profile = load_profile_set("zh-grief", tmp_path)[0]
    state = {"records": records, "turns": records[-1].turns, "profile": profile, "n": 3}
    ours, langgraphs = serializer(), JsonPlusSerializer(allowed_msgpack_modules=state_types())
    for reader in (ours, langgraphs):
        back = reader.loads_typed(ours.dumps_typed(state))
        assert back == state
        assert [type(t) for t in back["turns"]] == [type(t) for t in state["turns"]]
        assert type(back["profile"]) is type(profile)


async def test_a_run_checkpointed_by_the_aiosqlite_saver_resumes_on_the_inline_one(tmp_path):
    """Run directories made before checkpoints were written inline (LangGraph's
    AsyncSqliteSaver, the same file and tables) resume on the inline saver: session 2's line
    lost, the course is rewound through the old checkpoint history and session 2 is written
    again as it was."""
    import aiosqlite
    from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
    from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver

    from counselsim.checkpoints import state_types
    from counselsim.services import course

    opened: list[Any] = []

    @asynccontextmanager
    async def old_saver(out: Path, dsn: str | None = None) -> AsyncIterator[Any]:
        async with aiosqlite.connect(str(RunDir(out).checkpoints_file)) as db:
            # and LangGraph's own serializer, as then
            saver = AsyncSqliteSaver(
                db, serde=JsonPlusSerializer(allowed_msgpack_modules=state_types())
            )
            await saver.setup()
            opened.append(saver)
            yield saver

    profiles = load_profile_set("en-help-rejecting", tmp_path)
    out = tmp_path / "r"
    with SimServer(seed=1) as s:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(course, "open_checkpointer", old_saver)
            first = await generate(sims_for(s.base_url), profiles, "x", 1, out, 1,
                                   embedder=HashingEmbedding())  # fmt: skip
        assert first.done == 1 and len(opened) == 1
        whole = (out / RunDir.SESSIONS).read_bytes()
        (out / RunDir.SESSIONS).write_bytes(whole[: whole.rstrip(b"\n").rfind(b"\n") + 1])
        again = await generate(sims_for(s.base_url), profiles, "x", 1, out, 1,
                               embedder=HashingEmbedding())  # fmt: skip
    assert again.done == 1 and any("rewound" in r for r in again.repairs)
    assert (out / RunDir.SESSIONS).read_bytes() == whole


def test_concurrency_defaults_by_engine(caplog):
    from types import SimpleNamespace

    from counselsim.config import Engine
    from counselsim.services.generate import DEFAULT_CONCURRENCY, effective_concurrency

    def sim(engine: Engine) -> Any:
        return SimpleNamespace(counselor_llm=SimpleNamespace(engine=engine))

    assert effective_concurrency([sim(Engine.OPENAI)], None) == DEFAULT_CONCURRENCY
    assert effective_concurrency([sim(Engine.OPENAI)], 64) == 64
    assert effective_concurrency([sim(Engine.EMBEDDED)], None) == 1 and not caplog.text
    assert effective_concurrency([sim(Engine.GGUF)], 4) == 1
    assert "one course at a time" in caplog.text


def test_overlapping_runs_leave_the_gc_as_they_found_it():
    """Two runs that overlap (a stress test runs one per counselor): the GC stays tuned
    until the last ends, then its thresholds and frozen objects are as before."""
    import gc

    from counselsim.services.runner import _fewer_collections

    before, frozen = gc.get_threshold(), gc.get_freeze_count()
    a, b = _fewer_collections(), _fewer_collections()
    a.__enter__()
    b.__enter__()
    a.__exit__(None, None, None)
    assert gc.get_threshold() == (20_000, 50, 100)  # b is still running
    b.__exit__(None, None, None)
    assert gc.get_threshold() == before and gc.get_freeze_count() == frozen
