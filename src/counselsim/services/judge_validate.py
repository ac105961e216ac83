"""``counselsim judge validate``: can this judge, on this rubric, be trusted?

Judges the known-groups set (:mod:`counselsim.critic.validation`), ``repeats`` times per
reply with the item order reshuffled, and writes ``OUT/validation.json``: known-groups
accuracy and gap per item, agreement with human labels when given, stability over repeats
and item order; by G-Eval and by the sampled scores of the same calls where G-Eval ran.

Every input is read and checked before the model is asked anything. The judge's scores go
to ``OUT/validation/<rubric>.<method>.jsonl`` after each reply (a rerun resumes);
``validation.json`` is written once, atomically, at the end, and not at all when no pair
could be scored (both paths are :class:`~counselsim.runs.RunDir`'s).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from counselsim.config import RunConfig
from counselsim.critic.agreement import HumanLabel, load_human_labels
from counselsim.critic.rubric import Perspective, Rubric, load_rubric
from counselsim.critic.validation.known_groups import (
    LANGUAGES,
    KnownGroupsRow,
    Pair,
    known_pairs,
    load_known_groups,
)
from counselsim.critic.validation.models import SetInfo, ValidationReport
from counselsim.critic.validation.summary import summarise
from counselsim.errors import ConfigError, DataError
from counselsim.labels import ScoreMethod
from counselsim.llm.structured import LLM
from counselsim.personas.models import Language
from counselsim.records import RubricScore
from counselsim.runs import RunDir
from counselsim.services.compose import build_rubric_judge
from counselsim.services.options import ModelFlags

if TYPE_CHECKING:
    from counselsim.critic.judge import RubricJudge


@dataclass(frozen=True)
class ValidateOptions:
    """What to validate: the rubric, the scoring method, repeats, the set (default: the
    shipped one), human labels, where ``validation.json`` goes, and the judge's model
    (``seed`` seeds the judge and the bootstrap)."""

    out: Path
    rubric: str = "core"
    method: ScoreMethod = ScoreMethod.GEVAL
    repeats: int = 1
    human: Path | None = None
    known_set: Path | None = None
    language: Language | None = None
    limit: int | None = None
    per_kind: int | None = None
    resamples: int = 2000
    seed: int = 0
    model: ModelFlags = field(default_factory=ModelFlags)


@dataclass(frozen=True)
class ValidateJob:
    """A checked invocation, with the judge's config."""

    options: ValidateOptions
    rubric: Rubric
    rows: list[KnownGroupsRow]
    pairs: list[Pair]
    human: list[HumanLabel] | None
    config: RunConfig

    @property
    def units(self) -> int:
        """Replies to judge."""
        return 2 * len(self.pairs)


def _check_labels(
    labels: list[HumanLabel], rows: list[KnownGroupsRow], rubric: Rubric, path: Path
) -> None:
    """Human labels must name units of the set and stay on the item's scale."""
    ids = {f"{r.id}.{lang}.{side}" for r in rows for lang in LANGUAGES for side in ("good", "bad")}
    bounds = {d.name: (d.min, d.max) for d in rubric.dimensions}
    for label in labels:
        if label.unit not in ids:
            raise DataError(
                f"{path}: unit '{label.unit}' is not in the known-groups set "
                "(units are named <row id>.<zh|en>.<good|bad>)"
            )
        lo, hi = bounds.get(label.item, (label.score, label.score))
        if not lo <= label.score <= hi:
            raise DataError(
                f"{path}: unit '{label.unit}' item '{label.item}': score {label.score:g} "
                f"outside [{lo}, {hi}]"
            )


def plan_validate(opts: ValidateOptions) -> ValidateJob:
    """Read and check everything but the model.

    Raises:
        ConfigError: an unknown rubric, one answered as the client or without items; a bad
            config file or model flag.
        DataError: a bad known-groups or human-label file (``file:line``), no pair left,
            ``OUT`` not a directory.
    """
    rubric = load_rubric(opts.rubric)
    if rubric.perspective is not Perspective.OBSERVER or not rubric.dimensions:
        raise ConfigError(
            f"rubric '{rubric.name}' cannot be validated on counselor replies: it needs "
            "scored items rated by an observer"
        )
    rubric = rubric.model_copy(update={"codes": [], "ratios": []})  # items only are validated
    if opts.out.exists() and not opts.out.is_dir():
        raise DataError(f"{opts.out}: not a directory")
    rows = load_known_groups(opts.known_set)
    if opts.per_kind is not None:  # a quicker check that still covers every failure kind
        rows = _first_per_kind(rows, opts.per_kind)
    pairs = known_pairs(rows[: opts.limit], (opts.language,) if opts.language else LANGUAGES)
    if not pairs:
        raise DataError(f"no known-groups pair in language '{opts.language}'")
    human = None
    if opts.human is not None:
        human = load_human_labels(opts.human)
        _check_labels(human, rows, rubric, opts.human)
    cfg = opts.model.resolve(seed=opts.seed)
    return ValidateJob(opts, rubric, rows, pairs, human, cfg)


