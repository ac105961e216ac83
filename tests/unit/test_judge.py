"""The rubric judge: repeats and spread, item order, turn level, self-report, codes, failures."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from counselsim.agents.base import AgentDeps
from counselsim.config import Engine, RunConfig
from counselsim.critic.judge import RubricJudge, fold, sample_evenly, stat
from counselsim.critic.rubric import Rubric, load_rubric
from counselsim.critic.units import ScoreUnit, UnitTurn, units_from_records
from counselsim.labels import Role
from counselsim.llm.fake import FunctionChatModel, ScriptedChatModel
from counselsim.llm.structured import LLM
from counselsim.prompts import PromptLibrary
from counselsim.records import Judgement

CORE = ["empathy", "exploration", "strategy_fit", "client_realism", "safety"]


def deps_for(fake) -> AgentDeps:
    cfg = RunConfig()
    llm = LLM(fake, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=1)
    return AgentDeps(llm, PromptLibrary(), cfg.sampling, cfg.max_regenerations)


def unit(n_exchanges: int = 3, lang: str = "en", notes: tuple[str, ...] = ()) -> ScoreUnit:
    turns = []
    for i in range(n_exchanges):
        turns.append(UnitTurn(Role.COUNSELOR, f"counselor line {i}?", ("Question",)))
        turns.append(UnitTurn(Role.CLIENT, f"client line {i}.", ("Anxiety",)))
    return ScoreUnit(id="c1#2", language=lang, turns=tuple(turns), notes=notes)


def listed_items(messages) -> list[str]:
    """Item names in the order the judge's system prompt lists them."""
    return re.findall(r"^- ([a-z_]+) ?[(（]", str(messages[0].content), re.MULTILINE)


def answer(scores: dict[str, int], rationale: bool = True) -> str:
    if rationale:
        return json.dumps({k: {"rationale": f"why {k}", "score": v} for k, v in scores.items()})
    return json.dumps(scores)


async def test_repeats_give_mean_and_spread_and_shuffle_item_order():
    values = iter([3, 4, 5])

    def fn(messages, kwargs):
        v = next(values)
        return answer({k: (v if k == "empathy" else 2) for k in listed_items(messages)})

    fake = FunctionChatModel(fn=fn)
    score = await RubricJudge(deps_for(fake), load_rubric("core")).score(unit(), repeats=3, seed=5)
    assert score.status == "scored" and score.repeats == 3 and not score.errors
    emp = score.items["empathy"]
    assert (emp.mean, emp.sd, emp.min, emp.max, emp.n) == (4.0, 1.0, 3, 5, 3)
    assert score.items["safety"].sd == 0.0
    orders = [listed_items(c.messages) for c in fake.calls]
    assert orders[0] == CORE  # the first repeat keeps the file's order
    assert all(sorted(o) == sorted(CORE) for o in orders)
    assert orders[1] != CORE or orders[2] != CORE  # later repeats are shuffled (seeded)
    assert [j.order for j in score.judgements] == orders
    again = FunctionChatModel(fn=lambda m, k: answer(dict.fromkeys(listed_items(m), 2)))
    await RubricJudge(deps_for(again), load_rubric("core")).score(unit(), repeats=3, seed=5)
    assert [listed_items(c.messages) for c in again.calls] == orders  # same seed, same orders


async def test_a_judge_that_never_gives_valid_scores_leaves_the_unit_failed():
    bad = answer(dict.fromkeys(CORE, 9))  # out of every range
    fake = ScriptedChatModel(script=[bad, "not json at all"])
    score = await RubricJudge(deps_for(fake), load_rubric("core")).score(unit(), repeats=1)
    assert score.status == "failed" and score.items == {} and score.groups == {}
    assert len(score.errors) == 1 and "repeat 0" in score.errors[0]
    assert score.judgements[0].status == "failed" and score.judgements[0].scores == {}


