"""Statistics for reports: intervals for rates and means, pairwise win rates, Bradley–Terry.

Rank correlations and weighted kappa live in :mod:`counselsim.critic.agreement`; pass them to
:func:`bootstrap_ci` for their intervals.
"""

from counselsim.stats.intervals import (
    Estimate,
    bootstrap_ci,
    bootstrap_mean,
    paired_difference,
    wilson,
)
from counselsim.stats.pairwise import Match, Strength, WinRate, bradley_terry, win_rates

__all__ = [
    "Estimate",
    "Match",
    "Strength",
    "WinRate",
    "bootstrap_ci",
    "bootstrap_mean",
    "bradley_terry",
    "paired_difference",
    "wilson",
    "win_rates",
]
