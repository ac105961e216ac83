"""Gaps found on a held-out probe: cue-led Chinese IDs with a wrong check character, compound
surnames, address tails after the street number and hospitals named without a company
suffix. Each comes with near-misses that must survive. All data is synthetic."""

from __future__ import annotations

import pytest

from counselsim.privacy import EntityType, Masker, detect, find_id_numbers
from counselsim.privacy.checks import id_check_char


def found(text: str) -> list[tuple[EntityType, str]]:
    return [(s.type, s.text) for s in detect(text)]


def untouched(text: str) -> None:
    got = [(s.type.value, s.text) for s in detect(text)]
    assert got == [], f"{text!r} -> {got}"


# ---------------------------------------------------------------- IDs after an explicit cue

# Synthetic 18-digit numbers whose check character is wrong (or whose date is impossible).
_BAD18 = "330106198807154213"  # neither MOD 11-2 nor Luhn valid
_BAD18_X = "51010719930230561X"
_BAD15 = "420102881345123"


def test_the_synthetic_ids_fail_the_checksum() -> None:
    assert id_check_char(_BAD18[:17]) != _BAD18[17]
    assert id_check_char(_BAD18_X[:17]) != "X"
    assert find_id_numbers(_BAD18) == []  # without a cue a bad checksum is no ID


@pytest.mark.parametrize(
    ("text", "number"),
    [
        (f"我的身份证号是{_BAD18}，麻烦保密", _BAD18),
        (f"身份证{_BAD18}已经挂失了", _BAD18),
        (f"证件号：{_BAD18_X}", _BAD18_X),
        (f"身份证号码为 {_BAD15}", _BAD15),
        (f"My ID number is {_BAD18}.", _BAD18),
        (f"ID card: {_BAD18_X}", _BAD18_X),
    ],
)
def test_id_after_a_cue_counts_without_the_checksum(text: str, number: str) -> None:
    assert found(text) == [(EntityType.ID_NUMBER, number)]


@pytest.mark.parametrize(
    "text",
    [
        f"订单号是{_BAD18}，快递还没到",  # not an ID cue
        f"随便一串数字{_BAD18}",
        f"身份证号是{_BAD18[:-1]}",  # 17 digits: no ID shape
        "身份证丢了，补办要等两周",
        "ID is needed at the front desk, bring 2 copies",
    ],
)
def test_id_cue_near_misses(text: str) -> None:
    untouched(text)


@pytest.mark.parametrize("number", [_BAD18, _BAD18_X, "330106000013324213"])
def test_surrogate_for_a_mistyped_id_is_checksum_valid(number: str) -> None:
    result = Masker(surrogates=True, seed=5)(f"身份证号是{number}")
    fake = result.mapping[number]
    assert fake != number and len(fake) == 18
    assert id_check_char(fake[:17]) == fake[17].upper()
    assert find_id_numbers(fake)  # a valid ID on its own, without a cue


# ---------------------------------------------------------------- compound surnames


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我叫司徒冰冰，今年大二", "司徒冰冰"),
        ("班上有个女生叫慕容月月", "慕容月月"),
        ("一个叫夏侯一鸣的男生", "夏侯一鸣"),
        ("我同学叫端木晓雯，人很好", "端木晓雯"),
        ("他们都叫我令狐笑笑", "令狐笑笑"),
        ("那天宇文婷婷没来上课", "宇文婷婷"),
        ("我叫长孙子涵", "长孙子涵"),
        ("室友皇甫倩倩说我太敏感", "皇甫倩倩"),
    ],
)
def test_compound_surname_and_given_name_are_one_span(text: str, name: str) -> None:
    names = [t for e, t in found(text) if e == EntityType.NAME]
    assert names == [name]


@pytest.mark.parametrize(
    "text",
    [
        "我们都是东方人，习惯不一样",
        "东方文化很有意思",
        "他是家里的长孙，压力很大",
        "我们都叫她东方",  # only the surname: a nickname the name rules may leave alone
    ],
)
def test_compound_surname_near_misses(text: str) -> None:
    assert all(e != EntityType.NAME or len(t) <= 2 for e, t in found(text)), found(text)


def test_compound_surname_near_misses_fully_untouched() -> None:
    untouched("我们都是东方人，习惯不一样")
    untouched("他是家里的长孙，压力很大")


# ---------------------------------------------------------------- address tails


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("我住在杭州市西湖区文三路15号附2号，离公司近", "西湖区文三路15号附2号"),
        ("家在江汉区解放大道6号之3", "江汉区解放大道6号之3"),
        ("现在住雨花区芙蓉南路9号之一，后来搬走了", "雨花区芙蓉南路9号之一"),
        ("住在南岸区南坪东路21号附属楼", "南岸区南坪东路21号附属楼"),
        ("她住在鼓楼区湖东路33号后院", "鼓楼区湖东路33号后院"),
        ("寄到天河区体育西路乙12号", "天河区体育西路乙12号"),
        ("住在海曙区中山西路甲8号2单元", "海曙区中山西路甲8号2单元"),
        ("寄到江北区建新北路4号附1号楼", "江北区建新北路4号附1号楼"),
    ],
)
def test_zh_address_tail_joins_the_span(text: str, address: str) -> None:
    assert (EntityType.ADDRESS, address) in found(text), found(text)


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("住在西湖区文三路15号附近，很方便", "西湖区文三路15号"),  # 附近: nearby
        ("住在江汉区解放大道6号之前住在武昌", "江汉区解放大道6号"),  # 之前: before
    ],
)
def test_zh_address_tail_near_misses(text: str, address: str) -> None:
    assert (EntityType.ADDRESS, address) in found(text), found(text)


@pytest.mark.parametrize("text", ["我18号之前要交论文", "甲方一直改需求", "三号之后再说吧"])
def test_zh_address_tail_words_alone(text: str) -> None:
    untouched(text)


def test_zh_address_tail_surrogate_keeps_the_shape() -> None:
    original = "西湖区文三路15号附2号"
    fake = Masker(surrogates=True, seed=2)(f"我住在杭州市{original}").mapping[original]
    assert "附" in fake and fake.endswith("号") and "文三路" not in fake


# ---------------------------------------------------------------- hospitals and clinics


@pytest.mark.parametrize(
    ("text", "org"),
    [
        ("I spent a week at Northfield General after the overdose.", "Northfield General"),
        ("She was transferred from Ashby Memorial on Monday.", "Ashby Memorial"),
        ("My dad is still in Oak Ridge Memorial.", "Oak Ridge Memorial"),
        ("They moved me to St. Brigid's for the night.", "St. Brigid's"),
        ("I got my meds from Saint Osric's, the one downtown.", "Saint Osric's"),
        ("We drove to Willow Creek Medical Center.", "Willow Creek Medical Center"),
        ("I see someone at Bayside Clinic every week.", "Bayside Clinic"),
        ("I was referred to Pinegate Health last spring.", "Pinegate Health"),
    ],
)
def test_en_hospital_names(text: str, org: str) -> None:
    assert (EntityType.ORG, org) in found(text), found(text)


@pytest.mark.parametrize(
    "text",
    [
        "I went to the hospital last night.",
        "There is a clinic near my school.",
        "He does General practice now.",
        "Memorial Day was hard this year.",
        "We stood at the Lincoln Memorial.",
        "She wrote to Attorney General Hale.",
        "I was at Lakeview Memorial Park with my kids.",
        "He went in General Motors stock.",
        "Mental Health matters to me.",
    ],
)
def test_en_hospital_near_misses(text: str) -> None:
    assert all(e != EntityType.ORG for e, _ in found(text)), found(text)
