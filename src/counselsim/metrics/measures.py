"""Automatic corpus measures and :func:`compute_metrics`, the content of ``metrics.json``.

Every measure is a pure function of a list of :class:`MetricDialogue`. Rates and shares are
rounded to 4 places; PUW and UWPD to 2 (as PsyDial); means to 2. Identifier counts give
labels and numbers only, never the identifiers.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from counselsim.errors import OutputError
from counselsim.labels import Role
from counselsim.metrics.corpus import MetricDialogue, MetricsError
from counselsim.metrics.lexical import distinct, ldd_at, ldd_both, words
from counselsim.privacy import PLACEHOLDER_RE, detect
from counselsim.privacy.spans import CJK_RE
from counselsim.runs.files import write_atomic

ROLES: tuple[Role, ...] = (Role.CLIENT, Role.COUNSELOR)

LDD_NOTE = "LDD grows with the number of dialogues D: compare corpora only at equal D (equal_d)."
LDD_WORDS_NOTE = (
    "ldd counts every jieba token, spaces and punctuation included, exactly as PsyDial's "
    "cal_LDD script does (comparable with its published values); on English text about 40 % "
    "of those tokens are spaces, which roughly halves LDD. ldd_words is the same measure "
    "without whitespace-only tokens: compare English corpora, or English with Chinese, on it."
)
NO_IDENTIFIERS_NOTE = "identifiers: not counted (--no-identifiers)."


def _key(text: str) -> str:
    """Lower-cased text without punctuation and spaces (what repetition and backchannels
    compare)."""
    return "".join(re.findall(r"\w+", text.casefold()))


BACKCHANNELS: frozenset[str] = frozenset(
    _key(w)
    for w in (
        *("嗯", "嗯嗯", "嗯嗯嗯", "嗯哼", "哦", "噢", "喔", "好", "好的", "是的", "是", "对"),
        *("对的", "对对", "没错", "明白", "明白了", "我明白", "我明白了", "了解", "我理解"),
        *("i see", "mm", "mm-hmm", "mhm", "hmm", "uh-huh", "okay", "ok", "right", "yeah"),
        *("yes", "sure", "i understand", "got it"),
    )
)
"""A counselor turn is a backchannel when its whole text, lower-cased and stripped of
punctuation and spaces, is one of these (given here as written)."""

BRIEF_CJK_CHARS = 12
"""A turn with Chinese characters is brief at this many of them or fewer."""
BRIEF_EN_WORDS = 8
"""A turn without Chinese characters is brief at this many words or fewer."""

NEAR_REPEAT = 0.8
"""Character-trigram Jaccard similarity (:func:`counselsim.critic.form.similarity`) from
which a turn counts as a near repeat of an earlier one."""

_SENTENCE_SPLIT = re.compile(r"[。！？!?.\n]+")
_WORD = re.compile(r"\w")


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean(xs: Sequence[float]) -> float | None:
    return round(statistics.fmean(xs), 2) if xs else None


def _texts(dialogues: Sequence[MetricDialogue], role: Role) -> list[str]:
    return [t.text for d in dialogues for t in d.turns if t.role is role]


# --------------------------------------------------------------------------- turns, lengths


def turn_counts(dialogues: Sequence[MetricDialogue]) -> dict[str, Any]:
    """Raw turns (messages) per dialogue: mean, median, min, max; for counselsim sessions
    also the mean sessions per course and turns per session."""
    counts = [len(d.turns) for d in dialogues]
    out: dict[str, Any] = {
        "mean": _mean(counts),
        "median": float(statistics.median(counts)) if counts else None,
        "min": min(counts, default=None),
        "max": max(counts, default=None),
    }
    sessions = [d for d in dialogues if d.course_id is not None]
    if sessions:
        out["sessions_per_course"] = round(len(sessions) / len({d.course_id for d in sessions}), 2)
        out["turns_per_session"] = _mean([len(d.turns) for d in sessions])
    return out


def avg_turns(dialogues: Sequence[MetricDialogue]) -> float | None:
    """PsyDial's turns per dialogue: the mean over dialogues of messages / 2."""
    return _mean([len(d.turns) / 2 for d in dialogues])


def sentences(text: str) -> int:
    """Sentences of a text: pieces between 。！？!?. and line breaks that hold a letter,
    digit or Chinese character (a text without an end mark is one sentence)."""
    return sum(1 for piece in _SENTENCE_SPLIT.split(text) if _WORD.search(piece))


def utterance_length(dialogues: Sequence[MetricDialogue], role: Role) -> dict[str, Any]:
    """Mean length of ``role``'s utterances in characters, :func:`words` tokens and
    :func:`sentences` (Psy-Insight: ~1.7 sentences per human counselor reply)."""
    turns = [(t.text, d.language) for d in dialogues for t in d.turns if t.role is role]
    return {
        "utterances": len(turns),
        "chars": _mean([len(text) for text, _ in turns]),
        "tokens": _mean([len(words(text, lang)) for text, lang in turns]),
        "sentences": _mean([sentences(text) for text, _ in turns]),
    }


