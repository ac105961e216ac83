"""The rubric judge: any packaged or user rubric on a session, repeated, with spread.

Per repeat the judge sees the rubric's items in another (seeded) order, so a repeat measures
order sensitivity even at temperature 0; the first repeat keeps the file order. Every call is
kept as a :class:`~counselsim.records.Judgement`; a call whose output stays invalid after
repair is a failed judgement with its cause, never a default score.

With ``method=ScoreMethod.GEVAL`` (the default) each item's value is G-Eval's
probability-weighted mean over its allowed scores where the engine returns token
log-probabilities (:mod:`counselsim.critic.geval`); elsewhere the sampled scores are used,
and the judgement records why (``fallback``). The sampled scores are kept either way, so
one run gives both. A later step (evidence bounds) may cap or floor a judgement's values
before :func:`fold`.
"""

from __future__ import annotations

import logging
import random
import statistics
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel

from counselsim.agents.base import AgentDeps, messages
from counselsim.config import Step, derive_seed
from counselsim.critic.bounds import SessionEvidence, bound_judgements, with_evidence_of
from counselsim.critic.geval import NoDistribution, geval_scores, tokens_from_openai
from counselsim.critic.rubric import Level, Perspective, Rubric, RubricView, Timing
from counselsim.critic.units import ScoreUnit, unit_text
from counselsim.errors import StructuredOutputError
from counselsim.labels import ScoreMethod
from counselsim.llm.structured import Answer
from counselsim.records import Judgement, RubricScore, Stat

log = logging.getLogger(__name__)


def stat(values: Sequence[float]) -> Stat:
    """Mean, sample standard deviation (0 for one value), range and count."""
    return Stat(
        mean=round(statistics.fmean(values), 4),
        sd=round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
        min=min(values),
        max=max(values),
        n=len(values),
    )


def sample_evenly(indices: Sequence[int], k: int | None) -> list[int]:
    """``k`` of ``indices`` spread evenly over the session (all when ``k`` is None)."""
    if k is None or k >= len(indices):
        return list(indices)
    n = len(indices)
    return [indices[int((i + 0.5) * n / k)] for i in range(k)]


