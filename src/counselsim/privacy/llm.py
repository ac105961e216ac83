"""The LLM layer: ask a chat model for identifiers the rules and dictionaries missed.

The model answers with schema-constrained JSON (:class:`DetectedIdentifiers`) through the
project's structured-output layer (:meth:`counselsim.llm.structured.LLM.structured`: the
engine's constrained decoding, validation and bounded repair). Its answer is distrusted:
only strings that occur literally in the text, contain no placeholder and are not
clinical content that must survive (relatives, ages, cities, weekdays, emotions) become
spans. :class:`RecordRemasker` runs the pass over whole imported records
(``counselsim profiles import --llm-mask``); :meth:`Masker.amask` over single texts
(``counselsim mask --llm``). Nothing here logs text or identifiers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeVar

from pydantic import BaseModel, Field

from counselsim.privacy.core import Masker, detect_language, locate
from counselsim.privacy.lexicon import EN_CITIES, is_city_level, words
from counselsim.privacy.spans import PLACEHOLDER_RE, EntityType, Span

if TYPE_CHECKING:
    from counselsim.config import Sampling
    from counselsim.llm.structured import LLM
    from counselsim.prompts import PromptLibrary


class DetectedIdentifier(BaseModel):
    """One identifier the model reports: the exact string and its type."""

    text: str = Field(min_length=1, max_length=200, description="exactly as in the text")
    type: EntityType


class DetectedIdentifiers(BaseModel):
    """The model's whole answer for one text."""

    identifiers: list[DetectedIdentifier] = Field(default_factory=list, max_length=60)


class _HasDeps(Protocol):
    """What is used of ``counselsim.agents.base.AgentDeps`` (duck-typed, no import)."""

    @property
    def llm(self) -> LLM: ...

    @property
    def prompts(self) -> PromptLibrary: ...

    def repair_prompt(self, lang: str) -> str: ...


if TYPE_CHECKING:
    ChatLLM: TypeAlias = "LLM | _HasDeps"  # an LLM, or an agent's AgentDeps

# Clinical content that must survive even when a model reports it.
_PROTECTED = frozenset(
    words(
        """
        妈妈 爸爸 母亲 父亲 妈 爸 老妈 老爸 爷爷 奶奶 外公 外婆 姥姥 姥爷 哥哥 姐姐 弟弟 妹妹 老公
        老婆 丈夫 妻子 爱人 儿子 女儿 孩子 男朋友 女朋友 男友 女友 同学 同事 老师 医生 领导 老板
        室友 朋友 家人 父母 咨询师 来访者 焦虑 抑郁 失眠 紧张 难过 害怕 愤怒 生气 孤独 绝望 自卑
        压力 恐惧 担心 伤心 学校 医院 公司 大学 中学 小学 高中 初中 小区 单位 家里 老家 Mom Mum
        Dad Mother Father Mommy Daddy Parents Brother Sister Husband Wife Son Daughter Grandma
        Grandpa Boyfriend Girlfriend Partner Boss Teacher Doctor Counselor Client Therapist God I
        Me anxiety depression insomnia sad angry anxious lonely scared stressed Monday Tuesday
        Wednesday Thursday Friday Saturday Sunday January February March April May June July
        August September October November December school college university hospital company work
        home
        """
    )
)
_AGE_OR_NUMBER_RE = re.compile(
    r"^(?:\d{1,3}\s*(?:岁|周岁|years?(?: old)?|yo)?|[一二三四五六七八九十]+岁)$", re.IGNORECASE
)
_WEEK_MONTH_RE = re.compile(
    r"^(?:周|星期|礼拜)[一二三四五六日天]$|^(?:\d{1,2}|[一二三四五六七八九十]{1,2})月$"
)


def is_protected(candidate: str) -> bool:
    """Content that must survive masking even if a model calls it an identifier."""
    s = candidate.strip()
    bare = re.sub(r"^(?:my|his|her|our|their|the)\s+", "", s, flags=re.IGNORECASE)
    return (
        s in _PROTECTED
        or bare in _PROTECTED
        or bare.capitalize() in _PROTECTED
        or is_city_level(s)
        or s in EN_CITIES
        or bool(_AGE_OR_NUMBER_RE.match(s))
        or bool(_WEEK_MONTH_RE.match(s))
    )


def accept(text: str, found: DetectedIdentifiers) -> list[Span]:
    """The model's findings that are real: literal, outside placeholders, not protected.

    Args:
        text: The text the model saw.
        found: Its answer.

    Returns:
        One span per occurrence of each accepted string that overlaps no placeholder,
        ordered by start (overlaps among them are left to ``resolve_overlaps``).
    """
    placeholders = [m.span() for m in PLACEHOLDER_RE.finditer(text)]
    spans: list[Span] = []
    seen: set[tuple[str, EntityType]] = set()
    for item in found.identifiers:
        s = item.text.strip()
        if (s, item.type) in seen or not s or PLACEHOLDER_RE.search(s) or is_protected(s):
            continue
        seen.add((s, item.type))
        if len(s) < 2 and not re.match(r"[\u4e00-\u9fff]", s):
            continue  # a single Latin letter or digit is never an identifier on its own
        for m in re.finditer(re.escape(s), text):
            start, end = m.span()
            if all(end <= a or start >= b for a, b in placeholders):
                spans.append(Span(start=start, end=end, type=item.type, text=s))
    return sorted(spans, key=lambda sp: sp.start)


