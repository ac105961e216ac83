"""``validation.json``: what ``counselsim judge validate`` found, as pydantic records.

Every interval is a bootstrap percentile interval (95 %) over *pairs* (known groups) or
*units* (agreement), never over items of one unit; see :mod:`.measures` for the definitions.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from counselsim.labels import ScoreMethod
from counselsim.stats import Estimate

SCHEMA_VERSION: Literal[1] = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KnownGroupsItem(_Model):
    """One rubric item on the known-groups pairs."""

    item: str
    n: int = Field(ge=1, description="pairs with both replies scored on this item")
    accuracy: Estimate = Field(description="share of pairs with good above bad; a tie is half")
    gap: Estimate = Field(description="mean of good minus bad")
    good_mean: float
    bad_mean: float


class KnownGroups(_Model):
    """Known-groups figures by one scoring method."""

    method: ScoreMethod
    bounded: bool = Field(
        default=False, description="scores after the evidence bounds (else as the judge gave)"
    )
    pairs: int = Field(ge=0, description="pairs scored on at least one item")
    excluded: int = Field(ge=0, description="pairs left out: a side failed, or (G-Eval) fell back")
    items: list[KnownGroupsItem]
    by_kind: dict[str, Estimate] = Field(
        description="per failure kind: accuracy pooled over items (per pair, the mean)"
    )


class AgreementItem(_Model):
    """Judge-human agreement on one item (or ``all`` items pooled)."""

    item: str
    n: int = Field(ge=0, description="units scored by both")
    unpaired_judge: int = Field(ge=0)
    unpaired_human: int = Field(ge=0)
    spearman: Estimate | None = None
    kendall: Estimate | None = Field(default=None, description="Kendall's tau-b")
    kappa_linear: float | None = None
    kappa_quadratic: float | None = None
    mean_abs_diff: float | None = None


class Agreement(_Model):
    """Agreement with human labels by one scoring method."""

    method: ScoreMethod
    items: list[AgreementItem]


class StabilityItem(_Model):
    """How one item's score moves between repeats, whose item order is reshuffled."""

    item: str
    units: int = Field(ge=0, description="units with at least two repeats of this item")
    repeat_sd: float | None = Field(description="mean over units of the SD across repeats")
    same_share: float | None = Field(
        description="share of units whose repeats all gave the same score (sampled only)"
    )
    order_slope: float | None = Field(
        description="change in score from first to last place in the item list, the unit "
        "held fixed (least squares); 0 = no order effect"
    )


class Stability(_Model):
    """Stability over repeats and item order by one scoring method."""

    method: ScoreMethod
    repeats: int = Field(ge=2)
    items: list[StabilityItem]


class MethodUse(_Model):
    """Which method the judgements used, and why G-Eval fell back where it did."""

    requested: ScoreMethod
    geval: int = Field(ge=0, description="judgements scored by G-Eval")
    sampled: int = Field(ge=0, description="judgements scored by the sampled value")
    failed: int = Field(ge=0, description="judgements with no valid answer")
    fallbacks: dict[str, int] = Field(default_factory=dict, description="cause -> judgements")


class SetInfo(_Model):
    """The known-groups set that was judged."""

    source: str = Field(description="'shipped' or the file given")
    rows: int = Field(ge=1)
    pairs: int = Field(ge=1)
    languages: list[str]
    kinds: dict[str, int] = Field(description="pairs per failure kind")


class ValidationReport(_Model):
    """``OUT/validation.json``."""

    schema_version: Literal[1] = SCHEMA_VERSION
    rubric: str
    model: str
    seed: int
    repeats: int = Field(ge=1)
    resamples: int = Field(ge=1000)
    dataset: SetInfo
    methods: MethodUse
    known_groups: list[KnownGroups] = Field(description="sampled always; G-Eval when it ran")
    agreement: list[Agreement] = Field(default_factory=list, description="given --human")
    stability: list[Stability] = Field(default_factory=list, description="given repeats > 1")
    notes: list[str] = Field(default_factory=list)
