"""The packaged persona library: every file validates, each kind exists in zh and en, the
kinds carry what makes them difficult, nothing looks like a real identifier, and the
``counselsim personas`` commands list and show them."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from counselsim.cli import app
from counselsim.errors import ProfileError
from counselsim.personas import ClientProfile, load_profile
from counselsim.personas.library import get_persona, list_personas
from counselsim.personas.models import ConversationStyle, Defense, Language, RiskFlag

LIBRARY = resources.files("counselsim.personas") / "library"
FILES = sorted((f for f in LIBRARY.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
PERSONAS = list_personas()
BY_ID = {p.id: p for p in PERSONAS}

KINDS = {
    "help-rejecting",
    "reserved",
    "verbose",
    "tangential",
    "hostile",
    "people-pleasing",
    "intellectualizing",
    "ambivalent",
    "crisis-risk",
    "grief",
    "late-trauma",
    "somatic",
}
# Kinds whose difficulty is resistance itself: high resistance and named defenses.
RESISTANT = {
    "help-rejecting",
    "reserved",
    "hostile",
    "intellectualizing",
    "ambivalent",
    "late-trauma",
    "somatic",
}
# The defense (and, where it is a way of talking, the style) that defines a kind.
KIND_DEFENSE = {
    "help-rejecting": Defense.HELP_REJECT,
    "hostile": Defense.BLAME,
    "people-pleasing": Defense.PLEASE,
    "intellectualizing": Defense.INTELLECTUALIZE,
    "ambivalent": Defense.SUSTAIN,
    "somatic": Defense.SOMATIZE,
}
KIND_STYLE = {
    "reserved": ConversationStyle.RESERVED,
    "verbose": ConversationStyle.VERBOSE,
    "tangential": ConversationStyle.TANGENT,
    "hostile": ConversationStyle.UPSET,
    "people-pleasing": ConversationStyle.PLEASING,
}

PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")  # seven or more digits, however separated
EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
URL = re.compile(r"(https?://|www\.)\S+|\b[\w-]+\.(com|org|net|cn|uk|io)\b", re.IGNORECASE)


def kind(persona_id: str) -> str:
    return persona_id.split("-", 1)[1]


def of_kind(k: str) -> list[ClientProfile]:
    return [p for p in PERSONAS if kind(p.id) == k]


def texts(profile: ClientProfile) -> list[str]:
    """Every string in the profile, however deeply nested."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    walk(profile.model_dump(mode="json"))
    return found


# --- the files ----------------------------------------------------------------------------


@pytest.mark.parametrize("res", FILES, ids=lambda f: f.name)
def test_every_library_file_validates_and_is_named_by_its_id(res):
    with resources.as_file(res) as path:
        profile = load_profile(path)
    assert res.name == f"{profile.id}.yaml"
    assert profile.title and profile.presenting_problem and profile.relevant_history
    assert profile.core_beliefs and profile.intermediate_beliefs and profile.emotions
    assert 1 <= len(profile.situations) <= 3
    assert all(s.automatic_thoughts and s.emotions and s.behaviors for s in profile.situations)
    assert profile.hidden and all(h.disclose_when for h in profile.hidden)
    d = profile.demographics
    assert d.age_range and d.gender and d.occupation and d.family
    assert profile.defenses and profile.attitude


def test_list_personas_loads_every_file_sorted_by_id_with_unique_ids():
    ids = [p.id for p in PERSONAS]
    assert len(ids) == len(FILES) >= 24
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)


def test_every_kind_exists_in_both_languages():
    by_lang = {
        lang: {kind(p.id) for p in PERSONAS if p.id.startswith(f"{lang}-")} for lang in Language
    }
    assert by_lang[Language.ZH] >= KINDS and by_lang[Language.EN] >= KINDS
    assert by_lang[Language.ZH] == by_lang[Language.EN]  # every persona has its pair
    assert len(by_lang[Language.ZH]) >= 12


def test_language_matches_the_id_prefix():
    for p in PERSONAS:
        assert p.id.split("-", 1)[0] == p.language.value, p.id


def test_chinese_personas_are_written_in_chinese_and_english_ones_in_english():
    han = re.compile(r"[\u4e00-\u9fff]")
    for p in PERSONAS:
        has_han = bool(han.search(p.presenting_problem + (p.title or "")))
        assert has_han is (p.language is Language.ZH), p.id


def test_filter_by_language():
    zh = list_personas(Language.ZH)
    en = list_personas(Language.EN)
    assert len(zh) >= 12 and len(en) >= 12 and len(zh) + len(en) == len(PERSONAS)
    assert all(p.language is Language.ZH for p in zh)


# --- the kinds ----------------------------------------------------------------------------


def test_crisis_personas_carry_suicidal_ideation_and_a_hidden_fact_about_it():
    markers = {Language.ZH: ("不想活", "不醒", "消失"), Language.EN: ("not wake up", "dying")}
    crisis = of_kind("crisis-risk")
    assert len(crisis) == 2
    for p in crisis:
        assert RiskFlag.SUICIDAL_IDEATION in p.risk_flags
        about_it = [h for h in p.hidden if any(m in h.content for m in markers[p.language])]
        assert about_it, p.id
        # reachable in the first session: the counselor must be able to ask about it at once
        assert about_it[0].min_session == 1


def test_only_the_crisis_personas_carry_suicidal_ideation():
    flagged = {p.id for p in PERSONAS if RiskFlag.SUICIDAL_IDEATION in p.risk_flags}
    assert flagged == {p.id for p in of_kind("crisis-risk")}


