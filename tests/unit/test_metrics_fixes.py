"""The metrics fixes of issue 12.6, each against hand-worked values: ``ldd_words`` beside
PsyDial's ``ldd``, typographic apostrophes in English Distinct-n, ``--format`` inputs counted
as written, ``--no-identifiers``, and a format named when a known corpus comes without one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from counselsim.labels import Role
from counselsim.metrics import MetricDialogue, MetricsError, compute_metrics, load_input, measures
from counselsim.metrics.lexical import distinct, ldd, ldd_tokens, words
from counselsim.metrics.measures import LDD_WORDS_NOTE, NO_IDENTIFIERS_NOTE, utterance_length
from tests.conftest import run_cli
from tests.unit.test_metrics import dialogue

C, K = Role.CLIENT, Role.COUNSELOR
FIX = Path(__file__).resolve().parents[1] / "fixtures" / "import"


# --- ldd_words -------------------------------------------------------------------------------


def en_corpus() -> list[MetricDialogue]:
    return [
        dialogue([(C, "I feel sad")], "en", did="a"),
        dialogue([(C, "I feel fine now")], "en", did="b"),
    ]


def test_ldd_words_leaves_out_the_spaces_jieba_returns_by_hand():
    assert ldd_tokens("I feel sad") == ["I", " ", "feel", " ", "sad"]
    assert ldd_tokens("I feel fine now") == ["I", " ", "feel", " ", "fine", " ", "now"]
    corpus = en_corpus()
    # ldd (PsyDial): N = 5 + 7 = 12, V = {I, " ", feel, sad, fine, now} = 6, D = 2
    # PUW = 100*6/12 = 50.0, UWPD = 6/2 = 3.0, LDD = 150.0
    assert ldd(corpus, C) == {"puw": 50.0, "uwpd": 3.0, "ldd": 150.0, "tokens": 12, "vocab": 6}
    # ldd_words: N = 3 + 4 = 7, V = 5; PUW = round(500/7, 2) = 71.43, UWPD = 2.5,
    # LDD = 71.43 * 2.5 = 178.575: 5 of 12 tokens were spaces, and LDD rises by a fifth
    words_only = ldd(corpus, C, words_only=True)
    assert words_only == {"puw": 71.43, "uwpd": 2.5, "ldd": 178.575, "tokens": 7, "vocab": 5}


def test_ldd_words_in_metrics_json_for_both_languages():
    zh = dialogue([(C, "嗯 嗯"), (K, "我明白。")], "zh", did="z")  # 嗯 / " " / 嗯
    result = compute_metrics([("x", [*en_corpus(), zh])])
    client = result["ldd_words"]["client"]
    # words: N = 3 + 4 + 2 = 9, V = {I feel sad fine now 嗯} = 6, D = 3
    assert (client["tokens"], client["vocab"]) == (9, 6)
    assert (result["ldd"]["client"]["tokens"], result["ldd"]["client"]["vocab"]) == (15, 7)
    assert result["ldd_words"]["counselor"] == result["ldd"]["counselor"]  # no spaces there
    assert LDD_WORDS_NOTE in result["notes"] and "ldd_words" in LDD_WORDS_NOTE


# --- English apostrophes ---------------------------------------------------------------------


def test_typographic_apostrophes_are_one_token_like_straight_ones():
    assert words("I’m sad, I’m tired.", "en") == ["i'm", "sad", ",", "i'm", "tired", "."]
    assert words("don’t ‘cause ʼtis", "en") == words("don't 'cause 'tis", "en")
    curly = [dialogue([(C, "I’m sad, I’m tired."), (K, "You’re tired.")], "en")]
    straight = [dialogue([(C, "I'm sad, I'm tired."), (K, "You're tired.")], "en")]
    # 6 tokens, 5 distinct unigrams; bigrams and trigrams all distinct (5 and 4)
    assert distinct(curly, C) == distinct(straight, C) == {"1": 0.8333, "2": 1.0, "3": 1.0}
    assert utterance_length(curly, C) == utterance_length(straight, C)
    assert utterance_length(curly, C)["tokens"] == 6.0


# --- --format inputs counted as written --------------------------------------------------------


def test_a_format_reads_messages_exactly_as_written(tmp_path):
    messages = [
        {"role": "user", "content": "  我很焦虑。\n"},
        {"role": "assistant", "content": ""},
        {"role": "user", "content": "嗯"},
    ]
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps({"messages": messages}, ensure_ascii=False) + "\n", "utf-8")
    (as_format,) = load_input(path, "psydial")
    (detected,) = load_input(path)  # the module's own PsyDial reader
    assert [t.text for t in as_format.turns] == ["  我很焦虑。\n", "", "嗯"]
    assert [(t.role, t.text) for t in as_format.turns] == [(t.role, t.text) for t in detected.turns]
    result = compute_metrics([("p", [as_format])])
    assert result["avg_turns"] == 1.5  # 3 messages / 2, the empty one counted
    # " ", " ", 我, 很, 焦虑, 。, "\n" and 嗯: N = 8; without whitespace tokens N = 5
    assert result["ldd"]["client"]["tokens"] == 8
    assert result["ldd_words"]["client"]["tokens"] == 5


def test_psyinsight_empty_turns_are_kept_with_their_labels(tmp_path):
    session = {
        "dialog_id": "s1",
        "dialog": [
            {"speaker": "Seeker", "content": "我很累。", "emotional label": ["Sadness"]},
            {"speaker": "Supporter", "content": " ", "strategy": ["Question"]},
        ],
    }
    path = tmp_path / "s.json"
    path.write_text(json.dumps([session], ensure_ascii=False), encoding="utf-8")
    (d,) = load_input(path, "psyinsight")
    assert [(t.role, t.text, t.strategies, t.emotions) for t in d.turns] == [
        (C, "我很累。", [], ["Sadness"]),
        (K, " ", ["Question"], []),
    ]


# --- --no-identifiers --------------------------------------------------------------------------


def test_no_identifiers_skips_the_detectors_and_says_so(monkeypatch):
    corpus = [dialogue([(C, "我的电话是13812345678。"), (K, "嗯。")])]
    counted = compute_metrics([("a", corpus), ("b", corpus)])
    assert counted["identifiers"]["client"] == {"PHONE": 2}

    def fail(_: Any) -> None:
        raise AssertionError("identifiers counted")

    monkeypatch.setattr(measures, "identifier_counts", fail)
    skipped = compute_metrics([("a", corpus), ("b", corpus)], identifiers=False)
    assert skipped["identifiers"] is None
    assert [b["identifiers"] for b in skipped["inputs"]] == [None, None]
    assert NO_IDENTIFIERS_NOTE in skipped["notes"]
    same = {k: v for k, v in skipped.items() if k not in ("identifiers", "inputs", "notes")}
    assert same == {k: counted[k] for k in same}


def test_cli_no_identifiers(monkeypatch, capfd, tmp_path):
    out = tmp_path / "m.json"
    code, _, stderr = run_cli(
        monkeypatch, capfd, "metrics", str(FIX / "psydial" / "dialogues.jsonl"), "--out",
        str(out), "--no-identifiers",
    )  # fmt: skip
    assert code == 0, stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["identifiers"] is None and NO_IDENTIFIERS_NOTE in result["notes"]


# --- a known corpus without --format -------------------------------------------------------------


def test_a_known_corpus_without_a_format_names_the_format(tmp_path):
    cpsycoune = tmp_path / "cpsycoune.jsonl"
    cpsycoune.write_text(
        json.dumps({"id": "Career/1", "utterances": ["求助者：嗯", "支持者：嗯"]}) + "\n", "utf-8"
    )
    hint = f"looks like a transcript corpus: pass transcript:{cpsycoune} (or --format transcript)"
    with pytest.raises(MetricsError, match="cannot tell the format") as err:
        load_input(cpsycoune)
    assert hint in str(err.value)
    sessions = FIX / "psyinsight" / "sessions.json"
    with pytest.raises(MetricsError) as err:
        load_input(sessions)
    assert str(err.value) == (
        f"{sessions}: not a cal_LDD dialogue; it looks like a psyinsight corpus: "
        f"pass psyinsight:{sessions} (or --format psyinsight)"
    )


@pytest.mark.parametrize(
    ("fmt", "data"),
    [
        ("psyqa", ["我最近总是睡不着。"]),
        ("cactus", [{"AI_client": {"intake_form": "Name:\nX", "attitude": "neutral"}}]),
    ],
)
def test_profile_formats_are_named_as_profiles(tmp_path, fmt, data):
    path = tmp_path / "posts.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(MetricsError, match=f"looks like {fmt} records, which are profiles"):
        load_input(path)


def test_cli_suggests_the_format_in_one_line(monkeypatch, capfd, tmp_path):
    sessions = FIX / "psyinsight" / "sessions.json"
    code, _, stderr = run_cli(
        monkeypatch, capfd, "metrics", str(sessions), "--out", str(tmp_path / "m.json")
    )
    assert code == 2 and f"psyinsight:{sessions}" in stderr
    assert len(stderr.strip().splitlines()) == 1 and not (tmp_path / "m.json").exists()