async def llm_spans(
    llm: ChatLLM,
    text: str,
    language: str = "zh",
    *,
    prompts: PromptLibrary | None = None,
    sampling: Sampling | None = None,
    seed: int = 0,
) -> list[Span]:
    """Ask a chat model for identifiers in ``text`` that earlier layers missed.

    Args:
        llm: An :class:`~counselsim.llm.structured.LLM`, or an agent's ``AgentDeps`` (its
            model, prompt library and repair prompt are used).
        text: The text to check, usually already masked by the rules and dictionaries
            (placeholders such as ``[NAME_1]`` are ignored).
        language: "zh" or "en": which prompt to use.
        prompts: Prompt library for a bare ``LLM`` (a new one by default).
        sampling: Decoding settings; greedy with room for a list by default.
        seed: Sampling seed.

    Returns:
        Spans in ``text`` for the accepted findings (see :func:`accept`).

    Raises:
        StructuredOutputError: The model's answer stayed invalid after the repairs.
    """
    from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

    from counselsim.config import RunConfig, Step
    from counselsim.llm.structured import LLM
    from counselsim.prompts import PromptLibrary

    lang = language if language in ("zh", "en") else "zh"
    if isinstance(llm, LLM):
        model, library = llm, prompts or PromptLibrary()
        repair = library.repair(lang)
    else:
        model, library = llm.llm, llm.prompts
        repair = llm.repair_prompt(lang)
    prompt = library.render("masker", "detect", lang, text=text)
    messages: list[BaseMessage] = [SystemMessage(content=prompt.system), HumanMessage(prompt.user)]
    found = await model.structured(
        messages,
        DetectedIdentifiers,
        sampling or RunConfig().sampling[Step.MASK_DETECT],
        seed,
        Step.MASK_DETECT.value,
        repair,
    )
    return accept(text, found)


# Fields of profiles and dialogues that hold ids or enum values, never free text.
NOT_TEXT_FIELDS = frozenset(
    {"id", "language", "source", "role", "style", "defenses", "risk_flags", "resistance"}
)
M = TypeVar("M", bound=BaseModel)


class RecordRemasker:
    """The LLM pass over whole records that an importer has already masked.

    Importers mask every text of a record with its own :class:`~counselsim.privacy.Masker`
    (rules and dictionaries). :meth:`track` remembers that Masker per record id; then
    :meth:`remask` makes one model call per record on all its (already masked) texts and
    masks what the model found, in every text field, with the same Masker: placeholder
    numbering continues and surrogates stay consistent across fields.

    Args:
        llm: An :class:`~counselsim.llm.structured.LLM` or an agent's ``AgentDeps``.
        seed: Sampling seed of the model calls.
    """

    def __init__(self, llm: ChatLLM, *, seed: int = 0) -> None:
        self.llm = llm
        self.seed = seed
        self._maskers: dict[str, Masker] = {}

    def track(self, factory: Callable[[str], Masker]) -> Callable[[str], Masker]:
        """A Masker factory that also remembers each record's Masker for :meth:`remask`."""

        def make(record_id: str) -> Masker:
            masker = self._maskers[record_id] = factory(record_id)
            return masker

        return make

    async def remask(self, record_id: str, item: M) -> M:
        """``item`` with what the model finds in its text fields masked too.

        Raises:
            StructuredOutputError: The model's answer stayed invalid after the repairs.
        """
        masker = self._maskers.pop(record_id, None)
        data = item.model_dump(mode="json")
        texts = [s for s in _strings(data) if s.strip()]
        if not texts:
            return item
        if masker is None:  # not tracked: number on after the record's own placeholders
            masker = Masker()
            masker.mapping = {
                m.group(): m.group() for t in texts for m in PLACEHOLDER_RE.finditer(t)
            }
        language = data.get("language") if data.get("language") in ("zh", "en") else None
        joined = "\n".join(texts)
        found = await llm_spans(
            self.llm, joined, language or detect_language(joined), seed=self.seed
        )
        ours = set(masker.mapping.values())  # our own surrogates are no new identifiers
        found = [f for f in found if f.text not in ours]
        if not found:
            return item

        def remask_text(text: str) -> str:
            taken = [
                Span(start=m.start(), end=m.end(), type=EntityType.NAME, text=m.group())
                for m in PLACEHOLDER_RE.finditer(text)
            ]
            extra = locate(text, found, taken)
            return masker.apply(text, extra).text if extra else text

        return type(item).model_validate(_map_strings(data, remask_text))


def _strings(value: Any, key: str = "") -> Iterator[str]:
    """Every free-text string in a dumped record (see :data:`NOT_TEXT_FIELDS`)."""
    if key in NOT_TEXT_FIELDS:
        return
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v, key)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, k)


def _map_strings(value: Any, fn: Callable[[str], str], key: str = "") -> Any:
    if key in NOT_TEXT_FIELDS:
        return value
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, list):
        return [_map_strings(v, fn, key) for v in value]
    if isinstance(value, dict):
        return {k: _map_strings(v, fn, k) for k, v in value.items()}
    return value
