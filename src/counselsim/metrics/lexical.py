"""Tokenisation and lexical diversity: LDD (PsyDial) and Distinct-n (Li et al., 2016).

Two tokenisations, on purpose:

- :func:`ldd_tokens` is ``jieba.lcut(utterance)`` with *no* filtering: punctuation, spaces
  and stop words all count, exactly as PsyDial's public ``cal_LDD`` script counts them, so
  ``ldd`` is comparable with the paper's values. On English text jieba keeps every space as a
  token (about 42 % of the tokens of an English corpus), which roughly halves LDD; ``ldd_words``
  is the same measure without the whitespace-only tokens, in both languages.
- :func:`words` is for everything else (Distinct-n, tokens per utterance): jieba without the
  whitespace-only tokens for Chinese dialogues, lower-cased words and punctuation marks for
  English ones, with typographic apostrophes read as ``'`` (``I’m`` = ``I'm``).

jieba is initialised once, quietly, by the masker's loader (the same dictionary serves
``jieba.lcut`` and the masker's POS tagger).
"""

from __future__ import annotations

import random
import re
import statistics
from collections.abc import Sequence
from typing import Any, Literal, TypedDict

from counselsim.labels import Role
from counselsim.metrics.corpus import MetricDialogue, MetricsError
from counselsim.privacy.ner.zh_tokens import segmenter

DISTINCT_N: tuple[int, ...] = (1, 2, 3)
"""The n of Distinct-n."""

_EN_TOKEN = re.compile(r"\w+(?:'\w+)?|[^\w\s]")
# Right single quotation mark (the usual typographic apostrophe), left one, modifier letter
# apostrophe, full-width apostrophe: all written for "'" inside English words.
_APOSTROPHES = str.maketrans(dict.fromkeys("\u2019\u2018\u02bc\uff07", "'"))


def _jieba() -> Any:
    segmenter()  # imports jieba, silences its logger and loads the dictionary, once
    import jieba

    return jieba


def ldd_tokens(text: str) -> list[str]:
    """``jieba.lcut(text)``, unfiltered: the tokens PsyDial's LDD counts."""
    tokens: list[str] = _jieba().lcut(text)
    return tokens


def words(text: str, language: Literal["zh", "en"]) -> list[str]:
    """Tokens for Distinct-n and lengths: jieba minus whitespace-only tokens (zh), or
    lower-cased words (with an inner apostrophe, straight or typographic: ``don't``,
    ``don’t``) and punctuation marks (en)."""
    if language == "zh":
        return [t for t in ldd_tokens(text) if t.strip()]
    return _EN_TOKEN.findall(text.lower().translate(_APOSTROPHES))


class LDD(TypedDict):
    """PsyDial's lexical diversity of one role over a corpus of D dialogues.

    ``tokens`` = N (all jieba tokens of the role), ``vocab`` = V (distinct tokens);
    ``puw`` = round(100·V/N, 2), the percentage of unique words; ``uwpd`` = round(V/D, 2),
    unique words per dialogue; ``ldd`` = puw·uwpd (≈ 100·V²/(N·D)), the product of the two
    rounded values as PsyDial's script computes it, not rounded again (``round(·, 4)`` only
    drops binary noise: a product of two 2-decimal numbers has at most 4). ``puw`` and
    ``ldd`` are ``None`` when the role has no tokens (N = 0).
    """

    puw: float | None
    uwpd: float
    ldd: float | None
    tokens: int
    vocab: int


def _ldd_of(n: int, vocab: int, d: int) -> LDD:
    puw = round(100 * vocab / n, 2) if n else None
    uwpd = round(vocab / d, 2) if d else 0.0
    ldd = round(puw * uwpd, 4) if puw is not None else None
    return LDD(puw=puw, uwpd=uwpd, ldd=ldd, tokens=n, vocab=vocab)


class _Tokens:
    """The LDD tokens of one role in one dialogue: all of them, and the whitespace-only ones
    (kept apart so ``ldd`` and ``ldd_words`` come from one tokenisation)."""

    __slots__ = ("n", "n_space", "spaces", "vocab")

    def __init__(self) -> None:
        self.n, self.vocab = 0, set[str]()
        self.n_space, self.spaces = 0, set[str]()

    def add(self, tokens: list[str]) -> None:
        blank = [t for t in tokens if not t.strip()]
        self.n += len(tokens)
        self.vocab.update(tokens)
        self.n_space += len(blank)
        self.spaces.update(blank)


