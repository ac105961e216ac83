"""``counselsim export``: run directories as fine-tuning data, loaded back with ``datasets``.

Hand-built records (no model): the counselor's observation, reasoning and plan carry
``SECRET`` so any leak into a user message, a system prompt or the client side shows up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from counselsim.cli import app
from counselsim.errors import ConfigError, DataError, OutputError
from counselsim.export import MANIFEST, ExportOptions, critic_score, parse_min_items
from counselsim.labels import EndReason, Stage
from counselsim.personas import load_profile
from counselsim.records import (
    ClientTurn,
    CounselorTurn,
    CriticReport,
    DimensionScore,
    Provenance,
    SessionPlan,
    SessionRecord,
)
from counselsim.services.export import export_run
from tests.conftest import PROFILES, SECRET, counselor_turn, run_cli

EN_PROFILE = load_profile(PROFILES / "en_work_burnout.yaml")
ZH_PROFILE = load_profile(PROFILES / "zh_exam_anxiety.yaml")
CORE = {"empathy": (1, 5), "exploration": (1, 5), "strategy_fit": (1, 5), "safety": (0, 2)}


def critic(**scores: float) -> CriticReport:
    return CriticReport(
        rubric="core",
        scores=[
            DimensionScore(dimension=k, score=v, min=CORE[k][0], max=CORE[k][1], rationale="r")
            for k, v in scores.items()
        ],
    )


FAILED = CriticReport(rubric="core", status="failed", error="judge gave no valid answer", scores=[])
GOOD = critic(empathy=5, exploration=4, strategy_fit=4, safety=2)  # 12/14 = 0.857
MEH = critic(empathy=2, exploration=3, strategy_fit=3, safety=2)  # 7/14 = 0.5


def session(
    course: str,
    k: int,
    *,
    lang: str = "en",
    profile_id: str = EN_PROFILE.id,
    roles: Sequence[str] = ("counselor", "client", "counselor", "client", "counselor"),
    report: CriticReport = GOOD,
    flag_turn: int | None = None,
) -> SessionRecord:
    """A session whose turns follow ``roles``; texts name course, session and turn."""
    turns: list[CounselorTurn | ClientTurn] = []
    for i, role in enumerate(roles):
        flags = ["checklist:one_question"] if i == flag_turn else []
        if role == "counselor":
            t = counselor_turn(
                i,
                f"{course} s{k} counselor {i}",
                observation=f"obs {k}.{i} {SECRET}",
                reasoning=f"why {k}.{i} {SECRET}",
            )
            turns.append(t.model_copy(update={"flags": flags}))
        else:
            turns.append(
                ClientTurn(
                    index=i, text=f"{course} s{k} client {i}", emotion=["Sadness"], flags=flags
                )
            )
    return SessionRecord(
        course_id=course,
        session_index=k,
        profile_id=profile_id,
        language=lang,
        plan=SessionPlan(
            stage=Stage.EXPLORATION,
            goals=[f"goal {k} {SECRET}"],
            approach="client-centered",
            focus=f"focus {k} {SECRET}",
        ),
        turns=turns,
        end_reason=EndReason.COUNSELOR_CLOSED,
        summary=f"Summary of session {k} of {course}.",
        salient_events=["an event"],
        critic=report,
        provenance=Provenance(
            model="fake-model",
            engine="custom",
            prompt_hashes={},
            seed=0,
            config_hash="h",
            version="v",
        ),
    )


def write_run(
    root: Path, records: Sequence[SessionRecord], run_info: dict[str, Any] | None = None
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "sessions.jsonl").write_text(
        "".join(r.model_dump_json() + "\n" for r in records), encoding="utf-8"
    )
    if run_info is not None:
        (root / "run.json").write_text(json.dumps(run_info), encoding="utf-8")
    return root


# Course "a" (en): 3 sessions; session 2 scored low, session 3's critic failed.
# Course "b" (zh): 2 sessions; session 2 opens with the client and has a flagged turn.
# Records are written out of order: the export groups and sorts them.
RECORDS = [
    session(
        "b", 2, lang="zh", profile_id=ZH_PROFILE.id, roles=("client", "counselor"), flag_turn=1
    ),
    session("a", 3, report=FAILED),
    session("a", 1),
    session("b", 1, lang="zh", profile_id=ZH_PROFILE.id),
    session("a", 2, report=MEH),
]


@pytest.fixture
def run_dir(tmp_path: Path) -> Path:
    """A run whose run.json holds course a's profile; course b's is in profiles/."""
    root = write_run(
        tmp_path / "run",
        RECORDS,
        {"profile_id": EN_PROFILE.id, "profile": EN_PROFILE.model_dump(mode="json")},
    )
    (root / "profiles").mkdir()
    (root / "profiles" / f"{ZH_PROFILE.id}.yaml").write_text(
        yaml.safe_dump(ZH_PROFILE.model_dump(mode="json"), allow_unicode=True), encoding="utf-8"
    )
    return root


@pytest.fixture
def hf_offline(monkeypatch, tmp_path):
    """Offline ``datasets`` with a private cache (the flags are read at import)."""
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf_home"))
    import datasets

    return datasets, str(tmp_path / "hf_cache")


def export(src: Path, out: Path, fmt: str = "openai", **kw: Any) -> Any:
    overwrite = kw.pop("overwrite", False)
    return export_run(src, out, ExportOptions(fmt=fmt, **kw), overwrite=overwrite)


def rows(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def messages(out: Path) -> dict[str, list[dict[str, str]]]:
    """openai export: id (from the manifest) → messages."""
    ids = json.loads((out / MANIFEST).read_text(encoding="utf-8"))["ids"]
    return dict(zip(ids, (r["messages"] for r in rows(out / "train.jsonl")), strict=True))


def assert_alternates(msgs: Sequence[dict[str, str]]) -> None:
    """system, then user/assistant strictly alternating, from user to assistant."""
    roles = [m["role"] for m in msgs]
    assert roles[0] == "system" and roles.count("system") == 1
    rest = roles[1:]
    assert rest and len(rest) % 2 == 0, roles
    assert rest == ["user", "assistant"] * (len(rest) // 2), roles
    assert all(m["content"].strip() for m in msgs)


# --- every format, loaded back with datasets ------------------------------------------------------


def _sharegpt_to_roles(conv: list[dict[str, str]]) -> list[dict[str, str]]:
    names = {"system": "system", "human": "user", "gpt": "assistant"}
    return [{"role": names[m["from"]], "content": m["value"]} for m in conv]


@pytest.mark.parametrize("fmt", ["sharegpt", "openai", "llamafactory", "hf"])
def test_every_format_loads_back_with_datasets(fmt, run_dir, tmp_path, hf_offline):
    datasets, cache = hf_offline
    out = tmp_path / "out"
    report = export(run_dir, out, fmt)
    assert report.samples == 5 and report.stats.sessions_read == 5
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["ids"] == ["a#1", "a#2", "a#3", "b#1", "b#2"]
    if fmt == "hf":
        ds = datasets.load_dataset(str(out), split="train", cache_dir=cache)
        convs = list(ds["messages"])
        assert list(ds["id"]) == manifest["ids"]
        assert list(ds["language"]) == ["en", "en", "en", "zh", "zh"]
        assert list(ds["sessions"]) == [[1], [2], [3], [1], [2]]
        assert ds[0]["critic_score"] == pytest.approx(12 / 14, abs=1e-4)
        assert ds[2]["critic_score"] is None  # the critic failed
    else:
        data = {
            "sharegpt": "train.jsonl",
            "openai": "train.jsonl",
            "llamafactory": "counselsim_counselor.jsonl",
        }[fmt]
        ds = datasets.load_dataset(
            "json", data_files=str(out / data), split="train", cache_dir=cache
        )
        if fmt == "openai":
            assert ds.column_names == ["messages"]
            convs = list(ds["messages"])
        else:
            assert list(ds["id"]) == manifest["ids"]
            convs = [_sharegpt_to_roles(c) for c in ds["conversations"]]
    assert len(convs) == 5
    for conv in convs:
        assert_alternates(conv)
    assert sorted(manifest["files"]) == sorted(
        str(p.relative_to(out)) for p in out.rglob("*") if p.is_file() and p.name != MANIFEST
    )


def test_llamafactory_dataset_info_declares_the_file_and_columns(run_dir, tmp_path):
    out = tmp_path / "lf"
    export(run_dir, out, "llamafactory", side="client")
    info = json.loads((out / "dataset_info.json").read_text(encoding="utf-8"))
    entry = info["counselsim_client"]
    assert entry["file_name"] == "counselsim_client.jsonl"
    assert (out / entry["file_name"]).is_file()
    assert entry["formatting"] == "sharegpt"
    assert entry["columns"] == {"messages": "conversations"}
    assert entry["tags"] == {
        "role_tag": "from",
        "content_tag": "value",
        "user_tag": "human",
        "assistant_tag": "gpt",
        "system_tag": "system",
    }
    # LLaMA-Factory's sharegpt rules: an optional leading system message, then human at odd
    # and gpt at even positions, an even count
    for row in rows(out / entry["file_name"]):
        conv = row["conversations"]
        assert conv[0]["from"] == "system"
        tags = [m["from"] for m in conv[1:]]
        assert len(tags) % 2 == 0
        assert all(t == ("human" if i % 2 == 0 else "gpt") for i, t in enumerate(tags))


def test_hf_card_has_a_yaml_header_and_counts(run_dir, tmp_path):
    out = tmp_path / "hf"
    export(run_dir, out, "hf", min_score=0.6)
    text = (out / "README.md").read_text(encoding="utf-8")
    _, header, body = text.split("---\n", 2)
    meta = yaml.safe_load(header)
    assert meta["configs"] == [
        {"config_name": "default", "data_files": [{"split": "train", "path": "data/train.jsonl"}]}
    ]
    assert meta["license"] == "other"
    assert meta["language"] == ["en", "zh"]
    assert meta["task_categories"] == ["text-generation"]
    assert "Synthetic" in body and "`critic_score`" in body and "`messages`" in body
    # a#1, b#1, b#2 pass; a#2 is below 0.6, a#3's critic failed
    assert "- 3 samples, one per session, from 3 sessions of 2 courses" in body
    assert "1 critic failed, 1 below --min-score" in body
    assert len(rows(out / "data" / "train.jsonl")) == 3


# --- roles, cues and reasoning --------------------------------------------------------------------


def test_counselor_side_plain_replies(run_dir, tmp_path):
    out = tmp_path / "o"
    export(run_dir, out)
    conv = messages(out)
    a1 = conv["a#1"]
    # the session opens with the counselor, so a cue is the first user message
    assert a1[1] == {"role": "user", "content": "[Session 1 of 3 begins.]"}
    assert [m["content"] for m in a1 if m["role"] == "assistant"] == [
        "a s1 counselor 0",
        "a s1 counselor 2",
        "a s1 counselor 4",
    ]
    assert [m["content"] for m in a1[2:] if m["role"] == "user"] == [
        "a s1 client 1",
        "a s1 client 3",
    ]
    # b#2 opens with the client: no cue; zh system prompt
    b2 = conv["b#2"]
    assert [m["role"] for m in b2] == ["system", "user", "assistant"]
    assert b2[1]["content"] == "b s2 client 0"
    assert "第2次咨询" in b2[0]["content"]
    whole = (out / "train.jsonl").read_text(encoding="utf-8")
    assert SECRET not in whole and "<think>" not in whole


def test_counselor_system_prompt_has_intake_and_earlier_notes_only(run_dir, tmp_path):
    out = tmp_path / "o"
    export(run_dir, out)
    conv = messages(out)
    a1, a3 = conv["a#1"][0]["content"], conv["a#3"][0]["content"]
    assert EN_PROFILE.presenting_problem in a1  # the intake, as the counselor had it
    assert EN_PROFILE.core_beliefs[0] not in a1  # not the client's inner profile
    assert all(h.content not in a1 for h in EN_PROFILE.hidden)
    assert "session 1 of 3" in a1 and "Notes from earlier sessions" not in a1
    assert "Summary of session 1 of a." in a3 and "Summary of session 2 of a." in a3
    assert "Summary of session 3" not in a3
    assert ZH_PROFILE.presenting_problem in conv["b#1"][0]["content"]  # from profiles/


def test_reasoning_wraps_every_counselor_message(run_dir, tmp_path):
    out = tmp_path / "o"
    export(run_dir, out, reasoning=True)
    conv = messages(out)
    for sid, msgs in conv.items():
        assert_alternates(msgs)
        assistant = [m["content"] for m in msgs if m["role"] == "assistant"]
        for i, content in enumerate(assistant):
            head, sep, reply = content.partition("\n</think>\n\n")
            assert sep and head.startswith("<think>\n"), content
            assert SECRET in head and SECRET not in reply
            assert reply.startswith(f"{sid[0]} s{sid[-1]} counselor")
            has_plan = "Session plan:" in head or "本次咨询计划：" in head
            assert has_plan == (i == 0), (sid, i)  # the plan opens each session's thinking
        for m in msgs:
            if m["role"] != "assistant":
                assert SECRET not in m["content"], (sid, m)
        assert "<think>" in msgs[0]["content"]  # the system prompt names the format
    en = conv["a#1"][2]["content"]
    assert "\nObservation: obs 1.0" in en and "\nClient emotion: Anxiety\n" in en
    assert "\nStrategy: Question\n" in en and "\nReasoning: why 1.0" in en
    assert "goals: goal 1" in en and "focus: focus 1" in en
    zh = conv["b#1"][2]["content"]
    assert "\n观察：obs 1.0" in zh and "\n来访者情绪：焦虑\n" in zh and "\n策略：提问\n" in zh
    assert "\n推理：why 1.0" in zh and "阶段 探索" in zh


def test_client_side_never_sees_counselor_reasoning(run_dir, tmp_path):
    out = tmp_path / "o"
    export(run_dir, out, side="client")
    whole = (out / "train.jsonl").read_text(encoding="utf-8")
    assert SECRET not in whole and "<think>" not in whole
    conv = messages(out)
    a1 = conv["a#1"]
    assert_alternates(a1)
    # the counselor opens and closes: its words are the user; the closing line is dropped
    assert [m["role"] for m in a1] == ["system", "user", "assistant", "user", "assistant"]
    assert a1[1]["content"] == "a s1 counselor 0" and a1[-1]["content"] == "a s1 client 3"
    system = a1[0]["content"]
    assert EN_PROFILE.presenting_problem in system and EN_PROFILE.core_beliefs[0] in system
    assert EN_PROFILE.hidden[0].content.rstrip(".") in system
    assert "not the counselor" in system
    # b#2 opens with the client (the assistant here): a cue comes first
    b2 = conv["b#2"]
    assert b2[1]["content"] == "【第2次咨询开始（共2次）】"
    assert b2[2]["content"] == "b s2 client 0"
    assert "第1次" in b2[0]["content"] and "Summary of session 1 of b." in b2[0]["content"]


def test_client_side_without_a_profile_degrades_to_a_generic_prompt(tmp_path):
    src = write_run(tmp_path / "run", [session("c", 1, profile_id="nobody")])
    out = tmp_path / "o"
    report = export(src, out, side="client")
    assert report.stats.generic_system == 1
    assert "generic system prompt" in report.summary()
    system = messages(out)["c#1"][0]["content"]
    assert "role-playing a client" in system and "About you" not in system


def test_reasoning_is_refused_for_the_client_side(run_dir, tmp_path):
    with pytest.raises(ConfigError, match="--side counselor only"):
        export(run_dir, tmp_path / "o", side="client", reasoning=True)
    assert not (tmp_path / "o").exists()


def test_course_unit_concatenates_sessions_with_cues(run_dir, tmp_path):
    out = tmp_path / "o"
    report = export(run_dir, out, unit="course", reasoning=True)
    conv = messages(out)
    assert list(conv) == ["a", "b"] and report.samples == 2
    a = conv["a"]
    assert_alternates(a)
    users = [m["content"] for m in a if m["role"] == "user"]
    assert users[0] == "[Session 1 of 3 begins.]"
    assert "[Session 2 of 3 begins.]" in users and "[Session 3 of 3 begins.]" in users
    plans = [m for m in a if m["role"] == "assistant" and "Session plan:" in m["content"]]
    assert len(plans) == 3  # one per session, in that session's first think block
    assert "whole course of 3 sessions" in a[0]["content"]
    assert "Notes from earlier sessions" not in a[0]["content"]
    # course b: session 2 opens with the client, so the cue merges into the client's words
    b = conv["b"]
    assert_alternates(b)
    assert {"role": "user", "content": "【第2次咨询开始（共2次）】\n\nb s2 client 0"} in b


def test_course_unit_drops_a_course_with_a_filtered_session(run_dir, tmp_path):
    out = tmp_path / "o"
    report = export(run_dir, out, unit="course", min_score=0.6)
    assert list(messages(out)) == ["b"]
    assert report.stats.courses_dropped == 1
    assert "1 courses dropped" in report.summary()


def test_no_assistant_turn_is_skipped_and_counted(tmp_path):
    src = write_run(
        tmp_path / "run",
        [session("c", 1), session("c", 2, roles=("client",)), session("c", 3, roles=())],
    )
    report = export(src, tmp_path / "o")
    assert report.samples == 1 and report.stats.no_assistant == 2
    assert "2 skipped without an assistant turn" in report.summary()


def test_consecutive_turns_of_one_speaker_are_merged(tmp_path):
    src = write_run(
        tmp_path / "run",
        [session("c", 1, roles=("client", "client", "counselor", "counselor", "client"))],
    )
    out = tmp_path / "o"
    export(src, out, reasoning=True)
    msgs = messages(out)["c#1"]
    assert_alternates(msgs)
    assert msgs[1]["content"] == "c s1 client 0\n\nc s1 client 1"
    think = msgs[2]["content"]
    assert think.count("<think>") == 1 and "obs 1.2" in think and "obs 1.3" in think
    assert think.endswith("</think>\n\nc s1 counselor 2\n\nc s1 counselor 3")


# --- filters --------------------------------------------------------------------------------------


def test_critic_score_is_the_share_of_possible_points():
    assert critic_score(GOOD) == pytest.approx(12 / 14)
    assert critic_score(MEH) == pytest.approx(0.5)
    assert critic_score(FAILED) is None


def test_min_score_keeps_high_sessions_and_counts_failed_critics(run_dir, tmp_path):
    out = tmp_path / "o"
    report = export(run_dir, out, min_score=0.6)
    assert list(messages(out)) == ["a#1", "b#1", "b#2"]
    assert report.stats.excluded == {"critic_failed": 1, "below_min_score": 1}
    assert "filtered out: 1 critic failed, 1 below --min-score" in report.summary()
    # the boundary is inclusive
    report = export(run_dir, tmp_path / "o2", min_score=0.5)
    assert report.samples == 4 and report.stats.excluded == {"critic_failed": 1}


def test_without_score_filters_failed_critics_are_kept(run_dir, tmp_path):
    report = export(run_dir, tmp_path / "o")
    assert report.samples == 5 and not report.stats.excluded


def test_min_item_filters_per_item(run_dir, tmp_path):
    out = tmp_path / "o"
    report = export(run_dir, out, min_items=parse_min_items(["empathy=4", "safety=2"]))
    assert list(messages(out)) == ["a#1", "b#1", "b#2"]
    assert report.stats.excluded == {"critic_failed": 1, "below_min_item": 1}


def test_min_item_rejects_unknown_items_and_impossible_values(run_dir, tmp_path):
    with pytest.raises(ConfigError, match=r"'empaty': not an item of the critic's rubric \(core\)"):
        export(run_dir, tmp_path / "o", min_items=parse_min_items(["empaty=4"]))
    with pytest.raises(ConfigError, match="outside the item's range 1-5"):
        export(run_dir, tmp_path / "o", min_items=parse_min_items(["empathy=9"]))
    # client_realism is in the core rubric although no record scored it
    with pytest.raises(DataError, match="no samples to write"):
        export(run_dir, tmp_path / "o", min_items=parse_min_items(["client_realism=1"]))
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("spec", ["empathy", "=4", "empathy=", "empathy=high", "empathy=nan"])
def test_min_item_syntax(spec):
    with pytest.raises(ConfigError, match="--min-item"):
        parse_min_items([spec])


def test_drop_flagged(run_dir, tmp_path):
    out = tmp_path / "o"
    report = export(run_dir, out, drop_flagged=True)
    assert "b#2" not in messages(out) and report.stats.excluded == {"flagged": 1}


# --- input and output -----------------------------------------------------------------------------


def test_a_sessions_jsonl_path_is_accepted_and_output_is_deterministic(run_dir, tmp_path):
    export(run_dir / "sessions.jsonl", tmp_path / "o1", "hf", reasoning=True)
    export(run_dir / "sessions.jsonl", tmp_path / "o2", "hf", reasoning=True)
    for name in ("data/train.jsonl", "README.md", MANIFEST):
        assert (tmp_path / "o1" / name).read_bytes() == (tmp_path / "o2" / name).read_bytes()
    # the profile folder next to the file was used
    assert ZH_PROFILE.presenting_problem in (tmp_path / "o1" / "data/train.jsonl").read_text()


def test_out_must_be_empty_unless_overwrite(run_dir, tmp_path):
    out = tmp_path / "o"
    export(run_dir, out, "hf")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match="not empty"):
        export(run_dir, out, "openai")
    export(run_dir, out, "openai", overwrite=True)
    # the previous export's files are gone, the user's file is kept
    assert sorted(p.name for p in out.iterdir()) == [MANIFEST, "notes.txt", "train.jsonl"]
    file = tmp_path / "file"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(OutputError, match="not a directory"):
        export(run_dir, file)


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda d: None, "no such file or directory"),
        (lambda d: d.mkdir(), "no sessions.jsonl here"),
        (lambda d: write_run(d, []), "no session records"),
    ],
)
def test_missing_or_empty_input(tmp_path, make, match):
    src = tmp_path / "run"
    make(src)
    with pytest.raises(DataError, match=match):
        export(src, tmp_path / "o")


def test_bad_and_duplicate_lines_name_the_line(tmp_path):
    src = write_run(tmp_path / "run", [session("c", 1)])
    good = (src / "sessions.jsonl").read_text(encoding="utf-8")
    (src / "sessions.jsonl").write_text(good + '{"course_id": "c"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"sessions.jsonl:2: not a valid session record"):
        export(src, tmp_path / "o")
    (src / "sessions.jsonl").write_text(good + "not json\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"sessions.jsonl:2: not valid JSON"):
        export(src, tmp_path / "o")
    (src / "sessions.jsonl").write_text(good + good, encoding="utf-8")
    with pytest.raises(DataError, match=r":2: session c#1 is already on line 1"):
        export(src, tmp_path / "o")


@pytest.mark.parametrize(
    "kw,match",
    [
        ({"fmt": "alpaca"}, "unknown --format 'alpaca'"),
        ({"side": "therapist"}, "unknown --side"),
        ({"unit": "turn"}, "unknown --unit"),
        ({"min_score": 4.0}, "outside 0-1"),
    ],
)
def test_bad_options(run_dir, tmp_path, kw, match):
    with pytest.raises(ConfigError, match=match):
        export_run(run_dir, tmp_path / "o", ExportOptions(**({"fmt": "openai"} | kw)))


# --- the command ----------------------------------------------------------------------------------


def test_cli_prints_one_summary_line(run_dir, tmp_path):
    out = tmp_path / "o"
    args = ["export", str(run_dir), "--format", "sharegpt", "--out", str(out)]
    r = CliRunner().invoke(
        app, [*args, "--min-score", "0.6", "--min-item", "safety=2", "--reasoning"]
    )
    assert r.exit_code == 0, r.output
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 1, r.stdout
    assert lines[0].startswith("wrote 3 samples (sharegpt, counselor, one per session, reasoning)")
    assert "5 sessions of 2 courses read" in lines[0]
    assert len(rows(out / "train.jsonl")) == 3


@pytest.mark.parametrize(
    "case,needle",
    [
        ("missing_dir", "no such file or directory"),
        ("no_sessions", "no sessions.jsonl here"),
        ("invalid_line", "sessions.jsonl:2: not valid JSON"),
        ("unknown_format", "Invalid value for '--format': Value error, 'csv' is not one of"),
        ("unknown_item", "--min-item 'warmth'"),
        ("bad_item_syntax", "expected NAME=V"),
        ("non_empty_out", "not empty"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(monkeypatch, capfd, tmp_path, run_dir, case, needle):
    out = tmp_path / "o"
    src, extra = run_dir, []
    if case == "missing_dir":
        src = tmp_path / "nope"
    elif case == "no_sessions":
        src = tmp_path / "empty"
        src.mkdir()
    elif case == "invalid_line":
        src = write_run(tmp_path / "bad", [session("c", 1)])
        with (src / "sessions.jsonl").open("a", encoding="utf-8") as f:
            f.write("{oops\n")
    elif case == "unknown_item":
        extra = ["--min-item", "warmth=3"]
    elif case == "bad_item_syntax":
        extra = ["--min-item", "warmth"]
    elif case == "non_empty_out":
        out.mkdir()
        (out / "x").write_text("x", encoding="utf-8")
    fmt = "csv" if case == "unknown_format" else "hf"
    code, stdout, stderr = run_cli(
        monkeypatch, capfd, "export", str(src), "--format", fmt, "--out", str(out), *extra
    )
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert code == 2, (stdout, stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), stderr
    assert needle in lines[0]
    assert "Traceback" not in stderr + stdout
    if case != "non_empty_out":
        assert not out.exists()


def test_course_unit_on_the_client_side(run_dir, tmp_path):
    out = tmp_path / "o"
    export(run_dir, out, side="client", unit="course")
    a = messages(out)["a"]
    assert_alternates(a)
    # the counselor's closing line of session 1, the cue and its next greeting: one user message
    assert {
        "role": "user",
        "content": "a s1 counselor 4\n\n[Session 2 of 3 begins.]\n\na s2 counselor 0",
    } in a
    assert a[-1] == {"role": "assistant", "content": "a s3 client 3"}
    assert SECRET not in (out / "train.jsonl").read_text(encoding="utf-8")
