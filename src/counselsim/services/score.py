"""``counselsim score``: a rubric on a run or a corpus, K times per unit, or two runs
compared pairwise; the scores go to ``OUT/scores/`` (see :mod:`counselsim.critic.scoring`)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from counselsim.config import RunConfig, Step
from counselsim.critic.agreement import HumanLabel, load_human_labels
from counselsim.critic.rubric import Rubric, load_rubric
from counselsim.critic.scoring import (
    load_units,
    pair_units,
    run_comparison,
    run_scoring,
    summarize,
    summarize_comparisons,
    write_summary,
)
from counselsim.critic.units import ScoreUnit
from counselsim.errors import ConfigError, DataError
from counselsim.labels import ScoreMethod
from counselsim.records import RubricScore
from counselsim.runs import ComparisonSummary, ScoreSummary, refuse_same_path
from counselsim.services.compose import build_pair_judge, build_rubric_judge
from counselsim.services.options import ModelFlags


@dataclass(frozen=True)
class ScoreOptions:
    """``counselsim score``: what to score (a run, a sessions file, or a corpus of format
    ``fmt``), the rubric, repeats, where ``scores/`` goes, how items are scored (``method``:
    G-Eval where the engine gives log-probabilities, else the sampled scores; not used by a
    pairwise comparison), and the judge's model."""

    src: Path
    rubric: str = "core"
    repeats: int = 1
    fmt: str | None = None
    out: Path | None = None
    human: Path | None = None
    against: Path | None = None
    turns_per_unit: int | None = None
    limit: int | None = None
    temperature: float | None = None
    method: ScoreMethod = ScoreMethod.GEVAL
    seed: int | None = None
    model: ModelFlags = field(default_factory=ModelFlags)

    @property
    def target(self) -> Path:
        """The directory ``scores/`` is written into."""
        return self.out or self.src


@dataclass(frozen=True)
class ScoreJob:
    """A checked invocation: the rubric, the units (or pairs), human labels, the config."""

    options: ScoreOptions
    rubric: Rubric
    units: list[ScoreUnit]
    pairs: list[tuple[ScoreUnit, ScoreUnit]]
    unmatched: list[str]
    human: list[HumanLabel] | None
    config: RunConfig

    @property
    def judged(self) -> int:
        """Units (or pairs) to judge."""
        return len(self.pairs) or len(self.units)


def plan_score(opts: ScoreOptions) -> ScoreJob:
    """Read everything a score run needs except the model, checking it on the way.

    Raises:
        ConfigError: an unknown rubric, a bad flag, no ``--out`` for a corpus, ``--out``
            that is an input.
        DataError: unreadable input, nothing to score, no pair in common.
    """
    rubric = load_rubric(opts.rubric)
    if opts.out is None and (opts.fmt or not opts.src.is_dir()):
        raise ConfigError("--out is required unless SRC is a run directory")
    if opts.out is not None:
        refuse_same_path(opts.out, opts.src, opts.human, opts.against)
    human = load_human_labels(opts.human) if opts.human else None
    units = load_units(opts.src, opts.fmt)[: opts.limit]
    pairs: list[tuple[ScoreUnit, ScoreUnit]] = []
    unmatched: list[str] = []
    if opts.against is not None:
        pairs, unmatched = pair_units(units, load_units(opts.against, opts.fmt))
        if not pairs:
            raise DataError(f"{opts.src} and {opts.against} have no session or dialogue in common")
    sampling = (
        {Step.CRITIC.value: {"temperature": opts.temperature}}
        if opts.temperature is not None
        else None
    )
    cfg = opts.model.resolve(seed=opts.seed, sampling=sampling)
    return ScoreJob(opts, rubric, units, pairs, unmatched, human, cfg)


@dataclass(frozen=True)
class ScoreResult:
    """What a score run wrote: the summary and its file."""

    summary: ScoreSummary | ComparisonSummary
    path: Path

    @property
    def exit_code(self) -> int:
        """0 when every unit (pair) was judged, 1 when some failed, 2 when none could be."""
        s = self.summary
        total = s.units if isinstance(s, ScoreSummary) else s.pairs
        if s.failed and s.failed >= total:
            return 2
        return 1 if s.failed else 0


def score(job: ScoreJob, on_done: Callable[[object], None] | None = None) -> ScoreResult:
    """Judge the job's units (or compare its pairs) on the configured model; scores already
    in ``scores/`` with as many repeats are kept (a rerun resumes)."""
    o, cfg = job.options, job.config
    if job.pairs:
        pair_judge = build_pair_judge(cfg, job.rubric)
        comparisons = asyncio.run(
            run_comparison(pair_judge, job.pairs, o.target, o.repeats, cfg.seed, on_done)
        )
        compared = summarize_comparisons(job.rubric, comparisons)
        return ScoreResult(compared, write_summary(compared, o.target))
    judge = build_rubric_judge(cfg, job.rubric, o.turns_per_unit, method=o.method)
    scores: list[RubricScore] = asyncio.run(
        run_scoring(judge, job.units, o.target, o.repeats, cfg.seed, on_done)
    )
    summary = summarize(job.rubric, scores, job.human)
    return ScoreResult(summary, write_summary(summary, o.target))