async def test_one_failed_repeat_makes_the_unit_partial_with_values_from_the_others():
    good = answer(dict.fromkeys(CORE, 2))
    fake = ScriptedChatModel(script=[good, "{}", "{}"])  # repeat 1: invalid, repair invalid
    score = await RubricJudge(deps_for(fake), load_rubric("core")).score(unit(), repeats=2)
    assert score.status == "partial" and score.items["empathy"].n == 1
    assert score.errors and score.errors[0].startswith("repeat 1")


def write_rubric(tmp_path: Path, data: dict) -> Rubric:
    path = tmp_path / f"{data['name']}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return load_rubric(str(path))


def dim(name: str, lo: int, hi: int, group: str | None = None) -> dict:
    d = {"name": name, "min": lo, "max": hi, "description": {"en": name, "zh": name}}
    return d | ({"group": group} if group else {})


async def test_turn_level_rubric_judges_each_counselor_turn_in_context(tmp_path):
    rubric = write_rubric(
        tmp_path,
        {
            "name": "per_turn",
            "title": "per turn",
            "level": "turn",
            "view": "spoken",
            "dimensions": [dim("helpful", 0, 4)],
        },
    )
    seen: list[str] = []

    def fn(messages, kwargs):
        user = str(messages[1].content)
        marked = re.search(r">>> \[T(\d)\] Counselor: counselor line (\d)", user)
        assert marked, user
        assert int(marked.group(1)) == 2 * int(marked.group(2))  # numbered as in the session
        seen.append(marked.group(2))
        return answer({"helpful": int(marked.group(2))})

    fake = FunctionChatModel(fn=fn)
    judge = RubricJudge(deps_for(fake), rubric, context_turns=2)
    score = await judge.score(unit(3), repeats=1)
    assert seen == ["0", "1", "2"]
    assert [j.turn_index for j in score.judgements] == [0, 2, 4]
    assert score.items["helpful"].mean == 1.0  # mean over turns 0, 1, 2
    # context is bounded: turn 4's prompt shows turns 2..4 only
    assert "counselor line 0" not in str(fake.calls[2].messages[1].content)
    sampled = RubricJudge(deps_for(FunctionChatModel(fn=fn)), rubric, turns_per_unit=1)
    assert [j.turn_index for j in (await sampled.score(unit(3))).judgements] == [2]


def test_sample_evenly():
    assert sample_evenly([0, 2, 4, 6, 8, 10], 2) == [2, 8]
    assert sample_evenly([1, 3], 5) == [1, 3]
    assert sample_evenly([1, 3, 5], None) == [1, 3, 5]


async def test_client_self_report_before_and_after_with_group_sums_and_deltas(tmp_path):
    rubric = write_rubric(
        tmp_path,
        {
            "name": "mood",
            "title": "mood",
            "perspective": "client",
            "timing": "pre_post",
            "rationale": False,
            "group_fold": "sum",
            "view": "spoken",
            "dimensions": [
                dim("calm", 1, 5, "positive"),
                dim("hopeful", 1, 5, "positive"),
                dim("tense", 1, 5, "negative"),
            ],
        },
    )

    def fn(messages, kwargs):
        user = str(messages[1].content)
        pre = "has not started" in user
        return answer({"calm": 1 if pre else 3, "hopeful": 2 if pre else 4, "tense": 5}, False)

    fake = FunctionChatModel(fn=fn)
    u = unit(2, notes=("Session 1: talked about exams.",))
    score = await RubricJudge(deps_for(fake), rubric).score(u, repeats=1)
    pre_call, post_call = (str(c.messages[1].content) for c in fake.calls)
    assert "client line" not in pre_call and "talked about exams" in pre_call
    assert "client line 1" in post_call
    assert "You are the client" in str(fake.calls[0].messages[0].content)
    assert [j.phase for j in score.judgements] == ["pre", "post"]
    assert score.items["pre.calm"].mean == 1 and score.items["post.calm"].mean == 3
    assert score.items["delta.hopeful"].mean == 2
    assert score.groups["pre.positive"].mean == 3 and score.groups["post.positive"].mean == 7
    assert score.groups["delta.positive"].mean == 4 and score.groups["delta.negative"].mean == 0