class RubricJudge:
    """Applies one rubric to units.

    Args:
        deps: the judge's model, prompts and sampling.
        rubric: what to score.
        context_turns: turns shown before a judged turn (turn-level items and codes).
        turns_per_unit: judge at most this many target turns per unit, spread evenly
            (turn-level items and codes); None judges every one.
        method: ``geval`` reads item values off the score tokens' distribution where the
            engine gives one (else falls back to the sampled scores); ``sampled`` does not
            ask for log-probabilities.
        last_turn_only: turn-level items and codes judge only each unit's last target turn
            (a known-groups pair differs only there).
    """

    def __init__(
        self,
        deps: AgentDeps,
        rubric: Rubric,
        context_turns: int = 8,
        turns_per_unit: int | None = None,
        method: ScoreMethod = ScoreMethod.GEVAL,
        last_turn_only: bool = False,
    ) -> None:
        self.deps = deps
        self.rubric = rubric
        self.context_turns = context_turns
        self.turns_per_unit = turns_per_unit
        self.method = method
        self.last_turn_only = last_turn_only
        self._warned: set[str] = set()

    def _order(self, repeat: int, seed: int, unit: ScoreUnit) -> list[str]:
        names = [d.name for d in self.rubric.dimensions]
        if repeat > 0:
            random.Random(derive_seed(seed, unit.id, self.rubric.name, repeat)).shuffle(names)
        return names

    def _dims(self, order: Sequence[str], lang: str) -> list[dict[str, Any]]:
        by_name = {d.name: d for d in self.rubric.dimensions}
        return [
            {
                "name": n,
                "min": by_name[n].min,
                "max": by_name[n].max,
                "text": by_name[n].text(lang),
                "anchors": by_name[n].anchor_texts(lang),
            }
            for n in order
        ]

    async def _ask(
        self, template: str, schema: type[BaseModel], unit: ScoreUnit, seed: int, **ctx: Any
    ) -> Answer[BaseModel] | str:
        """The judge's structured answer (with the token log-probabilities G-Eval needs, for
        scores), or the cause when it stayed invalid after repair."""
        lang = unit.language
        prompt = self.deps.prompts.render(
            "critic",
            template,
            lang,
            rubric={"title": self.rubric.title, "rationale": self.rubric.rationale},
            profile=unit.profile.model_dump(mode="json") if unit.profile else None,
            **ctx,
        )
        try:
            return await self.deps.llm.structured_answer(
                messages(prompt),
                schema,
                self.deps.sampling[Step.CRITIC],
                seed,
                Step.CRITIC.value,
                self.deps.repair_prompt(lang),
                logprobs=self.method == ScoreMethod.GEVAL and template != "code",
            )
        except StructuredOutputError as exc:
            log.warning("%s: %s judgement failed: %s", unit.id, self.rubric.name, exc.last_error)
            return str(exc)

    def _judged(self, got: Answer[BaseModel] | str, prefix: str = "", **where: Any) -> Judgement:
        """A judgement of the items from the judge's answer (or its failure)."""
        if isinstance(got, str):
            return Judgement(status="failed", error=got, **where)
        scores, why = {}, {}
        for name in where["order"]:
            item = getattr(got.value, name)
            if self.rubric.rationale:
                scores[prefix + name], why[prefix + name] = item.score, item.rationale
            else:
                scores[prefix + name] = item
        if self.method == ScoreMethod.SAMPLED:
            return Judgement(scores=scores, rationales=why, **where)
        try:
            weighted = self._geval(got, where["order"], prefix, scores)
        except NoDistribution as exc:
            return Judgement(scores=scores, rationales=why, fallback=str(exc), **where)
        return Judgement(
            scores=scores, rationales=why, method=ScoreMethod.GEVAL, weighted=weighted, **where
        )

    def _geval(
        self, got: Answer[BaseModel], order: list[str], prefix: str, scores: dict[str, int]
    ) -> dict[str, float]:
        """G-Eval values of one answer's items, rounded to 4 places; logs a fallback (a
        warning the first time for each cause, then at info level)."""
        by_name = {d.name: d for d in self.rubric.dimensions}
        path = ("score",) if self.rubric.rationale else ()
        try:
            weighted = geval_scores(
                tokens_from_openai(got.logprobs),
                {prefix + n: (n, *path) for n in order},
                {prefix + n: range(by_name[n].min, by_name[n].max + 1) for n in order},
                scores,
            )
        except NoDistribution as exc:
            cause = str(exc).split(": ")[-1]
            level = logging.INFO if cause in self._warned else logging.WARNING
            self._warned.add(cause)
            log.log(
                level, "%s: G-Eval unavailable (%s); sampled scores used", self.rubric.name, exc
            )
            raise
        return {k: round(v, 4) for k, v in weighted.items()}

    async def _items(
        self, unit: ScoreUnit, repeat: int, order: list[str], seed: int
    ) -> list[Judgement]:
        lang, rubric = unit.language, self.rubric
        labelled = rubric.view is RubricView.ANNOTATED
        schema = rubric.output_model(order)
        dims = self._dims(order, lang)
        if rubric.perspective is Perspective.CLIENT:
            out = []
            for phase in ["pre", "post"] if rubric.timing is Timing.PRE_POST else ["post"]:
                got = await self._ask(
                    "self_report",
                    schema,
                    unit,
                    derive_seed(seed, unit.id, rubric.name, repeat, phase),
                    dimensions=dims,
                    phase=phase,
                    notes=list(unit.notes),
                    transcript=unit_text(unit.turns, lang, False) if phase == "post" else "",
                )
                prefix = f"{phase}." if rubric.timing is Timing.PRE_POST else ""
                out.append(self._judged(got, prefix, repeat=repeat, order=order, phase=phase))
            return out
        if rubric.level is Level.SESSION:
            got = await self._ask(
                "judge",
                schema,
                unit,
                derive_seed(seed, unit.id, rubric.name, repeat),
                dimensions=dims,
                transcript=unit_text(unit.turns, lang, labelled),
                target=rubric.target.value,
                turn=False,
            )
            return [self._judged(got, repeat=repeat, order=order)]
        out = []
        for i in self._targets(unit):
            start = max(0, i - self.context_turns)
            got = await self._ask(
                "judge",
                schema,
                unit,
                derive_seed(seed, unit.id, rubric.name, repeat, i),
                dimensions=dims,
                transcript=unit_text(unit.turns[start : i + 1], lang, labelled, mark=i - start),
                target=rubric.target.value,
                turn=True,
            )
            out.append(self._judged(got, repeat=repeat, order=order, turn_index=i))
        return out

    async def _codes(self, unit: ScoreUnit, repeat: int, seed: int) -> list[Judgement]:
        lang, rubric = unit.language, self.rubric
        codes = [{"name": c.name, "text": c.text(lang)} for c in rubric.codes]
        if repeat > 0:
            random.Random(derive_seed(seed, unit.id, rubric.name, "codes", repeat)).shuffle(codes)
        out = []
        for i in self._targets(unit):
            start = max(0, i - self.context_turns)
            got = await self._ask(
                "code",
                rubric.codes_model(),
                unit,
                derive_seed(seed, unit.id, rubric.name, "codes", repeat, i),
                codes=codes,
                transcript=unit_text(unit.turns[start : i + 1], lang, False, mark=i - start),
                target=rubric.target.value,
            )
            where = {"repeat": repeat, "turn_index": i, "order": [c["name"] for c in codes]}
            if isinstance(got, str):
                out.append(Judgement(status="failed", error=got, **where))
            else:
                data = got.value.model_dump()
                picked = list(dict.fromkeys(data["codes"]))
                why = {"codes": data["rationale"]}
                out.append(Judgement(codes=picked, rationales=why, **where))
        return out

    def _targets(self, unit: ScoreUnit) -> list[int]:
        """The target turns judged one by one (turn-level items and codes)."""
        indices = unit.target_indices(self.rubric.target)
        if self.last_turn_only:
            return indices[-1:]
        return sample_evenly(indices, self.turns_per_unit)

    async def score(self, unit: ScoreUnit, repeats: int = 1, seed: int = 0) -> RubricScore:
        """Judge ``unit`` ``repeats`` times and summarise."""
        judgements: list[Judgement] = []
        for r in range(repeats):
            if self.rubric.dimensions:
                judgements += await self._items(unit, r, self._order(r, seed, unit), seed)
            if self.rubric.codes:
                judgements += await self._codes(unit, r, seed)
        # evidence before opinion: each judgement bounded before the repeats are folded
        ev = SessionEvidence.of(unit.turns, unit.language)
        judgements = bound_judgements(self.rubric, ev, judgements, self.context_turns)
        folded = fold(self.rubric, unit, judgements, repeats, self.deps.llm.model_id, seed)
        return with_evidence_of(folded, ev)


