"""Agreement statistics against values worked out by hand, and the human-label loader."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from counselsim.critic.agreement import (
    POOLED,
    HumanLabel,
    agreement,
    average_ranks,
    human_scores,
    kendall_tau_b,
    load_human_labels,
    spearman,
    weighted_kappa,
)
from counselsim.errors import DataError

# --------------------------------------------------------------------------- spearman


def test_average_ranks_share_tied_ranks() -> None:
    # 7 and 7 take ranks 3 and 4 -> both 3.5
    assert average_ranks([5, 6, 7, 8, 7]) == [1, 2, 3.5, 5, 3.5]


def test_spearman_with_a_tie() -> None:
    # ranks x = [1, 2, 3, 4, 5], ranks y = [1, 2, 3.5, 5, 3.5]; both means are 3
    # dx = [-2, -1, 0, 1, 2], dy = [-2, -1, 0.5, 2, 0.5]
    # sum dx*dy = 4 + 1 + 0 + 2 + 1 = 8; sum dx^2 = 10; sum dy^2 = 4 + 1 + .25 + 4 + .25 = 9.5
    # rho = 8 / sqrt(10 * 9.5) = 8 / sqrt(95) = 0.820783...
    rho = spearman([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
    assert rho == pytest.approx(8 / math.sqrt(95))
    assert round(rho or 0, 4) == 0.8208


def test_spearman_perfect_and_reversed() -> None:
    assert spearman([1, 2, 3], [10, 20, 30]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)


def test_spearman_undefined() -> None:
    assert spearman([1, 2, 3], [2, 2, 2]) is None  # constant side
    assert spearman([1], [1]) is None  # n < 2
    assert spearman([], []) is None
    with pytest.raises(ValueError, match="length"):
        spearman([1, 2], [1])


# --------------------------------------------------------------------------- kendall


def test_kendall_tau_b_tie_on_one_side() -> None:
    # x = [1, 2, 3, 4, 5] (no ties), y = [5, 6, 7, 8, 7]; n0 = 5*4/2 = 10 pairs
    # x rises, so a pair's sign is the sign of y_j - y_i:
    # (1,2)+ (1,3)+ (1,4)+ (1,5)+ (2,3)+ (2,4)+ (2,5)+ (3,4)+ (3,5) tie (4,5)-
    # C = 8, D = 1, n1 = 0, n2 = 1 -> tau_b = 7 / sqrt(10 * 9) = 0.737865...
    tau = kendall_tau_b([1, 2, 3, 4, 5], [5, 6, 7, 8, 7])
    assert tau == pytest.approx(7 / math.sqrt(90))


def test_kendall_tau_b_ties_on_both_sides() -> None:
    # x = [1, 1, 2, 3], y = [1, 2, 2, 3]; n0 = 6
    # (1,2): x tied -> n1   (1,3): C   (1,4): C
    # (2,3): y tied -> n2   (2,4): C   (3,4): C
    # C = 4, D = 0, n1 = 1, n2 = 1 -> tau_b = 4 / sqrt(5 * 5) = 0.8
    assert kendall_tau_b([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(0.8)


def test_kendall_tau_b_extremes_and_undefined() -> None:
    assert kendall_tau_b([1, 2, 3], [3, 4, 5]) == pytest.approx(1.0)
    assert kendall_tau_b([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert kendall_tau_b([1, 1, 1], [1, 2, 3]) is None
    assert kendall_tau_b([2], [3]) is None


# --------------------------------------------------------------------------- kappa

# Two raters, six units, categories 1..3 (k = 3):
#   a = [1, 1, 2, 2, 3, 3], b = [1, 2, 2, 3, 3, 3]
# confusion (rows a, columns b), counts out of 6:
#        b=1 b=2 b=3
#   a=1   1   1   0
#   a=2   0   1   1
#   a=3   0   0   2
# marginals: a = [2, 2, 2]/6 = 1/3 each; b = [1, 2, 3]/6
A = [1, 1, 2, 2, 3, 3]
B = [1, 2, 2, 3, 3, 3]


def test_quadratic_kappa_by_hand() -> None:
    # weights ((i-j)/2)^2: off by 1 -> 0.25, off by 2 -> 1
    # observed = (0.25 + 0.25) / 6 = 1/12
    # expected = sum_ij pa_i pb_j w_ij = 1/3 * sum_j pb_j * (column sum of w)
    #          = 1/3 * (1/6 * 1.25 + 2/6 * 0.5 + 3/6 * 1.25) = 1/3 * 6/6 = 1/3
    # kappa = 1 - (1/12) / (1/3) = 0.75
    assert weighted_kappa(A, B, 1, 3) == pytest.approx(0.75)


def test_linear_kappa_by_hand() -> None:
    # weights |i-j|/2: off by 1 -> 0.5, off by 2 -> 1
    # observed = (0.5 + 0.5) / 6 = 1/6
    # column sums of w: 1.5, 1, 1.5 -> expected = 1/3 * (1.5 + 2 + 4.5)/6 = 4/9
    # kappa = 1 - (1/6) / (4/9) = 1 - 0.375 = 0.625
    assert weighted_kappa(A, B, 1, 3, weights="linear") == pytest.approx(0.625)


def test_kappa_rounds_to_the_nearest_category() -> None:
    # 1.4 -> 1, 1.5 -> 2 and 2.5 -> 3 (halves up), 2.6 -> 3: A again, so 0.75 as above
    assert weighted_kappa([1.4, 1, 1.5, 2, 2.5, 2.6], B, 1, 3) == pytest.approx(0.75)
    # halves down instead would give [1, 1, 1, 2, 2, 3]: a different kappa
    assert weighted_kappa([1, 1, 1, 2, 2, 3], B, 1, 3) != pytest.approx(0.75)


def test_kappa_perfect_agreement_is_one() -> None:
    assert weighted_kappa([1, 2, 3, 5], [1, 2, 3, 5], 1, 5) == pytest.approx(1.0)
    assert weighted_kappa([1, 2, 3, 5], [1, 2, 3, 5], 1, 5, "linear") == pytest.approx(1.0)


def test_kappa_undefined_and_errors() -> None:
    assert weighted_kappa([2, 2], [2, 2], 1, 5) is None  # no expected disagreement
    assert weighted_kappa([], [], 1, 5) is None
    with pytest.raises(ValueError, match=r"rating 6\.0 outside the scale \[1, 5\]"):
        weighted_kappa([1, 6], [1, 2], 1, 5)
    with pytest.raises(ValueError, match="outside"):
        weighted_kappa([1, 2], [0.4, 2], 1, 5)


# --------------------------------------------------------------------------- label loader


def test_load_jsonl_and_csv(tmp_path: Path) -> None:
    jl = tmp_path / "h.jsonl"
    jl.write_text(
        '{"unit": "c#1", "item": "empathy", "score": 4, "rater": "r1"}\n'
        "\n"
        '{"unit": "c#2", "item": "empathy", "score": 3.5}\n',
        encoding="utf-8",
    )
    assert load_human_labels(jl) == [
        HumanLabel(unit="c#1", item="empathy", score=4, rater="r1"),
        HumanLabel(unit="c#2", item="empathy", score=3.5),
    ]
    cv = tmp_path / "h.csv"
    cv.write_text("unit,item,score,rater\nc#1,empathy,4,r1\nc#2,empathy,3.5,\n", encoding="utf-8")
    assert load_human_labels(cv) == load_human_labels(jl)
    bare = tmp_path / "bare.csv"
    bare.write_text("unit,item,score\nc#1,safety,2\n", encoding="utf-8")
    assert load_human_labels(bare) == [HumanLabel(unit="c#1", item="safety", score=2)]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("h.jsonl", '{"unit": "u", "item": "i", "score": 1}\n{"unit": "SECRET"\n', ":2: not valid"),
        ("h.jsonl", '{"unit": "SECRET", "item": "i", "score": "x"}\n', ":1: invalid label field"),
        ("h.jsonl", '{"unit": "SECRET", "item": "i", "score": 1, "x": 2}\n', "field 'x'"),
        ("h.csv", "unit,item,score\nSECRET,i,high\n", ":2: invalid label field 'score'"),
        ("h.csv", "unit,item,score\nu,i,1\nSECRET,i\n", ":3: expected 3 columns, got 2"),
        ("h.csv", "unit,score,item\nSECRET,1,i\n", ":1: header must be"),
        ("h.csv", "unit,item,score,rater,x\nSECRET,i,1,r,2\n", ":1: header must be"),
        ("h.jsonl", "\n\n", ": no labels"),
        ("h.csv", "unit,item,score\n", ": no labels"),
        ("h.csv", "", ": no labels"),
        ("h.txt", "x", "must be a .jsonl or .csv"),
    ],
)
def test_bad_label_files(tmp_path: Path, name: str, text: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_human_labels(path)
    msg = str(err.value)
    assert message in msg and str(path) in msg
    assert "SECRET" not in msg and "\n" not in msg


def test_missing_label_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="not found"):
        load_human_labels(tmp_path / "none.jsonl")


def test_several_raters_are_averaged(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_text("unit,item,score,rater\nu,e,2,a\nu,e,5,b\nu,e,4,c\nv,e,1,a\n")
    assert human_scores(load_human_labels(path)) == {("u", "e"): 11 / 3, ("v", "e"): 1.0}


# --------------------------------------------------------------------------- agreement


def test_agreement_per_item_and_pooled() -> None:
    judge = {
        ("u1", "empathy"): 4.0,
        ("u2", "empathy"): 2.4,  # kappa category 2
        ("u3", "empathy"): 5.0,
        ("u4", "empathy"): 3.0,  # no human label
        ("u1", "safety"): 2.0,
        ("u2", "safety"): 1.0,
    }
    human = [
        HumanLabel(unit="u1", item="empathy", score=4, rater="a"),
        HumanLabel(unit="u1", item="empathy", score=5, rater="b"),  # mean 4.5
        HumanLabel(unit="u2", item="empathy", score=2),
        HumanLabel(unit="u3", item="empathy", score=5),
        HumanLabel(unit="u9", item="empathy", score=1),  # no judge score
        HumanLabel(unit="u1", item="safety", score=2),
        HumanLabel(unit="u2", item="safety", score=0),
    ]
    out = agreement(judge, human, {"empathy": (1, 5), "safety": (0, 2)})
    assert list(out) == ["empathy", "safety", POOLED]
    emp = out["empathy"]
    # paired: u1 (4 vs 4.5), u2 (2.4 vs 2), u3 (5 vs 5)
    assert emp["n"] == 3
    assert (emp["unpaired_judge"], emp["unpaired_human"]) == (1, 1)
    assert emp["spearman"] == pytest.approx(1.0)
    assert emp["kendall"] == pytest.approx(1.0)
    # |4 - 4.5| + |2.4 - 2| + 0 = 0.9 over 3
    assert emp["mean_abs_diff"] == pytest.approx(0.3)
    assert emp["judge_mean"] == pytest.approx((4 + 2.4 + 5) / 3)
    assert emp["human_mean"] == pytest.approx((4.5 + 2 + 5) / 3)
    # rounded: judge [4, 2, 5], human [5 (4.5 halves up), 2, 5] on 1..5 (k = 5)
    # quadratic weights ((i-j)/4)^2; observed = (1/16) / 3 = 1/48
    # marginals judge {2: 1/3, 4: 1/3, 5: 1/3}, human {2: 1/3, 5: 2/3}
    # expected = 1/9 * [w(2,2) + 2w(2,5) + w(4,2) + 2w(4,5) + w(5,2) + 2w(5,5)]
    #          = 1/9 * [0 + 2*9/16 + 4/16 + 2*1/16 + 9/16 + 0] = 1/9 * 33/16 = 33/144
    # kappa = 1 - (1/48) / (33/144) = 1 - 3/33 = 10/11
    assert emp["kappa_quadratic"] == pytest.approx(10 / 11)
    assert out["safety"]["n"] == 2
    pooled = out[POOLED]
    assert pooled["n"] == 5
    assert (pooled["unpaired_judge"], pooled["unpaired_human"]) == (1, 1)
    assert pooled["kappa_quadratic"] is None  # the items have different scales
    assert pooled["spearman"] is not None


def test_agreement_without_pairs_or_bounds() -> None:
    out = agreement({("u", "x"): 3.0}, [HumanLabel(unit="v", item="x", score=3)], {})
    block = out["x"]
    assert block["n"] == 0 and block["unpaired_judge"] == 1 and block["unpaired_human"] == 1
    assert block["spearman"] is None and block["kappa_quadratic"] is None
    assert block["mean_abs_diff"] is None


def test_agreement_pools_kappa_over_items_sharing_one_scale() -> None:
    # x: judge 1, 2 vs human 1, 3; y: judge 3 vs human 3 -> pooled pairs (1,1) (2,3) (3,3)
    judge = {("u", "x"): 1.0, ("v", "x"): 2.0, ("u", "y"): 3.0}
    human = [
        HumanLabel(unit="u", item="x", score=1),
        HumanLabel(unit="v", item="x", score=3),
        HumanLabel(unit="u", item="y", score=3),
    ]
    pooled = agreement(judge, human, {"x": (1, 3), "y": (1, 3)})[POOLED]
    assert pooled["n"] == 3
    # confusion: (1,1) (2,3) (3,3); judge marginals 1/3 each, human 1/3 at 1, 2/3 at 3
    # quadratic weights ((i-j)/2)^2: observed = 0.25 / 3 = 1/12
    # expected = 1/3 * [w(1,1)/3 + 2w(1,3)/3 + w(2,1)/3 + 2w(2,3)/3 + w(3,1)/3 + 2w(3,3)/3]
    #          = 1/9 * [0 + 2 + 0.25 + 0.5 + 1 + 0] = 3.75/9
    # kappa = 1 - (1/12) / (3.75/9) = 1 - 0.2 = 0.8
    assert pooled["kappa_quadratic"] == pytest.approx(0.8)


def test_agreement_off_scale_human_label_is_a_data_error() -> None:
    human = [HumanLabel(unit="u", item="x", score=9)]
    with pytest.raises(DataError, match=r"item 'x': rating 9\.0 outside the scale \[1, 5\]"):
        agreement({("u", "x"): 3.0}, human, {"x": (1, 5)})
