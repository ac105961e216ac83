"""Automatic metrics on hand-built corpora: every expected value is computed by hand."""

from __future__ import annotations

import json
import random
import statistics
import subprocess
import sys
from typing import Literal

import pytest

from counselsim.errors import OutputError
from counselsim.labels import Role
from counselsim.metrics import (
    MetricDialogue,
    MetricsError,
    MetricTurn,
    compute_metrics,
    write_metrics,
)
from counselsim.metrics.lexical import distinct, ldd, ldd_at, ldd_tokens, words
from counselsim.metrics.measures import (
    BRIEF_CJK_CHARS,
    BRIEF_EN_WORDS,
    avg_turns,
    identifier_counts,
    is_backchannel,
    is_brief_reflection,
    label_distribution,
    label_shares,
    minimal_response,
    placeholders,
    repetition,
    sentences,
    turn_counts,
    utterance_length,
)

C, K = Role.CLIENT, Role.COUNSELOR


def dialogue(
    turns: list[tuple[Role, str]] | list[MetricTurn],
    language: Literal["zh", "en"] = "zh",
    did: str = "d",
    course: str | None = None,
    session: int | None = None,
) -> MetricDialogue:
    built = [t if isinstance(t, MetricTurn) else MetricTurn(role=t[0], text=t[1]) for t in turns]
    return MetricDialogue(
        id=did,
        language=language,
        source="test",
        course_id=course,
        session_index=session,
        turns=built,
    )


# --------------------------------------------------------------------------- LDD


def zh_corpus() -> list[MetricDialogue]:
    return [
        dialogue([(C, "我很焦虑。"), (K, "你很焦虑。")], did="a"),
        dialogue([(C, "我睡不着，很焦虑。"), (K, "嗯，我明白。")], did="b"),
    ]


def test_jieba_tokens_of_the_ldd_corpus_are_pinned():
    # the hand computation below depends on these segmentations
    assert ldd_tokens("我很焦虑。") == ["我", "很", "焦虑", "。"]
    assert ldd_tokens("你很焦虑。") == ["你", "很", "焦虑", "。"]
    assert ldd_tokens("我睡不着，很焦虑。") == ["我", "睡不着", "，", "很", "焦虑", "。"]
    assert ldd_tokens("嗯，我明白。") == ["嗯", "，", "我", "明白", "。"]


def test_ldd_counts_every_jieba_token_unfiltered():
    assert ldd_tokens("嗯 嗯") == ["嗯", " ", "嗯"]  # spaces count, as in PsyDial's script
    assert words("嗯 嗯", "zh") == ["嗯", "嗯"]  # but not for Distinct-n


def test_ldd_by_hand():
    corpus = zh_corpus()
    # client: N = 4 + 6 = 10; V = {我 很 焦虑 。 睡不着 ，} = 6; D = 2
    # PUW = 100*6/10 = 60.0; UWPD = 6/2 = 3.0; LDD = 60.0*3.0 = 180.0
    assert ldd(corpus, C) == {"puw": 60.0, "uwpd": 3.0, "ldd": 180.0, "tokens": 10, "vocab": 6}
    # counselor: N = 4 + 5 = 9; V = {你 很 焦虑 。 嗯 ， 我 明白} = 8
    # PUW = round(800/9, 2) = 88.89; UWPD = 8/2 = 4.0; LDD = 88.89*4.0 = 355.56
    assert ldd(corpus, K) == {"puw": 88.89, "uwpd": 4.0, "ldd": 355.56, "tokens": 9, "vocab": 8}


def test_ldd_of_a_silent_role_is_undefined_not_a_crash():
    corpus = [dialogue([(C, "我很焦虑。")])]
    assert ldd(corpus, K) == {"puw": None, "uwpd": 0.0, "ldd": None, "tokens": 0, "vocab": 0}


