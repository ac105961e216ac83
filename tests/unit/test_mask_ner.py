"""The NER/dictionary layer: names, addresses, schools and organisations in zh and en are
found; clinical content (relatives, ages, cities, weekdays, months, emotions, generic
places) survives; the package keeps the rule layer's API. All text is synthetic."""

from __future__ import annotations

import pytest

from counselsim import privacy as mask_pkg
from counselsim.privacy import (
    DETECTORS,
    NER_DETECTORS,
    RULE_DETECTORS,
    EntityType,
    Masker,
    Span,
    detect,
    mask,
    resolve_overlaps,
)

NAME, ADDRESS, SCHOOL, ORG = EntityType.NAME, EntityType.ADDRESS, EntityType.SCHOOL, EntityType.ORG


def found(text: str) -> set[tuple[EntityType, str]]:
    return {(s.type, s.text) for s in detect(text)}


def assert_found(text: str, *expected: tuple[EntityType, str]) -> None:
    got = found(text)
    for item in expected:
        assert item in got, f"{item} not found in {text!r}: {got}"


def assert_untouched(text: str) -> None:
    result = mask(text)
    assert result.spans == [], f"{text!r} -> {[(s.type.value, s.text) for s in result.spans]}"
    assert result.text == text


# ---------------------------------------------------------------- the package


def test_package_keeps_the_rule_api_and_adds_the_new_layers():
    assert set(RULE_DETECTORS) < set(DETECTORS)
    assert set(NER_DETECTORS) <= set(DETECTORS)
    assert {NAME, ADDRESS, SCHOOL, ORG} <= set(EntityType)
    for name in ("mask", "detect", "Masker", "find_leaks", "llm_spans", "SurrogateFactory"):
        assert hasattr(mask_pkg, name)


def test_overlap_ties_prefer_structured_then_places_then_names():
    spans = [
        Span(start=0, end=4, type=NAME, text="xxxx"),
        Span(start=0, end=4, type=ORG, text="xxxx"),
        Span(start=0, end=4, type=ADDRESS, text="xxxx"),
        Span(start=0, end=4, type=EntityType.PHONE, text="xxxx"),
    ]
    assert [s.type for s in resolve_overlaps(spans)] == [EntityType.PHONE]
    assert [s.type for s in resolve_overlaps(spans[:3])] == [ADDRESS]
    assert [s.type for s in resolve_overlaps(spans[:2])] == [ORG]


# ---------------------------------------------------------------- Chinese names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("我叫王小明，今年17岁。", "王小明"),
        ("李娜说她很焦虑。", "李娜"),
        ("我和李明分手了。", "李明"),
        ("我男朋友叫陈宇航，他对我很好。", "陈宇航"),
        ("室友刘洋总是很晚回来。", "刘洋"),
        ("我最好的朋友叫欧阳娜娜。", "欧阳娜娜"),
        ("我们班有个同学叫张伟，他总是嘲笑我。", "张伟"),
        ("阿强是我同学。", "阿强"),
    ],
)
def test_chinese_full_names(text, name):
    assert_found(text, (NAME, name))


def test_chinese_nicknames_keep_their_shape():
    result = mask("小王和老张都是我的同事。")
    assert result.text == "[NAME_1]和[NAME_2]都是我的同事。"
    assert [s.text for s in result.spans] == ["小王", "老张"]


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("张老师对我很好。", "[NAME_1]老师对我很好。"),
        ("我的咨询师王老师说我进步了。", "我的咨询师[NAME_1]老师说我进步了。"),
        ("来访者张女士今天来了。", "来访者[NAME_1]女士今天来了。"),
        ("陈晓东医生建议我多休息。", "[NAME_1]医生建议我多休息。"),
        ("她是我的心理老师，姓李。", "她是我的心理老师，姓[NAME_1]。"),
    ],
)
def test_titles_survive_and_the_name_is_masked(text, masked):
    assert mask(text).text == masked


def test_a_name_found_once_is_masked_everywhere_in_the_record():
    result = mask("我叫王芳。李强说王芳太敏感。")
    assert "王芳" not in result.text
    assert result.text.count("[NAME_1]") == 2


