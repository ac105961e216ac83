"""Statistics against values worked out by hand: Wilson, bootstrap, win rates, Bradley–Terry."""

from __future__ import annotations

import math

import numpy as np
import pytest
from pydantic import ValidationError

from counselsim.critic.agreement import kendall_tau_b, spearman
from counselsim.stats import (
    Match,
    bootstrap_ci,
    bootstrap_mean,
    bradley_terry,
    paired_difference,
    wilson,
    win_rates,
)
from counselsim.stats.pairwise import fit_strengths

# ------------------------------------------------------------------------------ Wilson


@pytest.mark.parametrize(
    ("k", "low", "high"),
    [
        # z = 1.96, z² = 3.8416, n + z² = 13.8416
        # 0/10:  centre = 1.9208/13.8416 = 0.138770, half = 1.96·sqrt(0.9604)/13.8416 = 0.138770
        (0, 0.0, 0.277540),
        # 5/10:  centre = 6.9208/13.8416 = 0.5, half = 1.96·sqrt(3.4604)/13.8416 = 0.263410
        (5, 0.236590, 0.763410),
        # 10/10: centre = 11.9208/13.8416 = 0.861230, half = 0.138770
        (10, 0.722460, 1.0),
    ],
)
def test_wilson_by_hand(k: int, low: float, high: float) -> None:
    est = wilson(k, 10, z=1.96)
    assert est is not None
    assert est.value == k / 10
    assert est.ci_low == pytest.approx(low, abs=1e-6)
    assert est.ci_high == pytest.approx(high, abs=1e-6)
    assert est.n == 10


def test_wilson_default_is_95_percent_and_edges() -> None:
    est = wilson(5, 10)
    assert est is not None and est.ci_low == pytest.approx(0.236593, abs=1e-5)
    assert wilson(0, 0) is None
    with pytest.raises(ValueError, match="3 successes out of 2"):
        wilson(3, 2)
    with pytest.raises(ValueError):
        wilson(-1, 2)


# ------------------------------------------------------------------------------ bootstrap


def test_bootstrap_mean_two_units_by_hand() -> None:
    # resampled means of {0, 1}: 0 (p 1/4), 0.5 (1/2), 1 (1/4): the 2.5th and 97.5th
    # percentiles fall on 0 and 1
    est = bootstrap_mean([0.0, 1.0])
    assert est is not None
    assert (est.value, est.ci_low, est.ci_high, est.n) == (0.5, 0.0, 1.0, 2)


def test_bootstrap_mean_weighted_is_a_ratio_of_sums() -> None:
    # two sessions: 3 failures in 3 turns, 0 in 1 turn -> 3/4 per turn, not (1 + 0)/2
    est = bootstrap_mean([1.0, 0.0], [3, 1])
    assert est is not None and est.value == 0.75
    assert 0.0 <= est.ci_low <= 0.75 <= est.ci_high <= 1.0


def test_bootstrap_mean_matches_the_normal_approximation() -> None:
    values = np.random.default_rng(7).normal(10.0, 2.0, size=400)
    est = bootstrap_mean(values.tolist(), seed=3)
    assert est is not None
    half = 1.96 * values.std(ddof=1) / math.sqrt(400)  # about 0.196
    assert (est.ci_high - est.ci_low) / 2 == pytest.approx(half, rel=0.15)
    assert est.ci_low < values.mean() < est.ci_high


def test_bootstrap_is_seeded() -> None:
    values = np.random.default_rng(0).normal(size=30).tolist()
    assert bootstrap_mean(values, seed=1) == bootstrap_mean(values, seed=1)
    assert bootstrap_mean(values, seed=1) != bootstrap_mean(values, seed=2)


def test_bootstrap_refuses_bad_arguments() -> None:
    with pytest.raises(ValueError, match="at least 1000"):
        bootstrap_mean([1.0, 2.0], resamples=999)
    with pytest.raises(ValueError, match="level"):
        bootstrap_mean([1.0, 2.0], level=1.0)
    with pytest.raises(ValueError, match="2 values but 1 weights"):
        bootstrap_mean([1.0, 2.0], [1.0])
    assert bootstrap_mean([]) is None


