"""Masking recall and over-masking on a synthetic bilingual set (zh + en), scored per type.

The set: ``build(seed=0)`` writes 180 short counseling-style client texts (90 zh, 90 en; help-
seeking posts and session utterances) from hand-written sentence frames. Each plants several
identifiers with gold spans and labels (NAME, PHONE, EMAIL, ID_NUMBER, BANK_CARD, ADDRESS,
SCHOOL, ORG, DATE, URL, HANDLE, LICENSE_PLATE) and "protected" clinical terms that must
survive masking (symptoms, emotions, relatives, ages, durations, cities, weekdays, months,
generic institutions, times and prices). All of it is made up: names, numbers and places come
from hand-made lists below (Chinese IDs carry a valid MOD 11-2 check, cards a valid Luhn
digit). The committed copy lives in benchmarks/data/ (input + gold).

The run: ``counselsim mask IN.jsonl --out OUT.jsonl`` once with placeholders and once with
``--surrogates``, in a temp dir, then per language and type:

  recall       share of gold identifiers whose every non-space character lies in a predicted span
  partial      share with some but not all of those characters covered
  label-ok     share fully covered AND every overlapping predicted span carries the gold label
  leaked       identifiers whose original string is still in masked_text (verbatim)
  over-masked  share of protected terms with any character inside a predicted span
  kept         share of protected terms still present verbatim in masked_text
  other chars  share of characters outside gold identifiers that were masked

Usage:  .venv/bin/python benchmarks/mask_eval.py [--json PATH] [--modes placeholder,surrogates]
        .venv/bin/python benchmarks/mask_eval.py --regenerate     # rewrite benchmarks/data/
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterable
from datetime import date, timedelta
from pathlib import Path
from random import Random
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).resolve().parent / "data"
INPUT_FILE, GOLD_FILE = DATA / "mask_eval.jsonl", DATA / "mask_eval.gold.jsonl"
HELDOUT_FILE = DATA / "mask_heldout.txt"
SETS = ("dev", "heldout")
# The CI gate (tests/unit/test_mask_gate.py), on each set, both languages pooled.
MIN_RECALL = 0.97
MAX_OVERMASK = 0.01
N_PER_LANG = 90
LANGS = ("zh", "en")
MODES = ("placeholder", "surrogates")
# fmt: off
LABELS = ("NAME", "PHONE", "EMAIL", "ID_NUMBER", "BANK_CARD", "ADDRESS", "SCHOOL", "ORG", "DATE",
          "URL", "HANDLE", "LICENSE_PLATE")
CATEGORIES = ("symptom", "emotion", "relative", "age", "duration", "city", "weekday", "month",
              "institution", "number")
# fmt: on

# A piece of generated text: (text, tag). tag is None (plain text, not scored),
# ("id", LABEL, leak_text or None) for a gold identifier, ("prot", category) for a protected term.
Piece = tuple[str, Any]
Slot = Callable[[Random, str | None], list[Piece]]


def plain(text: str) -> Piece:
    return (text, None)


def ident(text: str, label: str, leak: str | None = None) -> Piece:
    """leak: what the leak check looks for when ``text`` alone is too short (李 of 李老师)."""
    return (text, ("id", label, leak))


def prot(text: str, category: str) -> Piece:
    return (text, ("prot", category))


# ----------------------------------------------------------------------------- check digits


def cn_id_check(body17: str) -> str:
    """GB 11643 / ISO 7064 MOD 11-2 check character of an 18-digit resident ID."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return "10X98765432"[sum(int(c) * w for c, w in zip(body17, weights, strict=True)) % 11]


def cn_id_ok(s: str) -> bool:
    """18 characters, a real birth date in positions 7-14 and a correct check character."""
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    try:
        born = date(int(s[6:10]), int(s[10:12]), int(s[12:14]))
    except ValueError:
        return False
    return 1900 <= born.year <= 2025 and s[17] == cn_id_check(s[:17])


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return digits.isdigit() and total % 10 == 0


def luhn_complete(body: str) -> str:
    """body + the check digit that makes it pass Luhn."""
    return next(body + d for d in "0123456789" if luhn_ok(body + d))


def ssn_ok(s: str) -> bool:
    """US SSN shape: AAA-GG-SSSS (dashes, spaces or none), no 000/666/9xx area, 00 group, 0000."""
    m = re.fullmatch(r"(\d{3})[- ]?(\d{2})[- ]?(\d{4})", s)
    if m is None:
        return False
    area, group, serial = m.groups()
    return area not in ("000", "666") and area < "900" and group != "00" and serial != "0000"


# ----------------------------------------------------------------------------- word lists
# fmt: off
# Hand-made and deliberately mixed: common and rare surnames, minority and compound names,
# names that are also words, schools without 学校 suffix, real institutions next to made-up ones.

ZH_SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐韩冯邓曹彭曾肖田"
                   "董袁潘蒋蔡杜叶程魏吕丁沈姚卢姜崔谭陆范廖贾夏韦方白邹孟熊秦邱尹薛"
                   "段雷侯龙史陶贺顾毛郝龚邵万覃阚禤佘仇蒙农")
ZH_SURNAMES += ["欧阳", "司马", "上官", "诸葛", "慕容", "皇甫", "尉迟", "令狐", "端木"]
ZH_GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "杰", "娟", "涛", "超", "霞", "婧",
            "翀", "昶", "璟", "彧", "珩", "湉", "芃", "晗", "子涵", "梓萱", "浩然", "雨桐", "一诺",
            "思远", "嘉怡", "俊熙", "若曦", "宇轩", "欣怡", "晓东", "建国", "淑芬", "海燕", "春梅",
            "志强", "玉兰", "文博", "可馨", "天佑", "沐阳", "书瑶", "昊天", "清妍", "秀英", "桂英",
            "德福", "金凤", "莉莉", "亚楠", "梦琪", "泽宇", "晨曦", "诗涵", "国庆"]
ZH_WHOLE_NAMES = ["次仁卓玛", "扎西顿珠", "阿依古丽", "买买提·艾力", "乌兰托娅", "格桑梅朵",
                  "巴特尔", "阿迪力·吾守尔"]
ZH_NICK_CHARS = ["强", "珍", "坤", "杰", "娟", "芳", "明", "辉", "美", "彬"]
ZH_DOUBLED = ["婷婷", "佳佳", "琪琪", "乐乐", "冬冬", "丹丹", "小胖", "小雨", "小敏"]
ZH_TITLES = ["老师", "医生", "总", "经理", "主任", "阿姨", "叔叔", "姐", "哥", "师傅", "教练",
             "律师"]
EN_FIRST = ["Emily", "Jamal", "Priya", "Santiago", "Aoife", "Siobhan", "Oluwaseun", "Mateo",
            "Thandiwe", "Keanu", "Ximena", "Dmitri", "Yusuf", "Declan", "Marisol", "Tobias",
            "Imani", "Ingrid", "Rohan", "Chidi", "Anneliese", "Bao", "Kwame", "Leilani", "Niamh",
            "Rafael", "Svetlana", "Tariq", "Wren", "Zeynep", "Hye-jin", "Jean-Luc", "Grace",
            "Hope", "Madison", "Tyler", "Kayla", "Brandon", "Dakota", "Mei"]
EN_LAST = ["Okafor", "Kowalski", "Nakamura", "Delgado", "Fitzgerald", "Haddad", "Lindqvist",
           "Abernathy", "Oyelaran", "Castellanos", "Brennan", "Novak", "Szymanski", "Achebe",
           "Whitfield", "McAllister", "O'Connor", "Nguyen", "Petrovic", "Ramirez", "Goldberg",
           "van der Berg", "Begay", "Yazzie", "Kealoha", "Thompson", "Johnson", "Smith", "Patel",
           "Kim", "Rossi", "Haugen", "Adeyemi", "Quintero"]
EN_TITLES = ["Mr.", "Ms.", "Mrs.", "Dr.", "Coach", "Professor", "Officer", "Pastor"]

ZH_DISTRICTS = ["朝阳区", "海淀区", "天河区", "越秀区", "武侯区", "锦江区", "浦东新区", "徐汇区",
                "雁塔区", "鼓楼区", "江北区", "南山区", "西湖区", "洪山区", "五华区", "城关区",
                "沙依巴克区", "道里区", "禅城区", "新城区"]
