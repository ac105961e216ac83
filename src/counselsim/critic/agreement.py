"""Agreement between the rubric judge and human raters: rank correlations, weighted kappa.

The statistics are written out here (numpy only) so their definitions are on the page:

- :func:`spearman`: Pearson correlation of average ranks (tied values share the mean of the
  ranks they span).
- :func:`kendall_tau_b`: ``(C - D) / sqrt((n0 - n1)(n0 - n2))`` with ``n0 = n(n-1)/2`` pairs,
  ``n1``/``n2`` the pairs tied on the first/second side, ``C``/``D`` the concordant and
  discordant pairs.
- :func:`weighted_kappa`: Cohen's weighted kappa ``1 - observed / expected`` disagreement
  over the integer categories ``lo..hi``, with linear ``|i-j|/(k-1)`` or quadratic
  ``((i-j)/(k-1))^2`` weights.

All three return None where the statistic is undefined (too few pairs, a constant side, no
expected disagreement) instead of a number that would look like a result.

Human labels come from a JSONL or CSV file (:func:`load_human_labels`); :func:`agreement`
pairs them with the judge's per-unit means, item by item.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from counselsim.errors import DataError, field_error
from counselsim.jsonl import json_lines

POOLED = "all"
"""The key of the block that pools every item's pairs in :func:`agreement`."""

_CSV_HEADERS = (["unit", "item", "score"], ["unit", "item", "score", "rater"])


# --------------------------------------------------------------------------- statistics


