"""The run report: one self-contained HTML page from a run directory.

Read from ``run_dir`` through its :class:`~counselsim.runs.RunDir`: ``sessions.jsonl``
(required), ``scores/*.jsonl`` (rubric scores of ``counselsim score``; not the pairwise
``*.compare.jsonl``, which the page does not show), ``metrics.json``, ``run.json`` and
``validation.json`` (all optional). Every figure is an inline SVG from
:mod:`counselsim.report.charts` over the series of :mod:`counselsim.report.series` (where
valence, share and position are defined); the tables come from
:mod:`counselsim.report.tables`. The page loads nothing from anywhere.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from counselsim.errors import DataError
from counselsim.records import CounselorTurn, SessionRecord
from counselsim.report.charts import Bar, Strip, arc_chart, stacked_bars, strip_plot
from counselsim.report.series import (
    EMOTION_COLORS,
    STRATEGY_COLORS,
    VALENCE,
    emotion_arc,
    emotion_by_session,
    strategy_by_stage,
    strategy_by_third,
)
from counselsim.report.tables import (
    RubricSummary,
    code_rows,
    critic_summaries,
    fmt,
    mean_sd,
    metric_tables,
    prepost_rows,
    score_summaries,
)
from counselsim.report.validation import validation_section
from counselsim.runs import RunDir
from counselsim.runs.files import cannot_write, write_atomic

L = TypeVar("L", bound=str)

TEMPLATES = Environment(
    loader=PackageLoader("counselsim.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
"""The report pages' templates (``report/templates/``: the run report, the stress report)."""


@dataclass
class Figure:
    """A numbered figure: its SVG, a caption, and a data URI to save it as a file."""

    number: int
    svg: Markup
    caption: str

    @property
    def href(self) -> str:
        """The SVG as a ``data:`` URI (for the page's "save SVG" link)."""
        return "data:image/svg+xml;charset=utf-8," + quote(str(self.svg))


def _header(records: Sequence[SessionRecord], config: dict[str, Any]) -> list[tuple[str, str]]:
    turns = sum(len(r.turns) for r in records)
    counselor = sum(isinstance(t, CounselorTurn) for r in records for t in r.turns)
    provenance = records[0].provenance
    rows = [
        ("profiles", ", ".join(sorted({r.profile_id for r in records}))),
        ("courses", str(len({r.course_id for r in records}))),
        ("sessions", str(len(records))),
        ("turns", f"{turns} ({counselor} counselor, {turns - counselor} client)"),
        ("languages", ", ".join(sorted({r.language for r in records}))),
        ("model", " | ".join(sorted({r.provenance.model for r in records}))),
        ("engine", provenance.engine),
        ("seed", str(provenance.seed)),
        ("counselsim", provenance.version),
    ]
    keep = ("sessions", "max_turns", "min_turns", "memory_k", "history_window")
    settings = [f"{k} {config[k]}" for k in keep if k in config]
    if settings:
        rows.append(("settings", ", ".join(settings)))
    return rows


def _rubric_block(summary: RubricSummary, fig: Iterator[int], tab: Iterator[int]) -> dict[str, Any]:
    figure = None
    if any(d.means for d in summary.dims):
        title = f"Scores of rubric {summary.name} ({summary.source})"
        dots = (
            "one dot per session"
            if summary.source == "in-course critic"
            else "one dot per scored unit (its mean over the judge's repeats)"
        )
        skipped = f" {summary.not_scored} not scored are not plotted." if summary.not_scored else ""
        strips = [Strip(d.name, d.means, d.lo, d.hi) for d in summary.dims]
        figure = Figure(
            next(fig),
            Markup(strip_plot(strips, title)),
            f"{title}: {dots}, each dimension on its own scale (from {summary.bounds_from}); "
            f"equal values stack upwards; the red bar marks the mean.{skipped}",
        )
    rows = [
        [
            d.name,
            f"{d.lo:g}–{d.hi:g}",
            str(len(d.means)),
            mean_sd(d.means),
            fmt(statistics.fmean(d.spreads) if d.spreads else None),
        ]
        for d in summary.dims
    ]
    return {"summary": summary, "figure": figure, "rows": rows, "table": next(tab)}


def _arc_figure(records: Sequence[SessionRecord], fig: Iterator[int]) -> Figure:
    courses = len({r.course_id for r in records})
    arc = [(f"S{s}", points) for s, points in emotion_arc(records)]
    title = "Client emotion valence across the course"
    return Figure(
        next(fig),
        Markup(arc_chart(arc, title, full_n=courses)),
        f"{title}: x is the client turn within its session (sessions S1, S2, … between dashed "
        f"dividers), y the mean valence of the turn's labels over {courses} course(s), on the "
        "valence table below. Hollow markers rest on fewer courses (sessions of unequal length).",
    )


