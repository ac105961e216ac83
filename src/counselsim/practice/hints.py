"""Hints during a session and the checks in its debrief, behind one small interface.

:class:`HintSource` is what the practice service asks. :class:`PatternHints` is the interim
source: the in-loop critic's crisis-cue and safety-question patterns
(:mod:`counselsim.critic.checklist`) and the trainee-turn coding of
:mod:`counselsim.practice.coding`. The evidence layer (deterministic detectors for risk cues,
direct risk questions, question forms, premature advice) replaces it behind the same
interface; no second detector library is grown here.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from counselsim.critic.rules import CRISIS_CUE, SAFETY_ASKED
from counselsim.errors import ConfigError, field_error
from counselsim.labels import Strategy
from counselsim.practice.coding import TurnCode, code_turn
from counselsim.practice.models import EvidenceSummary, Hint, RiskAlert
from counselsim.records import ClientTurn, CounselorTurn, Turn

EXPLORED_BEFORE_ADVICE = 2  # open questions or reflections before advice is not premature
RISK_QUESTION_WITHIN = 2  # a risk cue is missed without a risk question in this many turns
EXPLORING = frozenset({Strategy.REFLECTION, Strategy.RESTATEMENT})


class CrisisText(BaseModel):
    """The crisis protocol shown with a risk alert, for one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str
    protocol: list[str] = Field(min_length=1)
    resources: list[str] = Field(min_length=1)


class Messages(BaseModel):
    """What the trainee reads, for one language (``practice/messages.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    strategy_names: dict[str, str]
    strategy: str
    open_question: str
    closed_question: str
    advice: str
    judge_embedded: str
    judge_other: str
    crisis: CrisisText


@cache
def _packaged() -> dict[str, Messages]:
    raw = (resources.files("counselsim.practice") / "messages.yaml").read_text(encoding="utf-8")
    return {lang: Messages.model_validate(m) for lang, m in yaml.safe_load(raw).items()}


def load_messages(crisis_file: Path | None = None) -> dict[str, Messages]:
    """The packaged messages, with the crisis section replaced from ``crisis_file`` (a YAML
    mapping ``language -> {text, protocol, resources}``) where it gives a language.

    Raises:
        ConfigError: the crisis file is unreadable or invalid.
    """
    out = dict(_packaged())
    if crisis_file is None:
        return out
    try:
        data = yaml.safe_load(crisis_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{crisis_file}: cannot read: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict) or not set(data) <= set(out):
        raise ConfigError(f"{crisis_file}: a mapping of languages ({', '.join(out)}) expected")
    for lang, section in data.items():
        try:
            crisis = CrisisText.model_validate(section)
        except ValidationError as exc:
            loc, msg = field_error(exc)
            raise ConfigError(f"{crisis_file}: {lang}: invalid field '{loc}': {msg}") from None
        out[lang] = out[lang].model_copy(update={"crisis": crisis})
    return out


class HintSource(Protocol):
    """Where hints, risk alerts and the debrief's checks come from."""

    def turn_hints(self, turns: Sequence[Turn], lang: str) -> list[Hint]:
        """Hints on the last trainee turn of ``turns``."""

    def risk_alert(self, turns: Sequence[Turn], lang: str) -> RiskAlert | None:
        """The latest client risk cue the trainee has not asked about, if any."""

    def checks(self, turns: Sequence[Turn], lang: str) -> EvidenceSummary:
        """The session's evidence summary (for the debrief)."""


def _explores(code: TurnCode) -> bool:
    return code.question == "open" or bool(EXPLORING.intersection(code.strategies))


class PatternHints:
    """The interim :class:`HintSource` (patterns; see the module docstring)."""

    source = "interim patterns: critic.checklist crisis cues, practice.coding"

    def __init__(self, messages: dict[str, Messages] | None = None) -> None:
        self.messages = messages or load_messages()

    def _codes(self, turns: Sequence[Turn], lang: str) -> list[tuple[CounselorTurn, TurnCode]]:
        return [(t, code_turn(t.text, lang)) for t in turns if isinstance(t, CounselorTurn)]

    def _premature(self, codes: list[tuple[CounselorTurn, TurnCode]]) -> list[int]:
        out, explored = [], 0
        for turn, code in codes:
            if code.advice and explored < EXPLORED_BEFORE_ADVICE:
                out.append(turn.index)
            explored += _explores(code)
        return out

    def turn_hints(self, turns: Sequence[Turn], lang: str) -> list[Hint]:
        """Strategy, question form and premature advice of the last trainee turn."""
        codes = self._codes(turns, lang)
        if not codes:
            return []
        m = self.messages[lang]
        last, code = codes[-1]
        names = ", ".join(m.strategy_names.get(s.value, s.value) for s in code.strategies)
        hints = [Hint(kind="strategy", text=m.strategy.format(strategies=names))]
        if code.question is not None:
            text = m.open_question if code.question == "open" else m.closed_question
            hints.append(Hint(kind="question", text=text))
        if last.index in self._premature(codes):
            hints.append(Hint(kind="advice", text=m.advice))
        return hints

    def _cues(self, turns: Sequence[Turn]) -> list[tuple[ClientTurn, bool]]:
        """Each client risk cue, and whether a trainee turn after it asked about risk."""
        out = []
        for i, t in enumerate(turns):
            if isinstance(t, ClientTurn) and CRISIS_CUE.search(t.text):
                later = [u for u in turns[i + 1 :] if isinstance(u, CounselorTurn)]
                out.append((t, any(SAFETY_ASKED.search(u.text) for u in later)))
        return out

    def risk_alert(self, turns: Sequence[Turn], lang: str) -> RiskAlert | None:
        """The latest unaddressed risk cue, with the crisis protocol of ``lang``."""
        open_cues = [t for t, asked in self._cues(turns) if not asked]
        if not open_cues:
            return None
        crisis = self.messages[lang].crisis
        cue = open_cues[-1]
        return RiskAlert(
            client_turn=cue.index,
            quote=cue.text,
            text=crisis.text,
            protocol=list(crisis.protocol),
            resources=list(crisis.resources),
        )

    def checks(self, turns: Sequence[Turn], lang: str) -> EvidenceSummary:
        """Risk cues and questions, missed crises, question forms, premature advice."""
        codes = self._codes(turns, lang)
        asked = [t.index for t, _ in codes if SAFETY_ASKED.search(t.text)]
        cues = [t.index for t, _ in self._cues(turns)]
        missed = 0
        for cue in cues:
            following = [t.index for t, _ in codes if t.index > cue][:RISK_QUESTION_WITHIN]
            missed += not any(i in asked for i in following)
        return EvidenceSummary(
            source=self.source,
            risk_cues=cues,
            risk_questions=asked,
            missed_crisis=missed,
            open_questions=sum(c.question == "open" for _, c in codes),
            closed_questions=sum(c.question == "closed" for _, c in codes),
            advice_before_exploration=self._premature(codes),
        )