def _paired(x: Sequence[float], y: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    if len(x) != len(y):
        raise ValueError(f"paired samples differ in length: {len(x)} and {len(y)}")
    return np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def average_ranks(values: Sequence[float]) -> list[float]:
    """1-based ranks; tied values get the mean of the ranks they span (3 and 4 -> 3.5)."""
    arr = np.asarray(values, dtype=float)
    order = np.argsort(arr, kind="stable")
    ranks = np.empty(len(arr))
    i = 0
    while i < len(arr):
        j = i
        while j + 1 < len(arr) and arr[order[j + 1]] == arr[order[i]]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return [float(r) for r in ranks]


def _pearson(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 2:
        return None
    dx, dy = x - x.mean(), y - y.mean()
    den = math.sqrt(float(dx @ dx) * float(dy @ dy))
    return float(dx @ dy) / den if den > 0 else None


def spearman(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Spearman's rho as the Pearson correlation of average ranks; None when fewer than two
    pairs or a side is constant."""
    _paired(x, y)
    return _pearson(np.asarray(average_ranks(x)), np.asarray(average_ranks(y)))


def kendall_tau_b(x: Sequence[float], y: Sequence[float]) -> float | None:
    """Kendall's tau-b, ``(C - D) / sqrt((n0 - n1)(n0 - n2))``; None when fewer than two
    pairs or a side is constant."""
    a, b = _paired(x, y)
    n = len(a)
    if n < 2:
        return None
    n0 = n * (n - 1) // 2
    c_minus_d = n1 = n2 = 0
    for i in range(n - 1):
        sx = np.sign(a[i + 1 :] - a[i])
        sy = np.sign(b[i + 1 :] - b[i])
        c_minus_d += int((sx * sy).sum())
        n1 += int((sx == 0).sum())
        n2 += int((sy == 0).sum())
    den = math.sqrt((n0 - n1) * (n0 - n2))
    return c_minus_d / den if den > 0 else None


def _category(value: float, lo: int, hi: int) -> int:
    if not lo <= value <= hi:
        raise ValueError(f"rating {value} outside the scale [{lo}, {hi}]")
    return math.floor(value + 0.5) - lo  # nearest integer, halves up (2.5 -> 3)


def weighted_kappa(
    a: Sequence[float],
    b: Sequence[float],
    lo: int,
    hi: int,
    weights: Literal["quadratic", "linear"] = "quadratic",
) -> float | None:
    """Cohen's weighted kappa of two raters over the integer categories ``lo..hi``.

    Ratings are rounded to the nearest integer (halves up). ``1 - sum(W*O) / sum(W*E)``
    with ``O`` the observed and ``E`` the chance (product of marginals) proportions and
    ``W`` the disagreement weights. None when there is no expected disagreement (no pairs,
    a one-category scale, or both raters constant on the same category).

    Raises:
        ValueError: a rating outside ``[lo, hi]``, ``hi < lo`` or unequal lengths.
    """
    if hi < lo:
        raise ValueError(f"empty scale [{lo}, {hi}]")
    ra, rb = _paired(a, b)
    k = hi - lo + 1
    if len(ra) == 0 or k == 1:
        return None
    observed = np.zeros((k, k))
    for u, v in zip(ra, rb, strict=True):
        observed[_category(float(u), lo, hi), _category(float(v), lo, hi)] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    idx = np.arange(k)
    dist = np.abs(idx[:, None] - idx[None, :]) / (k - 1)
    w = dist**2 if weights == "quadratic" else dist
    exp_dis = float((w * expected).sum())
    if exp_dis <= 1e-12:
        return None
    return 1 - float((w * observed).sum()) / exp_dis


# --------------------------------------------------------------------------- human labels


class HumanLabel(BaseModel):
    """One human rating of one item of one unit (a session ``course_id#index``, or a
    dialogue id), optionally naming the rater."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    unit: str = Field(min_length=1)
    item: str = Field(min_length=1)
    score: float = Field(allow_inf_nan=False)
    rater: str | None = None


def _csv_rows(raw: bytes) -> Iterator[tuple[int, Any, str | None]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        yield 1, None, "not UTF-8 text"
        return
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if header is None:
            return
        names = [h.strip() for h in header]
        if names not in _CSV_HEADERS:
            yield 1, None, "header must be unit,item,score[,rater]"
            return
        for row in reader:
            n = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(names):
                yield n, None, f"expected {len(names)} columns, got {len(row)}"
                continue
            value = dict(zip(names, (c.strip() for c in row), strict=True))
            yield n, {k: v for k, v in value.items() if k != "rater" or v}, None
    except csv.Error as exc:
        yield reader.line_num, None, f"not valid CSV: {exc}"


def load_human_labels(path: Path) -> list[HumanLabel]:
    """Human labels from JSONL (one ``{"unit", "item", "score"[, "rater"]}`` per line) or
    CSV (header ``unit,item,score[,rater]``), chosen by the file suffix.

    Raises:
        DataError: missing or unreadable file, unknown suffix, a bad line (named by
            ``file:line`` and reason, never its content), or no labels at all.
    """
    suffix = path.suffix.lower()
    if suffix not in (".jsonl", ".csv"):
        raise DataError(f"{path}: human labels must be a .jsonl or .csv file")
    try:
        raw = path.read_bytes()
    except OSError:
        raise DataError(f"{path}: human labels file not found or unreadable") from None
    rows = _csv_rows(raw) if suffix == ".csv" else json_lines(raw)
    labels: list[HumanLabel] = []
    for n, value, reason in rows:
        if reason is not None:
            raise DataError(f"{path}:{n}: {reason}")
        try:
            labels.append(HumanLabel.model_validate(value))
        except ValidationError as exc:
            loc, msg = field_error(exc)
            raise DataError(f"{path}:{n}: invalid label field '{loc}': {msg}") from None
    if not labels:
        raise DataError(f"{path}: no labels")
    return labels


def human_scores(labels: Sequence[HumanLabel]) -> dict[tuple[str, str], float]:
    """The human score per ``(unit, item)``: the mean over its raters (and repeats)."""
    by_key: dict[tuple[str, str], list[float]] = defaultdict(list)
    for label in labels:
        by_key[(label.unit, label.item)].append(label.score)
    return {k: sum(v) / len(v) for k, v in by_key.items()}


# --------------------------------------------------------------------------- agreement


def _block(
    judge: list[float],
    human: list[float],
    scale: tuple[int, int] | None,
    unpaired_judge: int,
    unpaired_human: int,
) -> dict[str, Any]:
    def kappa(w: Literal["quadratic", "linear"]) -> float | None:
        return weighted_kappa(judge, human, scale[0], scale[1], w) if scale else None

    def mean(xs: list[float]) -> float | None:
        return statistics.fmean(xs) if xs else None

    return {
        "n": len(judge),
        "unpaired_judge": unpaired_judge,
        "unpaired_human": unpaired_human,
        "spearman": spearman(judge, human),
        "kendall": kendall_tau_b(judge, human),
        "kappa_quadratic": kappa("quadratic"),
        "kappa_linear": kappa("linear"),
        "mean_abs_diff": mean([abs(j - h) for j, h in zip(judge, human, strict=True)]),
        "judge_mean": mean(judge),
        "human_mean": mean(human),
    }


def agreement(
    judge: dict[tuple[str, str], float],
    human: Sequence[HumanLabel],
    bounds: dict[str, tuple[int, int]],
) -> dict[str, dict[str, Any]]:
    """Judge-human agreement per item, and pooled over all items under :data:`POOLED`.

    Args:
        judge: the judge's score per ``(unit, item)`` (the mean over its repeats).
        human: the human labels; several for one ``(unit, item)`` are averaged.
        bounds: each item's scale ``(lo, hi)`` for kappa; an item without bounds gets no
            kappa, and the pooled kappa is given only when every item shares one scale.

    Returns:
        ``{item: block, ..., "all": block}`` (items sorted), each block holding ``n`` paired
        units, ``unpaired_judge`` / ``unpaired_human`` (units scored on one side only),
        ``spearman``, ``kendall`` (tau-b), ``kappa_quadratic``, ``kappa_linear`` (both
        sides rounded to the nearest integer), ``mean_abs_diff``, ``judge_mean`` and
        ``human_mean``; undefined statistics are None.

    Raises:
        DataError: a paired score outside its item's bounds (a human label off the scale).
    """
    people = human_scores(human)
    items = sorted({i for _, i in judge} | {i for _, i in people})
    out: dict[str, dict[str, Any]] = {}
    pooled_j: list[float] = []
    pooled_h: list[float] = []
    only_j = only_h = 0
    for item in items:
        units_j = {u for u, i in judge if i == item}
        units_h = {u for u, i in people if i == item}
        both = sorted(units_j & units_h)
        js = [judge[(u, item)] for u in both]
        hs = [people[(u, item)] for u in both]
        unpaired = len(units_j - units_h), len(units_h - units_j)
        try:
            out[item] = _block(js, hs, bounds.get(item), *unpaired)
        except ValueError as exc:  # the only one: a rating off the item's scale
            raise DataError(f"agreement on item '{item}': {exc}") from None
        pooled_j += js
        pooled_h += hs
        only_j += unpaired[0]
        only_h += unpaired[1]
    scales = {bounds.get(item) for item in items}
    shared = next(iter(scales)) if len(scales) == 1 else None
    out[POOLED] = _block(pooled_j, pooled_h, shared, only_j, only_h)
    return out