def _bar_figure(
    fig: Iterator[int], bars: list[Bar], colors: Mapping[L, str], title: str, caption: str
) -> Figure:
    """Label shares as stacked bars; the caption is ``title`` followed by ``caption``."""
    svg = stacked_bars(bars, list(colors), list(colors.values()), title)
    return Figure(next(fig), Markup(svg), title + caption)


_STRATEGY_CAPTION = (
    ": share of counselor turns carrying each strategy (a turn with two strategies counts half "
    "for each); "
)


def build_report(
    run_dir: Path, metrics: dict[str, Any] | None = None, *, generated: date | None = None
) -> str:
    """The report of ``run_dir`` as one self-contained HTML page.

    Args:
        run_dir: a run directory holding ``sessions.jsonl`` (and optionally ``scores/``,
            ``metrics.json``, ``run.json``, ``validation.json``).
        metrics: text metrics to show instead of ``run_dir/metrics.json``.
        generated: the date printed in the header (default: today); nothing else on the
            page depends on when it is built.

    Raises:
        DataError: ``sessions.jsonl`` missing, empty or invalid; a scores, metrics, run or
            validation file present but invalid; ``metrics`` not a JSON object.
    """
    run = RunDir.at(run_dir)
    records = run.sessions()
    scores = run.scores()
    manifest = run.manifest()
    if metrics is None:
        metrics = run.read_json(run.metrics_file)
    elif not isinstance(metrics, dict):
        raise DataError("the metrics to show are not a JSON object")
    fig, tab = count(1), count(1)
    summaries = [*critic_summaries(records), *score_summaries(scores)]
    rubrics = [_rubric_block(s, fig, tab) for s in summaries]
    arc_fig = _arc_figure(records, fig)
    emotion_fig = _bar_figure(
        fig,
        emotion_by_session(records),
        EMOTION_COLORS,
        "Client emotion labels per session",
        ", pooled over courses: share of client turns (a turn with two labels counts half for "
        "each); labels ordered by valence.",
    )
    strategy_figs = [
        _bar_figure(
            fig,
            strategy_by_stage(records),
            STRATEGY_COLORS,
            "Counselor strategy mix per session stage",
            _STRATEGY_CAPTION + "one bar per stage the counselor's session plan names.",
        ),
        _bar_figure(
            fig,
            strategy_by_third(records),
            STRATEGY_COLORS,
            "Counselor strategy mix by position in the session",
            _STRATEGY_CAPTION
            + "each session's counselor turns split into opening, middle and closing thirds.",
        ),
    ]
    valence_table = next(tab)
    metric, equal_d, notes = metric_tables(metrics) if metrics else (None, None, [])
    metric_table = next(tab) if metric else None
    equal_d_table = next(tab) if equal_d else None
    by_rubric = {
        n: [s for s in scores if s.rubric == n] for n in sorted({s.rubric for s in scores})
    }
    codes = [(n, code_rows(u)) for n, u in by_rubric.items() if any(x.counts for x in u)]
    prepost = [(n, rows) for n, u in by_rubric.items() if (rows := prepost_rows(u))]
    return TEMPLATES.get_template("report.html.j2").render(
        generated=(generated or date.today()).isoformat(),
        header=_header(records, manifest.config if manifest else {}),
        rubrics=rubrics,
        arc_fig=arc_fig,
        emotion_fig=emotion_fig,
        valence_labels=[e.value for e in VALENCE],
        valence_values=[f"{v:+.1f}" if v else "0" for v in VALENCE.values()],
        valence_table=valence_table,
        strategy_figs=strategy_figs,
        metric=metric,
        metric_table=metric_table,
        equal_d=equal_d,
        equal_d_table=equal_d_table,
        metric_notes=notes,
        codes=[(n, rows, next(tab)) for n, rows in codes],
        prepost=[(n, rows, next(tab)) for n, rows in prepost],
        validation=validation_section(run, tab),  # last: its tables are numbered last
    )


def write_report(
    run_dir: Path,
    out: Path,
    metrics: dict[str, Any] | None = None,
    *,
    generated: date | None = None,
) -> None:
    """Write :func:`build_report` of ``run_dir`` to ``out`` atomically.

    Raises:
        DataError: as :func:`build_report`.
        OutputError: ``out`` cannot be written.
    """
    html = build_report(run_dir, metrics, generated=generated)
    try:
        write_atomic(out, html)
    except OSError as exc:
        raise cannot_write(out, exc) from None
