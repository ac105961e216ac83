"""G-Eval scores: an item's score as the probability-weighted mean over its allowed scores.

A judge's answer is JSON with a score per item (after its rationale). Where the engine
returned token log-probabilities, the score token of each item is found in the token stream
and the model's distribution at that position is read: ``sum(s * P(s)) / sum(P(s))`` over
the allowed scores ``s`` among the alternatives given there (renormalised over the allowed
ones, so mass on other tokens does not pull the score down). Liu et al. (2023) found this
correlates better with human ratings than the sampled score, most for small judges.

Tokens come in the OpenAI shape (``response_metadata["logprobs"]["content"]`` of
langchain-openai; the embedded engine and the test fakes give the same shape): one entry per
generated token with ``token``, ``logprob``, optional ``bytes`` and ``top_logprobs``.

Everything works on bytes: the joined token bytes are scanned as JSON, so a score's position
is found in exactly the stream the distributions belong to (UTF-8 continuation bytes are
never ASCII, so multi-byte text in a rationale cannot be mistaken for JSON syntax).

When a distribution cannot be read, :class:`NoDistribution` says why and the caller keeps the
sampled scores.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class NoDistribution(Exception):
    """G-Eval cannot be read from this answer; the message says why."""


@dataclass(frozen=True)
class Alternative:
    """One candidate token at a position and its log-probability."""

    text: bytes
    logprob: float


@dataclass(frozen=True)
class Token:
    """One generated token, its log-probability and the top alternatives at its position."""

    text: bytes
    logprob: float
    top: tuple[Alternative, ...]


def _bytes(entry: Mapping[str, Any]) -> bytes:
    raw = entry.get("bytes")
    return bytes(raw) if isinstance(raw, list) else str(entry.get("token", "")).encode()


def tokens_from_openai(content: Any) -> list[Token] | None:
    """Tokens from OpenAI-shaped ``logprobs.content``; None when absent or malformed."""
    if not isinstance(content, list) or not content:
        return None
    try:
        return [
            Token(
                _bytes(e),
                float(e["logprob"]),
                tuple(
                    Alternative(_bytes(a), float(a["logprob"])) for a in e.get("top_logprobs") or []
                ),
            )
            for e in content
        ]
    except (KeyError, TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- JSON positions


class _Scanner:
    """Finds the byte span of every number in a JSON object, keyed by its path of keys."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.i = 0
        self.numbers: dict[tuple[str, ...], tuple[int, int]] = {}

    def _ws(self) -> None:
        while self.i < len(self.data) and self.data[self.i] in b" \t\r\n":
            self.i += 1

    def _peek(self) -> int:
        if self.i >= len(self.data):
            raise ValueError("unexpected end")
        return self.data[self.i]

    def _string(self) -> str:
        start = self.i
        self.i += 1
        while self._peek() != ord('"'):
            self.i += 2 if self._peek() == ord("\\") else 1
        self.i += 1
        return str(json.loads(self.data[start : self.i]))

    def value(self, path: tuple[str, ...]) -> None:
        self._ws()
        c = self._peek()
        if c == ord("{"):
            self._object(path)
        elif c == ord("["):
            self.i += 1
            while True:
                self._ws()
                if self._peek() == ord("]"):
                    self.i += 1
                    return
                self.value(path)
                self._ws()
                if self._peek() == ord(","):
                    self.i += 1
        elif c == ord('"'):
            self._string()
        else:  # a number or a literal
            start = self.i
            while self.i < len(self.data) and self.data[self.i] not in b",]} \t\r\n":
                self.i += 1
            if c == ord("-") or chr(c).isdigit():
                self.numbers[path] = (start, self.i)

    def _object(self, path: tuple[str, ...]) -> None:
        self.i += 1
        while True:
            self._ws()
            if self._peek() == ord("}"):
                self.i += 1
                return
            if self._peek() == ord(","):
                self.i += 1
                continue
            key = self._string()
            self._ws()
            if self._peek() != ord(":"):
                raise ValueError("expected ':'")
            self.i += 1
            self.value((*path, key))


