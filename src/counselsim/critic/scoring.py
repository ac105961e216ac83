"""``counselsim score``: a rubric on a run directory or an imported corpus, repeated.

Writes ``OUT/scores/<rubric>.jsonl`` (one :class:`~counselsim.records.RubricScore` per unit,
rewritten atomically after each, so a rerun resumes) and ``<rubric>.summary.json``
(:class:`~counselsim.runs.ScoreSummary`: per item
the mean over units, the spread between units and the judge's own spread between repeats,
and, given human labels, the agreement with them).
"""

from __future__ import annotations

import asyncio
import logging
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

from counselsim.critic.agreement import HumanLabel, agreement
from counselsim.critic.compare import PairJudge
from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import Rubric
from counselsim.critic.tally import run_evidence
from counselsim.critic.units import ScoreUnit, units_from_dialogues, units_from_records
from counselsim.errors import DataError
from counselsim.records import Comparison, RubricScore
from counselsim.runs import ComparisonSummary, ItemWins, RunDir, ScoreSummary, ValueStats

log = logging.getLogger(__name__)
SCORES_DIR = RunDir.SCORES


def load_units(src: Path, fmt: str | None = None) -> list[ScoreUnit]:
    """What to score: a run directory, a ``sessions.jsonl``, or (``fmt``) an imported corpus.

    Raises:
        DataError: missing input, unreadable records, or nothing to score.
    """
    if fmt:
        from counselsim.importers.corpus import load_corpus

        dialogues, failures = asyncio.run(load_corpus(src, fmt))
        if failures:
            raise DataError(f"{failures[0]} ({len(failures)} unreadable record(s) in all)")
        units = units_from_dialogues(dialogues)
        if not units:
            raise DataError(f"{src}: empty corpus, nothing to score")
        return units
    run = RunDir.at(src)
    return units_from_records(run.sessions(), run.profiles())


async def run_scoring(
    judge: RubricJudge,
    units: Sequence[ScoreUnit],
    out_dir: Path,
    repeats: int,
    seed: int = 0,
    on_done: Callable[[RubricScore], None] | None = None,
) -> list[RubricScore]:
    """Judge every unit not already in ``out_dir/scores/<rubric>.jsonl`` with as many
    repeats (failed units are judged again); returns the scores of ``units``."""
    sink = RunDir(out_dir).score_file(judge.rubric.name)
    for unit in units:
        old = sink.get(unit.id)
        if old is not None and old.repeats == repeats and old.status != "failed":
            continue
        score = await judge.score(unit, repeats, seed)
        await asyncio.to_thread(sink.put, score)
        if on_done is not None:
            on_done(score)
    return [s for u in units if (s := sink.get(u.id)) is not None]


def summarize(
    rubric: Rubric, scores: Sequence[RubricScore], human: Sequence[HumanLabel] | None = None
) -> ScoreSummary:
    """Per value over the units: mean, spread between units, the judge's mean spread between
    repeats; counts of scored, partial and failed units; agreement with human labels."""
    ok = [s for s in scores if s.status != "failed"]
    out = ScoreSummary(
        rubric=rubric.name,
        units=len(scores),
        scored=sum(s.status == "scored" for s in scores),
        partial=sum(s.status == "partial" for s in scores),
        failed=sum(s.status == "failed" for s in scores),
        repeats=max((s.repeats for s in scores), default=0),
        evidence=run_evidence(s.evidence for s in scores),
    )
    for part in ("items", "groups", "counts", "ratios"):
        keys = dict.fromkeys(k for s in ok for k in getattr(s, part))
        block = {}
        for k in keys:
            stats = [getattr(s, part)[k] for s in ok if k in getattr(s, part)]
            means = [st.mean for st in stats]
            block[k] = ValueStats(
                mean=round(statistics.fmean(means), 4),
                sd_between_units=round(statistics.stdev(means), 4) if len(means) > 1 else 0.0,
                judge_sd=round(statistics.fmean(st.sd for st in stats), 4),
                n=len(means),
            )
        setattr(out, part, block)
    if human:
        judged = {(s.unit, k): st.mean for s in ok for k, st in s.items.items()}
        bounds = {d.name: (d.min, d.max) for d in rubric.dimensions}
        for phase in ("pre", "post"):  # a before/after rubric's items carry their phase
            bounds |= {f"{phase}.{d.name}": (d.min, d.max) for d in rubric.dimensions}
        out.agreement = agreement(judged, list(human), bounds)
    return out


def write_summary(summary: ScoreSummary | ComparisonSummary, out_dir: Path) -> Path:
    """Write ``scores/<rubric>.summary.json`` atomically (``<rubric>.compare.summary.json``
    for a comparison); returns its path."""
    run = RunDir(out_dir)
    suffix = ".compare.summary.json" if isinstance(summary, ComparisonSummary) else ".summary.json"
    return run.write_json(run.score_path(summary.rubric, suffix), summary)


def pair_units(
    a: Sequence[ScoreUnit], b: Sequence[ScoreUnit]
) -> tuple[list[tuple[ScoreUnit, ScoreUnit]], list[str]]:
    """Units of two runs matched by persona and session (or dialogue id); the keys found on
    one side only are returned too, to be reported."""
    by_key = {u.pair_key: u for u in b}
    pairs = [(u, by_key[u.pair_key]) for u in a if u.pair_key in by_key]
    matched = {x.pair_key for x, _ in pairs}
    unmatched = [u.pair_key for u in [*a, *b] if u.pair_key not in matched]
    return pairs, unmatched


async def run_comparison(
    judge: PairJudge,
    pairs: Sequence[tuple[ScoreUnit, ScoreUnit]],
    out_dir: Path,
    repeats: int,
    seed: int = 0,
    on_done: Callable[[Comparison], None] | None = None,
) -> list[Comparison]:
    """Compare every pair not already in ``scores/<rubric>.compare.jsonl`` (rewritten
    atomically after each)."""
    sink = RunDir(out_dir).comparison_file(judge.rubric.name)
    for a, b in pairs:
        old = sink.get((a.id, b.id))
        if old is not None and old.repeats == repeats and old.status != "failed":
            continue
        comparison = await judge.compare(a, b, repeats, seed)
        await asyncio.to_thread(sink.put, comparison)
        if on_done is not None:
            on_done(comparison)
    return [c for a, b in pairs if (c := sink.get((a.id, b.id))) is not None]


def summarize_comparisons(rubric: Rubric, comparisons: Sequence[Comparison]) -> ComparisonSummary:
    """Per item: A's wins, B's wins, ties and A's win rate (a tie counts half); the mean
    position consistency and the pooled first-position rate over the pairs."""
    ok = [c for c in comparisons if c.status != "failed"]
    items = {}
    for d in rubric.dimensions:
        a = sum(c.wins[d.name]["a"] for c in ok)
        b = sum(c.wins[d.name]["b"] for c in ok)
        tie = sum(c.wins[d.name]["tie"] for c in ok)
        n = a + b + tie
        items[d.name] = ItemWins(
            a=a, b=b, tie=tie, a_win_rate=round((a + tie / 2) / n, 4) if n else None
        )
    consistency = [c.position_consistency for c in ok if c.position_consistency is not None]
    first = [c.first_position_rate for c in ok if c.first_position_rate is not None]
    return ComparisonSummary(
        rubric=rubric.name,
        pairs=len(comparisons),
        failed=len(comparisons) - len(ok),
        items=items,
        position_consistency=round(statistics.fmean(consistency), 4) if consistency else None,
        first_position_rate=round(statistics.fmean(first), 4) if first else None,
    )
