"""Typed results of the commands that summarise a run: what ``generate`` and ``score`` return
and write (``summary.json``, ``scores/<rubric>.summary.json``). Each carries the
``schema_version`` of the files it is written to."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from counselsim.critic.tally import RunEvidence, run_evidence
from counselsim.runs.manifest import SCHEMA_VERSION


class Summary(BaseModel):
    """Base of every summary: a schema version; fields read as attributes (and, for scripts
    written against the JSON files, by key: ``summary["done"]``)."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int = SCHEMA_VERSION

    def __getitem__(self, key: str) -> Any:
        if key not in type(self).model_fields:
            raise KeyError(key)
        return getattr(self, key)


class GenerateSummary(Summary):
    """One ``generate`` invocation: courses planned, skipped (done before), done now and
    failed (by cause), sessions and turns written now, their evidence rates, and throughput."""

    planned: int = 0
    already_done: int = 0
    done: int = 0
    failed: int = 0
    failures: dict[str, int] = Field(default_factory=dict, description="error type -> courses")
    sessions: int = 0
    turns: int = 0
    seconds: float = 0.0
    completion_tokens: int = 0
    tokens_per_s: float = 0.0
    courses_per_hour: float = 0.0
    evidence: RunEvidence = Field(
        default_factory=lambda: run_evidence(()),
        description="what the detectors found in the sessions written now",
    )
    repairs: list[str] = Field(default_factory=list, description="what was reconciled on open")
    shards: int | None = Field(default=None, description="ray: shards of the run")
    shard_errors: list[str] = Field(default_factory=list, description="ray: shard tasks lost")
    sessions_in_run: int | None = Field(default=None, description="ray: after consolidation")
    courses_in_run: int | None = Field(default=None, description="ray: after consolidation")


class ValueStats(BaseModel):
    """One item, group, count or ratio over the units: the mean, the spread between units and
    the judge's own mean spread between repeats, over ``n`` units."""

    model_config = ConfigDict(extra="forbid")

    mean: float
    sd_between_units: float
    judge_sd: float
    n: int


class ScoreSummary(Summary):
    """``score`` on one rubric: units scored, partial and failed; per value its statistics;
    the units' evidence rates; agreement with human labels when given."""

    rubric: str
    units: int
    scored: int
    partial: int
    failed: int
    repeats: int
    evidence: RunEvidence
    items: dict[str, ValueStats] = Field(default_factory=dict)
    groups: dict[str, ValueStats] = Field(default_factory=dict)
    counts: dict[str, ValueStats] = Field(default_factory=dict)
    ratios: dict[str, ValueStats] = Field(default_factory=dict)
    agreement: dict[str, Any] | None = None


class ItemWins(BaseModel):
    """One item of a pairwise comparison: A's wins, B's wins, ties, and A's win rate (a tie
    counts half; None without any judgement)."""

    model_config = ConfigDict(extra="forbid")

    a: int
    b: int
    tie: int
    a_win_rate: float | None


class ComparisonSummary(Summary):
    """``score --against``: per item the wins; position consistency and first-position rate
    (0.5 = no position bias) over the pairs."""

    rubric: str
    pairs: int
    failed: int
    items: dict[str, ItemWins]
    position_consistency: float | None
    first_position_rate: float | None