def test_ldd_d_counts_dialogues_without_the_role():
    corpus = [*zh_corpus(), dialogue([(C, "我很焦虑。")], did="c")]
    # counselor: N, V as before (9, 8) but D = 3: UWPD = round(8/3, 2) = 2.67;
    # LDD = PUW * UWPD = 88.89 * 2.67 = 237.3363, not rounded to 2 places again
    assert ldd(corpus, K)["uwpd"] == 2.67
    assert ldd(corpus, K)["ldd"] == 237.3363


# --------------------------------------------------------------------------- equal D


def test_ldd_at_full_size_equals_ldd_with_zero_spread():
    corpus = zh_corpus()
    at = ldd_at(corpus, C, d=2, draws=5, seed=1)
    assert at == {
        "d": 2,
        "draws": 5,
        "ldd": {"mean": 180.0, "sd": 0.0},
        "puw": {"mean": 60.0, "sd": 0.0},
        "uwpd": {"mean": 3.0, "sd": 0.0},
        "ldd_words": {"mean": 180.0, "sd": 0.0},  # no spaces in this corpus: = ldd
    }


def test_ldd_at_one_dialogue_by_hand():
    corpus = zh_corpus()
    # single dialogues: a: N=4, V=4 -> PUW 100, UWPD 4, LDD 400; b: N=6, V=6 -> 100, 6, 600
    rng = random.Random(3)  # the documented sampling: random.Random(seed).sample per draw
    picks = [rng.sample(range(2), 1)[0] for _ in range(20)]
    expected = [400.0 if i == 0 else 600.0 for i in picks]
    assert 0 < picks.count(0) < 20  # both dialogues drawn: a real spread
    at = ldd_at(corpus, C, d=1, draws=20, seed=3)
    assert at["puw"] == {"mean": 100.0, "sd": 0.0}
    assert at["ldd"] == {
        "mean": round(statistics.fmean(expected), 2),
        "sd": round(statistics.stdev(expected), 2),
    }


def test_ldd_at_is_deterministic_for_a_seed():
    corpus = [dialogue([(C, f"我很焦虑{i}。"), (K, "嗯。" * i)], did=str(i)) for i in range(1, 9)]
    first = ldd_at(corpus, K, d=3, draws=6, seed=42)
    assert ldd_at(corpus, K, d=3, draws=6, seed=42) == first
    assert any(ldd_at(corpus, K, d=3, draws=6, seed=s) != first for s in range(5))


def test_ldd_at_rejects_a_d_larger_than_the_corpus():
    with pytest.raises(MetricsError, match=r"d=3 .* corpus of 2"):
        ldd_at(zh_corpus(), C, d=3, draws=2, seed=0)
    with pytest.raises(MetricsError, match="d >= 1"):
        ldd_at(zh_corpus(), C, d=0, draws=2, seed=0)


# --------------------------------------------------------------------------- Distinct-n


def test_distinct_n_on_english_by_hand():
    corpus = [
        dialogue([(K, "I see. I see you."), (C, "ok"), (K, "You don't know.")], language="en"),
    ]
    # tokens: [i see . i see you .] (7) and [you don't know .] (4)
    # 1-grams: 11 in all, distinct {i see . you don't know} = 6 -> 6/11 = 0.5455
    # 2-grams: 6 + 3 = 9, distinct: (i see) repeats -> 8 -> 8/9 = 0.8889 (no (. you) across turns)
    # 3-grams: 5 + 2 = 7, all distinct -> 1.0
    assert distinct(corpus, K) == {"1": 0.5455, "2": 0.8889, "3": 1.0}
    # client: one token; no 2- or 3-grams
    assert distinct(corpus, C) == {"1": 1.0, "2": None, "3": None}


def test_distinct_n_on_chinese_uses_jieba_without_spaces():
    corpus = [dialogue([(K, "我很焦虑。"), (K, "我 很焦虑。")])]
    # both -> [我 很 焦虑 。]: 8 unigrams, 4 distinct; 6 bigrams, 3 distinct; 4 trigrams, 2
    assert distinct(corpus, K) == {"1": 0.5, "2": 0.5, "3": 0.5}


