"""Structured identifiers added to the rule layer: US Social Security numbers, US licence
plates after a cue, @-handles with their @ (also Chinese nicknames) and cue handles, Chinese
birth dates in other forms, Chinese phones in more formats, plain US numbers with a phone
cue. Each comes with near-misses that must survive. All data is synthetic."""

from __future__ import annotations

import pytest

from counselsim.privacy import (
    EntityType,
    detect,
    find_dates,
    find_handles,
    find_id_numbers,
    find_license_plates,
    find_phones,
    mask,
)
from counselsim.privacy.checks import ssn_valid
from counselsim.privacy.dates import zh_int


def texts(spans: list) -> list[str]:
    return [s.text for s in spans]


def only(text: str, etype: EntityType, expected: str) -> None:
    got = [(s.type, s.text) for s in detect(text)]
    assert got == [(etype, expected)], got


def untouched(text: str) -> None:
    got = [(s.type.value, s.text) for s in detect(text)]
    assert got == [], f"{text!r} -> {got}"


# ---------------------------------------------------------------- US Social Security numbers


@pytest.mark.parametrize(
    ("text", "ssn"),
    [
        ("My social security number is 321-54-9876, is that safe here?", "321-54-9876"),
        ("SSN 512 33 0187 on the intake form.", "512 33 0187"),
        ("For the sliding-scale form, SSN: 702118349.", "702118349"),
        ("Social Security no. 133 07 4412", "133 07 4412"),
        ("她的美国社安号是 228-61-3047。", "228-61-3047"),
    ],
)
def test_ssn_detected_as_id_number(text, ssn):
    only(text, EntityType.ID_NUMBER, ssn)


@pytest.mark.parametrize(
    "text",
    [
        "000-12-3456 is no SSN",  # area 000
        "666-12-3456 is no SSN",  # area 666
        "912-34-5678 is an ITIN-shaped number",  # area 9xx
        "123-00-4567 is no SSN",  # group 00
        "123-45-0000 is no SSN",  # serial 0000
        "SSN 666 12 3456",
        "The door code is 512 33 0187.",  # spaces without a cue
        "Ticket 702118349 was closed.",  # nine digits without a cue
        "Part 1-321-54-9876 in the catalogue",  # a slice of a longer code
        "321-54-98765 is too long",
        "I'm 34 and I was born in 1990.",
    ],
)
def test_ssn_near_misses(text):
    assert not [s for s in find_id_numbers(text) if s.type is EntityType.ID_NUMBER]


def test_ssn_validity_rules():
    assert ssn_valid("001", "01", "0001")
    assert not ssn_valid("000", "12", "3456")
    assert not ssn_valid("666", "12", "3456")
    assert not ssn_valid("900", "12", "3456")
    assert not ssn_valid("123", "00", "3456")
    assert not ssn_valid("123", "45", "0000")


def test_ssn_masked_and_cue_kept():
    assert mask("SSN 512 33 0187.").text == "SSN [ID_NUMBER_1]."


# ---------------------------------------------------------------- US licence plates


@pytest.mark.parametrize(
    ("text", "plate"),
    [
        ("A gray sedan with plate 8KQM271 was outside my building.", "8KQM271"),
        ("My license plate is 6TRW19, for the parking pass.", "6TRW19"),
        ("The car that hit me had the plate XKR-4821.", "XKR-4821"),
        ("His truck, plates TNV 3307, is always there.", "TNV 3307"),
        ("The licence plate number: WY 48213.", "WY 48213"),
        ("Tag: 7PLB302, a blue hatchback.", "7PLB302"),
        ("Registration number is 412 GHT.", "412 GHT"),
        ("他的车牌是 RZT-5519，我记得很清楚。", "RZT-5519"),
    ],
)
def test_us_plates_after_a_cue(text, plate):
    only(text, EntityType.LICENSE_PLATE, plate)


@pytest.mark.parametrize(
    "text",
    [
        "8KQM271 was in the report.",  # no cue: could be any code
        "I ate a plate of pasta and felt sick.",
        "Tag me at 3PM if you see it.",  # too short
        "The license plate 12345 was partly covered.",  # digits only
        "plate number AB",
        "My registration for the class is done.",
        "The tag said 50% off.",
        "Her license plate fell off.",
    ],
)
def test_us_plate_near_misses(text):
    assert find_license_plates(text) == []


def test_chinese_plates_need_no_cue():
    assert texts(find_license_plates("车停在楼下，苏E·5B123那辆")) == ["苏E·5B123"]


# ---------------------------------------------------------------- handles


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("Someone made a fake account, @lantern_owl42, to mock me.", "@lantern_owl42"),
        ("She posted it as @river.fern and people piled on.", "@river.fern"),
        ("my Instagram is @quiet_harbor7.", "@quiet_harbor7"),
        ("我在网上叫@只想睡个好觉，最近都没登录。", "@只想睡个好觉"),
        ("他用小号@橘子汽水_09在网上骂我。", "@橘子汽水_09"),
        ("我关注了@今晚早点睡的微博", "@今晚早点睡"),
        ("@海边的风是我的小号", "@海边的风"),
        ("my Reddit is u/tinkerwren88.", "u/tinkerwren88"),
    ],
)
def test_at_handles_include_the_at_sign(text, handle):
    assert texts(find_handles(text)) == [handle]


