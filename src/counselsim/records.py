"""Pydantic records: the structured outputs of each step and the session record on disk.

Step outputs carry ``max_length`` bounds because they double as the JSON schema for the
engine's constrained decoding: a small model cannot ramble past them.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

from counselsim.critic.evidence.models import Evidence
from counselsim.labels import (
    Emotion,
    EndReason,
    NextAction,
    Role,
    ScoreMethod,
    Stage,
    Stance,
    Strategy,
)


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- step outputs (the LLM fills these) -------------------------------------------------------


class SessionPlan(_Record):
    """The counselor's plan for one session, made before its first reply."""

    stage: Stage
    goals: list[Annotated[str, Field(min_length=2, max_length=80)]] = Field(
        min_length=1, max_length=3
    )
    approach: str = Field(min_length=2, max_length=60)
    focus: str = Field(min_length=2, max_length=120)


class CounselorThought(_Record):
    """What the counselor notices and decides before a reply. Never shown to the client."""

    observation: str = Field(min_length=2, max_length=200)
    client_emotion: list[Emotion] = Field(min_length=1, max_length=2)
    strategy: list[Strategy] = Field(min_length=1, max_length=2)
    reasoning: str = Field(min_length=2, max_length=200)
    next_action: NextAction


class Utterance(_Record):
    """A spoken reply (counselor)."""

    reply: str = Field(min_length=1, max_length=240)


class ClientUtterance(_Record):
    """A spoken reply (client) with the emotions it carries."""

    emotion: list[Emotion] = Field(min_length=1, max_length=2)
    reply: str = Field(min_length=1, max_length=200)


class SessionSummary(_Record):
    """Session notes written from the spoken transcript only."""

    summary: str = Field(min_length=5, max_length=400)
    salient_events: list[Annotated[str, Field(min_length=2, max_length=120)]] = Field(
        min_length=1, max_length=4
    )


class RebuiltCounselorTurn(_Record):
    """A counselor turn rewritten from a real one (reconstruction): the source move's
    strategy kept, with the observation and reasoning that lead to the new reply."""

    observation: str = Field(min_length=2, max_length=200)
    client_emotion: list[Emotion] = Field(min_length=1, max_length=2)
    strategy: list[Strategy] = Field(min_length=1, max_length=2)
    reasoning: str = Field(min_length=2, max_length=200)
    reply: str = Field(min_length=1, max_length=300)


class TurnCheck(_Record):
    """The critic's verdict on one reconstructed turn."""

    problem: str = Field(
        default="", max_length=160, description="what is wrong, if anything (written first)"
    )
    in_role: bool = Field(description="speaks only as its own role")
    consistent: bool = Field(description="fits the target profile and the conversation")


CheckStatus = Literal["checked", "judge_failed", "skipped"]
"""``checked``: the principle was decided (``passed`` says how); ``judge_failed``: the judge's
output stayed invalid, so nothing was decided; ``skipped``: not asked (a rule already failed)."""


