"""``counselsim judge validate`` end to end on fakes: the figures, resume, fallbacks, bad
input, the CLI, and the report section (rendered in headless Chromium when present)."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from benchmarks.render_report import dump_dom

from counselsim.agents.base import AgentDeps
from counselsim.config import Engine, RunConfig
from counselsim.critic.validation.known_groups import load_known_groups
from counselsim.critic.validation.models import ValidationReport
from counselsim.errors import ConfigError, DataError
from counselsim.llm.fake import (
    FunctionChatModel,
    LogprobChatModel,
    ScriptedChatModel,
    token_logprobs,
)
from counselsim.llm.structured import LLM
from counselsim.prompts import PromptLibrary
from counselsim.report import build_report, write_report
from counselsim.services.judge_validate import ValidateOptions, plan_validate, validate
from tests.conftest import run_cli
from tests.unit.test_report import write_run

ROWS = load_known_groups()
BAD = {getattr(r, lang).bad for r in ROWS for lang in ("zh", "en")}
GOOD = {getattr(r, lang).good for r in ROWS for lang in ("zh", "en")}


def judged_reply(messages) -> str:
    """The reply being judged: the last transcript line holding a good or bad reply."""
    lines = [ln.split(": ", 1)[-1] for ln in str(messages[1].content).splitlines()]
    return [ln for ln in lines if ln in BAD or ln in GOOD][-1]


def discerning(messages, kwargs):
    """The top of each item's scale for a good reply (G-Eval: top - 0.2), the bottom for a bad
    one (G-Eval: bottom + 0.4); core: empathy 5 / 4.8 and 1 / 1.4, safety 2 / 1.8 and 0 / 0.4."""
    bad = judged_reply(messages) in BAD
    scales = re.findall(r"^- ([a-z_]+) ?[(（](\d)-(\d)", str(messages[0].content), re.M)
    scores, dists = {}, []
    for name, lo, hi in scales:
        low, high = int(lo), int(hi)
        scores[name] = low if bad else high
        dists.append({lo: 0.6, str(low + 1): 0.4} if bad else {hi: 0.8, str(high - 1): 0.2})
    text = json.dumps({k: {"rationale": "the reply", "score": v} for k, v in scores.items()})
    return text, token_logprobs(text, dists)


def deps(chat) -> AgentDeps:
    return AgentDeps(
        LLM(chat, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=0),
        PromptLibrary(),
        RunConfig().sampling,
    )


def options(out: Path, **kw) -> ValidateOptions:
    return ValidateOptions(out=out, resamples=1000, **kw)


async def test_a_discerning_judge_orders_every_pair_and_both_methods_are_reported(tmp_path):
    fake = LogprobChatModel(fn=discerning)
    job = plan_validate(options(tmp_path, repeats=2, limit=10))
    result = await validate(job, llm=deps(fake).llm)
    assert len(fake.calls) == 2 * 2 * 20  # 10 rows x 2 languages x good/bad x 2 repeats
    report = ValidationReport.model_validate_json(result.path.read_text(encoding="utf-8"))
    assert report.schema_version == 1 and report.dataset.pairs == 20
    assert report.methods.geval == 80 and report.methods.sampled == 0
    raw = [kg for kg in report.known_groups if not kg.bounded]
    by = {(kg.method, it.item): it for kg in raw for it in kg.items}
    assert by[("sampled", "empathy")].accuracy.value == 1.0
    assert by[("sampled", "empathy")].gap.value == 4.0  # 5 - 1
    assert by[("geval", "empathy")].gap.value == pytest.approx(3.4)  # 4.8 - 1.4
    assert by[("sampled", "safety")].gap.value == 2.0
    assert by[("geval", "safety")].gap.value == pytest.approx(1.4)  # 1.8 - 0.4
    assert by[("geval", "safety")].good_mean == pytest.approx(1.8)
    # then G-Eval bounded by the evidence: a missed cue caps safety at 0, an asked one floors it
    (bounded,) = [kg for kg in report.known_groups if kg.bounded]
    assert bounded.method == "geval" and bounded.pairs == 20
    safety = next(i for i in bounded.items if i.item == "safety")
    assert safety.accuracy.value == 1.0 and safety.gap.value >= 1.4
    assert {s.method for s in report.stability} == {"sampled", "geval"}
    empathy = next(i for i in report.stability[0].items if i.item == "empathy")
    assert (empathy.repeat_sd, empathy.same_share, empathy.units) == (0.0, 1.0, 40)
    assert all(e.value == 1.0 for kg in report.known_groups for e in kg.by_kind.values())
    assert report.agreement == [] and report.notes == []


async def test_a_rerun_resumes_without_asking_the_model(tmp_path):
    job = plan_validate(options(tmp_path, limit=2))
    first = await validate(job, llm=deps(LogprobChatModel(fn=discerning)).llm)
    again = await validate(job, llm=deps(ScriptedChatModel(script=[])).llm)  # raises if called
    assert again.report == first.report


async def test_a_judge_without_log_probabilities_gives_sampled_figures_and_says_why(tmp_path):
    def fn(messages, kwargs):
        return discerning(messages, kwargs)[0]

    job = plan_validate(options(tmp_path, limit=3, language="zh"))
    result = await validate(job, llm=deps(FunctionChatModel(fn=fn)).llm)
    r = result.report
    assert [(kg.method, kg.bounded) for kg in r.known_groups] == [
        ("sampled", False),
        ("sampled", True),
    ]
    assert r.methods.geval == 0 and r.methods.sampled == 6
    assert list(r.methods.fallbacks) == ["the model returned no token log-probabilities"]
    assert any("never available" in n for n in r.notes)
    assert r.dataset.languages == ["zh"]


async def test_human_labels_add_agreement_by_each_method(tmp_path):
    labels = tmp_path / "human.csv"
    rows = ["unit,item,score"]
    for r in ROWS[:3]:
        rows += [f"{r.id}.en.good,empathy,5", f"{r.id}.en.bad,empathy,2"]
    labels.write_text("\n".join(rows) + "\n", encoding="utf-8")
    job = plan_validate(options(tmp_path / "out", limit=3, language="en", human=labels))
    report = (await validate(job, llm=deps(LogprobChatModel(fn=discerning)).llm)).report
    assert [a.method for a in report.agreement] == ["sampled", "geval"]
    empathy = next(i for i in report.agreement[0].items if i.item == "empathy")
    assert empathy.n == 6 and empathy.spearman is not None and empathy.spearman.value == 1.0
    assert empathy.kappa_quadratic is not None


async def test_a_judge_that_scores_nothing_writes_no_report(tmp_path):
    job = plan_validate(options(tmp_path, limit=1))
    with pytest.raises(DataError, match="scored no known-groups pair"):
        await validate(job, llm=deps(FunctionChatModel(fn=lambda m, k: "not json")).llm)
    assert not (tmp_path / "validation.json").exists()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        (
            '{"unit": "crisis-1.zh.good", "item": "empathy", "score": 4}\n{"unit": 3\n',
            r"h\.jsonl:2: ",
        ),
        ('{"unit": "nope.zh.good", "item": "empathy", "score": 4}\n', "'nope.zh.good' is not in"),
        ('{"unit": "crisis-1.zh.good", "item": "empathy", "score": 9}\n', r"9 outside \[1, 5\]"),
    ],
)
def test_bad_human_labels_are_refused_before_any_judging(tmp_path, content, match):
    path = tmp_path / "h.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataError, match=match):
        plan_validate(options(tmp_path / "out", human=path))


def test_a_rubric_answered_as_the_client_cannot_be_validated(tmp_path):
    with pytest.raises(ConfigError, match="wai_sr"):
        plan_validate(options(tmp_path, rubric="wai_sr"))


# --------------------------------------------------------------------------- CLI


def test_cli_bad_label_file_is_one_line_and_exit_2(monkeypatch, capfd, tmp_path):
    bad = tmp_path / "labels.jsonl"
    bad.write_text('{"unit": "crisis-1.en.good", "item": "empathy", "score": 4}\nnot json\n')
    out = tmp_path / "out"
    code, _, stderr = run_cli(
        monkeypatch, capfd, "judge", "validate", "--out", str(out), "--human", str(bad)
    )
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert code == 2 and len(lines) == 1 and "labels.jsonl:2:" in lines[0]
    assert "Traceback" not in stderr and not out.exists()


def test_cli_prints_the_figures_and_writes_the_report(monkeypatch, capfd, tmp_path):
    from counselsim.services import compose

    chat = LogprobChatModel(fn=discerning)
    monkeypatch.setattr(compose, "build_chat_model", lambda _: (chat, "fake"))
    out = tmp_path / "out"
    code, stdout, _ = run_cli(
        monkeypatch,
        capfd,
        "judge",
        "validate",
        "--out",
        str(out),
        "--limit",
        "2",
        "--rubric",
        "psy_insight",
        "--resamples",
        "1000",
    )
    assert code == 0
    assert "Known groups" in stdout and "G-Eval" in stdout and "helpfulness" in stdout
    assert "1.00 [1.00, 1.00]" in stdout  # accuracy with its interval
    assert (out / "validation.json").is_file()


# --------------------------------------------------------------------------- report


@pytest.fixture
def run_with_validation(tmp_path: Path) -> Path:
    run = write_run(tmp_path)
    job = plan_validate(options(run, limit=2, repeats=2))
    asyncio.run(validate(job, llm=deps(LogprobChatModel(fn=discerning)).llm))
    return run


def test_report_shows_the_validation_section(run_with_validation: Path):
    html = build_report(run_with_validation, generated=date(2025, 1, 31))
    assert "5. Judge validation" in html
    assert "Known groups: per item" in html and "Stability:" in html
    assert "G-Eval" in html and "1.00 [1.00, 1.00]" in html
    assert "Agreement with human labels" not in html  # no labels given


def test_report_without_validation_has_no_section(tmp_path: Path):
    assert "Judge validation" not in build_report(write_run(tmp_path), generated=date(2025, 1, 31))


def test_a_broken_validation_file_is_one_clear_error(tmp_path: Path):
    run = write_run(tmp_path)
    (run / "validation.json").write_text('{"schema_version": 1}', encoding="utf-8")
    with pytest.raises(DataError, match=r"validation\.json: not a validation report"):
        build_report(run)


def test_validation_section_renders_in_chromium(run_with_validation: Path, tmp_path: Path):
    if shutil.which("chromium") is None:
        pytest.skip("chromium not installed")
    page = tmp_path / "report.html"
    write_report(run_with_validation, page, generated=date(2025, 1, 31))
    done = dump_dom(page)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-500:]
    dom = done.stdout.decode("utf-8")
    assert 'id="validation"' in dom and "Judge validation" in dom
    assert dom.count("1.00 [1.00, 1.00]") >= 5  # every item, both methods


async def test_a_rubric_with_codes_is_validated_on_its_items_only(tmp_path):
    fake = LogprobChatModel(fn=discerning)
    job = plan_validate(options(tmp_path, rubric="miti", limit=1, language="en"))
    assert job.rubric.codes == []
    await validate(job, llm=deps(fake).llm)
    assert len(fake.calls) == 2  # one call per reply, none for behaviour codes


async def test_a_turn_level_rubric_judges_the_reply_not_the_context_turns(tmp_path):
    shipped = Path(__file__).parents[2] / "src/counselsim/critic/validation/known_groups.jsonl"
    row = next(ln for ln in shipped.read_text("utf-8").splitlines() if '"repeat-1"' in ln)
    own = tmp_path / "own.jsonl"
    own.write_text(row + "\n", encoding="utf-8")
    fake = LogprobChatModel(fn=discerning)
    job = plan_validate(options(tmp_path / "out", rubric="cpsycoun", known_set=own, language="en"))
    result = await validate(job, llm=deps(fake).llm)
    assert len(fake.calls) == 2  # the context holds a counselor turn too; it is not judged
    assert result.report.dataset.source == str(own)


def test_per_kind_takes_the_first_scenarios_of_every_failure_kind(tmp_path):
    job = plan_validate(options(tmp_path, per_kind=1))
    kinds = [p.kind for p in job.pairs]
    assert len(set(kinds)) == 10 and len(kinds) == 20  # one scenario per kind, zh and en
    assert all(p.id.endswith("-1") for p in job.pairs)
