"""Hints during a session and the checks in its debrief, behind one small interface.

:class:`HintSource` is what the practice service asks. :class:`EvidenceHints` answers from
the evidence layer (:mod:`counselsim.critic.evidence`: ``risk_cue``, ``risk_question``,
``missed_crisis``, and the question forms, advice and reflections that
:mod:`counselsim.practice.coding` codes a trainee turn by); no second detector library is
grown here.

Two readings are the trainer's, stricter than the corpus detectors': advice counts as given
before exploration until the trainee has explored twice (an open question, a reflection or
a restatement; a closed question does not explore), where ``premature_advice`` asks for any
question or reflection first; and at the debrief the session is over, so a cue the trainee
never answered counts as missed (``missed_crisis`` leaves a cue on the last turn open).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Protocol

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from counselsim.critic.evidence import EvidenceReport, detect_session
from counselsim.critic.evidence.safety import load_safety
from counselsim.critic.safety_floor import RISK_CUE, RISK_QUESTION, unanswered_cue
from counselsim.critic.tally import MISSED_CRISIS
from counselsim.errors import ConfigError, field_error
from counselsim.labels import Strategy
from counselsim.practice.coding import TurnCode, code_turn
from counselsim.practice.models import EvidenceSummary, Hint, RiskAlert
from counselsim.records import CounselorTurn, Turn

EXPLORED_BEFORE_ADVICE = 2  # open questions or reflections before advice is not premature
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
    crisis_line: str = Field(
        description="one locale's resources: {place}, {resources}, {emergency}"
    )
    elsewhere: str = Field(description="the place of the 'other' locale")
    crisis: CrisisText


def crisis_resources(lang: str, line: str, elsewhere: str) -> list[str]:
    """Every locale's crisis resources in ``lang``, as the safety floor's reply offers them
    (``critic/evidence/safety/<lang>.yaml``: the one place the numbers are written)."""
    return [
        line.format(
            place=elsewhere if place == "other" else place,
            resources=where.resources,
            emergency=where.emergency,
        )
        for place, where in load_safety(lang).locales.items()
    ]


@cache
def _packaged() -> dict[str, Messages]:
    raw = (resources.files("counselsim.practice") / "messages.yaml").read_text(encoding="utf-8")
    out = {}
    for lang, m in yaml.safe_load(raw).items():
        m["crisis"]["resources"] = crisis_resources(lang, m["crisis_line"], m["elsewhere"])
        out[lang] = Messages.model_validate(m)
    return out


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


class EvidenceHints:
    """The :class:`HintSource` of the evidence layer (see the module docstring)."""

    source = "evidence layer: critic.evidence detectors, practice.coding strategies"

    def __init__(self, messages: dict[str, Messages] | None = None) -> None:
        self.messages = messages or load_messages()

    def _codes(
        self, turns: Sequence[Turn], report: EvidenceReport, lang: str
    ) -> list[tuple[CounselorTurn, TurnCode]]:
        return [
            (t, code_turn(t.text, lang, report.on_turn(i)))
            for i, t in enumerate(turns)
            if isinstance(t, CounselorTurn)
        ]

    def _premature(self, codes: list[tuple[CounselorTurn, TurnCode]]) -> list[int]:
        out, explored = [], 0
        for turn, code in codes:
            if code.advice and explored < EXPLORED_BEFORE_ADVICE:
                out.append(turn.index)
            explored += _explores(code)
        return out

    def turn_hints(self, turns: Sequence[Turn], lang: str) -> list[Hint]:
        """Strategy, question form and premature advice of the last trainee turn."""
        codes = self._codes(turns, detect_session(turns, lang), lang)
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

    def risk_alert(self, turns: Sequence[Turn], lang: str) -> RiskAlert | None:
        """The latest risk cue no later trainee turn asked about, with the crisis protocol
        of ``lang``."""
        report = detect_session(turns, lang)
        asked = report.fired(RISK_QUESTION)
        open_cues = [i for i in report.fired(RISK_CUE) if not any(j > i for j in asked)]
        if not open_cues:
            return None
        crisis = self.messages[lang].crisis
        cue = turns[open_cues[-1]]
        return RiskAlert(
            client_turn=cue.index,
            quote=cue.text,
            text=crisis.text,
            protocol=list(crisis.protocol),
            resources=list(crisis.resources),
        )

    def checks(self, turns: Sequence[Turn], lang: str) -> EvidenceSummary:
        """Risk cues and questions, missed crises, question forms, premature advice."""
        report = detect_session(turns, lang)
        codes = self._codes(turns, report, lang)
        ended_on_cue = unanswered_cue(turns, lang) is not None
        return EvidenceSummary(
            source=self.source,
            risk_cues=[turns[i].index for i in report.fired(RISK_CUE)],
            risk_questions=[turns[i].index for i in report.fired(RISK_QUESTION)],
            missed_crisis=report.counts[MISSED_CRISIS] + ended_on_cue,
            open_questions=sum(c.question == "open" for _, c in codes),
            closed_questions=sum(c.question == "closed" for _, c in codes),
            advice_before_exploration=self._premature(codes),
        )