ZH_ROADS = ["望京西路", "中山路", "解放大道", "人民南路", "建设北街", "和平里东街", "长江路",
            "学府路", "玉林西路", "幸福巷", "桃源路", "丰收街", "青年大街", "文昌路", "北京东路"]
ZH_COMPOUNDS = ["融科小区", "阳光花园", "锦绣家园", "翠湖苑", "金桂园", "和谐小区", "碧水湾",
                "梧桐苑", "银杏里", "幸福里小区", "电力宿舍", "东风新村"]
ZH_RURAL = [("大邑县", "安仁镇", "向阳村"), ("宁乡县", "花明楼镇", "炭子冲村"),
            ("武功县", "普集镇", "南仁村"), ("勐海县", "打洛镇", "曼掌村"),
            ("会宁县", "郭城驿镇", "新堡子村")]
ZH_ADDR_CITIES = ["广州市", "成都市", "武汉市", "杭州市", "西安市"]
EN_STREETS = ["Maple Grove", "Juniper", "Kittredge", "Sagebrush", "Wexford", "Alcott",
              "Pemberton", "Cedar Hollow", "Birchwood", "Calloway", "Dunmore", "Ellery",
              "Fairhaven", "Greeley", "Hollis", "Ironwood", "Larkspur", "Oakmont", "Tamarack",
              "Quinault"]
EN_SUFFIXES = ["Street", "St.", "Avenue", "Ave", "Road", "Rd", "Lane", "Drive", "Court",
               "Boulevard", "Way", "Place", "Terrace"]

ZH_UNIS = ["湘潭大学", "延边大学", "石河子大学", "赣南师范大学", "绍兴文理学院", "川北医学院",
           "黔南民族师范学院", "华东师范大学", "北京大学", "武汉理工大学", "喀什大学", "长江大学",
           "浙江传媒学院", "西南石油大学", "哈尔滨商业大学", "郑州轻工业大学", "内蒙古农业大学",
           "广东轻工职业技术学院"]
ZH_K12 = ["衡水第二中学", "成都七中", "人大附中", "长沙市雅礼中学", "杭州第十四中学",
          "郑州外国语学校", "深圳实验学校", "大理州民族中学", "东莞市东华高级中学", "太原五中",
          "昆明三中", "育才中学", "红星小学", "西安市曲江第一小学", "北师大附属实验中学"]
EN_UNIS = ["University of Vermont", "Whitman College", "Bowdoin College", "Oberlin College",
           "Gonzaga University", "Kalamazoo College", "St. Olaf College", "Hollins University",
           "Evergreen State College", "University of Arizona", "Diné College", "Spelman College",
           "Northern Arizona University", "Tuskegee University", "Cal Poly Pomona"]
EN_K12 = ["Lincoln High School", "Thurgood Marshall Middle School", "Westview Elementary",
          "Roosevelt High", "Lakota East High School", "Holy Cross Academy",
          "Pine Ridge Elementary School", "Benjamin Banneker Academic High School"]

ZH_ORGS = ["星河云图科技有限公司", "瑞禾食品有限公司", "锦程人力资源有限公司", "恒昌物流",
           "蓝鲸互娱", "中国建设银行", "招商银行", "兴业银行", "顺丰速运", "美团", "字节跳动",
           "富士康", "国家电网", "中建三局", "平安保险", "海底捞", "蜜雪冰城", "京东", "宇通客车",
           "晨光文具", "攀钢集团", "青蓝教育培训中心"]
ZH_HOSPITALS = ["北京安定医院", "上海市精神卫生中心", "华西医院", "湘雅二医院", "北京协和医院",
                "广州市惠爱医院", "南京脑科医院", "中山大学附属第三医院", "武汉市精神卫生中心",
                "昆明医科大学第一附属医院"]
EN_ORGS = ["Acme Corp", "Brightline Logistics", "Northwind Traders", "Halvorsen & Reyes LLP",
           "Wells Fargo", "Target", "Starbucks", "Kaiser Permanente", "Deloitte",
           "Blue Heron Credit Union", "Tri-County Transit", "Pinecrest Dental Group",
           "Quillfeather Publishing", "Globex Corporation", "Ironwood Construction",
           "Sunrise Senior Living", "Amazon", "Walmart"]
EN_HOSPITALS = ["Mercy General Hospital", "St. Brigid's Hospital", "Cedars-Sinai",
                "Johns Hopkins Hospital", "Riverside Methodist Hospital",
                "Providence St. Vincent Medical Center", "Lakeside Behavioral Health",
                "Children's Hospital of Philadelphia"]

CN_AREAS = ["110105", "110108", "310104", "310115", "440103", "440305", "510107", "330106",
            "420111", "610113", "530102", "650102", "230103", "350203", "520102", "150102",
            "210102", "370202", "450103", "460106", "540102", "620102"]
PLATE_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # no I or O
PINYIN = ["linxiaoyu", "wang.hao", "zhangmin", "chenjing", "liu_yang", "huangsiyu", "zhaolei",
          "sunwenwen", "yangfan", "xu.ting", "gao_peng", "ouyangqian", "cirenzhuoma", "mashuo"]
EMAIL_DOMAINS_ZH = ["qq.com", "163.com", "126.com", "foxmail.com", "example.cn", "example.com"]
EMAIL_DOMAINS_EN = ["gmail.com", "outlook.com", "yahoo.com", "icloud.com", "example.org",
                    "example.com", "uvm.example.edu"]
HANDLE_WORDS = ["moonlit", "fox", "sad", "cactus", "tiny", "bluewhale", "wren", "writes", "notok",
                "today", "quiet", "storm", "paper", "boats", "oat", "milk", "night", "owl",
                "ghost", "pepper", "lost", "signal"]
ZH_CHAR_HANDLES = ["不吃香菜的猫", "夜航星_07", "一只咸鱼", "今天也要早睡", "月亮不营业",
                   "南风知我意", "熬夜冠军", "柠檬精本精"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
CN_DIGITS = "〇一二三四五六七八九"

# Protected terms (category, words) per slot and language. They must survive masking.
PROTECTED: dict[str, dict[str, tuple[str, list[str]]]] = {
    "zh": {
        "symptom": ("symptom", ["失眠", "心慌", "胸闷", "头疼", "睡不着", "做噩梦", "手抖",
                                "惊恐发作", "食欲不振", "喘不上气", "胃疼", "注意力不集中"]),
        "emotion": ("emotion", ["焦虑", "难过", "委屈", "愧疚", "烦躁", "绝望", "孤独", "害怕",
                                "羞耻", "压抑", "无助", "生气"]),
        "rel": ("relative", ["妈妈", "爸爸", "我老公", "我老婆", "奶奶", "姥姥", "哥哥",
                             "妹妹", "女儿", "儿子", "婆婆", "男朋友", "继父"]),
        "parent": ("relative", ["妈妈", "爸爸", "继父", "我爸", "我妈"]),
        "child": ("relative", ["儿子", "女儿", "我家老大", "孩子", "我弟弟"]),
        "age": ("age", ["17岁", "三十岁", "二十五岁", "45岁", "十九岁", "28岁", "快四十岁",
                        "52岁"]),
        "dur": ("duration", ["三个月", "两周", "半年", "一年多", "十几天", "两个多星期", "三年",
                             "大半年"]),
        "city": ("city", ["北京", "广州", "成都", "西安", "哈尔滨", "昆明", "乌鲁木齐", "四川",
                          "浙江", "河南", "贵州", "深圳", "苏州", "兰州", "拉萨", "东北"]),
        "wday": ("weekday", ["周一", "星期三", "礼拜五", "周日", "星期六", "周四"]),
        "month": ("month", ["三月", "去年十月", "5月份", "十二月", "今年二月", "七月份"]),
        "study": ("institution", ["上大学", "在读初中", "刚上班", "读高三", "读研究生",
                                  "进厂打工"]),
        "place": ("institution", ["医院", "学校", "公司", "单位", "宿舍"]),
        "time": ("number", ["3点", "凌晨两点", "晚上11点", "十点半", "半夜一点"]),
        "price": ("number", ["200块", "五千多", "3000元", "一百五", "两万块"]),
    },
    "en": {
        "symptom": ("symptom", ["panic attacks", "insomnia", "nightmares", "heart palpitations",
                                "headaches", "nausea", "chest tightness", "flashbacks",
                                "dizziness", "stomachaches", "shaking hands"]),
        "emotion": ("emotion", ["anxious", "ashamed", "sad", "hopeless", "lonely", "angry",
                                "guilty", "overwhelmed", "numb", "scared", "embarrassed"]),
        "rel": ("relative", ["my father", "Mom", "my husband", "my wife", "my sister",
                             "my grandma", "Dad", "my stepmom", "my brother",
                             "my mother-in-law", "my partner", "my girlfriend"]),
        "parent": ("relative", ["my father", "Mom", "Dad", "my stepmom", "my mother"]),
        "age_en": ("age", ["I'm 34", "I'm 19 years old", "I just turned 40", "I'm twenty-six",
                           "I'm 17", "I'm 52"]),
        "kid": ("age", ["my 8-year-old son", "my 12-year-old daughter", "my 15-year-old",
                        "my 14-year-old stepson"]),
        "dur": ("duration", ["two weeks", "three months", "a year and a half", "six months",
                             "10 days", "almost a year", "a few weeks"]),
        "city": ("city", ["Boston", "Texas", "Chicago", "Ohio", "Phoenix", "Seattle", "Atlanta",
                          "Denver", "Oregon", "Maine", "Tucson", "Charlotte", "Anchorage"]),
        "wday": ("weekday", ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                             "Sunday"]),
        "month": ("month", ["March", "October", "January", "early June", "November",
                            "April"]),
        "inst": ("institution", ["at work", "in college", "at the hospital", "in high school",
                                 "in grad school", "at the office", "in middle school",
                                 "at school"]),
        "time": ("number", ["5 pm", "3 am", "2 in the morning", "11:30", "midnight"]),
        "price": ("number", ["$200", "$1,200", "80 dollars", "$45", "$3,000"]),
    },
}
# fmt: on


