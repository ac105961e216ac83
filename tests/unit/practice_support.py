"""Fakes for practice tests: a client that answers from its prompt, a critic that writes
notes and scores, and a room over them in a directory (no network, no real model)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from counselsim.config import RunConfig
from counselsim.errors import ModelUnavailableError
from counselsim.llm.fake import FunctionChatModel, ScriptedChatModel
from counselsim.services.compose import Simulation, build_simulation

# The client prompt offers a hidden fact with these words (client/reply.{en,zh}.j2).
OFFER = re.compile(r"(?:hesitantly: |犹豫地说出这件事：)(.+)")
SPOKEN = re.compile(r"^(?:Counselor|咨询师): ", re.MULTILINE)
DIMS = {"empathy": 4, "exploration": 3, "strategy_fit": 4, "client_realism": 3, "safety": 2}


def _text(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


def client_reply(messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> str:
    """The client: says an offered hidden fact, else a line that differs per turn."""
    text = _text(messages)
    offered = OFFER.search(text)
    n = len(SPOKEN.findall(text))
    if offered:
        reply = offered.group(1).strip()[:190]
    elif re.search(r"[\u4e00-\u9fff]", text[:100]):
        reply = f"我也说不清楚，最近第{n}次觉得特别累。"
    else:
        reply = f"I don't know, I'm tired, {['really', 'so', 'quite', 'just'][n % 4]} tired {n}."
    return json.dumps({"emotion": ["Sadness"], "reply": reply}, ensure_ascii=False)


STORY = [
    "I'm just tired, honestly. Night shifts and the school run, it never stops.",
    "Some days I just want to disappear. Sorry, that sounds dramatic.",
    "I don't know. I keep going for the kids, I suppose.",
]


def story_reply(messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> str:
    """An English client with a story: tired, then a risk cue, then what keeps her going."""
    n = len(SPOKEN.findall(_text(messages)))
    if n > len(STORY):
        return client_reply(messages, kwargs)
    return json.dumps({"emotion": ["Sadness"], "reply": STORY[n - 1]})


def critic_reply(messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> str:
    """The note-taker and the rubric judge (told apart by what they are asked for)."""
    text = _text(messages)
    if "note-taker" in text or "记录员" in text:
        return json.dumps(
            {"summary": "The client talked about being tired.", "salient_events": ["tired"]}
        )
    return json.dumps({k: {"rationale": f"{k} because", "score": v} for k, v in DIMS.items()})


class StreamingClient(FunctionChatModel):
    """The client, streaming: a pause of ``delay_s`` between pieces (the browser sees them
    arrive), and its model failing mid-reply on its first ``failures`` calls."""

    delay_s: float = 0.0
    failures: int = 0

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        if self.failures > 0:
            self.failures -= 1
            yield ChatGenerationChunk(message=AIMessageChunk(content='{"emotion": ["Sadness"], '))
            yield ChatGenerationChunk(message=AIMessageChunk(content='"reply": "I was'))
            raise ModelUnavailableError("the model server went away")
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            time.sleep(self.delay_s)
            yield chunk


def practice_sim(client: FunctionChatModel | None = None, seed: int = 3) -> Simulation:
    """A simulation whose client and critic are the fakes above (the counselor is unused)."""
    cfg = RunConfig(seed=seed, max_regenerations=0)
    return build_simulation(
        cfg,
        counselor_model=ScriptedChatModel(script=[]),
        client_model=client or FunctionChatModel(fn=client_reply),
        critic_model=FunctionChatModel(fn=critic_reply),
    )


def hidden_strings(profile: Any) -> list[str]:
    """What must never reach the trainee before the debrief (long enough to be specific)."""
    texts = [h.content for h in profile.hidden] + [h.disclose_when for h in profile.hidden]
    texts += list(profile.core_beliefs) + list(profile.intermediate_beliefs)
    texts += [a for s in profile.situations for a in s.automatic_thoughts]
    texts += [profile.presenting_problem, profile.relevant_history]
    return [t for t in texts if len(t) >= 8]


HIDDEN_KEYS = ('"stance"', '"disclosure_offered"', '"risk_flags"', '"emotion"', '"hidden"')


def assert_nothing_hidden(body: str, profile: Any, where: str) -> None:
    """No hidden text and no hidden field name in ``body`` (a page or an API answer)."""
    for text in hidden_strings(profile):
        assert text not in body, f"{where} leaks profile text: {text[:40]}"
    for key in HIDDEN_KEYS:
        assert key not in body, f"{where} leaks field {key}"


def files(out: Path) -> list[str]:
    """Every file under ``out``, relative (for 'nothing half-written' checks)."""
    return sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.is_file())