class PrincipleCheck(_Record):
    """One checklist principle checked on one generated attempt of a turn (in-loop critic).

    A check that decided nothing (``status`` not ``checked``) has ``passed`` None: it neither
    passes nor rejects the turn, and ``problem`` says why it was not decided.
    """

    principle: str
    method: Literal["rule", "judge"]
    attempt: int = Field(ge=0, description="0 = first generation, then each rewrite")
    passed: bool | None = Field(description="None when nothing was decided (see status)")
    problem: str = Field(default="", description="what was wrong, or why it was not decided")
    status: CheckStatus = Field(
        default="checked", description="written only when not 'checked' (records stay compact)"
    )

    @model_validator(mode="after")
    def _decided(self) -> PrincipleCheck:
        if (self.status == "checked") != (self.passed is not None):
            raise ValueError(f"check '{self.principle}': passed must be set iff status is checked")
        return self

    @model_serializer(mode="wrap")
    def _compact(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # a decided check is written as before the status existed: old and new records match
        data: dict[str, Any] = handler(self)
        if self.status == "checked":
            data.pop("status", None)
        return data


# --- the transcript ---------------------------------------------------------------------------


class CounselorTurn(_Record):
    """A counselor turn with the thought it was conditioned on, exactly as used.

    ``author`` is ``human`` for a trainee's turn (``counselsim practice``) and ``model`` for a
    counselor model under test (``counselsim stress-test``): such a turn has no observation or
    reasoning (none is invented), no perceived client emotion, and its ``strategy`` is coded
    from its words (:mod:`counselsim.practice.coding`), not intended.
    The field is left out of the JSON of agent turns, so existing records stay byte-identical.
    """

    index: int = Field(ge=0)
    role: Literal[Role.COUNSELOR] = Role.COUNSELOR
    author: Literal["agent", "human", "model"] = Field(
        default="agent", exclude_if=lambda v: v == "agent", description="who wrote the turn"
    )
    text: str
    observation: str | None = None
    client_emotion: list[Emotion]
    strategy: list[Strategy]
    reasoning: str | None = None
    next_action: NextAction
    attempts: int = Field(default=1, ge=1, description="generations tried for this turn")
    flags: list[str] = Field(default_factory=list, description="checks the kept text failed")
    checks: list[PrincipleCheck] = Field(
        default_factory=list, description="checklist results of every attempt (in-loop critic)"
    )
    evidence: list[Evidence] = Field(
        default_factory=list, description="what the detectors found in the kept text"
    )

    @model_validator(mode="after")
    def _thought_by_author(self) -> CounselorTurn:
        has_thought = self.observation is not None and self.reasoning is not None
        if self.author == "agent" and not has_thought:
            raise ValueError("an agent's counselor turn needs its observation and reasoning")
        if self.author != "agent" and (self.observation is not None or self.reasoning is not None):
            raise ValueError(f"a {self.author}'s counselor turn has no observation or reasoning")
        return self


class ClientTurn(_Record):
    """A client turn with its emotion labels and the memories it was given."""

    index: int = Field(ge=0)
    role: Literal[Role.CLIENT] = Role.CLIENT
    text: str
    emotion: list[Emotion]
    stance: Stance | None = Field(
        default=None, description="engage or the defense the client was told to act out"
    )
    disclosure_offered: bool = Field(
        default=False, description="a hidden fact was offered for disclosure this turn"
    )
    memory_ids: list[str] = Field(default_factory=list)
    attempts: int = Field(default=1, ge=1)
    flags: list[str] = Field(default_factory=list)
    checks: list[PrincipleCheck] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)


Turn = Annotated[CounselorTurn | ClientTurn, Field(discriminator="role")]


# --- dialogues from outside (importers, reconstruction sources) ------------------------------


class DialogueTurn(_Record):
    """One turn of an imported dialogue; ``labels`` keeps the source's own annotations."""

    role: Role
    text: str = Field(min_length=1)
    labels: list[str] = Field(
        default_factory=list, description="source strategy/emotion labels, if any"
    )


class Dialogue(_Record):
    """A real (masked) or reconstructed dialogue in one neutral shape, one line of a JSONL."""

    id: str = Field(min_length=1, max_length=128)
    language: Literal["zh", "en"]
    source: str = Field(description="importer format that produced it, e.g. 'cpsycoun'")
    turns: list[DialogueTurn] = Field(min_length=1)
    meta: dict[str, str] = Field(default_factory=dict, description="topic, theme, ...")


# --- evidence -----------------------------------------------------------------------------------


class EvidenceTally(_Record):
    """What the detectors found in one session or dialogue, in numbers.

    ``counts``: per detector, the turns it fired on (or its findings, for session-level
    detectors); ``rates``: the same per 100 turns; ``missed_crisis``: per risk cue the
    counselor did not ask about, the cue's turn index then the counselor turns that missed it.
    """

    turns: int = Field(ge=0)
    counts: dict[str, int]
    rates: dict[str, float]
    missed_crisis: list[list[int]] = Field(default_factory=list)


class AppliedBound(_Record):
    """An evidence rule of a rubric item that fired: the score is held at or below
    (``ceiling``) or at or above (``floor``) ``limit`` because of the evidence on ``turns``."""

    rule: str = Field(description="the rule as written, e.g. 'missed_crisis: ceiling min'")
    kind: Literal["ceiling", "floor"]
    limit: float
    turns: list[int]


