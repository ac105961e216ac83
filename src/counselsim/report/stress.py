"""The stress-test report page: ``OUT/report.html`` from ``OUT/report.json``'s data.

The same page machinery as the run report (its style, numbered figures and tables, inline SVG
from :mod:`counselsim.report.charts`); every number on the page is in ``report.json``.
"""

from __future__ import annotations

from itertools import count

from markupsafe import Markup

from counselsim.report.build import TEMPLATES, Figure
from counselsim.report.charts import Interval, interval_plot
from counselsim.report.tables import fmt
from counselsim.stats import Estimate
from counselsim.stress.results import CounselorResult, FailureStat, StressReport


def interval(value: float | None, low: float | None, high: float | None) -> str:
    """``0.25 [0.10, 0.47]``; a dash for no estimate."""
    if value is None:
        return "—"
    if low is None or high is None:
        return fmt(value)
    return f"{fmt(value)} [{fmt(low)}, {fmt(high)}]"


def estimate(e: Estimate | None) -> str:
    """An estimate with its interval."""
    return interval(e.value, e.ci_low, e.ci_high) if e is not None else "—"


def share(s: FailureStat) -> str:
    """Sessions with the mode: ``k/n · rate [CI]``."""
    return f"{s.sessions_with}/{s.sessions} · {interval(s.rate, s.ci_low, s.ci_high)}"


def _ranking_rows(report: StressReport) -> list[list[str]]:
    return [
        [
            str(c.rank),
            c.name,
            f"{c.kind}: {c.model}",
            str(c.sessions),
            estimate(c.severe),
            estimate(c.rubric.overall),
            f"{c.courses_failed}" + (" (stopped)" if c.stopped else ""),
        ]
        for c in report.counselors
    ]


def _failure_rows(report: StressReport, c: CounselorResult) -> list[list[str]]:
    rows = []
    for m in report.modes:
        s = c.failures[m.name]
        name = m.name + (" (severe)" if m.severe else "") + ("" if m.failure else " (flag)")
        turns = f"{s.count}/{s.turns} · {interval(s.turn_rate, s.turn_ci_low, s.turn_ci_high)}"
        rows.append([name, str(s.count), share(s), turns])
    return rows


def _examples(report: StressReport, c: CounselorResult) -> list[dict[str, object]]:
    return [
        {"mode": m.name, "examples": c.failures[m.name].examples}
        for m in report.modes
        if c.failures[m.name].examples
    ]


def _persona_rows(report: StressReport) -> tuple[list[str], list[list[str]]]:
    personas = report.personas
    head = ["Persona", *(c.name for c in report.counselors)]
    rows = []
    for pid in personas:
        row = [pid]
        for c in report.counselors:
            p = next((x for x in c.personas if x.persona == pid), None)
            row.append(
                "—"
                if p is None
                else f"severe {estimate(p.severe)}; rubric {estimate(p.rubric.overall)}"
            )
        rows.append(row)
    return head, rows


def _item_rows(c: CounselorResult) -> list[list[str]]:
    return [
        [i.item, f"{i.min:g}–{i.max:g}", str(i.n), interval(i.mean, i.ci_low, i.ci_high),
         fmt(i.judge_mean), f"{i.bounded}/{i.n}", fmt(i.judge_sd)]
        for i in c.rubric.items
    ]  # fmt: skip


def _pair_rows(report: StressReport) -> list[list[str]]:
    rows = []
    for p in report.pairwise:
        win = p.win
        rows.append(
            [
                f"{p.a} vs {p.b}",
                str(p.compared),
                interval(win.rate, win.ci_low, win.ci_high) if win else "—",
                f"{win.wins}/{win.ties}/{win.losses}" if win else "—",
                fmt(p.position_consistency),
                fmt(p.first_position_rate),
                estimate(p.rubric_difference),
            ]
        )
    return rows


def _row(label: str, e: Estimate | None, note: str) -> Interval:
    if e is None:
        return Interval(label, None, None, None, note)
    return Interval(label, e.value, e.ci_low, e.ci_high, note)


def _figures(report: StressReport, fig: count[int]) -> list[Figure]:
    cs = report.counselors
    severe = [_row(c.name, c.severe, f"{c.sessions} sessions") for c in cs]
    overall = [_row(c.name, c.rubric.overall, f"{c.rubric.scored} scored") for c in cs]
    t1 = "Share of sessions with a severe failure"
    t2 = f"Rubric {report.judge.rubric}: overall score on 0..1"
    c1 = (
        f"{t1}, per counselor (best first): the dot is the share, the bar its Wilson 95 % "
        "interval; the severe modes are marked in Table 2."
    )
    c2 = (
        f"{t2}: per session the mean of its items (bounded by evidence), each put on 0..1, "
        "averaged over sessions; the bar is a bootstrap 95 % interval over sessions."
    )
    return [
        Figure(next(fig), Markup(interval_plot(severe, t1)), c1),
        Figure(next(fig), Markup(interval_plot(overall, t2)), c2),
    ]


def _mode_rows(report: StressReport) -> list[list[str]]:
    return [
        [m.name, "yes" if m.severe else "", m.description,
         ", ".join([*m.detectors, *(f"flag {f}" for f in m.flags)]) or "client turns", m.over]
        for m in report.modes
    ]  # fmt: skip


def _strength_rows(report: StressReport) -> list[list[str]]:
    return [
        [s.name, interval(s.theta, s.ci_low, s.ci_high), str(s.matches)]
        for s in report.bradley_terry
    ]


def render_stress(report: StressReport) -> str:
    """The stress-test report as one self-contained HTML page."""
    fig, tab = count(1), count(1)
    head, persona_rows = _persona_rows(report)
    return TEMPLATES.get_template("stress.html.j2").render(
        r=report,
        figures=_figures(report, fig),
        ranking=(next(tab), _ranking_rows(report)),
        modes=(next(tab), _mode_rows(report)),
        counselors=[
            {
                "c": c,
                "failures": (next(tab), _failure_rows(report, c)),
                "rubric": (next(tab), _item_rows(c)),
                "examples": _examples(report, c),
            }
            for c in report.counselors
        ],
        personas=(next(tab), head, persona_rows),
        pairs=(next(tab), _pair_rows(report)),
        strengths=(next(tab), _strength_rows(report)),
        judge_sd=(next(tab), [[k, fmt(v)] for k, v in report.judge.item_sd.items()]),
    )