# --------------------------------------------------------------------------- minimal responses


def is_backchannel(text: str) -> bool:
    """The whole turn is a :data:`BACKCHANNELS` entry (punctuation and case ignored)."""
    return _key(text) in BACKCHANNELS


def is_brief_reflection(text: str) -> bool:
    """A short turn (≤ :data:`BRIEF_CJK_CHARS` Chinese characters, or ≤ :data:`BRIEF_EN_WORDS`
    words without Chinese) that is not empty, not a question (no ?/？, no final 吗) and not
    a backchannel. A heuristic for PsyDial's brief reflective responses."""
    key = _key(text)
    if not key or key in BACKCHANNELS or "?" in text or "？" in text or key.endswith("吗"):
        return False
    cjk = len(CJK_RE.findall(text))
    if cjk:
        return cjk <= BRIEF_CJK_CHARS
    return sum(1 for w in words(text, "en") if _WORD.match(w)) <= BRIEF_EN_WORDS


def minimal_response(dialogues: Sequence[MetricDialogue]) -> dict[str, Any]:
    """Share of counselor turns that are a backchannel or a brief reflection (real
    counseling ≈ 4-5 %, PsyDial D4; LLM-synthesised dialogues have almost none)."""
    texts = _texts(dialogues, Role.COUNSELOR)
    back = sum(1 for t in texts if is_backchannel(t))
    brief = sum(1 for t in texts if is_brief_reflection(t))
    return {
        "backchannel_rate": _rate(back, len(texts)),
        "brief_reflection_rate": _rate(brief, len(texts)),
        "rate": _rate(back + brief, len(texts)),
        "counselor_turns": len(texts),
    }


# --------------------------------------------------------------------------- labels


def label_shares(turns: Iterable[Sequence[str]]) -> tuple[dict[str, float], int]:
    """Each label's share of the labelled turns, and how many those are. Every labelled turn
    weighs 1, split equally among its distinct labels (a turn with two labels counts half
    for each), so the shares sum to 1; turns without labels are left out. Labels in order
    of first appearance."""
    weight: defaultdict[str, float] = defaultdict(float)
    n = 0
    for labels in turns:
        distinct = dict.fromkeys(labels)
        if distinct:
            n += 1
            for label in distinct:
                weight[label] += 1 / len(distinct)
    return {label: w / n for label, w in weight.items()}, n


def label_distribution(dialogues: Sequence[MetricDialogue], role: Role) -> dict[str, Any]:
    """Strategies (counselor) or emotions (client): the number of the role's labelled turns
    and each label's :func:`label_shares` share, largest first. ``{}`` when no turn of the
    role is labelled."""
    shares, n = label_shares(
        t.strategies if role is Role.COUNSELOR else t.emotions
        for d in dialogues
        for t in d.turns
        if t.role is role
    )
    if not n:
        return {}
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    return {"labelled_turns": n, "shares": {k: round(v, 4) for k, v in ranked}}


# --------------------------------------------------------------------------- repetition


def repetition(dialogues: Sequence[MetricDialogue], role: Role) -> dict[str, Any]:
    """Repeated turns of ``role``.

    ``exact``: turns whose text (lower-cased, punctuation and spaces removed) equals an
    earlier turn of the same role in the same dialogue; ``near``: the other turns at
    :data:`NEAR_REPEAT` similarity or more to such an earlier turn; ``rate`` =
    (exact + near) / turns; ``corpus_exact_duplicates``: share of the role's utterances whose
    text occurs more than once in the whole corpus (every occurrence counts). Turns without
    any letter, digit or Chinese character are never repeats.
    """
    from counselsim.critic.form import similarity  # imports the critic: only when needed

    exact = near = 0
    for d in dialogues:
        earlier: list[str] = []
        seen: set[str] = set()
        for turn in d.turns:
            key = _key(turn.text)
            if turn.role is not role or not key:
                continue
            if key in seen:
                exact += 1
            elif any(similarity(turn.text, e) >= NEAR_REPEAT for e in earlier):
                near += 1
            earlier.append(turn.text)
            seen.add(key)
    texts = _texts(dialogues, role)
    keys = Counter(k for k in map(_key, texts) if k)
    duplicated = sum(1 for t in texts if keys[_key(t)] > 1)
    return {
        "turns": len(texts),
        "exact": exact,
        "near": near,
        "rate": _rate(exact + near, len(texts)),
        "corpus_exact_duplicates": _rate(duplicated, len(texts)),
    }


# --------------------------------------------------------------------------- identifiers


def identifier_counts(dialogue: MetricDialogue) -> dict[Role, Counter[str]]:
    """Identifiers the masker's detectors (rules and NER) find in each role's turns, by
    label (``NAME``, ``PHONE``, ...). Only counts: the identifiers are not kept."""
    out: dict[Role, Counter[str]] = {role: Counter() for role in ROLES}
    for turn in dialogue.turns:
        out[turn.role].update(str(span.type) for span in detect(turn.text))
    return out