def number_spans(data: bytes) -> dict[tuple[str, ...], tuple[int, int]]:
    """Byte span ``(start, end)`` of each number of the first JSON object in ``data``, keyed
    by its path of keys (``("empathy", "score")``).

    Raises:
        NoDistribution: no JSON object could be scanned.
    """
    start = data.find(b"{")
    if start < 0:
        raise NoDistribution("no JSON object in the token stream")
    scanner = _Scanner(data)
    scanner.i = start
    try:
        scanner.value(())
    except (ValueError, IndexError):
        raise NoDistribution("the token stream is not a JSON object") from None
    return scanner.numbers


# --------------------------------------------------------------------------- weighting


def _candidate(alt: bytes, prefix: bytes, suffix: bytes) -> int | None:
    """The score an alternative stands for at a position whose sampled token is
    ``prefix + score + suffix`` (e.g. ``' 3'``): the digits left once the same surroundings
    and whitespace are stripped, or None."""
    core = alt.strip()
    if prefix.strip() and core.startswith(prefix.strip()):
        core = core[len(prefix.strip()) :]
    if suffix.strip() and core.endswith(suffix.strip()):
        core = core[: -len(suffix.strip())]
    core = core.strip()
    return int(core) if len(core) == 1 and core.isdigit() else None


def weighted_score(tokens: Sequence[Token], span: tuple[int, int], allowed: Sequence[int]) -> float:
    """The probability-weighted mean over ``allowed`` at the token holding ``span``.

    Raises:
        NoDistribution: the score is split over tokens, or no allowed score is among the
            alternatives there.
    """
    start = 0
    for tok in tokens:
        end = start + len(tok.text)
        if start <= span[0] < end:
            break
        start = end
    else:
        raise NoDistribution("score position past the token stream")
    if span[1] > end:
        raise NoDistribution("a score split over several tokens")
    prefix, suffix = tok.text[: span[0] - start], tok.text[span[1] - start :]
    alts = {a.text: a.logprob for a in tok.top}
    alts.setdefault(tok.text, tok.logprob)  # the sampled token may be outside the top k
    mass: dict[int, float] = {}
    for text, logprob in alts.items():
        score = _candidate(text, prefix, suffix)
        if score is not None and score in allowed and math.isfinite(logprob):
            mass[score] = mass.get(score, 0.0) + math.exp(logprob)
    total = sum(mass.values())
    if total <= 0:
        raise NoDistribution("no allowed score among the alternatives at the score token")
    return sum(s * p for s, p in mass.items()) / total


def geval_scores(
    tokens: Sequence[Token] | None,
    paths: Mapping[str, tuple[str, ...]],
    allowed: Mapping[str, Sequence[int]],
    sampled: Mapping[str, int],
) -> dict[str, float]:
    """Every item's G-Eval score, or none.

    Args:
        tokens: the answer's tokens (None: the engine gave no log-probabilities).
        paths: per item, the key path of its score in the answer's JSON.
        allowed: per item, its allowed scores.
        sampled: per item, the score the validated answer holds (a cross-check that the
            token stream is the answer's).

    Raises:
        NoDistribution: for the first item whose distribution cannot be read. All or
            nothing, so a judgement's values come from one method.
    """
    if not tokens:
        raise NoDistribution("the model returned no token log-probabilities")
    if any(s < 0 or s > 9 for scores in allowed.values() for s in scores):
        raise NoDistribution("a scale with scores outside 0-9 (not one token per score)")
    data = b"".join(t.text for t in tokens)
    spans = number_spans(data)
    out = {}
    for item, path in paths.items():
        span = spans.get(path)
        if span is None:
            raise NoDistribution(f"no score for '{item}' in the token stream")
        if data[span[0] : span[1]] != str(sampled[item]).encode():
            raise NoDistribution(f"the token stream disagrees with the answer on '{item}'")
        try:
            out[item] = weighted_score(tokens, span, allowed[item])
        except NoDistribution as exc:
            raise NoDistribution(f"'{item}': {exc}") from None
    return out
