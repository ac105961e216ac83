"""Profile loading: the shipped examples load, and every bad file fails with one line that
names the file (and the field, where there is one)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from counselsim.errors import ProfileError
from counselsim.personas import ClientProfile, ConversationStyle, Language, load_profile
from counselsim.personas.models import RiskFlag
from tests.conftest import PROFILES

EXAMPLES = {
    "zh_exam_anxiety.yaml": ("zh-exam-anxiety", Language.ZH),
    "zh_family_conflict.yaml": ("zh-family-conflict", Language.ZH),
    "en_work_burnout.yaml": ("en-work-burnout", Language.EN),
    "en_grief_reserved.yaml": ("en-grief-reserved", Language.EN),
}


def test_examples_directory_holds_exactly_the_four_profiles():
    assert sorted(p.name for p in PROFILES.glob("*.yaml")) == sorted(EXAMPLES)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_profiles_load(name):
    profile = load_profile(PROFILES / name)
    expected_id, expected_lang = EXAMPLES[name]
    assert isinstance(profile, ClientProfile)
    assert profile.id == expected_id
    assert profile.language is expected_lang
    assert profile.presenting_problem
    assert 1 <= profile.resistance <= 5
    assert profile.style and all(isinstance(s, ConversationStyle) for s in profile.style)
    # every example has at least one situation and one hidden fact to disclose later
    assert profile.situations and profile.situations[0].automatic_thoughts
    assert profile.hidden and profile.hidden[0].disclose_when


def test_example_profile_fields_are_parsed_into_types():
    zh = load_profile(PROFILES / "zh_exam_anxiety.yaml")
    assert zh.risk_flags == [RiskFlag.SUICIDAL_IDEATION]
    assert zh.style == [ConversationStyle.PLAIN]
    assert zh.demographics.occupation == "大学生"
    en = load_profile(str(PROFILES / "en_work_burnout.yaml"))  # a str path works too
    assert en.style == [ConversationStyle.VERBOSE, ConversationStyle.PLEASING]
    assert en.risk_flags == [RiskFlag.SUBSTANCE_USE]


def _valid() -> dict:
    return {
        "id": "t-1",
        "language": "en",
        "presenting_problem": "Cannot sleep before exams.",
        "resistance": 3,
    }


def _write_yaml(tmp_path: Path, data: object, name: str = "p.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return p


def _error(path: Path) -> str:
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    msg = str(info.value)
    assert "\n" not in msg, f"not one line: {msg!r}"
    assert str(path) in msg, f"file not named: {msg!r}"
    return msg


def test_minimal_valid_profile_gets_defaults(tmp_path):
    profile = load_profile(_write_yaml(tmp_path, _valid()))
    assert profile.style == [ConversationStyle.PLAIN]
    assert profile.hidden == [] and profile.risk_flags == []


def test_json_profile_loads(tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps(_valid()), encoding="utf-8")
    assert load_profile(p).id == "t-1"


def test_missing_file(tmp_path):
    msg = _error(tmp_path / "nope.yaml")
    assert "not found" in msg


def test_unreadable_file_is_a_directory(tmp_path):
    d = tmp_path / "dir.yaml"
    d.mkdir()
    assert "cannot read profile" in _error(d)


def test_unreadable_file_not_utf8(tmp_path):
    p = tmp_path / "latin1.yaml"
    p.write_bytes(b"id: caf\xe9\nlanguage: en\n")
    assert "cannot read profile" in _error(p)


def test_invalid_yaml(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("id: x\nlanguage: [en\npresenting_problem: y\n", encoding="utf-8")
    assert "not valid yaml" in _error(p)


def test_bad_json(tmp_path):
    p = tmp_path / "broken.json"
    p.write_text('{"id": "x", "language": "en",}', encoding="utf-8")
    msg = _error(p)
    assert "not valid json" in msg


def test_json_file_is_not_parsed_as_yaml(tmp_path):
    # valid YAML but not JSON: a .json file must be JSON
    p = tmp_path / "yamlish.json"
    p.write_text("id: t-1\nlanguage: en\npresenting_problem: x\n", encoding="utf-8")
    assert "not valid json" in _error(p)


@pytest.mark.parametrize("content", ["- a\n- b\n", "just a string\n", "42\n", ""])
def test_non_mapping(tmp_path, content):
    p = tmp_path / "list.yaml"
    p.write_text(content, encoding="utf-8")
    assert "must be a mapping" in _error(p)


def test_unknown_field_is_rejected(tmp_path):
    data = _valid() | {"favourite_colour": "blue"}
    msg = _error(_write_yaml(tmp_path, data))
    assert "'favourite_colour'" in msg and "Extra inputs" in msg


def test_unknown_nested_field_names_its_path(tmp_path):
    data = _valid() | {"demographics": {"age_range": "20-29", "name": "Alice"}}
    assert "'demographics.name'" in _error(_write_yaml(tmp_path, data))


def test_language_fr_is_rejected(tmp_path):
    msg = _error(_write_yaml(tmp_path, _valid() | {"language": "fr"}))
    assert "'language'" in msg
    assert "'zh'" in msg and "'en'" in msg  # says what is allowed


@pytest.mark.parametrize(
    "value,bound", [(0, "greater than or equal to 1"), (6, "less than or equal to 5")]
)
def test_resistance_out_of_range(tmp_path, value, bound):
    msg = _error(_write_yaml(tmp_path, _valid() | {"resistance": value}))
    assert "'resistance'" in msg and bound in msg


@pytest.mark.parametrize("value", ["", "   "])
def test_empty_presenting_problem(tmp_path, value):
    msg = _error(_write_yaml(tmp_path, _valid() | {"presenting_problem": value}))
    assert "'presenting_problem'" in msg and "at least 1 character" in msg


def test_missing_required_field(tmp_path):
    data = _valid()
    del data["presenting_problem"]
    msg = _error(_write_yaml(tmp_path, data))
    assert "'presenting_problem'" in msg and "required" in msg.lower()


def test_several_errors_reported_as_first_plus_count(tmp_path):
    data = _valid() | {"language": "fr", "resistance": 9}
    msg = _error(_write_yaml(tmp_path, data))
    assert "'language'" in msg and "(+1 more)" in msg


def test_profile_is_frozen():
    profile = load_profile(PROFILES / "en_grief_reserved.yaml")
    with pytest.raises(ValidationError, match="frozen"):
        profile.resistance = 1  # type: ignore[misc]
