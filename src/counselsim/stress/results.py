"""``OUT/report.json``: what a stress test found, as pydantic records.

Rates of sessions and turns carry Wilson 95 % intervals; means carry bootstrap 95 % percentile
intervals over sessions (the unit), never over turns; win rates resample the sessions two
counselors were compared on (:mod:`counselsim.stats`).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from counselsim.runs.results import Summary
from counselsim.stats import Estimate, Strength, WinRate


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Example(_Model):
    """One failing turn, quoted, with where it was said."""

    course_id: str
    session_index: int
    turn_index: int
    persona: str
    text: str = Field(description="the turn, cut at 300 characters")
    span: str = Field(description="what fired in it")
    cue: str | None = Field(default=None, description="missed_crisis: the client's risk cue")


class FailureStat(_Model):
    """One failure mode of one counselor (or one counselor on one persona).

    ``count`` is the number of turns it fired on; ``rate`` is the share of sessions with at
    least one (``sessions_with`` of ``sessions``) with its Wilson interval ``ci_low``..
    ``ci_high``; ``turn_rate`` is ``count`` over the turns it is counted over (the counselor's,
    or the client's for disengagement), with its Wilson interval (turns of one session are
    not independent: read it as descriptive).
    """

    count: int = Field(ge=0)
    sessions_with: int = Field(ge=0)
    sessions: int = Field(ge=0)
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    turns: int = Field(ge=0)
    turn_rate: float | None
    turn_ci_low: float | None
    turn_ci_high: float | None
    examples: list[Example] = Field(default_factory=list, description="the worst turns first")


class ItemScore(_Model):
    """One rubric item: the mean over sessions of the per-session mean over repeats, with a
    bootstrap CI; ``judge_sd`` is the judge's mean spread between repeats.

    The scores are bounded by evidence (a missed crisis cue holds ``safety`` at its minimum,
    whatever the judge said; :mod:`counselsim.critic.bounds`): ``judge_mean`` is the same mean
    of the judge's own scores (its ``judge_scores``, before the bounds), and ``bounded`` the
    sessions in which a bound fired on the item.
    """

    item: str
    min: float
    max: float
    mean: float
    ci_low: float
    ci_high: float
    n: int = Field(ge=1)
    judge_sd: float
    judge_mean: float = Field(description="the judge's own mean, before the evidence bounds")
    bounded: int = Field(ge=0, description="sessions with an evidence bound on this item")


class RubricResult(_Model):
    """Rubric scores of one counselor's sessions. ``overall`` is the mean over sessions of the
    session's item means each put on 0..1 (``(score - min) / (max - min)``)."""

    rubric: str
    scored: int = Field(ge=0, description="sessions with scores")
    failed: int = Field(ge=0, description="sessions the judge could not score")
    overall: Estimate | None = None
    items: list[ItemScore] = Field(default_factory=list)


class PersonaResult(_Model):
    """One counselor on one persona."""

    persona: str
    crisis: bool
    sessions: int
    severe: Estimate | None = Field(description="share of sessions with a severe failure")
    failures: dict[str, FailureStat]
    rubric: RubricResult


class CounselorResult(_Model):
    """One counselor: its place, what it did, how it failed and how it scored."""

    name: str
    rank: int = Field(ge=1)
    kind: str = Field(description="endpoint (a model under test) or reference (counselsim)")
    model: str
    courses_done: int = Field(ge=0)
    courses_failed: int = Field(ge=0)
    failure_causes: dict[str, int] = Field(default_factory=dict, description="cause -> courses")
    stopped: str | None = Field(default=None, description="why its courses stopped early")
    sessions: int = Field(ge=0)
    turns: int = Field(ge=0)
    severe: Estimate | None = Field(description="share of sessions with a severe failure")
    failures: dict[str, FailureStat]
    rubric: RubricResult
    personas: list[PersonaResult]


class PairResult(_Model):
    """Two counselors compared by the pairwise judge on the same sessions, the order shown
    swapped between repeats: ``win`` is ``a``'s win rate (ties half; each judgement's winner
    is the side that won more rubric items), with the position figures of the judge and the
    paired difference of the two rubric ``overall`` scores on the same sessions."""

    a: str
    b: str
    compared: int = Field(ge=0, description="sessions compared")
    failed: int = Field(ge=0, description="comparisons the judge could not make")
    win: WinRate | None = None
    position_consistency: float | None = None
    first_position_rate: float | None = None
    rubric_difference: Estimate | None = Field(
        default=None, description="a's overall minus b's, paired bootstrap over sessions"
    )


class ModeInfo(_Model):
    """A failure mode as defined for this report."""

    name: str
    description: str
    severe: bool
    failure: bool = Field(description="False: recorded only (truncated)")
    detectors: list[str]
    flags: list[str]
    over: str = Field(description="whose turns the per-turn rate is counted over")


class JudgeInfo(_Model):
    """The judge and how far it can be trusted: its spread between repeats (item order
    reshuffled per repeat), its position figures in pairwise comparisons, and its validation
    against known groups or human labels (``counselsim judge validate``), when one exists."""

    model: str
    rubric: str
    repeats: int = Field(ge=1)
    methods: dict[str, int] = Field(
        default_factory=dict,
        description="judgements per scoring method: geval where the engine gives "
        "log-probabilities, else sampled",
    )
    item_sd: dict[str, float] = Field(description="mean SD between repeats per item")
    position_consistency: float | None = None
    first_position_rate: float | None = None
    validated: bool = False
    validation: str = Field(description="one line: the validation's result, or that none exists")


class StressReport(Summary):
    """``OUT/report.json``; ``counselors`` is the ranking, best first: fewest sessions with
    a severe failure first, then the highest rubric ``overall``."""

    personas: list[str]
    courses_per_persona: int = Field(ge=1)
    sessions: int = Field(ge=1, description="sessions per course")
    max_turns: int = Field(ge=1)
    seed: int
    simulation_model: str
    modes: list[ModeInfo]
    counselors: list[CounselorResult]
    pairwise: list[PairResult] = Field(default_factory=list)
    bradley_terry: list[Strength] = Field(
        default_factory=list, description="with three counselors or more"
    )
    judge: JudgeInfo
