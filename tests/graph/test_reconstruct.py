"""RMRR end to end with fake models: Retrieve from a Chroma index, Mask, Reconstruct turn by
turn, Refine (the check-and-retry loop) with leak/placeholder checks and the critic's per-turn
check, record, resume."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from counselsim.labels import EndReason
from counselsim.llm.fake import FunctionChatModel
from counselsim.memory.corpus import CorpusIndex, nearest_profile
from counselsim.memory.embeddings import HashingEmbedding
from counselsim.records import ClientTurn, CounselorTurn, Dialogue, SessionRecord
from counselsim.services.compose import build_simulation
from counselsim.services.reconstruct import run_reconstruction

PHONE = "13812345678"
EMAIL = "lihua.test@example.com"


def dialogue(id_: str, client_lines: list[str], counselor_lines: list[str]) -> Dialogue:
    turns = []
    for c, s in zip(client_lines, counselor_lines, strict=True):
        turns += [{"role": "client", "text": c}, {"role": "counselor", "text": s}]
    return Dialogue.model_validate({"id": id_, "language": "zh", "source": "test", "turns": turns})


CORPUS = [
    dialogue(
        "case_exam",
        [
            f"我快考试了，复习看不进去，晚上睡不着。我的电话是{PHONE}。",
            f"有时候想发邮件给老师{EMAIL}请假。",
            "我怕考不好让爸妈失望。",
        ],
        ["你好，能说说最近的情况吗？", "听起来你压力很大。", "你担心让父母失望。"],
    ),
    dialogue(
        "case_marriage",
        ["我丈夫最近总是很晚回家，我们不怎么说话。", "我怕婚姻会破裂。", "我不知道怎么开口。"],
        ["你好，说说你的困惑吧。", "你很担心这段关系。", "你想试试怎么表达？"],
    ),
    dialogue(
        "case_work",
        ["工作太多，老板天天加任务。", "我觉得自己撑不住了。", "周末也在加班。"],
        ["你好，最近工作怎么样？", "听起来你很累。", "你希望有些休息。"],
    ),
]


class Fakes:
    """Answers by what is asked; counts calls; ``client_reply`` lets a test vary the client."""

    def __init__(
        self,
        client_reply: Callable[[int], str] | None = None,
        in_role: Callable[[int], bool] | None = None,
    ) -> None:
        self.client_n = 0
        self.check_n = 0
        self.client_reply = client_reply or (lambda n: f"我最近考试压力很大，第{n}次说。")
        self.in_role = in_role or (lambda n: True)
        self.counselor = FunctionChatModel(fn=self._counselor)
        self.client = FunctionChatModel(fn=self._client)
        self.critic = FunctionChatModel(fn=self._critic)

    def _counselor(self, messages: Any, kwargs: Any) -> str:
        text = str(messages[-1].content)
        if "stage" in text:
            return json.dumps(
                {"stage": "intake", "goals": ["了解压力"], "approach": "倾听", "focus": "考试"}
            )
        return json.dumps(
            {
                "observation": "OBS-HIDDEN 来访者很紧张",
                "client_emotion": ["Anxiety"],
                "strategy": ["Reflection of Feelings"],
                "reasoning": "REASON-HIDDEN 先共情",
                "reply": "听起来考试让你很有压力。",
            }
        )

    def _client(self, messages: Any, kwargs: Any) -> str:
        self.client_n += 1
        return json.dumps({"emotion": ["Anxiety"], "reply": self.client_reply(self.client_n)})

    def _critic(self, messages: Any, kwargs: Any) -> str:
        text = str(messages[-1].content)
        if "in_role" in text:
            self.check_n += 1
            ok = self.in_role(self.check_n)
            return json.dumps(
                {"problem": "" if ok else "像咨询师在说话", "in_role": ok, "consistent": True}
            )
        if "salient_events" in text:
            return json.dumps({"summary": "来访者谈了考试压力。", "salient_events": ["谈到考试"]})
        dims = ("empathy", "exploration", "strategy_fit", "client_realism", "safety")
        return json.dumps({k: {"rationale": "ok", "score": 2} for k in dims})

    def all_calls(self) -> list[Any]:
        return [*self.counselor.calls, *self.client.calls, *self.critic.calls]


async def _run(config, profile, out: Path, fakes: Fakes, **kw: Any) -> list[SessionRecord]:
    sim = build_simulation(
        config,
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    result = await run_reconstruction(
        sim, [profile], CORPUS, out, embedder=HashingEmbedding(), **kw
    )
    return result.records


async def test_reconstruction_keeps_shape_and_moves_and_records_provenance(
    config, zh_profile, tmp_path
):
    fakes = Fakes()
    [record] = await _run(config, zh_profile, tmp_path / "out", fakes)
    source = CORPUS[0]  # the exam dialogue is the most similar to the exam-anxiety profile
    assert record.provenance.source == "test:case_exam"
    assert record.end_reason is EndReason.SOURCE_END
    assert [t.role for t in record.turns] == [t.role for t in source.turns]
    counselor = [t for t in record.turns if isinstance(t, CounselorTurn)]
    assert all(t.strategy and t.observation and t.reasoning for t in counselor)
    assert counselor[-1].next_action == "close"
    lines = (tmp_path / "out" / "sessions.jsonl").read_text(encoding="utf-8").splitlines()
    assert SessionRecord.model_validate_json(lines[0]) == record


async def test_no_model_sees_source_identifiers_and_none_in_output(config, zh_profile, tmp_path):
    fakes = Fakes()
    await _run(config, zh_profile, tmp_path / "out", fakes)
    for call in fakes.all_calls():
        assert PHONE not in call.text and EMAIL not in call.text
    out_dir = tmp_path / "out"
    for f in out_dir.rglob("*"):
        if f.is_file():
            data = f.read_bytes()
            assert PHONE.encode() not in data and EMAIL.encode() not in data, f


async def test_client_rebuild_never_sees_counselor_reasoning(config, zh_profile, tmp_path):
    fakes = Fakes()
    await _run(config, zh_profile, tmp_path / "out", fakes)
    assert fakes.client.calls
    for call in fakes.client.calls:
        assert "OBS-HIDDEN" not in call.text and "REASON-HIDDEN" not in call.text
    hidden = zh_profile.hidden[0].content
    for call in fakes.counselor.calls:
        assert hidden not in call.text  # the counselor side sees the intake only


async def test_a_leaking_turn_is_rewritten_with_feedback(config, zh_profile, tmp_path):
    # the first client rewrite repeats the source phone number; the retry is clean
    fakes = Fakes(client_reply=lambda n: f"打我电话{PHONE}" if n == 1 else "我很紧张。")
    [record] = await _run(config, zh_profile, tmp_path / "out", fakes)
    first_client = next(t for t in record.turns if isinstance(t, ClientTurn))
    assert PHONE not in first_client.text and first_client.attempts >= 2
    assert not first_client.flags
    retry_prompts = [c.text for c in fakes.client.calls[1:3]]
    assert any("否定" in p for p in retry_prompts)  # the rejection reason reached the model
    # the reason itself, in the dialogue's language, and the judge not asked about a leak
    assert "照搬了原文里的人名、地名或数字" in fakes.client.calls[1].text
    first_checks = {(c.attempt, c.principle): c.status for c in first_client.checks}
    assert first_checks[(0, "in_role")] == first_checks[(0, "consistent")] == "skipped"
    assert first_checks[(1, "in_role")] == "checked"


async def test_critic_rejection_is_bounded_and_recorded(config, zh_profile, tmp_path):
    fakes = Fakes(in_role=lambda n: False)  # the critic never accepts
    cfg = config.model_copy(update={"max_refines": 1})
    [record] = await _run(cfg, zh_profile, tmp_path / "out", fakes, max_source_turns=2)
    assert len(record.turns) == 2
    assert all("out_of_role" in t.flags for t in record.turns)
    assert fakes.check_n == 4  # 2 turns x (1 + 1 refine)
    for turn in record.turns:  # every verdict of every attempt is on the turn
        in_role = [
            (c.attempt, c.passed, c.problem) for c in turn.checks if c.principle == "in_role"
        ]
        assert in_role == [(0, False, "像咨询师在说话"), (1, False, "像咨询师在说话")]


async def test_a_failed_turn_check_is_recorded_never_passed_nor_rewritten(
    config, zh_profile, tmp_path
):
    fakes = Fakes()
    fakes.critic.fn = lambda messages, kwargs: (  # type: ignore[method-assign]
        "not json"
        if "in_role" in str(messages[-1].content)
        else Fakes._critic(fakes, messages, kwargs)
    )
    [record] = await _run(config, zh_profile, tmp_path / "out", fakes, max_source_turns=2)
    for turn in record.turns:
        assert turn.attempts == 1 and not turn.flags
        assert [(c.principle, c.status, c.passed) for c in turn.checks] == [
            ("in_role", "judge_failed", None),
            ("consistent", "judge_failed", None),
        ]


async def test_a_rejection_without_a_stated_problem_is_not_acted_on(config, zh_profile, tmp_path):
    fakes = Fakes()
    fakes.critic.fn = lambda messages, kwargs: (  # type: ignore[method-assign]
        json.dumps({"problem": "", "in_role": False, "consistent": False})
        if "in_role" in str(messages[-1].content)
        else Fakes._critic(fakes, messages, kwargs)
    )
    [record] = await _run(config, zh_profile, tmp_path / "out", fakes, max_source_turns=2)
    assert all(not t.flags and t.attempts == 1 for t in record.turns)


async def test_rerun_resumes_without_model_calls(config, zh_profile, tmp_path):
    await _run(config, zh_profile, tmp_path / "out", Fakes())
    again = Fakes()
    [record] = await _run(config, zh_profile, tmp_path / "out", again)
    assert record.provenance.source == "test:case_exam"
    assert not again.all_calls()


def test_retrieve_both_ways(zh_profile):
    index = CorpusIndex(CORPUS, HashingEmbedding())
    assert index.nearest(zh_profile).id == "case_exam"
    assert index.nearest(zh_profile, exclude=frozenset({"case_exam"})).id != "case_exam"
    assert nearest_profile(CORPUS[0], [zh_profile], HashingEmbedding()) is zh_profile


def test_index_stores_masked_keys_only(tmp_path):
    index = CorpusIndex(CORPUS, HashingEmbedding(), tmp_path / "idx")
    assert len(index) == 3
    for f in (tmp_path / "idx").rglob("*"):
        if f.is_file():
            assert PHONE.encode() not in f.read_bytes()


@pytest.mark.parametrize("bad", [[], [CORPUS[0], CORPUS[0]]])
def test_empty_or_duplicate_corpus_is_a_clear_error(bad):
    from counselsim.errors import CounselsimError

    with pytest.raises(CounselsimError):
        CorpusIndex(bad, HashingEmbedding())


async def test_a_turn_that_keeps_leaking_is_scrubbed_not_kept(config, zh_profile, tmp_path):
    fakes = Fakes(client_reply=lambda n: f"我的电话是 138 1234 5678，邮箱{EMAIL}。")
    cfg = config.model_copy(update={"max_refines": 1})
    [record] = await _run(cfg, zh_profile, tmp_path / "out", fakes, max_source_turns=2)
    client = next(t for t in record.turns if isinstance(t, ClientTurn))
    assert {"source_leak", "leak_scrubbed"} <= set(client.flags)
    assert "5678" not in client.text and EMAIL not in client.text
    assert "电话" in client.text  # the rest of the turn is kept
    report = json.loads((tmp_path / "out" / "leaks.json").read_text(encoding="utf-8"))
    assert report == {"checked": 1, "records_with_leaks": 0, "leaks": {record.course_id: []}}


def test_leak_audit_finds_a_source_identifier_in_a_record(zh_profile):
    from counselsim.services.reconstruct import audit_leaks
    from tests.conftest import counselor_turn

    record_turns = [counselor_turn(0, "好的，我记下了 138-1234-5678。")]
    record = SessionRecord.model_construct(turns=record_turns)
    leaks = audit_leaks(CORPUS[0], record)
    assert [x.label for x in leaks] == ["PHONE"] and PHONE not in repr(leaks)
    assert audit_leaks(CORPUS[1], record) == []


async def test_graph_retrieves_the_nearest_source_when_none_is_given(config, zh_profile):
    from counselsim.graphs.reconstruct import build_reconstruct_graph, initial_reconstruct_state
    from counselsim.services.reconstruct import reconstruct_deps

    class ListSink:
        def __init__(self) -> None:
            self.records: list[SessionRecord] = []

        def write(self, record: SessionRecord) -> None:
            self.records.append(record)

    fakes, sink = Fakes(), ListSink()
    sim = build_simulation(
        config,
        counselor_model=fakes.counselor,
        client_model=fakes.client,
        critic_model=fakes.critic,
    )
    index = CorpusIndex(CORPUS, HashingEmbedding())
    app = build_reconstruct_graph(reconstruct_deps(sim, index, sink)).compile()
    await app.ainvoke(initial_reconstruct_state("c1", zh_profile, None, max_source_turns=2))
    [record] = sink.records
    assert record.provenance.source == "test:case_exam" and len(record.turns) == 2