# ----------------------------------------------------------------------------- generators


def digits(rng: Random, n: int) -> str:
    return "".join(rng.choice("0123456789") for _ in range(n))


def birth_date(rng: Random, lo: int = 1962, hi: int = 2010) -> date:
    start = date(lo, 1, 1)
    return start + timedelta(days=rng.randrange((date(hi, 12, 31) - start).days))


def zh_numeral(n: int) -> str:
    """1-31 in Chinese numerals (三, 十二, 二十一)."""
    tens, ones = divmod(n, 10)
    return (
        (CN_DIGITS[tens] if tens > 1 else "")
        + ("十" if tens else "")
        + (CN_DIGITS[ones] if ones else "")
    )


def gen_cn_id(rng: Random) -> str:
    body = rng.choice(CN_AREAS) + birth_date(rng, 1955, 2008).strftime("%Y%m%d") + digits(rng, 3)
    return body + cn_id_check(body)


def gen_ssn(rng: Random) -> str:
    area = rng.choice([a for a in range(1, 900) if a != 666])
    parts = (f"{area:03d}", f"{rng.randrange(1, 100):02d}", f"{rng.randrange(1, 10000):04d}")
    return rng.choice(("-", "-", " ", "")).join(parts)


def gen_card(rng: Random, lang: str) -> str:
    if lang == "zh":
        prefix = rng.choice(["622202", "621700", "622848", "623668", "625807", "621483"])
        length = rng.choice([16, 18, 19])  # UnionPay
    else:
        prefix, length = rng.choice(
            [("4", 16), ("4", 19), ("51", 16), ("54", 16), ("2221", 16), ("6011", 16)]
        )
    number = luhn_complete(prefix + digits(rng, length - len(prefix) - 1))
    sep = rng.choice([" ", " ", "-", ""])
    return sep.join(number[i : i + 4] for i in range(0, len(number), 4))


def gen_phone(rng: Random, lang: str) -> str:
    mobile = rng.choice(["13", "15", "17", "18", "19"]) + digits(rng, 9)
    if lang == "zh":
        area = rng.choice(["010", "021", "020", "0755", "028", "029", "0871"])
        land = str(rng.randrange(2, 9)) + digits(rng, 7 if len(area) == 3 else rng.choice([6, 7]))
        return rng.choice(
            [
                mobile,
                f"{mobile[:3]} {mobile[3:7]} {mobile[7:]}",
                f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}",
                f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}",
                f"+86-{mobile}",
                f"(+86){mobile}",
                f"{area}-{land}",
                f"{area} {land[:4]} {land[4:]}",
                f"({area}){land}",
            ]
        )
    a = rng.choice(["617", "512", "312", "206", "404", "713", "919", "503", "480", "907"])
    x, line = rng.choice(["555", str(rng.randrange(201, 990))]), digits(rng, 4)
    return rng.choice(
        [
            f"({a}) {x}-{line}",
            f"{a}-{x}-{line}",
            f"{a}.{x}.{line}",
            f"+1 {a} {x} {line}",
            f"+1 ({a}) {x}-{line}",
            f"{a}{x}{line}",
            f"+44 20 7946 0{digits(rng, 3)}",
            f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}",
            f"+91 98{digits(rng, 3)} {digits(rng, 5)}",
        ]
    )


def gen_email(rng: Random, lang: str) -> str:
    if lang == "zh":
        if rng.random() < 0.3:
            return f"{rng.randrange(10**5, 10**10)}@qq.com"
        local = rng.choice(PINYIN) + rng.choice(
            ["", str(rng.randrange(70, 100)), str(rng.randrange(1985, 2008))]
        )
        return f"{local}@{rng.choice(EMAIL_DOMAINS_ZH)}"
    first, last = rng.choice(EN_FIRST), re.sub(r"[^a-z]", "", rng.choice(EN_LAST).lower())
    first = re.sub(r"[^a-z]", "", first.lower())
    local = rng.choice(
        [
            f"{first}.{last}",
            f"{first[0]}{last}{rng.randrange(10, 99)}",
            f"{first}_{last}",
            f"{rng.choice(HANDLE_WORDS)}.{first}",
        ]
    )
    return f"{local}@{rng.choice(EMAIL_DOMAINS_EN)}"


def gen_handle(rng: Random) -> str:
    a, b = rng.sample(HANDLE_WORDS, 2)
    return f"{a}{rng.choice(['_', '.', ''])}{b}{rng.choice(['', '', str(rng.randrange(1, 100))])}"


def gen_url(rng: Random, lang: str) -> str:
    h, n = gen_handle(rng).replace(".", "_"), str(rng.randrange(10**6, 10**10))
    if lang == "zh":
        hexid = "".join(rng.choice("0123456789abcdef") for _ in range(24))
        return rng.choice(
            [
                f"https://www.douban.com/people/{h}/",
                f"https://weibo.com/u/{n}",
                f"https://space.bilibili.com/{n}",
                f"https://www.xiaohongshu.com/user/profile/{hexid}",
                f"https://blog.example.cn/{h}",
                f"http://{h.replace('_', '')}.lofter.com",
                f"www.zhihu.com/people/{h}",
            ]
        )
    return rng.choice(
        [
            f"https://www.instagram.com/{h}",
            f"https://medium.com/@{h}",
            f"https://github.com/{h}",
            f"www.reddit.com/user/{h}",
            f"https://{h.replace('_', '')}.substack.com",
            f"https://linktr.ee/{h}",
            f"https://www.gofundme.com/f/help-{h.replace('_', '-')}",
            f"http://{h.replace('_', '')}.tumblr.com/post/{n}",
        ]
    )


