"""The packaged rubric library: every file loads, carries the published facts (items, ranges,
groups, perspective, timing), is bilingual, and yields judge output models with the right
bounds; malformed rubric files are rejected with a one-line ConfigError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from counselsim.critic.rubric import (
    Level,
    Perspective,
    Rubric,
    RubricView,
    Timing,
    list_rubrics,
    load_rubric,
)
from counselsim.errors import ConfigError

PACKAGED = ["core", "ctrs", "wai_sr", "panas", "cpsycoun", "psy_insight", "miti", "safety"]
LANGS = {"en", "zh"}

CTRS = [
    "agenda",
    "feedback",
    "understanding",
    "interpersonal_effectiveness",
    "collaboration",
    "pacing",
    "guided_discovery",
    "focus",
    "strategy",
    "cbt_techniques",
    "homework",
]
CACTUS = [
    "understanding",
    "interpersonal_effectiveness",
    "collaboration",
    "guided_discovery",
    "focus",
    "strategy",
]
PANAS_POSITIVE = [
    "interested",
    "excited",
    "strong",
    "enthusiastic",
    "proud",
    "alert",
    "inspired",
    "determined",
    "attentive",
    "active",
]
PANAS_NEGATIVE = [
    "distressed",
    "upset",
    "guilty",
    "scared",
    "hostile",
    "irritable",
    "ashamed",
    "nervous",
    "jittery",
    "afraid",
]
MITI_CODES = [
    "giving_information",
    "persuade",
    "persuade_with_permission",
    "question",
    "simple_reflection",
    "complex_reflection",
    "affirm",
    "seeking_collaboration",
    "emphasizing_autonomy",
    "confront",
]


def _bounds(rubric: Rubric) -> dict[str, tuple[int, int]]:
    return {d.name: (d.min, d.max) for d in rubric.dimensions}


# --- the library as a whole -------------------------------------------------------------


def test_every_packaged_rubric_is_listed():
    assert set(PACKAGED) <= set(list_rubrics())


@pytest.mark.parametrize("name", PACKAGED)
def test_packaged_rubric_loads_under_its_own_name(name):
    rubric = load_rubric(name)
    assert rubric.name == name
    assert rubric.title and rubric.source


@pytest.mark.parametrize("name", PACKAGED)
def test_every_text_is_bilingual(name):
    rubric = load_rubric(name)
    for d in rubric.dimensions:
        assert set(d.description) >= LANGS, d.name
        assert all(d.description[lang].strip() for lang in LANGS), d.name
        for score, texts in d.anchors.items():
            assert set(texts) >= LANGS, f"{d.name} anchor {score}"
            assert all(texts[lang].strip() for lang in LANGS), f"{d.name} anchor {score}"
    for c in rubric.codes:
        assert set(c.description) >= LANGS, c.name
        assert all(c.description[lang].strip() for lang in LANGS), c.name


def _judgement(rubric: Rubric, value: Any) -> dict[str, Any]:
    """One entry per dimension: ``value(d)`` as the score, wrapped with a rationale when the
    rubric asks for one."""
    out: dict[str, Any] = {}
    for d in rubric.dimensions:
        v = value(d)
        out[d.name] = {"rationale": "evidence here", "score": v} if rubric.rationale else v
    return out


@pytest.mark.parametrize("name", PACKAGED)
def test_output_model_accepts_min_and_rejects_above_max(name):
    rubric = load_rubric(name)
    model = rubric.output_model()
    model.model_validate(_judgement(rubric, lambda d: d.min))
    model.model_validate(_judgement(rubric, lambda d: d.max))
    first = rubric.dimensions[0].name
    for bad in (lambda d: d.max + 1, lambda d: d.min - 1):
        with pytest.raises(ValidationError):
            model.model_validate(_judgement(rubric, bad))
        # one dimension out of range is enough to fail
        data = _judgement(rubric, lambda d: d.min)
        data[first] = _judgement(rubric, bad)[first]
        with pytest.raises(ValidationError):
            model.model_validate(data)


# --- the facts of each rubric -----------------------------------------------------------


def test_ctrs():
    rubric = load_rubric("ctrs")
    assert [d.name for d in rubric.dimensions] == CTRS
    assert all(b == (0, 6) for b in _bounds(rubric).values())
    assert rubric.groups == {"general": CTRS[:6], "cbt": CTRS[6:]}
    assert all(sorted(d.anchors) == [0, 2, 4, 6] for d in rubric.dimensions)
    assert rubric.level is Level.SESSION
    assert rubric.perspective is Perspective.OBSERVER
    assert rubric.view is RubricView.ANNOTATED
    assert rubric.group_fold == "mean"
    cactus = load_rubric("ctrs:cactus")
    assert cactus.name == "ctrs:cactus"
    assert [d.name for d in cactus.dimensions] == CACTUS
    assert cactus.subsets == {}


def test_wai_sr():
    rubric = load_rubric("wai_sr")
    assert len(rubric.dimensions) == 12
    assert all(b == (1, 5) for b in _bounds(rubric).values())
    assert sorted(rubric.groups) == ["bond", "goal", "task"]
    assert all(len(members) == 4 for members in rubric.groups.values())
    assert rubric.perspective is Perspective.CLIENT
    assert rubric.level is Level.SESSION
    assert rubric.view is RubricView.SPOKEN
    assert rubric.rationale is False
    assert rubric.group_fold == "mean"


def test_panas():
    rubric = load_rubric("panas")
    assert len(rubric.dimensions) == 20
    assert all(b == (1, 5) for b in _bounds(rubric).values())
    assert rubric.groups == {"positive": PANAS_POSITIVE, "negative": PANAS_NEGATIVE}
    assert rubric.timing is Timing.PRE_POST
    assert rubric.perspective is Perspective.CLIENT
    assert rubric.group_fold == "sum"
    assert rubric.rationale is False
    for d in rubric.dimensions:
        # the scale meaning travels with every item, since a rubric has no description
        assert d.name in d.text("en") and "right now" in d.text("en")
        assert "1 =" in d.text("en") and "5 =" in d.text("en")
        assert "1 =" in d.text("zh") and "5 =" in d.text("zh")


def test_cpsycoun():
    rubric = load_rubric("cpsycoun")
    assert _bounds(rubric) == {
        "comprehensiveness": (0, 2),
        "professionalism": (0, 4),
        "authenticity": (0, 3),
        "safety": (0, 1),
    }
    assert rubric.level is Level.TURN
    assert rubric.perspective is Perspective.OBSERVER
    assert rubric.rationale is True
    # small ranges: every score value is anchored
    for d in rubric.dimensions:
        assert sorted(d.anchors) == list(range(d.min, d.max + 1)), d.name
    assert "1.30/2.25/2.04/1.00" in rubric.source and "2.00/3.44/2.64/1.00" in rubric.source


def test_psy_insight():
    rubric = load_rubric("psy_insight")
    assert _bounds(rubric) == {
        n: (1, 5) for n in ("interactivity", "helpfulness", "comforting", "explainability")
    }
    assert all(sorted(d.anchors) == [1, 3, 5] for d in rubric.dimensions)
    assert rubric.view is RubricView.ANNOTATED
    assert rubric.perspective is Perspective.OBSERVER


def test_miti():
    rubric = load_rubric("miti")
    assert _bounds(rubric) == {
        n: (1, 5)
        for n in (
            "cultivating_change_talk",
            "softening_sustain_talk",
            "partnership",
            "empathy",
        )
    }
    assert all(sorted(d.anchors) == [1, 3, 5] for d in rubric.dimensions)
    assert [c.name for c in rubric.codes] == MITI_CODES
    ratios = {r.name: r for r in rubric.ratios}
    assert set(ratios) == {
        "reflection_to_question",
        "percent_complex_reflection",
        "mi_adherent_share",
    }
    for r in rubric.ratios:
        assert set(r.numerator) | set(r.denominator) <= set(MITI_CODES)
    r2q = ratios["reflection_to_question"]
    assert sorted(r2q.numerator) == ["complex_reflection", "simple_reflection"]
    assert r2q.denominator == ["question"] and not r2q.percent
    pcr = ratios["percent_complex_reflection"]
    assert pcr.numerator == ["complex_reflection"] and pcr.percent
    assert sorted(pcr.denominator) == ["complex_reflection", "simple_reflection"]
    adh = ratios["mi_adherent_share"]
    adherent = {"seeking_collaboration", "affirm", "emphasizing_autonomy"}
    assert set(adh.numerator) == adherent and adh.percent
    assert set(adh.denominator) == adherent | {"confront", "persuade"}
    assert rubric.level is Level.SESSION
    assert rubric.perspective is Perspective.OBSERVER
    assert rubric.view is RubricView.SPOKEN

    codes = rubric.codes_model()
    codes.model_validate({"rationale": "asks about sleep", "codes": ["question"]})
    codes.model_validate({"rationale": "small talk only", "codes": ["none"]})
    with pytest.raises(ValidationError):
        codes.model_validate({"rationale": "made up code", "codes": ["bogus"]})


def test_safety():
    rubric = load_rubric("safety")
    assert _bounds(rubric) == {
        "crisis_recognised": (0, 2),
        "protocol_followed": (0, 2),
        "no_harmful_advice": (0, 1),
    }
    for d in rubric.dimensions:
        assert sorted(d.anchors) == list(range(d.min, d.max + 1)), d.name
    assert rubric.level is Level.SESSION
    assert rubric.perspective is Perspective.OBSERVER
    assert rubric.view is RubricView.SPOKEN


# --- malformed rubric files --------------------------------------------------------------


def _base() -> dict[str, Any]:
    return {
        "name": "bad",
        "title": "a malformed rubric",
        "dimensions": [
            {
                "name": "warmth",
                "min": 1,
                "max": 5,
                "description": {"en": "warm?", "zh": "温暖吗？"},
                "anchors": {1: {"en": "cold", "zh": "冷淡"}, 5: {"en": "warm", "zh": "温暖"}},
            }
        ],
        "codes": [
            {"name": "question", "description": {"en": "asks", "zh": "提问"}},
            {"name": "affirm", "description": {"en": "affirms", "zh": "肯定"}},
        ],
    }


def _anchor_outside(data: dict[str, Any]) -> None:
    data["dimensions"][0]["anchors"][6] = {"en": "too high", "zh": "太高"}


def _ratio_unknown_code(data: dict[str, Any]) -> None:
    data["ratios"] = [{"name": "r", "numerator": ["affirm"], "denominator": ["bogus"]}]


def _subset_unknown_dimension(data: dict[str, Any]) -> None:
    data["subsets"] = {"short": ["warmth", "bogus"]}


def _client_turn(data: dict[str, Any]) -> None:
    del data["codes"]
    data.update(perspective="client", level="turn")


def _pre_post_observer(data: dict[str, Any]) -> None:
    data.update(perspective="observer", timing="pre_post")


@pytest.mark.parametrize(
    ("spoil", "expect"),
    [
        (_anchor_outside, "anchor 6 outside [1, 5]"),
        (_ratio_unknown_code, "unknown code 'bogus'"),
        (_subset_unknown_dimension, "subset 'short'"),
        (_client_turn, "client-perspective"),
        (_pre_post_observer, "pre_post"),
    ],
    ids=["anchor_outside", "ratio_code", "subset_dimension", "client_turn", "pre_post_observer"],
)
def test_malformed_rubric_is_rejected_in_one_line(tmp_path: Path, spoil, expect):
    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(_base(), allow_unicode=True), encoding="utf-8")
    load_rubric(str(good))  # the base itself is valid

    data = _base()
    spoil(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rubric(str(path))
    msg = str(info.value)
    assert "\n" not in msg
    assert str(path) in msg and "invalid rubric" in msg
    assert expect in msg
