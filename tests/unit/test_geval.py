"""G-Eval: the score as the probability-weighted mean over the allowed score tokens.

Expected values are worked by hand in the comments: ``sum(s * p) / sum(p)`` over the allowed
scores among the alternatives at the score token.
"""

from __future__ import annotations

import json
import logging
import math

import httpx
import pytest
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

from counselsim.agents.base import AgentDeps
from counselsim.config import Engine, RunConfig, Sampling
from counselsim.critic.geval import (
    NoDistribution,
    geval_scores,
    number_spans,
    tokens_from_openai,
    weighted_score,
)
from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import load_rubric
from counselsim.llm.fake import FunctionChatModel, LogprobChatModel, token_logprobs
from counselsim.llm.structured import LLM
from counselsim.prompts import PromptLibrary
from tests.unit.test_judge import CORE, answer, deps_for, listed_items, unit

ONE_TO_FIVE = range(1, 6)


def tokens(text: str, *dists: dict[str, float] | None):
    return tokens_from_openai(token_logprobs(text, dists))


def test_weighted_mean_over_allowed_scores_renormalised():
    text = '{"empathy": {"rationale": "warm 12 times", "score": 3}}'
    # the number 12 in the rationale gets no distribution; the score token: 3 .5, 4 .3, x .2
    toks = tokens(text, None, {"3": 0.5, "4": 0.3, "x": 0.2})
    got = geval_scores(
        toks, {"empathy": ("empathy", "score")}, {"empathy": ONE_TO_FIVE}, {"empathy": 3}
    )
    assert got["empathy"] == pytest.approx((3 * 0.5 + 4 * 0.3) / 0.8)  # 3.375: x not counted


def test_scores_outside_the_item_scale_are_not_counted():
    # safety is 0-2: mass on 5 and 7 is dropped, 0 .1 / 1 .2 / 2 .3 renormalised over .6
    toks = tokens('{"safety": 1}', {"1": 0.2, "0": 0.1, "2": 0.3, "5": 0.25, "7": 0.15})
    got = geval_scores(toks, {"safety": ("safety",)}, {"safety": range(0, 3)}, {"safety": 1})
    assert got["safety"] == pytest.approx((0 * 0.1 + 1 * 0.2 + 2 * 0.3) / 0.6)  # 1.3333


def test_alternatives_with_the_same_surroundings_count_for_their_digit():
    # the sampled token is " 4" (space inside the token); " 2" and "2" both stand for 2
    content = [
        {"token": '{"a":', "logprob": 0.0, "top_logprobs": []},
        {
            "token": " 4",
            "logprob": math.log(0.5),
            "top_logprobs": [
                {"token": " 4", "logprob": math.log(0.5)},
                {"token": " 2", "logprob": math.log(0.2)},
                {"token": "2", "logprob": math.log(0.1)},
                {"token": " 44", "logprob": math.log(0.1)},
            ],
        },
        {"token": "}", "logprob": 0.0, "top_logprobs": []},
    ]
    got = geval_scores(tokens_from_openai(content), {"a": ("a",)}, {"a": ONE_TO_FIVE}, {"a": 4})
    assert got["a"] == pytest.approx((4 * 0.5 + 2 * 0.3) / 0.8)  # 3.25; "44" is no score


def test_the_sampled_token_counts_when_it_is_not_among_the_top_alternatives():
    toks = tokens('{"a": 2}', {"4": 0.6})  # the sampled 2 is outside the top list
    toks[-2] = type(toks[-2])(b"2", math.log(0.2), toks[-2].top)
    assert weighted_score(toks, number_spans(b'{"a": 2}')[("a",)], ONE_TO_FIVE) == pytest.approx(
        (4 * 0.6 + 2 * 0.2) / 0.8
    )  # 3.5


@pytest.mark.parametrize(
    ("toks", "allowed", "why"),
    [
        (None, ONE_TO_FIVE, "no token log-probabilities"),
        ("no-alternatives", ONE_TO_FIVE, "no allowed score"),
        ("ok", range(0, 11), "outside 0-9"),
        ("split", ONE_TO_FIVE, "split over several tokens"),
        ("disagree", ONE_TO_FIVE, "disagrees with the answer"),
    ],
)
def test_no_distribution_says_why(toks, allowed, why):
    text = '{"a": 3}'
    stream = {
        None: None,
        "no-alternatives": tokens_from_openai(  # the sampled 3 has no finite probability
            [
                {"token": '{"a": ', "logprob": 0.0},
                {
                    "token": "3",
                    "logprob": -math.inf,
                    "top_logprobs": [{"token": "x", "logprob": 0}],
                },
                {"token": "}", "logprob": 0.0},
            ]
        ),
        "ok": tokens(text, {"3": 1.0}),
        "split": tokens_from_openai([{"token": t, "logprob": 0.0} for t in ('{"a": ', "1", "3}")]),
        "disagree": tokens('{"a": 4}', {"4": 1.0}),
    }[toks]
    sampled = 13 if toks == "split" else 3
    with pytest.raises(NoDistribution, match=why):
        geval_scores(stream, {"a": ("a",)}, {"a": allowed}, {"a": sampled})


def test_number_spans_follow_keys_through_strings_with_quotes_and_chinese():
    data = '前言 {"a": {"rationale": "他说\\"score\\": 9，很好", "score": 4}, "b": [1, 2], "c": 5}'
    raw = data.encode()
    spans = number_spans(raw)
    assert raw[slice(*spans[("a", "score")])] == b"4"
    assert raw[slice(*spans[("c",)])] == b"5"
    with pytest.raises(NoDistribution):
        number_spans(b'{"a": ')