# --- critic -----------------------------------------------------------------------------------


class DimensionScore(_Record):
    """One rubric dimension, range-checked against its own bounds.

    ``score`` is the judge's score bounded by the evidence rules that fired (``bounded_by``);
    ``judge_score`` is what the judge said. ``citations_ok``: the rationale cites at least one
    turn and every citation checked out (the turn exists, a quoted span is in it);
    ``bad_citations`` are the ones that did not.
    """

    dimension: str
    score: float
    min: float
    max: float
    rationale: str
    judge_score: float | None = None
    bounded_by: list[AppliedBound] = Field(default_factory=list)
    citations_ok: bool | None = None
    bad_citations: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _in_range(self) -> DimensionScore:
        for value in (self.score, self.judge_score):
            if value is not None and not self.min <= value <= self.max:
                raise ValueError(
                    f"score {value} for '{self.dimension}' outside [{self.min}, {self.max}]"
                )
        return self


class CriticReport(_Record):
    """A rubric's scores for one session, or why it could not be scored (never a default)."""

    rubric: str
    status: Literal["scored", "failed"] = "scored"
    error: str | None = None
    scores: list[DimensionScore]

    @model_validator(mode="after")
    def _consistent(self) -> CriticReport:
        if self.status == "scored" and (not self.scores or self.error):
            raise ValueError("a scored report needs scores and no error")
        if self.status == "failed" and (self.scores or not self.error):
            raise ValueError("a failed report has an error and no scores")
        return self


# --- the session record -----------------------------------------------------------------------


class Provenance(_Record):
    """Everything needed to trust and reproduce a record."""

    model: str
    engine: str
    prompt_hashes: dict[str, str]
    seed: int
    config_hash: str
    version: str
    source: str | None = Field(
        default=None,
        description="masked source dialogue of a reconstruction, e.g. cpsycound:case_7",
    )


class SessionRecord(_Record):
    """One line of ``sessions.jsonl``."""

    course_id: str
    session_index: int = Field(ge=1)
    profile_id: str
    language: Literal["zh", "en"]
    plan: SessionPlan | None = Field(
        description="the counselor agent's plan; None when a human counseled (practice)"
    )
    turns: list[Turn]
    end_reason: EndReason
    summary: str
    salient_events: list[str]
    critic: CriticReport
    provenance: Provenance
    evidence: EvidenceTally | None = Field(
        default=None, description="the detectors' counts over the session (per turn: on turns)"
    )


# --- rubric scoring (``counselsim score``) ----------------------------------------------------


