"""The report's tables: rubric scores summarised per rubric and dimension, behaviour codes
and before/after values, and ``metrics.json`` flattened into rows."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from counselsim.critic.rubric import load_rubric
from counselsim.errors import CounselsimError
from counselsim.records import RubricScore, SessionRecord

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
