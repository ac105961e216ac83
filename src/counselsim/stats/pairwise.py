"""Pairwise comparisons of counselors: win rates and Bradley–Terry strengths, with CIs.

A :class:`Match` is one judgement of two counselors on one unit (the same persona, course
and session); a tie counts half a win for each. Several matches may share a unit (the judge
asked twice with the order swapped): the bootstrap resamples *units*, so they stay together.

Bradley–Terry: ``P(i beats j) = p_i / (p_i + p_j)``, fitted by Hunter's (2004) MM algorithm,
``p_i ← W_i / Σ_j n_ij / (p_i + p_j)``. The plain maximum-likelihood fit does not exist when a
counselor wins (or loses) every comparison: its strength runs off to infinity. So every pair
of counselors also plays ``prior`` virtual *tied* games (default 1): a weak prior that pulls
strengths towards each other, the less the more real games there are, and keeps a counselor
that is absent from a bootstrap resample finite. Strengths are reported as ``theta = log p``,
centred so their mean is 0: ``P(i beats j) = 1 / (1 + exp(θ_j − θ_i))``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

from counselsim.stats.intervals import (
    DEFAULT_RESAMPLES,
    bootstrap_mean,
    check_bootstrap,
    percentile_interval,
    resample_counts,
)

DEFAULT_PRIOR = 1.0
_TOL = 1e-10
_MAX_ITER = 10_000


class Match(BaseModel):
    """One comparison of counselors ``a`` and ``b`` on one unit; ``winner`` None is a tie."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = Field(min_length=1)
    a: str = Field(min_length=1)
    b: str = Field(min_length=1)
    winner: str | None = None

    @model_validator(mode="after")
    def _names(self) -> Match:
        if self.a == self.b:
            raise ValueError(f"a counselor cannot be compared with itself ('{self.a}')")
        if self.winner not in (None, self.a, self.b):
            raise ValueError(f"winner '{self.winner}' is neither '{self.a}' nor '{self.b}'")
        return self

    def score(self, name: str) -> float:
        """1 if ``name`` won, 0.5 for a tie, 0 if it lost."""
        return 0.5 if self.winner is None else float(self.winner == name)


class WinRate(BaseModel):
    """How often ``a`` beat ``b`` (ties half), with a bootstrap CI over the units."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    a: str
    b: str
    wins: int = Field(ge=0)
    ties: int = Field(ge=0)
    losses: int = Field(ge=0)
    units: int = Field(ge=1)
    rate: float
    ci_low: float
    ci_high: float

    def flipped(self) -> WinRate:
        """The same comparison seen from ``b``."""
        return WinRate(
            a=self.b,
            b=self.a,
            wins=self.losses,
            ties=self.ties,
            losses=self.wins,
            units=self.units,
            rate=1 - self.rate,
            ci_low=1 - self.ci_high,
            ci_high=1 - self.ci_low,
        )


class Strength(BaseModel):
    """A counselor's Bradley–Terry log-strength (mean 0 over counselors) with its CI."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    theta: float
    ci_low: float
    ci_high: float
    matches: int = Field(ge=0)