def gen_plate(rng: Random, lang: str) -> str:
    if lang == "en" and rng.random() < 0.8:  # US-style; otherwise a Chinese plate below
        a, c = digits(rng, 1), digits(rng, 4)
        b = "".join(rng.choice(PLATE_LETTERS) for _ in range(3))
        return rng.choice(
            [f"{a}{b}{c[:3]}", f"{b}-{c}", f"{b} {c}", f"{a}{b}{c[:2]}", f"{b[:2]} {a}{c}"]
        )
    head = rng.choice(PLATE_PROVINCES) + rng.choice(PLATE_LETTERS)
    if rng.random() < 0.3:  # new-energy plate: D/F + 5
        tail = rng.choice("DF") + digits(rng, 5)
    else:
        chars = list(digits(rng, 5))
        for i in rng.sample(range(5), rng.choice([0, 0, 1, 2])):
            chars[i] = rng.choice(PLATE_LETTERS)
        tail = "".join(chars)
    return head + rng.choice(["", "", "·", " ", "-"]) + tail


def gen_dob(rng: Random, lang: str) -> str:
    d = birth_date(rng)
    y, m, day = d.year, d.month, d.day
    if lang == "zh":
        return rng.choice(
            [
                f"{y}年{m}月{day}日",
                f"{y}年{m:02d}月{day:02d}日",
                f"{y}-{m:02d}-{day:02d}",
                f"{y}.{m}.{day}",
                f"{y}/{m}/{day}",
                f"{y % 100:02d}年{m}月{day}号",
                "".join(CN_DIGITS[int(c)] for c in str(y))
                + f"年{zh_numeral(m)}月{zh_numeral(day)}日",
            ]
        )
    nth = f"{day}{'th' if 10 < day < 14 else {1: 'st', 2: 'nd', 3: 'rd'}.get(day % 10, 'th')}"
    mon = MONTHS[m - 1]
    return rng.choice(
        [
            f"{mon} {day}, {y}",
            f"{day} {mon} {y}",
            f"{m:02d}/{day:02d}/{y}",
            f"{day:02d}/{m:02d}/{y}",
            f"{y}-{m:02d}-{day:02d}",
            f"{mon[:3]}. {day}, {y}",
            f"{mon} {nth}, {y}",
            f"{m}/{day}/{y % 100:02d}",
        ]
    )


def gen_address(rng: Random, lang: str) -> list[Piece]:
    n, b = rng.randrange(1, 300), rng.randrange(1, 30)
    r = rng.randrange(1, 33) * 100 + rng.randrange(1, 9)
    if lang == "zh":
        district, road = rng.choice(ZH_DISTRICTS), rng.choice(ZH_ROADS)
        compound = rng.choice(ZH_COMPOUNDS)
        county, town, village = rng.choice(ZH_RURAL)
        text = rng.choice(
            [
                f"{district}{road}{n}号",
                f"{district}{road}{n}号{compound}{b}栋{r}室",
                f"{compound}{b}栋{rng.randrange(1, 6)}单元{r}室",
                f"{road}{n}号院{b}号楼{r}",
                f"{county}{town}{village}{rng.randrange(1, 12)}组",
                f"{district}{road}{n}弄{b}号{r}室",
            ]
        )
        # A city in front of a street address is plain text: neither gold nor protected.
        prefix = [plain(rng.choice(ZH_ADDR_CITIES))] if rng.random() < 0.2 else []
        return [*prefix, ident(text, "ADDRESS")]
    street = f"{rng.randrange(2, 9900)} {rng.choice(EN_STREETS)} {rng.choice(EN_SUFFIXES)}"
    apt = f"{rng.randrange(1, 20)}{rng.choice('ABCDEF')}"
    text = rng.choice(
        [
            street,
            f"{street}, Apt {apt}",
            f"{street} #{apt}",
            f"{street}, Unit {rng.randrange(1, 40)}",
            f"Apartment {apt}, {street}",
        ]
    )
    return [ident(text, "ADDRESS")]


def zh_full_name(rng: Random) -> str:
    if rng.random() < 0.12:
        return rng.choice(ZH_WHOLE_NAMES)
    return rng.choice(ZH_SURNAMES) + rng.choice(ZH_GIVEN)


def zh_nick(rng: Random) -> str:
    single = [s for s in ZH_SURNAMES if len(s) == 1]
    return rng.choice(
        [
            "小" + rng.choice(single),
            "老" + rng.choice(single),
            "阿" + rng.choice(ZH_NICK_CHARS),
            rng.choice(ZH_DOUBLED),
        ]
    )


def name_slot(lang: str, form: str) -> Slot:
    """NAME in one form: full, nick (zh), first (en) or title. The title stays outside the gold
    span (only 李 of 李老师, Haddad of Dr. Haddad); a one-character surname is looked for as
    李老师 in the leak check."""

    def make(rng: Random, arg: str | None) -> list[Piece]:
        if lang == "zh":
            if form == "full":
                return [ident(zh_full_name(rng), "NAME")]
            if form == "nick":
                return [ident(zh_nick(rng), "NAME")]
            surname, title = rng.choice(ZH_SURNAMES), arg or rng.choice(ZH_TITLES)
            leak = surname + title if len(surname) == 1 else None
            return [ident(surname, "NAME", leak), plain(title)]
        first, last = rng.choice(EN_FIRST), rng.choice(EN_LAST)
        if form == "full":
            return [ident(f"{first} {last}", "NAME")]
        if form == "first":
            return [ident(first, "NAME")]
        return [plain((arg or rng.choice(EN_TITLES)) + " "), ident(last, "NAME")]

    return make


def simple(label: str, fn: Callable[[Random], str]) -> Slot:
    return lambda rng, _arg: [ident(fn(rng), label)]


def slots_for(lang: str) -> dict[str, Slot]:
    s: dict[str, Slot] = {
        "PHONE": simple("PHONE", lambda r: gen_phone(r, lang)),
        "EMAIL": simple("EMAIL", lambda r: gen_email(r, lang)),
        "CARD": simple("BANK_CARD", lambda r: gen_card(r, lang)),
        "ADDR": lambda r, _a: gen_address(r, lang),
        "SCHOOL": lambda r, a: [ident(r.choice(SCHOOLS[lang][a or "uni"]), "SCHOOL")],
        "ORG": simple("ORG", lambda r: r.choice(ZH_ORGS if lang == "zh" else EN_ORGS)),
        "HOSP": simple("ORG", lambda r: r.choice(ZH_HOSPITALS if lang == "zh" else EN_HOSPITALS)),
        "DOB": simple("DATE", lambda r: gen_dob(r, lang)),
        "URL": simple("URL", lambda r: gen_url(r, lang)),
        "PLATE": simple("LICENSE_PLATE", lambda r: gen_plate(r, lang)),
        "CNID": simple("ID_NUMBER", gen_cn_id),
        "SSN": simple("ID_NUMBER", gen_ssn),
    }
    if lang == "zh":
        s |= {
            "NAME_FULL": name_slot(lang, "full"),
            "NAME_NICK": name_slot(lang, "nick"),
            "NAME_TITLE": name_slot(lang, "title"),
            "HANDLE": zh_handle,
            "HANDLE_AT": lambda r, _a: [
                ident("@" + r.choice([*ZH_CHAR_HANDLES, gen_handle(r)]), "HANDLE")
            ],
        }
    else:
        s |= {
            "NAME_FULL": name_slot(lang, "full"),
            "NAME_FIRST": name_slot(lang, "first"),
            "NAME_TITLE": name_slot(lang, "title"),
            "HANDLE": en_handle,
            "HANDLE_AT": lambda r, _a: [ident("@" + gen_handle(r), "HANDLE")],
        }
    for slot, (category, words) in PROTECTED[lang].items():
        s[slot] = protected_slot(category, words)
    return s


def protected_slot(category: str, words: list[str]) -> Slot:
    return lambda rng, _arg: [prot(rng.choice(words), category)]


SCHOOLS = {"zh": {"uni": ZH_UNIS, "k12": ZH_K12}, "en": {"uni": EN_UNIS, "k12": EN_K12}}


def zh_handle(rng: Random, _arg: str | None) -> list[Piece]:
    """An account with its platform in front; only the account itself is gold."""
    wx = rng.choice(["lxy_", "wxid_", "sunny-", "Moonfish", "chen_yu_", "tt"])
    wx += digits(rng, rng.choice([4, 6]))
    qq, at = str(rng.randrange(10**5, 10**10)), "@" + rng.choice(ZH_CHAR_HANDLES)
    intro, account = rng.choice(
        [
            ("微信号：", wx),
            ("微信号是", wx),
            ("微信", wx),
            ("QQ号", qq),
            ("QQ：", qq),
            ("抖音号 ", gen_handle(rng)),
            ("小红书号：", qq),
            ("微博", at),
        ]
    )
    return [plain(intro), ident(account, "HANDLE")]


