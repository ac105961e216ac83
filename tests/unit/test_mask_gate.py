"""The CI gate on masking quality (issue 11): ``benchmarks/mask_eval.py`` run in process on
the generated dev set and on the hand-written held-out set must keep recall >= 0.97 and
over-masking (protected terms touched, other characters masked) <= 1 %, both languages
pooled. Synthetic data only; the run takes a few seconds."""

from __future__ import annotations

from collections import Counter

import pytest
from benchmarks import mask_eval as me


@pytest.mark.parametrize("name", me.SETS)
def test_masking_meets_the_gate(name: str) -> None:
    gold = me.load_set(name)
    fig = me.score(gold, me.mask_in_process(gold))
    pooled = me.pooled(fig)
    assert me.gate(fig) == [], f"{name}: {pooled}"
    assert pooled["recall"] >= me.MIN_RECALL and pooled["overmask"] <= me.MAX_OVERMASK


def test_the_gate_fails_below_its_bounds() -> None:
    gold = me.load_heldout()
    nothing = {g["id"]: {"masked_text": g["text"], "entities": []} for g in gold}
    assert any("recall" in p for p in me.gate(me.score(gold, nothing)))
    everything = {
        g["id"]: {
            "masked_text": "",
            "entities": [{"start": 0, "end": len(g["text"]), "label": "NAME"}],
        }
        for g in gold
    }
    problems = me.gate(me.score(gold, everything))
    assert any("overmask" in p for p in problems) and any("other_chars" in p for p in problems)


def test_the_held_out_set_is_bilingual_and_big_enough() -> None:
    gold = me.load_heldout()
    ids = [(g["language"], s) for g in gold for s in g["identifiers"]]
    assert len(ids) >= 80
    assert Counter(lang for lang, _ in ids).keys() == {"zh", "en"}
    assert {s["label"] for _, s in ids} == set(me.LABELS)
    for g in gold:  # the markup parses into spans that match the text
        for span in [*g["identifiers"], *g["protected"]]:
            assert g["text"][span["start"] : span["end"]] == span["text"], g["id"]
    assert len({g["id"] for g in gold}) == len(gold)
