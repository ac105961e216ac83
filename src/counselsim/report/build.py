"""The run report: one self-contained HTML page from a run directory.

Read from ``run_dir`` through its :class:`~counselsim.runs.RunDir`: ``sessions.jsonl``
(required), ``scores/*.jsonl`` (rubric scores of ``counselsim score``; not the pairwise
``*.compare.jsonl``, which the page does not show), ``metrics.json``, ``run.json`` and
``validation.json`` (all optional). Every figure is an inline SVG from
:mod:`counselsim.report.charts`; the page loads nothing from anywhere.

Definitions used on the page:

- **valence** of a client turn: the mean of :data:`VALENCE` over its emotion labels (a turn
  without labels has none and is left out of the means);
- **share** of a label in a group of turns: :func:`counselsim.metrics.measures.label_shares`
  (every labelled turn carries weight 1, split equally among its distinct labels, so the
  shares of a group sum to 1), as in ``metrics.json``;
- **position** of a counselor turn ``i`` of ``n`` in its session: opening, middle or closing
  third by ``floor(3 * (i + 0.5) / n)``.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import count
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from counselsim.critic.rubric import load_rubric
from counselsim.errors import CounselsimError, DataError
from counselsim.labels import Emotion, Stage, Strategy
from counselsim.metrics.measures import label_shares
from counselsim.records import ClientTurn, CounselorTurn, RubricScore, SessionRecord
from counselsim.report.charts import ArcPoint, Bar, Strip, arc_chart, stacked_bars, strip_plot
from counselsim.report.validation import validation_section
from counselsim.runs import RunDir
from counselsim.runs.files import cannot_write, write_atomic

VALENCE: dict[Emotion, float] = {
    Emotion.HAPPINESS: 1.0,
    Emotion.NEUTRAL: 0.0,
    Emotion.OTHERS: 0.0,
    Emotion.ANXIETY: -0.5,
    Emotion.FEAR: -0.6,
    Emotion.ANGER: -0.6,
    Emotion.GUILTY: -0.7,
    Emotion.SHAME: -0.7,
    Emotion.SADNESS: -0.8,
    Emotion.DEPRESSION: -1.0,
}
"""Valence of each client emotion label on [-1, 1]: Happiness is the only positive label,
Neutral and the unspecific Others sit at 0, and the negative labels are ordered from the
activating, future-oriented ones (Anxiety, then Fear and Anger) through the self-conscious
ones (Guilty, Shame) to the low, withdrawn ones (Sadness, Depression). An ordinal reading
for plotting, not a validated scale."""

EMOTION_COLORS: dict[Emotion, str] = {
    Emotion.HAPPINESS: "#44AA99",
    Emotion.NEUTRAL: "#DDDDDD",
    Emotion.OTHERS: "#BBBBBB",
    Emotion.ANXIETY: "#DDCC77",
    Emotion.FEAR: "#999933",
    Emotion.ANGER: "#CC6677",
    Emotion.GUILTY: "#AA4499",
    Emotion.SHAME: "#882255",
    Emotion.SADNESS: "#88CCEE",
    Emotion.DEPRESSION: "#332288",
}
"""Emotion colours (Paul Tol's muted scheme), listed in :data:`VALENCE` order."""

STRATEGY_COLORS: dict[Strategy, str] = {
    Strategy.QUESTION: "#88CCEE",
    Strategy.RESTATEMENT: "#44AA99",
    Strategy.REFLECTION: "#117733",
    Strategy.SELF_DISCLOSURE: "#999933",
    Strategy.AFFIRMATION: "#DDCC77",
    Strategy.SUGGESTION: "#CC6677",
    Strategy.INFORMATION: "#882255",
    Strategy.ROLE_PLAY: "#AA4499",
    Strategy.OTHERS: "#BBBBBB",
}
"""Strategy colours: exploring (blue, green) through supporting (olive, sand) to directing
(rose, wine, purple); Others grey."""

THIRDS = ("opening", "middle", "closing")
L = TypeVar("L", bound=str)

_ENV = Environment(
    loader=PackageLoader("counselsim.report", "templates"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# --------------------------------------------------------------------------- emotions, strategies


def turn_valence(labels: Iterable[Emotion]) -> float | None:
    """The mean :data:`VALENCE` of a turn's distinct labels; None without labels."""
    distinct = list(dict.fromkeys(labels))
    return sum(VALENCE[e] for e in distinct) / len(distinct) if distinct else None


def _client_turns(rec: SessionRecord) -> list[ClientTurn]:
    return [t for t in rec.turns if isinstance(t, ClientTurn)]


def _counselor_turns(rec: SessionRecord) -> list[CounselorTurn]:
    return [t for t in rec.turns if isinstance(t, CounselorTurn)]


def emotion_arc(records: Sequence[SessionRecord]) -> list[tuple[int, list[ArcPoint]]]:
    """Per session index, per client-turn position in the session: the mean valence over
    the courses whose session has a labelled turn there, and how many those are."""
    by_session: dict[int, list[list[float | None]]] = defaultdict(list)
    for rec in records:
        by_session[rec.session_index].append([turn_valence(t.emotion) for t in _client_turns(rec)])
    arc: list[tuple[int, list[ArcPoint]]] = []
    for s in sorted(by_session):
        seqs = by_session[s]
        points = []
        for k in range(max(len(q) for q in seqs)):
            vals = [v for q in seqs if k < len(q) and (v := q[k]) is not None]
            points.append(ArcPoint(sum(vals) / len(vals) if vals else None, len(vals)))
        arc.append((s, points))
    return arc


def third(i: int, n: int) -> int:
    """0, 1 or 2: the opening, middle or closing third for turn ``i`` (0-based) of ``n``."""
    return min(2, int(3 * (i + 0.5) / n))


def _bars(groups: Mapping[str, Sequence[Sequence[str]]], categories: Iterable[str]) -> list[Bar]:
    """One bar per group of turns (given as their label lists): the label shares in
    ``categories`` order and the number of labelled turns."""
    cats = list(categories)
    bars = []
    for name, turns in groups.items():
        shares, n = label_shares(turns)
        bars.append(Bar(name, [shares.get(c, 0.0) for c in cats], n))
    return bars


def strategy_by_stage(records: Sequence[SessionRecord]) -> list[Bar]:
    """One bar per plan stage present (in :class:`Stage` order): strategy shares."""
    by_stage: dict[Stage, list[list[Strategy]]] = defaultdict(list)
    for rec in records:
        if rec.plan is not None:  # practice sessions (a trainee counseled) have no plan
            by_stage[rec.plan.stage] += [t.strategy for t in _counselor_turns(rec)]
    return _bars({s.value: by_stage[s] for s in Stage if s in by_stage}, STRATEGY_COLORS)


def strategy_by_third(records: Sequence[SessionRecord]) -> list[Bar]:
    """One bar per third of the session's counselor turns (opening, middle, closing)."""
    parts: list[list[list[Strategy]]] = [[], [], []]
    for rec in records:
        turns = _counselor_turns(rec)
        for i, t in enumerate(turns):
            parts[third(i, len(turns))].append(t.strategy)
    return _bars({n: p for n, p in zip(THIRDS, parts, strict=True) if p}, STRATEGY_COLORS)


def emotion_by_session(records: Sequence[SessionRecord]) -> list[Bar]:
    """One bar per session index: the emotion shares of its client turns over courses."""
    by_session: dict[int, list[list[Emotion]]] = defaultdict(list)
    for rec in records:
        by_session[rec.session_index] += [t.emotion for t in _client_turns(rec)]
    return _bars({f"S{s}": by_session[s] for s in sorted(by_session)}, EMOTION_COLORS)


# --------------------------------------------------------------------------- rubric scores


def fmt(v: float | None) -> str:
    """A number for a table, to 2 decimals; an em dash for a missing one."""
    return "—" if v is None else f"{v:.2f}"


def mean_sd(values: Sequence[float]) -> str:
    """``mean ± sd`` (sample sd) of the values; ``mean`` alone for one, a dash for none."""
    if len(values) < 2:
        return fmt(values[0] if values else None)
    return f"{fmt(statistics.fmean(values))} ± {fmt(statistics.stdev(values))}"


@dataclass
class Dim:
    """One scored dimension of one rubric, over units: per-unit means and spreads."""

    name: str
    lo: float
    hi: float
    means: list[float] = field(default_factory=list)
    spreads: list[float] = field(default_factory=list)


@dataclass
class RubricSummary:
    """A rubric's per-dimension values over units, and how many units were not scored."""

    name: str
    source: str
    bounds_from: str
    dims: list[Dim]
    units: int
    partial: int
    failures: list[tuple[str, int]]

    @property
    def not_scored(self) -> int:
        """How many units have no score at all."""
        return sum(n for _, n in self.failures)

    @property
    def scored(self) -> int:
        """How many units have every score."""
        return self.units - self.partial - self.not_scored


def critic_summaries(records: Sequence[SessionRecord]) -> list[RubricSummary]:
    """The in-course critic's reports, one summary per rubric name."""
    out = []
    for name in sorted({r.critic.rubric for r in records}):
        reports = [r.critic for r in records if r.critic.rubric == name]
        dims: dict[str, Dim] = {}
        for rep in reports:
            for s in rep.scores:
                d = dims.setdefault(s.dimension, Dim(s.dimension, s.min, s.max))
                d.lo, d.hi = min(d.lo, s.min), max(d.hi, s.max)
                d.means.append(s.score)
        causes = Counter(rep.error or "unknown" for rep in reports if rep.status == "failed")
        out.append(
            RubricSummary(
                name=name,
                source="in-course critic",
                bounds_from="the critic's report",
                dims=list(dims.values()),
                units=len(reports),
                partial=0,
                failures=sorted(causes.items()),
            )
        )
    return out


def _rubric_bounds(name: str) -> dict[str, tuple[int, int]] | None:
    try:
        rubric = load_rubric(name)
    except CounselsimError:
        return None
    return {d.name: (d.min, d.max) for d in rubric.dimensions}


def score_summaries(scores: Sequence[RubricScore]) -> list[RubricSummary]:
    """Rubric scores (``scores/*.jsonl``), one summary per rubric: the items (not the
    ``delta.*`` ones) with their bounds from the packaged rubric when its name loads, else
    from the range of the data."""
    out = []
    for name in sorted({s.rubric for s in scores}):
        units = [s for s in scores if s.rubric == name]
        scored = [u for u in units if u.status != "failed"]
        known = _rubric_bounds(name)
        dims = []
        for key in dict.fromkeys(k for u in scored for k in u.items if not k.startswith("delta.")):
            stats = [u.items[key] for u in scored if key in u.items]
            base = key.removeprefix("pre.").removeprefix("post.")
            lo, hi = (known or {}).get(base) or (
                min(s.min for s in stats),
                max(s.max for s in stats),
            )
            dims.append(Dim(key, lo, hi, [s.mean for s in stats], [s.sd for s in stats]))
        causes = Counter((u.errors or ["unknown"])[0] for u in units if u.status == "failed")
        out.append(
            RubricSummary(
                name=name,
                source="rubric judge",
                bounds_from="the rubric file" if known else "the range of the data",
                dims=dims,
                units=len(units),
                partial=sum(u.status == "partial" for u in units),
                failures=sorted(causes.items()),
            )
        )
    return out


def code_rows(units: Sequence[RubricScore]) -> list[list[str]]:
    """Behaviour codes (MITI): per code and ratio, ``[name, n units, mean ± sd]``."""
    rows = []
    for part, prefix in (("counts", ""), ("ratios", "ratio ")):
        values = [getattr(u, part) for u in units]
        for key in dict.fromkeys(k for v in values for k in v):
            means = [v[key].mean for v in values if key in v]
            rows.append([prefix + key, str(len(means)), mean_sd(means)])
    return rows


def prepost_rows(units: Sequence[RubricScore]) -> list[list[str]]:
    """Before/after values (PANAS): per subscale then item, ``[name, pre, post, delta, n]``
    as mean ± sd over units; ``n`` counts the units with a delta."""
    rows = []
    for part in ("groups", "items"):
        values = [getattr(u, part) for u in units]
        for name in dict.fromkeys(k[4:] for v in values for k in v if k.startswith("pre.")):
            pre, post, delta = (
                [v[p + name].mean for v in values if p + name in v]
                for p in ("pre.", "post.", "delta.")
            )
            rows.append([name, mean_sd(pre), mean_sd(post), mean_sd(delta), str(len(delta))])
    return rows


# --------------------------------------------------------------------------- metrics


def fmt_metric(value: Any, scale: Any = None) -> str:
    """A metric value: a float to 3 decimals when ``scale`` (default: the value itself) is
    below 10 in size, else to 2; a dash for None; anything else as it is."""
    if not isinstance(value, float):
        return "—" if value is None else str(value)
    ref = scale if isinstance(scale, int | float) else value
    return f"{value:,.{3 if abs(ref) < 10 else 2}f}"


def _flatten(block: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, str]]:
    """Scalar leaves as ``(dotted.key, text)``; a ``{mean, sd}`` pair is one ``m ± sd``.
    Lists (paths, notes, the per-input blocks) and the block's ``input`` name are not rows."""
    for key, value in block.items():
        if isinstance(value, dict) and set(value) == {"mean", "sd"}:
            mean, sd = value["mean"], value["sd"]
            yield f"{prefix}{key}", f"{fmt_metric(mean)} ± {fmt_metric(sd, mean)}"
        elif isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        elif key != "input" and (value is None or isinstance(value, str | int | float)):
            yield f"{prefix}{key}", fmt_metric(value)


@dataclass
class MetricTable:
    """Flattened metric keys as rows, one value column per block (input)."""

    columns: list[str]
    rows: list[list[str]]


def _table(blocks: Sequence[dict[str, Any]], columns: list[str]) -> MetricTable:
    flat = [dict(_flatten(b)) for b in blocks]
    keys = list(dict.fromkeys(k for f in flat for k in f))
    groups = list(dict.fromkeys(k.rpartition(".")[0] for k in keys))
    keys.sort(key=lambda k: groups.index(k.rpartition(".")[0]))  # stable: keeps groups together
    return MetricTable(columns, [[k, *(f.get(k, "—") for f in flat)] for k in keys])


def _blocks(value: Any) -> list[dict[str, Any]]:
    """The objects of a list (the per-input blocks); none when ``value`` is not a list."""
    return [b for b in value if isinstance(b, dict)] if isinstance(value, list) else []


def _names(blocks: Sequence[dict[str, Any]]) -> list[str]:
    return [str(b.get("input", f"input {i + 1}")) for i, b in enumerate(blocks)]


def metric_tables(metrics: dict[str, Any]) -> tuple[MetricTable, MetricTable | None, list[str]]:
    """The metrics as tables, nested keys joined with dots: the measures (one column per
    entry of ``inputs`` plus the pooled top level, else one column), the LDD at equal D
    (one column per entry of ``equal_d.inputs``, when given), and the notes."""
    inputs = _blocks(metrics.get("inputs"))
    if inputs:
        main = _table([*inputs, metrics], [*_names(inputs), "pooled"])
    else:
        paths = metrics.get("paths")
        name = str(paths[0]) if isinstance(paths, list) and len(paths) == 1 else "value"
        main = _table([metrics], [name])
    equal_d = metrics.get("equal_d")
    per_input = _blocks(equal_d.get("inputs")) if isinstance(equal_d, dict) else []
    equal = _table(per_input, _names(per_input)) if per_input else None
    notes = metrics.get("notes")
    return main, equal, [str(n) for n in notes] if isinstance(notes, list) else []


# --------------------------------------------------------------------------- page


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
    counselor = sum(len(_counselor_turns(r)) for r in records)
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
    return _ENV.get_template("report.html.j2").render(
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
