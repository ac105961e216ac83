"""The scriptable mode (``practice --script``) over fakes, and the command's bad input: one
line, exit 2, nothing written, no model loaded."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
from rich.console import Console

from counselsim.errors import OutputError, PracticeError
from counselsim.llm.fake import FunctionChatModel
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.personas.library import get_persona
from counselsim.practice.room import PracticeOptions
from counselsim.practice.service import PracticeRequest, read_script, run_practice
from counselsim.records import SessionRecord
from counselsim.runs import Manifest, RunDir, RunKind
from tests.conftest import run_cli
from tests.unit.practice_support import StreamingClient, client_reply, files, practice_sim

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])
SCRIPT = "Hello. What brings you here today?\n\nIt sounds like you feel worn out.\n/end\nignored\n"


def script(tmp_path: Path, text: str = SCRIPT) -> Path:
    path = tmp_path / "turns.txt"
    path.write_text(text, encoding="utf-8")
    return path


def run(out: Path, turns: Path, client=None, persona: str = "en-crisis-risk", **extra):
    req = PracticeRequest(out=out, profile=get_persona(persona), script=turns, **extra)
    console = Console(file=open(out.parent / "console.txt", "w"), width=120)  # noqa: SIM115
    return run_practice(req, lambda: practice_sim(client), console, embedder=HashingEmbedding())


def cue_client(messages, kwargs) -> str:
    """A client that voices a risk cue in its first reply."""
    reply = json.loads(client_reply(messages, kwargs))
    if (
        "Counselor:" in str(messages[-1].content)
        and str(messages[-1].content).count("Client:") == 0
    ):
        reply["reply"] = "Honestly, some days I just want to disappear."
    return json.dumps(reply)


def test_a_script_writes_the_record_and_the_debrief(tmp_path):
    out = tmp_path / "p"
    debrief = run(out, script(tmp_path))
    assert debrief is not None
    records = [SessionRecord.model_validate_json(x) for x in (out / "sessions.jsonl").open()]
    assert len(records) == 1
    said = [t.text for t in records[0].turns if t.role.value == "counselor"]
    assert said == ["Hello. What brings you here today?", "It sounds like you feel worn out."]
    data = json.loads((out / "debrief.json").read_text(encoding="utf-8"))
    assert {"hidden_facts", "checks", "scores", "judge", "formulation", "strategy_mix"} <= set(data)
    assert all({"content", "uncovered"} <= set(h) for h in data["hidden_facts"])
    assert len(data["hidden_facts"]) == 3 and data["checks"]["missed_crisis"] == 0
    assert data["scores"]["status"] == "scored" and data["judge"]["validated"] is False
    assert "not been validated" in data["judge"]["note"]
    for fmt in ("jsonl", "md"):
        assert (out / data["transcript"][fmt]).is_file()
    assert "Debrief" in (tmp_path / "console.txt").read_text(encoding="utf-8")


def test_a_missed_risk_cue_is_counted(tmp_path):
    turns = script(tmp_path, "How are you?\nDo you work?\nWhat do you do?\n")
    debrief = run(tmp_path / "a", turns, FunctionChatModel(fn=cue_client))
    assert debrief is not None and debrief.checks.missed_crisis == 1
    asked = script(tmp_path, "How are you?\nAre you having thoughts of suicide?\n/end\n")
    debrief = run(tmp_path / "b", asked, FunctionChatModel(fn=cue_client))
    assert debrief is not None and debrief.checks.missed_crisis == 0


def test_a_rerun_resumes_the_interrupted_script_and_refuses_another(tmp_path):
    out = tmp_path / "p"
    with pytest.raises(PracticeError, match="Rerun the same command"):
        run(out, script(tmp_path), StreamingClient(fn=client_reply, failures=1))
    assert not (out / "sessions.jsonl").exists()
    other = tmp_path / "other.txt"
    other.write_text("Something else entirely.\n", encoding="utf-8")
    with pytest.raises(PracticeError, match="other trainee turns"):
        run(out, other)
    debrief = run(out, script(tmp_path))
    assert debrief is not None and len(debrief.turns) == 4
    lines = (out / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["session_index"] == 1


def test_a_second_run_is_the_clients_next_session(tmp_path):
    out = tmp_path / "p"
    run(out, script(tmp_path))
    second = run(out, script(tmp_path))
    assert second is not None and second.session_index == 2
    assert json.loads((out / "debrief.json").read_text())["session_index"] == 2
    assert len(list((out / "debriefs").iterdir())) == 2


def test_a_practice_directory_is_a_run_directory_repaired_on_reopen(tmp_path):
    out = tmp_path / "p"
    first = run(out, script(tmp_path))
    assert first is not None
    practice_dir = RunDir(out)
    manifest = practice_dir.manifest()
    assert manifest is not None and manifest.kind is RunKind.PRACTICE
    assert list(practice_dir.profiles()) == ["en-crisis-risk"]
    for fmt in ("jsonl", "md"):
        assert practice_dir.session_file(RunDir.TRANSCRIPTS, first.id, f".{fmt}").is_file()
    with pytest.raises(OutputError, match="choose another --out"):  # not a simulate run
        RunDir(out).open_run(Manifest(kind=RunKind.SIMULATE, resume_key="another run"))
    with practice_dir.sessions_file.open("a", encoding="utf-8") as f:
        f.write('{"course_id": "cut off mid-wr')  # a crash mid-write
    second = run(out, script(tmp_path))
    assert second is not None and second.session_index == 2
    assert [r.session_index for r in RunDir(out).sessions()] == [1, 2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Hello.\n/pause\n", "turns.txt:2: unknown command /pause"),
        ("Hello.\n" + "x" * 600 + "\n", "turns.txt:2: a turn of 600 characters"),
        ("\n\n/end\n", "no trainee turns"),
    ],
)
def test_bad_scripts_are_refused_with_the_line(tmp_path, text, message):
    with pytest.raises(PracticeError, match=message):
        read_script(script(tmp_path, text))


def test_end_may_carry_closing_words(tmp_path):
    got = read_script(script(tmp_path, "Hi.\n/end See you next week.\n"))
    assert got.turns == ["Hi."] and got.closing == "See you next week."


def _cli(monkeypatch, capfd, tmp_path, *args):
    out = tmp_path / "out"
    code, _, stderr = run_cli(monkeypatch, capfd, "practice", "--out", str(out), *args)
    lines = [x for x in stderr.splitlines() if x.strip()]
    assert code == 2, stderr
    assert len(lines) == 1 and "Traceback" not in stderr
    assert not out.exists()
    return lines[0]


def test_cli_bad_input_is_one_line_before_any_model_loads(monkeypatch, capfd, tmp_path):
    turns = script(tmp_path)
    cases = {
        ("--profile", "en-nope"): "unknown persona 'en-nope'",
        ("--web", "--script", str(turns)): "--web and --script do not go together",
        (): "--profile is required",
        ("--web", "--host", "0.0.0.0"): "give --token",
        ("--profile", "en-grief", "--script", str(tmp_path / "none.txt")): "cannot read",
        ("--profile", "en-grief", "--session", "0"): "--session counts from 1",
    }
    for args, message in cases.items():
        assert message in _cli(monkeypatch, capfd, tmp_path, *args), args


def test_cli_refuses_a_port_in_use(monkeypatch, capfd, tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = str(busy.getsockname()[1])
        line = _cli(monkeypatch, capfd, tmp_path, "--web", "--port", port)
    assert f"cannot listen on 127.0.0.1:{port}" in line and "--port" in line


def test_options_reach_the_room(tmp_path):
    out = tmp_path / "p"
    debrief = run(out, script(tmp_path), options=PracticeOptions(max_turns=1))
    assert debrief is not None and debrief.end_reason.value == "turn_cap"
    assert len(files(out / "debriefs")) == 1


def test_practice_sessions_are_scored_reported_and_exported_like_any_other(
    monkeypatch, capfd, tmp_path
):
    from counselsim.critic.scoring import load_units
    from counselsim.report.series import strategy_by_stage

    out = tmp_path / "p"
    run(out, script(tmp_path))
    units = load_units(out)
    assert len(units) == 1 and units[0].profile is not None
    assert units[0].turns[0].labels == ("Question",)
    records = [SessionRecord.model_validate_json(x) for x in (out / "sessions.jsonl").open()]
    assert strategy_by_stage(records) == []  # no counselor plan, so no stage to group by
    code, _, stderr = run_cli(
        monkeypatch,
        capfd,
        "export",
        str(out),
        "--format",
        "openai",
        "--reasoning",
        "--out",
        str(tmp_path / "export"),
    )
    assert code == 0, stderr
    sample = json.loads((tmp_path / "export" / "train.jsonl").read_text().splitlines()[0])
    said = [m["content"] for m in sample["messages"] if m["role"] == "assistant"]
    assert said[0] == "Hello. What brings you here today?"  # no invented <think> block
