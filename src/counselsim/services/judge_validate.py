"""``counselsim judge validate``: can this judge, on this rubric, be trusted?

Judges the known-groups set (:mod:`counselsim.critic.validation`), ``repeats`` times per
reply with the item order reshuffled, and writes ``OUT/validation.json``: known-groups
accuracy and gap per item, agreement with human labels when given, stability over repeats
and item order; by G-Eval and by the sampled scores of the same calls where G-Eval ran.

Every input is read and checked before the model is asked anything. The judge's scores go
to ``OUT/validation/<rubric>.<method>.jsonl`` after each reply (a rerun resumes);
``validation.json`` is written once, atomically, at the end, and not at all when no pair
could be scored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from counselsim.agents.base import AgentDeps
from counselsim.critic.agreement import HumanLabel, load_human_labels
from counselsim.critic.judge import Method, RubricJudge
from counselsim.critic.rubric import Perspective, Rubric, load_rubric
from counselsim.critic.scoring import ScoreFile
from counselsim.critic.validation.known_groups import (
    LANGUAGES,
    KnownGroupsRow,
    Language,
    Pair,
    known_pairs,
    load_known_groups,
)
from counselsim.critic.validation.models import SetInfo, ValidationReport
from counselsim.critic.validation.summary import summarise
from counselsim.errors import ConfigError, DataError
from counselsim.output import write_atomic
from counselsim.records import RubricScore

VALIDATION_FILE = "validation.json"
CACHE_DIR = "validation"


@dataclass(frozen=True)
class ValidateOptions:
    """What to validate: the rubric, the scoring method, repeats, the set (default: the
    shipped one), human labels, and where ``validation.json`` goes."""

    out: Path
    rubric: str = "core"
    method: Method = "geval"
    repeats: int = 1
    human: Path | None = None
    known_set: Path | None = None
    language: Language | None = None
    limit: int | None = None
    resamples: int = 2000
    seed: int = 0


@dataclass(frozen=True)
class ValidateJob:
    """A checked invocation."""

    options: ValidateOptions
    rubric: Rubric
    rows: list[KnownGroupsRow]
    pairs: list[Pair]
    human: list[HumanLabel] | None

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
        ConfigError: an unknown rubric, one answered as the client or without items.
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
    pairs = known_pairs(rows[: opts.limit], (opts.language,) if opts.language else LANGUAGES)
    if not pairs:
        raise DataError(f"no known-groups pair in language '{opts.language}'")
    human = None
    if opts.human is not None:
        human = load_human_labels(opts.human)
        _check_labels(human, rows, rubric, opts.human)
    return ValidateJob(opts, rubric, rows, pairs, human)


@dataclass(frozen=True)
class ValidateResult:
    """The report and where it was written."""

    report: ValidationReport
    path: Path


async def validate(
    job: ValidateJob, deps: AgentDeps, on_done: Callable[[RubricScore], None] | None = None
) -> ValidateResult:
    """Judge every reply not already judged (same repeats, model and seed), then write the
    report.

    Raises:
        DataError: no pair could be scored (nothing is written but the judge's scores).
    """
    scores = await _judge_replies(job, deps, on_done)
    report = _report(job, deps.llm.model_id, scores)
    path = job.options.out / VALIDATION_FILE
    write_atomic(path, report.model_dump_json(indent=2) + "\n")
    return ValidateResult(report, path)


async def _judge_replies(
    job: ValidateJob, deps: AgentDeps, on_done: Callable[[RubricScore], None] | None
) -> dict[str, RubricScore]:
    """Every reply's score, from the cache when it was judged alike, else judged now and
    cached at once (a stopped run resumes)."""
    o, model = job.options, deps.llm.model_id
    judge = RubricJudge(deps, job.rubric, method=o.method, last_turn_only=True)
    name = job.rubric.name.replace(":", "-")
    cache = ScoreFile(o.out / CACHE_DIR / f"{name}.{o.method}.jsonl")
    for unit in [u for p in job.pairs for u in (p.good, p.bad)]:
        kept = cache.scores.get(unit.id)
        alike = kept is not None and (kept.model, kept.seed) == (model, o.seed)
        if not (alike and cache.done(unit.id, o.repeats)):
            cache.write(await judge.score(unit, o.repeats, o.seed))
        if on_done is not None:
            on_done(cache.scores[unit.id])
    return {u.id: cache.scores[u.id] for p in job.pairs for u in (p.good, p.bad)}


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
    if o.method == "geval" and not geval:
        cause = next(iter(fallbacks), "unknown")
        notes.append(f"G-Eval was asked for but never available ({cause}): sampled figures only")
    elif fallbacks:
        notes.append(
            f"G-Eval fell back to the sampled score in {sum(fallbacks.values())} judgement(s)"
        )
    if o.repeats == 1:
        notes.append("one judgement per reply: stability over repeats and item order not measured")
    return notes