def en_handle(rng: Random, _arg: str | None) -> list[Piece]:
    h = gen_handle(rng)
    intro, account = rng.choice(
        [
            ("Instagram is ", "@" + h),
            ("TikTok is ", "@" + h),
            ("Twitter is ", "@" + h),
            ("Snapchat is ", h),
            ("Discord username is ", h),
            ("Reddit is ", "u/" + h),
        ]
    )
    return [plain(intro), ident(account, "HANDLE")]


# ----------------------------------------------------------------------------- sentence frames
# {SLOT} or {SLOT:arg}. Upper case = identifier, lower case = protected term.

FRAMES: dict[str, dict[str, list[str]]] = {
    "zh": {
        "NAME": [
            "我最好的朋友{NAME_FULL}最近不怎么理我了，我觉得特别{emotion}。",
            "{NAME_TITLE:老师}上周找我谈话，说我上课总走神。",
            "宿舍里的{NAME_NICK}总是半夜打游戏，我已经{dur}没睡好了。",
            "我和{NAME_FULL}分手{dur}了，可我还是每天{symptom}。",
            "{rel}一直拿我跟表姐{NAME_FULL}比，说她什么都比我强。",
            "我们组长{NAME_FULL}经常当着所有人的面批评我，我很{emotion}。",
            "昨天{NAME_NICK}又在群里说我坏话，我气得一晚上都在{symptom}。",
            "我的主治医生是{NAME_TITLE:医生}，是他建议我来做心理咨询的。",
            "{NAME_TITLE}说我这样下去不行，可我不知道怎么改。",
        ],
        "PHONE": [
            "我的电话是{PHONE}，如果预约有变动可以打给我。",
            "您可以打{PHONE}联系我，{wday}之后都方便。",
            "紧急联系人是{rel}，电话{PHONE}。",
            "我前男友换了号码{PHONE}还一直给我发消息，我很{emotion}。",
            "白天打{PHONE}就行，晚上我要照顾{rel}。",
        ],
        "EMAIL": [
            "报告可以发到我的邮箱{EMAIL}，谢谢。",
            "我{month}给学校心理中心写过邮件，用的是{EMAIL}，一直没人回。",
            "有人用{EMAIL}这个邮箱给我发匿名骚扰信，我现在天天{symptom}。",
            "如果要填量表，请把链接发到{EMAIL}。",
        ],
        "ID_NUMBER": [
            "预约登记的时候要填身份证号，我的是{CNID}。",
            "我的身份证号码是{CNID}，不知道填在这里安不安全。",
            "{rel}拿我的身份证（{CNID}）去网贷了，我{dur}都不敢告诉别人。",
            "表格上写了证件号：{CNID}，还需要别的信息吗？",
        ],
        "BANK_CARD": [
            "咨询费我转到这张卡上吧，卡号{CARD}。",
            "前几天有人冒充客服让我报了银行卡号{CARD}，被骗了{price}，我特别{emotion}。",
            "我发现{rel}偷偷用我的卡{CARD}还了好多网贷。",
            "退款请退到{CARD}这张卡。",
        ],
        "ADDRESS": [
            "我现在住在{ADDR}，离{place}挺远的。",
            "我一个人在外面租房，地址是{ADDR}，晚上常常{symptom}。",
            "如果需要寄材料，可以寄到{ADDR}。",
            "小时候我们家住在{ADDR}，那段时间{parent}经常喝酒。",
            "他知道我住在{ADDR}，好几次在楼下等我，我很{emotion}。",
        ],
        "SCHOOL": [
            "我在{SCHOOL:uni}读大二，{dur}前开始{symptom}。",
            "{child}在{SCHOOL:k12}上学，最近死活不肯去了。",
            "高中是在{SCHOOL:k12}读的，那时候被同学孤立过。",
            "我去年从{SCHOOL:uni}毕业，到现在{dur}了还没找到工作。",
            "{rel}是{SCHOOL:k12}的老师，对我要求特别严格。",
        ],
        "ORG": [
            "我在{ORG}上班，每天加班到{time}。",
            "我{month}被{ORG}裁员了，到现在都很{emotion}。",
            "之前在{HOSP}看过精神科，开了药，吃了以后还是{symptom}。",
            "{rel}在{ORG}做销售，一个月有半个月在出差。",
            "我是{ORG}的客服，每天被客户骂，下班回家就{symptom}。",
            "{HOSP}的医生说我这是压力太大，让我来做心理咨询。",
        ],
        "DATE": [
            "我的生日是{DOB}，每到生日就特别{emotion}。",
            "出生日期：{DOB}，性别女，{dur}前开始{symptom}。",
            "{rel}总记错我的生日，其实是{DOB}。",
            "登记表上的出生日期写的是{DOB}，没错。",
        ],
        "URL": [
            "我把日记发在{URL}，您可以看看。",
            "这是我之前写的帖子{URL}，里面写了我这{dur}的经历。",
            "有人在{URL}上挂了我的照片，我现在很{emotion}，不敢出门。",
            "我的主页是{URL}，里面有我录的视频。",
        ],
        "HANDLE": [
            "方便的话加我{HANDLE}，我{wday}晚上一般都在。",
            "他用小号{HANDLE_AT}在网上骂我，说我是废物。",
            "我的{HANDLE}，有事可以找我。",
            "我在网上叫{HANDLE_AT}，最近{dur}都没敢登录。",
        ],
        "LICENSE_PLATE": [
            "车牌是{PLATE}的那辆车，我这{dur}里好几次在楼下看到。",
            "撞我的那辆车车牌号{PLATE}，我到现在一想起来就{symptom}。",
            "{rel}开着{PLATE}那辆车出去就再没回来。",
            "我的车牌号是{PLATE}，停车登记要用。",
        ],
        "opener": [
            "老师您好，我今年{age}，家在{city}，{rel}让我来咨询。",
            "最近{dur}我一直{symptom}，心里很{emotion}。",
            "我是{city}人，{age}，{rel}说我应该来咨询一下。",
            "从{month}开始我就总是{symptom}，特别是{wday}晚上。",
            "嗯……其实我一直挺{emotion}的，{dur}了都没跟人说。",
            "您好，我{study}，家在{city}，想咨询一下情绪的问题。",
        ],
        "closer": [
            "我不知道该怎么办，每天到{time}还睡不着。",
            "我真的很{emotion}，希望能得到一些建议。",
            "谢谢您愿意听我说这些。",
            "这周{wday}我能再约一次吗？",
            "上次咨询花了{price}，我有点负担不起。",
        ],
    },
    "en": {
        "NAME": [
            "My best friend {NAME_FULL} stopped answering my texts and I feel so {emotion}.",
            "{NAME_TITLE} told me I should talk to someone about the {symptom}.",
            "My roommate {NAME_FIRST} plays music until {time} every night.",
            "I broke up with {NAME_FIRST} {dur} ago and I still can't stop crying.",
            "My manager, {NAME_FULL}, yells at me in front of everyone.",
            "I hate that {rel} keeps comparing me to my cousin {NAME_FIRST}.",
            "My psychiatrist, {NAME_TITLE:Dr.}, suggested I try counseling.",
        ],
        "PHONE": [
            "My number is {PHONE} if you need to reschedule.",
            "You can text me at {PHONE}, I'm usually free after {time}.",
            "My emergency contact is {rel}, at {PHONE}.",
            "My ex keeps calling me from {PHONE} even though I blocked his old number.",
            "The clinic gave me {PHONE} to call, but I get too {emotion} to dial it.",
        ],
        "EMAIL": [
            "Please send the intake forms to {EMAIL}.",
            "I emailed the counseling center from {EMAIL} back in {month} and never heard back.",
            "Someone keeps sending me anonymous messages from {EMAIL} and now I get {symptom}.",
            "My email is {EMAIL} if that's easier than calling.",
        ],
        "ID_NUMBER": [
            "The intake form asked for my SSN, so here it is: {SSN}.",
            "I found out {rel} opened credit cards with my Social Security number, {SSN}.",
            "I'm an international student, my Chinese ID number is {CNID} if insurance needs it.",
            "My social security number is {SSN}, do you need anything else?",
            "For the sliding-scale form: SSN {SSN}.",
        ],
        "BANK_CARD": [
            "You can charge the session fee to my card, {CARD}.",
            "Someone on a fake support call got my card number, {CARD}, and took {price}.",
            "I found out {rel} used my debit card {CARD} without asking.",
            "Please refund it to {CARD}.",
        ],
        "ADDRESS": [
            "I just moved to {ADDR}, and I've been so {emotion} since.",
            "I rent a room at {ADDR} in {city}, and most nights I have {symptom}.",
            "You can mail the paperwork to {ADDR}.",
            "He knows I live at {ADDR}, and he's waited outside twice.",
            "We lived at {ADDR} when I was a kid, and {parent} drank a lot back then.",
        ],
        "SCHOOL": [
            "I'm a sophomore at {SCHOOL:uni} and the {symptom} started {dur} ago.",
            "{kid} goes to {SCHOOL:k12} and refuses to get out of bed in the morning.",
            "I graduated from {SCHOOL:uni} last year and still haven't found a job.",
            "Back at {SCHOOL:k12} I was bullied almost every day.",
            "{rel} teaches at {SCHOOL:k12}, so everyone there knows our family.",
        ],
        "ORG": [
            "I work at {ORG} and I'm usually there until {time}.",
            "I got laid off from {ORG} in {month} and I still feel {emotion} about it.",
            "I was treated at {HOSP} last year, but the meds gave me {symptom}.",
            "{rel} works for {ORG} and travels most of the month.",
            "I'm on the customer service team at {ORG}, and after every shift I get {symptom}.",
            "The doctor at {HOSP} said it might be stress and sent me here.",
        ],
        "DATE": [
            "My date of birth is {DOB}, in case you need it for the form.",
            "I was born on {DOB}, and birthdays always make me feel {emotion}.",
            "For the record, DOB {DOB}.",
            "{rel} always reminds me I was born on {DOB}, the day my grandpa died.",
        ],
        "URL": [
            "I wrote about all of it here, {URL}, if you want to read it.",
            "Someone posted my photos at {URL} and now I'm too {emotion} to leave the house.",
            "{rel} set up a fundraiser for my treatment at {URL} and I feel {emotion} about it.",
            "My portfolio is at {URL}, though I haven't updated it in {dur}.",
        ],
        "HANDLE": [
            "If it's easier, my {HANDLE}.",
            "Someone made a fake account, {HANDLE_AT}, just to mock me.",
            "You can message me, my {HANDLE}, I'm usually on it {wday} nights.",
            "I posted about my {symptom} as {HANDLE_AT} and people were cruel.",
        ],
        "LICENSE_PLATE": [
            "The car that hit me had the plate {PLATE}, and I still get {symptom} when I drive.",
            "I've seen a gray sedan with plate {PLATE} outside my building three times in {dur}.",
            "My license plate is {PLATE}, for the parking pass.",
            "{rel} drove off in the truck, plate {PLATE}, and never came back.",
        ],
        "opener": [
            "Hi, {age_en} and I live in {city}.",
            "For {dur} now I've had {symptom} and I feel really {emotion}.",
            "I grew up in {city}, {age_en}, and {rel} suggested I reach out.",
            "Since {month} I've been having {symptom}, especially on {wday} nights.",
            "Um, this is hard to say, but I've been feeling {emotion} for {dur}.",
            "Things {inst} have been rough, and I can't focus.",
        ],
        "closer": [
            "I don't know what to do, I'm still awake at {time} most nights.",
            "I'm just really {emotion} and could use some advice.",
            "Thanks for listening.",
            "I'm also worried about how all this affects {kid}.",
            "Could we meet again on {wday}?",
            "The last session cost {price} and I'm not sure I can keep paying.",
        ],
    },
}
SLOT_RE = re.compile(r"\{([A-Za-z_]+)(?::([^}]+))?\}")


