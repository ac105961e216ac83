"""The composition root: which model instances the roles get."""

from __future__ import annotations

import pytest

from counselsim.config import Engine, ModelConfig, RunConfig
from counselsim.llm.fake import ScriptedChatModel
from counselsim.services import compose


@pytest.mark.parametrize(("engine", "instances"), [(Engine.EMBEDDED, 2), (Engine.OPENAI, 1)])
def test_local_engines_get_a_client_and_a_counselor_instance(monkeypatch, engine, instances):
    built: list[ScriptedChatModel] = []

    def fake_build(cfg: ModelConfig):
        built.append(ScriptedChatModel(script=[]))
        return built[-1], "m"

    monkeypatch.setattr(compose, "build_chat_model", fake_build)
    sim = compose.build_simulation(RunConfig(model=ModelConfig(engine=engine)))
    assert len(built) == instances
    assert sim.critic_llm is sim.counselor_llm  # the critic runs once per session
    assert (sim.client_llm is sim.counselor_llm) == (instances == 1)
    assert sim.counselor_llm.engine is engine


def test_a_plugged_in_counselor_leaves_the_other_roles_on_the_engine(monkeypatch):
    monkeypatch.setattr(
        compose, "build_chat_model", lambda cfg: (ScriptedChatModel(script=[]), "base")
    )
    mine = ScriptedChatModel(script=[])
    sim = compose.build_simulation(RunConfig(), counselor_model=mine)
    assert sim.counselor_llm.chat_model is mine and sim.counselor_llm.engine is Engine.CUSTOM
    assert sim.client_llm.model_id == "base" and sim.critic_llm.model_id == "base"
    assert "counselsim-scripted" in sim.provenance().model
