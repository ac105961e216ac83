"""The judge probe set and its ordering figure (benchmarks/judge_probe.py)."""

from __future__ import annotations

import json

from benchmarks.judge_probe import DATA, probe, units

from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import load_rubric
from counselsim.llm.fake import FunctionChatModel
from tests.unit.test_judge import answer, deps_for, listed_items


def test_probe_set_pairs_a_good_and_a_bad_reply_per_kind_and_language():
    rows = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    kinds = {(r["kind"], r["language"]) for r in rows}
    assert len(kinds) == len(rows) == 8 and {lang for _, lang in kinds} == {"zh", "en"}
    assert all(r["good"] != r["bad"] and r["bad_because"] for r in rows)
    assert len(units("zh")) == 4 and len(units(None)) == 8


async def test_a_judge_that_sees_the_difference_orders_every_pair_right():
    bad_replies = {json.loads(line)["bad"] for line in DATA.read_text("utf-8").splitlines()}

    def fn(messages, kwargs):
        is_bad = any(b in str(messages[1].content) for b in bad_replies)
        items = listed_items(messages)
        return answer(dict.fromkeys(items, 1 if is_bad else 4))

    judge = RubricJudge(deps_for(FunctionChatModel(fn=fn)), load_rubric("psy_insight"))
    result = await probe(judge, units("en"))
    assert result["helpfulness"] == {"good": 4, "bad": 1, "ordered_right": 1.0}


async def test_a_judge_that_gives_one_score_to_everything_is_at_chance():
    fake = FunctionChatModel(fn=lambda m, k: answer(dict.fromkeys(listed_items(m), 3)))
    result = await probe(RubricJudge(deps_for(fake), load_rubric("psy_insight")), units("zh"))
    assert {r["ordered_right"] for r in result.values() if r} == {0.5}
