"""The stress test's report data: the counselors ranked, compared pairwise, and the judge's
trustworthiness, assembled from what the run left (see :mod:`counselsim.stress.analysis`)."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from counselsim.critic.validation.models import ValidationReport
from counselsim.records import Comparison
from counselsim.stats import Match, bradley_terry
from counselsim.stress.analysis import (
    CounselorData,
    counselor_result,
    mode_infos,
    pair_result,
    rank,
)
from counselsim.stress.results import CounselorResult, JudgeInfo, PairResult, StressReport

if TYPE_CHECKING:
    from counselsim.services.compose import Simulation
    from counselsim.services.stress import StressJob

NOT_VALIDATED = (
    "the judge is not validated: run `counselsim judge validate` with this judge and rubric "
    "and give its validation.json (--judge-validation), or put it in the run directory"
)


def validation_status(report: ValidationReport | None, rubric: str, model: str) -> tuple[bool, str]:
    """Whether a ``validation.json`` (of ``counselsim judge validate``) validates this judge
    (``model``) on ``rubric``, and one line saying what it found: per scoring method, the
    known-groups accuracy over the rubric's items (the share of pairs the judge ranked the
    good reply above the bad; 0.5 is chance)."""
    if report is None:
        return False, NOT_VALIDATED
    if report.rubric != rubric or report.model != model:
        given = f"rubric {report.rubric}, model {report.model}"
        return False, f"{NOT_VALIDATED} (the validation.json given is for {given})"
    found = [
        f"{kg.method.value}{' bounded' if kg.bounded else ''} "
        f"{min(accuracy):.2f}..{max(accuracy):.2f} over {len(accuracy)} item(s)"
        for kg in report.known_groups
        if (accuracy := [item.accuracy.value for item in kg.items])
    ]
    figures = f"known-groups accuracy {'; '.join(found)}" if found else "no known-groups figures"
    return True, f"validated by judge validate ({model}, rubric {rubric}): {figures}"


def _judge_info(
    job: StressJob,
    sim: Simulation,
    data: Sequence[CounselorData],
    pairs: Sequence[PairResult],
    validated: bool,
    validation: str,
) -> JudgeInfo:
    scores = [s for d in data for s in d.scores.values() if s.status != "failed"]
    item_sd = {
        dim.name: round(statistics.fmean(sds), 4)
        for dim in job.rubric.dimensions
        if (sds := [s.items[dim.name].sd for s in scores if dim.name in s.items])
    }
    methods = Counter(j.method.value for s in scores for j in s.judgements if j.status == "scored")
    consistency = [p.position_consistency for p in pairs if p.position_consistency is not None]
    first = [p.first_position_rate for p in pairs if p.first_position_rate is not None]
    return JudgeInfo(
        model=sim.critic_llm.model_id,
        rubric=job.rubric.name,
        repeats=job.options.judge_repeats,
        methods=dict(sorted(methods.items())),
        item_sd=item_sd,
        position_consistency=round(statistics.fmean(consistency), 4) if consistency else None,
        first_position_rate=round(statistics.fmean(first), 4) if first else None,
        validated=validated,
        validation=validation,
    )


def build_stress_report(
    job: StressJob,
    sim: Simulation,
    data: Sequence[CounselorData],
    comparisons: Mapping[tuple[str, str], Sequence[Comparison]],
    *,
    validated: bool = False,
    validation: str = NOT_VALIDATED,
) -> StressReport:
    """The report: per counselor (ranked) and persona, pairwise, Bradley–Terry, the judge."""
    seed = job.config.seed
    profiles = {p.id: p for p in job.personas}
    results: list[CounselorResult] = [counselor_result(d, job.rubric, profiles, seed) for d in data]
    by_name = {d.name: d for d in data}
    pairs: list[PairResult] = []
    found: list[Match] = []
    for (a, b), comps in comparisons.items():
        result, ms = pair_result(by_name[a], by_name[b], comps, job.rubric, seed)
        pairs.append(result)
        found += ms
    strengths = bradley_terry(found, seed=seed) if len(data) >= 3 and found else []
    return StressReport(
        personas=[p.id for p in job.personas],
        courses_per_persona=job.options.courses_per_persona,
        sessions=job.config.sessions,
        max_turns=job.config.max_turns,
        seed=seed,
        simulation_model=sim.client_llm.model_id,
        modes=mode_infos(),
        counselors=rank(results),
        pairwise=pairs,
        bradley_terry=strengths,
        judge=_judge_info(job, sim, data, pairs, validated, validation),
    )
