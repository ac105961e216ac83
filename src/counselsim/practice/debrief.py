"""The debrief: what the trainee reads after a session, once nothing needs hiding any more.

Hidden facts, the formulation and strategy mix are compared by words, not by a model: a fact
counts as drawn out when the client was ready to tell it (the stance policy offered it) and
then said enough of its words; a formulation item as found when the trainee's field holds
enough of its words. Both are rough by design and labelled so; the reference text is always
shown beside the trainee's.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

from counselsim.agents.views import SPEAKER
from counselsim.labels import EndReason
from counselsim.personas.models import ClientProfile
from counselsim.practice.models import (
    Debrief,
    EvidenceSummary,
    Formulation,
    FormulationField,
    HiddenFactResult,
    JudgeStatus,
    PublicTurn,
)
from counselsim.records import ClientTurn, CounselorTurn, CriticReport, Turn

UNCOVERED_SHARE = 0.25  # share of a hidden fact's words the client must say
FOUND_SHARE = 0.3  # share of a reference item's words the trainee's field must hold
# fmt: off
_STOP = frozenset((
    "the", "and", "for", "that", "this", "with", "from", "have", "has", "had", "was", "were",
    "are", "you", "your", "she", "her", "his", "him", "they", "them", "their", "what", "when",
    "who", "how", "why", "not", "but", "she's", "it's", "its", "into", "onto", "over", "about",
    "just", "very", "more", "most", "some", "any", "all", "can", "could", "would", "should",
    "will", "been", "being", "does", "did",
))
# fmt: on
_CJK = re.compile(r"[\u4e00-\u9fff]+")
_WORD = re.compile(r"[a-z']+")
_ITEMS = re.compile(r"[\n;；。,，、]+")


def _terms(text: str, lang: str) -> set[str]:
    """Character bigrams of Chinese runs (zh), else content words, crudely stemmed (en)."""
    if lang == "zh":
        runs = _CJK.findall(text)
        return {r[i : i + 2] for r in runs for i in range(max(len(r) - 1, 1))}
    words = (w.strip("'") for w in _WORD.findall(text.lower()))
    return {_stem(w) for w in words if len(w) > 2 and w not in _STOP}


def _stem(word: str) -> str:
    """Drop a common suffix when at least three letters stay (wishes -> wish, days -> day)."""
    cut = re.sub(r"(ing|ed|es|s|ly)$", "", word)
    return cut if len(cut) >= 3 else word


def term_share(reference: str, yours: str, lang: str) -> float:
    """Share of ``reference``'s terms found in ``yours`` (a term counts when either starts
    with the other, e.g. guilt/guilty, exhaust/exhaustion)."""
    ref, got = _terms(reference, lang), _terms(yours, lang)
    if not ref:
        return 0.0
    hit = sum(1 for r in ref if r in got or any(_same_stem(r, g) for g in got))
    return hit / len(ref)


def _same_stem(a: str, b: str) -> bool:
    short, long = sorted((a, b), key=len)
    return len(short) > 3 and long.startswith(short)


def hidden_facts(
    profile: ClientProfile, turns: Sequence[Turn], offered: Sequence[Sequence[int]]
) -> list[HiddenFactResult]:
    """Each hidden fact: offered for disclosure this session, and said by the client."""
    lang = profile.language.value
    out = []
    for k, fact in enumerate(profile.hidden):
        first = min((t for t, f in offered if f == k), default=None)
        said = None
        if first is not None:
            said = next(
                (
                    t.index
                    for t in turns
                    if isinstance(t, ClientTurn)
                    and t.index >= first
                    and term_share(fact.content, t.text, lang) >= UNCOVERED_SHARE
                ),
                None,
            )
        out.append(
            HiddenFactResult(
                content=fact.content,
                disclose_when=fact.disclose_when,
                min_session=fact.min_session,
                offered=first is not None,
                uncovered=said is not None,
                turn=said,
            )
        )
    return out


def _references(profile: ClientProfile) -> dict[str, list[str]]:
    thoughts = [a for s in profile.situations for a in s.automatic_thoughts]
    emotions = [*profile.emotions, *(e for s in profile.situations for e in s.emotions)]
    return {
        "presenting_problem": [profile.presenting_problem],
        "core_beliefs": list(profile.core_beliefs),
        "intermediate_beliefs": list(profile.intermediate_beliefs),
        "automatic_thoughts": list(dict.fromkeys(thoughts)),
        "emotions": list(dict.fromkeys(emotions)),
    }


def compare_formulation(profile: ClientProfile, yours: Formulation) -> list[FormulationField]:
    """The trainee's formulation beside the profile's, field by field."""
    lang = profile.language.value
    out = []
    for name, reference in _references(profile).items():
        text = str(getattr(yours, name))
        items = [i for i in _ITEMS.split(text) if i.strip()] or [text]
        matched = [
            any(term_share(ref, item, lang) >= FOUND_SHARE for item in items) for ref in reference
        ]
        out.append(FormulationField(field=name, yours=text, reference=reference, matched=matched))
    risk = [r.value for r in profile.risk_flags]
    given = [r.value for r in yours.risk]
    out.append(
        FormulationField(
            field="risk", yours=", ".join(given), reference=risk, matched=[r in given for r in risk]
        )
    )
    return out


def strategy_mix(turns: Sequence[Turn]) -> dict[str, int]:
    """How often each (coded) strategy was used by the trainee."""
    counts = Counter(s.value for t in turns if isinstance(t, CounselorTurn) for s in t.strategy)
    return dict(counts.most_common())


def public_turns(turns: Sequence[Turn]) -> list[PublicTurn]:
    """The spoken words only."""
    return [PublicTurn(index=t.index, role=t.role, text=t.text) for t in turns]


def transcript_markdown(session_id: str, profile: ClientProfile, turns: Sequence[Turn]) -> str:
    """The session as Markdown: a heading, then one paragraph per turn."""
    names = SPEAKER[profile.language.value]
    lines = [f"# {session_id}", "", f"Persona: {profile.id}", ""]
    for t in turns:
        lines += [f"**{names[t.role]}:** {t.text}", ""]
    return "\n".join(lines)


def build_debrief(
    session_id: str,
    course_id: str,
    session_index: int,
    profile: ClientProfile,
    turns: Sequence[Turn],
    offered: Sequence[Sequence[int]],
    end_reason: EndReason,
    scores: CriticReport,
    judge: JudgeStatus,
    checks: EvidenceSummary,
    formulation: Formulation,
    transcript: dict[str, str],
) -> Debrief:
    """Everything the trainee reads after the session."""
    return Debrief(
        id=session_id,
        course_id=course_id,
        session_index=session_index,
        profile_id=profile.id,
        language=profile.language.value,
        end_reason=end_reason,
        turns=public_turns(turns),
        judge=judge,
        scores=scores,
        checks=checks,
        hidden_facts=hidden_facts(profile, turns, offered),
        formulation=compare_formulation(profile, formulation),
        strategy_mix=strategy_mix(turns),
        transcript=transcript,
    )
