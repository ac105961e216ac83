"""Citations in a judge's rationale: ``[T3]`` names turn 3 of the transcript (as the judge
saw it numbered), optionally with a quoted span right before or after it
(``[T3] “I can't sleep”``). A citation checks out when the turn exists (and the judge saw it)
and the quoted span is in that turn's text (compared on letters, digits and CJK characters
only, so punctuation, spacing and case do not matter)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from counselsim.critic.evidence.text import normalise

_TAG = re.compile(r"[\[［【]\s*T\s*(\d{1,4})\s*[\]］】]", re.IGNORECASE)
_QUOTE = r"[“\"「『]([^”\"」』\n]{1,200})[”\"」』]"  # not ' : it is an apostrophe too
_AFTER = re.compile(r"\s*[:：,，]?\s*" + _QUOTE)
_BEFORE = re.compile(_QUOTE + r"\s*[(（]?\s*$")


@dataclass(frozen=True)
class CitationCheck:
    """What a rationale cites: the turns whose citations checked out, and the bad ones
    (as written, with why)."""

    cited: list[int] = field(default_factory=list)
    bad: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """At least one citation, and every one checked out."""
        return bool(self.cited) and not self.bad


def _quote_near(rationale: str, tag: re.Match[str], free: int) -> tuple[str | None, int]:
    """The span quoted right after the tag, else right before it (after ``free``: a quote
    already taken by the previous tag is not this one's); and where the next tag's may start."""
    after = _AFTER.match(rationale, tag.end())
    if after:
        return after.group(1), after.end()
    before = _BEFORE.search(rationale[max(free, tag.start() - 210) : tag.start()])
    return (before.group(1) if before else None), tag.end()


def check_citations(
    rationale: str, texts: Sequence[str], seen: range | None = None
) -> CitationCheck:
    """Check every ``[Tn]`` citation of ``rationale`` against the transcript ``texts``.

    Args:
        texts: the turns' texts, by index.
        seen: the turn indexes the judge was shown (default: all of them).
    """
    visible = range(len(texts)) if seen is None else seen
    cited: list[int] = []
    bad: list[str] = []
    free = 0
    for tag in _TAG.finditer(rationale):
        n = int(tag.group(1))
        quote, free = _quote_near(rationale, tag, free)
        written = f"[T{n}]" + (f" “{quote}”" if quote else "")
        if n not in visible or n >= len(texts):
            bad.append(f"{written}: no such turn in what the judge saw")
        elif quote and normalise(quote) not in normalise(texts[n]):
            bad.append(f"{written}: the quote is not in turn {n}")
        elif n not in cited:
            cited.append(n)
    return CitationCheck(cited=cited, bad=list(dict.fromkeys(bad)))
