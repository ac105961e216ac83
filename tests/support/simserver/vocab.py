"""Phrase pools of the simulated server's text, per language.

Speech is ``opener + topic + verb + complement + time`` (zh: ``opener + time + topic + verb +
complement``); notes are ``label + theme + remark``, in other words, so speech never recites
the notes.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EN", "ZH", "Vocab", "vocab"]


@dataclass(frozen=True)
class Vocab:
    """Phrase pools of one language; ``joiner`` joins sentences, ``cjk`` drops inner spaces."""

    openers: tuple[str, ...]
    times: tuple[str, ...]
    topics: tuple[str, ...]
    predicates: tuple[tuple[str, tuple[str, ...]], ...]
    questions: tuple[str, ...]
    labels: tuple[str, ...]
    themes: tuple[str, ...]
    remarks: tuple[str, ...]
    joiner: str
    cjk: bool


# Words chosen to stay clear of every turn check: no speaker names or roles, no thanks, no
# "feeling better", no advice ("you could try", "建议"), no diagnosis or medication words, no
# crisis words, no digits (a "." in a number would end a sentence), no quotes. Openers stay
# under 12 characters (a longer clause shared by both speakers would count as an echo).
# fmt: off
EN = Vocab(
    openers=(
        "Honestly,", "I guess", "Well,", "To be fair,", "Mostly,", "Somehow", "In a way,",
        "Oddly,", "I think", "Funny thing,", "Still,", "Anyway,", "",
    ),
    times=(
        "lately", "this week", "since the spring", "most days", "after the holidays",
        "in the evenings", "these past few weeks", "on weekdays", "since the new year",
        "over the summer", "this month", "on Sundays", "at night", "", "", "",
    ),
    topics=(
        "the mornings", "work", "the weekends", "my sister", "the commute", "the new schedule",
        "family dinners", "the apartment", "my evenings", "the project at work",
        "calls with my parents", "the gym routine", "the group chat", "my manager", "the garden",
        "cooking at home", "the late shifts", "my roommate", "the bus rides", "the move",
        "the exams", "my old friends", "the neighborhood", "the team meetings", "my brother",
        "the book club", "grocery runs", "the night class", "my cousin", "the dog walks",
    ),
    predicates=(
        ("felt", (
            "heavier than usual", "oddly quiet", "strange and distant", "a bit lighter",
            "more crowded", "hard to read", "kind of flat", "surprisingly calm", "tense",
            "messy", "slow", "unfamiliar", "louder than before",
        )),
        ("kept", (
            "slipping out of reach", "coming back to mind", "pulling me away", "running late",
            "changing shape", "getting postponed", "spilling into everything",
        )),
        ("took", (
            "more energy than expected", "most of my patience", "longer than planned",
            "a strange turn", "up whole evenings",
        )),
        ("turned into", (
            "a small tug of war", "a weekly habit", "a sore spot", "a running joke",
            "a quiet routine", "a guessing game", "a bigger deal",
        )),
        ("left me", (
            "a little drained", "restless", "oddly proud", "unsure", "tired but okay",
            "a bit scattered", "wide awake",
        )),
        ("seemed", (
            "harder to plan", "easier to talk about", "out of my hands", "less urgent",
            "stuck in place", "farther away",
        )),
        ("went", ("better than I feared", "sideways", "by in a blur", "quiet", "off track")),
    ),
    questions=(
        "What part of {topic} stays with you most?",
        "How did {topic} go this time around?",
        "When did {topic} start to feel different?",
        "What would make {topic} a little easier?",
        "Which moment with {topic} stands out?",
        "What was it like with {topic} before all this?",
        "Where did {topic} fit into an ordinary day?",
        "Who else noticed the change in {topic}?",
        "What do you make of {topic} right now?",
        "How much room is there for {topic} these days?",
        "What usually happens right after {topic}?",
        "Which side of {topic} is hardest to put into words?",
    ),
    labels=("Noted:", "Pattern:", "Possible thread:", "Observed:", "Theme:", "", ""),
    themes=(
        "sleep rhythm", "energy level", "self-criticism", "family expectations", "motivation",
        "daily routine", "social contact", "appetite", "concentration", "workload",
        "sense of control", "mood at night", "trust", "pace of change",
    ),
    remarks=(
        "comes up repeatedly", "seems linked to stress", "is described with some distance",
        "appears to carry weight", "is worth exploring gently", "shifts between sessions",
        "is mentioned only briefly", "seems steadier than before", "draws a strong reaction",
        "remains unclear for now",
    ),
    joiner=" ",
    cjk=False,
)

ZH = Vocab(
    openers=(
        "说实话，", "其实", "嗯，", "老实讲，", "回头想想，", "说起来，", "怎么说呢，", "不过",
        "还有就是", "", "",
    ),
    times=(
        "这段时间", "这周", "从春天开始", "大多数日子里", "假期过后", "每天晚上", "最近几周",
        "工作日里", "新年以来", "整个夏天", "这个月", "周日", "", "", "",
    ),
    topics=(
        "早上起床", "工作上的事", "周末的安排", "和姐姐的相处", "通勤路上", "新的作息",
        "家里的晚饭", "住的地方", "晚上的时间", "手上的项目", "和爸妈打电话", "去健身房",
        "群里的聊天", "和领导的沟通", "阳台上的花", "自己做饭", "夜班", "和室友的关系",
        "坐公交", "搬家这件事", "考试复习", "和老朋友见面", "小区里散步", "组里的例会",
        "和哥哥聊天", "读书会", "去超市买菜", "晚上的课", "表妹的事", "遛狗",
    ),
    predicates=(
        ("变得", (
            "比平时沉重", "出奇地安静", "陌生又遥远", "轻松了一点", "更拥挤", "难以捉摸",
            "有点平淡", "意外地平静", "紧绷", "乱糟糟的", "很慢", "比以前吵",
        )),
        ("总是", (
            "抓不住", "在脑子里打转", "把我拉走", "拖到很晚", "换个样子", "被往后推",
            "渗进别的事情里",
        )),
        ("花了", ("比想象中更多的力气", "我大半的耐心", "比计划更久的时间", "好几个晚上")),
        ("成了", (
            "一场小小的拉锯", "每周的习惯", "一块心病", "一个老笑话", "安静的日常",
            "一场猜谜", "一件大事",
        )),
        ("让我", (
            "有点累", "坐立不安", "有点骄傲", "拿不准", "累但还行", "有点分心", "睡不着",
        )),
        ("显得", ("更难安排", "好开口一些", "由不得我", "没那么急", "停在原地", "更远了")),
        ("过得", ("比我担心的顺利", "有点偏", "一晃而过", "很安静", "有点乱")),
    ),
    questions=(
        "{topic}里哪一部分最让你在意？",
        "{topic}这次过得怎么样？",
        "从什么时候起{topic}变得不一样了？",
        "怎样能让{topic}轻松一点？",
        "{topic}中哪个时刻最难忘？",
        "以前的{topic}是什么样子？",
        "{topic}在平常的一天里占了多大位置？",
        "还有谁留意到{topic}的变化？",
        "你现在怎么看{topic}？",
        "{topic}之后通常会发生什么？",
        "{topic}的哪一面最难说出口？",
        "说到{topic}，你最先想到的是什么？",
    ),
    labels=("记录：", "观察：", "主题：", "可以关注：", "", ""),
    themes=(
        "睡眠节律", "精力水平", "自我批评", "家庭期待", "动力", "日常作息", "社交联系", "食欲",
        "注意力", "工作负荷", "掌控感", "晚间情绪", "信任", "改变的节奏",
    ),
    remarks=(
        "反复被提到", "似乎与压力有关", "说起来有些疏离", "分量似乎很重", "值得温和地探索",
        "每次会谈都有变化", "只是被简单带过", "比之前稳定一些", "引起了明显的反应",
        "目前仍不够清楚",
    ),
    joiner="",
    cjk=True,
)
# fmt: on


def vocab(lang: str) -> Vocab:
    """The pools of ``lang`` (``zh``; anything else reads as ``en``)."""
    return ZH if lang == "zh" else EN
