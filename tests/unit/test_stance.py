"""Resistance acts on behavior: the stance policy, hidden-fact gating, and what reaches the
client's prompt and its recorded turns (scripted fake models, no real model)."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from counselsim.agents.base import AgentDeps
from counselsim.agents.client import ClientAgent
from counselsim.agents.stance import (
    BASE_DEFENSE,
    choose_stance,
    defend_probability,
    rapport,
)
from counselsim.config import Engine, RunConfig
from counselsim.labels import Defense, Stance, Strategy
from counselsim.llm.fake import FunctionChatModel, ScriptedChatModel
from counselsim.llm.structured import LLM
from counselsim.personas.models import ClientProfile
from counselsim.prompts import PromptLibrary
from counselsim.records import ClientTurn, Turn
from tests.conftest import counselor_turn

SEEDS = range(600)


def profile(resistance: int, defenses: list[str] | None = None, **extra: object) -> ClientProfile:
    return ClientProfile.model_validate(
        {
            "id": f"r{resistance}",
            "language": "en",
            "presenting_problem": "Trouble at work.",
            "resistance": resistance,
            "defenses": defenses or [],
            **extra,
        }
    )


def history(strategy: Strategy, n: int) -> list[Turn]:
    turns: list[Turn] = []
    for i in range(n):
        turns.append(counselor_turn(2 * i, f"line {i}", strategy=(strategy,)))
        turns.append(ClientTurn(index=2 * i + 1, text=f"answer {i}", emotion=["Neutral"]))
    turns.append(counselor_turn(2 * n, "and now?", strategy=(strategy,)))
    return turns


def defend_rate(p: ClientProfile, turns: list[Turn], session: int = 1) -> float:
    stances = [choose_stance(p, turns, session, seed).stance for seed in SEEDS]
    return sum(s is not Stance.ENGAGE for s in stances) / len(stances)


def test_stance_is_deterministic_for_a_seed():
    p, turns = profile(4, ["blame", "deflect"]), history(Strategy.QUESTION, 2)
    assert [choose_stance(p, turns, 1, s) for s in range(50)] == [
        choose_stance(p, turns, 1, s) for s in range(50)
    ]


def test_higher_resistance_defends_more_often():
    turns = history(Strategy.QUESTION, 1)
    rates = [defend_rate(profile(r), turns) for r in range(1, 6)]
    assert rates == sorted(rates) and rates[0] < 0.12 and rates[-1] > 0.7
    for r, rate in zip(range(1, 6), rates, strict=True):
        assert rate == pytest.approx(BASE_DEFENSE[r], abs=0.07)


def test_empathic_moves_and_earlier_sessions_lower_defense():
    p = profile(5, ["deny", "deflect"])
    cold = defend_rate(p, history(Strategy.QUESTION, 5))
    warm = defend_rate(p, history(Strategy.REFLECTION, 5))
    later = defend_rate(p, history(Strategy.QUESTION, 5), session=4)
    assert rapport(history(Strategy.REFLECTION, 5), 1) == 1.0
    assert warm < cold - 0.3 and later < cold - 0.15


def test_directive_move_provokes_the_provoked_defenses():
    p = profile(4, ["help_reject", "deflect"])
    questioned = history(Strategy.QUESTION, 2)
    advised = history(Strategy.SUGGESTION, 2)
    assert defend_probability(p, advised, 1) > defend_probability(p, questioned, 1)
    after_advice = Counter(choose_stance(p, advised, 1, s).stance for s in SEEDS)
    assert after_advice[Stance.DEFLECT] == 0 and after_advice[Stance.HELP_REJECT] > 300
    after_question = Counter(choose_stance(p, questioned, 1, s).stance for s in SEEDS)
    assert after_question[Stance.DEFLECT] > 100  # both defenses in play otherwise


def test_only_the_profiles_own_defenses_are_drawn():
    p = profile(5, ["intellectualize", "somatize"])
    drawn = {choose_stance(p, history(Strategy.QUESTION, 1), 1, s).stance for s in SEEDS}
    assert drawn == {Stance.ENGAGE, Stance.INTELLECTUALIZE, Stance.SOMATIZE}
    assert {s.value for s in Stance} == {"engage"} | {d.value for d in Defense}


def test_hidden_fact_never_offered_before_its_session_or_without_rapport():
    hidden = [{"content": "the accident", "disclose_when": "asked gently", "min_session": 3}]
    p = profile(3, ["downplay"], hidden=hidden)
    warm = history(Strategy.REFLECTION, 4)
    for session in (1, 2):
        assert not any(choose_stance(p, warm, session, s).disclose for s in SEEDS)
    offered = [choose_stance(p, warm, 3, s) for s in SEEDS]
    assert any(d.disclose for d in offered)
    assert all(d.stance is Stance.ENGAGE for d in offered if d.disclose)
    # resistance 3 needs rapport; a cold first session of questions offers nothing
    cold = profile(3, ["downplay"], hidden=[{**hidden[0], "min_session": 1}])
    assert not any(choose_stance(cold, history(Strategy.QUESTION, 3), 1, s).disclose for s in SEEDS)


# --- through the client agent: the stance reaches the prompt, the secret does not -------------


def _deps(model: ScriptedChatModel) -> AgentDeps:
    cfg = RunConfig()
    llm = LLM(model, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=cfg.max_repairs)
    return AgentDeps(llm, PromptLibrary(), cfg.sampling, 0)


class _NoMemory:
    def search(self, *a: object) -> list[object]:
        return []


@pytest.mark.parametrize("lang", ["en", "zh"])
async def test_client_prompt_carries_the_drawn_stance_and_only_offered_secrets(lang):
    hidden = [{"content": "SECRET-ACCIDENT", "disclose_when": "asked gently"}]
    p = profile(5, ["deny", "blame"], hidden=hidden, language=lang)
    reply = json.dumps({"emotion": ["Anger"], "reply": "Not my fault."})
    turns = history(Strategy.QUESTION, 2)
    seen: Counter[Stance] = Counter()
    for seed in range(40):
        fake = ScriptedChatModel(script=[reply])
        agent = ClientAgent(_deps(fake), _NoMemory(), memory_k=0)  # type: ignore[arg-type]
        _, _, decision = await agent.reply(p, turns, [], 1, seed)
        text = "\n".join(str(m.content) for m in fake.calls[0].messages)
        seen[decision.stance] += 1
        marker = {
            "deny": ("deny:", "否认："),
            "blame": ("blame:", "怪别人："),
            "engage": ("engage:", "投入："),
        }[decision.stance.value]
        assert marker[lang == "zh"] in text
        assert ("SECRET-ACCIDENT" in text) == (decision.disclose is not None)
        assert "SECRET-ACCIDENT" not in str(fake.calls[0].messages[0].content)
    assert seen[Stance.DENY] + seen[Stance.BLAME] > seen[Stance.ENGAGE]


def _acting_client(messages, kwargs) -> str:  # type: ignore[no-untyped-def]
    """A fake client that does what its stance line tells it, so the transcript shows it."""
    text = str(messages[-1].content)
    line = next(ln for ln in text.splitlines() if ln.startswith("How you act this turn"))
    act = line.split("—", 1)[1].split(":", 1)[0].strip()
    return json.dumps({"emotion": ["Neutral"], "reply": f"({act}) my answer"})


async def test_resistant_and_open_clients_behave_differently_in_a_course(config, tmp_path):
    from counselsim.memory.embeddings import HashingEmbedding
    from counselsim.services.compose import build_simulation
    from tests.conftest import course_fakes

    runs = {}
    for resistance in (1, 5):
        p = profile(resistance, ["deny", "deflect"]) if resistance == 5 else profile(1)
        fakes = course_fakes([5, 5, 5], max_turns=5)
        # a counselor that only asks questions: rapport stays low, resistance shows
        asking = [s.replace(', "Reflection of Feelings"', "") for s in fakes.counselor.script]
        sim = build_simulation(
            config.model_copy(update={"max_turns": 5}),
            counselor_model=ScriptedChatModel(script=asking),
            client_model=FunctionChatModel(fn=_acting_client),
            critic_model=fakes.critic,
        )
        records = await sim.run_course(p, tmp_path / f"r{resistance}", embedder=HashingEmbedding())
        turns = [t for r in records for t in r.turns if isinstance(t, ClientTurn)]
        assert all(t.stance is not None and t.text.startswith("(") for t in turns)
        # the recorded stance is the behavior the client acted out
        assert all(t.stance and t.text.startswith(f"({t.stance.value})") for t in turns)
        runs[resistance] = Counter(t.stance for t in turns)
    assert runs[5][Stance.ENGAGE] <= 6 < runs[1][Stance.ENGAGE]  # at least half defended
    assert runs[1][Stance.ENGAGE] >= 5


def test_newest_unlocked_facts_are_offered_and_equals_share():
    hidden = [
        {"content": "early", "disclose_when": "asked", "min_session": 1},
        {"content": "late-a", "disclose_when": "asked", "min_session": 3},
        {"content": "late-b", "disclose_when": "asked", "min_session": 3},
    ]
    p = profile(1, hidden=hidden)
    warm = history(Strategy.REFLECTION, 3)
    offered = {d.disclose.content for s in SEEDS if (d := choose_stance(p, warm, 1, s)).disclose}
    assert offered == {"early"}
    offered = {d.disclose.content for s in SEEDS if (d := choose_stance(p, warm, 3, s)).disclose}
    assert offered == {"late-a", "late-b"}


def test_rapport_builds_over_turns_not_from_one_reflection():
    assert rapport(history(Strategy.REFLECTION, 0), 1) == pytest.approx(1 / 6)
    assert rapport(history(Strategy.REFLECTION, 2), 1) == pytest.approx(3 / 6)
    p = profile(5, ["deny"], hidden=[{"content": "x", "disclose_when": "asked"}])
    assert not any(choose_stance(p, history(Strategy.REFLECTION, 0), 1, s).disclose for s in SEEDS)
