"""The ``counselsim`` command. ``main()`` is what turns errors into one line, so every case
goes through it: the required cases as a subprocess of the installed console script (the
in-process socket block does not apply to the child), a few more by calling ``main()``
in-process (fast; none of them opens a socket).

User errors must end with a non-zero exit, exactly one line on stderr, no traceback, and no
output directory. The unreachable server is loopback port 9 (discard, closed here), so
nothing leaves the machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.conftest import PROFILES, run_cli

EXE = Path(sys.executable).with_name("counselsim")
if not EXE.is_file():  # pragma: no cover - e.g. a python that is not the venv's own
    EXE = Path("/work/main/.venv/bin/counselsim")
GOOD = PROFILES / "en_work_burnout.yaml"


def child_env(tmp: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().endswith("_PROXY") and not k.startswith("COUNSELSIM_")
    }
    env["NO_PROXY"] = "*"
    env["COUNSELSIM_CACHE"] = str(tmp / "cache")  # never touch a real cache
    env["COLUMNS"] = "80"
    return env


@dataclass
class Result:
    args: list[str]
    out_dir: Path
    code: int
    stdout: str
    stderr: str

    @property
    def err_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def _profile(tmp: Path, name: str, **changes: object) -> Path:
    data = yaml.safe_load(GOOD.read_text(encoding="utf-8")) | changes
    p = tmp / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Result]:
    """The required cases, run one after another (each child spends ~2 s importing; running
    them concurrently is slower on small machines)."""
    tmp = tmp_path_factory.mktemp("cli")
    invalid = _profile(tmp, "invalid.yaml", mood="grumpy")
    french = _profile(tmp, "french.yaml", language="fr")
    cases: dict[str, list[str]] = {
        "missing_profile": ["--profile", str(tmp / "nope.yaml")],
        "invalid_profile": ["--profile", str(invalid)],
        "language_fr": ["--profile", str(french)],
        "bad_model_path": ["--profile", str(GOOD), "--model-path", str(tmp / "absent.gguf")],
        "unreachable_server": [
            "--profile",
            str(GOOD),
            "--base-url",
            "http://127.0.0.1:9/v1",
            "--model",
            "x",
        ],
    }
    results = {}
    for name, args in cases.items():
        out_dir = tmp / f"out-{name}"
        full = ["simulate", *args, "--out", str(out_dir)]
        proc = subprocess.run(
            [str(EXE), *full],
            cwd=tmp,
            env=child_env(tmp),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=120,
        )
        results[name] = Result(full, out_dir, proc.returncode, proc.stdout, proc.stderr)
    return results


def assert_one_line_failure(r: Result, *needles: str) -> str:
    assert r.code != 0, f"{r.args} succeeded"
    assert "Traceback" not in r.stderr and "Traceback" not in r.stdout
    assert len(r.err_lines) == 1, f"stderr not one line: {r.stderr!r}"
    line = r.err_lines[0]
    assert line.startswith("error: "), line
    for needle in needles:
        assert needle in line, (needle, line)
    assert not r.out_dir.exists(), "the output directory was created"
    return line


def test_schema_session_prints_a_json_schema():
    proc = subprocess.run(
        [str(EXE), "schema", "session"],
        capture_output=True,
        text=True,
        timeout=60,
        env=child_env(Path.cwd()),
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    schema = json.loads(proc.stdout)
    assert schema["title"] == "SessionRecord" and schema["type"] == "object"
    assert {"turns", "provenance", "critic", "plan"} <= set(schema["properties"])
    assert {"turns", "provenance"} <= set(schema["required"])
    assert "CounselorTurn" in schema["$defs"] and "ClientTurn" in schema["$defs"]


def test_missing_profile(runs):
    assert_one_line_failure(runs["missing_profile"], "nope.yaml", "profile file not found")
    assert runs["missing_profile"].code == 2


def test_invalid_profile(runs):
    assert_one_line_failure(runs["invalid_profile"], "invalid.yaml", "'mood'")


def test_language_fr(runs):
    assert_one_line_failure(runs["language_fr"], "french.yaml", "'language'")


def test_bad_model_path(runs):
    assert_one_line_failure(runs["bad_model_path"], "absent.gguf", "model file not found")


def test_unreachable_server(runs):
    assert_one_line_failure(
        runs["unreachable_server"], "http://127.0.0.1:9/v1", "server unreachable"
    )


def test_user_errors_exit_2(runs):
    assert {k: r.code for k, r in runs.items()} == dict.fromkeys(runs, 2)


# --- more cases through main() in-process (fast; nothing here opens a socket) ---------------------


def run_main(monkeypatch, capfd, tmp_path: Path, *args: str) -> Result:
    from counselsim import cli

    for key in [k for k in os.environ if k.startswith("COUNSELSIM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", "80")
    out_dir = tmp_path / "out"
    argv = ["simulate", *args, "--out", str(out_dir)]
    monkeypatch.setattr(sys, "argv", ["counselsim", *argv])
    with pytest.raises(SystemExit) as info:
        cli.main()
    captured = capfd.readouterr()
    return Result(argv, out_dir, int(info.value.code or 0), captured.out, captured.err)


def test_garbage_gguf(monkeypatch, capfd, tmp_path):
    garbage = tmp_path / "garbage.gguf"
    garbage.write_bytes(b"this is not a GGUF file\n" * 8)
    r = run_main(monkeypatch, capfd, tmp_path, "--profile", str(GOOD), "--model-path", str(garbage))
    assert_one_line_failure(r, "garbage.gguf", "cannot load GGUF model")
    assert r.code == 2


def test_server_without_model_name(monkeypatch, capfd, tmp_path):
    r = run_main(
        monkeypatch, capfd, tmp_path, "--profile", str(GOOD), "--base-url", "http://127.0.0.1:9/v1"
    )
    assert_one_line_failure(r, "--base-url", "--model")


def test_unknown_config_key(monkeypatch, capfd, tmp_path):
    cfg = tmp_path / "unknown.yaml"
    cfg.write_text("sessionz: 3\n", encoding="utf-8")
    r = run_main(monkeypatch, capfd, tmp_path, "--profile", str(GOOD), "--config", str(cfg))
    assert_one_line_failure(r, "unknown.yaml", "'sessionz'")


def test_out_of_range_flag(monkeypatch, capfd, tmp_path):
    r = run_main(monkeypatch, capfd, tmp_path, "--profile", str(GOOD), "--sessions", "0")
    assert_one_line_failure(r, "'--sessions'")


def test_profile_error_reported_before_config_error(monkeypatch, capfd, tmp_path):
    cfg = tmp_path / "unknown.yaml"
    cfg.write_text("sessionz: 3\n", encoding="utf-8")
    r = run_main(
        monkeypatch, capfd, tmp_path, "--profile", str(tmp_path / "nope.yaml"), "--config", str(cfg)
    )
    assert_one_line_failure(r, "profile file not found")


def test_non_mapping_model_section_in_config(monkeypatch, capfd, tmp_path):
    cfg = tmp_path / "model_str.yaml"
    cfg.write_text("model: qwen2.5\n", encoding="utf-8")
    r = run_main(monkeypatch, capfd, tmp_path, "--profile", str(GOOD), "--config", str(cfg))
    assert_one_line_failure(r, "model_str.yaml", "'model'")


def test_profiles_validate_accepts_the_examples(monkeypatch, capfd):
    code, out, _ = run_cli(monkeypatch, capfd, "profiles", "validate", str(GOOD.parent))
    assert code == 0 and out.count("ok: ") == 4


def test_profiles_validate_names_each_bad_file_and_exits_2(monkeypatch, capfd, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\nlanguage: fr\npresenting_problem: a\n", encoding="utf-8")
    code, out, err = run_cli(monkeypatch, capfd, "profiles", "validate", str(GOOD), str(bad))
    assert code == 2
    assert out.count("ok: ") == 1
    assert "bad.yaml" in err and "'language'" in err and "Traceback" not in err


def test_schema_profile_is_json(monkeypatch, capfd):
    code, out, _ = run_cli(monkeypatch, capfd, "schema", "profile")
    assert code == 0 and "presenting_problem" in json.loads(out)["properties"]
