"""Bad input through ``main()`` in-process: every case ends with one line naming the flag or
file and the right exit code, never ``internal error`` or a traceback. The model is a
scripted fake put in place of the configured engine (nothing loads, no socket opens)."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from counselsim.llm.fake import FunctionChatModel
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.runs import RunDir
from counselsim.services import compose, course
from tests.conftest import PROFILES, critic, plan, run_cli, summary, thought
from tests.unit.test_judge import answer, listed_items
from tests.unit.test_scoring import corpus

GOOD = PROFILES / "en_work_burnout.yaml"


def error_line(code: int, err: str) -> str:
    """The one ``error:`` line of a failed command (a progress bar may precede it)."""
    assert "Traceback" not in err and "internal error" not in err, err
    errors = [x for x in err.splitlines() if x.startswith("error: ")]
    assert code == 2 and len(errors) == 1, (code, err)
    return errors[0]


def one_line(code: int, err: str) -> str:
    lines = [x for x in err.splitlines() if x.strip()]
    assert len(lines) == 1, err
    return error_line(code, err)


# --- usage errors name the flag and exit 2 -----------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["generate", "--profiles", "zh-grief", "--courses", "0", "--out", "o"], "'--courses'"),
        (["generate", "--profiles", "zh-grief", "--concurrency", "-3", "--out", "o"],
         "'--concurrency'"),
        (["score", "run", "--repeats", "0"], "'--repeats'"),
        (["export", "run", "--format", "openai", "--out", "o", "--min-score", "high"],
         "'--min-score'"),
        (["export", "run", "--format", "openai"], "Missing option '--out'"),
        (["simulate", "--profile", "zh-grief"], "Missing option '--out'"),
        (["generate", "--profiles", "zh-grief", "--out", "o", "--executor", "spark"],
         "'--executor'"),
        (["simulate", "--profile", "zh-grief", "--out", "o", "--checklist", "some"],
         "'--checklist'"),
        (["export", "run", "--format", "openai", "--out", "o", "--side", "both"], "'--side'"),
        # range checks of the run config name the flag that set the value
        (["simulate", "--profile", "zh-grief", "--out", "o", "--sessions", "0"], "'--sessions'"),
        (["simulate", "--profile", "zh-grief", "--out", "o", "--max-turns", "999"],
         "'--max-turns'"),
        (["simulate", "--profile", "zh-grief", "--out", "o", "--n-threads", "0"],
         "'--n-threads'"),
    ],
)  # fmt: skip
def test_usage_errors_name_the_flag_and_exit_2(monkeypatch, capfd, tmp_path, argv, needle):
    monkeypatch.chdir(tmp_path)
    code, _, err = run_cli(monkeypatch, capfd, *argv)
    line = one_line(code, err)
    assert needle in line and "BadParameter" not in line and "out_dir" not in line
    assert not (tmp_path / "o").exists()


# --- a fake engine -------------------------------------------------------------------------------

CONFIG = "sessions: 2\nmax_turns: 3\nmin_turns: 1\nseed: 7\nmax_regenerations: 0\n"
# Each step is told by its sampling settings (the defaults of RunConfig): what it answers.
ANSWERS = {
    (0.5, 320): plan(1),
    (0.6, 320): thought(0),
    (0.7, 240): json.dumps({"reply": "Counselor: how are you feeling about it?"}),
    (0.8, 220): json.dumps({"emotion": ["Anxiety"], "reply": "Client: exams worry me."}),
    (0.3, 420): summary(1),
    (0.0, 700): critic(),
}


@pytest.fixture
def fake_engine(monkeypatch, tmp_path) -> Path:
    """The embedded engine replaced by a fake that answers each step the same way whatever
    the order it is asked in (a resumed run may redo a step); returns the config to pass."""
    cfg = tmp_path / "fake.yaml"
    cfg.write_text(CONFIG, encoding="utf-8")
    monkeypatch.setattr(course, "USEEmbedding", HashingEmbedding)

    def fn(messages, kwargs):
        return ANSWERS[(kwargs["temperature"], kwargs["max_tokens"])]

    monkeypatch.setattr(
        compose, "build_chat_model", lambda _: (FunctionChatModel(fn=fn), "fake.gguf")
    )
    return cfg


def simulate(monkeypatch, capfd, cfg: Path, out: Path) -> tuple[int, str, str]:
    return run_cli(
        monkeypatch, capfd, "simulate", "--profile", str(GOOD), "--out", str(out),
        "--config", str(cfg), "--checklist", "off",
    )  # fmt: skip


def test_the_scripted_engine_runs_and_a_rerun_prints_its_repairs(
    monkeypatch, capfd, tmp_path, fake_engine
):
    out = tmp_path / "run"
    code, _, err = simulate(monkeypatch, capfd, fake_engine, out)
    assert code == 0, err
    path = out / RunDir.SESSIONS
    whole = path.read_bytes()
    path.write_bytes(whole[: whole.rstrip(b"\n").rfind(b"\n") + 30])  # a torn last line
    code, _, err = simulate(monkeypatch, capfd, fake_engine, out)
    assert code == 0, err
    repaired = [x for x in err.splitlines() if x.startswith("repaired: ")]
    assert len(repaired) == 2 and "sessions.jsonl: cut a torn last line" in repaired[0]
    assert "session 2 is missing" in repaired[1]
    assert path.read_bytes() == whole


def test_ctrl_c_says_what_is_saved_and_how_to_resume(monkeypatch, capfd, tmp_path, fake_engine):
    out = tmp_path / "run"
    cfg = fake_engine
    original = course.run_course_in

    async def interrupted(sim, ws, course_id, profile, seed, on_progress=None):
        def stop_in_session_2(p):
            if p.session_index == 2:
                raise KeyboardInterrupt
            if on_progress is not None:
                on_progress(p)

        await original(sim, ws, course_id, profile, seed, stop_in_session_2)

    monkeypatch.setattr("counselsim.services.simulate.run_course_in", interrupted)
    code, _, err = simulate(monkeypatch, capfd, cfg, out)
    assert code == 130, err
    line = [x for x in err.splitlines() if x.startswith("interrupted: ")]
    assert line == [
        f"interrupted: 1 session(s) of 1 course(s) are saved in {out}; "
        "rerun the same command to resume"
    ]
    monkeypatch.setattr("counselsim.services.simulate.run_course_in", original)
    code, _, err = simulate(monkeypatch, capfd, fake_engine, out)
    assert code == 0, err
    assert len((out / RunDir.SESSIONS).read_text(encoding="utf-8").splitlines()) == 2


# --- files that cannot be used ------------------------------------------------------------------


def test_a_full_disk_is_one_line_naming_the_file(monkeypatch, capfd, tmp_path, fake_engine):
    out = tmp_path / "run"
    real_write = os.write

    def full(fd: int, data: bytes) -> int:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(RunDir.SESSIONS):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_write(fd, data)

    monkeypatch.setattr(os, "write", full)
    code, _, err = simulate(monkeypatch, capfd, fake_engine, out)
    line = error_line(code, err)
    assert f"{out / RunDir.SESSIONS}: cannot write: No space left on device" in line


def test_a_read_only_run_directory_is_one_line(monkeypatch, capfd, tmp_path, fake_engine):
    out = tmp_path / "run"
    assert simulate(monkeypatch, capfd, fake_engine, out)[0] == 0
    os.chmod(out, 0o555)
    try:
        if os.geteuid() == 0:  # root writes anyway: make the file system refuse instead
            import tempfile

            real = tempfile.mkstemp

            def read_only(*args, **kwargs):
                if Path(kwargs.get("dir", "")) == out:
                    raise OSError(errno.EROFS, os.strerror(errno.EROFS))
                return real(*args, **kwargs)

            monkeypatch.setattr(tempfile, "mkstemp", read_only)
        code, _, err = simulate(monkeypatch, capfd, fake_engine, out)
    finally:
        os.chmod(out, 0o755)
    assert f"{out}: the directory is not writable" in one_line(code, err)


def test_a_garbage_checkpoint_file_is_one_line(monkeypatch, capfd, tmp_path, fake_engine):
    out = tmp_path / "run"
    assert simulate(monkeypatch, capfd, fake_engine, out)[0] == 0
    (out / RunDir.CHECKPOINTS).write_bytes(b"\x00garbage, not SQLite\n" * 64)
    code, _, err = simulate(monkeypatch, capfd, fake_engine, out)
    line = one_line(code, err)
    assert f"{out / RunDir.CHECKPOINTS}: not a checkpoint database" in line


def test_a_binary_config_or_rubric_file_is_one_line(monkeypatch, capfd, tmp_path):
    binary = tmp_path / "blob.yaml"
    binary.write_bytes(bytes(range(256)) * 4)
    code, _, err = run_cli(
        monkeypatch, capfd, "simulate", "--profile", str(GOOD), "--config", str(binary),
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert f"{binary}: cannot read config" in one_line(code, err)
    code, _, err = run_cli(
        monkeypatch, capfd, "score", str(corpus(tmp_path)), "--format", "transcript",
        "--rubric", str(binary), "--out", str(tmp_path / "s"),
    )  # fmt: skip
    assert f"{binary}: rubric file" in one_line(code, err)


# --- --out is never an input ---------------------------------------------------------------------


def test_out_equal_to_an_input_is_refused(monkeypatch, capfd, tmp_path):
    src = corpus(tmp_path)
    before = src.read_bytes()
    cases = [
        ["metrics", f"transcript:{src}", "--out", str(src)],
        ["score", str(src), "--format", "transcript", "--out", str(src)],
        ["profiles", "import", str(src), "--format", "transcript", "--out", str(src)],
        ["reconstruct", "--corpus", str(src), "--profiles", "library", "--out", str(src)],
    ]
    for argv in cases:
        code, _, err = run_cli(monkeypatch, capfd, *argv)
        assert f"--out {src}: is also an input" in one_line(code, err), argv
    assert src.read_bytes() == before


def test_export_and_report_refuse_to_write_over_the_run(monkeypatch, capfd, tmp_path):
    from tests.unit.test_export import RECORDS, write_run

    run = write_run(tmp_path / "run", RECORDS)
    for argv in (
        ["export", str(run), "--format", "openai", "--out", str(run), "--overwrite"],
        ["export", str(run / RunDir.SESSIONS), "--format", "hf", "--out", str(run)],
        ["report", str(run), "--out", str(run / RunDir.SESSIONS)],
    ):
        code, _, err = run_cli(monkeypatch, capfd, *argv)
        assert "is also an input" in one_line(code, err), argv
    assert sorted(p.name for p in run.iterdir()) == [RunDir.SESSIONS]


# --- score: exit 1 when some units failed, 2 when none could be scored -------------------------


def judge_engine(monkeypatch, valid_when: str | None) -> None:
    """A judge that answers with valid scores for units whose text holds ``valid_when``
    (never, for None) and with malformed JSON otherwise."""

    def fn(messages, kwargs):
        if valid_when is not None and valid_when in str(messages[1].content):
            return answer(dict.fromkeys(listed_items(messages), 3))
        return '{"helpfulness": {"score": 3'  # cut off: not JSON

    monkeypatch.setattr(
        compose, "build_chat_model", lambda _: (FunctionChatModel(fn=fn), "fake-judge")
    )


@pytest.mark.parametrize(("valid_when", "exit_code"), [("焦虑", 1), (None, 2), ("", 0)])
def test_score_exit_code_says_how_many_units_failed(
    monkeypatch, capfd, tmp_path, valid_when, exit_code
):
    judge_engine(monkeypatch, valid_when)
    out = tmp_path / "scored"
    code, _, err = run_cli(
        monkeypatch, capfd, "score", str(corpus(tmp_path)), "--format", "transcript",
        "--rubric", "psy_insight", "--out", str(out),
    )  # fmt: skip
    assert code == exit_code, err
    summary = json.loads((out / "scores" / "psy_insight.summary.json").read_text("utf-8"))
    assert summary["schema_version"] == 1 and summary["units"] == 2
    assert summary["failed"] == {0: 0, 1: 1, 2: 2}[exit_code]
    if exit_code:
        assert f"{'all' if exit_code == 2 else '1 of 2'} could not be scored" in err