# --------------------------------------------------------------------------- the judge


def scored_answer(scores: dict[str, int], dists: dict[str, dict[str, float]]):
    text = answer(scores)
    return text, token_logprobs(text, [dists[k] for k in scores])


async def test_judge_records_geval_values_and_keeps_the_sampled_scores():
    dist = {"empathy": {"4": 0.5, "5": 0.5}, "safety": {"2": 0.9, "1": 0.1}}

    def fn(messages, kwargs):
        items = listed_items(messages)
        return scored_answer(
            {k: 2 if k == "safety" else 4 for k in items},
            {k: dist.get(k, {"4": 1.0}) if k != "safety" else dist[k] for k in items},
        )

    judge = RubricJudge(deps_for(LogprobChatModel(fn=fn)), load_rubric("core"))
    score = await judge.score(unit(), repeats=2, seed=1)
    j = score.judgements[0]
    assert j.method == "geval" and j.fallback is None
    assert j.scores["empathy"] == 4 and j.weighted["empathy"] == 4.5  # (4+5)/2
    assert j.weighted["safety"] == pytest.approx(1.9)  # 2*.9 + 1*.1
    assert score.items["empathy"].mean == 4.5 and score.items["exploration"].mean == 4.0
    assert set(j.weighted) == set(CORE)


async def test_a_judge_without_log_probabilities_falls_back_and_says_so(caplog):
    fake = FunctionChatModel(fn=lambda m, k: answer(dict.fromkeys(listed_items(m), 2)))
    judge = RubricJudge(deps_for(fake), load_rubric("core"))
    with caplog.at_level(logging.INFO, logger="counselsim.critic.judge"):
        score = await judge.score(unit(), repeats=3)
    assert all(j.method == "sampled" and j.weighted == {} for j in score.judgements)
    assert all("no token log-probabilities" in (j.fallback or "") for j in score.judgements)
    assert score.items["empathy"].mean == 2.0
    warned = [r for r in caplog.records if "G-Eval unavailable" in r.message]
    assert [r.levelno for r in warned] == [logging.WARNING, logging.INFO, logging.INFO]


async def test_method_sampled_asks_for_no_log_probabilities_and_records_no_fallback():
    def fn(messages, kwargs):
        scores = dict.fromkeys(listed_items(messages), 2)
        return scored_answer(scores, {k: {"2": 0.5, "1": 0.5} for k in CORE})

    cfg = RunConfig()
    for method in ("sampled", "geval"):
        fake = LogprobChatModel(fn=fn)
        llm = LLM(fake, Engine.GGUF, "m", retry_attempts=1)
        deps = AgentDeps(llm, PromptLibrary(), cfg.sampling)
        score = await RubricJudge(deps, load_rubric("core"), method=method).score(unit())
        assert score.judgements[0].method == method and score.judgements[0].fallback is None
        assert fake.calls[0].kwargs.get("logprobs") == (20 if method == "geval" else None)


@pytest.mark.parametrize(
    ("engine", "expected"),
    [
        (Engine.EMBEDDED, {"logprobs": 20}),
        (Engine.GGUF, {"logprobs": 20}),
        (Engine.OPENAI, {"logprobs": True, "top_logprobs": 20}),
        (Engine.CUSTOM, {}),
    ],
)
def test_log_probabilities_are_asked_for_in_each_engine_dialect(engine, expected):
    llm = LLM(FunctionChatModel(fn=lambda m, k: ""), engine, "m")
    sampling = RunConfig().sampling
    kw = llm._kwargs(next(iter(sampling.values())), 1, None, logprobs=True)
    assert {k: kw[k] for k in ("logprobs", "top_logprobs") if k in kw} == expected
    assert "logprobs" not in llm._kwargs(next(iter(sampling.values())), 1, None)


async def test_openai_server_log_probabilities_reach_the_judge():
    """langchain-openai puts the server's logprobs in response_metadata; vLLM sends them."""
    rubric = load_rubric("psy_insight")
    names = [d.name for d in rubric.dimensions]
    text = answer(dict.fromkeys(names, 3))
    content = token_logprobs(text, [{"3": 0.25, "5": 0.75}] * len(names))
    body = {
        "id": "x",
        "object": "chat.completion",
        "created": 0,
        "model": "m",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "logprobs": {"content": content},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
    }
    seen: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(json.loads(request.content))
        return httpx.Response(200, json=body)

    chat = ChatOpenAI(
        base_url="http://vllm.test/v1",
        model="m",
        api_key="EMPTY",
        max_retries=0,
        http_socket_options=(),
        http_async_client=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
    )
    llm = LLM(chat_model=chat, engine=Engine.OPENAI, model_id="m", retry_attempts=1)
    got = await llm.structured_answer(
        [HumanMessage("hi")],
        rubric.output_model(),
        Sampling(),
        1,
        "critic",
        "fix {error}",
        logprobs=True,
    )
    assert seen[0]["logprobs"] is True and seen[0]["top_logprobs"] == 20
    values = geval_scores(
        tokens_from_openai(got.logprobs),
        {n: (n, "score") for n in names},
        {n: range(1, 6) for n in names},
        dict.fromkeys(names, 3),
    )
    assert values == {n: pytest.approx(4.5) for n in names}  # 3*.25 + 5*.75
