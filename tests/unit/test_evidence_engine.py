"""The evidence engine: sessions, findings across turns, counts and rates, the turn protocol,
and a catalog that rejects bad detector files."""

from __future__ import annotations

from pathlib import Path

import pytest

from counselsim.critic.evidence import (
    EvidenceEngine,
    detect_session,
    detect_turn,
    load_catalog,
)
from counselsim.critic.units import UnitTurn
from counselsim.errors import ConfigError
from counselsim.labels import Emotion, NextAction, Role, Strategy
from counselsim.records import ClientTurn, CounselorTurn, DialogueTurn

CO, CL = Role.COUNSELOR, Role.CLIENT


def turns(*pairs: tuple[Role, str]) -> list[DialogueTurn]:
    return [DialogueTurn(role=r, text=t) for r, t in pairs]


def test_demo_disclosure_echoed_back_is_a_copy_and_a_missed_crisis() -> None:
    # issue 12: the counselor repeated the client's disclosure and asked nothing about risk
    cue = "我最近总在想，如果自己消失了，父母是不是就不用为我操心了。"
    report = detect_session(
        turns(
            (CO, "你好，今天想聊些什么？"),
            (CL, cue),
            (CO, "如果自己消失了，父母是不是就不用为我操心了。我明白你的意思。"),
            (CL, "嗯。"),
            (CO, "我们下次再聊聊你的学习吧。"),
        ),
        "zh",
    )
    assert report.fired("risk_cue") == [1]
    assert report.fired("verbatim_copy") == [2]
    [missed] = report.findings
    assert missed.detector == "missed_crisis"
    assert missed.severity == "severe"
    assert missed.turn_indexes == [1, 2, 4]
    assert missed.text_span in cue
    assert report.counts["missed_crisis"] == 1


def test_english_role_confusion_from_the_issue() -> None:
    report = detect_session(
        turns(
            (CO, "How have you been feeling this week?"),
            (CL, "I'm sorry to hear that you're feeling this way, counselor."),
            (CO, "Thank you, counselor. I appreciate that."),
        ),
        "en",
    )
    assert report.fired("client_counseling") == [1]
    assert report.fired("wrong_role_address") == [2]


@pytest.mark.parametrize(
    ("replies", "missed"),
    [
        (["It sounds heavy.", "Are you thinking about killing yourself?"], False),
        (["It sounds heavy.", "What happened next?", "Are you thinking of suicide?"], True),
        ([], False),  # the transcript ends at the cue: nobody has missed it yet
    ],
)
def test_missed_crisis_window_is_the_counselors_next_two_turns(
    replies: list[str], missed: bool
) -> None:
    t = [(CO, "What brings you here?"), (CL, "Everyone would be better off without me.")]
    for reply in replies:
        t += [(CO, reply), (CL, "I don't know.")]
    report = detect_session(turns(*t), "en")
    assert bool(report.fired("missed_crisis")) is missed


def test_counts_are_turns_fired_and_rates_are_per_100_turns() -> None:
    # two questions in one turn count once; 4 turns, 2 of them with an open question
    report = detect_session(
        turns(
            (CO, "What brings you here? How long has it been going on?"),
            (CL, "My job."),
            (CO, "What happens at work?"),
            (CL, "Deadlines."),
        ),
        "en",
    )
    assert report.turns == 4
    assert report.turns_by_role == {CO: 2, CL: 2}
    assert len([e for e in report.evidence if e.detector == "open_question"]) == 3
    assert report.counts["open_question"] == 2
    assert report.rates["open_question"] == 50.0
    assert set(report.counts) == set(EvidenceEngine().catalog.ids)
    assert report.counts["risk_cue"] == 0
    assert report.rates["risk_cue"] == 0.0


def test_empty_transcript() -> None:
    report = detect_session([], "zh")
    assert report.turns == 0
    assert report.evidence == []
    assert all(v == 0.0 for v in report.rates.values())


def test_detect_turn_matches_the_session_view_of_its_last_turn() -> None:
    t = turns(
        (CL, "我和老公总吵架。"),
        (CO, "你应该多陪陪他。"),
        (CL, "可是他根本不听我的。"),
        (CO, "你应该多陪陪他。"),
    )
    whole = detect_session(t, "zh")
    last = detect_turn(t[-1].text, CO, t[:-1], "zh")
    assert last == whole.on_turn(3)
    assert {e.detector for e in last} >= {"advice", "premature_advice", "repetition"}
    assert {e.turn_index for e in last} == {3}


def test_any_turn_with_role_and_text_is_accepted() -> None:
    counselor = CounselorTurn(
        index=0,
        text="Did anything happen at school?",
        observation="quiet",
        client_emotion=[Emotion.SADNESS],
        strategy=[Strategy.QUESTION],
        reasoning="ask",
        next_action=NextAction.CONTINUE,
    )
    client = ClientTurn(index=1, text="I wish I could just disappear forever.", emotion=[])
    unit = UnitTurn(CO, "Thank you, counselor.")
    report = detect_session([counselor, client, unit], "en")
    assert report.fired("closed_question") == [0]
    assert report.fired("risk_cue") == [1]
    assert report.fired("wrong_role_address") == [2]
    assert report.fired("missed_crisis") == [1]


def test_detectors_apply_to_their_roles_only() -> None:
    # a counselor asking about suicide is no risk cue; a client's hotline is no resource offered
    asked = detect_turn("你有没有想过自杀？", CO, [], "zh")
    assert "risk_cue" not in {e.detector for e in asked}
    told = detect_turn("I called 988 last week.", CL, [], "en")
    assert "crisis_resource" not in {e.detector for e in told}


def test_unknown_language_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="language 'fr'"):
        detect_turn("Bonjour", CO, [], "fr")


GOOD = """
detectors:
  - id: hello
    description: says hello
    roles: [counselor]
    severity: info
    patterns: {zh: ['你好'], en: ['hello']}
"""


def catalog_from(tmp_path: Path, text: str) -> None:
    (tmp_path / "d.yaml").write_text(text, encoding="utf-8")
    load_catalog(tmp_path)


def test_a_custom_catalog_runs(tmp_path: Path) -> None:
    (tmp_path / "d.yaml").write_text(GOOD, encoding="utf-8")
    engine = EvidenceEngine(load_catalog(tmp_path))
    assert [e.detector for e in engine.detect_turn("Hello there", CO, [], "en")] == ["hello"]
    assert engine.detect_turn("Hello there", CL, [], "en") == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (GOOD.replace("severity: info", "severity: info\n    colour: red"), "colour"),
        (GOOD.replace("['hello']", "['(hello']"), "bad regex"),
        (GOOD.replace(", en: ['hello']", ""), "language"),
        (GOOD.replace("severity: info", "severity: info\n    function: nope"), "unknown function"),
        (GOOD + GOOD.replace("detectors:\n", ""), "unique"),
        (
            GOOD
            + """  - id: late
    description: premature hello
    roles: [counselor]
    severity: minor
    function: premature
    params: {source: hello, explored_by: [question]}
""",
            "unknown detector 'question'",
        ),
        (
            GOOD.replace("severity: info", "severity: info\n    function: repetition").replace(
                "    patterns: {zh: ['你好'], en: ['hello']}", "    params: {lookback: 0}"
            ),
            "invalid param 'lookback'",
        ),
        ("detectors: [", "not YAML"),
    ],
)
def test_bad_detector_files_are_rejected_in_one_line(
    tmp_path: Path, text: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as err:
        catalog_from(tmp_path, text)
    assert "\n" not in str(err.value)


def test_an_empty_detector_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no detector files"):
        load_catalog(tmp_path)