# --------------------------------------------------------------------------- turns, lengths


def test_avg_turns_is_messages_over_two_and_turn_stats():
    corpus = [
        dialogue([(C, "a"), (K, "b"), (C, "c")], did="1"),
        dialogue([(C, "a"), (K, "b"), (C, "c"), (K, "d")], did="2"),
    ]
    assert avg_turns(corpus) == 1.75  # (3/2 + 4/2) / 2
    assert turn_counts(corpus) == {"mean": 3.5, "median": 3.5, "min": 3, "max": 4}


def test_sessions_per_course_and_turns_per_session():
    corpus = [
        dialogue([(C, "a"), (K, "b")], did="x#1", course="x", session=1),
        dialogue([(C, "a"), (K, "b"), (C, "c"), (K, "d")], did="x#2", course="x", session=2),
        dialogue([(C, "a"), (K, "b"), (C, "c")], did="y#1", course="y", session=1),
    ]
    stats = turn_counts(corpus)
    assert stats["sessions_per_course"] == 1.5  # 3 sessions / 2 courses
    assert stats["turns_per_session"] == 3.0  # (2 + 4 + 3) / 3


def test_sentences():
    assert sentences("我很焦虑。睡不着！") == 2
    assert sentences("I can't sleep... It's bad?! Really") == 3
    assert sentences("no end mark") == 1
    assert sentences("……") == 0


def test_utterance_length_per_role_by_hand():
    corpus = [
        dialogue(
            [(C, "I can't sleep. It's bad!"), (K, "Tell me more."), (C, "Fine")], language="en"
        )
    ]
    # client: chars (24 + 4)/2 = 14; tokens [i can't sleep . it's bad !] 7 and [fine] 1 -> 4;
    # sentences 2 and 1 -> 1.5
    assert utterance_length(corpus, C) == {
        "utterances": 2,
        "chars": 14.0,
        "tokens": 4.0,
        "sentences": 1.5,
    }
    assert utterance_length(corpus, K) == {
        "utterances": 1,
        "chars": 13.0,
        "tokens": 4.0,
        "sentences": 1.0,
    }


# --------------------------------------------------------------------------- minimal responses


def test_backchannels_and_brief_reflections():
    assert is_backchannel("嗯嗯。") and is_backchannel("I see.") and is_backchannel("Mm-hmm!")
    assert not is_backchannel("嗯，你很难过。")
    assert is_brief_reflection("你很难过。") and is_brief_reflection("That sounds hard.")
    assert not is_brief_reflection("你能说说吗？")  # a question
    assert not is_brief_reflection("你能说说吗")  # a question without the mark
    assert not is_brief_reflection("好的。")  # a backchannel
    assert not is_brief_reflection("……")  # nothing said
    assert is_brief_reflection("你" * BRIEF_CJK_CHARS + "。")
    assert not is_brief_reflection("你" * (BRIEF_CJK_CHARS + 1) + "。")
    assert is_brief_reflection(" ".join(["word"] * BRIEF_EN_WORDS))
    assert not is_brief_reflection(" ".join(["word"] * (BRIEF_EN_WORDS + 1)))


def test_minimal_response_rates_by_hand():
    counselor = [
        "嗯嗯。",  # backchannel
        "I see.",  # backchannel
        "Mm-hmm!",  # backchannel
        "你很难过。",  # brief reflection
        "That sounds hard.",  # brief reflection
        "你能说说吗？",  # question
        "你最近是不是因为工作的事情压力很大而且睡不好",  # long (22 characters)
        "Can you tell me more?",  # question
    ]
    corpus = [dialogue([(C, "我很焦虑。"), *[(K, t) for t in counselor]])]
    assert minimal_response(corpus) == {
        "backchannel_rate": 0.375,  # 3/8
        "brief_reflection_rate": 0.25,  # 2/8
        "rate": 0.625,
        "counselor_turns": 8,
    }


def test_minimal_response_without_counselor_turns():
    assert minimal_response([dialogue([(C, "嗯")])])["rate"] is None


