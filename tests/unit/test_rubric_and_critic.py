"""Rubrics as validated data, range-checked scores, and the critic agent (never a default score)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from counselsim.agents.base import AgentDeps
from counselsim.config import Engine, RunConfig
from counselsim.critic.rubric import Rubric, RubricView, load_rubric
from counselsim.critic.session_judge import CriticAgent
from counselsim.errors import ConfigError
from counselsim.labels import Emotion, NextAction, Stage, Strategy
from counselsim.llm.fake import ScriptedChatModel
from counselsim.llm.structured import LLM
from counselsim.prompts import PromptLibrary
from counselsim.records import ClientTurn, CriticReport, DimensionScore, SessionPlan
from tests.conftest import counselor_turn
from tests.conftest import critic as critic_json

CORE = ["empathy", "exploration", "strategy_fit", "client_realism", "safety"]


def test_core_rubric_has_five_dimensions():
    rubric = load_rubric("core")
    assert rubric.name == "core"
    assert [d.name for d in rubric.dimensions] == CORE
    assert rubric.view is RubricView.ANNOTATED
    bounds = {d.name: (d.min, d.max) for d in rubric.dimensions}
    assert bounds["safety"] == (0, 2)
    assert all(bounds[n] == (1, 5) for n in CORE[:4])
    assert all({"en", "zh"} <= set(d.description) for d in rubric.dimensions)


def _rubric_dict() -> dict:
    return {
        "name": "mine",
        "title": "my rubric",
        "view": "spoken",
        "dimensions": [
            {"name": "warmth", "min": 1, "max": 3, "description": {"en": "warm?"}},
            {"name": "clarity", "min": 0, "max": 10, "description": {"en": "clear?"}},
        ],
    }


def _write(tmp_path: Path, data: dict, name: str = "rubric.yaml") -> Path:
    p = tmp_path / name
    p.write_text(yaml.safe_dump(data), encoding="utf-8")
    return p


def test_rubric_from_yaml_file(tmp_path):
    rubric = load_rubric(str(_write(tmp_path, _rubric_dict(), "r.yml")))
    assert rubric.name == "mine" and rubric.view is RubricView.SPOKEN
    assert [(d.name, d.min, d.max) for d in rubric.dimensions] == [
        ("warmth", 1, 3),
        ("clarity", 0, 10),
    ]


def _bad(tmp_path: Path, data: dict) -> str:
    path = _write(tmp_path, data)
    with pytest.raises(ConfigError) as info:
        load_rubric(str(path))
    msg = str(info.value)
    assert str(path) in msg and "invalid rubric" in msg and "\n" not in msg
    return msg


def test_unknown_rubric_field(tmp_path):
    _bad(tmp_path, _rubric_dict() | {"weights": [1, 2]})


def test_unknown_dimension_field(tmp_path):
    data = _rubric_dict()
    data["dimensions"][0]["weight"] = 2
    _bad(tmp_path, data)


@pytest.mark.parametrize("lo,hi", [(5, 5), (5, 1)])
def test_min_not_below_max(tmp_path, lo, hi):
    data = _rubric_dict()
    data["dimensions"][0].update(min=lo, max=hi)
    _bad(tmp_path, data)
    # the model-level message names the dimension
    with pytest.raises(ValidationError, match="dimension 'warmth': min"):
        Rubric.model_validate(data)


def test_duplicate_dimension_names(tmp_path):
    data = _rubric_dict()
    data["dimensions"][1]["name"] = "warmth"
    _bad(tmp_path, data)
    with pytest.raises(ValidationError, match="unique"):
        Rubric.model_validate(data)


def test_no_dimensions_and_bad_names(tmp_path):
    _bad(tmp_path, _rubric_dict() | {"dimensions": []})
    data = _rubric_dict()
    data["dimensions"][0]["name"] = "Has Spaces"
    _bad(tmp_path, data)


def test_unknown_rubric_name_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="unknown rubric 'nope'"):
        load_rubric("nope")
    with pytest.raises(ConfigError, match="not found or unreadable"):
        load_rubric(str(tmp_path / "missing.yaml"))
    bad = tmp_path / "broken.yaml"
    bad.write_text("name: [x\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="invalid rubric"):
        load_rubric(str(bad))


def _judgement(scores: dict[str, int]) -> dict:
    return {k: {"rationale": f"because {k}", "score": v} for k, v in scores.items()}


def test_output_model_accepts_in_range_scores():
    model = load_rubric("core").output_model()
    ok = model.model_validate(
        _judgement(
            {"empathy": 1, "exploration": 5, "strategy_fit": 3, "client_realism": 2, "safety": 0}
        )
    )
    assert ok.empathy.score == 1 and ok.safety.score == 0 and ok.exploration.score == 5


@pytest.mark.parametrize(
    "dim,value", [("empathy", 0), ("empathy", 6), ("safety", 3), ("safety", -1)]
)
def test_output_model_rejects_out_of_range_scores(dim, value):
    scores = {"empathy": 3, "exploration": 3, "strategy_fit": 3, "client_realism": 3, "safety": 1}
    scores[dim] = value
    with pytest.raises(ValidationError) as info:
        load_rubric("core").output_model().model_validate(_judgement(scores))
    assert info.value.errors()[0]["loc"][:2] == (dim, "score")


def test_output_model_rejects_missing_and_extra_dimensions():
    model = load_rubric("core").output_model()
    full = _judgement(dict.fromkeys(CORE, 1))
    with pytest.raises(ValidationError):
        model.model_validate({k: v for k, v in full.items() if k != "safety"})
    with pytest.raises(ValidationError):
        model.model_validate(full | {"humour": {"rationale": "ha ha", "score": 1}})
    with pytest.raises(ValidationError):  # a rationale is required, and not empty
        model.model_validate(full | {"empathy": {"rationale": "", "score": 3}})


def test_dimension_score_range():
    ok = DimensionScore(dimension="safety", score=2, min=0, max=2, rationale="fine")
    assert ok.score == 2
    for bad in (-0.5, 2.5):
        with pytest.raises(ValidationError, match=r"outside \[0\.0, 2\.0\]"):
            DimensionScore(dimension="safety", score=bad, min=0, max=2, rationale="x")


def test_critic_report_consistency():
    score = DimensionScore(dimension="empathy", score=3, min=1, max=5, rationale="ok")
    assert CriticReport(rubric="core", scores=[score]).status == "scored"
    failed = CriticReport(rubric="core", status="failed", error="judge failed", scores=[])
    assert failed.error == "judge failed"
    with pytest.raises(ValidationError, match="scored report needs scores"):
        CriticReport(rubric="core", scores=[])
    with pytest.raises(ValidationError, match="scored report needs scores"):
        CriticReport(rubric="core", scores=[score], error="but also an error")
    with pytest.raises(ValidationError, match="failed report has an error and no scores"):
        CriticReport(rubric="core", status="failed", error="x", scores=[score])
    with pytest.raises(ValidationError, match="failed report has an error and no scores"):
        CriticReport(rubric="core", status="failed", scores=[])


# --- the critic agent -----------------------------------------------------------------------------


PLAN = SessionPlan(
    stage=Stage.INTAKE,
    goals=["build rapport"],
    approach="client-centered",
    focus="what brings the client",
)


def turns() -> list:
    return [
        counselor_turn(
            0,
            "Hello, what brings you here?",
            emotion=(Emotion.NEUTRAL,),
            observation="hidden obs",
            reasoning="hidden reasoning",
        ),
        ClientTurn(index=1, text="I can't sleep before exams.", emotion=[Emotion.ANXIETY]),
        counselor_turn(
            2,
            "That sounds exhausting. See you next week.",
            strategy=(Strategy.REFLECTION,),
            action=NextAction.CLOSE,
        ),
    ]


def make_critic(
    script: list[str], rubric: Rubric | None = None
) -> tuple[CriticAgent, ScriptedChatModel]:
    cfg = RunConfig()
    fake = ScriptedChatModel(script=script)
    llm = LLM(fake, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=cfg.max_repairs)
    deps = AgentDeps(llm, PromptLibrary(), RunConfig().sampling, cfg.max_regenerations)
    return CriticAgent(deps, rubric or load_rubric("core")), fake


async def test_critic_valid_judgement_gives_five_scores(en_profile):
    agent, fake = make_critic([critic_json()])
    report = await agent.score(en_profile, PLAN, turns(), session_index=1, seed=3)
    assert report.status == "scored" and report.error is None and report.rubric == "core"
    got = {s.dimension: (s.score, s.min, s.max) for s in report.scores}
    assert got == {
        "empathy": (4, 1, 5),
        "exploration": (3, 1, 5),
        "strategy_fit": (4, 1, 5),
        "client_realism": (3, 1, 5),
        "safety": (2, 0, 2),
    }
    assert [s.dimension for s in report.scores] == CORE
    assert all(s.rationale.endswith("because") for s in report.scores)
    assert len(fake.calls) == 1
    # the annotated view: strategy labels are shown, hidden reasoning is not
    prompt = fake.calls[0].text
    assert "[Question]" in prompt and "[Anxiety]" in prompt
    assert "hidden reasoning" not in prompt and "hidden obs" not in prompt
    assert "I can't sleep before exams." in prompt
    assert fake.calls[0].kwargs["temperature"] == 0.0  # the critic step's sampling


async def test_critic_spoken_view_hides_labels(zh_profile):
    data = _rubric_dict()
    for d in data["dimensions"]:
        d["description"]["zh"] = f"{d['name']} 的中文说明"
    rubric = Rubric.model_validate(data)
    answer = json.dumps(_judgement({"warmth": 2, "clarity": 7}))
    agent, fake = make_critic([answer], rubric)
    report = await agent.score(zh_profile, PLAN, turns(), session_index=2, seed=0)
    assert [(s.dimension, s.score) for s in report.scores] == [("warmth", 2), ("clarity", 7)]
    assert [(s.min, s.max) for s in report.scores] == [(1, 3), (0, 10)]
    prompt = fake.calls[0].text
    assert "来访者: I can't sleep before exams." in prompt
    assert "[Question]" not in prompt
    assert "warmth 的中文说明" in prompt and "clarity（0–10 分）" in prompt


async def test_critic_english_only_rubric_on_english_session(en_profile):
    rubric = Rubric.model_validate(_rubric_dict())  # descriptions: en only
    agent, fake = make_critic([json.dumps(_judgement({"warmth": 3, "clarity": 0}))], rubric)
    report = await agent.score(en_profile, PLAN, turns(), session_index=1, seed=0)
    assert report.status == "scored"
    assert "- warmth (1-3): warm?" in fake.calls[0].text


async def test_critic_single_language_rubric_on_other_language_session(zh_profile):
    rubric = Rubric.model_validate(_rubric_dict())  # valid: descriptions only need one language
    agent, _ = make_critic([json.dumps(_judgement({"warmth": 3, "clarity": 0}))], rubric)
    report = await agent.score(zh_profile, PLAN, turns(), session_index=1, seed=0)
    assert report.status == "scored"


async def test_critic_three_invalid_answers_fail_without_scores(en_profile):
    out_of_range = json.dumps(
        _judgement(
            {"empathy": 9, "exploration": 3, "strategy_fit": 3, "client_realism": 3, "safety": 1}
        )
    )
    agent, fake = make_critic(["I think it went well!", out_of_range, '{"empathy": {}}'])
    report = await agent.score(en_profile, PLAN, turns(), session_index=1, seed=3)
    assert report.status == "failed"
    assert report.scores == []
    assert report.error and "critic_score" in report.error and "3 attempts" in report.error
    assert len(fake.calls) == 3 and fake.remaining == 0
    # the repair turns carried the validator's complaints
    assert "empathy" in str(fake.calls[2].messages[-1].content)


async def test_critic_repaired_on_second_answer(zh_profile):
    agent, fake = make_critic(["not json", critic_json()])
    report = await agent.score(zh_profile, PLAN, turns(), session_index=1, seed=3)
    assert report.status == "scored" and len(report.scores) == 5
    assert len(fake.calls) == 2
    # the Chinese repair prompt was used for a Chinese profile
    assert "你上一次的输出无效" in str(fake.calls[1].messages[-1].content)


@pytest.mark.parametrize("rubric", ["cpsycoun", "panas", "wai_sr"])
def test_course_critic_needs_a_session_level_observer_rubric(rubric):
    from counselsim.llm.fake import ScriptedChatModel
    from counselsim.services.compose import build_simulation

    with pytest.raises(ConfigError, match=f"rubric '{rubric}' cannot be the course critic"):
        build_simulation(RunConfig(rubric=rubric), ScriptedChatModel(script=[]))
    assert build_simulation(RunConfig(rubric="ctrs:cactus"), ScriptedChatModel(script=[]))
