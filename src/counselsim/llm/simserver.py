"""A simulated OpenAI-compatible chat server, for fault-injection tests and capacity benchmarks.

Pure standard library: an ``asyncio`` HTTP/1.1 server (keep-alive, ``Content-Length`` or
chunked request bodies, JSON) that answers ``POST /v1/chat/completions`` the way a vLLM server
with ``capacity`` batch slots would, without a model:

* **Capacity.** At most ``capacity`` requests are being served at once; each holds its slot for
  ``latency_s + per_token_s * completion_tokens`` and the others queue for a slot.
* **Content.** Deterministic in ``(seed, request body)``: the same request always gets the same
  answer, a different request (another per-call ``seed``, another turn) a different one. With a
  ``response_format`` JSON schema the answer is an instance valid for the schema; without one
  it is a short plain reply (1-3 sentences, at most one question) in the language of the
  messages. Spoken text is built to pass counselsim's turn checks (no speaker labels, no role
  swap, no advice, diagnosis or medication talk, no crisis words, no loops).
* **Faults.** With probability ``fail_rate`` a request gets HTTP 500, 503, 429 (with
  ``Retry-After: 0``) or a connection closed without a response; with probability
  ``malformed_rate`` a structured answer is a 200 whose JSON is cut in half (the client's repair
  path, not its retry path, must handle it). A fault is drawn from ``(seed, body, how many times
  this body was seen)``: reproducible under any concurrency, and a retry of the same request
  draws again. Failures are answered at once, without waiting for a slot.
* **Limits.** ``max_tokens`` (or ``max_completion_tokens``) is honoured: a longer answer is cut
  to that many tokens with ``finish_reason: "length"``. Tokens are counted deterministically
  (:func:`count_tokens`); ``usage`` reports them. ``stream: true`` is refused (400).

Other endpoints: ``GET /health``, ``GET /v1/models`` and ``GET /sim/stats`` (the counters of
:class:`SimStats` as JSON, for a benchmark whose server runs in another process).

In-process (tests)::

    with SimServer(latency_s=0.05, capacity=4, fail_rate=0.1) as server:
        url = server.base_url  # http://127.0.0.1:PORT/v1
        ...
        assert server.stats.max_in_flight <= 4

As a separate process (benchmarks: client and server then do not share a GIL)::

    python -m counselsim.llm.simserver --port 8000 --latency 0.5 --capacity 4
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import logging
import math
import random
import re
import signal
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from http import HTTPStatus
from types import FrameType, TracebackType
from typing import Any

__all__ = [
    "SimServer",
    "SimStats",
    "count_tokens",
    "instance_for",
    "main",
    "plain_reply",
]

log = logging.getLogger(__name__)

MAX_BODY = 32 * 1024 * 1024
FAULT_KINDS = ("500", "503", "429", "drop")
"""How an injected failure shows: an HTTP status, or a connection closed without a reply."""

# CJK ideographs (with extension A and compatibility) and CJK / full-width punctuation.
_CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
_CJK = re.compile(f"[{_CJK_CLASS}]")
_TOKEN = re.compile(f"[{_CJK_CLASS}]|[^\\s{_CJK_CLASS}]+")

# String properties whose value is speech (checked by the turn guard); the others are notes.
SPOKEN_FIELDS = frozenset({"reply", "utterance", "response", "content", "message", "text"})
DEFAULT_SHARE = 0.7
"""How often an optional property with a (non-null string or boolean) default takes it."""


# --- tokens -----------------------------------------------------------------------------------


def count_tokens(text: str) -> int:
    """A deterministic token count: one per CJK character, one per other whitespace-free run."""
    return len(_TOKEN.findall(text))


def _truncate_tokens(text: str, limit: int) -> str:
    """``text`` cut after its ``limit``-th token (see :func:`count_tokens`)."""
    for i, match in enumerate(_TOKEN.finditer(text)):
        if i + 1 == limit:
            return text[: match.end()]
    return text


def _message_text(message: Any) -> str:
    """The text of one chat message (string content, or the text parts of a content list)."""
    if not isinstance(message, dict):
        return ""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


# --- text -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Vocab:
    """Phrase pools of one language. Speech is ``opener + topic + verb + complement + time``
    (zh: ``opener + time + topic + verb + complement``); notes are ``label + theme + remark``,
    in other words, so speech never recites the notes."""

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
_EN = _Vocab(
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

_ZH = _Vocab(
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


def _vocab(lang: str) -> _Vocab:
    return _ZH if lang == "zh" else _EN


def _capitalize(s: str) -> str:
    return s[:1].upper() + s[1:]


def _spoken_sentence(rng: random.Random, v: _Vocab, topic: str, opener: str) -> str:
    verb, tails = rng.choice(v.predicates)
    pred, when = f"{verb} {rng.choice(tails)}", rng.choice(v.times)
    if v.cjk:
        return f"{opener}{when}{topic}{pred.replace(' ', '')}。"
    return _capitalize(" ".join(w for w in (opener, topic, pred, when) if w)) + "."


def _question(rng: random.Random, v: _Vocab, topic: str) -> str:
    return _capitalize(rng.choice(v.questions).format(topic=topic))


def _note_sentence(rng: random.Random, v: _Vocab) -> str:
    label, theme, remark = rng.choice(v.labels), rng.choice(v.themes), rng.choice(v.remarks)
    if v.cjk:
        return f"{label}{theme}{remark}。"
    return " ".join(w for w in (label, theme if label else _capitalize(theme), remark) if w) + "."


def _fit(text: str, min_len: int, max_len: int | None, rng: random.Random, v: _Vocab) -> str:
    """``text`` padded to ``min_len`` and cut to ``max_len`` characters (schema bounds)."""
    while len(text) < min_len:
        text = (text + v.joiner + _note_sentence(rng, v)).strip()
    if max_len is not None and len(text) > max_len:
        text = text[:max_len].rstrip()
        if len(text) < min_len:  # the cut ended on spaces
            text = text.ljust(min_len, "x")[:max_len]
    return text


def _speech(rng: random.Random, v: _Vocab, most: int, max_len: int | None) -> str:
    """1..``most`` sentences on distinct topics, the last a question 40% of the time; leading
    sentences dropped until the text fits ``max_len``."""
    topics = rng.sample(v.topics, k=rng.randint(1, most))
    openers = rng.sample(v.openers, k=len(topics))  # distinct: a repeated one reads as a loop
    out = [_spoken_sentence(rng, v, t, o) for t, o in zip(topics, openers, strict=True)]
    if rng.random() < 0.4:
        out[-1] = _question(rng, v, topics[-1])
    while max_len is not None and len(out) > 1 and len(v.joiner.join(out)) > max_len:
        out.pop(0)
    return v.joiner.join(out)


def _notes(rng: random.Random, v: _Vocab, most: int, max_len: int | None) -> str:
    """1..``most`` note sentences, trailing ones dropped until the text fits ``max_len``."""
    out = [_note_sentence(rng, v) for _ in range(rng.randint(1, most))]
    while max_len is not None and len(out) > 1 and len(v.joiner.join(out)) > max_len:
        out.pop()
    return v.joiner.join(out)


def plain_reply(rng: random.Random, lang: str) -> str:
    """A short spoken reply: 1-3 sentences, at most one question, in ``lang`` (``zh``/``en``)."""
    return _speech(rng, _vocab(lang), 3, None)


def _string(rng: random.Random, lang: str, spoken: bool, min_len: int, max_len: int | None) -> str:
    """Text for a string field: speech for a spoken field, else notes; a word or two when the
    field is label-sized."""
    v = _vocab(lang)
    roomy = max_len is None or max_len >= 150
    if max_len is not None and max_len < 16:
        text = rng.choice([t for t in v.themes if len(t) <= max_len] or v.themes)
    elif spoken:
        text = _speech(
            rng, v, 3 if roomy else 2 if max_len is None or max_len >= 60 else 1, max_len
        )
    else:
        text = _notes(rng, v, 2 if roomy else 1, max_len)
    return _fit(text, min_len, max_len, rng, v)


# --- schema instances -------------------------------------------------------------------------


def _resolve(ref: str, root: dict[str, Any]) -> dict[str, Any]:
    node: Any = root
    for part in ref.lstrip("#/").split("/"):
        if not part:
            continue
        part = part.replace("~1", "/").replace("~0", "~")
        node = node.get(part, {}) if isinstance(node, dict) else {}
    return node if isinstance(node, dict) else {}


def _merge_all_of(schema: dict[str, Any]) -> dict[str, Any]:
    merged = {k: v for k, v in schema.items() if k != "allOf"}
    for part in schema.get("allOf") or []:
        if not isinstance(part, dict):
            continue
        for k, v in part.items():
            if k == "properties" and isinstance(v, dict):
                merged["properties"] = {**merged.get("properties", {}), **v}
            elif k == "required" and isinstance(v, list):
                merged["required"] = [*merged.get("required", []), *v]
            else:
                merged.setdefault(k, v)
    return merged


def _is_null(schema: Any) -> bool:
    return isinstance(schema, dict) and (
        schema.get("type") == "null" or ("const" in schema and schema["const"] is None)
    )


@dataclass(frozen=True)
class _Range:
    lo: float | None
    hi: float | None
    lo_open: bool  # exclusive bound
    hi_open: bool


def _range(schema: dict[str, Any]) -> _Range:
    """The numeric bounds of ``schema`` (draft 2020-12 numbers or draft-4 boolean flags)."""
    lo, hi = schema.get("minimum"), schema.get("maximum")
    exlo, exhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    lo_open, hi_open = exlo is True, exhi is True
    if isinstance(exlo, int | float) and not isinstance(exlo, bool) and (lo is None or exlo >= lo):
        lo, lo_open = exlo, True
    if isinstance(exhi, int | float) and not isinstance(exhi, bool) and (hi is None or exhi <= hi):
        hi, hi_open = exhi, True
    return _Range(lo, hi, lo_open, hi_open)


def _span(r: _Range, width: float) -> tuple[float, float]:
    """Finite bounds: ``width`` wide on the open side of a half-bounded range."""
    if r.lo is None and r.hi is None:
        return 0.0, width
    if r.lo is None:
        assert r.hi is not None
        return r.hi - width, r.hi
    if r.hi is None:
        return r.lo, r.lo + width
    return r.lo, r.hi


def _integer(schema: dict[str, Any], rng: random.Random) -> int:
    r = _range(schema)
    lo_f, hi_f = _span(r, 10)
    lo, hi = math.ceil(lo_f), math.floor(hi_f)
    if r.lo_open and lo == lo_f:
        lo += 1
    if r.hi_open and hi == hi_f:
        hi -= 1
    hi = max(hi, lo)
    step = schema.get("multipleOf")
    if isinstance(step, int) and step > 0:
        multiples = list(range(-(-lo // step) * step, hi + 1, step))
        if multiples:
            return rng.choice(multiples)
    return rng.randint(lo, hi)


def _number(schema: dict[str, Any], rng: random.Random) -> float:
    r = _range(schema)
    lo, hi = _span(r, 1.0)
    value = round(rng.uniform(lo, hi), 3)
    if (r.lo_open and value <= lo) or (r.hi_open and value >= hi) or not lo <= value <= hi:
        value = (lo + hi) / 2
    return value


def _array(
    schema: dict[str, Any],
    rng: random.Random,
    lang: str,
    name: str,
    root: dict[str, Any],
    depth: int,
) -> list[Any]:
    lo = int(schema.get("minItems", 0))
    hi = schema.get("maxItems")
    hi = int(hi) if hi is not None else max(lo, 1) + 1
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and prefix:
        out = [instance_for(p, rng, lang, name, root, depth + 1) for p in prefix[:hi]]
        lo = max(lo, len(out))
    else:
        out = []
    n = rng.randint(min(max(lo, 1), hi), min(max(lo, 1) + 1, hi)) if hi > 0 else 0
    items = schema.get("items")
    item_schema: dict[str, Any] = items if isinstance(items, dict) else {}
    seen = {json.dumps(x, sort_keys=True) for x in out}
    tries = 0
    while len(out) < n and tries < 20 * (n + 1):
        tries += 1
        item = instance_for(item_schema, rng, lang, name, root, depth + 1)
        key = json.dumps(item, sort_keys=True)
        if key in seen and (schema.get("uniqueItems") or tries < 10 * (n + 1)):
            continue  # unique when asked, and preferably unique anyway (two equal labels look odd)
        seen.add(key)
        out.append(item)
    return out


def _fits_default(schema: dict[str, Any]) -> bool:
    """True when ``schema`` has a non-null string or boolean default valid for its bounds."""
    default = schema.get("default")
    if isinstance(default, bool):
        return True
    if not isinstance(default, str):
        return False
    return (
        int(schema.get("minLength", 0))
        <= len(default)
        <= int(schema.get("maxLength", len(default)))
    )


def _object(
    schema: dict[str, Any], rng: random.Random, lang: str, root: dict[str, Any], depth: int
) -> dict[str, Any]:
    props = schema.get("properties")
    props = props if isinstance(props, dict) else {}
    required = set(schema.get("required") or [])
    out: dict[str, Any] = {}
    for key, sub in props.items():
        sub = sub if isinstance(sub, dict) else {}
        default = sub.get("default")
        if key not in required and _fits_default(sub) and rng.random() < DEFAULT_SHARE:
            out[key] = default  # e.g. a judge's empty "problem": most verdicts state none
        else:
            out[key] = instance_for(sub, rng, lang, key, root, depth + 1)
    for key in schema.get("required") or []:
        if isinstance(key, str) and key not in out:
            out[key] = _string(rng, lang, key in SPOKEN_FIELDS, 1, 120)
    return out


def instance_for(
    schema: dict[str, Any],
    rng: random.Random,
    lang: str = "en",
    name: str = "",
    root: dict[str, Any] | None = None,
    depth: int = 0,
) -> Any:
    """A value valid for the JSON ``schema`` (the subset structured outputs use), drawn with
    ``rng``; strings are text in ``lang``, speech when the property ``name`` is a spoken one.

    Supports ``$ref`` (to ``root``), ``allOf``, ``anyOf``/``oneOf`` (the first non-null
    branch), ``const``, ``enum``, nullable type lists (a non-null type), objects (every listed
    property), arrays (``items``/``prefixItems``, ``minItems``/``maxItems``, ``uniqueItems``),
    strings (``minLength``/``maxLength``), integers and numbers (inclusive and exclusive bounds,
    integer ``multipleOf``), booleans and null.
    """
    root = schema if root is None else root
    if depth > 16:
        return None
    if "$ref" in schema:
        target = _resolve(str(schema["$ref"]), root)
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        return instance_for({**target, **extra}, rng, lang, name, root, depth + 1)
    if "allOf" in schema:
        return instance_for(_merge_all_of(schema), rng, lang, name, root, depth + 1)
    for key in ("anyOf", "oneOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            branch = next((b for b in branches if not _is_null(b)), branches[0])
            rest = {k: v for k, v in schema.items() if k != key}
            merged = {**rest, **branch} if isinstance(branch, dict) else rest
            return instance_for(merged, rng, lang, name, root, depth + 1)
    if "const" in schema:
        return schema["const"]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        values = [e for e in enum if e is not None] or enum
        return rng.choice(values)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = (
            "object"
            if "properties" in schema
            else "array"
            if "items" in schema or "prefixItems" in schema
            else "string"
        )
    if kind == "object":
        return _object(schema, rng, lang, root, depth)
    if kind == "array":
        return _array(schema, rng, lang, name, root, depth)
    if kind == "integer":
        return _integer(schema, rng)
    if kind == "number":
        return _number(schema, rng)
    if kind == "boolean":
        return rng.random() < 0.5
    if kind == "null":
        return None
    max_len = schema.get("maxLength")
    return _string(
        rng,
        lang,
        name in SPOKEN_FIELDS,
        int(schema.get("minLength", 0)),
        int(max_len) if max_len is not None else None,
    )


def _response_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON schema a request constrains its answer to; ``{}`` for JSON of any shape;
    ``None`` for plain text. Reads OpenAI's ``response_format`` (``json_schema``, or
    ``json_object`` with llama.cpp's ``schema``) and vLLM's ``guided_json``."""
    guided = body.get("guided_json")
    if isinstance(guided, dict):
        return guided
    if isinstance(guided, str):
        with contextlib.suppress(json.JSONDecodeError):
            parsed = json.loads(guided)
            return parsed if isinstance(parsed, dict) else {}
    fmt = body.get("response_format")
    if not isinstance(fmt, dict):
        return None
    if fmt.get("type") == "json_schema":
        spec = fmt.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema if isinstance(schema, dict) else {}
    if fmt.get("type") == "json_object":
        schema = fmt.get("schema")
        return schema if isinstance(schema, dict) else {}
    return None