def render(frame: str, slots: dict[str, Slot], rng: Random, lang: str) -> list[Piece]:
    pieces: list[Piece] = []
    pos = 0
    for m in SLOT_RE.finditer(frame):
        if m.start() > pos:
            pieces.append(plain(frame[pos : m.start()]))
        pieces += slots[m[1]](rng, m[2])
        pos = m.end()
    if pos < len(frame):
        pieces.append(plain(frame[pos:]))
    if lang == "en" and pieces[0][0][:1].islower():  # "my father keeps..." starts a sentence
        pieces[0] = (pieces[0][0][0].upper() + pieces[0][0][1:], pieces[0][1])
    return pieces


def assemble(rid: str, lang: str, sentences: list[list[Piece]]) -> dict[str, Any]:
    text, identifiers, protected = "", [], []
    for k, pieces in enumerate(sentences):
        if k and lang == "en":
            text += " "
        for chunk, tag in pieces:
            start, text = len(text), text + chunk
            if tag and tag[0] == "id":
                span = {"start": start, "end": len(text), "label": tag[1], "text": chunk}
                identifiers.append(span | ({"leak_text": tag[2]} if tag[2] else {}))
            elif tag:
                protected.append(
                    {"start": start, "end": len(text), "category": tag[1], "text": chunk}
                )
    return {
        "id": rid,
        "language": lang,
        "text": text,
        "identifiers": identifiers,
        "protected": protected,
    }


def build(seed: int = 0) -> list[dict[str, Any]]:
    """The gold records, deterministic for a seed: N_PER_LANG zh then N_PER_LANG en.

    Each record is an opener, 2-3 identifier sentences and sometimes a closer (3-5 sentences).
    Labels are dealt round-robin from a shuffled order, so each gets ~N_PER_LANG*2.33/12 records.
    """
    rng, records = Random(seed), []
    for lang in LANGS:
        slots, frames = slots_for(lang), FRAMES[lang]
        order, cursor = rng.sample(LABELS, len(LABELS)), 0
        for i in range(N_PER_LANG):
            k = rng.choice((2, 2, 3))
            labels = [order[(cursor + j) % len(order)] for j in range(k)]
            cursor += k
            rng.shuffle(labels)
            picked = [rng.choice(frames["opener"])] + [rng.choice(frames[lab]) for lab in labels]
            if rng.random() < 0.4:
                picked.append(rng.choice(frames["closer"]))
            sentences = [render(f, slots, rng, lang) for f in picked]
            records.append(assemble(f"{lang}-{i + 1:03d}", lang, sentences))
    return records


# ----------------------------------------------------------------------------- held-out set

MARK_RE = re.compile(
    r"\[\[(?P<label>[A-Z_]+)\|(?P<id>[^|\]]+)(?:\|(?P<leak>[^\]]+))?\]\]"
    r"|\{\{(?P<cat>[a-z]+)\|(?P<term>[^}]+)\}\}"
)


def parse_marked(rid: str, lang: str, marked: str) -> dict[str, Any]:
    """One gold record from a marked-up line: ``[[LABEL|identifier(|leak text)]]`` plants an
    identifier, ``{{category|term}}`` a protected term; the rest is plain text."""
    pieces: list[Piece] = []
    pos = 0
    for m in MARK_RE.finditer(marked):
        if m.start() > pos:
            pieces.append(plain(marked[pos : m.start()]))
        if m["label"]:
            if m["label"] not in LABELS:
                raise ValueError(f"{rid}: unknown label {m['label']}")
            pieces.append(ident(m["id"], m["label"], m["leak"]))
        else:
            if m["cat"] not in CATEGORIES:
                raise ValueError(f"{rid}: unknown category {m['cat']}")
            pieces.append(prot(m["term"], m["cat"]))
        pos = m.end()
    if pos < len(marked):
        pieces.append(plain(marked[pos:]))
    return assemble(rid, lang, [pieces])


