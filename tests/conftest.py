"""Shared fixtures: profiles, configs and scripted fake models (no network, no real model)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from counselsim.config import RunConfig
from counselsim.labels import Emotion, NextAction, Strategy
from counselsim.llm.fake import ScriptedChatModel
from counselsim.personas.models import ClientProfile
from counselsim.records import CounselorTurn

ROOT = Path(__file__).resolve().parents[1]
PROFILES = ROOT / "examples" / "profiles"

# Words that appear only in the counselor's hidden thoughts and plans, never in speech.
SECRET = "SECRET-REASONING"


def counselor_turn(
    index: int,
    text: str,
    *,
    strategy: tuple[Strategy, ...] = (Strategy.QUESTION,),
    action: NextAction = NextAction.CONTINUE,
    emotion: tuple[Emotion, ...] = (Emotion.ANXIETY,),
    observation: str = "o",
    reasoning: str = "r",
) -> CounselorTurn:
    """A counselor turn for hand-built transcripts (only what a test varies is named)."""
    return CounselorTurn(
        index=index,
        text=text,
        observation=observation,
        client_emotion=list(emotion),
        strategy=list(strategy),
        reasoning=reasoning,
        next_action=action,
    )


def thought(i: int, close: bool = False) -> str:
    return json.dumps(
        {
            "observation": f"observation {i} {SECRET}",
            "client_emotion": ["Anxiety"],
            "strategy": ["Question", "Reflection of Feelings"],
            "reasoning": f"reasoning {i} {SECRET}",
            "next_action": "close" if close else "continue",
        }
    )


def plan(session: int) -> str:
    return json.dumps(
        {
            "stage": "intake" if session == 1 else "exploration",
            "goals": [f"goal for session {session} {SECRET}"],
            "approach": "client-centered",
            "focus": f"focus {session} {SECRET}",
        }
    )


def summary(session: int) -> str:
    return json.dumps(
        {
            "summary": f"Session {session}: the client talked about exam worry number {session}.",
            "salient_events": [f"event {session}: the client agreed to keep a sleep diary"],
        }
    )


def critic() -> str:
    dims = {"empathy": 4, "exploration": 3, "strategy_fit": 4, "client_realism": 3, "safety": 2}
    return json.dumps({k: {"rationale": f"{k} because", "score": v} for k, v in dims.items()})


@dataclass
class CourseFakes:
    """Per-role scripted models for a whole course."""

    counselor: ScriptedChatModel
    client: ScriptedChatModel
    critic: ScriptedChatModel


def course_fakes(exchanges: list[int], max_turns: int = 3) -> CourseFakes:
    """Scripts for a course whose session ``s`` has ``exchanges[s]`` counselor turns.

    A session shorter than ``max_turns`` ends because the counselor chooses to close; one
    that reaches the cap keeps choosing 'continue' and the cap closes it.
    """
    counselor, client, crit = [], [], []
    for s, n in enumerate(exchanges, 1):
        counselor.append(plan(s))
        for i in range(n):
            last = i == n - 1
            counselor.append(thought(i, close=last and n < max_turns))
            counselor.append(
                json.dumps({"reply": f"Counselor line {s}.{i}: how are you feeling about it?"})
            )
            if not last:
                client.append(
                    json.dumps(
                        {
                            "emotion": ["Anxiety"],
                            "reply": f"Client {s}.{i}: exams worry me; sleep is bad {i * 7}.",
                        }
                    )
                )
        crit += [summary(s), critic()]
    return CourseFakes(
        ScriptedChatModel(script=counselor),
        ScriptedChatModel(script=client),
        ScriptedChatModel(script=crit),
    )


@pytest.fixture
def zh_profile() -> ClientProfile:
    from counselsim.personas import load_profile

    return load_profile(PROFILES / "zh_exam_anxiety.yaml")


@pytest.fixture
def en_profile() -> ClientProfile:
    from counselsim.personas import load_profile

    return load_profile(PROFILES / "en_work_burnout.yaml")


@pytest.fixture
def config() -> RunConfig:
    return RunConfig(sessions=3, max_turns=3, min_turns=1, seed=7, max_regenerations=0)


def run_cli(monkeypatch, capfd, *argv: str, columns: int = 200) -> tuple[int, str, str]:
    """``counselsim ARGV`` in this process through ``cli.main`` (where errors become exit
    codes): returns (exit code, stdout, stderr). COUNSELSIM_* variables are cleared."""
    from counselsim import cli

    for key in [k for k in os.environ if k.startswith("COUNSELSIM_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setattr(sys, "argv", ["counselsim", *argv])
    try:
        cli.main()
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    captured = capfd.readouterr()
    return code, captured.out, captured.err