# ---------------------------------------------------------------- Chinese places and bodies


@pytest.mark.parametrize(
    ("text", "address", "kept"),
    [
        (
            "我住在北京市海淀区中关村大街27号3栋2单元501室。",
            "海淀区中关村大街27号3栋2单元501室",
            "北京市",
        ),
        ("他在南京市鼓楼区汉口路22号。", "鼓楼区汉口路22号", "南京市"),
        (
            "我家在朝阳区建国路88号阳光小区5号楼1单元302",
            "朝阳区建国路88号阳光小区5号楼1单元302",
            "我家在",
        ),
        ("我老家在河南省周口市西华县红花集镇李庄村", "西华县红花集镇李庄村", "河南省周口市"),
        ("我住在人民路12号。", "人民路12号", "我住在"),
        ("我在深圳南山上班，住在宝安。", "宝安", "深圳"),
    ],
)
def test_chinese_addresses_finer_than_a_city(text, address, kept):
    result = mask(text)
    assert (ADDRESS, address) in {(s.type, s.text) for s in result.spans}
    assert kept in result.text


@pytest.mark.parametrize(
    ("text", "etype", "body"),
    [
        ("我在清华大学附属中学读高二，想上大学。", SCHOOL, "清华大学附属中学"),
        ("我在上海交通大学读研究生。", SCHOOL, "上海交通大学"),
        ("我儿子在北京四中上学。", SCHOOL, "北京四中"),
        ("我女儿读杭州外国语学校。", SCHOOL, "杭州外国语学校"),
        ("我高中在衡水中学。", SCHOOL, "衡水中学"),
        ("我初中在杭州市第二中学读的。", SCHOOL, "杭州市第二中学"),
        ("我在华为技术有限公司工作。", ORG, "华为技术有限公司"),
        ("我在北京协和医院看病。", ORG, "北京协和医院"),
        ("陈医生建议我去北京大学第六医院看看。", ORG, "北京大学第六医院"),
        ("我在中科院心理研究所实习。", ORG, "中科院心理研究所"),
        ("我在新东方教育科技集团工作。", ORG, "新东方教育科技集团"),
        ("我在字节跳动上班。", ORG, "字节跳动"),
        ("我爸爸在阿里巴巴工作。", ORG, "阿里巴巴"),
        ("我在北京腾讯上班。", ORG, "腾讯"),
        ("我叫Jack，在上海读书。", NAME, "Jack"),
    ],
)
def test_chinese_schools_and_organisations(text, etype, body):
    assert_found(text, (etype, body))


@pytest.mark.parametrize(
    "text",
    [
        "我妈妈说我小时候很乖，现在变得叛逆了。",
        "我爸爸是老师，妈妈是医生，我老公经常出差。",
        "我今年34岁，我17岁那年父母离婚了，我跟着奶奶长大。",
        "我在上海工作五年了，老家在湖南，想回成都，但是在北京机会更多。",
        "周三和周五我都要加班，三月份我辞职了。",
        "我最近很焦虑，失眠，抑郁，有时候觉得活着没意思。",
        "我在北京上大学，是大学生，在读初中的弟弟准备中考。",
        "我考上了重点大学，我的高中同学都去了好大学。",
        "我们公司最近裁员，我在一家公司上班。",
        "我在医院工作，压力很大；他在银行上班，我在学校教书。",
        "我住在郊区，市区太贵了；我们小区很吵，社区医院也远。",
        "小米手机很好用，阿姨来了，老师批评我。",
        "我很高兴，金钱不是一切，王者荣耀玩多了。",
        "我的银行卡在工行办的，开户行是工行。",
        "我是江苏人，在一家外企上班。",
        "我跟小组长关系不好，小时候我很孤独。",
        "3月27号那天我很难过。",
    ],
)
def test_chinese_clinical_content_survives(text):
    assert_untouched(text)