def _answer(body: dict[str, Any], rng: random.Random) -> tuple[str, bool]:
    """``(content, structured)`` for a chat request."""
    messages = body.get("messages") or []
    lang = "zh" if any(_CJK.search(_message_text(m)) for m in messages) else "en"
    schema = _response_schema(body)
    if schema is None:
        return plain_reply(rng, lang), False
    shaped = any(k in schema for k in ("type", "properties", "$ref", "anyOf", "oneOf", "allOf"))
    if not shaped:
        schema = {"type": "object", "properties": {"reply": {"type": "string"}}}
    return json.dumps(instance_for(schema, rng, lang), ensure_ascii=False), True


# --- stats ------------------------------------------------------------------------------------


@dataclass
class SimStats:
    """What the server saw. :attr:`SimServer.stats` returns a copy (safe to read anywhere).

    Attributes:
        requests: chat-completion requests received (valid JSON; faulted ones included).
        completed: 200 answers sent (malformed ones included).
        failed_injected: injected failures (HTTP 500/503/429 or a dropped connection).
        malformed_injected: 200 answers whose JSON was cut in half on purpose.
        rejected: requests answered 4xx because they were invalid (bad JSON, ``stream``).
        errors: unexpected simulator errors (answered 500 and logged; a bug, never injected).
        in_flight: requests being served now (holding a slot).
        waiting: requests queued for a slot now.
        max_in_flight: most requests served at once (never above ``capacity``).
        max_waiting: longest queue for a slot.
        prompt_tokens: summed ``usage.prompt_tokens`` of the answers sent.
        completion_tokens: summed ``usage.completion_tokens`` of the answers sent.
        faults: injected failures by kind (``"500"``, ``"503"``, ``"429"``, ``"drop"``).
        bodies: every received request body (messages and parameters), in arrival order.
    """

    requests: int = 0
    completed: int = 0
    failed_injected: int = 0
    malformed_injected: int = 0
    rejected: int = 0
    errors: int = 0
    in_flight: int = 0
    waiting: int = 0
    max_in_flight: int = 0
    max_waiting: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    faults: dict[str, int] = field(default_factory=lambda: dict.fromkeys(FAULT_KINDS, 0))
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def counters(self) -> dict[str, Any]:
        """Everything but the bodies, as JSON-ready values."""
        out = asdict(self)
        out.pop("bodies")
        return out