def _identifiers(per_dialogue: Sequence[dict[Role, Counter[str]]]) -> dict[str, Any]:
    by_role = {role: sum((c[role] for c in per_dialogue), Counter[str]()) for role in ROLES}
    total = sum(by_role.values(), Counter[str]())
    return {
        **{str(role): dict(sorted(c.items())) for role, c in by_role.items()},
        "total": dict(sorted(total.items())),
    }


def placeholders(dialogues: Sequence[MetricDialogue]) -> dict[str, int]:
    """``[TYPE_n]`` placeholders already in the text (masked data), per role and in all."""
    out = {
        str(role): sum(len(PLACEHOLDER_RE.findall(t)) for t in _texts(dialogues, role))
        for role in ROLES
    }
    out["total"] = sum(out.values())
    return out


# --------------------------------------------------------------------------- the report


def _block(
    dialogues: Sequence[MetricDialogue], ids: Sequence[dict[Role, Counter[str]]] | None
) -> dict[str, Any]:
    """The measures of one corpus; ``ids`` are its identifier counts (None: not counted)."""
    lexical = {r: ldd_both(dialogues, r) for r in ROLES}
    return {
        "dialogues": len(dialogues),
        "languages": dict(sorted(Counter(d.language for d in dialogues).items())),
        "avg_turns": avg_turns(dialogues),
        "turns": turn_counts(dialogues),
        "ldd": {str(r): both[0] for r, both in lexical.items()},
        "ldd_words": {str(r): both[1] for r, both in lexical.items()},
        "distinct": {str(r): distinct(dialogues, r) for r in ROLES},
        "utterance_length": {str(r): utterance_length(dialogues, r) for r in ROLES},
        "minimal_response": minimal_response(dialogues),
        "strategies": label_distribution(dialogues, Role.COUNSELOR),
        "emotions": label_distribution(dialogues, Role.CLIENT),
        "repetition": {str(r): repetition(dialogues, r) for r in ROLES},
        "identifiers": None if ids is None else _identifiers(ids),
        "placeholders": placeholders(dialogues),
    }


def compute_metrics(
    inputs: list[tuple[str, list[MetricDialogue]]],
    equal_d: int | None = None,
    draws: int = 10,
    seed: int = 0,
    identifiers: bool = True,
) -> dict[str, Any]:
    """All measures over the pooled inputs, for ``metrics.json``.

    Args:
        inputs: ``(name, dialogues)`` per input (the name is usually its path).
        equal_d: subsample size for the equal-D LDD; default (with several inputs): the
            smallest input's D.
        draws: subsamples per input and role.
        seed: seed of the subsampling.
        identifiers: count identifiers with the masker's detectors (most of the time on a
            large corpus); ``False`` gives ``"identifiers": null`` and says so in ``notes``.

    Returns:
        The pooled measures at the top level plus ``paths`` (the input names) and
        ``notes``; ``inputs`` (one block of the same measures per input, with its
        ``input`` name) only when there are several inputs; ``equal_d`` (per input and
        role, :func:`~counselsim.metrics.lexical.ldd_at`) when there are several inputs or
        ``equal_d`` is given.

    Raises:
        MetricsError: no input, an empty input, or ``equal_d`` larger than an input.
    """
    if not inputs:
        raise MetricsError("no metrics input given")
    for name, dialogues in inputs:
        if not dialogues:
            raise MetricsError(f"{name}: empty corpus (no dialogues)")
    size = equal_d if equal_d is not None else min(len(ds) for _, ds in inputs)
    for name, dialogues in inputs:  # checked before the slow measures
        if size > len(dialogues):
            raise MetricsError(
                f"equal-D: d={size} is larger than input {name} ({len(dialogues)} dialogues)"
            )
    ids = [
        [identifier_counts(d) for d in dialogues] if identifiers else None
        for _, dialogues in inputs
    ]
    pooled = [d for _, dialogues in inputs for d in dialogues]
    pooled_ids = [c for per_input in ids for c in per_input or ()] if identifiers else None
    result: dict[str, Any] = {
        "paths": [name for name, _ in inputs],
        **_block(pooled, pooled_ids),
        "notes": [LDD_NOTE, LDD_WORDS_NOTE, *([] if identifiers else [NO_IDENTIFIERS_NOTE])],
    }
    if len(inputs) > 1:
        result["inputs"] = [
            {"input": name, **_block(dialogues, counts)}
            for (name, dialogues), counts in zip(inputs, ids, strict=True)
        ]
    if len(inputs) > 1 or equal_d is not None:
        per_input = [
            {"input": name, **{str(r): ldd_at(dialogues, r, size, draws, seed) for r in ROLES}}
            for name, dialogues in inputs
        ]
        result["equal_d"] = {"d": size, "draws": draws, "seed": seed, "inputs": per_input}
    return result


def write_metrics(result: dict[str, Any], out: Path) -> None:
    """Write ``result`` as indented UTF-8 JSON, atomically.

    Raises:
        OutputError: the file cannot be written.
    """
    try:
        write_atomic(out, json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    except OSError as exc:
        raise OutputError(f"{out}: cannot write: {exc.strerror or type(exc).__name__}") from None
