"""The validator registry: what a recognizer's candidate must pass to count.

A recognizer (see :mod:`.recognizers` and ``recognizers.yaml``) names its validators; each
is a function ``(match, cue) -> (start, end) | None`` registered here under that name. It
gets the candidate's regex match (``match.string`` is the whole text, so it may look around)
and the cue's match when a cue led to it, and returns the span to keep (possibly trimmed)
or None to reject. ``always`` and ``never`` are built in.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Validator = Callable[[re.Match[str], re.Match[str] | None], tuple[int, int] | None]

VALIDATORS: dict[str, Validator] = {}


def keep(m: re.Match[str]) -> tuple[int, int]:
    """The span a match stands for: its ``id`` group when the pattern has one."""
    return m.span("id") if "id" in m.re.groupindex else m.span()


def token(m: re.Match[str]) -> str:
    """The text of :func:`keep`'s span."""
    start, end = keep(m)
    return m.string[start:end]


def validator(name: str) -> Callable[[Validator], Validator]:
    """Register a full validator (it returns the span to keep, or None)."""

    def register(fn: Validator) -> Validator:
        if name in VALIDATORS:
            raise ValueError(f"validator {name!r} registered twice")
        VALIDATORS[name] = fn
        return fn

    return register


def check(name: str) -> Callable[[Callable[[str], bool]], Callable[[str], bool]]:
    """Register a yes/no test of the candidate's text (the span is kept as matched)."""

    def register(fn: Callable[[str], bool]) -> Callable[[str], bool]:
        def run(m: re.Match[str], cue: re.Match[str] | None) -> tuple[int, int] | None:
            return keep(m) if fn(token(m)) else None

        validator(name)(run)
        return fn

    return register


VALIDATORS["always"] = lambda m, cue: keep(m)
VALIDATORS["never"] = lambda m, cue: None
