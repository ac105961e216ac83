"""The statistics of judge validation, written out so their definitions are on the page.

- **Known-groups accuracy** of an item: over pairs, the mean of ``1`` when the good reply
  scored above the bad one, ``0.5`` for a tie and ``0`` below (0.5 = chance), with a
  bootstrap CI over pairs; the **gap** is the mean good-minus-bad score with a paired
  bootstrap CI (:func:`counselsim.stats.paired_difference`).
- **Agreement** with human labels: Spearman and Kendall's tau-b
  (:mod:`counselsim.critic.agreement`) with bootstrap CIs over units; for items pooled, a
  unit is resampled with all its items. Kendall's bootstrap is computed for all resamples at
  once (:func:`kendall_ci`): tau-b of a resample depends only on how often each pair is drawn.
- **Stability** over repeats (each with a reshuffled item order): the mean within-unit SD,
  the share of units whose repeats agree exactly, and the order slope: the least-squares
  slope of a score's deviation from its unit's mean on the item's place in the list (0 for
  first, 1 for last).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence

import numpy as np

from counselsim.critic.agreement import kendall_tau_b, spearman
from counselsim.stats import Estimate, bootstrap_ci, bootstrap_mean, paired_difference
from counselsim.stats.intervals import check_bootstrap, percentile_interval, resample_counts


def ordering(good: float, bad: float) -> float:
    """1 when good scored above bad, 0.5 for a tie, 0 below."""
    return 1.0 if good > bad else 0.5 if good == bad else 0.0


def known_groups_figures(
    pairs: Sequence[tuple[float, float]], resamples: int, seed: int
) -> tuple[Estimate, Estimate] | None:
    """Accuracy and gap over ``(good, bad)`` score pairs, each with its bootstrap CI."""
    if not pairs:
        return None
    accuracy = bootstrap_mean([ordering(g, b) for g, b in pairs], resamples=resamples, seed=seed)
    gap = paired_difference(
        [g for g, _ in pairs], [b for _, b in pairs], resamples=resamples, seed=seed
    )
    assert accuracy is not None and gap is not None  # not None for a non-empty sample
    return accuracy, gap


def kendall_ci(
    x: Sequence[float],
    y: Sequence[float],
    groups: Sequence[int] | None = None,
    *,
    resamples: int,
    seed: int,
    level: float = 0.95,
) -> Estimate | None:
    """Kendall's tau-b with a bootstrap CI, resampling ``groups`` (default: each pair its
    own group), the same resamples as :func:`counselsim.stats.bootstrap_ci` with that seed.

    With ``c`` the number of times each pair is drawn, a resample's concordant-minus-
    discordant count is ``c' S c / 2`` (``S`` the product of the pairs' sign matrices), its
    pairs tied on x are ``c' Tx c / 2`` plus ``sum c(c-1)/2`` (a pair drawn twice ties with
    itself), and ``n0 = N(N-1)/2``: one matrix product for all resamples.
    """
    check_bootstrap(resamples, level)
    point = kendall_tau_b(x, y)
    if point is None:
        return None
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    g = np.arange(len(a)) if groups is None else np.asarray(groups)
    counts = resample_counts(int(g.max()) + 1, resamples, seed)[:, g].astype(float)
    sx, sy = np.sign(a[:, None] - a[None, :]), np.sign(b[:, None] - b[None, :])
    off = 1 - np.eye(len(a))

    def pairs(m: np.ndarray) -> np.ndarray:
        out: np.ndarray = ((counts @ m) * counts).sum(axis=1) / 2
        return out

    itself = (counts * (counts - 1) / 2).sum(axis=1)
    total = counts.sum(axis=1)
    n0 = total * (total - 1) / 2
    n1 = pairs((sx == 0) * off) + itself
    n2 = pairs((sy == 0) * off) + itself
    with np.errstate(invalid="ignore", divide="ignore"):
        tau = pairs(sx * sy) / np.sqrt((n0 - n1) * (n0 - n2))
    ci = percentile_interval(tau, level)
    if ci is None:
        return None
    return Estimate(value=point, ci_low=ci[0], ci_high=ci[1], n=len(a))


def spearman_ci(
    groups: Sequence[Sequence[tuple[float, float]]], *, resamples: int, seed: int
) -> Estimate | None:
    """Spearman's rho over the ``(judge, human)`` pairs of all groups, with a bootstrap CI
    resampling groups (a unit with its items). ``n`` counts groups."""

    def rho(sample: Sequence[Sequence[tuple[float, float]]]) -> float | None:
        flat = [p for grp in sample for p in grp]
        return spearman([j for j, _ in flat], [h for _, h in flat]) if len(flat) > 1 else None

    return bootstrap_ci(list(groups), rho, resamples=resamples, seed=seed)


def stability_figures(
    units: Sequence[Sequence[tuple[float, float]]], exact: bool
) -> tuple[float | None, float | None, float | None]:
    """``(repeat_sd, same_share, order_slope)`` of one item over units, each unit given as
    its repeats' ``(value, place)`` with ``place`` in [0, 1]; units with one repeat are
    skipped. ``same_share`` only when ``exact`` (integer scores)."""
    multi = [u for u in units if len(u) > 1]
    if not multi:
        return None, None, None
    sd = statistics.fmean(statistics.stdev(v for v, _ in u) for u in multi)
    same = statistics.fmean(len({v for v, _ in u}) == 1 for u in multi) if exact else None
    dev, place = [], []
    for u in multi:
        mean = statistics.fmean(v for v, _ in u)
        dev += [v - mean for v, _ in u]
        place += [p for _, p in u]
    x = np.asarray(place) - statistics.fmean(place)
    spread = float(x @ x)
    slope = float(x @ np.asarray(dev)) / spread if spread > 0 else None
    return round(sd, 4), same, None if slope is None else round(slope, 4)
