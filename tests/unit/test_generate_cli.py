"""``counselsim generate`` as a user runs it: killed with SIGKILL mid-run and rerun, the
managed-server launcher, and one-line errors for bad input."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from counselsim.errors import ConfigError, ModelUnavailableError
from counselsim.llm.serve import ManagedServer, ServeEngine, pick_engine, serve, server_command
from counselsim.runs import RunDir
from tests.support import simserver
from tests.support.simserver import SimServer
from tests.unit.test_cli import EXE, child_env

pytestmark = pytest.mark.allow_hosts(["127.0.0.1"])


def generate_cmd(url: str, out: Path, courses: int) -> list[str]:
    return [
        str(EXE), "generate", "--profiles", "en-help-rejecting,zh-grief", "--courses",
        str(courses), "--sessions", "2", "--max-turns", "3", "--concurrency", "2",
        "--base-url", url, "--model", "sim", "--seed", "9", "--out", str(out),
    ]  # fmt: skip


def wait_for_lines(path: Path, n: int, proc: subprocess.Popen[str], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and len(path.read_text(encoding="utf-8").splitlines()) >= n:
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.05)
    raise AssertionError(f"{path} did not reach {n} lines")


def test_a_killed_run_resumes_without_loss_or_duplicates(tmp_path):
    out = tmp_path / "run"
    # slow enough that the kill lands mid-run: every request holds a slot for 60 ms
    with SimServer(latency_s=0.06, capacity=2, seed=2, keep_bodies=False) as server:
        proc = subprocess.Popen(
            generate_cmd(server.base_url, out, 6),
            env=child_env(tmp_path),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            wait_for_lines(out / RunDir.SESSIONS, 3, proc, timeout=120)
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        finally:
            proc.kill()
        done_before = [
            json.loads(x)["course_id"]
            for x in (out / RunDir.COURSES).read_text(encoding="utf-8").splitlines()
            if x.strip() and json.loads(x)["status"] == "done"
        ] if (out / RunDir.COURSES).exists() else []  # fmt: skip
        sessions_before = len((out / RunDir.SESSIONS).read_text().splitlines())
        assert sessions_before < 12, "the run finished before it was killed"

        rerun = subprocess.run(
            generate_cmd(server.base_url, out, 6),
            env=child_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=300,
        )
    assert rerun.returncode == 0, rerun.stderr
    assert f"{len(done_before)} before" in rerun.stdout
    for name in (RunDir.SESSIONS, RunDir.COURSES):
        text = (out / name).read_text(encoding="utf-8")
        assert text.endswith("\n")
        for line in text.splitlines():
            json.loads(line)  # no half-written line
    records = [json.loads(x) for x in (out / RunDir.SESSIONS).read_text().splitlines()]
    keys = Counter((r["course_id"], r["session_index"]) for r in records)
    assert len(keys) == 12 and max(keys.values()) == 1  # none lost, none duplicated
    statuses = [json.loads(x) for x in (out / RunDir.COURSES).read_text().splitlines()]
    done = Counter(s["course_id"] for s in statuses if s["status"] == "done")
    assert len(done) == 6 and max(done.values()) == 1  # no finished course ran again


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--profiles", "no-such-persona"], "unknown persona"),
        (["--profiles", "library:fr"], "languages are zh and en"),
        (["--profiles", "zh-grief", "--serve-model", "/nope/model.gguf"], "GGUF file not found"),
        (["--profiles", "zh-grief", "--base-url", "http://127.0.0.1:9/v1", "--model", "m"],
         "unreachable"),
        (["--profiles", "zh-grief", "--serve-model", "x.gguf", "--base-url", "http://h/v1"],
         "--serve-model starts its own server"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(tmp_path, args, needle):
    out = tmp_path / "out"
    proc = subprocess.run(
        [str(EXE), "generate", *args, "--out", str(out)],
        env=child_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [x for x in proc.stderr.splitlines() if x.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ") and needle in lines[0]
    assert "Traceback" not in proc.stderr
    assert not out.exists()


def test_engine_choice_and_commands():
    assert pick_engine("/m/qwen.gguf", None) is ServeEngine.LLAMA_CPP
    assert pick_engine("Qwen/Qwen2.5-7B-Instruct", None) is ServeEngine.VLLM
    with pytest.raises(ConfigError, match="choose vllm or llama-cpp"):
        pick_engine("x", "tgi")
    vllm = server_command(ServeEngine.VLLM, "/w/qwen", "q", 8011, "/py", ["--dtype", "bfloat16"])
    assert vllm[:3] == ["/py", "-m", "vllm.entrypoints.openai.api_server"]
    assert vllm[vllm.index("--port") + 1] == "8011" and vllm[-2:] == ["--dtype", "bfloat16"]
    assert vllm[vllm.index("--served-model-name") + 1] == "q"
    llama = server_command(ServeEngine.LLAMA_CPP, "/m.gguf", "q", 8012, "/py")
    assert llama[:3] == ["/py", "-m", "llama_cpp.server"]
    assert llama[llama.index("--model_alias") + 1] == "q"


def test_managed_server_starts_answers_and_stops(tmp_path, monkeypatch):
    """The launcher over a real subprocess server (the simulated one, standing in for vLLM)."""
    from counselsim.llm.serve import free_port

    port = free_port()
    cmd = simserver.command("--port", str(port))
    monkeypatch.chdir(simserver.ROOT)  # the launcher starts it in the working directory
    server = ManagedServer(cmd, port, tmp_path / "server.log")
    server.start()
    try:
        server.wait_ready(60)
        assert server.ready_s > 0
        import httpx

        assert httpx.get(server.base_url + "/models", timeout=5).status_code == 200
    finally:
        server.stop(grace_s=10)
    assert server.proc is not None and server.proc.poll() is not None
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.base_url + "/models", timeout=2)


def test_a_server_that_dies_while_starting_is_one_clear_error(tmp_path):
    cmd = [sys.executable, "-c", "import sys; print('no such model: x'); sys.exit(3)"]
    server = ManagedServer(cmd, 9, tmp_path / "server.log")
    server.start()
    with pytest.raises(ModelUnavailableError, match=r"exited with code 3.*no such model: x"):
        server.wait_ready(30)


def test_serve_checks_the_gguf_before_starting(tmp_path):
    with (
        pytest.raises(ConfigError, match="GGUF file not found"),
        serve(str(tmp_path / "absent.gguf"), log_dir=tmp_path),
    ):
        pass  # pragma: no cover
