"""A validation report as rows of text: one layout for the terminal (``counselsim judge
validate``), the benchmark and the HTML report."""

from __future__ import annotations

from counselsim.critic.validation.models import KnownGroups, ValidationReport
from counselsim.labels import ScoreMethod
from counselsim.stats import Estimate

KNOWN_GROUPS_HEAD = ["Method", "Item", "Pairs", "Accuracy [95% CI]", "Gap [95% CI]", "Good", "Bad"]
KINDS_HEAD = ["Method", "Failure kind", "Pairs", "Accuracy [95% CI]"]
AGREEMENT_HEAD = [
    "Method",
    "Item",
    "n",
    "Spearman [95% CI]",
    "Kendall τ-b [95% CI]",
    "κ linear",
    "κ quadratic",
    "Mean |Δ|",
]
STABILITY_HEAD = ["Method", "Item", "Units", "SD over repeats", "Same score", "Order slope"]
METHOD_NAMES = {ScoreMethod.SAMPLED: "sampled", ScoreMethod.GEVAL: "G-Eval"}


def method_name(kg: KnownGroups) -> str:
    """A known-groups row's method, with "+ evidence bounds" when its scores were bounded."""
    return METHOD_NAMES[kg.method] + (" + evidence bounds" if kg.bounded else "")


def num(v: float | None, places: int = 2) -> str:
    """A number to ``places`` decimals; an em dash for None."""
    return "—" if v is None else f"{v:.{places}f}"


def interval(e: Estimate | None) -> str:
    """``value [low, high]``; an em dash for None."""
    if e is None:
        return "—"
    return f"{e.value:.2f} [{e.ci_low:.2f}, {e.ci_high:.2f}]"


def known_groups_rows(report: ValidationReport) -> list[list[str]]:
    """Per method and item: pairs, accuracy, gap, mean good and bad score."""
    return [
        [
            method_name(kg),
            it.item,
            str(it.n),
            interval(it.accuracy),
            interval(it.gap),
            num(it.good_mean),
            num(it.bad_mean),
        ]
        for kg in report.known_groups
        for it in kg.items
    ]


def kind_rows(report: ValidationReport) -> list[list[str]]:
    """Per method and failure kind: pairs and accuracy pooled over items."""
    return [
        [method_name(kg), kind, str(e.n), interval(e)]
        for kg in report.known_groups
        for kind, e in kg.by_kind.items()
    ]


def agreement_rows(report: ValidationReport) -> list[list[str]]:
    """Per method and item (and ``all`` pooled): agreement with the human labels."""
    return [
        [
            METHOD_NAMES[a.method],
            it.item,
            str(it.n),
            interval(it.spearman),
            interval(it.kendall),
            num(it.kappa_linear),
            num(it.kappa_quadratic),
            num(it.mean_abs_diff),
        ]
        for a in report.agreement
        for it in a.items
    ]


def stability_rows(report: ValidationReport) -> list[list[str]]:
    """Per method and item: spread over repeats, exact agreement, order slope."""
    return [
        [
            METHOD_NAMES[s.method],
            it.item,
            str(it.units),
            num(it.repeat_sd),
            num(it.same_share),
            num(it.order_slope),
        ]
        for s in report.stability
        for it in s.items
    ]


def method_line(report: ValidationReport) -> str:
    """Which method scored how many judgements."""
    m = report.methods
    text = (
        f"method asked: {METHOD_NAMES[m.requested]}; judgements by G-Eval {m.geval}, "
        f"by the sampled score {m.sampled}, failed {m.failed}"
    )
    causes = "; ".join(f"{cause} ({n})" for cause, n in m.fallbacks.items())
    return text + (f"; fallbacks: {causes}" if causes else "")