def _repeat_values(rubric: Rubric, js: Sequence[Judgement]) -> dict[str, dict[str, float]]:
    """One repeat's values: items (turn-level: mean over turns), groups, counts, ratios."""
    ok = [j for j in js if j.status == "scored"]
    scored = [j for j in ok if j.scores]
    items: dict[str, float] = {}
    values = [j.values() for j in scored]
    for key in dict.fromkeys(k for v in values for k in v):
        items[key] = statistics.fmean(v[key] for v in values if key in v)
    prefixes = ["pre.", "post."] if rubric.timing is Timing.PRE_POST else [""]
    fold_fn = sum if rubric.group_fold == "sum" else statistics.fmean
    groups: dict[str, float] = {}
    for p in prefixes:
        for g, members in rubric.groups.items():
            if all(p + m in items for m in members):
                groups[p + g] = float(fold_fn([items[p + m] for m in members]))
    if rubric.timing is Timing.PRE_POST:
        for key in [k for k in items if k.startswith("pre.")]:
            name = key.removeprefix("pre.")
            if f"post.{name}" in items:
                items[f"delta.{name}"] = items[f"post.{name}"] - items[key]
        for g in rubric.groups:
            if f"pre.{g}" in groups and f"post.{g}" in groups:
                groups[f"delta.{g}"] = groups[f"post.{g}"] - groups[f"pre.{g}"]
    coded = [j for j in ok if j.codes]
    counts: dict[str, float] = {}
    ratios: dict[str, float] = {}
    if rubric.codes and coded:
        counts = {c.name: float(sum(c.name in j.codes for j in coded)) for c in rubric.codes}
        for r in rubric.ratios:
            den = sum(counts[n] for n in r.denominator)
            if den:
                ratios[r.name] = (
                    sum(counts[n] for n in r.numerator) / den * (100 if r.percent else 1)
                )
    return {"items": items, "groups": groups, "counts": counts, "ratios": ratios}


def fold(
    rubric: Rubric,
    unit: ScoreUnit,
    judgements: list[Judgement],
    repeats: int,
    model: str = "",
    seed: int = 0,
) -> RubricScore:
    """Summarise a unit's judgements: per value the statistics over the repeats that gave it.

    A repeat contributes a value only from its successful calls; failed calls are listed in
    ``errors`` (status ``partial``), and a unit with no value at all is ``failed``.
    """
    per_repeat = [
        _repeat_values(rubric, [j for j in judgements if j.repeat == r]) for r in range(repeats)
    ]
    summary: dict[str, dict[str, Stat]] = {}
    for part in ("items", "groups", "counts", "ratios"):
        keys = dict.fromkeys(k for v in per_repeat for k in v[part])
        summary[part] = {k: stat([v[part][k] for v in per_repeat if k in v[part]]) for k in keys}
    errors = [
        f"repeat {j.repeat}"
        + (f", turn {j.turn_index}" if j.turn_index is not None else "")
        + (f", {j.phase}" if j.phase else "")
        + f": {j.error}"
        for j in judgements
        if j.status == "failed"
    ]
    has_values = bool(summary["items"] or summary["counts"])
    status = "failed" if not has_values else ("partial" if errors else "scored")
    if status == "failed" and not errors:
        errors = ["no turn of the target role to judge"]
    return RubricScore(
        rubric=rubric.name,
        unit=unit.id,
        course_id=unit.course_id,
        session_index=unit.session_index,
        language="zh" if unit.language == "zh" else "en",
        repeats=repeats,
        status=status,
        errors=errors,
        judgements=judgements,
        model=model,
        seed=seed,
        **summary,
    )
