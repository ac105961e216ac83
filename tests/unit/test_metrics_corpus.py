"""Reading metrics inputs: every input kind, every kind of bad input, the real CPsyCounE."""

from __future__ import annotations

import json
from pathlib import Path

import jieba
import pytest

from counselsim.errors import CounselsimError
from counselsim.labels import Emotion, EndReason, Role, Stage, Strategy
from counselsim.metrics import MetricsError, compute_metrics, load_input
from counselsim.records import (
    ClientTurn,
    CriticReport,
    Provenance,
    SessionPlan,
    SessionRecord,
)
from tests.conftest import counselor_turn

ROOT = Path(__file__).resolve().parents[2]
CPSYCOUNE = ROOT.parent / "shared/data/cpsycoun/cpsycoune.jsonl"
PSYINSIGHT = ROOT / "tests/fixtures/import/psyinsight/sessions.jsonl"
SECRET = "SECRET-CONTENT"


def session(course: str, index: int, exchanges: int) -> SessionRecord:
    turns: list[object] = []
    for i in range(exchanges):
        turns.append(
            counselor_turn(
                2 * i,
                f"你最近睡得怎么样？{i}",
                strategy=(Strategy.QUESTION, Strategy.REFLECTION),
                emotion=(Emotion.SADNESS,),  # the counselor's reading: not a client emotion
            )
        )
        turns.append(ClientTurn(index=2 * i + 1, text=f"不太好。{i}", emotion=[Emotion.ANXIETY]))
    return SessionRecord.model_validate(
        {
            "course_id": course,
            "session_index": index,
            "profile_id": "p",
            "language": "zh",
            "plan": SessionPlan(
                stage=Stage.INTAKE, goals=["建立关系"], approach="CBT", focus="睡眠"
            ),
            "turns": turns,
            "end_reason": EndReason.TURN_CAP,
            "summary": "notes",
            "salient_events": ["e"],
            "critic": CriticReport(rubric="core", status="failed", error="x", scores=[]),
            "provenance": Provenance(
                model="m", engine="custom", prompt_hashes={}, seed=0, config_hash="h", version="v"
            ),
        }
    )


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def sessions_file(path: Path) -> Path:
    records = [session("c1", 1, 2), session("c1", 2, 1), session("c2", 1, 1)]
    return write_lines(path, [r.model_dump_json() for r in records])


# --------------------------------------------------------------------------- input kinds


def test_sessions_jsonl_one_dialogue_per_session(tmp_path):
    dialogues = load_input(sessions_file(tmp_path / "sessions.jsonl"))
    assert [d.id for d in dialogues] == ["c1#1", "c1#2", "c2#1"]
    first = dialogues[0]
    assert (first.course_id, first.session_index, first.language, first.source) == (
        "c1",
        1,
        "zh",
        "counselsim",
    )
    assert [t.role for t in first.turns] == [Role.COUNSELOR, Role.CLIENT] * 2
    assert first.turns[0].strategies == ["Question", "Reflection of Feelings"]
    assert first.turns[0].emotions == []
    assert first.turns[1].emotions == ["Anxiety"] and first.turns[1].strategies == []
    result = compute_metrics([("s", dialogues)])
    assert result["turns"]["sessions_per_course"] == 1.5  # 3 sessions, 2 courses
    assert result["turns"]["turns_per_session"] == 2.67  # (4 + 2 + 2) / 3
    # every counselor turn carries Question and Reflection: half a turn each
    assert result["strategies"] == {
        "labelled_turns": 4,
        "shares": {"Question": 0.5, "Reflection of Feelings": 0.5},
    }
    assert result["emotions"] == {"labelled_turns": 4, "shares": {"Anxiety": 1.0}}


def test_a_run_folder_reads_its_sessions_jsonl(tmp_path):
    sessions_file(tmp_path / "sessions.jsonl")
    (tmp_path / "run.json").write_text("{}", encoding="utf-8")  # not a cal_LDD dialogue
    assert len(load_input(tmp_path)) == 3


