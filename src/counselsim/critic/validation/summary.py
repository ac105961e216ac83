"""From the judge's scores of the known-groups units to a :class:`ValidationReport`.

A unit's value on an item, by a method, is the mean over its successful judgements (its
repeats). By ``sampled`` every judgement counts; by ``geval`` a unit counts only when every
one of its judgements was scored by G-Eval, so a G-Eval figure never mixes in sampled
values. The sampled figures come from the same calls as the G-Eval ones.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from counselsim.critic.agreement import POOLED, HumanLabel, agreement, human_scores
from counselsim.critic.rubric import Rubric
from counselsim.critic.validation.known_groups import Pair
from counselsim.critic.validation.measures import (
    kendall_ci,
    known_groups_figures,
    ordering,
    spearman_ci,
    stability_figures,
)
from counselsim.critic.validation.models import (
    Agreement,
    AgreementItem,
    KnownGroups,
    KnownGroupsItem,
    MethodUse,
    Stability,
    StabilityItem,
)
from counselsim.labels import ScoreMethod
from counselsim.records import RubricScore
from counselsim.stats import bootstrap_mean

METHODS = tuple(ScoreMethod)  # sampled, then G-Eval


def unit_values(
    score: RubricScore | None, method: ScoreMethod, bounded: bool = False
) -> dict[str, float]:
    """Per item, the unit's mean over its successful judgements by ``method`` (none by
    G-Eval unless every judgement used it), as the judge gave them or ``bounded`` by the
    evidence."""
    ok = [j for j in (score.judgements if score else []) if j.status == "scored" and j.scores]
    if not ok or (method == ScoreMethod.GEVAL and any(j.method != ScoreMethod.GEVAL for j in ok)):
        return {}
    values = [j.values(method, bounded) for j in ok]
    keys = dict.fromkeys(k for v in values for k in v)
    return {k: statistics.fmean(v[k] for v in values if k in v) for k in keys}


def method_use(scores: Sequence[RubricScore], requested: ScoreMethod) -> MethodUse:
    """How many judgements each method scored, and the fallback causes."""
    js = [j for s in scores for j in s.judgements]
    causes = Counter(j.fallback for j in js if j.status == "scored" and j.fallback)
    return MethodUse(
        requested=requested,
        geval=sum(j.status == "scored" and j.method == ScoreMethod.GEVAL for j in js),
        sampled=sum(j.status == "scored" and j.method == ScoreMethod.SAMPLED for j in js),
        failed=sum(j.status == "failed" for j in js),
        fallbacks=dict(sorted(causes.items())),
    )


def known_groups(
    rubric: Rubric,
    pairs: Sequence[Pair],
    scores: Mapping[str, RubricScore],
    method: ScoreMethod,
    resamples: int,
    seed: int,
    bounded: bool = False,
) -> KnownGroups:
    """Per item accuracy and gap over the pairs scored on it; per kind the pooled accuracy.
    ``bounded``: the scores after the evidence bounds, else as the judge gave them."""

    def values(unit: str) -> dict[str, float]:
        return unit_values(scores.get(unit), method, bounded)

    sides = [(p, values(p.good.id), values(p.bad.id)) for p in pairs]
    items = []
    for d in rubric.dimensions:
        vals = [(g[d.name], b[d.name]) for _, g, b in sides if d.name in g and d.name in b]
        figures = known_groups_figures(vals, resamples, seed)
        if figures is not None:
            items.append(
                KnownGroupsItem(
                    item=d.name,
                    n=len(vals),
                    accuracy=figures[0],
                    gap=figures[1],
                    good_mean=round(statistics.fmean(g for g, _ in vals), 4),
                    bad_mean=round(statistics.fmean(b for _, b in vals), 4),
                )
            )
    per_pair: dict[str, list[float]] = defaultdict(list)
    for p, g, b in sides:
        shared = [k for k in g if k in b]
        if shared:
            per_pair[p.kind].append(statistics.fmean(ordering(g[k], b[k]) for k in shared))
    by_kind = {
        kind: est
        for kind, v in sorted(per_pair.items())
        if (est := bootstrap_mean(v, resamples=resamples, seed=seed)) is not None
    }
    scored = sum(len(v) for v in per_pair.values())
    return KnownGroups(
        method=method,
        bounded=bounded,
        pairs=scored,
        excluded=len(pairs) - scored,
        items=items,
        by_kind=by_kind,
    )


def human_agreement(
    rubric: Rubric,
    scores: Mapping[str, RubricScore],
    human: Sequence[HumanLabel],
    method: ScoreMethod,
    resamples: int,
    seed: int,
) -> Agreement:
    """Agreement per item and pooled (``all``): the point values of
    :func:`counselsim.critic.agreement.agreement`, with bootstrap CIs for the correlations."""
    judge = {(u, k): v for u, s in scores.items() for k, v in unit_values(s, method).items()}
    bounds = {d.name: (d.min, d.max) for d in rubric.dimensions}
    points = agreement(judge, human, bounds)
    people = human_scores(human)
    paired: dict[str, list[tuple[str, float, float]]] = defaultdict(list)
    for (unit, item), h in sorted(people.items()):
        if (unit, item) in judge:
            paired[item].append((unit, judge[(unit, item)], h))
    pooled = [r for per_item in paired.values() for r in per_item]
    out = [
        _with_intervals(item, block, pooled if item == POOLED else paired[item], resamples, seed)
        for item, block in points.items()
    ]
    return Agreement(method=method, items=out)


def _with_intervals(
    item: str,
    block: dict[str, Any],
    rows: list[tuple[str, float, float]],
    resamples: int,
    seed: int,
) -> AgreementItem:
    """One item's agreement: the point values of ``block`` and bootstrap CIs over the units
    of ``rows`` (``(unit, judge, human)``)."""
    units = list(dict.fromkeys(u for u, _, _ in rows))
    groups = [units.index(u) for u, _, _ in rows]
    by_unit = [[(j, h) for u, j, h in rows if u == unit] for unit in units]
    xs, ys = [j for _, j, _ in rows], [h for _, _, h in rows]
    return AgreementItem(
        item=item,
        n=block["n"],
        unpaired_judge=block["unpaired_judge"],
        unpaired_human=block["unpaired_human"],
        spearman=spearman_ci(by_unit, resamples=resamples, seed=seed) if rows else None,
        kendall=kendall_ci(xs, ys, groups, resamples=resamples, seed=seed) if rows else None,
        kappa_linear=block["kappa_linear"],
        kappa_quadratic=block["kappa_quadratic"],
        mean_abs_diff=block["mean_abs_diff"],
    )


def stability(
    rubric: Rubric, scores: Sequence[RubricScore], method: ScoreMethod, repeats: int
) -> Stability:
    """Per item: spread over repeats, exact agreement (sampled) and the order slope."""
    items = []
    for d in rubric.dimensions:
        units = []
        for s in scores:
            scored = [j for j in s.judgements if j.status == "scored" and j.scores]
            if method == ScoreMethod.GEVAL and any(j.method != ScoreMethod.GEVAL for j in scored):
                continue  # as in unit_values: no unit mixes methods
            units.append(
                [
                    (v[d.name], j.order.index(d.name) / max(1, len(j.order) - 1))
                    for j in scored
                    if d.name in (v := j.values(method))
                ]
            )
        sd, same, slope = stability_figures(units, exact=method == ScoreMethod.SAMPLED)
        n = sum(len(u) > 1 for u in units)
        items.append(
            StabilityItem(item=d.name, units=n, repeat_sd=sd, same_share=same, order_slope=slope)
        )
    return Stability(method=method, repeats=repeats, items=items)


def summarise(
    rubric: Rubric,
    pairs: Sequence[Pair],
    scores: Mapping[str, RubricScore],
    human: Sequence[HumanLabel] | None,
    requested: ScoreMethod,
    repeats: int,
    resamples: int,
    seed: int,
) -> tuple[MethodUse, list[KnownGroups], list[Agreement], list[Stability]]:
    """Every figure of a validation run: the method use, then known groups (by each method
    that scored, as the judge gave them, then the last method bounded by the evidence),
    agreement (given ``human``) and stability (given ``repeats > 1``) by each method."""
    use = method_use(list(scores.values()), requested)
    methods = [m for m in METHODS if m == ScoreMethod.SAMPLED or use.geval]
    kg = [known_groups(rubric, pairs, scores, m, resamples, seed) for m in methods]
    # evidence before opinion: the best method again, its scores bounded by the evidence
    kg.append(known_groups(rubric, pairs, scores, methods[-1], resamples, seed, bounded=True))
    agree = [human_agreement(rubric, scores, human, m, resamples, seed) for m in methods if human]
    stable = [stability(rubric, list(scores.values()), m, repeats) for m in methods if repeats > 1]
    return use, kg, agree, stable