# --------------------------------------------------------------------------- labels


def test_label_shares_split_a_turn_among_its_labels():
    # [a], [a, b, a] (distinct: a, b), [], [c]: 3 labelled turns; a = 1 + 1/2, b = 1/2, c = 1
    shares, n = label_shares([["a"], ["a", "b", "a"], [], ["c"]])
    assert n == 3
    assert shares == pytest.approx({"a": 0.5, "b": 1 / 6, "c": 1 / 3})
    assert list(shares) == ["a", "b", "c"]  # first appearance
    assert label_shares([[], []]) == ({}, 0)


def test_strategy_and_emotion_distribution():
    turns = [
        MetricTurn(role=K, text="q", strategies=["Question"]),
        MetricTurn(role=C, text="a", emotions=["Anxiety"]),
        MetricTurn(role=K, text="q", strategies=["Question", "Reflection of Feelings"]),
        MetricTurn(role=C, text="a", emotions=["Anxiety", "Sadness"]),
        MetricTurn(role=K, text="r", strategies=["Reflection of Feelings"]),
        MetricTurn(role=K, text="unlabelled"),
    ]
    corpus = [dialogue(turns)]
    # counselor: [Q], [Q, R], [R] -> Q = (1 + 0.5) / 3 = 0.5, R = (0.5 + 1) / 3 = 0.5
    assert label_distribution(corpus, K) == {
        "labelled_turns": 3,
        "shares": {"Question": 0.5, "Reflection of Feelings": 0.5},
    }
    # client: [Anx], [Anx, Sad] -> Anx = 1.5 / 2 = 0.75, Sad = 0.5 / 2 = 0.25
    assert label_distribution(corpus, C) == {
        "labelled_turns": 2,
        "shares": {"Anxiety": 0.75, "Sadness": 0.25},
    }
    # largest share first: [Anger], [Fear], [Fear] -> Fear 2/3 before Anger 1/3
    more = [
        dialogue([MetricTurn(role=C, text="a", emotions=[e]) for e in ("Anger", "Fear", "Fear")])
    ]
    assert label_distribution(more, C)["shares"] == {"Fear": 0.6667, "Anger": 0.3333}
    assert list(label_distribution(more, C)["shares"]) == ["Fear", "Anger"]
    assert label_distribution(zh_corpus(), K) == {}


# --------------------------------------------------------------------------- repetition


def test_repetition_exact_near_and_corpus_duplicates():
    ask = "How are you feeling about your exams?"
    first = dialogue(
        [
            (K, ask),
            (C, "ok"),
            (K, "How are you feeling about your exams?!"),  # exact after normalising
            (C, "fine"),
            (K, "How are you feeling about your exams now?"),  # near: similarity 0.84
            (C, "ok"),  # exact repeat of the client's first turn
            (K, "How are you feeling about the exams today?"),  # similarity 0.62: not near
            (C, "Let us talk about your sleep."),  # the counselor's role only is compared
        ],
        language="en",
        did="1",
    )
    second = dialogue([(C, "OK."), (K, "Let us talk about your sleep.")], language="en", did="2")
    rep = repetition([first, second], K)
    assert (rep["exact"], rep["near"], rep["turns"]) == (1, 1, 5)
    assert rep["rate"] == 0.4  # (1 + 1) / 5
    # counselor texts occurring twice across the corpus: the first two (same key) -> 2/5
    assert rep["corpus_exact_duplicates"] == 0.4
    client = repetition([first, second], C)
    assert (client["exact"], client["near"], client["turns"]) == (1, 0, 5)
    # ok, ok, OK. share a key (3 of 5); "Let us talk..." occurs once among client turns
    assert client["corpus_exact_duplicates"] == 0.6


# --------------------------------------------------------------------------- identifiers