def test_bootstrap_ci_of_a_rank_correlation() -> None:
    # y increases with x: every resample with two distinct units has rho = 1; resamples of a
    # single repeated unit are undefined and left out
    pairs = [(float(x), 2.0 * x + 1) for x in range(8)]
    est = bootstrap_ci(pairs, lambda s: spearman([a for a, _ in s], [b for _, b in s]))
    assert est is not None
    assert (est.value, est.ci_low, est.ci_high, est.n) == (1.0, 1.0, 1.0, 8)


def test_bootstrap_ci_of_kendall_brackets_the_point() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=40)
    pairs = list(zip(x.tolist(), (x + rng.normal(size=40)).tolist(), strict=True))

    def tau(s: list[tuple[float, float]]) -> float | None:
        return kendall_tau_b([a for a, _ in s], [b for _, b in s])

    est = bootstrap_ci(pairs, tau, resamples=1000)
    assert est is not None
    assert est.value == tau(pairs)
    assert -1 < est.ci_low < est.value < est.ci_high < 1
    assert bootstrap_ci([(1.0, 2.0), (1.0, 3.0)], tau) is None  # constant side: undefined


def test_paired_difference() -> None:
    est = paired_difference([3.0, 4.0, 5.0, 6.0], [1.0, 2.0, 3.0, 4.0])
    assert est is not None and (est.value, est.ci_low, est.ci_high) == (2.0, 2.0, 2.0)
    # same mean difference, but one unit reversed: the CI now reaches below the mean
    est = paired_difference([3.0, 4.0, 5.0, 0.0], [1.0, 2.0, 3.0, 0.0])
    assert est is not None and est.value == 1.5 and est.ci_low < 1.5
    with pytest.raises(ValueError, match="differ in length"):
        paired_difference([1.0], [1.0, 2.0])


# ------------------------------------------------------------------------------ win rates


def _m(unit: str, winner: str | None, a: str = "good", b: str = "bad") -> Match:
    return Match(unit=unit, a=a, b=b, winner=winner)


def test_win_rate_counts_ties_half() -> None:
    matches = [_m("u1", "good"), _m("u2", "good"), _m("u3", None), _m("u4", "bad")]
    (wr,) = win_rates(matches)
    # names sort: 'bad' is a; it won 1, tied 1, lost 2 -> (1 + 0.5) / 4
    assert (wr.a, wr.b, wr.wins, wr.ties, wr.losses, wr.units) == ("bad", "good", 1, 1, 2, 4)
    assert wr.rate == 0.375
    assert 0.0 <= wr.ci_low < 0.375 < wr.ci_high <= 1.0
    flipped = wr.flipped()
    assert (flipped.a, flipped.rate, flipped.wins) == ("good", 0.625, 2)
    assert flipped.ci_low == pytest.approx(1 - wr.ci_high)


def test_win_rate_keeps_a_units_judgements_together() -> None:
    # each unit judged twice (order swapped); u1 both times for good, u2 split
    matches = [
        _m("u1", "good"),
        _m("u1", "good", a="bad", b="good"),
        _m("u2", "good"),
        _m("u2", "bad", a="bad", b="good"),
    ]
    (wr,) = win_rates(matches)
    assert wr.units == 2 and wr.flipped().rate == 0.75
    # resampled per unit: good's rate is 1 (u1 twice), 0.75 or 0.5 (u2 twice)
    assert (wr.flipped().ci_low, wr.flipped().ci_high) == (0.5, 1.0)


def test_match_validation() -> None:
    with pytest.raises(ValidationError, match="itself"):
        Match(unit="u", a="x", b="x")
    with pytest.raises(ValidationError, match="neither"):
        Match(unit="u", a="x", b="y", winner="z")


# ------------------------------------------------------------------------------ Bradley–Terry

TINY = 1e-9  # a prior this small leaves the maximum-likelihood fit, where it exists, unchanged