def load_heldout(path: Path = HELDOUT_FILE) -> list[dict[str, Any]]:
    """The hand-written held-out set (see the header of ``data/mask_heldout.txt``)."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            rid, lang, marked = line.split("\t")
            records.append(parse_marked(rid, lang, marked))
    return records


def load_set(name: str) -> list[dict[str, Any]]:
    """The gold records of the ``dev`` (generated, committed) or ``heldout`` set."""
    if name == "heldout":
        return load_heldout()
    if not GOLD_FILE.is_file():
        raise SystemExit(f"{GOLD_FILE} is missing: run with --regenerate first")
    return read_jsonl(GOLD_FILE)


# ----------------------------------------------------------------------------- files


def dump(records: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def serialize(gold: list[dict[str, Any]]) -> tuple[str, str]:
    """(input JSONL in the masker's format, gold JSONL)."""
    inputs = ({"id": g["id"], "text": g["text"], "language": g["language"]} for g in gold)
    return dump(inputs), dump(gold)


def write_set(
    gold: list[dict[str, Any]], inp: Path = INPUT_FILE, gold_path: Path = GOLD_FILE
) -> None:
    inp.parent.mkdir(parents=True, exist_ok=True)
    a, b = serialize(gold)
    inp.write_text(a, encoding="utf-8")
    gold_path.write_text(b, encoding="utf-8")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


# ----------------------------------------------------------------------------- running the masker


def default_masker() -> list[str]:
    exe = ROOT / ".venv" / "bin" / "counselsim"
    found = str(exe) if exe.is_file() else shutil.which("counselsim")
    if not found:
        raise SystemExit("counselsim not found: give --masker 'path/to/counselsim'")
    return [found]


def run_masker(cmd: list[str], inp: Path, out: Path, surrogates: bool) -> dict[str, dict[str, Any]]:
    """``CMD mask INP --out OUT [--surrogates]``; returns the output records by id."""
    argv = [*cmd, "mask", str(inp), "--out", str(out), *(["--surrogates"] if surrogates else [])]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True)
    except OSError as e:
        raise SystemExit(f"cannot run {shlex.join(argv)}: {e}") from e
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(argv)} exited {proc.returncode}:\n{proc.stderr.strip()}")
    return {r["id"]: r for r in read_jsonl(out) if "id" in r}  # error records have none


def check_output(gold: list[dict[str, Any]], outputs: dict[str, dict[str, Any]]) -> list[str]:
    """Contract violations (missing records, bad offsets) as messages; unknown labels only warn."""
    errors = []
    for g in gold:
        out = outputs.get(g["id"])
        if out is None:
            errors.append(f"{g['id']}: missing from the output")
            continue
        for e in out.get("entities", []):
            if not (0 <= e["start"] < e["end"] <= len(g["text"])):
                errors.append(f"{g['id']}: entity {e} outside the text ({len(g['text'])} chars)")
    return errors


# ----------------------------------------------------------------------------- scoring


def _covered(n: int, entities: Iterable[dict[str, Any]]) -> bytearray:
    cov = bytearray(n)
    for e in entities:
        s, t = max(0, e["start"]), min(n, e["end"])
        if s < t:
            cov[s:t] = b"\x01" * (t - s)
    return cov


def found(haystack: str, needle: str) -> bool:
    """needle occurs in haystack, not as part of a longer Latin word or number (Will ≠ William)."""
    left = r"(?<![A-Za-z0-9])" if needle[:1].isascii() and needle[:1].isalnum() else ""
    right = r"(?![A-Za-z0-9])" if needle[-1:].isascii() and needle[-1:].isalnum() else ""
    return re.search(left + re.escape(needle) + right, haystack) is not None


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


ID_FIELDS = ("n", "full", "partial", "missed", "label_ok", "leaked")
PROT_FIELDS = ("n", "overmasked", "kept")


