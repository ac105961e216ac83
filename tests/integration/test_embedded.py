"""The real embedded model end to end (slow: a few minutes on 2 cores). Asserts structure,
not wording."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from counselsim.labels import NextAction, Role
from counselsim.llm.weights import DEFAULT_MODEL, PACKAGED_MODELS
from counselsim.records import ClientTurn, CounselorTurn, RubricScore, SessionRecord
from counselsim.runs import RunDir
from tests.conftest import PROFILES, ROOT

pytestmark = pytest.mark.integration


def _model_installed() -> bool:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return False
    return PACKAGED_MODELS[DEFAULT_MODEL].part_path(1) is not None


@pytest.fixture(scope="module", autouse=True)
def _require_model() -> None:
    if not _model_installed():
        if os.environ.get("CI"):
            pytest.fail("CI must run the embedded model: pip install -e '.[embedded]'")
        pytest.skip("embedded model not installed (pip install -e '.[embedded]')")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    exe = Path(sys.executable).with_name("counselsim")
    return subprocess.run([str(exe), *args], capture_output=True, text=True, timeout=1500, cwd=ROOT)


def test_two_session_course_on_the_embedded_model(tmp_path: Path) -> None:
    out = tmp_path / "run"
    proc = _cli(
        "simulate",
        "--profile",
        str(PROFILES / "zh_exam_anxiety.yaml"),
        "--sessions",
        "2",
        "--max-turns",
        "2",
        "--seed",
        "3",
        "--out",
        str(out),
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    lines = (out / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    records = [SessionRecord.model_validate_json(line) for line in lines]
    assert [r.session_index for r in records] == [1, 2]
    for r in records:
        assert r.language == "zh" and r.provenance.model == DEFAULT_MODEL
        assert r.provenance.engine == "embedded"
        # min_turns (3) > max_turns (2): every session runs exactly 2 exchanges
        assert [t.role for t in r.turns] == [Role.COUNSELOR, Role.CLIENT, Role.COUNSELOR]
        assert r.end_reason.value == "turn_cap"
        last = r.turns[-1]
        assert isinstance(last, CounselorTurn) and last.next_action is NextAction.CLOSE
        assert all(t.text.strip() for t in r.turns)
        assert r.summary and r.salient_events
        if r.critic.status == "scored":
            assert all(s.min <= s.score <= s.max for s in r.critic.scores)
        else:
            assert r.critic.error
    # session 2's client turns were given memories of session 1
    later = [t for t in records[1].turns if isinstance(t, ClientTurn)]
    assert later and all(t.memory_ids and all(":s1:" in i for i in t.memory_ids) for t in later)
    assert (out / "checkpoints.sqlite").is_file() and (out / "memory").is_dir()
    # the in-loop critic (rules, the default) checked every turn that passed the form checks
    assert all(t.checks for r in records for t in r.turns if not t.flags)
    # then the run is judged on another rubric, measured and reported, all on the real model
    proc = _cli("score", str(out), "--rubric", "safety", "--limit", "1")
    assert proc.returncode == 0, proc.stderr[-2000:]
    [line] = (out / "scores" / "safety.jsonl").read_text(encoding="utf-8").splitlines()
    score = RubricScore.model_validate_json(line)
    assert score.status == "failed" or set(score.items) == {
        "crisis_recognised",
        "protocol_followed",
        "no_harmful_advice",
    }
    assert _cli("metrics", str(out), "--out", str(out / "metrics.json")).returncode == 0
    assert _cli("report", str(out), "--out", str(out / "report.html")).returncode == 0
    assert "<svg" in (out / "report.html").read_text(encoding="utf-8")


def test_python_api_example_runs(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "stress_test_counselor.py"),
            "--profile",
            str(PROFILES / "en_grief_reserved.yaml"),
            "--out",
            str(tmp_path / "x"),
            "--sessions",
            "1",
            "--max-turns",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    header, *rows, report = proc.stdout.splitlines()
    assert header.split()[0] == "counselor" and len(rows) == 2  # the model and the reference
    assert report.startswith("report:") and (tmp_path / "x" / "report.json").is_file()
    for name in ("mine", "counselsim"):
        [record] = RunDir(tmp_path / "x").counselor(name).sessions()
        assert record.language == "en"


def test_reconstruction_on_the_embedded_model(tmp_path: Path) -> None:
    """RMRR on two short synthetic dialogues (one with a planted phone number)."""
    corpus = ROOT / "tests" / "fixtures" / "import" / "transcript" / "cpsycound.jsonl"
    out = tmp_path / "rmrr"
    proc = _cli(
        "reconstruct",
        "--corpus",
        str(corpus),
        "--profiles",
        str(PROFILES / "zh_exam_anxiety.yaml"),
        "--out",
        str(out),
        "--max-source-turns",
        "4",
        "--seed",
        "2",
        "--no-critic-check",
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    [line] = (out / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    record = SessionRecord.model_validate_json(line)
    assert record.provenance.source in ("transcript:case_1", "transcript:case_2")
    assert len(record.turns) == 4 and record.turns[0].role is Role.CLIENT
    assert all(t.strategy for t in record.turns if isinstance(t, CounselorTurn))
    assert "13812345678" not in line
    assert '"records_with_leaks": 0' in (out / "leaks.json").read_text(encoding="utf-8")
    assert "leak audit against the unmasked sources: 0 of 1" in proc.stdout


def test_generate_through_a_managed_llama_cpp_server(tmp_path: Path) -> None:
    """The server path users take to vLLM, proven on the CPU: counselsim starts llama.cpp's
    OpenAI-compatible server for the packaged GGUF, generates through it (HTTP, schemas in
    the server's dialect, per-request seeds, max_tokens), and stops it."""
    from counselsim.llm.weights import ensure_packaged_model

    gguf = ensure_packaged_model(DEFAULT_MODEL)
    out = tmp_path / "gen"
    proc = _cli(
        "generate", "--profiles", "en-help-rejecting", "--courses", "1", "--sessions", "1",
        "--max-turns", "2", "--seed", "2", "--serve-model", str(gguf), "--out", str(out),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "servers ready: http://127.0.0.1:" in proc.stderr
    [record] = [SessionRecord.model_validate_json(x) for x in (out / "sessions.jsonl").open()]
    assert record.turns and record.provenance.engine == "openai"
    log = (tmp_path / "gen.servers" / "server-1.log").read_text(encoding="utf-8")
    assert 'POST /v1/chat/completions HTTP/1.1" 200' in log
    assert "Finished server process" in log  # stopped, not left running