def test_trauma_personas_keep_the_trauma_back_until_session_three():
    trauma = of_kind("late-trauma")
    assert len(trauma) == 2
    for p in trauma:
        assert any(h.min_session >= 3 for h in p.hidden), p.id


def test_resistant_kinds_resist():
    for k in RESISTANT:
        for p in of_kind(k):
            assert p.resistance >= 4, p.id
            assert p.defenses, p.id


def test_every_persona_is_difficult():
    for p in PERSONAS:
        assert p.resistance >= 3 and p.defenses, p.id


@pytest.mark.parametrize("k", sorted(KIND_DEFENSE))
def test_kind_defense(k):
    for p in of_kind(k):
        assert KIND_DEFENSE[k] in p.defenses, p.id


@pytest.mark.parametrize("k", sorted(KIND_STYLE))
def test_kind_style(k):
    for p in of_kind(k):
        assert KIND_STYLE[k] in p.style, p.id


def test_the_library_varies_age_gender_and_occupation():
    for lang in Language:
        ps = list_personas(lang)
        assert len({p.demographics.age_range for p in ps}) >= 7
        assert len({p.demographics.occupation for p in ps}) == len(ps)
        genders = [p.demographics.gender for p in ps]
        assert min(genders.count(g) for g in set(genders)) >= 4, genders


# --- masking ------------------------------------------------------------------------------


def test_no_profile_text_looks_like_a_phone_number_email_or_url():
    for p in PERSONAS:
        for text in texts(p):
            for pattern in (PHONE, EMAIL, URL):
                assert not pattern.search(text), f"{p.id}: {text!r}"


def test_the_identifier_patterns_do_catch_identifiers():
    assert PHONE.search("call 138 0013 8000") and PHONE.search("+44 20 7946 0958")
    assert EMAIL.search("write to someone@example.org")
    assert URL.search("see https://example.com/x") and URL.search("www.example.cn")
    assert not PHONE.search('age_range "55-64"')


# --- get_persona --------------------------------------------------------------------------


def test_get_persona_returns_the_profile():
    p = get_persona("zh-grief")
    assert p.id == "zh-grief" and p.language is Language.ZH


def test_get_persona_unknown_id_is_one_line_naming_close_matches():
    with pytest.raises(ProfileError) as exc:
        get_persona("zh-greif")
    msg = str(exc.value)
    assert "\n" not in msg and "'zh-greif'" in msg and "zh-grief" in msg


def test_get_persona_suggests_both_languages_for_a_bare_kind():
    with pytest.raises(ProfileError) as exc:
        get_persona("somatic")
    assert "zh-somatic" in str(exc.value) and "en-somatic" in str(exc.value)


def test_get_persona_without_any_match_still_gives_one_line():
    with pytest.raises(ProfileError) as exc:
        get_persona("qqqqqqqq")
    assert "\n" not in str(exc.value) and "personas list" in str(exc.value)


# --- the CLI ------------------------------------------------------------------------------

runner = CliRunner()


def test_cli_list_shows_every_persona():
    r = runner.invoke(app, ["personas", "list"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    rows = [line for line in r.stdout.splitlines() if re.match(r"^│ (zh|en)-", line)]
    assert len(rows) == len(PERSONAS) >= 24
    for p in PERSONAS:
        assert p.id in r.stdout
    assert "suicidal_ideation" in r.stdout and "help_reject" in r.stdout


def test_cli_list_filters_by_language():
    r = runner.invoke(app, ["personas", "list", "--language", "zh"])
    assert r.exit_code == 0, r.output
    ids = re.findall(r"\b(?:zh|en)-[a-z-]+", r.stdout)
    assert ids and all(i.startswith("zh-") for i in ids)
    assert {p.id for p in list_personas(Language.ZH)} <= set(ids)


def test_cli_list_rejects_an_unknown_language():
    r = runner.invoke(app, ["personas", "list", "--language", "fr"])
    assert r.exit_code == 2 and "Traceback" not in r.output


def test_cli_show_prints_yaml_that_round_trips():
    r = runner.invoke(app, ["personas", "show", "en-late-trauma"])
    assert r.exit_code == 0, r.output
    assert ClientProfile.model_validate(yaml.safe_load(r.stdout)) == get_persona("en-late-trauma")


def test_cli_show_json():
    r = runner.invoke(app, ["personas", "show", "zh-crisis-risk", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert ClientProfile.model_validate(data) == get_persona("zh-crisis-risk")
    assert "被裁员" in r.stdout  # Chinese stays readable, not \u-escaped


def test_cli_show_unknown_id_exits_2_with_one_line():
    r = runner.invoke(app, ["personas", "show", "zh-nobody"])
    assert r.exit_code == 2
    assert r.stdout == ""
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "zh-nobody" in lines[0] and "Traceback" not in r.stderr


def test_resolve_profile_takes_a_path_or_a_persona_id(tmp_path):
    from counselsim.personas.library import resolve_profile

    assert resolve_profile("zh-grief").id == "zh-grief"
    example = Path(__file__).resolve().parents[2] / "examples/profiles/en_work_burnout.yaml"
    assert resolve_profile(str(example)).language == "en"
    with pytest.raises(ProfileError, match="did you mean zh-grief"):
        resolve_profile("zh-greif")
    with pytest.raises(ProfileError, match="not found"):
        resolve_profile(str(tmp_path / "missing.yaml"))