def test_identifier_counts_by_label_and_placeholders():
    fake = "请打我电话13812345678或者发邮件到 test.user@example.com 谢谢"
    corpus = [dialogue([(C, fake), (K, "我叫[NAME_1]，住在[ADDRESS_2]。"), (C, "好的 [NAME_1]")])]
    counts = identifier_counts(corpus[0])
    assert counts[C] == {"PHONE": 1, "EMAIL": 1}
    assert counts[K] == {}  # placeholders are not identifiers
    assert placeholders(corpus) == {"client": 1, "counselor": 2, "total": 3}
    result = compute_metrics([("fake", corpus)])
    assert result["identifiers"] == {
        "client": {"EMAIL": 1, "PHONE": 1},
        "counselor": {},
        "total": {"EMAIL": 1, "PHONE": 1},
    }
    text = json.dumps(result, ensure_ascii=False)
    assert "13812345678" not in text and "example.com" not in text


# --------------------------------------------------------------------------- the report


def test_compute_metrics_single_input_structure():
    result = compute_metrics([("zh", zh_corpus())])
    assert result["paths"] == ["zh"]
    assert result["dialogues"] == 2
    assert result["languages"] == {"zh": 2}
    assert result["avg_turns"] == 1.0
    assert result["ldd"]["client"]["ldd"] == 180.0
    assert result["ldd"]["counselor"]["ldd"] == 355.56
    assert set(result["distinct"]["client"]) == {"1", "2", "3"}
    for key in ("turns", "utterance_length", "minimal_response", "repetition", "placeholders"):
        assert key in result
    assert result["strategies"] == {} and result["emotions"] == {}
    assert "inputs" not in result and "equal_d" not in result
    assert any("equal D" in note for note in result["notes"])
    assert json.loads(json.dumps(result)) == result  # JSON-ready as it is


def test_compute_metrics_several_inputs_pools_and_compares_at_equal_d():
    en = [
        dialogue([(C, "I can't sleep."), (K, "I see.")], language="en", did=str(i))
        for i in range(3)
    ]
    result = compute_metrics([("zh", zh_corpus()), ("en", en)], draws=4, seed=1)
    assert result["dialogues"] == 5
    assert result["languages"] == {"en": 3, "zh": 2}
    assert [b["input"] for b in result["inputs"]] == ["zh", "en"]
    assert result["inputs"][0]["ldd"]["client"]["ldd"] == 180.0  # the zh input alone
    assert result["inputs"][1]["minimal_response"]["backchannel_rate"] == 1.0
    eq = result["equal_d"]
    assert (eq["d"], eq["draws"], eq["seed"]) == (2, 4, 1)  # d = the smallest input's D
    assert [b["input"] for b in eq["inputs"]] == ["zh", "en"]
    assert eq["inputs"][0]["client"]["ldd"] == {"mean": 180.0, "sd": 0.0}


def test_compute_metrics_equal_d_errors():
    with pytest.raises(MetricsError, match=r"d=5 is larger than input zh \(2 dialogues\)"):
        compute_metrics([("zh", zh_corpus())], equal_d=5)
    with pytest.raises(MetricsError, match="no metrics input"):
        compute_metrics([])
    with pytest.raises(MetricsError, match="empty corpus"):
        compute_metrics([("zh", zh_corpus()), ("nothing", [])])
    one = compute_metrics([("zh", zh_corpus())], equal_d=1, draws=3)
    assert one["equal_d"]["d"] == 1 and "inputs" not in one


def test_write_metrics_writes_utf8_json(tmp_path):
    out = tmp_path / "metrics.json"
    write_metrics({"语言": "zh", "x": [1]}, out)
    text = out.read_text(encoding="utf-8")
    assert "语言" in text and text.endswith("\n")
    assert json.loads(text) == {"语言": "zh", "x": [1]}
    with pytest.raises(OutputError, match="cannot write"):
        write_metrics({}, tmp_path / "missing" / "metrics.json")


def test_jieba_is_initialised_quietly():
    code = "from counselsim.metrics.lexical import ldd_tokens; print(ldd_tokens('我很焦虑'))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stderr == ""
    assert "焦虑" in done.stdout
