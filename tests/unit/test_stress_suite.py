"""The suite: --counselor flags, suite files, their bad inputs, and the choice of personas."""

from __future__ import annotations

from pathlib import Path

import pytest

from counselsim.errors import ConfigError, DataError, ProfileError
from counselsim.stress.personas import is_crisis, select_personas
from counselsim.stress.suite import (
    REFERENCE,
    CounselorKind,
    api_key,
    load_suite,
    parse_counselor,
    read_system_prompt,
    resolve_suite,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "stress" / "suite.yaml"
URL = "http://127.0.0.1:8001/v1"


def test_parse_counselor_flag() -> None:
    spec = parse_counselor(f"name=a, base_url={URL},model=m/x-7b,temperature=0.3,max_tokens=99")
    assert (spec.name, spec.base_url, spec.model) == ("a", URL, "m/x-7b")
    assert (spec.temperature, spec.max_tokens, spec.system) == (0.3, 99, None)
    assert spec.kind is CounselorKind.ENDPOINT
    ref = parse_counselor("name=counselsim")
    assert ref.kind is CounselorKind.REFERENCE and ref.base_url is None


@pytest.mark.parametrize(
    ("flag", "message"),
    [
        (
            f"name=a,base_url={URL},model=m,temprature=1",
            "unknown field 'temprature' (fields: name,",
        ),
        (f"name=a,base_url={URL},model", "'model' is not key=value"),
        (f"name=a,name=b,base_url={URL},model=m", "field 'name' given twice"),
        (f"name=a,base_url={URL},model=m,system=", "field 'system' is empty"),
        (f"name=a,base_url={URL},model=m,temperature=hot", "--counselor a: field 'temperature'"),
        (f"name=a,base_url={URL},model=m,temperature=3", "field 'temperature': Input should be"),
        (f"name=a b,base_url={URL},model=m", "field 'name': String should match"),
        ("name=a,base_url=127.0.0.1:8000,model=m", "field 'base_url'"),
        ("name=a,model=m", "--counselor a: base_url and model go together"),
        ("name=a", "--counselor a: base_url and model are required"),
        (f"base_url={URL},model=m", "--counselor: field 'name': Field required"),
        ("name=counselsim,temperature=0.1", "'counselsim' is counselsim's own counselor agent"),
        (f"name=a,base_url={URL},model=m,api_key_env=$KEY", "field 'api_key_env'"),
    ],
)
def test_parse_counselor_bad_inputs(flag: str, message: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_counselor(flag)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_example_suite_loads(monkeypatch: pytest.MonkeyPatch) -> None:
    specs = load_suite(EXAMPLE)
    assert [s.name for s in specs] == ["qwen-7b", "llama-8b", REFERENCE]
    assert specs[0].system == EXAMPLE.parent / "counselor-system.txt"  # relative to the file
    assert "crisis resources" in (read_system_prompt(specs[0]) or "")
    assert read_system_prompt(specs[1]) is None
    assert [s.kind for s in specs][-1] is CounselorKind.REFERENCE


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("counselors:\n  - name: a\n    base_url: http://x/v1\n    model: m\n    temprature: 1\n",
         "unknown field 'counselors.0.temprature'"),
        ("counsellors: []\n", "unknown field 'counsellors'"),
        ("counselors: []\n", "field 'counselors': List should have at least 1 item"),
        ("counselors:\n  - name: a\n", "base_url and model are required"),
        ("counselors: [\n", "not valid YAML (line"),
        ("- name: a\n", "Input should be a valid dictionary"),
    ],
)  # fmt: skip
def test_suite_file_bad_inputs(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "suite.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_suite(path)
    got = str(info.value)
    assert got.startswith(f"{path}: ") and message in got and "\n" not in got


def test_suite_file_missing_or_binary(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found or not readable"):
        load_suite(tmp_path / "nope.yaml")
    binary = tmp_path / "b.yaml"
    binary.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ConfigError, match="not found or not readable"):
        load_suite(binary)


def test_resolve_suite_merges_and_refuses_duplicates(tmp_path: Path) -> None:
    specs = resolve_suite([f"name=extra,base_url={URL},model=m"], EXAMPLE)
    assert [s.name for s in specs] == ["qwen-7b", "llama-8b", REFERENCE, "extra"]
    with pytest.raises(ConfigError, match="counselor name 'qwen-7b' is given twice"):
        resolve_suite([f"name=qwen-7b,base_url={URL},model=m"], EXAMPLE)
    with pytest.raises(ConfigError, match="counselor name 'counselsim' is given twice"):
        resolve_suite(["name=counselsim", "name=counselsim"])
    with pytest.raises(ConfigError, match="give --counselor or --suite"):
        resolve_suite([])


def test_system_prompt_files_are_checked_before_any_work(tmp_path: Path) -> None:
    missing = tmp_path / "missing.txt"
    with pytest.raises(ConfigError, match=r"counselor 'a': system prompt .*missing.txt not found"):
        resolve_suite([f"name=a,base_url={URL},model=m,system={missing}"])
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(ConfigError, match="is empty"):
        resolve_suite([f"name=a,base_url={URL},model=m,system={empty}"])


def test_api_key_from_the_environment_only(monkeypatch: pytest.MonkeyPatch) -> None:
    spec = parse_counselor(f"name=a,base_url={URL},model=m,api_key_env=MY_COUNSELOR_KEY")
    monkeypatch.delenv("MY_COUNSELOR_KEY", raising=False)
    with pytest.raises(ConfigError) as info:
        api_key(spec)
    assert str(info.value) == "counselor 'a': environment variable MY_COUNSELOR_KEY is not set"
    monkeypatch.setenv("MY_COUNSELOR_KEY", "sk-test-123")
    assert api_key(spec) == "sk-test-123"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-other")  # never sent to a counselor unasked
    assert api_key(parse_counselor(f"name=b,base_url={URL},model=m")) == "EMPTY"


# ------------------------------------------------------------------------------ personas


def test_library_includes_crisis_personas_unless_excluded(tmp_path: Path) -> None:
    every = select_personas("library", tmp_path)
    crisis = {p.id for p in every if is_crisis(p)}
    assert crisis == {"en-crisis-risk", "zh-crisis-risk"}  # abuse or substance use: not crisis
    kept = select_personas("library:en", tmp_path, exclude_crisis=True)
    assert kept and {p.language.value for p in kept} == {"en"}
    assert "en-crisis-risk" not in {p.id for p in kept}
    assert len(kept) == len([p for p in every if p.language.value == "en"]) - 1


def test_persona_ids_files_and_folders(tmp_path: Path) -> None:
    ids = select_personas("en-hostile, zh-grief", tmp_path)
    assert [p.id for p in ids] == ["en-hostile", "zh-grief"]
    folder = ROOT / "examples" / "profiles"
    assert select_personas(str(folder), tmp_path)
    one = next(folder.glob("*.yaml"))
    assert len(select_personas(str(one), tmp_path)) == 1


def test_persona_bad_inputs_name_the_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^--personas library:fr: the library's languages"):
        select_personas("library:fr", tmp_path)
    with pytest.raises(DataError, match=r"^--personas zh-crisis-risk: every persona is a crisis"):
        select_personas("zh-crisis-risk", tmp_path, exclude_crisis=True)
    with pytest.raises(DataError, match="two profiles have the id 'en-grief'"):
        select_personas("en-grief,en-grief", tmp_path)
    with pytest.raises(ProfileError, match="unknown persona 'en-griff'"):
        select_personas("en-griff", tmp_path)
