"""Importers, one format at a time, on the synthetic fixtures in ``tests/fixtures/import``:
field mapping, roles, multi-line turns, language detection, labels and meta, ids, and that
planted identifiers never reach an output (or, for psyqa, the model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from counselsim.agents.base import AgentDeps
from counselsim.agents.extractor import ProfileExtractor
from counselsim.config import Engine, RunConfig
from counselsim.errors import ConfigError, SourceError
from counselsim.importers import (
    FORMATS,
    ImportContext,
    Imported,
    ImportFailure,
    Skipped,
    detect_language,
    get_importer,
)
from counselsim.importers.cactus import age_range, parse_intake
from counselsim.importers.fitting import clip, fit_to_model
from counselsim.importers.reading import json_entries
from counselsim.importers.transcript import parse_transcript
from counselsim.labels import Role
from counselsim.llm.fake import ScriptedChatModel
from counselsim.llm.structured import LLM
from counselsim.personas.models import ClientProfile
from counselsim.prompts import PromptLibrary
from counselsim.records import Dialogue

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "import"
PHONE = "13812345678"
EMAILS = ("xiaoyu.test@example.com", "sam.rivers@example.org")


async def collect(
    fmt: str, src: Path, ctx: ImportContext | None = None, **kw: Any
) -> tuple[dict[str, Any], list[ImportFailure]]:
    """Run an importer; imported items by id, and the failures."""
    items: dict[str, Any] = {}
    failures: list[ImportFailure] = []
    async for ev in get_importer(fmt).run(src, ctx or ImportContext(), **kw):
        if isinstance(ev, Imported):
            items[ev.id] = ev.item
        elif isinstance(ev, ImportFailure):
            failures.append(ev)
    return items, failures


def dump(item: Dialogue | ClientProfile) -> str:
    return item.model_dump_json()


def assert_no_identifiers(*items: Dialogue | ClientProfile) -> None:
    for item in items:
        text = dump(item)
        assert PHONE not in text and "555-01" not in text, item.id
        assert not any(e in text for e in EMAILS), item.id


def roles(d: Dialogue) -> list[str]:
    return [t.role.value for t in d.turns]


# --- registry ----------------------------------------------------------------------------------


def test_registry_lists_every_format():
    assert FORMATS == (
        "cactus",
        "counselsim",
        "psydial",
        "psyinsight",
        "psyqa",
        "transcript",
        "turns",
    )
    for name in FORMATS:
        imp = get_importer(name)
        assert imp.name == name and imp.produces in ("profile", "dialogue") and imp.summary


def test_unknown_format_is_one_line_listing_the_formats():
    with pytest.raises(ConfigError) as info:
        get_importer("transcrpt")
    msg = str(info.value)
    assert "\n" not in msg and "did you mean 'transcript'" in msg
    assert all(name in msg for name in FORMATS)


def test_missing_source_and_empty_folder(tmp_path):
    with pytest.raises(SourceError, match="source not found"):
        get_importer("transcript").files(tmp_path / "absent.jsonl")
    with pytest.raises(SourceError, match=r"no \*\.jsonl"):
        get_importer("transcript").files(tmp_path)


# --- transcript ----------------------------------------------------------------------------------


async def test_cpsycound_roles_multiline_and_continuation():
    items, failures = await collect("transcript", FIX / "transcript" / "cpsycound.jsonl")
    assert not failures and sorted(items) == ["case_1", "case_2"]
    d = items["case_1"]
    assert d.language == "zh" and d.source == "transcript" and d.id == "case_1"
    assert roles(d) == ["client", "counselor", "client", "counselor", "client"]
    assert d.turns[2].text == "就是心跳很快，手心出汗。\n尤其是开会前。"
    # a line with another speaker's name (not a known role) continues the previous turn
    assert d.turns[3].text.startswith("开会前特别明显。\n妈妈：")
    assert d.turns[4].text.startswith("我妈以前总这样说我。")
    assert_no_identifiers(d)
    # a speaker suffix with a name is dropped with the prefix
    assert "张先生" not in dump(items["case_2"])
    assert items["case_2"].turns[0].text == "我和妻子总吵架。"


async def test_cpsycoune_topic_to_meta_and_safe_ids():
    items, failures = await collect("transcript", FIX / "transcript" / "cpsycoune.jsonl")
    assert not failures and sorted(items) == ["Career-1", "Emotion-Stress-2"]
    d = items["Career-1"]
    assert d.meta == {"topic": "Career"}
    assert roles(d) == ["client", "counselor", "client", "counselor"]
    assert d.turns[0].text == "我不知道该不该辞职。"


async def test_plain_text_transcripts():
    items, failures = await collect("transcript", FIX / "transcript" / "session_en.txt")
    assert not failures
    d = items["session_en"]
    assert d.language == "en"
    assert roles(d) == ["counselor", "client", "counselor", "client"]
    assert "Intake session" not in dump(d)  # a title before the first speaker is dropped
    assert d.turns[1].text.endswith("\nIt has been going on for months.")
    assert_no_identifiers(d)
    items, _ = await collect("transcript", FIX / "transcript" / "session_zh.txt")
    d = items["session_zh"]
    assert d.language == "zh" and roles(d) == ["client", "counselor", "client"]
    assert d.turns[2].text == "大概两个月。\n之前还挺喜欢出去玩的。"


async def test_transcript_folder_reads_every_file():
    items, failures = await collect("transcript", FIX / "transcript")
    assert not failures
    assert sorted(items) == [
        "Career-1",
        "Emotion-Stress-2",
        "case_1",
        "case_2",
        "session_en",
        "session_zh",
    ]


@pytest.mark.parametrize(
    "line, role",
    [
        ("来访者：你好", Role.CLIENT),
        ("来访者: 你好", Role.CLIENT),
        ("求助者：你好", Role.CLIENT),
        ("来访者1：你好", Role.CLIENT),
        ("心理咨询师：你好", Role.COUNSELOR),
        ("咨询师:你好", Role.COUNSELOR),
        ("支持者：你好", Role.COUNSELOR),
        ("Client: hi", Role.CLIENT),
        ("CLIENT: hi", Role.CLIENT),
        ("Counselor: hi", Role.COUNSELOR),
        ("Therapist: hi", Role.COUNSELOR),
        ("Counsellor： hi", Role.COUNSELOR),
    ],
)
def test_speaker_prefixes(line, role):
    assert parse_transcript(line) == [(role, line[-2:], ())]  # every line ends "你好" or "hi"


async def test_transcript_without_speakers_fails_the_record(tmp_path):
    src = tmp_path / "x.jsonl"
    src.write_text(
        json.dumps({"id": "a", "text": "no speakers here"})
        + "\n"
        + json.dumps({"id": "b", "text": "来访者：你好\n\n咨询师：你好"})
        + "\n",
        encoding="utf-8",
    )
    items, failures = await collect("transcript", src)
    assert list(items) == ["b"]
    assert [(f.line, "no speaker-prefixed lines" in f.reason) for f in failures] == [(1, True)]


# --- psydial -------------------------------------------------------------------------------------


async def test_psydial_roles_system_meta_and_language():
    items, failures = await collect("psydial", FIX / "psydial" / "dialogues.jsonl")
    assert not failures and sorted(items) == ["psydial-0001", "psydial-0002"]
    zh, en = items["psydial-0001"], items["psydial-0002"]
    assert zh.language == "zh" and en.language == "en"
    assert roles(zh) == ["client", "counselor", "client", "counselor"]
    assert zh.meta == {"system": "你是一位专业的心理咨询师。"}
    assert "\n有时候还会心跳很快。" in zh.turns[2].text
    assert roles(en) == ["client", "counselor", "client"]
    assert_no_identifiers(en)
    assert "415" not in en.turns[0].text


async def test_psydial_d101_golden_is_the_last_turn():
    items, failures = await collect("psydial", FIX / "psydial" / "d101.jsonl")
    assert not failures and sorted(items) == ["psydial-17", "psydial-18"]
    d = items["psydial-17"]
    assert roles(d) == ["client", "counselor", "client", "counselor"]
    assert d.meta["golden_turn"] == "3" and d.turns[3].text == "项目被退回，你一定很失落。"


async def test_psydial_bad_records_are_reported_by_line(tmp_path):
    good = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    }
    lines = [
        json.dumps(good),
        '{"messages": [{"role": "user", "content": "broken',
        json.dumps({"messages": [{"role": "narrator", "content": "x"}]}),
        json.dumps({"no_messages": True}),
        "",
        json.dumps(good),
    ]
    src = tmp_path / "mixed.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, failures = await collect("psydial", src)
    assert sorted(items) == ["psydial-0001", "psydial-0005"]
    assert [f.line for f in failures] == [2, 3, 4]
    assert str(failures[0]).startswith(f"{src}:2: not valid JSON")
    assert "unknown role" in failures[1].reason and "narrator" not in failures[1].reason
    assert "messages" in failures[2].reason
    assert all("broken" not in str(f) for f in failures)  # no record content in reasons


# --- turns ---------------------------------------------------------------------------------------


async def test_turns_folder_ids_from_file_stems():
    items, failures = await collect("turns", FIX / "turns")
    assert not failures and sorted(items) == ["moving", "roommate"]
    assert items["moving"].language == "en" and items["roommate"].language == "zh"
    assert roles(items["moving"]) == ["counselor", "client", "counselor"]
    assert "wx_test_2024" not in dump(items["roommate"])
    assert_no_identifiers(*items.values())


async def test_turns_bad_file_and_bad_turn(tmp_path):
    (tmp_path / "a.json").write_text('[{"role": "client", "content": "hi"}', encoding="utf-8")
    (tmp_path / "b.json").write_text('[{"role": "coach", "content": "hi"}]', encoding="utf-8")
    (tmp_path / "c.json").write_text('[{"role": "client", "content": "hi"}]', encoding="utf-8")
    items, failures = await collect("turns", tmp_path)
    assert list(items) == ["c"]
    assert [(Path(f.file).name, f.line) for f in failures] == [("a.json", 1), ("b.json", 1)]
    assert "turn 1: role must be" in failures[1].reason


# --- psyinsight ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sessions.json", "sessions.jsonl"])
async def test_psyinsight_labels_and_meta(name):
    items, failures = await collect("psyinsight", FIX / "psyinsight" / name)
    assert not failures and sorted(items) == ["pi_zh_001", "psyinsight-42"]
    d = items["pi_zh_001"]
    assert d.language == "zh" and roles(d) == ["client", "counselor", "client", "counselor"]
    assert d.meta == {
        "theme": "学业压力",
        "topic": "考试焦虑",
        "psychotherapy": "认知行为疗法",
        "stage": "探索",
    }
    assert [t.labels for t in d.turns] == [
        ["Anxiety", "Fear"],
        ["Reflection of Feelings"],
        ["Fear"],
        ["Question"],
    ]
    assert "高三" not in dump(d)  # background is not imported
    assert_no_identifiers(d)
    en = items["psyinsight-42"]
    assert en.language == "en"
    assert en.turns[1].labels == ["Restatement or Paraphrasing", "Reflection of Feelings"]


async def test_psyinsight_folder_reports_duplicate_ids():
    items, failures = await collect("psyinsight", FIX / "psyinsight")
    assert len(items) == 2 and len(failures) == 2
    assert all("duplicate record id" in f.reason for f in failures)


async def test_psyinsight_unknown_speaker(tmp_path):
    src = tmp_path / "s.json"
    src.write_text(
        json.dumps([{"dialog_id": "x1", "dialog": [{"speaker": "Narrator", "content": "hi"}]}]),
        encoding="utf-8",
    )
    items, failures = await collect("psyinsight", src)
    assert not items and "speaker must be Seeker or Supporter" in failures[0].reason


# --- cactus --------------------------------------------------------------------------------------


async def test_cactus_deterministic_mapping():
    items, failures = await collect("cactus", FIX / "cactus" / "intake.json")
    assert not failures and sorted(items) == ["cactus-0001", "cactus-0002", "cactus-0003"]
    p1, p2, p3 = (items[f"cactus-000{i}"] for i in (1, 2, 3))
    assert p1.language == "en"
    assert p1.demographics.age_range == "30-39" and p1.demographics.gender == "male"
    assert p1.demographics.occupation == "Warehouse Supervisor"
    assert p1.demographics.family == "Single; Lives alone"
    assert p1.presenting_problem.startswith("I believe that I am a failure")
    assert "Reason for counseling: I want to stop feeling this way." in p1.relevant_history
    assert "Social support: I have one friend I trust." in p1.relevant_history
    assert [p.resistance for p in (p1, p2, p3)] == [2, 3, 4]
    assert p1.attitude is not None and p1.attitude.startswith("Positive")
    assert p3.attitude is not None and p3.attitude.startswith("Negative")
    assert p2.demographics.occupation is None  # "Not specified"
    assert p2.demographics.age_range == "10-19" and p3.demographics.age_range == "60-69"
    for p, name in ((p1, "Jordan Vale"), (p2, "Mina Okafor"), (p3, "Ray Dunn")):
        text = dump(p)
        assert not any(part in text for part in name.split()), p.id
    assert "[NAME_1] feels this every morning" in p1.presenting_problem
    assert_no_identifiers(p1, p2, p3)


def test_parse_intake_and_age_range():
    form = parse_intake(
        "Name:\nA B\nAge:\n45\nGender:\nfemale\nOccupation: Office Job\n"
        "Marital Status: Not specified\nFamily Details: Lives alone\n\n"
        "2. Presenting Problem\nLine one.\nLine two.\n\n"
        "5. Academic/occupational functioning level: Not specified\n"
        "Interpersonal relationships: fine.\n"
    )
    assert form.fields["name"] == "A B" and form.get("marital status") is None
    assert form.sections["problem"] == "Line one. Line two."
    assert form.sections["functioning"] == "Interpersonal relationships: fine."
    assert [age_range(a) for a in ("45", "9", "x", None)] == ["40-49", "0-9", None, None]


async def test_cactus_zh_without_llm_is_refused():
    with pytest.raises(ConfigError, match="--llm"):
        await collect("cactus", FIX / "cactus" / "intake.json", ImportContext(language="zh"))


# --- counselsim ----------------------------------------------------------------------------------


async def test_counselsim_profiles_are_validated_and_remasked(tmp_path):
    items, failures = await collect("counselsim", FIX / "counselsim")
    assert not failures and sorted(items) == ["en-plain", "zh-contact"]
    zh = items["zh-contact"]
    assert zh.resistance == 3 and zh.demographics.occupation == "研究生"
    assert zh.presenting_problem.startswith("导师催论文，天天失眠。")
    assert_no_identifiers(zh)
    assert items["en-plain"].style[0].value == "reserved"
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: bad\nlanguage: fr\npresenting_problem: x\n", encoding="utf-8")
    broken = tmp_path / "broken.yaml"
    broken.write_text("id: [unclosed\n", encoding="utf-8")
    items, failures = await collect("counselsim", tmp_path)
    assert not items
    assert "'language'" in str(failures[0]) and failures[1].line is not None
    assert "not valid YAML" in failures[1].reason


async def test_counselsim_refuses_language_override():
    with pytest.raises(ConfigError, match="carry their own"):
        await collect("counselsim", FIX / "counselsim", ImportContext(language="en"))


# --- psyqa (the LLM structures the post) ---------------------------------------------------------


def draft(**changes: Any) -> str:
    data: dict[str, Any] = {
        "title": "考试焦虑的高中生",
        "demographics": {
            "age_range": "10-19",
            "gender": "女",
            "occupation": "高中生",
            "family": None,
        },
        "presenting_problem": "临近期末考试，来访者整夜失眠，一看书就心慌，担心考不好让父母失望。",
        "relevant_history": "父母对成绩要求很高。",
        "core_beliefs": ["我只有成绩好才有价值"],
        "intermediate_beliefs": [],
        "situations": [
            {
                "situation": "晚上复习",
                "automatic_thoughts": ["我肯定考不好"],
                "emotions": ["焦虑"],
                "behaviors": ["刷手机"],
            }
        ],
        "emotions": ["焦虑", "害怕"],
        "risk_flags": [],
    }
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)


def extractor(
    script: list[str], max_repairs: int = 1
) -> tuple[ProfileExtractor, ScriptedChatModel]:
    cfg = RunConfig()
    fake = ScriptedChatModel(script=script)
    llm = LLM(fake, Engine.CUSTOM, "fake", retry_attempts=1, max_repairs=max_repairs)
    return ProfileExtractor(AgentDeps(llm, PromptLibrary(), cfg.sampling)), fake


async def test_psyqa_llm_sees_only_the_masked_post():
    ext, fake = extractor(
        [
            draft(),
            draft(relevant_history="她说可以写信到 xiaoyu.test@example.com 联系她。"),
            draft(),
        ]
    )
    items, failures = await collect(
        "psyqa", FIX / "psyqa" / "posts.json", ImportContext(extractor=ext)
    )
    assert not failures and sorted(items) == ["psyqa-0001", "psyqa-0002", "psyqa-0003"]
    assert len(fake.calls) == 3
    first = fake.calls[0].text
    assert PHONE not in first and "期末考试快到了" in first  # masked, not dropped
    assert not any(e in fake.calls[1].text for e in EMAILS)
    p = items["psyqa-0001"]
    assert p.language == "zh" and p.demographics.occupation == "高中生"
    assert p.situations[0].automatic_thoughts == ["我肯定考不好"]
    # an identifier the model wrote into its answer is masked too
    assert_no_identifiers(*items.values())
    assert "联系她" in items["psyqa-0002"].relevant_history
    # the request was schema-constrained: the step name and the draft schema were sent
    assert "presenting_problem" in first


async def test_psyqa_invalid_reply_is_repaired():
    ext, fake = extractor(["not json at all", draft()], max_repairs=1)
    items, failures = await collect(
        "psyqa", FIX / "psyqa" / "posts.json", ImportContext(extractor=ext), limit=1
    )
    assert not failures and list(items) == ["psyqa-0001"] and len(fake.calls) == 2


async def test_psyqa_still_invalid_after_repairs_is_a_recorded_failure():
    ext, _ = extractor(
        ['{"title": "x"}', '{"title": "x"}', draft()], max_repairs=1
    )  # record 1 fails twice, record 2 succeeds
    items, failures = await collect(
        "psyqa", FIX / "psyqa" / "posts.json", ImportContext(extractor=ext), limit=2
    )
    assert list(items) == ["psyqa-0002"]
    assert len(failures) == 1 and failures[0].line == 2  # the first post starts on line 2
    assert "model output invalid" in failures[0].reason and PHONE not in str(failures[0])


async def test_psyqa_non_string_post_fails_without_calling_the_model(tmp_path):
    src = tmp_path / "posts.json"
    src.write_text(json.dumps([42, "我很焦虑，睡不着。"], ensure_ascii=False), encoding="utf-8")
    ext, fake = extractor([draft()])
    items, failures = await collect("psyqa", src, ImportContext(extractor=ext))
    assert list(items) == ["psyqa-0002"] and len(fake.calls) == 1
    assert "must be a string" in failures[0].reason


async def test_cactus_llm_structures_the_nameless_masked_form():
    answer = draft(
        title="Feels like a failure at work",
        demographics={
            "age_range": None,
            "gender": None,
            "occupation": "supervisor",
            "family": None,
        },
        presenting_problem="The client believes he is a failure after a missed deadline.",
        relevant_history="",
        core_beliefs=["I am a failure"],
        situations=[],
        emotions=["ashamed"],
    )
    ext, fake = extractor([answer])
    items, failures = await collect(
        "cactus",
        FIX / "cactus" / "intake.json",
        ImportContext(extractor=ext, use_llm=True),
        limit=1,
    )
    assert not failures
    sent = fake.calls[0].text
    assert "Jordan" not in sent and "Vale" not in sent and "415-555-0199" not in sent
    p = items["cactus-0001"]
    assert p.core_beliefs == ["I am a failure"] and p.emotions == ["ashamed"]
    # parsed fields win over the model's
    assert p.demographics.occupation == "Warehouse Supervisor"
    assert p.presenting_problem.startswith("I believe that I am a failure")
    assert p.resistance == 2


# --- shared helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, lang",
    [
        ("我最近总是睡不着。", "zh"),
        ("I can't sleep at night.", "en"),
        ("我用 ChatGPT 写代码，但还是很焦虑。", "zh"),
        ("I learned the word 焦虑 in class today and it fits me well.", "en"),
        ("12345", "en"),
    ],
)
def test_detect_language(text, lang):
    assert detect_language(text) == lang


def test_json_entries_report_lines(tmp_path):
    arr = tmp_path / "a.json"
    arr.write_text('[\n  "one",\n  {"x": 1},\n  "three"\n]\n', encoding="utf-8")
    assert [(e.line, e.data) for e in json_entries(arr)] == [  # type: ignore[union-attr]
        (2, "one"),
        (3, {"x": 1}),
        (4, "three"),
    ]
    broken = tmp_path / "b.json"
    broken.write_text('[\n  "one",\n  {"x": oops},\n  "three"\n]\n', encoding="utf-8")
    got = list(json_entries(broken))
    assert got[0].data == "one"  # type: ignore[union-attr]
    assert isinstance(got[1], ImportFailure) and got[1].line == 3 and len(got) == 2
    bad_utf8 = tmp_path / "c.jsonl"
    bad_utf8.write_bytes(b'"ok"\n"\xff\xfe"\n"ok too"\n')
    got = list(json_entries(bad_utf8))
    assert isinstance(got[1], ImportFailure) and got[1].line == 2
    assert got[1].reason == "not UTF-8 text" and got[2].data == "ok too"  # type: ignore[union-attr]
    single = tmp_path / "d.json"
    single.write_text('\n\n{"messages": []}\n', encoding="utf-8")
    assert [e.line for e in json_entries(single)] == [3]  # type: ignore[union-attr]


def test_clip_keeps_sentences_and_placeholders():
    assert clip("短句。", 10) == "短句。"
    assert clip("第一句话很长很长。第二句话也很长很长。", 12) == "第一句话很长很长。"
    assert clip("one two three four five six", 12) == "one two…"
    out = clip("call me at [PHONE_1] soon please", 16)
    assert "[PHO" not in out.replace("[PHONE_1]", "") and len(out) <= 16


def test_fit_to_model_clips_nested_bounds():
    data = {
        "id": "x",
        "language": "en",
        "presenting_problem": "a. " * 400,
        "demographics": {"occupation": "o" * 100},
        "core_beliefs": ["b"] * 9,
    }
    p = ClientProfile.model_validate(fit_to_model(ClientProfile, data))
    assert len(p.presenting_problem) <= 600 and len(p.core_beliefs) == 5
    assert p.demographics.occupation is not None and len(p.demographics.occupation) <= 60


async def test_skip_and_limit():
    src = FIX / "transcript" / "cpsycound.jsonl"
    events = [
        ev async for ev in get_importer("transcript").run(src, ImportContext(), skip={"case_1"})
    ]
    assert [type(e) for e in events] == [Skipped, Imported]
    events = [ev async for ev in get_importer("transcript").run(src, ImportContext(), limit=1)]
    assert len(events) == 1


async def test_psyqa_risk_flags_need_a_cue_in_the_post(tmp_path):
    src = tmp_path / "posts.json"
    posts = ["我最近压力很大，睡不着。", "有时候真的不想活了，晚上会割腕。"]
    src.write_text(json.dumps(posts, ensure_ascii=False), encoding="utf-8")
    flags = ["suicidal_ideation", "self_harm", "abuse"]
    ext, _ = extractor([draft(risk_flags=flags), draft(risk_flags=flags)])
    items, failures = await collect("psyqa", src, ImportContext(extractor=ext))
    assert not failures
    assert items["psyqa-0001"].risk_flags == []  # the model's flags had no cue: dropped
    assert [f.value for f in items["psyqa-0002"].risk_flags] == ["suicidal_ideation", "self_harm"]
