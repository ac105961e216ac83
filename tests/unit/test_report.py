"""The run report on a hand-built run: 2 courses x 2 sessions, rubric scores with a failed
unit, and a metrics dict; every number checked here is worked out by hand."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from counselsim.errors import DataError, OutputError
from counselsim.labels import Emotion, EndReason, Stage, Strategy
from counselsim.records import (
    ClientTurn,
    Comparison,
    CriticReport,
    DimensionScore,
    Provenance,
    RubricScore,
    SessionPlan,
    SessionRecord,
    Stat,
)
from counselsim.report import build_report, write_report
from counselsim.report.series import (
    EMOTION_COLORS,
    emotion_arc,
    emotion_by_session,
    strategy_by_stage,
    strategy_by_third,
    third,
    turn_valence,
)
from counselsim.report.tables import metric_tables
from tests.conftest import counselor_turn

E, S = Emotion, Strategy
DAY = date(2025, 1, 31)
PROFILE = "anna<b>x</b>"  # must come out escaped


def session(
    course: str,
    index: int,
    stage: Stage,
    strategies: Sequence[Sequence[Strategy]],
    emotions: Sequence[Sequence[Emotion]],
    critic: dict[str, float] | str,
) -> SessionRecord:
    """A session alternating counselor and client turns, starting with the counselor.

    ``critic`` is the core rubric's empathy (1-5) and safety (0-2) scores, or the error of a
    failed critic.
    """
    turns: list[Any] = []
    for i, strat in enumerate(strategies):
        turns.append(counselor_turn(len(turns), f"counselor {i}", strategy=tuple(strat)))
        if i < len(emotions):
            turns.append(
                ClientTurn(index=len(turns), text=f"client {i}", emotion=list(emotions[i]))
            )
    if isinstance(critic, str):
        report = CriticReport(rubric="core", status="failed", error=critic, scores=[])
    else:
        bounds = {"empathy": (1, 5), "safety": (0, 2)}
        report = CriticReport(
            rubric="core",
            scores=[
                DimensionScore(dimension=k, score=v, min=bounds[k][0], max=bounds[k][1],
                               rationale=f"{k} <i>because</i>")
                for k, v in critic.items()
            ],
        )  # fmt: skip
    return SessionRecord(
        course_id=course,
        session_index=index,
        profile_id=PROFILE,
        language="en",
        plan=SessionPlan(stage=stage, goals=["listen"], approach="client-centred", focus="sleep"),
        turns=turns,
        end_reason=EndReason.COUNSELOR_CLOSED,
        summary="s",
        salient_events=["e"],
        critic=report,
        provenance=Provenance(
            model="fake-model", engine="fake", prompt_hashes={}, seed=3, config_hash="h",
            version="0.1.0",
        ),
    )  # fmt: skip


def records() -> list[SessionRecord]:
    return [
        session(
            "c1", 1, Stage.INTAKE,
            [[S.QUESTION], [S.QUESTION, S.REFLECTION], [S.AFFIRMATION]],
            [[E.ANXIETY], [E.SADNESS]],
            {"empathy": 4, "safety": 2},
        ),
        session(
            "c1", 2, Stage.EXPLORATION,
            [[S.REFLECTION], [S.SUGGESTION]],
            [[E.NEUTRAL], [E.HAPPINESS, E.ANXIETY]],
            {"empathy": 3, "safety": 2},
        ),
        session(
            "c2", 1, Stage.INTAKE,
            [[S.QUESTION], [S.RESTATEMENT]],
            [[E.FEAR], [E.DEPRESSION]],
            {"empathy": 5, "safety": 1},
        ),
        session(
            "c2", 2, Stage.EXPLORATION,
            [[S.QUESTION]],
            [[E.ANGER]],
            "model returned invalid JSON",
        ),
    ]  # fmt: skip


def stat(mean: float, sd: float, lo: float, hi: float, n: int) -> Stat:
    return Stat(mean=mean, sd=sd, min=lo, max=hi, n=n)


def score(rubric: str, unit: str, status: str = "scored", **parts: Any) -> RubricScore:
    errors = parts.pop("errors", [])
    return RubricScore(
        rubric=rubric, unit=unit, language="en", repeats=2, status=status, errors=errors,
        judgements=[], **parts,
    )  # fmt: skip


SCORES = {
    "core": [
        score("core", "c1#1", items={"empathy": stat(3.5, 0.7071, 3, 4, 2),
                                     "safety": stat(2, 0, 2, 2, 2)}),
        score("core", "c1#2", items={"empathy": stat(4.5, 0.7071, 4, 5, 2),
                                     "safety": stat(1.5, 0.7071, 1, 2, 2)}),
        score("core", "c2#1", "partial", errors=["repeat 1: timeout"],
              items={"empathy": stat(2, 0, 2, 2, 1), "safety": stat(1, 0, 1, 1, 1)}),
        score("core", "c2#2", "failed", errors=["repeat 0: judge <b>timed out</b>",
                                                "repeat 1: judge <b>timed out</b>"]),
    ],
    "test_codes": [
        score("test_codes", "c1#1", counts={"reflect": stat(2, 0, 2, 2, 2),
                                            "question": stat(3, 1, 2, 4, 2)},
              ratios={"r_to_q": stat(0.5, 0.1, 0.4, 0.6, 2)}),
        score("test_codes", "c1#2", counts={"reflect": stat(4, 0, 4, 4, 2),
                                            "question": stat(1, 0, 1, 1, 2)}),
    ],
    "test_prepost": [
        score("test_prepost", "c1#1",
              items={"pre.calm": stat(2, 0, 2, 2, 2), "post.calm": stat(4, 0, 4, 4, 2),
                     "delta.calm": stat(2, 0, 2, 2, 2)},
              groups={"pre.pa": stat(2, 0, 2, 2, 2), "post.pa": stat(3, 0, 3, 3, 2),
                      "delta.pa": stat(1, 0, 1, 1, 2)}),
        score("test_prepost", "c1#2",
              items={"pre.calm": stat(3, 0, 3, 3, 2), "post.calm": stat(3, 0, 3, 3, 2),
                     "delta.calm": stat(0, 0, 0, 0, 2)},
              groups={"pre.pa": stat(2, 0, 2, 2, 2), "post.pa": stat(2, 0, 2, 2, 2),
                      "delta.pa": stat(0, 0, 0, 0, 2)}),
    ],
}  # fmt: skip

METRICS: dict[str, Any] = {
    "dialogues": 4,
    "avg_turns": 4.25,
    "ldd": {"client": {"puw": 50.0, "uwpd": 12.5, "ldd": 625.0}, "counselor": {"puw": None}},
    "distinct": {"client": {"1": 0.5, "2": 0.8125, "3": 0.9}},
}


def write_run(root: Path, recs: Sequence[SessionRecord] | None = None) -> Path:
    run = root / "run"
    (run / "scores").mkdir(parents=True)
    lines = [r.model_dump_json() for r in (records() if recs is None else recs)]
    (run / "sessions.jsonl").write_text("".join(x + "\n" for x in lines), encoding="utf-8")
    for name, units in SCORES.items():
        text = "".join(u.model_dump_json() + "\n" for u in units)
        (run / "scores" / f"{name}.jsonl").write_text(text, encoding="utf-8")
    (run / "scores" / "core.summary.json").write_text("{}", encoding="utf-8")  # not read
    info = {"profile_id": PROFILE, "config": {"sessions": 2, "max_turns": 3}}
    (run / "run.json").write_text(json.dumps(info), encoding="utf-8")
    return run


@pytest.fixture
def html(tmp_path: Path) -> str:
    return build_report(write_run(tmp_path), METRICS, generated=DAY)


def svgs(page: str) -> list[str]:
    return re.findall(r"<svg .*?</svg>", page, flags=re.S)


# --------------------------------------------------------------------------- the page


def test_page_is_self_contained(html: str) -> None:
    assert html.startswith("<!DOCTYPE html>")
    for external in ('src="http', "src='http", "<link", "<script", "url(http", "@import"):
        assert external not in html
    assert "<img" not in html


def test_one_svg_per_chart_with_numbered_captions(html: str) -> None:
    # strip plots: critic core, judge core, judge test_prepost (test_codes has no items);
    # then the emotion arc, the emotion shares and the two strategy charts
    assert len(svgs(html)) == html.count("<svg") == 7
    assert [int(n) for n in re.findall(r"Figure (\d+)\.</span>", html)] == list(range(1, 8))
    for heading in ("Rubric scores", "Client emotion", "Counselor strategies", "Text metrics"):
        assert heading in html
    assert "Generated 2025-01-31" in html


def test_header_counts_and_escaping(html: str) -> None:
    assert "<dt>courses</dt><dd>2</dd>" in html
    assert "<dt>sessions</dt><dd>4</dd>" in html
    # turns: 5 + 4 + 4 + 2 = 15, of which counselor 3 + 2 + 2 + 1 = 8
    assert "<dt>turns</dt><dd>15 (8 counselor, 7 client)</dd>" in html
    assert "<dd>fake-model</dd>" in html
    assert "sessions 2, max_turns 3" in html
    assert "anna&lt;b&gt;x&lt;/b&gt;" in html and PROFILE not in html
    assert "c1" not in re.sub(r"<svg .*?</svg>|data:image[^\"]*", "", html)  # no course ids


def test_critic_scores_table_and_failure(html: str) -> None:
    # in-course critic, empathy: sessions 4, 3, 5 (the 4th failed) -> mean 4.00,
    # sd sqrt(((0)^2 + (-1)^2 + 1^2) / 2) = 1.00; safety 2, 2, 1 -> mean 5/3 = 1.67,
    # sd sqrt((1/9 + 1/9 + 4/9) / 2) = sqrt(1/3) = 0.58
    critic = html[html.index("in-course critic") : html.index("rubric judge")]
    row = '<td>{}</td><td>{}</td><td class="n">3</td><td class="n">{}</td>'
    assert row.format("empathy", "1–5", "4.00 ± 1.00") in critic
    assert row.format("safety", "0–2", "1.67 ± 0.58") in critic
    assert "4 units: 3 scored, 1 not scored." in critic
    assert "not scored (model returned invalid JSON): 1" in critic
    assert "&lt;i&gt;" not in html and "<i>" not in html  # rationales are not shown


def test_judge_scores_table_failed_unit_not_plotted(html: str) -> None:
    judge = html[html.index('core <span class="src">· rubric judge') :]
    judge = judge[: judge.index("<h3>")]
    # empathy over the three units with values: 3.5, 4.5, 2 -> mean 10/3 = 3.33,
    # sd sqrt((1/36 + 49/36 + 64/36) / 2) = sqrt(114/72) = 1.26;
    # judge spread: mean of the per-unit sds (0.7071, 0.7071, 0) = 0.47
    assert '<td class="n">3</td><td class="n">3.33 ± 1.26</td><td class="n">0.47</td>' in judge
    # safety: 2, 1.5, 1 -> 1.50 ± 0.50; spread (0 + 0.7071 + 0) / 3 = 0.24
    assert '<td class="n">1.50 ± 0.50</td><td class="n">0.24</td>' in judge
    assert "4 units: 2 scored, 1 partially scored (some repeats failed), 1 not scored." in judge
    assert "not scored (repeat 0: judge &lt;b&gt;timed out&lt;/b&gt;): 1" in judge
    plot = svgs(judge)[0]
    assert plot.count("<circle") == 6  # 3 units x 2 dimensions, the failed one left out
    assert "mean 3.33 · n 3" in plot and "not plotted" in judge
    assert "the rubric file" in judge  # core loads: bounds 1-5 and 0-2 from the rubric


def test_codes_prepost_and_metric_tables(html: str) -> None:
    # reflect counts 2 and 4 -> 3.00 ± 1.41; question 3 and 1 -> 2.00 ± 1.41; ratio one unit
    assert '<td>reflect</td><td class="n">2</td><td class="n">3.00 ± 1.41</td>' in html
    assert '<td>question</td><td class="n">2</td><td class="n">2.00 ± 1.41</td>' in html
    assert '<td>ratio r_to_q</td><td class="n">1</td><td class="n">0.50</td>' in html
    # pa pre 2, 2; post 3, 2; delta 1, 0 -> 2.00 ± 0.00 | 2.50 ± 0.71 | 0.50 ± 0.71
    assert (
        '<td>pa</td><td class="n">2.00 ± 0.00</td><td class="n">2.50 ± 0.71</td>'
        '<td class="n">0.50 ± 0.71</td><td class="n">2</td>'
    ) in html
    assert '<td>calm</td><td class="n">2.50 ± 0.71</td><td class="n">3.50 ± 0.71</td>' in html
    assert '<td>dialogues</td><td class="n">4</td>' in html
    assert '<td>ldd.client.puw</td><td class="n">50.00</td>' in html
    assert '<td>ldd.counselor.puw</td><td class="n">—</td>' in html
    assert '<td>distinct.client.2</td><td class="n">0.812</td>' in html


def test_metrics_json_from_the_run_dir_and_side_by_side(tmp_path: Path) -> None:
    run = write_run(tmp_path)
    ldd_at = {"ldd": {"mean": 19.05, "sd": 0.5}, "d": 4}
    both = {
        "paths": ["sim", "psydial"],
        "dialogues": 14,
        "notes": ["LDD grows with D <i>"],
        "inputs": [
            {"input": "sim", "dialogues": 4, "ldd": {"client": {"ldd": 12.0}}},
            {"input": "psydial", "dialogues": 10, "avg_turns": 8.0},
        ],
        "equal_d": {
            "d": 4,
            "inputs": [{"input": "sim", "client": ldd_at}, {"input": "psydial", "client": {}}],
        },
    }
    (run / "metrics.json").write_text(json.dumps(both), encoding="utf-8")
    html = build_report(run, generated=DAY)
    assert '<th class="n">sim</th><th class="n">psydial</th><th class="n">pooled</th>' in html
    assert (
        '<td>dialogues</td><td class="n">4</td><td class="n">10</td><td class="n">14</td>' in html
    )
    assert '<td>avg_turns</td><td class="n">—</td><td class="n">8.000</td><td class="n">—' in html
    assert '<td>equal_d.d</td><td class="n">—</td><td class="n">—</td><td class="n">4</td>' in html
    # the equal-D table: one column per input, {mean, sd} as one cell
    assert '<td>client.ldd</td><td class="n">19.05 ± 0.50</td><td class="n">—</td>' in html
    assert html.count("Note: LDD grows with D &lt;i&gt;") == 1
    main, equal, notes = metric_tables({"paths": ["a.jsonl"], "dialogues": 2, "odd": [1, 2]})
    assert main.columns == ["a.jsonl"] and main.rows == [["dialogues", "2"]]
    assert equal is None and notes == []
    # a key only a later input has stays with its group
    later = {"inputs": [{"input": "a", "s": {"x": 1}, "z": 2}, {"input": "b", "s": {"y": 3}}]}
    assert [r[0] for r in metric_tables(later)[0].rows] == ["s.x", "s.y", "z"]


def test_report_without_optional_inputs(tmp_path: Path) -> None:
    run = tmp_path / "bare"
    run.mkdir()
    (run / "sessions.jsonl").write_text(records()[0].model_dump_json() + "\n", encoding="utf-8")
    html = build_report(run, generated=DAY)
    assert html.count("<svg") == 5  # critic strip, arc, emotion shares, two strategy charts
    assert "No metrics.json" in html


def test_output_is_deterministic_and_written_atomically(tmp_path: Path, html: str) -> None:
    run = tmp_path / "run"
    assert build_report(run, METRICS, generated=DAY) == html
    out = tmp_path / "report.html"
    write_report(run, out, METRICS, generated=DAY)
    assert out.read_text(encoding="utf-8") == html


# --------------------------------------------------------------------------- computations


def test_emotion_valence_arc_by_hand() -> None:
    assert turn_valence([E.HAPPINESS, E.ANXIETY]) == pytest.approx(0.25)  # (1 - 0.5) / 2
    assert turn_valence([]) is None
    arc = emotion_arc(records())
    # S1 turn 1: Anxiety -0.5 (c1), Fear -0.6 (c2) -> -0.55; turn 2: Sadness -0.8,
    # Depression -1.0 -> -0.9. S2 turn 1: Neutral 0, Anger -0.6 -> -0.3; turn 2 only c1:
    # (Happiness 1 + Anxiety -0.5) / 2 = 0.25 on one course
    assert [s for s, _ in arc] == [1, 2]
    got = [[(round(p.value or 0, 4), p.n) for p in points] for _, points in arc]
    assert got == [[(-0.55, 2), (-0.9, 2)], [(-0.3, 2), (0.25, 1)]]


def test_strategy_shares_per_stage_by_hand() -> None:
    bars = strategy_by_stage(records())
    assert [b.label for b in bars] == ["intake", "exploration"]
    for b in bars:
        assert sum(b.shares) == pytest.approx(1.0)
    intake = dict(zip(Strategy, bars[0].shares, strict=True))
    # intake turns: [Q], [Q, Refl], [Affirm] (c1) and [Q], [Restate] (c2): 5 turns
    # Q = 1 + 0.5 + 1 = 2.5 -> 0.5; Refl 0.5 -> 0.1; Affirm 0.2; Restate 0.2
    assert intake[S.QUESTION] == pytest.approx(0.5)
    assert intake[S.REFLECTION] == pytest.approx(0.1)
    assert intake[S.AFFIRMATION] == intake[S.RESTATEMENT] == pytest.approx(0.2)
    assert bars[0].n == 5 and bars[1].n == 3
    explo = dict(zip(Strategy, bars[1].shares, strict=True))
    assert explo[S.REFLECTION] == explo[S.SUGGESTION] == explo[S.QUESTION] == pytest.approx(1 / 3)


def test_thirds_and_position_shares() -> None:
    assert [third(i, 1) for i in range(1)] == [1]
    assert [third(i, 2) for i in range(2)] == [0, 2]
    assert [third(i, 3) for i in range(3)] == [0, 1, 2]
    assert [third(i, 4) for i in range(4)] == [0, 1, 1, 2]
    bars = strategy_by_third(records())
    # counselor turns per session: 3, 2, 2, 1 -> opening: c1s1#0, c1s2#0, c2s1#0;
    # middle: c1s1#1, c2s2#0; closing: c1s1#2, c1s2#1, c2s1#1
    assert [(b.label, b.n) for b in bars] == [("opening", 3), ("middle", 2), ("closing", 3)]
    for b in bars:
        assert sum(b.shares) == pytest.approx(1.0)
    # closing: [Affirm] (c1s1), [Suggest] (c1s2), [Restate] (c2s1) -> a third each
    closing = dict(zip(Strategy, bars[2].shares, strict=True))
    assert closing[S.AFFIRMATION] == closing[S.SUGGESTION] == pytest.approx(1 / 3)
    assert closing[S.RESTATEMENT] == pytest.approx(1 / 3) and closing[S.QUESTION] == 0


def test_emotion_shares_per_session_by_hand() -> None:
    bars = emotion_by_session(records())
    assert [(b.label, b.n) for b in bars] == [("S1", 4), ("S2", 3)]
    # S2: [Neutral], [Happiness, Anxiety] (c1), [Anger] (c2): Neutral 1/3, Anger 1/3,
    # Happiness and Anxiety 1/6 each
    s2 = dict(zip(EMOTION_COLORS, bars[1].shares, strict=True))  # in valence order
    assert s2[E.NEUTRAL] == s2[E.ANGER] == pytest.approx(1 / 3)
    assert s2[E.HAPPINESS] == s2[E.ANXIETY] == pytest.approx(1 / 6)


# --------------------------------------------------------------------------- bad input


def test_missing_or_empty_sessions_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match=r"no sessions\.jsonl here"):
        build_report(tmp_path)
    (tmp_path / "sessions.jsonl").write_text("\n", encoding="utf-8")
    with pytest.raises(DataError, match="no session records"):
        build_report(tmp_path)
    (tmp_path / "sessions.jsonl").write_text('{"course_id": "SECRET"}\n', encoding="utf-8")
    with pytest.raises(DataError, match=r"sessions\.jsonl:1: not a valid session record") as err:
        build_report(tmp_path)
    assert "SECRET" not in str(err.value) and "\n" not in str(err.value)


def test_pairwise_comparisons_in_scores_are_not_read_as_rubric_scores(tmp_path: Path) -> None:
    run = write_run(tmp_path)
    pair = Comparison(
        rubric="core", unit_a="c1#1", unit_b="c2#1", repeats=1, status="failed",
        errors=["x"], judgements=[],
    )  # fmt: skip
    (run / "scores" / "core.compare.jsonl").write_text(pair.model_dump_json() + "\n", "utf-8")
    assert build_report(run, METRICS, generated=DAY) == build_report(
        write_run(tmp_path / "other"), METRICS, generated=DAY
    )


def test_unwritable_output_or_bad_metrics_is_one_line_error(tmp_path: Path) -> None:
    run = write_run(tmp_path)
    with pytest.raises(OutputError, match="cannot write"):
        write_report(run, tmp_path / "missing" / "report.html", METRICS)
    with pytest.raises(DataError, match="not a JSON object"):
        build_report(run, [1, 2])  # type: ignore[arg-type]  # what `--metrics` may hold


def test_bad_scores_or_metrics_file_is_a_data_error(tmp_path: Path) -> None:
    run = write_run(tmp_path)
    (run / "metrics.json").write_text("[1]", encoding="utf-8")
    with pytest.raises(DataError, match="expected a JSON object"):
        build_report(run)
    (run / "metrics.json").unlink()
    (run / "scores" / "core.jsonl").write_text("{nope\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"core\.jsonl:1: not valid JSON"):
        build_report(run)