def _games(a: str, b: str, a_wins: int, b_wins: int, ties: int = 0) -> list[Match]:
    out = [Match(unit=f"{a}{b}w{i}", a=a, b=b, winner=a) for i in range(a_wins)]
    out += [Match(unit=f"{a}{b}l{i}", a=a, b=b, winner=b) for i in range(b_wins)]
    out += [Match(unit=f"{a}{b}t{i}", a=a, b=b) for i in range(ties)]
    return out


def test_bradley_terry_two_counselors_by_hand() -> None:
    # A wins 3 of 4: p_A / (p_A + p_B) = 3/4, so theta_A - theta_B = ln 3
    strengths = bradley_terry(_games("A", "B", 3, 1), prior=TINY, resamples=1000)
    assert [s.name for s in strengths] == ["A", "B"]
    assert strengths[0].theta == pytest.approx(math.log(3) / 2, abs=1e-6)
    assert strengths[1].theta == pytest.approx(-math.log(3) / 2, abs=1e-6)
    assert strengths[0].matches == 4
    # two wins and two ties is three wins out of four as well
    tied = bradley_terry(_games("A", "B", 2, 0, ties=2), prior=TINY, resamples=1000)
    assert tied[0].theta == pytest.approx(math.log(3) / 2, abs=1e-6)


def test_bradley_terry_three_counselors_by_hand() -> None:
    # data exactly as p = (4, 2, 1) predicts: A-B 2:1 (4/6), B-C 2:1 (2/3), A-C 4:1 (4/5);
    # each side of the likelihood equations W_i = sum_j n_ij p_i / (p_i + p_j) then holds:
    # A: 6 = 3·2/3 + 5·4/5, B: 3 = 3·1/3 + 3·2/3, C: 2 = 3·1/3 + 5·1/5
    matches = _games("A", "B", 2, 1) + _games("B", "C", 2, 1) + _games("A", "C", 4, 1)
    strengths = bradley_terry(matches, prior=TINY, resamples=1000)
    # log(4, 2, 1) centred: (ln 2, 0, -ln 2)
    got = {s.name: s.theta for s in strengths}
    assert got == pytest.approx({"A": math.log(2), "B": 0.0, "C": -math.log(2)}, abs=1e-6)
    for s in strengths:
        assert s.ci_low <= s.theta <= s.ci_high


def test_bradley_terry_cycle_is_a_draw() -> None:
    matches = _games("A", "B", 1, 0) + _games("B", "C", 1, 0) + _games("C", "A", 1, 0)
    assert all(abs(s.theta) < 1e-9 for s in bradley_terry(matches, resamples=1000))


def test_bradley_terry_prior_shrinks_and_keeps_perfect_records_finite() -> None:
    # prior 1: one virtual tie, so A has 3.5 wins of 5 and B 1.5: theta_A - theta_B = ln(7/3)
    shrunk = bradley_terry(_games("A", "B", 3, 1), resamples=1000)
    assert shrunk[0].theta - shrunk[1].theta == pytest.approx(math.log(7 / 3), abs=1e-6)
    # A wins every game, C loses every game: the plain fit does not exist
    matches = _games("A", "B", 5, 0) + _games("B", "C", 3, 2) + _games("A", "C", 4, 0)
    strengths = bradley_terry(matches, resamples=1000, seed=5)
    assert [s.name for s in strengths] == ["A", "B", "C"]
    for s in strengths:
        assert all(math.isfinite(v) for v in (s.theta, s.ci_low, s.ci_high))
        assert s.ci_low <= s.theta <= s.ci_high
    assert bradley_terry(matches, resamples=1000, seed=5) == strengths  # seeded


def test_bradley_terry_fit_batch_and_prior_check() -> None:
    games = np.array([[[0.0, 4.0], [4.0, 0.0]], [[0.0, 4.0], [4.0, 0.0]]])
    wins = np.array([[3.0, 1.0], [1.0, 3.0]])
    theta = fit_strengths(games, wins, TINY)
    assert theta[0, 0] == pytest.approx(-theta[1, 0], abs=1e-6)  # rows fitted independently
    with pytest.raises(ValueError, match="must be positive"):
        fit_strengths(games, wins, 0.0)
    assert bradley_terry([]) == []