def _per_dialogue(dialogues: Sequence[MetricDialogue], role: Role) -> list[_Tokens]:
    """The LDD tokens of ``role`` in each dialogue, tokenised once."""
    out: list[_Tokens] = []
    for dialogue in dialogues:
        counts = _Tokens()
        for turn in dialogue.turns:
            if turn.role is role:
                counts.add(ldd_tokens(turn.text))
        out.append(counts)
    return out


def _pooled(parts: Sequence[_Tokens], words_only: bool = False) -> LDD:
    vocab: set[str] = set().union(*(p.vocab for p in parts))
    n = sum(p.n for p in parts)
    if words_only:
        vocab -= set().union(*(p.spaces for p in parts))
        n -= sum(p.n_space for p in parts)
    return _ldd_of(n, len(vocab), len(parts))


def ldd(dialogues: Sequence[MetricDialogue], role: Role, words_only: bool = False) -> LDD:
    """LDD of ``role`` over ``dialogues`` (D = all dialogues, whether the role speaks in
    them or not), exactly as PsyDial computes it; with ``words_only`` (``ldd_words``)
    whitespace-only tokens are left out of N and V. LDD grows with D: compare corpora with
    :func:`ldd_at`."""
    return _pooled(_per_dialogue(dialogues, role), words_only)


def ldd_both(dialogues: Sequence[MetricDialogue], role: Role) -> tuple[LDD, LDD]:
    """``(ldd, ldd_words)`` of ``role`` from one tokenisation (see :func:`ldd`)."""
    parts = _per_dialogue(dialogues, role)
    return _pooled(parts), _pooled(parts, words_only=True)


class Spread(TypedDict):
    """Mean and sample standard deviation over the draws (sd 0.0 for one draw); ``None``
    when a value was undefined in a draw (no tokens)."""

    mean: float | None
    sd: float | None


class LDDAt(TypedDict):
    """LDD at an equal corpus size: ``draws`` subsamples of ``d`` dialogues (``ldd_words``:
    the same subsamples without whitespace-only tokens)."""

    d: int
    draws: int
    ldd: Spread
    puw: Spread
    uwpd: Spread
    ldd_words: Spread


def _spread(values: Sequence[float | None]) -> Spread:
    if any(v is None for v in values):
        return Spread(mean=None, sd=None)
    xs = [float(v) for v in values if v is not None]
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    return Spread(mean=round(statistics.fmean(xs), 2), sd=round(sd, 2))


def ldd_at(dialogues: Sequence[MetricDialogue], role: Role, d: int, draws: int, seed: int) -> LDDAt:
    """LDD of ``role`` on ``draws`` random subsets of ``d`` dialogues each (without
    replacement, ``random.Random(seed)``: the same seed gives the same subsets).

    Raises:
        MetricsError: ``d`` or ``draws`` below 1, or ``d`` larger than the corpus.
    """
    if d < 1 or draws < 1:
        raise MetricsError(f"equal-D needs d >= 1 and draws >= 1 (got d={d}, draws={draws})")
    if d > len(dialogues):
        raise MetricsError(
            f"equal-D: cannot subsample d={d} dialogues from a corpus of {len(dialogues)}"
        )
    parts = _per_dialogue(dialogues, role)
    rng = random.Random(seed)
    samples = [[parts[i] for i in rng.sample(range(len(parts)), d)] for _ in range(draws)]
    results = [_pooled(sample) for sample in samples]
    return LDDAt(
        d=d,
        draws=draws,
        ldd=_spread([r["ldd"] for r in results]),
        puw=_spread([r["puw"] for r in results]),
        uwpd=_spread([r["uwpd"] for r in results]),
        ldd_words=_spread([_pooled(sample, words_only=True)["ldd"] for sample in samples]),
    )


def distinct(dialogues: Sequence[MetricDialogue], role: Role) -> dict[str, float | None]:
    """Distinct-n of ``role`` over the corpus, n = 1..3: distinct n-grams / all n-grams,
    n-grams taken within each utterance (:func:`words` tokens), rounded to 4 places;
    ``None`` when the role has no n-gram of that length."""
    grams: dict[int, set[tuple[str, ...]]] = {n: set() for n in DISTINCT_N}
    totals = dict.fromkeys(DISTINCT_N, 0)
    for dialogue in dialogues:
        for turn in dialogue.turns:
            if turn.role is not role:
                continue
            tokens = words(turn.text, dialogue.language)
            for n in DISTINCT_N:
                seq = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
                totals[n] += len(seq)
                grams[n].update(seq)
    return {str(n): round(len(grams[n]) / totals[n], 4) if totals[n] else None for n in DISTINCT_N}
