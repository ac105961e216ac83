"""`counselsim score`, `metrics` and `report` plumbing: units in, resume, summary, bad input."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from counselsim.critic.agreement import HumanLabel
from counselsim.critic.judge import RubricJudge
from counselsim.critic.rubric import load_rubric
from counselsim.critic.scoring import SCORES_DIR, load_units, run_scoring, summarize
from counselsim.errors import DataError
from counselsim.llm.fake import FunctionChatModel, LogprobChatModel, token_logprobs
from counselsim.runs import RunDir
from tests.unit.test_judge import answer, deps_for, listed_items
from tests.unit.test_mask_cli import run_cli

CPSYCOUNE_LIKE = [
    {
        "id": "Career/1",
        "topic": "Career",
        "utterances": ["求助者：我最近很焦虑。", "支持者：能多说一点吗？"],
    },
    {
        "id": "Family/2",
        "topic": "Family",
        "utterances": ["求助者：我和父母吵架了。", "支持者：听起来你很难过。"],
    },
]


def corpus(tmp_path: Path) -> Path:
    p = tmp_path / "cpsycoune.jsonl"
    p.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in CPSYCOUNE_LIKE), "utf-8")
    return p


def test_units_from_an_imported_corpus(tmp_path):
    units = load_units(corpus(tmp_path), "transcript")
    assert [u.language for u in units] == ["zh", "zh"]
    assert [len(u.turns) for u in units] == [2, 2] and units[0].profile is None


def written(path: Path, text: str) -> Path:
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    "make,needle",
    [
        (lambda t: t / "absent.jsonl", "no such file"),
        (lambda t: t, "no sessions.jsonl"),
        (lambda t: written(t / "sessions.jsonl", ""), "empty"),
        (lambda t: written(t / "s.jsonl", '{"x": 1}\n'), "s.jsonl:1"),
    ],
)
def test_bad_inputs_are_one_line_errors(tmp_path, make, needle):
    with pytest.raises(DataError) as info:
        load_units(make(tmp_path))
    assert needle in str(info.value) and "\n" not in str(info.value)


async def test_scoring_resumes_and_summarises_with_agreement(tmp_path):
    units = await asyncio.to_thread(load_units, corpus(tmp_path), "transcript")
    rubric = load_rubric("psy_insight")
    level = {"Career-1": 4, "Family-2": 2}

    def fn(messages, kwargs):
        who = "Career-1" if "焦虑" in messages[1].content else "Family-2"
        return answer(dict.fromkeys(listed_items(messages), level[who]))

    fake = FunctionChatModel(fn=fn)
    judge = RubricJudge(deps_for(fake), rubric)
    scores = await run_scoring(judge, units, tmp_path, repeats=2)
    assert len(fake.calls) == 4 and [s.unit for s in scores] == ["Career-1", "Family-2"]
    path = tmp_path / SCORES_DIR / "psy_insight.jsonl"
    assert len(path.read_text("utf-8").splitlines()) == 2
    again = await run_scoring(RubricJudge(deps_for(fake), rubric), units, tmp_path, repeats=2)
    assert len(fake.calls) == 4 and again == scores  # resumed: nothing judged twice
    human = [
        HumanLabel(unit="Career-1", item="helpfulness", score=5),
        HumanLabel(unit="Family-2", item="helpfulness", score=1),
        HumanLabel(unit="Family-9", item="helpfulness", score=3),
    ]
    summary = summarize(rubric, scores, human)
    assert summary.scored == 2 and summary.failed == 0 and summary.repeats == 2
    assert summary.items["helpfulness"].model_dump() == {
        "mean": 3.0,
        "sd_between_units": pytest.approx(1.4142, abs=1e-4),
        "judge_sd": 0.0,
        "n": 2,
    }
    assert summary.agreement is not None
    agree = summary.agreement["helpfulness"]
    assert agree["n"] == 2 and agree["spearman"] == pytest.approx(1.0)


# --- the CLI, in process --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args,needle",
    [
        (["--rubric", "nope"], "unknown rubric 'nope'"),
        (["--rubric", "ctrs:nope"], "no subset 'nope'"),
        (["--rubric", "core", "--human", "/absent.csv"], "absent.csv"),
        ([], "--out is required"),  # a corpus is not a run directory to write into
    ],
)
def test_score_bad_input(monkeypatch, capfd, tmp_path, args, needle):
    if args:
        args = [*args, "--out", str(tmp_path)]
    code, _, err = run_cli(
        monkeypatch, capfd, "score", str(corpus(tmp_path)), "--format", "transcript", *args
    )
    lines = [x for x in err.splitlines() if x.strip()]
    assert code == 2 and len(lines) == 1 and needle in lines[0], err
    assert not (tmp_path / SCORES_DIR).exists()


@pytest.mark.parametrize(
    ("flags", "method", "asked"), [([], "geval", True), (["--method", "sampled"], "sampled", False)]
)
def test_score_method_decides_g_eval_or_the_sampled_scores(
    monkeypatch, capfd, tmp_path, flags, method, asked
):
    from counselsim.services import compose

    def fn(messages, kwargs):  # every score token: 3 (p .5) or 4 (p .5), G-Eval 3.5
        text = answer(dict.fromkeys(listed_items(messages), 3))
        return text, token_logprobs(text, [{"3": 0.5, "4": 0.5}] * 8)

    chat = LogprobChatModel(fn=fn)
    monkeypatch.setattr(compose, "build_chat_model", lambda _: (chat, "fake-judge"))
    out = tmp_path / "scored"
    code, _, err = run_cli(
        monkeypatch, capfd, "score", str(corpus(tmp_path)), "--format", "transcript",
        "--rubric", "psy_insight", "--out", str(out), *flags,
    )  # fmt: skip
    assert code == 0, err
    assert all(("logprobs" in c.kwargs) is asked for c in chat.calls) and chat.calls
    scores = RunDir(out).scores("psy_insight")
    judgements = [j for s in scores for j in s.judgements]
    assert {j.method for j in judgements} == {method} and len(scores) == 2
    assert all(j.fallback is None for j in judgements)
    helpfulness = scores[0].items["helpfulness"].mean
    assert helpfulness == (3.5 if method == "geval" else 3.0)


def test_score_method_is_one_of_two(monkeypatch, capfd, tmp_path):
    code, _, err = run_cli(
        monkeypatch, capfd, "score", str(corpus(tmp_path)), "--format", "transcript",
        "--out", str(tmp_path / "o"), "--method", "best",
    )  # fmt: skip
    lines = [x for x in err.splitlines() if x.strip()]
    assert code == 2 and len(lines) == 1 and "--method" in lines[0], err


def test_metrics_cli_writes_the_contract_and_compares_inputs(monkeypatch, capfd, tmp_path):
    folder = tmp_path / "dialogues"
    folder.mkdir()
    (folder / "a.json").write_text(
        json.dumps(
            [{"role": "client", "content": "我很累"}, {"role": "counselor", "content": "嗯"}]
        ),
        "utf-8",
    )
    out = tmp_path / "metrics.json"
    code, stdout, err = run_cli(
        monkeypatch,
        capfd,
        "metrics",
        str(folder),
        f"transcript:{corpus(tmp_path)}",
        "--out",
        str(out),
    )
    assert code == 0, err
    data = json.loads(out.read_text("utf-8"))
    assert data["dialogues"] == 3 and {"client", "counselor"} == set(data["ldd"])
    assert set(data["ldd"]["client"]) >= {"puw", "uwpd", "ldd"}
    assert set(data["distinct"]["counselor"]) == {"1", "2", "3"} and "avg_turns" in data
    assert [b["dialogues"] for b in data["inputs"]] == [1, 2]
    assert data["equal_d"]["d"] == 1
    assert data["minimal_response"]["counselor_turns"] == 3  # "嗯" is one backchannel
    assert "LDD at D=1" in stdout


def test_metrics_cli_empty_corpus(monkeypatch, capfd, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(
        monkeypatch, capfd, "metrics", str(empty), "--out", str(tmp_path / "m.json")
    )
    assert code == 2 and "error:" in err and not (tmp_path / "m.json").exists()