# --- HTTP -------------------------------------------------------------------------------------


class _BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class _Request:
    method: str
    path: str
    version: str
    headers: dict[str, str]
    body: bytes

    @property
    def keep_alive(self) -> bool:
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn


async def _line(reader: asyncio.StreamReader) -> bytes:
    """One CRLF-terminated line (b"" at the end of the stream)."""
    try:
        return await reader.readline()
    except ValueError:  # longer than the stream's limit (64 KiB)
        raise _BadRequest(431, "line too long") from None


async def _read_request(reader: asyncio.StreamReader) -> _Request | None:
    """One request from ``reader``; None at a clean end of the connection.

    Raises:
        _BadRequest: a request that cannot be parsed (answered, then the connection closes).
    """
    line = await _line(reader)
    if not line:
        return None
    while line in (b"\r\n", b"\n"):  # tolerate stray blank lines between requests
        line = await _line(reader)
        if not line:
            return None
    parts = line.decode("latin-1").strip().split()
    if len(parts) != 3 or not parts[2].startswith("HTTP/"):
        raise _BadRequest(400, "malformed request line")
    method, target, version = parts
    headers: dict[str, str] = {}
    while True:
        raw = await _line(reader)
        if raw in (b"\r\n", b"\n", b""):
            break
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep:
            raise _BadRequest(400, "malformed header")
        headers[name.strip().lower()] = value.strip()
    if "chunked" in headers.get("transfer-encoding", "").lower():
        body = await _read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError:
            raise _BadRequest(400, "bad Content-Length") from None
        if length < 0 or length > MAX_BODY:
            raise _BadRequest(413, "body too large")
        body = await reader.readexactly(length) if length else b""
    return _Request(method.upper(), target.split("?", 1)[0], version, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """A ``Transfer-Encoding: chunked`` body (trailers are read and dropped)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        size_line = (await _line(reader)).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise _BadRequest(400, "bad chunk size") from None
        if size == 0:
            while (await _line(reader)) not in (b"\r\n", b"\n", b""):
                pass  # trailers
            return b"".join(chunks)
        total += size
        if total > MAX_BODY:
            raise _BadRequest(413, "body too large")
        chunks.append(await reader.readexactly(size))
        await _line(reader)  # the CRLF after each chunk


def _error_body(status: int, message: str) -> dict[str, Any]:
    """An OpenAI-style error object."""
    kind = "server_error" if status >= 500 else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": None, "code": status}}


async def _send(
    writer: asyncio.StreamWriter,
    status: int,
    payload: dict[str, Any] | list[Any],
    keep_alive: bool,
    headers: Sequence[tuple[str, str]] = (),
) -> None:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    head = [
        f"HTTP/1.1 {status} {HTTPStatus(status).phrase}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        *(f"{k}: {v}" for k, v in headers),
    ]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


# --- the server -------------------------------------------------------------------------------


class SimServer:
    """A simulated OpenAI-compatible server on a background thread with its own event loop.

    Args:
        latency_s: seconds each request holds its slot (time to first token, roughly).
        capacity: requests served at once (batch slots); the rest queue.
        fail_rate: probability of an injected failure (500, 503, 429 or a dropped connection).
        malformed_rate: probability that a structured answer's JSON is cut in half (HTTP 200).
        seed: seeds content and faults.
        model: the model id ``/v1/models`` lists.
        per_token_s: extra slot time per completion token (decode speed).
        host: interface to bind (loopback by default).
        port: port to bind; 0 picks a free one.
        keep_bodies: record every request body in :attr:`stats` (off for long benchmarks).
    """

    def __init__(
        self,
        latency_s: float = 0.0,
        capacity: int = 8,
        fail_rate: float = 0.0,
        malformed_rate: float = 0.0,
        seed: int = 0,
        model: str = "sim",
        per_token_s: float = 0.0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        keep_bodies: bool = True,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        if latency_s < 0 or per_token_s < 0:
            raise ValueError("latency_s and per_token_s must not be negative")
        for label, rate in (("fail_rate", fail_rate), ("malformed_rate", malformed_rate)):
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{label} must be in [0, 1]")
        self.latency_s = latency_s
        self.capacity = capacity
        self.fail_rate = fail_rate
        self.malformed_rate = malformed_rate
        self.seed = seed
        self.model = model
        self.per_token_s = per_token_s
        self.host = host
        self.port = port
        self.keep_bodies = keep_bodies
        self._lock = threading.Lock()
        self._stats = SimStats()
        self._seen: dict[str, int] = {}
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(capacity)  # replaced on each start (loop-bound)
        self._bound_port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1`` of the running server."""
        if self._bound_port is None:
            raise RuntimeError("the server is not running")
        return f"http://{self.host}:{self._bound_port}/v1"

    def start(self) -> str:
        """Start serving on a background thread; returns the base URL.

        Raises:
            RuntimeError: already running.
            OSError: the port could not be bound.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already running")
        self._ready.clear()
        self._error = None
        self._thread = threading.Thread(target=self._run, name="simserver", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout=30):
            raise RuntimeError("the simulated server did not start within 30 s")
        if self._error is not None:
            self._thread.join(timeout=5)
            self._thread = None
            raise self._error
        return self.base_url

    def stop(self) -> None:
        """Stop serving: open connections are closed, queued requests abandoned. Idempotent."""
        thread, loop, stopping = self._thread, self._loop, self._stopping
        if thread is None:
            return
        if loop is not None and stopping is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(stopping.set)
        thread.join(timeout=10)
        self._thread = None
        self._bound_port = None

    def __enter__(self) -> SimServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def stats(self) -> SimStats:
        """A consistent copy of the counters and received bodies."""
        with self._lock:
            s = self._stats
            return SimStats(**{**_fields(s), "faults": dict(s.faults), "bodies": list(s.bodies)})

    def reset_stats(self) -> None:
        """Zero the counters and forget the bodies (content and fault draws are unaffected)."""
        with self._lock:
            in_flight, waiting = self._stats.in_flight, self._stats.waiting
            self._stats = SimStats(in_flight=in_flight, waiting=waiting)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported to start()
            self._error = exc
            self._ready.set()
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        self._slots = asyncio.Semaphore(self.capacity)
        server = await asyncio.start_server(self._connection, self.host, self.port)
        self._bound_port = int(server.sockets[0].getsockname()[1])
        self._ready.set()
        try:
            await self._stopping.wait()
        finally:
            server.close()
            for task in list(self._tasks):
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await server.wait_closed()

    # -- connections -------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection: requests in turn while the client keeps it alive."""
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                try:
                    request = await _read_request(reader)
                except _BadRequest as exc:
                    await _send(writer, exc.status, _error_body(exc.status, str(exc)), False)
                    return
                if request is None:
                    return
                if not await self._route(request, writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return  # the client went away mid-request
        except asyncio.CancelledError:
            # stop(): end normally; on Python 3.11 asyncio's stream callback logs an error for a
            # connection task that ends cancelled
            return
        except Exception:  # a bug in the simulator: visible in the log and the stats
            log.exception("simserver: unexpected error")
            self._bump(errors=1)
            with contextlib.suppress(Exception):
                await _send(writer, 500, _error_body(500, "simserver internal error"), False)
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _route(self, req: _Request, writer: asyncio.StreamWriter) -> bool:
        """Answer one request; False when the connection must close."""
        keep = req.keep_alive
        routes = {
            "/health": "GET",
            "/v1/models": "GET",
            "/sim/stats": "GET",
            "/v1/chat/completions": "POST",
        }
        path = req.path.rstrip("/") or "/"
        if path not in routes:
            await _send(writer, 404, _error_body(404, f"no route {req.path}"), keep)
            return keep
        if req.method != routes[path]:
            await _send(writer, 405, _error_body(405, f"{req.method} not allowed"), keep)
            return keep
        if path == "/health":
            await _send(writer, 200, {"status": "ok"}, keep)
        elif path == "/v1/models":
            card = {"id": self.model, "object": "model", "created": 0, "owned_by": "simserver"}
            await _send(writer, 200, {"object": "list", "data": [card]}, keep)
        elif path == "/sim/stats":
            await _send(writer, 200, self.stats.counters(), keep)
        else:
            return await self._chat(req, writer, keep)
        return keep

    # -- chat completions ----------------------------------------------------------------------

    def _bump(self, **deltas: int) -> None:
        with self._lock:
            s = self._stats
            for name, delta in deltas.items():
                setattr(s, name, getattr(s, name) + delta)
            s.max_in_flight = max(s.max_in_flight, s.in_flight)
            s.max_waiting = max(s.max_waiting, s.waiting)

    async def _chat(self, req: _Request, writer: asyncio.StreamWriter, keep: bool) -> bool:
        try:
            body = json.loads(req.body)
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            self._bump(rejected=1)
            await _send(writer, 400, _error_body(400, "expected a JSON body with messages"), keep)
            return keep
        if body.get("stream"):
            self._bump(rejected=1)
            await _send(writer, 400, _error_body(400, "streaming is not simulated"), keep)
            return keep
        canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        key = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
        with self._lock:
            nth = self._seen.get(key, 0)
            self._seen[key] = nth + 1
            self._stats.requests += 1
            if self.keep_bodies:
                self._stats.bodies.append(body)
        faults = random.Random(f"{self.seed}|{key}|{nth}|fault")
        if faults.random() < self.fail_rate:
            kind = faults.choice(FAULT_KINDS)
            with self._lock:
                self._stats.failed_injected += 1
                self._stats.faults[kind] += 1
            if kind == "drop":
                return False  # closed without a response
            status = int(kind)
            extra = [("Retry-After", "0")] if status == 429 else []
            await _send(writer, status, _error_body(status, "injected failure"), keep, extra)
            return keep
        content, structured = _answer(body, random.Random(f"{self.seed}|{key}"))
        malformed = structured and faults.random() < self.malformed_rate
        if malformed:
            content = content[: len(content) // 2]
        finish = "stop"
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(limit, int) and limit > 0 and count_tokens(content) > limit:
            content, finish = _truncate_tokens(content, limit), "length"
        prompt_tokens = sum(count_tokens(_message_text(m)) + 4 for m in body["messages"])
        completion_tokens = count_tokens(content)

        # A slot for the whole service time; a request that finds none free queues for one.
        queued = self._slots.locked()
        if queued:
            self._bump(waiting=1)
        try:
            await self._slots.acquire()
        finally:
            if queued:
                self._bump(waiting=-1)
        self._bump(in_flight=1)
        try:
            await asyncio.sleep(self.latency_s + self.per_token_s * completion_tokens)
        finally:
            self._bump(in_flight=-1)
            self._slots.release()
        reply = {
            "id": f"chatcmpl-{key[:24]}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": str(body.get("model") or self.model),
            "system_fingerprint": f"simserver-{self.seed}",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "logprobs": None,
                    "finish_reason": finish,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        self._bump(  # before sending: a client that has the answer sees it counted
            completed=1,
            malformed_injected=int(malformed),
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
        )
        await _send(writer, 200, reply, keep)
        return keep


def _fields(stats: SimStats) -> dict[str, Any]:
    """The fields of ``stats`` without copying nested values (they are copied by the caller)."""
    return {name: getattr(stats, name) for name in stats.__dataclass_fields__}


# --- command line -----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m counselsim.llm.simserver``: print the base URL, serve until SIGINT/SIGTERM,
    then print the counters as JSON on stderr."""
    parser = argparse.ArgumentParser(
        prog="python -m counselsim.llm.simserver",
        description="A simulated OpenAI-compatible chat server (tests and benchmarks).",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--per-token", type=float, default=0.0, help="seconds per output token")
    parser.add_argument("--capacity", type=int, default=8, help="requests served at once")
    parser.add_argument("--fail-rate", type=float, default=0.0)
    parser.add_argument("--malformed-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--model", default="sim")
    args = parser.parse_args(argv)
    try:
        server = SimServer(
            latency_s=args.latency,
            capacity=args.capacity,
            fail_rate=args.fail_rate,
            malformed_rate=args.malformed_rate,
            seed=args.seed,
            model=args.model,
            per_token_s=args.per_token,
            host=args.host,
            port=args.port,
            keep_bodies=False,
        )
    except ValueError as exc:
        parser.error(str(exc))
    done = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        url = server.start()
    except OSError as exc:
        print(f"simserver: cannot bind {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    print(url, flush=True)
    while not done.wait(0.5):
        pass
    server.stop()
    print(json.dumps(server.stats.counters()), file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
