"""What each role may see (views), config resolution and seeds, and run-directory output."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from counselsim.agents.views import intake, spoken_text, window
from counselsim.config import ENV_KEYS, Engine, RunConfig, Step, derive_seed, load_config
from counselsim.critic.units import unit_text, unit_turns
from counselsim.errors import ConfigError, OutputError
from counselsim.labels import Emotion, EndReason, Stage, Strategy
from counselsim.records import (
    ClientTurn,
    CriticReport,
    Provenance,
    SessionPlan,
    SessionRecord,
)
from counselsim.runs import Manifest, RunDir, SessionLog
from counselsim.runs.files import claim_dir, write_atomic
from tests.conftest import counselor_turn

HIDDEN = "HIDDEN-REASONING"


def transcript(n: int = 6) -> list:
    turns = []
    for i in range(n):
        if i % 2 == 0:
            turns.append(
                counselor_turn(
                    i,
                    f"counselor says {i}",
                    strategy=(Strategy.QUESTION, Strategy.REFLECTION),
                    emotion=(Emotion.SADNESS,),
                    observation=f"observation {HIDDEN} {i}",
                    reasoning=f"reasoning {HIDDEN} {i}",
                )
            )
        else:
            turns.append(
                ClientTurn(
                    index=i, text=f"client says {i}", emotion=[Emotion.ANXIETY, Emotion.SHAME]
                )
            )
    return turns


# --- views ----------------------------------------------------------------------------------------


def _deps(answer: str):
    from counselsim.agents import AgentDeps
    from counselsim.llm.fake import ScriptedChatModel
    from counselsim.llm.structured import LLM
    from counselsim.prompts import PromptLibrary

    cfg = RunConfig()
    fake = ScriptedChatModel(script=[answer])
    llm = LLM(fake, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=0)
    return AgentDeps(llm, PromptLibrary(), cfg.sampling, 0), fake


THOUGHT_JSON = json.dumps(
    {
        "observation": "seen",
        "client_emotion": ["Anxiety"],
        "strategy": ["Question"],
        "reasoning": "why",
        "next_action": "continue",
    }
)


async def test_counselor_sees_the_windowed_spoken_transcript(en_profile):
    from counselsim.agents.counselor import CounselorAgent, SessionContext

    deps, fake = _deps(THOUGHT_JSON)
    plan = SessionPlan(stage=Stage.INTAKE, goals=["rapport"], approach="CBT", focus="sleep")
    ctx = SessionContext(profile=en_profile, plan=plan, session_index=1, n_sessions=3)
    await CounselorAgent(deps, history_window=3).think(
        ctx, transcript(6), 4, may_close=True, seed=0
    )
    (call,) = fake.calls
    assert [m.type for m in call.messages] == ["system", "human"]
    user = str(call.messages[-1].content)
    assert spoken_text(transcript(6)[-3:], "en") in user
    assert "counselor says 2" not in user  # outside the window of 3
    assert HIDDEN not in call.text  # earlier thoughts are not replayed


async def test_client_sees_the_windowed_spoken_transcript_only(zh_profile):
    from counselsim.agents.client import ClientAgent

    deps, fake = _deps(json.dumps({"emotion": ["Anxiety"], "reply": "嗯，还是睡不着。"}))
    from tests.unit.test_prompts import NoMemory

    agent = ClientAgent(deps, NoMemory(), memory_k=0, history_window=2)
    utterance, _, _ = await agent.reply(zh_profile, transcript(5), [], session_index=1, seed=0)
    assert utterance.reply == "嗯，还是睡不着。"
    user = str(fake.calls[0].messages[-1].content)
    assert "来访者: client says 3\n咨询师: counselor says 4" in user
    assert "counselor says 2" not in user
    assert HIDDEN not in fake.calls[0].text
    assert "Question" not in fake.calls[0].text  # no strategy labels for the client


def test_window_keeps_the_last_n():
    turns = transcript(6)
    assert [t.index for t in window(turns, 2)] == [4, 5]
    assert [t.index for t in window(turns, 4)] == [2, 3, 4, 5]
    assert [t.index for t in window(turns[:5], 4)] == [2, 3, 4]  # start moves by 2, not 1
    assert [t.index for t in window(turns, 5)] == [2, 3, 4, 5]
    # the start stays put between steps: each view extends the one before
    views = [[t.index for t in window(turns[:n], 4)] for n in range(1, 7)]
    assert views == [[0], [0, 1], [0, 1, 2], [0, 1, 2, 3], [2, 3, 4], [2, 3, 4, 5]]
    assert [t.index for t in window(turns, 16)] == list(range(6))
    assert list(window(turns, 6)) == turns
    assert list(window(turns, 0)) == turns  # 0 means no limit, never an empty view
    assert list(window([], 3)) == []


@pytest.mark.parametrize(
    "lang,names", [("zh", ("咨询师", "来访者")), ("en", ("Counselor", "Client"))]
)
def test_spoken_text_holds_only_words(lang, names):
    text = spoken_text(transcript(4), lang)
    lines = text.split("\n")
    assert lines == [f"{names[i % 2]}: {('counselor', 'client')[i % 2]} says {i}" for i in range(4)]
    assert HIDDEN not in text
    for label in (Strategy.QUESTION.value, Strategy.REFLECTION.value, Emotion.ANXIETY.value):
        assert label not in text
    assert "observation" not in text and "reasoning" not in text


def test_a_judge_transcript_holds_labels_but_not_reasoning():
    text = unit_text(unit_turns(transcript(2)), "en", labelled=True)
    assert text.split("\n") == [
        "[T0] Counselor [Question, Reflection of Feelings]: counselor says 0",
        "[T1] Client [Anxiety, Shame]: client says 1",
    ]
    assert HIDDEN not in unit_text(unit_turns(transcript(6)), "zh", labelled=True)
    assert unit_text(unit_turns(transcript(2)), "zh", labelled=True).startswith(
        "[T0] 咨询师 [Question, Reflection of Feelings]:"
    )
    assert "[Question" not in unit_text(unit_turns(transcript(2)), "en", labelled=False)


def test_intake_exposes_no_hidden_facts_or_beliefs(zh_profile):
    data = intake(zh_profile)
    assert set(data) == {"age_range", "gender", "occupation", "presenting_problem", "risk_flags"}
    assert data["presenting_problem"] == zh_profile.presenting_problem
    assert data["risk_flags"] == ["suicidal_ideation"]
    blob = json.dumps(data, ensure_ascii=False)
    secrets = [
        *(h.content for h in zh_profile.hidden),
        *zh_profile.core_beliefs,
        *zh_profile.intermediate_beliefs,
        zh_profile.relevant_history,
        *(s.situation for s in zh_profile.situations),
        zh_profile.demographics.family,
    ]
    assert secrets and all(s and s not in blob for s in secrets)


# --- config ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for key in ENV_KEYS:
        monkeypatch.delenv(key, raising=False)


def _yaml(tmp_path: Path, data: object) -> Path:
    p = tmp_path / "config.yaml"
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


def test_defaults():
    cfg = load_config()
    assert cfg == RunConfig()
    assert cfg.model.engine is Engine.EMBEDDED
    assert cfg.sessions == 3 and cfg.max_turns == 8 and cfg.seed == 0
    assert set(cfg.sampling) == set(Step)
    assert cfg.sampling[Step.CRITIC].temperature == 0.0


def test_precedence_defaults_file_env_overrides(tmp_path, monkeypatch):
    f = _yaml(
        tmp_path,
        {
            "seed": 5,
            "sessions": 4,
            "model": {"base_url": "http://file:1/v1", "model": "file-model"},
        },
    )
    from_file = load_config(f)
    assert (from_file.seed, from_file.sessions, from_file.max_turns) == (5, 4, 8)  # 8: default
    assert from_file.model.base_url == "http://file:1/v1"

    monkeypatch.setenv("COUNSELSIM_BASE_URL", "http://env:2/v1")
    from_env = load_config(f)
    assert from_env.model.base_url == "http://env:2/v1"  # env beats the file
    assert from_env.model.model == "file-model"  # the file's other keys stay
    assert from_env.seed == 5

    final = load_config(f, {"seed": 9, "model": {"base_url": "http://cli:3/v1", "model": None}})
    assert final.model.base_url == "http://cli:3/v1"  # overrides beat env
    assert final.seed == 9
    assert final.model.model == "file-model"  # None means 'not given'
    assert final.sessions == 4


def test_env_model_and_model_path(monkeypatch, tmp_path):
    monkeypatch.setenv("COUNSELSIM_MODEL_PATH", str(tmp_path / "m.gguf"))
    cfg = load_config()
    assert cfg.model.model_path == tmp_path / "m.gguf" and cfg.model.engine is Engine.GGUF
    monkeypatch.setenv("COUNSELSIM_MODEL", "served-name")
    assert load_config().model.model == "served-name"


def test_base_url_selects_openai_and_model_path_selects_gguf(tmp_path):
    assert (
        load_config(overrides={"model": {"base_url": "http://h:8000/v1"}}).model.engine
        is Engine.OPENAI
    )
    gguf = load_config(overrides={"model": {"model_path": tmp_path / "x.gguf"}})
    assert gguf.model.engine is Engine.GGUF
    both = load_config(
        overrides={"model": {"model_path": tmp_path / "x.gguf", "base_url": "http://h/v1"}}
    )
    assert both.model.engine is Engine.OPENAI  # a server URL wins
    neither = load_config(overrides={"model": {"base_url": None, "model_path": None}})
    assert neither.model.engine is Engine.EMBEDDED
    explicit = load_config(overrides={"model": {"engine": "gguf", "base_url": "http://h/v1"}})
    assert explicit.model.engine is Engine.GGUF  # an explicit engine is kept


def test_unknown_key_raises_naming_it(tmp_path):
    f = _yaml(tmp_path, {"sessionz": 3})
    with pytest.raises(ConfigError) as info:
        load_config(f)
    msg = str(info.value)
    assert "'sessionz'" in msg and str(f) in msg and "\n" not in msg
    with pytest.raises(ConfigError, match=r"'model\.temprature'"):
        load_config(overrides={"model": {"temprature": 1}})
    with pytest.raises(ConfigError, match=r"'sampling\.counselor_think\.temp'"):
        load_config(overrides={"sampling": {"counselor_think": {"temp": 1}}})


def test_out_of_range_and_bad_files(tmp_path):
    with pytest.raises(ConfigError, match="'sessions'"):
        load_config(overrides={"sessions": 0})
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "missing.yaml")
    lst = tmp_path / "list.yaml"
    lst.write_text("- 1\n- 2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_config(lst)
    empty = tmp_path / "empty.yaml"
    empty.write_text("", encoding="utf-8")
    assert load_config(empty) == RunConfig()


def test_non_mapping_model_section_with_overrides_is_a_config_error(tmp_path):
    f = _yaml(tmp_path, {"model": "qwen2.5"})
    with pytest.raises(ConfigError, match="'model'"):
        load_config(f, {"model": {"base_url": None}})


def test_partial_sampling_section_keeps_other_steps(tmp_path):
    cfg = load_config(_yaml(tmp_path, {"sampling": {"counselor_think": {"temperature": 0.2}}}))
    assert cfg.sampling[Step.THINK].temperature == 0.2
    assert set(cfg.sampling) == set(Step)


def test_config_hash_stable_and_sensitive():
    a, b = RunConfig(seed=1), RunConfig(seed=1)
    assert a.hash() == b.hash() == RunConfig.model_validate(a.model_dump(mode="json")).hash()
    assert len(a.hash()) == 16 and int(a.hash(), 16) >= 0
    assert RunConfig(seed=2).hash() != a.hash()
    assert RunConfig(seed=1, max_turns=9).hash() != a.hash()


def test_derive_seed():
    s = derive_seed(7, "course", 1, 3, "counselor_think")
    assert s == derive_seed(7, "course", 1, 3, "counselor_think")
    assert 0 <= s < 2**31
    others = {
        derive_seed(8, "course", 1, 3, "counselor_think"),
        derive_seed(7, "course", 2, 3, "counselor_think"),
        derive_seed(7, "course", 1, 4, "counselor_think"),
        derive_seed(7, "course", 1, 3, "client_reply"),
        derive_seed(7, "other", 1, 3, "counselor_think"),
    }
    assert s not in others and len(others) == 5
    many = {derive_seed(0, "c", i) for i in range(200)}
    assert len(many) == 200


# --- output ---------------------------------------------------------------------------------------


def test_write_atomic_writes_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "f.json"
    write_atomic(target, "first\n")
    write_atomic(target, "second 第二\n")
    assert target.read_text(encoding="utf-8") == "second 第二\n"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask


def test_write_atomic_failure_keeps_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "f.json"
    write_atomic(target, "old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def record(course: str, session: int, summary: str = "notes") -> SessionRecord:
    return SessionRecord(
        course_id=course,
        session_index=session,
        profile_id="p",
        language="en",
        plan=SessionPlan(stage=Stage.INTAKE, goals=["rapport"], approach="CBT", focus="sleep"),
        turns=transcript(2),
        end_reason=EndReason.TURN_CAP,
        summary=summary,
        salient_events=["e"],
        critic=CriticReport(rubric="core", status="failed", error="x", scores=[]),
        provenance=Provenance(
            model="m", engine="custom", prompt_hashes={}, seed=0, config_hash="h", version="v"
        ),
    )


def test_jsonl_sink_appends_once_per_course_and_session(tmp_path):
    path = tmp_path / "sessions.jsonl"
    sink = SessionLog(path)
    assert sink.write(record("b", 1))
    assert sink.write(record("a", 2))
    assert sink.write(record("a", 1, "first"))
    # a resumed run redoing its record step writes the same session again: not duplicated
    assert not sink.write(record("a", 1, "again"))
    lines = path.read_text(encoding="utf-8").splitlines()
    keys = [(json.loads(x)["course_id"], json.loads(x)["session_index"]) for x in lines]
    assert keys == [("b", 1), ("a", 2), ("a", 1)]  # appended in order of writing
    assert [(r.course_id, r.session_index) for r in sink.records] == sorted(keys)
    assert [r.session_index for r in sink.records_of("a")] == [1, 2]
    assert [p.name for p in tmp_path.iterdir()] == ["sessions.jsonl"]
    # a new sink over the same file knows what is stored
    again = SessionLog(path)
    assert again.has("a", 2) and not again.has("b", 2)
    assert not again.write(record("a", 2, "replayed"))
    assert len(path.read_text(encoding="utf-8").splitlines()) == 3


def test_jsonl_sink_cuts_a_torn_last_line(tmp_path):
    path = tmp_path / "sessions.jsonl"
    whole = record("a", 1).model_dump_json() + "\n"
    path.write_text(whole + record("a", 2).model_dump_json()[:57], encoding="utf-8")
    sink = SessionLog(path)
    assert path.read_text(encoding="utf-8") == whole
    assert sink.write(record("a", 2))
    assert [r.session_index for r in SessionLog(path).records] == [1, 2]


def test_jsonl_sink_rejects_a_corrupt_file(tmp_path):
    path = tmp_path / "sessions.jsonl"
    path.write_text(record("a", 1).model_dump_json() + "\n\n{not a record}\n", encoding="utf-8")
    with pytest.raises(OutputError, match=r"sessions\.jsonl:3: not valid JSON"):
        SessionLog(path)


def test_open_run_new_and_resume(tmp_path):
    out = tmp_path / "a" / "run"
    info = Manifest(resume_key="course-1", profile_id="p")
    assert RunDir(out).open_run(info) is False
    assert json.loads((out / "run.json").read_text()) == info.dump()
    assert Manifest.model_validate_json((out / "run.json").read_text()) == info
    (out / "sessions.jsonl").write_text("")
    assert RunDir(out).open_run(info) is True  # same key: resume


def test_open_run_accepts_an_empty_existing_dir(tmp_path):
    out = tmp_path / "empty"
    out.mkdir()
    assert RunDir(out).open_run(Manifest(resume_key="k")) is False
    assert (out / "run.json").is_file()


def test_open_run_refuses_a_non_empty_non_run_dir(tmp_path):
    out = tmp_path / "photos"
    out.mkdir()
    (out / "holiday.jpg").write_bytes(b"\xff\xd8")
    with pytest.raises(OutputError, match="holds no counselsim run"):
        RunDir(out).open_run(Manifest(resume_key="k"))
    assert [p.name for p in out.iterdir()] == ["holiday.jpg"]


def test_open_run_refuses_a_different_resume_key(tmp_path):
    out = tmp_path / "run"
    RunDir(out).open_run(Manifest(resume_key="course-1"))
    before = (out / "run.json").read_text()
    with pytest.raises(OutputError, match="different profile or config"):
        RunDir(out).open_run(Manifest(resume_key="course-2"))
    assert (out / "run.json").read_text() == before


def test_claim_dir_refuses_a_file_and_an_unreadable_run(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputError, match="not a directory"):
        claim_dir(f, "run.json", "k")
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text("{broken")
    with pytest.raises(OutputError, match="unreadable run description"):
        claim_dir(out, "run.json", "k")