@dataclass(frozen=True)
class ValidateResult:
    """The report and where it was written."""

    report: ValidationReport
    path: Path


async def validate(
    job: ValidateJob,
    on_done: Callable[[RubricScore], None] | None = None,
    llm: LLM | None = None,
) -> ValidateResult:
    """Judge every reply not already judged (same repeats, model and seed), then write the
    report. The judge runs on ``llm`` when given (one model for several rubrics), else on
    the configured one (:mod:`counselsim.services.compose`).

    Raises:
        DataError: no pair could be scored (nothing is written but the judge's scores).
        OutputError: ``OUT`` cannot be written.
    """
    o = job.options
    judge = build_rubric_judge(
        job.config, job.rubric, method=o.method, last_turn_only=True, llm=llm
    )
    scores = await _judge_replies(job, judge, on_done)
    report = _report(job, judge.deps.llm.model_id, scores)
    run = RunDir(o.out)
    path = run.write_text(run.validation_file, report.model_dump_json(indent=2) + "\n")
    return ValidateResult(report, path)


async def _judge_replies(
    job: ValidateJob, judge: RubricJudge, on_done: Callable[[RubricScore], None] | None
) -> dict[str, RubricScore]:
    """Every reply's score, from the cache when it was judged alike, else judged now and
    cached at once (a stopped run resumes)."""
    o, model = job.options, judge.deps.llm.model_id
    cache = RunDir(o.out).validation_score_file(job.rubric.name, o.method)
    scores: dict[str, RubricScore] = {}
    for unit in [u for p in job.pairs for u in (p.good, p.bad)]:
        kept = cache.get(unit.id)
        if kept is None or not _judged_alike(kept, model, o.seed, o.repeats):
            kept = await judge.score(unit, o.repeats, o.seed)
            await asyncio.to_thread(cache.put, kept)
        scores[unit.id] = kept
        if on_done is not None:
            on_done(kept)
    return scores


def _judged_alike(kept: RubricScore, model: str, seed: int, repeats: int) -> bool:
    """A cached score to keep: same model, seed and repeats, and not failed (failed units
    are judged again)."""
    return (kept.model, kept.seed, kept.repeats) == (model, seed, repeats) and (
        kept.status != "failed"
    )


def _report(job: ValidateJob, model: str, scores: dict[str, RubricScore]) -> ValidationReport:
    """The figures of ``scores``.

    Raises:
        DataError: no pair was scored on any item.
    """
    o, pairs = job.options, job.pairs
    use, kg, agree, stable = summarise(
        job.rubric, pairs, scores, job.human, o.method, o.repeats, o.resamples, o.seed
    )
    if kg[0].pairs == 0:
        first = next((e for s in scores.values() for e in s.errors), "no item scored")
        raise DataError(f"the judge scored no known-groups pair: {first}")
    return ValidationReport(
        rubric=job.rubric.name,
        model=model,
        seed=o.seed,
        repeats=o.repeats,
        resamples=o.resamples,
        dataset=SetInfo(
            source=str(o.known_set) if o.known_set else "shipped",
            rows=len({p.id for p in pairs}),
            pairs=len(pairs),
            languages=sorted({p.language for p in pairs}),
            kinds=dict(sorted(Counter(p.kind for p in pairs).items())),
        ),
        methods=use,
        known_groups=kg,
        agreement=agree,
        stability=stable,
        notes=_notes(o, use.geval, use.fallbacks),
    )


def _notes(o: ValidateOptions, geval: int, fallbacks: dict[str, int]) -> list[str]:
    notes = []
    if o.method == ScoreMethod.GEVAL and not geval:
        cause = next(iter(fallbacks), "unknown")
        notes.append(f"G-Eval was asked for but never available ({cause}): sampled figures only")
    elif fallbacks:
        notes.append(
            f"G-Eval fell back to the sampled score in {sum(fallbacks.values())} judgement(s)"
        )
    if o.repeats == 1:
        notes.append("one judgement per reply: stability over repeats and item order not measured")
    return notes


def _first_per_kind(rows: list[KnownGroupsRow], n: int) -> list[KnownGroupsRow]:
    """The first ``n`` scenarios of each failure kind, in file order."""
    taken: Counter[str] = Counter()
    kept = []
    for row in rows:
        taken[row.kind] += 1
        if taken[row.kind] <= n:
            kept.append(row)
    return kept
