"""Confidence intervals for rates and means: Wilson, and bootstrap percentiles over units.

- :func:`wilson`: the Wilson score interval for ``k`` successes in ``n`` trials,
  ``centre = (k + z²/2) / (n + z²)``, ``half = z·sqrt(k(n−k)/n + z²/4) / (n + z²)``; it stays
  inside [0, 1] and is not degenerate at 0/n or n/n, unlike the normal approximation.
- :func:`bootstrap_mean`: a (weighted) mean with a percentile CI from resampling *units*
  (sessions, courses), never turns: turns of one session are not independent.
- :func:`bootstrap_ci`: the same for any statistic of the units (Spearman, Kendall, ...).
- :func:`paired_difference`: the mean difference between two counselors on the same units,
  resampling the pairs together so what the units share cancels out.

Every bootstrap is seeded: the same inputs and seed give the same interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TypeVar

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

Z95 = 1.959963984540054
"""The standard normal's 97.5th percentile: a two-sided 95 % interval."""

MIN_RESAMPLES = 1000
DEFAULT_RESAMPLES = 2000


class Estimate(BaseModel):
    """A point estimate with its confidence interval, over ``n`` units (or trials)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: float
    ci_low: float
    ci_high: float
    n: int = Field(ge=0)


def wilson(k: int, n: int, z: float = Z95) -> Estimate | None:
    """The rate ``k / n`` with its Wilson score interval (95 % by default).

    Returns:
        The estimate, or None when ``n == 0`` (no trials: no rate to estimate).

    Raises:
        ValueError: ``k`` outside ``[0, n]``.
    """
    if not 0 <= k <= n:
        raise ValueError(f"{k} successes out of {n} trials")
    if n == 0:
        return None
    z2 = z * z
    centre = (k + z2 / 2) / (n + z2)
    half = z * math.sqrt(k * (n - k) / n + z2 / 4) / (n + z2)
    return Estimate(
        value=k / n, ci_low=max(0.0, centre - half), ci_high=min(1.0, centre + half), n=n
    )


def check_bootstrap(resamples: int, level: float) -> None:
    """Raise ValueError for fewer than 1,000 resamples or a level outside (0, 1)."""
    if resamples < MIN_RESAMPLES:
        raise ValueError(f"{resamples} bootstrap resamples: use at least {MIN_RESAMPLES}")
    if not 0 < level < 1:
        raise ValueError(f"confidence level {level} outside (0, 1)")


def resample_indices(units: int, resamples: int, seed: int) -> np.ndarray:
    """The units drawn with replacement by each resample, shape ``(resamples, units)``.

    Every bootstrap here draws through this one function, so a seed means the same resamples
    for every statistic of the same units.
    """
    return np.random.default_rng(seed).integers(0, units, size=(resamples, units))


def resample_counts(units: int, resamples: int, seed: int) -> np.ndarray:
    """How often each unit is drawn in each resample, shape ``(resamples, units)``: for
    statistics that are sums over units, computed for all resamples as one matrix product."""
    draws = resample_indices(units, resamples, seed)
    offsets = draws + units * np.arange(resamples)[:, None]
    return np.bincount(offsets.ravel(), minlength=resamples * units).reshape(resamples, units)


def percentile_interval(values: np.ndarray, level: float) -> tuple[float, float] | None:
    """The ``(1-level)/2`` and ``(1+level)/2`` percentiles of the finite ``values``."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    lo, hi = np.percentile(finite, [50 * (1 - level), 50 * (1 + level)])
    return float(lo), float(hi)


def bootstrap_mean(
    values: Sequence[float],
    weights: Sequence[float] | None = None,
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate | None:
    """The mean of one value per unit, with a bootstrap percentile CI over the units.

    With ``weights`` it is the ratio ``sum(w·v) / sum(w)``: a per-turn failure rate over
    sessions is ``values`` = each session's rate and ``weights`` = its turns, and resampling
    sessions keeps the turns of one session together.

    Returns:
        The estimate, or None for no units (or zero total weight).

    Raises:
        ValueError: fewer than 1,000 resamples, a level outside (0, 1), unequal lengths or a
            negative weight.
    """
    check_bootstrap(resamples, level)
    v = np.asarray(values, dtype=float)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
    if v.shape != w.shape:
        raise ValueError(f"{len(v)} values but {len(w)} weights")
    if (w < 0).any():
        raise ValueError("negative weight")
    if v.size == 0 or w.sum() <= 0:
        return None
    draws = resample_indices(v.size, resamples, seed)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = (w * v)[draws].sum(axis=1) / w[draws].sum(axis=1)
    ci = percentile_interval(means, level)
    point = float((w * v).sum() / w.sum())
    low, high = ci if ci is not None else (point, point)
    return Estimate(value=point, ci_low=low, ci_high=high, n=int(v.size))


def bootstrap_ci(
    units: Sequence[T],
    statistic: Callable[[Sequence[T]], float | None],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate | None:
    """Any statistic of the units with a bootstrap percentile CI.

    For judge validation, units are ``(judge, human)`` pairs and the statistic is, e.g.,
    ``lambda s: spearman([j for j, _ in s], [h for _, h in s])``
    (:func:`counselsim.critic.agreement.spearman`). Resamples on which the statistic is
    undefined (None, e.g. a constant side) are left out of the percentiles.

    Returns:
        The estimate, or None when the statistic is undefined on the units themselves or on
        every resample.

    Raises:
        ValueError: fewer than 1,000 resamples or a level outside (0, 1).
    """
    check_bootstrap(resamples, level)
    point = statistic(units) if units else None
    if point is None:
        return None
    draws = resample_indices(len(units), resamples, seed)
    stats = [statistic([units[i] for i in row]) for row in draws]
    ci = percentile_interval(np.array([np.nan if s is None else s for s in stats]), level)
    if ci is None:
        return None
    return Estimate(value=float(point), ci_low=ci[0], ci_high=ci[1], n=len(units))


def paired_difference(
    a: Sequence[float],
    b: Sequence[float],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> Estimate | None:
    """The mean of ``a[i] - b[i]`` (two counselors on the same unit ``i``) with a paired
    bootstrap CI: a unit is drawn with both its scores. A CI that excludes 0 says the
    difference is not explained by which clients happened to be drawn.

    Raises:
        ValueError: unequal lengths, or as :func:`bootstrap_mean`.
    """
    if len(a) != len(b):
        raise ValueError(f"paired samples differ in length: {len(a)} and {len(b)}")
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return bootstrap_mean(diff.tolist(), resamples=resamples, seed=seed, level=level)