def win_rates(
    matches: Sequence[Match],
    *,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> list[WinRate]:
    """The win rate of every pair of counselors that met, ``a`` before ``b`` by name.

    The rate is ``(wins + ties/2) / comparisons``; its CI resamples the units the pair met on
    (a unit's comparisons weigh by their number).

    Raises:
        ValueError: as :func:`~counselsim.stats.intervals.bootstrap_mean`.
    """
    by_pair: dict[tuple[str, str], list[Match]] = defaultdict(list)
    for m in matches:
        by_pair[(min(m.a, m.b), max(m.a, m.b))].append(m)
    out = []
    for (a, b), ms in sorted(by_pair.items()):
        per_unit: dict[str, list[float]] = defaultdict(list)
        for m in ms:
            per_unit[m.unit].append(m.score(a))
        est = bootstrap_mean(
            [sum(s) / len(s) for s in per_unit.values()],
            [len(s) for s in per_unit.values()],
            resamples=resamples,
            seed=seed,
            level=level,
        )
        assert est is not None  # a pair in by_pair met at least once
        scores = [m.score(a) for m in ms]
        out.append(
            WinRate(
                a=a,
                b=b,
                wins=scores.count(1.0),
                ties=scores.count(0.5),
                losses=scores.count(0.0),
                units=len(per_unit),
                rate=est.value,
                ci_low=est.ci_low,
                ci_high=est.ci_high,
            )
        )
    return out


def fit_strengths(
    games: np.ndarray, wins: np.ndarray, prior: float, start: np.ndarray | None = None
) -> np.ndarray:
    """Bradley–Terry log-strengths by MM, for a batch of data sets at once.

    Args:
        games: ``(R, k, k)`` symmetric counts of comparisons between counselors.
        wins: ``(R, k)`` wins of each counselor, ties counted half.
        prior: virtual tied games added to every pair of counselors.
        start: ``(k,)`` log-strengths to start from (a nearby fit converges sooner).

    Returns:
        ``(R, k)`` log-strengths, each row centred on 0.

    Raises:
        ValueError: ``prior`` not positive.
    """
    if prior <= 0:
        raise ValueError(f"Bradley-Terry prior {prior}: must be positive")
    k = wins.shape[1]
    games = games + prior * (1 - np.eye(k))
    numerator = wins + prior * (k - 1) / 2
    theta = np.zeros(wins.shape) if start is None else np.broadcast_to(start, wins.shape)
    for _ in range(_MAX_ITER):
        p = np.exp(theta)
        new = np.log(numerator / (games / (p[:, :, None] + p[:, None, :])).sum(axis=2))
        new -= new.mean(axis=1, keepdims=True)  # strengths are defined up to a common factor
        done = bool(np.abs(new - theta).max() < _TOL)
        theta = new
        if done:
            break
    return theta


def _unit_tables(matches: Sequence[Match], names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: the ``(k, k)`` game counts and ``(k,)`` wins, stacked over units."""
    index = {n: i for i, n in enumerate(names)}
    units = sorted({m.unit for m in matches})
    row = {u: r for r, u in enumerate(units)}
    games = np.zeros((len(units), len(names), len(names)))
    wins = np.zeros((len(units), len(names)))
    for m in matches:
        r, i, j = row[m.unit], index[m.a], index[m.b]
        games[r, i, j] += 1
        games[r, j, i] += 1
        wins[r, i] += m.score(m.a)
        wins[r, j] += m.score(m.b)
    return games, wins


def bradley_terry(
    matches: Sequence[Match],
    *,
    prior: float = DEFAULT_PRIOR,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = 0,
    level: float = 0.95,
) -> list[Strength]:
    """Bradley–Terry strengths of the counselors in ``matches``, best first, with bootstrap
    percentile CIs over the units (each resample refitted; all resamples fitted as one batch).

    Raises:
        ValueError: ``prior`` not positive, fewer than 1,000 resamples, a level outside (0, 1).
    """
    if not matches:
        return []
    check_bootstrap(resamples, level)
    names = sorted({m.a for m in matches} | {m.b for m in matches})
    games, wins = _unit_tables(matches, names)
    theta = fit_strengths(games.sum(axis=0)[None], wins.sum(axis=0)[None], prior)[0]
    counts = resample_counts(len(games), resamples, seed).astype(float)
    boot = fit_strengths(np.einsum("ru,uij->rij", counts, games), counts @ wins, prior, theta)
    played = games.sum(axis=(0, 2))
    out = []
    for i, name in enumerate(names):
        ci = percentile_interval(boot[:, i], level)
        low, high = ci if ci is not None else (float(theta[i]), float(theta[i]))
        out.append(
            Strength(
                name=name, theta=float(theta[i]), ci_low=low, ci_high=high, matches=int(played[i])
            )
        )
    return sorted(out, key=lambda s: (-s.theta, s.name))