def test_psydial_messages_and_d101_golden(tmp_path):
    path = write_lines(
        tmp_path / "psydial.jsonl",
        [
            json.dumps(
                {
                    "messages": [
                        {"role": "system", "content": "你是一名心理咨询师。"},
                        {"role": "user", "content": "我最近很焦虑。"},
                        {"role": "assistant", "content": "能多说一点吗？"},
                    ]
                },
                ensure_ascii=False,
            ),
            json.dumps(
                {
                    "idx": 7,
                    "messages": [{"role": "user", "content": "I can't sleep at all."}],
                    "golden": {"role": "assistant", "content": "That sounds exhausting."},
                }
            ),
        ],
    )
    first, second = load_input(path)
    assert (first.id, first.language, first.source) == ("psydial-0001", "zh", "psydial")
    assert [(t.role, t.text) for t in first.turns] == [
        (Role.CLIENT, "我最近很焦虑。"),
        (Role.COUNSELOR, "能多说一点吗？"),
    ]
    assert second.language == "en"
    assert [t.role for t in second.turns] == [Role.CLIENT, Role.COUNSELOR]
    assert second.turns[-1].text == "That sounds exhausting."


def test_cal_ldd_folder_one_dialogue_per_file_sorted(tmp_path):
    for name, turns in (
        ("b", [("client", "I feel low."), ("counselor", "Tell me more.")]),
        ("a", [("client", "我很焦虑。"), ("counselor", "嗯。"), ("client", "睡不着。")]),
    ):
        data = [{"role": r, "content": c} for r, c in turns]
        (tmp_path / f"{name}.json").write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    (tmp_path / "notes.txt").write_text("not a dialogue", encoding="utf-8")
    a, b = load_input(tmp_path)
    assert (a.id, a.language, len(a.turns), a.source) == ("a", "zh", 3, "cal_ldd")
    assert (b.id, b.language, len(b.turns)) == ("b", "en", 2)
    assert [t.role for t in b.turns] == [Role.CLIENT, Role.COUNSELOR]
    assert len(load_input(tmp_path / "a.json")) == 1  # one such file alone


def test_importer_format_transcript(tmp_path):
    path = write_lines(
        tmp_path / "cpsycoune.jsonl",
        [
            json.dumps(
                {
                    "id": "Career/1",
                    "topic": "Career",
                    "utterances": ["求助者：我很焦虑。", "支持者：能说说吗？"],
                },
                ensure_ascii=False,
            ),
            json.dumps(
                {
                    "id": "Family/2",
                    "topic": "Family",
                    "utterances": ["求助者：我和父母吵架了。", "支持者：嗯。", "求助者：很难受。"],
                },
                ensure_ascii=False,
            ),
        ],
    )
    first, second = load_input(path, "transcript")
    assert (first.id, first.language, first.source) == ("Career-1", "zh", "transcript")
    assert [(t.role, t.text) for t in first.turns] == [
        (Role.CLIENT, "我很焦虑。"),
        (Role.COUNSELOR, "能说说吗？"),
    ]
    assert len(second.turns) == 3


def test_importer_labels_become_strategies_and_emotions():
    first, second = load_input(PSYINSIGHT, "psyinsight")
    assert first.turns[0].role is Role.CLIENT
    assert first.turns[0].emotions == ["Anxiety", "Fear"] and first.turns[0].strategies == []
    assert first.turns[1].strategies == ["Reflection of Feelings"] and first.turns[1].emotions == []
    assert "13812345678" in first.turns[2].text  # read unmasked: the detectors count it
    result = compute_metrics([("pi", [first, second])])
    assert result["identifiers"]["client"] == {"PHONE": 1}
    assert result["strategies"]["labelled_turns"] == 3


# --------------------------------------------------------------------------- bad input


def test_missing_path(tmp_path):
    with pytest.raises(MetricsError, match="input not found"):
        load_input(tmp_path / "nope.jsonl")


def test_garbage_line_names_file_and_line_not_content(tmp_path):
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}]})
    path = write_lines(tmp_path / "p.jsonl", [good, "", f"{SECRET} not json"])
    with pytest.raises(MetricsError) as err:
        load_input(path)
    assert str(err.value).startswith(f"{path}:3: not valid JSON")
    assert SECRET not in str(err.value)
    assert isinstance(err.value, CounselsimError)  # the CLI prints one line


def test_invalid_record_is_an_error_not_skipped(tmp_path):
    good = json.dumps({"messages": [{"role": "user", "content": "hi"}]})
    bad = json.dumps({"messages": [{"role": "narrator", "content": SECRET}]})
    with pytest.raises(MetricsError, match=r"p\.jsonl:2: not a valid PsyDial") as err:
        load_input(write_lines(tmp_path / "p.jsonl", [good, bad]))
    assert "messages.0.role" in str(err.value) and SECRET not in str(err.value)
    only_system = json.dumps({"messages": [{"role": "system", "content": "x"}]})
    with pytest.raises(MetricsError, match=r"q\.jsonl:1: .*turns"):
        load_input(write_lines(tmp_path / "q.jsonl", [only_system]))


