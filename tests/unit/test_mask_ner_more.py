"""The NER/dictionary layer's newer rules: whole Chinese addresses read character by character
(one span from the first place finer than the city to the room number), English unit and
street forms, names after relationship cues, transliterated and doubled names, rarer
surnames before titles, organisations and schools after cues. Near-misses (relatives,
cities, generic workplaces, adverbs, floors) must survive. All text is synthetic."""

from __future__ import annotations

import pytest

from counselsim.privacy import EntityType, detect, mask

NAME, ADDRESS, SCHOOL, ORG = EntityType.NAME, EntityType.ADDRESS, EntityType.SCHOOL, EntityType.ORG


def found(text: str) -> list[tuple[EntityType, str]]:
    return [(s.type, s.text) for s in detect(text)]


def untouched(text: str) -> None:
    got = found(text)
    assert got == [], f"{text!r} -> {got}"


# ---------------------------------------------------------------- Chinese addresses


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("我现在住在春晖新村7栋2单元1103室，离医院挺远", "春晖新村7栋2单元1103室"),
        ("地址是翠湖里小区16栋3单元402室，晚上常常睡不着", "翠湖里小区16栋3单元402室"),
        ("寄到江宁区秣陵街3弄21号1802室。", "江宁区秣陵街3弄21号1802室"),
        ("他知道我住在成都市青白江区清泉镇石桥村6组，好几次", "青白江区清泉镇石桥村6组"),
        ("小时候我们家住在白云区景泰大街88弄6号402室，那段时间", "白云区景泰大街88弄6号402室"),
        (
            "地址是天河区中山大道西路233号枫林苑9栋1201室，晚上",
            "天河区中山大道西路233号枫林苑9栋1201室",
        ),
        ("家住在银杏园12栋1单元302室，那段时间", "银杏园12栋1单元302室"),
        ("地址是南京东路300号院2号楼508，晚上", "南京东路300号院2号楼508"),
        ("我住在杭州市向阳村5组", "向阳村5组"),
        ("现在住在水利宿舍3栋2单元501室，离单位远", "水利宿舍3栋2单元501室"),
        ("我住在丽景花园3号楼2单元501，离地铁近", "丽景花园3号楼2单元501"),
        ("和妈妈住在和平路12号", "和平路12号"),
    ],
)
def test_zh_address_is_one_span_below_the_city(text, address):
    assert (ADDRESS, address) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "我住在北京，离公司很远",  # a city alone
        "我家在河南农村",
        "我住在五楼，楼下很吵",  # a floor alone
        "我住在学校附近的小区，三年了",
        "我住在学校宿舍里",
        "我在爸爸的店里帮忙",
        "我在城里上班，周末回村里",
        "我们家在三楼",
        "我小时候住在老家的一个小村子里",
        "我家在幼儿园对面",
        "我们在微信群里聊天",
    ],
)
def test_zh_address_near_misses(text):
    assert not [x for x in found(text) if x[0] is ADDRESS], found(text)


def test_zh_city_prefix_stays_in_the_text():
    result = mask("住在杭州市西湖区文三路90号4栋501室，")
    assert result.text == "住在杭州市[ADDRESS_1]，"


# ---------------------------------------------------------------- English addresses


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("He knows I live at 4410 Birchwood Street #12C, and waits.", "4410 Birchwood Street #12C"),
        (
            "We lived at Apartment 3D, 2217 Larkspur Drive when I was small.",
            "Apartment 3D, 2217 Larkspur Drive",
        ),
        ("Mail it to Unit 7, 86 Quarry Lane.", "Unit 7, 86 Quarry Lane"),
        ("Send the forms to Suite 300, 1450 Harbor Boulevard.", "Suite 300, 1450 Harbor Boulevard"),
        ("I live at 77 Orchard Rd. Apt 2B in town.", "77 Orchard Rd. Apt 2B"),
        ("My mail goes to PO Box 4521, please.", "PO Box 4521"),
        ("Use P.O. Box 77 for letters.", "P.O. Box 77"),
        ("I rent a room at 19 Tern Way", "19 Tern Way"),
        ("It is on 5 Mill Court", "5 Mill Court"),
    ],
)
def test_en_address_forms(text, address):
    assert (ADDRESS, address) in found(text)


def test_en_full_street_word_leaves_the_full_stop():
    assert (ADDRESS, "117 Calloway Road") in found("Mail the paperwork to 117 Calloway Road.")


