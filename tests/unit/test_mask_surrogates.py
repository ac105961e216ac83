"""Surrogate mode: realistic fakes of the same type and shape, consistent within a Masker
(one record or one course), deterministic for a seed, never equal to an original, never
shared by two originals; structured fakes keep their format and checksums. Synthetic data."""

from __future__ import annotations

import re

import pytest

from counselsim.privacy import (
    EntityType,
    Masker,
    Span,
    SurrogateFactory,
    find_bank_cards,
    find_dates,
    find_id_numbers,
    find_license_plates,
    find_phones,
    id_check_char,
    luhn_check_digit,
    luhn_valid,
)
from counselsim.privacy.lexicon import (
    EN_FIRST_FEMALE,
    EN_FIRST_MALE,
    ZH_COMMON_SURNAMES,
    ZH_FEMALE_GIVEN,
    ZH_MALE_GIVEN,
)
from counselsim.privacy.ner.zh_name_shapes import split_name

CJK = re.compile(r"^[\u4e00-\u9fff]+$")
ZH_TEXT = (
    "我叫王芳，今年17岁，我妈妈很担心我。小王和老张都是我的同事，张老师对我很好。李强说王芳太敏感。"
)
EN_TEXT = (
    "My friend Sarah Johnson told Michael that Dr. Patel and Mrs. Johnson work at Mercy "
    "Hospital. I met Li Wei at Lincoln High School near 123 Main Street, Apt 4B."
)
STRUCTURED = (
    "身份证11010519491231002X，卡号 4532 0151 1283 0366 到期，车牌粤B·D12345，"
    "生日1999年3月5日，手机13812345678，也就是 +86 138 1234 5678，座机010-12345678，"
    "QQ号码是12345678，邮箱 zhang.san@example.com。Call (555) 123-4567, born Sept. 21st 1987, "
    "DOB 25/12/1999, see https://example.com/path?q=1 or @jane_doe."
)


def replaced(masker: Masker, text: str) -> dict[str, str]:
    """original -> surrogate for one text."""
    result = masker(text)
    return {s.text: result.mapping[s.text] for s in result.spans}


def test_every_identifier_is_replaced_and_offsets_stay_in_the_original():
    for text in (ZH_TEXT, EN_TEXT, STRUCTURED):
        result = Masker(surrogates=True, seed=1)(text)
        assert result.spans
        for s in result.spans:
            assert text[s.start : s.end] == s.text
            assert isinstance(s.type, EntityType)
            assert result.mapping[s.text] != s.text


def test_surrogates_never_equal_an_original_and_never_collide():
    masker = Masker(surrogates=True, seed=3)
    mapping: dict[str, str] = {}
    for text in (ZH_TEXT, EN_TEXT, STRUCTURED):
        mapping.update(replaced(masker, text))
    originals = set(mapping)
    assert not originals & set(mapping.values())
    assert len(set(mapping.values())) == len(mapping)


def test_consistent_within_a_record_and_across_calls():
    masker = Masker(surrogates=True, seed=5)
    first = masker("我叫王芳。李强说王芳太敏感。")
    assert first.text.count(first.mapping["王芳"]) == 2
    second = masker("后来王芳和小王一起去了。")
    assert first.mapping["王芳"] in second.text
    assert "王芳" not in second.text


def test_deterministic_for_a_seed_and_independent_of_order():
    a = Masker(surrogates=True, seed=11)
    b = Masker(surrogates=True, seed=11)
    assert a(ZH_TEXT).text == b(ZH_TEXT).text
    assert a(EN_TEXT).text == b(EN_TEXT).text
    # a course masked in another order still gives the same surrogates
    c = Masker(surrogates=True, seed=11)
    c(EN_TEXT)
    assert c(ZH_TEXT).text == Masker(surrogates=True, seed=11)(ZH_TEXT).text
    other = Masker(surrogates=True, seed=12)
    assert other(ZH_TEXT + EN_TEXT).text != Masker(surrogates=True, seed=11)(ZH_TEXT + EN_TEXT).text


def test_chinese_names_keep_script_gender_and_nickname_shape():
    for seed in range(8):
        m = replaced(Masker(surrogates=True, seed=seed), ZH_TEXT)
        fang, qiang = m["王芳"], m["李强"]
        assert CJK.match(fang) and CJK.match(qiang)
        assert split_name(fang)[1] in ZH_FEMALE_GIVEN
        assert split_name(qiang)[1] in ZH_MALE_GIVEN
        # 王芳, 小王 and 王老师 share one surname map: 王 -> X everywhere
        new_wang = split_name(fang)[0]
        assert new_wang != "王" and new_wang in ZH_COMMON_SURNAMES
        assert m["小王"] == "小" + new_wang
        assert m["老张"][0] == "老" and m["老张"][1] in ZH_COMMON_SURNAMES
        assert m["张"] == m["老张"][1]  # 张老师 -> (same surname)老师


def test_surname_map_keeps_title_text():
    result = Masker(surrogates=True, seed=2)("张老师对我很好，老张也是。")
    assert re.fullmatch(r"(.)老师对我很好，老\1也是。", result.text)
    assert "张" not in result.text