def test_at_handle_masking_replaces_the_at_sign_too():
    assert mask("ping @river.fern tonight").text == "ping [HANDLE_1] tonight"
    assert mask("我在网上叫@只想睡个好觉，最近").text == "我在网上叫[HANDLE_1]，最近"


@pytest.mark.parametrize(
    ("text", "handle"),
    [
        ("加我微信号：leaf-walker_3，晚上聊", "leaf-walker_3"),
        ("微信: mint_tea2024", "mint_tea2024"),
        ("QQ号：20481357", "20481357"),
        ("方便的话加我抖音号 pinecone.dust，我晚上在", "pinecone.dust"),
        ("小红书号：paper-crane_5", "paper-crane_5"),
        ("微博：cloud_ferry", "cloud_ferry"),
        ("快手号是 kite2077", "kite2077"),
        ("my Snapchat is mossylantern.", "mossylantern"),
        ("my TikTok is fern_glow, I'm on it at night", "fern_glow"),
        ("my username is thistledown.", "thistledown"),
    ],
)
def test_cue_handles(text, handle):
    assert handle in texts(find_handles(text))


@pytest.mark.parametrize(
    "text",
    [
        "我们在微信聊天",
        "我们在微信群里聊天",
        "我在抖音上看到一个视频",
        "我在微博上被人骂了",
        "他在网上@了我好几次",
        "群主@所有人发了通知",
        "The WeChat group was noisy.",
        "My Instagram is private, so nobody can see it.",
        "my TikTok is addictive and I hate it",
        "the WeChat account was hacked",
        "My username is forgotten.",
        "write to jane.roe@example.com",
        "meet @ 5",
    ],
)
def test_handle_near_misses(text):
    assert find_handles(text) == []


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("出生日期：96年4月23号，性别男", "96年4月23号"),
        ("其实是一九八七年十月二十一日。", "一九八七年十月二十一日"),
        ("表上写的是二〇〇九年五月三日", "二〇〇九年五月三日"),
        ("九六年四月二十三日出生", "九六年四月二十三日"),
        ("我是4月23日出生的", "4月23日"),
        ("我的生日是4月23号，每年都很难熬", "4月23号"),
        ("生日：十月二十一日", "十月二十一日"),
        ("她生于5月3日", "5月3日"),
        ("5月3号是我的生日", "5月3号"),
        ("I was born on 4/23/96, in winter.", "4/23/96"),
        ("DOB 10-21-87", "10-21-87"),
        ("my birthday is October 21st", "October 21st"),
        ("I was born on 21 October.", "21 October"),
    ],
)
def test_more_dates(text, date):
    assert date in texts(find_dates(text))


@pytest.mark.parametrize(
    "text",
    [
        "三月份我总是很低落",  # a bare month
        "我每周三都去健身",  # a weekday
        "我今年34岁",  # an age
        "我98年来的深圳",  # a year alone
        "今天是4月23日，我来做第二次咨询",  # month and day, no birth cue
        "我每年4月23日都去扫墓",
        "生日快到了，3月份我总是很低落",  # a birth cue but no day
        "那天是2月30日，我生日",  # no such day
        "96年2月30日出生",
        "我住在3号楼",
        "I scored 10/10/10 on the quiz.",
        "Version 2.1.30 broke everything.",
        "We talked on 3/4 of the days.",
        "See you March 12.",  # month and day, no birth cue
        "I was born in March.",
        "My birthday is next week.",
    ],
)
def test_date_near_misses(text):
    assert find_dates(text) == []


def test_chinese_numerals():
    assert zh_int("十") == 10
    assert zh_int("十二") == 12
    assert zh_int("二十九") == 29
    assert zh_int("三十一") == 31
    assert zh_int("一九九八") == 1998
    assert zh_int("二〇一〇") == 2010
    assert zh_int("零五") == 5


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("紧急联系人电话010 6231 0478。", "010 6231 0478"),
        ("打0755 8413 2290就行", "0755 8413 2290"),
        ("号码0755 6021 927还在用", "0755 6021 927"),
        ("办公室0571-8864-2301", "0571-8864-2301"),
        ("座机010-62310478转215找我", "010-62310478转215"),
        ("座机(021)54328876-12", "(021)54328876-12"),
        ("您可以打(+86)15902816473联系我", "(+86)15902816473"),
        ("手机（+86）159 0281 6473", "（+86）159 0281 6473"),
        ("手机1590 281 6473", "1590 281 6473"),
        ("手机 159-0281-6473", "159-0281-6473"),
        ("客服电话400-820-3371", "400-820-3371"),
        ("热线 800 810 2268", "800 810 2268"),
        ("拨打4008203371咨询", "4008203371"),
        ("The clinic gave me 2065550142 to call.", "2065550142"),
        ("You can text me at 5035550199, I'm free after six.", "5035550199"),
    ],
)
def test_more_phone_formats(text, phone):
    assert phone in texts(find_phones(text))


@pytest.mark.parametrize(
    "text",
    [
        "卡号6217 1590 2816 4731 234不对",  # a slice of a longer number
        "分数 15 90 28",
        "价格 159 元",
        "订单号 2024 1590 2816 473",
        "159 0281 6473 9 是抽奖号",  # twelve digits in groups
        "I paid 2065550142 dollars?",  # ten digits, no phone cue
        "Order 5035550199 shipped.",
        "my phone: 1234567890",  # area code starting with 1
        "我每天工作12小时",
        "4008203371 这个数",  # a 400 number without separators or a cue
    ],
)
def test_phone_near_misses(text):
    assert find_phones(text) == []
