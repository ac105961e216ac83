"""Log-probabilities from llama.cpp in-process, read by a logits processor: against a stub
``Llama`` (the real model is never loaded in unit tests)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytest
from langchain_core.messages import HumanMessage
from pydantic import create_model

from counselsim.config import Engine, Sampling
from counselsim.critic.geval import geval_scores, tokens_from_openai
from counselsim.llm.local import ChatLlamaCpp
from counselsim.llm.structured import LLM
from counselsim.llm.topk import TopLogprobs

VOCAB = [b'{"a":', b" ", b"3", b"4", b"}", b"", b"x", b"5"]  # id 5: end of turn (no text)
PROMPT = [6, 6, 6]
GENERATED = [0, 1, 2, 4, 5]
SCORE_STEP = 2  # the step that samples the score token


def step_logits(j: int) -> np.ndarray:
    """Logits whose softmax is known: at the score step 3 -> .6, 4 -> .3, the other six
    tokens .1 / 6 each; elsewhere the generated token gets almost everything."""
    if j == SCORE_STEP:
        probs = np.full(len(VOCAB), 0.1 / 6)
        probs[2], probs[3] = 0.6, 0.3
    else:
        probs = np.full(len(VOCAB), 1e-6)
        probs[GENERATED[j]] = 1 - 1e-6 * (len(VOCAB) - 1)
    return (np.log(probs) + 7.0).astype(np.single)  # a shift: log-softmax must remove it


class StubLlama:
    """What ChatLlamaCpp uses of llama_cpp.Llama: each step calls the logits processors with
    the context so far (prompt + tokens already evaluated) and the next-token logits."""

    def __init__(self) -> None:
        self.processors: list[Any] = []

    def detokenize(self, tokens: list[int]) -> bytes:
        return b"".join(VOCAB[t] for t in tokens)

    def create_chat_completion(
        self, messages: Any, stop: Any = None, logits_processor: Any = None, **params: Any
    ) -> dict[str, Any]:
        self.processors.append(logits_processor)
        for j in range(len(GENERATED)):
            ids = np.array(PROMPT + GENERATED[:j], dtype=np.intc)
            for proc in logits_processor or []:
                proc(ids, step_logits(j))
        text = self.detokenize(GENERATED).decode()
        return {
            "choices": [{"message": {"content": text}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 3, "completion_tokens": 5},
        }


def test_recorder_gives_every_token_its_log_probability_and_top_alternatives():
    stub = StubLlama()
    recorder = TopLogprobs(3)
    stub.create_chat_completion([], logits_processor=[recorder])
    content = recorder.content(stub, '{"a": 3}')
    assert [e["token"] for e in content] == ['{"a":', " ", "3", "}"]  # end of turn: no text
    score = content[SCORE_STEP]
    assert score["logprob"] == pytest.approx(math.log(0.6))
    top = [(a["token"], a["logprob"]) for a in score["top_logprobs"]]
    assert top[0] == ("3", pytest.approx(math.log(0.6)))
    assert top[1] == ("4", pytest.approx(math.log(0.3)))
    assert len(top) == 3


def test_logits_are_returned_unchanged():
    logits = step_logits(SCORE_STEP)
    assert TopLogprobs(2)(np.array(PROMPT), logits) is logits


async def test_chat_llama_cpp_puts_the_log_probabilities_where_g_eval_reads_them():
    stub = StubLlama()
    chat = ChatLlamaCpp(model_path=Path("never-loaded.gguf"))
    chat._llama = stub
    llm = LLM(chat, Engine.GGUF, "stub", retry_attempts=1)
    schema = create_model("S", a=(Literal[1, 2, 3, 4, 5], ...))
    got = await llm.structured_answer(
        [HumanMessage("rate")], schema, Sampling(), 1, "critic", "fix {error}", logprobs=True
    )
    assert got.value.a == 3
    values = geval_scores(
        tokens_from_openai(got.logprobs), {"a": ("a",)}, {"a": range(1, 6)}, {"a": 3}
    )
    five = 0.1 / 6  # "5" is a score too; "x", "}", " " and the rest are not
    assert values["a"] == pytest.approx((3 * 0.6 + 4 * 0.3 + 5 * five) / (0.9 + five))  # 3.3636
    plain = await llm.structured_answer(
        [HumanMessage("rate")], schema, Sampling(), 1, "critic", "fix {error}"
    )
    assert plain.logprobs is None and stub.processors[-1] is None  # not asked: no processor
