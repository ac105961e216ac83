"""Pairwise comparison: alternating order, position bias, win counts, pairing of runs."""

from __future__ import annotations

import json
import re

import pytest

from counselsim.critic.compare import PairJudge, summarize_pair
from counselsim.critic.rubric import load_rubric
from counselsim.critic.scoring import pair_units, run_comparison, summarize_comparisons
from counselsim.critic.units import ScoreUnit, UnitTurn
from counselsim.errors import ConfigError
from counselsim.labels import Role
from counselsim.llm.fake import FunctionChatModel
from counselsim.records import PairJudgement
from tests.unit.test_judge import deps_for

ITEMS = ["interactivity", "helpfulness", "comforting", "explainability"]


def u(uid: str, words: str, session: int | None = None, profile: str = "p") -> ScoreUnit:
    turns = (UnitTurn(Role.CLIENT, "I feel low."), UnitTurn(Role.COUNSELOR, words))
    return ScoreUnit(id=uid, language="en", turns=turns, profile_id=profile, session_index=session)


def prefers(marker: str | None):
    """A fake judge: picks the session containing ``marker``, or always 'first' if None."""

    def fn(messages, kwargs):
        user = str(messages[1].content)
        first = re.split(r"\nSecond session:\n", user)[0]
        pick = "first" if marker is None or marker in first else "second"
        return json.dumps({k: {"rationale": "because", "better": pick} for k in ITEMS})

    return FunctionChatModel(fn=fn)


async def test_a_consistent_judge_picks_the_better_session_whatever_the_order():
    fake = prefers("warmly")
    judge = PairJudge(deps_for(fake), load_rubric("psy_insight"))
    a, b = u("a", "I hear you, warmly."), u("b", "Go jogging.")
    c = await judge.compare(a, b, repeats=4, seed=3)
    assert {j.first for j in c.judgements} == {"a", "b"}  # the order alternates
    assert [j.first for j in c.judgements][:2] in (["a", "b"], ["b", "a"])
    assert c.wins["helpfulness"] == {"a": 4, "b": 0, "tie": 0}
    assert c.position_consistency == 1.0 and c.first_position_rate == 0.5
    assert c.status == "scored"


async def test_a_judge_that_always_picks_the_first_shows_position_bias():
    judge = PairJudge(deps_for(prefers(None)), load_rubric("psy_insight"))
    c = await judge.compare(u("a", "x"), u("b", "y"), repeats=2, seed=1)
    assert c.wins["comforting"] == {"a": 1, "b": 1, "tie": 0}
    assert c.position_consistency == 0.0 and c.first_position_rate == 1.0


def test_failed_calls_are_reported_and_never_counted():
    rubric = load_rubric("psy_insight")
    js = [
        PairJudgement(repeat=0, first="a", winners=dict.fromkeys(ITEMS, "a")),
        PairJudgement(repeat=1, first="b", status="failed", error="bad json"),
    ]
    c = summarize_pair(rubric, "a", "b", js, 2)
    assert c.status == "partial" and c.errors == ["repeat 1: bad json"]
    assert c.wins["helpfulness"] == {"a": 1, "b": 0, "tie": 0}
    assert c.position_consistency is None
    failed = summarize_pair(rubric, "a", "b", js[1:], 2)
    assert failed.status == "failed" and failed.wins == {}


def test_only_session_level_observer_rubrics_compare():
    with pytest.raises(ConfigError, match="cannot compare"):
        PairJudge(deps_for(prefers(None)), load_rubric("cpsycoun"))


async def test_runs_are_paired_by_persona_and_session_and_comparisons_resume(tmp_path):
    a = [u("ca#1", "warmly", 1), u("ca#2", "warmly", 2), u("ca#3", "x", 3)]
    b = [u("cb#1", "cold", 1), u("cb#2", "cold", 2), u("other#1", "y", 1, profile="q")]
    pairs, unmatched = pair_units(a, b)
    assert [(x.id, y.id) for x, y in pairs] == [("ca#1", "cb#1"), ("ca#2", "cb#2")]
    assert sorted(unmatched) == ["p#3", "q#1"]
    fake = prefers("warmly")
    rubric = load_rubric("psy_insight")
    got = await run_comparison(PairJudge(deps_for(fake), rubric), pairs, tmp_path, 2)
    assert len(fake.calls) == 4
    again = await run_comparison(PairJudge(deps_for(fake), rubric), pairs, tmp_path, 2)
    assert len(fake.calls) == 4 and again == got
    summary = summarize_comparisons(rubric, got)
    assert summary.items["comforting"].model_dump() == {"a": 4, "b": 0, "tie": 0, "a_win_rate": 1.0}
    assert summary.position_consistency == 1.0 and summary.pairs == 2
