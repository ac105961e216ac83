"""Surrogates for the newer identifier shapes: SSNs stay well-formed SSNs in their format,
US plates change completely (Chinese plates keep province and letter), @-handles keep the
@, Chinese dates keep their numeral style and stay valid dates. Synthetic data."""

from __future__ import annotations

import re

import pytest

from counselsim.privacy import EntityType, Masker, Span, SurrogateFactory, find_dates
from counselsim.privacy.checks import ssn_valid
from counselsim.privacy.dates import zh_int


def fake(text: str, etype: EntityType, seed: int = 0) -> str:
    factory = SurrogateFactory(seed)
    span = Span(start=0, end=len(text), type=etype, text=text)
    factory.reserve([span])
    return factory.surrogate(span)


@pytest.mark.parametrize("ssn", ["321-54-9876", "512 33 0187", "702118349"])
def test_ssn_surrogates_are_valid_ssns_in_the_same_format(ssn):
    for seed in range(20):
        out = fake(ssn, EntityType.ID_NUMBER, seed)
        assert out != ssn
        assert re.sub(r"\d", "0", out) == re.sub(r"\d", "0", ssn)
        digits = re.sub(r"\D", "", out)
        assert ssn_valid(digits[:3], digits[3:5], digits[5:])


@pytest.mark.parametrize("plate", ["8KQM271", "XKR-4821", "WY 48213"])
def test_us_plate_surrogates_change_every_character(plate):
    out = fake(plate, EntityType.LICENSE_PLATE, 3)
    assert len(out) == len(plate)
    assert [c.isdigit() for c in out] == [c.isdigit() for c in plate]
    assert out[:2] != plate[:2] or out[2:] != plate[2:]
    assert out != plate


def test_chinese_plate_surrogate_keeps_province_and_letter():
    out = fake("苏E·5B123", EntityType.LICENSE_PLATE, 1)
    assert out.startswith("苏E·") and out != "苏E·5B123"


@pytest.mark.parametrize("handle", ["@river.fern", "@只想睡个好觉", "@橘子汽水_09"])
def test_at_handle_surrogates_keep_the_at_sign(handle):
    out = fake(handle, EntityType.HANDLE, 2)
    assert out.startswith("@") and out != handle
    assert bool(re.search(r"[\u4e00-\u9fff]", out)) == bool(re.search(r"[\u4e00-\u9fff]", handle))


@pytest.mark.parametrize(
    "date",
    ["96年4月23号", "一九八七年十月二十一日", "二〇〇九年五月三日", "4月23日", "十月二十一日"],
)
def test_zh_date_surrogates_keep_style_and_validity(date):
    for seed in range(10):
        out = fake(date, EntityType.DATE, seed)
        assert out != date
        m = re.fullmatch(r"(?:(.+)年)?(.+)月(.+)[日号]", out)
        assert m is not None, out
        if m.group(1):
            assert m.group(1) == re.match(r"(.+)年", date).group(1)  # the year stays
        month, day = zh_int(m.group(2)), zh_int(m.group(3))
        assert 1 <= month <= 12 and 1 <= day <= 28
        assert m.group(2).isascii() == re.search(r"(.)月", date).group(1).isascii()


@pytest.mark.parametrize("date", ["4/23/96", "October 21st", "21 October"])
def test_en_short_date_surrogates(date):
    out = fake(date, EntityType.DATE, 5)
    assert out != date
    if "/" in date:
        assert out.endswith("/96") and find_dates(f"born on {out}")
    else:
        assert find_dates(f"my birthday is {out}") or find_dates(f"born on {out}")


def test_masker_surrogates_leave_no_original_behind():
    text = (
        "出生日期：一九八七年十月二十一日。我在网上叫@只想睡个好觉。"
        "SSN 512 33 0187. A sedan with plate 8KQM271 waits outside."
    )
    result = Masker(surrogates=True, seed=11)(text)
    for original in ("一九八七年十月二十一日", "@只想睡个好觉", "512 33 0187", "8KQM271"):
        assert original in result.mapping
        assert original not in result.text