# ---------------------------------------------------------------- English names


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("My name is Sarah Johnson and I'm 34.", "Sarah Johnson"),
        ("My friend Mike told me to come here.", "Mike"),
        ("Sarah said I should talk to someone.", "Sarah"),
        ("I talked to Dr. Patel about my anxiety.", "Patel"),
        ("Mrs. Thompson, my teacher, was kind.", "Thompson"),
        ("I'm Jessica, by the way.", "Jessica"),
        ("I met Li Wei at a party.", "Li Wei"),
        ("My best friend, Tyler, moved away last summer.", "Tyler"),
        ("I called Jennifer yesterday.", "Jennifer"),
        ("When Jake left, I cried.", "Jake"),
        ("Chris and I argued about money.", "Chris"),
        ("Jordan said I was being dramatic.", "Jordan"),
    ],
)
def test_english_names(text, name):
    assert_found(text, (NAME, name))


def test_english_title_stays_in_the_text():
    assert mask("I have an appointment with Ms Garcia and Dr. Patel.").text == (
        "I have an appointment with Ms [NAME_1] and Dr. [NAME_2]."
    )


@pytest.mark.parametrize(
    "text",
    [
        "Counselor: Hi, what would you like to talk about today?",
        "Client: Mom and Dad fight every Monday.",
        "In May I felt depressed; in June it got better.",
        "Will I ever feel better? God knows I tried.",
        "I'm 34 and I still live with my parents.",
        "I moved to Boston last year; before that I lived in Shanghai.",
        "I grew up in Austin, then moved to Chicago.",
        "Hope is hard to find these days. Grace and mercy are what my pastor talks about.",
        "I feel anxious, sad, and exhausted all the time.",
        "Christmas is always hard for me since Dad passed.",
        "My husband works long hours at the hospital.",
        "I go to community college. The High School was big.",
        "I work at a bank, I work at night, and I work for myself.",
        "April was a hard month. Summer is my favorite season.",
        "My therapist said CBT might help. Before COVID I was doing fine.",
    ],
)
def test_english_clinical_content_survives(text):
    assert_untouched(text)


# ---------------------------------------------------------------- English places and bodies


@pytest.mark.parametrize(
    ("text", "etype", "body"),
    [
        ("I live at 123 Main Street, Apt 4B, Springfield.", ADDRESS, "123 Main Street, Apt 4B"),
        ("Send it to PO Box 4521.", ADDRESS, "PO Box 4521"),
        ("We live on Oak Street, near the park.", ADDRESS, "Oak Street"),
        ("My zip is Boston, MA 02115.", ADDRESS, "02115"),
        ("I went to Lincoln High School.", SCHOOL, "Lincoln High School"),
        ("Then the University of Michigan.", SCHOOL, "University of Michigan"),
        ("My kid goes to Roosevelt Elementary.", SCHOOL, "Roosevelt Elementary"),
        ("My wife and I met at Stanford.", SCHOOL, "Stanford"),
        ("I'm a student at Boston College.", SCHOOL, "Boston College"),
        ("My dad works for Acme Corp. and I don't.", ORG, "Acme Corp."),
        ("My mom is a nurse at Mercy Hospital.", ORG, "Mercy Hospital"),
        ("She works at Google.", ORG, "Google"),
        ("I was an intern at Goldman Sachs.", ORG, "Goldman Sachs"),
        ("I work at Home Depot on weekends.", ORG, "Home Depot"),
    ],
)
def test_english_addresses_schools_and_organisations(text, etype, body):
    assert_found(text, (etype, body))


def test_a_bare_city_survives_next_to_an_address():
    result = mask("I live at 123 Main Street, Apt 4B, Boston.")
    assert result.text == "I live at [ADDRESS_1], Boston."


def test_employer_cue_stops_at_the_sentence_end():
    result = mask("They work at Mercy Hospital. I met them there.")
    assert result.text == "They work at [ORG_1]. I met them there."


# ---------------------------------------------------------------- Masker placeholders


def test_masker_numbers_new_types_consistently_across_texts():
    masker = Masker()
    first = masker("我叫王芳，住在北京市海淀区中关村大街27号。")
    second = masker("王芳在华为技术有限公司工作，她的同事小王很好。")
    assert first.text == "我叫[NAME_1]，住在北京市[ADDRESS_1]。"
    assert second.text == "[NAME_1]在[ORG_1]工作，她的同事[NAME_2]很好。"
