"""Judge validation: the shipped known-groups set, and its statistics against hand-worked
values."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from counselsim.critic.agreement import HumanLabel, kendall_tau_b
from counselsim.critic.judge import fold
from counselsim.critic.rubric import load_rubric
from counselsim.critic.validation.known_groups import known_pairs, load_known_groups
from counselsim.critic.validation.measures import (
    kendall_ci,
    known_groups_figures,
    ordering,
    spearman_ci,
    stability_figures,
)
from counselsim.critic.validation.summary import human_agreement, method_use, unit_values
from counselsim.errors import DataError
from counselsim.records import Judgement
from counselsim.stats.intervals import percentile_interval, resample_indices

# --------------------------------------------------------------------------- the shipped set


def test_shipped_set_is_bilingual_balanced_and_wide():
    rows = load_known_groups()
    kinds = Counter(r.kind for r in rows)
    assert len(rows) >= 30 and len(kinds) >= 10
    assert len(set(kinds.values())) == 1, f"failure kinds unbalanced: {kinds}"
    for r in rows:
        assert r.zh is not None and r.en is not None, f"{r.id} lacks a language"
        assert r.bad_because
    pairs = known_pairs(rows)
    assert len(pairs) >= 60
    assert Counter(p.language for p in pairs) == {"zh": len(rows), "en": len(rows)}
    ids = [u.id for p in pairs for u in (p.good, p.bad)]
    assert len(set(ids)) == len(ids)


def test_a_pair_differs_only_in_the_reply():
    pair = next(p for p in known_pairs(load_known_groups()) if p.kind == "repetition")
    assert pair.good.turns[:-1] == pair.bad.turns[:-1]
    assert len(pair.good.turns) == 4  # context (client, counselor), client, reply
    assert pair.bad.turns[-1].text == pair.bad.turns[1].text  # the repeated question


def test_known_groups_file_errors_name_the_line(tmp_path: Path):
    path = tmp_path / "set.jsonl"
    good = {
        "id": "a",
        "kind": "k",
        "bad_because": "x",
        "en": {"client": "c", "good": "g", "bad": "b"},
    }
    path.write_text(json.dumps(good) + "\n" + json.dumps({**good, "en": None}) + "\n")
    with pytest.raises(DataError, match=r"set\.jsonl:2: .*'zh' or an 'en'"):
        load_known_groups(path)
    path.write_text(json.dumps(good) + "\n" + json.dumps(good) + "\n")
    with pytest.raises(DataError, match=r"set\.jsonl:2: id 'a' used twice"):
        load_known_groups(path)
    path.write_text("{not json\n")
    with pytest.raises(DataError, match=r"set\.jsonl:1: "):
        load_known_groups(path)


# --------------------------------------------------------------------------- statistics


def test_ordering_counts_a_tie_half():
    assert [ordering(4, 1), ordering(3, 3), ordering(2, 4)] == [1.0, 0.5, 0.0]


def test_known_groups_accuracy_and_gap_by_hand():
    figures = known_groups_figures([(4, 1), (3, 3), (2, 4)], resamples=1000, seed=0)
    assert figures is not None
    accuracy, gap = figures
    assert accuracy.value == pytest.approx(0.5)  # (1 + 0.5 + 0) / 3
    assert gap.value == pytest.approx(1 / 3)  # (3 + 0 - 2) / 3
    assert accuracy.ci_low <= 0.5 <= accuracy.ci_high and accuracy.n == 3
    assert gap.ci_low < 0 < gap.ci_high  # one pair goes the wrong way: not significant
    assert known_groups_figures([], resamples=1000, seed=0) is None


def _explicit_kendall(x, y, groups, resamples, seed):
    members = [[i for i, g in enumerate(groups) if g == k] for k in range(max(groups) + 1)]
    taus = []
    for row in resample_indices(len(members), resamples, seed):
        idx = [i for k in row for i in members[k]]
        tau = kendall_tau_b([x[i] for i in idx], [y[i] for i in idx])
        taus.append(np.nan if tau is None else tau)
    return percentile_interval(np.array(taus), 0.95)


@pytest.mark.parametrize("groups", [None, [0, 0, 1, 1, 2, 3, 3, 4]])
def test_kendall_bootstrap_in_one_product_equals_resampling_one_by_one(groups):
    x = [1, 2, 2, 3, 4, 4, 5, 1]
    y = [1, 3, 2, 2, 5, 4, 4, 2]
    got = kendall_ci(x, y, groups, resamples=1000, seed=3)
    assert got is not None and got.value == pytest.approx(kendall_tau_b(x, y))
    lo, hi = _explicit_kendall(x, y, groups or list(range(len(x))), 1000, 3)
    assert (got.ci_low, got.ci_high) == (pytest.approx(lo), pytest.approx(hi))


def test_kendall_of_a_constant_side_is_undefined():
    assert kendall_ci([1, 2, 3], [2, 2, 2], resamples=1000, seed=0) is None


def test_spearman_ci_resamples_units_with_their_items():
    perfect = [[(1.0, 1.0), (2.0, 2.0)], [(3.0, 3.0)], [(4.0, 4.0), (5.0, 5.0)]]
    est = spearman_ci(perfect, resamples=1000, seed=0)
    assert est is not None and est.value == 1.0 and est.n == 3
    assert est.ci_low == est.ci_high == 1.0


def test_stability_by_hand():
    # unit 1: 3 when first in the list, 5 when last; unit 2: 2 both times; unit 3: one repeat
    units = [[(3.0, 0.0), (5.0, 1.0)], [(2.0, 0.0), (2.0, 1.0)], [(4.0, 0.5)]]
    sd, same, slope = stability_figures(units, exact=True)
    assert sd == pytest.approx(round(statistics.stdev([3, 5]) / 2, 4))  # (1.4142 + 0) / 2
    assert same == 0.5  # unit 2 agrees, unit 1 does not
    # deviations -1, +1, 0, 0 at places 0, 1, 0, 1: slope = (0.5 + 0.5) / (4 * 0.25) = 1
    assert slope == 1.0
    assert stability_figures([[(3.0, 0.0)]], exact=True) == (None, None, None)
    assert stability_figures(units, exact=False)[1] is None


# --------------------------------------------------------------------------- summary


def _score(*judgements: Judgement, unit: str = "u"):
    from counselsim.critic.units import ScoreUnit

    rubric = load_rubric("psy_insight")
    return fold(rubric, ScoreUnit(id=unit, language="en", turns=()), list(judgements), 2)


def test_a_unit_counts_for_g_eval_only_when_every_judgement_used_it():
    geval = Judgement(repeat=0, order=["helpfulness"], scores={"helpfulness": 4})
    geval = geval.model_copy(update={"method": "geval", "weighted": {"helpfulness": 4.4}})
    fell = Judgement(repeat=1, scores={"helpfulness": 2}, fallback="no distribution")
    assert unit_values(_score(geval, fell), "sampled") == {"helpfulness": 3.0}
    assert unit_values(_score(geval, fell), "geval") == {}
    both = geval.model_copy(update={"repeat": 1})
    assert unit_values(_score(geval, both), "geval") == {"helpfulness": 4.4}
    use = method_use([_score(geval, fell)], "geval")
    assert (use.geval, use.sampled, use.failed, use.fallbacks) == (1, 1, 0, {"no distribution": 1})


def test_agreement_point_values_come_with_intervals():
    rubric = load_rubric("psy_insight")
    judge_says = [5, 4, 2, 1]
    scores = {
        f"r{i}": _score(
            Judgement(repeat=0, scores={"helpfulness": v}),
            Judgement(repeat=1, scores={"helpfulness": v}),
            unit=f"r{i}",
        )
        for i, v in enumerate(judge_says)
    }
    human = [
        HumanLabel(unit=f"r{i}", item="helpfulness", score=s) for i, s in enumerate([5, 3, 3, 1])
    ]
    human.append(HumanLabel(unit="r9", item="helpfulness", score=2))  # the judge never saw r9
    got = human_agreement(rubric, scores, human, "sampled", resamples=1000, seed=0)
    by_item = {i.item: i for i in got.items}
    h = by_item["helpfulness"]
    assert (h.n, h.unpaired_human) == (4, 1)
    # judge ranks 4 3 2 1, human ranks 4 2.5 2.5 1: tau-b = 5 / sqrt(6 * 5)
    assert h.kendall is not None and h.kendall.value == pytest.approx(5 / 30**0.5)
    assert h.spearman is not None and h.kendall.ci_low <= h.kendall.value <= h.kendall.ci_high
    assert by_item["all"].n == 4