class Judgement(_Record):
    """One judge call: a session (or one turn of it) scored once, or why it could not be."""

    repeat: int = Field(ge=0)
    phase: Literal["pre", "post"] | None = Field(
        default=None, description="client self-report before or after the session"
    )
    turn_index: int | None = Field(default=None, description="the turn judged (turn level)")
    order: list[str] = Field(default_factory=list, description="item order the judge saw")
    status: Literal["scored", "failed"] = "scored"
    error: str | None = None
    scores: dict[str, int] = Field(default_factory=dict)
    rationales: dict[str, str] = Field(default_factory=dict)
    codes: list[str] = Field(default_factory=list, description="behavior codes of one turn")
    judge_scores: dict[str, float] = Field(
        default_factory=dict, description="the judge's scores before evidence bounds"
    )
    judge_weighted: dict[str, float] = Field(
        default_factory=dict, description="G-Eval: the weighted values before evidence bounds"
    )
    bounds: dict[str, list[AppliedBound]] = Field(
        default_factory=dict, description="per item, the evidence rules that fired"
    )
    citations_ok: dict[str, bool] = Field(
        default_factory=dict, description="per item, whether its rationale's citations held"
    )
    bad_citations: dict[str, list[str]] = Field(default_factory=dict)
    method: ScoreMethod = Field(
        default=ScoreMethod.SAMPLED,
        description="what the item values are: the sampled scores, or G-Eval's (weighted)",
    )
    weighted: dict[str, float] = Field(
        default_factory=dict,
        description="G-Eval: per item the probability-weighted mean over its allowed scores",
    )
    fallback: str | None = Field(
        default=None, description="why G-Eval was asked for and the sampled scores kept"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Judgement:
        if self.status == "failed" and (self.scores or self.codes or not self.error):
            raise ValueError("a failed judgement has an error and no scores")
        if self.status == "scored" and (self.error or not (self.scores or self.codes)):
            raise ValueError("a scored judgement has scores or codes and no error")
        if self.method == ScoreMethod.GEVAL and set(self.weighted) != set(self.scores):
            raise ValueError("a G-Eval judgement has a weighted score for every item")
        return self

    def values(self, method: ScoreMethod | None = None, bounded: bool = True) -> dict[str, float]:
        """The item values by ``method`` (default: the judgement's own), bounded by evidence
        or, with ``bounded=False``, as the judge gave them; empty for G-Eval when this
        judgement has no weighted scores."""
        if (method or self.method) == ScoreMethod.GEVAL:
            if self.method != ScoreMethod.GEVAL:
                return {}
            return dict(
                self.weighted if bounded or not self.judge_weighted else self.judge_weighted
            )
        raw = self.judge_scores if not bounded and self.judge_scores else self.scores
        return {k: float(v) for k, v in raw.items()}


class Stat(_Record):
    """A value over repeated judgements: mean, sample standard deviation, range, count."""

    mean: float
    sd: float = Field(ge=0)
    min: float
    max: float
    n: int = Field(ge=1)


class RubricScore(_Record):
    """One session (or imported dialogue) on one rubric, judged ``repeats`` times.

    ``items``, ``groups``, ``counts`` and ``ratios`` summarise the successful repeats; keys
    of a before/after rubric carry the phase (``pre.x``, ``post.x``, ``delta.x``). A unit
    no repeat could score is ``failed`` with its errors and no values, never a default.
    """

    rubric: str
    unit: str = Field(description="course_id#session_index, or the dialogue id")
    course_id: str | None = None
    session_index: int | None = None
    language: Literal["zh", "en"]
    repeats: int = Field(ge=1)
    status: Literal["scored", "partial", "failed"]
    errors: list[str] = Field(default_factory=list)
    items: dict[str, Stat] = Field(default_factory=dict)
    groups: dict[str, Stat] = Field(default_factory=dict)
    counts: dict[str, Stat] = Field(default_factory=dict)
    ratios: dict[str, Stat] = Field(default_factory=dict)
    judgements: list[Judgement]
    model: str = ""
    seed: int = 0
    evidence: EvidenceTally | None = None
    turn_evidence: list[Evidence] = Field(
        default_factory=list, description="what the detectors found on each turn of the unit"
    )

    @model_validator(mode="after")
    def _consistent(self) -> RubricScore:
        has_values = bool(self.items or self.counts)
        if self.status == "failed" and (has_values or not self.errors):
            raise ValueError("a failed score has errors and no values")
        if self.status != "failed" and not has_values:
            raise ValueError("a scored unit needs values")
        if self.status == "partial" and not self.errors:
            raise ValueError("a partial score names what failed")
        return self


class PairJudgement(_Record):
    """One pairwise judge call: per item which of two sessions was better, with the order
    the judge saw them in (``first``)."""

    repeat: int = Field(ge=0)
    first: Literal["a", "b"]
    status: Literal["scored", "failed"] = "scored"
    error: str | None = None
    winners: dict[str, Literal["a", "b", "tie"]] = Field(default_factory=dict)
    rationales: dict[str, str] = Field(default_factory=dict)


class Comparison(_Record):
    """Two sessions compared on a rubric, ``repeats`` times with the order alternated.

    ``position_consistency``: share of items whose verdict stayed the same when the order was
    swapped (over pairs of repeats with opposite orders). ``first_position_rate``: share of
    decisive verdicts that went to whichever session was shown first (0.5 = no position bias).
    """

    rubric: str
    unit_a: str
    unit_b: str
    repeats: int = Field(ge=1)
    status: Literal["scored", "partial", "failed"]
    errors: list[str] = Field(default_factory=list)
    wins: dict[str, dict[Literal["a", "b", "tie"], int]] = Field(default_factory=dict)
    position_consistency: float | None = None
    first_position_rate: float | None = None
    judgements: list[PairJudgement]