def test_bad_session_line(tmp_path):
    record = json.loads(session("c1", 1, 1).model_dump_json())
    record["session_index"] = 0
    path = write_lines(tmp_path / "sessions.jsonl", [json.dumps(record)])
    with pytest.raises(MetricsError, match=r"sessions\.jsonl:1: .*session record: session_index"):
        load_input(path)


def test_undetectable_jsonl_and_unknown_suffix(tmp_path):
    with pytest.raises(MetricsError, match=r"x\.jsonl:1: cannot tell the format"):
        load_input(write_lines(tmp_path / "x.jsonl", [json.dumps({"text": SECRET})]))
    with pytest.raises(MetricsError, match="cannot tell the format"):
        load_input(write_lines(tmp_path / "x.txt", ["来访者：你好"]))


def test_bad_cal_ldd_file(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps([{"role": "user", "content": "x"}]), "utf-8")
    with pytest.raises(MetricsError, match=r"a\.json: not a valid cal_LDD .*0\.role"):
        load_input(tmp_path)
    (tmp_path / "a.json").write_text('[{"role": "client",\n "content": }]', "utf-8")
    with pytest.raises(MetricsError, match=r"a\.json:2: not valid JSON"):
        load_input(tmp_path)


def test_empty_inputs_are_an_empty_corpus(tmp_path):
    folder = tmp_path / "empty"
    folder.mkdir()
    with pytest.raises(MetricsError, match="empty corpus"):
        load_input(folder)
    with pytest.raises(MetricsError, match="empty corpus"):
        load_input(write_lines(tmp_path / "blank.jsonl", ["", "  "]))


def test_unknown_or_profile_format(tmp_path):
    path = write_lines(tmp_path / "x.jsonl", ["{}"])
    with pytest.raises(MetricsError, match="unknown format 'nonsense'"):
        load_input(path, "nonsense")
    with pytest.raises(MetricsError, match="yields profiles"):
        load_input(path, "psyqa")


def test_unreadable_importer_input_is_a_metrics_error(tmp_path):
    path = tmp_path / "dialogues.jsonl"
    path.write_bytes(b"\xff\xfe not utf-8\n")
    for fmt in ("dialogues", "psydial"):
        with pytest.raises(MetricsError, match="not UTF-8"):
            load_input(path, fmt)


def test_importer_failure_names_file_and_line(tmp_path):
    ok = json.dumps({"id": "a", "utterances": ["求助者：你好", "支持者：你好"]}, ensure_ascii=False)
    bad = json.dumps({"id": "b", "utterances": [SECRET]})
    with pytest.raises(MetricsError, match=r"t\.jsonl:2: no speaker-prefixed lines") as err:
        load_input(write_lines(tmp_path / "t.jsonl", [ok, bad]), "transcript")
    assert SECRET not in str(err.value)


# --------------------------------------------------------------------------- real data


@pytest.mark.skipif(not CPSYCOUNE.is_file(), reason="CPsyCounE is not in ../shared/data")
def test_real_cpsycoune_sanity():
    dialogues = load_input(CPSYCOUNE, "transcript")
    result = compute_metrics([("cpsycoune", dialogues)])
    assert result["dialogues"] == 45
    assert result["languages"] == {"zh": 45}
    for role in (Role.CLIENT, Role.COUNSELOR):
        # PsyDial's cal_LDD by hand: every jieba.lcut token of the role's turns
        tokens = [
            w for d in dialogues for t in d.turns if t.role is role for w in jieba.lcut(t.text)
        ]
        puw, uwpd = round(100 * len(set(tokens)) / len(tokens), 2), round(len(set(tokens)) / 45, 2)
        ldd = result["ldd"][role]
        assert (ldd["tokens"], ldd["vocab"]) == (len(tokens), len(set(tokens)))
        assert (ldd["puw"], ldd["uwpd"]) == (puw, uwpd)
        assert ldd["ldd"] == pytest.approx(puw * uwpd, abs=1e-9)
        assert all(0 < v <= 1 for v in result["distinct"][role].values())
    assert result["avg_turns"] == round(result["turns"]["mean"] / 2, 2)
