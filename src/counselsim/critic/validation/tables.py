"""A validation report as rows of text: one layout for the terminal, the benchmark and the
HTML report."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from counselsim.critic.validation.models import ValidationReport
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
METHOD_NAMES = {"sampled": "sampled", "geval": "G-Eval"}


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
            METHOD_NAMES[kg.method],
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
        [METHOD_NAMES[kg.method], kind, str(e.n), interval(e)]
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


def print_report(report: ValidationReport, out: Console, err: Console) -> None:
    """The report's tables on ``out``; its notes (fallbacks, what was not measured) on
    ``err``."""
    blocks = (
        ("Known groups: good above bad (0.5 = chance)", KNOWN_GROUPS_HEAD, known_groups_rows),
        ("Known groups by failure kind", KINDS_HEAD, kind_rows),
        ("Agreement with human labels", AGREEMENT_HEAD, agreement_rows),
        ("Stability over repeats and item order", STABILITY_HEAD, stability_rows),
    )
    for title, head, rows in blocks:
        if body := rows(report):
            table = Table(title=f"{report.rubric} on {report.model}: {title}")
            for col in head:
                table.add_column(col)
            for row in body:
                table.add_row(*row)
            out.print(table)
    out.print(method_line(report))
    for note in report.notes:
        err.print(f"[yellow]{note}[/]")