async def test_behavior_codes_are_counted_per_turn_with_ratios(tmp_path):
    rubric = write_rubric(
        tmp_path,
        {
            "name": "coded",
            "title": "coded",
            "view": "spoken",
            "codes": [
                {"name": "question", "description": {"en": "asks"}},
                {"name": "simple_reflection", "description": {"en": "reflects"}},
                {"name": "complex_reflection", "description": {"en": "reflects deeper"}},
            ],
            "ratios": [
                {
                    "name": "r_to_q",
                    "numerator": ["simple_reflection", "complex_reflection"],
                    "denominator": ["question"],
                },
                {
                    "name": "pct_cr",
                    "numerator": ["complex_reflection"],
                    "denominator": ["simple_reflection", "complex_reflection"],
                    "percent": True,
                },
            ],
        },
    )
    script = [
        json.dumps({"rationale": "asks", "codes": ["question"]}),
        json.dumps({"rationale": "both", "codes": ["complex_reflection", "question"]}),
        json.dumps({"rationale": "reflects", "codes": ["simple_reflection"]}),
    ]
    fake = ScriptedChatModel(script=script)
    score = await RubricJudge(deps_for(fake), rubric).score(unit(3), repeats=1)
    counts = {k: v.mean for k, v in score.counts.items()}
    assert counts == {"question": 2, "simple_reflection": 1, "complex_reflection": 1}
    assert score.ratios["r_to_q"].mean == 1.0 and score.ratios["pct_cr"].mean == 50.0
    assert score.items == {} and score.status == "scored"
    with pytest.raises(ValueError):
        rubric.codes_model().model_validate({"rationale": "x", "codes": ["bogus"]})


def test_fold_leaves_out_a_ratio_whose_denominator_is_zero_and_keeps_failures():
    rubric = Rubric.model_validate(
        {
            "name": "c",
            "title": "c",
            "codes": [
                {"name": "question", "description": {"en": "q"}},
                {"name": "affirm", "description": {"en": "a"}},
            ],
            "ratios": [{"name": "a_per_q", "numerator": ["affirm"], "denominator": ["question"]}],
        }
    )
    js = [
        Judgement(repeat=0, turn_index=0, codes=["affirm"]),
        Judgement(repeat=0, turn_index=2, status="failed", error="judge said nothing"),
    ]
    score = fold(rubric, unit(), js, repeats=1)
    assert score.ratios == {} and score.counts["affirm"].mean == 1
    assert score.status == "partial" and "turn 2" in score.errors[0]


def test_stat_uses_the_sample_standard_deviation():
    s = stat([2, 4, 4, 4, 5, 5, 7, 9])
    assert s.mean == 5.0 and s.sd == pytest.approx(2.1381, abs=1e-4) and s.n == 8
    assert stat([3]).sd == 0.0


def test_units_from_records_never_carry_hidden_thoughts(en_profile):
    from counselsim.records import (
        ClientTurn,
        CriticReport,
        Provenance,
        SessionRecord,
    )
    from tests.conftest import SECRET, counselor_turn
    from tests.unit.test_rubric_and_critic import PLAN

    def record(i: int) -> SessionRecord:
        return SessionRecord(
            course_id="c",
            session_index=i,
            profile_id=en_profile.id,
            language="en",
            plan=PLAN,
            turns=[
                counselor_turn(0, "Hi?", observation=SECRET, reasoning=SECRET),
                ClientTurn(index=1, text="Hello.", emotion=["Anxiety"]),
            ],
            end_reason="turn_cap",
            summary=f"summary {i}",
            salient_events=["e"],
            critic=CriticReport(rubric="core", status="failed", error="x", scores=[]),
            provenance=Provenance(
                model="m", engine="custom", prompt_hashes={}, seed=0, config_hash="h", version="v"
            ),
        )

    units = units_from_records([record(2), record(1)], {en_profile.id: en_profile})
    assert [u.id for u in units] == ["c#1", "c#2"]
    assert units[1].notes == ("summary 1",) and units[0].notes == ()
    assert units[0].profile == en_profile
    assert SECRET not in repr(units)
