"""The masking evaluation set itself (benchmarks/mask_eval.py) and its scoring.

Checks the set, not the masker: size and balance, gold spans that match the text, identifiers
that never overlap protected terms, valid check digits, and that the committed files are
exactly what ``build()`` makes. Scoring is checked on a hand-made prediction whose figures were
worked out by hand. No network, no masker CLI: the pipeline test runs a stand-in script.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from benchmarks import mask_eval as me

# Every label is planted in both languages; nothing to exempt. (In en, ID_NUMBER is a US SSN
# or a Chinese resident ID of an international student; LICENSE_PLATE mostly US plates.)
NOT_PLANTED: dict[str, set[str]] = {"zh": set(), "en": set()}


@pytest.fixture(scope="module")
def gold() -> list[dict[str, Any]]:
    return me.build()


def spans(gold: list[dict[str, Any]], label: str) -> list[str]:
    return [s["text"] for g in gold for s in g["identifiers"] if s["label"] == label]


def test_size_and_languages(gold: list[dict[str, Any]]) -> None:
    langs = Counter(g["language"] for g in gold)
    assert len(gold) >= 150
    assert langs["zh"] >= 75 and langs["en"] >= 75
    assert len({g["id"] for g in gold}) == len(gold)


def test_every_label_planted_ten_times_per_language(gold: list[dict[str, Any]]) -> None:
    for lang in me.LANGS:
        counts = Counter(
            s["label"] for g in gold if g["language"] == lang for s in g["identifiers"]
        )
        short = {lab: counts[lab] for lab in me.LABELS if counts[lab] < 10}
        assert set(short) <= NOT_PLANTED[lang], (lang, short)
        assert set(counts) <= set(me.LABELS)


def test_every_protected_category_present_per_language(gold: list[dict[str, Any]]) -> None:
    for lang in me.LANGS:
        cats = Counter(p["category"] for g in gold if g["language"] == lang for p in g["protected"])
        assert all(cats[c] >= 10 for c in me.CATEGORIES), (lang, cats)


def test_records_are_short_multi_sentence_texts(gold: list[dict[str, Any]]) -> None:
    for g in gold:
        text = g["text"]  # identifiers (St. Olaf, Jun. 10, URLs) and titles hide their dots
        for s in g["identifiers"]:
            text = text[: s["start"]] + "X" * (s["end"] - s["start"]) + text[s["end"] :]
        text = re.sub(r"\b(?:Mr|Ms|Mrs|Dr)\.", "T", text)
        ends = len(re.findall(r"[。？！]" if g["language"] == "zh" else r"[.?!](?:\s|$)", text))
        assert 2 <= ends <= 5, g["id"]
        assert len(g["identifiers"]) >= 2, g["id"]


def test_gold_spans_match_the_text(gold: list[dict[str, Any]]) -> None:
    for g in gold:
        for s in g["identifiers"] + g["protected"]:
            assert 0 <= s["start"] < s["end"] <= len(g["text"])
            assert g["text"][s["start"] : s["end"]] == s["text"], (g["id"], s)
            assert s["text"] == s["text"].strip(), (g["id"], s)


def test_no_span_overlaps_another(gold: list[dict[str, Any]]) -> None:
    """In particular no identifier overlaps a protected term."""
    for g in gold:
        taken = [(s["start"], s["end"]) for s in g["identifiers"] + g["protected"]]
        owner = [0] * len(g["text"])
        for start, end in taken:
            for i in range(start, end):
                owner[i] += 1
        assert max(owner) <= 1, g["id"]


def test_leak_text_contains_the_span(gold: list[dict[str, Any]]) -> None:
    for g in gold:
        for s in g["identifiers"]:
            assert s.get("leak_text", s["text"]) in g["text"]
            assert s["text"] in s.get("leak_text", s["text"])


def test_chinese_ids_pass_mod_11_2(gold: list[dict[str, Any]]) -> None:
    cn = [s for s in spans(gold, "ID_NUMBER") if len(s) == 18]
    assert len(cn) >= 10
    for s in cn:
        assert me.cn_id_ok(s), s
        assert s[17] == me.cn_id_check(s[:17])
        date(int(s[6:10]), int(s[10:12]), int(s[12:14]))  # a real birth date
    zh_ids = [s for g in gold if g["language"] == "zh" for s in g["identifiers"]]
    assert all(me.cn_id_ok(s["text"]) for s in zh_ids if s["label"] == "ID_NUMBER")


def test_other_ids_are_ssn_shaped(gold: list[dict[str, Any]]) -> None:
    ssns = [s for s in spans(gold, "ID_NUMBER") if len(s) != 18]
    assert ssns and all(me.ssn_ok(s) for s in ssns)


def test_cards_pass_luhn(gold: list[dict[str, Any]]) -> None:
    cards = spans(gold, "BANK_CARD")
    assert len(cards) >= 20
    for card in cards:
        number = re.sub(r"[ -]", "", card)
        assert 16 <= len(number) <= 19 and me.luhn_ok(number), card


def test_check_digit_helpers_reject_bad_numbers() -> None:
    assert me.cn_id_ok("11010519491231002X")  # the standard's own example
    assert not me.cn_id_ok("110105194912310021")  # wrong check character
    assert not me.cn_id_ok("11010519490231002X")  # 31 February
    assert me.luhn_ok("79927398713") and not me.luhn_ok("79927398710")
    assert me.ssn_ok("123-45-6789") and not me.ssn_ok("666-45-6789")
    assert not me.ssn_ok("123-00-6789")


def test_build_is_deterministic_and_matches_committed_files(gold: list[dict[str, Any]]) -> None:
    assert me.build() == gold
    assert me.build(seed=1) != gold
    inputs, golds = me.serialize(gold)
    assert me.INPUT_FILE.read_text(encoding="utf-8") == inputs, "run mask_eval.py --regenerate"
    assert me.GOLD_FILE.read_text(encoding="utf-8") == golds, "run mask_eval.py --regenerate"


def test_input_lines_follow_the_masker_contract(gold: list[dict[str, Any]]) -> None:
    inputs = [json.loads(x) for x in me.serialize(gold)[0].splitlines()]
    assert [set(r) for r in inputs] == [{"id", "text", "language"}] * len(gold)
    assert [r["text"] for r in inputs] == [g["text"] for g in gold]


# ----------------------------------------------------------------------------- scoring

# 我叫张伟，电话138 1234 5678，最近失眠。
# 0 1 2 3 4 5 6 7........19 20 21 22 23 24 25
ZH = "我叫张伟，电话138 1234 5678，最近失眠。"
EN = "Ask Dr. Okafor, I feel anxious."
HAND_GOLD = [
    {
        "id": "z", "language": "zh", "text": ZH,
        "identifiers": [{"start": 2, "end": 4, "label": "NAME", "text": "张伟"},
                        {"start": 7, "end": 20, "label": "PHONE", "text": "138 1234 5678"}],
        "protected": [{"start": 23, "end": 25, "category": "symptom", "text": "失眠"}],
    },
    {
        "id": "e", "language": "en", "text": EN,
        "identifiers": [{"start": 8, "end": 14, "label": "NAME", "text": "Okafor"}],
        "protected": [{"start": 23, "end": 30, "category": "emotion", "text": "anxious"}],
    },
]  # fmt: skip


def test_score_on_a_hand_made_prediction() -> None:
    outputs = {
        "z": {
            "masked_text": "我叫[NAME]，电话[PHONE] 1234 5678，最近[NAME]眠。",
            "entities": [
                {"start": 2, "end": 4, "label": "NAME"},  # the name, fully
                {"start": 7, "end": 10, "label": "PHONE"},  # "138" only: partial
                {"start": 22, "end": 24, "label": "NAME"},  # "近失": touches 失眠
            ],
        },
        "e": {"masked_text": EN, "entities": []},
    }
    figs = me.score(HAND_GOLD, outputs)
    zh, en = figs["identifiers"]["zh"], figs["identifiers"]["en"]
    assert (zh["NAME"]["n"], zh["NAME"]["full"], zh["NAME"]["label_ok"]) == (1, 1, 1)
    assert (zh["PHONE"]["full"], zh["PHONE"]["partial"], zh["PHONE"]["missed"]) == (0, 1, 0)
    assert zh["ALL"]["recall"] == 0.5 and zh["ALL"]["partial_rate"] == 0.5
    assert (en["NAME"]["recall"], en["NAME"]["missed"]) == (0.0, 1)
    # leaks: 张伟 is gone; the phone string as a whole is gone (its tail is not: verbatim only)
    assert (zh["NAME"]["leaked"], zh["PHONE"]["leaked"], en["NAME"]["leaked"]) == (0, 0, 1)
    prot = figs["protected"]
    assert prot["zh"]["symptom"]["overmask_rate"] == 1.0 and prot["zh"]["symptom"]["kept"] == 0
    assert prot["en"]["emotion"]["overmask_rate"] == 0.0 and prot["en"]["emotion"]["kept"] == 1
    # zh chars outside identifiers: 我叫，电话，最近失眠。 = 11; masked: 近 and 失 = 2
    assert figs["other_chars"]["zh"] == {"chars": 11, "masked": 2, "rate": round(2 / 11, 4)}
    # en: 31 chars - 6 of Okafor - 5 spaces = 20, none masked
    assert figs["other_chars"]["en"] == {"chars": 20, "masked": 0, "rate": 0.0}


def test_score_ignores_spaces_and_checks_labels() -> None:
    """Masking each group of the phone separately still counts as full recall; a wrong label
    keeps recall but loses label-ok; no masked_text means no leak figures."""
    outputs = {
        "z": {"entities": [{"start": 2, "end": 4, "label": "ORG"},
                           {"start": 7, "end": 10, "label": "PHONE"},
                           {"start": 11, "end": 15, "label": "PHONE"},
                           {"start": 16, "end": 20, "label": "PHONE"}]},
        "e": {"entities": [{"start": 4, "end": 14, "label": "NAME"}]},
    }  # fmt: skip
    figs = me.score(HAND_GOLD, outputs)
    zh = figs["identifiers"]["zh"]
    assert zh["PHONE"]["recall"] == 1.0 and zh["PHONE"]["label_ok"] == 1
    assert zh["NAME"]["recall"] == 1.0 and zh["NAME"]["label_ok"] == 0
    assert zh["ALL"]["leaked"] is None and figs["protected"]["zh"]["ALL"]["kept_rate"] is None
    assert figs["identifiers"]["en"]["NAME"]["recall"] == 1.0
    assert figs["other_chars"]["en"]["masked"] == 3  # "Dr." (the space is not counted)
    assert "PHONE" in me.report({"placeholder": figs})


def test_leak_check_needs_a_whole_word() -> None:
    assert me.found("Call Will tomorrow", "Will")
    assert not me.found("Call William tomorrow", "Will")
    assert not me.found("555-01423", "555-0142")
    assert me.found("我叫张伟。", "张伟")


def test_check_output_reports_contract_violations() -> None:
    outputs = {"z": {"entities": [{"start": 20, "end": 99, "label": "PHONE"}]}}
    errors = me.check_output(HAND_GOLD, outputs)
    assert any("missing" in e for e in errors) and any("outside" in e for e in errors)


STAND_IN = """
import json, re, sys
args = sys.argv[1:]
assert args[0] == "mask"
inp, out = args[1], args[args.index("--out") + 1]
with open(inp, encoding="utf-8") as f, open(out, "w", encoding="utf-8") as o:
    for line in f:
        r = json.loads(line)
        ents = [{"start": m.start(), "end": m.end(), "label": "PHONE"}
                for m in re.finditer(r"\\d[\\d -]{5,}\\d", r["text"])]
        fill = "5" if "--surrogates" in args else "#"
        masked = re.sub(r"\\d[\\d -]{5,}\\d", lambda m: fill * len(m[0]), r["text"])
        o.write(json.dumps({"id": r["id"], "masked_text": masked, "entities": ents}) + "\\n")
"""


def test_pipeline_with_a_stand_in_masker(tmp_path: Path) -> None:
    """run_masker's argv and parsing, against a digits-only stand-in (not the real masker)."""
    script = tmp_path / "stand_in.py"
    script.write_text(STAND_IN)
    inp = tmp_path / "in.jsonl"
    inp.write_text(me.serialize(HAND_GOLD)[0], encoding="utf-8")
    outputs = me.run_masker([sys.executable, str(script)], inp, tmp_path / "out.jsonl", True)
    assert set(outputs) == {"z", "e"} and not me.check_output(HAND_GOLD, outputs)
    figs = me.score(HAND_GOLD, outputs)
    assert figs["identifiers"]["zh"]["PHONE"]["recall"] == 1.0
    assert figs["identifiers"]["zh"]["NAME"]["recall"] == 0.0
    assert figs["identifiers"]["zh"]["PHONE"]["leaked"] == 0
    assert figs["protected"]["zh"]["ALL"]["overmask_rate"] == 0.0
