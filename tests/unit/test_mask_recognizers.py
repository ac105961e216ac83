"""Recognizers as data (``privacy/recognizers.yaml``) and what issue 11 asked of them:
phones of any region (``phonenumbers``), checksums from ``python-stdnum``, cue-led numbers
of kinds no rule models (passport, medical-record, clinic, policy numbers; a card that
fails Luhn after a card cue), and relatives' lone given names. All data is synthetic."""

from __future__ import annotations

import pytest

from counselsim.privacy import EntityType, detect, mask
from counselsim.privacy.recognizers import load_recognizers, recognizers

ID, PHONE, CARD, NAME = (
    EntityType.ID_NUMBER,
    EntityType.PHONE,
    EntityType.BANK_CARD,
    EntityType.NAME,
)


def found(text: str) -> list[tuple[EntityType, str]]:
    return [(s.type, s.text) for s in detect(text)]


def untouched(text: str) -> None:
    assert found(text) == [], f"{text!r} -> {found(text)}"


# ---------------------------------------------------------------- the data


def test_every_packaged_recognizer_is_documented_and_compiles():
    specs = [r.spec for r in recognizers()]
    assert len({s.name for s in specs}) == len(specs) >= 25
    assert all(s.doc.strip() for s in specs)
    assert {s.label for s in specs} >= {ID, PHONE, CARD, EntityType.DATE, EntityType.HANDLE}


def test_a_new_kind_is_a_record_not_code():
    (member,) = load_recognizers(
        """
recognizers:
  - name: library_card
    label: ID_NUMBER
    doc: A library card number after its cue.
    pattern: 'LIB-\\d{6}'
    alone: never
    cued: always
    cues: {en: ['library card']}
"""
    )
    text = "My library card is LIB-123456; LIB-654321 was my old one."
    assert [s.text for s in member.find(text)] == ["LIB-123456"]


def test_an_unknown_validator_or_field_is_refused():
    doc = "recognizers:\n  - {name: x, label: PHONE, doc: d, pattern: '1', alone: %s}"
    with pytest.raises(ValueError, match="recognizer 'x': unknown validator 'nope'"):
        load_recognizers(doc % "nope")
    with pytest.raises(ValueError, match="extra"):
        load_recognizers(doc % "always, colour: red")


# ---------------------------------------------------------------- phones of any region


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("她在英国，手机是+44 7700 900461。", "+44 7700 900461"),
        ("Call my host family on +81 3-5555-0142.", "+81 3-5555-0142"),
        ("打我香港的号码+852 6123 4567", "+852 6123 4567"),
        ("If it's cancelled, ring me on 07700 900982, please.", "07700 900982"),
        ("我在日本的号码是090-1234-5678。", "090-1234-5678"),
        ("Her mobile is 0412 345 678 in Sydney.", "0412 345 678"),
    ],
)
def test_phones_outside_cn_and_us(text: str, phone: str) -> None:
    assert (PHONE, phone) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "I was awake until 07700 900982",  # a local format without a phone cue
        "my phone: 1234567890",  # after a cue, but valid nowhere without a trunk 0
        "+12 3456 7890 is no country code",
    ],
)
def test_phone_near_misses(text: str) -> None:
    assert all(t != PHONE for t, _ in found(text)), found(text)


# ---------------------------------------------------------------- checksums and cued numbers


def test_iban_needs_its_check_digits():
    assert found("Rent goes to GB29 NWBK 6016 1331 9268 19 each month.") == [
        (CARD, "GB29 NWBK 6016 1331 9268 19")
    ]
    untouched("Rent goes to GB28 NWBK 6016 1331 9268 19 each month.")


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("我的护照号码是E12345678，下个月过期。", "E12345678"),
        ("My passport number is X47302918 and it expires soon.", "X47302918"),
        ("病历号是MR20231187，医生让我带上。", "MR20231187"),
        ("住院号ZY230415007写在手环上。", "ZY230415007"),
        ("社区诊所的就诊号ZS-0047731。", "ZS-0047731"),
        ("保单号是P2024-0318-6652。", "P2024-0318-6652"),
        ("My medical record number there is 00482917.", "00482917"),
        ("They gave me patient number PT-558213 at the clinic.", "PT-558213"),
        ("My insurance member ID is WXQ884421903.", "WXQ884421903"),
        ("The hospital number on my discharge letter is H-7781-2290.", "H-7781-2290"),
    ],
)
def test_cue_led_numbers_of_kinds_no_rule_models(text: str, number: str) -> None:
    assert (ID, number) in found(text)
    assert number not in mask(text).text


def test_a_second_number_of_the_same_kind_in_the_sentence_counts_too():
    text = "护照号写的是EJ7730165，我妈妈的是E90213744。下一句E11111111不算。"
    assert [t for e, t in found(text) if e == ID] == ["EJ7730165", "E90213744"]


@pytest.mark.parametrize(
    "text",
    [
        "E12345678 is printed on the box.",  # no cue
        "病历本上写着三次复诊。",  # a cue without a number
        "My patient number was 12 on the list.",  # too short for an id
        "订单号是E12345678。",  # not a cue of these kinds
    ],
)
def test_cued_number_near_misses(text: str) -> None:
    assert all(e != ID for e, _ in found(text)), found(text)


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("我的银行卡号6217856100023345127被冻结了", "6217856100023345127"),
        ("The card number on file is 4532 7712 0983 4411, and", "4532 7712 0983 4411"),
        ("My debit card, 5413 3300 8901 1235, got declined.", "5413 3300 8901 1235"),
    ],
)
def test_a_card_failing_luhn_after_a_card_cue(text: str, card: str) -> None:
    assert (CARD, card) in found(text)


# ---------------------------------------------------------------- relatives' lone given names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我妹妹婷婷这学期老逃课。", "婷婷"),
        ("我弟弟俊豪在深圳打工。", "俊豪"),
        ("我姐姐雅琴身体不好。", "雅琴"),
        ("My sister Anna stopped answering.", "Anna"),
        ("My little brother Kenji hasn't left his room.", "Kenji"),
        ("I met Tomasz Wierzbicki in a support group.", "Tomasz Wierzbicki"),
    ],
)
def test_a_relatives_lone_given_name(text: str, name: str) -> None:
    assert (NAME, name) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "我妹妹今天很难过。",
        "我弟弟一直很听话。",
        "我女儿可能不想去。",
        "我妈妈依然不理解我。",
        "我跟着奶奶长大。",
        "每次婆婆来家里都挑刺。",
        "孩子的母亲：谢谢心理咨询师。",
        "我和孩子们都很累，和家人也吵。",
        "My sister is older than me.",
        "I told Mom everything.",
    ],
)
def test_relative_near_misses(text: str) -> None:
    assert all(e != NAME for e, _ in found(text)), found(text)
