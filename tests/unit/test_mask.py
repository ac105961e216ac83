"""Rule-based masking: each identifier type is found in zh and en text, near-misses are
left alone, overlaps resolve to the most specific type, and placeholders stay consistent
within one record."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from counselsim.privacy import (
    DETECTORS,
    EntityType,
    MaskResult,
    Span,
    detect,
    find_bank_cards,
    find_id_numbers,
    luhn_valid,
    mask,
    resolve_overlaps,
)

# ---------------------------------------------------------------- checksum helpers
# Computed independently of the module under test, so a bug there cannot hide itself.

_ID_WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # 7, 9, 10, 5, 8, 4, 2, 1, 6, ...


def make_id(body17: str) -> str:
    """Append the ISO 7064 MOD 11-2 check character to 17 digits."""
    total = sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=True))
    return body17 + "10X98765432"[total % 11]


def make_card(body: str) -> str:
    """Append the Luhn check digit to a digit string."""
    for check in "0123456789":
        candidate = body + check
        total = 0
        for i, ch in enumerate(reversed(candidate)):
            d = int(ch) * (2 if i % 2 else 1)
            total += d - 9 if d > 9 else d
        if total % 10 == 0:
            return candidate
    raise AssertionError("unreachable")


def test_helpers_match_published_examples():
    # GB 11643-1999's worked example and the classic Luhn test numbers
    assert make_id("11010519491231002") == "11010519491231002X"
    assert make_card("7992739871") == "79927398713"
    assert make_card("411111111111111") == "4111111111111111"


VALID_ID = make_id("44030419900307123")  # born 1990-03-07
VALID_ID_X = "11010519491231002X"
VALID_CARD = make_card("622202100112345678")  # 19 digits, UnionPay-style
VALID_CARD16 = make_card("453201511283036")


def _wrong_last(number: str, check: Callable[[str], bool]) -> str:
    """Replace the last digit so that ``check`` rejects the result."""
    for d in "0123456789":
        candidate = number[:-1] + d
        if candidate != number and not check(candidate):
            return candidate
    raise AssertionError("no wrong digit found")


def types_of(text: str) -> list[tuple[EntityType, str]]:
    return [(s.type, s.text) for s in detect(text)]


def only(text: str, etype: EntityType, expected: str) -> None:
    assert types_of(text) == [(etype, expected)]


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("我的手机号是13812345678，随时联系", "13812345678"),
        ("电话：+86 138-1234-5678。", "+86 138-1234-5678"),
        ("手机 0086 139 1234 5678 ", "0086 139 1234 5678"),
        ("办公室座机010-12345678转人工", "010-12345678"),
        ("座机（0755）1234567", "（0755）1234567"),
        ("Call me at (555) 123-4567 tonight.", "(555) 123-4567"),
        ("My cell is 555-123-4567.", "555-123-4567"),
        ("toll-free 1-800-555-1234", "1-800-555-1234"),
        ("fax 555.123.4567", "555.123.4567"),
        ("Reach me on +1 555 123 4567", "+1 555 123 4567"),
        ("London office: +44 20 7946 0958", "+44 20 7946 0958"),
    ],
)
def test_phones_detected(text, phone):
    only(text, EntityType.PHONE, phone)


@pytest.mark.parametrize(
    "text",
    [
        "2024年我压力很大",
        "In 2024 things got worse.",
        "房租涨到了12,000元",
        "It cost $12,000.",
        "We met at 3:30 yesterday.",
        "下午3:30见",
        "我考了100-200名之间",
        "版本 1.2.3",
        "编号12345678901",  # 11 digits but starts with 12, not a mobile prefix
        "scores 120 130 1400",
        "I slept 2-3 hours, from 9.30 to 10.45",
    ],
)
def test_phone_near_misses_not_masked(text):
    result = mask(text)
    assert result.spans == []
    assert result.text == text


# ---------------------------------------------------------------- emails and urls


@pytest.mark.parametrize(
    ("text", "email"),
    [
        ("我的邮箱是zhang.san@example.com，谢谢", "zhang.san@example.com"),
        ("Email me: jane_doe+work@mail.example.co.uk.", "jane_doe+work@mail.example.co.uk"),
    ],
)
def test_emails_detected(text, email):
    only(text, EntityType.EMAIL, email)


@pytest.mark.parametrize("text", ["价格是5@10元", "He said hi @ the office", "a@b"])
def test_email_near_misses(text):
    assert all(t != EntityType.EMAIL for t, _ in types_of(text))


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("请访问https://example.com/path?q=1了解", "https://example.com/path?q=1"),
        ("网址www.example.cn。", "www.example.cn"),
        ("See http://foo.org/bar.", "http://foo.org/bar"),
        (
            "(see https://en.wikipedia.org/wiki/Foo_(bar))",
            "https://en.wikipedia.org/wiki/Foo_(bar)",
        ),
    ],
)
def test_urls_detected(text, url):
    only(text, EntityType.URL, url)


def test_url_containing_at_is_one_url_not_a_handle():
    only("主页 https://mastodon.social/@alice", EntityType.URL, "https://mastodon.social/@alice")


# ---------------------------------------------------------------- ID numbers


@pytest.mark.parametrize(
    "text_template",
    ["我的身份证号是{}，请保密", "身份证：{}", "My Chinese ID number is {}."],
)
@pytest.mark.parametrize("number", [VALID_ID, VALID_ID_X, VALID_ID_X.lower()])
def test_id_numbers_detected(text_template, number):
    only(text_template.format(number), EntityType.ID_NUMBER, number)


def test_legacy_15_digit_id_with_plausible_date():
    only("旧身份证号110105491231002", EntityType.ID_NUMBER, "110105491231002")


def test_legacy_15_digit_with_impossible_date_is_not_an_id():
    assert find_id_numbers("号码110105491331002") == []  # month 13


def test_id_with_wrong_checksum_is_not_masked_without_a_cue():
    # pick a wrong check digit that also fails Luhn, so nothing else claims it
    bad = _wrong_last(VALID_ID, lambda s: make_id(s[:17]) == s or luhn_valid(s))
    assert find_id_numbers(f"号码{bad}") == []
    result = mask(f"号码{bad}")
    assert result.spans == []


def test_id_with_wrong_checksum_after_an_id_cue_is_masked():
    # a mistyped ID right after 身份证 still identifies its owner
    bad = _wrong_last(VALID_ID, lambda s: make_id(s[:17]) == s or luhn_valid(s))
    assert [s.text for s in find_id_numbers(f"身份证{bad}")] == [bad]
    assert mask(f"身份证{bad}").text == "身份证[ID_NUMBER_1]"


def test_id_with_impossible_birth_date_is_not_an_id():
    assert find_id_numbers(make_id("44030419901332123")) == []  # month 13, day 32


def test_id_number_beats_phone_and_card():
    # a mobile-looking run inside the ID (body starts 1[3-9]...) must not win
    id_number = make_id("13010519900307123")
    result = mask(f"电话13812345678，身份证{id_number}")
    assert [s.type for s in result.spans] == [EntityType.PHONE, EntityType.ID_NUMBER]
    assert "[ID_NUMBER_1]" in result.text


def test_tie_between_id_and_card_prefers_id():
    spans = [
        Span(start=0, end=18, type=EntityType.BANK_CARD, text="x" * 18),
        Span(start=0, end=18, type=EntityType.ID_NUMBER, text="x" * 18),
        Span(start=2, end=13, type=EntityType.PHONE, text="x" * 11),
    ]
    assert [s.type for s in resolve_overlaps(spans)] == [EntityType.ID_NUMBER]


# ---------------------------------------------------------------- bank cards


@pytest.mark.parametrize(
    ("text", "card"),
    [
        (f"我的银行卡号{VALID_CARD}，开户行是工行", VALID_CARD),
        (f"card number {VALID_CARD16} please", VALID_CARD16),
        (
            "卡号 " + " ".join(VALID_CARD16[i : i + 4] for i in range(0, 16, 4)) + " 到期",
            " ".join(VALID_CARD16[i : i + 4] for i in range(0, 16, 4)),
        ),
        (
            "Card: " + "-".join(VALID_CARD16[i : i + 4] for i in range(0, 16, 4)) + ".",
            "-".join(VALID_CARD16[i : i + 4] for i in range(0, 16, 4)),
        ),
    ],
)
def test_bank_cards_detected(text, card):
    only(text, EntityType.BANK_CARD, card)


def test_grouped_card_followed_by_a_year_keeps_only_the_card():
    grouped = " ".join(VALID_CARD16[i : i + 4] for i in range(0, 16, 4))
    only(f"card {grouped} 2024", EntityType.BANK_CARD, grouped)


def test_non_luhn_16_digits_is_a_card_only_after_a_card_cue():
    # Issue 11: a mistyped card number right after 卡号 / "card number" still identifies
    # its owner (it slipped through in the review); without such a cue it is no card.
    bad = _wrong_last(VALID_CARD16, luhn_valid)
    assert [s.text for s in find_bank_cards(f"卡号{bad}")] == [bad]
    assert mask(f"my card number is {bad}").text == "my card number is [BANK_CARD_1]"
    assert find_bank_cards(f"编号{bad}") == []
    assert mask(f"card {bad}").spans == []


def test_short_luhn_number_is_not_a_card():
    assert find_bank_cards(make_card("12345678901")) == []  # 12 digits


# ---------------------------------------------------------------- handles


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("加我微信号：wxid_abc123，晚上聊", "wxid_abc123"),
        ("我微信是 zhangsan88", "zhangsan88"),
        ("QQ号码是12345678", "12345678"),
        ("我的QQ：987654321", "987654321"),
        ("抖音号dy_2024abc", "dy_2024abc"),
        ("Follow me @jane_doe on there.", "@jane_doe"),
        ("my WeChat ID is jane-doe99", "jane-doe99"),
        ("ping @sam.lee.", "@sam.lee"),
    ],
)
def test_handles_detected(text, handle):
    only(text, EntityType.HANDLE, handle)


def test_handle_masking_keeps_the_cue_and_takes_the_at_sign():
    # a cue stays in the text; an @-handle's identifier is "@name", so the @ goes with it
    assert mask("微信号：wxid_abc123").text == "微信号：[HANDLE_1]"
    assert mask("ask @jane_doe").text == "ask [HANDLE_1]"


@pytest.mark.parametrize(
    "text",
    [
        "我们在微信聊天",
        "The WeChat group was noisy.",
        "QQ is great",
        "我在抖音上看到的",
        "write to jane@example.com",
        "meet @ 5",
    ],
)
def test_handle_near_misses(text):
    assert all(t != EntityType.HANDLE for t, _ in types_of(text))


# ---------------------------------------------------------------- licence plates


@pytest.mark.parametrize(
    ("text", "plate"),
    [
        ("我的车牌是京A12345，停在楼下", "京A12345"),
        ("新能源车粤B·D12345", "粤B·D12345"),
        ("沪AD12345号车", "沪AD12345"),
        ("His car plate is 苏E 5B123.", "苏E 5B123"),
    ],
)
def test_license_plates_detected(text, plate):
    only(text, EntityType.LICENSE_PLATE, plate)


@pytest.mark.parametrize(
    "text",
    ["京A1234", "北A12345", "京ABCDEF", "京I12345", "I drove ABC123 home"],
)
def test_license_plate_near_misses(text):
    assert all(t != EntityType.LICENSE_PLATE for t, _ in types_of(text))


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("我1999年3月5日出生", "1999年3月5日"),
        ("生日是2001年 12 月 31 号", "2001年 12 月 31 号"),
        ("出生日期1999-03-05。", "1999-03-05"),
        ("DOB 1999/3/5", "1999/3/5"),
        ("I was born on March 5, 1999.", "March 5, 1999"),
        ("born Sept. 21st 1987", "Sept. 21st 1987"),
        ("on the 5th of March, 1999", "5th of March, 1999"),
        ("DOB: 03/05/1999", "03/05/1999"),
        ("DOB: 25/12/1999", "25/12/1999"),
    ],
)
def test_dates_detected(text, date):
    only(text, EntityType.DATE, date)


@pytest.mark.parametrize(
    "text",
    [
        "2024年我换了工作",
        "3月5日那天很难过",
        "In March 2020 the lockdown began.",
        "It happened on March 5.",
        "1999年2月30日",  # no such day
        "2023-13-01",
    ],
)
def test_date_near_misses(text):
    assert all(t != EntityType.DATE for t, _ in types_of(text))


# ---------------------------------------------------------------- mask() and consistency


def test_same_phone_twice_gets_same_placeholder():
    result = mask("打13812345678或者13812345678都行")
    assert result.text == "打[PHONE_1]或者[PHONE_1]都行"
    assert result.mapping == {"13812345678": "[PHONE_1]"}


def test_two_phones_are_numbered_in_order_of_appearance():
    result = mask("Call 555-123-4567, or (555) 987-6543, then 555-123-4567 again.")
    assert result.text == "Call [PHONE_1], or [PHONE_2], then [PHONE_1] again."


def test_formatting_variants_of_one_phone_share_a_placeholder():
    result = mask("手机13812345678，也就是 +86 138 1234 5678")
    assert result.text == "手机[PHONE_1]，也就是 [PHONE_1]"


def test_numbering_is_per_type():
    result = mask("邮箱 a@example.com，电话13812345678，另一个邮箱 b@example.com")
    assert result.text == "邮箱 [EMAIL_1]，电话[PHONE_1]，另一个邮箱 [EMAIL_2]"


def test_mapping_carries_across_calls():
    first = mask("我的电话是13812345678")
    second = mask("换号了：13987654321，旧号13812345678停用了", first.mapping)
    assert second.text == "换号了：[PHONE_2]，旧号[PHONE_1]停用了"
    assert second.mapping == {"13812345678": "[PHONE_1]", "13987654321": "[PHONE_2]"}
    assert first.mapping == {"13812345678": "[PHONE_1]"}  # the input is not mutated


def test_spans_point_into_the_original_text():
    text = "电话13812345678，邮箱 x@y.com"
    result = mask(text)
    assert all(text[s.start : s.end] == s.text for s in result.spans)
    assert isinstance(result, MaskResult)


def test_masked_text_contains_no_original_identifier():
    text = (
        f"来访者张女士，身份证{VALID_ID}，手机13812345678，座机010-12345678，"
        f"邮箱 zhang@example.com，银行卡{VALID_CARD}，微信号：wxid_zz2024，"
        "车牌京A12345，主页 https://example.com/zhang，生日1990年3月7日。"
        " In English: call (555) 123-4567, born March 7, 1990, follow @zhang_w."
    )
    result = mask(text)
    for original in result.mapping:
        assert original not in result.text
    for needle in (VALID_ID, "13812345678", VALID_CARD, "wxid_zz2024", "京A12345", "zhang_w"):
        assert needle not in result.text
    # every rule type, plus the name in 张女士 (the text holds no address, school or org)
    no_place = {EntityType.ADDRESS, EntityType.SCHOOL, EntityType.ORG}
    assert {s.type for s in result.spans} == set(EntityType) - no_place


def test_no_identifiers_leaves_text_unchanged():
    text = "最近睡不好，工作压力大。I feel tired all the time."
    result = mask(text)
    assert result == MaskResult(text=text, spans=[], mapping={})


def test_extra_detectors_plug_in():
    def find_names(text: str) -> list[Span]:
        i = text.find("张三")
        return [] if i < 0 else [Span(start=i, end=i + 2, type=EntityType.HANDLE, text="张三")]

    result = mask("张三的电话13812345678", detectors=(*DETECTORS, find_names))
    assert result.text == "[HANDLE_1]的电话[PHONE_1]"