@pytest.mark.parametrize(
    "text",
    [
        "I was #1 in my class.",
        "Unit 3 of the workbook was hard.",
        "I live on the 4th floor.",
        "Apt hunting is stressful.",
        "We drove 250 miles to get there.",
        "Room 101 was where we had group therapy.",
    ],
)
def test_en_address_near_misses(text):
    assert not [x for x in found(text) if x[0] is ADDRESS], found(text)


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我和阿依努尔分手两周了", "阿依努尔"),
        ("我和孟璟分手三年了", "孟璟"),
        ("我朋友热合曼·买买提说我变了", "热合曼·买买提"),
        ("努尔兰·塔斯肯是我同学", "努尔兰·塔斯肯"),
        ("昨天豆豆又在群里说我坏话", "豆豆"),
        ("宿舍里的晶晶总是半夜打游戏", "晶晶"),
        ("宿舍里的阿珍总是很吵", "阿珍"),
        ("我们组长邓建军经常批评我", "邓建军"),
        ("我最好的朋友格桑拉姆最近不理我", "格桑拉姆"),
        ("我最好的朋友上官若彤最近不理我", "上官若彤"),
        ("我最好的朋友陶彧最近不理我", "陶彧"),
        ("佘老师上周找我谈话", "佘"),
        ("雷教练说我这样不行", "雷"),
        ("I broke up with Marisela two weeks ago.", "Marisela"),
        ("She is dating Kofi Mensah now.", "Kofi Mensah"),
        ("I had a fight with Hye-won about money.", "Hye-won"),
        ("Anne-Marie said she would call.", "Anne-Marie"),
    ],
)
def test_more_names(text, name):
    assert (NAME, name) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "我和男朋友分手了",
        "我和前任复合了",
        "我和对象吵架了",
        "我跟家里人吵架了",
        "我和同事闹翻了",
        "我和爸爸冷战了一个月",
        "我和他在一起三年了",
        "我常常想起他",
        "妈妈天天骂我",
        "我慢慢好起来了",
        "我是拉萨人，今年四十岁",
        "我朋友说我应该多出去走走",
        "我们组长说我太慢",
        "班老师",
        "新老师来了",
        "男老师很凶",
        "阿姨说我太瘦了",
        "I fell in love with Paris.",
        "I had a fight with Mom.",
        "I'm in love with English literature.",
        "We argued with Dad about college.",
    ],
)
def test_name_near_misses(text):
    assert not [x for x in found(text) if x[0] is NAME], found(text)


# ---------------------------------------------------------------- organisations and schools


@pytest.mark.parametrize(
    ("text", "org"),
    [
        ("我去年被青禾文具裁员了", "青禾文具"),
        ("我是远帆集团的客服，每天被骂", "远帆集团"),
        ("我在远帆集团上班", "远帆集团"),
        ("我老公在灰雀互娱做销售", "灰雀互娱"),
        ("我从灰雀互娱离职了", "灰雀互娱"),
        ("我三月被安和保险裁员了", "安和保险"),
        ("之前在杭州市精神卫生中心看过", "杭州市精神卫生中心"),
        ("南京安宁医院的医生说我压力太大", "南京安宁医院"),
        ("I got laid off from Brightwell in January.", "Brightwell"),
        ("I was on the support team at Kestrel & Vane LLP, and", "Kestrel & Vane LLP"),
        ("The doctor at Larkmoor Clinic said rest.", "Larkmoor Clinic"),
        ("I was treated at Saint-Aubin last year.", "Saint-Aubin"),
        (
            "I was treated at Children's Hospital of Dunmore last year.",
            "Children's Hospital of Dunmore",
        ),
        ("I work in the warehouse team at Oakfield Traders.", "Oakfield Traders"),
    ],
)
def test_more_orgs(text, org):
    assert (ORG, org) in found(text)


@pytest.mark.parametrize(
    ("text", "school"),
    [
        ("妈妈是洛阳六中的老师", "洛阳六中"),
        ("我去年从昌吉学院毕业", "昌吉学院"),
        ("I'm a sophomore at Mesa Verde Poly and tired.", "Mesa Verde Poly"),
        ("My partner teaches at Halvorsen High, so everyone knows.", "Halvorsen High"),
        ("Back at Fairmont High I was bullied.", "Fairmont High"),
        ("I'm a junior at Tséhootsooí College.", "Tséhootsooí College"),
        ("I graduated from Brookvale State last year.", "Brookvale State"),
    ],
)
def test_more_schools(text, school):
    assert (SCHOOL, school) in found(text)


@pytest.mark.parametrize(
    "text",
    [
        "我在物流公司上班",
        "我在外卖平台做骑手",
        "我被公司裁员了",
        "我被老板开除了",
        "我在银行柜台工作",
        "我在医院食堂工作",
        "我在一家互联网公司上班",
        "我是医院的护士",
        "我在北京工作",
        "他在一家心理咨询中心工作",
        "我去过市中心",
        "我大学毕业后就来了深圳",
        "I was treated at the ER last night.",
        "I was treated for PTSD.",
        "I got fired from my job.",
        "The team at work is great.",
        "I graduated from High School in 2010.",
        "She teaches at a local school.",
        "I attend church on Sundays.",
        "The doctor at the clinic was kind.",
    ],
)
def test_org_and_school_near_misses(text):
    assert not [x for x in found(text) if x[0] in (ORG, SCHOOL)], found(text)