def score(gold: list[dict[str, Any]], outputs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Figures for one run. outputs: masker records by id ({"entities": [...], "masked_text"}).

    Coverage ignores labels and whitespace: an identifier counts as masked when every non-space
    character lies inside some predicted span. Each row is counted under its label (category)
    and under "ALL". leaked and kept are None when some record has no masked_text.
    """
    ids: dict[str, dict[str, dict[str, Any]]] = {}
    prots: dict[str, dict[str, dict[str, Any]]] = {}
    other: dict[str, dict[str, Any]] = {}
    for g in gold:
        lang, text = g["language"], g["text"]
        out = outputs.get(g["id"], {})
        entities, masked = out.get("entities", []), out.get("masked_text") or ""
        cov = _covered(len(text), entities)
        for span in g["identifiers"]:
            chars = [i for i in range(span["start"], span["end"]) if not text[i].isspace()]
            hit = sum(cov[i] for i in chars)
            full = hit == len(chars)
            overlapping = [
                e for e in entities if e["start"] < span["end"] and e["end"] > span["start"]
            ]
            right_label = all(e.get("label") == span["label"] for e in overlapping)
            leaked = found(masked, span.get("leak_text") or span["text"])
            for key in (span["label"], "ALL"):
                r = _row(ids, lang, key, ID_FIELDS)
                r["n"] += 1
                r["full"] += full
                r["partial"] += 0 < hit < len(chars)
                r["missed"] += hit == 0
                r["label_ok"] += full and right_label
                r["leaked"] += leaked
        for term in g["protected"]:
            chars = [i for i in range(term["start"], term["end"]) if not text[i].isspace()]
            touched, kept = any(cov[i] for i in chars), found(masked, term["text"])
            for key in (term["category"], "ALL"):
                r = _row(prots, lang, key, PROT_FIELDS)
                r["n"] += 1
                r["overmasked"] += touched
                r["kept"] += kept
        inside = bytearray(len(text))
        for span in g["identifiers"]:
            inside[span["start"] : span["end"]] = b"\x01" * (span["end"] - span["start"])
        rest = [i for i, c in enumerate(text) if not inside[i] and not c.isspace()]
        o = other.setdefault(lang, {"chars": 0, "masked": 0})
        o["chars"] += len(rest)
        o["masked"] += sum(cov[i] for i in rest)
    have_text = all(outputs.get(g["id"], {}).get("masked_text") is not None for g in gold)
    for table in ids.values():
        for r in table.values():
            r["leaked"] = r["leaked"] if have_text else None
            r["recall"] = _rate(r["full"], r["n"])
            r["partial_rate"] = _rate(r["partial"], r["n"])
            r["label_ok_rate"] = _rate(r["label_ok"], r["n"])
    for table in prots.values():
        for r in table.values():
            r["kept"] = r["kept"] if have_text else None
            r["overmask_rate"] = _rate(r["overmasked"], r["n"])
            r["kept_rate"] = _rate(r["kept"], r["n"]) if have_text else None
    for o in other.values():
        o["rate"] = _rate(o["masked"], o["chars"])
    return {
        "identifiers": _ordered(ids, LABELS),
        "protected": _ordered(prots, CATEGORIES),
        "other_chars": {lang: other[lang] for lang in LANGS if lang in other},
    }


def _row(
    table: dict[str, dict[str, dict[str, Any]]], lang: str, key: str, fields: tuple[str, ...]
) -> dict[str, Any]:
    return table.setdefault(lang, {}).setdefault(key, dict.fromkeys(fields, 0))


def _ordered(table: dict[str, dict[str, Any]], keys: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    return {
        lang: {k: table[lang][k] for k in (*keys, "ALL") if k in table[lang]}
        for lang in LANGS
        if lang in table
    }


# ----------------------------------------------------------------------------- report


def pct(x: float | None) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def report(figs: dict[str, dict[str, Any]]) -> str:
    """Tables for the modes present in figs ({"placeholder": score(...), "surrogates": ...})."""
    modes = [m for m in MODES if m in figs]
    lines = [
        "Identifiers: recall = every non-space char inside a predicted span; partial = some but",
        "not all; label-ok = fully covered with the right label; leaked = still in masked_text.",
    ]
    head = f"{'':4}{'label':<14}{'n':>4}" + "".join(
        f" | {'recall':>7}{'partial':>8}{'label-ok':>9}{'leaked':>7}" for _ in modes
    )
    lines += [f"{'':22}" + "".join(f" | {m:<31}" for m in modes), head, "-" * len(head)]
    first = figs[modes[0]]
    for lang, table in first["identifiers"].items():
        for label, row in table.items():
            cells = ""
            for m in modes:
                r = figs[m]["identifiers"][lang][label]
                leaked = "-" if r["leaked"] is None else str(r["leaked"])
                rates = f"{pct(r['recall']):>7}{pct(r['partial_rate']):>8}"
                cells += f" | {rates}{pct(r['label_ok_rate']):>9}{leaked:>7}"
            lines.append(f"{lang:<4}{label:<14}{row['n']:>4}{cells}")
        lines.append("")
    lines += [
        "Protected terms: over-masked = any char inside a predicted span; kept = still present",
        "verbatim in masked_text.",
    ]
    head = f"{'':4}{'category':<14}{'n':>4}" + "".join(
        f" | {'over-masked':>12}{'kept':>8}" for _ in modes
    )
    lines += [f"{'':22}" + "".join(f" | {m:<20}" for m in modes), head, "-" * len(head)]
    for lang, table in first["protected"].items():
        for cat, row in table.items():
            cells = "".join(
                f" | {pct(figs[m]['protected'][lang][cat]['overmask_rate']):>12}"
                f"{pct(figs[m]['protected'][lang][cat]['kept_rate']):>8}"
                for m in modes
            )
            lines.append(f"{lang:<4}{cat:<14}{row['n']:>4}{cells}")
        lines.append("")
    lines.append("Characters outside gold identifiers that were masked (non-space):")
    for lang in first["other_chars"]:
        cells = ", ".join(
            f"{m} {pct(o['rate'])} ({o['masked']}/{o['chars']})"
            for m in modes
            for o in [figs[m]["other_chars"][lang]]
        )
        lines.append(f"  {lang}: {cells}")
    return "\n".join(lines)


def pooled(fig: dict[str, Any]) -> dict[str, float]:
    """One run's headline figures, both languages pooled: recall over all identifiers,
    over-masking of protected terms, and the share of other characters masked."""
    ids = [t["ALL"] for t in fig["identifiers"].values()]
    prots = [t["ALL"] for t in fig["protected"].values()]
    other = list(fig["other_chars"].values())
    return {
        "recall": sum(r["full"] for r in ids) / max(1, sum(r["n"] for r in ids)),
        "overmask": sum(r["overmasked"] for r in prots) / max(1, sum(r["n"] for r in prots)),
        "other_chars": sum(o["masked"] for o in other) / max(1, sum(o["chars"] for o in other)),
    }


def gate(fig: dict[str, Any]) -> list[str]:
    """Why a run fails the CI gate (empty when it passes): recall below :data:`MIN_RECALL`, or
    protected terms or other characters masked above :data:`MAX_OVERMASK`."""
    p = pooled(fig)
    problems = []
    if p["recall"] < MIN_RECALL:
        problems.append(f"recall {p['recall']:.3f} < {MIN_RECALL}")
    for key in ("overmask", "other_chars"):
        if p[key] > MAX_OVERMASK:
            problems.append(f"{key} {p[key]:.3f} > {MAX_OVERMASK}")
    return problems


def mask_in_process(gold: list[dict[str, Any]], surrogates: bool = False) -> dict[str, Any]:
    """The masker's output records by id, from :func:`counselsim.privacy.batch.mask_record`
    in this process (what ``counselsim mask`` writes, without a subprocess)."""
    from counselsim.privacy.batch import MaskInput, mask_record

    out = {}
    for g in gold:
        record = MaskInput(id=g["id"], text=g["text"], language=g["language"])
        out[g["id"]] = mask_record(record, surrogates=surrogates).model_dump(exclude_none=True)
    return out


def evaluate(gold: list[dict[str, Any]], modes: list[str], cmd: list[str] | None) -> dict[str, Any]:
    """Figures per mode, masking with ``cmd`` (a ``counselsim``-like command) or in process."""
    figs: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="counselsim-mask-eval-") as tmp:
        inp = Path(tmp) / "input.jsonl"
        inp.write_text(serialize(gold)[0], encoding="utf-8")
        for mode in modes:
            if cmd is None:
                outputs = mask_in_process(gold, mode == "surrogates")
            else:
                outputs = run_masker(cmd, inp, Path(tmp) / f"{mode}.jsonl", mode == "surrogates")
            if errors := check_output(gold, outputs):
                raise SystemExit(f"{mode}: bad masker output:\n  " + "\n  ".join(errors[:20]))
            labels = {e.get("label") for o in outputs.values() for e in o.get("entities", [])}
            if unknown := labels - set(LABELS):
                print(f"warning: {mode}: labels outside the contract: {sorted(map(str, unknown))}")
            figs[mode] = score(gold, outputs)
    return figs


def misses(gold: list[dict[str, Any]], outputs: dict[str, Any] | None) -> str:
    """Missed or partly masked identifiers and over-masked protected terms, one per line
    (the sets are synthetic, so printing them is safe); in-process runs only."""
    if outputs is None:
        return "(--misses needs --in-process)"
    lines = []
    for g in gold:
        cov = _covered(len(g["text"]), outputs[g["id"]].get("entities", []))
        for span in g["identifiers"]:
            chars = [i for i in range(span["start"], span["end"]) if not g["text"][i].isspace()]
            if not all(cov[i] for i in chars):
                lines.append(f"missed  {g['id']} {span['label']:<13} {span['text']}")
        for term in g["protected"]:
            if any(cov[i] for i in range(term["start"], term["end"])):
                lines.append(f"overmask {g['id']} {term['category']:<12} {term['text']}")
    return "\n".join(lines) or "no misses"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument(
        "--regenerate", action="store_true", help="rewrite benchmarks/data/ from build() and stop"
    )
    ap.add_argument(
        "--seed",
        type=int,
        default=0,
        help="with a non-zero seed, evaluate a fresh set (not written)",
    )
    ap.add_argument("--set", choices=SETS, default="dev", help="dev (generated) or heldout")
    ap.add_argument("--masker", help="command to run instead of .venv/bin/counselsim (shell words)")
    ap.add_argument(
        "--in-process", action="store_true", help="mask in this process instead of the CLI"
    )
    ap.add_argument(
        "--modes", default=",".join(MODES), help="comma-separated: placeholder,surrogates"
    )
    ap.add_argument("--gate", action="store_true", help="exit 1 when a mode fails the CI gate")
    ap.add_argument(
        "--misses", action="store_true", help="list missed identifiers and over-masked terms"
    )
    ap.add_argument("--json", type=Path, help="also save the figures as JSON here")
    args = ap.parse_args(argv)
    if args.regenerate:
        gold = build(args.seed)
        write_set(gold)
        print(
            f"wrote {INPUT_FILE.relative_to(ROOT)} and {GOLD_FILE.relative_to(ROOT)}"
            f" ({len(gold)} records)"
        )
        return 0
    modes = [m.strip() for m in args.modes.split(",") if m.strip()]
    if bad := set(modes) - set(MODES):
        raise SystemExit(f"unknown mode(s): {', '.join(sorted(bad))}")
    gold = build(args.seed) if args.seed else load_set(args.set)
    cmd = None
    if not args.in_process:
        cmd = shlex.split(args.masker) if args.masker else default_masker()
    figs = evaluate(gold, modes, cmd)
    if args.misses:
        print(misses(gold, mask_in_process(gold) if cmd is None else None) + "\n")
    n = {lang: sum(g["language"] == lang for g in gold) for lang in LANGS}
    who = "in-process" if cmd is None else shlex.join(cmd)
    print(f"{who} mask: {args.set} set, {len(gold)} records ({n['zh']} zh, {n['en']} en)\n")
    print(report(figs))
    failed = False
    for mode in modes:
        p = pooled(figs[mode])
        problems = gate(figs[mode])
        failed = failed or bool(problems)
        print(
            f"\n{mode}: recall {p['recall']:.3f}, over-masked {p['overmask']:.3f},"
            f" other chars {p['other_chars']:.3f}"
            + (f" -- GATE FAILS: {'; '.join(problems)}" if problems else "")
        )
    if args.json:
        body = {"masker": cmd or "in-process", "set": args.set, "records": n, **figs}
        args.json.write_text(json.dumps(body, indent=2) + "\n")
        print(f"\nfigures saved to {args.json}")
    return 1 if args.gate and failed else 0


if __name__ == "__main__":
    sys.exit(main())