def test_english_names_keep_gender_and_titles():
    for seed in range(8):
        m = replaced(Masker(surrogates=True, seed=seed), EN_TEXT)
        first, last = m["Sarah Johnson"].split()
        assert first in EN_FIRST_FEMALE - EN_FIRST_MALE
        assert m["Michael"] in EN_FIRST_MALE - EN_FIRST_FEMALE
        assert m["Johnson"] == last  # Mrs. Johnson shares Sarah Johnson's surname
        assert m["Patel"].isascii() and m["Patel"][0].isupper()
        assert len(m["Li Wei"].split()) == 2


def test_structured_identifiers_keep_format_and_checksums():
    result = Masker(surrogates=True, seed=4)(STRUCTURED)
    out = result.text
    m = result.mapping
    fake_id = m["11010519491231002X"]
    assert find_id_numbers(fake_id) and fake_id[6:10] == "1949" and fake_id[:2] == "11"
    fake_card = m["4532 0151 1283 0366"]
    assert re.fullmatch(r"\d{4} \d{4} \d{4} \d{4}", fake_card)
    assert luhn_valid(fake_card.replace(" ", "")) and find_bank_cards(fake_card)
    assert re.fullmatch(r"粤B·D\d{5}", m["粤B·D12345"]) and find_license_plates(m["粤B·D12345"])
    assert re.fullmatch(r"1999年\d{1,2}月\d{1,2}日", m["1999年3月5日"])
    assert re.fullmatch(r"1[3-9]\d{9}", m["13812345678"])
    # formatting variants of one phone get the same fake digits, each in its own format
    variant = m["+86 138 1234 5678"]
    assert re.fullmatch(r"\+86 1\d\d \d{4} \d{4}", variant)
    assert variant.replace(" ", "")[3:] == m["13812345678"]
    assert m["010-12345678"].startswith("010-") and find_phones(m["010-12345678"])
    assert re.fullmatch(r"\(\d{3}\) \d{3}-\d{4}", m["(555) 123-4567"])
    assert re.fullmatch(r"[1-9]\d{7}", m["12345678"])
    assert re.fullmatch(r"[\w.]+@[\w.]+\.\w+", m["zhang.san@example.com"])
    assert m["https://example.com/path?q=1"].startswith("https://")
    for date in ("Sept. 21st 1987", "25/12/1999"):
        assert find_dates(m[date]) and m[date].endswith(("1987", "1999"))
    assert re.search(r"\d(st|nd|rd|th) 1987", m["Sept. 21st 1987"])
    # nothing original is left and every fake is still recognised as its type
    for original in m:
        assert original not in out


def test_id_numbers_keep_birth_year_and_sex_digit():
    factory = SurrogateFactory(seed=9)
    body = "44030419900307123"  # born 1990-03-07, odd sequence digit
    original = body + id_check_char(body)
    fake = factory.surrogate(Span(start=0, end=18, type=EntityType.ID_NUMBER, text=original))
    assert fake != original and fake[6:10] == "1990"
    assert int(fake[16]) % 2 == int(original[16]) % 2
    assert id_check_char(fake[:17]) == fake[17]


@pytest.mark.parametrize("body", ["7992739871", "411111111111111", "62220210011234567"])
def test_luhn_check_digit_matches_luhn_valid(body):
    assert luhn_valid(body + luhn_check_digit(body))


def test_addresses_schools_and_orgs_get_fakes_of_the_same_kind():
    text = (
        "我家在朝阳区建国路88号阳光小区5号楼1单元302，我在清华大学附属中学读书，"
        "爸爸在华为技术有限公司工作，妈妈在腾讯上班。"
    )
    m = replaced(Masker(surrogates=True, seed=6), text)
    address = m["朝阳区建国路88号阳光小区5号楼1单元302"]
    assert "区" in address and "号" in address and "单元" in address
    assert m["清华大学附属中学"].endswith("大学附属中学")
    assert m["华为技术有限公司"].endswith("有限公司")
    assert CJK.match(m["腾讯"])
    en = replaced(Masker(surrogates=True, seed=6), EN_TEXT)
    assert re.fullmatch(r"\d{3} [A-Z][a-z]+ Street, Apt \d[A-Z]", en["123 Main Street, Apt 4B"])
    assert en["Lincoln High School"].endswith(" High School")
    assert en["Mercy Hospital"].endswith(" Hospital")


def test_placeholder_mode_is_still_the_default():
    result = Masker()(ZH_TEXT)
    assert "[NAME_1]" in result.text and "王芳" not in result.text


@pytest.mark.parametrize(
    ("text", "etype"),
    [
        ("a phone", EntityType.PHONE),
        ("尾号1234", EntityType.ID_NUMBER),
        ("3月5日", EntityType.DATE),
        ("x", EntityType.LICENSE_PLATE),
        ("东门那边", EntityType.ADDRESS),
        ("Zed", EntityType.NAME),
    ],
)
def test_odd_shapes_from_the_llm_layer_still_get_a_different_surrogate(text, etype):
    fake = SurrogateFactory(seed=1).surrogate(Span(start=0, end=len(text), type=etype, text=text))
    assert fake and fake != text
