"""The files of ``examples/`` work as documented, with fakes where they would load the model
(the integration tier runs ``stress_test_counselor.py`` on the embedded model itself)."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Sequence
from types import ModuleType
from typing import Any

from langchain_core.messages import BaseMessage, SystemMessage

from counselsim.config import load_config
from counselsim.llm.fake import FunctionChatModel
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.runs import RunDir
from counselsim.services.compose import build_simulation
from tests.conftest import PROFILES, ROOT, plan, thought
from tests.unit.test_stress_run import client, critic, good

EXAMPLES = ROOT / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def reference(messages: Sequence[BaseMessage], kwargs: dict[str, Any]) -> str:
    """counselsim's counselor agent: plan, think and reply told apart by their prompts."""
    text = "\n".join(str(m.content) for m in messages)
    if "[Planning before the session." in text:
        return plan(1)
    if "\nObservation: " in text:
        return json.dumps({"reply": "That sounds heavy. What has been hardest this week?"})
    return thought(0)


async def test_stress_test_example_runs_a_chat_model_beside_the_reference(tmp_path) -> None:
    example = _load("stress_test_counselor")
    out = tmp_path / "stress"
    job = example.plan(str(PROFILES / "en_grief_reserved.yaml"), out, 1, 2)
    sim = build_simulation(
        job.config,
        counselor_model=FunctionChatModel(fn=reference),
        client_model=FunctionChatModel(fn=client),
        critic_model=FunctionChatModel(fn=critic),
    )
    mine = FunctionChatModel(fn=good)
    result = await example.run(job, sim, mine, embedder=HashingEmbedding())
    assert result.exit_code == 0
    header, *rows = example.table(result)
    assert header.split()[0] == "counselor" and len(rows) == 2
    assert {c.name for c in result.report.counselors} == {"counselsim", "mine"}
    for name in ("counselsim", "mine"):
        [record] = RunDir(out).counselor(name).sessions()
        assert record.language == "en" and len(record.turns) == 3
    assert (out / "report.json").is_file() and (out / "report.html").is_file()
    # the model under test got a plain chat with the example's system prompt, and seeds
    assert len(mine.calls) == 2
    for call in mine.calls:
        first = call.messages[0]
        assert isinstance(first, SystemMessage) and first.content == example.SYSTEM_PROMPT
        assert "response_format" not in call.kwargs and "seed" in call.kwargs


def test_server_config_example_is_a_valid_config() -> None:
    cfg = load_config(EXAMPLES / "configs" / "server.yaml")
    assert cfg.history_window == 48 and cfg.model.n_ctx == 16384
